/**
 * Live hand-off (issue 10 item 6): the state of an established TLS 1.3 or 1.2 connection as a
 * versioned byte encoding, so another process can continue the same connection on the same
 * socket (`child.send(msg, socket)`), the peer never noticing.
 *
 * Why bytes rather than a plain object: a `Uint8Array` survives every way a caller moves
 * state between processes — Node IPC's default JSON serialization (as hex or base64), the
 * `advanced` serialization, a file, a pipe — while a plain object of `Uint8Array`s and
 * `bigint`s does not survive JSON (a `Uint8Array` becomes an object of indices, a `bigint`
 * throws). A fixed layout is also strictly checkable: every field is bounded and a checksum
 * (SHA-256 over the encoding) catches corruption in transit. It is not a MAC: whoever holds
 * the state holds the traffic secrets, so there is nothing to authenticate it against.
 *
 * Layout (all integers big-endian):
 * ```
 * magic "PTLSHAND" (8) | format (u8) | role 0 client / 1 server (u8)
 * protocol version (u16) | cipher suite (u16) | flags (u8: bit 0 peer closed; TLS 1.2: bit 1 extended master secret)
 * read sequence (u64) | write sequence (u64) | early data length (u32; 0 for TLS 1.2)
 * TLS 1.3 (0x0304): read secret, write secret, exporter secret (u8 length + bytes; Hash.length each)
 * TLS 1.2 (0x0303): master secret (u8 length + 48), client random, server random (u8 length + 32 each)
 * negotiated info as JSON (u32 length + UTF-8) | peer certificates (u16 count, u24 length + DER each)
 * unread plaintext (u32 length + bytes) | unprocessed ciphertext (u32 length + bytes)
 * SHA-256 of everything above (32)
 * ```
 *
 * Format 1 is a TLS 1.3 state, format 2 a TLS 1.2 state; each format goes with its one
 * protocol version. TLS 1.3 states are still format 1 (their layout did not change, so a
 * build that reads only format 1 still imports them); such a build refuses a TLS 1.2 state
 * (StateRejected) rather than misreading it.
 *
 * TLS 1.3: KeyUpdate keeps working after the hand-off because both traffic secrets travel
 * (RFC 9846 §4.7.3, §7.2), with the sequence numbers of both directions (RFC 9846 §5.3: the
 * nonce is the IV XOR the sequence number, so the importing side must continue exactly where
 * the exporting side stopped, and the exporter must never seal again).
 *
 * TLS 1.2: the master secret and both randoms travel. They give the key block again (RFC
 * 5246 §6.3: both write keys and the AES-GCM salts (RFC 5288 §3) or ChaCha20-Poly1305 IVs
 * (RFC 7905 §2)) and the RFC 5705 exporter, which needs them anyway, so no record key is
 * kept anywhere for the hand-off's sake. Sequence numbers continue as in TLS 1.3: our
 * AES-GCM explicit nonce is the sequence number, and ChaCha20-Poly1305 XORs it into the IV.
 * There is no KeyUpdate in TLS 1.2 and puretls refuses renegotiation. The session the
 * connection kept or resumed travels by name (the negotiated info's `session12`: a client's
 * store key, session ID and ticket with the session's other plain fields; a server's session
 * ID), so that a fatal alert after the hand-off still removes it from the importing side's
 * store or cache (RFC 5246 §7.2.2). A build that does not know the field ignores it, as
 * builds before it did.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { HASH_LEN, type CryptoProvider } from '../crypto/provider.js';
import { tls12Suite, tls13Suite, type Tls12Suite, type Tls13Suite } from '../crypto/suites.js';
import { trafficKeys } from '../keys/tls13-schedule.js';
import { RecordProtector } from '../record/protector.js';
import { MAX_CIPHERTEXT_LEN_TLS12, MAX_CIPHERTEXT_LEN_TLS13, RECORD_HEADER_LEN } from '../wire/record.js';
import { MAX_RECORDS_AHEAD } from '../record/layer.js';
import type { CertificateError, CertificateErrorCode, CertificateErrorSeverity } from '../verify/verifier.js';
import type { NegotiatedInfo } from './info.js';
import type { HeldSession12 } from '../handshake/state.js';
import type { Tls12Session } from '../session/session.js';
import { copyBytes, fromHex, toHex } from '../base/bytes.js';

/** What a connection hands over (in memory; {@link encodeHandoff} makes bytes of it). Holds secrets. */
export type HandoffSnapshot = Handoff13 | Handoff12;

