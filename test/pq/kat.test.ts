/**
 * Issue 12 known-answer tests of the hybrid groups, through our composition
 * (src/crypto/hybrid.ts) and not through ML-KEM alone. draft-ietf-tls-ecdhe-mlkem publishes no
 * test vectors (its text as read, vectors/pq/README.md), so:
 *
 * - ML-KEM.Encaps (FIPS 203 Algorithm 17/20): the C2SP/CCTV intermediate values (ek, m → c,
 *   K; vectors/pq/cctv-mlkem-intermediate.json) through the server side of each hybrid with
 *   the randomness m injected: the ML-KEM part of our key_exchange is c and the ML-KEM part
 *   of the secret is K, each in the draft's place; the ECDH part is the RFC 7748 §6.1
 *   X25519 vector (Bob's key, Alice's share) or node:crypto's ECDH for the NIST curves.
 * - ML-KEM.KeyGen_internal(d, z) (Algorithm 16/19): the encapsulation key OpenSSL 3.5 derives
 *   from the CCTV seeds (vectors/pq/openssl35-mlkem-keygen.json; CCTV's own ek predates the
 *   final standard's domain separation), through the client side of each hybrid.
 * - FIPS 203 §7.2: every encapsulation key of the CCTV `modulus` sets (each value q..4095 at
 *   each position) is refused by the server side with IllegalParameter, for each group.
 * - The full handshake against OpenSSL 3.5, recorded and replayed with our randomness, is in
 *   test/pq/transcript.test.ts.
 */
import { createECDH, createHash } from 'node:crypto';
import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HYBRID_GROUPS, PURE_ECDH, PURE_MLKEM, hybridEncapsulate, hybridKeyShare, mlKemEncapsulationKeyOk } from '../../src/crypto/hybrid.js';
import { TlsError } from '../../src/base/errors.js';
import type { RandomSource } from '../../src/crypto/provider.js';

const dir = new URL('../../vectors/pq/', import.meta.url);
const cctv = JSON.parse(fs.readFileSync(new URL('cctv-mlkem-intermediate.json', dir), 'utf8')) as {
  vectors: Record<'ML-KEM-768' | 'ML-KEM-1024', { d: string; z: string; ek: string; m: string; c: string; K: string }>;
};
const keygen = JSON.parse(fs.readFileSync(new URL('openssl35-mlkem-keygen.json', dir), 'utf8')) as {
  vectors: Record<'ML-KEM-768' | 'ML-KEM-1024', { seed: string; ekLength: number; ekSha3: string; ekPrefix: string }>;
};

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A random source that hands out `chunks` in order, each exactly as asked. */
function script(...chunks: Uint8Array[]): RandomSource {
  return (n) => {
    const c = chunks.shift();
    if (!c || c.length !== n) throw new Error(`script: asked ${n} bytes, have ${c?.length}`);
    return c.slice();
  };
}

/** RFC 7748 §6.1: Alice's and Bob's X25519 keys and their shared secret. */
const X25519_KAT = {
  alicePrivate: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  alicePublic: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
  bobPrivate: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  bobPublic: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
  shared: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
};

/** A NIST key pair made by node:crypto (the ECDH reference for the SecP groups). */
function nistPair(curve: 'prime256v1' | 'secp384r1', size: number, fill: number): { priv: Uint8Array; pub: Uint8Array; ecdh: ReturnType<typeof createECDH> } {
  const ecdh = createECDH(curve);
  ecdh.setPrivateKey(Buffer.alloc(size, fill));
  return { priv: new Uint8Array(ecdh.getPrivateKey()), pub: new Uint8Array(ecdh.getPublicKey(null, 'uncompressed')), ecdh };
}

const CASES = [
  { group: HYBRID_GROUPS.X25519MLKEM768, name: 'X25519MLKEM768', kem: 'ML-KEM-768', kemFirst: true },
  { group: HYBRID_GROUPS.SecP256r1MLKEM768, name: 'SecP256r1MLKEM768', kem: 'ML-KEM-768', kemFirst: false },
  { group: HYBRID_GROUPS.SecP384r1MLKEM1024, name: 'SecP384r1MLKEM1024', kem: 'ML-KEM-1024', kemFirst: false },
] as const;

describe('ML-KEM.Encaps known answers (C2SP/CCTV) through the server side of each hybrid', () => {
  for (const c of CASES) {
    it(`${c.name}: key_exchange and secret carry c and K in the draft's order; the ECDH half is the reference's`, () => {
      const v = cctv.vectors[c.kem];
      let clientEcdh: Uint8Array;
      let serverPriv: Uint8Array;
      let ecdhShared: string;
      let serverPub: string;
      if (c.name === 'X25519MLKEM768') {
        clientEcdh = hex(X25519_KAT.alicePublic);
        serverPriv = hex(X25519_KAT.bobPrivate);
        ecdhShared = X25519_KAT.shared;
        serverPub = X25519_KAT.bobPublic;
      } else {
        const [curve, size] = c.name === 'SecP256r1MLKEM768' ? (['prime256v1', 32] as const) : (['secp384r1', 48] as const);
        const client = nistPair(curve, size, 0x11);
        const server = nistPair(curve, size, 0x22);
        clientEcdh = client.pub;
        // Drawn as size + 8 bytes c and reduced d = (c mod (n − 1)) + 1 (kx.ts, FIPS 186-5
        // A.2.1): c = d − 1 gives the scalar d back.
        serverPriv = new Uint8Array(Buffer.from((BigInt(`0x${toHex(server.priv)}`) - 1n).toString(16).padStart(2 * (size + 8), '0'), 'hex'));
        serverPub = toHex(server.pub);
        ecdhShared = toHex(server.ecdh.computeSecret(client.pub));
      }
      const clientShare = c.kemFirst ? new Uint8Array([...hex(v.ek), ...clientEcdh]) : new Uint8Array([...clientEcdh, ...hex(v.ek)]);
      // Our server draws its ECDH private key bytes first, then m (src/crypto/hybrid.ts).
      const r = hybridEncapsulate(c.group, clientShare, script(serverPriv, hex(v.m)), PURE_ECDH, PURE_MLKEM);
      const expectedShare = c.kemFirst ? v.c + serverPub : serverPub + v.c;
      const expectedSecret = c.kemFirst ? v.K + ecdhShared : ecdhShared + v.K;
      expect(toHex(r.publicKey)).toBe(expectedShare);
      expect(toHex(r.sharedSecret)).toBe(expectedSecret);
    });
  }
});

