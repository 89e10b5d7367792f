#!/usr/bin/env node
// Load: N truly concurrent loopback connections through the Node adapter (puretls/node),
// each moving B bytes both ways, sha256 of every byte sent and received compared across
// the two ends. Configurations (--configs, comma-separated):
//   pure-pure  puretls client (connect) -> puretls server (createServer)
//   pure-node  puretls client           -> Node tls server (OpenSSL)
//   node-pure  Node tls client          -> puretls server
// Each side runs in its own child process, so memory is measured per side and the two
// sides can use both cores. Phase 1 opens all N connections (at most --handshakes in
// flight); phase 2 starts only once every connection is open, so all N are open and
// transferring at the same time. Reported: errors, bytes lost or corrupted, handshake
// and transfer time, peak RSS / heap / external per side and per connection.
//
// Usage: npx tsc -p tsconfig.json && node bench/load.mjs [--connections 1000]
//        [--bytes 1048576] [--configs pure-pure,pure-node,node-pure]
//        [--tls 1.3|1.2] [--suite NAME] [--key-type ecdsa-p256] [--handshakes 32]
//        [--chunk 16384] [--stall-seconds 120] [--json bench/results/load.json]
// (npm run load -- ... builds first.) Exit status 1 when anything was lost or failed.
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import os from 'node:os';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { ROLE, fullGc, opt, send } from './common.mjs';

// ------------------------------------------------------------------ shared

/** Peak process.memoryUsage() fields, sampled every `ms`. */
function memorySampler(ms = 100) {
  const keys = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'];
  const peak = {};
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of keys) if (!(m[k] <= peak[k])) peak[k] = m[k];
    return m;
  };
  const reset = () => {
    for (const k of keys) delete peak[k];
    return sample();
  };
  const timer = setInterval(sample, ms);
  timer.unref();
  return { peak, sample, reset, stop: () => clearInterval(timer) };
}

/** Deterministic data: every connection sends B bytes of a shared random pool from its own offset (zero-copy views). */
function makeSource(pool, offset, total, chunk) {
  let sent = 0;
  return {
    get sent() {
      return sent;
    },
    next() {
      if (sent >= total) return null;
      const o = (offset + sent) % pool.length;
      const n = Math.min(chunk, total - sent, pool.length - o);
      sent += n;
      return pool.subarray(o, o + n);
    },
  };
}

/**
 * One endpoint of a transfer on an open socket: writes `total` bytes (honouring
 * write()'s back-pressure) once started, hashes everything it sends and receives, and
 * ends its side when it has both sent and received `total` bytes.
 */
function endpoint(sock, { pool, offset, total, chunk, onProgress, onDone }) {
  const st = {
    recv: 0,
    sent: 0,
    recvHash: createHash('sha256'),
    sentHash: createHash('sha256'),
    started: false,
    ended: false,
    error: null,
    closed: false,
    gotEnd: false,
  };
  const src = makeSource(pool, offset, total, chunk);
  const maybeEnd = () => {
    if (!st.ended && st.sent === total && st.recv >= total) {
      st.ended = true;
      sock.end();
    }
  };
  const pump = () => {
    for (;;) {
      const piece = src.next();
      if (!piece) return;
      st.sentHash.update(piece);
      const ok = sock.write(piece, (err) => {
        if (err) return;
        st.sent += piece.length;
        onProgress?.();
        maybeEnd();
      });
      if (!ok) {
        sock.once('drain', pump);
        return;
      }
    }
  };
  sock.on('data', (d) => {
    st.recv += d.length;
    st.recvHash.update(d);
    onProgress?.();
    maybeEnd();
  });
  sock.on('end', () => {
    st.gotEnd = true;
  });
  sock.on('error', (e) => {
    st.error ??= `${e.code ?? e.status ?? e.name}: ${e.message}`;
  });
  sock.on('close', () => {
    st.closed = true;
    onDone?.(st);
  });
  return {
    st,
    start() {
      if (st.started) return;
      st.started = true;
      pump();
    },
    result() {
      return {
        recv: st.recv,
        sent: st.sent,
        recvHash: st.recvHash.copy().digest('hex'),
        sentHash: st.sentHash.copy().digest('hex'),
        error: st.error,
        gotEnd: st.gotEnd,
        closed: st.closed,
      };
    },
  };
}

