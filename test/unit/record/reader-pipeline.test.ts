/**
 * `RecordReader` receive-side pipelining (src/record/layer.ts) driven directly, with a
 * counting async AEAD per key: what is opened ahead, what is dropped, and that pipelining
 * resumes under a new key.
 *
 * - records queued behind a KeyUpdate (RFC 9846 §4.6.3) are guessed under the old key, those
 *   guesses are dropped once the handshake record is handed out, and after the new key is
 *   installed (sequence numbers from 0, §5.3) they are opened again, concurrently;
 * - nothing is taken ahead before application data has flowed, nor without room;
 * - a fatal alert drops the records queued after it (RFC 9846 §6.2: nothing after it is read).
 */
import { describe, expect, it } from 'vitest';
import type { AeadCipher, AsyncAeadCipher } from '../../../src/crypto/provider.js';
import { MAX_RECORDS_AHEAD, RecordReader } from '../../../src/record/layer.js';
import { RecordProtector } from '../../../src/record/protector.js';
import { ContentType } from '../../../src/wire/codes.js';
import { join } from '../../helpers/bytes.js';
import { nobleAead, seqBytes } from '../../helpers/aead.js';

interface Counted extends AsyncAeadCipher {
  opens: number;
  inFlight: number;
  maxInFlight: number;
}

/** `inner` through promises that settle a few ms later, counting opens and how many overlap. */
function counted(inner: AeadCipher): Counted {
  const c: Counted = {
    alg: inner.alg,
    async: true,
    opens: 0,
    inFlight: 0,
    maxInFlight: 0,
    seal: (n, a, p) => Promise.resolve(inner.seal(n, a, p)),
    open: (n, a, ct) => {
      c.opens++;
      c.maxInFlight = Math.max(c.maxInFlight, ++c.inFlight);
      const [x, y, z] = [n.slice(), a.slice(), ct.slice()];
      return new Promise<Uint8Array | null>((resolve) =>
        setTimeout(() => {
          c.inFlight--;
          resolve(inner.open(x, y, z));
        }, 1 + (c.opens % 3)),
      );
    },
  };
  return c;
}

const KEY_A = seqBytes(16, 1);
const KEY_B = seqBytes(16, 100);
const IV = seqBytes(12, 7);
const CCS = { open: false };
const ROOM = 1 << 20;

const sealer = (key: Uint8Array): RecordProtector => new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', key), iv: IV });
const opener = (key: Uint8Array): { p: RecordProtector; aead: Counted } => {
  const aead = counted(nobleAead('AES-128-GCM', key));
  return { p: new RecordProtector({ mode: 'tls13', aead, iv: IV }), aead };
};

function newReader(protector: RecordProtector): RecordReader {
  const r = new RecordReader({ role: 'client', maxSkippedEarlyData: 0 });
  r.setVersion('tls13');
  r.install(protector);
  return r;
}

/** Receives all of `wire` (with room) and hands out records until none is left; `onRecord` may install keys. */
async function drain(r: RecordReader, wire: Uint8Array, onRecord: (type: number, content: Uint8Array) => void): Promise<void> {
  let rest = wire;
  for (let guard = 0; guard < 1000; guard++) {
    rest = rest.subarray(r.receive(rest, false, ROOM));
    const rec = await r.nextAsync(CCS);
    if (rec === null) {
      if (rest.length === 0) return;
      continue;
    }
    onRecord(rec.type, rec.content);
  }
  throw new Error('drain: no progress');
}

