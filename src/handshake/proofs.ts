/**
 * What each side must know about its peer before it may check the peer's Finished, as
 * values only the checks can produce (rustls' `ServerCertVerified`,
 * `HandshakeSignatureValid`, `FinishedMessageVerified`). A state that depends on a check
 * takes its proof as a constructor argument, so skipping the check does not compile:
 *
 * ```
 * authenticatePeer ──► CertificateChainAccepted<P>          (peer-auth.ts)
 *   verify CertificateVerify / ServerKeyExchange ──► HandshakeSignatureValid<P>  (signatures.ts)
 *     client: ServerAuthenticated.byCertificate(sig<'server'>)           (here)
 *     server: ClientAuthDecided.byCertificate(sig<'client'>), or
 *             .notRequested('none'), or .withoutCertificate('request', empty Certificate)
 *       verify the peer's Finished (needs one of the two) ──► FinishedVerified  (finished.ts)
 *         HandshakeOutput.handshakeDone(result, FinishedVerified): application data flows
 * ```
 *
 * The client's ExpectFinished (TLS 1.3 and 1.2) takes a {@link ServerAuthenticated}; the
 * server's takes a {@link ClientAuthDecided}. Every proof class has a private constructor
 * that also checks a module-private token at run time: a cast does not make one either.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { Certificate, Certificate12 } from '../wire/messages.js';
import type { HandshakeSignatureValid } from './signatures.js';
import type { BinderVerified, PskSelected } from './psk.js';
import type { OriginalClientAuth } from '../session/ticket13.js';

export type { CertificateChainAccepted, Peer } from './peer-auth.js';
export type { HandshakeSignatureValid } from './signatures.js';
export type { FinishedVerified } from './finished.js';
export type { BinderVerified, PskSelected } from './psk.js';

/** Only this module's factories hold this token. */
const MINT: unique symbol = Symbol('proofs');

/**
 * Proof, on the client, that the server is authenticated (RFC 9846 §4.5; RFC 5246 §7.4.2,
 * §7.4.3): its certificate chain was accepted and its handshake signature (TLS 1.3
 * CertificateVerify, TLS 1.2 ServerKeyExchange) verified under that chain's key. The
 * client's ExpectFinished cannot be built without it.
 *
 * A resumed handshake (RFC 9846 §2.2) makes one the other way, {@link byPsk}: from the
 * server's valid selection of the PSK we offered (`psk.ts`), whose session was itself
 * established by a certificate-authenticated handshake; the Finished checked next is keyed
 * by that PSK. `via` tells the two apart.
 */
export class ServerAuthenticated {
  readonly #mint: typeof MINT;
  /** How the server proved itself. */
  readonly via: 'certificate' | 'psk' | 'resumption';
  /** The server's signature scheme (-1 for a PSK: no signature in this handshake). */
  readonly scheme: number;

  private constructor(mint: typeof MINT, via: ServerAuthenticated['via'], scheme: number) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a ServerAuthenticated is made from a verified server signature only' });
    this.#mint = mint;
    this.via = via;
    this.scheme = scheme;
  }

  /** The server signed with the key of a chain we accepted. */
  static byCertificate(signature: HandshakeSignatureValid<'server'>): ServerAuthenticated {
    return new ServerAuthenticated(MINT, 'certificate', signature.scheme);
  }

  /**
   * The server selected the resumption PSK we offered, consistently (RFC 9846 §4.3.11): it
   * authenticates by knowing the PSK, which the server's Finished (checked next, keyed by
   * the PSK-derived handshake secret) proves (RFC 9846 §2.2).
   */
  static byPsk(selected: PskSelected): ServerAuthenticated {
    if (selected.session.version !== 'TLSv1.3') throw new TlsError('InternalError', { detail: 'byPsk: not a TLS 1.3 session' });
    return new ServerAuthenticated(MINT, 'psk', -1);
  }

  /**
   * TLS 1.2 resumption (RFC 5246 §7.3, §7.4.1.2; RFC 5077 §3.1), `via: 'resumption'`: the
   * server resumed, by echoing our session ID, the session we offered, whose full handshake
   * authenticated it by certificate (`session.peerCertificates`, never empty). This only lets
   * the server's Finished be checked: that check, keyed by the session's master secret, is
   * what shows the peer is the server of that session.
   */
  static byResumption(session: { readonly version: 'TLSv1.2'; readonly peerCertificates: readonly Uint8Array[] }): ServerAuthenticated {
    if (session.version !== 'TLSv1.2' || session.peerCertificates.length === 0) {
      throw new TlsError('InternalError', { detail: 'byResumption: a TLS 1.2 session that records the certificate that authenticated the server' });
    }
    return new ServerAuthenticated(MINT, 'resumption', -1);
  }
}

