/**
 * Sixth adversarial campaign, part 1: a HOSTILE HTTP CONNECT proxy (src/transport/proxy.ts)
 * in front of the Node adapter (src/transport/node-dial.ts), and the sans-I/O answer parser.
 * test/net/proxy.test.ts has the protocol cases; here the proxy works against us: it echoes
 * the credentials back, answers one byte at a time, buries its 200 under interim answers,
 * sends a body with its 200, never ends its header, floods a 407 body, resets or closes
 * mid-header, or never lets the TCP connection complete. Every failure is a TlsError with a
 * stable status, nothing leaks the credentials, nothing hangs, no promise floats.
 */
import net from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { ConnectResponseParser, PROXY_MAX_HEADER_BYTES, ProxyError, proxyConnect, resolveProxy, type ProxyByteStream } from '../../src/transport/proxy.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { hostileProxy, unanswering, type HostileContext, type HostileProxy } from './campaign6-hostile-proxy.js';

failOnUnhandled({ uncaught: true });

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const USER = 'alice-proxyuser';
const PASS = 'hunter2-s3cret';
const B64 = Buffer.from(`${USER}:${PASS}`).toString('base64');

let pki: TestPki;
let server: TlsServer;
let serverPort: number;
const proxies: HostileProxy[] = [];
const sockets: TlsSocket[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['target.example'] });
  server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('echo:'), d])));
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  serverPort = (server.address() as net.AddressInfo).port;
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of proxies.splice(0)) await p.close();
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function proxy(script: (c: HostileContext) => void | Promise<void>): Promise<HostileProxy> {
  const p = await hostileProxy(script);
  proxies.push(p);
  return p;
}

function through(url: string, extra: { username?: string; password?: string; timeout?: number } = {}): TlsSocket {
  const s = connect({ host: '127.0.0.1', port: serverPort, servername: 'target.example', ca: pki.caCertPem, proxy: { url, ...extra } });
  sockets.push(s);
  return s;
}

/** The first of secureConnect (null) or error; fails the test after `ms`. */
function outcome(s: TlsSocket, ms = 15_000): Promise<TlsError | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no outcome: the connection hangs')), ms);
    s.once('secureConnect', () => {
      clearTimeout(t);
      resolve(null);
    });
    s.once('error', (e: Error) => {
      clearTimeout(t);
      resolve(e as TlsError);
    });
  });
}

async function echo(s: TlsSocket, text: string): Promise<string> {
  s.write(text);
  return new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
}

/** Everything an error could print: message, stack, detail, fields, JSON, inspect, its cause chain. */
function printed(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let i = 0; i < 5 && x !== undefined && x !== null; i++) {
    const o = x as { message?: string; stack?: string; detail?: string; statusLine?: string; cause?: unknown };
    parts.push(String(o.message), String(o.stack), String(o.detail), String(o.statusLine), JSON.stringify(x), inspect(x, { depth: 6, showHidden: true }));
    x = o.cause;
  }
  return parts.join('\n');
}

function expectNoCredentials(e: unknown): void {
  const text = printed(e);
  expect(text).not.toContain(PASS);
  expect(text).not.toContain(B64);
  expect(text).not.toContain(B64.slice(0, 8));
  expect(text).not.toContain(USER);
}

describe('a proxy that echoes the credentials back', () => {
  const answers: [string, string][] = [
    ['407 whose reason phrase is the Proxy-Authorization value', `HTTP/1.1 407 Basic ${B64}\r\n\r\n`],
    ['403 whose reason phrase is user:password', `HTTP/1.1 403 bad ${USER}:${PASS}\r\n\r\n`],
    ['a first line that is the request\'s Proxy-Authorization header', `Proxy-Authorization: Basic ${B64}\r\n\r\n`],
    ['the credentials at the end of a long status line (across the 256-character cut)', `HTTP/1.1 403 ${'x'.repeat(230)} ${B64}\r\n\r\n`],
    ['a status line cut by the proxy closing in the middle of the token', `HTTP/1.1 403 Basic ${B64.slice(0, 12)}`],
  ];
  for (const [name, raw] of answers) {
    it(`${name}: no message, detail, statusLine, stack or cause carries them`, async () => {
      const p = await proxy((c) => void c.client.end(raw));
      const e = await outcome(through(p.url, { username: USER, password: PASS }));
      expect(e).toBeInstanceOf(ProxyError);
      expect(['ProxyRefused', 'ProxyAuthenticationRequired']).toContain(e!.status);
      // The proxy did receive them (it is the one echoing).
      expect(p.requests[0]).toContain(B64);
      expectNoCredentials(e);
    });
  }

  it('sans-I/O: proxyConnect over a stream that echoes the request line by line', async () => {
    const resolved = resolveProxy({ url: 'http://127.0.0.1:1', username: USER, password: PASS });
    let sent = '';
    const stream: ProxyByteStream = {
      write: (b) => void (sent += new TextDecoder().decode(b)),
      // The request's lines, each as a status line: the third is Proxy-Authorization.
      read: async () => enc(`HTTP/1.1 407 ${sent.split('\r\n')[2]}\r\n\r\n`),
    };
    const e = await proxyConnect(stream, resolved, { host: 'target.example', port: 443 }).catch((x: unknown) => x);
    expect((e as TlsError).status).toBe('ProxyAuthenticationRequired');
    expect(sent).toContain(B64);
    expectNoCredentials(e);
  });
});

