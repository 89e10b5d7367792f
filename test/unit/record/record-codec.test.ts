import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AlertDescription } from '../../../src/base/errors.js';
import { ContentType } from '../../../src/wire/codes.js';
import {
  MAX_CIPHERTEXT_LEN_TLS12,
  MAX_CIPHERTEXT_LEN_TLS13,
  MAX_PLAINTEXT_LEN,
  decodeInnerPlaintext,
  encodeCompatChangeCipherSpec,
  encodeInnerPlaintext,
  encodeRecord,
  encodeRecordHeader,
  isCompatChangeCipherSpec,
  readRecordHeader,
} from '../../../src/wire/record.js';
import { expectStatus } from '../../helpers/tls-error.js';

describe('record header (RFC 9846 §5.1)', () => {
  it('encodes type, legacy_record_version and length big-endian', () => {
    expect(Array.from(encodeRecordHeader(22, 0x0301, 0x01c4))).toEqual([0x16, 0x03, 0x01, 0x01, 0xc4]);
  });

  it('round-trips through readRecordHeader at an offset', () => {
    const buf = new Uint8Array(9);
    buf.set(encodeRecordHeader(23, 0x0303, 0x4100), 4);
    expect(readRecordHeader(buf, 4)).toEqual({ type: 23, version: 0x0303, length: 0x4100 });
  });

  it('rejects a truncated header → DecodeError', () => {
    expectStatus(() => readRecordHeader(new Uint8Array(4)), 'DecodeError');
  });

  it('rejects out-of-range fields when encoding → InternalError', () => {
    expectStatus(() => encodeRecordHeader(256, 0x0303, 1), 'InternalError');
    expectStatus(() => encodeRecordHeader(22, 0x10000, 1), 'InternalError');
    expectStatus(() => encodeRecordHeader(22, 0x0303, 0x10000), 'InternalError');
  });

  it('encodeRecord writes header and fragment in one buffer', () => {
    expect(Array.from(encodeRecord(21, 0x0303, Uint8Array.of(2, 40)))).toEqual([21, 3, 3, 0, 2, 2, 40]);
  });

  it('has the RFC limits', () => {
    expect(MAX_PLAINTEXT_LEN).toBe(2 ** 14);
    expect(MAX_CIPHERTEXT_LEN_TLS13).toBe(2 ** 14 + 256);
    expect(MAX_CIPHERTEXT_LEN_TLS12).toBe(2 ** 14 + 2048);
  });
});

describe('TLSInnerPlaintext (RFC 9846 §5.2, §5.4)', () => {
  it('encodes content ‖ type ‖ zeros', () => {
    expect(Array.from(encodeInnerPlaintext(Uint8Array.of(1, 2), 22, 3))).toEqual([1, 2, 22, 0, 0, 0]);
  });

  it('decodes past the padding to the content type, as a view', () => {
    const inner = Uint8Array.of(9, 0, 8, 23, 0, 0, 0, 0);
    const { type, content } = decodeInnerPlaintext(inner);
    expect(type).toBe(23);
    expect(Array.from(content)).toEqual([9, 0, 8]);
    expect(content.buffer).toBe(inner.buffer);
  });

  it('round-trips any content, type and padding', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom(ContentType.handshake, ContentType.alert, ContentType.application_data),
        fc.nat(300),
        (content, type, pad) => {
          fc.pre(content.length > 0 || type === ContentType.application_data);
          const got = decodeInnerPlaintext(encodeInnerPlaintext(content, type, pad));
          expect(got.type).toBe(type);
          expect(Array.from(got.content)).toEqual(Array.from(content));
        },
      ),
    );
  });

  it('rejects an all-zero plaintext → UnexpectedMessage/unexpected_message', () => {
    const err = expectStatus(() => decodeInnerPlaintext(new Uint8Array(10)), 'UnexpectedMessage');
    expect(err.alert).toBe(AlertDescription.unexpected_message);
    expectStatus(() => decodeInnerPlaintext(new Uint8Array(0)), 'UnexpectedMessage');
  });

  it('rejects a protected change_cipher_spec → UnexpectedMessage (RFC 9846 §5)', () => {
    expectStatus(() => decodeInnerPlaintext(Uint8Array.of(1, 20, 0)), 'UnexpectedMessage');
  });

  it('rejects an unknown inner content type → UnexpectedMessage', () => {
    expectStatus(() => decodeInnerPlaintext(Uint8Array.of(1, 24)), 'UnexpectedMessage');
    expectStatus(() => decodeInnerPlaintext(Uint8Array.of(1, 255, 0)), 'UnexpectedMessage');
  });

  it('rejects empty handshake and alert content but allows empty application data', () => {
    expectStatus(() => decodeInnerPlaintext(Uint8Array.of(22, 0, 0)), 'UnexpectedMessage');
    expectStatus(() => decodeInnerPlaintext(Uint8Array.of(21)), 'UnexpectedMessage');
    const got = decodeInnerPlaintext(Uint8Array.of(23, 0));
    expect(got.type).toBe(23);
    expect(got.content.length).toBe(0);
  });

  it('refuses to encode a zero type or negative padding → InternalError', () => {
    expectStatus(() => encodeInnerPlaintext(Uint8Array.of(1), 0), 'InternalError');
    expectStatus(() => encodeInnerPlaintext(Uint8Array.of(1), 22, -1), 'InternalError');
  });
});

describe('compatibility ChangeCipherSpec (RFC 9846 §5, Appendix D.4)', () => {
  it('recognises only the one-byte 0x01 record', () => {
    expect(Array.from(encodeCompatChangeCipherSpec())).toEqual([20, 3, 3, 0, 1, 1]);
    expect(isCompatChangeCipherSpec({ type: 20, version: 0x0303, fragment: Uint8Array.of(1) })).toBe(true);
    expect(isCompatChangeCipherSpec({ type: 20, version: 0x0303, fragment: Uint8Array.of(2) })).toBe(false);
    expect(isCompatChangeCipherSpec({ type: 20, version: 0x0303, fragment: Uint8Array.of(1, 1) })).toBe(false);
    expect(isCompatChangeCipherSpec({ type: 22, version: 0x0303, fragment: Uint8Array.of(1) })).toBe(false);
  });
});
