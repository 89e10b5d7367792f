/**
 * The fault-injection transport itself (puretls/testing `FaultPipe`, `FaultLane`), against
 * stub endpoints that emit fixed records and keep every byte and every receive() call:
 * each fault does exactly what it says, held spans wait for their partner and are
 * released unchanged on flush, truncation gives end of stream, timing faults never change
 * a byte, and seeded random faults are reproducible.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, FaultLane, FaultPipe, StallError, TIMING_FAULTS, chunker, pump, type Fault, type FaultPipeOptions, type PipeEndpoint } from '../../src/testing/index.js';
import { join } from '../helpers/bytes.js';
import { TlsError } from '../../src/base/errors.js';

/** A stand-in for TlsConnection: sends what is queued, takes every byte (or `room` bytes per call), notes EOF. */
class Stub implements PipeEndpoint {
  out: Uint8Array[] = [];
  got: Uint8Array[] = [];
  /** The size of every receive() call. */
  calls: number[] = [];
  plaintext: Uint8Array[] = [];
  ended = false;
  /** Bytes taken per receive() (Infinity: all). */
  room = Infinity;
  readonly role: 'client' | 'server';
  constructor(role: 'client' | 'server') {
    this.role = role;
  }
  takeOutput(): Uint8Array | null {
    if (this.out.length === 0) return null;
    const o = join(this.out);
    this.out = [];
    return o;
  }
  receive(b: Uint8Array): number {
    const n = Math.min(b.length, this.room);
    this.calls.push(b.length);
    this.got.push(b.slice(0, n));
    return n;
  }
  process(): Promise<void> {
    return Promise.resolve();
  }
  read(): Uint8Array | null {
    return this.plaintext.shift() ?? null;
  }
  end(): void {
    this.ended = true;
  }
  bytes(): number[] {
    return [...join(this.got)];
  }
}

/** A record of type 23 whose body is `len` copies of `tag`. */
function rec(tag: number, len = 2): Uint8Array {
  return Uint8Array.from([23, 3, 3, len >> 8, len & 0xff, ...new Array<number>(len).fill(tag)]);
}

/** Each inner array is one takeOutput() (one flight); flights go one step at a time, then the pipe settles. */
async function run(flights: Uint8Array[][], o: FaultPipeOptions): Promise<{ server: Stub; pipe: FaultPipe }> {
  const client = new Stub('client');
  const server = new Stub('server');
  const pipe = new FaultPipe(client, server, o);
  for (const flight of flights) {
    client.out.push(...flight);
    await pipe.step();
  }
  await pipe.settle();
  return { server, pipe };
}

const c2s = (f: Omit<Fault, 'dir'>): Fault => ({ dir: 'c2s', ...f });
const three = [[rec(1)], [rec(2), rec(3)]];
const plain = [...rec(1), ...rec(2), ...rec(3)];

