/**
 * Engine properties (DESIGN.md §5, STYLE.md §6.7), client ↔ server in memory:
 * - any chunking of either byte stream gives the same handshake (equal exporters) and the
 *   same application data, in order (the sans-I/O invariant);
 * - flipping any byte of any record after the ServerHello, in either direction, gives a
 *   fatal alert and a TlsError on both sides, never an exception or a hang;
 * - arbitrary bytes (and mutated real hellos) fed to a fresh client or server give only
 *   TlsErrors, and the connection either fails or waits for more input;
 * - with a fixed `random` and `now`, runs are byte-for-byte reproducible.
 *
 * Runs are bounded (numRuns below) so the file stays well under a minute; set
 * FC_SEED / FC_RUNS_SCALE to reproduce or to search longer.
 */
import fc from 'fast-check';
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { TlsError, type TlsStatus } from '../../src/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType } from '../../src/wire/codes.js';
import { Transcript, cyclic, drive, feed, join, payload, sameBytes, seededRandom, whole, type Chunker, type Direction, type Tamper } from '../helpers/drive.js';
import { readAll } from '../helpers/memory.js';

const SCALE = Number(process.env.FC_RUNS_SCALE ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;
const params = (n: number): fc.Parameters<unknown> => ({ numRuns: runs(n), ...(seed !== undefined ? { seed } : {}) });

/** A fixed clock inside the test certificates' validity. */
const NOW = Date.now();
const now = (): number => NOW;

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function makeClient(o: ClientOptions = {}): TlsConnection {
  return TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, now, ...o });
}
function makeServer(o: Partial<ServerOptions> = {}): TlsConnection {
  return TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, now, ...o });
}

// ------------------------------------------------------------------ arbitraries

/** How one byte stream is cut: whole chunks, single bytes, or cycling random sizes. */
const chunkerArb: fc.Arbitrary<{ label: string; make: () => Chunker }> = fc.oneof(
  fc.constant({ label: 'whole', make: () => whole }),
  fc.constant({ label: '1-byte', make: () => () => 1 }),
  fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 12 }).map((s) => ({ label: `small ${s.join(',')}`, make: () => cyclic(s) })),
  fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 12 }).map((s) => ({ label: `sizes ${s.join(',')}`, make: () => cyclic(s) })),
);

const suiteArb = fc.constantFrom('TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256');

/** Application writes: who writes, how much (up to 100 KiB), and whether before the handshake completed. */
const writesArb = fc.array(
  fc.record({
    from: fc.constantFrom('client' as const, 'server' as const),
    size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 16 * 1024 }), fc.integer({ min: 0, max: 100 * 1024 })),
    early: fc.boolean(),
  }),
  { maxLength: 5 },
);

// ------------------------------------------------------------------ helpers

function expectNoError(...conns: TlsConnection[]): void {
  for (const c of conns) {
    if (c.error) throw new Error(`unexpected ${c.role} error: ${c.error.status} ${c.error.detail ?? ''}`);
  }
}

/** A TlsError of a protocol/peer kind, never a wrapped foreign exception. */
function expectCleanTlsError(e: unknown): asserts e is TlsError {
  expect(e).toBeInstanceOf(TlsError);
  const err = e as TlsError;
  if (err.status === 'InternalError' || (err.cause !== undefined && !(err.cause instanceof TlsError))) {
    throw new Error(`engine bug surfaced as ${err.status}: ${err.detail}`, { cause: err.cause });
  }
}

/** Reads until nothing more arrives, letting the engine decrypt what back-pressure held back. */
async function drainFully(c: TlsConnection): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (;;) {
    await c.process();
    const r = readAll(c);
    if (r.length === 0) return join(parts);
    parts.push(r);
  }
}

// ------------------------------------------------------------------ 1. chunking

