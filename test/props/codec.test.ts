/**
 * Property tests for the TLS 1.3 handshake codecs (DESIGN.md §5, STYLE.md §6.7):
 * - decode(encode(m)) equals m, and re-encoding gives the same bytes;
 * - every strict prefix of an encoding fails with DecodeError;
 * - random and mutated bytes only ever raise TlsError, and whatever decodes re-encodes
 *   to the very same bytes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAlert, encodeAlert } from '../../src/wire/alert.js';
import { ExtensionType as T, HandshakeType } from '../../src/wire/codes.js';
import {
  allowedMessages,
  decodeExtensions,
  decodeServerHelloExtensions,
  encodeExtensions,
  encodeServerHelloExtensions,
  extensionTypes,
  type BlockOf,
  type ExtensionMessage,
} from '../../src/wire/extensions.js';
import { decodeHandshake, decodeHandshakeBytes, encodeHandshake, handshakeTypeOf, type DecodeHandshakeOptions } from '../../src/wire/handshake.js';
import { HRR_RANDOM } from '../../src/wire/hello.js';
import type {
  Certificate,
  CertificateRequest,
  CertificateVerify,
  ClientHello,
  EncryptedExtensions,
  EndOfEarlyData,
  Finished,
  HandshakeMessage,
  HelloRetryRequest,
  KeyShareEntry,
  KeyUpdate,
  NewSessionTicket,
  RawExtension,
  ServerHello,
} from '../../src/wire/messages.js';
import { Reader } from '../../src/wire/reader.js';
import { encode } from '../../src/wire/writer.js';
import { applyBodyEdits, bodyEditArb, bytes, u16, u32, u8, withoutRaw } from '../helpers/codec-props.js';
import { statusOf } from '../helpers/tls-error.js';

// ---------------------------------------------------------------------------
// Generators

const u16s = (minLength: number, maxLength: number) => fc.array(u16, { minLength, maxLength });

const hostName = fc
  .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: 40 })
  .map((cs) => String.fromCharCode(...cs));
const protocolName = fc.array(u8, { minLength: 1, maxLength: 12 }).map((cs) => String.fromCharCode(...cs));
const keyShareEntry: fc.Arbitrary<KeyShareEntry> = fc.record({ group: u16, keyExchange: bytes(1, 70) });

/** Types no decoder models and the RFC 9846 §4.2 table does not list. */
const unknownType = u16.filter((t) => allowedMessages(t) === undefined);
const unknownExts: fc.Arbitrary<RawExtension[]> = fc.uniqueArray(fc.record({ type: unknownType, data: bytes(0, 24) }), {
  selector: (e) => e.type,
  maxLength: 4,
});

/** The messages whose blocks are generated here (a TLS 1.2 ServerHello's: test/unit/wire/tls12-props.test.ts). */
type Gen = Exclude<ExtensionMessage, 'SH12'>;

/** The modelled fields of each block (`unknown` and `order` are added by extensionsFor). */
const fieldsByMessage: { [M in Gen]: fc.Arbitrary<BlockOf[M]> } = {
  CH: fc.record(
    {
      serverName: hostName,
      supportedGroups: u16s(1, 12),
      signatureAlgorithms: u16s(1, 20),
      signatureAlgorithmsCert: u16s(1, 6),
      supportedVersions: u16s(1, 8),
      keyShare: fc.uniqueArray(keyShareEntry, { selector: (k) => k.group, maxLength: 4 }),
      alpn: fc.array(protocolName, { minLength: 1, maxLength: 4 }),
      cookie: bytes(1, 48),
      pskKeyExchangeModes: fc.array(u8, { minLength: 1, maxLength: 3 }),
      preSharedKey: fc
        .array(fc.record({ identity: bytes(1, 48), obfuscatedTicketAge: u32, binder: bytes(32, 48) }), { minLength: 1, maxLength: 3 })
        .map((ps) => ({
          identities: ps.map(({ identity, obfuscatedTicketAge }) => ({ identity, obfuscatedTicketAge })),
          binders: ps.map((p) => p.binder),
        })),
      earlyData: fc.constant(true as const),
      padding: fc.integer({ min: 0, max: 64 }),
    },
    { requiredKeys: [] },
  ),
  SH: fc.record(
    {
      rules: fc.constant('tls13' as const),
      supportedVersions: fc.constant(0x0304 as const),
      keyShare: keyShareEntry,
      preSharedKey: u16,
    },
    { requiredKeys: ['rules', 'supportedVersions'] },
  ),
  HRR: fc.record(
    {
      supportedVersions: u16,
      keyShare: u16,
      cookie: bytes(1, 48),
    },
    { requiredKeys: [] },
  ),
  EE: fc.record(
    {
      serverName: fc.constant(true as const),
      supportedGroups: u16s(1, 8),
      alpn: protocolName,
      earlyData: fc.constant(true as const),
    },
    { requiredKeys: [] },
  ),
  CT: fc.record({ statusRequest: bytes(0, 40) }, { requiredKeys: [] }),
  CR: fc.record(
    {
      serverName: hostName,
      signatureAlgorithms: u16s(1, 12),
      signatureAlgorithmsCert: u16s(1, 6),
    },
    { requiredKeys: [] },
  ),
  NST: fc.record({ earlyData: u32.map((n) => ({ maxEarlyDataSize: n })) }, { requiredKeys: [] }),
};

