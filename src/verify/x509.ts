/**
 * X.509 certificates (RFC 5280 §4) as plain data, and certificate signature checks
 * through a {@link CryptoProvider}.
 *
 * It does not import `@peculiar/x509` (issue.ts issues the test PKI's certificates with
 * it). Parsing is our own strict DER walk (`crypto/der.ts`): every byte range the verifier compares or verifies
 * (tbsCertificate, names, SPKI, signature algorithm, SAN entries, key usage bits) is cut
 * from the original encoding, nothing depends on a re-encoding, and a certificate parses
 * in about 0.1 ms, where the library takes milliseconds (measured on this machine: ~2 ms
 * to construct its certificate object, ~1 ms per name string, several ms per extension
 * lookup) and would pull asn1js, tsyringe and a Reflect polyfill into every client.
 *
 * Certificate signature algorithms map to TLS signature schemes (RFC 9846 §4.3.3) so
 * that the provider's `verify` checks them; see {@link certificateSignatureScheme} for
 * the one combination that needs more than the provider's schemes (ECDSA with a hash
 * that is not the curve's TLS 1.3 pairing).
 *
 * @module
 */
import { bytesEqual, copyBytes, toHex } from '../base/bytes.js';
import { digest } from '../crypto/hash.js';
import { TlsError } from '../base/errors.js';
import { DerReader, DerTag, type DerElement } from '../crypto/der.js';
import { pssSignatureHash } from '../crypto/keys.js';
import { isPromiseLike, type CryptoProvider, type HashAlg, type MaybePromise, type PublicKeyInfo, type SyncCryptoProvider } from '../crypto/provider.js';
import { SignatureScheme } from '../wire/codes.js';
import { directoryString, parseGeneralNames, parseName, type GeneralName } from './names.js';

export { directoryString } from './names.js';
export type { GeneralName } from './names.js';

