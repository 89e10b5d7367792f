/**
 * Bytes → records (RFC 9846 §5.1; RFC 5246 §6.2), with bounded memory.
 *
 * ## Back-pressure contract (BearSSL style)
 *
 * The deframer holds at most one maximal record: {@link Deframer.capacity} =
 * 5 + the fragment limit (2^14 + 256 for TLS 1.3 by default, 2^14 + 2048 for TLS 1.2).
 * {@link Deframer.push} copies in only what fits and returns how many bytes it took;
 * the caller keeps the rest and offers it again after draining complete records with
 * {@link Deframer.next}. Once every complete record has been taken, at least one byte
 * always fits, so a caller that alternates `push` and `next` always makes progress:
 *
 * ```ts
 * let off = 0;
 * while (off < chunk.length) {
 *   off += deframer.push(chunk.subarray(off));
 *   for (let rec; (rec = deframer.next()) !== null; ) handle(rec);
 * }
 * ```
 *
 * ## Memory grows with what arrives
 *
 * Nothing is allocated until the first byte arrives, and the buffer grows with the bytes
 * actually received (doubling, from 512 bytes, up to {@link Deframer.capacity}), never with
 * what a record header announces: a peer that sends 11 bytes costs about 512 bytes, not a
 * maximal record. A drained buffer is dropped, so an idle connection holds none. With
 * {@link Deframer.setPooling} (a native-AEAD reader), a record split across chunks of
 * which at least 2 KiB have arrived is reassembled in a buffer from the record pool, sized
 * for the whole record at once (a pooled buffer is 16 KiB whatever part of it is used).
 *
 * ## Copies and views
 *
 * Input is copied once, into an internal buffer. A record's fragment is returned as a
 * view of that buffer; the deframer never writes over bytes it has accepted (when the
 * buffer is full it moves the partial record to a fresh, larger buffer), so returned
 * fragments stay valid for as long as the caller keeps them. Buffers double, so many
 * small pushes (even a 16 KiB record in 1-byte pushes) cost O(n) copying in all; when
 * the header of a record that starts a push is in, the buffer may grow to that record's
 * size at once, but never beyond twice what has arrived.
 *
 * ## Transferred input: no copy
 *
 * `push(bytes, true)` transfers `bytes` to the deframer: the caller gives them up (it must
 * neither change nor read them afterwards; a socket's freshly read chunk is the case).
 * When nothing is buffered and `bytes` starts with a complete record, that one record is
 * taken without a copy: its fragment, returned by {@link Deframer.next}, is a view of the
 * caller's bytes, and the record layer may decrypt it where it lies. Anything else (a
 * partial record, the rest of a buffered record) is copied as without the flag, and a
 * push that completes a buffered record takes no more than that record, so the next
 * push starts on a record boundary. Without the flag, nothing returned ever aliases the
 * caller's bytes, which it may reuse at once.
 *
 * ## Checks (each as soon as the 5 header bytes are in, before the body is buffered)
 *
 * - content type not one of 20..23 → `UnexpectedMessage` (RFC 9846 §5).
 * - version major byte not 3 → `DecodeError` (not a TLS record header at all); once
 *   {@link Deframer.expectVersion} has been called, any other version →
 *   `ProtocolVersion` (as Go's crypto/tls does).
 * - length above the fragment limit → `RecordOverflow` (RFC 9846 §5.1, §5.2; RFC 5246 §6.2.3).
 * - zero length for change_cipher_spec, alert or handshake → `UnexpectedMessage`
 *   (RFC 9846 §5.1: "Implementations MUST NOT send zero-length fragments of Handshake
 *   types"; §5.4 prescribes unexpected_message for empty handshake/alert content).
 *   No valid record of these outer types is ever empty, protected or not (a TLS 1.2
 *   protected record carries at least an AEAD tag), so the check is epoch-independent.
 *   Zero-length application_data is left to the protector (it fails to decrypt).
 *
 * A failed check leaves the deframer where it was, so every later `next()` throws the
 * same error.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { ContentType } from '../wire/codes.js';
import { POOL_MIN_RECORD, POOL_VIEW_MAX, isPoolSized, poolRecordBuffer, recycleRecordBuffer } from './pool.js';
import {
  MAX_CIPHERTEXT_LEN_TLS12,
  MAX_CIPHERTEXT_LEN_TLS13,
  RECORD_HEADER_LEN,
  isKnownContentType,
  type TlsRecord,
} from '../wire/record.js';

/** Options for {@link Deframer}. */
export interface DeframerOptions {
  /**
   * Largest record fragment accepted (the record header's length field).
   * Default {@link MAX_CIPHERTEXT_LEN_TLS13} (2^14 + 256); use
   * {@link MAX_CIPHERTEXT_LEN_TLS12} (2^14 + 2048) once TLS 1.2 is negotiated.
   */
  maxFragmentLen?: number;
}

