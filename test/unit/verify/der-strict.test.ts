/**
 * Issue 7 items 18 and 19 at the DER level: BIT STRING padding bits must be zero
 * (X.690 §11.2.1) wherever a BIT STRING appears, the end-of-contents element is refused,
 * and OIDs with large arcs are read.
 */
import { describe, expect, it } from 'vitest';
import { DerReader, derOid } from '../../../src/crypto/der.js';
import { TlsError } from '../../../src/base/errors.js';

const reader = (...b: number[]) => new DerReader(Uint8Array.from(b));

describe('BIT STRING (X.690 §8.6.2, §11.2.1)', () => {
  it('padding bits must be zero, for any BIT STRING read', () => {
    expect(reader(0x03, 0x02, 0x07, 0x80).namedBits()).toEqual([true]);
    expect(() => reader(0x03, 0x02, 0x07, 0x84).namedBits()).toThrow(/padding bits/);
    expect(() => reader(0x03, 0x02, 0x01, 0x01).read()).toThrow(/padding bits/);
    // Inside any structure: read() checks every BIT STRING it meets.
    expect(() => reader(0x30, 0x04, 0x03, 0x02, 0x04, 0xff).sequence().read()).toThrow(/padding bits/);
  });

  it('the unused-bits count is honoured: only existing bits are named bits', () => {
    expect(reader(0x03, 0x02, 0x05, 0xa0).namedBits()).toEqual([true, false, true]);
    expect(reader(0x03, 0x03, 0x07, 0x86, 0x80).namedBits()).toEqual([true, false, false, false, false, true, true, false, true]);
    expect(reader(0x03, 0x01, 0x00).namedBits()).toEqual([]);
  });

  it('malformed counts are refused', () => {
    expect(() => reader(0x03, 0x00).read()).toThrow(/empty BIT STRING/);
    expect(() => reader(0x03, 0x02, 0x08, 0x00).read()).toThrow(/8 unused bits/);
    expect(() => reader(0x03, 0x01, 0x03).read()).toThrow(/unused bits/);
  });
});

describe('other DER strictness', () => {
  it('the end-of-contents element (universal tag 0) is refused', () => {
    expect(() => reader(0x00, 0x00).read()).toThrow(/end-of-contents/);
    expect(() => reader(0x30, 0x80, 0x00, 0x00).read()).toThrow(TlsError);
  });

  it('OIDs with large arcs are read: 2.25.<128-bit UUID> (X.667), and arcs beyond 2^48', () => {
    const uuid = BigInt('0x' + 'f81d4fae7dec11d0a76500a0c91e6bf6').toString();
    for (const oid of [`2.25.${uuid}`, '1.2.281474976710656', `2.999.${(1n << 200n).toString()}`]) {
      expect(new DerReader(derOid(oid)).oid()).toBe(oid);
    }
  });

  it('OIDs are still bounded and minimal', () => {
    const huge = Uint8Array.from([0x06, 34, 0x2a, ...new Array<number>(32).fill(0xff), 0x7f]);
    expect(() => new DerReader(huge).oid()).toThrow(/OID arc too large/);
    expect(() => reader(0x06, 0x03, 0x2a, 0x80, 0x01).oid()).toThrow(/non-minimal/);
    expect(() => reader(0x06, 0x02, 0x2a, 0x81).oid()).toThrow(/truncated/);
  });
});
