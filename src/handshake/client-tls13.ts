/**
 * TLS 1.3 client handshake (RFC 9846 §2, §4), after `client-hello.ts` has read a TLS 1.3
 * ServerHello: ExpectEncryptedExtensions → ExpectCertificateOrRequest → ExpectCertificate
 * → ExpectCertificateVerify → ExpectFinished → ClientTraffic.
 *
 * @module
 */
import { andThen, type KeyShare, type MaybePromise } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { internCertificate } from '../base/intern.js';
import { KeyUpdateRequest, nameOf } from '../wire/codes.js';
import type { CertificateRequest, HandshakeMessage, ServerHello } from '../wire/messages.js';
import { authenticatePeer, ocspFromCertificateStatus, type CertificateChainAccepted } from './peer-auth.js';
import type { HandshakeOutput, MessageKind, State, Step } from './state.js';
import { codeName, expect, sendHashed } from './state.js';
import { applicationSecrets, finishHandshake, handshakeSecrets, type ApplicationSecrets, type HandshakeSecrets } from './tls13-common.js';
import { computeFinished13, verifyFinished13, type FinishedVerified } from './finished.js';
import { ServerAuthenticated } from './proofs.js';
import type { PskSelected } from './psk.js';
import type { Learned } from './state.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';
import type { SessionKeeper } from './client-sessions.js';
import { acceptAlpn, checkOnlyOffered, type ClientHandshake, type Offer } from './client-common.js';
import { verifyCertificateVerify13 } from './signatures.js';

/** What every TLS 1.3 client state carries once the ServerHello is read. */
export interface Client13 extends ClientHandshake {
  /** What we offered (the second ClientHello after a HelloRetryRequest). */
  readonly offer: Offer;
  readonly suite: Tls13Suite;
  readonly secrets: HandshakeSecrets;
  /** Middlebox compatibility mode (RFC 9846 §E.4): we sent a legacy_session_id. */
  readonly compat: boolean;
  /** The server resumed the session we offered (RFC 9846 §2.2), or null: a full handshake. */
  readonly resumed: PskSelected | null;
  /** The server accepted our 0-RTT data: EndOfEarlyData goes before our Finished (RFC 9846 §4.6.1). */
  readonly earlyAccepted?: boolean;
}

/**
 * What a session received on this connection records about the first handshake: the
 * server's chain and the errors found then, ALPN (from the session itself when resumed, so
 * a ticket from a resumed connection still reports the original certificate).
 */
export interface SessionOrigin {
  readonly alpn: string | null;
  readonly peerCertificates: readonly Uint8Array[];
  readonly certificateErrors: readonly CertificateError[];
  readonly certificateErrorSeverity: CertificateErrorSeverity;
  readonly signatureScheme: string | null;
}

/**
 * The server chose TLS 1.3 and its ServerHello passed the checks of `client-hello.ts`:
 * agree on the shared secret, derive and install the handshake keys (RFC 9846 §7.1), and
 * wait for EncryptedExtensions.
 */
export function serverHello13(
  hs: ClientHandshake,
  offer: Offer,
  sh: ServerHello,
  suite: Tls13Suite,
  share: KeyShare | null,
  peerShare: Uint8Array | null,
  out: HandshakeOutput,
  resumed: PskSelected | null,
): MaybePromise<Step> {
  // psk_ke: no (EC)DHE (acceptPskSelection allowed it only when we offered psk_ke).
  if (share === null || peerShare === null) {
    if (!resumed) throw new TlsError('InternalError', { detail: 'a ServerHello without key exchange and without PSK' });
    return serverHelloAgreed13(hs, offer, sh, suite, null, null, out, resumed);
  }
  // agree() validates the server's point (RFC 9846 §4.3.8.2); an async provider answers later.
  return andThen(share.agree(peerShare), (shared) => serverHelloAgreed13(hs, offer, sh, suite, share.group, shared, out, resumed));
}

