/**
 * Password-based encryption schemes, decryption only:
 * - PBES2 (RFC 8018 §6.2) with PBKDF2 (§5.2, PRF HMAC-SHA-1/-224/-256/-384/-512, Appendix
 *   A.2 / B.1) or scrypt (RFC 7914 §7), and AES-128/192/256-CBC (RFC 8018 Appendix B.2.5,
 *   NIST OIDs) or DES-EDE3-CBC (B.2.2);
 * - the PKCS#12 PBE schemes (RFC 7292 Appendix C): pbeWithSHAAnd3-KeyTripleDES-CBC,
 *   pbeWithSHAAnd128BitRC2-CBC and pbeWithSHAAnd40BitRC2-CBC, keyed by the Appendix B key
 *   derivation.
 *
 * PBES1 (pbeWithMD5AndDES-CBC ...), two-key triple DES and RC4 are refused with
 * `IdentityAlgorithmUnavailable` naming them.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { DerReader, DerTag } from '../crypto/der.js';
import type { CryptoProvider } from '../crypto/provider.js';
import {
  type IdentityCipher,
  type IdentityHash,
  type KdfBudget,
  cbcDecryptPadded,
  cipherBlockLength,
  cipherKeyLength,
  pbkdf2Derive,
  pkcs12Derive,
  scryptDerive,
} from './primitives.js';

/** The passphrase in the two encodings the schemes use. */
export interface Password {
  /** UTF-8 bytes (PBES2, RFC 8018 §3 leaves the encoding to the application; OpenSSL uses the bytes as typed). */
  readonly utf8: Uint8Array;
  /** BMPString with two trailing zero bytes, or empty for "no password" (RFC 7292 Appendix B.1). */
  readonly bmp: Uint8Array;
}

/** What decryption needs besides the algorithm and data. */
export interface PbeContext {
  readonly crypto: CryptoProvider;
  readonly budget: KdfBudget;
}

const OID = {
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  aes128cbc: '2.16.840.1.101.3.4.1.2',
  aes192cbc: '2.16.840.1.101.3.4.1.22',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',
  pkcs12Des3: '1.2.840.113549.1.12.1.3',
  pkcs12Rc2_128: '1.2.840.113549.1.12.1.5',
  pkcs12Rc2_40: '1.2.840.113549.1.12.1.6',
} as const;

/** PRF OIDs (RFC 8018 Appendix B.1). */
const PRFS: Readonly<Record<string, IdentityHash>> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};

/** Algorithms recognised only to be refused by name. */
const REFUSED: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.5.1': 'pbeWithMD2AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.3': 'pbeWithMD5AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.4': 'pbeWithMD2AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.5.6': 'pbeWithMD5AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.5.10': 'pbeWithSHA1AndDES-CBC (PBES1)',
  '1.2.840.113549.1.5.11': 'pbeWithSHA1AndRC2-CBC (PBES1)',
  '1.2.840.113549.1.12.1.1': 'pbeWithSHAAnd128BitRC4',
  '1.2.840.113549.1.12.1.2': 'pbeWithSHAAnd40BitRC4',
  '1.2.840.113549.1.12.1.4': 'pbeWithSHAAnd2-KeyTripleDES-CBC',
  '1.3.14.3.2.7': 'DES-CBC',
  '1.2.840.113549.3.2': 'RC2-CBC',
};

function unavailable(what: string, oid: string): TlsError {
  const name = REFUSED[oid];
  return new TlsError('IdentityAlgorithmUnavailable', { detail: `${what}: ${name ?? `algorithm ${oid}`} is not supported` });
}

/**
 * Decrypts `data` encrypted under the AlgorithmIdentifier `alg` (a reader over its
 * contents: OID then parameters) with `password`.
 *
 * @throws TlsError('IdentityCorrupt') for malformed parameters
 * @throws TlsError('IdentityAlgorithmUnavailable') for a scheme, KDF, PRF or cipher not handled here
 * @throws TlsError('IdentityWorkLimit') for a key-derivation cost above the limits
 * @throws TlsError('WrongPassphrase') when the decrypted padding is wrong
 */