describe('ML-KEM.KeyGen known answers (OpenSSL 3.5) through the client side of each hybrid', () => {
  for (const c of CASES) {
    it(`${c.name}: the encapsulation key in our key_exchange is OpenSSL's for the same seed, in the draft's place`, () => {
      const v = keygen.vectors[c.kem];
      const ecdhPriv = c.name === 'X25519MLKEM768' ? hex(X25519_KAT.alicePrivate) : new Uint8Array(c.name === 'SecP256r1MLKEM768' ? 32 : 48).fill(0x11);
      const share = hybridKeyShare(c.group, new Uint8Array([...hex(v.seed), ...ecdhPriv]), PURE_ECDH, PURE_MLKEM);
      const ecdhLen = c.name === 'X25519MLKEM768' ? 32 : c.name === 'SecP256r1MLKEM768' ? 65 : 97;
      expect(share.publicKey.length).toBe(v.ekLength + ecdhLen);
      const ek = c.kemFirst ? share.publicKey.subarray(0, v.ekLength) : share.publicKey.subarray(ecdhLen);
      const ecdhPart = c.kemFirst ? share.publicKey.subarray(v.ekLength) : share.publicKey.subarray(0, ecdhLen);
      expect(toHex(ek.subarray(0, 32))).toBe(v.ekPrefix);
      expect(createHash('sha3-256').update(ek).digest('hex')).toBe(v.ekSha3);
      if (c.name === 'X25519MLKEM768') expect(toHex(ecdhPart)).toBe(X25519_KAT.alicePublic);
      else expect(toHex(ecdhPart)).toBe(toHex(nistPair(c.name === 'SecP256r1MLKEM768' ? 'prime256v1' : 'secp384r1', c.name === 'SecP256r1MLKEM768' ? 32 : 48, 0x11).pub));
      // And the client decapsulates what our server encapsulates to it (the whole secret agrees).
      const r = hybridEncapsulate(c.group, share.publicKey, (n) => new Uint8Array(n).fill(7), PURE_ECDH, PURE_MLKEM);
      expect(toHex(share.agree(r.publicKey))).toBe(toHex(r.sharedSecret));
    });
  }
});

describe('FIPS 203 §7.2 modulus check: the C2SP/CCTV invalid encapsulation keys', () => {
  const sets = {
    'ML-KEM-768': gunzipSync(fs.readFileSync(new URL('cctv-mlkem-modulus-ML-KEM-768.txt.gz', dir))).toString('utf8').trim().split('\n'),
    'ML-KEM-1024': gunzipSync(fs.readFileSync(new URL('cctv-mlkem-modulus-ML-KEM-1024.txt.gz', dir))).toString('utf8').trim().split('\n'),
  };

  it('the sets are what CCTV describes: every value q..4095, at positions across the key', () => {
    expect(sets['ML-KEM-768'].length).toBeGreaterThanOrEqual(4096 - 3329);
    expect(sets['ML-KEM-1024'].length).toBeGreaterThanOrEqual(4096 - 3329);
    for (const l of sets['ML-KEM-768']) expect(l.length).toBe(2 * 1184);
    for (const l of sets['ML-KEM-1024']) expect(l.length).toBe(2 * 1568);
  });

  it('mlKemEncapsulationKeyOk refuses each of them and accepts the valid keys', () => {
    for (const l of sets['ML-KEM-768']) expect(mlKemEncapsulationKeyOk(hex(l), 3)).toBe(false);
    for (const l of sets['ML-KEM-1024']) expect(mlKemEncapsulationKeyOk(hex(l), 4)).toBe(false);
    expect(mlKemEncapsulationKeyOk(hex(cctv.vectors['ML-KEM-768'].ek), 3)).toBe(true);
    expect(mlKemEncapsulationKeyOk(hex(cctv.vectors['ML-KEM-1024'].ek), 4)).toBe(true);
  });

  for (const c of CASES) {
    it(`${c.name}: the server side refuses every one with IllegalParameter (illegal_parameter)`, () => {
      const ecdh = c.name === 'X25519MLKEM768' ? hex(X25519_KAT.alicePublic) : nistPair(c.name === 'SecP256r1MLKEM768' ? 'prime256v1' : 'secp384r1', c.name === 'SecP256r1MLKEM768' ? 32 : 48, 0x11).pub;
      let refused = 0;
      for (const l of sets[c.kem]) {
        const ek = hex(l);
        const share = c.kemFirst ? new Uint8Array([...ek, ...ecdh]) : new Uint8Array([...ecdh, ...ek]);
        try {
          hybridEncapsulate(c.group, share, (n) => new Uint8Array(n).fill(3), PURE_ECDH, PURE_MLKEM);
        } catch (e) {
          if (e instanceof TlsError && e.status === 'IllegalParameter' && /FIPS 203 §7\.2/.test(e.detail ?? '')) refused++;
        }
      }
      expect(refused).toBe(sets[c.kem].length);
    });
  }
});
