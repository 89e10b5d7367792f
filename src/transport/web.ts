/**
 * `puretls/web`: TLS over any pair of Web Streams of bytes, for runtimes that have no
 * sockets of their own to give puretls (browsers and workers through a WebSocket-to-TCP
 * bridge, a `MessagePort`, an in-memory pipe, a Deno `Conn` ...).
 *
 * {@link fromStreams} runs TLS, client (default) or server (`role: 'server'`), over the
 * `{ readable, writable }` ciphertext pair and returns a {@link TlsStreamConnection}: the
 * plaintext `readable` / `writable`, `info`, `handshake()` and `close()`, with back-pressure
 * both ways and close_notify semantics as in `puretls/node` (see `./streams.ts`).
 *
 * There is no root store here: a client needs `ca` (or a `verifier`, or `Untrusted`
 * explicitly ignorable), else `fromStreams` throws `InvalidConfig`. The crypto provider
 * is the runtime-neutral default (`pure`) unless `crypto` names another (`webcrypto`
 * from `puretls/webcrypto`, ...). This entry imports no `node:` module.
 *
 * @module
 */
import { TlsConnection } from '../engine/tls-connection.js';
import { isClientConfig, isServerConfig, type ClientConfig, type ServerConfig } from '../engine/setup.js';
import { resolveIgnorable, type ClientOptions, type ServerOptions } from '../config/config.js';
import { TlsError } from '../base/errors.js';
import { StreamPairTransport, TlsStreamConnection, withoutKeys, type ByteStreamPair, type StreamConnectionOptions } from './streams.js';

/** Options of a client {@link fromStreams}: every {@link ClientOptions} (Node's names) plus the {@link StreamConnectionOptions}. */
export interface WebClientOptions extends ClientOptions, StreamConnectionOptions {
  /** The client role (the default). */
  role?: 'client';
  /**
   * A prebuilt config (`createClientConfig` from `puretls`): nothing is parsed per
   * connection. Only the per-connection options (`servername`, `ALPNProtocols`,
   * `keyShareGroups`) and the {@link StreamConnectionOptions} may accompany it.
   */
  secureContext?: ClientConfig;
}

/** Options of a server {@link fromStreams}: every {@link ServerOptions} plus the {@link StreamConnectionOptions}. */
export interface WebServerOptions extends ServerOptions, StreamConnectionOptions {
  /** The server role. */
  role: 'server';
  /** A prebuilt config (`createServerConfig` from `puretls`); only the {@link StreamConnectionOptions} may accompany it. */
  secureContext?: ServerConfig;
}

/** Options of {@link fromStreams}. */
export type FromStreamsOptions = WebClientOptions | WebServerOptions;

const ADAPTER_KEYS: readonly string[] = ['role', 'secureContext'];
const PER_CONNECTION: readonly string[] = ['servername', 'ALPNProtocols', 'keyShareGroups'];

function strayKeys(o: object, allowed: readonly string[]): string[] {
  return Object.entries(o)
    .filter(([k, v]) => v !== undefined && !allowed.includes(k) && !ADAPTER_KEYS.includes(k) && !['allowHalfOpen', 'handshakeTimeout', 'lingerTimeout'].includes(k))
    .map(([k]) => k);
}

/**
 * Builds the engine of a stream adapter (web, Deno, Bun) from options: `secureContext`
 * with the per-connection options only, else a config from the options. `noRoots` is the
 * message for a client with no trust anchors (what to pass instead, for this adapter).
 * @internal
 */
