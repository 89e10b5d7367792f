/**
 * Adversarial campaign 5: a careless user and hostile files against the CLI (src/cli.ts):
 * `puretls connect` / `serve` pointed at a device that never ends (`/dev/zero`, a FIFO), a PEM
 * file named `.p12`, a name that is not a host name, a passphrase file of gigabytes. Each must
 * end promptly with its status on stderr (and in the `--json` object) and a non-zero exit,
 * never read until the process runs out of memory. The CLI is bundled once with esbuild, as
 * test/identity/cli.test.ts does; nothing here opens a connection (every failure comes first).
 */
import { spawn } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

let dir: string;
let cli: string;
let pki: TestPki;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'puretls-campaign5-cli-'));
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  writeFileSync(join(dir, 'ca.pem'), pki.caCertPem);
  writeFileSync(join(dir, 'cert.pem'), pki.chainPem);
  writeFileSync(join(dir, 'key.pem'), pki.keyPem);
  // A "PKCS#12" that is really PEM (openssl pkcs12 -nodes output saved as .p12).
  writeFileSync(join(dir, 'really-pem.p12'), `Bag Attributes\n${pki.chainPem}${pki.keyPem}`);
  writeFileSync(join(dir, 'session.bin'), new Uint8Array(64));
  const esbuild = await import('esbuild');
  cli = join(dir, 'cli.mjs');
  await esbuild.build({
    entryPoints: ['src/cli.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: cli,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI; a run that outlives `limitMs` is killed (and reported with code null). */
function run(args: readonly string[], limitMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    // A heap cap well under what reading /dev/zero to the end would take: the old reader died of it.
    const child = spawn(process.execPath, ['--max-old-space-size=256', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

const at = (f: string): string => join(dir, f);

describe('campaign5: the CLI reads bounded files', () => {
  it('--ca /dev/zero ends at once with InvalidConfig naming the limit (before: read until memory ran out)', async () => {
    const r = await run(['connect', '127.0.0.1:1', '--ca', '/dev/zero']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidConfig: cannot read --ca \/dev\/zero: larger than 67108864 bytes/);
  }, 60_000);

  it('--pass file:/dev/zero and --sess-key /dev/zero end at once too', async () => {
    const pass = await run(['connect', '127.0.0.1:1', '--ca', at('ca.pem'), '--cert', at('cert.pem'), '--key', at('key.pem'), '--pass', 'file:/dev/zero']);
    expect(pass.code).toBe(1);
    expect(pass.stderr).toMatch(/cannot read --pass file:\/dev\/zero: larger than 65536 bytes/);
    const key = await run(['connect', '127.0.0.1:1', '--ca', at('ca.pem'), '--sess-in', at('session.bin'), '--sess-key', '/dev/zero']);
    expect(key.code).toBe(1);
    expect(key.stderr).toMatch(/cannot read session key \/dev\/zero: larger than 4096 bytes/);
  }, 60_000);

  it('with --json, an unreadable file still gives one JSON object with the status', async () => {
    const r = await run(['connect', '127.0.0.1:1', '--json', '--ca', '/dev/zero']);
    expect(r.code).toBe(1);
    const first = JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string; message: string } };
    expect(first.error.status).toBe('InvalidConfig');
    expect(first.error.message).toMatch(/larger than/);
  }, 60_000);
});

/** A `puretls serve --echo` on a free loopback port; `stop` ends it. */
async function echoServer(): Promise<{ port: number; stop: () => void }> {
  const server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--cert', at('cert.pem'), '--key', at('key.pem'), '--echo'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.on('close', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { port, stop: () => server.kill() };
}

describe('campaign5: files the CLI writes', () => {
  it('--sess-out does not follow a symlink planted at its predictable temporary name (before: the link target was overwritten with the session and chmod 600)', async () => {
    const { port, stop } = await echoServer();
    try {
      const victim = at('victim.txt');
      writeFileSync(victim, 'precious\n', { mode: 0o644 });
      const out = at('sess.bin');
      // The CLI writes OUT.tmp-PID after its handshake: plant the link as soon as the PID is known.
      const child = spawn(process.execPath, [cli, 'connect', `127.0.0.1:${port}`, '--ca', at('ca.pem'), '--servername', 'localhost', '--sess-out', out, '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'], cwd: dir });
      symlinkSync(victim, `${out}.tmp-${child.pid}`);
      child.stdin.end('ping\n');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code).toBe(0);
      expect(readFileSync(victim, 'utf8')).toBe('precious\n');
      expect(statSync(victim).mode & 0o777).toBe(0o644);
      expect(statSync(out).size).toBeGreaterThan(0);
      expect(lstatSync(out).isSymbolicLink()).toBe(false);
    } finally {
      stop();
    }
  }, 60_000);

  it('--keylog creates its file 0600: it holds every traffic secret (before: 0644 under the usual umask, readable by any local user)', async () => {
    const { port, stop } = await echoServer();
    try {
      const log = at('keys.log');
      const r = await run(['connect', `127.0.0.1:${port}`, '--ca', at('ca.pem'), '--servername', 'localhost', '--keylog', log, '--quiet']);
      expect(r.code).toBe(0);
      expect(readFileSync(log, 'utf8')).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET /m);
      expect(statSync(log).mode & 0o777).toBe(0o600);
    } finally {
      stop();
    }
  }, 60_000);
});

describe('campaign5: the CLI says what is wrong with a file or a name', () => {
  it('--cert FILE.p12 holding PEM: IdentityCorrupt saying it is PEM (before: "base64: invalid character at offset 0")', async () => {
    for (const command of [
      ['connect', '127.0.0.1:1', '--ca', at('ca.pem'), '--cert', at('really-pem.p12')],
      ['serve', '--port', '0', '--cert', at('really-pem.p12')],
    ]) {
      const r = await run(command);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/IdentityCorrupt: .*PEM text, not a PKCS#12 file/);
    }
  }, 60_000);

  it('--servername with a space or a non-ASCII character is InvalidConfig before any connection (before: sent, then refused by the server)', async () => {
    for (const name of ['bad name', 'bücher.example']) {
      const r = await run(['connect', '127.0.0.1:1', '--ca', at('ca.pem'), '--servername', name]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/InvalidConfig: servername: character/);
      expect(r.stderr).not.toMatch(/ECONNREFUSED|ConnectionRefused/);
    }
  }, 60_000);

  it('cert and key swapped on serve: InvalidConfig naming the identity (found clean)', async () => {
    const r = await run(['serve', '--port', '0', '--cert', at('key.pem'), '--key', at('cert.pem')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/InvalidConfig: cert\/key: no certificate found/);
  }, 60_000);
});
