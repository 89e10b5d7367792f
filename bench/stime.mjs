#!/usr/bin/env node
// `puretls bench` next to `openssl s_time -new` against the same `openssl s_server`
// (issue 9 item 7), in interleaved rounds, with what each side's time goes to.
//
//   npm run build && node bench/stime.mjs [--rounds 5] [--time 5] [--keys ec,rsa]
//       [--clients stime,native,pure,node] [--close reset|notify] [--version 1.3|1.2]
//       [--www PATH] [--reuse] [--warmup 3000] [--cli dist/cli.js] [--json FILE]
//
// --www PATH: each connection also sends 'GET PATH' and reads the page to its end (s_time
// -www PATH, puretls bench --get PATH). --reuse: resumed handshakes, `s_time -reuse` against
// `puretls bench --resume` (TLS 1.3: s_time gets the server's tickets only when it reads, so
// give --www / too, or its "reuse" connections are full handshakes; it counts them apart with
// 'r' marks, as puretls bench counts resumedHandshakes; the Node client is left out).
//
// What is compared, like with like:
// - one connection at a time, full handshakes, TCP connect included, nothing read or sent
//   after the handshake (`s_time -new` without `-www`; `puretls bench` without --get/--bulk);
//   both count a handshake when the client's SSL_connect / 'secureConnect' is done (in TLS
//   1.3: its Finished sent; neither waits for the server's NewSessionTickets);
// - the same protocol version, cipher suite, key-exchange group (one key share) and server
//   certificate: `openssl s_client -brief` (the same library defaults as s_time) is asked
//   once what OpenSSL's client negotiates with this server, and puretls bench is given
//   exactly that (--ciphers, --groups, --key-shares, --min/max-version);
// - the same end of each connection: `--close reset` (default) is what s_time does (no
//   close_notify, SO_LINGER 0 then close(): a TCP reset);
// - verification: s_time checks the handshake signature and builds the chain but ignores
//   its result (SSL_VERIFY_NONE); puretls bench validates the chain (--ca, the server's own
//   self-signed certificate) and the name. puretls's verifier remembers a chain it found
//   clean, with the times over which that search answers alike, so the repeated chain costs
//   it a byte comparison, the validity-time comparison and the name check on every
//   handshake, not a search or a signature check; the CertificateVerify signature is
//   verified on every handshake.
// - `node`: Node's own `tls.connect` (OpenSSL under a JavaScript socket layer) in the same
//   loop, as the floor of "a Node.js program doing this" (with --close reset it ends each
//   connection with destroy(): no close_notify, but a FIN, as Node cannot reset a TLS socket).
//
// Warm-up (--warmup, default 3000 handshakes, for puretls bench and the Node client alike):
// V8 optimises a function only after thousands of calls, so code that runs once per
// handshake is optimised after ~2,000-3,000 handshakes; before that the native client
// spends ~1.5× the CPU per handshake, and its compiler threads are busy. With --warmup 200
// a 4 s run is mostly warm-up. s_time, in C, needs none.
//
// Figures per client and round: handshakes per second (wall), the client's CPU time per
// handshake (user + system, from the process's own accounting), the server's CPU time per
// handshake (from /proc/PID/stat of s_server: Linux only, else '-'), and what is left of
// each handshake's wall time (waits: scheduling, wake-ups, the other helpers on the
// machine). s_time's rate is timed here from the '*' it prints after each connection (first
// to last), not from its whole-second "real seconds".
//
// The machine is shared and noisy: compare ratios measured in the same round, never
// absolute figures across runs.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------ parsing (exported for the tests)

/**
 * The figures of one `openssl s_time` run from its stdout and the arrival times of its
 * bytes: `chunks` is [{ t: ms, text }] in order. Each connection prints one character
 * ('*' for TLS 1.2/1.3 in OpenSSL 3, 't' TLS 1.0, '3' SSL 3, 'r' a resumed session) between
 * the "Collecting ..." line and the summary.
 * @returns {{ connections: number, marks: number, firstMs: number|null, lastMs: number|null,
 *   ratePerSecond: number|null, reused: number, userSeconds: number|null, realSeconds: number|null,
 *   perUserSecond: number|null }}
 */
