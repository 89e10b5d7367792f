/**
 * The `webcrypto` provider with its async AEAD's calls counted: how many seals and opens were
 * started and the most in flight at once (what the pipelining of issue 9 is about), and, on
 * demand, seals that fail. Shared by the record layer's receive-side tests and the pump's
 * write-behind tests.
 */
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../../src/crypto/provider.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';

/** Calls of one kind: started so far, in flight now, most in flight at once. */
export interface CallStats {
  calls: number;
  inFlight: number;
  maxInFlight: number;
}

/** The provider, its counters, and `failSealsAfter(n)`: every seal after the n-th rejects. */
export function countingWebcrypto(): { crypto: CryptoProvider; opens: CallStats; seals: CallStats; failSealsAfter: (n: number) => void } {
  const base = webcryptoProvider();
  const opens: CallStats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const seals: CallStats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  let sealLimit = Infinity;
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
      seal: (n, a, p) => (seals.calls >= sealLimit ? Promise.reject(new Error('seal refused by the test')) : counted(seals, () => inner.seal(n, a, p))),
      open: (n, a, c) => counted(opens, () => inner.open(n, a, c)),
    };
  };
  return { crypto: { ...base, aead } as CryptoProvider, opens, seals, failSealsAfter: (n) => (sealLimit = n) };
}
