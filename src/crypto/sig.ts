/**
 * Handshake signatures for every supported SignatureScheme (RFC 9846 §4.3.3):
 * ECDSA P-256/P-384 with DER signatures (FIPS 186-5 §6, RFC 5480 / RFC 3279 §2.2.3),
 * Ed25519 (RFC 8032 §5.1), RSASSA-PSS with rsaEncryption and RSASSA-PSS keys, and
 * RSASSA-PKCS1-v1_5 (RFC 8017).
 *
 * TLS 1.3 binds each ECDSA scheme to one curve ("ecdsa_secp256r1_sha256 … the curve is
 * secp256r1"); TLS 1.2 (RFC 5246 §7.4.1.4.1) does not: pass `{ tls12: true }` to relax it.
 * RSASSA-PKCS1-v1_5 "MUST NOT" sign CertificateVerify in TLS 1.3 but is fine in TLS 1.2 and
 * for certificates, so it is in {@link ALL_SIGNATURE_SCHEMES} and {@link TLS12_SIGNATURE_SCHEMES}
 * but never returned by {@link schemesForKey}.
 *
 * @module
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { TlsError } from '../base/errors.js';
import { SignatureScheme } from '../wire/codes.js';
import { HASH_LEN, type HashAlg, type KeyType, type PrivateKeyInfo, type PublicKeyInfo, type RandomSource } from './provider.js';
import { digest } from './hash.js';
import { rsaPssKeyParams } from './keys.js';
import { pkcs1Sign, pkcs1Verify, pssSign, pssVerify } from './rsa.js';
import { ed25519VerifyCofactorless } from './ed25519-verify.js';

/** Signature algorithm family. */
export type SignatureKind = 'ecdsa' | 'eddsa' | 'rsa-pss' | 'rsa-pkcs1';

/** What a signature scheme means. */
export interface SchemeInfo {
  readonly scheme: number;
  readonly name: string;
  readonly kind: SignatureKind;
  /** The hash applied to the message (Ed25519: its internal SHA-512). */
  readonly hash: HashAlg;
  /** The key type it requires (for ECDSA in TLS 1.3, also the curve). */
  readonly keyType: KeyType;
}

const S = SignatureScheme;

const INFO: ReadonlyMap<number, SchemeInfo> = new Map(
  (
    [
      [S.ecdsa_secp256r1_sha256, 'ecdsa_secp256r1_sha256', 'ecdsa', 'sha256', 'ec-p256'],
      [S.ecdsa_secp384r1_sha384, 'ecdsa_secp384r1_sha384', 'ecdsa', 'sha384', 'ec-p384'],
      [S.ed25519, 'ed25519', 'eddsa', 'sha512', 'ed25519'],
      [S.rsa_pss_rsae_sha256, 'rsa_pss_rsae_sha256', 'rsa-pss', 'sha256', 'rsa'],
      [S.rsa_pss_rsae_sha384, 'rsa_pss_rsae_sha384', 'rsa-pss', 'sha384', 'rsa'],
      [S.rsa_pss_rsae_sha512, 'rsa_pss_rsae_sha512', 'rsa-pss', 'sha512', 'rsa'],
      [S.rsa_pss_pss_sha256, 'rsa_pss_pss_sha256', 'rsa-pss', 'sha256', 'rsa-pss'],
      [S.rsa_pss_pss_sha384, 'rsa_pss_pss_sha384', 'rsa-pss', 'sha384', 'rsa-pss'],
      [S.rsa_pss_pss_sha512, 'rsa_pss_pss_sha512', 'rsa-pss', 'sha512', 'rsa-pss'],
      [S.rsa_pkcs1_sha256, 'rsa_pkcs1_sha256', 'rsa-pkcs1', 'sha256', 'rsa'],
      [S.rsa_pkcs1_sha384, 'rsa_pkcs1_sha384', 'rsa-pkcs1', 'sha384', 'rsa'],
      [S.rsa_pkcs1_sha512, 'rsa_pkcs1_sha512', 'rsa-pkcs1', 'sha512', 'rsa'],
    ] as const
  ).map(([scheme, name, kind, hash, keyType]) => [scheme, { scheme, name, kind, hash, keyType }]),
);

/** Everything this module can sign and verify, in our preference order. */
export const ALL_SIGNATURE_SCHEMES: readonly number[] = [...INFO.keys()];

