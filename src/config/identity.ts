/**
 * Loading identities (certificate chain + private key) and trust anchors from PEM
 * or DER. PKCS#12 is a later issue.
 *
 * @module
 */
import type { CertifiedKey, CertifiedKeyInput } from './config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { isOpaqueKey, loadPrivateKey, samePublicKey } from '../crypto/signer.js';
import { bytesToText, isPem, pemDecode } from '../crypto/pem.js';
import { TlsError } from '../base/errors.js';
import { parseCertificate } from '../verify/x509.js';
import { formatIpAddress } from '../verify/hostname.js';

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
  const items: readonly (string | Uint8Array)[] = typeof src === 'string' || src instanceof Uint8Array ? [src] : src;
  const out: Uint8Array[] = [];
  for (const it of items) {
    const text = typeof it === 'string' ? it : isPemBytes(it) ? bytesToText(it) : null;
    if (text !== null) {
      const blocks = pemDecode(text, 'InvalidConfig', { headers: options.headers ?? 'skip' }).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
      out.push(...blocks.map((b) => b.der));
    } else {
      out.push((it as Uint8Array).slice());
    }
  }
  if (out.length === 0) throw new TlsError('InvalidConfig', { detail: 'no certificate found (expected PEM CERTIFICATE blocks or DER)' });
  return out;
}

function isPemBytes(b: Uint8Array): boolean {
  // '-----BEGIN' starts with 0x2d; DER certificates start with 0x30.
  return b.length > 11 && b[0] !== 0x30 && isPem(bytesToText(b.subarray(0, Math.min(b.length, 4096))));
}

/** Loads a certificate chain and its key, checking that the key matches the leaf. */
export function loadCertifiedKey(input: CertifiedKeyInput, crypto: CryptoProvider): CertifiedKey {
  const chain = loadCertificates(input.cert, { headers: 'refuse' });
  // Bytes are parsed first (a bad key is reported as such even when the leaf is bad too).
  const parsed = isOpaqueKey(input.key) ? null : crypto.parsePrivateKey(input.key);
  let leaf;
  try {
    leaf = parseCertificate(chain[0]!);
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `cannot parse the leaf certificate: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
  const leafKey = crypto.parsePublicKey(leaf.spki);
  // An opaque key (CryptoKey, KeyObject, signer) takes its public key from the leaf.
  const key = parsed ?? loadPrivateKey(input.key, crypto, leafKey);
  if (!samePublicKey(leafKey, key.publicKey, crypto)) {
    throw new TlsError('InvalidConfig', { detail: 'the private key does not match the leaf certificate' });
  }
  const names = [...leaf.dnsNames.map((n) => n.toLowerCase().replace(/\.$/, '')), ...leaf.ipAddresses.map(formatIpAddress)];
  return input.ocspResponse ? { chain, key, names, ocspResponse: input.ocspResponse.slice() } : { chain, key, names };
}