export function parseSTime(chunks) {
  let text = '';
  let inMarks = false;
  let marks = 0;
  let reused = 0;
  let firstMs = null;
  let lastMs = null;
  for (const { t, text: piece } of chunks) {
    for (const ch of piece) {
      text += ch;
      if (!inMarks) {
        // Marks start after the first "Collecting ..." line, or after "starting" (-reuse).
        if (ch === '\n' && /(Collecting connection statistics for \d+ seconds|starting)\n$/.test(text)) inMarks = true;
        continue;
      }
      if (ch === '\n') {
        inMarks = false;
        continue;
      }
      if ('*t3r'.includes(ch)) {
        marks++;
        if (ch === 'r') reused++;
        if (firstMs === null) firstMs = t;
        lastMs = t;
      }
    }
  }
  const summaries = [...text.matchAll(/(\d+) connections in ([\d.]+)s; ([\d.]+) connections\/user sec/g)];
  const reals = [...text.matchAll(/(\d+) connections in (\d+) real seconds/g)];
  const last = summaries[summaries.length - 1];
  const real = reals[reals.length - 1];
  const connections = last ? Number(last[1]) : marks;
  const span = firstMs !== null && lastMs !== null ? lastMs - firstMs : 0;
  return {
    connections,
    marks,
    firstMs,
    lastMs,
    // n marks span n - 1 intervals between handshakes.
    ratePerSecond: marks >= 2 && span > 0 ? ((marks - 1) * 1000) / span : null,
    reused,
    userSeconds: last ? Number(last[2]) : null,
    realSeconds: real ? Number(real[2]) : null,
    perUserSecond: last ? Number(last[3]) : null,
  };
}

const TLS12_SUITES = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384': 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305': 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384': 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305': 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
};

/**
 * What OpenSSL's client negotiated, from `openssl s_client -brief` (stderr), in puretls's
 * names: { version: 'TLSv1.3', cipherSuite, group, signature: 'ECDSA' | 'RSA-PSS' | ... }.
 * @throws Error when a field is missing or has no puretls name
 */
export function parseBrief(text) {
  const field = (name) => {
    const m = new RegExp(`^${name}: (.+)$`, 'm').exec(text);
    if (!m) throw new Error(`s_client -brief printed no '${name}:' line:\n${text}`);
    return m[1].trim();
  };
  const version = field('Protocol version');
  if (version !== 'TLSv1.3' && version !== 'TLSv1.2') throw new Error(`unexpected protocol version '${version}'`);
  const suiteText = field('Ciphersuite');
  const cipherSuite = suiteText.startsWith('TLS_') ? suiteText : TLS12_SUITES[suiteText];
  if (!cipherSuite) throw new Error(`no puretls name for the cipher suite '${suiteText}'`);
  const keyText = field('(?:Server|Peer) Temp Key');
  const group = /X25519/i.test(keyText)
    ? 'x25519'
    : /prime256v1|P-256|secp256r1/i.test(keyText)
      ? 'secp256r1'
      : /secp384r1|P-384/i.test(keyText)
        ? 'secp384r1'
        : /secp521r1|P-521/i.test(keyText)
          ? 'secp521r1'
          : /X448/i.test(keyText)
            ? 'x448'
            : null;
  if (!group) throw new Error(`no puretls name for the key exchange '${keyText}'`);
  const signature = field('(?:Peer )?Signature type');
  return { version, cipherSuite, group, signature };
}

/** The `puretls bench` flags that make it negotiate what OpenSSL's client did (one key share). */
export function puretlsFlags(n) {
  return ['--min-version', n.version, '--max-version', n.version, '--ciphers', n.cipherSuite, '--groups', n.group, ...(n.version === 'TLSv1.3' ? ['--key-shares', n.group] : [])];
}

/** puretls's signature scheme name agrees with OpenSSL's "Signature type". */
export function sameSignature(opensslType, scheme) {
  if (!scheme) return false;
  const t = opensslType.toUpperCase();
  if (t === 'ECDSA') return scheme.startsWith('ecdsa_');
  if (t === 'RSA-PSS') return scheme.startsWith('rsa_pss_');
  if (t === 'RSA') return scheme.startsWith('rsa_pkcs1_');
  if (t === 'ED25519') return scheme === 'ed25519';
  return false;
}

/** utime + stime of a process in seconds, from /proc/PID/stat; null where there is no /proc. */
export function processCpuSeconds(pid, ticksPerSecond = TICKS) {
  const t = processCpuTimes(pid, ticksPerSecond);
  return t === null ? null : t.user + t.system;
}

