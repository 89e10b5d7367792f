/**
 * Configuration built once (issue 9 item 1): {@link createClientConfig} and
 * {@link createServerConfig} resolve options into an immutable {@link ClientConfig} /
 * {@link ServerConfig} (the common settings, the trust anchors and verifier, identities with
 * their keys imported, the handshake parameters of each role, and the limits that belong to
 * one role) that any number of connections share; `setupClient` / `setupServer` make one
 * connection's start from a config without parsing anything. Every problem is
 * `TlsError('InvalidConfig')`.
 *
 * @module
 */
import { ANY_BODY, type HandshakeCodec } from '../wire/handshake.js';
import type { CertifiedKey, CertifiedKeyInput, ClientOptions, ResolvedCommon, ServerOptions, TlsVersionName } from '../config/config.js';
import { checkClientShapes, checkConnectionShapes, checkServerShapes, checkServername, limitOption, resolveAlpn, resolveCodeList, resolveCommon, resolveIgnorable } from '../config/config.js';
import { loadCertifiedKey, loadCertificates, loadPfxIdentities, type IdentityFiles } from '../config/identity.js';
import { identityFiles } from '../identity/index.js';
import { nobleProvider, defaultRandom } from '../crypto/noble.js';
import { DEFAULT_KEY_SHARES, DEFAULT_SERVER_GROUPS, resolveCodes } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { ProtocolVersion } from '../wire/codes.js';
import type { HandshakeOutput, HeldSession12, State } from '../handshake/state.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { startClient } from '../handshake/client-hello.js';
import { serverHello12 } from '../handshake/client-tls12.js';
import { verifyOcspResponseWith } from '../verify/ocsp.js';
import type { ClientParams } from '../handshake/client-common.js';
import type { PeerAuth } from '../handshake/peer-auth.js';
import { startServer } from '../handshake/server-hello.js';
import type { ServerParams } from '../handshake/server-common.js';
import { testHooksOf } from '../handshake/test-hooks.js';
import { MAX_SESSION_LIFETIME, SessionCache12 } from '../session/cache12.js';
import { createBasicVerifier } from '../verify/basic-verifier.js';
import { parseIpAddress } from '../verify/hostname.js';
import { forgetSession, type SessionStore } from '../session/store.js';
import { CLIENT_RESUMPTION, type ClientResumption } from '../handshake/client-resumption.js';
import { answerCertificateRequest13 } from '../handshake/client-auth13.js';
import { resolveTicketKeys, type TicketKeySet } from '../session/ticket-keys.js';
import { resolveReplayRegister, type ReplayRegister } from '../session/replay.js';
import type { ResumableSession } from '../session/session.js';
import { MAX_TICKET_LIFETIME_SECONDS } from '../session/session.js';
import { copyBytes } from '../base/bytes.js';

/** Limits that belong to one role (the rest are in `ResolvedCommon`). */
export interface RoleLimits {
  /** Server: largest ClientHello body. */
  readonly maxClientHelloSize?: number;
  /** Server: bytes of rejected 0-RTT data skipped. */
  readonly maxSkippedEarlyData?: number;
  /** Client: HelloRequests ignored during a TLS 1.2 handshake. */
  readonly maxHelloRequests?: number;
}


/** Everything a connection is built from. */
export interface Setup {
  readonly role: 'client' | 'server';
  readonly cfg: ResolvedCommon;
  /** Makes the first handshake state (a client's sends its ClientHello through `out`). */
  readonly start: (out: HandshakeOutput) => State | Promise<State>;
  readonly limits: RoleLimits;
  /**
   * How handshake message bodies are decoded and encoded: every message ({@link ANY_BODY})
   * for servers and the full entries' clients, what a client receives and sends for a
   * client-only entry's client (TLS 1.2's only with the `tls12` module).
   */
  readonly codec: HandshakeCodec;
  /**
   * The leaf certificate this side presents when the handshake does not choose one (a
   * client's one identity; a server's first, until its handshake picks one): Node's
   * `getCertificate()` reports the configured certificate even when it was not sent.
   */
  readonly localCertificate?: Uint8Array;
}

/** Client settings that belong to one connection rather than to a shared {@link ClientConfig}. */
export interface ClientConnectionOptions {
  /**
   * The server name for this connection: sent as SNI (unless an IP literal, RFC 6066 §3) and
   * checked against the certificate (RFC 9525 §6). Never part of a config, so one config
   * used for many servers cannot check one server's certificate against another's name.
   */
  readonly servername?: string;
  /** ALPN protocols offered on this connection, in preference order (default: the config's `ALPNProtocols`). */
  readonly ALPNProtocols?: readonly string[];
  /**
   * Groups for which this ClientHello carries key shares (default: the config's
   * `keyShareGroups`): e.g. the group a server asked for last time, to avoid a
   * HelloRetryRequest. Groups that are not among the config's `groups` are left out (with
   * none left, the first configured group is used).
   */
  readonly keyShareGroups?: readonly (string | number)[];
  /**
   * 0-RTT (RFC 9846 §2.3): data sent with the first flight when this connection resumes a
   * session whose ticket allows at least this many bytes of early data; otherwise (no session,
   * a ticket without early data, too much data, a HelloRetryRequest, or a server that rejects
   * it) it is sent after the handshake, first, unless `retryEarlyData` is false.
   * `info.earlyData` and `earlyDataLength` tell what happened. Early data can be replayed by
   * an attacker (RFC 9846 §8): send only what is harmless to repeat.
   */
  readonly earlyData?: Uint8Array;
  /** Re-send `earlyData` after the handshake when it did not go as 0-RTT (default true). */
  readonly retryEarlyData?: boolean;
  /**
   * A session to offer first (Node's `session` option, read back with `deserializeSession`):
   * offered only if it was made under this connection's server name and trust decision and
   * is still fresh, else the handshake is a full one. Used once.
   */
  readonly session?: ResumableSession;
  /** Called with each session the server gives this connection (Node's `'session'` event), besides the config's store. */
  readonly onSession?: (session: ResumableSession) => void;
}

