/**
 * Identities from the files people have (issue 10 item 4): PKCS#12 (`.p12` / `.pfx`,
 * RFC 7292), encrypted PKCS#8 (RFC 5958 §3 with PBES2, RFC 8018) and OpenSSL's old encrypted
 * PEM keys. Plain PEM / DER keys (PKCS#8, SEC1, PKCS#1) need none of this and are read by the
 * key parser (src/crypto/keys.ts).
 *
 * This module is an optional part of a configuration ({@link identityFiles}): the full entry
 * (`puretls`, `puretls/node`) always has it; the client-only entry (`puretls/client`) has it
 * only when the caller passes its module, so a client that never loads a `.p12` does not carry
 * the PKCS#12 code, PBKDF2, scrypt or RC2.
 *
 * Failures have statuses of their own (src/base/errors.ts): `WrongPassphrase`,
 * `IdentityCorrupt`, `IdentityAlgorithmUnavailable` (the detail names the algorithm) and
 * `IdentityWorkLimit`. No error says anything about the key or the passphrase.
 *
 * @module
 */
import type { IdentityFiles } from '../config/identity.js';
import type { KeyInput, KeyWithPassphrase, PfxInput, PfxWithPassphrase } from '../config/config.js';
import type { PrivateKeyInput } from '../crypto/signer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';
import { base64Decode, bytesToText, isPem } from '../crypto/pem.js';
import { decodePkcs12, type Pkcs12Identity } from './pkcs12.js';
import { openPrivateKey } from './pkcs8.js';
import { KdfBudget } from './primitives.js';

export { decodePkcs12, MAX_PKCS12_SIZE } from './pkcs12.js';
export type { Pkcs12Contents, Pkcs12Identity } from './pkcs12.js';
export { MAX_KDF_ITERATIONS, MAX_KDF_WORK, SCRYPT_LIMITS } from './primitives.js';

/**
 * The bytes of a `pfx` option value: bytes as given, or a string holding the base64 of the
 * DER file (whitespace allowed), the form a `.p12` takes in environment variables and
 * secret stores. (Node turns a string into its UTF-8 bytes, which cannot hold a binary DER
 * file; base64 is the useful reading.)
 *
 * @throws TlsError('IdentityCorrupt') for a string that is not base64
 */
export function pfxBytes(pfx: string | Uint8Array): Uint8Array {
  // A PEM file given where a PKCS#12 belongs (a `.p12` that is really `openssl pkcs12 -nodes`
  // output, or a certificate) would fail as bad base64 or bad BER: say what it is instead.
  const head = typeof pfx === 'string' ? pfx.slice(0, 4096) : pfx.length > 0 && pfx[0] !== 0x30 ? bytesToText(pfx.subarray(0, 4096)) : '';
  if (isPem(head)) {
    throw new TlsError('IdentityCorrupt', { detail: 'PEM text, not a PKCS#12 file (DER, or its base64): give PEM certificates and keys as cert and key' });
  }
  if (typeof pfx !== 'string') return pfx;
  return base64Decode(pfx.trim(), 'IdentityCorrupt');
}

/**
 * A passphrase option: a string or absent. (Node refuses other types too; a number or a
 * Buffer read as text would open nothing and look like a wrong passphrase.)
 * @throws TlsError('InvalidConfig') for any other value, naming `where`
 */
function passphraseOf(p: unknown, where: string): string | undefined {
  if (p === undefined || typeof p === 'string') return p;
  throw new TlsError('InvalidConfig', { detail: `${where}: the passphrase must be a string` });
}

/**
 * Decrypts a private key if it is encrypted (PEM `ENCRYPTED PRIVATE KEY`, DER
 * EncryptedPrivateKeyInfo, or PEM with `Proc-Type: 4,ENCRYPTED`), to DER; returns any other
 * key unchanged.
 *
 * @param key - PEM text or DER bytes
 * @param passphrase - the passphrase (needed only if the key is encrypted)
 * @param crypto - the configured provider: the native one adds DES-EDE3 and a faster PBKDF2
 * @throws TlsError('WrongPassphrase' | 'IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit')
 * @example
 * ```ts
 * const der = decryptPrivateKey(fs.readFileSync('key.pem', 'utf8'), 'secret', nobleProvider);
 * ```
 */
