/**
 * verifyCertificateChain as an API: inputs (DER, PEM, bundles, junk), defaults, option
 * validation, the Certificate summary, and agreement with the handshake's verifier.
 */
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import { TlsError } from '../../src/base/errors.js';
import { createBasicVerifier } from '../../src/verify/basic-verifier.js';
import { verifyCertificateChain, type VerifyCertificateChainOptions } from '../../src/verify/chain.js';
import { generateTestPki } from '../../src/verify/generate.js';
import { DAY, YEAR, issue } from './builder.js';
import { T, buildCases } from './cases.js';

const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();
const V = { notBefore: new Date(T.getTime() - YEAR), notAfter: new Date(T.getTime() + YEAR) };

const root = issue({ subject: 'CN=API Root', ca: true, ...V });
const int = issue({ subject: 'CN=API Intermediate', issuer: root, ca: true, ...V });
const leaf = issue({ subject: 'CN=api.example.test', issuer: int, san: [{ dns: 'api.example.test' }, { ip: '2001:db8:0::7' }], ...V });

async function expectInvalidConfig(p: Promise<unknown>, detail: RegExp) {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TlsError);
  expect((e as TlsError).status).toBe('InvalidConfig');
  expect((e as TlsError).detail).toMatch(detail);
}

describe('inputs', () => {
  it('DER, PEM strings, PEM bytes and a leaf PEM bundle give the same verdict and chain', async () => {
    const variants: VerifyCertificateChainOptions[] = [
      { leaf: leaf.der, intermediates: [int.der], trustAnchors: [root.der] },
      { leaf: leaf.pem, intermediates: [int.pem], trustAnchors: [root.pem] },
      { leaf: new TextEncoder().encode(leaf.pem), intermediates: [new TextEncoder().encode(int.pem)], trustAnchors: [new TextEncoder().encode(root.pem)] },
      { leaf: leaf.pem + int.pem, trustAnchors: [`explanatory text\n${root.pem}`] },
      { leaf: leaf.der, intermediates: [int.pem + root.pem], trustAnchors: [root.pem + issue({ subject: 'CN=Other', ca: true, ...V }).pem] },
    ];
    for (const v of variants) {
      const r = await verifyCertificateChain({ ...v, serverName: 'api.example.test', time: T });
      expect(codes(r.errors)).toEqual([]);
      expect(r.severity).toBe('none');
      expect(r.chain.map((c) => c.subject)).toEqual(['CN=api.example.test', 'CN=API Intermediate', 'CN=API Root']);
    }
  });

  it('junk intermediates are tolerated: unparsable bytes, non-PEM text, broken PEM, strangers, the leaf itself', async () => {
    const junk = [Uint8Array.of(1, 2, 3), 'not a certificate', '-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n', issue({ subject: 'CN=Stranger', ca: true, ...V }).der, leaf.der];
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [...junk, int.der], trustAnchors: [root.der], serverName: 'api.example.test', time: T });
    expect(codes(r.errors)).toEqual([]);
  });

  it('when the chain cannot be completed, the detail counts the unparsable certificates', async () => {
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [Uint8Array.of(1, 2, 3)], trustAnchors: [root.der], time: T });
    expect(codes(r.errors)).toEqual(['IncompleteChain@0']);
    expect(r.errors[0]!.detail).toMatch(/1 could not be parsed/);
  });

  it('an unreadable leaf is one OtherErrors at 0 with an empty chain, never an exception', async () => {
    for (const bad of [Uint8Array.of(0x30, 0x82, 0xff, 0xff), new Uint8Array(0), 'no PEM here', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', leaf.der.subarray(0, 50)]) {
      const r = await verifyCertificateChain({ leaf: bad, trustAnchors: [root.der], time: T });
      expect(codes(r.errors)).toEqual(['OtherErrors@0']);
      expect(r.severity).toBe('fatal');
      expect(r.chain).toEqual([]);
    }
  });

  it('option errors are TlsError(InvalidConfig)', async () => {
    const ok = { leaf: leaf.der, trustAnchors: [root.der] };
    await expectInvalidConfig(verifyCertificateChain({ ...ok, trustAnchors: [Uint8Array.of(1, 2, 3)] }), /trust anchor #0/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, trustAnchors: ['nonsense'] }), /trust anchor #0/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, time: new Date(Number.NaN) }), /time/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, usage: 'codeSigning' as 'serverAuth' }), /usage/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, maxDepth: -1 }), /maxDepth/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, maxDepth: 1.5 }), /maxDepth/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, maxDepth: 33 }), /maxDepth/);
    await expectInvalidConfig(verifyCertificateChain({ ...ok, leaf: 42 as unknown as string }), /leaf/);
  });

  it('no trust anchors: everything is Untrusted (ignorable)', async () => {
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [int.der, root.der], trustAnchors: [], time: T });
    expect(codes(r.errors)).toEqual(['Untrusted@2']);
    expect(r.severity).toBe('ignorable');
  });

  it('the runtime root store as anchors: a private chain is Untrusted; the parsed store is cached', async () => {
    const run = () => verifyCertificateChain({ leaf: leaf.der, intermediates: [int.der], trustAnchors: tls.rootCertificates, time: T });
    const r = await run();
    expect(codes(r.errors)).toEqual(['Untrusted@1']);
    const t = performance.now();
    await run();
    // Parsing the ~140 roots takes tens of milliseconds; a cached run only builds the index.
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('defaults and the result', () => {
  it('time defaults to now, usage to serverAuth, no name check without serverName', async () => {
    const pki = await generateTestPki({ variant: 'wrong-eku' });
    const r = await verifyCertificateChain({ leaf: pki.certPem, trustAnchors: [pki.caCertPem] });
    expect(codes(r.errors)).toEqual(['WrongUsage@0']);
    const good = await generateTestPki();
    expect(codes((await verifyCertificateChain({ leaf: good.certDer, trustAnchors: [good.caCertDer] })).errors)).toEqual([]);
    // Generated now, valid from an hour ago: a time two hours ago is before notBefore, for
    // the leaf and for the trust anchor, whose own validity is reported too (issue 7 item 14).
    const early = await verifyCertificateChain({ leaf: good.certDer, trustAnchors: [good.caCertDer], time: new Date(Date.now() - 2 * 3600_000) });
    expect(codes(early.errors)).toEqual(['NotYetValid@0', 'NotYetValid@1']);
  });

  it('Certificate summaries carry the documented fields', async () => {
    const r = await verifyCertificateChain({ leaf: leaf.pem, intermediates: [int.der], trustAnchors: [root.der], time: T });
    const [l, i, a] = r.chain as [(typeof r.chain)[0], (typeof r.chain)[0], (typeof r.chain)[0]];
    expect(l.subject).toBe('CN=api.example.test');
    expect(l.issuer).toBe('CN=API Intermediate');
    expect(l.serialNumber).toMatch(/^[0-9a-f]+$/);
    expect(l.notBefore.toISOString()).toBe(V.notBefore.toISOString());
    expect(l.notAfter.toISOString()).toBe(V.notAfter.toISOString());
    expect(l.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(l.der).toEqual(leaf.der);
    expect(l.isCA).toBe(false);
    expect(l.dnsNames).toEqual(['api.example.test']);
    expect(l.ipAddresses).toEqual(['2001:db8::7']);
    expect(i.isCA).toBe(true);
    expect(a.subject).toBe('CN=API Root');
  });

  it('severity: ignorable errors only → ignorable; any fatal one → fatal', async () => {
    const expired = issue({ subject: 'CN=api.example.test', issuer: int, san: [{ dns: 'api.example.test' }], notBefore: new Date(T.getTime() - 2 * DAY), notAfter: new Date(T.getTime() - DAY) });
    const r = await verifyCertificateChain({ leaf: expired.der, intermediates: [int.der], trustAnchors: [root.der], serverName: 'x.example.test', time: T });
    expect(codes(r.errors)).toEqual(['Expired@0', 'InvalidName@0']);
    expect(r.severity).toBe('ignorable');
    const bad = await verifyCertificateChain({ leaf: expired.der, intermediates: [issue({ subject: 'CN=API Intermediate', issuer: root, key: int.key, ca: true, ...V, tamperSignature: (s) => s.map((b, k) => (k === s.length - 1 ? b ^ 1 : b)) }).der], trustAnchors: [root.der], time: T });
    expect(codes(bad.errors)).toEqual(['Expired@0', 'InvalidSignature@1']);
    expect(bad.severity).toBe('fatal');
  });

  it('the CN fallback is opt-in and applies only without DNS and IP SANs', async () => {
    const cnOnly = issue({ subject: 'CN=legacy.example.test', issuer: int, ...V });
    const run = (commonNameFallback: boolean) =>
      verifyCertificateChain({ leaf: cnOnly.der, intermediates: [int.der], trustAnchors: [root.der], serverName: 'legacy.example.test', time: T, commonNameFallback });
    const off = await run(false);
    expect(codes(off.errors)).toEqual(['InvalidName@0']);
    expect(off.errors[0]!.detail).toMatch(/common name is not used/);
    expect(codes((await run(true)).errors)).toEqual([]);
  });

  it('the CN used by the fallback is subject to DNS name constraints', async () => {
    const { ext } = await import('./builder.js');
    const nc = issue({ subject: 'CN=NC', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] })] });
    const cnOnly = issue({ subject: 'CN=legacy.evil.test', issuer: nc, ...V });
    const r = await verifyCertificateChain({ leaf: cnOnly.der, intermediates: [nc.der], trustAnchors: [root.der], serverName: 'legacy.evil.test', time: T, commonNameFallback: true });
    expect(codes(r.errors)).toEqual(['InvalidCertificateAuthorityPolicy@0']);
  });
});

