/**
 * AEADs for the record layer (RFC 5116): AES-128-GCM and AES-256-GCM (NIST SP 800-38D,
 * RFC 5288) and ChaCha20-Poly1305 (RFC 8439).
 *
 * Keyed once: {@link createAead} does all the per-key work (for AES-GCM the key schedule,
 * the hash subkey and the GHASH tables, see `gcm.ts`), and every record reuses it. Before,
 * each record called noble's `gcm(key, nonce, aad)`, which rebuilt all of that per call
 * (~15-20 µs, five times the cost of sealing a 100-byte record). ChaCha20-Poly1305 has no
 * per-key precomputation (the Poly1305 key is per nonce, RFC 8439 §2.6), so it stays
 * @noble/ciphers' `chacha20poly1305`, called with an output buffer.
 *
 * Every cipher made here is also an {@link InPlaceAead}: the record layer seals the
 * TLSInnerPlaintext where it already lies in the record buffer, and opens a record in the
 * bytes it arrived in, so a record's payload is copied once (into the record buffer) on the
 * way out and not at all on the way in.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TlsError } from '../base/errors.js';
import { AesGcmKey } from './gcm.js';
import { AEAD_KEY_LEN, type AeadAlg, type AeadCipher } from './provider.js';

/** Nonce length of every supported AEAD (RFC 5116 §5.1, §5.3; RFC 8439 §2.8). */
export const AEAD_NONCE_LEN = 12;
/** Tag length of every supported AEAD. */
export const AEAD_TAG_LEN = 16;

/**
 * An AEAD that can also work in place: the record layer uses these when a provider's
 * cipher has them, and `seal`/`open` otherwise. Its operations (`seal` and `open` too)
 * read `nonce` and `aad` only during the call: the record layer passes scratch buffers
 * that it reuses for the next record.
 */
export interface InPlaceAead extends AeadCipher {
  /**
   * Encrypts `buf[0, buf.length − 16)` in place and writes the tag into the last 16 bytes,
   * so `buf` ends up holding ciphertext ‖ tag.
   * @throws TlsError('InternalError') for a nonce that is not 12 bytes or a `buf` shorter than a tag.
   */
  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): void;
  /**
   * Checks the tag at the end of `buf` (ciphertext ‖ tag) and, only if it matches,
   * decrypts the ciphertext and returns it: in place (a view of `buf`), or into one new
   * buffer where that is faster (ChaCha20 on a `buf` not 4-byte aligned). Either way the
   * caller gives up `buf`. Returns null, with `buf` untouched, when authentication fails or
   * the input is malformed. Never throws.
   */
  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): Uint8Array | null;
}

/** True if `aead` offers the in-place operations of {@link InPlaceAead}. */
export function isInPlaceAead(aead: AeadCipher): aead is InPlaceAead {
  const a = aead as Partial<InPlaceAead>;
  return typeof a.sealInPlace === 'function' && typeof a.openInPlace === 'function';
}

/**
 * An AEAD that seals a record in one step into a buffer it allocates itself, or into one
 * the caller gives it: `prefix`
 * (the record header, and TLS 1.2 GCM's explicit nonce) ‖ AEAD(`content` ‖ `trailer`) ‖ tag.
 * The plaintext is given in two pieces (the content as the caller has it, then the TLS 1.3
 * type byte and padding), so it is never copied into a record buffer first. For providers
 * whose cipher cannot work in the caller's memory (node:crypto allocates what `update()`
 * returns), this leaves one copy and no zero-filled buffer per record; the record layer
 * prefers it to `seal` when a cipher has it (detected with {@link isJoinedSealAead}).
 */
export interface JoinedSealAead extends AeadCipher {
  /**
   * Returns `prefix` ‖ ciphertext of (`content` ‖ `trailer`) ‖ tag, sealed under `nonce`
   * and `aad`: written into `into` when it is given (it must be exactly that long; `into`
   * itself is returned, every byte of it written), else into a new buffer. The other
   * inputs are only read, and only during the call (`seal` and `open` too read `nonce` and
   * `aad` only during the call: the record layer passes scratch buffers it reuses).
   * @throws TlsError('InternalError') for a nonce that is not 12 bytes or an `into` of the wrong length.
   */
  sealJoined(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, content: Uint8Array, trailer: Uint8Array, into?: Uint8Array): Uint8Array;
}

/** True if `aead` offers {@link JoinedSealAead.sealJoined}. */
export function isJoinedSealAead(aead: AeadCipher): aead is JoinedSealAead {
  return typeof (aead as Partial<JoinedSealAead>).sealJoined === 'function';
}

