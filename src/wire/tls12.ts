/**
 * Codecs of the TLS 1.2-only handshake messages (RFC 5246 §7.4, RFC 8422 §5, RFC 5077
 * §3.3, RFC 6066 §8): Certificate, ServerKeyExchange (ECDHE only), CertificateRequest,
 * ServerHelloDone, ClientKeyExchange (ECDHE only), NewSessionTicket, CertificateStatus
 * and HelloRequest, plus the bytes a ServerKeyExchange signature covers.
 *
 * The hellos, CertificateVerify and Finished have the same wire form in both versions
 * and live in `hello.ts`, `certificate.ts` and `handshake.ts`; `decodeHandshake` with
 * `version: 'tls12'` dispatches to the decoders here.
 *
 * Decoders read a message body (no 4-byte header), consume all of it and return
 * zero-copy views. Every vector length is bounded as the RFC states it; anything
 * short, long or left over is a `DecodeError` (RFC 5246 §7.2.2: decode_error "A message
 * could not be decoded because some field was out of the specified range or the length
 * of the message was incorrect"). Encoders throw `InternalError` for fields out of
 * bounds.
 *
 * Statuses other than `DecodeError`:
 * - ServerKeyExchange with ECCurveType other than named_curve(3) → `HandshakeFailure`.
 *   RFC 8422 §5.4 deprecates explicit_prime(1)/explicit_char2(2) and, under "Actions of
 *   the receiver", names "a fatal handshake failure" as the outcome when "the client's
 *   capabilities for handling elliptic curves ... are exceeded". (An offered curve type
 *   we cannot handle is a capability failure, not an out-of-range field.)
 * - CertificateStatus with status_type other than ocsp(1) → `IllegalParameter`: ocsp is
 *   the only type a status_request can ask for (RFC 6066 §8; ocsp_multi needs
 *   status_request_v2, RFC 6961, which we never send), so any other value is a field
 *   "out of range or inconsistent with other fields" (RFC 5246 §7.2.2).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type {
  Certificate12,
  CertificateRequest12,
  CertificateStatus,
  ClientKeyExchange,
  HelloRequest,
  NewSessionTicket12,
  ServerHelloDone,
  ServerKeyExchange,
} from './messages.js';
import type { Reader } from './reader.js';
import { Writer } from './writer.js';

/** ECCurveType (RFC 8422 §5.4): only named_curve is allowed. */
export const ECCurveType = {
  /** Deprecated by RFC 8422 §5.4. */
  explicit_prime: 1,
  /** Deprecated by RFC 8422 §5.4. */
  explicit_char2: 2,
  named_curve: 3,
} as const;

/** ECPointFormat (RFC 8422 §5.1.2): only uncompressed is allowed. */
export const ECPointFormat = {
  uncompressed: 0,
  /** Deprecated by RFC 8422 §5.1.2. */
  ansiX962_compressed_prime: 1,
  /** Deprecated by RFC 8422 §5.1.2. */
  ansiX962_compressed_char2: 2,
} as const;

/** ClientCertificateType for a TLS 1.2 CertificateRequest (RFC 5246 §7.4.4, RFC 8422 §5.5). */
export const ClientCertificateType = {
  rsa_sign: 1,
  dss_sign: 2,
  rsa_fixed_dh: 3,
  dss_fixed_dh: 4,
  ecdsa_sign: 64,
  rsa_fixed_ecdh: 65,
  ecdsa_fixed_ecdh: 66,
} as const;

/** CertificateStatusType (RFC 6066 §8). */
export const CertificateStatusType = {
  ocsp: 1,
} as const;

/** Length of a TLS 1.2 Finished verify_data for every suite we implement (RFC 5246 §7.4.9). */
export const TLS12_VERIFY_DATA_LENGTH = 12;

/** Length of ClientHello.random / ServerHello.random (RFC 5246 §7.4.1.2). */
const RANDOM_LENGTH = 32;

function decodeError(detail: string): TlsError {
  return new TlsError('DecodeError', { detail });
}
function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

function checkUint(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw internal(`${what}: ${v} is not an integer in [0, ${max}]`);
}

function checkLength(b: Uint8Array, min: number, max: number, what: string): void {
  if (b.length < min || b.length > max) throw internal(`${what}: ${b.length} bytes outside [${min}, ${max}]`);
}

// ---------------------------------------------------------------------------
// Certificate (RFC 5246 §7.4.2)

/**
 * Decodes a TLS 1.2 Certificate body (RFC 5246 §7.4.2):
 * `opaque ASN.1Cert<1..2^24-1>; struct { ASN.1Cert certificate_list<0..2^24-1>; }`.
 * An empty list is syntactically valid (a client without a certificate); whether it is
 * acceptable is the handshake's decision.
 *
 * @throws TlsError `DecodeError`
 */
