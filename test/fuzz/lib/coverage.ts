/**
 * Coverage guidance from V8's precise block coverage (node:inspector, Profiler domain),
 * restricted to the compiled src/ files. Each take returns the counters since the last one
 * and resets them, so a take after one input is that input's coverage.
 *
 * A "feature" is a covered block range plus a coarse hit-count bucket (1, 2-3, 4-15, 16+),
 * so inputs that run a loop more often also count as new. Reported coverage is plain:
 * blocks with a non-zero count, and functions (matched to a static count of the compiled
 * src/*.js, made with the TypeScript parser) that ran.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';
import { pathToFileURL } from 'node:url';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface FunctionCoverage {
  functionName: string;
  ranges: Range[];
  isBlockCoverage: boolean;
}
interface ScriptCoverage {
  url: string;
  functions: FunctionCoverage[];
}

function bucket(n: number): number {
  return n === 1 ? 1 : n <= 3 ? 2 : n <= 15 ? 3 : 4;
}

export class Coverage {
  private readonly session = new Session();
  private readonly prefix: string;
  readonly features = new Set<string>();
  readonly blocks = new Set<string>();
  readonly functions = new Set<string>();
  private started = false;

  /** @param srcDir - the directory of the compiled src/ files whose coverage counts */
  constructor(srcDir: string) {
    this.prefix = pathToFileURL(srcDir).href + '/';
  }

  start(): void {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    this.started = true;
  }

  stop(): void {
    if (!this.started) return;
    try {
      this.post('Profiler.stopPreciseCoverage');
      this.session.disconnect();
    } catch {
      // already gone
    }
    this.started = false;
  }

  private post(method: string, params?: object): unknown {
    let result: unknown;
    let error: Error | null = null;
    // Same-thread sessions answer synchronously.
    this.session.post(method, params ?? {}, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  }

  /** Takes (and resets) the counters; returns how many features are new. */
  take(record = true): number {
    if (!this.started) return 0;
    const res = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let fresh = 0;
    for (const s of res.result) {
      if (!s.url.startsWith(this.prefix)) continue;
      const file = s.url.slice(this.prefix.length);
      for (const f of s.functions) {
        const fr = f.ranges[0];
        if (!fr || fr.count === 0) continue;
        const fkey = `${file}:${fr.endOffset}`;
        for (const r of f.ranges) {
          if (r.count === 0) continue;
          const key = `${file}:${r.startOffset}:${r.endOffset}`;
          const feat = `${key}#${bucket(r.count)}`;
          if (!this.features.has(feat)) {
            fresh++;
            if (record) this.features.add(feat);
          }
          if (record) this.blocks.add(key);
        }
        if (record) this.functions.add(fkey);
      }
    }
    return fresh;
  }
}

/** Functions in the compiled src/ tree, counted with the TypeScript parser: `file:endOffset` keys. */
export async function staticFunctions(srcDir: string): Promise<Set<string>> {
  const out = new Set<string>();
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    return out;
  }
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        const rel = path.relative(srcDir, p).split(path.sep).join('/');
        const sf = ts.createSourceFile(p, fs.readFileSync(p, 'utf8'), ts.ScriptTarget.ES2022, true);
        const visit = (n: import('typescript').Node): void => {
          if (ts.isFunctionLike(n) && (n as { body?: unknown }).body !== undefined) out.add(`${rel}:${n.end}`);
          ts.forEachChild(n, visit);
        };
        visit(sf);
      }
    }
  };
  if (fs.existsSync(srcDir)) walk(srcDir);
  return out;
}
