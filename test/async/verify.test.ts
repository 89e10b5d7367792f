/**
 * Certificate and OCSP signature checks go through the configured provider, which may be
 * async: the verifier reaches the same verdict, the same path and the same work-budget
 * accounting whether the provider answers at once or later.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider, SyncCryptoProvider } from '../../src/crypto/provider.js';
import { validateChain, type ChainPolicy } from '../../src/verify/engine.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { generateTestPki, type TestPki, type TestPkiVariant } from '../../src/verify/generate.js';
import { createBasicVerifier } from '../../src/verify/basic-verifier.js';
import { nameConstraintBomb } from '../verify/attack-chains.js';
import { T, V } from '../verify/common.js';
import { asyncProvider } from '../helpers/async-provider.js';

const policy: ChainPolicy = { time: T, usage: 'serverAuth', serverName: 'h1.a.b', maxDepth: 8 };

describe('chain validation through an async provider', () => {
  it('the name-constraint bomb: same verdict, path and statistics, budget included, as with the sync provider', async () => {
    const bomb = nameConstraintBomb({ validity: V });
    const p = bomb.certificates.map((c) => parseCertificate(c));
    const input = { leaf: p[0]!, intermediates: p.slice(1), anchors: [parseCertificate(bomb.anchor.der)] };
    // A fresh provider object per run: verified signatures are cached per provider.
    const fresh = (): SyncCryptoProvider => ({ ...nobleProvider });
    const sync = validateChain(input, policy, fresh());
    for (const maxWork of [undefined, 5_000, 2_100]) {
      const pol = { ...policy, maxWork };
      const s = validateChain(input, pol, fresh());
      const ap = asyncProvider({ maxDelayMs: 1 });
      const a = await validateChain(input, pol, ap);
      expect(a.errors).toEqual(s.errors);
      expect(a.chain.map((c) => c.sha256)).toEqual(s.chain.map((c) => c.sha256));
      expect(a.stats).toEqual(s.stats);
      // Every signature check went through the async provider's verify.
      expect(ap.calls.verify).toBe(s.stats.signatureChecks);
    }
    expect(sync.stats.signatureChecks).toBeGreaterThan(0);
  });

  let pkis: Record<string, TestPki>;
  beforeAll(async () => {
    pkis = {};
    for (const variant of ['good', 'expired', 'wrong-name', 'untrusted', 'ca-leaf'] as TestPkiVariant[]) {
      for (const keyType of ['ecdsa-p256', 'rsa-2048', 'ed25519'] as const) pkis[`${variant}/${keyType}`] = await generateTestPki({ variant, keyType, intermediates: 1 });
    }
    // An ECDSA signature whose hash is not the curve's own (P-384 CA signing with SHA-256): the
    // digest-level ECDSA check, through the provider too.
    pkis['p384-ca'] = await generateTestPki({ keyType: 'ecdsa-p256', caKeyType: 'ecdsa-p384', intermediates: 0 });
  });

  it('the basic verifier reports the same errors with an async provider, for every variant and key type', async () => {
    for (const [name, pki] of Object.entries(pkis)) {
      const run = async (crypto: CryptoProvider) =>
        createBasicVerifier({ trustAnchors: [pki.caCertPem], crypto }).verify({ certificates: pki.chainDer, serverName: 'localhost', usage: 'serverAuth', time: new Date() });
      const ap = asyncProvider({ maxDelayMs: 0 });
      const [s, a] = [await run(nobleProvider), await run(ap)];
      expect({ name, errors: a.errors }).toEqual({ name, errors: s.errors });
      expect(ap.calls.verify, name).toBeGreaterThan(0);
    }
  });

  it('a provider whose verify resolves to something other than true never passes a signature', async () => {
    const pki = pkis['good/ecdsa-p256']!;
    for (const verdict of [1, 'yes', {}, Promise.resolve(true).then(() => 'true')] as unknown[]) {
      const odd: CryptoProvider = { ...(nobleProvider as SyncCryptoProvider), async: true, verify: () => Promise.resolve(verdict as boolean) };
      const r = await createBasicVerifier({ trustAnchors: [pki.caCertPem], crypto: odd }).verify({ certificates: pki.chainDer, serverName: 'localhost', usage: 'serverAuth', time: new Date() });
      expect(r.errors.map((e) => e.code)).toContain('InvalidSignature');
    }
  });

  it('a provider whose verify rejects makes the signature unverifiable (fatal), not good', async () => {
    const pki = pkis['good/rsa-2048']!;
    const broken: CryptoProvider = { ...(nobleProvider as SyncCryptoProvider), async: true, verify: () => Promise.reject(new Error('HSM offline')) };
    const r = await createBasicVerifier({ trustAnchors: [pki.caCertPem], crypto: broken }).verify({ certificates: pki.chainDer, serverName: 'localhost', usage: 'serverAuth', time: new Date() });
    expect(r.severity).toBe('fatal');
    expect(r.errors.some((e) => /HSM offline/.test(e.detail))).toBe(true);
  });
});
