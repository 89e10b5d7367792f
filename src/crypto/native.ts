/**
 * The `native` crypto provider: `node:crypto` (OpenSSL in Node, its equivalents in Deno and
 * Bun), synchronous, the same contract as the pure provider (src/crypto/noble.ts) and
 * checked against it (test/providers/).
 *
 * - Hashes (FIPS 180-4), HMAC (RFC 2104) and HKDF (RFC 5869) on `createHash` /
 *   `createHmac`. HKDF-Extract is one HMAC; HKDF-Expand is the RFC 5869 §2.3 loop on HMAC
 *   (`hkdfSync` always runs Extract first, so it cannot expand a given PRK).
 * - AEADs (RFC 5116): AES-128-GCM, AES-256-GCM (SP 800-38D) and ChaCha20-Poly1305
 *   (RFC 8439) on `createCipheriv` / `createDecipheriv`, 12-byte nonces and 16-byte tags.
 * - Key shares: X25519 (RFC 7748) on `diffieHellman` with KeyObjects; secp256r1 and
 *   secp384r1 on `createECDH`. Private keys are made from caller-supplied bytes exactly as
 *   the pure provider makes them (src/crypto/kx.ts), so an injected key (RFC 8448 replay)
 *   gives the same public value and shared secret with either provider.
 * - Signatures: ECDSA P-256/P-384 (DER), Ed25519, RSASSA-PSS (rsaEncryption and
 *   RSASSA-PSS keys) and RSASSA-PKCS1-v1_5, on `sign` / `verify` with KeyObjects imported
 *   once per key ({@link PrivateKeyInfo} / {@link PublicKeyInfo} → KeyObject, in a WeakMap).
 *   Which scheme fits which key is decided by the same rules as the pure provider
 *   (src/crypto/sig.ts). RSA-PSS salts come from the `random` argument as with the pure
 *   provider (EMSA-PSS here, the RSA operation in OpenSSL), so RSA, Ed25519 and PKCS#1
 *   signatures are reproducible from a fixed random source. ECDSA nonces come from
 *   OpenSSL's generator (node:crypto cannot take a nonce): ECDSA signatures, and so
 *   handshakes signed with ECDSA keys, are not byte-for-byte reproducible with this provider.
 * - Key decoding reuses the pure DER parsers (src/crypto/keys.ts).
 *
 * This is the only module that imports `node:crypto`; it is reached from `puretls/node`
 * and `puretls/native`, never from the runtime-neutral entry (test/api/layering.test.ts).
 *
 * @module
 */
import { ed25519KeyHasSmallOrder } from './ed25519-verify.js';
import { markTrusted } from './guard.js';
import { copyBytes } from '../base/bytes.js';
import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createSecretKey,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  type CipherChaCha20Poly1305,
  type CipherGCM,
  type DecipherGCM,
  type Hash,
  type KeyObject,
} from 'node:crypto';
import * as nodeCrypto from 'node:crypto';
import { Buffer } from 'node:buffer';
import { TlsError } from '../base/errors.js';
import { AEAD_KEY_LEN, HASH_LEN, type AeadAlg, type AeadCipher, type CryptoProvider, type HashAlg, type HashState, type SyncKeyShare as KeyShare, type PrivateKeyInfo, type PublicKeyInfo, type RandomSource, type SyncCryptoProvider } from './provider.js';
import { AEAD_NONCE_LEN, AEAD_TAG_LEN, type JoinedSealAead } from './aead.js';
import { KX_GROUPS, checkUncompressedPoint, keySharePrivateLength, nistPrivateScalar } from './kx.js';
import { nodeMlKem, withHybridGroups, type NodeKemFunctions } from './hybrid.js';
import { parsePrivateKey, parsePublicKey } from './keys.js';
import { ALL_SIGNATURE_SCHEMES, rsaSignatureLengthOk, schemeInfo, schemeMatchesKey, schemesForKey, schemesForKeyTls12, verifyEcdsaDigest, type SignatureOptions } from './sig.js';
import { bigIntToBytes } from './der.js';
import { registerCryptoProvider } from './select.js';

/** A Buffer view of `b` (no copy), for the `node:crypto` signatures that are typed with Buffer. */
function buf(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.length);
}

