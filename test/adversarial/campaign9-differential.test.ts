/**
 * Campaign 9: the built-in providers against each other on edge inputs (issue 9 item 3:
 * "each is checked against the others"). campaign2-native compared native with pure on key
 * shares and ECDSA/RSA near misses; here the webcrypto provider joins, and Ed25519, which
 * nobody had compared:
 *
 * - Ed25519: RFC 8032 §5.1.7 allows the cofactored or the cofactorless equation; OpenSSL
 *   (native, and WebCrypto on Node) checks the cofactorless one, @noble the cofactored one, so
 *   a key or R with a small-order component split the providers. OpenSSL also accepts a
 *   small-order public key, for which (R = identity, S = 0) verifies every message. All four
 *   verifiers (pure, native, webcrypto, the client-only entry's ed25519 module) now agree;
 * - X25519 and P-256 peer values in odd forms, through the webcrypto provider's own key
 *   shares (generateKeyShare, async): the same outcome as the pure provider's;
 * - ECDSA signatures re-encoded (non-minimal DER, trailing bytes, high-S, r + n, zero): the
 *   same verdict from webcrypto as from pure.
 */
import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nativeProvider } from '../../src/crypto/native.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { composeProvider } from '../../src/crypto/lean.js';
import { ED25519_PART } from '../../src/crypto/parts.js';
import type { CryptoProvider, PublicKeyInfo } from '../../src/crypto/provider.js';
import { NamedGroup, SignatureScheme } from '../../src/wire/codes.js';
import { TlsError } from '../../src/base/errors.js';

const webcrypto = webcryptoProvider();
const VERIFIERS: [string, CryptoProvider][] = [
  ['pure', nobleProvider],
  ['native', nativeProvider],
  ['webcrypto', webcrypto],
  ['client entry + ed25519', composeProvider([ED25519_PART])],
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const le = (b: Uint8Array): bigint => BigInt(`0x${Buffer.from(b).reverse().toString('hex') || '0'}`);
const toLe = (v: bigint, n = 32): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(2 * n, '0'), 'hex').reverse());
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));

// ------------------------------------------------------------------ Ed25519

describe('campaign9: Ed25519 verdicts agree across providers', () => {
  const Point = ed25519.Point;
  const L = Point.Fn.ORDER;
  const SPKI = Buffer.from('302a300506032b6570032100', 'hex');
  const msg = new TextEncoder().encode('TLS 1.3, server CertificateVerify');
  /** An order-8 point (the torsion subgroup's generator). */
  const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
  const a = 0x1234567890abcdef1234567890abcdefn % L;
  const sign = (A: Uint8Array, rPoint: InstanceType<typeof Point>, r: bigint, m: Uint8Array): Uint8Array => {
    const R = rPoint.toBytes();
    const k = le(sha512(cat(R, A, m))) % L;
    return cat(R, toLe((r + k * a) % L));
  };
  const kOf = (sig: Uint8Array, A: Uint8Array): bigint => le(sha512(cat(sig.subarray(0, 32), A, msg))) % L;

  /** Cases: [name, public key, signature, expected verdict]. */
  function cases(): [string, Uint8Array, Uint8Array, boolean][] {
    const out: [string, Uint8Array, Uint8Array, boolean][] = [];
    const honest = Point.BASE.multiply(a).toBytes();
    out.push(['honest key and signature', honest, sign(honest, Point.BASE.multiply(99n), 99n, msg), true]);
    const good = sign(honest, Point.BASE.multiply(99n), 99n, msg);
    out.push(['S + L (not reduced)', honest, cat(good.subarray(0, 32), toLe(le(good.subarray(32)) + L)), false]);
    // Small-order keys: every multiple of T8 (the identity included). (R = identity, S = 0) satisfies
    // both equations for any message: a key anybody can sign for.
    const zero = cat(Point.ZERO.toBytes(), new Uint8Array(32));
    for (let i = 0n; i < 8n; i++) {
      const A = (i === 0n ? Point.ZERO : T8.multiplyUnsafe(i)).toBytes();
      out.push([`small-order key ${i}·T8, (R = identity, S = 0)`, A, zero, false]);
    }
    // A key with a torsion component: cofactored accepts every signature; cofactorless only when 8 | k.
    const mixed = Point.BASE.multiply(a).add(T8).toBytes();
    let seen0 = false;
    let seenOther = false;
    for (let r = 2n; !(seen0 && seenOther) && r < 400n; r++) {
      const sig = sign(mixed, Point.BASE.multiply(r), r, msg);
      const k8 = kOf(sig, mixed) % 8n;
      if (k8 === 0n && !seen0) {
        seen0 = true;
        out.push(['mixed-order key, k ≡ 0 mod 8 (both equations hold)', mixed, sig, true]);
      } else if (k8 !== 0n && !seenOther) {
        seenOther = true;
        out.push([`mixed-order key, k ≡ ${k8} mod 8 (only the cofactored equation holds)`, mixed, sig, false]);
      }
    }
    // An honest key, R with a torsion component (only the key's holder can make this).
    out.push(['honest key, R + T8 (only the cofactored equation holds)', honest, sign(honest, Point.BASE.multiply(77n).add(T8), 77n, msg), false]);
    return out;
  }

  it('honest, unreduced S, the eight small-order keys, a mixed-order key (8 | k and not), R with a torsion component: pure, native, webcrypto and the client entry give the same verdict', async () => {
    const rows: string[] = [];
    for (const [name, A, sig, expected] of cases()) {
      const spki = Uint8Array.from([...SPKI, ...A]);
      const verdicts: Record<string, string> = {};
      for (const [pn, p] of VERIFIERS) {
        let key: PublicKeyInfo;
        try {
          key = p.parsePublicKey(spki);
        } catch (e) {
          verdicts[pn] = e instanceof TlsError ? `parse:${e.status}` : `throws:${String(e)}`;
          continue;
        }
        verdicts[pn] = String(await p.verify(key, SignatureScheme.ed25519, msg, sig));
      }
      rows.push(`${name}: ${JSON.stringify(verdicts)}`);
      expect({ name, verdicts }).toEqual({ name, verdicts: Object.fromEntries(VERIFIERS.map(([pn]) => [pn, String(expected)])) });
    }
    expect(rows.length).toBeGreaterThanOrEqual(12);
  });
});

