/**
 * Receive-side pipelining with an async AEAD (src/record/layer.ts `RecordReader.receive` /
 * `nextAsync`, src/record/protector.ts `openAhead` / `finishAhead`): with the `webcrypto`
 * provider in both roles, several records received in one chunk are opened concurrently,
 * each with its own sequence number, and handed to the state machine strictly in order.
 *
 * - many records in one chunk come out exactly as written, and their opens really overlap;
 * - a KeyUpdate in the middle of a burst (RFC 9846 §4.6.3: the records after it are under
 *   the next key, sequence numbers from 0, §5.3): guesses made under the old key are dropped
 *   and the records opened again (a failed guess is not an error), with update_requested too;
 * - a corrupted record in the middle: BadRecordMac at its turn, nothing after it delivered;
 * - close_notify in the middle followed by junk: the junk is ignored (RFC 9846 §6.1);
 * - a fatal alert in the middle: AlertReceived, nothing after it delivered;
 * - a hand-off export while records are being opened ahead loses none of them;
 * - a property: random record sizes, KeyUpdates and chunking give back exactly what was written.
 *
 * Each scenario is also run with the pure provider (no pipelining: its AEAD is synchronous)
 * and the outcomes compared.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { countingWebcrypto, type CallStats } from '../helpers/counting-webcrypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { MAX_RECORDS_AHEAD } from '../../src/record/layer.js';
import { ContentType } from '../../src/wire/codes.js';
import { encodeRecords, parseRecords, type Rec } from '../helpers/mitm.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { feed, output } from '../helpers/feed.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Which = 'webcrypto' | 'pure';

interface Pair {
  client: TlsConnection;
  server: TlsConnection;
  stats: CallStats | null;
}

async function connected(which: Which, version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<Pair> {
  const w = which === 'webcrypto' ? countingWebcrypto() : null;
  const crypto = w ? w.crypto : nobleProvider;
  const common = { crypto, minVersion: version, maxVersion: version } as const;
  const suites = version === 'TLSv1.3' ? { cipherSuites: ['TLS_AES_128_GCM_SHA256'] } : { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] };
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common, ...suites });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common, ...suites });
  await pump(client, server);
  expect(client.error).toBeNull();
  expect(server.error).toBeNull();
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  if (w) expect(client.info.cipherSuite).toBe(version === 'TLSv1.3' ? 'TLS_AES_128_GCM_SHA256' : 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  return { client, server, stats: w ? w.opens : null };
}

/** One application-data record from server to client, so that pipelining is under way. */
async function prime(p: Pair): Promise<void> {
  p.server.write(new Uint8Array([7, 7, 7]));
  expect(await feed(p.client, await output(p.server))).toEqual(new Uint8Array([7, 7, 7]));
}

const writes = (sizes: readonly number[], seed: number): Uint8Array[] => sizes.map((n, i) => payload(n, seed + i));

