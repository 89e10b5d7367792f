/**
 * Where the server's handshake chooses its version: reading the ClientHello, choosing the
 * version (RFC 9846 §4.3.1; RFC 5246 Appendix E.1), then the suite, group, certificate
 * and ALPN protocol for that version (RFC 9846 §4.2.1; RFC 5246 §7.4.1.2, RFC 8422), and
 * the TLS 1.3 HelloRetryRequest with the second ClientHello it asks for (RFC 9846 §4.2.4,
 * §4.2.2). The server's flight and the states after it are in `server-tls13.ts` and
 * `server-tls12.ts`, which never look at the other version.
 *
 * @module
 */
import type { CertifiedKey, ResolvedCommon } from '../config/config.js';
import { legacySuiteKind, tls12Suite, tls13Suite, type Tls12Suite } from '../crypto/suites.js';
import { isHybridGroup } from '../crypto/kx.js';
import { TlsError } from '../base/errors.js';
import { CipherSuite, ExtensionType, NamedGroup, ProtocolVersion, nameOf } from '../wire/codes.js';
import { HRR_RANDOM, clientHelloExtensionBlocks } from '../wire/hello.js';
import type { ClientHello, HandshakeMessage, HelloRetryRequest, HelloRetryRequestExtensions } from '../wire/messages.js';
import type { HandshakeOutput, MessageKind, State, Step } from './state.js';
import { expect, sendHashed } from './state.js';
import { Transcript } from './transcript.js';
import { listForDetail, selectCertificate, type ServerHandshake, type ServerParams } from './server-common.js';
import { keyFitsSuite } from './signatures.js';
import { serverFlight13, type Choice13 } from './server-tls13.js';
import { choosePsk13 } from './server-psk.js';
import { serverFlight12, type Choice12 } from './server-tls12.js';

/** Starts a server handshake. */
export function startServer(cfg: ResolvedCommon, p: ServerParams): State {
  if (p.certificates.length === 0) throw new TlsError('InvalidConfig', { detail: 'a server needs a certificate and key' });
  return new ExpectClientHello(cfg, p);
}

/** The first ClientHello: the version is chosen here and nowhere else. */
class ExpectClientHello implements State {
  readonly name = 'ExpectClientHello';
  readonly expects: readonly MessageKind[] = ['client_hello'];
  private readonly cfg: ResolvedCommon;
  private readonly p: ServerParams;
  constructor(cfg: ResolvedCommon, p: ServerParams) {
    this.cfg = cfg;
    this.p = p;
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const ch = expect(msg, this.name, 'client_hello');
    const { cfg, p } = this;
    const hs: ServerHandshake = { cfg, p, transcript: new Transcript(cfg.crypto), clientRandom: ch.random };
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `ClientHello sni=${ch.extensions.serverName ?? '-'}`, message: ch });
    if (selectVersion(cfg, ch) === 'TLSv1.2') return await serverFlight12(hs, ch, negotiate12(cfg, p, ch), out);
    const choice = negotiate13(cfg, p, ch);
    const share = choice.group === null ? undefined : ch.extensions.keyShare?.find((k) => k.group === choice.group);
    // RFC 9846 §4.3.11.2: the first ClientHello's binders cover it alone (truncated).
    const psk = await choosePsk13(hs, ch, choice.suite, share !== undefined, (t) => cfg.crypto.digest(choice.suite.hash, t));
    // RFC 9846 §9.2: what a PSK ClientHello may leave out, a full handshake needs.
    if (!psk && choice.withoutPsk) throw choice.withoutPsk;
    hs.transcript.setHash(choice.suite.hash);
    hs.transcript.add(ch.raw!);
    if (share || psk) return await serverFlight13(hs, ch, choice, share ? share.keyExchange : null, false, out, psk);
    // RFC 9846 §4.2.4: no acceptable share → HelloRetryRequest naming the group, with a cookie.
    // In the HelloRetryRequest's default order: key_share first, as in our ServerHello (and RFC 8448 §5).
    if (choice.group === null) throw new TlsError('InternalError', { detail: 'HelloRetryRequest without a group' });
    let hrrExt: HelloRetryRequestExtensions = { supportedVersions: ProtocolVersion.TLSv1_3, keyShare: choice.group, cookie: cfg.random(32) };
    // Test hook (RFC 8448 §5 replay).
    if (p.helloRetryRequestHook) hrrExt = p.helloRetryRequestHook(hrrExt);
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
    hs.transcript.replaceWithMessageHash();
    sendHashed(out, hs.transcript, hrr);
    // RFC 9846 §4.3.10: we accept no 0-RTT; after a HelloRetryRequest its records are application_data to skip.
    if (ch.extensions.earlyData !== undefined) out.skipEarlyData('app-data');
    // RFC 9846 §E.4: the server's CCS follows its first handshake message in compatibility mode.
    if (ch.legacySessionId.length > 0) out.sendChangeCipherSpec('compat');
    return { next: new ExpectClientHello2(hs, ch, choice, cookie), learned: { helloRetryRequest: true } };
  }
}

