/**
 * ECDSA signature verification on P-256 and P-384 (FIPS 186-5 §6.4.2; curves from SP 800-186
 * §3.2.1.3 and §3.2.1.4), for the client-only entry's pure provider: a client only ever
 * verifies, so it needs neither signing nor constant-time arithmetic (every input is public),
 * and this is a few hundred bytes where @noble/curves' Weierstrass implementation is ~9 KB
 * min+gz. The unit tests check it against @noble/curves and node:crypto on valid, altered and
 * malformed signatures and keys.
 *
 * Also the SEC1 point decoding the provider's `parsePublicKey` needs (SEC 1 §2.3.4; RFC 5480
 * §2.2): uncompressed and compressed points, each checked to be on the curve (both curves
 * have cofactor 1, so every affine point on the curve is in the group, SP 800-56A §5.6.2.3.3).
 *
 * @module
 */

import { TlsError } from '../base/errors.js';
import { modPow } from './rsa.js';

/** A short-Weierstrass curve y² = x³ − 3x + b over GF(p) with base point G of prime order n. */
interface Curve {
  readonly p: bigint;
  readonly n: bigint;
  readonly b: bigint;
  readonly gx: bigint;
  readonly gy: bigint;
  /** Field element size in bytes. */
  readonly size: number;
  /** Bit length of n. */
  readonly nBits: number;
}

/** Jacobian point (X, Y, Z): affine (X/Z², Y/Z³); Z = 0 is the point at infinity. */
type Jacobian = readonly [bigint, bigint, bigint];

// SP 800-186 §3.2.1.3 (P-256) and §3.2.1.4 (P-384).
const P256: Curve = {
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  gx: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  gy: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
  size: 32,
  nBits: 256,
};

const P384: Curve = {
  p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
  n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  gx: 0xaa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7n,
  gy: 0x3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5fn,
  size: 48,
  nBits: 384,
};

/** The curves by key type. */
export const ECDSA_CURVES = { 'ec-p256': P256, 'ec-p384': P384 } as const;

/** The curve parameters (for tests that compare them with other implementations). */
export type EcdsaCurve = Curve;

const mod = (a: bigint, m: bigint): bigint => {
  const r = a % m;
  return r < 0n ? r + m : r;
};

/** Inverse of a (nonzero mod m) modulo the prime m (extended Euclid; inputs are public). */
function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, m);
}

function bytesToBigInt(b: Uint8Array): bigint {
  let r = 0n;
  for (let i = 0; i < b.length; i++) r = (r << 8n) | BigInt(b[i]!);
  return r;
}

function bigIntToBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** y² − (x³ − 3x + b) mod p: zero on the curve. */
function curveEquation(c: Curve, x: bigint, y: bigint): bigint {
  const { p } = c;
  return mod(y * y - ((x * x * x - 3n * x + c.b) % p), p);
}

/** Point doubling in Jacobian coordinates for a = −3 ("dbl-2001-b", Bernstein–Lange EFD). */
function double(c: Curve, [x, y, z]: Jacobian): Jacobian {
  const { p } = c;
  if (z === 0n || y === 0n) return [0n, 1n, 0n];
  const delta = (z * z) % p;
  const gamma = (y * y) % p;
  const beta = (x * gamma) % p;
  const alpha = (3n * (((x - delta) * (x + delta)) % p)) % p;
  const x3 = mod(alpha * alpha - 8n * beta, p);
  const z3 = mod((y + z) * (y + z) - gamma - delta, p);
  const y3 = mod(alpha * (4n * beta - x3) - 8n * ((gamma * gamma) % p), p);
  return [x3, y3, z3];
}

