/**
 * Name constraints (RFC 5280 §4.2.1.10, applied as in §6.1.3 (b)-(c) and §6.1.4 (g)).
 *
 * A CA's nameConstraints extension restricts the names of every certificate below it in
 * a path: each name of a form for which permitted subtrees exist must lie in one of them,
 * and no name may lie in an excluded subtree. The forms processed:
 *
 * - dNSName: a name is within `example.com` if it is `example.com` or ends in
 *   `.example.com` ("adding zero or more labels to the left-hand side"). A constraint
 *   with a leading dot (`.example.com`, the URI/e-mail convention that OpenSSL and Go
 *   also accept for DNS) admits subdomains only. The empty constraint admits every name.
 *   Comparison is ASCII case-insensitive; one trailing dot is ignored on both sides. A
 *   wildcard SAN (`*.example.com`) is a name like any other for permitted subtrees (so it
 *   is within `example.com` but not within `a.example.com`), and it also violates an
 *   excluded subtree that it could match (`*.example.com` against excluded
 *   `a.example.com`).
 * - iPAddress: address and mask of the constraint's family (8 octets for IPv4, 32 for
 *   IPv6); an address of the other family is outside.
 * - rfc822Name (SAN entries and, per §4.2.1.10, emailAddress attributes of the subject):
 *   a full mailbox, a host, or `.domain` for any host in the domain.
 * - uniformResourceIdentifier: the URI's host (percent-encoded octets decoded, RFC 3986
 *   §6.2.2.2) against a host or `.domain`.
 * - Hosts of e-mail addresses and URIs compare like dNSNames: ASCII case-insensitive, one
 *   trailing dot ignored (the absolute form names the same host). An address or URI
 *   whose host cannot be compared (a URI without an authority, a bad percent-encoding, a
 *   backslash in the authority, characters no host name has) violates every constraint
 *   of its form, permitted or excluded.
 * - directoryName: the subject (when not empty) and directoryName SANs must have the
 *   constraint's RDNs as a prefix (names compared as in names.ts).
 *
 * Names come from the subjectAltName as x509.ts parsed it, strictly and completely
 * (names.ts `readGeneralName`); this module never re-reads the extension. Whatever cannot
 * be read fails closed: a malformed subjectAltName, a name whose attributes cannot be
 * compared (an empty RDN, an attribute value that breaks its type) or an undecodable
 * emailAddress attribute is a violation of any constraint, permitted or excluded.
 *
 * Constraints on other forms (otherName, x400Address, ediPartyName, registeredID) are
 * not processed: a certificate below that carries a name of such a form is refused, as
 * §4.2.1.10 requires ("MUST either process the constraint or reject the certificate").
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { DerReader } from '../crypto/der.js';
import { AttributeOid, attributeValuesOf, isEmptyName, readGeneralName, rdnKeys, type GeneralNameForm } from './names.js';
import { parseIdentity, type ParsedCertificate } from './x509.js';
import { formatIpAddress } from './hostname.js';

export type { GeneralNameForm } from './names.js';

/** One GeneralSubtree base (RFC 5280 §4.2.1.10). */
export type Subtree =
  | { readonly form: 'dNSName' | 'rfc822Name' | 'uniformResourceIdentifier'; readonly text: string }
  | { readonly form: 'iPAddress'; readonly address: Uint8Array; readonly mask: Uint8Array }
  | { readonly form: 'directoryName'; readonly rdns: readonly string[]; readonly der: Uint8Array }
  | { readonly form: 'otherName' | 'x400Address' | 'ediPartyName' | 'registeredID' };

/** A parsed nameConstraints extension. */
export interface NameConstraints {
  readonly permitted: readonly Subtree[];
  readonly excluded: readonly Subtree[];
}

