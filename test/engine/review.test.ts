/** Regressions from the security review of the engine façade. */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { feed, pump, readAll } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('the server identity is always checked', () => {
  it('a client without servername is a configuration error unless the caller says otherwise', () => {
    expect(() => TlsConnection.client({ ca: pki.caCertPem })).toThrow(TlsError);
    try {
      TlsConnection.client({ ca: pki.caCertPem });
    } catch (e) {
      expect((e as TlsError).status).toBe('InvalidConfig');
    }
    expect(() => TlsConnection.client({ ca: pki.caCertPem, ignorableCertificateErrors: ['InvalidName'] })).not.toThrow();
  });
});

describe('process() never leaves input behind', () => {
  it('input received while a run is finishing is processed by the call that follows', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await client.process();
    await feed(server, client.takeOutput()!);
    await feed(client, server.takeOutput()!);
    // The client's Finished reaches the server; inside the handshake continuation, data arrives.
    client.write(new TextEncoder().encode('early bird'));
    await client.settled(); // the data record is sealed (at once unless the AEAD is async)
    const flight = client.takeOutput()!;
    let got: Uint8Array | null = null;
    const done = server.handshake().then(async () => {
      // The application record is already in `flight` (sent right after Finished).
      await server.process();
      got = readAll(server);
    });
    server.receive(flight);
    await server.process();
    await done;
    expect(new TextDecoder().decode(got!)).toBe('early bird');
  });
});

describe('close() during the handshake abandons it', () => {
  it('nothing is sent after close_notify, even when a step was awaiting', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    client.write(new TextEncoder().encode('never sent'));
    await client.process();
    await feed(server, client.takeOutput()!);
    const flight = server.takeOutput()!;
    client.receive(flight);
    const running = client.process(); // awaits certificate verification
    client.close();
    await running;
    const out = client.takeOutput();
    // Only the close_notify alert (protected, one record) leaves after close().
    expect(out).not.toBeNull();
    let records = 0;
    for (let o = 0; o < out!.length; o += 5 + ((out![o + 3]! << 8) | out![o + 4]!)) records++;
    expect(records).toBe(1);
    expect(client.handshakeComplete).toBe(false);
    await expect(client.handshake()).rejects.toBeInstanceOf(TlsError);
  });
});

describe('a server with maxVersion 1.3 but only TLS 1.2 suites', () => {
  it('negotiates TLS 1.2 without the downgrade sentinel, so a 1.3-capable client accepts it', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] });
    await pump(client, server);
    expect(client.error).toBeNull();
    expect(client.info.version).toBe('TLSv1.2');
  });
});
