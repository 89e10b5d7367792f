/**
 * The interim certificate verifier used by the handshake: path building from the leaf
 * through the certificates the peer sent (in any order) to a configured trust anchor,
 * and the RFC 5280 §6.1 checks that matter most, reporting every problem it finds.
 *
 * What it checks, per certificate of the chosen path (index 0 = leaf):
 * - signature of each certificate by the next one's key, through the
 *   {@link CryptoProvider} (RFC 5280 §6.1.3 (a)(1)) → `InvalidSignature`
 *   (`OtherErrors` when the algorithm or key is unsupported);
 * - validity period at `req.time` (§6.1.3 (a)(2)) → `Expired` / `NotYetValid`;
 * - issuers: v3 with basicConstraints cA, keyUsage keyCertSign when key usage is present,
 *   pathLenConstraint (§6.1.4 (k), (l), (m), (n)) → `BasicConstraintsError`;
 * - critical extensions not processed here, e.g. name constraints or policies (§4.2,
 *   §6.1.4 (o)) → `UnknownCriticalExtension`;
 * - leaf: extended key usage includes the requested purpose (§4.2.1.12), and key usage,
 *   when present, allows digitalSignature (RFC 9846 §4.4.2.2) → `WrongUsage`; an issuer
 *   whose extended key usage excludes the purpose (and anyExtendedKeyUsage) → `WrongUsage`;
 * - the name (`req.serverName`) against the leaf's SAN (hostname.ts) → `InvalidName`.
 *
 * Trust anchors are (name, key) pairs taken from certificates (§6.1.1 (d)); as in
 * RFC 5280 their own validity and extensions are not checked, except that an anchor
 * that issues a certificate must not say it is not a CA (a v3 anchor without cA, or with
 * key usage lacking keyCertSign, is refused). An anchor may also be the leaf itself
 * (a pinned self-signed certificate); a CA:TRUE leaf is allowed (RFC 5280 has no rule
 * against it, unlike rustls/webpki).
 *
 * When no path reaches an anchor, the longest path found is reported with one error at
 * its top certificate T:
 * - `IncompleteChain` if T's issuer is not known (neither sent nor an anchor) and the peer
 *   sent certificates that could not be linked into the path: its chain has a gap (an
 *   intermediate left out between certificates it did send);
 * - `Untrusted` otherwise: T is self-issued (a root that is not trusted); or a certificate
 *   with T's issuer name is known but cannot be its issuer (key identifier mismatch, loop);
 *   or the search limits were reached; or T's issuer is simply unknown. The last case is
 *   not called `IncompleteChain` because a peer may omit the trust anchor (RFC 9846
 *   §4.4.2), so an unknown issuer of a complete-looking chain is most often a CA we do not
 *   trust (rustls says UnknownIssuer, Go "signed by unknown authority", OpenSSL "unable to
 *   get local issuer certificate", for all of these).
 *
 * Candidate issuers are matched by exact subject-DN bytes and, when both key identifiers
 * are present, authorityKeyIdentifier = subjectKeyIdentifier (§4.2.1.1). Full RFC 5280
 * name comparison (§7.1), name constraints, policies and revocation are left to the full
 * verifier that will replace this one behind the same {@link CertificateVerifier} interface.
 *
 * @module
 */
import { TlsError } from '../errors.js';
import type { CryptoProvider, PublicKeyInfo } from '../crypto/provider.js';
import {
  severityOf,
  type CertificateError,
  type CertificateErrorCode,
  type CertificateVerifier,
  type VerificationReport,
  type VerifyRequest,
} from './verifier.js';
import {
  KeyUsage,
  Oid,
  bytesEqual,
  parseCertificate,
  unprocessedCriticalExtensions,
  verifyCertificateSignature,
  type ParsedCertificate,
  type SignatureCheck,
} from './x509.js';
import { verifyServerName } from './hostname.js';

/** Options for {@link createBasicVerifier}. */
export interface BasicVerifierOptions {
  /** Trusted certificates (DER). Each contributes its subject name and public key. */
  readonly trustAnchors: readonly Uint8Array[];
  /** Provider used to parse keys and verify signatures. */
  readonly crypto: CryptoProvider;
  /** Longest path accepted, in certificates including leaf and anchor. Default 10. */
  readonly maxPathLength?: number;
  /** Cap on candidate issuers tried while building paths. Default 100. */
  readonly maxCandidates?: number;
}

