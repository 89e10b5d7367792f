/**
 * TLS 1.3 resumption in memory (issue 10 item 1): full then resumed handshakes, and what a
 * hostile peer, a man in the middle and a careless caller can make of it.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ClientConfigOptions, type ServerConfigOptions } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { MemorySessionStore, type SessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import type { ResumableSession } from '../../src/session/session.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function clientConfig(extra: ClientConfigOptions = {}) {
  return createClientConfig({ ca: pki.caCertPem, ...extra });
}
function serverConfig(extra: Partial<ServerConfigOptions> = {}) {
  return createServerConfig({ cert: pki.chainPem, key: pki.keyPem, ...extra });
}

async function connect(cc: ReturnType<typeof clientConfig>, sc: ReturnType<typeof serverConfig>, servername = 'localhost') {
  const client = TlsConnection.client(cc, { servername });
  const server = TlsConnection.server(sc);
  try {
    await pump(client, server);
    // Tickets arrive after the handshake: one more round moves them.
    client.write(new TextEncoder().encode('ping'));
    await pump(client, server);
  } catch {
    // A failed handshake: the tests read the sticky errors.
    expect(client.error ?? server.error).not.toBeNull();
  }
  return { client, server };
}

/** A store that records what it holds, to look inside. */
class SpyStore implements SessionStore {
  readonly inner = new MemorySessionStore();
  puts: ResumableSession[] = [];
  get(key: string) {
    return this.inner.get(key);
  }
  put(key: string, s: ResumableSession) {
    this.puts.push(s);
    this.inner.put(key, s);
  }
  delete(key: string, s: ResumableSession) {
    this.inner.delete(key, s);
  }
}

