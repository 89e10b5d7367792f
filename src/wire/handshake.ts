/**
 * Handshake messages (RFC 9846 §4, RFC 5246 §7.4): the 4-byte header (HandshakeType u8,
 * length u24), encode/decode dispatch over {@link HandshakeMessage}, the remaining
 * small TLS 1.3 messages (EncryptedExtensions §4.3.1, Finished §4.4.4, EndOfEarlyData
 * §4.5, NewSessionTicket §4.6.1, KeyUpdate §4.6.3), and the synthetic message_hash
 * message (§4.4.1). The TLS 1.2-only messages are in `tls12.ts`.
 *
 * Several type numbers mean different messages in TLS 1.2 and 1.3 (certificate 11,
 * certificate_request 13, new_session_ticket 4), so decoding takes the negotiated
 * version; a type that does not exist in that version is an unexpected_message.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { decodeCertificate, decodeCertificateRequest, decodeCertificateVerify, encodeCertificate, encodeCertificateRequest, encodeCertificateVerify } from './certificate.js';
import { HandshakeType, nameOf } from './codes.js';
import { decodeEncryptedExtensionsBlock, decodeNewSessionTicketExtensions, encodeExtensions } from './extensions.js';
import { decodeClientHello, decodeServerHello, encodeClientHello, encodeServerHello } from './hello.js';
import type { EncryptedExtensions, EndOfEarlyData, Finished, HandshakeMessage, KeyUpdate, NewSessionTicket } from './messages.js';
import { Reader } from './reader.js';
import {
  TLS12_VERIFY_DATA_LENGTH,
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeClientKeyExchange,
  decodeHelloRequest,
  decodeNewSessionTicket12,
  decodeServerHelloDone,
  decodeServerKeyExchange,
  encodeCertificate12,
  encodeCertificateRequest12,
  encodeCertificateStatus,
  encodeClientKeyExchange,
  encodeNewSessionTicket12,
  encodeServerKeyExchange,
} from './tls12.js';
import { Writer } from './writer.js';

/** Size of the handshake message header: msg_type (1) + length (3) (RFC 9846 §4). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** RFC 9846 §4.7.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)." */
export const MAX_TICKET_LIFETIME = 604800;

/** Options for {@link decodeHandshake}. */
export interface DecodeHandshakeOptions {
  /**
   * Length of Finished.verify_data: the hash length of the negotiated suite in TLS 1.3
   * (RFC 9846 §4.5.3), 12 in TLS 1.2 (RFC 5246 §7.4.9). When omitted: 12 with
   * `version: 'tls12'`, otherwise the whole (non-empty) body is taken; the handshake
   * always passes it.
   */
  finishedLength?: number;
  /**
   * The negotiated protocol version, which decides what types 4, 11 and 13 are and which
   * types exist at all:
   * - `'tls12'`: hello_request(0), client_hello, server_hello, new_session_ticket(4) as
   *   RFC 5077 NewSessionTicket, certificate(11) as the TLS 1.2 list, server_key_exchange(12),
   *   certificate_request(13) in the TLS 1.2 form, server_hello_done(14),
   *   certificate_verify(15), client_key_exchange(16), finished(20),
   *   certificate_status(22). The TLS 1.3-only end_of_early_data(5),
   *   encrypted_extensions(8) and key_update(24) → UnexpectedMessage.
   * - `'tls13'` or omitted: the TLS 1.3 messages (RFC 9846 §4); the TLS 1.2-only types
   *   (0, 12, 14, 16, 22) → UnexpectedMessage. Omitted is for the hellos, which come
   *   before a version is negotiated and decode the same either way.
   */
  version?: 'tls12' | 'tls13';
}

/** HandshakeType of each message kind (RFC 9846 §4; RFC 5246 §7.4; RFC 5077 §3.3; RFC 6066 §8). */
const TYPE_CODE: Readonly<Record<HandshakeMessage['type'], number>> = {
  hello_request: HandshakeType.hello_request,
  client_hello: HandshakeType.client_hello,
  server_hello: HandshakeType.server_hello,
  new_session_ticket: HandshakeType.new_session_ticket,
  new_session_ticket12: HandshakeType.new_session_ticket,
  end_of_early_data: HandshakeType.end_of_early_data,
  encrypted_extensions: HandshakeType.encrypted_extensions,
  certificate: HandshakeType.certificate,
  certificate12: HandshakeType.certificate,
  server_key_exchange: HandshakeType.server_key_exchange,
  certificate_request: HandshakeType.certificate_request,
  certificate_request12: HandshakeType.certificate_request,
  server_hello_done: HandshakeType.server_hello_done,
  certificate_verify: HandshakeType.certificate_verify,
  client_key_exchange: HandshakeType.client_key_exchange,
  finished: HandshakeType.finished,
  certificate_status: HandshakeType.certificate_status,
  key_update: HandshakeType.key_update,
};

