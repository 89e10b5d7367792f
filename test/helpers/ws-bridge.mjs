// A WebSocket-to-TCP bridge for tests and benchmarks: a browser (which has no raw sockets)
// opens a WebSocket to this server, and each WebSocket is joined to one new TCP connection
// to a fixed target on loopback. Binary messages become TCP bytes and TCP bytes become
// binary messages, in order, with back-pressure both ways; either side's end closes the
// other. Used by bench/browser (puretls in headless Chromium against `openssl s_server`)
// and meant for issue 11's browser proof.
//
// Test-only: it listens on 127.0.0.1 (or ::1) and refuses a target that is not a loopback
// address, so no page it serves can make it dial anywhere else. Plain .mjs (with
// ws-bridge.d.mts for TypeScript) so that Node runs it as is from bench scripts.
import net from 'node:net';
import { WebSocketServer } from 'ws';

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** Pause the TCP side while this many bytes wait to be sent on the WebSocket. */
const WS_HIGH_WATER = 1024 * 1024;

/**
 * Starts a bridge. Every WebSocket accepted on `ws://host:port/` is joined to a new TCP
 * connection to `target` (a loopback host and port).
 *
 * @param {{ target: { host?: string, port: number }, host?: string, port?: number, maxPayload?: number }} options
 *   `host`/`port`: where the WebSocket server listens (default 127.0.0.1, a port the OS
 *   picks); `maxPayload`: the largest WebSocket message accepted (default 1 MiB).
 * @returns {Promise<{ url: string, port: number, stats: { sockets: number, open: number, toTcp: number, toWs: number }, close(): Promise<void> }>}
 */
export async function startWsBridge(options) {
  const target = { host: options.target.host ?? '127.0.0.1', port: options.target.port };
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(target.host)) throw new Error(`ws-bridge: target ${target.host} is not a loopback address`);
  if (!LOOPBACK.test(host)) throw new Error(`ws-bridge: listen address ${host} is not a loopback address`);
  if (!Number.isInteger(target.port) || target.port <= 0 || target.port > 65535) throw new Error(`ws-bridge: bad target port ${target.port}`);

  const stats = { sockets: 0, open: 0, toTcp: 0, toWs: 0 };
  const live = new Set();
  const wss = new WebSocketServer({ host, port: options.port ?? 0, maxPayload: options.maxPayload ?? 1024 * 1024, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });

  wss.on('connection', (ws, req) => {
    stats.sockets++;
    stats.open++;
    // Half-open allowed: after the server's FIN, messages the page sent before it saw the
    // close (a TLS close_notify crossing the server's) still reach the server.
    const tcp = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    tcp.setNoDelay(true);
    live.add(tcp);
    const wsRaw = req.socket;
    let done = false;
    const finish = (code) => {
      if (done) return;
      done = true;
      stats.open--;
      live.delete(tcp);
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) {
        if (code === 1000) ws.close(1000);
        else ws.terminate();
      }
    };

    ws.on('message', (data, isBinary) => {
      if (!isBinary) return finish(1003); // text frames are not bytes for TLS
      stats.toTcp += data.length;
      // Back-pressure: stop reading WebSocket frames while TCP cannot take more.
      if (!tcp.write(data)) {
        wsRaw.pause();
        tcp.once('drain', () => wsRaw.resume());
      }
    });
    ws.on('close', () => {
      // The page's side is closed: half-close TCP so the server still sees its last bytes
      // (TCP closes fully once the server ends too; 'close' then finishes).
      if (!done) tcp.end();
    });
    ws.on('error', () => finish(1011));

    let waiting = false;
    tcp.on('data', (chunk) => {
      stats.toWs += chunk.length;
      ws.send(chunk, { binary: true });
      if (!waiting && ws.bufferedAmount > WS_HIGH_WATER) {
        waiting = true;
        tcp.pause();
        const check = () => {
          if (done) return;
          if (ws.bufferedAmount > WS_HIGH_WATER / 2) return void setTimeout(check, 1);
          waiting = false;
          tcp.resume();
        };
        setTimeout(check, 1);
      }
    });
    // The server's FIN: close the WebSocket after the bytes queued before it (ws sends its
    // close frame after them); TCP is released once the page's side is closed too.
    tcp.on('end', () => {
      if (ws.readyState === ws.OPEN) ws.close(1000);
      if (ws.readyState === ws.CLOSED) finish(1000);
    });
    tcp.on('close', () => finish(1000));
    tcp.on('error', () => finish(1011));
  });

  const port = wss.address().port;
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    stats,
    close: () =>
      new Promise((resolve) => {
        for (const s of live) s.destroy();
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * A Node-side WebSocket client for testing the bridge (what a page does with `WebSocket`):
 * resolves once open; `received` collects the binary messages; `closed` resolves with the
 * close code. `options.onMessage` may return bytes to send back at once.
 *
 * @param {string} url
 * @param {{ onMessage?: (data: Uint8Array) => Uint8Array | undefined }} [options]
 */
export async function connectWs(url, options = {}) {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const received = [];
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve({ code })));
  ws.on('message', (data) => {
    const bytes = new Uint8Array(data);
    received.push(bytes);
    // Synchronously, as a page's onmessage would answer before the close frame behind it.
    const reply = options.onMessage?.(bytes);
    if (reply) ws.send(reply, { binary: true });
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  return {
    received,
    closed,
    send: (data) => new Promise((resolve, reject) => ws.send(data, { binary: typeof data !== 'string' }, (err) => (err ? reject(err) : resolve()))),
    close: () => ws.close(1000),
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}
