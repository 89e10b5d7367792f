/**
 * `puretls/bun`: puretls over Bun's own TCP sockets (`Bun.connect`, `Bun.listen`).
 *
 * - {@link connect} dials and runs a TLS client; {@link listen} accepts TLS connections;
 *   {@link upgrade} runs TLS, in either role, over an already-open Bun socket (after
 *   STARTTLS, a Postgres SSLRequest, ...). Each gives a {@link BunTlsConnection}: Web
 *   Streams `readable` / `writable`, `info`, `handshake()`, `close()`.
 * - Back-pressure both ways (a slow reader pauses the socket: `socket.pause()`; a partial
 *   `socket.write()` makes the sender wait for `drain`), close_notify semantics as in
 *   `puretls/node`, transport errors as `TlsError` statuses: see `./streams.ts`.
 * - Trust anchors: `ca`, else Bun's root store (`tls.rootCertificates` of `node:tls`,
 *   Mozilla's list).
 * - Dialling: `proxy` (HTTP CONNECT) and `refusePrivateAddresses`, as in `puretls/node`.
 * - Crypto: the native provider (`node:crypto`, which Bun implements) unless `crypto` is given.
 *
 * Bun's types are not needed to compile or use this module: it declares the few members it
 * uses ({@link BunSocketLike}, ...) and finds `Bun` on `globalThis` at run time.
 *
 * @module
 */
import { rootCertificates } from 'node:tls';
import { TlsError } from '../base/errors.js';
import { isClientConfig, createServerConfig, type ClientConfig, type ServerConfig } from '../engine/setup.js';
import type { TlsConnection } from '../engine/tls-connection.js';
import { resolveIgnorable, type ClientOptions, type ServerOptions } from '../config/config.js';
import { nativeProvider } from '../crypto/native.js';
import { TlsStreamConnection, mapTransportError, streamSettings, withoutKeys, type ByteTransport, type StreamConnectionOptions, type TransportSink } from './streams.js';
import { streamEngine, type FromStreamsOptions } from './web.js';
import { RUNTIME_DIAL_KEYS, connectWithin, handshakeTimeLeft, listenPort, planDial, tunnel, type RuntimeDialOptions } from './runtime-dial.js';
import { unbracketed } from './netpolicy.js';
import type { ProxyByteStream } from './proxy.js';

// ------------------------------------------------------------------ Bun, structurally

/** The members of a Bun TCP socket this module uses. */
export interface BunSocketLike {
  /** Per-socket user data (this module keeps its transport there). */
  data: unknown;
  /** Writes what the kernel takes now; returns the byte count (less than given: wait for `drain`), or -1 when closed. */
  write(bytes: Uint8Array): number;
  /** Half-close: FIN after what was written. */
  shutdown(halfClose?: boolean): void;
  /** Closes at once. */
  terminate(): void;
  /** Closes after flushing. */
  end(): void;
  pause(): void;
  resume(): void;
  /** Replaces the socket's handlers (used by {@link upgrade}). */
  reload(options: { socket: BunSocketHandlers }): void;
  setNoDelay?(noDelay?: boolean): boolean;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localPort?: number;
}

/** The handlers of a Bun socket, as this module installs them. */
export interface BunSocketHandlers {
  open?(socket: BunSocketLike): void;
  data(socket: BunSocketLike, chunk: Uint8Array): void;
  drain(socket: BunSocketLike): void;
  end(socket: BunSocketLike): void;
  close(socket: BunSocketLike, error?: unknown): void;
  error(socket: BunSocketLike, error: unknown): void;
  connectError?(socket: BunSocketLike, error: unknown): void;
}

/** The members of a Bun TCP listener this module uses. */
export interface BunListenerLike {
  readonly port: number;
  readonly hostname?: string;
  stop(closeActiveConnections?: boolean): void;
}

interface BunLike {
  connect(o: { hostname: string; port: number; socket: BunSocketHandlers; data?: unknown; allowHalfOpen?: boolean }): Promise<BunSocketLike>;
  listen(o: { hostname: string; port: number; socket: BunSocketHandlers; allowHalfOpen?: boolean }): BunListenerLike;
}

function bunGlobal(): BunLike {
  const b = (globalThis as { Bun?: BunLike }).Bun;
  if (typeof b?.connect !== 'function' || typeof b.listen !== 'function') {
    throw new TlsError('InvalidConfig', { detail: 'puretls/bun runs under Bun (globalThis.Bun is missing): use puretls/node, puretls/deno or puretls/web', source: 'caller' });
  }
  return b;
}

