import { beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { TlsError } from '../../../src/base/errors.js';
import { createBasicVerifier } from '../../../src/verify/basic-verifier.js';
import { generateTestPki, type TestKeyType, type TestPki } from '../../../src/verify/generate.js';
import type { VerifyRequest } from '../../../src/verify/verifier.js';
import { KeyUsage, Oid } from '../../../src/verify/x509.js';
import { DAY, codes, flipBit, indexOfAscii, keyPair, makeCert, type TestIssuer } from './helpers.js';

const KEY_TYPES: readonly TestKeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048'];

function verifierFor(...anchors: Uint8Array[]) {
  return createBasicVerifier({ trustAnchors: anchors, crypto: nobleProvider });
}

function request(certificates: readonly Uint8Array[], over: Partial<VerifyRequest> = {}): VerifyRequest {
  return { certificates, serverName: 'localhost', usage: 'serverAuth', time: new Date(), ...over };
}

async function check(pki: TestPki, certs: readonly Uint8Array[], over: Partial<VerifyRequest> = {}) {
  return verifierFor(pki.caCertDer).verify(request(certs, over));
}

describe('generated PKI verifies cleanly', () => {
  for (const keyType of KEY_TYPES) {
    it(`${keyType} leaf: no errors, severity none, leaf key parsed, path leaf → anchor`, async () => {
      const pki = await generateTestPki({ keyType });
      const r = await check(pki, pki.chainDer);
      expect(codes(r.errors)).toEqual([]);
      expect(r.severity).toBe('none');
      expect(r.anchored).toBe(true);
      expect(r.chain.map((c) => c.subject)).toEqual(['CN=localhost', 'CN=puretls Test CA']);
      const expected = { 'ecdsa-p256': 'ec-p256', 'ecdsa-p384': 'ec-p384', ed25519: 'ed25519', 'rsa-2048': 'rsa' }[keyType];
      expect(r.leafPublicKey.type).toBe(expected);
      for (const name of ['127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '[::1]', 'LocalHost.']) {
        expect(codes((await check(pki, pki.chainDer, { serverName: name })).errors), name).toEqual([]);
      }
      expect(codes((await check(pki, pki.chainDer, { usage: 'clientAuth', serverName: undefined })).errors)).toEqual([]);
    });
  }

  const caVariants: [string, Parameters<typeof generateTestPki>[0]][] = [
    ['P-384 CA signing with SHA-384', { caKeyType: 'ecdsa-p384', signatureHash: 'SHA-384' }],
    ['P-384 CA signing with SHA-256 (hash/curve not the TLS 1.3 pairing)', { caKeyType: 'ecdsa-p384', signatureHash: 'SHA-256' }],
    ['P-256 CA signing with SHA-384', { caKeyType: 'ecdsa-p256', signatureHash: 'SHA-384' }],
    ['P-256 CA signing with SHA-512', { caKeyType: 'ecdsa-p256', signatureHash: 'SHA-512' }],
    ['Ed25519 CA', { caKeyType: 'ed25519' }],
    ['RSA CA, PKCS#1 v1.5 SHA-384', { caKeyType: 'rsa-2048', signatureHash: 'SHA-384' }],
    ['RSA CA, RSASSA-PSS SHA-256', { caKeyType: 'rsa-2048', rsaPss: true }],
    ['RSA CA, RSASSA-PSS SHA-512', { caKeyType: 'rsa-2048', rsaPss: true, signatureHash: 'SHA-512' }],
  ];
  for (const [label, opts] of caVariants) {
    it(`${label}: verifies, and a flipped signature bit → InvalidSignature`, async () => {
      const pki = await generateTestPki(opts);
      expect(codes((await check(pki, pki.chainDer)).errors)).toEqual([]);
      const r = await check(pki, [flipBit(pki.certDer, -1)]);
      expect(codes(r.errors)).toEqual(['InvalidSignature@0']);
      expect(r.severity).toBe('fatal');
    });
  }

  it('walks intermediates sent in any order, with duplicates and with the anchor itself', async () => {
    const pki = await generateTestPki({ intermediates: 3 });
    const [leaf, i1, i2, i3] = pki.chainDer as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    for (const certs of [
      [leaf, i1, i2, i3],
      [leaf, i3, i1, i2],
      [leaf, i2, i3, i1, i2, leaf],
      [leaf, i1, i2, i3, pki.caCertDer],
      [leaf, pki.caCertDer, i3, i2, i1],
    ]) {
      const r = await check(pki, certs);
      expect(codes(r.errors)).toEqual([]);
      expect(r.chain).toHaveLength(5);
    }
  });
});

describe('each bad-leaf variant gives exactly its code', () => {
  const cases: [variant: Parameters<typeof generateTestPki>[0], expected: string[], severity: string][] = [
    [{ variant: 'expired' }, ['Expired@0'], 'ignorable'],
    [{ variant: 'not-yet-valid' }, ['NotYetValid@0'], 'ignorable'],
    [{ variant: 'wrong-name' }, ['InvalidName@0'], 'ignorable'],
    [{ variant: 'untrusted' }, ['Untrusted@0'], 'ignorable'],
    [{ variant: 'wrong-eku' }, ['WrongUsage@0'], 'ignorable'],
    [{ variant: ['expired', 'wrong-name'] }, ['Expired@0', 'InvalidName@0'], 'ignorable'],
    [{ variant: ['not-yet-valid', 'wrong-eku', 'wrong-name'] }, ['InvalidName@0', 'NotYetValid@0', 'WrongUsage@0'], 'ignorable'],
    // RFC 5280 permits a CA certificate as end entity; rustls does not (DESIGN.md §5). We follow RFC 5280.
    [{ variant: 'ca-leaf' }, [], 'none'],
  ];
  for (const [opts, expected, severity] of cases) {
    it(`${JSON.stringify(opts?.variant)} → [${expected.join(', ')}] (${severity})`, async () => {
      const pki = await generateTestPki(opts);
      const r = await check(pki, pki.chainDer);
      expect(codes(r.errors)).toEqual(expected);
      expect(r.severity).toBe(severity);
    });
  }

  it('wrong EKU is WrongUsage for clientAuth too', async () => {
    const pki = await generateTestPki({ variant: 'wrong-eku' });
    expect(codes((await check(pki, pki.chainDer, { usage: 'clientAuth' })).errors)).toEqual(['WrongUsage@0']);
  });

  it('untrusted: the impostor root, when sent, is the one reported Untrusted', async () => {
    const pki = await generateTestPki({ variant: 'untrusted', intermediates: 1 });
    expect(pki.untrustedCaCertDer).toBeDefined();
    const r = await check(pki, [...pki.chainDer, pki.untrustedCaCertDer!]);
    expect(codes(r.errors)).toEqual(['Untrusted@2']);
    expect(r.anchored).toBe(false);
    expect(r.errors[0]!.detail).toMatch(/not a trust anchor/);
    // Without the impostor root: the intermediate names the trusted root, whose key identifier differs.
    expect(codes((await check(pki, pki.chainDer)).errors)).toEqual(['Untrusted@1']);
    // And the impostor, trusted, accepts it.
    const own = await verifierFor(pki.untrustedCaCertDer!).verify(request(pki.chainDer));
    expect(codes(own.errors)).toEqual([]);
  });

  it('validity is judged at req.time, not the clock', async () => {
    const pki = await generateTestPki();
    const leaf = (await check(pki, pki.chainDer)).chain[0]!;
    expect(codes((await check(pki, pki.chainDer, { time: new Date(leaf.notAfter.getTime() + 1000) })).errors)).toEqual(['Expired@0']);
    // The generated CA has the leaf's validity: before it, the trust anchor is not yet valid either (reported, issue 7 item 14).
    expect(codes((await check(pki, pki.chainDer, { time: new Date(leaf.notBefore.getTime() - 1000) })).errors)).toEqual(['NotYetValid@0', 'NotYetValid@1']);
    // Boundaries are inclusive (RFC 5280 §4.1.2.5).
    expect(codes((await check(pki, pki.chainDer, { time: leaf.notAfter })).errors)).toEqual([]);
    expect(codes((await check(pki, pki.chainDer, { time: leaf.notBefore })).errors)).toEqual([]);
  });

  it('a validation time that is not a valid Date is refused (InvalidConfig), never judged as inside every validity period', async () => {
    // RFC 5280 §6.1.1 (b): the validation time is an input of path validation. With NaN every
    // comparison is false, so neither NotYetValid nor Expired would ever be reported.
    const pki = await generateTestPki();
    const expired = new Date(Date.now() + 10 * 365 * DAY);
    expect(codes((await check(pki, pki.chainDer, { time: expired })).errors)).toContain('Expired@0');
    for (const time of [new Date(NaN), new Date('not a date')]) {
      await expect(check(pki, pki.chainDer, { time })).rejects.toMatchObject({ status: 'InvalidConfig' });
    }
  });

  it('an expired intermediate is reported at its index; an expired trust anchor as Expired too (RFC 5280 §6.1.1 (d); ignorable, as Windows)', async () => {
    const now = Date.now();
    const root = await makeCert({ name: 'CN=Root', ca: true, notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - 5 * DAY) });
    const int = await makeCert({ name: 'CN=Int', ca: true, issuer: root, notAfter: new Date(now - DAY) });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: int, dns: ['localhost'] });
    const r = await verifierFor(root.der).verify(request([leaf.der, int.der]));
    expect(codes(r.errors)).toEqual(['Expired@1', 'Expired@2']);
    expect(r.errors[1]!.detail).toMatch(/trust anchor/);
    expect(r.severity).toBe('ignorable');
  });

  it('serverAuth without serverName fails closed: InvalidName "no name to check" (issue 7 item 1)', async () => {
    // Before: the name check was skipped and any chain to a trusted root, for any name, passed.
    const pki = await generateTestPki({ variant: 'wrong-name' });
    const r = await check(pki, pki.chainDer, { serverName: undefined });
    expect(codes(r.errors)).toEqual(['InvalidName@0']);
    expect(r.errors[0]!.detail).toMatch(/no name to check/);
    expect(r.severity).toBe('ignorable'); // the caller may opt out, explicitly, by ignoring InvalidName
    expect(codes((await check(pki, pki.chainDer, { serverName: '' })).errors)).toEqual(['InvalidName@0']);
    // A caller that checks the identity itself says so; clientAuth has no name to check.
    expect(codes((await check(pki, pki.chainDer, { serverName: undefined, nameCheckedByCaller: true })).errors)).toEqual([]);
    expect(codes((await check(pki, pki.chainDer, { serverName: undefined, usage: 'clientAuth' })).errors)).toEqual([]);
  });
});

