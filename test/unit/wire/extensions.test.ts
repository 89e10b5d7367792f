import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import {
  allowedContexts,
  decodeExtensions,
  encodeExtensions,
  extensionTypes,
  isAllowedIn,
  pskBindersLength,
  unsolicitedExtensions,
  type ExtContext,
} from '../../../src/wire/extensions.js';
import { noExtensions, type Extensions } from '../../../src/wire/messages.js';
import { Reader } from '../../../src/wire/reader.js';
import { encode } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { block, ext, hex, toHex } from './helpers.js';

function dec(blockHex: string, ctx: ExtContext): Extensions {
  const r = new Reader(hex(blockHex));
  const e = decodeExtensions(r, ctx);
  expect(r.left).toBe(0);
  return e;
}
function enc(e: Extensions, ctx: ExtContext): string {
  return toHex(encode((w) => encodeExtensions(w, e, ctx)));
}
/** Decodes, then checks that re-encoding gives the same bytes. */
function roundTrip(blockHex: string, ctx: ExtContext): Extensions {
  const e = dec(blockHex, ctx);
  expect(enc(e, ctx)).toBe(blockHex.replace(/\s+/g, ''));
  return e;
}

const BINDER32 = '20' + 'ab'.repeat(32);
const PSK_CH = ext(T.pre_shared_key, '000a' + '0004' + 'deadbeef' + '00000007' + '0021' + BINDER32);

