/**
 * Plain-data types of TLS 1.3 handshake messages and extensions (RFC 9846 §4).
 * Codecs live in `hello.ts`, `extensions.ts`, `certificate.ts`, `handshake.ts`.
 * Every decoded handshake message keeps `raw` (the full message with its 4-byte
 * header) for the transcript hash.
 *
 * @module
 */

/** An extension kept undecoded (unknown types, or ones we only carry). */
export interface RawExtension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** KeyShareEntry (RFC 9846 §4.3.8). */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

/** PskIdentity (RFC 9846 §4.3.11). */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** OfferedPsks (RFC 9846 §4.3.11). */
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}

/**
 * Decoded extensions. Each known extension appears as its own field; anything
 * else is in `unknown` (kept, in order, so that encoding round-trips).
 * `order` lists the extension types in wire order (encoders follow it when present;
 * RFC 9846 §4.3.11 requires pre_shared_key to be last in ClientHello).
 */
export interface Extensions {
  /** server_name (RFC 6066 §3): host_name entries in ClientHello; empty-present in server messages. */
  serverName?: string[];
  /** supported_groups (RFC 9846 §4.3.7). */
  supportedGroups?: number[];
  /** signature_algorithms (RFC 9846 §4.3.3). */
  signatureAlgorithms?: number[];
  /** signature_algorithms_cert (RFC 9846 §4.3.3). */
  signatureAlgorithmsCert?: number[];
  /** supported_versions: list in ClientHello, single selected version in ServerHello/HRR (RFC 9846 §4.3.1). */
  supportedVersions?: number[];
  /** key_share in ClientHello (RFC 9846 §4.3.8). */
  keyShareClient?: KeyShareEntry[];
  /** key_share in ServerHello (RFC 9846 §4.3.8). */
  keyShareServer?: KeyShareEntry;
  /** key_share in HelloRetryRequest: the selected group (RFC 9846 §4.3.8). */
  keyShareHrr?: number;
  /** application_layer_protocol_negotiation (RFC 7301): list in ClientHello, exactly one in EE. */
  alpn?: string[];
  /** cookie (RFC 9846 §4.3.2). */
  cookie?: Uint8Array;
  /** psk_key_exchange_modes (RFC 9846 §4.3.9). */
  pskKeyExchangeModes?: number[];
  /** pre_shared_key in ClientHello (RFC 9846 §4.3.11). */
  preSharedKeyClient?: OfferedPsks;
  /** pre_shared_key in ServerHello: selected identity index. */
  preSharedKeyServer?: number;
  /** early_data: present (empty) in ClientHello/EE; max_early_data_size in NewSessionTicket. */
  earlyData?: { maxEarlyDataSize?: number };
  /** padding (RFC 7685): length of zero bytes. */
  padding?: number;
  /** ec_point_formats (RFC 8422 §5.1.2): TLS 1.2 ClientHello/ServerHello. */
  ecPointFormats?: number[];
  /** extended_master_secret (RFC 7627 §5.1): present (empty) in TLS 1.2 ClientHello/ServerHello. */
  extendedMasterSecret?: boolean;
  /** renegotiation_info (RFC 5746 §3.2): renegotiated_connection (empty on an initial handshake). */
  renegotiationInfo?: Uint8Array;
  /** session_ticket (RFC 5077 §3.2): the ticket offered (CH, may be empty) or empty (SH). */
  sessionTicket?: Uint8Array;
  /**
   * status_request (RFC 6066 §8): the raw extension body. In ClientHello a
   * CertificateStatusRequest; empty in a TLS 1.2 ServerHello; in a TLS 1.3
   * CertificateEntry a CertificateStatus (RFC 9846 §4.5.1.1).
   */
  statusRequest?: Uint8Array;
  /** Extensions that were not decoded (unknown, or not yet modelled). */
  unknown: RawExtension[];
  /** Extension types in wire order. */
  order: number[];
}

/** ClientHello (RFC 9846 §4.2.2). */
export interface ClientHello {
  readonly type: 'client_hello';
  raw?: Uint8Array;
  legacyVersion: number;
  random: Uint8Array;
  legacySessionId: Uint8Array;
  cipherSuites: number[];
  legacyCompressionMethods: Uint8Array;
  extensions: Extensions;
  /**
   * True when the message had no extensions block at all (a pre-extensions TLS 1.2 or
   * older client, RFC 9846 §4.2.2); `extensions` is then empty and encoders omit the block.
   */
  legacyNoExtensions?: boolean;
}

/** ServerHello or HelloRetryRequest (RFC 9846 §4.2.3, §4.1.4). `isHrr` is derived from `random`. */
export interface ServerHello {
  readonly type: 'server_hello';
  raw?: Uint8Array;
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  extensions: Extensions;
  /**
   * True when the message had no extensions block at all (a TLS 1.2 server answering a
   * client that sent none, RFC 5246 §7.4.1.3); `extensions` is then empty and encoders
   * omit the block.
   */
  legacyNoExtensions?: boolean;
  /** True when `random` is the HelloRetryRequest special value (RFC 9846 §4.2.3). */
  isHrr: boolean;
}

