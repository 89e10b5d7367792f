/**
 * Issue 7 item 2: CPU exhaustion through name constraints on unverified paths, and the
 * one work budget per verification that bounds every kind of work together.
 */
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { createBasicVerifier, DEFAULT_VERIFICATION_WORK } from '../../src/verify/basic-verifier.js';
import { validateChain, WORK_COST, type ChainPolicy } from '../../src/verify/engine.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { nameConstraintBomb } from './attack-chains.js';
import { DAY, YEAR, ext, issue, key } from './builder.js';
import { T, V, codes } from './common.js';

const policy: ChainPolicy = { time: T, usage: 'serverAuth', serverName: 'h1.a.b', maxDepth: 8 };

/** CPU time (user + system, ms) of the best of `runs` calls, after one warm-up call (JIT). */
async function cpuMs(f: () => Promise<unknown>, runs = 3): Promise<number> {
  await f();
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.cpuUsage();
    await f();
    const u = process.cpuUsage(t);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best;
}

describe('the name-constraint bomb of issue 7 item 2', () => {
  const bomb = nameConstraintBomb({ validity: V });
  const [leaf, ...rest] = bomb.certificates as [Uint8Array, ...Uint8Array[]];

  it('is one Certificate message of about 28 KB: 2,000 SANs, 31 tiny same-name intermediates, a forged CA with 125 subtrees', () => {
    expect(bomb.certificates).toHaveLength(33);
    expect(bomb.size).toBeGreaterThan(20_000);
    expect(bomb.size).toBeLessThan(32 * 1024);
    expect(parseCertificate(leaf).dnsNames).toHaveLength(2000);
  });

  it('no name comparison is made on a path whose signatures do not all verify, and the verdict is clearly fatal', () => {
    const p = bomb.certificates.map((c) => parseCertificate(c));
    const r = validateChain({ leaf: p[0]!, intermediates: p.slice(1), anchors: [parseCertificate(bomb.anchor.der)] }, policy, nobleProvider);
    expect(r.stats.nameComparisons).toBe(0);
    // Before: 16-32 paths judged, 250,000 comparisons each. Now the forged link is found at
    // once, and broken alternatives are not explored once a path reached the anchor.
    expect(r.stats.pathsJudged).toBe(1);
    expect(r.stats.budgetExhausted).toBe(false);
    expect(r.anchored).toBe(true);
    expect(codes(r.errors)).toEqual(['InvalidSignature@1']);
    expect(r.errors[0]!.detail).toMatch(/signature does not verify/);
  });

  it('costs at most 50 ms of CPU through verifyCertificateChain (it cost about 1.2 s before)', async () => {
    const run = () => verifyCertificateChain({ leaf, intermediates: rest, trustAnchors: [bomb.anchor.der], serverName: 'h1.a.b', time: T });
    const r = await run();
    expect(r.severity).toBe('fatal');
    expect(codes(r.errors)).toEqual(['InvalidSignature@1']);
    const ms = await cpuMs(run);
    expect(ms).toBeLessThanOrEqual(50);
  });

  it('costs at most 50 ms of CPU through the handshake verifier (createBasicVerifier), the same verdict', async () => {
    const v = createBasicVerifier({ trustAnchors: [bomb.anchor.der], crypto: nobleProvider });
    const run = () => v.verify({ certificates: bomb.certificates, serverName: 'h1.a.b', usage: 'serverAuth', time: T });
    expect(codes((await run()).errors)).toEqual(['InvalidSignature@1']);
    expect(await cpuMs(run)).toBeLessThanOrEqual(50);
  });

  it('stays bounded when the forged CA is sent last (the search dives through the tiny intermediates first)', async () => {
    const [l, forged, ...tiny] = bomb.certificates as [Uint8Array, Uint8Array, ...Uint8Array[]];
    const run = () => verifyCertificateChain({ leaf: l, intermediates: [...tiny, forged], trustAnchors: [bomb.anchor.der], serverName: 'h1.a.b', time: T });
    const r = await run();
    expect(r.severity).toBe('fatal');
    expect(r.errors.some((e) => e.code === 'InvalidSignature')).toBe(true);
    expect(await cpuMs(run)).toBeLessThanOrEqual(50);
  });
});

