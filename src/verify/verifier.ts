/**
 * The verifier interface the handshake calls to judge the peer's certificate chain.
 * Chain validation may be replaced (custom verifier, async allowed); the handshake's
 * own CertificateVerify check against the leaf key never is.
 *
 * @module
 */
import type { PublicKeyInfo } from '../crypto/provider.js';
import type { Certificate } from './certificate.js';

/** Certificate error codes (Windows `ChainValidationResult` names). */
export type CertificateErrorCode =
  | 'Untrusted'
  | 'Expired'
  | 'NotYetValid'
  | 'InvalidName'
  | 'IncompleteChain'
  | 'WrongUsage'
  | 'RevocationInformationMissing'
  | 'RevocationFailure'
  | 'InvalidSignature'
  | 'Revoked'
  | 'BasicConstraintsError'
  | 'UnknownCriticalExtension'
  | 'InvalidCertificateAuthorityPolicy'
  | 'OtherErrors';

/** The codes a caller may choose to ignore; every other code is fatal. */
export const IGNORABLE_CERTIFICATE_ERRORS: readonly CertificateErrorCode[] = [
  'Untrusted',
  'Expired',
  'NotYetValid',
  'InvalidName',
  'IncompleteChain',
  'WrongUsage',
  'RevocationInformationMissing',
  'RevocationFailure',
];

/** Every certificate error code: the ignorable ones, then the fatal ones. */
export const ALL_CERTIFICATE_ERRORS: readonly CertificateErrorCode[] = [
  ...IGNORABLE_CERTIFICATE_ERRORS,
  'InvalidSignature',
  'Revoked',
  'BasicConstraintsError',
  'UnknownCriticalExtension',
  'InvalidCertificateAuthorityPolicy',
  'OtherErrors',
];

/** Severity of a set of certificate errors. */
export type CertificateErrorSeverity = 'none' | 'ignorable' | 'fatal';

/** One problem found with one certificate. */
export interface CertificateError {
  readonly code: CertificateErrorCode;
  /** Index in the validated chain (0 = leaf); -1 if it concerns no single certificate. */
  readonly index: number;
  /** Human-readable detail (unstable). */
  readonly detail: string;
}

/** What the handshake asks the verifier. */
export interface VerifyRequest {
  /** The peer's certificates as sent, leaf first (DER). */
  readonly certificates: readonly Uint8Array[];
  /**
   * Name to check against the leaf (DNS name or IP literal). For `serverAuth`, the
   * built-in verifier (`createBasicVerifier`) reports a missing name as `InvalidName`
   * ("no name to check") unless `nameCheckedByCaller` is set.
   */
  readonly serverName?: string;
  /**
   * True when the caller checks the peer's identity itself (a Node-style
   * `checkServerIdentity` hook given `serverName`): the verifier then neither checks a name
   * nor reports a missing one. Default false.
   */
  readonly nameCheckedByCaller?: boolean;
  /** Which extended key usage is required. */
  readonly usage: 'serverAuth' | 'clientAuth';
  /** Validation time. */
  readonly time: Date;
}

/** What the verifier answers. */
export interface VerificationReport {
  readonly errors: readonly CertificateError[];
  readonly severity: CertificateErrorSeverity;
  /** The leaf's public key, used for the CertificateVerify check. */
  readonly leafPublicKey: PublicKeyInfo;
  /**
   * The path the errors refer to, leaf first (`CertificateError.index` indexes it): up to
   * the trust anchor when one was reached, else the longest partial path. Optional so that
   * custom verifiers need not fill it.
   */
  readonly validatedChain?: readonly Certificate[];
}

/** A certificate verifier (async allowed). */
export interface CertificateVerifier {
  verify(req: VerifyRequest): Promise<VerificationReport>;
}

/** Severity of a list of errors: fatal if any code is not ignorable. */
export function severityOf(errors: readonly { code: string }[]): CertificateErrorSeverity {
  if (errors.length === 0) return 'none';
  return errors.some((e) => !(IGNORABLE_CERTIFICATE_ERRORS as readonly string[]).includes(e.code)) ? 'fatal' : 'ignorable';
}
