/**
 * `npm run fuzz -- --target NAME --time S`: runs fuzz targets one after another, each in a
 * worker thread watched from here (an input still running after --kill-ms is a hang: the
 * worker is stopped, the input saved, and a fresh worker goes on with the time left).
 *
 * Options:
 *   --list                 the targets and what they exercise
 *   --target A[,B] | all   which targets (default all)
 *   --time S               seconds per target (default 60)
 *   --seed N               PRNG seed (default: time based; fixed in CI)
 *   --findings-dir DIR     where reproducers go (default test/fuzz/findings)
 *   --corpus-dir DIR       keep the grown corpus there, per target (default: a temp dir)
 *   --no-coverage          plain mutation, no coverage guidance
 *   --slow-ms MS           an input slower than this (twice) is a finding (default 1000)
 *   --kill-ms MS           an input still running after this is a hang (default 5000)
 *   --replay HEXFILE       run one saved input (hex) against --target, report and exit
 *   --minimize             with --replay: also shrink it (same finding kind) into HEXFILE.min.hex
 *   --json                 one JSON line per target on stdout (for CI)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { TARGETS, usesRecordedScripts } from './lib/targets.js';
import { recordScripts } from './lib/script.js';
import { staticFunctions } from './lib/coverage.js';
import { repoRoot } from './lib/harness.js';
import { SHARED_INPUT_MAX, type WorkerConfig } from './lib/protocol.js';

interface Args {
  list: boolean;
  targets: string[];
  time: number;
  seed: number;
  findingsDir: string;
  corpusDir: string | null;
  coverage: boolean;
  slowMs: number;
  killMs: number;
  replay: string | null;
  minimize: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    list: false,
    targets: [],
    time: 60,
    seed: Date.now() % 2 ** 31,
    findingsDir: path.join(repoRoot(), 'test', 'fuzz', 'findings'),
    corpusDir: path.join(os.tmpdir(), 'puretls-fuzz-corpus'),
    coverage: true,
    slowMs: 1000,
    killMs: 5000,
    replay: null,
    minimize: false,
    json: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--list') a.list = true;
    else if (k === '--target' || k === '-t') a.targets.push(...v().split(','));
    else if (k === '--time') a.time = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--findings-dir') a.findingsDir = path.resolve(v());
    else if (k === '--corpus-dir') a.corpusDir = v() === 'none' ? null : path.resolve(argv[i]!);
    else if (k === '--no-coverage') a.coverage = false;
    else if (k === '--slow-ms') a.slowMs = Number(v());
    else if (k === '--kill-ms') a.killMs = Number(v());
    else if (k === '--replay') a.replay = path.resolve(v());
    else if (k === '--json') a.json = true;
    else if (k === '--minimize') a.minimize = true;
    else throw new Error(`unknown option ${k} (see --list and test/fuzz/README.md)`);
  }
  if (a.targets.length === 0 || a.targets.includes('all')) a.targets = TARGETS.map((t) => t.name);
  for (const t of a.targets) if (!TARGETS.some((x) => x.name === t)) throw new Error(`unknown target '${t}' (--list shows them)`);
  if (!(a.time > 0)) throw new Error('--time must be a positive number of seconds');
  return a;
}

/** What a run of one target reports (with --json, one line of stdout each). */
export interface TargetResult {
  target: string;
  skipped?: string;
  execs: number;
  rate: number;
  corpus: number;
  blocks: number;
  functions: number;
  functionsTotal: number;
  findings: { kind: string; message: string; file: string }[];
  slowestMs: number;
  restarts: number;
  error?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(here, '..', '..', 'src');

function log(args: Args, s: string): void {
  if (args.json) process.stderr.write(s + '\n');
  else process.stdout.write(s + '\n');
}

function saveFinding(args: Args, target: string, f: { kind: string; message: string; stack: string; input: string }): string {
  fs.mkdirSync(args.findingsDir, { recursive: true });
  const id = createHash('sha256').update(f.input).digest('hex').slice(0, 10);
  const base = path.join(args.findingsDir, `${target}-${f.kind}-${id}`);
  fs.writeFileSync(`${base}.hex`, f.input.replace(/(.{64})/g, '$1\n') + '\n');
  fs.writeFileSync(
    `${base}.md`,
    `# ${target}: ${f.kind}\n\n${f.message}\n\nReproduce: \`npm run fuzz -- --target ${target} --replay ${path.relative(repoRoot(), base)}.hex\`\n\nInput: ${f.input.length / 2} bytes (${path.basename(base)}.hex).\n\n\`\`\`\n${f.stack}\n\`\`\`\n`,
  );
  return `${base}.hex`;
}

async function runTarget(args: Args, name: string, fnTotal: number): Promise<TargetResult> {
  const res: TargetResult = { target: name, execs: 0, rate: 0, corpus: 0, blocks: 0, functions: 0, functionsTotal: fnTotal, findings: [], slowestMs: 0, restarts: 0 };
  const deadline = Date.now() + args.time * 1000;
  const fnSeen = new Set<string>();
  let replay = args.replay ? [fs.readFileSync(args.replay, 'utf8').replace(/\s+/g, '')] : null;
  while (Date.now() < deadline - 200 || replay) {
    const shared = new SharedArrayBuffer(16 + SHARED_INPUT_MAX);
    const state = new Int32Array(shared, 0, 2);
    const started = new Float64Array(shared, 8, 1);
    const cfg: WorkerConfig = {
      target: name,
      seconds: Math.max(0.5, (deadline - Date.now()) / 1000),
      seed: args.seed + res.restarts * 7919,
      coverage: args.coverage,
      srcDir,
      corpusDir: args.corpusDir ? path.join(args.corpusDir, name) : null,
      slowMs: args.slowMs,
      replay,
      minimize: args.minimize,
      shared,
      recorded: usesRecordedScripts(name) ? (recorded ??= await recordScripts()) : null,
    };
    replay = null;
    const w = new Worker(path.join(here, 'worker.js'), { workerData: cfg });
    const outcome = await new Promise<'done' | 'hang' | 'error'>((resolve) => {
      const watchdog = setInterval(() => {
        if (Atomics.load(state, 0) === 1 && performance.timeOrigin + performance.now() - started[0]! > args.killMs) {
          clearInterval(watchdog);
          const len = Atomics.load(state, 1);
          const input = Buffer.from(new Uint8Array(shared, 16, len)).toString('hex');
          const message = `an input was still running after ${args.killMs} ms (worker stopped)`;
          const file = saveFinding(args, name, { kind: 'hang', message, stack: '', input });
          res.findings.push({ kind: 'hang', message, file });
          log(args, `[${name}] HANG: ${message} -> ${file}`);
          void w.terminate().then(() => resolve('hang'));
        }
      }, 100);
      w.on('message', (m: Record<string, unknown>) => {
        if (m['type'] === 'stats') {
          log(args, `[${name}] execs ${m['execs']} (${Math.round(m['rate'] as number)}/s) corpus ${m['corpus']} blocks ${m['blocks']} functions ${m['nfunctions']} findings ${res.findings.length}`);
        } else if (m['type'] === 'finding') {
          const f = m as unknown as { kind: string; message: string; stack: string; input: string };
          const file = saveFinding(args, name, f);
          res.findings.push({ kind: f.kind, message: f.message, file });
          log(args, `[${name}] FINDING ${f.kind}: ${f.message.slice(0, 400)} -> ${file}`);
        } else if (m['type'] === 'skipped') {
          res.skipped = String(m['reason']);
        } else if (m['type'] === 'minimized') {
          const file = args.replay!.replace(/\.hex$/, '') + '.min.hex';
          fs.writeFileSync(file, String(m['input']).replace(/(.{64})/g, '$1\n') + '\n');
          log(args, `[${name}] minimized to ${String(m['input']).length / 2} bytes -> ${file}`);
        } else if (m['type'] === 'replayed') {
          log(args, `[${name}] replayed in ${Math.round(m['ms'] as number)} ms`);
        } else if (m['type'] === 'error') {
          res.error = `${m['message']}\n${m['stack']}`;
        } else if (m['type'] === 'done') {
          res.execs += m['execs'] as number;
          res.rate = (m['rate'] as number) ?? 0;
          res.corpus = Math.max(res.corpus, m['corpus'] as number);
          res.blocks = Math.max(res.blocks, m['blocks'] as number);
          for (const f of m['functions'] as string[]) fnSeen.add(f);
          res.slowestMs = Math.max(res.slowestMs, m['slowest'] as number);
        }
      });
      w.on('error', (e) => {
        res.error = e.stack ?? String(e);
      });
      w.on('exit', () => {
        clearInterval(watchdog);
        resolve(res.error ? 'error' : 'done');
      });
    });
    if (args.replay || outcome !== 'hang' || res.restarts++ > 20) break;
  }
  res.functions = fnTotal > 0 ? [...fnSeen].filter((k) => staticSet!.has(k)).length : fnSeen.size;
  return res;
}

let staticSet: Set<string> | null = null;
let recorded: Awaited<ReturnType<typeof recordScripts>> | null = null;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.list) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(18)} ${t.description}\n`);
    return;
  }
  staticSet = await staticFunctions(srcDir);
  log(args, `fuzz: seed ${args.seed}, ${args.time} s per target, coverage ${args.coverage ? 'on (V8 precise block coverage)' : 'off'}, ${staticSet.size} functions in src/`);
  const results: TargetResult[] = [];
  for (const name of args.targets) {
    const r = await runTarget(args, name, staticSet.size);
    results.push(r);
    if (r.skipped) log(args, `[${name}] skipped: ${r.skipped}`);
    else
      log(
        args,
        `[${name}] done: ${r.execs} inputs (${Math.round(r.rate)}/s), corpus ${r.corpus}, coverage ${r.blocks} blocks, ${r.functions}/${r.functionsTotal} functions in src/, slowest input ${Math.round(r.slowestMs)} ms, findings ${r.findings.length}${r.error ? `, ERROR ${r.error}` : ''}`,
      );
    if (args.json) process.stdout.write(JSON.stringify(r) + '\n');
  }
  const bad = results.filter((r) => r.findings.length > 0 || r.error);
  if (!args.json) {
    log(args, '');
    log(args, 'target             inputs    inputs/s  corpus  blocks  functions  findings');
    for (const r of results) {
      if (r.skipped) log(args, `${r.target.padEnd(18)} skipped: ${r.skipped}`);
      else log(args, `${r.target.padEnd(18)} ${String(r.execs).padStart(8)} ${String(Math.round(r.rate)).padStart(9)} ${String(r.corpus).padStart(7)} ${String(r.blocks).padStart(7)} ${`${r.functions}/${r.functionsTotal}`.padStart(10)} ${String(r.findings.length).padStart(9)}`);
    }
  }
  process.exitCode = bad.length > 0 ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
