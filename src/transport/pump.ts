/**
 * The runtime-neutral drive loop between a transport and a {@link TlsConnection}.
 *
 * Every adapter (Node, Deno, Bun, Web Streams) has the same job: offer incoming bytes
 * to the engine, run it, send what it produced, hand the plaintext it decrypted to the
 * application and tell it when the transport reached EOF. {@link TlsPump} does that job
 * once, with the engine's contract kept in one place:
 *
 * - `receive()` accepts at most one record beyond what `process()` has consumed: the
 *   rest of a chunk is kept here and offered again after `await process()`.
 * - Output is flushed after every `process()`, `write()`, `close()` and `keyUpdate()`;
 *   a `send` that returns a promise is awaited (transport back-pressure).
 * - Plaintext is handed to `deliver`; when it returns `false` the pump stops reading
 *   from the engine until {@link TlsPump.resume}. The engine then stops decrypting at
 *   its high-water mark, stops accepting input, and {@link TlsPump.push} returns `false`
 *   so the adapter pauses its source (application back-pressure).
 * - EOF is given to the engine (`end()`) only after every byte received before it has
 *   been processed and every plaintext byte delivered, so nothing is lost and a
 *   truncation error is reported after the data that preceded it.
 * - An error is reported once, after the alert the engine queued has been sent and the
 *   plaintext received before the failure has been delivered.
 *
 * This file imports no `node:` module.
 *
 * @module
 */
import type { TlsConnection } from '../engine/tls-connection.js';
import { TlsError, thrownText } from '../base/errors.js';

/** Callbacks through which a {@link TlsPump} talks to its transport and application. */
export interface PumpHandlers {
  /**
   * Sends ciphertext to the transport. Return a promise to apply back-pressure: the
   * pump awaits it before sending more, and `write()` / `close()` resolve only after it.
   * Bytes must be handed over in call order (the pump calls `send` synchronously after
   * taking output, so a transport that queues synchronously keeps the order).
   */
  send(bytes: Uint8Array): void | Promise<void>;
  /**
   * Optional: sends several records at once, in order (a gathered write: one system call
   * for all). Same contract as {@link send}. With it, records written back to back by
   * {@link TlsPump.writeNow} are sent together (see there).
   */
  sendv?(records: Uint8Array[]): void | Promise<void>;
  /** Receives decrypted application data. Return `false` to pause delivery until {@link TlsPump.resume}. */
  deliver(data: Uint8Array): boolean | void;
  /** The handshake completed (called once). */
  handshakeDone?(): void;
  /** The peer sent close_notify and all its data has been delivered (called once). */
  readEnded?(): void;
  /** The connection failed (called once, with the engine's sticky error or a transport error). */
  error?(err: TlsError): void;
  /** All input given to {@link TlsPump.push} has been accepted: a paused source may resume. */
  inputDrained?(): void;
}

/** Plaintext {@link TlsPump.writeNow} lets queue before sending: four full records, one gathered write. */
const BATCH_BYTES = 64 * 1024;

/**
 * Plaintext {@link TlsPump.writeNow} lets an async AEAD seal ahead of the transport: eight full
 * records sealing at once (the reader opens as many ahead, MAX_RECORDS_AHEAD).
 */
const SEAL_AHEAD_BYTES = 8 * 16 * 1024;

/** The default {@link PumpOptions.defer} (a plain call: browsers refuse `queueMicrotask` on another `this`). */
function microtask(fn: () => void): void {
  queueMicrotask(fn);
}

function asTlsError(e: unknown): TlsError {
  // thrownText never throws (a thrown value without a string form, from a caller's transport).
  return e instanceof TlsError ? e : new TlsError('InternalError', { detail: thrownText(e), cause: e });
}

