/**
 * puretls/testing: what tests need and production must not carry. Message hooks for
 * connections that play a rule-breaking peer or replay a published trace.
 *
 * The runtime-neutral entry (`puretls`) does not import this module.
 *
 * @module
 */
export { withTestHooks } from './hooks.js';
export type { ClientTestHooks, ServerTestHooks, ClientHelloHook, EncryptedExtensionsHook, HelloRetryRequestHook } from '../handshake/test-hooks.js';
export type { ClientHello, Extensions, KeyShareEntry, OfferedPsks, PskIdentity, RawExtension } from '../wire/messages.js';
