/**
 * Where the client's handshake chooses its version: building the ClientHello for every
 * version we offer (RFC 9846 §4.2.2; RFC 5246 §7.4.1.2), answering a HelloRetryRequest
 * (RFC 9846 §4.2.4), and reading the ServerHello (RFC 9846 §4.2.3, §4.2.1; RFC 5246
 * §7.4.1.3). Once the server's choice is checked, the handshake goes on in
 * `client-tls13.ts` or `client-tls12.ts`, which never look at the other version.
 *
 * @module
 */
import type { ResolvedCommon } from '../config/config.js';
import { andThen, isPromiseLike, type KeyShare, type MaybePromise } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { tls12Suite, tls13Suite } from '../crypto/suites.js';
import { isHybridGroup } from '../crypto/kx.js';
import { TlsError } from '../base/errors.js';
import { NamedGroup, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { ClientHello, ClientHelloExtensions, HandshakeMessage, HelloRetryRequest, ServerHello } from '../wire/messages.js';
import { OCSP_STATUS_REQUEST } from './peer-auth.js';
import type { HandshakeOutput, MessageKind, State, Step } from './state.js';
import { expect, sendHashed } from './state.js';
import { TranscriptHash } from './transcript.js';
import { checkOnlyOffered, type ClientHandshake, type ClientParams, type Offer } from './client-common.js';
import { serverHello13 } from './client-tls13.js';
import type { PskOffer, PskSelected } from './psk.js';
import type { ResumableSession, Tls12Session } from '../session/session.js';

/**
 * Starts a client handshake: sends ClientHello and returns the first state (once the key
 * shares exist: a provider that generates them asynchronously makes this a promise).
 */
export function startClient(cfg: ResolvedCommon, p: ClientParams, out: HandshakeOutput): MaybePromise<State> {
  // RFC 9846 §2.2 / RFC 5246 §7.3: a session from an earlier connection, taken out of the store (single use).
  const r = p.sessions?.resumption;
  const session = p.sessions && r ? r.take(p.sessions.store, p.sessions.key, cfg.now()) : undefined;
  return andThen(session, (s) =>
    startWith(cfg, p, r && s ? r.pskOfferFor(cfg, s) : null, r && s && offeredVersions(cfg).offers12 ? r.session12For(cfg, s) : undefined, out),
  );
}

function startWith(cfg: ResolvedCommon, p: ClientParams, psk: PskOffer | null, session12: Tls12Session | undefined, out: HandshakeOutput): MaybePromise<State> {
  const { offers13, offers12 } = offeredVersions(cfg);
  const random = cfg.random(32);
  // RFC 9846 §E.4: middlebox compatibility mode uses a non-empty legacy_session_id.
  const compatId = offers13 ? cfg.random(32) : new Uint8Array(0);
  // TLS 1.2 resumption (client-resume12.ts): the session ID and the SessionTicket extension.
  const r = p.sessions?.resumption;
  const o12 = r ? r.offer12(session12, offers12, compatId, cfg.random) : { legacySessionId: compatId, sessionTicket: undefined };
  const sessionId = o12.legacySessionId;
  let shares: MaybePromise<KeyShare>[] = [];
  if (offers13) {
    const groups = p.keyShareGroups.filter((g) => cfg.groups.includes(g));
    const shareGroups = groups.length > 0 ? groups : [cfg.groups[0]!];
    shares = shareGroups.map((g) => cfg.crypto.generateKeyShare(g, cfg.random));
  }
  return andThen(allOf(shares), (made) => sendClientHello(cfg, p, random, sessionId, made, psk, out, o12.sessionTicket, session12));
}

/** Every value of `list`, at once when none is a promise. */
function allOf<T>(list: MaybePromise<T>[]): MaybePromise<T[]> {
  return list.some(isPromiseLike) ? Promise.all(list) : (list as T[]);
}

function sendClientHello(
  cfg: ResolvedCommon,
  p: ClientParams,
  random: Uint8Array,
  sessionId: Uint8Array,
  shares: KeyShare[],
  psk: PskOffer | null,
  out: HandshakeOutput,
  sessionTicket: Uint8Array | undefined,
  session12: Tls12Session | undefined,
): State {
  const { offers13, offers12 } = offeredVersions(cfg);
  let ch = buildClientHello(cfg, p, random, sessionId, shares, sessionTicket);
  // RFC 9846 §4.3.10: 0-RTT only with a ticket that allows at least this much early data.
  const early = psk && p.earlyData && p.earlyData.length <= psk.session.maxEarlyData ? p.earlyData : null;
  if (early) ch = { ...ch, extensions: { ...ch.extensions, earlyData: true } };
  // RFC 9846 §4.3.11: pre_shared_key last, its binder over this ClientHello truncated before the binders.
  if (psk) ch = p.sessions!.resumption.offerPsk(cfg.crypto, ch, psk, cfg.now(), p.allowPskKe, null);
  const hs: ClientHandshake = { cfg, p, transcript: new TranscriptHash(cfg.crypto), clientRandom: ch.random };
  const raw = out.send(ch);
  hs.transcript.add(raw);
  // 0-RTT data (RFC 9846 §2.3): a PSK was offered, so this client has the resumption part.
  if (early && psk) p.sessions!.resumption.sendEarlyData(hs, psk, early, raw, out);
  // No 0-RTT possible: the data goes first after the handshake (unless the caller opted out).
  else if (p.earlyData) out.earlyDataOutcome(false, p.earlyData, p.retryEarlyData);
  const byGroup = new Map<number, KeyShare>();
  for (const e of ch.extensions.keyShare ?? []) {
    const s = shares.find((k) => k.group === e.group);
    if (s) byGroup.set(e.group, s);
  }
  const offer: Offer = { ch, shares: byGroup, offers13, offers12, psk, session12, early };
  return new ExpectServerHello(hs, offer, null);
}

/** Which versions the configuration lets us offer. */
function offeredVersions(cfg: ResolvedCommon): { offers13: boolean; offers12: boolean } {
  const { minVersion, maxVersion, suites } = cfg;
  const offers13 = maxVersion >= ProtocolVersion.TLSv1_3 && suites.some((s) => tls13Suite(s) !== undefined);
  const offers12 = minVersion <= ProtocolVersion.TLSv1_2 && suites.some((s) => tls12Suite(s) !== undefined);
  if (!offers13 && !offers12) throw new TlsError('InvalidConfig', { detail: 'no cipher suite for the configured versions' });
  return { offers13, offers12 };
}

/** Builds our ClientHello (RFC 9846 §4.2.2; for TLS 1.2 also RFC 5246 §7.4.1.2). */
function buildClientHello(cfg: ResolvedCommon, p: ClientParams, random: Uint8Array, sessionId: Uint8Array, shares: readonly KeyShare[], sessionTicket?: Uint8Array): ClientHello {
  const { offers13, offers12 } = offeredVersions(cfg);
  const ext: ClientHelloExtensions = {};
  // RFC 6066 §3: the host name is sent "without a trailing dot" (an absolute name given as
  // servername: 'example.com.'); the certificate check ignores the dot too (hostname.ts).
  const sni = p.serverName?.endsWith('.') ? p.serverName.slice(0, -1) : p.serverName;
  if (p.sendSni && sni) ext.serverName = sni;
  // The post-quantum hybrids are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem §1): not listed when we offer TLS 1.2 alone.
  const groups = offers13 ? [...cfg.groups] : cfg.groups.filter((g) => !isHybridGroup(g));
  const suites = cfg.suites.filter((s) => (offers13 && tls13Suite(s) !== undefined) || (offers12 && tls12Suite(s) !== undefined));
  if (offers12 && suites.some((s) => tls12Suite(s)?.auth === 'ecdsa')) {
    // TLS 1.2 (RFC 8422 §5.1.1): supported_groups also names the curves an ECDSA certificate
    // may use; servers abort when their certificate's curve is missing, so list P-256/P-384.
    for (const g of [NamedGroup.secp256r1, NamedGroup.secp384r1]) if (!groups.includes(g) && cfg.crypto.groups.includes(g)) groups.push(g);
  }
  ext.supportedGroups = groups;
  ext.signatureAlgorithms = [...cfg.signatureSchemes];
  if (offers13) {
    ext.supportedVersions = offers12 ? [ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2] : [ProtocolVersion.TLSv1_3];
    ext.keyShare = shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }));
  }
  if (cfg.alpn.length > 0) ext.alpn = [...cfg.alpn];
  // RFC 6066 §8 (TLS 1.2) / RFC 9846 §4.5.1.1 (TLS 1.3): ask for a stapled OCSP response.
  if (p.requestOcsp) ext.statusRequest = OCSP_STATUS_REQUEST;
  if (offers12) {
    // RFC 8422 §5.1.2: uncompressed points only.
    ext.ecPointFormats = [0];
    // RFC 7627 §5.1: ask for the extended master secret.
    ext.extendedMasterSecret = true;
    // RFC 5746 §3.4: signal secure renegotiation with an empty renegotiation_info.
    ext.renegotiationInfo = new Uint8Array(0);
    // RFC 5077 §3.2: a ticket to resume, or empty to ask for one.
    if (sessionTicket !== undefined) ext.sessionTicket = sessionTicket;
  }
  const ch: ClientHello = {
    type: 'client_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    // The TLS 1.3 compatibility ID, or the ID of the TLS 1.2 session we offer (RFC 9846 §4.2.2), or empty.
    legacySessionId: sessionId,
    cipherSuites: suites,
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: ext,
  };
  // Test hook (RFC 8448 replay; a peer breaking the rules).
  return p.clientHelloHook ? p.clientHelloHook(ch) : ch;
}

