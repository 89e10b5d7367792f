/**
 * Adversarial campaign 2: a hostile TLS 1.3 server (or a man in the middle holding the
 * server's keys) against our client's resumption, 0-RTT and client-certificate code
 * (src/handshake/client-sessions.ts, client-auth13.ts, client-tls13.ts, src/session/*).
 *
 * The hostile server is a real puretls server bent by its test hooks (EncryptedExtensions
 * rewritten before it is encoded, so its transcript and Finished stay consistent), or a
 * server whose application key is taken from the key log so that post-handshake messages can
 * be forged (test/helpers/mitm.ts RawCipher).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ClientConfigOptions, type ServerConfigOptions } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll, withTestHooks } from '../../src/testing/index.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import type { ResumableSession, Tls13Session } from '../../src/session/session.js';
import { MAX_TICKET_LIFETIME_SECONDS } from '../../src/session/session.js';
import type { Signer } from '../../src/crypto/provider.js';
import { nobleProvider, defaultRandom } from '../../src/crypto/noble.js';
import { TlsError, alertName } from '../../src/base/errors.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { KeyLog, RawCipher, decodeMsg, encodeRecords, hsMessage, parseRecords } from '../helpers/mitm.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
let clientPki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  clientPki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array(0));

function expectStatus(conn: TlsConnection, status: string, alert?: string): void {
  expect(conn.error).toBeInstanceOf(TlsError);
  expect(conn.error!.status).toBe(status);
  if (alert !== undefined) expect(alertName(conn.error!.alert ?? 0)).toBe(alert);
}

// ------------------------------------------------------------------ 0-RTT and EncryptedExtensions

describe('campaign2: a server that lies about early data', () => {
  function configs(c: ClientConfigOptions = {}, s: Partial<ServerConfigOptions> = {}, hooks?: Parameters<typeof withTestHooks>[1]) {
    const set = new TicketKeySet();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore(), ...c });
    const honest = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys: set, ...s });
    const base = { cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys: set, ...s };
    const hostile = createServerConfig(hooks ? withTestHooks(base as ServerConfigOptions, hooks as never) : base);
    return { cc, honest, hostile };
  }

  async function connect(cc: ReturnType<typeof createClientConfig>, sc: ReturnType<typeof createServerConfig>, per: { earlyData?: Uint8Array; servername?: string } = {}) {
    const client = TlsConnection.client(cc, { servername: 'localhost', ...per });
    const server = TlsConnection.server(sc);
    await pump(client, server);
    return { client, server };
  }

  it('resumed without 0-RTT from us, EncryptedExtensions says early data accepted → unsupported_extension', async () => {
    const { cc, honest, hostile } = configs({}, {}, { encryptedExtensions: (e) => ({ ...e, earlyData: true }) });
    await connect(cc, honest);
    const { client } = await connect(cc, hostile);
    expectStatus(client, 'UnsupportedExtension', 'unsupported_extension');
    expect(client.handshakeComplete).toBe(false);
  });

  it('a full handshake whose EncryptedExtensions accepts early data we never sent → unsupported_extension', async () => {
    const { cc, hostile } = configs({}, {}, { encryptedExtensions: (e) => ({ ...e, earlyData: true }) });
    const { client } = await connect(cc, hostile);
    expectStatus(client, 'UnsupportedExtension', 'unsupported_extension');
  });

  it('0-RTT sent, HelloRetryRequest, then early data "accepted" after it → unsupported_extension (the second ClientHello offers none)', async () => {
    const { cc, honest, hostile } = configs({ keyShareGroups: ['x25519'] }, {}, { encryptedExtensions: (e) => ({ ...e, earlyData: true }) });
    await connect(cc, honest);
    const hrr = createServerConfig(
      withTestHooks({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, groups: ['secp256r1'], ticketKeys: (honest as unknown as { ticketKeys?: TicketKeySet }).ticketKeys } as ServerConfigOptions, {
        encryptedExtensions: (e) => ({ ...e, earlyData: true }),
      }),
    );
    void hostile;
    const { client } = await connect(cc, hrr, { earlyData: enc('GET /') });
    expect(client.info.helloRetryRequest).toBe(true);
    expectStatus(client, 'UnsupportedExtension', 'unsupported_extension');
  });

  it('0-RTT accepted under another ALPN protocol than the session\'s → illegal_parameter (the early data was meant for the first)', async () => {
    const { cc, honest, hostile } = configs({ ALPNProtocols: ['h2', 'http/1.1'] }, { ALPNProtocols: ['h2', 'http/1.1'] }, { encryptedExtensions: (e) => ({ ...e, alpn: e.earlyData ? 'http/1.1' : e.alpn }) });
    const first = await connect(cc, honest);
    expect(first.client.info.alpn).toBe('h2');
    const { client, server } = await connect(cc, hostile, { earlyData: enc('PRI * HTTP/2.0') });
    expect(server.info.earlyData).toBe('accepted');
    expectStatus(client, 'IllegalParameter', 'illegal_parameter');
  });

  it('the honest control: 0-RTT accepted under the session\'s ALPN protocol completes', async () => {
    const { cc, honest } = configs({ ALPNProtocols: ['h2', 'http/1.1'] }, { ALPNProtocols: ['h2', 'http/1.1'] });
    await connect(cc, honest);
    const { client, server } = await connect(cc, honest, { earlyData: enc('PRI * HTTP/2.0') });
    expect(client.error).toBeNull();
    expect(client.info.earlyData).toBe('accepted');
    expect(client.info.alpn).toBe('h2');
    expect(dec(readAll(server))).toBe('PRI * HTTP/2.0');
  });

  it('a session is offered only to the name it was made with, also when handed over explicitly (session option)', async () => {
    const { cc, honest } = configs();
    const got: ResumableSession[] = [];
    const client = TlsConnection.client(cc, { servername: 'localhost', onSession: (s: ResumableSession) => got.push(s) } as never);
    const server = TlsConnection.server(honest);
    await pump(client, server);
    expect(got.length).toBeGreaterThan(0);
    // The same session, handed to a connection for another name: a full handshake, not offered.
    const other = TlsConnection.client(createClientConfig({ ca: pki.caCertPem, ignorableCertificateErrors: ['InvalidName'], sessionStore: new MemorySessionStore() }), { servername: 'other.example', session: got[0] } as never);
    await other.start();
    const flight = other.takeOutput()!;
    const ch = decodeMsg(parseRecords(flight)[0]!.fragment, 'client_hello');
    expect(ch.extensions.preSharedKey).toBeUndefined();
    const s2 = TlsConnection.server(honest);
    s2.receive(flight);
    await pump(other, s2);
    expect(other.error).toBeNull();
    expect(other.info.resumed).toBe(false);
    expect(s2.info.resumed).toBe(false);
    // The control: the same session handed to a connection for its own name resumes.
    const same = TlsConnection.client(cc, { servername: 'localhost', session: got[1] ?? got[0] } as never);
    const s3 = TlsConnection.server(honest);
    await pump(same, s3);
    expect(same.info.resumed).toBe(true);
  });
});

// ------------------------------------------------------------------ forged post-handshake messages

/** A TLS 1.3 pair pinned to AES-128-GCM whose secrets go to one key log; the server sends no ticket. */
async function loggedPair(c: Partial<ClientConfigOptions> = {}, s: Partial<ServerConfigOptions> = {}) {
  const keys = new KeyLog();
  const store = new MemorySessionStore();
  const sessions: ResumableSession[] = [];
  // session / onSession are per-connection options: given to a config's connection (plain
  // options would ignore them).
  const cc = createClientConfig({ ca: pki.caCertPem, keyLog: keys.fn, cipherSuites: ['TLS_AES_128_GCM_SHA256'], sessionStore: store, ...c } as ClientConfigOptions);
  const client = TlsConnection.client(cc, { servername: 'localhost', onSession: (x: ResumableSession) => sessions.push(x) });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0, ...s });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  const forge = RawCipher.from(keys, 'SERVER_TRAFFIC_SECRET_0');
  return { client, server, store, sessions, forge };
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** A NewSessionTicket body (RFC 9846 §4.7.1). */
function nst(lifetime: number, ageAdd: number, nonce: Uint8Array, ticket: Uint8Array, ext: number[] = []): Uint8Array {
  return Uint8Array.from([...u32(lifetime), ...u32(ageAdd), nonce.length, ...nonce, ticket.length >> 8, ticket.length & 0xff, ...ticket, ext.length >> 8, ext.length & 0xff, ...ext]);
}

