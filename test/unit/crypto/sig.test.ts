import { describe, it, expect } from 'vitest';
import { constants, generateKeyPairSync, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import {
  ALL_SIGNATURE_SCHEMES,
  TLS12_SIGNATURE_SCHEMES,
  TLS13_SIGNATURE_SCHEMES,
  schemeInfo,
  schemesForKey,
  schemesForKeyTls12,
  signMessage,
  verifySignature,
} from '../../../src/crypto/sig.js';
import { parsePrivateKey, parsePublicKey } from '../../../src/crypto/keys.js';
import { DerReader, derSequence, derUnsignedInteger } from '../../../src/crypto/der.js';
import type { HashAlg, PrivateKeyInfo, PublicKeyInfo, RandomSource } from '../../../src/crypto/provider.js';
import { SignatureScheme as S } from '../../../src/wire/codes.js';
import { TlsError } from '../../../src/base/errors.js';

// @types/node declares RSA-PSS keygen saltLength as a string; node wants a number.
const SALT_32 = 32 as unknown as string;
const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const rnd: RandomSource = (n) => u8(randomBytes(n));

interface TestKey {
  node: { privateKey: KeyObject; publicKey: KeyObject };
  priv: PrivateKeyInfo;
  pub: PublicKeyInfo;
}

function load(pair: { privateKey: KeyObject; publicKey: KeyObject }): TestKey {
  return {
    node: pair,
    priv: parsePrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string),
    pub: parsePublicKey(u8(pair.publicKey.export({ type: 'spki', format: 'der' }))),
  };
}

// Generated once per file.
const K = {
  p256: load(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  p384: load(generateKeyPairSync('ec', { namedCurve: 'P-384' })),
  ed25519: load(generateKeyPairSync('ed25519')),
  rsa: load(generateKeyPairSync('rsa', { modulusLength: 2048 })),
  // 1033 bits: emBits = 1032 is a multiple of 8, so the PSS encoding is one octet shorter than k.
  rsaOdd: load(generateKeyPairSync('rsa', { modulusLength: 1033 })),
  pss: load(generateKeyPairSync('rsa-pss', { modulusLength: 2048 })),
  pss256: load(generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: SALT_32 })),
};

const HASH_LEN: Record<HashAlg, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** How node signs / verifies a scheme. */
function nodeParams(scheme: number, key: KeyObject): { alg: string | null; key: KeyObject | { key: KeyObject; padding: number; saltLength: number } } {
  const info = schemeInfo(scheme)!;
  switch (info.kind) {
    case 'ecdsa':
      return { alg: info.hash, key };
    case 'eddsa':
      return { alg: null, key };
    case 'rsa-pkcs1':
      return { alg: info.hash, key: { key, padding: constants.RSA_PKCS1_PADDING, saltLength: 0 } };
    case 'rsa-pss':
      return { alg: info.hash, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[info.hash] } };
  }
}

const nodeSignScheme = (scheme: number, key: KeyObject, msg: Uint8Array) => {
  const p = nodeParams(scheme, key);
  return u8(nodeSign(p.alg, msg, p.key));
};
const nodeVerifyScheme = (scheme: number, key: KeyObject, msg: Uint8Array, sig: Uint8Array) => {
  const p = nodeParams(scheme, key);
  return nodeVerify(p.alg, msg, p.key, sig);
};

const MATRIX: [string, keyof typeof K, number][] = [
  ['ecdsa_secp256r1_sha256', 'p256', S.ecdsa_secp256r1_sha256],
  ['ecdsa_secp384r1_sha384', 'p384', S.ecdsa_secp384r1_sha384],
  ['ed25519', 'ed25519', S.ed25519],
  ['rsa_pss_rsae_sha256', 'rsa', S.rsa_pss_rsae_sha256],
  ['rsa_pss_rsae_sha384', 'rsa', S.rsa_pss_rsae_sha384],
  ['rsa_pss_rsae_sha512', 'rsa', S.rsa_pss_rsae_sha512],
  ['rsa_pss_rsae_sha256 (1033-bit)', 'rsaOdd', S.rsa_pss_rsae_sha256],
  ['rsa_pss_rsae_sha384 (1033-bit)', 'rsaOdd', S.rsa_pss_rsae_sha384],
  ['rsa_pss_pss_sha256', 'pss', S.rsa_pss_pss_sha256],
  ['rsa_pss_pss_sha384', 'pss', S.rsa_pss_pss_sha384],
  ['rsa_pss_pss_sha512', 'pss', S.rsa_pss_pss_sha512],
  ['rsa_pss_pss_sha256 (sha256-restricted key)', 'pss256', S.rsa_pss_pss_sha256],
  ['rsa_pkcs1_sha256', 'rsa', S.rsa_pkcs1_sha256],
  ['rsa_pkcs1_sha384', 'rsa', S.rsa_pkcs1_sha384],
  ['rsa_pkcs1_sha512', 'rsa', S.rsa_pkcs1_sha512],
  ['rsa_pkcs1_sha256 (1033-bit)', 'rsaOdd', S.rsa_pkcs1_sha256],
];

