/**
 * TLS 1.2 session resumption, server side: finding a session the ClientHello asks to resume
 * (an RFC 5077 ticket, else a session ID in our cache), deciding whether it may be resumed,
 * and the abbreviated handshake (RFC 5246 §7.3, Figure 2; RFC 5077 §3.1, Figure 2):
 *
 * ```
 * ClientHello (session_id | SessionTicket ext) ──►
 *                       ◄── ServerHello (session_id echoed) [NewSessionTicket]
 *                           ChangeCipherSpec, Finished
 * ChangeCipherSpec, Finished ──►
 * ```
 *
 * Also what the full handshake of `server-tls12.ts` needs to make a session resumable:
 * the session state it caches or seals into a NewSessionTicket (RFC 5077 §3.3) once the
 * client's Finished has verified.
 *
 * What is never resumed (a full handshake instead): a session without the extended master
 * secret (RFC 7627 §5.3), whose suite the client no longer offers or we no longer allow
 * (RFC 5246 §7.4.1.2), whose server name differs (RFC 6066 §3), that has expired, that
 * lacks a client certificate we now require, or a ticket we cannot open (RFC 5077 §3.4). A
 * ClientHello that drops the extended master secret for a session that had it is aborted
 * (RFC 7627 §5.3).
 *
 * @module
 */
