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
import { ExtensionType, KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { CertificateRequest, ClientHello, Extensions, HandshakeMessage, ServerHello } from '../wire/messages.js';
import { noExtensions } from '../wire/messages.js';
import type { CertificateVerifier, VerificationReport } from '../verify/verifier.js';
import type { CertificateErrorCode } from '../verify/verifier.js';
import type { Context, State } from './state.js';
import { codeName, expect } from './state.js';
import {
  applicationSecrets,
  checkCertificateVerify,
  checkFinished,
  computeFinished,
  finishHandshake,
  handshakeSecrets,
  resumptionSecret,
  type HandshakeSecrets,
} from './tls13-common.js';
import { principalStatus } from './cert-status.js';

/** Client-only settings the handshake needs (resolved from ClientOptions). */
export interface ClientParams {
  readonly serverName: string | undefined;
  readonly sendSni: boolean;
  readonly keyShareGroups: readonly number[];
  readonly verifier: CertificateVerifier;
  readonly ignorable: readonly CertificateErrorCode[];
  readonly clientHelloHook: ((ch: ClientHello) => ClientHello) | undefined;
}

const LEGACY_VERSION = ProtocolVersion.TLSv1_2;

/** What we offered, kept to check the server's answers. */
interface Offer {
  readonly ch: ClientHello;
  readonly shares: Map<number, KeyShare>;
  /** Extension types we sent (RFC 9846 §4.2: the server may only answer these). */
  readonly sentExtensions: Set<number>;
}

function buildClientHello(cx: Context, p: ClientParams, random: Uint8Array, sessionId: Uint8Array, shares: KeyShare[], cookie?: Uint8Array): ClientHello {
  const cfg = cx.cfg;
  const ext: Extensions = noExtensions();
  if (p.sendSni && p.serverName) ext.serverName = [p.serverName];
  ext.supportedGroups = [...cfg.groups];
  ext.signatureAlgorithms = [...cfg.signatureSchemes];
  ext.supportedVersions = [ProtocolVersion.TLSv1_3];
  ext.keyShareClient = shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }));
  if (cfg.alpn.length > 0) ext.alpn = [...cfg.alpn];
  if (cookie) ext.cookie = cookie;
  const ch: ClientHello = {
    type: 'client_hello',
    legacyVersion: LEGACY_VERSION,
    random,
    legacySessionId: sessionId,
    cipherSuites: cfg.suites.filter((s) => tls13Suite(s) !== undefined),
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: ext,
  };
  return p.clientHelloHook ? p.clientHelloHook(ch) : ch;
}

function sentTypes(ch: ClientHello): Set<number> {
  const s = new Set<number>(ch.extensions.order);
  const e = ch.extensions;
  if (e.serverName) s.add(ExtensionType.server_name);
  if (e.supportedGroups) s.add(ExtensionType.supported_groups);
  if (e.signatureAlgorithms) s.add(ExtensionType.signature_algorithms);
  if (e.signatureAlgorithmsCert) s.add(ExtensionType.signature_algorithms_cert);
  if (e.supportedVersions) s.add(ExtensionType.supported_versions);
  if (e.keyShareClient) s.add(ExtensionType.key_share);
  if (e.alpn) s.add(ExtensionType.application_layer_protocol_negotiation);
  if (e.cookie) s.add(ExtensionType.cookie);
  if (e.pskKeyExchangeModes) s.add(ExtensionType.psk_key_exchange_modes);
  if (e.preSharedKeyClient) s.add(ExtensionType.pre_shared_key);
  if (e.earlyData) s.add(ExtensionType.early_data);
  for (const u of e.unknown) s.add(u.type);
  return s;
}

/** Types present in a received extension block. */
function receivedTypes(e: Extensions): number[] {
  return [...e.order];
}

/** RFC 9846 §4.2: an extension the client did not offer → unsupported_extension. */
function checkOnlyOffered(e: Extensions, offer: Offer, where: string, exempt: readonly number[] = []): void {
  for (const t of receivedTypes(e)) {
    if (!offer.sentExtensions.has(t) && !exempt.includes(t)) {
      throw new TlsError('UnsupportedExtension', { detail: `${where} contains ${nameOf('extension', t)}, which we did not offer` });
    }
  }
}

