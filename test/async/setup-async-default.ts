/**
 * Vitest setup for `npx vitest run -c test/async/vitest.async.config.ts`: every connection
 * whose options name no provider runs on the test-only async provider (key exchange,
 * signatures, verification and the AEAD all answer later), so the engine suites prove the
 * async paths of the handshake and the record layer.
 */
import { setDefaultCryptoProvider } from '../../src/crypto/select.js';
import { asyncProvider } from '../helpers/async-provider.js';

// PURETLS_ASYNC_AEAD=0: keep the AEAD synchronous (only key exchange and signatures wait).
setDefaultCryptoProvider(asyncProvider({ aead: process.env.PURETLS_ASYNC_AEAD !== '0', maxDelayMs: 1 }));
