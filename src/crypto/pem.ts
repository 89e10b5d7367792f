/**
 * PEM (RFC 7468) encoding and decoding, with our own strict base64 (RFC 4648 §4) so that
 * no `Buffer` or `atob` is needed.
 *
 * Decoding finds every `-----BEGIN X-----` … `-----END X-----` block; text between blocks
 * is explanatory and ignored (RFC 7468 §2). Boundaries are whole lines (RFC 7468 §3). RFC
 * 1421 headers inside a block (such as `Proc-Type: 4,ENCRYPTED` in legacy encrypted keys)
 * cannot be used. A block with such headers or with malformed boundary lines is refused,
 * or skipped where the caller reads a bundle of independent blocks (a CA bundle, where one
 * odd block must not take every other certificate with it).
 *
 * @module
 */
import { TlsError, type TlsStatus } from '../base/errors.js';

/** One PEM block. */
export interface PemBlock {
  /** The label, e.g. `'CERTIFICATE'` or `'PRIVATE KEY'`. */
  readonly label: string;
  /** The decoded contents (usually DER). */
  readonly der: Uint8Array;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/** Encodes bytes as standard base64 with padding (RFC 4648 §4). */
export function base64Encode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard base64 (RFC 4648 §4). Whitespace is skipped; anything else outside the
 * alphabet, misplaced padding, a length that is not a multiple of four or non-zero pad
 * bits (RFC 4648 §3.5) is an error.
 *
 * @throws TlsError(status) on malformed input.
 */
export function base64Decode(text: string, status: TlsStatus = 'DecodeError'): Uint8Array {
  const bad = (detail: string): never => {
    throw new TlsError(status, { detail: `base64: ${detail}` });
  };
  const vals = new Uint8Array(text.length);
  let n = 0;
  let pad = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x3d) {
      pad++;
      continue;
    }
    if (pad > 0) bad('data after padding');
    const v = c < 128 ? B64_INDEX[c]! : -1;
    if (v < 0) bad(`invalid character at offset ${i}`);
    vals[n++] = v;
  }
  // RFC 4648 §4: whole quanta only, with one or two '=' for a partial final quantum.
  if ((n + pad) % 4 !== 0 || pad > 2) bad('bad length');
  const outLen = Math.floor((n * 6) / 8);
  const out = new Uint8Array(outLen);
  let o = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const x = (vals[i]! << 18) | (vals[i + 1]! << 12) | (vals[i + 2]! << 6) | vals[i + 3]!;
    out[o++] = x >> 16;
    out[o++] = (x >> 8) & 0xff;
    out[o++] = x & 0xff;
  }
  const rest = n - i;
  if (rest === 2) {
    const x = (vals[i]! << 18) | (vals[i + 1]! << 12);
    if ((x & 0xffff) !== 0) bad('non-zero pad bits');
    out[o++] = x >> 16;
  } else if (rest === 3) {
    const x = (vals[i]! << 18) | (vals[i + 1]! << 12) | (vals[i + 2]! << 6);
    if ((x & 0xff) !== 0) bad('non-zero pad bits');
    out[o++] = x >> 16;
    out[o++] = (x >> 8) & 0xff;
  }
  return out;
}

/** Options of {@link pemDecode}. */
export interface PemDecodeOptions {
  /**
   * A block that cannot be read as one: `'refuse'` (throw; the default, right for keys and
   * certificate chains, where RFC 1421 headers mean a legacy encrypted key and a dropped
   * block would only surface later) or `'skip'` (leave it out and go on; for bundles of
   * independent certificates, where one odd block must not take every other with it).
   *
   * Such a block is one with RFC 1421 headers, or whose boundary lines are not whole lines
   * of the RFC 7468 §3 grammar (bytes before `-----BEGIN` or after the closing `-----`, a
   * label with characters outside `labelchar`, an END line with another label). In a
   * bundle it is skipped up to the next line holding `-----END` (inclusive) or
   * `-----BEGIN` (exclusive). A well-formed BEGIN line that is never closed, and bad
   * base64 inside a well-formed block, are refused in both modes.
   */
  readonly headers?: 'refuse' | 'skip';
}

