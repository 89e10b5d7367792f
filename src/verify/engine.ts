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
 * comes up; unverifiable and bad-signature edges are kept for later, so a forged or
 * weak-signed certificate is still reported when it is all there is); among those, trust
 * anchors first, then a matching key identifier, then valid at the validation time (so of
 * an expired and a valid issuer with the same name, the valid one is taken), then the
 * order given. A path ends at a trust anchor (a subject name and key, §6.1.1 (d)) or at
 * a self-signed certificate. A certificate whose (subject, key) is already on the path is
 * not added again (loops, including cross-certificate loops). Every path reaching an
 * anchor is judged by all the checks below; the search stops at the first path without
 * errors and otherwise keeps the best (no fatal error first, then fewest errors).
 *
 * The search is bounded ({@link SearchLimits}): signature verifications, edges followed
 * and paths judged are counted and capped, and no path exceeds {@link HARD_MAX_PATH}
 * certificates, so pathological inputs (hundreds of same-name issuers, key-sharing
 * cross-certificate meshes) end quickly with what was found. No network fetching
 * (authorityInfoAccess): a missing issuer is reported, never fetched. Successful
 * signature verifications are remembered per provider (bounded), keyed by the signed
 * certificate's SHA-256 and the issuer key, so re-verifying a chain costs no signature
 * work.
 *
 * ## Checks and codes (index = position in the reported path, 0 = leaf)
 *
 * Per certificate other than the trust anchor (the leaf always, even when pinned as an anchor):
 * - malformed, duplicate or excess extensions, explicit/unknown version, extensions in v1/v2,
 *   serial not positive or over 20 octets (ParsedCertificate.problems; §4.1.2.1, §4.1.2.2,
 *   §4.1.2.9, §4.2) → `OtherErrors`;
 * - validity at the given time (§6.1.3 (a)(2), bounds inclusive) → `Expired` / `NotYetValid`;
 * - critical extensions not processed (§4.2) → `UnknownCriticalExtension`;
 * - public key: unsupported type, or RSA under 2048 bits → `OtherErrors`;
 * - malformed nameConstraints / policy extensions → `OtherErrors`.
 * Per link (certificate i signed by certificate i+1):
 * - signature (§6.1.3 (a)(1)) → `InvalidSignature`; an algorithm that is refused (MD2,
 *   MD5, SHA-1) or not supported → `OtherErrors`, at the signed certificate.
 * Per issuer (i ≥ 1), the anchor included:
 * - basicConstraints cA (§6.1.4 (k); v1/v2 anchors are CAs by trust) → `BasicConstraintsError`;
 * - keyUsage present without keyCertSign (§6.1.4 (n)) → `BasicConstraintsError`;
 * - pathLenConstraint: non-self-issued intermediates below (§6.1.4 (l), (m)) → `BasicConstraintsError`;
 * - nameConstraints, applied to every later certificate's names except self-issued
 *   intermediates (§6.1.3 (b)-(c), §6.1.4 (g); name-constraints.ts) → `InvalidCertificateAuthorityPolicy`
 *   at the certificate whose name violates them;
 * - extendedKeyUsage of a non-anchor CA that lists neither the purpose nor
 *   anyExtendedKeyUsage (not RFC 5280; CA/Browser Forum and every browser) → `WrongUsage`.
 * Per path:
 * - more intermediates than `maxDepth` → `BasicConstraintsError` at the first one beyond the limit;
 * - an explicit policy required by policyConstraints, or a policy mapping of anyPolicy
 *   (policy.ts) → `InvalidCertificateAuthorityPolicy`;
 * - no path to a trust anchor → `Untrusted` or `IncompleteChain` at the top of the best
 *   partial path (see {@link validateChain}).
 * Leaf:
 * - extendedKeyUsage present without the requested purpose (§4.2.1.12) → `WrongUsage`;
 * - keyUsage present without digitalSignature (RFC 9846 §4.5.1.2) → `WrongUsage`;
 * - the server name against the SAN (RFC 9525 §6; hostname.ts) → `InvalidName`.
 *
 * Trust anchors are trusted input (§6.1.1 (d)): their own validity, signature, key size
 * and extensions are not checked, except that an anchor that issues must not deny being a
 * CA, and its pathLenConstraint and nameConstraints are honoured.
 *
 * @module
 */
