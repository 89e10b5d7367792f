/**
 * Real servers for the recipe tests (issue 11 item 4): PostgreSQL 15 with `ssl = on`, Redis
 * with `tls-port`, Mosquitto with a TLS listener; each in a temporary directory with a
 * generated certificate, on a free loopback port, stopped by `stop()`. PostgreSQL refuses to
 * run as root: as root, it runs as the `postgres` user (`runuser`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestPki } from '../../src/verify/generate.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
export const havePostgres = existsSync(join(PG_BIN, 'postgres'));
export const haveRedis = binaryOnPath('redis-server');
export const haveMosquitto = binaryOnPath('mosquitto') || existsSync('/usr/sbin/mosquitto');

function binaryOnPath(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A port the OS reports free (listen on 0, close). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves once `port` accepts TCP connections (or rejects after `ms`). */
export async function waitForPort(port: number, ms = 20_000, child?: ChildProcess): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface RunningServer {
  readonly port: number;
  stop(): Promise<void>;
}

function writeIdentity(dir: string, pki: TestPki): { cert: string; key: string } {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  writeFileSync(cert, pki.chainPem);
  writeFileSync(key, pki.keyPem, { mode: 0o600 });
  return { cert, key };
}

/** PostgreSQL 15, `ssl = on` with `pki`'s identity, trust authentication for user `postgres`. */
export async function startPostgres(pki: TestPki): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = (bin: string, args: string[]): void => {
    const cmd = asRoot ? ['runuser', '-u', 'postgres', '--', join(PG_BIN, bin), ...args] : [join(PG_BIN, bin), ...args];
    execFileSync(cmd[0]!, cmd.slice(1), { stdio: 'pipe', cwd: '/' });
  };
  if (asRoot) {
    const pgUid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const pgGid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, pgUid, pgGid);
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    const { cert, key } = writeIdentity(dir, pki);
    chownSync(cert, pgUid, pgGid);
    chownSync(key, pgUid, pgGid);
  } else {
    run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '--no-sync']);
    writeIdentity(dir, pki);
  }
  const port = await freePort();
  appendFileSync(
    join(dir, 'data', 'postgresql.conf'),
    [
      `listen_addresses = '127.0.0.1'`,
      `port = ${port}`,
      `unix_socket_directories = '${dir}'`,
      `ssl = on`,
      `ssl_cert_file = '${join(dir, 'server.crt')}'`,
      `ssl_key_file = '${join(dir, 'server.key')}'`,
      `fsync = off`,
      '',
    ].join('\n'),
  );
  run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '30', 'start']);
  return {
    port,
    async stop() {
      try {
        run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function spawnServer(bin: string, args: string[], cwd: string): ChildProcess {
  const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function stopChild(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}

/** redis-server with only a TLS port (`tls-port`), clients not asked for certificates. */
export async function startRedis(pki: TestPki): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-redis-'));
  const { cert, key } = writeIdentity(dir, pki);
  const port = await freePort();
  const child = spawnServer('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no', '--dir', dir], dir);
  await waitForPort(port, 20_000, child);
  return { port, stop: () => stopChild(child, dir) };
}

/** mosquitto with one TLS listener on loopback, anonymous clients allowed. */
export async function startMosquitto(pki: TestPki): Promise<RunningServer> {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-mqtt-'));
  chmodSync(dir, 0o755);
  const { cert, key } = writeIdentity(dir, pki);
  // As root, mosquitto drops to its own user: the files must be readable by it (test keys only).
  chmodSync(key, 0o644);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, `certfile ${cert}`, `keyfile ${key}`, 'allow_anonymous true', 'persistence false', ''].join('\n'));
  chmodSync(conf, 0o644);
  const child = spawnServer(existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto', ['-c', conf], dir);
  await waitForPort(port, 20_000, child);
  return { port, stop: () => stopChild(child, dir) };
}
