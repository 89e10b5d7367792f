/**
 * Extension blocks, one per message (RFC 9846 §4.3): which extensions each message may
 * carry, how each is decoded and encoded there, and in which order they are written.
 *
 * The types are in `messages.ts` ({@link ClientHelloExtensions}, ...): each has a field
 * only for the extensions its message may carry, so a block with a forbidden extension
 * does not type-check. This module holds, in one place each:
 * - {@link EXTENSION_TABLE}: RFC 9846 §4.3's table (the messages each recognized
 *   extension may appear in), with a column for the TLS 1.2 ServerHello;
 * - `BLOCKS`: per message, the extensions it models, in its default encoding order,
 *   with that message's form of each (supported_versions is a list in a ClientHello and
 *   one version in a ServerHello, ...).
 *
 * Rules enforced while decoding:
 * - every vector length is bounded and every extension body is fully consumed
 *   (RFC 9846 §4.3: data left over → decode_error);
 * - at most one extension of each type per block (RFC 9846 §4.3) → IllegalParameter;
 * - a recognized extension the table does not list for the message: in a ClientHello it
 *   is kept undecoded in `unknown` and ignored; in any other message → IllegalParameter
 *   (RFC 9846 §4.3);
 * - pre_shared_key must be the last extension of a ClientHello (RFC 9846 §4.3.11)
 *   → IllegalParameter.
 *
 * A ServerHello's block is judged by the version it selects ({@link decodeServerHelloExtensions}):
 * with supported_versions selecting 0x0304 it is a TLS 1.3 ServerHello ("SH"); otherwise a
 * TLS 1.2 one ("SH12", RFC 5246 §7.4.1.4), which carries what TLS 1.3 moved to
 * EncryptedExtensions.
 *
 * Unknown extensions are kept (in `unknown`, with their place in `order`) in every
 * message: whether an unsolicited one is fatal is the handshake's decision (RFC 9846
 * §4.3, unsupported_extension); see {@link unsolicitedExtensions}.
 *
 * Text fields: host names are ASCII (RFC 6066 §3); ALPN protocol names are opaque
 * bytes (RFC 7301 §3.1) mapped one byte to one char (latin1), so decoding and
 * encoding are lossless for any byte string.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { ExtensionType as T, ProtocolVersion, nameOf } from './codes.js';
import type {
  CertificateEntryExtensions,
  CertificateRequestExtensions,
  ClientHelloExtensions,
  EeExtensions,
  ExtensionBlock,
  HelloRetryRequestExtensions,
  KeyShareEntry,
  NewSessionTicketExtensions,
  OfferedPsks,
  PskIdentity,
  RawExtension,
  ServerHello12Extensions,
  ServerHelloExtensions,
} from './messages.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * The messages an extension block belongs to, named as in RFC 9846 §4.3's table: CH
 * (ClientHello), SH (ServerHello selecting TLS 1.3), HRR (HelloRetryRequest), EE
 * (EncryptedExtensions), CT (Certificate entry), CR (CertificateRequest), NST
 * (NewSessionTicket); and SH12, a TLS 1.2 ServerHello (RFC 5246 §7.4.1.4).
 */
export type ExtensionMessage = 'CH' | 'SH' | 'SH12' | 'HRR' | 'EE' | 'CT' | 'CR' | 'NST';

/** The block type of each message. */
export interface BlockOf {
  CH: ClientHelloExtensions;
  SH: ServerHelloExtensions;
  SH12: ServerHello12Extensions;
  HRR: HelloRetryRequestExtensions;
  EE: EeExtensions;
  CT: CertificateEntryExtensions;
  CR: CertificateRequestExtensions;
  NST: NewSessionTicketExtensions;
}

/** A block a server sends in answer to the ClientHello (RFC 9846 §4.3: "extension responses"). */
export type ResponseBlock = ServerHelloExtensions | ServerHello12Extensions | HelloRetryRequestExtensions | EeExtensions | CertificateEntryExtensions;

const MESSAGE_NAME: Readonly<Record<ExtensionMessage, string>> = {
  CH: 'ClientHello',
  SH: 'ServerHello',
  SH12: 'TLS 1.2 ServerHello',
  HRR: 'HelloRetryRequest',
  EE: 'EncryptedExtensions',
  CT: 'CertificateEntry',
  CR: 'CertificateRequest',
  NST: 'NewSessionTicket',
};

/**
 * The messages each recognized extension may appear in: RFC 9846 §4.3's table ("TLS
 * Extensions"), plus the TLS 1.2 hello extensions we recognize, and the SH12 column: what
 * a TLS 1.2 ServerHello may answer (RFC 5246 §7.4.1.4), each from the RFC named. Types not
 * listed are "unrecognized" for RFC 9846 §4.3's illegal_parameter rule.
 */
