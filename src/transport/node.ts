/**
 * `puretls/node`: puretls over Node's `net` sockets, shaped like Node's `tls` module.
 *
 * - {@link connect} returns a {@link TlsSocket} (a `stream.Duplex`) at once, like
 *   `tls.connect`, so `https`, `ws` and `undici` can use it as their `createConnection`.
 * - {@link createServer} returns a {@link TlsServer} (a `net.Server`) that emits each
 *   socket after its handshake (`'secureConnection'`) and handshake failures as
 *   `'tlsClientError'`.
 * - {@link upgrade} runs TLS, in either role, over an already-open plaintext socket
 *   (after STARTTLS, a Postgres SSLRequest, ...).
 *
 * Back-pressure is honoured both ways: when the application stops reading (`push()`
 * returns false) the engine stops decrypting and the `net.Socket` is paused; a write's
 * callback runs only once its records were handed to the socket (after `'drain'` when
 * the socket's buffer is full). Transport EOF without close_notify is an error
 * (`TlsError('Truncated')`), during or after the handshake.
 *
 * @module
 */
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { Duplex } from 'node:stream';
import { CLIENT_OPTION_NAMES, SERVER_OPTION_NAMES, limitOption, resolveIgnorable, type ClientOptions, type ServerOptions } from '../config/config.js';
import { TlsConnection, type ConnectionInfo, type ConnectionView } from '../engine/tls-connection.js';
import {
  ClientConfig,
  ServerConfig,
  createClientConfig as createCoreClientConfig,
  createServerConfig as createCoreServerConfig,
  isClientConfig,
  isServerConfig,
  clientConfigFacts,
  serverConfigTicketKeys,
  serverConfigReplayRegister,
  type ClientConfigOptions,
  type ClientConnectionOptions,
} from '../engine/setup.js';
import { TlsError, thrownField, thrownText, type TlsStatus } from '../base/errors.js';
import type { Certificate } from '../verify/certificate.js';
import { formatIpAddress } from '../verify/hostname.js';
import { parseCertificate } from '../verify/x509.js';
import { TlsPump, type PumpHandlers } from './pump.js';
import { fromNodeTlsOptions, opensslSuiteName, NODE_TLS_OPTION_NAMES, type NodeAlpnInput, type NodeTlsCommonOptions } from './node-tls-options.js';
import { nodeRootCertificates } from './node-roots.js';
import { ClientHelloPeek, contextPattern, withinHandshakeTime } from './node-sni.js';
import { CERT_SIGNATURE_SCHEMES, TLS12_SUITES, TLS13_SUITES } from '../crypto/suites.js';
import { dialNode, withoutDialOptions, type DialOptions } from './node-dial.js';
// node:crypto's PBKDF2 and DES-EDE3 for PKCS#12 files and encrypted keys (`pfx`, `passphrase`).
import { X509Certificate } from '../identity/native.js';
import { nodeAuthorizationCode, nodePeerCertificate, type PeerCertificate } from './node-cert.js';
import { SESSION_KEY_LENGTH, deserializeSession, serializeSession } from '../session/serialize.js';
import type { ResumableSession } from '../session/session.js';

/** The TlsSocket method the session relay calls (not part of the public surface). */
const NEW_SESSION: unique symbol = Symbol('newSession');
// Loading the native provider registers it (crypto: 'native' resolves) and makes it this entry's default.
import { nativeProvider } from '../crypto/native.js';

/**
 * The certificate passed to a {@link ConnectOptions.checkServerIdentity} hook: our
 * {@link Certificate} summary (string `subject` / `issuer` in RFC 4514 form, lower-case
 * hex `serialNumber` and `sha256`, `notBefore` / `notAfter` as Dates, `dnsNames`,
 * `ipAddresses`, `der`) plus the fields of Node's `PeerCertificate` that Node's own
 * `tls.checkServerIdentity` and typical pinning code read: `subjectaltname` (Node's
 * format, `'DNS:a.example, IP Address:127.0.0.1'`), `raw`, `fingerprint256`,
 * `valid_from` and `valid_to`. So `checkServerIdentity: tls.checkServerIdentity` works,
 * and so does pinning on `cert.fingerprint256`.
 *
 * Differences from Node's object: `subject` and `issuer` are strings, not
 * `{ CN, O, ... }` objects (so Node's check never falls back to the common name, which
 * RFC 9525 §6.1 forbids when a SAN is present anyway); there is no `issuerCertificate`
 * chain (use `connection.info.peerIntermediates`), no `pubkey`, `modulus` or `fingerprint`
 * (SHA-1).
 */
export interface IdentityCertificate extends Certificate {
  /** subjectAltName in Node's format: `DNS:name` and `IP Address:addr`, comma-separated. */
  readonly subjectaltname: string;
  /** DER of the certificate. */
  readonly raw: Buffer;
  /** SHA-256 of the DER, colon-separated upper-case hex (Node's format). */
  readonly fingerprint256: string;
  /** notBefore, as `Date.toUTCString()`. */
  readonly valid_from: string;
  /** notAfter, as `Date.toUTCString()`. */
  readonly valid_to: string;
}

/**
 * Options of every {@link TlsSocket}, whatever created it: closing and timing.
 *
 * Closing (RFC 9846 §6.1, RFC 5246 §7.2.1): the peer's close_notify ends our readable side
 * (`'end'`). What happens to our writable side follows Node's `allowHalfOpen`:
 * - TLS 1.3, `allowHalfOpen: false` (the default, as in `net` and `tls`): once the
 *   readable side ended, `end()` is called for us: what was written before (also in
 *   `'end'` listeners) is sent, then our close_notify. The peer's TCP FIN after its
 *   close_notify does not prevent that: close_notify closes one direction only;
 * - TLS 1.3, `allowHalfOpen: true`: the application may keep writing (a reply to a
 *   request that ended with close_notify, even after the peer's FIN) until it calls `end()`;
 * - TLS 1.2: `allowHalfOpen` does not apply: RFC 5246 §7.2.1 requires answering
 *   close_notify with close_notify at once, so `end()` is called after `'end'` either way.
 */
export interface TlsSocketOptions {
  /**
   * Keep our writable side open after the peer's close_notify, until `end()` (TLS 1.3
   * only; default false, as in `net` and `tls`).
   */
  allowHalfOpen?: boolean;
  /**
   * Milliseconds the handshake may take, counted from the creation of the socket (for
   * {@link connect}: including the TCP connection); then the socket is destroyed with
   * `TlsError('TimedOut')`. 0 disables it. Default: 120000 for servers, 0 for clients
   * (Node's `tls.connect` has none either).
   */
  handshakeTimeout?: number;
  /**
   * Lingering close: after we sent a fatal alert, or our close_notify while the peer may
   * still be sending, the socket is half-closed (our FIN after the alert) and the peer's
   * input is read and discarded until it closes its side, for at most this many
   * milliseconds and {@link LINGER_MAX_BYTES} bytes; then the socket is destroyed.
   * Without it a peer still sending would get a TCP reset, which can discard our alert
   * before the peer reads it. 0: destroy at once (the alert may be lost). Default 2000.
   */
  lingerTimeout?: number;
  /**
   * Node's `highWaterMark`: the readable side's high-water mark in bytes (default 16384, as
   * for any stream).
   */
  highWaterMark?: number;
}

/**
 * Options of {@link connect}: Node's `tls.connect` names plus every {@link ClientOptions}
 * and the {@link TlsSocketOptions}.
 *
 * Certificate checking, as in Node where Node has the option:
 * - the name checked is `servername`, else `host`; over a given `socket` without either,
 *   `connect` throws `InvalidConfig` unless `InvalidName` is explicitly ignorable;
 * - trust anchors: `ca`; when neither `ca` nor `verifier` is given, Node's own root
 *   store (`tls.getCACertificates('default')` where Node has it, else `tls.rootCertificates` plus `NODE_EXTRA_CA_CERTS`, see node-roots.ts), as `tls.connect` does;
 * - `rejectUnauthorized: false` accepts every *ignorable* certificate error (Untrusted,
 *   Expired, InvalidName, ...) but never a fatal one (bad signature, revoked, ...), and
 *   never skips the handshake's own signature checks: unlike Node, a forged chain still
 *   fails. `socket.authorized` is then false and `socket.authorizationError` lists the codes;
 * - `ignorableCertificateErrors` accepts exactly the ignorable codes named;
 * - `checkServerIdentity(hostname, cert)` replaces the built-in host-name check; it is
 *   called with `servername` (default: `host`) and an {@link IdentityCertificate}, and an
 *   Error it returns is reported as `InvalidName` (ignorable). Unlike Node, it runs even
 *   when the chain has other errors (every error is reported).
 */
export interface ConnectOptions extends Omit<ClientOptions, 'checkServerIdentity' | 'ALPNProtocols'>, NodeTlsCommonOptions, TlsSocketOptions, DialOptions {
  /** Host to dial (default `'localhost'`); also the name checked when `servername` is not given. */
  host?: string;
  /** Port to dial. Required unless `socket` or `path` is given. */
  port?: number;
  /** Node's `path`: dial this Unix domain socket (or Windows named pipe) instead of `host:port`. */
  path?: string | null;
  /** Run TLS over this already-connected socket instead of dialling. */
  socket?: Duplex;
  /** Address family for the lookup (4 or 6), as in `net.connect`. */
  family?: number;
  /**
   * Node's `timeout`: when `connect` dials, `setTimeout(timeout)` on the socket (idle
   * milliseconds before `'timeout'`, which does not close the socket), as `tls.connect` does.
   */
  timeout?: number;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  localAddress?: string;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  localPort?: number;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  hints?: number;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  autoSelectFamily?: boolean;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  autoSelectFamilyAttemptTimeout?: number;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  noDelay?: boolean;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  keepAlive?: boolean;
  /** Passed to `net.connect` when dialling (Node's meaning). */
  keepAliveInitialDelay?: number;
  /**
   * ALPN protocols in preference order: strings, buffers, or one wire-format buffer
   * (`[len][name]...`), as Node takes them.
   */
  ALPNProtocols?: NodeAlpnInput;
  /**
   * Node's hook: replaces the built-in host-name check (see {@link IdentityCertificate}
   * for what `cert` holds). Return an Error to refuse (reported as `InvalidName`).
   */
  checkServerIdentity?: (hostname: string, cert: IdentityCertificate) => Error | undefined;
  /**
   * Node's `session`: a session to resume, as a `'session'` event or `getSession()` gave it.
   * It is offered only to the server name and under the trust decision (`ca`, ignorable
   * errors, verifier, client identity) it was made with, while fresh, and once; otherwise the
   * handshake is a full one. A blob that does not open under `sessionKey` (altered, from
   * another process or session key, another format version, not a session) is refused:
   * `connect` throws `TlsError('SessionRejected')` and dials nothing.
   */
  session?: Uint8Array;
  /**
   * The 32-byte key that seals the blobs of `'session'` / `getSession()` and opens `session`
   * (AES-256-GCM: a blob holds the resumption secret). Default: one random key per process,
   * so blobs work within the process that made them and nowhere else; pass your own (and keep
   * it secret) to keep sessions on disk or share them between processes.
   */
  sessionKey?: Uint8Array;
  /**
   * TLS 1.3 0-RTT data for this connection (per connection, like `servername`): sent with the
   * first flight when the offered session allows early data, else (and when the server
   * rejects it) after the handshake unless `retryEarlyData` is false. `socket.info.earlyData`
   * tells what happened. Early data can be replayed by an attacker: send only idempotent data.
   */
  earlyData?: Uint8Array;
  /** Re-send `earlyData` after the handshake when it did not go as 0-RTT (default true). */
  retryEarlyData?: boolean;
  /**
   * A prebuilt puretls {@link ClientConfig} ({@link createClientConfig}): the connection
   * parses nothing. Next to it only the per-connection options (`servername`,
   * `ALPNProtocols`, `keyShareGroups`), the dialling options and the
   * {@link TlsSocketOptions} are allowed; any other TLS option is `InvalidConfig` (set it
   * when building the config; keys that are not TLS options are ignored, as Node does). A
   * {@link SecureContext} from this module's `createSecureContext` works as in Node. A
   * `node:tls` `SecureContext` cannot be read (its keys live inside OpenSSL) and is refused
   * with `InvalidConfig`.
   */
  secureContext?: ClientConfig | SecureContext;
}

