/**
 * Drives a client and a server against each other in memory with a separate chunking of
 * each byte stream, an optional per-record tamper hook, and a recording of every byte
 * sent. Used by the fast-check engine properties (test/props/engine.test.ts).
 *
 * Differences from memory.ts `pump`: per-direction chunkers, record-level interception,
 * a transcript, and a hard bound on rounds (a bug shows as an Error, never as a hang).
 */
import type { TlsConnection } from '../../src/connection.js';

/** Returns the size of the next piece given how many bytes remain (values are clamped to 1..remaining). */
export type Chunker = (remaining: number) => number;

/** Whole chunks. */
export const whole: Chunker = (n) => n;

/** Cycles through `sizes` (each at least 1). */
export function cyclic(sizes: readonly number[]): Chunker {
  let i = 0;
  return () => sizes[i++ % sizes.length]!;
}

export type Direction = 'c2s' | 's2c';

/** Called for every record sent; returns the bytes to put on the wire instead (or the record). */
export type Tamper = (dir: Direction, index: number, record: Uint8Array) => Uint8Array;

/** Every byte each side sent, in order (after tampering), and the record count per direction. */
export class Transcript {
  readonly c2s: Uint8Array[] = [];
  readonly s2c: Uint8Array[] = [];
  readonly records: Record<Direction, number> = { c2s: 0, s2c: 0 };
  /** The types of the records sent, per direction. */
  readonly types: Record<Direction, number[]> = { c2s: [], s2c: [] };
  bytes(dir: Direction): Uint8Array {
    return join(this[dir]);
  }
}

export interface DriveOptions {
  c2s?: Chunker;
  s2c?: Chunker;
  tamper?: Tamper;
  transcript?: Transcript;
  /** Rounds (one transfer each way) before giving up with an Error. Default 500. */
  maxRounds?: number;
  /** Called when a receiver refuses input (its read buffer is full): the application reads. */
  onFull?: (conn: TlsConnection) => void;
}

export function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function splitRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    out.push(bytes.subarray(o, o + 5 + len));
    o += 5 + len;
  }
  if (o !== bytes.length) throw new Error('drive: takeOutput() did not end on a record boundary');
  return out;
}

/**
 * Feeds `bytes` to `to` in pieces of `chunk` size, re-offering what receive() did not take
 * after process(). Throws if the receiver stops accepting input without failing.
 */
export async function feed(to: TlsConnection, bytes: Uint8Array, chunk: Chunker = whole, onFull?: (conn: TlsConnection) => void): Promise<void> {
  let data = bytes;
  while (data.length > 0) {
    const size = Math.max(1, Math.min(data.length, Math.floor(chunk(data.length))));
    let piece = data.subarray(0, size);
    data = data.subarray(size);
    let refused = 0;
    while (piece.length > 0) {
      const n = to.receive(piece);
      piece = piece.subarray(n);
      await to.process();
      if (n === 0) onFull?.(to);
      refused = n === 0 ? refused + 1 : 0;
      if (refused > 2) throw new Error('drive: receiver refuses input without an error (unread data or a stall)');
    }
  }
}

async function move(from: TlsConnection, to: TlsConnection, dir: Direction, o: DriveOptions): Promise<boolean> {
  const out = from.takeOutput();
  if (!out) return false;
  let bytes = out;
  const t = o.transcript;
  if (o.tamper || t) {
    const recs = splitRecords(out).map((r) => {
      const index = t ? t.records[dir]++ : 0;
      const r2 = o.tamper ? o.tamper(dir, index, r) : r;
      t?.types[dir].push(r[0]!);
      return r2;
    });
    bytes = join(recs);
    t?.[dir].push(bytes);
  }
  await feed(to, bytes, dir === 'c2s' ? o.c2s : o.s2c, o.onFull);
  return true;
}

/** Runs both sides until neither has output. */
export async function drive(client: TlsConnection, server: TlsConnection, o: DriveOptions = {}): Promise<void> {
  await client.process();
  await server.process();
  const max = o.maxRounds ?? 500;
  for (let i = 0; i < max; i++) {
    const a = await move(client, server, 'c2s', o);
    const b = await move(server, client, 's2c', o);
    if (!a && !b) return;
  }
  throw new Error('drive: no quiescence (a hang)');
}

/** Seeded xorshift32 byte source, usable as the `random` option. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 0x9e3779b9;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** `n` pseudo-random bytes from `seed` (for payloads). */
export function payload(n: number, seed: number): Uint8Array {
  return seededRandom(seed * 2654435761 + 1)(n);
}

/** Byte equality without test-framework diffing (fast on large arrays). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