function offsetFor(id, side, poolLength) {
  // Different for every connection and side (client: its index; server: the client's port, unique while all are open).
  return ((id * 7919 + (side === 'server' ? 104729 : 0)) * 13) % poolLength;
}

// ------------------------------------------------------------------ server child

async function serverMain() {
  const [init] = await once(process, 'message');
  const { impl, pki, total, chunk, suite, nodeCiphers, version, poolSeed } = init;
  const nodeVersion = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const pool = Buffer.from(poolSeed, 'base64');
  const mem = memorySampler();
  const results = [];
  const errors = [];
  let accepted = 0;
  let secured = 0;
  const onSecure = (sock) => {
    secured++;
    const port = sock.remotePort;
    const ep = endpoint(sock, {
      pool,
      offset: offsetFor(port, 'server', pool.length),
      total,
      chunk,
      onDone: (st) => {
        results.push({ port, ...ep.result() });
        if (st.error) errors.push(st.error);
      },
    });
    // The client's first byte starts this side's transfer (the client starts only once all N are open).
    sock.once('data', () => ep.start());
  };
  let server;
  if (impl === 'pure') {
    const { createServer } = await import('../dist/transport/node.js');
    server = createServer({ cert: pki.chainPem, key: pki.keyPem, cipherSuites: [suite], handshakeTimeout: 600_000 }, onSecure);
    server.on('tlsClientError', (e) => errors.push(`tlsClientError ${e.status}: ${e.message}`));
  } else {
    server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: nodeVersion, maxVersion: nodeVersion, ciphers: nodeCiphers, handshakeTimeout: 600_000 }, onSecure);
    server.on('tlsClientError', (e) => errors.push(`tlsClientError ${e.code ?? ''}: ${e.message}`));
  }
  server.on('connection', () => accepted++);
  server.on('error', (e) => errors.push(`server error ${e.code ?? ''}: ${e.message}`));
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  fullGc();
  const baseline = mem.reset();
  await send({ type: 'listening', port: server.address().port });
  process.on('message', async (m) => {
    if (m.type === 'mem') {
      if (m.gc) fullGc();
      await send({ type: 'mem', tag: m.tag, now: process.memoryUsage(), peak: { ...mem.peak } });
    } else if (m.type === 'report') {
      // Wait (bounded) until every connection the client opened has closed here.
      const until = Date.now() + (m.waitMs ?? 30_000);
      while (results.length < m.expected && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      mem.sample();
      await send({ type: 'report', results, errors, accepted, secured, baseline, peak: { ...mem.peak } });
      server.close();
      process.exit(0);
    }
  });
}

// ------------------------------------------------------------------ client child

