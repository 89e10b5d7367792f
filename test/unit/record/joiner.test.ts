import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlertDescription } from '../../../src/base/errors.js';
import {
  DEFAULT_MAX_HANDSHAKE_MESSAGE,
  Joiner,
  MAX_HANDSHAKE_MESSAGE,
  type HandshakeFrame,
} from '../../../src/record/joiner.js';
import { packMessages } from '../../../src/record/fragmenter.js';
import { concat, seqBytes, toHex } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

/** Encodes a handshake message: type(1) ‖ uint24 length ‖ body (RFC 9846 §4). */
function msg(type: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type, body.length >>> 16, (body.length >>> 8) & 0xff, body.length & 0xff), body);
}

function drain(j: Joiner): HandshakeFrame[] {
  const out: HandshakeFrame[] = [];
  for (let m; (m = j.next()) !== null; ) out.push(m);
  return out;
}

function feed(j: Joiner, fragments: Uint8Array[]): HandshakeFrame[] {
  const out: HandshakeFrame[] = [];
  for (const f of fragments) {
    j.push(f);
    out.push(...drain(j));
  }
  return out;
}

const summary = (f: HandshakeFrame) => ({ type: f.type, body: toHex(f.body), raw: toHex(f.raw) });

describe('Joiner (RFC 9846 §5.1)', () => {
  it('returns several messages from one record, as views of it', () => {
    const m1 = msg(2, seqBytes(40));
    const m2 = msg(8, seqBytes(2));
    const m3 = msg(20, seqBytes(32));
    const record = concat(m1, m2, m3);
    const j = new Joiner();
    j.push(record);
    const got = drain(j);
    expect(got.map((f) => f.type)).toEqual([2, 8, 20]);
    expect(got.map((f) => f.raw)).toEqual([m1, m2, m3]);
    expect(got[0]!.body).toEqual(seqBytes(40));
    for (const f of got) expect(f.raw.buffer).toBe(record.buffer);
    expect(j.isEmpty()).toBe(true);
  });

  it('reassembles a message spanning records, header split too', () => {
    const m = msg(11, seqBytes(5000));
    const j = new Joiner();
    j.push(m.subarray(0, 2));
    expect(j.next()).toBeNull();
    expect(j.hasPartial()).toBe(true);
    j.push(m.subarray(2, 3000));
    expect(j.next()).toBeNull();
    j.push(m.subarray(3000));
    const f = j.next()!;
    expect(f.type).toBe(11);
    expect(f.raw).toEqual(m);
    expect(f.body).toEqual(seqBytes(5000));
    expect(j.isEmpty()).toBe(true);
  });

  it('a 64 KiB message in 1-byte fragments', () => {
    const m = msg(11, seqBytes(DEFAULT_MAX_HANDSHAKE_MESSAGE));
    const j = new Joiner();
    let got: HandshakeFrame | null = null;
    for (let i = 0; i < m.length; i++) {
      j.push(m.subarray(i, i + 1));
      const f = j.next();
      if (f) got = f;
    }
    expect(got!.body.length).toBe(DEFAULT_MAX_HANDSHAKE_MESSAGE);
    expect(toHex(got!.raw)).toBe(toHex(m));
  });

  it('any split of a message stream into records yields the same messages', () => {
    const arbMsg = fc.record({ type: fc.integer({ min: 0, max: 255 }), body: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(arbMsg, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 10 }), (msgs, sizes) => {
        const stream = concat(...msgs.map((m) => msg(m.type, m.body)));
        const frags: Uint8Array[] = [];
        for (let off = 0, i = 0; off < stream.length; i++) {
          const n = sizes[i % sizes.length]!;
          frags.push(stream.slice(off, off + n));
          off += n;
        }
        const j = new Joiner();
        const got = feed(j, frags);
        expect(got.map(summary)).toEqual(msgs.map((m) => summary({ type: m.type, body: m.body, raw: msg(m.type, m.body) })));
        expect(j.isEmpty()).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('messages already returned stay intact as later fragments arrive', () => {
    const a = msg(1, seqBytes(10, 1));
    const b = msg(2, seqBytes(10, 2));
    const j = new Joiner();
    const got = feed(j, [a.subarray(0, 7), concat(a.subarray(7), b.subarray(0, 3)), b.subarray(3)]);
    expect(got.map((f) => toHex(f.raw))).toEqual([toHex(a), toHex(b)]);
  });

  it('accepts an empty-bodied message (e.g. ServerHelloDone / HelloRequest)', () => {
    const j = new Joiner();
    j.push(Uint8Array.of(14, 0, 0, 0, 0, 0, 0, 0));
    expect(drain(j).map((f) => [f.type, f.body.length])).toEqual([
      [14, 0],
      [0, 0],
    ]);
  });

  it('rejects a message over the limit from its header alone → DecodeError/decode_error', () => {
    const j = new Joiner();
    j.push(Uint8Array.of(11, 0x01, 0x00, 0x01)); // 65537 > 64 KiB, no body yet
    const err = expectStatus(() => j.next(), 'DecodeError');
    expect(err.alert).toBe(AlertDescription.decode_error);
    const j2 = new Joiner();
    j2.push(Uint8Array.of(11, 0x01)); // header split across fragments
    expect(j2.next()).toBeNull();
    j2.push(Uint8Array.of(0x00, 0x01));
    expectStatus(() => j2.next(), 'DecodeError');
  });

  it('honours a configured limit exactly', () => {
    const j = new Joiner({ maxMessageSize: 100 });
    expect(j.maxMessageSize).toBe(100);
    j.push(msg(4, seqBytes(100)));
    expect(j.next()!.body.length).toBe(100);
    j.push(msg(4, seqBytes(101)));
    expectStatus(() => j.next(), 'DecodeError');
    const big = new Joiner({ maxMessageSize: MAX_HANDSHAKE_MESSAGE });
    big.push(Uint8Array.of(11, 0xff, 0xff, 0xff));
    expect(big.next()).toBeNull();
  });

  it('rejects a limit over 2^24 - 1 → InvalidConfig', () => {
    expectStatus(() => new Joiner({ maxMessageSize: MAX_HANDSHAKE_MESSAGE + 1 }), 'InvalidConfig');
    expectStatus(() => new Joiner({ maxMessageSize: -1 }), 'InvalidConfig');
  });

  it('rejects an empty fragment → UnexpectedMessage', () => {
    expectStatus(() => new Joiner().push(new Uint8Array(0)), 'UnexpectedMessage');
  });

  it('reports record boundaries for key changes: checkKeyChange → UnexpectedMessage (RFC 9846 §5.1)', () => {
    const fin = msg(20, seqBytes(32));
    const ee = msg(8, seqBytes(2));
    const j = new Joiner();
    // ServerHello-like message followed by the start of the next one in the same record.
    j.push(concat(fin, ee.subarray(0, 3)));
    expect(j.next()!.type).toBe(20);
    expect(j.isEmpty()).toBe(false);
    expect(j.hasPartial()).toBe(true);
    expect(j.buffered).toBe(3);
    const err = expectStatus(() => j.checkKeyChange('ServerHello'), 'UnexpectedMessage');
    expect(err.alert).toBe(AlertDescription.unexpected_message);

    const k = new Joiner();
    k.push(concat(fin, ee)); // a whole second message after the key-change message
    expect(k.next()!.type).toBe(20);
    expect(k.hasPartial()).toBe(false); // complete, just not taken yet
    expectStatus(() => k.checkKeyChange(), 'UnexpectedMessage');

    const ok = new Joiner();
    ok.push(fin);
    expect(ok.next()!.type).toBe(20);
    expect(ok.isEmpty()).toBe(true);
    expect(ok.hasPartial()).toBe(false);
    ok.checkKeyChange();
  });

  it('round-trips packMessages output', () => {
    const msgs = [msg(2, seqBytes(90)), msg(8, seqBytes(20)), msg(11, seqBytes(40000)), msg(15, seqBytes(260)), msg(20, seqBytes(32))];
    const got = feed(new Joiner(), packMessages(msgs));
    expect(got.map((f) => toHex(f.raw))).toEqual(msgs.map(toHex));
  });
});
