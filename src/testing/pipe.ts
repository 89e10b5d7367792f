/**
 * An in-memory transport between a client and a server that can damage what it carries
 * ({@link FaultPipe}), and {@link pump}, which runs two connections against each other
 * until neither has anything more to say.
 *
 * @module
 */
import { concatBytes, copyBytes } from '../base/bytes.js';
import { chunker, nextPiece, type ChunkPlan, type Chunker } from './chunk.js';
import { StallError, type PipeEndpoint } from './endpoint.js';
import { FaultLane, type Direction, type FaultPlan, type LaneOutput } from './fault.js';
import { TlsError } from '../base/errors.js';

/** How one direction is cut into `receive()` calls: a plan (data) or a chunker (a function). */
export type ChunkOption = ChunkPlan | Chunker;

/** When the pipe reads what an endpoint decrypted (into {@link FaultPipe.received}). */
export type ReadPolicy = 'always' | 'when-full' | 'never';

/**
 * Rewrites one record the sender produced, before any fault applies (a man in the middle):
 * returns the bytes to send instead (nothing, the record, several records, anything).
 * `index` counts the records of that direction from 0.
 */
export type Tamper = (dir: Direction, index: number, record: Uint8Array) => Uint8Array;

/** Options of a {@link FaultPipe}. */
export interface FaultPipeOptions extends FaultPlan {
  /**
   * How delivered bytes are cut into `receive()` calls: one plan for both directions, or
   * one per direction (default `'whole'`: as large as possible). `fragment` and `coalesce`
   * faults override it for their spans.
   */
  readonly chunk?: ChunkOption | { readonly c2s?: ChunkOption; readonly s2c?: ChunkOption };
  /**
   * When the pipe reads the endpoints' plaintext into {@link FaultPipe.received}:
   * `'always'` after every `process()` (default); `'when-full'` only when an endpoint
   * refuses input because its read buffer is full (the rest stays in the endpoint until
   * {@link FaultPipe.drain} or the test reads it); `'never'` (the test reads; an endpoint
   * that refuses input three times in a row is a {@link StallError}).
   */
  readonly read?: ReadPolicy;
  /** Rewrites each record before the faults (see {@link Tamper}). Output must be whole records. */
  readonly tamper?: Tamper;
  /** {@link FaultPipe.settle} gives up after this many rounds (default 1000): a livelock is an Error, never a hang. */
  readonly maxRounds?: number;
}

/** One record as sent: its content type, record-layer version and bytes (header included). */
export interface SentRecord {
  /** ContentType (20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data). */
  readonly type: number;
  /** legacy_record_version. */
  readonly version: number;
  /** The whole record, header included. */
  readonly bytes: Uint8Array;
}

interface Lane {
  readonly dir: Direction;
  readonly from: PipeEndpoint;
  readonly to: PipeEndpoint;
  readonly lane: FaultLane;
  readonly chunk: Chunker;
  /** What the sender produced, before tampering (when a tamper hook is set). */
  readonly original: Uint8Array[];
  records: number;
}

function toChunker(o: ChunkOption | undefined): Chunker {
  return typeof o === 'function' ? o : chunker(o ?? 'whole');
}

function isPerDirection(o: FaultPipeOptions['chunk']): o is { readonly c2s?: ChunkOption; readonly s2c?: ChunkOption } {
  return typeof o === 'object' && o !== null && !Array.isArray(o) && !('seed' in o);
}

/** Splits bytes into whole records; throws if they do not end on a record boundary. */
export function splitRecords(bytes: Uint8Array): SentRecord[] {
  const out: SentRecord[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 5) throw new TlsError('InvalidConfig', { detail: 'splitRecords: a partial record header', source: 'caller' });
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (bytes.length - o < 5 + len) throw new TlsError('InvalidConfig', { detail: 'splitRecords: a partial record', source: 'caller' });
    out.push({ type: bytes[o]!, version: (bytes[o + 1]! << 8) | bytes[o + 2]!, bytes: bytes.subarray(o, o + 5 + len) });
    o += 5 + len;
  }
  return out;
}

