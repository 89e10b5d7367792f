/**
 * The CLI's session flags (issue 10 item 7): `connect --reconnect N` (one summary per
 * connection, `resumed` true from the second), `--sess-out` / `--sess-in` across two
 * processes (sealed under a key file; a tampered or foreign file is refused with
 * SessionRejected, a session for another name gives a full handshake), `--early-data`
 * (accepted / rejected / none in --json), against `puretls serve` and `openssl s_server`, in
 * TLS 1.3 and 1.2; usage errors exit 2 naming the flag. The CLI is bundled once with esbuild.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBenchCommand, parseConnectCommand } from '../../src/cli.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki } from '../../src/verify/generate.js';
import { opensslAvailable, skipNote, startOpensslServer, killAllPeers } from '../helpers/peers.js';

const openssl = opensslAvailable();
let dir: string;
let cli: string;
let caFile: string;
let certFile: string;
let keyFile: string;
let earlyFile: string;
const children: ChildProcess[] = [];

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A connection's JSON line, the fields these tests read. */
interface Summary {
  connection?: number;
  version?: string;
  resumed?: boolean;
  earlyData?: string;
  error?: { status: string };
}

function run(args: string[], input = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timeout: puretls ${args.join(' ')}\n${stdout}\n${stderr}`));
    }, 40_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

function serve(extra: string[]): Promise<{ port: number; stderr: () => string; stdout: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--cert', certFile, '--key', keyFile, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on 127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve({ port: Number(m[1]), stderr: () => err, stdout: () => out });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** The JSON lines of a run (stdout also carries what the server sent). */
function summaries(r: Result): Summary[] {
  return r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Summary);
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof TlsError) return e.detail ?? e.message;
    throw e;
  }
  throw new Error('no usage error');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'puretls-cli-sess-'));
  const pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
  caFile = join(dir, 'ca.pem');
  certFile = join(dir, 'chain.pem');
  keyFile = join(dir, 'key.pem');
  earlyFile = join(dir, 'early.txt');
  writeFileSync(caFile, pki.caCertPem);
  writeFileSync(certFile, pki.chainPem);
  writeFileSync(keyFile, pki.keyPem);
  writeFileSync(earlyFile, 'early-hello\n');
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

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill();
  await killAllPeers();
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('CLI session flags: parsing', () => {
  const T = ['127.0.0.1:1'];
  it('parses --reconnect and the session files; refuses bad values naming the flag', () => {
    const c = parseConnectCommand([...T, '--reconnect', '3', '--sess-out', 'a', '--sess-in', 'a', '--early-data', 'e']);
    expect(c.reconnect).toBe(3);
    expect(c.session).toEqual({ out: 'a', in: 'a', key: undefined, earlyData: 'e' });
    expect(parseConnectCommand(T).reconnect).toBe(0);
    expect(usageError(() => parseConnectCommand([...T, '--reconnect', 'two']))).toBe("--reconnect: expected a whole number 0..10000, got 'two'");
    expect(usageError(() => parseConnectCommand([...T, '--reconnect', '-1']))).toBe("--reconnect: expected a whole number 0..10000, got '-1'");
    expect(usageError(() => parseConnectCommand([...T, '--reconnect', '10001']))).toBe('--reconnect: 10001 is out of range (0..10000)');
    expect(usageError(() => parseConnectCommand([...T, '--reconnect']))).toBe("option '--reconnect' needs a value");
    expect(usageError(() => parseConnectCommand([...T, '--sess-key', 'k']))).toBe('--sess-key goes with --sess-out or --sess-in');
    expect(usageError(() => parseConnectCommand([...T, '--sess-in', 'a', '--sess-out', 'b']))).toContain('--sess-key');
    expect(parseConnectCommand([...T, '--sess-in', 'a', '--sess-out', 'b', '--sess-key', 'k']).session.key).toBe('k');
    expect(usageError(() => parseConnectCommand([...T, '--sess-out', 'a', '--sess-key', 'a']))).toBe('--sess-key must not be the session file');
    expect(usageError(() => parseConnectCommand([...T, '--sess-out=']))).toBe('--sess-out needs a file name');
    expect(usageError(() => parseBenchCommand([...T, '--reconnect', '2']))).toBe("option '--reconnect' does not apply to bench");
    expect(usageError(() => parseBenchCommand([...T, '--early-data', 'e']))).toBe("option '--early-data' does not apply to bench");
  });

  it('a bad value exits 2 naming the flag; --help lists the new flags', async () => {
    const bad = await run(['connect', '127.0.0.1:1', '--reconnect', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--reconnect');
    const key = await run(['connect', '127.0.0.1:1', '--sess-key', 'k']);
    expect(key.code).toBe(2);
    expect(key.stderr).toContain('--sess-key');
    const help = await run(['connect', '--help']);
    expect(help.code).toBe(0);
    for (const f of ['--reconnect N', '--sess-out FILE', '--sess-in FILE', '--sess-key FILE', '--early-data FILE']) expect(help.stdout).toContain(f);
    const serveHelp = await run(['serve', '--help']);
    expect(serveHelp.stdout).toContain('--max-early-data BYTES');
    expect(serveHelp.stdout).toContain('--session-tickets N');
  });
});

describe('CLI --reconnect', () => {
  for (const version of ['1.3', '1.2'] as const) {
    it(`against puretls serve (TLS ${version}): three summaries, resumed from the second`, async () => {
      const srv = await serve(['--echo']);
      const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--reconnect', '2', '--json', '--max-version', version], 'last\n');
      expect(r.code, r.stderr).toBe(0);
      const s = summaries(r);
      expect(s.map((x) => x.connection)).toEqual([1, 2, 3]);
      expect(s.map((x) => x.version)).toEqual(Array(3).fill(`TLSv${version}`));
      expect(s.map((x) => x.resumed)).toEqual([false, true, true]);
      // stdin goes to the last connection only (echoed once)
      expect(r.stdout.match(/^last$/gm)).toHaveLength(1);
      // the readable lines
      expect(r.stderr).toContain('connection 2/3: ');
      expect(r.stderr).toMatch(/connection 3\/3: \S+ \S+ resumed=yes/);
    });
  }

  it('against puretls serve --session-tickets 0: nothing to resume, every connection full', async () => {
    const srv = await serve(['--echo', '--session-tickets', '0']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--reconnect', '1', '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r).map((x) => x.resumed)).toEqual([false, false]);
  });

  describe.skipIf(!openssl.ok)(`against openssl s_server${skipNote(openssl)}`, () => {
    for (const version of ['1.3', '1.2'] as const) {
      it(`TLS ${version}: resumed on the 2nd and 3rd connections`, async () => {
        const { port, process: srv } = await startOpensslServer(['-cert', certFile, '-key', keyFile, ...(version === '1.2' ? ['-no_tls1_3'] : [])]);
        const r = await run(['connect', `127.0.0.1:${port}`, '--ca', caFile, '--reconnect', '2', '--json', '--quiet', '--max-version', version]);
        expect(r.code, `${r.stderr}\n${srv.transcript()}`).toBe(0);
        const s = summaries(r);
        expect(s.map((x) => x.version)).toEqual(Array(3).fill(`TLSv${version}`));
        expect(s.map((x) => x.resumed), srv.transcript()).toEqual([false, true, true]);
      });
    }
  });
});

describe('CLI --sess-out / --sess-in across processes', () => {
  it('a session written by one process resumes in another; the files are 0600', async () => {
    const srv = await serve(['--echo']);
    for (const version of ['1.3', '1.2']) {
      const sess = join(dir, `s${version}.bin`);
      const first = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', sess, '--json', '--quiet', '--max-version', version]);
      expect(first.code, first.stderr).toBe(0);
      expect(summaries(first)[0]!.resumed).toBe(false);
      expect(statSync(sess).mode & 0o777).toBe(0o600);
      expect(statSync(`${sess}.key`).mode & 0o777).toBe(0o600);
      expect(statSync(`${sess}.key`).size).toBe(32);
      const second = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', sess, '--json', '--quiet', '--max-version', version]);
      expect(second.code, second.stderr).toBe(0);
      expect(summaries(second)[0]).toMatchObject({ version: `TLSv${version}`, resumed: true });
    }
  });

  it('--sess-key: one key file for several sessions; the session under another key is refused', async () => {
    const srv = await serve(['--echo']);
    const key = join(dir, 'shared.key');
    const other = join(dir, 'other.key');
    const sess = join(dir, 'k.bin');
    const first = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', sess, '--sess-key', key, '--quiet']);
    expect(first.code, first.stderr).toBe(0);
    const ok = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', sess, '--sess-key', key, '--json', '--quiet']);
    expect(summaries(ok)[0]!.resumed).toBe(true);
    // a key made for another purpose (another machine, another user): the file is foreign
    await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', join(dir, 'o.bin'), '--sess-key', other, '--quiet']);
    const foreign = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', sess, '--sess-key', other, '--json', '--quiet']);
    expect(foreign.code).toBe(1);
    expect(summaries(foreign)[0]!.error!.status).toBe('SessionRejected');
  });

  it('a tampered session file is refused (SessionRejected, exit 1, nothing dialled); a missing key is InvalidConfig', async () => {
    const srv = await serve(['--echo']);
    const sess = join(dir, 't.bin');
    expect((await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', sess, '--quiet'])).code).toBe(0);
    const blob = readFileSync(sess);
    const key = readFileSync(`${sess}.key`);
    const before = srv.stderr().match(/connection from/g)?.length ?? 0;
    for (const at of [0, 3, 20, blob.length - 1]) {
      const bad = Buffer.from(blob);
      bad[at]! ^= 0x01;
      const f = join(dir, `t${at}.bin`);
      writeFileSync(f, bad);
      writeFileSync(`${f}.key`, key, { mode: 0o600 });
      const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', f, '--json', '--quiet']);
      expect(r.code).toBe(1);
      expect(summaries(r)[0]!.error!.status).toBe('SessionRejected');
      expect(r.stderr).toContain('SessionRejected');
    }
    // truncated
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, blob.subarray(0, 30));
    writeFileSync(`${cut}.key`, key, { mode: 0o600 });
    expect(summaries(await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', cut, '--json', '--quiet']))[0]!.error!.status).toBe('SessionRejected');
    expect(srv.stderr().match(/connection from/g)?.length ?? 0).toBe(before);
    const nokey = join(dir, 'nokey.bin');
    writeFileSync(nokey, blob);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', nokey, '--json', '--quiet']);
    expect(r.code).toBe(1);
    expect(summaries(r)[0]!.error!.status).toBe('InvalidConfig');
    expect(r.stderr).toContain('nokey.bin.key');
  });

  it('a session offered to another server name is not used: full handshake', async () => {
    const srv = await serve(['--echo']);
    const sess = join(dir, 'name.bin');
    expect((await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', sess, '--quiet'])).code).toBe(0);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--servername', 'localhost', '--sess-in', sess, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r)[0]!.resumed).toBe(false);
  });
});

describe('CLI --early-data', () => {
  it('puretls serve --max-early-data: none on a full handshake, accepted on resumptions (reconnect and --sess-in); the data reaches the server each time', async () => {
    const srv = await serve(['--echo', '--max-early-data', '1024']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--reconnect', '2', '--early-data', earlyFile, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r).map((x) => [x.resumed, x.earlyData])).toEqual([
      [false, 'none'],
      [true, 'accepted'],
      [true, 'accepted'],
    ]);
    expect(r.stdout.match(/^early-hello$/gm)).toHaveLength(3);
    const sess = join(dir, 'e.bin');
    expect((await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-out', sess, '--quiet'])).code).toBe(0);
    const again = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--sess-in', sess, '--early-data', earlyFile, '--json', '--quiet']);
    expect(summaries(again)[0]).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(again.stdout).toContain('early-hello');
  });

  it('puretls serve without --max-early-data: its tickets allow none, so none is offered; the data goes after the handshake', async () => {
    const srv = await serve(['--echo']);
    const r = await run(['connect', `127.0.0.1:${srv.port}`, '--ca', caFile, '--reconnect', '1', '--early-data', earlyFile, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r).map((x) => [x.resumed, x.earlyData])).toEqual([
      [false, 'none'],
      [true, 'none'],
    ]);
    expect(r.stdout.match(/^early-hello$/gm)).toHaveLength(2);
  });

  it('a session from another server (its ticket does not open there): early data rejected, full handshake, data re-sent', async () => {
    const a = await serve(['--echo', '--max-early-data', '1024']);
    const b = await serve(['--echo', '--max-early-data', '1024']);
    const sess = join(dir, 'a.bin');
    expect((await run(['connect', `127.0.0.1:${a.port}`, '--ca', caFile, '--sess-out', sess, '--quiet'])).code).toBe(0);
    const r = await run(['connect', `127.0.0.1:${b.port}`, '--ca', caFile, '--sess-in', sess, '--early-data', earlyFile, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaries(r)[0]).toMatchObject({ resumed: false, earlyData: 'rejected' });
    expect(r.stdout.match(/^early-hello$/gm)).toHaveLength(1);
  });

  it('an empty --early-data file is an error naming it', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const r = await run(['connect', '127.0.0.1:1', '--early-data', empty, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--early-data');
  });

  describe.skipIf(!openssl.ok)(`openssl s_server -early_data${skipNote(openssl)}`, () => {
    it('accepted on the reconnects; s_server prints the early data', async () => {
      const { port, process: srv } = await startOpensslServer(['-cert', certFile, '-key', keyFile, '-early_data']);
      const r = await run(['connect', `127.0.0.1:${port}`, '--ca', caFile, '--reconnect', '2', '--early-data', earlyFile, '--json', '--quiet']);
      expect(r.code, `${r.stderr}\n${srv.transcript()}`).toBe(0);
      expect(summaries(r).map((x) => [x.resumed, x.earlyData]), srv.transcript()).toEqual([
        [false, 'none'],
        [true, 'accepted'],
        [true, 'accepted'],
      ]);
      // two connections' early data (s_server's output order varies with its buffering), three deliveries in all
      await srv.waitForStdout(/^(?=(?:[\s\S]*?Early data received:){2})(?=(?:[\s\S]*?early-hello){3})/);
    });

    it('a ticket from another server offered to s_server -early_data: rejected, full handshake, data re-sent', async () => {
      const a = await serve(['--echo', '--max-early-data', '1024']);
      const sess = join(dir, 'to-openssl.bin');
      expect((await run(['connect', `127.0.0.1:${a.port}`, '--ca', caFile, '--sess-out', sess, '--quiet'])).code).toBe(0);
      const { port, process: srv } = await startOpensslServer(['-cert', certFile, '-key', keyFile, '-early_data']);
      const r = await run(['connect', `127.0.0.1:${port}`, '--ca', caFile, '--sess-in', sess, '--early-data', earlyFile, '--json', '--quiet']);
      expect(r.code, `${r.stderr}\n${srv.transcript()}`).toBe(0);
      expect(summaries(r)[0]).toMatchObject({ resumed: false, earlyData: 'rejected' });
      await srv.waitForStdout('early-hello');
    });
  });
});
