/**
 * Adversarial campaign 2: the native provider (`node:crypto`) facing hostile peer values
 * that are near misses of valid ones (random junk is test/providers/native-vs-pure's), each
 * compared with the pure provider: the same shared secret or the same TlsError status,
 * the same verdict on a signature, never an exception.
 *
 * - X25519 public values with bit 255 set, non-canonical u ≥ p, small-order points in their
 *   non-canonical forms (RFC 7748 §5: mask bit 255, take u mod p; §6.1: all-zero result).
 * - NIST points: a valid point in compressed and hybrid form, with y negated, with y + p,
 *   with a coordinate off by one (off the curve).
 * - ECDSA signatures: valid ones re-encoded with non-minimal DER integers, long-form
 *   lengths, trailing bytes, high-S (n - s), r + n, negative integers.
 * - RSA signatures: a valid one with a leading zero stripped or added, s + n, and RSA-PSS
 *   signatures made with a salt length other than the hash length (RFC 9846 §4.3.3: the salt
 *   MUST be the length of the digest).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { constants, createPrivateKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { nativeProvider as N } from '../../src/crypto/native.js';
import { nobleProvider as P } from '../../src/crypto/noble.js';
import type { CryptoProvider, PrivateKeyInfo } from '../../src/crypto/provider.js';
import { NamedGroup, SignatureScheme as S } from '../../src/wire/codes.js';
import { TlsError } from '../../src/base/errors.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The shared secret (hex) or the TlsError status; anything else is reported as such. */
function agreeOutcome(p: CryptoProvider, group: number, sk: Uint8Array, peer: Uint8Array): string {
  try {
    const r = p.keyShare(group, sk).agree(peer);
    if (r instanceof Promise) return 'promise';
    return `ok:${hex(r)}`;
  } catch (e) {
    return e instanceof TlsError ? e.status : `non-TlsError: ${String(e)}`;
  }
}

function verifyOutcome(p: CryptoProvider, pem: string, scheme: number, msg: Uint8Array, sig: Uint8Array): string {
  try {
    const k = p.parsePrivateKey(pem);
    return String(p.verify(k.publicKey, scheme, msg, sig, { tls12: true }));
  } catch (e) {
    return `throws: ${String(e)}`;
  }
}

