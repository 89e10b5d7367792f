/**
 * AES-GCM (NIST SP 800-38D) keyed once: the AES key schedule, the hash subkey H and the
 * GHASH multiplication tables are built when the key is installed and reused for every
 * record, instead of once per call as `gcm(key, nonce, aad)` from @noble/ciphers does.
 *
 * - The key expansion (FIPS 197 §5.2) and the block function are ours, in @noble/ciphers'
 *   little-endian word layout (byte j of a word is bits 8j..8j+7; the unit tests compare the
 *   schedule with noble's `unsafe.expandKeyLE`, whose module, with every AES mode and its
 *   256 KiB tables built at import, the client bundle no longer carries). The block is FIPS 197's
 *   round as four 256-entry tables (T0..T3, 1 KiB each, "T-tables", §5.2 of the Rijndael
 *   proposal) and the S-box for the last round, with the round state in local variables.
 *   noble's `unsafe.encrypt` does the same rounds from two 65,536-entry tables (256 KiB each,
 *   two lookups per column instead of four) and returns an object per block; in V8 the small
 *   tables (4 KiB, they stay in the L1 cache) and no allocation per block are faster
 *   (bench/browser, issue 9). The CTR loop (SP 800-38D §6.5, GCTR) and GHASH (§6.4) are ours.
 * - GHASH multiplies by H with Shoup's table method, from tables in shared per-process
 *   slots (two of each width, most recently used first) that are rebuilt only when neither
 *   holds this key's table: a 16-entry table (4 bits at a time, 256 bytes, rebuilt in well
 *   under a microsecond) for short calls, and for a call that hashes at least
 *   {@link WIDE_TABLE_AFTER} bytes a 256-entry table (8 bits at a time, about twice as fast,
 *   4 KiB, rebuilt in about 3 µs). A key itself holds only its AES key schedule and H: an
 *   idle connection keeps no GHASH table at all (memory, issue 9), and bulk transfers run
 *   at the wide table's speed.
 * - Only 96-bit nonces (SP 800-38D §7.1: J0 = IV ‖ 0^31 ‖ 1), which is all TLS uses.
 * - The tag is compared in constant time, and nothing is decrypted (nor the caller's buffer
 *   touched) unless it matches (SP 800-38D §7.2 step 10).
 *
 * Table lookups indexed by secret-dependent values are not constant time with respect to
 * cache timing: the AES rounds index T-tables by state bytes, as noble's AES does (ours are
 * smaller: 4 KiB in all, 64 cache lines, against noble's 512 KiB), and GHASH indexes tables
 * of H multiples by bits of Y ⊕ X, as noble's GHASH does. Nothing else (no branch, no
 * early exit) depends on a secret. This is the usual trade of a pure-JavaScript AES-GCM;
 * where cache-timing attackers share the machine, use the native or webcrypto provider.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** GCM tag length in bytes (we only produce and accept full 128-bit tags). */
export const GCM_TAG_LEN = 16;
/** GCM nonce length in bytes (SP 800-38D §5.2.1.1: 96 bits recommended; TLS uses only these). */
export const GCM_NONCE_LEN = 12;
/** Bytes hashed in one call from which the 4 KiB 8-bit GHASH table is built and used. */
export const WIDE_TABLE_AFTER = 1024;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (FIPS 197 §4.2.1, xtime). */
const xtime = (b: number): number => ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;

/**
 * The S-box (FIPS 197 §5.1.1: the multiplicative inverse in GF(2^8), then the affine
 * transformation with c = 0x63), built by walking the field with the generator 3.
 */
const SBOX: Uint8Array = (() => {
  const exp = new Uint8Array(256);
  const log = new Uint8Array(256);
  for (let i = 0, x = 1; i < 255; i++, x ^= xtime(x)) {
    exp[i] = x;
    log[x] = i;
  }
  const box = new Uint8Array(256);
  for (let a = 0; a < 256; a++) {
    const inv = a === 0 ? 0 : exp[(255 - log[a]!) % 255]!;
    let y = inv;
    let r = inv;
    for (let k = 0; k < 4; k++) {
      r = ((r << 1) | (r >>> 7)) & 0xff;
      y ^= r;
    }
    box[a] = y ^ 0x63;
  }
  return box;
})();

