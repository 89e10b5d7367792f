/**
 * What a client keeps to resume a session (issue 10 items 1, 2, 5): a
 * {@link ResumableSession}, one variant per protocol version. TLS 1.3 keeps the PSK derived
 * from a NewSessionTicket (RFC 9846 §4.7.1: `HKDF-Expand-Label(resumption_secret,
 * "resumption", ticket_nonce, Hash.length)`), the ticket and its age parameters; the TLS 1.2
 * variant (the master secret, session ID and/or RFC 5077 ticket, the extended-master-secret
 * flag) joins the union.
 *
 * Every variant carries what the first, fully authenticated handshake decided about the
 * server (its certificate chain and the certificate errors found then): a resumed connection
 * reports those, since it never sees a certificate again (RFC 9846 §2.2).
 *
 * Sessions are secret: whoever holds one can resume as the client. They are plain data so
 * that a store may keep them anywhere; `serialize.ts` makes an authenticated blob of one.
 *
 * @module
 */
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';

/** What every session carries, whatever its version. */
export interface SessionCommon {
  /** The server name the session was established with (SNI and the certificate check). */
  readonly serverName: string;
  /** The store key it was stored under (server name + trust fingerprint; see `store.ts`). */
  readonly storeKey: string;
  /** The cipher suite of the first handshake (IANA code point). */
  readonly cipherSuite: number;
  /** ALPN protocol of the first handshake, or null. */
  readonly alpn: string | null;
  /** `now()` (ms) when the session (ticket) arrived. */
  readonly receivedAt: number;
  /** `now()` (ms) after which it must not be offered. */
  readonly expiresAt: number;
  /** The server's certificates as first verified, leaf first (DER). */
  readonly peerCertificates: readonly Uint8Array[];
  /** The certificate errors found (and accepted) then. */
  readonly certificateErrors: readonly CertificateError[];
  /** Their severity then. */
  readonly certificateErrorSeverity: CertificateErrorSeverity;
  /** The scheme of the server's handshake signature then (IANA name), or null. */
  readonly signatureScheme: string | null;
}

/** A TLS 1.3 session: one ticket from one NewSessionTicket (RFC 9846 §4.7.1). */
export interface Tls13Session extends SessionCommon {
  readonly version: 'TLSv1.3';
  /** The resumption PSK (Hash.length bytes of the suite's hash). */
  readonly psk: Uint8Array;
  /** The ticket, the PSK identity (RFC 9846 §4.3.11). */
  readonly ticket: Uint8Array;
  /** ticket_lifetime in seconds (≤ 7 days). */
  readonly lifetime: number;
  /** ticket_age_add (RFC 9846 §4.7.1). */
  readonly ageAdd: number;
  /** max_early_data_size of the ticket's early_data extension; 0 without one (no 0-RTT). */
  readonly maxEarlyData: number;
}

/**
 * A session a client may resume. A discriminated union on `version`: the TLS 1.2 variant
 * joins it (issue 10 item 2).
 */
export type ResumableSession = Tls13Session;

/** RFC 9846 §4.7.1: servers MUST NOT use any value greater than 604800 seconds (7 days). */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;

/** True while `s` may be offered at time `now` (ms). */
export function isSessionFresh(s: ResumableSession, now: number): boolean {
  return now >= s.receivedAt && now < s.expiresAt;
}
