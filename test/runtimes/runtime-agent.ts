/**
 * Drives test/runtimes/fixtures/agent.ts under the real Deno and Bun (npm devDependencies)
 * from vitest, and the Node-side peers of the 16 MiB transfers: each side sends `n`
 * deterministic pseudo-random bytes and hashes what it receives; the test compares the hashes
 * crosswise. Processes are PeerProcess children (ended by PID in killAllPeers).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type tls from 'node:tls';
import { PeerProcess } from '../helpers/peers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const AGENT = path.join(ROOT, 'test/runtimes/fixtures/agent.ts');
export const DENO = path.join(ROOT, 'node_modules/deno/deno');
export const BUN = path.join(ROOT, 'node_modules/bun/bin/bun.exe');

export type Runtime = 'deno' | 'bun';

/** Is the runtime binary present (the npm devDependency)? The reason to skip when not. */
export function runtimeAvailable(rt: Runtime): { ok: boolean; detail: string } {
  const bin = rt === 'deno' ? DENO : BUN;
  return fs.existsSync(bin) ? { ok: true, detail: bin } : { ok: false, detail: `${bin} absent (npm ci installs the ${rt} devDependency)` };
}

/** What agent.ts takes (see its header). */
export interface AgentConfig {
  impl: 'puretls' | 'native' | 'upgrade';
  role: 'client' | 'server';
  host?: string;
  port?: number;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
  n: number;
  slowMs?: number;
  stallMs?: number;
  alpn?: string[];
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  provider?: 'pure' | 'native';
  proxy?: { url: string; username?: string; password?: string };
  refusePrivateAddresses?: boolean;
  tolerateErrors?: boolean;
}

export interface AgentDone {
  sentSha: string;
  recvSha: string;
  sent: number;
  received: number;
  sendMs: number;
  recvMs: number;
}

/** A running agent and the JSON lines it printed. */
export class Agent {
  readonly proc: PeerProcess;
  constructor(rt: Runtime, config: AgentConfig, extraFlags: readonly string[] = []) {
    const args =
      rt === 'deno'
        ? ['run', '--allow-net', '--allow-read', '--unstable-sloppy-imports', '-q', ...extraFlags, AGENT, JSON.stringify(config)]
        : [...extraFlags, AGENT, JSON.stringify(config)];
    this.proc = new PeerProcess(args, rt === 'deno' ? DENO : BUN, rt === 'deno' ? { NO_COLOR: '1' } : undefined);
  }
  /** Every JSON line printed so far. */
  get lines(): Record<string, unknown>[] {
    return this.proc.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  /** The value of the first line with `key` (waits for it; rejects if an `error` line comes first). */
  async get<T>(key: string, timeoutMs = 60_000, ignoreErrors = false): Promise<T> {
    await this.proc.waitFor(() => this.lines.some((l) => key in l || (!ignoreErrors && 'error' in l)), `"${key}" from the agent`, timeoutMs);
    const line = this.lines.find((l) => key in l);
    if (!line) throw new Error(`agent error before "${key}": ${JSON.stringify(this.lines.find((l) => 'error' in l))}\n${this.proc.transcript()}`);
    return line[key] as T;
  }
  /** The agent's `error` line (waits for it). */
  async error(timeoutMs = 60_000): Promise<{ status: string | null; name: string | null; message: string; alert: number | null }> {
    await this.proc.waitFor(() => this.lines.some((l) => 'error' in l), 'an error from the agent', timeoutMs);
    return this.lines.find((l) => 'error' in l)!.error as never;
  }
}

/** The agent's generator (xorshift32, 64 KiB chunks): the bytes a side with `seed` sends. */
export function* agentChunks(n: number, seed: number): Generator<Uint8Array> {
  let x = seed >>> 0 || 1;
  for (let off = 0; off < n; off += 65536) {
    const len = Math.min(65536, n - off);
    const w = new Uint32Array(Math.ceil(len / 4));
    for (let i = 0; i < w.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      w[i] = x;
    }
    yield new Uint8Array(w.buffer, 0, len);
  }
}

/** Seeds of the agent's sending side per role (the peer uses the other one). */
export const SEED = { client: 0x1234, server: 0x9876 } as const;

export interface NodeTransfer {
  sentSha: string;
  recvSha: string;
  received: number;
  ms: number;
  /** Bytes the peer had sent (handed to the kernel) when the agent said its stalled reader resumed. */
  writtenAtStallEnd?: number;
}

/**
 * The Node side of a transfer over a connected TLS socket: sends `n` bytes (honouring
 * back-pressure), reads `n` bytes, then ends (close_notify) and waits for the peer's end.
 */
export async function nodeTransfer(s: tls.TLSSocket, n: number, seed: number, opts: { onStallEnd?: Promise<unknown> } = {}): Promise<NodeTransfer> {
  const t0 = performance.now();
  const result: Partial<NodeTransfer> = {};
  if (opts.onStallEnd) void opts.onStallEnd.then(() => (result.writtenAtStallEnd = s.bytesWritten ?? 0));
  const recv = new Promise<{ sha: string; got: number }>((resolve, reject) => {
    const h = createHash('sha256');
    let got = 0;
    s.on('data', (d: Buffer) => {
      h.update(d);
      got += d.length;
      if (got >= n) resolve({ sha: h.digest('hex'), got });
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed after ${got}/${n} bytes`)));
  });
  const h = createHash('sha256');
  for (const c of agentChunks(n, seed)) {
    h.update(c);
    if (!s.write(c)) await new Promise((r) => s.once('drain', r));
  }
  const r = await recv;
  const ms = performance.now() - t0;
  const ended = new Promise<void>((resolve) => {
    if (s.readableEnded) resolve();
    else s.once('end', () => resolve());
  });
  s.end();
  await ended;
  return { ...result, sentSha: h.digest('hex'), recvSha: r.sha, received: r.got, ms };
}

/** sha256 hex of the agent's generator output for `seed`. */
export function expectedSha(n: number, seed: number): string {
  const h = createHash('sha256');
  for (const c of agentChunks(n, seed)) h.update(c);
  return h.digest('hex');
}

/** MB/s (10^6 bytes per second). */
export function mbps(bytes: number, ms: number): number {
  return Math.round((bytes / 1e6 / (ms / 1000)) * 10) / 10;
}