/**
 * T-tables in noble's little-endian word layout (byte j of a column is bits 8j..8j+7):
 * T0[a] holds the column (2·S[a], S[a], S[a], 3·S[a]) (FIPS 197 §5.1.3 MixColumns applied to
 * S[a] in row 0); T1..T3 are T0 rotated left by 8, 16, 24 bits (the same for rows 1..3).
 */
const [T0, T1, T2, T3] = ((): Int32Array[] => {
  const t = [new Int32Array(256), new Int32Array(256), new Int32Array(256), new Int32Array(256)];
  for (let a = 0; a < 256; a++) {
    const sb = SBOX[a]!;
    const s2 = xtime(sb);
    let w = (((s2 ^ sb) << 24) | (sb << 16) | (sb << 8) | s2) | 0;
    for (let r = 0; r < 4; r++) {
      t[r]![a] = w;
      w = ((w << 8) | (w >>> 24)) | 0;
    }
  }
  return t;
})() as [Int32Array, Int32Array, Int32Array, Int32Array];

/** Multiplies the field element z (4 big-endian words, SP 800-38D bit order) by x in place. */
function mulX(z: Int32Array): void {
  const carry = z[3]! & 1;
  z[3] = (z[3]! >>> 1) | (z[2]! << 31);
  z[2] = (z[2]! >>> 1) | (z[1]! << 31);
  z[1] = (z[1]! >>> 1) | (z[0]! << 31);
  // SP 800-38D §6.3: R = 11100001 ‖ 0^120.
  z[0] = (z[0]! >>> 1) ^ (carry ? 0xe1000000 : 0);
}

/**
 * T[v] = v(x)·H for every `bits`-bit v, where the most significant bit of v is the
 * coefficient of x^0 (SP 800-38D bit order). 4 words per entry.
 */
function productTable(h0: number, h1: number, h2: number, h3: number, bits: number, t: Int32Array): Int32Array {
  const n = 1 << bits;
  const z = Int32Array.of(h0, h1, h2, h3);
  for (let k = 0; k < bits; k++) {
    t.set(z, (1 << (bits - 1 - k)) * 4);
    mulX(z);
  }
  for (let v = 1; v < n; v++) {
    const low = v & -v;
    if (low === v) continue;
    for (let j = 0; j < 4; j++) t[v * 4 + j] = t[low * 4 + j]! ^ t[(v ^ low) * 4 + j]!;
  }
  return t;
}

/**
 * R[v]: what shifting the `bits` lowest coefficients v out of the top of z·x^bits folds
 * back into the first word (the reduction modulo x^128 + x^7 + x^2 + x + 1).
 */
function reductionTable(bits: number): Int32Array {
  const n = 1 << bits;
  const r = new Int32Array(n);
  const z = new Int32Array(4);
  for (let v = 0; v < n; v++) {
    z.fill(0);
    z[3] = v;
    for (let k = 0; k < bits; k++) mulX(z);
    r[v] = z[0]!;
  }
  return r;
}

const REDUCE4 = reductionTable(4);
const REDUCE8 = reductionTable(8);

/** A shared product table and the key it was built for. */
interface TableSlot {
  owner: AesGcmKey | null;
  readonly table: Int32Array;
}
/** Most recently used first; allocated on first use. */
let narrowSlots: TableSlot[] | null = null;
let wideSlots: TableSlot[] | null = null;

/**
 * The `bits`-bit product table of `key`'s H from `slots` (two, most recently used first),
 * rebuilding the older slot if neither holds it.
 */
