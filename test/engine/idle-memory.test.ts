/**
 * An idle established connection holds no input buffers (issue 9 item 4): after traffic in
 * both directions — records split across reads, several records per read, 16 KiB records —
 * once every complete record has been processed and the plaintext read, `bufferedBytes`
 * (deframer buffer + handshake reassembly + unread plaintext + held writes) is 0 on both
 * sides. In between, a partial record is held, so the check can fail.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { seededRandom } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Takes `c`'s output once every record it is sealing is sealed (at once unless the AEAD is async). */
async function flushed(c: TlsConnection): Promise<Uint8Array | null> {
  await c.settled();
  return c.takeOutput();
}

/** Moves everything `from` has to send into `to`, `chunk` bytes per receive(), processing after each. */
async function deliver(from: TlsConnection, to: TlsConnection, chunk: number): Promise<void> {
  for (let out = await flushed(from); out; out = await flushed(from)) {
    for (let off = 0; off < out.length; ) {
      const n = to.receive(out.subarray(off, Math.min(out.length, off + chunk)));
      off += n;
      await to.process();
      expect(to.error).toBeNull();
    }
  }
}

function readAllText(c: TlsConnection): number {
  let n = 0;
  for (let b = c.read(); b; b = c.read()) n += b.length;
  return n;
}

const SUITES = [
  ['TLS 1.3 AES-128-GCM', 'TLS_AES_128_GCM_SHA256'],
  ['TLS 1.3 ChaCha20-Poly1305', 'TLS_CHACHA20_POLY1305_SHA256'],
  ['TLS 1.2 ECDHE-ECDSA AES-128-GCM', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
] as const;

describe('idle connections hold no buffers after traffic', () => {
  it.each(SUITES)('%s: bufferedBytes is 0 on both sides once everything is read', async (_name, suite) => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, cipherSuites: [suite], random: seededRandom(3) });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, random: seededRandom(4) });
    await client.process();
    for (let i = 0; i < 6; i++) {
      await deliver(client, server, 4096);
      await deliver(server, client, 4096);
    }
    expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
    expect(client.bufferedBytes).toBe(0);
    expect(server.bufferedBytes).toBe(0);

    // Partial record: the deframer holds it (the check below can fail).
    client.write(new Uint8Array(3000).fill(1));
    const rec = (await flushed(client))!;
    expect(server.receive(rec.subarray(0, 1000))).toBe(1000);
    await server.process();
    expect(server.bufferedBytes).toBeGreaterThan(0);
    expect(server.receive(rec.subarray(1000))).toBe(rec.length - 1000);
    await server.process();
    expect(readAllText(server)).toBe(3000);
    expect(server.bufferedBytes).toBe(0);

    // Bulk both ways in awkward chunk sizes (records split across reads and several per read).
    for (const [size, chunk] of [
      [100, 7],
      [40_000, 1000],
      [16_384, 16_389],
      [70_000, 65_536],
    ] as const) {
      client.write(new Uint8Array(size).fill(2));
      await deliver(client, server, chunk);
      server.write(new Uint8Array(size).fill(3));
      await deliver(server, client, chunk);
      expect(readAllText(server)).toBe(size);
      expect(readAllText(client)).toBe(size);
    }
    expect(client.bufferedBytes).toBe(0);
    expect(server.bufferedBytes).toBe(0);
  });
});

/**
 * Connections to the same server share one copy of its certificate bytes (base/intern.ts),
 * so what `info` hands out must be a copy: a careless caller writing into one connection's
 * `peerCertificate` changes neither that connection's later reports nor another's, nor what
 * a later handshake with the same chain verifies.
 */
describe('peer certificates shared between connections', () => {
  async function pair(seed: number): Promise<TlsConnection> {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, random: seededRandom(seed) });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, random: seededRandom(seed + 1) });
    await client.process();
    for (let i = 0; i < 4; i++) {
      await deliver(client, server, 1 << 20);
      await deliver(server, client, 1 << 20);
    }
    expect(client.error).toBeNull();
    expect(client.handshakeComplete).toBe(true);
    return client;
  }

  it('a caller writing into info.peerCertificate changes no connection’s report and no later verification', async () => {
    const a = await pair(10);
    const b = await pair(20);
    const original = a.info.peerCertificate!.slice();
    expect(b.info.peerCertificate).toEqual(original);
    // Hostile or careless: overwrite every byte of what info returned, and of the intermediates.
    const leaf = a.info.peerCertificate!;
    leaf.fill(0x41);
    for (const c of a.info.peerIntermediates) c.fill(0x42);
    expect(a.info.peerCertificate).toEqual(original);
    expect(b.info.peerCertificate).toEqual(original);
    expect(a.info.peerCertificate).not.toBe(a.info.peerCertificate);
    // A new handshake with the same chain still verifies and reports the real bytes.
    const c = await pair(30);
    expect(c.info.peerCertificate).toEqual(original);
    expect(c.info.certificateErrors).toEqual([]);
  });
});

/**
 * A connection on a provider that says it is synchronous keeps no way to report a failed
 * async seal (memory: no closure for it). A provider breaking its own contract — sync, yet
 * returning an async AEAD — must then fail the handshake loudly, never hang or lose records.
 */
describe('a provider that is not async but returns an async AEAD', () => {
  it('fails the handshake with InternalError (both roles), nothing left pending', async () => {
    const { nobleProvider } = await import('../../src/crypto/noble.js');
    const lying = {
      ...nobleProvider,
      name: 'lying',
      aead: (alg: 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305', key: Uint8Array) => {
        const inner = nobleProvider.aead(alg, key);
        return {
          alg,
          async: true as const,
          seal: (n: Uint8Array, a: Uint8Array, p: Uint8Array) => Promise.resolve(inner.seal(n, a, p)),
          open: (n: Uint8Array, a: Uint8Array, c: Uint8Array) => Promise.resolve(inner.open(n, a, c)),
        };
      },
    } as unknown as typeof nobleProvider;
    for (const side of ['client', 'server'] as const) {
      const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, random: seededRandom(5), ...(side === 'client' ? { crypto: lying } : {}) });
      const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, random: seededRandom(6), ...(side === 'server' ? { crypto: lying } : {}) });
      const done = (side === 'client' ? client : server).handshake().then(
        () => null,
        (e: unknown) => e,
      );
      await client.process();
      for (let i = 0; i < 4 && !client.error && !server.error; i++) {
        for (let o = client.takeOutput(); o; o = client.takeOutput()) {
          server.receive(o);
          await server.process();
        }
        for (let o = server.takeOutput(); o; o = server.takeOutput()) {
          client.receive(o);
          await client.process();
        }
      }
      const liar = side === 'client' ? client : server;
      expect(liar.error?.status).toBe('InternalError');
      expect(liar.error?.detail).toMatch(/not async but returned an async/);
      expect(await done).toBe(liar.error);
    }
  });
});
