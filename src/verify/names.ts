/**
 * Distinguished names and general names for the verifier: strict parsing (RFC 5280
 * Appendix A, X.690), comparison keys (RFC 5280 §7.1), relative distinguished names for
 * directoryName constraints (§4.2.1.10), and attribute values (the subject common name,
 * for the opt-in CN fallback of hostname.ts; emailAddress for rfc822Name constraints).
 *
 * ## Strictness
 *
 * A Name is `SEQUENCE OF SET SIZE (1..MAX) OF SEQUENCE { type OID, value ANY }` (§4.1.2.4);
 * anything else is not a Name. Within a well-formed Name, each attribute value is
 * checked against its type (Appendix A.1) and its string type's character set (X.680
 * §41, X.690 §8.23), and every finding is returned with the parsed name so that the
 * caller decides (a certificate reports it as a problem, a directoryName in a SAN or a
 * constraint is refused):
 * - DirectoryString attributes (commonName, organizationName, ...) must be a
 *   TeletexString, PrintableString, UniversalString, UTF8String or BMPString, and not
 *   empty (SIZE (1..MAX)); countryName is a two-character PrintableString; serialNumber
 *   and dnQualifier are PrintableString; emailAddress and domainComponent are IA5String.
 *   Upper bounds (ub-common-name and the like) are not enforced: certificates in use
 *   exceed them and they carry no security meaning.
 * - Character sets: PrintableString `A-Z a-z 0-9 ' ( ) + , - . / : = ?` and space;
 *   NumericString digits and space; IA5String 0x00-0x7F; VisibleString 0x20-0x7E;
 *   UTF8String well-formed UTF-8 (no overlong forms, no surrogates); BMPString an even
 *   number of octets and no surrogate code units; UniversalString a multiple of four
 *   octets, code points up to U+10FFFF and no surrogates. TeletexString is read as
 *   Latin-1 (what every implementation does with it).
 * - Values of attribute types not listed are any single DER element; if that element is
 *   one of the string types above, its character set is checked all the same.
 *
 * ## Comparison
 *
 * RFC 5280 §7.1 compares names with the LDAP string preparation of RFC 4518. We apply
 * the parts that matter in practice and that OpenSSL, Go and NSS apply too: the same
 * attribute types in the same order; directory strings compared after decoding (so a
 * PrintableString and a UTF8String with the same text are equal), with leading and
 * trailing white space removed, inner runs of white space collapsed to one space and
 * ASCII letters folded to lower case; the attributes of a multi-valued RDN as a set.
 * Non-ASCII case folding and the rest of RFC 4518 (Unicode normalisation, mapping
 * tables) are not applied: such names compare equal only when their prepared forms
 * are byte-identical, which errs on the side of "different name" (no path).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { DerReader, DerTag, checkDerElements, type DerElement } from '../crypto/der.js';
import { toHex, copyBytes } from '../base/bytes.js';

/** OIDs of attribute types read here (RFC 4519, RFC 5280 Appendix A.1, PKCS #9). */
export const AttributeOid = {
  commonName: '2.5.4.3',
  countryName: '2.5.4.6',
  serialNumber: '2.5.4.5',
  dnQualifier: '2.5.4.46',
  emailAddress: '1.2.840.113549.1.9.1',
  domainComponent: '0.9.2342.19200300.100.1.25',
} as const;

/** Universal tags of the string types (X.680 §8.6). */
const Str = {
  UTF8: 0x0c,
  Numeric: 0x12,
  Printable: 0x13,
  Teletex: 0x14,
  IA5: 0x16,
  Visible: 0x1a,
  Universal: 0x1c,
  BMP: 0x1e,
} as const;

/** DirectoryString (RFC 5280 Appendix A.1): teletexString, printableString, universalString, utf8String, bmpString. */
const DIRECTORY_STRING: ReadonlySet<number> = new Set([Str.Teletex, Str.Printable, Str.Universal, Str.UTF8, Str.BMP]);

