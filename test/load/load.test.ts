/**
 * CI-sized load and slowloris checks through the Node adapter on loopback (the full-size
 * runs are bench/load.mjs and bench/slowloris.mjs):
 * - 50 connections open at the same time, each moving 256 KiB both ways, sha256 of both
 *   ends compared: puretls on both sides, puretls against a Node `tls` server, and a Node
 *   `tls` client against puretls; zero errors, every byte delivered, clean close both ways;
 * - 200 sockets send half a ClientHello and stall: a 500 ms handshakeTimeout closes every
 *   one of them (TimedOut on the server, a close on the client, neither early nor late);
 * - the server memory (heap + ArrayBuffers, after a full GC) a stalled socket holds, for
 *   half a ClientHello and for 11 bytes that announce a 64 KiB ClientHello.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { TlsError } from '../../src/base/errors.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { endpoint, type Endpoint, type EndpointResult } from './endpoint.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SUITE = 'TLS_CHACHA20_POLY1305_SHA256';
let pki: TestPki;
let pool: Uint8Array;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
  pool = randomBytes((1 << 20) + 4099);
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => resolve());
  });
  cleanup.push(() => server.close());
  const a = server.address();
  if (!a || typeof a !== 'object') throw new Error('no address');
  return a.port;
}

const offsetFor = (id: number, side: 'client' | 'server'): number => ((id * 7919 + (side === 'server' ? 104729 : 0)) * 13) % pool.length;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

// ------------------------------------------------------------------ load

type Impl = 'pure' | 'node';

interface LoadServer {
  port: number;
  /** The server end of each connection, by the client's port. */
  ends: Map<number, Promise<EndpointResult>>;
  errors: string[];
}

async function loadServer(impl: Impl, total: number): Promise<LoadServer> {
  const ends = new Map<number, Promise<EndpointResult>>();
  const errors: string[] = [];
  const onSecure = (sock: TlsSocket | tls.TLSSocket): void => {
    const port = sock.remotePort!;
    const ep = endpoint(sock, pool, offsetFor(port, 'server'), total);
    // The client's first byte starts this side (the client starts once all are open).
    sock.once('data', () => ep.start());
    ends.set(port, ep.closed);
  };
  let server: net.Server;
  if (impl === 'pure') {
    const s: TlsServer = createServer({ cert: pki.chainPem, key: pki.keyPem, cipherSuites: [SUITE], handshakeTimeout: 60_000 }, onSecure);
    s.on('tlsClientError', (e: TlsError) => errors.push(`tlsClientError ${e.status}: ${e.message}`));
    server = s;
  } else {
    const s = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', ciphers: SUITE }, onSecure);
    s.on('tlsClientError', (e: Error) => errors.push(`tlsClientError: ${e.message}`));
    server = s;
  }
  return { port: await listen(server), ends, errors };
}

interface ClientConn {
  i: number;
  sock: TlsSocket | tls.TLSSocket;
  ep: Endpoint;
  localPort: number | null;
  handshakeError: string | null;
}

function openClient(impl: Impl, port: number, i: number, total: number): Promise<ClientConn> {
  return new Promise((resolve) => {
    const sock =
      impl === 'pure'
        ? connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, cipherSuites: [SUITE], keyShareGroups: ['x25519'] })
        : tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', ciphers: SUITE });
    cleanup.push(() => sock.destroy());
    const c: ClientConn = { i, sock, ep: endpoint(sock, pool, offsetFor(i, 'client'), total), localPort: null, handshakeError: null };
    sock.once('secureConnect', () => {
      c.localPort = sock.localPort ?? null;
      resolve(c);
    });
    sock.once('error', (e: Error) => {
      if (c.localPort === null) {
        c.handshakeError = e.message;
        resolve(c);
      }
    });
  });
}

/** Opens `n` connections (at most 10 handshakes in flight), then starts every transfer at once. */
async function loadRun(clientImpl: Impl, serverImpl: Impl, n: number, total: number): Promise<void> {
  const srv = await loadServer(serverImpl, total);
  const conns: ClientConn[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < n) conns.push(await openClient(clientImpl, srv.port, next++, total));
    }),
  );
  expect(conns.filter((c) => c.handshakeError).map((c) => c.handshakeError)).toEqual([]);
  // All n are open now (a TLS 1.3 server completes a moment after its client): the server has an end for each.
  await waitUntil(() => srv.ends.size === n, 10_000, 'the server to complete every handshake');
  for (const c of conns) c.ep.start();
  const clientEnds = await withTimeout(Promise.all(conns.map((c) => c.ep.closed)), 50_000, 'every client connection closed');
  const problems: string[] = [];
  for (const [k, c] of conns.entries()) {
    const cr = clientEnds[k]!;
    const sr = await withTimeout(srv.ends.get(c.localPort!)!, 10_000, `server end of connection ${c.i}`);
    const bad = (what: string): void => {
      if (problems.length < 10) problems.push(`connection ${c.i}: ${what}`);
    };
    if (cr.error || sr.error) bad(`errors ${cr.error ?? '-'} / ${sr.error ?? '-'}`);
    if (cr.sent !== total || sr.sent !== total) bad(`sent ${cr.sent} / ${sr.sent} of ${total}`);
    if (sr.recv !== total || sr.recvHash !== cr.sentHash) bad(`client -> server: ${sr.recv} bytes, sha256 ${sr.recvHash === cr.sentHash ? 'equal' : 'differs'}`);
    if (cr.recv !== total || cr.recvHash !== sr.sentHash) bad(`server -> client: ${cr.recv} bytes, sha256 ${cr.recvHash === sr.sentHash ? 'equal' : 'differs'}`);
    if (!cr.gotEnd || !sr.gotEnd) bad(`clean end: client ${cr.gotEnd}, server ${sr.gotEnd}`);
  }
  expect(problems).toEqual([]);
  expect(srv.errors).toEqual([]);
}

