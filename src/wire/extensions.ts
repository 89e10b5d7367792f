/**
 * Extension codecs for TLS 1.3 handshake messages (RFC 9846 §4.3, §B.3.1), plus
 * server_name (RFC 6066 §3), status_request (RFC 6066 §8, raw body, in the hellos),
 * application_layer_protocol_negotiation (RFC 7301 §3.1) and padding (RFC 7685), and
 * the TLS 1.2 hello extensions: ec_point_formats (RFC 8422 §5.1.2),
 * extended_master_secret (RFC 7627 §5.1), session_ticket (RFC 5077 §3.2) and
 * renegotiation_info (RFC 5746 §3.2).
 *
 * An extension block is decoded against the message it appears in (an
 * {@link ExtContext}), because several extensions change shape with the message
 * (supported_versions, key_share, pre_shared_key, early_data, server_name).
 *
 * Rules enforced while decoding:
 * - every vector length is bounded and every extension body is fully consumed
 *   (RFC 9846 §4.3: data left over → decode_error);
 * - at most one extension of each type per block (RFC 9846 §4.3) → IllegalParameter;
 * - an extension listed in the RFC 9846 §4.3 table for other messages only: in a
 *   ClientHello it is kept undecoded in `unknown` and ignored; in any other message
 *   → IllegalParameter (RFC 9846 §4.3);
 * - pre_shared_key must be the last extension of a ClientHello (RFC 9846 §4.3.11)
 *   → IllegalParameter.
 *
 * TLS 1.2 ServerHello: a ServerHello's block is judged by the version it selects
 * (`version: 'auto'`, used by `hello.ts`): with supported_versions selecting 0x0304 it
 * is a TLS 1.3 ServerHello and the rules above apply (the TLS 1.2-only extensions are
 * "recognized" and not specified for it → IllegalParameter). Otherwise it is a TLS 1.2
 * ServerHello (RFC 5246 §7.4.1.3), which carries what TLS 1.3 moved to
 * EncryptedExtensions: the extensions allowed there are those of
 * {@link TLS12_SERVER_HELLO_EXTENSIONS}; any other recognized extension (cookie,
 * early_data, signature_algorithms, padding, ...) → IllegalParameter, unknown ones are
 * kept. Duplicates are refused in both.
 *
 * Unknown extensions are kept (in `unknown`, with their place in `order`) in every
 * message: whether an unsolicited one is fatal is the handshake's decision (RFC 9846
 * §4.2, unsupported_extension); see {@link unsolicitedExtensions}.
 *
 * Text fields: host names are ASCII (RFC 6066 §3); ALPN protocol names are opaque
 * bytes (RFC 7301 §3.1) mapped one byte to one char (latin1), so decoding and
 * encoding are lossless for any byte string.
 *
 * @module
 */
import { TlsError } from '../errors.js';
import { ExtensionType, nameOf } from './codes.js';
import type { Extensions, KeyShareEntry, OfferedPsks, PskIdentity, RawExtension } from './messages.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** The message an extension block belongs to (the columns of the RFC 9846 §4.3 table). */
export type ExtContext =
  | 'client_hello'
  | 'server_hello'
  | 'hello_retry_request'
  | 'encrypted_extensions'
  | 'certificate'
  | 'certificate_request'
  | 'new_session_ticket';

/** Which protocol version's rules an extension block of a ServerHello follows (see {@link decodeExtensions}). */
export type ExtVersion = 'tls12' | 'tls13' | 'auto';

/** Internal: the contexts plus a TLS 1.2 ServerHello, whose rules differ (RFC 5246 §7.4.1.4). */
type Ctx = ExtContext | 'server_hello_tls12';

const CH = 1;
const SH = 2;
const HRR = 4;
const EE = 8;
const CT = 16;
const CR = 32;
const NST = 64;

const CONTEXT_BIT: Readonly<Record<ExtContext, number>> = {
  client_hello: CH,
  server_hello: SH,
  hello_retry_request: HRR,
  encrypted_extensions: EE,
  certificate: CT,
  certificate_request: CR,
  new_session_ticket: NST,
};

const ALL_CONTEXTS = Object.keys(CONTEXT_BIT) as ExtContext[];

/**
 * RFC 9846 §4.3, table "TLS Extensions": the messages each recognized extension may
 * appear in. Types not listed here are "unrecognized" for the purpose of that rule.
 */
