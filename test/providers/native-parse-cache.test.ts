/**
 * The native provider remembers parsed public keys by their complete SPKI bytes (a peer's
 * certificate key arrives in every handshake): the same bytes give the same frozen key,
 * other bytes their own key, and invalid keys fail every time.
 */
import { describe, it, expect } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { nativeProvider as N } from '../../src/crypto/native.js';

const spkiOf = (curve: string): Uint8Array =>
  new Uint8Array(generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'der', type: 'spki' }));

describe('native provider parsed public keys', () => {
  it('answers the same SPKI bytes with one frozen key, and different bytes with their own', () => {
    const a = spkiOf('P-256');
    const b = spkiOf('P-256');
    const ka = N.parsePublicKey(a);
    expect(N.parsePublicKey(a.slice())).toBe(ka);
    expect(Object.isFrozen(ka)).toBe(true);
    const kb = N.parsePublicKey(b);
    expect(kb).not.toBe(ka);
    expect(kb.spki).toEqual(b);
    expect(kb.raw).not.toEqual(ka.raw);
  });

  it('does not remember a key that failed (a point off the curve fails every time)', () => {
    const bad = spkiOf('P-256');
    bad[bad.length - 1]! ^= 1; // y changed: no longer on the curve
    expect(() => N.parsePublicKey(bad)).toThrow(/curve/);
    expect(() => N.parsePublicKey(bad)).toThrow(/curve/);
  });

  it('stays correct past its bound', () => {
    const keys = Array.from({ length: 80 }, () => spkiOf('P-256'));
    for (const k of keys) expect(N.parsePublicKey(k).spki).toEqual(k);
    expect(N.parsePublicKey(keys[0]!).spki).toEqual(keys[0]);
  });
});