/**
 * Options of {@link createServer}: every {@link ServerOptions} plus the
 * {@link TlsSocketOptions} (given to each socket; `handshakeTimeout` defaults to 120000),
 * with Node's meaning for client certificates:
 * - `requestCert: true` asks for a client certificate;
 * - with `rejectUnauthorized` not `false` (the default) it must then also be present
 *   and valid (the handshake fails otherwise), as in Node: this sets `requireCert`
 *   unless `requireCert` is given explicitly (`requireCert: false` asks without
 *   requiring, and still refuses a certificate that has errors);
 * - `requestCert: true, rejectUnauthorized: false` asks, accepts a missing certificate
 *   and accepts every ignorable error (never a fatal one);
 * - client certificates are checked against `ca`, or Node's root store
 *   (`tls.rootCertificates`) when neither `ca` nor `verifier` is given.
 */
export interface TlsServerOptions extends Omit<ServerOptions, 'ALPNProtocols'>, NodeTlsCommonOptions, TlsSocketOptions {
  /** ALPN protocols in preference order: strings, buffers, or one wire-format buffer, as Node takes them. */
  ALPNProtocols?: NodeAlpnInput;
  /**
   * Node's `SNICallback(servername, callback)`: called with the server name of each
   * ClientHello that has one, before the handshake; answer with `callback(null, context)`
   * or by returning a promise of it, where `context` is a {@link SecureContext}, a
   * {@link ServerConfig}, or server options (built into a config), or nothing for the
   * server's own. An error (passed or thrown or rejected) ends the connection
   * (`'tlsClientError'`). Without it, the contexts of {@link TlsServer.addContext} are used.
   */
  SNICallback?: (servername: string, callback: (err: Error | null, ctx?: SniContext | null) => void) => void | Promise<SniContext | null | undefined>;
  /** Passed to `net.Server` (Node's meaning): TCP_NODELAY on accepted sockets. */
  noDelay?: boolean;
  /** Passed to `net.Server` (Node's meaning): keep-alive on accepted sockets. */
  keepAlive?: boolean;
  /** Passed to `net.Server` (Node's meaning). */
  keepAliveInitialDelay?: number;
  /**
   * A prebuilt puretls {@link ServerConfig} ({@link createServerConfig}), Node's
   * `secureContext` option: the server uses it instead of building one from the options, so
   * only the {@link TlsSocketOptions} may be given next to it (any TLS option is
   * `InvalidConfig`: set it when building the config; keys that are not TLS options are
   * ignored, as Node does). A `node:tls` `SecureContext` (from
   * `tls.createSecureContext`) cannot be read (its certificates and keys live inside
   * OpenSSL) and is refused with `InvalidConfig`: build the config with
   * {@link createServerConfig} from the same `cert` / `key` / `ca` instead.
   */
  secureContext?: ServerConfig | SecureContext;
}

/** What an `SNICallback` or `addContext` may give for a server name. */
export type SniContext = SecureContext | ServerConfig | TlsServerOptions;

/**
 * Options of {@link upgrade}: the role, and the options of that role (Node semantics as
 * for {@link connect} / {@link createServer}; `handshakeTimeout` defaults to 120000 for
 * a server, 0 for a client).
 */
export type UpgradeOptions =
  | (Omit<ConnectOptions, 'host' | 'port' | 'socket' | 'family'> & { role?: 'client' })
  | (TlsServerOptions & { role: 'server' });

/**
 * Most bytes read and discarded from a peer during a lingering close (see
 * {@link TlsSocketOptions.lingerTimeout}); beyond it the socket is destroyed at once.
 */
export const LINGER_MAX_BYTES = 1024 * 1024;

/**
 * Bytes of ciphertext queued in the transport socket (not yet taken by the kernel) above
 * which sending waits for its `'drain'`: a few full records, so that records written
 * back to back need no tick each, while a peer that does not read still stops us soon.
 */
const SEND_HIGH_WATER = 64 * 1024;

/** Default of {@link TlsSocketOptions.lingerTimeout}, in milliseconds. */
export const DEFAULT_LINGER_TIMEOUT = 2000;

/** Default of {@link TlsSocketOptions.handshakeTimeout} for servers, in milliseconds. */
export const DEFAULT_SERVER_HANDSHAKE_TIMEOUT = 120_000;

/** The {@link TlsSocketOptions} resolved; throws `InvalidConfig` for a value that is not an integer 0..2^31-1. */
function socketSettings(o: TlsSocketOptions, role: 'client' | 'server'): { allowHalfOpen: boolean; handshakeTimeout: number; lingerTimeout: number; highWaterMark?: number } {
  const out: { allowHalfOpen: boolean; handshakeTimeout: number; lingerTimeout: number; highWaterMark?: number } = {
    allowHalfOpen: o.allowHalfOpen === true,
    handshakeTimeout: limitOption('handshakeTimeout', o.handshakeTimeout, role === 'server' ? DEFAULT_SERVER_HANDSHAKE_TIMEOUT : 0),
    lingerTimeout: limitOption('lingerTimeout', o.lingerTimeout, DEFAULT_LINGER_TIMEOUT),
  };
  if (o.highWaterMark !== undefined) out.highWaterMark = limitOption('highWaterMark', o.highWaterMark, 16384, 1);
  return out;
}

const TRANSPORT_STATUS: Readonly<Record<string, TlsStatus>> = {
  ECONNREFUSED: 'ConnectionRefused',
  ENOTFOUND: 'HostNotFound',
  EAI_AGAIN: 'HostNotFound',
  EAI_NONAME: 'HostNotFound',
  ECONNRESET: 'ConnectionReset',
  EPIPE: 'ConnectionReset',
  ECONNABORTED: 'ConnectionReset',
  ETIMEDOUT: 'TimedOut',
  ENETUNREACH: 'NetworkUnreachable',
  EHOSTUNREACH: 'NetworkUnreachable',
  ENETDOWN: 'NetworkUnreachable',
  EHOSTDOWN: 'NetworkUnreachable',
};

/**
 * Maps a socket error to a {@link TlsError} with a transport status (`ConnectionRefused`,
 * `HostNotFound`, `ConnectionReset`, `TimedOut`, `NetworkUnreachable`, else
 * `TransportError`), keeping the original as `cause`. A `TlsError` is returned as is.
 */
export function mapTransportError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  // Whatever was thrown (a socket's error, an SNICallback's): never a throw here.
  const code = thrownField(e, 'code');
  const status: TlsStatus = (code !== undefined ? TRANSPORT_STATUS[code] : undefined) ?? 'TransportError';
  const message = thrownText(e);
  return new TlsError(status, { detail: message, cause: e, source: 'transport' });
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function concatChunks(chunks: readonly Buffer[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

function colonHex(h: string): string {
  return (h.toUpperCase().match(/../g) ?? []).join(':');
}

function subjectAltNameText(dnsNames: readonly string[], ipAddresses: readonly string[]): string | undefined {
  const parts = [...dnsNames.map((d) => `DNS:${d}`), ...ipAddresses.map((ip) => `IP Address:${ip}`)];
  return parts.length === 0 ? undefined : parts.join(', ');
}

/** Our certificate summary plus the Node `PeerCertificate` fields a `checkServerIdentity` hook reads. */
function identityCertificate(c: Certificate): IdentityCertificate {
  return {
    ...c,
    subjectaltname: subjectAltNameText(c.dnsNames, c.ipAddresses) ?? '',
    raw: Buffer.from(c.der),
    fingerprint256: colonHex(c.sha256),
    valid_from: c.notBefore.toUTCString(),
    valid_to: c.notAfter.toUTCString(),
  };
}

/**
 * The name a client checks the server certificate against, by Node's rule: `servername`,
 * else `host` (an empty string counts as absent). Undefined when neither is given.
 */
export function serverIdentityName(servername: string | undefined, host: string | undefined): string | undefined {
  if (servername !== undefined && servername !== '') return servername;
  if (host !== undefined && host !== '') return host;
  return undefined;
}

/**
 * Node semantics for a client:
 * - the crypto provider is `crypto`, else the native one (`node:crypto`, this entry's default);
 * - trust anchors: `ca`, or Node's default root store (see node-roots.ts) when neither `ca`
 *   nor `verifier` is given. The root store is passed to the engine as `ca`, so the
 *   adapter builds no verifier of its own: the engine's built-in verifier is the only one
 *   and gets the options the engine gives its verifier (`maxDepth`, `commonNameFallback`, ...) and
 *   the name (the PEM strings are parsed once per process: the verifier layer caches them);
 * - a name is required (RFC 9525 §6: without a reference identity the certificate proves
 *   nothing about whom we reached): unless the caller supplies its own `verifier`, options
 *   without `servername` are refused with `InvalidConfig`, except when `InvalidName` is
 *   explicitly ignorable (`ignorableCertificateErrors` naming it, or
 *   `rejectUnauthorized: false`). {@link connect} fills `servername` from `host` first;
 * - `checkServerIdentity` gets our certificate summary plus Node's fields.
 *
 * @throws TlsError('InvalidConfig') when no name is given and `InvalidName` is not ignorable
 */
export function nodeClientOptions(options: Omit<ConnectOptions, 'host' | 'port' | 'socket' | 'family'>): ClientOptions {
  const o = fromNodeTlsOptions(options, 'client', CERT_SIGNATURE_SCHEMES);
  const { checkServerIdentity, secureContext: _c, ...rest } = o;
  const out: ClientOptions = { ...(rest as Omit<typeof rest, 'ALPNProtocols'> & { ALPNProtocols?: readonly string[] }), crypto: o.crypto ?? nativeProvider };
  if (o.verifier === undefined) {
    if (serverIdentityName(o.servername, undefined) === undefined && !resolveIgnorable(o).includes('InvalidName')) {
      throw new TlsError('InvalidConfig', {
        detail:
          'no name to check the server certificate against: pass `servername` (or `host`), a `verifier`, or accept InvalidName explicitly (ignorableCertificateErrors or rejectUnauthorized: false)',
        source: 'caller',
      });
    }
    if (o.ca === undefined) out.ca = nodeRootCertificates();
  }
  if (checkServerIdentity) out.checkServerIdentity = nodeIdentityCheck(checkServerIdentity);
  return out;
}

/** Node's `checkServerIdentity` as the engine calls it: with our certificate summary plus Node's fields. */
function nodeIdentityCheck(f: NonNullable<ConnectOptions['checkServerIdentity']>): NonNullable<ClientOptions['checkServerIdentity']> {
  return (hostname, cert) => f(hostname, identityCertificate(cert));
}

/**
 * Node semantics for a server: `requestCert` with `rejectUnauthorized` not false
 * requires a valid certificate (unless `requireCert` says otherwise), and client
 * certificates are checked against Node's root store (passed to the engine as `ca`)
 * when neither `ca` nor `verifier` is given. The crypto provider is `crypto`, else the
 * native one (`node:crypto`, this entry's default).
 */
export function nodeServerOptions<T extends ServerOptions>(o: T): T & ServerOptions {
  const asks = o.requestCert === true || o.requireCert === true;
  const out: T & ServerOptions = { ...o, crypto: o.crypto ?? nativeProvider, requireCert: o.requireCert ?? (o.requestCert === true && o.rejectUnauthorized !== false) };
  if (asks && o.ca === undefined && o.verifier === undefined) out.ca = nodeRootCertificates();
  return out;
}

/**
 * Options of the Node flavour of {@link createClientConfig}: every client option but the
 * per-connection ones' `servername`, with Node's `checkServerIdentity` (see
 * {@link IdentityCertificate}).
 */
export interface NodeClientConfigOptions extends Omit<ClientConfigOptions, 'checkServerIdentity' | 'ALPNProtocols'>, NodeTlsCommonOptions {
  /** ALPN protocols in preference order: strings, buffers, or one wire-format buffer. */
  ALPNProtocols?: NodeAlpnInput;
  /** Node's hook: replaces the built-in host-name check; return an Error to refuse (reported as `InvalidName`). */
  checkServerIdentity?: (hostname: string, cert: IdentityCertificate) => Error | undefined;
}

/** The client config of Node's root store with no other option, built on first use (see {@link createClientConfig}). */
let rootStoreConfig: ClientConfig | undefined;

/** True when `o` sets no client TLS option (keys that are not ours, as `https` passes them, do not count) and carries no test hooks. */
function noTlsOptions(o: object): boolean {
  return Object.entries(o).every(([k, v]) => v === undefined || !CLIENT_OPTION_NAMES.includes(k as keyof ClientOptions)) && Object.getOwnPropertySymbols(o).length === 0;
}

/**
 * Builds a client config with Node's semantics (the Node flavour of the core's
 * `createClientConfig`, same name): trust anchors are `ca`, else Node's default root store
 * (see node-roots.ts) when no `verifier` is given either; the crypto provider is
 * `crypto`, else the native one (`node:crypto`); `checkServerIdentity` gets an
 * {@link IdentityCertificate}. Pass the result to {@link connect} as `secureContext` (or to
 * `TlsConnection.client`): a connection made from it parses nothing.
 *
 * The root store's config without other options is built once per process, on first use,
 * and shared (configs are immutable): `createClientConfig()` returns the same object every
 * time, and {@link connect} uses it whenever it is given no TLS option but per-connection
 * ones. The PEM texts of the root store are parsed once per process whatever the options.
 *
 * @throws TlsError('InvalidConfig') for invalid options (see the core's `createClientConfig`)
 */
export function createClientConfig(options: NodeClientConfigOptions = {}): ClientConfig {
  options = fromNodeTlsOptions(options, 'client', CERT_SIGNATURE_SCHEMES);
  if (typeof options === 'object' && options !== null && noTlsOptions(options)) {
    return (rootStoreConfig ??= createCoreClientConfig({ ca: nodeRootCertificates(), crypto: nativeProvider }));
  }
  const { checkServerIdentity, ...rest } = options;
  // fromNodeTlsOptions turned every ALPN form into strings.
  const out: ClientConfigOptions = { ...(rest as Omit<typeof rest, 'ALPNProtocols'> & { ALPNProtocols?: readonly string[] }), crypto: options.crypto ?? nativeProvider };
  if (options.ca === undefined && options.verifier === undefined) out.ca = nodeRootCertificates();
  if (checkServerIdentity) out.checkServerIdentity = nodeIdentityCheck(checkServerIdentity);
  return createCoreClientConfig(out);
}

/**
 * Builds a server config with Node's semantics (the Node flavour of the core's
 * `createServerConfig`, same name; see {@link TlsServerOptions}): the crypto provider is
 * `crypto`, else the native one (`node:crypto`); `requestCert` with
 * `rejectUnauthorized` not false requires a valid client certificate, and client
 * certificates are checked against `ca`, else Node's root store. Pass the result to
 * {@link createServer} as `secureContext`, or to `server.setSecureContext()`.
 *
 * @throws TlsError('InvalidConfig') for invalid options, or a certificate or key that cannot
 *   be read or do not match
 */
export function createServerConfig(options: NodeServerConfigOptions): ServerConfig {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'createServerConfig needs an options object', source: 'caller' });
  const o = fromNodeTlsOptions(options, 'server', CERT_SIGNATURE_SCHEMES) as ServerOptions;
  return createCoreServerConfig(nodeServerOptions(o));
}