/**
 * The server's answer to our ClientHello: a ServerHello for TLS 1.3 or TLS 1.2, or (once) a
 * HelloRetryRequest. The version is chosen here and nowhere else.
 */
class ExpectServerHello implements State {
  readonly name = 'ExpectServerHello';
  readonly expects: readonly MessageKind[] = ['server_hello'];
  private readonly hs: ClientHandshake;
  private readonly offer: Offer;
  private readonly hrr: HelloRetryRequest | null;

  constructor(hs: ClientHandshake, offer: Offer, hrr: HelloRetryRequest | null) {
    this.hs = hs;
    this.offer = offer;
    this.hrr = hrr;
  }

  handle(msg: HandshakeMessage, out: HandshakeOutput): MaybePromise<Step> {
    const sh = expect(msg, this.name, 'server_hello');
    const ext = sh.extensions;
    const version = ext.supportedVersions;
    // RFC 9846 §4.2.3 / §4.2.1: without supported_versions the server negotiated TLS 1.2 or below.
    if (version === undefined) return this.belowTls13(sh, out);
    // RFC 9846 §4.3.1: supported_versions in ServerHello only answers a client that sent it.
    if (!this.offer.offers13) {
      throw new TlsError('UnsupportedExtension', { detail: 'ServerHello selects a version through supported_versions, which we did not send' });
    }
    // RFC 9846 §4.3.1: a version not offered, or prior to TLS 1.3 → illegal_parameter.
    if (version !== ProtocolVersion.TLSv1_3) {
      throw new TlsError('IllegalParameter', { detail: `server selected version ${nameOf('version', version)} which we did not offer` });
    }
    // RFC 9846 §4.2.3: legacy_version MUST be 0x0303; otherwise a "protocol_version" alert.
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError('ProtocolVersion', { detail: `ServerHello legacy_version 0x${sh.legacyVersion.toString(16)}` });
    }
    // RFC 9846 §4.2.3: legacy_session_id_echo must match what we sent.
    if (!this.hs.cfg.crypto.equal(sh.legacySessionIdEcho, this.offer.ch.legacySessionId)) {
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
    if (sh.isHrr) return this.onHelloRetryRequest(sh, suite, out);
    const shExt = sh.extensions;
    // supported_versions selects TLS 1.3 (checked above), so the block follows the TLS 1.3 rules.
    if (shExt.rules !== 'tls13') throw new TlsError('InternalError', { detail: 'TLS 1.3 ServerHello read by the TLS 1.2 rules' });

    // RFC 9846 §4.2.4: the ServerHello after an HRR must keep the HRR's suite and version.
    if (this.hrr && this.hrr.cipherSuite !== sh.cipherSuite) {
      throw new TlsError('IllegalParameter', { detail: 'ServerHello cipher suite differs from the HelloRetryRequest' });
    }
    // RFC 9846 §4.3.11: the server resumes with the PSK we offered, consistently, or declines it.
    const resumed = shExt.preSharedKey !== undefined ? this.acceptPsk(shExt.preSharedKey, suite, shExt.keyShare !== undefined) : null;
    const ks = shExt.keyShare;
    // psk_ke (RFC 9846 §4.3.9): the PSK alone, no (EC)DHE; acceptPskSelection checked that we offered it.
    if (!ks && resumed) return serverHello13(this.hs, this.offer, sh, suite, null, null, out, resumed);
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
    return serverHello13(this.hs, this.offer, sh, suite, share, ks.keyExchange, out, resumed);
  }

