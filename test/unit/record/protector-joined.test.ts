/**
 * The joined sealing path of {@link RecordProtector} (a provider AEAD with `sealJoined`: the
 * native one) against the in-place path (the pure provider's AEADs): for the same key, IV and
 * sequence number both must produce the same bytes, for every mode (TLS 1.3 with padding,
 * TLS 1.2 GCM with its explicit nonce, TLS 1.2 ChaCha20-Poly1305), and each must open the
 * other's records. The buffer `sealJoined` returns is not zero-filled memory: every byte of
 * it must be written (checked by comparing whole records), and the content given is only read.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createAead, isJoinedSealAead } from '../../../src/crypto/aead.js';
import { nativeProvider } from '../../../src/crypto/native.js';
import { AEAD_KEY_LEN, type AeadAlg } from '../../../src/crypto/provider.js';
import { IV_LEN, RecordProtector, type ProtectionMode } from '../../../src/record/protector.js';
import { Deframer } from '../../../src/record/deframer.js';
import { ContentType } from '../../../src/wire/codes.js';
import { seqBytes } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

const MODES: readonly [ProtectionMode, AeadAlg][] = [
  ['tls13', 'AES-128-GCM'],
  ['tls13', 'AES-256-GCM'],
  ['tls13', 'CHACHA20-POLY1305'],
  ['tls12-gcm', 'AES-128-GCM'],
  ['tls12-gcm', 'AES-256-GCM'],
  ['tls12-chacha', 'CHACHA20-POLY1305'],
];

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/** No usage limit: the sequence numbers tried go up to 2^64 − 2. */
const limits = { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity };

function pairOf(mode: ProtectionMode, alg: AeadAlg, sequence: bigint) {
  const key = seqBytes(AEAD_KEY_LEN[alg], 11);
  const iv = seqBytes(IV_LEN[mode], 77);
  const native = nativeProvider.aead(alg, key);
  expect(isJoinedSealAead(native)).toBe(true);
  return {
    joined: new RecordProtector({ mode, aead: native, iv, sequence, limits }),
    inPlace: new RecordProtector({ mode, aead: createAead(alg, key), iv, sequence, limits }),
    nativeReader: new RecordProtector({ mode, aead: nativeProvider.aead(alg, key), iv, sequence, limits }),
    pureReader: new RecordProtector({ mode, aead: createAead(alg, key), iv, sequence, limits }),
  };
}

function recordOf(bytes: Uint8Array) {
  const d = new Deframer({ maxFragmentLen: 0xffff });
  d.push(bytes);
  return d.next()!;
}

describe.each(MODES)('RecordProtector joined sealing (%s, %s)', (mode, alg) => {
  it('seals byte-for-byte as the in-place path, and each opens the other', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 16_384 }),
        fc.constantFrom(ContentType.application_data, ContentType.handshake, ContentType.alert),
        fc.integer({ min: 0, max: 40 }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 2n }),
        (len, type, pad, sequence) => {
          const padLen = mode === 'tls13' ? Math.min(pad, 16_384 - len) : 0;
          const n = type === ContentType.application_data ? len : Math.max(1, len);
          const content = seqBytes(n, len + pad);
          const before = hexOf(content);
          const p = pairOf(mode, alg, sequence);
          const a = p.joined.seal(type, content, padLen);
          const b = p.inPlace.seal(type, content, padLen);
          expect(hexOf(a)).toBe(hexOf(b));
          expect(hexOf(content)).toBe(before); // the content is only read
          expect(hexOf(p.pureReader.open(recordOf(a)).content)).toBe(before);
          expect(hexOf(p.nativeReader.open(recordOf(b)).content)).toBe(before);
          expect(p.joined.sequence).toBe(sequence + 1n);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a record altered in any byte region fails to open → BadRecordMac', () => {
    const p = pairOf(mode, alg, 5n);
    const rec = p.joined.seal(ContentType.application_data, seqBytes(1000, 1));
    for (const at of [5, 6, rec.length - 17, rec.length - 1]) {
      const bad = rec.slice();
      bad[at]! ^= 1;
      const reader = pairOf(mode, alg, 5n).nativeReader;
      expectStatus(() => reader.open(recordOf(bad)), 'BadRecordMac');
    }
  });
});

describe('native sealJoined', () => {
  it('rejects a nonce that is not 12 bytes → InternalError', () => {
    const a = nativeProvider.aead('AES-128-GCM', new Uint8Array(16));
    if (!isJoinedSealAead(a)) throw new Error('native AEAD has no sealJoined');
    expectStatus(() => a.sealJoined(new Uint8Array(8), new Uint8Array(5), new Uint8Array(5), new Uint8Array(10), new Uint8Array(1)), 'InternalError');
  });

  it('equals prefix ‖ seal(content ‖ trailer)', () => {
    const key = seqBytes(32, 3);
    const a = nativeProvider.aead('CHACHA20-POLY1305', key);
    if (!isJoinedSealAead(a)) throw new Error('native AEAD has no sealJoined');
    const nonce = seqBytes(12, 9);
    const aad = seqBytes(13, 4);
    const prefix = seqBytes(13, 8);
    const content = seqBytes(3000, 2);
    const trailer = Uint8Array.of(23, 0, 0);
    const whole = new Uint8Array(3003);
    whole.set(content);
    whole.set(trailer, 3000);
    const joined = a.sealJoined(nonce, aad, prefix, content, trailer);
    const sealed = createAead('CHACHA20-POLY1305', key).seal(nonce, aad, whole);
    expect(hexOf(joined)).toBe(hexOf(prefix) + hexOf(sealed));
  });
});
