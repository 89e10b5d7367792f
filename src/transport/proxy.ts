/**
 * HTTP CONNECT proxy transport (the seed's `ProxyCredential`): a client reaches its server
 * through an HTTP proxy that opens a TCP tunnel (RFC 9110 §9.3.6), authenticating with
 * Basic credentials (RFC 7617) when given. TLS then runs end to end through the tunnel: the
 * proxy sees only the target's name and port, and the server's certificate is checked as
 * for a direct connection.
 *
 * Transport-neutral: {@link proxyConnect} performs CONNECT over a minimal byte stream
 * ({@link ProxyByteStream}), {@link proxyConnectStreams} over a Web Streams pair, and
 * {@link ConnectResponseParser} is the sans-I/O parser both use; the Node, Deno and Bun
 * adapters dial {@link ResolvedProxy.host}:{@link ResolvedProxy.port} their own way and
 * call one of them. This file imports no `node:` module.
 *
 * Failures, all `TlsError`s with source `transport`:
 * - `ProxyAuthenticationRequired`: the proxy answered 407 (no credentials, or wrong ones), or
 *   401, which some proxies (tinyproxy) send for a wrong password;
 * - `ProxyRefused`: any other answer than 2xx, a malformed answer, an answer header above
 *   {@link PROXY_MAX_HEADER_BYTES}, or the proxy closing before its header ended; the error
 *   is a {@link ProxyError} carrying the proxy's `statusCode` and `statusLine`;
 * - `TimedOut`: no complete answer within {@link ProxyOptions.timeout};
 * - `InvalidConfig` (source `caller`) for bad options.
 * No message, detail or cause ever holds the username, the password or the header made of
 * them, even when a hostile proxy echoes them back in its status line (they are cut out of
 * it, whole or cut short, before it is reported); the proxy URL is reported as `host:port` only.
 *
 * Bytes the proxy sends after the end of its 2xx header belong to the tunnel (the server's
 * first TLS records may arrive in the same segment): they are returned to the caller,
 * never dropped and never read as header.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { parseIpAddress } from '../verify/hostname.js';

const encoder = new TextEncoder();
function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Proxy settings of every adapter that dials (`proxy` option). */
export interface ProxyOptions {
  /**
   * The proxy, as an `http://host:port` URL (port default 80). Credentials may be given in
   * the URL (`http://user:pass@host:port`, percent-encoded) or as {@link username} /
   * {@link password}, not both. `https://` proxies (TLS to the proxy) are not supported.
   */
  url: string;
  /** Basic credentials' user name (RFC 7617: must not contain `:`). */
  username?: string;
  /** Basic credentials' password. */
  password?: string;
  /**
   * Milliseconds for the proxy to answer CONNECT, counted from the start of
   * {@link proxyConnect} (adapters start it when they dial, so it includes connecting to
   * the proxy). Default {@link DEFAULT_PROXY_TIMEOUT}; 0 disables it.
   */
  timeout?: number;
}

/** Where a tunnel should lead: the TLS server's host (name or IP literal) and port. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/**
 * {@link ProxyOptions} checked and resolved by {@link resolveProxy}: dial `host`:`port`. The
 * credentials are not on the object (nothing that prints, serialises or clones it carries
 * them): pass this very object to {@link connectRequest} / {@link proxyConnect}; a copy sends none.
 */
export interface ResolvedProxy {
  /** The proxy's host (name or IP literal, without brackets). */
  readonly host: string;
  /** The proxy's port. */
  readonly port: number;
  /** Milliseconds allowed for the answer (0: no limit). */
  readonly timeout: number;
  /** True when Basic credentials will be sent. */
  readonly hasCredentials: boolean;
}

/**
 * The `Proxy-Authorization` value of each {@link ResolvedProxy} with credentials, kept off the
 * object itself so that no printing, serialising or cloning of it can carry the credentials.
 */
const AUTHORIZATION = new WeakMap<ResolvedProxy, string>();

/**
 * What of each {@link ResolvedProxy}'s credentials must never be reported: the
 * `Proxy-Authorization` value, its base64 token, `user:password`, the password and the user
 * name (those two from 3 characters: a shorter one would match any text). A hostile proxy
 * may echo them in its status line, which errors carry; they are cut out there.
 */
