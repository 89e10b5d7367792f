/**
 * The TLS 1.3 server's side of resumption (RFC 9846 §2.2, §4.3.9, §4.3.11, §4.7.1): choosing
 * a PSK from the client's offer (a ticket that opens under our keys, for a suite of the same
 * hash, fresh, for the same server name, compatible with our client-certificate policy),
 * checking its binder, and sealing the tickets we issue.
 *
 * Anything wrong with a ticket means "no PSK": a full handshake, never a failure (RFC 9846
 * §4.3.11: the server "should ignore" identities it cannot use). Only a bad binder on a
 * ticket we chose is fatal (decrypt_error, §4.3.11.2): the ClientHello was altered, or the
 * client does not hold the PSK.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { andThen, type MaybePromise } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { tls13Suite } from '../crypto/suites.js';
import { resumptionPsk } from '../keys/tls13-schedule.js';
import { PskKeyExchangeMode } from '../wire/codes.js';
import { truncatedClientHello } from '../wire/hello.js';
import type { ClientHello } from '../wire/messages.js';
import type { CertificateError } from '../verify/verifier.js';
import { decodeTicketState13, encodeTicketState13, type OriginalClientAuth, type TicketState13 } from '../session/ticket13.js';
import { TICKET_AGE_TOLERANCE_MS, verifyBinder, type BinderVerified } from './psk.js';
import type { ServerHandshake } from './server-common.js';
import { clientChainToday } from './peer-auth.js';
import type { HandshakeOutput } from './state.js';
import { claimOnce, isFresh } from '../session/replay.js';

/** A PSK the server resumes with. */
export interface AcceptedPsk {
  readonly binder: BinderVerified;
  /** selected_identity. */
  readonly index: number;
  readonly state: TicketState13;
  /** psk_dhe_ke: with (EC)DHE; psk_ke: the PSK alone (both sides enabled it). */
  readonly mode: 'psk_dhe_ke' | 'psk_ke';
}

/** Identities tried at most (each costs an AEAD open): a client offers one or two. */
const MAX_IDENTITIES_TRIED = 4;

/**
 * Chooses the PSK to resume with, or null for a full handshake.
 *
 * @param canDhe - the ClientHello has a key share for the group we chose
 * @param binderHash - Hash(transcript before this ClientHello ‖ the ClientHello truncated before its binders)
 * @throws TlsError('MissingExtension') for a PSK without psk_key_exchange_modes (RFC 9846 §4.3.9);
 *   TlsError('DecryptError') for a bad binder on the ticket we chose (§4.3.11.2)
 */
export async function choosePsk13(
  hs: ServerHandshake,
  ch: ClientHello,
  suite: Tls13Suite,
  canDhe: boolean,
  binderHash: (truncated: Uint8Array) => Uint8Array,
): Promise<AcceptedPsk | null> {
  const { cfg, p } = hs;
  const offered = ch.extensions.preSharedKey;
  if (offered === undefined) return null;
  const modes = ch.extensions.pskKeyExchangeModes;
  // RFC 9846 §4.3.9: "If clients offer "pre_shared_key" without a "psk_key_exchange_modes"
  // extension, servers MUST abort the handshake."
  if (modes === undefined) throw new TlsError('MissingExtension', { detail: 'pre_shared_key without psk_key_exchange_modes' });
  // psk_ke only when both sides enabled it; otherwise (EC)DHE with the PSK (forward secrecy).
  const mode = p.allowPskKe && modes.includes(PskKeyExchangeMode.psk_ke) ? 'psk_ke' : canDhe && modes.includes(PskKeyExchangeMode.psk_dhe_ke) ? 'psk_dhe_ke' : null;
  if (mode === null) return null;
  const now = cfg.now();
  const sni = (ch.extensions.serverName ?? '').toLowerCase();
  const tries = Math.min(offered.identities.length, MAX_IDENTITIES_TRIED);
  for (let i = 0; i < tries; i++) {
    const id = offered.identities[i]!;
    const opened = await p.ticketKeys.open(cfg.crypto, id.identity);
    const state = opened ? decodeTicketState13(opened.plaintext) : null;
    if (!state || !usable(hs, state, suite, sni, now, id.obfuscatedTicketAge)) continue;
    // RFC 9846 §4.3.11.2: the binder of the identity we chose must verify.
    const binder = verifyBinder(cfg.crypto, suite.hash, state.psk, binderHash(truncatedClientHello(ch)), offered.binders[i]!, i);
    // The client's certificates, judged again by today's trust settings (after the binder: only
    // the ticket's holder can make us verify a chain). The connection reports, and the tickets
    // it issues record, the errors found today (a chain clean then may be Untrusted now).
    const today = await clientChainToday(cfg, p.auth, state.clientChain);
    if (today === null) continue;
    // One code each (the ticket records codes only, in at most 255 bytes).
    const codes = [...new Set(today.map((e) => e.code))];
    const same = codes.length === state.clientErrors.length && codes.every((c, k) => c === state.clientErrors[k]);
    return { binder, index: i, state: same ? state : { ...state, clientErrors: codes }, mode };
  }
  return null;
}

