/**
 * The fuzz loop for one target, in a worker thread (so that main.ts can stop an input that
 * never returns). Before each input it writes the input into shared memory and marks it
 * running; main.ts reads it from there when it has to kill the worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { Coverage } from './lib/coverage.js';
import { Finding, describe } from './lib/invariants.js';
import { mutate, type MutateContext } from './lib/mutate.js';
import { Rng } from './lib/rng.js';
import { SHARED_INPUT_MAX, type WorkerConfig } from './lib/protocol.js';


const cfg = workerData as WorkerConfig;
const state = new Int32Array(cfg.shared, 0, 2); // [running, length]
const started = new Float64Array(cfg.shared, 8, 1);
const inputView = new Uint8Array(cfg.shared, 16, SHARED_INPUT_MAX);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function post(msg: object): void {
  parentPort!.postMessage(msg);
}

function heapBytes(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

async function main(): Promise<void> {
  const cov = new Coverage(cfg.srcDir);
  // Coverage starts before the code under test is loaded: V8 instruments blocks only in
  // functions compiled after precise coverage was enabled.
  if (cfg.coverage && !cfg.replay) cov.start();
  const { targetByName, setRecordedScripts } = await import('./lib/targets.js');
  setRecordedScripts(cfg.recorded);
  const target = targetByName(cfg.target);
  if (!target) throw new Error(`unknown target ${cfg.target}`);
  const why = target.unavailable ? await target.unavailable() : null;
  if (why) {
    post({ type: 'skipped', reason: why });
    return;
  }
  await target.setup?.();
  const rng = new Rng(cfg.seed);
  const maxLen = target.maxLen ?? 65536;
  const seen = new Map<string, number>();
  let execs = 0;
  let findings = 0;
  let slowest = 0;

  const report = (f: Finding, input: Uint8Array): void => {
    // One signature per kind of disagreement: for differential findings the claim (up to the
    // references' messages) plus pyca's parse-error kind; elsewhere the message without numbers.
    const text =
      f.kind === 'differential'
        ? `${f.message.split('(')[0]!.replace(/good|revoked/, 'X')} ${/ParseError \{ kind: (\w+)/.exec(f.message)?.[1] ?? ''}`
        : f.message.replace(/0x[0-9a-f]+|\d+/gi, 'N');
    const sig = `${f.kind}:${text.slice(0, 160)}`;
    const n = (seen.get(sig) ?? 0) + 1;
    seen.set(sig, n);
    if (n > 1) return;
    findings++;
    if (findings > 25) return; // enough distinct reproducers from one run
    const stack = f.original instanceof Error ? (f.original.stack ?? '') : (f.stack ?? '');
    post({ type: 'finding', kind: f.kind, message: f.message, stack, input: Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('hex'), signature: sig });
  };

  /** Runs one input with every check; returns its wall time. */
  const exec = async (input: Uint8Array): Promise<number> => {
    const n = Math.min(input.length, SHARED_INPUT_MAX);
    inputView.set(input.subarray(0, n));
    Atomics.store(state, 1, n);
    started[0] = performance.timeOrigin + performance.now();
    Atomics.store(state, 0, 1);
    const t0 = performance.now();
    try {
      await target.run(input);
    } catch (e) {
      const f = e instanceof Finding ? e : new Finding('foreign-exception', `uncaught: ${describe(e)}`, e);
      report(f, input);
    } finally {
      Atomics.store(state, 0, 0);
    }
    const dt = performance.now() - t0;
    execs++;
    if (dt > slowest) slowest = dt;
    if (dt > cfg.slowMs) {
      // Confirm on a second run (the machine is shared): both runs must be slow.
      const t1 = performance.now();
      try {
        await target.run(input);
      } catch {
        // reported above
      }
      const dt2 = performance.now() - t1;
      if (Math.min(dt, dt2) > cfg.slowMs) report(new Finding('slow', `one input took ${Math.round(Math.min(dt, dt2))} ms (limit ${cfg.slowMs} ms)`), input);
    }
    return dt;
  };

  if (cfg.replay) {
    for (const hex of cfg.replay) {
      const b = new Uint8Array(Buffer.from(hex, 'hex'));
      const dt = await exec(b);
      if (target.retained) await checkRetained(b);
      post({ type: 'replayed', ms: dt });
      if (cfg.minimize) post({ type: 'minimized', input: Buffer.from(await minimize(b)).toString('hex') });
    }
    post({ type: 'done', execs, corpus: 0, blocks: 0, functions: [...cov.functions], findings, slowest, features: 0 });
    cov.stop();
    // The differential targets' python helper keeps the worker alive until it is stopped.
    await target.teardown?.();
    return;
  }

  /**
   * What a connection keeps after its input: eight live connections fed the same input,
   * divided by eight (one alone is lost in GC noise). Limit: 64 KiB + 16 bytes per input byte.
   */
  async function checkRetained(input: Uint8Array): Promise<void> {
    const measure = async (): Promise<number> => {
      gc();
      gc();
      const m0 = heapBytes();
      const keep: unknown[] = [];
      for (let i = 0; i < 8; i++) keep.push(await target!.retained!(input).catch(() => null));
      gc();
      gc();
      const m1 = heapBytes();
      keep.length = 0;
      return (m1 - m0) / 8;
    };
    const limit = 64 * 1024 + 16 * input.length;
    let r = await measure();
    if (r > limit) r = Math.min(r, await measure()); // confirm: GC timing is noisy
    if (r > limit) report(new Finding('memory', `an engine fed ${input.length} bytes keeps ${Math.round(r)} bytes per connection (limit 64 KiB + 16 per input byte)`), input);
  }

  /** Which finding kind an input gives (null: none). */
  async function kindOf(b: Uint8Array): Promise<string | null> {
    try {
      await target!.run(b);
      return null;
    } catch (e) {
      return e instanceof Finding ? e.kind : 'foreign-exception';
    }
  }

  /** Delta debugging on bytes: drop chunks (halving their size) while the finding's kind stays. */
  async function minimize(input: Uint8Array): Promise<Uint8Array> {
    const kind = await kindOf(input);
    if (!kind) return input;
    let cur = input;
    for (let size = cur.length >> 1; size >= 1; size >>= 1) {
      for (let at = 0; at + size <= cur.length; ) {
        const cand = new Uint8Array(cur.length - size);
        cand.set(cur.subarray(0, at));
        cand.set(cur.subarray(at + size), at);
        if ((await kindOf(cand)) === kind) cur = cand;
        else at += size;
      }
    }
    return cur;
  }

  // Seeds (and a corpus kept from earlier runs).
  const corpus: Uint8Array[] = [];
  const seeds = (await target.seeds()).filter((s) => s.length <= maxLen);
  if (cfg.corpusDir && fs.existsSync(cfg.corpusDir)) {
    for (const f of fs.readdirSync(cfg.corpusDir).sort()) seeds.push(new Uint8Array(fs.readFileSync(path.join(cfg.corpusDir, f))));
  }
  if (seeds.length === 0) seeds.push(new Uint8Array(0));
  // Making the seeds (real handshakes) is not the target's coverage: drop those counts.
  cov.take(false);
  const saveToDisk = (b: Uint8Array): void => {
    if (!cfg.corpusDir) return;
    fs.mkdirSync(cfg.corpusDir, { recursive: true });
    fs.writeFileSync(path.join(cfg.corpusDir, createHash('sha256').update(b).digest('hex').slice(0, 16)), b);
  };
  for (const s of seeds) {
    await exec(s);
    cov.take();
    corpus.push(s);
  }
  gc();
  const baseline = heapBytes();
  let memChecks = 0;
  let grew = 0;

  const ctx: MutateContext = {
    other: () => (corpus.length > 1 ? corpus[rng.below(corpus.length)]! : null),
    dictionary: target.dictionary ?? [],
    maxLen,
  };
  const deadline = performance.now() + cfg.seconds * 1000;
  let batch: Uint8Array[] = [];
  let batchTime = 0;
  let takeCost = 1;
  let lastStats = performance.now();
  let lastMem = performance.now();
  const execs0 = execs;
  const t0 = performance.now();
  while (performance.now() < deadline) {
    // Recent additions are the frontier: pick them a little more often.
    const parent = corpus.length > 8 && rng.chance(0.3) ? corpus[corpus.length - 1 - rng.below(Math.min(8, corpus.length))]! : corpus[rng.below(corpus.length)]!;
    const child = mutate(parent, rng, ctx, target.mutators ?? [], target.structuredShare ?? 0);
    batchTime += await exec(child);
    batch.push(child);
    // Take coverage when the batch cost about as much as a take (attribution below if new).
    if (cfg.coverage && (batchTime >= takeCost * 2 || batch.length >= 64)) {
      const tk = performance.now();
      const fresh = cov.take(false);
      takeCost = 0.8 * takeCost + 0.2 * (performance.now() - tk);
      if (fresh > 0) {
        for (const b of batch) {
          await exec(b);
          if (cov.take() > 0) {
            corpus.push(b);
            saveToDisk(b);
          }
        }
      }
      batch = [];
      batchTime = 0;
    } else if (!cfg.coverage && batch.length >= 64) {
      batch = [];
    }
    const now = performance.now();
    if (now - lastMem > 5000) {
      lastMem = now;
      gc();
      const used = heapBytes();
      const allowance = 256 * 1024 * 1024 + corpus.reduce((n, c) => n + c.length, 0) * 4;
      memChecks++;
      grew = used - baseline > allowance ? grew + 1 : 0;
      if (grew >= 3) report(new Finding('memory', `heap grew from ${Math.round(baseline / 1e6)} MB to ${Math.round(used / 1e6)} MB and kept growing`), child);
    }
    if (now - lastStats > 2000) {
      lastStats = now;
      post({ type: 'stats', execs, rate: ((execs - execs0) * 1000) / (now - t0), corpus: corpus.length, blocks: cov.blocks.size, nfunctions: cov.functions.size, findings });
    }
    if (target.retained && execs % 100 === 0) await checkRetained(child);
  }
  void memChecks;
  cov.take();
  post({ type: 'done', execs, rate: ((execs - execs0) * 1000) / Math.max(1, performance.now() - t0), corpus: corpus.length, blocks: cov.blocks.size, functions: [...cov.functions], findings, slowest, features: cov.features.size });
  cov.stop();
  await target.teardown?.();
}

main().catch((e) => {
  post({ type: 'error', message: describe(e), stack: e instanceof Error ? e.stack : '' });
});