/** Options of the Node flavour of {@link createServerConfig}: server options with Node's names too. */
export interface NodeServerConfigOptions extends Omit<ServerOptions, 'ALPNProtocols'>, NodeTlsCommonOptions {
  /** ALPN protocols in preference order: strings, buffers, or one wire-format buffer. */
  ALPNProtocols?: NodeAlpnInput;
}

/**
 * Node's `SecureContext` for `puretls/node` ({@link createSecureContext}): the options of
 * `tls.createSecureContext`, checked when it is made, and built into a client config or a
 * server config (once each, on first use) depending on where it is passed as
 * `secureContext`: {@link connect}, {@link createServer}, `server.setSecureContext`,
 * `addContext`, or an `SNICallback`'s answer. Unlike a `node:tls` SecureContext it has no
 * `context` (there is no OpenSSL object).
 */
export class SecureContext {
  readonly #options: NodeClientConfigOptions & NodeServerConfigOptions;
  #client: ClientConfig | undefined;
  #server: ServerConfig | undefined;

  /** @internal Use {@link createSecureContext}. */
  constructor(options: NodeClientConfigOptions & NodeServerConfigOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'createSecureContext needs an options object', source: 'caller' });
    // Checked now, as tls.createSecureContext checks (the Node names; the rest when built).
    fromNodeTlsOptions(options, 'server', CERT_SIGNATURE_SCHEMES);
    this.#options = { ...options };
    Object.freeze(this);
  }

  /** The client config of these options (built on first use). */
  clientConfig(): ClientConfig {
    if (this.#client) return this.#client;
    const { cert, key, pfx, ...rest } = this.#options;
    // A server identity given to a context used by a client is its client certificate, as in Node.
    const o: NodeClientConfigOptions = { ...rest, ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}), ...(pfx !== undefined ? { pfx } : {}) };
    for (const k of SERVER_ONLY_KEYS) delete (o as Record<string, unknown>)[k];
    return (this.#client = createClientConfig(o));
  }

  /** The server config of these options (built on first use). */
  serverConfig(): ServerConfig {
    return (this.#server ??= createServerConfig(this.#options));
  }
}

/** Server options a context used by a client leaves out (they mean nothing there, as in Node). */
const SERVER_ONLY_KEYS = ['certificates', 'maxClientHelloSize', 'maxSkippedEarlyData', 'sessionTickets', 'requestCert', 'requireCert', 'ticketKeys', 'sessionTimeout', 'sessionCacheSize', 'maxEarlyData', 'replayRegister', 'honorCipherOrder', 'dhparam'];

/**
 * Node's `tls.createSecureContext(options)`: certificates, keys, trust anchors and TLS
 * options checked once and shared by the connections given it as `secureContext`.
 * @throws TlsError('InvalidConfig') for a refused or invalid Node option
 */
export function createSecureContext(options: NodeClientConfigOptions & NodeServerConfigOptions = {}): SecureContext {
  return new SecureContext(options);
}

/** What a `secureContext` must be, and what it is not: a `node:tls` SecureContext is refused by name. */
function requireConfig(sc: unknown, role: 'client' | 'server'): void {
  if (sc instanceof SecureContext || (role === 'client' ? isClientConfig(sc) : isServerConfig(sc))) return;
  const build = role === 'client' ? 'createClientConfig' : 'createServerConfig';
  let what: string;
  if (role === 'client' ? isServerConfig(sc) : isClientConfig(sc)) what = `a ${role === 'client' ? 'server' : 'client'} config`;
  else if (typeof sc === 'object' && sc !== null && 'context' in sc) what = 'a node:tls SecureContext, which puretls cannot read (its certificates and keys live inside OpenSSL)';
  else what = 'not a puretls config';
  throw new TlsError('InvalidConfig', {
    detail: `secureContext is ${what}: build one with ${build}(options) from 'puretls/node' (same cert, key, ca ... options as tls.createSecureContext) and pass that`,
    source: 'caller',
  });
}

/**
 * TLS options (`names`) given, with a defined value, next to a prebuilt config, other than
 * `allowed`. Other keys are not ours (Node's `https` passes many) and are ignored, as Node does.
 */
function strayOptions(o: object, names: readonly string[], allowed: readonly string[]): string[] {
  return Object.entries(o)
    .filter(([k, v]) => v !== undefined && names.includes(k) && !allowed.includes(k))
    .map(([k]) => k);
}

const SOCKET_KEYS: readonly string[] = ['allowHalfOpen', 'handshakeTimeout', 'lingerTimeout', 'highWaterMark'];
/** Options of {@link connect} that say how to dial (given to `net.connect`), not how to speak TLS. */
const DIAL_KEYS: readonly string[] = ['host', 'port', 'path', 'socket', 'family', 'timeout', 'lookup', 'localAddress', 'localPort', 'hints', 'autoSelectFamily', 'autoSelectFamilyAttemptTimeout', 'noDelay', 'keepAlive', 'keepAliveInitialDelay'];
const PER_CONNECTION_KEYS: readonly string[] = ['servername', 'ALPNProtocols', 'keyShareGroups'];

/** The server config of `options`: its `secureContext`, else one built from its TLS options. */
function serverConfigOf(options: TlsServerOptions): ServerConfig {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'a server needs an options object', source: 'caller' });
  if (options.secureContext !== undefined) {
    requireConfig(options.secureContext, 'server');
    const stray = strayOptions(options, [...SERVER_OPTION_NAMES, ...NODE_TLS_OPTION_NAMES], []);
    if (stray.length > 0) {
      throw new TlsError('InvalidConfig', { detail: `${stray.join(', ')}: set when building the config (createServerConfig), not next to secureContext`, source: 'caller' });
    }
    return options.secureContext instanceof SecureContext ? options.secureContext.serverConfig() : options.secureContext;
  }
  const { allowHalfOpen: _a, handshakeTimeout: _h, lingerTimeout: _l, highWaterMark: _w, secureContext: _c, SNICallback: _s, noDelay: _n, keepAlive: _k, keepAliveInitialDelay: _d, ...tls } = options;
  const { role: _r, ...rest } = tls as ServerOptions & { role?: string };
  return createServerConfig(rest);
}

/** Most client configs {@link cachedClientConfig} keeps (least recently used dropped first). */
const CLIENT_CONFIG_CACHE_SIZE = 16;
const clientConfigCache = new Map<string, ClientConfig>();

/**
 * The key of client options made of plain data only (strings, numbers, booleans, null and
 * arrays of them: `ca` as PEM text, `cipherSuites`, `minVersion`, `crypto: 'native'` ...),
 * or null when any value is something else (a function, a provider object, a Buffer) or a
 * symbol key (test hooks) is present: such options are never shared.
 */
function plainOptionsKey(o: object): string | null {
  if (Object.getOwnPropertySymbols(o).length > 0) return null;
  // A passphrase is not kept as a cache key (nor is a key it opens, held as text next to it).
  if ((o as { passphrase?: unknown }).passphrase !== undefined) return null;
  const entries = Object.entries(o).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const plain = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  for (const [, v] of entries) {
    if (plain(v)) continue;
    if (Array.isArray(v) && v.every(plain)) continue;
    return null;
  }
  return JSON.stringify(entries);
}

/**
 * {@link createClientConfig} for {@link connect} / {@link upgrade} options, shared between
 * connections given equal plain-data options: a client that dials again and again with the
 * same `ca` text parses it once, and its idle connections share one config (configs are
 * immutable; issue 9: per-connection retained memory and parsing). Options holding
 * functions or objects build a config per connection, as before.
 */
function cachedClientConfig(o: NodeClientConfigOptions): ClientConfig {
  const key = plainOptionsKey(o);
  if (key === null) return createClientConfig(o);
  const hit = clientConfigCache.get(key);
  if (hit) {
    // Most recently used last.
    clientConfigCache.delete(key);
    clientConfigCache.set(key, hit);
    return hit;
  }
  const config = createClientConfig(o);
  clientConfigCache.set(key, config);
  if (clientConfigCache.size > CLIENT_CONFIG_CACHE_SIZE) {
    const oldest = clientConfigCache.keys().next();
    if (!oldest.done) clientConfigCache.delete(oldest.value);
  }
  return config;
}

/**
 * A client connection's config and its per-connection options, from {@link connect} or
 * {@link upgrade} options: `secureContext` if given (only per-connection, dialling and socket
 * options may accompany it), else the root-store config when no other TLS option is given,
 * else a config built from the options.
 */
