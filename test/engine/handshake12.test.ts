import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';

const pkis: Record<string, TestPki> = {};
beforeAll(async () => {
  for (const k of ['ecdsa-p256', 'rsa-2048', 'ed25519'] as const) pkis[k] = await generateTestPki({ keyType: k });
});

const SUITES = [
  ['ecdsa-p256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  ['ecdsa-p256', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  ['ecdsa-p256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
  ['ed25519', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  ['rsa-2048', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
  ['rsa-2048', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  ['rsa-2048', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256'],
] as const;

describe('TLS 1.2 client ↔ server in memory', () => {
  for (const [key, suite] of SUITES) {
    it(`negotiates ${suite} with a ${key} certificate and moves data both ways`, async () => {
      const pki = pkis[key]!;
      const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', cipherSuites: [suite], ALPNProtocols: ['h2'] });
      const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: ['h2'] });
      await pump(client, server);
      expect(client.error).toBeNull();
      expect(server.error).toBeNull();
      expect(client.info.version).toBe('TLSv1.2');
      expect(server.info.version).toBe('TLSv1.2');
      expect(client.info.cipherSuite).toBe(suite);
      expect(client.info.alpn).toBe('h2');
      expect(client.exportKeyingMaterial('EXPORTER-x', null, 32)).toEqual(server.exportKeyingMaterial('EXPORTER-x', null, 32));
      client.write(new TextEncoder().encode('ping'));
      server.write(new TextEncoder().encode('pong'));
      await pump(client, server);
      expect(new TextDecoder().decode(readAll(server))).toBe('ping');
      expect(new TextDecoder().decode(readAll(client))).toBe('pong');
      client.close();
      await pump(client, server);
      expect(server.readEnded).toBe(true);
    });
  }

  it('a 1.2+1.3 client gets TLS 1.2 from a 1.2-only server (no downgrade sentinel)', async () => {
    const pki = pkis['ecdsa-p256']!;
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, maxVersion: 'TLSv1.2' });
    await pump(client, server);
    expect(client.error).toBeNull();
    expect(client.info.version).toBe('TLSv1.2');
  });

  it('a 1.2-only client gets TLS 1.2 from a 1.3 server, which sets the sentinel', async () => {
    const pki = pkis['ecdsa-p256']!;
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2' });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    let serverRandom: Uint8Array | null = null;
    await client.process();
    const ch = client.takeOutput()!;
    server.receive(ch);
    await server.process();
    const flight = server.takeOutput()!;
    // ServerHello body starts after 5 (record) + 4 (handshake header) + 2 (version) bytes.
    serverRandom = flight.subarray(11, 43);
    expect(Array.from(serverRandom.subarray(24))).toEqual([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
    client.receive(flight);
    await client.process();
    await pump(client, server);
    expect(client.error).toBeNull();
    expect(server.info.version).toBe('TLSv1.2');
  });
});
