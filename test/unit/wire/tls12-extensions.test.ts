/**
 * TLS 1.2 extensions (src/wire/extensions.ts): ec_point_formats, extended_master_secret,
 * renegotiation_info, session_ticket and status_request in ClientHello; the TLS 1.2
 * ServerHello rules (a ServerHello that does not select TLS 1.3 may carry server_name,
 * ALPN, status_request, ... which a TLS 1.3 ServerHello may not); and the refusal of the
 * TLS 1.2-only extensions in TLS 1.3 messages.
 */
import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import {
  allowedMessages,
  decodeExtensions,
  decodeServerHelloExtensions,
  encodeExtensions,
  extensionTypes,
  isAllowedIn,
  type BlockOf,
  type ExtensionMessage,
} from '../../../src/wire/extensions.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../../src/wire/handshake.js';
import { decodeServerHello, encodeServerHello } from '../../../src/wire/hello.js';
import type { ClientHelloExtensions, ServerHello, ServerHello12Extensions } from '../../../src/wire/messages.js';
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
function roundTrip<M extends ExtensionMessage>(blockHex: string, m: M): BlockOf[M] {
  const e = dec(blockHex, m);
  expect(enc(e, m)).toBe(blockHex.replace(/\s+/g, ''));
  return e;
}

const RANDOM = '22'.repeat(32);
const SH_PREFIX = `0303 ${RANDOM} 00 c02b 00`;
function sh(extBlock: string): ServerHello {
  const m = decodeServerHello(new Reader(hex(SH_PREFIX + extBlock)));
  if (m.isHrr) throw new Error('not a ServerHello');
  return m;
}
/** The TLS 1.2 block of a ServerHello. */
function sh12(extBlock: string): ServerHello12Extensions {
  const e = sh(extBlock).extensions;
  if (e.rules !== 'tls12') throw new Error('not a TLS 1.2 ServerHello');
  return e;
}
/** A ServerHello body round trip through decodeServerHello / encodeServerHello. */
function shRoundTrip(extBlock: string): ServerHello {
  const m = sh(extBlock);
  expect(toHex(encode((w) => encodeServerHello(w, m)))).toBe((SH_PREFIX + extBlock).replace(/\s+/g, ''));
  return m;
}

const SV13 = ext(T.supported_versions, '0304');
const TLS12_ONLY: Array<[string, number, string]> = [
  ['ec_point_formats', T.ec_point_formats, '01 00'],
  ['extended_master_secret', T.extended_master_secret, ''],
  ['renegotiation_info', T.renegotiation_info, '00'],
  ['session_ticket', T.session_ticket, ''],
];

describe('TLS 1.2 extensions in ClientHello', () => {
  it('decodes ec_point_formats, extended_master_secret, renegotiation_info, session_ticket and status_request, and re-encodes identically', () => {
    const e = roundTrip(
      block(
        ext(T.renegotiation_info, '00'),
        ext(T.ec_point_formats, '03 000102'),
        ext(T.session_ticket, 'deadbeef'),
        ext(T.status_request, '01 0000 0000'),
        ext(T.extended_master_secret),
      ),
      'CH',
    );
    expect(e.renegotiationInfo).toEqual(new Uint8Array(0));
    expect(e.ecPointFormats).toEqual([0, 1, 2]);
    expect(e.sessionTicket).toEqual(hex('deadbeef'));
    expect(e.statusRequest).toEqual(hex('01 0000 0000'));
    expect(e.extendedMasterSecret).toBe(true);
    expect(e.unknown).toEqual([]);
    expect(e.order).toEqual([T.renegotiation_info, T.ec_point_formats, T.session_ticket, T.status_request, T.extended_master_secret]);
  });

  it('decodes an empty session_ticket (asking for a ticket) and a renegotiated_connection value', () => {
    expect(roundTrip(block(ext(T.session_ticket)), 'CH').sessionTicket).toEqual(new Uint8Array(0));
    expect(roundTrip(block(ext(T.renegotiation_info, '0c' + 'ab'.repeat(12))), 'CH').renegotiationInfo).toEqual(hex('ab'.repeat(12)));
  });

  it('rejects extended_master_secret with data (RFC 7627 §5.1: empty) → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.extended_master_secret, '00')), 'CH'), 'DecodeError');
  });

  it('rejects an empty or mis-sized ec_point_format_list (<1..2^8-1>) → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.ec_point_formats, '00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.ec_point_formats, '02 00')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.ec_point_formats, '01 00 01')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.ec_point_formats)), 'CH'), 'DecodeError');
  });

  it('rejects a mis-sized renegotiation_info (opaque<0..255>) → DecodeError', () => {
    expectTlsError(() => dec(block(ext(T.renegotiation_info)), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.renegotiation_info, '02 aa')), 'CH'), 'DecodeError');
    expectTlsError(() => dec(block(ext(T.renegotiation_info, '00 00')), 'CH'), 'DecodeError');
  });

  it('rejects a duplicated TLS 1.2 extension → IllegalParameter', () => {
    expectTlsError(() => dec(block(ext(T.extended_master_secret), ext(T.extended_master_secret)), 'CH'), 'IllegalParameter');
  });

  it('encodes the TLS 1.2 fields in a fixed order when no order is given, and refuses bad values → InternalError', () => {
    const e: ClientHelloExtensions = { renegotiationInfo: new Uint8Array(0), extendedMasterSecret: true, ecPointFormats: [0], sessionTicket: new Uint8Array(0), statusRequest: hex('0100000000') };
    expect(extensionTypes(e, 'CH')).toEqual([T.status_request, T.ec_point_formats, T.session_ticket, T.extended_master_secret, T.renegotiation_info]);
    expect(dec(enc(e, 'CH'), 'CH')).toEqual({ ...e, unknown: [], order: extensionTypes(e, 'CH') });
    expectTlsError(() => enc({ ecPointFormats: [] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ ecPointFormats: [256] }, 'CH'), 'InternalError');
    expectTlsError(() => enc({ renegotiationInfo: new Uint8Array(256) }, 'CH'), 'InternalError');
  });
});

