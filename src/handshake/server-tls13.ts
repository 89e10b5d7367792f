/**
 * TLS 1.3 server handshake (RFC 9846 §2, §4): ExpectClientHello → (HelloRetryRequest →
 * ExpectClientHello2) → ServerHello, EncryptedExtensions, Certificate,
 * CertificateVerify, Finished → ExpectFinished → ServerTraffic.
 *
 * @module
 */
import type { CertifiedKey } from '../config.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { ExtensionType, KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import { HRR_RANDOM, clientHelloExtensionBlocks } from '../wire/hello.js';
import type { CertificateEntry, ClientHello, EeExtensions, HandshakeMessage, HelloRetryRequest, HelloRetryRequestExtensions, ServerHello } from '../wire/messages.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import {
  applicationSecrets,
  checkFinished,
  computeFinished,
  finishHandshake,
  handshakeSecrets,
  resumptionSecret,
  signCertificateVerify,
  checkCertificateVerify,
  type ApplicationSecrets,
  type HandshakeSecrets,
} from './tls13-common.js';
import { listForDetail, nameMatches, selectCertificate, selectVersion, type ServerParams } from './server-common.js';
import { handleClientHello12 } from './server-tls12.js';
import { authenticatePeer } from './peer-auth.js';
import type { PublicKeyInfo } from '../crypto/provider.js';
import { TLS13_SIGNATURE_SCHEMES } from '../crypto/suites.js';

export type { ServerParams } from './server-common.js';

/** What the server decided from the first ClientHello. */
interface Choice {
  readonly suite: Tls13Suite;
  readonly group: number;
  readonly cert: CertifiedKey;
  readonly scheme: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
}

/** Starts a server handshake. */
export function startServer(cx: Context, p: ServerParams): State {
  if (p.certificates.length === 0) throw new TlsError('InvalidConfig', { detail: 'a server needs a certificate and key' });
  return new ExpectClientHello(p);
}

/** Common checks of a TLS 1.3 ClientHello and the negotiation (RFC 9846 §4.2.1, §4.1.2). */
function negotiate(cx: Context, p: ServerParams, ch: ClientHello): Choice {
  const cfg = cx.cfg;
  const ext = ch.extensions;
  const versions = ext.supportedVersions;
  // RFC 9846 §4.3.1: without supported_versions the client is TLS 1.2 or older.
  if (versions === undefined || !versions.includes(ProtocolVersion.TLSv1_3)) {
    const offered = versions ? listForDetail('version', versions) : nameOf('version', ch.legacyVersion);
    throw new TlsError('ProtocolVersion', { detail: `client offered ${offered}; this server speaks TLSv1.3 only` });
  }
  // RFC 9846 §4.2.2: "A server which receives a legacy_version value not equal to 0x0303 MUST
  // abort the handshake with a "protocol_version" alert."
  if (ch.legacyVersion !== ProtocolVersion.TLSv1_2) {
    throw new TlsError('ProtocolVersion', { detail: `ClientHello legacy_version 0x${ch.legacyVersion.toString(16)}` });
  }
  // RFC 9846 §4.2.2: legacy_compression_methods must be exactly [0] in a TLS 1.3 ClientHello.
  if (ch.legacyCompressionMethods.length !== 1 || ch.legacyCompressionMethods[0] !== 0) {
    throw new TlsError('IllegalParameter', { detail: 'ClientHello compression methods are not just null' });
  }
  // Server preference among the client's suites (RFC 9846 §4.2.1).
  const suiteCode = cfg.suites.find((s) => tls13Suite(s) !== undefined && ch.cipherSuites.includes(s));
  if (suiteCode === undefined) {
    throw new TlsError('HandshakeFailure', {
      detail: `no common cipher suite; client offered ${listForDetail('suite', ch.cipherSuites)}`,
    });
  }
  const suite = tls13Suite(suiteCode)!;
  // RFC 9846 §9.2: signature_algorithms, supported_groups and key_share are mandatory without PSK.
  if (ext.signatureAlgorithms === undefined) throw new TlsError('MissingExtension', { detail: 'ClientHello has no signature_algorithms' });
  if (ext.supportedGroups === undefined) throw new TlsError('MissingExtension', { detail: 'ClientHello has no supported_groups' });
  if (ext.keyShare === undefined) throw new TlsError('MissingExtension', { detail: 'ClientHello has no key_share' });
  // RFC 9846 §4.3.8: one share per group, each in supported_groups.
  const seen = new Set<number>();
  const offeredGroups = new Set(ext.supportedGroups);
  for (const ks of ext.keyShare) {
    if (seen.has(ks.group)) throw new TlsError('IllegalParameter', { detail: `two key shares for ${nameOf('group', ks.group)}` });
    seen.add(ks.group);
    if (!offeredGroups.has(ks.group)) {
      throw new TlsError('IllegalParameter', { detail: `key share for ${nameOf('group', ks.group)}, which is not in supported_groups` });
    }
  }
  // Group: our preference among the client's shares; else our preference among its groups (→ HRR).
  let group = cfg.groups.find((g) => seen.has(g));
  if (group === undefined) group = cfg.groups.find((g) => ext.supportedGroups!.includes(g));
  if (group === undefined) {
    throw new TlsError('HandshakeFailure', {
      detail: `no common group; client offered ${listForDetail('group', ext.supportedGroups)}`,
    });
  }
  const serverName = ext.serverName?.toLowerCase();
  const selected = selectCertificate(cx, p, serverName, ext.signatureAlgorithms, 'TLSv1.3');
  if (!selected) {
    throw new TlsError('HandshakeFailure', {
      detail: `no certificate can sign with the client's signature schemes (${listForDetail('scheme', ext.signatureAlgorithms)})`,
    });
  }
  const { cert, scheme } = selected;
  // ALPN (RFC 7301 §3.2): our preference among the client's; none in common → no_application_protocol.
  let alpn: string | undefined;
  if (ext.alpn !== undefined && cfg.alpn.length > 0) {
    alpn = cfg.alpn.find((a) => ext.alpn!.includes(a));
    if (alpn === undefined) {
      throw new TlsError('NoApplicationProtocol', { detail: `client offered ALPN ${listForDetail(null, ext.alpn)}; we support ${listForDetail(null, cfg.alpn)}` });
    }
  }
  return { suite, group, cert, scheme, alpn, serverName };
}