describe('all errors are reported, not just the first', () => {
  it('expired + wrong name + tampered signature → all three, fatal', async () => {
    const pki = await generateTestPki({ variant: ['expired', 'wrong-name'] });
    const r = await check(pki, [flipBit(pki.certDer, -1)]);
    expect(codes(r.errors)).toEqual(['Expired@0', 'InvalidName@0', 'InvalidSignature@0']);
    expect(r.severity).toBe('fatal');
  });

  it('a tampered to-be-signed part (the SAN) → InvalidSignature and, for the old name, InvalidName', async () => {
    const pki = await generateTestPki({ names: ['alpha.test'] });
    // The second "alpha.test" in the DER is the SAN entry (the first is the subject CN).
    const first = indexOfAscii(pki.certDer, 'alpha.test');
    const second = first + 1 + indexOfAscii(pki.certDer.subarray(first + 1), 'alpha.test');
    const tampered = flipBit(pki.certDer, second); // 'alpha' → '`lpha'
    const r = await check(pki, [tampered], { serverName: 'alpha.test' });
    expect(codes(r.errors)).toEqual(['InvalidName@0', 'InvalidSignature@0']);
  });

  it('a tampered subject CN only → InvalidSignature only (the CN is never used for names)', async () => {
    const pki = await generateTestPki({ names: ['alpha.test'] });
    // 't' → 'u' in the CN: still a valid PrintableString, so only the signature breaks.
    const r = await check(pki, [flipBit(pki.certDer, indexOfAscii(pki.certDer, 'alpha.test') + 6)], { serverName: 'alpha.test' });
    expect(codes(r.errors)).toEqual(['InvalidSignature@0']);
  });
});

