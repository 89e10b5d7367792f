/**
 * Plain-data types of the TLS 1.3 and TLS 1.2 handshake messages (RFC 9846 §4, RFC 5246
 * §7.4) and of their extension blocks, one type per message (RFC 9846 §4.3).
 * Codecs live in `hello.ts`, `extensions.ts`, `certificate.ts`, `handshake.ts`, `tls12.ts`.
 * Every decoded handshake message keeps `raw` (the full message with its 4-byte
 * header) for the transcript hash.
 *
 * @module
 */
import type { ProtocolVersion } from './codes.js';

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
 * What every extension block has besides its modelled extensions (RFC 9846 §4.3).
 *
 * Each message has its own block type below, with a field for each extension it models
 * and only for those RFC 9846 §4.3's table (or, for a TLS 1.2 ServerHello, RFC 5246
 * §7.4.1.4) allows in it: a block with an extension its message may not carry does not
 * type-check, and `src/wire/extensions.ts` refuses it when decoding (illegal_parameter)
 * and encoding (internal_error). A field's name is the same in every message
 * (`keyShare` is key_share, ...), its type is that message's form of the extension.
 */
export interface ExtensionBlock {
  /**
   * Extensions kept undecoded, in wire order: types we do not recognize, recognized ones
   * this message allows but we do not model, and (in a ClientHello only) recognized ones
   * the table does not allow there, which a server ignores. Decoders always set it.
   */
  unknown?: RawExtension[];
  /**
   * Extension types in wire order, as decoded (decoders always set it). Encoders write the
   * types listed here first, then the other modelled ones in the message's default
   * order, then `unknown` ones: so decoding then encoding round-trips byte for byte.
   */
  order?: number[];
}

/** ClientHello extensions (RFC 9846 §4.2.2; the "CH" column of §4.3's table, and the TLS 1.2 hello extensions). */
export interface ClientHelloExtensions extends ExtensionBlock {
  /** server_name (RFC 6066 §3): the one host_name, ASCII. */
  serverName?: string;
  /** supported_groups (RFC 9846 §4.3.7). */
  supportedGroups?: number[];
  /** signature_algorithms (RFC 9846 §4.3.3). */
  signatureAlgorithms?: number[];
  /** signature_algorithms_cert (RFC 9846 §4.3.3). */
  signatureAlgorithmsCert?: number[];
  /** application_layer_protocol_negotiation (RFC 7301 §3.1): the protocols offered, one char per byte. */
  alpn?: string[];
  /** supported_versions (RFC 9846 §4.3.1): the versions offered, most preferred first. */
  supportedVersions?: number[];
  /** psk_key_exchange_modes (RFC 9846 §4.3.9). */
  pskKeyExchangeModes?: number[];
  /** key_share (RFC 9846 §4.3.8): client_shares, at most one per group. */
  keyShare?: KeyShareEntry[];
  /** cookie (RFC 9846 §4.3.2): echoed from a HelloRetryRequest. */
  cookie?: Uint8Array;
  /** early_data (RFC 9846 §4.3.10): present (empty). */
  earlyData?: true;
  /** status_request (RFC 6066 §8, RFC 9846 §4.5.1.1): the CertificateStatusRequest, undecoded. */
  statusRequest?: Uint8Array;
  /** ec_point_formats (RFC 8422 §5.1.2), for TLS 1.2. */
  ecPointFormats?: number[];
  /** session_ticket (RFC 5077 §3.2), for TLS 1.2: the ticket offered (empty to ask for one). */
  sessionTicket?: Uint8Array;
  /** extended_master_secret (RFC 7627 §5.1), for TLS 1.2: present (empty). */
  extendedMasterSecret?: true;
  /** renegotiation_info (RFC 5746 §3.2), for TLS 1.2: renegotiated_connection (empty on an initial handshake). */
  renegotiationInfo?: Uint8Array;
  /** padding (RFC 7685 §3): the number of zero bytes. */
  padding?: number;
  /** pre_shared_key (RFC 9846 §4.3.11): OfferedPsks; always encoded last. */
  preSharedKey?: OfferedPsks;
}

