import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import {
  certificateVerifyInput,
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
} from '../../../src/wire/certificate.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../../src/wire/handshake.js';
import type { Certificate } from '../../../src/wire/messages.js';
import { Reader } from '../../../src/wire/reader.js';
import { encode } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { block, ext, hex, toHex } from './helpers.js';

function v24(h: string): string {
  const d = h.replace(/\s+/g, '');
  return (d.length / 2).toString(16).padStart(6, '0') + d;
}
function v8(h: string): string {
  const d = h.replace(/\s+/g, '');
  return (d.length / 2).toString(16).padStart(2, '0') + d;
}
const clean = (h: string): string => h.replace(/\s+/g, '');

const ENTRY1 = v24('308201') + block(ext(T.status_request, '01 000003 aabbcc'));
const ENTRY2 = v24('3000') + block();
const CERT_BODY = clean('00' + v24(ENTRY1 + ENTRY2));

describe('Certificate (TLS 1.3)', () => {
  it('decodes a chain of two entries, keeping the per-entry status_request, and re-encodes it', () => {
    const m = decodeCertificate(new Reader(hex(CERT_BODY)));
    expect(m.context).toEqual(new Uint8Array(0));
    expect(m.entries).toHaveLength(2);
    expect(m.entries[0]!.certData).toEqual(hex('308201'));
    expect(m.entries[0]!.extensions).toEqual({ statusRequest: hex('01 000003 aabbcc'), unknown: [], order: [T.status_request] });
    expect(m.entries[1]!.extensions).toEqual({ unknown: [], order: [] });
    expect(toHex(encode((w) => encodeCertificate(w, m)))).toBe(CERT_BODY);
  });

  it('decodes an empty certificate_list with a request context (a client without a certificate)', () => {
    const body = clean(v8('0102') + '000000');
    const m = decodeCertificate(new Reader(hex(body)));
    expect(m.context).toEqual(hex('0102'));
    expect(m.entries).toEqual([]);
    expect(toHex(encode((w) => encodeCertificate(w, m)))).toBe(body);
  });

  it('round-trips through encodeHandshake with the 4-byte header', () => {
    const m: Certificate = { type: 'certificate', context: new Uint8Array(0), entries: [{ certData: hex('30'), extensions: {} }] };
    const raw = encodeHandshake(m);
    expect(toHex(raw)).toBe('0b00000a' + '00' + '000006' + '000001' + '30' + '0000');
    expect(decodeHandshakeBytes(raw)).toEqual({ ...m, raw, entries: [{ certData: hex('30'), extensions: { unknown: [], order: [] } }] });
  });

  it('rejects an empty cert_data → DecodeError', () => {
    expectTlsError(() => decodeCertificate(new Reader(hex('00' + v24('000000' + '0000')))), 'DecodeError');
  });

  it('rejects an entry without its extensions block → DecodeError', () => {
    expectTlsError(() => decodeCertificate(new Reader(hex('00' + v24(v24('30'))))), 'DecodeError');
  });

  it('rejects an entry that runs past the certificate_list → DecodeError', () => {
    expectTlsError(() => decodeCertificate(new Reader(hex('00' + '000004' + '000005' + '30'))), 'DecodeError');
  });

  it('rejects trailing data after the certificate_list → DecodeError', () => {
    expectTlsError(() => decodeCertificate(new Reader(hex(CERT_BODY + '00'))), 'DecodeError');
  });

  it('rejects a duplicated extension in a CertificateEntry → IllegalParameter', () => {
    const entry = v24('30') + block(ext(T.status_request, '00'), ext(T.status_request, '00'));
    expectTlsError(() => decodeCertificate(new Reader(hex('00' + v24(entry)))), 'IllegalParameter');
  });

  it('rejects key_share in a CertificateEntry → IllegalParameter', () => {
    const entry = v24('30') + block(ext(T.key_share, '0017'));
    expectTlsError(() => decodeCertificate(new Reader(hex('00' + v24(entry)))), 'IllegalParameter');
  });

  it('refuses to encode an empty cert_data → InternalError', () => {
    const m: Certificate = { type: 'certificate', context: new Uint8Array(0), entries: [{ certData: new Uint8Array(0), extensions: {} }] };
    expectTlsError(() => encode((w) => encodeCertificate(w, m)), 'InternalError');
  });
});