/** The keys of {@link ClientConnectionOptions}, which `TlsConnection.client(options)` takes out of plain options. */
const PER_CONNECTION_KEYS: readonly string[] = Object.freeze(['servername', 'ALPNProtocols', 'keyShareGroups', 'earlyData', 'retryEarlyData', 'session', 'onSession']);

/**
 * Options of {@link createClientConfig}: every {@link ClientOptions} except `servername`, which
 * belongs to a connection ({@link ClientConnectionOptions}). `ALPNProtocols` and
 * `keyShareGroups` here are defaults that a connection may override.
 */
export type ClientConfigOptions = Omit<ClientOptions, 'servername'>;

/** Options of {@link createServerConfig}: the {@link ServerOptions}. */
export type ServerConfigOptions = ServerOptions;

/**
 * The optional parts of a client (issue 9 item 5): the TLS 1.2 handshake and OCSP checking.
 * The full entry always has both; `puretls/client` has those its caller passes as `modules`,
 * so a bundle leaves out what is not configured.
 */
export interface ClientParts {
  readonly tls12: ClientParams['tls12'];
  readonly ocsp: PeerAuth['ocsp'];
  /** PKCS#12 files and encrypted keys (src/identity/): `pfx`, `passphrase`. */
  readonly identity?: IdentityFiles | null;
  /** Client certificates (`cert` + `key`, `pfx`); null: refused with `InvalidConfig` naming `module`. */
  readonly clientCertificate: typeof clientIdentity | null;
  /** How a TLS 1.3 client with a certificate answers a CertificateRequest (with `clientCertificate`). */
  readonly answerCertificateRequest13?: typeof answerCertificateRequest13 | null;
  /** The default provider, which `crypto: 'pure'` also names. */
  readonly crypto: CryptoProvider;
  /** Session resumption (src/handshake/client-resumption.ts); null: as `sessionStore: false`. */
  readonly resumption: ClientResumption | null;
  /** How handshake messages are decoded and encoded (see {@link Setup.codec}). */
  readonly codec: HandshakeCodec;
}

/** Every optional part: what `puretls` and `puretls/node` clients have. */
export const ALL_CLIENT_PARTS: ClientParts = {
  tls12: serverHello12,
  ocsp: verifyOcspResponseWith,
  identity: identityFiles,
  clientCertificate: clientIdentity,
  answerCertificateRequest13,
  crypto: nobleProvider,
  resumption: CLIENT_RESUMPTION,
  codec: ANY_BODY,
};

/** What a client config holds, out of the caller's reach. */
interface ClientState {
  readonly cfg: ResolvedCommon;
  /** Handshake parameters but the name; the name is added per connection. */
  readonly params: ClientParams;
  /** No name is required: a custom verifier, or `InvalidName` accepted explicitly. */
  readonly nameOptional: boolean;
  /** The caller's own verifier judges the chain (and the name). */
  readonly customVerifier: boolean;
  readonly limits: RoleLimits;
  /** Where sessions are kept (null: `sessionStore: false`, or no resumption part). */
  readonly store: SessionStore | null;
  /** The resumption part, if the config has it. */
  readonly resumption: ClientResumption | null;
  /** The fingerprint of the trust decision (`session/store.ts`), computed once. */
  readonly trust: () => string;
  /** How its connections decode and encode handshake messages (the parts' codec). */
  readonly codec: HandshakeCodec;
}

/** What a server config holds, out of the caller's reach. */
interface ServerState {
  readonly cfg: ResolvedCommon;
  readonly params: ServerParams;
  readonly limits: RoleLimits;
}

// Configs are authenticated by these maps, not by their shape: an object that merely looks
// like a config (or a config's prototype) has no entry and is refused.
const clientStates = new WeakMap<object, ClientState>();
const serverStates = new WeakMap<object, ServerState>();
// The only way to construct a config: the constructors are private to callers. Not set by
// static blocks in the classes (a bundler keeps a class with a static block, and so
// ServerConfig would be in every client-only bundle); the casts reach the same constructors.
function makeClientConfig(state: ClientState): ClientConfig {
  return new (ClientConfig as unknown as new (s: ClientState) => ClientConfig)(state);
}
function makeServerConfig(state: ServerState): ServerConfig {
  return new (ServerConfig as unknown as new (s: ServerState) => ServerConfig)(state);
}