/**
 * Parses a nameConstraints extension value (RFC 5280 §4.2.1.10):
 * `NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL,
 * excludedSubtrees [1] GeneralSubtrees OPTIONAL }`, `GeneralSubtree ::= SEQUENCE { base
 * GeneralName, minimum [0] BaseDistance DEFAULT 0, maximum [1] BaseDistance OPTIONAL }`.
 * Each base is read strictly by names.ts `readGeneralName`.
 *
 * @throws TlsError('CertificateOtherErrors') if malformed or impossible to honour: an
 *   empty extension ("MUST NOT issue certificates where name constraints is an empty
 *   sequence") or empty subtree list (SIZE (1..MAX)), a minimum other than 0 or a maximum
 *   ("MUST be zero", "MUST be absent"; DER also omits the DEFAULT 0, X.690 §11.5, but an
 *   explicit 0 is unambiguous and accepted), an iPAddress base that is not 8 or 32 octets
 *   or whose mask is not contiguous, a dNSName, rfc822Name or URI base that is not a domain
 *   (or a mailbox), any base that is not a valid GeneralName, trailing data.
 */
export function parseNameConstraints(value: Uint8Array): NameConstraints {
  const r = new DerReader(value, 'CertificateOtherErrors', 'nameConstraints');
  const s = r.sequence();
  r.end();
  const readSubtrees = (el: { value: Uint8Array } | undefined): Subtree[] => {
    if (!el) return [];
    const list = s.sub(el.value);
    const out: Subtree[] = [];
    // GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree
    if (list.done) list.fail('empty GeneralSubtrees');
    while (!list.done) {
      const st = list.sequence();
      const base = readGeneralName(st, st.read(), 'subtree');
      const min = st.optional(0x80);
      if (min && !(min.value.length === 1 && min.value[0] === 0)) st.fail('minimum must be 0');
      if (st.optional(0x81)) st.fail('maximum must be absent');
      st.end();
      switch (base.form) {
        case 'dNSName':
        case 'rfc822Name':
        case 'uniformResourceIdentifier':
          // A base that is no domain name matches no name: in an excluded subtree it would be
          // silently ineffective (`*.evil.test`, ` evil.test`, `evil..test` exclude nothing),
          // so it makes the extension malformed instead (constraints fail closed).
          if (!validBase(base.form, base.text)) st.fail(`${base.form} constraint ${JSON.stringify(base.text)} is not a domain name`);
          out.push({ form: base.form, text: base.text });
          break;
        case 'iPAddress': {
          const half = base.bytes.length / 2;
          out.push({ form: 'iPAddress', address: base.bytes.slice(0, half), mask: base.bytes.slice(half) });
          break;
        }
        case 'directoryName':
          out.push({ form: 'directoryName', rdns: base.rdns, der: base.der });
          break;
        default:
          out.push({ form: base.form });
      }
    }
    return out;
  };
  const permitted = readSubtrees(s.optional(0xa0));
  const excluded = readSubtrees(s.optional(0xa1));
  s.end();
  if (permitted.length === 0 && excluded.length === 0) r.fail('empty');
  return { permitted, excluded };
}

const BASE_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * A domain as a subtree base may name it (RFC 5280 §4.2.1.10, preferred name syntax of
 * §4.2.1.6): empty (every name), or labels of letters, digits, hyphens (and underscores,
 * as hostname.ts accepts), with one optional leading dot (subdomains only) and one
 * optional trailing dot (the absolute form).
 */
function validDomainBase(text: string): boolean {
  let t = text.startsWith('.') ? text.slice(1) : text;
  if (t.endsWith('.')) t = t.slice(0, -1);
  if (t.length === 0) return text.length <= 1;
  return t.length <= 253 && t.split('.').every((l) => BASE_LABEL.test(l));
}

/** Whether a dNSName, rfc822Name or URI subtree base is a domain (a mailbox too for rfc822Name). */
function validBase(form: 'dNSName' | 'rfc822Name' | 'uniformResourceIdentifier', text: string): boolean {
  if (form === 'rfc822Name') {
    const at = text.lastIndexOf('@');
    if (at === 0) return false;
    return at < 0 ? validDomainBase(text) : !text.slice(at + 1).startsWith('.') && text.slice(at + 1).length > 0 && validDomainBase(text.slice(at + 1));
  }
  // A URI constraint is a host or `.domain`, never empty (§4.2.1.10: "the constraint MUST be specified as a fully qualified domain name").
  if (form === 'uniformResourceIdentifier') return text.length > 0 && text !== '.' && validDomainBase(text);
  return validDomainBase(text);
}

