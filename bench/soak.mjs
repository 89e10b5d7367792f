#!/usr/bin/env node
// Soak: connections open, transfer, key-update and close continuously through the Node
// adapter (puretls/node) for a fixed time, puretls on both sides over loopback. The server
// runs in a child process (an echo server that also sends KeyUpdates of its own); the
// parent keeps --concurrency client connections busy. Each connection does 1-4 rounds of
// "send S random bytes, read the echo, compare sha256", with a KeyUpdate (asking the peer
// to update too) between rounds in TLS 1.3; a share of connections uses TLS 1.2 (no
// KeyUpdate). Every --interval seconds it prints throughput, handshakes, key updates,
// errors, and both processes' memory (heap after a full GC, so a leak shows as a slope).
// At the end it writes bench/results/soak.json and bench/results/soak.svg (throughput,
// errors, RSS and heap after GC over time; hand-written SVG).
//
// Usage: npm run soak -- --minutes 30   (builds first; not part of CI)
//        node bench/soak.mjs [--minutes 30 | --seconds S] [--concurrency 16]
//        [--max-round-bytes 131072] [--tls12-share 0.2] [--interval 5]
//        [--out bench/results/soak]
//        node bench/soak.mjs --chart-from bench/results/soak.json   (redraws the SVG)
// Exit status 1 when any error, data mismatch or stall was seen.
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLE, fullGc, opt } from './common.mjs';