describe('no path to an anchor: Untrusted vs IncompleteChain', () => {
  let a: TestPki;
  let b: TestPki;
  beforeAll(async () => {
    a = await generateTestPki({ caName: 'CA A', intermediates: 2 });
    b = await generateTestPki({ caName: 'CA B' });
  });

  it('leaf alone whose issuer is unknown → Untrusted at the leaf (a peer may omit the root: unknown issuer)', async () => {
    const r = await verifierFor(b.caCertDer).verify(request([a.certDer]));
    expect(codes(r.errors)).toEqual(['Untrusted@0']);
    expect(r.errors[0]!.detail).toMatch(/CA A Intermediate 1/);
    expect(codes((await verifierFor().verify(request([a.certDer]))).errors)).toEqual(['Untrusted@0']);
  });

  it('a chain that stops at an unknown issuer, nothing else sent → Untrusted at its top', async () => {
    const [leaf, i1] = a.chainDer as [Uint8Array, Uint8Array, Uint8Array];
    expect(codes((await verifierFor(a.caCertDer).verify(request([leaf, i1]))).errors)).toEqual(['Untrusted@1']);
  });

  it('a gap: a missing intermediate between certificates that were sent → IncompleteChain', async () => {
    const [leaf, , i2] = a.chainDer as [Uint8Array, Uint8Array, Uint8Array];
    const r = await verifierFor(a.caCertDer).verify(request([leaf, i2]));
    expect(codes(r.errors)).toEqual(['IncompleteChain@0']);
    expect(r.errors[0]!.detail).toMatch(/do not link/);
    // The same gap, with the root sent too.
    expect(codes((await verifierFor(a.caCertDer).verify(request([leaf, i2, a.caCertDer]))).errors)).toEqual(['IncompleteChain@0']);
  });

  it('the whole chain up to an untrusted root → Untrusted at the root', async () => {
    const r = await verifierFor(b.caCertDer).verify(request([...a.chainDer, a.caCertDer]));
    expect(codes(r.errors)).toEqual(['Untrusted@3']);
    expect(r.chain).toHaveLength(4);
  });

  it('a self-signed leaf that is not trusted → Untrusted at 0', async () => {
    const self = await makeCert({ name: 'CN=self', dns: ['localhost'] });
    expect(codes((await verifierFor(b.caCertDer).verify(request([self.der]))).errors)).toEqual(['Untrusted@0']);
  });

  it('with no anchors at all, a complete chain is still only Untrusted', async () => {
    expect(codes((await verifierFor().verify(request([...a.chainDer, a.caCertDer]))).errors)).toEqual(['Untrusted@3']);
  });
});

