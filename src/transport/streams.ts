/**
 * The Web Streams face of a TLS connection, shared by `puretls/web`, `puretls/deno` and
 * `puretls/bun`: a {@link TlsStreamConnection} drives a {@link TlsConnection} (through the
 * runtime-neutral {@link TlsPump}) between a ciphertext {@link ByteTransport} and the
 * application's plaintext `readable` / `writable` pair.
 *
 * What every adapter gets from here, once:
 * - back-pressure both ways: a reader that stops reading fills the `readable`'s queue
 *   (64 KiB), the pump stops decrypting, the engine stops accepting input and the
 *   transport is paused (no more socket reads); a write resolves only once its records were
 *   handed to the transport and the transport's own back-pressure released;
 * - close semantics as in `puretls/node` (RFC 9846 §6.1, RFC 5246 §7.2.1): the peer's
 *   close_notify ends `readable`; closing `writable` sends close_notify after everything
 *   written before it, then half-closes the transport (FIN). In TLS 1.2, and in TLS 1.3
 *   unless `allowHalfOpen`, the peer's close_notify is answered by ours at once (after the
 *   writes already made). Transport EOF without close_notify errors `readable` with
 *   `TlsError('Truncated')`, after the data received before it;
 * - failures: every one is a {@link TlsError} with a stable status (transport errors are
 *   mapped by {@link mapTransportError}); it errors `readable` (after the data received
 *   before it), rejects pending and later writes and {@link TlsStreamConnection.handshake},
 *   and resolves {@link TlsStreamConnection.closed}. Nothing is thrown asynchronously and
 *   nothing waits forever on a dead transport;
 * - a lingering close after a fatal alert (the alert is sent, the transport half-closed,
 *   the peer's input discarded for at most `lingerTimeout` ms and 1 MiB) so the peer can
 *   read the alert before the transport goes away.
 *
 * This file imports no `node:` module and uses no runtime global beyond ECMAScript, Web
 * Streams and timers.
 *
 * @module
 */
import type { TlsConnection, ConnectionInfo } from '../engine/tls-connection.js';
import { TlsError, thrownField, thrownText, type TlsStatus } from '../base/errors.js';
import { limitOption } from '../config/config.js';
import { TlsPump, type PumpHandlers } from './pump.js';

// ------------------------------------------------------------------ transport side

/** Where a {@link ByteTransport} reports what arrives. */
export interface TransportSink {
  /** Bytes from the peer. Return `false` to ask the transport to pause until {@link ByteTransport.resume}. */
  data(chunk: Uint8Array): boolean;
  /** The peer closed its sending side (EOF). */
  end(): void;
  /** The transport failed (the error is mapped with {@link mapTransportError}). */
  error(e: unknown): void;
}

/**
 * The ciphertext side of a {@link TlsStreamConnection}: a byte transport an adapter wraps
 * (a Deno `Conn`, a Bun socket, a pair of Web Streams).
 */
export interface ByteTransport {
  /** Starts delivering bytes to `sink` (called once). */
  start(sink: TransportSink): void;
  /** Stop reading from the peer (back-pressure) until {@link resume}. */
  pause(): void;
  /** Read again after {@link pause}. */
  resume(): void;
  /**
   * Sends bytes, in call order. Return a promise to make the sender wait (back-pressure):
   * nothing more is sent before it settles. A failure may reject it or be reported to the sink.
   */
  write(bytes: Uint8Array): void | Promise<void>;
  /** Half-closes: sends EOF (TCP FIN) after every byte written; reading goes on. */
  closeWrite(): Promise<void>;
  /** Releases the transport at once (both directions); safe to call more than once. */
  close(): void;
  /**
   * True when every chunk given to {@link TransportSink.data} is a fresh buffer nobody else
   * reads or changes afterwards: the engine may then keep and decrypt records in place
   * (`TlsPump`'s `transferInput`). Default false (the engine copies).
   */
  readonly transfersInput?: boolean;
}