  /**
   * The server's pre_shared_key selection (RFC 9846 §4.3.11): checked by the resumption part
   * (`psk.ts` acceptPskSelection) against the PSK we offered; without an offer any selection
   * is one we did not offer (illegal_parameter).
   */
  private acceptPsk(selected: number, suite: Tls13Suite, hasKeyShare: boolean): PskSelected {
    const offer = this.offer.psk;
    if (!offer) throw new TlsError('IllegalParameter', { detail: `server selected PSK identity ${selected}, which we did not offer` });
    // A PSK was offered, so this client has the resumption part.
    return this.hs.p.sessions!.resumption.acceptPskSelection(offer, selected, suite, hasKeyShare, this.offer.ch.extensions.pskKeyExchangeModes);
  }

  /** A ServerHello without supported_versions: TLS 1.2, if we offered it (RFC 9846 §4.2.3; RFC 5246 §7.4.1.3). */
  private belowTls13(sh: ServerHello | HelloRetryRequest, out: HandshakeOutput): Step {
    // RFC 9846 §4.2.4: after a HelloRetryRequest the server must stay with TLS 1.3.
    if (this.hrr) throw new TlsError('IllegalParameter', { detail: 'ServerHello after HelloRetryRequest negotiates a version below TLS 1.3' });
    if (sh.legacyVersion < ProtocolVersion.TLSv1_2) {
      throw new TlsError('ProtocolVersion', { detail: `server chose ${nameOf('version', sh.legacyVersion)}; puretls requires TLS 1.2 or later` });
    }
    if (sh.legacyVersion !== ProtocolVersion.TLSv1_2) {
      throw new TlsError('IllegalParameter', { detail: `ServerHello legacy_version ${nameOf('version', sh.legacyVersion)} without supported_versions` });
    }
    if (!this.offer.offers12) throw new TlsError('ProtocolVersion', { detail: 'server chose TLSv1.2, but minVersion is TLSv1.3' });
    const tls12 = this.hs.p.tls12;
    // Not offered without the module (its minVersion is TLSv1.3), so refused above; kept as a guard.
    if (tls12 === null) throw new TlsError('ProtocolVersion', { detail: 'server chose TLSv1.2, which this configuration cannot do' });
    // The rest of the TLS 1.2 ServerHello checks are the module's (src/handshake/client-tls12.ts).
    return tls12(this.hs, this.offer, sh, out);
  }

