/**
 * `RecordProtector.openAhead` / `finishAhead` (src/record/protector.ts): opens of an async
 * AEAD started ahead of their turn, each with its own sequence number, taken in order.
 *
 * - results that settle in any order are taken in order, exactly as `openAsync` gives them;
 * - a guess counts only for the protector that made it and the sequence number it assumed
 *   (RFC 9846 §5.3: a new key starts at 0), otherwise nothing changes;
 * - a bad tag or a framing error is reported at the record's turn, never earlier, and a
 *   guess never rejects (no unhandled rejection when it is dropped);
 * - no guess at or beyond the open limit or the end of the sequence space (RFC 9846 §5.3, §5.5).
 */
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import type { AeadCipher, AsyncAeadCipher } from '../../../src/crypto/provider.js';
import { RecordProtector, type ProtectionMode } from '../../../src/record/protector.js';
import { ContentType } from '../../../src/wire/codes.js';
import type { TlsRecord } from '../../../src/wire/record.js';
import { nobleAead, seqBytes } from '../../helpers/aead.js';

/** `inner` answering through promises that settle after a varying delay (out of order). */
function laterAead(inner: AeadCipher): AsyncAeadCipher & { opens: number } {
  let n = 0;
  const delay = (): number => [3, 0, 5, 1, 4, 2][n++ % 6]!;
  const a = {
    alg: inner.alg,
    async: true as const,
    opens: 0,
    seal: (nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array) => Promise.resolve(inner.seal(nonce, aad, pt)),
    open: (nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array) => {
      a.opens++;
      const [x, y, z] = [nonce.slice(), aad.slice(), ct.slice()];
      return new Promise<Uint8Array | null>((resolve) => setTimeout(() => resolve(inner.open(x, y, z)), delay()));
    },
  };
  return a;
}

const KEY = seqBytes(16, 1);
const IV: Record<ProtectionMode, Uint8Array> = { tls13: seqBytes(12, 50), 'tls12-gcm': seqBytes(4, 50), 'tls12-chacha': seqBytes(12, 50) };

function writer(mode: ProtectionMode, sequence = 0n): RecordProtector {
  const alg = mode === 'tls12-chacha' ? 'CHACHA20-POLY1305' : 'AES-128-GCM';
  // No usage limits: records are sealed at any sequence number here (the GCM seal limit is 2^24).
  const limits = { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity };
  return new RecordProtector({ mode, aead: nobleAead(alg, mode === 'tls12-chacha' ? seqBytes(32, 1) : KEY), iv: IV[mode], sequence, limits });
}

function reader(mode: ProtectionMode, opts: { sequence?: bigint; openLimit?: number } = {}): { p: RecordProtector; aead: ReturnType<typeof laterAead> } {
  const alg = mode === 'tls12-chacha' ? 'CHACHA20-POLY1305' : 'AES-128-GCM';
  const aead = laterAead(nobleAead(alg, mode === 'tls12-chacha' ? seqBytes(32, 1) : KEY));
  const limits = opts.openLimit === undefined ? undefined : { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: opts.openLimit };
  return { p: new RecordProtector({ mode, aead, iv: IV[mode], sequence: opts.sequence, ...(limits ? { limits } : {}) }), aead };
}

/** A sealed record as the deframer returns it. */
function asRecord(bytes: Uint8Array): TlsRecord {
  return { type: bytes[0]!, version: (bytes[1]! << 8) | bytes[2]!, fragment: bytes.subarray(5) };
}

function sealAll(w: RecordProtector, contents: Uint8Array[]): TlsRecord[] {
  return contents.map((c) => asRecord(w.seal(ContentType.application_data, c)));
}

async function statusOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? e.status : `other: ${String(e)}`;
  }
}

