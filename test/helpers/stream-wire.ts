/**
 * Two in-memory byte-stream pairs wired to each other (what one side writes the other reads),
 * for the Web Streams adapter (`fromStreams`), and a reader that hashes a readable to its end.
 */
import { createHash } from 'node:crypto';
import type { ByteStreamPair } from '../../src/transport/web.js';

/** A client pair and a server pair, each one's writable feeding the other's readable. */
export function streamWire(): { client: ByteStreamPair; server: ByteStreamPair } {
  const c2s = new TransformStream<Uint8Array, Uint8Array>();
  const s2c = new TransformStream<Uint8Array, Uint8Array>();
  return { client: { readable: s2c.readable, writable: c2s.writable }, server: { readable: c2s.readable, writable: s2c.writable } };
}

/** Reads `readable` to its end: the byte count and SHA-256 (hex); `onChunk` sees each chunk and the count so far. */
export async function hashToEnd(readable: ReadableStream<Uint8Array>, onChunk?: (chunk: Uint8Array, total: number) => Promise<void> | void): Promise<{ n: number; sha: string }> {
  const h = createHash('sha256');
  let n = 0;
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    h.update(value);
    n += value.length;
    if (onChunk) await onChunk(value, n);
  }
  return { n, sha: h.digest('hex') };
}
