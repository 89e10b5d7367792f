/**
 * A fault-injecting in-memory transport between a client and a server {@link TlsConnection}:
 * each direction's byte stream can have records or byte ranges dropped, duplicated,
 * reordered or truncated (the stream ends there and the receiver sees EOF), either at
 * planned positions ({@link Fault}) or wherever a seeded PRNG puts them
 * ({@link RandomFaults}). Delivery is split into pieces by a seeded chunker, and the
 * receiver's back-pressure contract (`receive()` takes what fits, the rest is offered
 * again after `process()`) is honoured.
 *
 * The pipe reads every plaintext byte each side decrypts ({@link FaultPipe.received}) and
 * keeps both the stream each side sent and the stream the other side was given, so a
 * test can tell whether a fault changed anything and compare what the applications got
 * with what was written.
 *
 * How faults are applied: the stream a receiver is given is a function of the stream the
 * sender produced so far, and that function only ever extends what it returned before
 * (a reordered piece is held back until the piece it swaps with has been sent). When both
 * sides are quiet while something is held back, {@link FaultPipe.flush} releases it
 * unchanged and that fault expires. The pipe checks the prefix property itself: a bug in a
 * fault can never pass as an engine bug.
 *
 * Unlike drive.ts (record tampering with a transcript) and memory.ts (plain pumping), this
 * pipe models a damaged transport: it never looks inside records.
 */
import type { TlsConnection } from '../../src/connection.js';
import { join, type Chunker, type Direction } from './drive.js';

export type FaultKind = 'drop' | 'duplicate' | 'reorder' | 'truncate';
export type FaultUnit = 'record' | 'bytes';

/**
 * One planned fault in one direction.
 * - `unit: 'record'`: `at` is the index of the record in the direction's stream (0 = first);
 *   `drop` removes it, `duplicate` sends it twice, `reorder` sends it after the next record,
 *   `truncate` keeps its first `length` bytes (default: half of it) and ends the stream.
 * - `unit: 'bytes'`: `at` is a byte offset in the stream, `length` (default 1) a byte
 *   count: `drop` removes [at, at+length), `duplicate` repeats it, `reorder` swaps it
 *   with the `length` bytes that follow, `truncate` ends the stream at `at`.
 */
export interface Fault {
  dir: Direction;
  kind: FaultKind;
  unit: FaultUnit;
  at: number;
  length?: number;
}

/**
 * Faults placed by a seeded PRNG: each record (unit 'record') or each byte (unit 'bytes')
 * of the chosen directions is hit with probability `rate`, the kind drawn from `kinds`.
 */
export interface RandomFaults {
  seed: number;
  rate: number;
  unit: FaultUnit;
  kinds?: readonly FaultKind[];
  dirs?: readonly Direction[];
  /** Largest byte range a bytes fault touches (default 64). */
  maxLength?: number;
}

export interface FaultPipeOptions {
  faults?: readonly Fault[];
  random?: RandomFaults;
  /** Seed of the delivery chunker (pieces of 1 byte up to a whole output). Default: whole outputs. */
  chunkSeed?: number;
  /** Or an explicit chunker. */
  chunk?: Chunker;
}

/** Seeded 32-bit PRNG (mulberry32): deterministic, fast, good enough for placing faults. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A chunker that cuts pieces of random size (biased to small ones) from a seed. */
export function seededChunker(seed: number): Chunker {
  const r = prng(seed ^ 0x5bd1e995);
  return (n) => {
    const x = r();
    if (x < 0.3) return 1 + Math.floor(r() * 8);
    if (x < 0.6) return 1 + Math.floor(r() * 600);
    return n;
  };
}

// ------------------------------------------------------------------ stream transforms

interface Result {
  out: Uint8Array[];
  /** The stream ends after `out` (a truncation): the receiver gets EOF. */
  eof: boolean;
  /** Bytes are held back (a reorder waiting for the bytes it swaps with). */
  held: boolean;
}

/** A prefix-stable function of the stream sent so far. */
interface Transform {
  apply(input: Uint8Array): Result;
  /** Releases what is held back unchanged; the fault that held it expires. */
  expire(): void;
}

type RecordAction = { kind: 'pass' } | { kind: 'drop' } | { kind: 'duplicate' } | { kind: 'reorder' } | { kind: 'truncate'; keep: (len: number) => number };

/** Whole records of `input`; bytes of a trailing partial record are left out (`used` < length). */
function records(input: Uint8Array): { recs: Uint8Array[]; used: number } {
  const recs: Uint8Array[] = [];
  let o = 0;
  while (input.length - o >= 5) {
    const len = (input[o + 3]! << 8) | input[o + 4]!;
    if (input.length - o < 5 + len) break;
    recs.push(input.subarray(o, o + 5 + len));
    o += 5 + len;
  }
  return { recs, used: o };
}