/** Point addition in Jacobian coordinates ("add-2007-bl"), with the doubling and infinity cases. */
function add(c: Curve, a: Jacobian, b: Jacobian): Jacobian {
  const { p } = c;
  const [x1, y1, z1] = a;
  const [x2, y2, z2] = b;
  if (z1 === 0n) return b;
  if (z2 === 0n) return a;
  const z1z1 = (z1 * z1) % p;
  const z2z2 = (z2 * z2) % p;
  const u1 = (x1 * z2z2) % p;
  const u2 = (x2 * z1z1) % p;
  const s1 = (((y1 * z2) % p) * z2z2) % p;
  const s2 = (((y2 * z1) % p) * z1z1) % p;
  const h = mod(u2 - u1, p);
  const r = mod(2n * (s2 - s1), p);
  if (h === 0n) return r === 0n ? double(c, a) : [0n, 1n, 0n];
  const i = (4n * h * h) % p;
  const j = (h * i) % p;
  const v = (u1 * i) % p;
  const x3 = mod(r * r - j - 2n * v, p);
  const y3 = mod(r * (v - x3) - 2n * ((s1 * j) % p), p);
  const z3 = mod(((z1 + z2) * (z1 + z2) - z1z1 - z2z2) % p * h, p);
  return [x3, y3, z3];
}

/** The 16 multiples 0·P .. 15·P (a 4-bit window table). */
function table(c: Curve, pt: Jacobian): Jacobian[] {
  const t: Jacobian[] = [[0n, 1n, 0n], pt];
  for (let i = 2; i < 16; i++) t.push(add(c, t[i - 1]!, pt));
  return t;
}

/** u1·G + u2·Q (Straus–Shamir, 4-bit windows): the scalars are public, so no constant time is needed. */
function doubleScalarMul(c: Curve, u1: bigint, u2: bigint, q: Jacobian): Jacobian {
  const tg = table(c, [c.gx, c.gy, 1n]);
  const tq = table(c, q);
  let acc: Jacobian = [0n, 1n, 0n];
  for (let shift = BigInt(Math.ceil(c.nBits / 4) * 4 - 4); shift >= 0n; shift -= 4n) {
    acc = double(c, double(c, double(c, double(c, acc))));
    const a = Number((u1 >> shift) & 15n);
    const b = Number((u2 >> shift) & 15n);
    if (a !== 0) acc = add(c, acc, tg[a]!);
    if (b !== 0) acc = add(c, acc, tq[b]!);
  }
  return acc;
}

/**
 * Decodes a SEC1 point on `type`'s curve (SEC 1 §2.3.4: 0x04‖X‖Y, or 0x02/0x03‖X), checking it
 * is on the curve, and returns it uncompressed.
 * @throws TlsError('IllegalParameter') for a bad encoding or a point not on the curve (callers
 *   map it to their own status: src/crypto/keys.ts decodeEcPoint)
 */
export function decodeSec1Point(type: keyof typeof ECDSA_CURVES, bytes: Uint8Array): Uint8Array {
  const c = ECDSA_CURVES[type];
  const { p, size } = c;
  const x = bytesToBigInt(bytes.subarray(1, 1 + size));
  if (x >= p) throw new TlsError('IllegalParameter', { detail: 'EC point: x out of range' });
  let y: bigint;
  if (bytes.length === 1 + 2 * size && bytes[0] === 4) {
    y = bytesToBigInt(bytes.subarray(1 + size));
    if (y >= p) throw new TlsError('IllegalParameter', { detail: 'EC point: y out of range' });
  } else if (bytes.length === 1 + size && (bytes[0] === 2 || bytes[0] === 3)) {
    // SEC 1 §2.3.4 step 2.4.1: y = sqrt(x³ − 3x + b); p ≡ 3 (mod 4) for both curves, so the
    // root is α^((p+1)/4) when one exists (checked below by the curve equation).
    y = modPow(mod(x * x * x - 3n * x + c.b, p), (p + 1n) / 4n, p);
    if ((y & 1n) !== BigInt(bytes[0]! & 1)) y = p - y;
    if (y === p) y = 0n;
  } else {
    throw new TlsError('IllegalParameter', { detail: 'EC point: bad point encoding' });
  }
  if (curveEquation(c, x, y) !== 0n) throw new TlsError('IllegalParameter', { detail: 'EC point: point not on the curve' });
  const out = new Uint8Array(1 + 2 * size);
  out[0] = 4;
  out.set(bigIntToBytes(x, size), 1);
  out.set(bigIntToBytes(y, size), 1 + size);
  return out;
}

