/**
 * Deterministic inputs for a connection: a seeded `random` option and a fixed `now`.
 * With both fixed, a connection sends the same bytes every time it is given the same
 * input (the engine draws randomness and reads the clock only through its options).
 *
 * @module
 */
import type { RandomSource } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';

/**
 * A seeded byte source (xorshift32) for the `random` option: the same seed gives the same
 * bytes, so handshakes repeat byte for byte. Not for production: it is predictable.
 *
 * @param seed - any 32-bit integer (0 is replaced by a fixed non-zero state)
 */
export function seededRandom(seed: number): RandomSource {
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

/**
 * A clock for the `now` option that always answers `time` (milliseconds since the epoch,
 * or a Date). Certificate validity is checked against it.
 */
export function fixedClock(time: number | Date): () => number {
  const t = typeof time === 'number' ? time : time.getTime();
  if (!Number.isFinite(t)) throw new TlsError('InvalidConfig', { detail: 'fixedClock: not a valid time', source: 'caller' });
  return () => t;
}

/**
 * A seeded PRNG of numbers in [0, 1) (mulberry32), for placing faults and cutting streams.
 * Deterministic, fast, and good enough for tests; not for keys.
 */
export function seededNumbers(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