/** A plain `Uint8Array` copy of a Node `Buffer` (the library hands out no Buffers; STYLE: `Uint8Array` only). */
function own(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** base64url (RFC 4648 §5), for JWK key import (RFC 7517, RFC 7518 §6, RFC 8037 §2). */
const b64u = (b: Uint8Array): string => buf(b).toString('base64url');
/** A JWK integer (RFC 7518 §6.3: big-endian, minimal length). */
const b64uInt = (v: bigint): string => b64u(bigIntToBytes(v, Math.max(1, Math.ceil(v.toString(16).length / 2)))!);

function checkHash(alg: HashAlg): HashAlg {
  if (HASH_LEN[alg] === undefined) throw new TlsError('InternalError', { detail: `unknown hash ${String(alg)}` });
  return alg;
}

// ------------------------------------------------------------------ hashes, HMAC, HKDF

class NativeHashState implements HashState {
  private readonly h: Hash;
  constructor(h: Hash) {
    this.h = h;
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  digest(): Uint8Array {
    return own(this.h.digest());
  }
  clone(): HashState {
    return new NativeHashState(this.h.copy());
  }
}

function hashState(alg: HashAlg): HashState {
  return new NativeHashState(createHash(checkHash(alg)));
}

function digest(alg: HashAlg, data: Uint8Array): Uint8Array {
  return own(createHash(checkHash(alg)).update(data).digest());
}

function hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array {
  return own(createHmac(checkHash(alg), key).update(data).digest());
}

/** HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-Hash(salt, IKM); an empty salt means HashLen zeros. */
function hkdfExtract(alg: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const s = salt.length === 0 ? new Uint8Array(HASH_LEN[checkHash(alg)]) : salt;
  return hmac(alg, s, ikm);
}

/** The block counter of HKDF-Expand's first block (never written). */
const ONE = Uint8Array.of(1);

/** HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC-Hash(PRK, T(i-1) | info | i), L ≤ 255·HashLen. */
function hkdfExpand(alg: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = HASH_LEN[checkHash(alg)];
  if (!Number.isSafeInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new TlsError('InternalError', { detail: `HKDF-Expand: length ${length} is outside 0..${255 * hashLen}` });
  }
  if (length <= hashLen) {
    // One block (every TLS 1.3 key schedule call): T(1) = HMAC-Hash(PRK, info | 0x01).
    const t = createHmac(alg, prk).update(info).update(ONE).digest();
    const out = new Uint8Array(length);
    out.set(t.subarray(0, length));
    return out;
  }
  const out = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let prev: Uint8Array = new Uint8Array(0);
  for (let off = 0, i = 1; off < length; off += hashLen, i++) {
    counter[0] = i;
    prev = createHmac(alg, prk).update(prev).update(info).update(counter).digest();
    out.set(prev.subarray(0, Math.min(hashLen, length - off)), off);
  }
  return out;
}

/** Constant-time equality: `timingSafeEqual` after a length check (only the lengths leak). */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

// ------------------------------------------------------------------ AEAD

const CIPHER_NAME: Readonly<Record<AeadAlg, 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'>> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};

/** The cipher options of every AEAD call (node:crypto only reads them), made once. */
const TAG_OPTIONS = Object.freeze({ authTagLength: AEAD_TAG_LEN });

/** The empty plaintext piece (never written). */
const NO_BYTES = new Uint8Array(0);

/**
 * A buffer of `n` bytes that the caller fills completely: uninitialised memory (no zero
 * fill), in an ArrayBuffer of its own (never Node's shared pool, so nothing else aliases
 * it), handed out as a plain `Uint8Array`.
 */
function fresh(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/**
 * Per cipher: true when this runtime's `createCipheriv` takes a secret KeyObject and encrypts
 * with it exactly as with the raw key bytes (Node does; a runtime whose node:crypto layer does
 * not, for any one cipher, falls back to raw bytes for that cipher). Checked once per cipher,
 * on a fixed key and nonce (a known-answer comparison, not an assumption about the runtime).
 */
const keyObjectsWork = new Map<string, boolean>();

function checkKeyObjects(cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'): boolean {
  try {
    const key = new Uint8Array(cipher === 'aes-128-gcm' ? 16 : 32).fill(0x5a);
    const nonce = new Uint8Array(AEAD_NONCE_LEN).fill(0xa5);
    const block = new Uint8Array(32).fill(0x3c);
    const run = (k: Uint8Array | KeyObject): Uint8Array => {
      const c = createCipheriv(cipher as 'aes-128-gcm', k, nonce, TAG_OPTIONS);
      const body = c.update(block);
      c.final();
      const out = new Uint8Array(body.length + AEAD_TAG_LEN);
      out.set(body, 0);
      out.set(c.getAuthTag(), body.length);
      return out;
    };
    const viaBytes = run(key);
    const viaObject = run(createSecretKey(key));
    return viaBytes.length === 48 && viaObject.length === 48 && timingSafeEqual(viaBytes, viaObject);
  } catch {
    return false;
  }
}

function keyObjectsWorkFor(cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305'): boolean {
  let ok = keyObjectsWork.get(cipher);
  if (ok === undefined) keyObjectsWork.set(cipher, (ok = checkKeyObjects(cipher)));
  return ok;
}

/**
 * An AEAD on node:crypto. Node's API takes the nonce when the cipher object is made, so a
 * record costs one `createCipheriv` / `createDecipheriv`; what is left per record is kept
 * to what that API forces:
 * - the key is a secret KeyObject made once per AEAD (each record's cipher then takes the
 *   native key as it is, instead of validating and copying key bytes);
 * - one `update()` per record: each call crosses into C++ and allocates its output twice
 *   (Node sizes it for a block more, then reallocates and copies), so `sealJoined` stages
 *   `content ‖ trailer` (TLS 1.3: the content type after the data) in the output buffer
 *   and encrypts that in one call rather than two;
 * - `update()` allocates its output, which `open` returns as it is and `seal` / `sealJoined`
 *   copy once into the buffer they return (never zero-filled; the record layer passes
 *   `sealJoined` a reused buffer for large records).
 * `nonce` and `aad` are read during the call only (node:crypto copies them).
 */
class NativeAead implements JoinedSealAead {
  readonly alg: AeadAlg;
  private readonly key: Uint8Array | KeyObject;
  private readonly cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

  constructor(alg: AeadAlg, key: Uint8Array) {
    this.alg = alg;
    this.cipher = CIPHER_NAME[alg];
    // Our own copy either way: the caller may wipe or reuse theirs (createSecretKey copies).
    this.key = keyObjectsWorkFor(this.cipher) ? createSecretKey(key) : copyBytes(key);
  }

  private encryptor(nonce: Uint8Array): CipherGCM | CipherChaCha20Poly1305 {
    // RFC 5116 §5.1/§5.3, RFC 8439 §2.8: 96-bit nonces only (TLS builds them per record).
    if (nonce.length !== AEAD_NONCE_LEN) throw new TlsError('InternalError', { detail: `${this.alg}: nonce must be 12 bytes` });
    // Two calls: the overloads of createCipheriv take one literal type each.
    return this.cipher === 'chacha20-poly1305'
      ? createCipheriv(this.cipher, this.key, nonce, TAG_OPTIONS)
      : createCipheriv(this.cipher, this.key, nonce, TAG_OPTIONS);
  }

  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return this.sealJoined(nonce, aad, NO_BYTES, plaintext, NO_BYTES);
  }

  sealJoined(nonce: Uint8Array, aad: Uint8Array, prefix: Uint8Array, content: Uint8Array, trailer: Uint8Array, into?: Uint8Array): Uint8Array {
    const p = prefix.length;
    const n = content.length + trailer.length;
    if (into !== undefined && into.length !== p + n + AEAD_TAG_LEN) {
      throw new TlsError('InternalError', { detail: `${this.alg}: output of ${into.length} bytes for a ${p + n + AEAD_TAG_LEN}-byte record` });
    }
    const c = this.encryptor(nonce);
    // No plaintextLength: only CCM needs it (none of our AEADs), and it costs an object per
    // record. (The ChaCha20-Poly1305 typings ask for it; node:crypto does not.)
    (c as CipherGCM).setAAD(aad);
    // The caller's buffer (reused across records: no allocation, memory still in cache) or a
    // fresh one (not zero-filled: every byte of it is written below before it is handed out).
    const out = into ?? fresh(p + n + AEAD_TAG_LEN);
    let body: Uint8Array;
    let rest: Uint8Array;
    let tag: Uint8Array;
    try {
      if (trailer.length === 0) {
        body = c.update(content);
      } else {
        // content ‖ trailer staged where the ciphertext goes: one update() instead of two
        // (a second call costs more than this copy). Only this call sees it in plaintext.
        out.set(content, p);
        out.set(trailer, p + content.length);
        body = c.update(out.subarray(p, p + n));
      }
      rest = c.final();
      tag = c.getAuthTag();
      // GCM and ChaCha20-Poly1305 are stream modes: update() returns as many bytes as it is
      // given and final() none. Checked, so that every byte handed out below is written.
      if (body.length + rest.length !== n || tag.length !== AEAD_TAG_LEN) {
        throw new TlsError('InternalError', { detail: `${this.alg}: node:crypto returned ${body.length + rest.length} bytes for ${n}` });
      }
    } catch (e) {
      // No plaintext is left in a record buffer (the record layer's pool holds only ciphertext).
      if (trailer.length > 0) out.fill(0, p, p + n);
      throw e;
    }
    out.set(prefix, 0);
    out.set(body, p);
    if (rest.length > 0) out.set(rest, p + body.length);
    out.set(tag, p + n);
    return out;
  }

  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null {
    if (nonce.length !== AEAD_NONCE_LEN || ciphertextAndTag.length < AEAD_TAG_LEN) return null;
    const n = ciphertextAndTag.length - AEAD_TAG_LEN;
    try {
      const d = this.cipher === 'chacha20-poly1305'
        ? createDecipheriv(this.cipher, this.key, nonce, TAG_OPTIONS)
        : createDecipheriv(this.cipher, this.key, nonce, TAG_OPTIONS);
      d.setAuthTag(ciphertextAndTag.subarray(n));
      (d as DecipherGCM).setAAD(aad);
      const body = d.update(ciphertextAndTag.subarray(0, n));
      // final() throws when the tag does not match: nothing decrypted is returned then.
      const rest = d.final();
      // GCM and ChaCha20-Poly1305 are stream modes: final() adds nothing, and update()'s
      // output is already the plaintext. Returned as a plain Uint8Array view (a Buffer's
      // slice() would not copy) instead of copied into a second 16 KiB buffer per record.
      // Node allocates update()'s output for this call alone (above its pool's 4 KiB
      // threshold; below it, a view of the pool that nothing else is handed), so the view
      // aliases nothing the caller can reach.
      if (rest.length === 0 && body.length === n) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      const out = new Uint8Array(n);
      out.set(body, 0);
      out.set(rest, body.length);
      return out;
    } catch {
      // RFC 5116 §2.2: decryption failure returns FAIL and no plaintext.
      return null;
    }
  }
}

function aead(alg: AeadAlg, key: Uint8Array): AeadCipher {
  const keyLen = AEAD_KEY_LEN[alg];
  if (keyLen === undefined) throw new TlsError('InternalError', { detail: `unknown AEAD ${String(alg)}` });
  if (key.length !== keyLen) throw new TlsError('InternalError', { detail: `${alg}: key must be ${keyLen} bytes` });
  return new NativeAead(alg, key);
}

// ------------------------------------------------------------------ key shares

function illegal(detail: string): never {
  throw new TlsError('IllegalParameter', { detail });
}

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/** DER prefix of an X25519 PKCS#8 private key (RFC 8410 §7), followed by the 32 key bytes. */
const X25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);

/**
 * An X25519 private KeyObject from the 32 scalar bytes. JWK import (RFC 8037 §2) costs a
 * fraction of PKCS#8 DER import in Node (OpenSSL 3's DER decoders are slow: ~8× here); `x`
 * must be a string but Node derives the public value from `d` (src lib/internal/crypto/keys.js),
 * so it is left empty. A runtime that refuses that gets the DER form.
 */
function x25519PrivateKey(d: Uint8Array): KeyObject {
  try {
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64u(d), x: '' }, format: 'jwk' });
  } catch {
    const der = withPrefix(X25519_PKCS8_PREFIX, d);
    try {
      return createPrivateKey({ key: buf(der), format: 'der', type: 'pkcs8' });
    } finally {
      der.fill(0);
    }
  }
}

