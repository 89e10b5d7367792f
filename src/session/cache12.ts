/**
 * What a TLS 1.2 server remembers of a session so that a client may resume it (RFC 5246
 * §7.3, §7.4.1.2 "session state"; RFC 5077 §4), and the bounded server-side cache of those
 * sessions by session ID, whose entries expire.
 *
 * - {@link ServerSession12}: the session state (suite, master secret, whether it has the
 *   extended master secret, the server name of the full handshake, the client's certificates
 *   and what was wrong with them, when it was made).
 * - {@link SessionCache12}: session ID → state, at most `maxEntries` (oldest evicted first),
 *   each valid for `lifetime` seconds (RFC 5246 §F.1.4: "an upper limit of 24 hours is
 *   suggested for session ID lifetimes"). Shared by every connection of one server config.
 * - {@link encodeServerSession12} / {@link decodeServerSession12}: the same state as bytes,
 *   the plaintext a RFC 5077 ticket seals (§4 recommends exactly these fields: "protocol
 *   version, cipher suite, master secret, client identity, timestamp").
 *
 * Only sessions with the extended master secret are ever cached or sealed into a ticket:
 * RFC 7627 §5.3 lets a server refuse to resume the others, and puretls does (a full
 * handshake instead), so a resumed session never lacks it.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { TlsError } from '../base/errors.js';
import type { CertificateError, CertificateErrorCode, CertificateErrorSeverity } from '../verify/verifier.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';

/** What a TLS 1.2 server keeps of a session it may resume. */
export interface ServerSession12 {
  /** The cipher suite of the session (RFC 5246 §7.4.1.2: resumption keeps it). */
  readonly suite: number;
  /** The 48-byte master secret. */
  readonly master: Uint8Array;
  /** Always true for sessions puretls stores (RFC 7627 §5.3). */
  readonly extendedMasterSecret: boolean;
  /** The client's server_name in the full handshake, lower case (RFC 6066 §3: a resumption must name the same). */
  readonly serverName: string | undefined;
  /** The client's certificates (DER, leaf first) if it authenticated; empty otherwise. */
  readonly clientCertificates: readonly Uint8Array[];
  /** What the verifier found wrong with them (ignorable errors that were accepted). */
  readonly certificateErrors: readonly CertificateError[];
  readonly certificateErrorSeverity: CertificateErrorSeverity;
  /** `now()` (milliseconds) when the full handshake that made it completed. */
  readonly createdAt: number;
}

/** Options of the server's TLS 1.2 session-ID cache. */
export interface SessionCache12Options {
  /** Sessions kept at most (default {@link DEFAULT_SESSION_CACHE_SIZE}); 0 turns session IDs off. */
  readonly maxEntries?: number;
  /** Seconds a session may be resumed after its full handshake (default {@link DEFAULT_SESSION_LIFETIME}). */
  readonly lifetime?: number;
}

/** Default number of cached TLS 1.2 sessions. */
export const DEFAULT_SESSION_CACHE_SIZE = 4096;
/** Default session lifetime in seconds (Node's `sessionTimeout` default). */
export const DEFAULT_SESSION_LIFETIME = 300;
/** Largest accepted lifetime: RFC 5246 §F.1.4 suggests 24 hours at most. */
export const MAX_SESSION_LIFETIME = 86400;
/** Largest accepted cache size. */
export const MAX_SESSION_CACHE_SIZE = 1_000_000;
/** A session whose encoding is larger (a long client chain) is not cached: memory stays bounded by entries × this. */
export const MAX_CACHED_SESSION_BYTES = 32768;

/**
 * Checks cache options and fills in the defaults.
 * @throws TlsError('InvalidConfig') for a size or lifetime that is not an integer in range
 */
