/**
 * review3: e90b844 (F7 of the fourth campaign) judges a resumed session's client chain again
 * by today's trust settings (peer-auth.ts clientChainStillAccepted) and resumes when every
 * error it finds *now* is ignorable. But the resumed connection still reports the errors of
 * the full handshake (server-tls13.ts originalErrors(psk.state), server-resume12.ts
 * session.certificateErrors): a chain that was clean then and is Untrusted (its CA replaced
 * after a compromise) or Expired now is reported with no error and severity 'none'.
 *
 * That is the common Node mTLS pattern's seam: `requestCert: true, rejectUnauthorized: false`
 * and the application decides on `socket.authorized` (no certificate error at all). The
 * re-judged chain is accepted (every error is ignorable under rejectUnauthorized: false) and
 * `authorized` reads true for a client whose CA the server no longer trusts, for up to
 * sessionTimeout after the full handshake.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ServerConfigOptions } from '../../src/engine/setup.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import * as pure from '../../src/transport/node.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let server: TestPki;
let client: TestPki;
let otherCa: TestPki;
beforeAll(async () => {
  server = await generateTestPki({ keyType: 'ecdsa-p256' });
  client = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
  otherCa = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Other CA' });
});

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  describe(`review3: a resumed client chain judged again reports today's errors, ${version}`, () => {
    const keys = new TicketKeySet();
    const mk = (o: Partial<ServerConfigOptions>): ReturnType<typeof createServerConfig> =>
      createServerConfig({ cert: server.chainPem, key: server.keyPem, ticketKeys: keys, sessionTimeout: 7200, sessionTickets: 1, ...o } as ServerConfigOptions);
    const clientConfig = (): ReturnType<typeof createClientConfig> =>
      createClientConfig({ ca: server.caCertPem, cert: client.chainPem, key: client.keyPem, sessionStore: new MemorySessionStore(), maxVersion: version });
    async function connect(cc: ReturnType<typeof createClientConfig>, sc: ReturnType<typeof createServerConfig>): Promise<TlsConnection> {
      const s = TlsConnection.server(sc);
      await pump(TlsConnection.client(cc, { servername: 'localhost' }), s).catch(() => undefined);
      return s;
    }

    it('the client CA replaced (rejectUnauthorized: false, ticket keys kept): a resumption reports Untrusted, not a clean chain', async () => {
      const cc = clientConfig();
      const first = await connect(cc, mk({ requestCert: true, rejectUnauthorized: false, ca: client.caCertPem }));
      expect(first.error).toBeNull();
      expect(first.info.certificateErrorSeverity).toBe('none');
      // The client CA is replaced (compromised): the server trusts otherCa only.
      const again = await connect(cc, mk({ requestCert: true, rejectUnauthorized: false, ca: otherCa.caCertPem }));
      expect(again.error).toBeNull();
      // Either a full handshake (which reports Untrusted) or a resumption that reports it: never 'none'.
      expect(again.info.certificateErrors.map((e) => e.code), `resumed: ${again.info.resumed}`).toContain('Untrusted');
      expect(again.info.certificateErrorSeverity).toBe('ignorable');
    });

    it('a client certificate that expired since the full handshake (Expired ignorable, no config change): a resumption reports Expired', async () => {
      const now = { t: Date.now() };
      const soon = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Short CA', notAfter: new Date(now.t + 30 * 60_000) });
      const cc = createClientConfig({ ca: server.caCertPem, cert: soon.chainPem, key: soon.keyPem, sessionStore: new MemorySessionStore({ now: () => now.t }), maxVersion: version, now: () => now.t });
      const sc = createServerConfig({ cert: server.chainPem, key: server.keyPem, ticketKeys: new TicketKeySet(), sessionTimeout: 7200, sessionTickets: 1, now: () => now.t, requestCert: true, ca: soon.caCertPem, ignorableCertificateErrors: ['Expired'] } as ServerConfigOptions);
      const first = await connect(cc, sc);
      expect(first.error).toBeNull();
      expect(first.info.certificateErrors).toEqual([]);
      // 40 minutes later the certificate has been expired for 10 minutes; the session is still young.
      now.t += 40 * 60_000;
      const again = await connect(cc, sc);
      expect(again.error).toBeNull();
      expect(again.info.certificateErrors.map((e) => e.code), `resumed: ${again.info.resumed}`).toContain('Expired');
      expect(again.info.certificateErrorSeverity).toBe('ignorable');
    });

    it('control: the same client without a prior session (a full handshake) is reported Untrusted', async () => {
      const cc = clientConfig();
      const s = await connect(cc, mk({ requestCert: true, rejectUnauthorized: false, ca: otherCa.caCertPem }));
      expect(s.error).toBeNull();
      expect(s.info.resumed).toBe(false);
      expect(s.info.certificateErrors.map((e) => e.code)).toContain('Untrusted');
    });
  });
}

describe('review3: the Node pattern (requestCert, rejectUnauthorized: false, check socket.authorized) after a client-CA change', () => {
  it('setSecureContext with a new client CA: a resuming client is not `authorized`', async () => {
    const srv = pure.createServer({ cert: server.chainPem, key: server.keyPem, requestCert: true, rejectUnauthorized: false, ca: client.caCertPem });
    const cc = createClientConfig({ ca: server.caCertPem, cert: client.chainPem, key: client.keyPem, sessionStore: new MemorySessionStore() });
    const first = TlsConnection.server(srv.secureContext);
    await pump(TlsConnection.client(cc, { servername: 'localhost' }), first);
    expect(first.info.certificateErrorSeverity).toBe('none');
    srv.setSecureContext({ cert: server.chainPem, key: server.keyPem, requestCert: true, rejectUnauthorized: false, ca: otherCa.caCertPem });
    const again = TlsConnection.server(srv.secureContext);
    await pump(TlsConnection.client(cc, { servername: 'localhost' }), again);
    expect(again.error).toBeNull();
    // What TlsSocket.authorized reads: a certificate, and no error at all.
    const authorized = again.info.peerCertificate !== null && again.info.certificateErrors.length === 0;
    expect(authorized, `resumed: ${again.info.resumed}`).toBe(false);
  });
});
