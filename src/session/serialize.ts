/**
 * A client session as bytes (issue 10 item 5): what Node's `'session'` event hands out and its
 * `session` option takes back, versioned and authenticated.
 *
 * A session holds its resumption secret (the TLS 1.3 PSK, the TLS 1.2 master secret): whoever
 * has one can resume as the client, and a forged one would make the client trust whatever
 * certificate verdict it claims (a resumed connection reports the first connection's
 * certificate and errors, RFC 9846 §2.2). So a blob is sealed with AES-256-GCM (NIST SP
 * 800-38D) under a **session key**: the contents stay secret, and a blob that was altered,
 * made under another key, truncated, of another format version or simply foreign is refused
 * with `SessionRejected`, never read.
 *
 * Which key: by default one random 32-byte key per process ({@link processSessionKey}). Blobs
 * then work within the process that made them (Node's `https.Agent` keeps them in memory,
 * the common case), and cannot be read by anyone else, but are refused after a restart. A
 * caller who keeps sessions on disk or shares them between processes passes its own key
 * (`sessionKey`), kept as secret as the sessions themselves. A fixed key built into the
 * library would authenticate nothing (anyone could forge a blob), hence none.
 *
 * Layout (version 1): `"PTS" ‖ 0x01 ‖ nonce(12) ‖ AES-256-GCM(key, nonce, aad = the first four
 * bytes, JSON of the session with byte strings as base64) ‖ tag(16)`. The session's own
 * `version` field ('TLSv1.3', 'TLSv1.2') selects the shape checked when it is read back.
 *
 * @module
 */
import { gcm } from '@noble/ciphers/aes.js';
import { TlsError } from '../base/errors.js';
import { base64Decode, base64Encode } from '../crypto/pem.js';
import type { RandomSource } from '../crypto/provider.js';
import { defaultRandom } from '../crypto/noble.js';
import type { ResumableSession } from './session.js';

/** The format version this code writes (and the only one it reads). */
export const SESSION_BLOB_VERSION = 1;
/** Length of a session key (AES-256). */
export const SESSION_KEY_LENGTH = 32;
/** Largest blob read (a session with a long certificate chain is a few KiB). */
export const MAX_SESSION_BLOB = 64 * 1024;

const MAGIC = [0x50, 0x54, 0x53]; // "PTS"
const HEADER = 4;
const NONCE = 12;
const TAG = 16;

let processKey: Uint8Array | undefined;

/**
 * This process's session key: 32 random bytes made on first use, never exported. Blobs
 * sealed under it are refused by any other process (and after a restart).
 */
export function processSessionKey(): Uint8Array {
  return (processKey ??= defaultRandom(SESSION_KEY_LENGTH));
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== SESSION_KEY_LENGTH) {
    throw new TlsError('InvalidConfig', { detail: `sessionKey must be ${SESSION_KEY_LENGTH} bytes` });
  }
}

/** JSON with byte strings as `{ "$b": base64 }`. */
function toJson(session: ResumableSession): string {
  // The holder's own value, not `v`: JSON.stringify applies a Buffer's toJSON() before the
  // replacer sees it (certificates that came through Node sockets are Buffers).
  return JSON.stringify(session, function (this: Record<string, unknown>, k: string, v: unknown) {
    const own = this[k];
    return own instanceof Uint8Array ? { $b: base64Encode(own) } : v;
  });
}

function fromJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$b' && typeof (v as { $b: unknown }).$b === 'string') return base64Decode((v as { $b: string }).$b, 'SessionRejected');
    }
    return v;
  });
}

/**
 * Seals `session` into a blob under `key` (default: {@link processSessionKey}).
 *
 * @param session - a session from the engine (the `'session'` event, a store)
 * @param key - 32 bytes; the same key must read it back
 * @param random - nonce source (default: `crypto.getRandomValues`)
 * @returns the blob (secret: it holds the session's resumption secret)
 * @throws TlsError('InvalidConfig') for a key that is not 32 bytes
 * @example
 * ```ts
 * const blob = serializeSession(session, key);
 * const again = deserializeSession(blob, key); // same session
 * ```
 */
export function serializeSession(session: ResumableSession, key: Uint8Array = processSessionKey(), random: RandomSource = defaultRandom): Uint8Array {
  checkKey(key);
  const header = Uint8Array.of(...MAGIC, SESSION_BLOB_VERSION);
  const nonce = random(NONCE);
  const plain = new TextEncoder().encode(toJson(session));
  const sealed = gcm(key, nonce, header).encrypt(plain);
  plain.fill(0);
  const out = new Uint8Array(HEADER + NONCE + sealed.length);
  out.set(header, 0);
  out.set(nonce, HEADER);
  out.set(sealed, HEADER + NONCE);
  return out;
}