function versionName(v: number): TlsVersionName {
  return v === ProtocolVersion.TLSv1_3 ? 'TLSv1.3' : 'TLSv1.2';
}

/**
 * A client configuration built once by {@link createClientConfig} and shared by any number of
 * connections (rustls' `Arc<ClientConfig>`, Node's `SecureContext`): options resolved, trust
 * anchors parsed, the verifier built, a client certificate's chain parsed and key imported.
 * `TlsConnection.client(config, { servername })` then does no parsing.
 *
 * Immutable: the object is frozen, its lists are frozen, and the resolved state is held
 * where no caller can reach it. It carries no server name (see {@link ClientConnectionOptions}).
 */
export class ClientConfig {
  /** Always `'client'`. */
  readonly role = 'client' as const;
  /** Lowest protocol version accepted. */
  readonly minVersion: TlsVersionName;
  /** Highest protocol version offered. */
  readonly maxVersion: TlsVersionName;
  /** Default ALPN protocols (a connection may offer others). */
  readonly ALPNProtocols: readonly string[];
  /** Name of the crypto provider. */
  readonly provider: string;
  /** True when the config presents a client certificate (mutual TLS). */
  readonly hasClientCertificate: boolean;

  /** @internal Use {@link createClientConfig}. */
  private constructor(state: ClientState) {
    this.minVersion = versionName(state.cfg.minVersion);
    this.maxVersion = versionName(state.cfg.maxVersion);
    this.ALPNProtocols = state.cfg.alpn;
    this.provider = state.cfg.crypto.name;
    this.hasClientCertificate = state.params.identity !== null;
    clientStates.set(this, state);
    Object.freeze(this);
  }
}

/**
 * A server configuration built once by {@link createServerConfig} and shared by any number of
 * connections: options resolved, every identity's chain parsed and key imported (its public key
 * derived and checked against the leaf once), client-certificate anchors parsed.
 * `TlsConnection.server(config)` then does no parsing.
 *
 * Immutable: the object is frozen, its lists are frozen, and the resolved state is held
 * where no caller can reach it.
 */
export class ServerConfig {
  /** Always `'server'`. */
  readonly role = 'server' as const;
  /** Lowest protocol version accepted. */
  readonly minVersion: TlsVersionName;
  /** Highest protocol version accepted. */
  readonly maxVersion: TlsVersionName;
  /** ALPN protocols the server selects from, in preference order. */
  readonly ALPNProtocols: readonly string[];
  /** Name of the crypto provider. */
  readonly provider: string;
  /** The DNS names and IP addresses of each identity's leaf certificate (SAN, lower case), in order. */
  readonly identityNames: readonly (readonly string[])[];

  /** @internal Use {@link createServerConfig}. */
  private constructor(state: ServerState) {
    this.minVersion = versionName(state.cfg.minVersion);
    this.maxVersion = versionName(state.cfg.maxVersion);
    this.ALPNProtocols = state.cfg.alpn;
    this.provider = state.cfg.crypto.name;
    this.identityNames = Object.freeze(state.params.certificates.map((c) => Object.freeze([...c.names])));
    serverStates.set(this, state);
    Object.freeze(this);
  }
}

/** True for a config made by {@link createClientConfig}. */
export function isClientConfig(x: unknown): x is ClientConfig {
  return typeof x === 'object' && x !== null && clientStates.has(x);
}

/**
 * What an adapter needs to know about a client config to apply its own rules (not exported
 * from the entry points): whether a connection may go without a server name, and whether the
 * caller's own verifier judges the certificate.
 * @throws TlsError('InvalidConfig') for an object that is not a client config
 */
export function clientConfigFacts(config: ClientConfig): { readonly nameOptional: boolean; readonly customVerifier: boolean } {
  const state = clientStates.get(config);
  if (!state) throw new TlsError('InvalidConfig', { detail: 'not a config made by createClientConfig' });
  return { nameOptional: state.nameOptional, customVerifier: state.customVerifier };
}

/**
 * The session ticket keys of a server config (the Node adapter's `getTicketKeys()` /
 * `setTicketKeys()`; not exported from the entry points): the config's own set, so that
 * changing it changes what every connection made from the config seals and opens.
 * @throws TlsError('InvalidConfig') for an object that is not a server config
 */
export function serverConfigTicketKeys(config: ServerConfig): TicketKeySet {
  const state = serverStates.get(config);
  if (!state) throw new TlsError('InvalidConfig', { detail: 'not a config made by createServerConfig' });
  return state.params.ticketKeys;
}

/**
 * The 0-RTT replay register of a server config (the Node adapter's `setSecureContext` keeps it
 * with the ticket keys: a config that opens the same tickets must refuse the same replays,
 * RFC 9846 §8; not exported from the entry points).
 * @throws TlsError('InvalidConfig') for an object that is not a server config
 */
