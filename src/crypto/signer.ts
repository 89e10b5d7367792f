/**
 * Private keys as the configuration takes them, and opaque keys that sign without showing
 * their bytes (the handshake never needs a key's bytes).
 *
 * A `key` option may be:
 * - PEM or DER bytes (PKCS#8, SEC1, PKCS#1): parsed by the provider, as before;
 * - a {@link Signer}: any object with `sign(scheme, data)` returning the signature or a
 *   promise of it — a hardware token, a remote KMS, a test double;
 * - a WebCrypto `CryptoKey` (private, usage `sign`; extractable or not): signs with
 *   `crypto.subtle.sign` (RFC 9846 §4.3.3 schemes mapped to WebCrypto algorithms, ECDSA's
 *   IEEE P1363 output re-encoded as DER, RFC 3279 §2.2.3);
 * - a `node:crypto` `KeyObject` (private): signs with `crypto.sign` from the runtime's
 *   `node:crypto` (Node, Deno, Bun), found through `process.getBuiltinModule` so this
 *   module imports no `node:` module and stays in the runtime-neutral bundle.
 *
 * An opaque key's public key is the certificate's: the leaf's SubjectPublicKeyInfo decides
 * the key type and so the schemes (RFC 9846 §4.3.3). A KeyObject is checked against the
 * leaf (its public half is derivable); a CryptoKey's algorithm and curve must fit the leaf's
 * key type; a custom signer cannot be checked in advance. Every opaque key's signature is
 * verified under the leaf's key before it is sent (src/handshake/signatures.ts): a wrong key,
 * a faulty or garbage signature fails our handshake with InternalError and is never sent.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { SignatureScheme } from '../wire/codes.js';
import type { CryptoProvider, HashAlg, KeyType, MaybePromise, PrivateKeyInfo, PublicKeyInfo, Signer } from './provider.js';
import { HASH_LEN } from './provider.js';
import { schemeInfo } from './sig.js';
import { DerReader, DerTag, bytesToBigInt, derSequence, derUnsignedInteger } from './der.js';

// WebCrypto's types, declared empty so that puretls' .d.ts files type-check without the DOM lib
// (Node consumers have neither); with the DOM lib they merge with its full declarations.
declare global {
  interface CryptoKey {}
}

export type { Signer } from './provider.js';

/**
 * The fields of a `node:crypto` KeyObject this module uses (structural, so the
 * runtime-neutral build needs no Node types at run time).
 */
export interface KeyObjectLike {
  readonly type: 'secret' | 'public' | 'private';
  readonly asymmetricKeyType?: string;
  export(options: { type: 'spki'; format: 'der' } | { type: 'pkcs8'; format: 'der' }): Uint8Array;
}

/** What a `key` option may be (see the module description). */
export type PrivateKeyInput = string | Uint8Array | Signer | CryptoKey | KeyObjectLike;

/** True for a WebCrypto CryptoKey (checked by shape: keys from another realm count too). */
export function isCryptoKey(k: unknown): k is CryptoKey {
  if (typeof CryptoKey !== 'undefined' && k instanceof CryptoKey) return true;
  if (typeof k !== 'object' || k === null) return false;
  const o = k as Record<string, unknown>;
  return typeof o.algorithm === 'object' && o.algorithm !== null && Array.isArray(o.usages) && typeof o.extractable === 'boolean' && typeof o.type === 'string';
}

/** True for a `node:crypto` KeyObject (by shape). */
export function isKeyObject(k: unknown): k is KeyObjectLike {
  if (typeof k !== 'object' || k === null) return false;
  const o = k as Record<string, unknown>;
  return typeof o.export === 'function' && typeof o.type === 'string' && 'asymmetricKeyType' in o && typeof o.equals === 'function';
}

/** True for a custom {@link Signer} (an object with a `sign` method that is not a CryptoKey or KeyObject). */
export function isSigner(k: unknown): k is Signer {
  return typeof k === 'object' && k !== null && typeof (k as { sign?: unknown }).sign === 'function' && !isCryptoKey(k) && !isKeyObject(k);
}