describe('RecordReader pipelining', () => {
  it('records behind a KeyUpdate: guesses under the old key dropped, reopened under the new key concurrently', async () => {
    const wa = sealer(KEY_A);
    const wb = sealer(KEY_B);
    const data = Array.from({ length: 8 }, (_, i) => seqBytes(500 + i, i));
    const keyUpdate = Uint8Array.of(24, 0, 0, 1, 0); // KeyUpdate(update_not_requested), RFC 9846 §4.6.3
    // A primer, then [data0, KeyUpdate, data1..data6] so that all of it fits in the queue at once.
    const primer = wa.seal(ContentType.application_data, seqBytes(3));
    const burst = join([
      wa.seal(ContentType.application_data, data[0]!),
      wa.seal(ContentType.handshake, keyUpdate),
      ...data.slice(1, 7).map((d) => wb.seal(ContentType.application_data, d)),
    ]);
    const a = opener(KEY_A);
    const b = opener(KEY_B);
    const r = newReader(a.p);
    const got: Uint8Array[] = [];
    const onRecord = (type: number, content: Uint8Array): void => {
      if (type === ContentType.handshake) {
        expect(content).toEqual(keyUpdate);
        r.install(b.p); // what the connection does for a KeyUpdate
      } else got.push(content.slice());
    };
    await drain(r, primer, onRecord);
    expect(a.aead.opens).toBe(1);
    await drain(r, burst, onRecord);
    expect(join(got)).toEqual(join([seqBytes(3), ...data.slice(0, 7)]));
    // Under the old key: the primer, data0, the KeyUpdate and the guesses for the records after it.
    expect(a.aead.opens).toBe(3 + 6);
    expect(a.aead.maxInFlight).toBeGreaterThan(2);
    // Under the new key: each record once, and again several at once after the first.
    expect(b.aead.opens).toBe(6);
    expect(b.aead.maxInFlight).toBeGreaterThan(2);
    expect(r.sequence).toBe(6n);
  });

  it('nothing is taken ahead before application data has been handed out, nor without room', async () => {
    const w = sealer(KEY_A);
    const wire = join(Array.from({ length: 5 }, (_, i) => w.seal(ContentType.application_data, seqBytes(100, i))));
    const { p, aead } = opener(KEY_A);
    const r = newReader(p);
    expect(r.receive(wire, false, ROOM)).toBe(wire.length); // small records: the deframer takes them all
    expect(aead.opens).toBe(0);
    expect((await r.nextAsync(CCS))!.content).toEqual(seqBytes(100, 0));
    // Now application data flows: the rest are opened ahead, all at once.
    expect((await r.nextAsync(CCS))!.content).toEqual(seqBytes(100, 1));
    expect(aead.opens).toBe(5);
    expect(aead.maxInFlight).toBeGreaterThanOrEqual(3);
    // Without room (the application is not reading), receive() takes one record's worth only.
    const more = join(Array.from({ length: 30 }, (_, i) => w.seal(ContentType.application_data, seqBytes(16000, i))));
    const q = newReader(opener(KEY_A).p);
    expect(q.receive(more, false, 0)).toBe(5 + 16384 + 256); // the deframer's capacity
  });

  it(`at most ${MAX_RECORDS_AHEAD} records ahead, and a fatal alert drops those behind it`, async () => {
    const w = sealer(KEY_A);
    const recs = [
      w.seal(ContentType.application_data, seqBytes(10)),
      w.seal(ContentType.application_data, seqBytes(10000, 1)),
      w.seal(ContentType.alert, Uint8Array.of(2, 20)),
      ...Array.from({ length: 20 }, (_, i) => w.seal(ContentType.application_data, seqBytes(10000, i))),
    ];
    const { p, aead } = opener(KEY_A);
    const r = newReader(p);
    let rest = join(recs);
    rest = rest.subarray(r.receive(rest, false, ROOM));
    expect((await r.nextAsync(CCS))!.content).toEqual(seqBytes(10));
    rest = rest.subarray(r.receive(rest, false, ROOM));
    expect(aead.maxInFlight).toBeLessThanOrEqual(MAX_RECORDS_AHEAD);
    expect(aead.opens).toBe(1 + MAX_RECORDS_AHEAD);
    const held = r.allocated;
    expect(held).toBeGreaterThan(MAX_RECORDS_AHEAD * 9000);
    expect((await r.nextAsync(CCS))!.content).toEqual(seqBytes(10000, 1));
    const alert = (await r.nextAsync(CCS))!;
    expect([alert.type, ...alert.content]).toEqual([ContentType.alert, 2, 20]);
    // Nothing after the alert is kept, opened or handed out.
    expect(r.allocated).toBeLessThan(held - 5 * 9000);
    expect(r.async).toBe(true);
  });
});