export function serverConfigReplayRegister(config: ServerConfig): ReplayRegister {
  const state = serverStates.get(config);
  if (!state) throw new TlsError('InvalidConfig', { detail: 'not a config made by createServerConfig' });
  return state.params.replayRegister;
}

/** True for a config made by {@link createServerConfig}. */
export function isServerConfig(x: unknown): x is ServerConfig {
  return typeof x === 'object' && x !== null && serverStates.has(x);
}

/** Freezes the resolved common settings and their lists (the provider and callbacks are the caller's). */
function freezeCommon(cfg: ResolvedCommon): ResolvedCommon {
  Object.freeze(cfg.suites);
  Object.freeze(cfg.groups);
  Object.freeze(cfg.signatureSchemes);
  Object.freeze(cfg.alpn);
  return Object.freeze(cfg);
}

function freezeIdentity(id: CertifiedKey): CertifiedKey {
  Object.freeze(id.chain);
  Object.freeze(id.names);
  return Object.freeze(id);
}

/** A private key as given, copied when it is bytes: the caller may reuse its buffer. */
function ownKey(key: CertifiedKeyInput['key']): CertifiedKeyInput['key'] {
  return key instanceof Uint8Array ? copyBytes(key) : key;
}

function requireOptions(o: unknown, what: string): void {
  if (typeof o !== 'object' || o === null) throw new TlsError('InvalidConfig', { detail: `${what} needs an options object` });
}

/**
 * Builds a client configuration once: every option resolved and checked, the trust anchors
 * (`ca`) parsed and the verifier built, a client certificate (`cert` + `key`) parsed and
 * its key imported. Share the result across connections:
 * `TlsConnection.client(config, { servername })` costs no parsing.
 *
 * Why two functions rather than one `createSecureContext` (Node's name): a client and a
 * server need different things (trust anchors and a name policy; identities and a
 * client-certificate policy), and distinct types let the compiler refuse a server config
 * where a client config belongs; rustls makes the same split.
 *
 * `servername` is refused here: it belongs to one connection ({@link ClientConnectionOptions}).
 *
 * @param options - the client options without `servername`
 * @returns an immutable {@link ClientConfig}
 * @throws TlsError('InvalidConfig') for any invalid option, unreadable trust anchor, certificate
 *   or key, a key that does not match its certificate, no trust anchors (unless `Untrusted` is
 *   ignorable or a `verifier` is given), or a `servername`
 * @example
 * ```ts
 * const config = createClientConfig({ ca, ALPNProtocols: ['h2', 'http/1.1'] });
 * const a = TlsConnection.client(config, { servername: 'a.example' });
 * const b = TlsConnection.client(config, { servername: 'b.example' });
 * ```
 */
export function createClientConfig(options: ClientConfigOptions = {}): ClientConfig {
  requireOptions(options, 'createClientConfig');
  if ('servername' in options && (options as ClientOptions).servername !== undefined) {
    throw new TlsError('InvalidConfig', {
      detail: 'servername belongs to a connection, not to a shared config: pass it as TlsConnection.client(config, { servername })',
    });
  }
  return makeClientConfig(resolveClient(options, ALL_CLIENT_PARTS));
}

/**
 * {@link createClientConfig} with only the given optional parts (the client-only entry).
 * @internal
 */
export function createClientConfigWith(options: ClientConfigOptions, parts: ClientParts): ClientConfig {
  requireOptions(options, 'createClientConfig');
  if ('servername' in options && (options as ClientOptions).servername !== undefined) {
    throw new TlsError('InvalidConfig', {
      detail: 'servername belongs to a connection, not to a shared config: pass it as TlsConnection.client(config, { servername })',
    });
  }
  return makeClientConfig(resolveClient(options, parts));
}

