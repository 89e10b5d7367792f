/**
 * The benchmark harness (bench/run.mjs), run in its quick mode as CI's smoke test: it must
 * produce every figure of issue 9 item 6, each entry either measured (finite numbers,
 * min <= median <= max) or explicitly "unavailable" with a reason, plus the markdown table
 * and the SVG chart. No timing is asserted: the numbers of a quick run mean nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Stats {
  median: number;
  min: number;
  max: number;
}
interface Entry {
  name: string;
  kind: string;
  value?: Stats;
  cpu?: Stats;
  unavailable?: string;
  cpuVsFull?: number;
  vsFull?: number;
  ratio?: number;
  note?: string;
}
interface Figure {
  id: string;
  group: string;
  title: string;
  unit: string;
  baseline: string | null;
  entries: Entry[];
}
interface Report {
  quick: boolean;
  providers: { name: string; available: boolean; reason?: string }[];
  figures: Figure[];
}

/** Every figure the issue asks for, by id. */
const FIGURES = [
  'handshake.tls13-ecdsa-p256',
  'handshake.tls13-ed25519',
  'handshake.tls13-rsa-2048',
  'handshake.tls12-ecdhe-ecdsa',
  'handshake.tls12-ecdhe-rsa',
  'resumed.tls13-ecdsa-p256',
  'resumed.tls12-ecdhe-ecdsa-ticket',
  'resumed.tls12-ecdhe-ecdsa-session-id',
  'latency.loopback-tls13-ecdsa-p256',
  'bulk.one-process.aes-128-gcm',
  // Four records in flight: what the webcrypto provider's concurrent seals and opens gain.
  'bulk.one-process-window.aes-128-gcm',
  'bulk.one-process.aes-256-gcm',
  'bulk.one-process.chacha20-poly1305',
  'bulk.two-process.aes-128-gcm',
  'bulk.two-process.aes-256-gcm',
  'bulk.two-process.chacha20-poly1305',
  'memory.idle.in-memory',
  'memory.idle.node-adapter',
  'bundle.client',
  'browser.handshake.ws-bridge',
  'browser.handshake.wisp',
  'browser.bulk.ws-bridge',
  'browser.bulk.wisp',
  // Issue 12: handshakes/s per key-exchange group (bench/lib/pq.mjs).
  'pq.x25519',
  'pq.X25519MLKEM768',
  'pq.SecP256r1MLKEM768',
  'pq.SecP384r1MLKEM1024',
];

const PROVIDERS = ['pure', 'native', 'webcrypto'];

let out: string;
let report: Report;
let markdown: string;
let svg: string;

beforeAll(async () => {
  // The harness measures the built package: build the sources under test into a private
  // folder (inside node_modules, so the build still finds its dependencies), which no other
  // test rebuilds while the benchmark reads it.
  const dist = join(ROOT, 'node_modules', '.cache', 'puretls-bench', 'dist');
  rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', dist], { cwd: ROOT, stdio: 'inherit' });
  out = mkdtempSync(join(tmpdir(), 'puretls-bench-'));
  const env = { ...process.env, PURETLS_BENCH_DIST: dist };
  await new Promise<void>((resolvePromise, reject) => {
    execFile(process.execPath, [join(ROOT, 'bench', 'run.mjs'), '--quick', '--out', out], { cwd: ROOT, env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`bench --quick failed: ${err.message}\n${stderr}`));
      else resolvePromise();
    });
  });
  report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Report;
  markdown = readFileSync(join(out, 'latest.md'), 'utf8');
  svg = readFileSync(join(out, 'latest.svg'), 'utf8');
}, 180_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

const isFiniteStats = (s: Stats | undefined): boolean =>
  s !== undefined && Number.isFinite(s.median) && Number.isFinite(s.min) && Number.isFinite(s.max) && s.min <= s.median && s.median <= s.max;

