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

/** KeyShareEntry (RFC 9846 §4.2.8). */
export interface KeyShareEntry {
  readonly group: number;
  readonly keyExchange: Uint8Array;
}

/** PskIdentity (RFC 9846 §4.2.11). */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}

/** OfferedPsks (RFC 9846 §4.2.11). */
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
}

/**
 * Decoded extensions. Each known extension appears as its own field; anything
 * else is in `unknown` (kept, in order, so that encoding round-trips).
 * `order` lists the extension types in wire order (encoders follow it when present;
 * RFC 9846 §4.2.11 requires pre_shared_key to be last in ClientHello).
 */
export interface Extensions {
  /** server_name (RFC 6066 §3): host_name entries in ClientHello; empty-present in server messages. */
  serverName?: string[];
  /** supported_groups (RFC 9846 §4.2.7). */
  supportedGroups?: number[];
  /** signature_algorithms (RFC 9846 §4.2.3). */
  signatureAlgorithms?: number[];
  /** signature_algorithms_cert (RFC 9846 §4.2.3). */
  signatureAlgorithmsCert?: number[];
  /** supported_versions: list in ClientHello, single selected version in ServerHello/HRR (RFC 9846 §4.2.1). */
  supportedVersions?: number[];
  /** key_share in ClientHello (RFC 9846 §4.2.8). */
  keyShareClient?: KeyShareEntry[];
  /** key_share in ServerHello (RFC 9846 §4.2.8). */
  keyShareServer?: KeyShareEntry;
  /** key_share in HelloRetryRequest: the selected group (RFC 9846 §4.2.8). */
  keyShareHrr?: number;
  /** application_layer_protocol_negotiation (RFC 7301): list in ClientHello, exactly one in EE. */
  alpn?: string[];
  /** cookie (RFC 9846 §4.2.2). */
  cookie?: Uint8Array;
  /** psk_key_exchange_modes (RFC 9846 §4.2.9). */
  pskKeyExchangeModes?: number[];
  /** pre_shared_key in ClientHello (RFC 9846 §4.2.11). */
  preSharedKeyClient?: OfferedPsks;
  /** pre_shared_key in ServerHello: selected identity index. */
  preSharedKeyServer?: number;
  /** early_data: present (empty) in ClientHello/EE; max_early_data_size in NewSessionTicket. */
  earlyData?: { maxEarlyDataSize?: number };
  /** padding (RFC 7685): length of zero bytes. */
  padding?: number;
  /** Extensions that were not decoded (unknown, or not yet modelled). */
  unknown: RawExtension[];
  /** Extension types in wire order. */
  order: number[];
}

/** ClientHello (RFC 9846 §4.1.2). */
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
   * older client, RFC 9846 §4.1.2); `extensions` is then empty and encoders omit the block.
   */
  legacyNoExtensions?: boolean;
}

/** ServerHello or HelloRetryRequest (RFC 9846 §4.1.3, §4.1.4). `isHrr` is derived from `random`. */
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
  /** True when `random` is the HelloRetryRequest special value (RFC 9846 §4.1.3). */
  isHrr: boolean;
}

/** EncryptedExtensions (RFC 9846 §4.3.1). */
export interface EncryptedExtensions {
  readonly type: 'encrypted_extensions';
  raw?: Uint8Array;
  extensions: Extensions;
}

/** CertificateRequest (RFC 9846 §4.3.2). */
export interface CertificateRequest {
  readonly type: 'certificate_request';
  raw?: Uint8Array;
  context: Uint8Array;
  extensions: Extensions;
}

/** CertificateEntry (RFC 9846 §4.4.2), X.509 form. */
export interface CertificateEntry {
  certData: Uint8Array;
  extensions: Extensions;
}

/** Certificate (RFC 9846 §4.4.2). */
export interface Certificate {
  readonly type: 'certificate';
  raw?: Uint8Array;
  context: Uint8Array;
  entries: CertificateEntry[];
}

/** CertificateVerify (RFC 9846 §4.4.3). */
export interface CertificateVerify {
  readonly type: 'certificate_verify';
  raw?: Uint8Array;
  scheme: number;
  signature: Uint8Array;
}

/** Finished (RFC 9846 §4.4.4). */
export interface Finished {
  readonly type: 'finished';
  raw?: Uint8Array;
  verifyData: Uint8Array;
}

/** NewSessionTicket (RFC 9846 §4.6.1). */
export interface NewSessionTicket {
  readonly type: 'new_session_ticket';
  raw?: Uint8Array;
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  extensions: Extensions;
}

/** KeyUpdate (RFC 9846 §4.6.3). */
export interface KeyUpdate {
  readonly type: 'key_update';
  raw?: Uint8Array;
  requestUpdate: number;
}

/** EndOfEarlyData (RFC 9846 §4.5). */
export interface EndOfEarlyData {
  readonly type: 'end_of_early_data';
  raw?: Uint8Array;
}

/** A TLS 1.3 handshake message. */
export type HandshakeMessage =
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
