/**
 * TLS 1.2 engine properties (the TLS 1.3 ones are in engine.test.ts), client ↔ server in
 * memory, with every version setup that ends in TLS 1.2 (a 1.2-only client against a 1.3
 * server, a 1.2+1.3 client against a 1.2-only server, both 1.2-only):
 * - any chunking of either byte stream gives the same handshake (equal exporters) and the
 *   same application data, in order;
 * - flipping any byte of any record after a ChangeCipherSpec, in either direction, makes the
 *   receiver fail with exactly the status the damaged byte calls for (BadRecordMac unless
 *   the record header was hit; see `expectedStatus`) and the sender then report
 *   AlertReceived with the receiver's alert;
 * - arbitrary bytes (and mutated real flights) fed to a fresh TLS 1.2 server, to a client
 *   waiting for a TLS 1.2 ServerHello, and to a server waiting for the client's second
 *   flight give only TlsErrors, and the connection either fails or waits for more input;
 * - with a fixed `random` and `now`, runs are byte-for-byte reproducible.
 *
 * The sessions run on the puretls/testing harness (FaultPipe: per-direction chunking, a
 * corrupt fault, what each side sent). Runs are bounded (numRuns below) so the file stays
 * well under 40 s; set FC_SEED / FC_RUNS_SCALE to reproduce or to search longer.
 */
import fc from 'fast-check';
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import type { TlsError, TlsStatus } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType } from '../../src/wire/codes.js';
import { MAX_CIPHERTEXT_LEN_TLS12 } from '../../src/wire/record.js';
import { inputArb, mutate, mutationArb } from '../helpers/arbitraries.js';
import { concat, encodeRecords, hsMessage, parseRecords, splitHandshake } from '../helpers/mitm.js';
import { DATA, expectCleanTlsError, expectNoError, expectOnlyTlsErrors, lengthAfterFlip, params, writesArb, type Session } from '../helpers/props.js';
import { handshakeRecords } from '../helpers/tls12.js';
import { FaultPipe, chunker, feed, pump, readAll, seededRandom, type ChunkPlan, type Direction, type Fault } from '../../src/testing/index.js';
import { chunkPlanArb } from '../../src/testing/arbitraries.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { REPRODUCIBLE_KEY_TYPE } from '../helpers/provider.js';

/** A fixed clock inside the test certificates' validity. */
const NOW = Date.now();
const now = (): number => NOW;

let pki: TestPki;
beforeAll(async () => {
  // ECDSA P-256 (Ed25519 under the native provider: see REPRODUCIBLE_KEY_TYPE): the determinism properties need reproducible signatures.
  pki = await generateTestPki({ keyType: REPRODUCIBLE_KEY_TYPE });
});

function makeClient(o: ClientOptions = {}): TlsConnection {
  return TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, now, ...o });
}
function makeServer(o: Partial<ServerOptions> = {}): TlsConnection {
  return TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, now, ...o });
}

/** Every way the two sides can end up with TLS 1.2. */
type Setup = '1.2 client → 1.3 server' | '1.2+1.3 client → 1.2 server' | '1.2 client → 1.2 server';
const SETUPS: readonly Setup[] = ['1.2 client → 1.3 server', '1.2+1.3 client → 1.2 server', '1.2 client → 1.2 server'];

function pair(setup: Setup, suite: string, c: ClientOptions = {}, s: Partial<ServerOptions> = {}): { client: TlsConnection; server: TlsConnection } {
  const client = setup.startsWith('1.2+1.3') ? makeClient({ cipherSuites: ['TLS_AES_128_GCM_SHA256', suite], ...c }) : makeClient({ maxVersion: 'TLSv1.2', cipherSuites: [suite], ...c });
  const server = setup.endsWith('1.3 server') ? makeServer(s) : makeServer({ maxVersion: 'TLSv1.2', ...s });
  return { client, server };
}

// ------------------------------------------------------------------ arbitraries

