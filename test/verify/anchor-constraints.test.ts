/**
 * Issue 7 item 17 (critical, fail-open): a trust anchor whose nameConstraints cannot be
 * parsed or honoured was treated as unconstrained; it now fails closed, exactly as the
 * same extension on an intermediate does.
 */
import { describe, expect, it } from 'vitest';
import { derSequence, derTlv } from '../../src/crypto/der.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { createBasicVerifier } from '../../src/verify/basic-verifier.js';
import { Oid, ext, generalName, issue, key } from './builder.js';
import { T, V, codes, verify } from './common.js';

describe('a trust anchor’s nameConstraints that cannot be honoured fail closed', () => {
  const subtree = (base: Uint8Array, ...rest: Uint8Array[]) => derSequence(base, ...rest);
  const dns = generalName({ dns: 'example.test' });
  const BAD: readonly [string, Uint8Array][] = [
    ['minimum 1', derSequence(derTlv(0xa0, subtree(dns, derTlv(0x80, Uint8Array.of(1)))))],
    ['a maximum', derSequence(derTlv(0xa0, subtree(dns, derTlv(0x81, Uint8Array.of(3)))))],
    ['a 4-octet iPAddress', derSequence(derTlv(0xa0, subtree(derTlv(0x87, Uint8Array.of(192, 0, 2, 0)))))],
    ['an empty subtree list', derSequence(derTlv(0xa0))],
    ['a nested SEQUENCE', derSequence(derSequence(derTlv(0xa0, subtree(dns))))],
    ['an iPAddress with a non-contiguous mask', derSequence(derTlv(0xa0, subtree(derTlv(0x87, Uint8Array.of(192, 0, 2, 0, 255, 0, 255, 0)))))],
  ];
  for (const [label, value] of BAD) {
    it(`${label}: fatal on the anchor (was: the anchor counted as unconstrained), as on an intermediate`, async () => {
      const root = issue({ subject: 'CN=Constrained Root', key: key('p256'), ca: true, ...V, extra: [ext.raw(Oid.nameConstraints, value, true)] });
      const leaf = issue({ subject: 'CN=evil.test', issuer: root, san: [{ dns: 'evil.test' }], ...V });
      const r = await verify(leaf, [], root, 'evil.test');
      expect(r.severity).toBe('fatal');
      expect(codes(r.errors)).toEqual(['OtherErrors@1']);
      expect(r.errors[0]!.detail).toMatch(/trust anchor .*nameConstraints cannot be honoured/);
      // The same extension on an intermediate.
      const root2 = issue({ subject: 'CN=Plain Root', key: key('p256'), ca: true, ...V });
      const int = issue({ subject: 'CN=Constrained Int', issuer: root2, ca: true, ...V, extra: [ext.raw(Oid.nameConstraints, value, true)] });
      const leaf2 = issue({ subject: 'CN=evil.test', issuer: int, san: [{ dns: 'evil.test' }], ...V });
      expect(codes((await verify(leaf2, [int], root2, 'evil.test')).errors)).toEqual(['OtherErrors@1']);
    });
  }

  it('createBasicVerifier (the handshake) refuses the same', async () => {
    const root = issue({ subject: 'CN=Constrained Root', key: key('p256'), ca: true, ...V, extra: [ext.raw(Oid.nameConstraints, BAD[0]![1], true)] });
    const leaf = issue({ subject: 'CN=evil.test', issuer: root, san: [{ dns: 'evil.test' }], ...V });
    const r = await createBasicVerifier({ trustAnchors: [root.der], crypto: nobleProvider }).verify({ certificates: [leaf.der], serverName: 'evil.test', usage: 'serverAuth', time: T });
    expect(r.severity).toBe('fatal');
  });
});
