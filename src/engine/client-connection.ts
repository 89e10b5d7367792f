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
import { clientCodec, CLIENT_BODY12 } from '../wire/handshake.js';
import { verifyOcspResponseWith } from '../verify/ocsp.js';
import { identityFiles } from '../identity/index.js';
import { composeProvider, type CryptoPart, type PartsProvider } from '../crypto/lean.js';
import {
  CHACHA20_PART,
  ED25519_PART,
  NIST_GROUPS_PART,
  SECP256R1_PART,
  SECP256R1MLKEM768_PART,
  SECP384R1_PART,
  SECP384R1MLKEM1024_PART,
  SIGNING_PART,
  X25519MLKEM768_PART,
} from '../crypto/parts.js';
import { CLIENT_RESUMPTION } from '../handshake/client-resumption.js';
import { answerCertificateRequest13 } from '../handshake/client-auth13.js';
import { ConnectionCore } from './connection.js';
import {
  clientIdentity,
  createClientConfigWith,
  isClientConfig,
  setupClientWith,
  type ClientConfig,
  type ClientConfigOptions,
  type ClientConnectionOptions,
  type ClientParts,
} from './setup.js';

/** The names of the `puretls/client` modules. */
export type ClientModuleName =
  | 'tls12'
  | 'ocsp'
  | 'identity'
  | 'clientCertificates'
  | 'secp256r1'
  | 'secp384r1'
  | 'chacha20'
  | 'ed25519'
  | 'x25519mlkem768'
  | 'secp256r1mlkem768'
  | 'secp384r1mlkem1024'
  | 'resumption';

/**
 * An optional part of a `puretls/client` configuration: {@link tls12}, {@link ocsp},
 * {@link identity}, {@link clientCertificates}, {@link secp256r1}, {@link secp384r1},
 * {@link chacha20}, {@link ed25519}, or a module made by another part of puretls (e.g. a
 * post-quantum group). Only values made by puretls are accepted.
 */
export interface ClientModule {
  /** Which part this is. */
  readonly name: string;
}

/** What a module adds: handshake parts, and crypto for the entry's pure provider. */
interface ModuleContent {
  readonly parts?: Partial<ClientParts>;
  readonly crypto?: CryptoPart;
}

const moduleContents = new WeakMap<ClientModule, ModuleContent>();

/**
 * Makes a `puretls/client` module. Used by this file and by other puretls files that offer an
 * optional part (a key-exchange group, say) to the client-only entry; not for applications.
 * @internal
 */
export function defineClientModule(name: string, content: ModuleContent): ClientModule {
  const m: ClientModule = Object.freeze({ name });
  moduleContents.set(m, content);
  return m;
}

function defineModule(name: ClientModuleName, content: ModuleContent): ClientModule {
  return defineClientModule(name, content);
}

/**
 * TLS 1.2 (RFC 5246 with RFC 7627 and RFC 5746; ECDHE suites only), with the secp256r1 and
 * secp384r1 groups (TLS 1.2 needs them listed to accept ECDSA certificates on those curves).
 * Without it a `puretls/client` client offers TLS 1.3 only, and `minVersion: 'TLSv1.2'` is
 * `InvalidConfig`.
 */
export const tls12: ClientModule = /* @__PURE__ */ defineModule('tls12', {
  parts: { tls12: serverHello12, codec: /* @__PURE__ */ clientCodec(CLIENT_BODY12) },
  // RFC 8422 §5.1: in TLS 1.2 supported_groups also names the curves the client accepts in
  // ECDSA certificates, so a TLS 1.2 client that lists X25519 only cannot reach a P-256 server.
  crypto: NIST_GROUPS_PART,
});

/**
 * Stapled OCSP (RFC 6066 §8, RFC 6960): without it no status_request is sent, and
 * `requireRevocationInformation` is `InvalidConfig`.
 */
export const ocsp: ClientModule = /* @__PURE__ */ defineModule('ocsp', { parts: { ocsp: verifyOcspResponseWith } });

/**
 * Client certificates from PKCS#12 files and encrypted keys (RFC 7292, RFC 5958 §3 with
 * PBES2): without it `pfx` and `passphrase` are `InvalidConfig`, and an encrypted `key`
 * cannot be read. Includes {@link clientCertificates}.
 */
export const identity: ClientModule = /* @__PURE__ */ defineModule('identity', {
  parts: { identity: identityFiles, clientCertificate: clientIdentity, answerCertificateRequest13 },
  crypto: SIGNING_PART,
});

/**
 * Client certificates (`cert` + `key`: PEM or DER PKCS#8, SEC1 or PKCS#1 keys, or an opaque
 * signer) for servers that ask for one (RFC 9846 §4.4.2, §4.4.3): without it `cert`, `key`
 * and `pfx` are `InvalidConfig`, and a CertificateRequest is answered with an empty Certificate.
 */
export const clientCertificates: ClientModule = /* @__PURE__ */ defineModule('clientCertificates', {
  parts: { clientCertificate: clientIdentity, answerCertificateRequest13 },
  crypto: SIGNING_PART,
});

/**
 * The secp256r1 (P-256) key-exchange group (RFC 9846 §4.3.7, §4.3.8.2). Without it the client
 * offers X25519 (and the groups of other modules) only, and `groups: ['secp256r1']` is `InvalidConfig`.
 */
export const secp256r1: ClientModule = /* @__PURE__ */ defineModule('secp256r1', { crypto: SECP256R1_PART });

