/**
 * Issue 12: what a hostile peer (or a man in the middle) can do with the post-quantum hybrid
 * shares, in memory, pure provider. Every check of draft-ietf-tls-ecdhe-mlkem §3.2 fails with
 * IllegalParameter / illegal_parameter on the side that receives the bad value, and the alert
 * is what goes on the wire:
 *
 * - a client share of any other length than the group's (1216 / 1249 / 1665), at the server;
 * - a server share of any other length (1120 / 1153 / 1665), at the client;
 * - an encapsulation key failing the FIPS 203 §7.2 modulus check (a coefficient ≥ q = 3329);
 * - the ECDH part invalid (X25519 all zero, a NIST point off the curve or not uncompressed),
 *   in either direction;
 * and what is well formed but wrong gives no shared key: a tampered ciphertext or seed ρ
 * decapsulates (implicit rejection) to another secret, and the handshake dies at the first
 * protected record (bad_record_mac), never with an exception or a hang.
 *
 * Also: the hybrids never appear in TLS 1.2 (not offered, not chosen).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { pump, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { NamedGroup } from '../../src/wire/codes.js';
import type { ClientHello, ServerHello, ServerHelloExtensions } from '../../src/wire/messages.js';
import { alertsIn, decodeMsg, deliver, encodeMsg, firstFlight, openServerFlight, respond, sealServerFlight, type ServerFlight } from '../helpers/mitm.js';
import { expectError, keyLoggedPair, type AlertName, type KeyLoggedPair } from '../helpers/hostile-peer.js';
import { AlertDescription, type TlsStatus } from '../../src/base/errors.js';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { HYBRIDS, type HybridName } from './helpers.js';
import { TlsConnection as Conn } from '../../src/engine/tls-connection.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Runs of each property: every run is a handshake with ML-KEM keygen in pure code. */
const RUNS = 12;

function pair(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): KeyLoggedPair {
  return keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'], ...c }, s);
}

/** `conn` failed locally with status/alert, and that one fatal alert is what it sent. */
function expectFail(conn: TlsConnection, status: TlsStatus, alert: AlertName): void {
  const e = expectError(conn, status, alert);
  expect(e.source).toBe('local');
  expect(conn.phase).toBe('failed');
  expect(alertsIn(conn.takeOutput())).toEqual([{ level: 2, description: AlertDescription[alert], protected: false }]);
}

/** A client for `group` alone whose ClientHello share is replaced by `edit(share)`. */
function clientWithShare(group: HybridName, edit: (share: Uint8Array) => Uint8Array): ClientOptions {
  return withTestHooks(
    { groups: [group] },
    {
      clientHello: (ch: ClientHello) => ({
        ...ch,
        extensions: { ...ch.extensions, keyShare: ch.extensions.keyShare!.map((k) => ({ group: k.group, keyExchange: edit(k.keyExchange) })) },
      }),
    },
  );
}

/** The server's flight for a client offering `group`, opened (the ServerHello in the clear). */
async function serverFlightFor(group: HybridName): Promise<{ p: KeyLoggedPair; sf: ServerFlight }> {
  const p = pair({ groups: [group] });
  const flight = await respond(p.server, await firstFlight(p.client));
  return { p, sf: openServerFlight(flight, p.keys) };
}

function ext13(sh: ServerHello): ServerHelloExtensions {
  if (sh.extensions.rules !== 'tls13') throw new Error('not a TLS 1.3 ServerHello');
  return sh.extensions;
}

/** Replaces the ServerHello's key_exchange by `edit(share)` and delivers the flight to the client. */
async function clientGetsServerShare(p: KeyLoggedPair, sf: ServerFlight, edit: (share: Uint8Array) => Uint8Array): Promise<void> {
  const sh = decodeMsg(sf.serverHello, 'server_hello');
  if (sh.isHrr) throw new Error('unexpected HelloRetryRequest');
  const ks = ext13(sh).keyShare!;
  ext13(sh).keyShare = { group: ks.group, keyExchange: edit(ks.keyExchange) };
  sf.serverHello = encodeMsg(sh);
  await deliver(p.client, sealServerFlight(sf, p.keys));
}

/** Bytes of `n` length made from `seed` (deterministic, cheap). */
function filler(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed + i * 131) & 0xff;
  return b;
}

/** A length in 1..2200 other than `not`. */
const otherLength = (not: number) => fc.integer({ min: 1, max: 2200 }).filter((n) => n !== not);

