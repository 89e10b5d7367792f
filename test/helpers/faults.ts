/**
 * The changes to a TLS byte stream that TLS lets pass without an error, for the transport-fault
 * tests (test/load/faults, test/load/adapter-faults, test/props/faults): anything else a
 * receiver is given must make it fail.
 */
import { join, sameBytes } from './bytes.js';

/** The stream without plaintext ChangeCipherSpec records (type 20, the single byte 1), or null if it is not whole records. */
export function withoutCcs(bytes: Uint8Array): Uint8Array | null {
  const keep: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 5) return null;
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (bytes.length - o < 5 + len) return null;
    const rec = bytes.subarray(o, o + 5 + len);
    if (!(rec[0] === 20 && len === 1 && rec[5] === 1)) keep.push(rec);
    o += 5 + len;
  }
  return join(keep);
}

/**
 * Why `delivered` may differ from `sent` with no error at the receiver, or null when it may
 * not: bytes after the sender's close_notify (`senderClosed`: the stream sent ends with one),
 * or, in TLS 1.3, a middlebox-compatibility ChangeCipherSpec dropped or moved (RFC 9846 §E.4).
 */
export function allowedChange(tls13: boolean, sent: Uint8Array, delivered: Uint8Array, senderClosed: boolean): string | null {
  if (senderClosed && delivered.length > sent.length && sameBytes(delivered.subarray(0, sent.length), sent)) return 'bytes after close_notify';
  if (tls13) {
    const a = withoutCcs(sent);
    const b = withoutCcs(delivered);
    if (a && b && sameBytes(a, b)) return 'compatibility ChangeCipherSpec dropped or moved';
  }
  return null;
}