function recordTransform(action: (i: number) => RecordAction): Transform {
  const expired = new Set<number>();
  let heldAt = -1;
  return {
    apply(input) {
      const { recs } = records(input);
      const out: Uint8Array[] = [];
      heldAt = -1;
      for (let i = 0; i < recs.length; i++) {
        const a = action(i);
        const r = recs[i]!;
        switch (a.kind) {
          case 'pass':
            out.push(r);
            break;
          case 'drop':
            break;
          case 'duplicate':
            out.push(r, r);
            break;
          case 'reorder':
            if (expired.has(i)) {
              // Released unchanged while waiting for its successor: the fault is over.
              out.push(r);
            } else if (i + 1 < recs.length) {
              out.push(recs[i + 1]!, r);
              i++;
            } else {
              heldAt = i;
              return { out, eof: false, held: true };
            }
            break;
          case 'truncate':
            out.push(r.subarray(0, Math.max(0, Math.min(r.length - 1, a.keep(r.length)))));
            return { out, eof: true, held: false };
        }
      }
      // The senders emit whole records: a partial one is simply not complete yet.
      return { out, eof: false, held: false };
    },
    expire() {
      if (heldAt >= 0) expired.add(heldAt);
    },
  };
}

interface ByteEdit {
  kind: FaultKind;
  at: number;
  length: number;
}

/** Non-overlapping byte edits, applied in one pass over the stream. */
function byteTransform(editsIn: readonly ByteEdit[]): Transform {
  const edits = [...editsIn].sort((a, b) => a.at - b.at);
  for (let i = 1; i < edits.length; i++) {
    const p = edits[i - 1]!;
    const span = p.kind === 'reorder' ? 2 * p.length : p.kind === 'truncate' ? 0 : p.length;
    if (edits[i]!.at < p.at + span) throw new Error('fault-pipe: overlapping byte faults');
  }
  const expired = new Set<number>();
  let heldAt = -1;
  return {
    apply(input) {
      const L = input.length;
      const out: Uint8Array[] = [];
      let pos = 0;
      heldAt = -1;
      for (let k = 0; k < edits.length; k++) {
        const e = edits[k]!;
        if (L <= e.at) break;
        out.push(input.subarray(pos, e.at));
        pos = e.at;
        const n = e.length;
        switch (e.kind) {
          case 'drop':
            pos = Math.min(L, e.at + n);
            break;
          case 'duplicate':
            if (L >= e.at + n) {
              out.push(input.subarray(e.at, e.at + n), input.subarray(e.at, e.at + n));
              pos = e.at + n;
            } else {
              out.push(input.subarray(e.at, L));
              pos = L;
            }
            break;
          case 'reorder':
            if (expired.has(k)) {
              // Released unchanged while waiting for the bytes it swaps with: the fault is over.
            } else if (L >= e.at + 2 * n) {
              out.push(input.subarray(e.at + n, e.at + 2 * n), input.subarray(e.at, e.at + n));
              pos = e.at + 2 * n;
            } else {
              heldAt = k;
              return { out, eof: false, held: true };
            }
            break;
          case 'truncate':
            return { out, eof: true, held: false };
        }
      }
      if (pos < L) out.push(input.subarray(pos, L));
      return { out, eof: false, held: false };
    },
    expire() {
      if (heldAt >= 0) expired.add(heldAt);
    },
  };
}

const ALL_KINDS: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'truncate'];

