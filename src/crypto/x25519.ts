/**
 * X25519 (RFC 7748 §5) for the client-only entry's pure provider: @noble/curves' Montgomery
 * ladder built from the curve's parameters alone. `@noble/curves/ed25519.js`'s `x25519` computes
 * public keys on the Edwards curve with precomputed tables (about 3× faster for that one step)
 * and so carries the whole Edwards implementation (~7 KB min+gz); this one runs the ladder for
 * both steps and is the same function (the unit tests compare the two on random inputs).
 *
 * Checks, as src/crypto/kx.ts: a 32-byte key share (RFC 9846 §4.3.8.2), and an all-zero
 * shared secret is `illegal_parameter` (RFC 7748 §6.1, RFC 9846 §7.4.2); noble also refuses the
 * small-order points before running the ladder.
 *
 * @module
 */
import { montgomery } from '@noble/curves/abstract/montgomery.js';
import { pow } from '@noble/curves/abstract/modular.js';
import { TlsError } from '../base/errors.js';
import type { SyncKeyShare } from './provider.js';

/** RFC 7748 §4.1: p = 2^255 − 19. */
const P = /* @__PURE__ */ (() => 2n ** 255n - 19n)();

/** The X25519 function (RFC 7748 §5), from the ladder only. */
const ladderX25519 = /* @__PURE__ */ montgomery({
  P,
  type: 'x25519',
  // Inversion by Fermat's little theorem: x^(p−2) (RFC 7748 §5, "x_2 * (z_2^(p - 2))").
  powPminus2: (x: bigint) => pow(x, P - 2n, P),
  // RFC 7748 §5 decodeScalar25519: clear the low 3 bits and the top bit, set bit 254.
  adjustScalarBytes: (b: Uint8Array) => {
    b[0]! &= 248;
    b[31]! &= 127;
    b[31]! |= 64;
    return b;
  },
});

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
  const sk = privateKey.slice();
  return {
    group: X25519_GROUP,
    publicKey: ladderX25519.getPublicKey(sk),
    agree(peerPublic: Uint8Array): Uint8Array {
      // RFC 9846 §4.3.8.2: X25519 key_exchange is the 32-byte public value.
      if (peerPublic.length !== 32) throw new TlsError('IllegalParameter', { detail: 'X25519 key share must be 32 bytes' });
      let shared: Uint8Array;
      try {
        shared = ladderX25519.getSharedSecret(sk, peerPublic);
      } catch {
        // noble refuses the small-order points, whose result is all zeros.
        throw new TlsError('IllegalParameter', { detail: 'X25519 shared secret is all zeros' });
      }
      // RFC 7748 §6.1, RFC 9846 §7.4.2: abort on an all-zero shared secret.
      if (isAllZero(shared)) throw new TlsError('IllegalParameter', { detail: 'X25519 shared secret is all zeros' });
      return shared;
    },
  };
}
