/**
 * review3: the seam between the Node server's SNI peek and the engine (5e8a460), through a
 * HelloRetryRequest. The peek reads the first ClientHello only; after a HelloRetryRequest the
 * engine negotiates from the second. A client that names a.test first and b.test second would
 * get the configuration chosen for a.test (the default, no client certificate) under the name
 * b.test. Two independent defences refuse it, each alone enough (checked by disabling each, then
 * both: only both disabled lets the application see 'b.test' without a client certificate): the
 * engine's RFC 9846 §4.2.2 comparison of the two hellos (server-hello.ts sameClientHello) and
 * the 'secure' check of 5e8a460. Sound; kept as a regression test of the seam.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import { TlsError } from '../../src/base/errors.js';
import * as pure from '../../src/transport/node.js';
import { withTestHooks } from '../../src/testing/hooks.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost', 'a.test', 'b.test'] });
});

const servers: net.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

describe('review3: SNI peek vs engine after a HelloRetryRequest', () => {
  for (const second of ['b.test', 'B.TEST'] as const) {
    it(`ClientHello1 names a.test, ClientHello2 names ${second}: refused before the application sees it`, async () => {
      const secure: string[] = [];
      // Only X25519: a client whose first key share is P-256 gets a HelloRetryRequest.
      const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, ecdhCurve: 'X25519' }, (s) => {
        secure.push(`${String(s.servername)} cert=${s.getPeerCertificate() !== null && Object.keys(s.getPeerCertificate() ?? {}).length > 0}`);
        s.destroy();
      });
      // b.test requires a client certificate.
      server.addContext('b.test', { cert: pki.chainPem, key: pki.keyPem, ecdhCurve: 'X25519', requestCert: true, rejectUnauthorized: true, ca: pki.caCertPem });
      const errors: TlsError[] = [];
      server.on('tlsClientError', (e) => errors.push(e as TlsError));
      const port = await listen(server);
      let hellos = 0;
      const c = pure.connect(
        withTestHooks(
          { host: '127.0.0.1', port, servername: 'a.test', ca: pki.caCertPem, groups: ['secp256r1', 'x25519'], keyShareGroups: ['secp256r1'] },
          { clientHello: (ch) => (++hellos === 1 ? ch : { ...ch, extensions: { ...ch.extensions, serverName: second } }) },
        ),
      );
      const ended = await new Promise<string>((resolve) => {
        c.on('secureConnect', () => resolve('secureConnect'));
        c.on('error', (e) => resolve(`error ${(e as TlsError).status ?? e.message}`));
        c.on('close', () => resolve('close'));
      });
      await new Promise((r) => setTimeout(r, 150));
      c.destroy();
  
      expect(hellos, 'a HelloRetryRequest was made').toBe(2);
      expect(secure, `the client saw ${ended}`).toEqual([]);
      expect(errors.map((e) => e.status)).toEqual(['IllegalParameter']);
    });
  }

  it('control: the same HelloRetryRequest with the same name in both hellos is served', async () => {
    const secure: string[] = [];
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, ecdhCurve: 'X25519' }, (s) => {
      secure.push(String(s.servername));
      s.destroy();
    });
    server.addContext('b.test', { cert: pki.chainPem, key: pki.keyPem, ecdhCurve: 'X25519', requestCert: true, rejectUnauthorized: true, ca: pki.caCertPem });
    const port = await listen(server);
    let hellos = 0;
    const c = pure.connect(
      withTestHooks(
        { host: '127.0.0.1', port, servername: 'a.test', ca: pki.caCertPem, groups: ['secp256r1', 'x25519'], keyShareGroups: ['secp256r1'] },
        { clientHello: (ch) => (++hellos, ch) },
      ),
    );
    await new Promise<void>((resolve, reject) => {
      c.on('secureConnect', () => resolve());
      c.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 100));
    c.destroy();
    expect(hellos).toBe(2);
    expect(secure).toEqual(['a.test']);
  });
});
