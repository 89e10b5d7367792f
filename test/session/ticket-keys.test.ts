import { describe, expect, it } from 'vitest';
import { TicketKeySet, TICKET_OVERHEAD, resolveTicketKeys } from '../../src/session/ticket-keys.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { TlsError } from '../../src/base/errors.js';
import type { AeadCipher, CryptoProvider } from '../../src/crypto/provider.js';

const crypto = nobleProvider as CryptoProvider;
let seed = 1;
const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
const pt = new TextEncoder().encode('session state');

function openSync(keys: TicketKeySet, t: Uint8Array): Uint8Array | null {
  const r = keys.open(crypto, t);
  if (r instanceof Promise) throw new Error('sync provider answered async');
  return r ? r.plaintext : null;
}

describe('TicketKeySet', () => {
  it('seals and opens; the ticket carries the key name and hides the plaintext', () => {
    const keys = new TicketKeySet({ random });
    const t = keys.seal(crypto, random, pt) as Uint8Array;
    expect(t.length).toBe(pt.length + TICKET_OVERHEAD);
    expect([...t.subarray(0, 16)]).toEqual([...keys.currentKeyName]);
    expect(Buffer.from(t).includes(Buffer.from(pt))).toBe(false);
    expect(openSync(keys, t)).toEqual(pt);
  });

  it('opens under the previous key after one rotation, not after two', () => {
    const keys = new TicketKeySet({ random });
    const t = keys.seal(crypto, random, pt) as Uint8Array;
    keys.rotateTicketKeys();
    const r = keys.open(crypto, t) as { plaintext: Uint8Array; current: boolean };
    expect(r.plaintext).toEqual(pt);
    expect(r.current).toBe(false);
    keys.rotateTicketKeys();
    expect(openSync(keys, t)).toBeNull();
  });

  it('every single-bit flip anywhere in the ticket opens to null, never throws', () => {
    const keys = new TicketKeySet({ random });
    const t = keys.seal(crypto, random, pt) as Uint8Array;
    for (let i = 0; i < t.length; i++) {
      const bad = t.slice();
      bad[i]! ^= 0x01;
      expect(openSync(keys, bad)).toBeNull();
    }
    for (let n = 0; n < t.length; n++) expect(openSync(keys, t.subarray(0, n))).toBeNull();
    expect(openSync(keys, new Uint8Array(0))).toBeNull();
    expect(openSync(keys, random(200))).toBeNull();
  });

  it('a ticket from another key set (another server, another fleet) opens to null', () => {
    const a = new TicketKeySet({ random });
    const b = new TicketKeySet({ random });
    expect(openSync(b, a.seal(crypto, random, pt) as Uint8Array)).toBeNull();
  });

  it('a fleet shares keys through the 48-byte Node form; 96 bytes carry the previous key too', () => {
    const a = new TicketKeySet({ random });
    const t1 = a.seal(crypto, random, pt) as Uint8Array;
    const exported = a.exportNodeTicketKeys();
    expect(exported.length).toBe(48);
    const b = resolveTicketKeys(exported, random);
    expect(openSync(b, t1)).toEqual(pt);
    a.rotateTicketKeys();
    const both = a.exportTicketKeys();
    expect(both.length).toBe(96);
    const c = new TicketKeySet({ keys: both });
    expect(openSync(c, t1)).toEqual(pt);
    expect(openSync(c, a.seal(crypto, random, pt) as Uint8Array)).toEqual(pt);
    // setTicketKeys replaces both keys: the old tickets no longer open.
    c.setTicketKeys(new TicketKeySet({ random }).exportNodeTicketKeys());
    expect(openSync(c, t1)).toBeNull();
  });

  it('refuses key material of the wrong size with InvalidConfig', () => {
    for (const n of [0, 16, 47, 49, 95, 144]) {
      expect(() => new TicketKeySet({ keys: new Uint8Array(n) })).toThrow(TlsError);
    }
    expect(() => resolveTicketKeys('x' as unknown as Uint8Array, random)).toThrow(/ticketKeys/);
  });

  it('a provider whose AEAD throws or rejects still opens to null', async () => {
    const keys = new TicketKeySet({ random });
    const t = keys.seal(crypto, random, pt) as Uint8Array;
    const throwing: CryptoProvider = { ...crypto, aead: () => ({ alg: 'AES-256-GCM', seal: () => new Uint8Array(), open: () => { throw new Error('boom'); } }) as AeadCipher };
    expect(keys.open(throwing, t)).toBeNull();
    const rejecting: CryptoProvider = { ...crypto, async: true, aead: () => ({ alg: 'AES-256-GCM', async: true, seal: async () => new Uint8Array(), open: async () => { throw new Error('boom'); } }) };
    expect(await keys.open(rejecting, t)).toBeNull();
  });
});
