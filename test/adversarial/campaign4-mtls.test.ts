/**
 * Adversarial campaign 4, part 3: client certificates on our server and resumption
 * (src/handshake/server-psk.ts, server-resume12.ts, src/session/ticket13.ts): what a client
 * that once authenticated with a certificate can keep doing without showing it again.
 *
 * - RFC 9846 §4.7.1: "it is possible to continue issuing new tickets which
 *   indefinitely extend the lifetime of the keying material originally derived from an
 *   initial non-PSK handshake (which was most likely tied to the peer's certificate). It is
 *   RECOMMENDED that implementations place limits on the total lifetime of such keying
 *   material". Each TLS 1.3 resumption issued tickets dated from the resumption, so a client
 *   resuming every hour stayed authenticated by a certificate seen once, forever (F4).
 * - A ticket records the (ignorable) errors accepted in the client's chain then: a server
 *   whose policy no longer ignores them must not resume it (F5).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ServerConfigOptions } from '../../src/engine/setup.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { KeyLog, RawCipher, concat, deliver, encodeRecord, firstFlight, parseRecords, respond, splitHandshake } from '../helpers/mitm.js';
import { handshakeMessages, handshakeRecords } from '../helpers/tls12.js';
import { expectFailed } from '../helpers/hostile-peer.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';

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
  describe(`campaign4: client-certificate sessions, ${version}`, () => {
    /** A client with a store and `client`'s certificate; a clock we move. */
    function setup(): { now: { t: number }; cc: ReturnType<typeof createClientConfig>; server: (o: Partial<ServerConfigOptions>) => ReturnType<typeof createServerConfig> } {
      const now = { t: Date.now() };
      const clock = (): number => now.t;
      const keys = new TicketKeySet();
      const cc = createClientConfig({ ca: server.caCertPem, cert: client.chainPem, key: client.keyPem, sessionStore: new MemorySessionStore({ now: clock }), maxVersion: version, now: clock });
      return {
        now,
        cc,
        server: (o) => createServerConfig({ cert: server.chainPem, key: server.keyPem, ticketKeys: keys, sessionTimeout: 7200, now: clock, sessionTickets: 1, ...o } as ServerConfigOptions),
      };
    }
    async function connect(cc: ReturnType<typeof createClientConfig>, sc: ReturnType<typeof createServerConfig>): Promise<{ c: TlsConnection; s: TlsConnection }> {
      const c = TlsConnection.client(cc, { servername: 'localhost' });
      const s = TlsConnection.server(sc);
      await pump(c, s).catch(() => undefined);
      return { c, s };
    }

    it('a client resuming every hour is asked for its certificate again once the first handshake is sessionTimeout old (RFC 9846 §4.7.1)', async () => {
      const { now, cc, server: mk } = setup();
      const sc = mk({ requireCert: true, ca: client.caCertPem });
      const first = await connect(cc, sc);
      expect(first.s.error).toBeNull();
      expect(first.s.info.resumed).toBe(false);
      const resumedAt: boolean[] = [];
      const certSeen: boolean[] = [];
      for (let step = 1; step <= 4; step++) {
        now.t += 55 * 60_000;
        const r = await connect(cc, sc);
        expect(r.s.error).toBeNull();
        resumedAt.push(r.s.info.resumed);
        certSeen.push(r.s.info.peerCertificate !== null);
      }
      // 55 and 110 minutes after the certificate was seen: resumed; 165: beyond the 2 h session
      // timeout of the authentication itself, a full handshake (the certificate again); 220:
      // resumed from that new authentication.
      expect(resumedAt).toEqual([true, true, false, true]);
      expect(certSeen).toEqual([true, true, true, true]);
    });

    // F7 (fixed on main: handshake/peer-auth.ts clientChainStillAccepted): resumption judges the
    // client's chain again by today's trust settings.
    it('a session whose client chain chained to a CA the server no longer trusts (ca replaced, ticket keys kept) is not resumed', async () => {
      const { now, cc: _cc, server: mk } = setup();
      void _cc;
      const cc = createClientConfig({ ca: server.caCertPem, cert: client.chainPem, key: client.keyPem, sessionStore: new MemorySessionStore({ now: () => now.t }), maxVersion: version, now: () => now.t });
      const before = mk({ requireCert: true, ca: client.caCertPem });
      const first = await connect(cc, before);
      expect(first.s.error).toBeNull();
      // The client CA is replaced (say it was compromised): the server trusts otherCa only.
      const after = mk({ requireCert: true, ca: otherCa.caCertPem });
      const again = await connect(cc, after);
      expect(again.s.info.resumed, 'resumed a client chain of a CA the server no longer trusts').toBe(false);
      expect(again.s.error?.status).toBe('CertificateUntrusted');
    });

    // The seam between resumption and the verifier (clientChainStillAccepted): the recorded
    // errors were none, so only judging the chain again at the resumption's time catches this.
    it('a client certificate that expired since the full handshake (within sessionTimeout): not resumed; the full handshake refuses it', async () => {
      const now = { t: Date.now() };
      const soon = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Short CA', notAfter: new Date(now.t + 30 * 60_000) });
      const cc = createClientConfig({ ca: server.caCertPem, cert: soon.chainPem, key: soon.keyPem, sessionStore: new MemorySessionStore({ now: () => now.t }), maxVersion: version, now: () => now.t });
      const sc = createServerConfig({ cert: server.chainPem, key: server.keyPem, ticketKeys: new TicketKeySet(), sessionTimeout: 7200, now: () => now.t, sessionTickets: 1, requireCert: true, ca: soon.caCertPem } as ServerConfigOptions);
      const first = await connect(cc, sc);
      expect(first.s.error).toBeNull();
      expect(first.s.info.certificateErrors).toEqual([]);
      // Still within the session: resumed.
      now.t += 20 * 60_000;
      const within = await connect(cc, sc);
      expect(within.s.info.resumed).toBe(true);
      // 40 minutes after the full handshake: the certificate expired 10 minutes ago.
      now.t += 20 * 60_000;
      const after = await connect(cc, sc);
      expect(after.s.info.resumed, 'resumed a client certificate that has expired').toBe(false);
      expect(after.s.error?.status).toBe('CertificateExpired');
    });

    it('a session whose client chain was accepted with an ignored error is not resumed by a policy that no longer ignores it', async () => {
      const { cc: _unused, server: mk } = setup();
      const now = { t: Date.now() };
      const cc = createClientConfig({ ca: server.caCertPem, cert: otherCa.chainPem, key: otherCa.keyPem, sessionStore: new MemorySessionStore({ now: () => now.t }), maxVersion: version, now: () => now.t });
      const lax = mk({ requestCert: true, ca: client.caCertPem, ignorableCertificateErrors: ['Untrusted'] });
      const first = await connect(cc, lax);
      expect(first.s.error).toBeNull();
      expect(first.s.info.certificateErrors.map((e) => e.code)).toContain('Untrusted');
      // The operator tightens the policy (same ticket keys, as setSecureContext keeps them).
      const strict = mk({ requestCert: true, ca: client.caCertPem });
      const again = await connect(cc, strict);
      expect(again.s.info.resumed, 'resumed an Untrusted client chain the policy now refuses').toBe(false);
      expect(again.s.error?.status).toBe('CertificateUntrusted');
    });
  });
}