  /** RFC 9846 §4.2.4: a HelloRetryRequest; we send the second ClientHello and expect a ServerHello again. */
  private onHelloRetryRequest(hrr: HelloRetryRequest, suite: Tls13Suite, out: HandshakeOutput): MaybePromise<Step> {
    const { cfg, p, transcript } = this.hs;
    // RFC 9846 §4.2.4: a second HelloRetryRequest → unexpected_message.
    if (this.hrr) throw new TlsError('UnexpectedMessage', { detail: 'second HelloRetryRequest' });
    const ext = hrr.extensions;
    const group = ext.keyShare;
    if (group === undefined && ext.cookie === undefined) {
      // RFC 9846 §4.2.4: an HRR that would not change the ClientHello → illegal_parameter.
      throw new TlsError('IllegalParameter', { detail: 'HelloRetryRequest changes nothing' });
    }
    let shares: MaybePromise<KeyShare[]> = [...this.offer.shares.values()];
    if (group !== undefined) {
      // RFC 9846 §4.3.8: the group must be in supported_groups and must not already have had a share.
      if (!(this.offer.ch.extensions.supportedGroups ?? []).includes(group)) {
        throw new TlsError('IllegalParameter', { detail: `HelloRetryRequest selects ${nameOf('group', group)}, which we did not offer` });
      }
      if (this.offer.shares.has(group)) {
        throw new TlsError('IllegalParameter', { detail: `HelloRetryRequest selects ${nameOf('group', group)}, for which we already sent a share` });
      }
      shares = andThen(cfg.crypto.generateKeyShare(group, cfg.random), (s) => [s]);
    }
    return andThen(shares, (made) => this.retry(hrr, suite, made, out));
  }