function clientConfigOf(options: Omit<ConnectOptions, 'host' | 'port' | 'socket' | 'family'> & { role?: 'client' }, servername: string | undefined): { config: ClientConfig; per: ClientConnectionOptions } {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'connect needs an options object', source: 'caller' });
  options = fromNodeTlsOptions(options, 'client', CERT_SIGNATURE_SCHEMES);
  const { servername: _n, ALPNProtocols, keyShareGroups, secureContext, session: _s, sessionKey: _k, earlyData, retryEarlyData, ...shared } = options as typeof options & { session?: unknown; sessionKey?: unknown };
  const per: { -readonly [K in keyof ClientConnectionOptions]: ClientConnectionOptions[K] } = {};
  if (earlyData !== undefined) per.earlyData = earlyData;
  if (retryEarlyData !== undefined) per.retryEarlyData = retryEarlyData;
  if (servername !== undefined) per.servername = servername;
  // fromNodeTlsOptions turned every ALPN form into strings.
  if (ALPNProtocols !== undefined) per.ALPNProtocols = ALPNProtocols as readonly string[];
  if (keyShareGroups !== undefined) per.keyShareGroups = keyShareGroups;
  let config: ClientConfig;
  if (secureContext !== undefined) {
    requireConfig(secureContext, 'client');
    const stray = strayOptions(shared, [...CLIENT_OPTION_NAMES, ...NODE_TLS_OPTION_NAMES], PER_CONNECTION_KEYS);
    if (stray.length > 0) {
      throw new TlsError('InvalidConfig', { detail: `${stray.join(', ')}: set when building the config (createClientConfig), not next to secureContext`, source: 'caller' });
    }
    config = secureContext instanceof SecureContext ? secureContext.clientConfig() : secureContext;
  } else {
    const { allowHalfOpen: _a, handshakeTimeout: _h, lingerTimeout: _l, highWaterMark: _w, role: _r, ...tls } = shared as typeof shared & { host?: unknown; port?: unknown; socket?: unknown; family?: unknown };
    const rest: Record<string, unknown> = { ...tls };
    for (const k of DIAL_KEYS) delete rest[k];
    config = cachedClientConfig(rest as NodeClientConfigOptions);
  }
  const facts = clientConfigFacts(config);
  if (servername === undefined && !facts.nameOptional) {
    throw new TlsError('InvalidConfig', {
      detail:
        'no name to check the server certificate against: pass `servername` (or `host`), a `verifier`, or accept InvalidName explicitly (ignorableCertificateErrors or rejectUnauthorized: false)',
      source: 'caller',
    });
  }
  return { config, per };
}

/** A listener as `Duplex.on` takes it (the type of {@link TlsSocket.on}'s listener). */
export type SocketListener = Parameters<Duplex['on']>[1];

/** The slot of a transport socket that names the {@link TlsSocket} running over it. */
const OWNER: unique symbol = Symbol('puretls.tlsSocket');

/** A transport socket as our shared listeners see it (`this` in an EventEmitter listener). */
type OwnedSocket = Duplex & { [OWNER]?: TlsSocket };

/** Internal construction parameters of a {@link TlsSocket}. */
export interface TlsSocketInit {
  readonly allowHalfOpen: boolean;
  /** Called once the socket is connected and should start (client: after `net.connect`). */
  readonly dialing: boolean;
  /** Milliseconds for the handshake (0: no limit). */
  readonly handshakeTimeout: number;
  /** Milliseconds of lingering close (0: destroy at once). */
  readonly lingerTimeout: number;
  /** The readable side's high-water mark (Node's `highWaterMark`), when given. */
  readonly highWaterMark?: number;
  /**
   * A client that checks the server certificate against no name (allowed only with
   * InvalidName explicitly ignorable): never {@link TlsSocket.authorized}.
   */
  readonly unnamed?: boolean;
  /** Client: emit `'OCSPResponse'` before `'secureConnect'` (Node: only when `requestOCSP: true` was passed). */
  readonly ocspEvent?: boolean;
}

/** What {@link TlsSocket.getEphemeralKeyInfo} reports on a client (Node's shape; `'hybrid'` for the post-quantum groups). */
export interface EphemeralKeyInfo {
  readonly type: 'ECDH' | 'hybrid';
  /** Node's curve name for the classical groups, the IANA name for the hybrids. */
  readonly name: string;
  /** Key size in bits, as Node gives it (classical groups only). */
  readonly size?: number;
}

/** Node's names and sizes of the classical groups (`getEphemeralKeyInfo()`). */
const NODE_ECDH_NAMES: Readonly<Record<string, readonly [string, number]>> = { x25519: ['X25519', 253], secp256r1: ['prime256v1', 256], secp384r1: ['secp384r1', 384] };

/**
 * A TLS connection as a `stream.Duplex`, created by {@link connect}, {@link upgrade}
 * or a {@link TlsServer}.
 *
 * Events besides the Duplex ones: `'secureConnect'` and `'secure'` (both, in both
 * roles, once the handshake completed), `'connect'` (TCP connected, when dialled) and
 * `'timeout'` (forwarded from the socket), `'keylog'` (NSS lines, once a listener asks) and, on a
 * client connected with `requestOCSP: true`, `'OCSPResponse'` (the stapled DER response as a
 * Buffer, or `null` when none was stapled; once, before `'secureConnect'`, as Node; unlike Node
 * not when the handshake fails: the response was checked, see `info.certificateErrors`). TLS
 * and transport failures arrive as
 * `'error'` with a {@link TlsError}; data received before a failure is delivered first.
 * Transport EOF without close_notify is `TlsError('Truncated')` after the last byte
 * received, never a clean `'end'`. The peer's close_notify is `'end'`; see
 * {@link TlsSocketOptions} for what happens to our writable side then (`allowHalfOpen`).
 */
export class TlsSocket extends Duplex {
  /**
   * A read-only view of the engine behind this socket (`info`, `phase`, `error`, ...): the
   * socket's pump drives the engine, so nothing here can send, receive or change it.
   */
  readonly connection: ConnectionView;
  /** The engine itself, driven only by the pump. */
  private readonly engine: TlsConnection;
  /** True: this is an encrypted socket (as on Node's `TLSSocket`). */
  readonly encrypted = true;
  /** The transport under TLS (a `net.Socket`, or any Duplex given to `upgrade` / `connect({ socket })`). */
  private readonly transport: Duplex;
  private readonly pump: TlsPump;
  private pendingError: TlsError | null = null;
  /** The engine failed (not the transport): its alert, if any, is in the socket's buffer. */
  private tlsFailed = false;
  private dialing: boolean;
  private readonly unnamed: boolean;
  private readonly ocspEvent: boolean;
  private readonly lingerTimeout: number;
  private handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  /** Resolves at the socket's next 'drain' (or 'close'); shared by every send waiting for it. */
  private drained: Promise<void> | null = null;
  /**
   * The transport is a plain `net.Socket` (not a subclass, not another Duplex): a write it
   * completes synchronously has been copied to the kernel, so the bytes may be reused.
   */
  private readonly plainSocket: boolean;
  /** Client: the latest session the server gave, for `getSession()`. */
  private lastSession: ResumableSession | undefined;
  private lastSessionKey: Uint8Array | undefined;

  /**
   * What the pump calls: prototype methods over one reference to the socket, rather than
   * six closures per connection.
   */
  private static readonly PumpLink = class PumpLink implements PumpHandlers {
    private readonly t: TlsSocket;
    constructor(t: TlsSocket) {
      this.t = t;
    }
    send(bytes: Uint8Array): void | Promise<void> {
      return this.t.sendToSocket(bytes);
    }
    sendv(records: Uint8Array[]): void | Promise<void> {
      return this.t.sendManyToSocket(records);
    }
    deliver(data: Uint8Array): boolean {
      if (this.t.destroyed) return true;
      return this.t.push(toBuffer(data));
    }
    handshakeDone(): void {
      const t = this.t;
      t.clearHandshakeTimer();
      // Node's client 'OCSPResponse' (requestOCSP: true): the stapled DER response, or null
      // when the server stapled none; once, before 'secureConnect'.
      if (t.ocspEvent) {
        const r = t.engine.stapledOcspResponse;
        t.emit('OCSPResponse', r ? toBuffer(r) : null);
      }
      t.emit('secureConnect');
      t.emit('secure');
    }
    readEnded(): void {
      // The peer's close_notify: our readable side ends ('end'). Our writable side
      // follows Node's allowHalfOpen (the Duplex ends it after 'end' unless
      // allowHalfOpen), except in TLS 1.2 (see onReadableEnd).
      if (!this.t.destroyed) this.t.push(null);
    }
    error(err: TlsError): void {
      this.t.onTlsError(err);
    }
    inputDrained(): void {
      if (!this.t.transport.destroyed) this.t.transport.resume();
    }
  };

