/**
 * The server name of a ClientHello, read from the first bytes a client sends, before any
 * TLS connection exists: how `puretls/node` servers run Node's `SNICallback` and
 * `addContext` (issue 11 item 3), which choose the whole server configuration by name.
 *
 * Only a peek: nothing here accepts or refuses anything. Any byte sequence that is not a
 * well-formed ClientHello with a server_name gives "no name", and the bytes then go to the
 * engine, which reports the problem with the right alert (RFC 9846 §4.1.2, RFC 6066 §3).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** The outcome of {@link clientHelloServerName}. */
export type PeekResult = { readonly done: false } | { readonly done: true; readonly name: string | null };

const NEED_MORE: PeekResult = Object.freeze({ done: false });
const NO_NAME: PeekResult = Object.freeze({ done: true, name: null });

/**
 * Reads the host_name of the server_name extension (RFC 6066 §3) of the ClientHello at the
 * start of `buf` (TLS records, RFC 9846 §5.1; the message may span several records).
 * One pass over `buf` (a {@link ClientHelloPeek} fed once).
 *
 * @param max - the largest ClientHello body worth waiting for; beyond it: no name
 * @returns `{ done: false }` while more bytes are needed, else the name (null when there is
 *   none or the bytes are not a ClientHello)
 */
export function clientHelloServerName(buf: Uint8Array, max: number): PeekResult {
  return new ClientHelloPeek(max).push(buf);
}

/** Largest TLSPlaintext fragment worth reading (RFC 9846 §5.1: 2^14, plus a margin for TLS 1.2 peers). */
const MAX_FRAGMENT = 16384 + 2048;

/**
 * The ClientHello peek fed as the bytes arrive: each byte is looked at once, whatever the
 * fragmentation. RFC 9846 §5.1 lets a client split its ClientHello into records of one byte
 * each, and TCP lets it send them one segment at a time: re-reading (or re-joining) what came
 * before on every arrival made a 190 KiB hello of one-byte records block the event loop for
 * seconds to minutes (quadratic). Memory: one record header and the handshake bytes so far
 * (at most `max` + 4, grown as they arrive, not as announced).
 */
export class ClientHelloPeek {
  readonly #max: number;
  /** The current record's header while it is incomplete. */
  readonly #header = new Uint8Array(5);
  #headerLen = 0;
  /** Bytes of the current record's fragment still to come (0: reading a header). */
  #fragmentLeft = 0;
  /** The handshake bytes so far (the ClientHello message, header included). */
  #hs = new Uint8Array(0);
  #hsLen = 0;
  /** The ClientHello body length, once its header is in (-1 before). */
  #bodyLen = -1;
  #result: PeekResult = NEED_MORE;

  /** @param max - the largest ClientHello body worth waiting for; beyond it: no name */
  constructor(max: number) {
    this.#max = max;
  }

