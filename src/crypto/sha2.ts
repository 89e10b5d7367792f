/**
 * SHA-256, SHA-384 and SHA-512 (FIPS 180-4), incremental and cloneable, for the pure
 * provider (src/crypto/hash.ts builds HMAC and HKDF on them). puretls's own, so that the
 * client-only bundle does not carry @noble/hashes' generic hash framework (its argument
 * checks, hex and randomness helpers, the class hierarchy and every SHA-2 variant): the
 * unit tests compare every function here with `node:crypto` on random inputs split at
 * random points, and with FIPS 180-4's example messages.
 *
 * The round constants and initial values are not written out: FIPS 180-4 defines them as
 * the first 64 bits of the fractional parts of the cube roots of the first 80 primes (§4.2.3)
 * and of the square roots of the first 16 primes (§5.3.4, §5.3.5), and SHA-256's as the
 * first 32 of those bits (§4.2.2, §5.3.3). They are computed once, on the first hash, with
 * exact integer roots.
 *
 * SHA-384/512 work on 64-bit words as (high, low) pairs of 32-bit integers; sums of up to
 * five words add the low halves as doubles (exact below 2^53) and carry into the high halves.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { TlsError } from '../base/errors.js';
import type { HashAlg, HashState } from './provider.js';

/**
 * ⌊p^(1/k) · 2^64⌋ mod 2^64 (k = 2 or 3): the first 64 bits of the fractional part of the
 * root. Integer Newton steps on p·2^(64k) from a start just above the root (the double-precision
 * root, good to 2^−50, plus a margin), which end at the integer root in two or three steps.
 */
function fracRoot(p: number, k: 2 | 3): bigint {
  const kk = BigInt(k);
  const n = BigInt(p) << (64n * kk);
  let x = (BigInt(Math.floor((k === 2 ? Math.sqrt(p) : Math.cbrt(p)) * 2 ** 40)) + 2n) << 24n;
  for (;;) {
    const y = ((kk - 1n) * x + n / x ** (kk - 1n)) / kk;
    if (y >= x) return x & 0xffffffffffffffffn;
    x = y;
  }
}

interface Tables {
  /** SHA-512's 80 round constants, (high, low) interleaved; SHA-256's are the first 64 highs. */
  readonly k64: Int32Array;
  readonly k32: Int32Array;
  /** Initial hash values: SHA-256 (8 words), SHA-512 and SHA-384 (8 words each, interleaved). */
  readonly iv256: Int32Array;
  readonly iv512: Int32Array;
  readonly iv384: Int32Array;
}

let tables: Tables | undefined;

function tablesOf(): Tables {
  if (tables) return tables;
  const primes: number[] = [];
  for (let n = 2; primes.length < 80; n++) if (primes.every((p) => n % p !== 0)) primes.push(n);
  const pairs = (values: bigint[]): Int32Array => {
    const out = new Int32Array(values.length * 2);
    values.forEach((v, i) => {
      out[2 * i] = Number(v >> 32n) | 0;
      out[2 * i + 1] = Number(v & 0xffffffffn) | 0;
    });
    return out;
  };
  const k64 = pairs(primes.map((p) => fracRoot(p, 3)));
  const iv512 = pairs(primes.slice(0, 8).map((p) => fracRoot(p, 2)));
  const iv384 = pairs(primes.slice(8, 16).map((p) => fracRoot(p, 2)));
  const highs = (a: Int32Array, n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => a[2 * i]!);
  tables = { k64, k32: highs(k64, 64), iv256: highs(iv512, 8), iv512, iv384 };
  return tables;
}

/** Message schedule scratch (every block is processed to the end before the next call). */
const W32 = new Int32Array(64);
const W64 = new Int32Array(160);

