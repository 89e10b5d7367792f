/**
 * Flood counters (every resource bounded; README "Limits"): what a peer can send that costs us work but carries no
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
  // The caps are copied into fields (not kept as the options object, which may be large and
  // in dictionary mode): an idle connection holds five numbers.
  private readonly maxEmptyRecords: number;
  private readonly maxWarningAlerts: number;
  private readonly maxKeyUpdates: number;
  private readonly maxPostHandshakeMessages: number;
  private readonly maxHelloRequests: number;
  private emptyRecords = 0;
  private warningAlerts = 0;
  private keyUpdates = 0;
  /** Post-handshake handshake messages and empty records, counted together. */
  private postHandshake = 0;
  private helloRequests = 0;

  /**
   * @param limits - the caps (only the {@link FloodLimits} fields are read)
   * @param maxHelloRequests - overrides `limits.maxHelloRequests` when given (a role's limit)
   */
  constructor(limits: Omit<FloodLimits, 'maxHelloRequests'> & { readonly maxHelloRequests?: number }, maxHelloRequests?: number) {
    this.maxEmptyRecords = limits.maxEmptyRecords;
    this.maxWarningAlerts = limits.maxWarningAlerts;
    this.maxKeyUpdates = limits.maxKeyUpdates;
    this.maxPostHandshakeMessages = limits.maxPostHandshakeMessages;
    this.maxHelloRequests = maxHelloRequests ?? limits.maxHelloRequests ?? 0;
  }

  /** A HelloRequest ignored during a TLS 1.2 client handshake (RFC 5246 §7.4.1.1). */
  helloRequest(): void {
    if (++this.helloRequests > this.maxHelloRequests) throw flood('HelloRequests during the handshake', this.maxHelloRequests, 'maxHelloRequests');
  }

  /** A handshake message after the handshake (NewSessionTicket, KeyUpdate, HelloRequest, ...), by its type. */
  postHandshakeMessage(type: number): void {
    if (++this.postHandshake > this.maxPostHandshakeMessages) {
      throw flood('post-handshake messages and empty records without application data', this.maxPostHandshakeMessages, 'maxPostHandshakeMessages');
    }
    if (type === HandshakeType.key_update && ++this.keyUpdates > this.maxKeyUpdates) throw flood('KeyUpdates without application data', this.maxKeyUpdates, 'maxKeyUpdates');
  }

  /**
   * An empty application-data record: it costs the peer nothing and us a decryption, so it
   * is capped alone and together with post-handshake messages (a NewSessionTicket between
   * empty records resets nothing).
   */
  emptyRecord(): void {
    if (++this.emptyRecords > this.maxEmptyRecords) throw flood('empty records without application data', this.maxEmptyRecords, 'maxEmptyRecords');
    if (++this.postHandshake > this.maxPostHandshakeMessages) {
      throw flood('post-handshake messages and empty records without application data', this.maxPostHandshakeMessages, 'maxPostHandshakeMessages');
    }
  }

  /** A TLS 1.2 warning alert or a TLS 1.3 user_canceled. */
  warningAlert(): void {
    if (++this.warningAlerts > this.maxWarningAlerts) throw flood('warning alerts without application data', this.maxWarningAlerts, 'maxWarningAlerts');
  }

  /** Non-empty application data: the peer is doing real work again. */
  data(): void {
    this.emptyRecords = 0;
    this.warningAlerts = 0;
    this.keyUpdates = 0;
    this.postHandshake = 0;
  }
}
