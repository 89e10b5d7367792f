/**
 * Property tests (fast-check) for the TLS 1.2 handshake codecs, decoded with
 * `version: 'tls12'` (STYLE.md §6.7):
 * - decode(encode(m)) equals m and re-encodes to the same bytes, for every TLS 1.2
 *   message, CertificateVerify, Finished, a TLS 1.2 ServerHello and a ClientHello with
 *   the TLS 1.2 extensions;
 * - every strict prefix of an encoding fails with DecodeError;
 * - random and mutated bytes only ever raise TlsError, and whatever decodes re-encodes
 *   to the very same bytes;
 * - any TLS 1.2-only extension in a ServerHello selecting TLS 1.3 → IllegalParameter.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExtensionType as T } from '../../../src/wire/codes.js';
import { allowedMessages, extensionTypes, isAllowedIn } from '../../../src/wire/extensions.js';
import { decodeHandshake, decodeHandshakeBytes, encodeHandshake, handshakeTypeOf, type DecodeHandshakeOptions } from '../../../src/wire/handshake.js';
import type {
  Certificate12,
  CertificateRequest12,
  CertificateStatus,
  CertificateVerify,
  ClientHello,
  ClientHelloExtensions,
  ClientKeyExchange,
  Finished,
  HandshakeMessage,
  HelloRequest,
  NewSessionTicket12,
  RawExtension,
  ServerHello,
  ServerHello12Extensions,
  ServerHelloDone,
  ServerKeyExchange,
} from '../../../src/wire/messages.js';
import { applyBodyEdits, bodyEditArb, bytes, u16, u32, u8, withoutRaw } from '../../helpers/codec-props.js';
import { statusOf } from '../../helpers/tls-error.js';

const TLS12: DecodeHandshakeOptions = { version: 'tls12' };

// ---------------------------------------------------------------------------
// Generators

const certificate12: fc.Arbitrary<Certificate12> = fc
  .array(bytes(1, 300), { maxLength: 4 })
  .map((certificates) => ({ type: 'certificate12', certificates }));

const serverKeyExchange: fc.Arbitrary<ServerKeyExchange> = fc
  .record({ group: u16, publicKey: bytes(1, 255), scheme: u16, signature: bytes(0, 300) })
  .map((f) => ({ type: 'server_key_exchange', curveType: 3, ...f }));

const certificateRequest12: fc.Arbitrary<CertificateRequest12> = fc
  .record({
    certificateTypes: fc.array(u8, { minLength: 1, maxLength: 8 }),
    signatureAlgorithms: fc.array(u16, { minLength: 1, maxLength: 20 }),
    certificateAuthorities: fc.array(bytes(1, 60), { maxLength: 4 }),
  })
  .map((f) => ({ type: 'certificate_request12', ...f }));

const serverHelloDone: fc.Arbitrary<ServerHelloDone> = fc.constant({ type: 'server_hello_done' });
const helloRequest: fc.Arbitrary<HelloRequest> = fc.constant({ type: 'hello_request' });

const clientKeyExchange: fc.Arbitrary<ClientKeyExchange> = bytes(1, 255).map((publicKey) => ({ type: 'client_key_exchange', publicKey }));

const newSessionTicket12: fc.Arbitrary<NewSessionTicket12> = fc
  .record({ lifetimeHint: u32, ticket: bytes(0, 300) })
  .map((f) => ({ type: 'new_session_ticket12', ...f }));

const certificateStatus: fc.Arbitrary<CertificateStatus> = bytes(1, 300).map((response) => ({ type: 'certificate_status', statusType: 1, response }));

const certificateVerify: fc.Arbitrary<CertificateVerify> = fc
  .record({ scheme: u16, signature: bytes(0, 200) })
  .map((f) => ({ type: 'certificate_verify', ...f }));

const finished: fc.Arbitrary<Finished> = bytes(12, 12).map((verifyData) => ({ type: 'finished', verifyData }));

const protocolName = fc.array(u8, { minLength: 1, maxLength: 12 }).map((cs) => String.fromCharCode(...cs));
/** Types we neither model nor recognize. */
const unknownType = u16.filter((t) => allowedMessages(t) === undefined);
const unknownExts: fc.Arbitrary<RawExtension[]> = fc.uniqueArray(fc.record({ type: unknownType, data: bytes(0, 24) }), { selector: (e) => e.type, maxLength: 3 });

/** Fields with the given wire order shuffled; unknown ones sorted as the decoder lists them. */
function withOrder<E extends ClientHelloExtensions | ServerHello12Extensions>(fields: fc.Arbitrary<E>, m: E extends ClientHelloExtensions ? 'CH' : 'SH12'): fc.Arbitrary<E> {
  return fc.tuple(fields, unknownExts).chain(([f, unknown]) => {
    const base: E = { ...f, unknown, order: [] };
    const types = m === 'CH' ? extensionTypes(base as ClientHelloExtensions, 'CH') : extensionTypes(base as ServerHello12Extensions, 'SH12');
    return fc.shuffledSubarray(types, { minLength: types.length, maxLength: types.length }).map((order) => {
      const pos = new Map(order.map((t, i) => [t, i]));
      return { ...base, unknown: [...unknown].sort((a, b) => pos.get(a.type)! - pos.get(b.type)!), order };
    });
  });
}

