import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { upgrade, type TlsSocket } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/**
 * One end of an in-memory transport. While `stalled`, write callbacks are held back (as a
 * socket whose kernel buffer is full), so `writableLength` grows and 'drain' waits.
 */
class Pipe extends Duplex {
  peer: Pipe | null = null;
  stalled = false;
  /** Ciphertext bytes this end was asked to send (accepted into its queue). */
  taken = 0;
  private held: (() => void)[] = [];

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.taken += chunk.length;
    const go = (): void => {
      this.peer?.push(chunk);
      cb();
    };
    if (this.stalled) this.held.push(go);
    else go();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.peer?.push(null);
    cb();
  }

  release(): void {
    this.stalled = false;
    for (const f of this.held.splice(0)) f();
  }
}

function pipePair(): [Pipe, Pipe] {
  const a = new Pipe();
  const b = new Pipe();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

function secure(s: TlsSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('secure', () => resolve());
    s.once('error', reject);
  });
}

describe('puretls/node: back-pressure from the transport', () => {
  it('stops sealing records while the transport does not drain, and loses nothing once it does', async () => {
    const [ct, st] = pipePair();
    const client = upgrade(ct, { servername: 'localhost', ca: pki.caCertPem });
    const server = upgrade(st, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    const got: Buffer[] = [];
    server.on('data', (d: Buffer) => got.push(d));
    await Promise.all([secure(client), secure(server)]);

    ct.stalled = true;
    const before = ct.taken;
    const SIZE = 4 * 1024 * 1024;
    const up = randomBytes(SIZE);
    let written = 0;
    let blocked = false;
    // Write until the TLS socket says stop and stays stopped.
    for (let off = 0; off < SIZE && !blocked; off += 16384) {
      if (!client.write(up.subarray(off, off + 16384))) {
        const drained = await Promise.race([
          new Promise<boolean>((r) => client.once('drain', () => r(true))),
          new Promise<boolean>((r) => setTimeout(() => r(false), 200)),
        ]);
        if (!drained) blocked = true;
      }
      written = off + 16384;
    }
    expect(blocked).toBe(true);
    // Bounded: what reached the stalled transport is a few records (the adapter's 64 KiB
    // send limit, plus the transport's own high-water mark and one record), not the 4 MiB.
    const queued = ct.taken - before;
    expect(queued).toBeLessThan(128 * 1024);
    expect(written).toBeLessThan(SIZE);

    const rest = new Promise<void>((resolve) => {
      const more = (): void => {
        for (; written < SIZE; written += 16384) {
          if (!client.write(up.subarray(written, written + 16384))) {
            written += 16384;
            client.once('drain', more);
            return;
          }
        }
        client.end();
        resolve();
      };
      more();
    });
    ct.release();
    await rest;
    await new Promise<void>((resolve) => server.once('end', () => resolve()));
    expect(Buffer.concat(got).equals(up)).toBe(true);
    client.destroy();
    server.destroy();
  });
});

describe('puretls/node: what a socket keeps', () => {
  it('exposes a frozen read-only view of the engine, and removes its transport listeners when destroyed', async () => {
    const [ct, st] = pipePair();
    const before = ['data', 'end', 'error', 'close', 'timeout'].map((e) => ct.listenerCount(e));
    const client = upgrade(ct, { servername: 'localhost', ca: pki.caCertPem });
    const server = upgrade(st, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    await Promise.all([secure(client), secure(server)]);
    const v = client.connection;
    expect(Object.isFrozen(v)).toBe(true);
    expect(v.role).toBe('client');
    expect(v.phase).toBe('open');
    expect(v.handshakeComplete).toBe(true);
    expect(v.error).toBeNull();
    expect(v.info.version).toBe('TLSv1.3');
    expect(server.connection.role).toBe('server');
    expect('receive' in v || 'process' in v || 'write' in v).toBe(false);
    expect(() => {
      (v as unknown as { role: string }).role = 'server';
    }).toThrow();
    // Two sockets, each finds its own engine through the shared listeners.
    const got = new Promise<string>((resolve) => server.once('data', (d: Buffer) => resolve(d.toString())));
    client.write('ping');
    expect(await got).toBe('ping');
    client.destroy();
    expect(['data', 'end', 'error', 'close', 'timeout'].map((e) => ct.listenerCount(e) - (e === 'error' ? 1 : 0))).toEqual(before);
    server.destroy();
  });
});