/** { user, system } CPU seconds of a process (utime, stime), from /proc/PID/stat; null where there is no /proc. */
export function processCpuTimes(pid, ticksPerSecond = TICKS) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count after its ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): utime is field 14, stime field 15.
  return { user: Number(rest[11]) / ticksPerSecond, system: Number(rest[12]) / ticksPerSecond };
}

const TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Median of numbers (null entries skipped); null when none. */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/**
 * Per client: median rate and its min..max over rounds, the median of the per-round ratios
 * to s_time (each against the s_time run of the same round), median CPU per handshake of
 * the client and of the server, and the rest of each handshake's wall time.
 * `rounds` is [{ client: { rate, clientMs, clientSysMs?, serverMs } }] (`clientSysMs`: the
 * part of the client's CPU spent in the kernel: connect, writes, reads, close).
 */
export function summarize(rounds, clients) {
  const out = {};
  for (const c of clients) {
    const runs = rounds.map((r) => r[c]).filter(Boolean);
    const rates = runs.map((r) => r.rate).filter((x) => x !== null);
    const ratios = rounds.map((r) => (r[c] && r.stime && r[c].rate && r.stime.rate ? r[c].rate / r.stime.rate : null));
    const clientMs = median(runs.map((r) => r.clientMs));
    const clientSysMs = median(runs.map((r) => r.clientSysMs));
    const serverMs = median(runs.map((r) => r.serverMs));
    const rate = median(rates);
    out[c] = {
      rate,
      rateMin: rates.length ? Math.min(...rates) : null,
      rateMax: rates.length ? Math.max(...rates) : null,
      ratioToSTime: c === 'stime' ? 1 : median(ratios),
      ratioMin: c === 'stime' ? 1 : median(ratios) === null ? null : Math.min(...ratios.filter((x) => x !== null)),
      ratioMax: c === 'stime' ? 1 : median(ratios) === null ? null : Math.max(...ratios.filter((x) => x !== null)),
      clientMs,
      clientSysMs,
      serverMs,
      otherMs: rate && clientMs !== null && serverMs !== null ? 1000 / rate - clientMs - serverMs : null,
    };
  }
  return out;
}

const CLIENT_NAMES = {
  stime: '`openssl s_time -new`',
  native: '`puretls bench --crypto native`',
  pure: '`puretls bench --crypto pure`',
  webcrypto: '`puretls bench --crypto webcrypto`',
  node: 'Node `tls.connect` loop',
};

const f = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));

/** The markdown table of one server key's summary (`reuse`: the s_time row says -reuse). */
export function table(title, summary, clients, reuse = false) {
  const lines = [
    `#### ${title}`,
    '',
    '| client | handshakes/s median (min..max) | ratio to s_time, same round: median (min..max) | client CPU ms/handshake | of it in the kernel | server CPU ms/handshake | rest of each handshake, ms |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const c of clients) {
    const s = summary[c];
    if (!s) continue;
    const ratio = c === 'stime' ? '1' : `${f(s.ratioToSTime, 2)} (${f(s.ratioMin, 2)}..${f(s.ratioMax, 2)})`;
    const name = c === 'stime' && reuse ? '`openssl s_time -reuse`' : (CLIENT_NAMES[c] ?? c);
    lines.push(`| ${name} | ${f(s.rate)} (${f(s.rateMin)}..${f(s.rateMax)}) | ${ratio} | ${f(s.clientMs, 3)} | ${f(s.clientSysMs, 3)} | ${f(s.serverMs, 3)} | ${f(s.otherMs, 3)} |`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ processes

function arg(name, dflt) {
  const a = process.argv.slice(2);
  const i = a.indexOf(`--${name}`);
  return i >= 0 && i + 1 < a.length ? a[i + 1] : dflt;
}

/** Runs a command; resolves { code, stdout, stderr, chunks: [{t, text}] } (stdout chunks timed). */
function run(cmd, args, { timeoutMs = 120_000, onSpawn } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    const chunks = [];
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (d) => {
      chunks.push({ t: performance.now(), text: d });
      stdout += d;
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out: ${cmd} ${args.join(' ')}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, chunks });
    });
  });
}

