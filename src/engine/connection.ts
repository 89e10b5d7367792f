/**
 * `TlsConnection`: the sans-I/O façade (BearSSL's four flows).
 *
 * ```
 * receive(bytes) → accepted count   (recvrec: ciphertext from the transport)
 * process()      → Promise<void>    (runs the machine on buffered input)
 * takeOutput()   → bytes | null     (sendrec: ciphertext for the transport)
 * write(data)                       (sendapp: plaintext to protect)
 * read()         → bytes | null     (recvapp: plaintext received)
 * close()                           (queues close_notify)
 * end()                             (the transport reached EOF)
 * ```
 *
 * Nothing here does I/O, reads a clock or draws randomness except through the config.
 * Errors are sticky: the first fatal error is kept in `error`, an alert is queued for
 * the peer when the failure was local, and every later call reports the same error.
 *
 * @module
 */
import type { ResolvedCommon, TraceEvent } from '../config/config.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { HASH_LEN } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { tls13Suite } from '../crypto/suites.js';
import { AlertDescription, TlsError, alertName, isTlsError, thrownText } from '../base/errors.js';
import { ContentType, HandshakeType, KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { HandshakeMessage } from '../wire/messages.js';
import { encodeHandshakeWith, decodeHandshakeWith, type HandshakeCodec } from '../wire/handshake.js';
import { decodeAlert } from '../wire/alert.js';
import { Joiner } from '../record/joiner.js';
import { NullProtector, RecordProtector, tls13Protector, type Protector } from '../record/protector.js';
import { RecordReader, RecordWriter } from '../record/layer.js';
import type { HandshakeOutput, HandshakeResult, HeldSession12, Learned, ReceivedTicket, State, Step, TrafficKey } from '../handshake/state.js';
import { FAILED, StepFailed } from '../handshake/state.js';
import { FinishedVerified } from '../handshake/finished.js';
import { exporter as exporter13, nextTrafficSecret } from '../keys/tls13-schedule.js';
import { concatBytes, toHex, copyBytes } from '../base/bytes.js';
import type { CertificateError } from '../verify/verifier.js';
import { FloodGuard } from './flood.js';
import { internCertificate } from '../base/intern.js';
import { alertHint, infoOf, newNegotiated, summarize, type ConnectionInfo, type ConnectionPhase, type NegotiatedInfo, type SessionTicket } from './info.js';
import type { Setup } from './setup.js';

export type { ConnectionInfo, ConnectionPhase, ConnectionView, SessionTicket } from './info.js';

/**
 * Tickets as a connection keeps them: all in one buffer of the connection's own (not views of
 * the records they arrived in, which would keep whole records), one entry after the other —
 * lifetime (u32), ticket_age_add (u32), receivedAt (f64), nonce length (u8), ticket length
 * (u16), nonce, ticket — turned back into {@link SessionTicket}s when asked. One object per
 * idle connection however many tickets (memory, issue 9).
 */
const TICKET_HEAD = 19;

/** How many tickets `kept` holds. */
function ticketCount(kept: Uint8Array | null): number {
  let n = 0;
  for (let at = 0; kept !== null && at < kept.length; n++) at += TICKET_HEAD + kept[at + 16]! + ((kept[at + 17]! << 8) | kept[at + 18]!);
  return n;
}

function keepTicket(kept: Uint8Array | null, t: ReceivedTicket, receivedAt: number): Uint8Array {
  const at = kept?.length ?? 0;
  const bytes = new Uint8Array(at + TICKET_HEAD + t.nonce.length + t.ticket.length);
  if (kept !== null) bytes.set(kept);
  const v = new DataView(bytes.buffer, at, TICKET_HEAD);
  v.setUint32(0, t.lifetime);
  v.setUint32(4, t.ageAdd);
  v.setFloat64(8, receivedAt);
  // The codec bounds both (RFC 9846 §4.7.1: nonce<0..255>, ticket<1..2^16-1>).
  v.setUint8(16, t.nonce.length);
  v.setUint16(17, t.ticket.length);
  bytes.set(t.nonce, at + TICKET_HEAD);
  bytes.set(t.ticket, at + TICKET_HEAD + t.nonce.length);
  return bytes;
}

/** Fresh copies each time: a caller cannot change what the connection keeps. */
function ticketsOf(k: Uint8Array): SessionTicket[] {
  const out: SessionTicket[] = [];
  const v = new DataView(k.buffer, k.byteOffset, k.byteLength);
  for (let at = 0; at < k.length; ) {
    const nonceAt = at + TICKET_HEAD;
    const ticketAt = nonceAt + v.getUint8(at + 16);
    const end = ticketAt + v.getUint16(at + 17);
    out.push(
      Object.freeze({
        lifetime: v.getUint32(at),
        ageAdd: v.getUint32(at + 4),
        nonce: k.slice(nonceAt, ticketAt),
        ticket: k.slice(ticketAt, end),
        receivedAt: v.getFloat64(at + 8),
      }),
    );
    at = end;
  }
  return out;
}

/**
 * The messages of fixed size a peer may send when the connection accepts them: a KeyUpdate
 * is one byte (RFC 9846 §4.7.3: `struct { KeyUpdateRequest request_update; }`), a
 * HelloRequest none (RFC 5246 §7.4.1.1: `struct { } HelloRequest`). Any other announced
 * length cannot be parsed → decode_error (RFC 9846 §6), decided at the header.
 */
function fixedLength(type: number, bodyLength: number): void {
  const want = type === HandshakeType.key_update ? 1 : type === HandshakeType.hello_request ? 0 : -1;
  if (want >= 0 && bodyLength !== want) {
    throw new TlsError('DecodeError', { detail: `${nameOf('handshake', type)} announcing ${bodyLength} bytes (it has ${want})` });
  }
}

/** The certificate errors of a connection that has none. */
const NO_CERTIFICATE_ERRORS: readonly CertificateError[] = Object.freeze([]);

/** Longest TLS 1.3 traffic secret: SHA-384's output (RFC 9846 §7.1: Hash.length). @internal */
export const MAX_SECRET_LEN = 48;
/** Where the exporter secret is in a connection's secret buffer. @internal */
export const EXPORTER_AT = 2 * MAX_SECRET_LEN;

/** The result every completed TLS 1.3 connection keeps: its exporter runs in the connection. @internal */
export const TLS13_RESULT: HandshakeResult = Object.freeze({
  version: 'TLSv1.3',
  exporter: (): Uint8Array => {
    throw new TlsError('InternalError', { detail: 'the TLS 1.3 exporter runs in the connection' });
  },
});

/** Plaintext buffered for read() before we stop decrypting (back-pressure). */
const READ_HIGH_WATER = 256 * 1024;

/**
 * A TLS connection with no I/O of its own: everything but the factories. `TlsConnection`
 * (src/engine/tls-connection.ts, both roles) and the client-only `TlsConnection` of
 * `puretls/client` (src/engine/client-connection.ts) add the static factories, so a bundle
 * that only makes clients does not carry the server's handshake (issue 9 item 5: a static
 * `server()` on this class would keep all server code alive).
 *
 * @example
 * ```ts
 * const c = TlsConnection.client({ servername: 'example.com', ca });
 * transport.onData = async (b) => { c.receive(b); await c.process(); flush(); };
 * function flush() { let o; while ((o = c.takeOutput())) transport.write(o); }
 * ```
 */
/** `e instanceof StepFailed`, false (never a throw) for a value on which `instanceof` throws (a revoked proxy). */
function isStepFailed(e: unknown): e is StepFailed {
  try {
    return e instanceof StepFailed;
  } catch {
    return false;
  }
}

/** Connections whose trace callback threw (kept off the connection: no field on every idle one). */
const brokenTraces = new WeakSet<ConnectionCore>();

export class ConnectionCore {
  /** `'client'` or `'server'`. */
  readonly role: 'client' | 'server';
  private readonly cfg: ResolvedCommon;
  /** What the handshake steps returned as learned (see `learn`). */
  protected readonly negotiated: NegotiatedInfo;
  /** The configured leaf reported by `localCertificate` until the handshake chooses one (shared with the config, never written). */
  private readonly localDefault: Uint8Array | undefined;
  protected state: State;
  /** The record layer, one object per direction (src/record/layer.ts). */
  protected readonly reader: RecordReader;
  protected readonly writer: RecordWriter;
  protected readonly joiner: Joiner;
  /** This role's handshake message codec (setup.ts: a client-only entry's has only what a client receives and sends). */
  private readonly codec: HandshakeCodec;
  // Queues are null while empty (an idle connection keeps no empty arrays: issue 9 memory).
  protected readQueue: Uint8Array[] | null = null;
  /**
   * A key-log sink of this connection alone, called after the config's `keyLog` with the same
   * NSS lines (the Node adapter's `'keylog'` event). Secret material: set it only for a
   * listener that asked.
   */
  keyLogSink: ((line: string) => void) | null = null;
  /** The transport ended without close_notify and `endOnTransportClose` made that an end. */
  private closeNotifyMissing = false;
  /**
   * The transport ended (`end()`) while whole records received before it were not processed
   * yet (held back by the read high-water mark, or no `process()` since): the end is taken
   * once they have been (see `endOfInput`).
   */
  protected endPending = false;
  /**
   * TLS 1.3: we sent a KeyUpdate with update_requested and no KeyUpdate from the peer came
   * since (RFC 9846 §4.7.3: until then we MUST NOT send another with update_requested).
   */
  private updateRequestedSent = false;
  protected readQueued = 0;
  private writeQueue: Uint8Array[] | null = null;
  protected phase_: ConnectionPhase = 'handshaking';
  protected error_: TlsError | null = null;
  protected running: Promise<void> | null = null;
  /** Flood counters (README "Limits"), reset by non-empty application data. */
  private readonly flood: FloodGuard;
  /** Plaintext bytes held by write() until the handshake completes. */
  private writeQueued = 0;
  protected closeSent = false;
  protected started = false;
  protected result: HandshakeResult | null = null;
  /** TLS 1.2 record rules apply (explicit CCS, real outer types, warning alerts). */
  protected tls12 = false;
  /** Makes the first state; dropped once called (it holds the role's parameters). */
  protected startFn: ((out: HandshakeOutput) => State | Promise<State>) | null;
  /**
   * The output port the handshake states act through (11 closures): made when a step runs
   * and dropped once the handshake is complete, so an idle connection does not keep it.
   */
  private out_: HandshakeOutput | null = null;
  /**
   * The TLS 1.2 session this connection kept or resumed and what removes it (see
   * HandshakeOutput.sessionInUse); a live hand-off carries `held` along.
   */
  protected sessionInUse: { readonly forget: () => void; readonly held: HeldSession12 } | null = null;
  /** Session tickets received (resumption is a later issue); at most 8 are kept. */
  private tickets_: Uint8Array | null = null;
  /** TLS 1.3: the suite of the read and write keys in force (null before keys, and in TLS 1.2). */
  protected readSuite13: Tls13Suite | null = null;
  protected writeSuite13: Tls13Suite | null = null;
  /**
   * TLS 1.3 secrets, [read traffic | write traffic | exporter], {@link MAX_SECRET_LEN} bytes
   * each (see setTrafficSecret); the exporter's hash once the handshake is complete.
   */
  protected secrets13: Uint8Array | null = null;
  protected exporterHash: HashAlg | null = null;
  private handshakeWaiters: { resolve: () => void; reject: (e: TlsError) => void }[] | null = null;
  /** Server: bytes of 0-RTT data we take before EndOfEarlyData, or null when none is accepted. */
  private earlyAllowance: number | null = null;
  /** Bytes of 0-RTT data received (server; replayable, RFC 9846 §8) or accepted (client). */
  protected earlyLength = 0;

  /** @internal Use `TlsConnection.client` / `TlsConnection.server`. */
  protected constructor(setup: Setup) {
    const { role, cfg, start, limits } = setup;
    this.role = role;
    this.cfg = cfg;
    this.negotiated = newNegotiated();
    this.localDefault = setup.localCertificate;
    this.flood = new FloodGuard(cfg, limits.maxHelloRequests ?? 0);
    this.reader = new RecordReader({
      role,
      maxSkippedEarlyData: limits.maxSkippedEarlyData ?? 0,
      // Only with a tracer: an idle connection keeps no closure it never calls.
      trace: cfg.trace
        ? (summary) => this.trace({ direction: 'received', kind: summary.startsWith('ChangeCipherSpec') ? 'change_cipher_spec' : 'info', summary })
        : undefined,
    });
    // An async AEAD's failure to seal fails the connection (records after it cannot be sent in
    // order). Only an async provider has one (installKey refuses an async AEAD from any other),
    // so a sync connection keeps no closure for it.
    this.writer = new RecordWriter(cfg.crypto.async === true ? { role, onSealError: (e) => this.fail(e) } : { role });
    this.joiner = new Joiner({
      maxMessageSize: cfg.maxHandshakeMessageSize,
      maxClientHelloSize: limits.maxClientHelloSize ?? cfg.maxHandshakeMessageSize,
      // RFC 9846 §4: the type decides before the length or the body (unexpected_message first).
      // A method and its owner rather than a closure: nothing allocated per connection.
      onHeader: ConnectionCore.prototype.admitHandshake,
      owner: this,
    });
    this.state = FAILED;
    this.startFn = start;
    this.codec = setup.codec;
  }

  /** The output port (see `out_`). */
  private get out(): HandshakeOutput {
    return (this.out_ ??= this.makeOutput());
  }

  // ---------------------------------------------------------------- public API

  /** Session tickets received from the server (TLS 1.3 NewSessionTicket), oldest first, at most 8; not those with a lifetime of 0 (RFC 9846 §4.7.1: discarded); a copy. */
  get tickets(): readonly SessionTicket[] {
    return this.tickets_ ? ticketsOf(this.tickets_) : [];
  }

  /**
   * Bytes of 0-RTT data (RFC 9846 §2.3): on a server, how many of the first bytes `read()`
   * returned arrived as early data, which an attacker may have replayed (RFC 9846 §8: act on
   * it only if doing so twice is harmless); on a client, how many bytes of `earlyData` the
   * server accepted. 0 without 0-RTT.
   */
  get earlyDataLength(): number {
    return this.earlyLength;
  }

  /** Where the connection is. */
  get phase(): ConnectionPhase {
    return this.phase_;
  }

  /** The first fatal error, or null. */
  get error(): TlsError | null {
    return this.error_;
  }

  /** True once the handshake completed. */
  get handshakeComplete(): boolean {
    return this.result !== null;
  }

  /** The crypto provider in use. */
  get crypto(): CryptoProvider {
    return this.cfg.crypto;
  }

  /** What was negotiated and what was found about the peer's certificate. */
  get info(): ConnectionInfo {
    return infoOf(this.role, this.negotiated, this.cfg.crypto.name, this.cfg.crypto.delegated ?? [], this.closeNotifyMissing);
  }

  /**
   * Client: the OCSP response the server stapled (RFC 6066 §8 CertificateStatus in TLS 1.2,
   * the leaf's status_request entry in TLS 1.3, RFC 9846 §4.5.1.1), a copy of the DER
   * OCSPResponse as received, or null when none arrived (none asked for, none stapled, a
   * resumed TLS 1.3 handshake). It was checked during the handshake (`certificateErrors`);
   * it is kept also when the handshake failed on it. Always null on a server.
   */
  get stapledOcspResponse(): Uint8Array | null {
    return copyBytes(this.negotiated.ocspResponse) ?? null;
  }

  /**
   * The leaf certificate (DER) of the identity this side presents: a server's identity chosen
   * for this handshake (by SNI and signature schemes; before that, or on a TLS 1.2
   * resumption, its first), a client's own certificate (also when the server did not ask for
   * it, as Node's `getCertificate()`); null without one. A copy.
   */
  get localCertificate(): Uint8Array | null {
    return copyBytes((this.negotiated.localCertificate ?? this.localDefault)) ?? null;
  }


  /**
   * Bytes this connection holds in buffers now: record input, handshake reassembly, unread
   * plaintext and writes held until the handshake completes (memory accounting; README "Limits").
   */
  get bufferedBytes(): number {
    return this.reader.allocated + this.joiner.allocated + this.readQueued + this.writeQueued;
  }

  /** Readiness (BearSSL flags): is there output to send, does it want input, can it take plaintext. */
  get wants(): { output: boolean; input: boolean; write: boolean } {
    const dead = this.phase_ === 'failed' || this.phase_ === 'closed';
    return {
      output: this.writer.hasOutput,
      input: !dead && this.phase_ !== 'peer-closed' && !this.endPending && this.readQueued < READ_HIGH_WATER,
      // During the handshake plaintext is held (up to maxPendingWrite) and sent once keys exist.
      write:
        !this.closeSent &&
        (this.phase_ === 'open' || this.phase_ === 'peer-closed' || (this.phase_ === 'handshaking' && this.writeQueued < this.cfg.maxPendingWrite)),
    };
  }

  /** Resolves when the handshake completes; rejects with the connection's error. */
  handshake(): Promise<void> {
    // Sticky errors: a connection that failed after its handshake reports the failure too.
    if (this.error_) return Promise.reject(this.error_);
    if (this.result) return Promise.resolve();
    if (this.closeSent) return Promise.reject(new TlsError('Closed', { detail: 'closed before the handshake completed' }));
    return new Promise((resolve, reject) => (this.handshakeWaiters ??= []).push({ resolve, reject }));
  }

  /**
   * Buffers ciphertext from the transport. Returns how many bytes were accepted: the
   * engine holds at most one record beyond what `process()` has consumed (with an async
   * AEAD, up to 8 more whose opens it has started, within the unread-plaintext mark), so
   * the caller keeps the rest and offers it again after `process()` (back-pressure).
   *
   * By default the bytes are copied: the caller may reuse them as soon as this returns.
   * With `transfer` the caller gives them up (it must neither change nor read them
   * afterwards, e.g. a socket's freshly read chunk): a complete record at their start
   * may then be kept as a view and decrypted where it lies, with no copy.
   */
  receive(bytes: Uint8Array, transfer = false): number {
    if (this.error_) return bytes.length; // discard: the connection is dead
    // Nothing follows the transport's end (a caller that offers more is confused): dropped.
    if (this.endPending) return bytes.length;
    // Room for records opened ahead of their turn (async AEAD): up to the read high-water mark.
    return this.reader.receive(bytes, transfer, READ_HIGH_WATER - this.readQueued);
  }

  /** Runs the state machine over buffered input. Never rejects: failures land in `error`. */
  process(): Promise<void> {
    // A call made while a run is in flight waits for it, then runs again: input buffered
    // after that run last looked is never left behind (a run over no input is cheap).
    if (this.running) return this.running.then(() => this.process());
    this.running = this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * {@link process} without a promise when it can finish at once: with a synchronous
   * provider, once started, records are opened and routed in this call, and undefined is
   * returned when that is all there was to do. Whatever must wait (a handshake step that
   * signs or verifies asynchronously, an async AEAD, a run already in flight) makes it
   * return the promise `process()` would give for the rest. Never throws: failures land in
   * `error`. (Bulk data: one promise per record, and the microtasks that settle it, cost
   * more than a small record's processing.)
   */
  processNow(): Promise<void> | undefined {
    if (this.running || !this.started || this.reader.async) return this.process();
    let pending: Promise<void> | undefined;
    try {
      pending = this.readRecords();
    } catch (e) {
      this.fail(e);
    }
    if (pending === undefined) {
      if (!this.writer.sealing) return undefined;
      // An async AEAD on the write side: what this call sealed is output once sealed.
      pending = Promise.resolve();
    }
    // The rest as a run of its own (process() callers made meanwhile wait for it).
    const first = pending;
    this.running = (async () => {
      try {
        await first;
        this.writer.flushHandshake();
      } catch (e) {
        this.fail(e);
      }
      await this.runRest();
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Sends the first flight (client) without waiting for input. Same as `process()`. */
  start(): Promise<void> {
    return this.process();
  }

  /**
   * Resolves once every record queued so far is sealed and can be taken with
   * {@link takeOutput}. With a synchronous provider records are sealed when they are queued
   * and this resolves at once; with an async AEAD (the `webcrypto` provider) sealing
   * finishes later: `process()` waits for it before it resolves, and after `write()`,
   * `keyUpdate()` or `close()` a caller awaits this before taking the output.
   */
  settled(): Promise<void> {
    return this.writer.settled();
  }

  /** True while records are being sealed by an async AEAD (see {@link settled}). */
  get sealing(): boolean {
    return this.writer.sealing;
  }

  /** Takes bytes to send to the transport (all queued records, concatenated), or null. */
  takeOutput(): Uint8Array | null {
    return this.writer.take();
  }

  /**
   * Optional: the caller is done with `bytes`, exactly what {@link takeOutput} returned (the
   * transport took them whole and keeps no reference, as when the kernel accepted a socket
   * write synchronously), so their buffer may hold a later record. The caller must neither
   * read nor change them afterwards. Anything else is ignored. Saves an allocation per
   * large record (bulk data); callers that never release lose nothing else.
   */
  releaseOutput(bytes: Uint8Array): void {
    this.writer.release(bytes);
  }

  /**
   * {@link takeOutput} as a list of records, one buffer each (nothing joined: a transport
   * with gathered writes sends them in one call), or null. Each may be given back with
   * {@link releaseOutput} before the next take.
   */
  takeOutputv(): Uint8Array[] | null {
    return this.writer.takeAll();
  }

  /**
   * Queues application data. Before the handshake completes it is held and sent once
   * keys exist. Throws `TlsError('Closed')` after close() or failure.
   */
  write(data: Uint8Array): void {
    if (this.error_) throw this.error_;
    if (this.closeSent || this.phase_ === 'closed') throw new TlsError('Closed', { detail: 'write after close' });
    if (data.length === 0) return;
    if (!this.result) {
      // Bounded, like a stream's high-water mark: while less than maxPendingWrite is held a
      // write is taken whole (so `wants.write` true always means the next write succeeds);
      // once it is reached, `wants.write` is false and write() throws WouldBlock (not sticky).
      if (this.writeQueued >= this.cfg.maxPendingWrite) {
        throw new TlsError('WouldBlock', {
          detail: `${this.writeQueued} bytes written before the handshake completed reach maxPendingWrite (${this.cfg.maxPendingWrite})`,
        });
      }
      (this.writeQueue ??= []).push(copyBytes(data));
      this.writeQueued += data.length;
      return;
    }
    try {
      this.sealAppData(data);
    } catch (e) {
      // E.g. the AEAD's usage limit in TLS 1.2 (RFC 5246 has no KeyUpdate): fatal and sticky.
      this.fail(e);
      throw this.error_ ?? e;
    }
  }

  /** Takes received plaintext, or null if none is buffered. */
  read(): Uint8Array | null {
    const q = this.readQueue;
    if (q === null) return null;
    const out = q.length === 1 ? q[0]! : concatBytes(q);
    this.readQueue = null;
    this.readQueued = 0;
    return out;
  }

  /** True once the peer sent close_notify and all its data has been read. */
  get readEnded(): boolean {
    return this.phase_ === 'peer-closed' || this.phase_ === 'closed' ? this.readQueue === null : false;
  }

  /** Queues close_notify (RFC 9846 §6.1); further writes fail. */
  close(): void {
    if (this.closeSent || this.error_) return;
    this.flushWrites();
    this.sendAlert(AlertDescription.close_notify, 1);
    this.closeSent = true;
    this.writeQueue = null;
    this.writeQueued = 0;
    // Both directions are done when the peer had closed already, or when the handshake never
    // finished (its input is ignored from now on); an open connection can still read.
    if (this.phase_ === 'peer-closed' || this.phase_ === 'handshaking') this.phase_ = 'closed';
    // Closed before the handshake completed: it never will (input is now ignored), so do not leave handshake() pending.
    if (!this.result) for (const w of this.takeWaiters()) w.reject(new TlsError('Closed', { detail: 'closed before the handshake completed' }));
  }

  /**
   * The transport ended. Without a prior close_notify this is truncation (`Truncated`).
   *
   * After the peer's close_notify, TLS 1.3 closes only the peer's direction (RFC 9846
   * §6.1: "Each party MUST send a close_notify alert before closing its write side of the
   * connection"; the other side may keep writing): the connection stays `peer-closed` and
   * `write()` works until `close()`. TLS 1.2 closes both directions (RFC 5246 §7.2.1).
   */
  end(): void {
    if (this.error_ || this.endPending) return;
    if (this.reader.holdsRecord && this.phase_ !== 'closed' && this.phase_ !== 'peer-closed') {
      // Whole records received before the end are not processed yet (the read high-water
      // mark held them back, or process() has not run since): the end comes after them, as
      // on the wire. A close_notify among them is a clean close, not truncation (RFC 9846
      // §6.1), and the data before it is delivered. Taken by process() (see endOfInput).
      this.endPending = true;
      return;
    }
    this.transportEnded();
  }

  /** The input is used up (no whole record left): an end of the transport waiting for that is taken now. */
  private endOfInput(): void {
    if (!this.endPending || this.reader.holdsRecord) return;
    this.endPending = false;
    this.transportEnded();
  }

  /** {@link end}, once every whole record received before the transport's end was processed. */
  private transportEnded(): void {
    if (this.error_) return;
    if (this.phase_ === 'open' && this.result && this.cfg.endOnTransportClose) {
      // The caller's protocol frames its own messages (endOnTransportClose): the end of the
      // transport ends the peer's direction as a close_notify would, and is recorded
      // (info.closeNotifyMissing), since an attacker can cut a stream short by closing TCP
      // (RFC 9846 §6.1 says close_notify exists to detect exactly that). During the
      // handshake a close is always an error.
      this.closeNotifyMissing = true;
      this.phase_ = this.closeSent ? 'closed' : 'peer-closed';
    }
    if (this.phase_ === 'peer-closed' && !this.tls12 && !this.closeSent) return;
    if (this.phase_ === 'peer-closed' || this.phase_ === 'closed') {
      this.phase_ = 'closed';
      return;
    }
    this.setError(new TlsError('Truncated', { detail: this.result ? 'transport closed without close_notify' : 'transport closed during the handshake' }), false);
  }

  /**
   * Sends KeyUpdate and switches to the next write secret; with `requestPeerUpdate` also asks
   * the peer to update its keys (RFC 9846 §4.7.3). Default false, as everywhere in puretls.
   * While a request sent earlier has not been answered by a KeyUpdate from the peer, a new
   * request is sent as update_not_requested (RFC 9846 §4.7.3 forbids a second one): the
   * peer still answers the first.
   */
  keyUpdate(requestPeerUpdate = false): void {
    if (this.error_) throw this.error_;
    if (!this.result) throw new TlsError('ApiMisuse', { detail: 'keyUpdate before the handshake completed' });
    if (this.result.version !== 'TLSv1.3') throw new TlsError('ApiMisuse', { detail: 'KeyUpdate exists in TLS 1.3 only' });
    if (this.closeSent) throw new TlsError('Closed', { detail: 'keyUpdate after close' });
    // RFC 9846 §4.7.3: "Until receiving a subsequent KeyUpdate from the peer, the sender MUST
    // NOT send another KeyUpdate with request_update set to update_requested." The request
    // already sent still stands (the peer will update its keys): this one only updates ours.
    const request = requestPeerUpdate && !this.updateRequestedSent;
    this.sendKeyUpdate(request ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested);
    if (request) this.updateRequestedSent = true;
  }

  /**
   * Keying material exporter (RFC 9846 §7.5 for TLS 1.3, RFC 5705 for TLS 1.2). The core's
   * order is the RFCs' (`label`, `context`, `length`); the Node socket keeps Node's
   * `exportKeyingMaterial(length, label, context)`.
   *
   * @param label - the exporter label (`EXPORTER-...`)
   * @param context - the context value, or null for none (which differs from an empty one in TLS 1.2)
   * @param length - bytes wanted
   */
  exportKeyingMaterial(label: string, context: Uint8Array | null, length: number): Uint8Array {
    // Errors are sticky, and a failed connection's secrets are forgotten (RFC 9846 §6).
    if (this.error_) throw this.error_;
    if (!this.result) throw new TlsError('ApiMisuse', { detail: 'exporter used before the handshake completed' });
    if (this.result === TLS13_RESULT) {
      // RFC 9846 §7.5, from the exporter secret kept at handshakeDone.
      const hash = this.exporterHash!;
      return exporter13(this.cfg.crypto, hash, this.secrets13!.subarray(EXPORTER_AT, EXPORTER_AT + HASH_LEN[hash]), label, context, length);
    }
    return this.result.exporter(label, context, length);
  }

  // ---------------------------------------------------------------- engine

  private async run(): Promise<void> {
    try {
      if (!this.started) {
        this.started = true;
        const start = this.startFn!;
        this.startFn = null;
        // A client whose provider makes key shares asynchronously sends its ClientHello later.
        const first = start(this.out);
        this.state = first instanceof Promise ? await first : first;
        this.writer.flushHandshake();
      }
    } catch (e) {
      this.fail(e);
    }
    await this.runRest();
  }

  /** The record loop of {@link run}, after the start. Never rejects. */
  private async runRest(): Promise<void> {
    try {
      while (!this.error_ && this.readQueued < READ_HIGH_WATER) {
        if (this.phase_ === 'closed' || this.phase_ === 'peer-closed') {
          // RFC 9846 §6.1: data after close_notify is ignored (never delivered; with an async AEAD
          // up to 8 records after it may already have been opened ahead, then dropped unread).
          this.reader.discard();
          this.endOfInput();
          break;
        }
        // An async AEAD (webcrypto) opens records later, one at a time; a sync one never costs a promise.
        const rec = this.reader.async ? await this.reader.nextAsync({ open: this.compatCcsWindow() }) : this.reader.next({ open: this.compatCcsWindow() });
        if (!rec) {
          this.endOfInput();
          break;
        }
        // Only handshake steps that really wait (certificate checks, signing) cost a promise.
        const pending = this.onRecord(rec.type, rec.content);
        if (pending) await pending;
        this.writer.flushHandshake();
      }
    } catch (e) {
      this.fail(e);
    }
    // With an async AEAD, what this run sealed (an alert after a failure too) is output once
    // sealed: process() resolves then. Never rejects.
    if (this.writer.sealing) await this.writer.settled();
  }

  /**
   * {@link runRest}'s loop for a synchronous read protection, in this call: returns undefined
   * when no record is left (or none may be read now), else the promise of the step that
   * must wait (the caller finishes with {@link runRest} after it). Throws what a record
   * throws (the caller fails the connection).
   */
  private readRecords(): Promise<void> | undefined {
    while (!this.error_ && this.readQueued < READ_HIGH_WATER) {
      if (this.phase_ === 'closed' || this.phase_ === 'peer-closed') {
        // RFC 9846 §6.1: data after close_notify is ignored (never delivered; with an async AEAD
        // up to 8 records after it may already have been opened ahead, then dropped unread).
        this.reader.discard();
        this.endOfInput();
        break;
      }
      // A handshake step may install an async read protection (another provider's AEAD).
      if (this.reader.async) return Promise.resolve();
      const rec = this.reader.next({ open: this.compatCcsWindow() });
      if (!rec) {
        this.endOfInput();
        break;
      }
      const pending = this.onRecord(rec.type, rec.content);
      if (pending) return pending;
      this.writer.flushHandshake();
    }
    return undefined;
  }

  /**
   * The TLS 1.3 middlebox-compatibility ChangeCipherSpec may be dropped (RFC 9846 §5,
   * Appendix D.4) from our first ClientHello (client) or the peer's (server) until the
   * handshake completes, at a handshake-message boundary. A client that cannot negotiate
   * TLS 1.3 never sees one (RFC 5246 §7.1: a CCS before the ServerHello is unexpected).
   * The server knows the peer's ClientHello was handled from what that step returned: it
   * chose TLS 1.3 or sent a HelloRetryRequest.
   */
  private compatCcsWindow(): boolean {
    if (this.tls12 || this.result || !this.joiner.isEmpty()) return false;
    if (this.role === 'client') {
      return this.started && this.cfg.maxVersion >= ProtocolVersion.TLSv1_3 && this.cfg.suites.some((c) => tls13Suite(c) !== undefined);
    }
    return this.negotiated.version === 'TLSv1.3' || this.negotiated.helloRetryRequest;
  }

  /** Routes one record the record layer accepted. */
  private onRecord(type: number, content: Uint8Array): Promise<void> | undefined {
    if (type === ContentType.change_cipher_spec) {
      // TLS 1.2 (RFC 5246 §7.1): a protocol message only the state expecting it may accept, never inside a fragmented handshake message.
      if (!this.joiner.isEmpty()) throw new TlsError('UnexpectedMessage', { detail: 'ChangeCipherSpec inside a fragmented handshake message' });
      const s = this.state;
      if (!this.tls12 || !s.handleChangeCipherSpec) throw new TlsError('UnexpectedMessage', { detail: `ChangeCipherSpec not expected in ${s.name}` });
      this.trace({ direction: 'received', kind: 'change_cipher_spec', summary: 'ChangeCipherSpec' });
      this.state = FAILED;
      this.advance(s.handleChangeCipherSpec(this.out));
      return undefined;
    }
    return this.dispatch(type, content);
  }

  private dispatch(type: number, content: Uint8Array): Promise<void> | undefined {
    // RFC 9846 §5.1 / RFC 5246 §6.2.1: handshake messages may not be interleaved with other record types.
    if (type !== ContentType.handshake && !this.joiner.isEmpty()) {
      throw new TlsError('UnexpectedMessage', { detail: 'record interleaved inside a fragmented handshake message' });
    }
    switch (type) {
      case ContentType.handshake:
        this.joiner.push(content);
        return this.drainHandshake();
      case ContentType.alert:
        this.onAlert(content);
        return;
      case ContentType.application_data:
        this.onAppData(content);
        return;
      default:
        throw new TlsError('UnexpectedMessage', { detail: `unknown record type ${type}` });
    }
  }

  /** Handles every complete handshake message buffered; async only if a state is. */
  private drainHandshake(): Promise<void> | undefined {
    for (;;) {
      // After an error, or close() during the handshake, no further message is handled.
      if (this.error_ || (this.closeSent && !this.result)) return undefined;
      const m = this.joiner.next();
      if (!m) return undefined;
      const pending = this.onHandshake(m.type, m.body, m.raw);
      if (pending) return pending.then(() => this.drainHandshake());
    }
  }

  /** The version whose message set applies now (for the codec's `kind` and decoding). */
  private messageVersion(): 'tls12' | 'tls13' | undefined {
    return this.tls12 ? 'tls12' : this.negotiated.version === 'TLSv1.3' ? 'tls13' : undefined;
  }

  /**
   * A HelloRequest that a TLS 1.2 client ignores: during its handshake, while the version may
   * still be 1.2 (RFC 5246 §7.4.1.1). A client that cannot negotiate TLS 1.2 never takes one:
   * the type does not exist in TLS 1.3 (RFC 9846 Appendix B).
   */
  private ignorableHelloRequest(type: number): boolean {
    if (this.role !== 'client' || type !== HandshakeType.hello_request || this.result) return false;
    const offers12 = this.cfg.minVersion <= ProtocolVersion.TLSv1_2 && this.cfg.suites.some((c) => tls13Suite(c) === undefined);
    return offers12 && (this.tls12 || (this.negotiated.version === null && !this.negotiated.helloRetryRequest));
  }

  /**
   * Decides on a handshake message from its header alone (RFC 9846 §4: a message not
   * allowed in the current state is unexpected_message, whatever its body or length), and
   * counts post-handshake messages (README "Limits"). A message of fixed size announcing
   * another length is refused here too, before its body is buffered (a peer trickling a
   * "KeyUpdate" of 64 KiB would otherwise hold that much of our memory for nothing).
   */
  private admitHandshake(type: number, bodyLength: number): void {
    if (this.ignorableHelloRequest(type)) {
      this.flood.helloRequest();
      fixedLength(type, bodyLength);
      return;
    }
    const s = this.state;
    const kind = this.codec.kind(type, this.messageVersion());
    if (kind === null || !s.expects.includes(kind)) {
      const version = this.tls12 ? 'TLS 1.2' : this.negotiated.version === 'TLSv1.3' ? 'TLS 1.3' : 'this handshake';
      throw new TlsError('UnexpectedMessage', {
        detail: kind === null ? `${nameOf('handshake', type)} does not exist in ${version}` : `${s.name}: got ${kind}, expected ${s.expects.join(' or ') || 'no handshake message'}`,
      });
    }
    fixedLength(type, bodyLength);
    if (this.result) this.flood.postHandshakeMessage(type);
  }

  private onHandshake(type: number, body: Uint8Array, raw: Uint8Array): Promise<void> | undefined {
    // TLS 1.2 Finished is 12 bytes for every suite we implement (RFC 5246 §7.4.9).
    const readSuite = this.readSuite13;
    const finishedLength = this.tls12 ? 12 : readSuite ? HASH_LEN[readSuite.hash] : undefined;
    if (this.ignorableHelloRequest(type)) {
      // RFC 5246 §7.4.1.1: a HelloRequest during a handshake is ignored (and never hashed); counted in admitHandshake.
      if (body.length !== 0) throw new TlsError('DecodeError', { detail: 'HelloRequest with a body' });
      this.trace({ direction: 'received', kind: 'handshake', summary: 'HelloRequest (ignored during the handshake)' });
      return undefined;
    }
    const msg = decodeHandshakeWith(this.codec.decode, type, body, raw, { finishedLength, version: this.messageVersion() });
    const s = this.state;
    this.state = FAILED;
    const r = s.handle(msg, this.out);
    if (r instanceof Promise) return r.then((step) => this.advance(step));
    this.advance(r);
    return undefined;
  }

  /**
   * Takes what a step returned: records what it learned, moves to its next state, and —
   * once the step that completed the handshake has returned — tells those waiting for it.
   */
  private advance(step: Step): void {
    if (step.learned) this.learn(step.learned);
    // close() while this step awaited: the handshake is abandoned, nothing more is sent.
    this.state = this.error_ || (this.closeSent && !this.result) ? FAILED : step.next;
    if (this.result) {
      for (const w of this.takeWaiters()) w.resolve();
      // Post-handshake messages are rare (tickets, KeyUpdate): the port is made again for them.
      this.out_ = null;
    }
  }

  /** Records what a handshake step decided or learned (the only writer of `negotiated`). */
  private learn(l: Learned): void {
    const n = this.negotiated;
    if (l.version !== undefined && n.version === null) {
      n.version = l.version;
      // The record rules follow from the next record on (RFC 5246 §6.2.3: 2^14+2048 for TLS 1.2).
      this.tls12 = l.version === 'TLSv1.2';
      this.reader.setVersion(this.tls12 ? 'tls12' : 'tls13');
    }
    if (l.cipherSuite !== undefined) n.cipherSuite = l.cipherSuite;
    if (l.group !== undefined) n.group = l.group;
    if (l.signatureScheme !== undefined) n.signatureScheme = l.signatureScheme;
    if (l.clientSignatureScheme !== undefined) n.clientSignatureScheme = l.clientSignatureScheme;
    if (l.alpn !== undefined) n.alpn = l.alpn;
    if (l.serverName !== undefined) n.serverName = l.serverName;
    if (l.helloRetryRequest) n.helloRetryRequest = true;
    if (l.resumed) n.resumed = true;
    if (l.earlyData !== undefined) n.earlyData = l.earlyData;
    // One copy per distinct certificate across live connections (reported only; info copies out).
    if (l.peerCertificates !== undefined) n.peerCertificates = l.peerCertificates.map(internCertificate);
    // The usual empty list is one shared frozen array (memory: not one per connection).
    if (l.certificateErrors !== undefined) n.certificateErrors = l.certificateErrors.length === 0 ? NO_CERTIFICATE_ERRORS : l.certificateErrors;
    if (l.certificateErrorSeverity !== undefined) n.certificateErrorSeverity = l.certificateErrorSeverity;
    // A copy: the response is a view into the received handshake message.
    if (l.ocspResponse !== undefined) n.ocspResponse = copyBytes(l.ocspResponse);
    // The config's own bytes (shared, never written; the getter copies out).
    if (l.localCertificate !== undefined) n.localCertificate = l.localCertificate;
    // RFC 9846 §4.7.1: a ticket_lifetime of zero "indicates that the ticket should be discarded
    // immediately" (a peer sending such tickets first must not crowd out the usable ones).
    if (l.ticket !== undefined && l.ticket.lifetime > 0 && ticketCount(this.tickets_) < 8) this.tickets_ = keepTicket(this.tickets_, l.ticket, this.cfg.now());
  }

  private onAlert(content: Uint8Array): void {
    const alert = decodeAlert(content);
    this.trace({ direction: 'received', kind: 'alert', summary: `alert ${alertName(alert.description)} (level ${alert.level})` });
    if (alert.description === AlertDescription.close_notify) {
      // RFC 9846 §6.1: the peer will send no more data.
      if (!this.result) {
        this.setError(new TlsError('AlertReceived', { alert: alert.description, detail: 'peer closed during the handshake' }), false);
        return;
      }
      this.phase_ = this.closeSent ? 'closed' : 'peer-closed';
      return;
    }
    if (this.tls12 && alert.level === 1) {
      // RFC 5246 §7.2: warning alerts other than close_notify do not end the connection.
      this.flood.warningAlert();
      return;
    }
    if (alert.description === AlertDescription.user_canceled && !this.tls12) {
      // RFC 9846 §6.1: user_canceled is followed by close_notify (a closure alert: its level is
      // ignored). In TLS 1.2 only a warning one is (above): RFC 5246 §7.2, "Upon transmission or
      // receipt of a fatal alert message, both parties immediately close the connection."
      this.flood.warningAlert();
      return;
    }
    // RFC 9846 §6: every other alert is fatal in TLS 1.3, whatever its level.
    this.setError(new TlsError('AlertReceived', { alert: alert.description, detail: this.result ? undefined : alertHint(alert.description) }), false);
  }

  private onAppData(content: Uint8Array): void {
    if (!this.result) {
      // RFC 9846 §2: application data only after the handshake, or as 0-RTT data we accepted.
      if (this.earlyAllowance === null) throw new TlsError('UnexpectedMessage', { detail: 'application data before the handshake completed' });
      // RFC 9846 §4.3.10: more than max_early_data_size → unexpected_message.
      if (this.earlyLength + content.length > this.earlyAllowance) {
        throw new TlsError('UnexpectedMessage', { detail: `more than max_early_data_size (${this.earlyAllowance}) bytes of early data` });
      }
      this.earlyLength += content.length;
      if (content.length === 0) {
        this.flood.emptyRecord();
        return;
      }
      (this.readQueue ??= []).push(content);
      this.readQueued += content.length;
      return;
    }
    if (content.length === 0) {
      this.flood.emptyRecord();
      return;
    }
    this.flood.data();
    (this.readQueue ??= []).push(content);
    this.readQueued += content.length;
  }

  // ---------------------------------------------------------------- output

  private makeOutput(): HandshakeOutput {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    // close() while a step awaited (an async signer, key share or verifier): the handshake is
    // abandoned (see advance), so what the step still does when its promise settles goes
    // nowhere: no message after our close_notify, no keys, no completion.
    // A connection that failed meanwhile (a trace callback that threw, see trace()) is abandoned too.
    const abandoned = (): boolean => self.error_ !== null || (self.closeSent && self.result === null);
    // After our close_notify nothing more goes out (RFC 9846 §6.1: "the sender will not send
    // any more messages on this connection"; RFC 5246 §7.2.1), also after the handshake: a
    // NewSessionTicket still being sealed when close() came (an async AEAD), a TLS 1.2
    // no_renegotiation warning for a HelloRequest or ClientHello that arrives after it.
    const silenced = (): boolean => self.error_ !== null || self.closeSent;
    return {
      tracing: self.cfg.trace !== undefined,
      send(msg: HandshakeMessage): Uint8Array {
        const bytes = encodeHandshakeWith(self.codec.encode, msg);
        if (silenced()) return bytes;
        self.writer.queueHandshake(bytes);
        // The summary is rendered only for a tracer (a regular expression per message otherwise wasted).
        if (self.cfg.trace) self.trace({ direction: 'sent', kind: 'handshake', summary: summarize(msg), message: msg });
        return bytes;
      },
      sendChangeCipherSpec(kind: 'compat' | 'tls12'): void {
        if (silenced()) return;
        if (kind === 'tls12') {
          self.writer.changeCipherSpec12();
          self.trace({ direction: 'sent', kind: 'change_cipher_spec', summary: 'ChangeCipherSpec' });
        } else if (self.writer.compatChangeCipherSpec()) {
          self.trace({ direction: 'sent', kind: 'change_cipher_spec', summary: 'ChangeCipherSpec (middlebox compatibility)' });
        }
      },
      installKey(direction: 'read' | 'write', key: TrafficKey): void {
        if (abandoned()) return;
        const protector = key.version === 'TLSv1.3' ? tls13Protector(self.cfg.crypto, key.suite, key.secret) : key.protector;
        // The provider contract: only an async provider returns an async AEAD (and only then
        // does the writer have a way to report a failed seal).
        if (protector instanceof RecordProtector && protector.async && self.cfg.crypto.async !== true) {
          throw new TlsError('InternalError', { detail: `provider ${self.cfg.crypto.name} is not async but returned an async ${protector.alg} AEAD` });
        }
        if (direction === 'read') {
          self.installRead(protector, key.version === 'TLSv1.3' ? key : null);
          return;
        }
        self.setTrafficSecret('write', key.version === 'TLSv1.3' ? key : null);
        self.writer.install(protector);
        if (self.cfg.trace) self.trace({ direction: 'sent', kind: 'key_change', summary: 'write keys changed' });
      },
      keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void {
        if (!self.cfg.keyLog && !self.keyLogSink) return;
        const line = `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
        self.cfg.keyLog?.(line);
        self.keyLogSink?.(line);
      },
      trace(e: TraceEvent): void {
        self.trace(e);
      },
      sendWarningAlert(description: number): void {
        if (silenced()) return;
        self.sendAlert(description, 1);
      },
      closeCleanly(reason: string): void {
        self.trace({ direction: 'sent', kind: 'info', summary: `closing: ${reason}` });
        self.close();
        self.phase_ = 'closed';
      },
      handshakeDone(result: HandshakeResult, finished: FinishedVerified): void {
        // The type already demands the proof; a cast cannot skip it either (RFC 9846 §4.5.3).
        if (!(finished instanceof FinishedVerified)) throw new TlsError('InternalError', { detail: 'handshake completed without a verified Finished' });
        if (abandoned()) return;
        // TLS 1.3: the connection keeps its traffic secrets (setTrafficSecret) and the exporter
        // secret itself, in one buffer, and a shared result: not the result's secrets, closure
        // and exporter secret (an idle connection would hold the application secrets twice).
        const t = result.tls13;
        if (t === undefined) self.result = result;
        else {
          self.setSecret(EXPORTER_AT, t.exporter);
          self.exporterHash = t.suite.hash;
          self.result = TLS13_RESULT;
        }
        self.phase_ = self.closeSent ? 'closed' : 'open';
        self.writer.flushHandshake();
        self.flushWrites();
      },
      skipEarlyData(mode): void {
        self.reader.skipEarlyData(mode);
      },
      acceptEarlyData(maxBytes: number): void {
        self.earlyAllowance = maxBytes;
      },
      endEarlyData(): void {
        self.earlyAllowance = null;
      },
      sendEarlyData(data: Uint8Array): void {
        if (silenced()) return;
        self.writer.appData(data);
        self.trace({ direction: 'sent', kind: 'info', summary: `early data (${data.length} bytes)` });
      },
      earlyDataOutcome(accepted: boolean, data: Uint8Array, resend: boolean): void {
        if (accepted) {
          self.earlyLength = data.length;
          return;
        }
        if (resend && data.length > 0) {
          (self.writeQueue ??= []).unshift(data);
          self.writeQueued += data.length;
        }
      },
      sessionInUse(forget: () => void, held: HeldSession12): void {
        self.sessionInUse = { forget, held };
      },
      plaintextWrites(): void {
        self.setTrafficSecret('write', null);
        self.writer.install(new NullProtector(), null);
      },
      peerKeyUpdate(updateRequested: boolean): void {
        const suite = self.readSuite13;
        if (!suite) throw new TlsError('UnexpectedMessage', { detail: 'KeyUpdate before keys' });
        // RFC 9846 §5.1: KeyUpdate must be the last message in its record.
        if (!self.joiner.isEmpty()) throw new TlsError('UnexpectedMessage', { detail: 'data after KeyUpdate in the same record' });
        const next = nextTrafficSecret(self.cfg.crypto, suite.hash, self.trafficSecret('read', suite));
        self.reader.install(tls13Protector(self.cfg.crypto, suite, next));
        self.setTrafficSecret('read', { suite, secret: next });
        // Any KeyUpdate from the peer answers a request of ours (RFC 9846 §4.7.3).
        self.updateRequestedSent = false;
        self.trace({ direction: 'received', kind: 'key_change', summary: 'read keys updated (KeyUpdate)' });
        if (updateRequested && !self.closeSent) self.sendKeyUpdate(KeyUpdateRequest.update_not_requested);
      },
    };
  }

  /** RFC 9846 §5.1: a key change must fall on a record boundary (nothing of a message left over). */
  private installRead(p: Protector, epoch: { suite: Tls13Suite; secret: Uint8Array } | null): void {
    if (!this.joiner.isEmpty()) {
      throw new TlsError('UnexpectedMessage', { detail: 'handshake data left in the record at a key change' });
    }
    this.setTrafficSecret('read', epoch);
    this.reader.install(p);
    if (this.cfg.trace) this.trace({ direction: 'received', kind: 'key_change', summary: 'read keys changed' });
  }

  private sendKeyUpdate(request: number): void {
    const suite = this.writeSuite13;
    if (!suite) throw new TlsError('InternalError', { detail: 'no write keys' });
    this.out.send({ type: 'key_update', requestUpdate: request });
    const next = nextTrafficSecret(this.cfg.crypto, suite.hash, this.trafficSecret('write', suite));
    this.writer.install(tls13Protector(this.cfg.crypto, suite, next));
    this.setTrafficSecret('write', { suite, secret: next });
  }

  /**
   * Keeps a TLS 1.3 traffic secret for KeyUpdate (RFC 9846 §7.2), overwriting the one it
   * replaces; null (TLS 1.2, which has no KeyUpdate) forgets it. Both directions share one
   * buffer, a copy (memory: one small buffer per connection instead of two secrets with
   * their own ArrayBuffers and epoch records).
   */
  protected setTrafficSecret(direction: 'read' | 'write', epoch: { readonly suite: Tls13Suite; readonly secret: Uint8Array } | null): void {
    const at = direction === 'read' ? 0 : MAX_SECRET_LEN;
    if (direction === 'read') this.readSuite13 = epoch?.suite ?? null;
    else this.writeSuite13 = epoch?.suite ?? null;
    if (epoch === null) {
      this.secrets13?.fill(0, at, at + MAX_SECRET_LEN);
      return;
    }
    this.setSecret(at, epoch.secret);
  }

  /** Copies a secret into its slot of the connection's secret buffer (zeroing what was there). */
  protected setSecret(at: number, secret: Uint8Array): void {
    if (secret.length > MAX_SECRET_LEN) throw new TlsError('InternalError', { detail: `TLS 1.3 secret of ${secret.length} bytes` });
    const buf = (this.secrets13 ??= new Uint8Array(3 * MAX_SECRET_LEN));
    buf.fill(0, at, at + MAX_SECRET_LEN);
    buf.set(secret, at);
  }

  /** The traffic secret in force in `direction` (a view: use before the next {@link setTrafficSecret}). */
  private trafficSecret(direction: 'read' | 'write', suite: Tls13Suite): Uint8Array {
    const at = direction === 'read' ? 0 : MAX_SECRET_LEN;
    return this.secrets13!.subarray(at, at + HASH_LEN[suite.hash]);
  }

  private flushWrites(): void {
    if (!this.result) return;
    const q = this.writeQueue;
    if (q === null) return;
    this.writeQueue = null;
    this.writeQueued = 0;
    for (const d of q) this.sealAppData(d);
  }

  private sealAppData(data: Uint8Array): void {
    // RFC 9846 §5.5: update keys before the AEAD's usage limit (TLS 1.2 has no KeyUpdate:
    // its protector refuses to seal past the limit instead).
    this.writer.appData(data, () => {
      if (!this.tls12 && this.writer.needsKeyUpdate) this.sendKeyUpdate(KeyUpdateRequest.update_not_requested);
    });
  }

  private sendAlert(description: number, level: 1 | 2): void {
    if (this.writer.alert(level, description)) this.trace({ direction: 'sent', kind: 'alert', summary: `alert ${alertName(description)}` });
  }

  private fail(e: unknown): void {
    if (isStepFailed(e)) {
      // The step had learned something worth reporting after the failure (the peer's certificates).
      this.learn(e.learned);
      e = e.error;
    }
    // thrownText never throws (a caller's callback may throw a value without a string form).
    const err = isTlsError(e) ? e : new TlsError('InternalError', { detail: thrownText(e), cause: e });
    this.setError(err, err.source === 'local' && err.alert !== null);
  }

  protected setError(err: TlsError, sendAlert: boolean): void {
    if (this.error_) return;
    this.error_ = err;
    if (sendAlert && err.alert !== null && !this.closeSent) this.sendAlert(err.alert, 2);
    // RFC 9846 §6: "Servers and clients MUST forget the secret values and keys established in
    // failed connections": the traffic and exporter secrets this connection keeps (the alert
    // above was the last record sealed; nothing reads them after a failure).
    this.secrets13?.fill(0);
    // RFC 5246 §7.2.2: a connection ended by a fatal alert (ours or the peer's) is not resumed.
    const inUse = this.sessionInUse;
    this.sessionInUse = null;
    if (inUse !== null && err.alert !== null) inUse.forget();
    this.phase_ = 'failed';
    this.state = FAILED;
    for (const w of this.takeWaiters()) w.reject(err);
  }

  /** Takes the handshake waiters (none left behind). */
  private takeWaiters(): { resolve: () => void; reject: (e: TlsError) => void }[] {
    const w = this.handshakeWaiters;
    this.handshakeWaiters = null;
    return w ?? [];
  }

  /**
   * Hands `e` to the caller's trace callback. One that throws is not called again, and fails
   * the connection (InternalError, source `caller`, internal_error sent): never a throw out of the
   * engine, whichever path traced (a handshake step, close(), the alert that reports a
   * failure). What the interrupted step still does goes nowhere (see makeOutput).
   */
  private trace(e: TraceEvent): void {
    const sink = this.cfg.trace;
    if (sink === undefined || brokenTraces.has(this)) return;
    try {
      sink(e);
    } catch (err) {
      brokenTraces.add(this);
      // The peer is told (internal_error), as for any failure of ours; this alert is not traced.
      this.setError(new TlsError('InternalError', { detail: `the trace callback threw: ${thrownText(err)}`.slice(0, 300), cause: err, source: 'caller' }), true);
    }
  }
}

