/**
 * TLS 1.2 server handshake (RFC 5246 §7.3, ECDHE per RFC 8422), once `server-hello.ts` has
 * chosen TLS 1.2: ServerHello, Certificate, ServerKeyExchange, ServerHelloDone →
 * ExpectClientKeyExchange → ExpectChangeCipherSpec → ExpectFinished (→ [NewSessionTicket],
 * our ChangeCipherSpec, Finished) → Server12Traffic. A ClientHello resuming a session we may
 * resume takes the abbreviated handshake of `server-resume12.ts` instead.
 *
 * @module
 */
import type { CertifiedKey } from '../config/config.js';
import { andThen, type KeyShare, type MaybePromise } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { CERT_SIGNATURE_SCHEMES } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { ProtocolVersion, nameOf } from '../wire/codes.js';
import { DOWNGRADE_TLS12 } from '../wire/hello.js';
import type { ClientHello, HandshakeMessage, ServerHello, ServerHello12Extensions, ServerKeyExchange } from '../wire/messages.js';
import type { RecordProtector } from '../record/protector.js';
import type { HandshakeOutput, Learned, MessageKind, State, Step } from './state.js';
import { codeName, expect, keepLearned, sendHashed } from './state.js';
import { nameMatches, type ServerHandshake } from './server-common.js';
import { authenticatePeer, type CertificateChainAccepted } from './peer-auth.js';
import { computeFinished12, verifyFinished12, type FinishedVerified } from './finished.js';
import { ClientAuthDecided } from './proofs.js';
import { signServerKeyExchange, verifyCertificateVerify12 } from './signatures.js';
import { ExpectChangeCipherSpec, RenegotiationRefused, deriveSession, finishHandshake12, protectors, type Protectors12, type Session12 } from './tls12-common.js';
import { findResumable12, issuesTicket, rememberSession12, resumeFlight12, type ClientCertificateFindings } from './server-resume12.js';

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

/** What every TLS 1.2 server state carries once our first flight is sent. */
export interface Server12 extends ServerHandshake {
  readonly suite: Tls12Suite;
  readonly serverRandom: Uint8Array;
  /** Extended master secret negotiated (RFC 7627). */
  readonly ems: boolean;
  /** Our ECDHE share (RFC 8422 §5.4). */
  readonly share: KeyShare;
  /** The session ID we assigned (empty: none; RFC 5246 §7.4.1.3). */
  readonly sessionId: Uint8Array;
  /** We acknowledged the client's SessionTicket extension: a NewSessionTicket precedes our CCS (RFC 5077 §3.2). */
  readonly ticket: boolean;
  /** The client's server_name, lower case, kept in the session (RFC 6066 §3). */
  readonly serverName: string | undefined;
  /** What the client's certificate turned out to be (for the session state). */
  readonly clientCertificate: ClientCertificateFindings;
}

const NO_CLIENT_CERTIFICATE: ClientCertificateFindings = { certificates: [], errors: [], severity: 'none' };