/** Options for {@link TlsPump}. */
export interface PumpOptions {
  /**
   * Bytes of not-yet-accepted input above which {@link TlsPump.push} returns `false`
   * (default 64 KiB). Input is never dropped; this only tells the adapter when to pause.
   */
  inputHighWaterMark?: number;
  /**
   * The adapter gives up every chunk it passes to {@link TlsPump.push} (default false):
   * neither it nor anyone else changes or reads the chunk afterwards, as with the fresh
   * buffer of each socket read. The engine then takes a complete record at a chunk's
   * start without copying it, and may decrypt it in that chunk's memory.
   */
  transferInput?: boolean;
  /**
   * Runs the send of what {@link TlsPump.writeNow} batched, later in the current task
   * (default `queueMicrotask`). An adapter whose stream reports a write as done with a
   * callback queued by other means passes that means (Node: `process.nextTick`, which is
   * what Writable uses), so the batch is handed to the transport before the callback of the
   * write that started it runs, whatever context the write was made in.
   */
  defer?: (fn: () => void) => void;
}

/**
 * Drives one {@link TlsConnection} between a transport and an application.
 *
 * @example
 * ```ts
 * const pump = new TlsPump(conn, {
 *   send: (b) => socket.write(b),
 *   deliver: (d) => app.push(d),
 * });
 * socket.onData = (chunk) => { if (!pump.push(chunk)) socket.pause(); };
 * socket.onEnd = () => pump.eof();
 * pump.start();
 * ```
 */
export class TlsPump {
  /** The engine driven by this pump. */
  readonly connection: TlsConnection;
  private readonly h: PumpHandlers;
  private readonly highWater: number;
  private readonly transfer: boolean;
  private readonly defer: (fn: () => void) => void;
  private input: Uint8Array[] = [];
  private inputBytes = 0;
  /**
   * The pump's yes/no states, one bit each (an idle connection keeps one number instead of
   * eleven fields: memory, issue 9), read and written through the accessors below.
   */
  private flags = 0;
  private get inputWanted(): boolean {
    return (this.flags & 1) !== 0;
  }
  private set inputWanted(v: boolean) {
    this.flags = v ? this.flags | 1 : this.flags & ~1;
  }
  private get eofPending(): boolean {
    return (this.flags & 2) !== 0;
  }
  private set eofPending(v: boolean) {
    this.flags = v ? this.flags | 2 : this.flags & ~2;
  }
  private get eofDone(): boolean {
    return (this.flags & 4) !== 0;
  }
  private set eofDone(v: boolean) {
    this.flags = v ? this.flags | 4 : this.flags & ~4;
  }
  private get paused(): boolean {
    return (this.flags & 8) !== 0;
  }
  private set paused(v: boolean) {
    this.flags = v ? this.flags | 8 : this.flags & ~8;
  }
  private get running(): boolean {
    return (this.flags & 16) !== 0;
  }
  private set running(v: boolean) {
    this.flags = v ? this.flags | 16 : this.flags & ~16;
  }
  private get dirty(): boolean {
    return (this.flags & 32) !== 0;
  }
  private set dirty(v: boolean) {
    this.flags = v ? this.flags | 32 : this.flags & ~32;
  }
  private get started(): boolean {
    return (this.flags & 64) !== 0;
  }
  private set started(v: boolean) {
    this.flags = v ? this.flags | 64 : this.flags & ~64;
  }
  private get handshakeReported(): boolean {
    return (this.flags & 128) !== 0;
  }
  private set handshakeReported(v: boolean) {
    this.flags = v ? this.flags | 128 : this.flags & ~128;
  }
  private get readEndReported(): boolean {
    return (this.flags & 256) !== 0;
  }
  private set readEndReported(v: boolean) {
    this.flags = v ? this.flags | 256 : this.flags & ~256;
  }
  private get errorReported(): boolean {
    return (this.flags & 512) !== 0;
  }
  private set errorReported(v: boolean) {
    this.flags = v ? this.flags | 512 : this.flags & ~512;
  }
  /** A deferred call ({@link PumpOptions.defer}) will send what {@link writeNow} left queued. */
  private get batchFlushQueued(): boolean {
    return (this.flags & 1024) !== 0;
  }
  private set batchFlushQueued(v: boolean) {
    this.flags = v ? this.flags | 1024 : this.flags & ~1024;
  }
  /** A send of what {@link writeNow} let an async AEAD seal ahead is waiting for the seals. */
  private get sealFlushQueued(): boolean {
    return (this.flags & 2048) !== 0;
  }
  private set sealFlushQueued(v: boolean) {
    this.flags = v ? this.flags | 2048 : this.flags & ~2048;
  }
  /** The transport asked to wait and has not taken its bytes yet (see {@link pressed}). */
  private get sendBlocked(): boolean {
    return (this.flags & 4096) !== 0;
  }
  private set sendBlocked(v: boolean) {
    this.flags = v ? this.flags | 4096 : this.flags & ~4096;
  }
  private transportError: TlsError | null = null;
  /**
   * The error the pump reported, or the one it was aborted with ({@link abort}): nothing more
   * will happen. An abort's error may still be a maker: made only if someone asks for it
   * ({@link stopError}), since a `destroy()` after a finished handshake usually has no one to tell.
   */
  private stopped: TlsError | (() => TlsError) | null = null;
  /** Rejecters of {@link handshake} callers still waiting; allocated only while someone waits. */
  private handshakeWaiters: ((e: TlsError) => void)[] | null = null;
  /** Waiters of {@link whenIdle}; allocated only while someone waits. */
  private idle: (() => void)[] | null = null;
  /**
   * Plaintext bytes {@link writeNow} left queued in the engine, not sent yet: sealed ones
   * batched for one gathered write, or ones an async AEAD is still sealing.
   */
  private batched = 0;

