/**
 * TLS 1.2 server handshake (RFC 5246 §7.3, ECDHE per RFC 8422), full handshakes only, once
 * `server-hello.ts` has chosen TLS 1.2: ServerHello, Certificate, ServerKeyExchange,
 * ServerHelloDone → ExpectClientKeyExchange → ExpectChangeCipherSpec → ExpectFinished (→
 * our ChangeCipherSpec, Finished) → Server12Traffic.
 *
 * @module
 */
import type { CertifiedKey } from '../config.js';
import type { KeyShare, PublicKeyInfo } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { CERT_SIGNATURE_SCHEMES } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { ProtocolVersion, nameOf } from '../wire/codes.js';
import { DOWNGRADE_TLS12 } from '../wire/hello.js';
import type { ClientHello, HandshakeMessage, ServerHello, ServerHello12Extensions, ServerKeyExchange } from '../wire/messages.js';
import type { RecordProtector } from '../record/protector.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import { nameMatches, type ServerParams } from './server-common.js';
import { authenticatePeer } from './peer-auth.js';
import { signServerKeyExchange, verifyCertificateVerify12 } from './signatures.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, checkFinished12, deriveSession, finishHandshake12, finished12, protectors, type Session12 } from './tls12-common.js';

/** What `server-hello.ts` chose for a TLS 1.2 handshake from the ClientHello. */
export interface Choice12 {
  readonly suite: Tls12Suite;
  readonly group: number;
  readonly cert: CertifiedKey;
  readonly scheme: number;
  readonly alpn: string | undefined;
  /** The client's server_name, lower case. */
  readonly serverName: string | undefined;
  /** We could have negotiated TLS 1.3: mark ServerHello.random (RFC 9846 §4.2.3). */
  readonly downgradeSentinel: boolean;
}

/** Sends the server's first flight (RFC 5246 §7.3) for the choice `server-hello.ts` made. */
export async function serverFlight12(cx: Context, p: ServerParams, ch: ClientHello, c: Choice12): Promise<State> {
  const cfg = cx.cfg;
  const crypto = cfg.crypto;
  const ext = ch.extensions;
  const { suite, cert, scheme, group, alpn } = c;
  const sni = c.serverName;
  const random = cfg.random(32);
  // RFC 9846 §4.2.3: a TLS 1.3-capable server negotiating TLS 1.2 marks the random.
  if (c.downgradeSentinel) random.set(DOWNGRADE_TLS12, 24);
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
  ske.signature = await signServerKeyExchange(cfg, cert.key, ch.random, random, ske);
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
    verifyCertificateVerify12(cx.cfg, this.key, cv.scheme, cv.signature, cx.transcript.messages());
    cx.transcript.add(cv.raw!);
    cx.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
    return this.next;
  }
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