const SECRETS = new WeakMap<ResolvedProxy, readonly string[]>();

/** Stands for a credential cut out of a status line. */
const REDACTED = '[redacted]';

/**
 * `line` without any of `secrets` (longest first), nor a trailing prefix of one (from 4
 * characters: a line cut in the middle of an echoed token).
 */
function redact(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  for (const s of secrets) {
    for (let n = Math.min(s.length - 1, out.length); n >= 4; n--) {
      if (out.endsWith(s.slice(0, n))) {
        out = out.slice(0, out.length - n) + REDACTED;
        break;
      }
    }
  }
  return out;
}

/** Largest proxy answer header accepted (status line, headers and interim 1xx answers). */
export const PROXY_MAX_HEADER_BYTES = 16 * 1024;

/** Default of {@link ProxyOptions.timeout}, in milliseconds. */
export const DEFAULT_PROXY_TIMEOUT = 30_000;

/** Most characters of the proxy's status line kept in a {@link ProxyError}. */
const STATUS_LINE_MAX = 256;

/**
 * A proxy's refusal (`ProxyAuthenticationRequired` or `ProxyRefused`): a {@link TlsError}
 * with the proxy's answer.
 */
export class ProxyError extends TlsError {
  /** The proxy's status code (0 when its answer was not a readable HTTP status line). */
  readonly statusCode: number;
  /**
   * The proxy's status line (`HTTP/1.1 403 Forbidden`), with anything but printable ASCII
   * replaced by `?`, the credentials sent cut out (`[redacted]`) and cut to 256 characters;
   * empty when there was none.
   */
  readonly statusLine: string;

  /** @internal */
  constructor(status: 'ProxyAuthenticationRequired' | 'ProxyRefused', statusCode: number, statusLine: string, detail: string) {
    super(status, { detail, source: 'transport' });
    this.statusCode = statusCode;
    this.statusLine = statusLine;
  }
}

function invalid(detail: string): TlsError {
  return new TlsError('InvalidConfig', { detail: `proxy: ${detail}`, source: 'caller' });
}

function decodeUserinfo(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid(`the ${what} in the URL is not valid percent-encoding`);
  }
}

/** RFC 4648 base64 of bytes (no dependency on `btoa`, absent from some runtimes' types). */
function base64(bytes: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const b2 = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out += A[b0 >> 2]! + A[((b0 & 3) << 4) | (b1 >> 4)]!;
    out += i + 1 < bytes.length ? A[((b1 & 15) << 2) | (b2 >> 6)]! : '=';
    out += i + 2 < bytes.length ? A[b2 & 63]! : '=';
  }
  return out;
}

/**
 * Checks {@link ProxyOptions} and resolves them: the address to dial, the timeout, the
 * credentials. Nothing about the credentials appears in an error it throws.
 *
 * @throws TlsError('InvalidConfig') for a URL that is not `http://host[:port]` (no path, query
 *   or fragment; port 1..65535), credentials both in the URL and in the options, a user name with `:`, a
 *   password without a user name, or a bad timeout
 */
