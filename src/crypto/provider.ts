/**
 * The crypto provider interface: everything the record layer and the handshake need
 * from cryptography, behind one object so that implementations can be swapped
 * (pure noble-based by default; a native one later) and checked against each other.
 *
 * Hashes, HMAC and HKDF are synchronous in every provider (WebCrypto costs
 * 40-140 µs per call, and transcript hashing is incremental). Key exchange (generating a
 * key share and agreeing), signing, signature verification and the AEAD may return
 * promises (WebCrypto, a remote signer): a provider that does so sets
 * {@link CryptoProvider.async}. The engine reads that flag once per connection and keeps
 * every record on a synchronous path when it is false (no promise per record); the
 * handshake awaits only the results that are promises.
 *
 * Private keys may be opaque: a {@link PrivateKeyInfo} with a {@link Signer} and no key
 * material signs through the signer (a `node:crypto` KeyObject, a non-extractable
 * WebCrypto CryptoKey, a hardware token or a remote KMS; see `signer.ts`).
 *
 * @module
 */

/** A value, or a promise of it (what the operations of an async provider return). */
export type MaybePromise<T> = T | Promise<T>;

/** Hash functions used by TLS 1.2/1.3. */
export type HashAlg = 'sha256' | 'sha384' | 'sha512';

/** Output length in bytes of each hash. */
export const HASH_LEN: Readonly<Record<HashAlg, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** An incremental hash. `digest()` finalises this state; use `clone()` first to keep going. */
export interface HashState {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
  clone(): HashState;
}

/** AEAD algorithms used by the supported cipher suites. */
export type AeadAlg = 'AES-128-GCM' | 'AES-256-GCM' | 'CHACHA20-POLY1305';

/** Key length in bytes of each AEAD. */
export const AEAD_KEY_LEN: Readonly<Record<AeadAlg, number>> = {
  'AES-128-GCM': 16,
  'AES-256-GCM': 32,
  'CHACHA20-POLY1305': 32,
};

/** A keyed AEAD (RFC 5116). Nonces are 12 bytes and tags 16 bytes for every supported algorithm. */
export interface AeadCipher {
  readonly alg: AeadAlg;
  /** Absent or false: synchronous (see {@link AsyncAeadCipher}). */
  readonly async?: false;
  /** Returns ciphertext ‖ tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * Returns the plaintext, or null if authentication fails. Never throws on bad input. The
   * returned array belongs to the caller (the record layer queues it until the application
   * reads it): not a view of a buffer the AEAD reuses. Inputs must not be modified.
   */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
}

/**
 * A keyed AEAD whose operations complete later (WebCrypto). The record layer reserves each
 * record's sequence number when it calls `seal` / `open` and keeps records in order while
 * they are pending. Same contract as {@link AeadCipher} otherwise: `open` resolves to null
 * (never rejects) when authentication fails.
 */
