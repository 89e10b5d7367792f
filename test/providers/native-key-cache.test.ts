/**
 * The native provider imports a parsed key into a `KeyObject` once: a server signing many
 * handshakes with one key, or a client verifying with one parsed certificate key, does
 * not pay the import again.
 */
import { describe, it, expect, vi } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';

vi.mock('node:crypto', async (importOriginal) => {
  const m = await importOriginal<typeof import('node:crypto')>();
  return { ...m, createPrivateKey: vi.fn(m.createPrivateKey), createPublicKey: vi.fn(m.createPublicKey) };
});

const nodeCrypto = await import('node:crypto');
const { nativeProvider: N } = await import('../../src/crypto/native.js');
const { SignatureScheme: S } = await import('../../src/wire/codes.js');

describe('native provider key import', () => {
  it('creates one private KeyObject per parsed private key and one public KeyObject per parsed public key', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const key = N.parsePrivateKey(pem);
    const pub = N.parsePublicKey(key.publicKey.spki);
    const priv = vi.mocked(nodeCrypto.createPrivateKey);
    const pubc = vi.mocked(nodeCrypto.createPublicKey);
    priv.mockClear();
    pubc.mockClear();
    for (let i = 0; i < 5; i++) {
      const sig = N.sign(key, S.ecdsa_secp256r1_sha256, Uint8Array.of(i), () => new Uint8Array(0)) as Uint8Array;
      expect(N.verify(pub, S.ecdsa_secp256r1_sha256, Uint8Array.of(i), sig)).toBe(true);
    }
    expect(priv).toHaveBeenCalledTimes(1);
    expect(pubc).toHaveBeenCalledTimes(1);
    // Another parse of the same key is another object: imported again (keys are cached by identity).
    N.sign(N.parsePrivateKey(pem), S.ecdsa_secp256r1_sha256, Uint8Array.of(1), () => new Uint8Array(0));
    expect(priv).toHaveBeenCalledTimes(2);
  });

  it('a public key parsed again from the same SubjectPublicKeyInfo (a CA key in every handshake) is not imported again; the cache is bounded', () => {
    const pems = Array.from({ length: 70 }, () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const keys = pems.map((p) => N.parsePrivateKey(p));
    const sigs = keys.map((k) => N.sign(k, S.ed25519, Uint8Array.of(7), () => new Uint8Array(0)) as Uint8Array);
    const pubc = vi.mocked(nodeCrypto.createPublicKey);
    pubc.mockClear();
    const check = (i: number) => expect(N.verify(N.parsePublicKey(keys[i]!.publicKey.spki), S.ed25519, Uint8Array.of(7), sigs[i]!)).toBe(true);
    check(0);
    check(0);
    check(0);
    expect(pubc).toHaveBeenCalledTimes(1);
    // 69 other keys push the first one out (64 entries): it is imported again.
    for (let i = 1; i < 70; i++) check(i);
    expect(pubc).toHaveBeenCalledTimes(70);
    check(0);
    expect(pubc).toHaveBeenCalledTimes(71);
    check(69);
    expect(pubc).toHaveBeenCalledTimes(71);
  });
});