function decodeError(detail: string): TlsError {
  return new TlsError('DecodeError', { detail });
}
function illegal(detail: string): TlsError {
  return new TlsError('IllegalParameter', { detail });
}
function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

/** Decodes an EncryptedExtensions body (RFC 9846 §4.4.1). */
export function decodeEncryptedExtensions(r: Reader): EncryptedExtensions {
  // RFC 9846 §4.4.1: Extension extensions<0..2^16-1>
  const extensions = decodeEncryptedExtensionsBlock(r);
  r.end('EncryptedExtensions');
  return { type: 'encrypted_extensions', extensions };
}

/** Encodes an EncryptedExtensions body. */
export function encodeEncryptedExtensions(w: Writer, m: EncryptedExtensions): void {
  encodeExtensions(w, m.extensions, 'EE');
}

/**
 * Decodes a Finished body (RFC 9846 §4.5.3): `opaque verify_data[Hash.length]`.
 *
 * @param length - the hash length; the body must be exactly this long
 * @throws TlsError `DecodeError` on a wrong length
 */
export function decodeFinished(r: Reader, length?: number): Finished {
  // RFC 9846 §4.5.3: verify_data is exactly Hash.length bytes
  if (length !== undefined ? r.left !== length : r.left === 0) {
    throw decodeError(`Finished: ${r.left} bytes${length !== undefined ? `, expected ${length}` : ''}`);
  }
  return { type: 'finished', verifyData: r.rest() };
}

/** Encodes a Finished body. */
export function encodeFinished(w: Writer, m: Finished): void {
  if (m.verifyData.length === 0) throw internal('Finished: empty verify_data');
  w.bytes(m.verifyData);
}

/** Decodes an EndOfEarlyData body (RFC 9846 §4.6: `struct {}`). */
export function decodeEndOfEarlyData(r: Reader): EndOfEarlyData {
  r.end('EndOfEarlyData');
  return { type: 'end_of_early_data' };
}

/**
 * Decodes a NewSessionTicket body (RFC 9846 §4.7.1).
 *
 * @throws TlsError `DecodeError`; `IllegalParameter` for a lifetime over 604800 s or
 *   an extension not allowed in NewSessionTicket
 */
export function decodeNewSessionTicket(r: Reader): NewSessionTicket {
  const lifetime = r.u32();
  // RFC 9846 §4.7.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)."
  if (lifetime > MAX_TICKET_LIFETIME) throw illegal(`NewSessionTicket: ticket_lifetime ${lifetime} > ${MAX_TICKET_LIFETIME}`);
  const ageAdd = r.u32();
  // RFC 9846 §4.7.1: opaque ticket_nonce<0..255>
  const nonce = r.vec8Bytes('NewSessionTicket ticket_nonce');
  // RFC 9846 §4.7.1: opaque ticket<1..2^16-1>
  const ticket = r.vec16Bytes('NewSessionTicket ticket', 1);
  // RFC 9846 §4.7.1: Extension extensions<0..2^16-1>
  const extensions = decodeNewSessionTicketExtensions(r);
  r.end('NewSessionTicket');
  return { type: 'new_session_ticket', lifetime, ageAdd, nonce, ticket, extensions };
}

/** Encodes a NewSessionTicket body. */
export function encodeNewSessionTicket(w: Writer, m: NewSessionTicket): void {
  if (m.lifetime > MAX_TICKET_LIFETIME || m.lifetime < 0) throw internal(`NewSessionTicket: lifetime ${m.lifetime}`);
  if (m.ticket.length === 0) throw internal('NewSessionTicket: empty ticket');
  w.u32(m.lifetime)
    .u32(m.ageAdd)
    .vec8((x) => x.bytes(m.nonce))
    .vec16((x) => x.bytes(m.ticket));
  encodeExtensions(w, m.extensions, 'NST');
}

/**
 * Decodes a KeyUpdate body (RFC 9846 §4.7.3).
 *
 * @throws TlsError `DecodeError` unless exactly one byte; `IllegalParameter` unless 0 or 1
 */