const ALLOWED = new Map<number, number>([
  [0, CH | EE | CR], // server_name (RFC 6066, RFC 9261)
  [5, CH | CR | CT], // status_request
  [10, CH | EE], // supported_groups
  [13, CH | CR], // signature_algorithms
  [14, CH | EE], // use_srtp
  [15, CH | EE], // heartbeat
  [16, CH | EE], // application_layer_protocol_negotiation
  [19, CH | EE], // client_certificate_type
  [20, CH | EE], // server_certificate_type
  [21, CH], // padding
  [27, CH | CR], // compress_certificate
  [28, CH | EE], // record_size_limit
  [34, CH | CR | CT], // delegated_credential
  [39, CH | EE], // supported_ekt_ciphers
  [41, CH | SH], // pre_shared_key
  [42, CH | EE | NST], // early_data
  [43, CH | SH | HRR], // supported_versions
  [44, CH | HRR], // cookie
  [45, CH], // psk_key_exchange_modes
  [47, CH | CR], // certificate_authorities
  [48, CR], // oid_filters
  [49, CH], // post_handshake_auth
  [50, CH | CR], // signature_algorithms_cert
  [51, CH | SH | HRR], // key_share
  [52, CH | CR | CT], // transparency_info
  [55, CH | EE], // external_id_hash
  [56, CH | EE], // external_session_id
  [57, CH | EE], // quic_transport_parameters
  [58, CH | EE], // ticket_request
  [64768, CH], // ech_outer_extensions
  [65037, CH | HRR | EE], // encrypted_client_hello
  // Not in the RFC 9846 table: TLS 1.2 extensions we recognize. A ClientHello offering
  // TLS 1.2 carries them; no TLS 1.3 message may (RFC 9846 §4.3: a recognized extension
  // "not specified for the message in which it appears" → illegal_parameter). A TLS 1.2
  // ServerHello has its own rules (TLS12_SERVER_HELLO_EXTENSIONS).
  [11, CH], // ec_point_formats (RFC 8422 §5.1.2)
  [23, CH], // extended_master_secret (RFC 7627 §5.1)
  [35, CH], // session_ticket (RFC 5077 §3.2)
  [0xff01, CH], // renegotiation_info (RFC 5746 §3.2)
]);

/**
 * Extensions a TLS 1.2 ServerHello may carry (RFC 5246 §7.4.1.4: the server's answers to
 * the ClientHello's extensions, which TLS 1.3 splits between ServerHello and
 * EncryptedExtensions): the RFC 9846 ServerHello ones, so that the handshake can see a
 * bogus supported_versions, key_share or pre_shared_key and answer it; server_name
 * (RFC 6066 §3, empty), status_request (RFC 6066 §8, empty), supported_groups (not
 * defined for a TLS 1.2 ServerHello by RFC 8422 §5.2, but some servers echo it, so it is
 * tolerated), ec_point_formats (RFC 8422 §5.2), use_srtp (RFC 5764 §4.1.1), heartbeat
 * (RFC 6520 §2), ALPN (RFC 7301 §3.1, exactly one protocol), client/server_certificate_type
 * (RFC 7250 §3), extended_master_secret (RFC 7627 §5.1), record_size_limit (RFC 8449 §4),
 * session_ticket (RFC 5077 §3.2, empty), supported_ekt_ciphers (RFC 8870),
 * external_id_hash / external_session_id (RFC 8844) and renegotiation_info
 * (RFC 5746 §3.2). Extensions the RFC 9846 table does not list at all (for example
 * max_fragment_length, encrypt_then_mac) are unrecognized and kept in `unknown`.
 */
export const TLS12_SERVER_HELLO_EXTENSIONS: ReadonlySet<number> = new Set([
  0, 5, 10, 11, 14, 15, 16, 19, 20, 23, 28, 35, 39, 41, 43, 51, 55, 56, 0xff01,
]);

/** True if the extensions select TLS 1.3 (supported_versions = 0x0304, RFC 9846 §4.3.1). */
function isTls13ServerHello(ext: Extensions): boolean {
  const v = ext.supportedVersions;
  return v !== undefined && v.length === 1 && v[0] === 0x0304;
}

/**
 * The protocol version whose extension rules govern a ServerHello with these
 * (decoded) extensions: `'tls13'` if supported_versions selects 0x0304 (RFC 9846
 * §4.2.1), else `'tls12'`.
 */
export function serverHelloRules(ext: Extensions): 'tls12' | 'tls13' {
  return isTls13ServerHello(ext) ? 'tls13' : 'tls12';
}

/**
 * The TLS 1.3 messages in which RFC 9846 §4.3's table allows extension `type`, or
 * `undefined` if we do not recognize it. The TLS 1.2 extensions we decode
 * (ec_point_formats, extended_master_secret, session_ticket, renegotiation_info) are
 * listed for ClientHello only. A TLS 1.2 ServerHello follows
 * {@link TLS12_SERVER_HELLO_EXTENSIONS} instead.
 */
export function allowedContexts(type: number): ExtContext[] | undefined {
  const bits = ALLOWED.get(type);
  if (bits === undefined) return undefined;
  return ALL_CONTEXTS.filter((c) => (bits & CONTEXT_BIT[c]) !== 0);
}

/**
 * True if RFC 9846 §4.3's table lists extension `type` for `context`.
 * False both for a recognized extension in the wrong message and for a type the
 * table does not list (use {@link allowedContexts} to tell them apart).
 */
export function isAllowedIn(type: number, context: ExtContext): boolean {
  const bits = ALLOWED.get(type);
  return bits !== undefined && (bits & CONTEXT_BIT[context]) !== 0;
}

function decodeError(detail: string): TlsError {
  return new TlsError('DecodeError', { detail });
}
function illegal(detail: string): TlsError {
  return new TlsError('IllegalParameter', { detail });
}
function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

function extName(type: number): string {
  return nameOf('extension', type);
}

