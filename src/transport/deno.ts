/**
 * `puretls/deno`: puretls over Deno's own TCP sockets (`Deno.connect`, `Deno.listen`).
 *
 * - {@link connect} dials and runs a TLS client; {@link listen} accepts TLS connections;
 *   {@link upgrade} runs TLS, in either role, over an already-open `Deno.Conn` (after
 *   STARTTLS, a Postgres SSLRequest, ...). Each gives a {@link DenoTlsConnection}: Web
 *   Streams `readable` / `writable`, `info`, `handshake()`, `close()`.
 * - Back-pressure both ways, close_notify semantics as in `puretls/node`, transport errors
 *   as `TlsError` statuses: see `./streams.ts`.
 * - Trust anchors: `ca`, else Deno's root store (Mozilla's list, as `node:tls`
 *   `rootCertificates` gives it in Deno, which needs `--allow-sys`); without either,
 *   `InvalidConfig` saying what to pass.
 * - Dialling: `proxy` (HTTP CONNECT) and `refusePrivateAddresses`, as in `puretls/node`.
 * - Crypto: the native provider (`node:crypto`, which Deno implements) unless `crypto` is given.
 *
 * Deno's types are not needed to compile or use this module: it declares the few members it
 * uses ({@link DenoConnLike}, ...) and finds `Deno` on `globalThis` at run time.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { isClientConfig, type ClientConfig, type ServerConfig, createServerConfig } from '../engine/setup.js';
import { TlsConnection } from '../engine/tls-connection.js';
import { resolveIgnorable, type ClientOptions, type ServerOptions } from '../config/config.js';
import { nativeProvider } from '../crypto/native.js';
import { TlsStreamConnection, mapTransportError, streamSettings, withoutKeys, type ByteTransport, type StreamConnectionOptions, type TransportSink } from './streams.js';
import { streamEngine, type FromStreamsOptions } from './web.js';
import { RUNTIME_DIAL_KEYS, connectWithin, handshakeTimeLeft, listenPort, planDial, tunnel, type RuntimeDialOptions } from './runtime-dial.js';
import { unbracketed } from './netpolicy.js';

// ------------------------------------------------------------------ Deno, structurally

/** A network address as Deno gives it (`Deno.NetAddr`). */
export interface DenoNetAddrLike {
  readonly transport: string;
  readonly hostname?: string;
  readonly port?: number;
}

