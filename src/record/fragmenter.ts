/**
 * Outgoing data → record-sized fragments (RFC 9846 §5.1: "The record layer fragments
 * information blocks into TLSPlaintext records carrying data in chunks of 2^14 bytes
 * or less"; RFC 5246 §6.2.1).
 *
 * - {@link fragment} splits one byte string (application data, or one big handshake
 *   message) into views of at most `maxLen` bytes: no copies.
 * - {@link packMessages} coalesces several handshake messages into as few records as
 *   possible (RFC 9846 §5.1: "Handshake messages MAY be coalesced into a single
 *   TLSPlaintext record or fragmented across several records"). Every fragment but
 *   the last is full, and the last message ends the last fragment, so a batch always
 *   ends on a record boundary. Callers must therefore pack only messages sent under
 *   the same keys, one batch per key: a message that precedes a key change (ClientHello,
 *   EndOfEarlyData, ServerHello, Finished, KeyUpdate) ends its batch (RFC 9846 §5.1:
 *   "implementations MUST send these messages in alignment with a record boundary").
 *
 * `maxLen` is the content limit per record: 2^14 by default; lower for the peer's
 * record_size_limit (RFC 8449) or to leave room for TLS 1.3 padding.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { MAX_PLAINTEXT_LEN } from '../wire/record.js';

function checkMaxLen(maxLen: number): void {
  if (!Number.isInteger(maxLen) || maxLen < 1 || maxLen > MAX_PLAINTEXT_LEN) {
    throw new TlsError('InternalError', { detail: `fragment size ${maxLen} not in 1..${MAX_PLAINTEXT_LEN}` });
  }
}

/**
 * Splits `data` into consecutive views of at most `maxLen` bytes (the last may be
 * shorter). Empty input gives no fragments: a caller that wants an empty
 * application_data record (RFC 9846 §5.1 allows them) seals one directly.
 *
 * @throws TlsError `InternalError` if `maxLen` is not in 1..2^14.
 */
export function fragment(data: Uint8Array, maxLen = MAX_PLAINTEXT_LEN): Uint8Array[] {
  checkMaxLen(maxLen);
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += maxLen) {
    out.push(data.subarray(off, Math.min(off + maxLen, data.length)));
  }
  return out;
}

/**
 * Packs encoded handshake messages, in order, into ⌈total / maxLen⌉ fragments. A
 * fragment that lies inside a single message is a view of it; one that straddles
 * messages is a fresh buffer, so every byte is copied at most once.
 *
 * @throws TlsError `InternalError` if `maxLen` is not in 1..2^14.
 */
export function packMessages(messages: readonly Uint8Array[], maxLen = MAX_PLAINTEXT_LEN): Uint8Array[] {
  checkMaxLen(maxLen);
  let total = 0;
  for (const m of messages) total += m.length;
  const out: Uint8Array[] = [];
  let mi = 0; // current message
  let mo = 0; // offset inside it
  for (let left = total; left > 0; ) {
    const size = Math.min(maxLen, left);
    left -= size;
    while (messages[mi]!.length === mo) {
      mi++;
      mo = 0;
    }
    const cur = messages[mi]!;
    if (cur.length - mo >= size) {
      out.push(cur.subarray(mo, mo + size));
      mo += size;
      continue;
    }
    const frag = new Uint8Array(size);
    for (let filled = 0; filled < size; ) {
      const m = messages[mi]!;
      const k = Math.min(size - filled, m.length - mo);
      frag.set(m.subarray(mo, mo + k), filled);
      filled += k;
      mo += k;
      if (mo === m.length) {
        mi++;
        mo = 0;
      }
    }
    out.push(frag);
  }
  return out;
}
