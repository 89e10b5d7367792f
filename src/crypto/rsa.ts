/**
 * RSA signatures on BigInt (RFC 8017): RSASSA-PKCS1-v1_5 (§8.2, EMSA-PKCS1-v1_5 §9.2) and
 * RSASSA-PSS (§8.1, EMSA-PSS §9.1, MGF1 B.2.1), both verify and sign.
 *
 * TLS fixes the PSS salt length to the hash length (RFC 9846 §4.3.3) and uses MGF1 with
 * the message hash; both are parameters here so tests can exercise the general encoding.
 *
 * Signing uses the CRT (RFC 8017 §5.1.2 2.b) with base blinding ((m·r^e)^d·r⁻¹) and
 * exponent blinding (d_p + k·(p−1), d_q + k'·(q−1) with fresh 64-bit k, k'), then checks
 * s^e ≡ m (mod n) before releasing the signature, which defeats the Bellcore/Lenstra fault
 * attack on CRT. BigInt arithmetic is not constant time; blinding is what keeps the timing
 * independent of the key. Prefer a native provider for busy RSA servers.
 *
 * The base-blinding pair (r^e, r⁻¹) is kept per key and squared after every signature
 * ((r²)^e, (r²)⁻¹: two multiplications) instead of drawing a fresh r and computing its
 * inverse each time (a modInverse costs about a tenth of a 2048-bit signature); a fresh r
 * replaces it every {@link BLINDING_REFRESH} signatures (the approach of OpenSSL's
 * BN_BLINDING and Go's pre-1.20 rsa package). The random bytes a signature draws do not
 * depend on that state, so a seeded random source still gives byte-identical runs.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { HASH_LEN, type HashAlg, type RandomSource, type RsaPrivateComponents } from './provider.js';
import { constantTimeEqual, digest } from './hash.js';
import { bigIntToBytes, bitLength, bytesToBigInt } from './der.js';

/** An RSA public key. */
export interface RsaPublicKey {
  readonly n: bigint;
  readonly e: bigint;
}

// ------------------------------------------------------------------ arithmetic

/**
 * Modular exponentiation b^e mod m: square-and-multiply for small exponents, left-to-right
 * sliding windows of up to {@link WINDOW} bits (odd powers b, b^3, ..., b^31) for large ones
 * (HAC Algorithm 14.85): about 1/6 of the squarings' count in multiplications, against 1/4
 * with fixed 4-bit windows. Not constant time; callers with secret exponents blind them.
 */
export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  if (mod === 1n) return 0n;
  let b = base % mod;
  if (b < 0n) b += mod;
  if (exp === 0n) return 1n;
  // Small exponents (e = 65537): plain square-and-multiply is cheapest.
  if (exp < 0x100000000n) {
    let r = 1n;
    let started = false;
    for (let i = bitLength(exp) - 1; i >= 0; i--) {
      if (started) r = (r * r) % mod;
      if ((exp >> BigInt(i)) & 1n) {
        r = started ? (r * b) % mod : b;
        started = true;
      }
    }
    return r;
  }
  // odd[k] = b^(2k+1).
  const b2 = (b * b) % mod;
  const odd: bigint[] = [b];
  for (let k = 1; k < 1 << (WINDOW - 1); k++) odd.push((odd[k - 1]! * b2) % mod);
  const bits = exp.toString(2);
  let r = 1n;
  let started = false;
  for (let i = 0; i < bits.length; ) {
    if (bits.charCodeAt(i) === 48) {
      if (started) r = (r * r) % mod;
      i++;
      continue;
    }
    // The longest window of at most WINDOW bits starting here that ends in a 1.
    let j = Math.min(i + WINDOW, bits.length) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    const value = parseInt(bits.slice(i, j + 1), 2);
    if (started) for (let k = i; k <= j; k++) r = (r * r) % mod;
    r = started ? (r * odd[(value - 1) >> 1]!) % mod : odd[(value - 1) >> 1]!;
    started = true;
    i = j + 1;
  }
  return r;
}

/** Largest sliding window of {@link modPow}, in bits. */
const WINDOW = 5;

/** Modular inverse of a mod m (extended Euclid); null if none exists. */
export function modInverse(a: bigint, m: bigint): bigint | null {
  let [r0, r1] = [((a % m) + m) % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) return null;
  return ((s0 % m) + m) % m;
}