function serverHelloAgreed13(hs: ClientHandshake, offer: Offer, sh: ServerHello, suite: Tls13Suite, group: number | null, shared: Uint8Array | null, out: HandshakeOutput, resumed: PskSelected | null): Step {
  const { cfg, transcript, clientRandom } = hs;
  transcript.setHash(suite.hash);
  // TLS 1.3 signs transcript hashes only: a client's transcript keeps no raw messages.
  transcript.add(sh.raw!);
  if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello ${suite.name} ${group !== null ? nameOf('group', group) : 'psk_ke'}${resumed ? ' resumed' : ''}`, message: sh });
  // RFC 9846 §7.1: on resumption the Early Secret comes from the PSK.
  const secrets = handshakeSecrets(cfg.crypto, suite, shared, transcript.current(), resumed ? resumed.session.psk : null);
  out.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secrets.clientHandshake);
  out.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secrets.serverHandshake);
  out.installKey('read', { version: 'TLSv1.3', suite, secret: secrets.serverHandshake });
  // Install the client handshake write key now (as Go, BoringSSL and rustls do), so that an
  // alert sent before our Finished is protected as the server expects (RFC 9846 §6: alerts
  // are "encrypted as specified by the current connection state"). ExpectFinished keeps it.
  // With 0-RTT data out, the early key stays until EncryptedExtensions says whether the server
  // took it (then until our EndOfEarlyData, RFC 9846 §4.6.1).
  if (!offer.early) out.installKey('write', { version: 'TLSv1.3', suite, secret: secrets.clientHandshake });
  const h: Client13 = { ...hs, offer, suite, secrets, compat: offer.ch.legacySessionId.length > 0, resumed };
  const learned: Learned = { version: 'TLSv1.3', cipherSuite: suite.name, group: group !== null ? codeName('group', group) : undefined };
  if (!resumed) return { next: new ExpectEncryptedExtensions(h), learned };
  // A resumed connection reports the server's certificate and the errors found when it was
  // first authenticated: it sees no certificate now (RFC 9846 §2.2).
  const s = resumed.session;
  return {
    next: new ExpectEncryptedExtensions(h),
    learned: { ...learned, resumed: true, peerCertificates: s.peerCertificates, certificateErrors: s.certificateErrors, certificateErrorSeverity: s.certificateErrorSeverity },
  };
}

class ExpectEncryptedExtensions implements State {
  readonly name = 'ExpectEncryptedExtensions';
  readonly expects: readonly MessageKind[] = ['encrypted_extensions'];
  private readonly h: Client13;
  constructor(h: Client13) {
    this.h = h;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const ee = expect(msg, this.name, 'encrypted_extensions');
    checkOnlyOffered(ee.extensions, this.h.offer, 'EncryptedExtensions');
    const alpn = acceptAlpn(this.h.cfg, ee.extensions.alpn);
    this.h.transcript.add(ee.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `EncryptedExtensions${alpn !== undefined ? ` alpn=${alpn}` : ''}`, message: ee });
    const serverName = this.h.p.serverName || undefined;
    const resumed = this.h.resumed;
    const early = this.h.offer.early;
    let earlyData: Learned['earlyData'];
    if (ee.extensions.earlyData && !resumed) {
      // RFC 9846 §4.3.10: early data can only be accepted with the PSK we offered first (selected_identity 0).
      throw new TlsError('IllegalParameter', { detail: 'server accepted early data without resuming our session' });
    }
    if (early && ee.extensions.earlyData && resumed) {
      // RFC 9846 §4.3.10: a server accepting early data "MUST verify that the following values
      // are the same as those associated with the selected PSK: ... the selected cipher suite,
      // the selected ALPN protocol, if any". Our early data was sent under the session's suite
      // for the session's ALPN protocol: accepted under others, it would be read as meant for a
      // protocol it was not written for (BoringSSL refuses the same: ALPN/cipher mismatch on
      // early data).
      const s = resumed.session;
      if ((alpn ?? null) !== s.alpn || this.h.suite.code !== s.cipherSuite) {
        throw new TlsError('IllegalParameter', {
          detail: `server accepted early data under ${alpn === undefined ? 'no ALPN protocol' : JSON.stringify(alpn)} and ${this.h.suite.name}, but the session had ${s.alpn === null ? 'none' : JSON.stringify(s.alpn)} and ${nameOf('suite', s.cipherSuite)}`,
        });
      }
    }
    if (early) {
      earlyData = ee.extensions.earlyData ? 'accepted' : 'rejected';
      out.earlyDataOutcome(earlyData === 'accepted', early, this.h.p.retryEarlyData);
      // Rejected: our flight goes under the handshake key from now on (RFC 9846 §4.3.10).
      if (earlyData === 'rejected') out.installKey('write', { version: 'TLSv1.3', suite: this.h.suite, secret: this.h.secrets.clientHandshake });
    }
    if (resumed) {
      // RFC 9846 §2.2, §4.4.2: a PSK handshake has no Certificate, CertificateVerify or
      // CertificateRequest: the server's Finished comes next, keyed by the PSK.
      const s = resumed.session;
      const origin: SessionOrigin = { alpn: s.alpn, peerCertificates: s.peerCertificates, certificateErrors: s.certificateErrors, certificateErrorSeverity: s.certificateErrorSeverity, signatureScheme: s.signatureScheme };
      const next = new ExpectFinished({ ...this.h, earlyAccepted: earlyData === 'accepted' }, null, ServerAuthenticated.byPsk(resumed), { ...origin, alpn: alpn ?? null });
      return { next, learned: { alpn, serverName, earlyData } };
    }
    return { next: new ExpectCertificate(this.h, null, true, alpn ?? null), learned: { alpn, serverName, earlyData } };
  }
}

class ExpectCertificate implements State {
  readonly name: string;
  private readonly h: Client13;
  private readonly request: CertificateRequest | null;
  private readonly allowRequest: boolean;
  private readonly alpn: string | null;
  constructor(h: Client13, request: CertificateRequest | null, allowRequest: boolean, alpn: string | null) {
    this.h = h;
    this.request = request;
    this.allowRequest = allowRequest;
    this.alpn = alpn;
    this.name = allowRequest ? 'ExpectCertificateOrCertificateRequest' : 'ExpectCertificate';
  }

  get expects(): readonly MessageKind[] {
    return this.allowRequest ? ['certificate', 'certificate_request'] : ['certificate'];
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const m = this.allowRequest ? expect(msg, this.name, 'certificate', 'certificate_request') : expect(msg, this.name, 'certificate');
    const { cfg, transcript } = this.h;
    if (m.type === 'certificate_request') {
      // RFC 9846 §4.4.2: the context is empty during the main handshake.
      if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'CertificateRequest context must be empty in the handshake' });
      // RFC 9846 §4.4.2: signature_algorithms MUST be present.
      if (m.extensions.signatureAlgorithms === undefined) {
        throw new TlsError('MissingExtension', { detail: 'CertificateRequest without signature_algorithms' });
      }
      transcript.add(m.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateRequest', message: m });
      return { next: new ExpectCertificate(this.h, m, false, this.alpn) };
    }
    // RFC 9846 §4.5.1: for server authentication the context is empty.
    if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'server Certificate has a non-empty context' });
    // RFC 9846 §4.5.1.3: an empty server Certificate → decode_error.
    if (m.entries.length === 0) throw new TlsError('DecodeError', { detail: 'server sent an empty Certificate' });
    for (const e of m.entries) checkOnlyOffered(e.extensions, this.h.offer, 'CertificateEntry');
    transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.entries.length} entries)`, message: m });
    const certs = m.entries.map((e) => e.certData);
    // RFC 9846 §4.5.1.1: a stapled OCSP response rides in the leaf's status_request extension.
    const status = m.entries[0]!.extensions.statusRequest;
    const ocsp = status !== undefined ? ocspFromCertificateStatus(status) : null;
    const judged = await authenticatePeer('server', cfg, this.h.p.auth, certs, ocsp, out);
    const l = judged.learned;
    const origin: SessionOrigin = {
      alpn: this.alpn,
      // Interned: the keeper holds these for the connection's life (one copy per process).
      peerCertificates: (l.peerCertificates ?? certs).map(internCertificate),
      certificateErrors: l.certificateErrors ?? [],
      certificateErrorSeverity: l.certificateErrorSeverity ?? 'none',
      signatureScheme: null,
    };
    return { next: new ExpectCertificateVerify(this.h, this.request, judged.chain, origin), learned: judged.learned };
  }
}