function checkNonce(alg: AeadAlg, nonce: Uint8Array): void {
  // RFC 5116 §5.1/§5.3, RFC 8439 §2.8: 96-bit nonces only (TLS builds them per record).
  if (nonce.length !== AEAD_NONCE_LEN) throw new TlsError('InternalError', { detail: `${alg}: nonce must be 12 bytes` });
}

/** AES-GCM keyed once (SP 800-38D; RFC 5116 §5.1, §5.2): what {@link createAead} returns for the AES suites. */
export class GcmAead implements InPlaceAead {
  readonly alg: AeadAlg;
  private readonly key: AesGcmKey;

  constructor(alg: AeadAlg, key: Uint8Array) {
    this.alg = alg;
    this.key = new AesGcmKey(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(this.alg, nonce);
    const out = new Uint8Array(plaintext.length + AEAD_TAG_LEN);
    const ct = out.subarray(0, plaintext.length);
    this.key.encrypt(nonce, aad, plaintext, ct, out.subarray(plaintext.length));
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || ciphertextAndTag.length < AEAD_TAG_LEN) return null;
    const n = ciphertextAndTag.length - AEAD_TAG_LEN;
    const out = new Uint8Array(n);
    // RFC 5116 §2.2: decryption failure returns FAIL and no plaintext.
    return this.key.decrypt(nonce, aad, ciphertextAndTag.subarray(0, n), out, ciphertextAndTag.subarray(n)) ? out : null;
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): void {
    checkNonce(this.alg, nonce);
    if (buf.length < AEAD_TAG_LEN) throw new TlsError('InternalError', { detail: `${this.alg}: no room for the tag` });
    const n = buf.length - AEAD_TAG_LEN;
    const data = buf.subarray(0, n);
    this.key.encrypt(nonce, aad, data, data, buf.subarray(n));
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || buf.length < AEAD_TAG_LEN) return null;
    const n = buf.length - AEAD_TAG_LEN;
    const data = buf.subarray(0, n);
    return this.key.decrypt(nonce, aad, data, data, buf.subarray(n)) ? data : null;
  }
}

/** ChaCha20-Poly1305 (RFC 8439 §2.8) from @noble/ciphers: what {@link createAead} returns for it. */
export class ChaChaAead implements InPlaceAead {
  readonly alg: AeadAlg = 'CHACHA20-POLY1305';
  private readonly key: Uint8Array;

  constructor(key: Uint8Array) {
    // Our own copy: noble borrows the key by reference and the caller may wipe or reuse theirs.
    this.key = copyBytes(key);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    checkNonce(this.alg, nonce);
    return chacha20poly1305(this.key, nonce, aad).encrypt(plaintext);
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || ciphertextAndTag.length < AEAD_TAG_LEN) return null;
    try {
      return chacha20poly1305(this.key, nonce, aad).decrypt(ciphertextAndTag);
    } catch {
      // RFC 5116 §2.2: decryption failure returns FAIL and no plaintext.
      return null;
    }
  }

  sealInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): void {
    checkNonce(this.alg, nonce);
    if (buf.length < AEAD_TAG_LEN) throw new TlsError('InternalError', { detail: `${this.alg}: no room for the tag` });
    // noble copies the plaintext into `output` (here: onto itself) and encrypts there.
    chacha20poly1305(this.key, nonce, aad).encrypt(buf.subarray(0, buf.length - AEAD_TAG_LEN), buf);
  }

  openInPlace(nonce: Uint8Array, aad: Uint8Array, buf: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || buf.length < AEAD_TAG_LEN) return null;
    // noble's ChaCha20 XORs words only when input and output are 4-byte aligned; for an
    // unaligned record (most, in the deframer's buffer) a fresh aligned output is faster.
    if ((buf.byteOffset & 3) !== 0) return this.open(nonce, aad, buf);
    const data = buf.subarray(0, buf.length - AEAD_TAG_LEN);
    try {
      // noble checks the tag before it writes anything to `output`.
      return chacha20poly1305(this.key, nonce, aad).decrypt(buf, data);
    } catch {
      return null;
    }
  }
}

/**
 * A keyed AEAD; it also implements {@link InPlaceAead}.
 * @throws TlsError('InternalError') for an unknown algorithm or a key of the wrong length.
 */
export function createAead(alg: AeadAlg, key: Uint8Array): AeadCipher {
  const keyLen = AEAD_KEY_LEN[alg];
  if (keyLen === undefined) throw new TlsError('InternalError', { detail: `unknown AEAD ${String(alg)}` });
  if (key.length !== keyLen) throw new TlsError('InternalError', { detail: `${alg}: key must be ${keyLen} bytes` });
  return alg === 'CHACHA20-POLY1305' ? new ChaChaAead(key) : new GcmAead(alg, key);
}
