/**
 * The Node adapter (TlsSocket: connect({ socket }) and upgrade(socket, { role: 'server' }))
 * over a damaged in-memory transport: two Duplexes joined by fault lanes
 * (puretls/testing `FaultLane`) that drop, duplicate, reorder or cut records or byte ranges.
 * Both applications write and end(); when nothing moves any more the transport closes.
 * Whatever the fault, in TLS 1.3 and 1.2:
 * - every 'error' is a TlsError, and nothing is thrown outside the streams;
 * - what each application read is a prefix of what its peer wrote;
 * - a side given a changed stream fails (unless the change is one TLS allows: bytes after the
 *   peer's close_notify, or a TLS 1.3 compatibility ChangeCipherSpec dropped or moved);
 * - with no error on either side, all data arrived and both saw 'end';
 * - both sockets close ('close') soon after the transport does: no hang.
 */
import { Duplex } from 'node:stream';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { connect, upgrade, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { params } from '../helpers/props.js';
import { FaultLane, type Direction, type FaultKind, type FaultPlan, type FaultUnit } from '../../src/testing/index.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { allowedChange } from '../helpers/faults.js';

type Version = '1.3' | '1.2';
type Role = 'client' | 'server';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Two Duplexes (the client's and the server's transport) joined by fault lanes. */
function damagedTransport(o: FaultPlan): { client: Duplex; server: Duplex; lanes: Record<Direction, FaultLane>; activity: () => number; close: () => void; flush: () => void } {
  const lanes = { c2s: new FaultLane('c2s', o), s2c: new FaultLane('s2c', o) };
  const ended: Record<Direction, boolean> = { c2s: false, s2c: false };
  let activity = 0;
  const ends: Record<Role, Duplex | null> = { client: null, server: null };
  const receiver = (dir: Direction): Duplex => (dir === 'c2s' ? ends.server! : ends.client!);
  const deliver = (dir: Direction, r: { bytes: Uint8Array; eof: boolean }): void => {
    if (ended[dir]) return;
    const to = receiver(dir);
    if (r.bytes.length > 0) to.push(Buffer.from(r.bytes));
    if (r.eof) {
      ended[dir] = true;
      to.push(null);
    }
  };
  const endLane = (dir: Direction): void => {
    if (ended[dir]) return;
    deliver(dir, lanes[dir].flush());
    if (ended[dir]) return;
    ended[dir] = true;
    receiver(dir).push(null);
  };
  const make = (dir: Direction): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        activity++;
        // Asynchronous, like a socket: the peer handles it on a later tick.
        setImmediate(() => deliver(dir, lanes[dir].push(chunk)));
        cb();
      },
      final(cb) {
        activity++;
        setImmediate(() => endLane(dir));
        cb();
      },
      destroy(err, cb) {
        // A socket that goes away ends the stream its peer reads (FIN or reset).
        setImmediate(() => endLane(dir));
        cb(err);
      },
    });
  ends.client = make('c2s');
  ends.server = make('s2c');
  return {
    client: ends.client,
    server: ends.server,
    lanes,
    activity: () => activity,
    flush: () => {
      for (const dir of ['c2s', 's2c'] as const) deliver(dir, lanes[dir].flush());
    },
    close: () => {
      endLane('c2s');
      endLane('s2c');
    },
  };
}

interface Side {
  sock: TlsSocket;
  wrote: Uint8Array;
  got: Buffer[];
  ended: boolean;
  finished: boolean;
  errors: unknown[];
  closed: Promise<void>;
}

function side(sock: TlsSocket, data: Uint8Array[]): Side {
  const s: Side = { sock, wrote: join(data), got: [], ended: false, finished: false, errors: [], closed: new Promise((r) => sock.once('close', () => r())) };
  sock.on('data', (d: Buffer) => s.got.push(d));
  sock.on('end', () => (s.ended = true));
  sock.on('finish', () => (s.finished = true));
  sock.on('error', (e) => s.errors.push(e));
  for (const d of data) sock.write(d);
  sock.end();
  return s;
}

