/**
 * The default, pure-JavaScript crypto provider: @noble/hashes, @noble/curves and
 * @noble/ciphers, with RSA on BigInt. Runs wherever JavaScript runs.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { RandomSource, SyncCryptoProvider } from './provider.js';
import { constantTimeEqual, digest, hashState, hkdfExpand, hkdfExtract, hmac } from './hash.js';
import { createAead } from './aead.js';
import { KX_GROUPS, createKeyShare, keySharePrivateLength } from './kx.js';
import { parsePrivateKey, parsePublicKey } from './keys.js';
import { ALL_SIGNATURE_SCHEMES, schemesForKey, schemesForKeyTls12, signMessage, verifyEcdsaDigest, verifySignature } from './sig.js';

/** Largest request `crypto.getRandomValues` accepts (WebCrypto §10.1.1: QuotaExceededError above 65536). */
const RANDOM_CHUNK = 65536;

/**
 * Cryptographically secure random bytes from `globalThis.crypto.getRandomValues`
 * (Node ≥ 19, Deno, Bun, browsers, workers), filled in 64 KiB chunks.
 * @throws TlsError('InternalError') if no WebCrypto random source exists or `n` is invalid.
 */
export const defaultRandom: RandomSource = (n: number): Uint8Array => {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlsError('InternalError', { detail: `bad random length ${n}` });
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new TlsError('InternalError', { detail: 'no globalThis.crypto.getRandomValues' });
  }
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += RANDOM_CHUNK) c.getRandomValues(out.subarray(off, Math.min(n, off + RANDOM_CHUNK)));
  return out;
};

/**
 * The pure provider. Groups: x25519, secp256r1, secp384r1 (preference order).
 * Signature schemes: see {@link ALL_SIGNATURE_SCHEMES}.
 */
export const nobleProvider: SyncCryptoProvider = Object.freeze({
  name: 'pure',
  hash: hashState,
  digest,
  hmac,
  hkdfExtract,
  hkdfExpand,
  aead: createAead,
  groups: Object.freeze([KX_GROUPS.x25519, KX_GROUPS.secp256r1, KX_GROUPS.secp384r1]),
  generateKeyShare: (group, random) => createKeyShare(group, random(keySharePrivateLength(group))),
  keySharePrivateLength,
  keyShare: createKeyShare,
  signatureSchemes: ALL_SIGNATURE_SCHEMES,
  parsePublicKey,
  parsePrivateKey,
  schemesForKey: (key, version) => (version === 'TLSv1.2' ? schemesForKeyTls12(key) : schemesForKey(key)),
  sign: (key, scheme, message, random, opts) => (key.signer ? key.signer.sign(scheme, message) : signMessage(key, scheme, message, random, opts)),
  verify: (key, scheme, message, signature, opts) => verifySignature(key, scheme, message, signature, opts),
  verifyEcdsaDigest,
  equal: constantTimeEqual,
} satisfies SyncCryptoProvider);