/** Attribute types whose value is a DirectoryString (RFC 5280 Appendix A.1, RFC 4519, CA/B Forum EV Guidelines §9.2.4). */
const DIRECTORY_STRING_TYPES: ReadonlySet<string> = new Set([
  '2.5.4.3', // commonName
  '2.5.4.4', // surname
  '2.5.4.7', // localityName
  '2.5.4.8', // stateOrProvinceName
  '2.5.4.9', // streetAddress (RFC 4519 §2.34)
  '2.5.4.10', // organizationName
  '2.5.4.11', // organizationalUnitName
  '2.5.4.12', // title
  '2.5.4.15', // businessCategory (RFC 4519 §2.1)
  '2.5.4.17', // postalCode (RFC 4519 §2.23)
  '2.5.4.41', // name
  '2.5.4.42', // givenName
  '2.5.4.43', // initials
  '2.5.4.44', // generationQualifier
  '2.5.4.65', // pseudonym
  '2.5.4.97', // organizationIdentifier (X.520)
  '1.3.6.1.4.1.311.60.2.1.1', // jurisdictionLocalityName
  '1.3.6.1.4.1.311.60.2.1.2', // jurisdictionStateOrProvinceName
]);

/** Attribute types whose value must be a PrintableString, with an exact size where one is fixed. */
const PRINTABLE_TYPES: ReadonlyMap<string, number | undefined> = new Map([
  ['2.5.4.6', 2], // countryName: PrintableString (SIZE (2))
  ['1.3.6.1.4.1.311.60.2.1.3', 2], // jurisdictionCountryName: as countryName
  ['2.5.4.5', undefined], // serialNumber
  ['2.5.4.46', undefined], // dnQualifier
]);

/** Attribute types whose value must be an IA5String. */
const IA5_TYPES: ReadonlySet<string> = new Set([AttributeOid.emailAddress, AttributeOid.domainComponent]);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes a string value of a universal string type, checking its character set (see the
 * module description).
 *
 * @returns the text; `null` if the tag is not a string type read here; a `{ bad }` object
 *   if the octets are not a valid value of the type
 */