describe('FaultPipe: faults that change bytes', () => {
  it('no fault: the stream arrives as sent, however it is cut', async () => {
    const { server, pipe } = await run(three, { chunk: { seed: 5 } });
    expect(server.bytes()).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(false);
    expect(pipe.records('c2s').map((r) => r.bytes[5])).toEqual([1, 2, 3]);
  });

  it('record faults: drop, duplicate, reorder, corrupt, truncate', async () => {
    expect((await run(three, { faults: [c2s({ kind: 'drop', unit: 'record', at: 1 })] })).server.bytes()).toEqual([...rec(1), ...rec(3)]);
    expect((await run(three, { faults: [c2s({ kind: 'duplicate', unit: 'record', at: 0 })] })).server.bytes()).toEqual([...rec(1), ...rec(1), ...rec(2), ...rec(3)]);
    expect((await run(three, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 0 })] })).server.bytes()).toEqual([...rec(2), ...rec(1), ...rec(3)]);
    // Corrupt: the last byte of each record of the span by default, or the byte at `offset`.
    const corrupted = (await run(three, { faults: [c2s({ kind: 'corrupt', unit: 'record', at: 1, length: 2 })] })).server.bytes();
    expect(corrupted).toEqual([...rec(1), 23, 3, 3, 0, 2, 2, 2 ^ 1, 23, 3, 3, 0, 2, 3, 3 ^ 1]);
    const header = (await run(three, { faults: [c2s({ kind: 'corrupt', unit: 'record', at: 2, offset: 0, xor: 0x80 })] })).server.bytes();
    expect(header).toEqual([...rec(1), ...rec(2), 23 ^ 0x80, 3, 3, 0, 2, 3, 3]);
    const t = await run(three, { faults: [c2s({ kind: 'truncate', unit: 'record', at: 1, keep: 3 })] });
    expect(t.server.bytes()).toEqual([...rec(1), 23, 3, 3]);
    expect(t.server.ended).toBe(true);
    expect(t.pipe.truncated('c2s')).toBe(true);
  });

  it('byte faults: drop, duplicate, reorder, corrupt, truncate', async () => {
    const b = (f: Omit<Fault, 'dir' | 'unit'>): FaultPipeOptions => ({ faults: [c2s({ unit: 'bytes', ...f })], chunk: { seed: 1 } });
    expect((await run(three, b({ kind: 'drop', at: 2, length: 3 }))).server.bytes()).toEqual([...plain.slice(0, 2), ...plain.slice(5)]);
    expect((await run(three, b({ kind: 'duplicate', at: 6, length: 4 }))).server.bytes()).toEqual([...plain.slice(0, 10), ...plain.slice(6)]);
    expect((await run(three, b({ kind: 'reorder', at: 5, length: 2 }))).server.bytes()).toEqual([...plain.slice(0, 5), ...plain.slice(7, 9), ...plain.slice(5, 7), ...plain.slice(9)]);
    expect((await run(three, b({ kind: 'corrupt', at: 4, length: 2, xor: 0xff }))).server.bytes()).toEqual([...plain.slice(0, 4), plain[4]! ^ 0xff, plain[5]! ^ 0xff, ...plain.slice(6)]);
    const t = await run(three, b({ kind: 'truncate', at: 9 }));
    expect(t.server.bytes()).toEqual(plain.slice(0, 9));
    expect(t.server.ended).toBe(true);
  });

  it('a byte duplicate that spans two flights delivers the first copy as it arrives, the second once it is whole', async () => {
    const client = new Stub('client');
    const server = new Stub('server');
    const pipe = new FaultPipe(client, server, { faults: [c2s({ kind: 'duplicate', unit: 'bytes', at: 5, length: 4 })] });
    client.out.push(rec(1)); // 7 bytes: the span's first two
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1)]);
    client.out.push(rec(2));
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1), ...rec(2).subarray(0, 2), ...rec(1).subarray(5), ...rec(2)]);
  });

  it('a reorder with no partner is released unchanged when the pipe is quiet', async () => {
    const { server, pipe } = await run(three, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 2 })] });
    expect(server.bytes()).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(false);
  });

  it('a held record released on flush stays in place when its partner comes later', async () => {
    const client = new Stub('client');
    const server = new Stub('server');
    const pipe = new FaultPipe(client, server, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 0 })] });
    client.out.push(rec(1));
    await pipe.step();
    expect(server.bytes()).toEqual([]);
    expect(pipe.held('c2s')).toBe(true);
    await pipe.flush();
    expect(server.bytes()).toEqual([...rec(1)]);
    client.out.push(rec(2));
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1), ...rec(2)]);
  });

  it('refuses malformed and overlapping faults, and record and byte faults in one direction', () => {
    const s = (): Stub => new Stub('client');
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'drop', unit: 'record', at: 1, length: 2 }), c2s({ kind: 'drop', unit: 'record', at: 2 })] })).toThrow(TlsError);
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'reorder', unit: 'bytes', at: 0, length: 5 }), c2s({ kind: 'drop', unit: 'bytes', at: 9 })] })).toThrow(TlsError);
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'drop', unit: 'record', at: 1 }), c2s({ kind: 'drop', unit: 'bytes', at: 9 })] })).toThrow(TlsError);
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'corrupt', unit: 'bytes', at: 0, xor: 0 })] })).toThrow(TlsError);
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'drop', unit: 'bytes', at: -1 })] })).toThrow(TlsError);
    // The other direction is independent.
    expect(() => new FaultPipe(s(), s(), { faults: [c2s({ kind: 'drop', unit: 'record', at: 1 }), { dir: 's2c', kind: 'drop', unit: 'bytes', at: 1 }] })).not.toThrow();
  });
});

