#!/usr/bin/env node
// `npm run bench`: every figure of issue 9 item 6 measured side by side with its peers in
// the same run, interleaved in rounds (A, B, A, B ...) after warm-up rounds, reporting the
// median and min..max over rounds of both wall time and CPU time (process.cpuUsage).
// Writes <out>/latest.json, <out>/latest.md (a markdown table) and <out>/latest.svg (bars
// of each figure relative to Node `tls`).
//
// Usage: npm run bench [-- --quick] [--out DIR] [--only handshake,resumed,latency,bulk,bulk2,memory,bundle,browser,pq]
//        [--handshakes tls13-ecdsa-p256,...] [--hs-providers pure,...]  (narrow the handshake figures)
//        [--rounds N] [--warmup N] [--aead aes-128-gcm,aes-256-gcm,chacha20-poly1305] [--providers pure,native,webcrypto]
//   --aead, --providers  narrow the bulk figures (--providers: two-process bulk only)
//   --quick  seconds, not minutes: a smoke test of the harness (numbers are not meaningful)
//
// Figures with no result say why ("unavailable: reason"); nothing is dropped silently.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, opt } from './lib/measure.mjs';
import { distUrl } from './lib/dist.mjs';
import { detectProviders } from './lib/providers.mjs';
import { handshakeFigures } from './lib/handshakes.mjs';
import { resumedFigure } from './lib/resumed.mjs';
import { latencyFigure } from './lib/latency.mjs';
import { bulkFigures } from './lib/bulk.mjs';
import { bulk2Figures } from './lib/bulk2.mjs';
import { memoryFigures } from './lib/memory.mjs';
import { bundleFigure } from './lib/bundle.mjs';
import { pqFigures } from './lib/pq.mjs';
import { browserFigures } from './browser/run.mjs';
import { renderMarkdown, renderSvg } from './lib/report.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUICK = flag('quick');
const OUT = opt('out', join(ROOT, 'bench/results'));
const GROUPS = ['handshake', 'resumed', 'latency', 'bulk', 'bulk2', 'memory', 'bundle', 'browser', 'pq'];
const ONLY = new Set((opt('only', GROUPS.join(',')) ?? '').split(',').filter(Boolean));

/** Sizes of the run. Quick mode exercises every code path with tiny amounts. */
const params = QUICK
  ? { rounds: Number(opt('rounds', 2)), warmup: 1, batchMs: 15, bulkBytes: 128 * 1024, bulk2Bytes: 256 * 1024, latencySamples: 4, memConnections: 10 }
  : { rounds: Number(opt('rounds', 9)), warmup: Number(opt('warmup', 2)), batchMs: 400, bulkBytes: 8 * 1024 * 1024, bulk2Bytes: 32 * 1024 * 1024, latencySamples: 200, memConnections: 1000 };

const log = (s) => process.stderr.write(`${s}\n`);

const lib = await import(distUrl('index.js'));
const testing = await import(distUrl('testing/index.js'));

const pkis = new Map();
/** One test PKI per key type, made once (CA + leaf, no intermediates). */
const pki = async (keyType) => {
  if (!pkis.has(keyType)) pkis.set(keyType, await testing.generateTestPki({ keyType }));
  return pkis.get(keyType);
};

/** A peer module, or why it cannot be loaded. */
async function peer(name) {
  try {
    const m = await import(name);
    return { module: m.default ?? m };
  } catch (e) {
    return { module: null, reason: `cannot load ${name}: ${e.message.split('\n')[0]}` };
  }
}

const providers = await detectProviders(lib, await pki('ecdsa-p256'));
for (const p of providers) log(`provider ${p.name}: ${p.available ? 'available' : `unavailable (${p.reason})`}${p.note ? ` — ${p.note}` : ''}`);

// subtls has no "main" or "exports": its file is named, which also spares Node's DEP0151 warning.
const ctx = { lib, testing, pki, providers, params, log, quick: QUICK, root: ROOT, forge: await peer('node-forge'), subtls: await peer('subtls/index.js') };

const started = performance.now();
const figures = [];
const RUNNERS = { handshake: handshakeFigures, resumed: resumedFigure, latency: latencyFigure, bulk: bulkFigures, bulk2: bulk2Figures, memory: memoryFigures, bundle: bundleFigure, browser: browserFigures, pq: pqFigures };
for (const group of GROUPS) {
  if (!ONLY.has(group)) continue;
  const t = performance.now();
  const got = await RUNNERS[group](ctx);
  figures.push(...(Array.isArray(got) ? got : [got]));
  log(`  (${group}: ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// Ratios to the baseline: `ratio` on the headline value (wall), `cpuRatio` on CPU, both
// oriented so that > 1 means better than Node `tls`.
for (const f of figures) {
  const base = f.entries.find((e) => e.name === f.baseline && e.value);
  for (const e of f.entries) {
    if (!base || !e.value) continue;
    e.ratio = f.higherIsBetter ? e.value.median / base.value.median : base.value.median / e.value.median;
    if (e.cpu && base.cpu) e.cpuRatio = f.cpuLowerIsBetter ? base.cpu.median / e.cpu.median : e.cpu.median / base.cpu.median;
  }
  // The pure provider's overhead over its primitive floor (CPU), where both were measured.
  const floor = f.entries.find((e) => e.kind === 'floor' && e.cpu);
  const pure = f.entries.find((e) => e.name === 'puretls (pure)' && e.cpu);
  if (floor && pure) pure.overFloor = f.cpuLowerIsBetter ? pure.cpu.median / floor.cpu.median : floor.cpu.median / pure.cpu.median;
}

const report = {
  schema: 1,
  date: new Date().toISOString(),
  quick: QUICK,
  node: process.version,
  openssl: process.versions.openssl,
  platform: `${os.platform()} ${os.arch()}`,
  cpu: `${os.cpus()[0]?.model ?? 'unknown'} x ${os.cpus().length}`,
  params,
  seconds: Math.round((performance.now() - started) / 1000),
  providers: providers.map(({ name, available, reason, note }) => ({ name, available, ...(reason ? { reason } : {}), ...(note ? { note } : {}) })),
  figures,
};

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(OUT, 'latest.md'), renderMarkdown(report));
writeFileSync(join(OUT, 'latest.svg'), renderSvg(report));
log(`wrote ${join(OUT, 'latest.json')}, latest.md, latest.svg in ${report.seconds} s`);
process.stdout.write(renderMarkdown(report));