/** RFC 7468 §3: label = [ labelchar *( ["-" / SP] labelchar ) ], labelchar = %x21-2C / %x2E-7E. */
const LABEL = /^(?:[\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?$/;

/**
 * The label of a boundary line (`-----BEGIN label-----` when `kind` is `'BEGIN'`), or null
 * if `line` is not one. RFC 7468 §3 (textualmsg): the boundary starts the line and only
 * whitespace (WSP) may follow the closing `-----`.
 */
function boundaryLabel(line: string, kind: 'BEGIN' | 'END'): string | null {
  const head = `-----${kind} `;
  const text = line.replace(/[ \t]+$/, '');
  if (!text.startsWith(head) || !text.endsWith('-----') || text.length < head.length + 5) return null;
  const label = text.slice(head.length, text.length - 5);
  return LABEL.test(label) ? label : null;
}

/**
 * Decodes every PEM block in `text`, in order (RFC 7468 §2-§3).
 *
 * Text outside blocks is explanatory and ignored (RFC 7468 §2), but a line that holds
 * `-----BEGIN` must be a whole pre-encapsulation boundary line, and the block ends at a
 * whole `-----END label-----` line with the same label (RFC 7468 §2-§3: the boundaries are
 * lines; "-----BEGIN" preceded by other bytes on its line, or an END line followed by
 * other bytes, is not PEM). Lines end with CRLF, CR or LF (RFC 7468 §3 `eol`).
 *
 * @param text - PEM text (several blocks and explanatory text allowed)
 * @param status - status of the {@link TlsError} thrown for a malformed block
 * @param options - what to do with a block that cannot be read ({@link PemDecodeOptions})
 * @returns the blocks found (possibly none)
 * @throws TlsError(status) for a block without a matching END line, a boundary line that is
 *   not a whole line, an RFC 1421 header (the last two unless `options.headers` is
 *   `'skip'`), or bad base64.
 */
export function pemDecode(text: string, status: TlsStatus = 'DecodeError', options: PemDecodeOptions = {}): PemBlock[] {
  const skip = options.headers === 'skip';
  const lines = linesOf(text);
  const blocks: PemBlock[] = [];
  const fail = (detail: string): never => {
    throw new TlsError(status, { detail: `PEM: ${detail}` });
  };
  /**
   * Where to go on after a bad block whose rest starts at line `from` (bundles only): at the
   * next line holding `-----BEGIN` (the next block), or after the next holding `-----END`.
   */
  const resume = (from: number): number => {
    for (let k = from; k < lines.length; k++) {
      if (lines[k]!.includes('-----BEGIN')) return k;
      if (lines[k]!.includes('-----END')) return k + 1;
    }
    return lines.length;
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    // Explanatory text (RFC 7468 §2), a stray END line included.
    if (!line.includes('-----BEGIN')) {
      i++;
      continue;
    }
    const label = boundaryLabel(line, 'BEGIN');
    if (label === null) {
      // RFC 7468 §3: preeb = "-----BEGIN " label "-----" on a line of its own.
      if (!skip) fail(`line ${i + 1} is not a whole "-----BEGIN label-----" line`);
      i = resume(i + 1);
      continue;
    }
    // The body runs to the next boundary-like line, which must be this block's END line.
    let j = i + 1;
    while (j < lines.length && !lines[j]!.includes('-----')) j++;
    if (j >= lines.length) fail(`no "-----END ${label}-----" line`);
    const endLabel = boundaryLabel(lines[j]!, 'END');
    if (endLabel !== label) {
      // RFC 7468 §2-§3: posteb = "-----END " label "-----", the label of the BEGIN line.
      if (!skip) fail(`"${label}" block is not closed by a whole "-----END ${label}-----" line`);
      i = resume(j);
      continue;
    }
    const body = lines.slice(i + 1, j).join('\n');
    i = j + 1;
    // RFC 7468 §2: generators must not emit RFC 1421 headers; they mean an encrypted legacy
    // key or some other use we cannot follow (':' never occurs in base64).
    if (body.includes(':')) {
      if (skip) continue;
      fail(`headers in "${label}" block (encrypted key?) are not supported`);
    }
    blocks.push({ label, der: base64Decode(body, status) });
  }
  return blocks;
}

/**
 * The lines of PEM text (RFC 7468 §3 `eol`: CRLF, CR or LF), without a leading byte order
 * mark: a file saved by an editor that writes one (Windows Notepad) and read as a string
 * (`readFileSync(f, 'utf8')` keeps it; `TextDecoder` drops it) would otherwise have a first
 * BEGIN line that is not a whole line, refused in a chain and silently skipped in a bundle.
 */
function linesOf(text: string): string[] {
  return (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\r|\n/);
}

/** Encodes one PEM block with 64-character lines (RFC 7468 §2). */
export function pemEncode(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${label}-----\n`;
}

/** True if `text` contains a PEM BEGIN line. */
export function isPem(text: string): boolean {
  return text.includes('-----BEGIN ');
}

/** Decodes bytes as text for PEM parsing (ASCII is a subset of both UTF-8 and Latin-1). */
export function bytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** One PEM block with its RFC 1421 headers (see {@link pemDecodeWithHeaders}). */
export interface PemBlockWithHeaders extends PemBlock {
  /** Header fields in order, names as written (e.g. `['Proc-Type', '4,ENCRYPTED']`); empty for RFC 7468 blocks. */
  readonly headers: readonly (readonly [string, string])[];
}

/**
 * Decodes every PEM block in `text` like {@link pemDecode} with `headers: 'refuse'`, except
 * that RFC 1421 §4.4 header lines (`Name: value` lines after the BEGIN line, ended by an
 * empty line; continuation lines start with white space) are returned instead of refused.
 * Only for private keys, where OpenSSL's old `Proc-Type: 4,ENCRYPTED` / `DEK-Info` form
 * still circulates (src/identity/pkcs8.ts); everything else follows RFC 7468, which has no
 * headers.
 *
 * @throws TlsError(status) for a malformed block or header, or bad base64
 */
export function pemDecodeWithHeaders(text: string, status: TlsStatus = 'DecodeError'): PemBlockWithHeaders[] {
  const lines = linesOf(text);
  const blocks: PemBlockWithHeaders[] = [];
  const fail = (detail: string): never => {
    throw new TlsError(status, { detail: `PEM: ${detail}` });
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (!line.includes('-----BEGIN')) {
      i++;
      continue;
    }
    const found = boundaryLabel(line, 'BEGIN');
    if (found === null) return fail(`line ${i + 1} is not a whole "-----BEGIN label-----" line`);
    const label: string = found;
    let j = i + 1;
    while (j < lines.length && !lines[j]!.includes('-----')) j++;
    if (j >= lines.length || boundaryLabel(lines[j]!, 'END') !== label) fail(`"${label}" block is not closed by a whole "-----END ${label}-----" line`);
    let body = lines.slice(i + 1, j);
    i = j + 1;
    const headers: [string, string][] = [];
    if (body.some((l) => l.includes(':'))) {
      // RFC 1421 §4.4: headers, an empty line, then the encoded text.
      const blank = body.findIndex((l) => l.trim() === '');
      if (blank < 0) fail(`"${label}" block: headers not followed by an empty line`);
      for (const h of body.slice(0, blank)) {
        if ((h.startsWith(' ') || h.startsWith('\t')) && headers.length > 0) {
          const last = headers[headers.length - 1]!;
          last[1] += h.trim();
          continue;
        }
        const colon = h.indexOf(':');
        if (colon <= 0) fail(`"${label}" block: malformed header line`);
        headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
      }
      body = body.slice(blank + 1);
      if (body.some((l) => l.includes(':'))) fail(`"${label}" block: header after the encoded text`);
    }
    blocks.push({ label, headers, der: base64Decode(body.join('\n'), status) });
  }
  return blocks;
}