/** Node-style error codes (Node, Bun) → transport statuses. */
const CODE_STATUS: Readonly<Record<string, TlsStatus>> = {
  ECONNREFUSED: 'ConnectionRefused',
  ENOTFOUND: 'HostNotFound',
  EAI_AGAIN: 'HostNotFound',
  EAI_NONAME: 'HostNotFound',
  EAI_FAIL: 'HostNotFound',
  ECONNRESET: 'ConnectionReset',
  EPIPE: 'ConnectionReset',
  ECONNABORTED: 'ConnectionReset',
  ETIMEDOUT: 'TimedOut',
  ENETUNREACH: 'NetworkUnreachable',
  EHOSTUNREACH: 'NetworkUnreachable',
  ENETDOWN: 'NetworkUnreachable',
  EHOSTDOWN: 'NetworkUnreachable',
};

/** Deno's error class names (`Deno.errors.*`) → transport statuses. */
const NAME_STATUS: Readonly<Record<string, TlsStatus>> = {
  ConnectionRefused: 'ConnectionRefused',
  ConnectionReset: 'ConnectionReset',
  ConnectionAborted: 'ConnectionReset',
  BrokenPipe: 'ConnectionReset',
  NotConnected: 'ConnectionReset',
  TimedOut: 'TimedOut',
  NetworkUnreachable: 'NetworkUnreachable',
  HostUnreachable: 'NetworkUnreachable',
};

/**
 * Maps an error of a runtime's socket API to a {@link TlsError} with a transport status
 * (`ConnectionRefused`, `HostNotFound`, `ConnectionReset`, `TimedOut`,
 * `NetworkUnreachable`, else `TransportError`), keeping the original as `cause`. It reads
 * Node-style `code`s (`ECONNREFUSED`, ..., as Bun gives them) and Deno's error class names
 * (`Deno.errors.ConnectionRefused`, ...). A `TlsError` is returned as is.
 */
export function mapTransportError(e: unknown): TlsError {
  if (e instanceof TlsError) return e;
  // Whatever was thrown (the runtimes' errors, a stream's error reason): never a throw here.
  const code = thrownField(e, 'code');
  const name = thrownField(e, 'name');
  const message = thrownField(e, 'message') ?? thrownText(e);
  let status: TlsStatus | undefined = code !== undefined ? CODE_STATUS[code] : undefined;
  status ??= name !== undefined ? NAME_STATUS[name] : undefined;
  // Deno reports a failed name lookup as NotFound / Error "failed to lookup address information".
  if (status === undefined && /failed to lookup address|Name or service not known|nodename nor servname|getaddrinfo/i.test(message)) status = 'HostNotFound';
  return new TlsError(status ?? 'TransportError', { detail: message, cause: e, source: 'transport' });
}

// ------------------------------------------------------------------ options

/** Options of every {@link TlsStreamConnection}, whatever created it: closing and timing. */
export interface StreamConnectionOptions {
  /**
   * Keep our writing side open after the peer's close_notify, until `writable` is closed
   * (TLS 1.3 only; RFC 5246 §7.2.1 makes a TLS 1.2 close_notify be answered at once).
   * Default false, as in `puretls/node`: the peer's close_notify is answered by ours after
   * the writes already made.
   */
  allowHalfOpen?: boolean;
  /**
   * Milliseconds the handshake may take, counted from the creation of the connection
   * (`fromStreams`, `upgrade`) or from the call that dials (`connect` of puretls/deno and
   * puretls/bun: reaching the server or the proxy, and the proxy's answer, count too); then
   * it fails with `TlsError('TimedOut')`. 0 disables it. Default: 120000 for servers, 0 for
   * clients.
   */
  handshakeTimeout?: number;
  /**
   * After a fatal alert (or {@link TlsStreamConnection.close}), how long the peer's
   * remaining input is read and discarded before the transport is released, so that the
   * peer reads our last record instead of a reset. 0: release at once. Default 2000.
   */
  lingerTimeout?: number;
}

/** Most bytes discarded from a peer during a lingering close. */
export const STREAM_LINGER_MAX_BYTES = 1024 * 1024;

