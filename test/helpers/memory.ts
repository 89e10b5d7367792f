/**
 * In-memory client↔server driving for engine tests: moves bytes between two
 * TlsConnections until neither has anything more to do.
 */
import { TlsConnection } from '../../src/connection.js';
import { join } from './drive.js';

/** Moves all pending output of `from` into `to` (honouring receive()'s accepted count). */
export async function transfer(from: TlsConnection, to: TlsConnection, chunk?: (n: number) => number): Promise<boolean> {
  let moved = false;
  let out = from.takeOutput();
  while (out) {
    let data = out;
    while (data.length > 0) {
      const size = chunk ? Math.max(1, Math.min(data.length, chunk(data.length))) : data.length;
      let piece = data.subarray(0, size);
      data = data.subarray(size);
      let stalled = 0;
      while (piece.length > 0) {
        const n = to.receive(piece);
        piece = piece.subarray(n);
        await to.process();
        if (n === 0 && piece.length > 0 && to.error) return true;
        // A full receiver whose reader never reads would make this loop spin forever.
        stalled = n === 0 ? stalled + 1 : 0;
        if (stalled > 2) throw new Error('transfer: the receiver accepts no more input (nobody read() its data)');
      }
      moved = true;
    }
    out = from.takeOutput();
  }
  return moved;
}

/** Runs both sides until quiet. `chunk` optionally splits the byte streams. */
export async function pump(a: TlsConnection, b: TlsConnection, chunk?: (n: number) => number, maxRounds = 200): Promise<void> {
  await a.process();
  await b.process();
  for (let i = 0; i < maxRounds; i++) {
    const x = await transfer(a, b, chunk);
    const y = await transfer(b, a, chunk);
    if (!x && !y) return;
  }
  throw new Error('pump: no quiescence');
}

/** Reads everything currently readable. */
export function readAll(c: TlsConnection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let r = c.read(); r; r = c.read()) parts.push(r);
  return join(parts);
}
