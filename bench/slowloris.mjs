#!/usr/bin/env node
// Slowloris: S loopback sockets each send part of a ClientHello and stall against a puretls
// server (createServer from puretls/node) with a short handshakeTimeout. The server runs in
// its own child process, so its memory is measured alone: baseline after listen (after a
// full GC), then with every socket stalled (after a full GC, and the peak without one),
// divided by the stalled sockets. Then every socket must be closed by the handshake
// timeout: closes are counted on both ends, with how long after the stall each came.
//
// Modes (--modes, comma-separated):
//   half      the first half of a real ClientHello (the record stays incomplete)
//   announce  11 bytes: one complete record holding a handshake header that announces a
//             65,535-byte ClientHello, and 2 bytes of it (issue 7 item 3)
//   net       control: the same sockets against a plain net.Server that only reads (the
//             floor Node itself costs per socket)
//
// Usage: npx tsc -p tsconfig.json && node bench/slowloris.mjs [--sockets 5000]
//        [--timeout-ms 15000] [--modes half,announce,net] [--connect-concurrency 200]
//        [--json bench/results/slowloris.json]
// Exit status 1 when a socket was not closed by the timeout (or closed far too late).
import { execSync, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLE, fullGc, opt, send } from './common.mjs';

const MEM_KEYS = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers'];

// ------------------------------------------------------------------ server child

async function serverMain() {
  const [init] = await once(process, 'message');
  const { impl, pki, timeoutMs } = init;
  const stats = { accepted: 0, closed: 0, timedOut: 0, otherErrors: [], acceptErrors: [], closeDelaysMs: [], firstAcceptAt: 0, lastAcceptAt: 0 };
  const peak = {};
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of MEM_KEYS) if (!(m[k] <= peak[k])) peak[k] = m[k];
    return m;
  };
  let server;
  if (impl === 'net') {
    server = net.createServer((s) => {
      s.on('data', () => {});
      s.on('error', () => {});
      const t = Date.now();
      // The control holds its sockets for the same time as the TLS server would.
      const timer = setTimeout(() => s.destroy(), timeoutMs);
      s.on('close', () => {
        clearTimeout(timer);
        stats.closed++;
        stats.closeDelaysMs.push(Date.now() - t);
      });
    });
  } else {
    const { createServer } = await import('../dist/transport/node.js');
    server = createServer({ cert: pki.chainPem, key: pki.keyPem, handshakeTimeout: timeoutMs }, (s) => {
      stats.otherErrors.push('a stalled socket completed its handshake');
      s.destroy();
    });
    server.on('tlsClientError', (e) => {
      if (e.status === 'TimedOut') stats.timedOut++;
      else if (stats.otherErrors.length < 20) stats.otherErrors.push(`${e.status}: ${e.message}`);
    });
    server.on('connection', (raw) => {
      const t = Date.now();
      raw.on('close', () => {
        stats.closed++;
        stats.closeDelaysMs.push(Date.now() - t);
      });
    });
  }
  server.on('connection', () => {
    stats.accepted++;
    stats.lastAcceptAt = Date.now();
    if (stats.firstAcceptAt === 0) stats.firstAcceptAt = stats.lastAcceptAt;
  });
  // EMFILE and friends while accepting: counted, never fatal.
  server.on('error', (e) => {
    if (stats.acceptErrors.length < 1000) stats.acceptErrors.push(e.code ?? e.message);
  });
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  fullGc();
  const baseline = process.memoryUsage();
  for (const k of MEM_KEYS) peak[k] = baseline[k];
  const sampler = setInterval(sample, 50);
  await send({ type: 'listening', port: server.address().port, baseline });
  process.on('message', async (m) => {
    if (m.type === 'measure') {
      // The kernel completes connections before this process accepts them: wait (bounded)
      // until every socket the clients opened has been accepted here, let the last bytes be
      // read, then measure with and without garbage.
      const until = Date.now() + m.waitMs;
      while (stats.accepted < m.expected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const acceptedAt = Date.now();
      await new Promise((r) => setTimeout(r, m.settleMs));
      const before = sample();
      fullGc();
      const afterGc = process.memoryUsage();
      await send({ type: 'measured', before, afterGc, peak: { ...peak }, accepted: stats.accepted, closed: stats.closed, acceptSpanMs: stats.lastAcceptAt - stats.firstAcceptAt, acceptedAt });
    } else if (m.type === 'report') {
      clearInterval(sampler);
      const until = Date.now() + m.waitMs;
      while (stats.closed < stats.accepted && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      fullGc();
      const end = process.memoryUsage();
      await send({ type: 'report', stats, peak: { ...peak }, end });
      server.close();
      process.exit(0);
    }
  });
}

// ------------------------------------------------------------------ orchestrator (the stalling clients)

function halfClientHello(TlsConnection, pki) {
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
  return c.process().then(() => {
    const ch = c.takeOutput();
    return ch.subarray(0, Math.floor(ch.length / 2));
  });
}

/** 11 bytes: a complete record (5-byte header, 6-byte body) whose handshake header announces a 65,535-byte ClientHello. */
const ANNOUNCE = Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x06, 0x01, 0x00, 0xff, 0xff, 0x03, 0x03]);

