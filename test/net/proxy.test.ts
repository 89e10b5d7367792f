/**
 * Issue 11 item 7: the HTTP CONNECT proxy transport. The sans-I/O parts (options, request,
 * answer parser) against hostile input, then the Node adapter through a scripted proxy
 * (test/helpers/http-proxy.ts) that tunnels, refuses, asks for credentials, answers with
 * extra bytes, never stops its header, or never answers. The real proxy (tinyproxy) is in
 * tinyproxy.test.ts.
 */
import * as net from 'node:net';
import * as https from 'node:https';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError, getErrorStatus } from '../../src/base/errors.js';
import {
  ConnectResponseParser,
  PROXY_MAX_HEADER_BYTES,
  ProxyError,
  connectRequest,
  proxyConnect,
  proxyConnectStreams,
  resolveProxy,
  type ProxyByteStream,
} from '../../src/transport/proxy.js';
import { dialNode } from '../../src/transport/node-dial.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { startTestProxy, type TestProxy } from '../helpers/http-proxy.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function caught(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError');
}

describe('proxy options (resolveProxy) and the CONNECT request', () => {
  it('reads http://host:port, defaults to port 80, unbrackets IPv6', () => {
    expect(resolveProxy({ url: 'http://proxy.example:3128' })).toMatchObject({ host: 'proxy.example', port: 3128, hasCredentials: false, timeout: 30_000 });
    expect(resolveProxy({ url: 'http://proxy.example' }).port).toBe(80);
    expect(resolveProxy({ url: 'http://[::1]:8080/' })).toMatchObject({ host: '::1', port: 8080 });
  });

  it('sends the authority-form target, Host, and Basic credentials as RFC 7617 §2 spells them', () => {
    const p = resolveProxy({ url: 'http://127.0.0.1:3128', username: 'Aladdin', password: 'open sesame' });
    expect(dec(connectRequest(p, { host: 'example.com', port: 443 }))).toBe(
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n',
    );
    expect(dec(connectRequest(resolveProxy({ url: 'http://p:1' }), { host: '::1', port: 8443 }))).toBe('CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n');
    // UTF-8 (RFC 7617 §2.1), and credentials from the URL, percent-decoded.
    const u = resolveProxy({ url: 'http://us%C3%A9r:p%40ss@p:1' });
    expect(dec(connectRequest(u, { host: 'h', port: 1 }))).toContain(`Proxy-Authorization: Basic ${Buffer.from('usér:p@ss').toString('base64')}\r\n`);
  });

  it('refuses what it cannot send faithfully, with InvalidConfig and without echoing the URL', () => {
    for (const [o, what] of [
      [{ url: 'https://p:1' }, 'http://'],
      [{ url: 'socks5://p:1' }, 'http://'],
      [{ url: 'http://p:1/path' }, 'path'],
      [{ url: 'http://p:1?q' }, 'path'],
      [{ url: 'http://u:pw@p:1', username: 'u' }, 'both'],
      [{ url: 'http://p:1', username: 'a:b', password: 'x' }, 'RFC 7617'],
      [{ url: 'http://p:1', username: 'a\r\nX: y', password: 'x' }, 'RFC 7617'],
      [{ url: 'http://p:1', password: 'x' }, 'without a user name'],
      [{ url: 'http://p:1', timeout: -1 }, 'timeout'],
    ] as const) {
      const e = caught(() => resolveProxy(o));
      expect(e.status).toBe('InvalidConfig');
      expect(e.message).toContain(what);
    }
    const e = caught(() => resolveProxy({ url: 'http://user:hunter2@[bad' }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.message).not.toContain('hunter2');
    const p = resolveProxy({ url: 'http://p:1' });
    // Request smuggling through the target: no CR/LF, spaces, slashes or userinfo on the request line.
    for (const host of ['a\r\nX-Injected: 1', 'a b', 'a/b', 'user@a', 'a:b', '']) {
      expect(caught(() => connectRequest(p, { host, port: 443 })).status).toBe('InvalidConfig');
    }
    for (const port of [0, 65536, 1.5, Number.NaN]) expect(caught(() => connectRequest(p, { host: 'a', port })).status).toBe('InvalidConfig');
  });

  it('keeps the credentials out of what is printed or serialised', () => {
    const p = resolveProxy({ url: 'http://p:1', username: 'user', password: 'hunter2' });
    const b64 = Buffer.from('user:hunter2').toString('base64');
    for (const text of [JSON.stringify(p), inspect(p, { showHidden: true, depth: 5 }), JSON.stringify(structuredClone(p)), String(Reflect.ownKeys(p).map(String))]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(b64);
    }
  });
});

describe('the proxy answer parser (sans-I/O)', () => {
  const TLS = Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x01, 0xaa);

  it('2xx opens the tunnel and hands back every byte after the header', () => {
    const p = new ConnectResponseParser();
    const r = p.push(new Uint8Array([...enc('HTTP/1.1 200 Connection established\r\nContent-Length: 99\r\n\r\n'), ...TLS]));
    expect(r).toEqual({ statusCode: 200, statusLine: 'HTTP/1.1 200 Connection established', rest: TLS });
  });

  it('accepts bare LF line ends (RFC 9112 §2.2) and skips interim 1xx answers', () => {
    expect(new ConnectResponseParser().push(enc('HTTP/1.0 200 OK\n\nxy'))?.rest).toEqual(enc('xy'));
    const r = new ConnectResponseParser().push(enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX: 1\r\n\r\nz'));
    expect(r?.statusCode).toBe(200);
    expect(r?.rest).toEqual(enc('z'));
  });

  it('407 → ProxyAuthenticationRequired; other answers → ProxyRefused with the status line', () => {
    const e407 = caught(() => new ConnectResponseParser(true).push(enc('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\n\r\n')));
    expect(e407).toBeInstanceOf(ProxyError);
    expect(e407.status).toBe('ProxyAuthenticationRequired');
    expect(e407.message).toContain('refused the credentials');
    expect((e407 as ProxyError).statusCode).toBe(407);
    // What tinyproxy sends for a wrong password: the same meaning before a tunnel exists.
    expect(caught(() => new ConnectResponseParser(true).push(enc('HTTP/1.0 401 Unauthorized\r\n\r\n'))).status).toBe('ProxyAuthenticationRequired');
    for (const line of ['HTTP/1.1 403 Forbidden', 'HTTP/1.1 502 Bad Gateway', 'HTTP/1.1 101 Switching Protocols', 'HTTP/1.1 301 Moved']) {
      const e = caught(() => new ConnectResponseParser().push(enc(`${line}\r\n\r\n`))) as ProxyError;
      expect(e.status).toBe('ProxyRefused');
      expect(e.statusLine).toBe(line);
      expect(e.message).toContain(line);
      expect(e.category).toBe('transport');
    }
  });

  it('a malformed answer, a header without end, or the end of the stream → ProxyRefused', () => {
    for (const bad of ['SSH-2.0-OpenSSH_9.2\r\n\r\n', 'HTTP/2 200\r\n\r\n', 'HTTP/1.1 2000 OK\r\n\r\n', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n']) {
      expect(caught(() => new ConnectResponseParser().push(enc(bad))).status, bad).toBe('ProxyRefused');
    }
    const p = new ConnectResponseParser();
    let err: TlsError | undefined;
    for (let i = 0; i < 100 && !err; i++) {
      try {
        expect(p.push(enc('X-Filler: ' + 'a'.repeat(500) + '\r\n'))).toBeNull();
      } catch (e) {
        err = e as TlsError;
      }
    }
    expect(err?.status).toBe('ProxyRefused');
    expect(err?.message).toContain(String(PROXY_MAX_HEADER_BYTES));
    const q = new ConnectResponseParser();
    expect(q.push(enc('HTTP/1.1 200 OK\r\n'))).toBeNull();
    expect(caught(() => q.end()).status).toBe('ProxyRefused');
    expect(caught(() => new ConnectResponseParser().end()).message).toContain('without answering');
  });

  it('one byte at a time: the same answer, and the size bound still reached', () => {
    const answer = enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\nVia: 1.1 p\n\n');
    const p = new ConnectResponseParser();
    let r = null;
    for (let i = 0; i < answer.length; i++) {
      expect(r).toBeNull();
      r = p.push(answer.subarray(i, i + 1));
    }
    expect(r).toEqual({ statusCode: 200, statusLine: 'HTTP/1.1 200 OK', rest: new Uint8Array(0) });
    const q = new ConnectResponseParser();
    const filler = enc('HTTP/1.1 200 OK\r\n' + 'X-A: b\r\n'.repeat(4000));
    const t0 = performance.now();
    let err: unknown;
    try {
      for (let i = 0; i < filler.length; i++) if (q.push(filler.subarray(i, i + 1)) !== null) throw new Error('no result expected');
    } catch (e) {
      err = e;
    }
    expect((err as TlsError).status).toBe('ProxyRefused');
    // A guard against a hang, not a benchmark (the machine is shared).
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('a hostile status line is printed as printable ASCII only, and cut', () => {
    const e = caught(() => new ConnectResponseParser().push(enc(`HTTP/1.1 403 \x1b[31mred\x07 ${'x'.repeat(600)}\r\n\r\n`))) as ProxyError;
    expect(e.statusLine).toMatch(/^HTTP\/1\.1 403 \?\[31mred\? x+$/);
    expect(e.statusLine.length).toBe(256);
  });

  it('any chunking of an answer gives the same result (fast-check)', () => {
    const answer = new Uint8Array([...enc('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nVia: x\r\n\r\n'), ...TLS]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: answer.length }), { maxLength: 10 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const p = new ConnectResponseParser();
        let tunnel: Uint8Array | null = null;
        let last = 0;
        for (const c of [...points, answer.length]) {
          if (c <= last) continue;
          const piece = answer.subarray(last, c);
          last = c;
          if (tunnel) {
            // After the header, the caller reads the tunnel itself.
            tunnel = new Uint8Array([...tunnel, ...piece]);
            continue;
          }
          const r = p.push(piece);
          if (r) tunnel = r.rest;
        }
        expect(tunnel).toEqual(TLS);
      }),
    );
  });

  it('random input gives a result, null or a TlsError, never anything else (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), (chunks) => {
        const p = new ConnectResponseParser();
        try {
          for (const c of chunks) if (p.push(c)) return;
          p.end();
        } catch (e) {
          expect(e).toBeInstanceOf(TlsError);
        }
      }),
    );
  });

  it('proxyConnect: times out on a silent proxy, and over Web Streams keeps the tunnel bytes first', async () => {
    const silent: ProxyByteStream = { write: () => undefined, read: () => new Promise(() => undefined) };
    const t0 = Date.now();
    const e = await proxyConnect(silent, resolveProxy({ url: 'http://p:1', timeout: 100 }), { host: 'h', port: 1 }).catch((x: unknown) => x);
    expect((e as TlsError).status).toBe('TimedOut');
    expect(Date.now() - t0).toBeLessThan(5000);
    const written: Uint8Array[] = [];
    const readable = new ReadableStream<Uint8Array>({
      start(c): void {
        c.enqueue(enc('HTTP/1.1 200 OK\r\n\r\nfirst'));
        c.enqueue(enc('-second'));
        c.close();
      },
    });
    const writable = new WritableStream<Uint8Array>({ write: (b) => void written.push(b) });
    const s = await proxyConnectStreams({ readable, writable }, resolveProxy({ url: 'http://p:1' }), { host: 'h', port: 7 });
    let got = '';
    for await (const c of s.readable as unknown as AsyncIterable<Uint8Array>) got += dec(c);
    expect(got).toBe('first-second');
    expect(dec(written[0]!)).toBe('CONNECT h:7 HTTP/1.1\r\nHost: h:7\r\n\r\n');
  });
});

