/**
 * Adversarial campaign against receive-side pipelining with an async AEAD (src/record/layer.ts
 * `RecordReader.receive` / `fillAhead` / `nextAsync` / `turn`, src/record/protector.ts
 * `openAhead` / `finishAhead`): a man in the middle duplicates, reorders, drops, truncates or
 * corrupts records of a burst, replays records of an old key after a KeyUpdate, or injects
 * plaintext records; the `webcrypto` client (records opened ahead, concurrently) must end
 * exactly as the `pure` client (records opened one at a time, in order): same plaintext
 * delivered, same error status and alert, same phase. RFC 9846 §5.2 / §5.3: every record is
 * opened under the key and sequence number in force at its turn, and a record that fails is
 * fatal at its turn (bad_record_mac), never earlier and never skipped.
 *
 * Also: no unhandled promise rejection anywhere in a run (a guess that fails and is dropped
 * must settle into nothing), and the opens in flight and the memory held stay bounded while a
 * peer floods tiny records to an application that does not read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandled } from '../helpers/unhandled.js';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { countingWebcrypto, type CallStats } from '../helpers/counting-webcrypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { MAX_RECORDS_AHEAD } from '../../src/record/layer.js';
import { ContentType } from '../../src/wire/codes.js';
import { encodeRecords, parseRecords, type Rec } from '../helpers/mitm.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { feed as feedChunks, output } from '../helpers/feed.js';
import { createClientConfig, createServerConfig } from '../../src/engine/setup.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';

let pki: TestPki;
failOnUnhandled();
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Which = 'webcrypto' | 'pure';
type Version = 'TLSv1.2' | 'TLSv1.3';

interface Pair {
  client: TlsConnection;
  server: TlsConnection;
  opens: CallStats | null;
}

async function connected(which: Which, version: Version): Promise<Pair> {
  const w = which === 'webcrypto' ? countingWebcrypto() : null;
  const crypto = w ? w.crypto : nobleProvider;
  const common = { crypto, minVersion: version, maxVersion: version } as const;
  const suites = version === 'TLSv1.3' ? { cipherSuites: ['TLS_AES_128_GCM_SHA256'] } : { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] };
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common, ...suites });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common, ...suites });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server, opens: w ? w.opens : null };
}

/** Feeds on after a failure: nothing more may be delivered (see helpers/feed.ts). */
const feed = (conn: TlsConnection, bytes: Uint8Array, cuts: readonly number[] = [], transfer = false): Promise<Uint8Array> => feedChunks(conn, bytes, cuts, transfer, false);

/** Like {@link feed} but receive() is called again while process() is still running (a transport that does not wait). */
async function feedEager(conn: TlsConnection, bytes: Uint8Array, chunk: number): Promise<Uint8Array> {
  const read: Uint8Array[] = [];
  let off = 0;
  const runs: Promise<void>[] = [];
  for (let guard = 0; off < bytes.length; guard++) {
    if (guard > 100_000) throw new Error('feedEager: no progress');
    const n = conn.receive(new Uint8Array(bytes.subarray(off, Math.min(bytes.length, off + chunk))));
    off += n;
    runs.push(conn.process());
    for (let d; (d = conn.read()) !== null; ) read.push(d);
    if (n === 0) await runs[runs.length - 1];
    else await Promise.resolve();
  }
  await Promise.all(runs);
  await conn.process();
  for (let d; (d = conn.read()) !== null; ) read.push(d);
  return join(read);
}

interface Outcome {
  read: Uint8Array;
  status: string | null;
  alert: number | null;
  phase: string;
}

/** MITM operations on the records of a burst (after one primer record has flowed). */
type Op =
  | { kind: 'dup'; at: number }
  | { kind: 'swap'; at: number }
  | { kind: 'drop'; at: number }
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'shorten'; at: number; by: number }
  | { kind: 'inject'; at: number; type: number; len: number }
  | { kind: 'replayOld'; at: number; from: number }
  | { kind: 'badHeader'; at: number; type: number; len: number };

