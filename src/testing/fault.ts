/**
 * Faults of a damaged transport, one direction at a time ({@link FaultLane}).
 *
 * A fault acts on a span of one direction's byte stream: records (`unit: 'record'`, by
 * index, 0 = the first record that direction carries) or bytes (`unit: 'bytes'`, by
 * offset). Some faults only change when bytes arrive and how they are cut, which a TLS
 * engine must not notice: `fragment`, `coalesce`, `delay`. The others change the bytes,
 * which it must notice: `drop`, `duplicate`, `reorder`, `corrupt`, `truncate`.
 *
 * How faults are applied: what the receiver is given is a function of what the sender has
 * sent so far, and that function only ever extends what it returned before (a span held
 * back, for a reorder or a coalesce, is released all at once when the bytes it waits for
 * have been sent). When both sides are quiet while something is held back,
 * {@link FaultLane.flush} releases it unchanged and that fault expires: a reorder whose
 * partner is never sent does not happen. The lane checks the prefix property itself, so a
 * bug in a fault can never pass as a bug of the engine.
 *
 * @module
 */
import { concatBytes, copyBytes } from '../base/bytes.js';
import { seededNumbers } from './random.js';
import { TlsError } from '../base/errors.js';

/** One direction of a connection: client to server, or server to client. */
export type Direction = 'c2s' | 's2c';

/**
 * What a fault does to its span:
 * - `fragment`: delivered one byte per `receive()` call (content unchanged);
 * - `coalesce`: held back until the whole span has been sent, then delivered in one
 *   `receive()` call (content unchanged);
 * - `delay`: held back, with everything after it, for `steps` steps of the pipe, while the
 *   other direction moves (content unchanged);
 * - `drop`: removed;
 * - `duplicate`: delivered twice;
 * - `reorder`: swapped with the span of the same length that follows it;
 * - `corrupt`: unit `'bytes'`: each byte XORed with `xor`; unit `'record'`: in each record
 *   of the span, the byte at `offset` XORed with `xor`;
 * - `truncate`: the stream ends (the receiver gets end of stream): at byte `at`, or after
 *   the first `keep` bytes of record `at`.
 */
export type FaultKind = 'fragment' | 'coalesce' | 'delay' | 'drop' | 'duplicate' | 'reorder' | 'corrupt' | 'truncate';

/** Whether a fault counts records or bytes. */
export type FaultUnit = 'record' | 'bytes';

/** The fault kinds that change no byte, only when and in what pieces bytes arrive. */
export const TIMING_FAULTS: readonly FaultKind[] = ['fragment', 'coalesce', 'delay'];

/** The fault kinds that change the bytes a receiver is given. */
export const DAMAGING_FAULTS: readonly FaultKind[] = ['drop', 'duplicate', 'reorder', 'corrupt', 'truncate'];

/** Every fault kind. */
export const FAULT_KINDS: readonly FaultKind[] = [...TIMING_FAULTS, ...DAMAGING_FAULTS];

/** One planned fault in one direction. Spans of one direction must not overlap. */
export interface Fault {
  /** The direction it damages. */
  readonly dir: Direction;
  /** What it does. */
  readonly kind: FaultKind;
  /** Whether `at` and `length` count records or bytes. */
  readonly unit: FaultUnit;
  /** First record (index) or byte (offset) of the span. */
  readonly at: number;
  /** Records or bytes in the span (default 1). A reorder also takes the `length` that follow. */
  readonly length?: number;
  /** `corrupt`, unit `'record'`: which byte of each record (default its last; taken modulo the record's length). */
  readonly offset?: number;
  /** `corrupt`: the XOR mask, 1-255 (default 0x01). */
  readonly xor?: number;
  /** `truncate`, unit `'record'`: bytes of the record that still arrive (default half of it; at most all but one). */
  readonly keep?: number;
  /** `delay`: steps of the pipe the span waits (default 1). */
  readonly steps?: number;
}

/**
 * Faults placed by a seeded PRNG: each record (unit `'record'`) or each byte (unit
 * `'bytes'`) of the chosen directions starts a fault with probability `rate`, its kind drawn
 * from `kinds`. The same seed gives the same faults.
 */
export interface RandomFaults {
  /** Seed of the placement. */
  readonly seed: number;
  /** Probability that a fault starts at a given record or byte. */
  readonly rate: number;
  /** Records or bytes. */
  readonly unit: FaultUnit;
  /** Kinds to draw from (default: every kind). */
  readonly kinds?: readonly FaultKind[];
  /** Directions damaged (default both). */
  readonly dirs?: readonly Direction[];
  /** Longest span: bytes (default 64) or records (default 1). */
  readonly maxLength?: number;
}