/** Modulus size in bytes (RFC 8017 §2: k). */
export function modulusBytes(n: bigint): number {
  return Math.ceil(bitLength(n) / 8);
}

/** Modulus size in bits. */
export function modulusBits(n: bigint): number {
  return bitLength(n);
}

/** RSAVP1 (RFC 8017 §5.2.2): s^e mod n, or null if s is out of range. */
function rsavp1(key: RsaPublicKey, s: bigint): bigint | null {
  // RFC 8017 §5.2.2 step 1: "If the signature representative s is not between 0 and n − 1,
  // output 'signature representative out of range'".
  if (s >= key.n) return null;
  return modPow(s, key.e, key.n);
}

function uniformBelow(n: bigint, random: RandomSource): bigint {
  // 64 extra bits make the bias of the reduction negligible (FIPS 186-5 A.2.1 style).
  return bytesToBigInt(random(modulusBytes(n) + 8)) % n;
}

/** Signatures made with one blinding pair before a fresh r replaces it. */
export const BLINDING_REFRESH = 32;

/** A key's base-blinding pair: `a` = r^e mod n and `aInv` = r⁻¹ mod n, and how many more uses it has. */
interface Blinding {
  a: bigint;
  aInv: bigint;
  left: number;
}

/** Per-key blinding state, keyed by the components object (a shared parsed key shares it). */
const BLINDINGS = new WeakMap<RsaPrivateComponents, Blinding>();

/**
 * The blinding pair for the next signature with `key`. Always draws the same number of
 * random bytes, used or not, so the random stream does not depend on the state.
 */
function takeBlinding(key: RsaPrivateComponents, random: RandomSource): Blinding {
  const { n, e } = key;
  const candidate = uniformBelow(n, random);
  let b = BLINDINGS.get(key);
  if (b === undefined || b.left <= 0) {
    let r = candidate;
    let rInv = r > 1n ? modInverse(r, n) : null;
    for (let tries = 0; tries < 32 && rInv === null; tries++) {
      r = uniformBelow(n, random);
      if (r > 1n) rInv = modInverse(r, n);
    }
    if (rInv === null) throw new TlsError('InternalError', { detail: 'RSA: could not pick a blinding factor' });
    b = { a: modPow(r, e, n), aInv: rInv, left: BLINDING_REFRESH };
    BLINDINGS.set(key, b);
  }
  return b;
}

/** Moves the pair on after a use: (r^e, r⁻¹) → ((r²)^e, (r²)⁻¹). */
function advanceBlinding(b: Blinding, n: bigint): void {
  b.a = (b.a * b.a) % n;
  b.aInv = (b.aInv * b.aInv) % n;
  b.left--;
}

/**
 * The current blinding pair of `key` as [r^e mod n, r⁻¹ mod n], or undefined before its
 * first signature. For tests (the pair must change with every signature); not exported
 * from the package.
 */
export function blindingPairOf(key: RsaPrivateComponents): readonly [bigint, bigint] | undefined {
  const b = BLINDINGS.get(key);
  return b === undefined ? undefined : [b.a, b.aInv];
}

/**
 * RSASP1 (RFC 8017 §5.2.1) via the CRT, blinded and checked.
 * @throws TlsError('InternalError') if the result fails the s^e ≡ m check (a fault).
 */
function rsasp1(key: RsaPrivateComponents, m: bigint, random: RandomSource): bigint {
  const { n, e, p, q, dp, dq, qi } = key;
  if (m >= n) throw new TlsError('InternalError', { detail: 'RSA: message representative out of range' });
  // Base blinding: sign m·r^e, unblind with r⁻¹.
  const blinding = takeBlinding(key, random);
  const rInv = blinding.aInv;
  const blinded = (m * blinding.a) % n;
  advanceBlinding(blinding, n);
  // Exponent blinding: d_p + k·(p−1) gives the same result (Fermat) with a fresh exponent.
  const k1 = bytesToBigInt(random(8));
  const k2 = bytesToBigInt(random(8));
  const m1 = modPow(blinded % p, dp + k1 * (p - 1n), p);
  const m2 = modPow(blinded % q, dq + k2 * (q - 1n), q);
  // RFC 8017 §5.1.2 step 2.b: h = (m1 − m2)·qInv mod p; m = m2 + q·h.
  let h = ((m1 - m2) * qi) % p;
  if (h < 0n) h += p;
  const sBlind = m2 + q * h;
  const s = (sBlind * rInv) % n;
  // Fault check: a wrong half of the CRT would leak a factor of n (Boneh-DeMillo-Lipton).
  if (modPow(s, e, n) !== m) throw new TlsError('InternalError', { detail: 'RSA: signature self-check failed' });
  return s;
}

