/**
 * Hashes, HMAC and HKDF for the pure provider (SHA-2 from src/crypto/sha2.ts), plus
 * constant-time comparison. RFC 2104 (HMAC), RFC 5869 (HKDF), FIPS 180-4 (SHA-2).
 *
 * @module
 */
import type { HashAlg, HashState } from './provider.js';
import { HASH_LEN } from './provider.js';
import { TlsError } from '../base/errors.js';
import { Sha2 } from './sha2.js';

function checkAlg(alg: HashAlg): HashAlg {
  if (!Object.prototype.hasOwnProperty.call(HASH_LEN, alg)) throw new TlsError('InternalError', { detail: `unknown hash ${String(alg)}` });
  return alg;
}

/** A fresh incremental hash. */
export function hashState(alg: HashAlg): HashState {
  return new Sha2(checkAlg(alg));
}

/** One-shot hash. */
export function digest(alg: HashAlg, data: Uint8Array): Uint8Array {
  const h = new Sha2(checkAlg(alg));
  h.update(data);
  return h.digest();
}

/**
 * HMAC's two keyed states (RFC 2104 §2): H(K ⊕ ipad ‖ ·) and H(K ⊕ opad ‖ ·), K hashed
 * first when longer than the block and padded with zeros to it.
 */
function hmacKeyed(alg: HashAlg, key: Uint8Array): [inner: Sha2, outer: Sha2] {
  const inner = new Sha2(checkAlg(alg));
  const outer = new Sha2(alg);
  const k = new Uint8Array(inner.blockLen);
  k.set(key.length > k.length ? digest(alg, key) : key);
  for (let i = 0; i < k.length; i++) k[i]! ^= 0x36;
  inner.update(k);
  for (let i = 0; i < k.length; i++) k[i]! ^= 0x36 ^ 0x5c;
  outer.update(k);
  k.fill(0);
  return [inner, outer];
}

/** HMAC (RFC 2104). */
export function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  const [inner, outer] = hmacKeyed(alg, key);
  inner.update(data);
  outer.update(inner.digest());
  return outer.digest();
}

/**
 * HKDF-Extract (RFC 5869 §2.2): HMAC-Hash(salt, IKM). An empty salt is the same key as
 * HashLen zeros (HMAC pads its key with zeros to the block size).
 */
export function hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmac(alg, salt, ikm);
}

/**
 * HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC-Hash(PRK, T(i−1) ‖ info ‖ i), L ≤ 255·HashLen.
 * The keyed HMAC states are made once; every TLS 1.3 key schedule step (L ≤ HashLen) is
 * one block and uses them directly.
 * @throws TlsError('InternalError') for a length outside 0..255·HashLen
 */
export function hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = HASH_LEN[checkAlg(alg)];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new TlsError('InternalError', { detail: `HKDF-Expand: length ${length} is outside 0..${255 * hashLen}` });
  }
  const [inner, outer] = hmacKeyed(alg, prk);
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  for (let off = 0, i = 1; off < length; off += hashLen, i++) {
    const last = off + hashLen >= length;
    const a = last ? inner : inner.clone();
    const b = last ? outer : outer.clone();
    a.update(prev);
    a.update(info);
    a.update(Uint8Array.of(i));
    b.update(a.digest());
    prev = b.digest();
    out.set(last ? prev.subarray(0, length - off) : prev, off);
  }
  prev.fill(0);
  return out;
}

/** Constant-time equality: time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
