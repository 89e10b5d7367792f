/**
 * The provider a suite runs under is the one it claims: with PURETLS_TEST_CRYPTO set (the
 * `native` vitest project sets it), connections that name no provider report that one in
 * `info.provider`; unset, they report the pure provider. This keeps the per-provider runs of
 * the engine suites from silently running the default provider twice (the `async` project,
 * which sets PURETLS_ASYNC_AEAD=1, runs on the test-only async provider, its AEAD included).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { resolveCryptoProvider } from '../../src/crypto/select.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import type { CountingProvider } from '../helpers/async-provider.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('default provider of this test run', () => {
  it('is the one PURETLS_TEST_CRYPTO names (pure when unset), on both sides of a handshake', async () => {
    const env = process.env.PURETLS_TEST_CRYPTO;
    // The `async` project (PURETLS_ASYNC_AEAD set) runs on the test-only promise-answering provider;
    // its AEAD answers through promises too unless PURETLS_ASYNC_AEAD=0.
    const expected = process.env.PURETLS_ASYNC_AEAD !== undefined ? `async(${nobleProvider.name})` : env ? resolveCryptoProvider(env as 'pure' | 'native').name : nobleProvider.name;
    if (env === 'native') expect(expected).toBe('native');
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(client, server);
    expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
    expect(client.info.provider).toBe(expected);
    expect(server.info.provider).toBe(expected);
    if (process.env.PURETLS_ASYNC_AEAD !== undefined) {
      // The records were sealed through the async AEAD (unless the run keeps it synchronous).
      const calls = (client.crypto as CountingProvider).calls;
      expect(calls.seal > 0).toBe(process.env.PURETLS_ASYNC_AEAD !== '0');
    }
  });
});
