/**
 * Unit tests for src/handshake/transcript.ts (RFC 9846 §4.4.1).
 */
import { describe, expect, it } from 'vitest';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { MESSAGE_HASH_TYPE, Transcript, TranscriptHash, encodeMessageHash } from '../../../src/handshake/transcript.js';
import { AlertDescription } from '../../../src/base/errors.js';
import { concat, hashProvider as crypto, toHex } from '../../helpers/hash-provider.js';
import { expectStatus } from '../../helpers/tls-error.js';

/** A fake handshake message: type, 24-bit length, body. */
function msg(type: number, body: number[] | Uint8Array): Uint8Array {
  const b = body instanceof Uint8Array ? body : Uint8Array.from(body);
  return concat(Uint8Array.of(type, b.length >> 16, (b.length >> 8) & 0xff, b.length & 0xff), b);
}
const CH1 = msg(1, Array.from({ length: 100 }, (_, i) => i));
const HRR = msg(2, [3, 3, 0xcf, 0x21]);
const CH2 = msg(1, Array.from({ length: 120 }, (_, i) => 255 - i));
const SH = msg(2, [3, 3, 1, 2, 3]);
const EE = msg(8, [0, 0]);

/** A TlsError InternalError with the internal_error alert. */
function expectInternal(fn: () => unknown): void {
  const err = expectStatus(fn, 'InternalError');
  expect(err.alert).toBe(AlertDescription.internal_error);
}

describe('Transcript: hashing', () => {
  it('buffers messages added before the hash is known, then hashes them in order', () => {
    const t = new Transcript(crypto);
    expect(t.hashAlg).toBeNull();
    t.add(CH1);
    t.add(SH);
    t.setHash('sha256');
    expect(t.hashAlg).toBe('sha256');
    t.add(EE);
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH, EE))));
    expect(t.length).toBe(3);
  });

  it('current() does not disturb the running hash', () => {
    const t = new Transcript(crypto);
    t.setHash('sha384');
    t.add(CH1);
    const a = t.current();
    expect(t.current()).toEqual(a);
    t.add(SH);
    expect(toHex(t.current())).toBe(toHex(sha384(concat(CH1, SH))));
  });

  it('current() hands out a fresh copy each time (a caller wiping it does not change the next), and a new message changes it', () => {
    const t = new Transcript(crypto);
    t.setHash('sha256');
    t.add(CH1);
    const a = t.current();
    const want = toHex(a);
    a.fill(0);
    const b = t.current();
    expect(toHex(b)).toBe(want);
    expect(b).not.toBe(t.current());
    t.add(SH);
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH))));
    const c = t.clone();
    c.add(EE);
    expect(toHex(c.current())).toBe(toHex(sha256(concat(CH1, SH, EE))));
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH))));
  });

  it('currentWith() includes extra bytes without adding them', () => {
    const t = new Transcript(crypto);
    t.setHash('sha256');
    t.add(CH1);
    const partial = SH.subarray(0, 6);
    expect(toHex(t.currentWith(partial))).toBe(toHex(sha256(concat(CH1, partial))));
    expect(toHex(t.current())).toBe(toHex(sha256(CH1)));
  });

  it('copies messages it buffers: the caller may reuse its buffer', () => {
    const t = new Transcript(crypto);
    const buf = CH1.slice();
    t.add(buf);
    buf.fill(0);
    t.setHash('sha256');
    expect(toHex(t.current())).toBe(toHex(sha256(CH1)));
  });

  it('clone() is independent, before and after the hash is chosen', () => {
    const t = new Transcript(crypto);
    t.add(CH1);
    const early = t.clone();
    t.setHash('sha256');
    t.add(SH);
    early.setHash('sha384');
    expect(toHex(early.current())).toBe(toHex(sha384(CH1)));
    const c = t.clone();
    c.add(EE);
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH))));
    expect(toHex(c.current())).toBe(toHex(sha256(concat(CH1, SH, EE))));
  });

  it('setHash() with the same hash is a no-op; a different one is refused', () => {
    const t = new Transcript(crypto);
    t.add(CH1);
    t.setHash('sha256');
    t.setHash('sha256');
    expect(toHex(t.current())).toBe(toHex(sha256(CH1)));
    expectInternal(() => t.setHash('sha384'));
  });

  it('refuses current() before the hash is known, and runts that cannot be handshake messages', () => {
    const t = new Transcript(crypto);
    expectInternal(() => t.current());
    expectInternal(() => t.currentWith(CH1));
    expectInternal(() => t.add(new Uint8Array(3)));
  });
});

