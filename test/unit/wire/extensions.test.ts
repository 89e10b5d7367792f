import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import {
  EXTENSION_TABLE,
  allowedMessages,
  decodedExtensions,
  decodeExtensions,
  encodeExtensions,
  extensionTypes,
  isAllowedIn,
  modelledExtensions,
  pskBindersLength,
  unsolicitedExtensions,
  type BlockOf,
  type ExtensionMessage,
} from '../../../src/wire/extensions.js';
import type { CertificateEntryExtensions, ClientHelloExtensions, EeExtensions, ServerHelloExtensions } from '../../../src/wire/messages.js';
import { Reader } from '../../../src/wire/reader.js';
import { encode } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { block, ext, hex, toHex } from './helpers.js';

function dec<M extends ExtensionMessage>(blockHex: string, m: M): BlockOf[M] {
  const r = new Reader(hex(blockHex));
  const e = decodeExtensions(r, m);
  expect(r.left).toBe(0);
  return e;
}
function enc<M extends ExtensionMessage>(e: BlockOf[M], m: M): string {
  return toHex(encode((w) => encodeExtensions(w, e, m)));
}
/** Decodes, then checks that re-encoding gives the same bytes. */
function roundTrip<M extends ExtensionMessage>(blockHex: string, m: M): BlockOf[M] {
  const e = dec(blockHex, m);
  expect(enc(e, m)).toBe(blockHex.replace(/\s+/g, ''));
  return e;
}
/** Encodes a block that is deliberately wrong for its message (a cast: the types forbid it). */
function encWrong(e: object, m: ExtensionMessage): string {
  return toHex(encode((w) => encodeExtensions(w, e as BlockOf[typeof m], m)));
}

const BINDER32 = '20' + 'ab'.repeat(32);
const PSK_CH = ext(T.pre_shared_key, '000a' + '0004' + 'deadbeef' + '00000007' + '0021' + BINDER32);

