/**
 * TLS 1.2-only handshake message codecs (src/wire/tls12.ts) and the TLS 1.2 dispatch of
 * decodeHandshake: hand-made bodies decode and re-encode identically, every rule gives
 * its status (and the status' alert), and the messages of a real OpenSSL TLS 1.2
 * handshake (vectors/tls12/openssl-capture.json) round-trip byte for byte.
 */
import { createPublicKey, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HandshakeType } from '../../../src/wire/codes.js';
import { decodeHandshake, decodeHandshakeBytes, encodeHandshake, handshakeTypeOf, type DecodeHandshakeOptions } from '../../../src/wire/handshake.js';
import type {
  Certificate12,
  CertificateStatus,
  ClientHello,
  ClientKeyExchange,
  HandshakeMessage,
  NewSessionTicket12,
  ServerHello,
  ServerKeyExchange,
} from '../../../src/wire/messages.js';
import { Reader } from '../../../src/wire/reader.js';
import {
  CertificateStatusType,
  ClientCertificateType,
  ECCurveType,
  ECPointFormat,
  TLS12_VERIFY_DATA_LENGTH,
  decodeCertificate12,
  decodeCertificateRequest12,
  decodeCertificateStatus,
  decodeClientKeyExchange,
  decodeHelloRequest,
  decodeNewSessionTicket12,
  decodeServerHelloDone,
  decodeServerKeyExchange,
  ecdheParamsBytes,
  encodeCertificate12,
  encodeCertificateRequest12,
  encodeCertificateStatus,
  encodeClientKeyExchange,
  encodeNewSessionTicket12,
  encodeServerKeyExchange,
  serverKeyExchangeSignedContent,
} from '../../../src/wire/tls12.js';
import { encode, type Writer } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { hex, toHex } from './helpers.js';

const TLS12: DecodeHandshakeOptions = { version: 'tls12' };

function vec(lenBytes: 1 | 2 | 3, h: string): string {
  const d = h.replace(/\s+/g, '');
  return (d.length / 2).toString(16).padStart(2 * lenBytes, '0') + d;
}
const v8 = (h: string): string => vec(1, h);
const v16 = (h: string): string => vec(2, h);
const v24 = (h: string): string => vec(3, h);
const clean = (h: string): string => h.replace(/\s+/g, '');

/** Decodes `bodyHex` with `decode`, checks the whole body was read, re-encodes with `enc` and compares. */
function roundTrip<T>(decode: (r: Reader) => T, enc: (w: Writer, m: T) => void, bodyHex: string): T {
  const r = new Reader(hex(bodyHex));
  const m = decode(r);
  expect(r.left).toBe(0);
  expect(toHex(encode((w) => enc(w, m)))).toBe(clean(bodyHex));
  return m;
}
const dec = <T>(decode: (r: Reader) => T, bodyHex: string): T => decode(new Reader(hex(bodyHex)));

// ---------------------------------------------------------------------------

describe('Certificate (TLS 1.2, RFC 5246 §7.4.2)', () => {
  const CERTS = v24(v24('308201aa') + v24('3082'));

  it('decodes a list of two ASN.1Certs, leaf first, and re-encodes it identically', () => {
    const m = roundTrip(decodeCertificate12, encodeCertificate12, CERTS);
    expect(m).toEqual({ type: 'certificate12', certificates: [hex('308201aa'), hex('3082')] });
  });

  it('decodes an empty certificate_list (a client without a certificate)', () => {
    expect(roundTrip(decodeCertificate12, encodeCertificate12, '000000').certificates).toEqual([]);
  });

  it('rejects an empty ASN.1Cert (ASN.1Cert<1..2^24-1>) → DecodeError/decode_error', () => {
    expectTlsError(() => dec(decodeCertificate12, v24('000000')), 'DecodeError');
  });

  it('rejects a certificate running past the list, a short list and trailing data → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificate12, '000004 000005 aabbcc dd'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificate12, '000006 000002 aabb'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificate12, CERTS + '00'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificate12, '0000'), 'DecodeError');
  });

  it('refuses to encode an empty certificate → InternalError/internal_error', () => {
    expectTlsError(() => encode((w) => encodeCertificate12(w, { type: 'certificate12', certificates: [new Uint8Array(0)] })), 'InternalError');
  });
});

