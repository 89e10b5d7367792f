/**
 * OCSP response verification (RFC 6960), for stapled responses (RFC 6066 §8 status_request,
 * RFC 8446 §4.4.2.1): is this DER OCSPResponse a fresh, authentic statement about this
 * certificate, and what does it say?
 *
 * Checks, in the order of RFC 6960 §3.2 (every failure makes the status `'unknown'` and
 * adds a `RevocationFailure` error; only a verified response can say `'revoked'`):
 * 1. responseStatus is successful and the response type is id-pkix-ocsp-basic (§4.2.1);
 * 2. the responder (§4.2.2.2) is the certificate's issuer itself (ResponderID by name or
 *    by key hash), or a delegated responder: a certificate included in the response,
 *    issued and signed by the issuer, whose extendedKeyUsage has id-kp-OCSPSigning, whose
 *    keyUsage (if present) allows digitalSignature, that has no critical extension we do not
 *    process (RFC 5280 §4.2) and no structural problem, and that is valid at the given time;
 *    the ResponderID must identify it;
 * 3. the response signature verifies with the responder's key, through the
 *    {@link CryptoProvider} (same algorithms and refusals as certificates: no MD5/SHA-1);
 * 4. a SingleResponse whose CertID matches (§4.1.1): hash algorithm SHA-1 or SHA-256,
 *    issuerNameHash of the issuer's name, issuerKeyHash of the issuer's public key,
 *    the certificate's serial number; of several that match, the worst status counts
 *    (revoked, then unknown, then good);
 * 5. freshness (§4.2.2.1, §3.2 items 4-5): thisUpdate not after the time (with
 *    `clockSkew`), nextUpdate, when present, not before it; without nextUpdate, thisUpdate
 *    no older than `maxAge`.
 * The status is then `good`, `revoked` (a `Revoked` error, fatal) or `unknown` (the
 * responder does not know the certificate: `RevocationFailure`).
 *
 * Parsed with our DER reader (no @peculiar/asn1-ocsp), completely and strictly, before
 * anything in it is believed: every field of the ASN.1 of RFC 6960 §4.2.1 including the
 * parts that are not used — responseExtensions and singleExtensions (well-formed
 * Extensions, no duplicate, no critical extension we do not understand, RFC 6960 §4.4 and
 * RFC 5280 §4.2), and the embedded certificates (each must parse as a certificate, even
 * when another one signed). Times are GeneralizedTime (RFC 6960 §4.2.2.1); CRLReason is
 * one of the values of RFC 5280 §5.3.1; the DEFAULT version is not encoded (X.690 §11.5).
 * Anything else gives `unknown` and `RevocationFailure`, never `good`.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { TlsError } from '../base/errors.js';
import { DerReader, DerTag, checkDerElements, type DerElement } from '../crypto/der.js';
import { isPromiseLike, type CryptoProvider, type MaybePromise, type PublicKeyInfo, type SyncCryptoProvider } from '../crypto/provider.js';
import { nobleProvider } from '../crypto/noble.js';
import type { CertificateError } from './verifier.js';
import { KeyUsage, bytesEqual, checkSignedData, parseCertificate, readTime, runSignatureChecks, unprocessedCriticalExtensions, type ParsedCertificate, type SignatureChecks } from './x509.js';
import { nameKey } from './names.js';

/** OIDs used by OCSP (RFC 6960 §4.2.1, Appendix B). */
export const OcspOid = {
  basic: '1.3.6.1.5.5.7.48.1.1',
  /** id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954). */
  nonce: '1.3.6.1.5.5.7.48.1.2',
  /** id-pkix-ocsp-extended-revoke (RFC 6960 §4.4.8). */
  extendedRevoke: '1.3.6.1.5.5.7.48.1.9',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): understood (we never fetch a responder's status). */
  noCheck: '1.3.6.1.5.5.7.48.1.5',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** CRLReason (RFC 5280 §5.3.1). */
export type CrlReason = number;

/** Input of {@link verifyOcspResponse}. */
export interface OcspCheckInput {
  /** The DER OCSPResponse (as stapled). */
  readonly response: Uint8Array;
  /** The certificate whose status is wanted (DER or parsed). */
  readonly certificate: Uint8Array | ParsedCertificate;
  /** Its issuer (DER or parsed). */
  readonly issuer: Uint8Array | ParsedCertificate;
  /**
   * True when `issuer` is known to have issued `certificate` (a verifier's validated chain).
   * Otherwise (the default) the certificate's signature is checked under the issuer's key
   * first: an issuer given from what a peer sent, unchecked, could be a look-alike with the
   * real issuer's name and another key, vouching for a certificate it never signed.
   */
  readonly issuerVerified?: boolean;
  /** Validation time. Default now. */
  readonly time?: Date;
  /** Provider for keys, signatures and the SHA-256 CertID hash. Default the pure noble provider. */
  readonly crypto?: CryptoProvider;
  /** Index reported in the errors (the certificate's place in the chain). Default 0. */
  readonly index?: number;
  /** Tolerated clock difference for thisUpdate in the future, in ms. Default 5 minutes. */
  readonly clockSkew?: number;
  /** Oldest acceptable thisUpdate when the response has no nextUpdate, in ms. Default 7 days. */
  readonly maxAge?: number;
}

/** Result of {@link verifyOcspResponse}. */
export interface OcspResult {
  /** `good` or `revoked` only when the response was verified; otherwise `unknown`. */
  readonly status: 'good' | 'revoked' | 'unknown';
  /** `Revoked` (revoked) or `RevocationFailure` (anything that prevents a verified answer); empty when good. */
  readonly errors: readonly CertificateError[];
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  readonly revocationTime?: Date;
  readonly revocationReason?: CrlReason;
}

const RESPONSE_STATUS: Readonly<Record<number, string>> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

/**
 * CertID hash algorithms (RFC 6960 §4.1.1). These hashes identify, they do not
 * authenticate (the response signature does), so SHA-1 is fine here; the provider has no
 * SHA-1, so it comes from @noble/hashes.
 */
function certIdHash(crypto: CryptoProvider, oid: string): ((b: Uint8Array) => Uint8Array) | undefined {
  if (oid === OcspOid.sha1) return (b) => sha1(b);
  if (oid === OcspOid.sha256) return (b) => crypto.digest('sha256', b);
  return undefined;
}

/** The subjectPublicKey BIT STRING contents of an SPKI (what issuerKeyHash and byKey hash, RFC 6960 §4.1.1). */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const r = new DerReader(spki, 'CertificateOtherErrors', 'SubjectPublicKeyInfo');
  const s = r.sequence();
  s.expect(DerTag.SEQUENCE, 'AlgorithmIdentifier');
  const bits = s.expect(DerTag.BIT_STRING, 'BIT STRING').value;
  return bits.subarray(1);
}