/** Sets 12-bit coefficient `i` of a packed ByteEncode12 vector to `v` (FIPS 203 Algorithm 5). */
function setCoefficient(ek: Uint8Array, i: number, v: number): Uint8Array {
  const c = ek.slice();
  const at = (i >> 1) * 3;
  if (i % 2 === 0) {
    c[at] = v & 0xff;
    c[at + 1] = (c[at + 1]! & 0xf0) | (v >> 8);
  } else {
    c[at + 1] = (c[at + 1]! & 0x0f) | ((v & 0x0f) << 4);
    c[at + 2] = v >> 4;
  }
  return c;
}

describe('hybrid shares: lengths (draft-ietf-tls-ecdhe-mlkem §3.1, §3.2)', () => {
  for (const h of HYBRIDS) {
    it(`${h.name}: a client share of any length but ${h.client} → the server fails IllegalParameter/illegal_parameter`, async () => {
      await fc.assert(
        fc.asyncProperty(otherLength(h.client), fc.nat(255), async (n, seed) => {
          const p = pair(clientWithShare(h.name, () => filler(n, seed)));
          await deliver(p.server, await firstFlight(p.client));
          expectFail(p.server, 'IllegalParameter', 'illegal_parameter');
        }),
        { numRuns: RUNS },
      );
    });

    it(`${h.name}: a server share of any length but ${h.server} → the client fails IllegalParameter/illegal_parameter`, async () => {
      await fc.assert(
        fc.asyncProperty(otherLength(h.server), fc.nat(255), async (n, seed) => {
          const { p, sf } = await serverFlightFor(h.name);
          await clientGetsServerShare(p, sf, () => filler(n, seed));
          expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
        }),
        { numRuns: RUNS },
      );
    });

    it(`${h.name}: the exact lengths are what goes on the wire (client ${h.client}, server ${h.server})`, async () => {
      const { p, sf } = await serverFlightFor(h.name);
      const sh = decodeMsg(sf.serverHello, 'server_hello');
      expect(sh.isHrr).toBe(false);
      expect(ext13(sh as ServerHello).keyShare!.keyExchange.length).toBe(h.server);
      expect(p.client.error).toBeNull();
      const p2 = pair({ groups: [h.name] });
      let share = 0;
      const c = Conn.client(withTestHooks({ servername: 'localhost', ca: pki.caCertPem, groups: [h.name] }, { clientHello: (ch) => ((share = ch.extensions.keyShare![0]!.keyExchange.length), ch) }));
      await firstFlight(c);
      expect(share).toBe(h.client);
      await pump(p2.client, p2.server);
      expect(p2.client.info.group).toBe(h.name);
      expect(p2.server.info.group).toBe(h.name);
    });
  }
});

describe('hybrid shares: the ML-KEM encapsulation key check (FIPS 203 §7.2)', () => {
  for (const h of HYBRIDS) {
    const k = h.name === 'SecP384r1MLKEM1024' ? 4 : 3;
    const ekOffset = h.name === 'X25519MLKEM768' ? 0 : h.client - (384 * k + 32);
    it(`${h.name}: a coefficient ≥ q in the client's ek → the server fails IllegalParameter/illegal_parameter`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 256 * k - 1 }), fc.integer({ min: 3329, max: 4095 }), async (i, v) => {
          const p = pair(
            clientWithShare(h.name, (share) => {
              const out = share.slice();
              out.set(setCoefficient(share.subarray(ekOffset, ekOffset + 384 * k), i, v), ekOffset);
              return out;
            }),
          );
          await deliver(p.server, await firstFlight(p.client));
          expectFail(p.server, 'IllegalParameter', 'illegal_parameter');
          expect(p.server.error!.detail).toMatch(/FIPS 203 §7\.2/);
        }),
        { numRuns: RUNS },
      );
    });

    it(`${h.name}: a well-formed but altered ek (its seed ρ) gives no shared key: the client fails at the first protected record`, async () => {
      const p = pair(clientWithShare(h.name, (share) => {
        const out = share.slice();
        out[ekOffset + 384 * k + 5]! ^= 0x40;
        return out;
      }));
      await pump(p.client, p.server);
      expect(p.client.handshakeComplete || p.server.handshakeComplete).toBe(false);
      expectError(p.client, 'BadRecordMac', 'bad_record_mac');
    });

    it(`${h.name}: a tampered ciphertext of the right length gives no shared key (implicit rejection): BadRecordMac`, async () => {
      const ctOffset = h.name === 'X25519MLKEM768' ? 0 : h.server - (k === 4 ? 1568 : 1088);
      const { p, sf } = await serverFlightFor(h.name);
      await clientGetsServerShare(p, sf, (share) => {
        const out = share.slice();
        out[ctOffset + 17]! ^= 0x01;
        return out;
      });
      expectError(p.client, 'BadRecordMac', 'bad_record_mac');
    });
  }
});

