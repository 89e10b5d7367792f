/**
 * Byte-string helpers shared by every layer (no dependencies).
 *
 * @module
 */

/** Concatenates byte strings into a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Byte equality, not constant time: for public data (names, certificates, identifiers). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex of a byte string. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** The bytes of a lowercase or uppercase hex string, or null when it is not one (odd length, other characters). */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * A copy of `b` in new memory, as a plain `Uint8Array`. Not `b.slice()`: on a Node `Buffer`
 * (a `Uint8Array` subclass callers often pass) `slice()` is a view of the same memory, so a
 * "copy" made with it would change when the caller reuses its buffer.
 */
export function copyBytes(b: Uint8Array): Uint8Array<ArrayBuffer>;
export function copyBytes(b: Uint8Array | undefined): Uint8Array<ArrayBuffer> | undefined;
export function copyBytes(b: Uint8Array | undefined): Uint8Array<ArrayBuffer> | undefined {
  return b === undefined ? undefined : new Uint8Array(b);
}