interface SingleResponse {
  readonly hashOid: string;
  readonly nameHash: Uint8Array;
  readonly keyHash: Uint8Array;
  readonly serial: Uint8Array;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revocationTime?: Date;
  readonly revocationReason?: number;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

interface BasicResponse {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithmOid: string;
  readonly signatureParams: Uint8Array | undefined;
  readonly signature: Uint8Array;
  readonly responderByName?: Uint8Array;
  readonly responderByKey?: Uint8Array;
  readonly responses: readonly SingleResponse[];
  readonly certs: readonly ParsedCertificate[];
}

function fail(detail: string): never {
  throw new TlsError('CertificateRevocationFailure', { detail: `OCSP: ${detail}` });
}

/** Checks that `v` is exactly one well-formed DER element (nesting bounded). */
function checkOneElement(r: DerReader, v: Uint8Array): void {
  const one = r.sub(v);
  const el = one.read();
  one.end();
  if ((el.tag & 0x20) !== 0) checkDerElements(one, el.value, 16);
}

/**
 * Parses an `[1] EXPLICIT Extensions` field of OCSP (responseExtensions, singleExtensions;
 * RFC 6960 §4.2.1): `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension`, each `SEQUENCE {
 * extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }` (RFC 5280 §4.1).
 * An extension may appear once (§4.2); a critical one must be understood (RFC 6960 §4.4:
 * "unless they have the critical flag set and are not understood"). The value of every
 * extension other than the nonce (which responders encode inconsistently, and which a
 * stapled response does not carry) must be one DER element.
 */
function parseOcspExtensions(outer: DerReader, el: DerElement, what: string, understood: ReadonlySet<string>): void {
  const wrap = outer.sub(el.value);
  const list = wrap.sequence();
  wrap.end();
  if (list.done) fail(`empty ${what}`);
  const seen = new Set<string>();
  while (!list.done) {
    const e = list.sequence();
    const oid = e.oid();
    const crit = e.optional(DerTag.BOOLEAN);
    // X.690 §11.1: DER TRUE is 0xff; an explicit FALSE (the DEFAULT) is tolerated, as in certificates.
    if (crit && (crit.value.length !== 1 || (crit.value[0] !== 0xff && crit.value[0] !== 0x00))) fail(`${what}: bad critical flag`);
    const value = e.octetString();
    e.end();
    if (seen.has(oid)) fail(`${what}: extension ${oid} appears twice`);
    seen.add(oid);
    if (crit?.value[0] === 0xff && !understood.has(oid)) fail(`${what}: unsupported critical extension ${oid}`);
    if (oid !== OcspOid.nonce) checkOneElement(e, value);
  }
}

const RESPONSE_EXTENSIONS_UNDERSTOOD: ReadonlySet<string> = new Set([OcspOid.nonce, OcspOid.extendedRevoke]);
const SINGLE_EXTENSIONS_UNDERSTOOD: ReadonlySet<string> = new Set();

/** A GeneralizedTime (RFC 6960 §4.2.2.1: OCSP times are GeneralizedTime). */
function generalizedTime(r: DerReader, what: string): Date {
  if (r.peekTag() !== 0x18) fail(`${what} must be a GeneralizedTime`);
  return readTime(r);
}

/** Parses an OCSPResponse down to the BasicOCSPResponse (RFC 6960 §4.2.1). */
function parseResponse(der: Uint8Array): BasicResponse {
  const top = new DerReader(der, 'CertificateRevocationFailure', 'OCSPResponse');
  const resp = top.sequence();
  top.end();
  const statusEl = resp.expect(0x0a, 'ENUMERATED');
  if (statusEl.value.length !== 1) fail('bad responseStatus');
  const status = statusEl.value[0]!;
  if (status !== 0) fail(`responder answered ${RESPONSE_STATUS[status] ?? `status ${status}`}`);
  const rbEl = resp.expect(0xa0, 'responseBytes');
  resp.end();
  const rbOuter = resp.sub(rbEl.value);
  const rb = rbOuter.sequence();
  rbOuter.end();
  const type = rb.oid();
  if (type !== OcspOid.basic) fail(`unsupported response type ${type}`);
  const basicDer = rb.octetString();
  rb.end();

  const br = new DerReader(basicDer, 'CertificateRevocationFailure', 'BasicOCSPResponse');
  const basic = br.sequence();
  br.end();
  const tbsEl = basic.expect(DerTag.SEQUENCE, 'tbsResponseData');
  const algR = basic.sequence();
  const signatureAlgorithmOid = algR.oid();
  const signatureParams = algR.done ? undefined : copyBytes(algR.read().raw);
  algR.end();
  const signature = basic.bitString();
  const certs: ParsedCertificate[] = [];
  const certsEl = basic.optional(0xa0);
  if (certsEl) {
    const cr = basic.sub(certsEl.value);
    const list = cr.sequence();
    cr.end();
    // Every embedded certificate must be a certificate, used or not.
    while (!list.done) {
      const der = list.expect(DerTag.SEQUENCE, 'Certificate').raw;
      try {
        certs.push(parseCertificate(der));
      } catch (e) {
        fail(`embedded certificate #${certs.length}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`);
      }
    }
  }
  basic.end();

  // ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID, producedAt, responses, responseExtensions [1] }
  const t = basic.sub(tbsEl.value);
  const vEl = t.optional(0xa0);
  if (vEl) {
    // version [0] EXPLICIT Version DEFAULT v1: only v1 exists, and DER omits a DEFAULT value (X.690 §11.5).
    const vr = t.sub(vEl.value);
    const v = vr.smallInteger();
    vr.end();
    fail(v === 0 ? 'ResponseData version v1 encoded explicitly (not DER)' : 'unsupported ResponseData version');
  }
  let responderByName: Uint8Array | undefined;
  let responderByKey: Uint8Array | undefined;
  const rid = t.read();
  if (rid.tag === 0xa1) {
    const n = t.sub(rid.value);
    responderByName = copyBytes(n.expect(DerTag.SEQUENCE, 'Name').raw);
    n.end();
  } else if (rid.tag === 0xa2) {
    // KeyHash ::= OCTET STRING: the SHA-1 hash of the responder's public key.
    const k = t.sub(rid.value);
    responderByKey = copyBytes(k.octetString());
    k.end();
    if (responderByKey.length !== 20) fail('ResponderID byKey is not a SHA-1 hash');
  } else {
    fail('bad ResponderID');
  }
  generalizedTime(t, 'producedAt');
  const list = t.sequence();
  const responses: SingleResponse[] = [];
  while (!list.done) responses.push(parseSingle(list.sequence()));
  const rext = t.optional(0xa1);
  if (rext) parseOcspExtensions(t, rext, 'responseExtensions', RESPONSE_EXTENSIONS_UNDERSTOOD);
  t.end();
  return { tbs: copyBytes(tbsEl.raw), signatureAlgorithmOid, signatureParams, signature: copyBytes(signature), responderByName, responderByKey, responses, certs };
}

function parseSingle(s: DerReader): SingleResponse {
  const id = s.sequence();
  const alg = id.sequence();
  const hashOid = alg.oid();
  if (!alg.done) alg.null(); // RFC 5754 §2 / RFC 3279 §2.2.1: parameters absent or NULL
  alg.end();
  const nameHash = copyBytes(id.octetString());
  const keyHash = copyBytes(id.octetString());
  const serial = copyBytes(id.integerBytes());
  id.end();
  const st: DerElement = s.read();
  let status: SingleResponse['status'];
  let revocationTime: Date | undefined;
  let revocationReason: number | undefined;
  if (st.tag === 0x80) {
    if (st.value.length !== 0) fail('bad good status');
    status = 'good';
  } else if (st.tag === 0xa1) {
    status = 'revoked';
    // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    const ri = s.sub(st.value);
    revocationTime = generalizedTime(ri, 'revocationTime');
    const reason = ri.optional(0xa0);
    if (reason) {
      const rr = ri.sub(reason.value);
      const e = rr.expect(0x0a, 'CRLReason');
      rr.end();
      // RFC 5280 §5.3.1: unspecified (0) .. aACompromise (10); 7 is not used.
      if (e.value.length !== 1 || e.value[0]! > 10 || e.value[0] === 7) fail('bad CRLReason');
      revocationReason = e.value[0];
    }
    ri.end();
  } else if (st.tag === 0x82) {
    // unknown [2] IMPLICIT UnknownInfo, UnknownInfo ::= NULL
    if (st.value.length !== 0) fail('bad unknown status');
    status = 'unknown';
  } else {
    return fail('bad CertStatus');
  }
  const thisUpdate = generalizedTime(s, 'thisUpdate');
  let nextUpdate: Date | undefined;
  const nu = s.optional(0xa0);
  if (nu) {
    const nr = s.sub(nu.value);
    nextUpdate = generalizedTime(nr, 'nextUpdate');
    nr.end();
  }
  const sext = s.optional(0xa1);
  if (sext) parseOcspExtensions(s, sext, 'singleExtensions', SINGLE_EXTENSIONS_UNDERSTOOD);
  s.end();
  return { hashOid, nameHash, keyHash, serial, status, revocationTime, revocationReason, thisUpdate, nextUpdate };
}

function asParsed(c: Uint8Array | ParsedCertificate, what: string): ParsedCertificate {
  if (!(c instanceof Uint8Array)) return c;
  try {
    return parseCertificate(c);
  } catch (e) {
    return fail(`${what}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`);
  }
}

/**
 * Verifies a DER OCSPResponse for `certificate` issued by `issuer` (see the module
 * description for every check).
 *
 * Never throws for bad response data: a response that cannot be verified gives status
 * `'unknown'` and one `RevocationFailure` error saying why.
 *
 * @param input - response, certificate, issuer, time and tolerances
 * @returns the status and the errors to add to the chain's (Revoked / RevocationFailure)
 *
 * @example
 * ```ts
 * const r = verifyOcspResponse({ response: stapled, certificate: leafDer, issuer: issuerDer });
 * if (r.status === 'revoked') ...; errors.push(...r.errors);
 * ```
 */
export function verifyOcspResponse(input: OcspCheckInput & { readonly crypto?: SyncCryptoProvider }): OcspResult {
  const r = checkOcspResponse(input);
  if (isPromiseLike(r)) {
    // The type keeps async providers out; a provider that says it is sync and is not gets this.
    r.catch(() => undefined);
    throw new TlsError('InvalidConfig', { detail: `provider ${input.crypto?.name ?? '?'} verifies asynchronously: use verifyOcspResponseAsync` });
  }
  return r;
}

/** {@link verifyOcspResponse} with any provider, async ones included. */
export async function verifyOcspResponseAsync(input: OcspCheckInput): Promise<OcspResult> {
  return await checkOcspResponse(input);
}

/**
 * {@link verifyOcspResponseAsync} with the provider given (no default): what the handshake
 * calls, so that a bundle need not carry the default provider (the client-only entry's `ocsp`).
 * @internal
 */
export async function verifyOcspResponseWith(input: OcspCheckInput & { readonly crypto: CryptoProvider }): Promise<OcspResult> {
  return await checkOcspResponseWith(input, input.crypto);
}

/** The check, at once with a sync provider, later with an async one. */
function checkOcspResponse(input: OcspCheckInput): MaybePromise<OcspResult> {
  return checkOcspResponseWith(input, input.crypto ?? nobleProvider);
}

function checkOcspResponseWith(input: OcspCheckInput, crypto: CryptoProvider): MaybePromise<OcspResult> {
  const index = input.index ?? 0;
  const unknown = (e: unknown): OcspResult => {
    const detail = e instanceof TlsError ? (e.detail ?? e.status) : String(e);
    return { status: 'unknown', errors: [{ code: 'RevocationFailure', index, detail: detail.startsWith('OCSP') ? detail : `OCSP: ${detail}` }] };
  };
  try {
    // With an async provider the signature checks answer later (see runSignatureChecks).
    const r = runSignatureChecks(check(input, index, crypto));
    return isPromiseLike(r) ? r.then(undefined, unknown) : r;
  } catch (e) {
    return unknown(e);
  }
}

function* check(input: OcspCheckInput, index: number, crypto: CryptoProvider): SignatureChecks<OcspResult> {
  const now = (input.time ?? new Date()).getTime();
  const skew = input.clockSkew ?? 5 * 60_000;
  const maxAge = input.maxAge ?? 7 * 24 * 3600_000;
  const cert = asParsed(input.certificate, 'certificate');
  const issuer = asParsed(input.issuer, 'issuer');
  const resp = parseResponse(input.response);
  const issuerKeyBits = publicKeyBits(issuer.spki);

  // §4.2.2.2: who signed? The issuer itself, or a delegated responder it authorised.
  const identifies = (c: ParsedCertificate): boolean =>
    (resp.responderByName !== undefined && nameKey(resp.responderByName) === nameKey(c.subjectDer)) ||
    (resp.responderByKey !== undefined && bytesEqual(resp.responderByKey, sha1(publicKeyBits(c.spki))));
  let responderKey: PublicKeyInfo;
  const keyOf = (c: ParsedCertificate): PublicKeyInfo => {
    try {
      return crypto.parsePublicKey(c.spki);
    } catch (e) {
      return fail(`responder key: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`);
    }
  };
  // RFC 6960 §4.1.1, §4.2.2.2: the answer is the issuer's (or its delegate's) word about a
  // certificate it issued; a certificate it did not sign is not its to vouch for.
  if (input.issuerVerified !== true) {
    if (nameKey(cert.issuerDer) !== nameKey(issuer.subjectDer)) fail(`"${issuer.subject}" is not the certificate's issuer ("${cert.issuer}")`);
    const issued = yield* checkSignedData(crypto, cert, keyOf(issuer));
    if (!issued.ok) fail(`"${issuer.subject}" did not issue the certificate: ${issued.detail}`);
  }
  if (identifies(issuer)) {
    responderKey = keyOf(issuer);
  } else {
    const reasons: string[] = [];
    let found: ParsedCertificate | undefined;
    for (const c of resp.certs) {
      if (!identifies(c)) continue;
      // §4.2.2.2: issued directly by the CA that issued the certificate in question ...
      if (nameKey(c.issuerDer) !== nameKey(issuer.subjectDer)) {
        reasons.push(`responder "${c.subject}" was not issued by "${issuer.subject}"`);
        continue;
      }
      const sig = yield* checkSignedData(crypto, c, keyOf(issuer));
      if (!sig.ok) {
        reasons.push(`responder certificate "${c.subject}": ${sig.detail}`);
        continue;
      }
      // ... and it "MUST" carry id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
      if (!c.extKeyUsage?.includes(OcspOid.ocspSigning)) {
        reasons.push(`responder "${c.subject}" lacks the id-kp-OCSPSigning extended key usage`);
        continue;
      }
      if (c.keyUsage !== undefined && (c.keyUsage & KeyUsage.digitalSignature) === 0) {
        reasons.push(`responder "${c.subject}" key usage does not allow digitalSignature`);
        continue;
      }
      // RFC 5280 §4.2: a critical extension not recognised means the certificate MUST be
      // rejected; a certificate with structural problems (duplicate extensions, a bad serial,
      // names that break their types) is no more a valid responder than it is a valid CA.
      const critical = unprocessedCriticalExtensions(c).filter((oid) => oid !== OcspOid.noCheck);
      if (critical.length > 0 || c.problems.length > 0) {
        reasons.push(`responder certificate "${c.subject}" is not valid (${[...c.problems, ...critical.map((o) => `unsupported critical extension ${o}`)].join('; ')})`);
        continue;
      }
      if (now < c.notBefore.getTime() || now > c.notAfter.getTime()) {
        reasons.push(`responder certificate "${c.subject}" is not valid at ${new Date(now).toISOString()}`);
        continue;
      }
      found = c;
      break;
    }
    if (!found) fail(`the response is not signed by the issuer or an authorised responder${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}`);
    responderKey = keyOf(found);
  }
  const sig = yield* checkSignedData(crypto, resp, responderKey);
  if (!sig.ok) fail(`response signature: ${sig.detail}`);

  // §4.1.1: find the SingleResponse for this certificate.
  const serial = parseSerial(cert);
  // A responder may answer twice about one certificate (a SHA-1 and a SHA-256 CertID, or a
  // repeat); RFC 6960 does not say which answer counts. One that contradicts itself is
  // taken at its worst (revoked, then unknown, then good): a "good" never hides a "revoked"
  // the same signature vouches for.
  const RANK = { revoked: 0, unknown: 1, good: 2 } as const;
  const single = resp.responses
    .filter((s) => {
      const h = certIdHash(crypto, s.hashOid);
      return h !== undefined && bytesEqual(s.serial, serial) && bytesEqual(s.nameHash, h(cert.issuerDer)) && bytesEqual(s.keyHash, h(issuerKeyBits));
    })
    .sort((a, b) => RANK[a.status] - RANK[b.status])[0];
  if (!single) fail(`no response for serial ${cert.serialHex} of "${issuer.subject}" (${resp.responses.length} response(s), SHA-1 or SHA-256 CertIDs only)`);

  // §3.2 items 4-5 and §4.2.2.1: freshness.
  if (single.thisUpdate.getTime() > now + skew) fail(`thisUpdate ${single.thisUpdate.toISOString()} is in the future`);
  if (single.nextUpdate !== undefined && single.nextUpdate.getTime() < now) fail(`stale response: nextUpdate ${single.nextUpdate.toISOString()} has passed`);
  if (single.nextUpdate === undefined && single.thisUpdate.getTime() < now - maxAge) fail(`stale response: thisUpdate ${single.thisUpdate.toISOString()} is too old and there is no nextUpdate`);

  const times = { thisUpdate: single.thisUpdate, ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}) };
  if (single.status === 'good') return { status: 'good', errors: [], ...times };
  if (single.status === 'revoked') {
    const when = single.revocationTime ? ` at ${single.revocationTime.toISOString()}` : '';
    const why = single.revocationReason !== undefined ? ` (reason ${single.revocationReason})` : '';
    return {
      status: 'revoked',
      errors: [{ code: 'Revoked', index, detail: `certificate ${index === 0 ? 'leaf' : index} was revoked${when}${why}` }],
      ...times,
      ...(single.revocationTime ? { revocationTime: single.revocationTime } : {}),
      ...(single.revocationReason !== undefined ? { revocationReason: single.revocationReason } : {}),
    };
  }
  return { status: 'unknown', errors: [{ code: 'RevocationFailure', index, detail: 'OCSP: the responder does not know the certificate (status unknown)' }], ...times };
}

/** The certificate's serialNumber INTEGER content octets (CertID.serialNumber, RFC 6960 §4.1.1). */
function parseSerial(c: ParsedCertificate): Uint8Array {
  const hex = c.serialHex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
