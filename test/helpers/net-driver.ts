/**
 * A small, test-only driver that runs a sans-I/O {@link TlsConnection} over a
 * `node:net` socket, in either role. It deliberately does not use the product's Node
 * adapter (src/transport/node.ts) so that interop tests exercise the engine alone.
 *
 * Contract honoured (src/engine/connection.ts):
 * - `receive(bytes)` accepts at most what fits: the rest is re-offered after
 *   `await process()`;
 * - after every `process()` (and every `write()` / `keyUpdate()` / `close()`) all of
 *   `takeOutput()` is flushed to the socket and all of `read()` is collected;
 * - every operation on the connection is serialised through one promise chain, so
 *   application calls never interleave with a `process()` in flight;
 * - socket input is paused while a chunk is being processed (back-pressure).
 *
 * Only loopback addresses are used by the tests (DESIGN.md §5).
 */
import net from 'node:net';
import { once } from 'node:events';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions, TraceEvent } from '../../src/config/config.js';

/** Why a wait ended without its condition becoming true. */
export class DriverWaitError extends Error {}

/** A TlsConnection bound to a net.Socket. */
export class NetTlsDriver {
  readonly conn: TlsConnection;
  readonly socket: net.Socket;
  /** Trace events from the engine (only if the driver created the connection with tracing). */
  readonly traceEvents: TraceEvent[];
  /** Plaintext received and not yet consumed by a read helper. */
  private received: Buffer[] = [];
  private receivedLength = 0;
  /** Total plaintext bytes ever received. */
  totalReceived = 0;
  /** The transport sent EOF (FIN). */
  transportEnded = false;
  /** The socket is closed (both directions, or destroyed). */
  transportClosed = false;
  /** A socket error, if any. */
  socketError: Error | null = null;
  /** Set by {@link echo}: every plaintext byte received is written back. */
  private echoing = false;
  private chain: Promise<void> = Promise.resolve();
  private listeners = new Set<() => void>();
  /** Errors thrown by driver internals (not engine errors: those are in `conn.error`). */
  internalError: unknown = null;

