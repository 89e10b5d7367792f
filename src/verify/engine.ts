/**
 * The verifier's core: certification path building and the RFC 5280 §6.1 checks,
 * reporting every problem found. One engine serves both the handshake's
 * {@link CertificateVerifier} (`createBasicVerifier`) and the standalone
 * `verifyCertificateChain`.
 *
 * ## Path building
 *
 * From the leaf, a depth-first search over candidate issuers: certificates (trust anchors
 * and the intermediates supplied, in any order, duplicates removed) whose subject equals
 * the child's issuer (names compared as in names.ts, RFC 5280 §7.1), excluding those
 * whose subjectKeyIdentifier contradicts the child's authorityKeyIdentifier (§4.2.1.1;
 * OpenSSL and Go skip them too). Candidates are tried in this order:
 * signature verified first (each candidate's signature on the child is checked as it
 * comes up; unverifiable and bad-signature edges are kept for later, and followed only
 * while no path has reached an anchor, so a forged or weak-signed certificate is still
 * reported when it is all there is); among those, trust
 * anchors first, then a matching key identifier, then valid at the validation time (so of
 * an expired and a valid issuer with the same name, the valid one is taken), then the
 * order given. A path ends at a trust anchor (a subject name and key, §6.1.1 (d)) or at
 * a self-signed certificate. The leaf itself is a trust anchor only when it is an anchor's
 * own certificate, byte for byte (a pinned certificate); a leaf that only shares an
 * anchor's name and key is issued by that anchor, signature checked. A certificate whose (subject, key) is already on the path is
 * not added again (loops, including cross-certificate loops). Every path reaching an
 * anchor is judged by all the checks below; the search stops at the first path without
 * errors and otherwise keeps the best (no fatal error first, then fewest errors).
 *
 * No network fetching (authorityInfoAccess): a missing issuer is reported, never
 * fetched. Successful signature verifications are remembered per provider (bounded),
 * keyed by the signed certificate's SHA-256 and the issuer key, so re-verifying a chain
 * costs no signature work.
 *
 * ## Work budget (the bound on what one verification may cost)
 *
 * Everything a hostile peer can multiply draws on one budget per verification
 * ({@link DEFAULT_VERIFICATION_WORK} units unless `maxWork` says otherwise), shared by
 * every path the search considers — not one budget per path. The costs, in units
 * ({@link WORK_COST}):
 *
 * - a signature verification: 2,000 (a result already known in this verification, a
 *   success remembered from an earlier one, or an algorithm refused before any
 *   cryptography, costs nothing);
 * - an edge followed (a certificate tried as the issuer of the path's top): 100, plus 1
 *   per same-name candidate ranked;
 * - a complete path judged: 20 per certificate on it;
 * - name constraints: 1 per comparison of one presented name with one subtree.
 *
 * One unit is roughly one name comparison, a fraction of a microsecond; the weights
 * follow measured costs on the pure provider (a signature verification is thousands of
 * comparisons). With the default budget a verification therefore does at most 50
 * signature verifications, or about 1,000 edges, or 100,000 name comparisons, or a mix
 * whose total is 100,000 units. Measured on the pure provider on a shared 2-core
 * machine: 100,000 units of edges or comparisons cost 25-35 ms of CPU; signatures cost
 * what the algorithm costs (about 1-10 ms each for ECDSA and Ed25519 on the pure
 * provider, far less natively), so 50 of them are the expensive end of the bound. A
 * legitimate chain costs a few thousand units (one signature per link).
 *
 * Name constraints and policy processing run on a path only once every signature on it
 * has verified: an attacker cannot make us compare names under a forged CA. The search
 * also never follows a path longer than `maxDepth` + 10 certificates
 * ({@link HARD_MAX_PATH} at most).
 *
 * Running out of budget is never a silent pass: the verdict gets an `OtherErrors`
 * (fatal, index -1) saying so, on top of whatever was found until then.
 *
 * ## Checks and codes (index = position in the reported path, 0 = leaf)
 *
 * Per certificate other than the trust anchor (the leaf always, even when pinned as an anchor):
 * - malformed, duplicate or excess extensions, explicit/unknown version, extensions in v1/v2,
 *   serial not positive or over 20 octets, name attributes that break RFC 5280 Appendix A,
 *   a malformed subjectAltName (ParsedCertificate.problems; §4.1.2.1, §4.1.2.2, §4.1.2.4,
 *   §4.1.2.9, §4.2, §4.2.1.6) → `OtherErrors`;
 * - validity at the given time (§6.1.3 (a)(2), bounds inclusive) → `Expired` / `NotYetValid`;
 * - critical extensions not processed (§4.2) → `UnknownCriticalExtension`;
 * - public key: unsupported type, or RSA under 2048 bits → `OtherErrors`;
 * - malformed nameConstraints / policy extensions → `OtherErrors`;
 * - nameConstraints in a certificate that is not a CA (§4.2.1.10: "MUST be used only in
 *   a CA certificate") → `InvalidCertificateAuthorityPolicy`.
 * Per link (certificate i signed by certificate i+1):
 * - signature (§6.1.3 (a)(1)) → `InvalidSignature`; an algorithm that is refused (MD2,
 *   MD5, SHA-1) or not supported → `OtherErrors`, at the signed certificate.
 * Per issuer (i ≥ 1), the anchor included:
 * - basicConstraints cA (§6.1.4 (k); v1/v2 anchors are CAs by trust) → `BasicConstraintsError`;
 * - keyUsage present without keyCertSign (§6.1.4 (n)) → `BasicConstraintsError`;
 * - pathLenConstraint: non-self-issued intermediates below (§6.1.4 (l), (m)) → `BasicConstraintsError`;
 * - nameConstraints, applied to every later certificate's names except self-issued
 *   intermediates (§6.1.3 (b)-(c), §6.1.4 (g); name-constraints.ts) → `InvalidCertificateAuthorityPolicy`
 *   at the certificate whose name violates them; a nameConstraints extension that cannot
 *   be parsed or honoured → `OtherErrors`, on an intermediate and on the trust anchor alike
 *   (constraints fail closed wherever they appear);
 * - extendedKeyUsage of a CA (the anchor included) that lists neither the purpose nor
 *   anyExtendedKeyUsage (not RFC 5280; CA/Browser Forum, every browser, OpenSSL, Go) → `WrongUsage`.
 * Trust anchor:
 * - validity at the given time → `Expired` / `NotYetValid` (ignorable, as Windows reports
 *   them; RFC 5280 §6.1.1 (d) leaves the anchor's own validity to the relying party).
 * Per path:
 * - more non-self-issued intermediates than `maxDepth` (self-issued ones do not count,
 *   as for pathLenConstraint, §6.1.4 (l)) → `BasicConstraintsError` at the first one beyond the limit;
 * - an explicit policy required by policyConstraints, or a policy mapping of anyPolicy
 *   (policy.ts) → `InvalidCertificateAuthorityPolicy`;
 * - no path to a trust anchor → `Untrusted` or `IncompleteChain` at the top of the best
 *   partial path (see {@link validateChain}).
 * Leaf:
 * - extendedKeyUsage present without the requested purpose (§4.2.1.12) → `WrongUsage`;
 * - keyUsage present without digitalSignature (RFC 9846 §4.5.1.2) → `WrongUsage`;
 * - the server name against the SAN (RFC 9525 §6; hostname.ts) → `InvalidName`; with
 *   `requireServerName` and no name, `InvalidName` ("no name to check").
 *
 * Trust anchors are trusted input (§6.1.1 (d)): their signature, key size and extensions
 * are not checked, except that an anchor that issues must not deny being a CA, its
 * pathLenConstraint, nameConstraints and extendedKeyUsage are honoured, and its validity
 * is reported.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { isPromiseLike, type CryptoProvider, type MaybePromise, type PublicKeyInfo, type SyncCryptoProvider } from '../crypto/provider.js';
import { severityOf, type CertificateError, type CertificateErrorCode } from './verifier.js';
import { KeyUsage, Oid, bytesEqual, certificateSignatureScheme, parseIdentity, runSignatureChecks, unprocessedCriticalExtensions, verifyCertificateSignature, type ParsedCertificate, type SignatureCheck } from './x509.js';
import { verifyServerName } from './hostname.js';
import { AttributeOid, attributeValuesOf, nameKey } from './names.js';
import { constraintComparisons, nameConstraintViolations, presentedNames, tryParseNameConstraints, type NameConstraints } from './name-constraints.js';
import { ANY_POLICY, explicitPolicyAfter, parseCertificatePolicies, parseInhibitAnyPolicy, parsePolicyConstraints, parsePolicyMappings } from './policy.js';
import { toHex } from '../base/bytes.js';

/** Default `maxDepth`: intermediates allowed between the leaf and the trust anchor. */
export const DEFAULT_MAX_DEPTH = 8;
/** Largest `maxDepth` accepted. */
export const MAX_MAX_DEPTH = 32;
/** No path is ever longer than this many certificates, whatever `maxDepth` says. */
export const HARD_MAX_PATH = MAX_MAX_DEPTH + 2 + 8;
/** Smallest RSA modulus accepted outside trust anchors, in bits. */
export const MIN_RSA_BITS = 2048;

