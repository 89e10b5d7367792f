/**
 * Campaign 9 through the Node adapter (src/transport/node.ts) and real peers on loopback:
 * opaque keys and async providers that never answer, or answer too late.
 *
 * - a server whose KMS signer never answers: `handshakeTimeout` ends the connection
 *   (tlsClientError TimedOut), the node:tls client sees the connection end; the signer then
 *   answering (or failing) changes nothing and throws nothing;
 * - a client whose certificate's signer never answers, against a node:tls server that asks for
 *   one: TimedOut; destroy() while the signer is pending: closed, the late answer ignored;
 * - a client whose async provider's key share never comes: TimedOut, no ClientHello;
 * - no uncaught exception or unhandled rejection anywhere.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { connect, createServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/testing/index.js';
import { nobleProvider, defaultRandom } from '../../src/crypto/noble.js';
import type { CryptoProvider, Signer } from '../../src/crypto/provider.js';
import { TlsError } from '../../src/base/errors.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
let clientCa: TestPki;
const closers: (() => void)[] = [];
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  clientCa = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
});
afterAll(() => {
  for (const c of closers) c();
});

/** A signer that answers only when told to: `answer(true)` signs, `answer(false)` fails. */
function heldSigner(keyPem: string): Signer & { answer: (ok: boolean) => void; asked: Promise<void> } {
  const key = nobleProvider.parsePrivateKey(keyPem);
  let release: (ok: boolean) => void = () => {};
  let asked: () => void = () => {};
  const askedP = new Promise<void>((r) => (asked = r));
  return {
    asked: askedP,
    answer: (ok) => release(ok),
    sign: (scheme, data) =>
      new Promise<Uint8Array>((resolve, reject) => {
        asked();
        release = (ok) => (ok ? resolve(nobleProvider.sign(key, scheme, data, defaultRandom, { tls12: true }) as Uint8Array) : reject(new Error('KMS: gone')));
      }),
  };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  describe(`campaign9 (Node adapter, ${version}): a signer that never answers`, () => {
    for (const late of ['signs', 'fails'] as const) {
      it(`server: handshakeTimeout ends it (tlsClientError TimedOut), the node:tls client sees the end; the signer then ${late}: nothing happens`, async () => {
        const signer = heldSigner(pki.keyPem);
        const errors: TlsError[] = [];
        const server = createServer({ cert: pki.chainPem, key: signer, handshakeTimeout: 300 }, () => {});
        server.on('tlsClientError', (e: TlsError) => errors.push(e));
        await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
        closers.push(() => server.close());
        const port = (server.address() as AddressInfo).port;
        const t0 = Date.now();
        const clientEnd = await new Promise<string>((resolve) => {
          const c = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, maxVersion: version });
          c.on('secureConnect', () => resolve('secure'));
          c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
          c.on('close', () => resolve('close'));
        });
        expect(clientEnd).not.toBe('secure');
        expect(Date.now() - t0).toBeLessThan(3000);
        await signer.asked;
        await settle(50);
        expect(errors.map((e) => e.status)).toEqual(['TimedOut']);
        signer.answer(late === 'signs');
        await settle(50);
        expect(errors.length).toBe(1);
        server.close();
      });
    }

    it('client: a certificate whose signer never answers, to a node:tls server that asks for one: TimedOut; destroy() while the signer is pending: closed; late answers ignored', async () => {
      const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, requestCert: true, rejectUnauthorized: false, ca: clientCa.caCertPem, maxVersion: version }, (s) => s.on('error', () => {}));
      server.on('tlsClientError', () => {});
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      closers.push(() => server.close());
      const port = (server.address() as AddressInfo).port;
      const outcome = async (s: TlsSocket): Promise<string> =>
        new Promise((resolve) => {
          s.on('secureConnect', () => resolve('secure'));
          s.on('error', (e: Error) => resolve(e instanceof TlsError ? e.status : `non-TlsError ${e.message}`));
          s.on('close', () => resolve('close'));
        });

      const held = heldSigner(clientCa.keyPem);
      const timed = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, cert: clientCa.chainPem, key: held, maxVersion: version, handshakeTimeout: 300 });
      expect(await outcome(timed)).toBe('TimedOut');
      await held.asked;
      held.answer(true);

      const held2 = heldSigner(clientCa.keyPem);
      const destroyed = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, cert: clientCa.chainPem, key: held2, maxVersion: version });
      const o = outcome(destroyed);
      await held2.asked;
      destroyed.destroy();
      expect(await o).toBe('close');
      held2.answer(false);
      await settle(50);
      server.close();
    });
  });
}

describe('campaign9 (Node adapter): an async provider whose key share never comes', () => {
  it('client: handshakeTimeout ends it with TimedOut (no ClientHello was sent); the server sees nothing but a closed connection', async () => {
    let received = 0;
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, () => {});
    server.on('connection', (s) => s.on('data', (d: Buffer) => (received += d.length)));
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const never: CryptoProvider = { ...nobleProvider, name: 'never', async: true, generateKeyShare: () => new Promise(() => {}) };
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: never, handshakeTimeout: 300 });
    const status = await new Promise<string>((resolve) => {
      s.on('secureConnect', () => resolve('secure'));
      s.on('error', (e: Error) => resolve(e instanceof TlsError ? e.status : `non-TlsError ${e.message}`));
    });
    expect(status).toBe('TimedOut');
    await settle(50);
    expect(received).toBe(0);
    server.close();
  });
});
