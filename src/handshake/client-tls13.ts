/**
 * TLS 1.3 client handshake (RFC 9846 §2, §4), after `client-hello.ts` has read a TLS 1.3
 * ServerHello: ExpectEncryptedExtensions → ExpectCertificateOrRequest → ExpectCertificate
 * → ExpectCertificateVerify → ExpectFinished → ClientTraffic.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { KeyUpdateRequest, nameOf } from '../wire/codes.js';
import type { CertificateRequest, HandshakeMessage, ServerHello } from '../wire/messages.js';
import type { PublicKeyInfo } from '../crypto/provider.js';
import { authenticatePeer, ocspFromCertificateStatus } from './peer-auth.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import {
  applicationSecrets,
  checkFinished,
  computeFinished,
  finishHandshake,
  handshakeSecrets,
  resumptionSecret,
  type HandshakeSecrets,
} from './tls13-common.js';
import { checkAlpn, checkOnlyOffered, type ClientParams, type Offer } from './client-common.js';
import { signCertificateVerify13, verifyCertificateVerify13 } from './signatures.js';

/**
 * The server chose TLS 1.3 and its ServerHello passed the checks of `client-hello.ts`:
 * agree on the shared secret, derive and install the handshake keys (RFC 9846 §7.1), and
 * wait for EncryptedExtensions.
 */
export function serverHello13(cx: Context, p: ClientParams, offer: Offer, sh: ServerHello, suite: Tls13Suite, share: KeyShare, peerShare: Uint8Array): State {
  const group = share.group;
  const shared = share.agree(peerShare);
  cx.transcript.setHash(suite.hash);
  cx.transcript.add(sh.raw!);
  cx.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello ${suite.name} ${nameOf('group', group)}`, message: sh });
  const secrets = handshakeSecrets(cx.cfg.crypto, suite, shared, cx.transcript.current());
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.clientHandshake);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.serverHandshake);
  cx.setReadSecret(suite, secrets.serverHandshake);
  // Install the client handshake write key now (as Go, BoringSSL and rustls do), so that an
  // alert sent before our Finished is protected as the server expects (RFC 9846 §6: alerts
  // are "encrypted as specified by the current connection state"). ExpectFinished keeps it.
  cx.setWriteSecret(suite, secrets.clientHandshake);
  cx.versionNegotiated('TLSv1.3');
  cx.info.cipherSuite = suite.name;
  cx.info.group = codeName('group', group);
  return new ExpectEncryptedExtensions(p, offer, suite, secrets, offer.ch.legacySessionId.length > 0);
}

class ExpectEncryptedExtensions implements State {
  readonly name = 'ExpectEncryptedExtensions';
  readonly expects: readonly MessageKind[] = ['encrypted_extensions'];
  private readonly p: ClientParams;
  private readonly offer: Offer;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly compat: boolean;
  constructor(p: ClientParams, offer: Offer, suite: Tls13Suite, secrets: HandshakeSecrets, compat: boolean) {
    this.p = p;
    this.offer = offer;
    this.suite = suite;
    this.secrets = secrets;
    this.compat = compat;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const ee = expect(msg, this.name, 'encrypted_extensions');
    checkOnlyOffered(ee.extensions, this.offer, 'EncryptedExtensions');
    const alpn = ee.extensions.alpn;
    checkAlpn(cx, alpn);
    if (this.p.serverName) cx.info.serverName = this.p.serverName;
    cx.transcript.add(ee.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `EncryptedExtensions${alpn !== undefined ? ` alpn=${alpn}` : ''}`, message: ee });
    return new ExpectCertificate(this.p, this.offer, this.suite, this.secrets, this.compat, null, true);
  }
}

class ExpectCertificate implements State {
  readonly name: string;
  private readonly p: ClientParams;
  private readonly offer: Offer;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly compat: boolean;
  private readonly request: CertificateRequest | null;
  private readonly allowRequest: boolean;
  constructor(p: ClientParams, offer: Offer, suite: Tls13Suite, secrets: HandshakeSecrets, compat: boolean, request: CertificateRequest | null, allowRequest: boolean) {
    this.p = p;
    this.offer = offer;
    this.suite = suite;
    this.secrets = secrets;
    this.compat = compat;
    this.request = request;
    this.allowRequest = allowRequest;
    this.name = allowRequest ? 'ExpectCertificateOrCertificateRequest' : 'ExpectCertificate';
  }

  get expects(): readonly MessageKind[] {
    return this.allowRequest ? ['certificate', 'certificate_request'] : ['certificate'];
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = this.allowRequest ? expect(msg, this.name, 'certificate', 'certificate_request') : expect(msg, this.name, 'certificate');
    if (m.type === 'certificate_request') {
      // RFC 9846 §4.4.2: the context is empty during the main handshake.
      if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'CertificateRequest context must be empty in the handshake' });
      // RFC 9846 §4.4.2: signature_algorithms MUST be present.
      if (m.extensions.signatureAlgorithms === undefined) {
        throw new TlsError('MissingExtension', { detail: 'CertificateRequest without signature_algorithms' });
      }
      cx.transcript.add(m.raw!);
      cx.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateRequest', message: m });
      return new ExpectCertificate(this.p, this.offer, this.suite, this.secrets, this.compat, m, false);
    }
    // RFC 9846 §4.5.1: for server authentication the context is empty.
    if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'server Certificate has a non-empty context' });
    // RFC 9846 §4.5.1.3: an empty server Certificate → decode_error.
    if (m.entries.length === 0) throw new TlsError('DecodeError', { detail: 'server sent an empty Certificate' });
    for (const e of m.entries) checkOnlyOffered(e.extensions, this.offer, 'CertificateEntry');
    cx.transcript.add(m.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.entries.length} entries)`, message: m });
    const certs = m.entries.map((e) => e.certData);
    cx.info.peerCertificates = certs;
    // RFC 9846 §4.5.1.1: a stapled OCSP response rides in the leaf's status_request extension.
    const status = m.entries[0]!.extensions.statusRequest;
    const ocsp = status !== undefined ? ocspFromCertificateStatus(status) : null;
    const leafKey = await authenticatePeer(cx, this.p.auth, certs, ocsp);
    return new ExpectCertificateVerify(this.p, this.suite, this.secrets, this.compat, this.request, leafKey);
  }
}

