import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { constants, generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { BLINDING_REFRESH, blindingPairOf, modInverse, modPow, modulusBits, modulusBytes, pkcs1Sign, pkcs1Verify, pssSign, pssVerify } from '../../../src/crypto/rsa.js';
import { seededRandom } from '../../../src/testing/random.js';
import { parsePrivateKey } from '../../../src/crypto/keys.js';
import { bigIntToBytes } from '../../../src/crypto/der.js';
import type { RandomSource } from '../../../src/crypto/provider.js';

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const rnd: RandomSource = (n) => u8(randomBytes(n));

function naivePow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r % m;
}

const node = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = parsePrivateKey(node.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string);
const priv = key.rsa!;
const pub = { n: priv.n, e: priv.e };

describe('arithmetic', () => {
  it('modPow matches square-and-multiply for small and large exponents', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 600n) - 1n }),
        fc.bigInt({ min: 0n, max: (1n << 300n) - 1n }),
        fc.bigInt({ min: 2n, max: (1n << 256n) - 1n }),
        (b, e, m) => {
          expect(modPow(b, e, m)).toBe(naivePow(b, e, m));
        },
      ),
      { numRuns: 200 },
    );
    // Sliding-window edge cases: long zero runs, all-ones runs, windows cut by the end.
    const m = (1n << 521n) - 1n;
    for (const e of [(1n << 1000n) + 1n, (1n << 64n) - 1n, (1n << 33n) | 0b10001n, 0b1000010000100001n << 40n, (1n << 32n) + 0b11111n]) {
      expect(modPow(3n, e, m)).toBe(naivePow(3n, e, m));
    }
    expect(modPow(5n, 0n, 7n)).toBe(1n);
    expect(modPow(5n, 3n, 1n)).toBe(0n);
    expect(modPow(-2n, 3n, 7n)).toBe(naivePow(5n, 3n, 7n));
  });

  it('modInverse inverts or reports none', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: priv.n - 1n }), (a) => {
        const inv = modInverse(a, priv.n);
        if (inv !== null) expect((a * inv) % priv.n).toBe(1n);
      }),
      { numRuns: 50 },
    );
    expect(modInverse(priv.p, priv.n)).toBeNull();
    expect(modInverse(6n, 9n)).toBeNull();
  });

  it('exposes the modulus size', () => {
    expect(modulusBits(priv.n)).toBe(2048);
    expect(modulusBytes(priv.n)).toBe(256);
  });
});

describe('RSASSA-PSS with general salt lengths (RFC 8017 §8.1)', () => {
  it.each([0, 20, 32, 64])('salt %i: node ↔ ours', (saltLength) => {
    const msg = rnd(77);
    const theirs = u8(nodeSign('sha256', msg, { key: node.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
    expect(pssVerify(pub, 'sha256', msg, theirs, saltLength)).toBe(true);
    expect(pssVerify(pub, 'sha256', msg, theirs, saltLength + 1)).toBe(false);
    const ours = pssSign(priv, 'sha256', msg, rnd, saltLength);
    expect(nodeVerify('sha256', msg, { key: node.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, ours)).toBe(true);
  });

  it('defaults the salt length to the hash length', () => {
    const msg = rnd(5);
    const sig = pssSign(priv, 'sha384', msg, rnd);
    expect(nodeVerify('sha384', msg, { key: node.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, sig)).toBe(true);
    expect(pssVerify(pub, 'sha384', msg, sig)).toBe(true);
  });

  it('rejects a signature representative ≥ n and one of the wrong length', () => {
    const msg = rnd(5);
    expect(pssVerify(pub, 'sha256', msg, bigIntToBytes(priv.n, 256)!)).toBe(false);
    expect(pssVerify(pub, 'sha256', msg, bigIntToBytes(priv.n + 5n, 256)!)).toBe(false);
    expect(pssVerify(pub, 'sha256', msg, new Uint8Array(255))).toBe(false);
    expect(pkcs1Verify(pub, 'sha256', msg, bigIntToBytes(priv.n, 256)!)).toBe(false);
  });
});

describe('RSASSA-PKCS1-v1_5 (RFC 8017 §8.2)', () => {
  it.each(['sha256', 'sha384', 'sha512'] as const)('%s: node ↔ ours, byte-identical (deterministic scheme)', (hash) => {
    const msg = rnd(300);
    const ours = pkcs1Sign(priv, hash, msg, rnd);
    const theirs = u8(nodeSign(hash, msg, node.privateKey));
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
    expect(pkcs1Verify(pub, hash, msg, theirs)).toBe(true);
    expect(pkcs1Verify(pub, hash === 'sha256' ? 'sha384' : 'sha256', msg, theirs)).toBe(false);
  });

  it('rejects a malleated signature (s·2^e, whose EM is 2·EM mod n)', () => {
    const msg = rnd(10);
    const sig = u8(nodeSign('sha256', msg, node.privateKey));
    const s = BigInt('0x' + Buffer.from(sig).toString('hex'));
    const tampered = bigIntToBytes((s * modPow(2n, pub.e, pub.n)) % pub.n, 256)!; // EM·2
    expect(pkcs1Verify(pub, 'sha256', msg, tampered)).toBe(false);
  });
});

describe('base blinding kept per key and squared after each signature', () => {
  it('the pair (r^e, r⁻¹) changes with every signature, by squaring, until a fresh r replaces it; every signature verifies with node:crypto and ours', () => {
    const k = parsePrivateKey(node.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string).rsa!;
    expect(blindingPairOf(k)).toBeUndefined();
    const msg = rnd(64);
    let prev: readonly [bigint, bigint] | undefined;
    for (let i = 0; i < BLINDING_REFRESH + 2; i++) {
      const pss = pssSign(k, 'sha256', msg, rnd);
      expect(nodeVerify('sha256', msg, { key: node.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss)).toBe(true);
      expect(pssVerify(pub, 'sha256', msg, pss)).toBe(true);
      const pair = blindingPairOf(k)!;
      const [a, aInv] = pair;
      // a = r^e and aInv = r⁻¹ for the same r: a·aInv^e ≡ 1 (mod n).
      expect((a * modPow(aInv, k.e, k.n)) % k.n).toBe(1n);
      if (prev !== undefined) {
        expect(a).not.toBe(prev[0]);
        expect(aInv).not.toBe(prev[1]);
        const squared = a === (prev[0] * prev[0]) % k.n && aInv === (prev[1] * prev[1]) % k.n;
        // Squared after each signature, except where a fresh r takes over (every BLINDING_REFRESH signatures).
        expect(squared).toBe(i % BLINDING_REFRESH !== 0);
      }
      prev = pair;
    }
    const v15 = pkcs1Sign(k, 'sha256', msg, rnd);
    expect(Buffer.from(v15).equals(Buffer.from(u8(nodeSign('sha256', msg, node.privateKey))))).toBe(true);
  });

  it('draws the same random bytes whatever the blinding state: a seeded source gives the same PSS signatures (same salts) with a used or an unused key', () => {
    const pem = node.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
    const fresh = parsePrivateKey(pem).rsa!;
    const used = parsePrivateKey(pem).rsa!;
    for (let i = 0; i < 5; i++) pssSign(used, 'sha256', rnd(8), rnd);
    const msg = rnd(40);
    const r1 = seededRandom(42);
    const r2 = seededRandom(42);
    for (let i = 0; i < 3; i++) {
      const a = pssSign(fresh, 'sha256', msg, r1);
      const b = pssSign(used, 'sha256', msg, r2);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
  });
});
