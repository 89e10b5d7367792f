/**
 * The certificate verifier the handshake uses by default: the engine of engine.ts
 * (path building and every RFC 5280 §6.1 check, all errors reported) behind the
 * {@link CertificateVerifier} interface, with the trust anchors parsed once.
 *
 * `verifyCertificateChain` (chain.ts) runs the same engine for callers outside a
 * handshake; see engine.ts for the search, the checks and the error codes.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { andThen, type CryptoProvider, type MaybePromise } from '../crypto/provider.js';
import { severityOf, type CertificateError, type CertificateVerifier, type VerificationReport, type VerifyRequest } from './verifier.js';
import { bytesEqual, cacheKey, parseRemembered, presentForCaller, type ParsedCertificate } from './x509.js';
import { DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH, checkName, outcomeTimeWindow, resolveMaxWork, validateChain, type ChainOutcome, type ChainPolicy, type SearchLimits } from './engine.js';
import { toCertificate, type Certificate } from './certificate.js';
import { parseTrustAnchors } from './anchors.js';

export { DEFAULT_VERIFICATION_WORK } from './engine.js';

/** Options for {@link createBasicVerifier}. */
export interface BasicVerifierOptions {
  /**
   * Trusted certificates: DER, or PEM strings / bundles (e.g. `tls.rootCertificates`, parsed
   * once per process). Each contributes its subject name and public key (RFC 5280 §6.1.1 (d)).
   */
  readonly trustAnchors: readonly (Uint8Array | string)[];
  /** Provider used to parse keys and verify signatures. Required: without it `createBasicVerifier` throws `InvalidConfig`. */
  readonly crypto: CryptoProvider;
  /**
   * Longest path accepted, in certificates including leaf and anchor. Default 10.
   * @deprecated use `maxDepth` (intermediates only; `maxPathLength` = `maxDepth` + 2).
   */
  readonly maxPathLength?: number;
  /** Intermediates allowed between leaf and anchor (OpenSSL's `-verify_depth`). Default 8. */
  readonly maxDepth?: number;
  /**
   * Cap on signature verifications during path building.
   * @deprecated use `maxWork`, which bounds signatures, path edges and name comparisons together.
   */
  readonly maxCandidates?: number;
  /** RFC 6125 §6.4.4 common-name fallback (hostname.ts). Default false. */
  readonly commonNameFallback?: boolean;
  /**
   * Work budget of one `verify()` call, in units (engine.ts "Work budget"): signature
   * verifications cost 2,000, path edges 100, name comparisons 1. Default
   * `DEFAULT_VERIFICATION_WORK` (100,000). Running out makes the verdict fatal
   * (`OtherErrors`). An integer 1..2^31-1.
   */
  readonly maxWork?: number;
  /**
   * Extra caps on single kinds of work.
   * @deprecated use `maxWork`.
   */
  readonly limits?: SearchLimits;
}

/** The report of {@link createBasicVerifier}: the standard report plus the chain it judged. */
export interface BasicVerificationReport extends VerificationReport {
  /** The path validated (leaf first; ends at the anchor when `anchored`), or the best partial path. */
  readonly chain: readonly ParsedCertificate[];
  /** True if the path ends at a trust anchor (its other checks may still have failed). */
  readonly anchored: boolean;
}

/** The verifier made by {@link createBasicVerifier}: a {@link CertificateVerifier} with richer reports. */
export interface BasicVerifier extends CertificateVerifier {
  verify(req: VerifyRequest): Promise<BasicVerificationReport>;
}

/**
 * Resolves the depth options of {@link BasicVerifierOptions}.
 * @throws TlsError('InvalidConfig') for a value out of range
 */
function resolveDepth(opts: Pick<BasicVerifierOptions, 'maxDepth' | 'maxPathLength'>): number {
  const depth = opts.maxDepth ?? (opts.maxPathLength !== undefined ? opts.maxPathLength - 2 : DEFAULT_MAX_DEPTH);
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MAX_DEPTH) {
    throw new TlsError('InvalidConfig', { detail: `maxDepth must be an integer 0..${MAX_MAX_DEPTH}` });
  }
  return depth;
}

function isProvider(c: unknown): c is CryptoProvider {
  const p = c as Partial<CryptoProvider> | null | undefined;
  return typeof p === 'object' && p !== null && typeof p.parsePublicKey === 'function' && typeof p.verify === 'function' && typeof p.digest === 'function' && Array.isArray(p.signatureSchemes);
}