describe.each(MATRIX)('%s', (_name, keyName, scheme) => {
  const key = K[keyName];

  it('verifies signatures made by node', () => {
    for (let i = 0; i < 3; i++) {
      const msg = rnd(1 + i * 50);
      const sig = nodeSignScheme(scheme, key.node.privateKey, msg);
      expect(verifySignature(key.pub, scheme, msg, sig)).toBe(true);
      expect(verifySignature(key.priv.publicKey, scheme, msg, sig)).toBe(true);
    }
  });

  it('makes signatures node verifies', () => {
    for (let i = 0; i < 2; i++) {
      const msg = rnd(64 + i);
      const sig = signMessage(key.priv, scheme, msg, rnd);
      expect(nodeVerifyScheme(scheme, key.node.publicKey, msg, sig)).toBe(true);
      expect(verifySignature(key.pub, scheme, msg, sig)).toBe(true);
    }
  });

  it('rejects a changed message, mutated, truncated and extended signatures, and other keys', () => {
    const msg = rnd(100);
    const sig = nodeSignScheme(scheme, key.node.privateKey, msg);
    const other = msg.slice();
    other[0]! ^= 1;
    expect(verifySignature(key.pub, scheme, other, sig)).toBe(false);
    const step = Math.max(1, Math.floor(sig.length / 16));
    for (let i = 0; i < sig.length; i += step) {
      const bad = sig.slice();
      bad[i]! ^= 0x10;
      expect(verifySignature(key.pub, scheme, msg, bad)).toBe(false);
    }
    expect(verifySignature(key.pub, scheme, msg, sig.subarray(0, sig.length - 1))).toBe(false);
    expect(verifySignature(key.pub, scheme, msg, Uint8Array.from([...sig, 0]))).toBe(false);
    expect(verifySignature(key.pub, scheme, msg, new Uint8Array(0))).toBe(false);
    expect(verifySignature(key.pub, scheme, msg, new Uint8Array(sig.length))).toBe(false);
    expect(verifySignature(key.pub, scheme, msg, new Uint8Array(sig.length).fill(0xff))).toBe(false);
    for (const k of Object.values(K)) {
      if (k !== key) expect(verifySignature(k.pub, scheme, msg, sig)).toBe(false);
    }
  });
});

describe('ECDSA', () => {
  function splitDer(sig: Uint8Array): { r: bigint; s: bigint } {
    const top = new DerReader(sig);
    const seq = top.sequence();
    const r = seq.unsignedInteger();
    const s = seq.unsignedInteger();
    seq.end();
    top.end();
    return { r, s };
  }

  it.each([
    ['P-256', 'p256', S.ecdsa_secp256r1_sha256, p256.Point.Fn.ORDER],
    ['P-384', 'p384', S.ecdsa_secp384r1_sha384, p384.Point.Fn.ORDER],
  ] as const)('%s: accepts all of 40 node signatures, high-S ones included, and their high-S twins', (_n, keyName, scheme, order) => {
    const key = K[keyName];
    let high = 0;
    for (let i = 0; i < 40; i++) {
      const msg = rnd(32);
      const sig = nodeSignScheme(scheme, key.node.privateKey, msg);
      const { r, s } = splitDer(sig);
      if (s > order / 2n) high++;
      expect(verifySignature(key.pub, scheme, msg, sig)).toBe(true);
      // (r, n − s) is the other valid signature; exactly one of the pair is high-S.
      const twin = derSequence(derUnsignedInteger(r), derUnsignedInteger(order - s));
      expect(verifySignature(key.pub, scheme, msg, twin)).toBe(true);
      expect(nodeVerify(scheme === S.ecdsa_secp256r1_sha256 ? 'sha256' : 'sha384', msg, key.node.publicKey, twin)).toBe(true);
    }
    // OpenSSL does not normalise S, so roughly half are high-S (the twins cover the rest).
    expect(high).toBeGreaterThan(0);
  });

  it('rejects raw r‖s, non-minimal DER and trailing bytes', () => {
    const msg = rnd(10);
    const sig = nodeSignScheme(S.ecdsa_secp256r1_sha256, K.p256.node.privateKey, msg);
    const { r, s } = splitDer(sig);
    const raw = new Uint8Array(64);
    raw.set(u8(Buffer.from(r.toString(16).padStart(64, '0'), 'hex')), 0);
    raw.set(u8(Buffer.from(s.toString(16).padStart(64, '0'), 'hex')), 32);
    expect(verifySignature(K.p256.pub, S.ecdsa_secp256r1_sha256, msg, raw)).toBe(false);
    // INTEGER r with a redundant leading zero octet.
    const rMin = derUnsignedInteger(r).subarray(2); // minimal content octets (r < 2^256: short length)
    const padded = Uint8Array.from([0x02, rMin.length + 1, 0x00, ...rMin]);
    const sEnc = derUnsignedInteger(s);
    const body = Uint8Array.from([...padded, ...sEnc]);
    expect(verifySignature(K.p256.pub, S.ecdsa_secp256r1_sha256, msg, Uint8Array.from([0x30, body.length, ...body]))).toBe(false);
    // r = 0 and s = 0.
    expect(verifySignature(K.p256.pub, S.ecdsa_secp256r1_sha256, msg, derSequence(derUnsignedInteger(0n), derUnsignedInteger(s)))).toBe(false);
    expect(verifySignature(K.p256.pub, S.ecdsa_secp256r1_sha256, msg, derSequence(derUnsignedInteger(r), derUnsignedInteger(0n)))).toBe(false);
  });

  it('binds the curve in TLS 1.3 but not in TLS 1.2', () => {
    const msg = rnd(50);
    // node: SHA-256 with a P-384 key, as TLS 1.2 allows.
    const sig = u8(nodeSign('sha256', msg, K.p384.node.privateKey));
    expect(verifySignature(K.p384.pub, S.ecdsa_secp256r1_sha256, msg, sig)).toBe(false);
    expect(verifySignature(K.p384.pub, S.ecdsa_secp256r1_sha256, msg, sig, { tls12: true })).toBe(true);
    const ours = signMessage(K.p256.priv, S.ecdsa_secp384r1_sha384, msg, rnd, { tls12: true });
    expect(nodeVerify('sha384', msg, K.p256.node.publicKey, ours)).toBe(true);
    expect(() => signMessage(K.p256.priv, S.ecdsa_secp384r1_sha384, msg, rnd)).toThrow(TlsError);
  });
});