/** Faults for one lane, or both directions of a pipe. */
export interface FaultPlan {
  /** Planned faults (only those for the lane's direction apply to a lane). */
  readonly faults?: readonly Fault[];
  /** Faults placed by a seeded PRNG. */
  readonly random?: RandomFaults;
}

/**
 * How a delivered piece of the stream may be cut into `receive()` calls: `'free'` as the
 * pipe's chunker decides, `'bytes'` one byte per call (a `fragment` fault), `'whole'` in
 * one call (a `coalesce` fault).
 */
export type SegmentCut = 'free' | 'bytes' | 'whole';

/** A piece of what a lane delivers, with how it may be cut. */
export interface Segment {
  /** The bytes. */
  readonly bytes: Uint8Array;
  /** How they may be cut into `receive()` calls. */
  readonly cut: SegmentCut;
}

/** What a lane delivers now. */
export interface LaneOutput {
  /** Every new byte, in order (the segments joined). */
  readonly bytes: Uint8Array;
  /** The same bytes in segments that say how they may be cut. */
  readonly segments: readonly Segment[];
  /** The stream ends after these bytes (a truncation): the receiver should get end of stream. */
  readonly eof: boolean;
}

// ------------------------------------------------------------------ resolved faults

interface Span {
  readonly kind: FaultKind;
  readonly at: number;
  readonly length: number;
  readonly offset: number | undefined;
  readonly xor: number;
  readonly keep: ((recordLength: number) => number) | undefined;
  readonly steps: number;
}

/** Units the span occupies from `at` (a reorder also takes its partner; a truncation all the rest). */
function extent(s: Span): number {
  if (s.kind === 'truncate') return Infinity;
  return s.kind === 'reorder' ? 2 * s.length : s.length;
}

function checkFault(f: Fault): void {
  const int = (v: number | undefined, min: number, what: string): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new TlsError('InvalidConfig', { detail: `fault: ${what} must be an integer ≥ ${min}`, source: 'caller' });
  };
  if (!FAULT_KINDS.includes(f.kind)) throw new TlsError('InvalidConfig', { detail: `fault: unknown kind '${String(f.kind)}'`, source: 'caller' });
  if (f.unit !== 'record' && f.unit !== 'bytes') throw new TlsError('InvalidConfig', { detail: `fault: unknown unit '${String(f.unit)}'`, source: 'caller' });
  int(f.at, 0, 'at');
  int(f.length, 1, 'length');
  int(f.offset, 0, 'offset');
  int(f.keep, 0, 'keep');
  int(f.steps, 0, 'steps');
  if (f.xor !== undefined && !(Number.isInteger(f.xor) && f.xor >= 1 && f.xor <= 255)) throw new TlsError('InvalidConfig', { detail: 'fault: xor must be 1..255', source: 'caller' });
}

function spanOf(f: Fault): Span {
  checkFault(f);
  const keep = f.keep;
  return {
    kind: f.kind,
    at: f.at,
    length: f.length ?? 1,
    offset: f.offset,
    xor: f.xor ?? 0x01,
    keep: f.kind === 'truncate' && f.unit === 'record' ? (len) => keep ?? Math.floor(len / 2) : undefined,
    steps: f.steps ?? 1,
  };
}

