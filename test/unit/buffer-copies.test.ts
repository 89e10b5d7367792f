/**
 * Where puretls says it copies a caller's bytes, the copy is real for Node `Buffer`s too:
 * `Buffer.prototype.slice()` is a view of the same memory (unlike `Uint8Array.prototype.slice`),
 * so a "copy" made with it changed when the caller reused its buffer. Each case hands puretls a
 * Buffer, overwrites the Buffer afterwards, and checks that puretls kept the original bytes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { copyBytes } from '../../src/base/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('copies of Buffers are copies', () => {
  it('copyBytes gives new memory for a Buffer and a Uint8Array view', () => {
    const b = Buffer.from([1, 2, 3, 4]);
    const c = copyBytes(b.subarray(1));
    b.fill(9);
    expect([...c]).toEqual([2, 3, 4]);
    expect(Buffer.isBuffer(c)).toBe(false);
    expect(copyBytes(undefined)).toBeUndefined();
  });

  it('data written before the handshake is kept as written, whatever the caller does with its Buffer afterwards', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    const data = Buffer.from('queued before the handshake');
    client.write(data);
    data.fill(0x21);
    await pump(client, server);
    expect(Buffer.from(readAll(server)).toString()).toBe('queued before the handshake');
  });

  it('a server config keeps its certificate chain and key when the caller overwrites the Buffers it gave', async () => {
    const chain = pki.chainDer.map((d) => Buffer.from(d));
    const key = Buffer.from(pki.keyPem);
    const config = createServerConfig({ cert: chain, key });
    for (const b of chain) b.fill(0);
    key.fill(0x20);
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server(config);
    await pump(client, server);
    expect(client.handshakeComplete).toBe(true);
    expect(client.info.peerCertificate).toEqual(new Uint8Array(pki.certDer));
  });

  it('a client config keeps its trust anchors when the caller overwrites the Buffer it gave', async () => {
    const ca = Buffer.from(pki.caCertDer);
    const config = createClientConfig({ ca: [ca] });
    ca.fill(0);
    const client = TlsConnection.client(config, { servername: 'localhost' });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(client, server);
    expect(client.handshakeComplete).toBe(true);
    expect(client.info.certificateErrors).toEqual([]);
  });
});
