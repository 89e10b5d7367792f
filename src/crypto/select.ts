/**
 * From the `crypto` option to a provider (issue 9 item 3): `'pure' | 'native' | 'webcrypto'`
 * or any {@link CryptoProvider} object.
 *
 * - `'pure'`: the @noble/* provider (src/crypto/noble.ts), available everywhere; the
 *   default of the runtime-neutral entry.
 * - `'native'`: `node:crypto` (src/crypto/native.ts). This module must not import it (the
 *   runtime-neutral entry reaches no `node:` module), so the native provider registers
 *   itself here when its module is loaded: `puretls/node` loads it (and makes it its
 *   default), and so does `puretls/native` for users of the runtime-neutral entry on Node,
 *   Deno or Bun. Naming it before it is loaded is an `InvalidConfig` error that says so.
 * - `'webcrypto'`: `globalThis.crypto.subtle` (src/crypto/webcrypto.ts, asynchronous): it
 *   registers itself through {@link registerCryptoProvider} when its module loads and the
 *   runtime has `crypto.subtle`: `puretls/webcrypto` and the CLI load it. Naming it before
 *   is `InvalidConfig` saying so.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { CryptoProvider } from './provider.js';
import { nobleProvider } from './noble.js';
import { guardProvider, isTrusted } from './guard.js';

/** The providers that can be named in the `crypto` option. */
export type CryptoProviderName = 'pure' | 'native' | 'webcrypto';

/** What the `crypto` option accepts: a provider's name, or a provider. */
export type CryptoChoice = CryptoProviderName | CryptoProvider;

/** Every name {@link resolveCryptoProvider} knows, in the order the CLI lists them. */
export const CRYPTO_PROVIDER_NAMES: readonly CryptoProviderName[] = ['pure', 'native', 'webcrypto'];

/** Providers that live in modules this one may not import (registered when those load). */
const registered = new Map<'native' | 'webcrypto', CryptoProvider>();

/** Set only by test setups (see {@link setDefaultCryptoProvider}). */
let defaultOverride: CryptoChoice | undefined;

/**
 * Makes `provider` the one `name` resolves to. Called by src/crypto/native.ts when it loads
 * (and by the webcrypto provider once it exists); a later registration replaces an earlier one.
 * @throws TlsError('InvalidConfig') if `provider` does not look like a {@link CryptoProvider}
 */
export function registerCryptoProvider(name: 'native' | 'webcrypto', provider: CryptoProvider): void {
  const problem = providerShapeProblem(provider);
  if (problem !== undefined) throw new TlsError('InvalidConfig', { detail: `registerCryptoProvider('${name}'): not a crypto provider (${problem})` });
  registered.set(name, provider);
}

/**
 * Sets the provider used by connections whose options name none and whose entry point
 * supplies no default of its own (the runtime-neutral entry's default is `'pure'`), for this
 * process; `undefined` restores that. Meant for test setups that run a whole suite under
 * another provider (`PURETLS_TEST_CRYPTO`, test/setup/crypto-provider.ts); applications
 * should pass `crypto` instead. Resolved at once, so a name that cannot be resolved fails here.
 * @returns the previous setting
 * @throws TlsError('InvalidConfig') as {@link resolveCryptoProvider}
 */
export function setDefaultCryptoProvider(choice: CryptoChoice | undefined): CryptoChoice | undefined {
  if (choice !== undefined) resolveCryptoProvider(choice);
  const previous = defaultOverride;
  defaultOverride = choice;
  return previous;
}

/** The members every provider must have (the optional ones: `async`, `delegated`, `encapsulate`, `verifyEcdsaDigest`). */
const REQUIRED_METHODS = ['hash', 'digest', 'hmac', 'hkdfExtract', 'hkdfExpand', 'aead', 'generateKeyShare', 'keyShare', 'parsePublicKey', 'parsePrivateKey', 'schemesForKey', 'sign', 'verify', 'equal'] as const;