import { TlsError } from '../errors.js';
import type { CryptoProvider, PublicKeyInfo } from '../crypto/provider.js';
import { severityOf, type CertificateError, type CertificateErrorCode } from './verifier.js';
import { KeyUsage, Oid, bytesEqual, unprocessedCriticalExtensions, verifyCertificateSignature, type ParsedCertificate, type SignatureCheck } from './x509.js';
import { verifyServerName } from './hostname.js';
import { AttributeOid, attributeValues, nameKey } from './names.js';
import { nameConstraintViolations, presentedNames, tryParseNameConstraints, type NameConstraints } from './name-constraints.js';
import { ANY_POLICY, explicitPolicyAfter, parseCertificatePolicies, parseInhibitAnyPolicy, parsePolicyConstraints, parsePolicyMappings } from './policy.js';
import { toHex } from '../bytes.js';

/** Default `maxDepth`: intermediates allowed between the leaf and the trust anchor. */
export const DEFAULT_MAX_DEPTH = 8;
/** Largest `maxDepth` accepted. */
export const MAX_MAX_DEPTH = 32;
/** No path is ever longer than this many certificates, whatever `maxDepth` says. */
export const HARD_MAX_PATH = MAX_MAX_DEPTH + 2 + 8;
/** Smallest RSA modulus accepted outside trust anchors, in bits. */
export const MIN_RSA_BITS = 2048;

/** Work limits of the path search. */
export interface SearchLimits {
  /** Signature verifications (each pair of certificate and issuer key is verified once). Default 64. */
  readonly maxSignatureChecks?: number;
  /** Edges followed (certificate → candidate issuer). Default 256. */
  readonly maxEdges?: number;
  /** Complete paths to an anchor judged. Default 32. */
  readonly maxPathsJudged?: number;
}

/** What the search did (for tests and diagnostics). */
export interface SearchStats {
  readonly signatureChecks: number;
  readonly edges: number;
  readonly pathsJudged: number;
  /** True if a limit stopped the search before it was exhausted. */
  readonly limited: boolean;
}

