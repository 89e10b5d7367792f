/**
 * TLS 1.2 resumption in memory, both roles (issue 10 item 2): session IDs (RFC 5246 §7.3),
 * the extended master secret on resumption (RFC 7627 §5.3), suite and SNI rules (RFC 5246
 * §7.4.1.2, RFC 6066 §3), the server cache's bound and expiry, wrong Finished messages, and
 * what a hostile server or a man in the middle can try against the client.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { createServerConfig, type ServerConfig } from '../../src/engine/setup.js';
import type { ResumableSession, Tls12Session } from '../../src/session/session.js';
import type { SessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import { AlertDescription } from '../../src/base/errors.js';
import { CipherSuite, ContentType, HandshakeType } from '../../src/wire/codes.js';
import { KeyLog, deliver, encodeRecords, firstFlight, flip, parseRecords, respond, splitHandshake } from '../helpers/mitm.js';
import { Keys12, alertsIn12, decode12, encode12, handshakeMessages, handshakeRecords, hellosOf, openRecords12 } from '../helpers/tls12.js';
import { expectFailed } from '../helpers/hostile-peer.js';
import type { ServerHello12Extensions } from '../../src/wire/messages.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** A plain in-memory store that shows what goes through it. */
class TestStore implements SessionStore {
  readonly byKey = new Map<string, ResumableSession[]>();
  get(key: string): ResumableSession | undefined {
    const l = this.byKey.get(key);
    return l?.[l.length - 1];
  }
  put(key: string, s: ResumableSession): void {
    const l = this.byKey.get(key) ?? [];
    l.push(s);
    this.byKey.set(key, l);
  }
  delete(key: string, s: ResumableSession): void {
    const l = this.byKey.get(key) ?? [];
    const i = l.indexOf(s);
    if (i >= 0) l.splice(i, 1);
  }
  /** The TLS 1.2 sessions held. */
  all(): Tls12Session[] {
    return [...this.byKey.values()].flat().filter((x): x is Tls12Session => x.version === 'TLSv1.2');
  }
}

const AES128 = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
const AES256 = 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384';

function clientOpts(store: TestStore, extra: ClientOptions = {}): ClientOptions {
  return { servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store, ...extra };
}

/** A server config; without tickets (session IDs only) unless `extra` asks for them. */
function serverConfig(extra: Partial<ServerOptions> = {}): ServerConfig {
  return createServerConfig({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...extra });
}

/** Handshake, then one message each way. */
async function connect(client: TlsConnection, server: TlsConnection): Promise<void> {
  await pump(client, server);
  expect(client.error).toBeNull();
  expect(server.error).toBeNull();
  client.write(new TextEncoder().encode('ping'));
  server.write(new TextEncoder().encode('pong'));
  await pump(client, server);
  expect(new TextDecoder().decode(readAll(server))).toBe('ping');
  expect(new TextDecoder().decode(readAll(client))).toBe('pong');
}

/** A full handshake that leaves one session in `store`; returns the client. */
async function fullHandshake(store: TestStore, config: ServerConfig, extra: ClientOptions = {}): Promise<TlsConnection> {
  const c = TlsConnection.client(clientOpts(store, extra));
  const s = TlsConnection.server(config);
  await connect(c, s);
  expect(c.info.resumed).toBe(false);
  expect(s.info.resumed).toBe(false);
  return c;
}

/** The handshake messages the server's first flight starts with, by type. */
function serverFlightTypes(flight: Uint8Array): number[] {
  let keyed = false;
  return parseRecords(flight).flatMap((r) => {
    const t = r.type === ContentType.handshake && !keyed ? splitHandshake(r.fragment).map((m) => m[0]!) : [-r.type];
    if (r.type === ContentType.change_cipher_spec) keyed = true;
    return t;
  });
}