// ------------------------------------------------------------------ key shares through webcrypto

/** The outcome of `f`: the secret (hex) or the TlsError status. */
async function outcome(f: () => Uint8Array | Promise<Uint8Array>): Promise<string> {
  try {
    return `ok:${hex(await f())}`;
  } catch (e) {
    return e instanceof TlsError ? e.status : `non-TlsError: ${String(e)}`;
  }
}

describe('campaign9: webcrypto key shares against odd peer values, compared with pure', () => {
  const P25519 = 2n ** 255n - 19n;
  it('X25519: bit 255 set, u + p, and the small-order points with their aliases: the same secret or the same IllegalParameter', async () => {
    const web = await webcrypto.generateKeyShare(NamedGroup.x25519, crypto.getRandomValues.bind(crypto) as (n: number) => Uint8Array);
    const peerSk = new Uint8Array(32).fill(9);
    const peer = nobleProvider.keyShare(NamedGroup.x25519, peerSk);
    const u = le(peer.publicKey);
    // Small-order u (RFC 7748 §6.1 results in all zeros): 0, 1, p − 1, the two order-8 points, and aliases ≥ p.
    const small = [0n, 1n, P25519 - 1n, 325606250916557431795983626356110631294008115727848805560023387167927233504n, 39382357235489614581723060781553021112529911719440698176882885853963445705823n];
    const forms: [string, bigint, 'same' | 'refused'][] = [
      ['canonical', u, 'same'],
      ['bit 255 set', u | (1n << 255n), 'same'],
      ...small.map((s): [string, bigint, 'refused'] => [`small order ${s % 1000n}…`, s, 'refused']),
      ...small.filter((s) => s + P25519 < 2n ** 255n).map((s): [string, bigint, 'refused'] => [`small order ${s} + p`, s + P25519, 'refused']),
      ...small.map((s): [string, bigint, 'refused'] => [`small order ${s % 1000n}… with bit 255`, s | (1n << 255n), 'refused']),
    ];
    // What the secret must be: the pure share of the peer agreeing with ours.
    const expected = `ok:${hex(peer.agree(web.publicKey))}`;
    for (const [name, v, want] of forms) {
      const w = await outcome(() => web.agree(toLe(v & ((1n << 256n) - 1n))));
      const pureSide = await outcome(() => nobleProvider.keyShare(NamedGroup.x25519, new Uint8Array(32).fill(3)).agree(toLe(v & ((1n << 256n) - 1n))));
      if (want === 'same') expect({ name, w }).toEqual({ name, w: expected });
      else expect({ name, w, pureSide }).toEqual({ name, w: 'IllegalParameter', pureSide: 'IllegalParameter' });
    }
  });

  it('P-256: compressed, hybrid, y + p, off the curve, the point at infinity, a byte appended: IllegalParameter as with pure; −Q agrees', async () => {
    const prime = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
    const be = (v: bigint): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(64, '0'), 'hex'));
    const web = await webcrypto.generateKeyShare(NamedGroup.secp256r1, crypto.getRandomValues.bind(crypto) as (n: number) => Uint8Array);
    const peer = nobleProvider.keyShare(NamedGroup.secp256r1, new Uint8Array(40).fill(5));
    const x = BigInt(`0x${hex(peer.publicKey.subarray(1, 33))}`);
    const y = BigInt(`0x${hex(peer.publicKey.subarray(33))}`);
    const bad: [string, Uint8Array][] = [
      ['compressed', Uint8Array.of(y & 1n ? 3 : 2, ...be(x))],
      ['hybrid form', Uint8Array.of(y & 1n ? 7 : 6, ...be(x), ...be(y))],
      ['off the curve', Uint8Array.of(4, ...be(x), ...be((y + 1n) % prime))],
      ['the point at infinity', Uint8Array.of(0)],
      ['all zeros', new Uint8Array(65)],
      ['a byte appended', Uint8Array.of(...peer.publicKey, 0)],
      ...(y + prime < 2n ** 256n ? [['y + p', Uint8Array.of(4, ...be(x), ...be(y + prime))] as [string, Uint8Array]] : []),
    ];
    for (const [name, v] of bad) {
      const w = await outcome(() => web.agree(v));
      const p = await outcome(() => nobleProvider.keyShare(NamedGroup.secp256r1, new Uint8Array(40).fill(6)).agree(v));
      expect({ name, w, p }).toEqual({ name, w: 'IllegalParameter', p: 'IllegalParameter' });
    }
    // −Q is a valid point (accepted); Q itself gives the secret the pure side computes.
    const neg = Uint8Array.of(4, ...be(x), ...be(prime - y));
    expect((await outcome(() => web.agree(neg))).startsWith('ok:')).toBe(true);
    expect(await outcome(() => web.agree(peer.publicKey))).toBe(`ok:${hex(peer.agree(web.publicKey) as Uint8Array)}`);
  });
});