/** Starts a client handshake: sends ClientHello and returns the first state. */
export function startClient(cx: Context, p: ClientParams): State {
  const cfg = cx.cfg;
  if (cfg.maxVersion < ProtocolVersion.TLSv1_3) {
    throw new TlsError('InvalidConfig', { detail: 'TLS 1.2 is not implemented yet: maxVersion must be TLSv1.3' });
  }
  if (!cfg.suites.some((s) => tls13Suite(s) !== undefined)) {
    throw new TlsError('InvalidConfig', { detail: 'no TLS 1.3 cipher suite configured' });
  }
  const random = cfg.random(32);
  // RFC 9846 §D.4: middlebox compatibility mode uses a non-empty legacy_session_id.
  const sessionId = cfg.random(32);
  const groups = p.keyShareGroups.filter((g) => cfg.groups.includes(g));
  const shareGroups = groups.length > 0 ? groups : [cfg.groups[0]!];
  const shares = shareGroups.map((g) => cfg.crypto.keyShare(g, cfg.random(cfg.crypto.keySharePrivateLength(g))));
  const ch = buildClientHello(cx, p, random, sessionId, shares);
  cx.clientRandom = ch.random;
  cx.send(ch);
  const offer: Offer = { ch, shares: new Map(ch.extensions.keyShareClient?.map((e) => [e.group, shares.find((s) => s.group === e.group)!]).filter(([, s]) => s !== undefined) as [number, KeyShare][]), sentExtensions: sentTypes(ch) };
  return new ExpectServerHello(p, offer, null);
}

class ExpectServerHello implements State {
  readonly name = 'ExpectServerHello';
  private readonly p: ClientParams;
  private readonly offer: Offer;
  private readonly hrr: ServerHello | null;