export function decodeKeyUpdate(r: Reader): KeyUpdate {
  const requestUpdate = r.u8();
  r.end('KeyUpdate');
  // RFC 9846 §4.7.3: "If an implementation receives any other value, it MUST terminate
  // the connection with an "illegal_parameter" alert."
  if (requestUpdate !== 0 && requestUpdate !== 1) throw illegal(`KeyUpdate: request_update ${requestUpdate}`);
  return { type: 'key_update', requestUpdate };
}

/** Encodes a KeyUpdate body. */
export function encodeKeyUpdate(w: Writer, m: KeyUpdate): void {
  if (m.requestUpdate !== 0 && m.requestUpdate !== 1) throw internal(`KeyUpdate: request_update ${m.requestUpdate}`);
  w.u8(m.requestUpdate);
}

/** The wire HandshakeType of a message (`certificate12` → 11, `new_session_ticket12` → 4, ...). */
export function handshakeTypeOf(msg: HandshakeMessage): number {
  return TYPE_CODE[msg.type];
}

/** Encodes a handshake message body (after its header) into `w`. */
export type BodyEncoder = (w: Writer, msg: HandshakeMessage) => void;

/**
 * A connection's handshake codec: the message bodies it decodes and encodes. Servers and the
 * full entries' clients have every message ({@link ANY_BODY}); a client-only entry's client
 * has what a client sends and receives ({@link clientCodec}), so that its bundle carries no
 * encoder or decoder it cannot use.
 */
export interface HandshakeCodec {
  readonly decode: BodyDecoder;
  readonly encode: BodyEncoder;
  /** {@link handshakeKind} for the versions this codec decodes. */
  readonly kind: (type: number, version: 'tls12' | 'tls13' | undefined) => HandshakeMessage['type'] | null;
}

/** Every handshake message (RFC 9846 §4; RFC 5246 §7.4), both ways. */
export const ANY_BODY: HandshakeCodec = { decode: (type, r, options) => decodeAnyBody(type, r, options), encode: (w, msg) => encodeAnyBody(w, msg), kind: (type, version) => handshakeKind(type, version) };

/**
 * A client's codec: the TLS 1.3 messages a client sends and a server sends, and TLS 1.2's
 * through `tls12` (the `tls12` module's {@link CLIENT_BODY12}; null without it, when TLS 1.2
 * is never negotiated). The connection admits a message only if its state expects that type
 * (`handshakeKind`, before the body is read), and no client state expects a ClientHello,
 * EndOfEarlyData or ClientKeyExchange nor sends what only servers send: for everything a
 * client admits or sends this is exactly {@link ANY_BODY}.
 */
export function clientCodec(tls12: HandshakeCodec | null): HandshakeCodec {
  return {
    decode: (type, r, options) => {
      if (options.version !== 'tls12') return decodeServerBody13(type, r, options);
      if (tls12 === null) throw new TlsError('InternalError', { detail: 'TLS 1.2 message without the tls12 module' });
      return tls12.decode(type, r, options);
    },
    encode: (w, msg) => {
      if (encodeClientSent13(w, msg)) return;
      if (tls12 === null) throw internal(`a client without the tls12 module does not send ${msg.type}`);
      return tls12.encode(w, msg);
    },
    kind: (type, version) => {
      if (version !== 'tls12') return handshakeKind13(type);
      if (tls12 === null) throw new TlsError('InternalError', { detail: 'TLS 1.2 message without the tls12 module' });
      return tls12.kind(type, version);
    },
  };
}

/** Encodes the TLS 1.3 messages a client sends (RFC 9846 §4); false for any other message. */
function encodeClientSent13(w: Writer, msg: HandshakeMessage): boolean {
  switch (msg.type) {
    case 'client_hello':
      encodeClientHello(w, msg);
      return true;
    case 'certificate':
      encodeCertificate(w, msg);
      return true;
    case 'certificate_verify':
      encodeCertificateVerify(w, msg);
      return true;
    case 'finished':
      encodeFinished(w, msg);
      return true;
    case 'key_update':
      encodeKeyUpdate(w, msg);
      return true;
    case 'end_of_early_data':
      return true;
    default:
      return false;
  }
}

/** What a TLS 1.2 client adds to {@link clientCodec}: every TLS 1.2 message in, its Certificate and ClientKeyExchange out. */
export const CLIENT_BODY12: HandshakeCodec = {
  decode: (type, r, options) => decodeBody12(type, r, options),
  encode: (w, msg) => {
    if (msg.type === 'certificate12') return encodeCertificate12(w, msg);
    if (msg.type === 'client_key_exchange') return encodeClientKeyExchange(w, msg);
    throw internal(`a TLS 1.2 client does not send ${msg.type}`);
  },
  kind: (type) => handshakeKind12(type),
};