/** A TLS 1.3 connection's state. */
export interface Handoff13 extends HandoffCommon {
  readonly version: 'TLSv1.3';
  readonly suite: Tls13Suite;
  /** Current TLS 1.3 traffic secrets (RFC 9846 §7.1, after any KeyUpdate). */
  readonly readSecret: Uint8Array;
  readonly writeSecret: Uint8Array;
  /** exporter_master_secret (RFC 9846 §7.5). */
  readonly exporterSecret: Uint8Array;
}

/** A TLS 1.2 connection's state: the session the key block (RFC 5246 §6.3) and the exporter (RFC 5705) derive from. */
export interface Handoff12 extends HandoffCommon {
  readonly version: 'TLSv1.2';
  readonly suite: Tls12Suite;
  readonly master: Uint8Array;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly extendedMasterSecret: boolean;
  /**
   * The session the connection kept or resumed, if any (RFC 5246 §7.2.2 removes it after a
   * fatal alert). Decoded, a client's session takes its master secret and certificates from
   * the state itself.
   */
  readonly session: HeldSession12 | null;
}

/** Zeroes the secrets of a snapshot. */
export function wipeHandoff(s: HandoffSnapshot): void {
  if (s.version === 'TLSv1.3') {
    s.readSecret.fill(0);
    s.writeSecret.fill(0);
    s.exporterSecret.fill(0);
  } else {
    s.master.fill(0);
  }
}

interface HandoffCommon {
  readonly role: 'client' | 'server';
  /** Sequence numbers of the next record in each direction (RFC 9846 §5.3, RFC 5246 §6.1). */
  readonly readSequence: bigint;
  readonly writeSequence: bigint;
  /** The peer sent close_notify already. */
  readonly peerClosed: boolean;
  readonly negotiated: NegotiatedInfo;
  readonly earlyDataLength: number;
  /** Plaintext received and not yet read. */
  readonly unread: Uint8Array;
  /** Ciphertext received and not yet processed (at most one record). */
  readonly unprocessed: Uint8Array;
}

const MAGIC = new TextEncoder().encode('PTLSHAND');
/** Format 1: a TLS 1.3 state. Format 2: a TLS 1.2 state. */
const FORMAT_13 = 1;
const FORMAT_12 = 2;
const TLS13 = 0x0304;
const TLS12 = 0x0303;
const MASTER_LEN = 48;
const RANDOM_LEN = 32;
const CHECKSUM_LEN = 32;
const MAX_RECORD = Math.max(MAX_CIPHERTEXT_LEN_TLS12, MAX_CIPHERTEXT_LEN_TLS13);
/** The engine buffers at most READ_HIGH_WATER (256 KiB) plus one record of plaintext. */
const MAX_UNREAD = 256 * 1024 + MAX_RECORD;
/** One record in the deframer, plus those an async AEAD was opening ahead of their turn. */
const MAX_UNPROCESSED = (1 + MAX_RECORDS_AHEAD) * (RECORD_HEADER_LEN + MAX_RECORD);
/** Generous bounds: what a connection exports always fits (chains and their errors are bounded far lower). */
const MAX_INFO_JSON = 1024 * 1024;
const MAX_CERTS = 1024;
const MAX_STRING = 64 * 1024;
const MAX_CERT_ERRORS = 4096;
const EARLY: readonly string[] = ['accepted', 'rejected', 'none'];
const SEVERITY: readonly string[] = ['none', 'ignorable', 'fatal'];

function rejected(detail: string): TlsError {
  return new TlsError('StateRejected', { detail });
}

