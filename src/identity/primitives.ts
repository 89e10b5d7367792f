/**
 * The primitives identity files need, pure by default (@noble/hashes, @noble/ciphers, our
 * RC2) with the native provider's faster or extra ones when it is the configured provider:
 *
 * - PBKDF2 (RFC 8018 §5.2) with HMAC-SHA-1/-224/-256/-384/-512;
 * - the PKCS#12 key derivation (RFC 7292 Appendix B.2) with SHA-1/-224/-256/-384/-512;
 * - scrypt (RFC 7914) for PBES2 keys written by `openssl pkcs8 -scrypt`;
 * - OpenSSL's `EVP_BytesToKey` with MD5 and one iteration, for the old
 *   `Proc-Type: 4,ENCRYPTED` PEM keys;
 * - CBC decryption with PKCS#7 padding (RFC 8018 §6.1.1 step 4, RFC 5652 §6.3) for AES-128/
 *   192/256 (pure), RC2 (pure, src/identity/rc2.ts) and DES-EDE3 (native only: no pure
 *   implementation here).
 *
 * Every key-derivation cost is bounded ({@link KdfBudget}): a hostile file asking for 2^31
 * iterations fails at once with `IdentityWorkLimit` instead of hanging the process.
 *
 * Nothing here puts a key, a password or derived bytes in an error.
 *
 * @module
 */
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { cbc } from '@noble/ciphers/aes.js';
import { TlsError } from '../base/errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { rc2CbcDecrypt } from './rc2.js';

