/**
 * Regressions from the security review: an anchor's constraints cannot be replaced by a
 * peer-supplied copy of the anchor, and hostile name constraints cannot buy CPU.
 */
import { describe, it, expect } from 'vitest';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { ext, issue, key, DAY, YEAR } from './builder.js';

const now = new Date('2026-06-01T00:00:00Z');
const nb = new Date(now.getTime() - DAY);
const na = new Date(now.getTime() + YEAR);

describe('a peer-supplied copy of a trust anchor never stands in for it', () => {
  it('the anchor’s name constraints still apply when a stripped copy of it is sent along (RFC 5280 §6.1.1 (d))', async () => {
    const rootKey = key('p256', 41);
    const root = issue({ subject: 'CN=Constrained Root', key: rootKey, ca: true, notBefore: nb, notAfter: na, extra: [ext.nameConstraints({ permitted: [{ dns: 'good.example' }] })] });
    // Same subject and key, no constraints, signed by a stranger: garbage as a certificate.
    const copy = issue({ subject: 'CN=Constrained Root', key: rootKey, ca: true, notBefore: nb, notAfter: na, issuer: issue({ subject: 'CN=Stranger', key: key('p256', 42), ca: true, notBefore: nb, notAfter: na }) });
    const leaf = issue({ subject: 'CN=evil.example', issuer: root, san: [{ dns: 'evil.example' }], notBefore: nb, notAfter: na });
    const alone = await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], serverName: 'evil.example', time: now });
    expect(alone.errors.map((e) => e.code)).toContain('InvalidCertificateAuthorityPolicy');
    const withCopy = await verifyCertificateChain({ leaf: leaf.der, intermediates: [copy.der], trustAnchors: [root.der], serverName: 'evil.example', time: now });
    expect(withCopy.severity).toBe('fatal');
    expect(withCopy.errors.map((e) => e.code)).toContain('InvalidCertificateAuthorityPolicy');
  });

  it('the anchor’s pathLenConstraint still applies when a copy without it is sent along', async () => {
    const rootKey = key('p256', 43);
    const root = issue({ subject: 'CN=PathLen Root', key: rootKey, ca: true, pathLen: 0, notBefore: nb, notAfter: na });
    const copy = issue({ subject: 'CN=PathLen Root', key: rootKey, ca: true, notBefore: nb, notAfter: na, issuer: issue({ subject: 'CN=Other', key: key('p256', 44), ca: true, notBefore: nb, notAfter: na }) });
    const mid = issue({ subject: 'CN=Mid', key: key('p256', 45), ca: true, issuer: root, notBefore: nb, notAfter: na });
    const leaf = issue({ subject: 'CN=x.example', issuer: mid, san: [{ dns: 'x.example' }], notBefore: nb, notAfter: na });
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [mid.der, copy.der], trustAnchors: [root.der], serverName: 'x.example', time: now });
    expect(r.errors.map((e) => e.code)).toContain('BasicConstraintsError');
  });
});

describe('name constraints cost bounded work', () => {
  it('an untrusted issuer with thousands of subtrees over a leaf with thousands of names is Untrusted, quickly', async () => {
    const many = Array.from({ length: 2600 }, (_, i) => ({ dns: `d${i}.example` }));
    const issuer = issue({ subject: 'CN=X', key: key('p256', 46), ca: true, notBefore: nb, notAfter: na, extra: [ext.nameConstraints({ permitted: many })] });
    const leaf = issue({ subject: 'CN=l', issuer, san: Array.from({ length: 3000 }, (_, i) => ({ dns: `n${i}.other` })), notBefore: nb, notAfter: na });
    const t = performance.now();
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [issuer.der], trustAnchors: [issue({ subject: 'CN=Real', key: key('p256', 47), ca: true, notBefore: nb, notAfter: na }).der], time: now });
    const ms = performance.now() - t;
    expect(r.errors.map((e) => e.code)).toContain('Untrusted');
    expect(r.errors.some((e) => e.code === 'InvalidCertificateAuthorityPolicy')).toBe(false);
    // Not a timing assertion of the product; a guard against the 3 s quadratic path.
    expect(ms).toBeLessThan(2000);
  });

  it('a trusted CA with thousands of subtrees over a leaf with thousands of names: the comparisons are not paid for, fatal', async () => {
    const many = Array.from({ length: 2600 }, (_, i) => ({ dns: `d${i}.example` }));
    const root = issue({ subject: 'CN=Big NC Root', key: key('p256', 48), ca: true, notBefore: nb, notAfter: na, extra: [ext.nameConstraints({ permitted: many })] });
    const leaf = issue({ subject: 'CN=l', issuer: root, san: Array.from({ length: 3000 }, (_, i) => ({ dns: `n${i}.other` })), notBefore: nb, notAfter: na });
    const r = await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], time: now });
    expect(r.severity).toBe('fatal');
    // 3,000 names × 2,600 subtrees is far beyond the work budget: checked before comparing.
    expect(r.errors.some((e) => e.code === 'OtherErrors' && /work budget exhausted/.test(e.detail))).toBe(true);
    expect(r.errors.filter((e) => e.code === 'InvalidCertificateAuthorityPolicy').length).toBe(0);
  });
});