// ---------------------------------------------------------------------------
// Small shared pieces

/** A vector of u16 values, `lenBytes`-prefixed, byte length within [min, max]. */
function readU16List(r: Reader, lenBytes: 1 | 2, what: string, min: number, max: number): number[] {
  const sub = lenBytes === 1 ? r.vec8(what, min, max) : r.vec16(what, min, max);
  // RFC 9846 §3: a vector of uint16 has a byte length that is a multiple of 2
  if (sub.left % 2 !== 0) throw decodeError(`${what}: odd length ${sub.left}`);
  const out: number[] = [];
  while (sub.left > 0) out.push(sub.u16());
  return out;
}

function writeU16List(w: Writer, lenBytes: 1 | 2, values: readonly number[], what: string, minCount: number, maxCount: number): void {
  if (values.length < minCount || values.length > maxCount) {
    throw internal(`${what}: ${values.length} entries outside [${minCount}, ${maxCount}]`);
  }
  const body = (x: Writer): void => {
    for (const v of values) x.u16(v);
  };
  if (lenBytes === 1) w.vec8(body);
  else w.vec16(body);
}

/** Bytes → string, one char per byte (lossless). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** String → bytes, one byte per char; chars above 0xff are a caller bug. */
function fromLatin1(s: string, what: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw internal(`${what}: character U+${c.toString(16)} is not a single byte`);
    out[i] = c;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Per-extension codecs

/** RFC 6066 §3: NameType host_name(0). */
const HOST_NAME = 0;

function isServerSide(context: Ctx): boolean {
  return context !== 'client_hello' && context !== 'certificate_request';
}

function decodeServerName(r: Reader, e: Extensions, context: Ctx): void {
  if (isServerSide(context)) {
    // RFC 6066 §3: the server's "server_name" extension has empty extension_data
    r.end('server_name (server)');
    e.serverName = [];
    return;
  }
  // RFC 6066 §3: ServerName server_name_list<1..2^16-1>
  // (the CertificateRequest form is the same list, RFC 9261 §4)
  const list = r.vec16('server_name list', 1);
  const names: string[] = [];
  while (list.left > 0) {
    const nameType = list.u8();
    // RFC 6066 §3 defines only host_name; the select() has no other arm, so any other
    // NameType cannot be parsed (and none was ever deployed).
    if (nameType !== HOST_NAME) throw decodeError(`server_name: unknown name_type ${nameType}`);
    // RFC 6066 §3: opaque HostName<1..2^16-1>
    const host = list.vec16Bytes('server_name host_name', 1);
    for (const c of host) {
      // RFC 6066 §3: "The hostname is represented as a byte string using ASCII encoding"
      if (c < 0x21 || c > 0x7e) throw illegal(`server_name: byte 0x${c.toString(16)} in host_name`);
    }
    names.push(latin1(host));
  }
  // RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of the same name_type."
  if (names.length > 1) throw illegal('server_name: more than one host_name');
  e.serverName = names;
}

function encodeServerName(w: Writer, e: Extensions, context: Ctx): void {
  const names = e.serverName ?? [];
  if (isServerSide(context)) {
    // RFC 6066 §3: empty in server messages
    if (names.length !== 0) throw internal('server_name: must be empty in server messages');
    return;
  }
  // RFC 6066 §3: server_name_list<1..2^16-1>, at most one host_name
  if (names.length !== 1) throw internal(`server_name: ${names.length} host names (need exactly 1)`);
  w.vec16((x) => {
    for (const n of names) {
      const b = fromLatin1(n, 'server_name');
      if (b.length === 0) throw internal('server_name: empty host name');
      x.u8(HOST_NAME).vec16((y) => y.bytes(b));
    }
  });
}

function decodeKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  // RFC 9846 §4.3.8: opaque key_exchange<1..2^16-1>
  const keyExchange = r.vec16Bytes('key_share key_exchange', 1);
  return { group, keyExchange };
}

function encodeKeyShareEntry(w: Writer, k: KeyShareEntry): void {
  if (k.keyExchange.length === 0) throw internal('key_share: empty key_exchange');
  w.u16(k.group).vec16((x) => x.bytes(k.keyExchange));
}

function decodeKeyShare(r: Reader, e: Extensions, context: Ctx): void {
  if (context === 'client_hello') {
    // RFC 9846 §4.3.8: KeyShareEntry client_shares<0..2^16-1>
    const shares = r.list(2, decodeKeyShareEntry, 'key_share client_shares');
    // RFC 9846 §4.3.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
    // group ... Servers MAY check for violations ... illegal_parameter"
    const seen = new Set<number>();
    for (const s of shares) {
      if (seen.has(s.group)) throw illegal(`key_share: two shares for group ${nameOf('group', s.group)}`);
      seen.add(s.group);
    }
    e.keyShareClient = shares;
  } else if (context === 'hello_retry_request') {
    // RFC 9846 §4.3.8: KeyShareHelloRetryRequest { NamedGroup selected_group; }
    e.keyShareHrr = r.u16();
  } else {
    // RFC 9846 §4.3.8: KeyShareServerHello { KeyShareEntry server_share; }
    e.keyShareServer = decodeKeyShareEntry(r);
  }
}

