/**
 * What the suites need to know about the crypto provider they run under
 * (PURETLS_TEST_CRYPTO, test/setup/crypto-provider.ts).
 */
import type { TestKeyType } from '../../src/verify/generate.js';

/** The provider name this run defaults to (`pure` when PURETLS_TEST_CRYPTO is unset). */
export const TEST_CRYPTO: string = process.env.PURETLS_TEST_CRYPTO || 'pure';

/**
 * The certificate key type for suites that check byte-for-byte reproducibility from a
 * seeded random source: ECDSA P-256 where the provider draws ECDSA nonces from that source
 * (pure: RFC 6979 hedged with it), Ed25519 under `native`, whose ECDSA nonces come from
 * OpenSSL (src/crypto/native.ts) while Ed25519 is deterministic.
 */
export const REPRODUCIBLE_KEY_TYPE: TestKeyType = TEST_CRYPTO === 'native' ? 'ed25519' : 'ecdsa-p256';