async function clientMain() {
  const [init] = await once(process, 'message');
  const { impl, pki, total, chunk, suite, nodeCiphers, version, poolSeed, port, connections, handshakes, stallSeconds } = init;
  const nodeVersion = version === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  const pool = Buffer.from(poolSeed, 'base64');
  const mem = memorySampler();
  const { connect } = impl === 'pure' ? await import('../dist/transport/node.js') : { connect: null };
  fullGc();
  const baseline = mem.reset();

  let progress = Date.now();
  const touch = () => {
    progress = Date.now();
  };
  const conns = [];
  const hsLatency = [];
  let failedHandshakes = 0;
  const done = [];
  let closed = 0;
  let allClosed;
  const allClosedP = new Promise((r) => (allClosed = r));
  const onDone = () => {
    closed++;
    touch();
    if (closed === connections) allClosed();
  };

  const open = (i) =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const sock =
        impl === 'pure'
          ? connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, cipherSuites: [suite], keyShareGroups: ['x25519'], maxVersion: nodeVersion })
          : tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: nodeVersion, maxVersion: nodeVersion, ciphers: nodeCiphers });
      const c = { i, sock, ep: null, localPort: null, hsMs: null, error: null };
      conns.push(c);
      c.ep = endpoint(sock, { pool, offset: offsetFor(i, 'client', pool.length), total, chunk, onProgress: touch, onDone });
      sock.once('secureConnect', () => {
        c.hsMs = performance.now() - t0;
        hsLatency.push(c.hsMs);
        c.localPort = sock.localPort;
        touch();
        resolve();
      });
      sock.once('error', (e) => {
        if (c.hsMs === null) {
          failedHandshakes++;
          c.error = `${e.code ?? e.status ?? e.name}: ${e.message}`;
          resolve();
        }
      });
    });

  // Phase 1: open every connection, at most `handshakes` in flight.
  const watchdog = setInterval(() => {
    if (Date.now() - progress > stallSeconds * 1000) {
      const stuck = conns.filter((c) => !c.ep.st.closed);
      console.error(`client: no progress for ${stallSeconds} s; ${stuck.length} connections not closed; first: ${JSON.stringify(stuck.slice(0, 3).map((c) => ({ i: c.i, ...c.ep.result() })))}`);
      for (const c of stuck) c.sock.destroy(new Error('stalled: no progress'));
      allClosed();
    }
  }, 1000);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(handshakes, connections) }, async () => {
      while (next < connections) await open(next++);
    }),
  );
  const handshakeSeconds = (performance.now() - t0) / 1000;
  const openNow = conns.filter((c) => c.hsMs !== null && !c.ep.st.closed).length;
  fullGc();
  const openMem = process.memoryUsage();
  await send({ type: 'phase', phase: 'open', open: openNow });
  await once(process, 'message'); // 'go'

  // Phase 2: every open connection transfers at the same time.
  touch();
  const t1 = performance.now();
  for (const c of conns) if (c.hsMs !== null) c.ep.start();
  await allClosedP;
  const transferSeconds = (performance.now() - t1) / 1000;
  clearInterval(watchdog);
  mem.sample();
  for (const c of conns) done.push({ i: c.i, port: c.localPort, hsMs: c.hsMs, hsError: c.error, ...c.ep.result() });
  await send({ type: 'report', results: done, baseline, openMem, peak: { ...mem.peak }, handshakeSeconds, transferSeconds, hsLatency, failedHandshakes, openNow });
  process.exit(0);
}

// ------------------------------------------------------------------ orchestrator

function child(role, execArgv) {
  const p = fork(fileURLToPath(import.meta.url), ['--role', role], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiters = [];
  p.on('message', (m) => {
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
    else inbox.push(m);
  });
  const exited = new Promise((resolve) => p.once('exit', (code, sig) => resolve({ code, sig })));
  return {
    p,
    exited,
    send: (m) => p.send(m),
    next(type) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
      return new Promise((resolve, reject) => {
        waiters.push({ type, resolve });
        exited.then(({ code, sig }) => reject(new Error(`${role} child exited (${code ?? sig}) while waiting for '${type}'`)));
      });
    },
  };
}

const mib = (b) => b / 1048576;
const kib = (b) => b / 1024;

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
}

