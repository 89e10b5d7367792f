/**
 * TLS 1.2 server handshake (RFC 5246 §7.3, ECDHE per RFC 8422), full handshakes only:
 * ClientHello → ServerHello, Certificate, ServerKeyExchange, ServerHelloDone →
 * ExpectClientKeyExchange → ExpectChangeCipherSpec → ExpectFinished (→ our
 * ChangeCipherSpec, Finished) → Server12Traffic.
 *
 * @module
 */
import type { CertifiedKey } from '../config.js';
import type { KeyShare, PublicKeyInfo } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { CERT_SIGNATURE_SCHEMES, legacySuiteKind, tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { CipherSuite, NamedGroup, ProtocolVersion, nameOf } from '../wire/codes.js';
import { DOWNGRADE_TLS12 } from '../wire/hello.js';
import type { ClientHello, HandshakeMessage, ServerHello, ServerHello12Extensions, ServerKeyExchange } from '../wire/messages.js';
import { serverKeyExchangeSignedContent } from '../wire/tls12.js';
import type { RecordProtector } from '../record/protector.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import { highestVersion, listForDetail, nameMatches, selectCertificate, type ServerParams } from './server-common.js';
import { authenticatePeer } from './peer-auth.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, checkFinished12, deriveSession, finishHandshake12, finished12, protectors, type Session12 } from './tls12-common.js';

function keyFitsSuite(cert: CertifiedKey, suite: Tls12Suite): boolean {
  const t = cert.key.type;
  return suite.auth === 'ecdsa' ? t === 'ec-p256' || t === 'ec-p384' || t === 'ed25519' : t === 'rsa' || t === 'rsa-pss';
}

/**
 * RFC 8422 §5.3: an ECDSA certificate's curve must be one the client listed in
 * supported_groups (if it sent the extension); OpenSSL clients abort with
 * illegal_parameter otherwise. EdDSA and RSA keys are governed by signature_algorithms only.
 */
function curveFitsClient(cert: CertifiedKey, clientGroups: readonly number[] | undefined): boolean {
  if (clientGroups === undefined) return true;
  if (cert.key.type === 'ec-p256') return clientGroups.includes(NamedGroup.secp256r1);
  if (cert.key.type === 'ec-p384') return clientGroups.includes(NamedGroup.secp384r1);
  return true;
}

/** Negotiates TLS 1.2 from a ClientHello and sends the server's first flight. */
export async function handleClientHello12(cx: Context, p: ServerParams, ch: ClientHello): Promise<State> {
  const cfg = cx.cfg;
  const crypto = cfg.crypto;
  const ext = ch.extensions;
  // RFC 5246 §7.4.1.2: the null compression method must be offered.
  if (!ch.legacyCompressionMethods.includes(0)) throw new TlsError('IllegalParameter', { detail: 'ClientHello does not offer null compression' });
  // RFC 5746 §3.6: secure renegotiation signalled by the extension or the SCSV; we require it (DESIGN.md §4).
  const renego = ext.renegotiationInfo !== undefined || ch.cipherSuites.includes(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
  if (!renego) throw new TlsError('HandshakeFailure', { detail: 'client does not support secure renegotiation (RFC 5746); puretls requires it' });
  if (ext.renegotiationInfo !== undefined && ext.renegotiationInfo.length !== 0) {
    throw new TlsError('HandshakeFailure', { detail: 'renegotiation_info is not empty on an initial handshake' });
  }
  // RFC 7627 §5.2: a server that requires the extended master secret aborts without it.
  if (!ext.extendedMasterSecret && cfg.requireExtendedMasterSecret) {
    throw new TlsError('HandshakeFailure', { detail: 'client does not support the extended master secret (RFC 7627), which is required' });
  }
  // RFC 8422 §5.1.2: uncompressed points must be acceptable to the client.
  if (ext.ecPointFormats !== undefined && !ext.ecPointFormats.includes(0)) {
    throw new TlsError('IllegalParameter', { detail: 'client does not accept uncompressed points' });
  }
  // RFC 5246 §7.4.1.4.1: without signature_algorithms the client only takes SHA-1, which we refuse.
  const clientSchemes = ext.signatureAlgorithms;
  if (clientSchemes === undefined) {
    throw new TlsError('HandshakeFailure', { detail: 'client sent no signature_algorithms, which means SHA-1 signatures only; puretls refuses SHA-1' });
  }
  // RFC 8422 §4: without supported_groups, assume secp256r1.
  const clientGroups = ext.supportedGroups ?? [NamedGroup.secp256r1];
  const group = cfg.groups.find((g) => clientGroups.includes(g));
  if (group === undefined) {
    throw new TlsError('HandshakeFailure', { detail: `no common group; client offered ${listForDetail('group', clientGroups)}` });
  }
  const sni = ext.serverName?.toLowerCase();
  // Suite: our preference, with a certificate that can authenticate it.
  let chosen: { suite: Tls12Suite; cert: CertifiedKey; scheme: number } | null = null;
  for (const code of cfg.suites) {
    const suite = tls12Suite(code);
    if (!suite || !ch.cipherSuites.includes(code)) continue;
    const sel = selectCertificate(cx, p, sni, clientSchemes, 'TLSv1.2', (c) => keyFitsSuite(c, suite) && curveFitsClient(c, ext.supportedGroups));
    if (sel) {
      chosen = { suite, ...sel };
      break;
    }
  }
  if (!chosen) throw refuseSuites(cx, ch);
  let alpn: string | undefined;
  if (ext.alpn !== undefined && cfg.alpn.length > 0) {
    alpn = cfg.alpn.find((a) => ext.alpn!.includes(a));
    // RFC 7301 §3.2: no protocol in common → no_application_protocol.
    if (alpn === undefined) throw new TlsError('NoApplicationProtocol', { detail: `client offered ALPN ${listForDetail(null, ext.alpn)}; we support ${listForDetail(null, cfg.alpn)}` });
  }

  const { suite, cert, scheme } = chosen;
  const random = cfg.random(32);
  // RFC 9846 §4.2.3: a TLS 1.3-capable server negotiating TLS 1.2 marks the random.
  if (highestVersion(cx) >= ProtocolVersion.TLSv1_3) random.set(DOWNGRADE_TLS12, 24);
  // Only extensions the client sent are answered (RFC 5246 §7.4.1.4), in the TLS 1.2
  // ServerHello's default order.
  const shExt: ServerHello12Extensions = { rules: 'tls12', renegotiationInfo: new Uint8Array(0) };
  if (ext.extendedMasterSecret) shExt.extendedMasterSecret = true;
  if (ext.ecPointFormats !== undefined) shExt.ecPointFormats = [0];
  if (alpn !== undefined) shExt.alpn = alpn;
  const staple = ext.statusRequest !== undefined && cert.ocspResponse !== undefined ? cert.ocspResponse : null;
  // RFC 6066 §8: an empty status_request in ServerHello announces a CertificateStatus.
  if (staple) shExt.statusRequest = true;
  // RFC 6066 §3: an empty server_name acknowledges that SNI was used.
  if (sni !== undefined && cert.names.some((n) => nameMatches(n, sni))) shExt.serverName = true;
  const sh: ServerHello = {
    type: 'server_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionIdEcho: new Uint8Array(0),
    cipherSuite: suite.code,
    legacyCompressionMethod: 0,
    extensions: shExt,
    isHrr: false,
  };
  cx.versionNegotiated('TLSv1.2');
  cx.transcript.setHash(suite.hash);
  cx.transcript.add(ch.raw!);
  cx.send(sh);
  cx.info.cipherSuite = suite.name;
  cx.info.group = codeName('group', group);
  cx.info.signatureScheme = codeName('scheme', scheme);
  cx.info.alpn = alpn ?? null;
  cx.info.serverName = sni ?? null;
  cx.send({ type: 'certificate12', certificates: [...cert.chain] });
  if (staple) cx.send({ type: 'certificate_status', statusType: 1, response: staple });
  const share = crypto.keyShare(group, cfg.random(crypto.keySharePrivateLength(group)));
  const ske: ServerKeyExchange = { type: 'server_key_exchange', curveType: 3, group, publicKey: share.publicKey, scheme, signature: new Uint8Array(0) };
  // RFC 8422 §5.4: the signature covers client_random ‖ server_random ‖ ServerECDHParams.
  ske.signature = await crypto.sign(cert.key, scheme, serverKeyExchangeSignedContent(ch.random, random, ske), cfg.random, { tls12: true });
  cx.send(ske);
  if (p.clientAuth !== 'none') {
    // RFC 5246 §7.4.4 / RFC 8422 §5.5: RSA and ECDSA (incl. Ed25519) client certificates.
    cx.send({
      type: 'certificate_request12',
      certificateTypes: [1, 64],
      signatureAlgorithms: cfg.signatureSchemes.filter((s) => CERT_SIGNATURE_SCHEMES.includes(s)),
      certificateAuthorities: [],
    });
  }
  cx.send({ type: 'server_hello_done' });
  const f: Flight12 = { p, suite, clientRandom: ch.random, serverRandom: random, ems: ext.extendedMasterSecret === true, share };
  return p.clientAuth === 'none' ? new ExpectClientKeyExchange(f, null) : new ExpectClientCertificate(f);
}

/** RFC 5246 §7.4.6: the client's Certificate answering our CertificateRequest. */
class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate12';
  readonly expects: readonly MessageKind[] = ['certificate12'];
  readonly version = 'TLSv1.2';
  private readonly f: Flight12;
  constructor(f: Flight12) {
    this.f = f;
  }

  async handle(cx: Context, msg: HandshakeMessage): Promise<State> {
    const m = expect(msg, this.name, 'certificate12');
    cx.transcript.add(m.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.certificates.length} entries)`, message: m });
    if (m.certificates.length === 0) {
      // RFC 5246 §7.4.6: a server requiring client authentication answers with handshake_failure.
      if (this.f.p.clientAuth === 'require') throw new TlsError('HandshakeFailure', { detail: 'the client sent no certificate' });
      return new ExpectClientKeyExchange(this.f, null);
    }
    cx.info.peerCertificates = m.certificates;
    const key = await authenticatePeer(cx, this.f.p.auth, m.certificates, null);
    return new ExpectClientKeyExchange(this.f, key);
  }
}

/** RFC 5246 §7.4.8: the client proves possession of its key over all handshake messages so far. */
class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify12';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  readonly version = 'TLSv1.2';
  private readonly key: PublicKeyInfo;
  private readonly next: ExpectChangeCipherSpec;
  constructor(key: PublicKeyInfo, next: ExpectChangeCipherSpec) {
    this.key = key;
    this.next = next;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const cv = expect(msg, this.name, 'certificate_verify');
    cx.info.clientSignatureScheme = codeName('scheme', cv.scheme);
    const crypto = cx.cfg.crypto;
    // RFC 5246 §7.4.8: the scheme must be one we listed and must fit the key.
    if (!cx.cfg.signatureSchemes.includes(cv.scheme) || !crypto.schemesForKey(this.key, 'TLSv1.2').includes(cv.scheme)) {
      throw new TlsError('IllegalParameter', { detail: `CertificateVerify scheme ${nameOf('scheme', cv.scheme)} was not offered or does not fit the key` });
    }
    if (!crypto.verify(this.key, cv.scheme, cx.transcript.messages(), cv.signature, { tls12: true })) {
      throw new TlsError('DecryptError', { detail: 'client CertificateVerify signature is invalid' });
    }
    cx.transcript.add(cv.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
    return this.next;
  }
}

/** The error for a ClientHello with no TLS 1.2 suite we can serve, naming what the client offered. */
function refuseSuites(cx: Context, ch: ClientHello): TlsError {
  const ours = ch.cipherSuites.filter((s) => tls12Suite(s) !== undefined);
  const legacy = ch.cipherSuites.filter((s) => legacySuiteKind(s) !== null);
  const names = listForDetail('suite', ch.cipherSuites);
  if (ours.length === 0 && legacy.length > 0) {
    // RFC 5246 §7.2.2: insufficient_security when the client offers only suites weaker than we accept.
    return new TlsError('InsufficientSecurity', {
      detail: `client offered only legacy cipher suites (${names}); puretls accepts ECDHE with AES-GCM or ChaCha20-Poly1305 only`,
    });
  }
  return new TlsError('HandshakeFailure', {
    detail: `no TLS 1.2 cipher suite in common that our certificates can serve; client offered ${names} and signature schemes ${listForDetail('scheme', ch.extensions.signatureAlgorithms ?? [])} and groups ${listForDetail('group', ch.extensions.supportedGroups ?? [])}; ${cx.cfg.suites.length} suites configured`,
  });
}

interface Flight12 {
  readonly p: ServerParams;
  readonly suite: Tls12Suite;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly ems: boolean;
  readonly share: KeyShare;
}

class ExpectClientKeyExchange implements State {
  readonly name = 'ExpectClientKeyExchange';
  readonly expects: readonly MessageKind[] = ['client_key_exchange'];
  readonly version = 'TLSv1.2';
  private readonly f: Flight12;
  private readonly clientKey: PublicKeyInfo | null;
  constructor(f: Flight12, clientKey: PublicKeyInfo | null) {
    this.f = f;
    this.clientKey = clientKey;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const cke = expect(msg, this.name, 'client_key_exchange');
    // RFC 8422 §5.11 / §5.7: the client's point is validated (invalid → illegal_parameter).
    const preMaster = this.f.share.agree(cke.publicKey);
    cx.transcript.add(cke.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'ClientKeyExchange', message: cke });
    const session = deriveSession(cx, this.f.suite, preMaster, this.f.clientRandom, this.f.serverRandom, this.f.ems);
    const prot = protectors(cx, session);
    const next = new ExpectChangeCipherSpec(prot.client, new ExpectFinished(session, prot.server));
    return this.clientKey ? new ExpectCertificateVerify(this.clientKey, next) : next;
  }
}

class ExpectFinished implements State {
  readonly name = 'ExpectFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  readonly version = 'TLSv1.2';
  private readonly session: Session12;
  private readonly write: RecordProtector;
  constructor(session: Session12, write: RecordProtector) {
    this.session = session;
    this.write = write;
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const fin = expect(msg, this.name, 'finished');
    checkFinished12(cx, this.session, 'client', fin.verifyData);
    cx.transcript.add(fin.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    cx.sendChangeCipherSpec12();
    cx.installWriteProtector(this.write);
    cx.send({ type: 'finished', verifyData: finished12(cx, this.session, 'server') });
    finishHandshake12(cx, this.session);
    return new RenegotiationRefused('server');
  }
}