describe('extensions in ClientHello', () => {
  it('decodes server_name with one host_name and re-encodes it identically', () => {
    // server_name_list len 15: host_name(0) len 12 "example.test"
    const e = roundTrip(block(ext(T.server_name, '000f 00 000c 6578616d706c652e74657374')), 'client_hello');
    expect(e.serverName).toEqual(['example.test']);
    expect(e.order).toEqual([T.server_name]);
  });

  it('decodes supported_groups, signature_algorithms and signature_algorithms_cert lists', () => {
    const e = roundTrip(
      block(ext(T.supported_groups, '0004 001d 0017'), ext(T.signature_algorithms, '0006 0403 0804 0807'), ext(T.signature_algorithms_cert, '0002 0401')),
      'client_hello',
    );
    expect(e.supportedGroups).toEqual([0x1d, 0x17]);
    expect(e.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0807]);
    expect(e.signatureAlgorithmsCert).toEqual([0x0401]);
  });

  it('decodes supported_versions as a list in ClientHello', () => {
    const e = roundTrip(block(ext(T.supported_versions, '04 0304 0303')), 'client_hello');
    expect(e.supportedVersions).toEqual([0x0304, 0x0303]);
  });

  it('decodes key_share client_shares, including an empty list', () => {
    const e = roundTrip(block(ext(T.key_share, '000e 001d 0004 01020304 0017 0002 aabb')), 'client_hello');
    expect(e.keyShareClient).toEqual([
      { group: 0x1d, keyExchange: hex('01020304') },
      { group: 0x17, keyExchange: hex('aabb') },
    ]);
    expect(roundTrip(block(ext(T.key_share, '0000')), 'client_hello').keyShareClient).toEqual([]);
  });

  it('decodes ALPN protocol names as one char per byte', () => {
    const e = roundTrip(block(ext(T.application_layer_protocol_negotiation, '000c 02 6832 08 687474702f312e31')), 'client_hello');
    expect(e.alpn).toEqual(['h2', 'http/1.1']);
    const bin = roundTrip(block(ext(T.application_layer_protocol_negotiation, '0003 02 ff00')), 'client_hello');
    expect(bin.alpn).toEqual(['\u00ff\u0000']);
  });

  it('decodes cookie, psk_key_exchange_modes, early_data and padding', () => {
    const e = roundTrip(
      block(ext(T.cookie, '0003 010203'), ext(T.psk_key_exchange_modes, '01 01'), ext(T.early_data), ext(T.padding, '000000')),
      'client_hello',
    );
    expect(e.cookie).toEqual(hex('010203'));
    expect(e.pskKeyExchangeModes).toEqual([1]);
    expect(e.earlyData).toEqual({});
    expect(e.padding).toBe(3);
  });

  it('decodes an empty padding extension as length 0', () => {
    expect(roundTrip(block(ext(T.padding)), 'client_hello').padding).toBe(0);
  });

  it('decodes pre_shared_key OfferedPsks when it is the last extension', () => {
    const e = roundTrip(block(ext(T.supported_versions, '02 0304'), PSK_CH), 'client_hello');
    expect(e.preSharedKeyClient).toEqual({
      identities: [{ identity: hex('deadbeef'), obfuscatedTicketAge: 7 }],
      binders: [hex('ab'.repeat(32))],
    });
    expect(pskBindersLength(e.preSharedKeyClient!)).toBe(2 + 33);
  });

  it('keeps unknown extensions in wire order and round-trips a mixed block byte for byte', () => {
    const e = roundTrip(
      block(ext(0xfafa), ext(T.supported_versions, '02 0304'), ext(T.extended_master_secret), ext(0x1234, 'cafe'), ext(T.server_name, '0004 00 0001 61')),
      'client_hello',
    );
    // extended_master_secret is decoded (a ClientHello may offer TLS 1.2), the others kept
    expect(e.extendedMasterSecret).toBe(true);
    expect(e.unknown).toEqual([
      { type: 0xfafa, data: new Uint8Array(0) },
      { type: 0x1234, data: hex('cafe') },
    ]);
    expect(e.order).toEqual([0xfafa, T.supported_versions, T.extended_master_secret, 0x1234, T.server_name]);
  });

  it('decodes an empty extension block', () => {
    expect(roundTrip('0000', 'client_hello')).toEqual({ unknown: [], order: [] });
  });

  it('ignores a recognized extension that is not allowed in ClientHello and keeps it in unknown', () => {
    const e = roundTrip(block(ext(T.oid_filters, '0000')), 'client_hello');
    expect(e.unknown).toEqual([{ type: T.oid_filters, data: hex('0000') }]);
  });

  it('does not check the data of unknown extensions', () => {
    expect(dec(block(ext(0x7777, 'ff')), 'client_hello').unknown[0]!.data).toEqual(hex('ff'));
  });

  it('rejects a duplicated extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.supported_groups, '0002 001d'), ext(T.supported_groups, '0002 0017')), 'client_hello'), 'IllegalParameter');
  });

  it('rejects a duplicated unknown extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(0xaaaa), ext(0xaaaa)), 'client_hello'), 'IllegalParameter');
  });

  it('rejects pre_shared_key that is not the last extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(PSK_CH, ext(T.supported_versions, '02 0304')), 'client_hello'), 'IllegalParameter');
    expectTlsError(() => dec(block(PSK_CH, ext(0xfafa)), 'client_hello'), 'IllegalParameter');
  });

  it('rejects trailing data inside an extension → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.cookie, '0001 aa bb')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '02 0304 00')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.early_data, '00')), 'client_hello'), 'DecodeError');
  });

  it('rejects an extension whose length runs past the block → DecodeError', () => {
    expectTlsError(() => dec('0006' + '000a' + '0004' + '0002', 'client_hello'), 'DecodeError');
  });

  it('rejects a block with a partial extension header → DecodeError', () => {
    expectTlsError(() => dec('0003 000a 00', 'client_hello'), 'DecodeError');
  });

  it('rejects a block longer than the bytes available → DecodeError', () => {
    expectTlsError(() => dec('0010 000a 0000', 'client_hello'), 'DecodeError');
  });

  it('rejects empty or odd-length u16 lists → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.supported_groups, '0000')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_groups, '0003 001d 00')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.signature_algorithms, '0000')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.signature_algorithms_cert, '0000')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '00')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '03 030403')), 'client_hello'), 'DecodeError');
  });

  it('rejects an extension with no data where a vector is required → DecodeError', () => {
    for (const t of [T.server_name, T.supported_groups, T.signature_algorithms, T.supported_versions, T.key_share, T.cookie, T.psk_key_exchange_modes, T.application_layer_protocol_negotiation, T.pre_shared_key]) {
      expectTlsError(() => dec(block(ext(t)), 'client_hello'), 'DecodeError');
    }
  });

  it('rejects an empty cookie → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.cookie, '0000')), 'client_hello'), 'DecodeError');
  });

  it('rejects empty psk_key_exchange_modes → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.psk_key_exchange_modes, '00')), 'client_hello'), 'DecodeError');
  });

  it('rejects an empty ALPN list or an empty protocol name → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0000')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0004 02 6832 00')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0001 00')), 'client_hello'), 'DecodeError');
  });

  it('rejects a key share with an empty key_exchange → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '0004 001d 0000')), 'client_hello'), 'DecodeError');
  });

  it('rejects two key shares for the same group → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '000a 001d 0001 aa 001d 0001 bb')), 'client_hello'), 'IllegalParameter');
  });

  it('rejects pre_shared_key with an empty identity → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0006 0000 00000007' + '0021' + BINDER32)), 'client_hello'), 'DecodeError');
  });

  it('rejects pre_shared_key with no identities → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0000' + '0021' + BINDER32)), 'client_hello'), 'DecodeError');
  });

  it('rejects a PSK binder shorter than 32 bytes → DecodeError', () => {
    const short = '1f' + 'ab'.repeat(31);
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0007 0001 aa 00000000' + '0020' + short)), 'client_hello'), 'DecodeError');
  });

  it('rejects pre_shared_key with more binders than identities → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0007 0001 aa 00000000' + '0042' + BINDER32 + BINDER32)), 'client_hello'), 'IllegalParameter');
  });

  it('rejects non-zero padding → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.padding, '000100')), 'client_hello'), 'IllegalParameter');
  });

  it('rejects server_name with an unknown name_type → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0004 01 0001 61')), 'client_hello'), 'DecodeError');
  });

  it('rejects server_name with two host names → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0008 00 0001 61 00 0001 62')), 'client_hello'), 'IllegalParameter');
  });

  it('rejects server_name with an empty list or an empty host name → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0000')), 'client_hello'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.server_name, '0003 00 0000')), 'client_hello'), 'DecodeError');
  });

  it('rejects a host name with a non-ASCII or control byte → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0005 00 0002 61c3')), 'client_hello'), 'IllegalParameter');
    expectTlsError(() => dec(block(ext(T.server_name, '0005 00 0002 6100')), 'client_hello'), 'IllegalParameter');
  });
});

