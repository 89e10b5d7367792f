/**
 * Issue 7 item 16 (critical): a certificate's subjectAltName is parsed completely and
 * strictly before anything uses it, and name constraints fail closed on what cannot be
 * read. Every test performs the bypass: a leaf for a name outside the issuer's permitted
 * subtrees (or inside an excluded one) that was accepted before.
 */
import { describe, expect, it } from 'vitest';
import { DerTag, derNull, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { Oid, ext, generalName, issue, key, name, rawRdn } from './builder.js';
import { T, V, codes } from './common.js';

const ascii = (s: string) => new TextEncoder().encode(s);

const root = issue({ subject: 'CN=SAN Root', key: key('p256'), ca: true, ...V });
const permittedCa = issue({ subject: 'CN=Permits example.test', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] })] });
const excludedCa = issue({ subject: 'CN=Excludes evil.test', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ excluded: [{ dns: 'evil.test' }] })] });

/** A leaf whose SAN holds `bad` (raw GeneralName bytes) before `DNS:evil.test`. */
function leafWith(issuer: typeof root, bad: Uint8Array) {
  const san = derSequence(bad, generalName({ dns: 'evil.test' }));
  return issue({ subject: 'CN=leaf', issuer, ...V, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth]), ext.raw(Oid.subjectAltName, san)] });
}

const MALFORMED: readonly [string, Uint8Array][] = [
  ['[4] wrapping a NULL', derTlv(0xa4, derNull())],
  ['an empty [4]', Uint8Array.of(0xa4, 0x00)],
  ['[4] holding a BER indefinite-length Name', Uint8Array.of(0xa4, 0x0a, 0x30, 0x80, 0x31, 0x04, 0x30, 0x02, 0x06, 0x00, 0x00, 0x00)],
  ['[4] holding a Name and trailing data', derTlv(0xa4, name('CN=x'), derNull())],
  ['an undefined context tag [9]', Uint8Array.of(0x89, 0x01, 0x41)],
  ['an end-of-contents element', Uint8Array.of(0x00, 0x00)],
  ['a universal-class element (UTF8String)', derTlv(DerTag.UTF8_STRING, ascii('evil.test'))],
  ['a universal SEQUENCE', derSequence(derOid('1.2.3'))],
  ['a constructed dNSName', derTlv(0xa2, derTlv(0x16, ascii('evil.test')))],
  ['a primitive directoryName', derTlv(0x84, ascii('x'))],
  ['a dNSName that is not IA5', derTlv(0x82, Uint8Array.of(0x65, 0xe9))],
  ['an iPAddress of 5 octets', derTlv(0x87, Uint8Array.of(1, 2, 3, 4, 5))],
  ['an otherName without its [0] value', derTlv(0xa0, derOid('1.2.3'))],
  ['a registeredID that is not an OID', Uint8Array.of(0x88, 0x01, 0x80)],
];

describe('a malformed or unknown GeneralName makes the certificate invalid', () => {
  for (const [label, bad] of MALFORMED) {
    it(`${label} before DNS:evil.test: refused under permitted and excluded subtrees (was accepted)`, async () => {
      for (const ca of [permittedCa, excludedCa]) {
        const leaf = leafWith(ca, bad);
        const parsed = parseCertificate(leaf.der);
        expect(parsed.subjectAltNameMalformed).toBe(true);
        // No entry of a malformed SAN is used: not for the host name, not for anything.
        expect(parsed.dnsNames).toEqual([]);
        const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [ca.der], trustAnchors: [root.der], serverName: 'evil.test', time: T });
        expect(r.severity).toBe('fatal');
        expect(codes(r.errors)).toContain('OtherErrors@0');
        expect(r.errors.find((e) => e.code === 'OtherErrors')!.detail).toMatch(/subjectAltName/);
        // The constraints fail closed on it too.
        expect(r.errors.some((e) => e.code === 'InvalidCertificateAuthorityPolicy' && /subjectAltName extension is malformed/.test(e.detail))).toBe(true);
      }
    });
  }

  it('the well-formed forms are accepted (x400Address, ediPartyName, otherName, registeredID, URI, e-mail, directoryName)', async () => {
    const forms = [
      derTlv(0xa3, derSequence(derTlv(0x61, derTlv(0x13, ascii('US'))))),
      derTlv(0xa5, derTlv(0xa1, derTlv(DerTag.UTF8_STRING, ascii('party')))),
      derTlv(0xa0, derOid('1.3.6.1.4.1.311.20.2.3'), derTlv(0xa0, derTlv(DerTag.UTF8_STRING, ascii('upn@example.test')))),
      generalName({ registeredId: '1.2.3.4' }),
      generalName({ uri: 'https://www.example.test/' }),
      generalName({ email: 'a@example.test' }),
      generalName({ dir: 'O=Example, CN=x' }),
    ];
    const leaf = issue({ subject: 'CN=leaf', issuer: root, ...V, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth]), ext.raw(Oid.subjectAltName, derSequence(...forms, generalName({ dns: 'www.example.test' })))] });
    const parsed = parseCertificate(leaf.der);
    expect(parsed.subjectAltNameMalformed).toBe(false);
    expect(parsed.subjectAltNames.map((g) => g.form)).toEqual(['x400Address', 'ediPartyName', 'otherName', 'registeredID', 'uniformResourceIdentifier', 'rfc822Name', 'directoryName', 'dNSName']);
    const r = await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], serverName: 'www.example.test', time: T });
    expect(r.errors).toEqual([]);
  });
});