/**
 * Default work budget of one verification, in units (see "Work budget" in this module's
 * description, and {@link WORK_COST}): at most 50 signature verifications, about 1,000
 * path edges or 100,000 name comparisons, or any mix costing as much.
 */
export const DEFAULT_VERIFICATION_WORK = 100_000;

/**
 * Resolves a `maxWork` option.
 * @throws TlsError('InvalidConfig') for a value that is not an integer 1..2^31-1
 */
export function resolveMaxWork(maxWork: number | undefined): number {
  if (maxWork === undefined) return DEFAULT_VERIFICATION_WORK;
  if (!Number.isInteger(maxWork) || maxWork < 1 || maxWork > 2 ** 31 - 1) {
    throw new TlsError('InvalidConfig', { detail: 'maxWork must be an integer 1..2147483647' });
  }
  return maxWork;
}

/** Cost of each kind of work, in budget units (see "Work budget" in the module description). */
export const WORK_COST = {
  /** One signature verification (not charged when the result is already known). */
  signature: 2_000,
  /** Following one edge (a candidate issuer tried on top of the path). */
  edge: 100,
  /** Ranking one candidate issuer (per same-name certificate, each time a node's candidates are listed). */
  candidate: 1,
  /** Judging one complete path, per certificate on it. */
  pathCertificate: 20,
  /** Comparing one presented name with one name-constraint subtree. */
  nameComparison: 1,
} as const;

/**
 * Optional caps on single kinds of work, on top of the budget (tests and diagnostics).
 * Reaching one counts as running out of budget.
 * @deprecated use `maxWork`: one budget bounds every kind of work together.
 */
export interface SearchLimits {
  /** Signature verifications. */
  readonly maxSignatureChecks?: number;
  /** Edges followed (certificate → candidate issuer). */
  readonly maxEdges?: number;
  /** Complete paths to an anchor judged. */
  readonly maxPathsJudged?: number;
}

/** What the search did (for tests and diagnostics). */
export interface SearchStats {
  readonly signatureChecks: number;
  readonly edges: number;
  readonly pathsJudged: number;
  /** Name × subtree comparisons made. */
  readonly nameComparisons: number;
  /** Budget units spent. */
  readonly work: number;
  /** True if the work budget (or a {@link SearchLimits} cap) ran out; the verdict then has an `OtherErrors`. */
  readonly budgetExhausted: boolean;
  /** True if the search stopped before it was exhausted: out of budget, or paths longer than allowed were cut. */
  readonly limited: boolean;
}

/** The policy a chain is judged by. */
export interface ChainPolicy {
  readonly time: Date;
  readonly usage: 'serverAuth' | 'clientAuth';
  /** DNS name or IP literal; absent: no name check (unless `requireServerName`). */
  readonly serverName?: string;
  /** With no `serverName`, report `InvalidName` ("no name to check") instead of skipping the name check. */
  readonly requireServerName?: boolean;
  /** Intermediates allowed between leaf and anchor (self-issued ones not counted). */
  readonly maxDepth: number;
  /** RFC 6125 §6.4.4 CN fallback (hostname.ts); default false. */
  readonly commonNameFallback?: boolean;
  /** Work budget of this verification, in units; default {@link DEFAULT_VERIFICATION_WORK}. */
  readonly maxWork?: number;
  /** @deprecated extra caps; see {@link SearchLimits}. */
  readonly limits?: SearchLimits;
}

/** The certificates to judge, already parsed. */
export interface ChainInput {
  readonly leaf: ParsedCertificate;
  /** Other certificates supplied (any order; duplicates and strangers allowed). */
  readonly intermediates: readonly ParsedCertificate[];
  readonly anchors: readonly ParsedCertificate[];
  /** How many supplied certificates could not be parsed (mentioned when no path is found). */
  readonly unparsable?: number;
}

/** The engine's verdict. */
export interface ChainOutcome {
  /** The judged path, leaf first: up to the anchor when `anchored`, else the best partial path. */
  readonly chain: readonly ParsedCertificate[];
  readonly anchored: boolean;
  /** Every problem found, in path order. */
  readonly errors: readonly CertificateError[];
  /** The leaf's key, or null if it cannot be used (an `OtherErrors` at 0 says why). */
  readonly leafPublicKey: PublicKeyInfo | null;
  readonly stats: SearchStats;
}

