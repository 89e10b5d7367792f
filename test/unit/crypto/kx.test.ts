import { describe, it, expect } from 'vitest';
import { createECDH, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createKeyShare, keySharePrivateLength, KX_GROUPS } from '../../../src/crypto/kx.js';
import { thrownStatus } from '../../helpers/tls-error.js';

const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);
const hex = (s: string) => u8(Buffer.from(s, 'hex'));
const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

const NIST = [
  ['secp256r1', KX_GROUPS.secp256r1, 'prime256v1', 32],
  ['secp384r1', KX_GROUPS.secp384r1, 'secp384r1', 48],
] as const;

describe('keySharePrivateLength', () => {
  it('is 32 for X25519 and curve size + 8 for NIST curves', () => {
    expect(keySharePrivateLength(KX_GROUPS.x25519)).toBe(32);
    expect(keySharePrivateLength(KX_GROUPS.secp256r1)).toBe(40);
    expect(keySharePrivateLength(KX_GROUPS.secp384r1)).toBe(56);
  });

  it('refuses unsupported groups with InternalError', () => {
    expect(thrownStatus(() => keySharePrivateLength(0x0019))).toBe('InternalError');
    expect(thrownStatus(() => createKeyShare(0x001e, new Uint8Array(56)))).toBe('InternalError');
    expect(thrownStatus(() => createKeyShare(0x11ec, new Uint8Array(32)))).toBe('InternalError');
  });
});