/** Plaintext bytes queued in `readable` before decryption (and then socket reads) stop. */
export const READABLE_HIGH_WATER = 64 * 1024;

/** Plaintext bytes `writable` queues before `writer.ready` waits. */
export const WRITABLE_HIGH_WATER = 64 * 1024;

/** The option names of {@link StreamConnectionOptions} (adapters remove them before building a TLS config). */
export const STREAM_OPTION_NAMES: readonly string[] = Object.freeze(['allowHalfOpen', 'handshakeTimeout', 'lingerTimeout']);

interface Settings {
  readonly allowHalfOpen: boolean;
  readonly handshakeTimeout: number;
  readonly lingerTimeout: number;
}

/** The {@link StreamConnectionOptions} resolved; throws `InvalidConfig` for a bad value. */
export function streamSettings(o: StreamConnectionOptions, role: 'client' | 'server'): Settings {
  return {
    allowHalfOpen: o.allowHalfOpen === true,
    handshakeTimeout: limitOption('handshakeTimeout', o.handshakeTimeout, role === 'server' ? 120_000 : 0),
    lingerTimeout: limitOption('lingerTimeout', o.lingerTimeout, 2000),
  };
}

/** Removes the {@link StreamConnectionOptions} and the given other keys from options, leaving the TLS ones. */
export function withoutKeys<T extends object>(o: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!keys.includes(k) && !STREAM_OPTION_NAMES.includes(k)) out[k] = v;
  for (const s of Object.getOwnPropertySymbols(o)) out[s as unknown as string] = (o as Record<symbol, unknown>)[s];
  return out as T;
}

function unrefTimer(t: unknown): void {
  // Node and Bun timers have unref(); Deno's are numbers (Deno.unrefTimer would need the global).
  if (typeof t === 'object' && t !== null && 'unref' in t && typeof t.unref === 'function') (t as { unref(): void }).unref();
}

/**
 * The queuing size of a chunk given to `writable`: its byteLength, else 1 (what is not bytes is
 * refused by the sink, {@link toBytes}). Never throws and never gives a size the stream refuses
 * (Streams standard, EnqueueValueWithSize: a negative, NaN or infinite size, or a size function
 * that throws, errors the stream without calling the sink, so the connection would never learn
 * of that chunk, and close(), which waits for every chunk queued before it, would wait for ever).
 */
function chunkSize(chunk: unknown): number {
  try {
    const n = (chunk as { byteLength?: unknown }).byteLength;
    return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : 1;
  } catch {
    return 1;
  }
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new TlsError('ApiMisuse', { detail: `writable takes bytes (Uint8Array, ArrayBufferView or ArrayBuffer), not ${typeof chunk}`, source: 'caller' });
}

// ------------------------------------------------------------------ the connection

/**
 * A TLS connection with Web Streams: `readable` gives the peer's plaintext, `writable`
 * takes ours. Created by `fromStreams` (`puretls/web`) and by the Deno and Bun adapters.
 *
 * @example
 * ```ts
 * const tls = await connect({ host: 'example.com', port: 443 });
 * const w = tls.writable.getWriter();
 * await w.write(new TextEncoder().encode('GET / HTTP/1.0\r\nHost: example.com\r\n\r\n'));
 * for await (const chunk of tls.readable) console.log(chunk.length);
 * ```
 */
export class TlsStreamConnection {
  /** The peer's plaintext. Ends at the peer's close_notify; errors with a {@link TlsError}. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Our plaintext. Closing it sends close_notify (after the handshake and every earlier write). */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the transport was released, with the failure that ended the connection, or null after a clean close. Never rejects. */
  readonly closed: Promise<TlsError | null>;