// ------------------------------------------------------------------ ECDSA near misses through webcrypto

describe('campaign9: webcrypto and pure on re-encoded ECDSA signatures', () => {
  it('non-minimal integers, long-form length, trailing byte, high-S, r + n, r = 0, s = 0, empty: the same verdict', async () => {
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const { generateTestPki } = await import('../../src/verify/generate.js');
    const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
    const priv = nobleProvider.parsePrivateKey(pki.keyPem);
    const pub = priv.publicKey;
    const m = new TextEncoder().encode('ServerKeyExchange params');
    const sig = nobleProvider.sign(priv, SignatureScheme.ecdsa_secp256r1_sha256, m, () => new Uint8Array(32).fill(1)) as Uint8Array;
    // Parse r, s from the DER.
    const rl = sig[3]!;
    const r = BigInt(`0x${hex(sig.subarray(4, 4 + rl))}`);
    const sl = sig[5 + rl]!;
    const s = BigInt(`0x${hex(sig.subarray(6 + rl, 6 + rl + sl))}`);
    const minimal = (v: bigint): Uint8Array => {
      let h = v.toString(16);
      if (h.length % 2) h = `0${h}`;
      const b = Uint8Array.from(Buffer.from(h, 'hex'));
      return b[0]! & 0x80 ? Uint8Array.of(0, ...b) : b;
    };
    const int = (b: Uint8Array): Uint8Array => Uint8Array.of(2, b.length, ...b);
    const seq = (...parts: Uint8Array[]): Uint8Array => {
      const body = cat(...parts);
      return Uint8Array.of(0x30, body.length, ...body);
    };
    const variants: [string, Uint8Array][] = [
      ['as made', sig],
      ['r with a needless 00', seq(int(Uint8Array.of(0, ...minimal(r))), int(minimal(s)))],
      ['long-form sequence length', Uint8Array.of(0x30, 0x81, sig.length - 2, ...sig.subarray(2))],
      ['a trailing byte', Uint8Array.of(...sig, 0)],
      ['high-S (n − s)', seq(int(minimal(r)), int(minimal(n - s)))],
      ['r + n', seq(int(minimal(r + n)), int(minimal(s)))],
      ['r = 0', seq(int(Uint8Array.of(0)), int(minimal(s)))],
      ['s = 0', seq(int(minimal(r)), int(Uint8Array.of(0)))],
      ['empty', new Uint8Array(0)],
    ];
    for (const [name, v] of variants) {
      const p = nobleProvider.verify(pub, SignatureScheme.ecdsa_secp256r1_sha256, m, v);
      const w = await webcrypto.verify(pub, SignatureScheme.ecdsa_secp256r1_sha256, m, v);
      const nat = nativeProvider.verify(pub, SignatureScheme.ecdsa_secp256r1_sha256, m, v);
      expect({ name, p, w, nat }).toEqual({ name, p, w: p, nat: p });
    }
    expect(nobleProvider.verify(pub, SignatureScheme.ecdsa_secp256r1_sha256, m, sig)).toBe(true);
  });
});
