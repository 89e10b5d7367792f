/**
 * The `webcrypto` provider with its async AEAD's calls counted: how many seals and opens were
 * started and the most in flight at once (what the pipelining of issue 9 is about).
 */
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../../src/crypto/provider.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';

/** Calls of one kind: started so far, in flight now, most in flight at once. */
export interface CallStats {
  calls: number;
  inFlight: number;
  maxInFlight: number;
}

/** The provider and its counters. */
export function countingWebcrypto(): { crypto: CryptoProvider; opens: CallStats; seals: CallStats } {
  const base = webcryptoProvider();
  const opens: CallStats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const seals: CallStats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const counted = <T>(s: CallStats, run: () => Promise<T>): Promise<T> => {
    s.calls++;
    s.maxInFlight = Math.max(s.maxInFlight, ++s.inFlight);
    return run().finally(() => s.inFlight--);
  };
  const aead = (alg: AeadAlg, key: Uint8Array): AeadCipher | AsyncAeadCipher => {
    const inner = base.aead(alg, key);
    if (inner.async !== true) return inner;
    return {
      alg,
      async: true,
      seal: (n, a, p) => counted(seals, () => inner.seal(n, a, p)),
      open: (n, a, c) => counted(opens, () => inner.open(n, a, c)),
    };
  };
  return { crypto: { ...base, aead } as CryptoProvider, opens, seals };
}