describe('extensions in ClientHello', () => {
  it('decodes server_name with one host_name and re-encodes it identically', () => {
    // server_name_list len 15: host_name(0) len 12 "example.test"
    const e = roundTrip(block(ext(T.server_name, '000f 00 000c 6578616d706c652e74657374')), 'CH');
    expect(e.serverName).toBe('example.test');
    expect(e.order).toEqual([T.server_name]);
  });

  it('decodes supported_groups, signature_algorithms and signature_algorithms_cert lists', () => {
    const e = roundTrip(
      block(ext(T.supported_groups, '0004 001d 0017'), ext(T.signature_algorithms, '0006 0403 0804 0807'), ext(T.signature_algorithms_cert, '0002 0401')),
      'CH',
    );
    expect(e.supportedGroups).toEqual([0x1d, 0x17]);
    expect(e.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0807]);
    expect(e.signatureAlgorithmsCert).toEqual([0x0401]);
  });

  it('decodes supported_versions as a list in ClientHello', () => {
    const e = roundTrip(block(ext(T.supported_versions, '04 0304 0303')), 'CH');
    expect(e.supportedVersions).toEqual([0x0304, 0x0303]);
  });

  it('decodes key_share client_shares, including an empty list', () => {
    const e = roundTrip(block(ext(T.key_share, '000e 001d 0004 01020304 0017 0002 aabb')), 'CH');
    expect(e.keyShare).toEqual([
      { group: 0x1d, keyExchange: hex('01020304') },
      { group: 0x17, keyExchange: hex('aabb') },
    ]);
    expect(roundTrip(block(ext(T.key_share, '0000')), 'CH').keyShare).toEqual([]);
  });

  it('decodes ALPN protocol names as one char per byte', () => {
    const e = roundTrip(block(ext(T.application_layer_protocol_negotiation, '000c 02 6832 08 687474702f312e31')), 'CH');
    expect(e.alpn).toEqual(['h2', 'http/1.1']);
    const bin = roundTrip(block(ext(T.application_layer_protocol_negotiation, '0003 02 ff00')), 'CH');
    expect(bin.alpn).toEqual(['\u00ff\u0000']);
  });

  it('decodes cookie, psk_key_exchange_modes, early_data and padding', () => {
    const e = roundTrip(
      block(ext(T.cookie, '0003 010203'), ext(T.psk_key_exchange_modes, '01 01'), ext(T.early_data), ext(T.padding, '000000')),
      'CH',
    );
    expect(e.cookie).toEqual(hex('010203'));
    expect(e.pskKeyExchangeModes).toEqual([1]);
    expect(e.earlyData).toBe(true);
    expect(e.padding).toBe(3);
  });

  it('decodes an empty padding extension as length 0', () => {
    expect(roundTrip(block(ext(T.padding)), 'CH').padding).toBe(0);
  });

  it('decodes pre_shared_key OfferedPsks when it is the last extension', () => {
    const e = roundTrip(block(ext(T.supported_versions, '02 0304'), PSK_CH), 'CH');
    expect(e.preSharedKey).toEqual({
      identities: [{ identity: hex('deadbeef'), obfuscatedTicketAge: 7 }],
      binders: [hex('ab'.repeat(32))],
    });
    expect(pskBindersLength(e.preSharedKey!)).toBe(2 + 33);
  });

  it('keeps unknown extensions in wire order and round-trips a mixed block byte for byte', () => {
    const e = roundTrip(
      block(ext(0xfafa), ext(T.supported_versions, '02 0304'), ext(T.extended_master_secret), ext(0x1234, 'cafe'), ext(T.server_name, '0004 00 0001 61')),
      'CH',
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
    expect(roundTrip('0000', 'CH')).toEqual({ unknown: [], order: [] });
  });

  it('ignores a recognized extension that is not allowed in ClientHello and keeps it in unknown', () => {
    const e = roundTrip(block(ext(T.oid_filters, '0000')), 'CH');
    expect(e.unknown).toEqual([{ type: T.oid_filters, data: hex('0000') }]);
  });

  it('does not check the data of unknown extensions', () => {
    expect(dec(block(ext(0x7777, 'ff')), 'CH').unknown![0]!.data).toEqual(hex('ff'));
  });

  it('rejects a duplicated extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.supported_groups, '0002 001d'), ext(T.supported_groups, '0002 0017')), 'CH'), 'IllegalParameter');
  });

  it('rejects a duplicated unknown extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(0xaaaa), ext(0xaaaa)), 'CH'), 'IllegalParameter');
  });

  it('rejects pre_shared_key that is not the last extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(PSK_CH, ext(T.supported_versions, '02 0304')), 'CH'), 'IllegalParameter');
    expectTlsError(() => dec(block(PSK_CH, ext(0xfafa)), 'CH'), 'IllegalParameter');
  });

  it('rejects trailing data inside an extension → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.cookie, '0001 aa bb')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '02 0304 00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.early_data, '00')), 'CH'), 'DecodeError');
  });

  it('rejects an extension whose length runs past the block → DecodeError', () => {
    expectTlsError(() => dec('0006' + '000a' + '0004' + '0002', 'CH'), 'DecodeError');
  });

  it('rejects a block with a partial extension header → DecodeError', () => {
    expectTlsError(() => dec('0003 000a 00', 'CH'), 'DecodeError');
  });

  it('rejects a block longer than the bytes available → DecodeError', () => {
    expectTlsError(() => dec('0010 000a 0000', 'CH'), 'DecodeError');
  });

  it('rejects empty or odd-length u16 lists → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.supported_groups, '0000')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_groups, '0003 001d 00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.signature_algorithms, '0000')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.signature_algorithms_cert, '0000')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.supported_versions, '03 030403')), 'CH'), 'DecodeError');
  });

  it('rejects an extension with no data where a vector is required → DecodeError', () => {
    for (const t of [T.server_name, T.supported_groups, T.signature_algorithms, T.supported_versions, T.key_share, T.cookie, T.psk_key_exchange_modes, T.application_layer_protocol_negotiation, T.pre_shared_key]) {
      expectTlsError(() => dec(block(ext(t)), 'CH'), 'DecodeError');
    }
  });

  it('rejects an empty cookie → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.cookie, '0000')), 'CH'), 'DecodeError');
  });

  it('rejects empty psk_key_exchange_modes → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.psk_key_exchange_modes, '00')), 'CH'), 'DecodeError');
  });

  it('rejects an empty ALPN list or an empty protocol name → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0000')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0004 02 6832 00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0001 00')), 'CH'), 'DecodeError');
  });

  it('rejects a key share with an empty key_exchange → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '0004 001d 0000')), 'CH'), 'DecodeError');
  });

  it('rejects two key shares for the same group → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '000a 001d 0001 aa 001d 0001 bb')), 'CH'), 'IllegalParameter');
  });

  it('rejects pre_shared_key with an empty identity → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0006 0000 00000007' + '0021' + BINDER32)), 'CH'), 'DecodeError');
  });

  it('rejects pre_shared_key with no identities → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0000' + '0021' + BINDER32)), 'CH'), 'DecodeError');
  });

  it('rejects a PSK binder shorter than 32 bytes → DecodeError', () => {
    const short = '1f' + 'ab'.repeat(31);
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0007 0001 aa 00000000' + '0020' + short)), 'CH'), 'DecodeError');
  });

  it('rejects pre_shared_key with more binders than identities → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.pre_shared_key, '0007 0001 aa 00000000' + '0042' + BINDER32 + BINDER32)), 'CH'), 'IllegalParameter');
  });

  it('rejects non-zero padding → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.padding, '000100')), 'CH'), 'IllegalParameter');
  });

  it('rejects server_name with an unknown name_type → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0004 01 0001 61')), 'CH'), 'DecodeError');
  });

  it('rejects server_name with two host names → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0008 00 0001 61 00 0001 62')), 'CH'), 'IllegalParameter');
  });

  it('rejects server_name with an empty list or an empty host name → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0000')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.server_name, '0003 00 0000')), 'CH'), 'DecodeError');
  });

  it('rejects a host name with a non-ASCII or control byte → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0005 00 0002 61c3')), 'CH'), 'IllegalParameter');
    expectTlsError(() => dec(block(ext(T.server_name, '0005 00 0002 6100')), 'CH'), 'IllegalParameter');
  });
});