/** A Name presented for directoryName constraints, with its RDN keys (null: it cannot be compared). */
export interface PresentedDirectoryName {
  readonly der: Uint8Array;
  readonly rdns: readonly string[] | null;
}

/** The names of one certificate that name constraints apply to. */
export interface PresentedNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  readonly emails: readonly string[];
  readonly uris: readonly string[];
  /** The subject (unless empty) and directoryName SAN entries. */
  readonly directoryNames: readonly PresentedDirectoryName[];
  /** Forms present that are not processed here (otherName, x400Address, ediPartyName, registeredID). */
  readonly otherForms: ReadonlySet<GeneralNameForm>;
  /**
   * Names that exist but cannot be read (a malformed subjectAltName, an undecodable
   * emailAddress attribute): any constraint at all then fails closed.
   */
  readonly unreadable: readonly string[];
}

/**
 * Collects the names of `cert` that constraints apply to (RFC 5280 §6.1.3 (b)-(c)), from
 * the subjectAltName parsed by x509.ts (never re-read here, so every user of the SAN sees
 * the same names) and the subject.
 *
 * @param cert - the certificate
 * @param commonNameAsDns - a subject common name used as the DNS identity (the opt-in
 *   CN fallback of hostname.ts): it is then a dNSName for constraint purposes too
 */
export function presentedNames(cert: ParsedCertificate, commonNameAsDns?: string): PresentedNames {
  // Read once per certificate (keyed by the remembered parse, as the engine's facts are):
  // the engine asks for every CA with constraints on every path it judges, and reading a
  // subject of thousands of RDNs costs milliseconds; the work budget charges comparisons,
  // so the reading must not be repeated per comparison set.
  const id = parseIdentity(cert);
  let base = presentedCache.get(id);
  if (!base) presentedCache.set(id, (base = readPresentedNames(id)));
  return commonNameAsDns === undefined ? base : { ...base, dnsNames: [commonNameAsDns, ...base.dnsNames] };
}

/** {@link presentedNames} without a common name, per remembered certificate parse. */
const presentedCache = new WeakMap<ParsedCertificate, PresentedNames>();

function readPresentedNames(cert: ParsedCertificate): PresentedNames {
  const dnsNames: string[] = [];
  const ipAddresses: Uint8Array[] = [];
  const emails: string[] = [];
  const uris: string[] = [];
  const directoryNames: PresentedDirectoryName[] = [];
  const otherForms = new Set<GeneralNameForm>();
  const unreadable: string[] = [];
  if (!isEmptyName(cert.subjectDer)) directoryNames.push({ der: cert.subjectDer, rdns: rdnKeys(cert.subjectDer) });
  // §4.2.1.10: emailAddress attributes of the subject are subject to rfc822Name constraints.
  const subjectEmails = attributeValuesOf(cert.subjectDer, AttributeOid.emailAddress);
  emails.push(...subjectEmails.values);
  if (subjectEmails.unreadable) unreadable.push('an emailAddress attribute of the subject cannot be read');
  if (cert.subjectAltNameMalformed) unreadable.push('the subjectAltName extension is malformed');
  for (const g of cert.subjectAltNames) {
    switch (g.form) {
      case 'dNSName':
        dnsNames.push(g.text);
        break;
      case 'iPAddress':
        ipAddresses.push(g.bytes);
        break;
      case 'rfc822Name':
        emails.push(g.text);
        break;
      case 'uniformResourceIdentifier':
        uris.push(g.text);
        break;
      case 'directoryName':
        directoryNames.push({ der: g.der, rdns: g.rdns });
        break;
      default:
        otherForms.add(g.form);
    }
  }
  return { dnsNames, ipAddresses, emails, uris, directoryNames, otherForms, unreadable };
}

/** Number of name × subtree comparisons {@link nameConstraintViolations} makes (the work it costs). */
export function constraintComparisons(nc: NameConstraints, names: PresentedNames): number {
  const n = names.dnsNames.length + names.ipAddresses.length + names.emails.length + names.uris.length + names.directoryNames.length + names.otherForms.size + 1;
  return n * (nc.permitted.length + nc.excluded.length);
}

function lowerAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function stripDot(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** dNSName within a DNS subtree (see the module description). */
export function dnsWithin(name: string, base: string): boolean {
  const n = stripDot(lowerAscii(name));
  const b = stripDot(lowerAscii(base));
  if (b.length === 0) return true;
  if (b.startsWith('.')) return n.length > b.length && n.endsWith(b);
  return n === b || n.endsWith(`.${b}`);
}

/** True if the wildcard name `*.rest` could match a name in the subtree `base` (for excluded subtrees). */
function wildcardMayHit(name: string, base: string): boolean {
  const n = stripDot(lowerAscii(name));
  if (!n.startsWith('*.')) return false;
  const rest = n.slice(2);
  const b = stripDot(lowerAscii(base));
  if (b.startsWith('.')) return false; // strict subdomains of b are two or more labels below `rest`
  const dot = b.indexOf('.');
  return dot > 0 && b.slice(dot + 1) === rest;
}

function ipWithin(addr: Uint8Array, st: { address: Uint8Array; mask: Uint8Array }): boolean {
  if (addr.length !== st.address.length) return false;
  for (let i = 0; i < addr.length; i++) if ((addr[i]! & st.mask[i]!) !== (st.address[i]! & st.mask[i]!)) return false;
  return true;
}

/**
 * A host name as constraints compare it: ASCII lower case, one trailing dot removed (the
 * absolute form names the same host, RFC 1034 §3.1), as for dNSNames.
 */
function hostKey(host: string): string {
  return stripDot(lowerAscii(host));
}

function hostWithin(host: string, base: string): boolean {
  const h = hostKey(host);
  const b = hostKey(base);
  if (h.length === 0) return false;
  if (b.startsWith('.')) return h.length > b.length && h.endsWith(b);
  return h === b;
}

/** An e-mail host or URI host that can be compared: a DNS host name or an address literal in brackets. */
const COMPARABLE_HOST = /^(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?|\[[0-9A-Fa-f:.]+\])$/;

/** The host of an rfc822Name (after the last `@`), or null if there is none or it cannot be compared. */
function emailHost(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at <= 0) return null;
  const host = email.slice(at + 1);
  return COMPARABLE_HOST.test(host) ? host : null;
}

function emailWithin(email: string, base: string): boolean {
  const at = email.lastIndexOf('@');
  const host = emailHost(email);
  if (host === null) return false;
  const local = email.slice(0, at);
  const bat = base.lastIndexOf('@');
  // §4.2.1.10: a particular mailbox, all mail at a host, or all mail in a domain (leading period).
  if (bat >= 0) return local === base.slice(0, bat) && hostKey(host) === hostKey(base.slice(bat + 1));
  return hostWithin(host, base);
}

/**
 * The host of a URI (RFC 3986 §3.2: scheme "://" [ userinfo "@" ] host [ ":" port ]),
 * percent-encoded octets decoded (§2.1, §6.2.2.2: `%2E` is `.`), or null if the URI has
 * no authority or a host that cannot be compared (a bad or non-DNS percent-encoding, a
 * backslash in the authority, which WHATWG URL parsers read as a path separator, so that
 * they would see another host than this function).
 */
function uriHost(uri: string): string | null {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(uri);
  if (!m) return null;
  const authority = m[1]!;
  if (authority.includes('\\')) return null;
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const h = /^(\[[^\]]*\]|[^:]*)(?::[0-9]*)?$/.exec(hostPort);
  if (!h || h[1]!.length === 0) return null;
  let host = h[1]!;
  if (host.includes('%')) {
    if (!/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(host)) return null;
    host = host.replace(/%([0-9A-Fa-f]{2})/g, (_, x: string) => String.fromCharCode(parseInt(x, 16)));
  }
  return COMPARABLE_HOST.test(host) ? host : null;
}

function uriWithin(uri: string, base: string): boolean {
  const host = uriHost(uri);
  return host !== null && !host.startsWith('[') && hostWithin(host, base);
}

function dirWithin(rdns: readonly string[], base: readonly string[]): boolean {
  if (rdns.length < base.length) return false;
  for (let i = 0; i < base.length; i++) if (rdns[i] !== base[i]) return false;
  return true;
}

