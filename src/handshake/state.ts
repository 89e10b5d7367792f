/**
 * What a handshake state sees of the connection (`Context`) and what a state is
 * (`State`): a state consumes one handshake message and returns the next state
 * (rustls' `handle(self, ...)`; picotls' `Expect…` states). Side effects go through
 * the context only, so the machine never touches I/O.
 *
 * @module
 */
import type { ResolvedCommon, TraceEvent } from '../config.js';
import type { Tls13Suite } from '../crypto/suites.js';
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';
import type { HandshakeMessage } from '../wire/messages.js';
import type { Transcript } from './transcript.js';
import type { Protector } from '../record/protector.js';
import { TlsError } from '../errors.js';
import { nameOf } from '../wire/codes.js';

/** Negotiated parameters, filled in as the handshake goes (read through `connection.info`). */
export interface NegotiatedInfo {
  version: string | null;
  cipherSuite: string | null;
  group: string | null;
  /** The server's handshake signature scheme (both roles). */
  signatureScheme: string | null;
  /** The client's CertificateVerify scheme (both roles), if it sent one. */
  clientSignatureScheme: string | null;
  alpn: string | null;
  serverName: string | null;
  resumed: boolean;
  helloRetryRequest: boolean;
  /** DER certificates as sent by the peer, leaf first. */
  peerCertificates: Uint8Array[];
  certificateErrors: CertificateError[];
  certificateErrorSeverity: CertificateErrorSeverity;
}

/** Side effects a state may request. */
export interface Context {
  readonly role: 'client' | 'server';
  readonly cfg: ResolvedCommon;
  readonly transcript: Transcript;
  readonly info: NegotiatedInfo;
  /** Client random (for key-log lines). */
  clientRandom: Uint8Array;
  /** Encodes `msg`, adds it to the transcript, and queues it at the current write epoch. Returns its bytes. */
  send(msg: HandshakeMessage): Uint8Array;
  /** Queues raw handshake bytes (already encoded) without touching the transcript. */
  sendRaw(bytes: Uint8Array): void;
  /** Queues a middlebox-compatibility ChangeCipherSpec record (RFC 9846 §E.4); only the first call sends. */
  sendChangeCipherSpec(): void;
  /** The peer sent KeyUpdate: install its next read secret, and answer if it asked (RFC 9846 §4.7.3). */
  peerKeyUpdate(updateRequested: boolean): void;
  /** Installs TLS 1.3 write protection derived from `secret` (flushes queued handshake bytes first). */
  setWriteSecret(suite: Tls13Suite, secret: Uint8Array): void;
  /**
   * Installs TLS 1.3 read protection. Throws UnexpectedMessage if a handshake message is
   * partially buffered (RFC 9846 §5.1: key changes only on record boundaries).
   */
  setReadSecret(suite: Tls13Suite, secret: Uint8Array): void;
  /** Emits an NSS key-log line. */
  keyLog(label: string, secret: Uint8Array): void;
  /** Emits a trace event. */
  trace(e: TraceEvent): void;
  /** Installs a ready-made write protector (TLS 1.2, after our ChangeCipherSpec). Flushes queued handshake bytes first. */
  installWriteProtector(p: Protector): void;
  /** Installs a ready-made read protector (TLS 1.2, on the peer's ChangeCipherSpec). */
  installReadProtector(p: Protector): void;
  /** Queues a plaintext TLS 1.2 ChangeCipherSpec (a protocol message, not the 1.3 compatibility one). */
  sendChangeCipherSpec12(): void;
  /** The version is settled: adjusts record limits (RFC 5246 §6.2.3: 2^14+2048 for TLS 1.2). */
  versionNegotiated(version: 'TLSv1.2' | 'TLSv1.3'): void;
  /** The handshake finished: application data may flow. */
  handshakeDone(result: HandshakeResult): void;
  /** Sends a warning alert (TLS 1.2 no_renegotiation). */
  sendWarningAlert(description: number): void;
  /** Sends close_notify and ends the connection without error (a peer that insists on renegotiating). */
  closeCleanly(reason: string): void;
  /**
   * Server that does not accept 0-RTT (RFC 9846 §4.3.10): skip records that fail to open
   * with the handshake key ('undecryptable'), or application_data records after a
   * HelloRetryRequest ('app-data'), up to `maxSkippedEarlyData` bytes; 'none' stops.
   */
  skipEarlyData(mode: 'none' | 'undecryptable' | 'app-data'): void;
  /** Stores a NewSessionTicket (resumption is a later issue). */
  storeTicket(ticket: { lifetime: number; ageAdd: number; nonce: Uint8Array; ticket: Uint8Array }): void;
}

/** What the connection keeps once the handshake is over. */
export interface HandshakeResult {
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  /** Keying material exporter (RFC 5705 for 1.2, RFC 9846 §7.5 for 1.3). */
  readonly exporter: (label: string, context: Uint8Array | null, length: number) => Uint8Array;
  /** TLS 1.3 only: secrets for KeyUpdate and resumption. */
  readonly tls13?: TrafficSecrets;
}

/** TLS 1.3 application traffic secrets and friends. */
export interface TrafficSecrets {
  readonly suite: Tls13Suite;
  readonly clientApplication: Uint8Array;
  readonly serverApplication: Uint8Array;
  readonly exporter: Uint8Array;
  readonly resumption: Uint8Array;
}

/** The kind of a decoded handshake message (`HandshakeMessage['type']`). */
export type MessageKind = HandshakeMessage['type'];

/** A handshake state: consumes one message, returns the next state. */
export interface State {
  readonly name: string;
  /**
   * The message kinds this state accepts. The connection checks an incoming message's
   * type against it as soon as the 4-byte header is in, before the body is buffered or
   * decoded (RFC 9846 §4: a message out of order is unexpected_message, whatever its body).
   */
  readonly expects: readonly MessageKind[];
  handle(cx: Context, msg: HandshakeMessage): State | Promise<State>;
  /** TLS 1.2 only: the peer's ChangeCipherSpec arrived. Absent: a CCS here is unexpected_message. */
  handleChangeCipherSpec?(cx: Context): State;
  /** Which record-level version rules apply to messages in this state (decoding of 1.2 vs 1.3 messages). */
  readonly version?: 'TLSv1.2' | 'TLSv1.3';
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
  handle(): State {
    throw new TlsError('InternalError', { detail: 'handshake state used after failure' });
  },
};