function withPrefix(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + key.length);
  out.set(prefix, 0);
  out.set(key, prefix.length);
  return out;
}

/** base64url (RFC 4648 §5) without padding, as JWK wants it, back to bytes. */
function fromB64u(s: string): Uint8Array {
  return own(Buffer.from(s, 'base64url'));
}

function x25519Share(privateKey: Uint8Array): KeyShare {
  if (privateKey.length !== 32) throw new TlsError('InternalError', { detail: 'X25519 private key must be 32 bytes' });
  // RFC 7748 §5: OpenSSL clamps the scalar as the pure provider does.
  const sk = x25519PrivateKey(privateKey);
  // The private key's JWK carries the public value (`x`) OpenSSL derived on import: no
  // second KeyObject (createPublicKey) for it.
  const x = sk.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new TlsError('InternalError', { detail: 'X25519: no public value' });
  const publicKey = fromB64u(x);
  if (publicKey.length !== 32) throw new TlsError('InternalError', { detail: 'X25519: bad public value' });
  return {
    group: KX_GROUPS.x25519,
    publicKey,
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: X25519 key_exchange is the 32-byte public value.
      if (peerPublic.length !== 32) illegal('X25519 key share must be 32 bytes');
      let shared: Uint8Array;
      try {
        const pk = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(peerPublic) }, format: 'jwk' });
        shared = own(diffieHellman({ privateKey: sk, publicKey: pk }));
      } catch {
        // OpenSSL refuses a small-order point whose result is all zeros.
        return illegal('X25519 shared secret is all zeros');
      }
      // RFC 7748 §6.1, RFC 9846 §7.4.2: abort on an all-zero shared secret.
      if (isAllZero(shared)) illegal('X25519 shared secret is all zeros');
      return shared;
    },
  };
}