/** The second ClientHello, after our HelloRetryRequest (TLS 1.3 only). */
class ExpectClientHello2 implements State {
  readonly name = 'ExpectClientHello2';
  readonly expects: readonly MessageKind[] = ['client_hello'];
  private readonly hs: ServerHandshake;
  private readonly ch1: ClientHello;
  private readonly choice: Choice13;
  private readonly cookie: Uint8Array;
  constructor(hs: ServerHandshake, ch1: ClientHello, choice: Choice13, cookie: Uint8Array) {
    this.hs = hs;
    this.ch1 = ch1;
    this.choice = choice;
    this.cookie = cookie;
  }

  async handle(msg: HandshakeMessage, out: HandshakeOutput): Promise<Step> {
    const ch = expect(msg, this.name, 'client_hello');
    const { cfg, p, transcript } = this.hs;
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: 'ClientHello (after HelloRetryRequest)', message: ch });
    const ext = ch.extensions;
    // Whatever else it carries, the first ClientHello's early data is over (RFC 9846 §4.3.10).
    out.skipEarlyData('none');
    sameClientHello(this.ch1, ch);
    // RFC 9846 §4.3.2: the cookie must be echoed.
    if (ext.cookie === undefined || !cfg.crypto.equal(ext.cookie, this.cookie)) {
      throw new TlsError('IllegalParameter', { detail: 'second ClientHello does not echo our cookie' });
    }
    // RFC 9846 §4.3.8: exactly one share, for the group we asked for.
    const shares = ext.keyShare ?? [];
    // (A HelloRetryRequest always names a group: `choice.group` is set.)
    const asked = this.choice.group!;
    if (shares.length !== 1 || shares[0]!.group !== asked) {
      throw new TlsError('IllegalParameter', { detail: `second ClientHello must carry exactly one key share for ${nameOf('group', asked)}` });
    }
    const choice = negotiate13(cfg, p, ch);
    if (choice.suite.code !== this.choice.suite.code || choice.group !== this.choice.group) {
      throw new TlsError('IllegalParameter', { detail: 'second ClientHello changed the negotiation' });
    }
    // RFC 9846 §4.3.11.2: binders over message_hash(ClientHello1) ‖ HelloRetryRequest ‖ this one truncated.
    const psk = await choosePsk13(this.hs, ch, choice.suite, true, (t) => transcript.currentWith(t));
    if (!psk && choice.withoutPsk) throw choice.withoutPsk;
    transcript.add(ch.raw!);
    return await serverFlight13(this.hs, ch, choice, shares[0]!.keyExchange, true, out, psk);
  }
}

/**
 * Picks the version (RFC 9846 §4.3.1 with supported_versions, RFC 5246 Appendix E.1
 * without) and enforces TLS_FALLBACK_SCSV (RFC 7507 §3).
 */
function selectVersion(cfg: ResolvedCommon, ch: ClientHello): 'TLSv1.3' | 'TLSv1.2' {
  const { minVersion } = cfg;
  const maxVersion = highestVersion(cfg);
  const sv = ch.extensions.supportedVersions;
  const offered = sv ?? [Math.min(ch.legacyVersion, ProtocolVersion.TLSv1_2)];
  const clientMax = Math.max(...offered.filter((v) => v >= ProtocolVersion.SSLv3 && v <= ProtocolVersion.TLSv1_3), 0);
  let chosen: 'TLSv1.3' | 'TLSv1.2' | null = null;
  if (sv !== undefined && sv.includes(ProtocolVersion.TLSv1_3) && maxVersion >= ProtocolVersion.TLSv1_3) chosen = 'TLSv1.3';
  else if (offered.includes(ProtocolVersion.TLSv1_2) && minVersion <= ProtocolVersion.TLSv1_2) chosen = 'TLSv1.2';
  else if (sv === undefined && ch.legacyVersion > ProtocolVersion.TLSv1_2 && minVersion <= ProtocolVersion.TLSv1_2) chosen = 'TLSv1.2';
  if (chosen === null) {
    const names = sv ? listForDetail('version', sv) : `${nameOf('version', ch.legacyVersion)} at most`;
    throw new TlsError('ProtocolVersion', {
      detail: `client offered ${names}; this server accepts ${minVersion === maxVersion ? nameOf('version', maxVersion) : 'TLSv1.2 and TLSv1.3'} only`,
    });
  }
  // RFC 7507 §3: a fallback retry below our highest version means an attacker interfered.
  if (ch.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV) && clientMax < maxVersion) {
    throw new TlsError('InappropriateFallback', { detail: `client signalled a fallback to ${nameOf('version', clientMax)}, below our highest version` });
  }
  return chosen;
}