/** The members of `Deno.Conn` this module uses. */
export interface DenoConnLike {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  readonly localAddr: DenoNetAddrLike;
  readonly remoteAddr: DenoNetAddrLike;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

/** The members of `Deno.Listener` this module uses. */
export interface DenoListenerLike {
  readonly addr: DenoNetAddrLike;
  accept(): Promise<DenoConnLike>;
  close(): void;
}

interface DenoLike {
  connect(o: { hostname?: string; port: number; transport?: 'tcp'; signal?: AbortSignal }): Promise<DenoConnLike>;
  listen(o: { hostname?: string; port: number; transport?: 'tcp' }): DenoListenerLike;
}

function denoGlobal(): DenoLike {
  const d = (globalThis as { Deno?: DenoLike }).Deno;
  if (typeof d?.connect !== 'function' || typeof d.listen !== 'function') {
    throw new TlsError('InvalidConfig', { detail: 'puretls/deno runs under Deno (globalThis.Deno is missing): use puretls/node, puretls/bun or puretls/web', source: 'caller' });
  }
  return d;
}

// ------------------------------------------------------------------ options

/** Options of {@link connect}: the TLS client options (Node's names) plus where to dial. */
export interface DenoConnectOptions extends ClientOptions, StreamConnectionOptions, RuntimeDialOptions {
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
export interface DenoListenOptions extends ServerOptions, StreamConnectionOptions {
  /** Address to listen on (default `'0.0.0.0'`, as `Deno.listen`). */
  host?: string;
  /** Port (default 0: one the OS picks; read it from {@link TlsListener.port}). */
  port?: number;
  /** A prebuilt server config (`createServerConfig`); only the socket options may accompany it. */
  secureContext?: ServerConfig;
  /** Called with the error of each connection whose handshake failed (Node's `'tlsClientError'`). */
  onHandshakeError?: (error: TlsError, remote: DenoNetAddrLike | undefined) => void;
}

/** Options of {@link upgrade}: the role and that role's options. */
export type DenoUpgradeOptions =
  | (Omit<DenoConnectOptions, 'host' | 'port' | 'proxy' | 'refusePrivateAddresses'> & { role?: 'client' })
  | (Omit<DenoListenOptions, 'host' | 'port' | 'onHandshakeError'> & { role: 'server' });

/** A TLS server started by {@link listen}. */
export interface TlsListener {
  /** The port listened on. */
  readonly port: number;
  /** The address listened on. */
  readonly host: string;
  /** Stops accepting; connections already accepted go on. */
  close(): Promise<void>;
}

/** A TLS connection over a Deno `Conn`. */
export class DenoTlsConnection extends TlsStreamConnection {
  /** The peer's address. */
  readonly remoteAddr: DenoNetAddrLike;
  /** Our address. */
  readonly localAddr: DenoNetAddrLike;
  /** @internal Use {@link connect}, {@link listen} or {@link upgrade}. */
  constructor(engine: TlsConnection, conn: DenoConnLike, options: StreamConnectionOptions, initial?: Uint8Array) {
    super(engine, new DenoTransport(conn, initial), options);
    this.remoteAddr = conn.remoteAddr;
    this.localAddr = conn.localAddr;
  }
}

/** Bytes of one read from a Deno `Conn` (a fresh buffer each time: the engine may keep it). */
const READ_SIZE = 64 * 1024;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Bytes handed to a Deno `Conn` and not yet written above which senders wait. */
const SEND_HIGH_WATER = 64 * 1024;

/**
 * A Deno `Conn` as a {@link ByteTransport}, through `read()` / `write()` / `closeWrite()`
 * rather than its `readable` / `writable`: Deno's streams read ahead and close the whole
 * resource at the peer's EOF, which would leave no way to send our close_notify after the
 * peer's (TLS 1.3 half-close) or to half-close after it.
 */
class DenoTransport implements ByteTransport {
  /** Each read fills a buffer allocated for it alone. */
  readonly transfersInput = true;
  private readonly conn: DenoConnLike;
  private sink: TransportSink | null = null;
  private paused = false;
  private wake: (() => void) | null = null;
  private closed = false;
  private writing: Promise<void> = Promise.resolve();
  private flushing = false;
  private pending: Uint8Array[] = [];
  private writers: (() => void)[] = [];
  private queued = 0;
  private writeFailed = false;
  /** Bytes read before the transport started (after a proxy's answer): delivered first. */
  private initial: Uint8Array | undefined;

  constructor(conn: DenoConnLike, initial?: Uint8Array) {
    this.conn = conn;
    this.initial = initial !== undefined && initial.length > 0 ? initial : undefined;
  }

  start(sink: TransportSink): void {
    this.sink = sink;
    const first = this.initial;
    this.initial = undefined;
    if (first && !sink.data(first)) this.paused = true;
    void this.readLoop();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  write(bytes: Uint8Array): void | Promise<void> {
    if (this.closed || this.writeFailed) return;
    this.pending.push(bytes);
    this.queued += bytes.length;
    if (!this.flushing) this.writing = this.flushLoop();
    if (this.queued > SEND_HIGH_WATER) return this.belowHighWater();
  }

  /**
   * Writes what is queued, coalescing the records queued meanwhile into one `conn.write`
   * (one operation per batch instead of one per record), until nothing is left.
   */
  private async flushLoop(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pending.length > 0 && !this.closed && !this.writeFailed) {
        const parts = this.pending;
        this.pending = [];
        const chunk = parts.length === 1 ? parts[0]! : concat(parts);
        try {
          for (let off = 0; off < chunk.length && !this.closed; ) off += await this.conn.write(chunk.subarray(off));
        } catch (e) {
          if (!this.closed && !this.writeFailed) {
            this.writeFailed = true;
            this.sink?.error(e);
          }
        }
        this.queued -= chunk.length;
        this.wakeWriters();
      }
    } finally {
      this.flushing = false;
      this.pending = [];
      this.queued = 0;
      this.wakeWriters();
    }
  }

  private belowHighWater(): Promise<void> {
    return new Promise((resolve) => this.writers.push(resolve));
  }

  private wakeWriters(): void {
    if (this.queued > SEND_HIGH_WATER && !this.closed && !this.writeFailed) return;
    const w = this.writers;
    this.writers = [];
    for (const r of w) r();
  }