  constructor(p: ClientParams, offer: Offer, hrr: ServerHello | null) {
    this.p = p;
    this.offer = offer;
    this.hrr = hrr;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const sh = expect(msg, this.name, 'server_hello');
    const ext = sh.extensions;
    // RFC 9846 §4.1.3 / §4.2.1: without supported_versions the server negotiated TLS 1.2 or below.
    if (ext.supportedVersions === undefined) {
      if (sh.legacyVersion < ProtocolVersion.TLSv1_2) {
        throw new TlsError('ProtocolVersion', { detail: `server chose ${nameOf('version', sh.legacyVersion)}; puretls requires TLS 1.2 or later` });
      }
      throw new TlsError('ProtocolVersion', { detail: `server chose ${nameOf('version', sh.legacyVersion)}, but we offered only TLSv1.3` });
    }
    const version = ext.supportedVersions[0];
    // RFC 9846 §4.2.1: a version not offered, or prior to TLS 1.3 → illegal_parameter.
    if (ext.supportedVersions.length !== 1 || version !== ProtocolVersion.TLSv1_3) {
      throw new TlsError('IllegalParameter', { detail: `server selected version ${nameOf('version', version ?? 0)} which we did not offer` });
    }
    // RFC 9846 §4.1.3: legacy_version MUST be 0x0303; otherwise a "protocol_version" alert.
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError('ProtocolVersion', { detail: `ServerHello legacy_version 0x${sh.legacyVersion.toString(16)}` });
    }
    // RFC 9846 §4.1.3: legacy_session_id_echo must match what we sent.
    if (!cx.cfg.crypto.equal(sh.legacySessionIdEcho, this.offer.ch.legacySessionId)) {
      throw new TlsError('IllegalParameter', { detail: 'legacy_session_id_echo does not match' });
    }
    // RFC 9846 §4.1.3: a cipher suite we did not offer → illegal_parameter.
    const suite = this.offer.ch.cipherSuites.includes(sh.cipherSuite) ? tls13Suite(sh.cipherSuite) : undefined;
    if (!suite) {
      throw new TlsError('IllegalParameter', { detail: `server selected cipher suite ${nameOf('suite', sh.cipherSuite)} which we did not offer` });
    }
    // RFC 9846 §4.1.3: legacy_compression_method MUST be 0.
    if (sh.legacyCompressionMethod !== 0) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello compression method is not null' });
    }
    // RFC 9846 §4.1.4 / §4.2: an HRR may carry a cookie the client never offered.
    checkOnlyOffered(ext, this.offer, sh.isHrr ? 'HelloRetryRequest' : 'ServerHello', sh.isHrr ? [ExtensionType.cookie] : []);
    if (sh.isHrr) return this.onHelloRetryRequest(cx, sh, suite);

    // RFC 9846 §4.1.4: the ServerHello after an HRR must keep the HRR's suite and version.
    if (this.hrr && this.hrr.cipherSuite !== sh.cipherSuite) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello cipher suite differs from the HelloRetryRequest' });
    }
    if (ext.preSharedKeyServer !== undefined) {
      // We never offer a PSK yet; pre_shared_key was therefore rejected above as not offered.
      throw new TlsError('IllegalParameter', { detail: 'server selected a PSK we did not offer' });
    }
    const ks = ext.keyShareServer;
    if (!ks) {
      // RFC 9846 §9.2: a (EC)DHE handshake without key_share → missing_extension.
      throw new TlsError('MissingExtension', { detail: 'ServerHello has no key_share' });
    }
    const share = this.offer.shares.get(ks.group);
    if (!share) {
      // RFC 9846 §4.2.8: the selected group MUST be one the client offered a share for.
      throw new TlsError('IllegalParameter', { detail: `ServerHello key_share uses ${nameOf('group', ks.group)}, for which we sent no share` });
    }
    if (this.hrr && this.hrr.extensions.keyShareHrr !== undefined && this.hrr.extensions.keyShareHrr !== ks.group) {
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
    cx.info.version = 'TLSv1.3';
    cx.info.cipherSuite = suite.name;
    cx.info.group = codeName('group', ks.group);
    return new ExpectEncryptedExtensions(this.p, this.offer, suite, secrets, this.offer.ch.legacySessionId.length > 0);
  }

  private onHelloRetryRequest(cx: Context, hrr: ServerHello, suite: Tls13Suite): State {
    // RFC 9846 §4.1.4: a second HelloRetryRequest → unexpected_message.
    if (this.hrr) throw new TlsError('UnexpectedMessage', { detail: 'second HelloRetryRequest' });
    const ext = hrr.extensions;
    const group = ext.keyShareHrr;
    if (group === undefined && ext.cookie === undefined) {
      // RFC 9846 §4.1.4: an HRR that would not change the ClientHello → illegal_parameter.
      throw new TlsError('IllegalParameter', { detail: 'HelloRetryRequest changes nothing' });
    }
    let shares: KeyShare[] = [...this.offer.shares.values()];
    if (group !== undefined) {
      // RFC 9846 §4.2.8: the group must be in supported_groups and must not already have had a share.
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
    // RFC 9846 §4.4.1: ClientHello1 is replaced by message_hash(Hash(ClientHello1)).
    cx.transcript.replaceWithMessageHash();
    cx.transcript.add(hrr.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `HelloRetryRequest ${group !== undefined ? nameOf('group', group) : ''}`, message: hrr });
    cx.info.helloRetryRequest = true;
    // RFC 9846 §D.4: in compatibility mode the client sends CCS before its second flight.
    if (this.offer.ch.legacySessionId.length > 0) cx.sendChangeCipherSpec();
    const prev = this.offer.ch;
    let ch2: ClientHello = {
      ...prev,
      raw: undefined,
      extensions: {
        ...prev.extensions,
        keyShareClient: shares.map((s) => ({ group: s.group, keyExchange: s.publicKey })),
        cookie: ext.cookie,
        earlyData: undefined,
        order: ext.cookie !== undefined && !prev.extensions.order.includes(ExtensionType.cookie) && prev.extensions.order.length > 0
          ? insertBeforePsk(prev.extensions.order, ExtensionType.cookie)
          : prev.extensions.order.filter((t) => t !== ExtensionType.early_data),
      },
    };
    // Test hook (RFC 8448 replay): the second ClientHello is shaped like the first.
    if (this.p.clientHelloHook) ch2 = this.p.clientHelloHook(ch2);
    cx.send(ch2);
    const offer: Offer = { ch: ch2, shares: new Map(shares.map((s) => [s.group, s])), sentExtensions: this.offer.sentExtensions };
    return new ExpectServerHello(this.p, offer, hrr);
  }
}

function insertBeforePsk(order: number[], t: number): number[] {
  const i = order.indexOf(ExtensionType.pre_shared_key);
  const out = [...order];
  if (i < 0) out.push(t);
  else out.splice(i, 0, t);
  return out;
}