/** Object identifiers used by the verifier (RFC 5280 §4.2.1, RFC 4055, RFC 5758, RFC 8410). */
export const Oid = {
  // Extensions (RFC 5280 §4.2.1)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyConstraints: '2.5.29.36',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  policyMappings: '2.5.29.33',
  // Extended key usages (RFC 5280 §4.2.1.12)
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  // Signature algorithms
  md2WithRSAEncryption: '1.2.840.113549.1.1.2',
  md5WithRSAEncryption: '1.2.840.113549.1.1.4',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  ecdsaWithSha1: '1.2.840.10045.4.1',
  dsaWithSha1: '1.2.840.10040.4.3',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  // Hashes (RFC 5754 §2)
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** Key usage bits (RFC 5280 §4.2.1.3): bit `i` of the BIT STRING is `1 << i` here. */
export const KeyUsage = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** One extension as found in the certificate (RFC 5280 §4.1.2.9). */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue contents (the DER of the extension's own structure). */
  readonly value: Uint8Array;
}

/** A parsed certificate: plain data, no library objects. All byte fields are copies owned by this object. */
export interface ParsedCertificate {
  /** The whole certificate (DER). */
  readonly der: Uint8Array;
  /** DER of tbsCertificate: the bytes the issuer signed (RFC 5280 §4.1.1.1). */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3 (RFC 5280 §4.1.2.1). */
  readonly version: number;
  /** Serial number as lower-case hex of its DER content octets (RFC 5280 §4.1.2.2). */
  readonly serialHex: string;
  /** Subject DN as an RFC 4514-style string (for display). */
  readonly subject: string;
  /** DER of the subject Name (for comparisons, RFC 5280 §4.1.2.6). */
  readonly subjectDer: Uint8Array;
  /** Issuer DN as a string (for display). */
  readonly issuer: string;
  /** DER of the issuer Name (RFC 5280 §4.1.2.4). */
  readonly issuerDer: Uint8Array;
  /** True if subject and issuer are the same name (RFC 5280 §3.2 "self-issued"). */
  readonly selfIssued: boolean;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
  readonly spki: Uint8Array;
  /** OID of signatureAlgorithm (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithmOid: string;
  /** DER of the algorithm parameters, if present (RSASSA-PSS-params for RSA-PSS, RFC 4055 §3.1). */
  readonly signatureParams: Uint8Array | undefined;
  /** The signatureValue bits (RFC 5280 §4.1.1.3). */
  readonly signature: Uint8Array;
  /** basicConstraints cA (RFC 5280 §4.2.1.9); false when the extension is absent. */
  readonly isCA: boolean;
  /** basicConstraints pathLenConstraint, if present. */
  readonly pathLen: number | undefined;
  /** Key usage bits ({@link KeyUsage}); undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** Extended key usage OIDs; undefined when the extension is absent (RFC 5280 §4.2.1.12). */
  readonly extKeyUsage: readonly string[] | undefined;
  /** dNSName SAN entries, as sent (IA5String; RFC 5280 §4.2.1.6). */
  readonly dnsNames: readonly string[];
  /** iPAddress SAN entries: 4 or 16 bytes each (RFC 5280 §4.2.1.6). */
  readonly ipAddresses: readonly Uint8Array[];
  /** True if a subjectAltName extension is present. */
  readonly hasSubjectAltName: boolean;
  /**
   * Every subjectAltName entry, parsed strictly (names.ts `readGeneralName`); empty when
   * the extension is absent or malformed.
   */
  readonly subjectAltNames: readonly GeneralName[];
  /**
   * True if a subjectAltName extension is present but malformed (any entry that is not a
   * valid GeneralName). The certificate then has a problem (`OtherErrors`), no SAN name is
   * used for anything, and name constraints over it fail closed.
   */
  readonly subjectAltNameMalformed: boolean;
  /** subjectKeyIdentifier (RFC 5280 §4.2.1.2). */
  readonly subjectKeyId: Uint8Array | undefined;
  /** authorityKeyIdentifier keyIdentifier (RFC 5280 §4.2.1.1). */
  readonly authorityKeyId: Uint8Array | undefined;
  /** Every extension, in order (a duplicate appears twice; the fields above read the first). */
  readonly extensions: readonly CertificateExtension[];
  /**
   * Problems that left the certificate readable but make it non-conforming (RFC 5280): an
   * explicit or unknown version, extensions or unique identifiers in v1/v2, a serial number
   * that is not positive or is over 20 octets, duplicate or malformed extensions, too many
   * extensions. The verifier reports each as `OtherErrors`; empty for a clean certificate.
   */
  readonly problems: readonly string[];
  /** SHA-256 of `der`, lower-case hex. */
  readonly sha256: string;
}

/** Largest certificate we parse (bytes). TLS allows 2^24-1 per entry; real ones are a few KiB. */
export const MAX_CERTIFICATE_SIZE = 64 * 1024;

/** More extensions than this is reported as a problem (real certificates carry about ten). */
export const MAX_EXTENSIONS = 64;

function bad(detail: string, cause?: unknown): TlsError {
  return new TlsError('CertificateOtherErrors', { detail: `certificate: ${detail}`, cause });
}

/** Byte equality (not constant time; for public data such as names). */
export { bytesEqual } from '../base/bytes.js';

/**
 * Extensions the verifier processes (RFC 5280 §4.2: a critical one it cannot process must
 * be rejected): read here, or by name-constraints.ts and policy.ts.
 */
const PROCESSED = new Set<string>([
  Oid.subjectKeyIdentifier,
  Oid.keyUsage,
  Oid.subjectAltName,
  Oid.basicConstraints,
  Oid.authorityKeyIdentifier,
  Oid.extKeyUsage,
  Oid.nameConstraints,
  Oid.certificatePolicies,
  Oid.policyMappings,
  Oid.policyConstraints,
  Oid.inhibitAnyPolicy,
]);

/**
 * Parses a DER certificate (RFC 5280 §4.1).
 *
 * Structure is checked strictly: DER lengths, no trailing data, the outer and inner
 * signature algorithms identical (§4.1.1.2), both AlgorithmIdentifiers and the
 * SubjectPublicKeyInfo well-formed (§4.1.1.2, §4.1.2.7: a valid OID, parameters that are
 * valid DER, a BIT STRING key; the key itself is decoded at use), valid names and times. Problems that leave
 * the certificate readable are not thrown but listed in `problems` for the verifier to
 * report with everything else (`OtherErrors`): an explicit v1 or unknown version
 * (§4.1.2.1), a serial number that is zero, negative or over 20 octets (§4.1.2.2),
 * unique identifiers in v1 or extensions outside v3 (§4.1.2.8, §4.1.2.9), duplicate
 * extensions (§4.2), malformed contents of the extensions read here (which then count
 * as absent; a malformed subjectAltName is also flagged, see `subjectAltNameMalformed`),
 * more than {@link MAX_EXTENSIONS} extensions, issuer or subject attribute values that
 * break RFC 5280 Appendix A or their string type (names.ts).
 *
 * @param der - one DER certificate (at most {@link MAX_CERTIFICATE_SIZE} bytes)
 * @returns the certificate as plain data
 * @throws TlsError('CertificateOtherErrors') with a detail for input that is not a readable certificate
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  return present(parseRemembered(der));
}

/**
 * {@link parseCertificate} before {@link present}: the remembered parse itself, shared by
 * every caller and never to be written or handed out (the verifier judges from it and
 * presents only what it reports: verify/basic-verifier.ts). Same checks, same errors.
 *
 * @internal
 */
export function parseRemembered(der: Uint8Array): ParsedCertificate {
  if (der.length > MAX_CERTIFICATE_SIZE) throw bad(`too large (${der.length} bytes)`);
  // The same chain arrives in every handshake with the same peer: a parse is remembered
  // (keyed by the complete DER, compared byte for byte on a hit, bounded) and only
  // certificates that parsed are kept, so a failure is always re-derived.
  const key = cacheKey(der);
  const hit = parsedCache.get(key);
  if (hit !== undefined && bytesEqual(hit.der, der)) {
    // Most recently used last: the oldest entry is the one evicted.
    parsedCache.delete(key);
    parsedCache.set(key, hit);
    return hit;
  }
  const parsed = freezeShared(parseUncached(der));
  if (hit !== undefined) parsedCache.delete(key);
  else if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.delete(parsedCache.keys().next().value!);
  parsedCache.set(key, parsed);
  return parsed;
}

/** Parsed certificates by {@link cacheKey} of their DER, least recently used first. */
const parsedCache = new Map<string, ParsedCertificate>();
/** Entries of {@link parsedCache}: a few chains' worth (each at most {@link MAX_CERTIFICATE_SIZE} bytes, twice). */
const PARSED_CACHE_MAX = 32;

/**
 * A map key for `der`: its length and a 32-bit FNV-1a hash of every byte. Not a proof of
 * equality (a hit is compared byte for byte); a collision only costs a re-parse.
 */
export function cacheKey(der: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < der.length; i++) h = Math.imul(h ^ der[i]!, 0x01000193);
  return `${der.length}:${h >>> 0}`;
}

/**
 * What a caller may be handed of `c`: a fresh presentation ({@link present}) of the parse
 * behind it, as {@link parseCertificate} would give. Also for a certificate that was
 * presented once already: a configured trust anchor is one, and it is shared by every search
 * of its verifier (and, from PEM text, by every verifier: anchors.ts), so a caller must not
 * get the object itself (its dates and name lists are writable).
 *
 * @internal
 * @param c - a certificate the verifier judged
 * @returns a certificate safe to hand to callers
 */
