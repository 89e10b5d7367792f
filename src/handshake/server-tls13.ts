/**
 * TLS 1.3 server handshake (RFC 9846 §2, §4), once `server-hello.ts` has chosen TLS 1.3:
 * ServerHello, EncryptedExtensions, (CertificateRequest,) Certificate, CertificateVerify,
 * Finished → (ExpectClientCertificate → ExpectClientCertificateVerify →) ExpectFinished →
 * ServerTraffic.
 *
 * @module
 */
import { andThen, type CryptoProvider, type KemEncapsulation, type MaybePromise, type RandomSource } from '../crypto/provider.js';
import { isHybridGroup } from '../crypto/kx.js';
import type { CertifiedKey } from '../config/config.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TLS13_SIGNATURE_SCHEMES } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { KeyUpdateRequest, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { CertificateEntry, ClientHello, EeExtensions, HandshakeMessage, ServerHello } from '../wire/messages.js';
import type { HandshakeOutput, Learned, MessageKind, State, Step } from './state.js';
import { codeName, expect, keepLearned, sendHashed } from './state.js';
import { applicationSecrets, earlyTrafficSecret, finishHandshake, handshakeSecrets, type ApplicationSecrets, type HandshakeSecrets } from './tls13-common.js';
import { nameMatches, type ServerHandshake } from './server-common.js';
import { authenticatePeer, type CertificateChainAccepted } from './peer-auth.js';
import { computeFinished13, verifyFinished13 } from './finished.js';
import { ClientAuthDecided } from './proofs.js';
import { signCertificateVerify13, verifyCertificateVerify13 } from './signatures.js';
import { acceptEarlyData13, originalErrors, sendTickets13, type AcceptedPsk, type TicketOrigin } from './server-psk.js';
import type { CertificateError } from '../verify/verifier.js';

/** What `server-hello.ts` chose for a TLS 1.3 handshake from the (first) ClientHello. */
export interface Choice13 {
  readonly suite: Tls13Suite;
  /** null: the client listed no group we share (only a psk_ke resumption is possible, RFC 9846 §9.2). */
  readonly group: number | null;
  readonly cert: CertifiedKey;
  readonly scheme: number;
  readonly alpn: string | undefined;
  readonly serverName: string | undefined;
}

/** What every TLS 1.3 server state carries once our flight is sent. */
export interface Server13 extends ServerHandshake {
  readonly suite: Tls13Suite;
  readonly secrets: HandshakeSecrets;
  readonly app: ApplicationSecrets;
  /** ALPN and SNI of this handshake, for the tickets we issue. */
  readonly alpn: string | null;
  readonly serverName: string;
  /**
   * Resumed: when the full handshake the session descends from took place (server clock, ms),
   * which the tickets we issue keep (RFC 9846 §4.7.1); null for a full handshake (now).
   */
  readonly authenticatedAt: number | null;
}

/** The client's certificate chain and the errors we accepted in it (for tickets and info). */
export interface ClientChain {
  readonly chain: readonly Uint8Array[];
  readonly errors: readonly CertificateError[];
}
const NO_CLIENT_CHAIN: ClientChain = { chain: [], errors: [] };

/**
 * The server's key_exchange for `group` and the shared secret, from the client's share: for
 * an (EC)DHE group a fresh key share of ours agreed with theirs (RFC 9846 §4.3.8, §7.4); for
 * a post-quantum hybrid, an encapsulation to the client's share (draft-ietf-tls-ecdhe-mlkem
 * §3.2), which a provider listing a hybrid group must implement. The checks of the client's
 * value (illegal_parameter) happen here, before our ServerHello exists.
 */
