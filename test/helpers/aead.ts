/**
 * Test-only AEADs built directly on @noble/ciphers, so record-layer tests do not
 * depend on the provider under development in src/crypto.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AEAD_KEY_LEN, type AeadAlg, type AeadCipher } from '../../src/crypto/provider.js';
import { join } from './bytes.js';

/** All AEADs the record layer supports. */
export const AEAD_ALGS: readonly AeadAlg[] = ['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];

/** A keyed AEAD (RFC 5116 interface) over noble. */
export function nobleAead(alg: AeadAlg, key: Uint8Array): AeadCipher {
  if (key.length !== AEAD_KEY_LEN[alg]) throw new RangeError(`${alg} needs a ${AEAD_KEY_LEN[alg]}-byte key`);
  const k = key.slice();
  const make = (nonce: Uint8Array, aad: Uint8Array) =>
    alg === 'CHACHA20-POLY1305' ? chacha20poly1305(k, nonce, aad) : gcm(k, nonce, aad);
  return {
    alg,
    seal: (nonce, aad, plaintext) => make(nonce, aad).encrypt(plaintext),
    open: (nonce, aad, ct) => {
      try {
        return make(nonce, aad).decrypt(ct);
      } catch {
        return null;
      }
    },
  };
}

/** An AEAD that records every nonce and AAD it is given (and otherwise delegates). */
export function recordingAead(inner: AeadCipher): AeadCipher & { calls: { nonce: Uint8Array; aad: Uint8Array }[] } {
  const calls: { nonce: Uint8Array; aad: Uint8Array }[] = [];
  return {
    alg: inner.alg,
    calls,
    seal(nonce, aad, pt) {
      calls.push({ nonce: nonce.slice(), aad: aad.slice() });
      return inner.seal(nonce, aad, pt);
    },
    open(nonce, aad, ct) {
      calls.push({ nonce: nonce.slice(), aad: aad.slice() });
      return inner.open(nonce, aad, ct);
    },
  };
}

/** Deterministic bytes 0, 1, 2, ... (mod 256) starting at `start`. */
export function seqBytes(n: number, start = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}

/** Hex → bytes (whitespace ignored). */
export function hex(s: string): Uint8Array {
  const h = s.replace(/\s+/g, '');
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lower-case hex. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Concatenation. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  return join(parts);
}
