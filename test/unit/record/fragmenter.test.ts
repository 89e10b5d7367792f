import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fragment, packMessages } from '../../../src/record/fragmenter.js';
import { MAX_PLAINTEXT_LEN } from '../../../src/wire/record.js';
import { concat, seqBytes, toHex } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

describe('fragment (RFC 9846 §5.1: chunks of 2^14 bytes or less)', () => {
  it('splits into ≤ 2^14-byte views', () => {
    expect(fragment(new Uint8Array(0))).toEqual([]);
    expect(fragment(seqBytes(1)).map((f) => f.length)).toEqual([1]);
    expect(fragment(seqBytes(MAX_PLAINTEXT_LEN)).map((f) => f.length)).toEqual([MAX_PLAINTEXT_LEN]);
    expect(fragment(seqBytes(MAX_PLAINTEXT_LEN + 1)).map((f) => f.length)).toEqual([MAX_PLAINTEXT_LEN, 1]);
    const data = seqBytes(3 * MAX_PLAINTEXT_LEN + 5);
    const frags = fragment(data);
    expect(frags.map((f) => f.length)).toEqual([MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 5]);
    for (const f of frags) expect(f.buffer).toBe(data.buffer);
    expect(toHex(concat(...frags))).toBe(toHex(data));
  });

  it('honours a smaller maximum (e.g. record_size_limit, RFC 8449)', () => {
    expect(fragment(seqBytes(1000), 512).map((f) => f.length)).toEqual([512, 488]);
    expect(fragment(seqBytes(3), 1).map((f) => f.length)).toEqual([1, 1, 1]);
  });

  it('rejects a maximum outside 1..2^14 → InternalError', () => {
    expectStatus(() => fragment(seqBytes(1), 0), 'InternalError');
    expectStatus(() => fragment(seqBytes(1), MAX_PLAINTEXT_LEN + 1), 'InternalError');
    expectStatus(() => packMessages([seqBytes(1)], 1.5), 'InternalError');
  });
});

describe('packMessages (RFC 9846 §5.1: handshake messages MAY be coalesced)', () => {
  it('puts small messages into one record', () => {
    const msgs = [seqBytes(40, 1), seqBytes(445, 2), seqBytes(136, 3), seqBytes(36, 4)];
    const frags = packMessages(msgs);
    expect(frags.length).toBe(1);
    expect(toHex(frags[0]!)).toBe(toHex(concat(...msgs)));
  });

  it('uses ⌈total / max⌉ records, all full but the last, ending with the last message', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 2048 }),
        (lens, max) => {
          const msgs = lens.map((n, i) => seqBytes(n, i));
          const total = lens.reduce((a, b) => a + b, 0);
          const frags = packMessages(msgs, max);
          expect(frags.length).toBe(Math.ceil(total / max));
          frags.forEach((f, i) => {
            if (i < frags.length - 1) expect(f.length).toBe(max);
            else expect(f.length).toBeGreaterThan(0);
          });
          expect(toHex(concat(...frags))).toBe(toHex(concat(...msgs)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns views for fragments inside one big message and copies only straddling ones', () => {
    const small = seqBytes(100, 1);
    const cert = seqBytes(3 * MAX_PLAINTEXT_LEN, 2);
    const fin = seqBytes(36, 3);
    const frags = packMessages([small, cert, fin]);
    expect(frags.map((f) => f.length)).toEqual([MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 136]);
    expect(frags[0]!.buffer).not.toBe(cert.buffer); // small + start of cert
    expect(frags[1]!.buffer).toBe(cert.buffer);
    expect(frags[2]!.buffer).toBe(cert.buffer);
    expect(frags[3]!.buffer).not.toBe(cert.buffer); // end of cert + fin
    expect(frags[3]!.buffer).not.toBe(fin.buffer);
    expect(toHex(concat(...frags))).toBe(toHex(concat(small, cert, fin)));
  });

  it('handles no messages and empty messages', () => {
    expect(packMessages([])).toEqual([]);
    expect(packMessages([new Uint8Array(0), new Uint8Array(0)])).toEqual([]);
    expect(packMessages([new Uint8Array(0), seqBytes(3), new Uint8Array(0), seqBytes(2, 9)]).map(toHex)).toEqual(['000102090a']);
  });
});
