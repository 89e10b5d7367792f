/**
 * `puretls bench HOST:PORT`: drives any TLS server the way `openssl s_time` and tls-perf do
 * (issue 9 item 7), with the options of `puretls connect`: src/cli.ts parses those and hands
 * them over with the Node adapter as a {@link BenchTransport}; this module owns the
 * bench-only flags, the run, and its reports.
 *
 * What one attempt is:
 * 1. dial the server (the bench opens the TCP connection itself, with TCP_NODELAY as
 *    `s_time` sets it, and runs TLS over it) and run a full handshake (TCP connect included
 *    in the time, as in `s_time`); its latency is the time from the dial to the client's
 *    `secureConnect` (in TLS 1.3 the client is done once its Finished is sent, as for
 *    `SSL_connect`: neither waits for the server's NewSessionTickets);
 * 2. the work after it, by mode: nothing (`handshake`), `GET PATH` and read the response
 *    until the server closes (`get`, like `s_time -www PATH`), or send N bytes of text in
 *    1 KiB LF-terminated lines and read as many back (`echo`: `openssl s_server -rev`, which
 *    answers each line with a line of the same length, or any echo server);
 * 3. close (`--close`): `notify` (default) sends our close_notify, then closes the transport
 *    (the peer's answer is not waited for); `reset` sends no close_notify and resets the TCP
 *    connection, which is what `openssl s_time` does (quiet shutdown, then `SO_LINGER` 0 and
 *    `close()`: the server reads a reset instead of a close_notify).
 *
 * `--connections N` workers each run attempts back to back until `--duration` has passed
 * (no attempt starts after it; handshakes in flight get a grace period, transfers are cut),
 * `--handshakes N` attempts were started, or `--max-errors N` attempts failed in a row.
 * Memory is bounded whatever the duration: latencies go into a fixed log-bucket histogram
 * (2% wide buckets), and the rate over time into about fifty intervals (plus the grace period).
 *
 * Full handshakes are full: the connections keep no session (`sessionStore: false`), since a
 * config built once would otherwise resume from the tickets the server sent before the close.
 * `--resume` (TLS 1.3 tickets, RFC 9846 §2.2; TLS 1.2 session IDs and tickets, RFC 5077)
 * keeps the sessions in one memory store shared by every connection: unless a new session
 * was stored during the attempt already (TLS 1.2), it waits after the handshake (at most
 * {@link TICKET_WAIT_MS}) for the server's NewSessionTicket before it closes, so that the
 * next attempt has a session to offer; each handshake is counted, and those the server resumed apart
 * (`resumedHandshakes`). The first attempt (a warm-up one, by default) is a full handshake.
 *
 * @module
 */
import { writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { TlsError } from '../base/errors.js';
import type { RandomSource } from '../crypto/provider.js';
import type { ConnectionInfo } from '../engine/connection.js';
import type { ResumableSession } from '../session/session.js';
import { MemorySessionStore, type SessionStore } from '../session/store.js';
import { seededRandom } from '../testing/random.js';

// ------------------------------------------------------------------ transport

/**
 * The options of one connection, as far as the bench reads or sets them; the Node adapter's
 * `ConnectOptions` has them all (and the TLS options the bench passes through untouched).
 */
export interface BenchConnectOptions {
  host?: string;
  port?: number;
  /** IP family for the dial (4 or 6), as for `net.connect`. */
  family?: number;
  /** Set per connection: the TCP socket the bench dialled (the transport runs TLS over it). */
  socket?: Duplex;
  servername?: string;
  /** Set per connection by `--seed`. */
  random?: RandomSource;
  /** Set by the bench: `false` for full handshakes, its own store for `--resume`. */
  sessionStore?: SessionStore | false;
  /** Defaulted by the bench when not given. */
  handshakeTimeout?: number;
  lingerTimeout?: number;
}

/** A client TLS socket as the bench drives it: the Node adapter's `TlsSocket`. */
export interface BenchSocket extends Duplex {
  readonly info: ConnectionInfo;
  readonly connection: { readonly info: ConnectionInfo };
}

/**
 * How the bench opens connections. src/cli.ts passes the Node adapter's (`connect`, a
 * config built once with `createClientConfig`, `mapTransportError`): the bench itself stays
 * off the adapter, like the rest of src/ below the entry points.
 */
export interface BenchTransport<O extends BenchConnectOptions> {
  /** Opens one connection. @throws TlsError for options it refuses (before dialling) */
  readonly connect: (options: O) => BenchSocket;
  /**
   * The same options with their TLS part built once into a config that every connection
   * shares (connecting then parses nothing). @throws TlsError('InvalidConfig') for options refused
   */
  readonly shareConfig: (options: O) => O;
  /** A failure (a socket error, or a TlsError already) as a TlsError with its status. */
  readonly toTlsError: (e: unknown) => TlsError;
}

// ------------------------------------------------------------------ settings

/** How each attempt ends (`--close`). */
export type BenchClose = 'notify' | 'reset';

/** What each attempt does after its handshake. */
export type BenchWork =
  | { readonly kind: 'handshake' }
  | { readonly kind: 'echo'; readonly bytes: number }
  | { readonly kind: 'get'; readonly path: string };

/** The bench-only settings of `puretls bench` (the TLS options are `puretls connect`'s). */
export interface BenchSettings {
  /** How long attempts are started, in milliseconds. */
  readonly durationMs: number;
  /** Attempts run at once. */
  readonly connections: number;
  /** Stop after this many attempts were started (null: only the duration limits). */
  readonly handshakeLimit: number | null;
  /** `--resume`: sessions are kept and offered (resumed handshakes), else every handshake is full. */
  readonly resume: boolean;
  readonly work: BenchWork;
  /** `--seed`: every connection's random source is seeded (same bytes sent on every run). */
  readonly seed: number | null;
  /** `--svg FILE`: where to write the chart. */
  readonly svg: string | null;
  /** Stop after this many failed attempts in a row (0: never). */
  readonly maxErrors: number;
  /** Attempts made one after the other before the clock starts, not counted. */
  readonly warmup: number;
  /** `--close`: close_notify then FIN (default), or a TCP reset without close_notify as `s_time` does. */
  readonly close: BenchClose;
  /**
   * How long the warm-up may last, ms (default 60 s, or `durationMs` if longer), then the grace
   * period: a warm-up transfer still running then is cut. Not a flag (tests shorten it).
   */
  readonly warmupLimitMs?: number;
}

/** Default `--duration`, seconds. */
export const DEFAULT_BENCH_DURATION = 10;
/** Default `--warmup`. */
export const DEFAULT_WARMUP = 3;
/**
 * Largest `--warmup`. V8 optimises a function only after thousands of calls, so code that
 * runs once per handshake reaches its optimised form after about 2,000-3,000 handshakes
 * (measured: the native client's CPU per handshake falls from ~2.6 ms over its first 750
 * handshakes to ~1.0 ms after 2,500, and the compiler threads keep working until then): a
 * steady-state rate needs a warm-up of that order.
 */
export const MAX_WARMUP = 100_000;
/** The warm-up stops after this long, or after `--duration` if that is longer (then the grace period), ms. */
const MAX_WARMUP_MS = 60_000;
/** Default `--max-errors`. */
export const DEFAULT_MAX_ERRORS = 10;
/** Handshake timeout of each attempt unless `--handshake-timeout` is given, ms. */
export const DEFAULT_BENCH_HANDSHAKE_TIMEOUT = 5000;
/** Longest grace period given to handshakes in flight when the run stops, ms. */
const MAX_GRACE_MS = 30_000;
const MAX_DURATION_SECONDS = 86_400;
const MAX_CONNECTIONS = 4096;
const MAX_BULK = 2 ** 40;

/** The flags `puretls bench` adds to those of `puretls connect`, and whether they take a value. */
export const BENCH_FLAGS: Readonly<Record<string, 'string' | 'boolean'>> = {
  duration: 'string',
  connections: 'string',
  handshakes: 'string',
  resume: 'boolean',
  bulk: 'string',
  get: 'string',
  seed: 'string',
  svg: 'string',
  'max-errors': 'string',
  warmup: 'string',
  close: 'string',
};

/** Makes the error thrown for a usage error (src/cli.ts: exit status 2). */
export type UsageErrorFactory = (detail: string) => Error;

/**
 * Splits the command line of `puretls bench` into its own flags ({@link BENCH_FLAGS}) and the
 * rest, which is parsed as `puretls connect`'s. No I/O.
 * @throws the factory's error for a bench flag without its value, or with a value it takes none of
 */
export function splitBenchArgs(argv: readonly string[], usage: UsageErrorFactory): { bench: Map<string, string>; rest: string[] } {
  const bench = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (!a.startsWith('--')) {
      rest.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const kind = BENCH_FLAGS[name];
    if (kind === undefined) {
      rest.push(a);
      continue;
    }
    if (kind === 'boolean') {
      if (eq >= 0) throw usage(`option '--${name}' takes no value`);
      bench.set(name, '');
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) throw usage(`option '--${name}' needs a value`);
      i++;
    }
    bench.set(name, value);
  }
  return { bench, rest };
}