function encodeKeyShare(w: Writer, e: Extensions, context: Ctx): void {
  if (context === 'client_hello') {
    const shares = e.keyShareClient;
    if (!shares || e.keyShareServer !== undefined || e.keyShareHrr !== undefined) {
      throw internal('key_share: ClientHello needs keyShareClient only');
    }
    w.vec16((x) => {
      for (const s of shares) encodeKeyShareEntry(x, s);
    });
  } else if (context === 'hello_retry_request') {
    if (e.keyShareHrr === undefined || e.keyShareClient || e.keyShareServer) {
      throw internal('key_share: HelloRetryRequest needs keyShareHrr only');
    }
    w.u16(e.keyShareHrr);
  } else {
    if (!e.keyShareServer || e.keyShareClient || e.keyShareHrr !== undefined) {
      throw internal('key_share: ServerHello needs keyShareServer only');
    }
    encodeKeyShareEntry(w, e.keyShareServer);
  }
}

function decodeSupportedVersions(r: Reader, e: Extensions, context: Ctx): void {
  if (context === 'client_hello') {
    // RFC 9846 §4.3.1: ProtocolVersion versions<2..254>
    e.supportedVersions = readU16List(r, 1, 'supported_versions', 2, 254);
  } else {
    // RFC 9846 §4.3.1: ProtocolVersion selected_version (ServerHello and HelloRetryRequest)
    e.supportedVersions = [r.u16()];
  }
}

function encodeSupportedVersions(w: Writer, e: Extensions, context: Ctx): void {
  const v = e.supportedVersions ?? [];
  if (context === 'client_hello') {
    writeU16List(w, 1, v, 'supported_versions', 1, 127);
  } else {
    if (v.length !== 1) throw internal(`supported_versions: ${v.length} versions in a server message (need 1)`);
    w.u16(v[0]!);
  }
}

function decodeAlpn(r: Reader, e: Extensions, context: Ctx): void {
  // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>
  const names = r.list(2, (x) => latin1(x.vec8Bytes('ALPN protocol name', 1)), 'ALPN protocol_name_list', 2);
  // RFC 7301 §3.1: the server's ProtocolNameList "MUST contain exactly one ProtocolName"
  // (in EncryptedExtensions for TLS 1.3, in ServerHello for TLS 1.2)
  if ((context === 'encrypted_extensions' || context === 'server_hello_tls12') && names.length !== 1) {
    throw decodeError(`ALPN: ${names.length} protocols in ${context} (need exactly 1)`);
  }
  e.alpn = names;
}

function encodeAlpn(w: Writer, e: Extensions, context: Ctx): void {
  const names = e.alpn ?? [];
  if (names.length === 0) throw internal('ALPN: empty protocol list');
  if ((context === 'encrypted_extensions' || context === 'server_hello_tls12') && names.length !== 1) {
    throw internal(`ALPN: ${context} needs exactly 1 protocol`);
  }
  w.vec16((x) => {
    for (const n of names) {
      const b = fromLatin1(n, 'ALPN');
      if (b.length === 0) throw internal('ALPN: empty protocol name');
      x.vec8((y) => y.bytes(b));
    }
  });
}

function decodePskIdentity(r: Reader): PskIdentity {
  // RFC 9846 §4.3.11: opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age
  const identity = r.vec16Bytes('pre_shared_key identity', 1);
  const obfuscatedTicketAge = r.u32();
  return { identity, obfuscatedTicketAge };
}

