// In-memory client+server pairs, one process, no sockets: puretls (the sans-I/O engine,
// any provider), Node `tls` (TLSSocket over a pair of in-memory Duplex streams, one
// SecureContext per side reused for every connection), node-forge and subtls.
import tls from 'node:tls';
import { Duplex } from 'node:stream';

// ------------------------------------------------------------------ puretls

/** Moves everything `from` has to send into `to`, processing as it goes. True if anything moved. */
async function move(from, to) {
  let moved = false;
  for (let out = from.takeOutput(); out; out = from.takeOutput()) {
    let data = out;
    while (data.length > 0) {
      // The bytes takeOutput() returned are ours alone: transferred, as the Node adapter
      // transfers socket chunks (a whole record is then taken without a copy).
      const n = to.receive(data, true);
      data = data.subarray(n);
      await to.process();
      if (to.error) throw to.error;
      if (n === 0 && data.length > 0) throw new Error('puretls: receive() took no bytes');
    }
    moved = true;
  }
  return moved;
}

/** Runs both ends until neither has anything to send. */
export async function pumpPure(a, b) {
  await a.process();
  for (;;) {
    const x = await move(a, b);
    const y = await move(b, a);
    if (!x && !y) break;
  }
  if (a.error) throw a.error;
  if (b.error) throw b.error;
}

/** Client options that belong to a connection, not to a shared config (ClientConnectionOptions). */
const PER_CONNECTION_KEYS = ['servername', 'ALPNProtocols', 'keyShareGroups'];

/**
 * Factories of puretls connections with options built once. When the build offers
 * `createClientConfig` / `createServerConfig` (configuration built once, issue 9 item 1),
 * the config is built once and shared; otherwise the same options object is reused (and
 * each connection parses it: that cost is then part of the figure).
 */
export function pureFactories(lib, clientOptions, serverOptions) {
  const { TlsConnection } = lib;
  if (typeof lib.createClientConfig === 'function' && typeof lib.createServerConfig === 'function') {
    // What belongs to one connection (the server name, ALPN, key shares) is not config.
    const config = { ...clientOptions };
    const perConnection = {};
    for (const k of PER_CONNECTION_KEYS) {
      if (k in config) {
        perConnection[k] = config[k];
        delete config[k];
      }
    }
    const cc = lib.createClientConfig(config);
    const sc = lib.createServerConfig(serverOptions);
    return { client: () => TlsConnection.client(cc, perConnection), server: () => TlsConnection.server(sc), configBuiltOnce: true };
  }
  return { client: () => TlsConnection.client(clientOptions), server: () => TlsConnection.server(serverOptions), configBuiltOnce: false };
}

/** One full handshake between a new client and a new server; returns both. */
export async function pureHandshake(f) {
  const client = f.client();
  const server = f.server();
  await pumpPure(client, server);
  if (!client.handshakeComplete || !server.handshakeComplete) throw new Error('puretls handshake did not complete');
  return { client, server };
}

/**
 * Records in flight in the windowed bulk figure: 4 × 16 KiB, what a socket's send buffer (and
 * the Node adapter's gathered writes) lets a streaming writer have out at once. With a
 * synchronous AEAD each record is still sealed when written and opened when received, one
 * after the other (the records are colder in the cache by the time they are opened); an
 * asynchronous one (webcrypto) seals the window's records concurrently and the receiver opens
 * a chunk's records concurrently, as a socket's writer and reader would have them.
 */
export const BULK_WINDOW = 4;

/**
 * Moves what `from` has sealed into `to` (one buffer per record where the engine gives them
 * apart, as a gathered socket write), then processes. Every record is offered whole before
 * `process()` runs, as far as `receive()` takes them.
 */
async function deliver(from, to) {
  const outs = from.takeOutputv();
  if (outs === null) return;
  for (const out of outs) {
    let data = out;
    let stalled = false;
    while (data.length > 0) {
      // The bytes are ours alone: transferred, as the Node adapter transfers socket chunks.
      const n = to.receive(data, true);
      if (n === 0 && stalled) throw new Error('puretls: receive() took no bytes after process()');
      data = data.subarray(n);
      if (data.length === 0) break;
      await to.process();
      if (to.error) throw to.error;
      stalled = n === 0;
    }
  }
  await to.process();
  if (to.error) throw to.error;
}