/** Group orders (FIPS 186-5 / SP 800-186 §3.2.1) and OpenSSL curve names of the NIST groups. */
const NIST: Readonly<Record<number, { readonly name: string; readonly size: number; readonly n: bigint }>> = {
  [KX_GROUPS.secp256r1]: { name: 'prime256v1', size: 32, n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n },
  [KX_GROUPS.secp384r1]: {
    name: 'secp384r1',
    size: 48,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

function nistShare(group: number, privateKey: Uint8Array): KeyShare {
  const curve = NIST[group]!;
  const { size, n } = curve;
  const ecdh = createECDH(curve.name);
  ecdh.setPrivateKey(nistPrivateScalar(privateKey, size, n));
  const publicKey = own(ecdh.getPublicKey(null, 'uncompressed'));
  return {
    group,
    publicKey,
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: "peers MUST validate each other's public value Q by ensuring that
      // the point is a valid point on the elliptic curve": OpenSSL's point decoding checks
      // the curve equation.
      checkUncompressedPoint(peerPublic, size);
      let shared: Uint8Array;
      try {
        shared = own(ecdh.computeSecret(peerPublic));
      } catch {
        return illegal('EC key share is not on the curve');
      }
      // RFC 9846 §7.4.2: the shared secret is the x-coordinate only (what ECDH returns).
      return shared;
    },
  };
}

function keyShare(group: number, privateKey: Uint8Array): KeyShare {
  if (group === KX_GROUPS.x25519) return x25519Share(privateKey);
  if (NIST[group] === undefined) throw new TlsError('InternalError', { detail: `unsupported group 0x${group.toString(16)}` });
  return nistShare(group, privateKey);
}

/**
 * Key exchange: the classical groups above and the post-quantum hybrids (src/crypto/hybrid.ts),
 * whose ML-KEM is node:crypto's where the runtime has it (Node ≥ 24.7, OpenSSL 3.5), else pure.
 * `encapsulate` / `decapsulate` are absent from older runtimes (and from @types/node for Node 20),
 * so they are read from the namespace (a named import of a missing export fails to link).
 */
const kx = withHybridGroups(
  {
    groups: [KX_GROUPS.x25519, KX_GROUPS.secp256r1, KX_GROUPS.secp384r1],
    generateKeyShare: (group, random) => keyShare(group, random(keySharePrivateLength(group))),
    privateLength: keySharePrivateLength,
    keyShare,
  },
  nodeMlKem(nodeCrypto as unknown as Partial<NodeKemFunctions>),
);

const NOTHING_DELEGATED: readonly string[] = Object.freeze([]);
const MLKEM_DELEGATED: readonly string[] = Object.freeze(['kem ML-KEM → pure']);

// ------------------------------------------------------------------ signatures


const EC_JWK = { 'ec-p256': { crv: 'P-256', size: 32 }, 'ec-p384': { crv: 'P-384', size: 48 } } as const;

/** KeyObjects imported once per parsed key: a server key is imported on first use, not per handshake. */
const privateKeys = new WeakMap<PrivateKeyInfo, KeyObject>();
const publicKeys = new WeakMap<PublicKeyInfo, KeyObject>();

/** A private KeyObject for `key` (JWK import: no re-encoding of the PKCS#8 the key came from). */
function privateKeyObject(key: PrivateKeyInfo): KeyObject {
  const cached = privateKeys.get(key);
  if (cached) return cached;
  let ko: KeyObject;
  switch (key.type) {
    case 'ec-p256':
    case 'ec-p384': {
      const raw = key.publicKey.raw;
      const { crv, size } = EC_JWK[key.type];
      if (!key.d || !raw) throw new TlsError('InternalError', { detail: 'EC private key missing' });
      const jwk = { kty: 'EC', crv, d: b64u(key.d), x: b64u(raw.subarray(1, 1 + size)), y: b64u(raw.subarray(1 + size)) };
      ko = createPrivateKey({ key: jwk, format: 'jwk' });
      break;
    }
    case 'ed25519': {
      if (!key.d || !key.publicKey.raw) throw new TlsError('InternalError', { detail: 'Ed25519 private key missing' });
      ko = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64u(key.d), x: b64u(key.publicKey.raw) }, format: 'jwk' });
      break;
    }
    case 'rsa':
    case 'rsa-pss': {
      // An RSASSA-PSS key signs as the rsaEncryption key with the same numbers; which schemes
      // it may use is checked before (schemeMatchesKey, RFC 4055 §3.3).
      const r = key.rsa;
      if (!r) throw new TlsError('InternalError', { detail: 'RSA private key missing' });
      const jwk = { kty: 'RSA', n: b64uInt(r.n), e: b64uInt(r.e), d: b64uInt(r.d), p: b64uInt(r.p), q: b64uInt(r.q), dp: b64uInt(r.dp), dq: b64uInt(r.dq), qi: b64uInt(r.qi) };
      ko = createPrivateKey({ key: jwk, format: 'jwk' });
      break;
    }
  }
  privateKeys.set(key, ko);
  return ko;
}