describe('load: 50 concurrent connections x 256 KiB both ways, sha256 compared', () => {
  it.each([
    ['puretls client', 'puretls server', 'pure', 'pure'],
    ['puretls client', 'Node tls server', 'pure', 'node'],
    ['Node tls client', 'puretls server', 'node', 'pure'],
  ] as const)('%s -> %s', async (_c, _s, clientImpl, serverImpl) => {
    await loadRun(clientImpl, serverImpl, 50, 256 * 1024);
  });
});

// ------------------------------------------------------------------ slowloris

interface StallServer {
  port: number;
  accepted: number;
  timedOut: number;
  closed: number;
  other: string[];
}

async function stallServer(handshakeTimeout: number): Promise<StallServer> {
  const st: StallServer = { port: 0, accepted: 0, timedOut: 0, closed: 0, other: [] };
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, handshakeTimeout }, (s) => {
    st.other.push('a stalled socket completed a handshake');
    s.destroy();
  });
  server.on('connection', (raw: net.Socket) => {
    st.accepted++;
    raw.once('close', () => st.closed++);
  });
  server.on('tlsClientError', (e: TlsError) => {
    if (e.status === 'TimedOut') st.timedOut++;
    else st.other.push(`${e.status}: ${e.message}`);
  });
  st.port = await listen(server);
  return st;
}

/** Opens `n` sockets that each send `bytes` and stall; resolves with how long after its bytes each was closed by the server (ms). */
async function stall(port: number, n: number, bytes: Uint8Array): Promise<{ closes: Promise<number[]> }> {
  const closes: Promise<number>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < n) {
        next++;
        await new Promise<void>((opened, failed) => {
          const s = net.connect({ host: '127.0.0.1', port });
          cleanup.push(() => s.destroy());
          s.on('data', () => {});
          s.on('error', (e) => failed(e));
          s.once('connect', () => {
            s.removeAllListeners('error');
            s.on('error', () => {}); // a reset counts as the close below
            s.write(bytes, () => {
              const sentAt = performance.now();
              closes.push(new Promise((resolve) => s.once('close', () => resolve(performance.now() - sentAt))));
              opened();
            });
          });
        });
      }
    }),
  );
  return { closes: Promise.all(closes) };
}

async function halfClientHello(): Promise<Uint8Array> {
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
  await c.process();
  const ch = c.takeOutput()!;
  return ch.slice(0, Math.floor(ch.length / 2));
}

/** A complete record whose handshake header announces a 65,535-byte ClientHello, and 2 bytes of it (issue 7 item 3). */
const ANNOUNCE = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0xff, 0xff, 0x03, 0x03]);

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function heapAndBuffers(): { total: number; arrayBuffers: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { total: m.heapUsed + m.arrayBuffers, arrayBuffers: m.arrayBuffers };
}

describe('slowloris: sockets that stall in the ClientHello', () => {
  it('200 sockets with half a ClientHello: a 500 ms handshakeTimeout closes every one', async () => {
    const st = await stallServer(500);
    const { closes } = await stall(st.port, 200, await halfClientHello());
    const delays = await withTimeout(closes, 20_000, 'every stalled socket closed');
    expect(delays).toHaveLength(200);
    await waitUntil(() => st.closed === 200, 5000, 'the server to see every close');
    expect(st.accepted).toBe(200);
    expect(st.timedOut).toBe(200);
    expect(st.other).toEqual([]);
    // Not before the timeout (a little timer slack), and not much after it: the timer starts
    // at accept, and accepting 200 connections on a loaded machine takes a while.
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(450);
    expect(Math.max(...delays)).toBeLessThan(500 + 10_000);
  });

  // Today (lazy record buffers, issue 7 item 3): ~14-17 KiB in all, ~1-2 KiB of it in
  // ArrayBuffers, both ends' sockets included. Before item 3 the record buffer alone was
  // 16.6 KiB per socket and 11 bytes made the server reserve the announced 64 KiB.
  const totalLimit = 32 * 1024;
  const buffersLimit = 8 * 1024;
  for (const [mode, bytes] of [
    ['half a ClientHello', null],
    ['11 bytes announcing a 64 KiB ClientHello', ANNOUNCE],
  ] as const) {
    it(`server memory per stalled socket: under ${totalLimit / 1024} KiB, under ${buffersLimit / 1024} KiB of buffers (${mode})`, async () => {
      const payload = bytes ?? (await halfClientHello());
      const st = await stallServer(2500);
      const before = heapAndBuffers();
      const { closes } = await stall(st.port, 200, payload);
      await waitUntil(() => st.accepted === 200, 2000, 'the server to accept every socket');
      await new Promise((r) => setTimeout(r, 200));
      const during = heapAndBuffers();
      const stalled = st.accepted - st.closed;
      const perSocket = (during.total - before.total) / stalled;
      const buffersPerSocket = (during.arrayBuffers - before.arrayBuffers) / stalled;
      await withTimeout(closes, 20_000, 'every stalled socket closed');
      expect(stalled).toBeGreaterThanOrEqual(150);
      const what = `${(perSocket / 1024).toFixed(1)} KiB per stalled socket (heap + ArrayBuffers, both ends in this process), ${(buffersPerSocket / 1024).toFixed(1)} KiB of it ArrayBuffers`;
      expect(perSocket, what).toBeLessThan(totalLimit);
      expect(buffersPerSocket, what).toBeLessThan(buffersLimit);
    });
  }
});