describe('issuer constraints (RFC 5280 §6.1.4)', () => {
  let root: TestIssuer;
  beforeAll(async () => {
    root = await makeCert({ name: 'CN=Root', ca: true });
  });

  it('an intermediate without cA → BasicConstraintsError at it', async () => {
    const notCa = await makeCert({ name: 'CN=NotCA', issuer: root, ca: false, keyUsage: KeyUsage.keyCertSign, eku: [Oid.serverAuth] });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: notCa, dns: ['localhost'] });
    const r = await verifierFor(root.der).verify(request([leaf.der, notCa.der]));
    expect(codes(r.errors)).toEqual(['BasicConstraintsError@1']);
    expect(r.severity).toBe('fatal');
  });

  it('an intermediate with no basicConstraints at all → BasicConstraintsError', async () => {
    const noBc = await makeCert({ name: 'CN=NoBC', issuer: root, ca: 'absent', keyUsage: KeyUsage.keyCertSign });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: noBc, dns: ['localhost'] });
    expect(codes((await verifierFor(root.der).verify(request([leaf.der, noBc.der]))).errors)).toEqual(['BasicConstraintsError@1']);
  });

  it('a CA whose key usage lacks keyCertSign → BasicConstraintsError', async () => {
    const int = await makeCert({ name: 'CN=Int', issuer: root, ca: true, keyUsage: KeyUsage.cRLSign });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: int, dns: ['localhost'] });
    expect(codes((await verifierFor(root.der).verify(request([leaf.der, int.der]))).errors)).toEqual(['BasicConstraintsError@1']);
  });

  it('pathLenConstraint: pathLen 0 root with one intermediate → error at the root; pathLen 1 is fine', async () => {
    for (const [pathLen, expected] of [
      [0, ['BasicConstraintsError@2']],
      [1, []],
    ] as const) {
      const r0 = await makeCert({ name: `CN=Root pathLen ${pathLen}`, ca: true, pathLen });
      const int = await makeCert({ name: 'CN=Int', issuer: r0, ca: true });
      const leaf = await makeCert({ name: 'CN=leaf', issuer: int, dns: ['localhost'] });
      expect(codes((await verifierFor(r0.der).verify(request([leaf.der, int.der]))).errors)).toEqual(expected);
    }
  });

  it('a v3 trust anchor that is not a CA cannot issue', async () => {
    const fake = await makeCert({ name: 'CN=Fake', ca: false, keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: fake, dns: ['localhost'] });
    expect(codes((await verifierFor(fake.der).verify(request([leaf.der]))).errors)).toEqual(['BasicConstraintsError@1']);
  });

  it('an intermediate whose EKU excludes serverAuth → WrongUsage at it; anyExtendedKeyUsage is accepted for CAs', async () => {
    const mail = await makeCert({ name: 'CN=Mail CA', issuer: root, ca: true, eku: [Oid.emailProtection] });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: mail, dns: ['localhost'] });
    expect(codes((await verifierFor(root.der).verify(request([leaf.der, mail.der]))).errors)).toEqual(['WrongUsage@1']);
    const any = await makeCert({ name: 'CN=Any CA', issuer: root, ca: true, eku: [Oid.anyExtendedKeyUsage] });
    const leaf2 = await makeCert({ name: 'CN=leaf', issuer: any, dns: ['localhost'] });
    expect(codes((await verifierFor(root.der).verify(request([leaf2.der, any.der]))).errors)).toEqual([]);
  });

  it('a leaf whose key usage lacks digitalSignature → WrongUsage', async () => {
    const leaf = await makeCert({ name: 'CN=leaf', issuer: root, dns: ['localhost'], keyUsage: KeyUsage.keyEncipherment });
    expect(codes((await verifierFor(root.der).verify(request([leaf.der]))).errors)).toEqual(['WrongUsage@0']);
  });

  it('a leaf with no EKU and no key usage is acceptable for any usage', async () => {
    const leaf = await makeCert({ name: 'CN=leaf', issuer: root, dns: ['localhost'], eku: [], keyUsage: 'absent' });
    expect(codes((await verifierFor(root.der).verify(request([leaf.der]))).errors)).toEqual([]);
  });

  it('an unknown critical extension → UnknownCriticalExtension (fatal); a non-critical one is ignored', async () => {
    const ext = { oid: '1.3.6.1.4.1.55555.1', value: Uint8Array.of(0x05, 0x00) };
    const crit = await makeCert({ name: 'CN=leaf', issuer: root, dns: ['localhost'], extra: [{ ...ext, critical: true }] });
    const r = await verifierFor(root.der).verify(request([crit.der]));
    expect(codes(r.errors)).toEqual(['UnknownCriticalExtension@0']);
    expect(r.severity).toBe('fatal');
    const plain = await makeCert({ name: 'CN=leaf', issuer: root, dns: ['localhost'], extra: [{ ...ext, critical: false }] });
    expect(codes((await verifierFor(root.der).verify(request([plain.der]))).errors)).toEqual([]);
  });

  it('a trust anchor may be the leaf itself (a pinned self-signed certificate); the leaf checks still apply', async () => {
    const self = await makeCert({ name: 'CN=pinned', dns: ['localhost'] });
    expect(codes((await verifierFor(self.der).verify(request([self.der]))).errors)).toEqual([]);
    expect(codes((await verifierFor(self.der).verify(request([self.der], { serverName: 'other.test' }))).errors)).toEqual(['InvalidName@0']);
  });
});

