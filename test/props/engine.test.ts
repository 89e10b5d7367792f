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
 * The sessions run on the puretls/testing harness (FaultPipe: per-direction chunking, a
 * corrupt fault, what each side sent). Runs are bounded (numRuns below) so the file stays
 * well under a minute; set FC_SEED / FC_RUNS_SCALE to reproduce or to search longer.
 */
import fc from 'fast-check';
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import type { TlsError, TlsStatus } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType } from '../../src/wire/codes.js';
import { FaultPipe, chunker, feed, pump, readAll, seededRandom, type ChunkPlan, type Direction, type Fault } from '../../src/testing/index.js';
import { chunkPlanArb } from '../../src/testing/arbitraries.js';
import { inputArb } from '../helpers/arbitraries.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { DATA, expectCleanTlsError, expectNoError, expectOnlyTlsErrors, lengthAfterFlip, params, writesArb, type Session } from '../helpers/props.js';
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
  return TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, now, sessionTickets: 0, ...o });
}

// ------------------------------------------------------------------ arbitraries

const suiteArb = fc.constantFrom('TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256');

// ------------------------------------------------------------------ 1. chunking

describe('any chunking of both byte streams gives the same handshake and data', () => {
  it('completes with equal exporters and delivers every write in order', async () => {
    await fc.assert(
      fc.asyncProperty(chunkPlanArb(), chunkPlanArb(), suiteArb, fc.boolean(), writesArb, fc.nat(), async (c2s, s2c, suite, hrr, writes, dataSeed) => {
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
        const pipe = new FaultPipe(client, server, { chunk: { c2s, s2c }, read: 'when-full' });
        await pipe.settle();
        expectNoError(client, server);
        expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
        expect(client.info.helloRetryRequest).toBe(hrr);
        expect(client.info.cipherSuite).toBe(suite);
        expect(server.info.cipherSuite).toBe(suite);
        const ek = client.exportKeyingMaterial('EXPORTER-test', null, 32);
        expect(sameBytes(ek, server.exportKeyingMaterial('EXPORTER-test', null, 32))).toBe(true);
        writes.forEach((w, i) => !w.early && doWrite(w, i));
        await pipe.settle();
        expectNoError(client, server);
        // Records held back while the read buffer was full are decrypted once it is drained.
        await pipe.drain();
        expect(sameBytes(pipe.received('server'), join(expected.server))).toBe(true);
        expect(sameBytes(pipe.received('client'), join(expected.client))).toBe(true);
      }),
      params(80),
    );
  });

  it('single-byte pieces in both directions with 100 KiB each way', async () => {
    const client = makeClient();
    const server = makeServer();
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
 * A fixed session: handshake; data both ways; client KeyUpdate(update_requested), which
 * the server answers; more data both ways. Steps after a failure are skipped.
 */
async function session(o: { seed: number; faults?: Fault[]; c2s?: ChunkPlan; s2c?: ChunkPlan }): Promise<Session> {
  const client = makeClient({ random: seededRandom(o.seed), cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  const server = makeServer({ random: seededRandom(o.seed ^ 0x5a5a5a5a) });
  // The test reads (at the end): nothing here fills a read buffer.
  const pipe = new FaultPipe(client, server, { faults: o.faults ?? [], chunk: { c2s: o.c2s ?? 'whole', s2c: o.s2c ?? 'whole' }, read: 'never' });
  const ok = (): boolean => !client.error && !server.error;
  await pipe.settle();
  if (ok() && client.handshakeComplete && server.handshakeComplete) {
    client.write(DATA.c1);
    server.write(DATA.s1);
  }
  await pipe.settle();
  if (ok() && client.handshakeComplete) client.keyUpdate(true);
  await pipe.settle();
  if (ok() && client.handshakeComplete && server.handshakeComplete) {
    server.write(DATA.s2);
    client.write(DATA.c2);
  }
  await pipe.settle();
  return { client, server, pipe };
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
    expect(ref.pipe.records('c2s').map((r) => r.type)).toEqual([22, 20, 23, 23, 23, 23, 23]);
    // s2c: ServerHello, CCS, {EE…Finished}, [data], [KeyUpdate], [data]
    expect(ref.pipe.records('s2c').map((r) => r.type)).toEqual([22, 20, 23, 23, 23, 23]);
  });

  /** Statuses a receiver may report for a corrupted record. */
  const RECEIVER_STATUSES: readonly TlsStatus[] = ['BadRecordMac', 'DecodeError', 'UnexpectedMessage', 'RecordOverflow'];

  it('gives a fatal alert and a TlsError on both sides (or is ignored where RFC 9846 says so)', async () => {
    const target = fc
      .record({ dir: fc.constantFrom<Direction>('c2s', 's2c'), rec: fc.nat(), off: fc.nat(), x: fc.integer({ min: 1, max: 255 }) })
      .map(({ dir, rec, off, x }) => {
        // Records after the ServerHello: index ≥ 1 both ways (c2s record 0 is the ClientHello).
        const count = ref.pipe.records(dir).length;
        const index = 1 + (rec % (count - 1));
        const recordBytes = ref.pipe.records(dir)[index]!.bytes;
        return { dir, index, off: off % recordBytes.length, x, type: recordBytes[0]!, length: recordBytes.length - 5 };
      });
    await fc.assert(
      fc.asyncProperty(target, async (t) => {
        const s = await session({ seed: 1, faults: [{ dir: t.dir, kind: 'corrupt', unit: 'record', at: t.index, offset: t.off, xor: t.x }] });
        // The record was sent, and changed on the way.
        expect(s.pipe.changed(t.dir)).toBe(true);
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
    const rec = ref.pipe.records('s2c')[2]!.bytes;
    for (let off = 5; off < rec.length; off += 97) {
      const s = await session({ seed: 1, faults: [{ dir: 's2c', kind: 'corrupt', unit: 'record', at: 2, offset: off, xor: 0x01 }] });
      expect(s.client.error?.status).toBe('BadRecordMac');
      expect(s.server.error?.status).toBe('AlertReceived');
      expect(s.server.error?.alert).toBe(s.client.error?.alert);
    }
  });
});

// ------------------------------------------------------------------ 3. arbitrary input

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

  it('to a client that has sent its ClientHello (random bytes, framed noise, mutated ServerHello flights)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(() => serverFlight), chunkPlanArb(), async (input, chunk) => {
        const c = await freshClient();
        await expectOnlyTlsErrors(c, input, chunker(chunk));
      }),
      params(500),
    );
  });

  it('to a fresh server (random bytes, framed noise, mutated ClientHellos)', async () => {
    await fc.assert(
      fc.asyncProperty(inputArb(() => clientHello), chunkPlanArb(), async (input, chunk) => {
        const s = makeServer({ random: seededRandom(3) });
        await expectOnlyTlsErrors(s, input, chunker(chunk));
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
      await feed(c2, join(recs), chunker([1000, 7, 16389]));
      expectCleanTlsError(c2.error);
      expect(c2.error.status).toBe('DecodeError');
    }
  });
});

// ------------------------------------------------------------------ 4. determinism

describe('determinism', () => {
  it('with a fixed random and now, two runs give byte-identical transcripts, however the input is chunked', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), chunkPlanArb(), chunkPlanArb(), async (s, c2s, s2c) => {
        const a = await session({ seed: s });
        const b = await session({ seed: s, c2s, s2c });
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
