/**
 * Loading identities (certificate chain + private key) and trust anchors from PEM or DER,
 * and, through the optional {@link IdentityFiles} part (src/identity/), from PKCS#12 files
 * and encrypted keys.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { CertifiedKey, CertifiedKeyInput, KeyInput, PfxInput } from './config.js';
import type { PrivateKeyInput } from '../crypto/signer.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { isOpaqueKey, loadPrivateKey, samePublicKey } from '../crypto/signer.js';
import { bytesToText, isPem, pemDecode } from '../crypto/pem.js';
import { TlsError } from '../base/errors.js';
import { DerReader, DerTag } from '../crypto/der.js';
import { parseCertificate } from '../verify/x509.js';
import { formatIpAddress } from '../verify/hostname.js';

/** Largest `ocspResponse` that fits a TLS 1.3 CertificateEntry (see {@link loadCertifiedKey}). */
export const MAX_OCSP_STAPLE = 0xffff - 4 - 1 - 3;

/** Certificates as the loaders take them: PEM text, DER, or a list of either. */
export type CertSource = string | Uint8Array | readonly (string | Uint8Array)[];

/** Options of {@link loadCertificates}. */
export interface LoadCertificatesOptions {
  /**
   * A PEM block that cannot be read as one, i.e. with RFC 1421 headers (RFC 7468 §2 forbids
   * them) or with boundary lines that are not whole lines (RFC 7468 §3; see
   * `PemDecodeOptions`): `'skip'` (the default: in a CA bundle, one such block must not take
   * every other certificate with it) or `'refuse'` (throw `InvalidConfig`; for a
   * certificate chain, where a dropped certificate would only surface later as a broken
   * chain).
   */
  readonly headers?: 'skip' | 'refuse';
}

/**
 * DER certificates from PEM text (every CERTIFICATE block), DER bytes, or a list of either.
 * Throws `TlsError('InvalidConfig')` if nothing usable is found.
 */
