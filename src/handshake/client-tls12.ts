/**
 * TLS 1.2 client handshake (RFC 5246 §7.3, ECDHE per RFC 8422), full handshakes only,
 * after `client-hello.ts` has read a TLS 1.2 ServerHello: ExpectCertificate →
 * ExpectServerKeyExchange → ExpectServerHelloDone (→ our Certificate?, ClientKeyExchange,
 * ChangeCipherSpec, Finished) → ExpectChangeCipherSpec → ExpectFinished → Client12Traffic.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { nameOf } from '../wire/codes.js';
import type { CertificateRequest12, HandshakeMessage, ServerHello, ServerHello12Extensions } from '../wire/messages.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import type { ClientParams, Offer } from './client-common.js';
import { keyFitsSuite, signCertificateVerify12, verifyServerKeyExchange } from './signatures.js';
import { authenticatePeer } from './peer-auth.js';
import type { CertifiedKey } from '../config.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, checkFinished12, deriveSession, finishHandshake12, finished12, protectors, type Session12 } from './tls12-common.js';

/**
 * The server chose TLS 1.2 and its ServerHello passed the checks of `client-hello.ts`
 * (renegotiation_info, extended master secret, point formats, ALPN): wait for its
 * Certificate.
 */
export function serverHello12(cx: Context, p: ClientParams, offer: Offer, sh: ServerHello, suite: Tls12Suite, ext: ServerHello12Extensions): State {
  cx.versionNegotiated('TLSv1.2');
  cx.transcript.setHash(suite.hash);
  cx.transcript.add(sh.raw!);
  cx.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello TLSv1.2 ${suite.name}`, message: sh });
  cx.info.cipherSuite = suite.name;
  if (p.serverName) cx.info.serverName = p.serverName;
  const hello: Hello12 = { p, offer, suite, serverRandom: sh.random, ems: ext.extendedMasterSecret === true, statusAcked: ext.statusRequest !== undefined };
  return new ExpectCertificate(hello);
}

interface Hello12 {
  readonly p: ClientParams;
  readonly offer: Offer;
  readonly suite: Tls12Suite;
  readonly serverRandom: Uint8Array;
  readonly ems: boolean;
  /** The server answered status_request: a CertificateStatus may follow its Certificate (RFC 6066 §8). */
  readonly statusAcked: boolean;
}

class ExpectCertificate implements State {
  readonly name = 'ExpectCertificate12';
  readonly expects: readonly MessageKind[] = ['certificate12'];
  readonly version = 'TLSv1.2';
  private readonly h: Hello12;
  constructor(h: Hello12) {
    this.h = h;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const m = expect(msg, this.name, 'certificate12');
    // RFC 5246 §7.4.2: every suite we offer authenticates the server.
    if (m.certificates.length === 0) throw new TlsError('DecodeError', { detail: 'server sent an empty Certificate' });
    cx.transcript.add(m.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.certificates.length} entries)`, message: m });
    cx.info.peerCertificates = m.certificates;
    // The chain is judged once a stapled OCSP response (if any) has arrived.
    return new ExpectServerKeyExchange(this.h, m.certificates, this.h.statusAcked, null);
  }
}

class ExpectServerKeyExchange implements State {
  readonly name: string;
  readonly version = 'TLSv1.2';
  private readonly h: Hello12;
  private readonly certs: Uint8Array[];
  private readonly statusAllowed: boolean;
  private readonly ocsp: Uint8Array | null;
  constructor(h: Hello12, certs: Uint8Array[], statusAllowed: boolean, ocsp: Uint8Array | null) {
    this.h = h;
    this.certs = certs;
    this.statusAllowed = statusAllowed;
    this.ocsp = ocsp;
    this.name = statusAllowed ? 'ExpectCertificateStatusOrServerKeyExchange' : 'ExpectServerKeyExchange';
  }