describe('any chunking of both byte streams gives the same handshake and data', () => {
  it('completes with equal exporters and delivers every write in order', async () => {
    await fc.assert(
      fc.asyncProperty(chunkerArb, chunkerArb, suiteArb, fc.boolean(), writesArb, fc.nat(), async (c2s, s2c, suite, hrr, writes, dataSeed) => {
        const client = makeClient({ cipherSuites: [suite], ...(hrr ? { keyShareGroups: ['secp256r1'] } : {}) });
        const server = makeServer(hrr ? { groups: ['x25519'] } : {});
        const expected = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
        const doWrite = (w: (typeof writes)[number], i: number): void => {
          const data = payload(w.size, dataSeed + i);
          (w.from === 'client' ? client : server).write(data);
          // What the client writes, the server reads, and vice versa.
          expected[w.from === 'client' ? 'server' : 'client'].push(data);
        };
        writes.forEach((w, i) => w.early && doWrite(w, i));
        // The application reads whenever a receiver's buffer is full (back-pressure), and at the end.
        const got = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
        const onFull = (c: TlsConnection): void => void got[c.role].push(readAll(c));
        const opts = { c2s: c2s.make(), s2c: s2c.make(), onFull };
        await drive(client, server, opts);
        expectNoError(client, server);
        expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
        expect(client.info.helloRetryRequest).toBe(hrr);
        expect(client.info.cipherSuite).toBe(suite);
        expect(server.info.cipherSuite).toBe(suite);
        const ek = client.exportKeyingMaterial('EXPORTER-test', null, 32);
        expect(sameBytes(ek, server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
        writes.forEach((w, i) => !w.early && doWrite(w, i));
        await drive(client, server, opts);
        expectNoError(client, server);
        // Records held back while the read buffer was full are decrypted once it is drained.
        got.server.push(await drainFully(server));
        got.client.push(await drainFully(client));
        expect(sameBytes(join(got.server), join(expected.server))).toBe(true);
        expect(sameBytes(join(got.client), join(expected.client))).toBe(true);
      }),
      params(80),
    );
  });

  it('single-byte pieces in both directions with 100 KiB each way', async () => {
    const client = makeClient();
    const server = makeServer();
    const one = (): number => 1;
    await drive(client, server, { c2s: one, s2c: one });
    const a = payload(100 * 1024, 1);
    const b = payload(100 * 1024, 2);
    client.write(a.subarray(0, 30_000));
    client.write(a.subarray(30_000));
    server.write(b);
    await drive(client, server, { c2s: one, s2c: one });
    expectNoError(client, server);
    expect(sameBytes(readAll(server), a)).toBe(true);
    expect(sameBytes(readAll(client), b)).toBe(true);
    expect(sameBytes(client.exportKeyingMaterial('EXPORTER-test', null, 32), server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
  });
});

// ------------------------------------------------------------------ scripted session

const DATA = {
  c1: payload(3000, 11),
  s1: payload(2500, 12),
  s2: payload(200, 13),
  c2: payload(20_000, 14), // two records
};

interface Session {
  client: TlsConnection;
  server: TlsConnection;
  transcript: Transcript;
}

/**
 * A fixed session: handshake; data both ways; client KeyUpdate(update_requested), which
 * the server answers; more data both ways. Steps after a failure are skipped.
 */
async function session(o: { seed: number; tamper?: Tamper; c2s?: Chunker; s2c?: Chunker }): Promise<Session> {
  const client = makeClient({ random: seededRandom(o.seed), cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  const server = makeServer({ random: seededRandom(o.seed ^ 0x5a5a5a5a) });
  const transcript = new Transcript();
  const d = { transcript, tamper: o.tamper, c2s: o.c2s, s2c: o.s2c };
  const ok = (): boolean => !client.error && !server.error;
  await drive(client, server, d);
  if (ok() && client.handshakeComplete && server.handshakeComplete) {
    client.write(DATA.c1);
    server.write(DATA.s1);
  }
  await drive(client, server, d);
  if (ok() && client.handshakeComplete) client.keyUpdate(true);
  await drive(client, server, d);
  if (ok() && client.handshakeComplete && server.handshakeComplete) {
    server.write(DATA.s2);
    client.write(DATA.c2);
  }
  await drive(client, server, d);
  return { client, server, transcript };
}

function expectSessionData(s: Session): void {
  expectNoError(s.client, s.server);
  expect(sameBytes(readAll(s.server), join([DATA.c1, DATA.c2]))).toBe(true);
  expect(sameBytes(readAll(s.client), join([DATA.s1, DATA.s2]))).toBe(true);
}

// ------------------------------------------------------------------ 2. corruption

describe('corrupting any byte of any record after the ServerHello', () => {
  let ref: Session;
  beforeAll(async () => {
    ref = await session({ seed: 1 });
    expectSessionData(ref);
  });

  it('the reference session has the expected shape', () => {
    // c2s: ClientHello, CCS, {Finished}, [data], [KeyUpdate], [data], [data ×2]
    expect(ref.transcript.types.c2s).toEqual([22, 20, 23, 23, 23, 23, 23]);
    // s2c: ServerHello, CCS, {EE…Finished}, [data], [KeyUpdate], [data]
    expect(ref.transcript.types.s2c).toEqual([22, 20, 23, 23, 23, 23]);
  });

  /** Statuses a receiver may report for a corrupted record. */
  const RECEIVER_STATUSES: readonly TlsStatus[] = ['BadRecordMac', 'DecodeError', 'UnexpectedMessage', 'RecordOverflow'];

  it('gives a fatal alert and a TlsError on both sides (or is ignored where RFC 9846 says so)', async () => {
    const target = fc
      .record({ dir: fc.constantFrom<Direction>('c2s', 's2c'), rec: fc.nat(), off: fc.nat(), x: fc.integer({ min: 1, max: 255 }) })
      .map(({ dir, rec, off, x }) => {
        // Records after the ServerHello: index ≥ 1 both ways (c2s record 0 is the ClientHello).
        const count = ref.transcript.records[dir];
        const index = 1 + (rec % (count - 1));
        const recordBytes = recordAt(ref.transcript, dir, index);
        return { dir, index, off: off % recordBytes.length, x, type: recordBytes[0]!, length: recordBytes.length - 5 };
      });
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        let hit = false;
        const s = await session({
          seed: 1,
          tamper: (dir, index, r) => {
            if (dir !== t.dir || index !== t.index) return r;
            hit = true;
            const c = r.slice();
            c[t.off]! ^= t.x;
            return c;
          },
        });
        expect(hit).toBe(true);
        const [receiver, sender] = t.dir === 'c2s' ? [s.server, s.client] : [s.client, s.server];
        if (t.type !== ContentType.application_data && t.off === 2) {
          // legacy_record_version of a plaintext record "MUST be ignored for all purposes" (RFC 9846 §5.1).
          expectSessionData(s);
          return;
        }
        const newLength = t.off === 3 || t.off === 4 ? lengthAfterFlip(t.length, t.off, t.x) : t.length;
        if (!receiver.error && newLength > t.length) {
          // A longer length field on the last record of a flight: the receiver waits for the rest,
          // which never comes. The transport closing is then a truncation.
          expect(sender.error).toBeNull();
          receiver.end();
          expect((receiver.error as TlsError | null)?.status).toBe('Truncated');
          return;
        }
        expectCleanTlsError(receiver.error);
        expect(RECEIVER_STATUSES).toContain(receiver.error.status);
        expect(receiver.error.source).toBe('local');
        expect(receiver.phase).toBe('failed');
        // The receiver's fatal alert reached the sender, which reports exactly that alert.
        expectCleanTlsError(sender.error);
        expect({ status: sender.error.status, alert: sender.error.alert }).toEqual({ status: 'AlertReceived', alert: receiver.error.alert });
        expect(sender.phase).toBe('failed');
      }),
      params(300),
    );
  });

  it('every byte of the encrypted server flight, flipped with 0x01, gives BadRecordMac and an alert (exhaustive over a sample)', async () => {
    const rec = recordAt(ref.transcript, 's2c', 2);
    for (let off = 5; off < rec.length; off += 97) {
      const s = await session({ seed: 1, tamper: (dir, index, r) => (dir === 's2c' && index === 2 ? flipAt(r, off) : r) });
      expect(s.client.error?.status).toBe('BadRecordMac');
      expect(s.server.error?.status).toBe('AlertReceived');
      expect(s.server.error?.alert).toBe(s.client.error?.alert);
    }
  });
});

function recordAt(t: Transcript, dir: Direction, index: number): Uint8Array {
  const all = t.bytes(dir);
  let o = 0;
  for (let i = 0; ; i++) {
    const len = (all[o + 3]! << 8) | all[o + 4]!;
    if (i === index) return all.subarray(o, o + 5 + len);
    o += 5 + len;
  }
}

function lengthAfterFlip(length: number, off: number, x: number): number {
  return off === 3 ? ((((length >> 8) ^ x) & 0xff) << 8) | (length & 0xff) : (length & 0xff00) | ((length & 0xff) ^ x);
}

function flipAt(r: Uint8Array, off: number): Uint8Array {
  const c = r.slice();
  c[off]! ^= 1;
  return c;
}

// ------------------------------------------------------------------ 3. arbitrary input

type Mutation =
  | { k: 'flip'; at: number; x: number }
  | { k: 'truncate'; at: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; n: number }
  | { k: 'set16'; at: number; v: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('set16' as const), at: fc.nat(), v: fc.oneof(fc.constantFrom(0, 1, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0xffff), fc.integer({ min: 0, max: 0xffff })) }),
);

function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = input.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.k) {
      case 'flip':
        b[at]! ^= m.x;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = join([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = join([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
      case 'set16':
        if (at + 1 < b.length) {
          b[at] = m.v >> 8;
          b[at + 1] = m.v & 0xff;
        }
        break;
    }
  }
  return b;
}

/** Applies `edit` to the body of the handshake message in the first record, fixing both length fields. */
function rewrapFirst(flight: Uint8Array, edit: (body: Uint8Array) => Uint8Array): Uint8Array {
  const recLen = (flight[3]! << 8) | flight[4]!;
  const msg = flight.subarray(5, 5 + recLen);
  const body = edit(msg.subarray(4));
  const n = body.length;
  const rec = join([new Uint8Array([flight[0]!, flight[1]!, flight[2]!, ((n + 4) >> 8) & 0xff, (n + 4) & 0xff, msg[0]!, n >> 16, (n >> 8) & 0xff, n & 0xff]), body]);
  return join([rec, flight.subarray(5 + recLen)]);
}

/** Random-looking record framing around random content (gets past the deframer more often than raw noise). */
const framedArb: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      type: fc.oneof(fc.constantFrom(20, 21, 22, 23), fc.integer({ min: 0, max: 255 })),
      version: fc.constantFrom(0x0301, 0x0303, 0x0304, 0x0300),
      body: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => join([new Uint8Array([b[0]! % 26, 0, 0, b.length - 1]), b.subarray(1)]))),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((recs) => join(recs.map((r) => join([new Uint8Array([r.type, r.version >> 8, r.version & 0xff, r.body.length >> 8, r.body.length & 0xff]), r.body]))));