/** Splits a byte stream into records. See the module documentation for the contract. */
export class Deframer {
  private buf: Uint8Array = EMPTY;
  /** Offset of the first byte not yet returned. */
  private start = 0;
  /** Offset just past the last byte accepted. */
  private end = 0;
  private maxFragment: number;
  private requiredVersion: number | null = null;
  /** {@link setPooling}: a record split across chunks is reassembled in a pooled buffer. */
  private pooling = false;
  /** The pooled buffer `buf` is, while it is. */
  private pooled: Uint8Array | null = null;
  /** A pooled buffer whose every record has been returned (see {@link takeDrained}). */
  private drained: Uint8Array | null = null;

  constructor(options: DeframerOptions = {}) {
    this.maxFragment = checkLimit(options.maxFragmentLen ?? MAX_CIPHERTEXT_LEN_TLS13);
  }

  /**
   * Reassemble large records that arrive split across chunks in buffers from the record
   * pool (pool.ts) instead of new ones. Only for a reader whose records are opened into
   * memory of their own and never kept as views (the native AEAD), which hands each
   * drained buffer back ({@link takeDrained}). Turning it off forgets any pooled buffer
   * (it is then an ordinary one, never reused).
   */
  setPooling(on: boolean): void {
    this.pooling = on;
    if (!on) {
      this.pooled = null;
      this.drained = null;
    }
  }

  /**
   * The pooled buffer the last record returned by {@link next} emptied, or null (each once).
   * The caller decides whether nothing still refers to it.
   */
  takeDrained(): Uint8Array | null {
    const d = this.drained;
    this.drained = null;
    return d;
  }

  /** Bytes of buffer currently allocated (for memory accounting and tests). */
  get allocated(): number {
    return this.buf.length;
  }

  /** Largest fragment currently accepted. */
  get maxFragmentLen(): number {
    return this.maxFragment;
  }

  /** Most bytes the deframer will hold: one header plus one maximal fragment. */
  get capacity(): number {
    return RECORD_HEADER_LEN + this.maxFragment;
  }

  /** Bytes accepted but not yet returned as records. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** A copy of the bytes accepted but not yet returned as records (live hand-off). */
  copyBuffered(): Uint8Array {
    return this.buf.slice(this.start, this.end);
  }

  /** How many bytes the next {@link push} would accept. */
  get room(): number {
    return Math.max(0, this.capacity - this.buffered);
  }

  /**
   * True if a whole record (header and fragment) is buffered: {@link next} would return it,
   * or throw for its header, without more input.
   */
  get holdsRecord(): boolean {
    const avail = this.end - this.start;
    if (avail < RECORD_HEADER_LEN) return false;
    return avail >= RECORD_HEADER_LEN + ((this.buf[this.start + 3]! << 8) | this.buf[this.start + 4]!);
  }

  /** Forgets every byte buffered (input that will never be read, see RecordReader.discard). */
  dropAll(): void {
    this.pooled = null;
    this.buf = EMPTY;
    this.start = this.end = 0;
  }

  /** True if nothing is buffered (a clean record boundary: useful to detect truncation at EOF). */
  isEmpty(): boolean {
    return this.end === this.start;
  }

  /**
   * Changes the fragment limit, e.g. to {@link MAX_CIPHERTEXT_LEN_TLS12} once TLS 1.2
   * is negotiated. Applies to every record not returned yet. Lowering it below what is
   * already buffered makes {@link room} 0 until the buffered records are drained.
   *
   * @throws TlsError `InternalError` if `maxFragmentLen` is not in 1..2^16-1.
   */
  setMaxFragmentLen(maxFragmentLen: number): void {
    this.maxFragment = checkLimit(maxFragmentLen);
  }

