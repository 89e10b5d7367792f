/**
 * A verifier remembers the outcome of a chain it judged without a single error
 * (src/verify/basic-verifier.ts): the same chain bytes under the same verifier are not
 * searched again while every time comparison of that search would answer alike. Nothing
 * may be weaker for it: each request below is judged by one long-lived verifier and by a
 * fresh one, and the two verdicts must be identical, at times on both sides of every
 * validity boundary, with the name checked on every request.
 */
import { describe, expect, it } from 'vitest';
import { createBasicVerifier, type BasicVerificationReport } from '../../../src/verify/basic-verifier.js';
import { verifyCertificateChain } from '../../../src/verify/chain.js';
import { validateChain, outcomeTimeWindow } from '../../../src/verify/engine.js';
import { parseCertificate } from '../../../src/verify/x509.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { flip, issue, key, type Issued } from '../../verify/builder.js';
import type { VerifyRequest } from '../../../src/verify/verifier.js';
import type { CryptoProvider } from '../../../src/crypto/provider.js';

const d = (s: string) => new Date(s);

function verdict(r: BasicVerificationReport) {
  return {
    errors: r.errors.map((e) => `${e.code}@${e.index}: ${e.detail}`),
    severity: r.severity,
    anchored: r.anchored,
    chain: r.chain.map((c) => c.sha256),
    leafKey: r.leafPublicKey?.type,
  };
}

async function settle(p: Promise<BasicVerificationReport>) {
  try {
    return verdict(await p);
  } catch (e) {
    return { thrown: e instanceof Error ? e.message : String(e) };
  }
}

/** Judges each request with `shared` and with a verifier made for it alone; they must agree. */
async function sameAsFresh(anchors: readonly Issued[], requests: readonly VerifyRequest[]) {
  const opts = { trustAnchors: anchors.map((a) => a.der), crypto: nobleProvider };
  const shared = createBasicVerifier(opts);
  const seen: unknown[] = [];
  for (const req of requests) {
    const a = await settle(shared.verify(req));
    const b = await settle(createBasicVerifier(opts).verify(req));
    expect(a, `${req.time.toISOString()} ${req.serverName ?? '(no name)'}`).toEqual(b);
    seen.push(a);
  }
  return seen;
}