function slotTable(slots: TableSlot[], key: AesGcmKey, bits: number): Int32Array {
  let s = slots[0]!;
  if (s.owner === key) return s.table;
  s = slots[1]!;
  if (s.owner !== key) {
    productTable(key.h0, key.h1, key.h2, key.h3, bits, s.table);
    s.owner = key;
  }
  slots[1] = slots[0]!;
  slots[0] = s;
  return s.table;
}

const newSlots = (words: number): TableSlot[] => [
  { owner: null, table: new Int32Array(words) },
  { owner: null, table: new Int32Array(words) },
];

function be32(b: Uint8Array, at: number): number {
  return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
}

function le32(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/**
 * KeyExpansion (FIPS 197 §5.2) of a 16- or 32-byte key into 4·(Nr + 1) words, Nr = Nk + 6,
 * in the little-endian word layout: RotWord is a right rotation by 8 bits there, and Rcon's
 * one non-zero byte is the low byte.
 */
export function expandKey(key: Uint8Array): Int32Array {
  const nk = key.length >>> 2;
  const xk = new Int32Array(4 * (nk + 7));
  for (let i = 0; i < nk; i++) xk[i] = le32(key, 4 * i);
  const sub = (w: number): number => SBOX[w & 0xff]! | (SBOX[(w >>> 8) & 0xff]! << 8) | (SBOX[(w >>> 16) & 0xff]! << 16) | (SBOX[w >>> 24]! << 24);
  for (let i = nk, rcon = 1; i < xk.length; i++) {
    let t = xk[i - 1]!;
    if (i % nk === 0) {
      // SubWord(RotWord(temp)) xor Rcon[i/Nk], Rcon[j] = x^(j−1) in GF(2^8).
      t = sub((t >>> 8) | (t << 24)) ^ rcon;
      rcon = xtime(rcon);
    } else if (nk > 6 && i % nk === 4) t = sub(t);
    xk[i] = xk[i - nk]! ^ t;
  }
  return xk;
}

function bswap(v: number): number {
  return ((v >>> 24) | ((v >>> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24)) | 0;
}

/**
 * One AES-GCM key (AES-128 or AES-256): encrypts and decrypts any number of messages, each
 * under its own 96-bit nonce.
 *
 * `src` and `dst` may be the same bytes (in place) or disjoint, never partly overlapping.
 */
export class AesGcmKey {
  /** Expanded AES key (noble's little-endian word layout): 4·(rounds + 1) words. */
  private readonly xk: Int32Array;
  /** Full rounds (with MixColumns) after the first AddRoundKey: 9 for AES-128, 13 for AES-256. */
  private readonly rounds: number;
  /** @internal H = E(K, 0^128) as 4 big-endian words (read by the shared table slots). */
  readonly h0: number;
  /** @internal */
  readonly h1: number;
  /** @internal */
  readonly h2: number;
  /** @internal */
  readonly h3: number;
  /** The shared table for the call in progress; never kept between calls. */
  private table: Int32Array | null = null;
  /** Whether {@link table} is the 8-bit one. */
  private wide = false;
  // GHASH accumulator Y (4 big-endian words).
  private y0 = 0;
  private y1 = 0;
  private y2 = 0;
  private y3 = 0;
  // Keystream words of the last block encrypted (noble's layout: byte i is word i>>2, bits 8·(i&3)).
  private k0 = 0;
  private k1 = 0;
  private k2 = 0;
  private k3 = 0;

  /** @throws TlsError('InternalError') for a key that is not 16 or 32 bytes. */
  constructor(key: Uint8Array) {
    if (key.length !== 16 && key.length !== 32) {
      throw new TlsError('InternalError', { detail: `AES-GCM: key must be 16 or 32 bytes, got ${key.length}` });
    }
    this.xk = expandKey(key);
    this.rounds = this.xk.length / 4 - 2;
    // SP 800-38D §7.1 step 1: H = CIPH_K(0^128).
    this.block(0, 0, 0, 0);
    this.h0 = bswap(this.k0);
    this.h1 = bswap(this.k1);
    this.h2 = bswap(this.k2);
    this.h3 = bswap(this.k3);
  }

  /**
   * GCM-AE (SP 800-38D §7.1): encrypts `src` into `dst` (same length; may be the same
   * bytes) and writes the 16-byte tag into `tag`.
   */
  encrypt(nonce: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array, tag: Uint8Array): void {
    this.checkArgs(nonce, src, dst, tag);
    const n0 = le32(nonce, 0);
    const n1 = le32(nonce, 4);
    const n2 = le32(nonce, 8);
    this.gctr(n0, n1, n2, src, dst);
    this.tag(n0, n1, n2, aad, dst);
    writeTag(tag, this.y0, this.y1, this.y2, this.y3);
  }

  /**
   * GCM-AD (SP 800-38D §7.2): checks `tag` over `aad` and the ciphertext `src` in
   * constant time and, only if it matches, decrypts `src` into `dst` (may be the same
   * bytes). Returns false, leaving `dst` untouched, when authentication fails.
   */
  decrypt(nonce: Uint8Array, aad: Uint8Array, src: Uint8Array, dst: Uint8Array, tag: Uint8Array): boolean {
    this.checkArgs(nonce, src, dst, tag);
    const n0 = le32(nonce, 0);
    const n1 = le32(nonce, 4);
    const n2 = le32(nonce, 8);
    this.tag(n0, n1, n2, aad, src);
    // SP 800-38D §7.2 step 10: FAIL unless T = T'. Constant time: one OR of the differences.
    const diff = (this.y0 ^ be32(tag, 0)) | (this.y1 ^ be32(tag, 4)) | (this.y2 ^ be32(tag, 8)) | (this.y3 ^ be32(tag, 12));
    this.y0 = this.y1 = this.y2 = this.y3 = 0;
    if (diff !== 0) return false;
    this.gctr(n0, n1, n2, src, dst);
    return true;
  }

  private checkArgs(nonce: Uint8Array, src: Uint8Array, dst: Uint8Array, tag: Uint8Array): void {
    if (nonce.length !== GCM_NONCE_LEN || dst.length !== src.length || tag.length !== GCM_TAG_LEN) {
      throw new TlsError('InternalError', { detail: 'AES-GCM: bad nonce, output or tag length' });
    }
  }

  /**
   * Encrypts one block (noble's word layout) into k0..k3: FIPS 197 §5.1 Cipher(), each full
   * round's SubBytes, ShiftRows and MixColumns as four T-table lookups per column, then
   * AddRoundKey; the last round without MixColumns, from the S-box.
   */
  private block(s0: number, s1: number, s2: number, s3: number): void {
    const xk = this.xk;
    s0 ^= xk[0]!;
    s1 ^= xk[1]!;
    s2 ^= xk[2]!;
    s3 ^= xk[3]!;
    let k = 4;
    for (let r = this.rounds; r > 0; r--, k += 4) {
      const t0 = T0[s0 & 0xff]! ^ T1[(s1 >>> 8) & 0xff]! ^ T2[(s2 >>> 16) & 0xff]! ^ T3[s3 >>> 24]! ^ xk[k]!;
      const t1 = T0[s1 & 0xff]! ^ T1[(s2 >>> 8) & 0xff]! ^ T2[(s3 >>> 16) & 0xff]! ^ T3[s0 >>> 24]! ^ xk[k + 1]!;
      const t2 = T0[s2 & 0xff]! ^ T1[(s3 >>> 8) & 0xff]! ^ T2[(s0 >>> 16) & 0xff]! ^ T3[s1 >>> 24]! ^ xk[k + 2]!;
      s3 = T0[s3 & 0xff]! ^ T1[(s0 >>> 8) & 0xff]! ^ T2[(s1 >>> 16) & 0xff]! ^ T3[s2 >>> 24]! ^ xk[k + 3]!;
      s0 = t0;
      s1 = t1;
      s2 = t2;
    }
    const S = SBOX;
    this.k0 = (S[s0 & 0xff]! | (S[(s1 >>> 8) & 0xff]! << 8) | (S[(s2 >>> 16) & 0xff]! << 16) | (S[s3 >>> 24]! << 24)) ^ xk[k]!;
    this.k1 = (S[s1 & 0xff]! | (S[(s2 >>> 8) & 0xff]! << 8) | (S[(s3 >>> 16) & 0xff]! << 16) | (S[s0 >>> 24]! << 24)) ^ xk[k + 1]!;
    this.k2 = (S[s2 & 0xff]! | (S[(s3 >>> 8) & 0xff]! << 8) | (S[(s0 >>> 16) & 0xff]! << 16) | (S[s1 >>> 24]! << 24)) ^ xk[k + 2]!;
    this.k3 = (S[s3 & 0xff]! | (S[(s0 >>> 8) & 0xff]! << 8) | (S[(s1 >>> 16) & 0xff]! << 16) | (S[s2 >>> 24]! << 24)) ^ xk[k + 3]!;
  }

  /** GCTR (SP 800-38D §6.5) from inc32(J0): counter 2, since J0 = IV ‖ 0^31 ‖ 1. */
  private gctr(n0: number, n1: number, n2: number, src: Uint8Array, dst: Uint8Array): void {
    const len = src.length;
    const full = len & ~15;
    let ctr = 2;
    let i = 0;
    if (LITTLE_ENDIAN && (src.byteOffset & 3) === 0 && (dst.byteOffset & 3) === 0 && full > 0) {
      const s32 = new Int32Array(src.buffer, src.byteOffset, full >>> 2);
      const d32 = src.buffer === dst.buffer && src.byteOffset === dst.byteOffset ? s32 : new Int32Array(dst.buffer, dst.byteOffset, full >>> 2);
      for (let w = 0; w < full >>> 2; w += 4, ctr++) {
        this.block(n0, n1, n2, bswap(ctr));
        d32[w] = s32[w]! ^ this.k0;
        d32[w + 1] = s32[w + 1]! ^ this.k1;
        d32[w + 2] = s32[w + 2]! ^ this.k2;
        d32[w + 3] = s32[w + 3]! ^ this.k3;
      }
      i = full;
    } else if (full > 0) {
      // Unaligned (a record inside the deframer's buffer): DataView reads and writes words at any offset.
      const sv = new DataView(src.buffer, src.byteOffset, full);
      const dv = src.buffer === dst.buffer && src.byteOffset === dst.byteOffset ? sv : new DataView(dst.buffer, dst.byteOffset, full);
      for (; i < full; i += 16, ctr++) {
        this.block(n0, n1, n2, bswap(ctr));
        dv.setInt32(i, sv.getInt32(i, true) ^ this.k0, true);
        dv.setInt32(i + 4, sv.getInt32(i + 4, true) ^ this.k1, true);
        dv.setInt32(i + 8, sv.getInt32(i + 8, true) ^ this.k2, true);
        dv.setInt32(i + 12, sv.getInt32(i + 12, true) ^ this.k3, true);
      }
    }
    if (i < len) {
      this.block(n0, n1, n2, bswap(ctr));
      const ks = [this.k0, this.k1, this.k2, this.k3];
      for (let j = 0; i < len; i++, j++) dst[i] = src[i]! ^ ((ks[j >>> 2]! >>> ((j & 3) << 3)) & 0xff);
    }
  }

  /** Leaves the tag GHASH(A, C) ⊕ E(K, J0) (SP 800-38D §7.1 steps 5-6) in y0..y3. */
  private tag(n0: number, n1: number, n2: number, aad: Uint8Array, ct: Uint8Array): void {
    this.wide = aad.length + ct.length >= WIDE_TABLE_AFTER;
    this.table = this.wide ? slotTable((wideSlots ??= newSlots(256 * 4)), this, 8) : slotTable((narrowSlots ??= newSlots(16 * 4)), this, 4);
    this.y0 = this.y1 = this.y2 = this.y3 = 0;
    this.absorb(aad);
    this.absorb(ct);
    // The length block: [len(A)]_64 ‖ [len(C)]_64 in bits (both < 2^32 here).
    this.mul(0, aad.length * 8, 0, ct.length * 8);
    this.table = null;
    this.block(n0, n1, n2, 0x01000000); // J0 in noble's layout (counter word 1, big-endian)
    this.y0 ^= bswap(this.k0);
    this.y1 ^= bswap(this.k1);
    this.y2 ^= bswap(this.k2);
    this.y3 ^= bswap(this.k3);
  }

  /** Absorbs `b` zero-padded to a multiple of 16 bytes (SP 800-38D §6.4). */
  private absorb(b: Uint8Array): void {
    const full = b.length & ~15;
    for (let i = 0; i < full; i += 16) this.mul(be32(b, i), be32(b, i + 4), be32(b, i + 8), be32(b, i + 12));
    if (full < b.length) {
      const last = new Uint8Array(16);
      last.set(b.subarray(full));
      this.mul(be32(last, 0), be32(last, 4), be32(last, 8), be32(last, 12));
    }
  }

  /** Y ← (Y ⊕ X)·H (SP 800-38D §6.4 step 4), with the widest table built. */
  private mul(x0: number, x1: number, x2: number, x3: number): void {
    x0 ^= this.y0;
    x1 ^= this.y1;
    x2 ^= this.y2;
    x3 ^= this.y3;
    let z0 = 0;
    let z1 = 0;
    let z2 = 0;
    let z3 = 0;
    const t = this.table!;
    // Horner's rule from the highest-degree coefficients (the last byte, low bits first):
    // Z ← Z·x^k ⊕ T[next k coefficients]; the shift folds the k bits falling off the end
    // back in through the reduction table.
    if (this.wide) {
      for (let w = 3; w >= 0; w--) {
        let word = w === 3 ? x3 : w === 2 ? x2 : w === 1 ? x1 : x0;
        for (let j = 0; j < 4; j++) {
          const rem = z3 & 0xff;
          z3 = (z3 >>> 8) | (z2 << 24);
          z2 = (z2 >>> 8) | (z1 << 24);
          z1 = (z1 >>> 8) | (z0 << 24);
          z0 = (z0 >>> 8) ^ REDUCE8[rem]!;
          const i = (word & 0xff) << 2;
          word >>>= 8;
          z0 ^= t[i]!;
          z1 ^= t[i + 1]!;
          z2 ^= t[i + 2]!;
          z3 ^= t[i + 3]!;
        }
      }
    } else {
      for (let w = 3; w >= 0; w--) {
        let word = w === 3 ? x3 : w === 2 ? x2 : w === 1 ? x1 : x0;
        for (let j = 0; j < 8; j++) {
          const rem = z3 & 0xf;
          z3 = (z3 >>> 4) | (z2 << 28);
          z2 = (z2 >>> 4) | (z1 << 28);
          z1 = (z1 >>> 4) | (z0 << 28);
          z0 = (z0 >>> 4) ^ REDUCE4[rem]!;
          const i = (word & 0xf) << 2;
          word >>>= 4;
          z0 ^= t[i]!;
          z1 ^= t[i + 1]!;
          z2 ^= t[i + 2]!;
          z3 ^= t[i + 3]!;
        }
      }
    }
    this.y0 = z0;
    this.y1 = z1;
    this.y2 = z2;
    this.y3 = z3;
  }
}

function writeTag(out: Uint8Array, y0: number, y1: number, y2: number, y3: number): void {
  const ys = [y0, y1, y2, y3];
  for (let i = 0; i < 16; i++) out[i] = (ys[i >>> 2]! >>> (24 - ((i & 3) << 3))) & 0xff;
}
