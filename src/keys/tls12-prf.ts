/**
 * The TLS 1.2 key derivations: P_hash and the PRF (RFC 5246 §5), the master secret
 * (RFC 5246 §8.1) and the extended master secret (RFC 7627 §4), the key block for the
 * AEAD suites (RFC 5246 §6.3; RFC 5288 §3; RFC 7905 §2), Finished verify_data
 * (RFC 5246 §7.4.9) and the keying material exporter (RFC 5705 §4).
 *
 * The PRF hash is the suite's: SHA-256 for every suite but the `_SHA384` ones, which use
 * SHA-384 (RFC 5246 §5; RFC 5289 §3). Only these two are accepted; anything else is an
 * `InternalError` (a suite table bug). Transcript hashes are passed in; nothing here
 * keeps handshake messages. All functions are synchronous and return fresh buffers.
 *
 * @module
 */
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { HASH_LEN } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';
import { concatBytes } from '../base/bytes.js';

const concat = (...parts: Uint8Array[]): Uint8Array => concatBytes(parts);

/** The part of the crypto provider the TLS 1.2 PRF uses. */
export type Tls12PrfCrypto = Pick<CryptoProvider, 'hmac' | 'equal'>;

/** PRF hashes of the TLS 1.2 suites we implement (RFC 5246 §5; RFC 5289 §3). */
export type Tls12Hash = Extract<HashAlg, 'sha256' | 'sha384'>;

/** Length of the (extended) master secret (RFC 5246 §8.1; RFC 7627 §4). */
export const MASTER_SECRET_LENGTH = 48;

/** Length of Finished.verify_data (RFC 5246 §7.4.9: verify_data_length defaults to 12). */
export const VERIFY_DATA_LENGTH = 12;

/** Length of ClientHello.random / ServerHello.random (RFC 5246 §7.4.1.2). */
const RANDOM_LENGTH = 32;

/**
 * Labels an exporter may not use: RFC 5705 §6 reserves the four PRF labels of RFC 5246
 * ("MUST NOT be used for the purpose described in RFC 5705"), and RFC 7627 §7 registers
 * "extended master secret" the same way.
 */
const RESERVED_EXPORTER_LABELS: ReadonlySet<string> = new Set([
  'client finished',
  'server finished',
  'master secret',
  'key expansion',
  'extended master secret',
]);

const encoder = new TextEncoder();

function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

/** True if `hash` is a TLS 1.2 PRF hash we implement. */
export function isTls12Hash(hash: unknown): hash is Tls12Hash {
  return hash === 'sha256' || hash === 'sha384';
}

function hashLength(hash: HashAlg): number {
  if (!isTls12Hash(hash)) throw internal(`TLS 1.2 PRF: unsupported hash ${String(hash)}`);
  return HASH_LEN[hash];
}

function labelBytes(label: string | Uint8Array): Uint8Array {
  return typeof label === 'string' ? encoder.encode(label) : label;
}

function checkBytes(b: Uint8Array, length: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== length) throw internal(`${what}: must be ${length} bytes`);
}

function checkLength(length: number, what: string): void {
  if (!Number.isInteger(length) || length < 0) throw internal(`${what}: bad output length ${length}`);
}

/**
 * P_hash (RFC 5246 §5):
 *
 * ```
 * P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
 * A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
 * ```
 *
 * iterated as far as needed and cut to `length` bytes.
 */
export function pHash(crypto: Tls12PrfCrypto, hash: HashAlg, secret: Uint8Array, seed: Uint8Array, length: number): Uint8Array {
  const hl = hashLength(hash);
  checkLength(length, 'P_hash');
  const out = new Uint8Array(length);
  // buf = A(i) ‖ seed
  const buf = new Uint8Array(hl + seed.length);
  buf.set(seed, hl);
  let a = seed; // A(0)
  for (let off = 0; off < length; off += hl) {
    a = crypto.hmac(hash, secret, a); // A(i)
    buf.set(a, 0);
    const block = crypto.hmac(hash, secret, buf);
    out.set(block.subarray(0, Math.min(hl, length - off)), off);
    block.fill(0);
  }
  buf.fill(0);
  return out;
}

/**
 * The TLS 1.2 PRF (RFC 5246 §5): `PRF(secret, label, seed) = P_<hash>(secret, label + seed)`.
 *
 * @param label - ASCII label, without a terminating NUL (strings are UTF-8 encoded, which is
 *   the same for ASCII)
 * @param length - output bytes wanted
 * @example
 * ```ts
 * prf(crypto, 'sha256', secret, 'test label', seed, 100);
 * ```
 */