export function loadCertificates(src: CertSource, options: LoadCertificatesOptions = {}): Uint8Array[] {
  const given: unknown = src;
  const items: readonly unknown[] = typeof given === 'string' || given instanceof Uint8Array ? [given] : Array.isArray(given) ? given : [given];
  const out: Uint8Array[] = [];
  items.forEach((it, i) => {
    if (typeof it !== 'string' && !(it instanceof Uint8Array)) {
      const what = it === null ? 'null' : Array.isArray(it) ? 'an array' : typeof it === 'object' ? 'an object' : `a ${typeof it}`;
      throw new TlsError('InvalidConfig', { detail: `certificate${items.length > 1 ? ` #${i}` : 's'}: expected PEM text or DER bytes, not ${what}` });
    }
    const text = typeof it === 'string' ? it : isPemBytes(it) ? bytesToText(it) : null;
    if (text !== null) {
      const blocks = pemDecode(text, 'InvalidConfig', { headers: options.headers ?? 'skip' });
      // One push per certificate: a spread of a bundle of 10^5 certificates overflows the stack.
      for (const b of blocks) {
        if (b.label === 'CERTIFICATE') out.push(b.der);
        else if (b.label === 'TRUSTED CERTIFICATE') out.push(trustedCertificate(b.der));
      }
    } else {
      out.push(copyBytes(it as Uint8Array));
    }
  });
  if (out.length === 0) throw new TlsError('InvalidConfig', { detail: 'no certificate found (expected PEM CERTIFICATE blocks or DER)' });
  return out;
}

/**
 * The certificate of an OpenSSL `TRUSTED CERTIFICATE` block (`openssl x509 -trustout`): the
 * DER Certificate, then OpenSSL's X509_CERT_AUX trust settings when it has any (purposes
 * trusted or rejected, an alias). A block without settings is a plain certificate. Settings
 * cannot be honoured here, and dropping them could trust a certificate for a purpose they
 * reject: such a block is refused (it failed later as "certificate: trailing data" before).
 * @throws TlsError('InvalidConfig') for a block with trust settings
 */
function trustedCertificate(der: Uint8Array): Uint8Array {
  const r = new DerReader(der, 'InvalidConfig', 'TRUSTED CERTIFICATE');
  r.expect(DerTag.SEQUENCE, 'Certificate');
  if (r.done) return der;
  throw new TlsError('InvalidConfig', {
    detail: 'a TRUSTED CERTIFICATE block carries OpenSSL trust settings, which puretls cannot apply: give it as a CERTIFICATE block (openssl x509 -in FILE -out OUT drops the settings)',
  });
}

function isPemBytes(b: Uint8Array): boolean {
  // A DER certificate starts with 0x30 (SEQUENCE); anything else is text if it holds a BEGIN
  // line anywhere: RFC 7468 §2 allows explanatory text before it, and `openssl x509 -text`
  // writes kilobytes of it (a first-4-KiB window took such a file for DER).
  return b.length > 11 && b[0] !== 0x30 && isPem(bytesToText(b));
}

/**
 * The identity-file decoder, an optional part of a configuration (src/identity/index.ts
 * `identityFiles`): without it, `pfx`, `passphrase` and encrypted keys are `InvalidConfig`
 * errors that say which module to add.
 */
export interface IdentityFiles {
  /**
   * A key in any of Node's forms (`{ pem, passphrase }`, an array of one key) reduced to one
   * key, decrypted if it is encrypted (to DER); any other key is returned unchanged.
   * @throws TlsError('InvalidConfig') for an array of several keys or none
   * @throws TlsError('WrongPassphrase' | 'IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit')
   */
  openKey(key: string | Uint8Array | Exclude<KeyInput, PrivateKeyInput>, passphrase: string | undefined, crypto: CryptoProvider): string | Uint8Array;
  /**
   * The identities in the files of a `pfx` option (each file DER or base64 text, or Node's
   * `{ buf, passphrase }`), at least one per file, in order.
   * @throws TlsError('WrongPassphrase' | 'IdentityCorrupt' | 'IdentityAlgorithmUnavailable' | 'IdentityWorkLimit' | 'InvalidConfig')
   */
  openPfx(pfx: PfxInput, passphrase: string | undefined, crypto: CryptoProvider): readonly { readonly chain: readonly Uint8Array[]; readonly key: Uint8Array }[];
}

const NEEDS_MODULE = "needs the identity module: pass modules: [identity] (from 'puretls/client') or use 'puretls' / 'puretls/node'";

/** Node's key forms that only the identity module reads: `{ pem, passphrase }` and arrays. */
function isNodeKeyForm(k: KeyInput): k is Exclude<KeyInput, PrivateKeyInput> {
  return Array.isArray(k) || (typeof k === 'object' && k !== null && 'pem' in k);
}

/**
 * Loads a certificate chain and its key, checking that the key matches the leaf. Node's key
 * forms and encrypted keys are opened by `files` (the identity module) with the passphrase.
 *
 * @throws TlsError('InvalidConfig') for an unreadable certificate or key, or a key that does not
 *   match; the identity statuses for an encrypted key that cannot be opened
 */
export function loadCertifiedKey(input: CertifiedKeyInput, crypto: CryptoProvider, files: IdentityFiles | null = null): CertifiedKey {
  const chain = loadCertificates(input.cert, { headers: 'refuse' });
  let key = input.key;
  if (isNodeKeyForm(key) || !isOpaqueKey(key)) {
    if (files !== null) key = files.openKey(key, input.passphrase, crypto);
    else if (input.passphrase !== undefined || isNodeKeyForm(key)) throw new TlsError('InvalidConfig', { detail: `passphrase ${NEEDS_MODULE}` });
  }
  return certifiedKey(chain, key as PrivateKeyInput, input.ocspResponse, crypto);
}

function certifiedKey(chain: Uint8Array[], keyInput: PrivateKeyInput, ocspResponse: Uint8Array | undefined, crypto: CryptoProvider): CertifiedKey {
  // Bytes are parsed first (a bad key is reported as such even when the leaf is bad too).
  const parsed = isOpaqueKey(keyInput) ? null : crypto.parsePrivateKey(keyInput);
  let leaf;
  try {
    leaf = parseCertificate(chain[0]!);
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `cannot parse the leaf certificate: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
  const leafKey = crypto.parsePublicKey(leaf.spki);
  // An opaque key (CryptoKey, KeyObject, signer) takes its public key from the leaf.
  const key = parsed ?? loadPrivateKey(keyInput, crypto, leafKey);
  if (!samePublicKey(leafKey, key.publicKey, crypto)) {
    throw new TlsError('InvalidConfig', { detail: 'the private key does not match the leaf certificate' });
  }
  const names = [...leaf.dnsNames.map((n) => n.toLowerCase().replace(/\.$/, '')), ...leaf.ipAddresses.map(formatIpAddress)];
  const staple: unknown = ocspResponse;
  if (staple !== undefined && !(staple instanceof Uint8Array)) throw new TlsError('InvalidConfig', { detail: 'ocspResponse must be DER bytes (an OCSPResponse, RFC 6960 §4.2.1)' });
  // RFC 8446 §4.4.2.1 / RFC 9846: in TLS 1.3 the response rides in the leaf's CertificateEntry
  // extensions<0..2^16-1>, as status_request (4 bytes of extension header) holding
  // CertificateStatus (1 byte of type, OCSPResponse<1..2^24-1>, RFC 6066 §8): at most 65,527
  // bytes. A larger one failed every TLS 1.3 handshake whose client asks for it (the default)
  // with an InternalError; an empty one is not a response.
  if (staple !== undefined && (staple.length === 0 || staple.length > MAX_OCSP_STAPLE)) {
    throw new TlsError('InvalidConfig', { detail: `ocspResponse of ${staple.length} bytes: a stapled response is 1..${MAX_OCSP_STAPLE} bytes (RFC 8446 §4.4.2.1)` });
  }
  return ocspResponse ? { chain, key, names, ocspResponse: copyBytes(ocspResponse) } : { chain, key, names };
}

/**
 * The identities of Node's `pfx` option: each file's identities (its private keys with their
 * certificates), in order. `passphrase` opens the files that carry none of their own.
 *
 * @throws TlsError('InvalidConfig') for a value of the wrong shape, a file holding no identity,
 *   or no identity module; the identity statuses for a file that cannot be opened
 */
export function loadPfxIdentities(pfx: PfxInput, passphrase: string | undefined, crypto: CryptoProvider, files: IdentityFiles | null): CertifiedKey[] {
  if (files === null) throw new TlsError('InvalidConfig', { detail: `pfx ${NEEDS_MODULE}` });
  return files.openPfx(pfx, passphrase, crypto).map((id) => certifiedKey([...id.chain], id.key, undefined, crypto));
}
