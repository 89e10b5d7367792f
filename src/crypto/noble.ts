/**
 * The default, pure-JavaScript crypto provider: @noble/curves, @noble/ciphers and
 * @noble/post-quantum, with our own SHA-2/HMAC/HKDF (src/crypto/sha2.ts, hash.ts), AES-GCM
 * (gcm.ts) and RSA on BigInt. Runs wherever JavaScript runs.
 *
 * @module
 */
import { markTrusted } from './guard.js';
import { TlsError } from '../base/errors.js';
import type { RandomSource, SyncCryptoProvider } from './provider.js';
import { constantTimeEqual, digest, hashState, hkdfExpand, hkdfExtract, hmac } from './hash.js';
import { createAead } from './aead.js';
import { KX_GROUPS, createKeyShare, keySharePrivateLength } from './kx.js';
import { PURE_MLKEM, withHybridGroups } from './hybrid.js';
import { parsePrivateKey, parsePublicKey } from './keys.js';
import { ALL_SIGNATURE_SCHEMES, schemesForKey, schemesForKeyTls12, signMessage, verifyEcdsaDigest, verifySignature } from './sig.js';

/** Largest request `crypto.getRandomValues` accepts (WebCrypto §10.1.1: QuotaExceededError above 65536). */
const RANDOM_CHUNK = 65536;

/**
 * Small requests are served from a pool filled {@link POOL_SIZE} bytes at a time: a handshake
 * asks for random bytes 13-14 times (randoms, key shares, nonces, ticket fields), and each
 * `getRandomValues` call is a system call costing far more than the bytes (issue 9: protocol
 * overhead over the primitive floor). Bytes handed out are zeroed in the pool at once, so
 * the pool never holds what a caller received.
 */
const POOL_SIZE = 1024;
/** Requests above this size are filled directly (they are rare: keys, large test buffers). */
const POOL_MAX_REQUEST = 64;
let pool: Uint8Array | null = null;
let poolAt = POOL_SIZE;

function fillRandom(out: Uint8Array): void {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new TlsError('InternalError', { detail: 'no globalThis.crypto.getRandomValues' });
  }
  for (let off = 0; off < out.length; off += RANDOM_CHUNK) c.getRandomValues(out.subarray(off, Math.min(out.length, off + RANDOM_CHUNK)));
}

/**
 * Cryptographically secure random bytes from `globalThis.crypto.getRandomValues`
 * (Node ≥ 19, Deno, Bun, browsers, workers): up to 64 bytes from a 1 KiB pool refilled from
 * it (zeroed as it is handed out), larger requests filled directly in 64 KiB chunks.
 * @throws TlsError('InternalError') if no WebCrypto random source exists or `n` is invalid.
 */
export const defaultRandom: RandomSource = (n: number): Uint8Array => {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlsError('InternalError', { detail: `bad random length ${n}` });
  if (n > POOL_MAX_REQUEST) {
    const out = new Uint8Array(n);
    fillRandom(out);
    return out;
  }
  if (pool === null || poolAt + n > POOL_SIZE) {
    const next = pool ?? new Uint8Array(POOL_SIZE);
    fillRandom(next);
    pool = next;
    poolAt = 0;
  }
  const out = pool.slice(poolAt, poolAt + n);
  pool.fill(0, poolAt, poolAt + n);
  poolAt += n;
  return out;
};

/**
 * The pure provider. Groups: X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, x25519,
 * secp256r1, secp384r1 (preference order).
 * Signature schemes: see {@link ALL_SIGNATURE_SCHEMES}.
 */
// Built in a pure-annotated function so that a bundle which never names this provider (the
// client-only entry has its own) drops it and everything it reaches.
export const nobleProvider: SyncCryptoProvider = /* @__PURE__ */ (() => {
  // Key exchange: the classical groups of kx.ts and the post-quantum hybrids of hybrid.ts (pure ML-KEM).
  const kx = withHybridGroups(
    {
      groups: [KX_GROUPS.x25519, KX_GROUPS.secp256r1, KX_GROUPS.secp384r1],
      generateKeyShare: (group, random) => createKeyShare(group, random(keySharePrivateLength(group))),
      privateLength: keySharePrivateLength,
      keyShare: createKeyShare,
    },
    PURE_MLKEM,
  );
  return markTrusted(Object.freeze({
    name: 'pure',
    hash: hashState,
    digest,
    hmac,
    hkdfExtract,
    hkdfExpand,
    aead: createAead,
    groups: kx.groups,
    generateKeyShare: kx.generateKeyShare,
    keySharePrivateLength: kx.keySharePrivateLength,
    keyShare: kx.keyShare,
    encapsulate: kx.encapsulate,
    signatureSchemes: ALL_SIGNATURE_SCHEMES,
    parsePublicKey,
    parsePrivateKey,
    schemesForKey: (key, version) => (version === 'TLSv1.2' ? schemesForKeyTls12(key) : schemesForKey(key)),
    sign: (key, scheme, message, random, opts) => (key.signer ? key.signer.sign(scheme, message) : signMessage(key, scheme, message, random, opts)),
    verify: (key, scheme, message, signature, opts) => verifySignature(key, scheme, message, signature, opts),
    verifyEcdsaDigest,
    equal: constantTimeEqual,
  } satisfies SyncCryptoProvider));
})();
