/**
 * puretls's own SHA-2, HMAC and HKDF (src/crypto/sha2.ts, src/crypto/hash.ts) against
 * `node:crypto` (OpenSSL) and FIPS 180-4's / RFC 4231's / RFC 5869's examples.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { Sha2 } from '../../../src/crypto/sha2.js';
import { digest, hashState, hkdfExpand, hkdfExtract, hmac } from '../../../src/crypto/hash.js';
import type { HashAlg } from '../../../src/crypto/provider.js';
import { TlsError } from '../../../src/base/errors.js';

const ALGS: HashAlg[] = ['sha256', 'sha384', 'sha512'];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const node = (alg: HashAlg, data: Uint8Array) => createHash(alg).update(data).digest('hex');
// Lengths around the padding boundaries of both block sizes (55/56/64, 111/112/128).
const lengthArb = fc.oneof(fc.constantFrom(0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 200, 1000), fc.integer({ min: 0, max: 3000 }));

describe('SHA-2 (FIPS 180-4), ours', () => {
  it('FIPS 180-4 examples: "abc" and the two-block message, every hash', () => {
    const abc = new TextEncoder().encode('abc');
    expect(hex(digest('sha256', abc))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(digest('sha384', abc))).toBe('cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
    expect(hex(digest('sha512', abc))).toBe('ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f');
    const two = new TextEncoder().encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(hex(digest('sha256', two))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(hex(digest('sha512', new Uint8Array(0)))).toBe(node('sha512', new Uint8Array(0)));
  });

  it('one million "a" bytes, fed in uneven pieces (FIPS 180-4 long-message example)', () => {
    for (const alg of ALGS) {
      const h = hashState(alg);
      const piece = new Uint8Array(999).fill(0x61);
      let left = 1_000_000;
      while (left > 0) {
        const n = Math.min(left, piece.length);
        h.update(piece.subarray(0, n));
        left -= n;
      }
      expect(hex(h.digest())).toBe(createHash(alg).update(Buffer.alloc(1_000_000, 0x61)).digest('hex'));
    }
  });

  it('agrees with node:crypto for random messages split at random points, and clones mid-stream', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALGS), lengthArb, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), (alg, len, cuts, seed) => {
        const data = Uint8Array.from({ length: len }, (_, i) => (i * 31 + seed) & 0xff);
        const points = [...new Set(cuts.map((c) => (len === 0 ? 0 : c % (len + 1))))].sort((a, b) => a - b);
        const h = hashState(alg);
        let at = 0;
        let copy: ReturnType<typeof hashState> | undefined;
        for (const p of points) {
          h.update(data.subarray(at, p));
          at = p;
          copy ??= h.clone();
        }
        const copyAt = points[0] ?? 0;
        h.update(data.subarray(at));
        expect(hex(h.digest())).toBe(node(alg, data));
        if (copy) {
          copy.update(new Uint8Array([1, 2, 3]));
          expect(hex(copy.digest())).toBe(node(alg, Uint8Array.from([...data.subarray(0, copyAt), 1, 2, 3])));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a finished state refuses further use (InternalError), as noble refused it', () => {
    const h = new Sha2('sha256');
    h.digest();
    for (const f of [() => h.update(new Uint8Array(1)), () => h.digest(), () => h.clone()]) {
      expect(f).toThrow(TlsError);
    }
    expect(() => hashState('md5' as HashAlg)).toThrow(TlsError);
  });
});

describe('HMAC (RFC 2104) and HKDF (RFC 5869) on our SHA-2', () => {
  it('RFC 4231 test case 2 and 6 (a key longer than the block), RFC 5869 test case 1', () => {
    const jefe = new TextEncoder().encode('Jefe');
    const what = new TextEncoder().encode('what do ya want for nothing?');
    expect(hex(hmac('sha256', jefe, what))).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(hex(hmac('sha384', jefe, what))).toBe('af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649');
    const longKey = new Uint8Array(131).fill(0xaa);
    const msg = new TextEncoder().encode('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(hex(hmac('sha512', longKey, msg))).toBe('80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598');
    const prk = hkdfExtract('sha256', unhex('000102030405060708090a0b0c'), unhex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'));
    expect(hex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(hkdfExpand('sha256', prk, unhex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });

  it('agrees with node:crypto for random keys, data, salts and lengths (empty salt = HashLen zeros)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALGS), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 80 }), fc.integer({ min: 0, max: 600 }), (alg, key, data, info, length) => {
        expect(hex(hmac(alg, key, data))).toBe(createHmac(alg, key).update(data).digest('hex'));
        const prk = hkdfExtract(alg, key, data);
        expect(hex(prk)).toBe(createHmac(alg, key.length ? key : new Uint8Array(createHash(alg).digest().length)).update(data).digest('hex'));
        expect(hex(hkdfExpand(alg, prk, info, length))).toBe(length === 0 ? '' : Buffer.from(hkdfSync(alg, data, key, info, length)).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('an HKDF-Expand length outside 0..255·HashLen is an InternalError', () => {
    for (const n of [-1, 255 * 32 + 1, 1.5]) expect(() => hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), n)).toThrow(TlsError);
    expect(hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32).length).toBe(255 * 32);
  });
});
