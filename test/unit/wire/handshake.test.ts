import { describe, expect, it } from 'vitest';
import { ExtensionType as T, HandshakeType } from '../../../src/wire/codes.js';
import {
  MAX_TICKET_LIFETIME,
  decodeHandshake,
  decodeHandshakeBytes,
  encodeHandshake,
  handshakeTypeOf,
  messageHash,
} from '../../../src/wire/handshake.js';
import type { EncryptedExtensions, Finished, KeyUpdate, NewSessionTicket } from '../../../src/wire/messages.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { block, ext, hex, toHex } from './helpers.js';

function body(type: number, h: string, finishedLength?: number) {
  return decodeHandshake(type, hex(h), undefined, finishedLength === undefined ? {} : { finishedLength });
}

describe('handshake header', () => {
  it('writes type and a 24-bit length, and does not touch msg.raw', () => {
    const m: KeyUpdate = { type: 'key_update', requestUpdate: 1 };
    expect(toHex(encodeHandshake(m))).toBe('1800000101');
    expect(m.raw).toBeUndefined();
    expect(handshakeTypeOf(m)).toBe(HandshakeType.key_update);
  });

  it('sets raw on decoded messages: the given bytes, or the rebuilt header and body', () => {
    const raw = hex('1800000100');
    expect(decodeHandshake(24, raw.subarray(4), raw).raw).toBe(raw);
    expect(decodeHandshake(24, hex('00')).raw).toEqual(raw);
    expect(decodeHandshakeBytes(raw)).toEqual({ type: 'key_update', requestUpdate: 0, raw });
  });

  it('rejects a message whose length field does not match the bytes → DecodeError', () => {
    expectTlsError(() => decodeHandshakeBytes(hex('1800000200')), 'DecodeError');
    expectTlsError(() => decodeHandshakeBytes(hex('180000010000')), 'DecodeError');
    expectTlsError(() => decodeHandshakeBytes(hex('180000')), 'DecodeError');
  });

  for (const [name, type] of [
    ['hello_request', 0],
    ['server_key_exchange', 12],
    ['server_hello_done', 14],
    ['client_key_exchange', 16],
    ['certificate_status', 22],
    ['message_hash', 254],
    ['an unassigned type', 99],
  ] as const) {
    it(`rejects ${name} (${type}) as a TLS 1.3 handshake message → UnexpectedMessage`, () => {
      expectTlsError(() => decodeHandshake(type, new Uint8Array(0)), 'UnexpectedMessage');
    });
  }
});

describe('encodeHandshake buffers', () => {
  it('returns exact-size bytes of their own: a later encoding or a write into one leaves the others as they were', () => {
    const big: Finished = { type: 'finished', verifyData: new Uint8Array(3000).fill(7) };
    const small: KeyUpdate = { type: 'key_update', requestUpdate: 1 };
    const a = encodeHandshake(big);
    const b = encodeHandshake(small);
    expect(a.length).toBe(3004);
    expect(a.buffer.byteLength).toBe(3004);
    expect(toHex(b)).toBe('1800000101');
    a.fill(0xee);
    expect(toHex(encodeHandshake(small))).toBe('1800000101');
    expect(toHex(b)).toBe('1800000101');
    expect(encodeHandshake(big)).toEqual(Uint8Array.from([20, 0, 0x0b, 0xb8, ...new Uint8Array(3000).fill(7)]));
  });

  it('an encoding that fails (a body over 2^24-1 bytes: InternalError) leaves nothing behind for the next one', () => {
    const tooLong: Finished = { type: 'finished', verifyData: new Uint8Array(1 << 24) };
    expectTlsError(() => encodeHandshake(tooLong), 'InternalError');
    expect(toHex(encodeHandshake({ type: 'key_update', requestUpdate: 0 }))).toBe('1800000100');
  });
});

describe('EncryptedExtensions', () => {
  it('decodes and re-encodes an EncryptedExtensions with ALPN, server_name and early_data', () => {
    const b = block(ext(T.server_name), ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(T.early_data));
    const m = body(8, b) as EncryptedExtensions;
    expect(m.extensions.alpn).toBe('h2');
    expect(m.extensions.serverName).toBe(true);
    expect(toHex(encodeHandshake(m))).toBe(toHex(m.raw!));
  });

  it('decodes an empty EncryptedExtensions', () => {
    expect(body(8, '0000')).toEqual({ type: 'encrypted_extensions', extensions: { unknown: [], order: [] }, raw: hex('080000020000') });
  });

  it('rejects an EncryptedExtensions without its extensions block → DecodeError', () => {
    expectTlsError(() => body(8, ''), 'DecodeError');
  });

  it('rejects trailing data → DecodeError', () => {
    expectTlsError(() => body(8, '0000 00'), 'DecodeError');
  });

  it('rejects a duplicated extension in EncryptedExtensions → IllegalParameter', () => {
    expectTlsError(() => body(8, block(ext(T.early_data), ext(T.early_data))), 'IllegalParameter');
  });

  it('rejects key_share in EncryptedExtensions → IllegalParameter', () => {
    expectTlsError(() => body(8, block(ext(T.key_share, '001d 0001 aa'))), 'IllegalParameter');
  });
});