// ------------------------------------------------------------------ transport

/** What the socket gave while a proxy's answer is read: bytes, EOF (null), or an error. */
type ProxyEvent = Uint8Array | null | { readonly error: unknown };

/**
 * A Bun socket as a {@link ByteTransport}. Bun hands data to a callback and writes only
 * what the kernel takes at once: the rest is kept here (in order) and written at `drain`,
 * and the sender waits meanwhile.
 */
class BunTransport implements ByteTransport {
  /** Bun may reuse a `data` buffer after the callback: each chunk is copied here, once, and that copy is the engine's. */
  readonly transfersInput = true;
  socket: BunSocketLike | null = null;
  private sink: TransportSink | null = null;
  /** Bytes and EOF that arrived before {@link start} (between `open` and the connection's creation). */
  private early: Uint8Array[] | null = [];
  private earlyEnd = false;
  private earlyError: unknown = undefined;
  private pending: Uint8Array[] = [];
  private drained: { promise: Promise<void>; resolve: () => void } | null = null;
  private closed = false;
  private ended = false;
  /** A pause asked for before the socket existed. */
  private pausedEarly = false;
  /** Called once the socket is closed (listeners and tests). */
  onClosed: (() => void) | null = null;
  /**
   * While a proxy's answer is read: what arrived and was not read yet (bytes, null for EOF,
   * `{ error }` for a socket error), and the reader waiting.
   */
  private proxyQueue: ProxyEvent[] | null = null;
  private proxyWaiter: ((e: ProxyEvent) => void) | null = null;

  /** The socket as a {@link ProxyByteStream}, for CONNECT before TLS starts. */
  proxyStream(): ProxyByteStream {
    this.proxyQueue = [];
    const next = (): Promise<ProxyEvent> =>
      new Promise((resolve) => {
        const q = this.proxyQueue;
        if (q && q.length > 0) resolve(q.shift()!);
        else this.proxyWaiter = resolve;
      });
    return {
      write: (b) => this.write(b),
      read: async () => {
        const e = await next();
        // A reset while the proxy answers is the socket's error (ConnectionReset, as in puretls/node), not the proxy's EOF.
        if (e !== null && !(e instanceof Uint8Array)) throw e.error;
        return e;
      },
    };
  }

  /** The tunnel is open: `rest` (after the proxy's header) and anything not read yet come first. */
  endProxy(rest: Uint8Array): void {
    const q = this.proxyQueue ?? [];
    const left = q.filter((b): b is Uint8Array => b instanceof Uint8Array);
    const failed = q.find((b): b is { error: unknown } => b !== null && !(b instanceof Uint8Array));
    const ended = q.includes(null);
    this.proxyQueue = null;
    this.proxyWaiter = null;
    this.early = [...(rest.length > 0 ? [rest] : []), ...left, ...(this.early ?? [])];
    if (failed) this.earlyError = failed.error;
    else if (ended) this.earlyEnd = true;
  }

  private toProxy(b: ProxyEvent): boolean {
    if (!this.proxyQueue) return false;
    const w = this.proxyWaiter;
    this.proxyWaiter = null;
    if (w) w(b);
    else this.proxyQueue.push(b);
    return true;
  }

  start(sink: TransportSink): void {
    this.sink = sink;
    const early = this.early ?? [];
    this.early = null;
    for (const c of early) if (!sink.data(c)) this.pause();
    if (this.earlyError !== undefined) sink.error(this.earlyError);
    else if (this.earlyEnd) this.onEnd();
  }

  attach(socket: BunSocketLike): void {
    this.socket = socket;
    socket.data = this;
    if (this.pausedEarly) socket.pause();
  }

  pause(): void {
    if (this.socket) this.socket.pause();
    else this.pausedEarly = true;
  }

  resume(): void {
    this.pausedEarly = false;
    if (this.socket && !this.closed) this.socket.resume();
  }

  write(bytes: Uint8Array): void | Promise<void> {
    const s = this.socket;
    if (!s || this.closed) return;
    if (this.pending.length > 0) {
      this.pending.push(bytes);
      return this.waitDrain();
    }
    const n = s.write(bytes);
    if (n < 0) return; // closed: the close handler reports it
    if (n < bytes.length) {
      this.pending.push(bytes.subarray(n));
      return this.waitDrain();
    }
  }