/** The server's CertificateVerify, checked under the key of the chain we accepted (RFC 9846 §4.5.2). */
export class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  private readonly h: Client13;
  private readonly request: CertificateRequest | null;
  private readonly chain: CertificateChainAccepted<'server'>;
  private readonly origin: SessionOrigin;
  constructor(h: Client13, request: CertificateRequest | null, chain: CertificateChainAccepted<'server'>, origin: SessionOrigin) {
    this.h = h;
    this.request = request;
    this.chain = chain;
    this.origin = origin;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const cv = expect(msg, this.name, 'certificate_verify');
    const { cfg, transcript } = this.h;
    return andThen(verifyCertificateVerify13(cfg, this.chain, cv.scheme, cv.signature, transcript.current()), (signature) => {
      transcript.add(cv.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
      const signatureScheme = codeName('scheme', cv.scheme);
      const next = new ExpectFinished(this.h, this.request, ServerAuthenticated.byCertificate(signature), { ...this.origin, signatureScheme });
      return { next, learned: { signatureScheme } };
    });
  }
}

/**
 * The server's Finished (RFC 9846 §4.5.3), then our second flight. Built only with proof
 * that the server is authenticated.
 */
export class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly h: Client13;
  private readonly request: CertificateRequest | null;
  private readonly server: ServerAuthenticated;
  private readonly origin: SessionOrigin;
  constructor(h: Client13, request: CertificateRequest | null, server: ServerAuthenticated, origin: SessionOrigin) {
    this.h = h;
    this.request = request;
    this.server = server;
    this.origin = origin;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, transcript, suite, secrets } = this.h;
    const finished = verifyFinished13(cfg.crypto, suite, secrets.serverHandshake, transcript.current(), fin.verifyData, this.server);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    const app = applicationSecrets(secrets, transcript.current());
    // RFC 9846 §5.1: the server's Finished must end its record (key change follows).
    out.installKey('read', { version: 'TLSv1.3', suite, secret: app.serverApplication });
    // RFC 9846 §E.4: in compatibility mode, a CCS precedes our second flight (sent once only).
    if (this.h.compat) out.sendChangeCipherSpec('compat');
    // The client handshake write key was installed after ServerHello (do not reinstall it:
    // that would restart its sequence number after an alert or close_notify).
    if (this.h.earlyAccepted) {
      // RFC 9846 §4.6.1: EndOfEarlyData under the early key, then our handshake key.
      sendHashed(out, transcript, { type: 'end_of_early_data' });
      out.installKey('write', { version: 'TLSv1.3', suite, secret: secrets.clientHandshake });
    }
    // Only a client certificate's signature may wait (an async provider or key); without a
    // CertificateRequest this step costs no promise (issue 9).
    const signed = this.request ? sendClientCertificate(this.h, this.request, out) : undefined;
    return andThen(signed, (clientSignatureScheme) => this.finish(out, finished, app, clientSignatureScheme));
  }

  /** Our Finished and application keys, once our certificate (if asked for) is sent. */
  private finish(out: HandshakeOutput, finished: FinishedVerified, app: ApplicationSecrets, clientSignatureScheme: string | undefined): Step {
    const { cfg, transcript, suite, secrets } = this.h;
    const verifyData = computeFinished13(cfg.crypto, suite, secrets.clientHandshake, transcript.current());
    sendHashed(out, transcript, { type: 'finished', verifyData });
    out.installKey('write', { version: 'TLSv1.3', suite, secret: app.clientApplication });
    const sessions = this.h.p.sessions;
    const keeps = sessions !== null && Boolean(this.h.p.serverName);
    // The resumption secret only when tickets can become sessions here.
    const traffic = finishHandshake(out, cfg.crypto, this.h.clientRandom, suite, app, keeps ? transcript.current() : null, finished);
    const keeper: SessionKeeper | null =
      keeps && sessions && traffic.resumption
        ? { store: sessions.store, key: sessions.key, serverName: this.h.p.serverName!, suite, resumptionSecret: traffic.resumption, origin: this.origin, now: cfg.now, keep: sessions.resumption.keepTicket }
        : null;
    return { next: new ClientTraffic(keeper, cfg.crypto), learned: { clientSignatureScheme } };
  }
}