describe('campaign4: the ticket state keeps when its authentication happened', () => {
  it('authenticatedAt round-trips (absent when it is the ticket\'s own issue time); one after issuedAt is no ticket', async () => {
    const { decodeTicketState13, encodeTicketState13 } = await import('../../src/session/ticket13.js');
    const base = {
      cipherSuite: 0x1301, issuedAt: 1_765_000_000_123, lifetime: 7200, ageAdd: 1, maxEarlyData: 0, psk: new Uint8Array(32).fill(7),
      serverName: 'localhost', alpn: '', clientAuth: 'not-requested' as const, clientChain: [], clientErrors: [],
    };
    expect(decodeTicketState13(encodeTicketState13(base)!)).toEqual(base);
    const resumed = { ...base, authenticatedAt: base.issuedAt - 3_600_000 };
    expect(decodeTicketState13(encodeTicketState13(resumed)!)).toEqual(resumed);
    expect(decodeTicketState13(encodeTicketState13({ ...base, authenticatedAt: base.issuedAt + 1 })!)).toBeNull();
  });
});

/**
 * A client holding someone's certificate chain but not its key: the chain (which verifies),
 * then no CertificateVerify. The server must never reach the Finished: RFC 5246 §7.4.8 and
 * RFC 9846 §4.5.2 make the CertificateVerify mandatory after a non-empty Certificate.
 */
describe('campaign4: a client certificate without its CertificateVerify', () => {
  async function firstFlights(version: 'TLSv1.2' | 'TLSv1.3') {
    const keys = new KeyLog();
    const c = TlsConnection.client({ servername: 'localhost', ca: server.caCertPem, cert: client.chainPem, key: client.keyPem, maxVersion: version, cipherSuites: version === 'TLSv1.3' ? ['TLS_AES_128_GCM_SHA256'] : ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], keyLog: keys.fn });
    const s = TlsConnection.server({ cert: server.chainPem, key: server.keyPem, requireCert: true, ca: client.caCertPem, keyLog: keys.fn });
    const ch = await firstFlight(c);
    const sf = await respond(s, ch);
    const cf = await respond(c, sf);
    return { c, s, cf, keys };
  }

  it('TLS 1.2: Certificate, ClientKeyExchange, then ChangeCipherSpec and Finished → UnexpectedMessage/unexpected_message, never authenticated', async () => {
    const { s, cf } = await firstFlights('TLSv1.2');
    const msgs = handshakeMessages(cf);
    expect(msgs.map((m) => m[0])).toEqual([HandshakeType.certificate, HandshakeType.client_key_exchange, HandshakeType.certificate_verify]);
    const tail = parseRecords(cf).slice(parseRecords(cf).findIndex((r) => r.type === ContentType.change_cipher_spec));
    await deliver(s, concat(handshakeRecords(msgs.slice(0, 2)), ...tail.map((r) => encodeRecord(r))));
    expectFailed(s, 'UnexpectedMessage', 'unexpected_message');
    expect(s.handshakeComplete).toBe(false);
  });

  it('TLS 1.3: Certificate then Finished → UnexpectedMessage/unexpected_message, never authenticated', async () => {
    const { s, cf, keys } = await firstFlights('TLSv1.3');
    const recs = parseRecords(cf).filter((r) => r.type === ContentType.application_data);
    const open = RawCipher.from(keys, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    const msgs = splitHandshake(concat(...recs.map((r) => open.open(r).content)));
    expect(msgs.map((m) => m[0])).toEqual([HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
    const seal = RawCipher.from(keys, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    const pre = parseRecords(cf).filter((r) => r.type === ContentType.change_cipher_spec).map((r) => encodeRecord(r));
    await deliver(s, concat(...pre, encodeRecord(seal.seal(ContentType.handshake, concat(msgs[0]!, msgs[2]!)))));
    expectFailed(s, 'UnexpectedMessage', 'unexpected_message');
    expect(s.handshakeComplete).toBe(false);
  });
});