class ExpectClientHello implements State {
  readonly name = 'ExpectClientHello';
  readonly expects: readonly MessageKind[] = ['client_hello'];
  private readonly p: ServerParams;
  constructor(p: ServerParams) {
    this.p = p;
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const ch = expect(msg, this.name, 'client_hello');
    cx.clientRandom = ch.random;
    cx.trace({ direction: 'received', kind: 'handshake', summary: `ClientHello sni=${ch.extensions.serverName ?? '-'}`, message: ch });
    if (selectVersion(cx, ch) === 'TLSv1.2') return await handleClientHello12(cx, this.p, ch);
    const choice = negotiate(cx, this.p, ch);
    cx.transcript.setHash(choice.suite.hash);
    cx.transcript.add(ch.raw!);
    const share = ch.extensions.keyShare!.find((k) => k.group === choice.group);
    if (share) return await serverFlight(cx, this.p, ch, choice, share.keyExchange, false);
    // RFC 9846 §4.2.4: no acceptable share → HelloRetryRequest naming the group, with a cookie.
    // In the HelloRetryRequest's default order: key_share first, as in our ServerHello (and RFC 8448 §5).
    let hrrExt: HelloRetryRequestExtensions = { supportedVersions: ProtocolVersion.TLSv1_3, keyShare: choice.group, cookie: cx.cfg.random(32) };
    if (this.p.helloRetryRequestHook) hrrExt = this.p.helloRetryRequestHook(hrrExt);
    // RFC 9846 §4.3.2: ClientHello2 must echo the cookie actually sent.
    const cookie = hrrExt.cookie;
    if (cookie === undefined) throw new TlsError('InternalError', { detail: 'helloRetryRequestHook removed the cookie' });
    const hrr: HelloRetryRequest = {
      type: 'server_hello',
      legacyVersion: ProtocolVersion.TLSv1_2,
      random: HRR_RANDOM,
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: choice.suite.code,
      legacyCompressionMethod: 0,
      extensions: hrrExt,
      isHrr: true,
    };
    // RFC 9846 §4.1: the transcript restarts from message_hash(ClientHello1).
    cx.transcript.replaceWithMessageHash();
    cx.send(hrr);
    cx.info.helloRetryRequest = true;
    // RFC 9846 §4.3.10: we accept no 0-RTT; after a HelloRetryRequest its records are application_data to skip.
    if (ch.extensions.earlyData !== undefined) cx.skipEarlyData('app-data');
    // RFC 9846 §E.4: the server's CCS follows its first handshake message in compatibility mode.
    if (ch.legacySessionId.length > 0) cx.sendChangeCipherSpec();
    return new ExpectClientHello2(this.p, ch, choice, cookie);
  }
}