export interface AsyncAeadCipher {
  readonly alg: AeadAlg;
  readonly async: true;
  /** Resolves to ciphertext ‖ tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** Resolves to the plaintext, or null if authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Promise<Uint8Array | null>;
}

/** One side's ephemeral key for a named group. */
export interface KeyShare {
  /** Named group code point (see `NamedGroup`). */
  readonly group: number;
  /** Our public value as sent in key_share (X25519: 32 bytes; NIST curves: uncompressed point). */
  readonly publicKey: Uint8Array;
  /**
   * Computes the shared secret with the peer's public value.
   * Throws `TlsError('IllegalParameter')` for an invalid point or an all-zero result
   * (RFC 9846 §7.4.2, §4.2.8.2; RFC 7748 §6.1). An async provider may return a promise
   * that rejects with the same errors.
   */
  agree(peerPublic: Uint8Array): MaybePromise<Uint8Array>;
}

/** Kinds of keys used in certificates. */
export type KeyType = 'ec-p256' | 'ec-p384' | 'ed25519' | 'rsa' | 'rsa-pss';

/** A public key, decoded from a SubjectPublicKeyInfo. */
export interface PublicKeyInfo {
  readonly type: KeyType;
  /** The DER SubjectPublicKeyInfo it came from. */
  readonly spki: Uint8Array;
  /** EC: uncompressed point; Ed25519: 32-byte key. Absent for RSA. */
  readonly raw?: Uint8Array;
  /** RSA modulus. */
  readonly n?: bigint;
  /** RSA public exponent. */
  readonly e?: bigint;
  /** RSA modulus size in bits. */
  readonly bits?: number;
}

/** RSA private key components (PKCS#1 RSAPrivateKey). */
export interface RsaPrivateComponents {
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly p: bigint;
  readonly q: bigint;
  readonly dp: bigint;
  readonly dq: bigint;
  readonly qi: bigint;
}

/**
 * An opaque private key: it signs, and never shows its bytes (a hardware token, a remote
 * KMS, a non-extractable WebCrypto CryptoKey, a `node:crypto` KeyObject). Its public key
 * is told by the certificate it comes with.
 *
 * `sign` receives the TLS SignatureScheme code point (RFC 9846 §4.3.3) and the whole
 * message to sign (not a digest): the signer hashes it with the scheme's hash. ECDSA
 * signatures are DER (`ECDSA-Sig-Value`, RFC 3279 §2.2.3); RSA-PSS salts are as long as
 * the hash (RFC 9846 §4.3.3). A rejection or throw fails the handshake with
 * `InternalError` (its message in the detail), and so does a signature that does not verify
 * under the certificate's key: the handshake checks it before sending it.
 */
export interface Signer {
  /**
   * Signs `data` with `scheme`. May return the signature at once or a promise of it.
   */
  sign(scheme: number, data: Uint8Array): MaybePromise<Uint8Array>;
  /**
   * The schemes this signer can make, if it cannot make every scheme that fits its key
   * (e.g. a CryptoKey imported for RSA-PSS with SHA-256 only). Absent: all that fit.
   */
  readonly schemes?: readonly number[];
  /** A name for logs (e.g. `'kms:projects/p/keys/k'`). */
  readonly label?: string;
}

/** A private key usable for signing handshake messages. */
export interface PrivateKeyInfo {
  readonly type: KeyType;
  /** EC scalar (big-endian, curve-sized) or Ed25519 32-byte seed. Absent for RSA and for opaque keys. */
  readonly d?: Uint8Array;
  /** RSA components. Absent for opaque keys. */
  readonly rsa?: RsaPrivateComponents;
  /** The matching public key (for an opaque key: the certificate's). */
  readonly publicKey: PublicKeyInfo;
  /** An opaque key: signing goes through it, and the key has no material here. */
  readonly signer?: Signer;
}

/** A source of random bytes. Must be cryptographically secure outside tests. */
export type RandomSource = (n: number) => Uint8Array;

/** Options for signing and verifying. */
export interface SignatureOptions {
  /** TLS 1.2 rules: an ECDSA scheme names only the hash, any curve may sign (RFC 5246 §7.4.1.4.1). */
  readonly tls12?: boolean;
}

/** Everything the protocol needs from cryptography. */
export interface CryptoProvider {
  /** Provider name, for logs and benchmarks (`'pure'`, `'native'`, `'webcrypto'`, or a custom provider's). */
  readonly name: string;
  /**
   * True if key exchange ({@link generateKeyShare}, `KeyShare.agree`), {@link sign},
   * {@link verify} or the AEAD ({@link aead} returning an {@link AsyncAeadCipher}) may
   * return promises. Read once per connection: false (or absent) keeps the record layer
   * on its synchronous path, with no promise per record.
   */
  readonly async?: boolean;
  /**
   * Operations this provider hands to another implementation (e.g. a WebCrypto provider
   * doing ChaCha20-Poly1305 in pure code: `['aead:CHACHA20-POLY1305 → pure']`), for
   * `info` and benchmarks. Absent: none.
   */
  readonly delegated?: readonly string[];

