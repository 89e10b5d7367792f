/**
 * TLS 1.2 client handshake (RFC 5246 §7.3, ECDHE per RFC 8422) after `client-hello.ts` has
 * read a TLS 1.2 ServerHello: ExpectCertificate → ExpectServerKeyExchange →
 * ExpectServerHelloDone (→ our Certificate?, ClientKeyExchange, ChangeCipherSpec, Finished)
 * → [ExpectNewSessionTicket] → ExpectChangeCipherSpec → ExpectFinished → Client12Traffic.
 * A ServerHello that resumes the session we offered goes to the abbreviated handshake of
 * `client-resume12.ts` instead.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { CertifiedKey, ResolvedCommon } from '../config/config.js';
import type { KeyShare } from '../crypto/provider.js';
import { tls12Suite, type Tls12Suite } from '../crypto/suites.js';
import { isHybridGroup } from '../crypto/kx.js';
import { TlsError } from '../base/errors.js';
import { nameOf } from '../wire/codes.js';
import type { CertificateRequest12, HandshakeMessage, HelloRetryRequest, NewSessionTicket12, ServerHello, ServerHello12Extensions } from '../wire/messages.js';
import { downgradeSentinel } from '../wire/hello.js';
import type { HandshakeOutput, Learned, MessageKind, State, Step } from './state.js';
import { codeName, expect, keepLearned, sendHashed } from './state.js';
import { acceptAlpn, checkOnlyOffered, type ClientHandshake, type ClientParams, type Offer } from './client-common.js';
import { keyFitsSuite, ownSigningSchemes, signCertificateVerify12, verifyServerKeyExchange } from './signatures.js';
import { authenticatePeer } from './peer-auth.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, deriveSession, finishHandshake12, protectors, type Session12 } from './tls12-common.js';
import { computeFinished12, verifyFinished12 } from './finished.js';
import { ServerAuthenticated } from './proofs.js';
import { ExpectNewSessionTicket12, keepFullSession12, resumed12, resumesOffer, type ServerFindings } from './client-resume12.js';
import { Transcript } from './transcript.js';
import type { MaybePromise } from '../crypto/provider.js';

/** What every TLS 1.2 client state carries once the ServerHello is read. */
export interface Client12 extends ClientHandshake {
  /** The transcript with its message log, which a client CertificateVerify signs (RFC 5246 §7.4.8). */
  readonly transcript: Transcript;
  readonly offer: Offer;
  readonly suite: Tls12Suite;
  readonly serverRandom: Uint8Array;
  /** Extended master secret negotiated (RFC 7627). */
  readonly ems: boolean;
  /** The server answered status_request: a CertificateStatus may follow its Certificate (RFC 6066 §8). */
  readonly statusAcked: boolean;
  /** The session ID the server gave (empty: none). */
  readonly sessionId: Uint8Array;
  /** The server acknowledged our SessionTicket extension: a NewSessionTicket precedes its CCS (RFC 5077 §3.2). */
  readonly ticketExpected: boolean;
  readonly alpn: string | undefined;
  /** The server's certificates and what was found (set once judged), for the session kept. */
  readonly server: ServerFindings;
}

/**
 * The server chose TLS 1.2 (a ServerHello without supported_versions, legacy_version TLS 1.2,
 * and we offered it: checked by `client-hello.ts`, RFC 9846 §4.2.3). Here, in the `tls12`
 * module so that a client without it does not carry them, the rest of the ServerHello's
 * checks, in the order they always ran; then {@link afterServerHello12}.
 */
