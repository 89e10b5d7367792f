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
 * A TLS 1.2 session (RFC 5246 §7.3; RFC 5077): the master secret and how the server names
 * the session, by the session ID it assigned and/or an RFC 5077 ticket. Only sessions with
 * the extended master secret are kept (RFC 7627 §5.3). Used once like a TLS 1.3 ticket; a
 * session-ID session that was resumed is kept again (the server still holds it), a ticket
 * is replaced by the fresh one the server sends when it resumes.
 */
export interface Tls12Session extends SessionCommon {
  readonly version: 'TLSv1.2';
  /** The 48-byte master secret. */
  readonly masterSecret: Uint8Array;
  /** Always true (RFC 7627 §5.3: no other session is resumed). */
  readonly extendedMasterSecret: true;
  /** The session ID the server assigned (RFC 5246 §7.4.1.3); empty when it gave none. */
  readonly sessionId: Uint8Array;
  /** The RFC 5077 ticket; empty when the server sent none. */
  readonly ticket: Uint8Array;
  /** The server's ticket_lifetime_hint in seconds (0: unspecified). */
  readonly lifetime: number;
}

/** A session a client may resume: a discriminated union on `version`. */
export type ResumableSession = Tls13Session | Tls12Session;

/** RFC 9846 §4.7.1: servers MUST NOT use any value greater than 604800 seconds (7 days). */
export const MAX_TICKET_LIFETIME_SECONDS = 604800;

/** True while `s` may be offered at time `now` (ms). */
export function isSessionFresh(s: ResumableSession, now: number): boolean {
  return now >= s.receivedAt && now < s.expiresAt;
}
