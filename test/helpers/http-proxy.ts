/**
 * HTTP CONNECT proxies for the proxy-transport tests (issue 11 item 7), on 127.0.0.1 only:
 * - {@link startTestProxy}: a scripted proxy in this process that tunnels, refuses, asks for
 *   credentials, sends hostile answers, or never answers, and records what it received;
 * - {@link startTinyproxy}: Debian's `tinyproxy` with `BasicAuth`, started on a free port
 *   with its config in a temporary directory, ended by its own PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** What the scripted proxy does with a CONNECT request. */
export type TestProxyMode =
  /** Tunnel to the requested host:port (after checking credentials, if `credentials` is set). */
  | { kind: 'tunnel'; credentials?: { username: string; password: string }; redirectPort?: number }
  /** Answer with this raw text (status line, headers, body) and close. */
  | { kind: 'answer'; raw: string }
  /** Answer `head` and `extra` in one write, then tunnel (extra = bytes that belong to the tunnel). */
  | { kind: 'extra'; head: string; extra: Uint8Array }
  /** Send header lines forever (never an empty line). */
  | { kind: 'endless' }
  /** Read the request and never answer. */
  | { kind: 'silent' }
  /** Close as soon as the request arrived. */
  | { kind: 'close' };

export interface TestProxy {
  readonly port: number;
  readonly url: string;
  /** The request headers received, one string per connection (up to the empty line). */
  readonly requests: string[];
  /** Bytes received after a request's header before the proxy answered (must stay 0: the client holds TLS back). */
  readonly earlyBytes: number[];
  close(): Promise<void>;
}

/** Starts a scripted CONNECT proxy on 127.0.0.1 (OS-chosen port). */
export async function startTestProxy(mode: TestProxyMode): Promise<TestProxy> {
  const requests: string[] = [];
  const earlyBytes: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    let index = -1;
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      index = requests.push(head) - 1;
      earlyBytes[index] = buf.length - end - 4;
      // Anything more before our answer is counted too.
      const countEarly = (c: Buffer): void => {
        earlyBytes[index]! += c.length;
      };
      client.on('data', countEarly);
      const answerThen = (f: () => void): void => {
        client.off('data', countEarly);
        f();
      };
      const target = /^CONNECT ([^ ]+) HTTP\/1\.1/.exec(head)?.[1];
      switch (mode.kind) {
        case 'answer':
          answerThen(() => client.end(mode.raw));
          return;
        case 'close':
          answerThen(() => client.destroy());
          return;
        case 'silent':
          return;
        case 'endless': {
          client.off('data', countEarly);
          const line = Buffer.from('X-Filler: ' + 'a'.repeat(1000) + '\r\n');
          client.write('HTTP/1.1 200 Connection established\r\n');
          const pump = (): void => {
            while (!client.destroyed && client.write(line));
            if (!client.destroyed) client.once('drain', pump);
          };
          pump();
          return;
        }
        case 'tunnel':
        case 'extra': {
          if (mode.kind === 'tunnel' && mode.credentials) {
            const want = 'Basic ' + Buffer.from(`${mode.credentials.username}:${mode.credentials.password}`).toString('base64');
            const got = /\r\nProxy-Authorization: ([^\r\n]*)/i.exec(head)?.[1];
            if (got !== want) {
              answerThen(() => client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'));
              return;
            }
          }
          const m = target ? /^\[?([^\]]+)\]?:(\d+)$/.exec(target) : null;
          if (!m) {
            answerThen(() => client.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
            return;
          }
          // A hostile proxy may lead the tunnel somewhere else (redirectPort, on loopback).
          const upstream = net.connect({ host: m[1]!, port: mode.kind === 'tunnel' && mode.redirectPort !== undefined ? mode.redirectPort : Number(m[2]) });
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.once('connect', () => {
            answerThen(() => {
              if (mode.kind === 'extra') client.write(Buffer.concat([Buffer.from(mode.head, 'latin1'), mode.extra]));
              else client.write('HTTP/1.1 200 Connection established\r\n\r\n');
              client.pipe(upstream);
              upstream.pipe(client);
            });
          });
          return;
        }
      }
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    earlyBytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------------ tinyproxy

/** Debian's tinyproxy (apt-get install tinyproxy; .ci/run installs it), or the reason it is absent. */
export function tinyproxyBinary(): { ok: true; path: string } | { ok: false; detail: string } {
  for (const p of ['/usr/bin/tinyproxy', '/usr/sbin/tinyproxy']) if (fs.existsSync(p)) return { ok: true, path: p };
  const r = spawnSync('tinyproxy', ['-v'], { encoding: 'utf8' });
  if (!r.error && r.status === 0) return { ok: true, path: 'tinyproxy' };
  return { ok: false, detail: 'tinyproxy not installed (apt-get install tinyproxy)' };
}

/** A free TCP port on 127.0.0.1 (the OS picks it; tinyproxy cannot be told to). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Tinyproxy {
  readonly port: number;
  readonly url: string;
  /** tinyproxy's log so far (requests, refusals). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts tinyproxy on 127.0.0.1 with `BasicAuth username password`, allowing CONNECT only
 * to `connectPorts`, its config and log in a temporary directory; resolves once it accepts
 * connections. Stop it with `stop()` (its own PID only).
 */
export async function startTinyproxy(opts: { username: string; password: string; connectPorts: readonly number[] }): Promise<Tinyproxy> {
  const bin = tinyproxyBinary();
  if (!bin.ok) throw new Error(bin.detail);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-tinyproxy-'));
  const logFile = path.join(dir, 'tinyproxy.log');
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const conf = [
      `Port ${port}`,
      'Listen 127.0.0.1',
      'Timeout 60',
      `LogFile "${logFile}"`,
      'LogLevel Info',
      'MaxClients 50',
      'Allow 127.0.0.1',
      `BasicAuth ${opts.username} ${opts.password}`,
      ...opts.connectPorts.map((p) => `ConnectPort ${p}`),
      'DisableViaHeader Yes',
      '',
    ].join('\n');
    const confFile = path.join(dir, 'tinyproxy.conf');
    fs.writeFileSync(confFile, conf);
    const child: ChildProcess = spawn(bin.path, ['-d', '-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // If the test process ends without stop() (a timeout), tinyproxy must not outlive it.
    const killOnExit = (): void => {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    };
    process.once('exit', killOnExit);
    void exited.then(() => process.off('exit', killOnExit));
    const up = await waitListening(port, exited);
    if (up) {
      return {
        port,
        url: `http://127.0.0.1:${port}`,
        log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
        stop: async () => {
          if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    lastError = new Error(`tinyproxy did not start on port ${port}: ${stderr.trim()}`);
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

/** True once something accepts on 127.0.0.1:port; false if the process exits first or after 10 s. */
async function waitListening(port: number, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + 10_000;
  while (!gone && Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return !gone;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
