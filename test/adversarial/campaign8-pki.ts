/**
 * Campaign 8 (hostile certificates): shared helpers — random PKIs for fast-check, a raw
 * certificate assembler for encodings the builder cannot write, and the differential
 * comparison with `openssl verify` (test/verify/openssl.ts). Test code only.
 */
import { constants, sign as nodeSign } from 'node:crypto';
import fc from 'fast-check';
import { DerReader, DerTag, derBitString, derOctetString, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { DAY, YEAR, KeyUsage, Oid, ext, issue, key, keyId, type SigAlg, type CertSpec, type Ext, type GeneralName, type Issued } from '../verify/builder.js';
import { opensslVerify, type OpensslVerdict } from '../verify/openssl.js';

/** The validation time of every campaign-8 chain. */
export const T = new Date('2026-06-01T00:00:00Z');
export const at = (ms: number): Date => new Date(T.getTime() + ms);
export const CA_V = { notBefore: at(-YEAR), notAfter: at(5 * YEAR) };
export const LEAF_V = { notBefore: at(-DAY), notAfter: at(60 * DAY) };
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A CA issued at {@link T}'s validity (a P-256 key unless `over.key`). */
export function ca(subject: string, issuer?: Issued, over: Partial<CertSpec> = {}): Issued {
  return issue({ subject, issuer, ca: true, ...CA_V, ...over });
}

// ------------------------------------------------------------------------------ raw re-signing

/** The three parts of a DER certificate (each a complete TLV). */
export function splitCertificate(der: Uint8Array): { tbs: Uint8Array; alg: Uint8Array; sig: Uint8Array } {
  const r = new DerReader(der).sequence();
  const tbs = r.read().raw.slice();
  const alg = r.read().raw.slice();
  const sig = r.read().raw.slice();
  return { tbs, alg, sig };
}

/** The elements of a tbsCertificate, as complete TLVs (so a test can swap one and re-sign). */
export function tbsElements(tbs: Uint8Array): Uint8Array[] {
  const r = new DerReader(tbs).sequence();
  const out: Uint8Array[] = [];
  while (!r.done) out.push(r.read().raw.slice());
  return out;
}

/** A SEQUENCE header written with a long-form length of `octets` length octets (BER, not DER), around `content`. */
export function longFormTlv(tag: number, content: Uint8Array, octets = 2): Uint8Array {
  const len: number[] = [];
  for (let i = octets - 1; i >= 0; i--) len.push((content.length >> (8 * i)) & 0xff);
  return Uint8Array.of(tag, 0x80 | octets, ...len, ...content);
}

/**
 * Signs `tbs` (any bytes: the issuer signs what it is given) with `signer`'s key and
 * assembles `SEQUENCE { tbs, alg, BIT STRING sig }`. `alg` defaults to the algorithm inside
 * the TBS as the builder wrote it (its third element) — pass another to make outer and inner differ.
 */
export function signTbs(tbs: Uint8Array, signer: Issued, opts: { alg?: Uint8Array; hash?: string; pssSalt?: number; outer?: (c: Uint8Array[]) => Uint8Array } = {}): Uint8Array {
  const k = signer.key;
  const hash = opts.hash ?? (k.kind === 'p384' ? 'sha384' : 'sha256');
  const sig =
    k.kind === 'ed25519'
      ? nodeSign(null, tbs, k.privateKey)
      : opts.pssSalt !== undefined
        ? nodeSign(hash, tbs, { key: k.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: opts.pssSalt })
        : nodeSign(hash, tbs, k.privateKey);
  let alg = opts.alg;
  if (!alg) {
    const els = tbsElements(tbs);
    alg = els[0]![0] === 0xa0 ? els[2]! : els[1]!;
  }
  const parts = [tbs, alg, derBitString(new Uint8Array(sig))];
  return opts.outer ? opts.outer(parts) : derSequence(...parts);
}

/** Rebuilds a tbsCertificate from its elements, `edit` changing the list first. */
export function rebuildTbs(tbs: Uint8Array, edit: (els: Uint8Array[]) => Uint8Array[]): Uint8Array {
  return derSequence(...edit(tbsElements(tbs)));
}

/** An Extension (RFC 5280 §4.1) as the builder encodes it. */
export function encodeExtension(e: Ext): Uint8Array {
  return derSequence(derOid(e.oid), ...(e.critical ? [derTlv(DerTag.BOOLEAN, Uint8Array.of(0xff))] : []), derOctetString(e.value));
}

// ------------------------------------------------------------------------------ differential

export interface Judged {
  readonly ours: readonly { code: string; index: number; detail: string }[];
  readonly openssl: OpensslVerdict;
}

export interface ChainUnderTest {
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly anchors: readonly Uint8Array[];
  readonly serverName?: string;
  readonly usage: 'serverAuth' | 'clientAuth';
  readonly time?: Date;
}

/** Our verdict and OpenSSL's on the same chain. */
export async function judgeBoth(c: ChainUnderTest): Promise<Judged> {
  const time = c.time ?? T;
  const r = await verifyCertificateChain({ leaf: c.leaf, intermediates: [...c.intermediates], trustAnchors: [...c.anchors], serverName: c.serverName, time, usage: c.usage });
  const o = opensslVerify({ leaf: c.leaf, intermediates: c.intermediates, anchors: c.anchors, serverName: c.serverName, time, usage: c.usage });
  return { ours: r.errors, openssl: o };
}

/**
 * Our error codes that can stand for an OpenSSL X509_V_ERR_* number (OpenSSL 3.0
 * include/openssl/x509_vfy.h.in), at the same depth; undefined for numbers not compared.
 */
export const OPENSSL_CODE: Readonly<Record<number, readonly string[]>> = {
  2: ['Untrusted', 'IncompleteChain'], // UNABLE_TO_GET_ISSUER_CERT
  7: ['InvalidSignature'], // CERT_SIGNATURE_FAILURE
  9: ['NotYetValid'], // CERT_NOT_YET_VALID
  10: ['Expired'], // CERT_HAS_EXPIRED
  18: ['Untrusted'], // DEPTH_ZERO_SELF_SIGNED_CERT
  19: ['Untrusted'], // SELF_SIGNED_CERT_IN_CHAIN
  20: ['Untrusted', 'IncompleteChain'], // UNABLE_TO_GET_ISSUER_CERT_LOCALLY
  21: ['Untrusted', 'IncompleteChain'], // UNABLE_TO_VERIFY_LEAF_SIGNATURE
  24: ['BasicConstraintsError'], // INVALID_CA
  79: ['BasicConstraintsError'], // INVALID_CA (3.0: "invalid CA certificate", basicConstraints)
  25: ['BasicConstraintsError'], // PATH_LENGTH_EXCEEDED
  26: ['WrongUsage'], // INVALID_PURPOSE
  32: ['BasicConstraintsError'], // KEYUSAGE_NO_CERTSIGN
  34: ['UnknownCriticalExtension'], // UNHANDLED_CRITICAL_EXTENSION
  47: ['InvalidCertificateAuthorityPolicy'], // PERMITTED_VIOLATION
  48: ['InvalidCertificateAuthorityPolicy'], // EXCLUDED_VIOLATION
  62: ['InvalidName'], // HOSTNAME_MISMATCH
  64: ['InvalidName'], // IP_ADDRESS_MISMATCH
};

/** OpenSSL's errors as `number@depth`. */
export function opensslErrorsAt(o: OpensslVerdict): { code: number; depth: number }[] {
  return [...o.output.matchAll(/error (\d+) at (\d+) depth lookup/g)].map((m) => ({ code: Number(m[1]), depth: Number(m[2]) }));
}

/**
 * Errors OpenSSL found that we did not report (by mapped code; the depth is compared for
 * per-certificate codes, not for the "no path" family whose depth conventions differ).
 */
export function missedByUs(j: Judged): string[] {
  const out: string[] = [];
  for (const { code, depth } of opensslErrorsAt(j.openssl)) {
    let ours = OPENSSL_CODE[code];
    if (!ours) continue;
    // INVALID_PURPOSE on a CA: OpenSSL's purpose check of a CA also covers basicConstraints and keyCertSign.
    if (code === 26 && depth > 0) ours = ['WrongUsage', 'BasicConstraintsError'];
    const pathFamily = ours.includes('Untrusted');
    const hit = j.ours.some((e) => ours.includes(e.code) && (pathFamily || e.code === 'InvalidName' || e.index === depth));
    if (!hit) out.push(`${code}@${depth}`);
  }
  return out;
}

// ------------------------------------------------------------------------------ random PKIs

/** Subtrees name constraints are drawn from. */
export const DNS_SUBTREES = ['example.test', '.example.test', 'a.example.test', 'evil.test', 'test', 'EXAMPLE.TEST'] as const;
export const IP_SUBTREES = ['192.0.2.0/24', '192.0.2.128/25', '10.0.0.0/8', '2001:db8::/32', '0.0.0.0/0'] as const;
export const EMAIL_SUBTREES = ['example.test', '.example.test', 'admin@example.test', 'evil.test'] as const;
/** Names leaves present. */
export const LEAF_NAMES: readonly GeneralName[] = [
  { dns: 'www.example.test' },
  { dns: 'example.test' },
  { dns: 'WWW.Example.Test' },
  { dns: 'a.example.test' },
  { dns: 'x.a.example.test' },
  { dns: 'www.evil.test' },
  { dns: 'evil.test' },
  { dns: 'examplextest.test' },
  { dns: 'b.example.test' },
  { ip: '192.0.2.1' },
  { ip: '192.0.2.200' },
  { ip: '10.1.2.3' },
  { ip: '2001:db8::1' },
  { ip: '2001:db9::1' },
  { email: 'admin@example.test' },
  { email: 'user@a.example.test' },
  { email: 'x@evil.test' },
];
export const REFERENCES = ['www.example.test', 'WWW.EXAMPLE.TEST', 'www.example.test.', 'example.test', 'a.example.test', 'x.a.example.test', 'www.evil.test', 'b.example.test', '192.0.2.1', '192.0.2.200', '10.1.2.3', '2001:db8::1', '2001:DB8:0::1', 'other.test'] as const;

export type Subtree = { dns: string } | { ipRange: string } | { email: string };
export interface NcSpec {
  readonly permitted: readonly Subtree[];
  readonly excluded: readonly Subtree[];
}
export interface CaSpec {
  readonly pathLen: number | undefined;
  readonly nc: NcSpec | undefined;
  readonly eku: 'none' | 'serverAuth' | 'clientAuth' | 'email' | 'any';
  readonly validity: 'ok' | 'expired' | 'notYet';
  readonly noCertSign: boolean;
  readonly notCa: boolean;
  readonly critUnknown: boolean;
  /** The CA's own key. */
  readonly keyKind: 'p256' | 'p384' | 'ed25519' | 'rsa2048';
  /** Which of the algorithms its issuer's key allows the issuer signs it with (see {@link SIG_ALGS}). */
  readonly alg: number;
}
export interface LeafSpec {
  readonly names: readonly GeneralName[];
  readonly eku: 'none' | 'serverAuth' | 'clientAuth' | 'both' | 'email' | 'any';
  readonly ku: 'none' | 'ds' | 'ds+ke';
  readonly validity: 'ok' | 'expired' | 'notYet' | 'lastSecond' | 'firstSecond';
  readonly critUnknown: boolean;
  readonly keyKind: 'p256' | 'p384' | 'ed25519' | 'rsa2048';
  readonly alg: number;
}
export interface PkiSpec {
  readonly root: CaSpec;
  readonly ints: readonly CaSpec[];
  readonly leaf: LeafSpec;
  readonly serverName: string | undefined;
  readonly usage: 'serverAuth' | 'clientAuth';
}

const subtree: fc.Arbitrary<Subtree> = fc.oneof(
  fc.constantFrom(...DNS_SUBTREES).map((dns) => ({ dns })),
  fc.constantFrom(...IP_SUBTREES).map((ipRange) => ({ ipRange })),
  fc.constantFrom(...EMAIL_SUBTREES).map((email) => ({ email })),
);
const ncSpec: fc.Arbitrary<NcSpec> = fc
  .record({ permitted: fc.array(subtree, { maxLength: 3 }), excluded: fc.array(subtree, { maxLength: 2 }) })
  .filter((n) => n.permitted.length + n.excluded.length > 0);

const rare = <T>(usual: T, ...odd: T[]): fc.Arbitrary<T> => fc.oneof({ weight: 12, arbitrary: fc.constant(usual) }, ...odd.map((o) => ({ weight: 1, arbitrary: fc.constant(o) })));

/** A CA with good settings and, now and then, a bad one. */
export const caSpec: fc.Arbitrary<CaSpec> = fc.record({
  pathLen: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 3 }),
  nc: fc.option(ncSpec, { nil: undefined, freq: 2 }),
  eku: rare<CaSpec['eku']>('none', 'serverAuth', 'clientAuth', 'email', 'any'),
  validity: rare<CaSpec['validity']>('ok', 'expired', 'notYet'),
  noCertSign: rare(false, true),
  notCa: rare(false, true),
  critUnknown: rare(false, true),
  keyKind: fc.constantFrom('p256', 'p256', 'p384', 'ed25519', 'rsa2048'),
  alg: fc.nat(3),
});