/** Starts `openssl s_server -www` on 127.0.0.1 (port chosen by the OS); resolves { port, pid, stop }. */
function startServer(cert, key) {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key, '-www'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`s_server did not start:\n${out}`));
    }, 10_000);
    const onData = (d) => {
      out += d;
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        // Keep draining: s_server prints a line per failed connection (s_time resets them).
        resolve({ port: Number(m[1]), pid: child.pid, stop: () => child.kill() });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s_server exited (${code}):\n${out}`));
    });
  });
}

function makeIdentity(dir, kind) {
  const key = join(dir, `${kind}.key`);
  const cert = join(dir, `${kind}.pem`);
  const newkey = { ec: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], rsa: ['-newkey', 'rsa:2048'], rsa4096: ['-newkey', 'rsa:4096'], ed25519: ['-newkey', 'ed25519'] }[kind];
  if (!newkey) throw new Error(`--keys: unknown key type '${kind}' (ec, rsa, rsa4096, ed25519)`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key, cert };
}

async function probe(port, version) {
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-brief', version === '1.2' ? '-tls1_2' : '-tls1_3'], { timeoutMs: 20_000 });
  return parseBrief(r.stderr + r.stdout);
}

/** One `openssl s_time -new` run: rate from its marks, client CPU between the first and last mark. */
async function runSTime(port, seconds, version, www, reuse) {
  // Its CPU time is read from /proc at its first mark and when it prints the summary (the
  // process is still alive then): the handshakes between, without its start-up.
  let cpuFirst = null;
  let cpuLast = null;
  let seen = '';
  const r = await run('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, reuse ? '-reuse' : '-new', '-time', String(seconds), version === '1.2' ? '-tls1_2' : '-tls1_3', ...(www ? ['-www', www] : [])], {
    onSpawn: (child) => {
      child.stdout.on('data', (d) => {
        seen += d;
        if (cpuFirst === null && /(seconds|starting)\n[*t3r]/.test(seen)) cpuFirst = processCpuTimes(child.pid);
        if (cpuLast === null && /connections in/.test(seen)) cpuLast = processCpuTimes(child.pid);
      });
    },
  });
  if (r.code !== 0) throw new Error(`s_time failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  const s = parseSTime(r.chunks);
  const timed = cpuFirst !== null && cpuLast !== null && s.marks >= 2;
  const cpu = timed ? ((cpuLast.user + cpuLast.system - cpuFirst.user - cpuFirst.system) * 1000) / (s.marks - 1) : null;
  const sys = timed ? ((cpuLast.system - cpuFirst.system) * 1000) / (s.marks - 1) : null;
  // -reuse makes one connection before its timed loop.
  return { rate: s.ratePerSecond, handshakes: s.connections, resumed: s.reused, served: s.connections + (reuse ? 1 : 0), clientMs: cpu, clientSysMs: sys, detail: s };
}