describe('webcrypto: records opened concurrently, handed out in order', () => {
  it('many records in one chunk: exactly the bytes written, and their opens overlap', async () => {
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const p = await connected('webcrypto', version);
      await prime(p);
      const sent = writes([1, 100, 16384, 5000, 16384, 300, 16384, 16384, 2, 9000, 16384, 16384, 700, 40000], 1);
      for (const w of sent) p.server.write(w);
      const wire = await output(p.server);
      const opensBefore = p.stats!.calls;
      const got = await feed(p.client, wire, [], true);
      expect(p.client.error).toBeNull();
      expect(sameBytes(got, join(sent))).toBe(true);
      // Pipelining happened (more than one open in flight), within its bound, and no record was opened twice.
      expect(p.stats!.maxInFlight).toBeGreaterThan(1);
      expect(p.stats!.maxInFlight).toBeLessThanOrEqual(MAX_RECORDS_AHEAD + 1);
      expect(p.stats!.calls - opensBefore).toBe(parseRecords(wire).length);
      // The client still talks back under its own keys.
      p.client.write(new Uint8Array([1, 2, 3]));
      expect(await feed(p.server, await output(p.client))).toEqual(new Uint8Array([1, 2, 3]));
    }
  });

  it('a burst received before any application data (pipelining starts with the first record) in 1-byte to whole chunks', async () => {
    for (const cuts of [[], [1, 2, 3], [5, 17000, 17001, 33000], Array.from({ length: 60 }, (_, i) => i * 997)]) {
      const p = await connected('webcrypto');
      const sent = writes([16384, 16384, 10, 16384, 16384, 20], 40);
      for (const w of sent) p.server.write(w);
      const got = await feed(p.client, await output(p.server), cuts, cuts.length % 2 === 0);
      expect(p.client.error).toBeNull();
      expect(sameBytes(got, join(sent))).toBe(true);
    }
  });

  it.each([false, true])('KeyUpdate in the middle of a burst (update_requested: %s): guesses under the old key are dropped, not errors', async (requested) => {
    const p = await connected('webcrypto');
    await prime(p);
    const before = writes([1000, 16384, 200, 16384], 10);
    const after = writes([16384, 50, 16384, 16384, 16384, 3000], 20);
    for (const w of before) p.server.write(w);
    p.server.keyUpdate(requested);
    for (const w of after) p.server.write(w);
    const wire = await output(p.server);
    const opensBefore = p.stats!.calls;
    const got = await feed(p.client, wire, [], true);
    expect(p.client.error).toBeNull();
    expect(sameBytes(got, join([...before, ...after]))).toBe(true);
    // Records after the KeyUpdate were opened ahead under the old key, dropped, and opened again.
    expect(p.stats!.calls - opensBefore).toBeGreaterThan(parseRecords(wire).length);
    // update_requested: the client answered with its own KeyUpdate (RFC 9846 §4.6.3), which the
    // server takes; data the client writes next reaches the server under the client's new key.
    p.client.write(new Uint8Array([4, 5, 6]));
    const back = await output(p.client);
    const records = parseRecords(back).length;
    expect(records).toBe(requested ? 2 : 1);
    expect(await feed(p.server, back)).toEqual(new Uint8Array([4, 5, 6]));
    expect(p.server.error).toBeNull();
  });

  it('KeyUpdate and data records alternating: every record in order, at most MAX_RECORDS_AHEAD wasted opens per KeyUpdate', async () => {
    const p = await connected('webcrypto');
    await prime(p);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      p.server.keyUpdate(i % 3 === 0);
      const w = payload(i % 2 === 0 ? 16384 : 100, 200 + i);
      sent.push(w);
      p.server.write(w);
    }
    const wire = await output(p.server);
    const opensBefore = p.stats!.calls;
    const got = await feed(p.client, wire, [], true);
    expect(p.client.error).toBeNull();
    expect(sameBytes(got, join(sent))).toBe(true);
    const opens = p.stats!.calls - opensBefore;
    expect(opens).toBeGreaterThan(parseRecords(wire).length); // guesses were made and dropped
    expect(opens).toBeLessThanOrEqual(parseRecords(wire).length + MAX_RECORDS_AHEAD * 20);
    expect(await feed(p.server, await output(p.client))).toEqual(new Uint8Array(0));
    expect(p.server.error).toBeNull();
  });

  it('two KeyUpdates back to back, and one as the first record of a burst', async () => {
    const p = await connected('webcrypto');
    await prime(p);
    p.server.keyUpdate(false);
    const a = writes([16384, 16384], 30);
    for (const w of a) p.server.write(w);
    p.server.keyUpdate(true);
    p.server.keyUpdate(false);
    const b = writes([16384, 1, 16384, 16384], 35);
    for (const w of b) p.server.write(w);
    const got = await feed(p.client, await output(p.server));
    expect(p.client.error).toBeNull();
    expect(sameBytes(got, join([...a, ...b]))).toBe(true);
    expect(await feed(p.server, await output(p.client))).toEqual(new Uint8Array(0));
    expect(p.server.error).toBeNull();
  });
});

/** What the client made of a scenario: plaintext read, error status and alert, phase. */
interface Outcome {
  read: Uint8Array;
  status: string | null;
  alert: number | null;
  phase: string;
}

