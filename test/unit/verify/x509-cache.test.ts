import { describe, expect, it } from 'vitest';
import { generateTestPki } from '../../../src/verify/generate.js';
import { parseCertificate, parseIdentity } from '../../../src/verify/x509.js';

// parseCertificate remembers parses by the complete DER (bounded): what callers receive must
// stay theirs, and a different certificate must never be answered from the cache.
describe('parseCertificate cache', () => {
  it('hands out copies of what reaches applications, so a caller cannot change a later parse', async () => {
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    const a = parseCertificate(pki.certDer);
    const want = { der: a.der.slice(), notBefore: a.notBefore.getTime(), notAfter: a.notAfter.getTime(), dnsNames: [...a.dnsNames] };
    a.der.fill(0);
    a.notBefore.setTime(0);
    a.notAfter.setTime(8.64e15);
    (a.dnsNames as string[]).push('evil.example');
    const b = parseCertificate(pki.certDer);
    expect(b.der).toEqual(want.der);
    expect(b.notBefore.getTime()).toBe(want.notBefore);
    expect(b.notAfter.getTime()).toBe(want.notAfter);
    expect(b.dnsNames).toEqual(want.dnsNames);
    expect(b.subject).toBe(a.subject);
    // What stays shared between parses is frozen: writing to it throws instead of leaking.
    expect(Object.isFrozen(b.extensions) && Object.isFrozen(b.problems) && Object.isFrozen(b.subjectAltNames)).toBe(true);
    expect(() => (b.extensions as unknown[]).push({})).toThrow(TypeError);
  });

  it('answers a different DER (one bit flipped in the signature) with its own parse', async () => {
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    const first = parseCertificate(pki.certDer);
    const flipped = pki.certDer.slice();
    flipped[flipped.length - 1]! ^= 1;
    const second = parseCertificate(flipped);
    expect(second.der).toEqual(flipped);
    expect(second.signature).not.toEqual(first.signature);
    expect(second.sha256).not.toBe(first.sha256);
  });

  it('does not remember failures: a truncated certificate fails every time', async () => {
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    const cut = pki.certDer.subarray(0, pki.certDer.length - 1);
    expect(() => parseCertificate(cut)).toThrow();
    expect(() => parseCertificate(cut)).toThrow();
  });

  it('stays correct past its bound (more distinct certificates than it holds)', async () => {
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    for (let i = 0; i < 80; i++) {
      const d = pki.certDer.slice();
      d[d.length - 1 - (i % 8)]! ^= 1 + (i >> 3);
      expect(parseCertificate(d).der).toEqual(d);
    }
    expect(parseCertificate(pki.certDer).der).toEqual(pki.certDer);
  });

  it('names one identity for every parse of the same DER, and none for other objects', async () => {
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    const a = parseCertificate(pki.certDer);
    const b = parseCertificate(pki.certDer.slice());
    expect(a).not.toBe(b);
    expect(parseIdentity(a)).toBe(parseIdentity(b));
    expect(parseIdentity(a)).not.toBe(a);
    const crafted = { ...a, extensions: [] };
    expect(parseIdentity(crafted)).toBe(crafted);
    expect(parseIdentity(parseCertificate(pki.caCertDer))).not.toBe(parseIdentity(a));
  });
});
