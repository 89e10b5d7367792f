/**
 * A damaged transport (puretls/testing `FaultPipe`) between a client and a server, TLS 1.3
 * and TLS 1.2: records or byte ranges dropped, duplicated, reordered or cut off, at planned
 * positions (fast-check, `faultArb`) or wherever a seeded PRNG puts them. Whatever the fault:
 * - nothing but a TlsError ever surfaces (no foreign exception, no InternalError);
 * - the data an application read is a prefix of what its peer wrote: never altered, never
 *   with a hole;
 * - a side that was given a stream other than the one its peer sent ends with a TlsError
 *   (unless the change is one TLS allows: bytes after the peer's close_notify, or a TLS 1.3
 *   middlebox-compatibility ChangeCipherSpec dropped or moved);
 * - a side that detects the damage itself sends a fatal alert, and its peer (over an
 *   undamaged reverse direction) then fails too;
 * - when neither side failed, every byte written arrived and both sides closed cleanly.
 *
 * Runs are bounded (see `params`); FC_SEED / FC_RUNS_SCALE reproduce or search longer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { TraceEvent } from '../../src/config/config.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { expectCleanTlsError, params } from '../helpers/props.js';
import { FaultPipe, seededRandom, type Direction, type Fault, type FaultKind, type FaultPipeOptions, type FaultUnit } from '../../src/testing/index.js';
import { faultArb } from '../../src/testing/arbitraries.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { allowedChange, expectAllDelivered } from '../helpers/faults.js';

type Version = '1.3' | '1.2';
type Role = 'client' | 'server';

const SUITES: Record<Version, readonly string[]> = {
  '1.3': ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'],
  '1.2': ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
};

const NOW = Date.now();
const now = (): number => NOW;

let pki: TestPki;
/** Bytes and records each direction carries in an undamaged session, per version (to place planned faults). */
const reference = new Map<Version, { bytes: Record<Direction, number>; records: Record<Direction, number> }>();

interface Outcome {
  v: Version;
  pipe: FaultPipe;
  conns: Record<Role, TlsConnection>;
  written: Record<Role, Uint8Array>;
  /** close() was called (with no error before it): the stream ends with close_notify. */
  closed: Record<Role, boolean>;
  callErrors: unknown[];
  traces: Record<Role, TraceEvent[]>;
}

const SENDER: Record<Direction, Role> = { c2s: 'client', s2c: 'server' };
const RECEIVER: Record<Direction, Role> = { c2s: 'server', s2c: 'client' };
const PEER: Record<Role, Role> = { client: 'server', server: 'client' };
const OUT_OF: Record<Role, Direction> = { client: 'c2s', server: 's2c' };

/**
 * One session: handshake, then each side writes its messages one per round (3000 + 20000
 * bytes from the client, 2500 + 17000 + 1 from the server: several records each way) and
 * closes; when nothing moves any more the transport ends (EOF both ways).
 */
