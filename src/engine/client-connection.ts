/**
 * The client-only entry's engine (`puretls/client`, issue 9 item 5): `TlsConnection` with
 * only the client factory, a `createClientConfig` that has TLS 1.2 and OCSP only when the
 * caller passes their modules, and those modules. A bundler then leaves out the server's
 * handshake, certificate selection and key loading always, and TLS 1.2 and OCSP checking
 * unless they are configured.
 *
 * @module
 */
import type { ClientOptions } from '../config/config.js';
import { TlsError } from '../base/errors.js';
import { serverHello12 } from '../handshake/client-tls12.js';
import { verifyOcspResponseAsync } from '../verify/ocsp.js';
import { identityFiles } from '../identity/index.js';
import { ConnectionCore } from './connection.js';
import { createClientConfigWith, isClientConfig, setupClientWith, type ClientConfig, type ClientConfigOptions, type ClientConnectionOptions, type ClientParts } from './setup.js';

/**
 * An optional part of a `puretls/client` configuration: {@link tls12}, {@link ocsp} or {@link identity}. Only
 * the values exported here are accepted.
 */
export interface ClientModule {
  /** Which part this is. */
  readonly name: 'tls12' | 'ocsp' | 'identity';
}

const moduleParts = new WeakMap<ClientModule, Partial<ClientParts>>();

function defineModule(name: ClientModule['name'], part: Partial<ClientParts>): ClientModule {
  const m: ClientModule = Object.freeze({ name });
  moduleParts.set(m, part);
  return m;
}

/**
 * TLS 1.2 (RFC 5246 with RFC 7627 and RFC 5746; ECDHE suites only). Without it a
 * `puretls/client` client offers TLS 1.3 only, and `minVersion: 'TLSv1.2'` is `InvalidConfig`.
 */
export const tls12: ClientModule = /* @__PURE__ */ defineModule('tls12', { tls12: serverHello12 });

/**
 * Stapled OCSP (RFC 6066 §8, RFC 6960): without it no status_request is sent, and
 * `requireRevocationInformation` is `InvalidConfig`.
 */
export const ocsp: ClientModule = /* @__PURE__ */ defineModule('ocsp', { ocsp: verifyOcspResponseAsync });

/**
 * Client certificates from PKCS#12 files and encrypted keys (RFC 7292, RFC 5958 §3 with
 * PBES2): without it `pfx` and `passphrase` are `InvalidConfig`, and an encrypted `key`
 * cannot be read.
 */
export const identity: ClientModule = /* @__PURE__ */ defineModule('identity', { identity: identityFiles });

/** Options of the client-only entry's {@link createClientConfig}: the full entry's, plus `modules`. */
export type ClientOnlyConfigOptions = ClientConfigOptions & {
  /** Optional parts to include: {@link tls12}, {@link ocsp}, {@link identity} (default: none, TLS 1.3 only). */
  readonly modules?: readonly ClientModule[];
};

/** Plain options of the client-only entry's `TlsConnection.client`: the full entry's, plus `modules`. */
export type ClientOnlyOptions = ClientOptions & {
  /** Optional parts to include: {@link tls12}, {@link ocsp}, {@link identity} (default: none, TLS 1.3 only). */
  readonly modules?: readonly ClientModule[];
};

function partsOf(modules: readonly ClientModule[] | undefined): ClientParts {
  let parts: ClientParts = { tls12: null, ocsp: null };
  if (modules === undefined) return parts;
  if (!Array.isArray(modules)) throw new TlsError('InvalidConfig', { detail: 'modules must be an array of modules from puretls/client (tls12, ocsp, identity)' });
  for (const m of modules as readonly unknown[]) {
    const part = typeof m === 'object' && m !== null ? moduleParts.get(m as ClientModule) : undefined;
    if (part === undefined) throw new TlsError('InvalidConfig', { detail: 'modules: only the tls12, ocsp and identity values exported by puretls/client are accepted' });
    parts = { ...parts, ...part };
  }
  return parts;
}

function withoutModules<T extends { readonly modules?: unknown }>(o: T): Omit<T, 'modules'> {
  const { modules: _modules, ...rest } = o;
  return rest;
}

/**
 * Builds a client configuration once, as the full entry's `createClientConfig` does, with
 * only the optional parts named in `modules`.
 *
 * @throws TlsError('InvalidConfig') as the full entry's, and for `minVersion: 'TLSv1.2'`
 *   without {@link tls12} or `requireRevocationInformation` without {@link ocsp}
 * @example
 * ```ts
 * import { TlsConnection, createClientConfig, tls12 } from 'puretls/client';
 * const config = createClientConfig({ ca, modules: [tls12] });
 * const c = TlsConnection.client(config, { servername: 'example.com' });
 * ```
 */
export function createClientConfig(options: ClientOnlyConfigOptions = {}): ClientConfig {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'createClientConfig takes an options object' });
  return createClientConfigWith(withoutModules(options), partsOf(options.modules));
}

/**
 * A client TLS connection with no I/O of its own. Its instances behave exactly like those
 * of the full entry's `TlsConnection`; there is no `server()` (use `puretls` for servers).
 *
 * @example
 * ```ts
 * import { TlsConnection } from 'puretls/client';
 * const c = TlsConnection.client({ servername: 'example.com', ca });
 * ```
 */
export class TlsConnection extends ConnectionCore {
  /**
   * A client connection; call `process()` (or `start()`) to send the ClientHello. The same
   * as the full entry's `TlsConnection.client`, except that plain options build a config with
   * only the parts named in `modules` (TLS 1.3 only by default).
   *
   * @throws TlsError('InvalidConfig') for invalid options, a per-connection option that
   *   belongs to the config, or no `servername` when the config requires one
   */
  static client(config: ClientConfig | ClientOnlyOptions = {}, perConnection?: ClientConnectionOptions): TlsConnection {
    if (isClientConfig(config) || typeof config !== 'object' || config === null) return new TlsConnection(setupClientWith(config, perConnection, partsOf(undefined)));
    return new TlsConnection(setupClientWith(withoutModules(config), perConnection, partsOf(config.modules)));
  }
}
