/**
 * What a handshake state is (`State`), what it may do to the connection
 * (`HandshakeOutput`), and what it hands back (`Step`).
 *
 * A state consumes one handshake message and returns the next state (rustls'
 * `handle(self, ...)`; picotls' `Expect…` states). It carries the data of its handshake
 * itself — configuration, transcript, client random, what was offered and chosen so far —
 * and passes it on to the state it returns, typed per version and role. Its only way to
 * act on the connection is the narrow output port (send a message, install a key, emit a
 * trace or key-log line, …), so the machine never touches I/O. What it decides or learns
 * (the version, the suite, the peer's certificates, …) it returns in its {@link Step};
 * nothing writes negotiated parameters from afar.
 *
 * @module
 */
import type { TraceEvent } from '../config/config.js';
import type { Tls13Suite } from '../crypto/suites.js';
import type { RecordProtector } from '../record/protector.js';
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';
import type { HandshakeMessage } from '../wire/messages.js';
import type { TranscriptHash } from './transcript.js';
import type { FinishedVerified } from './finished.js';
import type { Session12 } from './tls12-common.js';
import type { Tls12Session } from '../session/session.js';
import { TlsError } from '../base/errors.js';
import { nameOf } from '../wire/codes.js';

/**
 * The TLS 1.2 session a connection uses (see {@link HandshakeOutput.sessionInUse}): a client's
 * session as its store holds it, or the session ID of a server's session-ID cache entry.
 */
export type HeldSession12 = Tls12Session | Uint8Array;

/** A key for one direction of the record layer. */
export type TrafficKey =
  /** TLS 1.3: a traffic secret (kept by the record layer for KeyUpdate, RFC 9846 §7.2). */
  | { readonly version: 'TLSv1.3'; readonly suite: Tls13Suite; readonly secret: Uint8Array }
  /** TLS 1.2: a protector made from the key block (RFC 5246 §6.3). */
  | { readonly version: 'TLSv1.2'; readonly protector: RecordProtector };

/**
 * The output port: everything a handshake state may do to its connection. Nothing here
 * reads connection state or records negotiated parameters (those travel in {@link Step}).
 */