const USAGE_OID = { serverAuth: Oid.serverAuth, clientAuth: Oid.clientAuth } as const;

/** Per-certificate facts derived once (names keys, policy and constraint extensions). */
interface Facts {
  readonly subjectKey: string;
  readonly issuerKey: string;
  /** Subject and issuer are the same name under RFC 5280 §7.1 comparison (§3.2 "self-issued"). */
  readonly selfIssued: boolean;
  /** (subject, key) identity: RFC 5280 trust anchors and loop detection. */
  readonly ident: string;
  readonly spkiHex: string;
  readonly nameConstraints: NameConstraints | TlsError | undefined;
  readonly requireExplicitPolicy: number | undefined;
  /** Problems with the policy extensions (malformed). */
  readonly policyProblems: readonly string[];
  /** A policy mapping to or from anyPolicy (§6.1.4 (a)). */
  readonly mapsAnyPolicy: boolean;
  readonly unknownCritical: readonly string[];
}

const factsCache = new WeakMap<ParsedCertificate, Facts>();

/** The trust anchors as the search reads them, built once per anchor list. */
interface AnchorIndex {
  /** (subject, key) identities of the anchors. */
  readonly idents: ReadonlySet<string>;
  /** SHA-256 of each anchor's DER. */
  readonly ders: ReadonlySet<string>;
  /** Anchors by subject name, duplicates (same DER) removed, in the order given. */
  readonly bySubject: ReadonlyMap<string, readonly ParsedCertificate[]>;
}

const anchorIndexes = new WeakMap<readonly ParsedCertificate[], AnchorIndex>();

/** The index of an anchor list; cached by the list's identity (anchor lists are not changed after parsing). */
function anchorIndexOf(anchors: readonly ParsedCertificate[]): AnchorIndex {
  let idx = anchorIndexes.get(anchors);
  if (idx) return idx;
  const idents = new Set<string>();
  const ders = new Set<string>();
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const a of anchors) {
    if (ders.has(a.sha256)) continue;
    ders.add(a.sha256);
    const f = factsOf(a);
    idents.add(f.ident);
    let l = bySubject.get(f.subjectKey);
    if (!l) bySubject.set(f.subjectKey, (l = []));
    l.push(a);
  }
  idx = { idents, ders, bySubject };
  anchorIndexes.set(anchors, idx);
  return idx;
}

function factsOf(presented: ParsedCertificate): Facts {
  // Keyed by (and derived from) the remembered parse, so the same certificate in the next
  // handshake reuses them (verify/x509.ts parseIdentity).
  const c = parseIdentity(presented);
  let f = factsCache.get(c);
  if (f) return f;
  const ext = (oid: string) => c.extensions.find((e) => e.oid === oid);
  const policyProblems: string[] = [];
  const tryParse = <T>(what: string, oid: string, parse: (v: Uint8Array) => T): T | undefined => {
    const e = ext(oid);
    if (!e) return undefined;
    try {
      return parse(e.value);
    } catch (err) {
      if (!(err instanceof TlsError)) throw err;
      policyProblems.push(`malformed ${what} extension (${err.detail ?? err.status})`);
      return undefined;
    }
  };
  tryParse('certificatePolicies', Oid.certificatePolicies, parseCertificatePolicies);
  tryParse('inhibitAnyPolicy', Oid.inhibitAnyPolicy, parseInhibitAnyPolicy);
  const mappings = tryParse('policyMappings', Oid.policyMappings, parsePolicyMappings);
  const pc = tryParse('policyConstraints', Oid.policyConstraints, parsePolicyConstraints);
  const nc = ext(Oid.nameConstraints);
  const subjectKey = nameKey(c.subjectDer);
  const issuerKey = c.selfIssued ? subjectKey : nameKey(c.issuerDer);
  const spkiHex = toHex(c.spki);
  f = {
    subjectKey,
    issuerKey,
    selfIssued: subjectKey === issuerKey,
    ident: `${subjectKey}\u0000${spkiHex}`,
    spkiHex,
    nameConstraints: nc ? tryParseNameConstraints(nc.value) : undefined,
    requireExplicitPolicy: pc?.requireExplicitPolicy,
    policyProblems,
    mapsAnyPolicy: mappings !== undefined && mappings.some(([a, b]) => a === ANY_POLICY || b === ANY_POLICY),
    unknownCritical: unprocessedCriticalExtensions(c),
  };
  factsCache.set(c, f);
  return f;
}

/**
 * Signatures already verified, per provider: (certificate SHA-256, issuer key) → ok. A
 * verification is a pure function of those inputs, so a repeated chain (every connection
 * to the same server) costs no signature work the second time. Bounded; only successes
 * are kept.
 */
const verifiedSignatures = new WeakMap<CryptoProvider, Map<string, true>>();
const VERIFIED_SIGNATURES_MAX = 2048;

function rememberVerified(crypto: CryptoProvider, id: string): void {
  let m = verifiedSignatures.get(crypto);
  if (!m) verifiedSignatures.set(crypto, (m = new Map()));
  if (m.size >= VERIFIED_SIGNATURES_MAX) m.delete(m.keys().next().value!);
  m.set(id, true);
}

/**
 * Public keys already parsed, per provider: SPKI (hex, the complete bytes) → key. Parsing is
 * a pure function of those bytes, and for some keys not a cheap one (an Ed25519 point is
 * decompressed: a square root), so the issuer and leaf keys of a repeated chain are parsed
 * once, not in every handshake (issue 9: verifier work per connection). Bounded; only keys
 * that parsed are kept.
 */
const parsedKeys = new WeakMap<CryptoProvider, Map<string, PublicKeyInfo>>();
const PARSED_KEYS_MAX = 256;

function rememberKey(crypto: CryptoProvider, spkiHex: string, key: PublicKeyInfo): void {
  let m = parsedKeys.get(crypto);
  if (!m) parsedKeys.set(crypto, (m = new Map()));
  if (m.size >= PARSED_KEYS_MAX) m.delete(m.keys().next().value!);
  m.set(spkiHex, key);
}

/**
 * The key of the signature on `child` by `issuer`'s key: `child SHA-256 / issuer SPKI hex`
 * (what {@link verifiedSignatures} and a search's own table are keyed by). The same string
 * object for the same pair while both are remembered: a fresh concatenation of ~250-600
 * characters had to be flattened and hashed for every lookup (three per edge per handshake).
 */
function edgeId(child: ParsedCertificate, issuer: ParsedCertificate): string {
  const f = factsOf(issuer);
  let byChild = edgeIds.get(f);
  if (!byChild) edgeIds.set(f, (byChild = new Map()));
  let id = byChild.get(child.sha256);
  if (id === undefined) {
    if (byChild.size >= EDGE_IDS_PER_ISSUER) byChild.delete(byChild.keys().next().value!);
    byChild.set(child.sha256, (id = `${child.sha256}/${f.spkiHex}`));
  }
  return id;
}
/** {@link edgeId} strings per issuer's facts, by the child's SHA-256 (bounded per issuer). */
const edgeIds = new WeakMap<Facts, Map<string, string>>();
const EDGE_IDS_PER_ISSUER = 64;

