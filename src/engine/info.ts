/**
 * What a connection reports about itself (`connection.info` of the public surface), what the
 * handshake has settled so far (written only from what the steps return), and the
 * human-readable words the connection uses in errors and traces.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { AlertDescription, type TlsError } from '../base/errors.js';
import type { HandshakeMessage } from '../wire/messages.js';
import type { CertificateError, CertificateErrorSeverity } from '../verify/verifier.js';

/** A session ticket a client received (RFC 9846 §4.7.1). */
export interface SessionTicket {
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  /** `now()` when it arrived. */
  readonly receivedAt: number;
}

/**
 * What may be read about a connection without driving it (the Node socket's `connection`):
 * no method here sends, receives or changes anything.
 */
export interface ConnectionView {
  readonly role: 'client' | 'server';
  readonly info: ConnectionInfo;
  readonly phase: ConnectionPhase;
  readonly error: TlsError | null;
  readonly handshakeComplete: boolean;
  readonly tickets: readonly SessionTicket[];
  readonly bufferedBytes: number;
}

/** Where the connection is in its life. */
export type ConnectionPhase = 'handshaking' | 'open' | 'peer-closed' | 'closed' | 'failed';

/** What the connection reports about itself (`connection.info` of the public surface). */
export interface ConnectionInfo {
  readonly role: 'client' | 'server';
  readonly version: string | null;
  readonly cipherSuite: string | null;
  readonly group: string | null;
  /**
   * The scheme of the server's handshake signature (its CertificateVerify in TLS 1.3, its
   * ServerKeyExchange in TLS 1.2), in both roles: what authenticated the server.
   */
  readonly signatureScheme: string | null;
  /** The scheme of the client's CertificateVerify (mutual TLS), in both roles; null without one. */
  readonly clientSignatureScheme: string | null;
  readonly alpn: string | null;
  readonly serverName: string | null;
  readonly resumed: boolean;
  /**
   * 0-RTT (RFC 9846 §2.3, §4.3.10): `'accepted'` (early data went, and was taken, before the
   * handshake: on a server it may be a replay, see `earlyDataLength`), `'rejected'` (offered,
   * refused: a client re-sends it after the handshake unless told not to), `'none'`.
   */
  readonly earlyData: 'accepted' | 'rejected' | 'none';
  readonly helloRetryRequest: boolean;
  /** Peer's leaf certificate (DER), or null. */
  readonly peerCertificate: Uint8Array | null;
  /** Peer's other certificates as sent (DER). */
  readonly peerIntermediates: readonly Uint8Array[];
  readonly certificateErrors: readonly CertificateError[];
  readonly certificateErrorSeverity: CertificateErrorSeverity;
  /**
   * The crypto provider that ran this connection's cryptography (its `name`: `'native'`,
   * the pure provider's, or a custom provider's; issue 9 item 3).
   */
  readonly provider: string;
  /**
   * What the provider handed to other code, as it reports it (`CryptoProvider.delegated`;
   * e.g. the `webcrypto` provider runs ChaCha20-Poly1305 and HKDF in pure code); empty for
   * providers that do everything themselves.
   */
  readonly providerDelegated: readonly string[];
  /**
   * True when the transport closed after the handshake without the peer's close_notify and
   * the connection was told to end there anyway (`endOnTransportClose`): the data received
   * may have been cut short by an attacker, so the application's own framing must say
   * whether it is complete. Always false otherwise (without the option that close is a
   * `Truncated` error).
   */
  readonly closeNotifyMissing: boolean;
}

/** What the handshake has settled so far: written only by `learn`, from what the steps return. */
export interface NegotiatedInfo {
  version: 'TLSv1.2' | 'TLSv1.3' | null;
  cipherSuite: string | null;
  group: string | null;
  signatureScheme: string | null;
  clientSignatureScheme: string | null;
  alpn: string | null;
  serverName: string | null;
  resumed: boolean;
  earlyData: 'accepted' | 'rejected' | 'none';
  helloRetryRequest: boolean;
  peerCertificates: readonly Uint8Array[];
  certificateErrors: readonly CertificateError[];
  certificateErrorSeverity: CertificateErrorSeverity;
  /** Client: the stapled OCSP response (a copy of what was received), absent when none arrived. */
  ocspResponse?: Uint8Array;
  /** Server: the leaf of the identity chosen for this handshake, absent before the choice. */
  localCertificate?: Uint8Array;
}


/** Nothing settled yet. */
export function newNegotiated(): NegotiatedInfo {
  return {
    version: null,
    cipherSuite: null,
    group: null,
    signatureScheme: null,
    clientSignatureScheme: null,
    alpn: null,
    serverName: null,
    resumed: false,
    earlyData: 'none',
    helloRetryRequest: false,
    peerCertificates: [],
    certificateErrors: [],
    certificateErrorSeverity: 'none',
  };
}

/** The public view of what was negotiated, and which crypto provider ran (its name). */
export function infoOf(role: 'client' | 'server', n: NegotiatedInfo, provider: string, providerDelegated: readonly string[] = [], closeNotifyMissing = false): ConnectionInfo {
  const certs = n.peerCertificates;
  let leaf: Uint8Array | null | undefined;
  let rest: Uint8Array[] | undefined;
  return {
    role,
    version: n.version,
    cipherSuite: n.cipherSuite,
    group: n.group,
    signatureScheme: n.signatureScheme,
    clientSignatureScheme: n.clientSignatureScheme,
    alpn: n.alpn,
    serverName: n.serverName,
    resumed: n.resumed,
    earlyData: n.earlyData,
    helloRetryRequest: n.helloRetryRequest,
    // Copies: the connection's bytes are shared with other connections (base/intern.ts).
    // Made when first read (then the same copies on every read of this info object), from
    // the chain as it stood when the info was taken: most readers of `info` want a field or
    // two, not the certificates (issue 9: no certificate copy per `info` read).
    get peerCertificate(): Uint8Array | null {
      return (leaf ??= copyBytes(certs[0]) ?? null);
    },
    get peerIntermediates(): readonly Uint8Array[] {
      return (rest ??= certs.slice(1).map((c) => copyBytes(c)));
    },
    certificateErrors: n.certificateErrors,
    certificateErrorSeverity: n.certificateErrorSeverity,
    provider,
    providerDelegated,
    closeNotifyMissing,
  };
}

/** A hint for fatal alerts received during the handshake (what the peer most likely refused). */
export function alertHint(alert: number): string | undefined {
  switch (alert) {
    case AlertDescription.protocol_version:
      return 'the peer refused our versions (puretls speaks TLS 1.2 and 1.3 only; the peer may require TLS 1.1 or older)';
    case AlertDescription.handshake_failure:
    case AlertDescription.insufficient_security:
      return 'no parameters in common (puretls offers only ECDHE key exchange with AEAD suites; the peer may require CBC, RC4, DHE or static RSA)';
    case AlertDescription.unknown_ca:
    case AlertDescription.bad_certificate:
    case AlertDescription.certificate_unknown:
      return 'the peer refused our certificate';
    default:
      return undefined;
  }
}

/** A one-line name for a handshake message in traces. */
export function summarize(msg: HandshakeMessage): string {
  switch (msg.type) {
    case 'client_hello':
      return `ClientHello suites=${msg.cipherSuites.length}`;
    case 'server_hello':
      return msg.isHrr ? 'HelloRetryRequest' : 'ServerHello';
    default:
      return msg.type.replace(/(^|_)([a-z])/g, (_m, _p, c: string) => c.toUpperCase());
  }
}