/**
 * Public KeyObjects by SubjectPublicKeyInfo bytes, for keys parsed afresh on every handshake
 * (the certificates a peer sends: the same CA and intermediate keys again and again). Bounded:
 * the oldest entry goes when it is full, so a stream of distinct keys costs no memory growth.
 */
const spkiCache = new Map<string, KeyObject>();
const SPKI_CACHE_MAX = 64;

/** A public KeyObject for `key`, imported as JWK (RSA from its numbers, so RSASSA-PSS parameters are enforced by us alone). */
function publicKeyObject(key: PublicKeyInfo): KeyObject {
  const cached = publicKeys.get(key);
  if (cached) return cached;
  const id = buf(key.spki).toString('latin1');
  const known = spkiCache.get(id);
  if (known) {
    publicKeys.set(key, known);
    return known;
  }
  let ko: KeyObject;
  if (key.type === 'rsa' || key.type === 'rsa-pss') {
    if (key.n === undefined || key.e === undefined) throw new TlsError('InternalError', { detail: 'RSA public key missing' });
    ko = createPublicKey({ key: { kty: 'RSA', n: b64uInt(key.n), e: b64uInt(key.e) }, format: 'jwk' });
  } else if (key.type === 'ed25519') {
    if (!key.raw) throw new TlsError('InternalError', { detail: 'Ed25519 public key missing' });
    ko = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(key.raw) }, format: 'jwk' });
  } else {
    // EC: JWK from the uncompressed point the pure parser checked (DER import is several times slower).
    const raw = key.raw;
    if (!raw) throw new TlsError('InternalError', { detail: 'EC public key missing' });
    const { crv, size } = EC_JWK[key.type];
    ko = createPublicKey({ key: { kty: 'EC', crv, x: b64u(raw.subarray(1, 1 + size)), y: b64u(raw.subarray(1 + size)) }, format: 'jwk' });
  }
  publicKeys.set(key, ko);
  if (spkiCache.size >= SPKI_CACHE_MAX) spkiCache.delete(spkiCache.keys().next().value!);
  spkiCache.set(id, ko);
  return ko;
}

