import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { pemDecode } from '../../../src/crypto/pem.js';
import { TlsError } from '../../../src/base/errors.js';
import { generateTestPki, type TestKeyType, type TestPki, type TestPkiOptions } from '../../../src/verify/generate.js';
import { formatIpAddress } from '../../../src/verify/hostname.js';
import { KeyUsage, Oid, parseCertificate } from '../../../src/verify/x509.js';
import { opensslOnPath } from '../../helpers/openssl-on-path.js';

const KEY_TYPES: readonly TestKeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048'];

const OPENSSL = opensslOnPath('the `openssl verify` cross-checks in generate.test.ts');

describe('generateTestPki: certificate profile', () => {
  for (const keyType of KEY_TYPES) {
    it(`${keyType}: CA and leaf carry the documented extensions; the key pair matches`, async () => {
      const pki = await generateTestPki({ keyType });
      const ca = parseCertificate(pki.caCertDer);
      const leaf = parseCertificate(pki.certDer);
      const crit = (c: typeof ca, oid: string) => c.extensions.find((e) => e.oid === oid)?.critical;

      expect(ca.isCA).toBe(true);
      expect(crit(ca, Oid.basicConstraints)).toBe(true);
      expect(ca.keyUsage).toBe(KeyUsage.keyCertSign | KeyUsage.cRLSign);
      expect(crit(ca, Oid.keyUsage)).toBe(true);
      expect(ca.subjectKeyId).toBeDefined();
      expect(ca.selfIssued).toBe(true);
      expect(ca.signatureAlgorithmOid).toBe(keyType === 'rsa-2048' ? Oid.sha256WithRSAEncryption : Oid.ecdsaWithSha256);

      expect(leaf.isCA).toBe(false);
      expect(crit(leaf, Oid.basicConstraints)).toBe(true);
      expect(leaf.keyUsage).toBe(KeyUsage.digitalSignature);
      expect(leaf.extKeyUsage).toEqual([Oid.serverAuth, Oid.clientAuth]);
      expect(leaf.dnsNames).toEqual(['localhost']);
      expect(leaf.ipAddresses.map(formatIpAddress)).toEqual(['127.0.0.1', '::1']);
      expect(leaf.authorityKeyId).toEqual(ca.subjectKeyId);
      expect(leaf.subjectKeyId).toBeDefined();
      expect(leaf.notBefore.getTime()).toBeLessThan(Date.now());
      expect(leaf.notAfter.getTime()).toBeGreaterThan(Date.now());

      // PEM and DER agree; chain = leaf only (no intermediates), never the root.
      expect(pemDecode(pki.certPem)[0]!.der).toEqual(pki.certDer);
      expect(pemDecode(pki.caCertPem)[0]!.der).toEqual(pki.caCertDer);
      expect(pemDecode(pki.chainPem).map((b) => b.der)).toEqual([pki.certDer]);
      expect(pki.chainDer).toEqual([pki.certDer]);

      // The PKCS#8 keys parse, and the leaf key signs what the certificate's key verifies.
      expect(pemDecode(pki.keyPem)[0]!.label).toBe('PRIVATE KEY');
      const priv = nobleProvider.parsePrivateKey(pki.keyPem);
      const pub = nobleProvider.parsePublicKey(leaf.spki);
      const scheme = nobleProvider.schemesForKey(pub)[0]!;
      const msg = new TextEncoder().encode('TLS 1.3, server CertificateVerify');
      const sig = await nobleProvider.sign(priv, scheme, msg, (n) => crypto.getRandomValues(new Uint8Array(n)));
      expect(nobleProvider.verify(pub, scheme, msg, sig)).toBe(true);
      const caPriv = nobleProvider.parsePrivateKey(pki.caKeyPem);
      expect(caPriv.publicKey.type).toBe(nobleProvider.parsePublicKey(ca.spki).type);
    });
  }

  it('puts IP literals (canonicalised) in iPAddress entries and the rest in dNSName entries', async () => {
    const pki = await generateTestPki({ names: ['svc.test', '[2001:DB8:0::1]', '10.0.0.1', '*.svc.test'] });
    const leaf = parseCertificate(pki.certDer);
    expect(leaf.subject).toBe('CN=svc.test');
    expect(leaf.dnsNames).toEqual(['svc.test', '*.svc.test']);
    expect(leaf.ipAddresses.map(formatIpAddress)).toEqual(['2001:db8::1', '10.0.0.1']);
  });

  it('makes intermediates, numbered from the leaf, each issued by the next', async () => {
    const pki = await generateTestPki({ intermediates: 2, caName: 'Chain CA' });
    const [leaf, i1, i2] = pki.chainDer.map(parseCertificate) as [ReturnType<typeof parseCertificate>, ReturnType<typeof parseCertificate>, ReturnType<typeof parseCertificate>];
    const root = parseCertificate(pki.caCertDer);
    expect([leaf.issuer, i1.subject, i1.issuer, i2.subject, i2.issuer, root.subject]).toEqual([
      'CN=Chain CA Intermediate 1',
      'CN=Chain CA Intermediate 1',
      'CN=Chain CA Intermediate 2',
      'CN=Chain CA Intermediate 2',
      'CN=Chain CA',
      'CN=Chain CA',
    ]);
    expect(i1.isCA && i2.isCA).toBe(true);
    expect(i1.authorityKeyId).toEqual(i2.subjectKeyId);
    expect(pemDecode(pki.chainPem)).toHaveLength(3);
  });

  it('variants: ca-leaf is a CA; wrong-name keeps the CN but not the SAN; untrusted has an impostor root of the same name', async () => {
    expect(parseCertificate((await generateTestPki({ variant: 'ca-leaf' })).certDer).isCA).toBe(true);
    const wrong = parseCertificate((await generateTestPki({ variant: 'wrong-name' })).certDer);
    expect(wrong.subject).toBe('CN=localhost');
    expect(wrong.dnsNames).toEqual(['wrong-name.invalid']);
    expect(wrong.ipAddresses).toEqual([]);
    const u = await generateTestPki({ variant: 'untrusted' });
    const impostor = parseCertificate(u.untrustedCaCertDer!);
    const trusted = parseCertificate(u.caCertDer);
    expect(impostor.subjectDer).toEqual(trusted.subjectDer);
    expect(impostor.spki).not.toEqual(trusted.spki);
    expect(parseCertificate(u.certDer).authorityKeyId).toEqual(impostor.subjectKeyId);
    expect((await generateTestPki()).untrustedCaCertDer).toBeUndefined();
  });

  it('honours explicit validity, including GeneralizedTime years (2050 and later)', async () => {
    const notBefore = new Date('2049-12-31T23:59:59Z');
    const notAfter = new Date('2051-06-01T12:00:00Z');
    const leaf = parseCertificate((await generateTestPki({ notBefore, notAfter })).certDer);
    expect(leaf.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(leaf.notAfter.toISOString()).toBe(notAfter.toISOString());
  });

  it('refuses bad options with InvalidConfig', async () => {
    for (const opts of [{ names: ['bad name'] }, { intermediates: 5 }, { caName: 'CN=x, O=y' }] as TestPkiOptions[]) {
      const e = await generateTestPki(opts).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).status).toBe('InvalidConfig');
    }
  });
});