/** The highest version we can really negotiate: TLS 1.3 needs a TLS 1.3 suite configured. */
function highestVersion(cfg: ResolvedCommon): number {
  const { maxVersion, suites } = cfg;
  if (maxVersion >= ProtocolVersion.TLSv1_3 && !suites.some((s) => tls13Suite(s) !== undefined)) return ProtocolVersion.TLSv1_2;
  return maxVersion;
}

/**
 * ALPN (RFC 7301 §3.2): our preference among the client's protocols; none in common →
 * no_application_protocol. Undefined when either side has none.
 */
function selectAlpn(cfg: ResolvedCommon, offered: readonly string[] | undefined): string | undefined {
  const ours = cfg.alpn;
  if (offered === undefined || ours.length === 0) return undefined;
  const alpn = ours.find((a) => offered.includes(a));
  if (alpn === undefined) {
    throw new TlsError('NoApplicationProtocol', { detail: `client offered ALPN ${listForDetail(null, offered)}; we support ${listForDetail(null, ours)}` });
  }
  return alpn;
}

/**
 * The negotiation of a TLS 1.3 ClientHello, before the PSK is chosen: `withoutPsk` is what
 * makes a full handshake impossible although a PSK could still resume (RFC 9846 §9.2: a
 * ClientHello with pre_shared_key may omit signature_algorithms, and supported_groups with
 * key_share, e.g. a psk_ke-only client; a full handshake then needs what it left out).
 */
interface Draft13 extends Choice13 {
  readonly withoutPsk: TlsError | null;
}

/** Checks of a TLS 1.3 ClientHello and the negotiation (RFC 9846 §4.2.2, §4.2.1, §9.2). */
function negotiate13(cfg: ResolvedCommon, p: ServerParams, ch: ClientHello): Draft13 {
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
  // RFC 9846 §9.2: signature_algorithms, supported_groups and key_share are mandatory without
  // PSK; with one offered, their absence fails only a handshake that cannot resume.
  const pskOffered = ext.preSharedKey !== undefined;
  let withoutPsk: TlsError | null = null;
  const needed = (e: TlsError): void => {
    if (!pskOffered) throw e;
    withoutPsk ??= e;
  };
  if (ext.signatureAlgorithms === undefined) needed(new TlsError('MissingExtension', { detail: 'ClientHello has no signature_algorithms' }));
  if (ext.supportedGroups === undefined) needed(new TlsError('MissingExtension', { detail: 'ClientHello has no supported_groups' }));
  if (ext.keyShare === undefined) needed(new TlsError('MissingExtension', { detail: 'ClientHello has no key_share' }));
  // RFC 9846 §9.2: "If containing a "supported_groups" extension, it MUST also contain a "key_share" extension, and vice versa."
  if ((ext.supportedGroups === undefined) !== (ext.keyShare === undefined)) {
    throw new TlsError('MissingExtension', { detail: `ClientHello has ${ext.keyShare === undefined ? 'supported_groups without key_share' : 'key_share without supported_groups'}` });
  }
  // RFC 9846 §4.3.8: one share per group, each in supported_groups.
  const seen = new Set<number>();
  const offeredGroups = new Set(ext.supportedGroups);
  for (const ks of ext.keyShare ?? []) {
    if (seen.has(ks.group)) throw new TlsError('IllegalParameter', { detail: `two key shares for ${nameOf('group', ks.group)}` });
    seen.add(ks.group);
    if (!offeredGroups.has(ks.group)) {
      throw new TlsError('IllegalParameter', { detail: `key share for ${nameOf('group', ks.group)}, which is not in supported_groups` });
    }
  }
  let group: number | null = null;
  if (ext.supportedGroups !== undefined) {
    try {
      group = chooseGroup13(cfg.groups, ext.supportedGroups, seen);
    } catch (e) {
      // No group in common: only a psk_ke resumption can go on.
      needed(e as TlsError);
    }
  }
  const serverName = ext.serverName?.toLowerCase();
  const clientSchemes = ext.signatureAlgorithms ?? [];
  let selected = selectCertificate(cfg, p, serverName, clientSchemes, 'TLSv1.3');
  if (!selected) {
    needed(new TlsError('HandshakeFailure', { detail: `no certificate can sign with the client's signature schemes (${listForDetail('scheme', clientSchemes)})` }));
    // Resumption signs nothing (RFC 9846 §2.2): the certificate is only the identity reported locally.
    selected = selectCertificate(cfg, p, serverName, cfg.signatureSchemes, 'TLSv1.3');
    if (!selected) throw withoutPsk!;
  }
  const { cert, scheme } = selected;
  const alpn = selectAlpn(cfg, ext.alpn);
  return { suite, group, cert, scheme, alpn, serverName, withoutPsk };
}