class ExpectClientHello2 implements State {
  readonly name = 'ExpectClientHello2';
  readonly expects: readonly MessageKind[] = ['client_hello'];
  private readonly p: ServerParams;
  private readonly ch1: ClientHello;
  private readonly choice: Choice;
  private readonly cookie: Uint8Array;
  constructor(p: ServerParams, ch1: ClientHello, choice: Choice, cookie: Uint8Array) {
    this.p = p;
    this.ch1 = ch1;
    this.choice = choice;
    this.cookie = cookie;
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const ch = expect(msg, this.name, 'client_hello');
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'ClientHello (after HelloRetryRequest)', message: ch });
    const ext = ch.extensions;
    // Whatever else it carries, the first ClientHello's early data is over (RFC 9846 §4.3.10).
    cx.skipEarlyData('none');
    sameClientHello(this.ch1, ch);
    // RFC 9846 §4.3.2: the cookie must be echoed.
    if (ext.cookie === undefined || !cx.cfg.crypto.equal(ext.cookie, this.cookie)) {
      throw new TlsError('IllegalParameter', { detail: 'second ClientHello does not echo our cookie' });
    }
    // RFC 9846 §4.3.8: exactly one share, for the group we asked for.
    const shares = ext.keyShare ?? [];
    if (shares.length !== 1 || shares[0]!.group !== this.choice.group) {
      throw new TlsError('IllegalParameter', { detail: `second ClientHello must carry exactly one key share for ${nameOf('group', this.choice.group)}` });
    }
    const choice = negotiate(cx, this.p, ch);
    if (choice.suite.code !== this.choice.suite.code || choice.group !== this.choice.group) {
      throw new TlsError('IllegalParameter', { detail: 'second ClientHello changed the negotiation' });
    }
    cx.transcript.add(ch.raw!);
    return await serverFlight(cx, this.p, ch, choice, shares[0]!.keyExchange, true);
  }
}

/**
 * Extensions a second ClientHello may change (RFC 9846 §4.2.2): key_share (one share for the
 * group asked for), cookie (added), early_data (removed), pre_shared_key (ages and binders
 * recomputed), padding (added, removed or resized).
 */
const MAY_CHANGE_AFTER_HRR: ReadonlySet<number> = new Set([
  ExtensionType.key_share,
  ExtensionType.cookie,
  ExtensionType.early_data,
  ExtensionType.pre_shared_key,
  ExtensionType.padding,
]);

/**
 * RFC 9846 §4.2.2: after a HelloRetryRequest "the client MUST send the same ClientHello without
 * modification", except for the changes in {@link MAY_CHANGE_AFTER_HRR}. Every other field and
 * extension is compared byte for byte, in order; a difference is illegal_parameter.
 */
function sameClientHello(ch1: ClientHello, ch2: ClientHello): void {
  const changed = (what: string): never => {
    throw new TlsError('IllegalParameter', { detail: `second ClientHello changed ${what} (RFC 9846 §4.2.2)` });
  };
  if (ch2.legacyVersion !== ch1.legacyVersion) changed('legacy_version');
  if (!bytesEqual(ch2.random, ch1.random)) changed('random');
  if (!bytesEqual(ch2.legacySessionId, ch1.legacySessionId)) changed('legacy_session_id');
  if (ch2.cipherSuites.length !== ch1.cipherSuites.length || ch2.cipherSuites.some((c, i) => c !== ch1.cipherSuites[i])) changed('cipher_suites');
  if (!bytesEqual(ch2.legacyCompressionMethods, ch1.legacyCompressionMethods)) changed('legacy_compression_methods');
  // RFC 9846 §4.3.10: "A client MUST NOT include the "early_data" extension in its followup ClientHello."
  if (ch2.extensions.earlyData !== undefined) throw new TlsError('IllegalParameter', { detail: 'second ClientHello offers early data' });
  if (ch1.extensions.preSharedKey === undefined && ch2.extensions.preSharedKey !== undefined) changed('pre_shared_key (added)');
  const kept = (raw: Uint8Array | undefined) => clientHelloExtensionBlocks(raw!).filter((e) => !MAY_CHANGE_AFTER_HRR.has(e.type));
  const a = kept(ch1.raw);
  const b = kept(ch2.raw);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || x.type !== y.type) return changed(`its extensions (${nameOf('extension', (x ?? y)!.type)} added, removed or moved)`);
    if (!bytesEqual(x.data, y.data)) changed(`extension ${nameOf('extension', x.type)}`);
  }
}

