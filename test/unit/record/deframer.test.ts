import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlertDescription } from '../../../src/base/errors.js';
import { Deframer } from '../../../src/record/deframer.js';
import {
  MAX_CIPHERTEXT_LEN_TLS12,
  MAX_CIPHERTEXT_LEN_TLS13,
  encodeRecord,
  encodeRecordHeader,
  type TlsRecord,
} from '../../../src/wire/record.js';
import { concat, seqBytes } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

interface Rec {
  type: number;
  version: number;
  fragment: Uint8Array;
}

/** Compact comparable form (deep equality on 16 KiB typed arrays is slow). */
function key(r: Rec | TlsRecord): string {
  return `${r.type}/${r.version}/${Buffer.from(r.fragment.buffer, r.fragment.byteOffset, r.fragment.length).toString('hex')}`;
}

/** Feeds `chunks` under the back-pressure contract and collects every record. */
function deframeAll(d: Deframer, chunks: Uint8Array[]): TlsRecord[] {
  const out: TlsRecord[] = [];
  for (const chunk of chunks) {
    let off = 0;
    while (off < chunk.length) {
      const n = d.push(chunk.subarray(off));
      if (d.buffered > d.capacity) expect.fail(`buffered ${d.buffered} > capacity ${d.capacity}`);
      off += n;
      for (let r; (r = d.next()) !== null; ) out.push(r);
      if (n === 0) expect.fail('no progress: push accepted nothing after draining');
    }
  }
  return out;
}

function plain(r: TlsRecord): Rec {
  return { type: r.type, version: r.version, fragment: r.fragment.slice() };
}

const arbRecord = fc
  .record({
    type: fc.constantFrom(20, 21, 22, 23),
    version: fc.constantFrom(0x0301, 0x0303),
    fragment: fc.oneof(
      { weight: 5, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: MAX_CIPHERTEXT_LEN_TLS13 }).map((n) => seqBytes(n, n)) },
    ),
  })
  .map((r) => r as Rec);

/** Splits `stream` at the given cut points. */
function split(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(stream.subarray(prev, p));
    prev = p;
  }
  out.push(stream.subarray(prev));
  return out;
}

describe('Deframer: framing (RFC 9846 §5.1)', () => {
  it('returns null until a whole record is buffered', () => {
    const d = new Deframer();
    const rec = encodeRecord(22, 0x0301, seqBytes(10));
    expect(d.push(rec.subarray(0, 4))).toBe(4);
    expect(d.next()).toBeNull();
    d.push(rec.subarray(4, 14));
    expect(d.next()).toBeNull();
    d.push(rec.subarray(14));
    const r = d.next()!;
    expect(r.type).toBe(22);
    expect(r.version).toBe(0x0301);
    expect(Array.from(r.fragment)).toEqual(Array.from(seqBytes(10)));
    expect(d.next()).toBeNull();
    expect(d.isEmpty()).toBe(true);
  });

  it('returns several records pushed at once, in order', () => {
    const d = new Deframer();
    const stream = concat(encodeRecord(22, 0x0303, Uint8Array.of(1)), encodeRecord(21, 0x0303, Uint8Array.of(2, 3)), encodeRecord(23, 0x0303, new Uint8Array(0)));
    d.push(stream);
    expect(plain(d.next()!)).toEqual({ type: 22, version: 0x0303, fragment: Uint8Array.of(1) });
    expect(plain(d.next()!)).toEqual({ type: 21, version: 0x0303, fragment: Uint8Array.of(2, 3) });
    expect(plain(d.next()!)).toEqual({ type: 23, version: 0x0303, fragment: new Uint8Array(0) });
    expect(d.next()).toBeNull();
  });

  it('any chunking of a stream of records yields the same records', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (recs, cuts) => {
        const stream = concat(...recs.map((r) => encodeRecord(r.type, r.version, r.fragment)));
        const got = deframeAll(new Deframer(), split(stream, cuts)).map(key);
        expect(got).toEqual(recs.map(key));
      }),
      { numRuns: 200 },
    );
  });

  it('handles a maximal record pushed one byte at a time', () => {
    const d = new Deframer();
    const body = seqBytes(MAX_CIPHERTEXT_LEN_TLS13, 7);
    const rec = concat(encodeRecord(23, 0x0303, body), encodeRecord(21, 0x0303, Uint8Array.of(1, 0)));
    const got: TlsRecord[] = [];
    for (let i = 0; i < rec.length; i++) {
      if (d.push(rec.subarray(i, i + 1)) !== 1) expect.fail(`byte ${i} not accepted`);
      for (let r; (r = d.next()) !== null; ) got.push(r);
    }
    expect(got.length).toBe(2);
    expect(got[0]!.fragment).toEqual(body);
    expect(Array.from(got[1]!.fragment)).toEqual([1, 0]);
  });

  it('returned fragments stay intact while more input is pushed', () => {
    const d = new Deframer();
    const frags: Uint8Array[] = [];
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const body = seqBytes(1000 + i, i);
      expected.push(body);
      const rec = encodeRecord(23, 0x0303, body);
      let off = 0;
      while (off < rec.length) {
        off += d.push(rec.subarray(off, off + 777));
        for (let r; (r = d.next()) !== null; ) frags.push(r.fragment);
      }
    }
    expect(frags).toEqual(expected);
  });
});