export function presentForCaller(c: ParsedCertificate): ParsedCertificate {
  return present(parseIdentity(c));
}

/**
 * What a caller gets of a remembered parse: the parts that reach applications (the DER, the
 * validity dates, the name lists; see verify/certificate.ts and the Node adapter) are fresh
 * copies, so no caller can change what a later handshake sees. The rest is shared, read only.
 */
function present(c: ParsedCertificate): ParsedCertificate {
  const out: ParsedCertificate = {
    der: copyBytes(c.der),
    tbs: c.tbs,
    version: c.version,
    serialHex: c.serialHex,
    get subject(): string {
      return c.subject;
    },
    subjectDer: c.subjectDer,
    get issuer(): string {
      return c.issuer;
    },
    issuerDer: c.issuerDer,
    selfIssued: c.selfIssued,
    notBefore: new Date(c.notBefore.getTime()),
    notAfter: new Date(c.notAfter.getTime()),
    spki: c.spki,
    signatureAlgorithmOid: c.signatureAlgorithmOid,
    signatureParams: c.signatureParams,
    signature: c.signature,
    isCA: c.isCA,
    pathLen: c.pathLen,
    keyUsage: c.keyUsage,
    extKeyUsage: c.extKeyUsage,
    dnsNames: c.dnsNames.slice(),
    ipAddresses: c.ipAddresses.slice(),
    hasSubjectAltName: c.hasSubjectAltName,
    subjectAltNames: c.subjectAltNames,
    subjectAltNameMalformed: c.subjectAltNameMalformed,
    subjectKeyId: c.subjectKeyId,
    authorityKeyId: c.authorityKeyId,
    extensions: c.extensions,
    problems: c.problems,
    sha256: c.sha256,
  };
  presentedFrom.set(out, c);
  return out;
}

/** Which remembered parse each object handed out by {@link parseCertificate} presents. */
const presentedFrom = new WeakMap<ParsedCertificate, ParsedCertificate>();

/**
 * The remembered parse behind a certificate from {@link parseCertificate} (the same object
 * for every parse of the same DER while it stays remembered), or `c` itself for any other
 * object. For caches of facts derived from a certificate's fields (verify/engine.ts): the
 * key is an object no caller received, so its fields are the ones the parse produced.
 *
 * @param c - a parsed certificate
 * @returns the object to key derived facts by
 */
export function parseIdentity(c: ParsedCertificate): ParsedCertificate {
  return presentedFrom.get(c) ?? c;
}

/**
 * Freezes the arrays and records of a parse that {@link present} shares between callers
 * (byte arrays cannot be frozen; they are never written after parsing).
 */
function freezeShared(c: ParsedCertificate): ParsedCertificate {
  for (const e of c.extensions) Object.freeze(e);
  Object.freeze(c.extensions);
  Object.freeze(c.problems);
  for (const g of c.subjectAltNames) {
    if (g.form === 'directoryName') Object.freeze(g.rdns);
    Object.freeze(g);
  }
  Object.freeze(c.subjectAltNames);
  if (c.extKeyUsage) Object.freeze(c.extKeyUsage);
  return c;
}

