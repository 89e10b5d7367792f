/**
 * The verifier's test corpus: one case per error code alone, combinations, and path
 * building cases, each with the expected errors (`Code@index`, sorted) and, where our
 * verdict differs from `openssl verify -x509_strict`, the reason.
 *
 * Every certificate is generated here (builder.ts), at a fixed validation time T.
 */
import { derSequence, derTlv } from '../../src/crypto/der.js';
import { DAY, YEAR, KeyUsage, Oid, ext, flip, issue, key, rawRdn, replaceAscii, type CertSpec, type Issued } from './builder.js';

export const T = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
const at = (ms: number) => new Date(T.getTime() + ms);

export interface ChainCase {
  readonly name: string;
  readonly leaf: Uint8Array;
  readonly intermediates: readonly Uint8Array[];
  readonly anchors: readonly Uint8Array[];
  readonly serverName?: string;
  readonly usage?: 'serverAuth' | 'clientAuth';
  readonly maxDepth?: number;
  /** Expected errors as sorted `Code@index` strings. */
  readonly expected: readonly string[];
  /** Why `openssl verify` reaches the other verdict; absent: the verdicts must agree. */
  readonly opensslDiffers?: string;
  /** Extra `openssl verify` options this case needs (e.g. `-policy_check`: OpenSSL ignores policies without it). */
  readonly opensslArgs?: readonly string[];
}

const CA_VALIDITY = { notBefore: at(-YEAR), notAfter: at(5 * YEAR) };
const LEAF_VALIDITY = { notBefore: at(-30 * DAY), notAfter: at(60 * DAY) };
const PRIVATE_OID = '1.3.6.1.4.1.55555.1';
const NULL = Uint8Array.of(0x05, 0x00);
const ascii = (s: string) => new TextEncoder().encode(s);

function ca(subject: string, issuer?: Issued, over: Partial<CertSpec> = {}): Issued {
  return issue({ subject, issuer, ca: true, ...CA_VALIDITY, ...over });
}

