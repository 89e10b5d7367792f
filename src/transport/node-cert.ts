/**
 * Certificates the way Node's `tls` shows them (issue 11 item 3): the object of
 * `getPeerCertificate()` (built by `node:crypto`'s `X509Certificate.toLegacyObject()`, which
 * is what Node's own TLS socket returns, plus the `issuerCertificate` links of the detailed
 * form), and the OpenSSL / Node code that `authorizationError` reports for the errors the
 * puretls verifier found.
 *
 * @module
 */
import type { DetailedPeerCertificate } from 'node:tls';
import { X509Certificate } from '../identity/native.js';
import type { CertificateError, CertificateErrorCode } from '../verify/verifier.js';

/** Node's certificate object (`tls.DetailedPeerCertificate`; `issuerCertificate` only in the detailed form). */
export type PeerCertificate = DetailedPeerCertificate;

function legacy(der: Uint8Array): PeerCertificate | null {
  try {
    return new X509Certificate(der).toLegacyObject() as PeerCertificate;
  } catch {
    return null;
  }
}

/**
 * The leaf's Node object; with `chain` (the intermediates as sent), each certificate links
 * the next one that issued it as `issuerCertificate`, a self-issued one links itself (as in
 * Node). Null when the leaf cannot be read.
 */
export function nodePeerCertificate(leaf: Uint8Array, chain: readonly Uint8Array[] | null): PeerCertificate | null {
  const first = legacy(leaf);
  if (!first || chain === null) return first;
  const x509 = (der: Uint8Array): X509Certificate | null => {
    try {
      return new X509Certificate(der);
    } catch {
      return null;
    }
  };
  let cur = first;
  let curX = x509(leaf);
  const left = chain.map((der) => ({ der, x: x509(der) }));
  for (;;) {
    if (curX === null) break;
    if (curX.checkIssued(curX)) {
      cur.issuerCertificate = cur;
      break;
    }
    const at = left.findIndex((c) => c.x !== null && curX!.checkIssued(c.x));
    if (at < 0) break;
    const next = legacy(left[at]!.der);
    if (!next) break;
    cur.issuerCertificate = next;
    cur = next;
    curX = left[at]!.x;
    left.splice(at, 1);
  }
  return first;
}

/** Node's / OpenSSL's name for each puretls certificate error, in the order the most serious is picked. */
const NODE_CODES: readonly (readonly [CertificateErrorCode, string])[] = [
  ['Untrusted', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  ['IncompleteChain', 'UNABLE_TO_GET_ISSUER_CERT'],
  ['InvalidSignature', 'CERT_SIGNATURE_FAILURE'],
  ['BasicConstraintsError', 'INVALID_CA'],
  ['UnknownCriticalExtension', 'UNHANDLED_CRITICAL_EXTENSION'],
  ['InvalidCertificateAuthorityPolicy', 'PERMITTED_VIOLATION'],
  ['Revoked', 'CERT_REVOKED'],
  ['NotYetValid', 'CERT_NOT_YET_VALID'],
  ['Expired', 'CERT_HAS_EXPIRED'],
  ['WrongUsage', 'INVALID_PURPOSE'],
  ['InvalidName', 'ERR_TLS_CERT_ALTNAME_INVALID'],
  ['RevocationFailure', 'UNABLE_TO_GET_CRL'],
  ['RevocationInformationMissing', 'UNABLE_TO_GET_CRL'],
  ['OtherErrors', 'CERT_REJECTED'],
];

/**
 * The one code Node would put in `authorizationError` for these errors: OpenSSL's verify
 * code of the most serious (chain building first, as OpenSSL finds them; the host name
 * last, as Node checks it only for a chain without errors), with OpenSSL's distinctions
 * for an untrusted chain: a self-signed leaf (`DEPTH_ZERO_SELF_SIGNED_CERT`), a lone leaf
 * whose issuer is unknown (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`), a chain ending in a
 * self-signed root that is not trusted (`SELF_SIGNED_CERT_IN_CHAIN`).
 */
export function nodeAuthorizationCode(errors: readonly CertificateError[], leaf: Uint8Array | null, intermediates: readonly Uint8Array[]): string {
  const found = new Set(errors.map((e) => e.code));
  const top = NODE_CODES.find(([code]) => found.has(code));
  if (!top) return 'CERT_REJECTED';
  if (top[0] !== 'Untrusted' || leaf === null) return top[1];
  try {
    const l = new X509Certificate(leaf);
    if (l.checkIssued(l)) return 'DEPTH_ZERO_SELF_SIGNED_CERT';
    if (intermediates.length === 0) return 'UNABLE_TO_VERIFY_LEAF_SIGNATURE';
    const last = new X509Certificate(intermediates[intermediates.length - 1]!);
    if (last.checkIssued(last)) return 'SELF_SIGNED_CERT_IN_CHAIN';
  } catch {
    // unreadable: the generic code
  }
  return top[1];
}
