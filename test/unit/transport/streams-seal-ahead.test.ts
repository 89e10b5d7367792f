/**
 * The Web Streams adapter with an async AEAD (the `webcrypto` provider, as in a browser):
 * a writer that awaits each `write()` has several records sealing at once (TlsPump.write
 * reports a write done while fewer than eight records' worth are ahead of the transport),
 * and `close()` still sends every byte, in order, before close_notify.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromStreams } from '../../../src/transport/web.js';
import { hashToEnd, streamWire as wire } from '../../helpers/stream-wire.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';
import { countingWebcrypto } from '../../helpers/counting-webcrypto.js';
import { failOnUnhandled } from '../../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
});

describe('Web Streams adapter, webcrypto provider: records seal concurrently', () => {
  it('awaiting each write: several seals in flight; close() delivers every byte in order', async () => {
    const w = wire();
    const counted = countingWebcrypto();
    const server = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    const client = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, crypto: counted.crypto });
    const chunks = Array.from({ length: 40 }, (_, i) => new Uint8Array(16 * 1024).fill(i));
    const got = hashToEnd(server.readable);
    const writer = client.writable.getWriter();
    for (const c of chunks) await writer.write(c);
    await writer.close();
    const r = await got;
    expect(r.n).toBe(40 * 16 * 1024);
    const want = createHash('sha256');
    for (const c of chunks) want.update(c);
    expect(r.sha).toBe(want.digest('hex'));
    expect(counted.seals.maxInFlight).toBeGreaterThan(2);
    // Eight writes ahead, the one beyond the bound (it waits), and the client's Finished.
    expect(counted.seals.maxInFlight).toBeLessThanOrEqual(10);
  });

  it('a peer that stops reading: write() stops resolving (nothing grows without bound)', async () => {
    const w = wire();
    const server = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    const client = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, crypto: countingWebcrypto().crypto });
    await Promise.all([server.handshake(), client.handshake()]);
    // The server's application never reads: its pump pauses, its transport stops reading.
    const writer = client.writable.getWriter();
    const chunk = new Uint8Array(16 * 1024).fill(5);
    let written = 0;
    for (;;) {
      const ok = await Promise.race([writer.write(chunk).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
      if (!ok) break;
      written += chunk.length;
      if (written > 32 * 1024 * 1024) break;
    }
    expect(written).toBeLessThan(4 * 1024 * 1024);
    await writer.abort(new Error('done')).catch(() => undefined);
  });

  it('KeyUpdates (ours, and the peer asking for one) while records seal ahead: every byte arrives in order', async () => {
    const w = wire();
    const server = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    const counted = countingWebcrypto();
    const client = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, crypto: counted.crypto });
    const chunks = Array.from({ length: 30 }, (_, i) => new Uint8Array(16 * 1024 - i).fill(i));
    // Mid-stream, the server asks the client to update its keys too (RFC 9846 §4.7.3).
    const got = hashToEnd(server.readable, async (value, n) => {
      if (n > 100_000 && n - value.length <= 100_000) await server.keyUpdate(true);
    });
    const writer = client.writable.getWriter();
    for (let i = 0; i < chunks.length; i++) {
      await writer.write(chunks[i]!);
      if (i === 5 || i === 17) await client.keyUpdate(i === 17);
    }
    await writer.close();
    const r = await got;
    const want = createHash('sha256');
    let total = 0;
    for (const c of chunks) {
      want.update(c);
      total += c.length;
    }
    expect(r.n).toBe(total);
    expect(r.sha).toBe(want.digest('hex'));
    expect(counted.seals.maxInFlight).toBeGreaterThan(2);
  });

  it('abort() while records still seal: the seals settling later throw nothing, reject nothing unhandled, and the stream stays aborted', async () => {
    const w = wire();
    const server = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
    const counted = countingWebcrypto();
    const client = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, crypto: counted.crypto });
    const got = hashToEnd(server.readable).catch(() => null);
    const writer = client.writable.getWriter();
    for (let i = 0; i < 6; i++) await writer.write(new Uint8Array(16 * 1024).fill(i));
    expect(counted.seals.inFlight).toBeGreaterThan(0);
    await writer.abort(new Error('stop')).catch(() => undefined);
    // Let every seal settle and its (now pointless) flush run.
    for (let i = 0; i < 200 && counted.seals.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(counted.seals.inFlight).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    await expect(writer.write(new Uint8Array(1))).rejects.toBeDefined();
    await server.close().catch(() => undefined);
    void got;
  });
});