/** True if `k` is an opaque key (not bytes to parse). */
export function isOpaqueKey(k: PrivateKeyInput): k is Signer | CryptoKey | KeyObjectLike {
  return typeof k !== 'string' && !(k instanceof Uint8Array);
}

/**
 * Loads a private key for the certificate whose leaf key is `leafKey`. Bytes are parsed by
 * `crypto`; opaque keys become a {@link PrivateKeyInfo} with a signer and the leaf's public key.
 *
 * @throws TlsError('InvalidConfig') for unreadable bytes, a public key where a private one is
 *   needed, a CryptoKey that cannot sign or does not fit the leaf's key type, or a KeyObject
 *   that is not the leaf's key.
 */
export function loadPrivateKey(key: PrivateKeyInput, crypto: CryptoProvider, leafKey: PublicKeyInfo): PrivateKeyInfo {
  if (typeof key === 'string' || key instanceof Uint8Array) return crypto.parsePrivateKey(key);
  let signer: Signer;
  if (isCryptoKey(key)) signer = cryptoKeySigner(key, leafKey.type);
  else if (isKeyObject(key)) signer = keyObjectSigner(key, crypto, leafKey);
  else if (isSigner(key)) signer = customSigner(key, crypto, leafKey);
  else throw new TlsError('InvalidConfig', { detail: 'key must be PEM or DER bytes, a CryptoKey, a KeyObject or an object with sign(scheme, data)' });
  return Object.freeze({ type: leafKey.type, publicKey: leafKey, signer });
}

/**
 * A caller's {@link Signer}, its `schemes` checked once and kept as a frozen copy (a later
 * change to the caller's array changes nothing): an array of code points (RFC 9846 §4.3.3),
 * at least one of which fits the certificate's key; `sign` is called on the caller's object.
 *
 * @throws TlsError('InvalidConfig') for `schemes` that is not an array of integers 0..65535,
 *   or none of which the certificate's key can make (such an identity could never sign).
 */
function customSigner(key: Signer, crypto: CryptoProvider, leafKey: PublicKeyInfo): Signer {
  const given: unknown = key.schemes;
  let schemes: readonly number[] | undefined;
  if (given !== undefined) {
    if (!Array.isArray(given) || !given.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff)) {
      throw new TlsError('InvalidConfig', { detail: 'key.schemes must be an array of signature scheme code points (integers 0..65535)' });
    }
    schemes = Object.freeze([...(given as number[])]);
    const fitting = new Set([...crypto.schemesForKey(leafKey, 'TLSv1.2'), ...crypto.schemesForKey(leafKey, 'TLSv1.3')]);
    if (!schemes.some((x) => fitting.has(x))) {
      throw new TlsError('InvalidConfig', { detail: `none of the signer's schemes fits the certificate's ${leafKey.type} key` });
    }
  }
  const label: unknown = key.label;
  return Object.freeze({
    ...(schemes !== undefined ? { schemes } : {}),
    ...(typeof label === 'string' ? { label } : {}),
    sign: (scheme: number, data: Uint8Array) => key.sign(scheme, data),
  });
}

// ------------------------------------------------------------------ WebCrypto CryptoKey