const tls12ServerHelloFields: fc.Arbitrary<ServerHello12Extensions> = fc.record(
  {
    rules: fc.constant('tls12' as const),
    serverName: fc.constant(true as const),
    alpn: protocolName,
    statusRequest: fc.constant(true as const),
    ecPointFormats: fc.array(u8, { minLength: 1, maxLength: 3 }),
    extendedMasterSecret: fc.constant(true as const),
    renegotiationInfo: bytes(0, 24),
    sessionTicket: fc.constant(true as const),
    supportedGroups: fc.array(u16, { minLength: 1, maxLength: 4 }),
    // a bogus selected version is decoded, for the handshake to refuse
    supportedVersions: u16.filter((v) => v !== 0x0304),
  },
  { requiredKeys: ['rules'] },
);

const serverHello12: fc.Arbitrary<ServerHello> = fc
  .record({
    legacyVersion: fc.constantFrom(0x0303, 0x0302),
    random: bytes(32, 32),
    legacySessionIdEcho: bytes(0, 32),
    cipherSuite: u16,
    extensions: withOrder(tls12ServerHelloFields, 'SH12'),
  })
  .map((f): ServerHello => ({ type: 'server_hello', legacyCompressionMethod: 0, isHrr: false, ...f }));

const clientHello12: fc.Arbitrary<ClientHello> = fc
  .record({
    random: bytes(32, 32),
    legacySessionId: bytes(0, 32),
    cipherSuites: fc.array(u16, { minLength: 1, maxLength: 16 }),
    extensions: withOrder<ClientHelloExtensions>(
      fc.record(
        {
          serverName: fc.constant('example.test'),
          supportedGroups: fc.array(u16, { minLength: 1, maxLength: 6 }),
          signatureAlgorithms: fc.array(u16, { minLength: 1, maxLength: 10 }),
          alpn: fc.array(protocolName, { minLength: 1, maxLength: 3 }),
          ecPointFormats: fc.array(u8, { minLength: 1, maxLength: 3 }),
          extendedMasterSecret: fc.constant(true as const),
          renegotiationInfo: bytes(0, 48),
          sessionTicket: bytes(0, 120),
          statusRequest: bytes(0, 20),
        },
        { requiredKeys: [] },
      ),
      'CH',
    ),
  })
  .map((f): ClientHello => ({ type: 'client_hello', legacyVersion: 0x0303, legacyCompressionMethods: Uint8Array.of(0), ...f }));

const MESSAGES: Array<[string, fc.Arbitrary<HandshakeMessage>]> = [
  ['Certificate (1.2)', certificate12],
  ['ServerKeyExchange', serverKeyExchange],
  ['CertificateRequest (1.2)', certificateRequest12],
  ['ServerHelloDone', serverHelloDone],
  ['HelloRequest', helloRequest],
  ['ClientKeyExchange', clientKeyExchange],
  ['NewSessionTicket (1.2)', newSessionTicket12],
  ['CertificateStatus', certificateStatus],
  ['CertificateVerify (1.2)', certificateVerify],
  ['Finished (1.2)', finished],
  ['ServerHello (1.2)', serverHello12],
  ['ClientHello (1.2 extensions)', clientHello12],
];
const anyMessage = fc.oneof(...MESSAGES.map(([, a]) => a));

// ---------------------------------------------------------------------------
// Helpers

/** Offset just past the compression method(s): a hello may legally end there. */
function helloEnd(m: HandshakeMessage): number | undefined {
  if (m.type === 'client_hello') return 2 + 32 + 1 + m.legacySessionId.length + 2 + 2 * m.cipherSuites.length + 1 + m.legacyCompressionMethods.length;
  if (m.type === 'server_hello') return 2 + 32 + 1 + m.legacySessionIdEcho.length + 2 + 1;
  return undefined;
}

function prefixLengths(n: number): number[] {
  if (n <= 600) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < 96; i++) {
    out.add(i);
    out.add(n - 1 - i);
  }
  for (let i = 0; i < n; i += 5) out.add(i);
  return [...out];
}

const TLS12_TYPES = [0, 1, 2, 4, 11, 12, 13, 14, 15, 16, 20, 22];
const DECODE_STATUSES = new Set(['ok', 'DecodeError', 'IllegalParameter', 'UnexpectedMessage', 'HandshakeFailure']);

function decodeReencodes(type: number, body: Uint8Array): string {
  const status = statusOf(() => {
    const m = decodeHandshake(type, body, undefined, TLS12);
    expect(Buffer.from(encodeHandshake(m)).equals(Buffer.from(m.raw!))).toBe(true);
  });
  expect(DECODE_STATUSES.has(status), status).toBe(true);
  return status;
}

// ---------------------------------------------------------------------------
// Properties