describe('Deframer: back-pressure (BearSSL-style bounded input)', () => {
  it('holds at most one maximal record and accepts the rest after draining', () => {
    const d = new Deframer();
    expect(d.capacity).toBe(5 + MAX_CIPHERTEXT_LEN_TLS13);
    const recs = [0, 1, 2].map((i) => encodeRecord(23, 0x0303, seqBytes(MAX_CIPHERTEXT_LEN_TLS13, i)));
    const stream = concat(...recs);
    expect(d.push(stream)).toBe(d.capacity);
    expect(d.room).toBe(0);
    expect(d.push(stream.subarray(d.capacity))).toBe(0);
    expect(d.next()!.fragment).toEqual(seqBytes(MAX_CIPHERTEXT_LEN_TLS13, 0));
    expect(d.next()).toBeNull();
    expect(d.room).toBe(d.capacity);
    expect(deframeAll(d, [stream.subarray(d.capacity)]).map((r) => r.fragment)).toEqual([1, 2].map((i) => seqBytes(MAX_CIPHERTEXT_LEN_TLS13, i)));
  });

  it('never buffers more than its capacity, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(arbRecord, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 10 }), (recs, cuts) => {
        const stream = concat(...recs.map((r) => encodeRecord(r.type, r.version, r.fragment)));
        const d = new Deframer();
        deframeAll(d, split(stream, cuts)); // asserts buffered ≤ capacity after every push
        expect(d.isEmpty()).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('TLS 1.2 limit: 2^14 + 2048 after setMaxFragmentLen', () => {
    const d = new Deframer({ maxFragmentLen: MAX_CIPHERTEXT_LEN_TLS13 });
    d.push(encodeRecordHeader(23, 0x0303, MAX_CIPHERTEXT_LEN_TLS12));
    expectStatus(() => d.next(), 'RecordOverflow');
    const d2 = new Deframer();
    d2.push(encodeRecordHeader(23, 0x0303, 100)); // a partial record survives the change
    d2.setMaxFragmentLen(MAX_CIPHERTEXT_LEN_TLS12);
    expect(d2.capacity).toBe(5 + MAX_CIPHERTEXT_LEN_TLS12);
    d2.push(seqBytes(100));
    expect(d2.next()!.fragment).toEqual(seqBytes(100));
    const big = encodeRecord(23, 0x0303, seqBytes(MAX_CIPHERTEXT_LEN_TLS12));
    expect(deframeAll(d2, [big]).map((r) => r.fragment.length)).toEqual([MAX_CIPHERTEXT_LEN_TLS12]);
    expect(new Deframer({ maxFragmentLen: MAX_CIPHERTEXT_LEN_TLS12 }).maxFragmentLen).toBe(MAX_CIPHERTEXT_LEN_TLS12);
  });

  it('rejects an invalid limit → InternalError', () => {
    expectStatus(() => new Deframer({ maxFragmentLen: 0 }), 'InternalError');
    expectStatus(() => new Deframer().setMaxFragmentLen(0x10000), 'InternalError');
  });
});

describe('Deframer: header checks', () => {
  it('accepts exactly 2^14 + 256 and rejects 2^14 + 257 → RecordOverflow/record_overflow, from the header alone', () => {
    const ok = new Deframer();
    ok.push(encodeRecordHeader(23, 0x0303, MAX_CIPHERTEXT_LEN_TLS13));
    expect(ok.next()).toBeNull();
    const d = new Deframer();
    d.push(encodeRecordHeader(23, 0x0303, MAX_CIPHERTEXT_LEN_TLS13 + 1));
    const err = expectStatus(() => d.next(), 'RecordOverflow');
    expect(err.alert).toBe(AlertDescription.record_overflow);
  });

  it('rejects unknown content types → UnexpectedMessage (RFC 9846 §5)', () => {
    for (const type of [0, 1, 19, 24, 25, 0x80, 255]) {
      const d = new Deframer();
      d.push(encodeRecordHeader(type, 0x0303, 1));
      const err = expectStatus(() => d.next(), 'UnexpectedMessage');
      expect(err.alert).toBe(AlertDescription.unexpected_message);
    }
  });

  it('rejects a plaintext HTTP request → UnexpectedMessage', () => {
    const d = new Deframer();
    d.push(new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expectStatus(() => d.next(), 'UnexpectedMessage');
  });

  it('rejects a version whose major byte is not 3 → DecodeError', () => {
    for (const v of [0x0000, 0x0200, 0x0203, 0x0403, 0xfefd, 0x1603]) {
      const d = new Deframer();
      d.push(encodeRecordHeader(22, v, 1));
      expectStatus(() => d.next(), 'DecodeError');
    }
  });

  it('accepts 0x0301 (initial ClientHello) and 0x0303 until a version is required', () => {
    const d = new Deframer();
    d.push(concat(encodeRecord(22, 0x0301, Uint8Array.of(1)), encodeRecord(22, 0x0303, Uint8Array.of(2))));
    expect(d.next()!.version).toBe(0x0301);
    expect(d.next()!.version).toBe(0x0303);
  });

  it('after expectVersion(0x0303) rejects 0x0301 → ProtocolVersion/protocol_version', () => {
    const d = new Deframer();
    d.expectVersion(0x0303);
    d.push(concat(encodeRecord(22, 0x0303, Uint8Array.of(2)), encodeRecord(22, 0x0301, Uint8Array.of(1))));
    expect(d.next()!.version).toBe(0x0303);
    const err = expectStatus(() => d.next(), 'ProtocolVersion');
    expect(err.alert).toBe(AlertDescription.protocol_version);
    d.expectVersion(null);
    expect(d.next()!.version).toBe(0x0301);
  });

  it('rejects zero-length handshake, alert and change_cipher_spec records → UnexpectedMessage (RFC 9846 §5.1, §5.4)', () => {
    for (const type of [20, 21, 22]) {
      const d = new Deframer();
      d.push(encodeRecordHeader(type, 0x0303, 0));
      expectStatus(() => d.next(), 'UnexpectedMessage');
    }
  });

  it('lets a zero-length application_data record through (the protector decides)', () => {
    const d = new Deframer();
    d.push(encodeRecordHeader(23, 0x0303, 0));
    expect(d.next()!.fragment.length).toBe(0);
  });

  it('keeps failing on the same bad header', () => {
    const d = new Deframer();
    d.push(encodeRecordHeader(99, 0x0303, 1));
    expectStatus(() => d.next(), 'UnexpectedMessage');
    expectStatus(() => d.next(), 'UnexpectedMessage');
  });

  it('a bad record after good ones is detected only when reached', () => {
    const d = new Deframer();
    d.push(concat(encodeRecord(22, 0x0303, Uint8Array.of(1)), encodeRecordHeader(7, 0x0303, 1)));
    expect(d.next()!.type).toBe(22);
    expectStatus(() => d.next(), 'UnexpectedMessage');
  });
});
