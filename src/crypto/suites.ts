/**
 * Cipher-suite, group and signature-scheme tables: what each suite means and the
 * defaults we offer (DESIGN.md §4: AEAD only, ECDHE only).
 *
 * @module
 */
import { CipherSuite, NamedGroup, SignatureScheme, codeOf, nameOf } from '../wire/codes.js';
import type { AeadAlg, HashAlg } from './provider.js';
import { AEAD_KEY_LEN } from './provider.js';
import { TlsError } from '../errors.js';

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

/** Groups we offer by default, in preference order. */
export const DEFAULT_GROUPS: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

/** Groups for which a client sends a key share by default (the rest are offered for HelloRetryRequest). */
export const DEFAULT_KEY_SHARES: readonly number[] = [NamedGroup.x25519, NamedGroup.secp256r1];

/** Signature schemes accepted in TLS 1.3 CertificateVerify (RFC 9846 §4.2.3: no PKCS#1, no SHA-1). */
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

/** Schemes accepted for signatures in certificates (adds PKCS#1 v1.5, RFC 9846 §4.2.3). */
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
