import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { connect } from '../../src/transport/node.js';
import { withTestHooks } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { nobleProvider } from '../../src/crypto/noble.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

let pki: TestPki;
let clientPki: TestPki;
let dir: string;
let clientCaFile: string;
let clientCertFile: string;
let clientKeyFile: string;
let caFile: string;
let otherCaFile: string;
let certFile: string;
let keyFile: string;
const children: ChildProcess[] = [];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string, timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timeout: puretls ${args.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Starts `puretls serve` and resolves with its port once it printed `listening on 127.0.0.1:PORT`. */
function serve(extra: string[]): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--cert', certFile, '--key', keyFile, ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolvePromise({ child, port: Number(m[1]), stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const a = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return a.port;
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1', '::1'] });
  dir = mkdtempSync(join(tmpdir(), 'puretls-cli-'));
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'chain.pem');
  keyFile = join(dir, 'key.pem');
  writeFileSync(caFile, pki.caCertPem);
  // Same CA name, another key: pki's chain is Untrusted under it.
  otherCaFile = join(dir, 'other-ca.pem');
  writeFileSync(otherCaFile, (await generateTestPki({ keyType: 'ecdsa-p256' })).caCertPem);
  writeFileSync(certFile, pki.chainPem);
  writeFileSync(keyFile, pki.keyPem);
  clientPki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
  clientCaFile = join(dir, 'client-ca.pem');
  clientCertFile = join(dir, 'client-chain.pem');
  clientKeyFile = join(dir, 'client-key.pem');
  writeFileSync(clientCaFile, clientPki.caCertPem);
  writeFileSync(clientCertFile, clientPki.chainPem);
  writeFileSync(clientKeyFile, clientPki.keyPem);
}, 180_000);

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('puretls CLI', () => {
  it('demo: shows the summary, the InvalidName failure and the ignored error', async () => {
    const r = await run(['demo']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('TLSv1.3');
    expect(r.stdout).toMatch(/cipher suite:\s+TLS_/);
    expect(r.stdout).toMatch(/certificate errors: none/);
    expect(r.stdout).toContain('CertificateInvalidName');
    expect(r.stdout).toContain('bad_certificate');
    expect(r.stdout).toContain("certificateErrors: [InvalidName] severity 'ignorable'");
  });

  it('connect --json against serve --echo: JSON first line, data echoed, clean exit', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--json', '--quiet'], 'ping over puretls\n');
    expect(r.code).toBe(0);
    const [first, ...rest] = r.stdout.split('\n');
    const j = JSON.parse(first!) as Record<string, unknown>;
    expect(j.version).toBe('TLSv1.3');
    expect(String(j.cipherSuite)).toMatch(/^TLS_/);
    expect(j.group).toBeTypeOf('string');
    expect(j.resumed).toBe(false);
    expect(j.certificateErrors).toEqual([]);
    expect(j.certificateErrorSeverity).toBe('none');
    const cert = j.peerCertificate as Record<string, string>;
    expect(cert.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(cert.subject).toBeTypeOf('string');
    expect(cert.issuer).toBeTypeOf('string');
    expect(rest.join('\n')).toContain('ping over puretls');
  });

  it('--crypto: connect on one provider against serve on the other; --json and the summary name the client provider', async () => {
    const nameOf = (p: 'native' | 'pure' | 'webcrypto'): string => (p === 'pure' ? nobleProvider.name : p);
    for (const [client, server] of [['native', 'pure'], ['pure', 'native'], ['webcrypto', 'native']] as const) {
      const srv = await serve(['--echo', '--crypto', server]);
      const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--crypto', client, '--json'], `over ${client}\n`);
      expect(r.code).toBe(0);
      const [first, ...rest] = r.stdout.split('\n');
      expect((JSON.parse(first!) as Record<string, unknown>).provider).toBe(nameOf(client));
      expect(r.stderr).toMatch(new RegExp(`crypto provider:\\s+${nameOf(client)}`));
      expect(rest.join('\n')).toContain(`over ${client}`);
    }
    const bad = await run(['connect', '127.0.0.1:1', '--crypto', 'openssl']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--crypto: unknown provider 'openssl'");
  });

  it('connect --json prints the failure as JSON (untrusted chain), exit non-zero', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', otherCaFile, '--json']);
    expect(r.code).not.toBe(0);
    const j = JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string; alert: string | null; message: string }; certificateErrors: string[] };
    expect(j.error.status).toBe('CertificateUntrusted');
    expect(j.error.alert).toBe('unknown_ca');
    expect(j.certificateErrors).toContain('Untrusted');
  });

  it('connect --ignore accepts an ignorable error and reports it', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--servername', 'wrong.example', '--ca', caFile, '--ignore', 'InvalidName', '--json', '--quiet'], '');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout.split('\n')[0]!) as { certificateErrors: string[]; certificateErrorSeverity: string };
    expect(j.certificateErrors).toEqual(['InvalidName']);
    expect(j.certificateErrorSeverity).toBe('ignorable');
  });

  it('connect --json reports a refused connection', async () => {
    const port = await freePort();
    const r = await run(['connect', `127.0.0.1:${port}`, '--json']);
    expect(r.code).not.toBe(0);
    const j = JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string } };
    expect(j.error.status).toBe('ConnectionRefused');
  });

  it('connect --trace, --keylog and --key-update', async () => {
    const srv = await serve(['--echo']);
    const keylog = join(dir, 'keys.log');
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--trace', '--keylog', keylog, '--key-update'], 'after update\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('ClientHello');
    expect(r.stderr).toContain('KeyUpdate sent');
    expect(r.stdout).toContain('after update');
    const lines = readFileSync(keylog, 'utf8').trim().split('\n');
    expect(lines.some((l) => /^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('SERVER_TRAFFIC_SECRET_0 '))).toBe(true);
  });

  it('serve --www answers an HTTP request and closes cleanly', async () => {
    const srv = await serve(['--www', '--alpn', 'http/1.1']);
    const s = connect({ host: '127.0.0.1', port: srv.port, ca: pki.caCertPem, servername: 'localhost', ALPNProtocols: ['http/1.1'] });
    const page = await new Promise<string>((resolvePromise, reject) => {
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.once('end', () => resolvePromise(text));
      s.once('error', reject);
      s.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
    });
    expect(page).toMatch(/^HTTP\/1\.0 200 OK\r\n/);
    expect(page).toContain('TLSv1.3');
    expect(page).toContain('http/1.1');
    expect(page).toContain('localhost');
  });

  it('usage errors exit 2: unknown flags and commands, --cert without --key, --ignore with a fatal or unknown code', async () => {
    const unknown = await run(['connect', '127.0.0.1:1', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--bogus');
    const noCmd = await run(['frobnicate']);
    expect(noCmd.code).toBe(2);
    const help = await run(['connect', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--ignore');
    expect(help.stdout).toContain('--cert FILE --key FILE');
    const serveHelp = await run(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--require-client-cert');
    const half = await run(['connect', '127.0.0.1:1', '--cert', clientCertFile]);
    expect(half.code).toBe(2);
    expect(half.stderr).toContain('--cert and --key go together');
    const fatal = await run(['connect', '127.0.0.1:1', '--ignore', 'Expired,InvalidSignature', '--json']);
    expect(fatal.code).toBe(2);
    expect(fatal.stdout).toBe('');
    expect(fatal.stderr).toContain("'InvalidSignature' is a fatal certificate error and can never be ignored");
    const bogusCode = await run(['connect', '127.0.0.1:1', '--ignore', 'Expried']);
    expect(bogusCode.code).toBe(2);
    expect(bogusCode.stderr).toContain("unknown certificate error code 'Expried'");
    const serveFatal = await run(['serve', '--port', '0', '--cert', certFile, '--key', keyFile, '--require-client-cert', '--ignore', 'Revoked']);
    expect(serveFatal.code).toBe(2);
    expect(serveFatal.stderr).toContain("'Revoked' is a fatal certificate error");
    const both = await run(['serve', '--port', '0', '--cert', certFile, '--key', keyFile, '--require-client-cert', '--request-client-cert']);
    expect(both.code).toBe(2);
  });

  it('policy flags reach the library: serve --session-tickets, --no-require-ems, --handshake-timeout; connect --handshake-timeout', async () => {
    // --session-tickets 2: a TLS 1.3 client receives two NewSessionTickets.
    const srv = await serve(['--echo', '--session-tickets', '2', '--no-require-ems']);
    const tickets = await new Promise<number>((resolvePromise, reject) => {
      let n = 0;
      const s = connect({
        host: '127.0.0.1',
        port: srv.port,
        ca: pki.caCertPem,
        servername: 'localhost',
        trace: (e) => {
          if (e.direction === 'received' && e.summary.startsWith('NewSessionTicket')) n++;
        },
      });
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.once('data', () => {
          s.end();
          resolvePromise(n);
        });
        s.write('x');
      });
    });
    expect(tickets).toBe(2);
    // --no-require-ems: a TLS 1.2 client without extended_master_secret is accepted here...
    const noEms = (port: number): Promise<TlsError | null> =>
      new Promise((resolvePromise) => {
        const s = connect(
          withTestHooks(
            { host: '127.0.0.1', port, ca: pki.caCertPem, servername: 'localhost', maxVersion: '1.2', requireExtendedMasterSecret: false },
            { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }) },
          ),
        );
        s.once('error', (e: Error) => resolvePromise(e as TlsError));
        s.once('secureConnect', () => {
          s.destroy();
          resolvePromise(null);
        });
      });
    expect(await noEms(srv.port)).toBeNull();
    // ...and refused by a server with the default policy.
    const strict = await serve(['--echo']);
    expect((await noEms(strict.port))?.status).toBe('AlertReceived');
    // --handshake-timeout 300 (its own server: a real handshake may take longer than that
    // on a loaded machine): a client that sends nothing is cut off after ~300 ms.
    const impatient = await serve(['--echo', '--handshake-timeout', '300']);
    const raw = net.connect({ host: '127.0.0.1', port: impatient.port });
    const started = Date.now();
    await new Promise<void>((resolvePromise) => raw.once('close', () => resolvePromise()));
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(impatient.stderr()).toContain('handshake failed: TimedOut');
    // connect --handshake-timeout: a silent server is given up on (TimedOut, exit 1).
    const silent = net.createServer(() => undefined);
    const sockets: net.Socket[] = [];
    silent.on('connection', (c: net.Socket) => sockets.push(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const r = await run(['connect', `127.0.0.1:${(silent.address() as net.AddressInfo).port}`, '--ca', caFile, '--handshake-timeout', '300', '--json']);
      expect(r.code).toBe(1);
      expect((JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string } }).error.status).toBe('TimedOut');
    } finally {
      for (const c of sockets) c.destroy();
      silent.close();
    }
  });

  it('policy flags: listed in --help, bad values refused with exit 2 and the flag named', async () => {
    const help = await run(['connect', '--help']);
    for (const f of ['--max-handshake-message-size', '--max-empty-records', '--max-warning-alerts', '--max-key-updates', '--max-post-handshake-messages', '--max-hello-requests', '--max-pending-write', '--max-verification-work', '--max-depth', '--handshake-timeout', '--linger-timeout', '--no-require-ems']) {
      expect(help.stdout).toContain(f);
    }
    const serveHelp = await run(['serve', '--help']);
    for (const f of ['--session-tickets', '--no-require-ems', '--max-client-hello-size', '--max-handshake-message-size', '--max-empty-records', '--max-warning-alerts', '--max-key-updates', '--max-post-handshake-messages', '--max-pending-write', '--max-verification-work', '--max-depth', '--handshake-timeout', '--linger-timeout']) {
      expect(serveHelp.stdout).toContain(f);
    }
    const bad = await run(['serve', '--port', '0', '--cert', certFile, '--key', keyFile, '--max-empty-records', 'lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-empty-records: expected a whole number 0..2147483647, got 'lots'");
    const range = await run(['serve', '--port', '0', '--cert', certFile, '--key', keyFile, '--session-tickets', '100']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--session-tickets: 100 is out of range (0..16)');
  });

  it('connect --json on a refused chain also describes the refused certificate', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--servername', 'wrong.example', '--ca', caFile, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout.split('\n')[0]!) as { error: { status: string; alert: string }; certificateErrors: string[]; certificateErrorSeverity: string; peerCertificate: Record<string, string> };
    expect(j.error).toMatchObject({ status: 'CertificateInvalidName', alert: 'bad_certificate' });
    expect(j.certificateErrors).toEqual(['InvalidName']);
    expect(j.certificateErrorSeverity).toBe('ignorable');
    expect(j.peerCertificate.subject).toBe('CN=localhost');
    expect(j.peerCertificate.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(j.peerCertificate).sort()).toEqual(['issuer', 'notAfter', 'notBefore', 'sha256', 'subject']);
  });

  it('mutual TLS: connect --cert/--key against serve --require-client-cert --ca, in TLS 1.3 and 1.2; the server logs the client certificate', async () => {
    const srv = await serve(['--echo', '--require-client-cert', '--ca', clientCaFile]);
    for (const v of ['1.3', '1.2']) {
      const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--cert', clientCertFile, '--key', clientKeyFile, '--max-version', v, '--json', '--quiet'], `mutual ${v}\n`);
      expect(r.code, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout.split('\n')[0]!) as { version: string; certificateErrors: string[] };
      expect(j.version).toBe(`TLSv${v}`);
      expect(r.stdout).toContain(`mutual ${v}`);
    }
    expect(srv.stderr()).toMatch(/connection from 127\.0\.0\.1:\d+: TLSv1\.3 .* client-cert="CN=client\.example" issuer="CN=Client CA"/);
    expect(srv.stderr()).toMatch(/TLSv1\.2 .* client-cert="CN=client\.example"/);
    // Without a certificate: refused. In TLS 1.2 before the client finished (a JSON error line);
    // in TLS 1.3 after (the client's handshake completed, then the alert arrived): exit 1 either way.
    const none12 = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--max-version', '1.2', '--json'], '');
    expect(none12.code).toBe(1);
    expect((JSON.parse(none12.stdout.split('\n')[0]!) as { error: { status: string; alert: string } }).error).toMatchObject({ status: 'AlertReceived', alert: 'handshake_failure' });
    const none13 = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--quiet'], '');
    expect(none13.code).toBe(1);
    expect(none13.stderr).toContain('certificate_required');
    // A client certificate from another CA: unknown_ca, and the server says which certificate it refused.
    const other = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--cert', certFile, '--key', keyFile, '--max-version', '1.2', '--json'], '');
    expect(other.code).toBe(1);
    expect((JSON.parse(other.stdout.split('\n')[0]!) as { error: { alert: string } }).error.alert).toBe('unknown_ca');
    expect(srv.stderr()).toContain('handshake failed: CertificateRequired');
    expect(srv.stderr()).toMatch(/handshake failed: CertificateUntrusted \(alert unknown_ca\)[\s\S]*client certificate: CN=localhost/);
  });

  it('serve --request-client-cert accepts a client without a certificate; --www shows the client certificate', async () => {
    const srv = await serve(['--www', '--request-client-cert', '--ca', clientCaFile]);
    const get = (extra: Partial<Parameters<typeof connect>[0]>): Promise<string> =>
      new Promise<string>((resolvePromise, reject) => {
        const s = connect({ host: '127.0.0.1', port: srv.port, ca: pki.caCertPem, servername: 'localhost', ...extra });
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString()));
        s.once('end', () => resolvePromise(text));
        s.once('error', reject);
        s.write('GET / HTTP/1.0\r\n\r\n');
      });
    const anonymous = await get({});
    expect(anonymous).toContain('Client certificate: (none)');
    const withCert = await get({ cert: clientPki.chainPem, key: clientPki.keyPem });
    expect(withCert).toContain('Client certificate: CN=client.example');
    expect(withCert).toContain('issuer:  CN=Client CA');
    expect(withCert).toContain('errors:  none');
    // The server logs the connection after answering: under load the line may lag the page.
    await vi.waitFor(() => expect(srv.stderr()).toContain('client-cert="CN=client.example"'), { timeout: 10_000, interval: 50 });
  });
});