export function serverHello12(hs: ClientHandshake, offer: Offer, sh: ServerHello | HelloRetryRequest, out: HandshakeOutput): Step {
    // RFC 9846 §4.2.3: a client that offered TLS 1.3 refuses a TLS 1.2 ServerHello carrying the downgrade sentinel.
    const sentinel = downgradeSentinel(sh.random);
    if (offer.offers13 && sentinel !== null) {
      throw new TlsError('IllegalParameter', { detail: `ServerHello.random carries the ${sentinel} downgrade sentinel: a TLS 1.3 server was forced down` });
    }
    // RFC 9846 §4.2.4: "The server's extensions MUST contain "supported_versions"" in a
    // HelloRetryRequest, which exists in TLS 1.3 only.
    if (sh.isHrr) throw new TlsError('IllegalParameter', { detail: 'HelloRetryRequest without supported_versions' });
    const ext = sh.extensions;
    if (ext.rules !== 'tls12') throw new TlsError('InternalError', { detail: 'ServerHello without supported_versions read by the TLS 1.3 rules' });
    // RFC 5246 §7.4.1.3: the suite must be one the client offered.
    const suite = offer.ch.cipherSuites.includes(sh.cipherSuite) ? tls12Suite(sh.cipherSuite) : undefined;
    if (!suite) {
      throw new TlsError('IllegalParameter', { detail: `server selected cipher suite ${nameOf('suite', sh.cipherSuite)} which we did not offer for TLS 1.2` });
    }
    // RFC 5246 §7.4.1.3: compression must be one offered (we offer only null).
    if (sh.legacyCompressionMethod !== 0) throw new TlsError('IllegalParameter', { detail: 'ServerHello compression method is not null' });
    // RFC 5246 §7.4.1.4: only extensions the client offered.
    checkOnlyOffered(ext, offer, 'ServerHello');
    // RFC 5746 §3.4: the server must signal secure renegotiation, with an empty value on a first handshake.
    if (ext.renegotiationInfo === undefined) {
      throw new TlsError('HandshakeFailure', { detail: 'server does not support secure renegotiation (RFC 5746); puretls requires it' });
    }
    if (ext.renegotiationInfo.length !== 0) throw new TlsError('HandshakeFailure', { detail: 'renegotiation_info is not empty on an initial handshake' });
    // RFC 7627 §5.2: a client that requires the extended master secret aborts without it.
    if (!ext.extendedMasterSecret && hs.cfg.requireExtendedMasterSecret) {
      throw new TlsError('HandshakeFailure', { detail: 'server does not support the extended master secret (RFC 7627), which is required' });
    }
    // RFC 8422 §5.2: the server's point formats must include uncompressed.
    if (ext.ecPointFormats !== undefined && !ext.ecPointFormats.includes(0)) {
      throw new TlsError('IllegalParameter', { detail: 'server does not accept uncompressed points' });
    }
    const alpn = acceptAlpn(hs.cfg, ext.alpn);
    return afterServerHello12(hs, offer, sh, suite, ext, alpn, out);
}

/**
 * The server chose TLS 1.2 and its ServerHello passed the checks of {@link serverHello12}
 * (renegotiation_info, extended master secret, point formats, ALPN): wait for its
 * Certificate.
 */
function afterServerHello12(hs: ClientHandshake, offer: Offer, sh: ServerHello, suite: Tls12Suite, ext: ServerHello12Extensions, alpn: string | undefined, out: HandshakeOutput): Step {
  const resumed = resumesOffer(hs, offer, sh);
  if (resumed) return resumed12(hs, offer, sh, suite, ext, alpn, resumed, hs.p.sessions, out);
  // The ClientHello so far, now with the message log a client CertificateVerify signs.
  const transcript = Transcript.continuing(hs.transcript, hs.cfg.crypto);
  transcript.setHash(suite.hash);
  transcript.add(sh.raw!);
  if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello TLSv1.2 ${suite.name}`, message: sh });
  const h: Client12 = {
    ...hs,
    transcript,
    offer,
    suite,
    serverRandom: sh.random,
    ems: ext.extendedMasterSecret === true,
    statusAcked: ext.statusRequest !== undefined,
    sessionId: copyBytes(sh.legacySessionIdEcho),
    ticketExpected: ext.sessionTicket === true,
    alpn,
    server: { certificates: [], errors: [], severity: 'none', scheme: null },
  };
  return { next: new ExpectCertificate(h), learned: { version: 'TLSv1.2', cipherSuite: suite.name, alpn, serverName: hs.p.serverName || undefined } };
}

class ExpectCertificate implements State {
  readonly name = 'ExpectCertificate12';
  readonly expects: readonly MessageKind[] = ['certificate12'];
  private readonly h: Client12;
  constructor(h: Client12) {
    this.h = h;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const m = expect(msg, this.name, 'certificate12');
    // RFC 5246 §7.4.2: every suite we offer authenticates the server.
    if (m.certificates.length === 0) throw new TlsError('DecodeError', { detail: 'server sent an empty Certificate' });
    this.h.transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.certificates.length} entries)`, message: m });
    // The chain is judged once a stapled OCSP response (if any) has arrived.
    return { next: new ExpectServerKeyExchange(this.h, m.certificates, this.h.statusAcked, null), learned: { peerCertificates: m.certificates } };
  }
}