  constructor(conn: TlsConnection, socket: net.Socket, traceEvents: TraceEvent[] = []) {
    this.conn = conn;
    this.socket = socket;
    this.traceEvents = traceEvents;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      socket.pause();
      void this.enqueueInternal(() => this.feed(chunk)).finally(() => {
        if (!socket.destroyed) socket.resume();
      });
    });
    socket.on('end', () => {
      this.transportEnded = true;
      void this.enqueueInternal(async () => {
        this.conn.end();
        await this.conn.process();
        this.drain();
        // Half-close: once the peer is gone there is nothing more to say after our output.
        if (!this.socket.destroyed) this.socket.end();
      });
    });
    socket.on('error', (e) => {
      this.socketError = e;
      this.notify();
    });
    socket.on('close', () => {
      this.transportClosed = true;
      this.notify();
    });
  }

  /** Opens a TCP connection to 127.0.0.1 (or `host`) and starts a client handshake. */
  static connect(port: number, options: ClientOptions, host = '127.0.0.1'): Promise<NetTlsDriver> {
    return NetTlsDriver.connectTo({ port, host }, options);
  }

  /**
   * Opens a Unix-socket connection and starts a client handshake (reaches a server in a
   * private network namespace through test/helpers/peers.ts startNamespacedServer).
   */
  static connectPath(socketPath: string, options: ClientOptions): Promise<NetTlsDriver> {
    return NetTlsDriver.connectTo({ path: socketPath }, options);
  }

  /** Opens a connection (`net.connect` options) and starts a client handshake. */
  static async connectTo(target: net.NetConnectOpts, options: ClientOptions): Promise<NetTlsDriver> {
    const events: TraceEvent[] = [];
    const userTrace = options.trace;
    const conn = TlsConnection.client({
      ...options,
      trace: (e) => {
        events.push(e);
        userTrace?.(e);
      },
    });
    const socket = net.connect(target);
    await once(socket, 'connect');
    const d = new NetTlsDriver(conn, socket, events);
    await d.enqueueInternal(async () => {
      await conn.start();
      d.drain();
    });
    return d;
  }

  /**
   * Runs `fn` after every previously queued operation on this connection. A throw
   * (e.g. `write()` after close) rejects the returned promise only.
   */
  enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Like {@link enqueue}, for the driver's own work: a throw there is a driver bug, kept in `internalError`. */
  private enqueueInternal(fn: () => Promise<void> | void): Promise<void> {
    return this.enqueue(fn).catch((e: unknown) => {
      this.internalError ??= e;
      this.notify();
    });
  }

  /** Offers one socket chunk to the engine, honouring receive()'s accepted count. */
  private async feed(chunk: Buffer): Promise<void> {
    let rest: Uint8Array = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let stalls = 0;
    while (rest.length > 0) {
      const n = this.conn.receive(rest);
      rest = rest.subarray(n);
      await this.conn.process();
      this.drain();
      if (this.conn.error) return; // receive() discards everything once the connection failed
      stalls = n === 0 ? stalls + 1 : 0;
      if (stalls > 2) throw new Error(`net-driver: engine accepts no input (phase ${this.conn.phase})`);
    }
    // Records may be held back while plaintext was buffered: let the engine finish them.
    await this.conn.process();
    this.drain();
  }

  /** Collects plaintext, echoes it if asked, and flushes all engine output to the socket. */
  private drain(): void {
    for (let r = this.conn.read(); r; r = this.conn.read()) {
      this.totalReceived += r.length;
      if (this.echoing && !this.conn.error && this.conn.wants.write) {
        this.conn.write(r);
      } else {
        const b = Buffer.from(r.buffer, r.byteOffset, r.byteLength);
        this.received.push(b);
        this.receivedLength += b.length;
      }
    }
    if (this.echoing && this.conn.readEnded && !this.conn.error && this.conn.phase === 'peer-closed') {
      this.conn.close();
    }
    this.flushOutput();
    this.notify();
  }

  private flushOutput(): void {
    for (let o = this.conn.takeOutput(); o; o = this.conn.takeOutput()) {
      if (!this.socket.destroyed && this.socket.writable) this.socket.write(o);
    }
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** True when no more plaintext can ever arrive. */
  get finished(): boolean {
    return this.conn.error !== null || this.conn.readEnded || this.transportEnded || this.transportClosed || this.internalError !== null;
  }

  /** Describes the state, for failure messages. */
  describe(): string {
    return (
      `phase=${this.conn.phase} error=${this.conn.error ? `${this.conn.error.status}: ${this.conn.error.message}` : 'none'} ` +
      `buffered=${this.receivedLength} total=${this.totalReceived} transportEnded=${this.transportEnded} ` +
      `closed=${this.transportClosed} socketError=${this.socketError?.message ?? 'none'} internal=${String(this.internalError ?? 'none')}`
    );
  }

  /**
   * Waits until `pred()` holds. Rejects on timeout, or when nothing more can happen
   * (`finished`) and the predicate is still false.
   */
  waitFor(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          done();
          resolve();
        } else if (this.finished) {
          // Let the queue settle: the last chunk may still be in flight.
          void this.chain.then(() => {
            if (pred()) {
              done();
              resolve();
            } else if (this.finished) {
              done();
              reject(new DriverWaitError(`net-driver: gave up waiting for ${what}: ${this.describe()}`));
            }
          });
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new DriverWaitError(`net-driver: timed out after ${timeoutMs} ms waiting for ${what}: ${this.describe()}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves when the handshake completed; rejects with the engine error or a transport failure. */
  async handshake(timeoutMs = 20_000): Promise<void> {
    await this.waitFor(() => this.conn.handshakeComplete || this.conn.error !== null, 'the handshake', timeoutMs).catch((e: unknown) => {
      if (this.conn.error) throw this.conn.error;
      throw e;
    });
    if (this.conn.error) throw this.conn.error;
  }

  /** Queues plaintext and flushes; resolves once the socket accepted the bytes (drain). */
  async write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const flushed = await this.enqueue(() => {
      this.conn.write(bytes);
      let ok = true;
      for (let o = this.conn.takeOutput(); o; o = this.conn.takeOutput()) {
        if (!this.socket.destroyed) ok = this.socket.write(o) && ok;
      }
      return ok;
    });
    if (!flushed && !this.socket.destroyed) await once(this.socket, 'drain');
  }

  /** Sends KeyUpdate (optionally requesting the peer's) and flushes. */
  keyUpdate(requestPeer: boolean): Promise<void> {
    return this.enqueue(() => {
      this.conn.keyUpdate(requestPeer);
      this.flushOutput();
    });
  }

  /** Queues close_notify, flushes it and half-closes the socket. */
  close(): Promise<void> {
    return this.enqueue(() => {
      this.conn.close();
      this.flushOutput();
      if (!this.socket.destroyed) this.socket.end();
    });
  }

  /** From now on every byte received is written back (and close_notify answered). */
  echo(): Promise<void> {
    return this.enqueue(() => {
      this.echoing = true;
      const pending = this.takeAll();
      if (pending.length > 0) this.conn.write(pending);
      this.drain();
    });
  }

  /** Takes everything received so far. */
  takeAll(): Buffer {
    const out = Buffer.concat(this.received);
    this.received = [];
    this.receivedLength = 0;
    return out;
  }

  /** Waits for exactly `n` plaintext bytes and returns them (leaves any excess buffered). */
  async readExactly(n: number, timeoutMs = 30_000): Promise<Buffer> {
    await this.waitFor(() => this.receivedLength >= n, `${n} bytes of plaintext`, timeoutMs);
    const all = this.takeAll();
    if (all.length > n) {
      this.received = [all.subarray(n)];
      this.receivedLength = all.length - n;
    }
    return all.subarray(0, n);
  }

  /** Waits until the buffered plaintext contains `text`, returns (and consumes) everything buffered. */
  async readUntil(text: string, timeoutMs = 20_000): Promise<string> {
    await this.waitFor(() => Buffer.concat(this.received).includes(text), `'${text}'`, timeoutMs);
    return this.takeAll().toString('latin1');
  }

  /** Waits until the peer's close_notify (or transport end) and returns what was buffered. */
  async readToEnd(timeoutMs = 20_000): Promise<Buffer> {
    await this.waitFor(() => this.conn.readEnded || this.finished, 'the end of the stream', timeoutMs);
    await this.chain;
    return this.takeAll();
  }

  /** Waits for a trace event matching `pred` (client/server trace is always on in this driver). */
  waitForTrace(pred: (e: TraceEvent) => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    return this.waitFor(() => this.traceEvents.some(pred), what, timeoutMs);
  }

  /** Destroys the socket (no close_notify). */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Server options, either fixed or computed per connection. */
export type ServerOptionsSource = ServerOptions | (() => ServerOptions);

/** A net.Server that runs TlsConnection.server per connection. */
export class NetTlsServer {
  readonly server: net.Server;
  readonly connections: NetTlsDriver[] = [];
  /** Errors thrown by TlsConnection.server() for incoming connections. */
  readonly errors: unknown[] = [];
  private waiting: ((d: NetTlsDriver) => void)[] = [];
  private nextIndex = 0;

  private constructor(server: net.Server) {
    this.server = server;
  }

  /** Listens on an OS-chosen port on `host` (default 127.0.0.1). */
  static async listen(options: ServerOptionsSource, opts: { host?: string; echo?: boolean } = {}): Promise<NetTlsServer> {
    let self: NetTlsServer | undefined;
    const server = net.createServer((socket) => {
      const events: TraceEvent[] = [];
      let d: NetTlsDriver;
      try {
        const o = typeof options === 'function' ? options() : options;
        const userTrace = o.trace;
        const conn = TlsConnection.server({
          ...o,
          trace: (e) => {
            events.push(e);
            userTrace?.(e);
          },
        });
        d = new NetTlsDriver(conn, socket, events);
      } catch (e) {
        // A bad configuration: keep the error for the test (throwing here would crash the worker).
        self!.errors.push(e);
        socket.destroy();
        return;
      }
      if (opts.echo) void d.echo();
      self!.connections.push(d);
      const w = self!.waiting.shift();
      if (w) {
        self!.nextIndex++;
        w(d);
      }
    });
    self = new NetTlsServer(server);
    server.listen(0, opts.host ?? '127.0.0.1');
    await once(server, 'listening');
    return self;
  }

  /** The OS-chosen port. */
  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === 'string') throw new Error('server not listening');
    return a.port;
  }

  /** Resolves with the next accepted connection (in order of arrival). */
  accept(timeoutMs = 20_000): Promise<NetTlsDriver> {
    if (this.nextIndex < this.connections.length) return Promise.resolve(this.connections[this.nextIndex++]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiting.indexOf(w);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new Error(`net-driver: no connection accepted within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = (d: NetTlsDriver): void => {
        clearTimeout(timer);
        resolve(d);
      };
      this.waiting.push(w);
    });
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