import type { MaybePromise, RandomSource, CryptoProvider } from '../crypto/provider.js';
import { andThen } from '../crypto/provider.js';
import { tls12Suite, type Tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { copyBytes } from '../base/bytes.js';
import { ProtocolVersion } from '../wire/codes.js';
import { DOWNGRADE_TLS12 } from '../wire/hello.js';
import type { ClientHello, HandshakeMessage, ServerHello, ServerHello12Extensions } from '../wire/messages.js';
import type { HandshakeOutput, Learned, MessageKind, State, Step } from './state.js';
import { expect, sendHashed } from './state.js';
import type { ServerHandshake } from './server-common.js';
import { clientChainToday } from './peer-auth.js';
import { computeFinished12, verifyFinished12, type FinishedVerified } from './finished.js';
import { ClientAuthDecided } from './proofs.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, finishHandshake12, protectors, type Session12 } from './tls12-common.js';
import { decodeServerSession12, encodeServerSession12, sessionFresh, type ServerSession12, type SessionCache12 } from '../session/cache12.js';
import type { Choice12 } from './server-tls12.js';

/** What seals and opens tickets: the ticket key set (`session/ticket-keys.ts`, `TicketKeySet`). */
export interface TicketSealer {
  seal(crypto: CryptoProvider, random: RandomSource, plaintext: Uint8Array): MaybePromise<Uint8Array>;
  open(crypto: CryptoProvider, ticket: Uint8Array): MaybePromise<{ readonly plaintext: Uint8Array; readonly current: boolean } | null>;
}

/** A server's TLS 1.2 resumption settings (from the server config; shared by its connections). */
export interface ServerResumption12 {
  /** Session IDs (null: none are assigned). */
  readonly cache: SessionCache12 | null;
  /** RFC 5077 tickets (null: none are issued or accepted). */
  readonly tickets: TicketSealer | null;
  /** Seconds a session may be resumed after its full handshake (the ticket lifetime hint too). */
  readonly lifetime: number;
}

/** A session the ClientHello asked for and that may be resumed. */
export interface Resumable12 {
  readonly session: ServerSession12;
  readonly suite: Tls12Suite;
  /** How the client named it. */
  readonly via: 'ticket' | 'session-id';
  /** Send a fresh ticket in this abbreviated handshake (RFC 5077 §3.1 Figure 2). */
  readonly newTicket: boolean;
}

/** Largest encoded session state sealed into a ticket (NewSessionTicket.ticket is opaque<0..2^16-1>, plus sealing overhead). */
const MAX_TICKET_STATE = 60000;

/** True when the server will send a NewSessionTicket (RFC 5077 §3.2: only to a client that sent the extension). */
export function issuesTicket(r: ServerResumption12 | undefined, ch: ClientHello): boolean {
  return r?.tickets != null && ch.extensions.sessionTicket !== undefined && ch.extensions.extendedMasterSecret === true;
}

/**
 * The session the ClientHello asks to resume, if we have it and may resume it; null for a
 * full handshake.
 *
 * @throws TlsError('HandshakeFailure') when the ClientHello drops the extended master secret
 *   for a session that used it (RFC 7627 §5.3)
 */
export async function findResumable12(hs: ServerHandshake, ch: ClientHello, r: ServerResumption12 | undefined): Promise<Resumable12 | null> {
  if (!r) return null;
  const { cfg } = hs;
  const now = cfg.now();
  const ticket = ch.extensions.sessionTicket;
  let session: ServerSession12 | null = null;
  let via: Resumable12['via'];
  if (ticket !== undefined && ticket.length > 0) {
    // RFC 5077 §3.4: "If a ticket is presented by the client, the server MUST NOT attempt to
    // use the Session ID in the ClientHello for stateful session resumption."
    if (!r.tickets) return null;
    via = 'ticket';
    const opened = await r.tickets.open(cfg.crypto, ticket);
    // RFC 5077 §3.4: a ticket we cannot open (unknown key, tampered, ...) means a full handshake.
    session = opened ? decodeServerSession12(opened.plaintext) : null;
    if (session && !sessionFresh(session, r.lifetime, now)) session = null;
  } else {
    via = 'session-id';
    if (!r.cache || ch.legacySessionId.length === 0) return null;
    session = r.cache.get(ch.legacySessionId, now) ?? null;
  }
  if (!session) return null;
  // RFC 7627 §5.3: a session without the extended master secret is not resumed (we never
  // store one; a ticket from elsewhere sealed under our key is refused the same way).
  if (!session.extendedMasterSecret) return null;
  // RFC 7627 §5.3: "If the original session used the "extended_master_secret" extension but
  // the new ClientHello does not contain it, the server MUST abort the abbreviated handshake."
  if (!ch.extensions.extendedMasterSecret) {
    throw new TlsError('HandshakeFailure', { detail: 'the ClientHello resumes a session with the extended master secret but does not offer it (RFC 7627 §5.3)' });
  }
  // RFC 5246 §7.4.1.2: the resumed session keeps its suite, which the client must offer (and we must still allow).
  const suite = tls12Suite(session.suite);
  if (!suite || !ch.cipherSuites.includes(session.suite) || !cfg.suites.includes(session.suite)) return null;
  // RFC 6066 §3: "A server ... MUST NOT accept the request to resume the session if the
  // server_name extension contains a different name. Instead, it proceeds with a full handshake".
  const sni = ch.extensions.serverName?.toLowerCase();
  if (sni !== session.serverName) return null;
  // A session made without a client certificate cannot satisfy a policy that requires one.
  if (hs.p.clientAuth === 'require' && session.clientCertificates.length === 0) return null;
  // Errors accepted in the client's chain then must still be ignorable now (the policy may
  // have been tightened since, with the ticket keys kept): otherwise a full handshake judges
  // the chain again.
  if (session.certificateErrors.some((e) => !hs.p.auth.ignorable.includes(e.code))) return null;
  // The client's certificates, judged again by today's trust settings (a client CA replaced
  // since, with the ticket keys kept): a chain a full handshake would refuse is not resumed.
  const today = await clientChainToday(cfg, hs.p.auth, session.clientCertificates);
  if (today === null) return null;
  // The resumed connection reports, and a renewed ticket records, the errors found today (a
  // chain clean then may be Untrusted or Expired now: `authorized` must say so).
  const judged: ServerSession12 =
    session.clientCertificates.length === 0 ? session : { ...session, certificateErrors: today, certificateErrorSeverity: today.length > 0 ? 'ignorable' : 'none' };
  return { session: judged, suite, via, newTicket: via === 'ticket' && issuesTicket(r, ch) };
}

/**
 * The abbreviated handshake's first flight (RFC 5246 §7.3 Figure 2; RFC 5077 §3.1 Figure 2):
 * ServerHello echoing the client's session ID, a fresh NewSessionTicket if the client resumed
 * with a ticket, then our ChangeCipherSpec and Finished; the client's follow.
 */
export async function resumeFlight12(hs: ServerHandshake, ch: ClientHello, c: Choice12, res: Resumable12, r: ServerResumption12, out: HandshakeOutput): Promise<Step> {
  const { cfg, p, transcript } = hs;
  const { session, suite } = res;
  const random = cfg.random(32);
  // RFC 9846 §4.2.3: a TLS 1.3-capable server negotiating TLS 1.2 marks the random.
  if (c.downgradeSentinel) random.set(DOWNGRADE_TLS12, 24);
  const ext = ch.extensions;
  const shExt: ServerHello12Extensions = { rules: 'tls12', renegotiationInfo: new Uint8Array(0), extendedMasterSecret: true };
  if (ext.ecPointFormats !== undefined) shExt.ecPointFormats = [0];
  if (c.alpn !== undefined) shExt.alpn = c.alpn;
  // RFC 5077 §3.2: an empty SessionTicket extension announces the NewSessionTicket.
  if (res.newTicket) shExt.sessionTicket = true;
  // RFC 6066 §3: "When resuming a session, the server MUST NOT include a server_name extension in the server hello."
  const sh: ServerHello = {
    type: 'server_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    // RFC 5246 §7.4.1.3 (session ID) / RFC 5077 §3.4 (ticket): echo the client's session ID.
    legacySessionIdEcho: ch.legacySessionId,
    cipherSuite: suite.code,
    legacyCompressionMethod: 0,
    extensions: shExt,
    isHrr: false,
  };
  transcript.setHash(suite.hash);
  transcript.add(ch.raw!);
  sendHashed(out, transcript, sh);
  if (out.tracing) out.trace({ direction: 'sent', kind: 'info', summary: `resuming a TLS 1.2 session (${res.via})` });
  if (res.newTicket) await sendTicket12(hs, session, r, out);
  const s12: Session12 = { suite, master: session.master, clientRandom: ch.random, serverRandom: random, extendedMasterSecret: true };
  // NSS key log: the resumed master secret under this connection's client random.
  out.keyLog('CLIENT_RANDOM', ch.random, session.master);
  const keys = protectors(cfg.crypto, s12);
  out.sendChangeCipherSpec('tls12');
  out.installKey('write', { version: 'TLSv1.2', protector: keys.server });
  sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished12(cfg.crypto, s12, 'server', transcript.current()) });
  const client = ClientAuthDecided.resumed12(p.clientAuth, session.clientCertificates.length > 0);
  const learned: Learned = {
    version: 'TLSv1.2',
    cipherSuite: suite.name,
    alpn: c.alpn,
    serverName: session.serverName,
    resumed: true,
    ...(session.clientCertificates.length > 0
      ? { peerCertificates: session.clientCertificates, certificateErrors: session.certificateErrors, certificateErrorSeverity: session.certificateErrorSeverity }
      : {}),
  };
  // RFC 5246 §7.2, §7.2.2: a session whose resumption fails (a wrong Finished), or whose
  // connection later ends with a fatal alert, ours or the client's, is invalidated. A session
  // ID can be; a ticket cannot (RFC 5077 keeps the state with the client).
  const cache = r.cache;
  if (res.via === 'session-id' && cache) {
    const id = copyBytes(ch.legacySessionId);
    out.sessionInUse(() => cache.delete(id), id);
  }
  return { next: new ExpectChangeCipherSpec(keys.client, new ExpectResumedFinished(hs, s12, client)), learned };
}

