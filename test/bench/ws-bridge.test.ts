/**
 * The WebSocket-to-TCP bridge of the browser benchmark (and of issue 11's browser proof):
 * bytes both ways in order with back-pressure, either side's end closes the other, and what
 * a hostile page can make it do is bounded: it never dials outside loopback, a text frame
 * or an oversized message ends that connection only.
 */
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connectWs, startWsBridge, type WsBridge } from '../helpers/ws-bridge.mjs';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server on 127.0.0.1 running `onSocket` for each connection. */
async function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function bridgeTo(port: number, maxPayload?: number): Promise<WsBridge> {
  const b = await startWsBridge({ target: { port }, ...(maxPayload ? { maxPayload } : {}) });
  cleanups.push(() => b.close());
  return b;
}

const sha256 = (chunks: Uint8Array[]): string => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ws-bridge', () => {
  it('carries 4 MiB each way in order through a TCP echo server (checksums match)', async () => {
    const port = await tcpServer((s) => s.pipe(s));
    const bridge = await bridgeTo(port);
    const ws = await connectWs(bridge.url);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 64; i++) {
      const chunk = new Uint8Array(randomBytes(64 * 1024));
      sent.push(chunk);
      await ws.send(chunk);
    }
    const total = 64 * 64 * 1024;
    await until(() => ws.received.reduce((n, c) => n + c.length, 0) >= total, 'the echo');
    expect(ws.received.reduce((n, c) => n + c.length, 0)).toBe(total);
    expect(sha256(ws.received)).toBe(sha256(sent));
    expect(bridge.stats.toTcp).toBe(total);
    expect(bridge.stats.toWs).toBe(total);
    ws.close();
    await ws.closed;
  });

  it('delivers everything the server wrote before it closed, then closes the WebSocket with 1000', async () => {
    const payload = new Uint8Array(randomBytes(3 * 1024 * 1024));
    const port = await tcpServer((s) => s.end(payload));
    const bridge = await bridgeTo(port);
    const ws = await connectWs(bridge.url);
    const { code } = await ws.closed;
    expect(code).toBe(1000);
    expect(sha256(ws.received)).toBe(sha256([payload]));
    await until(() => bridge.stats.open === 0, 'the bridge to forget the connection');
  });

  it('half-closes TCP when the page closes its WebSocket, so the server still gets the last bytes', async () => {
    let got = Buffer.alloc(0);
    let ended = false;
    const port = await tcpServer((s) => {
      s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
      s.on('end', () => {
        ended = true;
        s.end();
      });
    });
    const bridge = await bridgeTo(port);
    const ws = await connectWs(bridge.url);
    await ws.send(new TextEncoder().encode('last words'));
    ws.close();
    await until(() => ended, 'the TCP end');
    expect(got.toString()).toBe('last words');
  });

  it('keeps TCP half-open after the server\'s FIN: an answer the page sent before it saw the close still reaches the server', async () => {
    let got = '';
    let ended = false;
    const server = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('end', () => {
        ended = true;
        s.destroy();
      });
      s.end('bye'); // like a TLS server's close_notify + FIN
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const bridge = await bridgeTo((server.address() as net.AddressInfo).port);
    const ws = await connectWs(bridge.url, { onMessage: (d) => (new TextDecoder().decode(d) === 'bye' ? new TextEncoder().encode('close_notify too') : undefined) });
    expect((await ws.closed).code).toBe(1000);
    await until(() => ended, 'the page side\'s FIN at the server');
    expect(got).toBe('close_notify too');
    await until(() => bridge.stats.open === 0, 'the bridge to release the connection');
  });

  it('refuses to dial or listen outside loopback', async () => {
    await expect(startWsBridge({ target: { host: '10.0.0.1', port: 443 } })).rejects.toThrow(/not a loopback address/);
    await expect(startWsBridge({ target: { host: 'example.com', port: 443 } })).rejects.toThrow(/not a loopback address/);
    await expect(startWsBridge({ target: { port: 443 }, host: '0.0.0.0' })).rejects.toThrow(/not a loopback address/);
    await expect(startWsBridge({ target: { port: 0 } })).rejects.toThrow(/bad target port/);
  });

  it('a text frame (not bytes) ends that connection, TCP included; other connections go on', async () => {
    let tcpClosed = 0;
    const port = await tcpServer((s) => {
      s.on('close', () => tcpClosed++);
      s.pipe(s);
    });
    const bridge = await bridgeTo(port);
    const good = await connectWs(bridge.url);
    const bad = await connectWs(bridge.url);
    await until(() => bridge.stats.open === 2, 'two joined connections');
    await bad.send('GET / HTTP/1.0\r\n\r\n');
    await bad.closed;
    await until(() => tcpClosed === 1, 'the TCP side of the bad connection to close');
    await good.send(new Uint8Array([1, 2, 3]));
    await until(() => good.received.length > 0, 'the good connection\'s echo');
    expect([...good.received[0]!]).toEqual([1, 2, 3]);
    good.close();
  });

  it('a message over maxPayload ends that connection (1009) and never reaches TCP', async () => {
    let bytes = 0;
    const port = await tcpServer((s) => s.on('data', (d: Buffer) => (bytes += d.length)));
    const bridge = await bridgeTo(port, 1024);
    const ws = await connectWs(bridge.url);
    await ws.send(new Uint8Array(4096)).catch(() => {});
    const { code } = await ws.closed;
    expect(code).toBe(1009);
    expect(bytes).toBe(0);
    expect(bridge.stats.toTcp).toBe(0);
  });
});