export function resolveProxy(p: ProxyOptions): ResolvedProxy {
  if (typeof p !== 'object' || p === null) throw invalid('`proxy` must be an object { url, username?, password? }');
  if (typeof p.url !== 'string') throw invalid('`url` must be a string like http://proxy.example:3128');
  let u: URL;
  try {
    u = new URL(p.url);
  } catch {
    // The URL may hold credentials: it is not echoed.
    throw invalid('`url` is not a valid URL (expected http://host:port)');
  }
  if (u.protocol !== 'http:') throw invalid(`only http:// proxies are supported, not ${u.protocol.replace(/[^a-z0-9+.-]/gi, '?').slice(0, 16)}//`);
  if ((u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.hash !== '') throw invalid('`url` must be http://host:port, without a path, query or fragment');
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  if (host === '') throw invalid('`url` has no host');
  const port = u.port === '' ? 80 : Number(u.port);
  // The URL parser takes port 0 (and the runtimes would dial it): no proxy listens there.
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('the proxy port must be 1..65535');
  let username = p.username;
  let password = p.password;
  if (u.username !== '' || u.password !== '') {
    if (username !== undefined || password !== undefined) throw invalid('credentials given both in `url` and as username/password: give them once');
    username = decodeUserinfo(u.username, 'user name');
    password = decodeUserinfo(u.password, 'password');
  }
  if (username !== undefined && typeof username !== 'string') throw invalid('`username` must be a string');
  if (password !== undefined && typeof password !== 'string') throw invalid('`password` must be a string');
  if (password !== undefined && password !== '' && (username === undefined || username === '')) throw invalid('a password without a user name');
  // RFC 7617 §2: "a user-id containing a colon character is invalid"; control characters are not allowed either.
  if (username !== undefined && (username.includes(':') || /[\x00-\x1f\x7f]/.test(username))) throw invalid('the user name must not contain ":" or control characters (RFC 7617 §2)');
  if (password !== undefined && /[\x00-\x1f\x7f]/.test(password)) throw invalid('the password must not contain control characters (RFC 7617 §2)');
  const timeout = p.timeout ?? DEFAULT_PROXY_TIMEOUT;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > 0x7fffffff) throw invalid('`timeout` must be an integer number of milliseconds, 0..2^31-1');
  const out: ResolvedProxy = Object.freeze({ host, port, timeout, hasCredentials: username !== undefined && username !== '' });
  if (out.hasCredentials) {
    // RFC 7617 §2.1: the user-pass is encoded as UTF-8 (the charset every proxy we know of reads).
    const token = base64(utf8(`${username}:${password ?? ''}`));
    AUTHORIZATION.set(out, `Basic ${token}`);
    const plain = [`${username}:${password ?? ''}`];
    if (password !== undefined && password.length >= 3) plain.push(password);
    if (username !== undefined && username.length >= 3) plain.push(username);
    // Status lines are compared once made printable (reported): a credential echoed as the
    // UTF-8 bytes the proxy received reads with `?` for each byte outside printable ASCII, so
    // that form is cut out too (or all but the non-ASCII letters would be reported).
    const secrets = [`Basic ${token}`, token];
    for (const s of plain) {
      secrets.push(s);
      const seen = printable(utf8(s), Infinity);
      if (seen !== s) secrets.push(seen);
    }
    // Longest first, so that a longer secret is cut whole before a shorter one inside it.
    SECRETS.set(out, secrets.sort((a, b) => b.length - a.length));
  }
  return out;
}