/**
 * Seals `session` and sends it as a NewSessionTicket, hashed into the transcript (RFC 5077
 * §3.3: "The NewSessionTicket handshake message is included in the hash used to create and
 * verify the Finished message"). A state too large for a ticket sends an empty one, which
 * RFC 5077 §3.3 allows once the extension was acknowledged.
 */
export async function sendTicket12(hs: ServerHandshake, session: ServerSession12, r: ServerResumption12, out: HandshakeOutput): Promise<void> {
  const { cfg, transcript } = hs;
  const state = encodeServerSession12(session);
  let ticket: Uint8Array = new Uint8Array(0);
  if (r.tickets && state.length <= MAX_TICKET_STATE) ticket = await r.tickets.seal(cfg.crypto, cfg.random, state);
  state.fill(0);
  // The hint: what is left of the session's lifetime (RFC 5077 §3.3, in seconds).
  const left = Math.max(0, Math.floor((session.createdAt + r.lifetime * 1000 - cfg.now()) / 1000));
  // At least 1: a hint of 0 means "unspecified" (RFC 5077 §3.3), which a client would read as long-lived.
  sendHashed(out, transcript, { type: 'new_session_ticket12', lifetimeHint: ticket.length > 0 ? Math.max(1, left) : 0, ticket });
}