/** {@link parseCertificate} without the cache. */
function parseUncached(der: Uint8Array): ParsedCertificate {
  // A copy the parse and every field cut from it own (`new Uint8Array`: a Node Buffer's
  // `slice` is a view of the caller's memory, and so would every field be).
  const own = new Uint8Array(der);
  // Our own strict walk first: exact byte ranges, and garbage never reaches the library.
  const top = new DerReader(own, 'CertificateOtherErrors', 'certificate');
  const certSeq = top.sequence();
  top.end();
  const tbsEl = certSeq.expect(DerTag.SEQUENCE, 'tbsCertificate');
  const outerAlg = certSeq.expect(DerTag.SEQUENCE, 'signatureAlgorithm');
  const signature = certSeq.bitString();
  certSeq.end();

  const tbs = certSeq.sub(tbsEl.value);
  // Problems that leave the structure readable are collected rather than thrown, so that
  // the verifier can report them (OtherErrors) next to every other finding about this
  // certificate (issue 4: "each evaluated independently and all reported").
  const problems: string[] = [];
  let version = 1;
  const vEl = tbs.optional(0xa0);
  if (vEl) {
    const vr = tbs.sub(vEl.value);
    const v = vr.smallInteger();
    vr.end();
    // RFC 5280 §4.1.2.1: v1(0), v2(1), v3(2). DER omits the DEFAULT v1 (X.690 §11.5), so an explicit 0 is not DER.
    if (v === 0) problems.push('version v1 encoded explicitly (not DER)');
    else if (v > 2) problems.push(`unknown version ${v + 1} (read as v3)`);
    version = Math.min(v + 1, 3);
  }
  const serial = tbs.integerBytes();
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. Anything up to 64 octets is
  // read and reported; longer is not a certificate.
  if (serial.length > 64) tbs.fail('serial number too long');
  {
    const negative = (serial[0]! & 0x80) !== 0;
    const magnitude = serial[0] === 0 ? serial.length - 1 : serial.length;
    if (negative) problems.push('negative serial number');
    else if (serial.every((b) => b === 0)) problems.push('zero serial number');
    if (magnitude > 20) problems.push(`serial number of ${magnitude} octets (more than 20)`);
  }
  const innerAlg = tbs.expect(DerTag.SEQUENCE, 'signature');
  const issuerEl = tbs.expect(DerTag.SEQUENCE, 'issuer');
  const validityEl = tbs.expect(DerTag.SEQUENCE, 'validity');
  const subjectEl = tbs.expect(DerTag.SEQUENCE, 'subject');
  const spkiEl = tbs.expect(DerTag.SEQUENCE, 'subjectPublicKeyInfo');
  // RFC 5280 §4.1.2.8: unique identifiers only in v2/v3.
  const uid1 = tbs.optional(0x81);
  const uid2 = tbs.optional(0x82);
  if ((uid1 || uid2) && version < 2) problems.push('unique identifier in a v1 certificate');
  // UniqueIdentifier ::= BIT STRING, IMPLICIT [1] / [2]: the same DER rules as any BIT STRING.
  if (uid1) tbs.checkBitString(uid1.value);
  if (uid2) tbs.checkBitString(uid2.value);
  const extsEl = tbs.optional(0xa3);
  // RFC 5280 §4.1.2.9: "This field MUST only appear if the version is 3".
  if (extsEl && version !== 3) problems.push(`extensions in a v${version} certificate`);
  tbs.end();

  // RFC 5280 §4.1.1.2: signatureAlgorithm MUST be identical to tbsCertificate.signature.
  if (!(outerAlg.raw.length === innerAlg.raw.length && bytesEqual(outerAlg.raw, innerAlg.raw))) {
    throw bad('signatureAlgorithm differs from tbsCertificate.signature');
  }
  const { oid: signatureAlgorithmOid, params: sigParams } = readAlgorithmIdentifier(certSeq.sub(outerAlg.value));
  const signatureParams = copyBytes(sigParams);

  // RFC 5280 §4.1.2.7: SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
  // subjectPublicKey BIT STRING }. Its structure is checked here, whatever the algorithm;
  // the key itself is decoded at use (crypto/keys.ts parsePublicKey), so that a key type we
  // do not support leaves the certificate readable.
  {
    const spki = tbs.sub(spkiEl.value);
    readAlgorithmIdentifier(spki.sequence());
    // X.690 §8.6.2, §11.2.1: the unused-bits octet and zero padding, checked on read.
    spki.expect(DerTag.BIT_STRING, 'subjectPublicKey BIT STRING');
    spki.end();
  }

  // Extensions: our own walk for presence, criticality and duplicates (RFC 5280 §4.2).
  const extensions: CertificateExtension[] = [];
  if (extsEl) {
    const outer = tbs.sub(extsEl.value);
    const list = outer.sequence();
    outer.end();
    if (list.done) tbs.fail('empty extensions'); // SEQUENCE SIZE (1..MAX)
    const seen = new Set<string>();
    while (!list.done) {
      const e = list.sequence();
      const oid = e.oid();
      let critical = false;
      const crit = e.optional(DerTag.BOOLEAN);
      if (crit) {
        // X.690 §11.1: DER TRUE is 0xff. An explicit FALSE (DEFAULT, so not DER, §11.5) is tolerated.
        if (crit.value.length !== 1 || (crit.value[0] !== 0xff && crit.value[0] !== 0x00)) e.fail('bad critical flag');
        critical = crit.value[0] === 0xff;
      }
      const value = e.octetString();
      e.end();
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
      // extension." The first instance is the one read below; the duplicate is reported.
      if (seen.has(oid)) problems.push(`duplicate extension ${oid}`);
      seen.add(oid);
      extensions.push({ oid, critical, value: copyBytes(value) });
    }
    if (extensions.length > MAX_EXTENSIONS) problems.push(`${extensions.length} extensions (more than ${MAX_EXTENSIONS})`);
  }

  // RFC 5280 §4.1.2.5: Validity ::= SEQUENCE { notBefore Time, notAfter Time }
  const validity = tbs.sub(validityEl.value);
  const notBefore = readTime(validity);
  const notAfter = readTime(validity);
  validity.end();

  // RFC 5280 §4.1.2.4: Name ::= RDNSequence, parsed strictly (names.ts): a structure that is
  // not a Name makes the certificate unreadable; attribute values that break Appendix A or
  // their string type are problems. Rendered to a string only when asked for (nameToString).
  for (const [what, el] of [['issuer', issuerEl], ['subject', subjectEl]] as const) {
    let parsed;
    try {
      parsed = parseName(el.raw);
    } catch (e) {
      throw bad(`${what}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`, e);
    }
    for (const p of parsed.problems) problems.push(`${what} ${p}`);
  }

  const ext = (oid: string) => extensions.find((x) => x.oid === oid);
  // A malformed extension we read is a problem of this certificate, reported by the
  // verifier (OtherErrors); the extension then counts as absent.
  const soft = <T>(what: string, ext: CertificateExtension | undefined, f: (value: Uint8Array) => T, absent: T): T => {
    if (!ext) return absent;
    try {
      return f(ext.value);
    } catch (e) {
      if (!(e instanceof TlsError)) throw e;
      problems.push(`malformed ${what} extension (${e.detail ?? e.status})`);
      return absent;
    }
  };

  // RFC 5280 §4.2.1.9: BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
  const basic = soft('basicConstraints', ext(Oid.basicConstraints), (v) => {
    const r = new DerReader(v, 'CertificateOtherErrors', 'basicConstraints');
    const s = r.sequence();
    r.end();
    let ca = false;
    const caEl = s.optional(DerTag.BOOLEAN);
    if (caEl) {
      if (caEl.value.length !== 1 || (caEl.value[0] !== 0xff && caEl.value[0] !== 0x00)) s.fail('bad cA flag');
      ca = caEl.value[0] === 0xff; // an explicit FALSE is not DER but unambiguous
    }
    const pathLen = s.done ? undefined : s.smallInteger();
    s.end();
    return { ca, pathLen };
  }, { ca: false, pathLen: undefined as number | undefined });
  const isCA = basic.ca;
  const pathLen = basic.pathLen;

  // RFC 5280 §4.2.1.3: KeyUsage ::= BIT STRING; named bit i is the i-th bit from the most significant.
  // Only the bits that exist count: in `03 02 07 84` seven bits are unused, so the value is
  // digitalSignature alone, and the set padding bit makes it non-DER (X.690 §8.6.2.2, §11.2.1).
  const keyUsage = soft('keyUsage', ext(Oid.keyUsage), (v): number | undefined => {
    const r = new DerReader(v, 'CertificateOtherErrors', 'keyUsage');
    const bits = r.namedBits();
    r.end();
    let ku = 0;
    for (let i = 0; i < bits.length && i < 9; i++) if (bits[i]) ku |= 1 << i;
    if (ku === 0) r.fail('no bits set'); // §4.2.1.3: at least one bit MUST be set
    return ku;
  }, undefined);

  // RFC 5280 §4.2.1.12: ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
  const extKeyUsage = soft('extKeyUsage', ext(Oid.extKeyUsage), (v): string[] | undefined => {
    const r = new DerReader(v, 'CertificateOtherErrors', 'extKeyUsage');
    const s = r.sequence();
    r.end();
    const out: string[] = [];
    while (!s.done) out.push(s.oid());
    if (out.length === 0) r.fail('empty');
    return out;
  }, undefined);

  // RFC 5280 §4.2.1.6: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName (IMPLICIT tags).
  // Parsed completely and strictly before anything uses it: one entry that is not a valid
  // GeneralName (an unknown tag, end-of-contents, a universal-class element, a constructed
  // dNSName, a directoryName that is not exactly one valid Name, ...) makes the whole
  // extension malformed, and then no entry of it is used (names.ts readGeneralName).
  const sanExt = ext(Oid.subjectAltName);
  const sanParsed = soft('subjectAltName', sanExt, (v): GeneralName[] | null => parseGeneralNames(v, 'subjectAltName'), null);
  const subjectAltNameMalformed = sanExt !== undefined && sanParsed === null;
  const subjectAltNames = sanParsed ?? [];
  const dnsNames: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  for (const g of subjectAltNames) {
    // dNSName [2] IA5String: kept as sent; non-ASCII never matches (hostname.ts).
    if (g.form === 'dNSName') dnsNames.push(g.text);
    // iPAddress [7] OCTET STRING: 4 octets (IPv4) or 16 (IPv6) in a SAN.
    else if (g.form === 'iPAddress') ipAddresses.push(g.bytes);
  }

  // RFC 5280 §4.2.1.2: SubjectKeyIdentifier ::= KeyIdentifier (OCTET STRING)
  const subjectKeyId = soft('subjectKeyIdentifier', ext(Oid.subjectKeyIdentifier), (v): Uint8Array | undefined => {
    const r = new DerReader(v, 'CertificateOtherErrors', 'subjectKeyIdentifier');
    const id = copyBytes(r.octetString());
    r.end();
    return id;
  }, undefined);

  // RFC 5280 §4.2.1.1: SEQUENCE { keyIdentifier [0] OPTIONAL, authorityCertIssuer [1] OPTIONAL, authorityCertSerialNumber [2] OPTIONAL }
  const authorityKeyId = soft('authorityKeyIdentifier', ext(Oid.authorityKeyIdentifier), (v): Uint8Array | undefined => {
    const r = new DerReader(v, 'CertificateOtherErrors', 'authorityKeyIdentifier');
    const s = r.sequence();
    r.end();
    const kid = s.optional(0x80);
    // authorityCertIssuer / serial are accepted and ignored (matching uses keyIdentifier and names).
    while (!s.done) {
      const t = s.peekTag();
      if (t !== 0xa1 && t !== 0x82) s.fail('unexpected element');
      s.read();
    }
    return copyBytes(kid?.value);
  }, undefined);

  const subjectDer = copyBytes(subjectEl.raw);
  const issuerDer = copyBytes(issuerEl.raw);
  // Distinguished-name strings are costly to render (~1 ms each with the library) and only
  // needed for display, so they are computed on first access and cached.
  let subject: string | undefined;
  let issuer: string | undefined;
  return {
    der: own,
    tbs: copyBytes(tbsEl.raw),
    version,
    serialHex: toHex(serial),
    get subject(): string {
      return (subject ??= nameToString(subjectDer));
    },
    subjectDer,
    get issuer(): string {
      return (issuer ??= nameToString(issuerDer));
    },
    issuerDer,
    selfIssued: bytesEqual(subjectDer, issuerDer),
    notBefore,
    notAfter,
    spki: copyBytes(spkiEl.raw),
    signatureAlgorithmOid,
    signatureParams,
    signature: copyBytes(signature),
    isCA,
    pathLen,
    keyUsage,
    extKeyUsage,
    dnsNames,
    ipAddresses,
    hasSubjectAltName: sanExt !== undefined,
    subjectAltNames,
    subjectAltNameMalformed,
    subjectKeyId,
    authorityKeyId,
    extensions,
    problems,
    sha256: toHex(digest('sha256', own)),
  };
}