describe('extensions in server messages', () => {
  it('decodes ServerHello supported_versions, key_share and pre_shared_key forms', () => {
    const e = roundTrip(block(ext(T.pre_shared_key, '0002'), ext(T.supported_versions, '0304'), ext(T.key_share, '001d 0003 010203')), 'SH');
    expect(e.rules).toBe('tls13');
    expect(e.supportedVersions).toBe(0x0304);
    expect(e.keyShare).toEqual({ group: 0x1d, keyExchange: hex('010203') });
    expect(e.preSharedKey).toBe(2);
    expect(e.order).toEqual([T.pre_shared_key, T.supported_versions, T.key_share]);
  });

  it('decodes HelloRetryRequest key_share (selected group) and cookie', () => {
    const e = roundTrip(block(ext(T.supported_versions, '0304'), ext(T.key_share, '0017'), ext(T.cookie, '0002 c00c')), 'HRR');
    expect(e.supportedVersions).toBe(0x0304);
    expect(e.keyShare).toBe(0x17);
    expect(e.cookie).toEqual(hex('c00c'));
  });

  it('decodes EncryptedExtensions server_name (empty), supported_groups, ALPN and early_data', () => {
    const e = roundTrip(
      block(ext(T.server_name), ext(T.supported_groups, '0002 001d'), ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(T.early_data)),
      'EE',
    );
    expect(e.serverName).toBe(true);
    expect(e.supportedGroups).toEqual([0x1d]);
    expect(e.alpn).toBe('h2');
    expect(e.earlyData).toBe(true);
  });

  it('decodes NewSessionTicket early_data as max_early_data_size', () => {
    const e = roundTrip(block(ext(T.early_data, '00004000')), 'NST');
    expect(e.earlyData).toEqual({ maxEarlyDataSize: 0x4000 });
  });

  it('decodes CertificateRequest signature_algorithms and keeps certificate_authorities unknown', () => {
    const e = roundTrip(block(ext(T.signature_algorithms, '0004 0403 0804'), ext(T.certificate_authorities, '0005 0003 300100')), 'CR');
    expect(e.signatureAlgorithms).toEqual([0x0403, 0x0804]);
    expect(e.unknown).toEqual([{ type: T.certificate_authorities, data: hex('0005 0003 300100') }]);
  });

  it('keeps the status_request of a CertificateEntry undecoded (a CertificateStatus, RFC 9846 §4.5.1.1)', () => {
    const e = roundTrip(block(ext(T.status_request, '01 000003 aabbcc')), 'CT');
    expect(e.statusRequest).toEqual(hex('01 000003 aabbcc'));
    expect(e.unknown).toEqual([]);
  });

  it('keeps unknown extensions in server messages for the handshake to judge', () => {
    const e = roundTrip(block(ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(0xabcd, '01')), 'EE');
    expect(e.unknown).toEqual([{ type: 0xabcd, data: hex('01') }]);
  });

  it('rejects a duplicated extension in ServerHello → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.supported_versions, '0304'), ext(T.supported_versions, '0304')), 'SH'), 'IllegalParameter');
  });

  it('rejects a duplicated extension in EncryptedExtensions → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(0x9999), ext(0x9999)), 'EE'), 'IllegalParameter');
  });

  it('rejects supported_versions in list form in a ServerHello → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.supported_versions, '02 0304')), 'SH12'), 'DecodeError');
  });

  it('refuses to read a block as a TLS 1.3 ServerHello unless supported_versions selects 0x0304, and as a TLS 1.2 one if it does → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '001d 0001 aa')), 'SH'), 'IllegalParameter');
    expectTlsError(() => dec(block(ext(T.supported_versions, '0303')), 'SH'), 'IllegalParameter');
    expectTlsError(() => dec(block(ext(T.supported_versions, '0304')), 'SH12'), 'IllegalParameter');
  });

  it('rejects a ServerHello key_share with trailing bytes → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.supported_versions, '0304'), ext(T.key_share, '001d 0001 aa ff')), 'SH'), 'DecodeError');
  });

  it('rejects a HelloRetryRequest key_share carrying a key → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.key_share, '001d 0001 aa')), 'HRR'), 'DecodeError');
  });

  it('rejects ALPN with two protocols in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.application_layer_protocol_negotiation, '0006 02 6832 02 6833')), 'EE'), 'DecodeError');
  });

  it('rejects server_name with data in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.server_name, '0004 00 0001 61')), 'EE'), 'DecodeError');
  });

  it('rejects early_data with a size in EncryptedExtensions → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.early_data, '00004000')), 'EE'), 'DecodeError');
  });

  it('rejects empty early_data in NewSessionTicket → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.early_data)), 'NST'), 'DecodeError');
  });

  const SV13 = ext(T.supported_versions, '0304');
  const misplaced: Array<[string, number, string, ExtensionMessage]> = [
    ['server_name', T.server_name, '', 'SH'],
    ['application_layer_protocol_negotiation', T.application_layer_protocol_negotiation, '0003 02 6832', 'SH'],
    ['cookie', T.cookie, '0001 aa', 'SH'],
    ['early_data', T.early_data, '', 'SH'],
    ['key_share', T.key_share, '001d 0001 aa', 'EE'],
    ['supported_versions', T.supported_versions, '0304', 'EE'],
    ['pre_shared_key', T.pre_shared_key, '0000', 'EE'],
    ['padding', T.padding, '00', 'EE'],
    ['pre_shared_key', T.pre_shared_key, '0000', 'HRR'],
    ['supported_groups', T.supported_groups, '0002 001d', 'HRR'],
    ['psk_key_exchange_modes', T.psk_key_exchange_modes, '01 01', 'NST'],
    ['supported_groups', T.supported_groups, '0002 001d', 'CT'],
    ['key_share', T.key_share, '0017', 'CR'],
    ['oid_filters', T.oid_filters, '0000', 'EE'],
    ['post_handshake_auth', T.post_handshake_auth, '', 'EE'],
    ['signature_algorithms', T.signature_algorithms, '0002 0403', 'EE'],
  ];
  for (const [name, type, data, m] of misplaced) {
    it(`rejects ${name} in ${m} → IllegalParameter`, () => {
      expectTlsError(() => dec(m === 'SH' ? block(SV13, ext(type, data)) : block(ext(type, data)), m), 'IllegalParameter');
    });
  }

  it('accepts pre_shared_key anywhere in ServerHello', () => {
    expect(dec(block(ext(T.pre_shared_key, '0000'), SV13, ext(0xfafa)), 'SH').preSharedKey).toBe(0);
  });
});