/** What the full handshake found about the client's certificate, for the session state. */
export interface ClientCertificateFindings {
  readonly certificates: readonly Uint8Array[];
  readonly errors: ServerSession12['certificateErrors'];
  readonly severity: ServerSession12['certificateErrorSeverity'];
}

/**
 * After the client's Finished verified in a full handshake (RFC 5246 §7.4.9: only then is the
 * session resumable): caches the session under its ID, and, when the client asked for one,
 * sends a NewSessionTicket before our ChangeCipherSpec (RFC 5077 §3.1 Figure 1).
 */
export function rememberSession12(
  hs: ServerHandshake,
  s: Session12,
  sessionId: Uint8Array,
  serverName: string | undefined,
  client: ClientCertificateFindings,
  ticket: boolean,
  r: ServerResumption12 | undefined,
  out: HandshakeOutput,
): MaybePromise<void> {
  // RFC 7627 §5.3: sessions without the extended master secret are never resumed, so never kept.
  if (!r || !s.extendedMasterSecret) return undefined;
  const state: ServerSession12 = {
    suite: s.suite.code,
    master: s.master,
    extendedMasterSecret: true,
    serverName,
    clientCertificates: client.certificates,
    certificateErrors: client.errors,
    certificateErrorSeverity: client.severity,
    createdAt: hs.cfg.now(),
  };
  const cache = r.cache;
  if (sessionId.length > 0 && cache?.put(sessionId, state)) {
    // RFC 5246 §7.2.2: "any connection terminated with a fatal alert MUST NOT be resumed".
    out.sessionInUse(() => cache.delete(sessionId), sessionId);
  }
  return ticket ? andThen(sendTicket12(hs, state, r, out), () => undefined) : undefined;
}

/**
 * The client's Finished in an abbreviated handshake, after its ChangeCipherSpec (RFC 5246
 * §7.3): ours went first, so nothing is sent. Built only with the client-certificate question
 * settled by the resumed session.
 */
class ExpectResumedFinished implements State {
  readonly name = 'ExpectResumedFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly hs: ServerHandshake;
  private readonly session: Session12;
  private readonly client: ClientAuthDecided;
  constructor(hs: ServerHandshake, session: Session12, client: ClientAuthDecided) {
    this.hs = hs;
    this.session = session;
    this.client = client;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, transcript } = this.hs;
    // RFC 5246 §7.4.9: a wrong verify_data is decrypt_error. Its fatal alert invalidates the
    // session ID (RFC 5246 §7.2: "preventing the failed session from being used to establish
    // new connections"; the removal was handed over with sessionInUse).
    const finished: FinishedVerified = verifyFinished12(cfg.crypto, this.session, 'client', transcript.current(), fin.verifyData, this.client);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    finishHandshake12(out, cfg.crypto, this.session, finished);
    return { next: new RenegotiationRefused('server') };
  }
}
