/**
 * Ephemeral (EC)DHE key shares: X25519 (RFC 7748) and the NIST curves secp256r1 and
 * secp384r1 (FIPS 186-5, SP 800-56A), from @noble/curves.
 *
 * Private keys are made deterministically from bytes the caller supplies (drawn from the
 * config's random source, or injected by replay tests):
 * - X25519: exactly 32 bytes, used as the scalar (RFC 7748 §5 clamps it).
 * - NIST: either {@link keySharePrivateLength} bytes (curve size + 8), reduced as
 *   d = (c mod (n − 1)) + 1, the "extra random bits" method of FIPS 186-5 A.2.1 (bias
 *   below 2⁻⁶⁴, always a valid scalar); or exactly the curve size, taken as the scalar d
 *   itself (1 ≤ d < n, for injecting a known key).
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { TlsError } from '../base/errors.js';
import type { CryptoProvider, SyncKeyShare } from './provider.js';
import { bigIntToBytes, bytesToBigInt } from './der.js';

/** Named group code points implemented here (RFC 9846 §4.3.7). */
export const KX_GROUPS = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  x25519: 0x001d,
} as const;

/**
 * The post-quantum hybrid groups (draft-ietf-tls-ecdhe-mlkem §5), implemented in
 * src/crypto/hybrid.ts (kept apart so a bundle can leave ML-KEM out). Only their code points
 * are here: they are TLS 1.3 only (never offered or accepted in TLS 1.2) and KEMs, whose
 * server side is {@link CryptoProvider.encapsulate}, not a key share of its own.
 */
