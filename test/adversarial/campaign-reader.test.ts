/**
 * `RecordReader` pipelining driven directly (src/record/layer.ts), with an async AEAD whose
 * answers arrive a fixed number of microtasks after each call, so every interleaving of the
 * transport's `receive()` with a record's turn can be visited deterministically:
 *
 * - receive() called at every microtask boundary of a record opened in order (a guess may be
 *   made while its sequence number is already used, L3): whatever was guessed, every record
 *   is handed out once, in order, with no error (RFC 9846 §5.3: each record is opened under
 *   the sequence number of its turn; a guess made under the wrong one is not a verdict);
 * - the same around a KeyUpdate (a handshake record) and a new key installed (§4.6.3);
 * - a record that fails authentication, the wrong way round: every record before it handed
 *   out, then BadRecordMac exactly at its turn, for every interleaving;
 * - a peer flooding tiny records: never more than MAX_RECORDS_AHEAD (+1 in turn) opens in
 *   flight, and memory within the room given plus the deframer's one record.
 */
import { describe, expect, it } from 'vitest';
import type { AeadCipher, AsyncAeadCipher } from '../../src/crypto/provider.js';
import { MAX_RECORDS_AHEAD, RecordReader } from '../../src/record/layer.js';
import { RecordProtector } from '../../src/record/protector.js';
import { TlsError } from '../../src/base/errors.js';
import { ContentType } from '../../src/wire/codes.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { nobleAead, seqBytes } from '../helpers/aead.js';

interface Stats {
  calls: number;
  inFlight: number;
  maxInFlight: number;
}

/** `inner` answering `delay` microtasks after each call (inputs copied at the call, as WebCrypto does). */
function microtaskAead(inner: AeadCipher, delay: number, stats: Stats): AsyncAeadCipher {
  const later = async <T>(f: () => T): Promise<T> => {
    stats.calls++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    for (let i = 0; i < delay; i++) await null;
    stats.inFlight--;
    return f();
  };
  return {
    alg: inner.alg,
    async: true,
    seal: (n, a, p) => {
      const [x, y, z] = [n.slice(), a.slice(), p.slice()];
      return later(() => inner.seal(x, y, z));
    },
    open: (n, a, c) => {
      const [x, y, z] = [n.slice(), a.slice(), c.slice()];
      return later(() => inner.open(x, y, z));
    },
  };
}

const KEY_A = seqBytes(16, 1);
const KEY_B = seqBytes(16, 60);
const IV = seqBytes(12, 9);
const CCS = { open: false };
const ROOM = 1 << 20;
const sealer = (key: Uint8Array): RecordProtector => new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', key), iv: IV });
const opener = (key: Uint8Array, delay: number, stats: Stats): RecordProtector =>
  new RecordProtector({ mode: 'tls13', aead: microtaskAead(nobleAead('AES-128-GCM', key), delay, stats), iv: IV });
const newStats = (): Stats => ({ calls: 0, inFlight: 0, maxInFlight: 0 });

function newReader(p: RecordProtector): RecordReader {
  const r = new RecordReader({ role: 'client', maxSkippedEarlyData: 0 });
  r.setVersion('tls13');
  r.install(p);
  return r;
}

const KEY_UPDATE = Uint8Array.of(24, 0, 0, 1, 0);

/**
 * Hands out one primer record (pipelining on), then makes the next record wait in the
 * deframer (no room: not taken ahead) and starts its turn (opened in order); after `k`
 * microtasks the rest of the burst is received with room. Returns what was handed out, or
 * the error.
 */
async function interleave(k: number, delay: number, burst: Uint8Array[], onRecord?: (r: RecordReader, type: number) => void): Promise<{ got: Uint8Array[]; types: number[]; error: unknown; stats: Stats }> {
  const stats = newStats();
  const r = newReader(opener(KEY_A, delay, stats));
  const w = sealer(KEY_A);
  r.receive(w.seal(ContentType.application_data, seqBytes(4)), false, ROOM);
  expect((await r.nextAsync(CCS))!.content).toEqual(seqBytes(4));
  const [first, ...rest] = burst;
  expect(r.receive(first!, false, 0)).toBe(first!.length);
  const got: Uint8Array[] = [];
  const types: number[] = [];
  let error: unknown = null;
  const turn = r.nextAsync(CCS);
  for (let i = 0; i < k; i++) await null;
  let wire = join(rest);
  wire = wire.subarray(r.receive(wire, false, ROOM));
  try {
    let rec = await turn;
    for (let guard = 0; guard < 1000; guard++) {
      if (rec !== null) {
        got.push(rec.content.slice());
        types.push(rec.type);
        onRecord?.(r, rec.type);
      } else if (wire.length === 0) break;
      wire = wire.subarray(r.receive(wire, false, ROOM));
      rec = await r.nextAsync(CCS);
    }
  } catch (e) {
    error = e;
  }
  return { got, types, error, stats };
}