/** The report of {@link createBasicVerifier}: the standard report plus the chain it judged. */
export interface BasicVerificationReport extends VerificationReport {
  /** The path validated (leaf first; ends at the anchor when `trusted`), or the best partial path. */
  readonly chain: readonly ParsedCertificate[];
  /** True if the path ends at a trust anchor (its other checks may still have failed). */
  readonly anchored: boolean;
}

const DEFAULT_MAX_PATH = 10;
const DEFAULT_MAX_CANDIDATES = 100;

const USAGE_OID = { serverAuth: Oid.serverAuth, clientAuth: Oid.clientAuth } as const;

/**
 * Creates the interim verifier.
 *
 * @param opts - trust anchors (DER) and the crypto provider
 * @returns a {@link CertificateVerifier} whose reports are {@link BasicVerificationReport}s
 * @throws TlsError('InvalidConfig') if a trust anchor cannot be parsed
 *
 * @example
 * ```ts
 * const verifier = createBasicVerifier({ trustAnchors: [caDer], crypto: nobleProvider });
 * const report = await verifier.verify({ certificates: [leafDer], serverName: 'localhost', usage: 'serverAuth', time: new Date() });
 * report.errors; // [] when all is well
 * ```
 */
export function createBasicVerifier(opts: BasicVerifierOptions): CertificateVerifier & {
  verify(req: VerifyRequest): Promise<BasicVerificationReport>;
} {
  const crypto = opts.crypto;
  const maxPath = opts.maxPathLength ?? DEFAULT_MAX_PATH;
  const maxCandidates = opts.maxCandidates ?? DEFAULT_MAX_CANDIDATES;
  const anchors: ParsedCertificate[] = opts.trustAnchors.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      throw new TlsError('InvalidConfig', { detail: `trust anchor #${i}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`, cause: e });
    }
  });
  return {
    verify: (req: VerifyRequest) => Promise.resolve().then(() => verifySync(req, anchors, crypto, maxPath, maxCandidates)),
  };
}

