/**
 * Certificate inputs (DER, PEM text, PEM bundles) and trust anchors, parsed once.
 *
 * Trust anchors given as PEM strings (Node's `tls.rootCertificates`, a `ca` bundle) are
 * parsed on first use and kept in a bounded cache keyed by the string, which is
 * immutable: verifying against a root store of ~140 certificates costs the parsing
 * (tens of milliseconds) once per process, not once per chain or connection.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { bytesToText, isPem, pemDecode } from '../crypto/pem.js';
import { parseCertificate, type ParsedCertificate } from './x509.js';

/** A certificate, or several: DER bytes, or PEM text (as a string or as bytes). */
export type CertificateInput = Uint8Array | string;

/**
 * Decodes one input into DER certificates: DER bytes as they are; PEM text (a string, or
 * bytes starting with `-----`) into its CERTIFICATE blocks (RFC 7468 §5.1; other blocks
 * such as keys are skipped, and so is a block with RFC 1421 headers: one odd block in a
 * CA bundle must not make the whole bundle unusable).
 *
 * @throws TlsError('InvalidConfig') if `input` is neither a string nor a Uint8Array;
 *   TlsError('CertificateOtherErrors') for a string that is not PEM or malformed PEM
 */
export function decodeCertificates(input: CertificateInput, what: string): Uint8Array[] {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) {
    throw new TlsError('InvalidConfig', { detail: `${what}: expected a Uint8Array or a string` });
  }
  const text = typeof input === 'string' ? input : input.length >= 11 && input[0] === 0x2d && isPem(bytesToText(input.subarray(0, 64 * 1024))) ? bytesToText(input) : null;
  if (text === null) return [input as Uint8Array];
  if (!isPem(text)) throw new TlsError('CertificateOtherErrors', { detail: `${what}: a string must be PEM text` });
  const blocks = pemDecode(text, 'CertificateOtherErrors', { headers: 'skip' });
  const ders: Uint8Array[] = [];
  for (const b of blocks) if (b.label === 'CERTIFICATE') ders.push(b.der);
  // Skipping an odd block is for bundles; text with no certificate at all is a mistake (a
  // key file given as `ca`, `openssl x509 -trustout` output) that would otherwise leave no
  // anchor and make every peer Untrusted without a word.
  if (ders.length === 0) {
    const trusted = blocks.some((b) => b.label === 'TRUSTED CERTIFICATE');
    const detail = trusted
      ? `${what}: no CERTIFICATE block, only TRUSTED CERTIFICATE ones (OpenSSL trust settings, which puretls cannot honour: give the certificates without them)`
      : `${what}: no certificate found (PEM blocks: ${blocks.map((b) => b.label).slice(0, 4).join(', ') || 'none'})`;
    throw new TlsError('CertificateOtherErrors', { detail });
  }
  return ders;
}

const cache = new Map<string, ParsedCertificate[]>();
const CACHE_MAX = 1024;

/**
 * Parses trust anchors (RFC 5280 §6.1.1 (d): each contributes its subject name and key).
 *
 * @param list - DER certificates, PEM strings or bundles
 * @returns the parsed certificates, in order
 * @throws TlsError('InvalidConfig') naming the first anchor that cannot be read
 */
export function parseTrustAnchors(list: readonly CertificateInput[]): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  list.forEach((input, i) => {
    if (typeof input === 'string') {
      const hit = cache.get(input);
      if (hit) {
        // One push per certificate: a spread of a bundle of 100,000+ overflows the stack.
        for (const c of hit) out.push(c);
        return;
      }
    }
    let parsed: ParsedCertificate[];
    try {
      parsed = decodeCertificates(input, `trust anchor #${i}`).map((der) => parseCertificate(der));
    } catch (e) {
      throw new TlsError('InvalidConfig', { detail: `trust anchor #${i}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`, cause: e });
    }
    if (typeof input === 'string') {
      if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
      cache.set(input, parsed);
    }
    for (const c of parsed) out.push(c);
  });
  return out;
}