async function runPuretls(cli, port, seconds, provider, negotiated, cert, close, warmup, www, reuse) {
  const r = await run(process.execPath, [
    cli,
    'bench',
    `127.0.0.1:${port}`,
    '--servername',
    'localhost',
    '--ca',
    cert,
    '--crypto',
    provider,
    ...puretlsFlags(negotiated),
    '--duration',
    String(seconds),
    '--warmup',
    String(warmup),
    '--close',
    close,
    ...(www ? ['--get', www] : []),
    ...(reuse ? ['--resume'] : []),
    '--json',
    '--quiet',
  ]);
  let j;
  try {
    j = JSON.parse(r.stdout.split('\n')[0]);
  } catch {
    throw new Error(`puretls bench printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  if (r.code !== 0) throw new Error(`puretls bench failed (exit ${r.code}): ${JSON.stringify(j.error ?? j.errors)}\n${r.stderr}`);
  const s = j.session;
  // A resumed handshake signs nothing (the PSK authenticates it): no signature scheme then.
  const signed = s.resumed || sameSignature(negotiated.signature, s.signatureScheme);
  if (s.version !== negotiated.version || s.cipherSuite !== negotiated.cipherSuite || s.group !== negotiated.group || !signed) {
    throw new Error(`puretls negotiated ${s.version} ${s.cipherSuite} ${s.group} ${s.signatureScheme}, OpenSSL's client ${JSON.stringify(negotiated)}`);
  }
  return {
    rate: j.handshakesPerSecond,
    handshakes: j.handshakes,
    resumed: j.resumedHandshakes,
    served: j.attempts + j.warmupHandshakes,
    clientMs: j.cpu.msPerHandshake,
    clientSysMs: j.handshakes > 0 ? (j.cpu.systemSeconds * 1000) / j.handshakes : null,
    detail: { session: s, latencyMs: j.latencyMs, elapsedSeconds: j.elapsedSeconds },
  };
}

async function runNode(port, seconds, negotiated, cert, close, warmup) {
  const r = await run(process.execPath, [
    fileURLToPath(import.meta.url),
    '--role',
    'node-client',
    '--port',
    String(port),
    '--time',
    String(seconds),
    '--ca',
    cert,
    '--suite',
    negotiated.cipherSuite,
    '--group',
    negotiated.group,
    '--version',
    negotiated.version,
    '--close',
    close,
    '--warmup',
    String(warmup),
  ]);
  if (r.code !== 0) throw new Error(`node client failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const j = JSON.parse(r.stdout);
  return { rate: j.handshakes / j.elapsedSeconds, handshakes: j.handshakes, served: j.handshakes + j.warmup, clientMs: (j.cpuSeconds * 1000) / j.handshakes, clientSysMs: (j.systemSeconds * 1000) / j.handshakes, detail: { version: j.version, cipher: j.cipher } };
}

/** `--role node-client`: Node's tls.connect, one connection at a time, as s_time. */
async function nodeClient() {
  const port = Number(arg('port'));
  const seconds = Number(arg('time', '3'));
  const close = arg('close', 'reset');
  const version = arg('version', 'TLSv1.3');
  const suite = arg('suite');
  const ctx = tls.createSecureContext({
    ca: readFileSync(arg('ca')),
    minVersion: version,
    maxVersion: version,
    ecdhCurve: { x25519: 'X25519', secp256r1: 'prime256v1', secp384r1: 'secp384r1', secp521r1: 'secp521r1', x448: 'X448' }[arg('group')],
    ...(version === 'TLSv1.3' ? { ciphersuites: suite } : { ciphers: Object.entries(TLS12_SUITES).find(([, v]) => v === suite)?.[0] }),
  });
  let info = null;
  const one = () =>
    new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', secureContext: ctx, noDelay: true });
      s.once('error', reject);
      s.once('secureConnect', () => {
        info ??= { version: s.getProtocol(), cipher: s.getCipher().standardName };
        s.on('error', () => {});
        if (close === 'reset') {
          // No close_notify; FIN rather than a reset: Node's TLSSocket has no resetAndDestroy,
          // and resetting the TCP socket under it crashes Node 20 (SIGSEGV).
          s.destroy();
        } else {
          s.end();
          s.resume();
        }
        resolve();
      });
    });
  // Steady state: V8 optimises code that runs once per handshake only after a few thousand
  // handshakes (src/tools/bench.ts MAX_WARMUP); the Node client gets the same warm-up.
  const warmup = Number(arg('warmup', '3000'));
  for (let i = 0; i < warmup; i++) await one();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    await one();
    n++;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  process.stdout.write(`${JSON.stringify({ handshakes: n, elapsedSeconds: elapsed, cpuSeconds: (c.user + c.system) / 1e6, systemSeconds: c.system / 1e6, warmup, ...info })}\n`);
}

// ------------------------------------------------------------------ main

async function main() {
  const rounds = Number(arg('rounds', '5'));
  const seconds = Number(arg('time', '5'));
  const keys = arg('keys', 'ec,rsa').split(',');
  const reuse = process.argv.includes('--reuse');
  const www = arg('www', null);
  const clients = arg('clients', reuse ? 'stime,native,pure' : 'stime,native,pure,node').split(',');
  const close = arg('close', 'reset');
  const version = arg('version', '1.3');
  // Steady state: V8 optimises code that runs once per handshake only after a few thousand
  // handshakes (src/tools/bench.ts MAX_WARMUP); the Node client gets the same warm-up.
  const warmup = Number(arg('warmup', '3000'));
  const cli = arg('cli', join(ROOT, 'dist', 'cli.js'));
  const jsonOut = arg('json', null);
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error('--time: whole seconds (s_time takes whole seconds), at least 1');
  if (!clients.includes('stime')) throw new Error('--clients must include stime (the ratios are to it)');
  for (const c of clients) if (!(c in CLIENT_NAMES)) throw new Error(`--clients: unknown client '${c}'`);
  if (close !== 'reset' && close !== 'notify') throw new Error('--close: reset or notify');
  if ((reuse || www) && clients.includes('node')) throw new Error('--reuse and --www: the Node client does neither (leave it out of --clients)');
  if (www !== null && !/^\/[\x21-\x7e]*$/.test(www)) throw new Error('--www: a path starting with /');
  if (clients.some((c) => c !== 'stime' && c !== 'node') && !existsSync(cli)) throw new Error(`${cli} not found: run 'npm run build' first, or pass --cli`);

  const dir = mkdtempSync(join(tmpdir(), 'puretls-stime-'));
  const opensslVersion = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    openssl: opensslVersion,
    cpu: `${cpus()[0]?.model ?? '?'} x ${cpus().length}`,
    params: { rounds, seconds, keys, clients, close, version, warmup, www, reuse },
    servers: {},
  };
  const say = (s) => process.stderr.write(`${s}\n`);
  say(`stime: ${opensslVersion}, Node ${process.version}; ${rounds} rounds of ${seconds} s per client, clients ${clients.join(', ')}, close ${close}${www ? `, GET ${www}` : ''}${reuse ? ', resumed handshakes' : ''}`);
  try {
    for (const kind of keys) {
      const id = makeIdentity(dir, kind);
      const server = await startServer(id.cert, id.key);
      try {
        const negotiated = await probe(server.port, version);
        say(`${kind}: OpenSSL's client negotiates ${negotiated.version} ${negotiated.cipherSuite} ${negotiated.group}, signature ${negotiated.signature}`);
        const perRound = [];
        for (let r = 0; r < rounds; r++) {
          const order = clients.map((_, i) => clients[(i + r) % clients.length]);
          const row = {};
          for (const c of order) {
            const before = processCpuSeconds(server.pid);
            const res =
              c === 'stime'
                ? await runSTime(server.port, seconds, version, www, reuse)
                : c === 'node'
                  ? await runNode(server.port, seconds, negotiated, id.cert, close, warmup)
                  : await runPuretls(cli, server.port, seconds, c, negotiated, id.cert, close, warmup, www, reuse);
            const after = processCpuSeconds(server.pid);
            res.serverMs = before !== null && after !== null && res.served > 0 ? ((after - before) * 1000) / res.served : null;
            row[c] = res;
            const resumed = reuse ? `  resumed ${res.resumed ?? '-'} of ${res.handshakes}` : '';
            say(`  round ${r + 1} ${c.padEnd(7)} ${f(res.rate).padStart(7)}/s  client ${f(res.clientMs, 3)} ms (kernel ${f(res.clientSysMs, 3)})  server ${f(res.serverMs, 3)} ms per handshake${resumed}`);
          }
          perRound.push(row);
        }
        const summary = summarize(perRound, clients);
        result.servers[kind] = { negotiated, rounds: perRound, summary };
        const title = `${{ ec: 'ECDSA P-256', rsa: 'RSA-2048', rsa4096: 'RSA-4096', ed25519: 'Ed25519' }[kind]} server: ${negotiated.version} ${negotiated.cipherSuite} ${negotiated.group}${reuse ? ', resumed handshakes' : ', full handshakes'}${www ? ` + GET ${www}` : ''}`;
        if (reuse) {
          const share = (c) => {
            const runs = perRound.map((row) => row[c]).filter(Boolean);
            const n = runs.reduce((a, x) => a + (x.handshakes ?? 0), 0);
            const k = runs.reduce((a, x) => a + (x.resumed ?? 0), 0);
            return `${c} ${k} of ${n}`;
          };
          process.stdout.write(`resumed: ${clients.map(share).join('; ')}\n`);
        }
        process.stdout.write(`${table(title, summary, clients, reuse)}\n\n`);
      } finally {
        server.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    `${opensslVersion}, Node ${process.version}, ${result.cpu}; ${rounds} interleaved rounds of ${seconds} s per client (order rotated each round); close: ${close === 'reset' ? 'TCP reset without close_notify, as s_time' : 'close_notify then FIN'}; puretls bench and Node after ${warmup} warm-up handshakes. Client CPU: user + system of the client process per handshake (the system part: its kernel work, the same syscalls for every client); server CPU: s_server's, per connection it served.\n`,
  );
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(result, null, 2)}\n`);
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const role = arg('role', 'main');
  (role === 'node-client' ? nodeClient() : main()).catch((e) => {
    process.stderr.write(`stime: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