  /**
   * @param connection - a fresh client or server connection
   * @param handlers - transport and application callbacks
   * @param options - tuning
   */
  constructor(connection: TlsConnection, handlers: PumpHandlers, options: PumpOptions = {}) {
    this.connection = connection;
    this.h = handlers;
    this.highWater = options.inputHighWaterMark ?? 64 * 1024;
    this.transfer = options.transferInput === true;
    this.defer = options.defer ?? microtask;
  }

  /** True once an error has been reported (the pump does nothing more). */
  get failed(): boolean {
    return this.errorReported;
  }

  /** True while delivery is paused by the application. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts the engine (a client sends its ClientHello). Resolves when the first flight has been sent. */
  start(): Promise<void> {
    this.started = true;
    return this.kick();
  }

  /**
   * Offers bytes received from the transport. Returns `false` when the adapter should
   * pause its source; {@link PumpHandlers.inputDrained} says when to resume.
   */
  push(chunk: Uint8Array): boolean {
    if (this.errorReported || this.eofPending) return true;
    if (chunk.length > 0) {
      this.input.push(chunk);
      this.inputBytes += chunk.length;
    }
    this.schedule();
    // "Above which": a single transport read of exactly the mark (Node reads 64 KiB at a
    // time) must not pause the source after every read.
    const ok = this.inputBytes <= this.highWater;
    if (!ok) this.inputWanted = true;
    return ok;
  }

  /** The transport reached EOF. Without a prior close_notify this is reported as `Truncated`. */
  eof(): void {
    if (this.eofPending) return;
    this.eofPending = true;
    this.schedule();
  }

  /** The application wants more data: resumes delivery after `deliver` returned `false`. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  /**
   * Writes application data. Waits for the handshake first; resolves once the
   * protected records were handed to the transport (and its back-pressure promise, if
   * any, resolved), or, with an async AEAD, once they are being sealed with less than
   * eight records' worth ahead of the transport (see {@link writeNow}). Rejects with the
   * connection's error.
   */
  async write(data: Uint8Array): Promise<void> {
    if (!this.started) void this.start();
    if (!this.connection.handshakeComplete) await this.handshake();
    this.throwIfFailed();
    this.connection.write(data);
    if (this.connection.sealing && this.sealsAhead(data.length)) return;
    await this.flush();
    this.throwIfFailed();
  }

