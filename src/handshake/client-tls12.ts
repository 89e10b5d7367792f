/**
 * TLS 1.2 client handshake (RFC 5246 §7.3, ECDHE per RFC 8422), full handshakes only:
 * ServerHello → ExpectCertificate → ExpectServerKeyExchange → ExpectServerHelloDone
 * (→ our Certificate?, ClientKeyExchange, ChangeCipherSpec, Finished) →
 * ExpectChangeCipherSpec → ExpectFinished → Client12Traffic.
 *
 * @module
 */
import type { KeyShare, PublicKeyInfo } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { nameOf } from '../wire/codes.js';
import type { CertificateRequest12, HandshakeMessage, ServerHello, ServerHello12Extensions } from '../wire/messages.js';
import { serverKeyExchangeSignedContent } from '../wire/tls12.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import { checkAlpn, checkOnlyOffered, type ClientParams, type Offer } from './client-common.js';
import { authenticatePeer } from './peer-auth.js';
import type { CertifiedKey } from '../config.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, checkFinished12, deriveSession, finishHandshake12, finished12, protectors, type Session12 } from './tls12-common.js';

/** Key types each TLS 1.2 suite family authenticates with (RFC 8422 §5.3 allows Ed25519 with ECDHE_ECDSA). */
function keyFitsSuite(key: PublicKeyInfo, suite: Tls12Suite): boolean {
  return suite.auth === 'ecdsa' ? key.type === 'ec-p256' || key.type === 'ec-p384' || key.type === 'ed25519' : key.type === 'rsa' || key.type === 'rsa-pss';
}

/**
 * Handles a ServerHello that negotiated TLS 1.2 (no supported_versions; legacy_version
 * 0x0303); `ext` is its extension block (`sh.extensions`, which is a TLS 1.2 one).
 */
export function handleServerHello12(cx: Context, p: ClientParams, offer: Offer, sh: ServerHello, ext: ServerHello12Extensions): State {
  const cfg = cx.cfg;
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
  if (!ext.extendedMasterSecret && cfg.requireExtendedMasterSecret) {
    throw new TlsError('HandshakeFailure', { detail: 'server does not support the extended master secret (RFC 7627), which is required' });
  }
  // RFC 8422 §5.2: the server's point formats must include uncompressed.
  if (ext.ecPointFormats !== undefined && !ext.ecPointFormats.includes(0)) {
    throw new TlsError('IllegalParameter', { detail: 'server does not accept uncompressed points' });
  }
  checkAlpn(cx, ext.alpn);
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
    // RFC 5246 §7.4.1.4.1: the signature algorithm must be one the client offered.
    if (!cfg.signatureSchemes.includes(ske.scheme)) {
      throw new TlsError('IllegalParameter', { detail: `ServerKeyExchange signed with ${nameOf('scheme', ske.scheme)}, which we did not offer` });
    }
    if (!crypto.schemesForKey(key, 'TLSv1.2').includes(ske.scheme)) {
      throw new TlsError('IllegalParameter', { detail: `ServerKeyExchange scheme ${nameOf('scheme', ske.scheme)} does not fit the certificate key (${key.type})` });
    }
    const content = serverKeyExchangeSignedContent(this.h.offer.ch.random, this.h.serverRandom, ske);
    // RFC 5246 §7.2.2: a signature that does not verify → decrypt_error.
    if (!crypto.verify(key, ske.scheme, content, ske.signature, { tls12: true })) {
      throw new TlsError('DecryptError', { detail: 'ServerKeyExchange signature is invalid' });
    }
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
      const signature = await cx.cfg.crypto.sign(signer.id.key, signer.scheme, cx.transcript.messages(), cx.cfg.random, { tls12: true });
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