// ------------------------------------------------------------------ Node adapter

let pki: TestPki;
let server: TlsServer;
let serverPort: number;
let tlsConnections = 0;
const proxies: TestProxy[] = [];
const sockets: TlsSocket[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['target.example'] });
  server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    tlsConnections++;
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

async function proxy(mode: Parameters<typeof startTestProxy>[0]): Promise<TestProxy> {
  const p = await startTestProxy(mode);
  proxies.push(p);
  return p;
}

function through(url: string, extra: Partial<Parameters<typeof connect>[0]> & { username?: string; password?: string; timeout?: number } = {}): TlsSocket {
  const { username, password, timeout, ...rest } = extra;
  const s = connect({ host: '127.0.0.1', port: serverPort, servername: 'target.example', ca: pki.caCertPem, proxy: { url, username, password, timeout }, ...rest });
  sockets.push(s);
  return s;
}

function outcome(s: TlsSocket): Promise<TlsError | null> {
  return new Promise((resolve) => {
    s.once('secureConnect', () => resolve(null));
    s.once('error', (e: Error) => resolve(e as TlsError));
  });
}

async function echo(s: TlsSocket, text: string): Promise<string> {
  s.write(text);
  return new Promise((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
}

describe('Node adapter: connect({ proxy }) through a scripted proxy', () => {
  it('tunnels TLS end to end; the proxy sees CONNECT for the target and no TLS byte before its answer', async () => {
    const p = await proxy({ kind: 'tunnel' });
    const s = through(p.url);
    expect(await outcome(s)).toBeNull();
    expect(s.authorized).toBe(true);
    expect(s.info.version).toBe('TLSv1.3');
    expect(await echo(s, 'hi')).toBe('echo:hi');
    expect(p.requests).toEqual([`CONNECT 127.0.0.1:${serverPort} HTTP/1.1\r\nHost: 127.0.0.1:${serverPort}`]);
    expect(p.earlyBytes).toEqual([0]);
  });

  it('sends Basic credentials; wrong ones → ProxyAuthenticationRequired, and no message carries them', async () => {
    const p = await proxy({ kind: 'tunnel', credentials: { username: 'alice', password: 'correct horse' } });
    const ok = through(p.url, { username: 'alice', password: 'correct horse' });
    expect(await outcome(ok)).toBeNull();
    expect(await echo(ok, 'x')).toBe('echo:x');
    expect(p.requests[0]).toContain(`\r\nProxy-Authorization: Basic ${Buffer.from('alice:correct horse').toString('base64')}`);
    const before = tlsConnections;
    const bad = through(p.url, { username: 'alice', password: 'hunter2-wrong' });
    const e = await outcome(bad);
    expect(e).toBeInstanceOf(ProxyError);
    expect(e?.status).toBe('ProxyAuthenticationRequired');
    expect(getErrorStatus(e)).toBe('ProxyAuthenticationRequired');
    const printed = [e?.message, e?.stack, e?.detail, JSON.stringify(e), inspect(e, { depth: 5 })].join('\n');
    expect(printed).not.toContain('hunter2-wrong');
    expect(printed).not.toContain(Buffer.from('alice:hunter2-wrong').toString('base64'));
    const none = through(p.url);
    const e2 = await outcome(none);
    expect(e2?.status).toBe('ProxyAuthenticationRequired');
    expect(e2?.message).toContain('requires credentials');
    // The refused connections never reached the server.
    expect(tlsConnections).toBe(before);
  });

  it('any other refusal → ProxyRefused carrying the proxy status line', async () => {
    const p = await proxy({ kind: 'answer', raw: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!' });
    const e = (await outcome(through(p.url))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.statusCode).toBe(403);
    expect(e.statusLine).toBe('HTTP/1.1 403 Forbidden');
    expect(getErrorStatus(e)).toBe('ProxyRefused');
  });

  it('bytes the proxy sends after its header go to TLS, in order: a TLS alert there is reported as the peer\'s alert', async () => {
    // handshake_failure (40) as a plaintext alert record, in the same write as the 200.
    const alert = Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28);
    const p = await proxy({ kind: 'extra', head: 'HTTP/1.1 200 OK\r\n\r\n', extra: alert });
    const e = await outcome(through(p.url));
    expect(e?.status).toBe('AlertReceived');
    expect(e?.alert).toBe(40);
  });

  it('on the raw dialled socket, the bytes after the header come first, then the tunnel', async () => {
    const upstream = net.createServer((c) => c.end('-from-upstream'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (upstream.address() as net.AddressInfo).port;
      const p = await proxy({ kind: 'extra', head: 'HTTP/1.1 200 OK\r\nX: y\r\n\r\n', extra: enc('leftover') });
      const raw = dialNode({ host: '127.0.0.1', port }, { proxy: { url: p.url } });
      let got = '';
      raw.on('data', (d: Buffer) => (got += d.toString()));
      await new Promise((resolve) => raw.once('end', resolve));
      raw.destroy();
      expect(got).toBe('leftover-from-upstream');
    } finally {
      upstream.close();
    }
  });

  it('the socket\'s own net options (localAddress, keepAlive, timeout) apply through a proxy too', async () => {
    const p = await proxy({ kind: 'tunnel' });
    const raw = dialNode({ host: '127.0.0.1', port: serverPort, localAddress: '127.0.0.1', keepAlive: true, noDelay: true, timeout: 200 }, { proxy: { url: p.url } });
    raw.on('error', () => undefined);
    try {
      await new Promise((resolve) => raw.once('connect', resolve));
      expect(raw.localAddress).toBe('127.0.0.1');
      expect(raw.remotePort).toBe(p.port);
      // Idle (nothing written): the net timeout fires.
      await new Promise((resolve) => raw.once('timeout', resolve));
    } finally {
      raw.destroy();
    }
  });

  it('a header that never ends → ProxyRefused (bounded), a silent proxy → TimedOut, a closing one → ProxyRefused', async () => {
    const endless = await proxy({ kind: 'endless' });
    const e1 = await outcome(through(endless.url));
    expect(e1?.status).toBe('ProxyRefused');
    expect(e1?.message).toContain(String(PROXY_MAX_HEADER_BYTES));
    const silent = await proxy({ kind: 'silent' });
    const t0 = Date.now();
    const e2 = await outcome(through(silent.url, { timeout: 300 }));
    expect(e2?.status).toBe('TimedOut');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const closing = await proxy({ kind: 'close' });
    expect((await outcome(through(closing.url)))?.status).toBe('ProxyRefused');
  });

  it('a proxy that is not there → ConnectionRefused; bad proxy options throw InvalidConfig at the call', async () => {
    const dead = net.createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    expect((await outcome(through(`http://127.0.0.1:${port}`)))?.status).toBe('ConnectionRefused');
    expect(caught(() => through('https://127.0.0.1:1')).status).toBe('InvalidConfig');
    const raw = net.connect({ host: '127.0.0.1', port: serverPort });
    try {
      expect(caught(() => connect({ socket: raw, servername: 'target.example', proxy: { url: 'http://127.0.0.1:1' } })).status).toBe('InvalidConfig');
    } finally {
      raw.destroy();
    }
  });

  it('a hostile proxy that leads the tunnel to an impostor gains nothing: the impostor\'s certificate is refused', async () => {
    const evilPki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['target.example'], caName: 'Evil CA' });
    const evil = createServer({ cert: evilPki.chainPem, key: evilPki.keyPem }, (t) => {
      t.on('error', () => undefined);
      t.end('stolen');
    });
    evil.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
    try {
      const p = await proxy({ kind: 'tunnel', redirectPort: (evil.address() as net.AddressInfo).port });
      const s = through(p.url);
      let data = '';
      s.on('data', (d: Buffer) => (data += d.toString()));
      const e = await outcome(s);
      expect(e?.status).toBe('CertificateUntrusted');
      expect(data).toBe('');
    } finally {
      evil.close();
    }
  });

  it('with refusePrivateAddresses, the proxy is asked to CONNECT to the address checked here, not to the name', async () => {
    // The proxy refuses (403), so nothing is dialled: only the request is looked at.
    const p = await proxy({ kind: 'answer', raw: 'HTTP/1.1 403 Forbidden\r\n\r\n' });
    const lookup = ((_h: string, o: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void) =>
      process.nextTick(() => (o.all ? cb(null, [{ address: '203.0.114.7', family: 4 }]) : cb(null, '203.0.114.7', 4)))) as unknown as NonNullable<Parameters<typeof connect>[0]['lookup']>;
    const s = connect({ host: 'public.example', port: 443, ca: pki.caCertPem, proxy: { url: p.url }, refusePrivateAddresses: true, lookup });
    sockets.push(s);
    expect((await outcome(s))?.status).toBe('ProxyRefused');
    expect(p.requests[0]).toBe('CONNECT 203.0.114.7:443 HTTP/1.1\r\nHost: 203.0.114.7:443');
    // The same name resolving to a private address never reaches the proxy.
    const before = p.requests.length;
    const inward = ((_h: string, o: { all?: boolean }, cb: (e: Error | null, a: unknown, f?: number) => void) =>
      process.nextTick(() => (o.all ? cb(null, [{ address: '10.0.0.5', family: 4 }]) : cb(null, '10.0.0.5', 4)))) as unknown as NonNullable<Parameters<typeof connect>[0]['lookup']>;
    const t = connect({ host: 'public.example', port: 443, ca: pki.caCertPem, proxy: { url: p.url }, refusePrivateAddresses: true, lookup: inward });
    sockets.push(t);
    expect((await outcome(t))?.status).toBe('PrivateAddressRefused');
    await new Promise((r) => setTimeout(r, 50));
    expect(p.requests.length).toBe(before);
  });

  it('https.request runs through the proxy with puretls as its createConnection', async () => {
    const p = await proxy({ kind: 'tunnel' });
    const web = createServer({ cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: ['http/1.1'] });
    web.on('secureConnection', (s: TlsSocket) => {
      s.on('error', () => undefined);
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nproxied'));
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (web.address() as net.AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            createConnection: () => connect({ host: '127.0.0.1', port, servername: 'target.example', ca: pki.caCertPem, ALPNProtocols: ['http/1.1'], proxy: { url: p.url } }),
          },
          (res) => {
            let b = '';
            res.on('data', (d: Buffer) => (b += d.toString()));
            res.on('end', () => resolve(b));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('proxied');
      expect(p.requests[0]).toMatch(new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1`));
    } finally {
      web.close();
    }
  });
});
