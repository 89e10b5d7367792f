/**
 * Maps certificate error codes to the `TlsError` status that names the principal
 * problem (fatal codes first, then trust, then dates, then name).
 *
 * @module
 */
import type { TlsStatus } from '../base/errors.js';
import type { CertificateErrorCode } from '../verify/verifier.js';

const PRIORITY: readonly CertificateErrorCode[] = [
  'InvalidSignature',
  'Revoked',
  'BasicConstraintsError',
  'UnknownCriticalExtension',
  'InvalidCertificateAuthorityPolicy',
  'OtherErrors',
  'Untrusted',
  'IncompleteChain',
  'Expired',
  'NotYetValid',
  'InvalidName',
  'WrongUsage',
  'RevocationFailure',
  'RevocationInformationMissing',
];

/** The status for one certificate error code. */
export function certificateStatusFor(code: CertificateErrorCode): TlsStatus {
  return `Certificate${code}` as TlsStatus;
}

/** The status naming the most serious of `errors` (which must be non-empty). */
export function principalStatus(errors: readonly { code: CertificateErrorCode }[]): TlsStatus {
  for (const c of PRIORITY) if (errors.some((e) => e.code === c)) return certificateStatusFor(c);
  return 'CertificateOtherErrors';
}