export const EXTENSION_TABLE: ReadonlyMap<number, readonly ExtensionMessage[]> = new Map<number, readonly ExtensionMessage[]>([
  [T.server_name, ['CH', 'EE', 'CR', 'SH12']], // RFC 6066 §3, RFC 9261 §4
  [T.status_request, ['CH', 'CR', 'CT', 'SH12']], // RFC 6066 §8, RFC 9846 §4.5.1.1
  [T.supported_groups, ['CH', 'EE', 'SH12']], // RFC 9846 §4.3.7; SH12: not defined by RFC 8422 §5.2, but echoed by some servers
  [T.signature_algorithms, ['CH', 'CR']], // RFC 9846 §4.3.3
  [T.use_srtp, ['CH', 'EE', 'SH12']], // RFC 5764 §4.1.1
  [T.heartbeat, ['CH', 'EE', 'SH12']], // RFC 6520 §2
  [T.application_layer_protocol_negotiation, ['CH', 'EE', 'SH12']], // RFC 7301 §3.1
  [T.client_certificate_type, ['CH', 'EE', 'SH12']], // RFC 7250 §3
  [T.server_certificate_type, ['CH', 'EE', 'SH12']], // RFC 7250 §3
  [T.padding, ['CH']], // RFC 7685 §3
  [T.compress_certificate, ['CH', 'CR']], // RFC 8879
  [T.record_size_limit, ['CH', 'EE', 'SH12']], // RFC 8449 §4
  [T.delegated_credential, ['CH', 'CR', 'CT']], // RFC 9345
  [T.supported_ekt_ciphers, ['CH', 'EE', 'SH12']], // RFC 8870
  [T.pre_shared_key, ['CH', 'SH', 'SH12']], // RFC 9846 §4.3.11 (SH12: for the client to refuse)
  [T.early_data, ['CH', 'EE', 'NST']], // RFC 9846 §4.3.10
  [T.supported_versions, ['CH', 'SH', 'HRR', 'SH12']], // RFC 9846 §4.3.1 (SH12: for the client to refuse)
  [T.cookie, ['CH', 'HRR']], // RFC 9846 §4.3.2
  [T.psk_key_exchange_modes, ['CH']], // RFC 9846 §4.3.9
  [T.certificate_authorities, ['CH', 'CR']], // RFC 9846 §4.3.4
  [T.oid_filters, ['CR']], // RFC 9846 §4.3.5
  [T.post_handshake_auth, ['CH']], // RFC 9846 §4.3.6
  [T.signature_algorithms_cert, ['CH', 'CR']], // RFC 9846 §4.3.3
  [T.key_share, ['CH', 'SH', 'HRR', 'SH12']], // RFC 9846 §4.3.8 (SH12: for the client to judge)
  [T.transparency_info, ['CH', 'CR', 'CT']], // RFC 9162
  [T.external_id_hash, ['CH', 'EE', 'SH12']], // RFC 8844
  [T.external_session_id, ['CH', 'EE', 'SH12']], // RFC 8844
  [T.quic_transport_parameters, ['CH', 'EE']], // RFC 9001
  [T.ticket_request, ['CH', 'EE']], // RFC 9149
  [T.ech_outer_extensions, ['CH']], // RFC 9849
  [T.encrypted_client_hello, ['CH', 'HRR', 'EE']], // RFC 9849
  // Not in RFC 9846's table: TLS 1.2 hello extensions. No TLS 1.3 message may carry them
  // (RFC 9846 §4.3: a recognized extension "not specified for the message in which it
  // appears" → illegal_parameter).
  [T.ec_point_formats, ['CH', 'SH12']], // RFC 8422 §5.1.2, §5.2
  [T.extended_master_secret, ['CH', 'SH12']], // RFC 7627 §5.1
  [T.session_ticket, ['CH', 'SH12']], // RFC 5077 §3.2
  [T.renegotiation_info, ['CH', 'SH12']], // RFC 5746 §3.2
]);

/**
 * The messages in which {@link EXTENSION_TABLE} allows extension `type`, or `undefined`
 * if we do not recognize it.
 */
export function allowedMessages(type: number): readonly ExtensionMessage[] | undefined {
  return EXTENSION_TABLE.get(type);
}

/**
 * True if {@link EXTENSION_TABLE} lists extension `type` for `message`. False both for a
 * recognized extension in the wrong message and for a type the table does not list (use
 * {@link allowedMessages} to tell them apart).
 */
export function isAllowedIn(type: number, message: ExtensionMessage): boolean {
  return EXTENSION_TABLE.get(type)?.includes(message) === true;
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
// The extension of each block field: one field name per extension, in every message.

const FIELD_TYPE = {
  serverName: T.server_name,
  statusRequest: T.status_request,
  supportedGroups: T.supported_groups,
  ecPointFormats: T.ec_point_formats,
  signatureAlgorithms: T.signature_algorithms,
  alpn: T.application_layer_protocol_negotiation,
  padding: T.padding,
  extendedMasterSecret: T.extended_master_secret,
  sessionTicket: T.session_ticket,
  preSharedKey: T.pre_shared_key,
  earlyData: T.early_data,
  supportedVersions: T.supported_versions,
  cookie: T.cookie,
  pskKeyExchangeModes: T.psk_key_exchange_modes,
  signatureAlgorithmsCert: T.signature_algorithms_cert,
  keyShare: T.key_share,
  renegotiationInfo: T.renegotiation_info,
} as const;

/** The name of a block field that holds an extension. */
type FieldName = keyof typeof FIELD_TYPE;

/** Keys of a block that are not extensions. */
const NOT_FIELDS: ReadonlySet<string> = new Set(['unknown', 'order', 'rules']);

// ---------------------------------------------------------------------------
// Value codecs: one message's form of one extension's extension_data, as a decoder and an
// encoder kept apart, so that a bundle holds only the direction it uses (a client decodes
// what a server sends and encodes its ClientHello; issue 9 item 5).

/** Reads the value from the extension_data (the caller checks that all of it is read). */
type Decoder<V> = (r: Reader) => V;
/** Writes the extension_data. @throws TlsError `InternalError` if `v` is out of bounds */
type Encoder<V> = (w: Writer, v: V) => void;

/** A vector of u16 values, `lenBytes`-prefixed, of a byte length in [minBytes, maxBytes]. */
function u16ListDecoder(what: string, lenBytes: 1 | 2, minBytes: number, maxBytes: number): Decoder<number[]> {
  return (r) => {
    const sub = lenBytes === 1 ? r.vec8(what, minBytes, maxBytes) : r.vec16(what, minBytes, maxBytes);
    // RFC 9846 §3: a vector of uint16 has a byte length that is a multiple of 2
    if (sub.left % 2 !== 0) throw decodeError(`${what}: odd length ${sub.left}`);
    const out: number[] = [];
    while (sub.left > 0) out.push(sub.u16());
    return out;
  };
}

/** A vector of u16 values, `lenBytes`-prefixed, of [minCount, maxCount] entries. */
function u16ListEncoder(what: string, lenBytes: 1 | 2, minCount: number, maxCount: number): Encoder<number[]> {
  return (w, values) => {
    if (values.length < minCount || values.length > maxCount) {
      throw internal(`${what}: ${values.length} entries outside [${minCount}, ${maxCount}]`);
    }
    const body = (x: Writer): void => {
      for (const v of values) x.u16(v);
    };
    if (lenBytes === 1) w.vec8(body);
    else w.vec16(body);
  };
}

/** A vector of u8 values, 1-byte length prefix, 1..255 entries. */
function u8ListDecoder(what: string): Decoder<number[]> {
  return (r) => Array.from(r.vec8Bytes(what, 1));
}

function u8ListEncoder(what: string): Encoder<number[]> {
  return (w, values) => {
    if (values.length === 0 || values.length > 0xff) throw internal(`${what}: ${values.length} entries outside [1, 255]`);
    w.vec8((x) => {
      for (const v of values) {
        if (!Number.isInteger(v) || v < 0 || v > 0xff) throw internal(`${what}: bad value ${v}`);
        x.u8(v);
      }
    });
  };
}

/** One u16 value. */
const readU16: Decoder<number> = (r) => r.u16();
const writeU16: Encoder<number> = (w, v) => void w.u16(v);

/** An empty extension_data, present as `true` (the caller's end() refuses trailing bytes → decode_error). */
const readEmpty: Decoder<true> = () => true;
const writeEmpty: Encoder<true> = () => undefined;

/** The whole extension_data, undecoded. */
const readRaw: Decoder<Uint8Array> = (r) => r.rest();
const writeRaw: Encoder<Uint8Array> = (w, v) => void w.bytes(v);

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

/** RFC 6066 §3: NameType host_name(0). */
const HOST_NAME = 0;

/** server_name in a ClientHello (RFC 6066 §3) or CertificateRequest (RFC 9261 §4): ServerNameList with one host_name. */
function readServerNameList(r: Reader): string {
  // RFC 6066 §3: ServerName server_name_list<1..2^16-1>
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
  return names[0]!;
}

function writeServerNameList(w: Writer, name: string): void {
  const b = fromLatin1(name, 'server_name');
  if (b.length === 0) throw internal('server_name: empty host name');
  w.vec16((x) => x.u8(HOST_NAME).vec16((y) => y.bytes(b)));
}

/** RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>; opaque ProtocolName<1..2^8-1>. */
function readAlpnList(r: Reader): string[] {
  return r.list(2, (x) => latin1(x.vec8Bytes('ALPN protocol name', 1)), 'ALPN protocol_name_list', 2);
}

function writeAlpnList(w: Writer, names: readonly string[]): void {
  if (names.length === 0) throw internal('ALPN: empty protocol list');
  w.vec16((x) => {
    for (const n of names) {
      const b = fromLatin1(n, 'ALPN');
      if (b.length === 0) throw internal('ALPN: empty protocol name');
      x.vec8((y) => y.bytes(b));
    }
  });
}

/** The server's ALPN: the same list, which "MUST contain exactly one ProtocolName" (RFC 7301 §3.1). */
function readAlpnOne(r: Reader): string {
  const names = readAlpnList(r);
  if (names.length !== 1) throw decodeError(`ALPN: ${names.length} protocols in a server's answer (need exactly 1)`);
  return names[0]!;
}

const writeAlpnOne: Encoder<string> = (w, name) => writeAlpnList(w, [name]);

/** RFC 9846 §4.3.8: KeyShareServerHello { KeyShareEntry server_share; }, and one entry of a ClientHello's shares. */
function readKeyShareEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  // RFC 9846 §4.3.8: opaque key_exchange<1..2^16-1>
  const keyExchange = r.vec16Bytes('key_share key_exchange', 1);
  return { group, keyExchange };
}