/** 32-bit hash of (seed, direction, index): decisions per record that do not depend on call order. */
function mix(seed: number, dir: Direction, i: number): number {
  let h = (seed ^ (dir === 'c2s' ? 0x9e3779b9 : 0x7f4a7c15)) >>> 0;
  h = Math.imul(h ^ i, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The spans of one direction, in order. Random ones are drawn as the stream grows, never
 * overlapping a planned one (a random span that would run into one is shortened or left out).
 */
class SpanList {
  /** The spans known so far, in order of `at`. */
  readonly spans: Span[] = [];
  private readonly planned: Span[];
  /** Planned spans already in `spans`. */
  private plannedDone = 0;
  private readonly dir: Direction;
  private readonly unit: FaultUnit;
  private readonly random: RandomFaults | undefined;
  private readonly kinds: readonly FaultKind[];
  private readonly maxLength: number;
  /** Bytes: the PRNG of the placement (drawn in order, so the same seed gives the same spans). */
  private readonly rnd: (() => number) | undefined;
  /** The first unit not yet decided: no random span starts below it. */
  private cursor = 0;
  /** A truncation is in the list: nothing after it matters. */
  private done = false;

  constructor(dir: Direction, unit: FaultUnit, planned: readonly Fault[], random: RandomFaults | undefined) {
    this.dir = dir;
    this.unit = unit;
    this.planned = planned.map(spanOf).sort((a, b) => a.at - b.at);
    for (let i = 1; i < this.planned.length; i++) {
      const p = this.planned[i - 1]!;
      if (this.planned[i]!.at < p.at + extent(p)) throw new TlsError('InvalidConfig', { detail: `fault: overlapping ${unit} faults in ${dir} at ${p.at} and ${this.planned[i]!.at}`, source: 'caller' });
    }
    this.random = random && random.rate > 0 && (random.kinds ?? FAULT_KINDS).length > 0 ? random : undefined;
    this.kinds = random?.kinds ?? FAULT_KINDS;
    this.maxLength = Math.max(1, random?.maxLength ?? (unit === 'bytes' ? 64 : 1));
    this.rnd = this.random && unit === 'bytes' ? seededNumbers((this.random.seed ^ (dir === 'c2s' ? 0x1234567 : 0x7654321)) >>> 0) : undefined;
    if (!this.random) {
      const end = this.planned.findIndex((s) => s.kind === 'truncate');
      this.spans.push(...(end >= 0 ? this.planned.slice(0, end + 1) : this.planned));
      this.done = true;
    }
  }

  /** Makes sure every span starting below `count` units is in the list. */
  extendTo(count: number): void {
    while (!this.done) {
      const p = this.planned[this.plannedDone];
      if (p && p.at <= this.cursor) {
        this.add(p);
        continue;
      }
      if (this.cursor >= count) return;
      const c = this.draw();
      if (!c) continue;
      // Planned spans that start first go first; a random span never overlaps a planned one.
      for (let q = this.planned[this.plannedDone]; q && q.at <= c.at && !this.done; q = this.planned[this.plannedDone]) this.add(q);
      if (this.done || c.at < this.cursor) continue;
      const next = this.planned[this.plannedDone];
      let span = c;
      if (next && c.at + extent(c) > next.at) {
        const fit = Math.floor((next.at - c.at) / (c.kind === 'reorder' ? 2 : 1));
        if (c.kind === 'truncate' || fit < 1) {
          this.cursor = Math.max(this.cursor, c.at + 1);
          continue;
        }
        span = { ...c, length: fit };
      }
      this.add(span);
    }
  }

  private add(s: Span): void {
    if (s === this.planned[this.plannedDone]) this.plannedDone++;
    this.spans.push(s);
    this.cursor = Math.max(this.cursor, s.at + extent(s));
    if (s.kind === 'truncate') this.done = true;
  }

  /** The next random span at or after the cursor, or null (the cursor has moved on). */
  private draw(): Span | null {
    const r = this.random!;
    if (this.rnd) {
      // Bytes: gaps of mean 1/rate bytes.
      const rnd = this.rnd;
      const at = this.cursor + 1 + Math.floor(-Math.log(1 - rnd()) / r.rate);
      const kind = this.kinds[Math.floor(rnd() * this.kinds.length)]!;
      const length = 1 + Math.floor(rnd() * this.maxLength);
      const xor = 1 + Math.floor(rnd() * 255);
      const steps = 1 + Math.floor(rnd() * 3);
      if (!Number.isFinite(at)) {
        this.cursor = Infinity;
        return null;
      }
      return { kind, at, length, offset: undefined, xor, keep: undefined, steps };
    }
    // Records: a decision per index, independent of what was asked before.
    const i = this.cursor;
    if (mix(r.seed, this.dir, i) / 4294967296 >= r.rate) {
      this.cursor = i + 1;
      return null;
    }
    const kind = this.kinds[mix(r.seed + 1, this.dir, i) % this.kinds.length]!;
    const h = mix(r.seed + 2, this.dir, i);
    const keepHash = mix(r.seed + 4, this.dir, i);
    return {
      kind,
      at: i,
      length: 1 + (h % this.maxLength),
      offset: h >>> 8,
      xor: 1 + (mix(r.seed + 3, this.dir, i) % 255),
      keep: kind === 'truncate' ? (len) => keepHash % len : undefined,
      steps: 1 + (h % 3),
    };
  }
}

// ------------------------------------------------------------------ the transform

/** Whole records of `input` (start offsets; a trailing partial record is not counted). */
function recordStarts(input: Uint8Array): number[] {
  const starts = [0];
  let o = 0;
  while (input.length - o >= 5) {
    const len = (input[o + 3]! << 8) | input[o + 4]!;
    if (input.length - o < 5 + len) break;
    o += 5 + len;
    starts.push(o);
  }
  return starts;
}

interface Applied {
  readonly segments: Segment[];
  readonly eof: boolean;
  /** The index (in the span list) of the span holding output back, or -1. */
  readonly heldBy: number;
}

/** A prefix-stable function of the stream sent so far. */
class Transform {
  private readonly unit: FaultUnit;
  private readonly list: SpanList;
  /** Spans that no longer hold anything back (released by flush, or their delay ran out). */
  private readonly expired = new Set<Span>();
  /** Delays: the step at which their span was first reached. */
  private readonly reached = new Map<Span, number>();

  constructor(unit: FaultUnit, list: SpanList) {
    this.unit = unit;
    this.list = list;
  }

  apply(input: Uint8Array, step: number): Applied {
    const starts = this.unit === 'record' ? recordStarts(input) : null;
    const count = starts ? starts.length - 1 : input.length;
    const off = (i: number): number => (starts ? starts[i]! : i);
    const slice = (a: number, b: number): Uint8Array => input.subarray(off(a), off(b));
    this.list.extendTo(count);
    const segments: Segment[] = [];
    const emit = (bytes: Uint8Array, cut: SegmentCut = 'free'): void => {
      if (bytes.length > 0) segments.push({ bytes, cut });
    };
    let pos = 0;
    const spans = this.list.spans;
    for (let k = 0; k < spans.length; k++) {
      const s = spans[k]!;
      if (s.at >= count) break;
      if (s.at < pos) continue; // inside a span already handled (cannot happen: spans do not overlap)
      emit(slice(pos, s.at));
      pos = s.at;
      const end = s.at + s.length;
      const avail = Math.min(end, count);
      const hold = (): Applied => ({ segments, eof: false, heldBy: k });
      switch (s.kind) {
        case 'fragment':
          emit(slice(s.at, avail), 'bytes');
          pos = avail;
          break;
        case 'corrupt':
          emit(this.corrupt(slice(s.at, avail), starts ? starts.slice(s.at, avail + 1).map((o) => o - starts[s.at]!) : null, s));
          pos = avail;
          break;
        case 'drop':
          pos = avail;
          break;
        case 'duplicate':
          // Prefix-stable: the first copy grows as the span arrives, the second follows once it is whole.
          emit(slice(s.at, avail));
          if (count >= end) emit(slice(s.at, end));
          pos = avail;
          break;
        case 'coalesce':
          if (this.expired.has(s)) break; // released as it was: the span passes unchanged
          if (count < end) return hold();
          emit(slice(s.at, end), 'whole');
          pos = end;
          break;
        case 'reorder':
          if (this.expired.has(s)) break;
          if (count < end + s.length) return hold();
          emit(slice(end, end + s.length));
          emit(slice(s.at, end));
          pos = end + s.length;
          break;
        case 'delay': {
          if (this.expired.has(s)) break;
          const since = this.reached.get(s) ?? step;
          this.reached.set(s, since);
          if (step - since < s.steps) return hold();
          this.expired.add(s);
          break;
        }
        case 'truncate':
          if (starts) {
            const rec = slice(s.at, s.at + 1);
            emit(rec.subarray(0, Math.max(0, Math.min(rec.length - 1, s.keep!(rec.length)))));
          }
          return { segments, eof: true, heldBy: -1 };
      }
    }
    emit(slice(pos, count));
    return { segments, eof: false, heldBy: -1 };
  }

  /** Releases what span `k` holds back, unchanged (the fault expires). */
  expire(k: number): void {
    const s = this.list.spans[k];
    if (s) this.expired.add(s);
  }

  private corrupt(bytes: Uint8Array, recordOffsets: number[] | null, s: Span): Uint8Array {
    const out = copyBytes(bytes);
    if (!recordOffsets) {
      for (let i = 0; i < out.length; i++) out[i]! ^= s.xor;
      return out;
    }
    for (let r = 0; r + 1 < recordOffsets.length; r++) {
      const start = recordOffsets[r]!;
      const len = recordOffsets[r + 1]! - start;
      const at = s.offset === undefined ? len - 1 : s.offset % len;
      out[start + at]! ^= s.xor;
    }
    return out;
  }
}

// ------------------------------------------------------------------ one direction

/**
 * One direction of a damaged transport, usable over any byte stream (between two
 * `TlsConnection`s, as {@link FaultPipe} does, or between two sockets):
 * {@link FaultLane.push} takes what the sender wrote and returns what the receiver gets
 * now; {@link FaultLane.flush} releases what a fault holds back. It keeps both streams, so a
 * test can tell whether a fault changed anything.
 */
export class FaultLane {
  /** The direction this lane carries. */
  readonly dir: Direction;
  private readonly transform: Transform | null;
  private readonly sentParts: Uint8Array[] = [];
  private sentBytes: Uint8Array | null = null;
  private readonly deliveredParts: Uint8Array[] = [];
  private deliveredBytes: Uint8Array | null = null;
  private deliveredLength = 0;
  private heldBy = -1;
  private steps = 0;
  /** The stream was cut (a truncation): nothing more reaches the receiver. */
  eof = false;

  /**
   * @param dir - the direction (only the faults of `plan` for this direction apply)
   * @param plan - planned and random faults
   * @throws RangeError for a malformed fault, overlapping spans, or record and byte faults in one direction
   */
  constructor(dir: Direction, plan: FaultPlan = {}) {
    this.dir = dir;
    const planned = (plan.faults ?? []).filter((f) => f.dir === dir);
    const rnd = plan.random && (plan.random.dirs ?? ['c2s', 's2c']).includes(dir) ? plan.random : undefined;
    const units = new Set<FaultUnit>([...planned.map((f) => f.unit), ...(rnd ? [rnd.unit] : [])]);
    if (units.size > 1) throw new TlsError('InvalidConfig', { detail: `fault: record and byte faults in one direction (${dir}) do not compose`, source: 'caller' });
    const unit = [...units][0];
    this.transform = unit === undefined ? null : new Transform(unit, new SpanList(dir, unit, planned, rnd));
  }

  /** Bytes are held back by a fault (a reorder or coalesce waiting for the rest, a delay). */
  get held(): boolean {
    return this.heldBy >= 0;
  }

  /** Every byte the sender wrote. */
  sent(): Uint8Array {
    return (this.sentBytes ??= concatBytes(this.sentParts));
  }

  /** Every byte the receiver was given. */
  delivered(): Uint8Array {
    return (this.deliveredBytes ??= concatBytes(this.deliveredParts));
  }

  /** The receiver was given other bytes than the sender wrote (so far). */
  changed(): boolean {
    const a = this.sent();
    const b = this.delivered();
    if (a.length !== b.length) return true;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return true;
    return false;
  }

  /** The sender wrote `bytes`: returns what the receiver gets now. */
  push(bytes: Uint8Array): LaneOutput {
    if (bytes.length > 0) {
      this.sentParts.push(copyBytes(bytes));
      this.sentBytes = null;
    }
    return this.next();
  }

  /**
   * One step of time passes (a `delay` counts these): returns what the receiver gets now
   * (a delay may have run out).
   */
  tick(): LaneOutput {
    this.steps++;
    return this.held ? this.next() : EMPTY;
  }

  /** Releases what a fault holds back, unchanged (that fault expires). */
  flush(): LaneOutput {
    if (!this.held || !this.transform) return EMPTY;
    this.transform.expire(this.heldBy);
    return this.next();
  }

  private next(): LaneOutput {
    if (this.eof) return EMPTY; // cut off: lost in transit
    let segments: Segment[];
    let eof = false;
    if (!this.transform) {
      const fresh = this.sent().subarray(this.deliveredLength);
      segments = fresh.length > 0 ? [{ bytes: fresh, cut: 'free' }] : [];
    } else {
      const r = this.transform.apply(this.sent(), this.steps);
      this.heldBy = r.heldBy;
      eof = r.eof;
      segments = this.fresh(r.segments);
    }
    const bytes = segments.length === 1 ? segments[0]!.bytes : concatBytes(segments.map((s) => s.bytes));
    if (bytes.length > 0) {
      this.deliveredParts.push(copyBytes(bytes));
      this.deliveredBytes = null;
      this.deliveredLength += bytes.length;
    }
    if (eof) this.eof = true;
    return { bytes, segments, eof };
  }

  /** The part of `all` not delivered yet, after checking that `all` extends what was delivered. */
  private fresh(all: readonly Segment[]): Segment[] {
    const before = this.delivered();
    const out: Segment[] = [];
    let o = 0;
    for (const s of all) {
      const b = s.bytes;
      // Self-check: a fault only ever extends what it delivered before.
      for (let i = 0; i < b.length && o + i < before.length; i++) {
        if (b[i] !== before[o + i]) throw new TlsError('InternalError', { detail: `fault lane bug: ${this.dir} output is not prefix-stable at byte ${o + i}` });
      }
      if (o + b.length > before.length) out.push({ bytes: b.subarray(Math.max(0, before.length - o)), cut: s.cut });
      o += b.length;
    }
    if (o < before.length) throw new TlsError('InternalError', { detail: `fault lane bug: ${this.dir} output shrank` });
    return out;
  }
}

const EMPTY: LaneOutput = { bytes: new Uint8Array(0), segments: [], eof: false };