/** Growable big-endian writer (small: the encoding is a few KiB plus buffered data). */
class Out {
  private parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  uint(v: number, n: number): void {
    const b = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) {
      b[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.bytes(b);
  }
  u64(v: bigint): void {
    this.uint(Number(v >> 32n), 4);
    this.uint(Number(v & 0xffffffffn), 4);
  }
  vec(b: Uint8Array, lenBytes: number): void {
    this.uint(b.length, lenBytes);
    this.bytes(b);
  }
  join(): Uint8Array {
    const r = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      r.set(p, at);
      at += p.length;
    }
    return r;
  }
}

/** Bounds-checked reader: every overrun is a StateRejected, never a RangeError. */
class In {
  at = 0;
  private readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.b.length - this.at) throw rejected(`truncated at ${what}`);
    const r = this.b.slice(this.at, this.at + n);
    this.at += n;
    return r;
  }
  uint(n: number, what: string): number {
    const b = this.take(n, what);
    let v = 0;
    for (const x of b) v = v * 256 + x;
    return v;
  }
  u64(what: string): bigint {
    return (BigInt(this.uint(4, what)) << 32n) | BigInt(this.uint(4, what));
  }
  vec(lenBytes: number, max: number, what: string): Uint8Array {
    const n = this.uint(lenBytes, what);
    if (n > max) throw rejected(`${what} of ${n} bytes (at most ${max})`);
    return this.take(n, what);
  }
}

/** The negotiated info, except the certificates (which travel as DER). */
interface InfoJson {
  cipherSuite: string | null;
  group: string | null;
  signatureScheme: string | null;
  clientSignatureScheme: string | null;
  alpn: string | null;
  serverName: string | null;
  resumed: boolean;
  earlyData: string;
  helloRetryRequest: boolean;
  certificateErrors: { code: string; index: number; detail: string }[];
  certificateErrorSeverity: string;
  /** TLS 1.2: the session in use, by name (see {@link Handoff12.session}); absent when none. */
  session12?: Session12Json;
}

/** A client's TLS 1.2 session without its secret and certificates, or a server's session ID (bytes as hex). */
type Session12Json =
  | { sessionId: string }
  | {
      sessionId: string;
      ticket: string;
      storeKey: string;
      serverName: string;
      alpn: string | null;
      receivedAt: number;
      expiresAt: number;
      lifetime: number;
      signatureScheme: string | null;
    };

/** RFC 5246 §7.4.1.2: a session ID is at most 32 bytes; RFC 5077 §3.3: a ticket at most 2^16-1. */
const MAX_SESSION_ID = 32;
const MAX_TICKET = 0xffff;

function session12Json(h: HeldSession12): Session12Json {
  if (h instanceof Uint8Array) return { sessionId: toHex(h) };
  return {
    sessionId: toHex(h.sessionId),
    ticket: toHex(h.ticket),
    storeKey: h.storeKey,
    serverName: h.serverName,
    alpn: h.alpn,
    receivedAt: h.receivedAt,
    expiresAt: h.expiresAt,
    lifetime: h.lifetime,
    signatureScheme: h.signatureScheme,
  };
}

function hexBytes(v: unknown, max: number, what: string): Uint8Array {
  const b = typeof v === 'string' && v.length <= 2 * max ? fromHex(v) : null;
  if (b === null) throw rejected(`${what} is not hex of at most ${max} bytes`);
  return b;
}

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw rejected(`${what} is not a count`);
  return v;
}

/**
 * The session named by a state's `session12`: a server's session ID, or a client's session
 * rebuilt around the state's own master secret (a copy: the snapshot's is wiped after import)
 * and the peer's certificates as negotiated.
 */
