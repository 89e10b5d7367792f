/**
 * The public summary of a certificate in a verified chain (issue 4;
 * `connection.info.peerCertificate`): the fields a caller shows or pins, as plain data.
 *
 * @module
 */
import { formatIpAddress } from './hostname.js';
import type { ParsedCertificate } from './x509.js';

/** A certificate of a chain, as plain data. */
export interface Certificate {
  /** Subject distinguished name, RFC 4514 string (for display; control characters escaped). */
  readonly subject: string;
  /** Issuer distinguished name, RFC 4514 string. */
  readonly issuer: string;
  /** Serial number: lower-case hex of the DER INTEGER content octets (RFC 5280 §4.1.2.2). */
  readonly serialNumber: string;
  /** Start of the validity period (RFC 5280 §4.1.2.5). */
  readonly notBefore: Date;
  /** End of the validity period (inclusive). */
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the DER encoding, lower-case hex without separators. */
  readonly sha256: string;
  /** The certificate, DER. */
  readonly der: Uint8Array;
  /** basicConstraints cA (RFC 5280 §4.2.1.9); false when absent. */
  readonly isCA: boolean;
  /** subjectAltName dNSName entries, as presented. */
  readonly dnsNames: readonly string[];
  /** subjectAltName iPAddress entries, canonical text (dotted quad, RFC 5952 IPv6). */
  readonly ipAddresses: readonly string[];
}

/**
 * The public summary of a parsed certificate.
 *
 * @param c - a certificate from `parseCertificate`
 * @returns a {@link Certificate} (its `der` is the parsed certificate's own copy)
 */
export function toCertificate(c: ParsedCertificate): Certificate {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialHex,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    sha256: c.sha256,
    der: c.der,
    isCA: c.isCA,
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses.map(formatIpAddress),
  };
}