describe.each(['tls13', 'tls12-gcm', 'tls12-chacha'] as const)('RecordProtector.openAhead — %s', (mode) => {
  it('opens settling out of order are taken in order, as openAsync gives them', async () => {
    const contents = Array.from({ length: 9 }, (_, i) => seqBytes(1 + i * 300, i));
    const recs = sealAll(writer(mode), contents);
    const { p, aead } = reader(mode);
    const guesses = recs.map((r, i) => p.openAhead(r, i)!);
    expect(guesses.every((g) => g !== null)).toBe(true);
    expect(aead.opens).toBe(recs.length);
    // Nothing changes until a guess is taken.
    expect(p.sequence).toBe(0n);
    for (let i = 0; i < recs.length; i++) {
      await guesses[i]!.done;
      const c = p.finishAhead(guesses[i]!);
      expect(c).not.toBeNull();
      expect(c!.type).toBe(ContentType.application_data);
      expect(Buffer.from(c!.content).equals(Buffer.from(contents[i]!))).toBe(true);
      expect(p.sequence).toBe(BigInt(i + 1));
    }
  });

  it('a guess for another sequence number or made by another protector is not taken, and changes nothing', async () => {
    const recs = sealAll(writer(mode), [seqBytes(10), seqBytes(20)]);
    const { p } = reader(mode);
    const second = p.openAhead(recs[1]!, 1)!;
    await second.done;
    expect(p.finishAhead(second)).toBeNull(); // its turn has not come: sequence 0 is next
    expect(p.sequence).toBe(0n);
    const other = reader(mode).p.openAhead(recs[0]!, 0)!;
    await other.done;
    expect(p.finishAhead(other)).toBeNull(); // another key (a KeyUpdate installs a new protector)
    expect(p.sequence).toBe(0n);
    // Still usable in order.
    expect((await p.openAsync(recs[0]!)).content).toEqual(seqBytes(10));
    expect(p.finishAhead(second)!.content).toEqual(seqBytes(20));
  });

  it('a guess not yet settled is not a verdict', () => {
    const recs = sealAll(writer(mode), [seqBytes(10)]);
    const { p } = reader(mode);
    const g = p.openAhead(recs[0]!, 0)!;
    expect(p.finishAhead(g)).toBeNull();
    expect(p.sequence).toBe(0n);
  });

  it('a bad tag is reported at its turn (BadRecordMac), not before, and leaves the sequence number', async () => {
    const recs = sealAll(writer(mode), [seqBytes(10), seqBytes(20), seqBytes(30)]);
    const bad = recs[1]!.fragment.slice();
    bad[bad.length - 1]! ^= 1;
    const { p } = reader(mode);
    const g = [p.openAhead(recs[0]!, 0)!, p.openAhead({ ...recs[1]!, fragment: bad }, 1)!, p.openAhead(recs[2]!, 2)!];
    await Promise.all(g.map((x) => x.done)); // never rejects
    expect(p.finishAhead(g[0]!)!.content).toEqual(seqBytes(10));
    expect(await statusOf(Promise.resolve().then(() => p.finishAhead(g[1]!)))).toBe('BadRecordMac');
    expect(p.sequence).toBe(1n);
  });

  it('framing errors are kept for the record turn: too short → BadRecordMac, too long → RecordOverflow', async () => {
    const { p } = reader(mode);
    const short = p.openAhead({ type: ContentType.application_data, version: 0x0303, fragment: new Uint8Array(3) }, 0)!;
    const long = p.openAhead({ type: ContentType.application_data, version: 0x0303, fragment: new Uint8Array(20000) }, 0)!;
    await short.done;
    await long.done;
    expect(await statusOf(Promise.resolve().then(() => p.finishAhead(short)))).toBe('BadRecordMac');
    expect(await statusOf(Promise.resolve().then(() => p.finishAhead(long)))).toBe('RecordOverflow');
    expect(p.sequence).toBe(0n);
  });

  it('no guess at or beyond the open limit, nor past the end of the sequence space', () => {
    const recs = sealAll(writer(mode), [seqBytes(10)]);
    const limited = reader(mode, { openLimit: 3 }).p;
    expect([0, 1, 2, 3, 4].map((i) => limited.openAhead(recs[0]!, i) !== null)).toEqual([true, true, true, false, false]);
    const end = reader(mode, { sequence: (1n << 64n) - 2n }).p;
    expect([0, 1, 2].map((i) => end.openAhead(recs[0]!, i) !== null)).toEqual([true, true, false]);
    // Crossing a 32-bit boundary of the sequence number.
    const mid = reader(mode, { sequence: 0xffff_fffen }).p;
    const g = mid.openAhead(recs[0]!, 3)!;
    expect([g.seqHi, g.seqLo]).toEqual([1, 1]);
  });

  it('a guess made across a 2^32 boundary opens what was sealed there', async () => {
    const w = writer(mode, 0xffff_fffen);
    const recs = sealAll(w, [seqBytes(5, 1), seqBytes(5, 2), seqBytes(5, 3)]);
    const { p } = reader(mode, { sequence: 0xffff_fffen });
    const g = recs.map((r, i) => p.openAhead(r, i)!);
    for (let i = 0; i < 3; i++) {
      await g[i]!.done;
      expect(p.finishAhead(g[i]!)!.content).toEqual(seqBytes(5, i + 1));
    }
    expect(p.sequence).toBe(0x1_0000_0001n);
  });
});

describe('RecordProtector.openAhead — other AEADs', () => {
  it('a synchronous AEAD makes no guess (nothing to gain)', () => {
    const p = new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', KEY), iv: IV.tls13 });
    const rec = asRecord(writer('tls13').seal(ContentType.application_data, seqBytes(10)));
    expect(p.openAhead(rec, 0)).toBeNull();
  });

  it('an AEAD that rejects (or throws) fails the record at its turn only; a dropped guess rejects nothing', async () => {
    const boom = new TlsError('InternalError', { detail: 'AEAD failed' });
    const rejecting: AsyncAeadCipher = { alg: 'AES-128-GCM', async: true, seal: () => Promise.reject(boom), open: () => Promise.reject(boom) };
    const throwing: AsyncAeadCipher = {
      alg: 'AES-128-GCM',
      async: true,
      seal: () => Promise.reject(boom),
      open: () => {
        throw boom;
      },
    };
    const rec = asRecord(writer('tls13').seal(ContentType.application_data, seqBytes(10)));
    for (const aead of [rejecting, throwing]) {
      const p = new RecordProtector({ mode: 'tls13', aead, iv: IV.tls13 });
      const g = p.openAhead(rec, 0)!;
      p.openAhead(rec, 1); // dropped: must not surface as an unhandled rejection
      await g.done;
      expect(() => p.finishAhead(g)).toThrow(boom);
      expect(p.sequence).toBe(0n);
    }
  });
});