function resolveClient(options: ClientConfigOptions, parts: ClientParts): ClientState {
  checkClientShapes(options);
  let cfg = resolveCommon(options, { crypto: parts.crypto, random: defaultRandom });
  if (parts.tls12 === null && cfg.minVersion < ProtocolVersion.TLSv1_3) {
    // Without the TLS 1.2 module the client speaks TLS 1.3 only: asked for explicitly, that is a mistake to report.
    if (options.minVersion !== undefined) {
      throw new TlsError('InvalidConfig', { detail: "minVersion TLSv1.2 needs the tls12 module: createClientConfig({ ..., modules: [tls12] }) with tls12 from 'puretls/client'" });
    }
    cfg = { ...cfg, minVersion: ProtocolVersion.TLSv1_3 };
  }
  if (parts.ocsp === null && options.requireRevocationInformation === true) {
    throw new TlsError('InvalidConfig', { detail: "requireRevocationInformation needs the ocsp module: modules: [ocsp] with ocsp from 'puretls/client'" });
  }
  cfg = freezeCommon(cfg);
  refuseBudgetWithCustomVerifier(options);
  const ignorable = Object.freeze([...resolveIgnorable(options)]);
  const anchors = trustAnchorInputs(options.ca);
  if (anchors.length === 0 && options.verifier === undefined && !ignorable.includes('Untrusted')) {
    // Issue 4 item 7: the core has no root store of its own (adapters pass the runtime's).
    throw new TlsError('InvalidConfig', {
      detail: 'no trust anchors: pass `ca` (or use an adapter that supplies the runtime root store), a `verifier`, or accept Untrusted explicitly',
    });
  }
  const verifier =
    options.verifier ??
    createBasicVerifier({ trustAnchors: anchors, crypto: cfg.crypto, maxDepth: options.maxDepth, commonNameFallback: options.commonNameFallback, maxWork: cfg.maxVerificationWork });
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TlsError('InvalidConfig', { detail: 'a client certificate needs both cert and key' });
  let identity: CertifiedKey | null = null;
  if (options.cert !== undefined || options.key !== undefined || options.pfx !== undefined) {
    if (parts.clientCertificate === null) {
      const files = options.pfx !== undefined || options.passphrase !== undefined;
      throw new TlsError('InvalidConfig', {
        detail: files
          ? "pfx and passphrase need the identity module: modules: [identity] with identity from 'puretls/client'"
          : "client certificates (cert and key) need the clientCertificates module: modules: [clientCertificates] with clientCertificates from 'puretls/client'",
      });
    }
    identity = parts.clientCertificate(options, cfg.crypto, parts.identity ?? null);
  }
  const params: ClientParams = Object.freeze({
    serverName: undefined,
    sendSni: false,
    keyShareGroups: Object.freeze(options.keyShareGroups ? resolveCodes('group', options.keyShareGroups) : defaultKeyShares(cfg.groups)),
    auth: Object.freeze({
      verifier,
      ignorable,
      serverName: undefined,
      usage: 'serverAuth',
      requireRevocationInfo: options.requireRevocationInformation === true,
      checkServerIdentity: options.checkServerIdentity,
      ocsp: parts.ocsp,
    }),
    identity,
    answerCertificateRequest13: identity ? (parts.answerCertificateRequest13 ?? null) : null,
    // RFC 6066 §8: asked for only when we can check the answer.
    requestOcsp: options.requestOCSP !== false && parts.ocsp !== null,
    tls12: parts.tls12,
    clientHelloHook: testHooksOf(options).clientHello,
    sessions: null,
    allowPskKe: options.allowPskKe === true,
    earlyData: null,
    retryEarlyData: true,
  });
  const limits: RoleLimits = Object.freeze({ maxHelloRequests: limitOption('maxHelloRequests', options.maxHelloRequests, 4) });
  let store: SessionStore | null = null;
  if (parts.resumption) store = parts.resumption.resolveStore(options.sessionStore, cfg.now);
  else if (options.sessionStore !== undefined && options.sessionStore !== false) throw new TlsError('InvalidConfig', { detail: RESUMPTION_MISSING });
  // The trust decision a session is bound to (issue 10 item 1), hashed once, when first needed:
  // by connectionSessions, which only a config with the resumption part reaches (the hashing is
  // that part's, so a client-only bundle without it does not carry it).
  let fingerprint: string | undefined;
  const resumption = parts.resumption;
  const trust = (): string => {
    if (resumption === null) throw new TlsError('InternalError', { detail: 'trust fingerprint without the resumption part' });
    return (fingerprint ??= resumption.configTrust(cfg.crypto, { options, anchors, ignorable, identity }));
  };
  return Object.freeze({ cfg, params, store, resumption: parts.resumption, trust, codec: parts.codec, nameOptional: options.verifier !== undefined || ignorable.includes('InvalidName'), customVerifier: options.verifier !== undefined, limits });
}

/**
 * The client certificate of `cert` + `key` or `pfx` (one identity), or null (the
 * `clientCertificate` part of {@link ClientParts}).
 * @internal
 * @throws TlsError('InvalidConfig') for both forms at once or a pfx with several identities;
 *   the identity statuses (`WrongPassphrase`, ...) for a file or key that cannot be opened
 */
export function clientIdentity(options: ClientConfigOptions, crypto: ResolvedCommon['crypto'], files: IdentityFiles | null): CertifiedKey | null {
  if (options.pfx !== undefined) {
    if (options.cert !== undefined) throw new TlsError('InvalidConfig', { detail: 'a client certificate is either pfx or cert and key, not both' });
    const ids = loadPfxIdentities(options.pfx, options.passphrase, crypto, files);
    if (ids.length !== 1) throw new TlsError('InvalidConfig', { detail: `pfx: a client takes one identity, the files hold ${ids.length}` });
    return freezeIdentity(ids[0]!);
  }
  if (options.cert === undefined || options.key === undefined) return null;
  return freezeIdentity(loadCertifiedKey({ cert: options.cert, key: ownKey(options.key), passphrase: options.passphrase }, crypto, files));
}

