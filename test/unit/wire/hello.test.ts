import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../../src/wire/handshake.js';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  HRR_RANDOM,
  decodeClientHello,
  decodeServerHello,
  downgradeSentinel,
  encodeClientHello,
  encodeServerHello,
  isHelloRetryRequestRandom,
  truncatedClientHello,
} from '../../../src/wire/hello.js';
import type { ClientHello, HelloRetryRequest, ServerHello } from '../../../src/wire/messages.js';
import { Reader } from '../../../src/wire/reader.js';
import { encode } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { block, ext, hex, toHex } from './helpers.js';

// Captured from Node 20's tls (OpenSSL 3.0) on loopback: a full ClientHello with
// servername example.test and ALPN h2,http/1.1 (header included).
const OPENSSL_CH = hex(`
0100017b030374bef50f46873935de633d501a03a8138d5b712ec6c6dee078072209f804cb9f20b4328516ebfe84bd
bd2e3fd99d140d3c3747947cb0fab3e93d6cd3fc46b9eb480076130213031301c02fc02bc030c02c009ec0270067c0
28006b00a3009fcca9cca8ccaac0afc0adc0a3c09fc05dc061c057c05300a2c0aec0acc0a2c09ec05cc060c056c052
c024006ac0230040c00ac01400390038c009c01300330032009dc0a1c09dc051009cc0a0c09cc050003d003c003500
2f00ff010000bc00000011000f00000c6578616d706c652e74657374000b000403000102000a00160014001d001700
1e0019001801000101010201030104002300000010000e000c02683208687474702f312e3100160000001700000
00d002a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b
00050403040303002d00020101003300260024001d002042a5c9bb1ede3aaaff5ab14dc2c8270df17f3873e17dbe5d
00945b0985de837c`);

// The same server's HelloRetryRequest (client offered x25519 only a share, server wants P-256)
// and the ServerHello after it.
const OPENSSL_HRR = hex(`
020000540303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c20a4cbffd8f67ee015
30cab66980237e43c288a0b69bbbbcbc58bb8143dd79fa04130200000c002b00020304003300020017`);
const OPENSSL_SH = hex(`
0200009703030808c454381a631b90a191a54e26c1da0b012e4c572675b86b13dc21beb7512820a4cbffd8f67ee015
30cab66980237e43c288a0b69bbbbcbc58bb8143dd79fa04130200004f002b000203040033004500170041048401
85c58b80b83fa3417f0f964b81a645dc51bc2f5a06c0d57440ae1637e62aa5755777838e00e78a4207b3ff161711b1
7ba6e0c6ac9ac9a60d1c673ab3bb87`);

function ch(bodyHex: string): ClientHello {
  return decodeClientHello(new Reader(hex(bodyHex)));
}
function sh(bodyHex: string): ServerHello | HelloRetryRequest {
  return decodeServerHello(new Reader(hex(bodyHex)));
}
function hrr(bodyHex: string): HelloRetryRequest {
  const m = sh(bodyHex);
  if (!m.isHrr) throw new Error('not a HelloRetryRequest');
  return m;
}

const RANDOM = '11'.repeat(32);
/** legacy_version, random, empty session id, one suite, null compression. */
const CH_PREFIX = `0303 ${RANDOM} 00 0002 1301 01 00`;
const SH_PREFIX = `0303 ${RANDOM} 00 1301 00`;