describe('CertificateRequest (TLS 1.3)', () => {
  const body = clean('00' + block(ext(T.signature_algorithms, '0004 0403 0804'), ext(T.certificate_authorities, '0005 0003 300100'), ext(T.signature_algorithms_cert, '0002 0401')));

  it('decodes signature_algorithms, signature_algorithms_cert and keeps certificate_authorities raw', () => {
    const m = decodeCertificateRequest(new Reader(hex(body)));
    expect(m.context).toHaveLength(0);
    expect(m.extensions.signatureAlgorithms).toEqual([0x0403, 0x0804]);
    expect(m.extensions.signatureAlgorithmsCert).toEqual([0x0401]);
    expect(m.extensions.unknown!.map((u) => u.type)).toEqual([T.certificate_authorities]);
    expect(toHex(encode((w) => encodeCertificateRequest(w, m)))).toBe(body);
  });

  it('decodes a post-handshake request context', () => {
    const m = decodeCertificateRequest(new Reader(hex('04 01020304 0000')));
    expect(m.context).toEqual(hex('01020304'));
  });

  it('rejects a duplicated extension in CertificateRequest → IllegalParameter', () => {
    expectTlsError(() => decodeCertificateRequest(new Reader(hex('00' + block(ext(T.signature_algorithms, '0002 0403'), ext(T.signature_algorithms, '0002 0403'))))), 'IllegalParameter');
  });

  it('rejects supported_groups in CertificateRequest → IllegalParameter', () => {
    expectTlsError(() => decodeCertificateRequest(new Reader(hex('00' + block(ext(T.supported_groups, '0002 001d'))))), 'IllegalParameter');
  });

  it('rejects a CertificateRequest without an extensions block → DecodeError', () => {
    expectTlsError(() => decodeCertificateRequest(new Reader(hex('00'))), 'DecodeError');
  });

  it('rejects trailing data → DecodeError', () => {
    expectTlsError(() => decodeCertificateRequest(new Reader(hex(body + '00'))), 'DecodeError');
  });
});

describe('CertificateVerify', () => {
  it('decodes the scheme and signature and re-encodes them', () => {
    const body = '0804 0003 aabbcc';
    const m = decodeCertificateVerify(new Reader(hex(body)));
    expect(m).toEqual({ type: 'certificate_verify', scheme: 0x0804, signature: hex('aabbcc') });
    expect(toHex(encode((w) => encodeCertificateVerify(w, m)))).toBe(clean(body));
  });

  it('rejects a signature running past the message → DecodeError', () => {
    expectTlsError(() => decodeCertificateVerify(new Reader(hex('0804 0004 aabbcc'))), 'DecodeError');
  });

  it('rejects trailing data → DecodeError', () => {
    expectTlsError(() => decodeCertificateVerify(new Reader(hex('0804 0001 aa bb'))), 'DecodeError');
  });

  it('rejects a truncated scheme → DecodeError', () => {
    expectTlsError(() => decodeCertificateVerify(new Reader(hex('08'))), 'DecodeError');
  });
});

describe('certificateVerifyInput', () => {
  it('reproduces the RFC 9846 §4.4.3 example for a server signature over 32 bytes of 01', () => {
    const expected = clean(`
      2020202020202020202020202020202020202020202020202020202020202020
      2020202020202020202020202020202020202020202020202020202020202020
      544c5320312e332c207365727665722043657274696669636174655665726966
      79
      00
      0101010101010101010101010101010101010101010101010101010101010101`);
    expect(toHex(certificateVerifyInput('server', new Uint8Array(32).fill(1)))).toBe(expected);
  });

  it('uses "TLS 1.3, client CertificateVerify" for a client signature', () => {
    const out = certificateVerifyInput('client', hex('ff'.repeat(48)));
    expect(out).toHaveLength(64 + 33 + 1 + 48);
    expect(new TextDecoder().decode(out.subarray(64, 97))).toBe('TLS 1.3, client CertificateVerify');
    expect(out[97]).toBe(0);
  });
});