  async closeWrite(): Promise<void> {
    while (this.pending.length > 0 && !this.closed) await this.waitDrain();
    if (this.closed || !this.socket) return;
    try {
      this.socket.shutdown();
    } catch {
      // already closed
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    this.resolveDrain();
    try {
      this.socket?.terminate();
    } catch {
      // already closed
    }
  }

  // Socket events (from the shared handlers).

  onData(chunk: Uint8Array): void {
    // Bun may reuse the buffer after the callback, and its chunk is a Buffer, whose `slice()`
    // is a view, not a copy: `new Uint8Array(chunk)` always copies.
    const bytes = new Uint8Array(chunk);
    if (this.toProxy(bytes)) return;
    if (this.early) {
      this.early.push(bytes);
      return;
    }
    if (this.sink && !this.sink.data(bytes)) this.pause();
  }

  onDrain(): void {
    const s = this.socket;
    if (!s) return;
    while (this.pending.length > 0 && !this.closed) {
      const p = this.pending[0]!;
      const n = s.write(p);
      if (n < 0) return;
      if (n < p.length) {
        this.pending[0] = p.subarray(n);
        return;
      }
      this.pending.shift();
    }
    this.resolveDrain();
  }

  onEnd(): void {
    if (this.toProxy(null)) return;
    if (this.ended) return;
    if (this.early) {
      this.earlyEnd = true;
      return;
    }
    this.ended = true;
    this.sink?.end();
  }

  onError(e: unknown): void {
    if (this.toProxy({ error: e })) return;
    if (this.early) {
      this.earlyError = e;
      return;
    }
    if (!this.closed) this.sink?.error(e);
  }

  onClose(error?: unknown): void {
    if (error !== undefined && error !== null) this.onError(error);
    else this.onEnd();
    this.closed = true;
    this.pending = [];
    this.resolveDrain();
    this.onClosed?.();
  }

  private waitDrain(): Promise<void> {
    if (!this.drained) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drained = { promise, resolve };
    }
    return this.drained.promise;
  }

  private resolveDrain(): void {
    const d = this.drained;
    this.drained = null;
    d?.resolve();
  }
}

function transportOf(s: BunSocketLike): BunTransport | null {
  return s.data instanceof BunTransport ? s.data : null;
}

/** The handlers every socket of this module shares: they find their transport in `socket.data`. */
const HANDLERS: BunSocketHandlers = {
  data: (s, chunk) => transportOf(s)?.onData(chunk),
  drain: (s) => transportOf(s)?.onDrain(),
  end: (s) => transportOf(s)?.onEnd(),
  close: (s, e) => transportOf(s)?.onClose(e),
  error: (s, e) => transportOf(s)?.onError(e),
};

// ------------------------------------------------------------------ options

/** Options of {@link connect}: the TLS client options (Node's names) plus where to dial. */
export interface BunConnectOptions extends ClientOptions, StreamConnectionOptions, RuntimeDialOptions {
  /** Host to dial (default `'localhost'`); also the name checked when `servername` is not given. */
  host?: string;
  /** Port to dial. */
  port: number;
  /**
   * A prebuilt config (`createClientConfig` from `puretls`): nothing is parsed per
   * connection; only `servername`, `ALPNProtocols`, `keyShareGroups`, the dialling and the
   * {@link StreamConnectionOptions} may accompany it.
   */
  secureContext?: ClientConfig;
}

/** Options of {@link listen}: the TLS server options plus where to listen. */
export interface BunListenOptions extends ServerOptions, StreamConnectionOptions {
  /** Address to listen on (default `'0.0.0.0'`, as `Bun.listen`). */
  host?: string;
  /** Port (default 0: one the OS picks; read it from {@link BunTlsListener.port}). */
  port?: number;
  /** A prebuilt server config (`createServerConfig`); only the socket options may accompany it. */
  secureContext?: ServerConfig;
  /** Called with the error of each connection whose handshake failed (Node's `'tlsClientError'`). */
  onHandshakeError?: (error: TlsError, remoteAddress: string | undefined) => void;
}

/** Options of {@link upgrade}: the role and that role's options. */
export type BunUpgradeOptions =
  | (Omit<BunConnectOptions, 'host' | 'port' | 'proxy' | 'refusePrivateAddresses'> & { role?: 'client' })
  | (Omit<BunListenOptions, 'host' | 'port' | 'onHandshakeError'> & { role: 'server' });