describe('path building', () => {
  it('prefers the candidate whose key identifier matches among same-name issuers', async () => {
    const good = await makeCert({ name: 'CN=Twin', ca: true });
    const twin = await makeCert({ name: 'CN=Twin', ca: true });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: good, dns: ['localhost'] });
    expect(codes((await verifierFor(twin.der, good.der).verify(request([leaf.der]))).errors)).toEqual([]);
  });

  it('without key identifiers, tries same-name issuers until one verifies', async () => {
    const good = await makeCert({ name: 'CN=Twin', ca: true, ski: false });
    const twin = await makeCert({ name: 'CN=Twin', ca: true, ski: false });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: good, dns: ['localhost'], aki: false });
    expect(codes((await verifierFor(twin.der, good.der).verify(request([leaf.der]))).errors)).toEqual([]);
    // Only the wrong one trusted: the path exists by name but the signature fails.
    expect(codes((await verifierFor(twin.der).verify(request([leaf.der]))).errors)).toEqual(['InvalidSignature@0']);
  });

  it('prefers a clean path over a broken one (a cross-signed intermediate)', async () => {
    const oldRoot = await makeCert({ name: 'CN=Old Root', ca: true, notAfter: new Date(Date.now() - 1000), notBefore: new Date(Date.now() - 2 * DAY) });
    const newRoot = await makeCert({ name: 'CN=New Root', ca: true });
    const intKeys = await keyPair();
    const intByNew = await makeCert({ name: 'CN=Int', issuer: newRoot, ca: true, keys: intKeys, aki: false });
    const intByOld = await makeCert({ name: 'CN=Int', issuer: oldRoot, ca: true, keys: intKeys, aki: false, notAfter: new Date(Date.now() - 1000), notBefore: new Date(Date.now() - 2 * DAY) });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: intByNew, dns: ['localhost'] });
    const r = await verifierFor(oldRoot.der, newRoot.der).verify(request([leaf.der, intByOld.der, intByNew.der]));
    expect(codes(r.errors)).toEqual([]);
    expect(r.chain.map((c) => c.subject)).toEqual(['CN=leaf', 'CN=Int', 'CN=New Root']);
  });

  it('a chain longer than the depth limit → BasicConstraintsError at the first intermediate beyond it', async () => {
    const root = await makeCert({ name: 'CN=Deep Root', ca: true });
    let issuer = root;
    const ints: Uint8Array[] = [];
    for (let i = 0; i < 11; i++) {
      issuer = await makeCert({ name: `CN=Deep ${i}`, issuer, ca: true });
      ints.unshift(issuer.der);
    }
    const leaf = await makeCert({ name: 'CN=leaf', issuer, dns: ['localhost'] });
    const r = await verifierFor(root.der).verify(request([leaf.der, ...ints]));
    // 11 intermediates, default maxPathLength 10 (= 8 intermediates): the path is found and judged too long.
    expect(codes(r.errors)).toEqual(['BasicConstraintsError@9']);
    expect(r.errors[0]!.detail).toMatch(/11 intermediate certificates, more than the maximum depth 8/);
    expect(r.anchored).toBe(true);
    // With a longer limit it is fine.
    const long = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider, maxPathLength: 13 });
    expect(codes((await long.verify(request([leaf.der, ...ints]))).errors)).toEqual([]);
  });

  it('is bounded against many same-name candidates (a mesh of cross-signatures)', async () => {
    // Six CAs that all call themselves "CN=Mesh" and have no key identifiers: every one is a
    // candidate issuer of every other, so the unbounded search would be 6! paths.
    const mesh: TestIssuer[] = [];
    for (let i = 0; i < 6; i++) mesh.push(await makeCert({ name: 'CN=Mesh', ca: true, ski: false }));
    const leaf = await makeCert({ name: 'CN=leaf', issuer: mesh[0]!, dns: ['localhost'], aki: false });
    const other = await makeCert({ name: 'CN=Elsewhere', ca: true });
    const t = Date.now();
    const r = await createBasicVerifier({ trustAnchors: [other.der], crypto: nobleProvider, maxCandidates: 20 }).verify(
      request([leaf.der, ...mesh.map((m) => m.der)]),
    );
    expect(Date.now() - t).toBeLessThan(5000);
    expect(r.severity).not.toBe('none');
    expect(r.errors.some((e) => e.code === 'Untrusted')).toBe(true);
  });
});