export function resolveSessionCache12Options(o: SessionCache12Options | undefined): Required<SessionCache12Options> {
  const maxEntries = o?.maxEntries ?? DEFAULT_SESSION_CACHE_SIZE;
  const lifetime = o?.lifetime ?? DEFAULT_SESSION_LIFETIME;
  if (!Number.isInteger(maxEntries) || maxEntries < 0 || maxEntries > MAX_SESSION_CACHE_SIZE) {
    throw new TlsError('InvalidConfig', { detail: `session cache size must be an integer 0..${MAX_SESSION_CACHE_SIZE}` });
  }
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_SESSION_LIFETIME) {
    throw new TlsError('InvalidConfig', { detail: `session lifetime must be an integer number of seconds 1..${MAX_SESSION_LIFETIME}` });
  }
  return { maxEntries, lifetime };
}

/** True while `s` may still be resumed at `now` (milliseconds). A clock that went backwards expires it too. */
export function sessionFresh(s: Pick<ServerSession12, 'createdAt'>, lifetimeSeconds: number, now: number): boolean {
  const age = now - s.createdAt;
  return age >= 0 && age < lifetimeSeconds * 1000;
}

function idKey(id: Uint8Array): string {
  let s = '';
  for (const b of id) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * The server's TLS 1.2 session cache, by session ID (RFC 5246 §7.4.1.2): bounded (the oldest
 * entry goes when a new one would exceed `maxEntries`) and expiring (an entry older than
 * `lifetime` seconds is never returned, and is dropped when seen). Session IDs travel in
 * the clear: they are lookup keys, not secrets.
 */
export class SessionCache12 {
  /** Sessions kept at most. */
  readonly maxEntries: number;
  /** Seconds a session may be resumed. */
  readonly lifetime: number;
  readonly #entries = new Map<string, ServerSession12>();

  /** @throws TlsError('InvalidConfig') for bad options (see {@link resolveSessionCache12Options}) */
  constructor(options?: SessionCache12Options) {
    const o = resolveSessionCache12Options(options);
    this.maxEntries = o.maxEntries;
    this.lifetime = o.lifetime;
  }

  /** Sessions held now (expired ones included until they are seen or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Remembers `session` under `id` (1..32 bytes), evicting the oldest entries beyond
   * `maxEntries`. Sessions without the extended master secret, and oversized ones, are not
   * kept (returns false).
   */
  put(id: Uint8Array, session: ServerSession12): boolean {
    if (this.maxEntries === 0 || id.length === 0 || id.length > 32) return false;
    if (!session.extendedMasterSecret) return false;
    if (session.clientCertificates.reduce((n, c) => n + c.length, 0) > MAX_CACHED_SESSION_BYTES) return false;
    const key = idKey(id);
    this.#entries.delete(key);
    this.#entries.set(key, Object.freeze({ ...session, master: copyBytes(session.master), clientCertificates: Object.freeze([...session.clientCertificates]) }));
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    return true;
  }

  /** The session under `id` if it is still fresh at `now` (milliseconds); an expired one is dropped. */
  get(id: Uint8Array, now: number): ServerSession12 | undefined {
    if (id.length === 0 || id.length > 32) return undefined;
    const key = idKey(id);
    const s = this.#entries.get(key);
    if (s === undefined) return undefined;
    if (!sessionFresh(s, this.lifetime, now)) {
      this.#entries.delete(key);
      return undefined;
    }
    return s;
  }

  /** Forgets the session under `id` (e.g. after a fatal alert on a connection that used it, RFC 5246 §7.2.2). */
  delete(id: Uint8Array): void {
    this.#entries.delete(idKey(id));
  }

  /** Forgets every session. */
  clear(): void {
    this.#entries.clear();
  }
}

/** First byte of the encoding below: 0x12 (TLS 1.2), so that a TLS 1.3 ticket (0x13) sealed under the same keys is never read as one. */
const STATE_FORMAT = 0x12;
const TLS12 = 0x0303;
const CERT_ERROR_CODES: readonly CertificateErrorCode[] = [
  'Untrusted', 'Expired', 'NotYetValid', 'InvalidName', 'IncompleteChain', 'WrongUsage', 'RevocationInformationMissing', 'RevocationFailure',
  'InvalidSignature', 'Revoked', 'BasicConstraintsError', 'UnknownCriticalExtension', 'InvalidCertificateAuthorityPolicy', 'OtherErrors',
];
const SEVERITIES: readonly CertificateErrorSeverity[] = ['none', 'ignorable', 'fatal'];

