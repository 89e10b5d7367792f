/**
 * Driving one side of a connection: offering bytes with the engine's back-pressure
 * contract honoured, and reading what it decrypted.
 *
 * @module
 */
import { concatBytes } from '../base/bytes.js';
import { nextPiece, type Chunker } from './chunk.js';

/**
 * What the harness needs of a connection: the sans-I/O calls of `TlsConnection`. Any
 * object with them can stand in (a stub in a test of the harness itself, a wrapper that
 * logs).
 */
export interface PipeEndpoint {
  /** `'client'` or `'server'`: names what the pipe read from it (see `FaultPipe.received`). */
  readonly role: 'client' | 'server';
  /** Buffers input; returns how many bytes were taken (the rest is offered again after `process()`). */
  receive(bytes: Uint8Array): number;
  /** Runs on buffered input. */
  process(): Promise<void>;
  /** Output to send, or null. */
  takeOutput(): Uint8Array | null;
  /** Plaintext received, or null. */
  read(): Uint8Array | null;
  /** The transport reached end of stream. */
  end(): void;
}

/** Thrown when an endpoint stops taking input without failing: nothing would ever move again. */
export class StallError extends Error {
  override readonly name = 'StallError';
}

/**
 * Offers `bytes` to `to` in pieces cut by `chunk` (default: as large as possible), calling
 * `process()` after each `receive()` and offering again what `receive()` did not take.
 * `onRefused` is called when `receive()` takes nothing (its read buffer is full: the
 * application should read); after three refusals in a row this throws {@link StallError}.
 * A connection that has failed takes (and discards) everything, so this always finishes.
 */
export async function feed(to: PipeEndpoint, bytes: Uint8Array, chunk: Chunker = (n) => n, onRefused?: (to: PipeEndpoint) => void): Promise<void> {
  let data = bytes;
  while (data.length > 0) {
    let piece = data.subarray(0, nextPiece(chunk, data.length));
    data = data.subarray(piece.length);
    let refused = 0;
    while (piece.length > 0) {
      const n = to.receive(piece);
      piece = piece.subarray(n);
      await to.process();
      if (n === 0) onRefused?.(to);
      refused = n === 0 ? refused + 1 : 0;
      if (refused > 2) throw new StallError(`the ${to.role} takes no input and reports no error (nobody read() its data, or a stall)`);
    }
  }
}

/** Everything `conn` holds to be read now, in one array (empty if nothing). */
export function readAll(conn: Pick<PipeEndpoint, 'read'>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let r = conn.read(); r; r = conn.read()) parts.push(r);
  return parts.length === 1 ? parts[0]! : concatBytes(parts);
}
