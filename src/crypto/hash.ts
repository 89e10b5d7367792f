/**
 * Hashes, HMAC and HKDF for the pure provider (@noble/hashes), plus constant-time
 * comparison. RFC 2104 (HMAC), RFC 5869 (HKDF), FIPS 180-4 (SHA-2).
 *
 * @module
 */
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { extract, expand } from '@noble/hashes/hkdf.js';
import type { HashAlg, HashState } from './provider.js';
import { TlsError } from '../base/errors.js';

const FN = { sha256, sha384, sha512 } as const;

interface NobleHash {
  update(d: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHash;
}

class NobleHashState implements HashState {
  private readonly h: NobleHash;
  constructor(h: NobleHash) {
    this.h = h;
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Uint8Array {
    return this.h.digest();
  }
  clone(): HashState {
    return new NobleHashState(this.h.clone());
  }
}

function fn(alg: HashAlg) {
  const f = FN[alg];
  if (!f) throw new TlsError('InternalError', { detail: `unknown hash ${String(alg)}` });
  return f;
}

/** A fresh incremental hash. */
export function hashState(alg: HashAlg): HashState {
  return new NobleHashState(fn(alg).create() as unknown as NobleHash);
}

/** One-shot hash. */
export function digest(alg: HashAlg, data: Uint8Array): Uint8Array {
  return fn(alg)(data);
}

/** HMAC (RFC 2104). */
export function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(fn(alg), key, data);
}

/** HKDF-Extract (RFC 5869 §2.2). */
export function hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return extract(fn(alg), ikm, salt);
}

/** The block counter of HKDF-Expand's first block (never written). */
const ONE = Uint8Array.of(1);

/**
 * HKDF-Expand (RFC 5869 §2.3). One block (every TLS 1.3 key schedule step, L ≤ HashLen) is
 * T(1) = HMAC-Hash(PRK, info ‖ 0x01), computed as one HMAC: noble's general `expand` also
 * copies the keyed HMAC state for each block and once more after the last.
 */
export function hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const f = fn(alg);
  if (!Number.isSafeInteger(length) || length < 0 || length > f.outputLen) return expand(f, prk, info, length);
  const t = nobleHmac.create(f, prk).update(info).update(ONE).digest();
  if (length === t.length) return t;
  const out = t.slice(0, length);
  t.fill(0);
  return out;
}

/** Constant-time equality: time depends only on the lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
