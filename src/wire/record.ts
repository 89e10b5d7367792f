/**
 * Record-level codecs: the 5-byte record header (RFC 9846 §5.1, `TLSPlaintext` /
 * `TLSCiphertext`), the TLS 1.3 `TLSInnerPlaintext` (content ‖ type ‖ zero padding,
 * RFC 9846 §5.2 and §5.4), and the size limits of both TLS versions.
 *
 * Nothing here holds state; the deframer, protectors, joiner and fragmenter in
 * `src/record/` build on these functions.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { ContentType } from './codes.js';

/** Bytes in a record header: type(1) ‖ legacy_record_version(2) ‖ length(2) (RFC 9846 §5.1). */
export const RECORD_HEADER_LEN = 5;

/** Largest `TLSPlaintext.length`, and largest record content after deprotection: 2^14 (RFC 9846 §5.1, RFC 5246 §6.2.1). */
export const MAX_PLAINTEXT_LEN = 16384;

/** Largest encoded `TLSInnerPlaintext`: 2^14 content and padding + 1 type byte (RFC 9846 §5.4). */
export const MAX_INNER_PLAINTEXT_LEN = MAX_PLAINTEXT_LEN + 1;

/** Largest `TLSCiphertext.length` in TLS 1.3: 2^14 + 256 (RFC 9846 §5.2). */
export const MAX_CIPHERTEXT_LEN_TLS13 = MAX_PLAINTEXT_LEN + 256;

/** Largest `TLSCiphertext.length` in TLS 1.2: 2^14 + 2048 (RFC 5246 §6.2.3). */
export const MAX_CIPHERTEXT_LEN_TLS12 = MAX_PLAINTEXT_LEN + 2048;

/** `legacy_record_version` of every record except possibly the initial ClientHello (RFC 9846 §5.1). */
export const RECORD_VERSION_TLS12 = 0x0303;

/** `legacy_record_version` an initial ClientHello SHOULD carry for compatibility (RFC 9846 §5.1). */
export const RECORD_VERSION_INITIAL = 0x0301;

/**
 * One record as read off the wire: the header fields and the fragment.
 * For a protected TLS 1.3 record `type` is the outer opaque_type (always 23) and
 * `fragment` is the `encrypted_record`.
 */
export interface TlsRecord {
  /** The header's content type (RFC 9846 §5.1). */
  readonly type: number;
  /** The header's legacy_record_version. */
  readonly version: number;
  /** The record body; a view that the record layer never overwrites. */
  readonly fragment: Uint8Array;
}

/** A record's content after deprotection (or as-is for a plaintext record). */
export interface RecordContent {
  /** The real content type: the header's for plaintext and TLS 1.2, `TLSInnerPlaintext.type` for TLS 1.3. */
  readonly type: number;
  /** The content bytes (a view). */
  readonly content: Uint8Array;
}

/** The decoded header fields of a record. */
export interface RecordHeader {
  /** ContentType (RFC 9846 §5.1). */
  readonly type: number;
  /** legacy_record_version. */
  readonly version: number;
  /** Length of the fragment that follows. */
  readonly length: number;
}

/** True for the four content types RFC 9846 §5 defines (20..23). */
export function isKnownContentType(type: number): boolean {
  return type >= ContentType.change_cipher_spec && type <= ContentType.application_data;
}

/**
 * Writes a record header into `out` at `offset`. The caller checks `length`
 * against the applicable limit; this only rejects values that do not fit the field.
 *
 * @throws TlsError `InternalError` if a field is out of range (a caller bug).
 */
export function writeRecordHeader(out: Uint8Array, offset: number, type: number, version: number, length: number): void {
  if ((type & 0xff) !== type || (version & 0xffff) !== version || (length & 0xffff) !== length) {
    throw new TlsError('InternalError', { detail: `record header out of range (type ${type}, version ${version}, length ${length})` });
  }
  out[offset] = type;
  out[offset + 1] = version >>> 8;
  out[offset + 2] = version & 0xff;
  out[offset + 3] = length >>> 8;
  out[offset + 4] = length & 0xff;
}

/** A fresh 5-byte record header (RFC 9846 §5.1). */
export function encodeRecordHeader(type: number, version: number, length: number): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LEN);
  writeRecordHeader(out, 0, type, version, length);
  return out;
}

/**
 * Reads the header fields at `offset` without validating them (validation is
 * the deframer's job, since which values are acceptable depends on state).
 *
 * @throws TlsError `DecodeError` if fewer than 5 bytes are available.
 */
export function readRecordHeader(bytes: Uint8Array, offset = 0): RecordHeader {
  if (bytes.length - offset < RECORD_HEADER_LEN) {
    throw new TlsError('DecodeError', { detail: 'record header: truncated' });
  }
  return {
    type: bytes[offset]!,
    version: (bytes[offset + 1]! << 8) | bytes[offset + 2]!,
    length: (bytes[offset + 3]! << 8) | bytes[offset + 4]!,
  };
}

/**
 * Encodes a whole plaintext record: header ‖ fragment, in one buffer.
 *
 * @throws TlsError `InternalError` if `fragment` is longer than 2^16-1 bytes.
 */
