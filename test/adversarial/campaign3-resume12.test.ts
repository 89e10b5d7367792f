/**
 * Third adversarial campaign, part 2: TLS 1.2 resumption from the client side against a hostile
 * server (RFC 5077 NewSessionTicket at the wrong time or malformed, a SessionTicket extension
 * we did not offer, an echoed session ID with another version). The cases already in
 * test/engine/resume12.test.ts (other suite, full flight after an echo, missing EMS, other
 * server name) are not repeated.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { createServerConfig, type ServerConfig } from '../../src/engine/setup.js';
import type { ResumableSession, Tls12Session } from '../../src/session/session.js';
import type { SessionStore } from '../../src/session/store.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { FaultPipe } from '../../src/testing/index.js';
import { Relay12 } from '../helpers/tls12.js';
import { KeyLog, deliver, encodeRecords, firstFlight, hsMessage, parseRecords, respond, plain } from '../helpers/mitm.js';
import { decode12, encode12, handshakeMessages, handshakeRecords } from '../helpers/tls12.js';
import { expectFailed } from '../helpers/hostile-peer.js';
import type { ServerHello12Extensions } from '../../src/wire/messages.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

class Store implements SessionStore {
  readonly m = new Map<string, ResumableSession[]>();
  get(k: string): ResumableSession | undefined {
    const l = this.m.get(k);
    return l?.[l.length - 1];
  }
  put(k: string, s: ResumableSession): void {
    this.m.set(k, [...(this.m.get(k) ?? []), s]);
  }
  delete(k: string, s: ResumableSession): void {
    this.m.set(k, (this.m.get(k) ?? []).filter((x) => x !== s));
  }
  all(): Tls12Session[] {
    return [...this.m.values()].flat().filter((x): x is Tls12Session => x.version === 'TLSv1.2');
  }
}

const opts = (store?: Store, extra: ClientOptions = {}): ClientOptions => ({
  servername: 'localhost',
  ca: pki.caCertPem,
  maxVersion: 'TLSv1.2',
  ...(store ? { sessionStore: store } : {}),
  ...extra,
});
const server = (extra: Partial<ServerOptions> = {}): ServerConfig => createServerConfig({ cert: pki.chainPem, key: pki.keyPem, ...extra });

async function connect(c: TlsConnection, s: TlsConnection): Promise<void> {
  await pump(c, s);
  expect(c.error).toBeNull();
  expect(s.error).toBeNull();
  c.write(new Uint8Array([1, 2, 3]));
  await pump(c, s);
  expect(readAll(s)).toEqual(new Uint8Array([1, 2, 3]));
}

/** A full handshake up to the server's last flight (NewSessionTicket?, CCS, Finished), not yet delivered. */
async function upToLastFlight(store: Store | undefined, config: ServerConfig, extra: ClientOptions = {}): Promise<{ c: TlsConnection; last: Uint8Array }> {
  const c = TlsConnection.client(opts(store, extra));
  const s = TlsConnection.server(config);
  const f1 = await respond(s, await firstFlight(c));
  const cf = await respond(c, f1);
  const last = await respond(s, cf);
  return { c, last };
}

/** The NewSessionTicket body: lifetime hint (4 bytes), then ticket<0..2^16-1>. */
function nstBody(hint: number, ticket: Uint8Array, declaredLen = ticket.length): Uint8Array {
  const b = new Uint8Array(6 + ticket.length);
  new DataView(b.buffer).setUint32(0, hint);
  new DataView(b.buffer).setUint16(4, declaredLen);
  b.set(ticket, 6);
  return b;
}

