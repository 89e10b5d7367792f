/**
 * `verifyCertificateChain`: the verifier on its own (issue 4 §1). The same
 * engine as the handshake's verifier (engine.ts): path building from the leaf through the
 * intermediates given, in any order, to one of the trust anchors, and every RFC 5280 /
 * RFC 9525 check, all errors reported with a severity.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import { severityOf, type CertificateError, type CertificateErrorSeverity } from './verifier.js';
import { parseCertificate, presentForCaller, type ParsedCertificate } from './x509.js';
import { DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH, resolveMaxWork, validateChain } from './engine.js';
import { toCertificate, type Certificate } from './certificate.js';
import { decodeCertificates, parseTrustAnchors, type CertificateInput } from './anchors.js';

export type { Certificate } from './certificate.js';
export type { CertificateInput } from './anchors.js';

/** Input of {@link verifyCertificateChain}. */
export interface VerifyCertificateChainOptions {
  /** The end-entity certificate, DER or PEM. A PEM bundle's first certificate is the leaf; the rest count as intermediates. */
  readonly leaf: CertificateInput;
  /** Other certificates as the peer sent them: any order, PEM bundles allowed; unparsable ones are skipped. */
  readonly intermediates?: readonly CertificateInput[];
  /** Trusted certificates (DER, PEM or PEM bundles), e.g. `tls.rootCertificates`. Each contributes its subject and key. */
  readonly trustAnchors: readonly CertificateInput[];
  /**
   * DNS name or IP literal to match against the leaf (RFC 9525). Absent: no name check at
   * all, whatever `usage` says — the result then says nothing about which host the
   * certificate is for. (The handshake's verifier, `createBasicVerifier`, reports a
   * missing name for `serverAuth` as `InvalidName` instead.)
   */
  readonly serverName?: string;
  /** Validation time. Default: now. */
  readonly time?: Date;
  /** Purpose checked against extendedKeyUsage. Default `'serverAuth'`. */
  readonly usage?: 'serverAuth' | 'clientAuth';
  /** Intermediates allowed between leaf and trust anchor (0..32). Default 8. A longer path gets `BasicConstraintsError`. */
  readonly maxDepth?: number;
  /** Crypto provider for keys and signatures. Default the pure noble provider. */
  readonly crypto?: CryptoProvider;
  /**
   * Match `serverName` against the subject common name of a leaf that has no DNS or IP
   * subjectAltName (RFC 6125 §6.4.4 legacy behaviour). Default false: RFC 9525 §6.3 forbids it.
   */
  readonly commonNameFallback?: boolean;
  /**
   * Work budget of this verification, in units (engine.ts "Work budget": a signature
   * verification costs 2,000, a path edge 100, a name comparison 1). Default
   * `DEFAULT_VERIFICATION_WORK` (100,000). Running out adds a fatal `OtherErrors`.
   */
  readonly maxWork?: number;
}

/** Output of {@link verifyCertificateChain}. */
export interface VerifyCertificateChainResult {
  /** The path judged, leaf first: to the trust anchor when one was reached, else the best partial path; empty if the leaf is unreadable. */
  readonly chain: readonly Certificate[];
  /** Every problem found; `index` refers to `chain` (-1: not about one certificate). */
  readonly errors: readonly CertificateError[];
  /** `none`, `ignorable` (every error may be ignored by the caller) or `fatal`. */
  readonly severity: CertificateErrorSeverity;
}

/**
 * Verifies a certificate chain: builds a path from `leaf` to one of `trustAnchors` and
 * applies every check of RFC 5280 §6.1 that puretls implements, the name check of
 * RFC 9525 §6, and the usage checks, reporting every error found (engine.ts lists the
 * checks and their codes).
 *
 * Bad certificate data never throws: an unreadable leaf gives `chain: []` and one
 * `OtherErrors` at index 0; unreadable intermediates are skipped (and mentioned if the
 * chain is incomplete). Bad options do.
 *
 * @param input - leaf, intermediates, anchors, name, time, usage, depth
 * @returns the path judged, every error, and their severity
 * @throws TlsError('InvalidConfig') for an unreadable trust anchor, an invalid `time`,
 *   `usage`, `maxDepth` or `maxWork`
 *
 * @example
 * ```ts
 * import tls from 'node:tls';
 * const r = await verifyCertificateChain({ leaf: pem, intermediates: [i1], trustAnchors: tls.rootCertificates, serverName: 'example.com' });
 * if (r.severity === 'none') { ... } else console.log(r.errors.map((e) => `${e.code}: ${e.detail}`));
 * ```
 */
export async function verifyCertificateChain(input: VerifyCertificateChainOptions): Promise<VerifyCertificateChainResult> {
  await Promise.resolve(); // always asynchronous, like every verifier (custom ones may be)
  const time = input.time ?? new Date();
  if (!(time instanceof Date) || Number.isNaN(time.getTime())) throw new TlsError('InvalidConfig', { detail: 'time must be a valid Date' });
  const usage = input.usage ?? 'serverAuth';
  if (usage !== 'serverAuth' && usage !== 'clientAuth') throw new TlsError('InvalidConfig', { detail: `usage must be 'serverAuth' or 'clientAuth'` });
  const maxDepth = input.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > MAX_MAX_DEPTH) throw new TlsError('InvalidConfig', { detail: `maxDepth must be an integer 0..${MAX_MAX_DEPTH}` });
  const maxWork = resolveMaxWork(input.maxWork);
  if (input.serverName !== undefined && typeof input.serverName !== 'string') throw new TlsError('InvalidConfig', { detail: 'serverName must be a string' });
  if (!Array.isArray(input.trustAnchors)) throw new TlsError('InvalidConfig', { detail: 'trustAnchors must be an array' });
  const anchors = parseTrustAnchors(input.trustAnchors);

  const unreadable = (detail: string): VerifyCertificateChainResult => {
    const errors: CertificateError[] = [{ code: 'OtherErrors', index: 0, detail: `leaf: ${detail}` }];
    return { chain: [], errors, severity: 'fatal' };
  };
  let leafDers: Uint8Array[];
  try {
    leafDers = decodeCertificates(input.leaf, 'leaf');
  } catch (e) {
    if (e instanceof TlsError && e.status === 'InvalidConfig') throw e;
    return unreadable(e instanceof TlsError ? (e.detail ?? e.status) : String(e));
  }
  if (leafDers.length === 0) return unreadable('no CERTIFICATE block in the PEM text');
  let leaf: ParsedCertificate;
  try {
    leaf = parseCertificate(leafDers[0]!);
  } catch (e) {
    return unreadable(e instanceof TlsError ? (e.detail ?? e.status) : String(e));
  }

  const intermediates: ParsedCertificate[] = [];
  let unparsable = 0;
  const extra: Uint8Array[] = leafDers.slice(1);
  (input.intermediates ?? []).forEach((x, i) => {
    try {
      extra.push(...decodeCertificates(x, `intermediate #${i}`));
    } catch {
      unparsable++;
    }
  });
  for (const der of extra) {
    try {
      intermediates.push(parseCertificate(der));
    } catch {
      unparsable++;
    }
  }

  const r = await validateChain(
    { leaf, intermediates, anchors, unparsable },
    { time, usage, serverName: input.serverName, maxDepth, commonNameFallback: input.commonNameFallback === true, maxWork },
    input.crypto ?? nobleProvider,
  );
  // Presented for this caller: the path ends at a trust anchor shared with other verifications.
  return { chain: r.chain.map((c) => toCertificate(presentForCaller(c))), errors: r.errors, severity: severityOf(r.errors) };
}
