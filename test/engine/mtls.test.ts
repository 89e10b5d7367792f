import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';

let server: TestPki;
let client: TestPki;
let clientRsa: TestPki;
let other: TestPki;
beforeAll(async () => {
  server = await generateTestPki({ keyType: 'ecdsa-p256' });
  client = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
  clientRsa = await generateTestPki({ keyType: 'rsa-2048', names: ['client.example'], caName: 'Client RSA CA' });
  other = await generateTestPki({ keyType: 'ed25519', names: ['client.example'], caName: 'Other CA' });
});

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  describe(`mutual TLS, ${version}`, () => {
    it('a required client certificate is checked and reported on the server', async () => {
      for (const id of [client, clientRsa]) {
        const c = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, cert: id.chainPem, key: id.keyPem, maxVersion: version });
        const s = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requireCert: true, ca: [client.caCertPem, clientRsa.caCertPem] });
        await pump(c, s);
        expect(c.error).toBeNull();
        expect(s.error).toBeNull();
        expect(s.info.version).toBe(version);
        expect(s.info.peerCertificate).toEqual(id.certDer);
        expect(s.info.certificateErrors).toEqual([]);
        c.write(new Uint8Array([1, 2, 3]));
        await pump(c, s);
        expect(Array.from(readAll(s))).toEqual([1, 2, 3]);
      }
    });

    it('no client certificate: requested → accepted; required → refused', async () => {
      const c1 = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, maxVersion: version });
      const s1 = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requestCert: true, ca: client.caCertPem });
      await pump(c1, s1);
      expect(s1.error).toBeNull();
      expect(s1.info.peerCertificate).toBeNull();
      const c2 = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, maxVersion: version });
      const s2 = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requireCert: true, ca: client.caCertPem });
      await pump(c2, s2);
      expect(s2.error?.status).toBe(version === 'TLSv1.3' ? 'CertificateRequired' : 'HandshakeFailure');
      expect(c2.error?.status).toBe('AlertReceived');
      expect(c2.error?.alert).toBe(version === 'TLSv1.3' ? 116 : 40);
    });

    it('an untrusted client certificate fails with unknown_ca unless ignored', async () => {
      const c = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, cert: other.chainPem, key: other.keyPem, maxVersion: version });
      const s = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requireCert: true, ca: client.caCertPem });
      await pump(c, s);
      expect(s.error?.status).toBe('CertificateUntrusted');
      expect(c.error?.alert).toBe(48);
      const c2 = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, cert: other.chainPem, key: other.keyPem, maxVersion: version });
      const s2 = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requireCert: true, ca: client.caCertPem, ignorableCertificateErrors: ['Untrusted'] });
      await pump(c2, s2);
      expect(s2.error).toBeNull();
      expect(s2.info.certificateErrors.map((e) => e.code)).toEqual(['Untrusted']);
      expect(s2.info.certificateErrorSeverity).toBe('ignorable');
    });
  });
}
