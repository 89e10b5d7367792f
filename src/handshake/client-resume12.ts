/**
 * TLS 1.2 session resumption, client side (RFC 5246 §7.3, §7.4.1.2; RFC 5077 §3.1, §3.4;
 * RFC 7627 §5.3): what a ClientHello offers for a stored TLS 1.2 session, how a ServerHello
 * that resumes it is recognised and checked, the abbreviated handshake's states, and the
 * session kept after a handshake.
 *
 * ```
 * ClientHello (session_id = stored id | random id + SessionTicket(ticket)) ──►
 *                 ◄── ServerHello (session_id echoed) [NewSessionTicket] ChangeCipherSpec, Finished
 * ChangeCipherSpec, Finished ──►
 * ```
 *
 * The server is authenticated by the session (its full handshake verified the server's
 * certificate) and its Finished, keyed by the session's master secret: the Finished check
 * takes `ServerAuthenticated.byResumption(session)`, and only a good Finished lets
 * application data flow.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { MaybePromise } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { nameOf } from '../wire/codes.js';
import type { HandshakeMessage, NewSessionTicket12, ServerHello, ServerHello12Extensions } from '../wire/messages.js';
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';
import type { ResumableSession, Tls12Session } from '../session/session.js';
import { forgetSession, keepSession, withSharedCertificates } from '../session/store.js';
import type { HandshakeOutput, Learned, MessageKind, State, Step } from './state.js';
import { expect, sendHashed } from './state.js';
import type { ClientHandshake, Offer } from './client-common.js';
import { computeFinished12, verifyFinished12 } from './finished.js';
import { ServerAuthenticated } from './proofs.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, finishHandshake12, protectors, type Session12 } from './tls12-common.js';
import type { RecordProtector } from '../record/protector.js';

/** Where this connection takes and keeps sessions (`ClientParams.sessions`). */
export type ClientSessions = NonNullable<ClientHandshake['p']['sessions']>;

/** Client-side lifetime of a session without a usable hint (OpenSSL's default session timeout). */
const DEFAULT_CLIENT_LIFETIME_S = 7200;
/** Longest a client keeps a TLS 1.2 session (RFC 5246 §F.1.4 suggests 24 hours). */
const MAX_CLIENT_LIFETIME_S = 86400;

/** What the ClientHello carries for TLS 1.2 resumption: its session ID and SessionTicket extension. */
export interface Offer12 {
  readonly legacySessionId: Uint8Array;
  /** RFC 5077 §3.2: the ticket, empty to ask for one; undefined: the extension is not sent. */
  readonly sessionTicket: Uint8Array | undefined;
}

/**
 * The session ID and SessionTicket extension of our ClientHello: a stored ticket goes in the
 * extension with a fresh random session ID, so that the server's echo tells us it accepted
 * the ticket (RFC 5077 §3.4); a stored session ID goes as the session ID (RFC 5246 §7.4.1.2;
 * RFC 9846 §4.2.2 asks a TLS 1.3 client to send a cached pre-TLS 1.3 session ID as its
 * legacy_session_id); otherwise `fresh` (the TLS 1.3 compatibility ID, or empty).
 *
 * @param wanted - the client keeps sessions: ask for a ticket (an empty extension)
 */
export function offer12(session: Tls12Session | undefined, wanted: boolean, fresh: Uint8Array, random: (n: number) => Uint8Array): Offer12 {
  // Callers pass only a session whose suite they offer (RFC 5246 §7.4.1.2: "the client MUST
  // include at least the cipher_suite from that session"); see usableSession12.
  if (!session) return { legacySessionId: fresh, sessionTicket: wanted ? new Uint8Array(0) : undefined };
  if (session.ticket.length > 0) return { legacySessionId: fresh.length === 32 ? fresh : random(32), sessionTicket: session.ticket };
  return { legacySessionId: session.sessionId, sessionTicket: wanted ? new Uint8Array(0) : undefined };
}

/**
 * The stored session if this ClientHello can offer it: its suite is among ours (RFC 5246
 * §7.4.1.2), it has the extended master secret (RFC 7627 §5.3), and its master secret is 48
 * bytes; otherwise none (it was taken out of the store all the same: single use).
 */
export function usableSession12(session: Tls12Session | undefined, suites: readonly number[]): Tls12Session | undefined {
  if (!session || !suites.includes(session.cipherSuite) || session.extendedMasterSecret !== true) return undefined;
  if (!(session.masterSecret instanceof Uint8Array) || session.masterSecret.length !== 48) return undefined;
  if (session.peerCertificates.length === 0) return undefined;
  return session;
}

/**
 * Does this TLS 1.2 ServerHello resume the session we offered? RFC 5246 §7.4.1.3: a server
 * resuming echoes our session ID; RFC 5077 §3.4: accepting a ticket it echoes the ID sent
 * with it. Anything else is a full handshake.
 *
 * @throws TlsError('IllegalParameter') when the server echoes a session ID we never offered
 *   for resumption (our TLS 1.3 compatibility ID, RFC 9846 §4.2.2, names no TLS 1.2 session)
 */