function wholeNumber(flag: string, text: string, min: number, max: number, usage: UsageErrorFactory): number {
  if (!/^\d+$/.test(text)) throw usage(`--${flag}: expected a whole number ${min}..${max}, got '${text}'`);
  const v = Number(text);
  if (v < min || v > max) throw usage(`--${flag}: ${text} is out of range (${min}..${max})`);
  return v;
}

/** `--bulk`: bytes, with an optional binary suffix (K, M, G: KiB, MiB, GiB). */
function parseBytes(text: string, usage: UsageErrorFactory): number {
  const m = /^(\d+)([kKmMgG]?)(i?[bB])?$/.exec(text);
  if (!m) throw usage(`--bulk: expected a byte count such as 65536, 64K or 10M, got '${text}'`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()]!;
  const v = Number(m[1]) * unit;
  if (v < 1 || v > MAX_BULK) throw usage(`--bulk: ${text} is out of range (1 byte .. 1 TiB)`);
  return v;
}

/**
 * The bench-only settings from the flags {@link splitBenchArgs} took out. No I/O.
 * @throws the factory's error for a malformed or out-of-range value, naming the flag
 */
export function parseBenchSettings(flags: ReadonlyMap<string, string>, usage: UsageErrorFactory): BenchSettings {
  const durationText = flags.get('duration');
  let durationMs = DEFAULT_BENCH_DURATION * 1000;
  if (durationText !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(durationText)) throw usage(`--duration: expected seconds (e.g. 10 or 1.5), got '${durationText}'`);
    const s = Number(durationText);
    if (s <= 0 || s > MAX_DURATION_SECONDS) throw usage(`--duration: ${durationText} is out of range (more than 0, at most ${MAX_DURATION_SECONDS} seconds)`);
    durationMs = Math.max(1, Math.round(s * 1000));
  }
  const c = flags.get('connections');
  const connections = c === undefined ? 1 : wholeNumber('connections', c, 1, MAX_CONNECTIONS, usage);
  const h = flags.get('handshakes');
  const handshakeLimit = h === undefined ? null : wholeNumber('handshakes', h, 1, Number.MAX_SAFE_INTEGER, usage);
  const me = flags.get('max-errors');
  const maxErrors = me === undefined ? DEFAULT_MAX_ERRORS : wholeNumber('max-errors', me, 0, 2 ** 31 - 1, usage);
  const wu = flags.get('warmup');
  const warmup = wu === undefined ? DEFAULT_WARMUP : wholeNumber('warmup', wu, 0, MAX_WARMUP, usage);
  const sd = flags.get('seed');
  const seed = sd === undefined ? null : wholeNumber('seed', sd, 0, 2 ** 32 - 1, usage);
  const bulk = flags.get('bulk');
  const get = flags.get('get');
  if (bulk !== undefined && get !== undefined) throw usage('--bulk and --get are exclusive');
  let work: BenchWork = { kind: 'handshake' };
  if (bulk !== undefined) work = { kind: 'echo', bytes: parseBytes(bulk, usage) };
  if (get !== undefined) {
    // The path goes into the request line as is: nothing that would end or split it.
    if (!/^\/[\x21-\x7e]*$/.test(get)) throw usage(`--get: expected a path starting with '/' (printable ASCII, no spaces), got '${get}'`);
    work = { kind: 'get', path: get };
  }
  const svg = flags.get('svg');
  if (svg === '') throw usage('--svg needs a file name');
  const cl = flags.get('close') ?? 'notify';
  if (cl !== 'notify' && cl !== 'reset') throw usage(`--close: expected notify or reset, got '${cl}'`);
  return { durationMs, connections, handshakeLimit, resume: flags.has('resume'), work, seed, svg: svg ?? null, maxErrors, warmup, close: cl };
}

// ------------------------------------------------------------------ measurements

/** Growth factor of the latency histogram's buckets: each is 2% wider than the one before. */
export const HISTOGRAM_GROWTH = 1.02;
/** Buckets cover 1 µs .. ~1000 s; longer times land in the last one (the exact max is kept apart). */
const HISTOGRAM_BUCKETS = 1 + Math.ceil(Math.log(1e9) / Math.log(HISTOGRAM_GROWTH));

/**
 * Latencies in fixed memory: bucket 0 holds [0, 1) µs, bucket i ≥ 1 holds
 * [G^(i-1), G^i) µs with G = {@link HISTOGRAM_GROWTH}. Count, sum, min and max are exact;
 * a percentile is the upper bound of its bucket, clamped to [min, max] (at most 2% high).
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  /** Samples recorded. */
  count = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = 0;

  /** Records one latency, in milliseconds. */
  record(ms: number): void {
    const us = Math.max(0, ms * 1000);
    const i = us < 1 ? 0 : Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(Math.log(us) / Math.log(HISTOGRAM_GROWTH)) + 1);
    this.counts[i]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
  }

  /** Lower bound of bucket `i`, ms. */
  static bucketFrom(i: number): number {
    return i === 0 ? 0 : HISTOGRAM_GROWTH ** (i - 1) / 1000;
  }

  /** Upper bound of bucket `i`, ms. */
  static bucketTo(i: number): number {
    return HISTOGRAM_GROWTH ** i / 1000;
  }

  /** The latency below which a fraction `q` (0..1) of the samples lie, ms; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      // The last bucket also holds everything beyond its bound: its samples go up to max.
      if (seen >= rank) return i === HISTOGRAM_BUCKETS - 1 ? this.hi : Math.min(this.hi, Math.max(this.lo, LatencyHistogram.bucketTo(i)));
    }
    return this.hi;
  }

  /** min, mean, p50, p90, p99, max in ms; null when empty. */
  summary(): LatencySummary | null {
    if (this.count === 0) return null;
    return { min: this.lo, mean: this.sum / this.count, p50: this.quantile(0.5), p90: this.quantile(0.9), p99: this.quantile(0.99), max: this.hi };
  }

  /** The non-empty buckets, in order. */
  buckets(): HistogramBucket[] {
    const out: HistogramBucket[] = [];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const n = this.counts[i]!;
      if (n > 0) out.push({ fromMs: LatencyHistogram.bucketFrom(i), toMs: LatencyHistogram.bucketTo(i), count: n });
    }
    return out;
  }
}

