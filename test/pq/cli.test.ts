/**
 * Issue 12, CLI: `--groups` takes the IANA names of the hybrids, `connect --help` lists only
 * groups that work (each one listed is negotiated here, end to end), and `--json` / the
 * summary report the group by its IANA name. The CLI is bundled from src/cli.ts into a
 * temporary folder (not dist/, which test/unit/cli.test.ts rebuilds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestPki } from '../../src/verify/generate.js';
import { nativeProvider } from '../../src/crypto/native.js';
import { nameOf } from '../../src/wire/codes.js';
import { ROOT } from './helpers.js';

let dir = '';
let cli = '';
let caFile = '';
let certFile = '';
let keyFile = '';
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-pq-cli-'));
  cli = path.join(dir, 'cli.mjs');
  await build({ entryPoints: [path.join(ROOT, 'src/cli.ts')], bundle: true, platform: 'node', format: 'esm', outfile: cli, logLevel: 'silent', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
  caFile = path.join(dir, 'ca.pem');
  certFile = path.join(dir, 'chain.pem');
  keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(caFile, pki.caCertPem);
  fs.writeFileSync(certFile, pki.chainPem);
  fs.writeFileSync(keyFile, pki.keyPem);
}, 60_000);

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid);
  fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timeout: puretls ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

function serve(extra: string[]): Promise<{ port: number; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--cert', certFile, '--key', keyFile, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve({ port: Number(m[1]), child });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** The group names a help text lists after `--groups`. */
function listedGroups(help: string): string[] {
  const start = help.indexOf('--groups');
  const block = help.slice(start, help.indexOf('\n  --', start + 1));
  const names = new Set<string>();
  for (const m of block.matchAll(/\b(X25519MLKEM768|SecP256r1MLKEM768|SecP384r1MLKEM1024|x25519|secp256r1|secp384r1|[A-Za-z0-9]+MLKEM\d+|x448|secp521r1|ffdhe\d+)\b/g)) names.add(m[1]!);
  return [...names];
}

describe('puretls CLI and the post-quantum groups', () => {
  it('connect --help and serve --help list the hybrids, and only groups the default (native) provider implements', async () => {
    for (const cmd of ['connect', 'serve']) {
      const r = await run([cmd, '--help']);
      expect(r.code).toBe(0);
      const names = listedGroups(r.stdout + r.stderr);
      expect(names).toEqual(expect.arrayContaining(['X25519MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024', 'x25519', 'secp256r1', 'secp384r1']));
      const implemented = nativeProvider.groups.map((g) => nameOf('group', g));
      for (const n of names) expect(implemented, `${cmd} --help lists ${n}`).toContain(n);
    }
  });

  for (const group of ['X25519MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024', 'x25519', 'secp256r1', 'secp384r1']) {
    it(`--groups ${group} on both sides: negotiated, reported by its IANA name in --json`, async () => {
      const srv = await serve(['--groups', group, '--echo']);
      const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--groups', group, '--json', '--quiet'], 'ping\n');
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.split('\n')[0]!) as { group: string; version: string };
      expect(summary).toMatchObject({ group, version: 'TLSv1.3' });
      srv.child.kill();
    });
  }

  it('the defaults on both sides: X25519MLKEM768', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--json', '--quiet'], 'ping\n');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0]!)).toMatchObject({ group: 'X25519MLKEM768' });
    srv.child.kill();
  });

  it('an unknown group name is a usage error naming it', async () => {
    const r = await run(['connect', '127.0.0.1:1', '--groups', 'X25519Kyber768Draft00', '--json']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/X25519Kyber768Draft00/);
  });
});
