/**
 * Bulk data through the Node adapter over real TCP sockets, where the adapter gives sent
 * record buffers back to the engine for reuse when the kernel took a write whole (issue 9,
 * two-process bulk). The peer reads slowly and in bursts, so some socket writes complete
 * at once and others are queued by Node (partial writes): a buffer reused while Node still
 * holds it would corrupt the stream, which the peer's record authentication and the
 * checksum here would catch. Both directions, AES-128-GCM and ChaCha20-Poly1305, against
 * Node's own `tls` as the peer. Writes made back to back are sealed and sent together (one
 * gathered write per four records): their order against a KeyUpdate, small writes left
 * alone at the end of a task, and end() is checked too.
 */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, createServer, type TlsSocket } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

const SIZE = 8 * 1024 * 1024;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Reads everything from `s` in bursts: paused for a few ms every ~256 KiB. Resolves with the SHA-256 of what arrived. */
function slowReader(s: net.Socket | TlsSocket, expected: number): Promise<string> {
  const h = createHash('sha256');
  let got = 0;
  let sincePause = 0;
  return new Promise((resolve, reject) => {
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      h.update(d);
      got += d.length;
      sincePause += d.length;
      if (got >= expected) {
        resolve(h.digest('hex'));
        return;
      }
      if (sincePause >= 256 * 1024) {
        sincePause = 0;
        s.pause();
        setTimeout(() => s.resume(), 5);
      }
    });
  });
}

/** Writes `data` in 16 KiB writes honouring back-pressure. */
async function writeAll(s: net.Socket | TlsSocket, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; off += 16_384) {
    if (!s.write(data.subarray(off, off + 16_384))) await once(s, 'drain');
  }
}

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

describe.each(SUITES)('puretls/node bulk over TCP with a slow peer (%s, native provider)', (suite) => {
  it('puretls client -> Node tls server: every byte arrives intact', async () => {
    let serverSide: tls.TLSSocket | null = null;
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' }, (s) => {
      serverSide = s;
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: 'native', cipherSuites: [suite] });
    cleanup.push(() => client.destroy());
    await once(client, 'secureConnect');
    while (!serverSide) await new Promise((r) => setTimeout(r, 5));
    const data = randomBytes(SIZE);
    expect((serverSide as tls.TLSSocket).getCipher().standardName).toBe(suite);
    const arrived = slowReader(serverSide, SIZE);
    await writeAll(client, data);
    expect(await arrived).toBe(sha(data));
  });

  it('Node tls client -> puretls server, and puretls server -> Node tls client: intact both ways', async () => {
    const up = randomBytes(SIZE);
    const down = randomBytes(SIZE);
    let upDigest: Promise<string> | null = null;
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, crypto: 'native', cipherSuites: [suite] }, (s) => {
      upDigest = slowReader(s, SIZE);
      void writeAll(s, down);
    });
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem });
    cleanup.push(() => client.destroy());
    await once(client, 'secureConnect');
    const downDigest = slowReader(client, SIZE);
    await writeAll(client, up);
    expect((client as tls.TLSSocket).getCipher().standardName).toBe(suite);
    while (!upDigest) await new Promise((r) => setTimeout(r, 5));
    expect(await upDigest).toBe(sha(up));
    expect(await downDigest).toBe(sha(down));
  });
});

describe('puretls/node: writes sent together keep their order', () => {
  it('writes of every size in one synchronous burst, a KeyUpdate in the middle, then end(): all arrive, in order', async () => {
    let serverDigest: Promise<string> | null = null;
    const sizes = [1, 5, 16_384, 100, 16_383, 40_000, 3, 16_385, 64 * 1024, 7, 200_000, 2];
    const total = sizes.reduce((a, b) => a + b, 0) * 2;
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' }, (s) => {
      serverDigest = slowReader(s, total);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: 'native' });
    cleanup.push(() => client.destroy());
    await once(client, 'secureConnect');
    const data = randomBytes(total);
    let off = 0;
    const burst = (): void => {
      for (const n of sizes) {
        client.write(data.subarray(off, off + n));
        off += n;
      }
    };
    burst();
    const updated = client.keyUpdate(true);
    burst();
    client.end();
    await updated;
    while (!serverDigest) await new Promise((r) => setTimeout(r, 5));
    expect(await serverDigest).toBe(sha(data));
  });

  it('a single small write with nothing after it is sent (no write waits for another)', async () => {
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' }, (s) => s.pipe(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: 'native' });
    cleanup.push(() => client.destroy());
    await once(client, 'secureConnect');
    for (const msg of ['a', 'bc', 'def']) {
      client.write(msg);
      const [echo] = (await once(client, 'data')) as [Buffer];
      expect(echo.toString()).toBe(msg);
    }
  });
});