  get expects(): readonly MessageKind[] {
    return this.statusAllowed ? ['server_key_exchange', 'certificate_status'] : ['server_key_exchange'];
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = this.statusAllowed ? expect(msg, this.name, 'server_key_exchange', 'certificate_status') : expect(msg, this.name, 'server_key_exchange');
    if (m.type === 'certificate_status') {
      // RFC 6066 §8: CertificateStatus follows Certificate when status_request was acknowledged.
      cx.transcript.add(m.raw!);
      cx.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateStatus (OCSP)', message: m });
      return new ExpectServerKeyExchange(this.h, this.certs, false, m.response);
    }
    const ske = m;
    const key = await authenticatePeer(cx, this.h.p.auth, this.certs, this.ocsp);
    // RFC 5246 §7.4.2: the certificate's key must suit the negotiated key exchange.
    if (!keyFitsSuite(key, this.h.suite)) {
      throw new TlsError('CertificateUnsupported', { detail: `a ${key.type} certificate cannot authenticate ${this.h.suite.name}` });
    }
    const cfg = cx.cfg;
    const crypto = cfg.crypto;
    // RFC 8422 §5.4: the curve must be one the client listed.
    if (!(this.h.offer.ch.extensions.supportedGroups ?? []).includes(ske.group) || !crypto.groups.includes(ske.group)) {
      throw new TlsError('IllegalParameter', { detail: `ServerKeyExchange uses ${nameOf('group', ske.group)}, which we did not offer` });
    }
    verifyServerKeyExchange(cfg, key, this.h.offer.ch.random, this.h.serverRandom, ske);
    cx.transcript.add(ske.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `ServerKeyExchange ${nameOf('group', ske.group)} ${nameOf('scheme', ske.scheme)}`, message: ske });
    const share = crypto.keyShare(ske.group, cfg.random(crypto.keySharePrivateLength(ske.group)));
    // RFC 8422 §5.11: the server's point is validated here (invalid → illegal_parameter).
    const preMaster = share.agree(ske.publicKey);
    cx.info.group = codeName('group', ske.group);
    cx.info.signatureScheme = codeName('scheme', ske.scheme);
    return new ExpectServerHelloDone(this.h, share, preMaster, null);
  }
}

class ExpectServerHelloDone implements State {
  readonly name = 'ExpectServerHelloDone';
  readonly version = 'TLSv1.2';
  private readonly h: Hello12;
  private readonly share: KeyShare;
  private readonly preMaster: Uint8Array;
  private readonly request: CertificateRequest12 | null;
  constructor(h: Hello12, share: KeyShare, preMaster: Uint8Array, request: CertificateRequest12 | null) {
    this.h = h;
    this.share = share;
    this.preMaster = preMaster;
    this.request = request;
  }

  get expects(): readonly MessageKind[] {
    return this.request ? ['server_hello_done'] : ['server_hello_done', 'certificate_request12'];
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = this.request ? expect(msg, this.name, 'server_hello_done') : expect(msg, this.name, 'server_hello_done', 'certificate_request12');
    cx.transcript.add(m.raw!);
    if (m.type === 'certificate_request12') {
      cx.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateRequest', message: m });
      return new ExpectServerHelloDone(this.h, this.share, this.preMaster, m);
    }
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'ServerHelloDone', message: m });
    // RFC 5246 §7.4.6: our certificate if it fits the request, else an empty list.
    const signer = this.request ? clientSigner(cx, this.h.p, this.request) : null;
    if (this.request) cx.send({ type: 'certificate12', certificates: signer ? [...signer.id.chain] : [] });
    cx.send({ type: 'client_key_exchange', publicKey: this.share.publicKey });
    // RFC 7627 §3: the session hash covers the messages up to and including ClientKeyExchange.
    const session = deriveSession(cx, this.h.suite, this.preMaster, this.h.offer.ch.random, this.h.serverRandom, this.h.ems);
    if (signer) {
      // RFC 5246 §7.4.8: the signature covers every handshake message so far.
      const signature = await signCertificateVerify12(cx.cfg, signer.id.key, signer.scheme, cx.transcript.messages());
      cx.send({ type: 'certificate_verify', scheme: signer.scheme, signature });
      cx.info.clientSignatureScheme = codeName('scheme', signer.scheme);
    }
    const prot = protectors(cx, session);
    cx.sendChangeCipherSpec12();
    cx.installWriteProtector(prot.client);
    cx.send({ type: 'finished', verifyData: finished12(cx, session, 'client') });
    return new ExpectChangeCipherSpec(prot.server, new ExpectFinished(session));
  }
}

/** Our identity and scheme for a TLS 1.2 CertificateRequest, if one fits (RFC 5246 §7.4.4, §7.4.6). */
function clientSigner(cx: Context, p: ClientParams, req: CertificateRequest12): { id: CertifiedKey; scheme: number } | null {
  const id = p.identity;
  if (!id) return null;
  const t = id.key.type;
  // ClientCertificateType: rsa_sign(1), ecdsa_sign(64) (RFC 5246 §7.4.4, RFC 8422 §5.5; Ed25519 uses ecdsa_sign).
  const type = t === 'rsa' || t === 'rsa-pss' ? 1 : 64;
  if (!req.certificateTypes.includes(type)) return null;
  const scheme = cx.cfg.crypto.schemesForKey(id.key, 'TLSv1.2').find((s) => req.signatureAlgorithms.includes(s));
  return scheme === undefined ? null : { id, scheme };
}

class ExpectFinished implements State {
  readonly name = 'ExpectFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  readonly version = 'TLSv1.2';
  private readonly session: Session12;
  constructor(session: Session12) {
    this.session = session;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const fin = expect(msg, this.name, 'finished');
    checkFinished12(cx, this.session, 'server', fin.verifyData);
    cx.transcript.add(fin.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    finishHandshake12(cx, this.session);
    return new RenegotiationRefused('client');
  }
}