describe('one engine for the handshake verifier and verifyCertificateChain', () => {
  it('createBasicVerifier reports the same errors on the whole corpus', async () => {
    for (const c of buildCases()) {
      const standalone = await verifyCertificateChain({ leaf: c.leaf, intermediates: c.intermediates, trustAnchors: c.anchors, serverName: c.serverName, time: T, usage: c.usage, maxDepth: c.maxDepth });
      const v = createBasicVerifier({ trustAnchors: c.anchors, crypto: nobleProvider, ...(c.maxDepth !== undefined ? { maxDepth: c.maxDepth } : {}) });
      const report = await v.verify({ certificates: [c.leaf, ...c.intermediates], serverName: c.serverName, usage: c.usage ?? 'serverAuth', time: T });
      // The one difference: for serverAuth without a name the handshake's verifier fails
      // closed with InvalidName (issue 7 item 1); verifyCertificateChain skips the check.
      const noName = c.serverName === undefined && (c.usage ?? 'serverAuth') === 'serverAuth';
      expect(codes(report.errors), c.name).toEqual([...codes(standalone.errors), ...(noName ? ['InvalidName@0'] : [])].sort());
      expect(report.validatedChain?.map((x) => x.sha256), c.name).toEqual(standalone.chain.map((x) => x.sha256));
      expect(report.severity).toBe(noName && standalone.severity === 'none' ? 'ignorable' : standalone.severity);
    }
  });

  it('createBasicVerifier takes PEM anchors too (the runtime root store, parsed once per process)', async () => {
    const v = createBasicVerifier({ trustAnchors: [...tls.rootCertificates, root.pem], crypto: nobleProvider });
    const r = await v.verify({ certificates: [leaf.der, int.der], serverName: 'api.example.test', usage: 'serverAuth', time: T });
    expect(codes(r.errors)).toEqual([]);
    expect(() => createBasicVerifier({ trustAnchors: ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'], crypto: nobleProvider })).toThrow(TlsError);
  });

  it('createBasicVerifier: a small RSA leaf key is reported; an unsupported key type throws with the errors (the handshake needs the key)', async () => {
    const { key } = await import('./builder.js');
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider });
    const small = issue({ subject: 'CN=small', issuer: int, key: key('rsa1024', 9), san: [{ dns: 'api.example.test' }], ...V });
    const report = await v.verify({ certificates: [small.der, int.der], serverName: 'api.example.test', usage: 'serverAuth', time: T });
    expect(codes(report.errors)).toEqual(['OtherErrors@0']);
    expect(report.leafPublicKey.type).toBe('rsa');
    const { generateKeyPairSync } = await import('node:crypto');
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    const odd = issue({ subject: 'CN=p521', issuer: int, key: { kind: 'p256', privateKey: p521.privateKey, spki: new Uint8Array(p521.publicKey.export({ type: 'spki', format: 'der' })) }, san: [{ dns: 'api.example.test' }], ...V });
    const e = await v.verify({ certificates: [odd.der, int.der], serverName: 'api.example.test', usage: 'serverAuth', time: T }).then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('CertificateUnsupported');
    expect(codes((e as TlsError).certificateErrors)).toEqual(['OtherErrors@0']);
    // verifyCertificateChain has no key to hand over: it just reports.
    const r = await verifyCertificateChain({ leaf: odd.der, intermediates: [int.der], trustAnchors: [root.der], time: T });
    expect(codes(r.errors)).toEqual(['OtherErrors@0']);
  });
});