// ------------------------------------------------------------------ PKCS#1 v1.5

/** DigestInfo DER prefixes (RFC 8017 §9.2, Note 1). */
const DIGEST_INFO_PREFIX: Readonly<Record<HashAlg, Uint8Array>> = {
  sha256: Uint8Array.from([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20]),
  sha384: Uint8Array.from([0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30]),
  sha512: Uint8Array.from([0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40]),
};

/** EMSA-PKCS1-v1_5-ENCODE (RFC 8017 §9.2); null if emLen is too short. */
function emsaPkcs1Encode(hash: HashAlg, message: Uint8Array, emLen: number): Uint8Array | null {
  const prefix = DIGEST_INFO_PREFIX[hash];
  const h = digest(hash, message);
  const tLen = prefix.length + h.length;
  // Step 3: "If emLen < tLen + 11, output 'intended encoded message length too short'".
  if (emLen < tLen + 11) return null;
  // Step 5: EM = 0x00 || 0x01 || PS (0xff…, ≥ 8 octets) || 0x00 || T.
  const em = new Uint8Array(emLen).fill(0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[emLen - tLen - 1] = 0x00;
  em.set(prefix, emLen - tLen);
  em.set(h, emLen - h.length);
  return em;
}

/**
 * RSASSA-PKCS1-v1_5-VERIFY (RFC 8017 §8.2.2): rebuilds the expected encoding and compares
 * it with the recovered one in constant time (no parsing of the DigestInfo, so no
 * Bleichenbacher-2006-style forgeries).
 */
export function pkcs1Verify(key: RsaPublicKey, hash: HashAlg, message: Uint8Array, signature: Uint8Array): boolean {
  const k = modulusBytes(key.n);
  // Step 1: "If the length of the signature S is not k octets, output 'invalid signature'".
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === null) return false;
  const em = bigIntToBytes(m, k);
  const expected = emsaPkcs1Encode(hash, message, k);
  if (!em || !expected) return false;
  return constantTimeEqual(em, expected);
}

/**
 * RSASSA-PKCS1-V1_5-SIGN (RFC 8017 §8.2.1). `random` feeds the blinding only.
 * @throws TlsError('InternalError') if the modulus is too small for the hash.
 */
export function pkcs1Sign(key: RsaPrivateComponents, hash: HashAlg, message: Uint8Array, random: RandomSource): Uint8Array {
  const k = modulusBytes(key.n);
  const em = emsaPkcs1Encode(hash, message, k);
  if (!em) throw new TlsError('InternalError', { detail: 'RSA: modulus too short for PKCS#1 v1.5' });
  return bigIntToBytes(rsasp1(key, bytesToBigInt(em), random), k)!;
}

// ------------------------------------------------------------------ PSS

/** MGF1 (RFC 8017 B.2.1) XORed into `out` in place. */
function mgf1Xor(hash: HashAlg, seed: Uint8Array, out: Uint8Array): void {
  const hLen = HASH_LEN[hash];
  const buf = new Uint8Array(seed.length + 4);
  buf.set(seed, 0);
  for (let counter = 0, off = 0; off < out.length; counter++, off += hLen) {
    buf[seed.length] = counter >>> 24;
    buf[seed.length + 1] = (counter >>> 16) & 0xff;
    buf[seed.length + 2] = (counter >>> 8) & 0xff;
    buf[seed.length + 3] = counter & 0xff;
    const t = digest(hash, buf);
    const n = Math.min(hLen, out.length - off);
    for (let i = 0; i < n; i++) out[off + i]! ^= t[i]!;
  }
}

/** H = Hash(0x00×8 || mHash || salt) (RFC 8017 §9.1.1 steps 5-6). */
function pssHash(hash: HashAlg, mHash: Uint8Array, salt: Uint8Array): Uint8Array {
  const mp = new Uint8Array(8 + mHash.length + salt.length);
  mp.set(mHash, 8);
  mp.set(salt, 8 + mHash.length);
  return digest(hash, mp);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1). */
