/**
 * Handshake message reassembly across records (RFC 9846 §5.1, §4; RFC 5246 §6.2.1).
 *
 * Handshake messages (type(1) ‖ length(3) ‖ body) may be coalesced into one record or
 * split over several. The joiner takes the content of each handshake record with
 * {@link Joiner.push} and hands back whole messages with {@link Joiner.next}.
 *
 * - A message inside one pushed fragment is returned as a view of it (no copy).
 * - A message spanning fragments is copied into a buffer that grows with the bytes
 *   actually received (doubling, capped at the announced size), never with what the
 *   header announces: a header claiming 64 KiB followed by nothing costs nothing, so
 *   reassembly is O(n) in time and in memory.
 * - The body length is checked against {@link JoinerOptions.maxMessageSize} (or
 *   {@link JoinerOptions.maxClientHelloSize} for a ClientHello) as soon as the header is
 *   complete: a peer cannot make us hold more than one fragment plus one maximal
 *   message. An oversized message is a `DecodeError` (decode_error alert), as rustls
 *   does for its 64 KiB limit; the size is legal on the wire but undecodable by policy.
 * - {@link Joiner.isEmpty} tells the connection whether it is on a record boundary:
 *   RFC 9846 §5.1, "Handshake messages MUST NOT span key changes. Implementations MUST
 *   verify that all messages immediately preceding a key change align with a record
 *   boundary; if not, then they MUST terminate the connection with an
 *   unexpected_message alert." {@link Joiner.checkKeyChange} does exactly that check.
 *
 * Pushed fragments are kept by reference, not copied: the record layer never
 * overwrites the fragments it hands out (deframer fragments and decrypted plaintexts
 * are stable), and callers are expected to drain `next()` after each `push()`.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** Bytes in a handshake message header: msg_type(1) ‖ length(3) (RFC 9846 §4). */
export const HANDSHAKE_HEADER_LEN = 4;

/** Default limit on a handshake message body: 64 KiB. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE = 0x10000;

/** Largest body any handshake message can have: the 24-bit length field's maximum, 2^24-1. */
export const MAX_HANDSHAKE_MESSAGE = 0xffffff;

/** A complete handshake message. */
export interface HandshakeFrame {
  /** msg_type (see `HandshakeType`). */
  readonly type: number;
  /** The body, without the 4-byte header (a view of `raw`). */
  readonly body: Uint8Array;
  /** The whole message, header included, as hashed into the transcript (RFC 9846 §4.1). */
  readonly raw: Uint8Array;
}

/** Options for {@link Joiner}. */
export interface JoinerOptions {
  /**
   * Largest message body accepted, in bytes; default {@link DEFAULT_MAX_HANDSHAKE_MESSAGE}
   * (64 KiB). Raise it for long certificate chains; at most {@link MAX_HANDSHAKE_MESSAGE}.
   */
  maxMessageSize?: number;
  /**
   * Largest ClientHello body accepted (type 1); default: `maxMessageSize`. Post-quantum
   * key shares and many extensions make ClientHellos larger than other messages.
   */
  maxClientHelloSize?: number;
  /**
   * Called with each message's type and announced body length as soon as its 4-byte header
   * is in, before the size check and before anything is buffered for it; throw to refuse
   * (the connection refuses a type its state does not accept: RFC 9846 §4).
   */
  onHeader?: (type: number, bodyLength: number) => void;
  /**
   * `this` for {@link onHeader}: lets an owner pass one of its methods instead of a closure
   * made per joiner (default undefined).
   */
  owner?: object;
}

/** HandshakeType.client_hello (RFC 9846 §4). */
const CLIENT_HELLO = 1;
/** The chunk list of every drained joiner (never written: `push` replaces it). */
const NO_CHUNKS = Object.freeze([]) as unknown as Uint8Array[];
/** Smallest reassembly buffer. */
const MIN_PARTIAL = 1024;