/** Handshake latency figures, milliseconds. */
export interface LatencySummary {
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** One bucket of the latency histogram: samples in [fromMs, toMs). */
export interface HistogramBucket {
  readonly fromMs: number;
  readonly toMs: number;
  readonly count: number;
}

/** A "nice" interval (1, 2 or 5 × 10^k seconds, at least 0.1 s) giving at most ~50 intervals. */
function timelineInterval(durationMs: number): number {
  const target = durationMs / 1000 / 50;
  for (const base of [0.1, 1, 10, 100, 1000]) for (const m of [1, 2, 5]) if (base * m >= target) return base * m;
  return 1000;
}

/** Counts per interval since the start of the run; the array only grows to the end of the run. */
class Timeline {
  readonly handshakes: number[] = [];
  readonly failures: number[] = [];
  readonly intervalSeconds: number;
  constructor(intervalSeconds: number) {
    this.intervalSeconds = intervalSeconds;
  }

  add(which: 'handshakes' | 'failures', sinceStartMs: number): void {
    const i = Math.max(0, Math.floor(sinceStartMs / 1000 / this.intervalSeconds));
    for (const a of [this.handshakes, this.failures]) while (a.length <= i) a.push(0);
    this[which][i]!++;
  }
}

// ------------------------------------------------------------------ report

/** The negotiated parameters of the first successful handshake. */
export interface BenchSession {
  readonly version: string | null;
  readonly cipherSuite: string | null;
  readonly group: string | null;
  readonly signatureScheme: string | null;
  readonly alpn: string | null;
  readonly resumed: boolean;
  readonly helloRetryRequest: boolean;
  /** The crypto provider that ran the client's cryptography (`--crypto`: native, pure, ...). */
  readonly provider: string;
  /** Ignorable certificate errors that were accepted (`--ignore`). */
  readonly certificateErrors: readonly string[];
}

/** Data moved after the handshakes (`--bulk`, `--get`). */
export interface BenchBulk {
  readonly mode: 'echo' | 'get';
  /** `--bulk`: bytes sent (and expected back) per connection. */
  readonly bytesPerConnection: number | null;
  /** `--get`: the path requested. */
  readonly path: string | null;
  /** Transfers that ran to their end (all bytes echoed; the response read up to close_notify). */
  readonly completed: number;
  /** Transfers cut when the run stopped. */
  readonly cut: number;
  /** Transfers that failed (also counted in `errors`). */
  readonly failures: number;
  /** Application bytes written and read, all connections together. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** bytesSent and bytesReceived over the run's elapsed time (handshakes included), 10^6 bytes per second. */
  readonly sentMBps: number;
  readonly receivedMBps: number;
}

/** What `puretls bench --json` prints (one JSON object). */
export interface BenchReport {
  readonly target: string;
  readonly serverName: string | null;
  readonly settings: {
    readonly connections: number;
    readonly durationSeconds: number;
    readonly handshakeLimit: number | null;
    readonly warmup: number;
    readonly mode: BenchWork['kind'];
    readonly seed: number | null;
    readonly maxErrors: number;
    /** How each attempt ended: close_notify, or a TCP reset as `s_time` does. */
    readonly close: BenchClose;
    /** `--resume`: sessions kept and offered. */
    readonly resume: boolean;
  };
  /** Why the run ended: the duration passed, the handshake limit was reached, too many failures in a row. */
  readonly stoppedBy: 'duration' | 'handshakes' | 'errors';
  /** Warm-up handshakes made before the clock started (not counted below). */
  readonly warmupHandshakes: number;
  /** From the first dial to the end of the last attempt counted (at least the duration when that stopped it). */
  readonly elapsedSeconds: number;
  readonly attempts: number;
  /** Successful full handshakes: the histogram's and the timeline's totals. */
  readonly handshakes: number;
  /** Failed handshakes (see `errors`). */
  readonly failures: number;
  /** Handshakes still in flight when the grace period after the stop ended. */
  readonly abandoned: number;
  readonly handshakesPerSecond: number;
  /**
   * Handshakes the server resumed (`info.resumed`; also counted in `handshakes`). Always 0
   * without `--resume`: the connections then keep no session.
   */
  readonly resumedHandshakes: number;
  /** `--resume`: sessions the server's NewSessionTickets delivered to the store during the run. */
  readonly sessionsReceived: number;
  readonly latencyMs: LatencySummary | null;
  readonly histogram: { readonly growth: number; readonly buckets: readonly HistogramBucket[] };
  readonly timeline: { readonly intervalSeconds: number; readonly handshakes: readonly number[]; readonly failures: readonly number[] };
  readonly session: BenchSession | null;
  readonly bulk: BenchBulk | null;
  /** CPU time of this process (the client) during the run, and what it suggests. */
  readonly cpu: {
    readonly userSeconds: number;
    readonly systemSeconds: number;
    /** CPU seconds per elapsed second: near 1, the client (one thread) was the bottleneck. */
    readonly utilisation: number;
    /** Handshakes per second of user CPU time (`s_time`'s "connections/user sec"). */
    readonly handshakesPerUserSecond: number;
    /**
     * Client CPU time (user + system) per successful handshake, ms (0 without one). With one
     * connection at once, the rest of each handshake's time (1000 / handshakesPerSecond minus
     * this) is spent waiting: the server's CPU, the network, the scheduler.
     */
    readonly msPerHandshake: number;
  };
  /** Failures by status (handshakes and transfers). */
  readonly errors: Readonly<Record<string, number>>;
}

/** How src/cli.ts prints: streams and the CLI's own error formats. */
export interface BenchIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** The CLI's one-paragraph description of a failure (status, alert, detail, certificate errors). */
  readonly describeError: (err: TlsError, info: ConnectionInfo | null) => string;
  /** The CLI's JSON of a failure (`error: { status, alert, message }`, `certificateErrors`, ...). */
  readonly errorJson: (err: TlsError, info: ConnectionInfo | null) => Record<string, unknown>;
}

// ------------------------------------------------------------------ the run

/** Per-connection seed: a 32-bit mix of the run's seed and the attempt's index. */
export function connectionSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

const LINE = 1024;
const CHUNK = 16 * LINE;

/**
 * 16 KiB of text for `--bulk`: lines of 1023 characters from [a-z0-9] and a LF, so
 * `openssl s_server -rev` answers each with a line of the same length (it strips the line
 * end, reverses, adds a LF; the line "CLOSE" would end its session and cannot occur).
 */
function bulkPattern(random: (n: number) => Uint8Array): Uint8Array {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = random(CHUNK);
  const out = new Uint8Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) out[i] = i % LINE === LINE - 1 ? 0x0a : alphabet.charCodeAt(bytes[i]! % alphabet.length);
  return out;
}

type Outcome = { readonly kind: 'ok' } | { readonly kind: 'failed'; readonly error: TlsError; readonly info: ConnectionInfo | null } | { readonly kind: 'abandoned' };