  /**
   * Our listeners on the transport socket, shared by every TlsSocket (they find theirs
   * through the socket's {@link OWNER} slot); removed when this TlsSocket is destroyed.
   */
  private static readonly SOCKET_LISTENERS: readonly (readonly [string, SocketListener])[] = [
    [
      'data',
      function onData(this: OwnedSocket, chunk: Buffer | string): void {
        const t = this[OWNER];
        if (!t) return;
        const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
        // A plain Uint8Array view, not the Buffer: Buffer's slice() is a view, so the engine's
        // copies (tickets, sessions, certificates) would keep the whole socket chunk alive.
        if (!t.pump.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))) this.pause();
      },
    ],
    [
      'end',
      function onEnd(this: OwnedSocket): void {
        this[OWNER]?.pump.eof();
      },
    ],
    [
      'error',
      function onError(this: OwnedSocket, e: unknown): void {
        this[OWNER]?.pump.fail(mapTransportError(e));
      },
    ],
    [
      'close',
      function onClose(this: OwnedSocket): void {
        this[OWNER]?.pump.eof();
      },
    ],
    [
      'timeout',
      function onTimeout(this: OwnedSocket): void {
        this[OWNER]?.emit('timeout');
      },
    ],
  ];

  /** Node's 'keylog' event: NSS key-log lines, each a Buffer ending in a newline, once a listener asks (no listener of our own per socket). */
  private enableKeylog(event: string | symbol): void {
    if (event === 'keylog' && this.engine.keyLogSink === null) this.engine.keyLogSink = (line) => this.emit('keylog', Buffer.from(`${line}\n`, 'latin1'));
  }

  override on(event: string | symbol, listener: SocketListener): this {
    this.enableKeylog(event);
    return super.on(event, listener);
  }

  override addListener(event: string | symbol, listener: SocketListener): this {
    this.enableKeylog(event);
    return super.addListener(event, listener);
  }

  override prependListener(event: string | symbol, listener: SocketListener): this {
    this.enableKeylog(event);
    return super.prependListener(event, listener);
  }

  /** Our readable side ended (the peer's close_notify): TLS 1.2 answers at once (see the constructor). */
  private static onReadableEnd(this: TlsSocket): void {
    process.nextTick(TlsSocket.endAfterPeer, this);
  }

  private static endAfterPeer(t: TlsSocket): void {
    if (t.engine.info.version === 'TLSv1.2' && !t.writableEnded && !t.destroyed) t.end();
  }

  /** @internal Use {@link connect}, {@link upgrade} or {@link createServer}. */
  constructor(socket: Duplex, connection: TlsConnection, init: TlsSocketInit) {
    if (!(connection instanceof TlsConnection)) {
      // Node's `new tls.TLSSocket(socket, options)`: refused by name (its client verifies nothing by default).
      throw new TlsError('InvalidConfig', { detail: 'new TLSSocket(socket, options) is not supported: use upgrade(socket, options) (either role, certificates checked) or connect({ socket, ... })', source: 'caller' });
    }
    super({ allowHalfOpen: init.allowHalfOpen, decodeStrings: true, emitClose: true, autoDestroy: true, ...(init.highWaterMark !== undefined ? { readableHighWaterMark: init.highWaterMark } : {}) });
    this.transport = socket;
    this.plainSocket = Object.getPrototypeOf(socket) === net.Socket.prototype;
    this.engine = connection;
    this.connection = new EngineView(connection);
    this.dialing = init.dialing;
    this.unnamed = init.unnamed === true;
    this.ocspEvent = init.ocspEvent === true;
    this.lingerTimeout = init.lingerTimeout;
    if (init.handshakeTimeout > 0) {
      const ms = init.handshakeTimeout;
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = null;
        if (!this.engine.handshakeComplete && !this.destroyed) {
          this.destroy(new TlsError('TimedOut', { detail: `handshake not completed within ${ms} ms`, source: 'transport' }));
        }
      }, ms);
      this.handshakeTimer.unref?.();
    }
    // Handlers and listeners are shared functions on prototypes, not closures per socket:
    // an idle connection keeps one small object for them (issue 9, idle memory).
    // transferInput: a socket's 'data' chunk is a fresh buffer per read that only we consume
    // (stream semantics: a chunk belongs to its reader), so whole records are taken without a copy.
    // defer: Writable reports a write done with process.nextTick; batched records are handed to
    // the socket on a tick queued before that one, so a write's callback never runs before its
    // bytes reach the socket (a callback that ends the socket would otherwise drop them).
    this.pump = new TlsPump(connection, new TlsSocket.PumpLink(this), { transferInput: true, defer: process.nextTick });
    (socket as OwnedSocket)[OWNER] = this;
    for (const [event, f] of TlsSocket.SOCKET_LISTENERS) socket.on(event, f);
    // TLS decides when each direction ends (close_notify), not TCP: the peer's FIN after its
    // close_notify must not end our writable side (net.Socket does that unless
    // allowHalfOpen), or a TLS 1.3 reply to a half-closed peer could never be sent.
    socket.allowHalfOpen = true;
    // RFC 5246 §7.2.1: in TLS 1.2 a close_notify is answered with close_notify "immediately"
    // and pending writes are discarded, so allowHalfOpen does not apply: end() after 'end'
    // (on the next tick, as the Duplex does, so writes made in 'end' listeners go first).
    // RFC 9846 §6.1 lifts that for TLS 1.3: close_notify closes one direction only.
    // 'end' is emitted once: `on` keeps no once-wrapper (bound function + state) per connection.
    this.on('end', TlsSocket.onReadableEnd);
    // A socket handed over paused (upgrade after a plaintext exchange) must flow again.
    socket.resume();
    if (init.dialing) {
      socket.once('connect', () => {
        this.dialing = false;
        this.emit('connect');
      });
    }
    void this.pump.start();
  }

  /** @internal The latest session the server gave (client), and the key to seal it with. */
  [NEW_SESSION](session: ResumableSession, key: Uint8Array | undefined): void {
    this.lastSession = session;
    this.lastSessionKey = key;
    if (this.listenerCount('session') > 0) this.emit('session', Buffer.from(serializeSession(session, key)));
  }

  /**
   * Node's `getSession()` (client): the latest session the server gave this connection,
   * sealed as for the `'session'` event (pass it as `session` to resume), or undefined before
   * any (a TLS 1.3 server sends its tickets after the handshake). Unlike Node, a resumed
   * connection does not hand back the session it used (tickets are single use, RFC 9846
   * §8.1): it has one only once the server sends a new ticket (puretls servers do; OpenSSL
   * sends none on a resumed TLS 1.3 connection).
   */
  getSession(): Buffer | undefined {
    return this.lastSession ? Buffer.from(serializeSession(this.lastSession, this.lastSessionKey)) : undefined;
  }

  /** Node's `isSessionReused()`: true when this connection was resumed (both roles). */
  isSessionReused(): boolean {
    return this.engine.info.resumed;
  }

  /** What was negotiated, and what was found about the peer's certificate. */
  get info(): ConnectionInfo {
    return this.engine.info;
  }

  /** The negotiated ALPN protocol, or `false` (Node's convention). */
  get alpnProtocol(): string | false {
    return this.engine.info.alpn ?? false;
  }

  /** The server name: sent in SNI (client) or received (server); undefined if none. */
  get servername(): string | undefined {
    return this.engine.info.serverName ?? undefined;
  }

  /**
   * True once the handshake completed, the peer presented a certificate and no
   * certificate error at all was found (Node's meaning: false when errors were accepted
   * through `rejectUnauthorized: false` or `ignorableCertificateErrors`, and on a server
   * whose client sent no certificate). Also false for a client that had no name to check
   * the certificate against (no `servername` or `host`, InvalidName accepted): a trusted
   * chain alone does not say whom it was issued to (RFC 9525 §6).
   */
  get authorized(): boolean {
    const i = this.engine.info;
    return this.engine.handshakeComplete && i.peerCertificate !== null && i.certificateErrors.length === 0 && !this.unnamed;
  }

  /**
   * Why {@link authorized} is false, as Node says it: OpenSSL's / Node's code for the most
   * serious certificate error found (`'CERT_HAS_EXPIRED'`, `'DEPTH_ZERO_SELF_SIGNED_CERT'`,
   * `'UNABLE_TO_VERIFY_LEAF_SIGNATURE'`, `'ERR_TLS_CERT_ALTNAME_INVALID'`, ...; see
   * {@link nodeAuthorizationCode}); `'UNABLE_TO_GET_ISSUER_CERT'` on a server whose client
   * sent no certificate; null when authorized or before any certificate was judged. Every
   * error found, with puretls's codes, is in {@link authorizationErrors}.
   */
  get authorizationError(): string | null {
    const codes = this.authorizationErrors;
    if (codes.length === 0) return null;
    if (codes[0] === 'NoPeerCertificate') return 'UNABLE_TO_GET_ISSUER_CERT';
    const i = this.engine.info;
    return nodeAuthorizationCode(i.certificateErrors.length > 0 ? i.certificateErrors : [{ code: 'InvalidName', index: 0, detail: '' }], i.peerCertificate, i.peerIntermediates);
  }

  /**
   * Why {@link authorized} is false, in puretls's codes: the distinct certificate error codes
   * found (accepted ones included, as in `info.certificateErrors`, plus `InvalidName` when a
   * client had no name to check), e.g. `['Expired', 'InvalidName']`; `['NoPeerCertificate']`
   * when the peer sent none (a server that asked without requiring); empty when authorized
   * or before any certificate was judged.
   */
  get authorizationErrors(): readonly string[] {
    const i = this.engine.info;
    const codes = new Set<string>(i.certificateErrors.map((e) => e.code));
    if (this.unnamed && i.peerCertificate !== null) codes.add('InvalidName');
    if (codes.size > 0) return [...codes];
    if (this.engine.handshakeComplete && i.peerCertificate === null) return ['NoPeerCertificate'];
    return [];
  }

  /** True while the TCP connection (when dialled) or the handshake is in progress. */
  get connecting(): boolean {
    return this.dialing || !this.engine.handshakeComplete;
  }

  /**
   * Resolves when the handshake completed; rejects with its error, or with the transport's
   * (a reset), the handshake timeout's or `destroy()`'s when it can no longer complete.
   */
  handshake(): Promise<void> {
    return this.pump.handshake();
  }

  /** The negotiated version (`'TLSv1.3'`, ...) or null before the handshake. */
  getProtocol(): string | null {
    return this.engine.handshakeComplete ? this.engine.info.version : null;
  }

  /**
   * The negotiated suite as Node gives it: `name` is OpenSSL's name
   * (`ECDHE-RSA-AES128-GCM-SHA256`; TLS 1.3 suites keep their IANA name, as in OpenSSL),
   * `standardName` the IANA name, `version` the protocol version of the suite.
   */
  getCipher(): { name: string; standardName: string; version: string } | null {
    const i = this.engine.info;
    if (!this.engine.handshakeComplete || !i.cipherSuite) return null;
    return { name: opensslSuiteName(i.cipherSuite), standardName: i.cipherSuite, version: i.version ?? '' };
  }

  /**
   * The peer's certificate in Node's shape (`X509Certificate.toLegacyObject()`: `subject` and
   * `issuer` objects, `subjectaltname`, `valid_from` / `valid_to`, `fingerprint`,
   * `fingerprint256`, `fingerprint512`, `serialNumber`, `raw`, `pubkey`, `bits` / `modulus` /
   * `exponent` or `asn1Curve` / `nistCurve`, `ext_key_usage`, `infoAccess`), `{}` when the
   * peer sent none, as Node. With `detailed`, each certificate links its issuer as
   * `issuerCertificate`, through the intermediates the peer sent (a self-issued one links
   * itself, as in Node); unlike Node the chain ends at the last certificate sent (the trust
   * anchor is not appended). Also after a failed handshake, for the certificate refused.
   */
  getPeerCertificate(detailed = false): PeerCertificate | Record<string, never> {
    const i = this.engine.info;
    if (!i.peerCertificate) return {};
    return nodePeerCertificate(i.peerCertificate, detailed ? i.peerIntermediates : null) ?? {};
  }

  /**
   * The certificate this side presents, in the shape of {@link getPeerCertificate} (Node's
   * `getCertificate()`): a server's identity chosen for this connection, a client's own
   * certificate (also when the server did not ask for it, as Node). `{}` without one, and
   * `null` once the socket is destroyed, as Node (whose handle is gone then).
   */
  getCertificate(): PeerCertificate | Record<string, never> | null {
    if (this.destroyed) return null;
    const der = this.engine.localCertificate;
    return der ? (nodePeerCertificate(der, null) ?? {}) : {};
  }

  /** The certificate this side presents as a `node:crypto` `X509Certificate` (Node's `getX509Certificate()`); undefined without one or once destroyed, as Node. */
  getX509Certificate(): X509Certificate | undefined {
    if (this.destroyed) return undefined;
    const der = this.engine.localCertificate;
    if (!der) return undefined;
    try {
      return new X509Certificate(der);
    } catch {
      return undefined;
    }
  }

  /** The peer's certificate as a `node:crypto` `X509Certificate`, or undefined when it sent none (Node's `getPeerX509Certificate()`). */
  getPeerX509Certificate(): X509Certificate | undefined {
    const der = this.engine.info.peerCertificate;
    if (!der) return undefined;
    try {
      return new X509Certificate(der);
    } catch {
      return undefined;
    }
  }

  /**
   * Node's `destroySoon()`: ends the writable side (our close_notify after what was written)
   * and destroys the socket once that is sent. An `https` / `http` agent calls it on a
   * keep-alive socket it gives up.
   */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** Bytes received from the transport (ciphertext), as Node's `bytesRead` (0 for a transport that does not count). */
  get bytesRead(): number {
    return (this.transport as Partial<net.Socket>).bytesRead ?? 0;
  }

  /** Bytes handed to the transport (ciphertext), as Node's `bytesWritten`. */
  get bytesWritten(): number {
    return (this.transport as Partial<net.Socket>).bytesWritten ?? 0;
  }

  /** Node's `readyState`: `'opening'` while TCP connects, then `'open'`, `'readOnly'`, `'writeOnly'` or `'closed'`. */
  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.dialing && !this.destroyed) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    if (this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Address family of the underlying socket (`'IPv4'` / `'IPv6'`). */
  get remoteFamily(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.remoteFamily : undefined;
  }

  /**
   * Sends a KeyUpdate (TLS 1.3) and resolves once it was handed to the socket.
   * @param requestPeer - also ask the peer to update its keys (default false, as everywhere in puretls)
   */
  keyUpdate(requestPeer = false): Promise<void> {
    return this.pump.keyUpdate(requestPeer);
  }

  /**
   * Keying material exporter (RFC 5705 / RFC 9846 §7.5), with Node's argument order
   * `(length, label, context)`; the core's `TlsConnection.exportKeyingMaterial` takes the
   * RFCs' `(label, context, length)`.
   * @param length - bytes wanted
   * @param label - the exporter label
   * @param context - optional context (absent and empty differ in TLS 1.2 only)
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Buffer {
    return toBuffer(this.engine.exportKeyingMaterial(label, context ?? null, length));
  }

  /**
   * Node's `getEphemeralKeyInfo()`: on a client after the handshake, the key exchange group
   * as Node names it: `{ type: 'ECDH', name: 'X25519' | 'prime256v1' | 'secp384r1', size }`
   * (bits: 253, 256, 384); for the post-quantum hybrids `{ type: 'hybrid', name }` with the
   * IANA name (`'X25519MLKEM768'`, ...). `{}` on a server and before the handshake, `null`
   * once the socket is destroyed, as Node.
   */
  getEphemeralKeyInfo(): EphemeralKeyInfo | Record<string, never> | null {
    if (this.destroyed) return null;
    if (this.engine.role !== 'client' || !this.engine.handshakeComplete) return {};
    const g = this.engine.info.group;
    if (g === null) return {};
    const ecdh = NODE_ECDH_NAMES[g];
    return ecdh ? { type: 'ECDH', name: ecdh[0], size: ecdh[1] } : { type: 'hybrid', name: g };
  }

  /**
   * Node's `renegotiate()`: puretls never renegotiates (TLS 1.3 has no renegotiation,
   * RFC 9846 §4.1; for TLS 1.2 it is refused, RFC 5746 allowing that). Returns false and
   * calls `callback` (on a later tick) with `TlsError('NoRenegotiation')`, as Node does
   * when OpenSSL refuses (`ERR_SSL_WRONG_SSL_VERSION` on TLS 1.3). The connection goes on.
   */
  renegotiate(_options: object, callback?: (err: Error | null) => void): boolean {
    if (typeof callback === 'function') {
      const err = new TlsError('NoRenegotiation', { detail: 'puretls does not renegotiate (TLS 1.3 has no renegotiation; for TLS 1.2 it is refused): open a new connection' });
      process.nextTick(callback, err);
    }
    return false;
  }

  /** Node's `disableRenegotiation()`: a no-op, puretls never renegotiates (a peer's request gets a no_renegotiation warning or is refused, RFC 5746 §4.4). */
  disableRenegotiation(): void {}

  /** Passed to the underlying `net.Socket` (no-op for other transports). */
  setNoDelay(noDelay = true): this {
    if (this.transport instanceof net.Socket) this.transport.setNoDelay(noDelay);
    return this;
  }

  /** Passed to the underlying `net.Socket` (no-op for other transports). */
  setKeepAlive(enable = false, initialDelay = 0): this {
    if (this.transport instanceof net.Socket) this.transport.setKeepAlive(enable, initialDelay);
    return this;
  }

  /** Passed to the underlying `net.Socket`; `'timeout'` is re-emitted here. */
  setTimeout(ms: number, callback?: () => void): this {
    if (this.transport instanceof net.Socket) this.transport.setTimeout(ms);
    if (callback) this.once('timeout', callback);
    return this;
  }

  /** Passed to the underlying `net.Socket`. */
  ref(): this {
    if (this.transport instanceof net.Socket) this.transport.ref();
    return this;
  }

  /** Passed to the underlying `net.Socket`. */
  unref(): this {
    if (this.transport instanceof net.Socket) this.transport.unref();
    return this;
  }

  /** The local address of the underlying socket. */
  address(): net.AddressInfo | Record<string, never> {
    return this.transport instanceof net.Socket ? this.transport.address() : {};
  }

  /** Remote address of the underlying socket. */
  get remoteAddress(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.remoteAddress : undefined;
  }

  /** Remote port of the underlying socket. */
  get remotePort(): number | undefined {
    return this.transport instanceof net.Socket ? this.transport.remotePort : undefined;
  }

  /** Local address of the underlying socket. */
  get localAddress(): string | undefined {
    return this.transport instanceof net.Socket ? this.transport.localAddress : undefined;
  }

  /** Local port of the underlying socket. */
  get localPort(): number | undefined {
    return this.transport instanceof net.Socket ? this.transport.localPort : undefined;
  }

  // ------------------------------------------------------------ Duplex plumbing

  /**
   * Node's `Readable.read`; also used by flowing mode. Once a pending failure's data has
   * all been read, the error is emitted (`_read` alone would not say so: Node stops
   * calling it after the last push).
   */
  override read(size?: number): ReturnType<Duplex['read']> {
    const r: unknown = super.read(size);
    if (this.pendingError && this.readableLength === 0) setImmediate(() => this.flushPendingError());
    return r;
  }

  override _read(): void {
    this.pump.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // No promise per write when the record is sealed and the socket takes it at once (bulk data).
    let p: Promise<void> | undefined;
    try {
      p = this.pump.writeNow(chunk);
    } catch (e) {
      callback(mapTransportError(e));
      return;
    }
    if (p === undefined) {
      callback();
      return;
    }
    p.then(
      () => callback(),
      (e: unknown) => callback(mapTransportError(e)),
    );
  }

  override _writev(chunks: { chunk: Buffer; encoding: BufferEncoding }[], callback: (error?: Error | null) => void): void {
    this.pump.write(concatChunks(chunks.map((c) => c.chunk))).then(
      () => callback(),
      (e: unknown) => callback(mapTransportError(e)),
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    const finish = async (): Promise<void> => {
      // close_notify goes after the handshake (and after every write before end()).
      // The pump's wait: rejects too when the transport failed or the socket was destroyed.
      if (!this.engine.handshakeComplete) await this.pump.handshake();
      await this.pump.close();
      if (!this.transport.destroyed && !this.transport.writableEnded) this.transport.end();
    };
    finish().then(
      () => callback(),
      (e: unknown) => callback(mapTransportError(e)),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.clearHandshakeTimer();
    // A write or end() still waiting for the handshake is called back now, with this error:
    // the handshake will never complete (Node's Writable calls back the writes it buffered
    // behind it only once that one has been).
    // The error is made only if something waits for it: an Error's stack trace costs tens of
    // µs, and a destroy() after a completed handshake usually has no one to tell (issue 9).
    this.pump.abort(error instanceof TlsError ? error : () => (error !== null ? mapTransportError(error) : new TlsError('Closed', { detail: 'socket destroyed', source: 'caller' })));
    const s = this.transport;
    // The socket is ours to close now: stop feeding the engine (a lingering close discards input).
    const owned = s as OwnedSocket;
    if (owned[OWNER] === this) {
      for (const [event, f] of TlsSocket.SOCKET_LISTENERS) s.off(event, f);
      delete owned[OWNER];
    }
    // A late socket error (after a reset) must not go unhandled.
    s.on('error', ignoreError);
    if (!s.destroyed) {
      const c = this.engine;
      if (this.tlsFailed) {
        // RFC 9846 §6.2 / RFC 5246 §7.2.2: our fatal alert is the last thing we send; let the peer read it.
        lingeringClose(s, this.lingerTimeout, false);
      } else if (this.writableFinished) {
        // Our close_notify went out; the peer may still be sending unless it closed too.
        lingeringClose(s, this.lingerTimeout, c.phase === 'closed' && c.error === null);
      } else {
        // Destroyed by the application (or the handshake timeout) before closing: abort. What is
        // sealed already goes first (writes batched for the end of this task), as node:tls's
        // writes, which reach the kernel at once, would have.
        if (error === null && c.sealing) {
          // Writes already reported done whose records an async AEAD is still sealing
          // (TlsPump.writeNow seals ahead) go out once sealed; a provider that never settles
          // holds the socket no longer than the linger timeout.
          const timer = setTimeout(() => s.destroy(), this.lingerTimeout);
          timer.unref?.();
          void c.settled().then(() => {
            clearTimeout(timer);
            this.pump.sendSealed();
            s.destroy();
          });
        } else {
          if (error === null) this.pump.sendSealed();
          s.destroy();
        }
      }
    }
    callback(error);
  }

  // ------------------------------------------------------------ internals

  private sendToSocket(bytes: Uint8Array): void | Promise<void> {
    const s = this.transport;
    if (s.destroyed || s.writableEnded) return;
    // A full record (16 KiB + 22) is above the socket's default 16 KiB high-water mark, so
    // write() returns false for every bulk record even when the kernel took it at once:
    // waiting for 'drain' then costs a tick and two listeners per record. Wait only while
    // more than SEND_HIGH_WATER is really queued in the socket (back-pressure stays bounded).
    const ok = s.write(bytes);
    // Nothing queued: the kernel took the bytes whole, synchronously (a plain net.Socket
    // keeps no reference then), so the engine may reuse their buffer (issue 9, bulk).
    if (this.plainSocket && s.writableLength === 0) this.engine.releaseOutput(bytes);
    if (ok || s.writableLength <= SEND_HIGH_WATER) return;
    return this.socketDrained();
  }

  /** Several records in one gathered write (cork, write each, uncork: one writev), as {@link sendToSocket}. */
  private sendManyToSocket(records: Uint8Array[]): void | Promise<void> {
    const s = this.transport;
    if (s.destroyed || s.writableEnded) return;
    s.cork();
    let ok = true;
    for (const r of records) ok = s.write(r);
    s.uncork();
    if (this.plainSocket && s.writableLength === 0) for (const r of records) this.engine.releaseOutput(r);
    if (ok || s.writableLength <= SEND_HIGH_WATER) return;
    return this.socketDrained();
  }

  /** Resolves at the socket's next 'drain' (or 'close'); one promise shared by every send waiting. */
  private socketDrained(): Promise<void> {
    const s = this.transport;
    return (this.drained ??= new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        this.drained = null;
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    }));
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
  }

  private onTlsError(err: TlsError): void {
    // A transport failure leaves nothing to deliver to the peer: no lingering close then.
    if (err.source !== 'transport') this.tlsFailed = true;
    if (this.destroyed) return;
    if (this.readableLength === 0) {
      this.destroy(err);
      return;
    }
    // Data received before the failure is still buffered: the reader takes it first and
    // the error follows (as 'end' would), see read().
    this.pendingError = err;
    setImmediate(() => this.flushPendingError());
  }

  private flushPendingError(): void {
    const err = this.pendingError;
    if (!err || this.destroyed) return;
    if (this.readableLength === 0) {
      this.pendingError = null;
      this.destroy(err);
    }
  }
}

