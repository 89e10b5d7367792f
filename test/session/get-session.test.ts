/**
 * `getSession()` on puretls/node without a `'session'` listener (issue 10 item 5), and what
 * an idle client socket keeps for it (issue 9, idle memory): the adapter keeps the latest
 * session compactly, so these tests make sure that keeping less never costs the API.
 * - with no `'session'` listener at all, `getSession()` still gives a blob that resumes (our
 *   server and Node's `tls` server report the resumption), for the pure, webcrypto and
 *   native providers;
 * - the session kept for it is not a view of a socket read (a Buffer's `slice()` is a view:
 *   a "copy" of a ticket kept the whole chunk it arrived in), and certificates are interned
 *   as copies even when handed a Buffer.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { internCertificate } from '../../src/base/intern.js';
import { connect, createServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import '../../src/webcrypto.js';
import type { ResumableSession } from '../../src/session/session.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** Our echo server on loopback: its port and whether each accepted socket was resumed. */
async function ourServer(): Promise<{ port: number; reused: boolean[] }> {
  const reused: boolean[] = [];
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    reused.push(s.isSessionReused());
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, reused };
}

/** A Node tls echo server: its port and whether each accepted socket was resumed. */
async function nodeServer(): Promise<{ port: number; reused: boolean[] }> {
  const reused: boolean[] = [];
  const s = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (sock) => {
    reused.push(sock.isSessionReused());
    sock.on('error', () => {});
    sock.pipe(sock);
  });
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  closers.push(() => new Promise<void>((r) => s.close(() => r())));
  return { port: (s.address() as AddressInfo).port, reused };
}

/** Waits (bounded) until `sock.getSession()` gives a blob: TLS 1.3 tickets come after the handshake. */
async function sessionOf(sock: TlsSocket): Promise<Buffer> {
  for (let i = 0; i < 200; i++) {
    const s = sock.getSession();
    if (s !== undefined) return s;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('getSession() gave nothing within 2 s');
}

/** Connects with no 'session' listener; resolves once the handshake completed. */
async function dial(port: number, crypto: string, session?: Buffer): Promise<TlsSocket> {
  const sock = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto, sessionStore: false, ...(session ? { session } : {}) } as Parameters<typeof connect>[0]);
  sock.on('error', () => {});
  closers.push(() => {
    sock.destroy();
  });
  await once(sock, 'secureConnect');
  return sock;
}

describe('getSession() with no session listener', () => {
  it.each(['pure', 'webcrypto', 'native'])('%s: the blob resumes on our server and on a Node tls server', async (crypto) => {
    for (const server of [await ourServer(), await nodeServer()]) {
      const first = await dial(server.port, crypto);
      expect(first.listenerCount('session')).toBe(0);
      expect(first.isSessionReused()).toBe(false);
      const blob = await sessionOf(first);
      expect(blob).toBeInstanceOf(Buffer);
      // Each call gives its own Buffer: a caller changing one cannot break the next.
      const again = first.getSession()!;
      expect(again).not.toBe(blob);
      again.fill(0);
      const second = await dial(server.port, crypto, blob);
      expect(second.isSessionReused()).toBe(true);
      second.write('x');
      await once(second, 'data');
      const third = await dial(server.port, crypto, first.getSession()!);
      expect(third.isSessionReused()).toBe(true);
      third.write('x');
      await once(third, 'data');
      expect(server.reused).toEqual([false, true, true]);
    }
  });

  it('before the handshake and on a failed connection it is undefined, never an exception', async () => {
    const { port } = await ourServer();
    const sock = connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: pki.caCertPem, crypto: 'pure' } as Parameters<typeof connect>[0]);
    expect(sock.getSession()).toBeUndefined();
    const [err] = (await once(sock, 'error')) as [Error & { status?: string }];
    expect(err.status).toBe('CertificateInvalidName');
    expect(sock.getSession()).toBeUndefined();
  });
});

describe('what an idle client socket keeps for getSession()', () => {
  it('the latest session is a copy of its own, not a view of the socket read it arrived in', async () => {
    const { port } = await ourServer();
    const sock = await dial(port, 'pure');
    await sessionOf(sock);
    const kept = (sock as unknown as { lastSession: ResumableSession }).lastSession;
    expect(kept.version).toBe('TLSv1.3');
    if (kept.version !== 'TLSv1.3') return;
    for (const part of [kept.psk, kept.ticket]) {
      expect(Buffer.isBuffer(part)).toBe(false);
      // The PSK and the ticket share one small buffer of their own.
      expect(part.buffer.byteLength).toBe(kept.psk.length + kept.ticket.length);
    }
    for (const der of kept.peerCertificates) {
      expect(Buffer.isBuffer(der)).toBe(false);
      expect(der.buffer.byteLength).toBe(der.length);
    }
  });

  it('internCertificate copies a Buffer view into bytes of its own (Buffer#slice is a view)', () => {
    const chunk = Buffer.alloc(4096, 7);
    chunk.write('a certificate that nobody else has interned', 1000, 'latin1');
    const view = chunk.subarray(1000, 1500);
    const interned = internCertificate(view);
    expect(Buffer.isBuffer(interned)).toBe(false);
    expect(interned.buffer.byteLength).toBe(500);
    expect(Buffer.from(interned).equals(view)).toBe(true);
    chunk.fill(0);
    expect(interned[0]).toBe('a'.charCodeAt(0));
  });
});