  private readonly engine: TlsConnection;
  private readonly transport: ByteTransport;
  private readonly pump: TlsPump;
  private readonly settings: Settings;
  private readCtl!: ReadableStreamDefaultController<Uint8Array>;
  private readState: 'open' | 'ended' | 'errored' | 'cancelled' = 'open';
  private pendingError: TlsError | null = null;
  private failure: TlsError | null = null;
  private failWaiters: ((e: TlsError) => void)[] = [];
  /** Our close_notify: started (promise) once. */
  private closing: Promise<void> | null = null;
  /** The chain of writes handed to the pump, in order (close_notify goes after it). */
  private lastWrite: Promise<void> = Promise.resolve();
  private peerEof = false;
  private released = false;
  private resolveClosed!: (e: TlsError | null) => void;
  private handshakeTimer: unknown = null;
  private lingerTimer: unknown = null;
  private lingering = false;
  private discarded = 0;
  /** {@link close} was called: no more reading, EOF without close_notify is not a failure. */
  private closingAll = false;
  /** Chunks the application gave `writable` (counted by its size function, at `write()` time). */
  private writesQueued = 0;
  /** Chunks `writable` handed to {@link onWrite}. */
  private writesStarted = 0;
  /** Wakes {@link close} waiting for the chunks queued before it. */
  private writeWake: (() => void)[] = [];
  /** A write failed: `writable` is errored and drops its queued chunks. */
  private writableErrored = false;