/**
 * Parsed public keys by their complete SubjectPublicKeyInfo bytes: a peer's certificate
 * carries the same key in every handshake, and decoding it checks the EC point on the
 * curve (in JavaScript, ~40 µs). Only keys that parsed are kept (a failure is re-derived);
 * the entry is frozen and, with the KeyObject cached for it, shared. Bounded like
 * {@link spkiCache}.
 */
const parsedKeys = new Map<string, PublicKeyInfo>();

function parsePublicKeyCached(spki: Uint8Array): PublicKeyInfo {
  const id = buf(spki).toString('latin1');
  const known = parsedKeys.get(id);
  if (known) return known;
  const key = Object.freeze(parsePublicKey(spki));
  if (parsedKeys.size >= SPKI_CACHE_MAX) parsedKeys.delete(parsedKeys.keys().next().value!);
  parsedKeys.set(id, key);
  return key;
}

/** The `node:crypto` key options for `kind` (RSA padding and the RFC 9846 §4.3.3 PSS salt = hash length). */
function keyOptions(kind: string, hash: HashAlg): { dsaEncoding?: 'der'; padding?: number; saltLength?: number } {
  switch (kind) {
    case 'ecdsa':
      return { dsaEncoding: 'der' };
    case 'rsa-pss':
      return { padding: RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[hash] };
    case 'rsa-pkcs1':
      return { padding: RSA_PKCS1_PADDING };
    default:
      return {};
  }
}

