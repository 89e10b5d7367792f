/**
 * RC2 (RFC 2268) decryption in CBC mode, for the certificate bags of PKCS#12 files written
 * with `openssl pkcs12 -export -legacy` and by older Windows and Java tools
 * (pbeWithSHAAnd40BitRC2-CBC, RFC 7292 Appendix C).
 *
 * Written from RFC 2268 because no other provider here has it: @noble/ciphers does not, and
 * OpenSSL 3 moved RC2 to its legacy provider, which Node 20 does not load unless started with
 * `--openssl-legacy-provider`. RC2, and 40-bit RC2 all the more, protects nothing today;
 * PKCS#12 files use it only for certificates, which are public. Decryption only: puretls
 * never writes RC2.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** RFC 2268 §2: PITABLE, a permutation of 0..255 derived from the digits of pi. */
// prettier-ignore
const PITABLE = new Uint8Array([
  0xd9, 0x78, 0xf9, 0xc4, 0x19, 0xdd, 0xb5, 0xed, 0x28, 0xe9, 0xfd, 0x79, 0x4a, 0xa0, 0xd8, 0x9d,
  0xc6, 0x7e, 0x37, 0x83, 0x2b, 0x76, 0x53, 0x8e, 0x62, 0x4c, 0x64, 0x88, 0x44, 0x8b, 0xfb, 0xa2,
  0x17, 0x9a, 0x59, 0xf5, 0x87, 0xb3, 0x4f, 0x13, 0x61, 0x45, 0x6d, 0x8d, 0x09, 0x81, 0x7d, 0x32,
  0xbd, 0x8f, 0x40, 0xeb, 0x86, 0xb7, 0x7b, 0x0b, 0xf0, 0x95, 0x21, 0x22, 0x5c, 0x6b, 0x4e, 0x82,
  0x54, 0xd6, 0x65, 0x93, 0xce, 0x60, 0xb2, 0x1c, 0x73, 0x56, 0xc0, 0x14, 0xa7, 0x8c, 0xf1, 0xdc,
  0x12, 0x75, 0xca, 0x1f, 0x3b, 0xbe, 0xe4, 0xd1, 0x42, 0x3d, 0xd4, 0x30, 0xa3, 0x3c, 0xb6, 0x26,
  0x6f, 0xbf, 0x0e, 0xda, 0x46, 0x69, 0x07, 0x57, 0x27, 0xf2, 0x1d, 0x9b, 0xbc, 0x94, 0x43, 0x03,
  0xf8, 0x11, 0xc7, 0xf6, 0x90, 0xef, 0x3e, 0xe7, 0x06, 0xc3, 0xd5, 0x2f, 0xc8, 0x66, 0x1e, 0xd7,
  0x08, 0xe8, 0xea, 0xde, 0x80, 0x52, 0xee, 0xf7, 0x84, 0xaa, 0x72, 0xac, 0x35, 0x4d, 0x6a, 0x2a,
  0x96, 0x1a, 0xd2, 0x71, 0x5a, 0x15, 0x49, 0x74, 0x4b, 0x9f, 0xd0, 0x5e, 0x04, 0x18, 0xa4, 0xec,
  0xc2, 0xe0, 0x41, 0x6e, 0x0f, 0x51, 0xcb, 0xcc, 0x24, 0x91, 0xaf, 0x50, 0xa1, 0xf4, 0x70, 0x39,
  0x99, 0x7c, 0x3a, 0x85, 0x23, 0xb8, 0xb4, 0x7a, 0xfc, 0x02, 0x36, 0x5b, 0x25, 0x55, 0x97, 0x31,
  0x2d, 0x5d, 0xfa, 0x98, 0xe3, 0x8a, 0x92, 0xae, 0x05, 0xdf, 0x29, 0x10, 0x67, 0x6c, 0xba, 0xc9,
  0xd3, 0x00, 0xe6, 0xcf, 0xe1, 0x9e, 0xa8, 0x2c, 0x63, 0x16, 0x01, 0x3f, 0x58, 0xe2, 0x89, 0xa9,
  0x0d, 0x38, 0x34, 0x1b, 0xab, 0x33, 0xff, 0xb0, 0xbb, 0x48, 0x0c, 0x5f, 0xb9, 0xb1, 0xcd, 0x2e,
  0xc5, 0xf3, 0xdb, 0x47, 0xe5, 0xa5, 0x9c, 0x77, 0x0a, 0xa6, 0x20, 0x68, 0xfe, 0x7f, 0xc1, 0xad,
]);