const suiteArb = fc.constantFrom('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
const groupArb = fc.constantFrom('x25519', 'secp256r1', 'secp384r1');
const setupArb = fc.constantFrom(...SETUPS);

/**
 * One handshake message of a flight's leading plaintext handshake records mutated, its
 * length field fixed, the messages re-framed in one record and the rest of the flight
 * kept: a TLS 1.2 server flight carries ServerHello…ServerHelloDone in one record, so this
 * is what gets Certificate, ServerKeyExchange and ServerHelloDone decoded and checked.
 */
function mutateMessage(flight: Uint8Array, which: number, ms: Parameters<typeof mutate>[1]): Uint8Array {
  const recs = parseRecords(flight);
  let k = 0;
  while (k < recs.length && recs[k]!.type === ContentType.handshake) k++;
  const msgs = splitHandshake(concat(...recs.slice(0, k).map((r) => r.fragment)));
  const i = which % msgs.length;
  const body = msgs[i]!.subarray(4);
  // (An empty body, ServerHelloDone's, would stay empty: give it a trailing byte instead.)
  msgs[i] = hsMessage(msgs[i]![0]!, body.length === 0 ? new Uint8Array([ms.length]) : mutate(body, ms));
  return concat(handshakeRecords(msgs), encodeRecords(recs.slice(k)));
}

/** {@link inputArb}, plus (twice as often) single handshake messages mutated with consistent lengths. */
const inputArb12 = (real: () => Uint8Array): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { arbitrary: inputArb(real), weight: 1 },
    { arbitrary: fc.record({ which: fc.nat(), ms: fc.array(mutationArb, { minLength: 1, maxLength: 3 }) }).map(({ which, ms }) => mutateMessage(real(), which, ms)), weight: 2 },
  );

// ------------------------------------------------------------------ helpers

/**
 * Reads everything the application has coming. At the read high-water mark (256 KiB) the
 * engine stops decrypting and holds the rest until the application has read and called
 * process() again (the pump in src/transport/pump.ts does the same), so read, process, repeat.
 */
async function readRest(c: TlsConnection): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let r = readAll(c); r.length > 0; r = readAll(c)) {
    parts.push(r);
    await c.process();
  }
  return join(parts);
}

// ------------------------------------------------------------------ 1. chunking