describe('the RFC 9846 §4.3 table', () => {
  it('lists the messages each recognized extension may appear in', () => {
    expect(allowedMessages(T.key_share)).toEqual(['CH', 'SH', 'HRR', 'SH12']);
    expect(allowedMessages(T.early_data)).toEqual(['CH', 'EE', 'NST']);
    expect(allowedMessages(0xfafa)).toBeUndefined();
    expect(isAllowedIn(T.cookie, 'HRR')).toBe(true);
    expect(isAllowedIn(T.cookie, 'SH')).toBe(false);
    expect(isAllowedIn(0xfafa, 'CH')).toBe(false);
  });

  it('every block models only extensions the table allows in its message', () => {
    const all: ExtensionMessage[] = ['CH', 'SH', 'SH12', 'HRR', 'EE', 'CT', 'CR', 'NST'];
    for (const m of all) {
      expect(modelledExtensions(m).length, m).toBeGreaterThan(0);
      for (const t of modelledExtensions(m)) expect(isAllowedIn(t, m), `${m} models ${t}`).toBe(true);
    }
    expect(modelledExtensions('NST')).toEqual([T.early_data]);
    expect(modelledExtensions('HRR')).toEqual([T.key_share, T.cookie, T.supported_versions]);
  });

  it("each message's decoding and encoding tables (kept apart for bundling) model the same extensions", () => {
    const all: ExtensionMessage[] = ['CH', 'SH', 'SH12', 'HRR', 'EE', 'CT', 'CR', 'NST'];
    for (const m of all) expect([...decodedExtensions(m)].sort((a, b) => a - b), m).toEqual([...modelledExtensions(m)].sort((a, b) => a - b));
    expect(decodedExtensions('CH')).toContain(T.pre_shared_key);
    expect(decodedExtensions('SH12')).toContain(T.renegotiation_info);
  });

  it('allows in a ClientHello every extension it recognizes except oid_filters (CR only)', () => {
    for (const [type, messages] of EXTENSION_TABLE) expect(messages.includes('CH'), `type ${type}`).toBe(type !== T.oid_filters);
  });

  it('every field a block models is one its message allows: a ClientHello with all of them round-trips', () => {
    // the decoders above only produce allowed fields; here the encoders' side, for each block
    const blocks: Array<[ExtensionMessage, object]> = [
      ['EE', { serverName: true, supportedGroups: [0x1d], alpn: 'h2', earlyData: true }],
      ['SH', { rules: 'tls13', supportedVersions: 0x0304, keyShare: { group: 0x1d, keyExchange: hex('01') }, preSharedKey: 0 }],
      ['HRR', { supportedVersions: 0x0304, keyShare: 0x1d, cookie: hex('01') }],
      ['CR', { serverName: 'a', signatureAlgorithms: [0x0403], signatureAlgorithmsCert: [0x0403] }],
      ['CT', { statusRequest: hex('01000000') }],
      ['NST', { earlyData: { maxEarlyDataSize: 1 } }],
    ];
    for (const [m, e] of blocks) {
      const types = extensionTypes(e as BlockOf[typeof m], m);
      for (const t of types) expect(isAllowedIn(t, m), `${m} ${t}`).toBe(true);
      expect(dec(encWrong(e, m), m)).toEqual({ ...e, unknown: [], order: types });
    }
  });
});