/** Schemes usable for TLS 1.3 CertificateVerify (RFC 9846 §4.5.2: no PKCS#1 v1.5). */
export const TLS13_SIGNATURE_SCHEMES: readonly number[] = ALL_SIGNATURE_SCHEMES.filter((s) => INFO.get(s)!.kind !== 'rsa-pkcs1');

/** Schemes usable for TLS 1.2 handshake signatures (RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3 for PSS). */
export const TLS12_SIGNATURE_SCHEMES: readonly number[] = ALL_SIGNATURE_SCHEMES;

/** What `scheme` means, or undefined if it is not one we implement. */
export function schemeInfo(scheme: number): SchemeInfo | undefined {
  return INFO.get(scheme);
}

/** Options for {@link signMessage} / {@link verifySignature}. */
export interface SignatureOptions {
  /** TLS 1.2 rules: an ECDSA scheme's hash is not bound to the key's curve. */
  readonly tls12?: boolean;
}

/** Whether an RSASSA-PSS key's parameters (RFC 4055 §3.1) allow PSS with `hash`; true for other keys. */
function pssAllows(key: PublicKeyInfo, hash: HashAlg): boolean {
  if (key.type !== 'rsa-pss') return true;
  const params = rsaPssKeyParams(key.spki);
  if (params === null) return true;
  // RFC 4055 §3.3: the key may only be used with its hash, MGF1 with that hash, and a salt
  // of at least saltLength octets (TLS uses the hash length, RFC 9846 §4.3.3).
  return params.hash === hash && params.saltLength <= HASH_LEN[hash];
}

/**
 * RFC 8017 §8.1.2 / §8.2.2 step 1: "If the length of the signature S is not k octets, output
 * 'invalid signature'" (k: the modulus length in octets). For the providers that hand RSA
 * verification to OpenSSL (native, and webcrypto on Node), which accepts a PSS signature with
 * its leading zero octets stripped; the pure verifier refuses it too. True for non-RSA keys.
 */
export function rsaSignatureLengthOk(key: PublicKeyInfo, signature: Uint8Array): boolean {
  if (key.type !== 'rsa' && key.type !== 'rsa-pss') return true;
  const k = key.bits !== undefined ? Math.ceil(key.bits / 8) : key.n !== undefined ? Math.ceil(key.n.toString(16).length / 2) : 0;
  return signature.length === k;
}

/** Whether `scheme` may be used with `key` (type, curve and PSS parameter restrictions). */
export function schemeMatchesKey(key: PublicKeyInfo, scheme: number, opts: SignatureOptions = {}): boolean {
  const info = INFO.get(scheme);
  if (!info) return false;
  if (info.kind === 'ecdsa' && opts.tls12) return key.type === 'ec-p256' || key.type === 'ec-p384';
  if (info.keyType !== key.type) return false;
  return info.kind !== 'rsa-pss' || pssAllows(key, info.hash);
}

/**
 * Schemes for a TLS 1.3 CertificateVerify made with `key`, in preference order
 * (RFC 9846 §4.3.3): P-256 → ecdsa_secp256r1_sha256; P-384 → ecdsa_secp384r1_sha384;
 * Ed25519 → ed25519; RSA → rsa_pss_rsae_sha256/384/512; RSASSA-PSS → rsa_pss_pss_sha256/384/512
 * (only the one its parameters allow, if restricted).
 */
export function schemesForKey(key: PrivateKeyInfo | PublicKeyInfo): number[] {
  const pub = 'publicKey' in key ? key.publicKey : key;
  return TLS13_SIGNATURE_SCHEMES.filter((s) => schemeMatchesKey(pub, s));
}

/** Schemes for TLS 1.2 ServerKeyExchange / CertificateVerify with `key`, in preference order (PKCS#1 last). */
export function schemesForKeyTls12(key: PrivateKeyInfo | PublicKeyInfo): number[] {
  const pub = 'publicKey' in key ? key.publicKey : key;
  return TLS12_SIGNATURE_SCHEMES.filter((s) => schemeMatchesKey(pub, s, { tls12: true }));
}

const EC_CURVES = { 'ec-p256': p256, 'ec-p384': p384 } as const;

/**
 * Verifies `signature` over `message` with `scheme`. Returns false, never throws, for a
 * bad signature, malformed input, an unknown scheme or a scheme/key mismatch.
 */
