/**
 * Helpers shared by the handshake codec properties (test/props/codec.test.ts for TLS 1.3,
 * test/unit/wire/tls12-props.test.ts for TLS 1.2): field generators, message comparison
 * and random edits of an encoded body.
 */
import fc from 'fast-check';
import type { HandshakeMessage } from '../../src/wire/messages.js';

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const bytes = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength, maxLength });

/** `m` without its `raw` encoding, for comparing a decoded message with the one encoded. */
export function withoutRaw(m: HandshakeMessage): Omit<HandshakeMessage, 'raw'> {
  const { raw: _raw, ...rest } = m;
  return rest;
}

/** One edit of an encoded body (positions are taken modulo its length). */
export interface BodyEdit {
  kind: 'flip' | 'set' | 'insert' | 'delete' | 'truncate-extend';
  at: number;
  value: number;
  count: number;
}

export const bodyEditArb: fc.Arbitrary<BodyEdit> = fc.record({
  kind: fc.constantFrom('flip', 'set', 'insert', 'delete', 'truncate-extend'),
  at: fc.nat(),
  value: u8,
  count: fc.integer({ min: 1, max: 4 }),
});

/**
 * Applies `edits` in order to a copy of `body`: flip one bit, set a byte, insert or delete
 * `count` bytes, or append `count` bytes ('truncate-extend').
 */
export function applyBodyEdits(body: Uint8Array, edits: readonly BodyEdit[]): Uint8Array {
  let b = Array.from(body);
  for (const mu of edits) {
    const at = b.length === 0 ? 0 : mu.at % b.length;
    if (mu.kind === 'flip' && b.length > 0) b[at] = b[at]! ^ (1 << (mu.value % 8));
    else if (mu.kind === 'set' && b.length > 0) b[at] = mu.value;
    else if (mu.kind === 'insert') b.splice(at, 0, ...Array<number>(mu.count).fill(mu.value));
    else if (mu.kind === 'delete') b.splice(at, mu.count);
    else b = b.concat(Array<number>(mu.count).fill(mu.value));
  }
  return Uint8Array.from(b);
}