describe('one work budget per verification', () => {
  it('is shared by every path: name comparisons that fit one path but not two run it out (it was 250,000 per path)', () => {
    const rootKey = key('p256');
    const root = issue({ subject: 'CN=Shared Budget Root', key: rootKey, ca: true, ...V, extra: [ext.nameConstraints({ permitted: Array.from({ length: 100 }, (_, i) => ({ dns: `z${i}.example` })) })] });
    // Two expired twins (same name and key): each path has an error, so both are judged.
    const k = key('p256');
    const expired = { notBefore: new Date(T.getTime() - 2 * YEAR), notAfter: new Date(T.getTime() - DAY) };
    const a = issue({ subject: 'CN=Twin', issuer: root, key: k, ca: true, keyIds: false, ...expired });
    const b = issue({ subject: 'CN=Twin', issuer: root, key: k, ca: true, keyIds: false, ...expired, serial: 77n });
    const leaf = issue({ subject: '', issuer: a, keyIds: false, san: Array.from({ length: 300 }, (_, i) => ({ dns: `n${i}.z0.example` })), ...V });
    const input = { leaf: parseCertificate(leaf.der), intermediates: [a, b].map((c) => parseCertificate(c.der)), anchors: [parseCertificate(root.der)] };
    const p: ChainPolicy = { ...policy, serverName: 'n1.z0.example' };
    // One path: 3 signatures (6,000), edges, and (300 + 1 + 1) × 100 comparisons (~30,000).
    const roomy = validateChain(input, { ...p, maxWork: 100_000 }, nobleProvider);
    expect(roomy.stats.pathsJudged).toBe(2);
    expect(roomy.stats.nameComparisons).toBeGreaterThan(2 * 30_000);
    expect(codes(roomy.errors)).toEqual(['Expired@1']);
    // 50,000 units pay for the first path's comparisons, not for the second's.
    const tight = validateChain(input, { ...p, maxWork: 50_000 }, nobleProvider);
    expect(tight.stats.budgetExhausted).toBe(true);
    expect(tight.stats.work).toBeLessThanOrEqual(50_000);
    expect(tight.errors.some((e) => e.code === 'OtherErrors' && e.index === -1 && /work budget exhausted/.test(e.detail))).toBe(true);
  });

  it('running out is a fatal OtherErrors, even when everything found until then was ignorable', async () => {
    const root = issue({ subject: 'CN=Small Budget Root', key: key('p256'), ca: true, ...V });
    const int = issue({ subject: 'CN=Small Budget Int', issuer: root, key: key('p256'), ca: true, ...V });
    const leaf = issue({ subject: 'CN=x.example', issuer: int, san: [{ dns: 'x.example' }], ...V });
    // Two signatures are needed; one is paid for. (First: verified signatures are remembered.)
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: [int.der], trustAnchors: [root.der], serverName: 'x.example', time: T, maxWork: WORK_COST.signature + 500 });
    expect(r.severity).toBe('fatal');
    expect(r.errors.find((e) => e.code === 'OtherErrors')!.detail).toMatch(/work budget exhausted \(2500 units/);
    const ok = await verifyCertificateChain({ leaf: leaf.der, intermediates: [int.der], trustAnchors: [root.der], serverName: 'x.example', time: T });
    expect(ok.errors).toEqual([]);
  });

  it('DEFAULT_VERIFICATION_WORK is exported, maxWork is checked and honoured by both entry points', async () => {
    expect(DEFAULT_VERIFICATION_WORK).toBe(100_000);
    expect(DEFAULT_VERIFICATION_WORK / WORK_COST.signature).toBe(50);
    const root = issue({ subject: 'CN=Options Root', key: key('p256'), ca: true, ...V });
    const leaf = issue({ subject: 'CN=o.example', issuer: root, san: [{ dns: 'o.example' }], ...V });
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 31]) {
      await expect(verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], time: T, maxWork: bad })).rejects.toMatchObject({ status: 'InvalidConfig' });
      expect(() => createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider, maxWork: bad })).toThrow(TlsError);
    }
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider, maxWork: 10 });
    const r = await v.verify({ certificates: [leaf.der], serverName: 'o.example', usage: 'serverAuth', time: T });
    expect(r.severity).toBe('fatal');
    expect(r.errors.some((e) => e.code === 'OtherErrors' && e.index === -1)).toBe(true);
  });
});