/** SHA-256's compression function (FIPS 180-4 §6.2.2) on 64 bytes of `b` at `at`. */
function block256(h: Int32Array, k: Int32Array, b: Uint8Array, at: number): void {
  const w = W32;
  for (let t = 0; t < 16; t++, at += 4) w[t] = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15]!;
    const y = w[t - 2]!;
    // σ0 = ROTR7 ⊕ ROTR18 ⊕ SHR3, σ1 = ROTR17 ⊕ ROTR19 ⊕ SHR10 (§4.1.2).
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = (s1 + w[t - 7]! + s0 + w[t - 16]!) | 0;
  }
  let a = h[0]!, bb = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, hh = h[7]!;
  for (let t = 0; t < 64; t++) {
    // Σ1 = ROTR6 ⊕ ROTR11 ⊕ ROTR25, Ch = (e ∧ f) ⊕ (¬e ∧ g); Σ0 = ROTR2 ⊕ ROTR13 ⊕ ROTR22, Maj.
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + k[t]! + w[t]!) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & bb) ^ (a & c) ^ (bb & c))) | 0;
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = bb;
    bb = a;
    a = (t1 + t2) | 0;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + bb) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
  h[4] = (h[4]! + e) | 0;
  h[5] = (h[5]! + f) | 0;
  h[6] = (h[6]! + g) | 0;
  h[7] = (h[7]! + hh) | 0;
}

const TWO32 = 4294967296;

