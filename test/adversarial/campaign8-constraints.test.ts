/**
 * Campaign 8 (hostile certificates), part 2: name constraints (RFC 5280 §4.2.1.10) on the
 * forms a hostile leaf can spell in more than one way: the same host written with a
 * trailing dot (RFC 1034 §3.1, the absolute form) or with percent-encoded octets
 * (RFC 3986 §2.1, §6.2.2.2: `%2E` is `.`), and URIs without an authority. Each spelling
 * is compared with `openssl verify` where OpenSSL has a verdict; where OpenSSL also lets
 * the spelling through, the test says so (it is wrong too).
 */
import { describe, expect, it } from 'vitest';
import { ext, issue, type GeneralName } from '../verify/builder.js';
import { OPENSSL_VERSION } from '../verify/openssl.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { LEAF_V, T, ca, judgeBoth } from './campaign8-pki.js';

const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();
const root = ca('CN=Constraints Root');
const excludesUri = ca('CN=Excludes URI .evil.test', root, { extra: [ext.nameConstraints({ excluded: [{ uri: '.evil.test' }] })] });
const permitsUri = ca('CN=Permits URI .example.test', root, { extra: [ext.nameConstraints({ permitted: [{ uri: '.example.test' }] })] });
const excludesMail = ca('CN=Excludes mail evil.test', root, { extra: [ext.nameConstraints({ excluded: [{ email: 'evil.test' }, { email: '.evil.test' }] })] });
const permitsMail = ca('CN=Permits mail example.test', root, { extra: [ext.nameConstraints({ permitted: [{ email: 'example.test' }] })] });

function leaf(issuer: typeof root, extra: GeneralName) {
  return issue({ subject: 'CN=Campaign8 Leaf', issuer, san: [{ dns: 'www.example.test' }, extra], ...LEAF_V });
}
async function ours(issuer: typeof root, extra: GeneralName) {
  const r = await verifyCertificateChain({ leaf: leaf(issuer, extra).der, intermediates: [issuer.der], trustAnchors: [root.der], serverName: 'www.example.test', time: T });
  return codes(r.errors);
}