/** The authority-form request target of CONNECT (RFC 9112 §3.2.3): `host:port`, IPv6 in brackets. */
function authority(t: ProxyTarget): string {
  if (typeof t.host !== 'string' || t.host === '') throw invalid('the target host is empty');
  if (typeof t.port !== 'number' || !Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw invalid('the target port must be 1..65535');
  const host = t.host.startsWith('[') && t.host.endsWith(']') ? t.host.slice(1, -1) : t.host;
  // Request smuggling: nothing but a DNS name (A-labels) or an IP literal reaches the request line.
  const literal = parseIpAddress(host);
  if (literal === null ? !/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.?$/.test(host) : host.includes('%')) {
    throw invalid('the target host is not a valid host name or IP literal');
  }
  return host.includes(':') ? `[${host}]:${t.port}` : `${host}:${t.port}`;
}

/**
 * The CONNECT request (RFC 9110 §9.3.6, RFC 9112 §3.2.3): request line, `Host` and, with
 * credentials, `Proxy-Authorization: Basic ...` (RFC 7617, RFC 9110 §11.7.2).
 *
 * @throws TlsError('InvalidConfig') for a target host or port that cannot be sent
 */
export function connectRequest(proxy: ResolvedProxy, target: ProxyTarget): Uint8Array {
  const a = authority(target);
  let text = `CONNECT ${a} HTTP/1.1\r\nHost: ${a}\r\n`;
  const auth = AUTHORIZATION.get(proxy);
  if (auth !== undefined) text += `Proxy-Authorization: ${auth}\r\n`;
  text += '\r\n';
  return utf8(text);
}

/** A proxy's successful answer. */
export interface ConnectResult {
  /** The 2xx status code. */
  readonly statusCode: number;
  /** The status line, sanitised as in {@link ProxyError.statusLine}. */
  readonly statusLine: string;
  /** Bytes received after the end of the header: the start of the tunnel (TLS records). */
  readonly rest: Uint8Array;
}

/** `bytes` as printable ASCII (anything else as `?`), at most `max` characters. */
function printable(bytes: Uint8Array, max: number): string {
  let s = '';
  for (let i = 0; i < bytes.length && s.length < max; i++) {
    const b = bytes[i]!;
    s += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?';
  }
  return s;
}

function refused(statusCode: number, statusLine: string, why: string): ProxyError {
  return new ProxyError('ProxyRefused', statusCode, statusLine, why);
}

/**
 * Sans-I/O parser of a proxy's answer to CONNECT (RFC 9112 §2-§5): feed it what the proxy
 * sends; it returns the result once the header of a final answer is complete.
 *
 * - 2xx: the tunnel is open (RFC 9110 §9.3.6; `Content-Length` / `Transfer-Encoding` in it
 *   are ignored, as that section requires): {@link ConnectResult} with the bytes after the header;
 * - 1xx other than 101: an interim answer, skipped (RFC 9110 §15.2);
 * - 407 (and 401, see the module notes): `ProxyAuthenticationRequired`; anything else: `ProxyRefused` (both {@link ProxyError});
 * - a line that is not `HTTP/1.x NNN ...`, a header line without a colon, a header larger
 *   than {@link PROXY_MAX_HEADER_BYTES}, or the end of the stream before the header ends:
 *   `ProxyRefused`.
 * Line ends are CRLF, or a bare LF (RFC 9112 §2.2 allows a recipient to accept it).
 */
export class ConnectResponseParser {
  /** Received bytes not yet parsed: `buf[0..len)` (grown by doubling: no copy per chunk). */
  private buf = new Uint8Array(256);
  private len = 0;
  /** Where the search for the header's end resumes (bytes before it were judged already). */
  private scanFrom = 0;
  /** Bytes of the header seen so far, interim answers included. */
  private seen = 0;
  private done = false;
  private readonly credentialsSent: boolean;
  /** What must not appear in a reported status line (the credentials sent). */
  private readonly secrets: readonly string[];

  /**
   * @param sent - the proxy the request was made for (its credentials are then cut out of
   *   any status line reported, should the proxy echo them), or just whether the request
   *   carried credentials (for the 407 message)
   */
  constructor(sent: ResolvedProxy | boolean = false) {
    this.credentialsSent = typeof sent === 'boolean' ? sent : sent.hasCredentials;
    this.secrets = typeof sent === 'boolean' ? [] : (SECRETS.get(sent) ?? []);
  }

  /**
   * The status line as reported (errors, {@link ConnectResult}): printable ASCII, the
   * credentials cut out (before the cut to {@link STATUS_LINE_MAX}, so that no part of one
   * survives at the edge), at most {@link STATUS_LINE_MAX} characters.
   */
  private reported(bytes: Uint8Array): string {
    // Status lines longer than STATUS_LINE_MAX * 4 bytes are refused; an unfinished line is cut there too.
    const full = printable(bytes, STATUS_LINE_MAX * 4 + 1);
    return redact(full, this.secrets).slice(0, STATUS_LINE_MAX);
  }

  private append(bytes: Uint8Array): void {
    if (this.len + bytes.length > this.buf.length) {
      let cap = this.buf.length;
      while (cap < this.len + bytes.length) cap *= 2;
      const grown = new Uint8Array(cap);
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /**
   * Adds bytes from the proxy. Returns the result once a final 2xx header is complete,
   * null while more is needed. Work and memory are linear in the bytes received, however
   * they are split (a proxy sending one byte at a time costs no more than one sending all).
   * @throws ProxyError for a refusal or a malformed answer
   */
  push(bytes: Uint8Array): ConnectResult | null {
    if (this.done) throw new TlsError('ApiMisuse', { detail: 'ConnectResponseParser: the answer was already complete', source: 'caller' });
    this.append(bytes);
    for (;;) {
      const view = this.buf.subarray(0, this.len);
      const end = headerEnd(view, this.scanFrom);
      if (end === -1) {
        // A LF in the last two bytes may still end the header once more arrives.
        this.scanFrom = Math.max(0, this.len - 2);
        if (this.seen + this.len > PROXY_MAX_HEADER_BYTES) {
          this.done = true;
          throw refused(0, '', `the proxy's answer header exceeds ${PROXY_MAX_HEADER_BYTES} bytes`);
        }
        return null;
      }
      if (this.seen + end > PROXY_MAX_HEADER_BYTES) {
        this.done = true;
        throw refused(0, '', `the proxy's answer header exceeds ${PROXY_MAX_HEADER_BYTES} bytes`);
      }
      const head = view.subarray(0, end);
      const rest = view.slice(end);
      this.seen += end;
      const { code, line } = this.parseHead(head);
      if (code >= 100 && code < 200 && code !== 101) {
        // RFC 9110 §15.2: interim answers precede the final one.
        this.buf.set(rest);
        this.len = rest.length;
        this.scanFrom = 0;
        continue;
      }
      this.done = true;
      if (code >= 200 && code < 300) return { statusCode: code, statusLine: line, rest };
      // 407 is the proxy's own "credentials needed or refused" (RFC 9110 §15.5.8). Some proxies
      // (tinyproxy) answer a wrong password with 401 instead: before the tunnel exists no origin
      // server can have sent it, so it means the same.
      if (code === 407 || code === 401) {
        const why = this.credentialsSent ? 'the proxy refused the credentials' : 'the proxy requires credentials (proxy.username / proxy.password)';
        throw new ProxyError('ProxyAuthenticationRequired', code, line, `${why}: "${line}"`);
      }
      throw refused(code, line, `the proxy refused the tunnel: "${line}"`);
    }
  }

  /**
   * The proxy's stream ended.
   * @throws ProxyError('ProxyRefused') always: a final answer was not complete
   */
  end(): never {
    this.done = true;
    const got = this.len === 0 && this.seen === 0 ? 'without answering' : 'in the middle of its answer';
    throw refused(0, this.reported(firstLine(this.buf.subarray(0, this.len))), `the proxy closed the connection ${got} to CONNECT`);
  }

  /** Status code and sanitised status line of one answer's header; checks its header lines. */
  private parseHead(head: Uint8Array): { code: number; line: string } {
    const lines = splitLines(head);
    const statusBytes = lines[0] ?? new Uint8Array(0);
    const line = this.reported(statusBytes);
    // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
    const m = /^HTTP\/1\.[01] ([1-9][0-9][0-9])(?: |$)/.exec(printable(statusBytes, 16));
    if (!m || statusBytes.length > STATUS_LINE_MAX * 4) {
      this.done = true;
      throw refused(0, line, 'the proxy did not answer with an HTTP/1.x status line');
    }
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i]!;
      // RFC 9112 §5: field-line = field-name ":" OWS field-value OWS; no obsolete line folding (§5.2).
      const colon = l.indexOf(0x3a);
      if (colon <= 0 || l[0] === 0x20 || l[0] === 0x09) {
        this.done = true;
        throw refused(Number(m[1]), line, 'the proxy sent a malformed header line');
      }
    }
    return { code: Number(m[1]), line };
  }
}

/** Offset just past the empty line ending a header (CRLFCRLF, or LF LF / LF CRLF), searching from `from`, or -1. */
function headerEnd(b: Uint8Array, from: number): number {
  for (let i = from; i < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    // b[i] is a LF ending a line; the header ends if the next line is empty.
    if (b[i + 1] === 0x0a) return i + 2;
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** The header's lines without their CR/LF and without the final empty line. */
function splitLines(head: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== 0x0a) continue;
    let end = i;
    if (end > start && head[end - 1] === 0x0d) end--;
    if (end > start) out.push(head.subarray(start, end));
    start = i + 1;
  }
  return out;
}

function firstLine(b: Uint8Array): Uint8Array {
  const i = b.indexOf(0x0a);
  const l = i === -1 ? b : b.subarray(0, i);
  return l.length > 0 && l[l.length - 1] === 0x0d ? l.subarray(0, l.length - 1) : l;
}

/** The byte stream {@link proxyConnect} talks to the proxy over. */
export interface ProxyByteStream {
  /** Sends bytes (resolve when handed over, or return nothing). */
  write(bytes: Uint8Array): void | Promise<void>;
  /** The next bytes received, or null at the end of the stream. */
  read(): Promise<Uint8Array | null>;
}

/**
 * Opens a tunnel: sends CONNECT for `target` over `stream` (already connected to
 * `proxy.host`:`proxy.port`) and reads the proxy's answer.
 *
 * @param startedAt - when the adapter started dialling (`Date.now()`), if before this call:
 *   the timeout is then counted from there (it includes reaching the proxy)
 * @returns the bytes received after the answer's header: the first bytes of the tunnel,
 *   which the caller must hand to TLS before anything it reads later
 * @throws ProxyError (`ProxyAuthenticationRequired`, `ProxyRefused`), TlsError('TimedOut'),
 *   TlsError('InvalidConfig') for a bad target, or what the stream throws. The stream is
 *   left open either way: the caller closes it on failure.
 */
export async function proxyConnect(stream: ProxyByteStream, proxy: ResolvedProxy, target: ProxyTarget, startedAt?: number): Promise<Uint8Array> {
  const request = connectRequest(proxy, target);
  const parser = new ConnectResponseParser(proxy);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const work = (async (): Promise<Uint8Array> => {
    await stream.write(request);
    for (;;) {
      const chunk = await stream.read();
      if (chunk === null) return parser.end();
      const r = parser.push(chunk);
      if (r) return r.rest;
    }
  })();
  if (proxy.timeout === 0) return work;
  // What is left of the timeout when the adapter started it earlier (to include reaching the proxy).
  const left = startedAt === undefined ? proxy.timeout : Math.max(1, proxy.timeout - (Date.now() - startedAt));
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(proxyTimeout(proxy)), left);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // A late failure of the abandoned read must not be unhandled.
    work.catch(() => undefined);
  }
}