/**
 * The public key of a certificate from {@link parseRemembered} or `parseCertificate`, parsed
 * by `crypto` once per distinct SubjectPublicKeyInfo (the same per-provider memory the path
 * search uses: a pure function of the complete SPKI bytes, only keys that parsed are kept),
 * for the handshake's leaf key (handshake/peer-auth.ts). Taken from this module's memory,
 * never from a verifier.
 *
 * @param crypto - the provider that parses (and later verifies with) the key
 * @param c - the certificate
 * @returns the parsed key
 * @throws whatever `crypto.parsePublicKey` throws for a key it cannot use (not remembered)
 */
export function rememberedPublicKey(crypto: CryptoProvider, c: ParsedCertificate): PublicKeyInfo {
  const id = factsOf(c).spkiHex;
  const hit = parsedKeys.get(crypto)?.get(id);
  if (hit) return hit;
  const k = crypto.parsePublicKey(c.spki);
  rememberKey(crypto, id, k);
  return k;
}

/** Signature check outcome of one edge: 0 verified, 1 not verifiable (refused/unsupported), 2 bad. */
type EdgeClass = 0 | 1 | 2;

/** The work budget of one verification (see the module description). */
class WorkBudget {
  spent = 0;
  exhausted = false;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  /** Takes `units` from the budget; false (and exhausted from then on) if they are not there. */
  spend(units: number): boolean {
    if (this.exhausted) return false;
    if (this.spent + units > this.limit) {
      this.exhausted = true;
      return false;
    }
    this.spent += units;
    return true;
  }
}

/**
 * The validation time, and the interval of times around it that every comparison made with
 * it so far would have answered alike: the outcome of a search is the same for any time in
 * [`from`, `to`] (all other inputs equal), since the time enters it only through these
 * comparisons (candidate ranking, RFC 5280 §6.1.3 (a)(2) validity). Bounds are inclusive,
 * in integer milliseconds (Date values); a time that is not a number matches no interval.
 */
class TimeWindow {
  readonly now: number;
  from = -Infinity;
  to = Infinity;
  constructor(now: number) {
    this.now = now;
  }
  private atLeast(t: number): void {
    if (t > this.from) this.from = t;
  }
  private atMost(t: number): void {
    if (t < this.to) this.to = t;
  }
  /** `now < t` */
  before(t: number): boolean {
    const r = this.now < t;
    if (r) this.atMost(t - 1);
    else this.atLeast(t);
    return r;
  }
  /** `now > t` */
  after(t: number): boolean {
    const r = this.now > t;
    if (r) this.atLeast(t + 1);
    else this.atMost(t);
    return r;
  }
}

/** The {@link TimeWindow} bounds of each outcome {@link validateChain} returned. */
const outcomeWindows = new WeakMap<ChainOutcome, { readonly from: number; readonly to: number }>();

/**
 * The times at which {@link validateChain} would return the same outcome for the same
 * inputs: every comparison of the validation time (candidate ranking, certificate validity)
 * answers alike for any time in [`from`, `to`] (inclusive, milliseconds). Undefined for an
 * object that validateChain did not return.
 */
export function outcomeTimeWindow(outcome: ChainOutcome): { readonly from: number; readonly to: number } | undefined {
  return outcomeWindows.get(outcome);
}

/** Everything a path judgement needs from the search. */
interface JudgeContext {
  readonly policy: ChainPolicy;
  /** The validation time; every comparison with it goes through here. */
  readonly clock: TimeWindow;
  readonly leaf: ParsedCertificate;
  /** The leaf's common name when the CN fallback matched (a dNSName for name constraints too). */
  readonly cnUsed: string | undefined;
  readonly budget: WorkBudget;
  /** The signature on `child` by `issuer` as the search found it (undefined: not checked, budget spent). */
  readonly signatureOf: (child: ParsedCertificate, issuer: ParsedCertificate) => SignatureCheck | TlsError | undefined;
  readonly keyOf: (c: ParsedCertificate) => PublicKeyInfo | TlsError;
  /** Counts name comparisons made (statistics). */
  comparisons: number;
}

/**
 * The name check of RFC 9525 §6 (hostname.ts), on the leaf alone: the same for every
 * path, so done once.
 */
export function checkName(leaf: ParsedCertificate, policy: Pick<ChainPolicy, 'serverName' | 'requireServerName' | 'commonNameFallback'>): { errors: CertificateError[]; cnUsed: string | undefined } {
  const name = policy.serverName;
  if (name === undefined || name === '') {
    if (policy.requireServerName !== true) return { errors: [], cnUsed: undefined };
    return {
      errors: [{ code: 'InvalidName', index: 0, detail: 'no name to check: no server name was given, so the certificate proves nothing about which host was reached (RFC 9525 §6)' }],
      cnUsed: undefined,
    };
  }
  const fallback = policy.commonNameFallback === true;
  // A verdict is a pure function of the leaf's parsed names, the reference name and the
  // fallback option, so the same leaf and name in the next handshake reuse it (issue 9:
  // verifier work per connection), keyed by the remembered parse as factsOf is. Callers get
  // their own error objects.
  const id = parseIdentity(leaf);
  const key = `${fallback ? 1 : 0}${name}`;
  let memo = nameChecks.get(id);
  let r = memo?.get(key);
  if (r === undefined) {
    r = checkNameUncached(id, name, fallback);
    if (!memo) nameChecks.set(id, (memo = new Map()));
    if (memo.size >= NAME_CHECKS_PER_LEAF) memo.delete(memo.keys().next().value!);
    memo.set(key, r);
  }
  return { errors: r.errors.map((e) => ({ ...e })), cnUsed: r.cnUsed };
}

/** Name-check verdicts per remembered leaf parse and (fallback option, reference name); see {@link checkName}. */
const nameChecks = new WeakMap<ParsedCertificate, Map<string, { readonly errors: readonly CertificateError[]; readonly cnUsed: string | undefined }>>();
/** Reference names remembered per leaf (a certificate serving many names is checked against a few at a time). */
const NAME_CHECKS_PER_LEAF = 16;