function respondToKeyShare(crypto: CryptoProvider, group: number, peerShare: Uint8Array, random: RandomSource): MaybePromise<KemEncapsulation> {
  if (isHybridGroup(group)) {
    if (!crypto.encapsulate) throw new TlsError('InternalError', { detail: `provider ${crypto.name} lists ${nameOf('group', group)} but cannot encapsulate` });
    return crypto.encapsulate(group, peerShare, random);
  }
  return andThen(crypto.generateKeyShare(group, random), (ks) => andThen(ks.agree(peerShare), (sharedSecret) => ({ publicKey: ks.publicKey, sharedSecret })));
}

/**
 * Sends ServerHello … Finished (RFC 9846 §2 Figure 1) for the choice `server-hello.ts` made;
 * on resumption (`psk`, RFC 9846 §2.2) ServerHello, EncryptedExtensions and Finished only,
 * with no key share in psk_ke mode (`peerShare` null).
 */
export async function serverFlight13(
  hs: ServerHandshake,
  ch: ClientHello,
  c: Choice13,
  peerShare: Uint8Array | null,
  afterHrr: boolean,
  out: HandshakeOutput,
  psk: AcceptedPsk | null = null,
): Promise<Step> {
  const { cfg, p, transcript, clientRandom } = hs;
  const crypto = cfg.crypto;
  const dhe = psk === null || psk.mode === 'psk_dhe_ke';
  // RFC 9846 §4.3.10: 0-RTT, decided before anything is sent; its key is over Hash(ClientHello).
  const early = await acceptEarlyData13(hs, ch, psk, c.suite, c.alpn, afterHrr);
  const earlySecret = early && psk ? earlyTrafficSecret(crypto, c.suite, psk.state.psk, transcript.current()) : null;
  if (dhe && peerShare === null) throw new TlsError('InternalError', { detail: 'serverFlight13: (EC)DHE without the client share' });
  // Our share, and the shared secret: agree() / encapsulate() validate the client's share before
  // anything is sent (RFC 9846 §4.3.8.2; draft-ietf-tls-ecdhe-mlkem §3.2).
  if (dhe && c.group === null) throw new TlsError('InternalError', { detail: 'serverFlight13: (EC)DHE without a group' });
  const ks = dhe && peerShare && c.group !== null ? await respondToKeyShare(crypto, c.group, peerShare, cfg.random) : null;
  const random = cfg.random(32);
  const sh: ServerHello = {
    type: 'server_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionIdEcho: ch.legacySessionId,
    cipherSuite: c.suite.code,
    legacyCompressionMethod: 0,
    // In the ServerHello's default order: key_share, supported_versions (pre_shared_key: RFC 9846 §4.3.11).
    extensions: {
      rules: 'tls13',
      supportedVersions: ProtocolVersion.TLSv1_3,
      ...(ks && c.group !== null ? { keyShare: { group: c.group, keyExchange: ks.publicKey } } : {}),
      ...(psk ? { preSharedKey: psk.index } : {}),
    },
    isHrr: false,
  };
  const shared = ks ? ks.sharedSecret : null;
  sendHashed(out, transcript, sh);
  // TLS 1.3 signs transcript hashes only: the raw messages are not kept.
  transcript.forgetMessages();
  const learned: Learned = psk
    ? {
        version: 'TLSv1.3',
        cipherSuite: c.suite.name,
        group: ks && c.group !== null ? codeName('group', c.group) : undefined,
        alpn: c.alpn,
        serverName: c.serverName,
        // A resumed connection reports the client certificate the original handshake accepted.
        resumed: true,
        peerCertificates: psk.state.clientChain,
        certificateErrors: originalErrors(psk.state),
        certificateErrorSeverity: psk.state.clientErrors.length > 0 ? 'ignorable' : 'none',
        // The identity SNI chose, as Node reports it on resumption too (not sent: RFC 9846 §2.2).
        localCertificate: c.cert.chain[0],
      }
    : {
        version: 'TLSv1.3',
        cipherSuite: c.suite.name,
        group: c.group !== null ? codeName('group', c.group) : undefined,
        alpn: c.alpn,
        serverName: c.serverName,
        signatureScheme: codeName('scheme', c.scheme),
        localCertificate: c.cert.chain[0],
      };
  if (!afterHrr && ch.legacySessionId.length > 0) out.sendChangeCipherSpec('compat');
  // RFC 9846 §7.1: on resumption the Early Secret comes from the PSK.
  const secrets = handshakeSecrets(crypto, c.suite, shared, transcript.current(), psk ? psk.state.psk : null);
  out.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secrets.clientHandshake);
  out.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', clientRandom, secrets.serverHandshake);
  out.installKey('write', { version: 'TLSv1.3', suite: c.suite, secret: secrets.serverHandshake });
  if (earlySecret && psk) {
    // RFC 9846 §4.3.10: the client's early data and EndOfEarlyData come under the early key,
    // up to the ticket's max_early_data_size.
    out.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', clientRandom, earlySecret);
    out.installKey('read', { version: 'TLSv1.3', suite: c.suite, secret: earlySecret });
    out.acceptEarlyData(psk.state.maxEarlyData);
  } else {
    out.installKey('read', { version: 'TLSv1.3', suite: c.suite, secret: secrets.clientHandshake });
    // RFC 9846 §4.3.10: 0-RTT not accepted (no early_data in EncryptedExtensions): the client's
    // early records, protected under a key we do not use, are skipped.
    if (ch.extensions.earlyData !== undefined && !afterHrr) out.skipEarlyData('undecryptable');
  }

  let ee: EeExtensions = early ? { earlyData: true } : {};
  if (c.alpn !== undefined) ee.alpn = c.alpn;
  // RFC 6066 §3: acknowledge server_name with an empty extension when we used it.
  if (c.serverName !== undefined && c.cert.names.some((n) => nameMatches(n, c.serverName!))) ee.serverName = true;
  // Test hook (RFC 8448 replay; a server breaking the rules).
  if (p.encryptedExtensionsHook) ee = p.encryptedExtensionsHook(ee);
  sendHashed(out, transcript, { type: 'encrypted_extensions', extensions: ee });
  if (psk) {
    // RFC 9846 §2.2: the PSK authenticates us; no Certificate, CertificateVerify, nor (§4.4.2)
    // CertificateRequest. Our Finished, keyed by the PSK-derived secret, comes next.
    sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished13(crypto, c.suite, secrets.serverHandshake, transcript.current()) });
    const app = applicationSecrets(secrets, transcript.current());
    out.installKey('write', { version: 'TLSv1.3', suite: c.suite, secret: app.serverApplication });
    const h: Server13 = { ...hs, suite: c.suite, secrets, app, alpn: c.alpn ?? null, serverName: c.serverName ?? '', authenticatedAt: psk.state.authenticatedAt ?? psk.state.issuedAt };
    const chain: ClientChain = { chain: psk.state.clientChain, errors: originalErrors(psk.state) };
    const decided = ClientAuthDecided.resumed(psk.binder, psk.state.clientAuth, p.clientAuth);
    const withEarly: Learned = ch.extensions.earlyData !== undefined ? { ...learned, earlyData: early ? 'accepted' : 'rejected' } : learned;
    if (early) return { next: new ExpectEndOfEarlyData(h, decided, chain), learned: withEarly };
    return { next: new ExpectFinished(h, decided, chain), learned: withEarly };
  }
  if (p.clientAuth !== 'none') {
    // RFC 9846 §4.4.2: empty context in the main handshake; signature_algorithms is mandatory.
    const signatureAlgorithms = cfg.signatureSchemes.filter((s) => TLS13_SIGNATURE_SCHEMES.includes(s));
    sendHashed(out, transcript, { type: 'certificate_request', context: new Uint8Array(0), extensions: { signatureAlgorithms } });
  }
  const entries: CertificateEntry[] = c.cert.chain.map((der) => ({ certData: der, extensions: {} }));
  if (ch.extensions.statusRequest !== undefined && c.cert.ocspResponse && entries[0]) {
    // RFC 9846 §4.5.1.1: staple the OCSP response in the leaf's status_request extension.
    entries[0].extensions.statusRequest = certificateStatusBody(c.cert.ocspResponse);
  }
  sendHashed(out, transcript, { type: 'certificate', context: new Uint8Array(0), entries });
  const signature = await signCertificateVerify13(cfg, c.cert.key, c.scheme, transcript.current(), 'server');
  sendHashed(out, transcript, { type: 'certificate_verify', scheme: c.scheme, signature });
  sendHashed(out, transcript, { type: 'finished', verifyData: computeFinished13(crypto, c.suite, secrets.serverHandshake, transcript.current()) });
  const app = applicationSecrets(secrets, transcript.current());
  out.installKey('write', { version: 'TLSv1.3', suite: c.suite, secret: app.serverApplication });
  const h: Server13 = { ...hs, suite: c.suite, secrets, app, alpn: c.alpn ?? null, serverName: c.serverName ?? '', authenticatedAt: null };
  // The client's Finished is checked once the client-certificate question is settled.
  if (p.clientAuth === 'none') return { next: new ExpectFinished(h, ClientAuthDecided.notRequested(p.clientAuth), NO_CLIENT_CHAIN), learned };
  return { next: new ExpectClientCertificate(h, p.clientAuth), learned };
}

