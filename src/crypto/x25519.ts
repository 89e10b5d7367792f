/**
 * X25519 (RFC 7748 §5) for the client-only entry's pure provider: puretls's own Montgomery
 * ladder over BigInt, for both steps (the public key is X25519(k, 9)). `@noble/curves/ed25519.js`'s
 * `x25519` computes public keys on the Edwards curve with precomputed tables (about 3× faster
 * for that one step) and so carries the whole Edwards implementation (~7 KB min+gz), and its
 * generic `montgomery()` brings its field, validation and encoding helpers (~1.5 KB min+gz);
 * this is the same function in a few hundred bytes (the unit tests compare it with noble's
 * `x25519` on random inputs and check RFC 7748 §5.2's vectors).
 *
 * Checks, as src/crypto/kx.ts: a 32-byte key share (RFC 9846 §4.3.8.2), and an all-zero
 * shared secret (the small-order points give one) is `illegal_parameter` (RFC 7748 §6.1,
 * RFC 9846 §7.4.2).
 *
 * The ladder swaps by masks, not branches, on the scalar's bits (RFC 7748 §5 cswap), as
 * noble's does; BigInt arithmetic itself is not constant time, the usual trade of a
 * pure-JavaScript X25519 (the native and webcrypto providers use the runtime's).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { modPow } from './rsa.js';
import type { SyncKeyShare } from './provider.js';

/** RFC 7748 §4.1: p = 2^255 − 19. */
const P = /* @__PURE__ */ (() => 2n ** 255n - 19n)();
/** RFC 7748 §5: a24 = (486662 − 2) / 4. */
const A24 = 121665n;
/** RFC 7748 §4.1: the base point's u-coordinate. */
const BASE_U = /* @__PURE__ */ (() => Uint8Array.of(9, ...new Uint8Array(31)))();

/**
 * X25519(k, u) (RFC 7748 §5): `k` the 32-byte scalar (decodeScalar25519 clamps a copy),
 * `u` 32 bytes (decodeUCoordinate masks the top bit; values ≥ p are used reduced, as the RFC
 * requires). Returns the 32-byte little-endian u-coordinate of the result.
 */
function x25519(k: Uint8Array, u: Uint8Array): Uint8Array {
  // decodeScalar25519: clear the low 3 bits and the top bit, set bit 254.
  // A copy (Uint8Array.from: `slice` of a Node Buffer would be a view of the caller's bytes).
  const s = Uint8Array.from(k);
  s[0]! &= 248;
  s[31]! &= 127;
  s[31]! |= 64;
  let x1 = 0n;
  for (let i = 31; i >= 0; i--) x1 = (x1 << 8n) | BigInt(i === 31 ? u[i]! & 127 : u[i]!);
  x1 %= P;
  let x2 = 1n;
  let z2 = 0n;
  let x3 = x1;
  let z3 = 1n;
  let swap = 0;
  for (let t = 254; t >= 0; t--) {
    const bit = (s[t >>> 3]! >>> (t & 7)) & 1;
    swap ^= bit;
    // cswap(swap, x2, x3) and cswap(swap, z2, z3): mask is 0 or all ones.
    const mask = -BigInt(swap);
    let d = mask & (x2 ^ x3);
    x2 ^= d;
    x3 ^= d;
    d = mask & (z2 ^ z3);
    z2 ^= d;
    z3 ^= d;
    swap = bit;
    // Every value stays in [0, p): differences add p first.
    const a = x2 + z2;
    const aa = (a * a) % P;
    const b = x2 - z2 + P;
    const bb = (b * b) % P;
    const e = aa - bb + P;
    const c = x3 + z3;
    const dd = x3 - z3 + P;
    const da = (dd * a) % P;
    const cb = (c * b) % P;
    const sum = da + cb;
    const diff = da - cb + P;
    x3 = (sum * sum) % P;
    z3 = (((diff * diff) % P) * x1) % P;
    x2 = (aa * bb) % P;
    z2 = (e * ((aa + A24 * e) % P)) % P;
  }
  const mask = -BigInt(swap);
  x2 ^= mask & (x2 ^ x3);
  z2 ^= mask & (z2 ^ z3);
  s.fill(0);
  // x2 · z2^(p − 2) (RFC 7748 §5: inversion by Fermat's little theorem).
  let r = (x2 * modPow(z2, P - 2n, P)) % P;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, r >>= 8n) out[i] = Number(r & 0xffn);
  return out;
}

/** The X25519 code point (RFC 9846 §4.3.7). */
export const X25519_GROUP = 0x001d;

function isAllZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/**
 * An X25519 key share from a 32-byte private key (the scalar, clamped by RFC 7748 §5).
 * @throws TlsError('InternalError') for a private key that is not 32 bytes; `agree` throws
 *   TlsError('IllegalParameter') for a peer share that is not 32 bytes or gives an all-zero secret
 */
export function x25519KeyShare(privateKey: Uint8Array): SyncKeyShare {
  if (privateKey.length !== 32) throw new TlsError('InternalError', { detail: 'X25519 private key must be 32 bytes' });
  const sk = Uint8Array.from(privateKey);
  return {
    group: X25519_GROUP,
    publicKey: x25519(sk, BASE_U),
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: X25519 key_exchange is the 32-byte public value.
      if (peerPublic.length !== 32) throw new TlsError('IllegalParameter', { detail: 'X25519 key share must be 32 bytes' });
      const shared = x25519(sk, peerPublic);
      // RFC 7748 §6.1, RFC 9846 §7.4.2: abort on an all-zero shared secret.
      if (isAllZero(shared)) throw new TlsError('IllegalParameter', { detail: 'X25519 shared secret is all zeros' });
      return shared;
    },
  };
}