/** SHA-512's compression function (FIPS 180-4 §6.4.2) on 128 bytes of `b` at `at`. */
function block512(h: Int32Array, k: Int32Array, b: Uint8Array, at: number): void {
  const w = W64;
  for (let i = 0; i < 32; i++, at += 4) w[i] = (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  for (let i = 32; i < 160; i += 2) {
    // σ0 = ROTR1 ⊕ ROTR8 ⊕ SHR7 of W[t−15]; σ1 = ROTR19 ⊕ ROTR61 ⊕ SHR6 of W[t−2] (§4.1.3).
    const xh = w[i - 30]!, xl = w[i - 29]!;
    const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
    const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
    const yh = w[i - 4]!, yl = w[i - 3]!;
    // ROTR61 is ROTR29 of the swapped halves.
    const s1h = ((yh >>> 19) | (yl << 13)) ^ ((yl >>> 29) | (yh << 3)) ^ (yh >>> 6);
    const s1l = ((yl >>> 19) | (yh << 13)) ^ ((yh >>> 29) | (yl << 3)) ^ ((yl >>> 6) | (yh << 26));
    const lo = (s1l >>> 0) + (w[i - 13]! >>> 0) + (s0l >>> 0) + (w[i - 31]! >>> 0);
    w[i] = (s1h + w[i - 14]! + s0h + w[i - 32]! + ((lo / TWO32) | 0)) | 0;
    w[i + 1] = lo | 0;
  }
  let ah = h[0]!, al = h[1]!, bh = h[2]!, bl = h[3]!, ch = h[4]!, cl = h[5]!, dh = h[6]!, dl = h[7]!;
  let eh = h[8]!, el = h[9]!, fh = h[10]!, fl = h[11]!, gh = h[12]!, gl = h[13]!, hh = h[14]!, hl = h[15]!;
  for (let i = 0; i < 160; i += 2) {
    // Σ1 = ROTR14 ⊕ ROTR18 ⊕ ROTR41 (= ROTR9 of the swapped halves).
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const chh = (eh & fh) ^ (~eh & gh);
    const chl = (el & fl) ^ (~el & gl);
    const t1l = (hl >>> 0) + (S1l >>> 0) + (chl >>> 0) + (k[i + 1]! >>> 0) + (w[i + 1]! >>> 0);
    const t1h = (hh + S1h + chh + k[i]! + w[i]! + ((t1l / TWO32) | 0)) | 0;
    // Σ0 = ROTR28 ⊕ ROTR34 ⊕ ROTR39 (the last two: ROTR2, ROTR7 of the swapped halves).
    const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
    const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
    const majh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
    const majl = (al & bl) ^ (al & cl) ^ (bl & cl);
    hh = gh;
    hl = gl;
    gh = fh;
    gl = fl;
    fh = eh;
    fl = el;
    const el2 = (dl >>> 0) + (t1l >>> 0);
    eh = (dh + t1h + ((el2 / TWO32) | 0)) | 0;
    el = el2 | 0;
    dh = ch;
    dl = cl;
    ch = bh;
    cl = bl;
    bh = ah;
    bl = al;
    const al2 = (t1l >>> 0) + (S0l >>> 0) + (majl >>> 0);
    ah = (t1h + S0h + majh + ((al2 / TWO32) | 0)) | 0;
    al = al2 | 0;
  }
  const add = (j: number, xh: number, xl: number): void => {
    const lo = (h[j + 1]! >>> 0) + (xl >>> 0);
    h[j] = (h[j]! + xh + ((lo / TWO32) | 0)) | 0;
    h[j + 1] = lo | 0;
  };
  add(0, ah, al);
  add(2, bh, bl);
  add(4, ch, cl);
  add(6, dh, dl);
  add(8, eh, el);
  add(10, fh, fl);
  add(12, gh, gl);
  add(14, hh, hl);
}

/** Digest length in bytes and block size of each hash. */
const SHAPE: Readonly<Record<HashAlg, readonly [outLen: number, blockLen: number]>> = { sha256: [32, 64], sha384: [48, 128], sha512: [64, 128] };

/** An incremental SHA-2 computation (FIPS 180-4 §5.1 padding, §6 hash computation). */
export class Sha2 implements HashState {
  /** Digest length in bytes. */
  readonly outputLen: number;
  /** Block size in bytes (HMAC's B, RFC 2104 §2). */
  readonly blockLen: number;
  /** The hash computed. */
  readonly alg: HashAlg;
  private readonly h: Int32Array;
  private readonly k: Int32Array;
  private readonly buf: Uint8Array;
  private used = 0;
  private length = 0;
  private finished = false;

  /** A fresh hash (or, from {@link clone}, a copy of a running one's state). */
  constructor(alg: HashAlg, from?: Sha2) {
    const [outLen, blockLen] = SHAPE[alg];
    this.alg = alg;
    this.outputLen = outLen;
    this.blockLen = blockLen;
    const t = tablesOf();
    this.k = blockLen === 64 ? t.k32 : t.k64;
    this.h = (from ? from.h : alg === 'sha256' ? t.iv256 : alg === 'sha384' ? t.iv384 : t.iv512).slice();
    this.buf = from ? copyBytes(from.buf) : new Uint8Array(blockLen);
    if (from) {
      this.used = from.used;
      this.length = from.length;
    }
  }

  private compress(b: Uint8Array, at: number): void {
    if (this.blockLen === 64) block256(this.h, this.k, b, at);
    else block512(this.h, this.k, b, at);
  }

  private checkRunning(): void {
    if (this.finished) throw new TlsError('InternalError', { detail: `${this.alg}: used after digest()` });
  }

  /** Hashes `data` after what came before. */
  update(data: Uint8Array): void {
    this.checkRunning();
    const bl = this.blockLen;
    let i = 0;
    this.length += data.length;
    if (this.used > 0) {
      const n = Math.min(bl - this.used, data.length);
      this.buf.set(data.subarray(0, n), this.used);
      this.used += n;
      i = n;
      if (this.used < bl) return;
      this.compress(this.buf, 0);
      this.used = 0;
    }
    for (; i + bl <= data.length; i += bl) this.compress(data, i);
    if (i < data.length) {
      this.buf.set(data.subarray(i), 0);
      this.used = data.length - i;
    }
  }

  /** The digest of everything hashed (the state is finished: using it again is an InternalError; clone first to go on). */
  digest(): Uint8Array {
    this.checkRunning();
    this.finished = true;
    const bl = this.blockLen;
    const buf = this.buf;
    // §5.1.1 / §5.1.2: a 1 bit, zeros, then the message length in bits (64 or 128 bits).
    buf[this.used++] = 0x80;
    const lenBytes = bl === 64 ? 8 : 16;
    if (this.used > bl - lenBytes) {
      buf.fill(0, this.used);
      this.compress(buf, 0);
      this.used = 0;
    }
    buf.fill(0, this.used);
    const bits = this.length * 8;
    const hi = Math.floor(bits / TWO32);
    const at = bl - 8;
    buf[at] = hi >>> 24;
    buf[at + 1] = hi >>> 16;
    buf[at + 2] = hi >>> 8;
    buf[at + 3] = hi;
    buf[at + 4] = bits >>> 24;
    buf[at + 5] = bits >>> 16;
    buf[at + 6] = bits >>> 8;
    buf[at + 7] = bits;
    this.compress(buf, 0);
    const out = new Uint8Array(this.outputLen);
    for (let j = 0; j < this.outputLen; j++) out[j] = this.h[j >>> 2]! >>> (24 - 8 * (j & 3));
    buf.fill(0);
    this.h.fill(0);
    return out;
  }

  /** An independent copy of this running hash. */
  clone(): Sha2 {
    this.checkRunning();
    return new Sha2(this.alg, this);
  }
}