describe('unsolicitedExtensions (RFC 9846 §4.3: only what the ClientHello carried)', () => {
  const offered: ClientHelloExtensions = { alpn: ['h2'], supportedVersions: [0x0304], keyShare: [], unknown: [{ type: 0x7777, data: new Uint8Array(0) }] };

  it('lists, in wire order, the types a server block carries that the ClientHello did not', () => {
    const ee = dec(block(ext(0xabcd, '01'), ext(T.application_layer_protocol_negotiation, '0003 02 6832'), ext(T.server_name), ext(0x7777)), 'EE');
    expect(unsolicitedExtensions(ee, offered)).toEqual([0xabcd, T.server_name]);
    expect(unsolicitedExtensions(ee, { ...offered, serverName: 'a', unknown: [{ type: 0xabcd, data: new Uint8Array(0) }, { type: 0x7777, data: new Uint8Array(0) }] })).toEqual([]);
  });

  it('counts modelled fields and unknown entries alike, for blocks built without an order', () => {
    const sh: ServerHelloExtensions = { rules: 'tls13', supportedVersions: 0x0304, preSharedKey: 0 };
    expect(unsolicitedExtensions(sh, offered)).toEqual([T.pre_shared_key]);
    const entry: CertificateEntryExtensions = { statusRequest: hex('01') };
    expect(unsolicitedExtensions(entry, offered)).toEqual([T.status_request]);
    expect(unsolicitedExtensions(entry, { statusRequest: hex('0100000000') })).toEqual([]);
  });

  it('never counts the cookie, which only a HelloRetryRequest may carry unasked (§4.2.4)', () => {
    const hrr = dec(block(ext(T.supported_versions, '0304'), ext(T.cookie, '0001 01'), ext(T.key_share, '001d')), 'HRR');
    expect(unsolicitedExtensions(hrr, offered)).toEqual([]);
    expect(unsolicitedExtensions(hrr, {})).toEqual([T.supported_versions, T.key_share]);
  });
});

