/**
 * The CLI with identity files (issue 10 item 7's `--cert` accepting `.p12` with `--pass`):
 * `puretls serve --cert server.p12 --pass env:VAR --require-client-cert` and
 * `puretls connect --cert client.p12 --pass file:PATH`, a handshake between them with the
 * client certificate checked; a wrong passphrase is reported by its status; usage errors for
 * a `.p12` with `--key`. The CLI is bundled once with esbuild (no `tsc` build needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectCommand, parseServeCommand } from '../../src/cli.js';
import { TlsError } from '../../src/base/errors.js';
import { PASS, hasTool, makeIdentityFixtures, type IdentityFixtures } from './fixtures.js';

const HAVE_OPENSSL = hasTool('openssl', ['version']);
if (!HAVE_OPENSSL) console.warn('openssl not found on PATH: skipping the CLI identity tests (their fixtures are made by it)');

describe.runIf(HAVE_OPENSSL)('CLI: --cert FILE.p12 --pass', () => {
  let fx: IdentityFixtures;
  let cli: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    fx = makeIdentityFixtures();
    writeFileSync(join(fx.dir, 'server.p12'), fx.ec.p12.default!);
    writeFileSync(join(fx.dir, 'client.pfx'), fx.rsa.p12.legacy!);
    writeFileSync(join(fx.dir, 'pass.txt'), `${PASS}\n`);
    const esbuild = await import('esbuild');
    cli = join(fx.dir, 'cli.mjs');
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
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
  });
  afterAll(() => fx?.remove());

  function run(args: string[], input: string | undefined, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`timeout: ${args.join(' ')}\n${stdout}\n${stderr}`));
      }, 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin.end(input);
    });
  }

  function serve(args: string[], env: Record<string, string>): Promise<{ port: number; child: ChildProcess }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      children.push(child);
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve({ port: Number(m[1]), child });
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
  }

  it('serve --cert server.p12 --pass env:VAR --require-client-cert ← connect --cert client.pfx --pass file:PATH: handshake, echo, client certificate checked', async () => {
    const { port } = await serve(['--cert', join(fx.dir, 'server.p12'), '--pass', 'env:P12_PASS', '--require-client-cert', '--ca', join(fx.dir, 'ca.pem'), '--echo'], { P12_PASS: PASS });
    const r = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', join(fx.dir, 'ca.pem'), '--cert', join(fx.dir, 'client.pfx'), '--pass', `file:${join(fx.dir, 'pass.txt')}`, '--json', '--quiet'], 'ping\n');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.split('\n')[0]!) as { version: string; certificateErrorSeverity: string };
    expect(summary.version).toBe('TLSv1.3');
    expect(summary.certificateErrorSeverity).toBe('none');
    expect(r.stdout).toContain('ping');
  });

  it('a wrong --pass is reported as WrongPassphrase (and the passphrase is not printed)', async () => {
    const r = await run(['connect', '127.0.0.1:1', '--servername', 'localhost', '--ca', join(fx.dir, 'ca.pem'), '--cert', join(fx.dir, 'client.pfx'), '--pass', 'pass:Not-The-Passphrase-42', '--json'], undefined);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('WrongPassphrase');
    expect(r.stdout + r.stderr).not.toContain('Not-The-Passphrase-42');
    const s = await run(['serve', '--port', '0', '--cert', join(fx.dir, 'server.p12'), '--pass', 'env:UNSET_P12_PASS_VAR'], undefined);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toContain('UNSET_P12_PASS_VAR');
  });

  it('usage: a .p12 takes no --key; a PEM --cert still needs one', () => {
    const usage = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (e instanceof TlsError) return e.message;
        throw e;
      }
      return 'ok';
    };
    expect(usage(() => parseConnectCommand(['h:1', '--cert', 'a.p12', '--key', 'k.pem']))).toContain('no --key');
    expect(usage(() => parseConnectCommand(['h:1', '--cert', 'a.pem']))).toContain('--cert and --key go together');
    expect(usage(() => parseConnectCommand(['h:1', '--cert', 'a.PFX', '--pass', 'x']))).toBe('ok');
    expect(usage(() => parseServeCommand(['--port', '0', '--cert', 'a.pem']))).toContain('serve needs --cert and --key');
    expect(parseServeCommand(['--port', '0', '--cert', 's.p12', '--pass', 'env:X']).files).toMatchObject({ cert: 's.p12', pass: 'env:X' });
  });
});
