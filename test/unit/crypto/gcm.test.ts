import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { gcm, unsafe } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AesGcmKey, WIDE_TABLE_AFTER, expandKey } from '../../../src/crypto/gcm.js';
import { createAead, isInPlaceAead, type InPlaceAead } from '../../../src/crypto/aead.js';
import type { AeadAlg } from '../../../src/crypto/provider.js';

interface GcmVector {
  readonly name: string;
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly pt: string;
  readonly ct: string;
  readonly tag: string;
}
const spec = JSON.parse(readFileSync(new URL('../../../vectors/gcm/gcm-spec.json', import.meta.url), 'utf8')) as { vectors: GcmVector[] };
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function inPlace(alg: AeadAlg, key: Uint8Array): InPlaceAead {
  const a = createAead(alg, key);
  if (!isInPlaceAead(a)) throw new Error('not in place');
  return a;
}

/** A copy of `b` at byte offset `offset` of a fresh ArrayBuffer (to hit both the aligned and the byte paths). */
function at(b: Uint8Array, offset: number, extra = 0): Uint8Array {
  const host = new Uint8Array(offset + b.length + extra);
  host.set(b, offset);
  return host.subarray(offset, offset + b.length + extra);
}

describe('AES-GCM keyed once: the GCM specification test vectors (vectors/gcm/gcm-spec.json)', () => {
  it.each(spec.vectors.map((v) => [v.name, v] as const))('%s: seal, open, in place', (_name, v) => {
    const key = hex(v.key);
    const alg: AeadAlg = key.length === 16 ? 'AES-128-GCM' : 'AES-256-GCM';
    const a = inPlace(alg, key);
    const nonce = hex(v.iv);
    const aad = hex(v.aad);
    const pt = hex(v.pt);
    const expected = v.ct + v.tag;
    expect(toHex(a.seal(nonce, aad, pt))).toBe(expected);
    expect(toHex(a.open(nonce, aad, hex(expected))!)).toBe(v.pt);
    const buf = at(pt, 1, 16);
    a.sealInPlace(nonce, aad, buf);
    expect(toHex(buf)).toBe(expected);
    expect(toHex(a.openInPlace(nonce, aad, buf)!)).toBe(v.pt);
    // The low-level key, both table widths: the wide table is built by a long enough call.
    const k = new AesGcmKey(key);
    const tag = new Uint8Array(16);
    const out = new Uint8Array(pt.length);
    k.encrypt(nonce, aad, pt, out, tag);
    expect(toHex(out) + toHex(tag)).toBe(expected);
    k.encrypt(new Uint8Array(12), new Uint8Array(0), new Uint8Array(WIDE_TABLE_AFTER), new Uint8Array(WIDE_TABLE_AFTER), new Uint8Array(16));
    k.encrypt(nonce, aad, pt, out, tag);
    expect(toHex(out) + toHex(tag)).toBe(expected);
  });
});