/** The server's client-certificate policy (`requestCert` / `requireCert`). */
export type ClientAuthPolicy = 'none' | 'request' | 'require';

/**
 * Proof, on the server, that the client-certificate question is settled (RFC 9846 §4.4.2,
 * §4.5.1.3; RFC 5246 §7.4.4, §7.4.6, §7.4.8): no certificate was requested, or one was
 * requested (not required) and the client sent none, or the client's chain was accepted
 * and its CertificateVerify verified. The server's ExpectFinished cannot be built without
 * it, so it cannot be built before the client's certificate has been seen.
 */
export class ClientAuthDecided {
  readonly #mint: typeof MINT;
  /** How it was settled. */
  readonly outcome: 'not-requested' | 'no-certificate' | 'certificate';
  /** True when decided by the original handshake of a resumed session (RFC 9846 §2.2). */
  readonly resumed: boolean;
  /** The client's CertificateVerify scheme (`'certificate'` only). */
  readonly scheme: number | undefined;

  private constructor(mint: typeof MINT, outcome: ClientAuthDecided['outcome'], scheme: number | undefined, resumed = false) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a ClientAuthDecided is made by its factories only' });
    this.#mint = mint;
    this.outcome = outcome;
    this.scheme = scheme;
    this.resumed = resumed;
  }

  /**
   * A resumed session (RFC 9846 §2.2): the client proved it holds the PSK (its binder
   * verified), and the client-certificate question is what the original handshake decided,
   * as sealed in the ticket. No CertificateRequest is sent on resumption (RFC 9846 §4.4.2
   * forbids one in a PSK handshake); a policy that now requires a certificate the original
   * handshake did not see declines the ticket before this is made.
   */
  static resumed(binder: BinderVerified, original: OriginalClientAuth, policy: ClientAuthPolicy): ClientAuthDecided {
    if (policy === 'require' && original !== 'certificate') throw new TlsError('InternalError', { detail: 'a certificate is required and the session has none' });
    void binder;
    return new ClientAuthDecided(MINT, original, undefined, true);
  }

  /**
   * TLS 1.2 resumption (RFC 5246 §7.3): the question was settled in the session's full
   * handshake, whose outcome the session state keeps (`hadCertificate`: the client's chain
   * was accepted and its CertificateVerify verified then); the client's Finished, checked
   * next under the session's master secret, shows it holds that session. A policy that
   * requires a certificate cannot resume a session without one (the server does a full
   * handshake instead).
   */
  static resumed12(policy: ClientAuthPolicy, hadCertificate: boolean): ClientAuthDecided {
    if (policy === 'require' && !hadCertificate) throw new TlsError('InternalError', { detail: 'a session without a client certificate cannot satisfy requireCert' });
    return new ClientAuthDecided(MINT, hadCertificate ? 'certificate' : policy === 'none' ? 'not-requested' : 'no-certificate', undefined, true);
  }

  /**
   * We sent no CertificateRequest. Takes the policy, which must have been narrowed to
   * `'none'`: with a policy that requests certificates this does not type-check.
   */
  static notRequested(policy: 'none'): ClientAuthDecided {
    if (policy !== 'none') throw new TlsError('InternalError', { detail: 'client certificates were requested' });
    return new ClientAuthDecided(MINT, 'not-requested', undefined);
  }

  /**
   * We asked for a certificate without requiring one, and the client's Certificate message
   * is empty (RFC 9846 §4.5.1.3: the server "MAY at its discretion either continue the
   * handshake without client authentication or abort"; RFC 5246 §7.4.6). Takes that
   * message, so it cannot be made before the client's Certificate arrives, and the policy
   * narrowed to `'request'` (with `'require'` it does not type-check).
   */
  static withoutCertificate(policy: 'request', certificate: Certificate | Certificate12): ClientAuthDecided {
    if (policy !== 'request') throw new TlsError('InternalError', { detail: 'a client certificate is required' });
    const empty = certificate.type === 'certificate' ? certificate.entries.length === 0 : certificate.certificates.length === 0;
    if (!empty) throw new TlsError('InternalError', { detail: 'the client sent a certificate: it must be judged' });
    return new ClientAuthDecided(MINT, 'no-certificate', undefined);
  }

  /** The client signed with the key of a chain we accepted. */
  static byCertificate(signature: HandshakeSignatureValid<'client'>): ClientAuthDecided {
    return new ClientAuthDecided(MINT, 'certificate', signature.scheme);
  }
}

/** What the side checking its peer's Finished must hold: the peer's authentication settled. */
export type PeerAuthenticated = ServerAuthenticated | ClientAuthDecided;