describe('extensions in server messages', () => {
  it('decodes ServerHello supported_versions, key_share and pre_shared_key forms', () => {
    const e = roundTrip(block(ext(T.pre_shared_key, '0002'), ext(T.supported_versions, '0304'), ext(T.key_share, '001d 0003 010203')), 'server_hello');
    expect(e.supportedVersions).toEqual([0x0304]);
    expect(e.keyShareServer).toEqual({ group: 0x1d, keyExchange: hex('010203') });
    expect(e.preSharedKeyServer).toBe(2);
    expect(e.order).toEqual([T.pre_shared_key, T.supported_versions, T.key_share]);
  });

  it('decodes HelloRetryRequest key_share (selected group) and cookie', () => {
    const e = roundTrip(block(ext(T.supported_versions, '0304'), ext(T.key_share, '0017'), ext(T.cookie, '0002 c00c')), 'hello_retry_request');
    expect(e.keyShareHrr).toBe(0x17);
    expect(e.cookie).toEqual(hex('c00c'));
  });

  it('decodes EncryptedExtensions server_name (empty), supported_groups, ALPN and early_data', () => {
    const e = roundTrip(
      block(ext(T.server_name), ext(T.supported_groups, '0002 001d'), ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(T.early_data)),
      'encrypted_extensions',
    );
    expect(e.serverName).toEqual([]);
    expect(e.supportedGroups).toEqual([0x1d]);
    expect(e.alpn).toEqual(['h2']);
    expect(e.earlyData).toEqual({});
  });

  it('decodes NewSessionTicket early_data as max_early_data_size', () => {
    const e = roundTrip(block(ext(T.early_data, '00004000')), 'new_session_ticket');
    expect(e.earlyData).toEqual({ maxEarlyDataSize: 0x4000 });
  });

  it('decodes CertificateRequest signature_algorithms and keeps certificate_authorities unknown', () => {
    const e = roundTrip(block(ext(T.signature_algorithms, '0004 0403 0804'), ext(T.certificate_authorities, '0005 0003 300100')), 'certificate_request');
    expect(e.signatureAlgorithms).toEqual([0x0403, 0x0804]);
    expect(e.unknown).toEqual([{ type: T.certificate_authorities, data: hex('0005 0003 300100') }]);
  });

  it('keeps status_request unknown in a CertificateEntry', () => {
    const e = roundTrip(block(ext(T.status_request, '01 000003 aabbcc')), 'certificate');
    expect(e.unknown).toHaveLength(1);
  });

  it('keeps unknown extensions in server messages for the handshake to judge', () => {
    const e = roundTrip(block(ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(0xabcd, '01')), 'encrypted_extensions');
    expect(e.unknown).toEqual([{ type: 0xabcd, data: hex('01') }]);
    expect(unsolicitedExtensions(e, [T.application_layer_protocol_negotiation])).toEqual([0xabcd]);
    expect(unsolicitedExtensions(e, [T.application_layer_protocol_negotiation, 0xabcd])).toEqual([]);
  });

  it('rejects a duplicated extension in ServerHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.supported_versions, '0304'), ext(T.supported_versions, '0304')), 'server_hello'), 'IllegalParameter');
  });

  it('rejects a duplicated extension in EncryptedExtensions → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(0x9999), ext(0x9999)), 'encrypted_extensions'), 'IllegalParameter');
  });

  it('rejects supported_versions in list form in ServerHello → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.supported_versions, '02 0304')), 'server_hello'), 'DecodeError');
  });

  it('rejects a ServerHello key_share with trailing bytes → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '001d 0001 aa ff')), 'server_hello'), 'DecodeError');
  });

  it('rejects a HelloRetryRequest key_share carrying a key → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '001d 0001 aa')), 'hello_retry_request'), 'DecodeError');
  });

  it('rejects ALPN with two protocols in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0006 02 6832 02 6833')), 'encrypted_extensions'), 'DecodeError');
  });

  it('rejects server_name with data in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0004 00 0001 61')), 'encrypted_extensions'), 'DecodeError');
  });

  it('rejects early_data with a size in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.early_data, '00004000')), 'encrypted_extensions'), 'DecodeError');
  });

  it('rejects empty early_data in NewSessionTicket → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.early_data)), 'new_session_ticket'), 'DecodeError');
  });

  const misplaced: Array<[string, number, string, ExtContext]> = [
    ['server_name', T.server_name, '', 'server_hello'],
    ['application_layer_protocol_negotiation', T.application_layer_protocol_negotiation, '0003 02 6832', 'server_hello'],
    ['cookie', T.cookie, '0001 aa', 'server_hello'],
    ['early_data', T.early_data, '', 'server_hello'],
    ['key_share', T.key_share, '001d 0001 aa', 'encrypted_extensions'],
    ['supported_versions', T.supported_versions, '0304', 'encrypted_extensions'],
    ['pre_shared_key', T.pre_shared_key, '0000', 'encrypted_extensions'],
    ['padding', T.padding, '00', 'encrypted_extensions'],
    ['pre_shared_key', T.pre_shared_key, '0000', 'hello_retry_request'],
    ['supported_groups', T.supported_groups, '0002 001d', 'hello_retry_request'],
    ['psk_key_exchange_modes', T.psk_key_exchange_modes, '01 01', 'new_session_ticket'],
    ['supported_groups', T.supported_groups, '0002 001d', 'certificate'],
    ['key_share', T.key_share, '0017', 'certificate_request'],
    ['oid_filters', T.oid_filters, '0000', 'encrypted_extensions'],
    ['post_handshake_auth', T.post_handshake_auth, '', 'encrypted_extensions'],
    ['signature_algorithms', T.signature_algorithms, '0002 0403', 'encrypted_extensions'],
  ];
  for (const [name, type, data, ctx] of misplaced) {
    it(`rejects ${name} in ${ctx} → IllegalParameter`, () => {
      expectTlsError(() => dec(block(ext(type, data)), ctx), 'IllegalParameter');
    });
  }

  it('accepts pre_shared_key anywhere in ServerHello', () => {
    expect(dec(block(ext(T.pre_shared_key, '0000'), ext(0xfafa)), 'server_hello').preSharedKeyServer).toBe(0);
  });
});