class ExpectServerKeyExchange implements State {
  readonly name: string;
  private readonly h: Client12;
  private readonly certs: Uint8Array[];
  private readonly statusAllowed: boolean;
  private readonly ocsp: Uint8Array | null;
  constructor(h: Client12, certs: Uint8Array[], statusAllowed: boolean, ocsp: Uint8Array | null) {
    this.h = h;
    this.certs = certs;
    this.statusAllowed = statusAllowed;
    this.ocsp = ocsp;
    this.name = statusAllowed ? 'ExpectCertificateStatusOrServerKeyExchange' : 'ExpectServerKeyExchange';
  }

  get expects(): readonly MessageKind[] {
    return this.statusAllowed ? ['server_key_exchange', 'certificate_status'] : ['server_key_exchange'];
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const m = this.statusAllowed ? expect(msg, this.name, 'server_key_exchange', 'certificate_status') : expect(msg, this.name, 'server_key_exchange');
    const { cfg, transcript, suite } = this.h;
    if (m.type === 'certificate_status') {
      // RFC 6066 §8: CertificateStatus follows Certificate when status_request was acknowledged.
      transcript.add(m.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateStatus (OCSP)', message: m });
      return { next: new ExpectServerKeyExchange(this.h, this.certs, false, m.response) };
    }
    const ske = m;
    const judged = await authenticatePeer('server', cfg, this.h.p.auth, this.certs, this.ocsp, out);
    return keepLearned(judged.learned, async () => {
      const key = judged.chain.leafKey;
      // RFC 5246 §7.4.2: the certificate's key must suit the negotiated key exchange.
      if (!keyFitsSuite(key, suite)) {
        throw new TlsError('CertificateUnsupported', { detail: `a ${key.type} certificate cannot authenticate ${suite.name}` });
      }
      const crypto = cfg.crypto;
      // RFC 8422 §5.4: the curve must be one the client listed.
      // The post-quantum hybrids are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem §1): never accepted here.
      if (isHybridGroup(ske.group)) {
        throw new TlsError('IllegalParameter', { detail: `ServerKeyExchange uses ${nameOf('group', ske.group)}, a TLS 1.3-only group` });
      }
      if (!(this.h.offer.ch.extensions.supportedGroups ?? []).includes(ske.group) || !crypto.groups.includes(ske.group)) {
        throw new TlsError('IllegalParameter', { detail: `ServerKeyExchange uses ${nameOf('group', ske.group)}, which we did not offer` });
      }
      const signature = await verifyServerKeyExchange(cfg, judged.chain, this.h.clientRandom, this.h.serverRandom, ske);
      transcript.add(ske.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `ServerKeyExchange ${nameOf('group', ske.group)} ${nameOf('scheme', ske.scheme)}`, message: ske });
      const share = await crypto.generateKeyShare(ske.group, cfg.random);
      // RFC 8422 §5.11: the server's point is validated here (invalid → illegal_parameter).
      const preMaster = await share.agree(ske.publicKey);
      const learned: Learned = { ...judged.learned, group: codeName('group', ske.group), signatureScheme: codeName('scheme', ske.scheme) };
      const server: ServerFindings = {
        certificates: this.certs,
        errors: judged.learned.certificateErrors ?? [],
        severity: judged.learned.certificateErrorSeverity ?? 'none',
        scheme: codeName('scheme', ske.scheme),
      };
      return { next: new ExpectServerHelloDone({ ...this.h, server }, ServerAuthenticated.byCertificate(signature), share, preMaster, null), learned };
    });
  }
}

class ExpectServerHelloDone implements State {
  readonly name = 'ExpectServerHelloDone';
  private readonly h: Client12;
  private readonly server: ServerAuthenticated;
  private readonly share: KeyShare;
  private readonly preMaster: Uint8Array;
  private readonly request: CertificateRequest12 | null;
  constructor(h: Client12, server: ServerAuthenticated, share: KeyShare, preMaster: Uint8Array, request: CertificateRequest12 | null) {
    this.h = h;
    this.server = server;
    this.share = share;
    this.preMaster = preMaster;
    this.request = request;
  }

