/**
 * ClientHello, ServerHello and HelloRetryRequest codecs (RFC 9846 §4.2.2-§4.1.4).
 *
 * Both hellos stay TLS 1.2-compatible: the extensions block may be absent (RFC 9846
 * §4.1.2; RFC 5246 §7.4.1.2-3) and may be empty, so the TLS 1.3 minimums
 * `extensions<7..>` / `<6..>` are not enforced here; which version is negotiated is
 * the handshake's business. Decoders read a message body (no 4-byte header) and
 * return zero-copy views into it.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import {
  decodeExtensions,
  decodeHelloRetryRequestExtensions,
  decodeServerHelloExtensions,
  encodeClientHelloExtensions,
  encodeExtensions,
  encodeServerHelloExtensions,
  isEmptyBlock,
  pskBindersLength,
} from './extensions.js';
import type { ClientHello, HelloRetryRequest, ServerHello } from './messages.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/**
 * ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest")
 * (RFC 9846 §4.2.3). Shared constant: do not mutate.
 */
export const HRR_RANDOM: Uint8Array = new Uint8Array([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/**
 * Last 8 bytes of ServerHello.random of a TLS 1.3 server negotiating TLS 1.2
 * ("DOWNGRD" 01, RFC 9846 §4.2.3). Shared constant: do not mutate.
 */
export const DOWNGRADE_TLS12: Uint8Array = /* @__PURE__ */ new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);

/**
 * Last 8 bytes of ServerHello.random of a TLS 1.3 (or 1.2) server negotiating TLS 1.1
 * or below ("DOWNGRD" 00, RFC 9846 §4.2.3). Shared constant: do not mutate.
 */
export const DOWNGRADE_TLS11: Uint8Array = /* @__PURE__ */ new Uint8Array([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** True if `random` is the HelloRetryRequest special value (RFC 9846 §4.2.3). */
export function isHelloRetryRequestRandom(random: Uint8Array): boolean {
  return equalBytes(random, HRR_RANDOM);
}

/**
 * Which downgrade sentinel ends `serverRandom` (RFC 9846 §4.2.3): `'TLSv1.2'` for
 * {@link DOWNGRADE_TLS12}, `'TLSv1.1'` for {@link DOWNGRADE_TLS11}, else `null`.
 * A TLS 1.3 client that negotiated TLS 1.2 or below aborts with illegal_parameter on
 * either; a TLS 1.2 client on the second when TLS 1.1 or below was negotiated.
 */
export function downgradeSentinel(serverRandom: Uint8Array): 'TLSv1.2' | 'TLSv1.1' | null {
  if (serverRandom.length < 8) return null;
  const tail = serverRandom.subarray(serverRandom.length - 8);
  if (equalBytes(tail, DOWNGRADE_TLS12)) return 'TLSv1.2';
  if (equalBytes(tail, DOWNGRADE_TLS11)) return 'TLSv1.1';
  return null;
}

function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

/**
 * Decodes a ClientHello body (RFC 9846 §4.2.2), consuming all of `r`.
 *
 * @throws TlsError `DecodeError` (lengths, bounds, trailing data), `IllegalParameter`
 *   (see {@link decodeExtensions})
 */
export function decodeClientHello(r: Reader): ClientHello {
  const legacyVersion = r.u16();
  // RFC 9846 §4.2.2: Random random (32 bytes)
  const random = r.bytesN(32);
  // RFC 9846 §4.2.2: opaque legacy_session_id<0..32>
  const legacySessionId = r.vec8Bytes('ClientHello legacy_session_id', 0, 32);
  // RFC 9846 §4.2.2: CipherSuite cipher_suites<2..2^16-2>
  const suites = r.vec16('ClientHello cipher_suites', 2, 0xfffe);
  if (suites.left % 2 !== 0) {
    throw new TlsError('DecodeError', { detail: `ClientHello cipher_suites: odd length ${suites.left}` });
  }
  const cipherSuites: number[] = [];
  while (suites.left > 0) cipherSuites.push(suites.u16());
  // RFC 9846 §4.2.2: opaque legacy_compression_methods<1..2^8-1>
  const legacyCompressionMethods = r.vec8Bytes('ClientHello legacy_compression_methods', 1);
  const m: ClientHello = {
    type: 'client_hello',
    legacyVersion,
    random,
    legacySessionId,
    cipherSuites,
    legacyCompressionMethods,
    extensions: { unknown: [], order: [] },
  };
  if (r.left === 0) {
    // RFC 9846 §4.2.2: "TLS 1.3 servers might receive ClientHello messages without an
    // extensions field from prior versions of TLS."
    m.legacyNoExtensions = true;
    return m;
  }
  m.extensions = decodeExtensions(r, 'CH');
  // RFC 9846 §4.2.2: a valid extensions block "with no data following", else decode_error
  r.end('ClientHello');
  return m;
}

/** One extension of a ClientHello as it appeared on the wire. */
export interface RawExtensionBlock {
  readonly type: number;
  readonly data: Uint8Array;
}

/**
 * The extensions of an encoded ClientHello (4-byte header included, as kept in `raw`), in
 * wire order, undecoded: for comparing two ClientHellos byte for byte (RFC 9846 §4.2.2, the
 * second ClientHello after a HelloRetryRequest).
 *
 * @throws TlsError `DecodeError` if `raw` is not a well-formed ClientHello
 */
export function clientHelloExtensionBlocks(raw: Uint8Array): RawExtensionBlock[] {
  const r = new Reader(raw, 'ClientHello');
  r.u8();
  const body = r.vec24('ClientHello body');
  r.end('ClientHello');
  body.bytesN(2 + 32);
  body.vec8Bytes('legacy_session_id');
  body.vec16Bytes('cipher_suites');
  body.vec8Bytes('legacy_compression_methods');
  const out: RawExtensionBlock[] = [];
  if (body.left === 0) return out;
  const exts = body.vec16('extensions');
  body.end('ClientHello');
  while (exts.left > 0) {
    const type = exts.u16();
    out.push({ type, data: exts.vec16Bytes('extension_data') });
  }
  return out;
}

/**
 * Encodes a ClientHello body.
 *
 * @throws TlsError `InternalError` if a field is out of its RFC 9846 §4.2.2 bounds
 */
export function encodeClientHello(w: Writer, m: ClientHello): void {
  if (m.random.length !== 32) throw internal(`ClientHello random of ${m.random.length} bytes`);
  if (m.legacySessionId.length > 32) throw internal('ClientHello legacy_session_id over 32 bytes');
  if (m.cipherSuites.length === 0 || m.cipherSuites.length > 0x7fff) throw internal('ClientHello cipher_suites count out of range');
  if (m.legacyCompressionMethods.length === 0) throw internal('ClientHello legacy_compression_methods empty');
  w.u16(m.legacyVersion)
    .bytes(m.random)
    .vec8((x) => x.bytes(m.legacySessionId))
    .vec16((x) => {
      for (const s of m.cipherSuites) x.u16(s);
    })
    .vec8((x) => x.bytes(m.legacyCompressionMethods));
  if (m.legacyNoExtensions) {
    if (!isEmptyBlock(m.extensions)) throw internal('ClientHello: legacyNoExtensions with extensions');
    return;
  }
  encodeClientHelloExtensions(w, m.extensions);
}

/**
 * The "partial ClientHello" that PSK binders are computed over (RFC 9846 §4.3.11.2):
 * the whole encoded ClientHello (4-byte header included) up to, not including, the
 * binders list. `raw` must be the encoding of `ch` (as set by the decoder, or
 * produced by `encodeHandshake`), with pre_shared_key as its last extension.
 *
 * @throws TlsError `InternalError` if `ch` offers no PSKs or has no `raw`
 */
export function truncatedClientHello(ch: ClientHello, raw: Uint8Array | undefined = ch.raw): Uint8Array {
  const psks = ch.extensions.preSharedKey;
  if (!psks || !raw) throw internal('truncatedClientHello: no pre_shared_key or no raw bytes');
  const n = pskBindersLength(psks);
  if (n > raw.length) throw internal('truncatedClientHello: raw shorter than its binders');
  return raw.subarray(0, raw.length - n);
}

/**
 * Decodes a ServerHello or HelloRetryRequest body (RFC 9846 §4.2.3, §4.2.4),
 * consuming all of `r`. A HelloRetryRequest is recognized by its random value
 * (RFC 9846 §4.2.3: "implementations MUST first examine the Random value") and its
 * extensions are decoded as a HelloRetryRequest's.
 *
 * The extension block of a ServerHello is judged by the version it selects: with
 * supported_versions = 0x0304 by the RFC 9846 §4.3 table, otherwise as a TLS 1.2
 * ServerHello (see `decodeServerHelloExtensions`).
 *
 * Values whose check depends on the negotiated version or on the ClientHello
 * (legacy_version, session id echo, cipher suite, compression method 0) are left to
 * the handshake.
 *
 * @throws TlsError `DecodeError`, `IllegalParameter` (see `decodeExtensions`)
 */
export function decodeServerHello(r: Reader): ServerHello | HelloRetryRequest {
  const legacyVersion = r.u16();
  const random = r.bytesN(32);
  // RFC 9846 §4.2.3: opaque legacy_session_id_echo<0..32>
  const legacySessionIdEcho = r.vec8Bytes('ServerHello legacy_session_id_echo', 0, 32);
  const cipherSuite = r.u16();
  const legacyCompressionMethod = r.u8();
  const fields = { type: 'server_hello', legacyVersion, random, legacySessionIdEcho, cipherSuite, legacyCompressionMethod } as const;
  if (r.left === 0) {
    // RFC 5246 §7.4.1.3: a TLS 1.2 ServerHello may omit the extensions block. (A TLS 1.3
    // ServerHello always has one; its absence means supported_versions is missing,
    // which the handshake treats as a TLS 1.2 answer.)
    return isHelloRetryRequestRandom(random)
      ? { ...fields, isHrr: true, extensions: { unknown: [], order: [] }, legacyNoExtensions: true }
      : { ...fields, isHrr: false, extensions: { rules: 'tls12', unknown: [], order: [] }, legacyNoExtensions: true };
  }
  if (isHelloRetryRequestRandom(random)) {
    const extensions = decodeHelloRetryRequestExtensions(r);
    r.end('HelloRetryRequest');
    return { ...fields, isHrr: true, extensions };
  }
  // RFC 9846 §4.2.3: a ServerHello selecting TLS 1.3 carries supported_versions = 0x0304;
  // any other ServerHello is a TLS 1.2 one (RFC 5246 §7.4.1.3), whose extensions follow
  // the TLS 1.2 rules.
  const extensions = decodeServerHelloExtensions(r);
  r.end('ServerHello');
  return { ...fields, isHrr: false, extensions };
}

/**
 * Encodes a ServerHello or HelloRetryRequest body; which one follows from `random`
 * (`isHrr` must agree with it).
 *
 * @throws TlsError `InternalError` on inconsistent or out-of-bounds fields
 */
export function encodeServerHello(w: Writer, m: ServerHello | HelloRetryRequest): void {
  if (m.random.length !== 32) throw internal(`ServerHello random of ${m.random.length} bytes`);
  if (m.legacySessionIdEcho.length > 32) throw internal('ServerHello legacy_session_id_echo over 32 bytes');
  const hrr = isHelloRetryRequestRandom(m.random);
  if (hrr !== m.isHrr) throw internal('ServerHello: isHrr does not match random');
  w.u16(m.legacyVersion)
    .bytes(m.random)
    .vec8((x) => x.bytes(m.legacySessionIdEcho))
    .u16(m.cipherSuite)
    .u8(m.legacyCompressionMethod);
  if (m.legacyNoExtensions) {
    if (!isEmptyBlock(m.extensions)) throw internal('ServerHello: legacyNoExtensions with extensions');
    return;
  }
  if (m.isHrr) encodeExtensions(w, m.extensions, 'HRR');
  // TLS 1.3 rules when supported_versions selects 0x0304, TLS 1.2 rules otherwise
  else encodeServerHelloExtensions(w, m.extensions);
}
