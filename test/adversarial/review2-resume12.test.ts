/**
 * Review of the TLS 1.2 §7.2.2 fix (HandshakeOutput.sessionInUse): the other paths that keep a
 * session. A resumption with a ticket that the server renews (RFC 5077 §3.4: a fresh
 * NewSessionTicket in the abbreviated handshake) stores a new session: a fatal alert afterwards
 * must remove that one, not only the one it resumed (already taken out of the store).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { createClientConfig, createServerConfig, type ClientConfig, type ServerConfig } from '../../src/engine/setup.js';
import { TlsError } from '../../src/base/errors.js';
import { createHash } from 'node:crypto';
import type { ResumableSession, Tls12Session } from '../../src/session/session.js';
import { MemorySessionStore, type SessionStore } from '../../src/session/store.js';
import { FaultPipe, pump } from '../../src/testing/index.js';
import { Relay12 } from '../helpers/tls12.js';
import { KeyLog, deliver } from '../helpers/mitm.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Compares by identity, as a store may (SessionStore.delete's documentation allows both). */
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

const opts = (store: SessionStore, extra: ClientOptions = {}): ClientOptions => ({
  servername: 'localhost',
  ca: pki.caCertPem,
  maxVersion: 'TLSv1.2',
  sessionStore: store,
  ...extra,
});
const server = (extra: Partial<ServerOptions> = {}): ServerConfig => createServerConfig({ cert: pki.chainPem, key: pki.keyPem, ...extra });

describe('review2: TLS 1.2 sessions after a fatal alert (RFC 5246 §7.2.2), the renewed-ticket path', () => {
  for (const kind of ['identity store', 'MemorySessionStore'] as const) {
    it(`${kind}: a resumption whose ticket the server renewed, then a fatal alert: the renewed session is not offered again`, async () => {
      const keys = new KeyLog();
      const store = kind === 'identity store' ? new Store() : new MemorySessionStore();
      const config = server({ keyLog: keys.fn });
      const first = TlsConnection.client(opts(store, { keyLog: keys.fn }));
      await new FaultPipe(first, TlsConnection.server(config), { read: 'never' }).settle();
      expect(first.handshakeComplete).toBe(true);
      // Resumed with the ticket; the server sends a fresh one (RFC 5077 §3.4), which is kept.
      const c = TlsConnection.client(opts(store, { keyLog: keys.fn }));
      const relay = new Relay12(keys);
      await new FaultPipe(c, TlsConnection.server(config), { tamper: relay.tamper, read: 'never' }).settle();
      expect(c.info.resumed).toBe(true);
      // A protected record of an unknown content type: unexpected_message, fatal.
      await deliver(c, relay.inject('s2c', 99, new Uint8Array([1])));
      expect(c.phase).toBe('failed');
      expect(c.error?.alert).not.toBeNull();
      // The next connection must not resume what the failed one kept.
      const next = TlsConnection.client(opts(store));
      await new FaultPipe(next, TlsConnection.server(config), { read: 'never' }).settle();
      expect(next.handshakeComplete).toBe(true);
      expect(next.info.resumed).toBe(false);
    });
  }

  it('control: a resumption with a renewed ticket closed cleanly keeps the renewed session', async () => {
    const store = new Store();
    const config = server();
    await new FaultPipe(TlsConnection.client(opts(store)), TlsConnection.server(config), { read: 'never' }).settle();
    const c = TlsConnection.client(opts(store));
    await new FaultPipe(c, TlsConnection.server(config), { read: 'never' }).settle();
    expect(c.info.resumed).toBe(true);
    c.close();
    const next = TlsConnection.client(opts(store));
    await new FaultPipe(next, TlsConnection.server(config), { read: 'never' }).settle();
    expect(next.info.resumed).toBe(true);
  });
});

// ------------------------------------------------------------------ after a live hand-off