/** The policy a chain is judged by. */
export interface ChainPolicy {
  readonly time: Date;
  readonly usage: 'serverAuth' | 'clientAuth';
  /** DNS name or IP literal; absent: no name check. */
  readonly serverName?: string;
  /** Intermediates allowed between leaf and anchor. */
  readonly maxDepth: number;
  /** RFC 6125 §6.4.4 CN fallback (hostname.ts); default false. */
  readonly commonNameFallback?: boolean;
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

function factsOf(c: ParsedCertificate): Facts {
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
  const spkiHex = toHex(c.spki);
  f = {
    subjectKey,
    issuerKey: c.selfIssued ? subjectKey : nameKey(c.issuerDer),
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

/** Signature check outcome of one edge: 0 verified, 1 not verifiable (refused/unsupported), 2 bad. */
type EdgeClass = 0 | 1 | 2;

/**
 * Builds the best certification path for `input.leaf` and judges it (see the module
 * description for the search and every check).
 *
 * When no path reaches a trust anchor, the best partial path (fewest bad-signature links,
 * then longest) is reported with one more error at its top certificate T:
 * - `Untrusted` if T is self-signed (a root that is not trusted), if the search limits
 *   were reached, if certificates named like T's issuer are known but none can be its
 *   issuer (key identifier mismatch, loop), or if T's issuer is simply unknown and every
 *   supplied certificate is on the path (a peer may omit the root, RFC 9846 §4.5.1, so
 *   this is most often a CA we do not trust);
 * - `IncompleteChain` if T's issuer is unknown and some supplied certificates could not
 *   be linked (or parsed): the chain has a gap.
 *
 * @param input - parsed leaf, intermediates and trust anchors
 * @param policy - time, usage, name, depth
 * @param crypto - provider for keys and signatures
 * @returns the path, whether it reaches an anchor, all errors, and search statistics
 */
export function validateChain(input: ChainInput, policy: ChainPolicy, crypto: CryptoProvider): ChainOutcome {
  const leaf = input.leaf;
  const now = policy.time.getTime();
  const maxSig = policy.limits?.maxSignatureChecks ?? 64;
  const maxEdges = policy.limits?.maxEdges ?? 256;
  const maxPaths = policy.limits?.maxPathsJudged ?? 32;
  const maxPath = Math.min(HARD_MAX_PATH, policy.maxDepth + 2 + 8);

  const anchorIdents = new Set(input.anchors.map((a) => factsOf(a).ident));
  const isAnchor = (c: ParsedCertificate): boolean => anchorIdents.has(factsOf(c).ident);

  // Known certificates: anchors first, then the supplied ones, duplicates (same DER) removed.
  const known: ParsedCertificate[] = [];
  const seenDer = new Set<string>([leaf.sha256]);
  for (const c of [...input.anchors, ...input.intermediates]) {
    if (seenDer.has(c.sha256)) continue;
    // A supplied certificate with an anchor's name and key adds nothing, and must not stand
    // in for it: an anchor's own constraints come from the configured anchor only (a peer
    // could otherwise send a copy of it stripped of nameConstraints or pathLen).
    if (!input.anchors.includes(c) && anchorIdents.has(factsOf(c).ident)) continue;
    seenDer.add(c.sha256);
    known.push(c);
  }
  const bySubject = new Map<string, ParsedCertificate[]>();
  for (const c of known) {
    const k = factsOf(c).subjectKey;
    let l = bySubject.get(k);
    if (!l) bySubject.set(k, (l = []));
    l.push(c);
  }

  // Keys and signatures, each computed once.
  const keys = new Map<string, PublicKeyInfo | TlsError>();
  const keyOf = (c: ParsedCertificate): PublicKeyInfo | TlsError => {
    const id = factsOf(c).spkiHex;
    let k = keys.get(id);
    if (!k) {
      try {
        k = crypto.parsePublicKey(c.spki);
      } catch (e) {
        k = e instanceof TlsError ? e : new TlsError('CertificateUnsupported', { detail: String(e), cause: e });
      }
      keys.set(id, k);
    }
    return k;
  };
  let signatureChecks = 0;
  let edges = 0;
  let pathsJudged = 0;
  let limited = false;
  const sigs = new Map<string, SignatureCheck | TlsError>();
  /** The signature on `child` by `issuer`'s key; undefined if the budget is spent. */
  const signatureOf = (child: ParsedCertificate, issuer: ParsedCertificate): SignatureCheck | TlsError | undefined => {
    const id = `${child.sha256}/${factsOf(issuer).spkiHex}`;
    let r = sigs.get(id);
    if (r) return r;
    const key = keyOf(issuer);
    if (key instanceof TlsError) {
      r = key;
    } else if (verifiedSignatures.get(crypto)?.has(id)) {
      r = { ok: true };
    } else {
      if (signatureChecks >= maxSig) {
        limited = true;
        return undefined;
      }
      signatureChecks++;
      r = verifyCertificateSignature(crypto, child, key);
      if (r.ok) rememberVerified(crypto, id);
    }
    sigs.set(id, r);
    return r;
  };
  const edgeClass = (r: SignatureCheck | TlsError): EdgeClass => (r instanceof TlsError ? 1 : r.ok ? 0 : r.reason === 'unsupported' ? 1 : 2);
  const selfSigned = (c: ParsedCertificate): boolean => {
    const r = signatureOf(c, c);
    return r !== undefined && !(r instanceof TlsError) && r.ok;
  };

  const candidates = (c: ParsedCertificate, inPath: ReadonlySet<string>): ParsedCertificate[] => {
    const f = factsOf(c);
    const list = bySubject.get(f.issuerKey) ?? [];
    const out: { cert: ParsedCertificate; rank: number; order: number }[] = [];
    list.forEach((n, order) => {
      if (inPath.has(factsOf(n).ident)) return;
      // RFC 5280 §4.2.1.1: the AKI keyIdentifier names the issuer's SKI.
      let akiRank = 1;
      if (c.authorityKeyId && n.subjectKeyId) {
        if (!bytesEqual(c.authorityKeyId, n.subjectKeyId)) return;
        akiRank = 0;
      }
      const anchorRank = isAnchor(n) ? 0 : 1;
      const timeRank = now >= n.notBefore.getTime() && now <= n.notAfter.getTime() ? 0 : 1;
      out.push({ cert: n, rank: anchorRank * 4 + akiRank * 2 + timeRank, order });
    });
    out.sort((a, b) => a.rank - b.rank || a.order - b.order);
    return out.map((x) => x.cert);
  };

  type Judged = { path: readonly ParsedCertificate[]; errors: CertificateError[] };
  let best: Judged | null = null;
  let bestPartial: { path: readonly ParsedCertificate[]; bad: number } = { path: [leaf], bad: 0 };
  const fatalOf = (e: readonly CertificateError[]) => (severityOf(e) === 'fatal' ? 1 : 0);
  const better = (e: CertificateError[]): boolean =>
    best === null || fatalOf(e) < fatalOf(best.errors) || (fatalOf(e) === fatalOf(best.errors) && e.length < best.errors.length);

  const judge = (path: readonly ParsedCertificate[], anchored: boolean) => judgePath(path, anchored, policy, signatureOf, keyOf, leaf, now);

  /** Depth-first search; returns true to stop (a clean path was found or a limit was hit). */
  const search = (path: ParsedCertificate[], inPath: Set<string>, bad: number): boolean => {
    const top = path[path.length - 1]!;
    if (isAnchor(top)) {
      if (pathsJudged >= maxPaths) {
        limited = true;
        return true;
      }
      pathsJudged++;
      const e = judge(path, true);
      if (better(e)) best = { path: [...path], errors: e };
      return e.length === 0;
    }
    if (bad < bestPartial.bad || (bad === bestPartial.bad && path.length > bestPartial.path.length)) bestPartial = { path: [...path], bad };
    // A self-signed certificate is a root: the path ends there. Self-issued certificates
    // signed by another key (key rollover, RFC 5280 §3.2) still chain on.
    if (top.selfIssued && selfSigned(top)) return false;
    const next = candidates(top, inPath);
    if (next.length === 0) return false;
    if (path.length >= maxPath) {
      limited = true;
      return false;
    }
    // Verified edges first, at once; unverifiable, then bad ones, after them.
    const deferred: [ParsedCertificate, EdgeClass][] = [];
    const follow = (n: ParsedCertificate, cls: EdgeClass): boolean => {
      if (edges >= maxEdges) {
        limited = true;
        return true;
      }
      edges++;
      path.push(n);
      const id = factsOf(n).ident;
      inPath.add(id);
      const stop = search(path, inPath, bad + (cls === 2 ? 1 : 0));
      path.pop();
      inPath.delete(id);
      return stop;
    };
    for (const n of next) {
      const r = signatureOf(top, n);
      if (r === undefined) return true; // signature budget spent
      const cls = edgeClass(r);
      if (cls === 0) {
        if (follow(n, 0)) return true;
      } else {
        deferred.push([n, cls]);
      }
    }
    deferred.sort((a, b) => a[1] - b[1]);
    for (const [n, cls] of deferred) if (follow(n, cls)) return true;
    return false;
  };

  search([leaf], new Set([factsOf(leaf).ident]), 0);

  const leafKey = keyOf(leaf);
  const leafPublicKey = leafKey instanceof TlsError ? null : leafKey;
  const stats: SearchStats = { signatureChecks, edges, pathsJudged, limited };
  const found = best as Judged | null;
  if (found !== null) return { chain: found.path, anchored: true, errors: found.errors, leafPublicKey, stats };

  const chain = bestPartial.path;
  const errors = judge(chain, false);
  const topIndex = chain.length - 1;
  const top = chain[topIndex]!;
  const topFacts = factsOf(top);
  const issuerKnown = (bySubject.get(topFacts.issuerKey) ?? []).length > 0 || factsOf(leaf).subjectKey === topFacts.issuerKey;
  const unreached = (): string => {
    const onPath = new Set(chain.map((c) => c.sha256));
    const unlinked = known.filter((c) => !onPath.has(c.sha256) && !isAnchor(c)).length;
    const parts: string[] = [];
    if (unlinked > 0) parts.push(`${unlinked} certificate(s) supplied do not link to the chain`);
    if ((input.unparsable ?? 0) > 0) parts.push(`${input.unparsable} could not be parsed`);
    return parts.join(', and ');
  };
  let final: CertificateError;
  if (limited) {
    final = {
      code: 'Untrusted',
      index: topIndex,
      detail: `no path to a trust anchor within the search limits (${signatureChecks} signature checks, ${edges} links, ${maxPath} certificates)`,
    };
  } else if (top.selfIssued && selfSigned(top)) {
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
  errors.push(final);
  return { chain, anchored: false, errors: sortErrors(errors), leafPublicKey, stats };
}

function sortErrors(errors: CertificateError[]): CertificateError[] {
  // Stable: by certificate index (path-wide errors, index -1, first), then in the order found.
  return errors.map((e, i) => [e, i] as const).sort((a, b) => a[0].index - b[0].index || a[1] - b[1]).map(([e]) => e);
}

/** Every check on one path (see the module description). */
/** Most name × subtree comparisons evaluated per path (Go's crypto/x509 stops at 250,000). */
const MAX_CONSTRAINT_COMPARISONS = 250_000;

function judgePath(
  path: readonly ParsedCertificate[],
  anchored: boolean,
  policy: ChainPolicy,
  signatureOf: (child: ParsedCertificate, issuer: ParsedCertificate) => SignatureCheck | TlsError | undefined,
  keyOf: (c: ParsedCertificate) => PublicKeyInfo | TlsError,
  leaf: ParsedCertificate,
  now: number,
): CertificateError[] {
  const out: CertificateError[] = [];
  const add = (code: CertificateErrorCode, index: number, detail: string) => out.push({ code, index, detail });
  const last = path.length - 1;
  const usageOid = USAGE_OID[policy.usage];
  const who = (i: number): string => (i === 0 ? 'leaf' : `certificate ${i} (${path[i]!.subject})`); // names rendered only for errors
  let constraintWork = 0;

  // The name check first: the CN fallback, when used, is a dNSName for name constraints.
  let cnUsed: string | undefined;
  if (policy.serverName !== undefined) {
    const commonNames = policy.commonNameFallback ? attributeValues(leaf.subjectDer, AttributeOid.commonName) : undefined;
    const n = verifyServerName({ dnsNames: leaf.dnsNames, ipAddresses: leaf.ipAddresses, commonNames }, policy.serverName, {
      commonNameFallback: policy.commonNameFallback === true,
    });
    if (!n.ok) add('InvalidName', 0, n.detail);
    else cnUsed = n.commonName;
  }

  for (let i = 0; i <= last; i++) {
    const c = path[i]!;
    const f = factsOf(c);
    const isTrustAnchor = anchored && i === last;
    // A trust anchor is trusted input (RFC 5280 §6.1.1 (d)); the leaf is always checked, even when pinned.
    if (!isTrustAnchor || i === 0) {
      // RFC 5280 §4.1.2.1, §4.1.2.2, §4.1.2.9, §4.2: structure problems found by the parser.
      for (const p of c.problems) add('OtherErrors', i, `${who(i)}: ${p}`);
      for (const p of f.policyProblems) add('OtherErrors', i, `${who(i)}: ${p}`);
      if (f.nameConstraints instanceof TlsError) add('OtherErrors', i, `${who(i)}: malformed nameConstraints extension (${f.nameConstraints.detail ?? f.nameConstraints.status})`);
      // RFC 5280 §6.1.3 (a)(2): notBefore <= time <= notAfter.
      if (now < c.notBefore.getTime()) add('NotYetValid', i, `${who(i)} is not valid before ${c.notBefore.toISOString()}`);
      if (now > c.notAfter.getTime()) add('Expired', i, `${who(i)} expired at ${c.notAfter.toISOString()}`);
      // RFC 5280 §4.2: unrecognised critical extensions.
      if (f.unknownCritical.length > 0) add('UnknownCriticalExtension', i, `${who(i)} has unsupported critical extension(s) ${f.unknownCritical.join(', ')}`);
      // Keys: a type we support, and RSA of at least 2048 bits (NIST SP 800-131A; CA/Browser Forum BR §6.1.5).
      const k = keyOf(c);
      if (k instanceof TlsError) add('OtherErrors', i, `${who(i)} public key: ${k.detail ?? k.status}`);
      else if ((k.type === 'rsa' || k.type === 'rsa-pss') && (k.bits ?? 0) < MIN_RSA_BITS) add('OtherErrors', i, `${who(i)} has a ${k.bits}-bit RSA key (at least ${MIN_RSA_BITS} required)`);
      // RFC 5280 §6.1.4 (a): anyPolicy must not be mapped.
      if (f.mapsAnyPolicy) add('InvalidCertificateAuthorityPolicy', i, `${who(i)} maps anyPolicy (policyMappings)`);
    }
    if (i >= 1) {
      // RFC 5280 §6.1.4 (k): issuers must be CAs (v1/v2 anchors are CAs by out-of-band trust).
      if (!c.isCA && (!isTrustAnchor || c.version === 3)) add('BasicConstraintsError', i, `${who(i)} is not a CA but issued certificate ${i - 1}`);
      // §6.1.4 (n): if key usage is present, keyCertSign must be set.
      if (c.keyUsage !== undefined && (c.keyUsage & KeyUsage.keyCertSign) === 0) add('BasicConstraintsError', i, `${who(i)} key usage does not allow certificate signing`);
      // §6.1.4 (l), (m): pathLenConstraint counts the non-self-issued intermediates below this CA.
      if (c.pathLen !== undefined) {
        let below = 0;
        for (let j = 1; j < i; j++) if (!path[j]!.selfIssued) below++;
        if (below > c.pathLen) add('BasicConstraintsError', i, `${who(i)} allows ${c.pathLen} intermediate(s) below it, found ${below}`);
      }
      // Not RFC 5280 (which leaves EKU in CA certificates undefined): CA/B Forum BR §7.1.2.2 and browsers treat it as a constraint.
      if (!isTrustAnchor && c.extKeyUsage && !c.extKeyUsage.includes(usageOid) && !c.extKeyUsage.includes(Oid.anyExtendedKeyUsage)) {
        add('WrongUsage', i, `${who(i)} extended key usage excludes ${policy.usage}`);
      }
      // RFC 5280 §6.1.3 (b)-(c), §6.1.4 (g): name constraints bind every certificate below,
      // except self-issued intermediates; the leaf always.
      // Only a path that reaches an anchor makes constraints meaningful; on an untrusted
      // partial path they are skipped, so hostile certificates cannot buy CPU with them.
      const nc = anchored ? f.nameConstraints : undefined;
      if (nc !== undefined && !(nc instanceof TlsError)) {
        for (let j = 0; j < i; j++) {
          const d = path[j]!;
          if (j > 0 && d.selfIssued) continue;
          const names = presentedNames(d, j === 0 ? cnUsed : undefined);
          // Bound the work (Go caps it too): names × subtrees comparisons per path.
          const count = names.dnsNames.length + names.ipAddresses.length + names.emails.length + names.uris.length + names.directoryNames.length;
          constraintWork += count * (nc.permitted.length + nc.excluded.length);
          if (constraintWork > MAX_CONSTRAINT_COMPARISONS) {
            add('OtherErrors', j, `${who(j)}: too many names × name constraints to evaluate (over ${MAX_CONSTRAINT_COMPARISONS} comparisons)`);
            break;
          }
          for (const v of nameConstraintViolations(nc, names, (der) => (bytesEqual(der, d.subjectDer) ? d.subject : '(directoryName)'))) {
            add('InvalidCertificateAuthorityPolicy', j, `${who(j)}: ${v} of ${who(i)}`);
          }
        }
      }
    }
    // The signature on c by its issuer, the next certificate in the path (RFC 5280 §6.1.3 (a)(1)).
    if (i < last) {
      const r = signatureOf(c, path[i + 1]!);
      if (r === undefined) add('OtherErrors', i, `${who(i)}: signature not checked (search limits reached)`);
      else if (r instanceof TlsError) add('OtherErrors', i, `${who(i)}: issuer key unusable (${r.detail ?? r.status})`);
      else if (!r.ok) add(r.reason === 'invalid' ? 'InvalidSignature' : 'OtherErrors', i, `${who(i)}: ${r.detail}`);
    }
  }

  // Path length: intermediates between leaf and anchor (the anchor and leaf do not count, as OpenSSL's -verify_depth).
  const intermediates = path.length - 2;
  if (anchored && intermediates > policy.maxDepth) {
    add('BasicConstraintsError', policy.maxDepth + 1, `the path has ${intermediates} intermediate certificates, more than the maximum depth ${policy.maxDepth}`);
  }

  // RFC 5280 §6.1.5 (g): an explicit policy requirement needs the policy tree, which is not built.
  const rfcOrder = (anchored ? path.slice(0, last) : path.slice()).reverse();
  if (rfcOrder.some((c) => factsOf(c).requireExplicitPolicy !== undefined)) {
    if (explicitPolicyAfter(rfcOrder, (c) => factsOf(c).requireExplicitPolicy) === 0) {
      const at = path.findIndex((c) => factsOf(c).requireExplicitPolicy !== undefined);
      add('InvalidCertificateAuthorityPolicy', at, `${who(at)} requires an explicit certificate policy (policyConstraints); policy processing is not supported`);
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