describe('Finished', () => {
  it('decodes verify_data of the hash length and re-encodes it', () => {
    const vd = 'ab'.repeat(32);
    const m = body(20, vd, 32) as Finished;
    expect(m.verifyData).toEqual(hex(vd));
    expect(toHex(encodeHandshake(m))).toBe('14000020' + vd);
  });

  it('rejects verify_data shorter or longer than the hash length → DecodeError', () => {
    expectTlsError(() => body(20, 'ab'.repeat(31), 32), 'DecodeError');
    expectTlsError(() => body(20, 'ab'.repeat(33), 32), 'DecodeError');
    expectTlsError(() => body(20, 'ab'.repeat(32), 48), 'DecodeError');
  });

  it('takes the whole body when no length is given, but never an empty one → DecodeError', () => {
    expect((body(20, 'ab'.repeat(48)) as Finished).verifyData).toHaveLength(48);
    expectTlsError(() => body(20, ''), 'DecodeError');
  });
});

describe('NewSessionTicket', () => {
  const nst = (lifetime: string, rest = '01020304 02 0a0b 0003 aabbcc 0000') => `${lifetime} ${rest}`;

  it('decodes and re-encodes a ticket with a max_early_data_size', () => {
    const h = `00093a80 01020304 01 00 0002 beef ` + block(ext(T.early_data, '00004000'), ext(0xeeee));
    const m = body(4, h) as NewSessionTicket;
    expect(m.lifetime).toBe(MAX_TICKET_LIFETIME);
    expect(m.ageAdd).toBe(0x01020304);
    expect(m.nonce).toEqual(hex('00'));
    expect(m.ticket).toEqual(hex('beef'));
    expect(m.extensions.earlyData).toEqual({ maxEarlyDataSize: 0x4000 });
    expect(m.extensions.unknown).toEqual([{ type: 0xeeee, data: new Uint8Array(0) }]);
    expect(toHex(encodeHandshake(m))).toBe(toHex(m.raw!));
  });

  it('accepts an empty nonce and a zero lifetime', () => {
    const m = body(4, `00000000 ffffffff 00 0001 01 0000`) as NewSessionTicket;
    expect(m.nonce).toHaveLength(0);
    expect(m.ageAdd).toBe(0xffffffff);
  });

  it('rejects a ticket_lifetime over 604800 seconds → IllegalParameter', () => {
    expectTlsError(() => body(4, nst('00093a81')), 'IllegalParameter');
    expectTlsError(() => body(4, nst('ffffffff')), 'IllegalParameter');
  });

  it('rejects an empty ticket → DecodeError', () => {
    expectTlsError(() => body(4, '00000001 00000000 00 0000 0000'), 'DecodeError');
  });

  it('rejects a missing extensions block or trailing data → DecodeError', () => {
    expectTlsError(() => body(4, '00000001 00000000 00 0001 aa'), 'DecodeError');
    expectTlsError(() => body(4, nst('00000001') + '00'), 'DecodeError');
  });

  it('rejects a nonce running past the message → DecodeError', () => {
    expectTlsError(() => body(4, '00000001 00000000 ff 00'), 'DecodeError');
  });

  it('rejects key_share in NewSessionTicket → IllegalParameter', () => {
    expectTlsError(() => body(4, '00000001 00000000 00 0001 aa ' + block(ext(T.key_share, '0017'))), 'IllegalParameter');
  });

  it('refuses to encode a lifetime over 604800 or an empty ticket → InternalError', () => {
    const m: NewSessionTicket = { type: 'new_session_ticket', lifetime: 604801, ageAdd: 0, nonce: new Uint8Array(0), ticket: hex('01'), extensions: {} };
    expectTlsError(() => encodeHandshake(m), 'InternalError');
    expectTlsError(() => encodeHandshake({ ...m, lifetime: 1, ticket: new Uint8Array(0) }), 'InternalError');
  });
});

describe('KeyUpdate', () => {
  it('decodes update_not_requested and update_requested', () => {
    expect((body(24, '00') as KeyUpdate).requestUpdate).toBe(0);
    expect((body(24, '01') as KeyUpdate).requestUpdate).toBe(1);
  });

  it('rejects a request_update other than 0 or 1 → IllegalParameter', () => {
    expectTlsError(() => body(24, '02'), 'IllegalParameter');
    expectTlsError(() => body(24, 'ff'), 'IllegalParameter');
  });

  it('rejects an empty or over-long KeyUpdate → DecodeError', () => {
    expectTlsError(() => body(24, ''), 'DecodeError');
    expectTlsError(() => body(24, '0000'), 'DecodeError');
  });

  it('refuses to encode a request_update other than 0 or 1 → InternalError', () => {
    expectTlsError(() => encodeHandshake({ type: 'key_update', requestUpdate: 2 }), 'InternalError');
  });
});

describe('EndOfEarlyData', () => {
  it('decodes an empty body and encodes to a bare header', () => {
    expect(body(5, '')).toEqual({ type: 'end_of_early_data', raw: hex('05000000') });
    expect(toHex(encodeHandshake({ type: 'end_of_early_data' }))).toBe('05000000');
  });

  it('rejects a non-empty EndOfEarlyData → DecodeError', () => {
    expectTlsError(() => body(5, '00'), 'DecodeError');
  });
});

describe('messageHash', () => {
  it('builds message_hash(254) ‖ 00 00 Hash.length ‖ Hash(ClientHello1) (RFC 9846 §4.4.1)', () => {
    expect(toHex(messageHash(hex('11'.repeat(32))))).toBe('fe000020' + '11'.repeat(32));
    expect(toHex(messageHash(hex('22'.repeat(48))))).toBe('fe000030' + '22'.repeat(48));
  });
});
