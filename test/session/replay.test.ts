import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { claimOnce, isFresh, MemoryReplayRegister, resolveReplayRegister, type ReplayRegister } from '../../src/session/replay.js';
import { TlsError } from '../../src/base/errors.js';

const id = (n: number) => new Uint8Array([n >> 8, n & 0xff, 7, 7]);

describe('MemoryReplayRegister (RFC 9846 §8.2)', () => {
  it('claims an id once; a replay within its lifetime is refused', () => {
    let t = 1000;
    const r = new MemoryReplayRegister({ now: () => t });
    expect(r.claim(id(1), 11_000)).toBe(true);
    expect(r.claim(id(1), 11_000)).toBe(false);
    expect(r.claim(new Uint8Array(id(1)), 99_000)).toBe(false); // same bytes, another array, later expiry
    expect(r.claim(id(2), 11_000)).toBe(true);
    t = 10_999;
    expect(r.claim(id(1), 20_000)).toBe(false);
  });

  it('an entry past its expiry is forgotten (the freshness window rejects that hello on its own)', () => {
    let t = 0;
    const r = new MemoryReplayRegister({ now: () => t });
    expect(r.claim(id(1), 100)).toBe(true);
    t = 100;
    expect(r.claim(id(1), 200)).toBe(true);
  });

  it('refuses a claim whose expiry has already passed', () => {
    const r = new MemoryReplayRegister({ now: () => 500 });
    expect(r.claim(id(1), 500)).toBe(false);
    expect(r.claim(id(1), Number.NaN)).toBe(false);
    expect(r.size).toBe(0);
  });

  it('when full of live claims it refuses new ones instead of forgetting old ones (an attacker flooding it cannot make room for a replay)', () => {
    let t = 0;
    const r = new MemoryReplayRegister({ maxEntries: 3, now: () => t });
    for (let i = 0; i < 3; i++) expect(r.claim(id(i), 10_000)).toBe(true);
    expect(r.claim(id(99), 10_000)).toBe(false);
    // every old claim still holds
    for (let i = 0; i < 3; i++) expect(r.claim(id(i), 10_000)).toBe(false);
    expect(r.size).toBe(3);
    // once they expire, room comes back
    t = 10_000;
    expect(r.claim(id(99), 20_000)).toBe(true);
    expect(r.size).toBe(1);
  });

  it('property: over any sequence of claims, an id is granted at most once per lifetime and the size never exceeds the bound', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: fc.integer({ min: 0, max: 20 }), dt: fc.integer({ min: 0, max: 50 }), life: fc.integer({ min: -5, max: 200 }) }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 8 }),
        (ops, max) => {
          let t = 0;
          const r = new MemoryReplayRegister({ maxEntries: max, now: () => t });
          const grantedUntil = new Map<number, number>();
          for (const op of ops) {
            t += op.dt;
            const granted = r.claim(id(op.id), t + op.life);
            const live = grantedUntil.get(op.id);
            if (granted) {
              expect(live === undefined || live <= t).toBe(true);
              grantedUntil.set(op.id, t + op.life);
            }
            expect(r.size).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it('rejects a bad bound', () => {
    expect(() => new MemoryReplayRegister({ maxEntries: 0 })).toThrow(TlsError);
    expect(() => new MemoryReplayRegister({ maxEntries: 1.5 })).toThrow(TlsError);
  });
});

describe('isFresh (RFC 9846 §8.3)', () => {
  it('accepts an arrival within the window of issue time + client age, refuses one outside', () => {
    expect(isFresh(1_000_000, 5_000, 1_005_000, 10_000)).toBe(true);
    expect(isFresh(1_000_000, 5_000, 1_015_000, 10_000)).toBe(true);
    expect(isFresh(1_000_000, 5_000, 1_015_001, 10_000)).toBe(false); // recorded and replayed 10 s later
    expect(isFresh(1_000_000, 60_000, 1_005_000, 10_000)).toBe(false); // client claims an age the ticket cannot have
  });
});

describe('claimOnce / resolveReplayRegister', () => {
  it('a register that throws or rejects means "not claimed" (fail closed: early data refused)', async () => {
    const throwing: ReplayRegister = { claim: () => { throw new Error('backend down'); } };
    const rejecting: ReplayRegister = { claim: () => Promise.reject(new Error('timeout')) };
    const truthy: ReplayRegister = { claim: () => 1 as unknown as boolean };
    expect(await claimOnce(throwing, id(1), 10)).toBe(false);
    expect(await claimOnce(rejecting, id(1), 10)).toBe(false);
    expect(await claimOnce(truthy, id(1), 10)).toBe(false);
    const r = new MemoryReplayRegister({ now: () => 0 });
    expect(await claimOnce(r, id(1), 10)).toBe(true);
    expect(await claimOnce(r, id(1), 10)).toBe(false);
  });

  it('a shared register is used as given; nonsense is InvalidConfig', () => {
    const r = new MemoryReplayRegister();
    expect(resolveReplayRegister(r)).toBe(r);
    expect(resolveReplayRegister(undefined)).toBeInstanceOf(MemoryReplayRegister);
    expect(() => resolveReplayRegister({} as ReplayRegister)).toThrow(TlsError);
    expect(() => resolveReplayRegister(null as unknown as ReplayRegister)).toThrow(TlsError);
  });
});
