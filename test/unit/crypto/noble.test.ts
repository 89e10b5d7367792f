import { describe, it, expect } from 'vitest';
import { createHash, createHmac, generateKeyPairSync, hkdfSync, verify as nodeVerify } from 'node:crypto';
import { defaultRandom, nobleProvider as P } from '../../../src/crypto/noble.js';
import { NamedGroup, SignatureScheme as S } from '../../../src/wire/codes.js';
import { TlsError } from '../../../src/base/errors.js';

const u8 = (b: Buffer | ArrayBuffer) => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.length));

describe('nobleProvider', () => {
  it('names itself and lists groups and schemes', () => {
    expect(P.name).toBe('pure');
    // The post-quantum hybrids first (issue 12), then the classical groups.
    expect(P.groups).toEqual([NamedGroup.X25519MLKEM768, NamedGroup.SecP256r1MLKEM768, NamedGroup.SecP384r1MLKEM1024, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]);
    expect(P.signatureSchemes).toContain(S.ecdsa_secp256r1_sha256);
    expect(P.signatureSchemes).toContain(S.rsa_pss_pss_sha512);
    expect(P.signatureSchemes).toContain(S.rsa_pkcs1_sha256);
    expect(Object.isFrozen(P)).toBe(true);
  });

  it('wires hashes, HMAC and HKDF (checked against node)', () => {
    const data = defaultRandom(1000);
    for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
      expect(Buffer.from(P.digest(alg, data)).equals(createHash(alg).update(data).digest())).toBe(true);
      const h = P.hash(alg);
      h.update(data.subarray(0, 10));
      const c = h.clone();
      h.update(data.subarray(10));
      expect(Buffer.from(h.digest()).equals(createHash(alg).update(data).digest())).toBe(true);
      expect(Buffer.from(c.digest()).equals(createHash(alg).update(data.subarray(0, 10)).digest())).toBe(true);
      expect(Buffer.from(P.hmac(alg, data.subarray(0, 7), data)).equals(createHmac(alg, data.subarray(0, 7)).update(data).digest())).toBe(true);
      const prk = P.hkdfExtract(alg, data.subarray(0, 5), data.subarray(5, 40));
      const okm = P.hkdfExpand(alg, prk, data.subarray(40, 50), 42);
      expect(Buffer.from(okm).equals(Buffer.from(hkdfSync(alg, data.subarray(5, 40), data.subarray(0, 5), data.subarray(40, 50), 42)))).toBe(true);
      // One block (the TLS 1.3 key schedule's case) takes a path of its own: every length up
      // to HashLen, and the first over it, against node:crypto.
      const hl = { sha256: 32, sha384: 48, sha512: 64 }[alg];
      for (const n of [0, 1, 12, 16, hl - 1, hl, hl + 1]) {
        const info = data.subarray(100, 100 + n);
        const want = Buffer.from(hkdfSync(alg, data.subarray(5, 40), data.subarray(0, 5), info, n));
        expect(Buffer.from(P.hkdfExpand(alg, prk, info, n)).equals(want), `${alg} L=${n}`).toBe(true);
      }
    }
    expect(P.equal(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(P.equal(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(P.equal(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
  });

  it('runs a key exchange for every group', () => {
    for (const g of P.groups) {
      if (g >= 0x11eb && g <= 0x11ed) {
        // A KEM: the client's share, the server encapsulating to it (test/pq/ covers these in depth).
        const c = P.generateKeyShare(g, defaultRandom);
        const s = P.encapsulate!(g, c.publicKey, defaultRandom);
        expect(Buffer.from(c.agree(s.publicKey)).equals(Buffer.from(s.sharedSecret))).toBe(true);
        continue;
      }
      const a = P.keyShare(g, defaultRandom(P.keySharePrivateLength(g)));
      const b = P.keyShare(g, defaultRandom(P.keySharePrivateLength(g)));
      expect(Buffer.from(a.agree(b.publicKey)).equals(Buffer.from(b.agree(a.publicKey)))).toBe(true);
    }
  });

  it('seals and opens through aead()', () => {
    const c = P.aead('CHACHA20-POLY1305', defaultRandom(32));
    const n = defaultRandom(12);
    expect(c.open(n, new Uint8Array(0), c.seal(n, new Uint8Array(0), Uint8Array.of(42)))).toEqual(Uint8Array.of(42));
  });

  it('signs and verifies through the provider, for every key type', async () => {
    const pairs = [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ed25519'),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ];
    const msg = defaultRandom(64);
    for (const pair of pairs) {
      const key = P.parsePrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      const pub = P.parsePublicKey(u8(pair.publicKey.export({ type: 'spki', format: 'der' })));
      for (const scheme of P.schemesForKey(key)) {
        const sig = await P.sign(key, scheme, msg, defaultRandom);
        expect(P.verify(pub, scheme, msg, sig)).toBe(true);
        expect(P.verify(pub, scheme, msg.subarray(1), sig)).toBe(false);
        if (scheme === S.rsa_pss_rsae_sha256) {
          expect(nodeVerify('sha256', msg, { key: pair.publicKey, padding: 6, saltLength: 32 }, sig)).toBe(true);
        }
      }
    }
  });
});

describe('defaultRandom', () => {
  it.each([0, 1, 32, 65536, 65537, 200000])('returns %i bytes', (n) => {
    const r = defaultRandom(n);
    expect(r.length).toBe(n);
    if (n >= 65537) {
      // Every 64 KiB chunk was filled (a missed chunk would be all zeros).
      for (let off = 0; off < n; off += 65536) expect(r.subarray(off, Math.min(n, off + 65536)).some((b) => b !== 0)).toBe(true);
    }
  });

  it('differs between calls', () => {
    expect(Buffer.from(defaultRandom(32)).equals(Buffer.from(defaultRandom(32)))).toBe(false);
  });

  it('small requests come from a pool: never repeated across a refill, never aliased', () => {
    // 2000 draws of 32 bytes cross the 1 KiB pool ~60 times: every draw is distinct (a pool
    // handing out the same region twice, or a stale one after a refill, would repeat).
    const seen = new Set<string>();
    const draws: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const r = defaultRandom(i % 3 === 0 ? 32 : i % 3 === 1 ? 12 : 4);
      draws.push(r);
      if (r.length === 32) {
        const k = Buffer.from(r).toString('hex');
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
    }
    // Each draw is its own copy: a careless caller wiping or reusing one changes no other.
    const a = defaultRandom(32);
    const b = defaultRandom(32);
    const bCopy = b.slice();
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(0);
    expect(b).toEqual(bCopy);
    // Not degenerate: across all draws every byte value shows up.
    const values = new Set<number>();
    for (const d of draws) for (const x of d) values.add(x);
    expect(values.size).toBe(256);
  });

  it('refuses a negative or fractional length with InternalError', () => {
    expect(() => defaultRandom(-1)).toThrow(TlsError);
    expect(() => defaultRandom(1.5)).toThrow(TlsError);
  });
});