export function decryptPrivateKey(key: string | Uint8Array, passphrase: string | undefined, crypto: CryptoProvider): string | Uint8Array {
  return openPrivateKey(key, passphrase, { crypto, budget: new KdfBudget() });
}

function isPfxWithPassphrase(p: unknown): p is PfxWithPassphrase {
  if (typeof p !== 'object' || p === null || !('buf' in p)) return false;
  const buf = (p as { buf: unknown }).buf;
  return typeof buf === 'string' || buf instanceof Uint8Array;
}

/**
 * The identities of Node's `pfx` option, in order: each file (bytes, base64 text, or
 * `{ buf, passphrase }`) opened with its passphrase, else `passphrase`.
 *
 * @throws TlsError('InvalidConfig') for a value of the wrong shape or a file holding no identity;
 *   the identity statuses for a file that cannot be opened
 */
export function openPfxOption(pfx: PfxInput, passphrase: string | undefined, crypto: CryptoProvider): Pkcs12Identity[] {
  const list: readonly unknown[] = Array.isArray(pfx) ? pfx : [pfx];
  if (list.length === 0) throw new TlsError('InvalidConfig', { detail: 'pfx: an empty list' });
  passphraseOf(passphrase, 'pfx');
  const out: Pkcs12Identity[] = [];
  list.forEach((item, i) => {
    const where = Array.isArray(pfx) ? `pfx[${i}]` : 'pfx';
    let buf: string | Uint8Array;
    let pass = passphrase;
    if (typeof item === 'string' || item instanceof Uint8Array) buf = item;
    else if (isPfxWithPassphrase(item)) {
      buf = item.buf;
      pass = passphraseOf(item.passphrase, where) ?? passphrase;
    } else throw new TlsError('InvalidConfig', { detail: `${where}: expected DER bytes, base64 text or { buf, passphrase }` });
    const contents = decodePkcs12(pfxBytes(buf), pass, crypto);
    if (contents.identities.length === 0) {
      throw new TlsError('InvalidConfig', {
        detail: `${where}: ${contents.certificates.length === 0 ? 'the file holds no certificate and key' : 'the file holds no private key with its certificate'}`,
      });
    }
    out.push(...contents.identities);
  });
  return out;
}

/** The identity-file part of a configuration (see {@link IdentityFiles}). */
export const identityFiles: IdentityFiles = /* @__PURE__ */ Object.freeze({ openKey: openKeyOption, openPfx: openPfxOption });

function isKeyWithPassphrase(k: unknown): k is KeyWithPassphrase {
  if (typeof k !== 'object' || k === null || !('pem' in k)) return false;
  const pem = (k as { pem: unknown }).pem;
  return typeof pem === 'string' || pem instanceof Uint8Array;
}

/**
 * A `key` option in Node's forms (`{ pem, passphrase }`, an array of exactly one key) or as
 * PEM / DER, decrypted if it is encrypted.
 *
 * @throws TlsError('InvalidConfig') for an array of several keys or none, or a value of the wrong shape
 * @throws TlsError('WrongPassphrase' | 'IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit')
 */
export function openKeyOption(key: string | Uint8Array | Exclude<KeyInput, PrivateKeyInput>, passphrase: string | undefined, crypto: CryptoProvider): string | Uint8Array {
  let k: unknown = key;
  if (Array.isArray(k)) {
    if (k.length !== 1) {
      throw new TlsError('InvalidConfig', { detail: `key: ${k.length === 0 ? 'an empty list' : 'several keys'}: give one key per identity (certificates, or several pfx files, for several identities)` });
    }
    k = k[0];
  }
  let pass = passphraseOf(passphrase, 'key');
  if (isKeyWithPassphrase(k)) {
    pass = passphraseOf(k.passphrase, 'key') ?? passphrase;
    k = k.pem;
  }
  if (typeof k !== 'string' && !(k instanceof Uint8Array)) throw new TlsError('InvalidConfig', { detail: 'key: expected PEM text, DER bytes or { pem, passphrase }' });
  return decryptPrivateKey(k, pass, crypto);
}