/**
 * Builds a server configuration once: every option resolved and checked, each identity's
 * certificate chain parsed and private key imported (its public key derived and matched
 * against the leaf once), the client-certificate trust anchors (`ca`) parsed and the verifier
 * built. Share the result across connections: `TlsConnection.server(config)` costs no parsing,
 * and a bad certificate or key is reported here, not when a client connects.
 *
 * See {@link createClientConfig} for why there are two functions.
 *
 * @param options - identities (`cert` + `key`, and/or `certificates`) and server options
 * @returns an immutable {@link ServerConfig}
 * @throws TlsError('InvalidConfig') for any invalid option, unreadable certificate or key, a
 *   key that does not match its certificate, or no identity
 * @example
 * ```ts
 * const config = createServerConfig({ certificates: [{ cert: a, key: aKey }, { cert: b, key: bKey }] });
 * for (const transport of accepted) run(TlsConnection.server(config), transport);
 * ```
 */
export function createServerConfig(options: ServerConfigOptions): ServerConfig {
  requireOptions(options, 'createServerConfig');
  return makeServerConfig(resolveServer(options));
}

function resolveServer(options: ServerOptions): ServerState {
  checkServerShapes(options);
  const cfg = freezeCommon(resolveCommon(options, { crypto: nobleProvider, random: defaultRandom, defaultGroups: DEFAULT_SERVER_GROUPS }));
  refuseBudgetWithCustomVerifier(options);
  if ((options.cert === undefined) !== (options.key === undefined)) throw new TlsError('InvalidConfig', { detail: 'a server identity needs both cert and key' });
  const identities: CertifiedKey[] = [];
  const rethrow = (e: unknown, what: string): never => {
    // The identity statuses (WrongPassphrase, IdentityCorrupt, ...) keep their status.
    if (e instanceof TlsError && e.category === 'caller' && e.status !== 'InvalidConfig') throw new TlsError(e.status, { detail: `${what}: ${e.detail ?? e.status}`, cause: e });
    if (e instanceof TlsError && e.status === 'InvalidConfig') throw new TlsError('InvalidConfig', { detail: `${what}: ${e.detail ?? e.message}`, cause: e });
    throw new TlsError('InvalidConfig', { detail: `${what}: ${e instanceof TlsError ? (e.detail ?? e.status) : String(e)}`, cause: e });
  };
  const load = (c: CertifiedKeyInput, what: string): CertifiedKey => {
    try {
      return freezeIdentity(loadCertifiedKey({ ...c, key: ownKey(c.key) }, cfg.crypto, identityFiles));
    } catch (e) {
      return rethrow(e, what);
    }
  };
  if (options.cert !== undefined && options.key !== undefined) identities.push(load({ cert: options.cert, key: options.key, passphrase: options.passphrase }, 'cert/key'));
  (options.certificates ?? []).forEach((c, i) => identities.push(load({ passphrase: options.passphrase, ...c }, `certificates[${i}]`)));
  if (options.pfx !== undefined) {
    try {
      for (const id of loadPfxIdentities(options.pfx, options.passphrase, cfg.crypto, identityFiles)) identities.push(freezeIdentity(id));
    } catch (e) {
      rethrow(e, 'pfx');
    }
  }
  if (identities.length === 0) throw new TlsError('InvalidConfig', { detail: 'a server needs cert and key (or certificates, or pfx)' });
  // Default 2 (OpenSSL's and Node's): see ServerOptions.sessionTickets.
  const tickets = options.sessionTickets ?? 2;
  if (!Number.isInteger(tickets) || tickets < 0 || tickets > 16) throw new TlsError('InvalidConfig', { detail: 'sessionTickets must be an integer 0..16' });
  const clientAuth = options.requireCert ? 'require' : options.requestCert ? 'request' : 'none';
  const ignorable = Object.freeze([...resolveIgnorable(options)]);
  const anchors = trustAnchorInputs(options.ca);
  if (clientAuth !== 'none' && anchors.length === 0 && options.verifier === undefined && !ignorable.includes('Untrusted')) {
    throw new TlsError('InvalidConfig', { detail: 'client certificates are requested but no trust anchors (`ca`) or `verifier` are configured' });
  }
  const ticketKeys = resolveTicketKeys(options.ticketKeys, cfg.random);
  const sessionTimeout = limitOption('sessionTimeout', options.sessionTimeout, 7200, 1, MAX_TICKET_LIFETIME_SECONDS);
  // TLS 1.2 resumption: a session-ID cache per config (shared by its connections) and RFC 5077
  // tickets under the same keys; sessions live sessionTimeout seconds, at most 24 hours (RFC 5246 §F.1.4).
  const cache12 = new SessionCache12({ maxEntries: options.sessionCacheSize, lifetime: Math.min(sessionTimeout, MAX_SESSION_LIFETIME) });
  const params: ServerParams = Object.freeze({
    certificates: Object.freeze(identities),
    sessionTickets: tickets,
    ticketKeys,
    sessionTimeout,
    resumption12: Object.freeze({ cache: cache12.maxEntries > 0 ? cache12 : null, tickets: tickets > 0 ? ticketKeys : null, lifetime: cache12.lifetime }),
    allowPskKe: options.allowPskKe === true,
    maxEarlyData: limitOption('maxEarlyData', options.maxEarlyData, 0, 0, 0xffffffff),
    replayRegister: resolveReplayRegister(options.replayRegister),
    encryptedExtensionsHook: testHooksOf(options).encryptedExtensions,
    helloRetryRequestHook: testHooksOf(options).helloRetryRequest,
    clientAuth,
    auth: Object.freeze({
      verifier: options.verifier ?? createBasicVerifier({ trustAnchors: anchors, crypto: cfg.crypto, maxDepth: options.maxDepth, maxWork: cfg.maxVerificationWork }),
      ignorable,
      serverName: undefined,
      usage: 'clientAuth',
      requireRevocationInfo: false,
      checkServerIdentity: undefined,
      ocsp: verifyOcspResponseWith,
    }),
  });
  const limits: RoleLimits = Object.freeze({
    maxClientHelloSize: limitOption('maxClientHelloSize', options.maxClientHelloSize, 131072, 0, 0xffffff),
    maxSkippedEarlyData: limitOption('maxSkippedEarlyData', options.maxSkippedEarlyData, skipBudgetFor(params.maxEarlyData)),
  });
  return Object.freeze({ cfg, params, limits });
}

