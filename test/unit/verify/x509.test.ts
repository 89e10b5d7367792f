import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derBitString, derNull, derOid, derSequence, derTlv, derUnsignedInteger } from '../../../src/crypto/der.js';
import { parsePublicKey } from '../../../src/crypto/keys.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { pemDecode } from '../../../src/crypto/pem.js';
import type { PublicKeyInfo } from '../../../src/crypto/provider.js';
import { TlsError } from '../../../src/base/errors.js';
import { SignatureScheme } from '../../../src/wire/codes.js';
import { generateTestPki } from '../../../src/verify/generate.js';
import { formatIpAddress } from '../../../src/verify/hostname.js';
import { KeyUsage, Oid, certificateSignatureScheme, nameToString, parseCertificate, verifyCertificateSignature } from '../../../src/verify/x509.js';
import { opensslOnPath } from '../../helpers/openssl-on-path.js';
import { expectStatus } from '../../helpers/tls-error.js';

const OPENSSL = opensslOnPath('the OpenSSL cross-checks in x509.test.ts');

describe('parseCertificate', () => {
  it('reads every field of a generated leaf and CA', async () => {
    const pki = await generateTestPki({ names: ['a.test', '*.b.test', '192.0.2.7', '2001:db8::5'] });
    const leaf = parseCertificate(pki.certDer);
    const ca = parseCertificate(pki.caCertDer);
    expect(leaf.version).toBe(3);
    expect(leaf.subject).toBe('CN=a.test');
    expect(leaf.issuer).toBe('CN=puretls Test CA');
    expect(leaf.selfIssued).toBe(false);
    expect(leaf.isCA).toBe(false);
    expect(leaf.pathLen).toBeUndefined();
    expect(leaf.keyUsage).toBe(KeyUsage.digitalSignature);
    expect(leaf.extKeyUsage).toEqual([Oid.serverAuth, Oid.clientAuth]);
    expect(leaf.dnsNames).toEqual(['a.test', '*.b.test']);
    expect(leaf.ipAddresses.map(formatIpAddress)).toEqual(['192.0.2.7', '2001:db8::5']);
    expect(leaf.hasSubjectAltName).toBe(true);
    expect(leaf.signatureAlgorithmOid).toBe(Oid.ecdsaWithSha256);
    expect(leaf.signatureParams).toBeUndefined();
    expect(leaf.authorityKeyId).toEqual(ca.subjectKeyId);
    expect(leaf.issuerDer).toEqual(ca.subjectDer);
    expect(leaf.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(leaf.der).toEqual(pki.certDer);
    // tbs is the first element of the outer SEQUENCE, and verifies against the CA key.
    expect(leaf.der.subarray(4, 4 + leaf.tbs.length)).toEqual(leaf.tbs);
    const caKey = nobleProvider.parsePublicKey(ca.spki);
    expect(verifyCertificateSignature(nobleProvider, leaf, caKey)).toEqual({ ok: true });
    expect(ca.isCA).toBe(true);
    expect(ca.selfIssued).toBe(true);
    expect(ca.keyUsage).toBe(KeyUsage.keyCertSign | KeyUsage.cRLSign);
    expect(ca.extKeyUsage).toBeUndefined();
    expect(ca.dnsNames).toEqual([]);
    expect(ca.hasSubjectAltName).toBe(false);
    expect(ca.extensions.find((e) => e.oid === Oid.basicConstraints)?.critical).toBe(true);
  });

  it.skipIf(!OPENSSL)('agrees with OpenSSL on a certificate OpenSSL made (serial, names, dates, extensions)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puretls-x509-'));
    try {
      const cnf = join(dir, 'ext.cnf');
      writeFileSync(
        cnf,
        [
          '[req]',
          'distinguished_name = dn',
          'prompt = no',
          '[dn]',
          'C = NZ',
          'O = Example, Inc.',
          'CN = openssl.test',
          '[ext]',
          'basicConstraints = critical, CA:TRUE, pathlen:2',
          'keyUsage = critical, keyCertSign, cRLSign, digitalSignature, decipherOnly, keyAgreement',
          'extendedKeyUsage = serverAuth, codeSigning',
          'subjectAltName = DNS:openssl.test, DNS:*.wild.test, IP:10.1.2.3, IP:fe80::1, email:a@b.test, URI:https://x.test/',
          'subjectKeyIdentifier = hash',
          '',
        ].join('\n'),
      );
      const key = join(dir, 'k.pem');
      const crt = join(dir, 'c.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', key, '-out', crt, '-days', '3', '-config', cnf, '-extensions', 'ext', '-sha384', '-set_serial', '0x00ff00aa'], { stdio: 'ignore' });
      const der = pemDecode(readFileSync(crt, 'utf8'))[0]!.der;
      const c = parseCertificate(der);
      expect(c.serialHex).toBe('00ff00aa');
      // RFC 4514 (≡ RFC 2253 here) rendering agrees with OpenSSL's.
      const rfc2253 = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8' });
      expect(c.subject).toBe(rfc2253.trim().replace(/^subject=/, ''));
      expect(c.subject).toBe('CN=openssl.test,O=Example\\, Inc.,C=NZ');
      expect(c.isCA).toBe(true);
      expect(c.pathLen).toBe(2);
      expect(c.keyUsage).toBe(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature | KeyUsage.decipherOnly | KeyUsage.keyAgreement);
      expect(c.extKeyUsage).toEqual([Oid.serverAuth, Oid.codeSigning]);
      expect(c.dnsNames).toEqual(['openssl.test', '*.wild.test']);
      expect(c.ipAddresses.map(formatIpAddress)).toEqual(['10.1.2.3', 'fe80::1']);
      expect(c.signatureAlgorithmOid).toBe(Oid.ecdsaWithSha384);
      const endDate = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-enddate'], { encoding: 'utf8' }).trim().replace('notAfter=', '');
      expect(c.notAfter.getTime()).toBe(new Date(endDate).getTime());
      const fp = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
      expect(fp.split('=')[1]!.trim().replace(/:/g, '').toLowerCase()).toBe(c.sha256);
      // Self-signed by P-384 with SHA-384: the provider's scheme applies.
      expect(verifyCertificateSignature(nobleProvider, c, nobleProvider.parsePublicKey(c.spki))).toEqual({ ok: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects malformed input with CertificateOtherErrors', async () => {
    const pki = await generateTestPki();
    const der = pki.certDer;
    const withTrailing = new Uint8Array(der.length + 1);
    withTrailing.set(der);
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x00),
      der.subarray(0, der.length - 1),
      withTrailing,
      Uint8Array.of(0x30, 0x80, 0x00, 0x00), // indefinite length (BER)
      new Uint8Array(70_000).fill(0x30),
    ];
    for (const b of bad) expectStatus(() => parseCertificate(b), 'CertificateOtherErrors');
  });

  it('rejects a certificate whose outer and inner signature algorithms differ (RFC 5280 §4.1.1.2)', async () => {
    const pki = await generateTestPki();
    const der = pki.certDer.slice();
    // The outer AlgorithmIdentifier follows the tbsCertificate: ecdsa-with-SHA256 (…04 03 02) → SHA384 (…04 03 03).
    const leaf = parseCertificate(der);
    const algStart = 4 + leaf.tbs.length;
    const oidEnd = algStart + der[algStart + 1]! + 2;
    expect(der[oidEnd - 1]).toBe(0x02);
    der[oidEnd - 1] = 0x03;
    const err = expectStatus(() => parseCertificate(der), 'CertificateOtherErrors');
    expect(err.detail).toMatch(/signatureAlgorithm differs/);
  });

  it('reads UTCTime with the 1950-2049 window and GeneralizedTime after it (RFC 5280 §4.1.2.5)', async () => {
    const notBefore = new Date('1950-01-01T00:00:00Z');
    const notAfter = new Date('2050-01-01T00:00:00Z');
    const pki = await generateTestPki({ notBefore, notAfter });
    const leaf = parseCertificate(pki.certDer);
    expect(leaf.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(leaf.notAfter.toISOString()).toBe(notAfter.toISOString());
  });

  it('rejects impossible or non-Zulu times', async () => {
    const der = (await generateTestPki()).certDer;
    // The first UTCTime (tag 0x17, 13 octets) is notBefore: YYMMDDHHMMSSZ.
    let at = -1;
    for (let i = 0; i < der.length - 1; i++) if (der[i] === 0x17 && der[i + 1] === 0x0d) { at = i + 2; break; }
    expect(at).toBeGreaterThan(0);
    const patch = (offset: number, text: string) => {
      const m = der.slice();
      m.set(new TextEncoder().encode(text), at + offset);
      return m;
    };
    for (const [offset, text] of [[2, '13'], [4, '32'], [6, '24'], [8, '60'], [10, '61'], [12, '+'], [0, 'a1']] as const) {
      const e = expectStatus(() => parseCertificate(patch(offset, text)), 'CertificateOtherErrors');
      expect(e.detail).toMatch(/time/);
    }
    // February 30th is normalised by Date.UTC; the round trip catches it.
    expectStatus(() => parseCertificate(patch(2, '0230')), 'CertificateOtherErrors');
  });

  it('every strict prefix and random corruption fails with a TlsError only', async () => {
    const pki = await generateTestPki({ intermediates: 1 });
    const der = pki.certDer;
    for (let n = 0; n < der.length; n++) expectStatus(() => parseCertificate(der.subarray(0, n)), 'CertificateOtherErrors');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: der.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const m = der.slice();
        m[i]! ^= x;
        try {
          parseCertificate(m);
        } catch (e) {
          if (!(e instanceof TlsError)) throw e;
          expect(e.status).toBe('CertificateOtherErrors');
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        try {
          parseCertificate(b);
        } catch (e) {
          if (!(e instanceof TlsError)) throw e;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseCertificate: AlgorithmIdentifiers and SubjectPublicKeyInfo (RFC 5280 §4.1.1.2, §4.1.2.7)', () => {
  const ascii = (t: string) => new TextEncoder().encode(t);
  const cn = derSequence(derTlv(0x31, derSequence(derOid('2.5.4.3'), derTlv(0x0c, ascii('x')))));
  const ecdsa = derSequence(derOid(Oid.ecdsaWithSha256));
  const p256 = (point = Uint8Array.of(4, ...new Array<number>(64).fill(1))) => derSequence(derSequence(derOid('1.2.840.10045.2.1'), derOid('1.2.840.10045.3.1.7')), derBitString(point));
  /** A v3 certificate without extensions (its signature is never checked here). */
  const cert = (spki: Uint8Array, sigAlg: Uint8Array = ecdsa) => {
    const validity = derSequence(derTlv(0x17, ascii('260101000000Z')), derTlv(0x17, ascii('270101000000Z')));
    const tbs = derSequence(derTlv(0xa0, derUnsignedInteger(2n)), derUnsignedInteger(1n), sigAlg, cn, validity, cn, spki);
    return derSequence(tbs, sigAlg, derBitString(Uint8Array.of(1, 2, 3)));
  };
  const spkiOf = (alg: Uint8Array, key: Uint8Array) => derSequence(alg, key);
  const bits = derBitString(Uint8Array.of(1, 2, 3));

  it('reads well-formed keys of any algorithm; the key itself is decoded at use', () => {
    expect(parseCertificate(cert(p256())).spki).toEqual(p256());
    // Unsupported but well-formed: DSA-style parameters, X448 without parameters.
    const dsa = spkiOf(derSequence(derOid('1.2.840.10040.4.1'), derSequence(derUnsignedInteger(23n), derUnsignedInteger(11n), derUnsignedInteger(4n))), derBitString(Uint8Array.of(2, 1, 5)));
    expect(parseCertificate(cert(dsa)).problems).toEqual([]);
    expect(parseCertificate(cert(spkiOf(derSequence(derOid('1.3.101.111')), derBitString(new Uint8Array(56))))).problems).toEqual([]);
    // An rsaEncryption key whose BIT STRING holds no RSAPublicKey: the certificate parses,
    // the key is refused where it is used.
    const rsaGarbage = spkiOf(derSequence(derOid('1.2.840.113549.1.1.1'), derNull()), bits);
    const c = parseCertificate(cert(rsaGarbage));
    expect(() => parsePublicKey(c.spki)).toThrow(TlsError);
  });

  const ecAlg = (params: Uint8Array) => derSequence(derOid('1.2.840.10045.2.1'), params);
  const pssParams = (salt: Uint8Array) => derSequence(derOid('1.2.840.113549.1.1.10'), derSequence(derTlv(0xa2, salt)));
  it.each([
    ['a non-minimal algorithm OID (06 02 80 01)', spkiOf(derSequence(derTlv(0x06, Uint8Array.of(0x80, 0x01))), bits)],
    ['a truncated algorithm OID (06 01 81)', spkiOf(derSequence(derTlv(0x06, Uint8Array.of(0x81))), bits)],
    ['no algorithm OID', spkiOf(derSequence(derNull()), bits)],
    ['two parameter elements', spkiOf(derSequence(derOid('1.2.840.113549.1.1.1'), derNull(), derNull()), bits)],
    ['a NULL parameter with contents', spkiOf(derSequence(derOid('1.2.840.113549.1.1.1'), derTlv(0x05, Uint8Array.of(0))), bits)],
    ['a malformed curve OID', spkiOf(ecAlg(derTlv(0x06, Uint8Array.of(0x2a, 0x86))), bits)],
    ['a non-minimal INTEGER deep in the parameters', spkiOf(pssParams(derTlv(0x02, Uint8Array.of(0, 0x20))), bits)],
    ['a BOOLEAN parameter that is not 00 or FF', spkiOf(ecAlg(derTlv(0x01, Uint8Array.of(1))), bits)],
    ['a parameter whose inner length overruns', spkiOf(ecAlg(derTlv(0x30, Uint8Array.of(0x04, 0x05, 0x00))), bits)],
    ['an OCTET STRING instead of the BIT STRING', spkiOf(derSequence(derOid('1.3.101.112')), derTlv(0x04, new Uint8Array(32)))],
    ['a BIT STRING with non-zero padding bits', spkiOf(derSequence(derOid('1.3.101.112')), derTlv(0x03, Uint8Array.of(1, 0xff)))],
    ['no BIT STRING', derSequence(derSequence(derOid('1.3.101.112')))],
    ['an element after the BIT STRING', derSequence(derSequence(derOid('1.3.101.112')), bits, derNull())],
  ])('refuses a SubjectPublicKeyInfo with %s (CertificateOtherErrors)', (_what, spki) => {
    expectStatus(() => parseCertificate(cert(spki)), 'CertificateOtherErrors');
  });

  it.each([
    ['a NULL parameter with contents', derSequence(derOid(Oid.sha256WithRSAEncryption), derTlv(0x05, Uint8Array.of(0)))],
    ['a malformed OID', derSequence(derTlv(0x06, Uint8Array.of(0x2a, 0x86)))],
    ['malformed RSASSA-PSS parameters', pssParams(derTlv(0x02, Uint8Array.of(0xff, 0x80)))],
  ])('refuses a signature AlgorithmIdentifier with %s (CertificateOtherErrors)', (_what, alg) => {
    expectStatus(() => parseCertificate(cert(p256(), alg)), 'CertificateOtherErrors');
  });
});

describe('nameToString (RFC 4514)', () => {
  const atv = (oid: string, value: Uint8Array) => derSequence(derOid(oid), value);
  const str = (tag: number, text: string) => derTlv(tag, new TextEncoder().encode(text));
  const rdn = (...atvs: Uint8Array[]) => derTlv(0x31, ...atvs);
  const name = (...rdns: Uint8Array[]) => derSequence(...rdns);
  const table: [string, Uint8Array, string][] = [
    ['empty name', name(), ''],
    ['last RDN first', name(rdn(atv('2.5.4.6', str(0x13, 'NZ'))), rdn(atv('2.5.4.3', str(0x0c, 'x')))), 'CN=x,C=NZ'],
    ['multi-valued RDN', name(rdn(atv('2.5.4.3', str(0x0c, 'a')), atv('2.5.4.11', str(0x0c, 'b')))), 'CN=a+OU=b'],
    ['special characters escaped', name(rdn(atv('2.5.4.10', str(0x0c, 'a,b+c;d<e>f"g\\h')))), 'O=a\\,b\\+c\\;d\\<e\\>f\\"g\\\\h'],
    ['leading # and space, trailing space', name(rdn(atv('2.5.4.3', str(0x0c, '# x ')))), 'CN=\\# x\\ '],
    ['control characters hex-escaped', name(rdn(atv('2.5.4.3', str(0x0c, 'a\x1b[31mb')))), 'CN=a\\1b[31mb'],
    ['UTF-8', name(rdn(atv('2.5.4.3', str(0x0c, 'Zoë 日本')))), 'CN=Zoë 日本'],
    ['BMPString', name(rdn(atv('2.5.4.3', derTlv(0x1e, Uint8Array.of(0x00, 0x41, 0x65, 0xe5))))), 'CN=A日'],
    ['unknown attribute type by OID', name(rdn(atv('1.2.3.4', str(0x0c, 'v')))), '1.2.3.4=v'],
    ['non-string value as #hex', name(rdn(atv('2.5.4.3', derUnsignedInteger(5n)))), 'CN=#020105'],
    ['invalid UTF-8 as #hex', name(rdn(atv('2.5.4.3', derTlv(0x0c, Uint8Array.of(0xff))))), 'CN=#0c01ff'],
  ];
  for (const [label, der, expected] of table) {
    it(`${label} → ${JSON.stringify(expected)}`, () => {
      expect(nameToString(der)).toBe(expected);
    });
  }
  it('a malformed name is shown as # and hex', () => {
    expect(nameToString(Uint8Array.of(0x30, 0x02, 0x31))).toBe('#300231');
  });
});

describe('certificateSignatureScheme', () => {
  const key = (type: PublicKeyInfo['type']): PublicKeyInfo => ({ type, spki: new Uint8Array(0) });
  const NULL = derNull();
  const hashAlg = (oid: string) => derSequence(derOid(oid));
  const pss = (hash: string, mgfHash: string, salt: number | null, trailer?: number) =>
    derSequence(
      derTlv(0xa0, hashAlg(hash)),
      derTlv(0xa1, derSequence(derOid(Oid.mgf1), hashAlg(mgfHash))),
      ...(salt === null ? [] : [derTlv(0xa2, derUnsignedInteger(BigInt(salt)))]),
      ...(trailer === undefined ? [] : [derTlv(0xa3, derUnsignedInteger(BigInt(trailer)))]),
    );
  const S = SignatureScheme;
  const table: [label: string, oid: string, params: Uint8Array | undefined, keyType: PublicKeyInfo['type'], expected: unknown][] = [
    ['sha256WithRSA', Oid.sha256WithRSAEncryption, NULL, 'rsa', { kind: 'scheme', scheme: S.rsa_pkcs1_sha256 }],
    ['sha384WithRSA', Oid.sha384WithRSAEncryption, NULL, 'rsa', { kind: 'scheme', scheme: S.rsa_pkcs1_sha384 }],
    ['sha512WithRSA, absent params tolerated', Oid.sha512WithRSAEncryption, undefined, 'rsa', { kind: 'scheme', scheme: S.rsa_pkcs1_sha512 }],
    ['sha256WithRSA by an EC key', Oid.sha256WithRSAEncryption, NULL, 'ec-p256', 'unsupported'],
    ['PSS SHA-256 by rsaEncryption → rsae', Oid.rsassaPss, pss(Oid.sha256, Oid.sha256, 32), 'rsa', { kind: 'scheme', scheme: S.rsa_pss_rsae_sha256 }],
    ['PSS SHA-384 by id-RSASSA-PSS → pss', Oid.rsassaPss, pss(Oid.sha384, Oid.sha384, 48, 1), 'rsa-pss', { kind: 'scheme', scheme: S.rsa_pss_pss_sha384 }],
    ['PSS SHA-512 by rsaEncryption', Oid.rsassaPss, pss(Oid.sha512, Oid.sha512, 64), 'rsa', { kind: 'scheme', scheme: S.rsa_pss_rsae_sha512 }],
    ['PSS salt ≠ hash length', Oid.rsassaPss, pss(Oid.sha256, Oid.sha256, 20), 'rsa', 'unsupported'],
    ['PSS default salt (20)', Oid.rsassaPss, pss(Oid.sha256, Oid.sha256, null), 'rsa', 'unsupported'],
    ['PSS MGF1 hash ≠ hash', Oid.rsassaPss, pss(Oid.sha256, Oid.sha384, 32), 'rsa', 'unsupported'],
    ['PSS trailer 2', Oid.rsassaPss, pss(Oid.sha256, Oid.sha256, 32, 2), 'rsa', 'unsupported'],
    ['PSS default (SHA-1) params', Oid.rsassaPss, derSequence(), 'rsa', 'unsupported'],
    ['PSS without params', Oid.rsassaPss, undefined, 'rsa', 'unsupported'],
    ['PSS garbage params', Oid.rsassaPss, Uint8Array.of(0x30, 0x01, 0x00), 'rsa', 'unsupported'],
    ['PSS SHA-256 with NULL hash parameters (RFC 5754 §2)', Oid.rsassaPss, derSequence(derTlv(0xa0, derSequence(derOid(Oid.sha256), NULL)), derTlv(0xa1, derSequence(derOid(Oid.mgf1), derSequence(derOid(Oid.sha256), NULL))), derTlv(0xa2, derUnsignedInteger(32n))), 'rsa', { kind: 'scheme', scheme: S.rsa_pss_rsae_sha256 }],
    ['PSS SHA-224 (a PSS hash, not a TLS one)', Oid.rsassaPss, pss('2.16.840.1.101.3.4.2.4', '2.16.840.1.101.3.4.2.4', 28), 'rsa', 'unsupported'],
    ['PSS with a mask generation function other than MGF1', Oid.rsassaPss, derSequence(derTlv(0xa0, hashAlg(Oid.sha256)), derTlv(0xa1, derSequence(derOid('1.2.840.113549.1.1.9'), hashAlg(Oid.sha256))), derTlv(0xa2, derUnsignedInteger(32n))), 'rsa', 'unsupported'],
    ['PSS params followed by trailing bytes', Oid.rsassaPss, Uint8Array.of(...pss(Oid.sha256, Oid.sha256, 32), 0x00), 'rsa', 'unsupported'],
    ['ecdsa-SHA256 by P-256', Oid.ecdsaWithSha256, undefined, 'ec-p256', { kind: 'scheme', scheme: S.ecdsa_secp256r1_sha256 }],
    ['ecdsa-SHA384 by P-384', Oid.ecdsaWithSha384, undefined, 'ec-p384', { kind: 'scheme', scheme: S.ecdsa_secp384r1_sha384 }],
    ['ecdsa-SHA256 by P-384', Oid.ecdsaWithSha256, undefined, 'ec-p384', { kind: 'ecdsa-digest', hash: 'sha256' }],
    ['ecdsa-SHA384 by P-256', Oid.ecdsaWithSha384, undefined, 'ec-p256', { kind: 'ecdsa-digest', hash: 'sha384' }],
    ['ecdsa-SHA512 by P-256', Oid.ecdsaWithSha512, undefined, 'ec-p256', { kind: 'ecdsa-digest', hash: 'sha512' }],
    ['ecdsa with parameters', Oid.ecdsaWithSha256, NULL, 'ec-p256', 'unsupported'],
    ['ecdsa by an RSA key', Oid.ecdsaWithSha256, undefined, 'rsa', 'unsupported'],
    ['Ed25519', Oid.ed25519, undefined, 'ed25519', { kind: 'scheme', scheme: S.ed25519 }],
    ['Ed25519 with parameters', Oid.ed25519, NULL, 'ed25519', 'unsupported'],
    ['Ed448', Oid.ed448, undefined, 'ed25519', 'unsupported'],
    ['sha1WithRSA', Oid.sha1WithRSAEncryption, NULL, 'rsa', 'unsupported'],
    ['unknown OID', '1.2.3.4', undefined, 'rsa', 'unsupported'],
  ];
  for (const [label, oid, params, keyType, expected] of table) {
    it(`${label} → ${typeof expected === 'string' ? expected : JSON.stringify(expected)}`, () => {
      const r = certificateSignatureScheme({ signatureAlgorithmOid: oid, signatureParams: params }, key(keyType));
      if (expected === 'unsupported') expect(r.kind).toBe('unsupported');
      else expect(r).toEqual(expected);
    });
  }
});