export function verifySignature(
  key: PublicKeyInfo,
  scheme: number,
  message: Uint8Array,
  signature: Uint8Array,
  opts: SignatureOptions = {},
): boolean {
  try {
    const info = INFO.get(scheme);
    if (!info || !schemeMatchesKey(key, scheme, opts)) return false;
    switch (info.kind) {
      case 'ecdsa': {
        const curve = EC_CURVES[key.type as keyof typeof EC_CURVES];
        if (!curve || !key.raw) return false;
        // RFC 9846 §4.3.3: DER-encoded ECDSA-Sig-Value (RFC 3279 §2.2.3). High-S values are
        // valid ECDSA (FIPS 186-5 §6.4.2) and OpenSSL emits them, so lowS is off.
        return curve.verify(signature, digest(info.hash, message), key.raw, { prehash: false, lowS: false, format: 'der' });
      }
      case 'eddsa': {
        if (!key.raw || signature.length !== 64) return false;
        // RFC 8032 §5.1.7, strict encodings, the cofactorless equation and no small-order key:
        // the verdict of OpenSSL (native, webcrypto) for every signature (ed25519-verify.ts).
        return ed25519VerifyCofactorless(key.raw, message, signature);
      }
      case 'rsa-pss':
        if (key.n === undefined || key.e === undefined) return false;
        // RFC 9846 §4.3.3: MGF1 with the scheme's hash and a salt as long as the hash.
        return pssVerify({ n: key.n, e: key.e }, info.hash, message, signature, HASH_LEN[info.hash]);
      case 'rsa-pkcs1':
        if (key.n === undefined || key.e === undefined) return false;
        return pkcs1Verify({ n: key.n, e: key.e }, info.hash, message, signature);
    }
  } catch {
    return false;
  }
}

/**
 * Verifies a DER ECDSA signature over a digest computed by the caller, with any P-256 or
 * P-384 key (certificates may pair any SHA-2 hash with either curve, RFC 5758 §3.2).
 * High-S values are accepted (FIPS 186-5 §6.4.2). Returns false, never throws.
 */
export function verifyEcdsaDigest(key: PublicKeyInfo, digestBytes: Uint8Array, signature: Uint8Array): boolean {
  const curve = EC_CURVES[key.type as keyof typeof EC_CURVES];
  if (!curve || !key.raw) return false;
  try {
    return curve.verify(signature, digestBytes, key.raw, { prehash: false, lowS: false, format: 'der' });
  } catch {
    return false;
  }
}

/**
 * Signs `message` with `scheme` (RFC 9846 §4.5.2: the scheme hashes the message itself).
 * ECDSA signatures are DER with RFC 6979 nonces hedged with 32 bytes from `random`;
 * RSA-PSS salts and RSA blinding also come from `random`, so a fixed source gives
 * reproducible signatures.
 *
 * @throws TlsError('InternalError') for an unknown scheme or one that does not fit the key.
 */
export function signMessage(
  key: PrivateKeyInfo,
  scheme: number,
  message: Uint8Array,
  random: RandomSource,
  opts: SignatureOptions = {},
): Uint8Array {
  const info = INFO.get(scheme);
  if (!info || !schemeMatchesKey(key.publicKey, scheme, opts)) {
    throw new TlsError('InternalError', { detail: `signature scheme 0x${scheme.toString(16)} does not fit a ${key.type} key` });
  }
  switch (info.kind) {
    case 'ecdsa': {
      const curve = EC_CURVES[key.type as keyof typeof EC_CURVES];
      if (!curve || !key.d) throw new TlsError('InternalError', { detail: 'EC private key missing' });
      return curve.sign(digest(info.hash, message), key.d, { prehash: false, format: 'der', extraEntropy: random(32) });
    }
    case 'eddsa':
      if (!key.d) throw new TlsError('InternalError', { detail: 'Ed25519 private key missing' });
      return ed25519.sign(message, key.d);
    case 'rsa-pss':
      if (!key.rsa) throw new TlsError('InternalError', { detail: 'RSA private key missing' });
      return pssSign(key.rsa, info.hash, message, random, HASH_LEN[info.hash]);
    case 'rsa-pkcs1':
      if (!key.rsa) throw new TlsError('InternalError', { detail: 'RSA private key missing' });
      return pkcs1Sign(key.rsa, info.hash, message, random);
  }
}