class ExpectEncryptedExtensions implements State {
  readonly name = 'ExpectEncryptedExtensions';
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
    if (alpn !== undefined) {
      // RFC 7301 §3.1: exactly one protocol, which the client offered.
      if (alpn.length !== 1 || !cx.cfg.alpn.includes(alpn[0]!)) {
        throw new TlsError('IllegalParameter', { detail: `server selected ALPN protocol ${JSON.stringify(alpn)} that we did not offer` });
      }
      cx.info.alpn = alpn[0]!;
    }
    if (this.p.serverName) cx.info.serverName = this.p.serverName;
    cx.transcript.add(ee.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `EncryptedExtensions${alpn ? ` alpn=${alpn[0]}` : ''}`, message: ee });
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

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = this.allowRequest ? expect(msg, this.name, 'certificate', 'certificate_request') : expect(msg, this.name, 'certificate');
    if (m.type === 'certificate_request') {
      // RFC 9846 §4.3.2: the context is empty during the main handshake.
      if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'CertificateRequest context must be empty in the handshake' });
      // RFC 9846 §4.3.2: signature_algorithms MUST be present.
      if (m.extensions.signatureAlgorithms === undefined) {
        throw new TlsError('MissingExtension', { detail: 'CertificateRequest without signature_algorithms' });
      }
      cx.transcript.add(m.raw!);
      cx.trace({ direction: 'received', kind: 'handshake', summary: 'CertificateRequest', message: m });
      return new ExpectCertificate(this.p, this.offer, this.suite, this.secrets, this.compat, m, false);
    }
    // RFC 9846 §4.4.2: for server authentication the context is empty.
    if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'server Certificate has a non-empty context' });
    // RFC 9846 §4.4.2.4: an empty server Certificate → decode_error.
    if (m.entries.length === 0) throw new TlsError('DecodeError', { detail: 'server sent an empty Certificate' });
    for (const e of m.entries) checkOnlyOffered(e.extensions, this.offer, 'CertificateEntry');
    cx.transcript.add(m.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.entries.length} entries)`, message: m });
    const certs = m.entries.map((e) => e.certData);
    cx.info.peerCertificates = certs;
    const report = await this.p.verifier.verify({
      certificates: certs,
      serverName: this.p.serverName,
      usage: 'serverAuth',
      time: new Date(cx.cfg.now()),
    });
    applyReport(cx, report, this.p.ignorable);
    return new ExpectCertificateVerify(this.p, this.suite, this.secrets, this.compat, this.request, report);
  }
}

/** Records the verifier's findings and fails unless every error is ignored (RFC 9846 §4.4.2.4). */
export function applyReport(cx: Context, report: VerificationReport, ignorable: readonly CertificateErrorCode[]): void {
  cx.info.certificateErrors = [...report.errors];
  cx.info.certificateErrorSeverity = report.severity;
  const unignored = report.errors.filter((e) => !ignorable.includes(e.code));
  if (unignored.length > 0) {
    const status = principalStatus(unignored);
    throw new TlsError(status, {
      detail: unignored.map((e) => `${e.code}${e.index >= 0 ? `[${e.index}]` : ''}: ${e.detail}`).join('; '),
      certificateErrors: report.errors,
    });
  }
}

class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify';
  private readonly p: ClientParams;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly compat: boolean;
  private readonly request: CertificateRequest | null;
  private readonly report: VerificationReport;
  constructor(p: ClientParams, suite: Tls13Suite, secrets: HandshakeSecrets, compat: boolean, request: CertificateRequest | null, report: VerificationReport) {
    this.p = p;
    this.suite = suite;
    this.secrets = secrets;
    this.compat = compat;
    this.request = request;
    this.report = report;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const cv = expect(msg, this.name, 'certificate_verify');
    checkCertificateVerify(cx, this.report.leafPublicKey, cv.scheme, cv.signature, cx.transcript.current(), 'server');
    cx.info.signatureScheme = codeName('scheme', cv.scheme);
    cx.transcript.add(cv.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
    return new ExpectFinished(this.p, this.suite, this.secrets, this.compat, this.request);
  }
}

class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
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

  handle(cx: Context, msg: HandshakeMessage): State {
    const fin = expect(msg, this.name, 'finished');
    const crypto = cx.cfg.crypto;
    checkFinished(crypto, this.suite, this.secrets.serverHandshake, cx.transcript.current(), fin.verifyData);
    cx.transcript.add(fin.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    const app = applicationSecrets(this.secrets, cx.transcript.current());
    // RFC 9846 §5.1: the server's Finished must end its record (key change follows).
    cx.setReadSecret(this.suite, app.serverApplication);
    // RFC 9846 §D.4: in compatibility mode, a CCS precedes our second flight (sent once only).
    if (this.compat) cx.sendChangeCipherSpec();
    // The client handshake write key was installed after ServerHello (do not reinstall it:
    // that would restart its sequence number after an alert or close_notify).
    if (this.request) {
      // Client certificates are a later issue: answer with an empty Certificate (RFC 9846 §4.4.2).
      cx.send({ type: 'certificate', context: this.request.context, entries: [] });
    }
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

/** Post-handshake client: NewSessionTicket and KeyUpdate (RFC 9846 §4.6). */
export class ClientTraffic implements State {
  readonly name = 'ClientTraffic';
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