/** Deepest nesting read inside AlgorithmIdentifier parameters (real ones nest at most 4 deep). */
const MAX_PARAMS_DEPTH = 16;

/**
 * Reads an AlgorithmIdentifier (RFC 5280 §4.1.1.2): `SEQUENCE { algorithm OBJECT
 * IDENTIFIER, parameters ANY DEFINED BY algorithm OPTIONAL }`, from a reader over the
 * SEQUENCE's contents. The OID must be valid DER (X.690 §8.19), `parameters` at most one
 * element, and every element inside the parameters valid DER as far as its type is known
 * here (see {@link checkDerValue}): parameters are opaque to this module but never garbage.
 *
 * @returns the algorithm OID and the parameters' encoding (a view), if present
 * @throws TlsError with the reader's status for anything else
 */
function readAlgorithmIdentifier(alg: DerReader): { oid: string; params: Uint8Array | undefined } {
  const oid = alg.oid();
  let params: Uint8Array | undefined;
  if (!alg.done) {
    const el = alg.read();
    checkDerValue(alg, el, 0);
    params = el.raw;
  }
  alg.end();
  return { oid, params };
}

/**
 * Checks one DER element recursively (X.690 §8.1.1: a constructed encoding's contents are
 * complete encodings, whatever its tag): lengths and tags via {@link DerReader.read}
 * (BIT STRING unused bits and padding included), and the content rules of the universal
 * primitive types whose meaning does not depend on the schema: BOOLEAN (X.690 §8.2.1, one
 * octet; §11.1, 0x00 or 0xFF), INTEGER (§8.3.2, minimal), NULL (§8.8.2, empty) and OBJECT
 * IDENTIFIER (§8.19). Strings, times and context-specific primitives are left to their users.
 */
