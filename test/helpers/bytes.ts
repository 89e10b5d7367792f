/**
 * Byte helpers for tests: joining, comparing without test-framework diffing, and
 * deterministic payloads.
 */
import { seededRandom } from '../../src/testing/index.js';

/** Concatenates byte strings into a new array (the library's own helper). */
export { concatBytes as join } from '../../src/base/bytes.js';

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