/** Encodes the body of any handshake message. */
function encodeAnyBody(w: Writer, msg: HandshakeMessage): void {
  if (encodeClientSent13(w, msg)) return;
  switch (msg.type) {
    case 'server_hello':
      return encodeServerHello(w, msg);
    case 'encrypted_extensions':
      return encodeEncryptedExtensions(w, msg);
    case 'certificate_request':
      return encodeCertificateRequest(w, msg);
    case 'new_session_ticket':
      return encodeNewSessionTicket(w, msg);
    case 'client_hello':
    case 'certificate':
    case 'certificate_verify':
    case 'finished':
    case 'key_update':
    case 'end_of_early_data':
      return; // encoded by encodeClientSent13 above
    case 'certificate12':
      return encodeCertificate12(w, msg);
    case 'server_key_exchange':
      return encodeServerKeyExchange(w, msg);
    case 'certificate_request12':
      return encodeCertificateRequest12(w, msg);
    case 'server_hello_done':
    case 'hello_request':
      // RFC 5246 §7.4.5, §7.4.1.1: empty bodies
      return;
    case 'client_key_exchange':
      return encodeClientKeyExchange(w, msg);
    case 'new_session_ticket12':
      return encodeNewSessionTicket12(w, msg);
    case 'certificate_status':
      return encodeCertificateStatus(w, msg);
    default: {
      const never: never = msg;
      throw internal(`encodeHandshake: unknown message ${String((never as { type?: unknown }).type)}`);
    }
  }
}

/**
 * Encodes a handshake message with its 4-byte header (RFC 9846 §4). `msg.raw` is
 * neither read nor set.
 *
 * @returns fresh bytes: msg_type ‖ uint24 length ‖ body
 * @throws TlsError `InternalError` if the message cannot be encoded (fields out of bounds)
 * @example
 * ```ts
 * const bytes = encodeHandshake({ type: 'key_update', requestUpdate: 0 }); // 18 00 00 01 00
 * ```
 */
export function encodeHandshake(msg: HandshakeMessage): Uint8Array {
  return encodeHandshakeWith(encodeAnyBody, msg);
}

/** {@link encodeHandshake} with the body encoder given (a connection's, see {@link HandshakeCodec}). */
export function encodeHandshakeWith(encodeBody: BodyEncoder, msg: HandshakeMessage): Uint8Array {
  // One scratch writer, grown once and reused, and an exact-size copy per message: a fresh
  // 512- or 4096-byte writer per message was allocated off the V8 heap and mostly unused
  // (issue 9: protocol overhead). Encoding is synchronous; a nested call (none today) gets
  // a writer of its own.
  if (scratchBusy) {
    const w = new Writer(512);
    w.u8(handshakeTypeOf(msg)).vec24((x) => encodeBody(x, msg));
    return w.finish();
  }
  scratchBusy = true;
  try {
    scratch.u8(handshakeTypeOf(msg)).vec24((x) => encodeBody(x, msg));
    return scratch.takeCopy();
  } catch (e) {
    scratch.takeCopy();
    throw e;
  } finally {
    scratchBusy = false;
    // A message larger than usual (a long chain, a failed oversized encoding) does not pin its buffer.
    if (scratch.capacity > SCRATCH_MAX) scratch = new Writer(SCRATCH_INITIAL);
  }
}

const SCRATCH_INITIAL = 4096;
/** Largest buffer the scratch writer keeps between messages. */
const SCRATCH_MAX = 64 * 1024;
/** The scratch writer of {@link encodeHandshake}. */
let scratch = new Writer(SCRATCH_INITIAL);
let scratchBusy = false;

/**
 * Decodes the body of a handshake message of wire type `type` (RFC 9846 §4; RFC 5246
 * §7.4 with `options.version` `'tls12'`), consuming all of it, and sets `raw` on the
 * result.
 *
 * @param type - HandshakeType from the header
 * @param body - the message body (without the header)
 * @param raw - the full message with header, kept for the transcript; rebuilt from
 *   `type` and `body` when omitted
 * @param options - `version` (see {@link DecodeHandshakeOptions.version}) and
 *   `finishedLength`
 * @throws TlsError `UnexpectedMessage` for a type that is not a handshake message of
 *   the version; `DecodeError` for any syntax or length error; `IllegalParameter` or
 *   `HandshakeFailure` for semantic errors (see each decoder)
 */