async function run(which: Which, scenario: (p: Pair) => Promise<Uint8Array>, version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<Outcome & { pair: Pair }> {
  const p = await connected(which, version);
  await prime(p);
  const read = await feed(p.client, await scenario(p), [], true);
  return { read, status: p.client.error?.status ?? null, alert: p.client.error?.alert ?? null, phase: p.client.phase, pair: p };
}

/** Runs a scenario with the webcrypto provider and with the pure one: the outcomes must agree. */
async function both(scenario: (p: Pair) => Promise<Uint8Array>, version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<Outcome & { pair: Pair }> {
  const w = await run('webcrypto', scenario, version);
  const q = await run('pure', scenario, version);
  expect({ status: w.status, alert: w.alert, phase: w.phase }).toEqual({ status: q.status, alert: q.alert, phase: q.phase });
  expect(sameBytes(w.read, q.read)).toBe(true);
  return w;
}

/** A record with a valid header and random content (junk the peer never sealed). */
const junk = (n: number, seed: number): Rec => ({ type: ContentType.application_data, version: 0x0303, fragment: payload(n, seed) });

describe('webcrypto: failures and endings in the middle of a burst', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: a corrupted record: BadRecordMac at its turn, everything before it delivered, nothing after', async (version) => {
    const sent = writes([500, 16384, 16384, 7, 16384, 16384, 16384, 100], 50);
    const o = await both(async (p) => {
      for (const w of sent) p.server.write(w);
      const recs = parseRecords(await output(p.server));
      expect(recs.length).toBe(sent.length);
      const f = recs[4]!.fragment.slice();
      f[f.length - 20]! ^= 0x40;
      recs[4] = { ...recs[4]!, fragment: f };
      return encodeRecords(recs);
    }, version);
    expect(o.status).toBe('BadRecordMac');
    expect(o.alert).toBe(20);
    expect(sameBytes(o.read, join(sent.slice(0, 4)))).toBe(true);
    // The connection is failed for good: process() settles, nothing more is read.
    await o.pair.client.process();
    expect(o.pair.client.read()).toBeNull();
  });

  it('a record after a KeyUpdate that fails under the new key is reported (the guess under the old key was not the verdict)', async () => {
    const o = await both(async (p) => {
      p.server.write(payload(16384, 60));
      p.server.keyUpdate(false);
      p.server.write(payload(16384, 61));
      p.server.write(payload(16384, 62));
      const recs = parseRecords(await output(p.server));
      const f = recs[3]!.fragment.slice();
      f[3]! ^= 1;
      recs[3] = { ...recs[3]!, fragment: f };
      return encodeRecords(recs);
    });
    expect(o.status).toBe('BadRecordMac');
    expect(sameBytes(o.read, join([payload(16384, 60), payload(16384, 61)]))).toBe(true);
  });

  it('close_notify in the middle, then junk: the data before it is read, the junk ignored, no error', async () => {
    const sent = writes([16384, 16384, 30, 16384], 70);
    const o = await both(async (p) => {
      for (const w of sent) p.server.write(w);
      p.server.close();
      const recs = parseRecords(await output(p.server));
      return encodeRecords([...recs, junk(16384 + 17, 1), junk(40, 2), junk(16384 + 17, 3), junk(17, 4)]);
    });
    expect(o.status).toBeNull();
    expect(o.phase).toBe('peer-closed');
    expect(sameBytes(o.read, join(sent))).toBe(true);
    expect(o.pair.client.readEnded).toBe(true);
  });

  it('a fatal alert in the middle, then junk: AlertReceived, nothing after it delivered', async () => {
    const sent = writes([16384, 100, 16384], 80);
    const o = await both(async (p) => {
      for (const w of sent) p.server.write(w);
      // The server fails on a record it cannot authenticate and sends bad_record_mac (encrypted).
      p.server.receive(encodeRecords([junk(40, 9)]));
      await p.server.process();
      expect(p.server.error?.status).toBe('BadRecordMac');
      const recs = parseRecords(await output(p.server));
      expect(recs.length).toBe(sent.length + 1);
      return encodeRecords([...recs, junk(16384 + 17, 5), junk(100, 6)]);
    });
    expect(o.status).toBe('AlertReceived');
    expect(o.alert).toBe(20);
    expect(sameBytes(o.read, join(sent))).toBe(true);
  });

  it('records held back while the application does not read stay within the read high-water mark', async () => {
    const p = await connected('webcrypto');
    await prime(p);
    const big = payload(1 << 20, 5);
    p.server.write(big);
    const out = await output(p.server);
    let off = 0;
    for (let i = 0; i < 400 && off < out.length; i++) {
      const n = p.client.receive(out.subarray(off));
      off += n;
      await p.client.process();
      // The read high-water mark (256 KiB) plus the deframer's one record.
      expect(p.client.bufferedBytes).toBeLessThanOrEqual(256 * 1024 + 20000);
      if (n === 0) break;
    }
    expect(off).toBeLessThan(out.length);
    const got = readAll(p.client);
    expect(sameBytes(got, big.subarray(0, got.length))).toBe(true);
    // Reading again lets the rest through, in order.
    const rest = await feed(p.client, out.subarray(off));
    expect(sameBytes(join([got, rest]), big)).toBe(true);
  });

  it.each([
    ['large records, imported on webcrypto', [16384, 16384, 5, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384, 16384], 'webcrypto'],
    ['many small records, imported on pure', Array.from({ length: 120 }, (_, i) => 1 + ((i * 37) % 300)), 'pure'],
  ] as const)('a hand-off export while records are being opened ahead (%s): none is lost or duplicated', async (_name, sizes, importer) => {
    const p = await connected('webcrypto');
    await prime(p);
    const sent = writes(sizes, 90);
    for (const w of sent) p.server.write(w);
    const wire = await output(p.server);
    // Taken ahead by receive() (opens started), not processed yet.
    let off = 0;
    for (let n; off < wire.length && (n = p.client.receive(wire.subarray(off), true)) > 0; ) off += n;
    expect(off).toBeGreaterThan(5 + 16384 + 256); // more than the deframer alone holds
    const crypto = importer === 'pure' ? nobleProvider : countingWebcrypto().crypto;
    const next = TlsConnection.import(p.client.exportState(), { role: 'client', config: { servername: 'localhost', ca: pki.caCertPem, crypto } });
    const got = join([await feed(next, new Uint8Array(0)), await feed(next, wire.subarray(off))]);
    expect(next.error).toBeNull();
    expect(sameBytes(got, join(sent))).toBe(true);
  });

  it('close() while records are being opened ahead: process() settles, nothing is delivered afterwards', async () => {
    const p = await connected('webcrypto');
    await prime(p);
    for (const w of writes([16384, 16384, 16384, 16384], 95)) p.server.write(w);
    const wire = await output(p.server);
    let off = 0;
    for (let n; off < wire.length && (n = p.client.receive(wire.subarray(off))) > 0; ) off += n;
    p.client.close();
    await p.client.process();
    expect(p.client.error).toBeNull();
  });
});

