/**
 * Reused record buffers (src/record/pool.ts, `RecordWriter.release`, `TlsConnection.releaseOutput`).
 *
 * A sealed large record lies in a pooled buffer; the caller that took it may give it back
 * once the transport is done with it, and a later record is then sealed into the same
 * memory. What must never happen: a buffer reused while someone may still read it (bytes
 * not released, released twice, only part of them released, released after a later
 * take), or a reused buffer handed out with bytes of an earlier record in it.
 */
import { describe, expect, it } from 'vitest';
import { createAead } from '../../../src/crypto/aead.js';
import { nativeProvider } from '../../../src/crypto/native.js';
import type { AeadAlg, AeadCipher } from '../../../src/crypto/provider.js';
import { Deframer } from '../../../src/record/deframer.js';
import { RecordReader, RecordWriter } from '../../../src/record/layer.js';
import { poolFreeCount, poolRecordBuffer, POOL_MAX } from '../../../src/record/pool.js';
import { RecordProtector, type ProtectionMode } from '../../../src/record/protector.js';
import { ContentType } from '../../../src/wire/codes.js';
import { seqBytes } from '../../helpers/aead.js';

const KEY = seqBytes(16, 3);
const IV = seqBytes(12, 9);

type Make = (alg: AeadAlg, key: Uint8Array) => AeadCipher;
const PROVIDERS: readonly [string, Make][] = [
  ['native (joined seal)', (alg, key) => nativeProvider.aead(alg, key)],
  ['pure (in place)', (alg, key) => createAead(alg, key)],
];

function writer(make: Make, mode: ProtectionMode = 'tls13'): RecordWriter {
  const w = new RecordWriter({ role: 'client' });
  w.install(new RecordProtector({ mode, aead: make('AES-128-GCM', KEY), iv: mode === 'tls12-gcm' ? IV.subarray(0, 4) : IV }));
  return w;
}

/** Opens every record of `bytes` in order with a fresh reader for the same key; returns the plaintexts. */
function openAll(make: Make, chunks: Uint8Array[], mode: ProtectionMode = 'tls13'): Uint8Array[] {
  const r = new RecordProtector({ mode, aead: make('AES-128-GCM', KEY), iv: mode === 'tls12-gcm' ? IV.subarray(0, 4) : IV });
  const d = new Deframer();
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    let rest = c;
    while (rest.length > 0) {
      rest = rest.subarray(d.push(rest));
      for (let rec = d.next(); rec; rec = d.next()) out.push(r.open(rec).content.slice());
    }
  }
  return out;
}

const page = (i: number, n = 16_384): Uint8Array => new Uint8Array(n).fill(i & 0xff);