export function decodeHandshake(type: number, body: Uint8Array, raw?: Uint8Array, options: DecodeHandshakeOptions = {}): HandshakeMessage {
  return decodeHandshakeWith(decodeAnyBody, type, body, raw, options);
}

/**
 * Decodes a handshake message body (after its header): `r` reads the body, `options` as for
 * {@link decodeHandshake}.
 */
export type BodyDecoder = (type: number, r: Reader, options: DecodeHandshakeOptions) => HandshakeMessage;

/**
 * {@link decodeHandshake} with the body decoder given (a connection's, see {@link HandshakeCodec}).
 */
export function decodeHandshakeWith(decodeBody: BodyDecoder, type: number, body: Uint8Array, raw: Uint8Array | undefined, options: DecodeHandshakeOptions): HandshakeMessage {
  const r = new Reader(body, nameOf('handshake', type));
  const msg = decodeBody(type, r, options);
  msg.raw = raw ?? withHeader(type, body);
  return msg;
}

/** Every handshake message of the version (see {@link DecodeHandshakeOptions.version}). */
function decodeAnyBody(type: number, r: Reader, options: DecodeHandshakeOptions): HandshakeMessage {
  return options.version === 'tls12' ? decodeBody12(type, r, options) : decodeBody13(type, r, options);
}

/** The TLS 1.3 messages a server sends (RFC 9846 §4), or undefined for another type. */
function decodeServerSent13(type: number, r: Reader, options: DecodeHandshakeOptions): HandshakeMessage | undefined {
  switch (type) {
    case HandshakeType.server_hello:
      return decodeServerHello(r);
    case HandshakeType.encrypted_extensions:
      return decodeEncryptedExtensions(r);
    case HandshakeType.certificate_request:
      return decodeCertificateRequest(r);
    case HandshakeType.certificate:
      return decodeCertificate(r);
    case HandshakeType.certificate_verify:
      return decodeCertificateVerify(r);
    case HandshakeType.finished:
      return decodeFinished(r, options.finishedLength);
    case HandshakeType.new_session_ticket:
      return decodeNewSessionTicket(r);
    case HandshakeType.key_update:
      return decodeKeyUpdate(r);
    default:
      return undefined;
  }
}

/** {@link decodeBody13} for what servers send (RFC 9846 §4): no ClientHello or EndOfEarlyData. */
function decodeServerBody13(type: number, r: Reader, options: DecodeHandshakeOptions): HandshakeMessage {
  const m = decodeServerSent13(type, r, options);
  if (m === undefined) throw new TlsError('UnexpectedMessage', { detail: `handshake message type ${nameOf('handshake', type)} from a server in TLS 1.3` });
  return m;
}

/**
 * The message kind a handshake type number denotes in a version, without decoding the body
 * (the same mapping as {@link decodeHandshake}), or null if the type does not exist there.
 * The connection uses it to refuse a message out of order before its body is read.
 *
 * @param type - HandshakeType from the header
 * @param version - as in {@link DecodeHandshakeOptions.version}
 */
export function handshakeKind(type: number, version: 'tls12' | 'tls13' | undefined): HandshakeMessage['type'] | null {
  return version === 'tls12' ? handshakeKind12(type) : handshakeKind13(type);
}

/** {@link handshakeKind} in TLS 1.2 (RFC 5246 §7.4). */
function handshakeKind12(type: number): HandshakeMessage['type'] | null {
  switch (type) {
    case HandshakeType.hello_request: return 'hello_request';
    case HandshakeType.client_hello: return 'client_hello';
    case HandshakeType.server_hello: return 'server_hello';
    case HandshakeType.new_session_ticket: return 'new_session_ticket12';
    case HandshakeType.certificate: return 'certificate12';
    case HandshakeType.server_key_exchange: return 'server_key_exchange';
    case HandshakeType.certificate_request: return 'certificate_request12';
    case HandshakeType.server_hello_done: return 'server_hello_done';
    case HandshakeType.certificate_verify: return 'certificate_verify';
    case HandshakeType.client_key_exchange: return 'client_key_exchange';
    case HandshakeType.finished: return 'finished';
    case HandshakeType.certificate_status: return 'certificate_status';
    default: return null;
  }
}