/** A block of message `m`, with `order` a random wire order (pre_shared_key last in ClientHello). */
function extensionsFor<M extends Gen>(m: M): fc.Arbitrary<BlockOf[M]> {
  const fields: fc.Arbitrary<BlockOf[M]> = fieldsByMessage[m];
  return fc
    .tuple(fields, unknownExts)
    .chain(([f, unknown]) => {
      const base: BlockOf[M] = { ...f, unknown, order: [] };
      const types = extensionTypes(base, m);
      return fc.shuffledSubarray(types, { minLength: types.length, maxLength: types.length }).map((order) => {
        if (m === 'CH' && order.includes(T.pre_shared_key)) {
          order = [...order.filter((t) => t !== T.pre_shared_key), T.pre_shared_key];
        }
        // the decoder lists unknown extensions in wire order
        const pos = new Map(order.map((t, i) => [t, i]));
        const sorted = [...unknown].sort((a, b) => pos.get(a.type)! - pos.get(b.type)!);
        return { ...base, unknown: sorted, order };
      });
    });
}

const clientHello: fc.Arbitrary<ClientHello> = fc.oneof(
  { weight: 9, arbitrary: fc.record({ ext: extensionsFor('CH'), legacy: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ ext: fc.constant<BlockOf['CH']>({ unknown: [], order: [] }), legacy: fc.constant(true) }) },
).chain(({ ext, legacy }) =>
  fc
    .record({
      legacyVersion: u16,
      random: bytes(32, 32),
      legacySessionId: bytes(0, 32),
      cipherSuites: u16s(1, 24),
      legacyCompressionMethods: bytes(1, 4),
    })
    .map((f): ClientHello => ({ type: 'client_hello', ...f, extensions: ext, ...(legacy ? { legacyNoExtensions: true } : {}) })),
);

const helloFields = fc.record({
  legacyVersion: u16,
  legacySessionIdEcho: bytes(0, 32),
  cipherSuite: u16,
  legacyCompressionMethod: u8,
});

const serverHello: fc.Arbitrary<ServerHello | HelloRetryRequest> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({ f: helloFields, random: bytes(32, 32), extensions: extensionsFor('SH') })
      .map(({ f, random, extensions }): ServerHello => ({ type: 'server_hello', ...f, random, extensions, isHrr: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ f: helloFields, extensions: extensionsFor('HRR') })
      .map(({ f, extensions }): HelloRetryRequest => ({ type: 'server_hello', ...f, random: HRR_RANDOM, extensions, isHrr: true })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ f: helloFields, random: bytes(32, 32) })
      .map(({ f, random }): ServerHello => ({ type: 'server_hello', ...f, random, extensions: { rules: 'tls12', unknown: [], order: [] }, isHrr: false, legacyNoExtensions: true })),
  },
);

const encryptedExtensions: fc.Arbitrary<EncryptedExtensions> = extensionsFor('EE').map((extensions) => ({
  type: 'encrypted_extensions',
  extensions,
}));

const certificateRequest: fc.Arbitrary<CertificateRequest> = fc
  .record({ context: bytes(0, 16), extensions: extensionsFor('CR') })
  .map((f) => ({ type: 'certificate_request', ...f }));

