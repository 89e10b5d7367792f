#!/usr/bin/env node
// Benchmark: full TLS 1.3 handshakes per second and bulk throughput (16 KiB writes) for a
// puretls client+server pair in one process, beside Node's `tls` (OpenSSL) in the same run.
// Both run over in-memory byte pipes, so neither pays for sockets: the ratio is the figure.
// Usage: npm run build && node bench/handshake.mjs [--seconds 3] [--mib 16] [--json FILE]
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TlsConnection } from '../dist/index.js';
import { generateTestPki } from '../dist/testing/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '3'));
const MIB = Number(opt('mib', '16'));
const JSON_OUT = opt('json', 'bench/results/handshake.json');
const CHUNK = 16 * 1024;

// ------------------------------------------------------------------ puretls, in memory

async function move(from, to) {
  let moved = false;
  for (let out = from.takeOutput(); out; out = from.takeOutput()) {
    let data = out;
    while (data.length > 0) {
      const n = to.receive(data);
      data = data.subarray(n);
      await to.process();
      if (to.error) throw to.error;
    }
    moved = true;
  }
  return moved;
}

async function pumpPure(a, b) {
  await a.process();
  for (;;) {
    const x = await move(a, b);
    const y = await move(b, a);
    if (!x && !y) break;
  }
  if (a.error) throw a.error;
  if (b.error) throw b.error;
}

async function pureHandshake(pki, suite) {
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, cipherSuites: suite ? [suite] : undefined, keyShareGroups: ['x25519'] });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
  await pumpPure(client, server);
  if (!client.handshakeComplete || !server.handshakeComplete) throw new Error('puretls handshake did not complete');
  return { client, server };
}

async function pureHandshakes(pki) {
  let n = 0;
  const lat = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    await pureHandshake(pki);
    lat.push(performance.now() - t);
    n++;
  }
  return { perSecond: n / SECONDS, ...percentiles(lat) };
}

async function pureBulk(pki, suite) {
  const { client, server } = await pureHandshake(pki, suite);
  const chunk = new Uint8Array(CHUNK).fill(0x61);
  const total = MIB * 1024 * 1024;
  let received = 0;
  const t = performance.now();
  for (let sent = 0; sent < total; sent += CHUNK) {
    client.write(chunk);
    await move(client, server);
    for (let r = server.read(); r; r = server.read()) received += r.length;
  }
  const secs = (performance.now() - t) / 1000;
  if (received !== total) throw new Error(`puretls bulk: received ${received} of ${total}`);
  return { mbPerSecond: total / 1e6 / secs };
}

// ------------------------------------------------------------------ node:tls, in memory

function duplexPair() {
  let a, b;
  const mk = (getPeer) =>
    new Duplex({
      read() {},
      write(chunk, _enc, cb) {
        getPeer().push(chunk);
        cb();
      },
      final(cb) {
        getPeer().push(null);
        cb();
      },
    });
  a = mk(() => b);
  b = mk(() => a);
  return [a, b];
}

function nodeHandshake(serverCtx, clientCtx, suite) {
  return new Promise((resolve, reject) => {
    const [x, y] = duplexPair();
    const server = new tls.TLSSocket(x, { isServer: true, secureContext: serverCtx });
    const client = tls.connect({ socket: y, secureContext: clientCtx, servername: 'localhost', ciphers: undefined, ...(suite ? {} : {}) });
    server.on('error', reject);
    client.on('error', reject);
    client.on('secureConnect', () => resolve({ client, server }));
  });
}

async function nodeHandshakes(serverCtx, clientCtx) {
  let n = 0;
  const lat = [];
  const end = performance.now() + SECONDS * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const { client, server } = await nodeHandshake(serverCtx, clientCtx);
    lat.push(performance.now() - t);
    client.destroy();
    server.destroy();
    n++;
  }
  return { perSecond: n / SECONDS, ...percentiles(lat) };
}

async function nodeBulk(serverCtx, clientCtx) {
  const { client, server } = await nodeHandshake(serverCtx, clientCtx);
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const total = MIB * 1024 * 1024;
  const t = performance.now();
  await new Promise((resolve, reject) => {
    let received = 0;
    server.on('data', (d) => {
      received += d.length;
      if (received >= total) resolve();
    });
    server.on('error', reject);
    let sent = 0;
    const writeMore = () => {
      while (sent < total) {
        sent += CHUNK;
        if (!client.write(chunk)) {
          client.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
  });
  const secs = (performance.now() - t) / 1000;
  client.destroy();
  server.destroy();
  return { mbPerSecond: total / 1e6 / secs };
}

// ------------------------------------------------------------------ run

function percentiles(lat) {
  const s = [...lat].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { p50ms: q(0.5), p99ms: q(0.99) };
}

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  ['TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
];

const rows = [];
for (const keyType of ['ecdsa-p256', 'ed25519', 'rsa-2048']) {
  const pki = await generateTestPki({ keyType });
  const serverCtx = tls.createSecureContext({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' });
  const clientCtx = tls.createSecureContext({ ca: pki.caCertPem, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' });
  const p = await pureHandshakes(pki);
  const n = await nodeHandshakes(serverCtx, clientCtx);
  rows.push({
    metric: `TLS 1.3 full handshakes/s (${keyType}, x25519)`,
    puretls: p.perSecond,
    node: n.perSecond,
    ratio: p.perSecond / n.perSecond,
    extra: { puretlsP50ms: p.p50ms, puretlsP99ms: p.p99ms, nodeP50ms: n.p50ms, nodeP99ms: n.p99ms },
  });
}
{
  const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  for (const [suite, nodeName] of SUITES) {
    const serverCtx = tls.createSecureContext({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3', ciphersuites: nodeName });
    const clientCtx = tls.createSecureContext({ ca: pki.caCertPem, minVersion: 'TLSv1.3', ciphersuites: nodeName });
    const p = await pureBulk(pki, suite);
    const n = await nodeBulk(serverCtx, clientCtx);
    rows.push({ metric: `bulk MB/s, 16 KiB writes (${suite})`, puretls: p.mbPerSecond, node: n.mbPerSecond, ratio: p.mbPerSecond / n.mbPerSecond });
  }
}

const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const w = Math.max(...rows.map((r) => r.metric.length));
console.log(`${'metric'.padEnd(w)}  ${'puretls'.padStart(9)}  ${'node:tls'.padStart(9)}  ratio`);
for (const r of rows) console.log(`${r.metric.padEnd(w)}  ${fmt(r.puretls).padStart(9)}  ${fmt(r.node).padStart(9)}  ${r.ratio.toFixed(3)}`);
const latency = rows.filter((r) => r.extra);
for (const r of latency) {
  console.log(`  ${r.metric}: handshake latency p50/p99 puretls ${fmt(r.extra.puretlsP50ms)}/${fmt(r.extra.puretlsP99ms)} ms, node ${fmt(r.extra.nodeP50ms)}/${fmt(r.extra.nodeP99ms)} ms`);
}
mkdirSync(dirname(JSON_OUT), { recursive: true });
writeFileSync(JSON_OUT, JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds: SECONDS, mib: MIB, rows }, null, 2));
console.log(`wrote ${JSON_OUT}`);
