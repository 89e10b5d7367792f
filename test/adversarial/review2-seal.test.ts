/**
 * Review of cae1e2b / 7632fc7 (record writer: after an async seal fails, nothing more is sealed;
 * a later seal throws InternalError). The connection's failure path (ConnectionCore.setError)
 * asks the writer for a fatal alert from inside the writer's own rejection handler
 * (onSealError): RecordWriter.alert() promises `false` when nothing more can be sent, but a
 * handshake message still queued (a step that awaits, e.g. a signer, with part of its flight
 * queued) made it throw, out of the rejection handler: an unhandled rejection, and setError
 * stopped half way (phase not 'failed', handshake waiters never rejected).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordWriter } from '../../src/record/layer.js';
import { RecordProtector } from '../../src/record/protector.js';
import { createAead } from '../../src/crypto/aead.js';
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../../src/crypto/provider.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { seqBytes } from '../helpers/aead.js';

failOnUnhandled();

/** An async AES-128-GCM whose `failAt`-th seal rejects (later ones succeed). */
function asyncAead(failAt: number): AsyncAeadCipher {
  const inner = createAead('AES-128-GCM', seqBytes(16, 3));
  let n = 0;
  return {
    alg: 'AES-128-GCM',
    async: true,
    seal: (nonce, aad, p) => (++n === failAt ? Promise.reject(new Error('seal job failed')) : Promise.resolve(inner.seal(nonce, aad, p))),
    open: (nonce, aad, c) => Promise.resolve(inner.open(nonce, aad, c)),
  };
}

describe('review2: the writer after a failed async seal', () => {
  it('alert() from onSealError with a handshake message queued returns false (never throws)', async () => {
    const results: (boolean | string)[] = [];
    let w!: RecordWriter;
    w = new RecordWriter({
      role: 'client',
      onSealError: () => {
        // What ConnectionCore.setError does: a fatal alert (internal_error).
        try {
          results.push(w.alert(2, 80));
        } catch (e) {
          results.push(`threw ${String(e)}`);
        }
      },
    });
    w.install(new RecordProtector({ mode: 'tls13', aead: asyncAead(1), iv: seqBytes(12, 9) }));
    w.appData(new Uint8Array(100));
    // A step queues part of its flight, then awaits (the seal fails meanwhile).
    w.queueHandshake(new Uint8Array([20, 0, 0, 1, 0]));
    await w.settled();
    expect(results).toEqual([false]);
    // Nothing was sent after the gap: no record at all.
    expect(w.take()).toBeNull();
  });

  it('control: alert() with nothing queued after the failure returns false', async () => {
    const results: boolean[] = [];
    let w!: RecordWriter;
    w = new RecordWriter({ role: 'client', onSealError: () => void results.push(w.alert(2, 80)) });
    w.install(new RecordProtector({ mode: 'tls13', aead: asyncAead(1), iv: seqBytes(12, 9) }));
    w.appData(new Uint8Array(100));
    await w.settled();
    expect(results).toEqual([false]);
  });
});

// ------------------------------------------------------------------ the same through a connection

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/**
 * webcrypto whose seals, once armed, are slow (20 ms each), except the first one, which fails
 * after 30 ms: a server's queued 0.5-RTT write fails to seal while it is still sealing its
 * tickets (NewSessionTicket 1 queued, ticket 2 being sealed).
 */
function slowThenFailing(): { crypto: CryptoProvider; arm: () => void } {
  const base = webcryptoProvider();
  let armed = false;
  let count = 0;
  const later = <T>(ms: number, f: () => Promise<T>): Promise<T> => new Promise((r) => setTimeout(r, ms)).then(f);
  const aead = (alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher => {
    const inner = base.aead(alg, key);
    if (inner.async !== true) return inner;
    return {
      alg,
      async: true,
      seal: (n, a, p) => {
        if (!armed) return inner.seal(n, a, p);
        return ++count === 1 ? later(30, () => Promise.reject(new Error('seal job failed'))) : later(20, () => inner.seal(n, a, p));
      },
      open: (n, a, c) => inner.open(n, a, c),
    };
  };
  return { crypto: { ...base, aead } as CryptoProvider, arm: () => void (armed = true) };
}

describe('review2: a server whose 0.5-RTT write fails to seal while it seals its tickets', () => {
  it('the server fails once, with a TlsError (phase failed, handshake() settles), nothing unhandled', async () => {
    const f = slowThenFailing();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3' });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: f.crypto, sessionTickets: 3, minVersion: 'TLSv1.3' });
    // Written before the handshake completes: sealed when it does, before the tickets.
    server.write(new Uint8Array(200));
    const hs = server.handshake().then(
      () => 'resolved',
      (e: unknown) => (e instanceof Error ? e.name : 'rejected'),
    );
    // ClientHello → server flight → client Finished; arm just before the server takes it.
    await client.process();
    for (let o; (o = client.takeOutput()) !== null; ) server.receive(o);
    await server.process();
    for (let o; (o = server.takeOutput()) !== null; ) client.receive(o);
    await client.process();
    expect(client.handshakeComplete).toBe(true);
    f.arm();
    for (let o; (o = client.takeOutput()) !== null; ) server.receive(o);
    await server.process();
    await new Promise((r) => setTimeout(r, 150));
    await server.settled();
    expect(server.error).not.toBeNull();
    expect(server.phase).toBe('failed');
    expect(await hs).toBe('TlsError');
  });
});