describe('TLS 1.2: any chunking of both byte streams gives the same handshake and data', () => {
  it('completes with equal exporters and delivers every write in order', async () => {
    await fc.assert(
      fc.asyncProperty(chunkPlanArb(), chunkPlanArb(), setupArb, suiteArb, groupArb, writesArb, fc.nat(), async (c2s, s2c, setup, suite, group, writes, dataSeed) => {
        const { client, server } = pair(setup, suite, {}, { groups: [group] });
        const expected = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
        const doWrite = (w: (typeof writes)[number], i: number): void => {
          const data = payload(w.size, dataSeed + i);
          (w.from === 'client' ? client : server).write(data);
          expected[w.from === 'client' ? 'server' : 'client'].push(data);
        };
        writes.forEach((w, i) => w.early && doWrite(w, i));
        // The application reads whenever a receiver's buffer is full (back-pressure), and at the end.
        const pipe = new FaultPipe(client, server, { chunk: { c2s, s2c }, read: 'when-full' });
        await pipe.settle();
        expectNoError(client, server);
        expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
        for (const c of [client, server]) {
          expect(c.info.version).toBe('TLSv1.2');
          expect(c.info.cipherSuite).toBe(suite);
          expect(c.info.group).toBe(group);
        }
        const ek = client.exportKeyingMaterial('EXPORTER-test', null, 32);
        expect(sameBytes(ek, server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
        writes.forEach((w, i) => !w.early && doWrite(w, i));
        await pipe.settle();
        expectNoError(client, server);
        await pipe.drain();
        expect(sameBytes(pipe.received('server'), join(expected.server))).toBe(true);
        expect(sameBytes(pipe.received('client'), join(expected.client))).toBe(true);
      }),
      params(80),
    );
  });

  it('more than the read high-water mark unread: the held-back records are decrypted once the application reads', async () => {
    // 256 KiB + 1 byte written while the client reads nothing: the last record stays buffered
    // (and the client still accepts its bytes) until the application reads and calls process().
    const { client, server } = pair('1.2 client → 1.2 server', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    await pump(client, server);
    const a = payload(256 * 1024 + 1, 3);
    server.write(a);
    await pump(client, server);
    expectNoError(client, server);
    expect(sameBytes(await readRest(client), a)).toBe(true);
  });

  it('single-byte pieces in both directions with 100 KiB each way', async () => {
    const { client, server } = pair('1.2 client → 1.2 server', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
    await pump(client, server, { chunk: 1 });
    const a = payload(100 * 1024, 1);
    const b = payload(100 * 1024, 2);
    client.write(a.subarray(0, 30_000));
    client.write(a.subarray(30_000));
    server.write(b);
    await pump(client, server, { chunk: 1 });
    expectNoError(client, server);
    expect(sameBytes(readAll(server), a)).toBe(true);
    expect(sameBytes(readAll(client), b)).toBe(true);
    expect(sameBytes(client.exportKeyingMaterial('EXPORTER-test', null, 32), server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
  });
});

// ------------------------------------------------------------------ scripted session

/**
 * A fixed TLS 1.2 session: handshake; data both ways; more data both ways; the client
 * closes. Steps after a failure, or before the handshake completed, are skipped.
 */
async function session(o: { seed: number; suite?: string; faults?: Fault[]; c2s?: ChunkPlan; s2c?: ChunkPlan }): Promise<Session> {
  const { client, server } = pair('1.2 client → 1.3 server', o.suite ?? 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', { random: seededRandom(o.seed) }, { random: seededRandom(o.seed ^ 0x5a5a5a5a) });
  // The test reads (at the end): nothing here fills a read buffer.
  const pipe = new FaultPipe(client, server, { faults: o.faults ?? [], chunk: { c2s: o.c2s ?? 'whole', s2c: o.s2c ?? 'whole' }, read: 'never' });
  const ok = (): boolean => !client.error && !server.error && client.handshakeComplete && server.handshakeComplete;
  await pipe.settle();
  if (ok()) {
    client.write(DATA.c1);
    server.write(DATA.s1);
  }
  await pipe.settle();
  if (ok()) {
    server.write(DATA.s2);
    client.write(DATA.c2);
  }
  await pipe.settle();
  if (ok()) client.close();
  await pipe.settle();
  return { client, server, pipe };
}

/** The content types of the records `dir`'s sender produced. */
function types(s: Session, dir: Direction): number[] {
  return s.pipe.records(dir).map((r) => r.type);
}

function expectSessionData(s: Session): void {
  expectNoError(s.client, s.server);
  expect(sameBytes(readAll(s.server), join([DATA.c1, DATA.c2]))).toBe(true);
  expect(sameBytes(readAll(s.client), join([DATA.s1, DATA.s2]))).toBe(true);
  expect(s.server.readEnded).toBe(true);
}

/**
 * What the receiver of a protected TLS 1.2 record with byte `off` XORed by `x` must
 * report (`'wait'`: a longer length field, the receiver waits for bytes that may never come).
 *
 * - off 0, type: the content type is part of the AEAD additional data (RFC 5246 §6.2.3.3),
 *   so another known type fails authentication → BadRecordMac; an unknown type is refused
 *   from the header alone → UnexpectedMessage (RFC 5246 §6: "If a TLS implementation
 *   receives an unexpected record type, it MUST send an unexpected_message alert").
 * - off 1, version major byte: not a TLS record header at all → DecodeError.
 * - off 2, version minor byte: once TLS 1.2 is negotiated every record must carry 0x0303
 *   (RFC 5246 Appendix E.1; checked as Go and OpenSSL do) → ProtocolVersion.
 * - off 3/4, length: above 2^14 + 2048 → RecordOverflow (RFC 5246 §6.2.3); zero for an
 *   alert or handshake record → UnexpectedMessage (§6.2.1: no zero-length fragments of
 *   those types); shorter otherwise → the fragment does not authenticate (or cannot hold
 *   the explicit nonce and tag) → BadRecordMac; longer → BadRecordMac once enough bytes
 *   came, else the receiver waits.
 * - off ≥ 5, explicit nonce (GCM) / ciphertext / tag → BadRecordMac (RFC 5246 §6.2.3.3).
 */
function expectedStatus(type: number, length: number, off: number, x: number): TlsStatus | 'wait' {
  if (off === 0) return [20, 21, 22, 23].includes(type ^ x) ? 'BadRecordMac' : 'UnexpectedMessage';
  if (off === 1) return 'DecodeError';
  if (off === 2) return 'ProtocolVersion';
  if (off === 3 || off === 4) {
    const n = lengthAfterFlip(length, off, x);
    if (n > MAX_CIPHERTEXT_LEN_TLS12) return 'RecordOverflow';
    if (n === 0 && type !== ContentType.application_data) return 'UnexpectedMessage';
    return n < length ? 'BadRecordMac' : 'wait';
  }
  return 'BadRecordMac';
}

// ------------------------------------------------------------------ 2. corruption

describe('TLS 1.2: corrupting any byte of any record after the ChangeCipherSpec', () => {
  let ref: Session;
  /** Index of each direction's ChangeCipherSpec record. */
  const ccsAt: Record<Direction, number> = { c2s: -1, s2c: -1 };
  beforeAll(async () => {
    ref = await session({ seed: 1 });
    expectSessionData(ref);
    ccsAt.c2s = types(ref, 'c2s').indexOf(ContentType.change_cipher_spec);
    ccsAt.s2c = types(ref, 's2c').indexOf(ContentType.change_cipher_spec);
  });

  it('the reference session has the expected shape', () => {
    // c2s: ClientHello, ClientKeyExchange, CCS, {Finished}, {data}, {data ×2}, {close_notify}
    expect(types(ref, 'c2s')).toEqual([22, 22, 20, 22, 23, 23, 23, 21]);
    // s2c: ServerHello…ServerHelloDone, NewSessionTicket (RFC 5077: the client asks for one by default), CCS, {Finished}, {data}, {data}
    expect(types(ref, 's2c')).toEqual([22, 22, 20, 22, 23, 23]);
  });

  it('the receiver fails with the status the damaged byte calls for; the sender gets its alert', async () => {
    const target = fc
      .record({ dir: fc.constantFrom<Direction>('c2s', 's2c'), rec: fc.nat(), off: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.nat()), x: fc.integer({ min: 1, max: 255 }) })
      .map(({ dir, rec, off, x }) => {
        // Records after the ChangeCipherSpec: all protected.
        const first = ccsAt[dir] + 1;
        const index = first + (rec % (ref.pipe.records(dir).length - first));
        const recordBytes = ref.pipe.records(dir)[index]!.bytes;
        return { dir, index, off: off % recordBytes.length, x, type: recordBytes[0]!, length: recordBytes.length - 5 };
      });
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        const s = await session({ seed: 1, faults: [{ dir: t.dir, kind: 'corrupt', unit: 'record', at: t.index, offset: t.off, xor: t.x }] });
        // The record was sent, and changed on the way.
        expect(s.pipe.changed(t.dir)).toBe(true);
        const [receiver, sender] = t.dir === 'c2s' ? [s.server, s.client] : [s.client, s.server];
        const want = expectedStatus(t.type, t.length, t.off, t.x);
        if (want === 'wait' && !receiver.error) {
          // A longer length field on a record that nothing followed far enough: the receiver
          // waits for the rest, which never comes. The transport closing is then a truncation.
          expect(sender.error).toBeNull();
          receiver.end();
          expect((receiver.error as TlsError | null)?.status).toBe('Truncated');
          return;
        }
        expectCleanTlsError(receiver.error);
        expect(receiver.error.status).toBe(want === 'wait' ? 'BadRecordMac' : want);
        expect(receiver.error.source).toBe('local');
        expect(receiver.phase).toBe('failed');
        // The receiver's fatal alert reached the sender, which reports exactly that alert.
        expectCleanTlsError(sender.error);
        expect({ status: sender.error.status, alert: sender.error.alert }).toEqual({ status: 'AlertReceived', alert: receiver.error.alert });
        expect(sender.phase).toBe('failed');
      }),
      params(400),
    );
  });

  it('the first, a middle and the last byte of each protected record, flipped with 0x80, give BadRecordMac/bad_record_mac and AlertReceived on the other side (all suites)', async () => {
    for (const suite of ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256']) {
      const r = await session({ seed: 2, suite });
      expectSessionData(r);
      for (const dir of ['c2s', 's2c'] as const) {
        const first = types(r, dir).indexOf(ContentType.change_cipher_spec) + 1;
        for (let index = first; index < r.pipe.records(dir).length; index++) {
          const len = r.pipe.records(dir)[index]!.bytes.length;
          for (const off of [5, 5 + ((len - 5) >> 1), len - 1]) {
            const s = await session({ seed: 2, suite, faults: [{ dir, kind: 'corrupt', unit: 'record', at: index, offset: off, xor: 0x80 }] });
            const [receiver, sender] = dir === 'c2s' ? [s.server, s.client] : [s.client, s.server];
            expect({ suite, dir, index, off, status: receiver.error?.status }).toEqual({ suite, dir, index, off, status: 'BadRecordMac' });
            expect(sender.error?.status).toBe('AlertReceived');
            expect(sender.error?.alert).toBe(receiver.error?.alert);
          }
        }
      }
    }
  });
});

// ------------------------------------------------------------------ 3. arbitrary input

describe('TLS 1.2: arbitrary bytes to an endpoint give only TlsErrors', () => {
  const CLIENT_SEED = 7;
  const SERVER_SEED = 99;
  const SUITE = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
  let clientHello: Uint8Array;
  let serverFlight: Uint8Array;
  let clientFlight: Uint8Array;
  const freshClient = async (): Promise<TlsConnection> => {
    const c = makeClient({ maxVersion: 'TLSv1.2', cipherSuites: [SUITE], random: seededRandom(CLIENT_SEED) });
    await c.process();
    const ch = c.takeOutput()!;
    // Deterministic: every fresh client sends the same ClientHello, so the recorded server flight fits it.
    if (clientHello) expect(sameBytes(ch, clientHello)).toBe(true);
    return c;
  };
  const freshServer = (): TlsConnection => makeServer({ maxVersion: 'TLSv1.2', random: seededRandom(SERVER_SEED) });
  /** A server that has answered the recorded ClientHello and waits for ClientKeyExchange. */
  const waitingServer = async (): Promise<TlsConnection> => {
    const s = freshServer();
    await feed(s, clientHello);
    const out = s.takeOutput()!;
    if (serverFlight) expect(sameBytes(out, serverFlight)).toBe(true);
    return s;
  };

  beforeAll(async () => {
    const c0 = makeClient({ maxVersion: 'TLSv1.2', cipherSuites: [SUITE], random: seededRandom(CLIENT_SEED) });
    await c0.process();
    clientHello = c0.takeOutput()!;
    const s = freshServer();
    await feed(s, clientHello);
    serverFlight = s.takeOutput()!;
    await feed(c0, serverFlight);
    clientFlight = c0.takeOutput()!;
    await feed(s, clientFlight);
    // Sanity: the unmutated flights complete a fresh client's and a waiting server's part.
    expectNoError(c0, s);
    expect(s.handshakeComplete).toBe(true);
    const c2 = await freshClient();
    await feed(c2, serverFlight);
    expectNoError(c2);
    expect(sameBytes(c2.takeOutput()!, clientFlight)).toBe(true);
    const s2 = await waitingServer();
    await feed(s2, clientFlight);
    expectNoError(s2);
    expect(s2.handshakeComplete).toBe(true);
  });

  it('to a fresh TLS 1.2 server (random bytes, framed noise, mutated ClientHellos)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb12(() => clientHello), chunkPlanArb(), async (input, chunk) => {
        await expectOnlyTlsErrors(freshServer(), input, chunker(chunk));
      }),
      params(500),
    );
  });

  it('to a TLS 1.2 client waiting for the ServerHello (random bytes, framed noise, mutated server flights)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb12(() => serverFlight), chunkPlanArb(), async (input, chunk) => {
        await expectOnlyTlsErrors(await freshClient(), input, chunker(chunk));
      }),
      params(500),
    );
  });

  it('to a TLS 1.2 server waiting for ClientKeyExchange (random bytes, framed noise, mutated client flights)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb12(() => clientFlight), chunkPlanArb(), async (input, chunk) => {
        await expectOnlyTlsErrors(await waitingServer(), input, chunker(chunk));
      }),
      params(200),
    );
  });

  it('a client that offered TLS 1.3 too takes a mutated TLS 1.2 server flight the same way', async () => {
    const c0 = makeClient({ cipherSuites: ['TLS_AES_128_GCM_SHA256', SUITE], random: seededRandom(5) });
    await c0.process();
    const ch = c0.takeOutput()!;
    const s = freshServer();
    await feed(s, ch);
    const flight = s.takeOutput()!;
    await fc.assert(
      fc.asyncProperty(inputArb12(() => flight), chunkPlanArb(), async (input, chunk) => {
        const c = makeClient({ cipherSuites: ['TLS_AES_128_GCM_SHA256', SUITE], random: seededRandom(5) });
        await c.process();
        c.takeOutput();
        await expectOnlyTlsErrors(c, input, chunker(chunk));
      }),
      params(150),
    );
  });
});

// ------------------------------------------------------------------ 4. determinism

describe('TLS 1.2: determinism', () => {
  it('with a fixed random and now, two runs give byte-identical transcripts, however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), suiteArb, chunkPlanArb(), chunkPlanArb(), async (s, suite, c2s, s2c) => {
        const a = await session({ seed: s, suite });
        const b = await session({ seed: s, suite, c2s, s2c });
        expectSessionData(a);
        expectSessionData(b);
        expect(sameBytes(a.pipe.sent('c2s'), b.pipe.sent('c2s'))).toBe(true);
        expect(sameBytes(a.pipe.sent('s2c'), b.pipe.sent('s2c'))).toBe(true);
        expect(sameBytes(a.client.exportKeyingMaterial('EXPORTER-test', null, 32), b.server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
      }),
      params(25),
    );
  });

  it('different seeds give different transcripts (the randomness is really used)', async () => {
    const a = await session({ seed: 5 });
    const b = await session({ seed: 6 });
    expect(sameBytes(a.pipe.sent('c2s'), b.pipe.sent('c2s'))).toBe(false);
    expect(sameBytes(a.pipe.sent('s2c'), b.pipe.sent('s2c'))).toBe(false);
  });
});
