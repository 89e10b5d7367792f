/** The server's TLS 1.2 session-ID cache and the session-state encoding a ticket seals. */
import { describe, expect, it } from 'vitest';
import { SessionCache12, decodeServerSession12, encodeServerSession12, type ServerSession12 } from '../../src/session/cache12.js';

const T0 = 1_700_000_000_000;

function session(over: Partial<ServerSession12> = {}): ServerSession12 {
  return {
    suite: 0xc02b,
    master: new Uint8Array(48).fill(9),
    extendedMasterSecret: true,
    serverName: 'example.com',
    clientCertificates: [],
    certificateErrors: [],
    certificateErrorSeverity: 'none',
    createdAt: T0,
    ...over,
  };
}

const id = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('SessionCache12', () => {
  it('returns a fresh session, and nothing after `lifetime` seconds (the expired entry is dropped)', () => {
    const c = new SessionCache12({ lifetime: 5 });
    expect(c.put(id(1), session())).toBe(true);
    expect(c.get(id(1), T0 + 4_999)?.suite).toBe(0xc02b);
    expect(c.get(id(1), T0 + 5_000)).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('a clock before the session was made expires it', () => {
    const c = new SessionCache12();
    c.put(id(1), session());
    expect(c.get(id(1), T0 - 1)).toBeUndefined();
  });

  it('holds at most maxEntries, evicting the oldest', () => {
    const c = new SessionCache12({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) c.put(id(i), session());
    expect(c.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((i) => c.get(id(i), T0) !== undefined)).toEqual([false, false, true, true, true]);
  });

  it('stays bounded under a flood of distinct sessions', () => {
    const c = new SessionCache12({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) {
      const k = new Uint8Array(32);
      new DataView(k.buffer).setUint32(0, i);
      c.put(k, session());
    }
    expect(c.size).toBe(100);
  });

  it('refuses sessions without the extended master secret, oversized ones, and bad IDs', () => {
    const c = new SessionCache12();
    expect(c.put(id(1), session({ extendedMasterSecret: false }))).toBe(false);
    expect(c.put(id(2), session({ clientCertificates: [new Uint8Array(40000)] }))).toBe(false);
    expect(c.put(new Uint8Array(0), session())).toBe(false);
    expect(c.put(new Uint8Array(33), session())).toBe(false);
    expect(c.size).toBe(0);
    expect(c.get(new Uint8Array(0), T0)).toBeUndefined();
  });

  it('keeps its own copy of the master secret (the caller may wipe its buffer)', () => {
    const c = new SessionCache12();
    const s = session();
    c.put(id(1), s);
    s.master.fill(0);
    expect(c.get(id(1), T0)!.master[0]).toBe(9);
  });

  it('maxEntries 0 keeps nothing; out-of-range options are InvalidConfig', () => {
    expect(new SessionCache12({ maxEntries: 0 }).put(id(1), session())).toBe(false);
    for (const o of [{ maxEntries: -1 }, { maxEntries: 2 ** 40 }, { lifetime: 0 }, { lifetime: 86401 }, { lifetime: 1.5 }]) {
      expect(() => new SessionCache12(o)).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    }
  });
});

describe('session state encoding (the plaintext of a TLS 1.2 ticket)', () => {
  it('round-trips every field', () => {
    const s = session({
      serverName: undefined,
      clientCertificates: [new Uint8Array([1, 2, 3]), new Uint8Array([4])],
      certificateErrors: [{ code: 'Untrusted', index: 1, detail: 'x' }, { code: 'OtherErrors', index: -1, detail: '' }],
      certificateErrorSeverity: 'ignorable',
      createdAt: 2 ** 45 + 123,
    });
    expect(decodeServerSession12(encodeServerSession12(s))).toEqual(s);
  });

  it('starts with 0x12, and refuses anything else (a TLS 1.3 ticket state, 0x13), truncations and trailing bytes', () => {
    const b = encodeServerSession12(session());
    expect(b[0]).toBe(0x12);
    const other = b.slice();
    other[0] = 0x13;
    expect(decodeServerSession12(other)).toBeNull();
    for (let n = 0; n < b.length; n++) expect(decodeServerSession12(b.subarray(0, n))).toBeNull();
    expect(decodeServerSession12(new Uint8Array([...b, 0]))).toBeNull();
  });

  it('never throws on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const b = crypto.getRandomValues(new Uint8Array(1 + (i % 200)));
      if (i % 2 === 0) b[0] = 0x12;
      expect(() => decodeServerSession12(b)).not.toThrow();
    }
  });
});
