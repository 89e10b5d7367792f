/**
 * TLS 1.3 client handshake (RFC 9846 §2, §4): ClientHello → ExpectServerHello
 * (with HelloRetryRequest) → ExpectEncryptedExtensions → ExpectCertificateOrRequest →
 * ExpectCertificate → ExpectCertificateVerify → ExpectFinished → ClientTraffic.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { CertificateRequest, ClientHello, HandshakeMessage, HelloRetryRequest } from '../wire/messages.js';
import type { PublicKeyInfo } from '../crypto/provider.js';
import { authenticatePeer, ocspFromCertificateStatus } from './peer-auth.js';
import { downgradeSentinel } from '../wire/hello.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import {
  applicationSecrets,
  checkCertificateVerify,
  checkFinished,
  computeFinished,
  finishHandshake,
  handshakeSecrets,
  resumptionSecret,
  signCertificateVerify,
  type HandshakeSecrets,
} from './tls13-common.js';
import { buildClientHello, checkAlpn, checkOnlyOffered, offeredVersions, type ClientParams, type Offer } from './client-common.js';
import { handleServerHello12 } from './client-tls12.js';

/** Starts a client handshake: sends ClientHello and returns the first state. */
export function startClient(cx: Context, p: ClientParams): State {
  const cfg = cx.cfg;
  const { offers13, offers12 } = offeredVersions(cx);
  const random = cfg.random(32);
  // RFC 9846 §E.4: middlebox compatibility mode uses a non-empty legacy_session_id.
  const sessionId = offers13 ? cfg.random(32) : new Uint8Array(0);
  let shares: KeyShare[] = [];
  if (offers13) {
    const groups = p.keyShareGroups.filter((g) => cfg.groups.includes(g));
    const shareGroups = groups.length > 0 ? groups : [cfg.groups[0]!];
    shares = shareGroups.map((g) => cfg.crypto.keyShare(g, cfg.random(cfg.crypto.keySharePrivateLength(g))));
  }
  const ch = buildClientHello(cx, p, random, sessionId, shares);
  cx.clientRandom = ch.random;
  cx.send(ch);
  const byGroup = new Map<number, KeyShare>();
  for (const e of ch.extensions.keyShare ?? []) {
    const s = shares.find((k) => k.group === e.group);
    if (s) byGroup.set(e.group, s);
  }
  const offer: Offer = { ch, shares: byGroup, offers13, offers12 };
  return new ExpectServerHello(p, offer, null);
}

class ExpectServerHello implements State {
  readonly name = 'ExpectServerHello';
  readonly expects: readonly MessageKind[] = ['server_hello'];
  private readonly p: ClientParams;
  private readonly offer: Offer;
  private readonly hrr: HelloRetryRequest | null;