/**
 * Reads a DER ECDSA-Sig-Value (RFC 3279 §2.2.3: SEQUENCE { r INTEGER, s INTEGER }), strictly:
 * definite minimal lengths, minimal positive integers, nothing after. Null if malformed.
 */
function parseDerSignature(sig: Uint8Array): [bigint, bigint] | null {
  let at = 0;
  const length = (): number | null => {
    if (at >= sig.length) return null;
    const first = sig[at++]!;
    if (first < 0x80) return first;
    // One length octet is enough for any P-384 signature (at most 104 bytes): 0x81 only, for 128..255.
    if (first !== 0x81 || at >= sig.length) return null;
    const l = sig[at++]!;
    return l < 0x80 ? null : l;
  };
  const integer = (): bigint | null => {
    if (sig[at++] !== 0x02) return null;
    const len = length();
    if (len === null || len === 0 || at + len > sig.length) return null;
    const body = sig.subarray(at, at + len);
    at += len;
    // Negative, or a leading zero that is not needed.
    if (body[0]! & 0x80) return null;
    if (body[0] === 0 && (len === 1 || !(body[1]! & 0x80))) return len === 1 ? 0n : null;
    return bytesToBigInt(body);
  };
  if (sig[at++] !== 0x30) return null;
  const total = length();
  if (total === null || at + total !== sig.length) return null;
  const r = integer();
  const s = integer();
  if (r === null || s === null || at !== sig.length) return null;
  return [r, s];
}

/**
 * Verifies a DER ECDSA signature over a digest computed by the caller (FIPS 186-5 §6.4.2), with
 * an uncompressed P-256 or P-384 public key (as the provider's `parsePublicKey` returns it). The
 * digest may be any length: its leftmost bits, as many as n has, are used (§6.4.2 step 3, so
 * certificates may pair any SHA-2 hash with either curve, RFC 5758 §3.2). High-S values are
 * valid. Returns false, never throws, for anything malformed or wrong.
 */
export function ecdsaVerify(type: keyof typeof ECDSA_CURVES, publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  const c = ECDSA_CURVES[type];
  if (c === undefined) return false;
  const { n, p, size } = c;
  if (publicKey.length !== 1 + 2 * size || publicKey[0] !== 4) return false;
  const qx = bytesToBigInt(publicKey.subarray(1, 1 + size));
  const qy = bytesToBigInt(publicKey.subarray(1 + size));
  // SP 800-56A §5.6.2.3.3 (a key from parsePublicKey is already checked; an unchecked one is here).
  if (qx >= p || qy >= p || curveEquation(c, qx, qy) !== 0n) return false;
  const rs = parseDerSignature(signature);
  if (rs === null) return false;
  const [r, s] = rs;
  // Step 2: r and s in [1, n − 1].
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  // Step 3: e from the leftmost nBits of the digest.
  let e = bytesToBigInt(digest);
  const excess = digest.length * 8 - c.nBits;
  if (excess > 0) e >>= BigInt(excess);
  // Steps 4-6: w = s⁻¹, u1 = e·w, u2 = r·w, R = u1·G + u2·Q.
  const w = invert(s, n);
  const u1 = mod(e * w, n);
  const u2 = (r * w) % n;
  const [x, , z] = doubleScalarMul(c, u1, u2, [qx, qy, 1n]);
  // Step 7: R is not the point at infinity. Step 8: v = x_R mod n; accept iff v = r.
  if (z === 0n) return false;
  const zInv = invert(z, p);
  const xr = (x * ((zInv * zInv) % p)) % p;
  return xr % n === r;
}