  /**
   * An async AEAD (webcrypto) seals off the main thread: true while the plaintext written
   * since the last send, `n` more bytes included, is at most SEAL_AHEAD_BYTES. The write is
   * then reported done before its records are sealed, so that several records seal at once;
   * they go out in order once sealed ({@link flushSealed}). One write at a time, each waiting
   * for its own seal and send, the sender's throughput would be one seal's latency per
   * record. A write beyond the bound waits for the seals and the transport, as before.
   */
  private sealsAhead(n: number): boolean {
    // `batched` counts the bytes reported done since every seal last settled (flushSealed):
    // sends made meanwhile (a read's answer, a flush) do not reset it while sealing.
    const ahead = this.batched + n;
    if (ahead > SEAL_AHEAD_BYTES || this.sendBlocked) return false;
    this.batched = ahead;
    if (!this.sealFlushQueued) {
      this.sealFlushQueued = true;
      void this.connection.settled().then((this.flushSealedFn ??= () => this.flushSealed()));
    }
    return true;
  }

  /**
   * {@link write} without a promise when it can finish at once: the handshake is complete,
   * nothing has failed, the records are sealed synchronously and the transport takes them
   * without asking to wait. Returns undefined when the data is sealed and handed to the
   * transport (or batched for the end of the task), else the promise {@link write} would
   * give. Throws the connection's error (sticky) instead of rejecting when it is known at once.
   *
   * With an async AEAD, undefined also when the data is being sealed and fewer than eight
   * records' worth are ahead of the transport: they are sent, in order, once sealed. An
   * adapter that closes its transport abruptly waits for {@link TlsConnection.settled} and
   * {@link sendSealed} first, so that no write reported done is lost; a seal that fails fails
   * the connection (reported through `error`).
   */
  writeNow(data: Uint8Array): Promise<void> | undefined {
    const c = this.connection;
    if (!this.started || !c.handshakeComplete) return this.write(data);
    this.throwIfFailed();
    c.write(data);
    if (c.sealing) {
      if (this.sealsAhead(data.length)) return undefined;
    } else if (this.h.sendv !== undefined) {
      // Writes made back to back (a loop of write() calls, a pipe) are sent together: the
      // records stay queued in the engine until BATCH_BYTES of them are there or the
      // current task ends (`defer`: a microtask or a tick, so before any I/O: no write
      // waits for the event loop), then go out in one gathered write. Anything else that
      // sends (a read, a close, a KeyUpdate) takes them first, in order.
      this.batched += data.length;
      if (this.batched < BATCH_BYTES) {
        if (!this.batchFlushQueued) {
          this.batchFlushQueued = true;
          const defer = this.defer;
          defer((this.flushBatch ??= () => this.flushBatched()));
        }
        return undefined;
      }
    }
    const p = this.sendOutput();
    if (p) return this.flush2(p).then(() => this.throwIfFailed());
    this.throwIfFailed();
    return undefined;
  }

  /**
   * Sends close_notify (after any data written before it) and resolves once it was
   * handed to the transport. The read side stays open until the peer closes.
   */
  async close(): Promise<void> {
    if (this.errorReported || this.transportError || this.stopped) return;
    this.connection.close();
    await this.flush();
  }

  /** Sends a KeyUpdate (TLS 1.3), optionally asking the peer to update too. */
  async keyUpdate(requestPeer = false): Promise<void> {
    this.throwIfFailed();
    this.connection.keyUpdate(requestPeer);
    await this.flush();
  }

