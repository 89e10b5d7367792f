/**
 * A small, strict DER reader and writer (ITU-T X.690 §8, §10), enough for keys:
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), PKCS#8 (RFC 5958), SEC1 ECPrivateKey
 * (RFC 5915) and PKCS#1 RSA keys (RFC 8017 Appendix A).
 *
 * Strictness: single-byte (low-number) tags only, no end-of-contents element, definite
 * minimal lengths, minimal INTEGER and OID encodings, BIT STRING unused-bit count checked
 * and its padding bits zero (X.690 §11.2.1), wherever it appears. Every read is
 * bounds-checked; any violation throws a {@link TlsError} with the status chosen by the
 * caller (so a bad certificate key and a bad configured key report differently).
 *
 * @module
 */
import { TlsError, type TlsStatus } from '../base/errors.js';
import { concatBytes } from '../base/bytes.js';

/** Universal tags used by the key formats (X.690 §8; X.680 §8.6). */
export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Tag of a context-specific constructed `[n]` (EXPLICIT) element. */
export function contextTag(n: number, constructed = true): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** One decoded TLV. All byte fields are views into the input (no copies). */
export interface DerElement {
  /** The identifier octet. */
  readonly tag: number;
  /** The content octets. */
  readonly value: Uint8Array;
  /** The whole encoding (identifier, length and content). */
  readonly raw: Uint8Array;
}

/** Hard cap on nesting-free content length we accept (1 MiB): far beyond any key. */
const MAX_LENGTH = 1 << 20;
/** Cap on the number of arcs in an OID. */
const MAX_OID_ARCS = 32;
/**
 * Cap on the octets of one OID subidentifier: 32 octets hold 224 bits, room for the
 * 128-bit UUID arcs of `2.25.<uuid>` (ITU-T X.667 §6.3) and anything else seen in use.
 */
const MAX_OID_ARC_OCTETS = 32;

/**
 * A cursor over a run of DER elements. Reads consume elements in order;
 * {@link DerReader.end} checks that nothing is left (no trailing data).
 */
export class DerReader {
  private readonly buf: Uint8Array;
  private pos = 0;
  private readonly status: TlsStatus;
  private readonly what: string;

  /**
   * @param bytes - the encoded elements
   * @param status - status of the {@link TlsError} thrown on malformed input
   * @param what - context for error details (e.g. `'SubjectPublicKeyInfo'`)
   */
  constructor(bytes: Uint8Array, status: TlsStatus = 'DecodeError', what = 'DER') {
    this.buf = bytes;
    this.status = status;
    this.what = what;
  }

  /** Throws the reader's error with `detail`. */
  fail(detail: string): never {
    throw new TlsError(this.status, { detail: `${this.what}: ${detail}` });
  }