/** EncryptedExtensions (RFC 9846 §4.4.1). */
export interface EncryptedExtensions {
  readonly type: 'encrypted_extensions';
  raw?: Uint8Array;
  extensions: Extensions;
}

/** CertificateRequest (RFC 9846 §4.4.2). */
export interface CertificateRequest {
  readonly type: 'certificate_request';
  raw?: Uint8Array;
  context: Uint8Array;
  extensions: Extensions;
}

/** CertificateEntry (RFC 9846 §4.5.1), X.509 form. */
export interface CertificateEntry {
  certData: Uint8Array;
  extensions: Extensions;
}

/** Certificate (RFC 9846 §4.5.1). */
export interface Certificate {
  readonly type: 'certificate';
  raw?: Uint8Array;
  context: Uint8Array;
  entries: CertificateEntry[];
}

/** CertificateVerify (RFC 9846 §4.5.2). */
export interface CertificateVerify {
  readonly type: 'certificate_verify';
  raw?: Uint8Array;
  scheme: number;
  signature: Uint8Array;
}

/** Finished (RFC 9846 §4.5.3). */
export interface Finished {
  readonly type: 'finished';
  raw?: Uint8Array;
  verifyData: Uint8Array;
}

/** NewSessionTicket (RFC 9846 §4.7.1). */
export interface NewSessionTicket {
  readonly type: 'new_session_ticket';
  raw?: Uint8Array;
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extensions;
}

/** KeyUpdate (RFC 9846 §4.7.3). */
export interface KeyUpdate {
  readonly type: 'key_update';
  raw?: Uint8Array;
  requestUpdate: number;
}

/** EndOfEarlyData (RFC 9846 §4.6). */
export interface EndOfEarlyData {
  readonly type: 'end_of_early_data';
  raw?: Uint8Array;
}

/** Certificate in TLS 1.2 (RFC 5246 §7.4.2): a plain list, leaf first. */
export interface Certificate12 {
  readonly type: 'certificate12';
  raw?: Uint8Array;
  certificates: Uint8Array[];
}

/** ServerKeyExchange for ECDHE (RFC 8422 §5.4), the only form we accept. */
export interface ServerKeyExchange {
  readonly type: 'server_key_exchange';
  raw?: Uint8Array;
  /** ECCurveType: 3 = named_curve (the only one allowed, RFC 8422 §5.4). */
  curveType: number;
  group: number;
  /** The server's ephemeral public value. */
  publicKey: Uint8Array;
  /** SignatureAndHashAlgorithm (RFC 5246 §7.4.1.4.1), as a SignatureScheme code. */
  scheme: number;
  signature: Uint8Array;
}

/** CertificateRequest in TLS 1.2 (RFC 5246 §7.4.4). */
export interface CertificateRequest12 {
  readonly type: 'certificate_request12';
  raw?: Uint8Array;
  certificateTypes: number[];
  signatureAlgorithms: number[];
  /** DER DistinguishedNames. */
  certificateAuthorities: Uint8Array[];
}

/** ServerHelloDone (RFC 5246 §7.4.5). */
export interface ServerHelloDone {
  readonly type: 'server_hello_done';
  raw?: Uint8Array;
}

/** ClientKeyExchange for ECDHE (RFC 8422 §5.7): the client's ephemeral public value. */
export interface ClientKeyExchange {
  readonly type: 'client_key_exchange';
  raw?: Uint8Array;
  publicKey: Uint8Array;
}

/** NewSessionTicket in TLS 1.2 (RFC 5077 §3.3). */
export interface NewSessionTicket12 {
  readonly type: 'new_session_ticket12';
  raw?: Uint8Array;
  lifetimeHint: number;
  ticket: Uint8Array;
}

/** CertificateStatus (RFC 6066 §8): status_type 1 = ocsp. */
export interface CertificateStatus {
  readonly type: 'certificate_status';
  raw?: Uint8Array;
  statusType: number;
  response: Uint8Array;
}

/** HelloRequest (RFC 5246 §7.4.1.1): empty. */
export interface HelloRequest {
  readonly type: 'hello_request';
  raw?: Uint8Array;
}

/** TLS 1.2-only handshake messages. */
export type Tls12Message =
  | Certificate12
  | ServerKeyExchange
  | CertificateRequest12
  | ServerHelloDone
  | ClientKeyExchange
  | NewSessionTicket12
  | CertificateStatus
  | HelloRequest;

/** A TLS 1.2 or 1.3 handshake message. */
export type HandshakeMessage =
  | Tls12Message
  | ClientHello
  | ServerHello
  | EncryptedExtensions
  | CertificateRequest
  | Certificate
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | KeyUpdate
  | EndOfEarlyData;

/** An empty extension set. */
export function noExtensions(): Extensions {
  return { unknown: [], order: [] };
}
