/**
 * A test-only crypto provider that answers every operation an async provider may make
 * async — key share generation, agreement, signing, verification and (optionally) the
 * AEAD — with a promise that settles after a seeded pseudo-random delay, computing the
 * result with the pure provider. It proves the engine's async paths (handshake and record
 * layer) without WebCrypto, and counts the calls so a test can see they were taken.
 */
import { nobleProvider } from '../../src/crypto/noble.js';
import type { AeadAlg, AsyncAeadCipher, CryptoProvider, KeyShare, PrivateKeyInfo, PublicKeyInfo, RandomSource, SignatureOptions, SyncCryptoProvider } from '../../src/crypto/provider.js';

/** Options of {@link asyncProvider}. */
export interface AsyncProviderOptions {
  /** Make the AEAD async too (needs the record layer's async path). Default false. */
  readonly aead?: boolean;
  /** Seed of the delay sequence. Default 1. */
  readonly seed?: number;
  /** Largest delay in ms (0 = a microtask-free macrotask hop every time). Default 2. */
  readonly maxDelayMs?: number;
}

/** The provider and how often each async operation ran. */
export interface CountingProvider extends CryptoProvider {
  readonly calls: Record<'generateKeyShare' | 'agree' | 'encapsulate' | 'sign' | 'verify' | 'seal' | 'open', number>;
}

/** Wraps `base` (default: the pure provider) so that its key exchange, signatures and optionally AEAD answer later. */
export function asyncProvider(opts: AsyncProviderOptions = {}, base: SyncCryptoProvider = nobleProvider): CountingProvider {
  let state = (opts.seed ?? 1) >>> 0 || 1;
  const max = opts.maxDelayMs ?? 2;
  const later = <T>(f: () => T): Promise<T> => {
    // xorshift32: a repeatable sequence of delays (0..max ms).
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const ms = max === 0 ? 0 : state % (max + 1);
    return new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(f());
        } catch (e) {
          reject(e);
        }
      }, ms),
    );
  };
  const calls = { generateKeyShare: 0, agree: 0, encapsulate: 0, sign: 0, verify: 0, seal: 0, open: 0 };
  const wrapShare = (s: KeyShare): KeyShare => ({
    group: s.group,
    publicKey: s.publicKey,
    agree: (peer: Uint8Array) => {
      calls.agree++;
      return later(() => s.agree(peer) as Uint8Array);
    },
  });
  const aead = (alg: AeadAlg, key: Uint8Array): AsyncAeadCipher => {
    const inner = base.aead(alg, key);
    return {
      alg,
      async: true,
      seal: (n, a, p) => {
        calls.seal++;
        const copy = p.slice();
        return later(() => inner.seal(n, a, copy));
      },
      open: (n, a, c) => {
        calls.open++;
        const copy = c.slice();
        return later(() => inner.open(n, a, copy));
      },
    };
  };
  return {
    ...base,
    name: `async(${base.name})`,
    async: true,
    calls,
    aead: opts.aead ? aead : base.aead,
    generateKeyShare: (group: number, random: RandomSource) => {
      calls.generateKeyShare++;
      // Drawn now, so the random source is read in the same order as by the sync provider.
      const share = base.generateKeyShare(group, random);
      return later(() => wrapShare(share));
    },
    // The server's side of a post-quantum hybrid (a KEM): checked and computed now, answered later.
    ...(base.encapsulate
      ? {
          encapsulate: (group: number, peer: Uint8Array, random: RandomSource) => {
            calls.encapsulate++;
            let r: ReturnType<NonNullable<SyncCryptoProvider['encapsulate']>>;
            try {
              r = base.encapsulate!(group, peer, random);
            } catch (e) {
              return later(() => {
                throw e;
              });
            }
            return later(() => r);
          },
        }
      : {}),
    sign: (key: PrivateKeyInfo, scheme: number, message: Uint8Array, random: RandomSource, o?: SignatureOptions) => {
      calls.sign++;
      return later(() => base.sign(key, scheme, message, random, o)).then((sig) => sig);
    },
    verify: (key: PublicKeyInfo, scheme: number, message: Uint8Array, signature: Uint8Array, o?: SignatureOptions) => {
      calls.verify++;
      return later(() => base.verify(key, scheme, message, signature, o));
    },
    verifyEcdsaDigest: (key: PublicKeyInfo, digest: Uint8Array, signature: Uint8Array) => {
      calls.verify++;
      return later(() => base.verifyEcdsaDigest!(key, digest, signature));
    },
  };
}
