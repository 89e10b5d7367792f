/**
 * What a TLS 1.3 server seals into a stateless ticket (RFC 9846 §4.7.1: the ticket is
 * "opaque" to the client; the server keeps nothing), and its codec. Sealed and opened by
 * {@link TicketKeySet}; decoded only after the AEAD authenticated it, and even then every
 * field is bounded and a malformed state reads as "no ticket" (`null`), never as an error.
 *
 * Layout (all integers big-endian):
 * ```
 * u8  0x13                      version tag: a TLS 1.2 state (0x12) is never read as this
 * u16 cipher_suite              the suite of the handshake that issued it (its hash is the PSK's)
 * u32 issued_at_hi, u32 lo      server clock (ms) at issue
 * u32 lifetime                  seconds (≤ 604800)
 * u32 ticket_age_add
 * u32 max_early_data            0: no 0-RTT
 * opaque psk<1..255>
 * opaque server_name<0..255>    SNI of the first handshake (lower case), empty without
 * opaque alpn<0..255>
 * u8  client_auth               0 none requested, 1 requested and none sent, 2 certificate
 * opaque client_chain<0..2^16-1> (client_auth 2) DER certificates, each opaque<1..2^16-1>
 * opaque errors<0..255>         certificate error codes accepted then, comma separated (ASCII)
 * [u32 authenticated_at_hi, u32 lo]  only in a ticket issued on resumption: server clock (ms) of
 *                               the full handshake it descends from (absent: issued_at; tickets of
 *                               full handshakes keep their size and bytes)
 * ```
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { IGNORABLE_CERTIFICATE_ERRORS, type CertificateErrorCode } from '../verify/verifier.js';

/** What the original handshake decided about the client's certificate. */
export type OriginalClientAuth = 'not-requested' | 'no-certificate' | 'certificate';

/** The state inside a TLS 1.3 ticket. */
export interface TicketState13 {
  readonly cipherSuite: number;
  /** Server clock (ms) when the ticket was issued. */
  readonly issuedAt: number;
  /** Seconds. */
  readonly lifetime: number;
  readonly ageAdd: number;
  readonly maxEarlyData: number;
  readonly psk: Uint8Array;
  readonly serverName: string;
  readonly alpn: string;
  readonly clientAuth: OriginalClientAuth;
  /** The client's certificates as first accepted (`clientAuth` 'certificate'), leaf first. */
  readonly clientChain: readonly Uint8Array[];
  /** The (ignorable) errors accepted in that chain then. */
  readonly clientErrors: readonly CertificateErrorCode[];
  /**
   * Server clock (ms) of the full (certificate-authenticated) handshake this ticket descends
   * from, through any resumptions; absent: `issuedAt` (the ticket's own handshake was a full
   * one). RFC 9846 §4.7.1 recommends limiting the total lifetime of keying material derived
   * from one certificate-authenticated handshake: the server refuses a ticket whose
   * authentication is older than its session timeout, however recently the ticket was issued.
   */
  readonly authenticatedAt?: number;
}

const TAG = 0x13;
/** One encoder for every ticket (stateless; a new one per ticket cost an object each). */
const ENCODER = new TextEncoder();
const AUTH: readonly OriginalClientAuth[] = ['not-requested', 'no-certificate', 'certificate'];
/** Client chains larger than this are kept leaf-only (a ticket is at most 2^16-1 bytes, RFC 9846 §4.7.1). */
const MAX_CHAIN_BYTES = 16384;

/**
 * Encodes a ticket state. Returns null when it cannot fit a ticket (a client certificate
 * larger than {@link MAX_CHAIN_BYTES}): then no ticket is issued.
 */
export function encodeTicketState13(s: TicketState13): Uint8Array | null {
  const enc = ENCODER;
  let chain = s.clientChain;
  const size = (c: readonly Uint8Array[]) => c.reduce((n, d) => n + 2 + d.length, 0);
  if (size(chain) > MAX_CHAIN_BYTES) chain = chain.slice(0, 1);
  if (size(chain) > MAX_CHAIN_BYTES) return null;
  const name = enc.encode(s.serverName);
  const alpn = enc.encode(s.alpn);
  const errors = enc.encode(s.clientErrors.join(','));
  if (name.length > 255 || alpn.length > 255 || errors.length > 255 || s.psk.length === 0 || s.psk.length > 255) return null;
  const w = new Writer(128 + s.psk.length + size(chain));
  w.u8(TAG).u16(s.cipherSuite);
  w.u32(Math.floor(s.issuedAt / 2 ** 32) >>> 0).u32(s.issuedAt >>> 0);
  w.u32(s.lifetime).u32(s.ageAdd >>> 0).u32(s.maxEarlyData >>> 0);
  w.vec8((x) => x.bytes(s.psk));
  w.vec8((x) => x.bytes(name));
  w.vec8((x) => x.bytes(alpn));
  w.u8(AUTH.indexOf(s.clientAuth));
  w.vec16((x) => {
    for (const d of chain) x.vec16((y) => y.bytes(d));
  });
  w.vec8((x) => x.bytes(errors));
  const authAt = s.authenticatedAt ?? s.issuedAt;
  if (authAt !== s.issuedAt) w.u32(Math.floor(authAt / 2 ** 32) >>> 0).u32(authAt >>> 0);
  return w.finish();
}

/** Decodes a ticket state; null for anything malformed (never throws). */
export function decodeTicketState13(b: Uint8Array): TicketState13 | null {
  try {
    const dec = new TextDecoder('utf-8', { fatal: true });
    const r = new Reader(b, 'ticket state');
    if (r.u8() !== TAG) return null;
    const cipherSuite = r.u16();
    const hi = r.u32();
    const lo = r.u32();
    const issuedAt = hi * 2 ** 32 + lo;
    const lifetime = r.u32();
    const ageAdd = r.u32();
    const maxEarlyData = r.u32();
    const psk = copyBytes(r.vec8Bytes('psk', 1));
    const serverName = dec.decode(r.vec8Bytes('server_name'));
    const alpn = dec.decode(r.vec8Bytes('alpn'));
    const auth = AUTH[r.u8()];
    if (auth === undefined) return null;
    const chainR = r.vec16('client_chain');
    const clientChain: Uint8Array[] = [];
    while (chainR.left > 0) clientChain.push(copyBytes(chainR.vec16Bytes('certificate', 1)));
    const errorsText = dec.decode(r.vec8Bytes('errors'));
    let authenticatedAt = issuedAt;
    if (r.left > 0) {
      const authHi = r.u32();
      authenticatedAt = authHi * 2 ** 32 + r.u32();
      // Written only when it differs.
      if (authenticatedAt === issuedAt) return null;
    }
    r.end('ticket state');
    // A resumption cannot be older than the handshake it descends from.
    if (authenticatedAt > issuedAt) return null;
    const clientErrors = errorsText === '' ? [] : (errorsText.split(',') as CertificateErrorCode[]);
    // Only ignorable errors can have been accepted.
    if (clientErrors.some((e) => !IGNORABLE_CERTIFICATE_ERRORS.includes(e))) return null;
    if ((auth === 'certificate') !== (clientChain.length > 0)) return null;
    const state: TicketState13 = { cipherSuite, issuedAt, lifetime, ageAdd, maxEarlyData, psk, serverName, alpn, clientAuth: auth, clientChain, clientErrors };
    return authenticatedAt === issuedAt ? state : { ...state, authenticatedAt };
  } catch {
    return null;
  }
}