/** Whether a ticket's state may be resumed here and now. */
function usable(hs: ServerHandshake, s: TicketState13, suite: Tls13Suite, sni: string, now: number, obfuscatedAge: number): boolean {
  // RFC 9846 §4.3.11: the PSK's hash must be the negotiated suite's (§4.7.1: "only be resumed
  // with a cipher suite that has the same KDF hash algorithm").
  if (tls13Suite(s.cipherSuite)?.hash !== suite.hash) return false;
  // RFC 9846 §4.7.1: not past its lifetime (and not from the future, beyond the tolerance).
  const age = now - s.issuedAt;
  if (age < -TICKET_AGE_TOLERANCE_MS || age > s.lifetime * 1000) return false;
  // RFC 9846 §4.7.1: "It is RECOMMENDED that implementations place limits on the total lifetime
  // of such keying material": tickets re-issued on resumption do not extend the certificate
  // authentication they descend from beyond our session timeout (as TLS 1.2 sessions, dated
  // from their full handshake).
  if (now - (s.authenticatedAt ?? s.issuedAt) > hs.p.sessionTimeout * 1000) return false;
  // RFC 9846 §8.3: the client's view of the ticket age must agree with ours, within a window.
  const clientAge = (obfuscatedAge - s.ageAdd) >>> 0;
  if (Math.abs(clientAge - age) > TICKET_AGE_TOLERANCE_MS) return false;
  // The session was established for this name (its certificate was chosen for it).
  if (s.serverName !== sni) return false;
  // Client certificates: resumption cannot ask for one (RFC 9846 §4.4.2), so a ticket is used
  // only if the original handshake settled the question as the policy now wants.
  const policy = hs.p.clientAuth;
  if (policy === 'require' && s.clientAuth !== 'certificate') return false;
  if (policy !== 'none' && s.clientAuth === 'not-requested') return false;
  // Errors accepted in the client's chain then must still be ignorable now (the policy may
  // have been tightened since, with the ticket keys kept): otherwise a full handshake judges
  // the chain again.
  if (s.clientErrors.some((e) => !hs.p.auth.ignorable.includes(e))) return false;
  return true;
}

/**
 * The certificate errors of a resumed session's client chain, as `info` reports them: those
 * found when {@link choosePsk13} judged the chain again (each ignorable today).
 */
export function originalErrors(s: TicketState13): CertificateError[] {
  return s.clientErrors.map((code) => ({ code, index: 0, detail: 'found when the resumed session\'s client chain was judged again' }));
}

/** What the tickets of one connection record about its first handshake. */
export interface TicketOrigin {
  readonly alpn: string | null;
  readonly serverName: string;
  readonly clientAuth: OriginalClientAuth;
  readonly clientChain: readonly Uint8Array[];
  readonly clientErrors: readonly CertificateError[];
  /** Server clock (ms) of the full handshake the connection descends from (itself, unless resumed). */
  readonly authenticatedAt: number;
}

/**
 * Sends `p.sessionTickets` NewSessionTickets (RFC 9846 §4.7.1): each a stateless ticket
 * sealed under the current ticket key, with its own nonce (so its own PSK), a fresh
 * ticket_age_add, and our lifetime.
 */