describe('arbitrary bytes to a fresh endpoint give only TlsErrors', () => {
  const CLIENT_SEED = 7;
  let clientHello: Uint8Array;
  let serverFlight: Uint8Array;
  const freshClient = async (): Promise<TlsConnection> => {
    const c = makeClient({ random: seededRandom(CLIENT_SEED), cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    await c.process();
    const ch = c.takeOutput()!;
    // Deterministic: every fresh client sends the same ClientHello, so the recorded server flight fits it.
    if (clientHello) expect(sameBytes(ch, clientHello)).toBe(true);
    return c;
  };

  beforeAll(async () => {
    const c = makeClient({ random: seededRandom(CLIENT_SEED), cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    await c.process();
    clientHello = c.takeOutput()!;
    const s = makeServer({ random: seededRandom(99) });
    await feed(s, clientHello);
    serverFlight = s.takeOutput()!;
    // Sanity: the unmutated flight completes the fresh client's handshake.
    const c2 = await freshClient();
    await feed(c2, serverFlight);
    expectNoError(c2);
    expect(c2.handshakeComplete).toBe(true);
  });

  /** Feeds `input` in the given pieces; receive()/process() must never throw. */
  async function check(conn: TlsConnection, input: Uint8Array, chunk: Chunker): Promise<void> {
    await feed(conn, input, chunk);
    if (conn.error) {
      expectCleanTlsError(conn.error);
      expect(conn.phase).toBe('failed');
      expect(conn.wants.input).toBe(false);
    } else {
      // Still waiting for more (or, for an input that happens to be valid, done).
      expect(conn.phase).not.toBe('failed');
      expect(conn.wants.input).toBe(true);
    }
    // Output, if any, is whole records (an alert, or a next flight).
    const out = conn.takeOutput();
    if (out) expect(out.length).toBeGreaterThanOrEqual(5);
  }

  const inputArb = (real: () => Uint8Array): fc.Arbitrary<Uint8Array> =>
    fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      framedArb,
      fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => mutate(real(), ms)),
      fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => mutate(real().subarray(0, 200), ms)),
      // The hello's body mutated with its record and handshake lengths kept consistent, so
      // the decoders and the negotiation see it (the rest of the flight follows unchanged).
      fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((ms) => rewrapFirst(real(), (body) => mutate(body, ms))),
    );

  it('to a client that has sent its ClientHello (random bytes, framed noise, mutated ServerHello flights)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(() => serverFlight), chunkerArb, async (input, chunk) => {
        const c = await freshClient();
        await check(c, input, chunk.make());
      }),
      params(500),
    );
  });

  it('to a fresh server (random bytes, framed noise, mutated ClientHellos)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(() => clientHello), chunkerArb, async (input, chunk) => {
        const s = makeServer({ random: seededRandom(3) });
        await check(s, input, chunk.make());
      }),
      params(500),
    );
  });

  it('a fresh endpoint fed an endless handshake message fails at the size cap instead of buffering it', async () => {
    for (const conn of [makeServer(), await freshClient()]) {
      // A handshake message header claiming 16 MiB - 1, then records of filler.
      const head = new Uint8Array([22, 3, 3, 0, 4, conn.role === 'server' ? 1 : 2, 0xff, 0xff, 0xff]);
      await feed(conn, head);
      expect(conn.error?.status).toBe('DecodeError');
      // A message just under the cap is buffered and then decoded (and fails as a message, not as memory).
      const c2 = conn.role === 'server' ? makeServer() : await freshClient();
      const body = 0x10000;
      const parts = [new Uint8Array([conn.role === 'server' ? 1 : 2, body >> 16, (body >> 8) & 0xff, body & 0xff]), new Uint8Array(body)];
      const msg = join(parts);
      const recs: Uint8Array[] = [];
      for (let o = 0; o < msg.length; o += 16384) {
        const frag = msg.subarray(o, Math.min(msg.length, o + 16384));
        recs.push(join([new Uint8Array([22, 3, 3, frag.length >> 8, frag.length & 0xff]), frag]));
      }
      await feed(c2, join(recs), cyclic([1000, 7, 16389]));
      expectCleanTlsError(c2.error);
      expect(c2.error.status).toBe('DecodeError');
    }
  });
});

// ------------------------------------------------------------------ 4. determinism

describe('determinism', () => {
  it('with a fixed random and now, two runs give byte-identical transcripts, however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), chunkerArb, chunkerArb, async (s, c2s, s2c) => {
        const a = await session({ seed: s });
        const b = await session({ seed: s, c2s: c2s.make(), s2c: s2c.make() });
        expectSessionData(a);
        expectSessionData(b);
        expect(sameBytes(a.transcript.bytes('c2s'), b.transcript.bytes('c2s'))).toBe(true);
        expect(sameBytes(a.transcript.bytes('s2c'), b.transcript.bytes('s2c'))).toBe(true);
        expect(sameBytes(a.client.exportKeyingMaterial('EXPORTER-test', null, 32), b.server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
      }),
      params(25),
    );
  });

  it('different seeds give different transcripts (the randomness is really used)', async () => {
    const a = await session({ seed: 5 });
    const b = await session({ seed: 6 });
    expect(sameBytes(a.transcript.bytes('c2s'), b.transcript.bytes('c2s'))).toBe(false);
    expect(sameBytes(a.transcript.bytes('s2c'), b.transcript.bytes('s2c'))).toBe(false);
  });
});