/**
 * The session state as bytes: what a RFC 5077 ticket seals (§4). Layout: format(1),
 * version(2), suite(2), ems(1), created_at ms (two uint32), master<48>, server_name<0..255>,
 * client certificates <0..2^24-1> of <1..2^24-1>, severity(1), errors<0..2^16-1> of
 * { code(1), index (uint16 + 1), detail<0..255> }.
 */
export function encodeServerSession12(s: ServerSession12): Uint8Array {
  const w = new Writer(128);
  w.u8(STATE_FORMAT).u16(TLS12).u16(s.suite).u8(s.extendedMasterSecret ? 1 : 0);
  w.u32(Math.floor(s.createdAt / 0x100000000)).u32(s.createdAt % 0x100000000);
  if (s.master.length !== 48) throw new TlsError('InternalError', { detail: 'a TLS 1.2 master secret is 48 bytes' });
  w.bytes(s.master);
  const name = new TextEncoder().encode(s.serverName ?? '');
  w.vec8((x) => x.bytes(name.subarray(0, 255)));
  w.vec24((x) => {
    for (const c of s.clientCertificates) x.vec24((y) => y.bytes(c));
  });
  w.u8(SEVERITIES.indexOf(s.certificateErrorSeverity));
  w.vec16((x) => {
    for (const e of s.certificateErrors.slice(0, 64)) {
      const detail = new TextEncoder().encode(e.detail).subarray(0, 200);
      x.u8(Math.max(0, CERT_ERROR_CODES.indexOf(e.code))).u16(Math.min(0xffff, e.index + 1)).vec8((y) => y.bytes(detail));
    }
  });
  return w.finish();
}

/**
 * Reads {@link encodeServerSession12}'s bytes. Returns null for anything it does not
 * recognise (another format or version, a truncated or padded body): the caller then does
 * a full handshake, since an unreadable ticket is not an attack on the connection
 * (RFC 5077 §3.4: "If the server cannot or does not want to honor the ticket, then it can
 * initiate a full handshake").
 */
export function decodeServerSession12(b: Uint8Array): ServerSession12 | null {
  try {
    const r = new Reader(b, 'session state');
    if (r.u8() !== STATE_FORMAT || r.u16() !== TLS12) return null;
    const suite = r.u16();
    const ems = r.u8();
    if (ems > 1) return null;
    const createdAt = r.u32() * 0x100000000 + r.u32();
    const master = copyBytes(r.bytesN(48));
    const nameBytes = r.vec8Bytes();
    const serverName = nameBytes.length > 0 ? new TextDecoder('utf-8', { fatal: true }).decode(nameBytes) : undefined;
    const certs = r.vec24();
    const clientCertificates: Uint8Array[] = [];
    while (certs.left > 0) clientCertificates.push(copyBytes(certs.vec24Bytes('certificate', 1)));
    const severity = SEVERITIES[r.u8()];
    if (severity === undefined) return null;
    const errs = r.vec16();
    const certificateErrors: CertificateError[] = [];
    while (errs.left > 0) {
      const code = CERT_ERROR_CODES[errs.u8()];
      const index = errs.u16() - 1;
      const detail = new TextDecoder().decode(errs.vec8Bytes());
      if (code === undefined) return null;
      certificateErrors.push(Object.freeze({ code, index, detail }));
    }
    r.end();
    return { suite, master, extendedMasterSecret: ems === 1, serverName, clientCertificates, certificateErrors, certificateErrorSeverity: severity, createdAt };
  } catch (e) {
    if (e instanceof TlsError) return null;
    if (e instanceof TypeError) return null; // TextDecoder fatal: not UTF-8
    throw e;
  }
}
