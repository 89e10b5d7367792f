/**
 * Vitest setup: runs a suite under the crypto provider named by `PURETLS_TEST_CRYPTO`
 * (`pure` or `native`; later `webcrypto`) by making it the default of every connection whose
 * options name none (src/crypto/select.ts `setDefaultCryptoProvider`). Unset: each entry's
 * own default (the runtime-neutral entry's is `pure`). Tests that pass `crypto` themselves
 * keep their choice.
 *
 * `npm test` runs the engine suites once more under `native` (the `native` project in
 * vitest.config.ts); by hand: `PURETLS_TEST_CRYPTO=native npx vitest run --project default test/engine`.
 */
import { setDefaultCryptoProvider, CRYPTO_PROVIDER_NAMES, type CryptoProviderName } from '../../src/crypto/select.js';

const choice = process.env.PURETLS_TEST_CRYPTO;
if (choice !== undefined && choice !== '') {
  if (!(CRYPTO_PROVIDER_NAMES as readonly string[]).includes(choice)) {
    throw new Error(`PURETLS_TEST_CRYPTO=${choice}: expected one of ${CRYPTO_PROVIDER_NAMES.join(', ')}`);
  }
  // Loading the native provider registers it; the runtime-neutral sources do not load it.
  if (choice === 'native') await import('../../src/crypto/native.js');
  setDefaultCryptoProvider(choice as CryptoProviderName);
}