/**
 * Extensions of a ServerHello that selects TLS 1.3 (RFC 9846 §4.2.3; the "SH" column of
 * §4.3's table): supported_versions is 0x0304, which is what makes it one.
 */
export interface ServerHelloExtensions extends ExtensionBlock {
  /** Which rules the block follows: RFC 9846 §4.3's table. */
  readonly rules: 'tls13';
  /** supported_versions (RFC 9846 §4.3.1): selected_version, TLS 1.3. */
  supportedVersions: typeof ProtocolVersion.TLSv1_3;
  /** key_share (RFC 9846 §4.3.8): server_share. */
  keyShare?: KeyShareEntry;
  /** pre_shared_key (RFC 9846 §4.3.11): selected_identity. */
  preSharedKey?: number;
}

/**
 * Extensions of a TLS 1.2 ServerHello (RFC 5246 §7.4.1.4: the server's answers to the
 * ClientHello's extensions, which TLS 1.3 splits between ServerHello and
 * EncryptedExtensions): any ServerHello whose supported_versions does not select TLS 1.3.
 * The TLS 1.3 ServerHello extensions are modelled too, so that the handshake can refuse a
 * bogus one with the right alert.
 */
export interface ServerHello12Extensions extends ExtensionBlock {
  /** Which rules the block follows: the TLS 1.2 ServerHello's. */
  readonly rules: 'tls12';
  /** server_name (RFC 6066 §3): present (empty) when the server used the name. */
  serverName?: true;
  /** supported_groups: not defined for a TLS 1.2 ServerHello (RFC 8422 §5.2), but some servers echo it. */
  supportedGroups?: number[];
  /** application_layer_protocol_negotiation (RFC 7301 §3.1): the one protocol selected. */
  alpn?: string;
  /** status_request (RFC 6066 §8): present (empty) when a CertificateStatus follows. */
  statusRequest?: true;
  /** ec_point_formats (RFC 8422 §5.2). */
  ecPointFormats?: number[];
  /** session_ticket (RFC 5077 §3.2): present (empty) when a NewSessionTicket follows. */
  sessionTicket?: true;
  /** extended_master_secret (RFC 7627 §5.1): present (empty). */
  extendedMasterSecret?: true;
  /** renegotiation_info (RFC 5746 §3.2): client_verify_data ‖ server_verify_data (empty on an initial handshake). */
  renegotiationInfo?: Uint8Array;
  /** supported_versions selecting a version other than TLS 1.3 (RFC 9846 §4.3.1: the client refuses it). */
  supportedVersions?: number;
  /** key_share in a TLS 1.2 ServerHello (meaningless there; kept for the handshake to judge). */
  keyShare?: KeyShareEntry;
  /** pre_shared_key in a TLS 1.2 ServerHello (meaningless there; kept for the handshake to judge). */
  preSharedKey?: number;
}

/** HelloRetryRequest extensions (RFC 9846 §4.2.4; the "HRR" column of §4.3's table). */
export interface HelloRetryRequestExtensions extends ExtensionBlock {
  /** supported_versions (RFC 9846 §4.3.1): selected_version. */
  supportedVersions?: number;
  /** key_share (RFC 9846 §4.3.8): selected_group. */
  keyShare?: number;
  /** cookie (RFC 9846 §4.3.2). */
  cookie?: Uint8Array;
}

/** The extensions of EncryptedExtensions (RFC 9846 §4.4.1; the "EE" column of §4.3's table). */
export interface EeExtensions extends ExtensionBlock {
  /** server_name (RFC 6066 §3): present (empty) when the server used the name. */
  serverName?: true;
  /** supported_groups (RFC 9846 §4.3.7): the server's groups, for later connections. */
  supportedGroups?: number[];
  /** application_layer_protocol_negotiation (RFC 7301 §3.1): the one protocol selected. */
  alpn?: string;
  /** early_data (RFC 9846 §4.3.10): present (empty) when 0-RTT data was accepted. */
  earlyData?: true;
}

