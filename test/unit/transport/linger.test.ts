/**
 * Issue 7 item 12: after a fatal alert the Node adapter closes with a lingering close, so a
 * peer that is still sending reads our alert instead of a TCP reset. Before the fix the
 * socket was destroyed as soon as the alert was flushed: the peer's next bytes met a
 * closed socket, the kernel answered with a reset, and a peer that had not read yet got
 * ECONNRESET / EPIPE and never saw the alert.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import { LINGER_MAX_BYTES, connect, createServer, type TlsServer, type TlsServerOptions } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

interface Harness {
  port: number;
  /** The server's TLS failure. */
  failure: Promise<TlsError>;
  /** Resolves with the time (ms since the failure) at which the server's TCP socket closed. */
  rawClosed: Promise<number>;
}

async function failingServer(extra: Omit<TlsServerOptions, 'cert' | 'key'> = {}): Promise<Harness> {
  const server: TlsServer = createServer({ cert: pki.chainPem, key: pki.keyPem, ...extra }, () => {
    throw new Error('the handshake must fail');
  });
  let failedAt = 0;
  const failure = new Promise<TlsError>((resolve) =>
    server.once('tlsClientError', (e: TlsError) => {
      failedAt = performance.now();
      resolve(e);
    }),
  );
  const rawClosed = new Promise<number>((resolve) => server.once('connection', (raw: net.Socket) => raw.once('close', () => resolve(performance.now() - failedAt))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, failure, rawClosed };
}

/** A ClientHello record whose body is one byte: the server answers decode_error (RFC 9846 §6.2). */
const BROKEN_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00]);

/** A garbage application_data record of `n` random bytes. */
function garbageRecord(n: number): Buffer {
  return Buffer.concat([Buffer.from([0x17, 0x03, 0x03, n >> 8, n & 0xff]), randomBytes(n)]);
}

/** Index of a plaintext alert record (level fatal) in `bytes`, or -1. */
function alertRecordAt(bytes: Buffer): number {
  for (let i = 0; i + 7 <= bytes.length; i++) {
    if (bytes[i] === 0x15 && bytes[i + 1] === 0x03 && bytes[i + 3] === 0x00 && bytes[i + 4] === 0x02 && bytes[i + 5] === 0x02) return i;
  }
  return -1;
}

interface PeerLog {
  received: Buffer;
  /** First socket error (ECONNRESET, EPIPE, ...), and how many bytes had been received then. */
  error: { code: string; receivedBefore: number } | null;
  ended: boolean;
  written: number;
}

/**
 * A raw TCP peer: sends the broken ClientHello, then keeps writing garbage records every
 * `everyMs` for `forMs` without reading (its receive side is paused for `readAfterMs`),
 * then reads whatever arrived. Records what it received and the first error. A polite
 * peer stops writing and closes its side on the server's FIN; an impolite one goes on.
 */
function stubbornPeer(port: number, opts: { everyMs: number; forMs: number; readAfterMs: number; recordSize: number; polite?: boolean }): Promise<PeerLog> {
  return new Promise((resolve) => {
    const log: PeerLog = { received: Buffer.alloc(0), error: null, ended: false, written: 0 };
    const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    cleanup.push(() => sock.destroy());
    sock.pause();
    let writer: ReturnType<typeof setInterval> | undefined;
    const stopWriting = (): void => {
      if (writer) clearInterval(writer);
      writer = undefined;
    };
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      stopWriting();
      resolve(log);
    };
    sock.on('data', (d: Buffer) => {
      log.received = Buffer.concat([log.received, d]);
    });
    sock.on('end', () => {
      log.ended = true;
      if (opts.polite === false) return;
      stopWriting();
      sock.end();
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      log.error ??= { code: e.code ?? e.message, receivedBefore: log.received.length };
      settle();
    });
    sock.on('close', () => settle());
    sock.once('connect', () => {
      sock.write(BROKEN_CLIENT_HELLO);
      const started = performance.now();
      writer = setInterval(() => {
        if (performance.now() - started > opts.forMs) {
          stopWriting();
          return;
        }
        if (!sock.destroyed && sock.writable) {
          sock.write(garbageRecord(opts.recordSize));
          log.written += opts.recordSize + 5;
        }
      }, opts.everyMs);
      setTimeout(() => sock.resume(), opts.readAfterMs);
    });
  });
}