  /** Takes the next bytes the client sent; returns the answer so far (final once `done`). */
  push(chunk: Uint8Array): PeekResult {
    let i = 0;
    while (!this.#result.done && i < chunk.length) {
      if (this.#fragmentLeft === 0) {
        // A record header (RFC 9846 §5.1): type(1) legacy_version(2) length(2).
        const n = Math.min(5 - this.#headerLen, chunk.length - i);
        this.#header.set(chunk.subarray(i, i + n), this.#headerLen);
        this.#headerLen += n;
        i += n;
        if (this.#headerLen < 5) break;
        this.#headerLen = 0;
        const len = (this.#header[3]! << 8) | this.#header[4]!;
        // Not a handshake record, or an empty or oversized one: no name (the engine reports it).
        if (this.#header[0] !== 22 || len === 0 || len > MAX_FRAGMENT) this.#result = NO_NAME;
        else this.#fragmentLeft = len;
        continue;
      }
      const n = Math.min(this.#fragmentLeft, chunk.length - i);
      this.#fragmentLeft -= n;
      this.#take(chunk.subarray(i, i + n));
      i += n;
    }
    return this.#result;
  }

  /** Appends handshake bytes; decides once the message header, then the whole message, is in. */
  #take(bytes: Uint8Array): void {
    while (!this.#result.done && bytes.length > 0) {
      // Never more than the message (or its header while the length is unknown).
      const want = this.#bodyLen < 0 ? 4 - this.#hsLen : 4 + this.#bodyLen - this.#hsLen;
      const part = bytes.subarray(0, want);
      bytes = bytes.subarray(part.length);
      const need = this.#hsLen + part.length;
      if (need > this.#hs.length) {
        // Doubling, capped at the message's size once known: O(n) copies in all.
        const cap = this.#bodyLen < 0 ? 4 : 4 + this.#bodyLen;
        const grown = new Uint8Array(Math.min(cap, Math.max(need, 2 * this.#hs.length, 256)));
        grown.set(this.#hs.subarray(0, this.#hsLen));
        this.#hs = grown;
      }
      this.#hs.set(part, this.#hsLen);
      this.#hsLen = need;
      if (this.#bodyLen < 0) {
        if (this.#hsLen < 4) continue;
        if (this.#hs[0] !== 1) this.#result = NO_NAME; // not a ClientHello
        const bodyLen = (this.#hs[1]! << 16) | (this.#hs[2]! << 8) | this.#hs[3]!;
        if (bodyLen > this.#max) this.#result = NO_NAME;
        this.#bodyLen = bodyLen;
      }
      if (!this.#result.done && this.#hsLen === 4 + this.#bodyLen) {
        this.#result = { done: true, name: serverNameOf(this.#hs.subarray(4, this.#hsLen)) };
      }
    }
    if (this.#result.done) this.#hs = new Uint8Array(0);
  }
}

/** The host_name in a ClientHello body (RFC 9846 §4.1.2 layout), or null. */
function serverNameOf(b: Uint8Array): string | null {
  const u16 = (at: number): number => (b[at]! << 8) | b[at + 1]!;
  let p = 2 + 32; // legacy_version, random
  if (p >= b.length) return null;
  p += 1 + b[p]!; // legacy_session_id
  if (p + 2 > b.length) return null;
  p += 2 + u16(p); // cipher_suites
  if (p >= b.length) return null;
  p += 1 + b[p]!; // legacy_compression_methods
  if (p + 2 > b.length) return null;
  const end = p + 2 + u16(p);
  if (end > b.length) return null;
  p += 2;
  while (p + 4 <= end) {
    const type = u16(p);
    const len = u16(p + 2);
    const body = p + 4;
    if (body + len > end) return null;
    if (type === 0) {
      // ServerNameList: u16 length, then (name_type u8, host_name u16-prefixed)...
      if (len < 2 || u16(body) + 2 !== len) return null;
      let q = body + 2;
      while (q + 3 <= body + len) {
        const nameType = b[q]!;
        const n = u16(q + 1);
        if (q + 3 + n > body + len) return null;
        if (nameType === 0) {
          let s = '';
          for (let k = q + 3; k < q + 3 + n; k++) {
            const c = b[k]!;
            if (c <= 0x20 || c >= 0x7f) return null; // host names are ASCII (RFC 6066 §3)
            s += String.fromCharCode(c);
          }
          return s === '' ? null : s;
        }
        q += 3 + n;
      }
      return null;
    }
    p = body + len;
  }
  return null;
}

/**
 * The pattern of a name given to `server.addContext(hostname, ...)`, as Node builds it: `*`
 * matches one label or part of one (no dot), everything else literally, case-insensitive.
 */
export function contextPattern(hostname: string): RegExp {
  const escaped = hostname.replace(/[.^$+?\-\\[\]{}()|]/g, '\\$&').replace(/\*/g, '[^.]*');
  return new RegExp(`^${escaped}$`, 'i');
}

/** The raw socket as {@link withinHandshakeTime} watches it. */
export interface WatchedSocket {
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  off(event: 'error', listener: (e: Error) => void): unknown;
}

/**
 * `work` (the server's choice of a config for a ClientHello: an `SNICallback`'s answer), bounded
 * by what is left of the handshake timeout: `ms` milliseconds (null: no timeout; 0 or less:
 * already over). As with node:tls, whose handshake timeout runs while its SNICallback is
 * pending: a callback that never answers must not hold the connection forever (F2 of the
 * fourth campaign: it did, past any timeout, and `server.close()` never completed).
 *
 * The socket has no other listener meanwhile: its 'error' (a client's reset) is taken here,
 * or it would be an uncaught exception that ends the process (F10 of the fourth campaign).
 *
 * @throws TlsError('TimedOut') when the time is up first; TlsError('Truncated') when the
 *   socket closes first; `mapError(e)` for its error. A late answer is then ignored.
 */
export function withinHandshakeTime<T>(work: Promise<T>, socket: WatchedSocket, ms: number | null, mapError: (e: Error) => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onClose = (): void => {
      done();
      reject(new TlsError('Truncated', { detail: 'transport closed during the handshake', source: 'transport' }));
    };
    const onError = (e: Error): void => {
      done();
      reject(mapError(e));
    };
    if (socket.destroyed) return onClose();
    socket.once('close', onClose);
    socket.on('error', onError);
    if (ms !== null) {
      timer = setTimeout(() => {
        done();
        reject(new TlsError('TimedOut', { detail: 'handshake not completed in time (the server name callback did not answer)', source: 'transport' }));
      }, Math.max(0, ms));
      timer.unref?.();
    }
    work.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}