const bigToBytes = (x: bigint, len: number): Uint8Array => {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
};
const bytesToBig = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${hex(b)}`));

describe('campaign2: native vs pure on hostile key shares', () => {
  const P25519 = 2n ** 255n - 19n;
  it('X25519: bit 255 set, u ≥ p, and small-order points in non-canonical forms give the same result with both', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 5 }), (sk, raw, kind) => {
        // Little-endian u (RFC 7748 §5).
        let u: bigint;
        switch (kind) {
          case 0:
            u = bytesToBig(raw.slice().reverse()) | (1n << 255n); // bit 255 set
            break;
          case 1:
            u = P25519 + (bytesToBig(raw.slice(0, 1)) % 19n); // p .. p+18: non-canonical small values
            break;
          case 2:
            u = [0n, 1n, P25519 - 1n, P25519, P25519 + 1n][raw[0]! % 5]!; // small order or their aliases
            break;
          case 3:
            u = (1n << 255n) + [0n, 1n, P25519 - 1n][raw[0]! % 3]!; // ... with bit 255 set too
            break;
          default:
            u = bytesToBig(raw.slice().reverse()) % P25519;
        }
        u &= (1n << 256n) - 1n;
        const peer = bigToBytes(u, 32).reverse();
        const n = agreeOutcome(N, NamedGroup.x25519, sk, peer);
        const p = agreeOutcome(P, NamedGroup.x25519, sk, peer);
        expect(n).toBe(p);
        expect(n === 'IllegalParameter' || n.startsWith('ok:')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  for (const [group, size, prime] of [
    [NamedGroup.secp256r1, 32, 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n],
    [NamedGroup.secp384r1, 48, 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n],
  ] as const) {
    it(`${group === NamedGroup.secp256r1 ? 'P-256' : 'P-384'}: a valid point compressed, hybrid, negated, with y + p or off by one: same result with both`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: size + 8, maxLength: size + 8 }), fc.uint8Array({ minLength: size + 8, maxLength: size + 8 }), fc.integer({ min: 0, max: 6 }), (a, b, kind) => {
          let peerSk: Uint8Array;
          try {
            peerSk = a;
            N.keyShare(group, peerSk);
          } catch {
            return;
          }
          const valid = N.keyShare(group, peerSk).publicKey;
          const x = bytesToBig(valid.subarray(1, 1 + size));
          const y = bytesToBig(valid.subarray(1 + size));
          let peer: Uint8Array;
          switch (kind) {
            case 0: // compressed (33/49 bytes)
              peer = Uint8Array.of(y & 1n ? 3 : 2, ...bigToBytes(x, size));
              break;
            case 1: // hybrid form (X9.62 0x06/0x07): OpenSSL decodes it
              peer = Uint8Array.of(y & 1n ? 7 : 6, ...bigToBytes(x, size), ...bigToBytes(y, size));
              break;
            case 2: // -Q: a valid point
              peer = Uint8Array.of(4, ...bigToBytes(x, size), ...bigToBytes(prime - y, size));
              break;
            case 3: // y + p when it fits: not a field element
              peer = prime + y < 2n ** BigInt(8 * size) ? Uint8Array.of(4, ...bigToBytes(x, size), ...bigToBytes(y + prime, size)) : Uint8Array.of(4, ...bigToBytes(x + 1n, size), ...bigToBytes(y, size));
              break;
            case 4: // off the curve by one
              peer = Uint8Array.of(4, ...bigToBytes(x, size), ...bigToBytes((y + 1n) % prime, size));
              break;
            case 5: // the valid point with a byte appended
              peer = Uint8Array.of(...valid, b[0]!);
              break;
            default:
              peer = valid;
          }
          const n = agreeOutcome(N, group, b, peer);
          const p = agreeOutcome(P, group, b, peer);
          expect(n).toBe(p);
          if (kind === 2 || kind === 6) expect(n.startsWith('ok:')).toBe(true);
          else expect(n).toBe('IllegalParameter');
        }),
        { numRuns: 60 },
      );
    });
  }
});

/** DER helpers for ECDSA-Sig-Value re-encodings. */
function derInt(v: Uint8Array, pad = 0): Uint8Array {
  return Uint8Array.of(0x02, v.length + pad, ...new Uint8Array(pad), ...v);
}
function minimal(x: bigint): Uint8Array {
  let h = x.toString(16);
  if (h.length % 2) h = `0${h}`;
  let b = Uint8Array.from(Buffer.from(h, 'hex'));
  if (b[0]! & 0x80) b = Uint8Array.of(0, ...b);
  return b;
}
function parseEcdsa(sig: Uint8Array): { r: bigint; s: bigint } {
  let i = 2;
  if (sig[1]! & 0x80) i = 2 + (sig[1]! & 0x7f);
  const rl = sig[i + 1]!;
  const r = bytesToBig(sig.subarray(i + 2, i + 2 + rl));
  const j = i + 2 + rl;
  const sl = sig[j + 1]!;
  return { r, s: bytesToBig(sig.subarray(j + 2, j + 2 + sl)) };
}
function seq(...parts: Uint8Array[]): Uint8Array {
  const body = Uint8Array.from(parts.flatMap((p) => [...p]));
  return Uint8Array.of(0x30, body.length, ...body);
}

describe('campaign2: native vs pure on near-miss signatures', () => {
  const ec: { name: string; pem: string; scheme: number; n: bigint; key: KeyObject }[] = [];
  let rsaPem = '';
  let rsaKey: KeyObject;
  beforeAll(() => {
    for (const [curve, scheme, n] of [
      ['P-256', S.ecdsa_secp256r1_sha256, 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n],
      ['P-384', S.ecdsa_secp384r1_sha384, 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n],
    ] as const) {
      const k = generateKeyPairSync('ec', { namedCurve: curve });
      ec.push({ name: curve, pem: k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, scheme, n, key: k.privateKey });
    }
    const r = generateKeyPairSync('rsa', { modulusLength: 2048 });
    rsaKey = r.privateKey;
    rsaPem = r.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  });

  it('ECDSA: valid signatures re-encoded (non-minimal, long form, trailing, high-S, r + n, negative): same verdict', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 7 }), (which, msg, kind) => {
        const c = ec[which]!;
        const sig = Uint8Array.from(nodeSign(c.scheme === S.ecdsa_secp256r1_sha256 ? 'sha256' : 'sha384', msg, { key: c.key, dsaEncoding: 'der' }));
        const { r, s } = parseEcdsa(sig);
        let bad: Uint8Array;
        switch (kind) {
          case 0:
            bad = seq(derInt(minimal(r), 1), derInt(minimal(s))); // non-minimal r
            break;
          case 1: {
            const body = Uint8Array.from([...derInt(minimal(r)), ...derInt(minimal(s))]);
            bad = Uint8Array.of(0x30, 0x81, body.length, ...body); // long-form length
            break;
          }
          case 2:
            bad = Uint8Array.of(...sig, 0); // trailing byte
            break;
          case 3:
            bad = seq(derInt(minimal(r)), derInt(minimal(c.n - s))); // high-S twin: valid (lowS not required)
            break;
          case 4:
            bad = seq(derInt(minimal(r + c.n)), derInt(minimal(s))); // r + n
            break;
          case 5: {
            const rb = minimal(r);
            bad = seq(derInt(rb[0] === 0 ? rb.subarray(1) : rb), derInt(minimal(s))); // r negative when its top bit is set
            break;
          }
          case 6:
            bad = seq(derInt(minimal(0n)), derInt(minimal(s))); // r = 0
            break;
          default:
            bad = sig;
        }
        const n = verifyOutcome(N, c.pem, c.scheme, msg, bad);
        const p = verifyOutcome(P, c.pem, c.scheme, msg, bad);
        expect(n).toBe(p);
        if (kind === 3 || kind === 7) expect(n).toBe('true');
        else if (kind !== 5) expect(n).toBe('false');
      }),
      { numRuns: 120 },
    );
  });

  it('RSA: a signature with its leading zero stripped (k - 1 bytes) or one added, and s + n: refused by both (RFC 8017 §8.1.2, §8.2.2 step 1), PKCS#1 and PSS', () => {
    const pub = N.parsePrivateKey(rsaPem).publicKey;
    const nMod = pub.n!;
    for (const [scheme, opts] of [
      [S.rsa_pkcs1_sha256, { key: rsaKey, padding: constants.RSA_PKCS1_PADDING }],
      [S.rsa_pss_rsae_sha256, { key: rsaKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
    ] as const) {
      // A valid signature whose first byte is 0 (about 1 in 256): PSS signs randomly, PKCS#1 needs other messages.
      let found: { msg: Uint8Array; sig: Uint8Array } | null = null;
      for (let i = 0; i < 20_000 && !found; i++) {
        const msg = Uint8Array.of(i & 0xff, (i >> 8) & 0xff, 7);
        const sig = Uint8Array.from(nodeSign('sha256', msg, opts));
        if (sig[0] === 0) found = { msg, sig };
      }
      expect(found).not.toBeNull();
      const { msg, sig } = found!;
      expect(verifyOutcome(N, rsaPem, scheme, msg, sig)).toBe('true');
      expect(verifyOutcome(P, rsaPem, scheme, msg, sig)).toBe('true');
      const variants: Uint8Array[] = [sig.subarray(1), Uint8Array.of(0, ...sig), bigToBytes(bytesToBig(sig) + nMod, 256)];
      for (const v of variants) {
        const n = verifyOutcome(N, rsaPem, scheme, msg, v);
        expect({ scheme, len: v.length, n }).toEqual({ scheme, len: v.length, n: verifyOutcome(P, rsaPem, scheme, msg, v) });
        expect(n).toBe('false');
      }
    }
  });

  it('RSA-PSS with a salt length other than the hash length (0, 20, 64, maximum): refused by both', () => {
    for (const [scheme, hash, hLen] of [
      [S.rsa_pss_rsae_sha256, 'sha256', 32],
      [S.rsa_pss_rsae_sha384, 'sha384', 48],
    ] as const) {
      const msg = Uint8Array.of(1, 2, 3);
      for (const saltLength of [0, 20, hLen - 1, hLen + 1, 64, constants.RSA_PSS_SALTLEN_MAX_SIGN]) {
        if (saltLength === hLen) continue;
        const sig = Uint8Array.from(nodeSign(hash, msg, { key: rsaKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }));
        const n = verifyOutcome(N, rsaPem, scheme, msg, sig);
        expect({ saltLength, n }).toEqual({ saltLength, n: verifyOutcome(P, rsaPem, scheme, msg, sig) });
        expect(n).toBe('false');
      }
      const good = Uint8Array.from(nodeSign(hash, msg, { key: rsaKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hLen }));
      expect(verifyOutcome(N, rsaPem, scheme, msg, good)).toBe('true');
      expect(verifyOutcome(P, rsaPem, scheme, msg, good)).toBe('true');
    }
  });

  it('a PKCS#8 of another curve or a key of the wrong type never makes verify throw', () => {
    const other = createPrivateKey(ec[0]!.pem);
    expect(other.asymmetricKeyType).toBe('ec');
    const info: PrivateKeyInfo = N.parsePrivateKey(ec[1]!.pem);
    const sig = Uint8Array.from(nodeSign('sha256', Uint8Array.of(1), { key: ec[0]!.key, dsaEncoding: 'der' }));
    expect(N.verify(info.publicKey, S.ecdsa_secp256r1_sha256, Uint8Array.of(1), sig)).toBe(P.verify(P.parsePrivateKey(ec[1]!.pem).publicKey, S.ecdsa_secp256r1_sha256, Uint8Array.of(1), sig));
  });
});
