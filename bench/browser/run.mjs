// Browser figures of bench/run.mjs (`--only browser`, issue 9's last target): in headless
// Chromium, puretls/client (bundled with esbuild; `webcrypto` and `pure` providers) against
// @mercuryworkshop/epoxy-tls (rustls + ring in WebAssembly), all fetching from one
// `openssl s_server -WWW` on loopback through WebSockets:
//
//   page ──WebSocket──> ws-bridge (test/helpers/ws-bridge.mjs) ──TCP──> s_server   puretls "via ws-bridge"
//   page ──WebSocket──> Wisp server (@mercuryworkshop/wisp-js) ──TCP──> s_server   puretls "via Wisp", epoxy-tls
//
// Same server settings for everyone: TLS 1.3 only, TLS_AES_128_GCM_SHA256 only, X25519
// only, ECDSA P-256 certificate, no session tickets (`-num_tickets 0`: every handshake is
// full; rustls would otherwise resume), 16 KiB writes. Figures, interleaved per round
// (puretls webcrypto, puretls pure, ..., epoxy, repeat) after a warm-up:
//   - connections/s: connect + TLS 1.3 full handshake + GET of a small file + read to the
//     server's close (what `openssl s_time -new -www` counts);
//   - bulk MB/s: GET of a large file over a connection already established, timed from the
//     request to the server's close.
// Wall time, and the CPU time of all Chromium's processes (CDP SystemInfo.getProcessInfo):
// the client's cost wherever it ran (renderer, WebCrypto threads, network service).
//
// Chromium: $PURETLS_CHROMIUM, else `chromium` / `chromium-browser` on PATH (Debian's
// package). Without it, or without the benchmark-only devDependencies, the figures say
// "unavailable" with the reason.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { DIST_DIR } from '../lib/dist.mjs';
import { reasonOf, summary } from '../lib/measure.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const require = createRequire(import.meta.url);

/** The Chromium binary to drive, or null. */
export function findChromium() {
  if (process.env.PURETLS_CHROMIUM) return existsSync(process.env.PURETLS_CHROMIUM) ? process.env.PURETLS_CHROMIUM : null;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
  }
  return null;
}

/** `openssl s_server -WWW` in `dir` on 127.0.0.1 (a port the OS picks). */
async function startSServer(dir) {
  const args = ['s_server', '-accept', '127.0.0.1:0', '-cert', 'chain.pem', '-key', 'key.pem', '-WWW', '-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256', '-groups', 'X25519', '-num_tickets', '0'];
  const p = spawn('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not listen: ${out}`)), 10_000);
    const onData = (d) => {
      out += d;
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', (d) => (out += d));
    p.on('error', (e) => reject(e));
    p.on('exit', (code) => reject(new Error(`openssl s_server exited (${code}): ${out}`)));
  });
  // Keep draining its output (it prints a line per connection).
  p.stdout.resume();
  p.stderr.resume();
  return { port, stop: () => p.kill() };
}

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/**
 * One HTTP server on 127.0.0.1: the page and its files on GET, and the Wisp server on a
 * WebSocket upgrade of `/wisp/`, allowed to open TCP streams only to localhost:`port`.
 */