function writeKeyShareEntry(w: Writer, k: KeyShareEntry): void {
  if (k.keyExchange.length === 0) throw internal('key_share: empty key_exchange');
  w.u16(k.group).vec16((x) => x.bytes(k.keyExchange));
}

/** RFC 9846 §4.3.8: KeyShareEntry client_shares<0..2^16-1>. */
function readKeyShareClient(r: Reader): KeyShareEntry[] {
  const shares = r.list(2, readKeyShareEntry, 'key_share client_shares');
  // RFC 9846 §4.3.8: "Clients MUST NOT offer multiple KeyShareEntry values for the same
  // group ... Servers MAY check for violations ... illegal_parameter"
  const seen = new Set<number>();
  for (const s of shares) {
    if (seen.has(s.group)) throw illegal(`key_share: two shares for group ${nameOf('group', s.group)}`);
    seen.add(s.group);
  }
  return shares;
}

function writeKeyShareClient(w: Writer, shares: readonly KeyShareEntry[]): void {
  w.vec16((x) => {
    for (const s of shares) writeKeyShareEntry(x, s);
  });
}

/** RFC 9846 §4.3.7: NamedGroup named_group_list<2..2^16-1>. */
const readNamedGroups = /* @__PURE__ */ u16ListDecoder('supported_groups', 2, 2, 0xffff);
const writeNamedGroups = /* @__PURE__ */ u16ListEncoder('supported_groups', 2, 1, 0x7fff);

/** RFC 9846 §4.3.3: SignatureScheme supported_signature_algorithms<2..2^16-2> (also signature_algorithms_cert). */
const readSignatureSchemes = /* @__PURE__ */ u16ListDecoder('signature_algorithms', 2, 2, 0xfffe);
const writeSignatureSchemes = /* @__PURE__ */ u16ListEncoder('signature_algorithms', 2, 1, 0x7fff);
const readSignatureSchemesCert = /* @__PURE__ */ u16ListDecoder('signature_algorithms_cert', 2, 2, 0xfffe);
const writeSignatureSchemesCert = /* @__PURE__ */ u16ListEncoder('signature_algorithms_cert', 2, 1, 0x7fff);

/** RFC 9846 §4.3.1: ProtocolVersion versions<2..254> (ClientHello). */
const readVersions = /* @__PURE__ */ u16ListDecoder('supported_versions', 1, 2, 254);
const writeVersions = /* @__PURE__ */ u16ListEncoder('supported_versions', 1, 1, 127);

/** RFC 9846 §4.3.9: PskKeyExchangeMode ke_modes<1..255>. */
const readPskModes = /* @__PURE__ */ u8ListDecoder('psk_key_exchange_modes');
const writePskModes = /* @__PURE__ */ u8ListEncoder('psk_key_exchange_modes');

/** RFC 8422 §5.1.2, §5.2: ECPointFormat ec_point_format_list<1..2^8-1>. */
const readPointFormats = /* @__PURE__ */ u8ListDecoder('ec_point_formats');
const writePointFormats = /* @__PURE__ */ u8ListEncoder('ec_point_formats');