/** Byte equality of public values (not secret: no constant-time need). */
function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Sends ServerHello … Finished (RFC 9846 §2 Figure 1). */
async function serverFlight(cx: Context, p: ServerParams, ch: ClientHello, c: Choice, peerShare: Uint8Array, afterHrr: boolean): Promise<State> {
  const cfg = cx.cfg;
  const crypto = cfg.crypto;
  const ks = crypto.keyShare(c.group, cfg.random(crypto.keySharePrivateLength(c.group)));
  const random = cfg.random(32);
  const sh: ServerHello = {
    type: 'server_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionIdEcho: ch.legacySessionId,
    cipherSuite: c.suite.code,
    legacyCompressionMethod: 0,
    // In the ServerHello's default order: key_share, supported_versions.
    extensions: { rules: 'tls13', supportedVersions: ProtocolVersion.TLSv1_3, keyShare: { group: c.group, keyExchange: ks.publicKey } },
    isHrr: false,
  };
  // agree() validates the client's point before anything is sent (RFC 9846 §4.3.8.2).
  const shared = ks.agree(peerShare);
  cx.send(sh);
  cx.versionNegotiated('TLSv1.3');
  cx.info.cipherSuite = c.suite.name;
  cx.info.group = codeName('group', c.group);
  cx.info.alpn = c.alpn ?? null;
  cx.info.serverName = c.serverName ?? null;
  cx.info.signatureScheme = codeName('scheme', c.scheme);
  if (!afterHrr && ch.legacySessionId.length > 0) cx.sendChangeCipherSpec();
  const secrets = handshakeSecrets(crypto, c.suite, shared, cx.transcript.current());
  cx.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', secrets.clientHandshake);
  cx.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', secrets.serverHandshake);
  cx.setWriteSecret(c.suite, secrets.serverHandshake);
  cx.setReadSecret(c.suite, secrets.clientHandshake);
  // RFC 9846 §4.3.10: 0-RTT is never accepted (no early_data in EncryptedExtensions), so the
  // client's early records, protected under a key we do not derive, are skipped.
  if (ch.extensions.earlyData !== undefined && !afterHrr) cx.skipEarlyData('undecryptable');

  let ee: EeExtensions = {};
  if (c.alpn !== undefined) ee.alpn = c.alpn;
  // RFC 6066 §3: acknowledge server_name with an empty extension when we used it.
  if (c.serverName !== undefined && c.cert.names.some((n) => nameMatches(n, c.serverName!))) ee.serverName = true;
  if (p.encryptedExtensionsHook) ee = p.encryptedExtensionsHook(ee);
  cx.send({ type: 'encrypted_extensions', extensions: ee });
  if (p.clientAuth !== 'none') {
    // RFC 9846 §4.4.2: empty context in the main handshake; signature_algorithms is mandatory.
    const signatureAlgorithms = cx.cfg.signatureSchemes.filter((s) => TLS13_SIGNATURE_SCHEMES.includes(s));
    cx.send({ type: 'certificate_request', context: new Uint8Array(0), extensions: { signatureAlgorithms } });
  }
  const entries: CertificateEntry[] = c.cert.chain.map((der) => ({ certData: der, extensions: {} }));
  if (ch.extensions.statusRequest !== undefined && c.cert.ocspResponse && entries[0]) {
    // RFC 9846 §4.5.1.1: staple the OCSP response in the leaf's status_request extension.
    entries[0].extensions.statusRequest = certificateStatusBody(c.cert.ocspResponse);
  }
  cx.send({ type: 'certificate', context: new Uint8Array(0), entries });
  const signature = await signCertificateVerify(cx, c.cert.key, c.scheme, cx.transcript.current(), 'server');
  cx.send({ type: 'certificate_verify', scheme: c.scheme, signature });
  cx.send({ type: 'finished', verifyData: computeFinished(crypto, c.suite, secrets.serverHandshake, cx.transcript.current()) });
  const app = applicationSecrets(secrets, cx.transcript.current());
  cx.setWriteSecret(c.suite, app.serverApplication);
  const done = new ExpectFinished(p, c.suite, secrets, app);
  return p.clientAuth === 'none' ? done : new ExpectClientCertificate(p, done);
}