/**
 * Sends `total` bytes in `data.length`-sized writes from client to server over an established
 * pair, `window` records at a time (1: each record written, moved and read before the next).
 */
export async function pureTransfer(pair, data, total, window = 1) {
  const { client, server } = pair;
  let received = 0;
  let pending = 0;
  for (let sent = 0; sent < total; ) {
    client.write(data);
    sent += data.length;
    if (++pending < window && sent < total) continue;
    pending = 0;
    // An asynchronous AEAD (webcrypto) seals after write() returns: wait for it (issue 9 item 2).
    if (client.sealing) await client.settled();
    await deliver(client, server);
    for (let r = server.read(); r; r = server.read()) received += r.length;
  }
  if (received !== total) throw new Error(`puretls bulk: received ${received} of ${total}`);
}

// ------------------------------------------------------------------ node:tls

/** Two Duplex streams joined back to back in memory. */
export function duplexPair() {
  let a = null;
  let b = null;
  const mk = (peer) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
    });
  a = mk(() => b);
  b = mk(() => a);
  return [a, b];
}

/** A Node `tls` handshake over an in-memory pair, each side with its reused SecureContext. */
export function nodeHandshake(ctx) {
  return new Promise((resolve, reject) => {
    const [x, y] = duplexPair();
    const server = new tls.TLSSocket(x, { isServer: true, secureContext: ctx.server });
    const client = tls.connect({ socket: y, secureContext: ctx.client, servername: 'localhost', session: ctx.session });
    server.on('error', reject);
    client.on('error', reject);
    // Both ends done: the client's secureConnect, and the server's 'secure' (it has checked
    // the client's Finished), as the puretls pump waits for both.
    let left = 2;
    const done = () => {
      if (--left === 0) resolve({ client, server });
    };
    server.on('secure', done);
    client.on('secureConnect', () => {
      if (!client.authorized) reject(new Error(`node:tls client not authorized: ${client.authorizationError}`));
      else done();
    });
  });
}

/** Closes both ends of a Node pair. */
export function nodeClose({ client, server }) {
  client.destroy();
  server.destroy();
}