describe('receive() at every microtask of a record opened in order', () => {
  it.each([1, 2, 5])('AEAD answering after %i microtasks: every record once, in order, no error, whatever was guessed', async (delay) => {
    const w = sealer(KEY_A);
    w.seal(ContentType.application_data, seqBytes(4)); // the primer's sequence number
    const data = Array.from({ length: 6 }, (_, i) => payload(200 + i, 10 + i));
    const burst = data.map((d) => w.seal(ContentType.application_data, d));
    for (let k = 0; k < 40; k++) {
      const o = await interleave(k, delay, burst);
      expect(o.error, `k=${k}`).toBeNull();
      expect(o.got.length, `k=${k}`).toBe(data.length);
      expect(sameBytes(join(o.got), join(data)), `k=${k}`).toBe(true);
      expect(o.stats.maxInFlight).toBeLessThanOrEqual(MAX_RECORDS_AHEAD + 1);
    }
  });

  it('the same with a KeyUpdate inside the burst and the new key installed at its turn', async () => {
    const wa = sealer(KEY_A);
    const wb = sealer(KEY_B);
    wa.seal(ContentType.application_data, seqBytes(4));
    const data = Array.from({ length: 6 }, (_, i) => payload(300 + i, 20 + i));
    const burst = [
      wa.seal(ContentType.application_data, data[0]!),
      wa.seal(ContentType.application_data, data[1]!),
      wa.seal(ContentType.handshake, KEY_UPDATE),
      ...data.slice(2).map((d) => wb.seal(ContentType.application_data, d)),
    ];
    for (const delay of [1, 3]) {
      for (let k = 0; k < 40; k++) {
        const o = await interleave(k, delay, burst, (r, type) => {
          if (type === ContentType.handshake) r.install(opener(KEY_B, delay, newStats()));
        });
        expect(o.error, `k=${k}`).toBeNull();
        expect(o.types).toEqual([23, 23, 22, 23, 23, 23, 23]);
        expect(sameBytes(join(o.got.filter((_, i) => o.types[i] === 23)), join(data)), `k=${k}`).toBe(true);
      }
    }
  });

  it('a corrupted record: everything before it, then BadRecordMac at its turn, for every interleaving', async () => {
    const w = sealer(KEY_A);
    w.seal(ContentType.application_data, seqBytes(4));
    const data = Array.from({ length: 6 }, (_, i) => payload(100 + i, 30 + i));
    const burst = data.map((d) => w.seal(ContentType.application_data, d));
    burst[3] = burst[3]!.slice();
    burst[3][10]! ^= 1;
    for (let k = 0; k < 40; k++) {
      const o = await interleave(k, 2, burst);
      expect(o.error).toBeInstanceOf(TlsError);
      expect((o.error as TlsError).status).toBe('BadRecordMac');
      expect(sameBytes(join(o.got), join(data.slice(0, 3))), `k=${k}`).toBe(true);
    }
  });
});

describe('a peer flooding tiny records', () => {
  it('opens in flight and memory stay bounded while the application reads nothing', async () => {
    const stats = newStats();
    const r = newReader(opener(KEY_A, 3, stats));
    const w = sealer(KEY_A);
    r.receive(w.seal(ContentType.application_data, seqBytes(4)), false, ROOM);
    await r.nextAsync(CCS);
    const flood = join(Array.from({ length: 5000 }, (_, i) => w.seal(ContentType.application_data, Uint8Array.of(i & 0xff))));
    // The transport offers everything again and again; nothing is handed out.
    let taken = 0;
    for (let i = 0; i < 50; i++) {
      taken += r.receive(flood.subarray(taken), false, 4096);
      for (let j = 0; j < 5; j++) await null;
    }
    expect(stats.maxInFlight).toBeLessThanOrEqual(MAX_RECORDS_AHEAD);
    expect(stats.calls).toBeLessThanOrEqual(MAX_RECORDS_AHEAD);
    expect(r.allocated).toBeLessThanOrEqual(4096 + 5 + 16384 + 256);
    // Reading hands them out in order, one for one.
    const got: number[] = [];
    for (let guard = 0; guard < 100_000 && got.length < 5000; guard++) {
      taken += r.receive(flood.subarray(taken), false, 4096);
      const rec = await r.nextAsync(CCS);
      if (rec) got.push(rec.content[0]!);
      expect(stats.inFlight).toBeLessThanOrEqual(MAX_RECORDS_AHEAD + 1);
    }
    expect(got).toEqual(Array.from({ length: 5000 }, (_, i) => i & 0xff));
  });
});