describe('TLS 1.3 resumption', () => {
  it('a second connection resumes: resumed on both sides, the original certificate reported, data flows', async () => {
    const cc = clientConfig({ ALPNProtocols: ['h2'] });
    const sc = serverConfig({ ALPNProtocols: ['h2'] });
    const first = await connect(cc, sc);
    expect(first.client.error).toBeNull();
    expect(first.client.info.resumed).toBe(false);
    expect(first.client.tickets.length).toBe(2); // the default: two tickets
    const second = await connect(cc, sc);
    expect(second.client.error).toBeNull();
    expect(second.server.error).toBeNull();
    expect(second.client.info.resumed).toBe(true);
    expect(second.server.info.resumed).toBe(true);
    expect(second.client.info.peerCertificate).toEqual(first.client.info.peerCertificate);
    expect(second.client.info.certificateErrors).toEqual(first.client.info.certificateErrors);
    expect(second.client.info.alpn).toBe('h2');
    expect(new TextDecoder().decode(readAll(second.server))).toBe('ping');
    // Each ticket is used once: two tickets from the first, then tickets from the second keep it going.
    for (let i = 0; i < 4; i++) {
      const next = await connect(cc, sc);
      expect(next.client.info.resumed).toBe(true);
    }
  });

  it('reports the original certificate errors on resumption (an ignored InvalidName stays reported)', async () => {
    const cc = clientConfig({ ignorableCertificateErrors: ['InvalidName'] });
    const sc = serverConfig();
    const first = await connect(cc, sc, 'other.example');
    expect(first.client.info.certificateErrors.map((e) => e.code)).toContain('InvalidName');
    const second = await connect(cc, sc, 'other.example');
    expect(second.client.info.resumed).toBe(true);
    expect(second.client.info.certificateErrors.map((e) => e.code)).toContain('InvalidName');
    expect(second.client.info.certificateErrorSeverity).toBe('ignorable');
  });

  it('a ticket is never offered to another server name', async () => {
    const cc = clientConfig({ ignorableCertificateErrors: ['InvalidName'] });
    const sc = serverConfig();
    await connect(cc, sc, 'localhost');
    const other = await connect(cc, sc, 'other.example');
    expect(other.client.info.resumed).toBe(false);
  });

  it('another trust decision (another config: new anchors or ignorable set) offers nothing', async () => {
    const store = new MemorySessionStore();
    const sc = serverConfig();
    await connect(clientConfig({ sessionStore: store }), sc);
    expect(store.size).toBe(2);
    const changed = await connect(clientConfig({ sessionStore: store, ignorableCertificateErrors: ['Expired'] }), sc);
    expect(changed.client.info.resumed).toBe(false);
    const same = await connect(clientConfig({ sessionStore: store }), sc);
    expect(same.client.info.resumed).toBe(true);
  });

  it('sessionStore: false never resumes; sessionTickets: 0 issues none', async () => {
    const noStore = clientConfig({ sessionStore: false });
    const sc = serverConfig();
    await connect(noStore, sc);
    expect((await connect(noStore, sc)).client.info.resumed).toBe(false);
    const cc = clientConfig();
    const noTickets = serverConfig({ sessionTickets: 0 });
    const a = await connect(cc, noTickets);
    expect(a.client.tickets.length).toBe(0);
    expect((await connect(cc, noTickets)).client.info.resumed).toBe(false);
  });

  it('a ticket under an unknown key (rotated out twice, or another server) → full handshake', async () => {
    const keys = new TicketKeySet();
    const cc = clientConfig();
    const sc = serverConfig({ ticketKeys: keys });
    await connect(cc, sc);
    keys.rotateTicketKeys();
    // One rotation: the previous key still opens.
    expect((await connect(cc, sc)).client.info.resumed).toBe(true);
    keys.rotateTicketKeys();
    keys.rotateTicketKeys();
    const full = await connect(cc, sc);
    expect(full.client.error).toBeNull();
    expect(full.client.info.resumed).toBe(false);
    // A fleet: another server with the same keys resumes.
    const fleet = serverConfig({ ticketKeys: keys.exportTicketKeys() });
    expect((await connect(cc, fleet)).client.info.resumed).toBe(true);
    // A server with other keys does not.
    expect((await connect(cc, serverConfig())).client.info.resumed).toBe(false);
  });

  it('a tampered ticket → full handshake (the binder is never checked against it)', async () => {
    const store = new SpyStore();
    const cc = clientConfig({ sessionStore: store });
    const sc = serverConfig();
    await connect(cc, sc);
    for (const s of store.puts) s.ticket[s.ticket.length - 3]! ^= 0x40;
    const r = await connect(cc, sc);
    expect(r.client.error).toBeNull();
    expect(r.client.info.resumed).toBe(false);
  });

  it('a wrong binder on a ticket the server accepted → decrypt_error', async () => {
    const store = new SpyStore();
    const cc = clientConfig({ sessionStore: store });
    const sc = serverConfig();
    await connect(cc, sc);
    // The client's PSK differs from the one sealed in the ticket: its binder cannot verify.
    for (const s of store.puts) if (s.version === 'TLSv1.3') s.psk[0]! ^= 1;
    const r = await connect(cc, sc);
    expect(r.server.error?.status).toBe('DecryptError');
    expect(r.server.error?.alert).toBe(51);
    expect(r.client.error?.status).toBe('AlertReceived');
  });

  it('a ticket whose age is outside the window → full handshake, not a failure', async () => {
    let skew = 0;
    const cc = clientConfig({ now: () => Date.now() + skew });
    const sc = serverConfig();
    await connect(cc, sc);
    skew = 60_000; // the client thinks the ticket is a minute older than the server does
    const r = await connect(cc, sc);
    expect(r.client.error).toBeNull();
    expect(r.client.info.resumed).toBe(false);
  });

  it('an expired session is not offered; a server past the ticket lifetime declines it', async () => {
    let now = Date.now();
    const cc = clientConfig({ now: () => now });
    const sc = serverConfig({ sessionTimeout: 10, now: () => now });
    await connect(cc, sc);
    now += 11_000;
    expect((await connect(cc, sc)).client.info.resumed).toBe(false);
  });

  it('psk_ke only when both sides enable it', async () => {
    const both = await (async () => {
      const cc = clientConfig({ allowPskKe: true });
      const sc = serverConfig({ allowPskKe: true });
      await connect(cc, sc);
      return connect(cc, sc);
    })();
    expect(both.client.info.resumed).toBe(true);
    expect(both.client.info.group).toBeNull(); // no (EC)DHE
    for (const [c, s] of [[true, false], [false, true]] as const) {
      const cc = clientConfig({ allowPskKe: c });
      const sc = serverConfig({ allowPskKe: s });
      await connect(cc, sc);
      const r = await connect(cc, sc);
      expect(r.client.info.resumed).toBe(true);
      expect(r.client.info.group).not.toBeNull();
    }
  });

  it('HelloRetryRequest with a PSK offered: binders recomputed, resumed', async () => {
    const cc = clientConfig({ keyShareGroups: ['x25519'] });
    const sc = serverConfig();
    await connect(cc, sc);
    const hrr = serverConfig({ groups: ['secp256r1'], ticketKeys: undefined });
    // Same keys needed: use one key set for both servers.
    const keys = new TicketKeySet();
    const a = serverConfig({ ticketKeys: keys });
    const b = serverConfig({ ticketKeys: keys, groups: ['secp256r1'] });
    void hrr;
    await connect(cc, a);
    const r = await connect(cc, b);
    expect(r.client.error).toBeNull();
    expect(r.client.info.helloRetryRequest).toBe(true);
    expect(r.client.info.resumed).toBe(true);
    expect(r.server.info.resumed).toBe(true);
  });

  it('HelloRetryRequest to a suite of another hash: the PSK is dropped, full handshake', async () => {
    const keys = new TicketKeySet();
    const cc = clientConfig({ keyShareGroups: ['x25519'] });
    await connect(cc, serverConfig({ ticketKeys: keys, cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
    const r = await connect(cc, serverConfig({ ticketKeys: keys, cipherSuites: ['TLS_AES_256_GCM_SHA384'], groups: ['secp256r1'] }));
    expect(r.client.error).toBeNull();
    expect(r.client.info.helloRetryRequest).toBe(true);
    expect(r.client.info.resumed).toBe(false);
  });

  it('a server preferring a suite of another hash declines the PSK (full handshake)', async () => {
    const keys = new TicketKeySet();
    const cc = clientConfig();
    await connect(cc, serverConfig({ ticketKeys: keys, cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
    const r = await connect(cc, serverConfig({ ticketKeys: keys, cipherSuites: ['TLS_AES_256_GCM_SHA384'] }));
    expect(r.client.error).toBeNull();
    expect(r.client.info.resumed).toBe(false);
    expect(r.client.info.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
  });

  it('client certificates: resumption keeps what the original handshake decided; a policy that now requires one declines the ticket', async () => {
    const clientPki = await generateTestPki({ keyType: 'ecdsa-p256', leafName: 'client' } as Parameters<typeof generateTestPki>[0]);
    const keys = new TicketKeySet();
    const cc = clientConfig({ cert: clientPki.chainPem, key: clientPki.keyPem });
    const sc = serverConfig({ ticketKeys: keys, requireCert: true, ca: clientPki.caCertPem });
    const first = await connect(cc, sc);
    expect(first.server.error).toBeNull();
    const second = await connect(cc, sc);
    expect(second.server.info.resumed).toBe(true);
    expect(second.server.info.peerCertificate).toEqual(first.server.info.peerCertificate);
    // Tickets from a server that did not ask: a server that requires certificates declines them.
    const cc2 = clientConfig();
    await connect(cc2, serverConfig({ ticketKeys: keys }));
    const r = await connect(cc2, sc);
    expect(r.server.info.resumed).toBe(false);
    expect(r.server.error?.status).toBe('CertificateRequired');
  });
});

describe('session and onSession given with plain options (TlsConnection.client({ ... }))', () => {
  // They are this connection's, as with a config; they used to be dropped with the options the
  // config is built from (no session reported, a full handshake instead of resumption).
  it('onSession is called with the server\'s tickets, and session resumes', async () => {
    const sc = serverConfig();
    const got: ResumableSession[] = [];
    const first = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, onSession: (s: ResumableSession) => got.push(s) } as Parameters<typeof TlsConnection.client>[0]);
    const s1 = TlsConnection.server(sc);
    await pump(first, s1);
    first.write(new TextEncoder().encode('ping'));
    await pump(first, s1);
    expect(got.length).toBeGreaterThan(0);
    const second = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, session: got[0] } as Parameters<typeof TlsConnection.client>[0]);
    const s2 = TlsConnection.server(sc);
    await pump(second, s2);
    expect(second.error).toBeNull();
    expect(second.info.resumed).toBe(true);
    expect(s2.info.resumed).toBe(true);
  });
});