/** Hashes the identity formats use. */
export type IdentityHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Block ciphers (CBC) the identity formats use. */
export type IdentityCipher =
  | { readonly name: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' }
  | { readonly name: 'rc2-cbc'; readonly effectiveBits: number };

/**
 * What the native provider adds (src/identity/native.ts registers it when `node:crypto` is
 * there): a faster PBKDF2 and the ciphers the pure code lacks.
 */
export interface NativeIdentityPrimitives {
  /** PBKDF2-HMAC (RFC 8018 §5.2). */
  pbkdf2(hash: IdentityHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Uint8Array;
  /** CBC decryption without padding removal; null if this runtime lacks the cipher. */
  cbcDecrypt(cipher: 'des-ede3-cbc', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array | null;
}

let nativePrimitives: NativeIdentityPrimitives | null = null;

/** Called by src/identity/native.ts when it loads. */
export function registerNativeIdentityPrimitives(p: NativeIdentityPrimitives): void {
  nativePrimitives = p;
}

/** The native primitives when `crypto` is the native provider and they are loaded, else null. */
export function nativeFor(crypto: CryptoProvider): NativeIdentityPrimitives | null {
  return crypto.name === 'native' ? nativePrimitives : null;
}

/** Largest iteration count accepted for one PBKDF2 or PKCS#12 derivation (GnuTLS writes 600,000). */
export const MAX_KDF_ITERATIONS = 1_000_000;

/**
 * Largest total of iterations over one file (its MAC and every encrypted bag together): a
 * file made of many bags at the per-derivation maximum is refused too.
 */
export const MAX_KDF_WORK = 3_000_000;

/**
 * scrypt bounds (RFC 7914 §2): N up to 2^20, r up to 32, p up to 16, the memory it needs
 * (128·N·r bytes) at most 256 MiB, and its work (N·r·p, the number of BlockMix rounds of
 * 2·r Salsa20/8 cores, RFC 7914 §5-§6) at most 2^22, about two seconds of pure JavaScript.
 * `openssl pkcs8 -scrypt` writes N=2^14, r=8, p=1 (16 MiB, work 2^17); the largest file within
 * the memory bound alone (N=2^16, r=32, p=16, or N=2^20, r=2, p=16: work 2^25) took 15 s.
 * A derivation also spends N·r·p / {@link SCRYPT_WORK_PER_ITERATION} of the file's
 * {@link KdfBudget}, so a file of many scrypt parts is bounded like one of many PBKDF2 parts.
 */
export const SCRYPT_LIMITS = { maxN: 1 << 20, maxR: 32, maxP: 16, maxMemory: 256 * 1024 * 1024, maxWork: 1 << 22 } as const;

/**
 * scrypt work (N·r·p) that costs as much time as one PBKDF2 or PKCS#12 iteration (measured
 * with the pure primitives: about 0.5 µs per unit against 3-4.5 µs per SHA-1 / SHA-512 iteration).
 */
export const SCRYPT_WORK_PER_ITERATION = 8;

/** The key-derivation work a file may still spend ({@link MAX_KDF_WORK}). */
export class KdfBudget {
  private left: number;

  constructor(total: number = MAX_KDF_WORK) {
    this.left = total;
  }

  /**
   * Takes `iterations` from the budget.
   * @throws TlsError('IdentityWorkLimit') when it is out of range or exceeds what is left
   */
  spend(iterations: number, what: string): void {
    if (!Number.isSafeInteger(iterations) || iterations < 1) throw new TlsError('IdentityCorrupt', { detail: `${what}: iteration count must be at least 1` });
    if (iterations > MAX_KDF_ITERATIONS) {
      throw new TlsError('IdentityWorkLimit', { detail: `${what}: ${iterations} iterations is above the limit of ${MAX_KDF_ITERATIONS}` });
    }
    if (iterations > this.left) throw new TlsError('IdentityWorkLimit', { detail: `${what}: the file's key derivations exceed ${MAX_KDF_WORK} iterations in all` });
    this.left -= iterations;
  }
}

const HASHES = { sha1, sha224, sha256, sha384, sha512 } as const;

/** Output and block lengths of each hash (FIPS 180-4). */
const HASH_SIZES: Record<IdentityHash, { u: number; v: number }> = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
};

/** One-shot hash. */
export function digest(hash: IdentityHash, data: Uint8Array): Uint8Array {
  return HASHES[hash](data);
}

/** Output length of `hash`. */
export function hashLength(hash: IdentityHash): number {
  return HASH_SIZES[hash].u;
}

/** HMAC (RFC 2104). */
export { hmac } from '@noble/hashes/hmac.js';

/** The noble hash function for `hash` (for HMAC). */
export function hashFunction(hash: IdentityHash): (typeof HASHES)[IdentityHash] {
  return HASHES[hash];
}

/** PBKDF2-HMAC-`hash` (RFC 8018 §5.2), native when available. */
export function pbkdf2Derive(crypto: CryptoProvider, hash: IdentityHash, password: Uint8Array, salt: Uint8Array, iterations: number, length: number, budget: KdfBudget): Uint8Array {
  budget.spend(iterations, 'PBKDF2');
  const native = nativeFor(crypto);
  if (native) return native.pbkdf2(hash, password, salt, iterations, length);
  return pbkdf2(HASHES[hash], password, salt, { c: iterations, dkLen: length });
}

/** scrypt (RFC 7914 §6), within {@link SCRYPT_LIMITS}, its work taken from `budget`. */
export function scryptDerive(password: Uint8Array, salt: Uint8Array, n: number, r: number, p: number, length: number, budget: KdfBudget): Uint8Array {
  // RFC 7914 §2: N a power of two greater than 1; r, p positive.
  if (!Number.isSafeInteger(n) || n < 2 || (n & (n - 1)) !== 0 || !Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1) {
    throw new TlsError('IdentityCorrupt', { detail: 'scrypt: invalid parameters' });
  }
  if (n > SCRYPT_LIMITS.maxN || r > SCRYPT_LIMITS.maxR || p > SCRYPT_LIMITS.maxP || 128 * n * r > SCRYPT_LIMITS.maxMemory) {
    throw new TlsError('IdentityWorkLimit', { detail: `scrypt: N=${n}, r=${r}, p=${p} is above the limits (N ≤ 2^20, r ≤ 32, p ≤ 16, 128·N·r ≤ 256 MiB)` });
  }
  if (n * r * p > SCRYPT_LIMITS.maxWork) {
    throw new TlsError('IdentityWorkLimit', { detail: `scrypt: N=${n}, r=${r}, p=${p} is above the work limit (N·r·p ≤ 2^22)` });
  }
  budget.spend(Math.ceil((n * r * p) / SCRYPT_WORK_PER_ITERATION), 'scrypt');
  return scrypt(password, salt, { N: n, r, p, dkLen: length, maxmem: SCRYPT_LIMITS.maxMemory + 1024 * 1024 });
}

/**
 * The PKCS#12 key derivation (RFC 7292 Appendix B.2): `length` bytes of key material for
 * purpose `id` (1 encryption key, 2 IV, 3 MAC key) from the BMPString password (already
 * encoded with its two trailing zero bytes, or empty for no password) and the salt.
 */
export function pkcs12Derive(hash: IdentityHash, id: 1 | 2 | 3, password: Uint8Array, salt: Uint8Array, iterations: number, length: number, budget: KdfBudget): Uint8Array {
  budget.spend(iterations, 'PKCS#12 key derivation');
  const { u, v } = HASH_SIZES[hash];
  const h = HASHES[hash];
  // Step 1: D = v copies of ID.
  const d = new Uint8Array(v).fill(id);
  // Steps 2-4: S and P repeated to multiples of v bytes; I = S || P.
  const fill = (src: Uint8Array): Uint8Array => {
    const out = new Uint8Array(src.length === 0 ? 0 : v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length]!;
    return out;
  };
  const s = fill(salt);
  const p = fill(password);
  const iBuf = new Uint8Array(s.length + p.length);
  iBuf.set(s);
  iBuf.set(p, s.length);
  p.fill(0);
  // Step 5: c = ceil(n / u).
  const c = Math.ceil(length / u);
  const out = new Uint8Array(c * u);
  const di = new Uint8Array(v + iBuf.length);
  for (let i = 0; i < c; i++) {
    // Step 6a: A_i = H^r(D || I).
    di.set(d);
    di.set(iBuf, v);
    let a = h(di);
    for (let k = 1; k < iterations; k++) a = h(a);
    out.set(a, i * u);
    if (i === c - 1) break;
    // Steps 6b-6c: B = A_i repeated to v bytes; each v-byte block I_j = (I_j + B + 1) mod 2^(8v).
    const b = new Uint8Array(v);
    for (let k = 0; k < v; k++) b[k] = a[k % u]!;
    for (let j = 0; j < iBuf.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const x = iBuf[j + k]! + b[k]! + carry;
        iBuf[j + k] = x & 0xff;
        carry = x >> 8;
      }
    }
  }
  iBuf.fill(0);
  di.fill(0);
  const key = out.slice(0, length);
  out.fill(0);
  return key;
}

/**
 * OpenSSL's `EVP_BytesToKey(cipher, MD5, salt, password, count = 1)`: D_1 = MD5(password ||
 * salt), D_i = MD5(D_{i-1} || password || salt), concatenated to `length` bytes. Used only by
 * the old `Proc-Type: 4,ENCRYPTED` PEM keys (salt = the first 8 bytes of the IV).
 */
export function evpBytesToKey(password: Uint8Array, salt: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length + 16);
  let have = 0;
  let prev = new Uint8Array(0);
  while (have < length) {
    const buf = new Uint8Array(prev.length + password.length + salt.length);
    buf.set(prev);
    buf.set(password, prev.length);
    buf.set(salt, prev.length + password.length);
    prev = md5(buf);
    buf.fill(0);
    out.set(prev, have);
    have += prev.length;
  }
  const key = out.slice(0, length);
  out.fill(0);
  return key;
}

