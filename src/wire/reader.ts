/**
 * Bounds-checked reader over a byte string (the decoding half of RFC 9846 §3,
 * "Presentation Language"). Every read that would pass the end throws a
 * `TlsError('DecodeError')`; sub-readers for length-prefixed vectors cannot read
 * past their own end.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';

/** A cursor over `bytes`; reads return zero-copy views (`subarray`). */
export class Reader {
  private pos = 0;
  /** The bytes being read (a view; do not mutate). */
  readonly bytes: Uint8Array;
  /** What is being decoded, for error details. */
  readonly what: string;

  constructor(bytes: Uint8Array, what = 'message') {
    this.bytes = bytes;
    this.what = what;
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.pos;
  }

  /** Current offset from the start. */
  get offset(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) {
      throw new TlsError('DecodeError', { detail: `${this.what}: truncated (need ${n} bytes, have ${this.left})` });
    }
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.bytes;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.bytes;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const v = ((b[this.pos]! << 24) >>> 0) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** `n` bytes as a zero-copy view. */
  bytesN(n: number): Uint8Array {
    this.need(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** All remaining bytes. */
  rest(): Uint8Array {
    return this.bytesN(this.left);
  }

  private vec(lenBytes: 1 | 2 | 3, min: number, max: number, what: string): Uint8Array {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) {
      throw new TlsError('DecodeError', { detail: `${what}: length ${n} outside [${min}, ${max}]` });
    }
    return this.bytesN(n);
  }

  /** opaque<min..2^8-1> as bytes. */
  vec8Bytes(what = this.what, min = 0, max = 0xff): Uint8Array {
    return this.vec(1, min, max, what);
  }
  /** opaque<min..2^16-1> as bytes. */
  vec16Bytes(what = this.what, min = 0, max = 0xffff): Uint8Array {
    return this.vec(2, min, max, what);
  }
  /** opaque<min..2^24-1> as bytes. */
  vec24Bytes(what = this.what, min = 0, max = 0xffffff): Uint8Array {
    return this.vec(3, min, max, what);
  }
  /** A sub-reader over an 8-bit length-prefixed vector. */
  vec8(what = this.what, min = 0, max = 0xff): Reader {
    return new Reader(this.vec(1, min, max, what), what);
  }
  /** A sub-reader over a 16-bit length-prefixed vector. */
  vec16(what = this.what, min = 0, max = 0xffff): Reader {
    return new Reader(this.vec(2, min, max, what), what);
  }
  /** A sub-reader over a 24-bit length-prefixed vector. */
  vec24(what = this.what, min = 0, max = 0xffffff): Reader {
    return new Reader(this.vec(3, min, max, what), what);
  }

  /**
   * Reads a length-prefixed list of items; the items must fill the vector exactly.
   * `bounds` limit the byte length of the vector (not the item count).
   */
  list<T>(lenBytes: 1 | 2 | 3, item: (r: Reader) => T, what = this.what, min = 0, max?: number): T[] {
    const lim = max ?? (lenBytes === 1 ? 0xff : lenBytes === 2 ? 0xffff : 0xffffff);
    const sub = new Reader(this.vec(lenBytes, min, lim, what), what);
    const out: T[] = [];
    while (sub.left > 0) out.push(item(sub));
    return out;
  }

  /** Throws DecodeError unless everything has been read (RFC 9846 §4: trailing data is a decode_error). */
  end(what = this.what): void {
    if (this.left !== 0) {
      throw new TlsError('DecodeError', { detail: `${what}: ${this.left} trailing bytes` });
    }
  }
}
