/**
 * How a byte stream is cut into `receive()` calls. A TLS engine must give the same result
 * however its input is cut (the sans-I/O invariant): a record split across calls, many
 * records in one call, a header cut after its first byte.
 *
 * @module
 */
import { seededNumbers } from './random.js';
import { TlsError } from '../base/errors.js';

/**
 * Returns the size of the next piece, given how many bytes remain. Values are clamped to
 * 1..remaining by whoever uses it. A chunker may keep state (a position in a cycle).
 */
export type Chunker = (remaining: number) => number;

/**
 * A chunker as plain data (printable, reusable across runs of a property):
 * - `'whole'`: every piece as large as possible;
 * - a number `n`: pieces of `n` bytes;
 * - an array of sizes: pieces cycling through them;
 * - `{ seed }`: pieces of seeded random size, biased to small ones (1-8 bytes 30% of the
 *   time, up to 600 bytes 30%, else everything left).
 */
export type ChunkPlan = 'whole' | number | readonly number[] | { readonly seed: number };

/** A fresh {@link Chunker} for `plan` (a plan is data; each chunker made from it starts over). */
export function chunker(plan: ChunkPlan): Chunker {
  if (plan === 'whole') return (n) => n;
  if (typeof plan === 'number') {
    if (!(plan >= 1)) throw new TlsError('InvalidConfig', { detail: 'chunker: a piece size must be at least 1', source: 'caller' });
    return () => plan;
  }
  if (Array.isArray(plan)) {
    const sizes = plan as readonly number[];
    if (sizes.length === 0 || sizes.some((s) => !(s >= 1))) throw new TlsError('InvalidConfig', { detail: 'chunker: cycle sizes must be at least 1', source: 'caller' });
    let i = 0;
    return () => sizes[i++ % sizes.length]!;
  }
  const r = seededNumbers(((plan as { readonly seed: number }).seed ^ 0x5bd1e995) >>> 0);
  return (n) => {
    const x = r();
    if (x < 0.3) return 1 + Math.floor(r() * 8);
    if (x < 0.6) return 1 + Math.floor(r() * 600);
    return n;
  };
}

/** The size of the next piece from `chunk`, clamped to 1..remaining. */
export function nextPiece(chunk: Chunker, remaining: number): number {
  const n = Math.floor(chunk(remaining));
  return Math.max(1, Math.min(remaining, Number.isFinite(n) ? n : remaining));
}