  /**
   * Reports a transport failure (socket error). The engine is not consulted: the error
   * is reported at once (after plaintext already decrypted has been delivered).
   */
  fail(err: TlsError): void {
    if (this.errorReported || this.transportError) return;
    this.transportError = err;
    // A write waiting for the handshake is answered now: the handshake cannot complete any more.
    this.rejectHandshakeWaiters(err);
    this.schedule();
  }

  /**
   * The adapter is gone (the application destroyed the socket, a handshake timeout): every
   * {@link write} or {@link handshake} still waiting for the handshake rejects with `err` now
   * (a write made during the handshake must not wait forever for one that can no longer
   * complete), and every later {@link write}, {@link writeNow} or {@link keyUpdate} throws it;
   * {@link close} does nothing. The adapter stops feeding the pump itself.
   */
  abort(err: TlsError | (() => TlsError)): void {
    if (this.stopped) return;
    this.stopped = err;
    if (this.handshakeWaiters !== null) this.rejectHandshakeWaiters(this.stopError()!);
  }

  /** {@link stopped} as an error (made now if the abort gave a maker). */
  private stopError(): TlsError | null {
    const s = this.stopped;
    if (typeof s !== 'function') return s;
    const e = s();
    this.stopped = e;
    return e;
  }

  /**
   * Hands the transport, now, what the engine has sealed and not sent yet (records
   * {@link writeNow} batched for the end of the task), for an adapter about to close its
   * transport abruptly (the application's `destroy()`): data written just before goes out, as
   * with `node:tls`, whose writes reach the kernel at once. Records an async AEAD is still
   * sealing are not waited for, and the transport's back-pressure is ignored (it is closing).
   */
  sendSealed(): void {
    if (this.errorReported) return;
    try {
      // A promise here only waits for back-pressure or seals in flight (neither rejects): not awaited.
      void this.sendOutput();
    } catch {
      // The transport is being closed anyway.
    }
  }

  /**
   * Resolves once the handshake has completed; rejects with the connection's error, or with
   * the error the pump reported or was aborted with (a transport failure, the adapter
   * destroyed), whichever comes first: unlike `connection.handshake()`, it never waits for a
   * handshake that can no longer complete.
   */
  handshake(): Promise<void> {
    const c = this.connection;
    if (c.handshakeComplete) return Promise.resolve();
    const e = this.stopError() ?? this.transportError ?? c.error;
    if (e) return Promise.reject(e);
    return new Promise((resolve, reject) => {
      (this.handshakeWaiters ??= []).push(reject);
      c.handshake().then(() => {
        this.handshakeWaiters = null;
        resolve();
      }, reject);
    });
  }

  private rejectHandshakeWaiters(err: TlsError): void {
    const w = this.handshakeWaiters;
    this.handshakeWaiters = null;
    if (w) for (const reject of w) reject(err);
  }

  /**
   * {@link flushBatched} bound to this pump, made on the first batched write (an idle
   * connection that never wrote keeps no closure: memory, issue 9).
   */
  private flushBatch: (() => void) | null = null;

  /** {@link flushSealed} bound to this pump, made on the first write sealed asynchronously. */
  private flushSealedFn: (() => void) | null = null;

  /**
   * Sends the records {@link writeNow} let seal ahead, once sealed (writes made meanwhile may
   * still be sealing: the flush waits for them too). A failure (a seal that failed, the
   * transport) is reported by the drive loop, even if no input ever comes.
   */
  private flushSealed(): void {
    this.sealFlushQueued = false;
    this.batched = 0;
    const after = (): void => {
      if (this.connection.error || this.transportError) this.schedule();
    };
    try {
      const p = this.sendOutput();
      if (p) {
        this.flush2(p).then(after, (e: unknown) => this.fail(asTlsError(e)));
        return;
      }
    } catch (e) {
      this.fail(asTlsError(e));
      return;
    }
    after();
  }