function applyOp(recs: Rec[], op: Op, old: Rec[]): Rec[] {
  const r = recs.slice();
  const i = op.at % Math.max(1, r.length);
  switch (op.kind) {
    case 'dup':
      r.splice(i, 0, r[i]!);
      break;
    case 'swap':
      if (i + 1 < r.length) [r[i], r[i + 1]] = [r[i + 1]!, r[i]!];
      break;
    case 'drop':
      r.splice(i, 1);
      break;
    case 'flip': {
      const f = r[i]!.fragment.slice();
      f[op.byte % f.length]! ^= 0x80;
      r[i] = { ...r[i]!, fragment: f };
      break;
    }
    case 'shorten': {
      const f = r[i]!.fragment;
      r[i] = { ...r[i]!, fragment: f.slice(0, Math.max(0, f.length - (op.by % (f.length + 1)))) };
      break;
    }
    case 'inject':
      r.splice(i, 0, { type: op.type, version: 0x0303, fragment: payload(op.len, op.at) });
      break;
    case 'badHeader':
      // An unknown content type, or a length over the limit (the bytes after the header are the records that follow).
      r.splice(i, 0, { type: op.type, version: 0x0303, fragment: new Uint8Array(op.len) });
      break;
    case 'replayOld':
      if (old.length > 0) r.splice(i, 0, old[op.from % old.length]!);
      break;
  }
  return r;
}

interface Plan {
  sizes: number[];
  keyUpdateAt: number | null;
  op: Op;
  cuts: number[];
  eager: boolean;
}

async function runPlan(which: Which, version: Version, plan: Plan): Promise<Outcome & { opens: CallStats | null; records: number }> {
  const p = await connected(which, version);
  // Prime: one record flows first (pipelining under way), and is kept for replay.
  p.server.write(Uint8Array.of(1, 2, 3));
  const primer = await output(p.server);
  expect(await feed(p.client, primer)).toEqual(Uint8Array.of(1, 2, 3));
  const old = parseRecords(primer);
  plan.sizes.forEach((n, i) => {
    if (version === 'TLSv1.3' && plan.keyUpdateAt === i) p.server.keyUpdate(false);
    p.server.write(payload(n, 1000 + i));
  });
  const wire = await output(p.server);
  const recs = applyOp(parseRecords(wire), plan.op, old);
  const bytes = encodeRecords(recs);
  const read = plan.eager ? await feedEager(p.client, bytes, 500 + (plan.cuts[0] ?? 0) % 40000) : await feed(p.client, bytes, plan.cuts, true);
  // The connection is settled for good: another process() delivers nothing more.
  await p.client.process();
  const more = p.client.read();
  return {
    read: more ? join([read, more]) : read,
    status: p.client.error?.status ?? null,
    alert: p.client.error?.alert ?? null,
    phase: p.client.phase,
    opens: p.opens,
    records: recs.length,
  };
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(20) }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(20) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat(20) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(20), byte: fc.nat() }),
  fc.record({ kind: fc.constant('shorten' as const), at: fc.nat(20), by: fc.nat(40) }),
  fc.record({ kind: fc.constant('inject' as const), at: fc.nat(20), type: fc.constantFrom(20, 21, 22, 23), len: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('replayOld' as const), at: fc.nat(20), from: fc.nat() }),
  fc.record({ kind: fc.constant('badHeader' as const), at: fc.nat(20), type: fc.constantFrom(23, 99), len: fc.constantFrom(19_000, 30, 0) }),
);

const planArb = (version: Version): fc.Arbitrary<Plan> =>
  fc.record({
    sizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 16_000, max: 16_384 })), { minLength: 2, maxLength: 14 }),
    keyUpdateAt: version === 'TLSv1.3' ? fc.option(fc.nat(13)) : fc.constant(null),
    op: opArb,
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
    eager: fc.boolean(),
  });

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: a man in the middle on a burst read with records opened ahead', (version) => {
  it('duplicated, reordered, dropped, truncated, corrupted, injected or replayed records: webcrypto ends exactly as pure', async () => {
    await fc.assert(
      fc.asyncProperty(planArb(version), async (plan) => {
        const w = await runPlan('webcrypto', version, plan);
        const q = await runPlan('pure', version, plan);
        expect({ status: w.status, alert: w.alert, phase: w.phase }).toEqual({ status: q.status, alert: q.alert, phase: q.phase });
        expect(sameBytes(w.read, q.read)).toBe(true);
        // Every MITM op here but a harmless one breaks the stream: the pure client fails.
        // Opens stay proportional to what was received (a guess per record at most, plus the
        // guesses a key change drops).
        expect(w.opens!.calls).toBeLessThanOrEqual(2 * (w.records + 1) + MAX_RECORDS_AHEAD * 2 + 4);
        expect(w.opens!.maxInFlight).toBeLessThanOrEqual(2 * MAX_RECORDS_AHEAD + 2);
      }),
      { numRuns: 60 },
    );
  });
});

