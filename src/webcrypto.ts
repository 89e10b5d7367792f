/**
 * `puretls/webcrypto`: the WebCrypto provider (`globalThis.crypto.subtle`, asynchronous) for
 * browsers, workers and any runtime with WebCrypto. Importing it also makes
 * `crypto: 'webcrypto'` resolvable when the runtime has `crypto.subtle`. What WebCrypto lacks
 * runs in pure code; the provider lists it in `delegated` (and `info.providerDelegated`).
 *
 * ```ts
 * import { TlsConnection } from 'puretls/client';
 * import { webcryptoProvider } from 'puretls/webcrypto';
 * const conn = TlsConnection.client({ servername: 'example.com', ca, crypto: webcryptoProvider() });
 * ```
 *
 * @module
 */
export { webcryptoProvider, webcryptoAvailable } from './crypto/webcrypto.js';
export type { WebCryptoProvider, WebCryptoProviderOptions } from './crypto/webcrypto.js';