describe('encodeExtensions', () => {
  const psk = { identities: [{ identity: hex('01'), obfuscatedTicketAge: 0 }], binders: [hex('00'.repeat(32))] };

  it('uses the default order of the message, unknown ones, then padding and pre_shared_key, when no order is given', () => {
    const e: ClientHelloExtensions = {
      preSharedKey: psk,
      padding: 2,
      unknown: [{ type: 0xfafa, data: new Uint8Array(0) }],
      keyShare: [],
      supportedVersions: [0x0304],
      serverName: 'a',
    };
    expect(extensionTypes(e, 'CH')).toEqual([T.server_name, T.supported_versions, T.key_share, 0xfafa, T.padding, T.pre_shared_key]);
    const back = dec(enc(e, 'CH'), 'CH');
    expect(back.order).toEqual([T.server_name, T.supported_versions, T.key_share, 0xfafa, T.padding, T.pre_shared_key]);
    // the server blocks' default orders (our ServerHello and HelloRetryRequest: key_share first)
    expect(extensionTypes({ rules: 'tls13', supportedVersions: 0x0304, keyShare: { group: 1, keyExchange: hex('01') } }, 'SH')).toEqual([T.key_share, T.supported_versions]);
    expect(extensionTypes({ supportedVersions: 0x0304, keyShare: 1, cookie: hex('01') }, 'HRR')).toEqual([T.key_share, T.cookie, T.supported_versions]);
    expect(extensionTypes({ alpn: 'h2', serverName: true }, 'EE')).toEqual([T.server_name, T.application_layer_protocol_negotiation]);
  });

  it('follows order for the types present, then appends the others', () => {
    const e: ClientHelloExtensions = { supportedGroups: [0x1d], cookie: hex('01'), order: [T.cookie, 0x4444, T.key_share] };
    expect(extensionTypes(e, 'CH')).toEqual([T.cookie, T.supported_groups]);
  });

  it('moves pre_shared_key last in ClientHello even when order puts it earlier, and puts a new one before it', () => {
    const e: ClientHelloExtensions = { preSharedKey: psk, cookie: hex('01'), order: [T.pre_shared_key, T.cookie] };
    expect(extensionTypes(e, 'CH')).toEqual([T.cookie, T.pre_shared_key]);
    // the second ClientHello after a HelloRetryRequest adds a cookie to a decoded order
    expect(extensionTypes({ supportedGroups: [1], preSharedKey: psk, cookie: hex('01'), order: [T.supported_groups, T.pre_shared_key] }, 'CH')).toEqual([
      T.supported_groups,
      T.cookie,
      T.pre_shared_key,
    ]);
    expect(extensionTypes({ rules: 'tls13', preSharedKey: 0, supportedVersions: 0x0304, order: [T.pre_shared_key, T.supported_versions] }, 'SH')).toEqual([
      T.pre_shared_key,
      T.supported_versions,
    ]);
  });

  it('throws InternalError for a field of another message (only through a cast: the types forbid it)', () => {
    expectTlsError(() => encWrong({ rules: 'tls13', supportedVersions: 0x0304, cookie: hex('01') }, 'SH'), 'InternalError');
    expectTlsError(() => encWrong({ cookie: hex('01') }, 'EE'), 'InternalError');
    expectTlsError(() => encWrong({ padding: 1 }, 'EE'), 'InternalError');
    expectTlsError(() => encWrong({ alpn: 'h2' }, 'NST'), 'InternalError');
    expectTlsError(() => encWrong({ bogus: 1 }, 'CT'), 'InternalError');
  });

  it('throws InternalError for an unknown entry of a recognized type the message does not allow (a ClientHello excepted)', () => {
    expectTlsError(() => enc({ unknown: [{ type: T.cookie, data: hex('0001ff') }] }, 'EE'), 'InternalError');
    expectTlsError(() => enc({ unknown: [{ type: T.extended_master_secret, data: new Uint8Array(0) }] }, 'NST'), 'InternalError');
    expect(enc({ unknown: [{ type: T.oid_filters, data: hex('0000') }] }, 'CH')).toBe(block(ext(T.oid_filters, '0000')));
    // an allowed type the block does not model is written as given
    expect(enc({ unknown: [{ type: T.certificate_authorities, data: hex('0000') }] }, 'CR')).toBe(block(ext(T.certificate_authorities, '0000')));
  });

  it('throws InternalError for values of the wrong form for the message', () => {
    expectTlsError(() => encWrong({ rules: 'tls13', supportedVersions: 0x0303 }, 'SH'), 'InternalError');
    expectTlsError(() => encWrong({ rules: 'tls12', supportedVersions: 0x0304 }, 'SH12'), 'InternalError');
    expectTlsError(() => enc({ supportedVersions: [] }, 'CH'), 'InternalError');
  });

  it('throws InternalError when a type is given both as a field and as unknown', () => {
    expectTlsError(() => enc({ cookie: hex('01'), unknown: [{ type: T.cookie, data: hex('0001ff') }] }, 'CH'), 'InternalError');
  });

  it('throws InternalError for values below their minimum', () => {
    expectTlsError(() => enc({ supportedGroups: [] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ cookie: new Uint8Array(0) }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ alpn: [''] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ alpn: '' }, 'EE'), 'InternalError');
    expectTlsError(() => enc({ pskKeyExchangeModes: [] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ keyShare: [{ group: 1, keyExchange: new Uint8Array(0) }] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ serverName: '' }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ preSharedKey: { identities: [{ identity: hex('01'), obfuscatedTicketAge: 0 }], binders: [hex('00')] } }, 'CH'), 'InternalError');
  });

  it('throws InternalError for a protocol name with a character above U+00FF', () => {
    expectTlsError(() => enc({ alpn: ['h\u2603'] }, 'CH'), 'InternalError');
  });
});