function verifySync(
  req: VerifyRequest,
  anchors: readonly ParsedCertificate[],
  crypto: CryptoProvider,
  maxPath: number,
  maxCandidates: number,
): BasicVerificationReport {
  const sent = req.certificates;
  if (sent.length === 0) {
    // The handshake answers an empty Certificate itself (RFC 9846 §4.4.2.4); reaching here is a bug.
    throw new TlsError('CertificateOtherErrors', { detail: 'no certificates to verify' });
  }
  const errors: CertificateError[] = [];

  // The leaf must parse and have a usable key: without it there is nothing to report on.
  let leaf: ParsedCertificate;
  let leafPublicKey: PublicKeyInfo;
  try {
    leaf = parseCertificate(sent[0]!);
    leafPublicKey = crypto.parsePublicKey(leaf.spki);
  } catch (e) {
    const status = e instanceof TlsError && e.category === 'certificate' ? e.status : 'CertificateOtherErrors';
    const detail = `leaf: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`;
    throw new TlsError(status, { detail, cause: e, certificateErrors: [{ code: 'OtherErrors', index: 0, detail }] });
  }

  // The other certificates, parsed once; unparsable ones are reported and left out.
  const pool: ParsedCertificate[] = [];
  const seen = new Set<string>([leaf.sha256]);
  for (let i = 1; i < sent.length; i++) {
    try {
      const c = parseCertificate(sent[i]!);
      if (seen.has(c.sha256)) continue;
      seen.add(c.sha256);
      pool.push(c);
    } catch (e) {
      errors.push({ code: 'OtherErrors', index: -1, detail: `certificate #${i} as sent: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}` });
    }
  }

  const keys = new Map<string, PublicKeyInfo | TlsError>();
  keys.set(leaf.sha256, leafPublicKey);
  const keyOf = (c: ParsedCertificate): PublicKeyInfo | TlsError => {
    let k = keys.get(c.sha256);
    if (!k) {
      try {
        k = crypto.parsePublicKey(c.spki);
      } catch (e) {
        k = e instanceof TlsError ? e : new TlsError('CertificateUnsupported', { detail: String(e), cause: e });
      }
      keys.set(c.sha256, k);
    }
    return k;
  };
  const sigs = new Map<string, SignatureCheck>();
  const signatureOf = (child: ParsedCertificate, issuer: ParsedCertificate): SignatureCheck | TlsError => {
    const key = keyOf(issuer);
    if (key instanceof TlsError) return key;
    const id = `${child.sha256}/${issuer.sha256}`;
    let r = sigs.get(id);
    if (!r) {
      r = verifyCertificateSignature(crypto, child, key);
      sigs.set(id, r);
    }
    return r;
  };

  const selfSigned = (c: ParsedCertificate): boolean => {
    const r = signatureOf(c, c);
    return !(r instanceof TlsError) && r.ok;
  };

  // RFC 5280 §6.1.1 (d): an anchor is a name and a key.
  const isAnchor = (c: ParsedCertificate): boolean =>
    anchors.some((a) => bytesEqual(a.subjectDer, c.subjectDer) && bytesEqual(a.spki, c.spki));
  // Candidate issuers: anchors first (the shortest trusted path), then what the peer sent, in order.
  const known: readonly ParsedCertificate[] = [...anchors, ...pool];
  const candidates = (c: ParsedCertificate, inPath: ReadonlySet<string>): ParsedCertificate[] =>
    known.filter(
      (n) =>
        !inPath.has(n.sha256) &&
        bytesEqual(n.subjectDer, c.issuerDer) &&
        // RFC 5280 §4.2.1.1: AKI keyIdentifier identifies the issuer's SKI.
        !(c.authorityKeyId && n.subjectKeyId && !bytesEqual(c.authorityKeyId, n.subjectKeyId)),
    );

  // Depth-first search; every complete path is judged, and the search stops at the first clean one.
  let tried = 0;
  let limited = false;
  let best: { path: readonly ParsedCertificate[]; anchored: boolean; errors: CertificateError[] } | null = null;
  let longestPartial: readonly ParsedCertificate[] = [leaf];
  const better = (e: CertificateError[]): boolean => {
    if (!best) return true;
    const fatal = (l: CertificateError[]) => (severityOf(l) === 'fatal' ? 1 : 0);
    return fatal(e) < fatal(best.errors) || (fatal(e) === fatal(best.errors) && e.length < best.errors.length);
  };
  const search = (path: ParsedCertificate[], inPath: Set<string>): boolean => {
    const top = path[path.length - 1]!;
    if (isAnchor(top)) {
      const e = judgePath(path, true);
      if (better(e)) best = { path: [...path], anchored: true, errors: e };
      return e.length === 0;
    }
    if (path.length > longestPartial.length) longestPartial = [...path];
    // A self-signed certificate is a root: the path ends there (trusted or not). Self-issued
    // certificates signed by another key (key rollover, RFC 5280 §3.2) still chain on.
    if (top.selfIssued && selfSigned(top)) return false;
    const next = candidates(top, inPath);
    if (next.length > 0 && path.length >= maxPath) {
      limited = true;
      return false;
    }
    for (const n of next) {
      if (tried >= maxCandidates) {
        limited = true;
        return false;
      }
      tried++;
      path.push(n);
      inPath.add(n.sha256);
      const done = search(path, inPath);
      path.pop();
      inPath.delete(n.sha256);
      if (done) return true;
    }
    return false;
  };

  const judgePath = (path: readonly ParsedCertificate[], anchored: boolean): CertificateError[] => {
    const out: CertificateError[] = [];
    const add = (code: CertificateErrorCode, index: number, detail: string) => out.push({ code, index, detail });
    const last = path.length - 1;
    const now = req.time.getTime();
    for (let i = 0; i <= last; i++) {
      const c = path[i]!;
      const isTrustAnchor = anchored && i === last;
      const who = (): string => (i === 0 ? 'leaf' : `certificate ${i} (${c.subject})`); // names rendered only for errors
      // A trust anchor is trusted input (RFC 5280 §6.1.1 (d)); the leaf is always checked, even when pinned.
      if (!isTrustAnchor || i === 0) {
        // RFC 5280 §6.1.3 (a)(2): notBefore <= time <= notAfter.
        if (now < c.notBefore.getTime()) add('NotYetValid', i, `${who()} is not valid before ${c.notBefore.toISOString()}`);
        if (now > c.notAfter.getTime()) add('Expired', i, `${who()} expired at ${c.notAfter.toISOString()}`);
        const unknown = unprocessedCriticalExtensions(c);
        if (unknown.length > 0) add('UnknownCriticalExtension', i, `${who()} has unsupported critical extension(s) ${unknown.join(', ')}`);
      }
      if (i >= 1) {
        // RFC 5280 §6.1.4 (k): issuers must be CAs (v1/v2 anchors are CAs by out-of-band trust).
        if (!c.isCA && (!isTrustAnchor || c.version === 3)) add('BasicConstraintsError', i, `${who()} is not a CA but issued certificate ${i - 1}`);
        // §6.1.4 (n): if key usage is present, keyCertSign must be set.
        if (c.keyUsage !== undefined && (c.keyUsage & KeyUsage.keyCertSign) === 0) {
          add('BasicConstraintsError', i, `${who()} key usage does not allow certificate signing`);
        }
        // §6.1.4 (l), (m): pathLenConstraint counts the non-self-issued intermediates below this CA.
        if (c.pathLen !== undefined) {
          let below = 0;
          for (let j = 1; j < i; j++) if (!path[j]!.selfIssued) below++;
          if (below > c.pathLen) add('BasicConstraintsError', i, `${who()} allows ${c.pathLen} intermediate(s) below it, found ${below}`);
        }
        if (!isTrustAnchor && c.extKeyUsage && !c.extKeyUsage.includes(USAGE_OID[req.usage]) && !c.extKeyUsage.includes(Oid.anyExtendedKeyUsage)) {
          add('WrongUsage', i, `${who()} extended key usage excludes ${req.usage}`);
        }
      }
      // The signature on c by its issuer, the next certificate in the path (RFC 5280 §6.1.3 (a)(1)).
      if (i < last) {
        const r = signatureOf(c, path[i + 1]!);
        if (r instanceof TlsError) add('OtherErrors', i + 1, `certificate ${i + 1} key: ${r.detail ?? r.status}`);
        else if (!r.ok) add(r.reason === 'invalid' ? 'InvalidSignature' : 'OtherErrors', i, `${who()}: ${r.detail}`);
      }
    }
    // Leaf purpose (RFC 5280 §4.2.1.12; RFC 9846 §4.4.2.2: digitalSignature for the handshake signature).
    if (leaf.extKeyUsage && !leaf.extKeyUsage.includes(USAGE_OID[req.usage])) {
      add('WrongUsage', 0, `leaf extended key usage (${leaf.extKeyUsage.join(', ')}) excludes ${req.usage}`);
    }
    if (leaf.keyUsage !== undefined && (leaf.keyUsage & KeyUsage.digitalSignature) === 0) {
      add('WrongUsage', 0, 'leaf key usage does not allow digitalSignature');
    }
    if (req.serverName !== undefined) {
      const n = verifyServerName(leaf, req.serverName);
      if (!n.ok) add('InvalidName', 0, n.detail);
    }
    return out;
  };

  search([leaf], new Set([leaf.sha256]));

  let chain: readonly ParsedCertificate[];
  let anchored: boolean;
  if (best !== null) {
    const b: { path: readonly ParsedCertificate[]; anchored: boolean; errors: CertificateError[] } = best;
    chain = b.path;
    anchored = true;
    errors.push(...b.errors);
  } else {
    chain = longestPartial;
    anchored = false;
    errors.push(...judgePath(chain, false));
    const topIndex = chain.length - 1;
    const top = chain[topIndex]!;
    const issuerKnown = known.some((n) => bytesEqual(n.subjectDer, top.issuerDer)) || bytesEqual(leaf.subjectDer, top.issuerDer);
    if (limited) {
      errors.push({ code: 'Untrusted', index: topIndex, detail: `no path to a trust anchor within the search limits (${maxPath} certificates, ${maxCandidates} candidates)` });
    } else if (top.selfIssued) {
      errors.push({ code: 'Untrusted', index: topIndex, detail: `root "${top.subject}" is not a trust anchor` });
    } else if (issuerKnown) {
      errors.push({ code: 'Untrusted', index: topIndex, detail: `a certificate named "${top.issuer}" is known, but none can be this certificate's issuer (authority key identifier mismatch or a loop)` });
    } else {
      const inChain = new Set(chain.map((c) => c.sha256));
      const unlinked = pool.filter((c) => !inChain.has(c.sha256)).length;
      const what = `issuer "${top.issuer}" of ${topIndex === 0 ? 'the leaf' : `certificate ${topIndex}`} was not sent and is not a trust anchor`;
      if (unlinked > 0) {
        errors.push({ code: 'IncompleteChain', index: topIndex, detail: `${what}, and ${unlinked} certificate(s) sent do not link to the chain` });
      } else {
        errors.push({ code: 'Untrusted', index: topIndex, detail: what });
      }
    }
  }
  return { errors, severity: severityOf(errors), leafPublicKey, chain, anchored };
}