/** The secp384r1 (P-384) key-exchange group, as {@link secp256r1}. */
export const secp384r1: ClientModule = /* @__PURE__ */ defineModule('secp384r1', { crypto: SECP384R1_PART });

/**
 * ChaCha20-Poly1305 (RFC 8439; TLS_CHACHA20_POLY1305_SHA256 and the TLS 1.2 ECDHE ChaCha
 * suites). Without it the client offers the AES-GCM suites only (AES-128-GCM is the suite every
 * TLS 1.3 peer must have, RFC 9846 §9.1), and naming a ChaCha suite is `InvalidConfig`.
 */
export const chacha20: ClientModule = /* @__PURE__ */ defineModule('chacha20', { crypto: CHACHA20_PART });

/**
 * Ed25519 signatures (RFC 8032; the ed25519 scheme, RFC 9846 §4.3.3): in server
 * CertificateVerify and certificates. Without it ed25519 is not offered in
 * signature_algorithms, and a certificate with an Ed25519 key or signature is reported as
 * unsupported (naming this module), never accepted.
 */
export const ed25519: ClientModule = /* @__PURE__ */ defineModule('ed25519', { crypto: ED25519_PART });

/** Options of the client-only entry's {@link createClientConfig}: the full entry's, plus `modules`. */
export type ClientOnlyConfigOptions = ClientConfigOptions & {
  /** Optional parts to include (default: none: TLS 1.3 only, X25519, AES-GCM, ECDSA and RSA, no client certificate). */
  readonly modules?: readonly ClientModule[];
};

/** Plain options of the client-only entry's `TlsConnection.client`: the full entry's, plus `modules`. */
export type ClientOnlyOptions = ClientOptions & {
  /** Optional parts to include (default: none: TLS 1.3 only, X25519, AES-GCM, ECDSA and RSA, no client certificate). */
  readonly modules?: readonly ClientModule[];
};

/** Composed providers by their set of crypto parts, so equal module lists share one provider (and its caches). */
const providers = new Map<string, { parts: readonly CryptoPart[]; provider: PartsProvider }[]>();

function providerOf(parts: readonly CryptoPart[]): PartsProvider {
  const unique = [...new Set(parts)];
  const key = String(unique.length);
  const list = providers.get(key) ?? [];
  const found = list.find((e) => e.parts.every((p) => unique.includes(p)));
  if (found) return found.provider;
  const provider = composeProvider(unique);
  list.push({ parts: unique, provider });
  providers.set(key, list);
  return provider;
}

/** A client without the tls12 module decodes and encodes TLS 1.3's client and server messages only. */
const CODEC_13 = /* @__PURE__ */ clientCodec(null);

function partsOf(modules: readonly ClientModule[] | undefined): ClientParts {
  let parts: Omit<ClientParts, 'crypto'> = { tls12: null, ocsp: null, clientCertificate: null, resumption: null, codec: CODEC_13 };
  const crypto: CryptoPart[] = [];
  if (modules !== undefined && !Array.isArray(modules)) throw new TlsError('InvalidConfig', { detail: 'modules must be an array of modules from puretls/client (tls12, ocsp, identity, ...)' });
  for (const m of (modules ?? []) as readonly unknown[]) {
    const content = typeof m === 'object' && m !== null ? moduleContents.get(m as ClientModule) : undefined;
    if (content === undefined) throw new TlsError('InvalidConfig', { detail: 'modules: only module values exported by puretls/client (tls12, ocsp, identity, clientCertificates, secp256r1, ...) are accepted' });
    parts = { ...parts, ...content.parts };
    if (content.crypto) crypto.push(content.crypto);
  }
  return { ...parts, crypto: providerOf(crypto) };
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

/**
 * The post-quantum hybrid X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem; ML-KEM-768 from
 * @noble/post-quantum with X25519), TLS 1.3 only. The full entries offer it first by default;
 * `puretls/client` offers it (first, with a key share, then x25519) only with this module.
 * Without it `groups: ['X25519MLKEM768']` is `InvalidConfig` naming it.
 */
export const x25519mlkem768: ClientModule = /* @__PURE__ */ defineModule('x25519mlkem768', { crypto: X25519MLKEM768_PART });

/**
 * The hybrid SecP256r1MLKEM768 (ML-KEM-768 with P-256), TLS 1.3 only. As in the full entries it
 * is not in the default offer: with this module it may be named in `groups`.
 */
export const secp256r1mlkem768: ClientModule = /* @__PURE__ */ defineModule('secp256r1mlkem768', { crypto: SECP256R1MLKEM768_PART });

/** The hybrid SecP384r1MLKEM1024 (ML-KEM-1024 with P-384), as {@link secp256r1mlkem768}. */
export const secp384r1mlkem1024: ClientModule = /* @__PURE__ */ defineModule('secp384r1mlkem1024', { crypto: SECP384R1MLKEM1024_PART });

/**
 * Session resumption (RFC 9846 §2.2 PSK tickets, with 0-RTT when `earlyData` is given; TLS 1.2
 * session IDs and tickets with {@link tls12}): a session store per config (`sessionStore`),
 * `session` / `onSession` per connection. Without it a `puretls/client` client behaves as with
 * `sessionStore: false` (every handshake is full), and `sessionStore`, `session` and
 * `onSession` are `InvalidConfig` naming this module.
 */
export const resumption: ClientModule = /* @__PURE__ */ defineModule('resumption', { parts: { resumption: CLIENT_RESUMPTION } });