describe.skipIf(!OPENSSL)('openssl verify accepts the generated chains', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'puretls-pki-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `openssl verify` with TLS server purpose, host and IP checks; returns its output and status. */
  function opensslVerify(pki: TestPki, extra: string[] = []): { ok: boolean; out: string } {
    const id = Math.random().toString(36).slice(2);
    const ca = join(dir, `${id}-ca.pem`);
    const leaf = join(dir, `${id}-leaf.pem`);
    const ints = join(dir, `${id}-ints.pem`);
    writeFileSync(ca, pki.caCertPem);
    writeFileSync(leaf, pki.certPem);
    const args = ['verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', ca];
    if (pki.intermediateCertPems.length > 0) {
      writeFileSync(ints, pki.intermediateCertPems.join(''));
      args.push('-untrusted', ints);
    }
    args.push(...extra, leaf);
    try {
      return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
    }
  }

  const good: [string, TestPkiOptions][] = [
    ...KEY_TYPES.map((keyType): [string, TestPkiOptions] => [keyType, { keyType }]),
    ['two intermediates', { intermediates: 2 }],
    ['RSA CA with RSASSA-PSS', { caKeyType: 'rsa-2048', rsaPss: true }],
    ['P-384 CA signing with SHA-256', { caKeyType: 'ecdsa-p384', signatureHash: 'SHA-256' }],
    ['Ed25519 CA', { caKeyType: 'ed25519', keyType: 'ed25519' }],
  ];
  for (const [label, opts] of good) {
    it(`${label}: OK for localhost, 127.0.0.1 and ::1`, async () => {
      const pki = await generateTestPki(opts);
      for (const check of [['-verify_hostname', 'localhost'], ['-verify_ip', '127.0.0.1'], ['-verify_ip', '::1']]) {
        const r = opensslVerify(pki, check);
        expect(r.ok, r.out).toBe(true);
        expect(r.out).toMatch(/: OK/);
      }
    });
  }

  // The bad variants are bad for OpenSSL too (so our verifier's verdicts are not self-fulfilling).
  const bad: [TestPkiOptions['variant'], string[], RegExp][] = [
    ['expired', [], /certificate has expired/],
    ['not-yet-valid', [], /certificate is not yet valid/],
    ['wrong-name', ['-verify_hostname', 'localhost'], /hostname mismatch/],
    ['untrusted', [], /unable to get local issuer certificate|certificate signature failure/],
    ['wrong-eku', [], /error 26 at 0 depth|unsupported certificate purpose|unsuitable certificate purpose/],
  ];
  for (const [variant, extra, message] of bad) {
    it(`${String(variant)}: refused by openssl (${message.source})`, async () => {
      const r = opensslVerify(await generateTestPki({ variant }), extra);
      expect(r.ok).toBe(false);
      expect(r.out).toMatch(message);
    });
  }

  it('keys: openssl reads the PKCS#8 leaf key and its public key is the certificate’s', async () => {
    for (const keyType of KEY_TYPES) {
      const pki = await generateTestPki({ keyType });
      const key = join(dir, `key-${keyType}.pem`);
      const cert = join(dir, `cert-${keyType}.pem`);
      writeFileSync(key, pki.keyPem);
      writeFileSync(cert, pki.certPem);
      const fromKey = execFileSync('openssl', ['pkey', '-in', key, '-pubout'], { encoding: 'utf8' });
      const fromCert = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-pubkey'], { encoding: 'utf8' });
      expect(fromKey, keyType).toBe(fromCert);
    }
  });
});