describe('directoryName SANs are parsed and checked against directoryName constraints', () => {
  const blockCa = issue({ subject: 'CN=Excludes CN=blocked', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ excluded: [{ dir: 'CN=blocked' }] })] });
  const okLeaf = (sanDir: Uint8Array) =>
    issue({ subject: 'CN=leaf', issuer: blockCa, ...V, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth]), ext.raw(Oid.subjectAltName, derSequence(derTlv(0xa4, sanDir), generalName({ dns: 'www.example.test' })))] });

  it('a directoryName SAN inside an excluded subtree is refused', async () => {
    const r = await verifyCertificateChain({ leaf: okLeaf(name('CN=blocked')).der, intermediates: [blockCa.der], trustAnchors: [root.der], serverName: 'www.example.test', time: T });
    expect(codes(r.errors)).toEqual(['InvalidCertificateAuthorityPolicy@0']);
  });

  it('an excluded CN=blocked plus an empty RDN does not escape (it did: the name could not be compared, so it matched nothing)', async () => {
    const withEmptyRdn = derSequence(derTlv(DerTag.SET, derSequence(derOid('2.5.4.3'), derTlv(DerTag.UTF8_STRING, ascii('blocked')))), derTlv(DerTag.SET));
    const r = await verifyCertificateChain({ leaf: okLeaf(withEmptyRdn).der, intermediates: [blockCa.der], trustAnchors: [root.der], serverName: 'www.example.test', time: T });
    expect(r.severity).toBe('fatal');
    // Malformed SAN (OtherErrors), the constraints fail closed on it, and its dNSName is not used either.
    expect(codes(r.errors)).toEqual(['InvalidCertificateAuthorityPolicy@0', 'InvalidName@0', 'OtherErrors@0']);
  });

  it('a directoryName whose attribute value breaks its type (an IA5String with octet 0xff) is refused', async () => {
    const bad = derSequence(rawRdn('2.5.4.3', 0x16, Uint8Array.of(0x62, 0xff)));
    const r = await verifyCertificateChain({ leaf: okLeaf(bad).der, intermediates: [blockCa.der], trustAnchors: [root.der], serverName: 'www.example.test', time: T });
    expect(r.severity).toBe('fatal');
    expect(codes(r.errors)).toContain('OtherErrors@0');
  });

  it('a subject that cannot be compared fails directoryName constraints closed', async () => {
    const permitGood = issue({ subject: 'CN=Permits O=Good', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ permitted: [{ dir: 'O=Good' }] })] });
    // O=Good, then a CN whose UTF8String is not UTF-8: before, the subject was compared as unreadable bytes.
    const subjectDer = derSequence(rawRdn('2.5.4.10', 0x0c, 'Good'), rawRdn('2.5.4.3', 0x0c, Uint8Array.of(0xc3, 0x28)));
    const leaf = issue({ subject: '', subjectDer, issuer: permitGood, san: [{ dns: 'www.example.test' }], ...V });
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [permitGood.der], trustAnchors: [root.der], serverName: 'www.example.test', time: T });
    expect(r.severity).toBe('fatal');
    expect(r.errors.some((e) => e.code === 'InvalidCertificateAuthorityPolicy' && /cannot be compared/.test(e.detail))).toBe(true);
  });
});