class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  private readonly p: ClientParams;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly compat: boolean;
  private readonly request: CertificateRequest | null;
  private readonly leafKey: PublicKeyInfo;
  constructor(p: ClientParams, suite: Tls13Suite, secrets: HandshakeSecrets, compat: boolean, request: CertificateRequest | null, leafKey: PublicKeyInfo) {
    this.p = p;
    this.suite = suite;
    this.secrets = secrets;
    this.compat = compat;
    this.request = request;
    this.leafKey = leafKey;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const cv = expect(msg, this.name, 'certificate_verify');
    verifyCertificateVerify13(cx.cfg, this.leafKey, cv.scheme, cv.signature, cx.transcript.current(), 'server');
    cx.info.signatureScheme = codeName('scheme', cv.scheme);
    cx.transcript.add(cv.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
    return new ExpectFinished(this.p, this.suite, this.secrets, this.compat, this.request);
  }
}

class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly p: ClientParams;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly compat: boolean;
  private readonly request: CertificateRequest | null;
  constructor(p: ClientParams, suite: Tls13Suite, secrets: HandshakeSecrets, compat: boolean, request: CertificateRequest | null) {
    this.p = p;
    this.suite = suite;
    this.secrets = secrets;
    this.compat = compat;
    this.request = request;
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const fin = expect(msg, this.name, 'finished');
    const crypto = cx.cfg.crypto;
    checkFinished(crypto, this.suite, this.secrets.serverHandshake, cx.transcript.current(), fin.verifyData);
    cx.transcript.add(fin.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    const app = applicationSecrets(this.secrets, cx.transcript.current());
    // RFC 9846 §5.1: the server's Finished must end its record (key change follows).
    cx.setReadSecret(this.suite, app.serverApplication);
    // RFC 9846 §E.4: in compatibility mode, a CCS precedes our second flight (sent once only).
    if (this.compat) cx.sendChangeCipherSpec();
    // The client handshake write key was installed after ServerHello (do not reinstall it:
    // that would restart its sequence number after an alert or close_notify).
    if (this.request) await sendClientCertificate(cx, this.p, this.request);
    const verifyData = computeFinished(crypto, this.suite, this.secrets.clientHandshake, cx.transcript.current());
    cx.send({ type: 'finished', verifyData });
    cx.setWriteSecret(this.suite, app.clientApplication);
    const resumption = resumptionSecret(app, cx.transcript.current());
    finishHandshake(cx, {
      suite: this.suite,
      clientApplication: app.clientApplication,
      serverApplication: app.serverApplication,
      exporter: app.exporter,
      resumption,
    });
    return new ClientTraffic();
  }
}

/**
 * Answers a CertificateRequest (RFC 9846 §4.5.1, §4.5.2): our chain and a CertificateVerify
 * when our key can sign with a scheme the server listed, else an empty Certificate.
 */
async function sendClientCertificate(cx: Context, p: ClientParams, request: CertificateRequest): Promise<void> {
  const id = p.identity;
  const wanted = request.extensions.signatureAlgorithms ?? [];
  const scheme = id ? cx.cfg.crypto.schemesForKey(id.key).find((s) => wanted.includes(s)) : undefined;
  if (!id || scheme === undefined) {
    cx.send({ type: 'certificate', context: request.context, entries: [] });
    return;
  }
  cx.send({ type: 'certificate', context: request.context, entries: id.chain.map((der) => ({ certData: der, extensions: {} })) });
  const signature = await signCertificateVerify13(cx.cfg, id.key, scheme, cx.transcript.current(), 'client');
  cx.send({ type: 'certificate_verify', scheme, signature });
  cx.info.clientSignatureScheme = codeName('scheme', scheme);
}

/** Post-handshake client: NewSessionTicket and KeyUpdate (RFC 9846 §4.7). */
export class ClientTraffic implements State {
  readonly name = 'ClientTraffic';
  readonly expects: readonly MessageKind[] = ['new_session_ticket', 'key_update'];
  handle(cx: Context, msg: HandshakeMessage): State {
    const m = expect(msg, this.name, 'new_session_ticket', 'key_update');
    if (m.type === 'new_session_ticket') {
      cx.trace({ direction: 'received', kind: 'handshake', summary: `NewSessionTicket lifetime=${m.lifetime}`, message: m });
      cx.storeTicket({ lifetime: m.lifetime, ageAdd: m.ageAdd, nonce: m.nonce, ticket: m.ticket });
      return this;
    }
    cx.trace({ direction: 'received', kind: 'handshake', summary: `KeyUpdate ${m.requestUpdate === KeyUpdateRequest.update_requested ? 'requested' : 'not requested'}`, message: m });
    cx.peerKeyUpdate(m.requestUpdate === KeyUpdateRequest.update_requested);
    return this;
  }
}