/** Sends the server's first flight (RFC 5246 §7.3) for the choice `server-hello.ts` made. */
export async function serverFlight12(hs: ServerHandshake, ch: ClientHello, c: Choice12, out: HandshakeOutput): Promise<Step> {
  const { cfg, p, transcript } = hs;
  const crypto = cfg.crypto;
  const ext = ch.extensions;
  const { suite, cert, scheme, group, alpn } = c;
  const sni = c.serverName;
  const resumable = await findResumable12(hs, ch, p.resumption12);
  if (resumable) return await resumeFlight12(hs, ch, c, resumable, p.resumption12!, out);
  // RFC 5077 §3.2: an empty SessionTicket extension in ServerHello promises a NewSessionTicket.
  const ticket = issuesTicket(p.resumption12, ch);
  // RFC 5246 §7.4.1.3: a session ID makes the session resumable from our cache; with a ticket
  // the ticket carries the session instead (RFC 5077 §3.4), and nothing is cached.
  const cache = p.resumption12?.cache;
  const sessionId = cache && cache.maxEntries > 0 && !ticket && ext.extendedMasterSecret === true ? cfg.random(32) : new Uint8Array(0);
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
  if (ticket) shExt.sessionTicket = true;
  const sh: ServerHello = {
    type: 'server_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionIdEcho: sessionId,
    cipherSuite: suite.code,
    legacyCompressionMethod: 0,
    extensions: shExt,
    isHrr: false,
  };
  transcript.setHash(suite.hash);
  transcript.add(ch.raw!);
  sendHashed(out, transcript, sh);
  const learned: Learned = {
    version: 'TLSv1.2',
    cipherSuite: suite.name,
    group: codeName('group', group),
    signatureScheme: codeName('scheme', scheme),
    alpn,
    serverName: sni,
    localCertificate: cert.chain[0],
  };
  sendHashed(out, transcript, { type: 'certificate12', certificates: [...cert.chain] });
  if (staple) sendHashed(out, transcript, { type: 'certificate_status', statusType: 1, response: staple });
  const share = await crypto.generateKeyShare(group, cfg.random);
  const ske: ServerKeyExchange = { type: 'server_key_exchange', curveType: 3, group, publicKey: share.publicKey, scheme, signature: new Uint8Array(0) };
  // RFC 8422 §5.4: the signature covers client_random ‖ server_random ‖ ServerECDHParams.
  ske.signature = await signServerKeyExchange(cfg, cert.key, ch.random, random, ske);
  sendHashed(out, transcript, ske);
  if (p.clientAuth !== 'none') {
    // RFC 5246 §7.4.4 / RFC 8422 §5.5: RSA and ECDSA (incl. Ed25519) client certificates.
    sendHashed(out, transcript, {
      type: 'certificate_request12',
      certificateTypes: [1, 64],
      signatureAlgorithms: cfg.signatureSchemes.filter((s) => CERT_SIGNATURE_SCHEMES.includes(s)),
      certificateAuthorities: [],
    });
  }
  sendHashed(out, transcript, { type: 'server_hello_done' });
  const h: Server12 = {
    ...hs,
    suite,
    serverRandom: random,
    ems: ext.extendedMasterSecret === true,
    share,
    sessionId,
    ticket,
    serverName: sni,
    clientCertificate: NO_CLIENT_CERTIFICATE,
  };
  // The client's Finished is checked once the client-certificate question is settled.
  if (p.clientAuth === 'none') return { next: new ExpectClientKeyExchange(h, ClientAuthDecided.notRequested(p.clientAuth)), learned };
  return { next: new ExpectClientCertificate(h, p.clientAuth), learned };
}