/** OpenSSL padding modes (`crypto.constants`), named here to keep the imports above minimal. */
const RSA_PKCS1_PADDING = 1;
const RSA_PKCS1_PSS_PADDING = 6;

/** OpenSSL's raw RSA mode (`crypto.constants.RSA_NO_PADDING`). */
const RSA_NO_PADDING = 3;

/** MGF1 (RFC 8017 B.2.1) XORed into `out` in place. */
function mgf1Xor(hash: HashAlg, seed: Uint8Array, out: Uint8Array): void {
  const hLen = HASH_LEN[hash];
  const counter = new Uint8Array(4);
  for (let c = 0, off = 0; off < out.length; c++, off += hLen) {
    counter[0] = c >>> 24;
    counter[1] = (c >>> 16) & 0xff;
    counter[2] = (c >>> 8) & 0xff;
    counter[3] = c & 0xff;
    const t = createHash(hash).update(seed).update(counter).digest();
    const n = Math.min(hLen, out.length - off);
    for (let i = 0; i < n; i++) out[off + i]! ^= t[i]!;
  }
}

/**
 * RSASSA-PSS-SIGN (RFC 8017 §8.1.1) with the salt drawn from `random`, as the pure provider
 * does, so a fixed random source reproduces the signature byte for byte (the RFC 8448 replay
 * checks the server's CertificateVerify that way). EMSA-PSS-ENCODE (§9.1.1) here, RSASP1
 * (§5.2.1) by OpenSSL as a raw private-key operation (blinded, CRT, self-checked).
 */
function pssSign(key: PrivateKeyInfo, ko: KeyObject, hash: HashAlg, message: Uint8Array, random: RandomSource): Uint8Array {
  const n = key.rsa?.n;
  if (n === undefined) throw new TlsError('InternalError', { detail: 'RSA private key missing' });
  const hLen = HASH_LEN[hash];
  const k = Math.ceil(n.toString(2).length / 8);
  const emBits = n.toString(2).length - 1;
  const emLen = Math.ceil(emBits / 8);
  // RFC 9846 §4.3.3: salt length = hash length.
  const salt = random(hLen);
  if (salt.length !== hLen) throw new TlsError('InternalError', { detail: 'random source returned the wrong length' });
  // §9.1.1 step 3: "If emLen < hLen + sLen + 2, output 'encoding error'".
  if (emLen < 2 * hLen + 2) throw new TlsError('InternalError', { detail: 'RSA: modulus too short for PSS' });
  // Steps 2, 5, 6: H = Hash(0x00×8 || Hash(M) || salt).
  const h = createHash(hash).update(new Uint8Array(8)).update(createHash(hash).update(message).digest()).update(salt).digest();
  // Steps 7-10: DB = PS || 0x01 || salt, masked with MGF1(H). EM is left-padded to k octets
  // for the private-key operation (I2OSP of the same integer).
  const em = new Uint8Array(k);
  const off = k - emLen;
  const dbLen = emLen - hLen - 1;
  const db = em.subarray(off, off + dbLen);
  db[dbLen - hLen - 1] = 0x01;
  db.set(salt, dbLen - hLen);
  mgf1Xor(hash, h, db);
  // Step 11: clear the leftmost 8·emLen − emBits bits. Step 12: EM = maskedDB || H || 0xbc.
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  em.set(h, off + dbLen);
  em[k - 1] = 0xbc;
  return own(privateDecrypt({ key: ko, padding: RSA_NO_PADDING }, buf(em)));
}

