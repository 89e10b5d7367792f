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
});
