#!/usr/bin/env node
// Child process of bench/run.mjs (forked with an IPC channel; memory roles with
// --expose-gc). Roles, chosen by `--role`:
//   bulk-server    TLS servers on 127.0.0.1 (puretls/node per provider, node:tls) that count
//                  the bytes of each transfer and acknowledge with one byte, reporting the
//                  CPU they spent (two-process bulk figure);
//   memory-inmem   N client+server pairs in memory, then retained heap + ArrayBuffers per
//                  connection, per role (puretls) or per pair (node:tls);
//   memory-server  accepts N loopback connections and reports retained memory per connection;
//   memory-client  opens N loopback connections and reports retained memory per connection.
// Messages in: { type: 'setup', ... } first, then role-specific ones; out: replies by type.
import tls from 'node:tls';
import { once } from 'node:events';
import { ROLE, fullGc, send } from './common.mjs';
import { nodeHandshake, pureFactories, pureHandshake } from './lib/inmemory.mjs';
import { cpuMicros } from './lib/measure.mjs';
import { distUrl, loadProviderEntry } from './lib/dist.mjs';

const lib = await import(distUrl('index.js'));
const adapter = await import(distUrl('transport/node.js'));

/** The `crypto` option from its serialised form (see optionForChild in lib/spawn.mjs). */
async function cryptoOption(o) {
  if (o === '@nobleProvider') return lib.nobleProvider;
  if (typeof o === 'string' && o.startsWith('@module:')) {
    const [file, name] = o.slice('@module:'.length).split('#');
    return (await import(distUrl(file)))[name];
  }
  if (typeof o === 'string') await loadProviderEntry(o);
  return o;
}

/** Resolves with the next IPC message of `type`. */
function next(type) {
  return new Promise((resolve) => {
    const on = (m) => {
      if (m?.type === type) {
        process.off('message', on);
        resolve(m);
      }
    };
    process.on('message', on);
  });
}

/** Heap + ArrayBuffers (and RSS, for the native memory JS cannot see), after two full GCs. */
function retained() {
  fullGc();
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
}

/**
 * Connections made and dropped before a memory baseline, for every implementation alike: the
 * code V8 compiles while the first connections are made (bytecode, optimized code, feedback)
 * lands in the heap too, and with only a few warm-up connections part of it was counted per
 * connection (0.3-1 KiB in heap snapshots at 3, still ~0.4 KiB at 50: the client opens the measured
 * connections 16 at a time, which takes paths the sequential warm-up did not). 200 come close.
 */
const MEMORY_WARMUP = 200;

/** The warm-up for a run of `n` connections (a --quick run of 10 does not need 200). */
const warmupFor = (n) => Math.min(MEMORY_WARMUP, Math.max(3, n));

const perConn = (a, b, n) => ({ js: (b.js - a.js) / n, rss: (b.rss - a.rss) / n });

// ------------------------------------------------------------------ bulk-server

async function bulkServer(setup) {
  const { pki, servers } = setup;
  const state = new Map(); // name -> { socket, expected, received, c0 }
  const ports = {};
  for (const s of servers) {
    const onSecure = (sock) => {
      const st = { socket: sock, expected: Infinity, received: 0, c0: 0 };
      state.set(s.name, st);
      sock.on('error', () => {});
      sock.on('data', (d) => {
        st.received += d.length;
        if (st.received >= st.expected) {
          const cpuMs = (cpuMicros() - st.c0) / 1000;
          st.expected = Infinity;
          sock.write(Buffer.from([1]));
          send({ type: 'done', name: s.name, cpuMs, received: st.received });
        }
      });
    };
    const server =
      s.kind === 'node'
        ? tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', ciphersuites: s.suite }, onSecure)
        : adapter.createServer({ cert: pki.chainPem, key: pki.keyPem, crypto: await cryptoOption(s.option), cipherSuites: [s.suite], minVersion: 'TLSv1.3' }, onSecure);
    server.on('tlsClientError', () => {});
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ports[s.name] = server.address().port;
  }
  process.on('message', (m) => {
    if (m?.type !== 'expect') return;
    const st = state.get(m.name);
    st.received = 0;
    st.expected = m.bytes;
    st.c0 = cpuMicros();
    send({ type: 'armed', name: m.name });
  });
  await send({ type: 'ready', ports });
  await next('exit');
  process.exit(0);
}