export function prf(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  secret: Uint8Array,
  label: string | Uint8Array,
  seed: Uint8Array,
  length: number,
): Uint8Array {
  return pHash(crypto, hash, secret, concat(labelBytes(label), seed), length);
}

/**
 * The master secret (RFC 5246 §8.1):
 * `PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47]`.
 * Used only when extended_master_secret was not negotiated (RFC 7627 §4).
 *
 * @param preMasterSecret - for ECDHE, the x-coordinate / X25519 output (RFC 8422 §5.10)
 */
export function masterSecret(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  preMasterSecret: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
): Uint8Array {
  if (preMasterSecret.length === 0) throw internal('masterSecret: empty pre-master secret');
  checkBytes(clientRandom, RANDOM_LENGTH, 'masterSecret client_random');
  checkBytes(serverRandom, RANDOM_LENGTH, 'masterSecret server_random');
  return prf(crypto, hash, preMasterSecret, 'master secret', concat(clientRandom, serverRandom), MASTER_SECRET_LENGTH);
}

/**
 * The extended master secret (RFC 7627 §4):
 * `PRF(pre_master_secret, "extended master secret", session_hash)[0..47]`, where
 * `session_hash` is the transcript hash (with the PRF hash) of the handshake messages
 * from ClientHello up to and including ClientKeyExchange (RFC 7627 §3).
 *
 * @throws TlsError `InternalError` unless `sessionHash` has the PRF hash's length
 */
export function extendedMasterSecret(crypto: Tls12PrfCrypto, hash: HashAlg, preMasterSecret: Uint8Array, sessionHash: Uint8Array): Uint8Array {
  if (preMasterSecret.length === 0) throw internal('extendedMasterSecret: empty pre-master secret');
  checkBytes(sessionHash, hashLength(hash), 'extendedMasterSecret session_hash');
  return prf(crypto, hash, preMasterSecret, 'extended master secret', sessionHash, MASTER_SECRET_LENGTH);
}

/** The write keys and fixed IVs of an AEAD TLS 1.2 suite. */
export interface Tls12KeyBlock {
  readonly clientWriteKey: Uint8Array;
  readonly serverWriteKey: Uint8Array;
  /** client_write_IV: the implicit nonce part (4 bytes for GCM, 12 for ChaCha20-Poly1305). */
  readonly clientWriteIv: Uint8Array;
  readonly serverWriteIv: Uint8Array;
}

/**
 * The key block (RFC 5246 §6.3):
 * `key_block = PRF(master_secret, "key expansion", server_random + client_random)`,
 * partitioned as client_write_MAC_key, server_write_MAC_key, client_write_key,
 * server_write_key, client_write_IV, server_write_IV. The AEAD suites have no MAC keys
 * (RFC 5246 §6.2.3.3); the IV is the 4-byte salt for AES-GCM (RFC 5288 §3) and 12 bytes
 * for ChaCha20-Poly1305 (RFC 7905 §2).
 *
 * @param keyLen - AEAD key length (16 or 32)
 * @param ivLen - fixed IV length (4 for GCM, 12 for ChaCha20-Poly1305)
 */
export function keyBlock(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  keyLen: number,
  ivLen: number,
): Tls12KeyBlock {
  checkBytes(master, MASTER_SECRET_LENGTH, 'keyBlock master_secret');
  checkBytes(clientRandom, RANDOM_LENGTH, 'keyBlock client_random');
  checkBytes(serverRandom, RANDOM_LENGTH, 'keyBlock server_random');
  if (!Number.isInteger(keyLen) || keyLen < 1 || keyLen > 64) throw internal(`keyBlock: bad key length ${keyLen}`);
  if (!Number.isInteger(ivLen) || ivLen < 0 || ivLen > 64) throw internal(`keyBlock: bad IV length ${ivLen}`);
  // RFC 5246 §6.3: note the order, server_random first
  const block = prf(crypto, hash, master, 'key expansion', concat(serverRandom, clientRandom), 2 * keyLen + 2 * ivLen);
  let o = 0;
  const take = (n: number): Uint8Array => block.slice(o, (o += n));
  const out: Tls12KeyBlock = {
    clientWriteKey: take(keyLen),
    serverWriteKey: take(keyLen),
    clientWriteIv: take(ivLen),
    serverWriteIv: take(ivLen),
  };
  block.fill(0);
  return out;
}