function ignoreError(): void {
  // see TlsSocket._destroy
}

/**
 * Closes the transport after TLS is done with it, so that the peer can read what we sent
 * last (a fatal alert, or our close_notify). Our side is half-closed (`end()`: FIN after
 * the last bytes), and the peer's input is read and thrown away until it closes its side,
 * at most `ms` milliseconds and {@link LINGER_MAX_BYTES} bytes; then the socket is
 * destroyed. Destroying at once instead would make the kernel answer the peer's next bytes
 * with a reset, which can discard our alert before the peer reads it (the problem HTTP's
 * lingering close solves, RFC 9112 §9.6). No TLS record is processed meanwhile (RFC 9846
 * §6.2: after a fatal alert the connection is closed).
 *
 * @param peerDone - the peer already closed (close_notify both ways): destroy as soon as
 *   our last bytes were handed to the kernel
 */
function lingeringClose(s: Duplex, ms: number, peerDone: boolean): void {
  if (ms <= 0) {
    s.destroy();
    return;
  }
  let discarded = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const done = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    s.off('data', onData);
    if (!s.destroyed) s.destroy();
  };
  const onData = (chunk: Buffer | string): void => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) done();
  };
  const check = (): void => {
    if (s.writableFinished && (peerDone || s.readableEnded)) done();
  };
  timer = setTimeout(done, ms);
  timer.unref?.();
  s.on('data', onData);
  s.once('end', check);
  s.once('finish', check);
  s.once('error', done);
  s.once('close', () => {
    if (timer) clearTimeout(timer);
    timer = null;
  });
  if (!s.writableEnded) s.end();
  // Paused by back-pressure before the failure: read again, to discard.
  s.resume();
  check();
}

/**
 * Opens a TLS connection, like `tls.connect`: returns the {@link TlsSocket} at once and
 * calls `onSecureConnect` after the handshake (`'secureConnect'`). Failures (transport
 * or TLS) arrive as `'error'` with a {@link TlsError}.
 *
 * The name validated against the certificate is `servername`, else `host` (Node's
 * rule; when dialling, `host` defaults to `'localhost'`); an IP literal is validated
 * against the certificate's IP addresses and never sent as SNI. Over a given `socket`
 * with neither `servername` nor `host` there is no name, and `connect` throws
 * `InvalidConfig` unless `InvalidName` is explicitly ignorable (or a `verifier` is given):
 * a chain that is merely trusted says nothing about whom it was issued to.
 *
 * @throws TlsError('InvalidConfig') synchronously for invalid options, or a client without a name
 * @example
 * ```ts
 * const s = connect({ host: 'example.com', port: 443, ALPNProtocols: ['http/1.1'] }, () => {
 *   console.log(s.info.version, s.alpnProtocol);
 * });
 * ```
 */
/**
 * Node's session API for one client connection: the `session` option opened (refused with
 * `SessionRejected` if it does not authenticate) and offered through `per.session`, and each
 * new session handed to the socket (`'session'` event, `getSession()`) through `per.onSession`.
 */
class SessionRelay {
  socket: TlsSocket | undefined;
  readonly key: Uint8Array | undefined;
  constructor(key: Uint8Array | undefined) {
    this.key = key;
  }
  deliver(session: ResumableSession): void {
    this.socket?.[NEW_SESSION](session, this.key);
  }
}

function sessionRelay(options: { session?: Uint8Array; sessionKey?: Uint8Array }, per: { -readonly [K in keyof ClientConnectionOptions]: ClientConnectionOptions[K] }): SessionRelay {
  const key = options.sessionKey;
  if (key !== undefined && (!(key instanceof Uint8Array) || key.length !== SESSION_KEY_LENGTH)) {
    throw new TlsError('InvalidConfig', { detail: `sessionKey must be ${SESSION_KEY_LENGTH} bytes`, source: 'caller' });
  }
  const relay = new SessionRelay(key);
  if (options.session !== undefined) per.session = deserializeSession(options.session, key);
  per.onSession = (s) => relay.deliver(s);
  return relay;
}