describe('webcrypto pipelining: property', () => {
  const opArb = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('data' as const), size: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.integer({ min: 16_000, max: 40_000 })) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('ku' as const), requested: fc.boolean() }) },
  );

  it('random record sizes, KeyUpdate positions and chunking: the client reads exactly what the server wrote', async () => {
    let seed = 1000;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 16 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), fc.boolean(), async (ops, cuts, transfer, primed) => {
        const p = await connected('webcrypto');
        if (primed) await prime(p);
        const sent: Uint8Array[] = [];
        for (const op of ops) {
          if (op.kind === 'ku') p.server.keyUpdate(op.requested);
          else {
            const w = payload(op.size, seed++);
            sent.push(w);
            p.server.write(w);
          }
        }
        const wire = await output(p.server);
        const opensBefore = p.stats!.calls;
        const got = await feed(p.client, wire, cuts, transfer);
        expect(p.client.error).toBeNull();
        expect(sameBytes(got, join(sent))).toBe(true);
        // Guessing costs at most MAX_RECORDS_AHEAD extra opens per key change (the guesses it
        // drops): work stays proportional to what the peer sends.
        const keyUpdates = ops.filter((o) => o.kind === 'ku').length;
        expect(p.stats!.calls - opensBefore).toBeLessThanOrEqual(parseRecords(wire).length + MAX_RECORDS_AHEAD * keyUpdates);
        // Both sides still agree on keys: the client's answers to update_requested, then data.
        p.client.write(new Uint8Array([9]));
        expect(await feed(p.server, await output(p.client))).toEqual(new Uint8Array([9]));
        expect(p.server.error).toBeNull();
      }),
      { numRuns: 40 },
    );
  });
});