function heldSession12(v: unknown, role: 'client' | 'server', suite: number, master: Uint8Array, n: NegotiatedInfo): HeldSession12 | null {
  if (v === undefined) return null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw rejected('session12 is not an object');
  const j = v as Record<string, unknown>;
  const sessionId = hexBytes(j.sessionId, MAX_SESSION_ID, 'session ID');
  if (role === 'server') {
    // Only session-ID sessions are cached by the server (a ticket's state is the client's).
    if (sessionId.length === 0) throw rejected('server session12 without a session ID');
    return sessionId;
  }
  const ticket = hexBytes(j.ticket, MAX_TICKET, 'ticket');
  if (sessionId.length === 0 && ticket.length === 0) throw rejected('client session12 with neither a session ID nor a ticket');
  const receivedAt = nonNegative(j.receivedAt, 'receivedAt');
  const expiresAt = nonNegative(j.expiresAt, 'expiresAt');
  const session: Tls12Session = {
    version: 'TLSv1.2',
    serverName: str(j.serverName, 'session serverName'),
    storeKey: str(j.storeKey, 'storeKey'),
    // RFC 5246 §7.4.1.3: a resumed session keeps its suite, so it is the connection's.
    cipherSuite: suite,
    alpn: strOrNull(j.alpn, 'session alpn'),
    receivedAt,
    expiresAt,
    peerCertificates: n.peerCertificates,
    certificateErrors: n.certificateErrors,
    certificateErrorSeverity: n.certificateErrorSeverity,
    signatureScheme: strOrNull(j.signatureScheme, 'session signatureScheme'),
    masterSecret: copyBytes(master),
    extendedMasterSecret: true,
    sessionId,
    ticket,
    lifetime: nonNegative(j.lifetime, 'session lifetime'),
  };
  return session;
}

/**
 * Encodes a snapshot (see the module documentation for the layout).
 *
 * @param crypto - computes the checksum (SHA-256)
 */
export function encodeHandoff(crypto: Pick<CryptoProvider, 'digest'>, s: HandoffSnapshot): Uint8Array {
  const n = s.negotiated;
  const info: InfoJson = {
    cipherSuite: n.cipherSuite,
    group: n.group,
    signatureScheme: n.signatureScheme,
    clientSignatureScheme: n.clientSignatureScheme,
    alpn: n.alpn,
    serverName: n.serverName,
    resumed: n.resumed,
    earlyData: n.earlyData,
    helloRetryRequest: n.helloRetryRequest,
    certificateErrors: n.certificateErrors.map((e) => ({ code: e.code, index: e.index, detail: e.detail })),
    certificateErrorSeverity: n.certificateErrorSeverity,
    ...(s.version === 'TLSv1.2' && s.session !== null ? { session12: session12Json(s.session) } : {}),
  };
  const o = new Out();
  o.bytes(MAGIC);
  const tls13 = s.version === 'TLSv1.3';
  o.uint(tls13 ? FORMAT_13 : FORMAT_12, 1);
  o.uint(s.role === 'client' ? 0 : 1, 1);
  o.uint(tls13 ? TLS13 : TLS12, 2);
  o.uint(s.suite.code, 2);
  o.uint((s.peerClosed ? 1 : 0) | (!tls13 && s.extendedMasterSecret ? 2 : 0), 1);
  o.u64(s.readSequence);
  o.u64(s.writeSequence);
  o.uint(s.earlyDataLength, 4);
  if (tls13) {
    o.vec(s.readSecret, 1);
    o.vec(s.writeSecret, 1);
    o.vec(s.exporterSecret, 1);
  } else {
    o.vec(s.master, 1);
    o.vec(s.clientRandom, 1);
    o.vec(s.serverRandom, 1);
  }
  o.vec(new TextEncoder().encode(JSON.stringify(info)), 4);
  o.uint(n.peerCertificates.length, 2);
  for (const c of n.peerCertificates) o.vec(c, 3);
  o.vec(s.unread, 4);
  o.vec(s.unprocessed, 4);
  const body = o.join();
  o.bytes(crypto.digest('sha256', body));
  return o.join();
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > MAX_STRING) throw rejected(`${what} is not a string`);
  return v;
}