/** RFC 9846 §4.5.1: the client's Certificate answering our CertificateRequest. */
export class ExpectClientCertificate implements State {
  readonly name = 'ExpectClientCertificate';
  readonly expects: readonly MessageKind[] = ['certificate'];
  private readonly h: Server13;
  private readonly policy: 'request' | 'require';
  constructor(h: Server13, policy: 'request' | 'require') {
    this.h = h;
    this.policy = policy;
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const m = expect(msg, this.name, 'certificate');
    const { cfg, p, transcript } = this.h;
    // RFC 9846 §4.5.1: the context echoes the CertificateRequest's (empty in the handshake).
    if (m.context.length !== 0) throw new TlsError('IllegalParameter', { detail: 'client Certificate context does not match the request' });
    transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `Certificate (${m.entries.length} entries)`, message: m });
    if (m.entries.length === 0) {
      // RFC 9846 §4.5.1.3: without a client certificate the server may continue or send certificate_required.
      if (this.policy === 'require') throw new TlsError('CertificateRequired', { detail: 'the client sent no certificate' });
      return { next: new ExpectFinished(this.h, ClientAuthDecided.withoutCertificate(this.policy, m), NO_CLIENT_CHAIN) };
    }
    const certs = m.entries.map((e) => e.certData);
    const judged = await authenticatePeer('client', cfg, p.auth, certs, null, out);
    const client: ClientChain = { chain: certs, errors: judged.learned.certificateErrors ?? [] };
    return { next: new ExpectClientCertificateVerify(this.h, judged.chain, client), learned: judged.learned };
  }
}