describe('campaign3: TLS 1.2 NewSessionTicket from a hostile server (client side)', () => {
  it('control: the genuine last flight (NST, CCS, Finished) completes and stores the ticket', async () => {
    const store = new Store();
    const config = server({ sessionTickets: 2 });
    const { c, last } = await upToLastFlight(store, config);
    expect(parseRecords(last)[0]!.fragment[0]).toBe(HandshakeType.new_session_ticket);
    await deliver(c, last);
    expect(c.error).toBeNull();
    expect(c.handshakeComplete).toBe(true);
    expect(store.all()[0]!.ticket.length).toBeGreaterThan(0);
  });

  it('a NewSessionTicket the ServerHello did not announce (no SessionTicket extension) → UnexpectedMessage, nothing stored', async () => {
    const store = new Store();
    // A server without tickets (session IDs only): its last flight is CCS, Finished.
    const { c, last } = await upToLastFlight(store, server({ sessionTickets: 0 }));
    const nst = hsMessage(HandshakeType.new_session_ticket, nstBody(7200, new Uint8Array(64).fill(9)));
    await deliver(c, new Uint8Array([...encodeRecords([plain(ContentType.handshake, nst)]), ...last]));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
    expect(store.all()).toEqual([]);
  });

  it('two NewSessionTickets before the CCS → UnexpectedMessage (not a Finished mismatch)', async () => {
    const store = new Store();
    const { c, last } = await upToLastFlight(store, server({ sessionTickets: 2 }));
    const recs = parseRecords(last);
    const nstRec = recs[0]!;
    expect(nstRec.fragment[0]).toBe(HandshakeType.new_session_ticket);
    await deliver(c, new Uint8Array([...encodeRecords([nstRec, nstRec]), ...encodeRecords(recs.slice(1))]));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
    expect(store.all()).toEqual([]);
  });

  it('the announced NewSessionTicket missing (CCS straight away) → UnexpectedMessage', async () => {
    const store = new Store();
    const { c, last } = await upToLastFlight(store, server({ sessionTickets: 2 }));
    await deliver(c, encodeRecords(parseRecords(last).slice(1)));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
    expect(store.all()).toEqual([]);
  });

  it.each([
    ['lifetime only (no ticket length)', (() => { const b = new Uint8Array(4); return b; })()],
    ['ticket length past the body', nstBody(100, new Uint8Array(10), 11)],
    ['trailing byte after the ticket', new Uint8Array([...nstBody(100, new Uint8Array(10)), 0])],
    ['empty body', new Uint8Array(0)],
  ])('a malformed NewSessionTicket (%s) → DecodeError/decode_error, nothing stored', async (_name, body) => {
    const store = new Store();
    const { c, last } = await upToLastFlight(store, server({ sessionTickets: 2 }));
    const recs = parseRecords(last);
    const bad = plain(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, body));
    await deliver(c, new Uint8Array([...encodeRecords([bad]), ...encodeRecords(recs.slice(1))]));
    expectFailed(c, 'DecodeError', 'decode_error');
    expect(store.all()).toEqual([]);
  });

  it('a SessionTicket extension in the ServerHello when we sent none (no store) → UnsupportedExtension (RFC 5246 §7.4.1.4)', async () => {
    const c = TlsConnection.client(opts(undefined, { sessionStore: false }));
    const ch = await firstFlight(c);
    expect(decode12(handshakeMessages(ch)[0]!, 'client_hello').extensions.sessionTicket).toBeUndefined();
    const s = TlsConnection.server(server({ sessionTickets: 2 }));
    const f1 = await respond(s, ch);
    const msgs = handshakeMessages(f1);
    const sh = decode12(msgs[0]!, 'server_hello');
    (sh.extensions as ServerHello12Extensions).sessionTicket = true;
    await deliver(c, handshakeRecords([encode12(sh), ...msgs.slice(1)]));
    expectFailed(c, 'UnsupportedExtension', 'unsupported_extension');
  });

  it('a server that echoes our session ID but says TLS 1.1 → the client refuses (never resumes below its minimum)', async () => {
    const store = new Store();
    const config = server({ sessionTickets: 0 });
    await connect(TlsConnection.client(opts(store)), TlsConnection.server(config));
    expect(store.all()).toHaveLength(1);
    const c = TlsConnection.client(opts(store));
    const s = TlsConnection.server(config);
    const f = await respond(s, await firstFlight(c));
    const recs = parseRecords(f);
    const sh = decode12(handshakeMessages(f)[0]!, 'server_hello');
    sh.legacyVersion = 0x0302;
    await deliver(c, new Uint8Array([...handshakeRecords([encode12(sh)]), ...encodeRecords(recs.slice(1))]));
    expect(c.phase).toBe('failed');
    expect(['ProtocolVersion', 'IllegalParameter']).toContain(c.error!.status);
    expect(c.info.resumed).not.toBe(true);
  });

  it('a zero-length ticket (RFC 5077 §3.3: "no ticket after all") completes the handshake and stores nothing to offer as a ticket', async () => {
    const store = new Store();
    const config = server({ sessionTickets: 2 });
    const c = TlsConnection.client(opts(store));
    const s = TlsConnection.server(config);
    const f1 = await respond(s, await firstFlight(c));
    const cf = await respond(c, f1);
    const last = await respond(s, cf);
    const recs = parseRecords(last);
    const empty = plain(ContentType.handshake, hsMessage(HandshakeType.new_session_ticket, nstBody(0, new Uint8Array(0))));
    // The transcript changes, so the Finished cannot match: the client must fail, with a TlsError,
    // and must not keep an empty ticket either way.
    await deliver(c, new Uint8Array([...encodeRecords([empty]), ...encodeRecords(recs.slice(1))]));
    expect(c.error).not.toBeNull();
    expect(store.all().filter((x) => x.ticket.length === 0 && x.sessionId.length === 0)).toEqual([]);
  });

  it('a NewSessionTicket after the handshake (protected, TLS 1.2 has no post-handshake tickets) → UnexpectedMessage, the injected ticket not stored', async () => {
    const keys = new KeyLog();
    const store = new Store();
    const c = TlsConnection.client(opts(store, { keyLog: keys.fn }));
    const s = TlsConnection.server(server({ sessionTickets: 2, keyLog: keys.fn }));
    const relay = new Relay12(keys);
    await new FaultPipe(c, s, { tamper: relay.tamper, read: 'never' }).settle();
    expect(c.error).toBeNull();
    expect(c.handshakeComplete).toBe(true);
    const before = store.all().map((x) => x.ticket);
    expect(before).toHaveLength(1);
    const nst = hsMessage(HandshakeType.new_session_ticket, nstBody(7200, new Uint8Array(48).fill(5)));
    await deliver(c, relay.inject('s2c', ContentType.handshake, nst));
    expectFailed(c, 'UnexpectedMessage', 'unexpected_message');
    expect(store.all().some((x) => x.ticket.length === 48 && x.ticket.every((b) => b === 5))).toBe(false);
  });

  // F4 of the campaign (fixed in the engine's failure path: HandshakeOutput.sessionInUse): RFC 5246
  // §7.2.2 "any connection terminated with a fatal alert MUST NOT be resumed" (OpenSSL removes
  // the session from its cache when it sends a fatal alert). The client kept the session of a
  // TLS 1.2 connection that later failed fatally.
  it('RFC 5246 §7.2.2: after a fatal alert post-handshake, the connection\'s TLS 1.2 session is no longer offered', async () => {
    const keys = new KeyLog();
    const store = new Store();
    const config = server({ sessionTickets: 0, keyLog: keys.fn });
    const c = TlsConnection.client(opts(store, { keyLog: keys.fn }));
    const s = TlsConnection.server(config);
    const relay = new Relay12(keys);
    await new FaultPipe(c, s, { tamper: relay.tamper, read: 'never' }).settle();
    expect(c.handshakeComplete).toBe(true);
    expect(store.all()).toHaveLength(1);
    // A protected record of an unknown content type: unexpected_message, fatal.
    await deliver(c, relay.inject('s2c', 99, new Uint8Array([1])));
    expect(c.phase).toBe('failed');
    expect(store.all()).toEqual([]);
  });

  it('RFC 5246 §7.2.2: a resumed TLS 1.2 connection that ends with a fatal alert takes its session with it; a clean close keeps it', async () => {
    const keys = new KeyLog();
    const store = new Store();
    const config = server({ sessionTickets: 0, keyLog: keys.fn });
    const first = TlsConnection.client(opts(store, { keyLog: keys.fn }));
    await new FaultPipe(first, TlsConnection.server(config), { read: 'never' }).settle();
    expect(store.all()).toHaveLength(1);
    // Resumed, then closed cleanly: the session stays.
    const clean = TlsConnection.client(opts(store, { keyLog: keys.fn }));
    await new FaultPipe(clean, TlsConnection.server(config), { read: 'never' }).settle();
    expect(clean.info.resumed).toBe(true);
    clean.close();
    expect(store.all()).toHaveLength(1);
    // Resumed, then a fatal alert: the session is gone.
    const c = TlsConnection.client(opts(store, { keyLog: keys.fn }));
    const relay = new Relay12(keys);
    await new FaultPipe(c, TlsConnection.server(config), { tamper: relay.tamper, read: 'never' }).settle();
    expect(c.info.resumed).toBe(true);
    await deliver(c, relay.inject('s2c', 99, new Uint8Array([1])));
    expect(c.phase).toBe('failed');
    expect(store.all()).toEqual([]);
  });
});
