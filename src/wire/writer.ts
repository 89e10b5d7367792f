/**
 * Growable writer for TLS structures. Length prefixes are written by
 * `vec8/vec16/vec24(body)`: the body is a callback, so a prefix can never be left
 * unpatched, and an over-long body throws `InternalError` instead of wrapping.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** Appends bytes; `finish()` returns a copy-free view of what was written. */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** Size of the buffer (what the writer holds, written or not). */
  get capacity(): number {
    return this.buf.length;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = (v >>> 24) & 0xff;
    this.buf[this.len++] = (v >>> 16) & 0xff;
    this.buf[this.len++] = (v >>> 8) & 0xff;
    this.buf[this.len++] = v & 0xff;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  private vec(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    const at = this.len;
    this.reserve(lenBytes);
    this.len += lenBytes;
    body(this);
    const n = this.len - at - lenBytes;
    const max = lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff;
    if (n > max) throw new TlsError('InternalError', { detail: `vector of ${n} bytes exceeds ${lenBytes}-byte length` });
    for (let i = lenBytes - 1; i >= 0; i--) this.buf[at + (lenBytes - 1 - i)] = (n >>> (8 * i)) & 0xff;
    return this;
  }

  /** Writes an 8-bit length prefix, then whatever `body` writes. */
  vec8(body: (w: this) => void): this {
    return this.vec(1, body);
  }
  /** Writes a 16-bit length prefix, then whatever `body` writes. */
  vec16(body: (w: this) => void): this {
    return this.vec(2, body);
  }
  /** Writes a 24-bit length prefix, then whatever `body` writes. */
  vec24(body: (w: this) => void): this {
    return this.vec(3, body);
  }

  /** The written bytes (a view of the internal buffer; the writer must not be reused after). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  /**
   * A copy of the written bytes, exactly as long as them, after which the writer starts
   * empty again with the buffer it grew (a scratch writer kept for reuse: no buffer of the
   * initial size is allocated per message). What was written is zeroed in the buffer, so a
   * long-lived scratch writer never holds an earlier message.
   */
  takeCopy(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    this.buf.fill(0, 0, this.len);
    this.len = 0;
    return out;
  }
}

/** Encodes with a fresh writer: `encode(w => encodeAlert(w, a))`. */
export function encode(body: (w: Writer) => void, initial = 256): Uint8Array {
  const w = new Writer(initial);
  body(w);
  return w.finish();
}
