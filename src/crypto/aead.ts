/**
 * AEADs for the record layer (RFC 5116): AES-128-GCM and AES-256-GCM (NIST SP 800-38D,
 * RFC 5288) and ChaCha20-Poly1305 (RFC 8439), from @noble/ciphers.
 *
 * Performance notes: noble's `gcm(key, nonce, aad)` / `chacha20poly1305(...)` objects are
 * single-use (one encrypt per key+nonce) and expand the AES key schedule and GHASH table
 * inside every `encrypt`/`decrypt` call, so there is no key schedule to keep between
 * records; creating the wrapper per record costs well under a microsecond. AES-GCM copies
 * an input that is not 4-byte aligned (`byteOffset % 4 !== 0`): the record layer saves a
 * 16 KiB copy per record by handing aligned views (e.g. a record body at an offset that is
 * a multiple of 4). ChaCha20-Poly1305 does not care.
 *
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TlsError } from '../base/errors.js';
import { AEAD_KEY_LEN, type AeadAlg, type AeadCipher } from './provider.js';

/** Nonce length of every supported AEAD (RFC 5116 §5.1, §5.3; RFC 8439 §2.8). */
export const AEAD_NONCE_LEN = 12;
/** Tag length of every supported AEAD. */
export const AEAD_TAG_LEN = 16;

type Construct = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
  encrypt(data: Uint8Array): Uint8Array;
  decrypt(data: Uint8Array): Uint8Array;
};

const CONSTRUCT: Readonly<Record<AeadAlg, Construct>> = {
  'AES-128-GCM': gcm,
  'AES-256-GCM': gcm,
  'CHACHA20-POLY1305': chacha20poly1305,
};

class NobleAead implements AeadCipher {
  readonly alg: AeadAlg;
  private readonly key: Uint8Array;
  private readonly make: Construct;

  constructor(alg: AeadAlg, key: Uint8Array) {
    this.alg = alg;
    // Our own copy: noble borrows the key by reference and the caller may wipe or reuse theirs.
    this.key = key.slice();
    this.make = CONSTRUCT[alg];
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    // RFC 5116 §5.1/§5.3, RFC 8439 §2.8: 96-bit nonces only (TLS builds them per record).
    if (nonce.length !== AEAD_NONCE_LEN) throw new TlsError('InternalError', { detail: `${this.alg}: nonce must be 12 bytes` });
    return this.make(this.key, nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || ciphertextAndTag.length < AEAD_TAG_LEN) return null;
    try {
      return this.make(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      // RFC 5116 §2.2: decryption failure returns FAIL and no plaintext.
      return null;
    }
  }
}

/**
 * A keyed AEAD.
 * @throws TlsError('InternalError') for an unknown algorithm or a key of the wrong length.
 */
export function createAead(alg: AeadAlg, key: Uint8Array): AeadCipher {
  const keyLen = AEAD_KEY_LEN[alg];
  if (keyLen === undefined) throw new TlsError('InternalError', { detail: `unknown AEAD ${String(alg)}` });
  if (key.length !== keyLen) throw new TlsError('InternalError', { detail: `${alg}: key must be ${keyLen} bytes` });
  return new NobleAead(alg, key);
}
