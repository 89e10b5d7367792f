/**
 * The client-only entry's composed pure provider (src/crypto/lean.ts: its own ECDSA verifier
 * and point decoding, RSA, and the Ed25519 part) gives the verifier exactly the same answers as
 * the full pure provider on the whole corpus (every error code, alone and combined, path
 * building, bad signatures of every algorithm): the same errors, at the same indexes, with the
 * same chain. Without the ed25519 part, only Ed25519 cases differ, and never by accepting.
 */
import { describe, expect, it } from 'vitest';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { composeProvider } from '../../src/crypto/lean.js';
import { CHACHA20_PART, ED25519_PART, NIST_GROUPS_PART, SIGNING_PART } from '../../src/crypto/parts.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { T, buildCases, type ChainCase } from './cases.js';

const cases = buildCases();
const everything = composeProvider([NIST_GROUPS_PART, CHACHA20_PART, ED25519_PART, SIGNING_PART]);
const bare = composeProvider([]);

async function run(c: ChainCase, crypto: CryptoProvider) {
  const r = await verifyCertificateChain({
    leaf: c.leaf,
    intermediates: c.intermediates,
    trustAnchors: c.anchors,
    serverName: c.serverName,
    time: T,
    usage: c.usage,
    maxDepth: c.maxDepth,
    crypto,
  });
  return { errors: r.errors.map((e) => `${e.code}@${e.index}`).sort(), chain: r.chain.map((x) => x.sha256) };
}

describe('verifier corpus: composed provider vs full pure provider', () => {
  it(`all ${cases.length} cases: identical errors and chains with every part`, async () => {
    for (const c of cases) {
      const full = await run(c, nobleProvider);
      expect(await run(c, everything), c.name).toEqual(full);
      expect(full.errors, c.name).toEqual([...c.expected].sort());
    }
  });

  it('without the ed25519 part: identical except where Ed25519 is involved, and such a case is never error-free', async () => {
    let differing = 0;
    for (const c of cases) {
      const full = await run(c, nobleProvider);
      const lean = await run(c, bare);
      if (JSON.stringify(full) === JSON.stringify(lean)) continue;
      differing++;
      expect(/ed25519/i.test(c.name), `${c.name}: ${full.errors} vs ${lean.errors}`).toBe(true);
      expect(lean.errors.length, c.name).toBeGreaterThan(0);
    }
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThan(cases.length / 4);
  });
});
