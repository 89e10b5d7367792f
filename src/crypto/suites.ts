/**
 * Cipher-suite, group and signature-scheme tables: what each suite means and the
 * defaults we offer (security defaults: AEAD only, ECDHE only).
 *
 * @module
 */
import { CipherSuite, NamedGroup, SignatureScheme, codeOf, nameOf } from '../wire/codes.js';
import type { AeadAlg, HashAlg } from './provider.js';
import { AEAD_KEY_LEN } from './provider.js';
import { TlsError } from '../base/errors.js';

/** What a TLS 1.3 cipher suite means (RFC 9846 §B.4). */
export interface Tls13Suite {
  readonly code: number;
  readonly name: string;
  readonly aead: AeadAlg;
  readonly hash: HashAlg;
  readonly keyLen: number;
}

function suite13(code: number, aead: AeadAlg, hash: HashAlg): Tls13Suite {
  return { code, name: nameOf('suite', code), aead, hash, keyLen: AEAD_KEY_LEN[aead] };
}

/** Supported TLS 1.3 suites, in our default preference order. */
export const TLS13_SUITES: readonly Tls13Suite[] = [
  suite13(CipherSuite.TLS_AES_128_GCM_SHA256, 'AES-128-GCM', 'sha256'),
  suite13(CipherSuite.TLS_AES_256_GCM_SHA384, 'AES-256-GCM', 'sha384'),
  suite13(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, 'CHACHA20-POLY1305', 'sha256'),
];

/** The TLS 1.3 suite for a code point, or undefined. */
export function tls13Suite(code: number): Tls13Suite | undefined {
  return TLS13_SUITES.find((s) => s.code === code);
}

/** What a TLS 1.2 cipher suite means (RFC 5289, RFC 7905). All are ECDHE with an AEAD. */
export interface Tls12Suite {
  readonly code: number;
  readonly name: string;
  /** Certificate key family the suite authenticates with. */
  readonly auth: 'ecdsa' | 'rsa';
  readonly aead: AeadAlg;
  /** PRF hash (RFC 5246 §5; RFC 5289 §3). */
  readonly hash: HashAlg;
  readonly keyLen: number;
  /** Fixed IV bytes from the key block: 4 for GCM (RFC 5288 §3), 12 for ChaCha20 (RFC 7905 §2). */
  readonly fixedIvLen: number;
  /** Record protection mode. */
  readonly mode: 'tls12-gcm' | 'tls12-chacha';
}

function suite12(code: number, auth: 'ecdsa' | 'rsa', aead: AeadAlg, hash: HashAlg): Tls12Suite {
  const chacha = aead === 'CHACHA20-POLY1305';
  return { code, name: nameOf('suite', code), auth, aead, hash, keyLen: AEAD_KEY_LEN[aead], fixedIvLen: chacha ? 12 : 4, mode: chacha ? 'tls12-chacha' : 'tls12-gcm' };
}

/** Supported TLS 1.2 suites, in our default preference order. */
export const TLS12_SUITES: readonly Tls12Suite[] = [
  suite12(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 'ecdsa', 'AES-128-GCM', 'sha256'),
  suite12(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 'rsa', 'AES-128-GCM', 'sha256'),
  suite12(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, 'ecdsa', 'AES-256-GCM', 'sha384'),
  suite12(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, 'rsa', 'AES-256-GCM', 'sha384'),
  suite12(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 'ecdsa', 'CHACHA20-POLY1305', 'sha256'),
  suite12(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 'rsa', 'CHACHA20-POLY1305', 'sha256'),
];

/** The TLS 1.2 suite for a code point, or undefined. */
export function tls12Suite(code: number): Tls12Suite | undefined {
  return TLS12_SUITES.find((s) => s.code === code);
}

/**
 * Describes why a suite we do not implement is refused (for error messages naming what a
 * peer offered): CBC, RC4, NULL, export, static RSA, DHE, or other.
 */
export function legacySuiteKind(code: number): string | null {
  if (tls13Suite(code) || tls12Suite(code)) return null;
  if (code === CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV || code === CipherSuite.TLS_FALLBACK_SCSV) return null;
  const name = nameOf('suite', code);
  if (name.startsWith('0x')) {
    // Well-known ranges of the IANA registry.
    if (code <= 0x00ff) return 'legacy (SSL 3.0 / TLS 1.0 era: static RSA, DHE, RC4, DES or CBC)';
    if (code >= 0xc000 && code <= 0xc0ff) return 'ECDHE/ECDH with CBC, RC4 or NULL, or non-AEAD';
    return 'unsupported';
  }
  return 'unsupported';
}

/**
 * Groups a client offers by default, in preference order: the post-quantum hybrid
 * X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) first, then x25519, secp256r1, secp384r1 (those
 * the provider implements: a provider without the hybrids offers the classical groups).
 */
export const DEFAULT_GROUPS: readonly number[] = [NamedGroup.X25519MLKEM768, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/**
 * Groups a server accepts by default, in preference order: the three hybrids first (a client
 * listing one is answered with it, after a HelloRetryRequest if it sent no share for it), then
 * the classical groups.
 */
export const DEFAULT_SERVER_GROUPS: readonly number[] = [
  NamedGroup.X25519MLKEM768,
  NamedGroup.SecP256r1MLKEM768,
  NamedGroup.SecP384r1MLKEM1024,
  NamedGroup.x25519,
  NamedGroup.secp256r1,
  NamedGroup.secp384r1,
];

/**
 * Groups for which a client sends a key share by default: X25519MLKEM768 (1,216 bytes) and
 * x25519 (32 bytes, for servers without the hybrid); the rest are offered for HelloRetryRequest.
 */
export const DEFAULT_KEY_SHARES: readonly number[] = [NamedGroup.X25519MLKEM768, NamedGroup.x25519];

/** Signature schemes accepted in TLS 1.3 CertificateVerify (RFC 9846 §4.3.3: no PKCS#1, no SHA-1). */
export const TLS13_SIGNATURE_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
  SignatureScheme.rsa_pss_pss_sha256,
  SignatureScheme.rsa_pss_pss_sha384,
  SignatureScheme.rsa_pss_pss_sha512,
];

/** Schemes accepted for signatures in certificates (adds PKCS#1 v1.5, RFC 9846 §4.3.3). */
export const CERT_SIGNATURE_SCHEMES: readonly number[] = [
  ...TLS13_SIGNATURE_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/**
 * Resolves a list of names or code points (CLI and config accept both) to code points.
 * Throws `TlsError('InvalidConfig')` for an unknown name.
 */
export function resolveCodes(kind: 'suite' | 'group' | 'scheme', items: readonly (string | number)[]): number[] {
  return items.map((it) => {
    if (typeof it === 'number') return it;
    const aliases: Record<string, string> = { 'P-256': 'secp256r1', 'P-384': 'secp384r1', prime256v1: 'secp256r1', X25519: 'x25519' };
    const code = codeOf(kind, aliases[it] ?? it);
    if (code === undefined) throw new TlsError('InvalidConfig', { detail: `unknown ${kind} name '${it}'` });
    return code;
  });
}