export function decodeCertificate12(r: Reader): Certificate12 {
  // RFC 5246 §7.4.2: ASN.1Cert certificate_list<0..2^24-1>
  const list = r.vec24('Certificate certificate_list');
  const certificates: Uint8Array[] = [];
  // RFC 5246 §7.4.2: opaque ASN.1Cert<1..2^24-1>
  while (list.left > 0) certificates.push(list.vec24Bytes('Certificate ASN.1Cert', 1));
  r.end('Certificate');
  return { type: 'certificate12', certificates };
}

/** Encodes a TLS 1.2 Certificate body. */
export function encodeCertificate12(w: Writer, m: Certificate12): void {
  w.vec24((x) => {
    for (const c of m.certificates) {
      checkLength(c, 1, 0xffffff, 'Certificate ASN.1Cert');
      x.vec24((y) => y.bytes(c));
    }
  });
}

// ---------------------------------------------------------------------------
// ServerKeyExchange (RFC 8422 §5.4)

/**
 * The ServerECDHParams encoding (RFC 8422 §5.4):
 * `curve_type(3) ‖ NamedCurve (u16) ‖ ECPoint (opaque point<1..2^8-1>)`.
 *
 * @throws TlsError `InternalError` for a group outside u16 or a public value not 1..255 bytes
 */
export function ecdheParamsBytes(group: number, publicKey: Uint8Array): Uint8Array {
  const w = new Writer(4 + publicKey.length);
  writeEcdheParams(w, group, publicKey);
  return w.finish();
}

function writeEcdheParams(w: Writer, group: number, publicKey: Uint8Array): void {
  checkUint(group, 0xffff, 'ServerKeyExchange namedcurve');
  // RFC 8422 §5.4: opaque point <1..2^8-1>
  checkLength(publicKey, 1, 0xff, 'ServerKeyExchange ECPoint');
  w.u8(ECCurveType.named_curve)
    .u16(group)
    .vec8((x) => x.bytes(publicKey));
}

/**
 * Decodes an ECDHE ServerKeyExchange body (RFC 8422 §5.4):
 * `ServerECDHParams params; digitally-signed struct { ... } signed_params` where, in
 * TLS 1.2, the signature is `SignatureAndHashAlgorithm algorithm; opaque signature<0..2^16-1>`
 * (RFC 5246 §4.7, §7.4.3).
 *
 * Whether the group was offered, the point is valid and the signature verifies is the
 * handshake's business.
 *
 * @throws TlsError `HandshakeFailure` for a curve_type other than named_curve (see the
 *   module notes); `DecodeError` for any length error
 */
export function decodeServerKeyExchange(r: Reader): ServerKeyExchange {
  const curveType = r.u8();
  // RFC 8422 §5.4: explicit_prime(1) and explicit_char2(2) are deprecated; only
  // named_curve(3) may be used. "A possible reason for a fatal handshake failure is that
  // the client's capabilities for handling elliptic curves and point formats are exceeded."
  if (curveType !== ECCurveType.named_curve) {
    throw new TlsError('HandshakeFailure', { detail: `ServerKeyExchange: ECCurveType ${curveType} is not named_curve(3)` });
  }
  const group = r.u16();
  // RFC 8422 §5.4: struct { opaque point <1..2^8-1>; } ECPoint;
  const publicKey = r.vec8Bytes('ServerKeyExchange ECPoint', 1);
  // RFC 5246 §7.4.1.4.1: SignatureAndHashAlgorithm (hash, signature), read as one SignatureScheme
  const scheme = r.u16();
  // RFC 5246 §4.7: digitally-signed: opaque signature<0..2^16-1>
  const signature = r.vec16Bytes('ServerKeyExchange signature');
  r.end('ServerKeyExchange');
  return { type: 'server_key_exchange', curveType, group, publicKey, scheme, signature };
}

/** Encodes an ECDHE ServerKeyExchange body (`curveType` must be named_curve(3)). */
export function encodeServerKeyExchange(w: Writer, m: ServerKeyExchange): void {
  if (m.curveType !== ECCurveType.named_curve) throw internal(`ServerKeyExchange: curveType ${m.curveType} (only named_curve(3))`);
  writeEcdheParams(w, m.group, m.publicKey);
  checkUint(m.scheme, 0xffff, 'ServerKeyExchange scheme');
  w.u16(m.scheme).vec16((x) => x.bytes(m.signature));
}

