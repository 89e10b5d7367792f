/**
 * Issue 12, codecs: the post-quantum shares are the largest fields of a hello (1,120 to
 * 1,665 bytes, where classical shares are 32 to 97). fast-check: a ClientHello carrying any
 * subset of the hybrid shares (each of its group's exact client length, beside an x25519
 * share) and a ServerHello carrying one hybrid share of the server length decode to what
 * was encoded and re-encode to the same bytes; every strict prefix of their encoding fails
 * with DecodeError, never anything else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { extensionTypes } from '../../src/wire/extensions.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../src/wire/handshake.js';
import type { ClientHello, KeyShareEntry, ServerHello } from '../../src/wire/messages.js';
import { bytes, withoutRaw } from '../helpers/codec-props.js';
import { HYBRIDS } from './helpers.js';

const X25519 = 0x001d;

/** A key share of exactly `n` random bytes for `group`. */
const share = (group: number, n: number): fc.Arbitrary<KeyShareEntry> => bytes(n, n).map((keyExchange) => ({ group, keyExchange }));

const clientHello: fc.Arbitrary<ClientHello> = fc
  .record({
    random: bytes(32, 32),
    legacySessionId: bytes(0, 32),
    hybrids: fc.subarray([...HYBRIDS], { minLength: 1 }),
    withX25519: fc.boolean(),
  })
  .chain(({ random, legacySessionId, hybrids, withX25519 }) =>
    fc.tuple(...hybrids.map((h) => share(h.code, h.client)), withX25519 ? share(X25519, 32) : fc.constant(null)).map((made): ClientHello => {
      const keyShare = made.filter((k): k is KeyShareEntry => k !== null);
      const ext = {
        supportedGroups: [...hybrids.map((h) => h.code), X25519],
        supportedVersions: [0x0304],
        signatureAlgorithms: [0x0403, 0x0804],
        keyShare,
        unknown: [],
        order: [] as number[],
      };
      ext.order = extensionTypes(ext, 'CH');
      return { type: 'client_hello', legacyVersion: 0x0303, random, legacySessionId, cipherSuites: [0x1301], legacyCompressionMethods: new Uint8Array([0]), extensions: ext };
    }),
  );

const serverHello: fc.Arbitrary<ServerHello> = fc
  .record({ random: bytes(32, 32), echo: bytes(0, 32), h: fc.constantFrom(...HYBRIDS) })
  .chain(({ random, echo, h }) =>
    share(h.code, h.server).map((ks): ServerHello => {
      const ext = { rules: 'tls13' as const, supportedVersions: 0x0304 as const, keyShare: ks, unknown: [], order: [] as number[] };
      ext.order = extensionTypes(ext, 'SH');
      return { type: 'server_hello', legacyVersion: 0x0303, random, legacySessionIdEcho: echo, cipherSuite: 0x1301, legacyCompressionMethod: 0, extensions: ext, isHrr: false };
    }),
  );

function statusOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? e.status : `not a TlsError: ${String(e)}`;
  }
}

describe('codecs with post-quantum key shares', () => {
  for (const [name, arb] of [
    ['ClientHello with hybrid shares', clientHello],
    ['ServerHello with a hybrid share', serverHello],
  ] as const) {
    it(`${name}: decode(encode(m)) equals m and re-encodes to the same bytes`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<ClientHello | ServerHello>, (m) => {
          const enc = encodeHandshake(m);
          const dec = decodeHandshakeBytes(enc, { finishedLength: 32 });
          expect(withoutRaw(dec)).toEqual(withoutRaw(m));
          expect(Buffer.from(encodeHandshake(dec)).equals(Buffer.from(enc))).toBe(true);
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: every strict prefix (sampled) fails with DecodeError`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<ClientHello | ServerHello>, fc.array(fc.nat(), { minLength: 8, maxLength: 24 }), (m, cuts) => {
          const enc = encodeHandshake(m);
          // Where the extensions block starts: a body that ends exactly there is a legal hello
          // without extensions (RFC 9846 §4.2.2, RFC 5246 §7.4.1.3), not a truncation.
          const fixed =
            m.type === 'client_hello'
              ? 2 + 32 + 1 + m.legacySessionId.length + 2 + 2 * m.cipherSuites.length + 1 + m.legacyCompressionMethods.length
              : 2 + 32 + 1 + m.legacySessionIdEcho.length + 2 + 1;
          // The handshake header's length then lies: a truncated body anywhere, including inside a share.
          for (const c of [...cuts.map((x) => 4 + (x % (enc.length - 4))), enc.length - 1, 4 + fixed]) {
            const prefix = enc.slice(0, c);
            const body = prefix.length - 4;
            prefix[1] = (body >> 16) & 0xff;
            prefix[2] = (body >> 8) & 0xff;
            prefix[3] = body & 0xff;
            if (body === fixed) {
              const bare = decodeHandshakeBytes(prefix, { finishedLength: 32 }) as ClientHello | ServerHello;
              expect(bare.legacyNoExtensions).toBe(true);
              expect(Object.keys(bare.extensions).filter((k) => k !== 'rules' && k !== 'unknown' && k !== 'order')).toEqual([]);
            } else {
              expect(statusOf(() => decodeHandshakeBytes(prefix, { finishedLength: 32 }))).toBe('DecodeError');
            }
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});