export function connect(options: ConnectOptions, onSecureConnect?: () => void): TlsSocket {
  // Dialling without a host goes to localhost (as net.connect); over a given socket there is no default.
  const host = options.host ?? (options.socket ? undefined : 'localhost');
  // The name to validate: `servername`, else `host` (Node's rule). For an IP literal it is
  // checked against the certificate's IP addresses but not sent as SNI (RFC 6066 §3; the
  // engine omits IP literals from server_name). Without either, nodeClientOptions refuses
  // (unless InvalidName is explicitly ignorable): RFC 9525 §6 needs a reference identity.
  const servername = serverIdentityName(options.servername, host);
  const settings = socketSettings(options, 'client');
  // proxy / refusePrivateAddresses / lookup are about dialling (./node-dial.ts), not TLS.
  const { config, per } = clientConfigOf(withoutDialOptions(options), servername);
  const relay = sessionRelay(options, per);
  const conn = TlsConnection.client(config, per);
  let socket: Duplex;
  let dialing = false;
  if (options.socket) {
    if (options.proxy !== undefined || options.refusePrivateAddresses === true) throw new TlsError('InvalidConfig', { detail: 'proxy and refusePrivateAddresses apply to connections puretls dials, not to a given socket', source: 'caller' });
    socket = options.socket;
  } else {
    const netOpts = dialOptions(options, host ?? 'localhost');
    if ('path' in netOpts) {
      if (options.proxy !== undefined || options.refusePrivateAddresses === true) throw new TlsError('InvalidConfig', { detail: 'proxy and refusePrivateAddresses apply to TCP connections, not to a Unix socket path', source: 'caller' });
      socket = net.connect(netOpts);
    } else {
      // Straight connections get every net option; through a proxy or under the address
      // policy node-dial.ts dials (host, port, family, lookup).
      socket = dialNode(netOpts, options);
    }
    dialing = true;
  }
  const tls = new TlsSocket(socket, conn, { ...settings, dialing, unnamed: servername === undefined && !clientConfigFacts(config).customVerifier, ocspEvent: options.requestOCSP === true });
  relay.socket = tls;
  // Node's tls.connect: `timeout` applies to a socket it dials itself.
  if (dialing && options.timeout !== undefined && options.timeout !== 0) tls.setTimeout(options.timeout);
  if (onSecureConnect) tls.once('secureConnect', onSecureConnect);
  return tls;
}

/**
 * The `net.connect` options of a {@link connect} call: `path` (a Unix socket) or
 * `host:port`, with the dialling options Node passes on.
 * @throws TlsError('InvalidConfig') without a port or path, or for a bad `timeout`
 */
function dialOptions(options: ConnectOptions, host: string): net.IpcNetConnectOpts | (net.TcpNetConnectOpts & { host: string; port: number }) {
  if (options.timeout !== undefined && (typeof options.timeout !== 'number' || !(options.timeout >= 0))) {
    throw new TlsError('InvalidConfig', { detail: 'timeout must be a non-negative number of milliseconds', source: 'caller' });
  }
  const common = { allowHalfOpen: true } as const;
  if (typeof options.path === 'string' && options.path !== '') return { ...common, path: options.path };
  if (options.port === undefined) throw new TlsError('InvalidConfig', { detail: 'connect needs a port (or a path, or a socket)', source: 'caller' });
  const o: net.TcpNetConnectOpts & { host: string; port: number } = { ...common, host, port: options.port };
  if (options.family !== undefined) o.family = options.family;
  if (options.localAddress !== undefined) o.localAddress = options.localAddress;
  if (options.localPort !== undefined) o.localPort = options.localPort;
  if (options.hints !== undefined) o.hints = options.hints;
  if (options.autoSelectFamily !== undefined) o.autoSelectFamily = options.autoSelectFamily;
  if (options.autoSelectFamilyAttemptTimeout !== undefined) o.autoSelectFamilyAttemptTimeout = options.autoSelectFamilyAttemptTimeout;
  if (options.noDelay !== undefined) o.noDelay = options.noDelay;
  if (options.keepAlive !== undefined) o.keepAlive = options.keepAlive;
  if (options.keepAliveInitialDelay !== undefined) o.keepAliveInitialDelay = options.keepAliveInitialDelay;
  return o;
}

/**
 * Runs TLS over an already-open plaintext socket (after STARTTLS, a Postgres SSLRequest,
 * ...), as a client (default) or a server (`role: 'server'`). For a client, the name to
 * validate is `servername` (it may differ from the address dialled); without it `upgrade`
 * throws `InvalidConfig`, unless `InvalidName` is explicitly ignorable or a `verifier` is given.
 *
 * Remove your own `'data'` listeners from `socket` first: from now on its bytes are TLS.
 *
 * @throws TlsError('InvalidConfig') synchronously for invalid options, or a client without a name
 */
export function upgrade(socket: Duplex, options: UpgradeOptions): TlsSocket {
  if (options.role === 'server') {
    // What acts when a net.Server accepts has no meaning over a socket that is already open: refused, not ignored.
    const serverOnly = (['SNICallback', 'noDelay', 'keepAlive', 'keepAliveInitialDelay'] as const).filter((k) => options[k] !== undefined);
    if (serverOnly.length > 0) {
      throw new TlsError('InvalidConfig', { detail: `${serverOnly.join(', ')}: createServer options; for upgrade choose the config yourself (secureContext) and set socket options on the socket`, source: 'caller' });
    }
    const settings = socketSettings(options, 'server');
    const conn = TlsConnection.server(serverConfigOf(options));
    return new TlsSocket(socket, conn, { ...settings, dialing: false });
  }
  const settings = socketSettings(options, 'client');
  const servername = serverIdentityName(options.servername, undefined);
  const { config, per } = clientConfigOf(options, servername);
  const relay = sessionRelay(options, per);
  const conn = TlsConnection.client(config, per);
  const tls = new TlsSocket(socket, conn, { ...settings, dialing: false, unnamed: servername === undefined && !clientConfigFacts(config).customVerifier, ocspEvent: options.requestOCSP === true });
  relay.socket = tls;
  return tls;
}

/**
 * A TLS server: a `net.Server` whose `'secureConnection'` event gives each
 * {@link TlsSocket} once its handshake completed. A failed handshake emits
 * `'tlsClientError'` with the {@link TlsError} and the socket (already destroyed).
 */
export class TlsServer extends net.Server {
  /** The config new connections are accepted with (replaced by {@link TlsServer.setSecureContext}). */
  private config: ServerConfig;
  private readonly settings: ReturnType<typeof socketSettings>;
  /** Node's `SNICallback`, if given. */
  private readonly sniCallback: TlsServerOptions['SNICallback'];
  /** The contexts of {@link TlsServer.addContext}, latest last. */
  private readonly contexts: { pattern: RegExp; config: ServerConfig }[] = [];

  /** @internal Use {@link createServer}. */
  constructor(options: TlsServerOptions, onConnection?: (socket: TlsSocket) => void) {
    const netOptions: net.ServerOpts = { allowHalfOpen: true };
    if (typeof options === 'object' && options !== null) {
      if (options.noDelay !== undefined) netOptions.noDelay = options.noDelay;
      if (options.keepAlive !== undefined) netOptions.keepAlive = options.keepAlive;
      if (options.keepAliveInitialDelay !== undefined) netOptions.keepAliveInitialDelay = options.keepAliveInitialDelay;
    }
    super(netOptions);
    this.settings = socketSettings(options, 'server');
    if (options.SNICallback !== undefined && typeof options.SNICallback !== 'function') {
      throw new TlsError('InvalidConfig', { detail: 'SNICallback must be a function (servername, callback)', source: 'caller' });
    }
    this.sniCallback = options.SNICallback;
    // Built once, synchronously: a bad certificate, key or option fails here, not per client,
    // and accepting a connection parses nothing (issue 9 item 1).
    this.config = serverConfigOf(options);
    if (onConnection) this.on('secureConnection', onConnection);
    this.on('connection', (raw: net.Socket) => this.accept(raw));
  }

  /** The config connections are accepted with now. */
  get secureContext(): ServerConfig {
    return this.config;
  }

  /**
   * Replaces the identities and TLS options for connections accepted from now on (Node's
   * `server.setSecureContext`; certificate rotation): `options` are server TLS options (built
   * into a config here, with Node's semantics, see {@link createServerConfig}), or
   * `{ secureContext: config }`, or a {@link ServerConfig}. Connections accepted before keep
   * the config they started with. The socket options (`handshakeTimeout`, ...) stay as given
   * to {@link createServer}.
   *
   * @throws TlsError('InvalidConfig') for invalid options; the current config then stays in use
   */
  setSecureContext(options: NodeServerConfigOptions | { secureContext: ServerConfig | SecureContext } | ServerConfig | SecureContext): void {
    if (options instanceof SecureContext) {
      this.config = options.serverConfig();
      return;
    }
    if (isServerConfig(options)) {
      this.config = options;
      return;
    }
    const socketKeys = typeof options === 'object' && options !== null ? Object.entries(options).filter(([k, v]) => v !== undefined && SOCKET_KEYS.includes(k)) : [];
    if (socketKeys.length > 0) {
      throw new TlsError('InvalidConfig', { detail: `${socketKeys.map(([k]) => k).join(', ')}: socket options are set in createServer, not setSecureContext`, source: 'caller' });
    }
    // As in Node, the ticket keys survive a change of certificates unless new ones are given:
    // clients holding tickets keep resuming. So does the 0-RTT replay register, also when
    // ticket keys are given (often the same ones again, shared with a fleet): a config that
    // opens the same tickets must refuse the same replays (RFC 9846 §8), and a register that
    // outlives its tickets only costs the memory it is bounded by.
    const o = options as TlsServerOptions;
    const keep =
      o.secureContext !== undefined
        ? o
        : {
            ...o,
            ticketKeys: o.ticketKeys ?? serverConfigTicketKeys(this.config).exportTicketKeys(),
            replayRegister: o.replayRegister ?? serverConfigReplayRegister(this.config),
          };
    this.config = serverConfigOf(keep);
  }

  /**
   * Node's `server.getTicketKeys()`: the current session ticket key, 48 bytes (key name ‖
   * secret). Secret: whoever has it can open every ticket. Give the same bytes to every
   * server of a fleet (`ticketKeys` option or {@link TlsServer.setTicketKeys}) so that any of
   * them resumes the sessions of the others.
   */
  getTicketKeys(): Buffer {
    return Buffer.from(serverConfigTicketKeys(this.config).exportNodeTicketKeys());
  }

  /**
   * Node's `server.setTicketKeys(keys)`: replaces the ticket keys (48 bytes, as
   * {@link TlsServer.getTicketKeys} gives them) of the current config; tickets sealed under
   * the old keys no longer open (those clients get a full handshake).
   * @throws TlsError('InvalidConfig') unless `keys` is 48 bytes
   */
  setTicketKeys(keys: Uint8Array): void {
    if (!(keys instanceof Uint8Array) || keys.length !== 48) throw new TlsError('InvalidConfig', { detail: 'ticket keys must be 48 bytes', source: 'caller' });
    serverConfigTicketKeys(this.config).setTicketKeys(keys);
  }

  /**
   * Node's `server.addContext(hostname, context)`: connections whose ClientHello names a
   * server matching `hostname` (`*` matches within one label, case-insensitive; the latest
   * added match wins) are served with `context` (a {@link SecureContext}, a
   * {@link ServerConfig}, or server options, built here) instead of the server's own.
   * Not used when an `SNICallback` was given (as in Node).
   * @throws TlsError('InvalidConfig') for a bad name or context
   */
  addContext(hostname: string, context: SniContext): void {
    if (typeof hostname !== 'string' || hostname === '') throw new TlsError('InvalidConfig', { detail: 'addContext needs a host name', source: 'caller' });
    this.contexts.push({ pattern: contextPattern(hostname), config: configOfContext(context) });
  }

