/**
 * fast-check arbitraries shared by the engine properties: how an input is mutated (how a
 * byte stream is cut is `chunkPlanArb` of puretls/testing/arbitraries). The TLS 1.3
 * properties (test/props/engine.test.ts) and the TLS 1.2 ones (test/props/engine12.test.ts)
 * use the same ones, so both explore the same space.
 */
import fc from 'fast-check';
import { join } from './bytes.js';

/** One edit of a byte string (positions are taken modulo its length). */
export type Mutation =
  | { k: 'flip'; at: number; x: number }
  | { k: 'truncate'; at: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; n: number }
  | { k: 'set16'; at: number; v: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), x: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ k: fc.constant('set16' as const), at: fc.nat(), v: fc.oneof(fc.constantFrom(0, 1, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0xffff), fc.integer({ min: 0, max: 0xffff })) }),
);

/** Applies `ms` in order to a copy of `input`. */
export function mutate(input: Uint8Array, ms: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = input.slice();
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.at % b.length;
    switch (m.k) {
      case 'flip':
        b[at]! ^= m.x;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = join([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = join([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
      case 'set16':
        if (at + 1 < b.length) {
          b[at] = m.v >> 8;
          b[at + 1] = m.v & 0xff;
        }
        break;
    }
  }
  return b;
}

/** Applies `edit` to the body of the handshake message in the first record, fixing both length fields. */
export function rewrapFirst(flight: Uint8Array, edit: (body: Uint8Array) => Uint8Array): Uint8Array {
  const recLen = (flight[3]! << 8) | flight[4]!;
  const msg = flight.subarray(5, 5 + recLen);
  const body = edit(msg.subarray(4));
  const n = body.length;
  const rec = join([new Uint8Array([flight[0]!, flight[1]!, flight[2]!, ((n + 4) >> 8) & 0xff, (n + 4) & 0xff, msg[0]!, n >> 16, (n >> 8) & 0xff, n & 0xff]), body]);
  return join([rec, flight.subarray(5 + recLen)]);
}

/** Random-looking record framing around random content (gets past the deframer more often than raw noise). */
export const framedArb: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.record({
      type: fc.oneof(fc.constantFrom(20, 21, 22, 23), fc.integer({ min: 0, max: 255 })),
      version: fc.constantFrom(0x0301, 0x0303, 0x0304, 0x0300),
      body: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => join([new Uint8Array([b[0]! % 26, 0, 0, b.length - 1]), b.subarray(1)]))),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((recs) => join(recs.map((r) => join([new Uint8Array([r.type, r.version >> 8, r.version & 0xff, r.body.length >> 8, r.body.length & 0xff]), r.body]))));

/**
 * Inputs built around a real flight: noise, framed noise, the flight mutated, its start
 * mutated, and its first handshake message mutated with consistent length fields (so the
 * decoders and the negotiation see it; the rest of the flight follows unchanged).
 */
export function inputArb(real: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    framedArb,
    fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => mutate(real(), ms)),
    fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => mutate(real().subarray(0, 200), ms)),
    fc.array(mutationArb, { minLength: 1, maxLength: 3 }).map((ms) => rewrapFirst(real(), (body) => mutate(body, ms))),
  );
}
