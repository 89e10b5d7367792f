/**
 * Flood counters (DESIGN.md §4): what a peer can send that costs us work but carries no
 * application data — empty records, warning alerts, KeyUpdates, post-handshake messages,
 * HelloRequests during a TLS 1.2 handshake — each capped, and all but the HelloRequests
 * reset only by non-empty application data. Exceeding a cap is `UnexpectedMessage`
 * (unexpected_message), with the option to raise it named in the detail.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { HandshakeType } from '../wire/codes.js';

/** The caps, as resolved from the options. */
export interface FloodLimits {
  readonly maxEmptyRecords: number;
  readonly maxWarningAlerts: number;
  readonly maxKeyUpdates: number;
  readonly maxPostHandshakeMessages: number;
  readonly maxHelloRequests: number;
}

function flood(what: string, limit: number, option: string): TlsError {
  return new TlsError('UnexpectedMessage', { detail: `more than ${limit} ${what} (${option})` });
}

/** Counts one connection's no-data traffic against its {@link FloodLimits}. */
export class FloodGuard {
  private readonly limits: FloodLimits;
  private emptyRecords = 0;
  private warningAlerts = 0;
  private keyUpdates = 0;
  /** Post-handshake handshake messages and empty records, counted together. */
  private postHandshake = 0;
  private helloRequests = 0;

  constructor(limits: FloodLimits) {
    this.limits = limits;
  }

  /** A HelloRequest ignored during a TLS 1.2 client handshake (RFC 5246 §7.4.1.1). */
  helloRequest(): void {
    if (++this.helloRequests > this.limits.maxHelloRequests) throw flood('HelloRequests during the handshake', this.limits.maxHelloRequests, 'maxHelloRequests');
  }

  /** A handshake message after the handshake (NewSessionTicket, KeyUpdate, HelloRequest, ...), by its type. */
  postHandshakeMessage(type: number): void {
    const l = this.limits;
    if (++this.postHandshake > l.maxPostHandshakeMessages) {
      throw flood('post-handshake messages and empty records without application data', l.maxPostHandshakeMessages, 'maxPostHandshakeMessages');
    }
    if (type === HandshakeType.key_update && ++this.keyUpdates > l.maxKeyUpdates) throw flood('KeyUpdates without application data', l.maxKeyUpdates, 'maxKeyUpdates');
  }

  /**
   * An empty application-data record: it costs the peer nothing and us a decryption, so it
   * is capped alone and together with post-handshake messages (a NewSessionTicket between
   * empty records resets nothing).
   */
  emptyRecord(): void {
    const l = this.limits;
    if (++this.emptyRecords > l.maxEmptyRecords) throw flood('empty records without application data', l.maxEmptyRecords, 'maxEmptyRecords');
    if (++this.postHandshake > l.maxPostHandshakeMessages) {
      throw flood('post-handshake messages and empty records without application data', l.maxPostHandshakeMessages, 'maxPostHandshakeMessages');
    }
  }

  /** A TLS 1.2 warning alert or a TLS 1.3 user_canceled. */
  warningAlert(): void {
    if (++this.warningAlerts > this.limits.maxWarningAlerts) throw flood('warning alerts without application data', this.limits.maxWarningAlerts, 'maxWarningAlerts');
  }

  /** Non-empty application data: the peer is doing real work again. */
  data(): void {
    this.emptyRecords = 0;
    this.warningAlerts = 0;
    this.keyUpdates = 0;
    this.postHandshake = 0;
  }
}