export const HYBRID_GROUP_CODES = {
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;

/** True for a post-quantum hybrid group ({@link HYBRID_GROUP_CODES}). */
export function isHybridGroup(group: number): boolean {
  return group === HYBRID_GROUP_CODES.X25519MLKEM768 || group === HYBRID_GROUP_CODES.SecP256r1MLKEM768 || group === HYBRID_GROUP_CODES.SecP384r1MLKEM1024;
}

/** Extra bytes beyond the curve size drawn for a NIST private key (FIPS 186-5 A.2.1: 64 bits). */
const EXTRA = 8;

// In a pure-annotated function: computed keys read properties, which esbuild does not treat as
// pure, and this table would keep @noble/curves' P-256/P-384 in every bundle importing this file
// (the client-only entry imports isHybridGroup and nistShare only).
const NIST = /* @__PURE__ */ (() =>
  ({
    [KX_GROUPS.secp256r1]: { curve: p256, size: 32 },
    [KX_GROUPS.secp384r1]: { curve: p384, size: 48 },
  }) as const)();

function illegal(detail: string): never {
  throw new TlsError('IllegalParameter', { detail });
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/** True if `group` is implemented by {@link createKeyShare}. */
export function isSupportedGroup(group: number): boolean {
  return group === KX_GROUPS.x25519 || group === KX_GROUPS.secp256r1 || group === KX_GROUPS.secp384r1;
}

/**
 * Bytes of randomness to draw for a private key of `group`: 32 for X25519, 40 for
 * secp256r1, 56 for secp384r1.
 * @throws TlsError('InternalError') for an unsupported group.
 */
export function keySharePrivateLength(group: number): number {
  if (group === KX_GROUPS.x25519) return 32;
  const nist = NIST[group as keyof typeof NIST];
  if (!nist) throw new TlsError('InternalError', { detail: `unsupported group 0x${group.toString(16)}` });
  return nist.size + EXTRA;
}

/**
 * A key share for `group` made from `privateKey` bytes (see the module notes).
 * @throws TlsError('InternalError') for an unsupported group or private key bytes of the
 *   wrong length or range.
 */
export function createKeyShare(group: number, privateKey: Uint8Array): SyncKeyShare {
  if (group === KX_GROUPS.x25519) return x25519Share(privateKey);
  const nist = NIST[group as keyof typeof NIST];
  if (!nist) throw new TlsError('InternalError', { detail: `unsupported group 0x${group.toString(16)}` });
  return nistShare(group, nist.curve, nist.size, privateKey);
}

function x25519Share(privateKey: Uint8Array): SyncKeyShare {
  if (privateKey.length !== 32) throw new TlsError('InternalError', { detail: 'X25519 private key must be 32 bytes' });
  const sk = copyBytes(privateKey);
  const publicKey = x25519.getPublicKey(sk);
  return {
    group: KX_GROUPS.x25519,
    publicKey,
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: X25519 key_exchange is the 32-byte public value.
      if (peerPublic.length !== 32) illegal('X25519 key share must be 32 bytes');
      let shared: Uint8Array;
      try {
        shared = x25519.getSharedSecret(sk, peerPublic);
      } catch {
        // noble refuses the small-order points whose result is all zeros.
        return illegal('X25519 shared secret is all zeros');
      }
      // RFC 7748 §6.1, RFC 9846 §7.4.2: abort on an all-zero shared secret.
      if (isAllZero(shared)) illegal('X25519 shared secret is all zeros');
      return shared;
    },
  };
}

/** @noble/curves' P-256 or P-384. */
export type NistCurve = typeof p256 | typeof p384;

/**
 * A NIST curve private scalar from the bytes drawn for it: `size + 8` random bytes reduced as
 * FIPS 186-5 A.2.1 says (d = (c mod (n − 1)) + 1, c of bitlen(n) + 64 bits), or exactly `size`
 * bytes already in [1, n) (test vectors such as RFC 8448 inject those). Shared by the pure and
 * native providers so both derive the same key from the same bytes.
 * @throws TlsError('InternalError') for another length or a scalar out of range
 */
export function nistPrivateScalar(privateKey: Uint8Array, size: number, n: bigint): Uint8Array {
  let d: bigint;
  if (privateKey.length === size + EXTRA) {
    d = (bytesToBigInt(privateKey) % (n - 1n)) + 1n;
  } else if (privateKey.length === size) {
    d = bytesToBigInt(privateKey);
    if (d < 1n || d >= n) throw new TlsError('InternalError', { detail: 'EC private key out of range' });
  } else {
    throw new TlsError('InternalError', { detail: `EC private key must be ${size + EXTRA} or ${size} bytes` });
  }
  return bigIntToBytes(d, size)!;
}

/**
 * RFC 9846 §4.3.8.2: a NIST key share is an UncompressedPointRepresentation (legacy_form = 4,
 * X and Y of the curve size). Throws `TlsError('IllegalParameter')` otherwise; whether the
 * point is on the curve is each provider's check. Shared by the pure and native providers.
 */
export function checkUncompressedPoint(peerPublic: Uint8Array, size: number): void {
  if (peerPublic.length !== 1 + 2 * size) illegal('EC key share has the wrong length');
  if (peerPublic[0] !== 4) illegal('EC key share is not an uncompressed point');
}

/** A key share on a NIST curve from the bytes drawn for its private key (see the module notes); the client-only entry's secp256r1/secp384r1 modules use it. */
export function nistShare(group: number, curve: NistCurve, size: number, privateKey: Uint8Array): SyncKeyShare {
  const sk = nistPrivateScalar(privateKey, size, curve.Point.Fn.ORDER);
  const publicKey = curve.getPublicKey(sk, false);
  return {
    group,
    publicKey,
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: "peers MUST validate each other's public value Q by ensuring that
      // the point is a valid point on the elliptic curve".
      checkUncompressedPoint(peerPublic, size);
      let shared: Uint8Array;
      try {
        const pt = curve.Point.fromBytes(peerPublic);
        // The identity has no affine encoding, but check anyway (SP 800-56A §5.6.2.3.4).
        if (pt.is0()) illegal('EC key share is the point at infinity');
        pt.assertValidity();
        shared = curve.getSharedSecret(sk, peerPublic, true);
      } catch (e) {
        if (e instanceof TlsError) throw e;
        return illegal('EC key share is not on the curve');
      }
      // RFC 9846 §7.4.2: the shared secret is the x-coordinate only.
      return shared.subarray(1);
    },
  };
}