async function runMode(mode, o) {
  const impl = mode === 'net' ? 'net' : 'pure';
  const bytes = mode === 'announce' ? ANNOUNCE : o.half;
  const server = fork(fileURLToPath(import.meta.url), ['--role', 'server'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiters = new Map();
  server.on('message', (m) => {
    const w = waiters.get(m.type);
    if (w) {
      waiters.delete(m.type);
      w(m);
    } else inbox.push(m);
  });
  const next = (type) => {
    const i = inbox.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]);
    return new Promise((resolve) => waiters.set(type, resolve));
  };
  server.send({ impl, pki: o.pki, timeoutMs: o.timeoutMs });
  const { port, baseline } = await next('listening');

  const socks = [];
  const clientStats = { opened: 0, connectErrors: {}, closedByServer: 0, resets: 0, closeAfterMs: [], stillOpen: 0 };
  let settled = 0;
  const t0 = Date.now();
  const openOne = () =>
    new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      const rec = { s, sentAt: null, closedAt: null, connected: false };
      s.on('error', (e) => {
        if (!rec.connected) {
          clientStats.connectErrors[e.code ?? e.message] = (clientStats.connectErrors[e.code ?? e.message] ?? 0) + 1;
          resolve();
        } else if (e.code === 'ECONNRESET') clientStats.resets++;
      });
      s.on('close', () => {
        if (!rec.connected) return;
        rec.closedAt = Date.now();
        clientStats.closedByServer++;
        if (rec.sentAt !== null) clientStats.closeAfterMs.push(rec.closedAt - rec.sentAt);
        settled++;
      });
      s.on('data', () => {}); // an alert, if the server sends one
      s.once('connect', () => {
        rec.connected = true;
        clientStats.opened++;
        socks.push(rec);
        s.write(bytes, () => {
          rec.sentAt = Date.now();
          resolve();
        });
      });
    });
  let launched = 0;
  let stop = false;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (launched < o.sockets && !stop) {
        launched++;
        await openOne();
        // Out of descriptors here: stop opening more and report what we had.
        if (clientStats.connectErrors.EMFILE || clientStats.connectErrors.ENFILE) stop = true;
      }
    }),
  );
  const rampMs = Date.now() - t0;
  server.send({ type: 'measure', settleMs: 500, expected: clientStats.opened, waitMs: Math.max(1000, o.timeoutMs * 0.8 - rampMs) });
  const measured = await next('measured');
  const stalledAtMeasure = measured.accepted - measured.closed;
  // Wait for the timeout to close every socket (bounded: timeout + ramp + 30 s).
  const deadline = Date.now() + o.timeoutMs + rampMs + 30_000;
  while (settled < clientStats.opened && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  clientStats.stillOpen = socks.filter((r) => r.closedAt === null).length;
  for (const r of socks) if (r.closedAt === null) r.s.destroy();
  server.send({ type: 'report', waitMs: 5000 });
  const report = await next('report');
  await once(server, 'exit');

  const n = Math.max(1, stalledAtMeasure);
  const per = (m, k) => (m[k] - baseline[k]) / n;
  const delays = clientStats.closeAfterMs.sort((a, b) => a - b);
  const q = (p) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
  const sdel = report.stats.closeDelaysMs.sort((a, b) => a - b);
  const sq = (p) => sdel[Math.min(sdel.length - 1, Math.floor(p * sdel.length))] ?? NaN;
  // The timer starts at accept (server side); the event loop may run it a little late under load.
  const tooLate = sdel.filter((d) => d > o.timeoutMs + 3000).length;
  // Measured from accept on the server (the client's clock starts after its write callback,
  // which a loaded client process may run after the server already accepted).
  const tooEarly = sdel.filter((d) => d < o.timeoutMs - 100).length;
  return {
    mode,
    bytesSentPerSocket: bytes.length,
    socketsRequested: o.sockets,
    opened: clientStats.opened,
    connectErrors: clientStats.connectErrors,
    acceptErrors: report.stats.acceptErrors.length,
    rampMs,
    serverAcceptSpanMs: measured.acceptSpanMs,
    stalledAtMeasure,
    serverMemory: {
      baselineMiB: baseline.rss / 1048576,
      perSocketAfterGcBytes: Object.fromEntries(MEM_KEYS.map((k) => [k, per(measured.afterGc, k)])),
      perSocketPeakBytes: Object.fromEntries(MEM_KEYS.map((k) => [k, per(measured.peak, k)])),
      stalledRssMiB: measured.afterGc.rss / 1048576,
      peakRssMiB: measured.peak.rss / 1048576,
      afterAllClosedRssMiB: report.end.rss / 1048576,
      afterAllClosedHeapUsedMiB: report.end.heapUsed / 1048576,
      afterAllClosedExternalMiB: report.end.external / 1048576,
      baselineExternalMiB: baseline.external / 1048576,
      baselineHeapUsedMiB: baseline.heapUsed / 1048576,
    },
    closes: {
      serverAccepted: report.stats.accepted,
      serverClosed: report.stats.closed,
      serverTimedOutErrors: report.stats.timedOut,
      clientSawClose: clientStats.closedByServer,
      clientResets: clientStats.resets,
      stillOpenAtDeadline: clientStats.stillOpen,
      closeAfterStallMs: { min: delays[0] ?? NaN, p50: q(0.5), p99: q(0.99), max: delays[delays.length - 1] ?? NaN },
      serverCloseAfterAcceptMs: { min: sdel[0] ?? NaN, p50: sq(0.5), p99: sq(0.99), max: sdel[sdel.length - 1] ?? NaN },
      tooEarly,
      tooLate,
    },
    otherServerErrors: report.stats.otherErrors,
  };
}