function checkDerValue(r: DerReader, el: DerElement, depth: number): void {
  if (depth > MAX_PARAMS_DEPTH) r.fail('parameters nested too deep');
  switch (el.tag) {
    case DerTag.BOOLEAN:
      if (el.value.length !== 1 || (el.value[0] !== 0x00 && el.value[0] !== 0xff)) r.fail('bad BOOLEAN');
      return;
    case DerTag.INTEGER:
      r.sub(el.raw).integerBytes();
      return;
    case DerTag.NULL:
      r.sub(el.raw).null();
      return;
    case DerTag.OID:
      r.sub(el.raw).oid();
      return;
    default:
      if ((el.tag & 0x20) !== 0) {
        const inner = r.sub(el.value);
        while (!inner.done) checkDerValue(inner, inner.read(), depth + 1);
      }
  }
}

/** Attribute type names for display: RFC 4514 §3, plus a few common ones (RFC 4519, PKCS #9). */
const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/**
 * Escapes an attribute value (RFC 4514 §2.4). Control characters are also hex-escaped, so
 * a hostile name cannot inject terminal escapes into logs or CLI output.
 */
function escapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) out += `\\${c.toString(16).padStart(2, '0')}`;
    else if ('"+,;<>\\'.includes(ch) || (i === 0 && (ch === ' ' || ch === '#')) || (i === s.length - 1 && ch === ' ')) out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/**
 * An RFC 4514 string for a DER Name, for display only (names are compared as DER bytes,
 * never as strings): RDNs last-first separated by `,`, multi-valued RDNs joined by `+`,
 * well-known attribute types by name and others by OID, values escaped (§2.4), and values
 * that are not directory strings as `#` and the hex of their encoding (§2.4).
 * A malformed Name is shown as `#` and its hex.
 */
