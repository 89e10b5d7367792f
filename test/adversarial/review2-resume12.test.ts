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
import { createClientConfig, createServerConfig, type ServerConfig } from '../../src/engine/setup.js';
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

  // Not fixed (the hand-off state would have to carry the session's identity): see status-review2.md.
  it.fails('imported with the same config, then bad_record_mac: the session is removed too', async () => {
    expect(await run(true)).toBe(false);
  });
});
