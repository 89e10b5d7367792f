/**
 * What the TLS 1.2 and TLS 1.3 clients share: the parameters, building the
 * ClientHello for the versions we offer, and checks of the server's answers.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import { tls12Suite, tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { ExtensionType, NamedGroup, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { ClientHello, Extensions } from '../wire/messages.js';
import { noExtensions } from '../wire/messages.js';
import type { CertifiedKey } from '../config.js';
import { OCSP_STATUS_REQUEST, type PeerAuth } from './peer-auth.js';
import type { Context } from './state.js';

/** Client-only settings the handshake needs (resolved from ClientOptions). */
export interface ClientParams {
  readonly serverName: string | undefined;
  readonly sendSni: boolean;
  readonly keyShareGroups: readonly number[];
  /** How the server's certificate is judged. */
  readonly auth: PeerAuth;
  /** Our certificate for mutual TLS, if any. */
  readonly identity: CertifiedKey | null;
  /** Send status_request (RFC 6066 §8). */
  readonly requestOcsp: boolean;
  readonly clientHelloHook: ((ch: ClientHello) => ClientHello) | undefined;
}

/** What we offered, kept to check the server's answers. */
export interface Offer {
  readonly ch: ClientHello;
  readonly shares: Map<number, KeyShare>;
  /** Extension types we sent (RFC 9846 §4.3, RFC 5246 §7.4.1.4: the server may only answer these). */
  readonly sentExtensions: Set<number>;
  /** Versions offered. */
  readonly offers13: boolean;
  readonly offers12: boolean;
}

/** Which versions the configuration lets us offer. */
export function offeredVersions(cx: Context): { offers13: boolean; offers12: boolean } {
  const { minVersion, maxVersion, suites } = cx.cfg;
  const offers13 = maxVersion >= ProtocolVersion.TLSv1_3 && suites.some((s) => tls13Suite(s) !== undefined);
  const offers12 = minVersion <= ProtocolVersion.TLSv1_2 && suites.some((s) => tls12Suite(s) !== undefined);
  if (!offers13 && !offers12) throw new TlsError('InvalidConfig', { detail: 'no cipher suite for the configured versions' });
  return { offers13, offers12 };
}

/** Builds our ClientHello (RFC 9846 §4.2.2; for TLS 1.2 also RFC 5246 §7.4.1.2). */
export function buildClientHello(cx: Context, p: ClientParams, random: Uint8Array, sessionId: Uint8Array, shares: readonly KeyShare[]): ClientHello {
  const cfg = cx.cfg;
  const { offers13, offers12 } = offeredVersions(cx);
  const ext: Extensions = noExtensions();
  if (p.sendSni && p.serverName) ext.serverName = [p.serverName];
  const groups = [...cfg.groups];
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
    ext.keyShareClient = shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }));
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
  }
  const ch: ClientHello = {
    type: 'client_hello',
    legacyVersion: ProtocolVersion.TLSv1_2,
    random,
    legacySessionId: offers13 ? sessionId : new Uint8Array(0),
    cipherSuites: suites,
    legacyCompressionMethods: new Uint8Array([0]),
    extensions: ext,
  };
  return p.clientHelloHook ? p.clientHelloHook(ch) : ch;
}

/** The extension types a ClientHello carries. */
export function sentTypes(ch: ClientHello): Set<number> {
  const s = new Set<number>(ch.extensions.order);
  const e = ch.extensions;
  const has: [unknown, number][] = [
    [e.serverName, ExtensionType.server_name],
    [e.supportedGroups, ExtensionType.supported_groups],
    [e.signatureAlgorithms, ExtensionType.signature_algorithms],
    [e.signatureAlgorithmsCert, ExtensionType.signature_algorithms_cert],
    [e.supportedVersions, ExtensionType.supported_versions],
    [e.keyShareClient, ExtensionType.key_share],
    [e.alpn, ExtensionType.application_layer_protocol_negotiation],
    [e.cookie, ExtensionType.cookie],
    [e.pskKeyExchangeModes, ExtensionType.psk_key_exchange_modes],
    [e.preSharedKeyClient, ExtensionType.pre_shared_key],
    [e.earlyData, ExtensionType.early_data],
    [e.ecPointFormats, ExtensionType.ec_point_formats],
    [e.extendedMasterSecret, ExtensionType.extended_master_secret],
    [e.renegotiationInfo, ExtensionType.renegotiation_info],
    [e.sessionTicket, ExtensionType.session_ticket],
    [e.statusRequest, ExtensionType.status_request],
  ];
  for (const [v, t] of has) if (v !== undefined) s.add(t);
  for (const u of e.unknown) s.add(u.type);
  return s;
}

/** RFC 9846 §4.3 / RFC 5246 §7.4.1.4: an extension the client did not offer → unsupported_extension. */
export function checkOnlyOffered(e: Extensions, offer: Offer, where: string, exempt: readonly number[] = []): void {
  for (const t of e.order) {
    if (!offer.sentExtensions.has(t) && !exempt.includes(t)) {
      throw new TlsError('UnsupportedExtension', { detail: `${where} contains ${nameOf('extension', t)}, which we did not offer` });
    }
  }
}

/** ALPN in the server's answer: exactly one protocol, one we offered (RFC 7301 §3.1). */
export function checkAlpn(cx: Context, alpn: readonly string[] | undefined): void {
  if (alpn === undefined) return;
  if (alpn.length !== 1 || !cx.cfg.alpn.includes(alpn[0]!)) {
    throw new TlsError('IllegalParameter', { detail: `server selected ALPN protocol ${JSON.stringify(alpn)} that we did not offer` });
  }
  cx.info.alpn = alpn[0]!;
}