export function encodeRecord(type: number, version: number, fragment: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_LEN + fragment.length);
  writeRecordHeader(out, 0, type, version, fragment.length);
  out.set(fragment, RECORD_HEADER_LEN);
  return out;
}

/**
 * Writes `TLSInnerPlaintext` = content ‖ type ‖ zeros[padLen] into `out` at `offset`
 * (RFC 9846 §5.2). `out` must have `content.length + 1 + padLen` bytes free there;
 * padding bytes are written explicitly, so `out` need not be fresh (RFC 9846 §5.4:
 * "Implementations MUST set the padding octets to all zeros before encrypting").
 *
 * @returns the number of bytes written.
 */
export function writeInnerPlaintext(out: Uint8Array, offset: number, content: Uint8Array, type: number, padLen: number): number {
  out.set(content, offset);
  let at = offset + content.length;
  out[at++] = type;
  out.fill(0, at, at + padLen);
  return content.length + 1 + padLen;
}

/**
 * Encodes `TLSInnerPlaintext` = content ‖ type ‖ zeros[padLen] (RFC 9846 §5.2).
 *
 * @throws TlsError `InternalError` if `type` is not a non-zero byte or `padLen` is negative.
 */
export function encodeInnerPlaintext(content: Uint8Array, type: number, padLen = 0): Uint8Array {
  checkInnerArgs(type, padLen);
  const out = new Uint8Array(content.length + 1 + padLen);
  writeInnerPlaintext(out, 0, content, type, padLen);
  return out;
}

/** Validates the sender-side arguments of an inner plaintext. */
export function checkInnerArgs(type: number, padLen: number): void {
  // RFC 9846 §5.4: the type byte is how the receiver finds the end of the padding, so it must be non-zero.
  if (type <= 0 || type > 0xff || !Number.isInteger(type)) {
    throw new TlsError('InternalError', { detail: `inner content type ${type} is not a non-zero byte` });
  }
  if (padLen < 0 || !Number.isInteger(padLen)) {
    throw new TlsError('InternalError', { detail: `padding length ${padLen} is invalid` });
  }
}

/**
 * Decodes a deprotected `TLSInnerPlaintext` (RFC 9846 §5.2, §5.4): scans from the end
 * past the zero padding to the first non-zero byte, which is the content type.
 *
 * Checks, each an `UnexpectedMessage` (unexpected_message alert):
 * - no non-zero byte at all (RFC 9846 §5.4: "If a receiving implementation does not
 *   find a non-zero octet in the cleartext, it MUST terminate the connection with an
 *   unexpected_message alert");
 * - a content type other than alert, handshake or application_data: a protected
 *   change_cipher_spec (RFC 9846 §5: "An implementation which ... receives a protected
 *   change_cipher_spec record MUST abort the handshake with an unexpected_message
 *   alert") or an unknown type (RFC 9846 §5: "If a TLS implementation receives an
 *   unexpected record type, it MUST terminate the connection with an
 *   unexpected_message alert");
 * - an empty handshake or alert content (RFC 9846 §5.4: "Implementations MUST NOT send
 *   Handshake and Alert records that have a zero-length TLSInnerPlaintext.content; if
 *   such a message is received, the receiving implementation MUST terminate the
 *   connection with an unexpected_message alert").
 *
 * @returns the type and a zero-copy view of the content.
 */
export function decodeInnerPlaintext(plaintext: Uint8Array): RecordContent {
  // RFC 9846 §5.4: "Implementations MUST limit their scanning to the cleartext returned from the AEAD decryption."
  let i = plaintext.length - 1;
  while (i >= 0 && plaintext[i] === 0) i--;
  if (i < 0) {
    throw new TlsError('UnexpectedMessage', { detail: 'TLSInnerPlaintext has no non-zero content type' });
  }
  const type = plaintext[i]!;
  if (type !== ContentType.handshake && type !== ContentType.application_data && type !== ContentType.alert) {
    throw new TlsError('UnexpectedMessage', {
      detail: type === ContentType.change_cipher_spec ? 'protected change_cipher_spec record' : `unknown inner content type ${type}`,
    });
  }
  if (i === 0 && type !== ContentType.application_data) {
    throw new TlsError('UnexpectedMessage', { detail: `zero-length ${type === ContentType.handshake ? 'handshake' : 'alert'} record` });
  }
  return { type, content: plaintext.subarray(0, i) };
}

/**
 * True if `record` is the middlebox-compatibility ChangeCipherSpec: an unprotected
 * change_cipher_spec record holding the single byte 0x01 (RFC 9846 §5, Appendix D.4),
 * which a TLS 1.3 endpoint drops between the first ClientHello and the peer's Finished.
 * Any other change_cipher_spec record is an `unexpected_message` (RFC 9846 §5); the
 * connection decides, since it knows where in the handshake it is.
 */
export function isCompatChangeCipherSpec(record: TlsRecord): boolean {
  return record.type === ContentType.change_cipher_spec && record.fragment.length === 1 && record.fragment[0] === 0x01;
}

/** The middlebox-compatibility ChangeCipherSpec record a TLS 1.3 peer may send (RFC 9846 Appendix D.4). */
export function encodeCompatChangeCipherSpec(): Uint8Array {
  return Uint8Array.of(ContentType.change_cipher_spec, 0x03, 0x03, 0x00, 0x01, 0x01);
}