/** The Finished labels (RFC 5246 §7.4.9). */
export type FinishedLabel = 'client finished' | 'server finished';

/**
 * Finished.verify_data (RFC 5246 §7.4.9):
 * `PRF(master_secret, finished_label, Hash(handshake_messages))[0..verify_data_length-1]`
 * with verify_data_length 12. "Hash" is the PRF hash.
 *
 * @param handshakeHash - hash of every handshake message up to, not including, this
 *   Finished (HelloRequest excluded)
 */
export function finishedVerifyData(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  master: Uint8Array,
  label: FinishedLabel,
  handshakeHash: Uint8Array,
): Uint8Array {
  if (label !== 'client finished' && label !== 'server finished') throw internal(`finishedVerifyData: bad label ${String(label)}`);
  checkBytes(master, MASTER_SECRET_LENGTH, 'finishedVerifyData master_secret');
  checkBytes(handshakeHash, hashLength(hash), 'finishedVerifyData handshake hash');
  return prf(crypto, hash, master, label, handshakeHash, VERIFY_DATA_LENGTH);
}

/**
 * Checks a received Finished.verify_data in constant time (RFC 5246 §7.4.9: "Recipients
 * of Finished messages MUST verify that the contents are correct"). Returns false on any
 * mismatch, including a wrong length; the caller sends decrypt_error (RFC 5246 §7.2.2).
 */
export function verifyFinished(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  master: Uint8Array,
  label: FinishedLabel,
  handshakeHash: Uint8Array,
  received: Uint8Array,
): boolean {
  const expected = finishedVerifyData(crypto, hash, master, label, handshakeHash);
  return crypto.equal(expected, received);
}

/**
 * The keying material exporter (RFC 5705 §4):
 *
 * ```
 * PRF(master_secret, label, client_random + server_random [+ context_value_length + context_value])[length]
 * ```
 *
 * `context_value_length` (uint16) and the context appear only when a context is given:
 * no context and an empty context give different values in TLS 1.2 (unlike TLS 1.3).
 *
 * @param label - 1 or more bytes; the reserved labels of RFC 5705 §6 / RFC 7627 §7
 *   ("client finished", "server finished", "master secret", "key expansion",
 *   "extended master secret") are refused
 * @param context - context value of 0..65535 bytes, or null/undefined for none
 * @param length - bytes wanted, 0..255·Hash.length (the TLS 1.3 exporter's bound, so that
 *   the API has one limit whatever the version)
 * @throws TlsError `ApiMisuse` for a label, context or length out of bounds (these come
 *   from the application)
 */
export function exporter(
  crypto: Tls12PrfCrypto,
  hash: HashAlg,
  master: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array | null | undefined,
  length: number,
): Uint8Array {
  const hl = hashLength(hash);
  checkBytes(master, MASTER_SECRET_LENGTH, 'exporter master_secret');
  checkBytes(clientRandom, RANDOM_LENGTH, 'exporter client_random');
  checkBytes(serverRandom, RANDOM_LENGTH, 'exporter server_random');
  const l = labelBytes(label);
  if (l.length === 0) throw new TlsError('ApiMisuse', { detail: 'exporter: empty label' });
  const labelText = typeof label === 'string' ? label : new TextDecoder().decode(label);
  // RFC 5705 §6: reserved labels "MUST NOT be used for the purpose described in RFC 5705"
  if (RESERVED_EXPORTER_LABELS.has(labelText)) throw new TlsError('ApiMisuse', { detail: `exporter: label "${labelText}" is reserved (RFC 5705 §6)` });
  if (!Number.isInteger(length) || length < 0 || length > 255 * hl) {
    throw new TlsError('ApiMisuse', { detail: `exporter: length must be an integer in 0..${255 * hl}, got ${length}` });
  }
  let seed: Uint8Array;
  if (context === null || context === undefined) {
    seed = concat(clientRandom, serverRandom);
  } else {
    // RFC 5705 §4: "The context value length is encoded as an unsigned, 16-bit quantity"
    if (context.length > 0xffff) throw new TlsError('ApiMisuse', { detail: `exporter: context of ${context.length} bytes (max 65535)` });
    seed = concat(clientRandom, serverRandom, new Uint8Array([context.length >>> 8, context.length & 0xff]), context);
  }
  return prf(crypto, hash, master, l, seed, length);
}