describe('TLS 1.2 resumption with session IDs (RFC 5246 §7.3)', () => {
  it('a full handshake, then an abbreviated one: both sides report resumed, the client the original certificate', async () => {
    const config = serverConfig();
    const store = new TestStore();
    const c1 = await fullHandshake(store, config);
    expect(store.all()).toHaveLength(1);
    const kept = store.all()[0]!;
    expect(kept.sessionId.length).toBe(32);
    expect(kept.ticket.length).toBe(0);
    expect(kept.extendedMasterSecret).toBe(true);

    const c2 = TlsConnection.client(clientOpts(store));
    const s2 = TlsConnection.server(config);
    const ch = await firstFlight(c2);
    const flight = await respond(s2, ch);
    // RFC 5246 §7.3 Figure 2: ServerHello, ChangeCipherSpec, Finished; no certificate, no key exchange.
    expect(serverFlightTypes(flight)).toEqual([HandshakeType.server_hello, -ContentType.change_cipher_spec, -ContentType.handshake]);
    const sh = decode12(handshakeMessages(flight)[0]!, 'server_hello');
    expect(Buffer.from(sh.legacySessionIdEcho).equals(Buffer.from(kept.sessionId))).toBe(true);
    await deliver(c2, flight);
    await connect(c2, s2);
    expect(c2.info).toMatchObject({ resumed: true, version: 'TLSv1.2', cipherSuite: c1.info.cipherSuite, certificateErrors: [], certificateErrorSeverity: 'none', serverName: 'localhost' });
    expect(s2.info).toMatchObject({ resumed: true, version: 'TLSv1.2', cipherSuite: c1.info.cipherSuite, serverName: 'localhost' });
    expect(c2.info.peerCertificate).toEqual(c1.info.peerCertificate);
    expect(c2.info.signatureScheme).toBe(c1.info.signatureScheme);
    // New randoms, new keys: the exporter differs from the first connection's and agrees between the two sides.
    expect(c2.exportKeyingMaterial('EXPORTER-x', null, 32)).toEqual(s2.exportKeyingMaterial('EXPORTER-x', null, 32));
    expect(c2.exportKeyingMaterial('EXPORTER-x', null, 32)).not.toEqual(c1.exportKeyingMaterial('EXPORTER-x', null, 32));
  });

  it('the session stays resumable: a third connection resumes it again', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    for (let i = 0; i < 2; i++) {
      const c = TlsConnection.client(clientOpts(store));
      const s = TlsConnection.server(config);
      await connect(c, s);
      expect([c.info.resumed, s.info.resumed]).toEqual([true, true]);
      expect(store.all()).toHaveLength(1);
    }
  });

  it('a session is taken out of the store when offered (single use); a declined one is replaced by the new full session', async () => {
    const store = new TestStore();
    await fullHandshake(store, serverConfig());
    const first = store.all()[0]!;
    // Another server (its own cache) does not know the session: full handshake.
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(serverConfig());
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
    expect(store.all()).toHaveLength(1);
    expect(store.all()[0]).not.toBe(first);
  });

  it('the server cache expires: after sessionTimeout seconds the session gives a full handshake', async () => {
    let now = Date.now();
    const config = serverConfig({ sessionTimeout: 10, now: () => now });
    const store = new TestStore();
    await fullHandshake(store, config);
    now += 9_000;
    const c2 = TlsConnection.client(clientOpts(store));
    const s2 = TlsConnection.server(config);
    await connect(c2, s2);
    expect(s2.info.resumed).toBe(true);
    now += 2_000;
    const c3 = TlsConnection.client(clientOpts(store));
    const s3 = TlsConnection.server(config);
    await connect(c3, s3);
    expect([c3.info.resumed, s3.info.resumed]).toEqual([false, false]);
  });

  it('a clock that goes backwards expires the session too (never a negative age)', async () => {
    let now = Date.now();
    const config = serverConfig({ now: () => now });
    const store = new TestStore();
    await fullHandshake(store, config);
    now -= 1;
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect(s.info.resumed).toBe(false);
  });

  it('the server cache is bounded: with sessionCacheSize 2, the oldest of three sessions is gone', async () => {
    const config = serverConfig({ sessionCacheSize: 2 });
    const stores = [new TestStore(), new TestStore(), new TestStore()];
    for (const st of stores) await fullHandshake(st, config);
    const resumed: boolean[] = [];
    for (const st of [...stores].reverse()) {
      const c = TlsConnection.client(clientOpts(st));
      const s = TlsConnection.server(config);
      await connect(c, s);
      resumed.push(s.info.resumed);
    }
    // Newest first: the third and second sessions resume, the first was evicted.
    expect(resumed).toEqual([true, true, false]);
  });

  it('sessionCacheSize 0 turns session IDs off: no ID in the ServerHello, nothing kept', async () => {
    const config = serverConfig({ sessionCacheSize: 0 });
    const store = new TestStore();
    await fullHandshake(store, config);
    expect(store.all()).toHaveLength(0);
  });

  it('bad cache options are InvalidConfig', () => {
    expect(() => serverConfig({ sessionTimeout: 0 })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    expect(() => serverConfig({ sessionTimeout: 604801 })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    expect(() => serverConfig({ sessionCacheSize: -1 })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    expect(() => serverConfig({ sessionCacheSize: 1.5 })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
  });
});

describe('what may not change on resumption', () => {
  it('the session suite is not offered any more → the server does a full handshake with another suite (RFC 5246 §7.4.1.2)', async () => {
    const config = serverConfig({ cipherSuites: [AES128, AES256] });
    const store = new TestStore();
    await fullHandshake(store, config, { cipherSuites: [AES128] });
    // The client still holds the session but now offers only AES-256: it does not offer the session.
    const c = TlsConnection.client(clientOpts(store, { cipherSuites: [AES256] }));
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
    expect(c.info.cipherSuite).toBe(AES256);
  });

  it('a ClientHello naming the session but not offering its suite gets a full handshake from the server', async () => {
    const config = serverConfig({ cipherSuites: [AES128, AES256] });
    const store = new TestStore();
    await fullHandshake(store, config, { cipherSuites: [AES128] });
    const hooked = withTestHooks(clientOpts(store, { cipherSuites: [AES128, AES256] }), {
      clientHello: (ch) => ({ ...ch, cipherSuites: ch.cipherSuites.filter((x) => x !== CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) }),
    });
    const c = TlsConnection.client(hooked);
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
    expect(s.info.cipherSuite).toBe(AES256);
  });

  it('another server name in the ClientHello → full handshake (RFC 6066 §3)', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const hooked = withTestHooks(clientOpts(store), { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, serverName: 'other.localhost' } }) });
    const c = TlsConnection.client(hooked);
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
    expect(s.info.serverName).toBe('other.localhost');
  });

  it('the client keeps sessions per server name: another name offers nothing', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const c = TlsConnection.client(clientOpts(store, { servername: '127.0.0.1', ignorableCertificateErrors: ['InvalidName'] }));
    const ch = await firstFlight(c);
    const sent = decode12(handshakeMessages(ch)[0]!, 'client_hello');
    expect(sent.legacySessionId.length).toBe(0);
    expect(store.all()).toHaveLength(1);
  });

  it('the client keeps sessions per trust decision: other trust anchors offer nothing', async () => {
    const other = await generateTestPki({ keyType: 'ecdsa-p256' });
    const store = new TestStore();
    await fullHandshake(store, serverConfig());
    const c = TlsConnection.client(clientOpts(store, { ca: [pki.caCertPem, other.caCertPem] }));
    const sent = decode12(handshakeMessages(await firstFlight(c))[0]!, 'client_hello');
    expect(sent.legacySessionId.length).toBe(0);
  });
});

