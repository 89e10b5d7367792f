/**
 * Issue 7 item 18 (BIT STRING padding bits: keyUsage `03 02 07 84` is digitalSignature,
 * never keyCertSign) and item 19's over-strict OID reader (large arcs such as
 * `2.25.<UUID>` are valid), at the certificate level. Each test performs what the old code
 * got wrong.
 */
import { describe, expect, it } from 'vitest';
import { derBitString, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { TlsError } from '../../src/base/errors.js';
import { KeyUsage, parseCertificate } from '../../src/verify/x509.js';
import { Oid, ext, issue, key } from './builder.js';
import { T, V, codes, verify } from './common.js';

describe('item 18: BIT STRING padding bits', () => {
  const root = issue({ subject: 'CN=Padding Root', key: key('p256'), ca: true, ...V });

  it('keyUsage 03 02 07 84 is digitalSignature with a set padding bit: malformed, and never keyCertSign', async () => {
    // Before: read as digitalSignature | keyCertSign, so this "signature-only" key could issue.
    const ca = issue({ subject: 'CN=Signature Only', issuer: root, ca: true, ...V, extensions: [ext.basicConstraints(true), ext.raw(Oid.keyUsage, Uint8Array.of(0x03, 0x02, 0x07, 0x84), true)] });
    expect(parseCertificate(ca.der).keyUsage).toBeUndefined();
    expect(parseCertificate(ca.der).problems.join()).toMatch(/padding bits/);
    const leaf = issue({ subject: 'CN=www.example.test', issuer: ca, keyIds: false, san: [{ dns: 'www.example.test' }], ...V });
    const r = await verify(leaf, [ca], root);
    expect(r.severity).toBe('fatal');
    expect(codes(r.errors)).toEqual(['OtherErrors@1']);
  });

  it('keyUsage 03 02 07 80 is digitalSignature only: the CA cannot sign certificates', async () => {
    const ca = issue({ subject: 'CN=Signature Only 2', issuer: root, ca: true, ...V, extensions: [ext.basicConstraints(true), ext.raw(Oid.keyUsage, Uint8Array.of(0x03, 0x02, 0x07, 0x80), true)] });
    expect(parseCertificate(ca.der).keyUsage).toBe(KeyUsage.digitalSignature);
    const leaf = issue({ subject: 'CN=www.example.test', issuer: ca, keyIds: false, san: [{ dns: 'www.example.test' }], ...V });
    expect(codes((await verify(leaf, [ca], root)).errors)).toEqual(['BasicConstraintsError@1']);
  });

  it('keyUsage 03 03 07 86 80 (decipherOnly, bit 8) is read from the second octet', () => {
    const c = issue({ subject: 'CN=x', issuer: root, ...V, extensions: [ext.raw(Oid.keyUsage, Uint8Array.of(0x03, 0x03, 0x07, 0x86, 0x80), true)] });
    expect(parseCertificate(c.der).keyUsage).toBe(KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.decipherOnly);
  });

  it('any BIT STRING with set padding bits is not DER: a subject unique identifier makes the certificate unreadable', () => {
    const good = issue({ subject: 'CN=uid', issuer: root, ...V, noExtensions: true, version: 2 });
    // Insert issuerUniqueID [1] IMPLICIT BIT STRING 03 bits: 05 a8 (unused 3, padding 000).
    const withUid = (bits: Uint8Array) => {
      const r = parseCertificate(good.der);
      const tbs = r.tbs;
      const inner = tbs.subarray(tbs[1]! & 0x80 ? 2 + (tbs[1]! & 0x7f) : 2);
      const tbs2 = derSequence(inner, derTlv(0x81, bits));
      return derSequence(tbs2, derSequence(derOid(Oid.ecdsaWithSha256)), derBitString(r.signature));
    };
    expect(() => parseCertificate(withUid(Uint8Array.of(0x03, 0xa8)))).not.toThrow();
    expect(() => parseCertificate(withUid(Uint8Array.of(0x03, 0xa9)))).toThrow(TlsError);
  });
});

describe('item 19: OIDs with large arcs', () => {
  const root = issue({ subject: 'CN=OID Root', key: key('p256'), ca: true, ...V });

  it('OIDs with large arcs are accepted: a 2.25.<128-bit UUID> certificate policy (was: "OID arc too large")', async () => {
    const uuidOid = `2.25.${BigInt('0x' + 'f81d4fae7dec11d0a76500a0c91e6bf6').toString()}`;
    const leaf = issue({ subject: 'CN=www.example.test', issuer: root, san: [{ dns: 'www.example.test' }], ...V, extra: [ext.certificatePolicies([uuidOid])] });
    expect(codes((await verify(leaf, [], root)).errors)).toEqual([]);
    expect(parseCertificate(leaf.der).extensions.some((e) => e.oid === Oid.certificatePolicies)).toBe(true);
  });
});