describe('0-RTT (RFC 9846 §4.3.10) on a webcrypto server: early data opened ahead, then the key changes mid-burst', () => {
  /** Runs a resumed handshake with `early` bytes of 0-RTT data; the tail of the early data arrives in one chunk with the client's second flight and data after it. */
  async function early(which: Which, accept: boolean, earlyLen: number, tamper: 'none' | 'dupEarly' | 'swapEarly'): Promise<Outcome & { info: string; maxInFlight: number }> {
    const counting = which === 'webcrypto' ? countingWebcrypto() : null;
    const crypto = counting ? counting.crypto : nobleProvider;
    const store = new MemorySessionStore();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: store, crypto, cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1 << 17, crypto, ...(accept ? {} : { replayRegister: { claim: () => false } }) });
    // A first connection for the ticket.
    {
      const c = TlsConnection.client(cc, { servername: 'localhost' });
      const s = TlsConnection.server(sc);
      await pump(c, s);
      expect(c.error).toBeNull();
    }
    const data = payload(earlyLen, 77);
    const after = [payload(16384, 78), payload(5, 79), payload(16384, 80)];
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: data });
    const server = TlsConnection.server(sc);
    await client.start();
    const flight1 = parseRecords(await output(client));
    // ClientHello (and the compatibility CCS) and the first early record now; the rest later.
    const firstData = flight1.findIndex((r) => r.type === ContentType.application_data);
    const head = flight1.slice(0, firstData + 1);
    let tail = flight1.slice(firstData + 1);
    if (tamper === 'dupEarly' && tail.length > 0) tail = [tail[0]!, ...tail];
    if (tamper === 'swapEarly' && tail.length > 1) tail = [tail[1]!, tail[0]!, ...tail.slice(2)];
    const read: Uint8Array[] = [await feed(server, encodeRecords(head))];
    await feed(client, await output(server));
    for (const w of after) client.write(w);
    const flight2 = await output(client);
    read.push(await feed(server, join([encodeRecords(tail), flight2]), [], true));
    return {
      read: join(read),
      status: server.error?.status ?? null,
      alert: server.error?.alert ?? null,
      phase: server.phase,
      info: `${server.info.earlyData}`,
      maxInFlight: counting ? counting.opens.maxInFlight : 1,
    };
  }

  it.each([
    [true, 'none'],
    [false, 'none'],
    [true, 'dupEarly'],
    [true, 'swapEarly'],
    [false, 'dupEarly'],
  ] as const)('accepted %s, %s: webcrypto ends exactly as pure', async (accept, tamper) => {
    const w = await early('webcrypto', accept, 60_000, tamper);
    const q = await early('pure', accept, 60_000, tamper);
    expect({ status: w.status, alert: w.alert, phase: w.phase, info: w.info }).toEqual({ status: q.status, alert: q.alert, phase: q.phase, info: q.info });
    expect(sameBytes(w.read, q.read)).toBe(true);
    if (tamper === 'none') {
      expect(w.status).toBeNull();
      expect(w.info).toBe(accept ? 'accepted' : 'rejected');
      // Rejected early data is sent again after the handshake (retryEarlyData): delivered once either way.
      expect(w.read.length).toBe(60_000 + 16384 * 2 + 5);
      // Accepted: the early records were opened ahead, several at once.
      if (accept) expect(w.maxInFlight).toBeGreaterThan(1);
    }
  });
});