// A root, an intermediate that expires before the leaf, and the leaf.
const root = issue({ subject: 'CN=Clean Root', key: key('p256', 0), ca: true, notBefore: d('2020-01-01T00:00:00Z'), notAfter: d('2040-01-01T00:00:00Z') });
const inter = issue({ subject: 'CN=Clean Intermediate', key: key('p256', 1), issuer: root, ca: true, notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2025-06-01T00:00:00Z') });
const leaf = issue({ subject: 'CN=leaf', key: key('p256', 2), issuer: inter, san: [{ dns: 'a.example' }, { ip: '127.0.0.1' }], notBefore: d('2025-01-01T00:00:00Z'), notAfter: d('2026-01-01T00:00:00Z') });

/** A request at `time` for `serverName` (null: none given). */
const at = (time: string, serverName: string | null = 'a.example', certificates = [leaf.der, inter.der]): VerifyRequest => ({
  certificates,
  serverName: serverName ?? undefined,
  usage: 'serverAuth',
  time: d(time),
});

describe('remembered clean chain outcomes', () => {
  it('judges the time on every request: the same verdicts as a fresh verifier on both sides of each boundary', async () => {
    const seen = await sameAsFresh(
      [root],
      [
        at('2025-03-01T00:00:00Z'),
        at('2025-03-01T00:00:00Z'),
        // The intermediate's notAfter (inclusive), then one millisecond later.
        at('2025-06-01T00:00:00.000Z'),
        at('2025-06-01T00:00:00.001Z'),
        at('2025-03-02T00:00:00Z'),
        // The leaf's notBefore, and one millisecond before it.
        at('2025-01-01T00:00:00.000Z'),
        at('2024-12-31T23:59:59.999Z'),
        at('2025-02-01T00:00:00Z'),
        at('2030-01-01T00:00:00Z'),
        at('2025-02-02T00:00:00Z'),
      ],
    );
    const codes = seen.map((s) => (s as { errors: string[] }).errors.map((e) => e.split(':')[0]));
    expect(codes).toEqual([[], [], [], ['Expired@1'], [], [], ['NotYetValid@0'], [], ['Expired@0', 'Expired@1'], []]);
  });

  it('checks the name on every request, whatever was remembered', async () => {
    const seen = await sameAsFresh(
      [root],
      [at('2025-03-01T00:00:00Z'), at('2025-03-01T00:00:00Z', 'b.example'), at('2025-03-01T00:00:00Z', null), at('2025-03-01T00:00:00Z', '127.0.0.1'), at('2025-03-01T00:00:00Z', '127.0.0.2')],
    );
    const codes = seen.map((s) => (s as { errors: string[] }).errors.map((e) => e.split(':')[0]));
    expect(codes).toEqual([[], ['InvalidName@0'], ['InvalidName@0'], [], ['InvalidName@0']]);
  });

  it('answers different bytes with their own search (a flipped signature bit, a missing intermediate, another usage)', async () => {
    const seen = await sameAsFresh(
      [root],
      [
        at('2025-03-01T00:00:00Z'),
        at('2025-03-01T00:00:00Z', 'a.example', [flip(leaf.der), inter.der]),
        at('2025-03-01T00:00:00Z', 'a.example', [leaf.der]),
        { ...at('2025-03-01T00:00:00Z'), usage: 'clientAuth', serverName: undefined },
        at('2025-03-01T00:00:00Z'),
      ],
    );
    const codes = seen.map((s) => (s as { errors: string[] }).errors.map((e) => e.split(':')[0]));
    expect(codes[0]).toEqual([]);
    expect(codes[1]).toContain('InvalidSignature@0');
    expect(codes[2]).toEqual(['Untrusted@0']);
    expect(codes[4]).toEqual([]);
  });

  it('follows the time through candidate ranking: of two issuers with one name and key, the one valid then', async () => {
    // Same subject and key, different validity: which one the path takes depends on the time.
    // One key object for both (the builder's key() makes a new EC key on every call).
    const rollover = key('p256');
    const early = issue({ subject: 'CN=Rollover CA', key: rollover, issuer: root, ca: true, notBefore: d('2024-01-01T00:00:00Z'), notAfter: d('2025-06-01T00:00:00Z') });
    const late = issue({ subject: 'CN=Rollover CA', key: rollover, issuer: root, ca: true, notBefore: d('2025-03-01T00:00:00Z'), notAfter: d('2027-01-01T00:00:00Z') });
    const child = issue({ subject: 'CN=leaf', key: key('p256', 2), issuer: early, san: [{ dns: 'a.example' }], notBefore: d('2025-01-01T00:00:00Z'), notAfter: d('2026-06-01T00:00:00Z') });
    const both = [child.der, early.der, late.der];
    const seen = await sameAsFresh(
      [root],
      ['2025-02-01', '2025-04-01', '2025-07-01', '2025-04-02', '2025-02-02', '2025-07-02', '2027-02-01', '2025-07-03'].map((t) => at(`${t}T00:00:00Z`, 'a.example', both)),
    );
    // Before the later issuer's notBefore only the earlier one fits; both are on record.
    const chains = seen.map((s) => (s as { chain: string[] }).chain[1]);
    const sha = (i: Issued) => parseCertificate(i.der).sha256;
    expect(chains[0]).toBe(sha(early));
    expect(new Set(chains)).toContain(sha(early));
    // After the earlier one expired, the path goes through the later one, without errors.
    expect(chains[2]).toBe(sha(late));
    expect(chains[5]).toBe(sha(late));
    const codes = seen.map((s) => (s as { errors: string[] }).errors.length);
    expect(codes).toEqual([0, 0, 0, 0, 0, 0, 2, 0]); // 2027-02-01: the leaf and the later issuer both expired
  });

  it('hands every caller its own report: changing one changes no later one', async () => {
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider });
    const first = await v.verify(at('2025-03-01T00:00:00Z'));
    const want = verdict(first);
    const wantDer = first.chain[0]!.der.slice();
    first.chain[0]!.der.fill(0);
    (first.chain[0]!.dnsNames as string[]).push('evil.example');
    first.chain[0]!.notAfter.setTime(8.64e15);
    (first.errors as unknown[]).push({ code: 'Expired', index: 0, detail: 'x' });
    const second = await v.verify(at('2025-03-01T00:00:00Z'));
    expect(verdict(second)).toEqual(want);
    expect(second.chain[0]!.der).toEqual(wantDer);
    expect(second.chain[0]!.dnsNames).toEqual(['a.example']);
    expect(second.chain[0]!.notAfter.getTime()).toBe(d('2026-01-01T00:00:00Z').getTime());
    expect(second.validatedChain?.map((c) => c.sha256)).toEqual(want.chain);
  });

  it.each([
    ['a Uint8Array', (b: Uint8Array): Uint8Array => b.slice()],
    // Buffer#slice is a view of the same memory, not a copy.
    ['a Node Buffer', (b: Uint8Array): Uint8Array => Buffer.from(b)],
  ])('remembers the bytes it judged, not what the caller\'s buffer (%s) holds once an async search ends', async (_, own) => {
    // A provider that answers signature checks later (as webcrypto does); the caller reuses
    // its leaf buffer while the search waits for the first check, and writes a certificate
    // of the same length into it whose signature is wrong. The search judged the bytes it
    // parsed at the start: those are what a clean outcome may be reused for.
    let onVerify: (() => void) | undefined;
    const later: CryptoProvider = {
      ...nobleProvider,
      verify: (...args: Parameters<typeof nobleProvider.verify>) => {
        const f = onVerify;
        onVerify = undefined;
        f?.();
        return Promise.resolve(nobleProvider.verify(...args));
      },
    };
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: later });
    const forged = flip(leaf.der);
    const buf = own(leaf.der);
    onVerify = () => buf.set(forged);
    const first = await v.verify(at('2025-03-01T00:00:00Z', 'a.example', [buf, inter.der]));
    expect(first.errors).toEqual([]);
    expect(onVerify).toBeUndefined(); // the buffer was changed during the search
    // The forged leaf, as bytes never judged by this verifier: its own search, which fails.
    const second = await v.verify(at('2025-03-01T00:00:00Z', 'a.example', [forged, inter.der]));
    const fresh = await createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider }).verify(at('2025-03-01T00:00:00Z', 'a.example', [forged, inter.der]));
    expect(fresh.errors.map((e) => e.code)).toContain('InvalidSignature');
    expect(verdict(second)).toEqual(verdict(fresh));
  });

  it('keeps its own copy of certificates passed as Node Buffers (whose slice is a view): a caller reusing them changes no later report', async () => {
    // A leaf no other test parsed, so that this verify parses it (from the caller's Buffer).
    const own = issue({ subject: 'CN=buffer leaf', key: key('p256', 3), issuer: inter, san: [{ dns: 'a.example' }], notBefore: d('2025-01-01T00:00:00Z'), notAfter: d('2026-01-01T00:00:00Z') });
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider });
    const mine = [Buffer.from(own.der), Buffer.from(inter.der)];
    const first = await v.verify(at('2025-03-01T00:00:00Z', 'a.example', mine));
    expect(first.errors).toEqual([]);
    const firstDer = first.chain[0]!.der;
    // The caller reuses its buffers; the report it was handed is its own.
    for (const b of mine) b.fill(0);
    expect(firstDer).toEqual(own.der);
    // The same chain again, from fresh bytes: the same verdict and the path as sent.
    const second = await v.verify(at('2025-03-01T00:00:00Z', 'a.example', [own.der, inter.der]));
    expect(second.errors).toEqual([]);
    expect(second.chain[0]!.der).toEqual(own.der);
    expect(second.validatedChain![0]!.der).toEqual(own.der);
  });

  it('hands out trust anchors as copies: a caller changing one changes no verdict, of this verifier or another', async () => {
    // PEM anchors are parsed once per process (anchors.ts) and shared by every verifier made
    // from the same text; the report's path ends at one of them.
    const pem = `${root.pem}\n`;
    const first = await createBasicVerifier({ trustAnchors: [pem], crypto: nobleProvider }).verify(at('2025-03-01T00:00:00Z'));
    expect(first.errors).toEqual([]);
    first.chain[2]!.notAfter.setTime(0);
    first.validatedChain![2]!.notBefore.setTime(8.64e15);
    (first.chain[2]!.dnsNames as string[]).push('evil.example');
    const library = await verifyCertificateChain({ leaf: leaf.der, intermediates: [inter.der], trustAnchors: [pem], serverName: 'a.example', time: d('2025-03-01T00:00:00Z') });
    expect(library.errors).toEqual([]);
    library.chain[2]!.notAfter.setTime(0);
    const second = await createBasicVerifier({ trustAnchors: [pem], crypto: nobleProvider }).verify(at('2025-03-01T00:00:00Z'));
    expect(second.errors).toEqual([]);
    expect(second.chain[2]!.notAfter.getTime()).toBe(d('2040-01-01T00:00:00Z').getTime());
    expect(second.chain[2]!.dnsNames).toEqual([]);
    const again = await verifyCertificateChain({ leaf: leaf.der, intermediates: [inter.der], trustAnchors: [pem], serverName: 'a.example', time: d('2025-03-01T00:00:00Z') });
    expect(again.errors).toEqual([]);
  });

  it('reports the interval of times over which a search answers alike', () => {
    const leafP = parseCertificate(leaf.der);
    const interP = parseCertificate(inter.der);
    const rootP = parseCertificate(root.der);
    const policy = { usage: 'serverAuth' as const, serverName: 'a.example', maxDepth: 8 };
    const o = validateChain({ leaf: leafP, intermediates: [interP], anchors: [rootP] }, { ...policy, time: d('2025-03-01T00:00:00Z') }, nobleProvider);
    expect(o.errors).toEqual([]);
    // Valid from the leaf's notBefore to the intermediate's notAfter, both inclusive.
    expect(outcomeTimeWindow(o)).toEqual({ from: d('2025-01-01T00:00:00Z').getTime(), to: d('2025-06-01T00:00:00Z').getTime() });
    const late = validateChain({ leaf: leafP, intermediates: [interP], anchors: [rootP] }, { ...policy, time: d('2025-08-01T00:00:00Z') }, nobleProvider);
    // Expired intermediate: the same verdict from one millisecond after its notAfter up to the leaf's notAfter.
    expect(outcomeTimeWindow(late)).toEqual({ from: d('2025-06-01T00:00:00.001Z').getTime(), to: d('2026-01-01T00:00:00Z').getTime() });
    expect(outcomeTimeWindow({ ...o })).toBeUndefined();
  });
});
