/**
 * Campaign 8 (hostile certificates), part 5: resource exhaustion in path building and
 * name-constraint checking, measured against the verifier's own promise (engine.ts, "Work
 * budget": 100,000 units, "25-35 ms of CPU" of edges or comparisons).
 *
 * The attacker holds a CA key under a trust anchor (a name-constrained sub-CA is the
 * threat name constraints exist for) and sends one Certificate message under the default
 * 64 KiB handshake-message limit: a leaf whose subject is thousands of RDNs, below a mesh of
 * twin sub-CAs (two certificates per level, same name and key) that all carry
 * nameConstraints, so that many paths verify and every one of them breaks a constraint
 * (the search keeps looking for a better one). Name constraints are charged per
 * comparison; each comparison set needs the presented names, and they were re-read from
 * the DER (the whole subject parsed twice) for every CA on every path judged.
 */
import { describe, expect, it } from 'vitest';
import { derSequence } from '../../src/crypto/der.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { createBasicVerifier } from '../../src/verify/basic-verifier.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { ext, issue, key, rawRdn, type Issued } from '../verify/builder.js';
import { CA_V, LEAF_V, T, ca } from './campaign8-pki.js';

function subjectBomb(opts: { rdns: number; levels: number }) {
  const root = ca('CN=Bomb Root');
  const nc = ext.nameConstraints({ permitted: [{ dns: 'example.test' }] });
  const constrained = ca('CN=Constrained Sub-CA', root, { extra: [nc] });
  const mesh: Uint8Array[] = [];
  let parent: Issued = constrained;
  for (let l = 0; l < opts.levels; l++) {
    const k = key('p256');
    const twins = [0, 1].map((t) => issue({ subject: `CN=S${l}`, issuer: parent, key: k, ca: true, ...CA_V, extra: [nc], serial: BigInt(5000 + 2 * l + t) }));
    mesh.push(...twins.map((x) => x.der));
    parent = twins[0]!;
  }
  const subject = derSequence(...Array.from({ length: opts.rdns }, (_, i) => rawRdn('2.5.4.11', 0x0c, `u${i % 10}`)));
  const leaf = issue({ subject: '', subjectDer: subject, issuer: parent, san: [{ dns: 'evil.test' }], ...LEAF_V });
  const certificates = [leaf.der, ...mesh.reverse(), constrained.der];
  return { root, certificates, size: certificates.reduce((n, c) => n + c.length, 0) };
}

const cpuMs = async <R>(f: () => Promise<R>): Promise<{ ms: number; r: R }> => {
  const u0 = process.cpuUsage();
  const r = await f();
  const u = process.cpuUsage(u0);
  return { ms: (u.user + u.system) / 1000, r };
};

describe('a leaf with a 45 KB subject below a mesh of constrained twin sub-CAs (one 58 KB Certificate message)', () => {
  const bomb = subjectBomb({ rdns: 3500, levels: 14 });

  it('fits the default handshake message limit (65,536 bytes)', () => {
    expect(bomb.size).toBeLessThan(65536 - 4 - 3 * bomb.certificates.length);
  });

  it('is refused, with the budget exhausted, in under 1.5 s of CPU through verifyCertificateChain (it took about 10 s: the subject was parsed for every CA on every path)', async () => {
    // Twice: the second run finds every signature remembered and spends its whole budget on paths.
    for (let run = 0; run < 2; run++) {
      const { ms, r } = await cpuMs(() =>
        verifyCertificateChain({ leaf: bomb.certificates[0]!, intermediates: bomb.certificates.slice(1), trustAnchors: [bomb.root.der], serverName: 'evil.test', time: T }),
      );
      const codes = new Set(r.errors.map((e) => e.code));
      expect(codes.has('InvalidCertificateAuthorityPolicy')).toBe(true);
      expect(r.severity).toBe('fatal');
      console.info(`campaign8-budget: run ${run}: ${ms.toFixed(0)} ms CPU`);
      expect(ms, `run ${run}`).toBeLessThan(run === 0 ? 1500 : 600);
    }
  });

  it('the same through the handshake verifier (createBasicVerifier)', async () => {
    const v = createBasicVerifier({ trustAnchors: [bomb.root.der], crypto: nobleProvider });
    const { ms, r } = await cpuMs(async () => {
      try {
        return await v.verify({ certificates: bomb.certificates, serverName: 'evil.test', usage: 'serverAuth', time: T });
      } catch (e) {
        return e;
      }
    });
    expect(r).toBeDefined();
    expect(ms).toBeLessThan(1500);
  });
});