export interface HandshakeOutput {
  /**
   * Encodes `msg`, queues it at the current write epoch and traces it. Returns its
   * encoding, which the caller adds to its transcript when the message belongs there
   * ({@link sendHashed}).
   */
  send(msg: HandshakeMessage): Uint8Array;
  /**
   * Queues a ChangeCipherSpec record: `'compat'` is TLS 1.3's middlebox-compatibility one
   * (RFC 9846 §E.4; only the first call sends), `'tls12'` the TLS 1.2 protocol message
   * (RFC 5246 §7.1).
   */
  sendChangeCipherSpec(kind: 'compat' | 'tls12'): void;
  /**
   * Installs the next key for one direction. Writing: queued handshake bytes are flushed
   * under the old key first. Reading: throws UnexpectedMessage if part of a handshake
   * message is still buffered (RFC 9846 §5.1: key changes only on record boundaries).
   */
  installKey(direction: 'read' | 'write', key: TrafficKey): void;
  /** Emits an NSS key-log line: `label clientRandom secret`. */
  keyLog(label: string, clientRandom: Uint8Array, secret: Uint8Array): void;
  /**
   * True when the connection has a tracer (`trace` option): states build their trace events
   * (summaries rendered from the message) only then, `if (out.tracing) out.trace(...)`.
   */
  readonly tracing: boolean;
  /** Emits a trace event (nothing happens without a tracer). */
  trace(e: TraceEvent): void;
  /**
   * Server that does not accept 0-RTT (RFC 9846 §4.3.10): skip records that fail to open
   * with the handshake key ('undecryptable'), or application_data records after a
   * HelloRetryRequest ('app-data'), up to `maxSkippedEarlyData` bytes; 'none' stops.
   */
  skipEarlyData(mode: 'none' | 'undecryptable' | 'app-data'): void;
  /**
   * Server that accepted 0-RTT (RFC 9846 §4.3.10): application data may arrive before the
   * handshake completes, under the early key now installed for reading, up to `maxBytes`
   * (more is unexpected_message); it is delivered through `read()` and counted as replayable
   * early data. {@link endEarlyData} closes the window (EndOfEarlyData, RFC 9846 §4.6.1).
   */
  acceptEarlyData(maxBytes: number): void;
  /** The client's EndOfEarlyData arrived: no more application data before the handshake completes. */
  endEarlyData(): void;
  /** Client 0-RTT (RFC 9846 §4.3.10): seals `data` as application data now, under the early key installed for writing. */
  sendEarlyData(data: Uint8Array): void;
  /**
   * Client: what became of the early data sent. Accepted: counted in `earlyDataLength`.
   * Rejected with `resend`: queued to go first after the handshake (RFC 9846 §4.3.10: the
   * client "MAY" re-send it).
   */
  earlyDataOutcome(accepted: boolean, data: Uint8Array, resend: boolean): void;
  /**
   * TLS 1.2, either role: this connection kept or resumed a session; `forget` removes it from
   * the client's store or the server's session-ID cache if the connection later ends with a
   * fatal alert, ours or the peer's (RFC 5246 §7.2.2: "any connection terminated with a fatal
   * alert MUST NOT be resumed"). `held` names the session for a live hand-off (the importing
   * connection removes the same session): the client's kept or resumed session, or the
   * server's session ID.
   */
  sessionInUse(forget: () => void, held: HeldSession12): void;
  /** Client after a HelloRetryRequest that followed early data: the next records are plaintext again (ClientHello2, RFC 9846 §5.1). */
  plaintextWrites(): void;
  /**
   * The handshake is complete: application data may flow (queued writes are sealed now).
   * Takes the proof that the peer's Finished verified after its authentication was settled
   * (RFC 9846 §4.5.3). Callers waiting for the handshake are told once the step that called
   * this has returned.
   */
  handshakeDone(result: HandshakeResult, finished: FinishedVerified): void;
  /** The peer sent KeyUpdate: install its next read secret, and answer if it asked (RFC 9846 §4.7.3). */
  peerKeyUpdate(updateRequested: boolean): void;
  /** Sends a warning alert (TLS 1.2 no_renegotiation). */
  sendWarningAlert(description: number): void;
  /** Sends close_notify and ends the connection without error (a peer that insists on renegotiating). */
  closeCleanly(reason: string): void;
}

/**
 * Sends `msg` and adds it to `transcript`: every handshake message we send during the
 * handshake is hashed (RFC 9846 §4.1; RFC 5246 §7.4.9).
 */
export function sendHashed(out: HandshakeOutput, transcript: TranscriptHash, msg: HandshakeMessage): void {
  transcript.add(out.send(msg));
}

/** A session ticket as the server sent it (RFC 9846 §4.7.1); resumption is a later issue. */
export interface ReceivedTicket {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
}

/**
 * What a step decided or learned, for `connection.info`: each field is set by the state
 * that decides it, when it decides it (names are IANA names, see {@link codeName}).
 */
export interface Learned {
  /** The version is settled (record rules and message decoding follow it from the next record on). */
  readonly version?: 'TLSv1.2' | 'TLSv1.3';
  readonly cipherSuite?: string;
  readonly group?: string;
  /** The server's handshake signature scheme (both roles). */
  readonly signatureScheme?: string;
  /** The client's CertificateVerify scheme (both roles). */
  readonly clientSignatureScheme?: string;
  readonly alpn?: string;
  readonly serverName?: string;
  readonly helloRetryRequest?: true;
  /** The handshake resumed a session (RFC 9846 §2.2). */
  readonly resumed?: true;
  /** What became of 0-RTT data (RFC 9846 §4.3.10): offered and accepted, or offered and rejected. */
  readonly earlyData?: 'accepted' | 'rejected';
  /** DER certificates as sent by the peer, leaf first. */
  readonly peerCertificates?: readonly Uint8Array[];
  readonly certificateErrors?: readonly CertificateError[];
  readonly certificateErrorSeverity?: CertificateErrorSeverity;
  /** Client: the OCSP response the server stapled (RFC 6066 §8 CertificateStatus, RFC 9846 §4.5.1.1 status_request entry), as received. */
  readonly ocspResponse?: Uint8Array;
  /** Server: the leaf certificate of the identity chosen for this handshake (SNI, signature schemes). */
  readonly localCertificate?: Uint8Array;
  /** A NewSessionTicket from the server. */
  readonly ticket?: ReceivedTicket;
}