describe('malformed input', () => {
  it('an unparsable leaf throws TlsError(CertificateOtherErrors) carrying the error', async () => {
    const pki = await generateTestPki();
    const v = verifierFor(pki.caCertDer);
    const err = await v.verify(request([pki.certDer.subarray(0, 100)])).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).status).toBe('CertificateOtherErrors');
    expect((err as TlsError).certificateErrors.map((e) => `${e.code}@${e.index}`)).toEqual(['OtherErrors@0']);
  });

  it('an unparsable extra certificate is tolerated alongside a good path, and mentioned when the chain is incomplete', async () => {
    const pki = await generateTestPki({ intermediates: 2 });
    const junk = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01);
    const r = await check(pki, [...pki.chainDer, junk]);
    expect(codes(r.errors)).toEqual([]);
    expect(r.severity).toBe('none');
    const gap = await check(pki, [pki.certDer, pki.intermediateCertDers[1]!, junk]);
    expect(codes(gap.errors)).toEqual(['IncompleteChain@0']);
    expect(gap.errors[0]!.detail).toMatch(/1 could not be parsed/);
  });

  it('no crypto provider is a configuration error at creation, not CertificateUnsupported at the first handshake (issue 7 item 13)', async () => {
    const pki = await generateTestPki();
    for (const crypto of [undefined, null, {}, { parsePublicKey: () => null }]) {
      let err: unknown;
      try {
        createBasicVerifier({ trustAnchors: [pki.caCertDer], crypto } as unknown as Parameters<typeof createBasicVerifier>[0]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).status).toBe('InvalidConfig');
      expect((err as TlsError).detail).toMatch(/crypto provider/);
    }
  });

  it('a bad trust anchor is a configuration error', () => {
    expect(() => verifierFor(Uint8Array.of(1, 2, 3))).toThrow(TlsError);
    try {
      verifierFor(Uint8Array.of(1, 2, 3));
    } catch (e) {
      expect((e as TlsError).status).toBe('InvalidConfig');
    }
  });

  it('an unsupported signature algorithm (SHA-1) → OtherErrors, not InvalidSignature', async () => {
    const rsa: RsaHashedKeyGenParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: Uint8Array.of(1, 0, 1), hash: 'SHA-1' };
    const root = await makeCert({ name: 'CN=SHA1 Root', ca: true, keys: await keyPair(rsa), signAlg: { name: 'RSASSA-PKCS1-v1_5' } });
    const leaf = await makeCert({ name: 'CN=leaf', issuer: root, dns: ['localhost'] });
    const r = await verifierFor(root.der).verify(request([leaf.der]));
    expect(codes(r.errors)).toEqual(['OtherErrors@0']);
    expect(r.errors[0]!.detail).toMatch(/SHA-1/);
  });
});
