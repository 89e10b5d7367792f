import { defineConfig } from 'vitest/config';

/**
 * The engine suites (engine units, RFC 8448 replay, properties) once more with the test-only
 * async provider as every connection's default (test/async/setup-async-default.ts):
 * `npx vitest run -c test/async/vitest.async.config.ts`.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/async/setup-async-default.ts'],
    include: ['test/engine/**/*.test.ts', 'test/vectors/**/*.test.ts', 'test/props/**/*.test.ts'],
  },
});