async function startPageAndWisp(files, sPort) {
  const { server: wisp, logging } = await import('@mercuryworkshop/wisp-js/server');
  logging.set_level(logging.ERROR);
  Object.assign(wisp.options, {
    hostname_whitelist: [/^localhost$/],
    port_whitelist: [sPort],
    allow_loopback_ips: true,
    allow_private_ips: false,
    allow_udp_streams: false,
    // The TLS name is "localhost"; s_server listens on 127.0.0.1 only (not ::1).
    dns_method: async () => '127.0.0.1',
  });
  const server = http.createServer((req, res) => {
    const f = files[new URL(req.url, 'http://x').pathname];
    if (!f || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[/\.[a-z]+$/.exec(f.name)?.[0] ?? '.html'] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(f.body);
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/wisp/') wisp.routeRequest(req, socket, head);
    else socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((r) => server.close(() => r())) };
}

/** Bundles the page driver for the browser (minified, as a site would ship it). */
async function bundlePage(minify = true) {
  const esbuild = await import('esbuild');
  const r = await esbuild.build({
    entryPoints: [join(HERE, 'page.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify,
    write: false,
    logLevel: 'silent',
    alias: { 'puretls-dist': DIST_DIR },
    absWorkingDir: ROOT,
  });
  return r.outputFiles[0].contents;
}

const CONTENDERS = {
  'puretls (webcrypto) via ws-bridge': { kind: 'puretls', provider: 'webcrypto', path: 'bridge' },
  'puretls (pure) via ws-bridge': { kind: 'puretls', provider: 'pure', path: 'bridge' },
  'puretls (webcrypto) via Wisp': { kind: 'puretls', provider: 'webcrypto', path: 'wisp' },
  'puretls (pure) via Wisp': { kind: 'puretls', provider: 'pure', path: 'wisp' },
  'epoxy-tls via Wisp': { kind: 'epoxy' },
  // What the default second key share (P-256, unused by an X25519 server) costs the pure provider.
  'puretls (pure) via Wisp, X25519 share only': { kind: 'puretls', provider: 'pure', path: 'wisp', keyShareGroups: ['x25519'], only: 'handshake' },
  // Like epoxy (webpki checks the chain every time): no certificate signature remembered
  // from an earlier connection (each connection's config has its own provider object).
  // The path's own cost: transport + TCP connect + one round trip + close, no TLS.
  'ws-bridge alone': { kind: 'path', path: 'bridge', only: 'handshake' },
  'Wisp alone': { kind: 'path', path: 'wisp', only: 'handshake' },
  'puretls (webcrypto) via Wisp, no remembered signatures': { kind: 'puretls', provider: 'webcrypto', path: 'wisp', freshProvider: true, only: 'handshake' },
  'puretls (pure) via Wisp, no remembered signatures': { kind: 'puretls', provider: 'pure', path: 'wisp', freshProvider: true, only: 'handshake' },
};
const PATH_NOTE = {
  bridge: 'puretls over the WebSocket-to-TCP bridge (one WebSocket per TLS connection, opened in the timing); epoxy-tls over Wisp',
  wisp: 'puretls and epoxy-tls both over the same Wisp server (one WebSocket, one Wisp stream per TLS connection)',
};

/** The figures, each entry "unavailable" with `reason`. */
function unavailableFigures(reason) {
  return buildFigures(null, reason);
}

function buildFigures(res, reason, meta = {}) {
  const figures = [];
  for (const metric of ['handshake', 'bulk']) {
    for (const path of ['bridge', 'wisp']) {
      const entries = [];
      for (const provider of ['pure', 'webcrypto', 'native']) {
        const name = `puretls (${provider})`;
        if (provider === 'native') {
          entries.push({ name, kind: 'provider', unavailable: 'not in a browser: node:crypto is a Node/Deno/Bun module' });
          continue;
        }
        const cname = `puretls (${provider}) via ${path === 'bridge' ? 'ws-bridge' : 'Wisp'}`;
        entries.push(entryOf(res, metric, cname, name, 'provider', reason, provider === 'webcrypto' ? meta.webcryptoNote : meta.pureNote));
      }
      entries.push(entryOf(res, metric, 'epoxy-tls via Wisp', 'epoxy-tls', 'peer', reason, meta.epoxyNote));
      if (metric === 'handshake') {
        const alone = path === 'bridge' ? 'ws-bridge alone' : 'Wisp alone';
        entries.push(entryOf(res, metric, alone, `${alone}, no TLS`, 'reference', reason, `the path's floor: ${path === 'bridge' ? 'a WebSocket to the bridge' : 'a Wisp stream'}, TCP connect to s_server, one plaintext round trip (s_server closes), close`));
      }
      if (metric === 'handshake' && path === 'wisp') {
        entries.push(entryOf(res, metric, 'puretls (pure) via Wisp, X25519 share only', 'puretls pure, X25519 key share only', 'reference', reason, 'keyShareGroups: [x25519] instead of the default [x25519, secp256r1]: what the unused P-256 share costs'));
        for (const p of ['webcrypto', 'pure']) {
          entries.push(entryOf(res, metric, `puretls (${p}) via Wisp, no remembered signatures`, `puretls ${p}, no remembered signatures`, 'reference', reason, 'a fresh provider object per connection: the CA signature on the leaf is verified every time, as webpki (epoxy) does; puretls remembers it per provider'));
        }
      }
      figures.push({
        id: `browser.${metric}.${path === 'bridge' ? 'ws-bridge' : 'wisp'}`,
        group: 'browser',
        title:
          metric === 'handshake'
            ? `Headless Chromium, TLS 1.3 full handshake + small GET per connection (${path === 'bridge' ? 'puretls via ws-bridge' : 'both via Wisp'}): connections/s`
            : `Headless Chromium, bulk download AES-128-GCM, 16 KiB records (${path === 'bridge' ? 'puretls via ws-bridge' : 'both via Wisp'}): MB/s`,
        label: `Chromium, ${metric === 'handshake' ? 'full handshake + GET' : 'bulk download'}, ${path === 'bridge' ? 'puretls via ws-bridge' : 'both via Wisp'}`,
        unit: metric === 'handshake' ? 'connections/s' : 'MB/s',
        cpuUnit: metric === 'handshake' ? 'Chromium CPU ms per connection (all its processes)' : 'MB per Chromium CPU-second (all its processes)',
        higherIsBetter: true,
        cpuLowerIsBetter: metric === 'handshake',
        baseline: 'epoxy-tls',
        note: `${PATH_NOTE[path]}; server openssl s_server -WWW: TLS 1.3, TLS_AES_128_GCM_SHA256, X25519, ECDSA P-256, no tickets; wall time`,
        entries,
      });
    }
  }
  return figures;
}

/** A sample's figure: connections/s or MB/s (wall), and its CPU counterpart. */
const wallOf = (metric, s) => (metric === 'handshake' ? (s.ops / s.wallMs) * 1000 : s.bytes / 1e6 / (s.ms / 1000));
const cpuOf = (metric, s) => (metric === 'handshake' ? s.cpuMs / s.ops : s.bytes / 1e6 / (s.cpuMs / 1000));
const fmt = (x) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

function entryOf(res, metric, cname, name, kind, reason, note) {
  if (!res) return { name, kind, unavailable: reason };
  const slot = res[metric].get(cname);
  if (!slot || slot.samples.length === 0) return { name, kind, unavailable: `failed: ${slot?.error ? reasonOf(slot.error) : 'no samples'}` };
  const values = slot.samples.map((s) => wallOf(metric, s));
  const cpu = slot.samples.map((s) => cpuOf(metric, s));
  // Paired per-round ratios to epoxy-tls (same round, adjacent in time): the machine's load
  // drifts between rounds, and a ratio within a round cancels most of that drift.
  const base = res[metric].get('epoxy-tls via Wisp');
  let paired = null;
  if (base && cname !== 'epoxy-tls via Wisp' && !slot.error && !base.error && base.samples.length === slot.samples.length) {
    const wall = summary(values.map((v, i) => v / wallOf(metric, base.samples[i])));
    // CPU: oriented so that > 1 is better (less CPU per connection; more MB per CPU-second).
    const c = summary(cpu.map((v, i) => (metric === 'handshake' ? cpuOf(metric, base.samples[i]) / v : v / cpuOf(metric, base.samples[i]))));
    paired = { wall, cpu: c };
  }
  const pairedNote = paired
    ? `per-round ratio to epoxy-tls: wall ${fmt(paired.wall.median)}× (${fmt(paired.wall.min)}..${fmt(paired.wall.max)}), CPU ${fmt(paired.cpu.median)}× (${fmt(paired.cpu.min)}..${fmt(paired.cpu.max)}), ${paired.wall.n} rounds`
    : null;
  const fullNote = [pairedNote, note].filter(Boolean).join('; ');
  return { name, kind, value: summary(values), cpu: summary(cpu), ...(paired ? { paired } : {}), ...(fullNote ? { note: fullNote } : {}) };
}

/**
 * Interleaved rounds like bench/lib/measure.mjs `interleave`, with the order rotated every
 * round (contender i first in round i): no contender always runs right after the same one
 * (a download that leaves the relays' buffers or the JIT in some state would otherwise bias
 * its successor every time).
 */
async function interleaveRotated(contenders, { rounds, warmup = 1, log = () => {} }) {
  const out = new Map(contenders.map((c) => [c.name, { samples: [], error: null }]));
  for (let r = -warmup; r < rounds; r++) {
    const k = ((r % contenders.length) + contenders.length) % contenders.length;
    for (const c of [...contenders.slice(k), ...contenders.slice(0, k)]) {
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

/** `p`, or a rejection after `ms` (a page that hangs must not hang the benchmark). */
function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * BENCH_BROWSER_PROFILE="<contender>[:bulk]": before the rounds, records a CPU profile of
 * the page (CDP Profiler, 100 µs sampling) while that contender runs connections for 4 s
 * (or one bulk download), and logs the functions with the most self time. The page is
 * then bundled unminified so the names are readable.
 */
async function profileContender(page, spec, log, pageJs) {
  // esbuild marks each module of an unminified bundle with a "// path" comment line: map
  // line numbers back to modules to add up self time per module.
  const marks = [];
  String(Buffer.from(pageJs))
    .split('\n')
    .forEach((l, i) => {
      const m = /^\/\/ (\S+\.m?[jt]s)$/.exec(l);
      if (m) marks.push([i + 1, m[1].replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')]);
    });
  const moduleOf = (line) => {
    let lo = 0;
    let hi = marks.length - 1;
    let best = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (marks[mid][0] <= line) {
        best = marks[mid][1];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best;
  };
  const [name, what] = spec.split(':');
  const s = await page.context().newCDPSession(page);
  await s.send('Profiler.enable');
  await s.send('Profiler.setSamplingInterval', { interval: 100 });
  await s.send('Profiler.start');
  const r = what === 'bulk' ? await page.evaluate((n) => window.bench.bulk(n), name) : await page.evaluate((n) => window.bench.batch(n, 4000, 2), name);
  const { profile } = await s.send('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const perModule = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    const mod = f.url.endsWith('page.js') ? moduleOf(f.lineNumber + 1) : f.url ? f.url.replace(/^.*\//, '') : f.functionName || '(native)';
    perModule.set(mod, (perModule.get(mod) ?? 0) + (dt[i] ?? 0) / 1000);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  log(`profile of ${name} (${what ?? 'connections'}): ${JSON.stringify(r).slice(0, 120)}; ${total.toFixed(0)} ms sampled`);
  for (const [k, ms] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)) log(`  ${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  log('  by module (self time):');
  for (const [k, ms] of [...perModule.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) log(`  ${ms.toFixed(1).padStart(8)} ms ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  await s.detach();
}

/** Runs the browser figures. */
export async function browserFigures(ctx) {
  const { params, log, quick } = ctx;
  const chromiumPath = findChromium();
  if (!chromiumPath) return unavailableFigures('no Chromium: install Debian\'s chromium (apt-get install chromium) or set PURETLS_CHROMIUM');
  let playwright;
  try {
    playwright = await import('playwright-core');
    await import('@mercuryworkshop/epoxy-tls/epoxy');
    await import('@mercuryworkshop/wisp-js/server');
  } catch (e) {
    return unavailableFigures(`benchmark-only devDependencies missing: ${reasonOf(e)}`);
  }

  const pki = await ctx.pki('ecdsa-p256');
  const dir = mkdtempSync(join(tmpdir(), 'puretls-browser-'));
  const stops = [];
  const smallBytes = 1024;
  const bulkBytes = quick ? 256 * 1024 : 16 * 1024 * 1024;
  try {
    writeFileSync(join(dir, 'chain.pem'), pki.chainPem);
    writeFileSync(join(dir, 'key.pem'), pki.keyPem);
    writeFileSync(join(dir, 'small.txt'), Buffer.alloc(smallBytes, 0x61));
    writeFileSync(join(dir, 'bulk.bin'), Buffer.alloc(bulkBytes, 0x62));
    const sServer = await startSServer(dir);
    stops.push(sServer.stop);
    const { startWsBridge } = await import('../../test/helpers/ws-bridge.mjs');
    const bridge = await startWsBridge({ target: { port: sServer.port } });
    stops.push(() => bridge.close());
    const epoxyDir = dirname(fileURLToPath(import.meta.resolve('@mercuryworkshop/epoxy-tls/epoxy')));
    const html = '<!doctype html><meta charset="utf-8"><title>puretls browser bench</title><script type="module" src="/page.js"></script>';
    const profileName = process.env.BENCH_BROWSER_PROFILE;
    const pageJs = await bundlePage(!profileName);
    const files = {
      '/': { name: 'index.html', body: html },
      '/page.js': { name: 'page.js', body: pageJs },
      '/epoxy.wasm': { name: 'epoxy.wasm', body: readFileSync(join(epoxyDir, 'epoxy.wasm')) },
    };
    const web = await startPageAndWisp(files, sServer.port);
    stops.push(() => web.close());

    const browser = await playwright.chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    stops.push(() => browser.close());
    const page = await browser.newPage();
    // CPU of every Chromium process (browser, renderer with its WebCrypto and wasm threads,
    // network service, GPU): the client side's cost, whichever thread or process it ran on.
    const cdp = await browser.newBrowserCDPSession();
    const chromiumCpuMs = async () => {
      const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
      return processInfo.reduce((sum, p) => sum + p.cpuTime, 0) * 1000;
    };
    const withCpu = async (run) => {
      const c0 = await chromiumCpuMs();
      const r = await run();
      return { ...r, cpuMs: (await chromiumCpuMs()) - c0 };
    };
    const consoleLines = [];
    const debug = process.env.BENCH_DEBUG ? (s) => process.stderr.write(`  page: ${s}\n`) : () => {};
    page.on('console', (m) => {
      consoleLines.push(m.text());
      debug(m.text());
    });
    page.on('pageerror', (e) => {
      consoleLines.push(`pageerror: ${e.message}`);
      debug(`pageerror: ${e.message}`);
    });
    const origin = `http://127.0.0.1:${web.port}`;
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.bench !== undefined, null, { timeout: 20_000 });
    const setup = {
      caPem: pki.caCertPem,
      port: sServer.port,
      bridgeUrl: bridge.url,
      wispUrl: `ws://127.0.0.1:${web.port}/wisp/`,
      epoxyWasmUrl: `${origin}/epoxy.wasm`,
      smallPath: '/small.txt',
      smallBytes,
      bulkPath: '/bulk.bin',
      bulkBytes,
      contenders: CONTENDERS,
      // One fresh config per connection of the no-cache reference (reused round robin beyond).
      freshPoolSize: quick ? 8 : 2000,
      debug: Boolean(process.env.BENCH_DEBUG),
    };
    let init;
    try {
      init = await withTimeout(page.evaluate((s) => window.bench.init(s), setup), 30_000, 'page setup');
    } catch (e) {
      throw new Error(`${reasonOf(e)}${consoleLines.length ? ` (page: ${consoleLines.slice(-3).join(' | ')})` : ''}`);
    }
    log(`browser: ${init.userAgent.replace(/.*(Chrome\/\S+).*/, '$1')}, epoxy-tls ${init.epoxy.version}; page bundle ${(pageJs.length / 1024).toFixed(0)} KiB`);
    for (const [n, c] of Object.entries(init.checks)) log(`  ${n}: ${c.version ?? ''} ${c.cipherSuite ?? ''} ${c.provider ?? ''}`);

    if (profileName) await profileContender(page, profileName, log, pageJs);

    const batchMs = quick ? 50 : 1000;
    const names = Object.keys(CONTENDERS);
    const bulkNames = names.filter((n) => !CONTENDERS[n].only || CONTENDERS[n].only === 'bulk');
    const handshake = await interleaveRotated(
      names.map((name) => ({ name, batch: () => withCpu(() => withTimeout(page.evaluate(([n, ms]) => window.bench.batch(n, ms, 2), [name, batchMs]), 60_000, name)) })),
      { rounds: params.rounds, warmup: params.warmup, log },
    );
    // Bulk: one download per contender per round, so more rounds than the handshake batches
    // (each a second of connections) to get a stable median on a shared machine.
    const bulkRounds = quick ? params.rounds : Math.max(params.rounds, Number(process.env.BENCH_BROWSER_BULK_ROUNDS ?? 15));
    const bulk = await interleaveRotated(
      bulkNames.map((name) => ({ name, batch: () => withCpu(() => withTimeout(page.evaluate((n) => window.bench.bulk(n), name), 60_000, name)) })),
      { rounds: bulkRounds, warmup: params.warmup, log },
    );
    const wc = init.checks['puretls (webcrypto) via ws-bridge'];
    return buildFigures({ handshake, bulk }, null, {
      webcryptoNote: `puretls/client bundled by esbuild; crypto.subtle${wc?.delegated?.length ? `; in pure code: ${wc.delegated.join('; ')}` : ''}`,
      pureNote: 'puretls/client bundled by esbuild; @noble in JavaScript',
      epoxyNote: `epoxy-tls ${init.epoxy.version} (rustls + ring in WebAssembly), its defaults; CA as pem_files`,
    });
  } catch (e) {
    return unavailableFigures(`failed: ${reasonOf(e)}`);
  } finally {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
