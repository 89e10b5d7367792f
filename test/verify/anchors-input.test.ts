/**
 * Trust anchors given as PEM strings (src/verify/anchors.ts), what a careless caller passes as
 * `ca` (found by the fifth adversarial campaign): text holding no certificate, OpenSSL's
 * TRUSTED CERTIFICATE blocks, and a bundle large enough to overflow a spread.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createClientConfig } from '../../src/engine/setup.js';
import { parseTrustAnchors } from '../../src/verify/anchors.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { TlsError } from '../../src/base/errors.js';
import { pemDecode, pemEncode } from '../../src/crypto/pem.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function invalidConfig(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InvalidConfig');
    return e as TlsError;
  }
  throw new Error('no error');
}

/** The CA certificate as an OpenSSL TRUSTED CERTIFICATE block (`openssl x509 -trustout`), with a serverAuth trust setting. */
function trustedBlock(): string {
  const der = pemDecode(pki.caCertPem)[0]!.der;
  const aux = Uint8Array.of(0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01);
  return pemEncode('TRUSTED CERTIFICATE', Uint8Array.of(...der, ...aux));
}

describe('ca strings that hold no certificate are InvalidConfig, not zero anchors', () => {
  it('a private key given as ca', () => {
    const e = invalidConfig(() => createClientConfig({ ca: pki.keyPem }));
    expect(e.detail).toMatch(/no certificate found \(PEM blocks: PRIVATE KEY\)/);
  });

  it('only TRUSTED CERTIFICATE blocks: says so', () => {
    const e = invalidConfig(() => createClientConfig({ ca: trustedBlock() }));
    expect(e.detail).toMatch(/TRUSTED CERTIFICATE/);
  });

  it('a bundle with one odd block among certificates still loads (the odd block is skipped)', () => {
    const anchors = parseTrustAnchors([`${pki.keyPem}\n${pki.caCertPem}`]);
    expect(anchors).toHaveLength(1);
  });

  it('verifyCertificateChain: a leaf given as a key is an unreadable leaf (fatal OtherErrors), not an exception', async () => {
    const r = await verifyCertificateChain({ leaf: pki.keyPem, trustAnchors: [pki.caCertPem], serverName: 'localhost' });
    expect(r.severity).toBe('fatal');
    expect(r.errors[0]).toMatchObject({ code: 'OtherErrors', index: 0 });
    expect(r.errors[0]!.detail).toMatch(/no certificate found/);
  });
});

describe('large bundles', () => {
  it('a PEM string of 130,000 anchors loads (no spread into push(): the stack would overflow), twice (cached)', () => {
    const big = pki.caCertPem.repeat(130_000);
    expect(parseTrustAnchors([big])).toHaveLength(130_000);
    expect(parseTrustAnchors([big, big])).toHaveLength(260_000);
  }, 120_000);
});
