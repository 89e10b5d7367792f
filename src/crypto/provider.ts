/**
 * The crypto provider interface: everything the record layer and the handshake need
 * from cryptography, behind one object so that implementations can be swapped
 * (pure noble-based by default; a native one later) and checked against each other.
 *
 * Everything here is synchronous except signing, which may be async (remote or
 * WebCrypto signers). Transcript hashing and HKDF stay synchronous by design
 * (DESIGN.md §7: WebCrypto costs 40-140 µs per call).
 *
 * @module
 */

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
  /** Returns ciphertext ‖ tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null if authentication fails. Never throws on bad input. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
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
   * (RFC 9846 §7.4.2, §4.2.8.2; RFC 7748 §6.1).
   */
  agree(peerPublic: Uint8Array): Uint8Array;
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

/** A private key usable for signing handshake messages. */
export interface PrivateKeyInfo {
  readonly type: KeyType;
  /** EC scalar (big-endian, curve-sized) or Ed25519 32-byte seed. Absent for RSA. */
  readonly d?: Uint8Array;
  /** RSA components. */
  readonly rsa?: RsaPrivateComponents;
  /** The matching public key. */
  readonly publicKey: PublicKeyInfo;
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
  /** Provider name, for logs and benchmarks (e.g. `'noble'`). */
  readonly name: string;

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

  /** A keyed AEAD. `key` must have {@link AEAD_KEY_LEN}[alg] bytes. */
  aead(alg: AeadAlg, key: Uint8Array): AeadCipher;

  /** Named groups this provider implements. */
  readonly groups: readonly number[];
  /** Bytes of randomness needed to make a private key for `group` (fed to {@link keyShare}). */
  keySharePrivateLength(group: number): number;
  /**
   * An ephemeral key share for `group` made from `privateKey` bytes (drawn from the
   * config's random source, or injected by tests such as the RFC 8448 replay).
   * Throws `TlsError('InternalError')` for an unsupported group.
   */
  keyShare(group: number, privateKey: Uint8Array): KeyShare;

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
   */
  sign(key: PrivateKeyInfo, scheme: number, message: Uint8Array, random: RandomSource, opts?: SignatureOptions): Uint8Array | Promise<Uint8Array>;
  /** Verifies a signature; returns false (never throws) for any mismatch or malformed input. */
  verify(key: PublicKeyInfo, scheme: number, message: Uint8Array, signature: Uint8Array, opts?: SignatureOptions): boolean;

  /** Constant-time equality (for MACs and Finished). */
  equal(a: Uint8Array, b: Uint8Array): boolean;
}
