/**
 * A pure provider that counts key parsing: what a connection built from a prebuilt config
 * must not do (issue 9 item 1). Shared by the config tests of the engine and of the Node adapter.
 */
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

/** The provider and its counters (parsePrivateKey, parsePublicKey calls so far). */
export function countingProvider(): { provider: CryptoProvider; calls: { parsePrivateKey: number; parsePublicKey: number } } {
  const calls = { parsePrivateKey: 0, parsePublicKey: 0 };
  const provider: CryptoProvider = {
    ...nobleProvider,
    parsePrivateKey: (k) => {
      calls.parsePrivateKey++;
      return nobleProvider.parsePrivateKey(k);
    },
    parsePublicKey: (spki) => {
      calls.parsePublicKey++;
      return nobleProvider.parsePublicKey(spki);
    },
  };
  return { provider, calls };
}