/** RFC 9846 §4.5.2: the client proves possession of the key of the chain we accepted. */
export class ExpectClientCertificateVerify implements State {
  readonly name = 'ExpectClientCertificateVerify';
  readonly expects: readonly MessageKind[] = ['certificate_verify'];
  private readonly h: Server13;
  private readonly chain: CertificateChainAccepted<'client'>;
  private readonly client: ClientChain;
  constructor(h: Server13, chain: CertificateChainAccepted<'client'>, client: ClientChain) {
    this.h = h;
    this.chain = chain;
    this.client = client;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const cv = expect(msg, this.name, 'certificate_verify');
    const { cfg, transcript } = this.h;
    // Reported even when the signature fails.
    const learned: Learned = { clientSignatureScheme: codeName('scheme', cv.scheme) };
    const checked = keepLearned(learned, () => verifyCertificateVerify13(cfg, this.chain, cv.scheme, cv.signature, transcript.current()));
    return andThen(checked, (signature) => {
      transcript.add(cv.raw!);
      if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `CertificateVerify ${nameOf('scheme', cv.scheme)}`, message: cv });
      return { next: new ExpectFinished(this.h, ClientAuthDecided.byCertificate(signature), this.client), learned };
    });
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

/**
 * 0-RTT accepted: the client's early data (delivered as it comes, through the connection's
 * early-data window) until its EndOfEarlyData (RFC 9846 §4.6.1), under the early key; then
 * its handshake key for the rest of its flight.
 */
