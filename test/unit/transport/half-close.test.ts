/**
 * Issue 7 item 4 (adapter side): TLS 1.3 half-close. RFC 9846 §6.1: close_notify closes
 * one direction; the other side may keep sending until it sends its own. A peer that sends
 * its request, then close_notify, then its TCP FIN, and waits for the reply must get the
 * reply and a clean close_notify, not `Truncated`. Before the fix the transport EOF turned
 * the connection to 'closed', the reply's write() failed, the socket was torn down and the
 * peer saw EOF without close_notify.
 *
 * Node's allowHalfOpen semantics on TlsSocket: false (the default) ends our side after
 * 'end' (writes made in 'end' listeners go first); true lets the application write until
 * it calls end(). TLS 1.2 keeps RFC 5246 §7.2.1: close_notify is answered at once.
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import { connect, createServer, upgrade, type TlsServerOptions, type TlsSocket } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

type Version = 'TLSv1.2' | 'TLSv1.3';

/** How the server answers a request that ended with close_notify. */
type Replier = (s: TlsSocket, request: string) => void;

interface ServerSide {
  port: number;
  /** Errors the server's sockets reported. */
  errors: Error[];
  /** Resolves when the server's socket closed. */
  closed: Promise<void>;
}

async function requestServer(reply: Replier, extra: Omit<TlsServerOptions, 'cert' | 'key'> = {}): Promise<ServerSide> {
  const errors: Error[] = [];
  let closedResolve: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (closedResolve = resolve));
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, ...extra }, (s) => {
    let request = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (request += d));
    s.on('error', (e: Error) => errors.push(e));
    s.on('end', () => reply(s, request));
    s.on('close', () => closedResolve());
  });
  server.on('tlsClientError', (e: Error) => errors.push(e));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, errors, closed };
}

interface PeerResult {
  reply: string;
  error: Error | null;
  ended: boolean;
}

/** Once `c` is connected, sends `request`, then close_notify and FIN (end()); resolves at 'close' with the reply. */
function requestThenWait(c: Duplex, request: string): Promise<PeerResult> {
  cleanup.push(() => c.destroy());
  return new Promise((resolve) => {
    const r: PeerResult = { reply: '', error: null, ended: false };
    c.setEncoding('utf8');
    c.on('data', (d: string) => (r.reply += d));
    c.on('end', () => (r.ended = true));
    c.on('error', (e: Error) => (r.error ??= e));
    c.on('close', () => resolve(r));
    c.once('secureConnect', () => c.end(request));
  });
}

/** A puretls client that sends `request`, then close_notify and FIN (end()), then waits for the reply and the server's close. */
function puretlsPeer(port: number, version: Version, request = 'request'): Promise<PeerResult> {
  return requestThenWait(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, maxVersion: version, allowHalfOpen: true }), request);
}

/** Node's own tls client doing the same. */
function nodeTlsPeer(port: number, version: Version, request = 'request'): Promise<PeerResult> {
  // tls.connect honours allowHalfOpen (passed to its TLSSocket); @types/node omits it.
  const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = { host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, maxVersion: version, allowHalfOpen: true };
  return requestThenWait(tls.connect(options), request);
}

const replyInEndListener: Replier = (s, request) => {
  s.write(`reply to ${request}`);
};

const replyLater: Replier = (s, request) => {
  setTimeout(() => {
    s.write(`late reply to ${request}`);
    setTimeout(() => s.end(' (done)'), 20);
  }, 100);
};

function expectClean(r: PeerResult, reply: string): void {
  expect(r.error, r.error ? `${(r.error as TlsError).status ?? ''} ${r.error.message}` : '').toBeNull();
  expect(r.reply).toBe(reply);
  expect(r.ended).toBe(true);
}

