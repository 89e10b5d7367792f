// The benchmark page's driver, bundled by esbuild for the browser (bench/browser/run.mjs):
// puretls/client (with the `pure` or the `webcrypto` provider) and epoxy-tls, each fetching
// a file from the same `openssl s_server -WWW` on loopback, reached through a WebSocket:
//   - puretls over the WebSocket-to-TCP bridge (test/helpers/ws-bridge.mjs): one WebSocket
//     per TLS connection, the way a page without raw sockets reaches a TCP server;
//   - puretls over Wisp (one WebSocket, one Wisp stream per TLS connection): the same path
//     as epoxy, so the two TLS stacks are compared with the transport held equal;
//   - epoxy-tls over Wisp (its only transport).
// Node drives it through page.evaluate: `window.bench.batch(name, ms)` runs whole
// connections (connect, TLS 1.3 full handshake, GET a small file, read to the server's
// close) for at least `ms` milliseconds; `window.bench.bulk(name)` times reading the big
// file over a connection whose handshake is already done.
//
// The puretls transport here is a minimal WebSocket duplex around TlsPump (issue 11 will
// add a real `puretls/web` adapter; this is not it).
import { TlsConnection, createClientConfig, nobleProvider } from 'puretls-dist/client.js';
import { webcryptoProvider } from 'puretls-dist/webcrypto.js';
import { TlsPump } from 'puretls-dist/transport/pump.js';
import initEpoxy, { EpoxyClient, EpoxyClientOptions, info as epoxyInfo } from '@mercuryworkshop/epoxy-tls/epoxy';
import { client as wisp } from '@mercuryworkshop/wisp-js/client';

const enc = new TextEncoder();
let setup = null;
const configs = {};
/** Configs each with its own copy of the pure provider: no signature remembered from an earlier connection. */
const freshPool = { pure: [], webcrypto: [] };
let freshNext = 0;
let epoxy = null;
let wispConn = null;

/** A WebSocket to the bridge as a byte duplex: resolves once the socket is open. */
function bridgeTransport(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    const t = {
      onData: null,
      onEnd: null,
      send: (b) => ws.send(b),
      close: () => ws.close(),
    };
    ws.onopen = () => resolve(t);
    ws.onerror = () => reject(new Error(`WebSocket to ${url} failed`));
    ws.onmessage = (ev) => t.onData?.(new Uint8Array(ev.data));
    ws.onclose = () => t.onEnd?.();
  });
}

/** A Wisp stream (over the page's one Wisp WebSocket) as a byte duplex. */
function wispTransport(host, port) {
  const s = wispConn.create_stream(host, port);
  const t = {
    onData: null,
    onEnd: null,
    send: (b) => s.send(b),
    close: () => s.close(),
  };
  s.onmessage = (d) => t.onData?.(d);
  s.onclose = () => t.onEnd?.();
  return Promise.resolve(t);
}

/**
 * Counts a response's body: done once `want` body bytes followed the header. Both clients
 * stop there (epoxy-tls's stream does not report the server's close, see run.mjs), so both
 * are timed to the same byte.
 */
function responseCounter(want) {
  let head = '';
  let body = -1;
  return {
    /** Adds a chunk; true once the whole body is in. */
    add(chunk) {
      if (body < 0) {
        head += String.fromCharCode(...chunk.subarray(0, Math.min(chunk.length, 1024)));
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) {
          if (head.length > 4096) throw new Error('no end of HTTP header in 4 KiB');
          return false;
        }
        if (!head.startsWith('HTTP/1.0 200')) throw new Error(`unexpected response: ${head.slice(0, 40)}`);
        body = head.length - end - 4 + (chunk.length - Math.min(chunk.length, 1024));
      } else body += chunk.length;
      return body >= want;
    },
    get body() {
      return Math.max(body, 0);
    },
  };
}

/** One puretls connection: TLS 1.3 full handshake, `GET path`, read the whole file. */
async function puretlsGet(c, path, want) {
  const t = c.path === 'wisp' ? await wispTransport('localhost', setup.port) : await bridgeTransport(setup.bridgeUrl);
  const counter = responseCounter(want);
  let done;
  let settled = false;
  const complete = new Promise((resolve, reject) => (done = { resolve, reject })).finally(() => (settled = true));
  const pool = freshPool[c.provider];
  const config = c.freshProvider ? pool[freshNext++ % pool.length] : configs[c.provider];
  const conn = TlsConnection.client(config, { servername: 'localhost', ...(c.keyShareGroups ? { keyShareGroups: c.keyShareGroups } : {}) });
  const pump = new TlsPump(conn, {
    send: (b) => t.send(b),
    deliver: (d) => {
      try {
        if (counter.add(d)) done.resolve();
      } catch (e) {
        done.reject(e);
      }
    },
    // After the last byte we close at once; the server's own close then arrives here.
    readEnded: () => settled || done.reject(new Error(`server closed after ${counter.body} of ${want} bytes`)),
    error: (e) => settled || done.reject(e),
  });
  t.onData = (d) => pump.push(d);
  t.onEnd = () => pump.eof();
  await pump.start();
  await conn.handshake();
  const t0 = performance.now();
  await pump.write(enc.encode(`GET ${path} HTTP/1.0\r\n\r\n`));
  await complete;
  const ms = performance.now() - t0;
  await pump.close();
  t.close();
  return { bytes: counter.body, ms, info: conn.info };
}