  /** A fresh incremental hash. */
  hash(alg: HashAlg): HashState;
  /** One-shot hash. */
  digest(alg: HashAlg, data: Uint8Array): Uint8Array;
  /** HMAC (RFC 2104). */
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-Extract (RFC 5869 §2.2). */
  hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array;
  /** HKDF-Expand (RFC 5869 §2.3). */
  hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /**
   * A keyed AEAD. `key` must have {@link AEAD_KEY_LEN}[alg] bytes. Only an `async`
   * provider may return an {@link AsyncAeadCipher}.
   */
  aead(alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher;

  /** Named groups this provider implements. */
  readonly groups: readonly number[];
  /**
   * A fresh ephemeral key share for `group`: what the handshake calls. The pure provider
   * draws {@link keySharePrivateLength} bytes from `random` and calls {@link keyShare}, so a
   * fixed random source reproduces a handshake byte for byte (RFC 8448 replay); a native
   * provider may generate the key itself (then `random` is not used and the private key
   * never leaves it). Throws (or rejects with) `TlsError('InternalError')` for an
   * unsupported group.
   */
  generateKeyShare(group: number, random: RandomSource): MaybePromise<KeyShare>;
  /** Bytes of randomness needed to make a private key for `group` (fed to {@link keyShare}). */
  keySharePrivateLength(group: number): number;
  /**
   * The deterministic path: an ephemeral key share for `group` made from `privateKey`
   * bytes (tests that inject a known key). Synchronous in every provider.
   * Throws `TlsError('InternalError')` for an unsupported group.
   */
  keyShare(group: number, privateKey: Uint8Array): KeyShare;
  /**
   * The server's side of a KEM group (the post-quantum hybrids, draft-ietf-tls-ecdhe-mlkem
   * §3.2): checks the client's key_exchange, encapsulates to it, and returns the server's
   * key_exchange and the shared secret. Required when {@link groups} lists a hybrid group
   * (the server cannot answer one with {@link generateKeyShare}); randomness comes from
   * `random` (an implementation may use its own for the ML-KEM part). Throws (or rejects
   * with) `TlsError('IllegalParameter')` for a client share that fails a check,
   * `TlsError('InternalError')` for a group it does not implement.
   */
  encapsulate?(group: number, peerPublic: Uint8Array, random: RandomSource): MaybePromise<KemEncapsulation>;

  /** Signature schemes this provider can verify. */
  readonly signatureSchemes: readonly number[];
  /** Decodes a DER SubjectPublicKeyInfo. Throws `TlsError('CertificateUnsupported')` for unknown key types. */
  parsePublicKey(spki: Uint8Array): PublicKeyInfo;
  /** Decodes a private key: PEM (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY") or DER PKCS#8. Throws `TlsError('InvalidConfig')`. */
  parsePrivateKey(key: Uint8Array | string): PrivateKeyInfo;
  /**
   * Signature schemes usable with this key, in preference order: for TLS 1.3
   * CertificateVerify by default (RFC 9846 §4.3.3: no PKCS#1, ECDSA bound to its curve);
   * with `'TLSv1.2'` for ServerKeyExchange / TLS 1.2 CertificateVerify (PKCS#1 allowed,
   * ECDSA with any curve).
   */
  schemesForKey(key: PrivateKeyInfo | PublicKeyInfo, version?: 'TLSv1.2' | 'TLSv1.3'): number[];
  /**
   * Signs `message` with `scheme` (RFC 9846 §4.5.2 semantics: the message is hashed by the
   * scheme's hash; ECDSA signatures are DER). RSA-PSS salt and blinding come from `random`.
   * An opaque key (with a {@link Signer}) is signed by its signer.
   */
  sign(key: PrivateKeyInfo, scheme: number, message: Uint8Array, random: RandomSource, opts?: SignatureOptions): MaybePromise<Uint8Array>;
  /**
   * Verifies a signature; returns (or resolves to) false, never throws or rejects, for any
   * mismatch or malformed input.
   */
  verify(key: PublicKeyInfo, scheme: number, message: Uint8Array, signature: Uint8Array, opts?: SignatureOptions): MaybePromise<boolean>;
  /**
   * Verifies an ECDSA signature (DER) over a digest the caller computed, for certificate
   * signatures whose hash is not the one the curve's TLS scheme binds (ecdsa-with-SHA256
   * by a P-384 key, RFC 5758 §3.2). Same contract as {@link verify}. Absent: the verifier
   * reports such certificates as unsupported.
   */
  verifyEcdsaDigest?(key: PublicKeyInfo, digest: Uint8Array, signature: Uint8Array): MaybePromise<boolean>;

  /** Constant-time equality (for MACs and Finished). */
  equal(a: Uint8Array, b: Uint8Array): boolean;
}

/** What the server of a KEM group sends (its key_exchange) and the secret it derives. */
export interface KemEncapsulation {
  readonly publicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/** A key share whose agreement is synchronous (every share of a {@link SyncCryptoProvider}). */
export interface SyncKeyShare extends KeyShare {
  agree(peerPublic: Uint8Array): Uint8Array;
}

/**
 * A provider whose key exchange, verification and AEAD are synchronous (the pure one).
 * Signing may still be async when the key is opaque (its {@link Signer} decides).
 */
export interface SyncCryptoProvider extends CryptoProvider {
  readonly async?: false;
  aead(alg: AeadAlg, key: Uint8Array): AeadCipher;
  generateKeyShare(group: number, random: RandomSource): SyncKeyShare;
  keyShare(group: number, privateKey: Uint8Array): SyncKeyShare;
  encapsulate?(group: number, peerPublic: Uint8Array, random: RandomSource): KemEncapsulation;
  verify(key: PublicKeyInfo, scheme: number, message: Uint8Array, signature: Uint8Array, opts?: SignatureOptions): boolean;
  verifyEcdsaDigest?(key: PublicKeyInfo, digest: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * Applies `f` to `v` at once when `v` is a plain value, after it resolves when it is a
 * promise: a step stays synchronous when the provider answered synchronously.
 */
export function andThen<T, R>(v: MaybePromise<T>, f: (t: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike(v) ? Promise.resolve(v).then(f) : f(v);
}

/** True for a promise or any thenable (a provider from another realm or library). */
export function isPromiseLike<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