/** A TLS server started by {@link listen}. */
export interface BunTlsListener {
  /** The port listened on. */
  readonly port: number;
  /** The address listened on. */
  readonly host: string;
  /** Stops accepting; connections already accepted go on. */
  close(): Promise<void>;
}

/** A TLS connection over a Bun socket. */
export class BunTlsConnection extends TlsStreamConnection {
  /** The peer's address. */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** Our port. */
  readonly localPort: number | undefined;
  /** @internal Use {@link connect}, {@link listen} or {@link upgrade}. */
  constructor(engine: TlsConnection, transport: BunTransport, options: StreamConnectionOptions) {
    super(engine, transport, options);
    const s = transport.socket;
    this.remoteAddress = s?.remoteAddress;
    this.remotePort = s?.remotePort;
    this.localPort = s?.localPort;
  }
}

const DIAL_KEYS: readonly string[] = ['host', 'port', 'onHandshakeError', ...RUNTIME_DIAL_KEYS];
const NO_ROOTS = 'no trust anchors: pass `ca`, a `verifier`, or accept Untrusted explicitly';

/** Client options with Bun's defaults: the native provider, the name from `host`, Bun's root store when no `ca`. */
function clientOptions<T extends ClientOptions & { secureContext?: ClientConfig }>(o: T, host: string | undefined): FromStreamsOptions {
  const servername = o.servername !== undefined && o.servername !== '' ? o.servername : host;
  const out = { ...withoutKeys(o, DIAL_KEYS), role: 'client' } as FromStreamsOptions & ClientOptions;
  if (servername !== undefined) out.servername = servername;
  if (o.secureContext !== undefined && isClientConfig(o.secureContext)) return out;
  out.crypto = o.crypto ?? nativeProvider;
  if (o.ca === undefined && o.verifier === undefined && !resolveIgnorable(o).includes('Untrusted')) out.ca = rootCertificates;
  return out;
}

function serverOptions<T extends ServerOptions & { secureContext?: ServerConfig }>(o: T): FromStreamsOptions {
  const out = { ...withoutKeys(o, DIAL_KEYS), role: 'server' } as FromStreamsOptions & ServerOptions;
  if (o.secureContext === undefined) out.crypto = o.crypto ?? nativeProvider;
  return out;
}

// ------------------------------------------------------------------ API

/**
 * Dials `host:port` with `Bun.connect` and starts a TLS client over it. Resolves once the
 * TCP connection is open (the handshake runs on; `await conn.handshake()` for its result).
 *
 * The name checked against the certificate is `servername`, else `host` (Node's rule; an
 * IP literal is checked against the certificate's IP addresses and not sent as SNI).
 *
 * `handshakeTimeout` counts from this call, as in `puretls/node`: dialling (and a proxy's
 * answer) included, so a server or proxy that never completes the TCP connection fails with
 * `TimedOut` in time; `proxy.timeout` likewise includes reaching the proxy.
 *
 * @throws TlsError('InvalidConfig') for invalid options; transport statuses
 *   (`ConnectionRefused`, `HostNotFound`, ...) when dialling fails; `TimedOut` (see above)
 * @example
 * ```ts
 * import { connect } from 'puretls/bun';
 * const tls = await connect({ host: 'example.com', port: 443 });
 * console.log((await tls.handshake()).cipherSuite);
 * ```
 */
export async function connect(options: BunConnectOptions): Promise<BunTlsConnection> {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'connect needs an options object', source: 'caller' });
  const host = options.host ?? 'localhost';
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) throw new TlsError('InvalidConfig', { detail: 'connect needs a port 1..65535', source: 'caller' });
  // Built before dialling: a bad option fails without touching the network.
  const engine = streamEngine(clientOptions(options, host), NO_ROOTS);
  // handshakeTimeout counts from here, dialling included (as in puretls/node): checked now.
  const { handshakeTimeout } = streamSettings(options, 'client');
  const plan = await planDial(host, options.port, options, handshakeTimeout);
  const transport = new BunTransport();
  const proxied = plan.proxy ? transport.proxyStream() : null;
  let socket: BunSocketLike;
  try {
    const connecting = bunGlobal().connect({
      hostname: plan.host,
      port: plan.port,
      allowHalfOpen: true,
      data: transport,
      socket: {
        ...HANDLERS,
        open: (s) => transport.attach(s),
        connectError: () => undefined, // the promise rejects
      },
    });
    // Through a proxy, its timeout covers reaching it too (a black-holed proxy must not hang us).
    socket = await connectWithin(plan, connecting, (late) => {
      try {
        late.terminate();
      } catch {
        // already closed
      }
    });
  } catch (e) {
    transport.close();
    throw mapTransportError(e);
  }
  if (!transport.socket) transport.attach(socket);
  socket.setNoDelay?.(true);
  if (proxied) {
    try {
      transport.endProxy(await tunnel(proxied, plan));
    } catch (e) {
      transport.close();
      throw mapTransportError(e);
    }
  }
  return new BunTlsConnection(engine, transport, { ...options, handshakeTimeout: handshakeTimeLeft(plan) });
}