/** Reassembles handshake messages from handshake record contents. */
export class Joiner {
  private readonly maxSize: number;
  private readonly maxClientHello: number;
  private readonly onHeader: ((type: number, bodyLength: number) => void) | undefined;
  private readonly owner: object | undefined;
  /** Fragments pushed and not yet fully consumed; `chunks[0]` is read from `offset`. */
  private chunks: Uint8Array[] = NO_CHUNKS;
  private offset = 0;
  /** Bytes in `chunks` not yet consumed. */
  private queued = 0;
  /**
   * A message being reassembled across fragments (header included): its buffer (which
   * grows as bytes arrive), how much of it is filled, and the message's full length.
   */
  private partial: Uint8Array | null = null;
  private filled = 0;
  private partialTotal = 0;

  /** @throws TlsError `InvalidConfig` if `maxMessageSize` is not in 0..2^24-1. */
  constructor(options: JoinerOptions = {}) {
    const max = options.maxMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE;
    if (!Number.isInteger(max) || max < 0 || max > MAX_HANDSHAKE_MESSAGE) {
      throw new TlsError('InvalidConfig', { detail: `maxHandshakeMessageSize ${max} not in 0..${MAX_HANDSHAKE_MESSAGE}` });
    }
    this.maxSize = max;
    const ch = options.maxClientHelloSize ?? max;
    if (!Number.isInteger(ch) || ch < 0 || ch > MAX_HANDSHAKE_MESSAGE) {
      throw new TlsError('InvalidConfig', { detail: `maxClientHelloSize ${ch} not in 0..${MAX_HANDSHAKE_MESSAGE}` });
    }
    this.maxClientHello = ch;
    this.onHeader = options.onHeader;
    this.owner = options.owner;
  }

  /** The configured body limit. */
  get maxMessageSize(): number {
    return this.maxSize;
  }

  /** Bytes held that have not been returned as messages yet. */
  get buffered(): number {
    return this.queued + this.filled;
  }

  /** True if nothing is held: the last message ended exactly where the last record did. */
  isEmpty(): boolean {
    return this.queued === 0 && this.partial === null;
  }

  /**
   * True if the bytes held do not (yet) form a complete message: {@link next} would
   * return null and the joiner is not empty. Another record type arriving now breaks
   * RFC 9846 §5.1: "if a handshake message is split over two or more records, there
   * MUST NOT be any other records between them."
   */
  hasPartial(): boolean {
    if (this.partial !== null) return true;
    if (this.queued === 0) return false;
    if (this.queued < HANDSHAKE_HEADER_LEN) return true;
    const h = this.peek(HANDSHAKE_HEADER_LEN);
    return this.queued < HANDSHAKE_HEADER_LEN + ((h[1]! << 16) | (h[2]! << 8) | h[3]!);
  }

  /**
   * Throws unless the joiner is empty; call it before installing new read keys (RFC
   * 9846 §5.1). For TLS 1.3 this covers the messages that precede a key change:
   * ClientHello (with early data), EndOfEarlyData, ServerHello, Finished and KeyUpdate.
   *
   * @throws TlsError `UnexpectedMessage`.
   */
  checkKeyChange(what = 'key change'): void {
    if (!this.isEmpty()) {
      throw new TlsError('UnexpectedMessage', {
        detail: `${this.buffered} handshake bytes buffered at ${what}: messages must not span key changes`,
      });
    }
  }