describe('review2: TLS 1.2 §7.2.2 after a live hand-off (exportState / import)', () => {
  /** A protected-looking application_data record that cannot open: bad_record_mac, fatal. */
  const garbage = (): Uint8Array => {
    const r = new Uint8Array(5 + 40).fill(0x5a);
    r.set([23, 3, 3, 0, 40]);
    return r;
  };
  const run = async (handOff: boolean): Promise<boolean> => {
    const store = new MemorySessionStore();
    const cc = createClientConfig({ ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store });
    const sc = server({ sessionTickets: 0 });
    let c = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(c, TlsConnection.server(sc));
    expect(c.handshakeComplete).toBe(true);
    if (handOff) c = TlsConnection.import(c.exportState(), { role: 'client', config: cc, perConnection: { servername: 'localhost' } });
    c.receive(garbage());
    await c.process();
    expect(c.error?.status).toBe('BadRecordMac');
    const next = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(next, TlsConnection.server(sc));
    expect(next.handshakeComplete).toBe(true);
    return next.info.resumed;
  };

  it('control: without a hand-off, bad_record_mac removes the session', async () => {
    expect(await run(false)).toBe(false);
  });

  // The state carries the session by name (handoff.ts, the negotiated info's session12).
  it('imported with the same config, then bad_record_mac: the session is removed too', async () => {
    expect(await run(true)).toBe(false);
  });

  it('control: imported, then closed cleanly: the session is still resumed', async () => {
    const store = new MemorySessionStore();
    const cc = createClientConfig({ ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store });
    const sc = server({ sessionTickets: 0 });
    const c = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(c, TlsConnection.server(sc));
    const d = TlsConnection.import(c.exportState(), { role: 'client', config: cc, perConnection: { servername: 'localhost' } });
    d.close();
    const next = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(next, TlsConnection.server(sc));
    expect(next.info.resumed).toBe(true);
  });

  it('handed off twice (exported again after the import), then bad_record_mac: removed', async () => {
    const store = new MemorySessionStore();
    const cc = createClientConfig({ ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store });
    const sc = server();
    await pump(TlsConnection.client(cc, { servername: 'localhost' }), TlsConnection.server(sc));
    // Resumed with the ticket; the server renews it, and the renewed session is the one held.
    const c = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(c, TlsConnection.server(sc));
    expect(c.info.resumed).toBe(true);
    const once = TlsConnection.import(c.exportState(), { role: 'client', config: cc, perConnection: { servername: 'localhost' } });
    const twice = TlsConnection.import(once.exportState(), { role: 'client', config: cc, perConnection: { servername: 'localhost' } });
    twice.receive(garbage());
    await twice.process();
    expect(twice.error?.status).toBe('BadRecordMac');
    const next = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(next, TlsConnection.server(sc));
    expect(next.handshakeComplete).toBe(true);
    expect(next.info.resumed).toBe(false);
  });

  for (const fail of [true, false]) {
    it(`server side: a session-ID session handed off with the server, then ${fail ? 'bad_record_mac: the server no longer resumes it' : 'closed cleanly: still resumed'}`, async () => {
      const store = new MemorySessionStore();
      const cc = createClientConfig({ ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store });
      const sc = server({ sessionTickets: 0 });
      const s = TlsConnection.server(sc);
      await pump(TlsConnection.client(cc, { servername: 'localhost' }), s);
      const t = TlsConnection.import(s.exportState(), { role: 'server', config: sc });
      if (fail) {
        t.receive(garbage());
        await t.process();
        expect(t.error?.status).toBe('BadRecordMac');
      } else {
        t.close();
      }
      // The client still holds the session ID; only the server's cache decides.
      const next = TlsConnection.client(cc, { servername: 'localhost' });
      await pump(next, TlsConnection.server(sc));
      expect(next.handshakeComplete).toBe(true);
      expect(next.info.resumed).toBe(!fail);
    });
  }
});