  async closeWrite(): Promise<void> {
    while (this.flushing) await this.writing;
    if (this.closed) return;
    try {
      await this.conn.closeWrite();
    } catch {
      // The peer already closed both ways (NotConnected, BadResource): nothing left to half-close.
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.resume();
    this.wakeWriters();
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  private async readLoop(): Promise<void> {
    const sink = this.sink!;
    for (;;) {
      while (this.paused && !this.closed) await new Promise<void>((r) => (this.wake = r));
      if (this.closed) return;
      const buf = new Uint8Array(READ_SIZE);
      let n: number | null;
      try {
        n = await this.conn.read(buf);
      } catch (e) {
        if (!this.closed) sink.error(e);
        return;
      }
      if (this.closed) return;
      if (n === null) {
        sink.end();
        return;
      }
      if (n > 0 && !sink.data(buf.subarray(0, n))) this.paused = true;
    }
  }
}

const DIAL_KEYS: readonly string[] = ['host', 'port', 'onHandshakeError', ...RUNTIME_DIAL_KEYS];

let rootStore: readonly string[] | undefined;

/**
 * Deno's root store, read once per process through `node:tls` (Deno asks for
 * `--allow-sys` to read it): `InvalidConfig` with what to do when it cannot be read.
 */
async function denoRoots(): Promise<readonly string[]> {
  if (rootStore) return rootStore;
  try {
    const tls = await import('node:tls');
    const roots = tls.rootCertificates;
    if (!Array.isArray(roots) || roots.length === 0) throw new TlsError('InvalidConfig', { detail: 'node:tls has no rootCertificates' });
    rootStore = roots;
    return roots;
  } catch (e) {
    throw new TlsError('InvalidConfig', {
      detail: `no \`ca\` given and Deno's root store could not be read (${e instanceof Error ? e.message : String(e)}): pass \`ca\`, or run with --allow-sys so that node:tls rootCertificates can be read`,
      cause: e,
      source: 'caller',
    });
  }
}

/** Client options with Deno's defaults: the native provider, the name from `host`, the root store when no `ca`. */
async function clientOptions<T extends ClientOptions & { secureContext?: ClientConfig }>(o: T, host: string | undefined): Promise<FromStreamsOptions> {
  const servername = o.servername !== undefined && o.servername !== '' ? o.servername : host;
  const out = { ...withoutKeys(o, DIAL_KEYS), role: 'client' } as FromStreamsOptions & ClientOptions;
  if (servername !== undefined) out.servername = servername;
  if (o.secureContext !== undefined && isClientConfig(o.secureContext)) return out;
  out.crypto = o.crypto ?? nativeProvider;
  if (o.ca === undefined && o.verifier === undefined && !resolveIgnorable(o).includes('Untrusted')) out.ca = await denoRoots();
  return out;
}

function serverOptions<T extends ServerOptions & { secureContext?: ServerConfig }>(o: T): FromStreamsOptions {
  const out = { ...withoutKeys(o, DIAL_KEYS), role: 'server' } as FromStreamsOptions & ServerOptions;
  if (o.secureContext === undefined) out.crypto = o.crypto ?? nativeProvider;
  return out;
}

const NO_ROOTS = 'no trust anchors: pass `ca`, a `verifier`, or accept Untrusted explicitly';

// ------------------------------------------------------------------ API

/**
 * Dials `host:port` with `Deno.connect` and starts a TLS client over it. Resolves once the
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
 * import { connect } from 'puretls/deno';
 * const tls = await connect({ host: 'example.com', port: 443, ALPNProtocols: ['http/1.1'] });
 * console.log((await tls.handshake()).version);
 * ```
 */
export async function connect(options: DenoConnectOptions): Promise<DenoTlsConnection> {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'connect needs an options object', source: 'caller' });
  const host = options.host ?? 'localhost';
  if (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) throw new TlsError('InvalidConfig', { detail: 'connect needs a port 1..65535', source: 'caller' });
  const tlsOptions = await clientOptions(options, host);
  // Built before dialling: a bad option fails without touching the network.
  const engine = streamEngine(tlsOptions, NO_ROOTS);
  // handshakeTimeout counts from here, dialling included (as in puretls/node): checked now.
  const { handshakeTimeout } = streamSettings(options, 'client');
  const plan = await planDial(host, options.port, options, handshakeTimeout);
  let conn: DenoConnLike;
  try {
    // Through a proxy, its timeout covers reaching it too (a black-holed proxy must not hang
    // us), and a connect still pending then is aborted (Deno.connect's `signal`).
    const abort = new AbortController();
    const connecting = denoGlobal().connect({ hostname: plan.host, port: plan.port, transport: 'tcp', signal: abort.signal });
    conn = await connectWithin(
      plan,
      connecting,
      (late) => {
        try {
          late.close();
        } catch {
          // already closed
        }
      },
      () => abort.abort(),
    );
  } catch (e) {
    throw mapTransportError(e);
  }
  conn.setNoDelay?.(true);
  let initial: Uint8Array | undefined;
  if (plan.proxy) {
    try {
      initial = await tunnel(
        {
          write: async (b) => {
            for (let off = 0; off < b.length; ) off += await conn.write(b.subarray(off));
          },
          read: async () => {
            const buf = new Uint8Array(16 * 1024);
            const n = await conn.read(buf);
            return n === null ? null : buf.subarray(0, n);
          },
        },
        plan,
      );
    } catch (e) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      throw mapTransportError(e);
    }
  }
  return new DenoTlsConnection(engine, conn, { ...options, handshakeTimeout: handshakeTimeLeft(plan) }, initial);
}

