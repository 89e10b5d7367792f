import { describe, it, expect } from 'vitest';
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { createAead } from '../../../src/crypto/aead.js';
import type { AeadAlg } from '../../../src/crypto/provider.js';
import { TlsError } from '../../../src/base/errors.js';

const NODE_NAME: Record<AeadAlg, CipherGCMTypes | 'chacha20-poly1305'> = {
  'AES-128-GCM': 'aes-128-gcm',
  'AES-256-GCM': 'aes-256-gcm',
  'CHACHA20-POLY1305': 'chacha20-poly1305',
};
const KEY_LEN: Record<AeadAlg, number> = { 'AES-128-GCM': 16, 'AES-256-GCM': 32, 'CHACHA20-POLY1305': 32 };
const ALGS = Object.keys(NODE_NAME) as AeadAlg[];
const LENGTHS = [0, 1, 15, 16, 17, 63, 64, 65, 255, 1000, 16384, 16385 + 255];

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

function nodeSeal(alg: AeadAlg, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array {
  const c = createCipheriv(NODE_NAME[alg] as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  c.setAAD(aad);
  return u8(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
}

function nodeOpen(alg: AeadAlg, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const d = createDecipheriv(NODE_NAME[alg] as CipherGCMTypes, key, nonce, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(ct.subarray(ct.length - 16));
  return u8(Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]));
}

describe.each(ALGS)('%s', (alg) => {
  const key = u8(randomBytes(KEY_LEN[alg]));
  const aead = createAead(alg, key);

  it('reports its algorithm', () => {
    expect(aead.alg).toBe(alg);
  });

  it.each(LENGTHS)('seals %i bytes exactly like node:crypto, and opens node output', (len) => {
    const nonce = u8(randomBytes(12));
    const aad = u8(randomBytes(len % 2 ? 5 : 13));
    const pt = u8(randomBytes(len));
    const ours = aead.seal(nonce, aad, pt);
    expect(ours.length).toBe(len + 16);
    expect(Buffer.from(ours).equals(Buffer.from(nodeSeal(alg, key, nonce, aad, pt)))).toBe(true);
    expect(Buffer.from(nodeOpen(alg, key, nonce, aad, ours)).equals(Buffer.from(pt))).toBe(true);
    const theirs = nodeSeal(alg, key, nonce, aad, pt);
    expect(Buffer.from(aead.open(nonce, aad, theirs)!).equals(Buffer.from(pt))).toBe(true);
  });

  it('works on unaligned views into larger buffers, without touching the inputs', () => {
    const big = u8(randomBytes(1000));
    const nonce = big.subarray(1, 13);
    const aad = big.subarray(13, 18);
    const pt = big.subarray(19, 519);
    const before = big.slice();
    const ct = aead.seal(nonce, aad, pt);
    const host = new Uint8Array(ct.length + 3);
    host.set(ct, 3);
    const opened = aead.open(nonce, aad, host.subarray(3));
    expect(Buffer.from(opened!).equals(Buffer.from(pt))).toBe(true);
    expect(Buffer.from(big).equals(Buffer.from(before))).toBe(true);
  });

  it('open returns null for a tampered tag, ciphertext, AAD or nonce, and for short input', () => {
    const nonce = u8(randomBytes(12));
    const aad = u8(randomBytes(13));
    const ct = aead.seal(nonce, aad, u8(randomBytes(100)));
    for (const i of [0, 50, 99, 100, 115]) {
      const bad = ct.slice();
      bad[i]! ^= 0x80;
      expect(aead.open(nonce, aad, bad)).toBeNull();
    }
    const badAad = aad.slice();
    badAad[0]! ^= 1;
    expect(aead.open(nonce, badAad, ct)).toBeNull();
    const badNonce = nonce.slice();
    badNonce[11]! ^= 1;
    expect(aead.open(badNonce, aad, ct)).toBeNull();
    expect(aead.open(nonce, aad, ct.subarray(0, 15))).toBeNull();
    expect(aead.open(nonce, aad, new Uint8Array(0))).toBeNull();
    expect(aead.open(nonce.subarray(0, 8), aad, ct)).toBeNull();
    expect(aead.open(new Uint8Array(16), aad, ct)).toBeNull();
    // An empty plaintext's tag alone.
    const empty = aead.seal(nonce, aad, new Uint8Array(0));
    expect(aead.open(nonce, aad, empty)!.length).toBe(0);
    const badEmpty = empty.slice();
    badEmpty[3]! ^= 4;
    expect(aead.open(nonce, aad, badEmpty)).toBeNull();
  });

  it('copies its key: later changes to the caller buffer do not matter', () => {
    const k = u8(randomBytes(KEY_LEN[alg]));
    const a = createAead(alg, k);
    const nonce = new Uint8Array(12);
    const ct = a.seal(nonce, new Uint8Array(0), Uint8Array.of(1, 2, 3));
    const ref = nodeSeal(alg, k, nonce, new Uint8Array(0), Uint8Array.of(1, 2, 3));
    k.fill(0);
    expect(Buffer.from(ct).equals(Buffer.from(ref))).toBe(true);
    expect(a.open(nonce, new Uint8Array(0), ct)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('refuses a wrong key length or nonce length with InternalError', () => {
    const s = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof TlsError ? e.status : 'other';
      }
      return undefined;
    };
    expect(s(() => createAead(alg, new Uint8Array(KEY_LEN[alg] + 1)))).toBe('InternalError');
    expect(s(() => createAead(alg, new Uint8Array(24)))).toBe('InternalError');
    expect(s(() => aead.seal(new Uint8Array(8), new Uint8Array(0), new Uint8Array(1)))).toBe('InternalError');
  });
});

describe('createAead', () => {
  it('refuses an unknown algorithm', () => {
    expect(() => createAead('AES-128-CCM' as AeadAlg, new Uint8Array(16))).toThrow(TlsError);
  });
});