function hostForUrl(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** What a run counts; replaced by a fresh one after the warm-up. */
class Tally {
  readonly histogram = new LatencyHistogram();
  readonly timeline: Timeline;
  readonly errors = new Map<string, number>();
  firstError: { error: TlsError; info: ConnectionInfo | null } | null = null;
  session: BenchSession | null = null;
  handshakes = 0;
  failures = 0;
  abandoned = 0;
  lastSettled = 0;
  bulkCompleted = 0;
  bulkCut = 0;
  bulkFailures = 0;
  bytesSent = 0;
  bytesReceived = 0;
  resumed = 0;
  constructor(timeline: Timeline) {
    this.timeline = timeline;
  }
}

/** Longest wait, after a handshake under `--resume`, for the server's NewSessionTicket, ms. */
export const TICKET_WAIT_MS = 1000;

/**
 * `--resume`: the session store every connection shares (a {@link MemorySessionStore}), which
 * also says when the server's NewSessionTicket delivered a new session.
 */
export class TicketWatch implements SessionStore {
  private readonly inner: MemorySessionStore;
  private waiters: (() => void)[] = [];
  /** Sessions put so far. */
  puts = 0;

  constructor(inner = new MemorySessionStore({ maxSessions: 64, maxPerKey: 8 })) {
    this.inner = inner;
  }

  get(key: string): ResumableSession | undefined {
    return this.inner.get(key);
  }

  put(key: string, session: ResumableSession): void {
    this.inner.put(key, session);
    this.puts++;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  delete(key: string, session: ResumableSession): void {
    this.inner.delete(key, session);
  }

  /** Resolves once more than `since` sessions were put, or after `ms`, or when `cancel` is called. */
  after(since: number, ms: number): { done: Promise<void>; cancel: () => void } {
    let cancel = (): void => {};
    const done = new Promise<void>((resolve) => {
      if (this.puts > since) {
        resolve();
        return;
      }
      const timer = setTimeout(finish, ms);
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
      cancel = finish;
      this.waiters.push(finish);
    });
    return { done, cancel };
  }
}

/** One benchmark run: workers, counters, and the sockets still open. */
class BenchRun<O extends BenchConnectOptions> {
  private readonly settings: BenchSettings;
  private readonly options: O;
  private readonly transport: BenchTransport<O>;
  private readonly graceMs: number;
  private tally: Tally;
  private started = 0;
  private inARow = 0;
  private stoppedBy: BenchReport['stoppedBy'] | null = null;
  private stopTime = 0;
  private t0 = 0;
  /** Attempts in their handshake: destroyed when the grace period ends. */
  private readonly handshaking = new Set<() => void>();
  /** Transfers in progress: cut when the run stops. */
  private readonly transferring = new Set<() => void>();
  /** Sockets closing after their work: destroyed when the run ends. */
  private readonly closing = new Set<BenchSocket>();
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly pattern: Uint8Array | null;
  /** Warm-up attempts that completed (not counted in the report's figures). */
  private warmedUp = 0;
  /** A configuration error thrown by `connect()` itself: the same for every attempt. */
  configError: TlsError | null = null;
  /** `--resume`: the shared session store. */
  private readonly store: TicketWatch | null;
  private putsAtStart = 0;

  constructor(settings: BenchSettings, options: O, transport: BenchTransport<O>, graceMs: number, store: TicketWatch | null) {
    this.store = store;
    this.settings = settings;
    this.options = options;
    this.transport = transport;
    this.graceMs = graceMs;
    this.tally = new Tally(new Timeline(timelineInterval(settings.durationMs)));
    const random = settings.seed === null ? (n: number) => crypto.getRandomValues(new Uint8Array(n)) : seededRandom(connectionSeed(settings.seed, -1));
    this.pattern = settings.work.kind === 'echo' ? bulkPattern(random) : null;
  }

  async run(): Promise<BenchReport> {
    // Warm-up: attempts one after the other, before the clock starts (JIT, the crypto
    // library's tables, the server's caches). A failure there ends the run: it is reported.
    this.t0 = performance.now();
    const warmupMs = Math.max(this.settings.durationMs, this.settings.warmupLimitMs ?? MAX_WARMUP_MS) + this.graceMs;
    const warmupEnd = this.t0 + warmupMs;
    // The warm-up's end bounds its work too: a transfer (or a wait for a ticket) that never
    // ends (a server that never echoes, never closes after a GET) is cut then, as the run's
    // transfers are at its stop; handshakes have their own bound (attemptBounded).
    const warmupTimer =
      this.settings.warmup > 0
        ? setTimeout(() => {
            for (const cut of [...this.transferring]) cut();
          }, warmupMs)
        : null;
    try {
      for (let i = 0; i < this.settings.warmup && this.configError === null && performance.now() < warmupEnd; i++) {
        const outcome = await this.attemptBounded(this.started++);
        if (outcome.kind !== 'ok') {
          this.settle(outcome);
          this.stoppedBy = 'errors';
          for (const s of this.closing) s.destroy();
          return this.report({ user: 0, system: 0 });
        }
        this.warmedUp++;
      }
    } finally {
      if (warmupTimer) clearTimeout(warmupTimer);
    }
    this.tally = new Tally(new Timeline(timelineInterval(this.settings.durationMs)));
    this.putsAtStart = this.store?.puts ?? 0;
    const cpu0 = process.cpuUsage();
    this.t0 = performance.now();
    const deadline = setTimeout(() => this.stop('duration'), this.settings.durationMs);
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.settings.connections; i++) workers.push(this.worker());
    await Promise.all(workers);
    clearTimeout(deadline);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    const cpu = process.cpuUsage(cpu0);
    if (this.stoppedBy === null) this.stoppedBy = 'handshakes';
    for (const s of this.closing) s.destroy();
    this.closing.clear();
    return this.report(cpu);
  }

  private get stopped(): boolean {
    return this.stoppedBy !== null;
  }

  /** No attempt starts after this; transfers are cut; handshakes in flight get the grace period. */
  private stop(why: BenchReport['stoppedBy']): void {
    if (this.stoppedBy !== null) return;
    this.stoppedBy = why;
    this.stopTime = performance.now();
    for (const cut of [...this.transferring]) cut();
    if (this.handshaking.size > 0) {
      this.graceTimer = setTimeout(() => {
        for (const abandon of [...this.handshaking]) abandon();
      }, this.graceMs);
    }
  }

  private async worker(): Promise<void> {
    const limit = this.settings.handshakeLimit;
    // With a limit, the last attempts may still run in other workers: run() waits for them.
    while (!this.stopped && this.configError === null && (limit === null || this.started - this.warmedUp < limit)) {
      const outcome = await this.attempt(this.started++);
      this.settle(outcome);
    }
  }

  /** A warm-up attempt: abandoned after the grace period if the handshake has not ended by then. */
  private attemptBounded(index: number): Promise<Outcome> {
    const p = this.attempt(index);
    const timer = setTimeout(() => {
      for (const abandon of [...this.handshaking]) abandon();
    }, this.graceMs);
    return p.finally(() => clearTimeout(timer));
  }

  private settle(outcome: Outcome): void {
    const t = this.tally;
    const now = performance.now();
    if (outcome.kind === 'abandoned') {
      t.abandoned++;
      return;
    }
    t.lastSettled = now;
    if (outcome.kind === 'ok') {
      this.inARow = 0;
      return;
    }
    t.failures++;
    t.timeline.add('failures', now - this.t0);
    this.countError(outcome.error, outcome.info);
    this.inARow++;
    if (this.settings.maxErrors > 0 && this.inARow >= this.settings.maxErrors) this.stop('errors');
  }

  private countError(error: TlsError, info: ConnectionInfo | null): void {
    const t = this.tally;
    t.errors.set(error.status, (t.errors.get(error.status) ?? 0) + 1);
    if (t.firstError === null) t.firstError = { error, info };
  }

  /** First error seen, for the report of a failed run. */
  get error(): { error: TlsError; info: ConnectionInfo | null } | null {
    return this.configError ? { error: this.configError, info: null } : this.tally.firstError;
  }

  /**
   * Opens the TCP connection of one attempt, as `s_time` does: TCP_NODELAY (every flight is
   * one write, so this only keeps Nagle from holding a close_notify or a request back behind
   * an unacknowledged flight), half-open allowed (TLS decides when each direction ends).
   */
  private dial(): net.Socket {
    const o = this.options;
    const tcp = net.connect({ host: o.host ?? 'localhost', port: o.port ?? 0, family: o.family, noDelay: true, allowHalfOpen: true });
    return tcp;
  }

  private attempt(index: number): Promise<Outcome> {
    // --resume: sessions stored from here on came with this attempt (or one running beside it).
    // Counted from the start: a TLS 1.2 server's session (ID or ticket) is stored by the time
    // the handshake completes, a TLS 1.3 ticket arrives after it.
    const puts = this.store?.puts ?? 0;
    const start = performance.now();
    const tcp = this.dial();
    const host = this.options.host ?? 'localhost';
    const opts: O =
      this.settings.seed === null ? { ...this.options, host, socket: tcp } : { ...this.options, host, socket: tcp, random: seededRandom(connectionSeed(this.settings.seed, index)) };
    let socket: BenchSocket;
    try {
      socket = this.transport.connect(opts);
    } catch (e) {
      tcp.on('error', () => {
        // the dial is abandoned: its outcome does not matter
      });
      tcp.destroy();
      // connect() checks the options before its handshake: every attempt would fail alike.
      this.configError = this.transport.toTlsError(e);
      this.stop('errors');
      return Promise.resolve({ kind: 'abandoned' });
    }
    return new Promise<Outcome>((resolve) => {
      let done = false;
      const finish = (o: Outcome): void => {
        if (done) return;
        done = true;
        this.handshaking.delete(abandon);
        resolve(o);
      };
      const abandon = (): void => {
        socket.destroy();
        finish({ kind: 'abandoned' });
      };
      this.handshaking.add(abandon);
      socket.on('error', (e: Error) => finish({ kind: 'failed', error: this.transport.toTlsError(e), info: socket.connection.info }));
      socket.once('secureConnect', () => {
        const now = performance.now();
        const t = this.tally;
        this.handshaking.delete(abandon);
        t.handshakes++;
        t.histogram.record(now - start);
        t.timeline.add('handshakes', now - this.t0);
        // Only --resume offers sessions (else the store is `false`): a full run never reads
        // the connection's info (built afresh on each read) after its first handshake.
        if (this.store !== null && socket.info.resumed) t.resumed++;
        if (t.session === null) t.session = sessionOf(socket.info);
        if (this.settings.work.kind === 'handshake' || this.stopped) {
          if (this.wantsTicket(socket, puts)) {
            // --resume: the next attempt needs the session this server's ticket brings.
            socket.removeAllListeners('error');
            socket.on('error', () => {
              // the handshake is counted; a failure while waiting for the ticket only ends the wait
            });
            void this.awaitTicket(puts, socket).then(() => {
              this.close(socket, tcp);
              finish({ kind: 'ok' });
            });
            return;
          }
          this.close(socket, tcp);
          finish({ kind: 'ok' });
          return;
        }
        socket.removeAllListeners('error');
        void this.transfer(socket, tcp, this.settings.work, puts).then(() => finish({ kind: 'ok' }));
      });
    });
  }

  /**
   * `--resume`, TLS 1.3: no session was stored since the attempt started, and the server's
   * NewSessionTicket (sent after our Finished) may still bring one. In TLS 1.2 the session
   * (ID or ticket) comes within the handshake or not at all: nothing to wait for.
   */
  private wantsTicket(socket: BenchSocket, since: number): boolean {
    return this.store !== null && !this.stopped && this.store.puts <= since && socket.info.version === 'TLSv1.3';
  }

  /**
   * `--resume`: waits until the store got a session after `since` sessions (the server's
   * NewSessionTicket), at most {@link TICKET_WAIT_MS}; cut short when the run stops or the
   * connection closes.
   */
  private awaitTicket(since: number, socket: BenchSocket): Promise<void> {
    const w = this.store!.after(since, TICKET_WAIT_MS);
    this.transferring.add(w.cancel);
    socket.once('close', w.cancel);
    return w.done.then(() => {
      this.transferring.delete(w.cancel);
      socket.off('close', w.cancel);
    });
  }

  /**
   * `--close notify`: sends our close_notify, then closes the transport without waiting for
   * the peer's. `--close reset`: no close_notify, the TCP connection is reset (as `s_time`).
   */
  private close(socket: BenchSocket, tcp: net.Socket): void {
    if (this.settings.close === 'reset') {
      socket.on('error', () => {
        // the reset is ours: nothing after it is counted
      });
      tcp.resetAndDestroy();
      socket.destroy();
      return;
    }
    this.closing.add(socket);
    socket.on('error', () => {
      // after the work is done, a late failure (a reset, a peer closing without close_notify) is not counted
    });
    socket.once('close', () => this.closing.delete(socket));
    socket.once('finish', () => socket.destroy());
    socket.end();
    socket.resume();
  }

  /** The data phase of one attempt; resolves when it ended (counted here), never rejects. */
  private transfer(socket: BenchSocket, tcp: net.Socket, work: Exclude<BenchWork, { kind: 'handshake' }>, puts: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let received = 0;
      let sent = 0;
      let ended = false;
      const end = (how: 'completed' | 'cut' | TlsError): void => {
        if (ended) return;
        ended = true;
        const t = this.tally;
        this.transferring.delete(cut);
        t.bytesReceived += received;
        t.bytesSent += sent;
        socket.removeAllListeners('data');
        if (how === 'completed') t.bulkCompleted++;
        else if (how === 'cut') t.bulkCut++;
        else {
          t.bulkFailures++;
          this.countError(how, socket.connection.info);
          t.timeline.add('failures', performance.now() - this.t0);
        }
        if (how === 'completed' && this.wantsTicket(socket, puts)) {
          // --resume: a ticket that has not arrived yet is waited for, before the next attempt starts.
          void this.awaitTicket(puts, socket).then(() => {
            this.close(socket, tcp);
            resolve();
          });
          return;
        }
        if (how === 'completed') this.close(socket, tcp);
        else {
          socket.on('error', () => {
            // counted above
          });
          socket.destroy();
        }
        resolve();
      };
      const cut = (): void => end('cut');
      this.transferring.add(cut);
      socket.on('error', (e: Error) => end(this.transport.toTlsError(e)));
      if (work.kind === 'get') {
        const host = this.options.servername ?? hostForUrl(this.options.host ?? 'localhost');
        const request = Buffer.from(`GET ${work.path} HTTP/1.0\r\nHost: ${host}${this.options.port === 443 ? '' : `:${this.options.port ?? ''}`}\r\n\r\n`, 'latin1');
        sent = request.length;
        socket.on('data', (d: Buffer) => (received += d.length));
        // The response ends with the server's close_notify ('end'); EOF without it is an error (Truncated).
        socket.once('end', () => end('completed'));
        socket.write(request);
        return;
      }
      const total = work.bytes;
      const pattern = this.pattern!;
      socket.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= total) end('completed');
      });
      socket.once('end', () => {
        if (received < total) end(new TlsError('Closed', { detail: `the server closed after echoing ${received} of ${total} bytes`, source: 'peer' }));
      });
      const write = (): void => {
        while (!ended && sent < total) {
          const n = Math.min(CHUNK, total - sent);
          let chunk = pattern.subarray(0, n);
          if (sent + n === total && chunk[n - 1] !== 0x0a) {
            // The last line ends with a LF too, or a line-based echo server would wait for it.
            chunk = Uint8Array.from(chunk);
            chunk[n - 1] = 0x0a;
          }
          sent += n;
          if (!socket.write(chunk)) {
            socket.once('drain', write);
            return;
          }
        }
      };
      write();
    });
  }

  private report(cpu: NodeJS.CpuUsage): BenchReport {
    const s = this.settings;
    const t = this.tally;
    const end = Math.max(t.lastSettled, this.stoppedBy === 'duration' ? this.stopTime : this.t0);
    const elapsed = Math.max(end - this.t0, 1e-3) / 1000;
    const per = (n: number): number => (elapsed > 0 ? n / elapsed : 0);
    const user = cpu.user / 1e6;
    const system = cpu.system / 1e6;
    const host = this.options.host ?? 'localhost';
    const work = s.work;
    const bulk: BenchBulk | null =
      work.kind === 'handshake'
        ? null
        : {
            mode: work.kind,
            bytesPerConnection: work.kind === 'echo' ? work.bytes : null,
            path: work.kind === 'get' ? work.path : null,
            completed: t.bulkCompleted,
            cut: t.bulkCut,
            failures: t.bulkFailures,
            bytesSent: t.bytesSent,
            bytesReceived: t.bytesReceived,
            sentMBps: per(t.bytesSent) / 1e6,
            receivedMBps: per(t.bytesReceived) / 1e6,
          };
    return {
      target: `${hostForUrl(host)}:${this.options.port ?? ''}`,
      serverName: this.options.servername ?? null,
      settings: {
        connections: s.connections,
        durationSeconds: s.durationMs / 1000,
        handshakeLimit: s.handshakeLimit,
        warmup: s.warmup,
        mode: work.kind,
        seed: s.seed,
        maxErrors: s.maxErrors,
        close: s.close,
        resume: s.resume,
      },
      stoppedBy: this.stoppedBy ?? 'duration',
      warmupHandshakes: this.warmedUp,
      elapsedSeconds: elapsed,
      attempts: t.handshakes + t.failures + t.abandoned,
      handshakes: t.handshakes,
      failures: t.failures,
      abandoned: t.abandoned,
      handshakesPerSecond: per(t.handshakes),
      resumedHandshakes: t.resumed,
      sessionsReceived: this.store === null ? 0 : this.store.puts - this.putsAtStart,
      latencyMs: t.histogram.summary(),
      histogram: { growth: HISTOGRAM_GROWTH, buckets: t.histogram.buckets() },
      timeline: { intervalSeconds: t.timeline.intervalSeconds, handshakes: t.timeline.handshakes, failures: t.timeline.failures },
      session: t.session,
      bulk,
      cpu: {
        userSeconds: user,
        systemSeconds: system,
        utilisation: per(user + system),
        handshakesPerUserSecond: user > 0 ? t.handshakes / user : 0,
        msPerHandshake: t.handshakes > 0 ? ((user + system) * 1000) / t.handshakes : 0,
      },
      errors: Object.fromEntries(t.errors),
    };
  }
}