/** RFC 9846 §4.3.1: selected_version in a ServerHello that selects TLS 1.3 (what made it one). */
function readVersionTls13(r: Reader): typeof ProtocolVersion.TLSv1_3 {
  const v = r.u16();
  if (v !== ProtocolVersion.TLSv1_3) throw illegal(`supported_versions: 0x${v.toString(16)} in a TLS 1.3 ServerHello`);
  return v;
}

function writeVersionTls13(w: Writer, v: typeof ProtocolVersion.TLSv1_3): void {
  if (v !== ProtocolVersion.TLSv1_3) throw internal(`supported_versions: 0x${Number(v).toString(16)} in a TLS 1.3 ServerHello`);
  w.u16(v);
}

/** RFC 9846 §4.3.1: selected_version of a TLS 1.2 ServerHello, which must not be TLS 1.3 (it would be read as a TLS 1.3 ServerHello). */
function writeVersionNotTls13(w: Writer, v: number): void {
  if (v === ProtocolVersion.TLSv1_3) throw internal('supported_versions: TLSv1.3 in a TLS 1.2 ServerHello block');
  w.u16(v);
}

function readPskIdentity(r: Reader): PskIdentity {
  // RFC 9846 §4.3.11: opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age
  const identity = r.vec16Bytes('pre_shared_key identity', 1);
  const obfuscatedTicketAge = r.u32();
  return { identity, obfuscatedTicketAge };
}

