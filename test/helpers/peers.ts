/**
 * Real TLS peers for interop tests: `openssl s_server` / `s_client` child processes on
 * loopback, with OS-chosen ports (DESIGN.md §5: never a fixed port, only 127.0.0.1/::1),
 * plus the test PKI written to a temporary directory for them.
 *
 * Every process started here is recorded and ended by its own PID in
 * {@link killAllPeers} (call it from afterEach/afterAll); nothing is ever killed by name.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { generateTestPki, type TestKeyType, type TestPki, type TestPkiOptions } from '../../src/verify/generate.js';

// ------------------------------------------------------------------ availability

export interface ToolCheck {
  readonly ok: boolean;
  /** `openssl version` output when found; the reason to skip otherwise. */
  readonly detail: string;
}

let opensslCheck: ToolCheck | undefined;

/** Is an `openssl` binary (3.x, for TLS 1.3 and the s_server/s_client options used) on PATH? */
export function opensslAvailable(): ToolCheck {
  if (opensslCheck) return opensslCheck;
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    opensslCheck = { ok: false, detail: `openssl not runnable (${r.error?.message ?? `exit ${r.status}`})` };
  } else if (!/^OpenSSL [3-9]\./.test(r.stdout)) {
    opensslCheck = { ok: false, detail: `OpenSSL 3.x required, found '${r.stdout.trim()}'` };
  } else {
    opensslCheck = { ok: true, detail: r.stdout.trim() };
  }
  return opensslCheck;
}

/** Title suffix that carries the skip reason into vitest's report. */
export function skipNote(c: ToolCheck): string {
  return c.ok ? '' : ` (skipped: ${c.detail})`;
}

// ------------------------------------------------------------------ PKI

/** The key types every interop matrix covers. */
export const INTEROP_KEY_TYPES = ['ecdsa-p256', 'ed25519', 'rsa-2048'] as const satisfies readonly TestKeyType[];
export type InteropKeyType = (typeof INTEROP_KEY_TYPES)[number];

