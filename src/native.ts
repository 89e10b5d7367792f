/**
 * `puretls/native`: the `node:crypto` provider for users of the runtime-neutral entry on
 * Node, Deno or Bun. Importing it also makes `crypto: 'native'` resolvable there
 * (`puretls/node` loads it by itself and uses it by default).
 *
 * ```ts
 * import { TlsConnection } from 'puretls';
 * import { nativeProvider } from 'puretls/native';
 * const conn = TlsConnection.client({ servername: 'example.com', ca, crypto: nativeProvider });
 * ```
 *
 * @module
 */
export { nativeProvider } from './crypto/native.js';
// With the native provider, PKCS#12 files and encrypted keys use node:crypto's PBKDF2 and DES-EDE3.
import './identity/native.js';
