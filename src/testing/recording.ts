/**
 * Recording what a connection was given and what it produced, and replaying that against
 * a fresh connection, byte for byte (Go's recorded handshakes, without a peer process).
 *
 * With the same options, a seeded `random` and a fixed `now`, a connection is a function
 * of its calls: replaying the calls must give the same output, byte for byte, and the
 * same plaintext. A difference is a {@link ReplayMismatch} naming the call and the first
 * differing byte.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { TlsConnection } from '../engine/tls-connection.js';
import { TlsError } from '../base/errors.js';

/** One call made on a connection while it was recorded, with what it returned. */
export type RecordedCall =
  /** `receive(bytes)` took `accepted` of them. */
  | { readonly op: 'receive'; readonly bytes: Uint8Array; readonly accepted: number }
  /** `process()` ran. */
  | { readonly op: 'process' }
  /** `takeOutput()` returned these bytes (calls that returned null are not kept). */
  | { readonly op: 'output'; readonly bytes: Uint8Array }
  /** `read()` returned these bytes (calls that returned null are not kept). */
  | { readonly op: 'read'; readonly bytes: Uint8Array }
  /** `write(bytes)`; `threw` when it threw (WouldBlock, Closed, a sticky error). */
  | { readonly op: 'write'; readonly bytes: Uint8Array; readonly threw: boolean }
  /** `keyUpdate(requestPeer)`; `threw` when it threw. */
  | { readonly op: 'keyUpdate'; readonly requestPeer: boolean; readonly threw: boolean }
  /** `close()`. */
  | { readonly op: 'close' }
  /** `end()`. */
  | { readonly op: 'end' };

/** What one connection was given and produced, in call order. */
export interface Recording {
  /** The role of the recorded connection (a replay needs a connection of the same role). */
  readonly role: 'client' | 'server';
  /** Every call, in order. */
  readonly calls: readonly RecordedCall[];
}

/** A recording in progress. */
export interface Recorder {
  /** What was recorded so far (live: it grows as the connection is used). */
  readonly recording: Recording;
  /** Stops recording; the connection's methods are its own again. */
  stop(): void;
}

/** Thrown by {@link replay} when the fresh connection does not do what the recorded one did. */
export class ReplayMismatch extends Error {
  override readonly name = 'ReplayMismatch';
  /** Index of the call in `recording.calls` where the difference showed. */
  readonly call: number;
  /** Offset of the first differing byte in that call's bytes (-1 when the difference is not in bytes). */
  readonly offset: number;

  /** @param call - the call index; @param offset - the first differing byte (or -1); @param message - what differed */
  constructor(call: number, offset: number, message: string) {
    super(message);
    this.call = call;
    this.offset = offset;
  }
}

type Recordable = 'receive' | 'process' | 'takeOutput' | 'read' | 'write' | 'keyUpdate' | 'close' | 'end';
const METHODS: readonly Recordable[] = ['receive', 'process', 'takeOutput', 'read', 'write', 'keyUpdate', 'close', 'end'];

/**
 * Starts recording every sans-I/O call made on `conn` (from a pipe or from the test) and
 * what each returned. It wraps the connection's own methods, so the connection is used as
 * before; call `stop()` to unwrap. Start before the connection's first call to replay from
 * the start.
 */
