/**
 * What the client's hello exchange and its TLS 1.2 and TLS 1.3 states share: the
 * parameters, what we offered, and checks of the server's answers against our offer.
 *
 * @module
 */
import type { KeyShare } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';
import { nameOf } from '../wire/codes.js';
import { unsolicitedExtensions, type ResponseBlock } from '../wire/extensions.js';
import type { ClientHello } from '../wire/messages.js';
import type { CertifiedKey, ResolvedCommon } from '../config/config.js';
import type { PeerAuth } from './peer-auth.js';
import type { ClientHelloHook } from './test-hooks.js';
import type { serverHello12 } from './client-tls12.js';
import type { TranscriptHash } from './transcript.js';
import type { PskOffer } from './psk.js';
import type { SessionStore } from '../session/store.js';
import type { ClientResumption } from './client-resumption.js';
import type { Tls12Session } from '../session/session.js';
import type { answerCertificateRequest13 } from './client-auth13.js';

/** Client-only settings the handshake needs (resolved from ClientOptions). */
export interface ClientParams {
  readonly serverName: string | undefined;
  readonly sendSni: boolean;
  readonly keyShareGroups: readonly number[];
  /** How the server's certificate is judged. */
  readonly auth: PeerAuth;
  /** Our certificate for mutual TLS, if any. */
  readonly identity: CertifiedKey | null;
  /**
   * How a TLS 1.3 client with `identity` answers a CertificateRequest (`client-auth13.ts`),
   * from the client-certificate part; null without an identity (an empty Certificate is sent).
   */
  readonly answerCertificateRequest13: typeof answerCertificateRequest13 | null;
  /** Send status_request (RFC 6066 §8). */
  readonly requestOcsp: boolean;
  /**
   * The TLS 1.2 handshake after its ServerHello (`client-tls12.ts`), or null when the
   * configuration cannot do TLS 1.2 (the client-only entry without its `tls12` module; the
   * configuration's minVersion is then TLSv1.3, so TLS 1.2 is never offered).
   */
  readonly tls12: typeof serverHello12 | null;
  /** Test hook (`puretls/testing`); see `test-hooks.ts`. */
  readonly clientHelloHook: ClientHelloHook | undefined;
  /**
   * Where this connection takes a session to resume and keeps the ones it receives, under
   * `key` (server name + trust fingerprint, `session/store.ts`); null: no resumption.
   */
  readonly sessions: { readonly store: SessionStore; readonly key: string; readonly resumption: ClientResumption } | null;
  /** Offer psk_ke as well as psk_dhe_ke (RFC 9846 §4.3.9). */
  readonly allowPskKe: boolean;
  /** 0-RTT data of this connection, or null (RFC 9846 §2.3). */
  readonly earlyData: Uint8Array | null;
  /** Re-send `earlyData` after the handshake when it did not go as 0-RTT. */
  readonly retryEarlyData: boolean;
}

/**
 * What every client state of one handshake carries, whatever the version: passed from
 * state to state, never shared with the connection.
 */
export interface ClientHandshake {
  readonly cfg: ResolvedCommon;
  readonly p: ClientParams;
  /**
   * The transcript of this handshake (RFC 9846 §4.1; RFC 5246 §7.4.9): its hash; a TLS 1.2
   * client continues with a message log (`Transcript.continuing`, client-tls12.ts).
   */
  readonly transcript: TranscriptHash;
  /** Our first ClientHello's random (key-log lines, TLS 1.2 key derivation). */
  readonly clientRandom: Uint8Array;
}

/** What we offered, kept to check the server's answers. */
export interface Offer {
  readonly ch: ClientHello;
  readonly shares: Map<number, KeyShare>;
  /** Versions offered. */
  readonly offers13: boolean;
  readonly offers12: boolean;
  /** The TLS 1.3 PSK offered (resumption, RFC 9846 §4.3.11), if any. */
  readonly psk: PskOffer | null;
  /** The TLS 1.2 session offered for resumption (its ID or ticket is in `ch`; `client-resume12.ts`), if any. */
  readonly session12?: Tls12Session | undefined;
  /** 0-RTT data sent with this ClientHello (RFC 9846 §4.3.10), if any. */
  readonly early: Uint8Array | null;
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

/**
 * ALPN in the server's answer: one protocol (the decoder checks that), one we offered
 * (RFC 7301 §3.1). Returns it, for the step's `learned`.
 */
export function acceptAlpn(cfg: ResolvedCommon, alpn: string | undefined): string | undefined {
  if (alpn !== undefined && !cfg.alpn.includes(alpn)) {
    throw new TlsError('IllegalParameter', { detail: `server selected ALPN protocol ${JSON.stringify([alpn])} that we did not offer` });
  }
  return alpn;
}