  constructor(p: ClientParams, offer: Offer, hrr: HelloRetryRequest | null) {
    this.p = p;
    this.offer = offer;
    this.hrr = hrr;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const sh = expect(msg, this.name, 'server_hello');
    const ext = sh.extensions;
    // RFC 9846 §4.2.3 / §4.2.1: without supported_versions the server negotiated TLS 1.2 or below.
    if (ext.supportedVersions === undefined) {
      // RFC 9846 §4.2.4: after a HelloRetryRequest the server must stay with TLS 1.3.
      if (this.hrr) throw new TlsError('IllegalParameter', { detail: 'ServerHello after HelloRetryRequest negotiates a version below TLS 1.3' });
      if (sh.legacyVersion < ProtocolVersion.TLSv1_2) {
        throw new TlsError('ProtocolVersion', { detail: `server chose ${nameOf('version', sh.legacyVersion)}; puretls requires TLS 1.2 or later` });
      }
      if (sh.legacyVersion === ProtocolVersion.TLSv1_2 && this.offer.offers12) {
        // RFC 9846 §4.2.3: a client that offered TLS 1.3 refuses a TLS 1.2 ServerHello carrying the downgrade sentinel.
        const sentinel = downgradeSentinel(sh.random);
        if (this.offer.offers13 && sentinel !== null) {
          throw new TlsError('IllegalParameter', { detail: `ServerHello.random carries the ${sentinel} downgrade sentinel: a TLS 1.3 server was forced down` });
        }
        // RFC 9846 §4.2.4: "The server's extensions MUST contain "supported_versions"" in a
        // HelloRetryRequest, which exists in TLS 1.3 only.
        if (sh.isHrr) throw new TlsError('IllegalParameter', { detail: 'HelloRetryRequest without supported_versions' });
        if (sh.extensions.rules !== 'tls12') throw new TlsError('InternalError', { detail: 'ServerHello without supported_versions read by the TLS 1.3 rules' });
        return handleServerHello12(cx, this.p, this.offer, sh, sh.extensions);
      }
      if (sh.legacyVersion === ProtocolVersion.TLSv1_2) {
        throw new TlsError('ProtocolVersion', { detail: 'server chose TLSv1.2, but minVersion is TLSv1.3' });
      }
      throw new TlsError('IllegalParameter', { detail: `ServerHello legacy_version ${nameOf('version', sh.legacyVersion)} without supported_versions` });
    }
    // RFC 9846 §4.3.1: supported_versions in ServerHello only answers a client that sent it.
    if (!this.offer.offers13) {
      throw new TlsError('UnsupportedExtension', { detail: 'ServerHello selects a version through supported_versions, which we did not send' });
    }
    const version = ext.supportedVersions;
    // RFC 9846 §4.3.1: a version not offered, or prior to TLS 1.3 → illegal_parameter.
    if (version !== ProtocolVersion.TLSv1_3) {
      throw new TlsError('IllegalParameter', { detail: `server selected version ${nameOf('version', version)} which we did not offer` });
    }
    // RFC 9846 §4.2.3: legacy_version MUST be 0x0303; otherwise a "protocol_version" alert.
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError('ProtocolVersion', { detail: `ServerHello legacy_version 0x${sh.legacyVersion.toString(16)}` });
    }
    // RFC 9846 §4.2.3: legacy_session_id_echo must match what we sent.
    if (!cx.cfg.crypto.equal(sh.legacySessionIdEcho, this.offer.ch.legacySessionId)) {
      throw new TlsError('IllegalParameter', { detail: 'legacy_session_id_echo does not match' });
    }
    // RFC 9846 §4.2.3: a cipher suite we did not offer → illegal_parameter.
    const suite = this.offer.ch.cipherSuites.includes(sh.cipherSuite) ? tls13Suite(sh.cipherSuite) : undefined;
    if (!suite) {
      throw new TlsError('IllegalParameter', { detail: `server selected cipher suite ${nameOf('suite', sh.cipherSuite)} which we did not offer` });
    }
    // RFC 9846 §4.2.3: legacy_compression_method MUST be 0.
    if (sh.legacyCompressionMethod !== 0) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello compression method is not null' });
    }
    // RFC 9846 §4.3, §4.2.4: only extensions we offered (an HRR may add a cookie).
    checkOnlyOffered(ext, this.offer, sh.isHrr ? 'HelloRetryRequest' : 'ServerHello');
    if (sh.isHrr) return this.onHelloRetryRequest(cx, sh, suite);
    const shExt = sh.extensions;
    // supported_versions selects TLS 1.3 (checked above), so the block follows the TLS 1.3 rules.
    if (shExt.rules !== 'tls13') throw new TlsError('InternalError', { detail: 'TLS 1.3 ServerHello read by the TLS 1.2 rules' });

    // RFC 9846 §4.2.4: the ServerHello after an HRR must keep the HRR's suite and version.
    if (this.hrr && this.hrr.cipherSuite !== sh.cipherSuite) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello cipher suite differs from the HelloRetryRequest' });
    }
    if (shExt.preSharedKey !== undefined) {
      // We never offer a PSK yet; pre_shared_key was therefore rejected above as not offered.
      throw new TlsError('IllegalParameter', { detail: 'server selected a PSK we did not offer' });
    }
    const ks = shExt.keyShare;
    if (!ks) {
      // RFC 9846 §9.2: a (EC)DHE handshake without key_share → missing_extension.
      throw new TlsError('MissingExtension', { detail: 'ServerHello has no key_share' });
    }
    const share = this.offer.shares.get(ks.group);
    if (!share) {
      // RFC 9846 §4.3.8: the selected group MUST be one the client offered a share for.
      throw new TlsError('IllegalParameter', { detail: `ServerHello key_share uses ${nameOf('group', ks.group)}, for which we sent no share` });
    }
    if (this.hrr && this.hrr.extensions.keyShare !== undefined && this.hrr.extensions.keyShare !== ks.group) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello key_share group differs from the HelloRetryRequest' });
    }
    const shared = share.agree(ks.keyExchange);
    cx.transcript.setHash(suite.hash);
    cx.transcript.add(sh.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `ServerHello ${suite.name} ${nameOf('group', ks.group)}`, message: sh });
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
    cx.info.group = codeName('group', ks.group);
    return new ExpectEncryptedExtensions(this.p, this.offer, suite, secrets, this.offer.ch.legacySessionId.length > 0);
  }

  private onHelloRetryRequest(cx: Context, hrr: HelloRetryRequest, suite: Tls13Suite): State {
    // RFC 9846 §4.2.4: a second HelloRetryRequest → unexpected_message.
    if (this.hrr) throw new TlsError('UnexpectedMessage', { detail: 'second HelloRetryRequest' });
    const ext = hrr.extensions;
    const group = ext.keyShare;
    if (group === undefined && ext.cookie === undefined) {
      // RFC 9846 §4.2.4: an HRR that would not change the ClientHello → illegal_parameter.
      throw new TlsError('IllegalParameter', { detail: 'HelloRetryRequest changes nothing' });
    }
    let shares: KeyShare[] = [...this.offer.shares.values()];
    if (group !== undefined) {
      // RFC 9846 §4.3.8: the group must be in supported_groups and must not already have had a share.
      if (!(this.offer.ch.extensions.supportedGroups ?? []).includes(group)) {
        throw new TlsError('IllegalParameter', { detail: `HelloRetryRequest selects ${nameOf('group', group)}, which we did not offer` });
      }
      if (this.offer.shares.has(group)) {
        throw new TlsError('IllegalParameter', { detail: `HelloRetryRequest selects ${nameOf('group', group)}, for which we already sent a share` });
      }
      const crypto = cx.cfg.crypto;
      shares = [crypto.keyShare(group, cx.cfg.random(crypto.keySharePrivateLength(group)))];
    }
    cx.transcript.setHash(suite.hash);
    // RFC 9846 §4.1: ClientHello1 is replaced by message_hash(Hash(ClientHello1)).
    cx.transcript.replaceWithMessageHash();
    cx.transcript.add(hrr.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `HelloRetryRequest ${group !== undefined ? nameOf('group', group) : ''}`, message: hrr });
    cx.info.helloRetryRequest = true;
    // RFC 9846 §E.4: in compatibility mode the client sends CCS before its second flight.
    if (this.offer.ch.legacySessionId.length > 0) cx.sendChangeCipherSpec();
    const prev = this.offer.ch;
    // The same ClientHello (RFC 9846 §4.2.2) with the new share, the cookie and no early_data;
    // the extensions keep their order (the cookie goes where the default order puts it, or
    // after those `order` lists, and pre_shared_key stays last).
    let ch2: ClientHello = {
      ...prev,
      raw: undefined,
      extensions: {
        ...prev.extensions,
        keyShare: shares.map((s) => ({ group: s.group, keyExchange: s.publicKey })),
        cookie: ext.cookie,
        earlyData: undefined,
      },
    };
    // Test hook (RFC 8448 replay): the second ClientHello is shaped like the first.
    if (this.p.clientHelloHook) ch2 = this.p.clientHelloHook(ch2);
    cx.send(ch2);
    const offer: Offer = { ...this.offer, ch: ch2, shares: new Map(shares.map((s) => [s.group, s])) };
    return new ExpectServerHello(this.p, offer, hrr);
  }
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
    checkCertificateVerify(cx, this.leafKey, cv.scheme, cv.signature, cx.transcript.current(), 'server');
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
  const signature = await signCertificateVerify(cx, id.key, scheme, cx.transcript.current(), 'client');
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