/** {@link checkName} for a given name, without the memo. */
function checkNameUncached(leaf: ParsedCertificate, name: string, fallback: boolean): { errors: CertificateError[]; cnUsed: string | undefined } {
  // RFC 6125 §6.4.4 allows the CN only when the certificate presents no DNS identifier: a SAN
  // that cannot be read might hold one, and a CN that cannot be read might be the one that
  // matters, so neither case falls back (a wrong earlier CN must not stand in).
  const cns = fallback ? attributeValuesOf(leaf.subjectDer, AttributeOid.commonName) : undefined;
  const blocked = fallback && (leaf.subjectAltNameMalformed || cns!.unreadable);
  const n = verifyServerName({ dnsNames: leaf.dnsNames, ipAddresses: leaf.ipAddresses, commonNames: blocked ? undefined : cns?.values }, name, {
    commonNameFallback: fallback && !blocked,
  });
  if (n.ok) return { errors: [], cnUsed: n.commonName };
  const why = !blocked ? '' : leaf.subjectAltNameMalformed ? '; the subjectAltName is malformed, so no common name is used' : '; a common name cannot be decoded, so no common name is used';
  return { errors: [{ code: 'InvalidName', index: 0, detail: `${n.detail}${why}` }], cnUsed: undefined };
}

/**
 * Builds the best certification path for `input.leaf` and judges it (see the module
 * description for the search, the work budget and every check).
 *
 * When no path reaches a trust anchor, the best partial path (fewest bad-signature links,
 * then longest) is reported with one more error at its top certificate T:
 * - `Untrusted` if T is self-signed (a root that is not trusted), if the search was cut
 *   short, if certificates named like T's issuer are known but none can be its
 *   issuer (key identifier mismatch, loop), or if T's issuer is simply unknown and every
 *   supplied certificate is on the path (a peer may omit the root, RFC 9846 §4.5.1, so
 *   this is most often a CA we do not trust);
 * - `IncompleteChain` if T's issuer is unknown and some supplied certificates could not
 *   be linked (no path reached them) or parsed: the chain has a gap.
 * When the work budget ran out, an `OtherErrors` (index -1) is added as well.
 *
 * @param input - parsed leaf, intermediates and trust anchors
 * @param policy - time, usage, name, depth, work budget
 * @param crypto - provider for keys and signatures
 * @returns the path, whether it reaches an anchor, all errors, and search statistics
 */
export function validateChain(input: ChainInput, policy: ChainPolicy, crypto: SyncCryptoProvider): ChainOutcome;
export function validateChain(input: ChainInput, policy: ChainPolicy, crypto: CryptoProvider): MaybePromise<ChainOutcome>;
export function validateChain(input: ChainInput, policy: ChainPolicy, crypto: CryptoProvider): MaybePromise<ChainOutcome> {
  return runSignatureChecks(searchChain(input, policy, crypto));
}


/**
 * The search of {@link validateChain} as a generator: it yields a signature check only when
 * the provider answers with a promise, and is given the verdict back; everything else,
 * including the work budget, is exactly as in a synchronous run (the budget is spent before
 * a check is started, never after).
 */
