/**
 * The native provider (`node:crypto`) checked against the pure one (@noble/*) on random
 * inputs: every primitive gives the same bytes, what one seals the other opens, what one
 * signs the other verifies (every scheme), and bad input is refused the same way.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { nativeProvider as N } from '../../src/crypto/native.js';
import { nobleProvider as P } from '../../src/crypto/noble.js';
import type { AeadAlg, CryptoProvider, HashAlg, PrivateKeyInfo } from '../../src/crypto/provider.js';
import { NamedGroup, SignatureScheme as S } from '../../src/wire/codes.js';
import { TlsError } from '../../src/base/errors.js';

const HASHES: readonly HashAlg[] = ['sha256', 'sha384', 'sha512'];
const AEADS: readonly { alg: AeadAlg; keyLen: number }[] = [
  { alg: 'AES-128-GCM', keyLen: 16 },
  { alg: 'AES-256-GCM', keyLen: 32 },
  { alg: 'CHACHA20-POLY1305', keyLen: 32 },
];
const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
const RUNS = { numRuns: 60 };

const bytes = (max = 300) => fc.uint8Array({ maxLength: max });
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The status a thunk throws, or 'ok'. */
function outcome(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? e.status : `non-TlsError: ${String(e)}`;
  }
}

describe('native vs pure: hashes, HMAC, HKDF', () => {
  it('names itself and offers what the pure provider offers', () => {
    expect(N.name).toBe('native');
    expect(N.groups).toEqual(P.groups);
    expect(N.signatureSchemes).toEqual(P.signatureSchemes);
    expect(Object.isFrozen(N)).toBe(true);
  });

  it('digest and incremental hash (with clone) agree', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), bytes(), bytes(), (alg, a, b) => {
        expect(hex(N.digest(alg, a))).toBe(hex(P.digest(alg, a)));
        const h = N.hash(alg);
        h.update(a);
        const c = h.clone();
        h.update(b);
        expect(hex(c.digest())).toBe(hex(P.digest(alg, a)));
        const ab = new Uint8Array([...a, ...b]);
        expect(hex(h.digest())).toBe(hex(P.digest(alg, ab)));
        expect(N.digest(alg, a)).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(N.digest(alg, a))).toBe(false);
      }),
      RUNS,
    );
  });

  it('HMAC, HKDF-Extract and HKDF-Expand agree (empty salt, long outputs included)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), bytes(200), bytes(), bytes(100), fc.integer({ min: 0, max: 600 }), (alg, key, data, info, len) => {
        expect(hex(N.hmac(alg, key, data))).toBe(hex(P.hmac(alg, key, data)));
        const prk = N.hkdfExtract(alg, key, data);
        expect(hex(prk)).toBe(hex(P.hkdfExtract(alg, key, data)));
        expect(hex(N.hkdfExpand(alg, prk, info, len))).toBe(hex(P.hkdfExpand(alg, prk, info, len)));
      }),
      RUNS,
    );
  });

  it('HKDF-Expand refuses more than 255 blocks', () => {
    expect(outcome(() => N.hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32 + 1))).toBe('InternalError');
    expect(N.hkdfExpand('sha256', new Uint8Array(32), new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
  });

  it('constant-time equal', () => {
    fc.assert(
      fc.property(bytes(40), bytes(40), (a, b) => {
        expect(N.equal(a, b)).toBe(P.equal(a, b));
        expect(N.equal(a, a.slice())).toBe(true);
      }),
      RUNS,
    );
  });
});

