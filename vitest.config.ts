import { defineConfig } from 'vitest/config';

/**
 * Two projects (issue 9 item 3, "one test suite under every provider"):
 * - `default`: every test, each connection on its entry point's default provider (or on
 *   PURETLS_TEST_CRYPTO when set, see test/setup/crypto-provider.ts);
 * - `native`: the engine suites (engine units, RFC 8448 replay and vectors, properties, bad
 *   input) once more with the `native` provider as the default. The whole suite twice would
 *   double the CI time; these are the files whose connections take the default provider.
 *
 * - `async`: the same engine suites with the test-only provider whose key exchange,
 *   signatures, verification and AEAD answer through promises (records written by write(),
 *   close() or keyUpdate() appear only once `settled()` resolves, as with `webcrypto`).
 *
 * Run one project with `--project default` / `--project native` / `--project async`.
 */
const ASYNC_SUBSET = ['test/engine/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/props/**/*.test.ts', 'test/providers/default-provider.test.ts'];
const NATIVE_SUBSET = ['test/engine/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/props/**/*.test.ts', 'test/providers/default-provider.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup/crypto-provider.ts'],
    projects: [
      { extends: true, test: { name: 'default', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'native', include: NATIVE_SUBSET, env: { PURETLS_TEST_CRYPTO: 'native' } } },
      // The same engine suites with key exchange, signing, verification and the AEAD answering
      // through promises (test/helpers/async-provider.ts): the async handshake paths of item 2
      // and the async record layer. Tests that read the wire after write()/close()/keyUpdate()
      // await settled() first (flushed() in test/helpers/mitm.ts). PURETLS_ASYNC_AEAD=0 would
      // keep the AEAD synchronous; test/providers/default-provider.test.ts checks which ran.
      { extends: true, test: { name: 'async', include: ASYNC_SUBSET, setupFiles: ['test/async/setup-async-default.ts'], env: { PURETLS_ASYNC_AEAD: '1' } } },
    ],
  },
});
