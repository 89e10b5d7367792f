/**
 * Path building under stress: pathological fan-out (many same-name issuers, key-sharing
 * cross-certificate meshes), bounded by counted work rather than wall time; depth limits.
 */
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import { validateChain, DEFAULT_VERIFICATION_WORK, HARD_MAX_PATH, WORK_COST, type ChainPolicy } from '../../src/verify/engine.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { DAY, YEAR, issue, key, type Issued } from './builder.js';
import { T } from './cases.js';

const V = { notBefore: new Date(T.getTime() - YEAR), notAfter: new Date(T.getTime() + YEAR) };
const policy: ChainPolicy = { time: T, usage: 'serverAuth', serverName: 'fan.example.test', maxDepth: 8 };
const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();

/**
 * `layers` layers of `width` certificates each; all certificates of a layer share one
 * name and one key, so each is validly signed by every certificate of the layer above:
 * width^layers distinct paths. No key identifiers anywhere (nothing to prune with).
 */
function mesh(layers: number, width: number, top: Issued | null) {
  const keys = Array.from({ length: layers }, () => key('p256'));
  const byLayer: Issued[][] = [];
  for (let l = layers - 1; l >= 0; l--) {
    const row: Issued[] = [];
    for (let w = 0; w < width; w++) {
      const issuer: Issued | undefined =
        l === layers - 1 ? (top ?? issue({ subject: 'CN=Nowhere', ca: true, keyIds: false, ...V })) : byLayer[0]![w % width]!;
      row.push(issue({ subject: `CN=Layer ${l}`, issuer, key: keys[l], ca: true, keyIds: false, ...V }));
    }
    byLayer.unshift(row);
  }
  return byLayer; // byLayer[0] issues the leaf
}

describe('bounded path search (counted work, not wall time)', () => {
  it('50 same-name distractor issuers and a 4×6 key-sharing mesh with no way to an anchor: Untrusted, within the limits', () => {
    const layers = mesh(4, 6, null);
    const leafIssuer = layers[0]![0]!;
    const distractors = Array.from({ length: 50 }, () => issue({ subject: 'CN=Layer 0', ca: true, keyIds: false, ...V }));
    const leaf = issue({ subject: 'CN=leaf', issuer: leafIssuer, keyIds: false, san: [{ dns: 'fan.example.test' }], ...V });
    const anchor = issue({ subject: 'CN=Unrelated Root', ca: true, ...V });
    const r = validateChain(
      {
        leaf: parseCertificate(leaf.der),
        intermediates: [...distractors, ...layers.flat()].map((c) => parseCertificate(c.der)),
        anchors: [parseCertificate(anchor.der)],
      },
      policy,
      nobleProvider,
    );
    // 6^4 = 1296 paths exist; the search stops when the work budget runs out, and says so
    // with a fatal error (not only an ignorable Untrusted).
    expect(r.stats.limited).toBe(true);
    expect(r.stats.budgetExhausted).toBe(true);
    expect(r.stats.work).toBeLessThanOrEqual(DEFAULT_VERIFICATION_WORK);
    expect(r.stats.signatureChecks).toBeLessThanOrEqual(DEFAULT_VERIFICATION_WORK / WORK_COST.signature);
    expect(r.anchored).toBe(false);
    expect(r.errors.map((e) => e.code)).toContain('Untrusted');
    expect(r.errors.find((e) => e.code === 'Untrusted')!.detail).toMatch(/work budget/);
    expect(r.errors.find((e) => e.code === 'OtherErrors' && e.index === -1)!.detail).toMatch(/work budget exhausted/);
  });

  it('a key-sharing mesh reaching the anchor, 50 distractors sent first: found with a larger budget, with few signature checks', () => {
    const anchor = issue({ subject: 'CN=Mesh Root', ca: true, keyIds: false, ...V });
    const layers = mesh(4, 6, anchor);
    const distractors = Array.from({ length: 50 }, () => issue({ subject: 'CN=Layer 0', ca: true, keyIds: false, ...V }));
    const leaf = issue({ subject: 'CN=leaf', issuer: layers[0]![0]!, keyIds: false, san: [{ dns: 'fan.example.test' }], ...V });
    const input = {
      leaf: parseCertificate(leaf.der),
      intermediates: [...distractors, ...layers.flat()].map((c) => parseCertificate(c.der)),
      anchors: [parseCertificate(anchor.der)],
    };
    // The default budget pays for 50 signature verifications: not enough here, and that is
    // a fatal verdict, never a pass.
    const tight = validateChain(input, policy, nobleProvider);
    expect(tight.stats.budgetExhausted).toBe(true);
    expect(tight.errors.some((e) => e.code === 'OtherErrors' && e.index === -1)).toBe(true);
    const r = validateChain(input, { ...policy, maxWork: 4 * DEFAULT_VERIFICATION_WORK }, nobleProvider);
    expect(codes(r.errors)).toEqual([]);
    expect(r.chain).toHaveLength(6);
    expect(r.stats.limited).toBe(false);
    // 50 distractors + one per level; nothing else.
    expect(r.stats.signatureChecks).toBeLessThanOrEqual(56);
    expect(r.stats.pathsJudged).toBe(1);
  });

  it('with the default limits even an exhaustive dead end costs a bounded number of signature checks', async () => {
    const layers = mesh(3, 10, null);
    const leaf = issue({ subject: 'CN=leaf', issuer: layers[0]![0]!, keyIds: false, san: [{ dns: 'fan.example.test' }], ...V });
    const anchor = issue({ subject: 'CN=Unrelated Root', ca: true, ...V });
    const r = validateChain(
      { leaf: parseCertificate(leaf.der), intermediates: layers.flat().map((c) => parseCertificate(c.der)), anchors: [parseCertificate(anchor.der)] },
      policy,
      nobleProvider,
    );
    // Signatures are cached per (certificate, issuer key): 10 per layer, whatever the number of paths.
    expect(r.stats.signatureChecks).toBeLessThanOrEqual(3 * 10 + 10 + 1);
    // Edges, ranked candidates and signatures all come out of one budget.
    expect(r.stats.work).toBeLessThanOrEqual(DEFAULT_VERIFICATION_WORK);
    expect(r.stats.edges).toBeLessThanOrEqual(DEFAULT_VERIFICATION_WORK / WORK_COST.edge);
    expect(r.errors.some((e) => e.code === 'Untrusted'), JSON.stringify(r.errors)).toBe(true);
  });

  it('many anchored paths, all with errors: the number judged is capped and the best is reported', () => {
    // Every intermediate is expired but one, which is sent last.
    const root = issue({ subject: 'CN=Many Root', ca: true, ...V });
    const k = key('p256');
    const expired = Array.from({ length: 40 }, () =>
      issue({ subject: 'CN=Many Int', issuer: root, key: k, ca: true, keyIds: false, notBefore: new Date(T.getTime() - 2 * YEAR), notAfter: new Date(T.getTime() - DAY) }),
    );
    const good = issue({ subject: 'CN=Many Int', issuer: root, key: k, ca: true, keyIds: false, ...V });
    const leaf = issue({ subject: 'CN=leaf', issuer: good, keyIds: false, san: [{ dns: 'fan.example.test' }], ...V });
    const r = validateChain(
      { leaf: parseCertificate(leaf.der), intermediates: [...expired, good].map((c) => parseCertificate(c.der)), anchors: [parseCertificate(root.der)] },
      policy,
      nobleProvider,
    );
    // The valid twin is preferred (validity ranks candidates), so the first path judged is clean.
    expect(codes(r.errors)).toEqual([]);
    expect(r.stats.pathsJudged).toBe(1);
  });
});

