/** Test helpers for the wire codec tests (not a test file itself). */

/** Hex (whitespace ignored) → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex: ${clean}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes → lowercase hex. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** u16 big-endian hex of n. */
export function u16(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** One extension: type (u16) ‖ length (u16) ‖ data, as hex. */
export function ext(type: number, dataHex = ''): string {
  const data = dataHex.replace(/\s+/g, '');
  return u16(type) + u16(data.length / 2) + data;
}

/** An extension block: u16 length ‖ extensions, as hex. */
export function block(...exts: string[]): string {
  const body = exts.join('');
  return u16(body.length / 2) + body;
}