async function session(v: Version, suite: string, seed: number, faults: FaultPipeOptions): Promise<Outcome> {
  const traces: Record<Role, TraceEvent[]> = { client: [], server: [] };
  const client = TlsConnection.client({
    servername: 'localhost',
    ca: pki.caCertPem,
    now,
    random: seededRandom(seed),
    keyShareGroups: ['x25519'],
    cipherSuites: [suite],
    maxVersion: v === '1.2' ? 'TLSv1.2' : 'TLSv1.3',
    trace: (e) => traces.client.push(e),
  });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, now, random: seededRandom(seed ^ 0x5555), trace: (e) => traces.server.push(e) });
  const conns = { client, server };
  const plan: Record<Role, Uint8Array[]> = {
    client: [payload(3000, seed + 1), payload(20_000, seed + 2)],
    server: [payload(2500, seed + 3), payload(17_000, seed + 4), payload(1, seed + 5)],
  };
  const written: Record<Role, Uint8Array[]> = { client: [], server: [] };
  const closed = { client: false, server: false };
  const callErrors: unknown[] = [];
  const pipe = new FaultPipe(client, server, faults);
  await pipe.start();
  let quiet = false;
  for (let round = 0; round < 500 && !quiet; round++) {
    let acted = false;
    for (const role of ['client', 'server'] as const) {
      const c = conns[role];
      if (c.error || !c.handshakeComplete || closed[role]) continue;
      acted = true;
      const next = plan[role].shift();
      try {
        if (next) {
          c.write(next);
          written[role].push(next);
        } else {
          c.close();
          closed[role] = true;
        }
      } catch (e) {
        callErrors.push(e);
      }
    }
    if (await pipe.step()) continue;
    if (acted) continue;
    if (await pipe.flush()) continue;
    quiet = true;
  }
  if (!quiet) throw new Error('session: no quiescence (a hang)');
  await pipe.endTransport();
  return { v, pipe, conns, written: { client: join(written.client), server: join(written.server) }, closed, callErrors, traces };
}

function describeOutcome(o: Outcome): string {
  const e = (r: Role): string => (o.conns[r].error ? `${o.conns[r].error!.status} (${o.conns[r].error!.detail ?? ''})` : `ok, phase ${o.conns[r].phase}`);
  return `client: ${e('client')}; server: ${e('server')}; changed c2s ${o.pipe.changed('c2s')} s2c ${o.pipe.changed('s2c')}; received client ${o.pipe.received('client').length}/${o.written.server.length}, server ${o.pipe.received('server').length}/${o.written.client.length}`;
}

