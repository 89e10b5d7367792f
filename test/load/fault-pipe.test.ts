/**
 * The fault-injection pipe itself (test/helpers/fault-pipe.ts), against stub endpoints that
 * emit fixed records and record every byte they are given: each fault does exactly what it
 * says, reorders wait for their partner and are released unchanged on flush, truncation
 * gives EOF, and seeded random faults are reproducible.
 */
import { describe, expect, it } from 'vitest';
import type { TlsConnection } from '../../src/connection.js';
import { join } from '../helpers/drive.js';
import { FaultPipe, type Fault, type FaultPipeOptions } from '../helpers/fault-pipe.js';

/** A stand-in for TlsConnection: sends what is queued, takes every byte, notes EOF. */
class Stub {
  out: Uint8Array[] = [];
  got: Uint8Array[] = [];
  ended = false;
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
    this.got.push(b.slice());
    return b.length;
  }
  process(): Promise<void> {
    return Promise.resolve();
  }
  read(): Uint8Array | null {
    return null;
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

async function run(records: Uint8Array[][], o: FaultPipeOptions): Promise<{ server: Stub; pipe: FaultPipe }> {
  const client = new Stub('client');
  const server = new Stub('server');
  const pipe = new FaultPipe(client as unknown as TlsConnection, server as unknown as TlsConnection, o);
  // Each inner array is one takeOutput() (one flight); flights go one step at a time.
  for (const flight of records) {
    client.out.push(...flight);
    await pipe.step();
  }
  await pipe.settle();
  return { server, pipe };
}

const c2s = (f: Omit<Fault, 'dir'>): Fault => ({ dir: 'c2s', ...f });

describe('fault pipe', () => {
  const three = [[rec(1)], [rec(2), rec(3)]];
  const plain = [...rec(1), ...rec(2), ...rec(3)];

  it('no fault: the stream arrives as sent', async () => {
    const { server, pipe } = await run(three, { chunkSeed: 5 });
    expect(server.bytes()).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(false);
  });

  it('record faults: drop, duplicate, reorder, truncate', async () => {
    expect((await run(three, { faults: [c2s({ kind: 'drop', unit: 'record', at: 1 })] })).server.bytes()).toEqual([...rec(1), ...rec(3)]);
    expect((await run(three, { faults: [c2s({ kind: 'duplicate', unit: 'record', at: 0 })] })).server.bytes()).toEqual([...rec(1), ...rec(1), ...rec(2), ...rec(3)]);
    expect((await run(three, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 0 })] })).server.bytes()).toEqual([...rec(2), ...rec(1), ...rec(3)]);
    const t = await run(three, { faults: [c2s({ kind: 'truncate', unit: 'record', at: 1, length: 3 })] });
    expect(t.server.bytes()).toEqual([...rec(1), 23, 3, 3]);
    expect(t.server.ended).toBe(true);
    expect(t.pipe.truncated('c2s')).toBe(true);
  });

  it('a reorder with no partner is released unchanged when the pipe is quiet', async () => {
    const { server, pipe } = await run(three, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 2 })] });
    expect(server.bytes()).toEqual(plain);
    expect(pipe.changed('c2s')).toBe(false);
  });

  it('a held record released on flush stays in place when its partner comes later', async () => {
    const client = new Stub('client');
    const server = new Stub('server');
    const pipe = new FaultPipe(client as unknown as TlsConnection, server as unknown as TlsConnection, { faults: [c2s({ kind: 'reorder', unit: 'record', at: 0 })] });
    client.out.push(rec(1));
    await pipe.step();
    expect(server.bytes()).toEqual([]);
    await pipe.flush();
    expect(server.bytes()).toEqual([...rec(1)]);
    client.out.push(rec(2));
    await pipe.step();
    expect(server.bytes()).toEqual([...rec(1), ...rec(2)]);
  });

  it('byte faults: drop, duplicate, reorder, truncate', async () => {
    const b = (f: Omit<Fault, 'dir' | 'unit'>): FaultPipeOptions => ({ faults: [c2s({ unit: 'bytes', ...f })], chunkSeed: 1 });
    expect((await run(three, b({ kind: 'drop', at: 2, length: 3 }))).server.bytes()).toEqual([...plain.slice(0, 2), ...plain.slice(5)]);
    expect((await run(three, b({ kind: 'duplicate', at: 6, length: 4 }))).server.bytes()).toEqual([...plain.slice(0, 10), ...plain.slice(6)]);
    expect((await run(three, b({ kind: 'reorder', at: 5, length: 2 }))).server.bytes()).toEqual([...plain.slice(0, 5), ...plain.slice(7, 9), ...plain.slice(5, 7), ...plain.slice(9)]);
    const t = await run(three, b({ kind: 'truncate', at: 9 }));
    expect(t.server.bytes()).toEqual(plain.slice(0, 9));
    expect(t.server.ended).toBe(true);
  });

  it('seeded random faults are reproducible, and differ between seeds', async () => {
    const many = Array.from({ length: 40 }, (_, i) => [rec(i + 1, 1 + (i % 7))]);
    const a = await run(many, { random: { seed: 42, rate: 0.2, unit: 'record', kinds: ['drop', 'duplicate', 'reorder'] } });
    const b = await run(many, { random: { seed: 42, rate: 0.2, unit: 'record', kinds: ['drop', 'duplicate', 'reorder'] } });
    const c = await run(many, { random: { seed: 43, rate: 0.2, unit: 'record', kinds: ['drop', 'duplicate', 'reorder'] } });
    expect(a.server.bytes()).toEqual(b.server.bytes());
    expect(a.pipe.changed('c2s')).toBe(true);
    expect(a.server.bytes()).not.toEqual(c.server.bytes());
    const d = await run(many, { random: { seed: 7, rate: 0.01, unit: 'bytes' }, chunkSeed: 3 });
    const e = await run(many, { random: { seed: 7, rate: 0.01, unit: 'bytes' }, chunkSeed: 9 });
    expect(d.server.bytes()).toEqual(e.server.bytes());
  });
});
