import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('TLS 1.3 client ↔ server in memory', () => {
  it('completes a handshake and exchanges data both ways', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ALPNProtocols: ['h2', 'http/1.1'] });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: ['http/1.1'] });
    await pump(client, server);
    expect(client.error).toBeNull();
    expect(server.error).toBeNull();
    expect(client.handshakeComplete).toBe(true);
    expect(server.handshakeComplete).toBe(true);
    expect(client.info.version).toBe('TLSv1.3');
    expect(client.info.alpn).toBe('http/1.1');
    expect(server.info.alpn).toBe('http/1.1');
    client.write(new TextEncoder().encode('hello server'));
    server.write(new TextEncoder().encode('hello client'));
    await pump(client, server);
    expect(new TextDecoder().decode(readAll(server))).toBe('hello server');
    expect(new TextDecoder().decode(readAll(client))).toBe('hello client');
    client.close();
    await pump(client, server);
    expect(server.readEnded).toBe(true);
  });
});