/**
 * Runs TLS over an already-open `Deno.Conn`, as a client (default) or a server
 * (`role: 'server'`). A client checks the certificate against `servername` (it may differ
 * from the address dialled). Stop reading and writing the `Conn` yourself first: its
 * streams are taken over (locked) from now on.
 *
 * @throws TlsError('InvalidConfig') for invalid options, or a client without a name or trust anchors
 */
export async function upgrade(conn: DenoConnLike, options: DenoUpgradeOptions): Promise<DenoTlsConnection> {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'upgrade needs an options object', source: 'caller' });
  const tlsOptions = options.role === 'server' ? serverOptions(options) : await clientOptions(options, undefined);
  return new DenoTlsConnection(streamEngine(tlsOptions, NO_ROOTS), conn, options);
}

/**
 * Listens with `Deno.listen` and runs a TLS server on every connection accepted;
 * `onConnection` is called with each connection once its handshake completed (failures go
 * to `onHandshakeError`). The server config (certificates, keys) is built once, here:
 * invalid options throw before anything listens.
 *
 * @throws TlsError('InvalidConfig') for invalid options (a port that is not 0..65535 too); a
 *   transport status if listening fails
 * @example
 * ```ts
 * const server = listen({ port: 8443, cert, key }, async (tls) => {
 *   await tls.readable.pipeTo(tls.writable); // echo
 * });
 * ```
 */
export function listen(options: DenoListenOptions, onConnection: (conn: DenoTlsConnection) => void | Promise<void>): TlsListener {
  if (typeof options !== 'object' || options === null) throw new TlsError('InvalidConfig', { detail: 'listen needs an options object', source: 'caller' });
  const port = listenPort(options.port);
  const tlsOptions = serverOptions(options) as FromStreamsOptions & { secureContext?: ServerConfig };
  const config = tlsOptions.secureContext ?? createServerConfig(withoutKeys(tlsOptions, ['role', 'secureContext']) as ServerOptions);
  const perConn: FromStreamsOptions = { role: 'server', secureContext: config };
  const host = unbracketed(options.host ?? '0.0.0.0');
  let listener: DenoListenerLike;
  try {
    listener = denoGlobal().listen({ hostname: host, port, transport: 'tcp' });
  } catch (e) {
    throw mapTransportError(e);
  }
  let closed = false;
  const accepting = (async () => {
    for (;;) {
      let conn: DenoConnLike;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      let tls: DenoTlsConnection;
      try {
        tls = new DenoTlsConnection(streamEngine(perConn, NO_ROOTS), conn, options);
      } catch (e) {
        try {
          conn.close();
        } catch {
          // already closed
        }
        options.onHandshakeError?.(mapTransportError(e), conn.remoteAddr);
        continue;
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
        (e: unknown) => options.onHandshakeError?.(mapTransportError(e), tls.remoteAddr),
      );
    }
  })();
  return {
    port: listener.addr.port ?? 0,
    host,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      await accepting;
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
