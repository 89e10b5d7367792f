/**
 * What the TLS 1.2 and TLS 1.3 clients share: the parameters, building the
 * ClientHello for the versions we offer, and checks of the server's answers.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import { tls12Suite, tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { NamedGroup, ProtocolVersion, nameOf } from '../wire/codes.js';
import { unsolicitedExtensions, type ResponseBlock } from '../wire/extensions.js';
import type { ClientHello, ClientHelloExtensions } from '../wire/messages.js';
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
  const ext: ClientHelloExtensions = {};
  if (p.sendSni && p.serverName) ext.serverName = p.serverName;
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

/**
 * RFC 9846 §4.3 / RFC 5246 §7.4.1.4: an extension in the server's answer that our
 * ClientHello did not carry → unsupported_extension (the cookie of a HelloRetryRequest
 * excepted, see `unsolicitedExtensions`).
 */
export function checkOnlyOffered(e: ResponseBlock, offer: Offer, where: string): void {
  const t = unsolicitedExtensions(e, offer.ch.extensions)[0];
  if (t !== undefined) {
    throw new TlsError('UnsupportedExtension', { detail: `${where} contains ${nameOf('extension', t)}, which we did not offer` });
  }
}

/** ALPN in the server's answer: one protocol (the decoder checks that), one we offered (RFC 7301 §3.1). */
export function checkAlpn(cx: Context, alpn: string | undefined): void {
  if (alpn === undefined) return;
  if (!cx.cfg.alpn.includes(alpn)) {
    throw new TlsError('IllegalParameter', { detail: `server selected ALPN protocol ${JSON.stringify([alpn])} that we did not offer` });
  }
  cx.info.alpn = alpn;
}