function* searchChain(input: ChainInput, policy: ChainPolicy, crypto: CryptoProvider): Generator<Promise<SignatureCheck>, ChainOutcome, SignatureCheck> {
  const leaf = input.leaf;
  const clock = new TimeWindow(policy.time.getTime());
  const budget = new WorkBudget(policy.maxWork ?? DEFAULT_VERIFICATION_WORK);
  const maxSig = policy.limits?.maxSignatureChecks ?? Infinity;
  const maxEdges = policy.limits?.maxEdges ?? Infinity;
  const maxPaths = policy.limits?.maxPathsJudged ?? Infinity;
  const maxPath = Math.min(HARD_MAX_PATH, policy.maxDepth + 2 + 8);

  // The anchors' side of the search, indexed once per anchor list (a config's verifier keeps
  // one list for all its connections: a root store of ~140 anchors costs nothing per chain).
  const anchorIndex = anchorIndexOf(input.anchors);
  const isAnchor = (c: ParsedCertificate): boolean => anchorIndex.idents.has(factsOf(c).ident);
  // An anchor that is the leaf itself is not its own issuer candidate.
  const leafIsAnchor = anchorIndex.ders.has(leaf.sha256);

  // Supplied certificates, after the anchors; duplicates (same DER) removed.
  const supplied: ParsedCertificate[] = [];
  const seenDer = new Set<string>([leaf.sha256]);
  for (const c of input.intermediates) {
    if (seenDer.has(c.sha256) || anchorIndex.ders.has(c.sha256)) continue;
    // A supplied certificate with an anchor's name and key adds nothing, and must not stand
    // in for it: an anchor's own constraints come from the configured anchor only (a peer
    // could otherwise send a copy of it stripped of nameConstraints or pathLen).
    if (isAnchor(c)) continue;
    seenDer.add(c.sha256);
    supplied.push(c);
  }
  const suppliedBySubject = new Map<string, ParsedCertificate[]>();
  for (const c of supplied) {
    const k = factsOf(c).subjectKey;
    let l = suppliedBySubject.get(k);
    if (!l) suppliedBySubject.set(k, (l = []));
    l.push(c);
  }
  /** Known certificates with this subject: anchors first, then the supplied ones. */
  const namedBy = (subjectKey: string): readonly ParsedCertificate[] => {
    let a = anchorIndex.bySubject.get(subjectKey) ?? [];
    if (leafIsAnchor) a = a.filter((c) => c.sha256 !== leaf.sha256);
    const b = suppliedBySubject.get(subjectKey);
    return b ? [...a, ...b] : a;
  };

  // Keys and signatures, each computed once.
  const keys = new Map<string, PublicKeyInfo | TlsError>();
  const keyOf = (c: ParsedCertificate): PublicKeyInfo | TlsError => {
    const id = factsOf(c).spkiHex;
    let k = keys.get(id);
    if (!k) {
      k = parsedKeys.get(crypto)?.get(id);
      if (!k) {
        try {
          k = crypto.parsePublicKey(c.spki);
          rememberKey(crypto, id, k);
        } catch (e) {
          k = e instanceof TlsError ? e : new TlsError('CertificateUnsupported', { detail: String(e), cause: e });
        }
      }
      keys.set(id, k);
    }
    return k;
  };
  let signatureChecks = 0;
  let edges = 0;
  let pathsJudged = 0;
  let cutShort = false; // a path was longer than allowed
  const reached = new Set<string>([leaf.sha256]); // certificates the search put on some path
  const outOfBudget = (): boolean => {
    budget.exhausted = true;
    return false;
  };
  const sigs = new Map<string, SignatureCheck | TlsError>();
  /** The signature on `child` by `issuer`'s key; undefined if the budget is spent. */
  function* signatureOf(child: ParsedCertificate, issuer: ParsedCertificate): Generator<Promise<SignatureCheck>, SignatureCheck | TlsError | undefined, SignatureCheck> {
    const id = edgeId(child, issuer);
    let r = sigs.get(id);
    if (r) return r;
    const key = keyOf(issuer);
    if (key instanceof TlsError) {
      r = key;
    } else if (verifiedSignatures.get(crypto)?.has(id)) {
      r = { ok: true };
    } else {
      const method = certificateSignatureScheme(child, key);
      if (method.kind === 'unsupported') {
        // Refused before any cryptography (weak or unknown algorithm, key mismatch): free.
        r = { ok: false, reason: 'unsupported', detail: method.detail };
      } else {
        if (signatureChecks >= maxSig) outOfBudget();
        if (!budget.spend(WORK_COST.signature)) return undefined;
        signatureChecks++;
        const v = verifyCertificateSignature(crypto, child, key);
        const checked: SignatureCheck = isPromiseLike(v) ? yield Promise.resolve(v) : v;
        if (checked.ok) rememberVerified(crypto, id);
        r = checked;
      }
    }
    sigs.set(id, r);
    return r;
  }
  const edgeClass = (r: SignatureCheck | TlsError): EdgeClass => (r instanceof TlsError ? 1 : r.ok ? 0 : r.reason === 'unsupported' ? 1 : 2);
  function* selfSigned(c: ParsedCertificate): Generator<Promise<SignatureCheck>, boolean, SignatureCheck> {
    const r = yield* signatureOf(c, c);
    return r !== undefined && !(r instanceof TlsError) && r.ok;
  }

  const candidates = (c: ParsedCertificate, inPath: ReadonlySet<string>): ParsedCertificate[] => {
    const f = factsOf(c);
    const list = namedBy(f.issuerKey);
    if (!budget.spend(list.length * WORK_COST.candidate)) return [];
    const out: { cert: ParsedCertificate; rank: number; order: number }[] = [];
    list.forEach((n, order) => {
      // Loops: a certificate already on the path is not added again. A trust anchor ends a
      // path, so it cannot loop: a leaf with an anchor's name and key (but not its bytes) is
      // issued by that anchor, and its signature is checked like any other.
      if (inPath.has(factsOf(n).ident) && !isAnchor(n)) return;
      // RFC 5280 §4.2.1.1: the AKI keyIdentifier names the issuer's SKI.
      let akiRank = 1;
      if (c.authorityKeyId && n.subjectKeyId) {
        if (!bytesEqual(c.authorityKeyId, n.subjectKeyId)) return;
        akiRank = 0;
      }
      const anchorRank = isAnchor(n) ? 0 : 1;
      const timeRank = !clock.before(n.notBefore.getTime()) && !clock.after(n.notAfter.getTime()) ? 0 : 1;
      out.push({ cert: n, rank: anchorRank * 4 + akiRank * 2 + timeRank, order });
    });
    out.sort((a, b) => a.rank - b.rank || a.order - b.order);
    return out.map((x) => x.cert);
  };

  // The name check depends on the leaf alone: once, outside the search.
  const named = checkName(leaf, policy);
  // Every link of a judged path was checked by the search before it was followed.
  const checkedLink = (child: ParsedCertificate, issuer: ParsedCertificate) => sigs.get(edgeId(child, issuer));
  const cx: JudgeContext = { policy, clock, leaf, cnUsed: named.cnUsed, budget, signatureOf: checkedLink, keyOf, comparisons: 0 };

  type Judged = { path: readonly ParsedCertificate[]; errors: CertificateError[] };
  let best: Judged | null = null;
  let bestPartial: { path: readonly ParsedCertificate[]; bad: number } = { path: [leaf], bad: 0 };
  const fatalOf = (e: readonly CertificateError[]) => (severityOf(e) === 'fatal' ? 1 : 0);
  const better = (e: CertificateError[]): boolean =>
    best === null || fatalOf(e) < fatalOf(best.errors) || (fatalOf(e) === fatalOf(best.errors) && e.length < best.errors.length);

  /** Depth-first search; returns true to stop (a clean path was found or the budget is spent). */
  function* search(path: ParsedCertificate[], inPath: Set<string>, bad: number): Generator<Promise<SignatureCheck>, boolean, SignatureCheck> {
    const top = path[path.length - 1]!;
    // The leaf is the trust anchor only when it is the anchor's own certificate (the same
    // DER): a leaf that merely shares an anchor's name and key is judged like any other,
    // or its names, validity and usages would come from bytes nobody signed.
    if (path.length === 1 ? leafIsAnchor : isAnchor(top)) {
      if (pathsJudged >= maxPaths) return !outOfBudget();
      if (!budget.spend(path.length * WORK_COST.pathCertificate)) return true;
      pathsJudged++;
      const e = judgePath(path, true, cx);
      if (better(e)) best = { path: [...path], errors: e };
      return e.length === 0 || budget.exhausted;
    }
    if (bad < bestPartial.bad || (bad === bestPartial.bad && path.length > bestPartial.path.length)) bestPartial = { path: [...path], bad };
    // A self-signed certificate is a root: the path ends there. Self-issued certificates
    // signed by another key (key rollover, RFC 5280 §3.2) still chain on.
    // (Not a leaf with an anchor's name and key: that anchor is its issuer, just below.)
    if (factsOf(top).selfIssued && !isAnchor(top) && (yield* selfSigned(top))) return budget.exhausted;
    const next = candidates(top, inPath);
    if (budget.exhausted) return true;
    if (next.length === 0) return false;
    if (path.length >= maxPath) {
      cutShort = true;
      return false;
    }
    // Verified edges first, at once; unverifiable, then bad ones, after them.
    const deferred: [ParsedCertificate, EdgeClass][] = [];
    function* follow(n: ParsedCertificate, cls: EdgeClass): Generator<Promise<SignatureCheck>, boolean, SignatureCheck> {
      if (edges >= maxEdges) return !outOfBudget();
      if (!budget.spend(WORK_COST.edge)) return true;
      edges++;
      reached.add(n.sha256);
      path.push(n);
      const id = factsOf(n).ident;
      inPath.add(id);
      const stop = yield* search(path, inPath, bad + (cls === 2 ? 1 : 0));
      path.pop();
      inPath.delete(id);
      return stop;
    }
    for (const n of next) {
      const r = yield* signatureOf(top, n);
      if (r === undefined) return true; // budget spent
      const cls = edgeClass(r);
      if (cls === 0) {
        if (yield* follow(n, 0)) return true;
      } else {
        deferred.push([n, cls]);
      }
    }
    // Unverified edges only serve to report the best broken path when nothing better is
    // known: once some path reached an anchor, a path through an unverifiable or forged
    // link cannot beat it (its verdict is fatal), so they are no longer explored.
    deferred.sort((a, b) => a[1] - b[1]);
    for (const [n, cls] of deferred) {
      if (best !== null) break;
      if (yield* follow(n, cls)) return true;
    }
    return false;
  }

  yield* search([leaf], new Set([factsOf(leaf).ident]), 0);

  const leafKey = keyOf(leaf);
  const leafPublicKey = leafKey instanceof TlsError ? null : leafKey;
  const stats = (): SearchStats => ({
    signatureChecks,
    edges,
    pathsJudged,
    nameComparisons: cx.comparisons,
    work: budget.spent,
    budgetExhausted: budget.exhausted,
    limited: budget.exhausted || cutShort,
  });
  const exhausted = (): CertificateError[] =>
    budget.exhausted
      ? [
          {
            code: 'OtherErrors',
            index: -1,
            detail: `verification work budget exhausted (${budget.limit} units: ${signatureChecks} signature checks, ${edges} links, ${pathsJudged} paths, ${cx.comparisons} name comparisons); the chain cannot be accepted`,
          },
        ]
      : [];
  const found = best as Judged | null;
  if (found !== null) {
    return withWindow({ chain: found.path, anchored: true, errors: sortErrors([...found.errors, ...named.errors, ...exhausted()]), leafPublicKey, stats: stats() }, clock);
  }

  const chain = bestPartial.path;
  const errors = judgePath(chain, false, cx);
  const topIndex = chain.length - 1;
  const top = chain[topIndex]!;
  const topFacts = factsOf(top);
  const issuerKnown = namedBy(topFacts.issuerKey).length > 0 || factsOf(leaf).subjectKey === topFacts.issuerKey;
  const unreached = (): string => {
    // Supplied certificates that no path ever reached: they do not link to the leaf.
    const unlinked = supplied.filter((c) => !reached.has(c.sha256)).length;
    const parts: string[] = [];
    if (unlinked > 0) parts.push(`${unlinked} certificate(s) supplied do not link to the chain`);
    if ((input.unparsable ?? 0) > 0) parts.push(`${input.unparsable} could not be parsed`);
    return parts.join(', and ');
  };
  let final: CertificateError;
  if (budget.exhausted || cutShort) {
    final = {
      code: 'Untrusted',
      index: topIndex,
      detail: budget.exhausted
        ? 'no path to a trust anchor was found before the work budget ran out'
        : `no path to a trust anchor within the search limits (paths of at most ${maxPath} certificates)`,
    };
  } else if (topFacts.selfIssued && (yield* selfSigned(top))) {
    final = { code: 'Untrusted', index: topIndex, detail: `root "${top.subject}" is not a trust anchor` };
  } else if (issuerKnown) {
    final = {
      code: 'Untrusted',
      index: topIndex,
      detail: `a certificate named "${top.issuer}" is known, but none can be the issuer of ${topIndex === 0 ? 'the leaf' : `certificate ${topIndex}`} (key identifier mismatch or a loop)`,
    };
  } else {
    const what = `issuer "${top.issuer}" of ${topIndex === 0 ? 'the leaf' : `certificate ${topIndex}`} was not supplied and is not a trust anchor`;
    const gap = unreached();
    final = gap ? { code: 'IncompleteChain', index: topIndex, detail: `${what}; ${gap}` } : { code: 'Untrusted', index: topIndex, detail: what };
  }
  errors.push(final, ...named.errors, ...exhausted());
  return withWindow({ chain, anchored: false, errors: sortErrors(errors), leafPublicKey, stats: stats() }, clock);
}