/** Key length in bytes of a cipher. */
export function cipherKeyLength(c: IdentityCipher): number {
  switch (c.name) {
    case 'aes-128-cbc':
      return 16;
    case 'aes-192-cbc':
      return 24;
    case 'aes-256-cbc':
      return 32;
    case 'des-ede3-cbc':
      return 24;
    case 'rc2-cbc':
      return Math.ceil(c.effectiveBits / 8);
  }
}

/** Block (and IV) length in bytes of a cipher. */
export function cipherBlockLength(c: IdentityCipher): number {
  return c.name.startsWith('aes') ? 16 : 8;
}

/** A readable name for errors (the algorithm, never the key). */
export function cipherLabel(c: IdentityCipher): string {
  return c.name === 'rc2-cbc' ? `RC2-CBC (${c.effectiveBits}-bit)` : c.name.toUpperCase();
}

/**
 * CBC decryption and PKCS#7 padding removal (RFC 8018 §6.1.1 step 4 / RFC 5652 §6.3: 1..block
 * bytes, each holding the pad length).
 *
 * @throws TlsError('IdentityAlgorithmUnavailable') for DES-EDE3 without the native provider
 * @throws TlsError('WrongPassphrase') when the padding is wrong (the usual sign of a wrong
 *   key; a damaged ciphertext gives the same, which nothing can tell apart)
 * @throws TlsError('IdentityCorrupt') when the ciphertext is not whole blocks
 */