export function streamEngine(options: FromStreamsOptions, noRoots: string): TlsConnection {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'options object required', source: 'caller' });
  if (options.role === 'server') {
    if (options.secureContext !== undefined) {
      if (!isServerConfig(options.secureContext)) throw new TlsError('InvalidConfig', { detail: 'secureContext is not a puretls ServerConfig (createServerConfig)', source: 'caller' });
      const stray = strayKeys(options, []);
      if (stray.length > 0) throw new TlsError('InvalidConfig', { detail: `${stray.join(', ')}: set when building the config, not next to secureContext`, source: 'caller' });
      return TlsConnection.server(options.secureContext);
    }
    return TlsConnection.server(withoutKeys(options, ADAPTER_KEYS) as ServerOptions);
  }
  if (options.role !== undefined && options.role !== 'client') throw new TlsError('InvalidConfig', { detail: `role must be 'client' or 'server'`, source: 'caller' });
  if (options.secureContext !== undefined) {
    if (!isClientConfig(options.secureContext)) throw new TlsError('InvalidConfig', { detail: 'secureContext is not a puretls ClientConfig (createClientConfig)', source: 'caller' });
    const stray = strayKeys(options, PER_CONNECTION);
    if (stray.length > 0) throw new TlsError('InvalidConfig', { detail: `${stray.join(', ')}: set when building the config, not next to secureContext`, source: 'caller' });
    const per: { servername?: string; ALPNProtocols?: readonly string[]; keyShareGroups?: readonly (string | number)[] } = {};
    if (options.servername !== undefined) per.servername = options.servername;
    if (options.ALPNProtocols !== undefined) per.ALPNProtocols = options.ALPNProtocols;
    if (options.keyShareGroups !== undefined) per.keyShareGroups = options.keyShareGroups;
    return TlsConnection.client(options.secureContext, per);
  }
  if (options.ca === undefined && options.verifier === undefined && !resolveIgnorable(options).includes('Untrusted')) {
    throw new TlsError('InvalidConfig', { detail: noRoots, source: 'caller' });
  }
  return TlsConnection.client(withoutKeys(options, ADAPTER_KEYS) as ClientOptions);
}

/**
 * Runs TLS over a pair of byte streams, as a client (default) or a server
 * (`role: 'server'`). The handshake starts at once; `handshake()` waits for it, and data
 * written before is sent after it.
 *
 * The client checks the server certificate against `ca` (required: this entry has no root
 * store) and the name `servername` (required unless `InvalidName` is explicitly ignorable).
 * Closing: `writable.close()` sends close_notify then closes `pair.writable`; the peer's
 * close_notify ends `readable`; `close()` does both and releases the streams.
 *
 * @param pair - the ciphertext streams (both are locked by the connection)
 * @param options - TLS options of the role, plus {@link StreamConnectionOptions}
 * @throws TlsError('InvalidConfig') synchronously for invalid options, a client without `ca`,
 *   or a stream that is locked (another reader or writer holds it)
 * @example
 * ```ts
 * // In a browser, through a WebSocket-to-TCP bridge:
 * const tls = fromStreams(webSocketStreams(ws), { servername: 'example.com', ca: caPem });
 * const info = await tls.handshake();
 * ```
 */
export function fromStreams(pair: ByteStreamPair, options: FromStreamsOptions): TlsStreamConnection {
  if (typeof pair !== 'object' || pair === null || !(pair.readable instanceof ReadableStream) || !(pair.writable instanceof WritableStream)) {
    throw new TlsError('InvalidConfig', { detail: 'fromStreams needs { readable: ReadableStream, writable: WritableStream }', source: 'caller' });
  }
  // A stream another reader or writer holds cannot be taken over (getReader/getWriter would throw a TypeError).
  if (pair.readable.locked || pair.writable.locked) {
    throw new TlsError('InvalidConfig', { detail: `fromStreams: the ${pair.readable.locked ? 'readable' : 'writable'} is locked (a reader or writer holds it): release it (releaseLock()) first`, source: 'caller' });
  }
  const engine = streamEngine(
    options,
    'puretls/web has no root store: pass `ca` (the trust anchors, PEM or DER), a `verifier`, or accept Untrusted explicitly (ignorableCertificateErrors)',
  );
  return new TlsStreamConnection(engine, new StreamPairTransport(pair), options);
}

export { TlsStreamConnection, StreamPairTransport, mapTransportError, READABLE_HIGH_WATER, WRITABLE_HIGH_WATER, STREAM_LINGER_MAX_BYTES } from './streams.js';
export type { ByteStreamPair, ByteTransport, TransportSink, StreamConnectionOptions } from './streams.js';
export { TlsError, getErrorStatus } from '../base/errors.js';
export type { TlsStatus } from '../base/errors.js';
export type { ConnectionInfo } from '../engine/connection.js';
export type { ClientOptions, ServerOptions } from '../config/config.js';
export { createClientConfig, createServerConfig, ClientConfig, ServerConfig } from '../engine/setup.js';