  get expects(): readonly MessageKind[] {
    return this.request ? ['server_hello_done'] : ['server_hello_done', 'certificate_request12'];
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const m = this.request ? expect(msg, this.name, 'server_hello_done') : expect(msg, this.name, 'server_hello_done', 'certificate_request12');
    const { cfg, transcript } = this.h;
    transcript.add(m.raw!);
    if (m.type === 'certificate_request12') {
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateRequest', message: m });
      return { next: new ExpectServerHelloDone(this.h, this.server, this.share, this.preMaster, m) };
    }
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'ServerHelloDone', message: m });
    // RFC 5246 §7.4.6: our certificate if it fits the request, else an empty list.
    const signer = this.request ? clientSigner(cfg, this.h.p, this.request) : null;
    if (this.request) sendHashed(out, transcript, { type: 'certificate12', certificates: signer ? [...signer.id.chain] : [] });
    sendHashed(out, transcript, { type: 'client_key_exchange', publicKey: this.share.publicKey });
    // RFC 7627 §3: the session hash covers the messages up to and including ClientKeyExchange.
    const session = deriveSession(cfg.crypto, transcript, out, this.h.suite, this.preMaster, this.h.clientRandom, this.h.serverRandom, this.h.ems);
    if (signer) {
      // RFC 5246 §7.4.8: the signature covers every handshake message so far.
      const signature = await signCertificateVerify12(cfg, signer.id.key, signer.scheme, transcript.messages());
      sendHashed(out, transcript, { type: 'certificate_verify', scheme: signer.scheme, signature });
    }
    const prot = protectors(cfg.crypto, session);
    out.sendChangeCipherSpec('tls12');
    out.installKey('write', { version: 'TLSv1.2', protector: prot.client });
    sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished12(cfg.crypto, session, 'client', transcript.current()) });
    const learned: Learned = { clientSignatureScheme: signer ? codeName('scheme', signer.scheme) : undefined };
    const afterTicket = (t: NewSessionTicket12 | null): State => new ExpectChangeCipherSpec(prot.server, new ExpectFinished(this.h, session, this.server, t));
    // RFC 5077 §3.1 Figure 1: an acknowledged SessionTicket extension means a NewSessionTicket before the server's CCS.
    return { next: this.h.ticketExpected ? new ExpectNewSessionTicket12(this.h, afterTicket) : afterTicket(null), learned };
  }
}

/** Our identity and scheme for a TLS 1.2 CertificateRequest, if one fits (RFC 5246 §7.4.4, §7.4.6). */
function clientSigner(cfg: ResolvedCommon, p: ClientParams, req: CertificateRequest12): { id: CertifiedKey; scheme: number } | null {
  const id = p.identity;
  if (!id) return null;
  const t = id.key.type;
  // ClientCertificateType: rsa_sign(1), ecdsa_sign(64) (RFC 5246 §7.4.4, RFC 8422 §5.5; Ed25519 uses ecdsa_sign).
  const type = t === 'rsa' || t === 'rsa-pss' ? 1 : 64;
  if (!req.certificateTypes.includes(type)) return null;
  const scheme = ownSigningSchemes(cfg, id.key, 'TLSv1.2').find((s) => req.signatureAlgorithms.includes(s));
  return scheme === undefined ? null : { id, scheme };
}

/**
 * The server's Finished, after its ChangeCipherSpec (RFC 5246 §7.4.9). Built only with
 * proof that the server is authenticated.
 */
export class ExpectFinished implements State {
  readonly name = 'ExpectFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly h: Client12;
  private readonly session: Session12;
  private readonly server: ServerAuthenticated;
  private readonly ticket: NewSessionTicket12 | null;
  constructor(h: Client12, session: Session12, server: ServerAuthenticated, ticket: NewSessionTicket12 | null = null) {
    this.h = h;
    this.session = session;
    this.server = server;
    this.ticket = ticket;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, transcript } = this.h;
    const finished = verifyFinished12(cfg.crypto, this.session, 'server', transcript.current(), fin.verifyData, this.server);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    finishHandshake12(out, cfg.crypto, this.session, finished);
    const done: Step = { next: new RenegotiationRefused('client') };
    // The session may be resumed once its handshake completed (RFC 5246 §7.4.9).
    const kept = keepFullSession12(this.h, this.h.p.sessions, this.session, this.h.sessionId, this.ticket, this.h.alpn, this.h.server, out);
    return kept instanceof Promise ? kept.then(() => done) : done;
  }
}