describe('AES key expansion (FIPS 197 §5.2), ours', () => {
  it('FIPS 197 Appendix A.1 and A.3: the first and last round-key words', () => {
    // Words as the key bytes read little-endian (byte 0 lowest): w0 = 2b7e1516 is 0x16157e2b.
    const a1 = expandKey(hex('2b7e151628aed2a6abf7158809cf4f3c'));
    expect(a1.length).toBe(44);
    expect((a1[0]! >>> 0).toString(16)).toBe('16157e2b');
    expect((a1[4]! >>> 0).toString(16)).toBe('17fefaa0'); // w4 = a0fafe17
    expect((a1[43]! >>> 0).toString(16)).toBe('a60c63b6'); // w43 = b6630ca6
    const a3 = expandKey(hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4'));
    expect(a3.length).toBe(60);
    expect((a3[8]! >>> 0).toString(16)).toBe('1154a39b'); // w8 = 9ba35411
    expect((a3[59]! >>> 0).toString(16)).toBe('1e636c70'); // w59 = 706c631e
  });

  it("is noble's unsafe.expandKeyLE word for word, for random 16- and 32-byte keys", () => {
    fc.assert(
      fc.property(fc.constantFrom(16, 32), bytes(32), (len, k) => {
        const key = k.subarray(0, len);
        expect(Array.from(expandKey(key), (w) => w >>> 0)).toEqual(Array.from(unsafe.expandKeyLE(key.slice())));
      }),
      { numRuns: 200 },
    );
  });
});

const LENGTHS = [0, 1, 15, 16, 17, 31, 32, 33, 255, 1023, 1024, 1025, 4096, 16383, 16384, 16385, 16384 + 256];
const lengthArb = fc.oneof(fc.constantFrom(...LENGTHS), fc.integer({ min: 0, max: 17000 }));
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('AES-GCM keyed once agrees with noble gcm (fast-check)', () => {
  const caseArb = fc.record({
    keyLen: fc.constantFrom(16, 32),
    key: bytes(32),
    nonce: bytes(12),
    aad: fc.uint8Array({ maxLength: 40 }),
    len: lengthArb,
    seed: fc.integer({ min: 0, max: 255 }),
    offset: fc.integer({ min: 0, max: 3 }),
  });

  it('seal and open, copying and in place, at any alignment, both directions', () => {
    fc.assert(
      fc.property(caseArb, ({ keyLen, key: key32, nonce, aad, len, seed, offset }) => {
        const key = key32.subarray(0, keyLen);
        const alg: AeadAlg = keyLen === 16 ? 'AES-128-GCM' : 'AES-256-GCM';
        const pt = new Uint8Array(len).map((_, i) => (i * 31 + seed) & 0xff);
        const a = inPlace(alg, key);
        const ref = gcm(key, nonce, aad).encrypt(pt);
        expect(toHex(a.seal(nonce, aad, at(pt, offset)))).toBe(toHex(ref));
        // Our ciphertext opens with noble, noble's with ours.
        expect(toHex(gcm(key, nonce, aad).decrypt(a.seal(nonce, aad, pt)))).toBe(toHex(pt));
        expect(toHex(a.open(nonce, aad, at(ref, (offset + 1) & 3))!)).toBe(toHex(pt));
        const buf = at(pt, offset, 16);
        a.sealInPlace(nonce, aad, buf);
        expect(toHex(buf)).toBe(toHex(ref));
        const opened = a.openInPlace(nonce, aad, buf);
        expect(opened).not.toBeNull();
        expect(toHex(opened!)).toBe(toHex(pt));
        expect(opened!.buffer).toBe(buf.buffer); // a view of the input: no copy
      }),
      { numRuns: 150 },
    );
  });

  it('any flipped bit of ciphertext, tag, AAD or nonce → null, and the buffer is left as it was', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('data', 'aad', 'nonce'), (c, pos, bit, where) => {
        const key = c.key.subarray(0, c.keyLen);
        const alg: AeadAlg = c.keyLen === 16 ? 'AES-128-GCM' : 'AES-256-GCM';
        const a = inPlace(alg, key);
        const pt = new Uint8Array(c.len).fill(c.seed);
        const sealed = a.seal(c.nonce, c.aad, pt);
        const nonce = c.nonce.slice();
        const aad = c.aad.slice();
        const data = at(sealed, c.offset);
        if (where === 'aad' && aad.length > 0) aad[pos % aad.length]! ^= 1 << bit;
        else if (where === 'nonce') nonce[pos % 12]! ^= 1 << bit;
        else data[pos % data.length]! ^= 1 << bit;
        const tampered = data.slice();
        expect(a.open(nonce, aad, data)).toBeNull();
        expect(a.openInPlace(nonce, aad, data)).toBeNull();
        expect(toHex(data)).toBe(toHex(tampered));
      }),
      { numRuns: 150 },
    );
  });

  it('one key across many records of every size (4-bit table, then the 8-bit one) stays exact', () => {
    const key = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);
    const a = inPlace('AES-128-GCM', key);
    let seq = 0;
    for (const len of [...LENGTHS, ...LENGTHS.slice().reverse()]) {
      const nonce = new Uint8Array(12);
      nonce[11] = seq++;
      const aad = Uint8Array.of(23, 3, 3, len >> 8, len & 0xff);
      const pt = new Uint8Array(len).map((_, i) => i ^ seq);
      expect(toHex(a.seal(nonce, aad, pt))).toBe(toHex(gcm(key, nonce, aad).encrypt(pt)));
    }
  });

  it('three keys taking turns with long records (the shared wide tables rebuilt on every switch) stay exact', () => {
    const keys = [1, 2, 3].map((k) => Uint8Array.from({ length: 16 }, (_, i) => i * k + 7));
    const ciphers = keys.map((k) => inPlace('AES-128-GCM', k));
    for (let round = 0; round < 4; round++) {
      for (let k = 0; k < 3; k++) {
        const nonce = Uint8Array.of(round, k, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
        const pt = new Uint8Array(2000 + round * 700 + k).map((_, i) => i * 3 + k);
        expect(toHex(ciphers[k]!.seal(nonce, nonce, pt))).toBe(toHex(gcm(keys[k]!, nonce, nonce).encrypt(pt)));
        expect(toHex(ciphers[k]!.seal(nonce, nonce, pt.subarray(0, 100)))).toBe(toHex(gcm(keys[k]!, nonce, nonce).encrypt(pt.subarray(0, 100))));
      }
    }
  });

  it('a short input is null, never an exception; a wrong nonce length is null on open and an InternalError on seal', () => {
    const a = inPlace('AES-256-GCM', new Uint8Array(32));
    expect(a.open(new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))).toBeNull();
    expect(a.openInPlace(new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))).toBeNull();
    expect(a.open(new Uint8Array(8), new Uint8Array(0), new Uint8Array(32))).toBeNull();
    expect(() => a.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1))).toThrow(expect.objectContaining({ status: 'InternalError' }));
    expect(() => a.sealInPlace(new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))).toThrow(expect.objectContaining({ status: 'InternalError' }));
  });

  it('keeps its own key schedule: wiping the caller key afterwards changes nothing', () => {
    const key = new Uint8Array(16).fill(5);
    const a = createAead('AES-128-GCM', key);
    const nonce = new Uint8Array(12);
    const before = a.seal(nonce, new Uint8Array(0), new Uint8Array(40));
    key.fill(0);
    expect(toHex(a.seal(nonce, new Uint8Array(0), new Uint8Array(40)))).toBe(toHex(before));
  });
});