function decodePreSharedKey(r: Reader, e: Extensions, context: Ctx): void {
  if (context !== 'client_hello') {
    // RFC 9846 §4.3.11: uint16 selected_identity
    e.preSharedKeyServer = r.u16();
    return;
  }
  // RFC 9846 §4.3.11: PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>
  const identities = r.list(2, decodePskIdentity, 'pre_shared_key identities', 7);
  // RFC 9846 §4.3.11: opaque PskBinderEntry<32..255>
  const binders = r.list(2, (x) => x.vec8Bytes('pre_shared_key binder', 32), 'pre_shared_key binders', 33);
  // RFC 9846 §4.3.11: binders are "one for each value in the identities list"
  if (identities.length !== binders.length) {
    throw illegal(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
  }
  e.preSharedKeyClient = { identities, binders };
}

function encodePreSharedKey(w: Writer, e: Extensions, context: Ctx): void {
  if (context !== 'client_hello') {
    if (e.preSharedKeyServer === undefined || e.preSharedKeyClient) throw internal('pre_shared_key: ServerHello needs preSharedKeyServer only');
    w.u16(e.preSharedKeyServer);
    return;
  }
  const psk = e.preSharedKeyClient;
  if (!psk || e.preSharedKeyServer !== undefined) throw internal('pre_shared_key: ClientHello needs preSharedKeyClient only');
  if (psk.identities.length === 0 || psk.identities.length !== psk.binders.length) {
    throw internal(`pre_shared_key: ${psk.identities.length} identities, ${psk.binders.length} binders`);
  }
  w.vec16((x) => {
    for (const id of psk.identities) {
      if (id.identity.length === 0) throw internal('pre_shared_key: empty identity');
      x.vec16((y) => y.bytes(id.identity)).u32(id.obfuscatedTicketAge);
    }
  });
  encodeBinders(w, psk.binders);
}

function encodeBinders(w: Writer, binders: readonly Uint8Array[]): void {
  w.vec16((x) => {
    for (const b of binders) {
      if (b.length < 32) throw internal(`pre_shared_key: binder of ${b.length} bytes (min 32)`);
      x.vec8((y) => y.bytes(b));
    }
  });
}

/**
 * Length in bytes of the encoded `binders` vector of an OfferedPsks (its 2-byte
 * length included). The ClientHello is the last thing encoded in a ClientHello, so
 * the "partial ClientHello" covered by the binders (RFC 9846 §4.3.11.2) is the
 * encoded message minus this many trailing bytes.
 */
export function pskBindersLength(psks: OfferedPsks): number {
  let n = 2;
  for (const b of psks.binders) n += 1 + b.length;
  return n;
}

function decodeEarlyData(r: Reader, e: Extensions, context: Ctx): void {
  if (context === 'new_session_ticket') {
    // RFC 9846 §4.3.10: uint32 max_early_data_size
    e.earlyData = { maxEarlyDataSize: r.u32() };
  } else {
    // RFC 9846 §4.3.10: Empty in ClientHello and EncryptedExtensions (r.end() below)
    e.earlyData = {};
  }
}

function encodeEarlyData(w: Writer, e: Extensions, context: Ctx): void {
  const size = e.earlyData?.maxEarlyDataSize;
  if (context === 'new_session_ticket') {
    if (size === undefined) throw internal('early_data: NewSessionTicket needs maxEarlyDataSize');
    w.u32(size);
  } else if (size !== undefined) {
    throw internal('early_data: maxEarlyDataSize only belongs in NewSessionTicket');
  }
}

function decodePadding(r: Reader, e: Extensions): void {
  const pad = r.rest();
  // RFC 7685 §3: "The client MUST fill the padding extension completely with zero bytes"
  for (const b of pad) if (b !== 0) throw illegal('padding: non-zero byte');
  e.padding = pad.length;
}

function decodeStatusRequest(r: Reader, e: Extensions, context: Ctx): void {
  const body = r.rest();
  // RFC 6066 §8: the server includes "an extension of type "status_request" with empty
  // "extension_data"" in its ServerHello
  if (context === 'server_hello_tls12' && body.length !== 0) throw decodeError(`status_request: ${body.length} bytes in ServerHello (must be empty)`);
  // In a ClientHello the body (a CertificateStatusRequest) is kept as is.
  e.statusRequest = body;
}

function encodeStatusRequest(w: Writer, e: Extensions, context: Ctx): void {
  const body = e.statusRequest ?? new Uint8Array(0);
  if (context === 'server_hello_tls12' && body.length !== 0) throw internal('status_request: must be empty in ServerHello');
  w.bytes(body);
}

function decodeSessionTicket(r: Reader, e: Extensions, context: Ctx): void {
  // RFC 5077 §3.2: the ClientHello's extension_data is the ticket (empty to ask for one);
  // a server that will send a NewSessionTicket answers with a zero-length extension.
  const ticket = r.rest();
  if (context === 'server_hello_tls12' && ticket.length !== 0) throw decodeError(`session_ticket: ${ticket.length} bytes in ServerHello (must be empty)`);
  e.sessionTicket = ticket;
}

function encodeSessionTicket(w: Writer, e: Extensions, context: Ctx): void {
  const ticket = e.sessionTicket ?? new Uint8Array(0);
  if (context === 'server_hello_tls12' && ticket.length !== 0) throw internal('session_ticket: must be empty in ServerHello');
  w.bytes(ticket);
}

interface ExtCodec {
  readonly type: number;
  /** Contexts where the decoder runs; elsewhere (if allowed) the extension is kept in `unknown`. Default: all. */
  readonly decodeIn?: readonly Ctx[];
  has(e: Extensions): boolean;
  decode(r: Reader, e: Extensions, context: Ctx): void;
  encode(w: Writer, e: Extensions, context: Ctx): void;
}

const CODECS: readonly ExtCodec[] = [
  {
    type: ExtensionType.server_name,
    has: (e) => e.serverName !== undefined,
    decode: decodeServerName,
    encode: encodeServerName,
  },
  {
    type: ExtensionType.supported_groups,
    has: (e) => e.supportedGroups !== undefined,
    // RFC 9846 §4.3.7: NamedGroup named_group_list<2..2^16-1>
    decode: (r, e) => {
      e.supportedGroups = readU16List(r, 2, 'supported_groups', 2, 0xffff);
    },
    encode: (w, e) => writeU16List(w, 2, e.supportedGroups ?? [], 'supported_groups', 1, 0x7fff),
  },
  {
    type: ExtensionType.signature_algorithms,
    has: (e) => e.signatureAlgorithms !== undefined,
    // RFC 9846 §4.3.3: SignatureScheme supported_signature_algorithms<2..2^16-2>
    decode: (r, e) => {
      e.signatureAlgorithms = readU16List(r, 2, 'signature_algorithms', 2, 0xfffe);
    },
    encode: (w, e) => writeU16List(w, 2, e.signatureAlgorithms ?? [], 'signature_algorithms', 1, 0x7fff),
  },
  {
    type: ExtensionType.signature_algorithms_cert,
    has: (e) => e.signatureAlgorithmsCert !== undefined,
    // RFC 9846 §4.3.3: same SignatureSchemeList
    decode: (r, e) => {
      e.signatureAlgorithmsCert = readU16List(r, 2, 'signature_algorithms_cert', 2, 0xfffe);
    },
    encode: (w, e) => writeU16List(w, 2, e.signatureAlgorithmsCert ?? [], 'signature_algorithms_cert', 1, 0x7fff),
  },
  {
    type: ExtensionType.application_layer_protocol_negotiation,
    has: (e) => e.alpn !== undefined,
    decode: decodeAlpn,
    encode: encodeAlpn,
  },
  {
    type: ExtensionType.supported_versions,
    has: (e) => e.supportedVersions !== undefined,
    decode: decodeSupportedVersions,
    encode: encodeSupportedVersions,
  },
  {
    type: ExtensionType.psk_key_exchange_modes,
    has: (e) => e.pskKeyExchangeModes !== undefined,
    // RFC 9846 §4.3.9: PskKeyExchangeMode ke_modes<1..255>
    decode: (r, e) => {
      e.pskKeyExchangeModes = Array.from(r.vec8Bytes('psk_key_exchange_modes', 1));
    },
    encode: (w, e) => {
      const modes = e.pskKeyExchangeModes ?? [];
      if (modes.length === 0) throw internal('psk_key_exchange_modes: empty');
      w.vec8((x) => {
        for (const m of modes) x.u8(m);
      });
    },
  },
  {
    type: ExtensionType.key_share,
    has: (e) => e.keyShareClient !== undefined || e.keyShareServer !== undefined || e.keyShareHrr !== undefined,
    decode: decodeKeyShare,
    encode: encodeKeyShare,
  },
  {
    type: ExtensionType.cookie,
    has: (e) => e.cookie !== undefined,
    // RFC 9846 §4.3.2: opaque cookie<1..2^16-1>
    decode: (r, e) => {
      e.cookie = r.vec16Bytes('cookie', 1);
    },
    encode: (w, e) => {
      const c = e.cookie ?? new Uint8Array(0);
      if (c.length === 0) throw internal('cookie: empty');
      w.vec16((x) => x.bytes(c));
    },
  },
  {
    type: ExtensionType.early_data,
    has: (e) => e.earlyData !== undefined,
    decode: decodeEarlyData,
    encode: encodeEarlyData,
  },
  {
    type: ExtensionType.padding,
    has: (e) => e.padding !== undefined,
    decode: decodePadding,
    encode: (w, e) => {
      w.bytes(new Uint8Array(e.padding ?? 0));
    },
  },
  {
    type: ExtensionType.pre_shared_key,
    has: (e) => e.preSharedKeyClient !== undefined || e.preSharedKeyServer !== undefined,
    decode: decodePreSharedKey,
    encode: encodePreSharedKey,
  },
  {
    type: ExtensionType.status_request,
    // The TLS 1.2 hellos. In TLS 1.3 CertificateRequest and CertificateEntry (RFC 9846
    // §4.4.2.1) it stays in `unknown` until OCSP stapling for TLS 1.3 is modelled.
    decodeIn: ['client_hello', 'server_hello_tls12'],
    has: (e) => e.statusRequest !== undefined,
    decode: decodeStatusRequest,
    encode: encodeStatusRequest,
  },
  {
    type: ExtensionType.ec_point_formats,
    has: (e) => e.ecPointFormats !== undefined,
    // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
    decode: (r, e) => {
      e.ecPointFormats = Array.from(r.vec8Bytes('ec_point_formats', 1));
    },
    encode: (w, e) => {
      const formats = e.ecPointFormats ?? [];
      if (formats.length === 0 || formats.length > 0xff) throw internal(`ec_point_formats: ${formats.length} entries outside [1, 255]`);
      w.vec8((x) => {
        for (const f of formats) {
          if (!Number.isInteger(f) || f < 0 || f > 0xff) throw internal(`ec_point_formats: bad value ${f}`);
          x.u8(f);
        }
      });
    },
  },
  {
    type: ExtensionType.extended_master_secret,
    has: (e) => e.extendedMasterSecret === true,
    // RFC 7627 §5.1: "The "extension_data" field of this extension is empty." (r.end() below)
    decode: (_r, e) => {
      e.extendedMasterSecret = true;
    },
    encode: () => undefined,
  },
  {
    type: ExtensionType.session_ticket,
    has: (e) => e.sessionTicket !== undefined,
    decode: decodeSessionTicket,
    encode: encodeSessionTicket,
  },
  {
    type: ExtensionType.renegotiation_info,
    has: (e) => e.renegotiationInfo !== undefined,
    // RFC 5746 §3.2: struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo;
    decode: (r, e) => {
      e.renegotiationInfo = r.vec8Bytes('renegotiation_info renegotiated_connection');
    },
    encode: (w, e) => {
      const v = e.renegotiationInfo ?? new Uint8Array(0);
      w.vec8((x) => x.bytes(v));
    },
  },
];

const CODEC_BY_TYPE = new Map<number, ExtCodec>(CODECS.map((c) => [c.type, c]));

/** Encoding order when `order` says nothing: modelled extensions, unknown ones, padding, pre_shared_key. */
const FIXED_ORDER_HEAD: readonly number[] = [
  ExtensionType.server_name,
  ExtensionType.supported_groups,
  ExtensionType.signature_algorithms,
  ExtensionType.signature_algorithms_cert,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.supported_versions,
  ExtensionType.psk_key_exchange_modes,
  ExtensionType.key_share,
  ExtensionType.cookie,
  ExtensionType.early_data,
  ExtensionType.status_request,
  ExtensionType.ec_point_formats,
  ExtensionType.session_ticket,
  ExtensionType.extended_master_secret,
  ExtensionType.renegotiation_info,
];
const FIXED_ORDER_TAIL: readonly number[] = [ExtensionType.padding, ExtensionType.pre_shared_key];

// ---------------------------------------------------------------------------
// Blocks

/**
 * Decodes an extension block, `Extension extensions<0..2^16-1>` (RFC 9846 §4.3),
 * from `r` (reads its 2-byte length and exactly that many bytes; `r` may hold more).
 *
 * @param r - positioned at the block's length prefix
 * @param context - the message the block belongs to
 * @param version - for a `server_hello` block only: `'tls13'` (the default) applies the
 *   RFC 9846 §4.3 table, `'tls12'` the TLS 1.2 ServerHello rules
 *   ({@link TLS12_SERVER_HELLO_EXTENSIONS}), and `'auto'` picks by the block's own
 *   supported_versions (0x0304 → `'tls13'`, anything else or absent → `'tls12'`), as
 *   `decodeServerHello` does. Other messages have one set of rules: ClientHello is shared
 *   by both versions, and the other messages exist in one version only.
 * @returns the decoded extensions; `order` lists every type in wire order
 * @throws TlsError `DecodeError` on any length or syntax error; `IllegalParameter` on a
 *   duplicated type, a recognized extension in a server-side message that the RFC 9846
 *   §4.2 table (or, for a TLS 1.2 ServerHello, {@link TLS12_SERVER_HELLO_EXTENSIONS})
 *   does not allow, pre_shared_key not last in a ClientHello, or an
 *   extension-specific semantic error
 */
export function decodeExtensions(r: Reader, context: ExtContext, version: ExtVersion = 'tls13'): Extensions {
  const block = r.vec16('extensions');
  const raw: RawExtension[] = [];
  const seen = new Set<number>();
  while (block.left > 0) {
    const type = block.u16();
    // RFC 9846 §4.3: opaque extension_data<0..2^16-1>
    const data = block.vec16Bytes(`extension ${extName(type)}`);
    // RFC 9846 §4.3: "There MUST NOT be more than one extension of the same type in a
    // given extension block." (RFC 5246 §7.4.1.4: the same for TLS 1.2 hellos.)
    if (seen.has(type)) throw illegal(`duplicated extension ${extName(type)} in ${context}`);
    seen.add(type);
    raw.push({ type, data });
  }

  let ctx: Ctx = context;
  if (context === 'server_hello') {
    const tls13 =
      version === 'auto'
        ? raw.some((x) => x.type === ExtensionType.supported_versions && x.data.length === 2 && x.data[0] === 0x03 && x.data[1] === 0x04)
        : version === 'tls13';
    if (!tls13) ctx = 'server_hello_tls12';
  }

  const ext: Extensions = { unknown: [], order: raw.map((x) => x.type) };
  raw.forEach(({ type, data }, i) => {
    if (ctx === 'client_hello' && type === ExtensionType.pre_shared_key && i !== raw.length - 1) {
      // RFC 9846 §4.3.11: "The "pre_shared_key" extension MUST be the last extension in the
      // ClientHello ... Servers MUST check that it is the last extension and otherwise fail
      // the handshake with an "illegal_parameter" alert."
      throw illegal('pre_shared_key is not the last extension in ClientHello');
    }
    if (ctx === 'server_hello_tls12') {
      // RFC 5246 §7.4.1.4: a TLS 1.2 ServerHello answers the ClientHello's extensions; a
      // recognized extension that no TLS 1.2 ServerHello may carry (a TLS 1.3-only or
      // client-only one) is refused as RFC 9846 §4.3 does for TLS 1.3 → illegal_parameter.
      if (ALLOWED.has(type) && !TLS12_SERVER_HELLO_EXTENSIONS.has(type)) {
        throw illegal(`extension ${extName(type)} is not allowed in a TLS 1.2 ServerHello`);
      }
    } else if (ALLOWED.has(type) && !isAllowedIn(type, context)) {
      // RFC 9846 §4.3: a recognized extension "not specified for the message in which it
      // appears" → illegal_parameter. In a ClientHello we ignore it instead, as servers
      // ignore what they do not act on.
      if (context === 'client_hello') {
        ext.unknown.push({ type, data });
        return;
      }
      throw illegal(`extension ${extName(type)} is not allowed in ${context}`);
    }
    const codec = CODEC_BY_TYPE.get(type);
    if (!codec || (codec.decodeIn !== undefined && !codec.decodeIn.includes(ctx))) {
      ext.unknown.push({ type, data });
      return;
    }
    const sub = new Reader(data, extName(type));
    codec.decode(sub, ext, ctx);
    // RFC 9846 §4.3: "receivers MUST abort the handshake with a "decode_error" alert if
    // there is data left over after parsing the structure"
    sub.end();
  });
  return ext;
}

/**
 * The extension types `ext` holds, in the order {@link encodeExtensions} writes them:
 * `order` first (types present only), then modelled extensions in a fixed order,
 * then `unknown` ones, then padding, then pre_shared_key. In a ClientHello,
 * pre_shared_key always goes last (RFC 9846 §4.3.11).
 *
 * @throws TlsError `InternalError` if a type would appear twice (for example a
 *   modelled field and an `unknown` entry of the same type)
 */
export function extensionTypes(ext: Extensions, context: ExtContext = 'client_hello'): number[] {
  const present = new Set<number>();
  for (const c of CODECS) if (c.has(ext)) present.add(c.type);
  for (const u of ext.unknown) {
    if (present.has(u.type)) throw internal(`extension ${extName(u.type)} given twice`);
    present.add(u.type);
  }
  const out: number[] = [];
  const done = new Set<number>();
  const take = (t: number): void => {
    if (present.has(t) && !done.has(t)) {
      done.add(t);
      out.push(t);
    }
  };
  for (const t of ext.order) take(t);
  for (const t of FIXED_ORDER_HEAD) take(t);
  for (const u of ext.unknown) take(u.type);
  for (const t of FIXED_ORDER_TAIL) take(t);
  if (context === 'client_hello') {
    const i = out.indexOf(ExtensionType.pre_shared_key);
    if (i >= 0 && i !== out.length - 1) {
      out.splice(i, 1);
      out.push(ExtensionType.pre_shared_key);
    }
  }
  return out;
}

/**
 * Encodes an extension block (2-byte length, then each extension) for `context`.
 * Follows `ext.order` where given, so decoding then encoding round-trips byte for
 * byte; see {@link extensionTypes} for the order otherwise.
 *
 * @param version - as for {@link decodeExtensions} (`server_hello` only); with `'auto'`
 *   the block follows the TLS 1.3 rules when `ext.supportedVersions` is `[0x0304]`, the
 *   TLS 1.2 ServerHello rules otherwise ({@link serverHelloRules})
 * @throws TlsError `InternalError` if `ext` cannot be encoded for `context`: a modelled
 *   extension the RFC 9846 §4.3 table (or {@link TLS12_SERVER_HELLO_EXTENSIONS}) does
 *   not allow there, a field of the wrong form (e.g. `keyShareClient` in a ServerHello),
 *   or a value outside its bounds
 */
export function encodeExtensions(w: Writer, ext: Extensions, context: ExtContext, version: ExtVersion = 'tls13'): void {
  const types = extensionTypes(ext, context);
  const unknown = new Map<number, Uint8Array>(ext.unknown.map((u) => [u.type, u.data]));
  const tls12 = context === 'server_hello' && (version === 'auto' ? !isTls13ServerHello(ext) : version === 'tls12');
  const ctx: Ctx = tls12 ? 'server_hello_tls12' : context;
  w.vec16((x) => {
    for (const type of types) {
      const data = unknown.get(type);
      x.u16(type);
      if (data !== undefined) {
        x.vec16((y) => y.bytes(data));
        continue;
      }
      // RFC 9846 §4.3 (RFC 5246 §7.4.1.4 for a TLS 1.2 ServerHello): only send extensions
      // allowed in this message
      const allowed = tls12 ? TLS12_SERVER_HELLO_EXTENSIONS.has(type) : isAllowedIn(type, context);
      if (!allowed) throw internal(`extension ${extName(type)} is not allowed in ${ctx}`);
      const codec = CODEC_BY_TYPE.get(type)!;
      x.vec16((y) => codec.encode(y, ext, ctx));
    }
  });
}

/**
 * The types of the extensions received in `ext` that are not in `offered` (nor in
 * `exempt`), in wire order. A client uses it on ServerHello, HelloRetryRequest,
 * EncryptedExtensions and Certificate, with `offered` = the types of its ClientHello
 * (and `exempt` = [cookie] for a HelloRetryRequest); a non-empty result means
 * "unsupported_extension" (RFC 9846 §4.3).
 */
export function unsolicitedExtensions(ext: Extensions, offered: Iterable<number>, exempt: Iterable<number> = []): number[] {
  const ok = new Set<number>(offered);
  for (const t of exempt) ok.add(t);
  // A non-ClientHello context: keep the wire order as is.
  return extensionTypes(ext, 'encrypted_extensions').filter((t) => !ok.has(t));
}