/** RFC 9846 §4.3.11: OfferedPsks (ClientHello). */
function readOfferedPsks(r: Reader): OfferedPsks {
  // RFC 9846 §4.3.11: PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>
  const identities = r.list(2, readPskIdentity, 'pre_shared_key identities', 7);
  // RFC 9846 §4.3.11: opaque PskBinderEntry<32..255>
  const binders = r.list(2, (x) => x.vec8Bytes('pre_shared_key binder', 32), 'pre_shared_key binders', 33);
  // RFC 9846 §4.3.11: binders are "one for each value in the identities list"
  if (identities.length !== binders.length) {
    throw illegal(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
  }
  return { identities, binders };
}

function writeOfferedPsks(w: Writer, psk: OfferedPsks): void {
  if (psk.identities.length === 0 || psk.identities.length !== psk.binders.length) {
    throw internal(`pre_shared_key: ${psk.identities.length} identities, ${psk.binders.length} binders`);
  }
  w.vec16((x) => {
    for (const id of psk.identities) {
      if (id.identity.length === 0) throw internal('pre_shared_key: empty identity');
      x.vec16((y) => y.bytes(id.identity)).u32(id.obfuscatedTicketAge);
    }
  });
  w.vec16((x) => {
    for (const b of psk.binders) {
      if (b.length < 32) throw internal(`pre_shared_key: binder of ${b.length} bytes (min 32)`);
      x.vec8((y) => y.bytes(b));
    }
  });
}

/**
 * Length in bytes of the encoded `binders` vector of an OfferedPsks (its 2-byte
 * length included). pre_shared_key is the last extension of a ClientHello, so the
 * "partial ClientHello" covered by the binders (RFC 9846 §4.3.11.2) is the encoded
 * message minus this many trailing bytes.
 */
export function pskBindersLength(psks: OfferedPsks): number {
  let n = 2;
  for (const b of psks.binders) n += 1 + b.length;
  return n;
}

/** RFC 9846 §4.3.10: uint32 max_early_data_size (NewSessionTicket). */
const readMaxEarlyData: Decoder<{ readonly maxEarlyDataSize: number }> = (r) => ({ maxEarlyDataSize: r.u32() });
const writeMaxEarlyData: Encoder<{ readonly maxEarlyDataSize: number }> = (w, v) => void w.u32(v.maxEarlyDataSize);

/** RFC 9846 §4.3.2: opaque cookie<1..2^16-1>. */
const readCookie: Decoder<Uint8Array> = (r) => r.vec16Bytes('cookie', 1);
function writeCookie(w: Writer, c: Uint8Array): void {
  if (c.length === 0) throw internal('cookie: empty');
  w.vec16((x) => x.bytes(c));
}

/** RFC 7685 §3: zero bytes, kept as their number. */
function readPadding(r: Reader): number {
  const pad = r.rest();
  // RFC 7685 §3: "The client MUST fill the padding extension completely with zero bytes"
  for (const b of pad) if (b !== 0) throw illegal('padding: non-zero byte');
  return pad.length;
}
const writePadding: Encoder<number> = (w, n) => void w.bytes(new Uint8Array(n));

/** RFC 5746 §3.2: struct { opaque renegotiated_connection<0..255>; } RenegotiationInfo. */
const readRenegotiationInfo: Decoder<Uint8Array> = (r) => r.vec8Bytes('renegotiation_info renegotiated_connection');
const writeRenegotiationInfo: Encoder<Uint8Array> = (w, v) => void w.vec8((x) => x.bytes(v));

// ---------------------------------------------------------------------------
// Blocks: per message, one table to decode and one to encode (the same fields, each in its
// direction). Each is a constant of its own, made of literals only, so a bundle keeps the
// tables its code reaches and no other.

/** Field keys of a block type `E`. */
type KeyOf<E> = FieldName & keyof E;
/** One modelled extension of a block, with its decoder. */
type DecodeField<E> = { readonly [K in KeyOf<E>]: readonly [K, Decoder<NonNullable<E[K]>>] }[KeyOf<E>];
/** One modelled extension of a block, with its encoder. */
type EncodeField<E> = { readonly [K in KeyOf<E>]: readonly [K, Encoder<NonNullable<E[K]>>] }[KeyOf<E>];

/** What both directions of a message's block say. */
interface BlockRules<E extends ExtensionBlock> {
  readonly message: ExtensionMessage;
  /** An extension that must be the last one (RFC 9846 §4.3.11: pre_shared_key in a ClientHello). */
  readonly last?: KeyOf<E>;
  /**
   * A recognized extension the table does not allow here: `'keep'` it undecoded (a
   * ClientHello: servers ignore what they do not act on) or, when absent, refuse it
   * (illegal_parameter, RFC 9846 §4.3).
   */
  readonly misplaced?: 'keep';
}

/** How one message's block is decoded. */
interface DecodeBlock<E extends ExtensionBlock> extends BlockRules<E> {
  /** A new, empty block (the fields every block of the message has). */
  empty(): E;
  readonly fields: readonly DecodeField<E>[];
}

/** How one message's block is encoded. */
interface EncodeBlock<E extends ExtensionBlock> extends BlockRules<E> {
  /** The modelled extensions, in the default encoding order (before unknown ones). */
  readonly head: readonly EncodeField<E>[];
  /** Modelled extensions whose default place is after the unknown ones (none if absent). */
  readonly tail?: readonly EncodeField<E>[];
}

const CH_DECODE: DecodeBlock<ClientHelloExtensions> = {
  message: 'CH',
  empty: () => ({}),
  fields: [
    ['serverName', readServerNameList],
    ['supportedGroups', readNamedGroups],
    ['signatureAlgorithms', readSignatureSchemes],
    ['signatureAlgorithmsCert', readSignatureSchemesCert],
    ['alpn', readAlpnList],
    ['supportedVersions', readVersions],
    ['pskKeyExchangeModes', readPskModes],
    ['keyShare', readKeyShareClient],
    ['cookie', readCookie],
    ['earlyData', readEmpty],
    ['statusRequest', readRaw],
    ['ecPointFormats', readPointFormats],
    ['sessionTicket', readRaw],
    ['extendedMasterSecret', readEmpty],
    ['renegotiationInfo', readRenegotiationInfo],
    ['padding', readPadding],
    ['preSharedKey', readOfferedPsks],
  ],
  last: 'preSharedKey',
  misplaced: 'keep',
};

const CH_ENCODE: EncodeBlock<ClientHelloExtensions> = {
  message: 'CH',
  head: [
    ['serverName', writeServerNameList],
    ['supportedGroups', writeNamedGroups],
    ['signatureAlgorithms', writeSignatureSchemes],
    ['signatureAlgorithmsCert', writeSignatureSchemesCert],
    ['alpn', writeAlpnList],
    ['supportedVersions', writeVersions],
    // RFC 9846 §4.3.9: PskKeyExchangeMode ke_modes<1..255>
    ['pskKeyExchangeModes', writePskModes],
    ['keyShare', writeKeyShareClient],
    ['cookie', writeCookie],
    // RFC 9846 §4.3.10: empty in a ClientHello
    ['earlyData', writeEmpty],
    // RFC 6066 §8: a CertificateStatusRequest, kept undecoded
    ['statusRequest', writeRaw],
    // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
    ['ecPointFormats', writePointFormats],
    // RFC 5077 §3.2: the ticket (empty to ask for one)
    ['sessionTicket', writeRaw],
    // RFC 7627 §5.1: "The "extension_data" field of this extension is empty."
    ['extendedMasterSecret', writeEmpty],
    ['renegotiationInfo', writeRenegotiationInfo],
  ],
  tail: [
    ['padding', writePadding],
    ['preSharedKey', writeOfferedPsks],
  ],
  last: 'preSharedKey',
  misplaced: 'keep',
};

const SH_DECODE: DecodeBlock<ServerHelloExtensions> = {
  message: 'SH',
  empty: () => ({ rules: 'tls13', supportedVersions: ProtocolVersion.TLSv1_3 }),
  fields: [
    ['keyShare', readKeyShareEntry],
    ['supportedVersions', readVersionTls13],
    // RFC 9846 §4.3.11: uint16 selected_identity
    ['preSharedKey', readU16],
  ],
};

const SH_ENCODE: EncodeBlock<ServerHelloExtensions> = {
  message: 'SH',
  head: [
    ['keyShare', writeKeyShareEntry],
    ['supportedVersions', writeVersionTls13],
    ['preSharedKey', writeU16],
  ],
};

const SH12_DECODE: DecodeBlock<ServerHello12Extensions> = {
  message: 'SH12',
  empty: () => ({ rules: 'tls12' }),
  fields: [
    ['renegotiationInfo', readRenegotiationInfo],
    ['extendedMasterSecret', readEmpty],
    // RFC 8422 §5.2: the server's ECPointFormatList
    ['ecPointFormats', readPointFormats],
    ['alpn', readAlpnOne],
    // RFC 6066 §8: "an extension of type "status_request" with empty "extension_data""
    ['statusRequest', readEmpty],
    // RFC 6066 §3: the server's "server_name" extension has empty extension_data
    ['serverName', readEmpty],
    // RFC 5077 §3.2: a zero-length extension announces a NewSessionTicket
    ['sessionTicket', readEmpty],
    ['supportedGroups', readNamedGroups],
    // Decoded for the handshake to refuse (RFC 9846 §4.3.1); TLSv1.3 makes the block an SH.
    ['supportedVersions', readU16],
    ['keyShare', readKeyShareEntry],
    ['preSharedKey', readU16],
  ],
};

const SH12_ENCODE: EncodeBlock<ServerHello12Extensions> = {
  message: 'SH12',
  head: [
    ['renegotiationInfo', writeRenegotiationInfo],
    ['extendedMasterSecret', writeEmpty],
    ['ecPointFormats', writePointFormats],
    ['alpn', writeAlpnOne],
    ['statusRequest', writeEmpty],
    ['serverName', writeEmpty],
    ['sessionTicket', writeEmpty],
    ['supportedGroups', writeNamedGroups],
    ['supportedVersions', writeVersionNotTls13],
    ['keyShare', writeKeyShareEntry],
    ['preSharedKey', writeU16],
  ],
};

const HRR_DECODE: DecodeBlock<HelloRetryRequestExtensions> = {
  message: 'HRR',
  empty: () => ({}),
  fields: [
    // RFC 9846 §4.3.8: KeyShareHelloRetryRequest { NamedGroup selected_group; }
    ['keyShare', readU16],
    ['cookie', readCookie],
    // RFC 9846 §4.3.1: ProtocolVersion selected_version
    ['supportedVersions', readU16],
  ],
};

const HRR_ENCODE: EncodeBlock<HelloRetryRequestExtensions> = {
  message: 'HRR',
  head: [
    ['keyShare', writeU16],
    ['cookie', writeCookie],
    ['supportedVersions', writeU16],
  ],
};

const EE_DECODE: DecodeBlock<EeExtensions> = {
  message: 'EE',
  empty: () => ({}),
  fields: [
    // RFC 6066 §3: empty in server messages
    ['serverName', readEmpty],
    ['supportedGroups', readNamedGroups],
    ['alpn', readAlpnOne],
    // RFC 9846 §4.3.10: empty in EncryptedExtensions
    ['earlyData', readEmpty],
  ],
};

const EE_ENCODE: EncodeBlock<EeExtensions> = {
  message: 'EE',
  head: [
    ['serverName', writeEmpty],
    ['supportedGroups', writeNamedGroups],
    ['alpn', writeAlpnOne],
    ['earlyData', writeEmpty],
  ],
};

// RFC 9846 §4.5.1.1: a CertificateStatus, kept undecoded
const CT_DECODE: DecodeBlock<CertificateEntryExtensions> = { message: 'CT', empty: () => ({}), fields: [['statusRequest', readRaw]] };
const CT_ENCODE: EncodeBlock<CertificateEntryExtensions> = { message: 'CT', head: [['statusRequest', writeRaw]] };

const CR_DECODE: DecodeBlock<CertificateRequestExtensions> = {
  message: 'CR',
  empty: () => ({}),
  fields: [
    // RFC 9261 §4: the ClientHello's form
    ['serverName', readServerNameList],
    ['signatureAlgorithms', readSignatureSchemes],
    ['signatureAlgorithmsCert', readSignatureSchemesCert],
  ],
};

const CR_ENCODE: EncodeBlock<CertificateRequestExtensions> = {
  message: 'CR',
  head: [
    ['serverName', writeServerNameList],
    ['signatureAlgorithms', writeSignatureSchemes],
    ['signatureAlgorithmsCert', writeSignatureSchemesCert],
  ],
};

const NST_DECODE: DecodeBlock<NewSessionTicketExtensions> = { message: 'NST', empty: () => ({}), fields: [['earlyData', readMaxEarlyData]] };
const NST_ENCODE: EncodeBlock<NewSessionTicketExtensions> = { message: 'NST', head: [['earlyData', writeMaxEarlyData]] };

/** Every block's decoding table (the generic {@link decodeExtensions}; a client reaches only its own through the functions below). */
const DECODE: { readonly [M in ExtensionMessage]: DecodeBlock<BlockOf[M]> } = {
  CH: CH_DECODE,
  SH: SH_DECODE,
  SH12: SH12_DECODE,
  HRR: HRR_DECODE,
  EE: EE_DECODE,
  CT: CT_DECODE,
  CR: CR_DECODE,
  NST: NST_DECODE,
};

/** Every block's encoding table (the generic {@link encodeExtensions}). */
const ENCODE: { readonly [M in ExtensionMessage]: EncodeBlock<BlockOf[M]> } = {
  CH: CH_ENCODE,
  SH: SH_ENCODE,
  SH12: SH12_ENCODE,
  HRR: HRR_ENCODE,
  EE: EE_ENCODE,
  CT: CT_ENCODE,
  CR: CR_ENCODE,
  NST: NST_ENCODE,
};

/** A decoding table's decoders by extension type: built once per block, not per message. */
const decodersByType = new WeakMap<object, ReadonlyMap<number, readonly [string, Decoder<unknown>]>>();

function decodersOf<E extends ExtensionBlock>(b: DecodeBlock<E>): ReadonlyMap<number, readonly [string, Decoder<unknown>]> {
  let m = decodersByType.get(b);
  if (!m) {
    m = new Map((b.fields as readonly (readonly [FieldName, Decoder<unknown>])[]).map((f) => [FIELD_TYPE[f[0]], f]));
    decodersByType.set(b, m);
  }
  return m;
}

/** An encoding table's fields (head, then tail) and their keys: built once per block. */
interface EncodeLayout {
  readonly fields: readonly (readonly [FieldName, Encoder<unknown>])[];
  readonly keys: ReadonlySet<string>;
}
const encodeLayouts = new WeakMap<object, EncodeLayout>();

function encodeLayoutOf<E extends ExtensionBlock>(b: EncodeBlock<E>): EncodeLayout {
  let l = encodeLayouts.get(b);
  if (!l) {
    const fields = Object.freeze([...b.head, ...(b.tail ?? [])] as (readonly [FieldName, Encoder<unknown>])[]);
    l = { fields, keys: new Set(fields.map((f) => f[0])) };
    encodeLayouts.set(b, l);
  }
  return l;
}

/** The extension type of a block's `last` field, if it has one. */
function lastType(b: { readonly last?: FieldName }): number | undefined {
  return b.last === undefined ? undefined : FIELD_TYPE[b.last];
}

/**
 * The extension types `message`'s block models as fields, in its default encoding order
 * (the others it allows stay undecoded in `unknown`). Each is one {@link EXTENSION_TABLE}
 * allows in `message`.
 */
export function modelledExtensions(message: ExtensionMessage): number[] {
  return encodeLayoutOf(ENCODE[message] as unknown as EncodeBlock<ExtensionBlock>).fields.map((f) => FIELD_TYPE[f[0]]);
}

/**
 * The extension types `message`'s block decodes into fields, in table order: the same set as
 * {@link modelledExtensions} (the two tables are kept apart for bundling). @internal
 */
export function decodedExtensions(message: ExtensionMessage): number[] {
  return [...decodersOf(DECODE[message] as unknown as DecodeBlock<ExtensionBlock>).keys()];
}

/**
 * Decodes the extension block of `message`, `Extension extensions<0..2^16-1>` (RFC 9846
 * §4.3), from `r` (reads its 2-byte length and exactly that many bytes; `r` may hold more).
 *
 * @param r - positioned at the block's length prefix
 * @param message - the message the block belongs to (for a ServerHello, use
 *   {@link decodeServerHelloExtensions}, which picks SH or SH12)
 * @returns the block; `order` lists every type in wire order, `unknown` the ones kept undecoded
 * @throws TlsError `DecodeError` on any length or syntax error; `IllegalParameter` on a
 *   duplicated type, a recognized extension that {@link EXTENSION_TABLE} does not allow
 *   in `message` (except in a ClientHello, which keeps it), pre_shared_key not last in a
 *   ClientHello, or an extension-specific semantic error
 */
export function decodeExtensions<M extends ExtensionMessage>(r: Reader, message: M): BlockOf[M] {
  const raw = readRawBlock(r, message);
  // What makes a ServerHello's block SH or SH12 (RFC 9846 §4.2.3): a block of the other kind
  // cannot be read as this one.
  if ((message === 'SH' || message === 'SH12') && selectsTls13(raw) !== (message === 'SH')) {
    throw illegal(message === 'SH' ? 'ServerHello: supported_versions does not select TLSv1.3' : 'TLS 1.2 ServerHello: supported_versions selects TLSv1.3');
  }
  return decodeBlock(raw, DECODE[message] as DecodeBlock<BlockOf[M]>);
}

/** {@link decodeExtensions} of a HelloRetryRequest (its table alone: what a client decodes). */
export function decodeHelloRetryRequestExtensions(r: Reader): HelloRetryRequestExtensions {
  return decodeBlock(readRawBlock(r, 'HRR'), HRR_DECODE);
}

/** {@link decodeExtensions} of EncryptedExtensions (its table alone). */
export function decodeEncryptedExtensionsBlock(r: Reader): EeExtensions {
  return decodeBlock(readRawBlock(r, 'EE'), EE_DECODE);
}

/** {@link decodeExtensions} of a CertificateEntry (its table alone). */
export function decodeCertificateEntryExtensions(r: Reader): CertificateEntryExtensions {
  return decodeBlock(readRawBlock(r, 'CT'), CT_DECODE);
}

/** {@link decodeExtensions} of a CertificateRequest (its table alone). */
export function decodeCertificateRequestExtensions(r: Reader): CertificateRequestExtensions {
  return decodeBlock(readRawBlock(r, 'CR'), CR_DECODE);
}

/** {@link decodeExtensions} of a NewSessionTicket (its table alone). */
export function decodeNewSessionTicketExtensions(r: Reader): NewSessionTicketExtensions {
  return decodeBlock(readRawBlock(r, 'NST'), NST_DECODE);
}

/** True if a ServerHello's raw extensions select TLS 1.3: supported_versions = 0x0304 (RFC 9846 §4.3.1). */
function selectsTls13(raw: readonly RawExtension[]): boolean {
  return raw.some((x) => x.type === T.supported_versions && x.data.length === 2 && x.data[0] === 0x03 && x.data[1] === 0x04);
}

/**
 * Decodes a ServerHello's extension block (RFC 9846 §4.2.3), judged by the version it
 * selects: with supported_versions = 0x0304 by RFC 9846 §4.3's table (SH), otherwise as a
 * TLS 1.2 ServerHello (SH12, RFC 5246 §7.4.1.4).
 *
 * @throws TlsError as {@link decodeExtensions}
 */
export function decodeServerHelloExtensions(r: Reader): ServerHelloExtensions | ServerHello12Extensions {
  const raw = readRawBlock(r, 'SH');
  return selectsTls13(raw) ? decodeBlock(raw, SH_DECODE) : decodeBlock(raw, SH12_DECODE);
}

/** Reads a block's extensions, undecoded, refusing duplicates. */
function readRawBlock(r: Reader, message: ExtensionMessage): RawExtension[] {
  const block = r.vec16('extensions');
  const raw: RawExtension[] = [];
  const seen = new Set<number>();
  while (block.left > 0) {
    const type = block.u16();
    // RFC 9846 §4.3: opaque extension_data<0..2^16-1>
    const data = block.vec16Bytes(`extension ${extName(type)}`);
    // RFC 9846 §4.3: "There MUST NOT be more than one extension of the same type in a
    // given extension block." (RFC 5246 §7.4.1.4: the same for TLS 1.2 hellos.)
    if (seen.has(type)) throw illegal(`duplicated extension ${extName(type)} in ${MESSAGE_NAME[message]}`);
    seen.add(type);
    raw.push({ type, data });
  }
  return raw;
}

function decodeBlock<E extends ExtensionBlock>(raw: readonly RawExtension[], b: DecodeBlock<E>): E {
  const byType = decodersOf(b);
  const last = lastType(b);
  const unknown: RawExtension[] = [];
  const ext = b.empty();
  raw.forEach(({ type, data }, i) => {
    if (type === last && i !== raw.length - 1) {
      // RFC 9846 §4.3.11: "The "pre_shared_key" extension MUST be the last extension in the
      // ClientHello ... Servers MUST check that it is the last extension and otherwise fail
      // the handshake with an "illegal_parameter" alert."
      throw illegal(`${extName(type)} is not the last extension in ${MESSAGE_NAME[b.message]}`);
    }
    if (EXTENSION_TABLE.has(type) && !isAllowedIn(type, b.message)) {
      // RFC 9846 §4.3: a recognized extension "not specified for the message in which it
      // appears" → illegal_parameter. In a ClientHello we ignore it instead, as servers
      // ignore what they do not act on.
      if (b.misplaced !== 'keep') throw illegal(`extension ${extName(type)} is not allowed in ${MESSAGE_NAME[b.message]}`);
      unknown.push({ type, data });
      return;
    }
    const f = byType.get(type);
    if (!f) {
      unknown.push({ type, data });
      return;
    }
    const sub = new Reader(data, extName(type));
    (ext as Record<string, unknown>)[f[0]] = f[1](sub);
    // RFC 9846 §4.3: "receivers MUST abort the handshake with a "decode_error" alert if
    // there is data left over after parsing the structure"
    sub.end();
  });
  ext.unknown = unknown;
  ext.order = raw.map((x) => x.type);
  return ext;
}

/**
 * The extension types of `block` in the order {@link encodeExtensions} writes them for
 * `message`: the present types listed in `order` first, then the other modelled ones in
 * the message's default order, then `unknown` ones, then (in a ClientHello) padding and
 * pre_shared_key; pre_shared_key is always last in a ClientHello (RFC 9846 §4.3.11).
 *
 * @throws TlsError `InternalError` if a type would appear twice (a modelled field and an
 *   `unknown` entry of the same type), or `block` has a field `message` does not model
 */
export function extensionTypes<M extends ExtensionMessage>(block: BlockOf[M], message: M): number[] {
  return wireOrder(block, ENCODE[message] as EncodeBlock<BlockOf[M]>);
}

function wireOrder<E extends ExtensionBlock>(e: E, b: EncodeBlock<E>): number[] {
  const { fields, keys: modelled } = encodeLayoutOf(b);
  for (const key of Object.keys(e)) {
    // A field another message has (possible only through a cast or a union): refuse to drop it silently.
    if ((e as Record<string, unknown>)[key] !== undefined && !NOT_FIELDS.has(key) && !modelled.has(key)) {
      const type = (FIELD_TYPE as Record<string, number | undefined>)[key];
      throw internal(`${type !== undefined ? `extension ${extName(type)}` : `field ${key}`} is not allowed in ${MESSAGE_NAME[b.message]}`);
    }
  }
  // A block holds a handful of types: arrays, not sets, per message encoded.
  const present: number[] = [];
  for (const f of fields) if ((e as Record<string, unknown>)[f[0]] !== undefined) present.push(FIELD_TYPE[f[0]]);
  for (const u of e.unknown ?? []) {
    if (present.includes(u.type)) throw internal(`extension ${extName(u.type)} given twice`);
    present.push(u.type);
  }
  const out: number[] = [];
  if (e.order) for (const t of e.order) take(t, present, out);
  for (const f of b.head) take(FIELD_TYPE[f[0]], present, out);
  if (e.unknown) for (const u of e.unknown) take(u.type, present, out);
  if (b.tail) for (const f of b.tail) take(FIELD_TYPE[f[0]], present, out);
  const last = lastType(b);
  if (last !== undefined && out.includes(last)) {
    out.splice(out.indexOf(last), 1);
    out.push(last);
  }
  return out;
}

/** {@link wireOrder}: appends `t` to `out` if it is present and not yet taken. */
function take(t: number, present: readonly number[], out: number[]): void {
  if (present.includes(t) && !out.includes(t)) out.push(t);
}

/**
 * Encodes the extension block of `message` (2-byte length, then each extension), in the
 * order {@link extensionTypes} gives: `block.order` where it says, so decoding then
 * encoding round-trips byte for byte.
 *
 * @throws TlsError `InternalError` if `block` cannot be encoded for `message`: a field
 *   the message does not model, an `unknown` entry of a recognized type that
 *   {@link EXTENSION_TABLE} does not allow there (a ClientHello excepted), a type given
 *   twice, or a value outside its bounds
 */
export function encodeExtensions<M extends ExtensionMessage>(w: Writer, block: BlockOf[M], message: M): void {
  encodeBlock(w, block, ENCODE[message] as EncodeBlock<BlockOf[M]>);
}

/** {@link encodeExtensions} of a ClientHello (its table alone: what a client encodes). */
export function encodeClientHelloExtensions(w: Writer, block: ClientHelloExtensions): void {
  encodeBlock(w, block, CH_ENCODE);
}

/** {@link encodeExtensions} of a CertificateEntry (its table alone). */
export function encodeCertificateEntryExtensions(w: Writer, block: CertificateEntryExtensions): void {
  encodeBlock(w, block, CT_ENCODE);
}

/** Encodes a ServerHello's block by the rules it states (`block.rules`: SH or SH12). */
export function encodeServerHelloExtensions(w: Writer, block: ServerHelloExtensions | ServerHello12Extensions): void {
  if (block.rules === 'tls13') encodeBlock(w, block, SH_ENCODE);
  else encodeBlock(w, block, SH12_ENCODE);
}

function encodeBlock<E extends ExtensionBlock>(w: Writer, e: E, b: EncodeBlock<E>): void {
  const types = wireOrder(e, b);
  const fields = encodeLayoutOf(b).fields;
  // Most blocks carry no unknown extension: no map for them.
  const unknown = e.unknown !== undefined && e.unknown.length > 0 ? new Map<number, Uint8Array>(e.unknown.map((u) => [u.type, u.data])) : null;
  w.vec16((x) => {
    for (const type of types) {
      const data = unknown?.get(type);
      x.u16(type);
      if (data !== undefined) {
        // RFC 9846 §4.3: only send extensions allowed in this message
        if (b.misplaced !== 'keep' && EXTENSION_TABLE.has(type) && !isAllowedIn(type, b.message)) {
          throw internal(`extension ${extName(type)} is not allowed in ${MESSAGE_NAME[b.message]}`);
        }
        x.vec16((y) => y.bytes(data));
        continue;
      }
      const [key, encode] = fields.find((f) => FIELD_TYPE[f[0]] === type)!;
      const v = (e as Record<string, unknown>)[key];
      if (v === undefined || v === null) throw internal(`${extName(type)}: no value`);
      x.vec16((y) => encode(y, v));
    }
  });
}

/** True if `block` holds no extension at all. */
export function isEmptyBlock(block: ExtensionBlock): boolean {
  return presentTypes(block).length === 0;
}

/** The types `block` carries, whatever its message: modelled fields set, and `unknown` ones. */
function presentTypes(block: ExtensionBlock): number[] {
  // A handful of types per block: an array (a block never holds a type twice: decoding
  // refuses duplicates and encoding refuses an unknown entry of a modelled type).
  const out: number[] = [];
  for (const key of Object.keys(block)) {
    const type = (FIELD_TYPE as Record<string, number | undefined>)[key];
    if (type !== undefined && (block as Record<string, unknown>)[key] !== undefined && !out.includes(type)) out.push(type);
  }
  if (block.unknown) for (const u of block.unknown) if (!out.includes(u.type)) out.push(u.type);
  return out;
}

/**
 * The extension types in a server's answer that the ClientHello did not carry, in wire
 * order: RFC 9846 §4.3, "Implementations MUST NOT send extension responses (i.e., in the
 * ServerHello, EncryptedExtensions, HelloRetryRequest, and Certificate messages) if the
 * remote endpoint did not send the corresponding extension requests, with the exception
 * of the "cookie" extension in the HelloRetryRequest" (and RFC 5246 §7.4.1.4 for a TLS 1.2
 * ServerHello). A non-empty result means "unsupported_extension". cookie is never
 * counted: of the answers, only a HelloRetryRequest may carry it ({@link EXTENSION_TABLE}).
 *
 * @param response - the server's block, as decoded
 * @param clientHello - the extensions of the ClientHello it answers
 */
export function unsolicitedExtensions(response: ResponseBlock, clientHello: ClientHelloExtensions): number[] {
  const sent = presentTypes(clientHello);
  const present = presentTypes(response);
  const out: number[] = [];
  for (const t of [...(response.order ?? []), ...present]) {
    if (present.includes(t) && !sent.includes(t) && t !== T.cookie && !out.includes(t)) out.push(t);
  }
  return out;
}