describe('the extended master secret on resumption (RFC 7627 §5.3)', () => {
  it('server: a ClientHello resuming an EMS session without the extension is aborted → HandshakeFailure/handshake_failure', async () => {
    const config = serverConfig({ requireExtendedMasterSecret: false });
    const store = new TestStore();
    await fullHandshake(store, config);
    const hooked = withTestHooks(clientOpts(store, { requireExtendedMasterSecret: false }), {
      clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }),
    });
    const c = TlsConnection.client(hooked);
    const s = TlsConnection.server(config);
    await deliver(s, await firstFlight(c));
    expectFailed(s, 'HandshakeFailure', 'handshake_failure');
    expect(s.error!.detail).toContain('RFC 7627');
    expect(alertsIn12(s.takeOutput())).toEqual([{ level: 2, description: AlertDescription.handshake_failure, protected: false }]);
  });

  it('server (default, EMS required): the same ClientHello is refused too', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const hooked = withTestHooks(clientOpts(store, { requireExtendedMasterSecret: false }), {
      clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }),
    });
    const c = TlsConnection.client(hooked);
    const s = TlsConnection.server(config);
    await deliver(s, await firstFlight(c));
    expectFailed(s, 'HandshakeFailure', 'handshake_failure');
  });

  it('a session without the extended master secret is never kept, on either side: the next connection is full', async () => {
    const config = serverConfig({ requireExtendedMasterSecret: false });
    const store = new TestStore();
    const noEms = withTestHooks(clientOpts(store, { requireExtendedMasterSecret: false }), {
      clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }),
    });
    const c1 = TlsConnection.client(noEms);
    const s1 = TlsConnection.server(config);
    const ch = await firstFlight(c1);
    const flight = await respond(s1, ch);
    // No session ID assigned to a session without EMS.
    expect(decode12(handshakeMessages(flight)[0]!, 'server_hello').legacySessionIdEcho.length).toBe(0);
    await deliver(c1, flight);
    await connect(c1, s1);
    expect(store.all()).toHaveLength(0);
  });

  it('client: a server resuming an EMS session without the extension → HandshakeFailure/handshake_failure', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const c = TlsConnection.client(clientOpts(store, { requireExtendedMasterSecret: false }));
    const s = TlsConnection.server(config);
    const flight = await respond(s, await firstFlight(c));
    const msgs = handshakeMessages(flight);
    const sh = decode12(msgs[0]!, 'server_hello');
    const ext = sh.extensions as ServerHello12Extensions;
    expect(ext.extendedMasterSecret).toBe(true);
    ext.extendedMasterSecret = undefined;
    const recs = parseRecords(flight);
    await deliver(c, new Uint8Array([...handshakeRecords([encode12(sh)]), ...encodeRecords(recs.slice(1))]));
    expectFailed(c, 'HandshakeFailure', 'handshake_failure');
    expect(c.error!.detail).toContain('RFC 7627');
  });
});

