/**
 * TLS 1.3 handshake messages (RFC 9846 §4): the 4-byte header (HandshakeType u8,
 * length u24), encode/decode dispatch over {@link HandshakeMessage}, the remaining
 * small messages (EncryptedExtensions §4.3.1, Finished §4.4.4, EndOfEarlyData §4.5,
 * NewSessionTicket §4.6.1, KeyUpdate §4.6.3), and the synthetic message_hash
 * message (§4.4.1).
 *
 * Only TLS 1.3 message types are decoded; any other type is an unexpected_message.
 *
 * @module
 */
import { TlsError } from '../errors.js';
import { decodeCertificate, decodeCertificateRequest, decodeCertificateVerify, encodeCertificate, encodeCertificateRequest, encodeCertificateVerify } from './certificate.js';
import { HandshakeType, nameOf } from './codes.js';
import { decodeExtensions, encodeExtensions } from './extensions.js';
import { decodeClientHello, decodeServerHello, encodeClientHello, encodeServerHello } from './hello.js';
import type { EncryptedExtensions, EndOfEarlyData, Finished, HandshakeMessage, KeyUpdate, NewSessionTicket } from './messages.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Size of the handshake message header: msg_type (1) + length (3) (RFC 9846 §4). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** RFC 9846 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)." */
export const MAX_TICKET_LIFETIME = 604800;

