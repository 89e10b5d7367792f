/**
 * Helpers shared by the in-memory engine properties (test/props/engine.test.ts for TLS 1.3,
 * test/props/engine12.test.ts for TLS 1.2), which run on the puretls/testing harness: run
 * budgets, the error checks, and the scripted session's data.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { feed, type Chunker, type FaultPipe } from '../../src/testing/index.js';
import { payload } from './bytes.js';

// ------------------------------------------------------------------ run budgets

const SCALE = Number(process.env.FC_RUNS_SCALE ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));
const seed = process.env.FC_SEED !== undefined ? Number(process.env.FC_SEED) : undefined;

/** `n` runs (scaled by FC_RUNS_SCALE), with FC_SEED as the seed when set. */
export const params = (n: number): fc.Parameters<unknown> => ({ numRuns: runs(n), ...(seed !== undefined ? { seed } : {}) });

// ------------------------------------------------------------------ arbitraries

/** Application writes: who writes, how much (up to 100 KiB), and whether before the handshake completed. */
export const writesArb = fc.array(
  fc.record({
    from: fc.constantFrom('client' as const, 'server' as const),
    size: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 16 * 1024 }), fc.integer({ min: 0, max: 100 * 1024 })),
    early: fc.boolean(),
  }),
  { maxLength: 5 },
);

// ------------------------------------------------------------------ checks

export function expectNoError(...conns: TlsConnection[]): void {
  for (const c of conns) {
    if (c.error) throw new Error(`unexpected ${c.role} error: ${c.error.status} ${c.error.detail ?? ''}`);
  }
}

/** A TlsError of a protocol/peer kind, never a wrapped foreign exception. */
export function expectCleanTlsError(e: unknown): asserts e is TlsError {
  expect(e).toBeInstanceOf(TlsError);
  const err = e as TlsError;
  if (err.status === 'InternalError' || (err.cause !== undefined && !(err.cause instanceof TlsError))) {
    throw new Error(`engine bug surfaced as ${err.status}: ${err.detail}`, { cause: err.cause });
  }
}

/**
 * Feeds `input` in the given pieces; receive()/process() must never throw. The connection
 * then has either failed with a clean TlsError or still wants input, and any output is
 * whole records.
 */
export async function expectOnlyTlsErrors(conn: TlsConnection, input: Uint8Array, chunk: Chunker): Promise<void> {
  await feed(conn, input, chunk);
  if (conn.error) {
    expectCleanTlsError(conn.error);
    expect(conn.phase).toBe('failed');
    expect(conn.wants.input).toBe(false);
  } else {
    // Still waiting for more (or, for an input that happens to be valid, done).
    expect(conn.phase).not.toBe('failed');
    expect(conn.wants.input).toBe(true);
  }
  // Output, if any, is whole records (an alert, or a next flight).
  const out = conn.takeOutput();
  if (out) expect(out.length).toBeGreaterThanOrEqual(5);
}

// ------------------------------------------------------------------ scripted session

/** What the scripted sessions write: c1/s1 after the handshake, then s2/c2. */
export const DATA = {
  c1: payload(3000, 11),
  s1: payload(2500, 12),
  s2: payload(200, 13),
  c2: payload(20_000, 14), // two records
};

/** A scripted session: the two connections and the pipe that carried it (what each side sent: `pipe.records(dir)`). */
export interface Session {
  client: TlsConnection;
  server: TlsConnection;
  pipe: FaultPipe;
}

// ------------------------------------------------------------------ records

/** A record's length field after byte `off` (3 or 4) of its header was XORed with `x`. */
export function lengthAfterFlip(length: number, off: number, x: number): number {
  return off === 3 ? ((((length >> 8) ^ x) & 0xff) << 8) | (length & 0xff) : (length & 0xff00) | ((length & 0xff) ^ x);
}
