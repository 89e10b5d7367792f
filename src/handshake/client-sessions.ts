/**
 * The client's session code that runs only when it resumes or keeps sessions (RFC 9846 §2.2,
 * §2.3, §4.7.1): sending 0-RTT data after the first ClientHello, and turning a
 * NewSessionTicket into a stored session. Reached only through the resumption part
 * (`client-resumption.ts`), so `puretls/client` without its `resumption` module leaves it out
 * (issue 9 item 5).
 *
 * @module
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { tls13Suite, type Tls13Suite } from '../crypto/suites.js';
import { resumptionPsk } from '../keys/tls13-schedule.js';
import { keepSession, type SessionStore } from '../session/store.js';
import { MAX_TICKET_LIFETIME_SECONDS, type Tls13Session } from '../session/session.js';
import { ProtocolVersion } from '../wire/codes.js';
import type { ClientHandshake } from './client-common.js';
import type { SessionOrigin } from './client-tls13.js';
import type { PskOffer } from './psk.js';
import type { HandshakeOutput } from './state.js';
import { earlyTrafficSecret } from './tls13-common.js';

/**
 * Sends 0-RTT data after the first ClientHello (RFC 9846 §2.3, §4.3.10): under
 * client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello), with
 * the suite of the session's ticket, preceded by the compatibility ChangeCipherSpec
 * (RFC 9846 §E.4: "placed immediately after the first ClientHello" when offering early data).
 */
export function sendEarlyData(hs: ClientHandshake, psk: PskOffer, data: Uint8Array, chRaw: Uint8Array, out: HandshakeOutput): void {
  const suite = tls13Suite(psk.session.cipherSuite)!;
  const secret = earlyTrafficSecret(hs.cfg.crypto, suite, psk.session.psk, hs.cfg.crypto.digest(suite.hash, chRaw));
  out.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', hs.clientRandom, secret);
  if (hs.cfg.maxVersion >= ProtocolVersion.TLSv1_3) out.sendChangeCipherSpec('compat');
  out.installKey('write', { version: 'TLSv1.3', suite, secret });
  out.sendEarlyData(data);
}

/** What the client needs to turn NewSessionTickets into stored sessions. */
export interface SessionKeeper {
  readonly store: SessionStore;
  readonly key: string;
  readonly serverName: string;
  readonly suite: Tls13Suite;
  readonly resumptionSecret: Uint8Array;
  readonly origin: SessionOrigin;
  readonly now: () => number;
  /** Where the ticket goes (the resumption part that made this keeper). */
  readonly keep: typeof keepTicketSession;
}

/** A NewSessionTicket as the keeper needs it (RFC 9846 §4.7.1). */
export interface TicketToKeep {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  readonly maxEarlyData: number;
}

/**
 * Stores a session for a ticket (RFC 9846 §4.7.1): its PSK is
 * HKDF-Expand-Label(resumption_secret, "resumption", ticket_nonce, Hash.length). The caller
 * has dropped a lifetime of 0 ("do not use"). The store is not awaited: a slow or failing
 * store costs the session, never the connection.
 */
export function keepTicketSession(k: SessionKeeper, crypto: CryptoProvider, t: TicketToKeep): void {
  const now = k.now();
  // The PSK and a copy of the ticket in one buffer (one allocation per session, not two).
  const psk = resumptionPsk(crypto, k.suite.hash, k.resumptionSecret, t.nonce);
  const secrets = new Uint8Array(psk.length + t.ticket.length);
  secrets.set(psk);
  secrets.set(t.ticket, psk.length);
  psk.fill(0);
  const session: Tls13Session = {
    version: 'TLSv1.3',
    serverName: k.serverName,
    storeKey: k.key,
    cipherSuite: k.suite.code,
    alpn: k.origin.alpn,
    receivedAt: now,
    expiresAt: now + Math.min(t.lifetime, MAX_TICKET_LIFETIME_SECONDS) * 1000,
    peerCertificates: k.origin.peerCertificates,
    certificateErrors: k.origin.certificateErrors,
    certificateErrorSeverity: k.origin.certificateErrorSeverity,
    signatureScheme: k.origin.signatureScheme,
    psk: secrets.subarray(0, psk.length),
    ticket: secrets.subarray(psk.length),
    lifetime: t.lifetime,
    ageAdd: t.ageAdd,
    maxEarlyData: t.maxEarlyData,
  };
  void keepSession(k.store, session);
}