/** One epoxy-tls connection: the same exchange. */
async function epoxyGet(path, want) {
  const s = await epoxy.connect_tls(`tls://localhost:${setup.port}`);
  const reader = s.read.getReader();
  const writer = s.write.getWriter();
  const counter = responseCounter(want);
  const t0 = performance.now();
  await writer.write(enc.encode(`GET ${path} HTTP/1.0\r\n\r\n`));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server closed after ${counter.body} of ${want} bytes`);
    if (counter.add(value)) break;
  }
  const ms = performance.now() - t0;
  await reader.cancel().catch(() => {});
  // Not awaited: with epoxy-tls 2.1.19-1, writer.close() never settles once the server has
  // closed (and its read side never reports the end either).
  writer.close().catch(() => {});
  return { bytes: counter.body, ms };
}

/**
 * The path alone, no TLS: open the transport (and so a TCP connection to s_server), send a
 * plaintext HTTP request, which OpenSSL refuses by closing, and wait for that close. One
 * round trip through the relay, as a TLS connection's cost floor on that path.
 */
async function pathOnly(c) {
  const t = c.path === 'wisp' ? await wispTransport('localhost', setup.port) : await bridgeTransport(setup.bridgeUrl);
  const closed = new Promise((resolve) => {
    t.onEnd = resolve;
    t.onData = resolve;
  });
  t.send(enc.encode('GET / HTTP/1.0\r\n\r\n'));
  await closed;
  t.close();
  return { bytes: 0, ms: 0, pathOnly: true };
}

function get(name, path, want) {
  const c = setup.contenders[name];
  if (c.kind === 'path') return pathOnly(c);
  return c.kind === 'epoxy' ? epoxyGet(path, want) : puretlsGet(c, path, want);
}

/** Checks one response: an HTTP status line from s_server and the whole file. */
function check(r, want, name) {
  if (r.pathOnly) return r;
  if (r.bytes < want) throw new Error(`${name}: got ${r.bytes} bytes, expected at least ${want}`);
  return r;
}

window.bench = {
  /** Loads configs and epoxy; returns what ran (versions, providers, delegations). */
  async init(s) {
    setup = s;
    const crypto = { pure: 'pure', webcrypto: webcryptoProvider() };
    for (const p of ['pure', 'webcrypto']) {
      configs[p] = createClientConfig({ ca: s.caPem, crypto: crypto[p], minVersion: 'TLSv1.3' });
    }
    for (const p of ['pure', 'webcrypto']) {
      if (!Object.values(s.contenders).some((c) => c.freshProvider && c.provider === p)) continue;
      const fresh = () => (p === 'pure' ? { ...nobleProvider } : webcryptoProvider());
      freshPool[p] = Array.from({ length: s.freshPoolSize }, () => createClientConfig({ ca: s.caPem, crypto: fresh(), minVersion: 'TLSv1.3' }));
    }
    if (s.debug) console.log('init: configs built');
    await initEpoxy({ module_or_path: s.epoxyWasmUrl });
    if (s.debug) console.log('init: epoxy loaded');
    const o = new EpoxyClientOptions();
    o.pem_files = [s.caPem];
    o.user_agent = navigator.userAgent;
    epoxy = new EpoxyClient(s.wispUrl, o);
    wispConn = new wisp.ClientConnection(s.wispUrl);
    await new Promise((resolve, reject) => {
      wispConn.onopen = resolve;
      wispConn.onerror = () => reject(new Error('wisp connection failed'));
    });
    if (s.debug) console.log('init: wisp open');
    const out = { userAgent: navigator.userAgent, epoxy: epoxyInfo, checks: {} };
    for (const name of Object.keys(s.contenders)) {
      if (s.debug) console.log(`init: checking ${name}`);
      const r = check(await get(name, s.smallPath, s.smallBytes), s.smallBytes, name);
      out.checks[name] = { bytes: r.bytes, ...(r.info ? { version: r.info.version, cipherSuite: r.info.cipherSuite, group: r.info.group ?? r.info.keyExchangeGroup, provider: r.info.provider, delegated: r.info.providerDelegated } : {}) };
    }
    return out;
  },

  /** Whole connections (handshake + small GET) for at least `ms`: `{ ops, wallMs }`. */
  async batch(name, ms, minOps = 1) {
    let ops = 0;
    const t0 = performance.now();
    let t = t0;
    while (ops < minOps || t - t0 < ms) {
      check(await get(name, setup.smallPath, setup.smallBytes), setup.smallBytes, name);
      ops++;
      t = performance.now();
    }
    return { ops, wallMs: t - t0 };
  },

  /** One bulk download: `{ bytes, ms }` from the request to the server's close. */
  async bulk(name) {
    return check(await get(name, setup.bulkPath, setup.bulkBytes), setup.bulkBytes, name);
  },
};