  /** True when every byte has been consumed. */
  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The tag of the next element, or -1 at the end. */
  peekTag(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  /** Reads the next element, whatever its tag. X.690 §8.1.2-§8.1.3, §10.1. */
  read(): DerElement {
    const b = this.buf;
    const start = this.pos;
    if (start >= b.length) this.fail('unexpected end of input');
    const tag = b[start]!;
    // X.690 §8.1.2.4: tag numbers ≥ 31 use the high-tag-number form; none occur in keys.
    if ((tag & 0x1f) === 0x1f) this.fail('high tag numbers are not supported');
    // X.690 §8.1.5: the end-of-contents octets (universal tag 0) only close an
    // indefinite-length encoding, which DER forbids (§10.1); X.680 §8.6 reserves the tag.
    if (tag === 0x00) this.fail('end-of-contents element');
    let p = start + 1;
    if (p >= b.length) this.fail('missing length');
    const first = b[p++]!;
    let len: number;
    if (first < 0x80) {
      len = first;
    } else {
      const n = first & 0x7f;
      // X.690 §10.1: definite form only (0x80 is indefinite, BER only).
      if (n === 0) this.fail('indefinite length');
      if (n > 3) this.fail('length too large');
      if (p + n > b.length) this.fail('truncated length');
      // X.690 §10.1: "the definite form of length encoding shall be used, encoded in the
      // minimum number of octets".
      if (b[p] === 0) this.fail('non-minimal length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
      if (len < 0x80) this.fail('non-minimal length');
    }
    if (len > MAX_LENGTH) this.fail('length too large');
    if (p + len > b.length) this.fail('truncated value');
    this.pos = p + len;
    // X.690 §10.2: primitive encoding for strings in DER; a constructed BIT/OCTET STRING is BER.
    if (tag === (DerTag.BIT_STRING | 0x20) || tag === (DerTag.OCTET_STRING | 0x20)) this.fail('constructed string');
    const value = b.subarray(p, p + len);
    if (tag === DerTag.BIT_STRING) this.checkBitString(value);
    return { tag, value, raw: b.subarray(start, p + len) };
  }

  /**
   * Checks the contents of a BIT STRING (universal or implicitly tagged): X.690 §8.6.2.2
   * (the initial octet counts the unused bits, 0-7; an empty string has initial octet 0)
   * and §11.2.1 (DER: "each unused bit in the final octet of the encoding of a bit
   * string value shall be set to zero").
   */
  checkBitString(v: Uint8Array): void {
    if (v.length === 0) this.fail('empty BIT STRING');
    const unused = v[0]!;
    if (unused > 7) this.fail(`BIT STRING with ${unused} unused bits`);
    if (v.length === 1 && unused !== 0) this.fail('empty BIT STRING with unused bits');
    if (unused > 0 && (v[v.length - 1]! & ((1 << unused) - 1)) !== 0) this.fail('BIT STRING with non-zero padding bits (not DER)');
  }

  /** Reads the next element and checks its tag. */
  expect(tag: number, name = `tag 0x${tag.toString(16)}`): DerElement {
    if (this.peekTag() !== tag) this.fail(`expected ${name}`);
    return this.read();
  }

  /** Reads the next element only if it has `tag`. */
  optional(tag: number): DerElement | undefined {
    return this.peekTag() === tag ? this.read() : undefined;
  }

  /** A reader over the contents of the next SEQUENCE. */
  sequence(): DerReader {
    return this.sub(this.expect(DerTag.SEQUENCE, 'SEQUENCE').value);
  }

  /** A reader over `bytes` sharing this reader's error status and context. */
  sub(bytes: Uint8Array): DerReader {
    return new DerReader(bytes, this.status, this.what);
  }

  /**
   * The content octets of the next INTEGER, checked for minimal encoding (X.690 §8.3.2).
   * Two's complement, big-endian.
   */
  integerBytes(): Uint8Array {
    const v = this.expect(DerTag.INTEGER, 'INTEGER').value;
    if (v.length === 0) this.fail('empty INTEGER');
    // X.690 §8.3.2: the first nine bits must not be all zeros or all ones.
    if (v.length > 1 && ((v[0] === 0x00 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
      this.fail('non-minimal INTEGER');
    }
    return v;
  }

  /** The next INTEGER as a bigint (X.690 §8.3). */
  integer(): bigint {
    const v = this.integerBytes();
    let x = bytesToBigInt(v);
    if ((v[0]! & 0x80) !== 0) x -= 1n << BigInt(v.length * 8);
    return x;
  }

  /** The next INTEGER, which must be non-negative, as a bigint. */
  unsignedInteger(): bigint {
    const v = this.integerBytes();
    if ((v[0]! & 0x80) !== 0) this.fail('negative INTEGER');
    return bytesToBigInt(v);
  }

  /** The next INTEGER as a small non-negative number (at most 2^31 - 1). */
  smallInteger(): number {
    const x = this.unsignedInteger();
    if (x > 0x7fffffffn) this.fail('INTEGER out of range');
    return Number(x);
  }

  /** The next OBJECT IDENTIFIER in dotted form (X.690 §8.19). */
  oid(): string {
    return decodeOid(this.expect(DerTag.OID, 'OBJECT IDENTIFIER').value, this);
  }

  /** The next NULL (X.690 §8.8: no content octets). */
  null(): void {
    if (this.expect(DerTag.NULL, 'NULL').value.length !== 0) this.fail('NULL with content');
  }

  /**
   * The next BIT STRING's bits, which must be a whole number of octets (X.690 §8.6.2:
   * the first content octet counts the unused bits of the last octet; keys use 0).
   */
  bitString(): Uint8Array {
    const v = this.expect(DerTag.BIT_STRING, 'BIT STRING').value;
    if (v[0] !== 0) this.fail('BIT STRING with unused bits');
    return v.subarray(1);
  }

  /**
   * The next BIT STRING as a list of named bits (X.680 §22.7, e.g. keyUsage): `bits[i]`
   * is bit `i`, counted from the most significant bit of the first octet; only the
   * `8 × octets − unused` bits that exist are returned (X.690 §8.6.2.2: the unused bits
   * of the last octet are padding, never values). Padding must be zero (checked on read).
   */
  namedBits(): boolean[] {
    const v = this.expect(DerTag.BIT_STRING, 'BIT STRING').value;
    const count = (v.length - 1) * 8 - v[0]!;
    const bits: boolean[] = [];
    for (let i = 0; i < count; i++) bits.push(((v[1 + (i >> 3)]! >> (7 - (i & 7))) & 1) === 1);
    return bits;
  }

  /** The next OCTET STRING's content (X.690 §8.7). */
  octetString(): Uint8Array {
    return this.expect(DerTag.OCTET_STRING, 'OCTET STRING').value;
  }

  /** Checks that the input is exhausted (no trailing data). */
  end(): void {
    if (this.pos !== this.buf.length) this.fail('trailing data');
  }
}

/**
 * Checks that `v` is a run of well-formed DER elements (read as `r` reads: same error status
 * and context), looking inside constructed ones (X.690 §8.1.2.5) down to `depth` levels; for
 * values kept undecoded, such as ANY and unknown extension values.
 */
export function checkDerElements(r: DerReader, v: Uint8Array, depth: number): void {
  const inner = r.sub(v);
  while (!inner.done) {
    const el = inner.read();
    if ((el.tag & 0x20) !== 0) {
      if (depth === 0) inner.fail('nesting too deep');
      checkDerElements(inner, el.value, depth - 1);
    }
  }
}

function decodeOid(v: Uint8Array, r: DerReader): string {
  if (v.length === 0) r.fail('empty OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let cur = 0n;
  let octets = 0;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    // X.690 §8.19.2: subidentifiers are minimal; a leading 0x80 octet is forbidden.
    if (octets === 0 && b === 0x80) r.fail('non-minimal OID arc');
    // X.660 puts no bound on an arc (2.25.<uuid> arcs are 128-bit); ours is generous.
    if (++octets > MAX_OID_ARC_OCTETS) r.fail('OID arc too large');
    cur = (cur << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(cur);
      if (arcs.length > MAX_OID_ARCS) r.fail('OID too long');
      cur = 0n;
      octets = 0;
    }
  }
  if (octets > 0) r.fail('truncated OID');
  // X.690 §8.19.4: the first subidentifier packs the first two arcs as 40·X + Y.
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Big-endian unsigned bytes to bigint (RFC 8017 §4.2 OS2IP). */
export function bytesToBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += HEX[b[i]!]!;
  return hex.length === 0 ? 0n : BigInt('0x' + hex);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Bigint to big-endian unsigned bytes of exactly `len` octets (RFC 8017 §4.1 I2OSP).
 * Returns null if `x` is negative or does not fit.
 */
export function bigIntToBytes(x: bigint, len: number): Uint8Array | null {
  if (x < 0n) return null;
  let hex = x.toString(16);
  if (hex.length > len * 2) return null;
  hex = hex.padStart(len * 2, '0');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Minimal number of octets to hold the unsigned value `x` (at least 1). */
export function byteLength(x: bigint): number {
  return Math.max(1, Math.ceil(x.toString(16).length / 2));
}

/** Number of significant bits in the non-negative `x`. */
export function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

// ---------------------------------------------------------------- writer helpers

/** Encodes one TLV with a minimal definite length (X.690 §10.1). */
export function derTlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concatBytes(content);
  const n = body.length;
  let head: number[];
  if (n < 0x80) head = [tag, n];
  else if (n < 0x100) head = [tag, 0x81, n];
  else if (n < 0x10000) head = [tag, 0x82, n >> 8, n & 0xff];
  else head = [tag, 0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

/** A SEQUENCE of already-encoded elements. */
export function derSequence(...elements: Uint8Array[]): Uint8Array {
  return derTlv(DerTag.SEQUENCE, ...elements);
}

/** A non-negative INTEGER, minimally encoded (X.690 §8.3.2). */
export function derUnsignedInteger(x: bigint): Uint8Array {
  if (x < 0n) throw new TlsError('InternalError', { detail: 'DER: negative integer' });
  const len = byteLength(x);
  const bytes = bigIntToBytes(x, len)!;
  // A set top bit would read as negative: prefix a zero octet.
  return (bytes[0]! & 0x80) !== 0 ? derTlv(DerTag.INTEGER, Uint8Array.of(0), bytes) : derTlv(DerTag.INTEGER, bytes);
}

/** An OBJECT IDENTIFIER from dotted form (X.690 §8.19). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => BigInt(s));
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! >= 40n)) {
    throw new TlsError('InternalError', { detail: `DER: bad OID ${dotted}` });
  }
  const subs = [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const s of subs) {
    const chunk: number[] = [Number(s & 0x7fn)];
    let v = s >> 7n;
    while (v > 0n) {
      chunk.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(...chunk);
  }
  return derTlv(DerTag.OID, Uint8Array.from(out));
}

/** NULL. */
export function derNull(): Uint8Array {
  return Uint8Array.of(DerTag.NULL, 0);
}

/** A BIT STRING holding whole octets (unused-bits octet 0). */
export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(DerTag.BIT_STRING, Uint8Array.of(0), bytes);
}

/** An OCTET STRING. */
export function derOctetString(bytes: Uint8Array): Uint8Array {
  return derTlv(DerTag.OCTET_STRING, bytes);
}

/**
 * Re-encodes BER (X.690 §8) as DER-shaped bytes for the parts DER readers refuse in files
 * that other tools write (PKCS#12 from NSS, Windows and Java often use them): indefinite
 * lengths (§8.1.3.6, closed by end-of-contents octets) become definite minimal lengths, long
 * length forms become minimal, and constructed OCTET STRINGs (§8.7.3: a series of segments)
 * become one primitive OCTET STRING. Everything else is copied as is; DER input comes back
 * byte for byte. A context-specific constructed element is left constructed (whether it is an
 * EXPLICIT tag or a constructed IMPLICIT string is for the caller's grammar to say).
 *
 * Bounded: nesting at most `maxDepth`, output no larger than the input (re-encoding only
 * removes bytes: indefinite forms cost 2 end-of-contents octets, which cover the longest
 * definite length this encoder writes for values below 2^24).
 *
 * @throws TlsError(status) for truncated or malformed BER, high tag numbers, or nesting too deep
 */
export function berToDer(input: Uint8Array, status: TlsStatus = 'DecodeError', maxDepth = 32): Uint8Array {
  const fail = (detail: string): never => {
    throw new TlsError(status, { detail: `BER: ${detail}` });
  };
  /** Parses elements from `pos` until `end` (or an end-of-contents if `indefinite`); returns the encoded parts and where it stopped. */
  const parseRun = (pos: number, end: number, indefinite: boolean, depth: number, flattenStrings: boolean): { parts: Uint8Array[]; next: number } => {
    const parts: Uint8Array[] = [];
    let p = pos;
    for (;;) {
      if (indefinite) {
        if (p + 2 > end) fail('missing end-of-contents');
        if (input[p] === 0 && input[p + 1] === 0) return { parts, next: p + 2 };
      } else if (p >= end) {
        return { parts, next: p };
      }
      const tag = input[p]!;
      if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not supported');
      if (tag === 0) fail('unexpected end-of-contents');
      if (p + 1 >= end) fail('missing length');
      const first = input[p + 1]!;
      let q = p + 2;
      let len = -1;
      if (first === 0x80) {
        if ((tag & 0x20) === 0) fail('indefinite length on a primitive element');
      } else if (first < 0x80) {
        len = first;
      } else {
        const n = first & 0x7f;
        if (n > 4 || q + n > end) fail('bad length');
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + input[q++]!;
      }
      if (len >= 0 && q + len > end) fail('truncated value');
      let content: Uint8Array;
      let next: number;
      if ((tag & 0x20) !== 0) {
        if (depth >= maxDepth) fail('nesting too deep');
        // X.690 §8.7.3: a constructed OCTET STRING is its segments, concatenated.
        const isString = tag === 0x24;
        const inner = parseRun(q, len >= 0 ? q + len : end, len < 0, depth + 1, isString);
        if (len >= 0 && inner.next !== q + len) fail('trailing data in a constructed element');
        content = concat(inner.parts);
        next = inner.next;
        if (isString) {
          parts.push(flattenStrings ? content : tlv(0x04, content));
          p = next;
          continue;
        }
        if (flattenStrings) fail('a constructed OCTET STRING holds something else');
      } else {
        content = input.subarray(q, q + len);
        next = q + len;
        if (flattenStrings) {
          if (tag !== 0x04) fail('a constructed OCTET STRING holds something else');
          parts.push(content);
          p = next;
          continue;
        }
      }
      parts.push(tlv(tag, content));
      p = next;
    }
  };
  const concat = (parts: Uint8Array[]): Uint8Array => (parts.length === 1 ? parts[0]! : concatBytes(parts));
  const tlv = (tag: number, content: Uint8Array): Uint8Array => (content.length > 0xffffff ? fail('element too large') : derTlv(tag, content));
  const { parts, next } = parseRun(0, input.length, false, 0, false);
  if (next !== input.length) fail('trailing data');
  return concat(parts);
}