describe('ServerKeyExchange (ECDHE, RFC 8422 §5.4)', () => {
  const X25519_POINT = '20' + '11'.repeat(32);
  const SKE = clean(`03 001d ${X25519_POINT} 0403 ${v16('3045' + 'ab'.repeat(8))}`);

  it('decodes named_curve x25519 params and an ecdsa_secp256r1_sha256 signature, and re-encodes identically', () => {
    const m = roundTrip(decodeServerKeyExchange, encodeServerKeyExchange, SKE);
    expect(m).toEqual({
      type: 'server_key_exchange',
      curveType: ECCurveType.named_curve,
      group: 0x1d,
      publicKey: hex('11'.repeat(32)),
      scheme: 0x0403,
      signature: hex('3045' + 'ab'.repeat(8)),
    });
  });

  it('accepts an empty signature as syntax (digitally-signed opaque<0..2^16-1>); verification is the handshake\'s', () => {
    expect(roundTrip(decodeServerKeyExchange, encodeServerKeyExchange, `03 0017 ${v8('04' + '22'.repeat(64))} 0804 0000`).signature).toHaveLength(0);
  });

  for (const curveType of [0, ECCurveType.explicit_prime, ECCurveType.explicit_char2, 4, 0xff]) {
    it(`rejects ECCurveType ${curveType} (only named_curve) → HandshakeFailure/handshake_failure`, () => {
      expectTlsError(() => dec(decodeServerKeyExchange, `${curveType.toString(16).padStart(2, '0')} 001d ${X25519_POINT} 0403 0000`), 'HandshakeFailure');
    });
  }

  it('rejects an empty point (ECPoint point<1..2^8-1>) → DecodeError', () => {
    expectTlsError(() => dec(decodeServerKeyExchange, '03 001d 00 0403 0000'), 'DecodeError');
  });

  it('rejects truncation anywhere and trailing data → DecodeError', () => {
    const b = hex(SKE);
    for (let i = 0; i < b.length; i++) expectTlsError(() => decodeServerKeyExchange(new Reader(b.subarray(0, i))), 'DecodeError');
    expectTlsError(() => dec(decodeServerKeyExchange, SKE + '00'), 'DecodeError');
    // signature length longer than what is left
    expectTlsError(() => dec(decodeServerKeyExchange, `03 001d ${X25519_POINT} 0403 0005 aabb`), 'DecodeError');
  });

  it('ecdheParamsBytes is curve_type(3) ‖ NamedCurve ‖ ECPoint', () => {
    expect(toHex(ecdheParamsBytes(0x17, hex('04aabb')))).toBe('0300170304aabb');
  });

  it('serverKeyExchangeSignedContent is client_random ‖ server_random ‖ ServerECDHParams', () => {
    const m = dec(decodeServerKeyExchange, SKE);
    const cr = hex('c1'.repeat(32));
    const sr = hex('5e'.repeat(32));
    expect(toHex(serverKeyExchangeSignedContent(cr, sr, m))).toBe('c1'.repeat(32) + '5e'.repeat(32) + clean(`03 001d ${X25519_POINT}`));
  });

  it('refuses bad inputs when building content or encoding → InternalError', () => {
    const m = dec(decodeServerKeyExchange, SKE);
    expectTlsError(() => serverKeyExchangeSignedContent(new Uint8Array(31), new Uint8Array(32), m), 'InternalError');
    expectTlsError(() => serverKeyExchangeSignedContent(new Uint8Array(32), new Uint8Array(33), m), 'InternalError');
    expectTlsError(() => serverKeyExchangeSignedContent(new Uint8Array(32), new Uint8Array(32), { ...m, curveType: 1 }), 'InternalError');
    expectTlsError(() => encode((w) => encodeServerKeyExchange(w, { ...m, curveType: 1 })), 'InternalError');
    expectTlsError(() => encode((w) => encodeServerKeyExchange(w, { ...m, publicKey: new Uint8Array(256) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeServerKeyExchange(w, { ...m, publicKey: new Uint8Array(0) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeServerKeyExchange(w, { ...m, group: 0x10000 })), 'InternalError');
    expectTlsError(() => ecdheParamsBytes(0x1d, new Uint8Array(0)), 'InternalError');
  });
});

describe('CertificateRequest (TLS 1.2, RFC 5246 §7.4.4)', () => {
  const CR = clean(`${v8('01 40')} ${v16('0403 0804 0401')} ${v16(v16('3012') + v16('300a0b'))}`);

  it('decodes certificate types, signature algorithms and two DistinguishedNames, and re-encodes identically', () => {
    const m = roundTrip(decodeCertificateRequest12, encodeCertificateRequest12, CR);
    expect(m).toEqual({
      type: 'certificate_request12',
      certificateTypes: [ClientCertificateType.rsa_sign, ClientCertificateType.ecdsa_sign],
      signatureAlgorithms: [0x0403, 0x0804, 0x0401],
      certificateAuthorities: [hex('3012'), hex('300a0b')],
    });
  });

  it('decodes an empty certificate_authorities list', () => {
    expect(roundTrip(decodeCertificateRequest12, encodeCertificateRequest12, '01 40 0002 0403 0000').certificateAuthorities).toEqual([]);
  });

  it('rejects empty certificate_types (<1..2^8-1>) → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificateRequest12, '00 0002 0403 0000'), 'DecodeError');
  });

  it('rejects empty or odd-length supported_signature_algorithms (<2..2^16-2>) → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificateRequest12, '01 40 0000 0000'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateRequest12, '01 40 0003 040308 0000'), 'DecodeError');
  });

  it('rejects an empty DistinguishedName (<1..2^16-1>) and a DN past the list → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificateRequest12, '01 40 0002 0403 0002 0000'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateRequest12, '01 40 0002 0403 0003 0005 aa'), 'DecodeError');
  });

  it('rejects trailing data and a missing CA list → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificateRequest12, CR + 'ff'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateRequest12, '01 40 0002 0403'), 'DecodeError');
  });

  it('refuses to encode fields out of bounds → InternalError', () => {
    const m = dec(decodeCertificateRequest12, CR);
    expectTlsError(() => encode((w) => encodeCertificateRequest12(w, { ...m, certificateTypes: [] })), 'InternalError');
    expectTlsError(() => encode((w) => encodeCertificateRequest12(w, { ...m, certificateTypes: [256] })), 'InternalError');
    expectTlsError(() => encode((w) => encodeCertificateRequest12(w, { ...m, signatureAlgorithms: [] })), 'InternalError');
    expectTlsError(() => encode((w) => encodeCertificateRequest12(w, { ...m, certificateAuthorities: [new Uint8Array(0)] })), 'InternalError');
  });
});