/**
 * Creates the verifier.
 *
 * For `serverAuth` requests the name is part of the verdict: a request without
 * `serverName` gets an `InvalidName` error ("no name to check") rather than a silent skip
 * of the name check (RFC 9525 §6: without a reference identity the certificate proves
 * nothing about which host was reached), unless the request says the caller checks the
 * name itself (`nameCheckedByCaller`). A caller that really wants no name check must
 * treat `InvalidName` as ignorable, explicitly.
 *
 * @param opts - trust anchors (DER), the crypto provider, depth, name and work options
 * @returns a {@link CertificateVerifier} whose reports are {@link BasicVerificationReport}s
 * @throws TlsError('InvalidConfig') if `crypto` is missing or not a provider, a trust
 *   anchor cannot be parsed, or an option is out of range
 *
 * @example
 * ```ts
 * const verifier = createBasicVerifier({ trustAnchors: [caDer], crypto: nobleProvider });
 * const report = await verifier.verify({ certificates: [leafDer], serverName: 'localhost', usage: 'serverAuth', time: new Date() });
 * report.errors; // [] when all is well
 * ```
 */
export function createBasicVerifier(opts: BasicVerifierOptions): BasicVerifier {
  if (typeof opts !== 'object' || opts === null) throw new TlsError('InvalidConfig', { detail: 'createBasicVerifier needs an options object' });
  // Checked here, not at the first handshake (where it would surface as CertificateUnsupported).
  if (!isProvider(opts.crypto)) throw new TlsError('InvalidConfig', { detail: 'createBasicVerifier needs a crypto provider (`crypto`)' });
  const crypto = opts.crypto;
  const maxDepth = resolveDepth(opts);
  const maxWork = resolveMaxWork(opts.maxWork);
  const limits: SearchLimits = { ...opts.limits, ...(opts.maxCandidates !== undefined ? { maxSignatureChecks: opts.maxCandidates } : {}) };
  const anchors = parseTrustAnchors(opts.trustAnchors);
  const clean = new CleanOutcomes();
  const verifyNow = (req: VerifyRequest): MaybePromise<BasicVerificationReport> => {
    const sent = req.certificates;
    if (sent.length === 0) {
      // The handshake answers an empty Certificate itself (RFC 9846 §4.5.1.3); reaching here is a bug.
      throw new TlsError('CertificateOtherErrors', { detail: 'no certificates to verify' });
    }
    // RFC 5280 §6.1.1 (b): the validation time is an input. A time that is not a number would
    // compare false with every notBefore and notAfter: no certificate would ever be reported
    // NotYetValid or Expired (as verifyCertificateChain, chain.ts, refuses it).
    const now = req.time.getTime();
    if (Number.isNaN(now)) throw new TlsError('InvalidConfig', { detail: 'the validation time must be a valid Date' });
    const requireServerName = req.usage === 'serverAuth' && req.nameCheckedByCaller !== true;
    const naming = { serverName: req.serverName, requireServerName, commonNameFallback: opts.commonNameFallback === true };
    // The same chain verified before without a single error, at a time that every time
    // comparison of that search answers alike: its outcome again, without the search. The
    // name check runs here, now, on the leaf (RFC 9525 §6), and must find nothing either.
    const known = clean.find(sent, req.usage, requireServerName);
    if (known !== undefined && now >= known.from && now <= known.to) {
      const named = checkName(known.leaf, naming);
      if (named.errors.length === 0 && named.cnUsed === known.cnUsed) {
        // The path is presented afresh for this caller when its report's chain is first read.
        return report({ ...known.outcome, errors: [] });
      }
    }
    const leafFailure = (e: unknown): never => {
      const status = e instanceof TlsError && e.category === 'certificate' ? e.status : 'CertificateOtherErrors';
      const detail = `leaf: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`;
      const certificateErrors: CertificateError[] = [{ code: 'OtherErrors', index: 0, detail }];
      throw new TlsError(status, { detail, cause: e, certificateErrors });
    };
    // The leaf must parse: without it there is nothing to report on. The search reads the
    // remembered parses (the same strict parse as parseCertificate, not copied for every
    // connection); what the report hands out is presented when read (`chain` below).
    let leaf: ParsedCertificate;
    try {
      leaf = parseRemembered(sent[0]!);
    } catch (e) {
      return leafFailure(e);
    }
    // The other certificates; unparsable ones are left out (and mentioned if the path is incomplete).
    const intermediates: ParsedCertificate[] = [];
    let unparsable = 0;
    for (let i = 1; i < sent.length; i++) {
      try {
        intermediates.push(parseRemembered(sent[i]!));
      } catch {
        unparsable++;
      }
    }
    const policy: ChainPolicy = { time: req.time, usage: req.usage, ...naming, maxDepth, maxWork, limits };
    // Copies of the DER as parsed, taken before the search: the caller's buffers may be
    // reused, also while a search with an async provider waits, and what is remembered must
    // be the bytes that were judged. `new Uint8Array`: a Node Buffer's `slice` is a view.
    const ders = sent.map((d) => new Uint8Array(d));
    const outcome = validateChain({ leaf, intermediates, anchors, unparsable }, policy, crypto);
    return andThen(outcome, (r) => {
      if (r.errors.length === 0 && r.anchored && r.leafPublicKey !== null) {
        const window = outcomeTimeWindow(r);
        if (window !== undefined) {
          clean.remember({ ders, usage: req.usage, requireServerName, leaf, cnUsed: checkName(leaf, policy).cnUsed, outcome: r, ...window });
        }
      }
      return report(r);
    });
  };
  const report = (r: ChainOutcome): BasicVerificationReport => {
    // The handshake needs the leaf key for CertificateVerify: a leaf whose key cannot be used fails here.
    if (r.leafPublicKey === null) {
      const e = r.errors.find((x) => x.index === 0 && x.code === 'OtherErrors' && /public key/.test(x.detail));
      throw new TlsError('CertificateUnsupported', { detail: e?.detail ?? 'leaf public key unusable', certificateErrors: r.errors });
    }
    // The public summaries are made when first read: a handshake reads them only for a
    // checkServerIdentity hook or a stapled OCSP response (peer-auth.ts). The search ran on
    // remembered parses (and a remembered outcome holds them), which are never handed out: a
    // caller gets them presented (its own copies of the DER, dates and names), as
    // parseCertificate would have made them; the anchor too (the verifier's own, shared).
    let presented: ParsedCertificate[] | undefined;
    let validated: Certificate[] | undefined;
    return {
      errors: r.errors,
      severity: severityOf(r.errors),
      leafPublicKey: r.leafPublicKey,
      get chain(): ParsedCertificate[] {
        return (presented ??= r.chain.map(presentForCaller));
      },
      anchored: r.anchored,
      get validatedChain(): Certificate[] {
        return (validated ??= this.chain.map(toCertificate));
      },
    };
  };
  return {
    verify: (req: VerifyRequest) => Promise.resolve().then(() => verifyNow(req)),
  };
}

