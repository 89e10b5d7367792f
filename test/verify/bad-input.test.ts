/**
 * Bad input to the verifier: random bytes, every truncation, random corruption, absurd
 * lengths, huge extension and name counts. Each gives OtherErrors (or, for anchors, an
 * InvalidConfig TlsError); never another exception, never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derOctetString, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { TlsError } from '../../src/base/errors.js';
import { createBasicVerifier } from '../../src/verify/basic-verifier.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { parseNameConstraints } from '../../src/verify/name-constraints.js';
import { parseCertificatePolicies, parsePolicyConstraints } from '../../src/verify/policy.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { YEAR, ext, issue } from './builder.js';
import { T } from './cases.js';

const V = { notBefore: new Date(T.getTime() - YEAR), notAfter: new Date(T.getTime() + YEAR) };
const root = issue({ subject: 'CN=Bad Input Root', ca: true, ...V });
const int = issue({ subject: 'CN=Bad Input Intermediate', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ permitted: [{ dns: 'example.test' }, { ipRange: '192.0.2.0/24' }] })] });
const leaf = issue({ subject: 'CN=bad.example.test', issuer: int, san: [{ dns: 'bad.example.test' }, { ip: '192.0.2.9' }], ...V });
const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();

async function judge(leafBytes: Uint8Array, intermediates: Uint8Array[] = [int.der]) {
  return verifyCertificateChain({ leaf: leafBytes, intermediates, trustAnchors: [root.der], serverName: 'bad.example.test', time: T });
}

describe('the verifier never throws on bad certificate data', () => {
  it('random bytes as the leaf → OtherErrors@0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (b) => {
        const r = await judge(b);
        expect(codes(r.errors)).toEqual(['OtherErrors@0']);
      }),
      { numRuns: 200 },
    );
  });

  it('every strict prefix of a good leaf → OtherErrors@0, empty chain', async () => {
    for (let n = 0; n < leaf.der.length; n++) {
      const r = await judge(leaf.der.subarray(0, n));
      expect(codes(r.errors)).toEqual(['OtherErrors@0']);
      expect(r.chain).toEqual([]);
    }
  });

  it('random corruption of the leaf or the intermediate: a verdict (often fatal), never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), async (which, pos, x) => {
        const target = which ? leaf.der : int.der;
        const m = target.slice();
        m[pos % m.length]! ^= x;
        const r = which ? await judge(m) : await judge(leaf.der, [m]);
        expect(['none', 'ignorable', 'fatal']).toContain(r.severity);
        // A changed certificate can only look worse: something is reported.
        expect(r.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  it('absurd lengths: a length field of 2^24-1 or beyond, indefinite lengths, long-form lengths', async () => {
    for (const b of [
      Uint8Array.of(0x30, 0x83, 0xff, 0xff, 0xff, 0x30),
      Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff),
      Uint8Array.of(0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
      Uint8Array.of(0x30, 0x80, 0x00, 0x00),
      new Uint8Array(200_000).fill(0x30),
    ]) {
      expect(codes((await judge(b)).errors)).toEqual(['OtherErrors@0']);
    }
  });

  it('a signed certificate with 3000 extensions: OtherErrors@0 (too many), quickly', async () => {
    const many = Array.from({ length: 3000 }, (_, i) => ext.raw(`1.3.6.1.4.1.55555.${i}`, Uint8Array.of(0x05, 0x00)));
    const big = issue({ subject: 'CN=bad.example.test', issuer: int, san: [{ dns: 'bad.example.test' }], ...V, extra: many });
    const r = await judge(big.der);
    expect(codes(r.errors)).toEqual(['OtherErrors@0']);
    expect(r.errors[0]!.detail).toMatch(/3006 extensions \(more than 64\)/);
  });

  it('a signed certificate with 2000 SAN names under name constraints: judged, quickly', async () => {
    const names = Array.from({ length: 2000 }, (_, i) => ({ dns: `n${i}.example.test` }));
    const big = issue({ subject: 'CN=bad.example.test', issuer: int, san: [...names, { dns: 'evil.test' }], ...V });
    const r = await judge(big.der);
    expect(codes(r.errors)).toEqual(['InvalidCertificateAuthorityPolicy@0', 'InvalidName@0']);
  });

  it('a certificate over 64 KiB → OtherErrors@0', async () => {
    const huge = issue({ subject: 'CN=bad.example.test', issuer: int, ...V, extra: [ext.raw('1.3.6.1.4.1.55555.9', derOctetString(new Uint8Array(70_000)))] });
    const r = await judge(huge.der);
    expect(codes(r.errors)).toEqual(['OtherErrors@0']);
    expect(r.errors[0]!.detail).toMatch(/too large/);
  });

  it('createBasicVerifier: bad leaves throw TlsError only; bad trust anchors are InvalidConfig', async () => {
    const v = createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (b) => {
        const e = await v.verify({ certificates: [b, int.der], usage: 'serverAuth', time: T }).then(
          () => null,
          (x: unknown) => x,
        );
        expect(e).toBeInstanceOf(TlsError);
        expect((e as TlsError).category).toBe('certificate');
      }),
      { numRuns: 100 },
    );
    expect(() => createBasicVerifier({ trustAnchors: [Uint8Array.of(0x30, 0x00)], crypto: nobleProvider })).toThrow(TlsError);
  });
});

describe('extension parsers reject garbage with TlsError only', () => {
  const parsers: [string, (v: Uint8Array) => unknown][] = [
    ['nameConstraints', parseNameConstraints],
    ['certificatePolicies', parseCertificatePolicies],
    ['policyConstraints', parsePolicyConstraints],
  ];
  for (const [label, parse] of parsers) {
    it(`${label}: random bytes and structured noise`, () => {
      const gen = fc.oneof(
        fc.uint8Array({ maxLength: 120 }),
        fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 6 }).map((parts) => derSequence(...parts.map((p) => derTlv(0xa0 | (p[0] ?? 0) % 2, derSequence(derTlv(0x82, p)))))),
      );
      fc.assert(
        fc.property(gen, (b) => {
          try {
            parse(b);
          } catch (e) {
            if (!(e instanceof TlsError)) throw e;
            expect(e.status).toBe('CertificateOtherErrors');
          }
        }),
        { numRuns: 300 },
      );
    });
  }

  it('malformed name constraints are reported, not thrown: OtherErrors at the CA', async () => {
    const bad = [
      derSequence(), // empty NameConstraints
      derSequence(derTlv(0xa0, derSequence(derTlv(0x87, Uint8Array.of(192, 0, 2, 0))))), // 4-octet iPAddress constraint
      derSequence(derTlv(0xa0, derSequence(derTlv(0x82, new TextEncoder().encode('example.test')), derTlv(0x81, Uint8Array.of(5))))), // maximum present
      derSequence(derTlv(0xa0, derSequence(derTlv(0x89, Uint8Array.of(1))))), // unknown GeneralName tag
    ];
    for (const value of bad) {
      const ca = issue({ subject: 'CN=Bad NC', issuer: root, ca: true, ...V, extra: [ext.raw('2.5.29.30', value, true)] });
      const l = issue({ subject: 'CN=bad.example.test', issuer: ca, san: [{ dns: 'bad.example.test' }], ...V });
      expect(codes((await judge(l.der, [ca.der])).errors)).toEqual(['OtherErrors@1']);
    }
  });

  it('an OID with an absurd arc count inside an extension is a parse problem, not a crash', () => {
    const longOid = derTlv(0x06, new Uint8Array(100).fill(0x81).map((b, i) => (i === 99 ? 0x01 : b)));
    const bogus = derSequence(derSequence(longOid));
    expect(() => parseCertificatePolicies(bogus)).toThrow(TlsError);
    expect(derOid('1.2.3')).toBeInstanceOf(Uint8Array);
  });

  it('parseCertificate reports soft problems without throwing', () => {
    const dup = issue({ subject: 'CN=dup', ...V, extra: [ext.eku(['1.3.6.1.5.5.7.3.1'])] });
    const c = parseCertificate(dup.der);
    expect(c.problems).toEqual(['duplicate extension 2.5.29.37']);
    expect(c.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']); // the first instance is read
  });
});
