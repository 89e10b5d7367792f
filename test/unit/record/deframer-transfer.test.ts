/**
 * The deframer's transferred-input path (`push(bytes, true)`): a complete record at the start
 * of a transferred chunk is taken as a view, with no copy. What must hold:
 *
 * - any chunking, transferred or not, yields the same records as the stream (record
 *   boundaries in every position: inside a header, at its end, inside a body, exactly on a
 *   boundary);
 * - without the flag nothing returned aliases the caller's bytes: a careless caller that
 *   overwrites its chunk after offering it changes no record, returned before or after;
 * - with the flag, only whole records at a chunk's start are borrowed, the deframer never
 *   writes into the caller's bytes (even with a borrowed record still buffered), and a push
 *   that completes a buffered record stops at its end so the next record is borrowed;
 * - the header checks and the capacity bound are the same on both paths.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Deframer } from '../../../src/record/deframer.js';
import { MAX_CIPHERTEXT_LEN_TLS13, encodeRecord, encodeRecordHeader, type TlsRecord } from '../../../src/wire/record.js';
import { concat, seqBytes } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

interface Rec {
  type: number;
  version: number;
  fragment: Uint8Array;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const key = (r: Rec | TlsRecord): string => `${r.type}/${r.version}/${hexOf(r.fragment)}`;

const arbRecord = fc
  .record({
    type: fc.constantFrom(20, 21, 22, 23),
    version: fc.constantFrom(0x0301, 0x0303),
    fragment: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: MAX_CIPHERTEXT_LEN_TLS13 }).map((n) => seqBytes(n, n)) },
    ),
  })
  .map((r) => r as Rec);

/** Splits `stream` at the given cut points into fresh copies (each chunk its own memory, as a socket read). */
function splitFresh(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, stream.length]) {
    out.push(stream.slice(prev, p));
    prev = p;
  }
  return out;
}

/**
 * Feeds `chunks` under the back-pressure contract (offer, drain, offer the rest). `keep`:
 * collect the returned records as they are (views), else as copies taken at once.
 * `afterOffer` runs after each chunk has been completely taken (a caller reusing its buffer).
 */
function feed(d: Deframer, chunks: Uint8Array[], transfer: boolean, afterOffer?: (chunk: Uint8Array) => void): TlsRecord[] {
  const out: TlsRecord[] = [];
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      const n = d.push(chunk.subarray(off), transfer);
      if (d.buffered > d.capacity) expect.fail(`buffered ${d.buffered} > capacity ${d.capacity}`);
      off += n;
      for (let r; (r = d.next()) !== null; ) out.push(r);
      if (n === 0) expect.fail('no progress: push accepted nothing after draining');
    }
    afterOffer?.(chunk);
  }
  return out;
}