/**
 * The content a TLS 1.2 ServerKeyExchange signature covers (RFC 8422 §5.4; RFC 5246
 * §7.4.3): `ClientHello.random ‖ ServerHello.random ‖ ServerECDHParams`. Sign or verify
 * it with `ske.scheme` (the scheme's hash is applied by the signer/verifier).
 *
 * @throws TlsError `InternalError` if a random is not 32 bytes or the params are out of bounds
 * @example
 * ```ts
 * const ok = crypto.verify(leafKey, ske.scheme, serverKeyExchangeSignedContent(ch.random, sh.random, ske), ske.signature);
 * ```
 */
export function serverKeyExchangeSignedContent(clientRandom: Uint8Array, serverRandom: Uint8Array, ske: ServerKeyExchange): Uint8Array {
  checkLength(clientRandom, RANDOM_LENGTH, RANDOM_LENGTH, 'client_random');
  checkLength(serverRandom, RANDOM_LENGTH, RANDOM_LENGTH, 'server_random');
  if (ske.curveType !== ECCurveType.named_curve) throw internal(`ServerKeyExchange: curveType ${ske.curveType} (only named_curve(3))`);
  const w = new Writer(2 * RANDOM_LENGTH + 4 + ske.publicKey.length);
  w.bytes(clientRandom).bytes(serverRandom);
  writeEcdheParams(w, ske.group, ske.publicKey);
  return w.finish();
}

// ---------------------------------------------------------------------------
// CertificateRequest (RFC 5246 §7.4.4)

/**
 * Decodes a TLS 1.2 CertificateRequest body (RFC 5246 §7.4.4):
 * `ClientCertificateType certificate_types<1..2^8-1>;
 *  SignatureAndHashAlgorithm supported_signature_algorithms<2..2^16-2>;
 *  DistinguishedName certificate_authorities<0..2^16-1>` with
 * `opaque DistinguishedName<1..2^16-1>`.
 *
 * @throws TlsError `DecodeError`
 */
export function decodeCertificateRequest12(r: Reader): CertificateRequest12 {
  // RFC 5246 §7.4.4: ClientCertificateType certificate_types<1..2^8-1>
  const certificateTypes = Array.from(r.vec8Bytes('CertificateRequest certificate_types', 1));
  // RFC 5246 §7.4.4 prints the bound as <2^16-1>; §7.4.1.4.1 (and the errata) give the
  // same list as supported_signature_algorithms<2..2^16-2>, a vector of 2-byte values.
  const algs = r.vec16('CertificateRequest supported_signature_algorithms', 2, 0xfffe);
  if (algs.left % 2 !== 0) throw decodeError(`CertificateRequest supported_signature_algorithms: odd length ${algs.left}`);
  const signatureAlgorithms: number[] = [];
  while (algs.left > 0) signatureAlgorithms.push(algs.u16());
  // RFC 5246 §7.4.4: DistinguishedName certificate_authorities<0..2^16-1>;
  // opaque DistinguishedName<1..2^16-1>
  const certificateAuthorities = r.list(2, (x) => x.vec16Bytes('CertificateRequest DistinguishedName', 1), 'CertificateRequest certificate_authorities');
  r.end('CertificateRequest');
  return { type: 'certificate_request12', certificateTypes, signatureAlgorithms, certificateAuthorities };
}

/** Encodes a TLS 1.2 CertificateRequest body. */
export function encodeCertificateRequest12(w: Writer, m: CertificateRequest12): void {
  if (m.certificateTypes.length < 1 || m.certificateTypes.length > 0xff) {
    throw internal(`CertificateRequest: ${m.certificateTypes.length} certificate_types outside [1, 255]`);
  }
  if (m.signatureAlgorithms.length < 1 || m.signatureAlgorithms.length > 0x7fff) {
    throw internal(`CertificateRequest: ${m.signatureAlgorithms.length} signature algorithms outside [1, 32767]`);
  }
  w.vec8((x) => {
    for (const t of m.certificateTypes) {
      checkUint(t, 0xff, 'CertificateRequest certificate_type');
      x.u8(t);
    }
  })
    .vec16((x) => {
      for (const s of m.signatureAlgorithms) {
        checkUint(s, 0xffff, 'CertificateRequest signature algorithm');
        x.u16(s);
      }
    })
    .vec16((x) => {
      for (const dn of m.certificateAuthorities) {
        checkLength(dn, 1, 0xffff, 'CertificateRequest DistinguishedName');
        x.vec16((y) => y.bytes(dn));
      }
    });
}

// ---------------------------------------------------------------------------
// ServerHelloDone (RFC 5246 §7.4.5), HelloRequest (RFC 5246 §7.4.1.1)