  private accept(raw: net.Socket): void {
    if (this.sniCallback === undefined && this.contexts.length === 0) {
      this.start(raw, this.config);
      return;
    }
    const initial = this.config;
    const timeout = this.settings.handshakeTimeout;
    const started = Date.now();
    // The name the configuration was chosen for (null: none was read, the default served).
    let peeked: string | null = null;
    const choose = async (): Promise<ServerConfig | null> => {
      const name = await peekServerName(raw, timeout);
      peeked = name;
      if (raw.destroyed) return null;
      // The handshake timeout covers the SNICallback too (node-sni.ts).
      return name === null ? initial : withinHandshakeTime(this.configFor(name, initial), raw, timeout > 0 ? timeout - (Date.now() - started) : null, mapTransportError);
    };
    choose().then(
      (config) => {
        // What is left of the handshake timeout, not a new one (a slow client must not get two).
        if (config && !raw.destroyed) this.start(raw, config, timeout > 0 ? Math.max(1, timeout - (Date.now() - started)) : 0, peeked);
      },
      (e: unknown) => {
        // As Node: an SNICallback error (or a client gone, or the timeout) ends the connection.
        raw.destroy();
        this.emit('tlsClientError', e instanceof Error ? e : mapTransportError(e), null);
      },
    );
  }

  /** The config for a ClientHello naming `name`: the SNICallback's answer, else the latest matching context, else `fallback`. */
  private async configFor(name: string, fallback: ServerConfig): Promise<ServerConfig> {
    const cb = this.sniCallback;
    if (cb === undefined) {
      for (let i = this.contexts.length - 1; i >= 0; i--) if (this.contexts[i]!.pattern.test(name)) return this.contexts[i]!.config;
      return fallback;
    }
    const answer = await new Promise<SniContext | null | undefined>((resolve, reject) => {
      const callback = (err: Error | null, ctx?: SniContext | null): void => (err ? reject(err) : resolve(ctx));
      try {
        const r = cb(name, callback);
        if (r !== undefined && r !== null && typeof (r as Promise<unknown>).then === 'function') (r as Promise<SniContext | null | undefined>).then(resolve, reject);
      } catch (e) {
        reject(e);
      }
    });
    return answer === undefined || answer === null ? fallback : configOfContext(answer);
  }

  /**
   * @param peeked - with SNICallback/addContext: the name the SNI peek read and `config` was
   *   chosen for (null: no name read, the default config). The peek is a second, lenient
   *   ClientHello parser (it gives up on a hello over its size limit, for one): a handshake
   *   whose ClientHello the engine read with another name is refused before the application
   *   sees it, so that a name the peek missed never gets a host's name with the default's policy.
   */
  private start(raw: net.Socket, config: ServerConfig, handshakeTimeout = this.settings.handshakeTimeout, peeked?: string | null): void {
    let conn: TlsConnection;
    try {
      conn = TlsConnection.server(config);
    } catch (e) {
      raw.destroy();
      this.emit('tlsClientError', mapTransportError(e), null);
      return;
    }
    // Node's server 'keylog' event (line, socket), when someone listens.
    let tls: TlsSocket | undefined;
    if (this.listenerCount('keylog') > 0) conn.keyLogSink = (line) => this.emit('keylog', Buffer.from(`${line}\n`, 'latin1'), tls);
    // The handshake timeout (TimedOut) arrives as 'error', hence as 'tlsClientError'.
    tls = new TlsSocket(raw, conn, { ...this.settings, handshakeTimeout, dialing: false });
    const socket = tls;
    const onError = (err: Error): void => {
      this.emit('tlsClientError', mapTransportError(err), socket);
    };
    socket.on('error', onError);
    socket.once('secure', () => {
      socket.off('error', onError);
      if (peeked !== undefined && (socket.servername?.toLowerCase() ?? null) !== (peeked?.toLowerCase() ?? null)) {
        socket.on('error', ignoreError);
        socket.destroy();
        this.emit('tlsClientError', new TlsError('IllegalParameter', { detail: `the ClientHello names ${JSON.stringify(socket.servername ?? null)}, but the SNI peek read ${JSON.stringify(peeked)}: the configuration was chosen for another name` }), socket);
        return;
      }
      // A socket nobody listens to must not crash the process with an unhandled 'error'.
      if (this.listenerCount('secureConnection') === 0) socket.destroy();
      else this.emit('secureConnection', socket);
    });
  }
}

/** The server config of an `SNICallback` answer or an `addContext` context. */
function configOfContext(ctx: SniContext): ServerConfig {
  if (ctx instanceof SecureContext) return ctx.serverConfig();
  if (isServerConfig(ctx)) return ctx;
  if (typeof ctx === 'object' && ctx !== null && 'context' in ctx) requireConfig(ctx, 'server');
  return serverConfigOf(ctx);
}

/** Largest ClientHello body the SNI peek waits for (the engine's default `maxClientHelloSize`). */
const PEEK_LIMIT = 131072;

/**
 * Reads a new connection's first bytes until its ClientHello's server name is known, then
 * puts them back (`unshift`) for the TLS socket. Resolves null when there is no name (or
 * the bytes are no ClientHello: the engine reports that). Rejects when the client goes away
 * first or the handshake timeout passes.
 */
function peekServerName(raw: net.Socket, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // Each byte looked at once, however the client fragments its hello (node-sni.ts).
    const peek = new ClientHelloPeek(PEEK_LIMIT);
    let total = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const finish = (): void => {
      raw.off('data', onData);
      raw.off('end', onGone);
      raw.off('close', onGone);
      raw.off('error', onError);
      if (timer) clearTimeout(timer);
      raw.pause();
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      const r = peek.push(chunk);
      if (!r.done && total <= PEEK_LIMIT + 64 * 1024) return;
      finish();
      raw.unshift(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
      resolve(r.done ? r.name : null);
    };
    const onGone = (): void => {
      finish();
      reject(new TlsError('Truncated', { detail: 'transport closed during the handshake', source: 'transport' }));
    };
    const onError = (e: Error): void => {
      finish();
      reject(mapTransportError(e));
    };
    raw.on('data', onData);
    raw.once('end', onGone);
    raw.once('close', onGone);
    raw.once('error', onError);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        finish();
        reject(new TlsError('TimedOut', { detail: `handshake not completed within ${timeoutMs} ms`, source: 'transport' }));
      }, timeoutMs);
      timer.unref?.();
    }
  });
}

/**
 * Creates a TLS server, like `tls.createServer`.
 *
 * @param options - server identity (`cert` + `key`, or `certificates`) and options
 * @param onConnection - added as a `'secureConnection'` listener
 * @throws TlsError('InvalidConfig') synchronously for invalid options
 * @example
 * ```ts
 * const server = createServer({ cert, key }, (s) => s.pipe(s));
 * server.listen(8443, '127.0.0.1');
 * ```
 */
export function createServer(options: TlsServerOptions, onConnection?: (socket: TlsSocket) => void): TlsServer {
  return new TlsServer(options, onConnection);
}

export { TlsError, getErrorStatus } from '../base/errors.js';
export { ProxyError } from './proxy.js';
export type { ProxyOptions } from './proxy.js';
export type { DialOptions, LookupFunction } from './node-dial.js';
export type { NetworkPolicyOptions } from './netpolicy.js';
export type { NodeAlpnInput, NodeTlsCommonOptions } from './node-tls-options.js';
export type { PeerCertificate } from './node-cert.js';
export type { RootStoreSource } from './node-roots.js';
export type { ConnectionInfo } from '../engine/connection.js';
export type { ClientOptions, ServerOptions, KeyInput, KeyWithPassphrase, PfxInput, PfxWithPassphrase } from '../config/config.js';
export { ClientConfig, ServerConfig, isClientConfig, isServerConfig } from '../engine/setup.js';
export type { ClientConfigOptions, ServerConfigOptions, ClientConnectionOptions } from '../engine/setup.js';
export type { ResumableSession, Tls13Session, SessionCommon } from '../session/session.js';
export type { SessionStore } from '../session/store.js';
export type { TicketKeySet } from '../session/ticket-keys.js';

/**
 * A view of an engine with getters only: what callers may read, nothing that drives it.
 * The getters live on the prototype (one small frozen object per connection, no closures).
 */
class EngineView implements ConnectionView {
  readonly #c: TlsConnection;
  constructor(c: TlsConnection) {
    this.#c = c;
    Object.freeze(this);
  }
  get role(): 'client' | 'server' {
    return this.#c.role;
  }
  get info(): ConnectionInfo {
    return this.#c.info;
  }
  get phase(): ConnectionView['phase'] {
    return this.#c.phase;
  }
  get error(): TlsError | null {
    return this.#c.error;
  }
  get handshakeComplete(): boolean {
    return this.#c.handshakeComplete;
  }
  get tickets(): ConnectionView['tickets'] {
    return this.#c.tickets;
  }
  get bufferedBytes(): number {
    return this.#c.bufferedBytes;
  }
}

/** Node's `tls.DEFAULT_MIN_VERSION`: the lowest version puretls negotiates unless `minVersion` says otherwise. */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
/** Node's `tls.DEFAULT_MAX_VERSION`. */
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
/** Node's `tls.DEFAULT_ECDH_CURVE`: `'auto'` (X25519, P-256, P-384; see `groups`). */
export const DEFAULT_ECDH_CURVE = 'auto';
/** Node's `tls.DEFAULT_CIPHERS`: puretls's default suites, OpenSSL names, `:`-separated. */
export const DEFAULT_CIPHERS: string = [...TLS13_SUITES.map((s) => s.name), ...TLS12_SUITES.map((s) => opensslSuiteName(s.name))].join(':');

/** Node's `tls.getCiphers()`: the suites puretls implements, lower-case OpenSSL names. */
export function getCiphers(): string[] {
  return DEFAULT_CIPHERS.toLowerCase().split(':');
}

/**
 * Node's `tls.rootCertificates`: the bundled Mozilla roots (Node's own array). The store a
 * client uses by default adds `NODE_EXTRA_CA_CERTS` / the system store as Node does (see
 * node-roots.ts).
 */
export const rootCertificates: readonly string[] = nodeTls.rootCertificates;

/**
 * Node's `tls.checkServerIdentity(hostname, cert)` (Node's own function): works on
 * {@link TlsSocket.getPeerCertificate}'s result and on the certificate a
 * `checkServerIdentity` hook receives; returns an Error when the name does not match.
 */
export const checkServerIdentity: (hostname: string, cert: nodeTls.PeerCertificate | IdentityCertificate) => Error | undefined = nodeTls.checkServerIdentity as (hostname: string, cert: nodeTls.PeerCertificate | IdentityCertificate) => Error | undefined;

/**
 * The shape of `node:tls` that `puretls/node`'s default export has: hand it to a library
 * that calls `tls.connect` (pg, ioredis, mqtt, ...). `TLSSocket` and `Server` are the
 * classes for `instanceof`; construct sockets with `connect` / `upgrade`.
 */
export interface NodeTlsModule {
  readonly connect: typeof connect;
  readonly createServer: typeof createServer;
  readonly createSecureContext: typeof createSecureContext;
  readonly checkServerIdentity: typeof checkServerIdentity;
  readonly rootCertificates: readonly string[];
  readonly getCiphers: typeof getCiphers;
  readonly DEFAULT_MIN_VERSION: typeof DEFAULT_MIN_VERSION;
  readonly DEFAULT_MAX_VERSION: typeof DEFAULT_MAX_VERSION;
  readonly DEFAULT_ECDH_CURVE: typeof DEFAULT_ECDH_CURVE;
  readonly DEFAULT_CIPHERS: string;
  readonly TLSSocket: typeof TlsSocket;
  readonly Server: typeof TlsServer;
  readonly SecureContext: typeof SecureContext;
  readonly upgrade: typeof upgrade;
}

/**
 * `puretls/node` shaped like `node:tls` (issue 11 item 4): `import tls from 'puretls/node'`
 * then `tls.connect(...)`, or pass it where a library takes the `tls` module.
 */
const tlsModule: NodeTlsModule = Object.freeze({
  connect,
  createServer,
  createSecureContext,
  checkServerIdentity,
  rootCertificates,
  getCiphers,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  DEFAULT_ECDH_CURVE,
  DEFAULT_CIPHERS,
  TLSSocket: TlsSocket,
  Server: TlsServer,
  SecureContext,
  upgrade,
});
export default tlsModule;