/** RFC 5246 §7.4.6: the client's Certificate answering our CertificateRequest. */
export class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate12';
  readonly expects: readonly MessageKind[] = ['certificate12'];
  private readonly h: Server12;
  private readonly policy: 'request' | 'require';
  constructor(h: Server12, policy: 'request' | 'require') {
    this.h = h;
    this.policy = policy;
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const m = expect(msg, this.name, 'certificate12');
    const { cfg, p, transcript } = this.h;
    transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.certificates.length} entries)`, message: m });
    if (m.certificates.length === 0) {
      // RFC 5246 §7.4.6: a server requiring client authentication answers with handshake_failure.
      if (this.policy === 'require') throw new TlsError('HandshakeFailure', { detail: 'the client sent no certificate' });
      return { next: new ExpectClientKeyExchange(this.h, ClientAuthDecided.withoutCertificate(this.policy, m)) };
    }
    const judged = await authenticatePeer('client', cfg, p.auth, m.certificates, null, out);
    const l = judged.learned;
    const found: ClientCertificateFindings = { certificates: m.certificates, errors: l.certificateErrors ?? [], severity: l.certificateErrorSeverity ?? 'none' };
    return { next: new ExpectClientKeyExchange({ ...this.h, clientCertificate: found }, judged.chain), learned: judged.learned };
  }
}

/**
 * RFC 5246 §7.4.8: the client proves possession of the key of the chain we accepted, over
 * all handshake messages so far.
 */
export class ExpectCertificateVerify implements State {
  readonly name = 'ExpectCertificateVerify12';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  private readonly h: Server12;
  private readonly chain: CertificateChainAccepted<'client'>;
  private readonly session: Session12;
  private readonly keys: Protectors12;
  constructor(h: Server12, chain: CertificateChainAccepted<'client'>, session: Session12, keys: Protectors12) {
    this.h = h;
    this.chain = chain;
    this.session = session;
    this.keys = keys;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const cv = expect(msg, this.name, 'certificate_verify');
    const { cfg, transcript } = this.h;
    // Reported even when the signature fails.
    const learned: Learned = { clientSignatureScheme: codeName('scheme', cv.scheme) };
    const checked = keepLearned(learned, () => verifyCertificateVerify12(cfg, this.chain, cv.scheme, cv.signature, transcript.messages()));
    return andThen(checked, (signature) => {
      transcript.add(cv.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
      const finished = new ExpectFinished(this.h, this.session, this.keys.server, ClientAuthDecided.byCertificate(signature));
      return { next: new ExpectChangeCipherSpec(this.keys.client, finished), learned };
    });
  }
}

/**
 * The client's ECDHE share (RFC 8422 §5.7). `client` is the settled client-certificate
 * question, or the client's accepted chain whose CertificateVerify comes next.
 */
class ExpectClientKeyExchange implements State {
  readonly name = 'ExpectClientKeyExchange';
  readonly expects: readonly MessageKind[] = ['client_key_exchange'];
  private readonly h: Server12;
  private readonly client: ClientAuthDecided | CertificateChainAccepted<'client'>;
  constructor(h: Server12, client: ClientAuthDecided | CertificateChainAccepted<'client'>) {
    this.h = h;
    this.client = client;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const cke = expect(msg, this.name, 'client_key_exchange');
    // RFC 8422 §5.11 / §5.7: the client's point is validated (invalid → illegal_parameter).
    return andThen(this.h.share.agree(cke.publicKey), (preMaster) => this.agreed(cke, preMaster, out));
  }

  private agreed(cke: Extract<HandshakeMessage, { type: 'client_key_exchange' }>, preMaster: Uint8Array, out: HandshakeOutput): Step {
    const { cfg, transcript } = this.h;
    transcript.add(cke.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'ClientKeyExchange', message: cke });
    const session = deriveSession(cfg.crypto, transcript, out, this.h.suite, preMaster, this.h.clientRandom, this.h.serverRandom, this.h.ems);
    const keys = protectors(cfg.crypto, session);
    if (this.client instanceof ClientAuthDecided) {
      return { next: new ExpectChangeCipherSpec(keys.client, new ExpectFinished(this.h, session, keys.server, this.client)) };
    }
    return { next: new ExpectCertificateVerify(this.h, this.client, session, keys) };
  }
}

/**
 * The client's Finished, after its ChangeCipherSpec (RFC 5246 §7.4.9), then ours. Built
 * only once the client-certificate question is settled.
 */
export class ExpectFinished implements State {
  readonly name = 'ExpectFinished12';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly h: Server12;
  private readonly session: Session12;
  private readonly write: RecordProtector;
  private readonly client: ClientAuthDecided;
  constructor(h: Server12, session: Session12, write: RecordProtector, client: ClientAuthDecided) {
    this.h = h;
    this.session = session;
    this.write = write;
    this.client = client;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, p, transcript } = this.h;
    const finished = verifyFinished12(cfg.crypto, this.session, 'client', transcript.current(), fin.verifyData, this.client);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    const h = this.h;
    // RFC 5077 §3.1 Figure 1: NewSessionTicket, then ChangeCipherSpec and Finished.
    const remembered = rememberSession12(h, this.session, h.sessionId, h.serverName, h.clientCertificate, h.ticket, p.resumption12, out);
    return andThen(remembered, () => this.finish(finished, out));
  }

  private finish(finished: FinishedVerified, out: HandshakeOutput): Step {
    const { cfg, transcript } = this.h;
    out.sendChangeCipherSpec('tls12');
    out.installKey('write', { version: 'TLSv1.2', protector: this.write });
    sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished12(cfg.crypto, this.session, 'server', transcript.current()) });
    finishHandshake12(out, cfg.crypto, this.session, finished);
    return { next: new RenegotiationRefused('server') };
  }
}