function sign(key: PrivateKeyInfo, scheme: number, message: Uint8Array, random: RandomSource, opts: SignatureOptions = {}): Uint8Array {
  const info = schemeInfo(scheme);
  if (!info || !schemeMatchesKey(key.publicKey, scheme, opts)) {
    throw new TlsError('InternalError', { detail: `signature scheme 0x${scheme.toString(16)} does not fit a ${key.type} key` });
  }
  const ko = privateKeyObject(key);
  if (info.kind === 'rsa-pss') return pssSign(key, ko, info.hash, message, random);
  // RFC 9846 §4.5.2: the scheme hashes the message itself; Ed25519 takes no separate hash (RFC 8032 §5.1.6).
  return own(nodeSign(info.kind === 'eddsa' ? null : info.hash, message, { key: ko, ...keyOptions(info.kind, info.hash) }));
}

function verify(key: PublicKeyInfo, scheme: number, message: Uint8Array, signature: Uint8Array, opts: SignatureOptions = {}): boolean {
  try {
    const info = schemeInfo(scheme);
    if (!info || !schemeMatchesKey(key, scheme, opts)) return false;
    if (info.kind === 'eddsa' && signature.length !== 64) return false;
    // OpenSSL accepts a small-order Ed25519 key, for which (R = identity, S = 0) verifies any
    // message; every provider refuses it (ed25519-verify.ts).
    if (info.kind === 'eddsa' && ed25519KeyHasSmallOrder(key)) return false;
    // RFC 8017 §8.1.2 / §8.2.2 step 1: "If the length of the signature S is not k octets,
    // output 'invalid signature'" (k: the modulus length in octets). OpenSSL checks it for
    // PKCS#1 v1.5 but accepts a PSS signature with its leading zero octets stripped; the pure
    // provider refuses it, and so do we.
    if (!rsaSignatureLengthOk(key, signature)) return false;
    // RFC 9846 §4.3.3: DER ECDSA-Sig-Value; PSS with MGF1(hash) and salt = hash length.
    return nodeVerify(info.kind === 'eddsa' ? null : info.hash, message, { key: publicKeyObject(key), ...keyOptions(info.kind, info.hash) }, signature);
  } catch {
    return false;
  }
}

/**
 * The `native` provider (`node:crypto`). Groups: X25519MLKEM768, SecP256r1MLKEM768,
 * SecP384r1MLKEM1024, x25519, secp256r1, secp384r1 (preference order, as the pure provider). Signature schemes: the pure provider's
 * ({@link ALL_SIGNATURE_SCHEMES}).
 */
export const nativeProvider: SyncCryptoProvider = markTrusted(Object.freeze({
  name: 'native',
  /** ML-KEM (the hybrid groups) runs in pure code where node:crypto has none (before Node 24.7 / OpenSSL 3.5). */
  get delegated(): readonly string[] {
    return kx.mlKem.impl === 'native' ? NOTHING_DELEGATED : MLKEM_DELEGATED;
  },
  hash: hashState,
  digest,
  hmac,
  hkdfExtract,
  hkdfExpand,
  aead,
  groups: kx.groups,
  generateKeyShare: kx.generateKeyShare,
  keySharePrivateLength: kx.keySharePrivateLength,
  keyShare: kx.keyShare,
  encapsulate: kx.encapsulate,
  signatureSchemes: ALL_SIGNATURE_SCHEMES,
  parsePublicKey: parsePublicKeyCached,
  parsePrivateKey,
  schemesForKey: (key, version) => (version === 'TLSv1.2' ? schemesForKeyTls12(key) : schemesForKey(key)),
  // An opaque key (a signer, no key material) signs itself.
  sign: (key, scheme, message, random, opts) => (key.signer ? key.signer.sign(scheme, message) : sign(key, scheme, message, random, opts)),
  verify,
  verifyEcdsaDigest,
  equal,
} satisfies SyncCryptoProvider));

// `crypto: 'native'` resolves to this provider once this module is loaded (src/crypto/select.ts).
registerCryptoProvider('native', nativeProvider);
