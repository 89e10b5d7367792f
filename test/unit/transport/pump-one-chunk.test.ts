/**
 * {@link TlsPump} over a synchronous provider opens and routes a chunk's records in one pass
 * (ConnectionCore.processNow). A hostile or merely busy peer can put anything in one chunk:
 * data, a KeyUpdate asking for ours (RFC 9846 §4.6.3), data under the new keys, an alert.
 * Everything must come out as the records said, in their order: data before the key change
 * and after it delivered in order, our KeyUpdate sent, the close_notify (RFC 9846 §6.1)
 * ending the read side after the last data, and a fatal alert reported after the data
 * before it, with nothing thrown out of push().
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import type { TlsError } from '../../../src/base/errors.js';
import '../../../src/crypto/native.js';
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
  wire: Uint8Array[];
  ended: boolean;
}

function end(conn: TlsConnection, transferInput: boolean): End {
  const e: End = { pump: undefined as unknown as TlsPump, got: [], errors: [], wire: [], ended: false };
  e.pump = new TlsPump(
    conn,
    {
      send: (b) => {
        e.wire.push(b.slice());
      },
      deliver: (d) => {
        e.got.push(d.slice());
        return true;
      },
      readEnded: () => {
        e.ended = true;
      },
      error: (err) => e.errors.push(err),
    },
    { transferInput },
  );
  return e;
}

async function settle(a: End, b: End): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const x = a.wire.splice(0);
    const y = b.wire.splice(0);
    if (x.length === 0 && y.length === 0) return;
    if (x.length > 0) b.pump.push(new Uint8Array(Buffer.concat(x)));
    if (y.length > 0) a.pump.push(new Uint8Array(Buffer.concat(y)));
    await a.pump.whenIdle();
    await b.pump.whenIdle();
  }
  expect.fail('the pair does not settle');
}

const bytesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

async function pair(crypto: 'pure' | 'native', transfer: boolean) {
  const client = end(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto }), transfer);
  const server = end(TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto, sessionTickets: 0 }), transfer);
  await server.pump.start();
  await client.pump.start();
  await settle(client, server);
  expect(client.pump.connection.handshakeComplete && server.pump.connection.handshakeComplete).toBe(true);
  return { client, server };
}

// transferInput: one record taken per receive(); without it the whole chunk is buffered and
// processNow opens several records in one call.
describe.each([
  ['pure', true],
  ['pure', false],
  ['native', true],
  ['native', false],
] as const)('one chunk, many records (%s provider, transferInput %s)', (crypto, transfer) => {
  it('data, a KeyUpdate asking for ours, data under the new keys, close_notify: all in order, our KeyUpdate sent, then the end', async () => {
    const { client, server } = await pair(crypto, transfer);
    const a = bytesOf(20_000, 1);
    const b = bytesOf(3_000, 2);
    // Everything the server sends, gathered into one chunk for the client.
    const conn = server.pump.connection;
    conn.write(a);
    conn.keyUpdate(true);
    conn.write(b);
    conn.close();
    await conn.settled();
    const chunk: Uint8Array[] = [];
    for (let o = conn.takeOutput(); o; o = conn.takeOutput()) chunk.push(o.slice());
    expect(chunk.length).toBeGreaterThan(0);
    client.pump.push(new Uint8Array(Buffer.concat(chunk)));
    await client.pump.whenIdle();
    expect(client.errors).toEqual([]);
    expect(Buffer.concat(client.got).equals(Buffer.concat([a, b]))).toBe(true);
    expect(client.ended).toBe(true);
    // Our KeyUpdate went out: the server reads it, and data under our new keys.
    const c = bytesOf(1_000, 3);
    await client.pump.write(c);
    await settle(client, server);
    expect(server.errors).toEqual([]);
    expect(Buffer.concat(server.got).equals(Buffer.from(c))).toBe(true);
  });

  it('data, then a record that does not open, in one chunk: the data first, then bad_record_mac reported, nothing thrown', async () => {
    const { client, server } = await pair(crypto, transfer);
    const a = bytesOf(5_000, 4);
    const conn = server.pump.connection;
    conn.write(a);
    conn.write(bytesOf(100, 5));
    await conn.settled();
    const records: Uint8Array[] = [];
    for (let o = conn.takeOutput(); o; o = conn.takeOutput()) records.push(o.slice());
    const all = Buffer.concat(records);
    // The last record's last byte (its tag) flipped.
    all[all.length - 1]! ^= 1;
    expect(() => client.pump.push(new Uint8Array(all))).not.toThrow();
    await client.pump.whenIdle();
    expect(Buffer.concat(client.got).equals(Buffer.from(a))).toBe(true);
    expect(client.errors.map((e) => e.status)).toEqual(['BadRecordMac']);
    // The alert was sent to the server.
    expect(client.wire.length).toBeGreaterThan(0);
  });
});

// Bulk data over a synchronous provider: every chunk is opened, delivered and answered in the
// call that pushed it, without a promise of the engine's (connection.process() builds several
// per call; the drive loop takes processNow() / flushNow() and waits only for what must wait).
describe.each([
  ['pure', true],
  ['native', true],
  ['native', false],
] as const)('chunks of bulk data after the handshake (%s provider, transferInput %s)', (crypto, transfer) => {
  it('are processed without connection.process(), all data delivered in order', async () => {
    const { client, server } = await pair(crypto, transfer);
    const conn = server.pump.connection;
    const a = bytesOf(100_000, 6);
    conn.write(a);
    const wire: Uint8Array[] = [];
    for (let o = conn.takeOutput(); o; o = conn.takeOutput()) wire.push(o.slice());
    const all = Buffer.concat(wire);
    const engine = client.pump.connection;
    let processCalls = 0;
    const original = engine.process.bind(engine);
    engine.process = () => {
      processCalls++;
      return original();
    };
    // Socket-sized chunks that cut records anywhere.
    for (let off = 0; off < all.length; off += 7_001) {
      client.pump.push(new Uint8Array(all.subarray(off, off + 7_001)));
      await client.pump.whenIdle();
    }
    expect(client.errors).toEqual([]);
    expect(Buffer.concat(client.got).equals(Buffer.from(a))).toBe(true);
    expect(processCalls).toBe(0);
  });
});