function sessionOf(info: ConnectionInfo): BenchSession {
  return {
    version: info.version,
    cipherSuite: info.cipherSuite,
    group: info.group,
    signatureScheme: info.signatureScheme,
    alpn: info.alpn,
    resumed: info.resumed,
    helloRetryRequest: info.helloRetryRequest,
    provider: info.provider,
    certificateErrors: [...new Set(info.certificateErrors.map((e) => e.code))],
  };
}

/**
 * Runs `puretls bench` and prints its report: text on stdout, or with `json` one JSON object
 * on stdout and the text on stderr (unless `quiet`); with `settings.svg`, the chart.
 *
 * @param options - the options of `puretls connect` (files read), for every connection
 * @param transport - how to connect (src/cli.ts: the Node adapter)
 * @returns the exit status: 0 when every attempt succeeded (at least one), 1 when any
 *   failed, none succeeded, or the options were refused (the first error is printed as
 *   `puretls connect` prints it, with the counts by status)
 */
export async function runBench<O extends BenchConnectOptions>(
  settings: BenchSettings,
  options: () => O,
  transport: BenchTransport<O>,
  out: { json: boolean; quiet: boolean },
  io: BenchIo,
): Promise<number> {
  const toTlsError = transport.toTlsError;
  const fail = (err: TlsError, info: ConnectionInfo | null): number => {
    if (out.json) io.stdout(`${JSON.stringify(io.errorJson(err, info))}\n`);
    io.stderr(`puretls: error: ${io.describeError(err, info)}\n`);
    return 1;
  };
  let base: O;
  try {
    base = options();
  } catch (e) {
    return fail(toTlsError(e), null);
  }
  // Full handshakes keep no session (a shared config's store would resume them); --resume
  // shares one store between every connection, and watches it for the server's tickets.
  const store = settings.resume ? new TicketWatch() : null;
  base = { ...base, sessionStore: store ?? false };
  if (settings.seed === null) {
    // One client config for every connection, as an application would build it (issue 9
    // item 1): connecting parses nothing. With --seed, each connection's random source is
    // its own, and the random source belongs to the config: one config per connection then.
    try {
      base = transport.shareConfig(base);
    } catch (e) {
      return fail(toTlsError(e), null);
    }
  }
  if (base.handshakeTimeout === undefined) base = { ...base, handshakeTimeout: DEFAULT_BENCH_HANDSHAKE_TIMEOUT };
  // Sockets that fail after sending their alert linger to let the server read it: not for long here.
  if (base.lingerTimeout === undefined) base = { ...base, lingerTimeout: 500 };
  const grace = Math.min(base.handshakeTimeout! > 0 ? base.handshakeTimeout! : DEFAULT_BENCH_HANDSHAKE_TIMEOUT, MAX_GRACE_MS);
  if (settings.seed !== null && !out.quiet) {
    io.stderr('puretls: note: --seed makes every random value of the client predictable (key shares included): for testing only\n');
  }
  if (!out.quiet) io.stderr(`${planText(settings, base)}\n`);

  const run = new BenchRun(settings, base, transport, grace, store);
  const report = await run.run();
  const first = run.error;
  if (run.configError !== null) return fail(run.configError, null);

  const text = reportText(report);
  if (out.json) {
    const json: Record<string, unknown> = { ...report };
    if (first) Object.assign(json, io.errorJson(first.error, first.info));
    io.stdout(`${JSON.stringify(json)}\n`);
    if (!out.quiet) io.stderr(text);
  } else io.stdout(text);
  let code = report.handshakes > 0 && report.failures === 0 && (report.bulk?.failures ?? 0) === 0 ? 0 : 1;
  if (first) io.stderr(`puretls: error: ${io.describeError(first.error, first.info)}\n`);
  else if (report.handshakes === 0) {
    io.stderr('puretls: error: no handshake completed\n');
    code = 1;
  }
  if (settings.svg !== null) {
    try {
      writeFileSync(settings.svg, benchSvg(report));
    } catch (e) {
      io.stderr(`puretls: error: ${io.describeError(new TlsError('InvalidConfig', { detail: `cannot write --svg ${settings.svg}: ${e instanceof Error ? e.message : String(e)}`, cause: e, source: 'caller' }), null)}\n`);
      code = 1;
    }
  }
  return code;
}

