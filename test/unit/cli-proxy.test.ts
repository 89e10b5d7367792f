/**
 * `puretls connect --proxy URL [--proxy-auth SPEC]` (issue 11 item 7 in the CLI): the HTTP
 * CONNECT proxy transport of src/transport/proxy.ts, through the Node adapter's `proxy`
 * option. Parsing in process; the real command (dist/cli.js, built here as test/unit/cli.test.ts
 * does) through the scripted proxies of test/helpers/http-proxy.ts: a tunnelling proxy that
 * checks Basic credentials, one that refuses.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { parseConnectCommand } from '../../src/cli.js';
import { createServer, type TlsServer } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { startTestProxy, type TestProxy } from '../helpers/http-proxy.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

function usageError(argv: string[], name: 'connect' | 'bench' = 'connect'): TlsError {
  try {
    parseConnectCommand(argv, name);
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('connect --proxy: parsing', () => {
  it('--proxy URL becomes the proxy option; --proxy-auth is kept to be read at connect time (no I/O while parsing)', () => {
    const c = parseConnectCommand(['127.0.0.1:443', '--proxy', 'http://127.0.0.1:3128', '--proxy-auth', 'env:PROXY_CREDS']);
    expect(c.options.proxy).toEqual({ url: 'http://127.0.0.1:3128' });
    expect(c.files.proxyAuth).toBe('env:PROXY_CREDS');
    expect(parseConnectCommand(['127.0.0.1:443']).options.proxy).toBeUndefined();
  });

  it('refuses what the proxy transport refuses (https://, a path, not a URL) as usage errors, without echoing credentials', () => {
    for (const url of ['https://proxy.test:3128', 'http://proxy.test:3128/path', 'not a url', 'socks5://proxy.test:1080']) {
      const e = usageError(['127.0.0.1:443', '--proxy', url]);
      expect(e.status, url).toBe('ApiMisuse');
      expect(e.detail, url).toContain('--proxy');
    }
    const e = usageError(['127.0.0.1:443', '--proxy', 'http://user:s3cret@proxy.test:3128/x']);
    expect(e.detail).not.toContain('s3cret');
    expect(e.message).not.toContain('s3cret');
  });

  it('--proxy-auth without --proxy, and --proxy / --proxy-auth in bench, are usage errors', () => {
    expect(usageError(['127.0.0.1:443', '--proxy-auth', 'pass:a:b']).detail).toContain('--proxy-auth goes with --proxy');
    expect(usageError(['127.0.0.1:443', '--proxy', 'http://127.0.0.1:3128'], 'bench').detail).toContain("'--proxy' does not apply to bench");
  });
});

describe('connect --proxy: the command through real proxies', () => {
  let pki: TestPki;
  let dir: string;
  let caFile: string;
  let server: TlsServer;
  let port: number;
  const proxies: TestProxy[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
    pki = await generateTestPki({ names: ['localhost'], caName: 'CLI Proxy CA' });
    dir = mkdtempSync(join(tmpdir(), 'puretls-cli-proxy-'));
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, pki.caCertPem);
    // Echoes the first chunk, then closes (close_notify first, as an HTTP server after its
    // response). The client keeps stdin open until then: the scripted proxy does not carry a
    // TCP half-close (its sockets are not allowHalfOpen), so a client that closed first
    // would race its own FIN against the server's close_notify through the tunnel.
    server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
      s.on('error', () => undefined);
      s.once('data', (d: Buffer) => s.end(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  }, 180_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill();
  });
  afterAll(async () => {
    for (const p of proxies) await p.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function run(args: string[], input: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
      children.push(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => reject(new Error(`timeout: ${args.join(' ')}\n${stdout}\n${stderr}`)), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      // stdin stays open (see the server above): the command ends when the server closes.
      child.stdin.write(input);
      child.on('exit', () => child.stdin.destroy());
    });
  }

  async function proxy(mode: Parameters<typeof startTestProxy>[0]): Promise<TestProxy> {
    const p = await startTestProxy(mode);
    proxies.push(p);
    return p;
  }

  it('tunnels with Basic credentials from --proxy-auth env:VAR: handshake, data echoed, clean exit; the proxy saw CONNECT host:port and the credentials', async () => {
    const p = await proxy({ kind: 'tunnel', credentials: { username: 'alice', password: 'pa:ss' } });
    const r = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url, '--proxy-auth', 'env:FIN11_PROXY_CREDS', '--json', '--quiet'], 'through the proxy\n', { FIN11_PROXY_CREDS: 'alice:pa:ss' });
    expect(r.code, r.stderr).toBe(0);
    const [first, ...rest] = r.stdout.split('\n');
    expect((JSON.parse(first!) as { version: string }).version).toBe('TLSv1.3');
    expect(rest.join('\n')).toContain('through the proxy');
    expect(p.requests).toHaveLength(1);
    expect(p.requests[0]).toMatch(new RegExp(`^CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1\\r\\n`));
    expect(p.requests[0]).toContain(`Proxy-Authorization: Basic ${Buffer.from('alice:pa:ss').toString('base64')}`);
    // Nothing of TLS was sent before the proxy answered.
    expect(p.earlyBytes[0]).toBe(0);
  });

  it('credentials in the URL work too; wrong ones are ProxyAuthenticationRequired (exit 1, --json status), the password never printed', async () => {
    const p = await proxy({ kind: 'tunnel', credentials: { username: 'bob', password: 'right' } });
    const ok = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url.replace('http://', 'http://bob:right@'), '--json', '--quiet'], 'hello\n');
    expect(ok.stdout).toContain('hello');
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url, '--proxy-auth', 'pass:bob:wrong-secret', '--json', '--quiet'], '');
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.stdout.split('\n')[0]!) as { error: { status: string } };
    expect(j.error.status).toBe('ProxyAuthenticationRequired');
    expect(bad.stdout + bad.stderr).not.toContain('wrong-secret');
    const none = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url, '--json', '--quiet'], '');
    expect((JSON.parse(none.stdout.split('\n')[0]!) as { error: { status: string } }).error.status).toBe('ProxyAuthenticationRequired');
  });

  it('a refusing proxy is ProxyRefused with its status line; a malformed --proxy-auth is InvalidConfig; neither connects', async () => {
    const p = await proxy({ kind: 'answer', raw: 'HTTP/1.1 403 Forbidden by policy\r\nContent-Length: 0\r\n\r\n' });
    const r = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url, '--json', '--quiet'], '');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string; message: string } };
    expect(j.error.status).toBe('ProxyRefused');
    expect(r.stderr).toContain('403');
    const m = await run(['connect', `127.0.0.1:${port}`, '--servername', 'localhost', '--ca', caFile, '--proxy', p.url, '--proxy-auth', 'pass:no-colon-secret', '--json', '--quiet'], '');
    expect(m.code).toBe(1);
    expect((JSON.parse(m.stdout.split('\n')[0]!) as { error: { status: string } }).error.status).toBe('InvalidConfig');
    expect(m.stdout + m.stderr).not.toContain('no-colon-secret');
  });
});
