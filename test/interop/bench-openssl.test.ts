/**
 * Interop: the built `puretls bench` command against `openssl s_server` on loopback
 * (issue 9 item 7), run for about a second with `--json`:
 *
 * - full handshakes with an ECDSA P-256 server (`-www`): positive counts that agree with
 *   each other (handshakes = histogram total = timeline total, attempts = handshakes +
 *   failures + abandoned), exit 0;
 * - the TLS flags of `connect` reach the handshake: TLS 1.2, a chosen suite and group with
 *   an RSA-2048 server;
 * - `--get /` against `-www` (what `s_time -www /` does) and `--bulk` against `-rev` (each
 *   line echoed reversed, same length): byte counts;
 * - deterministic mode, under `--crypto pure` and `--crypto native`: a relay records each
 *   connection's first flight; two runs with the same `--seed` send the same ClientHellos,
 *   another seed or none sends others;
 * - `--resume` (TLS 1.3 tickets from s_server): every handshake after the first is resumed,
 *   with and without `--get /`, and over TLS 1.2; without `--resume` none is, although the
 *   tickets are read;
 * - `--close reset` (as s_time: no close_notify, TCP reset): s_server takes it, exit 0;
 * - errors: connection refused, an untrusted server (CertificateUntrusted): exit 1 with the
 *   status in the JSON, no hang.
 *
 * The command is compiled once into tmp/ of the checkout (ignored by git; its imports
 * resolve to the checkout's node_modules), not dist/, so
 * this file does not race test/unit/cli.test.ts, which builds dist/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../../src/tools/bench.js';
import { startFirstFlightTap } from '../helpers/first-flight-tap.js';
import { killAllPeers, makePkiFiles, opensslAvailable, removeTempDirs, skipNote, startOpensslServer, type PkiFiles } from '../helpers/peers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] bench-openssl tests skipped: ${openssl.detail}`);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

type JsonReport = BenchReport & { error?: { status: string; alert: string | null; message: string } };

let buildDir = '';
let cli = '';

function bench(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, 'bench', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timeout: puretls bench ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

function json(r: Run): JsonReport {
  const line = r.stdout.split('\n')[0]!;
  try {
    return JSON.parse(line) as JsonReport;
  } catch {
    throw new Error(`no JSON on stdout (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

/** The report's counts checked against each other. */
function expectConsistent(r: BenchReport): void {
  expect(r.attempts).toBe(r.handshakes + r.failures + r.abandoned);
  expect(r.histogram.buckets.reduce((a, b) => a + b.count, 0)).toBe(r.handshakes);
  expect(r.timeline.handshakes.reduce((a, b) => a + b, 0)).toBe(r.handshakes);
  expect(r.handshakesPerSecond).toBeCloseTo(r.handshakes / r.elapsedSeconds, 6);
  if (r.handshakes > 0) {
    const l = r.latencyMs!;
    expect(0 < l.min && l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max).toBe(true);
  }
}