describe('X25519', () => {
  it('agrees with node in both directions', () => {
    for (let i = 0; i < 5; i++) {
      const node = generateKeyPairSync('x25519');
      const nodePub = Buffer.from(node.publicKey.export({ format: 'jwk' }).x!, 'base64url');
      const ours = createKeyShare(KX_GROUPS.x25519, u8(randomBytes(32)));
      expect(ours.group).toBe(KX_GROUPS.x25519);
      expect(ours.publicKey.length).toBe(32);
      const oursAsNode = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(ours.publicKey).toString('base64url') }, format: 'jwk' });
      const theirs = diffieHellman({ privateKey: node.privateKey, publicKey: oursAsNode });
      expect(eq(ours.agree(u8(nodePub)), u8(theirs))).toBe(true);
    }
  });

  it('derives the same public key as node from an injected private key (RFC 7748 §6.1 vector)', () => {
    const a = createKeyShare(KX_GROUPS.x25519, hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'));
    expect(Buffer.from(a.publicKey).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    const shared = a.agree(hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f'));
    expect(Buffer.from(shared).toString('hex')).toBe('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  it.each([
    ['31 bytes', new Uint8Array(31).fill(9)],
    ['33 bytes', new Uint8Array(33).fill(9)],
    ['empty', new Uint8Array(0)],
  ])('refuses a peer value of %s with IllegalParameter', (_n, peer) => {
    const a = createKeyShare(KX_GROUPS.x25519, u8(randomBytes(32)));
    expect(thrownStatus(() => a.agree(peer))).toBe('IllegalParameter');
  });

  it.each([
    ['zero', '0000000000000000000000000000000000000000000000000000000000000000'],
    ['one', '0100000000000000000000000000000000000000000000000000000000000000'],
    ['order 8 (a)', 'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800'],
    ['order 8 (b)', '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157'],
    ['p - 1', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['p', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
    ['p + 1', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ])('refuses the low-order point %s (all-zero shared secret) with IllegalParameter', (_n, h) => {
    const a = createKeyShare(KX_GROUPS.x25519, u8(randomBytes(32)));
    expect(thrownStatus(() => a.agree(hex(h)))).toBe('IllegalParameter');
  });

  it('refuses a private key that is not 32 bytes with InternalError', () => {
    expect(thrownStatus(() => createKeyShare(KX_GROUPS.x25519, new Uint8Array(31)))).toBe('InternalError');
  });
});

describe.each(NIST)('%s', (_name, group, nodeCurve, size) => {
  it('agrees with node in both directions (reduced private bytes)', () => {
    for (let i = 0; i < 3; i++) {
      const node = createECDH(nodeCurve);
      node.generateKeys();
      const ours = createKeyShare(group, u8(randomBytes(keySharePrivateLength(group))));
      expect(ours.publicKey.length).toBe(1 + 2 * size);
      expect(ours.publicKey[0]).toBe(4);
      const shared = ours.agree(u8(node.getPublicKey()));
      expect(shared.length).toBe(size);
      expect(eq(shared, u8(node.computeSecret(Buffer.from(ours.publicKey))))).toBe(true);
    }
  });

  it('uses a curve-sized private key as the scalar itself, matching node', () => {
    const node = createECDH(nodeCurve);
    node.generateKeys();
    const peer = createECDH(nodeCurve);
    peer.generateKeys();
    // Node drops leading zero bytes of the private key (about 1 run in 256): pad it back to the curve size.
    const sk = u8(node.getPrivateKey());
    const padded = new Uint8Array(size);
    padded.set(sk, size - sk.length);
    const ours = createKeyShare(group, padded);
    expect(eq(ours.publicKey, u8(node.getPublicKey()))).toBe(true);
    expect(eq(ours.agree(u8(peer.getPublicKey())), u8(node.computeSecret(peer.getPublicKey())))).toBe(true);
  });

  it('maps every private input to a valid scalar, including all-zero and all-ones bytes', () => {
    for (const fill of [0x00, 0xff]) {
      const share = createKeyShare(group, new Uint8Array(keySharePrivateLength(group)).fill(fill));
      expect(share.publicKey.length).toBe(1 + 2 * size);
    }
    // Deterministic: the same bytes give the same key.
    const bytes = u8(randomBytes(keySharePrivateLength(group)));
    expect(eq(createKeyShare(group, bytes).publicKey, createKeyShare(group, bytes).publicKey)).toBe(true);
  });

  it('refuses private keys of other lengths, or a zero / out-of-range scalar, with InternalError', () => {
    expect(thrownStatus(() => createKeyShare(group, new Uint8Array(size + 1)))).toBe('InternalError');
    expect(thrownStatus(() => createKeyShare(group, new Uint8Array(size)))).toBe('InternalError');
    expect(thrownStatus(() => createKeyShare(group, new Uint8Array(size).fill(0xff)))).toBe('InternalError');
  });

  describe('refuses invalid peer points with IllegalParameter', () => {
    const ours = createKeyShare(group, u8(randomBytes(keySharePrivateLength(group))));
    const node = createECDH(nodeCurve);
    node.generateKeys();
    const good = u8(node.getPublicKey());
    const cases: [string, Uint8Array][] = [
      ['too short', good.subarray(0, good.length - 1)],
      ['too long', Uint8Array.from([...good, 0])],
      ['compressed (right size for compressed)', u8(node.getPublicKey(null, 'compressed'))],
      ['hybrid form 0x06/0x07', Uint8Array.from([6 + (good[good.length - 1]! & 1), ...good.subarray(1)])],
      ['wrong prefix 0x02 at full length', Uint8Array.from([2, ...good.subarray(1)])],
      ['infinity (single zero)', Uint8Array.of(0)],
      ['infinity as zeros', Uint8Array.from([4, ...new Uint8Array(2 * size)])],
      ['off the curve', (() => { const b = good.slice(); b[b.length - 1]! ^= 1; return b; })()],
      ['x ≥ p', Uint8Array.from([4, ...new Uint8Array(size).fill(0xff), ...good.subarray(1 + size)])],
      ['empty', new Uint8Array(0)],
    ];
    it.each(cases)('%s', (_n, peer) => {
      expect(thrownStatus(() => ours.agree(peer))).toBe('IllegalParameter');
    });
    it('and still accepts the valid one', () => {
      expect(ours.agree(good).length).toBe(size);
    });
  });
});