function rejected(detail: string): TlsError {
  return new TlsError('SessionRejected', { detail });
}

/**
 * Opens a blob made by {@link serializeSession} under the same key, and checks the session's
 * shape.
 *
 * @returns the session (its secrets are fresh copies)
 * @throws TlsError('SessionRejected') for anything else: another format or version, a blob
 *   sealed under another key, altered or truncated, or contents that are not a session
 * @throws TlsError('InvalidConfig') for a key that is not 32 bytes
 */
export function deserializeSession(blob: Uint8Array, key: Uint8Array = processSessionKey()): ResumableSession {
  checkKey(key);
  if (!(blob instanceof Uint8Array)) throw rejected('a session must be bytes');
  if (blob.length > MAX_SESSION_BLOB) throw rejected('too large');
  if (blob.length < HEADER + NONCE + TAG || blob[0] !== MAGIC[0] || blob[1] !== MAGIC[1] || blob[2] !== MAGIC[2]) throw rejected('not a puretls session');
  if (blob[3] !== SESSION_BLOB_VERSION) throw rejected(`format version ${blob[3]} is not ${SESSION_BLOB_VERSION}`);
  let plain: Uint8Array;
  try {
    plain = gcm(key, blob.subarray(HEADER, HEADER + NONCE), blob.subarray(0, HEADER)).decrypt(blob.subarray(HEADER + NONCE));
  } catch {
    // Altered, truncated, or sealed under another key: indistinguishable, and all refused.
    throw rejected('authentication failed (altered, or made under another session key)');
  }
  let value: unknown;
  try {
    value = fromJson(new TextDecoder('utf-8', { fatal: true }).decode(plain));
  } catch {
    throw rejected('unreadable contents');
  } finally {
    plain.fill(0);
  }
  return checkSession(value);
}

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
const isInt = (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
const isStr = (v: unknown): v is string => typeof v === 'string';

/** The shape of a session of a known version; anything else is refused. */
function checkSession(v: unknown): ResumableSession {
  if (typeof v !== 'object' || v === null) throw rejected('not a session');
  const s = v as Record<string, unknown>;
  const checks: [string, boolean][] = [
    ['serverName', isStr(s.serverName)],
    ['storeKey', isStr(s.storeKey)],
    ['cipherSuite', isInt(s.cipherSuite, 0xffff)],
    ['alpn', s.alpn === null || isStr(s.alpn)],
    ['receivedAt', isInt(s.receivedAt)],
    ['expiresAt', isInt(s.expiresAt)],
    ['peerCertificates', Array.isArray(s.peerCertificates) && s.peerCertificates.every(isBytes)],
    [
      'certificateErrors',
      Array.isArray(s.certificateErrors) &&
        s.certificateErrors.every((e: unknown) => typeof e === 'object' && e !== null && isStr((e as { code?: unknown }).code) && typeof (e as { index?: unknown }).index === 'number' && isStr((e as { detail?: unknown }).detail)),
    ],
    ['certificateErrorSeverity', s.certificateErrorSeverity === 'none' || s.certificateErrorSeverity === 'ignorable' || s.certificateErrorSeverity === 'fatal'],
    ['signatureScheme', s.signatureScheme === null || isStr(s.signatureScheme)],
  ];
  const bad = checks.find(([, ok]) => !ok);
  // The field's name only: never its value (sessions are secret).
  if (bad) throw rejected(`not a session (${bad[0]})`);
  switch (s.version) {
    case 'TLSv1.3':
      if (!(isBytes(s.psk) && s.psk.length >= 32 && isBytes(s.ticket) && s.ticket.length > 0 && isInt(s.lifetime) && isInt(s.ageAdd, 0xffffffff) && isInt(s.maxEarlyData, 0xffffffff))) {
        throw rejected('not a TLS 1.3 session');
      }
      return Object.freeze(s) as unknown as ResumableSession;
    case 'TLSv1.2':
      // The TLS 1.2 variant (src/session/session.ts, issue 10 item 2): master secret, EMS, session ID and/or ticket.
      if (!(isBytes(s.masterSecret) && s.masterSecret.length === 48 && s.extendedMasterSecret === true && isBytes(s.sessionId) && s.sessionId.length <= 32 && isBytes(s.ticket) && isInt(s.lifetime))) {
        throw rejected('not a TLS 1.2 session');
      }
      return Object.freeze(s) as unknown as ResumableSession;
    default:
      // A version this build does not resume (a TLS 1.2 session before TLS 1.2 resumption, or a newer one).
      throw rejected(`sessions of version ${String(s.version)} are not supported`);
  }
}
