/**
 * Issue 7 item 14 (RFC 5280 strictness): self-issued intermediates do not count toward
 * maxDepth or pathLenConstraint (§6.1.4 (l)); nameConstraints in an end-entity certificate
 * is an error (§4.2.1.10); an iPAddress constraint whose mask is not contiguous is
 * malformed; an expired trust anchor is reported as Expired (ignorable).
 */
import { describe, expect, it } from 'vitest';
import { derSequence, derTlv } from '../../src/crypto/der.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { DAY, YEAR, Oid, ext, issue, key } from './builder.js';
import { T, V, codes, verify } from './common.js';

describe('RFC 5280 path rules', () => {
  const root = issue({ subject: 'CN=Strict Root', key: key('p256'), ca: true, ...V });

  it('self-issued intermediates do not count toward maxDepth (§6.1.4 (l)), nor toward pathLenConstraint', async () => {
    // Key rollover: "CN=Rollover CA" re-certifies its new key with its old one (self-issued, not self-signed).
    const oldKey = key('p256');
    const ca = issue({ subject: 'CN=Rollover CA', key: oldKey, issuer: root, ca: true, pathLen: 0, ...V });
    const rolled = issue({ subject: 'CN=Rollover CA', key: key('p256'), issuer: ca, ca: true, ...V });
    const leaf = issue({ subject: 'CN=www.example.test', issuer: rolled, san: [{ dns: 'www.example.test' }], ...V });
    expect(parseCertificate(rolled.der).selfIssued).toBe(true);
    // Before: two intermediates > maxDepth 1 → BasicConstraintsError.
    expect(codes((await verify(leaf, [rolled, ca], root, undefined, 1)).errors)).toEqual([]);
    expect(codes((await verify(leaf, [rolled, ca], root, undefined, 0)).errors)).toEqual(['BasicConstraintsError@2']);
    // A second non-self-issued intermediate does count, against maxDepth and pathLen 0 alike.
    const sub = issue({ subject: 'CN=Sub CA', issuer: rolled, ca: true, ...V });
    const leaf2 = issue({ subject: 'CN=www.example.test', issuer: sub, san: [{ dns: 'www.example.test' }], ...V });
    expect(codes((await verify(leaf2, [sub, rolled, ca], root, undefined, 1)).errors)).toEqual(['BasicConstraintsError@3', 'BasicConstraintsError@3']); // maxDepth and pathLen 0, both at the CA
  });

  it('nameConstraints in an end-entity certificate is an error (§4.2.1.10: "MUST be used only in a CA certificate")', async () => {
    const leaf = issue({ subject: 'CN=www.example.test', issuer: root, san: [{ dns: 'www.example.test' }], ...V, extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] }, false)] });
    const r = await verify(leaf, [], root);
    expect(codes(r.errors)).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    expect(r.errors[0]!.detail).toMatch(/not a CA but carries nameConstraints/);
  });

  it('an iPAddress constraint whose mask is not contiguous is malformed', async () => {
    const int = issue({ subject: 'CN=Holey Mask CA', issuer: root, ca: true, ...V, extra: [ext.raw(Oid.nameConstraints, derSequence(derTlv(0xa1, derSequence(derTlv(0x87, Uint8Array.of(10, 0, 0, 0, 255, 0, 255, 0))))), true)] });
    const leaf = issue({ subject: 'CN=www.example.test', issuer: int, san: [{ dns: 'www.example.test' }], ...V });
    const r = await verify(leaf, [int], root);
    expect(codes(r.errors)).toEqual(['OtherErrors@1']);
    expect(r.errors[0]!.detail).toMatch(/non-contiguous mask/);
  });

  it('an expired trust anchor certificate is reported as Expired (ignorable, as Windows does)', async () => {
    const old = issue({ subject: 'CN=Expired Root', key: key('p256'), ca: true, notBefore: new Date(T.getTime() - 2 * YEAR), notAfter: new Date(T.getTime() - DAY) });
    const leaf = issue({ subject: 'CN=www.example.test', issuer: old, san: [{ dns: 'www.example.test' }], ...V });
    const r = await verify(leaf, [], old);
    expect(codes(r.errors)).toEqual(['Expired@1']);
    expect(r.errors[0]!.detail).toMatch(/trust anchor/);
    expect(r.severity).toBe('ignorable');
  });
});