describe('a wrong Finished in the abbreviated handshake → DecryptError/decrypt_error (RFC 5246 §7.4.9)', () => {
  async function resumedFlight(): Promise<{ c: TlsConnection; s: TlsConnection; ch: Uint8Array; flight: Uint8Array; k: Keys12; store: TestStore; config: ServerConfig }> {
    const keys = new KeyLog();
    const config = serverConfig({ keyLog: keys.fn });
    const store = new TestStore();
    await fullHandshake(store, config);
    const kept = store.all()[0]!;
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    const ch = await firstFlight(c);
    const flight = await respond(s, ch);
    // The session is out of the store while offered; put a copy back to try it again later.
    store.put(kept.storeKey, kept);
    return { c, s, ch, flight, k: Keys12.from(keys, hellosOf(ch, flight)), store, config };
  }

  it('the server Finished altered (re-sealed with the right keys): the client refuses it', async () => {
    const { c, s, flight, k } = await resumedFlight();
    const recs = parseRecords(flight);
    const [fin] = openRecords12([recs[2]!], k.protector('server'), true);
    expect(fin!.content[0]).toBe(HandshakeType.finished);
    const bad = k.protector('server').seal(ContentType.handshake, flip(fin!.content, 5));
    await deliver(c, new Uint8Array([...encodeRecords(recs.slice(0, 2)), ...bad]));
    expectFailed(c, 'DecryptError', 'decrypt_error');
    expect(c.info.resumed).toBe(true);
    void s;
  });

  it('the client Finished altered: the server refuses it, with a protected alert, and forgets the session', async () => {
    const { c, s, flight, k, store, config } = await resumedFlight();
    const answer = await respond(c, flight);
    const recs = parseRecords(answer);
    expect(recs.map((r) => r.type)).toEqual([ContentType.change_cipher_spec, ContentType.handshake]);
    const [fin] = openRecords12([recs[1]!], k.protector('client'), true);
    const bad = k.protector('client').seal(ContentType.handshake, flip(fin!.content, -1));
    await deliver(s, new Uint8Array([...encodeRecords(recs.slice(0, 1)), ...bad]));
    expectFailed(s, 'DecryptError', 'decrypt_error');
    // The server had already switched its write side (its CCS went first): the alert is protected.
    expect(alertsIn12(s.takeOutput(), k.protector('server', 1n))).toEqual([{ level: 2, description: AlertDescription.decrypt_error, protected: true }]);
    // RFC 5246 §7.2: the failed session's ID is invalidated: the next connection offering it gets a full handshake.
    const c3 = TlsConnection.client(clientOpts(store));
    const s3 = TlsConnection.server(config);
    await connect(c3, s3);
    expect(s3.info.resumed).toBe(false);
  });

  it('a stored session with a wrong master secret: nothing authenticates, the client fails (bad_record_mac)', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const s0 = store.all()[0]!;
    store.byKey.set(s0.storeKey, [{ ...s0, masterSecret: flip(s0.masterSecret, 0) }]);
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    await pump(c, s);
    expect(c.error?.status).toBe('BadRecordMac');
    expect(s.error).not.toBeNull();
  });
});