/** RFC 9846 §4.5.1: the client's Certificate answering our CertificateRequest. */
class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate';
  readonly expects: readonly MessageKind[] = ['certificate'];
  private readonly p: ServerParams;
  private readonly next: ExpectFinished;
  constructor(p: ServerParams, next: ExpectFinished) {
    this.p = p;
    this.next = next;
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = expect(msg, this.name, 'certificate');
    // RFC 9846 §4.5.1: the context echoes the CertificateRequest's (empty in the handshake).
    if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'client Certificate context does not match the request' });
    cx.transcript.add(m.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.entries.length} entries)`, message: m });
    if (m.entries.length === 0) {
      // RFC 9846 §4.5.1.3: without a client certificate the server may continue or send certificate_required.
      if (this.p.clientAuth === 'require') throw new TlsError('CertificateRequired', { detail: 'the client sent no certificate' });
      return this.next;
    }
    const certs = m.entries.map((e) => e.certData);
    cx.info.peerCertificates = certs;
    const leafKey = await authenticatePeer(cx, this.p.auth, certs, null);
    return new ExpectClientCertificateVerify(leafKey, this.next);
  }
}

/** RFC 9846 §4.5.2: the client proves possession of its key. */
class ExpectClientCertificateVerify implements State {
  readonly name = 'ExpectClientCertificateVerify';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  private readonly leafKey: PublicKeyInfo;
  private readonly next: ExpectFinished;
  constructor(leafKey: PublicKeyInfo, next: ExpectFinished) {
    this.leafKey = leafKey;
    this.next = next;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const cv = expect(msg, this.name, 'certificate_verify');
    cx.info.clientSignatureScheme = codeName('scheme', cv.scheme);
    checkCertificateVerify(cx, this.leafKey, cv.scheme, cv.signature, cx.transcript.current(), 'client');
    cx.transcript.add(cv.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
    return this.next;
  }
}

/** A TLS CertificateStatus body for an OCSP response (RFC 6066 §8). */
export function certificateStatusBody(ocsp: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + ocsp.length);
  out[0] = 1;
  out[1] = (ocsp.length >>> 16) & 0xff;
  out[2] = (ocsp.length >>> 8) & 0xff;
  out[3] = ocsp.length & 0xff;
  out.set(ocsp, 4);
  return out;
}

class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly p: ServerParams;
  private readonly suite: Tls13Suite;
  private readonly secrets: HandshakeSecrets;
  private readonly app: ApplicationSecrets;
  constructor(p: ServerParams, suite: Tls13Suite, secrets: HandshakeSecrets, app: ApplicationSecrets) {
    this.p = p;
    this.suite = suite;
    this.secrets = secrets;
    this.app = app;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const fin = expect(msg, this.name, 'finished');
    const crypto = cx.cfg.crypto;
    checkFinished(crypto, this.suite, this.secrets.clientHandshake, cx.transcript.current(), fin.verifyData);
    cx.transcript.add(fin.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    cx.setReadSecret(this.suite, this.app.clientApplication);
    const resumption = resumptionSecret(this.app, cx.transcript.current());
    finishHandshake(cx, {
      suite: this.suite,
      clientApplication: this.app.clientApplication,
      serverApplication: this.app.serverApplication,
      exporter: this.app.exporter,
      resumption,
    });
    // RFC 9846 §4.7.1: tickets. Resumption is not accepted yet, so these only honour the configured count.
    for (let i = 0; i < this.p.sessionTickets; i++) {
      const nonce = new Uint8Array([i]);
      cx.send({
        type: 'new_session_ticket',
        lifetime: 7200,
        ageAdd: readU32(cx.cfg.random(4)),
        nonce,
        ticket: cx.cfg.random(32),
        extensions: {},
      });
    }
    return new ServerTraffic();
  }
}

/** A big-endian uint32 from the first four bytes of `b` (a view is fine: no `.buffer`). */
function readU32(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Post-handshake server: only KeyUpdate is allowed (RFC 9846 §4.7). */
export class ServerTraffic implements State {
  readonly name = 'ServerTraffic';
  readonly expects: readonly MessageKind[] = ['key_update'];
  handle(cx: Context, msg: HandshakeMessage): State {
    const m = expect(msg, this.name, 'key_update');
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'KeyUpdate', message: m });
    cx.peerKeyUpdate(m.requestUpdate === KeyUpdateRequest.update_requested);
    return this;
  }
}