/** Options for {@link decodeHandshake}. */
export interface DecodeHandshakeOptions {
  /**
   * Length of Finished.verify_data: the hash length of the negotiated suite
   * (RFC 9846 §4.4.4). When omitted, the whole (non-empty) body is taken; the
   * handshake always passes it.
   */
  finishedLength?: number;
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

/** Decodes an EncryptedExtensions body (RFC 9846 §4.3.1). */
export function decodeEncryptedExtensions(r: Reader): EncryptedExtensions {
  // RFC 9846 §4.3.1: Extension extensions<0..2^16-1>
  const extensions = decodeExtensions(r, 'encrypted_extensions');
  r.end('EncryptedExtensions');
  return { type: 'encrypted_extensions', extensions };
}

/** Encodes an EncryptedExtensions body. */
export function encodeEncryptedExtensions(w: Writer, m: EncryptedExtensions): void {
  encodeExtensions(w, m.extensions, 'encrypted_extensions');
}

/**
 * Decodes a Finished body (RFC 9846 §4.4.4): `opaque verify_data[Hash.length]`.
 *
 * @param length - the hash length; the body must be exactly this long
 * @throws TlsError `DecodeError` on a wrong length
 */
export function decodeFinished(r: Reader, length?: number): Finished {
  // RFC 9846 §4.4.4: verify_data is exactly Hash.length bytes
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

/** Decodes an EndOfEarlyData body (RFC 9846 §4.5: `struct {}`). */
export function decodeEndOfEarlyData(r: Reader): EndOfEarlyData {
  r.end('EndOfEarlyData');
  return { type: 'end_of_early_data' };
}

/**
 * Decodes a NewSessionTicket body (RFC 9846 §4.6.1).
 *
 * @throws TlsError `DecodeError`; `IllegalParameter` for a lifetime over 604800 s or
 *   an extension not allowed in NewSessionTicket
 */
export function decodeNewSessionTicket(r: Reader): NewSessionTicket {
  const lifetime = r.u32();
  // RFC 9846 §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds (7 days)."
  if (lifetime > MAX_TICKET_LIFETIME) throw illegal(`NewSessionTicket: ticket_lifetime ${lifetime} > ${MAX_TICKET_LIFETIME}`);
  const ageAdd = r.u32();
  // RFC 9846 §4.6.1: opaque ticket_nonce<0..255>
  const nonce = r.vec8Bytes('NewSessionTicket ticket_nonce');
  // RFC 9846 §4.6.1: opaque ticket<1..2^16-1>
  const ticket = r.vec16Bytes('NewSessionTicket ticket', 1);
  // RFC 9846 §4.6.1: Extension extensions<0..2^16-1>
  const extensions = decodeExtensions(r, 'new_session_ticket');
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
  encodeExtensions(w, m.extensions, 'new_session_ticket');
}

/**
 * Decodes a KeyUpdate body (RFC 9846 §4.6.3).
 *
 * @throws TlsError `DecodeError` unless exactly one byte; `IllegalParameter` unless 0 or 1
 */
export function decodeKeyUpdate(r: Reader): KeyUpdate {
  const requestUpdate = r.u8();
  r.end('KeyUpdate');
  // RFC 9846 §4.6.3: "If an implementation receives any other value, it MUST terminate
  // the connection with an "illegal_parameter" alert."
  if (requestUpdate !== 0 && requestUpdate !== 1) throw illegal(`KeyUpdate: request_update ${requestUpdate}`);
  return { type: 'key_update', requestUpdate };
}

/** Encodes a KeyUpdate body. */
export function encodeKeyUpdate(w: Writer, m: KeyUpdate): void {
  if (m.requestUpdate !== 0 && m.requestUpdate !== 1) throw internal(`KeyUpdate: request_update ${m.requestUpdate}`);
  w.u8(m.requestUpdate);
}

/** The wire HandshakeType of a message. */
export function handshakeTypeOf(msg: HandshakeMessage): number {
  return HandshakeType[msg.type];
}

function encodeBody(w: Writer, msg: HandshakeMessage): void {
  switch (msg.type) {
    case 'client_hello':
      return encodeClientHello(w, msg);
    case 'server_hello':
      return encodeServerHello(w, msg);
    case 'encrypted_extensions':
      return encodeEncryptedExtensions(w, msg);
    case 'certificate_request':
      return encodeCertificateRequest(w, msg);
    case 'certificate':
      return encodeCertificate(w, msg);
    case 'certificate_verify':
      return encodeCertificateVerify(w, msg);
    case 'finished':
      return encodeFinished(w, msg);
    case 'new_session_ticket':
      return encodeNewSessionTicket(w, msg);
    case 'key_update':
      return encodeKeyUpdate(w, msg);
    case 'end_of_early_data':
      return;
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
  const w = new Writer(msg.type === 'certificate' ? 4096 : 512);
  w.u8(handshakeTypeOf(msg)).vec24((x) => encodeBody(x, msg));
  return w.finish();
}

/**
 * Decodes the body of a TLS 1.3 handshake message of wire type `type` (RFC 9846 §4),
 * consuming all of it, and sets `raw` on the result.
 *
 * @param type - HandshakeType from the header
 * @param body - the message body (without the header)
 * @param raw - the full message with header, kept for the transcript; rebuilt from
 *   `type` and `body` when omitted
 * @param options - `finishedLength`: the negotiated hash length (Finished)
 * @throws TlsError `UnexpectedMessage` for a type that is not a TLS 1.3 handshake
 *   message; `DecodeError` for any syntax or length error; `IllegalParameter` for
 *   semantic errors (see each decoder)
 */
export function decodeHandshake(type: number, body: Uint8Array, raw?: Uint8Array, options: DecodeHandshakeOptions = {}): HandshakeMessage {
  const r = new Reader(body, nameOf('handshake', type));
  let msg: HandshakeMessage;
  switch (type) {
    case HandshakeType.client_hello:
      msg = decodeClientHello(r);
      break;
    case HandshakeType.server_hello:
      msg = decodeServerHello(r);
      break;
    case HandshakeType.encrypted_extensions:
      msg = decodeEncryptedExtensions(r);
      break;
    case HandshakeType.certificate_request:
      msg = decodeCertificateRequest(r);
      break;
    case HandshakeType.certificate:
      msg = decodeCertificate(r);
      break;
    case HandshakeType.certificate_verify:
      msg = decodeCertificateVerify(r);
      break;
    case HandshakeType.finished:
      msg = decodeFinished(r, options.finishedLength);
      break;
    case HandshakeType.new_session_ticket:
      msg = decodeNewSessionTicket(r);
      break;
    case HandshakeType.key_update:
      msg = decodeKeyUpdate(r);
      break;
    case HandshakeType.end_of_early_data:
      msg = decodeEndOfEarlyData(r);
      break;
    default:
      // RFC 9846 §4: any other message type is not part of the TLS 1.3 handshake
      throw new TlsError('UnexpectedMessage', { detail: `handshake message type ${nameOf('handshake', type)}` });
  }
  msg.raw = raw ?? withHeader(type, body);
  return msg;
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
 * transcript after a HelloRetryRequest (RFC 9846 §4.4.1):
 * `message_hash(254) ‖ 00 00 Hash.length ‖ Hash(ClientHello1)`.
 *
 * @param hashOfCH1 - Hash(ClientHello1) with the negotiated suite's hash
 * @returns fresh bytes to feed to the transcript hash
 */
export function messageHash(hashOfCH1: Uint8Array): Uint8Array {
  return withHeader(HandshakeType.message_hash, hashOfCH1);
}