describe('the RFC 9846 §4.2 table', () => {
  it('lists the messages each recognized extension may appear in', () => {
    expect(allowedContexts(T.key_share)).toEqual(['client_hello', 'server_hello', 'hello_retry_request']);
    expect(allowedContexts(T.early_data)).toEqual(['client_hello', 'encrypted_extensions', 'new_session_ticket']);
    expect(allowedContexts(0xfafa)).toBeUndefined();
    expect(isAllowedIn(T.cookie, 'hello_retry_request')).toBe(true);
    expect(isAllowedIn(T.cookie, 'server_hello')).toBe(false);
    expect(isAllowedIn(0xfafa, 'client_hello')).toBe(false);
  });
});

describe('encodeExtensions', () => {
  it('uses a fixed order with pre_shared_key last when no order is given', () => {
    const e: Extensions = {
      ...noExtensions(),
      preSharedKeyClient: { identities: [{ identity: hex('01'), obfuscatedTicketAge: 0 }], binders: [hex('00'.repeat(32))] },
      padding: 2,
      unknown: [{ type: 0xfafa, data: new Uint8Array(0) }],
      keyShareClient: [],
      supportedVersions: [0x0304],
      serverName: ['a'],
    };
    expect(extensionTypes(e)).toEqual([T.server_name, T.supported_versions, T.key_share, 0xfafa, T.padding, T.pre_shared_key]);
    const back = dec(enc(e, 'client_hello'), 'client_hello');
    expect(back.order).toEqual([T.server_name, T.supported_versions, T.key_share, 0xfafa, T.padding, T.pre_shared_key]);
  });

  it('follows order for the types present, then appends the others', () => {
    const e: Extensions = { ...noExtensions(), supportedGroups: [0x1d], cookie: hex('01'), order: [T.cookie, 0x4444, T.key_share] };
    expect(extensionTypes(e)).toEqual([T.cookie, T.supported_groups]);
  });

  it('moves pre_shared_key last in ClientHello even when order puts it earlier', () => {
    const e: Extensions = {
      ...noExtensions(),
      preSharedKeyClient: { identities: [{ identity: hex('01'), obfuscatedTicketAge: 0 }], binders: [hex('00'.repeat(32))] },
      cookie: hex('01'),
      order: [T.pre_shared_key, T.cookie],
    };
    expect(extensionTypes(e, 'client_hello')).toEqual([T.cookie, T.pre_shared_key]);
    expect(extensionTypes({ ...noExtensions(), preSharedKeyServer: 0, supportedVersions: [0x0304], order: [T.pre_shared_key, T.supported_versions] }, 'server_hello')).toEqual([
      T.pre_shared_key,
      T.supported_versions,
    ]);
  });

  it('throws InternalError for a field of the wrong form for the message', () => {
    expectTlsError(() => enc({ ...noExtensions(), keyShareClient: [] }, 'server_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), keyShareServer: { group: 1, keyExchange: hex('01') } }, 'client_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), supportedVersions: [0x0304, 0x0303] }, 'server_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), earlyData: {} }, 'new_session_ticket'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), earlyData: { maxEarlyDataSize: 1 } }, 'encrypted_extensions'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), alpn: ['h2', 'h3'] }, 'encrypted_extensions'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), serverName: ['a'] }, 'encrypted_extensions'), 'InternalError');
  });

  it('throws InternalError for an extension the table does not allow in the message', () => {
    expectTlsError(() => enc({ ...noExtensions(), cookie: hex('01') }, 'encrypted_extensions'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), padding: 1 }, 'server_hello'), 'InternalError');
  });

  it('throws InternalError when a type is given both as a field and as unknown', () => {
    expectTlsError(() => enc({ ...noExtensions(), cookie: hex('01'), unknown: [{ type: T.cookie, data: hex('0001ff') }] }, 'client_hello'), 'InternalError');
  });

  it('throws InternalError for values below their minimum', () => {
    expectTlsError(() => enc({ ...noExtensions(), supportedGroups: [] }, 'client_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), cookie: new Uint8Array(0) }, 'client_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), alpn: [''] }, 'client_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), pskKeyExchangeModes: [] }, 'client_hello'), 'InternalError');
    expectTlsError(() => enc({ ...noExtensions(), keyShareClient: [{ group: 1, keyExchange: new Uint8Array(0) }] }, 'client_hello'), 'InternalError');
    expectTlsError(
      () => enc({ ...noExtensions(), preSharedKeyClient: { identities: [{ identity: hex('01'), obfuscatedTicketAge: 0 }], binders: [hex('00')] } }, 'client_hello'),
      'InternalError',
    );
  });

  it('throws InternalError for a protocol name with a character above U+00FF', () => {
    expectTlsError(() => enc({ ...noExtensions(), alpn: ['h\u2603'] }, 'client_hello'), 'InternalError');
  });
});