// ------------------------------------------------------------------ text

function fmt(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function modeText(w: BenchWork, resume: boolean): string {
  const hs = resume ? 'handshakes resuming the last session' : 'full handshakes';
  if (w.kind === 'handshake') return hs;
  if (w.kind === 'echo') return `${hs} + echo of ${w.bytes} bytes each`;
  return `${hs} + GET ${w.path}`;
}

function planText(s: BenchSettings, o: BenchConnectOptions): string {
  const limit = s.handshakeLimit === null ? '' : `, at most ${s.handshakeLimit} handshakes`;
  return `puretls bench ${hostForUrl(o.host ?? 'localhost')}:${o.port ?? ''}: ${modeText(s.work, s.resume)}, ${s.connections} connection${s.connections === 1 ? '' : 's'} at once, ${s.durationMs / 1000} s${limit}${s.seed === null ? '' : `, seed ${s.seed}`}${s.close === 'reset' ? ', closed by TCP reset (no close_notify)' : ''}`;
}

/** The human-readable report (what `puretls bench` prints without `--json`). */
export function reportText(r: BenchReport): string {
  const lines: string[] = [];
  const s = r.session;
  if (s) {
    const errs = s.certificateErrors.length > 0 ? ` (accepted certificate errors: ${s.certificateErrors.join(', ')})` : '';
    lines.push(`session:     ${s.version ?? '-'} ${s.cipherSuite ?? '-'} ${s.group ?? '-'} ${s.signatureScheme ?? '-'}${s.alpn ? ` alpn=${s.alpn}` : ''}, crypto provider ${s.provider}${errs}`);
  }
  lines.push(
    `handshakes:  ${r.handshakes} in ${fmt(r.elapsedSeconds)} s = ${fmt(r.handshakesPerSecond, 1)}/s with ${r.settings.connections} connection${r.settings.connections === 1 ? '' : 's'} at once (failed ${r.failures}, abandoned ${r.abandoned}; stopped by ${r.stoppedBy})`,
  );
  const l = r.latencyMs;
  if (l) lines.push(`latency ms:  min ${fmt(l.min)}  mean ${fmt(l.mean)}  p50 ${fmt(l.p50)}  p90 ${fmt(l.p90)}  p99 ${fmt(l.p99)}  max ${fmt(l.max)}  (dial to handshake done)`);
  lines.push(
    `client CPU:  ${fmt(r.cpu.userSeconds)} s user + ${fmt(r.cpu.systemSeconds)} s system = ${fmt(r.cpu.utilisation * 100, 0)}% of one core; ${fmt(r.cpu.msPerHandshake, 3)} ms per handshake; ${fmt(r.cpu.handshakesPerUserSecond, 1)} handshakes per user-CPU second`,
  );
  const b = r.bulk;
  if (b) {
    const what = b.mode === 'echo' ? `echo ${b.bytesPerConnection} bytes per connection` : `GET ${b.path}`;
    lines.push(
      `bulk:        ${what}: ${b.completed} completed, ${b.cut} cut at the stop, ${b.failures} failed; sent ${b.bytesSent} B (${fmt(b.sentMBps, 3)} MB/s), received ${b.bytesReceived} B (${fmt(b.receivedMBps, 3)} MB/s)`,
    );
  }
  const errs = Object.entries(r.errors);
  if (errs.length > 0) lines.push(`errors:      ${errs.map(([k, v]) => `${k} ×${v}`).join(', ')}`);
  if (r.settings.resume) {
    lines.push(`resumed:     ${r.resumedHandshakes} of ${r.handshakes} handshakes (${fmt(r.handshakes > 0 ? (100 * r.resumedHandshakes) / r.handshakes : NaN, 0)}%) = ${fmt(r.resumedHandshakes / r.elapsedSeconds, 1)}/s; ${r.sessionsReceived} sessions received from tickets`);
  } else lines.push('resumed:     none: every handshake is full (no session kept; --resume measures resumed ones)');
  return `${lines.join('\n')}\n`;
}

// ------------------------------------------------------------------ SVG

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A compact number for axis labels. */
function tick(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 1000) return `${+(n / 1000).toFixed(1)}k`;
  if (Math.abs(n) >= 10) return `${Math.round(n)}`;
  if (Math.abs(n) >= 1) return `${+n.toFixed(1)}`;
  return `${+n.toPrecision(2)}`;
}