describe('review2: the hand-off state names its TLS 1.2 session strictly (a bent session12 is StateRejected)', () => {
  /** The state with its negotiated-info JSON changed by `edit`, checksum recomputed. */
  const rewrite = (state: Uint8Array, edit: (info: Record<string, unknown>) => void): Uint8Array => {
    // magic 8, format, role, version 2, suite 2, flags, sequences 16, early length 4 = 35; then three u8 vectors.
    let at = 35;
    for (let i = 0; i < 3; i++) at += 1 + state[at]!;
    const len = new DataView(state.buffer, state.byteOffset + at, 4).getUint32(0);
    const info = JSON.parse(new TextDecoder().decode(state.subarray(at + 4, at + 4 + len))) as Record<string, unknown>;
    edit(info);
    const json = new TextEncoder().encode(JSON.stringify(info));
    const body = new Uint8Array(at + 4 + json.length + (state.length - 32 - (at + 4 + len)));
    body.set(state.subarray(0, at));
    new DataView(body.buffer).setUint32(at, json.length);
    body.set(json, at + 4);
    body.set(state.subarray(at + 4 + len, state.length - 32), at + 4 + json.length);
    return new Uint8Array([...body, ...createHash('sha256').update(body).digest()]);
  };
  const state12 = async (role: 'client' | 'server'): Promise<{ state: Uint8Array; cc: ClientConfig; sc: ServerConfig }> => {
    const cc = createClientConfig({ ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: new MemorySessionStore() });
    const sc = server({ sessionTickets: 0 });
    const c = TlsConnection.client(cc, { servername: 'localhost' });
    const s = TlsConnection.server(sc);
    await pump(c, s);
    return { state: role === 'client' ? c.exportState() : s.exportState(), cc, sc };
  };
  const expectRejected = (f: () => unknown): void => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).status).toBe('StateRejected');
  };

  it('the client state carries the session by name, and an unaltered rewrite imports', async () => {
    const { state, cc } = await state12('client');
    let seen: unknown;
    const same = rewrite(state, (i) => {
      seen = i.session12;
    });
    expect(seen).toMatchObject({ storeKey: expect.any(String), sessionId: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(seen)).not.toContain('master');
    TlsConnection.import(same, { role: 'client', config: cc, perConnection: { servername: 'localhost' } });
  });

  const bends: [string, 'client' | 'server', (s: Record<string, unknown>) => void][] = [
    ['session ID over 32 bytes', 'client', (s) => (s.sessionId = '00'.repeat(33))],
    ['session ID not hex', 'client', (s) => (s.sessionId = 'zz')],
    ['session ID of odd length', 'server', (s) => (s.sessionId = 'abc')],
    ['empty server session ID', 'server', (s) => (s.sessionId = '')],
    ['neither session ID nor ticket', 'client', (s) => ((s.sessionId = ''), (s.ticket = ''))],
    ['ticket over 65535 bytes', 'client', (s) => (s.ticket = '00'.repeat(65536))],
    ['storeKey not a string', 'client', (s) => (s.storeKey = 7)],
    ['negative receivedAt', 'client', (s) => (s.receivedAt = -1)],
    ['fractional lifetime', 'client', (s) => (s.lifetime = 1.5)],
    ['alpn an object', 'client', (s) => (s.alpn = {})],
  ];
  for (const [what, role, bend] of bends) {
    it(`${role}: ${what}`, async () => {
      const { state, cc, sc } = await state12(role);
      const bad = rewrite(state, (i) => bend(i.session12 as Record<string, unknown>));
      expectRejected(() =>
        role === 'client' ? TlsConnection.import(bad, { role, config: cc, perConnection: { servername: 'localhost' } }) : TlsConnection.import(bad, { role, config: sc }),
      );
    });
  }

  it('session12 that is not an object, and session12 in a TLS 1.3 state', async () => {
    const { state, cc } = await state12('client');
    expectRejected(() => TlsConnection.import(rewrite(state, (i) => (i.session12 = 'x')), { role: 'client', config: cc, perConnection: { servername: 'localhost' } }));
    const c13 = createClientConfig({ ca: pki.caCertPem });
    const c = TlsConnection.client(c13, { servername: 'localhost' });
    await pump(c, TlsConnection.server(server()));
    const s13 = rewrite(c.exportState(), (i) => (i.session12 = { sessionId: 'aa' }));
    expectRejected(() => TlsConnection.import(s13, { role: 'client', config: c13, perConnection: { servername: 'localhost' } }));
  });
});