export function nameToString(nameDer: Uint8Array): string {
  try {
    const r = new DerReader(nameDer, 'CertificateOtherErrors', 'Name');
    const rdnSeq = r.sequence();
    r.end();
    const rdns: string[] = [];
    while (!rdnSeq.done) {
      const set = rdnSeq.sub(rdnSeq.expect(DerTag.SET, 'SET').value);
      const parts: string[] = [];
      while (!set.done) {
        const atv = set.sequence();
        const oid = atv.oid();
        const value = atv.read();
        atv.end();
        const text = directoryString(value.tag, value.value);
        parts.push(`${ATTRIBUTE_NAMES[oid] ?? oid}=${text === null ? `#${toHex(value.raw)}` : escapeValue(text)}`);
      }
      rdns.push(parts.join('+'));
    }
    return rdns.reverse().join(',');
  } catch {
    return `#${toHex(nameDer)}`;
  }
}

/**
 * Reads a Time (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` (years 1950-2049, §4.1.2.5.1)
 * or GeneralizedTime `YYYYMMDDHHMMSSZ` (§4.1.2.5.2: seconds required, no fractions, Zulu).
 *
 * @throws TlsError with the reader's status for any other form
 */
export function readTime(r: DerReader): Date {
  const tag = r.peekTag();
  if (tag !== 0x17 && tag !== 0x18) r.fail('expected UTCTime or GeneralizedTime');
  const v = r.read().value;
  let text = '';
  for (let i = 0; i < v.length; i++) text += String.fromCharCode(v[i]!);
  const m = tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return r.fail(`bad time ${JSON.stringify(text)}`);
  let year = Number(m[1]);
  if (tag === 0x17) year += year >= 50 ? 1900 : 2000;
  const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const d = new Date(ms);
  // Date.UTC normalises out-of-range fields (Feb 30 → Mar 2); a round trip catches them.
  if (
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day ||
    d.getUTCHours() !== hour ||
    d.getUTCMinutes() !== minute ||
    d.getUTCSeconds() !== second
  ) {
    r.fail(`invalid time ${JSON.stringify(text)}`);
  }
  return d;
}

/**
 * Critical extensions of `cert` that the verifier does not process (RFC 5280 §4.2: "A
 * certificate-using system MUST reject the certificate if it encounters a critical
 * extension it does not recognize"). Name constraints and the policy extensions are
 * processed by name-constraints.ts and policy.ts (see there for what that means).
 */
export function unprocessedCriticalExtensions(cert: ParsedCertificate): string[] {
  return cert.extensions.filter((e) => e.critical && !PROCESSED.has(e.oid)).map((e) => e.oid);
}

// ---------------------------------------------------------------------------------
// Signature algorithms → TLS signature schemes

/** How to check a certificate's signature with the issuer's key. */
export type CertificateSignatureMethod =
  /** Verify with `CryptoProvider.verify(issuerKey, scheme, tbs, signature)`. */
  | { readonly kind: 'scheme'; readonly scheme: number }
  /**
   * ECDSA whose hash is not the one the curve's TLS 1.3 scheme binds (e.g. ecdsa-with-SHA256
   * by a P-384 key, RFC 5758 §3.2 allows it): digest with `hash`, then verify the digest.
   */
  | { readonly kind: 'ecdsa-digest'; readonly hash: HashAlg }
  /** Not supported (or not allowed); `detail` says why. */
  | { readonly kind: 'unsupported'; readonly detail: string };

const RSA_PKCS1: Readonly<Record<string, number>> = {
  [Oid.sha256WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha256,
  [Oid.sha384WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha384,
  [Oid.sha512WithRSAEncryption]: SignatureScheme.rsa_pkcs1_sha512,
};
const ECDSA_HASH: Readonly<Record<string, HashAlg>> = {
  [Oid.ecdsaWithSha256]: 'sha256',
  [Oid.ecdsaWithSha384]: 'sha384',
  [Oid.ecdsaWithSha512]: 'sha512',
};

const PSS_RSAE: Readonly<Record<HashAlg, number>> = {
  sha256: SignatureScheme.rsa_pss_rsae_sha256,
  sha384: SignatureScheme.rsa_pss_rsae_sha384,
  sha512: SignatureScheme.rsa_pss_rsae_sha512,
};
const PSS_PSS: Readonly<Record<HashAlg, number>> = {
  sha256: SignatureScheme.rsa_pss_pss_sha256,
  sha384: SignatureScheme.rsa_pss_pss_sha384,
  sha512: SignatureScheme.rsa_pss_pss_sha512,
};

/**
 * Maps a certificate's signature algorithm (RFC 5280 §4.1.1.2) and the issuer's key to
 * the way to verify it:
 *
 * - sha{256,384,512}WithRSAEncryption (RFC 4055 §5) → `rsa_pkcs1_sha*`; issuer key `rsa`.
 * - RSASSA-PSS (RFC 4055 §3.1) with hash H ∈ SHA-2, MGF1(H), salt = |H| → `rsa_pss_rsae_*`
 *   for an rsaEncryption issuer key, `rsa_pss_pss_*` for an id-RSASSA-PSS key.
 * - ecdsa-with-SHA256/384 (RFC 5758 §3.2) → `ecdsa_secp256r1_sha256` /
 *   `ecdsa_secp384r1_sha384` when hash and curve match; otherwise (P-384 with SHA-256,
 *   P-256 with SHA-384, either with SHA-512) `ecdsa-digest`: the provider's ECDSA
 *   schemes bind curve and hash (RFC 9846 §4.3.3), which is right for CertificateVerify
 *   but too narrow for certificates, where any pairing is legal.
 * - Ed25519 (RFC 8410 §3, no parameters) → `ed25519`.
 * - MD2, MD5, SHA-1 (with RSA, ECDSA or DSA), Ed448, DSA and anything else → unsupported.
 */
export function certificateSignatureScheme(
  cert: Pick<ParsedCertificate, 'signatureAlgorithmOid' | 'signatureParams'>,
  issuerKey: PublicKeyInfo,
): CertificateSignatureMethod {
  const oid = cert.signatureAlgorithmOid;
  const params = cert.signatureParams;
  const isNull = params !== undefined && params.length === 2 && params[0] === 0x05 && params[1] === 0x00;
  const unsupported = (detail: string): CertificateSignatureMethod => ({ kind: 'unsupported', detail });
  const pkcs1 = RSA_PKCS1[oid];
  if (pkcs1 !== undefined) {
    // RFC 4055 §5: parameters MUST be NULL; absent is tolerated (some old encoders).
    if (params !== undefined && !isNull) return unsupported('RSA PKCS#1 signature with non-NULL parameters');
    if (issuerKey.type !== 'rsa') return unsupported(`RSA signature by a ${issuerKey.type} key`);
    return { kind: 'scheme', scheme: pkcs1 };
  }
  if (oid === Oid.rsassaPss) {
    const h = pssSignatureHash(params);
    if (h !== 'sha256' && h !== 'sha384' && h !== 'sha512') return unsupported(h);
    if (issuerKey.type === 'rsa') return { kind: 'scheme', scheme: PSS_RSAE[h] };
    if (issuerKey.type === 'rsa-pss') return { kind: 'scheme', scheme: PSS_PSS[h] };
    return unsupported(`RSA-PSS signature by a ${issuerKey.type} key`);
  }
  const ecHash = ECDSA_HASH[oid];
  if (ecHash !== undefined) {
    // RFC 5758 §3.2: parameters MUST be absent.
    if (params !== undefined) return unsupported('ECDSA signature algorithm with parameters');
    if (issuerKey.type === 'ec-p256' && ecHash === 'sha256') return { kind: 'scheme', scheme: SignatureScheme.ecdsa_secp256r1_sha256 };
    if (issuerKey.type === 'ec-p384' && ecHash === 'sha384') return { kind: 'scheme', scheme: SignatureScheme.ecdsa_secp384r1_sha384 };
    if (issuerKey.type === 'ec-p256' || issuerKey.type === 'ec-p384') return { kind: 'ecdsa-digest', hash: ecHash };
    return unsupported(`ECDSA signature by a ${issuerKey.type} key`);
  }
  if (oid === Oid.ed25519) {
    if (params !== undefined) return unsupported('Ed25519 signature algorithm with parameters'); // RFC 8410 §3
    if (issuerKey.type !== 'ed25519') return unsupported(`Ed25519 signature by a ${issuerKey.type} key`);
    return { kind: 'scheme', scheme: SignatureScheme.ed25519 };
  }
  // Weak hashes: refused (collisions are practical for MD5 and SHA-1; SHA-1 since 2017).
  if (oid === Oid.sha1WithRSAEncryption || oid === Oid.ecdsaWithSha1 || oid === Oid.dsaWithSha1) return unsupported('SHA-1 signatures are not accepted');
  if (oid === Oid.md5WithRSAEncryption) return unsupported('MD5 signatures are not accepted');
  if (oid === Oid.md2WithRSAEncryption) return unsupported('MD2 signatures are not accepted');
  if (oid === Oid.ed448) return unsupported('Ed448 signatures are not supported');
  return unsupported(`signature algorithm ${oid}`);
}

/** The outcome of checking one certificate's signature. */
export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'invalid' | 'unsupported'; readonly detail: string };

/** A signed structure: the signed bytes, the algorithm and the signature (certificates, OCSP responses, CRLs). */
export interface SignedData {
  /** The DER of the signed part (tbsCertificate, tbsResponseData, ...). */
  readonly tbs: Uint8Array;
  readonly signatureAlgorithmOid: string;
  readonly signatureParams: Uint8Array | undefined;
  readonly signature: Uint8Array;
}

/**
 * Verifies `cert`'s signature with the issuer's public key (RFC 5280 §6.1.3 (a)(1)), through
 * the provider (see {@link verifySignedData}). With an async provider the result is a promise.
 */
export function verifyCertificateSignature(crypto: SyncCryptoProvider, cert: ParsedCertificate, issuerKey: PublicKeyInfo): SignatureCheck;
export function verifyCertificateSignature(crypto: CryptoProvider, cert: ParsedCertificate, issuerKey: PublicKeyInfo): MaybePromise<SignatureCheck>;
export function verifyCertificateSignature(crypto: CryptoProvider, cert: ParsedCertificate, issuerKey: PublicKeyInfo): MaybePromise<SignatureCheck> {
  return verifySignedData(crypto, cert, issuerKey);
}

/**
 * A computation that may wait for signature checks: it yields the promise of a check only
 * when the provider answered with one, and is handed the verdict back.
 */
export type SignatureChecks<T> = Generator<Promise<SignatureCheck>, T, SignatureCheck>;

/**
 * Runs `g` to its end: at once while every signature check answers at once (a sync provider
 * never costs a promise), resuming after each one that answers later.
 */
export function runSignatureChecks<T>(g: SignatureChecks<T>, input?: SignatureCheck): MaybePromise<T> {
  const step = input === undefined ? g.next() : g.next(input);
  if (step.done) return step.value;
  return step.value.then((r) => runSignatureChecks(g, r));
}

/** One signature check inside a {@link SignatureChecks} computation: `yield*` it. */
export function* checkSignedData(crypto: CryptoProvider, data: SignedData, key: PublicKeyInfo): SignatureChecks<SignatureCheck> {
  const v = verifySignedData(crypto, data, key);
  return isPromiseLike(v) ? yield Promise.resolve(v) : v;
}

const INVALID: SignatureCheck = Object.freeze({ ok: false, reason: 'invalid', detail: 'signature does not verify' });
const VALID: SignatureCheck = Object.freeze({ ok: true });

/**
 * Verifies any X.509-style signed structure (certificates; a BasicOCSPResponse, RFC 6960
 * §4.2.1), always through the provider: `crypto.verify` with the scheme from
 * {@link certificateSignatureScheme}, or for the `ecdsa-digest` case `crypto.digest` then
 * `crypto.verifyEcdsaDigest` (DER, high-S allowed). With an async provider the result is a
 * promise; only a verdict of exactly `true` is a good signature, and a provider that throws or
 * rejects gives `unsupported` (the signature is not known good, and not known forged).
 */
export function verifySignedData(crypto: SyncCryptoProvider, data: SignedData, key: PublicKeyInfo): SignatureCheck;
export function verifySignedData(crypto: CryptoProvider, data: SignedData, key: PublicKeyInfo): MaybePromise<SignatureCheck>;
export function verifySignedData(crypto: CryptoProvider, data: SignedData, key: PublicKeyInfo): MaybePromise<SignatureCheck> {
  const m = certificateSignatureScheme(data, key);
  if (m.kind === 'unsupported') return { ok: false, reason: 'unsupported', detail: m.detail };
  const failed = (e: unknown): SignatureCheck => ({ ok: false, reason: 'unsupported', detail: `provider ${crypto.name} failed: ${e instanceof Error ? e.message : String(e)}` });
  let verdict: MaybePromise<boolean>;
  try {
    if (m.kind === 'scheme') {
      if (!crypto.signatureSchemes.includes(m.scheme)) {
        // The client-only entry's provider names the module that has the scheme.
        const missing = (crypto as { missing?: (kind: 'scheme', code: number) => string | undefined }).missing?.('scheme', m.scheme);
        return { ok: false, reason: 'unsupported', detail: `provider ${crypto.name} cannot verify scheme 0x${m.scheme.toString(16).padStart(4, '0')}${missing ? `: ${missing}` : ''}` };
      }
      verdict = crypto.verify(key, m.scheme, data.tbs, data.signature);
    } else {
      if (!crypto.verifyEcdsaDigest) return { ok: false, reason: 'unsupported', detail: `provider ${crypto.name} cannot verify ECDSA with ${m.hash} by a ${key.type} key` };
      verdict = crypto.verifyEcdsaDigest(key, crypto.digest(m.hash, data.tbs), data.signature);
    }
  } catch (e) {
    return failed(e);
  }
  if (isPromiseLike(verdict)) return Promise.resolve(verdict).then((ok) => (ok === true ? VALID : INVALID), failed);
  return verdict === true ? VALID : INVALID;
}