// ------------------------------------------------------------------ memory, in memory

async function memoryInmem(setup) {
  const { pki, impl, n } = setup;
  const keep = [];
  if (impl === 'node') {
    const ctx = {
      server: tls.createSecureContext({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }),
      client: tls.createSecureContext({ ca: pki.caCertPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }),
    };
    for (let i = 0; i < warmupFor(n); i++) {
      const p = await nodeHandshake(ctx);
      p.client.destroy();
      p.server.destroy();
    }
    await new Promise((r) => setTimeout(r, 50));
    const m0 = retained();
    for (let i = 0; i < n; i++) keep.push(await nodeHandshake(ctx));
    await new Promise((r) => setTimeout(r, 50));
    const m1 = retained();
    const pair = perConn(m0, m1, n);
    return { type: 'result', pair, client: null, server: null, n: keep.length };
  }
  const crypto = await cryptoOption(impl);
  const f = pureFactories(
    lib,
    { servername: 'localhost', ca: pki.caCertPem, crypto, groups: ['x25519'], keyShareGroups: ['x25519'] },
    { cert: pki.chainPem, key: pki.keyPem, crypto, groups: ['x25519'] },
  );
  for (let i = 0; i < warmupFor(n); i++) await pureHandshake(f);
  const m0 = retained();
  for (let i = 0; i < n; i++) keep.push(await pureHandshake(f));
  const m1 = retained();
  for (const p of keep) p.server = null;
  const m2 = retained();
  // RSS does not shrink when the servers are collected: the server's share is not measurable that way.
  const server = { ...perConn(m2, m1, n), rss: null };
  return { type: 'result', pair: perConn(m0, m1, n), client: perConn(m0, m2, n), server, n: keep.filter((p) => p.client).length };
}

// ------------------------------------------------------------------ memory, loopback

async function memoryServer(setup) {
  const { pki, impl } = setup;
  const crypto = await cryptoOption(impl);
  const sockets = [];
  const onSecure = (s) => {
    s.on('error', () => {});
    sockets.push(s);
  };
  const server =
    impl === 'node'
      ? tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, onSecure)
      : adapter.createServer({ cert: pki.chainPem, key: pki.keyPem, crypto, groups: ['x25519'] }, onSecure);
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1', 1024);
  await once(server, 'listening');
  await send({ type: 'ready', port: server.address().port });
  await next('baseline');
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => setTimeout(r, 100));
  const m0 = retained();
  await send({ type: 'baseline-taken' });
  const { n } = await next('measure');
  while (sockets.length < n) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  const m1 = retained();
  await send({ type: 'result', server: perConn(m0, m1, n), n: sockets.length });
  await next('exit');
  process.exit(0);
}

async function memoryClient(setup) {
  const { pki, impl, port, n } = setup;
  const crypto = await cryptoOption(impl);
  const dial = () =>
    impl === 'node'
      ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' })
      : adapter.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto, groups: ['x25519'], keyShareGroups: ['x25519'] });
  const open = async () => {
    const s = dial();
    s.on('error', () => {});
    await once(s, 'secureConnect');
    return s;
  };
  for (let i = 0; i < warmupFor(n); i++) (await open()).destroy();
  await new Promise((r) => setTimeout(r, 100));
  const m0 = retained();
  await send({ type: 'warmed' });
  await next('go');
  const sockets = [];
  const inFlight = 16;
  let started = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (started < n) {
        started++;
        sockets.push(await open());
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 100));
  const m1 = retained();
  await send({ type: 'result', client: perConn(m0, m1, n), n: sockets.length });
  await next('exit');
  process.exit(0);
}

// ------------------------------------------------------------------ dispatch

const setup = await next('setup');
if (ROLE === 'bulk-server') await bulkServer(setup);
else if (ROLE === 'memory-inmem') {
  await send(await memoryInmem(setup));
  await next('exit');
  process.exit(0);
} else if (ROLE === 'memory-server') await memoryServer(setup);
else if (ROLE === 'memory-client') await memoryClient(setup);
else throw new Error(`unknown role ${ROLE}`);
