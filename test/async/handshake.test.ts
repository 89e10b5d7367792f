/**
 * The handshake with a provider whose key exchange, signatures and verification answer
 * later (test/helpers/async-provider.ts): both roles, TLS 1.2 and 1.3, HelloRetryRequest
 * and client certificates, with the async provider on the client, the server or both.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { asyncProvider, type CountingProvider } from '../helpers/async-provider.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

let ec: TestPki;
let rsa: TestPki;
let ed: TestPki;
let clientId: TestPki;
beforeAll(async () => {
  ec = await generateTestPki({ keyType: 'ecdsa-p256' });
  rsa = await generateTestPki({ keyType: 'rsa-2048' });
  ed = await generateTestPki({ keyType: 'ed25519' });
  clientId = await generateTestPki({ keyType: 'ecdsa-p384', names: ['client.example'], caName: 'Client CA' });
});

type Where = 'client' | 'server' | 'both';
const placements: Where[] = ['client', 'server', 'both'];

async function run(opts: { version: 'TLSv1.2' | 'TLSv1.3'; where: Where; pki: TestPki; hrr?: boolean; clientAuth?: boolean; seed?: number }) {
  const cp: CryptoProvider = opts.where === 'server' ? nobleProvider : asyncProvider({ seed: opts.seed ?? 7, aead: true });
  const sp: CryptoProvider = opts.where === 'client' ? nobleProvider : asyncProvider({ seed: (opts.seed ?? 7) + 1, aead: true });
  const c = TlsConnection.client({
    servername: 'localhost',
    ca: opts.pki.caCertPem,
    maxVersion: opts.version,
    crypto: cp,
    // HelloRetryRequest: the client's only share is for a group the server does not take.
    ...(opts.hrr ? { keyShareGroups: ['secp256r1'], groups: ['secp256r1', 'x25519'] } : {}),
    ...(opts.clientAuth ? { cert: clientId.chainPem, key: clientId.keyPem } : {}),
  });
  const s = TlsConnection.server({
    cert: opts.pki.chainPem,
    key: opts.pki.keyPem,
    crypto: sp,
    ...(opts.hrr ? { groups: ['x25519'] } : {}),
    ...(opts.clientAuth ? { requireCert: true, ca: clientId.caCertPem } : {}),
  });
  await pump(c, s);
  return { c, s, cp, sp };
}

function counted(p: CryptoProvider): CountingProvider['calls'] | null {
  return 'calls' in p ? (p as CountingProvider).calls : null;
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  describe(`async provider, ${version}`, () => {
    for (const where of placements) {
      it(`completes with the async provider on the ${where}, for ECDSA, RSA and Ed25519 certificates, and moves data`, async () => {
        for (const pki of [ec, rsa, ed]) {
          const { c, s, cp, sp } = await run({ version, where, pki });
          expect(c.error).toBeNull();
          expect(s.error).toBeNull();
          expect(c.info.version).toBe(version);
          c.write(new Uint8Array([1, 2, 3]));
          s.write(new Uint8Array([4, 5]));
          await pump(c, s);
          expect(Array.from(readAll(s))).toEqual([1, 2, 3]);
          expect(Array.from(readAll(c))).toEqual([4, 5]);
          // The async paths really ran: key shares made and agreed, signatures made and checked, later.
          const cc = counted(cp);
          const sc = counted(sp);
          // TLS 1.3 offers two shares (X25519MLKEM768, x25519) and agrees on one.
          if (cc) expect(cc).toMatchObject({ generateKeyShare: version === 'TLSv1.3' ? 2 : 1, agree: 1 });
          if (cc) expect(cc.verify).toBeGreaterThanOrEqual(2); // the chain and the handshake signature
          // A TLS 1.3 server answers the client's X25519MLKEM768 share by encapsulating to it (a KEM:
          // no key share of its own); a TLS 1.2 server makes an ECDHE share and agrees.
          if (sc) expect(sc).toMatchObject(version === 'TLSv1.3' ? { generateKeyShare: 0, agree: 0, encapsulate: 1, sign: 1 } : { generateKeyShare: 1, agree: 1, encapsulate: 0, sign: 1 });
          expect(c.info.group).toBe(version === 'TLSv1.3' ? 'X25519MLKEM768' : 'x25519');
          // Records were sealed and opened by the async AEAD (the data above included).
          for (const k of [cc, sc]) if (k) expect(Math.min(k.seal, k.open)).toBeGreaterThan(1);
        }
      });

      it(`client certificates are made and checked with the async provider on the ${where}`, async () => {
        const { c, s, cp, sp } = await run({ version, where, pki: ec, clientAuth: true });
        expect(c.error).toBeNull();
        expect(s.error).toBeNull();
        expect(s.info.peerCertificate).toEqual(clientId.certDer);
        expect(s.info.clientSignatureScheme).toBeDefined();
        const cc = counted(cp);
        const sc = counted(sp);
        if (cc) expect(cc.sign).toBe(1);
        if (sc) expect(sc.verify).toBe(2); // the client chain's signature and its CertificateVerify
      });
    }
  });
}

describe('async provider, HelloRetryRequest', () => {
  for (const where of placements) {
    it(`the second ClientHello's share is made later, on the ${where}`, async () => {
      const { c, s, cp } = await run({ version: 'TLSv1.3', where, pki: ec, hrr: true });
      expect(c.error).toBeNull();
      expect(s.error).toBeNull();
      expect(c.info.group).toBe('x25519');
      const cc = counted(cp);
      if (cc) expect(cc.generateKeyShare).toBe(2);
    });
  }

  it('HelloRetryRequest plus client certificates, async on both sides', async () => {
    const { c, s } = await run({ version: 'TLSv1.3', where: 'both', pki: rsa, hrr: true, clientAuth: true });
    expect(c.error).toBeNull();
    expect(s.error).toBeNull();
    expect(s.info.peerCertificate).toEqual(clientId.certDer);
  });
});

describe('async provider, failures stay TlsErrors', () => {
  it('a signature the async verifier refuses fails the handshake with decrypt_error, both versions', async () => {
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const liar: CryptoProvider = { ...asyncProvider(), verify: (...a) => Promise.resolve(a.length < 0) };
      const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version, crypto: liar });
      const s = TlsConnection.server({ cert: ec.chainPem, key: ec.keyPem });
      await pump(c, s);
      // The chain's signatures fail first: the verifier reports them (a fatal certificate error).
      expect(c.error?.status).toBe('CertificateInvalidSignature');
    }
  });

  it('an async agreement that rejects fails the handshake with its TlsError and alert', async () => {
    const p = asyncProvider();
    const broken: CryptoProvider = {
      ...p,
      generateKeyShare: async (g, r) => {
        const sh = await p.generateKeyShare(g, r);
        return { ...sh, agree: () => Promise.reject(new Error('hardware fault')) };
      },
    };
    const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, crypto: broken });
    const s = TlsConnection.server({ cert: ec.chainPem, key: ec.keyPem });
    await pump(c, s);
    expect(c.error?.status).toBe('InternalError');
    expect(c.error?.detail).toMatch(/hardware fault/);
    expect(s.error?.status).toBe('AlertReceived');
  });
});