describe('native vs pure: AEAD', () => {
  const arb = fc.constantFrom(...AEADS).chain(({ alg, keyLen }) => fc.tuple(fc.constant(alg), fixed(keyLen), fixed(12), bytes(64), bytes(2000)));

  it('seal gives the same bytes; each opens what the other sealed', () => {
    fc.assert(
      fc.property(arb, ([alg, key, nonce, aad, pt]) => {
        const n = N.aead(alg, key);
        const p = P.aead(alg, key);
        const ct = n.seal(nonce, aad, pt);
        expect(hex(ct)).toBe(hex(p.seal(nonce, aad, pt)));
        expect(hex(p.open(nonce, aad, ct)!)).toBe(hex(pt));
        expect(hex(n.open(nonce, aad, ct)!)).toBe(hex(pt));
      }),
      RUNS,
    );
  });

  it('a tampered ciphertext, tag, AAD or nonce opens to null with both', () => {
    fc.assert(
      fc.property(arb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('ct', 'aad', 'nonce', 'truncate'), ([alg, key, nonce, aad, pt], at, flip, what) => {
        const ct = N.aead(alg, key).seal(nonce, aad, pt);
        let c2: Uint8Array = ct.slice();
        let a2: Uint8Array = aad.slice();
        const n2 = nonce.slice();
        const flipAt = (b: Uint8Array, i: number) => b.set([b[i % b.length]! ^ flip], i % b.length);
        if (what === 'ct') flipAt(c2, at);
        else if (what === 'aad') {
          if (a2.length === 0) a2 = Uint8Array.of(flip);
          else flipAt(a2, at);
        } else if (what === 'nonce') flipAt(n2, at);
        else c2 = ct.subarray(0, at % ct.length);
        expect(N.aead(alg, key).open(n2, a2, c2)).toBeNull();
        expect(P.aead(alg, key).open(n2, a2, c2)).toBeNull();
      }),
      RUNS,
    );
  });

  it('bad nonce length: seal throws InternalError, open returns null; bad key length throws', () => {
    const c = N.aead('AES-128-GCM', new Uint8Array(16));
    expect(outcome(() => c.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1)))).toBe('InternalError');
    expect(c.open(new Uint8Array(8), new Uint8Array(0), new Uint8Array(32))).toBeNull();
    expect(c.open(new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))).toBeNull();
    expect(outcome(() => N.aead('AES-256-GCM', new Uint8Array(16)))).toBe('InternalError');
  });
});