export function pbeDecrypt(alg: DerReader, data: Uint8Array, password: Password, cx: PbeContext, what: string): Uint8Array {
  const oid = alg.oid();
  switch (oid) {
    case OID.pbes2:
      return pbes2Decrypt(alg.sequence(), data, password, cx, what, () => alg.end());
    case OID.pkcs12Des3:
    case OID.pkcs12Rc2_128:
    case OID.pkcs12Rc2_40: {
      // RFC 7292 Appendix C: pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }.
      const params = alg.sequence();
      alg.end();
      const salt = params.octetString();
      const iterations = params.smallInteger();
      params.end();
      const cipher: IdentityCipher =
        oid === OID.pkcs12Des3 ? { name: 'des-ede3-cbc' } : { name: 'rc2-cbc', effectiveBits: oid === OID.pkcs12Rc2_128 ? 128 : 40 };
      // Appendix B.2 with SHA-1: ID 1 for the key, ID 2 for the IV.
      const key = pkcs12Derive('sha1', 1, password.bmp, salt, iterations, cipherKeyLength(cipher), cx.budget);
      const iv = pkcs12Derive('sha1', 2, password.bmp, salt, iterations, cipherBlockLength(cipher), cx.budget);
      try {
        return cbcDecryptPadded(cx.crypto, cipher, key, iv, data, what);
      } finally {
        key.fill(0);
      }
    }
    default:
      throw unavailable(what, oid);
  }
}

/** RFC 8018 §6.2.2 (PBES2 decryption); `closeOuter` ends the enclosing AlgorithmIdentifier. */
function pbes2Decrypt(params: DerReader, data: Uint8Array, password: Password, cx: PbeContext, what: string, closeOuter: () => void): Uint8Array {
  closeOuter();
  // PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }
  const kdf = params.sequence();
  const enc = params.sequence();
  params.end();
  // Encryption scheme first: its key length sizes the derivation (RFC 8018 §6.2.2 step 2).
  const encOid = enc.oid();
  let cipher: IdentityCipher;
  switch (encOid) {
    case OID.aes128cbc:
      cipher = { name: 'aes-128-cbc' };
      break;
    case OID.aes192cbc:
      cipher = { name: 'aes-192-cbc' };
      break;
    case OID.aes256cbc:
      cipher = { name: 'aes-256-cbc' };
      break;
    case OID.desEde3Cbc:
      cipher = { name: 'des-ede3-cbc' };
      break;
    default:
      throw unavailable(what, encOid);
  }
  // RFC 8018 B.2.2 / B.2.5 (and RFC 3565 for the AES OIDs): the parameters are the IV.
  const iv = enc.octetString();
  enc.end();
  const keyLength = cipherKeyLength(cipher);
  const kdfOid = kdf.oid();
  let key: Uint8Array;
  if (kdfOid === OID.pbkdf2) {
    // PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING, otherSource AlgorithmIdentifier },
    //   iterationCount INTEGER (1..MAX), keyLength INTEGER (1..MAX) OPTIONAL, prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }
    const p = kdf.sequence();
    kdf.end();
    if (p.peekTag() !== DerTag.OCTET_STRING) throw unavailable(what, 'PBKDF2 otherSource salt');
    const salt = p.octetString();
    const iterations = p.smallInteger();
    if (p.peekTag() === DerTag.INTEGER) {
      const len = p.smallInteger();
      if (len !== keyLength) throw new TlsError('IdentityCorrupt', { detail: `${what}: PBKDF2 keyLength ${len} does not fit the cipher` });
    }
    let prf: IdentityHash = 'sha1';
    if (!p.done) {
      const a = p.sequence();
      const prfOid = a.oid();
      // RFC 8018 Appendix B.1: parameters NULL (some encoders omit them).
      if (!a.done) a.null();
      a.end();
      const h = PRFS[prfOid];
      if (!h) throw new TlsError('IdentityAlgorithmUnavailable', { detail: `${what}: PBKDF2 PRF ${prfOid} is not supported` });
      prf = h;
    }
    p.end();
    key = pbkdf2Derive(cx.crypto, prf, password.utf8, salt, iterations, keyLength, cx.budget);
  } else if (kdfOid === OID.scrypt) {
    // RFC 7914 §7: scrypt-params ::= SEQUENCE { salt OCTET STRING, costParameter INTEGER (1..MAX),
    //   blockSize INTEGER (1..MAX), parallelizationParameter INTEGER (1..MAX), keyLength INTEGER (1..MAX) OPTIONAL }
    const p = kdf.sequence();
    kdf.end();
    const salt = p.octetString();
    const n = p.smallInteger();
    const r = p.smallInteger();
    const par = p.smallInteger();
    if (!p.done) {
      const len = p.smallInteger();
      if (len !== keyLength) throw new TlsError('IdentityCorrupt', { detail: `${what}: scrypt keyLength ${len} does not fit the cipher` });
    }
    p.end();
    key = scryptDerive(password.utf8, salt, n, r, par, keyLength, cx.budget);
  } else {
    throw unavailable(what, kdfOid);
  }
  try {
    return cbcDecryptPadded(cx.crypto, cipher, key, iv, data, what);
  } finally {
    key.fill(0);
  }
}

/** A DER reader whose failures are `IdentityCorrupt`. */
export function identityReader(bytes: Uint8Array, what: string): DerReader {
  return new DerReader(bytes, 'IdentityCorrupt', what);
}
