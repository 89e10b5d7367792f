/**
 * A minimal crypto provider for key schedule and transcript tests, made from the free
 * functions of src/crypto/hash.ts (no AEAD, key exchange or signatures).
 */
import type { KeyScheduleCrypto } from '../../src/keys/tls13-schedule.js';
import { constantTimeEqual, digest, hashState, hkdfExpand, hkdfExtract, hmac } from '../../src/crypto/hash.js';
import { join } from './bytes.js';

/** `hash`, `digest`, `hmac`, `hkdfExtract`, `hkdfExpand` and `equal`, backed by @noble/hashes. */
export const hashProvider: KeyScheduleCrypto = {
  hash: hashState,
  digest,
  hmac,
  hkdfExtract,
  hkdfExpand,
  equal: constantTimeEqual,
};

/** Hex (whitespace ignored) to bytes. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`bad hex: ${hex.slice(0, 40)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes to lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Concatenation. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return join(parts);
}