describe('Deframer: transferred input (zero-copy path)', () => {
  it('any chunking of transferred chunks yields the same records as the stream', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (recs, cuts) => {
        const stream = concat(...recs.map((r) => encodeRecord(r.type, r.version, r.fragment)));
        const got = feed(new Deframer(), splitFresh(stream, cuts), true).map(key);
        expect(got).toEqual(recs.map(key));
      }),
      { numRuns: 300 },
    );
  });

  it('a cut at every position of a two-record stream, transferred: same records', () => {
    const a = encodeRecord(23, 0x0303, seqBytes(300, 1));
    const b = encodeRecord(22, 0x0303, seqBytes(40, 2));
    const stream = concat(a, b, a);
    const want = [key(plainOf(23, seqBytes(300, 1))), key(plainOf(22, seqBytes(40, 2))), key(plainOf(23, seqBytes(300, 1)))];
    for (let i = 0; i <= stream.length; i++) {
      for (const j of [i, Math.min(stream.length, i + 3), Math.min(stream.length, i + 305)]) {
        const got = feed(new Deframer(), splitFresh(stream, [i, j]), true).map(key);
        expect(got, `cuts ${i}, ${j}`).toEqual(want);
      }
    }
  });

  it('without transfer, a caller overwriting its chunk after offering it changes no record (no aliasing)', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 20 }), (recs, cuts) => {
        const stream = concat(...recs.map((r) => encodeRecord(r.type, r.version, r.fragment)));
        // Records are kept as returned (views), and every chunk is scribbled over once it is taken.
        const got = feed(new Deframer(), splitFresh(stream, cuts), false, (chunk) => chunk.fill(0xee));
        expect(got.map(key)).toEqual(recs.map(key));
      }),
      { numRuns: 200 },
    );
  });

  it('borrows exactly a whole record at the start of a transferred chunk, nothing else', () => {
    const d = new Deframer();
    const body = seqBytes(1000, 3);
    const chunk = concat(encodeRecord(23, 0x0303, body), encodeRecord(23, 0x0303, seqBytes(50, 4)).subarray(0, 20));
    expect(d.push(chunk, true)).toBe(1005);
    const r = d.next()!;
    // Documented aliasing: the fragment is the caller's memory (it gave it up).
    expect(r.fragment.buffer).toBe(chunk.buffer);
    expect(r.fragment.byteOffset).toBe(chunk.byteOffset + 5);
    expect(hexOf(r.fragment)).toBe(hexOf(body));
    expect(d.allocated).toBe(0); // drained: the caller's chunk is not kept
    // The partial record behind it is copied, never borrowed.
    const rest = chunk.subarray(1005);
    expect(d.push(rest, true)).toBe(20);
    rest.fill(0xee);
    expect(d.push(encodeRecord(23, 0x0303, seqBytes(50, 4)).subarray(20), true)).toBe(35);
    const r2 = d.next()!;
    expect(r2.fragment.buffer).not.toBe(chunk.buffer);
    expect(hexOf(r2.fragment)).toBe(hexOf(seqBytes(50, 4)));
  });

  it('never writes into a borrowed chunk, even while its record is still buffered', () => {
    const d = new Deframer();
    // The record, then bytes of the chunk the caller keeps (and may offer again later).
    const record = encodeRecord(23, 0x0303, seqBytes(500, 9));
    const chunk = concat(record, new Uint8Array(100).fill(0x17));
    const before = hexOf(chunk);
    expect(d.push(chunk, true)).toBe(record.length);
    // Not drained: more input arrives (the engine has not consumed the record yet).
    const more = encodeRecord(22, 0x0303, seqBytes(30, 1));
    expect(d.push(more, true)).toBe(more.length);
    expect(hexOf(chunk)).toBe(before);
    expect(hexOf(d.next()!.fragment)).toBe(hexOf(seqBytes(500, 9)));
    expect(hexOf(d.next()!.fragment)).toBe(hexOf(seqBytes(30, 1)));
    expect(d.next()).toBeNull();
    expect(d.buffered).toBeLessThanOrEqual(d.capacity);
  });

  it('a push completing a buffered record stops at its end, so the next record is borrowed', () => {
    const d = new Deframer();
    const a = encodeRecord(23, 0x0303, seqBytes(2000, 5));
    const b = encodeRecord(23, 0x0303, seqBytes(3000, 6));
    // The first chunk ends inside a's header (3 bytes), then inside its body: both ways resync.
    for (const cut of [3, 1200]) {
      expect(d.push(a.slice(0, cut), true)).toBe(cut);
      expect(d.next()).toBeNull();
      const second = concat(a.subarray(cut), b);
      expect(d.push(second, true)).toBe(a.length - cut);
      expect(hexOf(d.next()!.fragment)).toBe(hexOf(seqBytes(2000, 5)));
      const rest = second.subarray(a.length - cut);
      expect(d.push(rest, true)).toBe(b.length);
      const rb = d.next()!;
      expect(rb.fragment.buffer).toBe(second.buffer);
      expect(hexOf(rb.fragment)).toBe(hexOf(seqBytes(3000, 6)));
    }
  });

  it('the header checks are the same on the transferred path', () => {
    const over = concat(encodeRecordHeader(23, 0x0303, MAX_CIPHERTEXT_LEN_TLS13 + 1), new Uint8Array(MAX_CIPHERTEXT_LEN_TLS13 + 1));
    const d1 = new Deframer();
    d1.push(over, true);
    expectStatus(() => d1.next(), 'RecordOverflow');
    const d2 = new Deframer();
    d2.push(encodeRecord(99, 0x0303, Uint8Array.of(1)), true);
    expectStatus(() => d2.next(), 'UnexpectedMessage');
    const d3 = new Deframer();
    d3.push(concat(encodeRecordHeader(22, 0x0303, 0)), true);
    expectStatus(() => d3.next(), 'UnexpectedMessage');
    const d4 = new Deframer();
    d4.expectVersion(0x0303);
    d4.push(encodeRecord(22, 0x0301, Uint8Array.of(1)), true);
    expectStatus(() => d4.next(), 'ProtocolVersion');
  });

  it('a record over the limit in a transferred chunk is not borrowed and holds at most the capacity', () => {
    const d = new Deframer();
    const huge = concat(encodeRecordHeader(23, 0x0303, 0xffff), new Uint8Array(0xffff));
    expect(d.push(huge, true)).toBe(d.capacity);
    expect(d.buffered).toBe(d.capacity);
    expectStatus(() => d.next(), 'RecordOverflow');
  });

  it('growing for a record that starts a push stays within twice what arrived', () => {
    const d = new Deframer();
    // 11 bytes announcing a maximal record cost the minimum buffer, not the record.
    d.push(concat(encodeRecordHeader(23, 0x0303, MAX_CIPHERTEXT_LEN_TLS13), new Uint8Array(6)));
    expect(d.allocated).toBeLessThanOrEqual(512);
    // Most of a record at the end of a chunk: one buffer of the record's size.
    const d2 = new Deframer();
    const rec = encodeRecord(23, 0x0303, seqBytes(10000, 1));
    d2.push(rec.subarray(0, 6000), true);
    expect(d2.allocated).toBe(rec.length);
    d2.push(rec.subarray(6000), true);
    expect(d2.allocated).toBe(rec.length);
    expect(hexOf(d2.next()!.fragment)).toBe(hexOf(seqBytes(10000, 1)));
  });
});

function plainOf(type: number, fragment: Uint8Array): Rec {
  return { type, version: 0x0303, fragment };
}
