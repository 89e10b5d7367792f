/**
 * Byte-level mutations (the "havoc" stage of a coverage-guided fuzzer), plus the interface
 * that structure-aware mutators implement. Each mutator returns a new array (inputs in the
 * corpus are never modified in place) or null when it does not apply.
 */
import type { Rng } from './rng.js';

/** What a mutator may use besides the input. */
export interface MutateContext {
  /** Another corpus entry (for splicing), or null if the corpus has one entry. */
  other(): Uint8Array | null;
  /** Tokens worth inserting (type codes, OIDs, tags), possibly empty. */
  readonly dictionary: readonly Uint8Array[];
  /** Largest input to produce. */
  readonly maxLen: number;
}

/** A mutation: a new input, or null when it does not apply to this one. */
export type Mutator = (input: Uint8Array, rng: Rng, ctx: MutateContext) => Uint8Array | null;

/** A named mutator with a relative weight. */
export interface WeightedMutator {
  readonly name: string;
  readonly weight: number;
  readonly fn: Mutator;
}

const INTERESTING8 = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x07, 0x08, 0x0f, 0x10, 0x16, 0x17, 0x1f, 0x20, 0x30, 0x31, 0x40, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0xa0, 0xc0, 0xfe, 0xff];
const INTERESTING16 = [0x0000, 0x0001, 0x0002, 0x00ff, 0x0100, 0x0303, 0x0304, 0x3fff, 0x4000, 0x4001, 0x4100, 0x4800, 0x7fff, 0x8000, 0xfffe, 0xffff];

export function splice(a: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length - del + ins.length);
  out.set(a.subarray(0, at), 0);
  out.set(ins, at);
  out.set(a.subarray(at + del), at + ins.length);
  return out;
}

function copy(a: Uint8Array): Uint8Array {
  return a.slice();
}

const flipBit: Mutator = (a, rng) => {
  if (a.length === 0) return null;
  const b = copy(a);
  const i = rng.below(b.length);
  b[i]! ^= 1 << rng.below(8);
  return b;
};

const setInteresting8: Mutator = (a, rng) => {
  if (a.length === 0) return null;
  const b = copy(a);
  b[rng.below(b.length)] = rng.pick(INTERESTING8);
  return b;
};

const randomByte: Mutator = (a, rng) => {
  if (a.length === 0) return null;
  const b = copy(a);
  b[rng.below(b.length)] = rng.below(256);
  return b;
};

const addSub: Mutator = (a, rng) => {
  if (a.length === 0) return null;
  const b = copy(a);
  const i = rng.below(b.length);
  b[i] = (b[i]! + rng.range(-8, 8)) & 0xff;
  return b;
};

/** Overwrites a big-endian 16-bit (or 24-bit) field: most TLS and DER lengths are these. */
const setInteresting16: Mutator = (a, rng) => {
  if (a.length < 2) return null;
  const b = copy(a);
  const i = rng.below(b.length - 1);
  const old = (b[i]! << 8) | b[i + 1]!;
  const v = rng.chance(0.5) ? rng.pick(INTERESTING16) : (old + rng.range(-4, 4)) & 0xffff;
  b[i] = v >>> 8;
  b[i + 1] = v & 0xff;
  return b;
};

const deleteBlock: Mutator = (a, rng) => {
  if (a.length < 2) return null;
  const n = rng.smallLength(a.length - 1);
  const at = rng.below(a.length - n + 1);
  return splice(a, at, n, new Uint8Array(0));
};

const insertRandom: Mutator = (a, rng, ctx) => {
  const n = rng.smallLength(32);
  if (a.length + n > ctx.maxLen) return null;
  const ins = rng.chance(0.5) ? rng.bytes(n) : new Uint8Array(n).fill(rng.pick(INTERESTING8));
  return splice(a, rng.below(a.length + 1), 0, ins);
};

const duplicateBlock: Mutator = (a, rng, ctx) => {
  if (a.length === 0) return null;
  const n = rng.smallLength(Math.min(a.length, 256));
  if (a.length + n > ctx.maxLen) return null;
  const from = rng.below(a.length - n + 1);
  return splice(a, rng.below(a.length + 1), 0, a.slice(from, from + n));
};

const overwriteBlock: Mutator = (a, rng) => {
  if (a.length < 2) return null;
  const n = rng.smallLength(Math.min(a.length - 1, 64));
  const from = rng.below(a.length - n + 1);
  const to = rng.below(a.length - n + 1);
  const b = copy(a);
  b.set(a.subarray(from, from + n), to);
  return b;
};

const truncate: Mutator = (a, rng) => {
  if (a.length < 2) return null;
  return a.slice(0, rng.below(a.length));
};

const spliceOther: Mutator = (a, rng, ctx) => {
  const o = ctx.other();
  if (!o || o.length === 0 || a.length === 0) return null;
  const cutA = rng.below(a.length + 1);
  const cutB = rng.below(o.length);
  const tail = o.subarray(cutB, cutB + rng.smallLength(o.length - cutB));
  const out = new Uint8Array(cutA + tail.length);
  out.set(a.subarray(0, cutA));
  out.set(tail, cutA);
  return out.length <= ctx.maxLen ? out : null;
};

