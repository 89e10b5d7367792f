/**
 * With an async AEAD (the `webcrypto` provider) the Node adapter lets several records seal at
 * once (TlsPump.writeNow reports up to eight records' worth of writes done before they are
 * sealed): a writer that waits for 'drain' after each 16 KiB write, as `pipe()` does, used to
 * have exactly one record sealing at a time. Checked against a node:tls server: every byte
 * arrives, in order; a seal that fails is reported as the socket's TlsError, nothing floats.
 */
import tls from 'node:tls';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TlsSocket } from '../../src/transport/node.js';
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../../src/crypto/provider.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/testing/index.js';
import { countingWebcrypto } from '../helpers/counting-webcrypto.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
let server: tls.Server;
let port = 0;
let received: Promise<{ bytes: number; sha: string }>[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    received.push(
      new Promise((resolve) => {
        const h = createHash('sha256');
        let bytes = 0;
        s.on('data', (d: Buffer) => {
          bytes += d.length;
          h.update(d);
        });
        const done = (): void => resolve({ bytes, sha: h.digest('hex') });
        s.on('end', () => s.end());
        s.on('close', done);
        s.on('error', () => undefined);
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
});

/** What the server's first connection received, once it closed. */
async function firstReceived(): Promise<{ bytes: number; sha: string }> {
  for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(received).toHaveLength(1);
  return received[0]!;
}

function open(crypto: CryptoProvider): Promise<TlsSocket> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto, minVersion: 'TLSv1.3' }, () => resolve(c));
    c.once('error', reject);
  });
}

/** Writes `chunks` one by one, waiting for 'drain' whenever write() asks to, as pipe() does. */
async function writeAll(s: TlsSocket, chunks: Buffer[]): Promise<void> {
  for (const c of chunks) {
    if (!s.write(c)) await new Promise((r) => s.once('drain', r));
  }
}

const chunks = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.alloc(16 * 1024, i & 0xff));

describe('webcrypto provider through the Node adapter: records seal concurrently', () => {
  it('a writer that honours back-pressure: several seals in flight, every byte delivered in order', async () => {
    received = [];
    const w = countingWebcrypto();
    const s = await open(w.crypto);
    const data = chunks(48);
    const sealsBefore = w.seals.calls;
    await writeAll(s, data);
    await new Promise<void>((r) => s.end(r));
    const got = await firstReceived();
    expect(got.bytes).toBe(48 * 16 * 1024);
    expect(got.sha).toBe(createHash('sha256').update(Buffer.concat(data)).digest('hex'));
    expect(w.seals.calls - sealsBefore).toBeGreaterThanOrEqual(48);
    // One at a time before: each write waited for its own seal and send.
    expect(w.seals.maxInFlight).toBeGreaterThan(2);
    // Eight writes ahead, the one beyond the bound (it waits), and the client's Finished.
    expect(w.seals.maxInFlight).toBeLessThanOrEqual(10);
    s.destroy();
  });

  it('destroy() right after the last write was reported done: the records still sealing go out first', async () => {
    received = [];
    const w = countingWebcrypto();
    const s = await open(w.crypto);
    const data = chunks(6);
    let last: Promise<void> = Promise.resolve();
    for (const c of data) last = new Promise((r) => s.write(c, () => r()));
    await last;
    expect(w.seals.inFlight).toBeGreaterThan(0);
    s.destroy();
    const got = await firstReceived();
    expect(got.bytes).toBe(6 * 16 * 1024);
  });

  it('a seal that fails after some records: the socket fails with a TlsError; no unhandled rejection, no hang', async () => {
    received = [];
    const base = countingWebcrypto().crypto;
    let seals = 0;
    const aead = (alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher => {
      const inner = base.aead(alg, key);
      if (inner.async !== true) return inner;
      return {
        alg,
        async: true,
        seal: (n, a, p) => (++seals === 12 ? Promise.reject(new Error('seal failed on purpose')) : inner.seal(n, a, p)),
        open: (n, a, c) => inner.open(n, a, c),
      };
    };
    const s = await open({ ...base, aead } as CryptoProvider);
    const failed = new Promise<unknown>((r) => s.once('error', r));
    const writes = chunks(40).map((c) => new Promise<unknown>((r) => s.write(c, (e) => r(e ?? null))));
    const err = await failed;
    expect(err).toBeInstanceOf(TlsError);
    await Promise.all(writes);
    const got = await firstReceived();
    // What reached the peer is whole records, in order, before the failed one.
    expect(got.bytes % (16 * 1024)).toBe(0);
    expect(got.bytes).toBeLessThan(40 * 16 * 1024);
  });

  it('destroy() while a seal never settles: the socket is still closed, after lingerTimeout', async () => {
    received = [];
    const base = countingWebcrypto().crypto;
    let hang = false;
    const aead = (alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher => {
      const inner = base.aead(alg, key);
      if (inner.async !== true) return inner;
      return { alg, async: true, seal: (n, a, p) => (hang ? new Promise<Uint8Array>(() => undefined) : inner.seal(n, a, p)), open: (n, a, c) => inner.open(n, a, c) };
    };
    const s: TlsSocket = await new Promise((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: { ...base, aead } as CryptoProvider, minVersion: 'TLSv1.3', lingerTimeout: 150 }, () => resolve(c));
      c.once('error', reject);
    });
    hang = true;
    await new Promise<void>((r) => s.write(Buffer.alloc(100, 1), () => r()));
    const t0 = Date.now();
    s.destroy();
    const got = await firstReceived();
    expect(got.bytes).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it.each(['webcrypto', 'pure', 'native'] as const)('%s: a peer that stops reading: writes that wait for drain stop too (the seals ahead never grow the send buffer without bound)', async (which) => {
    const stalled = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (sock) => {
      sock.pause();
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
    try {
      const s: TlsSocket = await new Promise((resolve, reject) => {
        const c = connect(
          { host: '127.0.0.1', port: (stalled.address() as AddressInfo).port, servername: 'localhost', ca: pki.caCertPem, crypto: which === 'webcrypto' ? countingWebcrypto().crypto : which, minVersion: 'TLSv1.3' },
          () => resolve(c),
        );
        c.once('error', reject);
      });
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(16 * 1024, 3);
      let written = 0;
      for (;;) {
        written += chunk.length;
        if (written > 64 * 1024 * 1024) break;
        if (!s.write(chunk)) {
          const drained = await Promise.race([new Promise<boolean>((r) => s.once('drain', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
          if (!drained) break;
        }
      }
      // Kernel buffers on loopback hold a few MiB; before the fix this wrote all 64 MiB.
      expect(written).toBeLessThan(24 * 1024 * 1024);
      s.destroy();
    } finally {
      stalled.close();
    }
  });
});