/**
 * Checks the names of one certificate against one CA's constraints. Fails closed: a name
 * that cannot be compared (a directoryName whose attributes cannot be read, a malformed
 * subjectAltName) is outside every permitted subtree and inside every excluded one.
 *
 * @returns one human-readable violation per offending name (empty when all is well)
 */
export function nameConstraintViolations(nc: NameConstraints, names: PresentedNames, render: (der: Uint8Array) => string): string[] {
  const out: string[] = [];
  for (const u of names.unreadable) out.push(`${u}, so the name constraints cannot be checked`);
  const check = <T>(form: GeneralNameForm, values: readonly T[], within: (v: T, st: Subtree) => boolean, show: (v: T) => string, mayHit?: (v: T, st: Subtree) => boolean) => {
    if (values.length === 0) return;
    const permitted = nc.permitted.filter((st) => st.form === form);
    const excluded = nc.excluded.filter((st) => st.form === form);
    for (const v of values) {
      if (permitted.length > 0 && !permitted.some((st) => within(v, st))) out.push(`${form} ${show(v)} is outside the permitted subtrees`);
      if (excluded.some((st) => within(v, st) || (mayHit !== undefined && mayHit(v, st)))) out.push(`${form} ${show(v)} is in an excluded subtree`);
    }
  };
  check('dNSName', names.dnsNames, (v, st) => st.form === 'dNSName' && dnsWithin(v, st.text), (v) => JSON.stringify(v), (v, st) => st.form === 'dNSName' && wildcardMayHit(v, st.text));
  check('iPAddress', names.ipAddresses, (v, st) => st.form === 'iPAddress' && ipWithin(v, st), (v) => (v.length === 4 || v.length === 16 ? formatIpAddress(v) : `<${v.length} octets>`));
  // An e-mail address or URI whose host cannot be read or compared (no authority, a bad
  // percent-encoding, characters no host name has) is outside every subtree of its form and
  // inside every excluded one: it fails closed, like OpenSSL's "unsupported name syntax".
  const incomparable = (form: GeneralNameForm, values: readonly string[], host: (v: string) => string | null) => {
    if (!nc.permitted.some((st) => st.form === form) && !nc.excluded.some((st) => st.form === form)) return values;
    const ok: string[] = [];
    for (const v of values) {
      if (host(v) === null) out.push(`${form} ${JSON.stringify(v)} has no host that can be compared with the name constraints`);
      else ok.push(v);
    }
    return ok;
  };
  check('rfc822Name', incomparable('rfc822Name', names.emails, emailHost), (v, st) => st.form === 'rfc822Name' && emailWithin(v, st.text), (v) => JSON.stringify(v));
  check('uniformResourceIdentifier', incomparable('uniformResourceIdentifier', names.uris, uriHost), (v, st) => st.form === 'uniformResourceIdentifier' && uriWithin(v, st.text), (v) => JSON.stringify(v));
  const comparable = names.directoryNames.filter((d): d is { der: Uint8Array; rdns: readonly string[] } => d.rdns !== null);
  check('directoryName', comparable, (v, st) => st.form === 'directoryName' && dirWithin(v.rdns, st.rdns), (v) => `"${render(v.der)}"`);
  for (const d of names.directoryNames) {
    if (d.rdns === null && (nc.permitted.length > 0 || nc.excluded.length > 0)) out.push(`directoryName "${render(d.der)}" cannot be compared with the name constraints`);
  }
  for (const form of names.otherForms) {
    if (nc.permitted.some((st) => st.form === form) || nc.excluded.some((st) => st.form === form)) {
      out.push(`${form} names are constrained but such constraints are not processed`);
    }
  }
  return out;
}

/** Parses, turning any failure into a TlsError with the given context (for the engine). */
export function tryParseNameConstraints(value: Uint8Array): NameConstraints | TlsError {
  try {
    return parseNameConstraints(value);
  } catch (e) {
    return e instanceof TlsError ? e : new TlsError('CertificateOtherErrors', { detail: `nameConstraints: ${String(e)}`, cause: e });
  }
}