/**
 * Runs TLS over an already-open Bun socket, as a client (default) or a server
 * (`role: 'server'`). The socket's handlers are replaced (`socket.reload`) and its `data`
 * is taken over: from now on its bytes are TLS. A client checks the certificate against
 * `servername` (it may differ from the address dialled).
 *
 * @throws TlsError('InvalidConfig') for invalid options, or a client without a name
 */
export function upgrade(socket: BunSocketLike, options: BunUpgradeOptions): BunTlsConnection {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'upgrade needs an options object', source: 'caller' });
  const engine = streamEngine(options.role === 'server' ? serverOptions(options) : clientOptions(options, undefined), NO_ROOTS);
  const transport = new BunTransport();
  transport.attach(socket);
  socket.reload({ socket: HANDLERS });
  socket.resume();
  return new BunTlsConnection(engine, transport, options);
}

/**
 * Listens with `Bun.listen` and runs a TLS server on every connection accepted;
 * `onConnection` is called with each connection once its handshake completed (failures go
 * to `onHandshakeError`). The server config is built once, here: invalid options throw
 * before anything listens.
 *
 * @throws TlsError('InvalidConfig') for invalid options (a port that is not 0..65535 too); a
 *   transport status if listening fails
 * @example
 * ```ts
 * const server = listen({ port: 8443, cert, key }, (tls) => void tls.readable.pipeTo(tls.writable));
 * ```
 */
export function listen(options: BunListenOptions, onConnection: (conn: BunTlsConnection) => void | Promise<void>): BunTlsListener {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'listen needs an options object', source: 'caller' });
  const port = listenPort(options.port);
  const tlsOptions = serverOptions(options) as FromStreamsOptions & { secureContext?: ServerConfig };
  const config = tlsOptions.secureContext ?? createServerConfig(withoutKeys(tlsOptions, ['role', 'secureContext']) as ServerOptions);
  const perConn: FromStreamsOptions = { role: 'server', secureContext: config };
  // Bun.listen looks a bracketed IPv6 literal up as a name (Bun.connect accepts it).
  const host = unbracketed(options.host ?? '0.0.0.0');
  const accept = (s: BunSocketLike): void => {
    const transport = new BunTransport();
    transport.attach(s);
    let tls: BunTlsConnection;
    try {
      tls = new BunTlsConnection(streamEngine(perConn, NO_ROOTS), transport, options);
    } catch (e) {
      transport.close();
      options.onHandshakeError?.(mapTransportError(e), s.remoteAddress);
      return;
    }
    tls.handshake().then(
      () => {
        try {
          // An async handler that rejects must not become an unhandled rejection: it closes this connection.
          const r = onConnection(tls);
          if (r instanceof Promise) r.catch(() => void tls.close());
        } catch {
          void tls.close();
        }
      },
      (e: unknown) => options.onHandshakeError?.(mapTransportError(e), tls.remoteAddress),
    );
  };
  let listener: BunListenerLike;
  try {
    listener = bunGlobal().listen({ hostname: host, port, allowHalfOpen: true, socket: { ...HANDLERS, open: accept } });
  } catch (e) {
    throw mapTransportError(e);
  }
  let closed = false;
  return {
    port: listener.port,
    host,
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        listener.stop(false);
      }
      return Promise.resolve();
    },
  };
}

export { TlsStreamConnection, mapTransportError } from './streams.js';
export type { StreamConnectionOptions } from './streams.js';
export type { RuntimeDialOptions } from './runtime-dial.js';
export { ProxyError } from './proxy.js';
export type { ProxyOptions } from './proxy.js';
export { TlsError, getErrorStatus } from '../base/errors.js';
export type { TlsStatus } from '../base/errors.js';
export type { ConnectionInfo } from '../engine/connection.js';
export type { ClientOptions, ServerOptions } from '../config/config.js';
export { createClientConfig, createServerConfig, ClientConfig, ServerConfig } from '../engine/setup.js';