async function main() {
  const sockets = Number(opt('sockets', '5000'));
  const timeoutMs = Number(opt('timeout-ms', '15000'));
  const modes = opt('modes', 'half,announce,net').split(',');
  const concurrency = Number(opt('connect-concurrency', '200'));
  const jsonOut = opt('json', 'bench/results/slowloris.json');
  let limit = 'unknown';
  try {
    limit = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
  } catch {
    // keep 'unknown'
  }
  const { TlsConnection } = await import('../dist/index.js');
  const { generateTestPki } = await import('../dist/testing/index.js');
  const p = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
  const pki = { caCertPem: p.caCertPem, chainPem: p.chainPem, keyPem: p.keyPem };
  const half = await halfClientHello(TlsConnection, pki);
  console.log(`slowloris: ${sockets} sockets, handshakeTimeout ${timeoutMs} ms, ulimit -n ${limit} (each side needs one descriptor per socket), ${os.cpus().length} CPUs, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (limit !== 'unlimited' && Number(limit) < sockets + 100) console.log(`  note: ulimit -n ${limit} is below ${sockets + 100}: expect EMFILE (counted below); raise it with 'ulimit -n ${sockets + 1000}'`);
  const rows = [];
  for (const mode of modes) {
    const r = await runMode(mode, { sockets, timeoutMs, concurrency, pki, half });
    rows.push(r);
    const m = r.serverMemory;
    const kib = (b) => (b / 1024).toFixed(1);
    console.log(`  ${mode} (${r.bytesSentPerSocket} bytes each): opened ${r.opened}/${sockets} in ${r.rampMs} ms (server accepted them over ${r.serverAcceptSpanMs} ms), stalled at measurement ${r.stalledAtMeasure}; connect errors ${JSON.stringify(r.connectErrors)}, accept errors ${r.acceptErrors}`);
    console.log(
      `    server memory per stalled socket (after GC): RSS ${kib(m.perSocketAfterGcBytes.rss)} KiB, heap ${kib(m.perSocketAfterGcBytes.heapUsed)} KiB, external ${kib(m.perSocketAfterGcBytes.external)} KiB (array buffers ${kib(m.perSocketAfterGcBytes.arrayBuffers)} KiB); peak RSS ${kib(m.perSocketPeakBytes.rss)} KiB; server RSS ${m.baselineMiB.toFixed(1)} -> ${m.stalledRssMiB.toFixed(1)} MiB (peak ${m.peakRssMiB.toFixed(1)}), ${m.afterAllClosedRssMiB.toFixed(1)} MiB after all closed (heap ${m.baselineHeapUsedMiB.toFixed(1)} -> ${m.afterAllClosedHeapUsedMiB.toFixed(1)} MiB, external ${m.baselineExternalMiB.toFixed(1)} -> ${m.afterAllClosedExternalMiB.toFixed(1)} MiB)`,
    );
    const c = r.closes;
    console.log(
      `    closes: server accepted ${c.serverAccepted}, closed ${c.serverClosed}, TimedOut errors ${c.serverTimedOutErrors}; clients saw ${c.clientSawClose} closes (${c.clientResets} resets), ${c.stillOpenAtDeadline} still open; close after stall min/p50/p99/max ${c.closeAfterStallMs.min}/${c.closeAfterStallMs.p50}/${c.closeAfterStallMs.p99}/${c.closeAfterStallMs.max} ms (too early ${c.tooEarly}, too late ${c.tooLate}); server: close after accept ${c.serverCloseAfterAcceptMs.min}/${c.serverCloseAfterAcceptMs.p50}/${c.serverCloseAfterAcceptMs.p99}/${c.serverCloseAfterAcceptMs.max} ms`,
    );
    for (const e of r.otherServerErrors.slice(0, 5)) console.log(`    ! ${e}`);
  }
  mkdirSync(dirname(jsonOut), { recursive: true });
  writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), node: process.version, ulimitN: limit, sockets, timeoutMs, rows }, null, 2));
  console.log(`wrote ${jsonOut}`);
  const bad = rows.some((r) => r.closes.stillOpenAtDeadline > 0 || r.closes.clientSawClose !== r.opened || r.closes.tooLate > 0 || r.closes.tooEarly > 0 || (r.mode !== 'net' && r.closes.serverTimedOutErrors !== r.opened) || r.otherServerErrors.length > 0);
  process.exitCode = bad ? 1 : 0;
}

if (ROLE === 'server') await serverMain();
else await main();