describe('excluded URI subtrees cannot be escaped by spelling the host differently (was: accepted)', () => {
  for (const uri of ['https://x.evil.test./', 'https://x.evil.test.:8443/path', 'https://x%2eevil.test/', 'https://x.evil%2Etest/', 'https://%78.evil.test/', 'HTTPS://X.EVIL.TEST./']) {
    it(`${uri} under excluded .evil.test → InvalidCertificateAuthorityPolicy`, async () => {
      expect(await ours(excludesUri, { uri })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    });
  }
  for (const uri of ['https:x.evil.test', 'urn:x.evil.test', 'https:///x.evil.test/', 'https://x.evil.test%00.example.test/', 'https://x%zzevil.test/', 'https://x.evil.test\\@good.example.test/']) {
    it(`${uri} (no host, or one that cannot be read) under URI constraints → refused, permitted or excluded (fail closed, as OpenSSL's unsupported name syntax)`, async () => {
      expect(await ours(excludesUri, { uri })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
      expect(await ours(permitsUri, { uri })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    });
  }
  it('the honest spellings keep their verdicts: a host outside the excluded domain, inside the permitted one (with a trailing dot too), a port, userinfo', async () => {
    for (const uri of ['https://x.good.test/', 'https://evil.test.example/', 'https://u@x.good.test:1/p?q#f']) expect(await ours(excludesUri, { uri }), uri).toEqual([]);
    for (const uri of ['https://x.example.test/', 'https://x.example.test./', 'https://X.EXAMPLE.TEST:443/', 'https://x%2Eexample.test/']) expect(await ours(permitsUri, { uri }), uri).toEqual([]);
    for (const uri of ['https://x.evil.test/', 'https://example.test/', 'https://x.example.test.evil.test/']) expect(await ours(permitsUri, { uri }), uri).toEqual(['InvalidCertificateAuthorityPolicy@0']);
  });
});

describe('excluded rfc822Name subtrees cannot be escaped with a trailing dot (was: accepted)', () => {
  for (const email of ['a@evil.test.', 'a@x.evil.test.', 'a@EVIL.TEST.']) {
    it(`${email} under excluded evil.test / .evil.test → InvalidCertificateAuthorityPolicy`, async () => {
      expect(await ours(excludesMail, { email })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    });
  }
  it('a mailbox at the permitted host with a trailing dot is inside; another host is outside', async () => {
    expect(await ours(permitsMail, { email: 'a@example.test.' })).toEqual([]);
    expect(await ours(permitsMail, { email: 'a@example.test.evil' })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
  });
});

describe.skipIf(OPENSSL_VERSION === null)('the same spellings under openssl verify', () => {
  // OpenSSL 3.0 nc_uri / nc_email compare the host octets as written: it lets the trailing
  // dot and the percent-encoded host through an excluded subtree too. RFC 1034 §3.1 and
  // RFC 3986 §6.2.2.2 make them the same host, so both verifiers were wrong; we no longer are.
  const cases: [string, typeof root, GeneralName, boolean][] = [
    ['URI with a trailing dot', excludesUri, { uri: 'https://x.evil.test./' }, true],
    ['URI with %2e', excludesUri, { uri: 'https://x%2eevil.test/' }, true],
    ['e-mail with a trailing dot', excludesMail, { email: 'a@evil.test.' }, true],
    ['URI without an authority', excludesUri, { uri: 'https:x.evil.test' }, false],
    ['URI, plain', excludesUri, { uri: 'https://x.evil.test/' }, false],
  ];
  for (const [label, issuer, name, opensslLetsThrough] of cases) {
    it(`${label}: refused by us; OpenSSL ${opensslLetsThrough ? 'lets it through (OpenSSL is wrong)' : 'refuses it too'}`, async () => {
      const j = await judgeBoth({ leaf: leaf(issuer, name).der, intermediates: [issuer.der], anchors: [root.der], serverName: 'www.example.test', usage: 'serverAuth' });
      expect(codes(j.ours)).toEqual(['InvalidCertificateAuthorityPolicy@0']);
      expect(j.openssl.ok, j.openssl.output).toBe(opensslLetsThrough);
    });
  }
});

describe('a subtree base that is not a domain name makes the constraints malformed (was: an excluded subtree that excluded nothing)', () => {
  // RFC 5280 §4.2.1.10 bases are domain names (preferred name syntax, §4.2.1.6). A base such
  // as `*.evil.test` matches no name: as an excluded subtree it was silently ineffective, in
  // OpenSSL too, so the CA's evident intent (no subdomain of evil.test) was not enforced.
  const under = async (nc: Parameters<typeof ext.nameConstraints>[0], anchorConstrained = false) => {
    if (anchorConstrained) {
      const a = ca('CN=Constraints Root', undefined, { key: root.key, extra: [ext.nameConstraints(nc)] });
      const l = issue({ subject: 'CN=Campaign8 Leaf', issuer: a, san: [{ dns: 'www.evil.test' }], ...LEAF_V });
      return codes((await verifyCertificateChain({ leaf: l.der, trustAnchors: [a.der], serverName: 'www.evil.test', time: T })).errors);
    }
    const i = ca('CN=Odd Base CA', root, { extra: [ext.nameConstraints(nc)] });
    const l = issue({ subject: 'CN=Campaign8 Leaf', issuer: i, san: [{ dns: 'www.evil.test' }, { email: 'a@www.evil.test' }, { uri: 'https://www.evil.test/' }], ...LEAF_V });
    return codes((await verifyCertificateChain({ leaf: l.der, intermediates: [i.der], trustAnchors: [root.der], serverName: 'www.evil.test', time: T })).errors);
  };
  for (const base of ['*.evil.test', '*evil.test', ' evil.test', 'evil..test', 'evil.test/', 'evil.test..', '-evil.test']) {
    it(`excluded dNSName ${JSON.stringify(base)} → OtherErrors at the CA (fatal), on an intermediate and on the anchor`, async () => {
      expect(await under({ excluded: [{ dns: base }] })).toEqual(['OtherErrors@1']);
      expect(await under({ excluded: [{ dns: base }] }, true)).toEqual(['OtherErrors@1']);
    });
  }
  it('the same for rfc822Name and URI bases (a host part that is no domain, an empty URI base, a mailbox with no host)', async () => {
    for (const email of ['*.evil.test', 'a@', '@evil.test', 'a@.evil.test', 'a@evil test']) expect(await under({ excluded: [{ email }] }), email).toEqual(['OtherErrors@1']);
    for (const uri of ['', '.', '*.evil.test', 'https://evil.test/']) expect(await under({ excluded: [{ uri }] }), uri).toEqual(['OtherErrors@1']);
  });
  it('valid bases keep their meaning: empty (every name), leading dot, trailing dot, upper case, underscore labels, mailboxes', async () => {
    expect(await under({ excluded: [{ dns: '' }] })).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    for (const dns of ['evil.test', '.evil.test', 'evil.test.', 'EVIL.TEST', '.EVIL.TEST.']) expect(await under({ excluded: [{ dns }] }), dns).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    for (const dns of ['good.test', '_srv.good.test', 'xn--bcher-kva.test']) expect(await under({ excluded: [{ dns }] }), dns).toEqual([]);
    for (const email of ['www.evil.test', '.evil.test', 'a@www.evil.test', 'a@www.evil.test.']) expect(await under({ excluded: [{ email }] }), email).toEqual(['InvalidCertificateAuthorityPolicy@0']);
    for (const uri of ['.evil.test', 'www.evil.test']) expect(await under({ excluded: [{ uri }] }), uri).toEqual(['InvalidCertificateAuthorityPolicy@0']);
  });
});