/** With FAULT_STATS=1: how the sessions ended (printed after the file), to see what the faults reached. */
const stats = new Map<string, number>();
afterAll(() => {
  if (process.env.FAULT_STATS) console.log([...stats].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${String(n).padStart(5)}  ${k}`).join('\n'));
});

/** Every property of the file comment; `faultDirs` are the directions a fault may have touched. */
function checkOutcome(o: Outcome, faultDirs: readonly Direction[]): void {
  const what = describeOutcome(o);
  if (process.env.FAULT_STATS) {
    const k = `${o.v} client ${o.conns.client.error?.status ?? 'ok'} / server ${o.conns.server.error?.status ?? 'ok'}${o.conns.client.handshakeComplete && o.conns.server.handshakeComplete ? '' : ' (in handshake)'}`;
    stats.set(k, (stats.get(k) ?? 0) + 1);
  }
  for (const e of o.callErrors) expectCleanTlsError(e);
  for (const r of ['client', 'server'] as const) if (o.conns[r].error) expectCleanTlsError(o.conns[r].error);

  for (const dir of ['c2s', 's2c'] as const) {
    const wrote = o.written[SENDER[dir]];
    const got = o.pipe.received(RECEIVER[dir]);
    // Never altered, never with a hole: a prefix of what the peer wrote.
    expect(got.length <= wrote.length, `${RECEIVER[dir]} read more than was written; ${what}`).toBe(true);
    expect(sameBytes(got, wrote.subarray(0, got.length)), `${RECEIVER[dir]} read data that was not written; ${what}`).toBe(true);
    // Damage is noticed by the side it reaches.
    if (o.pipe.changed(dir) && !o.conns[RECEIVER[dir]].error) {
      // Unless the change is one TLS allows (see the file comment).
      const allowed = allowedChange(o.v === '1.3', o.pipe.sent(dir), o.pipe.delivered(dir), o.closed[SENDER[dir]]);
      expect(allowed, `${dir} stream changed but the ${RECEIVER[dir]} did not fail; ${what}`).not.toBeNull();
    }
  }

  const clean = !o.conns.client.error && !o.conns.server.error;
  if (!o.pipe.changed('c2s') && !o.pipe.changed('s2c')) expect(clean, `no byte was changed, yet: ${what}`).toBe(true);
  if (clean) expectAllDelivered(o, { client: 23_000, server: 19_501 }, what);

  // A side that detected the damage itself (before it closed) sent a fatal alert; over an
  // undamaged reverse direction its peer then failed as well.
  for (const r of ['client', 'server'] as const) {
    const err = o.conns[r].error;
    if (!err || err.source !== 'local' || err.alert === null || err.status === 'Truncated' || o.closed[r]) continue;
    const alerts = o.traces[r].filter((t) => t.direction === 'sent' && t.kind === 'alert' && !t.summary.includes('close_notify'));
    expect(alerts.length, `${r} failed with ${err.status} but sent no alert; ${what}`).toBeGreaterThan(0);
    if (!faultDirs.includes(OUT_OF[r])) expect(o.conns[PEER[r]].error, `${r} sent an alert its peer never acted on; ${what}`).not.toBeNull();
  }
}

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  for (const v of ['1.3', '1.2'] as const) {
    const o = await session(v, SUITES[v][0]!, 1, {});
    checkOutcome(o, []);
    const count = (b: Uint8Array): number => {
      let n = 0;
      for (let i = 0; i < b.length; i += 5 + ((b[i + 3]! << 8) | b[i + 4]!)) n++;
      return n;
    };
    reference.set(v, {
      bytes: { c2s: o.pipe.sent('c2s').length, s2c: o.pipe.sent('s2c').length },
      records: { c2s: count(o.pipe.sent('c2s')), s2c: count(o.pipe.sent('s2c')) },
    });
  }
});

const KINDS: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'truncate'];
const UNITS: readonly FaultUnit[] = ['record', 'bytes'];

/** A planned fault inside the reference session of version `v` (the handshake part favoured). */
function plannedArb(v: Version): fc.Arbitrary<Fault> {
  const ref = reference.get(v)!;
  return faultArb({ kinds: KINDS, records: ref.records, bytes: ref.bytes });
}

describe.each(['1.3', '1.2'] as const)('TLS %s over a damaged transport', (v) => {
  it('one planned fault (drop, duplicate, reorder or truncate; a record or a byte range) in either direction', async () => {
    await fc.assert(
      fc.asyncProperty(plannedArb(v), fc.constantFrom(...SUITES[v]), fc.integer({ min: 1, max: 2 ** 30 }), fc.option(fc.integer({ min: 0, max: 2 ** 30 }), { nil: undefined }), async (fault, suite, seed, chunkSeed) => {
        const o = await session(v, suite, seed, { faults: [fault], ...(chunkSeed !== undefined ? { chunk: { seed: chunkSeed } } : {}) });
        checkOutcome(o, [fault.dir]);
      }),
      { ...params(40), seed: params(40).seed ?? (v === '1.3' ? 0x13 : 0x12) },
    );
  });

  it('faults placed by a seeded PRNG in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 30 }),
        fc.constantFrom(...UNITS),
        fc.constantFrom(0.02, 0.1, 0.3),
        fc.subarray([...KINDS], { minLength: 1 }),
        fc.constantFrom(...SUITES[v]),
        async (seed, unit, rate, kinds, suite) => {
          // Byte faults per byte are far rarer than record faults per record.
          const r = unit === 'bytes' ? rate / 2000 : rate;
          const o = await session(v, suite, seed, { random: { seed, rate: r, unit, kinds }, chunk: { seed } });
          checkOutcome(o, ['c2s', 's2c']);
        },
      ),
      { ...params(25), seed: params(25).seed ?? (v === '1.3' ? 0x1313 : 0x1212) },
    );
  });

  it('no fault: any chunking gives the whole data both ways and a clean close', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 30 }), fc.constantFrom(...SUITES[v]), async (chunkSeed, suite) => {
        const o = await session(v, suite, chunkSeed + 7, { chunk: { seed: chunkSeed } });
        expect(o.pipe.changed('c2s') || o.pipe.changed('s2c')).toBe(false);
        checkOutcome(o, []);
        expect(o.conns.client.error).toBeNull();
        expect(o.conns.server.error).toBeNull();
      }),
      { ...params(4), seed: params(4).seed ?? 7 },
    );
  });

  // Concrete cases, each with the exact outcome.
  it('a dropped application-data record: the receiver fails with BadRecordMac and the sender hears bad_record_mac', async () => {
    const ref = reference.get(v)!;
    // The client's last records are its data and close_notify: drop the one before close_notify.
    const o = await session(v, SUITES[v][0]!, 3, { faults: [{ dir: 'c2s', kind: 'drop', unit: 'record', at: ref.records.c2s - 2 }] });
    checkOutcome(o, ['c2s']);
    expect(o.conns.server.error?.status).toBe('BadRecordMac');
    expect(o.conns.client.error?.status).toBe('AlertReceived');
    expect(o.pipe.received('server').length).toBeLessThan(o.written.client.length);
  });

  it('a duplicated application-data record: the copy fails to authenticate (BadRecordMac), nothing is read twice', async () => {
    const ref = reference.get(v)!;
    const o = await session(v, SUITES[v][0]!, 4, { faults: [{ dir: 's2c', kind: 'duplicate', unit: 'record', at: ref.records.s2c - 3 }] });
    checkOutcome(o, ['s2c']);
    expect(o.conns.client.error?.status).toBe('BadRecordMac');
  });

  it('two application-data records swapped: BadRecordMac', async () => {
    const ref = reference.get(v)!;
    const o = await session(v, SUITES[v][0]!, 5, { faults: [{ dir: 'c2s', kind: 'reorder', unit: 'record', at: ref.records.c2s - 3 }] });
    checkOutcome(o, ['c2s']);
    expect(o.conns.server.error?.status).toBe('BadRecordMac');
  });

  it('the stream cut just before close_notify: Truncated, the data before it delivered whole', async () => {
    const ref = reference.get(v)!;
    const o = await session(v, SUITES[v][0]!, 6, { faults: [{ dir: 's2c', kind: 'truncate', unit: 'record', at: ref.records.s2c - 1, keep: 0 }] });
    checkOutcome(o, ['s2c']);
    expect(o.conns.client.error?.status).toBe('Truncated');
    expect(sameBytes(o.pipe.received('client'), o.written.server)).toBe(true);
  });

  it('close_notify duplicated: the copy comes after the close and is ignored (clean)', async () => {
    const ref = reference.get(v)!;
    const o = await session(v, SUITES[v][0]!, 8, { faults: [{ dir: 'c2s', kind: 'duplicate', unit: 'record', at: ref.records.c2s - 1 }] });
    checkOutcome(o, ['c2s']);
    expect(o.pipe.changed('c2s')).toBe(true);
    expect(o.conns.client.error).toBeNull();
    expect(o.conns.server.error).toBeNull();
  });
});

describe('TLS 1.3 compatibility ChangeCipherSpec', () => {
  it("dropping the server's ChangeCipherSpec (record 1) changes nothing the client must refuse", async () => {
    const o = await session('1.3', SUITES['1.3'][0]!, 9, { faults: [{ dir: 's2c', kind: 'drop', unit: 'record', at: 1 }] });
    checkOutcome(o, ['s2c']);
    expect(o.conns.client.error).toBeNull();
    expect(o.conns.server.error).toBeNull();
  });

  it("a second copy of the server's ChangeCipherSpec is refused (UnexpectedMessage)", async () => {
    const o = await session('1.3', SUITES['1.3'][0]!, 10, { faults: [{ dir: 's2c', kind: 'duplicate', unit: 'record', at: 1 }] });
    checkOutcome(o, ['s2c']);
    expect(o.conns.client.error?.status).toBe('UnexpectedMessage');
  });
});