describe('ClientHello', () => {
  it('decodes an OpenSSL 3.0 ClientHello and re-encodes it byte for byte', () => {
    const m = decodeHandshakeBytes(OPENSSL_CH) as ClientHello;
    expect(m.type).toBe('client_hello');
    expect(m.raw).toBe(OPENSSL_CH);
    expect(m.legacyVersion).toBe(0x0303);
    expect(m.legacySessionId).toHaveLength(32);
    expect(m.cipherSuites.slice(0, 3)).toEqual([0x1302, 0x1303, 0x1301]);
    expect(m.cipherSuites).toHaveLength(0x76 / 2);
    expect(Array.from(m.legacyCompressionMethods)).toEqual([0]);
    const e = m.extensions;
    expect(e.serverName).toBe('example.test');
    expect(e.alpn).toEqual(['h2', 'http/1.1']);
    expect(e.supportedVersions).toEqual([0x0304, 0x0303]);
    expect(e.supportedGroups).toEqual([0x1d, 0x17, 0x1e, 0x19, 0x18, 0x100, 0x101, 0x102, 0x103, 0x104]);
    expect(e.pskKeyExchangeModes).toEqual([1]);
    expect(e.keyShare).toHaveLength(1);
    expect(e.keyShare![0]!.group).toBe(0x1d);
    expect(e.keyShare![0]!.keyExchange).toHaveLength(32);
    expect(e.signatureAlgorithms).toHaveLength(20);
    // the TLS 1.2 extensions are decoded too (ec_point_formats: uncompressed and the two
    // deprecated compressed formats; an empty session_ticket; extended_master_secret)
    expect(e.ecPointFormats).toEqual([0, 1, 2]);
    expect(e.sessionTicket).toEqual(new Uint8Array(0));
    expect(e.extendedMasterSecret).toBe(true);
    expect(e.unknown!.map((u) => u.type)).toEqual([T.encrypt_then_mac]);
    expect(e.order).toEqual([0, 11, 10, 35, 16, 22, 23, 13, 43, 45, 51]);
    expect(toHex(encodeHandshake(m))).toBe(toHex(OPENSSL_CH));
  });

  it('decodes a ClientHello without an extensions block (TLS 1.2 and older) and re-encodes it without one', () => {
    const m = ch(CH_PREFIX);
    expect(m.legacyNoExtensions).toBe(true);
    expect(m.extensions).toEqual({ unknown: [], order: [] });
    expect(toHex(encode((w) => encodeClientHello(w, m)))).toBe(toHex(hex(CH_PREFIX)));
  });

  it('decodes an empty extensions block as empty extensions, distinct from none', () => {
    const m = ch(CH_PREFIX + '0000');
    expect(m.legacyNoExtensions).toBeUndefined();
    expect(toHex(encode((w) => encodeClientHello(w, m)))).toBe(toHex(hex(CH_PREFIX + '0000')));
  });

  it('decodes a hand-made TLS 1.3 ClientHello with a session id and several suites', () => {
    const body = `0303 ${RANDOM} 03 aabbcc 0006 1301 1302 1303 01 00 ` + block(ext(T.supported_versions, '02 0304'), ext(T.key_share, '0000'));
    const m = ch(body);
    expect(m.legacySessionId).toEqual(hex('aabbcc'));
    expect(m.cipherSuites).toEqual([0x1301, 0x1302, 0x1303]);
    expect(m.extensions.keyShare).toEqual([]);
    expect(toHex(encode((w) => encodeClientHello(w, m)))).toBe(toHex(hex(body)));
  });

  it('rejects a legacy_session_id longer than 32 bytes → DecodeError', () => {
    expectTlsError(() => ch(`0303 ${RANDOM} 21 ${'00'.repeat(33)} 0002 1301 01 00`), 'DecodeError');
  });

  it('rejects empty cipher_suites → DecodeError', () => {
    expectTlsError(() => ch(`0303 ${RANDOM} 00 0000 01 00`), 'DecodeError');
  });

  it('rejects odd-length cipher_suites → DecodeError', () => {
    expectTlsError(() => ch(`0303 ${RANDOM} 00 0003 130113 01 00`), 'DecodeError');
  });

  it('rejects empty legacy_compression_methods → DecodeError', () => {
    expectTlsError(() => ch(`0303 ${RANDOM} 00 0002 1301 00`), 'DecodeError');
  });

  it('rejects a truncated random → DecodeError', () => {
    expectTlsError(() => ch(`0303 ${'11'.repeat(31)}`), 'DecodeError');
  });

  it('rejects one stray byte after the compression methods → DecodeError', () => {
    expectTlsError(() => ch(CH_PREFIX + '00'), 'DecodeError');
  });

  it('rejects trailing data after the extensions block → DecodeError', () => {
    expectTlsError(() => ch(CH_PREFIX + '0000 00'), 'DecodeError');
  });

  it('rejects a duplicated extension in ClientHello → IllegalParameter', () => {
    expectTlsError(() => ch(CH_PREFIX + block(ext(T.cookie, '0001 01'), ext(T.cookie, '0001 02'))), 'IllegalParameter');
  });

  it('rejects pre_shared_key before another extension in ClientHello → IllegalParameter', () => {
    const psk = ext(T.pre_shared_key, '0007 0001 aa 00000000 0021 20' + '00'.repeat(32));
    expectTlsError(() => ch(CH_PREFIX + block(psk, ext(T.psk_key_exchange_modes, '01 01'))), 'IllegalParameter');
  });

  it('gives the partial ClientHello covered by the PSK binders', () => {
    const psk = ext(T.pre_shared_key, '0007 0001 aa 00000000 0021 20' + 'ee'.repeat(32));
    const body = hex(CH_PREFIX + block(ext(T.psk_key_exchange_modes, '01 01'), psk));
    const raw = new Uint8Array([1, 0, 0, body.length, ...body]);
    const m = decodeHandshakeBytes(raw) as ClientHello;
    const partial = truncatedClientHello(m);
    expect(partial).toEqual(raw.subarray(0, raw.length - 35));
    expect(partial[partial.length - 1]).toBe(0x00); // last byte of the obfuscated age
  });

  it('refuses to encode a ClientHello whose fields are out of bounds → InternalError', () => {
    const base = ch(CH_PREFIX + '0000');
    expectTlsError(() => encode((w) => encodeClientHello(w, { ...base, cipherSuites: [] })), 'InternalError');
    expectTlsError(() => encode((w) => encodeClientHello(w, { ...base, random: new Uint8Array(31) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeClientHello(w, { ...base, legacySessionId: new Uint8Array(33) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeClientHello(w, { ...base, legacyCompressionMethods: new Uint8Array(0) })), 'InternalError');
    expectTlsError(
      () => encode((w) => encodeClientHello(w, { ...base, legacyNoExtensions: true, extensions: { cookie: hex('01') } })),
      'InternalError',
    );
  });
});

describe('ServerHello and HelloRetryRequest', () => {
  it('decodes an OpenSSL HelloRetryRequest by its random and re-encodes it byte for byte', () => {
    const m = decodeHandshakeBytes(OPENSSL_HRR) as HelloRetryRequest;
    expect(m.isHrr).toBe(true);
    expect(m.random).toEqual(HRR_RANDOM);
    expect(m.cipherSuite).toBe(0x1302);
    expect(m.extensions).toEqual({ supportedVersions: 0x0304, keyShare: 0x17, unknown: [], order: [T.supported_versions, T.key_share] });
    expect(toHex(encodeHandshake(m))).toBe(toHex(OPENSSL_HRR));
  });

  it('decodes an OpenSSL ServerHello and re-encodes it byte for byte', () => {
    const m = decodeHandshakeBytes(OPENSSL_SH) as ServerHello;
    expect(m.isHrr).toBe(false);
    expect(m.legacySessionIdEcho).toHaveLength(32);
    if (m.extensions.rules !== 'tls13') throw new Error('not a TLS 1.3 ServerHello');
    expect(m.extensions.supportedVersions).toBe(0x0304);
    expect(m.extensions.keyShare!.group).toBe(0x17);
    expect(m.extensions.keyShare!.keyExchange).toHaveLength(65);
    expect(downgradeSentinel(m.random)).toBeNull();
    expect(toHex(encodeHandshake(m))).toBe(toHex(OPENSSL_SH));
  });

  it('decodes a TLS 1.2 ServerHello without extensions block and re-encodes it without one', () => {
    const m = sh(SH_PREFIX);
    expect(m.legacyNoExtensions).toBe(true);
    expect(m.isHrr).toBe(false);
    expect(m.extensions).toEqual({ rules: 'tls12', unknown: [], order: [] });
    expect(toHex(encode((w) => encodeServerHello(w, m)))).toBe(toHex(hex(SH_PREFIX)));
  });

  it('decodes HelloRetryRequest extensions in the HRR context (key_share is a bare group)', () => {
    const body = `0303 ${toHex(HRR_RANDOM)} 00 1301 00 ` + block(ext(T.key_share, '001d'));
    expect(hrr(body).extensions.keyShare).toBe(0x1d);
    // the same bytes with an ordinary random are a ServerHello, where this key_share is truncated
    expectTlsError(() => sh(`0303 ${RANDOM} 00 1301 00 ` + block(ext(T.key_share, '001d'))), 'DecodeError');
  });

  it('rejects a cookie in a ServerHello but accepts it in a HelloRetryRequest', () => {
    expectTlsError(() => sh(SH_PREFIX + block(ext(T.cookie, '0001 01'))), 'IllegalParameter');
    expect(hrr(`0303 ${toHex(HRR_RANDOM)} 00 1301 00 ` + block(ext(T.cookie, '0001 01'))).extensions.cookie).toEqual(hex('01'));
  });

  it('rejects a duplicated extension in ServerHello → IllegalParameter', () => {
    expectTlsError(() => sh(SH_PREFIX + block(ext(T.supported_versions, '0304'), ext(T.supported_versions, '0304'))), 'IllegalParameter');
  });

  it('rejects a legacy_session_id_echo longer than 32 bytes → DecodeError', () => {
    expectTlsError(() => sh(`0303 ${RANDOM} 21 ${'00'.repeat(33)} 1301 00`), 'DecodeError');
  });

  it('rejects trailing data after the extensions block → DecodeError', () => {
    expectTlsError(() => sh(SH_PREFIX + '0000 ff'), 'DecodeError');
  });

  it('rejects a ServerHello cut inside the cipher suite → DecodeError', () => {
    expectTlsError(() => sh(`0303 ${RANDOM} 00 13`), 'DecodeError');
  });

  it('refuses to encode when isHrr disagrees with the random → InternalError', () => {
    const m = sh(SH_PREFIX + '0000');
    expectTlsError(() => encode((w) => encodeServerHello(w, { ...m, isHrr: true, extensions: {} })), 'InternalError');
    expectTlsError(() => encode((w) => encodeServerHello(w, { ...m, random: HRR_RANDOM })), 'InternalError');
  });
});

describe('special random values', () => {
  it('exports the RFC 9846 §4.1.3 HelloRetryRequest random and downgrade sentinels', () => {
    expect(toHex(HRR_RANDOM)).toBe('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c');
    expect(toHex(DOWNGRADE_TLS12)).toBe('444f574e47524401');
    expect(toHex(DOWNGRADE_TLS11)).toBe('444f574e47524400');
    expect(isHelloRetryRequestRandom(HRR_RANDOM)).toBe(true);
    expect(isHelloRetryRequestRandom(hex(RANDOM))).toBe(false);
  });

  it('detects the downgrade sentinels at the end of a server random', () => {
    const r = new Uint8Array(32).fill(7);
    expect(downgradeSentinel(r)).toBeNull();
    r.set(DOWNGRADE_TLS12, 24);
    expect(downgradeSentinel(r)).toBe('TLSv1.2');
    r.set(DOWNGRADE_TLS11, 24);
    expect(downgradeSentinel(r)).toBe('TLSv1.1');
  });
});