const WEBCRYPTO_HASH: Readonly<Record<HashAlg, string>> = { sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
const S = SignatureScheme;

/** The hash a WebCrypto algorithm fixed at import (RSA keys carry one). */
function importedHash(alg: KeyAlgorithm): HashAlg | undefined {
  const h = (alg as RsaHashedKeyAlgorithm).hash;
  const name = typeof h === 'string' ? h : h?.name;
  return name === 'SHA-256' ? 'sha256' : name === 'SHA-384' ? 'sha384' : name === 'SHA-512' ? 'sha512' : undefined;
}

/**
 * A signer over a WebCrypto private key. Its schemes follow what the key was imported for:
 * ECDSA signs any SHA-2 hash (TLS 1.3 binds the curve's own, TLS 1.2 allows any: RFC 5246
 * §7.4.1.4.1), RSA-PSS and RSASSA-PKCS1-v1_5 keys sign with the hash they were imported
 * with, Ed25519 signs ed25519.
 *
 * @throws TlsError('InvalidConfig') if the key is not a private signing key or does not fit `type`.
 */
export function cryptoKeySigner(key: CryptoKey, type: KeyType): Signer {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new TlsError('InvalidConfig', { detail: 'a CryptoKey was given, but this runtime has no crypto.subtle' });
  if (key.type !== 'private' || !key.usages.includes('sign')) {
    throw new TlsError('InvalidConfig', { detail: `the CryptoKey must be a private key with usage 'sign' (it is a ${key.type} key for ${key.usages.join(', ') || 'nothing'})` });
  }
  const alg = key.algorithm;
  const misfit = (): never => {
    throw new TlsError('InvalidConfig', { detail: `a ${alg.name} CryptoKey does not fit the certificate's ${type} key` });
  };
  let schemes: number[];
  switch (alg.name) {
    case 'ECDSA': {
      const curve = (alg as EcKeyAlgorithm).namedCurve;
      if (!((type === 'ec-p256' && curve === 'P-256') || (type === 'ec-p384' && curve === 'P-384'))) misfit();
      schemes = [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384];
      break;
    }
    case 'Ed25519':
      if (type !== 'ed25519') misfit();
      schemes = [S.ed25519];
      break;
    case 'RSA-PSS': {
      if (type !== 'rsa' && type !== 'rsa-pss') misfit();
      const h = importedHash(alg) ?? misfit();
      const byHash = { sha256: [S.rsa_pss_rsae_sha256, S.rsa_pss_pss_sha256], sha384: [S.rsa_pss_rsae_sha384, S.rsa_pss_pss_sha384], sha512: [S.rsa_pss_rsae_sha512, S.rsa_pss_pss_sha512] };
      schemes = byHash[h];
      break;
    }
    case 'RSASSA-PKCS1-v1_5': {
      if (type !== 'rsa') misfit();
      const h = importedHash(alg) ?? misfit();
      schemes = [{ sha256: S.rsa_pkcs1_sha256, sha384: S.rsa_pkcs1_sha384, sha512: S.rsa_pkcs1_sha512 }[h]];
      break;
    }
    default:
      throw new TlsError('InvalidConfig', { detail: `CryptoKey algorithm ${alg.name} cannot sign TLS handshakes` });
  }
  return Object.freeze({
    schemes: Object.freeze(schemes),
    label: `CryptoKey ${alg.name}`,
    async sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
      const info = schemeInfo(scheme);
      if (!info || !schemes.includes(scheme)) throw new TlsError('InternalError', { detail: `this CryptoKey cannot sign scheme 0x${scheme.toString(16)}` });
      const hash = WEBCRYPTO_HASH[info.hash];
      switch (info.kind) {
        case 'ecdsa': {
          const raw = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash }, key, bufferSource(data)));
          return ecdsaRawToDer(raw);
        }
        case 'eddsa':
          return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, key, bufferSource(data)));
        case 'rsa-pss':
          // RFC 9846 §4.3.3: the salt is as long as the digest.
          return new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength: HASH_LEN[info.hash] }, key, bufferSource(data)));
        case 'rsa-pkcs1':
          return new Uint8Array(await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, bufferSource(data)));
      }
    },
  });
}

/**
 * `b` as WebCrypto's BufferSource. WebCrypto copies its inputs before it returns the promise
 * (WebCrypto §14.3: "get a copy of the bytes held by the data parameter"), so a view of
 * any buffer works; only the TypeScript DOM types ask for an ArrayBuffer-backed one.
 */