  /** The second ClientHello, with `shares` (RFC 9846 §4.2.2). */
  private retry(hrr: HelloRetryRequest, suite: Tls13Suite, shares: KeyShare[], out: HandshakeOutput): Step {
    const { p, transcript } = this.hs;
    const ext = hrr.extensions;
    const group = ext.keyShare;
    transcript.setHash(suite.hash);
    // RFC 9846 §4.1: ClientHello1 is replaced by message_hash(Hash(ClientHello1)).
    transcript.replaceWithMessageHash();
    transcript.add(hrr.raw!);
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `HelloRetryRequest ${group !== undefined ? nameOf('group', group) : ''}`, message: hrr });
    // RFC 9846 §E.4: in compatibility mode the client sends CCS before its second flight.
    if (this.offer.ch.legacySessionId.length > 0) out.sendChangeCipherSpec('compat');
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
    if (p.clientHelloHook) ch2 = p.clientHelloHook(ch2);
    const psk = pskAfterRetry(this.offer.psk, suite);
    ch2 = retryPsk(this.hs, ch2, psk);
    if (this.offer.early) {
      // RFC 9846 §4.3.10: a HelloRetryRequest rejects the early data; ClientHello2 goes in
      // plaintext (its early_data was removed above), and the data goes after the handshake.
      out.plaintextWrites();
      out.earlyDataOutcome(false, this.offer.early, p.retryEarlyData);
    }
    sendHashed(out, transcript, ch2);
    const offer: Offer = { ...this.offer, ch: ch2, shares: new Map(shares.map((s) => [s.group, s])), psk, early: null };
    return { next: new ExpectServerHello(this.hs, offer, hrr), learned: this.offer.early ? { helloRetryRequest: true, earlyData: 'rejected' } : { helloRetryRequest: true } };
  }
}

/**
 * The PSK kept in the second ClientHello: RFC 9846 §4.2.2 lets the client remove a PSK "not
 * compatible with the server's indicated cipher suite" (its hash differs from the HRR's suite's).
 */
function pskAfterRetry(psk: PskOffer | null, suite: Tls13Suite): PskOffer | null {
  return psk && psk.hash === suite.hash ? psk : null;
}

/**
 * The second ClientHello's pre_shared_key (RFC 9846 §4.2.2: "updating the
 * "pre_shared_key" extension if present by recomputing the "obfuscated_ticket_age" and
 * binder values"): binders over message_hash(ClientHello1) ‖ HelloRetryRequest ‖ the
 * truncated ClientHello2 (§4.3.11.2); or none when the PSK was dropped.
 */
function retryPsk(hs: ClientHandshake, ch2: ClientHello, psk: PskOffer | null): ClientHello {
  if (ch2.extensions.preSharedKey === undefined) return ch2;
  if (!psk) return { ...ch2, extensions: { ...ch2.extensions, preSharedKey: undefined } };
  // A PSK was offered, so this client has the resumption part.
  return hs.p.sessions!.resumption.offerPsk(hs.cfg.crypto, ch2, psk, hs.cfg.now(), hs.p.allowPskKe, hs.transcript);
}