describe('server: a connection ended by a fatal alert is not resumed (RFC 5246 §7.2.2)', () => {
  /** A full handshake whose session the client keeps; returns the pair, the kept session and the config. */
  async function established(): Promise<{ c: TlsConnection; s: TlsConnection; kept: Tls12Session; store: TestStore; config: ServerConfig }> {
    const config = serverConfig();
    const store = new TestStore();
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    await connect(c, s);
    return { c, s, kept: store.all()[0]!, store, config };
  }

  /** Offers `kept` (the client's copy, put back in its store) to a new server connection; true when it resumed. */
  async function serverResumes(kept: Tls12Session, config: ServerConfig): Promise<boolean> {
    const store = new TestStore();
    store.put(kept.storeKey, kept);
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect(c.info.resumed).toBe(s.info.resumed);
    return s.info.resumed === true;
  }

  /** An application_data record that cannot open. */
  const garbage = new Uint8Array([ContentType.application_data, 3, 3, 0, 40, ...new Uint8Array(40).fill(7)]);

  it('a clean close keeps the session: it resumes, and resumes again after a resumed connection closed cleanly', async () => {
    const { c, s, kept, config } = await established();
    c.close();
    s.close();
    await pump(c, s);
    expect(await serverResumes(kept, config)).toBe(true);
    expect(await serverResumes(kept, config)).toBe(true);
  });

  it('our fatal alert after the full handshake (a record that does not open): the session ID is forgotten', async () => {
    const { s, kept, config } = await established();
    await deliver(s, garbage);
    expectFailed(s, 'BadRecordMac', 'bad_record_mac');
    expect(await serverResumes(kept, config)).toBe(false);
  });

  it("the client's fatal alert after the full handshake: the session ID is forgotten", async () => {
    const { c, s, kept, config } = await established();
    await deliver(c, garbage);
    expectFailed(c, 'BadRecordMac', 'bad_record_mac');
    await deliver(s, c.takeOutput());
    expect(s.error?.status).toBe('AlertReceived');
    expect(s.error?.alert).toBe(AlertDescription.bad_record_mac);
    expect(await serverResumes(kept, config)).toBe(false);
  });

  it('our fatal alert on a resumed connection: the session it resumed is forgotten', async () => {
    const { kept, config } = await established();
    const store = new TestStore();
    store.put(kept.storeKey, kept);
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect(s.info.resumed).toBe(true);
    await deliver(s, garbage);
    expectFailed(s, 'BadRecordMac', 'bad_record_mac');
    expect(await serverResumes(kept, config)).toBe(false);
  });

  it('a connection cut without close_notify keeps it (RFC 5246 §7.2.1: since TLS 1.1 that no longer stops resumption)', async () => {
    const { s, kept, config } = await established();
    s.end();
    expect(s.error?.status).toBe('Truncated');
    expect(await serverResumes(kept, config)).toBe(true);
  });
});