describe.skipIf(!openssl.ok)(`puretls bench → openssl s_server${skipNote(openssl)}`, () => {
  let ec: PkiFiles;
  let rsa: PkiFiles;
  let other: PkiFiles;

  beforeAll(async () => {
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    buildDir = mkdtempSync(join(ROOT, 'tmp', 'bench-cli-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', buildDir, '--declaration', 'false', '--sourceMap', 'false'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    cli = join(buildDir, 'cli.js');
    [ec, rsa, other] = await Promise.all([makePkiFiles('ecdsa-p256'), makePkiFiles('rsa-2048'), makePkiFiles('ecdsa-p256')]);
  }, 240_000);
  afterEach(async () => {
    await killAllPeers();
  });
  afterAll(() => {
    removeTempDirs();
    if (buildDir !== '' && existsSync(buildDir)) rmSync(buildDir, { recursive: true, force: true });
  });

  const serverArgs = (f: PkiFiles, extra: readonly string[]): string[] => ['-cert', f.chainFile, '-key', f.keyFile, ...extra];

  it('full handshakes against an ECDSA P-256 server: positive, consistent counts, exit 0', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--duration', '1.5', '--connections', '2', '--json', '--quiet']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBeGreaterThan(0);
    expect(j.failures).toBe(0);
    expect(j.errors).toEqual({});
    expect(j.stoppedBy).toBe('duration');
    expect(j.elapsedSeconds).toBeGreaterThanOrEqual(1.5);
    expect(j.session).toMatchObject({ version: 'TLSv1.3', signatureScheme: 'ecdsa_secp256r1_sha256', certificateErrors: [] });
    expectConsistent(j);
  });

  it("connect's version, suite and group flags reach the handshake (TLS 1.2, RSA-2048 server)", async () => {
    const s = await startOpensslServer(serverArgs(rsa, ['-www']));
    const r = await bench([
      `127.0.0.1:${s.port}`,
      '--ca',
      rsa.caFile,
      '--servername',
      'localhost',
      '--max-version',
      '1.2',
      '--ciphers',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      '--groups',
      'secp256r1',
      '--handshakes',
      '4',
      '--warmup',
      '1',
      '--json',
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(4);
    expect(j.stoppedBy).toBe('handshakes');
    expect(j.session).toMatchObject({ version: 'TLSv1.2', cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', group: 'secp256r1' });
    expect(j.serverName).toBe('localhost');
    expectConsistent(j);
  });

  it('--get / against s_server -www reads each response to its close_notify', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--get', '/', '--handshakes', '5', '--warmup', '1', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(5);
    expect(j.bulk).toMatchObject({ mode: 'get', path: '/', completed: 5, cut: 0, failures: 0 });
    // s_server -www answers with a status page of a few KiB per request.
    expect(j.bulk!.bytesReceived).toBeGreaterThan(5 * 1000);
    expect(j.bulk!.bytesSent).toBe(5 * `GET / HTTP/1.0\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`.length);
  });

  it('--bulk against s_server -rev gets back as many bytes as it sent (last line partial)', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-rev']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--bulk', '100000', '--handshakes', '3', '--warmup', '1', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.bulk).toMatchObject({ mode: 'echo', bytesPerConnection: 100_000, completed: 3, cut: 0, failures: 0, bytesSent: 300_000, bytesReceived: 300_000 });
  });

  it.each(['pure', 'native'])('--seed (--crypto %s): two runs send the same first flights; another seed, or none, sends others', async (provider) => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const flightsOf = async (seedArgs: readonly string[]): Promise<Buffer[]> => {
      const tap = await startFirstFlightTap(s.port);
      try {
        const r = await bench([`127.0.0.1:${tap.port}`, '--servername', 'localhost', '--ca', ec.caFile, '--crypto', provider, '--handshakes', '3', '--warmup', '0', '--json', '--quiet', ...seedArgs]);
        expect(r.code).toBe(0);
        expect(json(r).handshakes).toBe(3);
        expect(json(r).session!.provider).toBe(provider);
        return [...tap.flights];
      } finally {
        tap.close();
      }
    };
    const a = await flightsOf(['--seed', '7']);
    const b = await flightsOf(['--seed', '7']);
    const c = await flightsOf(['--seed', '8']);
    const d = await flightsOf([]);
    expect(a).toHaveLength(3);
    for (const f of a) expect(f[0]).toBe(22); // a handshake record: the ClientHello
    expect(b.map((f) => f.toString('hex'))).toEqual(a.map((f) => f.toString('hex')));
    // Each connection has its own randomness, and a different seed changes all of it.
    expect(new Set(a.map((f) => f.toString('hex'))).size).toBe(3);
    for (let i = 0; i < 3; i++) {
      expect(c[i]!.equals(a[i]!)).toBe(false);
      expect(d[i]!.equals(a[i]!)).toBe(false);
    }
  });

  it('connection refused: the error and exit 1, at once', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const r = await bench([`127.0.0.1:${port}`, '--ca', ec.caFile, '--duration', '5', '--json', '--quiet']);
    expect(r.code).toBe(1);
    const j = json(r);
    expect(j.error!.status).toBe('ConnectionRefused');
    expect(j.handshakes).toBe(0);
    expect(j.stoppedBy).toBe('errors');
    expect(r.stderr).toMatch(/^puretls: error: ConnectionRefused/m);
    // The warm-up's failure ends the run: well before --duration.
    expect(r.ms).toBeLessThan(5000);
  });

  it('an untrusted server: CertificateUntrusted (unknown_ca), exit 1', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', other.caFile, '--duration', '2', '--warmup', '0', '--max-errors', '3', '--json', '--quiet']);
    expect(r.code).toBe(1);
    const j = json(r);
    expect(j.error).toMatchObject({ status: 'CertificateUntrusted', alert: 'unknown_ca' });
    expect(j.errors).toEqual({ CertificateUntrusted: 3 });
    expect(j.failures).toBe(3);
    expectConsistent(j);
  });

  it.each([[[] as string[]], [['--get', '/']]])('--resume %j: after the full warm-up handshake every handshake is resumed from s_server\'s tickets', async (extra) => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--resume', ...extra, '--handshakes', '5', '--warmup', '1', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(5);
    expect(j.resumedHandshakes).toBe(5);
    expect(j.sessionsReceived).toBeGreaterThanOrEqual(5);
    expect(j.session).toMatchObject({ version: 'TLSv1.3', resumed: true });
    expectConsistent(j);
  });

  it('--resume over TLS 1.2: s_server resumes, and no attempt waits for a TLS 1.3 ticket', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--resume', '--max-version', '1.2', '--handshakes', '6', '--warmup', '1', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(6);
    expect(j.session).toMatchObject({ version: 'TLSv1.2', resumed: true });
    // s_server sends no new ticket when it resumes one, and puretls's client offers a session
    // once: every other handshake is resumed (a client that reused its session would resume all).
    expect(j.resumedHandshakes).toBeGreaterThanOrEqual(3);
    // A 1 s wait for a TLS 1.3 ticket after each of the (three) resumed handshakes would show here.
    expect(j.elapsedSeconds).toBeLessThan(2);
    expectConsistent(j);
  });

  it('without --resume no handshake is resumed, although --get / reads the tickets', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--get', '/', '--handshakes', '4', '--warmup', '1', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(4);
    expect(j.resumedHandshakes).toBe(0);
    expect(j.session!.resumed).toBe(false);
  });

  it('--close reset (as s_time): s_server takes the resets, every handshake counted, exit 0', async () => {
    const s = await startOpensslServer(serverArgs(ec, ['-www']));
    const r = await bench([`127.0.0.1:${s.port}`, '--ca', ec.caFile, '--close', 'reset', '--handshakes', '20', '--warmup', '2', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.handshakes).toBe(20);
    expect(j.failures).toBe(0);
    expect(j.settings.close).toBe('reset');
    expectConsistent(j);
  });
});