/** Decodes a ServerHelloDone body (RFC 5246 §7.4.5: `struct { } ServerHelloDone;`). */
export function decodeServerHelloDone(r: Reader): ServerHelloDone {
  r.end('ServerHelloDone');
  return { type: 'server_hello_done' };
}

/** Decodes a HelloRequest body (RFC 5246 §7.4.1.1: `struct { } HelloRequest;`). */
export function decodeHelloRequest(r: Reader): HelloRequest {
  r.end('HelloRequest');
  return { type: 'hello_request' };
}

// ---------------------------------------------------------------------------
// ClientKeyExchange (RFC 8422 §5.7)

/**
 * Decodes an ECDHE ClientKeyExchange body (RFC 8422 §5.7):
 * `ClientECDiffieHellmanPublic { ECPoint ecdh_Yc; }` with `opaque point<1..2^8-1>`.
 * (The "implicit" empty form of fixed-ECDH client authentication is not supported.)
 *
 * @throws TlsError `DecodeError`
 */
export function decodeClientKeyExchange(r: Reader): ClientKeyExchange {
  // RFC 8422 §5.7: ECPoint ecdh_Yc; RFC 8422 §5.4: opaque point <1..2^8-1>
  const publicKey = r.vec8Bytes('ClientKeyExchange ecdh_Yc', 1);
  r.end('ClientKeyExchange');
  return { type: 'client_key_exchange', publicKey };
}

/** Encodes an ECDHE ClientKeyExchange body. */
export function encodeClientKeyExchange(w: Writer, m: ClientKeyExchange): void {
  checkLength(m.publicKey, 1, 0xff, 'ClientKeyExchange ecdh_Yc');
  w.vec8((x) => x.bytes(m.publicKey));
}

// ---------------------------------------------------------------------------
// NewSessionTicket (RFC 5077 §3.3)

/**
 * Decodes a TLS 1.2 NewSessionTicket body (RFC 5077 §3.3):
 * `uint32 ticket_lifetime_hint; opaque ticket<0..2^16-1>;`. An empty ticket is valid
 * (the server's way to say it will not issue one after all, RFC 5077 §3.3).
 *
 * @throws TlsError `DecodeError`
 */
export function decodeNewSessionTicket12(r: Reader): NewSessionTicket12 {
  const lifetimeHint = r.u32();
  // RFC 5077 §3.3: opaque ticket<0..2^16-1>
  const ticket = r.vec16Bytes('NewSessionTicket ticket');
  r.end('NewSessionTicket');
  return { type: 'new_session_ticket12', lifetimeHint, ticket };
}

/** Encodes a TLS 1.2 NewSessionTicket body. */
export function encodeNewSessionTicket12(w: Writer, m: NewSessionTicket12): void {
  checkUint(m.lifetimeHint, 0xffffffff, 'NewSessionTicket ticket_lifetime_hint');
  w.u32(m.lifetimeHint).vec16((x) => x.bytes(m.ticket));
}

// ---------------------------------------------------------------------------
// CertificateStatus (RFC 6066 §8)

/**
 * Decodes a CertificateStatus body (RFC 6066 §8):
 * `CertificateStatusType status_type; select (status_type) { case ocsp: OCSPResponse; }`
 * with `opaque OCSPResponse<1..2^24-1>`. The OCSP response itself is not parsed here.
 *
 * @throws TlsError `IllegalParameter` for a status_type other than ocsp(1) (see the
 *   module notes); `DecodeError` for any length error
 */
export function decodeCertificateStatus(r: Reader): CertificateStatus {
  const statusType = r.u8();
  // RFC 6066 §8: ocsp(1) is the only CertificateStatusType a status_request asks for
  if (statusType !== CertificateStatusType.ocsp) {
    throw new TlsError('IllegalParameter', { detail: `CertificateStatus: status_type ${statusType} is not ocsp(1)` });
  }
  // RFC 6066 §8: opaque OCSPResponse<1..2^24-1>
  const response = r.vec24Bytes('CertificateStatus OCSPResponse', 1);
  r.end('CertificateStatus');
  return { type: 'certificate_status', statusType, response };
}

/** Encodes a CertificateStatus body (`statusType` must be ocsp(1)). */
export function encodeCertificateStatus(w: Writer, m: CertificateStatus): void {
  if (m.statusType !== CertificateStatusType.ocsp) throw internal(`CertificateStatus: status_type ${m.statusType} (only ocsp(1))`);
  checkLength(m.response, 1, 0xffffff, 'CertificateStatus OCSPResponse');
  w.u8(m.statusType).vec24((x) => x.bytes(m.response));
}
