/**
 * puretls/testing: what tests need and production must not carry.
 *
 * - Test PKI generation ({@link generateTestPki}): a CA, intermediates and a leaf, good or
 *   deliberately bad, made with Web Crypto.
 * - Message hooks ({@link withTestHooks}): a connection that rewrites its ClientHello,
 *   EncryptedExtensions or HelloRetryRequest before encoding them, to play a peer that
 *   breaks the rules or to replay a published trace.
 *
 * The runtime-neutral entry (`puretls`) does not import this module, and this module
 * imports no `node:` module either, so it runs wherever the engine runs.
 *
 * @module
 */
export { generateTestPki } from '../verify/generate.js';
export type { TestPki, TestPkiOptions, TestKeyType, TestPkiVariant } from '../verify/generate.js';
export { withTestHooks } from './hooks.js';
export type { ClientTestHooks, ServerTestHooks, ClientHelloHook, EncryptedExtensionsHook, HelloRetryRequestHook } from '../handshake/test-hooks.js';
export type { ClientHello, Extensions, KeyShareEntry, OfferedPsks, PskIdentity, RawExtension } from '../wire/messages.js';