/**
 * Answers a CertificateRequest (RFC 9846 §4.5.1, §4.5.2): with our certificate through the
 * client-certificate part (`client-auth13.ts`: our chain and a CertificateVerify when our key
 * can sign with a scheme the server listed), else with an empty Certificate. Returns the
 * scheme we signed with, if any.
 */
async function sendClientCertificate(h: Client13, request: CertificateRequest, out: HandshakeOutput): Promise<string | undefined> {
  const id = h.p.identity;
  // A config has an identity only with the client-certificate part, which brings the answer.
  if (id && h.p.answerCertificateRequest13) return h.p.answerCertificateRequest13(h, id, request, out);
  sendHashed(out, h.transcript, { type: 'certificate', context: request.context, entries: [] });
  return undefined;
}

/** Sessions kept from one connection at most (a server may send many tickets). */
const MAX_SESSIONS_PER_CONNECTION = 8;

const CLIENT_TRAFFIC_EXPECTS: readonly MessageKind[] = Object.freeze(['new_session_ticket', 'key_update']);

/** Post-handshake client: NewSessionTicket and KeyUpdate (RFC 9846 §4.7). */
export class ClientTraffic implements State {
  readonly name = 'ClientTraffic';
  // Shared by every idle connection (memory, issue 9): not an array per connection.
  readonly expects: readonly MessageKind[] = CLIENT_TRAFFIC_EXPECTS;
  private readonly keeper: SessionKeeper | null;
  private readonly crypto: CryptoProvider;
  private kept = 0;
  constructor(keeper: SessionKeeper | null, crypto: CryptoProvider) {
    this.keeper = keeper;
    this.crypto = crypto;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const m = expect(msg, this.name, 'new_session_ticket', 'key_update');
    if (m.type === 'new_session_ticket') {
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `NewSessionTicket lifetime=${m.lifetime}`, message: m });
      const maxEarlyData = m.extensions.earlyData?.maxEarlyDataSize ?? 0;
      this.keep(m.lifetime, m.ageAdd, m.nonce, m.ticket, maxEarlyData);
      return { next: this, learned: { ticket: { lifetime: m.lifetime, ageAdd: m.ageAdd, nonce: m.nonce, ticket: m.ticket } } };
    }
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `KeyUpdate ${m.requestUpdate === KeyUpdateRequest.update_requested ? 'requested' : 'not requested'}`, message: m });
    out.peerKeyUpdate(m.requestUpdate === KeyUpdateRequest.update_requested);
    return { next: this };
  }

  /**
   * Keeps a session for a ticket (`client-sessions.ts`, through the resumption part): at most
   * {@link MAX_SESSIONS_PER_CONNECTION}; a lifetime of 0 means "do not use" (RFC 9846 §4.7.1:
   * the ticket is dropped).
   */
  private keep(lifetime: number, ageAdd: number, nonce: Uint8Array, ticket: Uint8Array, maxEarlyData: number): void {
    const k = this.keeper;
    if (!k || lifetime === 0 || this.kept >= MAX_SESSIONS_PER_CONNECTION) return;
    this.kept++;
    k.keep(k, this.crypto, { lifetime, ageAdd, nonce, ticket, maxEarlyData });
  }
}