describe('hybrid shares: the ECDH part (RFC 9846 §4.3.8.2, §7.4.2)', () => {
  /** The ECDH part of a share for `h`: its offset and length. */
  const ecdhPart = (h: (typeof HYBRIDS)[number], share: Uint8Array) =>
    h.name === 'X25519MLKEM768' ? { at: share.length - 32, len: 32 } : { at: 0, len: h.name === 'SecP256r1MLKEM768' ? 65 : 97 };

  const corruptions: { what: string; edit: (part: Uint8Array) => Uint8Array; applies: (h: HybridName) => boolean }[] = [
    { what: 'X25519 all zero (small order: all-zero secret)', edit: (p) => new Uint8Array(p.length), applies: (h) => h === 'X25519MLKEM768' },
    { what: 'a point off the curve', edit: (p) => ((p = p.slice()), (p[p.length - 1]! ^= 1), p), applies: (h) => h !== 'X25519MLKEM768' },
    { what: 'not an uncompressed point (legacy_form 2)', edit: (p) => ((p = p.slice()), (p[0] = 2), p), applies: (h) => h !== 'X25519MLKEM768' },
  ];

  for (const h of HYBRIDS) {
    for (const c of corruptions.filter((x) => x.applies(h.name))) {
      it(`${h.name}: client ECDH part ${c.what} → the server fails IllegalParameter/illegal_parameter`, async () => {
        const p = pair(
          clientWithShare(h.name, (share) => {
            const { at, len } = ecdhPart(h, share);
            const out = share.slice();
            out.set(c.edit(share.subarray(at, at + len)), at);
            return out;
          }),
        );
        await deliver(p.server, await firstFlight(p.client));
        expectFail(p.server, 'IllegalParameter', 'illegal_parameter');
      });

      it(`${h.name}: server ECDH part ${c.what} → the client fails IllegalParameter/illegal_parameter`, async () => {
        const { p, sf } = await serverFlightFor(h.name);
        await clientGetsServerShare(p, sf, (share) => {
          const { at, len } = ecdhPart(h, share);
          const out = share.slice();
          out.set(c.edit(share.subarray(at, at + len)), at);
          return out;
        });
        expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
      });
    }
  }
});

describe('the hybrids are TLS 1.3 only', () => {
  it('a client offering TLS 1.2 alone lists no hybrid in supported_groups', async () => {
    let groups: readonly number[] = [];
    const c = Conn.client(withTestHooks({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2' }, { clientHello: (ch) => ((groups = ch.extensions.supportedGroups ?? []), ch) }));
    await firstFlight(c);
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.filter((g) => g >= 0x11eb && g <= 0x11ed)).toEqual([]);
    expect(c.error).toBeNull();
  });

  it('a TLS 1.2 server never picks a hybrid, even when the client lists it first', async () => {
    const p = pair(
      withTestHooks({ maxVersion: 'TLSv1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] }, {
        clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, supportedGroups: [NamedGroup.X25519MLKEM768, ...(ch.extensions.supportedGroups ?? [])] } }),
      }),
    );
    await pump(p.client, p.server);
    expect(p.client.error).toBeNull();
    expect(p.server.info).toMatchObject({ version: 'TLSv1.2', group: 'x25519' });
  });

  it('a TLS 1.2 server configured with hybrids only finds no common group: HandshakeFailure', async () => {
    const p = pair(
      withTestHooks({ maxVersion: 'TLSv1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] }, {
        clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, supportedGroups: [NamedGroup.X25519MLKEM768, NamedGroup.x25519] } }),
      }),
      { groups: ['X25519MLKEM768', 'SecP256r1MLKEM768'] },
    );
    await pump(p.client, p.server);
    expectError(p.server, 'HandshakeFailure', 'handshake_failure');
  });
});