async function deliverAll(conn: TlsConnection, bytes: Uint8Array): Promise<void> {
  let rest = bytes;
  while (rest.length > 0) {
    const n = conn.receive(rest);
    rest = rest.subarray(n);
    await conn.process();
    if (conn.error) return;
    if (n === 0) {
      // Read what is buffered to make room.
      readAll(conn);
    }
  }
  await conn.process();
}

describe('campaign2: forged NewSessionTickets and post-handshake messages', () => {
  it('NewSessionTicket floods: 60 in a row are taken (at most 8 sessions kept, the store bounded); 3000 exceed the post-handshake message cap (unexpected_message)', async () => {
    for (const count of [60, 3000]) {
      const p = await loggedPair();
      const recs = [];
      for (let i = 0; i < count; i++) recs.push(p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(3600, i, Uint8Array.of(i & 0xff, i >> 8), Uint8Array.of(1, 2, i & 0xff, i >> 8)))));
      await deliverAll(p.client, encodeRecords(recs));
      expect(p.sessions.length).toBe(8);
      expect(p.store.size).toBeLessThanOrEqual(4);
      if (count === 60) {
        expect(p.client.error).toBeNull();
        p.client.write(enc('still alive'));
        await pump(p.client, p.server);
        expect(dec(readAll(p.server))).toBe('still alive');
      } else {
        expectStatus(p.client, 'UnexpectedMessage', 'unexpected_message');
      }
    }
  });

  it('lifetimes: 0 is not kept, 7 days is kept for at most 7 days, more is refused (illegal_parameter); max_early_data 2^32-1 is kept as sent', async () => {
    const p = await loggedPair();
    const early = [0x00, 0x2a, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff];
    const recs = [
      p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(0, 1, Uint8Array.of(1), Uint8Array.of(9, 9)))),
      p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(MAX_TICKET_LIFETIME_SECONDS, 2, Uint8Array.of(2), Uint8Array.of(8, 8), early))),
    ];
    await deliverAll(p.client, encodeRecords(recs));
    expect(p.client.error).toBeNull();
    expect(p.sessions.length).toBe(1);
    const s = p.sessions[0] as Tls13Session;
    expect(s.expiresAt - s.receivedAt).toBe(MAX_TICKET_LIFETIME_SECONDS * 1000);
    expect(s.maxEarlyData).toBe(0xffffffff);
    const q = await loggedPair();
    await deliverAll(q.client, encodeRecords([q.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(0xffffffff, 2, Uint8Array.of(2), Uint8Array.of(8, 8))))]));
    expectStatus(q.client, 'IllegalParameter', 'illegal_parameter');
    expect(q.sessions.length).toBe(0);
  });

  it('a NewSessionTicket with an unknown extension is kept (RFC 9846 §4.2: ignore unknown extensions); a malformed one fails with decode_error', async () => {
    const p = await loggedPair();
    const grease = [0x0a, 0x0a, 0x00, 0x01, 0x00];
    await deliverAll(p.client, encodeRecords([p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(60, 1, Uint8Array.of(1), Uint8Array.of(1), grease)))]));
    expect(p.client.error).toBeNull();
    expect(p.sessions.length).toBe(1);
    const q = await loggedPair();
    // An empty ticket (ticket<1..2^16-1>).
    await deliverAll(q.client, encodeRecords([q.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nst(60, 1, Uint8Array.of(1), new Uint8Array(0))))]));
    expectStatus(q.client, 'DecodeError', 'decode_error');
    expect(q.sessions.length).toBe(0);
  });

  it('property: any NewSessionTicket body either is kept or fails the connection with a TlsError; never more than 8 sessions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 12 }), async (bodies) => {
        const p = await loggedPair();
        const recs = bodies.map((b) => p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, b)));
        await deliverAll(p.client, encodeRecords(recs));
        if (p.client.error) expect(p.client.error).toBeInstanceOf(TlsError);
        expect(p.sessions.length).toBeLessThanOrEqual(8);
        for (const s of p.sessions) {
          expect(s.version).toBe('TLSv1.3');
          expect((s as Tls13Session).ticket.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a post-handshake CertificateRequest (we never offered post_handshake_auth) → unexpected_message, also with a client certificate', async () => {
    for (const withCert of [false, true]) {
      const p = await loggedPair(withCert ? { cert: clientPki.chainPem, key: clientPki.keyPem } : {});
      // certificate_request_context "abc", signature_algorithms {ecdsa_secp256r1_sha256}.
      const body = Uint8Array.of(3, 0x61, 0x62, 0x63, 0x00, 0x08, 0x00, 0x0d, 0x00, 0x04, 0x00, 0x02, 0x04, 0x03);
      await deliverAll(p.client, encodeRecords([p.forge.seal(ContentType.handshake, hsMessage(HandshakeType.certificate_request, body))]));
      expectStatus(p.client, 'UnexpectedMessage', 'unexpected_message');
    }
  });

});