export function cbcDecryptPadded(crypto: CryptoProvider, c: IdentityCipher, key: Uint8Array, iv: Uint8Array, data: Uint8Array, what: string): Uint8Array {
  const bs = cipherBlockLength(c);
  if (iv.length !== bs) throw new TlsError('IdentityCorrupt', { detail: `${what}: ${cipherLabel(c)} IV must be ${bs} bytes` });
  if (data.length === 0 || data.length % bs !== 0) throw new TlsError('IdentityCorrupt', { detail: `${what}: ciphertext is not a whole number of ${bs}-byte blocks` });
  let plain: Uint8Array;
  switch (c.name) {
    case 'aes-128-cbc':
    case 'aes-192-cbc':
    case 'aes-256-cbc':
      plain = cbc(key, iv, { disablePadding: true }).decrypt(data);
      break;
    case 'rc2-cbc':
      plain = rc2CbcDecrypt(key, c.effectiveBits, iv, data);
      break;
    case 'des-ede3-cbc': {
      const native = nativeFor(crypto);
      const out = native ? native.cbcDecrypt('des-ede3-cbc', key, iv, data) : null;
      if (out === null) {
        throw new TlsError('IdentityAlgorithmUnavailable', {
          detail: `${what}: ${cipherLabel(c)} needs the native crypto provider (node:crypto), which ${native ? 'lacks it in this runtime' : `is not the configured provider (${crypto.name})`}`,
        });
      }
      plain = out;
      break;
    }
  }
  // RFC 5652 §6.3: the last byte gives the pad length; every pad byte holds it. Checked
  // without an early exit so that the time does not depend on where the padding is wrong.
  const n = plain[plain.length - 1]!;
  let bad = n === 0 || n > bs ? 1 : 0;
  for (let i = 1; i <= bs; i++) {
    const inPad = i <= n ? 1 : 0;
    bad |= inPad & (plain[plain.length - i]! !== n ? 1 : 0);
  }
  if (bad !== 0) {
    plain.fill(0);
    throw new TlsError('WrongPassphrase', { detail: `${what}: decryption failed (wrong passphrase, or the file was altered)` });
  }
  const out = plain.slice(0, plain.length - n);
  plain.fill(0);
  return out;
}

/** Constant-time equality of two byte strings of public length. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** UTF-8 bytes of a passphrase (PBES2 and the PEM key derivation use them as given). */
export function utf8Password(passphrase: string | undefined): Uint8Array {
  return new TextEncoder().encode(passphrase ?? '');
}

/**
 * The BMPString form of a passphrase for the PKCS#12 key derivation (RFC 7292 Appendix B.1:
 * big-endian UTF-16 code units followed by two zero bytes); `undefined` gives the empty
 * string of a file written with no password at all.
 */
export function bmpPassword(passphrase: string | undefined): Uint8Array {
  if (passphrase === undefined) return new Uint8Array(0);
  const out = new Uint8Array(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) {
    const cu = passphrase.charCodeAt(i);
    out[2 * i] = cu >> 8;
    out[2 * i + 1] = cu & 0xff;
  }
  return out;
}