/**
 * A client and a server connected in memory through a transport that can fragment,
 * coalesce, delay, drop, duplicate, reorder, corrupt and truncate what either side sends
 * (see {@link Fault}), at planned positions or wherever a seeded PRNG puts them. Without
 * faults it is a plain in-memory transport, whose delivery can still be cut into pieces of
 * any size.
 *
 * It keeps what each side sent and what the other was given ({@link FaultPipe.sent},
 * {@link FaultPipe.delivered}, {@link FaultPipe.records}), and (by default) every byte of
 * plaintext each side decrypted ({@link FaultPipe.received}), so a property can compare
 * what arrived with what was written and tell whether a fault changed anything.
 *
 * An exception from `receive()` or `process()` (which a connection never throws) is not
 * caught: it fails the test where it happened.
 *
 * @example
 * ```ts
 * const pipe = new FaultPipe(client, server, { faults: [{ dir: 's2c', kind: 'corrupt', unit: 'record', at: 2 }] });
 * await pipe.settle();
 * expect(client.error?.status).toBe('BadRecordMac');
 * ```
 */
export class FaultPipe {
  /** The endpoint on the `c2s` sending side. */
  readonly client: PipeEndpoint;
  /** The endpoint on the `s2c` sending side. */
  readonly server: PipeEndpoint;
  private readonly lanes: Record<Direction, Lane>;
  private readonly readPolicy: ReadPolicy;
  private readonly tamper: Tamper | undefined;
  private readonly maxRounds: number;
  private readonly got: Record<'client' | 'server', Uint8Array[]> = { client: [], server: [] };

  /**
   * @param client - the endpoint whose output travels `c2s`
   * @param server - the endpoint whose output travels `s2c`
   * @param options - faults, chunking, read policy
   * @throws RangeError for malformed or overlapping faults
   */
  constructor(client: PipeEndpoint, server: PipeEndpoint, options: FaultPipeOptions = {}) {
    this.client = client;
    this.server = server;
    const per = isPerDirection(options.chunk) ? options.chunk : { c2s: options.chunk as ChunkOption | undefined, s2c: options.chunk as ChunkOption | undefined };
    // One plan for both directions: each direction gets its own chunker made from it.
    const lane = (dir: Direction, from: PipeEndpoint, to: PipeEndpoint): Lane => ({
      dir,
      from,
      to,
      lane: new FaultLane(dir, options),
      chunk: toChunker(per[dir]),
      original: [],
      records: 0,
    });
    this.lanes = { c2s: lane('c2s', client, server), s2c: lane('s2c', server, client) };
    this.readPolicy = options.read ?? 'always';
    this.tamper = options.tamper;
    this.maxRounds = options.maxRounds ?? 1000;
  }

  /** Every byte the sender of `dir` produced (before tampering and faults). */
  sent(dir: Direction): Uint8Array {
    return this.tamper ? concatBytes(this.lanes[dir].original) : this.lanes[dir].lane.sent();
  }

  /** Every byte the receiver of `dir` was given. */
  delivered(dir: Direction): Uint8Array {
    return this.lanes[dir].lane.delivered();
  }

  /** The records the sender of `dir` produced, in order (before tampering and faults). */
  records(dir: Direction): SentRecord[] {
    return splitRecords(this.sent(dir));
  }

  /** The stream of `dir` was cut short (the receiver got end of stream from a truncation). */
  truncated(dir: Direction): boolean {
    return this.lanes[dir].lane.eof;
  }

  /** The receiver of `dir` was given other bytes than the sender produced. */
  changed(dir: Direction): boolean {
    if (!this.tamper) return this.lanes[dir].lane.changed();
    const a = this.sent(dir);
    const b = this.delivered(dir);
    return a.length !== b.length || a.some((x, i) => x !== b[i]);
  }

  /** A fault holds bytes of `dir` back (released by {@link FaultPipe.flush}). */
  held(dir: Direction): boolean {
    return this.lanes[dir].lane.held;
  }

  /** All plaintext the pipe read from `role`'s endpoint (see {@link FaultPipeOptions.read}). */
  received(role: 'client' | 'server'): Uint8Array {
    return concatBytes(this.got[role]);
  }

  /** Runs both endpoints on what they hold (the client's first flight, output after a write). */
  async start(): Promise<void> {
    for (const c of [this.client, this.server]) {
      await c.process();
      this.readIfAlways(c);
    }
  }