describe('depth', () => {
  function chainOf(n: number) {
    const root = issue({ subject: 'CN=Deep Root', ca: true, ...V });
    let issuer = root;
    const ints: Issued[] = [];
    for (let i = n; i >= 1; i--) {
      issuer = issue({ subject: `CN=Deep ${i}`, issuer, ca: true, ...V });
      ints.unshift(issuer);
    }
    const leaf = issue({ subject: 'CN=leaf', issuer, san: [{ dns: 'deep.example.test' }], ...V });
    return { root, ints, leaf };
  }

  it('maxDepth counts intermediates only (leaf and anchor excluded), as OpenSSL -verify_depth', async () => {
    const { root, ints, leaf } = chainOf(3);
    const run = (maxDepth: number) =>
      verifyCertificateChain({ leaf: leaf.der, intermediates: ints.map((c) => c.der), trustAnchors: [root.der], serverName: 'deep.example.test', time: T, maxDepth });
    expect(codes((await run(3)).errors)).toEqual([]);
    const r = await run(2);
    expect(codes(r.errors)).toEqual(['BasicConstraintsError@3']);
    expect(r.errors[0]!.detail).toMatch(/3 intermediate certificates, more than the maximum depth 2/);
    expect(r.chain).toHaveLength(5); // the whole path is reported
    expect(codes((await run(0)).errors)).toEqual(['BasicConstraintsError@1']);
  });

  it('maxDepth 0 accepts a leaf issued directly by the anchor', async () => {
    const { root, leaf } = chainOf(0);
    expect(codes((await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [root.der], time: T, maxDepth: 0 })).errors)).toEqual([]);
  });

  it('a path far beyond maxDepth is not followed to its end: Untrusted (search limits)', async () => {
    const { root, ints, leaf } = chainOf(14);
    const r = await verifyCertificateChain({ leaf: leaf.der, intermediates: ints.map((c) => c.der), trustAnchors: [root.der], time: T, maxDepth: 2 });
    // The search follows paths up to maxDepth + 10 certificates, then gives up.
    expect(codes(r.errors)).toEqual(['Untrusted@11']);
    expect(r.errors[0]!.detail).toMatch(/search limits/);
    expect(HARD_MAX_PATH).toBeGreaterThanOrEqual(34);
  });
});