/** The default of {@link ServerOptions.maxSkippedEarlyData} without early data allowed: 64 KiB. */
const MIN_SKIP_BUDGET = 65536;

/**
 * The default budget of 0-RTT bytes a server skips when it rejects early data: RFC 9846
 * §4.3.10 has it skip "up to the configured max_early_data_size", a count of plaintext
 * (§4.6.1), while the reader counts records as they arrive, header included. So a client that
 * sends as much early data as our tickets allow, in full records, is never refused: each
 * record adds at most its 5-byte header and 256 bytes of expansion (§5.2) to its 2^14 bytes of
 * plaintext. At least 64 KiB, as without early data.
 */
function skipBudgetFor(maxEarlyData: number): number {
  return Math.max(MIN_SKIP_BUDGET, maxEarlyData + Math.ceil(maxEarlyData / 16384) * (5 + 256));
}

/**
 * What a client connection is built from: a prebuilt config (no parsing) or plain options
 * (a config is built from them on the fly), plus the per-connection settings.
 *
 * @throws TlsError('InvalidConfig') for an invalid config or per-connection option, or a
 *   missing server name when one is required
 */
export function setupClient(config: ClientConfig | ClientOptions = {}, perConnection?: ClientConnectionOptions): Setup {
  return setupClientWith(config, perConnection, ALL_CLIENT_PARTS);
}

/**
 * {@link setupClient} whose plain options build a config with only the given optional parts
 * (the client-only entry). A prebuilt config keeps the parts it was built with.
 * @internal
 */
export function setupClientWith(config: ClientConfig | ClientOptions, perConnection: ClientConnectionOptions | undefined, parts: ClientParts): Setup {
  if (perConnection !== undefined) requireOptions(perConnection, 'TlsConnection.client');
  let state: ClientState;
  let per: ClientConnectionOptions;
  if (isClientConfig(config)) {
    state = clientStates.get(config)!;
    per = perConnection ?? {};
    for (const k of Object.keys(per)) {
      if (!PER_CONNECTION_KEYS.includes(k)) {
        throw new TlsError('InvalidConfig', { detail: `'${k}' is not a per-connection option (${PER_CONNECTION_KEYS.join(', ')}): set it when creating the config` });
      }
    }
  } else {
    requireOptions(config, 'TlsConnection.client');
    if (isServerConfig(config)) throw new TlsError('InvalidConfig', { detail: 'a server config cannot make a client connection' });
    if (config instanceof ClientConfig) throw new TlsError('InvalidConfig', { detail: 'not a config made by createClientConfig' });
    // Plain options: the shared part becomes a config, the rest is this connection's.
    // Plain options may carry this connection's 0-RTT data and session too
    // (TlsConnection.client({ ..., earlyData, session, onSession })): a config would drop them.
    const { servername, earlyData, retryEarlyData, session, onSession, ...shared } = config as ClientOptions & Pick<ClientConnectionOptions, 'earlyData' | 'retryEarlyData' | 'session' | 'onSession'>;
    state = resolveClient(shared, parts);
    per = { servername, earlyData, retryEarlyData, session, onSession, ...perConnection };
  }
  return clientSetupOf(state, per);
}

function clientSetupOf(state: ClientState, per: ClientConnectionOptions): Setup {
  checkConnectionShapes(per);
  let { cfg, params } = state;
  const servername = per.servername;
  if (servername !== undefined) checkServername(servername);
  if ((servername === undefined || servername === '') && !state.nameOptional) {
    // Without a name the certificate proves nothing about whom we reached (RFC 9525 §6).
    throw new TlsError('InvalidConfig', {
      detail: 'no servername: the server certificate cannot be checked; pass `servername`, a `verifier`, or accept InvalidName explicitly',
    });
  }
  if (per.ALPNProtocols !== undefined) cfg = { ...cfg, alpn: Object.freeze(resolveAlpn(per.ALPNProtocols)) };
  const isIp = servername !== undefined && parseIpAddress(servername) !== null;
  params = {
    ...params,
    serverName: servername,
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    sendSni: servername !== undefined && servername.length > 0 && !isIp,
    keyShareGroups: per.keyShareGroups !== undefined ? resolveCodeList('group', 'keyShareGroups', per.keyShareGroups) : params.keyShareGroups,
    auth: { ...params.auth, serverName: servername },
    // Sessions are per server name (never offered to another one) and per trust decision.
    sessions: servername ? connectionSessions(state, per, servername) : null,
    earlyData: earlyDataOption(per.earlyData),
    retryEarlyData: per.retryEarlyData !== false,
  };
  const p = params;
  const c = cfg;
  const setup: Setup = { role: 'client', cfg: c, start: (out) => startClient(c, p, out), limits: state.limits, codec: state.codec };
  return p.identity ? { ...setup, localCertificate: p.identity.chain[0] } : setup;
}