describe('hostile server or man in the middle', () => {
  it('a TLS 1.2 ServerHello echoing our TLS 1.3 compatibility session ID (never offered for resumption) → IllegalParameter/illegal_parameter', async () => {
    const store = new TestStore();
    const c = TlsConnection.client(clientOpts(store, { maxVersion: 'TLSv1.3' }));
    const s = TlsConnection.server(serverConfig({ maxVersion: 'TLSv1.2' }));
    const ch = await firstFlight(c);
    const sent = decode12(handshakeMessages(ch)[0]!, 'client_hello');
    expect(sent.legacySessionId.length).toBe(32);
    const flight = await respond(s, ch);
    const msgs = handshakeMessages(flight);
    const sh = decode12(msgs[0]!, 'server_hello');
    sh.legacySessionIdEcho = sent.legacySessionId;
    await deliver(c, handshakeRecords([encode12(sh), ...msgs.slice(1)]));
    expectFailed(c, 'IllegalParameter', 'illegal_parameter');
    expect(c.error!.detail).toContain('did not offer');
  });

  it('a server that resumes our session with another suite → IllegalParameter/illegal_parameter', async () => {
    const config = serverConfig({ cipherSuites: [AES128, AES256] });
    const store = new TestStore();
    await fullHandshake(store, config, { cipherSuites: [AES128, AES256] });
    expect(store.all()[0]!.cipherSuite).toBe(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    const c = TlsConnection.client(clientOpts(store, { cipherSuites: [AES128, AES256] }));
    const s = TlsConnection.server(config);
    const flight = await respond(s, await firstFlight(c));
    const recs = parseRecords(flight);
    const sh = decode12(handshakeMessages(flight)[0]!, 'server_hello');
    sh.cipherSuite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    await deliver(c, new Uint8Array([...handshakeRecords([encode12(sh)]), ...encodeRecords(recs.slice(1))]));
    expectFailed(c, 'IllegalParameter', 'illegal_parameter');
    expect(c.error!.detail).toContain('resumes');
  });

  it('a server that echoes our session ID but goes on with a full handshake: Certificate where CCS belongs → UnexpectedMessage', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const c = TlsConnection.client(clientOpts(store));
    const ch = await firstFlight(c);
    const offered = decode12(handshakeMessages(ch)[0]!, 'client_hello').legacySessionId;
    // A server without the session, answering with a full flight whose ServerHello is edited to echo the ID.
    const s = TlsConnection.server(serverConfig());
    const msgs = handshakeMessages(await respond(s, ch));
    const sh = decode12(msgs[0]!, 'server_hello');
    sh.legacySessionIdEcho = offered;
    await deliver(c, handshakeRecords([encode12(sh), ...msgs.slice(1)]));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a ChangeCipherSpec right after a full-handshake ServerHello (resumption claimed without echoing the ID) → UnexpectedMessage', async () => {
    const config = serverConfig();
    const store = new TestStore();
    await fullHandshake(store, config);
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(config);
    const flight = await respond(s, await firstFlight(c));
    const recs = parseRecords(flight);
    const sh = decode12(handshakeMessages(flight)[0]!, 'server_hello');
    sh.legacySessionIdEcho = new Uint8Array(32).fill(7);
    await deliver(c, new Uint8Array([...handshakeRecords([encode12(sh)]), ...encodeRecords(recs.slice(1))]));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('TLS 1.2 resumption with RFC 5077 tickets', () => {
  const withTickets = (extra: Partial<ServerOptions> = {}): ServerConfig => serverConfig({ sessionTickets: 2, ...extra });

  it('full handshake with a NewSessionTicket before the server CCS, then resumed by the ticket with a fresh one; the fresh one resumes again', async () => {
    const config = withTickets();
    const store = new TestStore();
    const c1 = TlsConnection.client(clientOpts(store));
    const s1 = TlsConnection.server(config);
    const ch1 = await firstFlight(c1);
    expect(decode12(handshakeMessages(ch1)[0]!, 'client_hello').extensions.sessionTicket).toEqual(new Uint8Array(0));
    const f1 = await respond(s1, ch1);
    const sh1 = decode12(handshakeMessages(f1)[0]!, 'server_hello');
    expect((sh1.extensions as ServerHello12Extensions).sessionTicket).toBe(true);
    // A ticket carries the session: no session ID is assigned (nothing cached server-side).
    expect(sh1.legacySessionIdEcho.length).toBe(0);
    const cf = await respond(c1, f1);
    const f2 = await respond(s1, cf);
    // RFC 5077 §3.1 Figure 1: NewSessionTicket, then ChangeCipherSpec and Finished.
    expect(serverFlightTypes(f2)).toEqual([HandshakeType.new_session_ticket, -ContentType.change_cipher_spec, -ContentType.handshake]);
    await deliver(c1, f2);
    await connect(c1, s1);
    const t1 = store.all()[0]!;
    expect(t1.ticket.length).toBeGreaterThan(0);
    expect(t1.sessionId.length).toBe(0);

    const c2 = TlsConnection.client(clientOpts(store));
    const s2 = TlsConnection.server(config);
    const ch2 = await firstFlight(c2);
    const sent = decode12(handshakeMessages(ch2)[0]!, 'client_hello');
    expect(sent.extensions.sessionTicket).toEqual(t1.ticket);
    // RFC 5077 §3.4: a fresh random session ID goes with the ticket, to recognise the server's echo.
    expect(sent.legacySessionId.length).toBe(32);
    const f3 = await respond(s2, ch2);
    // RFC 5077 §3.1 Figure 2: ServerHello (ID echoed), NewSessionTicket, ChangeCipherSpec, Finished.
    expect(serverFlightTypes(f3)).toEqual([HandshakeType.server_hello, HandshakeType.new_session_ticket, -ContentType.change_cipher_spec, -ContentType.handshake]);
    expect(decode12(handshakeMessages(f3)[0]!, 'server_hello').legacySessionIdEcho).toEqual(sent.legacySessionId);
    await deliver(c2, f3);
    await connect(c2, s2);
    expect([c2.info.resumed, s2.info.resumed]).toEqual([true, true]);
    expect(c2.info.peerCertificate).toEqual(c1.info.peerCertificate);
    const t2 = store.all();
    expect(t2).toHaveLength(1);
    expect(t2[0]!.ticket).not.toEqual(t1.ticket);

    const c3 = TlsConnection.client(clientOpts(store));
    const s3 = TlsConnection.server(config);
    await connect(c3, s3);
    expect([c3.info.resumed, s3.info.resumed]).toEqual([true, true]);
  });

  it('the same ticket replayed by a second client still resumes (TLS 1.2 tickets are stateless) — the client side never offers it twice', async () => {
    const config = withTickets();
    const store = new TestStore();
    await fullHandshake(store, config);
    const t = store.all()[0]!;
    const c2 = TlsConnection.client(clientOpts(store));
    await connect(c2, TlsConnection.server(config));
    // The store no longer holds t: it was taken (single use) and replaced by the fresh ticket.
    expect(store.all().some((x) => Buffer.from(x.ticket).equals(Buffer.from(t.ticket)))).toBe(false);
    // Someone who copied t (the client's own store, leaked) can still resume with it until it expires:
    // RFC 5077 §5.7/§5.8 — a ticket is a bearer credential, bounded by its lifetime.
    const thief = new TestStore();
    thief.put(t.storeKey, t);
    const c3 = TlsConnection.client(clientOpts(thief));
    const s3 = TlsConnection.server(config);
    await connect(c3, s3);
    expect(s3.info.resumed).toBe(true);
  });

  it('a ticket sealed under other keys (another server) → full handshake', async () => {
    const store = new TestStore();
    await fullHandshake(store, withTickets());
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(withTickets());
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
  });

  it('a tampered ticket → full handshake, whichever byte is changed', async () => {
    const config = withTickets();
    for (const at of [0, 20, 40, -1]) {
      const store = new TestStore();
      await fullHandshake(store, config);
      const t = store.all()[0]!;
      store.byKey.set(t.storeKey, [{ ...t, ticket: flip(t.ticket, at) }]);
      const c = TlsConnection.client(clientOpts(store));
      const s = TlsConnection.server(config);
      await connect(c, s);
      expect([at, c.info.resumed, s.info.resumed]).toEqual([at, false, false]);
    }
  });

  it('key rotation: a ticket under the previous key still resumes; after a second rotation → full handshake', async () => {
    const keys = new TicketKeySet();
    const config = withTickets({ ticketKeys: keys });
    const store = new TestStore();
    await fullHandshake(store, config);
    keys.rotateTicketKeys();
    const c2 = TlsConnection.client(clientOpts(store));
    const s2 = TlsConnection.server(config);
    await connect(c2, s2);
    expect(s2.info.resumed).toBe(true);
    keys.rotateTicketKeys();
    keys.rotateTicketKeys();
    const c3 = TlsConnection.client(clientOpts(store));
    const s3 = TlsConnection.server(config);
    await connect(c3, s3);
    expect(s3.info.resumed).toBe(false);
  });

  it('servers sharing ticket keys (Node 48-byte form) resume each other\'s tickets', async () => {
    const keys = new TicketKeySet();
    const store = new TestStore();
    await fullHandshake(store, withTickets({ ticketKeys: keys }));
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(withTickets({ ticketKeys: keys.exportNodeTicketKeys() }));
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([true, true]);
  });

  it('an expired ticket (older than sessionTimeout) → full handshake', async () => {
    let now = Date.now();
    const config = withTickets({ sessionTimeout: 60, now: () => now });
    const store = new TestStore();
    await fullHandshake(store, config, { now: () => now });
    expect(store.all()[0]!.lifetime).toBe(60);
    now += 61_000;
    // The client would not offer it either (its expiry follows the hint): force the offer.
    const t = store.all()[0]!;
    store.byKey.set(t.storeKey, [{ ...t, expiresAt: now + 1000 }]);
    const c = TlsConnection.client(clientOpts(store, { now: () => now }));
    const s = TlsConnection.server(config);
    await connect(c, s);
    expect([c.info.resumed, s.info.resumed]).toEqual([false, false]);
  });

  it('the client does not offer a ticket past its lifetime hint', async () => {
    let now = Date.now();
    const config = withTickets({ sessionTimeout: 60, now: () => now });
    const store = new TestStore();
    await fullHandshake(store, config, { now: () => now });
    now += 60_000;
    const c = TlsConnection.client(clientOpts(store, { now: () => now }));
    const sent = decode12(handshakeMessages(await firstFlight(c))[0]!, 'client_hello');
    expect(sent.extensions.sessionTicket).toEqual(new Uint8Array(0));
  });

  it('another server name with a valid ticket → full handshake (RFC 6066 §3)', async () => {
    const config = withTickets();
    const store = new TestStore();
    await fullHandshake(store, config);
    const hooked = withTestHooks(clientOpts(store), { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, serverName: 'other.localhost' } }) });
    const s = TlsConnection.server(config);
    await connect(TlsConnection.client(hooked), s);
    expect(s.info.resumed).toBe(false);
  });

  it('a ticket offered without the extended master secret → HandshakeFailure/handshake_failure (RFC 7627 §5.3)', async () => {
    const config = withTickets({ requireExtendedMasterSecret: false });
    const store = new TestStore();
    await fullHandshake(store, config);
    const hooked = withTestHooks(clientOpts(store, { requireExtendedMasterSecret: false }), {
      clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }),
    });
    const s = TlsConnection.server(config);
    await deliver(s, await firstFlight(TlsConnection.client(hooked)));
    expectFailed(s, 'HandshakeFailure', 'handshake_failure');
  });

  it('a client without a store sends no SessionTicket extension and gets no ticket', async () => {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: false });
    const sent = decode12(handshakeMessages(await firstFlight(c))[0]!, 'client_hello');
    expect(sent.extensions.sessionTicket).toBeUndefined();
  });

  it('a TLS 1.3 ticket from the same keys is never taken for a TLS 1.2 one (its state is refused: full handshake)', async () => {
    const keys = new TicketKeySet();
    const store13 = new TestStore();
    const c13 = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, sessionStore: store13 });
    const s13 = TlsConnection.server(withTickets({ ticketKeys: keys }));
    await connect(c13, s13);
    const t13 = [...store13.byKey.values()].flat()[0]!;
    expect(t13.version).toBe('TLSv1.3');
    // A 1.2 ClientHello carrying the 1.3 ticket in its SessionTicket extension.
    const store = new TestStore();
    const hooked = withTestHooks(clientOpts(store), { clientHello: (ch) => ({ ...ch, legacySessionId: new Uint8Array(32).fill(1), extensions: { ...ch.extensions, sessionTicket: t13.ticket } }) });
    const s = TlsConnection.server(withTickets({ ticketKeys: keys }));
    await connect(TlsConnection.client(hooked), s);
    expect(s.info.resumed).toBe(false);
  });
});