/** Sends `total` bytes from client to server over an established Node pair, honouring back-pressure. */
export function nodeTransfer({ client, server }, data, total) {
  return new Promise((resolve, reject) => {
    let received = 0;
    const onData = (d) => {
      received += d.length;
      if (received >= total) {
        server.off('data', onData);
        server.off('error', reject);
        resolve();
      }
    };
    server.on('data', onData);
    server.on('error', reject);
    let sent = 0;
    const writeMore = () => {
      while (sent < total) {
        sent += data.length;
        if (!client.write(data)) {
          client.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
  });
}

// ------------------------------------------------------------------ node-forge

/** PEM blocks of a chain, as node-forge's getCertificate wants them. */
const pemBlocks = (pem) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);

/**
 * node-forge at its best: TLS 1.1 offered (its newest; see handshakes.mjs for what it
 * agrees on with itself), RSA key exchange, AES-128-CBC-SHA, an RSA
 * certificate; the client checks the chain against the CA store (forge has no host-name
 * check). CA store and key built once.
 */
export function forgeContext(forge, pki) {
  return {
    forge,
    caStore: forge.pki.createCaStore([pki.caCertPem]),
    chain: pemBlocks(pki.chainPem),
    keyPem: pki.keyPem,
    suites: [forge.tls.CipherSuites.TLS_RSA_WITH_AES_128_CBC_SHA],
  };
}

/** The TLS version name of forge's `{ major, minor }` ('3.1' is TLS 1.0). */
export const forgeVersionName = (v) => ({ '3.1': 'TLS 1.0', '3.2': 'TLS 1.1', '3.3': 'TLS 1.2' })[v] ?? `version ${v}`;

/** One forge handshake in memory; resolves with `{ client, server, version }` once the client is connected. */
export function forgeHandshake(fc) {
  const { forge } = fc;
  return new Promise((resolve, reject) => {
    const pair = { client: null, server: null, onServerData: () => {} };
    pair.server = forge.tls.createConnection({
      server: true,
      caStore: fc.caStore,
      sessionCache: null,
      cipherSuites: fc.suites,
      verifyClient: false,
      getCertificate: () => fc.chain,
      getPrivateKey: () => fc.keyPem,
      connected: () => {},
      tlsDataReady: (c) => pair.client.process(c.tlsData.getBytes()),
      dataReady: (c) => pair.onServerData(c.data.getBytes().length),
      closed: () => {},
      error: (_c, e) => reject(new Error(`node-forge server: ${e.message}`)),
    });
    pair.client = forge.tls.createConnection({
      server: false,
      caStore: fc.caStore,
      sessionCache: null,
      cipherSuites: fc.suites,
      virtualHost: 'localhost',
      verify: (_c, verified) => verified,
      connected: (c) => {
        pair.version = `${c.version.major}.${c.version.minor}`;
        resolve(pair);
      },
      tlsDataReady: (c) => pair.server.process(c.tlsData.getBytes()),
      dataReady: () => {},
      closed: () => {},
      error: (_c, e) => reject(new Error(`node-forge client: ${e.message}`)),
    });
    pair.client.handshake();
  });
}

/** Sends `total` bytes (a binary string chunk, forge's data type) from client to server. */
export function forgeTransfer(pair, chunkString, total) {
  return new Promise((resolve) => {
    let received = 0;
    pair.onServerData = (n) => {
      received += n;
      if (received >= total) resolve();
    };
    for (let sent = 0; sent < total; sent += chunkString.length) pair.client.prepare(chunkString);
  });
}

// ------------------------------------------------------------------ subtls

const ONE_BYTE = new Uint8Array([0x61]);

/**
 * A subtls client (TLS 1.3, P-256 key exchange, AES-128-GCM, WebCrypto) against a Node
 * `tls` server in memory. subtls reads through `read(n, mode)` (mode 1 = peek).
 */
export async function subtlsHandshake(subtls, roots, serverCtx) {
  const [x, y] = duplexPair();
  const server = new tls.TLSSocket(x, { isServer: true, secureContext: serverCtx });
  const failed = new Promise((_r, reject) => server.on('error', reject));
  failed.catch(() => {});
  const queue = [];
  let buf = new Uint8Array(0);
  let wake = null;
  let ended = false;
  y.on('data', (d) => {
    queue.push(new Uint8Array(d.buffer, d.byteOffset, d.length));
    if (wake) wake();
  });
  y.on('end', () => {
    ended = true;
    if (wake) wake();
  });
  const read = async (n, mode) => {
    while (buf.length < n) {
      if (queue.length) {
        const c = queue.shift();
        const nb = new Uint8Array(buf.length + c.length);
        nb.set(buf);
        nb.set(c, buf.length);
        buf = nb;
        continue;
      }
      if (ended) return undefined;
      await new Promise((r) => (wake = r));
      wake = null;
    }
    const out = buf.subarray(0, n);
    if (mode !== 1) buf = buf.subarray(n);
    return out;
  };
  const serverDone = new Promise((resolve) => server.on('secure', resolve));
  const firstByte = new Promise((resolve) => server.once('data', resolve));
  const conn = await Promise.race([subtls.startTls('localhost', roots, read, (d) => y.write(d)), failed]);
  // subtls sends its Finished with the first write: one byte completes the handshake.
  await conn.write(ONE_BYTE);
  await Promise.race([serverDone, failed]);
  await Promise.race([firstByte, failed]);
  return { conn, server, y };
}

/** Closes a subtls pair. */
export function subtlsClose(p) {
  p.server.destroy();
  p.y.destroy();
}

/** Sends `total` bytes from the subtls client to the Node server. */
export async function subtlsTransfer(p, data, total) {
  let received = 0;
  const done = new Promise((resolve) => {
    const onData = (d) => {
      received += d.length;
      if (received >= total) {
        p.server.off('data', onData);
        resolve();
      }
    };
    p.server.on('data', onData);
  });
  for (let sent = 0; sent < total; sent += data.length) await p.conn.write(data);
  await done;
}