// ------------------------------------------------------------------ client certificates

describe('campaign2: CertificateRequest and a hostile or broken signer', () => {
  const serverOpts = (extra: Partial<ServerConfigOptions> = {}) => ({ cert: pki.chainPem, key: pki.keyPem, ca: clientPki.caCertPem, requestCert: true, ...extra });

  it('no signature scheme we can use (the server asks for Ed25519 only): an empty Certificate, nothing signed; a server that requires one fails us', async () => {
    const edPki = await generateTestPki({ keyType: 'ed25519' });
    for (const requireCert of [false, true]) {
      let signed = 0;
      const key = nobleProvider.parsePrivateKey(clientPki.keyPem);
      const signer: Signer = { sign: (scheme, data) => (signed++, nobleProvider.sign(key, scheme, data, defaultRandom) as Uint8Array) };
      const c = TlsConnection.client({ servername: 'localhost', ca: edPki.caCertPem, cert: clientPki.chainPem, key: signer });
      const s = TlsConnection.server({ cert: edPki.chainPem, key: edPki.keyPem, ca: clientPki.caCertPem, requestCert: true, requireCert, signatureSchemes: ['ed25519'] } as never);
      await pump(c, s);
      expect(signed).toBe(0);
      if (requireCert) {
        expect(s.error).toBeInstanceOf(TlsError);
        expect(c.error).toBeInstanceOf(TlsError);
        expect(c.error!.status).toBe('AlertReceived');
      } else {
        expect(c.error).toBeNull();
        expect(s.error).toBeNull();
        expect(s.info.peerCertificate ?? null).toBeNull();
      }
    }
  });

  /** Runs the handshake up to the client's signature: ClientHello, the server's flight, and the client's process() left pending. */
  async function upToSigning(signer: Signer): Promise<{ c: TlsConnection; pending: Promise<void> }> {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, cert: clientPki.chainPem, key: signer });
    const s = TlsConnection.server(serverOpts() as never);
    await c.start();
    s.receive(c.takeOutput()!);
    await s.process();
    c.receive(s.takeOutput()!);
    const pending = c.process();
    await new Promise((r) => setTimeout(r, 10));
    return { c, pending };
  }

  // F2 of the campaign (fixed in src/engine/connection.ts): after close() during the handshake,
  // a step still awaiting the signer completed anyway: CertificateVerify and Finished went out
  // after our close_notify and handshakeComplete became true.
  for (const late of ['resolves', 'rejects'] as const) {
    it(`a signer that hangs, then ${late} after we closed: nothing is sent after our close_notify, the handshake never completes`, async () => {
      let answer: (ok: boolean) => void = () => {};
      const key = nobleProvider.parsePrivateKey(clientPki.keyPem);
      const signer: Signer = {
        sign: (scheme, data) =>
          new Promise<Uint8Array>((resolve, reject) => {
            answer = (ok) => (ok ? resolve(nobleProvider.sign(key, scheme, data, defaultRandom) as Uint8Array) : reject(new Error('KMS gone')));
          }),
      };
      const { c, pending } = await upToSigning(signer);
      expect(c.handshakeComplete).toBe(false);
      expect(c.error).toBeNull();
      c.takeOutput();
      c.close();
      // Our close_notify (after the Certificate already queued).
      expect(c.takeOutput()).not.toBeNull();
      answer(late === 'resolves');
      await pending.catch(() => {});
      await new Promise((r) => setTimeout(r, 10));
      await c.process().catch(() => {});
      expect(c.takeOutput()).toBeNull();
      expect(c.handshakeComplete).toBe(false);
    });
  }

  // The same engine bug (F2) on the server: its CertificateVerify (TLS 1.3) or
  // ServerKeyExchange (TLS 1.2) signer answered after the server's close().
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`(server, ${version}) a signer that answers after close(): nothing is sent after the server's close_notify`, async () => {
      const key = nobleProvider.parsePrivateKey(pki.keyPem);
      let go: () => void = () => {};
      const signer: Signer = { sign: (scheme, data) => new Promise((r) => (go = () => r(nobleProvider.sign(key, scheme, data, defaultRandom) as Uint8Array))) };
      const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: version });
      const s = TlsConnection.server({ cert: pki.chainPem, key: signer });
      await c.start();
      s.receive(c.takeOutput()!);
      const pending = s.process();
      await new Promise((r) => setTimeout(r, 10));
      s.takeOutput();
      s.close();
      expect(s.takeOutput()).not.toBeNull();
      go();
      await pending.catch(() => {});
      await s.process().catch(() => {});
      expect(s.takeOutput()).toBeNull();
    });
  }

  // Changed by adversary9: the client now verifies an opaque key's signature before sending it,
  // so the garbage never reaches the server (src/handshake/signatures.ts).
  it('a signer returning garbage of a plausible length: the client refuses to send it (InternalError), the server reports the alert', async () => {
    for (const garbage of [new Uint8Array(71).fill(0x30), Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01)]) {
      const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, cert: clientPki.chainPem, key: { sign: () => Promise.resolve(garbage) } });
      const s = TlsConnection.server(serverOpts() as never);
      await pump(c, s);
      expect({ len: garbage.length, status: c.error?.status }).toEqual({ len: garbage.length, status: 'InternalError' });
      expectStatus(s, 'AlertReceived', 'internal_error');
    }
  });
});