  /**
   * @internal Use `fromStreams`, or the `connect` / `listen` / `upgrade` of an adapter.
   * @param engine - a fresh client or server connection
   * @param transport - the ciphertext transport (started here)
   * @param options - closing and timing
   */
  constructor(engine: TlsConnection, transport: ByteTransport, options: StreamConnectionOptions = {}) {
    this.engine = engine;
    this.transport = transport;
    this.settings = streamSettings(options, engine.role);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.readCtl = c;
        },
        pull: () => this.onPull(),
        cancel: () => this.onCancel(),
      },
      { highWaterMark: READABLE_HIGH_WATER, size: (c: Uint8Array) => c.byteLength },
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          // writer.abort() waits for the write in flight, which may wait for the peer to read
          // (back-pressure) forever: the abort signal fails the connection at once instead.
          const signal = (c as { signal?: AbortSignal }).signal;
          signal?.addEventListener('abort', () => this.abort(signal.reason), { once: true });
        },
        write: (chunk) => {
          this.writesStarted++;
          this.wakeWriteWaiter();
          let p: Promise<void>;
          try {
            p = this.onWrite(toBytes(chunk));
          } catch (e) {
            p = Promise.reject(e instanceof TlsError ? e : mapTransportError(e));
          }
          // A failed write errors `writable`: the chunks still queued are dropped, never written.
          p.catch(() => {
            this.writableErrored = true;
            this.wakeWriteWaiter();
          });
          return p;
        },
        close: () => this.closeWrite(),
        abort: (reason) => this.abort(reason),
      },
      {
        highWaterMark: WRITABLE_HIGH_WATER,
        size: (c: Uint8Array) => {
          this.writesQueued++;
          return chunkSize(c);
        },
      },
    );
    const handlers: PumpHandlers = {
      send: (b) => (this.released ? undefined : this.transport.write(b)),
      deliver: (d) => this.deliver(d),
      handshakeDone: () => this.clearHandshakeTimer(),
      readEnded: () => this.onReadEnded(),
      error: (e) => this.onError(e),
      inputDrained: () => this.transport.resume(),
    };
    this.pump = new TlsPump(engine, handlers, { transferInput: transport.transfersInput === true });
    const ms = this.settings.handshakeTimeout;
    if (ms > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.handshakeTimer = null;
        if (!engine.handshakeComplete) this.pump.fail(new TlsError('TimedOut', { detail: `handshake not completed within ${ms} ms`, source: 'transport' }));
      }, ms);
      unrefTimer(this.handshakeTimer);
    }
    transport.start({
      data: (chunk) => this.onTransportData(chunk),
      end: () => this.onTransportEnd(),
      error: (e) => this.pump.fail(mapTransportError(e)),
    });
    void this.pump.start();
  }

  /** What was negotiated, and what was found about the peer's certificate. */
  get info(): ConnectionInfo {
    return this.engine.info;
  }

  /** The role of this end. */
  get role(): 'client' | 'server' {
    return this.engine.role;
  }

  /**
   * Resolves with {@link info} once the handshake completed; rejects with the
   * {@link TlsError} that ended it (TLS or transport). Data can be written before: it is
   * sent once the handshake completes.
   */
  handshake(): Promise<ConnectionInfo> {
    return this.raceFailure(this.engine.handshake()).then(() => this.engine.info);
  }

  /**
   * Sends a TLS 1.3 KeyUpdate (RFC 9846 §4.6.3), optionally asking the peer to update too.
   * @param requestPeer - also ask the peer to update its keys
   */
  keyUpdate(requestPeer = false): Promise<void> {
    return this.raceFailure(this.pump.keyUpdate(requestPeer));
  }

  /**
   * Keying material exporter (RFC 5705 / RFC 9846 §7.5).
   * @param label - the exporter label
   * @param context - context value, or null (absent and empty differ in TLS 1.2 only)
   * @param length - bytes wanted
   */
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    return this.engine.exportKeyingMaterial(label, context, length);
  }

  /**
   * Closes gracefully, both ways: what was written goes out, then our close_notify and
   * EOF; then the peer's remaining data is discarded (`readable` ends now) until it closes
   * too, for at most `lingerTimeout` ms, and the transport is released. Resolves with
   * {@link closed}'s value. Use `writable.close()` instead to keep reading the peer's reply.
   */
  async close(): Promise<TlsError | null> {
    // From now on the peer's EOF ends the connection whether or not its close_notify came
    // first: we read nothing more (a transport without half-close, such as a WebSocket,
    // cannot even deliver it after our EOF).
    this.closingAll = true;
    if (this.readState === 'open') {
      this.readState = 'cancelled';
      try {
        this.readCtl.close();
      } catch {
        // already closed by the stream machinery
      }
    }
    this.pump.resume();
    this.transport.resume();
    // What was written before close() goes out first, even the chunks `writable` still queues
    // (its sink sees them only later, one at a time).
    const queued = this.writesQueued;
    while (this.writesStarted < queued && !this.failure && !this.released && this.closing === null && !this.writableErrored) {
      await new Promise<void>((r) => this.writeWake.push(r));
    }
    if (!this.failure && !this.released) {
      try {
        await this.closeWrite();
      } catch {
        // the failure is reported through `closed`
      }
      this.startLinger();
    }
    return this.closed;
  }

  // ------------------------------------------------------------ readable side

  private deliver(d: Uint8Array): boolean {
    if (this.readState !== 'open') return true; // cancelled or closing: discard
    this.readCtl.enqueue(d);
    return (this.readCtl.desiredSize ?? 0) > 0;
  }

  private onPull(): void {
    if (this.pendingError && this.readCtl.desiredSize === READABLE_HIGH_WATER) {
      // Everything received before the failure has been read: now the error.
      const e = this.pendingError;
      this.pendingError = null;
      this.readState = 'errored';
      this.readCtl.error(e);
      return;
    }
    this.pump.resume();
  }

  private onCancel(): void {
    // The application wants no more plaintext: keep the connection (writes may go on) and discard.
    if (this.readState === 'open') this.readState = 'cancelled';
    this.pump.resume();
  }

  private onReadEnded(): void {
    if (this.readState === 'open') {
      this.readState = 'ended';
      this.readCtl.close();
    }
    // RFC 5246 §7.2.1: TLS 1.2 answers close_notify at once; RFC 9846 §6.1 lets TLS 1.3 keep
    // writing (allowHalfOpen), else ours follows the writes already made, as in puretls/node.
    if (this.engine.info.version === 'TLSv1.2' || !this.settings.allowHalfOpen) {
      this.closeWrite().catch(() => {
        // reported through `closed` / the readable
      });
    }
    this.maybeRelease();
  }

  // ------------------------------------------------------------ writable side

  private onWrite(bytes: Uint8Array): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new TlsError('Closed', { detail: 'write after close_notify was sent', source: 'caller' }));
    const p = this.raceFailure(this.pump.write(bytes));
    this.lastWrite = p.catch(() => undefined);
    return p;
  }

  /** Our close_notify, after the handshake and every earlier write, then EOF on the transport. */
  private closeWrite(): Promise<void> {
    if (this.closing === null) queueMicrotask(() => this.wakeWriteWaiter());
    this.closing ??= (async () => {
      await this.lastWrite;
      if (this.failure) throw this.failure;
      if (!this.engine.handshakeComplete) await this.raceFailure(this.engine.handshake());
      await this.raceFailure(this.pump.close());
      if (!this.released) await this.transport.closeWrite();
      this.maybeRelease();
    })();
    return this.closing;
  }

  private wakeWriteWaiter(): void {
    const w = this.writeWake;
    this.writeWake = [];
    for (const f of w) f();
  }

  private abort(reason: unknown): void {
    const e = reason instanceof TlsError ? reason : new TlsError('Closed', { detail: 'writable aborted', cause: reason, source: 'caller' });
    this.onError(e);
  }

  // ------------------------------------------------------------ transport events

  private onTransportData(chunk: Uint8Array): boolean {
    if (this.lingering) {
      this.discarded += chunk.length;
      if (this.discarded > STREAM_LINGER_MAX_BYTES) this.release();
      return true;
    }
    if (this.failure) return true;
    return this.pump.push(chunk);
  }

  private onTransportEnd(): void {
    this.peerEof = true;
    if (this.lingering || (this.closingAll && !this.failure)) {
      this.release();
      return;
    }
    this.pump.eof();
    this.maybeRelease();
  }

  // ------------------------------------------------------------ failure and release

  private raceFailure<T>(p: Promise<T>): Promise<T> {
    if (this.failure) {
      // The engine's own promise (handshake(), a write) fails too: it must not go unhandled.
      p.catch(() => undefined);
      return Promise.reject(this.failure);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const onFail = (e: TlsError): void => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      };
      this.failWaiters.push(onFail);
      p.then(
        (v) => {
          if (settled) return;
          settled = true;
          this.failWaiters = this.failWaiters.filter((f) => f !== onFail);
          resolve(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          this.failWaiters = this.failWaiters.filter((f) => f !== onFail);
          reject(mapTransportError(e));
        },
      );
    });
  }

  private onError(err: TlsError): void {
    if (this.failure) return;
    this.failure = err;
    this.wakeWriteWaiter();
    this.clearHandshakeTimer();
    const waiters = this.failWaiters;
    this.failWaiters = [];
    for (const w of waiters) w(err);
    if (this.readState === 'open') {
      if (this.readCtl.desiredSize === READABLE_HIGH_WATER) {
        this.readState = 'errored';
        this.readCtl.error(err);
      } else {
        // Data received before the failure is read first; onPull errors the stream after it.
        this.pendingError = err;
      }
    }
    if (err.source === 'transport' || this.released) this.release();
    else this.startLinger();
  }

  /** Half-close and discard the peer's input for a while (see {@link StreamConnectionOptions.lingerTimeout}). */
  private startLinger(): void {
    if (this.released || this.lingering) return;
    this.lingering = true;
    this.transport.resume();
    if (this.peerEof || this.settings.lingerTimeout === 0) {
      // Our last bytes are already handed to the transport; half-close so they go out, then release.
      this.transport.closeWrite().then(
        () => this.release(),
        () => this.release(),
      );
      return;
    }
    this.transport.closeWrite().catch(() => this.release());
    this.lingerTimer = setTimeout(() => this.release(), this.settings.lingerTimeout);
    unrefTimer(this.lingerTimer);
  }

  /**
   * Both directions closed: our close_notify and EOF went out and the peer's EOF arrived
   * (and was processed: its close_notify ended the readable, or its absence failed it).
   */
  private maybeRelease(): void {
    if (this.released || this.failure || !this.peerEof || this.closing === null) return;
    const closing = this.closing;
    void closing
      .then(() => this.pump.whenIdle())
      .then(
        () => {
          if (!this.failure) this.release();
        },
        () => undefined,
      );
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.wakeWriteWaiter();
    this.clearHandshakeTimer();
    if (this.lingerTimer !== null) clearTimeout(this.lingerTimer as Parameters<typeof clearTimeout>[0]);
    this.lingerTimer = null;
    this.transport.close();
    // Anything still waiting (a handshake that can no longer complete) ends now.
    const waiters = this.failWaiters;
    this.failWaiters = [];
    if (waiters.length > 0) {
      const closed = this.failure ?? new TlsError('Closed', { detail: 'the connection was closed', source: 'caller' });
      for (const w of waiters) w(closed);
    }
    if (this.readState === 'open' && !this.failure) {
      // Released before the peer finished (close() lingered out): our reader ends here.
      this.readState = 'cancelled';
      try {
        this.readCtl.close();
      } catch {
        // already closed
      }
    }
    this.resolveClosed(this.failure);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer as Parameters<typeof clearTimeout>[0]);
    this.handshakeTimer = null;
  }
}