describe('npm run bench -- --quick', () => {
  it('says it was a quick run and names every provider, the pure one available', () => {
    expect(report.quick).toBe(true);
    expect(report.providers.map((p) => p.name)).toEqual(PROVIDERS);
    expect(report.providers.find((p) => p.name === 'pure')?.available).toBe(true);
    for (const p of report.providers) if (!p.available) expect(p.reason).toMatch(/\S/);
  });

  it('has every figure, once', () => {
    expect(report.figures.map((f) => f.id).sort()).toEqual([...FIGURES].sort());
  });

  it.each(FIGURES)('%s: every entry has numbers or "unavailable: reason"', (id) => {
    const f = report.figures.find((x) => x.id === id)!;
    expect(f.entries.length).toBeGreaterThan(0);
    for (const e of f.entries) {
      if (e.unavailable !== undefined) {
        expect(e.unavailable, e.name).toMatch(/\S{3}/);
        expect(e.value, e.name).toBeUndefined();
      } else {
        expect(isFiniteStats(e.value), `${id} ${e.name} value`).toBe(true);
        if (e.cpu) expect(isFiniteStats(e.cpu), `${id} ${e.name} cpu`).toBe(true);
      }
    }
    // Each provider appears in every figure that is about puretls, measured or not.
    for (const p of PROVIDERS) expect(f.entries.some((e) => e.kind === 'provider' && e.name.includes(`(${p})`)), `${id} ${p}`).toBe(true);
  });

  it('measures the pure provider, Node tls and the primitive floor side by side in every full-handshake figure', () => {
    for (const f of report.figures.filter((x) => x.group === 'handshake')) {
      for (const name of ['puretls (pure)', 'node:tls', 'pure primitive floor']) {
        const e = f.entries.find((x) => x.name === name);
        expect(isFiniteStats(e?.value), `${f.id} ${name}`).toBe(true);
        expect(isFiniteStats(e?.cpu), `${f.id} ${name} cpu`).toBe(true);
      }
    }
  });

  it('measures resumed handshakes of the pure provider and of Node tls beside their full ones, with the resumed-vs-full ratios', () => {
    const resumed = report.figures.filter((x) => x.group === 'resumed');
    expect(resumed.length).toBe(3);
    for (const f of resumed) {
      // A resumed entry is measured only if every measured connection resumed (both ends
      // checked in bench/lib/resumed.mjs), a full one only if none did: a failure of either
      // check turns the entry into "unavailable: failed: ...", which this test refuses.
      for (const name of ['puretls (pure)', 'node:tls']) {
        const e = f.entries.find((x) => x.name === name);
        const full = f.entries.find((x) => x.name === `${name}, full`);
        expect(e?.unavailable, `${f.id} ${name}`).toBeUndefined();
        expect(full?.unavailable, `${f.id} ${name}, full`).toBeUndefined();
        expect(isFiniteStats(e?.cpu) && isFiniteStats(full?.cpu), `${f.id} ${name} cpu`).toBe(true);
        expect(e?.cpuVsFull, `${f.id} ${name} resumed vs full`).toBeCloseTo(full!.cpu!.median / e!.cpu!.median, 6);
        expect(Number.isFinite(e?.vsFull), `${f.id} ${name} wall vs full`).toBe(true);
      }
      // Every available provider was measured, resumed and full.
      for (const p of report.providers.filter((x) => x.available)) {
        for (const name of [`puretls (${p.name})`, `puretls (${p.name}), full`]) {
          const e = f.entries.find((x) => x.name === name);
          expect(e?.unavailable, `${f.id} ${name}`).toBeUndefined();
        }
      }
      expect(markdown).toContain('resumed vs full: CPU ');
    }
  });

  it('measures the browser figures whenever Chromium is installed (a failure there is not hidden as "unavailable")', () => {
    for (const f of report.figures.filter((x) => x.group === 'browser')) {
      for (const e of f.entries.filter((x) => x.unavailable !== undefined && !x.name.includes('(native)'))) {
        expect(e.unavailable, `${f.id} ${e.name}`).toMatch(/^no Chromium/);
      }
    }
  });

  it('writes a markdown table with every figure', () => {
    expect(markdown).toContain('| implementation | median (min..max) | CPU median (min..max) | × Node tls | note |');
    for (const f of report.figures) expect(markdown).toContain(f.title);
  });

  it('post-quantum figures: x25519 and the hybrids measured with the pure provider, each hybrid compared with x25519 of the same implementation', () => {
    for (const f of report.figures.filter((x) => x.group === 'pq')) {
      const pure = f.entries.find((e) => e.name === 'puretls (pure)');
      expect(pure?.value, f.id).toBeDefined();
      if (f.id !== 'pq.x25519') {
        expect(pure!.ratio, f.id).toBeGreaterThan(0);
        expect(pure!.note, f.id).toMatch(/ms CPU per handshake over x25519/);
      }
    }
  });

  it('writes an SVG chart with a bar per measured comparison and the 1× line', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('class="one"');
    const bars = svg.match(/<rect x="\d/g) ?? [];
    const compared = report.figures.filter((f) => f.baseline !== null && f.group !== 'latency').flatMap((f) => f.entries.filter((e) => e.cpu && !e.unavailable));
    expect(bars.length).toBeGreaterThanOrEqual(compared.length);
    for (const f of report.figures.filter((x) => x.group === 'handshake')) expect(svg).toContain(f.title.replace(/&/g, '&amp;'));
  });
});