async function runConfig(name, common) {
  const [clientImpl, serverImpl] = name.split('-');
  const execArgv = ['--expose-gc', '--max-old-space-size=8192'];
  const server = child('server', execArgv);
  server.send({ ...common, impl: serverImpl });
  const { port } = await server.next('listening');
  const client = child('client', execArgv);
  client.send({ ...common, impl: clientImpl, port });
  const phase = await client.next('phase');
  server.send({ type: 'mem', tag: 'open', gc: true });
  const serverOpen = await server.next('mem');
  process.stdout.write(`  ${name}: ${phase.open} connections open; transferring\n`);
  client.send({ type: 'go' });
  const cr = await client.next('report');
  server.send({ type: 'report', expected: cr.openNow });
  const sr = await server.next('report');
  await Promise.all([client.exited, server.exited]);

  // Compare both ends of every connection.
  const byPort = new Map(sr.results.map((r) => [r.port, r]));
  let bytesLost = 0;
  let corrupted = 0;
  let incomplete = 0;
  const problems = [];
  for (const c of cr.results) {
    if (c.hsMs === null) continue;
    const s = byPort.get(c.port);
    if (!s) {
      incomplete++;
      bytesLost += 2 * common.total;
      problems.push(`conn ${c.i}: no server record (port ${c.port})`);
      continue;
    }
    const lostC2S = Math.max(0, common.total - s.recv);
    const lostS2C = Math.max(0, common.total - c.recv);
    bytesLost += lostC2S + lostS2C;
    if (c.sent !== common.total || s.sent !== common.total || lostC2S || lostS2C) {
      incomplete++;
      if (problems.length < 10) problems.push(`conn ${c.i}: client sent ${c.sent} recv ${c.recv}, server sent ${s.sent} recv ${s.recv}; errors: ${c.error ?? '-'} / ${s.error ?? '-'}`);
    }
    if (s.recv === c.sent && s.recvHash !== c.sentHash) {
      corrupted++;
      problems.push(`conn ${c.i}: client->server data differs (sha256)`);
    }
    if (c.recv === s.sent && c.recvHash !== s.sentHash) {
      corrupted++;
      problems.push(`conn ${c.i}: server->client data differs (sha256)`);
    }
  }
  const clientErrors = cr.results.filter((r) => r.error || r.hsError).map((r) => r.error ?? r.hsError);
  const errors = clientErrors.length + sr.errors.length;
  const n = cr.openNow || 1;
  const per = (peak, base, k) => (peak[k] - base[k]) / n;
  const side = (peak, base, open) => ({
    peakRssMiB: mib(peak.rss),
    peakHeapUsedMiB: mib(peak.heapUsed),
    peakExternalMiB: mib(peak.external),
    baselineRssMiB: mib(base.rss),
    perConnectionPeakKiB: { rss: kib(per(peak, base, 'rss')), heapUsed: kib(per(peak, base, 'heapUsed')), external: kib(per(peak, base, 'external')) },
    perConnectionOpenIdleKiB: open ? { rss: kib((open.rss - base.rss) / n), heapUsed: kib((open.heapUsed - base.heapUsed) / n), external: kib((open.external - base.external) / n) } : null,
  });
  return {
    config: name,
    connections: common.connections,
    open: cr.openNow,
    bytesEachWay: common.total,
    errors,
    errorSamples: [...clientErrors.slice(0, 5), ...sr.errors.slice(0, 5)],
    failedHandshakes: cr.failedHandshakes,
    bytesLost,
    corrupted,
    incomplete,
    problems,
    handshakeSeconds: cr.handshakeSeconds,
    handshakesPerSecond: cr.openNow / cr.handshakeSeconds,
    handshakeLatencyMs: { p50: percentile(cr.hsLatency, 0.5), p99: percentile(cr.hsLatency, 0.99), max: Math.max(...cr.hsLatency) },
    transferSeconds: cr.transferSeconds,
    aggregateMBps: (2 * cr.openNow * common.total) / 1e6 / cr.transferSeconds,
    client: { impl: clientImpl, ...side(cr.peak, cr.baseline, cr.openMem) },
    server: { impl: serverImpl, ...side(sr.peak, sr.baseline, serverOpen.now) },
  };
}