describe('0-RTT after a HelloRetryRequest (RFC 9846 §4.3.10: the server skips application_data records)', () => {
  async function hrr(which: Which, extraEarly: 'none' | 'dup' | 'junk'): Promise<Outcome> {
    const crypto = which === 'webcrypto' ? countingWebcrypto().crypto : nobleProvider;
    const store = new MemorySessionStore();
    const keys = new TicketKeySet();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: store, crypto, cipherSuites: ['TLS_AES_128_GCM_SHA256'], keyShareGroups: ['x25519'] });
    const a = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1 << 17, crypto, ticketKeys: keys });
    // The skip budget of the server before the fix (64 KiB; the default is now larger with maxEarlyData 128 KiB), so that 'dup' and 'junk' still exceed it.
    const b = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1 << 17, maxSkippedEarlyData: 65536, crypto, ticketKeys: keys, groups: ['secp256r1'] });
    {
      const c = TlsConnection.client(cc, { servername: 'localhost' });
      const s = TlsConnection.server(a);
      await pump(c, s);
      expect(c.error).toBeNull();
    }
    const early = payload(50_000, 90);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: early });
    const server = TlsConnection.server(b);
    await client.start();
    const flight1 = parseRecords(await output(client));
    const firstData = flight1.findIndex((r) => r.type === ContentType.application_data);
    let tail = flight1.slice(firstData + 1);
    if (extraEarly === 'dup') tail = [...tail, ...tail];
    if (extraEarly === 'junk') tail = [...tail, { type: 23, version: 0x0303, fragment: payload(16_000, 3) }];
    const read: Uint8Array[] = [await feed(server, encodeRecords(flight1.slice(0, firstData + 1)))];
    await feed(client, await output(server)); // the HelloRetryRequest
    // The rest of the early data arrives with the second ClientHello.
    read.push(await feed(server, join([encodeRecords(tail), await output(client)]), [], true));
    await feed(client, await output(server));
    read.push(await feed(server, await output(client), [], true));
    return { read: join(read), status: server.error?.status ?? null, alert: server.error?.alert ?? null, phase: server.phase };
  }

  it.each(['none', 'dup', 'junk'] as const)('skipped early records (%s extra): webcrypto ends exactly as pure', async (extra) => {
    const w = await hrr('webcrypto', extra);
    const q = await hrr('pure', extra);
    expect(w).toEqual(q);
    if (extra === 'none') {
      expect(w.status).toBeNull();
      // Early data rejected by the HelloRetryRequest is sent again after the handshake.
      expect(sameBytes(w.read, payload(50_000, 90))).toBe(true);
    } else {
      // More skipped than the budget allows (maxSkippedEarlyData): refused the same way.
      expect(w.status).toBe('UnexpectedMessage');
    }
  });
});

describe('floods a hostile peer may send between records opened ahead', () => {
  it.each([10, 40, 300])('%i KeyUpdates in a row (update_requested on every third), then data: webcrypto ends exactly as pure', async (n) => {
    const run = async (which: Which): Promise<Outcome & { answered: number }> => {
      const p = await connected(which, 'TLSv1.3');
      p.server.write(Uint8Array.of(1));
      await feed(p.client, await output(p.server));
      for (let i = 0; i < n; i++) p.server.keyUpdate(i % 3 === 0);
      p.server.write(payload(16384, 5));
      p.server.write(payload(100, 6));
      const read = await feed(p.client, await output(p.server), [], true);
      // What the client answered (its own KeyUpdates) still opens at the server in order.
      const back = await output(p.client);
      await feed(p.server, back);
      return { read, status: p.client.error?.status ?? null, alert: p.client.error?.alert ?? null, phase: p.client.phase, answered: p.server.error === null ? 1 : 0 };
    };
    const w = await run('webcrypto');
    const q = await run('pure');
    expect(w).toEqual(q);
    // maxKeyUpdates (default 32) without application data between them: a flood, refused the same way.
    expect(w.status).toBe(n > 32 ? 'UnexpectedMessage' : null);
  });
});

describe('a transport that reuses its read buffer at once (receive() without transfer)', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: records taken ahead never alias the caller\'s bytes: scribbling over them after receive() changes nothing', async (version) => {
    const p = await connected('webcrypto', version);
    p.server.write(Uint8Array.of(1));
    await feed(p.client, await output(p.server));
    const sent = Array.from({ length: 14 }, (_, i) => payload(i % 3 === 0 ? 100 : 16384, 900 + i));
    sent.forEach((w, i) => {
      if (version === 'TLSv1.3' && i % 5 === 4) p.server.keyUpdate(i % 2 === 0);
      p.server.write(w);
    });
    const wire = await output(p.server);
    const buf = new Uint8Array(40_000);
    const read: Uint8Array[] = [];
    for (let off = 0; off < wire.length; ) {
      const len = Math.min(buf.length, wire.length - off);
      buf.set(wire.subarray(off, off + len));
      let taken = 0;
      while (taken < len) {
        const n = p.client.receive(buf.subarray(taken, len));
        taken += n;
        buf.fill(0xaa, 0, taken); // the transport's next read lands here
        const run = p.client.process();
        buf.fill(0x55);
        await run;
        buf.set(wire.subarray(off + taken, off + len), taken); // what it had not taken yet is offered again
        for (let d; (d = p.client.read()) !== null; ) read.push(d);
      }
      off += len;
    }
    await p.client.process();
    for (let d; (d = p.client.read()) !== null; ) read.push(d);
    expect(p.client.error).toBeNull();
    expect(sameBytes(join(read), join(sent))).toBe(true);
  });
});