describe('ChaCha20-Poly1305 in place agrees with noble', () => {
  it('sealInPlace / openInPlace, tampering → null and untouched', () => {
    fc.assert(
      fc.property(bytes(32), bytes(12), fc.uint8Array({ maxLength: 20 }), lengthArb, fc.integer({ min: 0, max: 3 }), fc.nat(), (key, nonce, aad, len, offset, pos) => {
        const a = inPlace('CHACHA20-POLY1305', key);
        const pt = new Uint8Array(len).map((_, i) => i & 0xff);
        const ref = chacha20poly1305(key, nonce, aad).encrypt(pt);
        const buf = at(pt, offset, 16);
        a.sealInPlace(nonce, aad, buf);
        expect(toHex(buf)).toBe(toHex(ref));
        const bad = buf.slice();
        bad[pos % bad.length]! ^= 0x80;
        const badCopy = bad.slice();
        expect(a.openInPlace(nonce, aad, bad)).toBeNull();
        expect(toHex(bad)).toBe(toHex(badCopy));
        const opened = a.openInPlace(nonce, aad, buf)!;
        expect(toHex(opened)).toBe(toHex(pt));
        // In place when aligned (a view of buf); otherwise one new, aligned buffer.
        expect(opened.buffer === buf.buffer).toBe(offset === 0);
      }),
      { numRuns: 60 },
    );
  });
});