/**
 * The TLS 1.3 group (RFC 9846 §4.2.1, §4.3.8): the groups we and the client both support form
 * two tiers, post-quantum hybrids (draft-ietf-tls-ecdhe-mlkem) and classical (EC)DHE; the tier
 * of our most preferred common group is the one we negotiate (by default hybrids come first,
 * so a client listing a hybrid gets one). Within the tier: our preference among the groups the
 * client sent a share for, else our preference among the others, answered with a
 * HelloRetryRequest (RFC 9846 §4.2.4). So a client that lists X25519MLKEM768 but sends an
 * x25519 share only is asked for an X25519MLKEM768 share, and a classical-only configuration
 * behaves as before (no HelloRetryRequest while any share is acceptable).
 */
export function chooseGroup13(ours: readonly number[], clientGroups: readonly number[], clientShares: ReadonlySet<number>): number {
  const common = ours.filter((g) => clientGroups.includes(g));
  if (common.length === 0) {
    throw new TlsError('HandshakeFailure', { detail: `no common group; client offered ${listForDetail('group', clientGroups)}` });
  }
  const tier = isHybridGroup(common[0]!);
  const same = common.filter((g) => isHybridGroup(g) === tier);
  return same.find((g) => clientShares.has(g)) ?? same[0]!;
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

/** Checks of a ClientHello answered with TLS 1.2 and the negotiation (RFC 5246 §7.4.1.2, RFC 8422, RFC 5746, RFC 7627). */
function negotiate12(cfg: ResolvedCommon, p: ServerParams, ch: ClientHello): Choice12 {
  const ext = ch.extensions;
  // RFC 5246 §7.4.1.2: the null compression method must be offered.
  if (!ch.legacyCompressionMethods.includes(0)) throw new TlsError('IllegalParameter', { detail: 'ClientHello does not offer null compression' });
  // RFC 5746 §3.6: secure renegotiation signalled by the extension or the SCSV; we require it (security defaults).
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
  // The post-quantum hybrids are TLS 1.3 only (draft-ietf-tls-ecdhe-mlkem §1: "for TLS 1.3").
  const group = cfg.groups.find((g) => !isHybridGroup(g) && clientGroups.includes(g));
  if (group === undefined) {
    throw new TlsError('HandshakeFailure', { detail: `no common group; client offered ${listForDetail('group', clientGroups)}` });
  }
  const serverName = ext.serverName?.toLowerCase();
  // Suite: our preference, with a certificate that can authenticate it.
  let chosen: { suite: Tls12Suite; cert: CertifiedKey; scheme: number } | null = null;
  for (const code of cfg.suites) {
    const suite = tls12Suite(code);
    if (!suite || !ch.cipherSuites.includes(code)) continue;
    const sel = selectCertificate(cfg, p, serverName, clientSchemes, 'TLSv1.2', (c) => keyFitsSuite(c.key, suite) && curveFitsClient(c, ext.supportedGroups));
    if (sel) {
      chosen = { suite, ...sel };
      break;
    }
  }
  if (!chosen) throw refuseSuites(cfg, ch);
  const alpn = selectAlpn(cfg, ext.alpn);
  // RFC 9846 §4.2.3: a TLS 1.3-capable server negotiating TLS 1.2 marks its random.
  const downgradeSentinel = highestVersion(cfg) >= ProtocolVersion.TLSv1_3;
  return { ...chosen, group, alpn, serverName, downgradeSentinel };
}

/** The error for a ClientHello with no TLS 1.2 suite we can serve, naming what the client offered. */
function refuseSuites(cfg: ResolvedCommon, ch: ClientHello): TlsError {
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
    detail: `no TLS 1.2 cipher suite in common that our certificates can serve; client offered ${names} and signature schemes ${listForDetail('scheme', ch.extensions.signatureAlgorithms ?? [])} and groups ${listForDetail('group', ch.extensions.supportedGroups ?? [])}; ${cfg.suites.length} suites configured`,
  });
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
