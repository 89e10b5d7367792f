import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';

// RFC 9846 §4.5.1.2 / RFC 5246 §7.4.2: the server picks the certificate by the client's
// server_name and by the signature schemes the client accepts.
let ecA: TestPki;
let rsaA: TestPki;
let edB: TestPki;
beforeAll(async () => {
  ecA = await generateTestPki({ keyType: 'ecdsa-p256', names: ['a.example'], caName: 'Selection CA' });
  rsaA = await generateTestPki({ keyType: 'rsa-2048', names: ['a.example'], caName: 'Selection RSA CA' });
  edB = await generateTestPki({ keyType: 'ed25519', names: ['b.example', '*.wild.example'], caName: 'Selection Ed CA' });
});

function server(): TlsConnection {
  return TlsConnection.server({
    certificates: [
      { cert: ecA.chainPem, key: ecA.keyPem },
      { cert: rsaA.chainPem, key: rsaA.keyPem },
      { cert: edB.chainPem, key: edB.keyPem },
    ],
  });
}

const anchors = (): string[] => [ecA.caCertPem, rsaA.caCertPem, edB.caCertPem];

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  describe(`certificate selection, ${version}`, () => {
    it('picks by server_name', async () => {
      for (const [name, expected] of [
        ['a.example', ecA],
        ['b.example', edB],
        ['x.wild.example', edB],
      ] as const) {
        const c = TlsConnection.client({ servername: name, ca: anchors(), maxVersion: version });
        const s = server();
        await pump(c, s);
        expect(c.error).toBeNull();
        expect(c.info.peerCertificate).toEqual(expected.certDer);
      }
    });

    it('picks by the client’s signature schemes when several certificates carry the name', async () => {
      const c = TlsConnection.client({ servername: 'a.example', ca: anchors(), maxVersion: version, signatureSchemes: ['rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256'] });
      const s = server();
      await pump(c, s);
      expect(c.error).toBeNull();
      expect(c.info.peerCertificate).toEqual(rsaA.certDer);
      expect(c.info.signatureScheme).toBe('rsa_pss_rsae_sha256');
    });

    it('with no certificate for the client’s schemes the handshake fails with handshake_failure', async () => {
      const c = TlsConnection.client({ servername: 'a.example', ca: anchors(), maxVersion: version, signatureSchemes: ['ecdsa_secp384r1_sha384'] });
      const s = TlsConnection.server({ cert: rsaA.chainPem, key: rsaA.keyPem });
      await pump(c, s);
      expect(s.error?.status).toBe('HandshakeFailure');
      expect(c.error?.status).toBe('AlertReceived');
      expect(c.error?.alert).toBe(40);
    });
  });
}