function strOrNull(v: unknown, what: string): string | null {
  return v === null ? null : str(v, what);
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') throw rejected(`${what} is not a boolean`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly string[], what: string): T {
  if (typeof v !== 'string' || !allowed.includes(v)) throw rejected(`${what} is not one of ${allowed.join(', ')}`);
  return v as T;
}

function certificateErrors(v: unknown): CertificateError[] {
  if (!Array.isArray(v) || v.length > MAX_CERT_ERRORS) throw rejected('certificateErrors is not a list');
  return v.map((e: unknown) => {
    if (typeof e !== 'object' || e === null) throw rejected('certificate error is not an object');
    const r = e as Record<string, unknown>;
    if (typeof r.index !== 'number' || !Number.isInteger(r.index) || r.index < -1) throw rejected('certificate error index');
    return { code: str(r.code, 'certificate error code') as CertificateErrorCode, index: r.index, detail: str(r.detail, 'certificate error detail') };
  });
}

/**
 * Decodes and checks a state made by {@link encodeHandoff}.
 *
 * @throws TlsError('StateRejected') for anything else: another format or version, a
 *   corrupted or truncated encoding, a suite or secret that does not fit, the other role
 */
export function decodeHandoff(crypto: Pick<CryptoProvider, 'digest'>, bytes: unknown, role: 'client' | 'server'): HandoffSnapshot {
  if (!(bytes instanceof Uint8Array)) throw rejected('the state is not a Uint8Array');
  if (bytes.length < MAGIC.length + CHECKSUM_LEN) throw rejected('too short');
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw rejected('not a puretls hand-off state');
  const body = bytes.subarray(0, bytes.length - CHECKSUM_LEN);
  const sum = crypto.digest('sha256', body);
  let diff = 0;
  for (let i = 0; i < CHECKSUM_LEN; i++) diff |= sum[i]! ^ bytes[body.length + i]!;
  if (diff !== 0) throw rejected('checksum mismatch (corrupted or altered)');
  const r = new In(body);
  r.take(MAGIC.length, 'magic');
  const format = r.uint(1, 'format');
  if (format !== FORMAT_13 && format !== FORMAT_12) throw rejected(`format version ${format} (this build reads ${FORMAT_13} and ${FORMAT_12})`);
  const roleByte = r.uint(1, 'role');
  if (roleByte > 1) throw rejected('role');
  const stateRole = roleByte === 0 ? 'client' : 'server';
  if (stateRole !== role) throw rejected(`a ${stateRole} state imported as a ${role}`);
  const version = r.uint(2, 'version');
  if (version !== (format === FORMAT_13 ? TLS13 : TLS12)) throw rejected(`protocol version 0x${version.toString(16)} in a format ${format} state`);
  const tls13 = version === TLS13;
  const code = r.uint(2, 'cipher suite');
  const suite = tls13 ? tls13Suite(code) : tls12Suite(code);
  if (!suite) throw rejected(`cipher suite 0x${code.toString(16)} is not a TLS ${tls13 ? '1.3' : '1.2'} suite we implement`);
  const flags = r.uint(1, 'flags');
  if (flags > (tls13 ? 1 : 3)) throw rejected('unknown flags');
  const readSequence = r.u64('read sequence');
  const writeSequence = r.u64('write sequence');
  const earlyDataLength = r.uint(4, 'early data length');
  if (!tls13 && earlyDataLength !== 0) throw rejected('early data in a TLS 1.2 state');
  let keys: { readSecret: Uint8Array; writeSecret: Uint8Array; exporterSecret: Uint8Array } | { master: Uint8Array; clientRandom: Uint8Array; serverRandom: Uint8Array };
  if (tls13) {
    const len = HASH_LEN[suite.hash];
    const readSecret = r.vec(1, len, 'read secret');
    const writeSecret = r.vec(1, len, 'write secret');
    const exporterSecret = r.vec(1, len, 'exporter secret');
    // RFC 9846 §7.1: every secret of the schedule is Hash.length bytes.
    for (const s of [readSecret, writeSecret, exporterSecret]) if (s.length !== len) throw rejected(`secret of ${s.length} bytes for ${suite.name}`);
    keys = { readSecret, writeSecret, exporterSecret };
  } else {
    // RFC 5246 §8.1: the master secret is 48 bytes; §7.4.1.2: randoms are 32.
    const master = r.vec(1, MASTER_LEN, 'master secret');
    const clientRandom = r.vec(1, RANDOM_LEN, 'client random');
    const serverRandom = r.vec(1, RANDOM_LEN, 'server random');
    if (master.length !== MASTER_LEN || clientRandom.length !== RANDOM_LEN || serverRandom.length !== RANDOM_LEN) throw rejected('master secret or random of the wrong length');
    keys = { master, clientRandom, serverRandom };
  }
  let info: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(r.vec(4, MAX_INFO_JSON, 'negotiated info')));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw rejected('negotiated info is not an object');
    info = parsed as Record<string, unknown>;
  } catch (e) {
    throw e instanceof TlsError ? e : rejected('negotiated info is not JSON');
  }
  const cipherSuite = str(info.cipherSuite, 'cipherSuite');
  if (cipherSuite !== suite.name) throw rejected('cipherSuite does not match the suite');
  const count = r.uint(2, 'certificate count');
  if (count > MAX_CERTS) throw rejected(`${count} peer certificates`);
  const peerCertificates: Uint8Array[] = [];
  for (let i = 0; i < count; i++) peerCertificates.push(r.vec(3, 0xffffff, 'peer certificate'));
  const unread = r.vec(4, MAX_UNREAD, 'unread plaintext');
  const unprocessed = r.vec(4, MAX_UNPROCESSED, 'unprocessed input');
  if (r.at !== body.length) throw rejected('trailing bytes');
  const negotiated: NegotiatedInfo = {
    version: tls13 ? 'TLSv1.3' : 'TLSv1.2',
    cipherSuite,
    group: strOrNull(info.group, 'group'),
    signatureScheme: strOrNull(info.signatureScheme, 'signatureScheme'),
    clientSignatureScheme: strOrNull(info.clientSignatureScheme, 'clientSignatureScheme'),
    alpn: strOrNull(info.alpn, 'alpn'),
    serverName: strOrNull(info.serverName, 'serverName'),
    resumed: bool(info.resumed, 'resumed'),
    earlyData: oneOf<NegotiatedInfo['earlyData']>(info.earlyData, EARLY, 'earlyData'),
    helloRetryRequest: bool(info.helloRetryRequest, 'helloRetryRequest'),
    peerCertificates,
    certificateErrors: certificateErrors(info.certificateErrors),
    certificateErrorSeverity: oneOf<CertificateErrorSeverity>(info.certificateErrorSeverity, SEVERITY, 'certificateErrorSeverity'),
  };
  const common = { role, readSequence, writeSequence, peerClosed: (flags & 1) === 1, negotiated, earlyDataLength, unread, unprocessed };
  if ('master' in keys) {
    // RFC 7627 §5.3: only sessions with the extended master secret are kept (none to manage without it).
    const session = (flags & 2) === 2 ? heldSession12(info.session12, role, code, keys.master, negotiated) : null;
    return { ...common, version: 'TLSv1.2', suite: suite as Tls12Suite, ...keys, extendedMasterSecret: (flags & 2) === 2, session };
  }
  if (info.session12 !== undefined) throw rejected('session12 in a TLS 1.3 state');
  return { ...common, version: 'TLSv1.3', suite: suite as Tls13Suite, ...keys };
}

/**
 * The record protector that continues a direction: keys from the traffic secret (RFC 9846
 * §7.3) and the next sequence number (RFC 9846 §5.3).
 */
export function handoffProtector(crypto: CryptoProvider, suite: Tls13Suite, secret: Uint8Array, sequence: bigint): RecordProtector {
  const { key, iv } = trafficKeys(crypto, suite.hash, secret, suite.keyLen, 12);
  return new RecordProtector({ mode: 'tls13', aead: crypto.aead(suite.aead, key), iv, sequence });
}