function withWindow(outcome: ChainOutcome, clock: TimeWindow): ChainOutcome {
  outcomeWindows.set(outcome, { from: clock.from, to: clock.to });
  return outcome;
}

function sortErrors(errors: CertificateError[]): CertificateError[] {
  // Stable: by certificate index (path-wide errors, index -1, first), then in the order found.
  return errors.map((e, i) => [e, i] as const).sort((a, b) => a[0].index - b[0].index || a[1] - b[1]).map(([e]) => e);
}

/**
 * Every check on one path except the name check (see the module description). Name
 * constraints and policy processing run only when every signature on the path verified,
 * and name comparisons are paid for from the budget before they are made.
 */
function judgePath(path: readonly ParsedCertificate[], anchored: boolean, cx: JudgeContext): CertificateError[] {
  const { policy, clock, leaf, budget } = cx;
  const out: CertificateError[] = [];
  const add = (code: CertificateErrorCode, index: number, detail: string) => out.push({ code, index, detail });
  const last = path.length - 1;
  const usageOid = USAGE_OID[policy.usage];
  const who = (i: number): string => (i === 0 ? 'leaf' : `certificate ${i} (${path[i]!.subject})`); // names rendered only for errors

  // The signature on each certificate by its issuer, the next certificate in the path
  // (RFC 5280 §6.1.3 (a)(1)); known from the search, so these cost nothing here.
  let allVerified = true;
  for (let i = 0; i < last; i++) {
    const r = cx.signatureOf(path[i]!, path[i + 1]!);
    if (r === undefined) add('OtherErrors', i, `${who(i)}: signature not checked (work budget exhausted)`);
    else if (r instanceof TlsError) add('OtherErrors', i, `${who(i)}: issuer key unusable (${r.detail ?? r.status})`);
    else if (!r.ok) add(r.reason === 'invalid' ? 'InvalidSignature' : 'OtherErrors', i, `${who(i)}: ${r.detail}`);
    if (r === undefined || r instanceof TlsError || !r.ok) allVerified = false;
  }

  for (let i = 0; i <= last; i++) {
    const c = path[i]!;
    const f = factsOf(c);
    const isTrustAnchor = anchored && i === last;
    // A trust anchor is trusted input (RFC 5280 §6.1.1 (d)); the leaf is always checked, even when pinned.
    if (!isTrustAnchor || i === 0) {
      // RFC 5280 §4.1.2.1, §4.1.2.2, §4.1.2.4, §4.1.2.9, §4.2, §4.2.1.6: structure problems found by the parser.
      for (const p of c.problems) add('OtherErrors', i, `${who(i)}: ${p}`);
      for (const p of f.policyProblems) add('OtherErrors', i, `${who(i)}: ${p}`);
      if (f.nameConstraints instanceof TlsError) add('OtherErrors', i, `${who(i)}: malformed nameConstraints extension (${f.nameConstraints.detail ?? f.nameConstraints.status})`);
      // RFC 5280 §4.2.1.10: "The name constraints extension, which MUST be used only in a CA certificate".
      if (f.nameConstraints !== undefined && !c.isCA) add('InvalidCertificateAuthorityPolicy', i, `${who(i)} is not a CA but carries nameConstraints`);
      // RFC 5280 §6.1.3 (a)(2): notBefore <= time <= notAfter.
      if (clock.before(c.notBefore.getTime())) add('NotYetValid', i, `${who(i)} is not valid before ${c.notBefore.toISOString()}`);
      if (clock.after(c.notAfter.getTime())) add('Expired', i, `${who(i)} expired at ${c.notAfter.toISOString()}`);
      // RFC 5280 §4.2: unrecognised critical extensions.
      if (f.unknownCritical.length > 0) add('UnknownCriticalExtension', i, `${who(i)} has unsupported critical extension(s) ${f.unknownCritical.join(', ')}`);
      // Keys: a type we support, and RSA of at least 2048 bits (NIST SP 800-131A; CA/Browser Forum BR §6.1.5).
      const k = cx.keyOf(c);
      if (k instanceof TlsError) add('OtherErrors', i, `${who(i)} public key: ${k.detail ?? k.status}`);
      else if ((k.type === 'rsa' || k.type === 'rsa-pss') && (k.bits ?? 0) < MIN_RSA_BITS) add('OtherErrors', i, `${who(i)} has a ${k.bits}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
      // RFC 5280 §6.1.4 (a): anyPolicy must not be mapped.
      if (f.mapsAnyPolicy) add('InvalidCertificateAuthorityPolicy', i, `${who(i)} maps anyPolicy (policyMappings)`);
    } else {
      // The trust anchor's own validity: reported, ignorable (Windows reports an expired
      // root the same way; RFC 5280 §6.1.1 (d) leaves it to the relying party).
      if (clock.before(c.notBefore.getTime())) add('NotYetValid', i, `trust anchor ${who(i)} is not valid before ${c.notBefore.toISOString()}`);
      if (clock.after(c.notAfter.getTime())) add('Expired', i, `trust anchor ${who(i)} expired at ${c.notAfter.toISOString()}`);
      // Constraints fail closed wherever they appear: an anchor whose nameConstraints cannot
      // be parsed or honoured is not an unconstrained anchor.
      if (f.nameConstraints instanceof TlsError) {
        add('OtherErrors', i, `trust anchor ${who(i)}: nameConstraints cannot be honoured (${f.nameConstraints.detail ?? f.nameConstraints.status})`);
      }
    }
    if (i >= 1) {
      // RFC 5280 §6.1.4 (k): issuers must be CAs (v1/v2 anchors are CAs by out-of-band trust).
      if (!c.isCA && (!isTrustAnchor || c.version === 3)) add('BasicConstraintsError', i, `${who(i)} is not a CA but issued certificate ${i - 1}`);
      // §6.1.4 (n): if key usage is present, keyCertSign must be set.
      if (c.keyUsage !== undefined && (c.keyUsage & KeyUsage.keyCertSign) === 0) add('BasicConstraintsError', i, `${who(i)} key usage does not allow certificate signing`);
      // §6.1.4 (l), (m): pathLenConstraint counts the non-self-issued intermediates below this CA.
      if (c.pathLen !== undefined) {
        let below = 0;
        for (let j = 1; j < i; j++) if (!factsOf(path[j]!).selfIssued) below++;
        if (below > c.pathLen) add('BasicConstraintsError', i, `${who(i)} allows ${c.pathLen} intermediate(s) below it, found ${below}`);
      }
      // Not RFC 5280 (which leaves EKU in CA certificates undefined): CA/B Forum BR §7.1.2.2 and browsers treat it as a constraint.
      // On the trust anchor too (OpenSSL, Go and mozilla::pkix check the whole path): like its
      // pathLenConstraint and nameConstraints, a constraint the anchor carries is honoured.
      if (c.extKeyUsage && !c.extKeyUsage.includes(usageOid) && !c.extKeyUsage.includes(Oid.anyExtendedKeyUsage)) {
        add('WrongUsage', i, `${who(i)} extended key usage excludes ${policy.usage}`);
      }
      // RFC 5280 §6.1.3 (b)-(c), §6.1.4 (g): name constraints bind every certificate below,
      // except self-issued intermediates; the leaf always. Only on a path that reaches an
      // anchor and whose every signature verified: constraints of a forged or unanchored
      // CA mean nothing, and evaluating them would let hostile certificates buy CPU.
      const nc = anchored && allVerified && !budget.exhausted ? f.nameConstraints : undefined;
      if (nc !== undefined && !(nc instanceof TlsError)) {
        for (let j = 0; j < i; j++) {
          const d = path[j]!;
          if (j > 0 && factsOf(d).selfIssued) continue;
          const names = presentedNames(d, j === 0 ? cx.cnUsed : undefined);
          const cost = constraintComparisons(nc, names);
          if (!budget.spend(cost * WORK_COST.nameComparison)) {
            add('OtherErrors', j, `${who(j)}: name constraints of ${who(i)} not checked (work budget exhausted)`);
            break;
          }
          cx.comparisons += cost;
          for (const v of nameConstraintViolations(nc, names, (der) => (bytesEqual(der, d.subjectDer) ? d.subject : '(directoryName)'))) {
            add('InvalidCertificateAuthorityPolicy', j, `${who(j)}: ${v} of ${who(i)}`);
          }
        }
      }
    }
  }

  // Path length: non-self-issued intermediates between leaf and anchor (RFC 5280 §6.1.4 (l)
  // does not count self-issued ones toward pathLenConstraint; maxDepth follows the same rule).
  if (anchored) {
    let counted = 0;
    for (let i = 1; i < last; i++) {
      if (factsOf(path[i]!).selfIssued) continue;
      counted++;
      if (counted === policy.maxDepth + 1) {
        const total = path.slice(1, last).filter((c) => !factsOf(c).selfIssued).length;
        add('BasicConstraintsError', i, `the path has ${total} intermediate certificates, more than the maximum depth ${policy.maxDepth} (self-issued ones not counted)`);
      }
    }
  }

  // RFC 5280 §6.1.5 (g): an explicit policy requirement needs the policy tree, which is not
  // built. Policy processing, like name constraints, only on a path whose signatures verified.
  if (allVerified) {
    const rfcOrder = (anchored ? path.slice(0, last) : path.slice()).reverse().map((c) => ({ c, selfIssued: factsOf(c).selfIssued }));
    if (rfcOrder.some((x) => factsOf(x.c).requireExplicitPolicy !== undefined)) {
      if (explicitPolicyAfter(rfcOrder, (x) => factsOf(x.c).requireExplicitPolicy) === 0) {
        const at = path.findIndex((c) => factsOf(c).requireExplicitPolicy !== undefined);
        add('InvalidCertificateAuthorityPolicy', at, `${who(at)} requires an explicit certificate policy (policyConstraints); policy processing is not supported`);
      }
    }
  }

  // Leaf purpose (RFC 5280 §4.2.1.12; RFC 9846 §4.5.1.2: digitalSignature for the handshake signature).
  if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(usageOid)) {
    add('WrongUsage', 0, `leaf extended key usage (${leaf.extKeyUsage.join(', ')}) excludes ${policy.usage}`);
  }
  if (leaf.keyUsage !== undefined && (leaf.keyUsage & KeyUsage.digitalSignature) === 0) {
    add('WrongUsage', 0, 'leaf key usage does not allow digitalSignature');
  }
  return sortErrors(out);
}