export function sendTickets13(hs: ServerHandshake, suite: Tls13Suite, resumptionSecret: Uint8Array, origin: TicketOrigin, out: HandshakeOutput): MaybePromise<void> {
  const { cfg, p } = hs;
  // One ticket after the other; a sync provider seals them without a promise (issue 9).
  const issue = (i: number): MaybePromise<void> => {
    if (i >= p.sessionTickets) return undefined;
    const nonce = new Uint8Array([i]);
    const ageAdd = readU32(cfg.random(4));
    const issuedAt = cfg.now();
    // RFC 9846 §4.7.1: no longer than what is left of the original authentication's lifetime.
    const lifetime = Math.max(1, Math.min(p.sessionTimeout, Math.floor((origin.authenticatedAt + p.sessionTimeout * 1000 - issuedAt) / 1000)));
    const state = encodeTicketState13({
      cipherSuite: suite.code,
      issuedAt,
      lifetime,
      ageAdd,
      maxEarlyData: p.maxEarlyData,
      psk: resumptionPsk(cfg.crypto, suite.hash, resumptionSecret, nonce),
      serverName: origin.serverName,
      alpn: origin.alpn ?? '',
      clientAuth: origin.clientAuth,
      clientChain: origin.clientChain,
      clientErrors: origin.clientErrors.map((e) => e.code),
      authenticatedAt: Math.min(origin.authenticatedAt, issuedAt),
    });
    if (state === null) return undefined;
    return andThen(p.ticketKeys.seal(cfg.crypto, cfg.random, state), (ticket) => {
      state.fill(0);
      // RFC 9846 §4.7.1: early_data announces max_early_data_size (0-RTT allowed with this ticket).
      const extensions = p.maxEarlyData > 0 ? { earlyData: { maxEarlyDataSize: p.maxEarlyData } } : {};
      out.send({ type: 'new_session_ticket', lifetime, ageAdd, nonce, ticket, extensions });
      return issue(i + 1);
    });
  };
  return issue(0);
}

/** A big-endian uint32 from the first four bytes of `b`. */
function readU32(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/**
 * Whether to accept the client's 0-RTT data (RFC 9846 §4.3.10): "the PSK being used is the
 * first one offered, the ticket allows early data (max_early_data_size > 0), the cipher
 * suite and the ALPN protocol are those of the original session", the ticket's
 * max_early_data_size within ours (a ticket from before `maxEarlyData` was lowered), not after a
 * HelloRetryRequest, 0-RTT enabled here, and (RFC 9846 §8.1) the ticket never used for
 * early data before: claimed in the register, which is consulted last so that a refusal
 * for another reason does not use up the claim.
 */
export async function acceptEarlyData13(hs: ServerHandshake, ch: ClientHello, psk: AcceptedPsk | null, suite: Tls13Suite, alpn: string | undefined, afterHrr: boolean): Promise<boolean> {
  const { cfg, p } = hs;
  if (!psk || afterHrr || ch.extensions.earlyData === undefined || p.maxEarlyData === 0) return false;
  const s = psk.state;
  if (psk.index !== 0 || s.maxEarlyData === 0 || s.cipherSuite !== suite.code || s.alpn !== (alpn ?? '')) return false;
  // A ticket from a more generous config (same ticket keys, maxEarlyData lowered since): the
  // client may send all the ticket allowed, more replayable data than we now take. Refused
  // (its records are skipped, RFC 9846 §4.3.10), not accepted beyond our configured bound.
  if (s.maxEarlyData > p.maxEarlyData) return false;
  const identity = ch.extensions.preSharedKey!.identities[0]!;
  // RFC 9846 §8.3: the ClientHello must arrive when the client's ticket age says (checked for
  // any resumption in `usable`; stated again here, where it guards replays).
  if (!isFresh(s.issuedAt, (identity.obfuscatedTicketAge - s.ageAdd) >>> 0, cfg.now(), TICKET_AGE_TOLERANCE_MS)) return false;
  // Claimed per ticket, not per ClientHello: a replayed ClientHello carries the same ticket
  // (§8.2), and so does a client using one ticket twice (§8.1); kept until the ticket expires.
  return claimOnce(p.replayRegister, cfg.crypto.digest('sha256', identity.identity), s.issuedAt + s.lifetime * 1000);
}
