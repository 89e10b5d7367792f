/**
 * Node's session API on puretls/node (issue 10 item 5), checked against Node's own `tls`:
 * - Node's `tls.connect` takes its `'session'` blob from our server and resumes with
 *   `session` (both sides report `isSessionReused()`); `ticketKeys`, `getTicketKeys()` and
 *   `setTicketKeys()` let a second server resume the first one's sessions, and new keys end
 *   that;
 * - our `connect()` gives `'session'` blobs (and `getSession()`) that resume a later connect
 *   to a Node `tls` server and to our own server, with no shared store;
 * - a tampered blob, one sealed under another `sessionKey`, or garbage makes `connect` throw
 *   `SessionRejected` before dialling.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(async () => {
  for (const c of closers.splice(0)) await c();
});

function caught(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  throw new Error('expected a TlsError');
}

/** Our echo server on loopback; resolves with it and its port, and the sockets it accepted. */
async function ourServer(extra: Record<string, unknown> = {}): Promise<{ server: TlsServer; port: number; accepted: TlsSocket[] }> {
  const accepted: TlsSocket[] = [];
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, ...extra }, (s) => {
    accepted.push(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

/** Node's client: connects, waits for a session (TLS 1.3 tickets come after the handshake), and reports. */
async function nodeClient(port: number, session?: Buffer, maxVersion: tls.SecureVersion = 'TLSv1.3'): Promise<{ reused: boolean; session: Buffer }> {
  const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, session, maxVersion });
  const got = once(sock, 'session') as Promise<[Buffer]>;
  await once(sock, 'secureConnect');
  const reused = sock.isSessionReused();
  sock.write('x');
  await once(sock, 'data');
  // A resumed TLS 1.2 connection may bring no new session (no new ticket): then none comes.
  const [blob] = reused ? await Promise.race([got, new Promise<[Buffer]>((r) => setTimeout(() => r([Buffer.alloc(0)]), 500))]) : await got;
  sock.destroy();
  return { reused, session: blob };
}

/**
 * Our client: connects and reports, with its first 'session' blob (OpenSSL sends no new ticket
 * on a resumed TLS 1.3 connection: then none comes, and `session` is empty).
 */
async function ourClient(port: number, extra: Record<string, unknown> = {}): Promise<{ reused: boolean; session: Buffer; sock: TlsSocket }> {
  const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, sessionStore: false, ...extra });
  sock.on('error', () => {});
  const got = once(sock, 'session') as Promise<[Buffer]>;
  await once(sock, 'secureConnect');
  const reused = sock.isSessionReused();
  sock.write('x');
  const [blob] = reused ? await Promise.race([got, new Promise<[Buffer]>((r) => setTimeout(() => r([Buffer.alloc(0)]), 500))]) : await got;
  closers.push(async () => {
    sock.destroy();
  });
  return { reused, session: blob, sock };
}

/** A Node tls echo server; resolves with its port and how each accepted socket ended up (reused?). */
async function nodeServer(): Promise<{ port: number; reused: boolean[] }> {
  const reused: boolean[] = [];
  const s = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (sock) => {
    reused.push(sock.isSessionReused());
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  closers.push(() => new Promise((r) => s.close(() => r())));
  return { port: (s.address() as AddressInfo).port, reused };
}

describe('Node tls client ↔ our server', () => {
  it("Node's 'session' blob from our server resumes: isSessionReused() on both sides", async () => {
    const { port, accepted } = await ourServer();
    const first = await nodeClient(port);
    expect(first.reused).toBe(false);
    const second = await nodeClient(port, first.session);
    expect(second.reused).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted.map((s) => s.isSessionReused())).toEqual([false, true]);
  });

  it('ticketKeys / getTicketKeys() / setTicketKeys(): a second server opens the first one’s tickets; new keys end that', async () => {
    const a = await ourServer();
    const keys = a.server.getTicketKeys();
    expect(keys.length).toBe(48);
    const b = await ourServer({ ticketKeys: keys });
    const c = await ourServer();
    const s1 = await nodeClient(a.port);
    expect((await nodeClient(b.port, s1.session)).reused).toBe(true);
    // c has keys of its own until given a's.
    const s2 = await nodeClient(a.port);
    expect((await nodeClient(c.port, s2.session)).reused).toBe(false);
    c.server.setTicketKeys(a.server.getTicketKeys());
    expect(Buffer.compare(c.server.getTicketKeys(), keys)).toBe(0);
    const s3 = await nodeClient(a.port);
    expect((await nodeClient(c.port, s3.session)).reused).toBe(true);
    // New keys on b: a's tickets no longer open there (full handshake, no failure).
    b.server.setTicketKeys(Buffer.alloc(48, 9));
    const s4 = await nodeClient(a.port);
    expect((await nodeClient(b.port, s4.session)).reused).toBe(false);
    expect(caught(() => b.server.setTicketKeys(Buffer.alloc(47))).status).toBe('InvalidConfig');
  });

  it('setSecureContext keeps the ticket keys (sessions survive certificate rotation) unless new ones are given', async () => {
    const a = await ourServer();
    const keys = a.server.getTicketKeys();
    const s1 = await nodeClient(a.port);
    a.server.setSecureContext({ cert: pki.chainPem, key: pki.keyPem });
    expect(Buffer.compare(a.server.getTicketKeys(), keys)).toBe(0);
    expect((await nodeClient(a.port, s1.session)).reused).toBe(true);
    a.server.setSecureContext({ cert: pki.chainPem, key: pki.keyPem, ticketKeys: Buffer.alloc(48, 3) });
    expect(Buffer.compare(a.server.getTicketKeys(), Buffer.alloc(48, 3))).toBe(0);
  });
});