/** {@link handshakeKind} in TLS 1.3, and before the version is known (RFC 9846 §4). */
function handshakeKind13(type: number): HandshakeMessage['type'] | null {
  switch (type) {
    case HandshakeType.client_hello: return 'client_hello';
    case HandshakeType.server_hello: return 'server_hello';
    case HandshakeType.encrypted_extensions: return 'encrypted_extensions';
    case HandshakeType.certificate_request: return 'certificate_request';
    case HandshakeType.certificate: return 'certificate';
    case HandshakeType.certificate_verify: return 'certificate_verify';
    case HandshakeType.finished: return 'finished';
    case HandshakeType.new_session_ticket: return 'new_session_ticket';
    case HandshakeType.key_update: return 'key_update';
    case HandshakeType.end_of_early_data: return 'end_of_early_data';
    default: return null;
  }
}

function decodeBody13(type: number, r: Reader, options: DecodeHandshakeOptions): HandshakeMessage {
  if (type === HandshakeType.client_hello) return decodeClientHello(r);
  if (type === HandshakeType.end_of_early_data) return decodeEndOfEarlyData(r);
  const m = decodeServerSent13(type, r, options);
  // RFC 9846 §4: any other message type (including the TLS 1.2-only hello_request,
  // server_key_exchange, server_hello_done, client_key_exchange and
  // certificate_status) is not part of the TLS 1.3 handshake
  if (m === undefined) throw new TlsError('UnexpectedMessage', { detail: `handshake message type ${nameOf('handshake', type)} in TLS 1.3` });
  return m;
}

/** The TLS 1.2 messages (RFC 5246 §7.4), both directions. */
function decodeBody12(type: number, r: Reader, options: DecodeHandshakeOptions): HandshakeMessage {
  switch (type) {
    case HandshakeType.hello_request:
      return decodeHelloRequest(r);
    case HandshakeType.client_hello:
      return decodeClientHello(r);
    case HandshakeType.server_hello:
      return decodeServerHello(r);
    case HandshakeType.new_session_ticket:
      return decodeNewSessionTicket12(r);
    case HandshakeType.certificate:
      return decodeCertificate12(r);
    case HandshakeType.server_key_exchange:
      return decodeServerKeyExchange(r);
    case HandshakeType.certificate_request:
      return decodeCertificateRequest12(r);
    case HandshakeType.server_hello_done:
      return decodeServerHelloDone(r);
    case HandshakeType.certificate_verify:
      // RFC 5246 §7.4.8: a digitally-signed struct, the same wire form as TLS 1.3's
      return decodeCertificateVerify(r);
    case HandshakeType.client_key_exchange:
      return decodeClientKeyExchange(r);
    case HandshakeType.finished:
      // RFC 5246 §7.4.9: verify_data[verify_data_length], 12 for every suite we implement
      return decodeFinished(r, options.finishedLength ?? TLS12_VERIFY_DATA_LENGTH);
    case HandshakeType.certificate_status:
      return decodeCertificateStatus(r);
    default:
      // RFC 5246 §7.4 lists the TLS 1.2 handshake types; end_of_early_data,
      // encrypted_extensions and key_update exist only in TLS 1.3 (RFC 9846 §4), and any
      // other type is unknown: unexpected_message
      throw new TlsError('UnexpectedMessage', { detail: `handshake message type ${nameOf('handshake', type)} in TLS 1.2` });
  }
}

/**
 * Decodes one complete handshake message, header included: `raw` must hold exactly
 * one message (its length field must match).
 *
 * @throws TlsError `DecodeError` on a short buffer or a length mismatch; otherwise as
 *   {@link decodeHandshake}
 */
export function decodeHandshakeBytes(raw: Uint8Array, options: DecodeHandshakeOptions = {}): HandshakeMessage {
  const r = new Reader(raw, 'handshake message');
  const type = r.u8();
  const body = r.vec24Bytes(`${nameOf('handshake', type)} body`);
  r.end();
  return decodeHandshake(type, body, raw, options);
}

function withHeader(type: number, body: Uint8Array): Uint8Array {
  const w = new Writer(body.length + HANDSHAKE_HEADER_LENGTH);
  w.u8(type).vec24((x) => x.bytes(body));
  return w.finish();
}

/**
 * The synthetic message_hash handshake message that replaces ClientHello1 in the
 * transcript after a HelloRetryRequest (RFC 9846 §4.1):
 * `message_hash(254) ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`.
 *
 * @param hashOfCH1 - Hash(ClientHello1) with the negotiated suite's hash
 * @returns fresh bytes to feed to the transcript hash
 */
export function messageHash(hashOfCH1: Uint8Array): Uint8Array {
  return withHeader(HandshakeType.message_hash, hashOfCH1);
}
