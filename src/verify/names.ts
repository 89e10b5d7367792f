/**
 * Distinguished names for the verifier: comparison keys (RFC 5280 §7.1), relative
 * distinguished names for directoryName constraints (§4.2.1.10), and attribute values
 * (the subject common name, for the opt-in CN fallback of hostname.ts; emailAddress for
 * rfc822Name constraints).
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
import { DerReader, DerTag } from '../crypto/der.js';
import { toHex } from '../bytes.js';
import { directoryString } from './x509.js';

/** OIDs of attribute types read here (RFC 4519, PKCS #9). */
export const AttributeOid = {
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

/** One attribute of a name: its type and its value as text (null when not a string type). */
interface Attribute {
  readonly oid: string;
  readonly tag: number;
  readonly text: string | null;
  readonly raw: Uint8Array;
}

/**
 * The RDNs of a DER Name (RFC 5280 §4.1.2.4), most significant first, or null if the
 * encoding is not a Name.
 */
function readRdns(nameDer: Uint8Array): Attribute[][] | null {
  try {
    const r = new DerReader(nameDer, 'CertificateOtherErrors', 'Name');
    const seq = r.sequence();
    r.end();
    const rdns: Attribute[][] = [];
    while (!seq.done) {
      const set = seq.sub(seq.expect(DerTag.SET, 'RelativeDistinguishedName').value);
      const rdn: Attribute[] = [];
      while (!set.done) {
        const atv = set.sequence();
        const oid = atv.oid();
        const value = atv.read();
        atv.end();
        rdn.push({ oid, tag: value.tag, text: directoryString(value.tag, value.value), raw: value.raw });
      }
      if (rdn.length === 0) return null;
      rdns.push(rdn);
    }
    return rdns;
  } catch {
    return null;
  }
}

/** RFC 4518 §2.6 (insignificant space handling, simplified) and ASCII case folding (caseIgnoreMatch). */
function prepare(text: string): string {
  return text
    .replace(/[\t\n\v\f\r ]+/g, ' ')
    .trim()
    .replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

function attributeKey(a: Attribute): string {
  return a.text === null ? `${a.oid}#${toHex(a.raw)}` : `${a.oid}=${prepare(a.text)}`;
}

function rdnKey(rdn: readonly Attribute[]): string {
  // A multi-valued RDN is a SET: its order carries no meaning (X.501 §9.3).
  return JSON.stringify(rdn.map(attributeKey).sort());
}

/**
 * A comparison key for a DER Name: two names that RFC 5280 §7.1 considers equal (under
 * the simplifications in this module's description) have the same key. A malformed name
 * gets a key that only its own bytes share.
 */
export function nameKey(nameDer: Uint8Array): string {
  const rdns = readRdns(nameDer);
  if (!rdns) return `!${toHex(nameDer)}`;
  return JSON.stringify(rdns.map(rdnKey));
}

/** Comparison keys of each RDN of a DER Name (most significant first), or null if malformed. */
export function rdnKeys(nameDer: Uint8Array): string[] | null {
  const rdns = readRdns(nameDer);
  return rdns ? rdns.map(rdnKey) : null;
}

/**
 * The text values of one attribute type in a DER Name, in order (most significant RDN
 * first). Values that are not string types, or do not decode, are left out.
 */
export function attributeValues(nameDer: Uint8Array, oid: string): string[] {
  const rdns = readRdns(nameDer);
  if (!rdns) return [];
  const out: string[] = [];
  for (const rdn of rdns) for (const a of rdn) if (a.oid === oid && a.text !== null) out.push(a.text);
  return out;
}

/** True if the DER Name has no RDN (an empty subject, RFC 5280 §4.1.2.6). */
export function isEmptyName(nameDer: Uint8Array): boolean {
  return nameDer.length === 2 && nameDer[0] === DerTag.SEQUENCE && nameDer[1] === 0;
}
