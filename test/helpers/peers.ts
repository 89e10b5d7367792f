/**
 * Real TLS peers for interop tests: `openssl s_server` / `s_client` child processes on
 * loopback, with OS-chosen ports (DESIGN.md §5: never a fixed port, only 127.0.0.1/::1),
 * plus the test PKI written to a temporary directory for them.
 *
 * Every process started here is recorded and ended by its own PID in
 * {@link killAllPeers} (call it from afterEach/afterAll); nothing is ever killed by name.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
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

/** A spawned peer process (openssl by default; also gnutls-cli, unshare) with captured output. */
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

  /**
   * How {@link kill} asks the process to stop before SIGKILL (default: SIGTERM to `pid`).
   * Namespace peers override it: `unshare --fork` ignores SIGTERM.
   */
  softStop: (() => void) | undefined;

  constructor(args: readonly string[], command = 'openssl', env?: NodeJS.ProcessEnv) {
    this.argv = [command, ...args];
    this.proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
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
          reject(new Error(`${this.argv[0]} exited before ${what}\n${this.transcript()}`));
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
      if (this.softStop) this.softStop();
      else process.kill(this.pid, 'SIGTERM');
    } catch {
      if (!this.softStop) return; // already gone
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

/** Ends every peer process started by this module that is still running (by PID). */
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
 * Without `-quiet` the port comes from its `ACCEPT 127.0.0.1:PORT` line; with `-quiet` or
 * `-brief` (whose stdout then carries only the application data received; `-brief`
 * prints a connection summary on stderr) it comes from /proc.
 */
export async function startOpensslServer(args: readonly string[], timeoutMs = 10_000): Promise<OpensslServer> {
  const p = new PeerProcess(['s_server', '-accept', '127.0.0.1:0', ...args]);
  let port: number | null = null;
  if (args.includes('-quiet') || args.includes('-brief')) {
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

// ------------------------------------------------------------------ TLS 1.2 names

/** A TLS 1.2 suite with its names in OpenSSL and GnuTLS and the certificate key types that can serve it. */
export interface Tls12SuiteInfo {
  /** IANA name (what our `info.cipherSuite` says). */
  readonly name: string;
  /** OpenSSL `-cipher` name (what `-brief` prints as "Ciphersuite:"). */
  readonly openssl: string;
  /** GnuTLS priority cipher name. */
  readonly gnutlsCipher: string;
  /** GnuTLS key exchange name. */
  readonly gnutlsKx: 'ECDHE-ECDSA' | 'ECDHE-RSA';
  /** Certificates that authenticate it: ECDSA suites take ECDSA and Ed25519 keys (RFC 8422 §5.2), RSA suites RSA keys. */
  readonly keyTypes: readonly InteropKeyType[];
}

const ECDSA_KEYS = ['ecdsa-p256', 'ed25519'] as const satisfies readonly InteropKeyType[];
const RSA_KEYS = ['rsa-2048'] as const satisfies readonly InteropKeyType[];

/** The six TLS 1.2 suites puretls implements. */
export const TLS12_SUITE_INFO: readonly Tls12SuiteInfo[] = [
  { name: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256', gnutlsCipher: 'AES-128-GCM', gnutlsKx: 'ECDHE-ECDSA', keyTypes: ECDSA_KEYS },
  { name: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384', gnutlsCipher: 'AES-256-GCM', gnutlsKx: 'ECDHE-ECDSA', keyTypes: ECDSA_KEYS },
  { name: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305', gnutlsCipher: 'CHACHA20-POLY1305', gnutlsKx: 'ECDHE-ECDSA', keyTypes: ECDSA_KEYS },
  { name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', openssl: 'ECDHE-RSA-AES128-GCM-SHA256', gnutlsCipher: 'AES-128-GCM', gnutlsKx: 'ECDHE-RSA', keyTypes: RSA_KEYS },
  { name: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', openssl: 'ECDHE-RSA-AES256-GCM-SHA384', gnutlsCipher: 'AES-256-GCM', gnutlsKx: 'ECDHE-RSA', keyTypes: RSA_KEYS },
  { name: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', openssl: 'ECDHE-RSA-CHACHA20-POLY1305', gnutlsCipher: 'CHACHA20-POLY1305', gnutlsKx: 'ECDHE-RSA', keyTypes: RSA_KEYS },
];

/** Every (suite, certificate) pair the TLS 1.2 matrices cover (9; × 3 groups = 27 cases). */
export const TLS12_SUITE_CERTS: readonly { readonly suite: Tls12SuiteInfo; readonly kt: InteropKeyType }[] = TLS12_SUITE_INFO.flatMap((suite) =>
  suite.keyTypes.map((kt) => ({ suite, kt })),
);

/** What `openssl s_client -brief` prints as "Server Temp Key:" for each group: the same line as without -brief. */
export const OPENSSL_BRIEF_TEMP_KEY: Record<string, RegExp> = OPENSSL_TEMP_KEY;

/** What `openssl -brief` prints as "Signature type:" / "Peer signature type:" for each key type: the names printed without -brief. */
export const OPENSSL_BRIEF_SIG_TYPE: Record<InteropKeyType, string> = OPENSSL_PEER_SIG_TYPE;

/** The 8-byte TLS 1.2 downgrade sentinel a TLS 1.3 server puts at the end of ServerHello.random (RFC 8446 §4.1.3). */
export const DOWNGRADE_TLS12 = Buffer.from('444f574e47524401', 'hex');

// ------------------------------------------------------------------ GnuTLS

let gnutlsCheck: ToolCheck | undefined;
let gnutlsNsCheck: ToolCheck | undefined;

function versionOfTool(cmd: string): { ok: boolean; text: string } {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, text: `${cmd} not runnable (${r.error?.message ?? `exit ${r.status}`})` };
  return { ok: true, text: r.stdout.split('\n')[0]!.trim() };
}

/** Is `gnutls-cli` (3.x) on PATH? (Enough for the direction gnutls-cli → our server.) */
export function gnutlsCliAvailable(): ToolCheck {
  if (gnutlsCheck) return gnutlsCheck;
  const v = versionOfTool('gnutls-cli');
  gnutlsCheck = !v.ok ? { ok: false, detail: v.text } : /gnutls-cli 3\./.test(v.text) ? { ok: true, detail: v.text } : { ok: false, detail: `GnuTLS 3.x required, found '${v.text}'` };
  return gnutlsCheck;
}

/**
 * Can `gnutls-serv` run in a private network and PID namespace? It binds every interface
 * (no bind address option), so DESIGN.md §5 confines it with `unshare -n`; that needs
 * gnutls-serv, unshare, ip and the right to create namespaces (root or CAP_SYS_ADMIN).
 */
export function gnutlsServAvailable(): ToolCheck {
  if (gnutlsNsCheck) return gnutlsNsCheck;
  const v = versionOfTool('gnutls-serv');
  if (!v.ok) return (gnutlsNsCheck = { ok: false, detail: v.text });
  const r = spawnSync('unshare', ['--net', '--pid', '--fork', '--kill-child', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    return (gnutlsNsCheck = { ok: false, detail: `cannot run 'unshare --net --pid --fork ip link set lo up' (${r.error?.message ?? r.stderr.trim()})` });
  }
  return (gnutlsNsCheck = { ok: true, detail: v.text });
}

/** IANA group name → GnuTLS priority group keyword. */
export const GNUTLS_GROUP: Record<string, string> = { x25519: 'GROUP-X25519', secp256r1: 'GROUP-SECP256R1', secp384r1: 'GROUP-SECP384R1' };
/** IANA group name → the curve name GnuTLS prints in "- Description:" (…-(ECDHE-X25519)-…). */
export const GNUTLS_GROUP_DESC: Record<string, string> = { x25519: 'X25519', secp256r1: 'SECP256R1', secp384r1: 'SECP384R1' };
/** TLS 1.3 suite → GnuTLS cipher name. */
export const GNUTLS_TLS13_CIPHER: Record<string, string> = {
  TLS_AES_128_GCM_SHA256: 'AES-128-GCM',
  TLS_AES_256_GCM_SHA384: 'AES-256-GCM',
  TLS_CHACHA20_POLY1305_SHA256: 'CHACHA20-POLY1305',
};

/**
 * A GnuTLS priority string limited to one protocol version and, optionally, one cipher,
 * one group and one TLS 1.2 key exchange (`NORMAL:-VERS-ALL:+VERS-TLS1.2:...`).
 */
export function gnutlsPriority(version: 'TLS1.2' | 'TLS1.3', o: { cipher?: string; group?: string; kx?: string } = {}): string {
  let p = `NORMAL:-VERS-ALL:+VERS-${version}`;
  if (o.cipher) p += `:-CIPHER-ALL:+${o.cipher}`;
  if (o.group) p += `:-GROUP-ALL:+${GNUTLS_GROUP[o.group] ?? o.group}`;
  if (o.kx) p += `:-KX-ALL:+${o.kx}`;
  return p;
}

/**
 * The process that runs as PID 1 of the private namespaces: brings `lo` up, starts the
 * server command, finds its TCP port from the namespace's own /proc/net/tcp (only it
 * listens there), and forwards connections from a Unix socket in the host's filesystem
 * to 127.0.0.1:PORT inside the namespace (filesystem sockets cross network namespaces,
 * TCP does not). Half-closes are forwarded, so close_notify / FIN ordering is kept.
 * It stops the server when its stdin closes or on SIGTERM; when it exits the kernel
 * kills everything else in its PID namespace, so nothing can outlive the test.
 */
const NS_BRIDGE_SOURCE = String.raw`
import net from 'node:net';
import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
const [sockPath, cmd, ...args] = process.argv.slice(2);
const up = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
if (up.status !== 0) { process.stderr.write('bridge: ip link set lo up failed: ' + (up.stderr || up.error) + '\n'); process.exit(3); }
const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;
let server;
function stop(code) {
  if (stopping) return;
  stopping = true;
  try { server?.close(); } catch {}
  try { fs.unlinkSync(sockPath); } catch {}
  if (child.exitCode !== null || child.signalCode !== null) process.exit(code);
  child.once('exit', () => process.exit(code));
  try { child.kill('SIGTERM'); } catch {}
  setTimeout(() => process.exit(code), 1000).unref();
}
child.on('exit', (c, s) => {
  if (!stopping) { process.stderr.write('bridge: ' + cmd + ' exited (' + (c ?? s) + ')\n'); stop(4); }
});
child.on('error', (e) => { process.stderr.write('bridge: cannot run ' + cmd + ': ' + e.message + '\n'); stop(5); });
process.on('SIGTERM', () => stop(0));
process.on('SIGINT', () => stop(0));
process.stdin.on('end', () => stop(0));
process.stdin.on('error', () => stop(0));
process.stdin.resume();
function listeningPort() {
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = fs.readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A') return { port: parseInt(f[1].split(':')[1], 16), v6: table.endsWith('6') };
    }
  }
  return null;
}
const deadline = Date.now() + 10000;
const poll = setInterval(() => {
  if (stopping) { clearInterval(poll); return; }
  const l = listeningPort();
  if (l === null) {
    if (Date.now() > deadline) { clearInterval(poll); process.stderr.write('bridge: ' + cmd + ' never listened\n'); stop(6); }
    return;
  }
  clearInterval(poll);
  const host = l.v6 ? '::1' : '127.0.0.1';
  server = net.createServer({ allowHalfOpen: true }, (a) => {
    const b = net.connect({ port: l.port, host, allowHalfOpen: true });
    a.pipe(b);
    b.pipe(a);
    a.on('error', () => b.destroy());
    b.on('error', () => a.destroy());
  });
  server.listen(sockPath, () => process.stdout.write('BRIDGE READY port=' + l.port + '\n'));
}, 20);
`;

/** A peer server confined to private network + PID namespaces, reachable through a Unix socket. */
export interface NamespacedServer {
  /** The `unshare` process (its output carries the server's stdout and stderr). */
  readonly process: PeerProcess;
  /** Connect here (`net.connect({ path })`): forwarded to the server inside the namespace. */
  readonly socketPath: string;
  /** The server's port inside the namespace (meaningless outside it). */
  readonly port: number;
}

/**
 * Runs `command args` (a server that binds every interface, such as `gnutls-serv -p 0`)
 * inside `unshare --net --pid --fork --kill-child`, behind the {@link NS_BRIDGE_SOURCE}
 * bridge. Stopped by {@link killAllPeers} (SIGTERM to the bridge, by PID; SIGKILL to
 * unshare after a grace period, which takes the whole namespace down).
 */
export async function startNamespacedServer(command: string, args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<NamespacedServer> {
  const dir = makeTempDir('puretls-ns-');
  const bridge = path.join(dir, 'bridge.mjs');
  fs.writeFileSync(bridge, NS_BRIDGE_SOURCE);
  const socketPath = path.join(dir, 'peer.sock');
  const p = new PeerProcess(['--net', '--pid', '--fork', '--kill-child', '--', process.execPath, bridge, socketPath, command, ...args], 'unshare', env);
  // `unshare --fork` ignores SIGTERM: stop the bridge (its child, PID 1 of the namespace) instead.
  p.softStop = () => {
    p.endInput();
    let kids: string[] = [];
    try {
      kids = fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      /* gone */
    }
    for (const k of kids) {
      try {
        process.kill(Number(k), 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  };
  await p.waitForStdout(/BRIDGE READY port=(\d+)/, timeoutMs);
  const port = Number(/BRIDGE READY port=(\d+)/.exec(p.stdout)![1]);
  return { process: p, socketPath, port };
}

/** `gnutls-serv -p 0 <args>` in its own namespaces (see {@link startNamespacedServer}). */
export function startGnutlsServer(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<NamespacedServer> {
  return startNamespacedServer('gnutls-serv', ['-p', '0', ...args], env);
}

/** Starts `gnutls-cli -p PORT 127.0.0.1 <args>` (connects out only: no namespace needed). */
export function startGnutlsClient(port: number, args: readonly string[], env?: NodeJS.ProcessEnv): PeerProcess {
  return new PeerProcess(['-p', String(port), '127.0.0.1', ...args], 'gnutls-cli', env);
}

/**
 * `n` bytes of random base64 text in 76-character lines ending with '\n'. GnuTLS's
 * `gnutls-serv --echo` treats input as C strings and echoes once it sees a newline, so
 * bulk data through it must be NUL-free text ending in '\n'.
 */
export function randomTextLines(n: number): Buffer {
  const out = Buffer.alloc(n);
  const src = randomBytesB64(n);
  let o = 0;
  let i = 0;
  while (o < n) {
    if ((o + 1) % 77 === 0 || o === n - 1) out[o++] = 0x0a;
    else out[o++] = src.charCodeAt(i++);
  }
  return out;
}

function randomBytesB64(n: number): string {
  return randomBytes(Math.ceil((n * 3) / 4) + 3).toString('base64');
}

// ------------------------------------------------------------------ TLS 1.2 / GnuTLS matrices

/** The scheme signing a TLS 1.2 ServerKeyExchange between puretls and OpenSSL 3.0 / GnuTLS 3.7, per key type. */
export const TLS12_EXPECTED_SCHEME: Record<InteropKeyType, string> = {
  'ecdsa-p256': 'ecdsa_secp256r1_sha256',
  ed25519: 'ed25519',
  'rsa-2048': 'rsa_pss_rsae_sha256',
};

/** How GnuTLS names the signature algorithm in "- Description:" for each key type (1.3 names the curve). */
const GNUTLS_SIG_DESC: Record<InteropKeyType, string> = {
  'ecdsa-p256': 'ECDSA-(?:SECP256R1-)?SHA256',
  ed25519: 'EdDSA-Ed25519',
  'rsa-2048': 'RSA-PSS-RSAE-SHA256',
};

/** One GnuTLS interop case: a version, suite, group and certificate, with its priority string. */
export interface GnutlsCase {
  readonly title: string;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  readonly suite: string;
  readonly group: string;
  readonly kt: InteropKeyType;
  /** GnuTLS priority limited to this version, cipher, group (and TLS 1.2 key exchange). */
  readonly priority: string;
  /** The cipher name GnuTLS prints. */
  readonly cipher: string;
  /** Our expected `info.signatureScheme`. */
  readonly scheme: string;
  /** The whole "- Description:" line GnuTLS should print. */
  readonly description: RegExp;
}

function gnutlsCase(version: 'TLSv1.2' | 'TLSv1.3', suite: string, group: string, kt: InteropKeyType, cipher: string, kx?: string): GnutlsCase {
  const v = version === 'TLSv1.2' ? 'TLS1.2' : 'TLS1.3';
  return {
    title: `${version === 'TLSv1.2' ? 'TLS 1.2' : 'TLS 1.3'} ${suite} / ${group} / ${kt}`,
    version,
    suite,
    group,
    kt,
    priority: gnutlsPriority(v, kx ? { cipher, group, kx } : { cipher, group }),
    cipher,
    scheme: version === 'TLSv1.2' ? TLS12_EXPECTED_SCHEME[kt] : EXPECTED_SCHEME[kt],
    description: new RegExp(`^\\(${v.replace('.', '\\.')}-X\\.509\\)-\\(ECDHE-${GNUTLS_GROUP_DESC[group]!}\\)-\\(${GNUTLS_SIG_DESC[kt]}\\)-\\(${cipher}\\)$`),
  };
}

/**
 * The GnuTLS matrix: TLS 1.2 every suite × group × certificate that can serve it (27) and
 * TLS 1.3 every suite × group × certificate (27).
 */
export const GNUTLS_MATRIX: readonly GnutlsCase[] = [
  ...TLS12_SUITE_CERTS.flatMap(({ suite, kt }) => TLS13_GROUP_NAMES.map((group) => gnutlsCase('TLSv1.2', suite.name, group, kt, suite.gnutlsCipher, suite.gnutlsKx))),
  ...INTEROP_KEY_TYPES.flatMap((kt) =>
    TLS13_SUITE_NAMES.flatMap((suite) => TLS13_GROUP_NAMES.map((group) => gnutlsCase('TLSv1.3', suite, group, kt, GNUTLS_TLS13_CIPHER[suite]!))),
  ),
];

/** The "- Description:" line GnuTLS prints for a session, e.g. `(TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)`. */
export function gnutlsDescription(text: string): string {
  const m = /- Description: (.*)/.exec(text);
  return m ? m[1]!.trim() : '';
}
