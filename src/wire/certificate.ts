/**
 * TLS 1.3 authentication-message codecs: Certificate (RFC 9846 §4.5.1),
 * CertificateRequest (RFC 9846 §4.4.2), CertificateVerify (RFC 9846 §4.5.2), and the
 * content a CertificateVerify signature covers.
 *
 * The TLS 1.2 forms of Certificate and CertificateRequest (RFC 5246 §7.4.2, §7.4.4)
 * differ on the wire and are not handled here. Decoders read a message body (no
 * 4-byte header), consume all of it and return zero-copy views.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { decodeCertificateEntryExtensions, decodeCertificateRequestExtensions, encodeCertificateEntryExtensions, encodeExtensions } from './extensions.js';
import type { Certificate, CertificateEntry, CertificateRequest, CertificateVerify } from './messages.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

function decodeCertificateEntry(r: Reader): CertificateEntry {
  // RFC 9846 §4.5.1: opaque cert_data<1..2^24-1> (or ASN1_subjectPublicKeyInfo<1..2^24-1>)
  const certData = r.vec24Bytes('CertificateEntry cert_data', 1);
  // RFC 9846 §4.5.1: Extension extensions<0..2^16-1>
  const extensions = decodeCertificateEntryExtensions(r);
  return { certData, extensions };
}

/**
 * Decodes a TLS 1.3 Certificate body (RFC 9846 §4.5.1). An empty certificate_list is
 * accepted (a client without a certificate sends one); the handshake rejects an
 * empty list from a server.
 *
 * @throws TlsError `DecodeError`; `IllegalParameter` for entry extensions (see `decodeExtensions`)
 */
export function decodeCertificate(r: Reader): Certificate {
  // RFC 9846 §4.5.1: opaque certificate_request_context<0..2^8-1>
  const context = r.vec8Bytes('Certificate certificate_request_context');
  // RFC 9846 §4.5.1: CertificateEntry certificate_list<0..2^24-1>
  const entries = r.list(3, decodeCertificateEntry, 'Certificate certificate_list');
  r.end('Certificate');
  return { type: 'certificate', context, entries };
}

/**
 * Encodes a TLS 1.3 Certificate body.
 *
 * @throws TlsError `InternalError` on an empty cert_data or an over-long field
 */
export function encodeCertificate(w: Writer, m: Certificate): void {
  w.vec8((x) => x.bytes(m.context)).vec24((x) => {
    for (const e of m.entries) {
      if (e.certData.length === 0) throw internal('CertificateEntry: empty cert_data');
      x.vec24((y) => y.bytes(e.certData));
      encodeCertificateEntryExtensions(x, e.extensions);
    }
  });
}

/**
 * Decodes a TLS 1.3 CertificateRequest body (RFC 9846 §4.4.2). Whether the required
 * signature_algorithms extension is present is checked by the handshake.
 *
 * @throws TlsError `DecodeError`; `IllegalParameter` (see `decodeExtensions`)
 */
export function decodeCertificateRequest(r: Reader): CertificateRequest {
  // RFC 9846 §4.4.2: opaque certificate_request_context<0..2^8-1>
  const context = r.vec8Bytes('CertificateRequest certificate_request_context');
  // RFC 9846 §4.4.2: Extension extensions<0..2^16-1>
  const extensions = decodeCertificateRequestExtensions(r);
  r.end('CertificateRequest');
  return { type: 'certificate_request', context, extensions };
}

/** Encodes a TLS 1.3 CertificateRequest body. */
export function encodeCertificateRequest(w: Writer, m: CertificateRequest): void {
  w.vec8((x) => x.bytes(m.context));
  encodeExtensions(w, m.extensions, 'CR');
}

/**
 * Decodes a CertificateVerify body (RFC 9846 §4.5.2). The scheme is not checked
 * against what was offered here.
 *
 * @throws TlsError `DecodeError`
 */
export function decodeCertificateVerify(r: Reader): CertificateVerify {
  const scheme = r.u16();
  // RFC 9846 §4.5.2: opaque signature<0..2^16-1>
  const signature = r.vec16Bytes('CertificateVerify signature');
  r.end('CertificateVerify');
  return { type: 'certificate_verify', scheme, signature };
}

/** Encodes a CertificateVerify body. */
export function encodeCertificateVerify(w: Writer, m: CertificateVerify): void {
  w.u16(m.scheme).vec16((x) => x.bytes(m.signature));
}

const SERVER_CONTEXT = 'TLS 1.3, server CertificateVerify';
const CLIENT_CONTEXT = 'TLS 1.3, client CertificateVerify';

/**
 * The content covered by a TLS 1.3 CertificateVerify signature (RFC 9846 §4.5.2):
 * 64 bytes of 0x20, the context string ("TLS 1.3, server CertificateVerify" or
 * "TLS 1.3, client CertificateVerify"), a 0x00 separator, then the transcript hash.
 *
 * @param contextString - who signs: `'server'` or `'client'`
 * @param transcriptHash - Transcript-Hash(Handshake Context, Certificate)
 * @returns a fresh buffer of 64 + 33 + 1 + hash length bytes
 * @example
 * ```ts
 * const content = certificateVerifyInput('server', transcript.hash());
 * ```
 */
export function certificateVerifyInput(contextString: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const label = contextString === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  for (let i = 0; i < label.length; i++) out[64 + i] = label.charCodeAt(i);
  out[64 + label.length] = 0;
  out.set(transcriptHash, 64 + label.length + 1);
  return out;
}
