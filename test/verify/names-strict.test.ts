/**
 * Issue 7 item 19 (names): attribute values, string types and character sets are checked
 * as RFC 5280 Appendix A and X.690 require (a certificate whose subject breaks them has
 * `OtherErrors`; before, anything was read as Latin-1 and accepted), and, with
 * `commonNameFallback`, no fallback when any CN cannot be decoded.
 */
import { describe, expect, it } from 'vitest';
import { DerTag, derSequence, derUnsignedInteger } from '../../src/crypto/der.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { Oid, ext, issue, key, rawRdn } from './builder.js';
import { T, V, codes, verify } from './common.js';

describe('name attribute values (RFC 5280 Appendix A, X.680 §41, X.690 §8.23)', () => {
  const root = issue({ subject: 'CN=Names Root', key: key('p256'), ca: true, ...V });

  const BAD_NAMES: readonly [string, Uint8Array][] = [
    ['a PrintableString with "*"', rawRdn('2.5.4.10', 0x13, 'Evil*Corp')],
    ['a PrintableString with "@"', rawRdn('2.5.4.3', 0x13, 'a@b')],
    ['an IA5String with octet 0x80', rawRdn('1.2.840.113549.1.9.1', 0x16, Uint8Array.of(0x61, 0x80))],
    ['a UTF8String that is not UTF-8 (overlong)', rawRdn('2.5.4.3', 0x0c, Uint8Array.of(0xc0, 0xaf))],
    ['a UTF8String with a surrogate', rawRdn('2.5.4.3', 0x0c, Uint8Array.of(0xed, 0xa0, 0x80))],
    ['a BMPString of odd length', rawRdn('2.5.4.3', 0x1e, Uint8Array.of(0x00, 0x41, 0x00))],
    ['a BMPString with a surrogate', rawRdn('2.5.4.3', 0x1e, Uint8Array.of(0xd8, 0x00))],
    ['a UniversalString beyond U+10FFFF', rawRdn('2.5.4.3', 0x1c, Uint8Array.of(0x00, 0x11, 0x00, 0x00))],
    ['a NumericString with a letter', rawRdn('2.5.4.3', 0x12, '12a')],
    ['a countryName of three letters', rawRdn('2.5.4.6', 0x13, 'USA')],
    ['a countryName as UTF8String', rawRdn('2.5.4.6', 0x0c, 'US')],
    ['a commonName as an INTEGER', rawRdn('2.5.4.3', DerTag.INTEGER, Uint8Array.of(1))],
    ['an empty organizationName', rawRdn('2.5.4.10', 0x0c, new Uint8Array(0))],
    ['an emailAddress as UTF8String', rawRdn('1.2.840.113549.1.9.1', 0x0c, 'a@example.test')],
  ];
  for (const [label, rdn] of BAD_NAMES) {
    it(`a subject with ${label}: OtherErrors (RFC 5280 Appendix A, X.690)`, async () => {
      const leaf = issue({ subject: '', subjectDer: derSequence(rdn), issuer: root, san: [{ dns: 'www.example.test' }], ...V });
      const parsed = parseCertificate(leaf.der);
      expect(parsed.problems.some((p) => p.startsWith('subject attribute'))).toBe(true);
      const r = await verify(leaf, [], root);
      expect(codes(r.errors)).toEqual(['OtherErrors@0']);
    });
  }

  it('valid names of every string type pass; an unknown attribute type may hold any DER element', async () => {
    const subjectDer = derSequence(
      rawRdn('2.5.4.6', 0x13, 'DE'),
      rawRdn('2.5.4.10', 0x14, Uint8Array.of(0x4d, 0xfc, 0x6c, 0x6c)), // TeletexString, Latin-1
      rawRdn('2.5.4.11', 0x1e, Uint8Array.of(0x00, 0xe9, 0x00, 0x74)), // BMPString "ét"
      rawRdn('2.5.4.7', 0x1c, Uint8Array.of(0, 0, 0, 0x78)), // UniversalString "x"
      rawRdn('0.9.2342.19200300.100.1.25', 0x16, 'example'),
      rawRdn('1.3.6.1.4.1.55555.7', DerTag.SEQUENCE, derUnsignedInteger(5n)),
      rawRdn('2.5.4.3', 0x13, "A-Z a-z 0-9 '()+,-./:=?"),
    );
    const leaf = issue({ subject: '', subjectDer, issuer: root, san: [{ dns: 'www.example.test' }], ...V });
    expect(parseCertificate(leaf.der).problems).toEqual([]);
    expect((await verify(leaf, [], root)).errors).toEqual([]);
  });
});

describe('the CN fallback (RFC 6125 §6.4.4) with a CN that cannot be decoded', () => {
  const root = issue({ subject: 'CN=CN Root', key: key('p256'), ca: true, ...V });

  it('with commonNameFallback, no fallback when any CN cannot be decoded (an earlier CN does not stand in)', async () => {
    // CN=evil.example.test, then a last CN whose UTF8String is not UTF-8. Before: the bad
    // one was dropped and the earlier one matched.
    const subjectDer = derSequence(rawRdn('2.5.4.3', 0x0c, 'evil.example.test'), rawRdn('2.5.4.3', 0x0c, Uint8Array.of(0xff, 0xfe)));
    const leaf = issue({ subject: '', subjectDer, issuer: root, ...V, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth])] });
    const r = await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], serverName: 'evil.example.test', time: T, commonNameFallback: true });
    expect(codes(r.errors)).toContain('InvalidName@0');
    expect(r.errors.find((e) => e.code === 'InvalidName')!.detail).toMatch(/common name cannot be decoded/);
    // A decodable last CN still works.
    const fine = issue({ subject: 'CN=other, CN=evil.example.test', issuer: root, ...V, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth])] });
    expect((await verifyCertificateChain({ leaf: fine.der, trustAnchors: [root.der], serverName: 'evil.example.test', time: T, commonNameFallback: true })).errors).toEqual([]);
  });
});