function memory() {
  fullGc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

const errorText = (e) => `${e?.status ?? e?.code ?? e?.name ?? 'Error'}: ${e?.message ?? String(e)}`;

// ------------------------------------------------------------------ server child

async function serverMain() {
  const [init] = await once(process, 'message');
  const { createServer } = await import('../dist/transport/node.js');
  const stats = { accepted: 0, secured: 0, closed: 0, bytes: 0, keyUpdates: 0, errors: 0, errorSamples: [] };
  const error = (where, e) => {
    stats.errors++;
    if (stats.errorSamples.length < 20) stats.errorSamples.push(`${where}: ${errorText(e)}`);
  };
  const server = createServer({ cert: init.pki.chainPem, key: init.pki.keyPem, handshakeTimeout: 30_000 }, (sock) => {
    stats.secured++;
    const tls13 = sock.getProtocol() === 'TLSv1.3';
    let sinceUpdate = 0;
    sock.on('error', (e) => error('socket', e));
    sock.on('data', (d) => {
      stats.bytes += d.length;
      sinceUpdate += d.length;
      // Echo with back-pressure.
      if (!sock.write(d)) {
        sock.pause();
        sock.once('drain', () => sock.resume());
      }
      // A KeyUpdate of our own every ~96 KiB echoed (TLS 1.3).
      if (tls13 && sinceUpdate >= 96 * 1024) {
        sinceUpdate = 0;
        sock.keyUpdate(false).then(
          () => stats.keyUpdates++,
          (e) => error('keyUpdate', e),
        );
      }
    });
    sock.on('end', () => sock.end());
    sock.on('close', () => stats.closed++);
  });
  server.on('connection', () => stats.accepted++);
  server.on('tlsClientError', (e) => error('handshake', e));
  server.on('error', (e) => error('server', e));
  await new Promise((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
  process.send({ type: 'listening', port: server.address().port });
  process.on('message', (m) => {
    if (m.type === 'sample') process.send({ type: 'sample', stats: { ...stats, errorSamples: stats.errorSamples.slice() }, mem: memory() });
    else if (m.type === 'stop') server.close(() => process.exit(0));
  });
}

// ------------------------------------------------------------------ clients (parent)

async function clientConnection(connect, o, st) {
  const tls12 = Math.random() < o.tls12Share;
  const suites13 = ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
  const sock = connect({
    host: '127.0.0.1',
    port: o.port,
    servername: 'localhost',
    ca: o.pki.caCertPem,
    keyShareGroups: ['x25519'],
    ...(tls12 ? { maxVersion: 'TLSv1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'] } : { cipherSuites: [suites13[st.opened % 2]] }),
  });
  st.opened++;
  let failure = null;
  let echoed = [];
  let echoedBytes = 0;
  let wake = null;
  sock.on('data', (d) => {
    echoed.push(d);
    echoedBytes += d.length;
    st.bytes += d.length;
    wake?.();
  });
  sock.on('error', (e) => {
    failure ??= e;
    wake?.();
  });
  sock.on('end', () => wake?.());
  sock.on('close', () => wake?.());
  sock.on('secureConnect', () => wake?.());
  const closed = once(sock, 'close').catch(() => {});
  const waitFor = (cond, what, ms = 60_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stalled waiting for ${what}`)), ms);
      const check = () => {
        if (failure) {
          clearTimeout(timer);
          reject(failure);
        } else if (cond()) {
          clearTimeout(timer);
          wake = null;
          resolve();
        }
      };
      wake = check;
      check();
    });
  try {
    await waitFor(() => sock.connection.handshakeComplete, 'the handshake');
    st.handshakes++;
    const rounds = 1 + Math.floor(Math.random() * 4);
    for (let r = 0; r < rounds; r++) {
      const size = 1 + Math.floor(Math.random() * o.maxRoundBytes);
      const data = randomBytes(size);
      echoed = [];
      echoedBytes = 0;
      const done = waitFor(() => echoedBytes >= size, `the echo of ${size} bytes`);
      sock.write(data);
      await done;
      const back = Buffer.concat(echoed);
      if (back.length !== size || !createHash('sha256').update(back).digest().equals(createHash('sha256').update(data).digest())) {
        throw new Error(`echo differs: sent ${size} bytes, got ${back.length}`);
      }
      st.rounds++;
      if (!tls12 && r + 1 < rounds) {
        await sock.keyUpdate(true);
        st.keyUpdates++;
      }
    }
    sock.end();
    await waitFor(() => sock.destroyed || sock.readableEnded, 'the close', 30_000);
    await closed;
    st.closed++;
  } catch (e) {
    st.errors++;
    if (st.errorSamples.length < 20) st.errorSamples.push(errorText(e));
    sock.destroy();
  }
}

function svgChart(samples, title) {
  const W = 960;
  const PH = 150;
  const M = { l: 70, r: 130, t: 60, b: 30 };
  const panels = [
    { name: 'throughput (MB/s, both directions)', series: [{ key: 'mbps', label: 'MB/s', color: '#1f77b4' }] },
    { name: 'errors (cumulative)', series: [{ key: 'errorsTotal', label: 'errors', color: '#d62728' }], minMax: 1 },
    {
      name: 'RSS (MiB)',
      series: [
        { key: 'clientRssMiB', label: 'client RSS', color: '#2ca02c' },
        { key: 'serverRssMiB', label: 'server RSS', color: '#9467bd' },
      ],
    },
    {
      name: 'heap used after a full GC (MiB): a leak shows as a slope',
      series: [
        { key: 'clientHeapMiB', label: 'client heap', color: '#17becf' },
        { key: 'serverHeapMiB', label: 'server heap', color: '#8c564b' },
      ],
    },
  ];
  const H = M.t + panels.length * (PH + M.b + 20) + 10;
  const tMax = Math.max(1, ...samples.map((s) => s.t));
  const x = (t) => M.l + (t / tMax) * (W - M.l - M.r);
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.l}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`);
  panels.forEach((p, i) => {
    const top = M.t + i * (PH + M.b + 20);
    const vals = p.series.flatMap((s) => samples.map((d) => d[s.key]));
    const vMax = Math.max(p.minMax ?? 0, ...vals) * 1.1 || 1;
    const y = (v) => top + PH - (v / vMax) * PH;
    out.push(`<text x="${M.l}" y="${top - 6}" font-weight="bold">${esc(p.name)}</text>`);
    out.push(`<rect x="${M.l}" y="${top}" width="${W - M.l - M.r}" height="${PH}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (vMax * k) / 4;
      out.push(`<line x1="${M.l}" x2="${W - M.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
      out.push(`<text x="${M.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
    }
    for (let k = 0; k <= 6; k++) {
      const t = (tMax * k) / 6;
      const label = tMax >= 600 ? `${(t / 60).toFixed(0)} min` : tMax >= 120 ? `${(t / 60).toFixed(1)} min` : `${t.toFixed(0)} s`;
      out.push(`<text x="${x(t).toFixed(1)}" y="${top + PH + 14}" text-anchor="middle">${label}</text>`);
    }
    p.series.forEach((s, j) => {
      const pts = samples.map((d) => `${x(d.t).toFixed(1)},${y(d[s.key]).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts}"/>`);
      out.push(`<line x1="${W - M.r + 10}" x2="${W - M.r + 28}" y1="${top + 10 + j * 16}" y2="${top + 10 + j * 16}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
      out.push(`<text x="${W - M.r + 32}" y="${top + 14 + j * 16}">${esc(s.label)}</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Least-squares slope of y over t (per second). */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main() {
  const chartFrom = opt('chart-from', null);
  if (chartFrom !== null) {
    // Redraw the chart of an earlier run.
    const { readFileSync } = await import('node:fs');
    const r = JSON.parse(readFileSync(chartFrom, 'utf8'));
    const svgOut = chartFrom.replace(/\.json$/, '') + '.svg';
    writeFileSync(svgOut, svgChart(r.samples, `puretls soak: ${(r.seconds / 60).toFixed(1)} min, ${r.concurrency} concurrent, ${r.connections.completed} connections, ${(r.bytesEchoed / 1e9).toFixed(2)} GB echoed, ${r.errors.client + r.errors.server} errors`));
    console.log(`wrote ${svgOut}`);
    return;
  }
  const seconds = opt('seconds', null) !== null ? Number(opt('seconds')) : Number(opt('minutes', '30')) * 60;
  const concurrency = Number(opt('concurrency', '16'));
  const maxRoundBytes = Number(opt('max-round-bytes', '131072'));
  const tls12Share = Number(opt('tls12-share', '0.2'));
  const interval = Number(opt('interval', '5'));
  const outBase = opt('out', 'bench/results/soak');
  execArgvCheck();
  const { generateTestPki } = await import('../dist/testing/index.js');
  const { connect } = await import('../dist/transport/node.js');
  const p = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
  const pki = { caCertPem: p.caCertPem, chainPem: p.chainPem, keyPem: p.keyPem };

  const server = fork(fileURLToPath(import.meta.url), ['--role', 'server'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  server.send({ pki });
  const [{ port }] = await once(server, 'message');
  const ask = () =>
    new Promise((resolve) => {
      server.once('message', resolve);
      server.send({ type: 'sample' });
    });

  const st = { opened: 0, handshakes: 0, closed: 0, rounds: 0, keyUpdates: 0, bytes: 0, errors: 0, errorSamples: [] };
  const o = { port, pki, maxRoundBytes, tls12Share };
  const t0 = Date.now();
  const end = t0 + seconds * 1000;
  console.log(
    `soak: ${seconds} s, ${concurrency} concurrent connections, rounds of up to ${maxRoundBytes} bytes echoed, ${Math.round(tls12Share * 100)}% TLS 1.2; ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  console.log('  time   MB/s  conns/s  open  closed  keyupd(c/s)  errors(c/s)  client RSS/heap  server RSS/heap (MiB)');
  const workers = Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) await clientConnection(connect, o, st);
  });

  const samples = [];
  let last = { t: 0, bytes: 0, closed: 0 };
  let stalls = 0;
  const sampleNow = async () => {
    const t = (Date.now() - t0) / 1000;
    const s = await ask();
    const cm = memory();
    const dt = t - last.t || 1;
    const sample = {
      t,
      mbps: ((st.bytes - last.bytes) * 2) / 1e6 / dt,
      connsPerSec: (st.closed - last.closed) / dt,
      opened: st.opened,
      closed: st.closed,
      rounds: st.rounds,
      keyUpdatesClient: st.keyUpdates,
      keyUpdatesServer: s.stats.keyUpdates,
      errorsClient: st.errors,
      errorsServer: s.stats.errors,
      errorsTotal: st.errors + s.stats.errors,
      clientRssMiB: cm.rss / 1048576,
      clientHeapMiB: cm.heapUsed / 1048576,
      serverRssMiB: s.mem.rss / 1048576,
      serverHeapMiB: s.mem.heapUsed / 1048576,
      serverExternalMiB: s.mem.external / 1048576,
      serverOpen: s.stats.secured - s.stats.closed,
    };
    if (st.bytes === last.bytes && t > interval) stalls++;
    last = { t, bytes: st.bytes, closed: st.closed };
    samples.push(sample);
    const f = (v, w, d = 1) => v.toFixed(d).padStart(w);
    console.log(
      `${f(t / 60, 5)}m ${f(sample.mbps, 6)} ${f(sample.connsPerSec, 8)} ${String(st.opened - st.closed - st.errors).padStart(5)} ${String(st.closed).padStart(7)} ${`${st.keyUpdates}/${s.stats.keyUpdates}`.padStart(12)} ${`${st.errors}/${s.stats.errors}`.padStart(12)}  ${f(sample.clientRssMiB, 6)}/${f(sample.clientHeapMiB, 5)}  ${f(sample.serverRssMiB, 8)}/${f(sample.serverHeapMiB, 5)}`,
    );
    return s;
  };
  const timer = setInterval(() => void sampleNow(), interval * 1000);
  await Promise.all(workers);
  clearInterval(timer);
  const final = await sampleNow();
  server.send({ type: 'stop' });
  await once(server, 'exit');

  // Leak check: slope of the heap after GC over the second half of the run.
  const half = samples.filter((s) => s.t >= seconds / 2);
  const perMin = (k) => slope(half.map((s) => [s.t, s[k]])) * 60;
  const totalSeconds = (Date.now() - t0) / 1000;
  const summary = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    seconds: totalSeconds,
    concurrency,
    maxRoundBytes,
    tls12Share,
    connections: { opened: st.opened, completed: st.closed, handshakes: st.handshakes, rounds: st.rounds },
    keyUpdates: { client: st.keyUpdates, server: final.stats.keyUpdates },
    bytesEchoed: st.bytes,
    meanMBps: (st.bytes * 2) / 1e6 / totalSeconds,
    meanConnectionsPerSecond: st.closed / totalSeconds,
    errors: { client: st.errors, server: final.stats.errors, samples: [...st.errorSamples, ...final.stats.errorSamples] },
    stalledIntervals: stalls,
    memory: {
      clientRssMiB: { first: samples[0]?.clientRssMiB, last: samples.at(-1)?.clientRssMiB, max: Math.max(...samples.map((s) => s.clientRssMiB)) },
      serverRssMiB: { first: samples[0]?.serverRssMiB, last: samples.at(-1)?.serverRssMiB, max: Math.max(...samples.map((s) => s.serverRssMiB)) },
      serverHeapMiB: { first: samples[0]?.serverHeapMiB, last: samples.at(-1)?.serverHeapMiB, max: Math.max(...samples.map((s) => s.serverHeapMiB)) },
      secondHalfSlopeMiBPerMinute: { clientRss: perMin('clientRssMiB'), clientHeap: perMin('clientHeapMiB'), serverRss: perMin('serverRssMiB'), serverHeap: perMin('serverHeapMiB') },
    },
    samples,
  };
  mkdirSync(dirname(outBase), { recursive: true });
  writeFileSync(`${outBase}.json`, JSON.stringify(summary, null, 2));
  const title = `puretls soak: ${(totalSeconds / 60).toFixed(1)} min, ${concurrency} concurrent, ${st.closed} connections, ${(st.bytes / 1e9).toFixed(2)} GB echoed, ${st.errors + final.stats.errors} errors`;
  writeFileSync(`${outBase}.svg`, svgChart(samples, title));
  const m = summary.memory;
  console.log(
    `done: ${st.closed} connections (${summary.meanConnectionsPerSecond.toFixed(1)}/s), ${st.rounds} echo rounds, ${(st.bytes / 1e6).toFixed(0)} MB echoed (${summary.meanMBps.toFixed(1)} MB/s both ways), key updates ${st.keyUpdates} client / ${final.stats.keyUpdates} server, errors ${st.errors} client / ${final.stats.errors} server, stalled intervals ${stalls}`,
  );
  console.log(
    `  memory: server RSS ${m.serverRssMiB.first.toFixed(1)} -> ${m.serverRssMiB.last.toFixed(1)} MiB (max ${m.serverRssMiB.max.toFixed(1)}), server heap after GC ${m.serverHeapMiB.first.toFixed(1)} -> ${m.serverHeapMiB.last.toFixed(1)} MiB; second-half slope (MiB/min): server heap ${m.secondHalfSlopeMiBPerMinute.serverHeap.toFixed(3)}, server RSS ${m.secondHalfSlopeMiBPerMinute.serverRss.toFixed(3)}, client heap ${m.secondHalfSlopeMiBPerMinute.clientHeap.toFixed(3)}, client RSS ${m.secondHalfSlopeMiBPerMinute.clientRss.toFixed(3)}`,
  );
  for (const e of summary.errors.samples.slice(0, 10)) console.log(`  ! ${e}`);
  console.log(`wrote ${outBase}.json and ${outBase}.svg`);
  process.exitCode = st.errors + final.stats.errors + stalls > 0 ? 1 : 0;
}

/** The parent samples its own heap after a full GC too: re-run itself with --expose-gc if needed. */
function execArgvCheck() {
  if (typeof globalThis.gc !== 'function') {
    console.log('  (no --expose-gc in the parent: client heap figures include garbage; run `node --expose-gc bench/soak.mjs` for exact ones)');
  }
}

if (ROLE === 'server') await serverMain();
else await main();