export const leafSpec: fc.Arbitrary<LeafSpec> = fc.record({
  names: fc.uniqueArray(fc.constantFrom(...LEAF_NAMES), { minLength: 1, maxLength: 4, selector: (g) => JSON.stringify(g) }),
  eku: fc.constantFrom<LeafSpec['eku']>('none', 'serverAuth', 'serverAuth', 'both', 'both', 'both', 'clientAuth', 'email', 'any'),
  ku: fc.constantFrom<LeafSpec['ku']>('none', 'ds', 'ds', 'ds+ke'),
  validity: rare<LeafSpec['validity']>('ok', 'expired', 'notYet', 'lastSecond', 'firstSecond'),
  critUnknown: rare(false, true),
  keyKind: fc.constantFrom('p256', 'p256', 'p384', 'ed25519', 'rsa2048'),
  alg: fc.nat(3),
});

/** A reference name: mostly one the leaf presents (in some spelling), sometimes another, sometimes none. */
function referenceFor(names: readonly GeneralName[]): fc.Arbitrary<string | undefined> {
  const own = names.flatMap((g) => ('dns' in g ? [g.dns, g.dns.toUpperCase(), `${g.dns}.`] : 'ip' in g ? [g.ip] : []));
  return fc.oneof(
    { weight: own.length > 0 ? 6 : 0, arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(...REFERENCES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

export const pkiSpec: fc.Arbitrary<PkiSpec> = fc
  .record({ root: caSpec, ints: fc.array(caSpec, { maxLength: 2 }), leaf: leafSpec, usage: rare<'serverAuth' | 'clientAuth'>('serverAuth', 'clientAuth') })
  .chain((p) => referenceFor(p.leaf.names).map((serverName) => ({ ...p, serverName: p.usage === 'clientAuth' ? undefined : serverName })));

const PRIVATE_OID = '1.3.6.1.4.1.55555.8';

/** The signature algorithms an issuer key of each kind signs with in the random PKIs (any pairing RFC 5758 / RFC 4055 allows). */
export const SIG_ALGS: Readonly<Record<CaSpec['keyKind'], readonly SigAlg[]>> = {
  p256: ['ecdsa-sha256', 'ecdsa-sha384', 'ecdsa-sha512'],
  p384: ['ecdsa-sha384', 'ecdsa-sha256', 'ecdsa-sha512'],
  ed25519: ['ed25519'],
  rsa2048: ['rsa-sha256', 'pss-sha256', 'rsa-sha384', 'pss-sha512'],
};
const sigAlgFor = (issuer: CaSpec['keyKind'], alg: number): SigAlg => SIG_ALGS[issuer][alg % SIG_ALGS[issuer].length]!;
const keyFor = (kind: CaSpec['keyKind'], slot: number) => (kind === 'rsa2048' ? key('rsa2048', 80 + slot) : key(kind));
const EKU_OIDS: Record<string, readonly string[] | undefined> = {
  none: undefined,
  serverAuth: [Oid.serverAuth],
  clientAuth: [Oid.clientAuth],
  both: [Oid.serverAuth, Oid.clientAuth],
  email: [Oid.emailProtection],
  any: [Oid.anyExtendedKeyUsage],
};

function caExtensions(s: CaSpec): Ext[] {
  const out: Ext[] = [ext.basicConstraints(!s.notCa, s.notCa ? undefined : s.pathLen), ext.keyUsage(s.noCertSign ? KeyUsage.digitalSignature | KeyUsage.cRLSign : KeyUsage.keyCertSign | KeyUsage.cRLSign)];
  const eku = EKU_OIDS[s.eku];
  if (eku) out.push(ext.eku(eku));
  if (s.nc) out.push(ext.nameConstraints({ permitted: s.nc.permitted, excluded: s.nc.excluded }));
  if (s.critUnknown) out.push(ext.raw(PRIVATE_OID, Uint8Array.of(5, 0), true));
  return out;
}

function validityOf(v: CaSpec['validity'] | LeafSpec['validity'], base: { notBefore: Date; notAfter: Date }): { notBefore: Date; notAfter: Date } {
  switch (v) {
    case 'expired':
      return { notBefore: at(-2 * YEAR), notAfter: at(-DAY) };
    case 'notYet':
      return { notBefore: at(DAY), notAfter: at(2 * YEAR) };
    case 'lastSecond':
      return { notBefore: at(-DAY), notAfter: T };
    case 'firstSecond':
      return { notBefore: T, notAfter: at(DAY) };
    default:
      return base;
  }
}

/** The certificates of a {@link PkiSpec}: root (the anchor), intermediates (leaf side first), leaf. */
export function buildPki(spec: PkiSpec): { root: Issued; ints: Issued[]; leaf: Issued } {
  const rootKey = keyFor(spec.root.keyKind, 0);
  // The root signs itself with the first algorithm of its key kind.
  const root = issue({ subject: 'CN=Campaign8 Root', key: rootKey, sigAlg: sigAlgFor(spec.root.keyKind, 0), ...validityOf(spec.root.validity, CA_V), extensions: [...caExtensions(spec.root), ext.ski(keyId(rootKey.spki))] });
  const chainDown: Issued[] = [];
  let issuer = root;
  let issuerKind = spec.root.keyKind;
  spec.ints.forEach((s, i) => {
    const k = keyFor(s.keyKind, i + 1);
    const c = issue({ subject: `CN=Campaign8 Int ${i + 1}`, issuer, key: k, sigAlg: sigAlgFor(issuerKind, s.alg), ...validityOf(s.validity, CA_V), extensions: [...caExtensions(s), ext.ski(keyId(k.spki)), ext.aki(issuer.skid)] });
    chainDown.push(c);
    issuer = c;
    issuerKind = s.keyKind;
  });
  const l = spec.leaf;
  const exts: Ext[] = [ext.basicConstraints(false)];
  if (l.ku === 'ds') exts.push(ext.keyUsage(KeyUsage.digitalSignature));
  if (l.ku === 'ds+ke') exts.push(ext.keyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
  const eku = EKU_OIDS[l.eku];
  if (eku) exts.push(ext.eku(eku));
  exts.push(ext.san(l.names));
  exts.push(ext.aki(issuer.skid));
  if (l.critUnknown) exts.push(ext.raw(PRIVATE_OID, Uint8Array.of(5, 0), true));
  // A subject CN that is not a host name: OpenSSL would apply DNS constraints to a host-like CN (we never use the CN).
  const leaf = issue({ subject: 'CN=Campaign8 Leaf', issuer, key: keyFor(l.keyKind, 9), sigAlg: sigAlgFor(issuerKind, l.alg), ...validityOf(l.validity, LEAF_V), extensions: exts });
  return { root, ints: chainDown.reverse(), leaf };
}

export { key, DAY, YEAR };

/**
 * OpenSSL errors explained by a known, reasoned disagreement (see the campaign-8 status):
 * returns the reason, or null. `depth` is OpenSSL's depth (0 = leaf, top = the anchor).
 */
export function knownDifference(spec: PkiSpec, code: number, depth: number): string | null {
  const top = spec.ints.length + 1;
  // spec.ints[0] is issued by the root: it sits just below it (depth top - 1).
  const cas = [...spec.ints.map((s, i) => ({ s, depth: spec.ints.length - i })), { s: spec.root, depth: top }];
  const at = cas.find((c) => c.depth === depth)?.s;
  if (code === 62 && spec.serverName?.endsWith('.')) return 'reference with a trailing dot: OpenSSL X509_check_host does not strip it (RFC 9525 §6.3, RFC 1034 §3.1: the absolute form names the same host)';
  if (code === 10 && depth === 0 && spec.leaf.validity === 'lastSecond') return 'notAfter equal to the validation time: RFC 5280 §4.1.2.5 "from notBefore through notAfter, inclusive"; OpenSSL treats it as expired';
  if (code === 34 && depth === top && spec.root.critUnknown) return 'an unknown critical extension in the trust anchor: RFC 5280 §6.1.1 (d) takes the anchor as trusted input; OpenSSL checks it';
  if (code === 26 && at && at.eku === 'any' && depth > 0) return 'anyExtendedKeyUsage in a CA: RFC 5280 §4.2.1.12 "any purpose"; OpenSSL 3.0 does not count it for sslserver/sslclient';
  return null;
}

// ------------------------------------------------------------------------------ TLV trees (BER re-encoding)

/** A parsed TLV: a primitive value, or the children of a constructed one. */
export interface Tlv {
  tag: number;
  value?: Uint8Array;
  /** An OCTET STRING whose contents are one DER element (an extension value), as a tree. */
  encapsulated?: Tlv;
  children?: Tlv[];
  /** How to write the length: minimal DER (default), long form with `extra` leading octets, or indefinite. */
  lengthForm?: { kind: 'long'; octets: number } | { kind: 'indefinite' };
}

/** Parses DER into a tree (constructed tags are read as children). */
export function parseTlv(der: Uint8Array): Tlv {
  const r = new DerReader(der);
  const el = r.read();
  r.end();
  return toTree(el.tag, el.value);
}

function toTree(tag: number, value: Uint8Array): Tlv {
  if (tag === DerTag.OCTET_STRING && value.length > 0 && value[0] === DerTag.SEQUENCE) {
    try {
      const inner = parseTlv(value);
      return { tag, value: value.slice(), encapsulated: inner };
    } catch {
      // not one DER element: an opaque value
    }
  }
  if ((tag & 0x20) === 0) return { tag, value: value.slice() };
  const r = new DerReader(value);
  const children: Tlv[] = [];
  while (!r.done) {
    const el = r.read();
    children.push(toTree(el.tag, el.value));
  }
  return { tag, children };
}

/** Encodes a tree; lengths minimal unless a node's `lengthForm` says otherwise. */
export function encodeTlv(t: Tlv): Uint8Array {
  const content = t.children ? concatBytes(t.children.map(encodeTlv)) : t.encapsulated ? encodeTlv(t.encapsulated) : t.value!;
  const form = t.lengthForm;
  if (form?.kind === 'indefinite') return concatBytes([Uint8Array.of(t.tag, 0x80), content, Uint8Array.of(0, 0)]);
  if (form?.kind === 'long') {
    // octets ≤ 0: one more length octet than the minimal form needs (always non-minimal).
    const minimal = content.length < 0x80 ? 0 : content.length < 0x100 ? 1 : content.length < 0x10000 ? 2 : 3;
    return longFormTlv(t.tag, content, form.octets > 0 ? form.octets : minimal + 1);
  }
  return derTlv(t.tag, content);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Every node of a tree, depth first (the root first). */
export function nodesOf(t: Tlv): Tlv[] {
  const out: Tlv[] = [t];
  for (const c of t.children ?? []) out.push(...nodesOf(c));
  if (t.encapsulated) out.push(...nodesOf(t.encapsulated));
  return out;
}