/** What a state returns for one message: the next state, and what it learned on the way. */
export interface Step {
  readonly next: State;
  readonly learned?: Learned;
}

/**
 * Thrown by a step that fails after learning something the caller may still read in
 * `connection.info` once the handshake has failed: the peer's certificates and what was
 * wrong with them. The connection records `learned`, then fails with `error`.
 */
export class StepFailed extends Error {
  /** The failure (normally a `TlsError`). */
  readonly error: unknown;
  /** What the step had learned when it failed. */
  readonly learned: Learned;
  constructor(error: unknown, learned: Learned) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'StepFailed';
    this.error = error;
    this.learned = learned;
  }
}

/**
 * Runs the rest of a step that has already learned something (the peer's certificates): if
 * it fails, the failure still reports `learned`.
 */
export function keepLearned<T>(learned: Learned, rest: () => T): T {
  const wrap = (e: unknown): never => {
    throw e instanceof StepFailed ? e : new StepFailed(e, learned);
  };
  try {
    const r = rest();
    // An async rest (the provider verifies or agrees later) reports `learned` too.
    return (r instanceof Promise ? r.catch(wrap) : r) as T;
  } catch (e) {
    return wrap(e);
  }
}

/** What the connection keeps once the handshake is over. */
export interface HandshakeResult {
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  /** Keying material exporter (RFC 5705 for 1.2, RFC 9846 §7.5 for 1.3). */
  readonly exporter: (label: string, context: Uint8Array | null, length: number) => Uint8Array;
  /** TLS 1.3 only: secrets for KeyUpdate and resumption. */
  readonly tls13?: TrafficSecrets;
  /** TLS 1.2 only: the session the keys and the exporter derive from (for a live hand-off). */
  readonly tls12?: Session12;
}

/** TLS 1.3 application traffic secrets and friends. */
export interface TrafficSecrets {
  readonly suite: Tls13Suite;
  readonly clientApplication: Uint8Array;
  readonly serverApplication: Uint8Array;
  readonly exporter: Uint8Array;
  /** Null when this side does not use it (a client keeping no sessions, a server issuing no tickets). */
  readonly resumption: Uint8Array | null;
}

/** The kind of a decoded handshake message (`HandshakeMessage['type']`). */
export type MessageKind = HandshakeMessage['type'];

/** A handshake state: consumes one message, returns the next state. */
export interface State {
  /** For error details and traces only: nothing compares it. */
  readonly name: string;
  /**
   * The message kinds this state accepts. The connection checks an incoming message's
   * type against it as soon as the 4-byte header is in, before the body is buffered or
   * decoded (RFC 9846 §4: a message out of order is unexpected_message, whatever its body).
   */
  readonly expects: readonly MessageKind[];
  handle(msg: HandshakeMessage, out: HandshakeOutput): Step | Promise<Step>;
  /** TLS 1.2 only: the peer's ChangeCipherSpec arrived. Absent: a CCS here is unexpected_message. */
  handleChangeCipherSpec?(out: HandshakeOutput): Step;
}

/**
 * Checks that `msg` is one of `types`, else UnexpectedMessage (RFC 9846 §4:
 * messages MUST be sent in the order specified; otherwise unexpected_message).
 */
export function expect<T extends HandshakeMessage['type']>(
  msg: HandshakeMessage,
  state: string,
  ...types: T[]
): Extract<HandshakeMessage, { type: T }> {
  if (!(types as string[]).includes(msg.type)) {
    throw new TlsError('UnexpectedMessage', { detail: `${state}: got ${msg.type}, expected ${types.join(' or ')}` });
  }
  return msg as Extract<HandshakeMessage, { type: T }>;
}

/** Human name for a scheme/group/suite in info. */
export function codeName(kind: 'suite' | 'group' | 'scheme', v: number): string {
  return nameOf(kind, v);
}

/** A state that refuses everything: used after failure. */
export const FAILED: State = {
  name: 'Failed',
  expects: [],
  handle(): Step {
    throw new TlsError('InternalError', { detail: 'handshake state used after failure' });
  },
};