const insertToken: Mutator = (a, rng, ctx) => {
  if (ctx.dictionary.length === 0) return null;
  const t = rng.pick(ctx.dictionary);
  if (a.length + t.length > ctx.maxLen) return null;
  if (rng.chance(0.5) && a.length >= t.length) {
    const b = copy(a);
    b.set(t, rng.below(a.length - t.length + 1));
    return b;
  }
  return splice(a, rng.below(a.length + 1), 0, t);
};

/**
 * A length field guess: finds positions where a big-endian u8/u16/u24 equals the number
 * of bytes that follow to some plausible end, and makes it lie (±1, 0, max) or truncates
 * the vector it announces. Cheap, and it hits TLS vectors and DER lengths alike.
 */
const lengthLie: Mutator = (a, rng) => {
  if (a.length < 3) return null;
  const candidates: { at: number; width: number; value: number }[] = [];
  for (let i = 0; i + 1 < a.length && candidates.length < 64; i++) {
    const v8 = a[i]!;
    if (v8 > 0 && i + 1 + v8 <= a.length && (i + 1 + v8 === a.length || rng.chance(0.05))) candidates.push({ at: i, width: 1, value: v8 });
    if (i + 2 < a.length) {
      const v16 = (a[i]! << 8) | a[i + 1]!;
      if (v16 > 0 && i + 2 + v16 <= a.length) candidates.push({ at: i, width: 2, value: v16 });
    }
    if (i + 3 < a.length) {
      const v24 = (a[i]! << 16) | (a[i + 1]! << 8) | a[i + 2]!;
      if (v24 > 0 && i + 3 + v24 <= a.length) candidates.push({ at: i, width: 3, value: v24 });
    }
  }
  if (candidates.length === 0) return null;
  const c = rng.pick(candidates);
  const max = c.width === 1 ? 0xff : c.width === 2 ? 0xffff : 0xffffff;
  const choice = rng.below(6);
  if (choice === 5) {
    // Shrink the vector's content and its length together (a consistent shorter vector).
    const cut = rng.range(1, c.value);
    const out = splice(a, c.at + c.width + c.value - cut, cut, new Uint8Array(0));
    writeBE(out, c.at, c.width, c.value - cut);
    return out;
  }
  const v = [c.value + 1, c.value - 1, 0, max, c.value * 2, rng.below(max + 1)][choice]!;
  const out = copy(a);
  writeBE(out, c.at, c.width, Math.max(0, Math.min(max, v)));
  return out;
};

export function writeBE(b: Uint8Array, at: number, width: number, v: number): void {
  for (let k = width - 1; k >= 0; k--) {
    b[at + k] = v & 0xff;
    v = Math.floor(v / 256);
  }
}

export function readBE(b: Uint8Array, at: number, width: number): number {
  let v = 0;
  for (let k = 0; k < width; k++) v = v * 256 + b[at + k]!;
  return v;
}

/** The generic byte mutators with their weights. */
export const HAVOC: readonly WeightedMutator[] = [
  { name: 'flipBit', weight: 10, fn: flipBit },
  { name: 'interesting8', weight: 8, fn: setInteresting8 },
  { name: 'randomByte', weight: 6, fn: randomByte },
  { name: 'addSub', weight: 5, fn: addSub },
  { name: 'interesting16', weight: 6, fn: setInteresting16 },
  { name: 'deleteBlock', weight: 6, fn: deleteBlock },
  { name: 'insertRandom', weight: 4, fn: insertRandom },
  { name: 'duplicateBlock', weight: 4, fn: duplicateBlock },
  { name: 'overwriteBlock', weight: 4, fn: overwriteBlock },
  { name: 'truncate', weight: 3, fn: truncate },
  { name: 'spliceOther', weight: 4, fn: spliceOther },
  { name: 'insertToken', weight: 4, fn: insertToken },
  { name: 'lengthLie', weight: 8, fn: lengthLie },
];

/** Picks an entry (a mutator, a tree operation) by weight. */
export function pickWeighted<T extends { readonly weight: number }>(list: readonly T[], rng: Rng): T {
  let total = 0;
  for (const m of list) total += m.weight;
  let r = rng.below(total);
  for (const m of list) {
    if (r < m.weight) return m;
    r -= m.weight;
  }
  return list[list.length - 1]!;
}

/**
 * Applies 1..8 stacked mutations (fewer more often), drawing from the target's structure-aware
 * mutators with probability `structuredShare` and from {@link HAVOC} otherwise.
 */
export function mutate(input: Uint8Array, rng: Rng, ctx: MutateContext, structured: readonly WeightedMutator[], structuredShare: number): Uint8Array {
  const rounds = 1 << rng.below(4);
  let cur = input;
  let changed = false;
  for (let i = 0; i < rounds * 2 && (!changed || i < rounds); i++) {
    const list = structured.length > 0 && rng.chance(structuredShare) ? structured : HAVOC;
    const m = pickWeighted(list, rng);
    const next = m.fn(cur, rng, ctx);
    if (next && next.length <= ctx.maxLen) {
      cur = next;
      changed = true;
    }
  }
  if (!changed) cur = flipBit(input.length > 0 ? input : new Uint8Array(1), rng, ctx)!;
  return cur;
}
