/**
 * A write's callback means its bytes reached the transport, as with `node:tls`: a caller that
 * destroys the socket in that callback (`socket.write(buf, () => socket.destroy())`) loses
 * nothing, whatever the provider. With an async AEAD (webcrypto) a write may be called done
 * while its records are still sealing (TlsPump.writeNow seals up to eight records ahead):
 * destroy() then waits for those seals and sends them before closing the socket (an earlier
 * write-behind without that wait lost every byte here; found by a review).
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TlsSocket } from '../../src/transport/node.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { generateTestPki, type TestPki } from '../../src/testing/index.js';

let pki: TestPki;
let server: tls.Server;
let port = 0;
let received: Promise<number>[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    received.push(
      new Promise((resolve) => {
        let n = 0;
        s.on('data', (d: Buffer) => (n += d.length));
        s.on('close', () => resolve(n));
        s.on('error', () => resolve(n));
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
});

async function bytesReceived(): Promise<number> {
  for (let i = 0; i < 400 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  expect(received).toHaveLength(1);
  return received[0]!;
}

describe.each(['webcrypto', 'pure', 'native'] as const)('write(data, cb) with destroy() in the callback (%s provider)', (which) => {
  it('the peer gets every byte written, as from a node:tls client', async () => {
    received = [];
    const crypto: 'pure' | 'native' | CryptoProvider = which === 'webcrypto' ? webcryptoProvider() : which;
    const s: TlsSocket = await new Promise((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto, minVersion: 'TLSv1.3' }, () => resolve(c));
      c.once('error', reject);
    });
    const data = Buffer.alloc(1000, 7);
    await new Promise<void>((resolve) =>
      s.write(data, () => {
        s.destroy();
        resolve();
      }),
    );
    expect(await bytesReceived()).toBe(1000);
  });
});

describe('control: the same with a node:tls client', () => {
  it('the peer gets every byte written', async () => {
    received = [];
    const s = await new Promise<tls.TLSSocket>((resolve) => {
      const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3' }, () => resolve(c));
    });
    await new Promise<void>((resolve) =>
      s.write(Buffer.alloc(1000, 7), () => {
        s.destroy();
        resolve();
      }),
    );
    expect(await bytesReceived()).toBe(1000);
  });
});