describe('ServerHelloDone and HelloRequest (RFC 5246 §7.4.5, §7.4.1.1)', () => {
  it('decode empty bodies', () => {
    expect(dec(decodeServerHelloDone, '')).toEqual({ type: 'server_hello_done' });
    expect(dec(decodeHelloRequest, '')).toEqual({ type: 'hello_request' });
    expect(toHex(encodeHandshake({ type: 'server_hello_done' }))).toBe('0e000000');
    expect(toHex(encodeHandshake({ type: 'hello_request' }))).toBe('00000000');
  });

  it('reject any body byte → DecodeError', () => {
    expectTlsError(() => dec(decodeServerHelloDone, '00'), 'DecodeError');
    expectTlsError(() => dec(decodeHelloRequest, '00'), 'DecodeError');
  });
});

describe('ClientKeyExchange (ECDHE, RFC 8422 §5.7)', () => {
  it('decodes an uncompressed P-256 point and re-encodes identically', () => {
    const m = roundTrip(decodeClientKeyExchange, encodeClientKeyExchange, v8('04' + '33'.repeat(64)));
    expect(m.publicKey).toHaveLength(65);
  });

  it('rejects an empty point, a short point and trailing data → DecodeError', () => {
    expectTlsError(() => dec(decodeClientKeyExchange, '00'), 'DecodeError');
    expectTlsError(() => dec(decodeClientKeyExchange, '20 aabb'), 'DecodeError');
    expectTlsError(() => dec(decodeClientKeyExchange, '01 aa bb'), 'DecodeError');
    expectTlsError(() => dec(decodeClientKeyExchange, ''), 'DecodeError');
  });

  it('refuses to encode a point of 0 or 256 bytes → InternalError', () => {
    expectTlsError(() => encode((w) => encodeClientKeyExchange(w, { type: 'client_key_exchange', publicKey: new Uint8Array(0) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeClientKeyExchange(w, { type: 'client_key_exchange', publicKey: new Uint8Array(256) })), 'InternalError');
  });
});

describe('NewSessionTicket (TLS 1.2, RFC 5077 §3.3)', () => {
  it('decodes lifetime hint and ticket, and re-encodes identically', () => {
    const m = roundTrip(decodeNewSessionTicket12, encodeNewSessionTicket12, `00001c20 ${v16('0102030405')}`);
    expect(m).toEqual({ type: 'new_session_ticket12', lifetimeHint: 7200, ticket: hex('0102030405') });
  });

  it('accepts an empty ticket and the largest lifetime hint (u32, no 7-day cap in TLS 1.2)', () => {
    const m = roundTrip(decodeNewSessionTicket12, encodeNewSessionTicket12, 'ffffffff 0000');
    expect(m.lifetimeHint).toBe(0xffffffff);
    expect(m.ticket).toHaveLength(0);
  });

  it('rejects truncation and trailing data → DecodeError', () => {
    expectTlsError(() => dec(decodeNewSessionTicket12, '00001c'), 'DecodeError');
    expectTlsError(() => dec(decodeNewSessionTicket12, '00001c20 0003 aabb'), 'DecodeError');
    expectTlsError(() => dec(decodeNewSessionTicket12, '00001c20 0000 00'), 'DecodeError');
  });

  it('refuses to encode a lifetime outside u32 → InternalError', () => {
    expectTlsError(() => encode((w) => encodeNewSessionTicket12(w, { type: 'new_session_ticket12', lifetimeHint: -1, ticket: new Uint8Array(0) })), 'InternalError');
    expectTlsError(() => encode((w) => encodeNewSessionTicket12(w, { type: 'new_session_ticket12', lifetimeHint: 2 ** 32, ticket: new Uint8Array(0) })), 'InternalError');
  });
});

describe('CertificateStatus (RFC 6066 §8)', () => {
  it('decodes an ocsp response and re-encodes identically', () => {
    const m = roundTrip(decodeCertificateStatus, encodeCertificateStatus, `01 ${v24('30030a0101')}`);
    expect(m).toEqual({ type: 'certificate_status', statusType: CertificateStatusType.ocsp, response: hex('30030a0101') });
  });

  it('rejects a status_type other than ocsp(1) → IllegalParameter/illegal_parameter', () => {
    expectTlsError(() => dec(decodeCertificateStatus, `02 ${v24('30030a0101')}`), 'IllegalParameter');
    expectTlsError(() => dec(decodeCertificateStatus, '00'), 'IllegalParameter');
  });

  it('rejects an empty OCSPResponse (<1..2^24-1>), truncation and trailing data → DecodeError', () => {
    expectTlsError(() => dec(decodeCertificateStatus, '01 000000'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateStatus, '01 000005 3003'), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateStatus, `01 ${v24('30')} 00`), 'DecodeError');
    expectTlsError(() => dec(decodeCertificateStatus, ''), 'DecodeError');
  });

  it('refuses to encode another status_type or an empty response → InternalError', () => {
    expectTlsError(() => encode((w) => encodeCertificateStatus(w, { type: 'certificate_status', statusType: 2, response: hex('30') })), 'InternalError');
    expectTlsError(() => encode((w) => encodeCertificateStatus(w, { type: 'certificate_status', statusType: 1, response: new Uint8Array(0) })), 'InternalError');
  });
});

describe('decodeHandshake with version tls12', () => {
  it('maps 11, 13 and 4 to the TLS 1.2 Certificate, CertificateRequest and NewSessionTicket', () => {
    expect(decodeHandshake(11, hex('000000'), undefined, TLS12).type).toBe('certificate12');
    expect(decodeHandshake(13, hex('01 40 0002 0403 0000'), undefined, TLS12).type).toBe('certificate_request12');
    expect(decodeHandshake(4, hex('00000000 0000'), undefined, TLS12).type).toBe('new_session_ticket12');
  });

  it('decodes the other TLS 1.2 messages and CertificateVerify / Finished, and sets raw', () => {
    expect(decodeHandshake(0, new Uint8Array(0), undefined, TLS12)).toEqual({ type: 'hello_request', raw: hex('00000000') });
    expect(decodeHandshake(14, new Uint8Array(0), undefined, TLS12).type).toBe('server_hello_done');
    expect(decodeHandshake(12, hex('03 001d 01 aa 0403 0000'), undefined, TLS12).type).toBe('server_key_exchange');
    expect(decodeHandshake(16, hex('01 aa'), undefined, TLS12).type).toBe('client_key_exchange');
    expect(decodeHandshake(22, hex('01 000001 30'), undefined, TLS12).type).toBe('certificate_status');
    expect(decodeHandshake(15, hex('0403 0002 3000'), undefined, TLS12)).toMatchObject({ type: 'certificate_verify', scheme: 0x0403 });
    const raw = hex('1400000c' + '5a'.repeat(12));
    expect(decodeHandshakeBytes(raw, TLS12)).toEqual({ type: 'finished', verifyData: hex('5a'.repeat(12)), raw });
  });

  it('takes Finished verify_data as 12 bytes unless told otherwise (RFC 5246 §7.4.9)', () => {
    expect(TLS12_VERIFY_DATA_LENGTH).toBe(12);
    expectTlsError(() => decodeHandshake(20, new Uint8Array(13), undefined, TLS12), 'DecodeError');
    expectTlsError(() => decodeHandshake(20, new Uint8Array(32), undefined, TLS12), 'DecodeError');
    expect(decodeHandshake(20, new Uint8Array(32), undefined, { version: 'tls12', finishedLength: 32 }).type).toBe('finished');
  });

  for (const [name, type] of [
    ['end_of_early_data', 5],
    ['encrypted_extensions', 8],
    ['key_update', 24],
    ['message_hash', 254],
    ['an unassigned type', 99],
  ] as const) {
    it(`rejects ${name} (${type}) in TLS 1.2 → UnexpectedMessage/unexpected_message`, () => {
      expectTlsError(() => decodeHandshake(type, new Uint8Array(0), undefined, TLS12), 'UnexpectedMessage');
    });
  }

  it('rejects every type outside RFC 5246 §7.4 (+ RFC 5077, RFC 6066) → UnexpectedMessage', () => {
    const known = new Set([0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 22]);
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      expectTlsError(() => decodeHandshake(t, new Uint8Array(0), undefined, TLS12), 'UnexpectedMessage');
    }
  });
});