export function bufferSource(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

/** IEEE P1363 r ‖ s (WebCrypto's ECDSA output) → DER ECDSA-Sig-Value (RFC 3279 §2.2.3). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new TlsError('InternalError', { detail: 'malformed ECDSA signature from WebCrypto' });
  const n = raw.length / 2;
  return derSequence(derUnsignedInteger(bytesToBigInt(raw.subarray(0, n))), derUnsignedInteger(bytesToBigInt(raw.subarray(n))));
}

/**
 * DER ECDSA-Sig-Value → IEEE P1363 r ‖ s of `size` bytes each (what WebCrypto verifies).
 * Returns null for anything malformed or out of range.
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | null {
  try {
    const r = new DerReader(der, 'DecryptError', 'ECDSA-Sig-Value');
    const seq = r.sequence();
    r.end();
    const out = new Uint8Array(2 * size);
    for (let i = 0; i < 2; i++) {
      const v = seq.expect(DerTag.INTEGER, 'INTEGER').value;
      // DER INTEGER: minimal, positive (a leading 0x00 only before a high bit).
      if (v.length === 0 || (v[0]! & 0x80) !== 0 || (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0)) return null;
      const digits = v[0] === 0 ? v.subarray(1) : v;
      if (digits.length > size) return null;
      out.set(digits, (i + 1) * size - digits.length);
    }
    seq.end();
    return out;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ node:crypto KeyObject

/** The parts of `node:crypto` a KeyObject signer uses. */
interface NodeCryptoSign {
  sign(algorithm: string | null, data: Uint8Array, key: KeyObjectLike | { key: KeyObjectLike; padding?: number; saltLength?: number; dsaEncoding?: 'der' }): Uint8Array;
  createPublicKey(key: KeyObjectLike): KeyObjectLike;
  readonly constants: { readonly RSA_PKCS1_PSS_PADDING: number };
}

/** `node:crypto` of this runtime, without importing it (Node ≥ 20.16, Deno, Bun), or null. */
function nodeCrypto(): NodeCryptoSign | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const m = typeof p?.getBuiltinModule === 'function' ? p.getBuiltinModule('node:crypto') : undefined;
  return m && typeof (m as NodeCryptoSign).sign === 'function' ? (m as NodeCryptoSign) : null;
}

const NODE_HASH: Readonly<Record<HashAlg, string>> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/**
 * A signer over a `node:crypto` private KeyObject, checked against the leaf key.
 *
 * @throws TlsError('InvalidConfig') if the runtime has no `node:crypto`, the KeyObject is not
 *   a private key, or its public half is not the leaf's key.
 */
export function keyObjectSigner(key: KeyObjectLike, crypto: CryptoProvider, leafKey: PublicKeyInfo): Signer {
  const nc = nodeCrypto();
  if (!nc) throw new TlsError('InvalidConfig', { detail: 'a KeyObject was given, but this runtime has no node:crypto (process.getBuiltinModule)' });
  if (key.type !== 'private') throw new TlsError('InvalidConfig', { detail: `the KeyObject is a ${key.type} key; a private key is needed` });
  let pub: PublicKeyInfo;
  try {
    pub = crypto.parsePublicKey(new Uint8Array(nc.createPublicKey(key).export({ type: 'spki', format: 'der' })));
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `the KeyObject's public key cannot be used: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
  if (!samePublicKey(pub, leafKey, crypto)) throw new TlsError('InvalidConfig', { detail: 'the private key does not match the leaf certificate' });
  return Object.freeze({
    label: `KeyObject ${key.asymmetricKeyType ?? ''}`.trim(),
    sign(scheme: number, data: Uint8Array): MaybePromise<Uint8Array> {
      const info = schemeInfo(scheme);
      if (!info) throw new TlsError('InternalError', { detail: `unknown signature scheme 0x${scheme.toString(16)}` });
      switch (info.kind) {
        case 'ecdsa':
          return new Uint8Array(nc.sign(NODE_HASH[info.hash], data, { key, dsaEncoding: 'der' }));
        case 'eddsa':
          return new Uint8Array(nc.sign(null, data, key));
        case 'rsa-pss':
          return new Uint8Array(nc.sign(NODE_HASH[info.hash], data, { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[info.hash] }));
        case 'rsa-pkcs1':
          return new Uint8Array(nc.sign(NODE_HASH[info.hash], data, key));
      }
    },
  });
}

/** Same public key (RSA and RSASSA-PSS keys with the same numbers count as the same). */
export function samePublicKey(a: PublicKeyInfo, b: PublicKeyInfo, crypto: Pick<CryptoProvider, 'equal'>): boolean {
  if (a.type !== b.type && !(a.type.startsWith('rsa') && b.type.startsWith('rsa'))) return false;
  if (a.raw && b.raw) return crypto.equal(a.raw, b.raw);
  if (a.n !== undefined && b.n !== undefined) return a.n === b.n && a.e === b.e;
  return crypto.equal(a.spki, b.spki);
}
