/**
 * The async seal path (src/record/protector.ts `sealAsync`, src/record/layer.ts
 * `RecordWriter.sealRecord` / `take`, src/transport/pump.ts) when the AEAD fails a seal in the
 * middle of a burst (a WebCrypto job that rejects): the connection fails with a TlsError, the
 * caller's write is rejected (never resolved as sent, never left pending), nothing rejects
 * unhandled, and the peer never receives records sealed after the missing one (RFC 9846
 * §5.3: it could only fail them as bad_record_mac, blaming the wrong thing), so it sees the
 * records before the gap and then the end of the stream.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../../src/crypto/provider.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { TlsPump } from '../../src/transport/pump.js';
import { parseRecords } from '../helpers/mitm.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
failOnUnhandled();
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** webcrypto whose application-data seals fail from the `failAt`-th one on, once armed. */
function failingSeals(): { crypto: CryptoProvider; arm: (failAt: number) => void } {
  const base = webcryptoProvider();
  let armed = false;
  let count = 0;
  let failAt = Infinity;
  const aead = (alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher => {
    const inner = base.aead(alg, key);
    if (inner.async !== true) return inner;
    return {
      alg,
      async: true,
      seal: (n, a, p) => (armed && ++count === failAt ? Promise.reject(new DOMException('job failed', 'OperationError')) : inner.seal(n, a, p)),
      open: (n, a, c) => inner.open(n, a, c),
    };
  };
  return {
    crypto: { ...base, aead } as CryptoProvider,
    arm: (k) => {
      armed = true;
      count = 0;
      failAt = k;
    },
  };
}

async function connected(crypto: CryptoProvider): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto, minVersion: 'TLSv1.3' });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, minVersion: 'TLSv1.3' });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

async function readAllFrom(server: TlsConnection, bytes: Uint8Array): Promise<Uint8Array> {
  const read: Uint8Array[] = [];
  let rest = bytes;
  for (let guard = 0; guard < 1000; guard++) {
    rest = rest.subarray(server.receive(rest));
    await server.process();
    for (let d; (d = server.read()) !== null; ) read.push(d);
    if (rest.length === 0) break;
  }
  return join(read);
}

describe('an async seal that fails in the middle of a burst', () => {
  it('engine: the connection fails with a TlsError; the peer gets the records before the gap, nothing sealed after it', async () => {
    const f = failingSeals();
    const p = await connected(f.crypto);
    const sent = Array.from({ length: 6 }, (_, i) => payload(1000 + i, i));
    f.arm(3);
    for (const w of sent) p.client.write(w);
    await p.client.settled();
    await p.client.process();
    expect(p.client.error).toBeInstanceOf(TlsError);
    const parts: Uint8Array[] = [];
    for (let o; (o = p.client.takeOutput()) !== null; ) parts.push(o);
    const wire = join(parts);
    expect(parseRecords(wire).length).toBe(2);
    const got = await readAllFrom(p.server, wire);
    expect(sameBytes(got, join(sent.slice(0, 2)))).toBe(true);
    // The peer sees a stream that simply ends there (no bad_record_mac blamed on it).
    expect(p.server.error).toBeNull();
  });

  // Writes within the pump's seal-ahead bound (128 KiB) are reported done while they seal; a
  // seal that fails then is reported once through `error`, and every later write rejects.
  it('pump: the writes settle (never pending), the failure is reported once, later writes reject with it', async () => {
    const f = failingSeals();
    const p = await connected(f.crypto);
    const sentWire: Uint8Array[] = [];
    const errors: TlsError[] = [];
    const pmp = new TlsPump(p.client, { send: (b) => void sentWire.push(b.slice()), deliver: () => true, error: (e) => void errors.push(e) });
    await pmp.start();
    f.arm(2);
    const results = await Promise.allSettled([pmp.write(payload(20_000, 1)), pmp.write(payload(100, 2))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    // Reported without any more input or writes, once the seals settled.
    for (let i = 0; i < 200 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await pmp.whenIdle();
    expect(errors.length).toBe(1);
    await expect(pmp.write(payload(10, 3))).rejects.toBe(errors[0]);
    expect(errors.length).toBe(1);
    const got = await readAllFrom(p.server, join(sentWire));
    // The first record of the first write (16 KiB) went before the gap; nothing after it.
    expect(sameBytes(got, payload(20_000, 1).subarray(0, 16384))).toBe(true);
    expect(p.server.error).toBeNull();
  });
});