const certificate: fc.Arbitrary<Certificate> = fc
  .record({
    context: bytes(0, 8),
    entries: fc.array(fc.record({ certData: bytes(1, 200), extensions: extensionsFor('CT') }), { maxLength: 4 }),
  })
  .map((f) => ({ type: 'certificate', ...f }));

const certificateVerify: fc.Arbitrary<CertificateVerify> = fc
  .record({ scheme: u16, signature: bytes(0, 160) })
  .map((f) => ({ type: 'certificate_verify', ...f }));

const finished: fc.Arbitrary<Finished> = fc
  .constantFrom(32, 48)
  .chain((n) => bytes(n, n))
  .map((verifyData) => ({ type: 'finished', verifyData }));

const newSessionTicket: fc.Arbitrary<NewSessionTicket> = fc
  .record({
    lifetime: fc.integer({ min: 0, max: 604800 }),
    ageAdd: u32,
    nonce: bytes(0, 32),
    ticket: bytes(1, 120),
    extensions: extensionsFor('NST'),
  })
  .map((f) => ({ type: 'new_session_ticket', ...f }));

const keyUpdate: fc.Arbitrary<KeyUpdate> = fc.constantFrom(0, 1).map((requestUpdate) => ({ type: 'key_update', requestUpdate }));
const endOfEarlyData: fc.Arbitrary<EndOfEarlyData> = fc.constant({ type: 'end_of_early_data' });

const MESSAGES: Array<[string, fc.Arbitrary<HandshakeMessage>]> = [
  ['ClientHello', clientHello],
  ['ServerHello / HelloRetryRequest', serverHello],
  ['EncryptedExtensions', encryptedExtensions],
  ['CertificateRequest', certificateRequest],
  ['Certificate', certificate],
  ['CertificateVerify', certificateVerify],
  ['Finished', finished],
  ['NewSessionTicket', newSessionTicket],
  ['KeyUpdate', keyUpdate],
  ['EndOfEarlyData', endOfEarlyData],
];

const anyMessage: fc.Arbitrary<HandshakeMessage> = fc.oneof(...MESSAGES.map(([, a]) => a));

// ---------------------------------------------------------------------------
// Helpers

function optionsFor(m: HandshakeMessage): DecodeHandshakeOptions {
  return m.type === 'finished' ? { finishedLength: m.verifyData.length } : {};
}

/** Offset just past legacy_compression_method(s): a hello that ends there is valid (no extensions). */
function helloExtensionsOffset(m: HandshakeMessage): number | undefined {
  if (m.type === 'client_hello' && !m.legacyNoExtensions) {
    return 2 + 32 + 1 + m.legacySessionId.length + 2 + 2 * m.cipherSuites.length + 1 + m.legacyCompressionMethods.length;
  }
  if (m.type === 'server_hello' && !m.legacyNoExtensions) return 2 + 32 + 1 + m.legacySessionIdEcho.length + 2 + 1;
  return undefined;
}

/** All prefix lengths for small inputs; for large ones the first and last 96 and every 7th. */
function prefixLengths(n: number): number[] {
  if (n <= 700) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let i = 0; i < 96; i++) {
    out.add(i);
    out.add(n - 1 - i);
  }
  for (let i = 0; i < n; i += 7) out.add(i);
  return [...out];
}

const TLS13_TYPES = [1, 2, 4, 5, 8, 11, 13, 15, 20, 24];
const DECODE_STATUSES = new Set(['ok', 'DecodeError', 'IllegalParameter', 'UnexpectedMessage']);

/** Decodes any bytes; if they decode, re-encoding must give them back exactly. */
function decodeReencodes(type: number, body: Uint8Array, options: DecodeHandshakeOptions): string {
  const status = statusOf(() => {
    const m = decodeHandshake(type, body, undefined, options);
    expect(Buffer.from(encodeHandshake(m)).equals(Buffer.from(m.raw!))).toBe(true);
  });
  expect(DECODE_STATUSES.has(status), status).toBe(true);
  return status;
}

// ---------------------------------------------------------------------------
// Properties