/**
 * TLS 1.3 CertificateRequest extensions (RFC 9846 §4.4.2; the "CR" column of §4.3's
 * table). certificate_authorities, oid_filters and the others it allows stay in `unknown`.
 */
export interface CertificateRequestExtensions extends ExtensionBlock {
  /** server_name (RFC 9261 §4): the ClientHello form, one host_name. */
  serverName?: string;
  /** signature_algorithms (RFC 9846 §4.3.3); the handshake requires it. */
  signatureAlgorithms?: number[];
  /** signature_algorithms_cert (RFC 9846 §4.3.3). */
  signatureAlgorithmsCert?: number[];
}

/** CertificateEntry extensions (RFC 9846 §4.5.1; the "CT" column of §4.3's table). */
export interface CertificateEntryExtensions extends ExtensionBlock {
  /** status_request (RFC 9846 §4.5.1.1): a CertificateStatus (RFC 6066 §8), undecoded. */
  statusRequest?: Uint8Array;
}

/** NewSessionTicket extensions (RFC 9846 §4.7.1; the "NST" column of §4.3's table). */
export interface NewSessionTicketExtensions extends ExtensionBlock {
  /** early_data (RFC 9846 §4.3.10): max_early_data_size. */
  earlyData?: { readonly maxEarlyDataSize: number };
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
  extensions: ClientHelloExtensions;
  /**
   * True when the message had no extensions block at all (a pre-extensions TLS 1.2 or
   * older client, RFC 9846 §4.2.2); `extensions` is then empty and encoders omit the block.
   */
  legacyNoExtensions?: boolean;
}

/** The fields a ServerHello and a HelloRetryRequest share (RFC 9846 §4.2.3). */
export interface ServerHelloFields {
  readonly type: 'server_hello';
  raw?: Uint8Array;
  legacyVersion: number;
  random: Uint8Array;
  legacySessionIdEcho: Uint8Array;
  cipherSuite: number;
  legacyCompressionMethod: number;
  /**
   * True when the message had no extensions block at all (a TLS 1.2 server answering a
   * client that sent none, RFC 5246 §7.4.1.3); `extensions` is then empty and encoders
   * omit the block.
   */
  legacyNoExtensions?: boolean;
}

/**
 * ServerHello (RFC 9846 §4.2.3; RFC 5246 §7.4.1.3). Its extensions follow RFC 9846 §4.3's
 * table when supported_versions selects TLS 1.3, the TLS 1.2 rules otherwise
 * (`extensions.rules` says which).
 */
export interface ServerHello extends ServerHelloFields {
  /** False: `random` is not the HelloRetryRequest value (RFC 9846 §4.2.3). */
  isHrr: false;
  extensions: ServerHelloExtensions | ServerHello12Extensions;
}

/** HelloRetryRequest (RFC 9846 §4.2.4): a ServerHello whose `random` is the special value. */
export interface HelloRetryRequest extends ServerHelloFields {
  /** True: `random` is the HelloRetryRequest value (RFC 9846 §4.2.3). */
  isHrr: true;
  extensions: HelloRetryRequestExtensions;
}

/** EncryptedExtensions (RFC 9846 §4.4.1). */
export interface EncryptedExtensions {
  readonly type: 'encrypted_extensions';
  raw?: Uint8Array;
  extensions: EeExtensions;
}

/** CertificateRequest (RFC 9846 §4.4.2). */
export interface CertificateRequest {
  readonly type: 'certificate_request';
  raw?: Uint8Array;
  context: Uint8Array;
  extensions: CertificateRequestExtensions;
}

/** CertificateEntry (RFC 9846 §4.5.1), X.509 form. */
export interface CertificateEntry {
  certData: Uint8Array;
  extensions: CertificateEntryExtensions;
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
  extensions: NewSessionTicketExtensions;
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
  | HelloRetryRequest
  | EncryptedExtensions
  | CertificateRequest
  | Certificate
  | CertificateVerify
  | Finished
  | NewSessionTicket
  | KeyUpdate
  | EndOfEarlyData;