/** Up to `n` round tick values from 0 to at least `max`. */
function ticks(max: number, n = 5): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v < max + step / 2; v += step) out.push(+v.toPrecision(12));
  if (out[out.length - 1]! < max) out.push(+(out[out.length - 1]! + step).toPrecision(12));
  return out;
}

/**
 * The chart of a run, as standalone SVG (no script, no external resource): the latency
 * histogram (log-spaced latency axis, p50/p90/p99 marked) above the handshake rate over
 * time (failures in red).
 */
export function benchSvg(r: BenchReport): string {
  const W = 820;
  const H = 560;
  const left = 70;
  const right = W - 30;
  const parts: string[] = [];
  const text = (x: number, y: number, s: string, attrs = ''): void => {
    parts.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(s)}</text>`);
  };
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  const s = r.session;
  text(left, 24, `puretls bench ${r.target}: ${r.handshakes} handshakes in ${fmt(r.elapsedSeconds)} s = ${fmt(r.handshakesPerSecond, 1)}/s, ${r.settings.connections} at once`, 'font-size="15" font-weight="bold"');
  text(left, 42, s ? `${s.version ?? '-'} ${s.cipherSuite ?? '-'} ${s.group ?? '-'} ${s.signatureScheme ?? '-'}, ${s.provider} provider; failed ${r.failures}, abandoned ${r.abandoned}` : `no handshake completed; failed ${r.failures}`, 'fill="#444"');

  // -- latency histogram
  const hTop = 70;
  const hBottom = 270;
  text(left, hTop - 8, 'Handshake latency (dial to handshake done), ms — log scale', 'font-weight="bold"');
  const l = r.latencyMs;
  const buckets = r.histogram.buckets;
  if (l && buckets.length > 0) {
    const lo = Math.max(1e-3, buckets[0]!.fromMs);
    const hi = Math.max(lo * 1.5, buckets[buckets.length - 1]!.toMs);
    const x = (ms: number): number => left + ((Math.log(Math.max(ms, lo)) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * (right - left);
    // Merge the fine buckets into at most 60 display bins of equal width on the log axis.
    const bins = Math.min(60, buckets.length * 2);
    const counts = new Array<number>(bins).fill(0);
    for (const b of buckets) {
      const mid = Math.sqrt(Math.max(b.fromMs, lo) * b.toMs);
      const i = Math.min(bins - 1, Math.max(0, Math.floor(((Math.log(mid) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) * bins)));
      counts[i]! += b.count;
    }
    const maxCount = Math.max(...counts);
    const yTicks = ticks(maxCount, 4);
    const yMax = yTicks[yTicks.length - 1]!;
    const y = (c: number): number => hBottom - (c / yMax) * (hBottom - hTop);
    for (const t of yTicks) {
      parts.push(`<line x1="${left}" x2="${right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`);
      text(left - 6, y(t) + 4, tick(t), 'text-anchor="end" fill="#444"');
    }
    const bw = (right - left) / bins;
    counts.forEach((c, i) => {
      if (c > 0) parts.push(`<rect x="${(left + i * bw + 0.5).toFixed(1)}" y="${y(c).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${(hBottom - y(c)).toFixed(1)}" fill="#4878a8"/>`);
    });
    const decade = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000];
    for (const v of decade) if (v >= lo && v <= hi) text(x(v), hBottom + 16, tick(v), 'text-anchor="middle" fill="#444"');
    for (const [name, v, color] of [
      ['p50', l.p50, '#2a2'],
      ['p90', l.p90, '#d80'],
      ['p99', l.p99, '#c22'],
    ] as const) {
      parts.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${hTop}" y2="${hBottom}" stroke="${color}" stroke-dasharray="4 3"/>`);
      // Labels near the right edge go to the left of their line.
      const nearEdge = x(v) > right - 90;
      text(nearEdge ? x(v) - 3 : x(v) + 3, hTop + 12 + (name === 'p50' ? 0 : name === 'p90' ? 14 : 28), `${name} ${fmt(v)}`, `fill="${color}"${nearEdge ? ' text-anchor="end"' : ''}`);
    }
    text(right, hTop - 8, `min ${fmt(l.min)}  mean ${fmt(l.mean)}  max ${fmt(l.max)}`, 'text-anchor="end" fill="#444"');
  } else text(left, (hTop + hBottom) / 2, 'no handshake completed', 'fill="#c22"');
  parts.push(`<line x1="${left}" x2="${right}" y1="${hBottom}" y2="${hBottom}" stroke="#888"/>`);
  text(16, (hTop + hBottom) / 2, 'handshakes', `transform="rotate(-90 16 ${(hTop + hBottom) / 2})" text-anchor="middle" fill="#444"`);

  // -- rate over time
  const tTop = 330;
  const tBottom = 520;
  const iv = r.timeline.intervalSeconds;
  text(left, tTop - 8, `Handshakes per second over time (${iv} s intervals; failures in red)`, 'font-weight="bold"');
  const n = Math.max(r.timeline.handshakes.length, 1);
  const rates = r.timeline.handshakes.map((c) => c / iv);
  const fails = r.timeline.failures.map((c) => c / iv);
  const maxRate = Math.max(1, ...rates, ...fails) * 1.1;
  const rTicks = ticks(maxRate, 4);
  const rMax = rTicks[rTicks.length - 1]!;
  const ry = (v: number): number => tBottom - (v / rMax) * (tBottom - tTop);
  for (const t of rTicks) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${ry(t).toFixed(1)}" y2="${ry(t).toFixed(1)}" stroke="#eee"/>`);
    text(left - 6, ry(t) + 4, tick(t), 'text-anchor="end" fill="#444"');
  }
  const cw = (right - left) / n;
  rates.forEach((v, i) => {
    if (v > 0) parts.push(`<rect x="${(left + i * cw).toFixed(1)}" y="${ry(v).toFixed(1)}" width="${Math.max(0.5, cw - (cw > 3 ? 1 : 0)).toFixed(1)}" height="${(tBottom - ry(v)).toFixed(1)}" fill="#4878a8"/>`);
  });
  fails.forEach((v, i) => {
    if (v > 0) parts.push(`<rect x="${(left + i * cw).toFixed(1)}" y="${ry(v).toFixed(1)}" width="${Math.max(0.5, cw / 2).toFixed(1)}" height="${(tBottom - ry(v)).toFixed(1)}" fill="#c22"/>`);
  });
  const avg = r.handshakesPerSecond;
  if (avg > 0) {
    parts.push(`<line x1="${left}" x2="${right}" y1="${ry(avg).toFixed(1)}" y2="${ry(avg).toFixed(1)}" stroke="#2a2" stroke-dasharray="4 3"/>`);
    text(right, tTop - 8, `mean ${fmt(avg, 1)}/s (dashed)`, 'text-anchor="end" fill="#2a2"');
  }
  const secs = n * iv;
  for (const t of ticks(secs, 8)) if (t <= secs + 1e-9) text(left + (t / iv) * cw, tBottom + 16, `${tick(t)}s`, 'text-anchor="middle" fill="#444"');
  parts.push(`<line x1="${left}" x2="${right}" y1="${tBottom}" y2="${tBottom}" stroke="#888"/>`);
  text(16, (tTop + tBottom) / 2, 'per second', `transform="rotate(-90 16 ${(tTop + tBottom) / 2})" text-anchor="middle" fill="#444"`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

// ------------------------------------------------------------------ help

/** `puretls bench --help`. */
export const BENCH_HELP = `Usage: puretls bench HOST:PORT [options]

Drives any TLS server like 'openssl s_time' and tls-perf: full handshakes per second
at a chosen concurrency, a latency histogram, and optionally data after each handshake.
Each attempt dials the server (TCP_NODELAY, as s_time), runs a full handshake (its
latency: from the dial to the handshake done, TCP connect included, as s_time counts),
does the work of --bulk or --get if given, then sends close_notify and closes (--close).
Everything runs in this one process (one thread). With one connection at once, as
's_time -new', each handshake costs the client's CPU plus the server's plus the waits
between them: the report gives the client's CPU per handshake ('client CPU'), so a client
slower than openssl's shows up there; --connections N overlaps the server's work with
ours; --crypto picks the client's provider.

Run:
  --duration SECONDS       how long attempts are started (default 10; decimals allowed);
                           then handshakes in flight get a grace period (the handshake
                           timeout, at most 30 s) and transfers are cut
  --connections N          attempts run at once (default 1)
  --handshakes N           stop after N attempts (whichever comes first with --duration)
  --max-errors N           stop after N failed attempts in a row (default 10; 0: never)
  --warmup N               attempts made one by one before the clock starts, not counted
                           (default 3, at most 100000; stops after 60 s or --duration if
                           longer); a failure there ends the run. For a steady-state rate
                           give ~3000: V8 optimises code run once per handshake only after
                           a few thousand handshakes
  --bulk BYTES             after each handshake, send BYTES (e.g. 65536, 64K, 10M) of text
                           in 1 KiB lines ending in LF and read as many bytes back: for an
                           echo server ('openssl s_server -rev' answers each line with a
                           line of the same length; 'puretls serve --echo'). Throughput is
                           reported over the whole run (handshakes included): for the record
                           layer alone use a large BYTES and few connections
  --close notify|reset     how each attempt ends: 'notify' (default) sends close_notify,
                           then FIN; 'reset' sends no close_notify and resets the TCP
                           connection, as 's_time' does (quiet shutdown, SO_LINGER 0)
  --get PATH               after each handshake, send 'GET PATH HTTP/1.0' and read the
                           response until the server's close_notify, like 's_time -www PATH'
                           (for 'openssl s_server -www', 'puretls serve --www', web servers;
                           a response ended by a TCP close without close_notify counts as
                           failed: Truncated)
  --resume                 resumed handshakes (TLS 1.3 tickets; TLS 1.2 session IDs or
                           tickets): every connection offers a session from the one
                           before; in TLS 1.3, after each handshake the attempt waits (at
                           most 1 s) for the server's NewSessionTicket before it closes.
                           The first attempt is full; the report counts the resumed ones
                           apart. Without --resume no session is kept and every handshake
                           is full. Compare with 's_time -reuse' (TLS 1.3: with -www / and
                           --get /, as s_time reads the tickets only when it reads a page)
  --seed N                 deterministic mode: connection i draws its randomness from a
                           generator seeded with (N, i), so two runs send the same
                           ClientHellos and the same --bulk bytes (keys are predictable:
                           for testing only; a provider that makes its own key shares may
                           still vary them)
  --json                   print one JSON object on stdout (the text report goes to stderr
                           unless --quiet): handshakes, failures, handshakesPerSecond,
                           latencyMs {min, mean, p50, p90, p99, max}, histogram buckets,
                           timeline, session, bulk, cpu, errors by status; on failure also
                           error {status, alert, message} as for connect
  --svg FILE               write a chart: latency histogram and rate over time
  --quiet                  no plan or text report on stderr

TLS options, as for 'puretls connect' (see 'puretls connect --help'):
  --crypto native|pure|webcrypto (the client's crypto provider; default native, as
  connect's), --servername NAME, --ca FILE, --cert FILE --key FILE, --min-version V, --max-version V,
  --alpn a,b, --groups x25519,..., --ciphers NAME,..., --sigalgs ..., --key-shares ...,
  --ignore CODE,... (e.g. --ignore Untrusted,InvalidName to accept a self-signed server:
  the handshake's signatures are still checked), --keylog FILE, and the policy flags
  (--handshake-timeout MS: default 5000 here, --max-*, ...). --trace and --key-update do
  not apply.

Exit status: 0 when every attempt succeeded; 1 when any failed or none completed (the
first error is printed with its status, as by connect, and the counts by status are in the
report); 2 for a usage error.
`;