describe('FaultPipe: faults that change only timing', () => {
  it('fragment: the span arrives one byte per receive() call', async () => {
    const { server, pipe } = await run(three, { faults: [c2s({ kind: 'fragment', unit: 'record', at: 1 })] });
    expect(server.bytes()).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(false);
    expect(server.calls).toEqual([7, 1, 1, 1, 1, 1, 1, 1, 7]);
  });

  it('coalesce: the span is held until it is whole, then arrives in one receive() call', async () => {
    const { server } = await run([[rec(1)], [rec(2)], [rec(3)]], { faults: [c2s({ kind: 'coalesce', unit: 'record', at: 0, length: 3 })], chunk: 1 });
    expect(server.bytes()).toEqual(plain);
    expect(server.calls).toEqual([21]);
  });

  it('coalesce over bytes: a span cut across two flights arrives whole; the chunker cuts the rest', async () => {
    const { server } = await run(three, { faults: [c2s({ kind: 'coalesce', unit: 'bytes', at: 5, length: 4 })], chunk: 2 });
    expect(server.bytes()).toEqual(plain);
    expect(server.calls).toEqual([2, 2, 1, 4, 2, 2, 2, 2, 2, 2]);
  });

  it('delay: the span (and what follows) waits while the other direction moves', async () => {
    const client = new Stub('client');
    const server = new Stub('server');
    const order: string[] = [];
    const note = (who: Stub, tag: string): void => {
      const receive = who.receive.bind(who);
      who.receive = (b) => (order.push(tag), receive(b));
    };
    note(server, 'c2s');
    note(client, 's2c');
    const pipe = new FaultPipe(client, server, { faults: [c2s({ kind: 'delay', unit: 'record', at: 1, steps: 2 })] });
    client.out.push(rec(1), rec(2), rec(3));
    server.out.push(rec(9));
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1)]);
    server.out.push(rec(8));
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1), ...rec(2), ...rec(3)]);
    expect(order).toEqual(['c2s', 's2c', 's2c', 'c2s']);
    expect(pipe.changed('c2s')).toBe(false);
  });

  it('a delay is released when the pipe is quiet', async () => {
    const { server } = await run(three, { faults: [c2s({ kind: 'delay', unit: 'bytes', at: 3, steps: 100 })] });
    expect(server.bytes()).toEqual(plain);
  });

  it('timing faults never change a byte (any plan, any flights, any chunking)', async () => {
    const spanArb = fc.record({ kind: fc.constantFrom(...TIMING_FAULTS), unit: fc.constantFrom('record' as const, 'bytes' as const), at: fc.nat(40), length: fc.integer({ min: 1, max: 6 }), steps: fc.integer({ min: 0, max: 3 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        spanArb,
        fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
        async (flightSizes, span, chunk) => {
          let tag = 0;
          const flights = flightSizes.map((f) => f.map((len) => rec(++tag, len)));
          const { server, pipe } = await run(flights, { faults: [c2s(span)], ...(chunk !== undefined ? { chunk } : {}) });
          expect(server.bytes()).toEqual([...join(flights.flat())]);
          expect(pipe.changed('c2s')).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('FaultPipe: random faults, reading, tampering', () => {
  it('seeded random faults are reproducible, and differ between seeds', async () => {
    const many = Array.from({ length: 40 }, (_, i) => [rec(i + 1, 1 + (i % 7))]);
    const random = (seed: number): FaultPipeOptions => ({ random: { seed, rate: 0.2, unit: 'record', kinds: ['drop', 'duplicate', 'reorder', 'corrupt'] } });
    const a = await run(many, random(42));
    const b = await run(many, random(42));
    const c = await run(many, random(43));
    expect(a.server.bytes()).toEqual(b.server.bytes());
    expect(a.pipe.changed('c2s')).toBe(true);
    expect(a.server.bytes()).not.toEqual(c.server.bytes());
    const d = await run(many, { random: { seed: 7, rate: 0.01, unit: 'bytes' }, chunk: { seed: 3 } });
    const e = await run(many, { random: { seed: 7, rate: 0.01, unit: 'bytes' }, chunk: { seed: 9 } });
    expect(d.server.bytes()).toEqual(e.server.bytes());
  });

  it('random faults of every kind stay prefix-stable whatever the flights (the lane checks itself)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
        fc.integer(),
        fc.constantFrom('record' as const, 'bytes' as const),
        fc.subarray([...FAULT_KINDS], { minLength: 1 }),
        async (flightSizes, seed, unit, kinds) => {
          let tag = 0;
          const flights = flightSizes.map((f) => f.map((len) => rec(++tag, len)));
          await run(flights, { random: { seed, rate: unit === 'record' ? 0.3 : 0.05, unit, kinds, maxLength: unit === 'record' ? 2 : 8 } });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("planned faults win over random ones in the same direction; random faults only touch their 'dirs'", async () => {
    const many = Array.from({ length: 20 }, (_, i) => [rec(i + 1)]);
    const { server } = await run(many, { faults: [c2s({ kind: 'drop', unit: 'record', at: 0 })], random: { seed: 1, rate: 0, unit: 'record' } });
    expect(server.bytes()).toEqual([...join(many.slice(1).flat())]);
    const other = await run(many, { random: { seed: 1, rate: 1, unit: 'record', kinds: ['drop'], dirs: ['s2c'] } });
    expect(other.server.bytes()).toEqual([...join(many.flat())]);
  });

  it("read policies: 'always' reads after every process(), 'when-full' only when input is refused, 'never' throws a StallError", async () => {
    const mk = async (read: FaultPipeOptions['read']): Promise<{ server: Stub; pipe: FaultPipe }> => {
      const client = new Stub('client');
      const server = new Stub('server');
      server.plaintext.push(Uint8Array.of(1), Uint8Array.of(2));
      const pipe = new FaultPipe(client, server, { read });
      client.out.push(rec(1));
      await pipe.settle();
      return { server, pipe };
    };
    expect([...(await mk('always')).pipe.received('server')]).toEqual([1, 2]);
    expect([...(await mk('when-full')).pipe.received('server')]).toEqual([]);
    const never = await mk('never');
    expect(never.pipe.received('server').length).toBe(0);
    await never.pipe.drain();
    expect([...never.pipe.received('server')]).toEqual([1, 2]);

    const client = new Stub('client');
    const server = new Stub('server');
    server.room = 0;
    client.out.push(rec(1));
    await expect(new FaultPipe(client, server, { read: 'never' }).settle()).rejects.toThrow(StallError);
    server.plaintext.push(Uint8Array.of(7));
    client.out.push(rec(1));
    const full = new FaultPipe(client, server, { read: 'when-full' });
    await expect(full.settle()).rejects.toThrow(StallError);
    expect([...full.received('server')]).toEqual([7]);
  });

  it('a tamper hook sees every record once, in order, before the faults; sent() keeps the original', async () => {
    const seen: number[] = [];
    const { server, pipe } = await run(three, {
      tamper: (dir, index, r) => {
        seen.push(index);
        return index === 1 ? join([r, rec(9)]) : r;
      },
      faults: [c2s({ kind: 'drop', unit: 'record', at: 0 })],
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(server.bytes()).toEqual([...rec(2), ...rec(9), ...rec(3)]);
    expect([...pipe.sent('c2s')]).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(true);
  });

  it('pump runs two endpoints until quiet, in either order', async () => {
    const a = new Stub('client');
    const b = new Stub('server');
    a.out.push(rec(1));
    b.out.push(rec(2));
    const pipe = await pump(b, a, { chunk: 3 });
    expect(a.bytes()).toEqual([...rec(2)]);
    expect(b.bytes()).toEqual([...rec(1)]);
    expect(a.calls).toEqual([3, 3, 1]);
    expect([...pipe.sent('c2s')]).toEqual([...rec(2)]);
  });
});

describe('FaultLane over any stream', () => {
  it('push returns what the receiver gets now; flush releases a held span; eof after a truncation', () => {
    const lane = new FaultLane('s2c', { faults: [{ dir: 's2c', kind: 'reorder', unit: 'record', at: 1 }, { dir: 's2c', kind: 'truncate', unit: 'record', at: 4, keep: 1 }] });
    expect([...lane.push(rec(1)).bytes]).toEqual([...rec(1)]);
    expect(lane.push(rec(2)).bytes.length).toBe(0);
    expect(lane.held).toBe(true);
    expect([...lane.push(rec(3)).bytes]).toEqual([...rec(3), ...rec(2)]);
    expect([...lane.push(join([rec(4), rec(5)])).bytes]).toEqual([...rec(4), 23]);
    expect(lane.eof).toBe(true);
    expect(lane.push(rec(6)).bytes.length).toBe(0);
    expect(lane.changed()).toBe(true);
    const held = new FaultLane('c2s', { faults: [{ dir: 'c2s', kind: 'coalesce', unit: 'bytes', at: 0, length: 100 }] });
    expect(held.push(rec(1)).bytes.length).toBe(0);
    const r = held.flush();
    expect([...r.bytes]).toEqual([...rec(1)]);
    expect(r.segments.map((s) => s.cut)).toEqual(['free']);
  });

  it('chunker plans', () => {
    const take = (c: (n: number) => number, n: number): number[] => Array.from({ length: n }, () => c(1000));
    expect(take(chunker('whole'), 2)).toEqual([1000, 1000]);
    expect(take(chunker(3), 2)).toEqual([3, 3]);
    expect(take(chunker([1, 5]), 3)).toEqual([1, 5, 1]);
    expect(take(chunker({ seed: 4 }), 20)).toEqual(take(chunker({ seed: 4 }), 20));
    expect(() => chunker(0)).toThrow(TlsError);
    expect(() => chunker([])).toThrow(TlsError);
  });
});