/** A PKI plus its PEM files on disk. */
export interface PkiFiles {
  readonly pki: TestPki;
  readonly dir: string;
  /** The trust anchor. */
  readonly caFile: string;
  /** Leaf followed by intermediates. */
  readonly chainFile: string;
  readonly keyFile: string;
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export function makeTempDir(prefix = 'puretls-interop-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

/** Removes every directory made by {@link makeTempDir}. */
export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Generates a PKI for `keyType` (leaf names localhost, 127.0.0.1, ::1) and writes its PEMs. */
export async function makePkiFiles(keyType: TestKeyType): Promise<PkiFiles> {
  const pki = await generateTestPki({ keyType, names: ['localhost', '127.0.0.1', '::1'] });
  const dir = makeTempDir(`puretls-${keyType}-`);
  const caFile = path.join(dir, 'ca.pem');
  const chainFile = path.join(dir, 'chain.pem');
  const keyFile = path.join(dir, 'key.pem');
  fs.writeFileSync(caFile, pki.caCertPem);
  fs.writeFileSync(chainFile, pki.chainPem);
  fs.writeFileSync(keyFile, pki.keyPem, { mode: 0o600 });
  return { pki, dir, caFile, chainFile, keyFile };
}

/** A PKI with options (e.g. intermediates), with the leaf and the intermediates also in files of their own. */
export async function makePkiFilesWith(opts: TestPkiOptions): Promise<PkiFiles & { leafFile: string; intermediatesFile: string }> {
  const pki = await generateTestPki({ names: ['localhost', '127.0.0.1', '::1'], ...opts });
  const dir = makeTempDir(`puretls-${opts.keyType ?? 'ecdsa-p256'}-chain-`);
  const files = {
    caFile: path.join(dir, 'ca.pem'),
    chainFile: path.join(dir, 'chain.pem'),
    keyFile: path.join(dir, 'key.pem'),
    leafFile: path.join(dir, 'leaf.pem'),
    intermediatesFile: path.join(dir, 'intermediates.pem'),
  };
  fs.writeFileSync(files.caFile, pki.caCertPem);
  fs.writeFileSync(files.chainFile, pki.chainPem);
  fs.writeFileSync(files.keyFile, pki.keyPem, { mode: 0o600 });
  fs.writeFileSync(files.leafFile, pki.certPem);
  fs.writeFileSync(files.intermediatesFile, pki.intermediateCertPems.join(''));
  return { pki, dir, ...files };
}

/** One PKI per interop key type, generated in parallel. */
export async function makeAllPkiFiles(): Promise<Record<InteropKeyType, PkiFiles>> {
  const entries = await Promise.all(INTEROP_KEY_TYPES.map(async (k) => [k, await makePkiFiles(k)] as const));
  return Object.fromEntries(entries) as Record<InteropKeyType, PkiFiles>;
}

// ------------------------------------------------------------------ names

/** IANA group name → OpenSSL `-groups` name. */
export const OPENSSL_GROUP: Record<string, string> = { x25519: 'X25519', secp256r1: 'P-256', secp384r1: 'P-384' };

/** What `s_client` prints after "Server Temp Key:" for each group. */
export const OPENSSL_TEMP_KEY: Record<string, RegExp> = {
  x25519: /Server Temp Key: X25519, 253 bits/,
  secp256r1: /Server Temp Key: ECDH, (prime256v1|P-256|secp256r1), 256 bits/,
  secp384r1: /Server Temp Key: ECDH, (secp384r1|P-384), 384 bits/,
};

/** The signature scheme a TLS 1.3 server signs with for each key type (IANA names). */
export const EXPECTED_SCHEME: Record<InteropKeyType, string> = {
  'ecdsa-p256': 'ecdsa_secp256r1_sha256',
  ed25519: 'ed25519',
  'rsa-2048': 'rsa_pss_rsae_sha256',
};

/** What `s_client` prints as "Peer signature type:" for each key type. */
export const OPENSSL_PEER_SIG_TYPE: Record<InteropKeyType, string> = {
  'ecdsa-p256': 'ECDSA',
  ed25519: 'ed25519',
  'rsa-2048': 'RSA-PSS',
};

export const TLS13_SUITE_NAMES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
export const TLS13_GROUP_NAMES = ['x25519', 'secp256r1', 'secp384r1'] as const;

// ------------------------------------------------------------------ processes

type Proc = ChildProcessByStdio<Writable, Readable, Readable>;

const live = new Set<PeerProcess>();

/** A spawned openssl process with captured output. */
export class PeerProcess {
  readonly proc: Proc;
  readonly pid: number;
  readonly argv: readonly string[];
  private out: Buffer[] = [];
  private outLength = 0;
  private err: Buffer[] = [];
  private listeners = new Set<() => void>();
  /** Exit status once exited. */
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  exited = false;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: readonly string[]) {
    this.argv = ['openssl', ...args];
    this.proc = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`could not spawn ${this.argv.join(' ')}`);
    this.pid = this.proc.pid;
    live.add(this);
    this.proc.stdout.on('data', (b: Buffer) => {
      this.out.push(b);
      this.outLength += b.length;
      this.notify();
    });
    this.proc.stderr.on('data', (b: Buffer) => {
      this.err.push(b);
      this.notify();
    });
    // EPIPE when the peer exits before reading all of its stdin is expected; the test asserts on output.
    this.proc.stdin.on('error', () => {});
    this.exit = new Promise((resolve) => {
      this.proc.on('close', (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(this);
        this.notify();
        resolve({ code, signal });
      });
    });
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Everything written to stdout so far. */
  get stdoutBytes(): Buffer {
    if (this.out.length > 1) this.out = [Buffer.concat(this.out)];
    return this.out[0] ?? Buffer.alloc(0);
  }
  get stdoutLength(): number {
    return this.outLength;
  }
  get stdout(): string {
    return this.stdoutBytes.toString('latin1');
  }
  get stderr(): string {
    return Buffer.concat(this.err).toString('latin1');
  }

  /** stdout and stderr, for failure messages (binary data elided). */
  transcript(max = 6000): string {
    const o = this.stdout;
    const clip = (s: string): string => (s.length > max ? `${s.slice(0, max / 2)}\n[... ${s.length - max} chars ...]\n${s.slice(-max / 2)}` : s);
    return `$ ${this.argv.join(' ')}\n--- stdout (${o.length} bytes)\n${clip(o)}\n--- stderr\n${clip(this.stderr)}\n--- exit ${this.exited ? `${this.exitCode ?? ''}${this.exitSignal ?? ''}` : '(running)'}`;
  }

  /** Waits until `pred()` holds; rejects on timeout or if the process exits first. */
  waitFor(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          done();
          resolve();
        } else if (this.exited) {
          done();
          reject(new Error(`openssl exited before ${what}\n${this.transcript()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.transcript()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits until stdout matches. */
  waitForStdout(re: RegExp | string, timeoutMs = 20_000): Promise<void> {
    const test = typeof re === 'string' ? (s: string) => s.includes(re) : (s: string) => re.test(s);
    return this.waitFor(() => test(this.stdout), `stdout to match ${String(re)}`, timeoutMs);
  }

  /** Waits until at least `n` bytes were written to stdout. */
  waitForStdoutLength(n: number, timeoutMs = 30_000): Promise<void> {
    return this.waitFor(() => this.outLength >= n, `${n} bytes on stdout`, timeoutMs);
  }

  /** Waits for the process to exit (rejects on timeout). */
  async waitForExit(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    await this.waitFor(() => this.exited, 'exit', timeoutMs).catch((e: unknown) => {
      if (!this.exited) throw e;
    });
    return this.exit;
  }

  /** Writes to stdin; resolves when the pipe accepted it. */
  async send(data: string | Uint8Array): Promise<void> {
    if (this.proc.stdin.destroyed || this.proc.stdin.writableEnded) throw new Error(`stdin of ${this.pid} is closed`);
    await new Promise<void>((resolve, reject) => {
      this.proc.stdin.write(data, (e) => (e ? reject(e) : resolve()));
    });
  }

  /** Closes stdin (EOF). */
  endInput(): void {
    if (!this.proc.stdin.writableEnded) this.proc.stdin.end();
  }

  /** Ends the process by its PID (SIGTERM, then SIGKILL after a grace period). */
  async kill(): Promise<void> {
    if (this.exited) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    const t = setTimeout(() => {
      try {
        if (!this.exited) process.kill(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 2000);
    await this.exit;
    clearTimeout(t);
  }
}

/** Ends every openssl process started by this module that is still running (by PID). */
export async function killAllPeers(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

// ------------------------------------------------------------------ s_server

/** A running `openssl s_server` with the port it was given by the OS. */
export interface OpensslServer {
  readonly process: PeerProcess;
  readonly port: number;
}

/**
 * Finds the TCP port a process is listening on, from /proc (used for `s_server -quiet`,
 * which prints nothing, not even its ACCEPT line). Linux only.
 */
function listeningPortOf(pid: number): number | null {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const inodes = new Set<string>();
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== '0A' || !inodes.has(f[9]!)) continue;
      const port = parseInt(f[1]!.split(':')[1]!, 16);
      if (port > 0) return port;
    }
  }
  return null;
}

/**
 * Starts `openssl s_server -accept 127.0.0.1:0 <args>` and waits until it listens.
 *
 * Without `-quiet` the port comes from its `ACCEPT 127.0.0.1:PORT` line; with `-quiet`
 * (whose stdout then carries only the application data received) it comes from /proc.
 */
export async function startOpensslServer(args: readonly string[], timeoutMs = 10_000): Promise<OpensslServer> {
  const p = new PeerProcess(['s_server', '-accept', '127.0.0.1:0', ...args]);
  let port: number | null = null;
  if (args.includes('-quiet')) {
    // Nothing is printed: poll /proc until the listening socket appears.
    const deadline = Date.now() + timeoutMs;
    while ((port = listeningPortOf(p.pid)) === null) {
      if (p.exited) throw new Error(`openssl exited before listening\n${p.transcript()}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for the listening socket\n${p.transcript()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } else {
    await p.waitForStdout(/ACCEPT 127\.0\.0\.1:(\d+)/, timeoutMs);
    port = Number(/ACCEPT 127\.0\.0\.1:(\d+)/.exec(p.stdout)![1]);
  }
  return { process: p, port: port! };
}

// ------------------------------------------------------------------ s_client

/** Starts `openssl s_client -connect 127.0.0.1:PORT <args>`. */
export function startOpensslClient(port: number, args: readonly string[]): PeerProcess {
  return new PeerProcess(['s_client', '-connect', `127.0.0.1:${port}`, ...args]);
}

// ------------------------------------------------------------------ data

/** The non-comment lines of an NSS key log file. */
export function readKeyLog(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** sha256 hex of some bytes. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