/** The error of a proxy that did not answer in time. */
export function proxyTimeout(proxy: ResolvedProxy): TlsError {
  return new TlsError('TimedOut', { detail: `the proxy ${proxy.host}:${proxy.port} did not open the tunnel within ${proxy.timeout} ms`, source: 'transport' });
}

/**
 * {@link proxyConnect} over a Web Streams pair (a `Deno.Conn`, a Bun socket wrapped in
 * streams, a WebSocket bridge): runs CONNECT, then returns the pair to run TLS over, whose
 * readable yields the bytes that followed the proxy's header first, then the rest of the
 * original readable.
 *
 * @throws as {@link proxyConnect}; the original streams are then released, not closed
 */
export async function proxyConnectStreams<W extends WritableStream<Uint8Array>>(
  pair: { readable: ReadableStream<Uint8Array>; writable: W },
  proxy: ResolvedProxy,
  target: ProxyTarget,
): Promise<{ readable: ReadableStream<Uint8Array>; writable: W }> {
  const reader = pair.readable.getReader();
  const writer = pair.writable.getWriter();
  let rest: Uint8Array;
  try {
    rest = await proxyConnect(
      {
        write: (b) => writer.write(b),
        read: async () => {
          const r = await reader.read();
          return r.done ? null : r.value;
        },
      },
      proxy,
      target,
    );
  } catch (e) {
    reader.releaseLock();
    throw e;
  } finally {
    writer.releaseLock();
  }
  let first: Uint8Array | null = rest.length > 0 ? rest : null;
  const readable = new ReadableStream<Uint8Array>({
    async pull(controller): Promise<void> {
      if (first) {
        controller.enqueue(first);
        first = null;
        return;
      }
      const r = await reader.read();
      if (r.done) controller.close();
      else controller.enqueue(r.value);
    },
    cancel(reason): Promise<void> {
      return reader.cancel(reason);
    },
  });
  return { readable, writable: pair.writable };
}