export function record(conn: TlsConnection): Recorder {
  const calls: RecordedCall[] = [];
  const original = {
    receive: conn.receive,
    process: conn.process,
    takeOutput: conn.takeOutput,
    read: conn.read,
    write: conn.write,
    keyUpdate: conn.keyUpdate,
    close: conn.close,
    end: conn.end,
  };
  const wrapped: Pick<TlsConnection, Recordable> = {
    receive(bytes) {
      const accepted = original.receive.call(conn, bytes);
      calls.push({ op: 'receive', bytes: copyBytes(bytes), accepted });
      return accepted;
    },
    process() {
      calls.push({ op: 'process' });
      return original.process.call(conn);
    },
    takeOutput() {
      const out = original.takeOutput.call(conn);
      if (out) calls.push({ op: 'output', bytes: copyBytes(out) });
      return out;
    },
    read() {
      const r = original.read.call(conn);
      if (r) calls.push({ op: 'read', bytes: copyBytes(r) });
      return r;
    },
    write(data) {
      const bytes = copyBytes(data);
      try {
        original.write.call(conn, data);
      } catch (e) {
        calls.push({ op: 'write', bytes, threw: true });
        throw e;
      }
      calls.push({ op: 'write', bytes, threw: false });
    },
    keyUpdate(requestPeer = false) {
      try {
        original.keyUpdate.call(conn, requestPeer);
      } catch (e) {
        calls.push({ op: 'keyUpdate', requestPeer, threw: true });
        throw e;
      }
      calls.push({ op: 'keyUpdate', requestPeer, threw: false });
    },
    close() {
      calls.push({ op: 'close' });
      original.close.call(conn);
    },
    end() {
      calls.push({ op: 'end' });
      original.end.call(conn);
    },
  };
  for (const m of METHODS) Object.defineProperty(conn, m, { value: wrapped[m], configurable: true, writable: true, enumerable: false });
  return {
    recording: { role: conn.role, calls },
    stop() {
      for (const m of METHODS) delete (conn as unknown as Record<string, unknown>)[m];
    },
  };
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function hexAround(b: Uint8Array, at: number): string {
  const from = Math.max(0, at - 4);
  const bytes = [...b.subarray(from, at + 12)].map((x) => x.toString(16).padStart(2, '0'));
  return `${from > 0 ? '…' : ''}${bytes.join(' ')}${at + 12 < b.length ? '…' : ''}`;
}

function compare(i: number, what: string, expected: Uint8Array, actual: Uint8Array | null): void {
  const got = actual ?? new Uint8Array(0);
  const at = firstDifference(expected, got);
  if (at < 0) return;
  throw new ReplayMismatch(
    i,
    at,
    `replay: call ${i} (${what}) differs at byte ${at} of ${expected.length} (got ${actual ? got.length : 'nothing'}): expected ${hexAround(expected, at)}, got ${hexAround(got, at)}`,
  );
}

/** Runs `f`; it must throw exactly when the recorded call threw. */
function throws(i: number, what: string, threw: boolean, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (threw) return;
    throw new ReplayMismatch(i, -1, `replay: call ${i} (${what}) threw where the recorded one did not: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (threw) throw new ReplayMismatch(i, -1, `replay: call ${i} (${what}) did not throw where the recorded one did`);
}

/**
 * Replays `recording` against `conn`, a fresh connection made with the same options
 * (same seed, same clock): makes the same calls in the same order and checks that every
 * output and every plaintext read is the same, byte for byte, and that nothing more is
 * left to send at the end.
 *
 * @throws {@link ReplayMismatch} at the first difference
 */
export async function replay(recording: Recording, conn: TlsConnection): Promise<void> {
  if (conn.role !== recording.role) throw new ReplayMismatch(-1, -1, `replay: a ${recording.role} recording needs a ${recording.role} connection, not a ${conn.role}`);
  const calls = recording.calls;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    switch (c.op) {
      case 'receive': {
        const n = conn.receive(c.bytes);
        if (n !== c.accepted) throw new ReplayMismatch(i, -1, `replay: call ${i} (receive of ${c.bytes.length} bytes) took ${n}, the recording took ${c.accepted}`);
        break;
      }
      case 'process':
        await conn.process();
        break;
      case 'output':
        compare(i, 'takeOutput', c.bytes, conn.takeOutput());
        break;
      case 'read':
        compare(i, 'read', c.bytes, conn.read());
        break;
      case 'write':
        throws(i, 'write', c.threw, () => conn.write(c.bytes));
        break;
      case 'keyUpdate':
        throws(i, 'keyUpdate', c.threw, () => conn.keyUpdate(c.requestPeer));
        break;
      case 'close':
        conn.close();
        break;
      case 'end':
        conn.end();
        break;
    }
  }
  const extra = conn.takeOutput();
  if (extra) throw new ReplayMismatch(calls.length, 0, `replay: after the last call the connection has ${extra.length} more bytes to send than the recording`);
}

/** A recording as JSON text (bytes in hex), to keep in a file next to the test. */
export function encodeRecording(recording: Recording): string {
  const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const calls = recording.calls.map((c) => ('bytes' in c ? { ...c, bytes: hex(c.bytes) } : c));
  return JSON.stringify({ role: recording.role, calls }, null, 1);
}

/**
 * A recording from {@link encodeRecording}'s text.
 * @throws TlsError('InvalidConfig') when the text is not such a recording (not JSON, a wrong
 *   role, bad hex, an unknown call)
 */
export function decodeRecording(text: string): Recording {
  let raw: { role?: unknown; calls?: unknown };
  try {
    raw = JSON.parse(text) as { role?: unknown; calls?: unknown };
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `decodeRecording: not JSON (${e instanceof Error ? e.message : String(e)})`, source: 'caller', cause: e });
  }
  if (typeof raw !== 'object' || raw === null) throw new TlsError('InvalidConfig', { detail: 'decodeRecording: not a recording', source: 'caller' });
  if ((raw.role !== 'client' && raw.role !== 'server') || !Array.isArray(raw.calls)) throw new TlsError('InvalidConfig', { detail: 'decodeRecording: not a recording', source: 'caller' });
  const bytes = (h: unknown): Uint8Array => {
    if (typeof h !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(h)) throw new TlsError('InvalidConfig', { detail: 'decodeRecording: bad hex', source: 'caller' });
    const out = new Uint8Array(h.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
    return out;
  };
  const calls = (raw.calls as Record<string, unknown>[]).map((c): RecordedCall => {
    switch (c.op) {
      case 'receive':
        if (typeof c.accepted !== 'number') throw new TlsError('InvalidConfig', { detail: 'decodeRecording: receive without accepted', source: 'caller' });
        return { op: 'receive', bytes: bytes(c.bytes), accepted: c.accepted };
      case 'output':
      case 'read':
        return { op: c.op, bytes: bytes(c.bytes) };
      case 'write':
        return { op: 'write', bytes: bytes(c.bytes), threw: c.threw === true };
      case 'keyUpdate':
        return { op: 'keyUpdate', requestPeer: c.requestPeer === true, threw: c.threw === true };
      case 'process':
      case 'close':
      case 'end':
        return { op: c.op };
      default:
        throw new TlsError('InvalidConfig', { detail: `decodeRecording: unknown call ${JSON.stringify(c.op)}`, source: 'caller' });
    }
  });
  return { role: raw.role, calls };
}