function decodeString(tag: number, v: Uint8Array): string | null | { readonly bad: string } {
  const bytes = (test: (b: number) => boolean, what: string): string | { bad: string } => {
    let out = '';
    for (let i = 0; i < v.length; i++) {
      const b = v[i]!;
      if (!test(b)) return { bad: `${what} with octet 0x${b.toString(16).padStart(2, '0')}` };
      out += String.fromCharCode(b);
    }
    return out;
  };
  switch (tag) {
    case Str.UTF8:
      try {
        return utf8.decode(v);
      } catch {
        return { bad: 'UTF8String that is not valid UTF-8' };
      }
    case Str.Numeric:
      return bytes((b) => b === 0x20 || (b >= 0x30 && b <= 0x39), 'NumericString');
    case Str.Printable: {
      const s = bytes(() => true, 'PrintableString');
      if (typeof s !== 'string' || PRINTABLE.test(s)) return s;
      const outside = s.replace(PRINTABLE_CHARS, '').slice(0, 8);
      return { bad: `PrintableString with a character outside its set (${JSON.stringify(outside).replace(/[^\x20-\x7e]/g, '?')})` };
    }
    case Str.Teletex:
      return bytes(() => true, 'TeletexString'); // read as Latin-1
    case Str.IA5:
      return bytes((b) => b < 0x80, 'IA5String');
    case Str.Visible:
      return bytes((b) => b >= 0x20 && b < 0x7f, 'VisibleString');
    case Str.BMP: {
      // UCS-2 (X.680 §41.16): code units of the Basic Multilingual Plane, no surrogates.
      if (v.length % 2 !== 0) return { bad: 'BMPString of an odd number of octets' };
      let out = '';
      for (let i = 0; i < v.length; i += 2) {
        const u = (v[i]! << 8) | v[i + 1]!;
        if (u >= 0xd800 && u <= 0xdfff) return { bad: 'BMPString with a surrogate code unit' };
        out += String.fromCharCode(u);
      }
      return out;
    }
    case Str.Universal: {
      // UCS-4 (X.680 §41.16), big-endian.
      if (v.length % 4 !== 0) return { bad: 'UniversalString whose length is not a multiple of 4' };
      let out = '';
      for (let i = 0; i < v.length; i += 4) {
        const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { bad: 'UniversalString with an invalid code point' };
        out += String.fromCodePoint(cp);
      }
      return out;
    }
    default:
      return null;
  }
}
const PRINTABLE_CHARS = /[A-Za-z0-9 '()+,\-./:=?]/g;

/**
 * Decodes a directory string value (X.680 §41) for display or comparison, or returns
 * null for a type that is not a string type read here or octets that are not a valid
 * value of the type.
 */
export function directoryString(tag: number, v: Uint8Array): string | null {
  const s = decodeString(tag, v);
  return typeof s === 'string' ? s : null;
}

/** One attribute of a name: its type and its value as text (null when not a string read here, or invalid). */
export interface NameAttribute {
  readonly oid: string;
  readonly tag: number;
  readonly text: string | null;
  /** The whole encoding of the value. */
  readonly raw: Uint8Array;
}

/** A parsed Name. */
export interface ParsedName {
  /** The RDNs, most significant first (DER order). */
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** Attribute values that break RFC 5280 Appendix A or X.690 (empty when the name is clean). */
  readonly problems: readonly string[];
}

/** Finds what is wrong with one attribute value, or returns null (RFC 5280 Appendix A.1; X.690). */
function attributeProblem(oid: string, value: DerElement, decoded: string | null | { readonly bad: string }): string | null {
  const what = `attribute ${oid}`;
  if (decoded !== null && typeof decoded === 'object') return `${what}: ${decoded.bad}`;
  if (DIRECTORY_STRING_TYPES.has(oid)) {
    if (!DIRECTORY_STRING.has(value.tag)) return `${what}: a DirectoryString cannot have tag 0x${value.tag.toString(16)}`;
    if (value.value.length === 0) return `${what}: empty value (SIZE (1..MAX))`;
    return null;
  }
  const size = PRINTABLE_TYPES.get(oid);
  if (PRINTABLE_TYPES.has(oid)) {
    if (value.tag !== Str.Printable) return `${what}: must be a PrintableString, not tag 0x${value.tag.toString(16)}`;
    if (size !== undefined ? value.value.length !== size : value.value.length === 0) return `${what}: PrintableString of ${value.value.length} characters`;
    return null;
  }
  if (IA5_TYPES.has(oid)) {
    if (value.tag !== Str.IA5) return `${what}: must be an IA5String, not tag 0x${value.tag.toString(16)}`;
    if (value.value.length === 0) return `${what}: empty value (SIZE (1..MAX))`;
  }
  return null;
}

/**
 * Parses a DER Name strictly (see the module description).
 *
 * @param nameDer - the whole Name encoding (a SEQUENCE)
 * @returns the RDNs and any attribute-value problems
 * @throws TlsError('CertificateOtherErrors') if the encoding is not a Name
 */
export function parseName(nameDer: Uint8Array): ParsedName {
  const r = new DerReader(nameDer, 'CertificateOtherErrors', 'Name');
  const seq = r.sequence();
  r.end();
  const rdns: NameAttribute[][] = [];
  const problems: string[] = [];
  while (!seq.done) {
    // RelativeDistinguishedName ::= SET SIZE (1..MAX) OF AttributeTypeAndValue
    const set = seq.sub(seq.expect(DerTag.SET, 'RelativeDistinguishedName').value);
    if (set.done) set.fail('empty RelativeDistinguishedName');
    const rdn: NameAttribute[] = [];
    while (!set.done) {
      const atv = set.sequence();
      const oid = atv.oid();
      const value = atv.read();
      atv.end();
      if ((value.tag & 0x20) !== 0) checkDerElements(atv, value.value, 8);
      const decoded = decodeString(value.tag, value.value);
      const problem = attributeProblem(oid, value, decoded);
      if (problem !== null) problems.push(problem);
      rdn.push({ oid, tag: value.tag, text: typeof decoded === 'string' ? decoded : null, raw: value.raw });
    }
    rdns.push(rdn);
  }
  return { rdns, problems };
}

/** The Name, or null if the encoding is not a Name. */
function tryParseName(nameDer: Uint8Array): ParsedName | null {
  try {
    return parseName(nameDer);
  } catch (e) {
    if (e instanceof TlsError) return null;
    throw e;
  }
}

/** RFC 4518 §2.6 (insignificant space handling, simplified) and ASCII case folding (caseIgnoreMatch). */
function prepare(text: string): string {
  return text
    .replace(/[\t\n\v\f\r ]+/g, ' ')
    .trim()
    .replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function attributeKey(a: NameAttribute): string {
  return a.text === null ? `${a.oid}#${toHex(a.raw)}` : `${a.oid}=${prepare(a.text)}`;
}

function rdnKey(rdn: readonly NameAttribute[]): string {
  // A multi-valued RDN is a SET: its order carries no meaning (X.501 §9.3).
  return JSON.stringify(rdn.map(attributeKey).sort());
}

/**
 * A comparison key for a DER Name: two names that RFC 5280 §7.1 considers equal (under
 * the simplifications in this module's description) have the same key. A malformed name
 * gets a key that only its own bytes share.
 */
export function nameKey(nameDer: Uint8Array): string {
  const n = tryParseName(nameDer);
  if (!n) return `!${toHex(nameDer)}`;
  return JSON.stringify(n.rdns.map(rdnKey));
}

/**
 * Comparison keys of each RDN of a DER Name (most significant first), or null if the
 * name cannot be compared: not a Name, or an attribute value that breaks its type.
 */
export function rdnKeys(nameDer: Uint8Array): string[] | null {
  const n = tryParseName(nameDer);
  return n && n.problems.length === 0 ? n.rdns.map(rdnKey) : null;
}

/** The text values of one attribute type in a Name, and whether any value of that type could not be read. */
export interface AttributeValues {
  /** The readable values, most significant RDN first. */
  readonly values: readonly string[];
  /** True if some value of the type is not a valid string (or the name is malformed). */
  readonly unreadable: boolean;
}

/**
 * The values of one attribute type in a DER Name, in order (most significant RDN first).
 * Values that are not valid strings are counted in `unreadable`, never dropped silently.
 */
export function attributeValuesOf(nameDer: Uint8Array, oid: string): AttributeValues {
  const n = tryParseName(nameDer);
  if (!n) return { values: [], unreadable: true };
  const values: string[] = [];
  let unreadable = false;
  for (const rdn of n.rdns) {
    for (const a of rdn) {
      if (a.oid !== oid) continue;
      if (a.text === null) unreadable = true;
      else values.push(a.text);
    }
  }
  return { values, unreadable };
}

/**
 * The text values of one attribute type in a DER Name, in order (most significant RDN
 * first). Values that are not string types, or do not decode, are left out: use
 * {@link attributeValuesOf} where a missing value matters.
 */
export function attributeValues(nameDer: Uint8Array, oid: string): string[] {
  return [...attributeValuesOf(nameDer, oid).values];
}

/** True if the DER Name has no RDN (an empty subject, RFC 5280 §4.1.2.6). */
export function isEmptyName(nameDer: Uint8Array): boolean {
  return nameDer.length === 2 && nameDer[0] === DerTag.SEQUENCE && nameDer[1] === 0;
}

// ---------------------------------------------------------------------------------
// GeneralName (RFC 5280 §4.2.1.6)

/** The GeneralName forms (RFC 5280 §4.2.1.6). */
export type GeneralNameForm =
  | 'otherName'
  | 'rfc822Name'
  | 'dNSName'
  | 'x400Address'
  | 'directoryName'
  | 'ediPartyName'
  | 'uniformResourceIdentifier'
  | 'iPAddress'
  | 'registeredID';

/** One parsed GeneralName. Byte fields are copies. */
export type GeneralName =
  | { readonly form: 'rfc822Name' | 'dNSName' | 'uniformResourceIdentifier'; readonly text: string }
  | { readonly form: 'iPAddress'; readonly bytes: Uint8Array }
  | { readonly form: 'directoryName'; readonly der: Uint8Array; readonly rdns: readonly string[] }
  | { readonly form: 'registeredID'; readonly oid: string }
  | { readonly form: 'otherName'; readonly typeId: string; readonly raw: Uint8Array }
  | { readonly form: 'x400Address' | 'ediPartyName'; readonly raw: Uint8Array };

/**
 * Where a GeneralName appears: in a subjectAltName an iPAddress is 4 or 16 octets; as the
 * base of a name-constraint subtree it is an address and a mask, 8 or 32 octets (§4.2.1.10).
 */
export type GeneralNameContext = 'subjectAltName' | 'subtree';

function ia5Text(r: DerReader, v: Uint8Array, form: string): string {
  let s = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i]! >= 0x80) r.fail(`${form} is not an IA5String`);
    s += String.fromCharCode(v[i]!);
  }
  return s;
}

