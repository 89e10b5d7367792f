/**
 * puretls/testing/arbitraries: every value is something the harness accepts, and
 * negotiableOptionsArb's options really negotiate (the version it promises, the same
 * suite, group and ALPN on both sides), over any chunking.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { FaultPipe, chunker, createPair, generateTestPki, type PipeEndpoint, type TestPki } from '../../src/testing/index.js';
import { chunkPlanArb, faultArb, negotiableOptionsArb, randomFaultsArb } from '../../src/testing/arbitraries.js';
import { params } from '../helpers/props.js';
import { TlsError } from '../../src/base/errors.js';

let ecdsa: TestPki;
let rsa: TestPki;
beforeAll(async () => {
  [ecdsa, rsa] = await Promise.all([generateTestPki({ keyType: 'ecdsa-p256' }), generateTestPki({ keyType: 'rsa-2048' })]);
});

const idle: PipeEndpoint = { role: 'client', receive: (b) => b.length, process: () => Promise.resolve(), takeOutput: () => null, read: () => null, end: () => undefined };

describe('arbitraries', () => {
  it('chunk plans make chunkers whose pieces are at least 1 byte', () => {
    fc.assert(
      fc.property(chunkPlanArb(), fc.integer({ min: 1, max: 100_000 }), (plan, n) => {
        const c = chunker(plan);
        for (let i = 0; i < 20; i++) expect(c(n)).toBeGreaterThanOrEqual(1);
      }),
    );
  });

  it('faults fit the session they are drawn for, and a pipe accepts them', () => {
    fc.assert(
      fc.property(faultArb({ records: { c2s: 7, s2c: 6 }, bytes: 5000 }), (f) => {
        expect(f.at).toBeLessThan(f.unit === 'record' ? (f.dir === 'c2s' ? 7 : 6) : 5000);
        new FaultPipe(idle, idle, { faults: [f] });
      }),
    );
    fc.assert(
      fc.property(faultArb({ kinds: ['corrupt'], units: ['record'], dirs: ['s2c'] }), (f) => {
        expect([f.kind, f.unit, f.dir]).toEqual(['corrupt', 'record', 's2c']);
      }),
    );
  });

  it('random faults are accepted by a pipe', () => {
    fc.assert(
      fc.property(randomFaultsArb(), (r) => {
        expect(r.rate).toBeGreaterThan(0);
        new FaultPipe(idle, idle, { random: r });
      }),
    );
  });

  it.each(['ecdsa', 'rsa'] as const)('negotiable options (%s certificate) complete a handshake in the promised version, whatever the chunking', async (auth) => {
    await fc.assert(
      fc.asyncProperty(negotiableOptionsArb({ auth }), chunkPlanArb(), chunkPlanArb(), fc.nat(), async (o, c2s, s2c, seed) => {
        const { client, server, pipe } = createPair({ pki: auth === 'rsa' ? rsa : ecdsa, seed, client: o.client, server: o.server, pipe: { chunk: { c2s, s2c } } });
        await pipe.settle();
        expect(client.error).toBeNull();
        expect(server.error).toBeNull();
        expect(client.info.version).toBe(o.version);
        expect(server.info.version).toBe(o.version);
        expect(client.info.cipherSuite).toBe(server.info.cipherSuite);
        expect(o.client.cipherSuites).toContain(client.info.cipherSuite);
        expect(o.server.cipherSuites).toContain(server.info.cipherSuite);
        expect(client.info.group).toBe(server.info.group);
        expect(client.info.alpn).toBe(server.info.alpn);
        if (o.client.ALPNProtocols && o.server.ALPNProtocols) expect(client.info.alpn).not.toBeNull();
      }),
      params(auth === 'rsa' ? 12 : 30),
    );
  });

  it('negotiable options can be limited to one version', () => {
    fc.assert(
      fc.property(negotiableOptionsArb({ versions: ['TLSv1.2'] }), (o) => {
        expect(o.version).toBe('TLSv1.2');
      }),
    );
    expect(() => negotiableOptionsArb({ versions: [] })).toThrow(TlsError);
  });
});