async function main() {
  const connections = Number(opt('connections', '1000'));
  const total = Number(opt('bytes', String(1 << 20)));
  const configs = opt('configs', 'pure-pure,pure-node,node-pure').split(',');
  const version = opt('tls', '1.3');
  if (version !== '1.3' && version !== '1.2') throw new Error('--tls is 1.3 or 1.2');
  const suite = opt('suite', version === '1.2' ? 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256' : 'TLS_CHACHA20_POLY1305_SHA256');
  // Node's name for the suite (OpenSSL's, for TLS 1.2).
  const OPENSSL12 = {
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  };
  const nodeCiphers = version === '1.2' ? OPENSSL12[suite] : suite;
  if (!nodeCiphers) throw new Error(`no OpenSSL name known for ${suite}`);
  const keyType = opt('key-type', 'ecdsa-p256');
  const handshakes = Number(opt('handshakes', '32'));
  const chunk = Number(opt('chunk', '16384'));
  const stallSeconds = Number(opt('stall-seconds', '120'));
  const jsonOut = opt('json', 'bench/results/load.json');
  for (const c of configs) if (!['pure-pure', 'pure-node', 'node-pure'].includes(c)) throw new Error(`unknown config ${c}`);

  const { generateTestPki } = await import('../dist/testing/index.js');
  const p = await generateTestPki({ keyType, names: ['localhost', '127.0.0.1'] });
  const pki = { caCertPem: p.caCertPem, chainPem: p.chainPem, keyPem: p.keyPem };
  const poolSeed = randomBytes((1 << 20) + 4099).toString('base64');
  const common = { type: 'init', pki, total, chunk, suite, nodeCiphers, version, poolSeed, connections, handshakes, stallSeconds };
  const load = os.loadavg();
  console.log(`load: ${connections} connections x ${total} bytes each way, TLS ${version} ${suite}, ${keyType}; ${os.cpus().length} CPUs, load average ${load.map((x) => x.toFixed(2)).join(' ')}`);

  const rows = [];
  for (const name of configs) {
    const t = performance.now();
    const r = await runConfig(name, common);
    r.wallSeconds = (performance.now() - t) / 1000;
    r.loadAverageAfter = os.loadavg()[0];
    rows.push(r);
    const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
    console.log(
      `  ${name}: errors ${r.errors}, bytes lost ${r.bytesLost}, corrupted ${r.corrupted}; handshakes ${f(r.handshakeSeconds)} s (${f(r.handshakesPerSecond)}/s, p50 ${f(r.handshakeLatencyMs.p50, 0)} ms, p99 ${f(r.handshakeLatencyMs.p99, 0)} ms), transfer ${f(r.transferSeconds)} s (${f(r.aggregateMBps)} MB/s total)`,
    );
    for (const s of ['client', 'server']) {
      const m = r[s];
      console.log(
        `    ${s} (${m.impl}): peak RSS ${f(m.peakRssMiB)} MiB (baseline ${f(m.baselineRssMiB)}), peak heap ${f(m.peakHeapUsedMiB)} MiB, external ${f(m.peakExternalMiB)} MiB; per connection peak: RSS ${f(m.perConnectionPeakKiB.rss)} KiB, heap ${f(m.perConnectionPeakKiB.heapUsed)} KiB, external ${f(m.perConnectionPeakKiB.external)} KiB; idle open: RSS ${f(m.perConnectionOpenIdleKiB.rss)} KiB, heap ${f(m.perConnectionOpenIdleKiB.heapUsed)} KiB`,
      );
    }
    for (const pr of r.problems.slice(0, 10)) console.log(`    ! ${pr}`);
    for (const e of r.errorSamples) console.log(`    ! ${e}`);
  }
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverageBefore: load, connections, bytes: total, version, suite, keyType, handshakeConcurrency: handshakes, rows }, null, 2));
  console.log(`wrote ${jsonOut}`);
  const bad = rows.some((r) => r.errors || r.bytesLost || r.corrupted || r.incomplete || r.open !== connections);
  process.exitCode = bad ? 1 : 0;
}

if (ROLE === 'server') await serverMain();
else if (ROLE === 'client') await clientMain();
else await main();
