/**
 * IANA code points used by TLS 1.2 and 1.3 (RFC 9846 §4, §B.3; RFC 5246; RFC 8422;
 * IANA "TLS Parameters" registry). Names are the IANA spellings.
 *
 * @module
 */

/** TLSPlaintext.type (RFC 9846 §5.1). */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;

/** Handshake message types (RFC 9846 §4, RFC 5246 §7.4). */
export const HandshakeType = {
  hello_request: 0,
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  server_key_exchange: 12,
  certificate_request: 13,
  server_hello_done: 14,
  certificate_verify: 15,
  client_key_exchange: 16,
  finished: 20,
  certificate_status: 22,
  key_update: 24,
  message_hash: 254,
} as const;

/** Protocol versions (wire values). */
export const ProtocolVersion = {
  SSLv3: 0x0300,
  TLSv1_0: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
} as const;

/** Extension types (RFC 9846 §4.3 and the IANA registry). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  compress_certificate: 27,
  record_size_limit: 28,
  delegated_credential: 34,
  session_ticket: 35,
  supported_ekt_ciphers: 39,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  transparency_info: 52,
  external_id_hash: 55,
  external_session_id: 56,
  quic_transport_parameters: 57,
  ticket_request: 58,
  ech_outer_extensions: 0xfd00,
  encrypted_client_hello: 0xfe0d,
  renegotiation_info: 0xff01,
} as const;

/** Cipher suites (RFC 9846 §B.4; RFC 5289; RFC 7905). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 0xc02c,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca8,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 0xcca9,
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV: 0x00ff,
  TLS_FALLBACK_SCSV: 0x5600,
} as const;

/**
 * Legacy cipher suites puretls never negotiates, named only so that refusals can say
 * what a peer offered (IANA TLS Cipher Suites registry; the ones OpenSSL, GnuTLS and
 * browsers still send: static RSA, DHE, CBC, RC4, 3DES, NULL, CCM).
 */
export const LegacyCipherSuite = {
  TLS_RSA_WITH_NULL_MD5: 0x0001,
  TLS_RSA_WITH_NULL_SHA: 0x0002,
  TLS_RSA_WITH_RC4_128_MD5: 0x0004,
  TLS_RSA_WITH_RC4_128_SHA: 0x0005,
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 0x000a,
  TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA: 0x0016,
  TLS_RSA_WITH_AES_128_CBC_SHA: 0x002f,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA: 0x0033,
  TLS_RSA_WITH_AES_256_CBC_SHA: 0x0035,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA: 0x0039,
  TLS_RSA_WITH_AES_128_CBC_SHA256: 0x003c,
  TLS_RSA_WITH_AES_256_CBC_SHA256: 0x003d,
  TLS_DHE_RSA_WITH_AES_128_CBC_SHA256: 0x0067,
  TLS_DHE_RSA_WITH_AES_256_CBC_SHA256: 0x006b,
  TLS_RSA_WITH_AES_128_GCM_SHA256: 0x009c,
  TLS_RSA_WITH_AES_256_GCM_SHA384: 0x009d,
  TLS_DHE_RSA_WITH_AES_128_GCM_SHA256: 0x009e,
  TLS_DHE_RSA_WITH_AES_256_GCM_SHA384: 0x009f,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 0xc009,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 0xc00a,
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 0xc011,
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 0xc012,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 0xc013,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 0xc014,
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 0xc023,
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384: 0xc024,
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 0xc027,
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384: 0xc028,
  TLS_RSA_WITH_AES_128_CCM: 0xc09c,
  TLS_RSA_WITH_AES_256_CCM: 0xc09d,
  TLS_DHE_RSA_WITH_AES_128_CCM: 0xc09e,
  TLS_DHE_RSA_WITH_AES_256_CCM: 0xc09f,
  TLS_ECDHE_ECDSA_WITH_AES_128_CCM: 0xc0ac,
  TLS_ECDHE_ECDSA_WITH_AES_256_CCM: 0xc0ad,
  TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 0xccaa,
} as const;

/** Named groups (RFC 9846 §4.3.7; RFC 8422; draft-ietf-tls-ecdhe-mlkem). */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
  ffdhe2048: 0x0100,
  SecP256r1MLKEM768: 0x11eb,
  X25519MLKEM768: 0x11ec,
  SecP384r1MLKEM1024: 0x11ed,
} as const;

/** Signature schemes (RFC 9846 §4.3.3). */
export const SignatureScheme = {
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
} as const;

/** PskKeyExchangeMode (RFC 9846 §4.3.9). */
export const PskKeyExchangeMode = {
  psk_ke: 0,
  psk_dhe_ke: 1,
} as const;

/** KeyUpdateRequest (RFC 9846 §4.7.3). */
export const KeyUpdateRequest = {
  update_not_requested: 0,
  update_requested: 1,
} as const;

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([k, v]) => [v, k]));
}
/** The kinds of code point {@link nameOf} and {@link codeOf} know. */
export type CodeKind = 'content' | 'handshake' | 'version' | 'extension' | 'suite' | 'group' | 'scheme';

const names: Readonly<Record<CodeKind, ReadonlyMap<number, string>>> = {
  content: reverse(ContentType),
  handshake: reverse(HandshakeType),
  version: new Map<number, string>([
    [0x0300, 'SSLv3'],
    [0x0301, 'TLSv1'],
    [0x0302, 'TLSv1.1'],
    [0x0303, 'TLSv1.2'],
    [0x0304, 'TLSv1.3'],
  ]),
  extension: reverse(ExtensionType),
  suite: new Map([...reverse(LegacyCipherSuite), ...reverse(CipherSuite)]),
  group: reverse(NamedGroup),
  scheme: reverse(SignatureScheme),
};

function hex(v: number, width: number): string {
  return `0x${v.toString(16).padStart(width, '0')}`;
}

/** Name of a code point of the given kind; unknown values print as `0x..`. */
export function nameOf(kind: CodeKind, value: number): string {
  return names[kind].get(value) ?? hex(value, kind === 'content' || kind === 'handshake' ? 2 : 4);
}

/** Reverse lookup by IANA name (case-sensitive, then case-insensitive). */
export function codeOf(kind: CodeKind, name: string): number | undefined {
  for (const [v, n] of names[kind]) if (n === name) return v;
  const lower = name.toLowerCase();
  for (const [v, n] of names[kind]) if (n.toLowerCase() === lower) return v;
  return undefined;
}