async function session(v: Version, o: FaultPlan, seed: number): Promise<void> {
  const t = damagedTransport(o);
  const client = side(
    connect({ socket: t.client, servername: 'localhost', ca: pki.caCertPem, keyShareGroups: ['x25519'], maxVersion: v === '1.2' ? 'TLSv1.2' : 'TLSv1.3', lingerTimeout: 50 }),
    [payload(3000, seed), payload(20_000, seed + 1)],
  );
  const server = side(upgrade(t.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem, lingerTimeout: 50, handshakeTimeout: 10_000 }), [payload(2500, seed + 2), payload(17_000, seed + 3)]);
  // Wait until nothing moves (releasing held bytes once), then the transport closes.
  let last = -1;
  let quietRounds = 0;
  for (let i = 0; i < 500 && quietRounds < 3; i++) {
    await new Promise((r) => setTimeout(r, 15));
    const a = t.activity();
    if (a === last) {
      quietRounds++;
      t.flush();
    } else quietRounds = 0;
    last = a;
  }
  t.close();
  let timer: NodeJS.Timeout | undefined;
  const hang = await Promise.race([
    Promise.all([client.closed, server.closed]).then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), 5000);
    }),
  ]);
  clearTimeout(timer);
  const sides = { client, server };
  const state = (s: Side): string => `${s.errors.map((e) => (e instanceof TlsError ? e.status : String(e))).join(',') || 'ok'}${s.ended ? ' end' : ''}${s.finished ? ' finish' : ''} read ${join(s.got).length}`;
  const what = `client ${state(client)}; server ${state(server)}; changed c2s ${t.lanes.c2s.changed()} s2c ${t.lanes.s2c.changed()}`;
  expect(hang, `a socket never closed: ${what}`).toBe(false);
  for (const s of [client, server]) for (const e of s.errors) expect(e, what).toBeInstanceOf(TlsError);
  for (const dir of ['c2s', 's2c'] as const) {
    const from = dir === 'c2s' ? client : server;
    const to = dir === 'c2s' ? server : client;
    const got = join(to.got);
    expect(got.length <= from.wrote.length && sameBytes(got, from.wrote.subarray(0, got.length)), `${dir}: data read is not a prefix of data written; ${what}`).toBe(true);
    const lane = t.lanes[dir];
    if (lane.changed() && to.errors.length === 0) {
      const allowed = allowedChange(v === '1.3', lane.sent(), lane.delivered(), from.finished);
      expect(allowed !== null, `${dir} changed but the receiver did not fail; ${what}`).toBe(true);
    }
  }
  if (client.errors.length === 0 && server.errors.length === 0) {
    for (const [me, peer] of [
      [sides.client, sides.server],
      [sides.server, sides.client],
    ] as const) {
      expect(sameBytes(join(me.got), peer.wrote), what).toBe(true);
      expect(me.ended, what).toBe(true);
    }
  }
}

const KINDS: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'truncate'];
const UNITS: readonly FaultUnit[] = ['record', 'bytes'];

describe.each(['1.3', '1.2'] as const)('Node adapter, TLS %s, over a damaged transport', (v) => {
  it('one planned fault in either direction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Direction>('c2s', 's2c'),
        fc.constantFrom(...KINDS),
        fc.constantFrom(...UNITS),
        fc.integer({ min: 0, max: 14 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2 ** 30 }),
        async (dir, kind, unit, record, offset, length, seed) => {
          // A record fault takes one record; a record truncation keeps `length` bytes of it.
          const fault = unit === 'record' ? { dir, kind, unit, at: record, ...(kind === 'truncate' ? { keep: length } : {}) } : { dir, kind, unit, at: offset, length };
          await session(v, { faults: [fault] }, seed);
        },
      ),
      { ...params(15), seed: params(15).seed ?? (v === '1.3' ? 0xad13 : 0xad12) },
    );
  });

  it('faults placed by a seeded PRNG in both directions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 30 }), fc.constantFrom(...UNITS), fc.constantFrom(0.05, 0.2), async (seed, unit, rate) => {
        await session(v, { random: { seed, rate: unit === 'bytes' ? rate / 2000 : rate, unit, kinds: KINDS } }, seed);
      }),
      { ...params(8), seed: params(8).seed ?? (v === '1.3' ? 0xadd13 : 0xadd12) },
    );
  });

  it('no fault: all data both ways and a clean end', async () => {
    await session(v, {}, 99);
  });
});
