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

/** The outcome of {@link clientHelloServerName}. */
export type PeekResult = { readonly done: false } | { readonly done: true; readonly name: string | null };

const NEED_MORE: PeekResult = Object.freeze({ done: false });
const NO_NAME: PeekResult = Object.freeze({ done: true, name: null });

/**
 * Reads the host_name of the server_name extension (RFC 6066 §3) of the ClientHello at the
 * start of `buf` (TLS records, RFC 9846 §5.1; the message may span several records).
 *
 * @param max - the largest ClientHello body worth waiting for; beyond it: no name
 * @returns `{ done: false }` while more bytes are needed, else the name (null when there is
 *   none or the bytes are not a ClientHello)
 */
export function clientHelloServerName(buf: Uint8Array, max: number): PeekResult {
  const hs: Uint8Array[] = [];
  let hsLen = 0;
  let i = 0;
  for (;;) {
    if (hsLen >= 4) {
      const first = concat(hs, hsLen);
      if (first[0] !== 1) return NO_NAME; // not a ClientHello
      const bodyLen = (first[1]! << 16) | (first[2]! << 8) | first[3]!;
      if (bodyLen > max) return NO_NAME;
      if (hsLen >= 4 + bodyLen) return { done: true, name: serverNameOf(first.subarray(4, 4 + bodyLen)) };
    }
    if (i + 5 > buf.length) return NEED_MORE;
    if (buf[i] !== 22) return NO_NAME; // not a handshake record
    const len = (buf[i + 3]! << 8) | buf[i + 4]!;
    if (len === 0 || len > 16384 + 2048) return NO_NAME;
    if (i + 5 + len > buf.length) return NEED_MORE;
    hs.push(buf.subarray(i + 5, i + 5 + len));
    hsLen += len;
    i += 5 + len;
  }
}

function concat(parts: readonly Uint8Array[], n: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