  /**
   * Adds the content of one handshake record. The bytes are kept by reference and must
   * not be modified until the messages in them have been returned.
   *
   * @throws TlsError `UnexpectedMessage` for an empty fragment (RFC 9846 §5.1:
   * "Implementations MUST NOT send zero-length fragments of Handshake types").
   */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      throw new TlsError('UnexpectedMessage', { detail: 'zero-length handshake fragment' });
    }
    if (this.chunks === NO_CHUNKS) this.chunks = [fragment];
    else this.chunks.push(fragment);
    this.queued += fragment.length;
  }

  /**
   * The next complete message, or null if more records are needed.
   *
   * @throws TlsError `DecodeError` if a message's declared body length exceeds the limit.
   */
  next(): HandshakeFrame | null {
    if (this.partial === null) {
      if (this.queued < HANDSHAKE_HEADER_LEN) return null;
      const head = this.chunks[0]!;
      const at = this.offset;
      let type: number;
      let bodyLen: number;
      if (head.length - at >= HANDSHAKE_HEADER_LEN) {
        type = head[at]!;
        bodyLen = (head[at + 1]! << 16) | (head[at + 2]! << 8) | head[at + 3]!;
      } else {
        // The header itself spans fragments: peek at it without consuming.
        const h = this.peek(HANDSHAKE_HEADER_LEN);
        type = h[0]!;
        bodyLen = (h[1]! << 16) | (h[2]! << 8) | h[3]!;
      }
      this.checkSize(type, bodyLen);
      const total = HANDSHAKE_HEADER_LEN + bodyLen;
      if (head.length - at >= total) {
        // Fast path: the whole message is inside the first fragment.
        const raw = head.subarray(at, at + total);
        this.consume(total);
        return frame(raw);
      }
      // Sized by what is here now, not by what the header announces (it grows below).
      this.partial = new Uint8Array(Math.min(total, Math.max(MIN_PARTIAL, this.queued)));
      this.partialTotal = total;
      this.filled = 0;
    }

    for (;;) {
      let p: Uint8Array = this.partial;
      if (this.filled === p.length && p.length < this.partialTotal && this.queued > 0) {
        // Grow with the bytes actually received: double, capped at the message's length.
        const bigger = new Uint8Array(Math.min(this.partialTotal, Math.max(p.length * 2, this.filled + this.queued)));
        bigger.set(p);
        this.partial = p = bigger;
      }
      const got = this.take(p.subarray(this.filled));
      this.filled += got;
      if (this.filled === this.partialTotal) break;
      if (got === 0 && this.queued === 0) return null;
    }
    const whole: Uint8Array = this.partial;
    this.partial = null;
    this.filled = 0;
    this.partialTotal = 0;
    return frame(whole);
  }

  private checkSize(type: number, bodyLen: number): void {
    this.onHeader?.call(this.owner, type, bodyLen);
    const limit = type === CLIENT_HELLO ? this.maxClientHello : this.maxSize;
    if (bodyLen > limit) {
      throw new TlsError('DecodeError', {
        detail: `handshake message of ${bodyLen} bytes exceeds the limit of ${limit}`,
      });
    }
  }

  /** Bytes allocated for a message being reassembled (for memory accounting and tests). */
  get allocated(): number {
    return this.partial?.length ?? 0;
  }

  /** Copies the first `n` queued bytes (n ≤ queued) without consuming them. */
  private peek(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let got = 0;
    let off = this.offset;
    for (let i = 0; got < n; i++) {
      const c = this.chunks[i]!;
      const k = Math.min(n - got, c.length - off);
      out.set(c.subarray(off, off + k), got);
      got += k;
      off = 0;
    }
    return out;
  }

  /** Moves up to `dst.length` queued bytes into `dst`; returns how many. */
  private take(dst: Uint8Array): number {
    let got = 0;
    while (got < dst.length && this.chunks.length > 0) {
      const c = this.chunks[0]!;
      const k = Math.min(dst.length - got, c.length - this.offset);
      dst.set(c.subarray(this.offset, this.offset + k), got);
      got += k;
      this.consume(k);
    }
    return got;
  }

  /** Drops `n` bytes from the front of the first chunk (n ≤ what it has left). */
  private consume(n: number): void {
    this.offset += n;
    this.queued -= n;
    if (this.offset === this.chunks[0]!.length) {
      this.chunks.shift();
      this.offset = 0;
      // Drained: a fresh empty array, so an idle connection does not keep the grown one.
      if (this.chunks.length === 0) this.chunks = NO_CHUNKS;
    }
  }
}

function frame(raw: Uint8Array): HandshakeFrame {
  return { type: raw[0]!, body: raw.subarray(HANDSHAKE_HEADER_LEN), raw };
}
