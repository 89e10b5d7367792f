/**
 * Reusable buffers for large protected records (bulk data).
 *
 * A 16 KiB record sealed into freshly allocated memory costs more than the copy that fills
 * it: the allocation, the cache misses of memory no one touched lately, and the garbage
 * collector's work to free it. Measured on the Node adapter (two processes, 16 KiB writes),
 * a fresh buffer per record added about 3 µs per record on top of a ~3.5 µs socket write;
 * copying into a buffer reused from the record before cost 0.3 µs. So the record layer
 * seals large records into buffers from this pool, and an adapter that knows the transport
 * is done with the bytes it sent (the Node adapter: the kernel took a `net.Socket` write
 * whole, synchronously) gives them back through `TlsConnection.releaseOutput()`.
 *
 * Safety rules, each enforced where the buffer changes hands:
 * - Only whole buffers of the pool's own size ({@link isPoolSized}) are ever pooled, and
 *   only by the record writer that made the record in them: a record it still holds (the
 *   parts of records it joined into one output), or exactly the record its latest `take()`
 *   handed out, released by the caller before its next `take()` (see `RecordWriter.release`).
 *   A second release, a part of the bytes, a copy, or anything else is ignored.
 * - Only ciphertext (and record headers) is ever left in these buffers; a reused buffer is
 *   written over from its first byte to the end of the new record before it is handed
 *   out, and only that prefix is handed out.
 * - The pool is bounded ({@link POOL_MAX} buffers for the whole process) and holds nothing
 *   for any connection: an idle connection keeps no record buffer.
 *
 * @module
 */
import { MAX_PLAINTEXT_LEN, RECORD_HEADER_LEN } from '../wire/record.js';

/** Largest record this layer seals: header ‖ TLS 1.2 GCM explicit nonce ‖ 2^14 bytes ‖ tag (TLS 1.3's is 16,406). */
const LARGEST_SEALED_RECORD = RECORD_HEADER_LEN + 8 + MAX_PLAINTEXT_LEN + 16;

/** Bytes of each pooled ArrayBuffer: the largest record plus up to 3 bytes of lead for alignment. */
const POOL_BUFFER_BYTES = LARGEST_SEALED_RECORD + 3;

/** Records shorter than this are allocated to size (a small record does not take a 16 KiB buffer). */
export const POOL_MIN_RECORD = 4096;

/** Buffers kept for reuse, for the whole process (about 16 KiB each). */
export const POOL_MAX = 8;

const free: ArrayBuffer[] = [];

/**
 * A buffer of `len` bytes for a record (`len` ≤ the largest sealed record), from the pool
 * when one is free, else new; `lead` bytes are skipped at the start of the ArrayBuffer
 * (0..3, so that the part an AEAD encrypts in place can be 4-byte aligned). Its contents
 * are whatever was there: the caller writes every byte before handing it out.
 */
export function poolRecordBuffer(len: number, lead = 0): Uint8Array {
  return new Uint8Array(free.pop() ?? new ArrayBuffer(POOL_BUFFER_BYTES), lead, len);
}

/** Largest view {@link poolRecordBuffer} can give (with no lead). */
export const POOL_VIEW_MAX = POOL_BUFFER_BYTES;

/** True if `len` bytes go into a pooled buffer (large enough to be worth it, small enough to fit). */
export function usesPool(len: number): boolean {
  return len >= POOL_MIN_RECORD && len <= LARGEST_SEALED_RECORD;
}

/** True if `b` lies in an ArrayBuffer of the pool's size (one the pool can reuse). */
export function isPoolSized(b: Uint8Array): boolean {
  return b.buffer.byteLength === POOL_BUFFER_BYTES;
}

/**
 * Puts the buffer of `b` back into the pool. The caller (the record writer) guarantees
 * that it made the record in it and that nobody reads or writes it any more.
 */
export function recycleRecordBuffer(b: Uint8Array): void {
  const ab = b.buffer as ArrayBuffer;
  if (!isPoolSized(b) || free.length >= POOL_MAX || free.includes(ab)) return;
  free.push(ab);
}

/** Buffers now free in the pool (tests). */
export function poolFreeCount(): number {
  return free.length;
}