describe('a proxy that answers strangely but correctly: the tunnel works', () => {
  it('one byte at a time, with bare LF line ends and two interim answers before the 200', async () => {
    const head = 'HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 Connection established\nVia: 1.1 hostile\n\n';
    const p = await proxy((c) => c.tunnel(() => c.trickle(enc(head), 1)));
    const s = through(p.url);
    expect(await outcome(s)).toBeNull();
    expect(await echo(s, 'hi')).toBe('echo:hi');
    expect(p.early).toEqual([0]);
  });

  it('a 200 with Content-Length and Transfer-Encoding: the "body" is tunnel bytes, not skipped (RFC 9110 §9.3.6)', async () => {
    const p = await proxy((c) => c.tunnel(() => void c.client.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nTransfer-Encoding: chunked\r\n\r\n')));
    const s = through(p.url);
    expect(await outcome(s)).toBeNull();
    expect(await echo(s, 'cl')).toBe('echo:cl');
  });

  it('a 200 and a TLS alert in the same segment: the alert reaches TLS', async () => {
    const alert = Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46); // protocol_version (70)
    const p = await proxy((c) => void c.client.write(Buffer.concat([Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'), alert])));
    const e = await outcome(through(p.url));
    expect(e?.status).toBe('AlertReceived');
    expect(e?.alert).toBe(70);
  });
});

describe('a proxy that refuses or breaks: a stable status, at once', () => {
  it('a status code of 20 digits → ProxyRefused, statusCode 0', async () => {
    const p = await proxy((c) => void c.client.end('HTTP/1.1 20000000000000000000 OK\r\n\r\n'));
    const e = (await outcome(through(p.url))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.statusCode).toBe(0);
  });

  it('101 Switching Protocols is not a tunnel → ProxyRefused', async () => {
    const p = await proxy((c) => void c.client.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'));
    expect((await outcome(through(p.url)))?.status).toBe('ProxyRefused');
  });

  it('binary garbage → ProxyRefused with a printable status line', async () => {
    const p = await proxy((c) => void c.client.end(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x05, 0x00, 0xff, 0x0a, 0x0a])));
    const e = (await outcome(through(p.url))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.statusLine).toMatch(/^[\x20-\x7e]*$/);
  });

  it('interim answers forever (100 Continue without end) → ProxyRefused once the header bound is reached', async () => {
    const p = await proxy((c) => {
      const one = Buffer.from('HTTP/1.1 100 Continue\r\nX-Pad: ' + 'p'.repeat(200) + '\r\n\r\n');
      const pump = (): void => {
        while (!c.client.destroyed && c.client.write(one));
        if (!c.client.destroyed) c.client.once('drain', pump);
      };
      pump();
    });
    const e = await outcome(through(p.url));
    expect(e?.status).toBe('ProxyRefused');
    expect(e?.message).toContain(String(PROXY_MAX_HEADER_BYTES));
  });

  it('a 407 followed by a 1 MiB body → ProxyAuthenticationRequired without waiting for the body', async () => {
    const p = await proxy((c) => {
      c.client.write('HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 1048576\r\n\r\n');
      c.client.write(Buffer.alloc(1 << 20, 0x41));
    });
    const e = await outcome(through(p.url, { username: USER, password: PASS }));
    expect(e?.status).toBe('ProxyAuthenticationRequired');
    expect(e?.message).toContain('refused the credentials');
  });

  it('a reset in the middle of the header → ConnectionReset; a close there → ProxyRefused', async () => {
    const rst = await proxy(async (c) => {
      c.client.write('HTTP/1.1 200 Conn');
      await new Promise((r) => setTimeout(r, 20));
      c.client.resetAndDestroy();
    });
    expect((await outcome(through(rst.url)))?.status).toBe('ConnectionReset');
    const fin = await proxy(async (c) => {
      c.client.write('HTTP/1.1 200 Connection established\r\nX: y\r\n');
      await new Promise((r) => setTimeout(r, 20));
      c.client.end();
    });
    const e = (await outcome(through(fin.url))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.message).toContain('in the middle of its answer');
    expect(e.statusLine).toBe('HTTP/1.1 200 Connection established');
  });

  it('a 200 and then EOF before any TLS byte → a transport status, not a hang', async () => {
    const p = await proxy((c) => void c.client.end('HTTP/1.1 200 OK\r\n\r\n'));
    const e = await outcome(through(p.url));
    expect(e).toBeInstanceOf(TlsError);
    expect(['ConnectionClosed', 'ConnectionReset', 'Truncated', 'UnexpectedEof']).toContain(e?.status);
  });

  it('a proxy whose accept queue is full (TCP never completes) → TimedOut within the proxy timeout', async () => {
    const u = await unanswering();
    try {
      const t0 = Date.now();
      const e = await outcome(through(`http://127.0.0.1:${u.port}`, { timeout: 400 }));
      expect(e?.status).toBe('TimedOut');
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await u.close();
    }
  });
});

describe('a careless caller', () => {
  it('a proxy URL with port 0 → InvalidConfig at the call (the URL parser takes it, and net dialled port 0)', () => {
    let e: unknown;
    try {
      connect({ host: '127.0.0.1', port: serverPort, servername: 'target.example', ca: pki.caCertPem, proxy: { url: 'http://127.0.0.1:0' } });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InvalidConfig');
    expect((e as TlsError).message).toContain('1..65535');
    expect(resolveProxy({ url: 'http://127.0.0.1:65535' }).port).toBe(65535);
  });
});

describe('a careless caller while the proxy answers', () => {
  it('destroy() mid-answer: close, no error event, no timer left, the held ClientHello never reaches the proxy', async () => {
    const p = await proxy((c) => void c.client.write('HTTP/1.1 200 Conn'));
    const s = through(p.url, { timeout: 60_000 });
    const errors: unknown[] = [];
    s.on('error', (e) => errors.push(e));
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    await new Promise((r) => s.once('close', r));
    expect(errors).toEqual([]);
    expect(p.early).toEqual([0]);
  });

  it('end() mid-answer: the socket still settles (an error with a stable status, or a close), nothing floats', async () => {
    const p = await proxy((c) => void c.client.write('HTTP/1.1 200 Conn'));
    const s = through(p.url, { timeout: 500 });
    const settled = new Promise<string>((resolve) => {
      s.once('error', (e: Error) => resolve(`error ${(e as TlsError).status}`));
      s.once('close', () => resolve('close'));
    });
    await new Promise((r) => setTimeout(r, 50));
    s.end();
    const r = await settled;
    expect(r === 'close' || /^error (TimedOut|Closed|ProxyRefused)$/.test(r), r).toBe(true);
  });

  it('a proxy on [::1] (bracketed URL) and a bracketed target: CONNECT [::1]:port', async () => {
    const p = await hostileProxy((c) => void c.client.end('HTTP/1.1 403 Forbidden\r\n\r\n'), '::1');
    proxies.push(p);
    const s = connect({ host: '[::1]', port: 8443, ca: pki.caCertPem, proxy: { url: p.url } });
    sockets.push(s);
    expect((await outcome(s))?.status).toBe('ProxyRefused');
    expect(p.requests[0]).toBe('CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443');
  });
});

describe('the parser under a flood', () => {
  it('memory stays bounded: a 16 MiB endless header in 64 KiB chunks fails at the first chunk past the bound', () => {
    const parser = new ConnectResponseParser();
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let fed = 0;
    let err: unknown;
    try {
      for (; fed < 16 << 20; fed += chunk.length) parser.push(chunk);
    } catch (e) {
      err = e;
    }
    expect((err as TlsError).status).toBe('ProxyRefused');
    expect(fed).toBeLessThanOrEqual(PROXY_MAX_HEADER_BYTES);
  });
});