describe('RSA-PSS specifics', () => {
  it('requires the salt to be as long as the hash (RFC 9846 §4.2.3)', () => {
    const msg = rnd(40);
    for (const saltLength of [0, 20, 31, 33, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
      const sig = u8(nodeSign('sha256', msg, { key: K.rsa.node.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
      expect(verifySignature(K.rsa.pub, S.rsa_pss_rsae_sha256, msg, sig)).toBe(false);
    }
  });

  it('keeps rsae and pss key types apart (RFC 9846 §4.2.3)', () => {
    const msg = rnd(40);
    const sig = nodeSignScheme(S.rsa_pss_rsae_sha256, K.rsa.node.privateKey, msg);
    // Same signature bytes, claimed as rsa_pss_pss with an rsaEncryption key: refused.
    expect(verifySignature(K.rsa.pub, S.rsa_pss_pss_sha256, msg, sig)).toBe(false);
    const sig2 = nodeSignScheme(S.rsa_pss_pss_sha256, K.pss.node.privateKey, msg);
    expect(verifySignature(K.pss.pub, S.rsa_pss_rsae_sha256, msg, sig2)).toBe(false);
    expect(verifySignature(K.pss.pub, S.rsa_pkcs1_sha256, msg, sig2)).toBe(false);
    expect(() => signMessage(K.pss.priv, S.rsa_pkcs1_sha256, msg, rnd)).toThrow(TlsError);
  });

  it('honours the hash restriction of an RSASSA-PSS key (RFC 4055 §3.1)', () => {
    expect(schemesForKey(K.pss256.priv)).toEqual([S.rsa_pss_pss_sha256]);
    expect(schemesForKey(K.pss256.pub)).toEqual([S.rsa_pss_pss_sha256]);
    const msg = rnd(40);
    expect(() => signMessage(K.pss256.priv, S.rsa_pss_pss_sha384, msg, rnd)).toThrow(TlsError);
    // A sha384 PSS signature by the same numbers (made through the unrestricted view) is refused.
    const unrestricted: PrivateKeyInfo = { ...K.pss256.priv, publicKey: { ...K.pss256.priv.publicKey, spki: K.pss.pub.spki } };
    const sig = signMessage(unrestricted, S.rsa_pss_pss_sha384, msg, rnd);
    expect(verifySignature(K.pss256.pub, S.rsa_pss_pss_sha384, msg, sig)).toBe(false);
  });

  it('cannot sign with SHA-512 on a 1033-bit key (encoding error) and never verifies such a claim', () => {
    const msg = rnd(10);
    let status: string | undefined;
    try {
      signMessage(K.rsaOdd.priv, S.rsa_pss_rsae_sha512, msg, rnd);
    } catch (e) {
      status = e instanceof TlsError ? e.status : 'other';
    }
    expect(status).toBe('InternalError');
    expect(verifySignature(K.rsaOdd.pub, S.rsa_pss_rsae_sha512, msg, new Uint8Array(130))).toBe(false);
  });

  it('is reproducible with a fixed random source (salt and blinding both drawn from it)', () => {
    const fixed = (): RandomSource => {
      let c = 0;
      return (n) => Uint8Array.from({ length: n }, () => c++ & 0xff);
    };
    const msg = rnd(33);
    const a = signMessage(K.rsa.priv, S.rsa_pss_rsae_sha256, msg, fixed());
    const b = signMessage(K.rsa.priv, S.rsa_pss_rsae_sha256, msg, fixed());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const e1 = signMessage(K.p256.priv, S.ecdsa_secp256r1_sha256, msg, fixed());
    const e2 = signMessage(K.p256.priv, S.ecdsa_secp256r1_sha256, msg, fixed());
    expect(Buffer.from(e1).equals(Buffer.from(e2))).toBe(true);
  });

  it('detects a faulty CRT computation instead of releasing the signature', () => {
    const rsa = K.rsa.priv.rsa!;
    const faulty: PrivateKeyInfo = { ...K.rsa.priv, rsa: { ...rsa, dp: rsa.dp ^ 2n } };
    expect(() => signMessage(faulty, S.rsa_pss_rsae_sha256, rnd(10), rnd)).toThrow(TlsError);
    expect(() => signMessage(faulty, S.rsa_pkcs1_sha256, rnd(10), rnd)).toThrow(TlsError);
  });
});

describe('scheme tables', () => {
  it('lists schemes per key in preference order (TLS 1.3: no PKCS#1)', () => {
    expect(schemesForKey(K.p256.priv)).toEqual([S.ecdsa_secp256r1_sha256]);
    expect(schemesForKey(K.p384.pub)).toEqual([S.ecdsa_secp384r1_sha384]);
    expect(schemesForKey(K.ed25519.priv)).toEqual([S.ed25519]);
    expect(schemesForKey(K.rsa.priv)).toEqual([S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512]);
    expect(schemesForKey(K.pss.priv)).toEqual([S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512]);
    expect(schemesForKeyTls12(K.rsa.priv)).toEqual([
      S.rsa_pss_rsae_sha256,
      S.rsa_pss_rsae_sha384,
      S.rsa_pss_rsae_sha512,
      S.rsa_pkcs1_sha256,
      S.rsa_pkcs1_sha384,
      S.rsa_pkcs1_sha512,
    ]);
    expect(schemesForKeyTls12(K.p384.priv)).toEqual([S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384]);
  });

  it('describes each scheme', () => {
    expect(schemeInfo(S.rsa_pss_pss_sha384)).toEqual({ scheme: S.rsa_pss_pss_sha384, name: 'rsa_pss_pss_sha384', kind: 'rsa-pss', hash: 'sha384', keyType: 'rsa-pss' });
    expect(schemeInfo(S.ecdsa_secp256r1_sha256)?.keyType).toBe('ec-p256');
    expect(schemeInfo(S.rsa_pkcs1_sha1)).toBeUndefined();
    expect(schemeInfo(S.ed448)).toBeUndefined();
    expect(TLS13_SIGNATURE_SCHEMES).not.toContain(S.rsa_pkcs1_sha256);
    expect(TLS12_SIGNATURE_SCHEMES).toContain(S.rsa_pkcs1_sha256);
    expect(ALL_SIGNATURE_SCHEMES.length).toBe(12);
  });

  it('verify returns false for unknown schemes and keys without material; sign throws InternalError', () => {
    const msg = rnd(10);
    const sig = nodeSignScheme(S.ecdsa_secp256r1_sha256, K.p256.node.privateKey, msg);
    expect(verifySignature(K.p256.pub, S.ecdsa_sha1, msg, sig)).toBe(false);
    expect(verifySignature(K.p256.pub, 0xffff, msg, sig)).toBe(false);
    expect(verifySignature({ type: 'ec-p256', spki: new Uint8Array(0) }, S.ecdsa_secp256r1_sha256, msg, sig)).toBe(false);
    expect(verifySignature({ type: 'rsa', spki: new Uint8Array(0) }, S.rsa_pss_rsae_sha256, msg, new Uint8Array(256))).toBe(false);
    expect(verifySignature({ type: 'ec-p256', spki: new Uint8Array(0), raw: new Uint8Array(65) }, S.ecdsa_secp256r1_sha256, msg, sig)).toBe(false);
    let status: string | undefined;
    try {
      signMessage(K.p256.priv, S.ed25519, msg, rnd);
    } catch (e) {
      status = e instanceof TlsError ? e.status : 'other';
    }
    expect(status).toBe('InternalError');
  });
});