function emsaPssEncode(hash: HashAlg, message: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  const hLen = HASH_LEN[hash];
  const emLen = Math.ceil(emBits / 8);
  // Step 3: "If emLen < hLen + sLen + 2, output 'encoding error'".
  if (emLen < hLen + salt.length + 2) throw new TlsError('InternalError', { detail: 'RSA: modulus too short for PSS' });
  const h = pssHash(hash, digest(hash, message), salt);
  // Steps 7-10: DB = PS || 0x01 || salt; maskedDB = DB ⊕ MGF(H, emLen − hLen − 1).
  const dbLen = emLen - hLen - 1;
  const em = new Uint8Array(emLen);
  const db = em.subarray(0, dbLen);
  db[dbLen - salt.length - 1] = 0x01;
  db.set(salt, dbLen - salt.length);
  mgf1Xor(hash, h, db);
  // Step 11: clear the leftmost 8·emLen − emBits bits.
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  // Step 12: EM = maskedDB || H || 0xbc.
  em.set(h, dbLen);
  em[emLen - 1] = 0xbc;
  return em;
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2); true for "consistent". */
function emsaPssVerify(hash: HashAlg, message: Uint8Array, em: Uint8Array, emBits: number, sLen: number): boolean {
  const hLen = HASH_LEN[hash];
  const emLen = em.length;
  // Step 3.
  if (emLen < hLen + sLen + 2) return false;
  // Step 4: rightmost octet must be 0xbc.
  if (em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const db = em.slice(0, dbLen);
  const h = em.subarray(dbLen, dbLen + hLen);
  // Step 6: the leftmost 8·emLen − emBits bits of maskedDB must be zero.
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((db[0]! & ~topMask & 0xff) !== 0) return false;
  // Steps 7-9.
  mgf1Xor(hash, h, db);
  db[0]! &= topMask;
  // Step 10: the leftmost emLen − hLen − sLen − 2 octets are zero, the next one is 0x01.
  const psLen = emLen - hLen - sLen - 2;
  let bad = db[psLen]! ^ 0x01;
  for (let i = 0; i < psLen; i++) bad |= db[i]!;
  if (bad !== 0) return false;
  // Steps 11-14.
  const salt = db.subarray(dbLen - sLen);
  return constantTimeEqual(h, pssHash(hash, digest(hash, message), salt));
}

/**
 * RSASSA-PSS-VERIFY (RFC 8017 §8.1.2) with MGF1(`hash`) and salt length `saltLength`
 * (TLS: the hash length, RFC 9846 §4.3.3). Returns false for any failure.
 */
export function pssVerify(
  key: RsaPublicKey,
  hash: HashAlg,
  message: Uint8Array,
  signature: Uint8Array,
  saltLength: number = HASH_LEN[hash],
): boolean {
  const k = modulusBytes(key.n);
  // Step 1: "If the length of the signature S is not k octets, output 'invalid signature'".
  if (signature.length !== k) return false;
  const m = rsavp1(key, bytesToBigInt(signature));
  if (m === null) return false;
  // Step 2.c: EM = I2OSP(m, emLen) with emBits = modBits − 1; fails if m is too large.
  const emBits = bitLength(key.n) - 1;
  const em = bigIntToBytes(m, Math.ceil(emBits / 8));
  if (!em) return false;
  return emsaPssVerify(hash, message, em, emBits, saltLength);
}

/**
 * RSASSA-PSS-SIGN (RFC 8017 §8.1.1) with MGF1(`hash`); the salt (hash-length bytes unless
 * `saltLength` says otherwise) and the blinding come from `random`.
 * @throws TlsError('InternalError') if the modulus is too small.
 */
export function pssSign(
  key: RsaPrivateComponents,
  hash: HashAlg,
  message: Uint8Array,
  random: RandomSource,
  saltLength: number = HASH_LEN[hash],
): Uint8Array {
  const k = modulusBytes(key.n);
  const emBits = bitLength(key.n) - 1;
  const salt = saltLength > 0 ? random(saltLength) : new Uint8Array(0);
  if (salt.length !== saltLength) throw new TlsError('InternalError', { detail: 'random source returned the wrong length' });
  const em = emsaPssEncode(hash, message, emBits, salt);
  return bigIntToBytes(rsasp1(key, bytesToBigInt(em), random), k)!;
}
