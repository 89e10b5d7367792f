/**
 * src/crypto/ecdsa.ts, the client-only entry's ECDSA verifier, against @noble/curves (the full
 * provider's) and node:crypto (OpenSSL): the same verdict on valid signatures (low-S and high-S),
 * signatures altered bit by bit, DER encodings bent out of shape, random bytes, digests of every
 * SHA-2 length on either curve, and the same decoding of public keys (uncompressed, compressed,
 * off the curve, coordinates out of range).
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { ECDSA_CURVES, decodeSec1Point, ecdsaVerify } from '../../../src/crypto/ecdsa.js';

const CURVES = [
  { type: 'ec-p256', noble: p256, node: 'prime256v1', size: 32 },
  { type: 'ec-p384', noble: p384, node: 'secp384r1', size: 48 },
] as const;

const HASHES = ['sha256', 'sha384', 'sha512'] as const;

function nobleVerdict(curve: typeof p256, pub: Uint8Array, digest: Uint8Array, sig: Uint8Array): boolean {
  try {
    return curve.verify(sig, digest, pub, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

function rawPublic(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  return Uint8Array.from([4, ...x, ...y]);
}

describe('ECDSA P-256/P-384 verification (src/crypto/ecdsa.ts)', () => {
  it('uses the curves of SP 800-186 (the same parameters as @noble/curves)', () => {
    for (const c of CURVES) {
      const ours = ECDSA_CURVES[c.type];
      const theirs = c.noble.Point.CURVE();
      expect([ours.p, ours.n, ours.b, ours.gx, ours.gy]).toEqual([theirs.p, theirs.n, theirs.b, theirs.Gx, theirs.Gy]);
      expect(theirs.a).toBe(ours.p - 3n);
    }
  });

  for (const c of CURVES) {
    describe(c.type, () => {
      const keys = Array.from({ length: 2 }, () => generateKeyPairSync('ec', { namedCurve: c.node }));

      it('accepts what OpenSSL signs, with every SHA-2 digest, and agrees with noble on every single-bit change', () => {
        for (const { privateKey, publicKey } of keys) {
          const pub = rawPublic(publicKey);
          for (const hash of HASHES) {
            for (let m = 0; m < 2; m++) {
              const msg = Buffer.from(`message ${m} ${hash}`);
              const digest = createHash(hash).update(msg).digest();
              const sig = createSign(hash).update(msg).sign(privateKey);
              expect(ecdsaVerify(c.type, pub, digest, sig)).toBe(true);
              expect(nobleVerdict(c.noble, pub, digest, sig)).toBe(true);
              // Flip one bit anywhere in the signature, the digest or the key.
              for (let bit = m; bit < sig.length * 8; bit += 61) {
                const bad = Uint8Array.from(sig);
                bad[bit >> 3]! ^= 1 << (bit & 7);
                expect(ecdsaVerify(c.type, pub, digest, bad), `sig bit ${bit}`).toBe(nobleVerdict(c.noble, pub, digest, bad));
              }
              const badDigest = Uint8Array.from(digest);
              badDigest[m]! ^= 0x80;
              expect(ecdsaVerify(c.type, pub, badDigest, sig)).toBe(false);
              const badKey = Uint8Array.from(pub);
              badKey[1 + m]! ^= 1;
              expect(ecdsaVerify(c.type, badKey, digest, sig)).toBe(false);
            }
          }
        }
      });

      it('accepts high-S signatures (FIPS 186-5 §6.4.2 has no low-S rule) and refuses r or s out of range', () => {
        const { n } = ECDSA_CURVES[c.type];
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: c.size, maxLength: c.size }), (seed, digest) => {
            const { secretKey, publicKey } = c.noble.keygen(Uint8Array.from({ length: (c.size * 3) / 2 }, (_, i) => seed[i % 32]! ^ i));
            const pub = c.noble.getPublicKey(secretKey, false);
            const sig = c.noble.Signature.fromBytes(c.noble.sign(digest, secretKey, { prehash: false, format: 'compact' }), 'compact');
            const low = sig.toBytes('der');
            const high = new c.noble.Signature(sig.r, n - sig.s).toBytes('der');
            expect(ecdsaVerify(c.type, pub, digest, low)).toBe(true);
            expect(ecdsaVerify(c.type, pub, digest, high)).toBe(true);
            expect(publicKey.length).toBeGreaterThan(0);
            for (const [r, s] of [
              [0n, sig.s],
              [sig.r, 0n],
              [sig.r + n, sig.s],
              [sig.r, sig.s + n],
            ] as const) {
              const der = derSig(r, s);
              expect(ecdsaVerify(c.type, pub, digest, der)).toBe(false);
              expect(nobleVerdict(c.noble, pub, digest, der)).toBe(false);
            }
          }),
          { numRuns: 8 },
        );
      });

      it('bent DER encodings and random bytes: the same verdict as noble (never a throw)', () => {
        const { privateKey, publicKey } = keys[0]!;
        const pub = rawPublic(publicKey);
        const msg = Buffer.from('der');
        const digest = createHash('sha256').update(msg).digest();
        const sig = createSign('sha256').update(msg).sign(privateKey);
        const variants: Uint8Array[] = [
          Uint8Array.from([...sig, 0]), // trailing byte
          sig.subarray(0, sig.length - 1), // truncated
          Uint8Array.from([0x30, 0x81, sig[1]!, ...sig.subarray(2)]), // non-minimal length
          Uint8Array.from([0x31, ...sig.subarray(1)]), // SET, not SEQUENCE
          new Uint8Array(0),
          Uint8Array.of(0x30, 0),
        ];
        // A leading zero added to r (non-minimal INTEGER).
        const rLen = sig[3]!;
        variants.push(Uint8Array.from([0x30, sig[1]! + 1, 0x02, rLen + 1, 0, ...sig.subarray(4)]));
        for (const v of variants) expect(ecdsaVerify(c.type, pub, digest, v), Buffer.from(v).toString('hex')).toBe(nobleVerdict(c.noble, pub, digest, v));
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 120 }), (junk) => {
            expect(ecdsaVerify(c.type, pub, digest, junk)).toBe(nobleVerdict(c.noble, pub, digest, junk));
          }),
          { numRuns: 150 },
        );
      });

      it('decodes public keys as noble does: uncompressed and compressed, off-curve and out-of-range refused', () => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.boolean(), (seed, flip) => {
            const { secretKey } = c.noble.keygen(Uint8Array.from({ length: (c.size * 3) / 2 }, (_, i) => seed[i % 48]! ^ i));
            const full = c.noble.getPublicKey(secretKey, false);
            const compressed = c.noble.getPublicKey(secretKey, true);
            expect(Buffer.from(decodeSec1Point(c.type, full))).toEqual(Buffer.from(full));
            expect(Buffer.from(decodeSec1Point(c.type, compressed))).toEqual(Buffer.from(full));
            const bent = Uint8Array.from(flip ? full : compressed);
            bent[bent.length - 1]! ^= 1;
            let nobleOk: Uint8Array | null;
            try {
              const pt = c.noble.Point.fromBytes(bent);
              pt.assertValidity();
              nobleOk = pt.toBytes(false);
            } catch {
              nobleOk = null;
            }
            let ours: Uint8Array | null;
            try {
              ours = decodeSec1Point(c.type, bent);
            } catch {
              ours = null;
            }
            expect(ours === null ? null : Buffer.from(ours)).toEqual(nobleOk === null ? null : Buffer.from(nobleOk));
          }),
          { numRuns: 30 },
        );
        const { p } = ECDSA_CURVES[c.type];
        const big = (v: bigint): number[] => Array.from({ length: c.size }, (_, i) => Number((v >> BigInt(8 * (c.size - 1 - i))) & 0xffn));
        for (const bad of [
          Uint8Array.from([4, ...big(p), ...big(1n)]), // x = p
          Uint8Array.from([4, ...big(1n), ...big(p + 1n)]), // y > p (wraps)
          Uint8Array.from([2, ...big(p)]),
          Uint8Array.from([4, ...new Array(2 * c.size).fill(0)]), // (0, 0): not on the curve
          Uint8Array.from([5, ...new Array(2 * c.size).fill(1)]),
        ]) {
          // A TlsError with a stable status (callers map it to theirs), never a bare Error.
          expect(() => decodeSec1Point(c.type, bad)).toThrow(expect.objectContaining({ status: 'IllegalParameter' }));
        }
      });
    });
  }
});

/** DER ECDSA-Sig-Value for any r, s ≥ 0. */
function derSig(r: bigint, s: bigint): Uint8Array {
  const int = (v: bigint): number[] => {
    let hex = v.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    const b = [...Buffer.from(hex, 'hex')];
    if (b[0]! & 0x80) b.unshift(0);
    return [0x02, b.length, ...b];
  };
  const body = [...int(r), ...int(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}
