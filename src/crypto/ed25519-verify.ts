/**
 * Ed25519 verification that gives the same verdict in every provider (RFC 8032 §5.1.7).
 *
 * RFC 8032 lets a verifier check either the cofactored equation [8][S]B = [8]R + [8][k]A or
 * the cofactorless [S]B = R + [k]A. OpenSSL (the native provider, and WebCrypto on Node)
 * checks the cofactorless one (it re-encodes [S]B − [k]A and compares it with R); @noble's
 * `ed25519.verify` the cofactored one. They differ for keys or R with a small-order component
 * (never made by honest key generation), so the same signature passed the pure provider and
 * failed the others. And OpenSSL accepts small-order public keys: for A = the identity,
 * (R = identity, S = 0) verifies for every message — a key anyone can sign for.
 *
 * Here every provider: refuses a public key of small order (a certificate carrying one proves
 * nothing; libsodium refuses them too), and the pure one checks the cofactorless equation as
 * OpenSSL does, with strict encodings (A and R canonical, S < L).
 *
 * @module
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import type { PublicKeyInfo } from './provider.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

function leToBigInt(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

/** Small-order verdicts per key object (the native provider's parse cache hands out the same object per certificate). */
const SMALL_ORDER = new WeakMap<PublicKeyInfo, boolean>();

/**
 * True if `key` is an Ed25519 key whose point has small order (or does not decode): such a key
 * verifies signatures nobody had to make. False for other key types.
 */
export function ed25519KeyHasSmallOrder(key: PublicKeyInfo): boolean {
  if (key.type !== 'ed25519') return false;
  let small = SMALL_ORDER.get(key);
  if (small === undefined) {
    try {
      small = key.raw === undefined || Point.fromBytes(key.raw, false).isSmallOrder();
    } catch {
      small = true;
    }
    SMALL_ORDER.set(key, small);
  }
  return small;
}

/**
 * RFC 8032 §5.1.7 with the cofactorless equation (as OpenSSL): A and R canonical encodings,
 * S < L, A not of small order, [S]B = R + [k]A with k = SHA-512(R ‖ A ‖ M) mod L.
 * Returns false, never throws.
 */
export function ed25519VerifyCofactorless(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const s = leToBigInt(signature.subarray(32));
    if (s >= L) return false;
    const A = Point.fromBytes(publicKey, false);
    if (A.isSmallOrder()) return false;
    const rBytes = signature.subarray(0, 32);
    const R = Point.fromBytes(rBytes, false);
    const h = new Uint8Array(64 + message.length);
    h.set(rBytes, 0);
    h.set(publicKey, 32);
    h.set(message, 64);
    const k = leToBigInt(sha512(h)) % L;
    return Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)));
  } catch {
    return false;
  }
}
