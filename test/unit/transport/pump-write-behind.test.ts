/**
 * {@link TlsPump} writes with an async AEAD (the `webcrypto` provider): a write is taken at
 * once while less than 64 KiB is being sealed, so that consecutive writes are sealed
 * concurrently, and one flush running behind them sends the records in order. What must
 * hold, and what each case here tries to break:
 * - the peer gets exactly the bytes written, in order, and close_notify only after them;
 * - seals really overlap (the point of it), and no more than the mark is held unsent;
 * - a transport that fails while records are sent behind the writes: the error is reported
 *   (once) and the next write throws it — nothing hangs, nothing is silently dropped;
 * - a seal that fails: the connection's error is reported, the next write throws;
 * - writes made through {@link TlsPump.write} (the Web Streams adapter's path) behave alike.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import { TlsError } from '../../../src/base/errors.js';
import type { CryptoProvider } from '../../../src/crypto/provider.js';
import { countingWebcrypto } from '../../helpers/counting-webcrypto.js';
import { TlsPump } from '../../../src/transport/pump.js';
import { generateTestPki, type TestPki } from '../../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

interface End {
  pump: TlsPump;
  got: Uint8Array[];
  errors: TlsError[];
  ended: boolean;
}

/**
 * Two pumps joined in memory: what one sends is pushed into the other on a later macrotask
 * (as a socket delivers it). `sendFails` makes the client's transport reject its sends.
 */
function pair(clientCrypto: CryptoProvider): { client: End; server: End; transport: { sendFails: boolean; sent: number } } {
  const transport = { sendFails: false, sent: 0 };
  const mk = (conn: TlsConnection, peer: () => End, isClient: boolean): End => {
    const e: End = { pump: undefined as unknown as TlsPump, got: [], errors: [], ended: false };
    e.pump = new TlsPump(conn, {
      send: (b) => {
        if (isClient && transport.sendFails) return Promise.reject(new TlsError('TransportError', { detail: 'send refused by the test' }));
        if (isClient) transport.sent += b.length;
        const copy = new Uint8Array(b);
        setImmediate(() => peer().pump.push(copy));
      },
      deliver: (d) => {
        e.got.push(new Uint8Array(d));
      },
      readEnded: () => {
        e.ended = true;
      },
      error: (err) => e.errors.push(err),
    });
    return e;
  };
  const cc = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: clientCrypto, cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  const sc = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, crypto: 'pure', cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  let client: End;
  let server: End;
  client = mk(cc, () => server, true);
  server = mk(sc, () => client, false);
  void server.pump.start();
  void client.pump.start();
  return { client, server, transport };
}

async function until(what: () => boolean, label: string): Promise<void> {
  for (let i = 0; i < 2000 && !what(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!what()) expect.fail(`timed out waiting for ${label}`);
}

const chunk = (i: number, n = 16 * 1024): Uint8Array => Uint8Array.from({ length: n }, (_, j) => (i * 31 + j * 7) & 0xff);
const joined = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** Writes as Node's Writable does: the next write once the previous one is done. */
async function writeAll(pump: TlsPump, parts: Uint8Array[], via: 'writeNow' | 'write'): Promise<void> {
  for (const p of parts) {
    if (via === 'write') await pump.write(p);
    else {
      const w = pump.writeNow(p);
      if (w) await w;
    }
  }
}

describe.each(['writeNow', 'write'] as const)('TlsPump with an async AEAD: writes sealed behind (%s)', (via) => {
  it('many 16 KiB writes: the peer gets every byte in order, seals overlap, close_notify comes last', async () => {
    const { crypto, seals: stats } = countingWebcrypto();
    const { client, server } = pair(crypto);
    await client.pump.connection.handshake();
    const parts = Array.from({ length: 48 }, (_, i) => chunk(i));
    await writeAll(client.pump, parts, via);
    await client.pump.close();
    await until(() => server.ended, 'the server to see close_notify');
    expect(client.errors).toEqual([]);
    expect(server.errors).toEqual([]);
    expect(Buffer.compare(joined(server.got), joined(parts))).toBe(0);
    // Concurrency is the point; the mark bounds it (64 KiB = 4 records, plus the write that reaches it).
    // (One write at a time would leave at most 2: the last record and close_notify.)
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(4);
    expect(stats.maxInFlight).toBeLessThanOrEqual(5);
  });

  it('a write larger than the mark waits for its records to be sent', async () => {
    const { crypto } = countingWebcrypto();
    const { client, server, transport } = pair(crypto);
    await client.pump.connection.handshake();
    const big = chunk(7, 200 * 1024);
    const before = transport.sent;
    await writeAll(client.pump, [big], via);
    // Taken only once all of it reached the transport (records plus their overhead).
    expect(transport.sent - before).toBeGreaterThan(big.length);
    await client.pump.close();
    await until(() => server.ended, 'close_notify');
    expect(Buffer.compare(joined(server.got), big)).toBe(0);
  });

  it('the transport fails while records are sent behind the writes: reported once, the next write throws, no hang', async () => {
    const { crypto } = countingWebcrypto();
    const { client, transport } = pair(crypto);
    await client.pump.connection.handshake();
    transport.sendFails = true;
    // Small writes: each is taken at once; their send fails behind them.
    const first = client.pump.writeNow(chunk(1, 1000));
    expect(first).toBeUndefined();
    await until(() => client.errors.length > 0, 'the send failure to be reported');
    expect(client.errors.map((e) => e.status)).toEqual(['TransportError']);
    const next = via === 'write' ? client.pump.write(chunk(2, 1000)) : Promise.resolve().then(() => client.pump.writeNow(chunk(2, 1000)));
    await expect(next).rejects.toMatchObject({ status: 'TransportError' });
    await new Promise((r) => setTimeout(r, 20));
    expect(client.errors).toHaveLength(1);
  });

  it('a seal fails: the connection error is reported and the next write throws it', async () => {
    const { crypto, seals: stats, failSealsAfter } = countingWebcrypto();
    const { client } = pair(crypto);
    await client.pump.connection.handshake();
    failSealsAfter(stats.calls); // the next seal rejects
    const w = via === 'write' ? client.pump.write(chunk(3, 1000)) : client.pump.writeNow(chunk(3, 1000));
    if (w) await w.catch(() => undefined);
    await until(() => client.errors.length > 0, 'the seal failure to be reported');
    expect(client.errors[0]).toBeInstanceOf(TlsError);
    const err = client.pump.connection.error;
    expect(err).not.toBeNull();
    expect(client.errors[0]!.status).toBe(err!.status);
    const next = via === 'write' ? client.pump.write(chunk(4, 1000)) : Promise.resolve().then(() => client.pump.writeNow(chunk(4, 1000)));
    await expect(next).rejects.toBeInstanceOf(TlsError);
  });
});