/** True if the mask is some number of one bits followed by zero bits only (a prefix, RFC 4632 §3.1). */
function contiguousMask(mask: Uint8Array): boolean {
  let zeroSeen = false;
  for (let i = 0; i < mask.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = ((mask[i]! >> bit) & 1) === 1;
      if (one && zeroSeen) return false;
      if (!one) zeroSeen = true;
    }
  }
  return true;
}

/**
 * Reads one GeneralName strictly (RFC 5280 §4.2.1.6, Appendix A.2: the module uses
 * IMPLICIT tags, and a tag on the CHOICE types Name and DirectoryString is EXPLICIT):
 *
 * - `[0]` otherName: constructed, `type-id` OID then `[0] EXPLICIT` holding one element;
 * - `[1]` rfc822Name, `[2]` dNSName, `[6]` uniformResourceIdentifier: primitive IA5String;
 * - `[3]` x400Address: constructed, well-formed DER contents (not interpreted);
 * - `[4]` directoryName: constructed, exactly one Name, parsed by {@link parseName} with
 *   no attribute problem (a name that cannot be compared is refused here);
 * - `[5]` ediPartyName: constructed, `[0] nameAssigner` optional and `[1] partyName`,
 *   each one DirectoryString;
 * - `[7]` iPAddress: primitive, 4 or 16 octets in a SAN; 8 or 32 in a subtree, whose mask
 *   must be contiguous (a prefix: a mask with holes has no meaning as an address range);
 * - `[8]` registeredID: primitive, OBJECT IDENTIFIER contents.
 *
 * Any other identifier octet (another context tag, a universal, application or private
 * class element, end-of-contents, the constructed form of a primitive name or the
 * primitive form of a constructed one) is not a GeneralName.
 *
 * @param r - the reader the element came from (for errors)
 * @param g - the element
 * @throws TlsError with the reader's status for anything that is not a valid GeneralName
 */