/** Builds the corpus (synchronous; a few hundred milliseconds). */
export function buildCases(): ChainCase[] {
  const cases: ChainCase[] = [];
  const add = (c: ChainCase) => cases.push(c);

  const root = ca('CN=Test Root');
  const int = ca('CN=Test Intermediate', root);
  const otherRoot = ca('CN=Other Root');
  const SAN = [{ dns: 'www.example.test' }, { dns: 'example.test' }, { ip: '192.0.2.1' }, { ip: '2001:db8::1' }];
  const leafUnder = (issuer: Issued, over: Partial<CertSpec> = {}) =>
    issue({ subject: 'CN=www.example.test', issuer, san: SAN, ...LEAF_VALIDITY, ...over });
  const leaf = leafUnder(int);
  const base = { leaf: leaf.der, intermediates: [int.der], anchors: [root.der], serverName: 'www.example.test' };

  // ------------------------------------------------------------------ clean chains
  add({ name: 'good: P-256 chain', ...base, expected: [] });
  add({ name: 'good: IPv4 reference', ...base, serverName: '192.0.2.1', expected: [] });
  add({ name: 'good: IPv6 reference in another spelling', ...base, serverName: '2001:DB8:0:0::1', expected: [] });
  add({ name: 'good: no server name', ...base, serverName: undefined, expected: [] });
  add({ name: 'good: clientAuth', ...base, serverName: undefined, usage: 'clientAuth', expected: [] });
  for (const [label, kind, sigAlg] of [
    ['RSA-2048 PKCS#1 SHA-256', 'rsa2048', 'rsa-sha256'],
    ['RSA-2048 PKCS#1 SHA-512', 'rsa2048', 'rsa-sha512'],
    ['RSA-2048 PSS SHA-256', 'rsa2048', 'pss-sha256'],
    ['RSA-2048 PSS SHA-384', 'rsa2048', 'pss-sha384'],
    ['P-384 SHA-384', 'p384', 'ecdsa-sha384'],
    ['P-384 SHA-256', 'p384', 'ecdsa-sha256'],
    ['Ed25519', 'ed25519', 'ed25519'],
  ] as const) {
    const r = ca(`CN=${label} Root`, undefined, { key: key(kind, 1), sigAlg });
    const i = ca(`CN=${label} Intermediate`, r, { key: key(kind, 2), sigAlg });
    const l = leafUnder(i, { sigAlg });
    add({ name: `good: ${label}`, leaf: l.der, intermediates: [i.der], anchors: [r.der], serverName: 'example.test', expected: [] });
  }

  // ------------------------------------------------------------------ each code alone
  add({ name: 'Untrusted: issuer unknown, chain complete as sent', ...base, anchors: [otherRoot.der], expected: ['Untrusted@1'] });
  add({ name: 'Untrusted: an untrusted root sent', ...base, intermediates: [int.der, root.der], anchors: [otherRoot.der], expected: ['Untrusted@2'] });
  const selfLeaf = issue({ subject: 'CN=self.example.test', san: [{ dns: 'self.example.test' }], ...LEAF_VALIDITY });
  add({ name: 'Untrusted: self-signed leaf', leaf: selfLeaf.der, intermediates: [], anchors: [root.der], serverName: 'self.example.test', expected: ['Untrusted@0'] });

  add({ name: 'Expired: leaf', ...base, leaf: leafUnder(int, { notBefore: at(-60 * DAY), notAfter: at(-DAY) }).der, expected: ['Expired@0'] });
  add({ name: 'NotYetValid: leaf', ...base, leaf: leafUnder(int, { notBefore: at(DAY), notAfter: at(60 * DAY) }).der, expected: ['NotYetValid@0'] });
  const intExpired = ca('CN=Expired Intermediate', root, { notBefore: at(-2 * YEAR), notAfter: at(-DAY) });
  add({ name: 'Expired: intermediate', ...base, leaf: leafUnder(intExpired).der, intermediates: [intExpired.der], expected: ['Expired@1'] });
  add({ name: 'InvalidName: DNS', ...base, serverName: 'other.example.test', expected: ['InvalidName@0'] });
  add({ name: 'InvalidName: IP', ...base, serverName: '192.0.2.2', expected: ['InvalidName@0'] });

  {
    const a = ca('CN=Gap A', root);
    const b = ca('CN=Gap B', a);
    const l = leafUnder(b);
    add({ name: 'IncompleteChain: a missing intermediate between sent ones', ...base, leaf: l.der, intermediates: [a.der], expected: ['IncompleteChain@0'] });
  }

  add({ name: 'WrongUsage: leaf EKU emailProtection only', ...base, leaf: leafUnder(int, { eku: [Oid.emailProtection] }).der, expected: ['WrongUsage@0'] });
  add({ name: 'WrongUsage: serverAuth-only leaf used for clientAuth', ...base, serverName: undefined, usage: 'clientAuth', leaf: leafUnder(int, { eku: [Oid.serverAuth] }).der, expected: ['WrongUsage@0'] });
  {
    const mailCa = ca('CN=Mail CA', root, { extra: [ext.eku([Oid.emailProtection])] });
    add({ name: 'WrongUsage: intermediate EKU excludes serverAuth', ...base, leaf: leafUnder(mailCa).der, intermediates: [mailCa.der], expected: ['WrongUsage@1'] });
  }
  add({
    name: 'WrongUsage: leaf key usage keyEncipherment only',
    ...base,
    leaf: leafUnder(int, { keyUsage: KeyUsage.keyEncipherment }).der,
    expected: ['WrongUsage@0'],
    opensslDiffers: 'OpenSSL sslserver accepts keyEncipherment (TLS 1.2 RSA key exchange); puretls has no RSA key exchange and needs digitalSignature (RFC 9846 §4.5.1.2)',
  });

  add({ name: 'InvalidSignature: leaf signature bit flipped', ...base, leaf: leafUnder(int, { tamperSignature: (s) => flip(s, -1) }).der, expected: ['InvalidSignature@0'] });
  add({
    name: 'InvalidSignature: leaf to-be-signed part altered (SAN)',
    ...base,
    serverName: 'www.example.test',
    leaf: leafUnder(int, { tamperTbs: (t) => replaceAscii(t, 'example.test', 'examplf.test') }).der,
    expected: ['InvalidSignature@0'],
  });
  {
    const i = ca('CN=Test Intermediate', root, { key: int.key, tamperSignature: (s) => flip(s, -2) });
    add({ name: 'InvalidSignature: intermediate', ...base, intermediates: [i.der], expected: ['InvalidSignature@1'] });
  }

  {
    const notCa = issue({
      subject: 'CN=Not A CA',
      issuer: root,
      ...CA_VALIDITY,
      extensions: [ext.basicConstraints(false), ext.keyUsage(KeyUsage.keyCertSign | KeyUsage.digitalSignature), ext.ski(Uint8Array.of(1, 2, 3, 4)), ext.aki(root.skid)],
    });
    add({ name: 'BasicConstraintsError: intermediate with cA false', ...base, leaf: leafUnder({ ...notCa, skid: Uint8Array.of(1, 2, 3, 4) }).der, intermediates: [notCa.der], expected: ['BasicConstraintsError@1'] });
    const noBc = issue({ subject: 'CN=No BC', issuer: root, ...CA_VALIDITY, extensions: [ext.keyUsage(KeyUsage.keyCertSign), ext.ski(Uint8Array.of(5, 6, 7, 8)), ext.aki(root.skid)] });
    add({ name: 'BasicConstraintsError: intermediate without basicConstraints', ...base, leaf: leafUnder({ ...noBc, skid: Uint8Array.of(5, 6, 7, 8) }).der, intermediates: [noBc.der], expected: ['BasicConstraintsError@1'] });
    const noCertSign = ca('CN=No keyCertSign', root, { keyUsage: KeyUsage.cRLSign | KeyUsage.digitalSignature });
    add({ name: 'BasicConstraintsError: CA key usage without keyCertSign', ...base, leaf: leafUnder(noCertSign).der, intermediates: [noCertSign.der], expected: ['BasicConstraintsError@1'] });
    const root0 = ca('CN=PathLen 0 Root', undefined, { pathLen: 0 });
    const i0 = ca('CN=Below PathLen 0', root0);
    add({ name: 'BasicConstraintsError: pathLen 0 root with an intermediate', ...base, leaf: leafUnder(i0).der, intermediates: [i0.der], anchors: [root0.der], expected: ['BasicConstraintsError@2'] });
    const p0 = ca('CN=PathLen 0 Intermediate', root, { pathLen: 0 });
    const sub = ca('CN=Sub CA', p0);
    add({ name: 'BasicConstraintsError: pathLen 0 intermediate with a sub-CA', ...base, leaf: leafUnder(sub).der, intermediates: [sub.der, p0.der], expected: ['BasicConstraintsError@2'] });
    const p1 = ca('CN=PathLen 1 Intermediate', root, { pathLen: 1 });
    const sub1 = ca('CN=Sub CA 1', p1);
    add({ name: 'good: pathLen 1 intermediate with one sub-CA', ...base, leaf: leafUnder(sub1).der, intermediates: [sub1.der, p1.der], expected: [] });
  }
  {
    const i3 = ca('CN=Depth 3', root);
    const i2 = ca('CN=Depth 2', i3);
    const i1 = ca('CN=Depth 1', i2);
    const l = leafUnder(i1);
    add({ name: 'good: three intermediates within maxDepth 3', ...base, leaf: l.der, intermediates: [i1.der, i2.der, i3.der], maxDepth: 3, expected: [] });
    add({ name: 'BasicConstraintsError: three intermediates over maxDepth 2', ...base, leaf: l.der, intermediates: [i1.der, i2.der, i3.der], maxDepth: 2, expected: ['BasicConstraintsError@3'] });
  }

  add({ name: 'UnknownCriticalExtension: leaf', ...base, leaf: leafUnder(int, { extra: [ext.raw(PRIVATE_OID, NULL, true)] }).der, expected: ['UnknownCriticalExtension@0'] });
  add({ name: 'good: unknown non-critical extension', ...base, leaf: leafUnder(int, { extra: [ext.raw(PRIVATE_OID, NULL, false)] }).der, expected: [] });
  {
    const i = ca('CN=Critical Ext CA', root, { extra: [ext.raw(PRIVATE_OID, NULL, true)] });
    add({ name: 'UnknownCriticalExtension: intermediate', ...base, leaf: leafUnder(i).der, intermediates: [i.der], expected: ['UnknownCriticalExtension@1'] });
  }

  // Name constraints (RFC 5280 §4.2.1.10).
  const constrained = (nc: Parameters<typeof ext.nameConstraints>[0], issuer: Issued = root) => ca('CN=Constrained CA', issuer, { extra: [ext.nameConstraints(nc)] });
  {
    const i = constrained({ permitted: [{ dns: 'example.test' }] });
    add({ name: 'good: name constraints permitted DNS, names inside', ...base, leaf: leafUnder(i, { san: [{ dns: 'www.example.test' }, { dns: 'example.test' }] }).der, intermediates: [i.der], expected: [] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: DNS outside permitted subtree',
      ...base,
      serverName: 'evil.test',
      leaf: leafUnder(i, { san: [{ dns: 'evil.test' }] }).der,
      intermediates: [i.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
  }
  {
    const i = constrained({ excluded: [{ dns: 'bad.example.test' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: DNS in excluded subtree',
      ...base,
      serverName: 'x.bad.example.test',
      leaf: leafUnder(i, { san: [{ dns: 'x.bad.example.test' }] }).der,
      intermediates: [i.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    const w = constrained({ excluded: [{ dns: 'a.example.test' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: a wildcard that could match an excluded name',
      ...base,
      serverName: 'good.example.test',
      leaf: leafUnder(w, { san: [{ dns: '*.example.test' }] }).der,
      intermediates: [w.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
      opensslDiffers: 'OpenSSL compares "*.example.test" literally with the excluded "a.example.test"; the wildcard would match it, so puretls refuses',
    });
  }
  {
    const i = constrained({ permitted: [{ ipRange: '192.0.2.0/24' }] });
    add({ name: 'good: IP inside permitted subtree', ...base, serverName: '192.0.2.77', leaf: leafUnder(i, { san: [{ ip: '192.0.2.77' }] }).der, intermediates: [i.der], expected: [] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: IPv4 outside permitted subtree',
      ...base,
      serverName: '198.51.100.1',
      leaf: leafUnder(i, { san: [{ ip: '198.51.100.1' }] }).der,
      intermediates: [i.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    const x = constrained({ excluded: [{ ipRange: '192.0.2.0/24' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: IPv4 in excluded subtree',
      ...base,
      serverName: '192.0.2.1',
      leaf: leafUnder(x, { san: [{ ip: '192.0.2.1' }] }).der,
      intermediates: [x.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    const v6 = constrained({ permitted: [{ ipRange: '2001:db8::/32' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: IPv6 outside permitted subtree',
      ...base,
      serverName: '2001:db9::1',
      leaf: leafUnder(v6, { san: [{ ip: '2001:db9::1' }] }).der,
      intermediates: [v6.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
  }
  {
    const rootNc = ca('CN=Constrained Root', undefined, { extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] })] });
    const i = ca('CN=Below Constrained Root', rootNc);
    add({
      name: 'InvalidCertificateAuthorityPolicy: the trust anchor’s own constraints apply',
      ...base,
      serverName: 'evil.test',
      leaf: leafUnder(i, { san: [{ dns: 'evil.test' }] }).der,
      intermediates: [i.der],
      anchors: [rootNc.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    const d = constrained({ permitted: [{ dir: 'O=Good' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: subject outside permitted directoryName',
      ...base,
      leaf: leafUnder(d, { subject: 'O=Evil, CN=www.example.test' }).der,
      intermediates: [d.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    add({ name: 'good: subject inside permitted directoryName', ...base, leaf: leafUnder(d, { subject: 'O=Good, CN=www.example.test' }).der, intermediates: [d.der], expected: [] });
  }

  // Policies (policy.ts): no policy tree, so an explicit-policy requirement fails closed.
  {
    const i = ca('CN=Explicit Policy CA', root, { extra: [ext.policyConstraints({ requireExplicitPolicy: 0 })] });
    // Without -policy_check openssl verify ignores policy extensions altogether; -policy anyPolicy
    // is RFC 5280 §6.1.1 (c)'s user-initial-policy-set (OpenSSL's default is the empty set).
    const policyCheck = ['-policy_check', '-policy', '2.5.29.32.0'];
    add({ name: 'InvalidCertificateAuthorityPolicy: requireExplicitPolicy, no policies', ...base, leaf: leafUnder(i).der, intermediates: [i.der], expected: ['InvalidCertificateAuthorityPolicy@1'], opensslArgs: policyCheck });
    const POLICY = '2.23.140.1.2.1';
    const ip = ca('CN=Explicit Policy CA', root, { key: i.key, extra: [ext.certificatePolicies([POLICY]), ext.policyConstraints({ requireExplicitPolicy: 0 })] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: requireExplicitPolicy with matching policies (fail closed)',
      ...base,
      leaf: leafUnder(ip, { extra: [ext.certificatePolicies([POLICY])] }).der,
      intermediates: [ip.der],
      expected: ['InvalidCertificateAuthorityPolicy@1'],
      opensslDiffers: 'OpenSSL builds the policy tree and finds the explicit policy; puretls does not process policies and refuses any path that requires one',
      opensslArgs: policyCheck,
    });
    const inh = ca('CN=Inhibit Any Policy CA', root, { extra: [ext.inhibitAnyPolicy(0), ext.policyConstraints({ inhibitPolicyMapping: 0 })] });
    add({ name: 'good: critical inhibitAnyPolicy and inhibitPolicyMapping without an explicit policy', ...base, leaf: leafUnder(inh).der, intermediates: [inh.der], expected: [], opensslArgs: policyCheck });
    const far = ca('CN=Far Explicit Policy CA', root, { extra: [ext.policyConstraints({ requireExplicitPolicy: 5 })] });
    add({ name: 'good: requireExplicitPolicy beyond the end of the path', ...base, leaf: leafUnder(far).der, intermediates: [far.der], expected: [], opensslArgs: policyCheck });
    const map = ca('CN=Maps anyPolicy', root, { extra: [ext.certificatePolicies([POLICY]), ext.policyMappings([['2.5.29.32.0', POLICY]])] });
    add({ name: 'InvalidCertificateAuthorityPolicy: a policy mapping of anyPolicy', ...base, leaf: leafUnder(map).der, intermediates: [map.der], expected: ['InvalidCertificateAuthorityPolicy@1'], opensslArgs: policyCheck });
  }

  // OtherErrors: structure and algorithms.
  add({
    name: 'OtherErrors: malformed key usage extension',
    ...base,
    leaf: issue({
      subject: 'CN=www.example.test',
      issuer: int,
      ...LEAF_VALIDITY,
      // A BIT STRING claiming 8 unused bits (X.690 §8.6.2.2 allows 0-7).
      extensions: [ext.basicConstraints(false), ext.raw(Oid.keyUsage, Uint8Array.of(0x03, 0x02, 0x08, 0x80), true), ext.eku([Oid.serverAuth]), ext.san(SAN), ext.aki(int.skid)],
    }).der,
    expected: ['OtherErrors@0'],
  });
  add({ name: 'OtherErrors: duplicate extension', ...base, leaf: leafUnder(int, { extra: [ext.eku([Oid.serverAuth])] }).der, expected: ['OtherErrors@0'] });
  add({ name: 'OtherErrors: extensions in a v1 certificate', ...base, leaf: leafUnder(int, { version: 1 }).der, expected: ['OtherErrors@0'] });
  add({ name: 'OtherErrors: extensions in a v2 certificate', ...base, leaf: leafUnder(int, { version: 2 }).der, expected: ['OtherErrors@0'] });
  add({
    name: 'OtherErrors: unknown version 4',
    ...base,
    leaf: leafUnder(int, { version: 4 }).der,
    expected: ['OtherErrors@0'],
    opensslDiffers: 'OpenSSL 3.0 reads a version field of 3 (v4) as if it were v3; RFC 5280 §4.1.2.1 defines v1-v3 only',
  });
  add({
    name: 'OtherErrors: negative serial number',
    ...base,
    leaf: leafUnder(int, { serial: Uint8Array.of(0x80, 0x01) }).der,
    expected: ['OtherErrors@0'],
    opensslDiffers: 'OpenSSL 3.0 accepts negative serial numbers (RFC 5280 §4.1.2.2 asks users to handle them gracefully; issue 4 asks us to refuse them)',
  });
  add({
    name: 'OtherErrors: zero serial number',
    ...base,
    leaf: leafUnder(int, { serial: Uint8Array.of(0x00) }).der,
    expected: ['OtherErrors@0'],
    opensslDiffers: 'OpenSSL 3.0 accepts a zero serial number',
  });
  add({
    name: 'OtherErrors: 21-octet serial number',
    ...base,
    leaf: leafUnder(int, { serial: new Uint8Array(21).fill(0x11) }).der,
    expected: ['OtherErrors@0'],
    opensslDiffers: 'OpenSSL 3.0 does not check the 20-octet limit of RFC 5280 §4.1.2.2',
  });
  {
    const rsaRoot = ca('CN=RSA Root', undefined, { key: key('rsa2048', 1) });
    const rsaInt = ca('CN=RSA Intermediate', rsaRoot, { key: key('rsa2048', 2) });
    const rsaBase = { ...base, intermediates: [rsaInt.der], anchors: [rsaRoot.der] };
    add({ name: 'OtherErrors: SHA-1 RSA signature on the leaf', ...rsaBase, leaf: leafUnder(rsaInt, { sigAlg: 'rsa-sha1' }).der, expected: ['OtherErrors@0'] });
    add({ name: 'OtherErrors: MD5 RSA signature on the leaf', ...rsaBase, leaf: leafUnder(rsaInt, { sigAlg: 'rsa-md5' }).der, expected: ['OtherErrors@0'] });
    add({ name: 'OtherErrors: ECDSA-SHA1 signature on the leaf', ...base, leaf: leafUnder(int, { sigAlg: 'ecdsa-sha1' }).der, expected: ['OtherErrors@0'] });
    add({ name: 'OtherErrors: RSA-1024 leaf key', ...rsaBase, leaf: leafUnder(rsaInt, { key: key('rsa1024', 1) }).der, expected: ['OtherErrors@0'] });
    const smallInt = ca('CN=Small Key Intermediate', rsaRoot, { key: key('rsa1024', 2) });
    add({ name: 'OtherErrors: RSA-1024 intermediate key', ...rsaBase, leaf: leafUnder(smallInt).der, intermediates: [smallInt.der], expected: ['OtherErrors@1'] });
    const sha1Root = ca('CN=SHA-1 Root', undefined, { key: key('rsa2048', 3), sigAlg: 'rsa-sha1' });
    const underSha1 = ca('CN=Below SHA-1 Root', sha1Root, { key: key('rsa2048', 2), sigAlg: 'rsa-sha256' });
    add({ name: 'good: a SHA-1 self-signature on the trust anchor itself', ...base, leaf: leafUnder(underSha1).der, intermediates: [underSha1.der], anchors: [sha1Root.der], expected: [] });
    const smallRoot = ca('CN=Small Key Root', undefined, { key: key('rsa1024', 3) });
    const underSmall = ca('CN=Below Small Key Root', smallRoot, { key: key('rsa2048', 2) });
    add({
      name: 'good: an RSA-1024 trust anchor key',
      ...base,
      leaf: leafUnder(underSmall).der,
      intermediates: [underSmall.der],
      anchors: [smallRoot.der],
      expected: [],
      opensslDiffers: 'at -auth_level 2 OpenSSL refuses a 1024-bit key on the trust anchor too; issue 4 exempts the anchor (trusted input, RFC 5280 §6.1.1 (d))',
    });
  }

  // ------------------------------------------------------------------ combinations
  const expiredLeaf = leafUnder(int, { notBefore: at(-60 * DAY), notAfter: at(-DAY) });
  add({ name: 'combination: Expired + InvalidName', ...base, leaf: expiredLeaf.der, serverName: 'other.example.test', expected: ['Expired@0', 'InvalidName@0'] });
  add({ name: 'combination: Untrusted + Expired', ...base, leaf: expiredLeaf.der, anchors: [otherRoot.der], expected: ['Expired@0', 'Untrusted@1'] });
  add({
    name: 'combination: NotYetValid + WrongUsage + InvalidName',
    ...base,
    serverName: 'other.example.test',
    leaf: leafUnder(int, { notBefore: at(DAY), notAfter: at(60 * DAY), eku: [Oid.codeSigning] }).der,
    expected: ['InvalidName@0', 'NotYetValid@0', 'WrongUsage@0'],
  });
  add({ name: 'combination: InvalidSignature + Expired', ...base, leaf: leafUnder(int, { notBefore: at(-60 * DAY), notAfter: at(-DAY), tamperSignature: (s) => flip(s, -1) }).der, expected: ['Expired@0', 'InvalidSignature@0'] });
  {
    const i = ca('CN=Expired Constrained CA', root, { notBefore: at(-2 * YEAR), notAfter: at(-DAY), extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] })] });
    add({
      name: 'combination: name constraint violation + expired intermediate',
      ...base,
      serverName: 'evil.test',
      leaf: leafUnder(i, { san: [{ dns: 'evil.test' }] }).der,
      intermediates: [i.der],
      expected: ['Expired@1', 'InvalidCertificateAuthorityPolicy@0'],
    });
    const root0 = ca('CN=PathLen 0 Root', undefined, { pathLen: 0 });
    const i0 = ca('CN=Below PathLen 0', root0);
    add({
      name: 'combination: pathLen + unknown critical extension',
      ...base,
      leaf: leafUnder(i0, { extra: [ext.raw(PRIVATE_OID, NULL, true)] }).der,
      intermediates: [i0.der],
      anchors: [root0.der],
      expected: ['BasicConstraintsError@2', 'UnknownCriticalExtension@0'],
    });
  }
  add({ name: 'combination: duplicate extension + InvalidName + Untrusted', ...base, serverName: 'other.example.test', anchors: [otherRoot.der], leaf: leafUnder(int, { extra: [ext.eku([Oid.serverAuth])] }).der, expected: ['InvalidName@0', 'OtherErrors@0', 'Untrusted@1'] });

  // ------------------------------------------------------------------ path building
  {
    const r = ca('CN=Path Root');
    const i2 = ca('CN=Path Intermediate 2', r);
    const i1 = ca('CN=Path Intermediate 1', i2);
    const l = leafUnder(i1);
    const xr = ca('CN=Stranger Root');
    const x1 = ca('CN=Stranger Intermediate', xr);
    const impostor = ca('CN=Path Intermediate 1', r); // same name, other key (its SKI differs)
    add({
      name: 'path: unordered intermediates with distractors and a same-name impostor',
      ...base,
      leaf: l.der,
      intermediates: [x1.der, i2.der, impostor.der, xr.der, i1.der, l.der],
      anchors: [otherRoot.der, r.der],
      expected: [],
    });
    add({ name: 'path: an intermediate as the trust anchor', ...base, leaf: l.der, intermediates: [], anchors: [i1.der], expected: [] });
  }
  {
    const rNew = ca('CN=New Root');
    const rOld = ca('CN=Old Root');
    const k = key('p256');
    const iNew = ca('CN=Cross Intermediate', rNew, { key: k });
    const iOld = ca('CN=Cross Intermediate', rOld, { key: k });
    const l = leafUnder(iNew); // its AKI is the shared key's identifier
    const noBacktrack = 'OpenSSL takes the first intermediate that matches by name and key identifier and does not backtrack to the other one (its alternative-chain search only looks in the trust store)';
    add({ name: 'path: cross-signed intermediate, only the new root trusted', ...base, leaf: l.der, intermediates: [iOld.der, iNew.der], anchors: [rNew.der], expected: [], opensslDiffers: noBacktrack });
    add({ name: 'path: cross-signed intermediate, only the old root trusted', ...base, leaf: l.der, intermediates: [iNew.der, iOld.der], anchors: [rOld.der], expected: [], opensslDiffers: noBacktrack });
    add({ name: 'path: cross-signed intermediate, the matching one sent first', ...base, leaf: l.der, intermediates: [iNew.der, iOld.der], anchors: [rNew.der], expected: [] });
    const rNewByOld = ca('CN=New Root', rOld, { key: rNew.key });
    add({ name: 'path: a cross-signed root leads to the old root', ...base, leaf: l.der, intermediates: [iNew.der, rNewByOld.der], anchors: [rOld.der], expected: [] });
  }
  {
    const k = key('p256');
    const iExpired = ca('CN=Twin Intermediate', root, { key: k, notBefore: at(-2 * YEAR), notAfter: at(-DAY) });
    const iValid = ca('CN=Twin Intermediate', root, { key: k });
    const l = leafUnder(iValid);
    add({ name: 'path: an expired and a valid issuer with the same name and key: the valid one wins', ...base, leaf: l.der, intermediates: [iExpired.der, iValid.der], expected: [] });
    add({ name: 'path: only the expired twin sent', ...base, leaf: l.der, intermediates: [iExpired.der], expected: ['Expired@1'] });
  }
  {
    const kB = key('p256');
    const bSelf = ca('CN=Loop B', undefined, { key: kB }); // same name and key as B: signs A
    const a = ca('CN=Loop A', bSelf);
    const b = ca('CN=Loop B', a, { key: kB });
    const l = leafUnder(a);
    add({ name: 'path: a loop (A issued by B, B by A) ends as Untrusted', ...base, leaf: l.der, intermediates: [a.der, b.der], expected: ['Untrusted@2'] });
  }
  add({ name: 'path: a pinned self-signed leaf as trust anchor', leaf: selfLeaf.der, intermediates: [], anchors: [selfLeaf.der], serverName: 'self.example.test', expected: [] });

  // ------------------------------------------------------------------ issue 7 (items 14, 16-19)
  {
    // Item 18: keyUsage 03 02 07 84 is digitalSignature with a set padding bit (not keyCertSign).
    const padded = ca('CN=Padded Key Usage CA', root, { extensions: [ext.basicConstraints(true), ext.raw(Oid.keyUsage, Uint8Array.of(0x03, 0x02, 0x07, 0x84), true), ext.ski(Uint8Array.of(9, 9, 1)), ext.aki(root.skid)] });
    add({ name: 'OtherErrors: CA keyUsage with a set padding bit (03 02 07 84)', ...base, leaf: leafUnder({ ...padded, skid: Uint8Array.of(9, 9, 1) }).der, intermediates: [padded.der], expected: ['OtherErrors@1'] });
    // Item 14: a self-issued intermediate (key rollover) does not count toward pathLen or maxDepth.
    const p0 = ca('CN=Rollover PathLen 0', root, { pathLen: 0 });
    const rolled = ca('CN=Rollover PathLen 0', p0);
    const l = leafUnder(rolled);
    add({ name: 'good: a self-issued intermediate below a pathLen 0 CA', ...base, leaf: l.der, intermediates: [rolled.der, p0.der], expected: [] });
    add({
      name: 'good: a self-issued intermediate does not count toward maxDepth',
      ...base,
      leaf: l.der,
      intermediates: [rolled.der, p0.der],
      maxDepth: 1,
      expected: [],
      opensslDiffers: 'OpenSSL -verify_depth counts every certificate; RFC 5280 §6.1.4 (l) does not count self-issued ones toward the path length, and puretls applies the same rule to maxDepth',
    });
    // Item 14: nameConstraints in an end-entity certificate (§4.2.1.10).
    add({
      name: 'InvalidCertificateAuthorityPolicy: nameConstraints in a leaf',
      ...base,
      leaf: leafUnder(int, { extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }] }, false)] }).der,
      expected: ['InvalidCertificateAuthorityPolicy@0'],
      opensslDiffers: 'OpenSSL 3.0 ignores nameConstraints in an end-entity certificate; RFC 5280 §4.2.1.10 says the extension "MUST be used only in a CA certificate"',
    });
    // Item 14: an iPAddress constraint with a mask that is not a prefix.
    const holey = ca('CN=Holey Mask CA', root, { extra: [ext.raw(Oid.nameConstraints, derSequence(derTlv(0xa1, derSequence(derTlv(0x87, Uint8Array.of(10, 0, 0, 0, 255, 0, 255, 0))))), true)] });
    add({
      name: 'OtherErrors: an iPAddress constraint with a non-contiguous mask',
      ...base,
      leaf: leafUnder(holey).der,
      intermediates: [holey.der],
      expected: ['OtherErrors@1'],
      opensslDiffers: 'OpenSSL 3.0 applies the mask bit by bit without checking that it is a prefix; a mask with holes describes no address range (RFC 4632 §3.1), so puretls refuses the constraint as malformed',
    });
    // Item 14: an expired trust anchor.
    const oldRoot = ca('CN=Expired Root', undefined, { notBefore: at(-3 * YEAR), notAfter: at(-DAY) });
    const underOld = ca('CN=Below Expired Root', oldRoot);
    add({ name: 'Expired: the trust anchor', ...base, leaf: leafUnder(underOld).der, intermediates: [underOld.der], anchors: [oldRoot.der], expected: ['Expired@2'] });
    // Item 17: a trust anchor whose nameConstraints cannot be honoured (minimum 1).
    const minRoot = ca('CN=Minimum 1 Root', undefined, { extra: [ext.raw(Oid.nameConstraints, derSequence(derTlv(0xa0, derSequence(derTlv(0x82, ascii('example.test')), derTlv(0x80, Uint8Array.of(1))))), true)] });
    const underMin = ca('CN=Below Minimum 1 Root', minRoot);
    add({ name: 'OtherErrors: trust anchor nameConstraints with minimum 1', ...base, leaf: leafUnder(underMin).der, intermediates: [underMin.der], anchors: [minRoot.der], expected: ['OtherErrors@2'] });
    // Item 16: a malformed directoryName ([4] NULL) before the dNSName, under an excluding CA.
    const excl = constrained({ excluded: [{ dns: 'www.example.test' }] });
    const sanNull = derSequence(derTlv(0xa4, NULL), derTlv(0x82, ascii('www.example.test')));
    add({
      name: 'OtherErrors: a [4] NULL SAN entry before the dNSName, under an excluded subtree',
      ...base,
      leaf: issue({ subject: 'CN=www.example.test', issuer: excl, ...LEAF_VALIDITY, extensions: [ext.basicConstraints(false), ext.eku([Oid.serverAuth]), ext.raw(Oid.subjectAltName, sanNull), ext.aki(excl.skid)] }).der,
      intermediates: [excl.der],
      expected: ['InvalidCertificateAuthorityPolicy@0', 'InvalidName@0', 'OtherErrors@0'],
    });
    // Item 16: a directoryName SAN in an excluded directoryName subtree.
    const dirExcl = constrained({ excluded: [{ dir: 'CN=blocked' }] });
    add({
      name: 'InvalidCertificateAuthorityPolicy: a directoryName SAN in an excluded subtree',
      ...base,
      leaf: leafUnder(dirExcl, { san: [...SAN, { dir: 'CN=blocked' }] }).der,
      intermediates: [dirExcl.der],
      expected: ['InvalidCertificateAuthorityPolicy@0'],
    });
    // Item 19: PrintableString outside its character set.
    add({
      name: 'OtherErrors: a PrintableString subject attribute with "*"',
      ...base,
      leaf: leafUnder(int, { subject: '', subjectDer: derSequence(rawRdn('2.5.4.10', 0x13, 'Evil*Corp'), rawRdn('2.5.4.3', 0x13, 'www.example.test')) }).der,
      expected: ['OtherErrors@0'],
      opensslDiffers: 'OpenSSL does not check the PrintableString character set (X.680 §41.4); Python cryptography refuses such names too',
    });
    // Item 19: a UUID-based policy OID (2.25.<128-bit>).
    const uuidOid = `2.25.${BigInt('0xf81d4fae7dec11d0a76500a0c91e6bf6').toString()}`;
    add({ name: 'good: a 2.25.<UUID> certificate policy', ...base, leaf: leafUnder(int, { extra: [ext.certificatePolicies([uuidOid])] }).der, expected: [] });
  }

  return cases;
}