/**
 * What a server connection is built from: a prebuilt config (no parsing) or plain options (a
 * config is built from them on the fly).
 *
 * @throws TlsError('InvalidConfig') for invalid options
 */
export function setupServer(config: ServerConfig | ServerOptions): Setup {
  let state: ServerState;
  if (isServerConfig(config)) {
    state = serverStates.get(config)!;
  } else {
    requireOptions(config, 'TlsConnection.server');
    if (isClientConfig(config)) throw new TlsError('InvalidConfig', { detail: 'a client config cannot make a server connection' });
    if (config instanceof ServerConfig) throw new TlsError('InvalidConfig', { detail: 'not a config made by createServerConfig' });
    state = resolveServer(config);
  }
  const { cfg, params } = state;
  const first = params.certificates[0]?.chain[0];
  const setup: Setup = { role: 'server', cfg, start: () => startServer(cfg, params), limits: state.limits, codec: ANY_BODY };
  return first ? { ...setup, localCertificate: first } : setup;
}

/**
 * What removes a handed-off connection's TLS 1.2 session (RFC 5246 §7.2.2) from the client
 * session store or server session-ID cache of `config`. Plain options have none worth
 * touching (the store or cache built for that one connection is new and empty), nor has a
 * config without a store or cache: then nothing is removed.
 * @internal
 */
export function forgetHandedOffSession(config: unknown, held: HeldSession12): () => void {
  if (held instanceof Uint8Array) {
    const cache = isServerConfig(config) ? serverStates.get(config)!.params.resumption12?.cache : null;
    return cache ? () => cache.delete(held) : () => undefined;
  }
  const store = isClientConfig(config) ? clientStates.get(config)!.store : null;
  return store ? () => forgetSession(store, held) : () => undefined;
}

/**
 * Trust anchors as the verifier takes them: PEM strings go through unchanged (the verifier
 * caches parsed PEM bundles, so a large root store costs once per process); bytes are
 * split into DER certificates here.
 */
function trustAnchorInputs(ca: ClientOptions['ca']): (string | Uint8Array)[] {
  if (ca === undefined) return [];
  const items: readonly (string | Uint8Array)[] = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  const out: (string | Uint8Array)[] = [];
  for (const it of items) {
    if (typeof it === 'string') out.push(it);
    else for (const der of loadCertificates(it)) out.push(der);
  }
  return out;
}

/** `maxVerificationWork` budgets the built-in verifier only: with a custom one it would be a silent no-op. */
function refuseBudgetWithCustomVerifier(o: { verifier?: unknown; maxVerificationWork?: number }): void {
  if (o.verifier !== undefined && o.maxVerificationWork !== undefined) {
    throw new TlsError('InvalidConfig', { detail: 'maxVerificationWork applies to the built-in verifier; a custom verifier bounds its own work' });
  }
}

/** The `earlyData` per-connection option: a copy (the caller may reuse its buffer), or null. */
function earlyDataOption(d: Uint8Array | undefined): Uint8Array | null {
  if (d === undefined) return null;
  if (!(d instanceof Uint8Array)) throw new TlsError('InvalidConfig', { detail: 'earlyData must be a Uint8Array' });
  return d.length > 0 ? copyBytes(d) : null;
}

/**
 * The store a connection takes sessions from and puts them in: the config's, with this
 * connection's `session` / `onSession` if given; null without the resumption part.
 * @throws TlsError('InvalidConfig') for `session` / `onSession` without the resumption part
 */
function connectionSessions(state: ClientState, per: ClientConnectionOptions, servername: string): ClientParams['sessions'] {
  const r = state.resumption;
  if (r === null) {
    if (per.session !== undefined || per.onSession !== undefined) throw new TlsError('InvalidConfig', { detail: RESUMPTION_MISSING });
    return null;
  }
  const store = r.connectionStore(state.store, per.session, per.onSession);
  return store ? { store, key: r.storeKey(servername, state.trust()), resumption: r } : null;
}

const RESUMPTION_MISSING = "session resumption (sessionStore, session, onSession) needs the resumption module: modules: [resumption] with resumption from 'puretls/client'";

/** Key shares for the first ClientHello: the defaults that are configured, else the first configured group. */
function defaultKeyShares(groups: readonly number[]): number[] {
  const picked = DEFAULT_KEY_SHARES.filter((g) => groups.includes(g));
  return picked.length > 0 ? picked : groups.slice(0, 1);
}
