/**
 * verifyCertificateChain on the generated corpus (cases.ts): every error code alone,
 * combinations and path building; and the same certificates judged by
 * `openssl verify -x509_strict`, with every disagreement listed and explained.
 */
import { describe, expect, it } from 'vitest';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { severityOf } from '../../src/verify/verifier.js';
import { T, buildCases, type ChainCase } from './cases.js';
import { OPENSSL_VERSION, opensslVerify } from './openssl.js';

const cases = buildCases();

function codes(errors: readonly { code: string; index: number }[]): string[] {
  return errors.map((e) => `${e.code}@${e.index}`).sort();
}

async function ours(c: ChainCase) {
  return verifyCertificateChain({
    leaf: c.leaf,
    intermediates: c.intermediates,
    trustAnchors: c.anchors,
    serverName: c.serverName,
    time: T,
    usage: c.usage,
    maxDepth: c.maxDepth,
  });
}

describe('verifyCertificateChain on the corpus', () => {
  for (const c of cases) {
    it(`${c.name} → [${c.expected.join(', ')}]`, async () => {
      const r = await ours(c);
      expect(codes(r.errors), r.errors.map((e) => `${e.code}@${e.index}: ${e.detail}`).join('\n')).toEqual([...c.expected].sort());
      expect(r.severity).toBe(severityOf(r.errors));
      // Indexes refer to the reported chain.
      for (const e of r.errors) expect(e.index).toBeLessThan(Math.max(1, r.chain.length));
      expect(r.chain[0]?.sha256).toBeDefined();
    });
  }

  it('covers every code the verifier can produce, alone', () => {
    const alone = new Set(cases.filter((c) => c.expected.length === 1).map((c) => c.expected[0]!.split('@')[0]));
    for (const code of [
      'Untrusted',
      'Expired',
      'NotYetValid',
      'InvalidName',
      'IncompleteChain',
      'WrongUsage',
      'InvalidSignature',
      'BasicConstraintsError',
      'UnknownCriticalExtension',
      'InvalidCertificateAuthorityPolicy',
      'OtherErrors',
    ]) {
      expect(alone, code).toContain(code);
    }
  });
});

const skipReason = OPENSSL_VERSION === null ? 'openssl is not on PATH' : null;
if (skipReason) console.warn(`test/verify/chain.test.ts: skipping the OpenSSL comparison: ${skipReason}`);

describe.skipIf(skipReason !== null)(`the same certificates under ${OPENSSL_VERSION ?? 'openssl'} verify -x509_strict`, () => {
  for (const c of cases) {
    const label = c.opensslDiffers ? `disagrees (listed): ${c.opensslDiffers}` : 'agrees';
    it(`${c.name}: ${label}`, async () => {
      const r = await ours(c);
      const o = opensslVerify({
        leaf: c.leaf,
        intermediates: c.intermediates,
        anchors: c.anchors,
        serverName: c.serverName,
        time: T,
        usage: c.usage ?? 'serverAuth',
        maxDepth: c.maxDepth,
        extraArgs: c.opensslArgs,
      });
      const oursOk = r.errors.length === 0;
      const detail = `ours: [${codes(r.errors).join(', ')}]\nopenssl ${o.args.join(' ')}\n${o.output}`;
      if (c.opensslDiffers) expect(o.ok, `listed as a disagreement but both verdicts are the same\n${detail}`).not.toBe(oursOk);
      else expect(o.ok, `verdicts differ\n${detail}`).toBe(oursOk);
    });
  }
});
