// Measurement helpers of bench/run.mjs: command-line flags, wall + CPU timing of a batch,
// interleaved rounds (A, B, A, B ...) after a warm-up, and the statistics reported
// (median and min..max over rounds).

/** True when `--name` is on the command line. */
export const flag = (name) => process.argv.slice(2).includes(`--${name}`);

/** The value after `--name`, or `dflt`. */
export function opt(name, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}

/** Microseconds of CPU (user + system, every thread of this process) used so far. */
export function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median, min and max of a list of numbers (NaN for an empty list). */
export function summary(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** The p-quantile (0..1) of a list, nearest rank. */
export function quantile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/**
 * Runs `op` repeatedly for at least `ms` milliseconds (and at least `minOps` times) and
 * returns the operations done with the wall and CPU milliseconds they took.
 */
export async function timeBatch(op, ms, minOps = 1) {
  let n = 0;
  const c0 = cpuMicros();
  const t0 = performance.now();
  let t = t0;
  while (n < minOps || t - t0 < ms) {
    await op();
    n++;
    t = performance.now();
  }
  return { ops: n, wallMs: t - t0, cpuMs: (cpuMicros() - c0) / 1000 };
}

/**
 * Interleaved rounds: every contender's `batch()` runs once per round, in the same order
 * each round (A, B, C, A, B, C ...), after `warmup` unrecorded rounds. A contender whose
 * batch throws is dropped from later rounds and its error is kept.
 *
 * @param contenders - `{ name, batch: () => Promise<sample> }`
 * @returns per contender: `{ samples: sample[], error?: Error }`
 */
export async function interleave(contenders, { rounds, warmup = 1, log = () => {} }) {
  const out = new Map(contenders.map((c) => [c.name, { samples: [], error: null }]));
  for (let r = -warmup; r < rounds; r++) {
    for (const c of contenders) {
      const slot = out.get(c.name);
      if (slot.error) continue;
      try {
        if (process.env.BENCH_DEBUG) process.stderr.write(`  round ${r} ${c.name}\n`);
        const s = await c.batch();
        if (r >= 0) slot.samples.push(s);
      } catch (e) {
        slot.error = e instanceof Error ? e : new Error(String(e));
        log(`  ${c.name}: ${slot.error.message}`);
      }
    }
  }
  return out;
}

/** A short reason from an error, for an "unavailable: reason" entry. */
export function reasonOf(e) {
  if (!e) return 'unknown';
  const status = e.status ? `${e.status}: ` : '';
  const detail = e.detail ?? e.message ?? String(e);
  return `${status}${String(detail).split('\n')[0].slice(0, 300)}`;
}