/**
 * RFC 2268 §2: the 64 16-bit subkeys K[0..63] from a key of 1..128 bytes and an effective
 * key length in bits (1..1024).
 */
export function rc2ExpandKey(key: Uint8Array, effectiveBits: number): Uint16Array {
  const t = key.length;
  if (t < 1 || t > 128 || !Number.isInteger(effectiveBits) || effectiveBits < 1 || effectiveBits > 1024) {
    throw new TlsError('IdentityCorrupt', { detail: 'RC2: key of 1..128 bytes and 1..1024 effective bits' });
  }
  const l = new Uint8Array(128);
  l.set(key);
  // "for i = T, T+1, ..., 127 do L[i] = PITABLE[L[i-1] + L[i-T]]"
  for (let i = t; i < 128; i++) l[i] = PITABLE[(l[i - 1]! + l[i - t]!) & 0xff]!;
  // T8 = (T1+7)/8, TM = 255 MOD 2^(8 + T1 - 8*T8); "L[128-T8] = PITABLE[L[128-T8] & TM]".
  const t8 = (effectiveBits + 7) >> 3;
  const tm = 0xff >> (8 * t8 - effectiveBits);
  l[128 - t8] = PITABLE[l[128 - t8]! & tm]!;
  // "for i = 127-T8, ..., 0 do L[i] = PITABLE[L[i+1] XOR L[i+T8]]"
  for (let i = 127 - t8; i >= 0; i--) l[i] = PITABLE[l[i + 1]! ^ l[i + t8]!]!;
  // K[i] = L[2i] + 256*L[2i+1] (little-endian words).
  const k = new Uint16Array(64);
  for (let i = 0; i < 64; i++) k[i] = l[2 * i]! | (l[2 * i + 1]! << 8);
  l.fill(0);
  return k;
}

/** RFC 2268 §4: decrypts one 8-byte block of `src` at `off` into `out` at the same offset. */
function decryptBlock(k: Uint16Array, src: Uint8Array, out: Uint8Array, off: number): void {
  const r = [src[off]! | (src[off + 1]! << 8), src[off + 2]! | (src[off + 3]! << 8), src[off + 4]! | (src[off + 5]! << 8), src[off + 6]! | (src[off + 7]! << 8)];
  let j = 63;
  const rotr = [1, 2, 3, 5];
  // §4.1 R-MIX up R[i], for i = 3, 2, 1, 0.
  const rmix = (): void => {
    for (let i = 3; i >= 0; i--) {
      const s = rotr[i]!;
      let x = r[i]!;
      x = ((x >> s) | (x << (16 - s))) & 0xffff;
      x = (x - k[j]! - (r[(i + 3) & 3]! & r[(i + 2) & 3]!) - (~r[(i + 3) & 3]! & r[(i + 1) & 3]!)) & 0xffff;
      r[i] = x;
      j--;
    }
  };
  // §4.2 R-MASH R[i]: R[i] = R[i] - K[R[i-1] & 63], for i = 3, 2, 1, 0.
  const rmash = (): void => {
    for (let i = 3; i >= 0; i--) r[i] = (r[i]! - k[r[(i + 3) & 3]! & 63]!) & 0xffff;
  };
  // §4: five r-mixing rounds, one r-mashing, six r-mixing, one r-mashing, five r-mixing.
  for (let n = 0; n < 5; n++) rmix();
  rmash();
  for (let n = 0; n < 6; n++) rmix();
  rmash();
  for (let n = 0; n < 5; n++) rmix();
  for (let w = 0; w < 4; w++) {
    out[off + 2 * w] = r[w]! & 0xff;
    out[off + 2 * w + 1] = r[w]! >> 8;
  }
}

/**
 * RC2-CBC decryption without removing padding (the caller checks it): `data` must be a
 * whole number of 8-byte blocks and `iv` 8 bytes.
 */
export function rc2CbcDecrypt(key: Uint8Array, effectiveBits: number, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (iv.length !== 8 || data.length % 8 !== 0) throw new TlsError('IdentityCorrupt', { detail: 'RC2-CBC: 8-byte IV and whole blocks' });
  const k = rc2ExpandKey(key, effectiveBits);
  const out = new Uint8Array(data.length);
  let prev = iv;
  for (let off = 0; off < data.length; off += 8) {
    decryptBlock(k, data, out, off);
    for (let b = 0; b < 8; b++) out[off + b]! ^= prev[b]!;
    prev = data.subarray(off, off + 8);
  }
  k.fill(0);
  return out;
}