describe('decodeHandshake with version tls13 or none', () => {
  for (const version of ['tls13', undefined] as const) {
    for (const [name, type] of [
      ['hello_request', 0],
      ['server_key_exchange', 12],
      ['server_hello_done', 14],
      ['client_key_exchange', 16],
      ['certificate_status', 22],
    ] as const) {
      it(`rejects the TLS 1.2-only ${name} (${type}) with version ${String(version)} → UnexpectedMessage`, () => {
        expectTlsError(() => decodeHandshake(type, new Uint8Array(0), undefined, { version }), 'UnexpectedMessage');
      });
    }
    it(`decodes 11 as the TLS 1.3 Certificate with version ${String(version)}`, () => {
      expect(decodeHandshake(11, hex('00 000000'), undefined, { version }).type).toBe('certificate');
    });
  }
});

describe('encodeHandshake and handshakeTypeOf for the TLS 1.2 messages', () => {
  const cases: Array<[HandshakeMessage, number, string]> = [
    [{ type: 'certificate12', certificates: [hex('30')] }, HandshakeType.certificate, '0b000007 000004 000001 30'],
    [{ type: 'server_key_exchange', curveType: 3, group: 0x1d, publicKey: hex('aa'), scheme: 0x0807, signature: hex('bb') }, HandshakeType.server_key_exchange, '0c00000a 03 001d 01aa 0807 0001bb'],
    [{ type: 'certificate_request12', certificateTypes: [64], signatureAlgorithms: [0x0403], certificateAuthorities: [] }, HandshakeType.certificate_request, '0d000008 0140 00020403 0000'],
    [{ type: 'server_hello_done' }, HandshakeType.server_hello_done, '0e000000'],
    [{ type: 'client_key_exchange', publicKey: hex('aabb') }, HandshakeType.client_key_exchange, '10000003 02aabb'],
    [{ type: 'new_session_ticket12', lifetimeHint: 1, ticket: hex('cc') }, HandshakeType.new_session_ticket, '04000007 00000001 0001cc'],
    [{ type: 'certificate_status', statusType: 1, response: hex('30') }, HandshakeType.certificate_status, '16000005 01 000001 30'],
    [{ type: 'hello_request' }, HandshakeType.hello_request, '00000000'],
  ];
  for (const [m, type, h] of cases) {
    it(`${m.type}: type ${type}, header and body, and back`, () => {
      expect(handshakeTypeOf(m)).toBe(type);
      const raw = encodeHandshake(m);
      expect(toHex(raw)).toBe(clean(h));
      expect(decodeHandshakeBytes(raw, TLS12)).toEqual({ ...m, raw });
    });
  }
});