export class ExpectEndOfEarlyData implements State {
  readonly name = 'ExpectEndOfEarlyData';
  readonly expects: readonly MessageKind[] = ['end_of_early_data'];
  private readonly h: Server13;
  private readonly client: ClientAuthDecided;
  private readonly chain: ClientChain;
  constructor(h: Server13, client: ClientAuthDecided, chain: ClientChain) {
    this.h = h;
    this.client = client;
    this.chain = chain;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const m = expect(msg, this.name, 'end_of_early_data');
    this.h.transcript.add(m.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'EndOfEarlyData', message: m });
    out.endEarlyData();
    // RFC 9846 §5.1: EndOfEarlyData ends its record (the key changes after it).
    out.installKey('read', { version: 'TLSv1.3', suite: this.h.suite, secret: this.h.secrets.clientHandshake });
    return { next: new ExpectFinished(this.h, this.client, this.chain) };
  }
}

/**
 * The client's Finished (RFC 9846 §4.5.3). Built only once the client-certificate question
 * is settled (not requested, none sent, or a verified certificate).
 */
export class ExpectFinished implements State {
  readonly name = 'ExpectFinished';
  readonly expects: readonly MessageKind[] = ['finished'];
  private readonly h: Server13;
  private readonly client: ClientAuthDecided;
  private readonly chain: ClientChain;
  constructor(h: Server13, client: ClientAuthDecided, chain: ClientChain) {
    this.h = h;
    this.client = client;
    this.chain = chain;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const fin = expect(msg, this.name, 'finished');
    const { cfg, p, transcript, suite, secrets, app } = this.h;
    const finished = verifyFinished13(cfg.crypto, suite, secrets.clientHandshake, transcript.current(), fin.verifyData, this.client);
    transcript.add(fin.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'Finished', message: fin });
    out.installKey('read', { version: 'TLSv1.3', suite, secret: app.clientApplication });
    const traffic = finishHandshake(out, cfg.crypto, this.h.clientRandom, suite, app, p.sessionTickets > 0 ? transcript.current() : null, finished);
    const next: Step = { next: new ServerTraffic() };
    if (p.sessionTickets === 0 || traffic.resumption === null) return next;
    // RFC 9846 §4.7.1: tickets for resumption, recording what this handshake (or, resumed, the original one) decided.
    const origin: TicketOrigin = { alpn: this.h.alpn, serverName: this.h.serverName, clientAuth: this.client.outcome, clientChain: this.chain.chain, clientErrors: this.chain.errors, authenticatedAt: this.h.authenticatedAt ?? cfg.now() };
    return andThen(sendTickets13(this.h, suite, traffic.resumption, origin, out), () => next);
  }
}

const SERVER_TRAFFIC_EXPECTS: readonly MessageKind[] = Object.freeze(['key_update']);

/** Post-handshake server: only KeyUpdate is allowed (RFC 9846 §4.7). */
export class ServerTraffic implements State {
  readonly name = 'ServerTraffic';
  // Shared by every idle connection (memory, issue 9): not an array per connection.
  readonly expects: readonly MessageKind[] = SERVER_TRAFFIC_EXPECTS;
  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const m = expect(msg, this.name, 'key_update');
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'KeyUpdate', message: m });
    out.peerKeyUpdate(m.requestUpdate === KeyUpdateRequest.update_requested);
    return { next: this };
  }
}