/** Chains remembered by one verifier, at most. */
const CLEAN_OUTCOMES_MAX = 16;

/**
 * A chain that verified without a single error, and what a new search of it would need to
 * match: the same bytes, usage, name requirement and common name used as a dNSName, at a
 * time in [`from`, `to`] (every time comparison of the search answers alike there: RFC 5280
 * §6.1.3 (a)(2) included).
 */
interface CleanOutcome {
  readonly ders: readonly Uint8Array[];
  readonly usage: VerifyRequest['usage'];
  readonly requireServerName: boolean;
  /** The remembered parse of the leaf (never handed out), for the name check. */
  readonly leaf: ParsedCertificate;
  readonly cnUsed: string | undefined;
  readonly outcome: ChainOutcome;
  readonly from: number;
  readonly to: number;
}

/**
 * The outcomes without errors of one verifier's searches, by chain. A search's outcome is a
 * function of the certificates sent (compared byte for byte), the verifier's anchors and
 * options, the usage, whether a name is required, the common name used as a dNSName, and
 * the time only through comparisons recorded with it (engine.ts `outcomeTimeWindow`);
 * signatures are verified over exactly these bytes, as the engine's remembered signatures
 * are. Only clean outcomes are kept, so a failing chain is judged afresh every time.
 * Bounded: the least recently used entry goes.
 */
class CleanOutcomes {
  private readonly byKey = new Map<string, CleanOutcome>();

  find(ders: readonly Uint8Array[], usage: VerifyRequest['usage'], requireServerName: boolean): CleanOutcome | undefined {
    const key = chainKey(ders);
    const e = this.byKey.get(key);
    if (e === undefined || e.usage !== usage || e.requireServerName !== requireServerName || e.ders.length !== ders.length) return undefined;
    for (let i = 0; i < ders.length; i++) if (!bytesEqual(e.ders[i]!, ders[i]!)) return undefined;
    this.byKey.delete(key);
    this.byKey.set(key, e);
    return e;
  }

  remember(e: CleanOutcome): void {
    const key = chainKey(e.ders);
    this.byKey.delete(key);
    if (this.byKey.size >= CLEAN_OUTCOMES_MAX) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(key, e);
  }
}

/** A map key for a chain: each certificate's {@link cacheKey} (a hit is compared byte for byte). */
function chainKey(ders: readonly Uint8Array[]): string {
  let key = '';
  for (const der of ders) key += `${cacheKey(der)};`;
  return key;
}