describe('a TLS 1.2 ServerHello (no supported_versions selecting 0x0304)', () => {
  const FULL = block(
    ext(T.server_name),
    ext(T.renegotiation_info, '00'),
    ext(T.ec_point_formats, '01 00'),
    ext(T.session_ticket),
    ext(T.status_request),
    ext(T.application_layer_protocol_negotiation, '0003 02 6832'),
    ext(T.extended_master_secret),
  );

  it('decodes server_name, renegotiation_info, ec_point_formats, session_ticket, status_request, ALPN and EMS; re-encodes identically', () => {
    const m = shRoundTrip(FULL);
    const e = sh12(FULL);
    expect(e.serverName).toBe(true);
    expect(e.renegotiationInfo).toEqual(new Uint8Array(0));
    expect(e.ecPointFormats).toEqual([0]);
    expect(e.sessionTicket).toBe(true);
    expect(e.statusRequest).toBe(true);
    expect(e.alpn).toBe('h2');
    expect(e.extendedMasterSecret).toBe(true);
    expect(e.unknown).toEqual([]);
    // through the handshake header too
    const raw = encodeHandshake(m);
    expect(toHex(encodeHandshake(decodeHandshakeBytes(raw)))).toBe(toHex(raw));
  });

  it('applies the TLS 1.2 rules when supported_versions selects another version (the handshake refuses it)', () => {
    const b = block(ext(T.supported_versions, '0303'), ext(T.application_layer_protocol_negotiation, '0003 02 6832'));
    shRoundTrip(b);
    const e = sh12(b);
    expect(e.supportedVersions).toBe(0x0303);
    expect(e.alpn).toBe('h2');
  });

  it('keeps unrecognized extensions (encrypt_then_mac, max_fragment_length, GREASE) in unknown', () => {
    const e = shRoundTrip(block(ext(T.encrypt_then_mac), ext(T.max_fragment_length, '01'), ext(0xfafa))).extensions;
    expect(e.unknown!.map((u) => u.type)).toEqual([T.encrypt_then_mac, T.max_fragment_length, 0xfafa]);
  });

  it('tolerates an echoed supported_groups', () => {
    shRoundTrip(block(ext(T.supported_groups, '0002 001d')));
    expect(sh12(block(ext(T.supported_groups, '0002 001d'))).supportedGroups).toEqual([0x1d]);
  });

  it('rejects ALPN with two protocols (RFC 7301 §3.1: exactly one) → DecodeError', () => {
    expectTlsError(() => sh(block(ext(T.application_layer_protocol_negotiation, '0006 02 6832 02 6833'))), 'DecodeError');
  });

  it('rejects a non-empty status_request (RFC 6066 §8), session_ticket (RFC 5077 §3.2) or server_name (RFC 6066 §3) → DecodeError', () => {
    expectTlsError(() => sh(block(ext(T.status_request, '01'))), 'DecodeError');
    expectTlsError(() => sh(block(ext(T.session_ticket, 'aa'))), 'DecodeError');
    expectTlsError(() => sh(block(ext(T.server_name, '0004 00 0001 61'))), 'DecodeError');
  });

  const notInTls12Sh: Array<[string, number, string]> = [
    ['cookie', T.cookie, '0001 aa'],
    ['early_data', T.early_data, ''],
    ['signature_algorithms', T.signature_algorithms, '0002 0403'],
    ['padding', T.padding, '00'],
    ['psk_key_exchange_modes', T.psk_key_exchange_modes, '01 01'],
    ['post_handshake_auth', T.post_handshake_auth, ''],
    ['certificate_authorities', T.certificate_authorities, '0000'],
  ];
  for (const [name, type, data] of notInTls12Sh) {
    it(`rejects ${name} → IllegalParameter/illegal_parameter`, () => {
      expectTlsError(() => sh(block(ext(type, data))), 'IllegalParameter');
    });
  }

  it('rejects a duplicated extension → IllegalParameter', () => {
    expectTlsError(() => sh(block(ext(T.extended_master_secret), ext(T.extended_master_secret))), 'IllegalParameter');
    expectTlsError(() => sh(block(ext(T.renegotiation_info, '00'), ext(0x1234), ext(T.renegotiation_info, '00'))), 'IllegalParameter');
  });

  it('decodeServerHelloExtensions picks the TLS 1.2 rules unless supported_versions selects 0x0304', () => {
    const b = block(ext(T.application_layer_protocol_negotiation, '0003 02 6832'));
    expectTlsError(() => dec(block(SV13, ext(T.application_layer_protocol_negotiation, '0003 02 6832')), 'SH'), 'IllegalParameter');
    expect(roundTrip(b, 'SH12').alpn).toBe('h2');
    expect(decodeServerHelloExtensions(new Reader(hex(b)))).toEqual({ rules: 'tls12', alpn: 'h2', unknown: [], order: [T.application_layer_protocol_negotiation] });
    // with supported_versions 0x0304 it is TLS 1.3
    expectTlsError(() => decodeServerHelloExtensions(new Reader(hex(block(SV13, ext(T.application_layer_protocol_negotiation, '0003 02 6832'))))), 'IllegalParameter');
    expect(decodeServerHelloExtensions(new Reader(hex(block(SV13))))).toEqual({ rules: 'tls13', supportedVersions: 0x0304, unknown: [], order: [T.supported_versions] });
  });

  it('refuses to encode what a TLS 1.2 ServerHello may not carry → InternalError', () => {
    const base: ServerHello = sh(block());
    // the types forbid these: only a cast gets them to the encoder
    const bad: object[] = [{ cookie: hex('01') }, { padding: 0 }, { signatureAlgorithms: [0x0403] }, { earlyData: true }, { unknown: [{ type: T.cookie, data: hex('000101') }] }];
    for (const f of bad) {
      expectTlsError(() => encode((w) => encodeServerHello(w, { ...base, extensions: { rules: 'tls12', ...f } as ServerHello12Extensions })), 'InternalError');
    }
  });

  it('lists the extensions a TLS 1.2 ServerHello may carry', () => {
    for (const t of [T.server_name, T.status_request, T.ec_point_formats, T.application_layer_protocol_negotiation, T.extended_master_secret, T.session_ticket, T.renegotiation_info]) {
      expect(isAllowedIn(t, 'SH12')).toBe(true);
    }
    for (const t of [T.cookie, T.early_data, T.padding, T.signature_algorithms]) expect(isAllowedIn(t, 'SH12')).toBe(false);
  });
});

