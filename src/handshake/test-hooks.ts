/**
 * Message hooks for tests: rewrite a handshake message just before it is encoded, to
 * replay RFC 8448 byte-for-byte or to play a peer that breaks the rules.
 *
 * They are not options. The public option types (`ClientOptions`, `ServerOptions`) do not
 * mention them; they travel on an options object under {@link TEST_HOOKS}, a symbol this
 * module does not export from any entry point, and only `withTestHooks` from
 * `puretls/testing` sets that field. The engine reads it with {@link testHooksOf} where it
 * resolves the options. A symbol-keyed field is kept by object spread and rest, so options
 * passed through an adapter (`puretls/node`) keep their hooks.
 *
 * @module
 */
import type { ClientHello, EeExtensions, HelloRetryRequestExtensions } from '../wire/messages.js';

/**
 * Rewrites our ClientHello before it is encoded. Also called for the second ClientHello
 * after a HelloRetryRequest (which carries the new key share and the server's cookie).
 */
export type ClientHelloHook = (ch: ClientHello) => ClientHello;

/** Rewrites the server's EncryptedExtensions (TLS 1.3) before they are encoded. */
export type EncryptedExtensionsHook = (ext: EeExtensions) => EeExtensions;

/**
 * Rewrites the extensions of the server's HelloRetryRequest before it is encoded. The
 * server then requires the cookie it actually sent (RFC 9846 §4.3.2).
 */
export type HelloRetryRequestHook = (ext: HelloRetryRequestExtensions) => HelloRetryRequestExtensions;

/** Hooks a client uses. */
export interface ClientTestHooks {
  /** See {@link ClientHelloHook}. */
  readonly clientHello?: ClientHelloHook;
}

/** Hooks a server uses. */
export interface ServerTestHooks {
  /** See {@link EncryptedExtensionsHook}. */
  readonly encryptedExtensions?: EncryptedExtensionsHook;
  /** See {@link HelloRetryRequestHook}. */
  readonly helloRetryRequest?: HelloRetryRequestHook;
}

/** Every hook, as stored on an options object. */
export type TestHooks = ClientTestHooks & ServerTestHooks;

/** The key of the hooks on an options object. Module-private: not exported from any entry point. */
export const TEST_HOOKS: unique symbol = Symbol('puretls test hooks');

/** An options object that may carry hooks. */
interface WithHooks {
  readonly [TEST_HOOKS]?: TestHooks;
}

/** The hooks set on `options` (none: an empty object). */
export function testHooksOf(options: object): TestHooks {
  return (options as WithHooks)[TEST_HOOKS] ?? {};
}

/** A copy of `options` carrying `hooks` (added to any it carried already; a later hook of the same kind wins). */
export function attachTestHooks<T extends object>(options: T, hooks: TestHooks): T {
  return { ...options, [TEST_HOOKS]: { ...testHooksOf(options), ...hooks } };
}