describe('TLS 1.2 handshake codec properties', () => {
  for (const [name, arb] of MESSAGES) {
    it(`${name}: decode(encode(m)) equals m and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const raw = encodeHandshake(m);
          expect(raw[0]).toBe(handshakeTypeOf(m));
          expect((raw[1]! << 16) | (raw[2]! << 8) | raw[3]!).toBe(raw.length - 4);
          const back = decodeHandshakeBytes(raw, TLS12);
          expect(back.raw).toBe(raw);
          expect(withoutRaw(back)).toEqual(withoutRaw(m));
          expect(Buffer.from(encodeHandshake(back)).equals(Buffer.from(raw))).toBe(true);
        }),
        { numRuns: 150 },
      );
    });

    it(`${name}: every strict prefix of the body fails with DecodeError`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const raw = encodeHandshake(m);
          const body = raw.subarray(4);
          const legal = helloEnd(m);
          for (const j of prefixLengths(body.length)) {
            const status = statusOf(() => decodeHandshake(raw[0]!, body.subarray(0, j), undefined, TLS12));
            // RFC 5246 §7.4.1.2-3: a hello may end right after the compression method(s)
            const expected = j === legal ? 'ok' : 'DecodeError';
            if (status !== expected) throw new Error(`${name}: prefix ${j}/${body.length} gave ${status}`);
          }
          for (const j of [0, 1, 3, 4, raw.length - 1]) {
            if (j < raw.length) expect(statusOf(() => decodeHandshakeBytes(raw.subarray(0, j), TLS12))).toBe('DecodeError');
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it('random bytes given to decodeHandshake for each TLS 1.2 type raise only TlsError, and what decodes re-encodes identically', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...TLS12_TYPES), u8), fc.oneof(bytes(0, 40), bytes(0, 300)), (type, body) => {
        decodeReencodes(type, body);
      }),
      { numRuns: 3000 },
    );
  });

  it('structured-random bodies (plausible lengths) raise only TlsError, and what decodes re-encodes identically', () => {
    // SKE / CKE / CertificateStatus-like bodies whose first bytes are often right
    const ske = fc.tuple(fc.constantFrom(1, 2, 3, 3, 3), u16, bytes(0, 40), u16, bytes(0, 40)).map(([ct, g, p, s, sig]) =>
      Uint8Array.from([ct, g >> 8, g & 0xff, p.length, ...p, s >> 8, s & 0xff, sig.length >> 8, sig.length & 0xff, ...sig]),
    );
    fc.assert(
      fc.property(fc.constantFrom(12, 16, 22, 11, 13, 4), ske, fc.integer({ min: 0, max: 3 }), (type, body, cut) => {
        decodeReencodes(type, body.subarray(0, Math.max(0, body.length - cut)));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated encodings raise only TlsError, and what still decodes re-encodes identically', () => {
    fc.assert(
      fc.property(anyMessage, fc.array(bodyEditArb, { minLength: 1, maxLength: 3 }), (m, muts) => {
        const body = applyBodyEdits(encodeHandshake(m).subarray(4), muts);
        decodeReencodes(handshakeTypeOf(m), body);
      }),
      { numRuns: 2000 },
    );
  });

  it('any TLS 1.2-only extension in a ServerHello that selects TLS 1.3 → IllegalParameter', () => {
    type Fields = Partial<ServerHello12Extensions>;
    const only12: fc.Arbitrary<[Fields, number]> = fc.oneof(
      fc.array(u8, { minLength: 1, maxLength: 3 }).map((v): [Fields, number] => [{ ecPointFormats: v }, T.ec_point_formats]),
      fc.constant<[Fields, number]>([{ extendedMasterSecret: true }, T.extended_master_secret]),
      bytes(0, 16).map((v): [Fields, number] => [{ renegotiationInfo: v }, T.renegotiation_info]),
      fc.constant<[Fields, number]>([{ sessionTicket: true }, T.session_ticket]),
    );
    fc.assert(
      fc.property(serverHello12, only12, fc.boolean(), (m, [fields, type], first) => {
        // build it as a TLS 1.2 ServerHello, then splice supported_versions 0x0304 into the bytes
        const ext: ServerHello12Extensions = { rules: 'tls12', unknown: [], order: [], ...fields };
        const raw = encodeHandshake({ ...m, extensions: ext });
        const sv = Uint8Array.of(0x00, 0x2b, 0x00, 0x02, 0x03, 0x04);
        const at = 4 + helloEnd(m)!;
        const blockLen = (raw[at]! << 8) | raw[at + 1]!;
        const exts = raw.subarray(at + 2);
        const newExts = first ? [...sv, ...exts] : [...exts, ...sv];
        const body = Uint8Array.from([...raw.subarray(4, at), (blockLen + 6) >> 8, (blockLen + 6) & 0xff, ...newExts]);
        expect(isAllowedIn(type, 'SH12')).toBe(true);
        expect(statusOf(() => decodeHandshake(2, body, undefined, TLS12))).toBe('IllegalParameter');
        expect(statusOf(() => decodeHandshake(2, body))).toBe('IllegalParameter');
      }),
      { numRuns: 200 },
    );
  });
});