  /** Sends what {@link writeNow} left queued (deferred). */
  private flushBatched(): void {
    this.batchFlushQueued = false;
    if (this.batched === 0) return;
    this.batched = 0;
    try {
      // Back-pressure from this send is seen by the next write (its send waits for the drain).
      const p = this.sendOutput();
      if (p) p.catch((e: unknown) => this.fail(asTlsError(e)));
    } catch (e) {
      this.fail(asTlsError(e));
    }
  }

  /** Sends whatever output the engine has queued; resolves when the transport took it. */
  async flush(): Promise<void> {
    for (let p = this.sendOutput(); p; p = this.sendOutput()) await p;
  }

  /**
   * Hands queued output to the transport synchronously until it asks to wait; returns that
   * promise (the caller awaits it, then calls again), or undefined when nothing is left. The
   * drive loop runs once per record: no promise when the transport takes everything at once.
   */
  private sendOutput(): Promise<void> | undefined {
    const sendv = this.h.sendv;
    // While an async AEAD seals, `batched` is sealsAhead's count, reset once the seals settle.
    if (!this.connection.sealing) this.batched = 0;
    for (;;) {
      if (sendv !== undefined && !this.connection.sealing) {
        const outs = this.connection.takeOutputv();
        if (!outs) return undefined;
        const p = outs.length === 1 ? this.h.send(outs[0]!) : sendv.call(this.h, outs);
        if (p) return this.pressed(p);
        continue;
      }
      const out = this.connection.takeOutput();
      if (!out) {
        // An async AEAD may still be sealing what was written: wait until it is sealed (the
        // caller then calls again and sends it).
        if (!this.connection.sealing) return undefined;
        return this.connection.settled();
      }
      const p = this.h.send(out);
      if (p) return this.pressed(p);
    }
  }

  /**
   * The transport asked to wait (`p`): until it has taken what it holds, {@link sealsAhead}
   * lets no write ahead (a peer that stops reading must not make the engine buffer without
   * bound). One promise per back-pressure event, none per record.
   */
  private pressed(p: Promise<void>): Promise<void> {
    this.sendBlocked = true;
    return p.then(() => {
      this.sendBlocked = false;
    });
  }

  /** {@link flush} without a promise when the transport took everything synchronously. */
  private flushNow(): Promise<void> | undefined {
    const p = this.sendOutput();
    return p ? this.flush2(p) : undefined;
  }

  private async flush2(first: Promise<void>): Promise<void> {
    await first;
    await this.flush();
  }