describe('native vs pure: key shares', () => {
  const arb = fc.constantFrom(...GROUPS).chain((g) => fc.tuple(fc.constant(g), fixed(N.keySharePrivateLength(g)), fixed(N.keySharePrivateLength(g))));

  it('the same private bytes give the same public value; agreement works across providers both ways', () => {
    expect(GROUPS.map((g) => N.keySharePrivateLength(g))).toEqual(GROUPS.map((g) => P.keySharePrivateLength(g)));
    fc.assert(
      fc.property(arb, ([g, a, b]) => {
        const na = N.keyShare(g, a);
        const pb = P.keyShare(g, b);
        expect(hex(na.publicKey)).toBe(hex(P.keyShare(g, a).publicKey));
        expect(hex(na.agree(pb.publicKey))).toBe(hex(pb.agree(na.publicKey)));
      }),
      { numRuns: 30 },
    );
  });

  it('an injected curve-sized NIST scalar is used as is, out-of-range scalars and lengths are refused alike', () => {
    for (const g of [NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      const size = g === NamedGroup.secp256r1 ? 32 : 48;
      const d = new Uint8Array(size);
      d[size - 1] = 7;
      expect(hex(N.keyShare(g, d).publicKey)).toBe(hex(P.keyShare(g, d).publicKey));
      for (const bad of [new Uint8Array(size), new Uint8Array(size).fill(0xff), new Uint8Array(size + 1)]) {
        expect(outcome(() => N.keyShare(g, bad))).toBe(outcome(() => P.keyShare(g, bad)));
        expect(outcome(() => N.keyShare(g, bad))).toBe('InternalError');
      }
    }
    expect(outcome(() => N.keyShare(NamedGroup.x25519, new Uint8Array(31)))).toBe('InternalError');
    expect(outcome(() => N.keyShare(0x0019, new Uint8Array(66)))).toBe('InternalError');
  });

  // RFC 7748 §6.1: small-order points give an all-zero result (u = 0, 1, the order-8 points, p−1, p, p+1).
  const x25519SmallOrder = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
    '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  ];

  it('bad peer points are refused with IllegalParameter by both', () => {
    const sk = new Uint8Array(32).fill(9);
    for (const h of x25519SmallOrder) {
      const pt = Uint8Array.from(Buffer.from(h, 'hex'));
      expect(outcome(() => N.keyShare(NamedGroup.x25519, sk).agree(pt))).toBe('IllegalParameter');
      expect(outcome(() => P.keyShare(NamedGroup.x25519, sk).agree(pt))).toBe('IllegalParameter');
    }
    fc.assert(
      fc.property(fc.constantFrom(...GROUPS), bytes(120), fc.constantFrom(0, 2, 3, 4, 5), (g, junk, prefix) => {
        const size = g === NamedGroup.secp256r1 ? 65 : g === NamedGroup.secp384r1 ? 97 : 32;
        const pt = g === NamedGroup.x25519 ? junk : Uint8Array.from({ length: junk.length % 3 === 0 ? size : junk.length }, (_, i) => (i === 0 ? prefix : (junk[i] ?? i)));
        const n = outcome(() => N.keyShare(g, new Uint8Array(N.keySharePrivateLength(g)).fill(3)).agree(pt));
        const p = outcome(() => P.keyShare(g, new Uint8Array(P.keySharePrivateLength(g)).fill(3)).agree(pt));
        expect(n).toBe(p);
        expect(['ok', 'IllegalParameter']).toContain(n);
      }),
      RUNS,
    );
    // A point with coordinates ≥ p, and the (unencodable) identity as 04 ‖ 0…0.
    for (const [g, len] of [[NamedGroup.secp256r1, 32], [NamedGroup.secp384r1, 48]] as const) {
      for (const fill of [0x00, 0xff]) {
        const pt = new Uint8Array(1 + 2 * len).fill(fill);
        pt[0] = 4;
        expect(outcome(() => N.keyShare(g, new Uint8Array(len + 8).fill(3)).agree(pt))).toBe('IllegalParameter');
        expect(outcome(() => P.keyShare(g, new Uint8Array(len + 8).fill(3)).agree(pt))).toBe('IllegalParameter');
      }
    }
  });
});

describe('native vs pure: signatures', () => {
  interface KeyCase {
    readonly name: string;
    readonly pem: string;
    readonly schemes: readonly number[];
  }
  const cases: KeyCase[] = [];
  beforeAll(() => {
    const pem = (k: { privateKey: KeyObject }) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    cases.push(
      { name: 'P-256', pem: pem(generateKeyPairSync('ec', { namedCurve: 'P-256' })), schemes: [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384] },
      { name: 'P-384', pem: pem(generateKeyPairSync('ec', { namedCurve: 'P-384' })), schemes: [S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256] },
      { name: 'Ed25519', pem: pem(generateKeyPairSync('ed25519')), schemes: [S.ed25519] },
      {
        name: 'RSA-2048',
        pem: pem(generateKeyPairSync('rsa', { modulusLength: 2048 })),
        schemes: [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512],
      },
      { name: 'RSASSA-PSS', pem: pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 })), schemes: [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512] },
      {
        name: 'RSASSA-PSS (SHA-384 only)',
        pem: pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha384', mgf1HashAlgorithm: 'sha384', saltLength: 48 as unknown as string })),
        schemes: [S.rsa_pss_pss_sha384],
      },
    );
  });

  const keysOf = (c: KeyCase): [PrivateKeyInfo, PrivateKeyInfo] => [N.parsePrivateKey(c.pem), P.parsePrivateKey(c.pem)];
  const both: [string, CryptoProvider, CryptoProvider][] = [
    ['native signs, pure verifies', N, P],
    ['pure signs, native verifies', P, N],
  ];

  for (const [title, signer, verifier] of both) {
    it(`${title}, every scheme of every key type; a changed message or signature fails`, () => {
      for (const c of cases) {
        const [kn] = keysOf(c);
        // Both providers offer the same schemes for the key, in the same order.
        expect(N.schemesForKey(kn)).toEqual(P.schemesForKey(kn));
        expect(N.schemesForKey(kn, 'TLSv1.2')).toEqual(P.schemesForKey(kn, 'TLSv1.2'));
        for (const scheme of c.schemes) {
          const tls12 = scheme === S.ecdsa_secp384r1_sha384 && c.name === 'P-256' || scheme === S.ecdsa_secp256r1_sha256 && c.name === 'P-384';
          const opts = tls12 ? { tls12: true } : {};
          fc.assert(
            fc.property(bytes(200), fc.nat(), (msg, at) => {
              const key = signer === N ? keysOf(c)[0] : keysOf(c)[1];
              const sig = signer.sign(key, scheme, msg, (n) => randomBytes(n), opts) as Uint8Array;
              const pub = verifier.parsePublicKey(key.publicKey.spki);
              expect(verifier.verify(pub, scheme, msg, sig, opts), `${c.name} 0x${scheme.toString(16)}`).toBe(true);
              const badSig = sig.slice();
              badSig.set([badSig[at % badSig.length]! ^ 0x40], at % badSig.length);
              expect(verifier.verify(pub, scheme, msg, badSig, opts)).toBe(false);
              const badMsg = new Uint8Array([...msg, 1]);
              expect(verifier.verify(pub, scheme, badMsg, sig, opts)).toBe(false);
              expect(verifier.verify(pub, scheme, msg, sig.subarray(0, sig.length - 1), opts)).toBe(false);
            }),
            { numRuns: c.name.startsWith('RSA') ? 4 : 10 },
          );
        }
      }
    });
  }

  it('RSA-PSS, PKCS#1 and Ed25519 signatures are the same bytes from both providers for the same random source', () => {
    for (const c of cases.filter((k) => !k.name.startsWith('P-'))) {
      const [kn, kp] = keysOf(c);
      for (const scheme of c.schemes) {
        const msg = randomBytes(100);
        const salt = randomBytes(64);
        const rnd = (n: number) => salt.subarray(0, n);
        // The pure provider also draws RSA blinding from `random`; it does not change the signature.
        const pureRnd = (() => {
          let first = true;
          return (n: number) => (first ? ((first = false), rnd(n)) : randomBytes(n));
        })();
        expect(hex(N.sign(kn, scheme, msg, rnd) as Uint8Array), `${c.name} 0x${scheme.toString(16)}`).toBe(hex(P.sign(kp, scheme, msg, pureRnd) as Uint8Array));
      }
    }
  });

  it('both refuse the same scheme/key mismatches (sign throws InternalError, verify is false)', () => {
    for (const c of cases) {
      const [kn, kp] = keysOf(c);
      for (const scheme of P.signatureSchemes) {
        for (const tls12 of [false, true]) {
          const opts = { tls12 };
          const n = outcome(() => N.sign(kn, scheme, Uint8Array.of(1), (k) => new Uint8Array(k).fill(2), opts));
          const p = outcome(() => P.sign(kp, scheme, Uint8Array.of(1), (k) => new Uint8Array(k).fill(2), opts));
          expect(n, `${c.name} 0x${scheme.toString(16)} tls12=${tls12}`).toBe(p);
        }
      }
      expect(N.verify(kn.publicKey, 0x0201, Uint8Array.of(1), new Uint8Array(64))).toBe(false);
      expect(N.verify(kn.publicKey, c.schemes[0]!, Uint8Array.of(1), new Uint8Array(0))).toBe(false);
    }
  });

  it('verify never throws on junk signatures', () => {
    const c = cases;
    fc.assert(
      fc.property(fc.constantFrom(...c), bytes(600), (kc, junk) => {
        const [kn] = keysOf(kc);
        for (const s of kc.schemes) expect(N.verify(kn.publicKey, s, Uint8Array.of(1, 2), junk, { tls12: true })).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});