describe('TLS 1.2 (RFC 5077 tickets) through the same API', () => {
  it("Node's TLS 1.2 session blob resumes on our server, and ours on Node's server", async () => {
    const ours = await ourServer();
    const n1 = await nodeClient(ours.port, undefined, 'TLSv1.2');
    expect(n1.reused).toBe(false);
    expect((await nodeClient(ours.port, n1.session, 'TLSv1.2')).reused).toBe(true);

    const { port, reused } = await nodeServer();
    const c1 = await ourClient(port, { maxVersion: 'TLSv1.2' });
    expect(c1.sock.getProtocol()).toBe('TLSv1.2');
    const c2 = await ourClient(port, { maxVersion: 'TLSv1.2', session: c1.session });
    expect(c2.reused).toBe(true);
    expect(reused).toEqual([false, true]);
    // The blob is the sealed TLS 1.2 session: tampering is refused the same way.
    const bad = Buffer.from(c1.session);
    bad[10] = bad[10]! ^ 1;
    expect(caught(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', session: bad })).status).toBe('SessionRejected');
  });
});

describe('our client ↔ Node tls server and our server', () => {
  it("our 'session' blob resumes a later connect to a Node tls server (no shared store); getSession() too", async () => {
    const { port, reused } = await nodeServer();
    const first = await ourClient(port);
    expect(first.reused).toBe(false);
    const again = first.sock.getSession();
    expect(again).toBeInstanceOf(Buffer);
    const second = await ourClient(port, { session: first.session });
    expect(second.reused).toBe(true);
    const third = await ourClient(port, { session: again });
    expect(third.reused).toBe(true);
    expect(reused).toEqual([false, true, true]);
  });

  it('our client resumes on our server through a blob sealed under a caller-supplied sessionKey', async () => {
    const { port, accepted } = await ourServer();
    const sessionKey = new Uint8Array(32).fill(5);
    const first = await ourClient(port, { sessionKey });
    const second = await ourClient(port, { sessionKey, session: first.session });
    expect(second.reused).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted[1]!.isSessionReused()).toBe(true);
    // Under the default (process) key the same blob is foreign.
    expect(caught(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, session: first.session })).status).toBe('SessionRejected');
  });

  it('a tampered, foreign or garbage session makes connect throw SessionRejected before dialling; a bad sessionKey is InvalidConfig', async () => {
    const { port } = await nodeServer();
    const first = await ourClient(port);
    const tampered = Buffer.from(first.session);
    tampered[tampered.length - 20] = tampered[tampered.length - 20]! ^ 1;
    for (const session of [tampered, Buffer.from('garbage'), first.session.subarray(0, 40), Buffer.alloc(0)]) {
      const e = caught(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, session }));
      expect(e.status).toBe('SessionRejected');
      expect(e.category).toBe('caller');
    }
    expect(caught(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, session: first.session, sessionKey: new Uint8Array(32) })).status).toBe('SessionRejected');
    expect(caught(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, sessionKey: new Uint8Array(8) })).status).toBe('InvalidConfig');
  });

  it('a session made for one name is not offered to another (full handshake, no error)', async () => {
    const { port, reused } = await nodeServer();
    const first = await ourClient(port, { rejectUnauthorized: false });
    const other = await ourClient(port, { rejectUnauthorized: false, servername: '127.0.0.1', session: first.session });
    expect(other.reused).toBe(false);
    expect(reused).toEqual([false, false]);
  });
});