describe('lingering close after a fatal alert (issue 7 item 12)', () => {
  it('a peer that keeps sending garbage records reads our alert, then our FIN: no reset before it', async () => {
    const h = await failingServer();
    const log = await stubbornPeer(h.port, { everyMs: 10, forMs: 600, readAfterMs: 400, recordSize: 1024 });
    const err = await h.failure;
    expect(err.source).toBe('local');
    expect(err.alert).not.toBeNull();
    const at = alertRecordAt(log.received);
    expect(at, `received ${log.received.toString('hex')} error ${JSON.stringify(log.error)}`).toBeGreaterThanOrEqual(0);
    // The alert we received is the one the server reports having sent.
    expect(log.received[at + 6]).toBe(err.alert);
    // No reset before the alert was read; in fact none at all: the server read and
    // discarded everything we sent, then closed after our FIN.
    expect(log.error).toBeNull();
    expect(log.ended).toBe(true);
    expect(log.written).toBeGreaterThan(10 * 1024);
  });

  it('lingering is bounded in time: a peer that never stops is cut off after lingerTimeout', async () => {
    const h = await failingServer({ lingerTimeout: 300 });
    // Slow enough to stay far below the byte cap; goes on much longer than the linger.
    const peer = stubbornPeer(h.port, { everyMs: 20, forMs: 5000, readAfterMs: 100, recordSize: 512, polite: false });
    await h.failure;
    const closedAfter = await h.rawClosed;
    expect(closedAfter).toBeGreaterThanOrEqual(250);
    expect(closedAfter).toBeLessThan(2000);
    const log = await peer;
    // It still read the alert before the connection was cut.
    expect(alertRecordAt(log.received)).toBeGreaterThanOrEqual(0);
    if (log.error) expect(log.error.receivedBefore).toBeGreaterThan(0);
  });

  it('lingering is bounded in bytes: past LINGER_MAX_BYTES the socket is destroyed before the timeout', async () => {
    const h = await failingServer({ lingerTimeout: 30_000 });
    const peer = stubbornPeer(h.port, { everyMs: 1, forMs: 20_000, readAfterMs: 50, recordSize: 16384, polite: false });
    await h.failure;
    const closedAfter = await h.rawClosed;
    expect(closedAfter).toBeLessThan(15_000);
    const log = await peer;
    expect(log.written).toBeGreaterThan(LINGER_MAX_BYTES);
  });

  it('lingerTimeout: 0 destroys at once', async () => {
    const h = await failingServer({ lingerTimeout: 0 });
    const peer = stubbornPeer(h.port, { everyMs: 20, forMs: 3000, readAfterMs: 0, recordSize: 512, polite: false });
    await h.failure;
    expect(await h.rawClosed).toBeLessThan(250);
    await peer;
  });

  it('a TLS 1.3 client still writing when the server refuses it reads the alert (certificate_required), not a reset', async () => {
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, requestCert: true, ca: pki.caCertPem });
    server.on('tlsClientError', () => {
      // expected: the client sends no certificate
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem });
    cleanup.push(() => client.destroy());
    const err = await new Promise<TlsError>((resolve) => {
      client.once('error', (e: Error) => resolve(e as TlsError));
      // In TLS 1.3 the client's handshake is complete before the server judged its
      // (missing) certificate: it starts sending at once, and keeps going.
      client.once('secureConnect', () => {
        const chunk = randomBytes(16384);
        const more = (): void => {
          while (!client.destroyed && client.write(chunk));
          if (!client.destroyed) client.once('drain', more);
        };
        more();
      });
    });
    expect(err.status).toBe('AlertReceived');
    expect(err.alert).toBe(116); // certificate_required
  });
});

describe('socket options: lingerTimeout and handshakeTimeout', () => {
  it('are validated synchronously (integers 0..2^31-1)', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31]) {
      expect(() => connect({ host: '127.0.0.1', port: 1, servername: 'localhost', ca: pki.caCertPem, lingerTimeout: bad })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
      expect(() => createServer({ cert: pki.chainPem, key: pki.keyPem, handshakeTimeout: bad })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    }
  });

  it('handshakeTimeout also bounds a client facing a silent server (TimedOut)', async () => {
    const silent = net.createServer(() => {
      // accepts and says nothing
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const sockets: net.Socket[] = [];
    silent.on('connection', (s: net.Socket) => sockets.push(s));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const port = (silent.address() as net.AddressInfo).port;
    const started = performance.now();
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem, handshakeTimeout: 200 });
    const err = await new Promise<TlsError>((resolve) => client.once('error', (e: Error) => resolve(e as TlsError)));
    expect(err.status).toBe('TimedOut');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });
});