/** What a value lacks to be a {@link CryptoProvider}, or undefined if it has every required member. */
function providerShapeProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const p = v as Record<string, unknown>;
  if (typeof p.name !== 'string') return 'no name';
  for (const m of REQUIRED_METHODS) if (typeof p[m] !== 'function') return `no ${m}() method`;
  if (!Array.isArray(p.groups)) return 'no groups array';
  if (!Array.isArray(p.signatureSchemes)) return 'no signatureSchemes array';
  if (p.encapsulate !== undefined && typeof p.encapsulate !== 'function') return 'encapsulate is not a function';
  if (p.verifyEcdsaDigest !== undefined && typeof p.verifyEcdsaDigest !== 'function') return 'verifyEcdsaDigest is not a function';
  return undefined;
}

/** One guard per caller's provider object (src/crypto/guard.ts). */
const GUARDS = new WeakMap<CryptoProvider, CryptoProvider>();

/**
 * A caller's provider with its answers checked (src/crypto/guard.ts); the built-in ones
 * (`pure` and those registered here) as they are.
 */
function checkedProvider(p: CryptoProvider, builtIn: readonly CryptoProvider[]): CryptoProvider {
  if (builtIn.includes(p) || isTrusted(p)) return p;
  for (const r of registered.values()) if (r === p) return p;
  let g = GUARDS.get(p);
  if (g === undefined) {
    g = guardProvider(p);
    GUARDS.set(p, g);
  }
  return g;
}

function lookup(name: CryptoProviderName, pure: CryptoProvider): CryptoProvider {
  switch (name) {
    case 'pure':
      return pure;
    case 'native': {
      const p = registered.get('native');
      if (p) return p;
      throw new TlsError('InvalidConfig', {
        detail: "crypto: 'native' is not loaded in this entry point: import 'puretls/native' (Node, Deno, Bun) before naming it, use puretls/node, or pass the provider object",
        source: 'caller',
      });
    }
    case 'webcrypto': {
      // The one place the webcrypto provider plugs in (issue 9 item 3).
      const p = registered.get('webcrypto');
      if (p) return p;
      throw new TlsError('InvalidConfig', {
        detail: "crypto: 'webcrypto' is not loaded (or this runtime has no crypto.subtle): import 'puretls/webcrypto' before naming it, or pass webcryptoProvider() from it",
        source: 'caller',
      });
    }
  }
}

/**
 * The provider for a `crypto` option value; `undefined` gives the process default set by
 * {@link setDefaultCryptoProvider}, else `fallback` (the entry point's default). A caller's
 * provider object comes back wrapped in checks of its answers (src/crypto/guard.ts: key
 * share and secret lengths, AEAD output, a synchronous provider that answers with promises),
 * the same wrapper each time for the same object.
 * @throws TlsError('InvalidConfig') for an unknown name, a provider that is not loaded or not
 *   available, or a value that is not a provider
 */
export function resolveCryptoProvider(choice: CryptoChoice | undefined, fallback: CryptoProvider = nobleProvider): CryptoProvider {
  return resolveCryptoProviderWith(choice, fallback, nobleProvider);
}

/**
 * {@link resolveCryptoProvider} for an entry point with its own pure provider: `'pure'` is
 * `pure` (the client-only entry's is made of the modules it was given), and nothing here
 * reaches src/crypto/noble.ts, so a bundle without it leaves it out.
 * @throws TlsError('InvalidConfig') as {@link resolveCryptoProvider}
 */
export function resolveCryptoProviderWith(choice: CryptoChoice | undefined, fallback: CryptoProvider, pure: CryptoProvider): CryptoProvider {
  const c = choice ?? defaultOverride;
  if (c === undefined) return fallback;
  if (typeof c === 'string') {
    if (!(CRYPTO_PROVIDER_NAMES as readonly string[]).includes(c)) {
      throw new TlsError('InvalidConfig', { detail: `crypto: unknown provider '${c}' (expected ${CRYPTO_PROVIDER_NAMES.join(', ')} or a provider object)`, source: 'caller' });
    }
    return lookup(c, pure);
  }
  const problem = providerShapeProblem(c);
  if (problem !== undefined) throw new TlsError('InvalidConfig', { detail: `crypto: expected a provider name or a CryptoProvider object (${problem})`, source: 'caller' });
  return checkedProvider(c, [fallback, pure]);
}