  /** Resolves when the drive loop has nothing left to do (for tests and orderly shutdown). */
  whenIdle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => (this.idle ??= []).push(resolve));
  }

  private throwIfFailed(): void {
    const e = this.stopError() ?? this.transportError ?? this.connection.error;
    if (e) {
      // The failure may have come from this write (an async seal that failed): the drive loop
      // reports it (once), after sending the alert, even if no input ever comes again.
      if (!this.errorReported) this.schedule();
      throw e;
    }
  }

  /** As {@link kick}, for callers that do not wait (no promise per transport chunk). */
  private schedule(): void {
    this.dirty = true;
    if (!this.running) void this.kick();
  }

  private kick(): Promise<void> {
    this.dirty = true;
    if (this.running) return this.whenIdle();
    this.running = true;
    return this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.errorReported) {
        this.dirty = false;
        await this.step();
      }
    } catch (e) {
      // Handlers threw: treat as a local failure rather than an unhandled rejection.
      this.report(asTlsError(e));
    } finally {
      // In the same turn as the last look at `dirty` (a `.finally()` on the loop's promise ran
      // microtasks later): input pushed after that look finds `running` false and kicks a new
      // loop, instead of setting `dirty` for a loop that is ending and never runs again.
      this.running = false;
      const waiting = this.idle;
      this.idle = null;
      if (waiting) for (const r of waiting) r();
    }
  }

  /** One pass: deliver, feed, process, flush, until blocked. */
  private async step(): Promise<void> {
    const c = this.connection;
    if (!this.started) return;
    let stalls = 0;
    for (;;) {
      if (this.errorReported) return;
      if (this.transportError) {
        // The transport is gone: deliver what is already decrypted (unless paused) and report.
        this.deliverReads();
        this.report(this.transportError);
        return;
      }
      // Deliver first: frees room in the engine's read buffer.
      if (!this.deliverReads()) return;
      const err = c.error;
      if (err) {
        await this.flush();
        // Plaintext decrypted before the failure is delivered before the error.
        if (!this.deliverReads()) return;
        this.report(err);
        return;
      }
      this.notifyProgress();

      const chunk = this.input[0];
      if (chunk) {
        const n = c.receive(chunk, this.transfer);
        // The last chunk taken: a fresh empty queue, so an idle connection keeps no grown backing store.
        if (n >= chunk.length) {
          if (this.input.length === 1) this.input = [];
          else this.input.shift();
        }
        else this.input[0] = chunk.subarray(n);
        this.inputBytes -= Math.min(n, chunk.length);
        // No promise per record when the engine and the transport finish at once (bulk data:
        // a chunk's records are opened, delivered and answered in one pass).
        const p = c.processNow();
        if (p) await p;
        const f = this.flushNow();
        if (f) await f;
        if (n === 0) {
          // The engine is full: it holds a record it will not decrypt until its read
          // buffer drains. While the application is paused that is back-pressure: wait
          // for resume(). Otherwise delivering frees it; if it still takes nothing, the
          // engine broke its contract: fail loudly rather than hang or spin.
          if (this.paused) {
            this.deliverReads();
            if (this.paused) return;
          }
          if (++stalls > 2) {
            this.report(new TlsError('InternalError', { detail: 'the engine accepts no input and consumes none (receive/process contract broken)' }));
            return;
          }
        } else {
          stalls = 0;
        }
        continue;
      }
      if (this.inputWanted && this.inputBytes === 0) {
        this.inputWanted = false;
        this.h.inputDrained?.();
      }
      // No input left: run the engine once (first flight, or records held back by the
      // read high-water mark), then handle EOF. Without promises when both finish at once
      // (bulk data: this runs once per transport chunk, and a run over no input is cheap).
      const p = c.processNow();
      if (p) await p;
      const f = this.flushNow();
      if (f) await f;
      if (!this.deliverReads()) return;
      if (c.error) continue;
      this.notifyProgress();
      // Input (and EOF after it) may have arrived while process()/flush() were awaited: take
      // it first, or EOF would be given to the engine ahead of bytes received before it.
      if (this.input.length > 0) continue;
      if (this.eofPending && !this.eofDone) {
        // Everything before EOF has been processed and delivered.
        this.eofDone = true;
        c.end();
        await this.flush();
        continue;
      }
      return;
    }
  }

  /** Hands decrypted data to the application. Returns false if delivery is paused. */
  private deliverReads(): boolean {
    // The application learns that the handshake completed before it sees any data.
    this.notifyHandshake();
    while (!this.paused) {
      const d = this.connection.read();
      if (!d) return true;
      if (this.h.deliver(d) === false) this.paused = true;
    }
    return false;
  }

  private notifyHandshake(): void {
    if (!this.handshakeReported && this.connection.handshakeComplete && !this.errorReported) {
      this.handshakeReported = true;
      this.h.handshakeDone?.();
    }
  }

  private notifyProgress(): void {
    const c = this.connection;
    this.notifyHandshake();
    if (!this.readEndReported && c.handshakeComplete && c.readEnded && c.error === null) {
      this.readEndReported = true;
      this.h.readEnded?.();
    }
  }

  private report(err: TlsError): void {
    if (this.errorReported) return;
    this.errorReported = true;
    this.stopped ??= err;
    this.rejectHandshakeWaiters(err);
    this.input = [];
    this.inputBytes = 0;
    this.h.error?.(err);
  }
}