// ------------------------------------------------------------------ Web Streams transport

/** A pair of byte streams, as `fromStreams` takes them (a WebSocket wrapper, a worker port, a Deno `Conn`, ...). */
export interface ByteStreamPair {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * A {@link ByteTransport} over a Web Streams pair. Back-pressure: reading stops while the
 * connection asks to pause; a write waits for `writer.ready` when the writable's queue is
 * full. `closeWrite()` closes the writable (the stream's own meaning of EOF); `close()`
 * cancels the readable and aborts the writable.
 */
export class StreamPairTransport implements ByteTransport {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private sink: TransportSink | null = null;
  private paused = false;
  private wake: (() => void) | null = null;
  private closedAll = false;
  private lastWrite: Promise<unknown> = Promise.resolve();
  private readonly halfClose: (() => Promise<void>) | undefined;

  /**
   * @param pair - the streams (locked here)
   * @param halfClose - how to send EOF, when the writable's `close()` would close more than
   *   the sending direction (a Deno `Conn`: `closeWrite()`)
   */
  constructor(pair: ByteStreamPair, halfClose?: () => Promise<void>) {
    this.reader = pair.readable.getReader();
    this.writer = pair.writable.getWriter();
    this.halfClose = halfClose;
    // A rejected ready/closed promise must not be reported as unhandled: failures surface through write().
    this.writer.closed.catch(() => undefined);
  }

  start(sink: TransportSink): void {
    this.sink = sink;
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
    if (this.closedAll) return;
    const w = this.writer;
    const done = w.write(bytes);
    this.lastWrite = done.catch(() => undefined);
    if ((w.desiredSize ?? 0) > 0) {
      done.catch((e: unknown) => this.sink?.error(e));
      return;
    }
    // A failed write is a transport failure (reported to the sink), not a broken handler.
    return done.then(
      () => undefined,
      (e: unknown) => {
        if (!this.closedAll) this.sink?.error(e);
      },
    );
  }

  async closeWrite(): Promise<void> {
    if (this.closedAll) return;
    if (this.halfClose) {
      // Every byte handed over is written before EOF (the close_notify among them).
      await this.lastWrite;
      await this.halfClose();
      return;
    }
    await this.writer.close();
  }

  close(): void {
    if (this.closedAll) return;
    this.closedAll = true;
    this.reader.cancel().catch(() => undefined);
    this.writer.abort().catch(() => undefined);
    this.resume();
  }

  private async readLoop(): Promise<void> {
    const sink = this.sink!;
    try {
      for (;;) {
        while (this.paused && !this.closedAll) await new Promise<void>((r) => (this.wake = r));
        if (this.closedAll) return;
        const { value, done } = await this.reader.read();
        if (done) {
          if (!this.closedAll) sink.end();
          return;
        }
        if (value.byteLength > 0 && !sink.data(toBytes(value))) this.paused = true;
      }
    } catch (e) {
      if (!this.closedAll) sink.error(e);
    }
  }
}