describe('the TLS 1.2-only extensions in TLS 1.3 messages', () => {
  for (const [name, type, data] of TLS12_ONLY) {
    it(`rejects ${name} in a ServerHello selecting TLS 1.3 → IllegalParameter`, () => {
      expectTlsError(() => sh(block(SV13, ext(type, data))), 'IllegalParameter');
      expectTlsError(() => dec(block(SV13, ext(type, data)), 'SH'), 'IllegalParameter');
    });
    for (const m of ['HRR', 'EE', 'CT', 'CR', 'NST'] as const) {
      it(`rejects ${name} in ${m} → IllegalParameter`, () => {
        expectTlsError(() => dec(block(ext(type, data)), m), 'IllegalParameter');
      });
    }
    it(`lists ${name} for the hellos of TLS 1.2 only`, () => {
      expect(allowedMessages(type)).toEqual(['CH', 'SH12']);
    });
  }

  it('rejects server_name, ALPN and status_request in a ServerHello selecting TLS 1.3 → IllegalParameter (RFC 9846 §4.2)', () => {
    expectTlsError(() => sh(block(SV13, ext(T.server_name))), 'IllegalParameter');
    expectTlsError(() => sh(block(SV13, ext(T.application_layer_protocol_negotiation, '0003 02 6832'))), 'IllegalParameter');
    expectTlsError(() => sh(block(SV13, ext(T.status_request))), 'IllegalParameter');
  });

  it('refuses to encode a TLS 1.2-only field in a TLS 1.3 ServerHello → InternalError (only a cast gets it there)', () => {
    const base = sh(block(SV13));
    expect(base.extensions.rules).toBe('tls13');
    for (const f of [{ extendedMasterSecret: true }, { ecPointFormats: [0] }]) {
      expectTlsError(() => encode((w) => encodeServerHello(w, { ...base, extensions: { ...base.extensions, ...f } as ServerHello['extensions'] })), 'InternalError');
    }
  });

  it('keeps status_request undecoded in TLS 1.3 CertificateEntry and CertificateRequest blocks', () => {
    expect(roundTrip(block(ext(T.status_request, '01 000003 aabbcc')), 'CT').statusRequest).toEqual(hex('01 000003 aabbcc'));
    expect(roundTrip(block(ext(T.status_request, '01 0000 0000')), 'CR').unknown).toHaveLength(1);
  });
});