describe('TLS 1.3 half-close: a peer that sent close_notify and FIN still gets our reply (issue 7 item 4)', () => {
  it('allowHalfOpen false (default): a reply written in the end listener is sent, then close_notify', async () => {
    const srv = await requestServer(replyInEndListener);
    expectClean(await puretlsPeer(srv.port, 'TLSv1.3'), 'reply to request');
    await srv.closed;
    expect(srv.errors).toEqual([]);
  });

  it('allowHalfOpen true: the application replies 100 ms after the peer closed, then ends', async () => {
    const srv = await requestServer(replyLater, { allowHalfOpen: true });
    expectClean(await puretlsPeer(srv.port, 'TLSv1.3'), 'late reply to request (done)');
    await srv.closed;
    expect(srv.errors).toEqual([]);
  });

  it('allowHalfOpen false and nothing written: our close_notify follows by itself (no Truncated at the peer)', async () => {
    const srv = await requestServer(() => {
      // no reply, no end(): the Duplex ends our side
    });
    expectClean(await puretlsPeer(srv.port, 'TLSv1.3'), '');
    await srv.closed;
    expect(srv.errors).toEqual([]);
  });

  it('Node tls as the peer gets the late reply too', async () => {
    const srv = await requestServer(replyLater, { allowHalfOpen: true });
    expectClean(await nodeTlsPeer(srv.port, 'TLSv1.3'), 'late reply to request (done)');
    await srv.closed;
    expect(srv.errors).toEqual([]);
  });

  it('the client side too: a puretls client with allowHalfOpen replies after a server closed first', async () => {
    // Roles swapped: the server sends a request and closes (close_notify + FIN); the client replies later.
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, allowHalfOpen: true }, (s) => {
      s.on('error', () => undefined);
      s.end('server request');
    });
    let got = '';
    let serverEnded = false;
    const done = new Promise<void>((resolve) => {
      server.on('secureConnection', (s: TlsSocket) => {
        s.setEncoding('utf8');
        s.on('data', (d: string) => (got += d));
        s.on('end', () => (serverEnded = true));
        s.on('close', () => resolve());
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, allowHalfOpen: true });
    cleanup.push(() => c.destroy());
    let clientError: Error | null = null;
    c.on('error', (e: Error) => (clientError = e));
    c.resume();
    c.on('end', () => setTimeout(() => c.end('client reply'), 100));
    await done;
    expect(clientError).toBeNull();
    expect(got).toBe('client reply');
    expect(serverEnded).toBe(true);
  });

  it('upgrade() over a net.Socket created without allowHalfOpen: the peer FIN does not end our side', async () => {
    const errors: Error[] = [];
    const plain = net.createServer((raw) => {
      // net.createServer's sockets default to allowHalfOpen: false.
      const s = upgrade(raw, { role: 'server', cert: pki.chainPem, key: pki.keyPem, allowHalfOpen: true });
      let request = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (request += d));
      s.on('error', (e: Error) => errors.push(e));
      s.on('end', () => replyLater(s, request));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => plain.close());
    const port = (plain.address() as net.AddressInfo).port;
    expectClean(await puretlsPeer(port, 'TLSv1.3', 'upgraded'), 'late reply to upgraded (done)');
    expect(errors).toEqual([]);
  });
});

describe('TLS 1.2 keeps RFC 5246 §7.2.1: close_notify is answered with close_notify at once', () => {
  it('even with allowHalfOpen true and no end() from the application, the peer gets our close_notify', async () => {
    const srv = await requestServer(() => {
      // neither reply nor end()
    }, { allowHalfOpen: true });
    expectClean(await puretlsPeer(srv.port, 'TLSv1.2'), '');
    await srv.closed;
    expect(srv.errors).toEqual([]);
  }, 10_000);

  it('a reply written in the end listener is still sent before our close_notify when the peer has not sent FIN yet', async () => {
    // Node tls (OpenSSL) sends close_notify and FIN together: the reply may then be refused
    // (RFC 5246 §7.2.1 lets us discard it), but the peer must never see a truncation.
    const srv = await requestServer(replyInEndListener);
    const r = await nodeTlsPeer(srv.port, 'TLSv1.2');
    expect(r.error).toBeNull();
    expect(r.ended).toBe(true);
    expect(['', 'reply to request']).toContain(r.reply);
  });
});