  /**
   * Requires every later record to carry exactly `version` as legacy_record_version
   * (0x0303 once the peer's hello has been processed: RFC 9846 §5.1, §5.2; RFC 5246
   * Appendix E.1). Until this is called any 0x03xx is accepted, since the initial
   * ClientHello may carry 0x0301 (or other historical values) and RFC 9846 §5.1 says
   * the field "MUST be ignored for all purposes". Pass `null` to go back to lenient.
   */
  expectVersion(version: number | null): void {
    this.requiredVersion = version;
  }

  /**
   * Copies in as many bytes of `bytes` as fit (at most {@link room}) and returns how
   * many were taken; the caller must offer the rest again after draining {@link next}.
   *
   * @param transfer - the caller gives `bytes` up (see "Transferred input" in the module
   * documentation): a complete record at their start, with nothing buffered, is taken
   * as a view instead of a copy, and exactly that record's bytes are taken.
   */
  push(bytes: Uint8Array, transfer = false): number {
    if (transfer && this.end === this.start && bytes.length >= RECORD_HEADER_LEN) {
      const total = RECORD_HEADER_LEN + ((bytes[3]! << 8) | bytes[4]!);
      // A length over the limit goes the copying way: next() then reports it as before.
      if (total <= bytes.length && total <= this.capacity) {
        // `buf` ends exactly at the record, so a later push always relocates (copies)
        // rather than writing into the caller's memory.
        this.buf = total === bytes.length ? bytes : bytes.subarray(0, total);
        this.start = 0;
        this.end = total;
        return total;
      }
    }
    let n = Math.min(bytes.length, this.room);
    if (transfer && n > 0 && this.end > this.start) {
      // Completing a buffered record: take only up to its end, so that the rest of the
      // chunk starts on a record boundary and its whole records go the zero-copy way.
      const rest = this.restOfRecord(bytes);
      if (rest > 0 && rest < n) n = rest;
    }
    if (n === 0) return 0;
    if (this.end + n > this.buf.length) this.relocate(this.buffered + n, this.buffered === 0 ? announced(bytes) : 0);
    this.buf.set(n === bytes.length ? bytes : bytes.subarray(0, n), this.end);
    this.end += n;
    return n;
  }

  /**
   * The next complete record, or null if more bytes are needed. The header is
   * validated as soon as it is complete (see the module documentation).
   *
   * @throws TlsError `UnexpectedMessage`, `DecodeError`, `ProtocolVersion` or `RecordOverflow`.
   */
  next(): TlsRecord | null {
    const avail = this.end - this.start;
    if (avail < RECORD_HEADER_LEN) return null;
    const b = this.buf;
    const s = this.start;
    const type = b[s]!;
    const version = (b[s + 1]! << 8) | b[s + 2]!;
    const length = (b[s + 3]! << 8) | b[s + 4]!;

    // RFC 9846 §5: "If a TLS implementation receives an unexpected record type, it MUST
    // terminate the connection with an unexpected_message alert."
    if (!isKnownContentType(type)) {
      throw new TlsError('UnexpectedMessage', { detail: `record of unknown content type ${type}` });
    }
    // RFC 9846 §5.1: legacy_record_version is 0x0301 or 0x0303 in practice; a major byte
    // other than 3 means the peer is not speaking TLS.
    if (version >>> 8 !== 3) {
      throw new TlsError('DecodeError', { detail: `record version 0x${hex4(version)} is not TLS` });
    }
    // RFC 9846 §5.2 ("The legacy_record_version field is always 0x0303"); RFC 5246 Appendix E.1.
    if (this.requiredVersion !== null && version !== this.requiredVersion) {
      throw new TlsError('ProtocolVersion', {
        detail: `record version 0x${hex4(version)}, expected 0x${hex4(this.requiredVersion)}`,
      });
    }
    // RFC 9846 §5.1 / §5.2: "An endpoint that receives a record that exceeds this length
    // MUST terminate the connection with a record_overflow alert." RFC 5246 §6.2.3 likewise.
    if (length > this.maxFragment) {
      throw new TlsError('RecordOverflow', { detail: `record length ${length} exceeds ${this.maxFragment}` });
    }
    // RFC 9846 §5.1 (no zero-length handshake fragments) and §5.4 (unexpected_message).
    if (length === 0 && type !== ContentType.application_data) {
      throw new TlsError('UnexpectedMessage', { detail: `zero-length record of content type ${type}` });
    }

    if (avail < RECORD_HEADER_LEN + length) return null;
    const from = s + RECORD_HEADER_LEN;
    this.start = from + length;
    const fragment = b.subarray(from, from + length);
    if (this.start === this.end) {
      // Drained: drop the buffer (the fragment keeps what it needs alive), so an idle
      // connection holds nothing and the next record starts small.
      if (this.pooled !== null && this.pooled === this.buf) this.drained = this.pooled;
      this.pooled = null;
      this.buf = EMPTY;
      this.start = this.end = 0;
    }
    return { type, version, fragment };
  }