/** 32-bit hash of (seed, direction, index): decisions per record independent of call order. */
function mix(seed: number, dir: Direction, i: number): number {
  let h = (seed ^ (dir === 'c2s' ? 0x9e3779b9 : 0x7f4a7c15)) >>> 0;
  h = Math.imul(h ^ i, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function transformFor(dir: Direction, o: FaultPipeOptions): Transform | null {
  const planned = (o.faults ?? []).filter((f) => f.dir === dir);
  const rnd = o.random && (o.random.dirs ?? ['c2s', 's2c']).includes(dir) ? o.random : undefined;
  const recordFaults = planned.filter((f) => f.unit === 'record');
  const byteFaults = planned.filter((f) => f.unit === 'bytes');
  const units = new Set([...planned.map((f) => f.unit), ...(rnd ? [rnd.unit] : [])]);
  if (units.size === 0) return null;
  if (units.size > 1) throw new Error('fault-pipe: record and byte faults in one direction do not compose');
  if (units.has('record')) {
    const at = new Map<number, Fault>();
    for (const f of recordFaults) {
      if (at.has(f.at)) throw new Error(`fault-pipe: two faults on record ${f.at}`);
      at.set(f.at, f);
    }
    return recordTransform((i) => {
      const f = at.get(i);
      if (f) return f.kind === 'truncate' ? { kind: 'truncate', keep: (len) => f.length ?? Math.floor(len / 2) } : { kind: f.kind };
      if (rnd) {
        const h = mix(rnd.seed, dir, i);
        if (h / 4294967296 < rnd.rate) {
          const kinds = rnd.kinds ?? ALL_KINDS;
          const kind = kinds[mix(rnd.seed + 1, dir, i) % kinds.length]!;
          const keep = mix(rnd.seed + 2, dir, i);
          return kind === 'truncate' ? { kind, keep: (len) => keep % len } : { kind };
        }
      }
      return { kind: 'pass' };
    });
  }
  const edits: ByteEdit[] = byteFaults.map((f) => ({ kind: f.kind, at: f.at, length: Math.max(1, f.length ?? 1) }));
  if (rnd) {
    // Places edits over the first 1 MiB with gaps of mean 1/rate bytes.
    const r = prng(rnd.seed ^ (dir === 'c2s' ? 0x1234567 : 0x7654321));
    const kinds = rnd.kinds ?? ALL_KINDS;
    const maxLen = rnd.maxLength ?? 64;
    let at = 0;
    for (;;) {
      at += 1 + Math.floor(-Math.log(1 - r()) / rnd.rate);
      if (at > 1 << 20) break;
      const kind = kinds[Math.floor(r() * kinds.length)]!;
      const length = 1 + Math.floor(r() * maxLen);
      edits.push({ kind, at, length });
      if (kind === 'truncate') break;
      at += kind === 'reorder' ? 2 * length : length;
    }
  }
  return byteTransform(edits);
}

// ------------------------------------------------------------------ one direction, for any transport

/**
 * One direction of a damaged transport, usable over any byte stream (e.g. between two
 * Duplexes): {@link FaultLane.push} takes the bytes the sender wrote and returns the bytes
 * the receiver gets now (and whether the stream was cut there); {@link FaultLane.flush}
 * releases bytes a reorder holds back (unchanged; that fault expires).
 */
export class FaultLane {
  readonly dir: Direction;
  private readonly transform: Transform | null;
  private readonly sentParts: Uint8Array[] = [];
  private sentBytes: Uint8Array | null = null;
  private readonly deliveredParts: Uint8Array[] = [];
  private deliveredLength = 0;
  /** The stream was cut (truncation): nothing more reaches the receiver. */
  eof = false;
  /** Bytes are held back by a reorder. */
  held = false;

  constructor(dir: Direction, o: FaultPipeOptions = {}) {
    this.dir = dir;
    this.transform = transformFor(dir, o);
  }

  /** Every byte the sender wrote. */
  sent(): Uint8Array {
    return (this.sentBytes ??= join(this.sentParts));
  }

  /** Every byte the receiver was given. */
  delivered(): Uint8Array {
    return join(this.deliveredParts);
  }

  /** The receiver was given other bytes than the sender wrote. */
  changed(): boolean {
    const a = this.sent();
    const b = this.delivered();
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
    return false;
  }

  /** The sender wrote `bytes`: returns what the receiver gets now, and whether the stream ends there. */
  push(bytes: Uint8Array): { bytes: Uint8Array; eof: boolean } {
    if (bytes.length > 0) {
      this.sentParts.push(bytes.slice());
      this.sentBytes = null;
    }
    return this.next();
  }

  /** Releases held bytes unchanged (the holding fault expires). */
  flush(): { bytes: Uint8Array; eof: boolean } {
    if (!this.held || !this.transform) return { bytes: new Uint8Array(0), eof: false };
    this.transform.expire();
    return this.next();
  }

  private next(): { bytes: Uint8Array; eof: boolean } {
    if (this.eof) return { bytes: new Uint8Array(0), eof: false }; // cut off: lost in transit
    let fresh: Uint8Array;
    let eof = false;
    if (!this.transform) {
      fresh = this.sent().subarray(this.deliveredLength);
    } else {
      const r = this.transform.apply(this.sent());
      this.held = r.held;
      const all = join(r.out);
      // Self-check: a fault only ever extends what it delivered before.
      const before = this.delivered();
      if (all.length < before.length) throw new Error(`fault-pipe bug: ${this.dir} output shrank`);
      for (let i = 0; i < before.length; i++) {
        if (all[i] !== before[i]) throw new Error(`fault-pipe bug: ${this.dir} output is not prefix-stable at byte ${i}`);
      }
      fresh = all.subarray(before.length);
      eof = r.eof;
    }
    if (fresh.length > 0) {
      this.deliveredParts.push(fresh.slice());
      this.deliveredLength += fresh.length;
    }
    if (eof) this.eof = true;
    return { bytes: fresh, eof };
  }
}

// ------------------------------------------------------------------ the pipe

interface Lane {
  readonly from: TlsConnection;
  readonly to: TlsConnection;
  readonly lane: FaultLane;
}

export class FaultPipe {
  readonly client: TlsConnection;
  readonly server: TlsConnection;
  private readonly lanes: Record<Direction, Lane>;
  private readonly chunk: Chunker;
  private readonly got: Record<'client' | 'server', Uint8Array[]> = { client: [], server: [] };
  /** Exceptions thrown by receive()/process() (never expected: process() must not reject). */
  readonly thrown: unknown[] = [];

  constructor(client: TlsConnection, server: TlsConnection, o: FaultPipeOptions = {}) {
    this.client = client;
    this.server = server;
    this.lanes = { c2s: { from: client, to: server, lane: new FaultLane('c2s', o) }, s2c: { from: server, to: client, lane: new FaultLane('s2c', o) } };
    this.chunk = o.chunk ?? (o.chunkSeed !== undefined ? seededChunker(o.chunkSeed) : (n) => n);
  }

  /** Every byte the sender of `dir` produced. */
  sent(dir: Direction): Uint8Array {
    return this.lanes[dir].lane.sent();
  }

  /** Every byte the receiver of `dir` was given. */
  delivered(dir: Direction): Uint8Array {
    return this.lanes[dir].lane.delivered();
  }

  /** The stream of `dir` was cut short (the receiver got EOF from a truncation). */
  truncated(dir: Direction): boolean {
    return this.lanes[dir].lane.eof;
  }

  /** The receiver of `dir` was given other bytes than the sender produced. */
  changed(dir: Direction): boolean {
    return this.lanes[dir].lane.changed();
  }

  /** All plaintext the side's application read. */
  received(role: 'client' | 'server'): Uint8Array {
    return join(this.got[role]);
  }

  /** Starts both sides (the client's first flight). */
  async start(): Promise<void> {
    await this.client.process();
    await this.server.process();
    this.readAll(this.client);
    this.readAll(this.server);
  }

  /** Moves whatever each side has to send, through the faults, once each way. Returns true if any byte moved. */
  async step(): Promise<boolean> {
    const a = await this.move(this.lanes.c2s);
    const b = await this.move(this.lanes.s2c);
    return a || b;
  }

  /** Releases bytes held back by a reorder (unchanged; that fault expires). Returns true if any byte moved. */
  async flush(): Promise<boolean> {
    let moved = false;
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      if (!l.lane.held) continue;
      const r = l.lane.flush();
      if (r.bytes.length > 0) moved = true;
      await this.deliver(l.to, r.bytes);
      if (r.eof) await this.eofTo(l.to);
    }
    return moved;
  }

  /** Steps until quiet (releasing held bytes when quiet). Throws on a livelock. */
  async settle(maxRounds = 1000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      if (await this.step()) continue;
      if (await this.flush()) continue;
      return;
    }
    throw new Error('fault-pipe: no quiescence (a hang)');
  }

  /** The transport closes: each receiver not already cut off gets EOF (end()). */
  async endTransport(): Promise<void> {
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      if (l.lane.eof) continue;
      l.lane.eof = true;
      await this.eofTo(l.to);
    }
  }

  private async eofTo(c: TlsConnection): Promise<void> {
    try {
      c.end();
      await c.process();
    } catch (e) {
      this.thrown.push(e);
    }
    this.readAll(c);
  }

  private readAll(c: TlsConnection): void {
    for (let r = c.read(); r; r = c.read()) this.got[c.role].push(r.slice());
  }

  private async move(l: Lane): Promise<boolean> {
    const out = l.from.takeOutput();
    if (!out) return false;
    const r = l.lane.push(out);
    await this.deliver(l.to, r.bytes);
    if (r.eof) await this.eofTo(l.to);
    return true;
  }

  private async deliver(to: TlsConnection, bytes: Uint8Array): Promise<void> {
    let data = bytes;
    while (data.length > 0) {
      const size = Math.max(1, Math.min(data.length, Math.floor(this.chunk(data.length))));
      let piece = data.subarray(0, size);
      data = data.subarray(size);
      let refused = 0;
      while (piece.length > 0) {
        let n = 0;
        try {
          n = to.receive(piece);
          await to.process();
        } catch (e) {
          this.thrown.push(e);
          return;
        }
        piece = piece.subarray(n);
        this.readAll(to);
        refused = n === 0 ? refused + 1 : 0;
        if (refused > 2) throw new Error(`fault-pipe: the ${to.role} accepts no input and reports no error (a stall)`);
      }
    }
  }
}
