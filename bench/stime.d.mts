/**
 * Types of bench/stime.mjs (`puretls bench` next to `openssl s_time -new`), for its tests.
 * @module
 */

/** One chunk of s_time's stdout and when it arrived (performance.now(), ms). */
export interface TimedChunk {
  readonly t: number;
  readonly text: string;
}

/** What one `openssl s_time` run says. */
export interface STimeFigures {
  /** From its summary line (else the marks counted). */
  readonly connections: number;
  /** Marks counted: one per connection. */
  readonly marks: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
  /** (marks - 1) over the time from the first mark to the last, per second; null under 2 marks. */
  readonly ratePerSecond: number | null;
  /** Marks of resumed sessions ('r'). */
  readonly reused: number;
  readonly userSeconds: number | null;
  readonly realSeconds: number | null;
  readonly perUserSecond: number | null;
}

/** What OpenSSL's client negotiated, in puretls's names. */
export interface Negotiated {
  readonly version: 'TLSv1.3' | 'TLSv1.2';
  readonly cipherSuite: string;
  readonly group: string;
  /** OpenSSL's "Signature type": ECDSA, RSA-PSS, RSA, Ed25519. */
  readonly signature: string;
}

/** One client's run in one round. */
export interface ClientRun {
  readonly rate: number | null;
  readonly clientMs: number | null;
  /** The part of `clientMs` spent in the kernel (system time); absent or null when unknown. */
  readonly clientSysMs?: number | null;
  readonly serverMs: number | null;
}

/** One client's figures over the rounds. */
export interface ClientSummary {
  readonly rate: number | null;
  readonly rateMin: number | null;
  readonly rateMax: number | null;
  readonly ratioToSTime: number | null;
  readonly ratioMin: number | null;
  readonly ratioMax: number | null;
  readonly clientMs: number | null;
  /** Median kernel (system) part of the client's CPU per handshake. */
  readonly clientSysMs: number | null;
  readonly serverMs: number | null;
  readonly otherMs: number | null;
}

export function parseSTime(chunks: readonly TimedChunk[]): STimeFigures;
export function parseBrief(text: string): Negotiated;
export function puretlsFlags(n: Negotiated): string[];
export function sameSignature(opensslType: string, scheme: string | null | undefined): boolean;
export function processCpuSeconds(pid: number, ticksPerSecond?: number): number | null;
export function processCpuTimes(pid: number, ticksPerSecond?: number): { user: number; system: number } | null;
export function median(xs: readonly (number | null | undefined)[]): number | null;
export function summarize(rounds: readonly Readonly<Record<string, ClientRun>>[], clients: readonly string[]): Record<string, ClientSummary>;
export function table(title: string, summary: Readonly<Record<string, ClientSummary>>, clients: readonly string[], reuse?: boolean): string;