  /**
   * Moves whatever each side has to send, through the faults, once each way; one step of
   * time passes for `delay` faults. Returns true if any byte moved.
   */
  async step(): Promise<boolean> {
    let moved = false;
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      const out = l.from.takeOutput();
      if (!out) continue;
      moved = true;
      await this.deliver(l, l.lane.push(this.tampered(l, out)));
    }
    // Time passes once per step: a delay may run out (after the other direction moved).
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      const r = l.lane.tick();
      if (r.bytes.length > 0) moved = true;
      await this.deliver(l, r);
    }
    return moved;
  }

  /** Releases what faults hold back, unchanged (those faults expire). Returns true if any byte moved. */
  async flush(): Promise<boolean> {
    let moved = false;
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      if (!l.lane.held) continue;
      const r = l.lane.flush();
      if (r.bytes.length > 0) moved = true;
      await this.deliver(l, r);
    }
    return moved;
  }

  /**
   * Runs both endpoints, then steps until nothing moves, releasing held bytes when quiet.
   * @throws TlsError('InternalError') after `maxRounds` rounds (a livelock)
   */
  async settle(): Promise<void> {
    await this.start();
    for (let i = 0; i < this.maxRounds; i++) {
      if (await this.step()) continue;
      if (await this.flush()) continue;
      return;
    }
    throw new TlsError('InternalError', { detail: `FaultPipe: no quiescence after ${this.maxRounds} rounds (a livelock)` });
  }

  /**
   * The transport closes: each receiver (of `dir`, or both) not already cut off gets end of
   * stream (`end()`).
   */
  async endTransport(dir?: Direction): Promise<void> {
    for (const l of [this.lanes.c2s, this.lanes.s2c]) {
      if ((dir !== undefined && l.dir !== dir) || l.lane.eof) continue;
      l.lane.eof = true;
      await this.eofTo(l.to);
    }
  }

  /**
   * Reads everything both endpoints hold into {@link FaultPipe.received}, running them
   * again while reading frees room (records held back by a full read buffer are then
   * decrypted).
   */
  async drain(): Promise<void> {
    for (const c of [this.client, this.server]) {
      for (;;) {
        await c.process();
        if (!this.readInto(c)) break;
      }
    }
  }

  private tampered(l: Lane, out: Uint8Array): Uint8Array {
    if (!this.tamper) return out;
    l.original.push(copyBytes(out));
    const parts = splitRecords(out).map((r) => this.tamper!(l.dir, l.records++, r.bytes));
    return concatBytes(parts);
  }

  private async eofTo(c: PipeEndpoint): Promise<void> {
    c.end();
    await c.process();
    this.readIfAlways(c);
  }

  private readInto(c: PipeEndpoint): boolean {
    let any = false;
    for (let r = c.read(); r; r = c.read()) {
      this.got[c.role].push(copyBytes(r));
      any = true;
    }
    return any;
  }

  private readIfAlways(c: PipeEndpoint): void {
    if (this.readPolicy === 'always') this.readInto(c);
  }

  private async deliver(l: Lane, r: LaneOutput): Promise<void> {
    for (const seg of r.segments) {
      let data = seg.bytes;
      while (data.length > 0) {
        const size = seg.cut === 'bytes' ? 1 : seg.cut === 'whole' ? data.length : nextPiece(l.chunk, data.length);
        await this.offer(l.to, data.subarray(0, size));
        data = data.subarray(size);
      }
    }
    if (r.eof) await this.eofTo(l.to);
  }

  /** Offers one piece until it is taken (receive() takes what fits; the rest is offered again after process()). */
  private async offer(to: PipeEndpoint, bytes: Uint8Array): Promise<void> {
    let piece = bytes;
    let refused = 0;
    while (piece.length > 0) {
      const n = to.receive(piece);
      piece = piece.subarray(n);
      await to.process();
      this.readIfAlways(to);
      if (n === 0 && this.readPolicy === 'when-full') this.readInto(to);
      refused = n === 0 ? refused + 1 : 0;
      if (refused > 2) throw new StallError(`FaultPipe: the ${to.role} takes no input and reports no error (nobody read() its data, or a stall)`);
    }
  }
}

/** Options of {@link pump}. */
export interface PumpOptions {
  /** How delivered bytes are cut (default `'whole'`). */
  readonly chunk?: FaultPipeOptions['chunk'];
  /** Rounds before giving up with an Error (default 1000). */
  readonly maxRounds?: number;
}

/**
 * Runs `a` and `b` against each other in memory until neither has anything to send,
 * without faults and without reading their plaintext (the caller reads). Returns the pipe,
 * whose {@link FaultPipe.sent} holds what each side sent during this call.
 *
 * @throws {@link StallError} when a side stops taking input without failing (nobody read its data)
 */
export async function pump(a: PipeEndpoint, b: PipeEndpoint, options: PumpOptions = {}): Promise<FaultPipe> {
  const pipe = new FaultPipe(a, b, { read: 'never', ...(options.chunk !== undefined ? { chunk: options.chunk } : {}), ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}) });
  await pipe.settle();
  return pipe;
}
