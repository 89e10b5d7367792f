/**
 * `TlsConnection.receive(bytes, transfer)` end to end, with the pure provider (which decrypts
 * in place: a transferred record is decrypted in the caller's chunk) and the native one
 * (whose records are sealed by `sealJoined` and opened into node:crypto's own output), in
 * TLS 1.3 and TLS 1.2:
 *
 * - every chunking of the peer's records, transferred or copied, gives back exactly the
 *   application data written (record boundaries anywhere in the chunks);
 * - without `transfer`, a careless caller that scribbles over its chunk right after
 *   `receive()` returns (before `process()`) changes nothing: the engine copied it;
 * - plaintext already read stays intact while later chunks are received and processed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import '../../../src/crypto/native.js';
import { generateTestPki, type TestPki } from '../../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Moves everything `from` has to send into `to`, offering the rest of each chunk again. */
async function flow(from: TlsConnection, to: TlsConnection): Promise<boolean> {
  let moved = false;
  for (let out; (out = from.takeOutput()) !== null; ) {
    moved = true;
    for (let off = 0; off < out.length; ) {
      off += to.receive(out.subarray(off));
      await to.process();
    }
  }
  return moved;
}

async function connectedPair(crypto: 'pure' | 'native', version: 'TLSv1.2' | 'TLSv1.3'): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto, minVersion: version, maxVersion: version });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto, minVersion: version, maxVersion: version });
  await client.start();
  for (let i = 0; i < 10 && !(client.handshakeComplete && server.handshakeComplete); i++) {
    await flow(client, server);
    await flow(server, client);
  }
  await flow(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

/** The stream of records `client` produces for `writes`, cut at `cuts` into fresh chunks. */
function chunksOf(client: TlsConnection, writes: Uint8Array[], cuts: number[]): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const w of writes) {
    client.write(w);
    for (let out; (out = client.takeOutput()) !== null; ) parts.push(out);
  }
  const stream = Buffer.concat(parts);
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    chunks.push(new Uint8Array(stream.subarray(prev, p))); // a fresh copy per chunk, as a socket read
    prev = p;
  }
  return chunks;
}

const writesArb = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 2, arbitrary: fc.integer({ min: 16_000, max: 40_000 }) },
  ),
  { minLength: 1, maxLength: 4 },
);

const bytesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe.each([
  ['pure', 'TLSv1.3'],
  ['native', 'TLSv1.3'],
  ['pure', 'TLSv1.2'],
  ['native', 'TLSv1.2'],
] as const)('receive(bytes, transfer) — %s provider, %s', (crypto, version) => {
  it('any chunking, transferred or copied (and scribbled over after receive), gives back the data written', async () => {
    const { client, server } = await connectedPair(crypto, version);
    const read: Uint8Array[] = [];
    const written: Uint8Array[] = [];
    await fc.assert(
      fc.asyncProperty(writesArb, fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), async (sizes, cuts, transfer) => {
        const writes = sizes.map((n, i) => bytesOf(n, i + written.length));
        written.push(...writes);
        for (const chunk of chunksOf(client, writes, cuts)) {
          for (let off = 0; off < chunk.length; ) {
            const piece = chunk.subarray(off);
            const n = server.receive(piece, transfer);
            // A careless caller reuses the bytes taken at once; only allowed without transfer.
            if (!transfer) piece.subarray(0, n).fill(0xee);
            off += n;
            await server.process();
            for (let d; (d = server.read()) !== null; ) read.push(d);
            if (n === 0) expect.fail('the engine took nothing');
          }
        }
        expect(server.error).toBeNull();
      }),
      { numRuns: 25 },
    );
    // Everything read so far is still intact (nothing read aliases memory that changed later).
    expect(Buffer.concat(read).equals(Buffer.concat(written))).toBe(true);
  });
});
