/**
 * `puretls/bun` under the real Bun 1.4 (npm devDependency `bun`): the interop matrix of
 * runtime-matrix.ts (Node `tls`, openssl, Bun's own BoringSSL TLS).
 */
import { describe } from 'vitest';
import { runtimeMatrix } from './runtime-matrix.js';

describe('puretls/bun', () => {
  runtimeMatrix('bun');
});