  /**
   * Bytes still missing from the record the buffer starts with, its header read from the
   * buffer and, where the buffer holds less than a header, from `bytes`; 0 when even
   * that is not a whole header, or when the length is over the limit (next() reports it).
   */
  private restOfRecord(bytes: Uint8Array): number {
    const have = this.end - this.start;
    if (have + bytes.length < RECORD_HEADER_LEN) return 0;
    const at = (i: number): number => (i < have ? this.buf[this.start + i]! : bytes[i - have]!);
    const length = (at(3) << 8) | at(4);
    if (length > this.maxFragment) return 0;
    return RECORD_HEADER_LEN + length - have;
  }

  /**
   * Moves the buffered partial record to the front of a fresh buffer with room for at
   * least `needed` bytes: double the old size (at least 512), capped at the capacity.
   * `record` (0 if unknown): the size of the record the buffer starts with, from its
   * header; the buffer grows to it at once when that is at most twice `needed` (the tail
   * of a chunk holding most of a record then costs one buffer, not two).
   * The old buffer is dropped, not overwritten, so fragments already returned stay valid.
   */
  private relocate(needed: number, record = 0): void {
    let size = Math.min(this.capacity, Math.max(needed, MIN_BUFFER, this.buf.length * 2, Math.min(record, 2 * needed)));
    const old = this.buf;
    let next: Uint8Array;
    if (this.pooling && size >= POOL_MIN_RECORD) {
      // A large record split across chunks goes into a reused buffer (the reader hands it
      // back once the record is opened), sized for the whole record at once: a pooled
      // buffer holds a maximal record whatever view of it is used, so growing it again
      // would only cost a second copy.
      const whole = record > 0 ? record : this.bufferedRecordLength();
      if (whole > size && whole <= this.capacity) size = whole;
      next = size <= POOL_VIEW_MAX ? poolRecordBuffer(size) : new Uint8Array(size);
    } else {
      next = new Uint8Array(size);
    }
    next.set(old.subarray(this.start, this.end));
    // The old buffer, if pooled and no record was returned from it (so nothing refers to
    // it), goes back to the pool; else it is simply dropped.
    if (this.pooled !== null && this.pooled === old && this.start === 0) recycleRecordBuffer(old);
    this.pooled = next.length >= POOL_MIN_RECORD && next.length <= POOL_VIEW_MAX && this.pooling && isPoolSized(next) ? next : null;
    this.end -= this.start;
    this.start = 0;
    this.buf = next;
  }

  /** Header + length of the record the buffer starts with, or 0 if its header is not all there. */
  private bufferedRecordLength(): number {
    const s = this.start;
    return this.end - s >= RECORD_HEADER_LEN ? RECORD_HEADER_LEN + ((this.buf[s + 3]! << 8) | this.buf[s + 4]!) : 0;
  }
}

const EMPTY = new Uint8Array(0);

/** Header + length of the record `bytes` start with, or 0 if its header is not all there. */
function announced(bytes: Uint8Array): number {
  return bytes.length >= RECORD_HEADER_LEN ? RECORD_HEADER_LEN + ((bytes[3]! << 8) | bytes[4]!) : 0;
}
/** Smallest buffer allocated: a typical record header plus a small handshake record. */
const MIN_BUFFER = 512;

function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffff) {
    throw new TlsError('InternalError', { detail: `record fragment limit ${n} out of range` });
  }
  return n;
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}