// ---------------------------------------------------------------------------

interface Capture {
  source: string;
  clientToServer: Array<{ message: string; hex: string }>;
  serverToClient: Array<{ message: string; hex: string }>;
}
const CAPTURE = JSON.parse(readFileSync(new URL('../../../vectors/tls12/openssl-capture.json', import.meta.url), 'utf8')) as Capture;

describe('a real TLS 1.2 handshake (vectors/tls12/openssl-capture.json, Node tls / OpenSSL)', () => {
  const all = [...CAPTURE.clientToServer, ...CAPTURE.serverToClient];
  const msgs = new Map(all.map((m) => [m.message, decodeHandshakeBytes(hex(m.hex), TLS12)]));

  for (const m of all) {
    it(`${m.message} decodes and re-encodes byte for byte`, () => {
      expect(toHex(encodeHandshake(msgs.get(m.message)!))).toBe(m.hex);
    });
  }

  it('the ServerHello is a TLS 1.2 one carrying the TLS 1.2 extensions, decoded', () => {
    const sh = msgs.get('ServerHello') as ServerHello;
    expect(sh.legacyVersion).toBe(0x0303);
    expect(sh.cipherSuite).toBe(0xc02b);
    const e = sh.extensions;
    if (e.rules !== 'tls12') throw new Error('not a TLS 1.2 ServerHello');
    expect(e.supportedVersions).toBeUndefined();
    expect(e.renegotiationInfo).toEqual(new Uint8Array(0));
    expect(e.ecPointFormats).toEqual([ECPointFormat.uncompressed, 1, 2]);
    expect(e.sessionTicket).toBe(true);
    expect(e.statusRequest).toBe(true);
    expect(e.alpn).toBe('h2');
    expect(e.extendedMasterSecret).toBe(true);
    expect(e.unknown).toEqual([]);
  });

  it('the ClientHello offers the TLS 1.2 extensions', () => {
    const ch = msgs.get('ClientHello') as ClientHello;
    expect(ch.extensions.extendedMasterSecret).toBe(true);
    expect(ch.extensions.ecPointFormats).toEqual([0, 1, 2]);
    expect(ch.extensions.sessionTicket).toEqual(new Uint8Array(0));
    expect(ch.extensions.statusRequest).toEqual(hex('01 0000 0000')); // ocsp, no responder ids, no extensions
    expect(ch.cipherSuites).toContain(0x00ff); // TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead of renegotiation_info
  });

  it('the Certificate, CertificateStatus, ClientKeyExchange and NewSessionTicket fields', () => {
    expect((msgs.get('Certificate') as Certificate12).certificates).toHaveLength(1);
    expect((msgs.get('CertificateStatus') as CertificateStatus).response).toEqual(hex('30030a0101'));
    expect((msgs.get('ClientKeyExchange') as ClientKeyExchange).publicKey).toHaveLength(32); // x25519
    expect((msgs.get('NewSessionTicket') as NewSessionTicket12).ticket.length).toBeGreaterThan(0);
  });

  it('the ServerKeyExchange signature verifies over serverKeyExchangeSignedContent (RFC 8422 §5.4)', () => {
    const ch = msgs.get('ClientHello') as ClientHello;
    const sh = msgs.get('ServerHello') as ServerHello;
    const ske = msgs.get('ServerKeyExchange') as ServerKeyExchange;
    expect(ske.curveType).toBe(ECCurveType.named_curve);
    expect(ske.group).toBe(0x1d);
    expect(ske.scheme).toBe(0x0403);
    const leaf = new X509Certificate((msgs.get('Certificate') as Certificate12).certificates[0]!);
    const key = createPublicKey(leaf.publicKey.export({ type: 'spki', format: 'pem' }));
    const content = serverKeyExchangeSignedContent(ch.random, sh.random, ske);
    expect(nodeVerify('sha256', content, key, ske.signature)).toBe(true);
    // any other random breaks it
    const other = serverKeyExchangeSignedContent(sh.random, ch.random, ske);
    expect(nodeVerify('sha256', other, key, ske.signature)).toBe(false);
  });

  it('keeps its source named, and holds the server flight in order', () => {
    expect(CAPTURE.source).toMatch(/OpenSSL/);
    expect(CAPTURE.serverToClient.map((m) => msgs.get(m.message)!.type)).toEqual([
      'server_hello',
      'certificate12',
      'certificate_status',
      'server_key_exchange',
      'server_hello_done',
      'new_session_ticket12',
    ]);
  });
});
