/**
 * Message hooks, set on options for one connection. See {@link withTestHooks}.
 *
 * @module
 */
import type { ClientOptions, ServerOptions } from '../config/config.js';
import { attachTestHooks, type ClientTestHooks, type ServerTestHooks } from '../handshake/test-hooks.js';

/**
 * A copy of client `options` whose connection runs `hooks`: the ClientHello hook rewrites
 * each ClientHello (the first, and the second after a HelloRetryRequest) just before it
 * is encoded. Hooks already on `options` are kept unless `hooks` replaces them.
 *
 * The hooks are not an option: they are carried under a private key, kept when the object
 * is spread (so `puretls/node` passes them on), and never part of `ClientOptions`.
 *
 * @example
 * ```ts
 * // A client that leaves out extended_master_secret, to test a server's policy.
 * const client = TlsConnection.client(
 *   withTestHooks({ servername: 'localhost', ca, maxVersion: 'TLSv1.2' }, {
 *     clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, extendedMasterSecret: undefined } }),
 *   }),
 * );
 * ```
 */
export function withTestHooks<T extends ClientOptions>(options: T, hooks: ClientTestHooks): T;
/**
 * A copy of server `options` whose connection runs `hooks`: the EncryptedExtensions hook
 * rewrites the extensions of the server's EncryptedExtensions (TLS 1.3), the
 * HelloRetryRequest hook those of its HelloRetryRequest (the server then requires the
 * cookie it actually sent), each just before the message is encoded.
 */
export function withTestHooks<T extends ServerOptions>(options: T, hooks: ServerTestHooks): T;
export function withTestHooks<T extends object>(options: T, hooks: ClientTestHooks | ServerTestHooks): T {
  return attachTestHooks(options, hooks);
}