describe.each(PROVIDERS)('record buffers reused after release (%s)', (_name, make) => {
  it('a released record buffer holds the next large record, complete and correct', () => {
    const w = writer(make);
    w.appData(page(1));
    const first = w.take()!;
    const firstCopy = first.slice();
    expect(w.release(first)).toBe(true);
    w.appData(page(2));
    const second = w.take()!;
    // The same memory, every byte of the new record written (it opens, with the right content).
    expect(second.buffer).toBe(first.buffer);
    const opened = openAll(make, [firstCopy, second]);
    expect(opened).toEqual([page(1), page(2)]);
  });

  it('bytes that were not released are never written again, whatever is sealed after them', () => {
    const w = writer(make);
    const kept: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    for (let i = 0; i < 3 * POOL_MAX; i++) {
      w.appData(page(i));
      const r = w.take()!;
      kept.push(r);
      copies.push(r.slice());
      // Every other record is released (as a socket that took it at once); the others stay with the caller.
      if (i % 2 === 1) w.release(r);
    }
    for (let i = 0; i < kept.length; i += 2) expect(kept[i]).toEqual(copies[i]);
    expect(openAll(make, copies)).toEqual(Array.from({ length: 3 * POOL_MAX }, (_, i) => page(i)));
  });

  it('ignores a second release, a release of part of the bytes, of a copy, or of something never taken', () => {
    const w = writer(make);
    w.appData(page(7));
    const r = w.take()!;
    const rCopy = r.slice();
    expect(w.release(r.subarray(0, 100))).toBe(false);
    expect(w.release(r.slice())).toBe(false);
    expect(w.release(new Uint8Array(r.length))).toBe(false);
    expect(w.release(r)).toBe(true);
    expect(w.release(r)).toBe(false);
    // One release, one reuse: two later records never share memory.
    w.appData(page(8));
    const a = w.take()!;
    w.appData(page(9));
    const b = w.take()!;
    expect(a.buffer).not.toBe(b.buffer);
    expect(openAll(make, [rCopy, a, b])).toEqual([page(7), page(8), page(9)]);
  });

  it('records joined into one output free their buffers, and the joined bytes are the caller\'s alone', () => {
    const w = writer(make);
    w.appData(page(1, 3 * 16_384));
    const joined = w.take()!;
    const copy = joined.slice();
    expect(w.release(joined)).toBe(false); // not a pooled buffer: nothing to reuse
    for (let i = 0; i < 2 * POOL_MAX; i++) {
      w.appData(page(i));
      w.release(w.take()!);
    }
    expect(joined).toEqual(copy);
  });

  it('a release after a later take is ignored (the writer keeps nothing of an earlier record)', () => {
    const w = writer(make);
    w.appData(page(1));
    const first = w.take()!;
    const copy = first.slice();
    expect(w.take()).toBeNull();
    expect(w.release(first)).toBe(false);
    for (let i = 0; i < 2 * POOL_MAX; i++) {
      w.appData(page(i));
      w.release(w.take()!);
    }
    expect(first).toEqual(copy);
  });

  it('small records are not pooled and cannot be released', () => {
    const w = writer(make);
    w.appData(page(5, 100));
    const small = w.take()!;
    expect(w.release(small)).toBe(false);
  });

  it('TLS 1.2 GCM records (explicit nonce) reuse buffers as well', () => {
    const w = writer(make, 'tls12-gcm');
    w.appData(page(1));
    const first = w.take()!;
    const copy = first.slice();
    w.release(first);
    w.appData(page(2));
    const second = w.take()!;
    expect(second.buffer).toBe(first.buffer);
    expect(openAll(make, [copy, second], 'tls12-gcm')).toEqual([page(1), page(2)]);
  });
});

describe('the pool is bounded', () => {
  it(`keeps at most ${POOL_MAX} free buffers for the whole process`, () => {
    const writers = Array.from({ length: 3 * POOL_MAX }, () => writer(PROVIDERS[0]![1]));
    const taken = writers.map((w, i) => {
      w.appData(page(i));
      return w.take()!;
    });
    writers.forEach((w, i) => w.release(taken[i]!));
    expect(poolFreeCount()).toBeLessThanOrEqual(POOL_MAX);
    expect(poolFreeCount()).toBeGreaterThan(0);
  });
});

describe.each(PROVIDERS)('records split across chunks, reassembled on the reading side (%s)', (name, make) => {
  it('the plaintext handed out stays intact while pooled buffers are reused for sealing', () => {
    // An empty pool (other tests filled it): what the reader gives back is what the sealer takes next.
    while (poolFreeCount() > 0) poolRecordBuffer(16_000);
    const w = writer(make);
    const stream: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      w.appData(page(i + 1));
      stream.push(w.take()!.slice());
    }
    const all = new Uint8Array(stream.reduce((n, r) => n + r.length, 0));
    let at = 0;
    for (const r of stream) {
      all.set(r, at);
      at += r.length;
    }
    const reader = new RecordReader({ role: 'server', maxSkippedEarlyData: 0 });
    reader.setVersion('tls13');
    reader.install(new RecordProtector({ mode: 'tls13', aead: make('AES-128-GCM', KEY), iv: IV }));
    // Chunks that cut every record (as socket reads of another size do), each its own memory.
    const got: Uint8Array[] = [];
    const sealer = writer(PROVIDERS[0]![1]);
    for (let off = 0; off < all.length; off += 10_000) {
      let chunk = all.slice(off, off + 10_000);
      while (chunk.length > 0) {
        chunk = chunk.subarray(reader.receive(chunk, true));
        for (let r = reader.next({ open: false }); r; r = reader.next({ open: false })) got.push(r.content);
      }
      // Meanwhile another connection seals (and releases) large records: pooled buffers are taken and written.
      for (let k = 0; k < 3; k++) {
        sealer.appData(page(0xee));
        sealer.release(sealer.take()!);
      }
    }
    expect(got.length, name).toBe(12);
    got.forEach((g, i) => expect(g, `record ${i}`).toEqual(page(i + 1)));
  });
});
