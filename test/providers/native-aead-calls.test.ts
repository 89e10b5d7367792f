/**
 * What the native AEAD asks of node:crypto per record (bulk cost, issue 9): the key is a
 * secret KeyObject made once per AEAD, not key bytes per record; `sealJoined` encrypts
 * `content ‖ trailer` with one `update()` call; and when node:crypto misbehaves after the
 * plaintext was staged in the caller's record buffer, that buffer is left without it.
 */
import { describe, it, expect, vi, afterEach } from 'vitest';

/** When set, the next cipher's update() returns one byte short (a broken node:crypto). */
let shortUpdate = false;

vi.mock('node:crypto', async (importOriginal) => {
  const m = await importOriginal<typeof import('node:crypto')>();
  const createCipheriv = vi.fn((...args: Parameters<typeof m.createCipheriv>) => {
    const c = m.createCipheriv(...args);
    const update = c.update.bind(c) as (b: Uint8Array) => Buffer;
    c.update = vi.fn((b: Uint8Array) => {
      const out = update(b);
      return shortUpdate ? out.subarray(0, out.length - 1) : out;
    }) as unknown as typeof c.update;
    return c;
  });
  return { ...m, createCipheriv, createDecipheriv: vi.fn(m.createDecipheriv), createSecretKey: vi.fn(m.createSecretKey) };
});

const nodeCrypto = await import('node:crypto');
const { nativeProvider: N } = await import('../../src/crypto/native.js');
const { createAead, isJoinedSealAead } = await import('../../src/crypto/aead.js');
const { TlsError } = await import('../../src/base/errors.js');

const key = new Uint8Array(16).map((_, i) => i * 7 + 1);
const nonce = new Uint8Array(12).map((_, i) => 200 - i);
const aad = Uint8Array.of(23, 3, 3, 0x40, 0x11);
const content = new Uint8Array(16_384).map((_, i) => (i * 31 + 5) & 0xff);
const trailer = Uint8Array.of(23);

afterEach(() => {
  shortUpdate = false;
});

describe('native AEAD per-record calls', () => {
  it('makes one secret KeyObject per AEAD and hands it (not key bytes) to every cipher', () => {
    const made = vi.mocked(nodeCrypto.createSecretKey);
    const enc = vi.mocked(nodeCrypto.createCipheriv);
    const dec = vi.mocked(nodeCrypto.createDecipheriv);
    const a = N.aead('AES-128-GCM', key);
    made.mockClear();
    enc.mockClear();
    dec.mockClear();
    const pure = createAead('AES-128-GCM', key);
    for (let i = 0; i < 3; i++) {
      const n = nonce.slice();
      n[11]! ^= i;
      const sealed = a.seal(n, aad, content) as Uint8Array;
      expect(Buffer.from(sealed).equals(Buffer.from(pure.seal(n, aad, content) as Uint8Array))).toBe(true);
      expect(Buffer.from(a.open(n, aad, sealed) as Uint8Array).equals(Buffer.from(content))).toBe(true);
    }
    expect(made).not.toHaveBeenCalled();
    expect(enc).toHaveBeenCalledTimes(3);
    expect(dec).toHaveBeenCalledTimes(3);
    for (const call of [...enc.mock.calls, ...dec.mock.calls]) expect(call[1]).toBeInstanceOf(nodeCrypto.KeyObject);
    // The caller's key bytes may be wiped afterwards: the AEAD keeps its own.
    const mine = key.slice();
    const b = N.aead('AES-128-GCM', mine);
    mine.fill(0);
    expect(Buffer.from(b.seal(nonce, aad, content) as Uint8Array).equals(Buffer.from(pure.seal(nonce, aad, content) as Uint8Array))).toBe(true);
  });

  it('sealJoined encrypts content ‖ trailer with one update() and equals prefix ‖ seal(content ‖ trailer)', () => {
    const a = N.aead('AES-128-GCM', key);
    if (!isJoinedSealAead(a)) throw new Error('native AEAD has no sealJoined');
    const enc = vi.mocked(nodeCrypto.createCipheriv);
    enc.mockClear();
    const prefix = Uint8Array.of(23, 3, 3, 0x40, 0x11);
    const into = new Uint8Array(prefix.length + content.length + 1 + 16).fill(0xee);
    const out = a.sealJoined(nonce, aad, prefix, content, trailer, into);
    expect(out).toBe(into);
    const cipher = enc.mock.results[0]!.value as { update: ReturnType<typeof vi.fn> };
    expect(cipher.update).toHaveBeenCalledTimes(1);
    const whole = new Uint8Array(content.length + 1);
    whole.set(content);
    whole.set(trailer, content.length);
    const expected = createAead('AES-128-GCM', key).seal(nonce, aad, whole) as Uint8Array;
    expect(Buffer.from(out.subarray(0, prefix.length)).equals(Buffer.from(prefix))).toBe(true);
    expect(Buffer.from(out.subarray(prefix.length)).equals(Buffer.from(expected))).toBe(true);
  });

  it('a node:crypto that returns too few bytes → InternalError, and no plaintext is left in the record buffer', () => {
    const a = N.aead('AES-128-GCM', key);
    if (!isJoinedSealAead(a)) throw new Error('native AEAD has no sealJoined');
    const prefix = Uint8Array.of(23, 3, 3, 0x40, 0x11);
    const into = new Uint8Array(prefix.length + content.length + 1 + 16).fill(0xee);
    shortUpdate = true;
    let caught: unknown;
    try {
      a.sealJoined(nonce, aad, prefix, content, trailer, into);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TlsError);
    expect((caught as InstanceType<typeof TlsError>).status).toBe('InternalError');
    // The region where content ‖ trailer is staged holds none of it (one value throughout, where the plaintext has every byte value).
    const staged = into.subarray(prefix.length, prefix.length + content.length + 1);
    expect(new Set(staged).size).toBe(1);
    // Without a trailer nothing is staged (content goes to update() as it is): also refused.
    expect(() => a.sealJoined(nonce, aad, prefix, content, new Uint8Array(0), new Uint8Array(prefix.length + content.length + 16))).toThrow(TlsError);
  });
});