describe('handshake codec properties', () => {
  for (const [name, arb] of MESSAGES) {
    it(`${name}: decode(encode(m)) equals m and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(arb, (m) => {
          const raw = encodeHandshake(m);
          expect(raw[0]).toBe(handshakeTypeOf(m));
          expect((raw[1]! << 16) | (raw[2]! << 8) | raw[3]!).toBe(raw.length - 4);
          const back = decodeHandshakeBytes(raw, optionsFor(m));
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
          const type = raw[0]!;
          const legal = helloExtensionsOffset(m);
          for (const j of prefixLengths(body.length)) {
            const status = statusOf(() => decodeHandshake(type, body.subarray(0, j), undefined, optionsFor(m)));
            // RFC 9846 §4.1.2: a hello may end right after the compression method(s)
            const expected = j === legal ? 'ok' : 'DecodeError';
            if (status !== expected) throw new Error(`${name}: prefix ${j}/${body.length} gave ${status}`);
          }
          // with the header, every strict prefix fails too
          for (const j of [0, 1, 3, 4, raw.length - 1]) {
            if (j >= 0 && j < raw.length) expect(statusOf(() => decodeHandshakeBytes(raw.subarray(0, j), optionsFor(m)))).toBe('DecodeError');
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it('random bytes given to decodeHandshake for each type raise only TlsError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...TLS13_TYPES), u8), bytes(0, 300), fc.option(fc.constantFrom(32, 48), { nil: undefined }), (type, body, finishedLength) => {
        decodeReencodes(type, body, finishedLength === undefined ? {} : { finishedLength });
      }),
      { numRuns: 3000 },
    );
  });

  it('mutated encodings raise only TlsError, and what still decodes re-encodes identically', () => {
    fc.assert(
      fc.property(anyMessage, fc.array(bodyEditArb, { minLength: 1, maxLength: 3 }), (m, muts) => {
        const body = applyBodyEdits(encodeHandshake(m).subarray(4), muts);
        decodeReencodes(handshakeTypeOf(m), body, optionsFor(m));
      }),
      { numRuns: 1500 },
    );
  });

  it('random extension blocks in every message raise only TlsError, and what decodes re-encodes identically', () => {
    // 'SH*': a ServerHello's block, judged by its supported_versions as decodeServerHello does
    const messages: Array<ExtensionMessage | 'SH*'> = ['CH', 'SH', 'SH12', 'SH*', 'HRR', 'EE', 'CT', 'CR', 'NST'];
    // Blocks built from plausible extension types, so that the per-extension decoders run.
    const interesting = fc.oneof(fc.constantFrom(0, 5, 10, 11, 13, 16, 21, 23, 35, 41, 42, 43, 44, 45, 48, 50, 51, 0xff01), u16);
    const rawExt = fc.record({ type: interesting, data: bytes(0, 40) });
    fc.assert(
      fc.property(fc.constantFrom(...messages), fc.array(rawExt, { maxLength: 5 }), (m, exts) => {
        const blockBytes = encode((w) =>
          w.vec16((x) => {
            for (const e of exts) x.u16(e.type).vec16((y) => y.bytes(e.data));
          }),
        );
        const status = statusOf(() => {
          const r = new Reader(blockBytes);
          let again: Uint8Array;
          if (m === 'SH*') {
            const ext = decodeServerHelloExtensions(r);
            again = encode((w) => encodeServerHelloExtensions(w, ext));
          } else {
            const ext = decodeExtensions(r, m);
            again = encode((w) => encodeExtensions(w, ext, m));
          }
          expect(Buffer.from(again).equals(Buffer.from(blockBytes))).toBe(true);
        });
        expect(['ok', 'DecodeError', 'IllegalParameter']).toContain(status);
      }),
      { numRuns: 3000 },
    );
  });

  it('alerts: any two bytes with level 1 or 2 round-trip; anything else raises TlsError', () => {
    fc.assert(
      fc.property(bytes(0, 4), (b) => {
        const status = statusOf(() => {
          const a = decodeAlert(b);
          expect(Array.from(encodeAlert(a))).toEqual(Array.from(b));
        });
        if (b.length !== 2) expect(status).toBe('DecodeError');
        else expect(status).toBe(b[0] === 1 || b[0] === 2 ? 'ok' : 'IllegalParameter');
      }),
      { numRuns: 500 },
    );
  });

  it('decodeHandshake rejects every non-TLS 1.3 message type with UnexpectedMessage', () => {
    const known = new Set(TLS13_TYPES);
    for (let t = 0; t < 256; t++) {
      if (known.has(t)) continue;
      expect(statusOf(() => decodeHandshake(t, new Uint8Array(0)))).toBe('UnexpectedMessage');
    }
    expect(HandshakeType.message_hash).toBe(254);
  });
});