describe('client certificates and resumption (the full handshake settled the question)', () => {
  let clientId: TestPki;
  beforeAll(async () => {
    clientId = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
  });

  for (const tickets of [0, 2]) {
    it(`${tickets ? 'ticket' : 'session ID'}: a resumed session reports the client certificate of its full handshake on the server`, async () => {
      const config = serverConfig({ requireCert: true, ca: clientId.caCertPem, sessionTickets: tickets });
      const store = new TestStore();
      const id = { cert: clientId.chainPem, key: clientId.keyPem };
      const s1 = TlsConnection.server(config);
      await connect(TlsConnection.client(clientOpts(store, id)), s1);
      const c2 = TlsConnection.client(clientOpts(store, id));
      const s2 = TlsConnection.server(config);
      await connect(c2, s2);
      expect([c2.info.resumed, s2.info.resumed]).toEqual([true, true]);
      expect(s2.info.peerCertificate).toEqual(s1.info.peerCertificate);
      expect(s2.info.peerCertificate).not.toBeNull();
    });
  }

  // A session-ID cache belongs to one config, whose policy cannot change; tickets outlive configs that share keys.
  it('ticket: a session made without a client certificate does not satisfy requireCert → full handshake (which then fails without one)', async () => {
    const open = serverConfig({ requestCert: true, ca: clientId.caCertPem, sessionTickets: 2, ticketKeys: sharedKeys });
    const strict = serverConfig({ requireCert: true, ca: clientId.caCertPem, sessionTickets: 2, ticketKeys: sharedKeys });
    const store = new TestStore();
    await connect(TlsConnection.client(clientOpts(store)), TlsConnection.server(open));
    expect(store.all()).toHaveLength(1);
    const c = TlsConnection.client(clientOpts(store));
    const s = TlsConnection.server(strict);
    await pump(c, s);
    expect(s.info.resumed).toBe(false);
    expect(s.error?.status).toBe('HandshakeFailure');
  });
});
const sharedKeys = new TicketKeySet();

describe('whatever a client puts in the SessionTicket extension or the session ID', () => {
  it('random tickets and session IDs never resume and never fail the handshake (fast-check)', async () => {
    const config = serverConfig({ sessionTickets: 2 });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.uint8Array({ minLength: 0, maxLength: 32 }), async (ticket, id) => {
        const hooked = withTestHooks(clientOpts(new TestStore()), { clientHello: (ch) => ({ ...ch, legacySessionId: id, extensions: { ...ch.extensions, sessionTicket: ticket } }) });
        const c = TlsConnection.client(hooked);
        const s = TlsConnection.server(config);
        await pump(c, s);
        expect(s.error).toBeNull();
        expect(c.error).toBeNull();
        expect(s.info.resumed).toBe(false);
      }),
      { numRuns: 25 },
    );
  });
});