export function resumesOffer(hs: ClientHandshake, offer: Offer, sh: ServerHello): Tls12Session | null {
  const echo = sh.legacySessionIdEcho;
  const sent = offer.ch.legacySessionId;
  if (echo.length === 0 || !hs.cfg.crypto.equal(echo, sent)) return null;
  const session = offer.session12;
  if (!session) {
    throw new TlsError('IllegalParameter', { detail: 'the TLS 1.2 ServerHello echoes a session ID we did not offer for resumption' });
  }
  return session;
}

/**
 * The server resumes our session (RFC 5246 §7.3 Figure 2): check what it may not change,
 * then wait for [NewSessionTicket], its ChangeCipherSpec and Finished.
 */
export function resumed12(hs: ClientHandshake, offer: Offer, sh: ServerHello, suite: Tls12Suite, ext: ServerHello12Extensions, alpn: string | undefined, session: Tls12Session, r: ClientSessions | null, out: HandshakeOutput): Step {
  // RFC 5246 §7.4.1.3: "For resumed sessions, this field is the value from the state of the session being resumed."
  if (sh.cipherSuite !== session.cipherSuite) {
    throw new TlsError('IllegalParameter', {
      detail: `the server resumes a ${nameOf('suite', session.cipherSuite)} session with ${nameOf('suite', sh.cipherSuite)}`,
    });
  }
  // RFC 7627 §5.3: "If the original session used the extended_master_secret extension but the
  // new ServerHello does not contain the extension, the client MUST abort the handshake."
  if (!ext.extendedMasterSecret) {
    throw new TlsError('HandshakeFailure', { detail: 'the server resumes a session with the extended master secret without the extension (RFC 7627 §5.3)' });
  }
  hs.transcript.setHash(suite.hash);
  hs.transcript.add(sh.raw!);
  if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello TLSv1.2 ${suite.name} (resumed)`, message: sh });
  // RFC 5246 §7.2.2: a fatal alert on this connection ends the session it resumes.
  if (r) out.sessionInUse(() => forgetSession(r.store, session), session);
  const s12: Session12 = { suite, master: session.masterSecret, clientRandom: hs.clientRandom, serverRandom: sh.random, extendedMasterSecret: true };
  // NSS key log: the resumed master secret under this connection's client random.
  out.keyLog('CLIENT_RANDOM', hs.clientRandom, session.masterSecret);
  const keys = protectors(hs.cfg.crypto, s12);
  const h: Resumed12 = { ...hs, offer, session, s12, r, clientWrite: keys.client, alpn };
  const afterTicket = (t: NewSessionTicket12 | null): State => new ExpectChangeCipherSpec(keys.server, new ExpectResumedFinished(h, ServerAuthenticated.byResumption(session), t));
  const learned: Learned = {
    version: 'TLSv1.2',
    cipherSuite: suite.name,
    alpn,
    serverName: hs.p.serverName || undefined,
    resumed: true,
    peerCertificates: session.peerCertificates,
    certificateErrors: session.certificateErrors,
    certificateErrorSeverity: session.certificateErrorSeverity,
    ...(session.signatureScheme !== null ? { signatureScheme: session.signatureScheme } : {}),
  };
  // RFC 5077 §3.1 Figure 2: an acknowledged SessionTicket extension means a NewSessionTicket comes first.
  const next = ext.sessionTicket ? new ExpectNewSessionTicket12(hs, afterTicket) : afterTicket(null);
  return { next, learned };
}

/** What the abbreviated handshake's states carry. */
interface Resumed12 extends ClientHandshake {
  readonly offer: Offer;
  readonly session: Tls12Session;
  readonly s12: Session12;
  readonly r: ClientSessions | null;
  readonly clientWrite: RecordProtector;
  readonly alpn: string | undefined;
}

/**
 * RFC 5077 §3.3: the NewSessionTicket the server announced, before its ChangeCipherSpec
 * (hashed into the transcript like every handshake message).
 */
export class ExpectNewSessionTicket12 implements State {
  readonly name = 'ExpectNewSessionTicket12';
  readonly expects: readonly MessageKind[] = ['new_session_ticket12'];
  private readonly hs: ClientHandshake;
  private readonly then: (t: NewSessionTicket12) => State;
  constructor(hs: ClientHandshake, then: (t: NewSessionTicket12) => State) {
    this.hs = hs;
    this.then = then;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const m = expect(msg, this.name, 'new_session_ticket12');
    this.hs.transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `NewSessionTicket (${m.ticket.length} bytes, hint ${m.lifetimeHint}s)`, message: m });
    return { next: this.then(m) };
  }
}

/**
 * The server's Finished in an abbreviated handshake (after its ChangeCipherSpec), then our
 * ChangeCipherSpec and Finished (RFC 5246 §7.3 Figure 2). Built only with the proof that the
 * session we resume authenticated the server.
 */
class ExpectResumedFinished implements State {
  readonly name = 'ExpectResumedFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly h: Resumed12;
  private readonly server: ServerAuthenticated;
  private readonly ticket: NewSessionTicket12 | null;
  constructor(h: Resumed12, server: ServerAuthenticated, ticket: NewSessionTicket12 | null) {
    this.h = h;
    this.server = server;
    this.ticket = ticket;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, transcript } = this.h;
    const s = this.h.s12;
    // RFC 5246 §7.4.9: a wrong verify_data is decrypt_error.
    const finished = verifyFinished12(cfg.crypto, s, 'server', transcript.current(), fin.verifyData, this.server);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    out.sendChangeCipherSpec('tls12');
    out.installKey('write', { version: 'TLSv1.2', protector: this.h.clientWrite });
    sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished12(cfg.crypto, s, 'client', transcript.current()) });
    finishHandshake12(out, cfg.crypto, s, finished);
    const old = this.h.session;
    // A fresh ticket replaces the one used (single use); a session ID stays valid at the server,
    // so the session is kept again for the next connection.
    let kept: Tls12Session | null = null;
    if (this.ticket && this.ticket.ticket.length > 0) {
      kept = { ...old, ...lifetimeOf(cfg.now(), this.ticket.lifetimeHint), ticket: copyBytes(this.ticket.ticket), lifetime: this.ticket.lifetimeHint, sessionId: new Uint8Array(0) };
    } else if (old.ticket.length === 0 && old.sessionId.length > 0) {
      kept = old;
    }
    const done: Step = { next: new RenegotiationRefused('client') };
    if (!kept || !this.h.r) return done;
    // RFC 5246 §7.2.2: a fatal alert later on this connection removes what it keeps now (a
    // renewed ticket is a new session: forgetting only the one resumed would leave it stored;
    // the very object stored, since a store may compare sessions by identity).
    const stored = withSharedCertificates(kept);
    const store = this.h.r.store;
    out.sessionInUse(() => forgetSession(store, stored), stored);
    const p = keepSession(store, stored);
    return p instanceof Promise ? p.then(() => done) : done;
  }
}

function lifetimeOf(now: number, hint: number): { receivedAt: number; expiresAt: number } {
  const seconds = hint > 0 ? Math.min(hint, MAX_CLIENT_LIFETIME_S) : DEFAULT_CLIENT_LIFETIME_S;
  return { receivedAt: now, expiresAt: now + seconds * 1000 };
}

/** What the full handshake learned about the server, for the session kept after it. */
export interface ServerFindings {
  readonly certificates: readonly Uint8Array[];
  readonly errors: readonly CertificateError[];
  readonly severity: CertificateErrorSeverity;
  readonly scheme: string | null;
}


/**
 * After a full handshake whose server Finished verified: keeps the session (RFC 5246 §7.4.9:
 * only a completed handshake makes a resumable session) when the server gave it a session ID
 * or a ticket and it has the extended master secret (RFC 7627 §5.3: no other session is
 * resumed).
 */
export function keepFullSession12(
  hs: ClientHandshake,
  r: ClientSessions | null,
  s: Session12,
  sessionId: Uint8Array,
  ticket: NewSessionTicket12 | null,
  alpn: string | undefined,
  server: ServerFindings,
  out: HandshakeOutput,
): MaybePromise<void> {
  if (!r || !s.extendedMasterSecret) return undefined;
  const t = ticket && ticket.ticket.length > 0 ? ticket : null;
  if (sessionId.length === 0 && !t) return undefined;
  if (server.certificates.length === 0) return undefined;
  const now = hs.cfg.now();
  const session: Tls12Session = {
    version: 'TLSv1.2',
    serverName: hs.p.serverName ?? '',
    storeKey: r.key,
    cipherSuite: s.suite.code,
    alpn: alpn ?? null,
    ...lifetimeOf(now, t ? t.lifetimeHint : 0),
    peerCertificates: server.certificates,
    certificateErrors: server.errors,
    certificateErrorSeverity: server.severity,
    signatureScheme: server.scheme,
    masterSecret: copyBytes(s.master),
    extendedMasterSecret: true,
    sessionId: copyBytes(sessionId),
    ticket: t ? copyBytes(t.ticket) : new Uint8Array(0),
    lifetime: t ? t.lifetimeHint : 0,
  };
  // RFC 5246 §7.2.2: a fatal alert later on this connection removes it again (the very
  // object stored: a store may compare sessions by identity).
  const stored = withSharedCertificates(session);
  out.sessionInUse(() => forgetSession(r.store, stored), stored);
  return keepSession(r.store, stored);
}
