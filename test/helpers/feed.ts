/**
 * Moving bytes by hand between two in-memory connections, as a transport would: everything a
 * connection has sealed ({@link output}), and input offered in chosen chunks ({@link feed}).
 */
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { join } from './bytes.js';

/** Everything `conn` has sealed so far, in order (after its async seals settled). */
export async function output(conn: TlsConnection): Promise<Uint8Array> {
  await conn.settled();
  const parts: Uint8Array[] = [];
  for (let o; (o = conn.takeOutput()) !== null; ) parts.push(o);
  return join(parts);
}

/**
 * Feeds `bytes` to `conn` in the chunks `cuts` make (each chunk offered until taken, as a
 * transport does; a fresh copy per chunk, as a socket read, transferred or not), processing
 * after each receive; returns the plaintext read meanwhile. `untilError` false: keeps offering
 * the rest after the connection failed (to check that nothing more is delivered).
 */
export async function feed(conn: TlsConnection, bytes: Uint8Array, cuts: readonly number[] = [], transfer = false, untilError = true): Promise<Uint8Array> {
  const read: Uint8Array[] = [];
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    let chunk = new Uint8Array(bytes.subarray(prev, p));
    prev = p;
    for (let guard = 0; chunk.length > 0; guard++) {
      if (guard > 10_000) throw new Error('feed: no progress');
      const n = conn.receive(chunk, transfer);
      chunk = chunk.subarray(n);
      await conn.process();
      for (let d; (d = conn.read()) !== null; ) read.push(d);
      if (untilError && conn.error) return join(read);
    }
  }
  await conn.process();
  for (let d; (d = conn.read()) !== null; ) read.push(d);
  return join(read);
}
