/**
 * Encrypted private keys: PKCS#8 `EncryptedPrivateKeyInfo` (RFC 5958 §3, PEM label
 * `ENCRYPTED PRIVATE KEY` per RFC 7468 §11, or DER) under PBES2 or a PKCS#12 PBE scheme
 * (src/identity/pbe.ts), and OpenSSL's old PEM encryption (`Proc-Type: 4,ENCRYPTED` and
 * `DEK-Info: <cipher>,<hex IV>` headers, RFC 1421 §4.6.1, key from `EVP_BytesToKey` with MD5)
 * around PKCS#1, SEC1 or PKCS#8 keys, as `openssl rsa -aes256` / `openssl ec -aes256` write it.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { DerTag } from '../crypto/der.js';
import { bytesToText, isPem, pemDecodeWithHeaders } from '../crypto/pem.js';
import { type Password, type PbeContext, identityReader, pbeDecrypt } from './pbe.js';
import { type IdentityCipher, cbcDecryptPadded, cipherBlockLength, cipherKeyLength, bmpPassword, evpBytesToKey, utf8Password } from './primitives.js';

/** PEM labels of private keys (RFC 7468 §10-§11, and OpenSSL's PKCS#1 / SEC1 labels). */
const KEY_LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'];

/** `DEK-Info` cipher names OpenSSL writes, and what they are. */
const DEK_CIPHERS: Readonly<Record<string, IdentityCipher>> = {
  'AES-128-CBC': { name: 'aes-128-cbc' },
  'AES-192-CBC': { name: 'aes-192-cbc' },
  'AES-256-CBC': { name: 'aes-256-cbc' },
  'DES-EDE3-CBC': { name: 'des-ede3-cbc' },
};

/** The two passphrase encodings for a key outside a PKCS#12 file. */
export function passwordOf(passphrase: string | undefined): Password {
  return { utf8: utf8Password(passphrase), bmp: bmpPassword(passphrase) };
}

/** True if `der` looks like EncryptedPrivateKeyInfo: SEQUENCE { SEQUENCE (AlgorithmIdentifier), OCTET STRING }. */
function isEncryptedPkcs8Der(der: Uint8Array): boolean {
  try {
    const r = identityReader(der, 'EncryptedPrivateKeyInfo').sequence();
    return r.peekTag() === DerTag.SEQUENCE;
  } catch {
    return false;
  }
}

/**
 * Decrypts an `EncryptedPrivateKeyInfo` (RFC 5958 §3) to the DER `PrivateKeyInfo` inside.
 *
 * @throws TlsError('WrongPassphrase' | 'IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit')
 */
export function decryptPkcs8(der: Uint8Array, password: Password, cx: PbeContext, what = 'encrypted private key'): Uint8Array {
  // EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING }
  const top = identityReader(der, what);
  const seq = top.sequence();
  top.end();
  const alg = seq.sequence();
  const data = seq.octetString();
  seq.end();
  const plain = pbeDecrypt(alg, data, password, cx, what);
  return checkDecryptedKey(plain, what);
}

/**
 * Padding that happens to be right under a wrong key (about 1 in 256 for an 8- or 16-byte
 * block) leaves bytes that are not one DER SEQUENCE: that is a wrong passphrase too.
 */
function checkDecryptedKey(plain: Uint8Array, what: string): Uint8Array {
  try {
    const r = identityReader(plain, what);
    r.sequence();
    r.end();
  } catch {
    plain.fill(0);
    throw new TlsError('WrongPassphrase', { detail: `${what}: decryption failed (wrong passphrase, or the file was altered)` });
  }
  return plain;
}

/**
 * A private key with any encryption removed: an encrypted PKCS#8 (PEM or DER) or an old
 * OpenSSL encrypted PEM is decrypted with `passphrase` to DER; anything else (a plain key in
 * any format) is returned unchanged for the key parser, which reports its own errors.
 *
 * @throws TlsError('WrongPassphrase') for a wrong or missing passphrase
 * @throws TlsError('IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit')
 */
export function openPrivateKey(key: string | Uint8Array, passphrase: string | undefined, cx: PbeContext): string | Uint8Array {
  if (typeof key !== 'string' && key.length > 0 && key[0] === DerTag.SEQUENCE && isEncryptedPkcs8Der(key)) {
    return decryptPkcs8(key, requirePassphrase(passphrase), cx);
  }
  const text = typeof key === 'string' ? key : bytesToText(key);
  if (!isPem(text) || (!text.includes('ENCRYPTED') && !text.includes('Proc-Type'))) return key;
  const block = pemDecodeWithHeaders(text, 'IdentityCorrupt').find((b) => KEY_LABELS.includes(b.label));
  if (!block) return key;
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    if (block.headers.length > 0) throw new TlsError('IdentityCorrupt', { detail: 'ENCRYPTED PRIVATE KEY block with RFC 1421 headers' });
    return decryptPkcs8(block.der, requirePassphrase(passphrase), cx);
  }
  if (block.headers.length === 0) return key;
  return decryptLegacyPem(block.headers, block.der, requirePassphrase(passphrase), cx, block.label);
}

function requirePassphrase(passphrase: string | undefined): Password {
  if (passphrase === undefined) throw new TlsError('WrongPassphrase', { detail: 'the private key is encrypted and no passphrase was given' });
  return passwordOf(passphrase);
}

/** OpenSSL's `PEM_do_header`: `Proc-Type: 4,ENCRYPTED` then `DEK-Info: <cipher>,<hex IV>`. */
function decryptLegacyPem(headers: readonly (readonly [string, string])[], der: Uint8Array, password: Password, cx: PbeContext, label: string): Uint8Array {
  const what = `encrypted "${label}" PEM`;
  const get = (name: string): string | undefined => headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
  const procType = get('Proc-Type');
  if (procType === undefined || procType.replace(/\s/g, '') !== '4,ENCRYPTED') {
    throw new TlsError('IdentityCorrupt', { detail: `${what}: expected "Proc-Type: 4,ENCRYPTED"` });
  }
  const dek = get('DEK-Info');
  const m = dek === undefined ? null : /^([A-Za-z0-9-]+)\s*,\s*([0-9A-Fa-f]+)$/.exec(dek);
  if (!m) throw new TlsError('IdentityCorrupt', { detail: `${what}: malformed DEK-Info header` });
  const name = m[1]!.toUpperCase();
  const cipher = DEK_CIPHERS[name];
  if (!cipher) throw new TlsError('IdentityAlgorithmUnavailable', { detail: `${what}: cipher ${name} is not supported` });
  const hex = m[2]!;
  if (hex.length !== 2 * cipherBlockLength(cipher)) throw new TlsError('IdentityCorrupt', { detail: `${what}: DEK-Info IV has the wrong length` });
  const iv = new Uint8Array(hex.length / 2);
  for (let i = 0; i < iv.length; i++) iv[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  // OpenSSL: EVP_BytesToKey(cipher, MD5, salt = IV[0..8), password, count = 1).
  const key = evpBytesToKey(password.utf8, iv.subarray(0, 8), cipherKeyLength(cipher));
  try {
    return checkDecryptedKey(cbcDecryptPadded(cx.crypto, cipher, key, iv, der, what), what);
  } finally {
    key.fill(0);
  }
}