describe('a block cannot be built with an extension its message may not carry (type errors)', () => {
  it('refuses, at compile time, extensions outside the message column of RFC 9846 §4.3', () => {
    // Each line below must fail to type-check (`npm run typecheck`); at run time the encoder
    // refuses the same blocks with InternalError.
    // @ts-expect-error cookie is CH/HRR only
    const ee: EeExtensions = { cookie: hex('01') };
    // @ts-expect-error alpn is not in a TLS 1.3 ServerHello (it moved to EncryptedExtensions)
    const sh: ServerHelloExtensions = { rules: 'tls13', supportedVersions: 0x0304, alpn: 'h2' };
    // @ts-expect-error a ServerHello selecting TLS 1.3 has supported_versions 0x0304
    const sh2: ServerHelloExtensions = { rules: 'tls13', supportedVersions: 0x0303 };
    // @ts-expect-error padding is ClientHello only
    const entry: CertificateEntryExtensions = { padding: 3 };
    // @ts-expect-error the server's ALPN is one protocol, not a list
    const ee2: EeExtensions = { alpn: ['h2', 'h3'] };
    for (const [e, m] of [[ee, 'EE'], [sh, 'SH'], [sh2, 'SH'], [entry, 'CT']] as const) {
      expectTlsError(() => encWrong(e, m), 'InternalError');
    }
    expect(ee2.alpn).toHaveLength(2);
  });
});
