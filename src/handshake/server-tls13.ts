/**
 * TLS 1.3 server handshake (RFC 9846 §2, §4), once `server-hello.ts` has chosen TLS 1.3:
 * ServerHello, EncryptedExtensions, (CertificateRequest,) Certificate, CertificateVerify,
 * Finished → (ExpectClientCertificate → ExpectClientCertificateVerify →) ExpectFinished →
 * ServerTraffic.
 *
 * @module
 */
import type { CertifiedKey } from '../config.js';
import type { PublicKeyInfo } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TLS13_SIGNATURE_SCHEMES } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { CertificateEntry, ClientHello, EeExtensions, HandshakeMessage, ServerHello } from '../wire/messages.js';
import type { Context, State, MessageKind } from './state.js';
import { codeName, expect } from './state.js';
import {
  applicationSecrets,
  checkFinished,
  computeFinished,
  finishHandshake,
  handshakeSecrets,
  resumptionSecret,
  type ApplicationSecrets,
  type HandshakeSecrets,
} from './tls13-common.js';
import { nameMatches, type ServerParams } from './server-common.js';
import { authenticatePeer } from './peer-auth.js';
import { signCertificateVerify13, verifyCertificateVerify13 } from './signatures.js';

/** What `server-hello.ts` chose for a TLS 1.3 handshake from the (first) ClientHello. */
export interface Choice13 {
  readonly suite: Tls13Suite;
  readonly group: number;
  readonly cert: CertifiedKey;
  readonly scheme: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
}

/** Sends ServerHello … Finished (RFC 9846 §2 Figure 1) for the choice `server-hello.ts` made. */
export async function serverFlight13(cx: Context, p: ServerParams, ch: ClientHello, c: Choice13, peerShare: Uint8Array, afterHrr: boolean): Promise<State> {
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
  const signature = await signCertificateVerify13(cx.cfg, c.cert.key, c.scheme, cx.transcript.current(), 'server');
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
    verifyCertificateVerify13(cx.cfg, this.leafKey, cv.scheme, cv.signature, cx.transcript.current(), 'client');
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