describe('Transcript: HelloRetryRequest (RFC 9846 §4.4.1)', () => {
  it('encodes message_hash as fe 00 00 Hash.length ‖ Hash(ClientHello1)', () => {
    expect(MESSAGE_HASH_TYPE).toBe(254);
    const h = sha256(CH1);
    expect(toHex(encodeMessageHash('sha256', h))).toBe('fe000020' + toHex(h));
    const h384 = sha384(CH1);
    expect(toHex(encodeMessageHash('sha384', h384))).toBe('fe000030' + toHex(h384));
    expectInternal(() => encodeMessageHash('sha384', h));
  });

  it('replaces ClientHello1 with message_hash before the HRR is added', () => {
    const t = new Transcript(crypto);
    t.add(CH1);
    t.setHash('sha256');
    t.replaceWithMessageHash();
    expect(t.hasMessageHash).toBe(true);
    t.add(HRR);
    t.add(CH2);
    t.add(SH);
    const want = sha256(concat(encodeMessageHash('sha256', sha256(CH1)), HRR, CH2, SH));
    expect(toHex(t.current())).toBe(toHex(want));
    expect(t.length).toBe(4);
  });

  it('works with SHA-384 (Hash.length 48)', () => {
    const t = new Transcript(crypto);
    t.add(CH1);
    t.setHash('sha384');
    t.replaceWithMessageHash();
    t.add(HRR);
    expect(toHex(t.current())).toBe(toHex(sha384(concat(Uint8Array.of(0xfe, 0, 0, 48), sha384(CH1), HRR))));
  });

  it('a stateless server restoring from Hash(ClientHello1) gets the same transcript', () => {
    const a = new Transcript(crypto);
    a.add(CH1);
    a.setHash('sha256');
    a.replaceWithMessageHash();
    a.add(HRR);
    const b = new Transcript(crypto);
    b.setHash('sha256');
    b.restoreFromMessageHash(sha256(CH1));
    b.add(HRR);
    expect(b.current()).toEqual(a.current());
    expect(b.hasMessageHash).toBe(true);
  });

  it('refuses to replace before the hash is known, twice, or when the transcript is not exactly ClientHello1', () => {
    const noHash = new Transcript(crypto);
    noHash.add(CH1);
    expectInternal(() => noHash.replaceWithMessageHash());

    const empty = new Transcript(crypto);
    empty.setHash('sha256');
    expectInternal(() => empty.replaceWithMessageHash());

    const two = new Transcript(crypto);
    two.add(CH1);
    two.add(HRR);
    two.setHash('sha256');
    expectInternal(() => two.replaceWithMessageHash());

    const once = new Transcript(crypto);
    once.add(CH1);
    once.setHash('sha256');
    once.replaceWithMessageHash();
    expectInternal(() => once.replaceWithMessageHash());
  });

  it('refuses to restore into a non-empty transcript or with a hash of the wrong length', () => {
    const t = new Transcript(crypto);
    t.setHash('sha256');
    expectInternal(() => t.restoreFromMessageHash(new Uint8Array(48)));
    t.add(CH1);
    expectInternal(() => t.restoreFromMessageHash(sha256(CH1)));
    const noHash = new Transcript(crypto);
    expectInternal(() => noHash.restoreFromMessageHash(sha256(CH1)));
  });
});

describe('TranscriptHash (a TLS 1.3 client) and Transcript.continuing (its TLS 1.2 continuation)', () => {
  it('hashes like Transcript, keeping no message log', () => {
    const t = new TranscriptHash(crypto);
    t.add(CH1);
    t.setHash('sha256');
    t.add(SH);
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH))));
    expect('messages' in t).toBe(false);
  });

  it('continuing() carries the buffered ClientHello into a transcript with a message log (RFC 5246 §7.4.8)', () => {
    const hash = new TranscriptHash(crypto);
    const ch = Uint8Array.from(CH1);
    hash.add(ch);
    ch.fill(0); // the transcript holds its own copy
    const t = Transcript.continuing(hash, crypto);
    t.setHash('sha256');
    t.add(SH);
    t.add(EE);
    expect(toHex(t.messages())).toBe(toHex(concat(CH1, SH, EE)));
    expect(toHex(t.current())).toBe(toHex(sha256(concat(CH1, SH, EE))));
    expect(t.length).toBe(3);
  });

  it('continuing() refuses a transcript whose hash is already chosen (InternalError)', () => {
    const hash = new TranscriptHash(crypto);
    hash.add(CH1);
    hash.setHash('sha256');
    expectInternal(() => Transcript.continuing(hash, crypto));
  });
});