export function readGeneralName(r: DerReader, g: DerElement, context: GeneralNameContext): GeneralName {
  switch (g.tag) {
    case 0xa0: {
      // AnotherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY DEFINED BY type-id }
      const s = r.sub(g.value);
      const typeId = s.oid();
      const v = s.expect(0xa0, 'otherName value');
      s.end();
      const inner = s.sub(v.value);
      const el = inner.read();
      inner.end();
      if ((el.tag & 0x20) !== 0) checkDerElements(inner, el.value, 8);
      return { form: 'otherName', typeId, raw: copyBytes(g.raw) };
    }
    case 0x81:
      return { form: 'rfc822Name', text: ia5Text(r, g.value, 'rfc822Name') };
    case 0x82:
      return { form: 'dNSName', text: ia5Text(r, g.value, 'dNSName') };
    case 0x86:
      return { form: 'uniformResourceIdentifier', text: ia5Text(r, g.value, 'uniformResourceIdentifier') };
    case 0xa3:
      // ORAddress ::= SEQUENCE { ... } (IMPLICIT [3]): its contents, checked for structure only.
      if (g.value.length === 0) r.fail('empty x400Address');
      checkDerElements(r, g.value, 8);
      return { form: 'x400Address', raw: copyBytes(g.raw) };
    case 0xa4: {
      // directoryName [4] Name: EXPLICIT (Name is a CHOICE), so exactly one Name inside.
      const inner = r.sub(g.value);
      const name = inner.expect(DerTag.SEQUENCE, 'Name in directoryName');
      inner.end();
      const parsed = parseName(name.raw);
      if (parsed.problems.length > 0) r.fail(`directoryName: ${parsed.problems[0]}`);
      return { form: 'directoryName', der: copyBytes(name.raw), rdns: parsed.rdns.map(rdnKey) };
    }
    case 0xa5: {
      // EDIPartyName ::= SEQUENCE { nameAssigner [0] DirectoryString OPTIONAL, partyName [1] DirectoryString }
      const s = r.sub(g.value);
      const one = (tag: number, what: string) => {
        const el = s.expect(tag, what);
        const inner = s.sub(el.value);
        const v = inner.read();
        inner.end();
        if (!DIRECTORY_STRING.has(v.tag) || typeof decodeString(v.tag, v.value) !== 'string') s.fail(`ediPartyName ${what} is not a valid DirectoryString`);
      };
      if (s.peekTag() === 0xa0) one(0xa0, 'nameAssigner');
      one(0xa1, 'partyName');
      s.end();
      return { form: 'ediPartyName', raw: copyBytes(g.raw) };
    }
    case 0x87: {
      const n = g.value.length;
      if (context === 'subjectAltName') {
        if (n !== 4 && n !== 16) r.fail(`iPAddress of ${n} octets`);
        return { form: 'iPAddress', bytes: copyBytes(g.value) };
      }
      if (n !== 8 && n !== 32) r.fail(`iPAddress constraint of ${n} octets`);
      if (!contiguousMask(g.value.subarray(n / 2))) r.fail('iPAddress constraint with a non-contiguous mask');
      return { form: 'iPAddress', bytes: copyBytes(g.value) };
    }
    case 0x88: {
      // registeredID [8] OBJECT IDENTIFIER: decode the contents as an OID.
      if (g.value.length > 127) r.fail('registeredID too long');
      const oid = r.sub(Uint8Array.of(DerTag.OID, g.value.length, ...g.value)).oid();
      return { form: 'registeredID', oid };
    }
    default:
      return r.fail(`not a GeneralName (identifier octet 0x${g.tag.toString(16).padStart(2, '0')})`);
  }
}

/**
 * Parses GeneralNames (RFC 5280 §4.2.1.6: `SEQUENCE SIZE (1..MAX) OF GeneralName`), every
 * entry with {@link readGeneralName}.
 *
 * @throws TlsError('CertificateOtherErrors') at the first entry that is not valid
 */
export function parseGeneralNames(value: Uint8Array, what: string): GeneralName[] {
  const r = new DerReader(value, 'CertificateOtherErrors', what);
  const s = r.sequence();
  r.end();
  if (s.done) s.fail('empty');
  const out: GeneralName[] = [];
  while (!s.done) out.push(readGeneralName(s, s.read(), 'subjectAltName'));
  return out;
}
