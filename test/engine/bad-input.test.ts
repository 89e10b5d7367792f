/**
 * Malicious-peer tests: each case manipulates a real client↔server handshake in memory
 * (test/helpers/mitm.ts re-encrypts protected records with secrets from `keyLog`) and
 * asserts the exact TlsError status, the alert RFC 9846 names for it, and the alert
 * actually put on the wire (level fatal; protected when the sender had keys).
 *
 * Section numbers are those of RFC 9846 as in /work/shared/reference/rfc9846-tls13.md
 * (§4.1 is "The Transcript Hash", so ClientHello is §4.2.2, ServerHello §4.2.3, HRR §4.2.4,
 * extensions §4.3.x, Certificate Verify §4.5.2, Finished §4.5.3, KeyUpdate §4.7.3, and
 * backward compatibility is Appendix E): RFC 8446's numbers are one off in places.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription, type TlsStatus } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion } from '../../src/wire/codes.js';
import type { ClientHello, HelloRetryRequest, ServerHello, ServerHelloExtensions } from '../../src/wire/messages.js';
import {
  RawCipher,
  alertsIn,
  concat,
  decodeMsg,
  deliver,
  encodeMsg,
  encodeRecord,
  encodeRecords,
  firstFlight,
  flip,
  hsMessage,
  openServerFlight,
  parseRecords,
  plain,
  respond,
  sealServerFlight,
  splitHandshake,
  type ServerFlight,
} from '../helpers/mitm.js';
import { expectError, keyLoggedPair, type AlertName, type KeyLoggedPair } from '../helpers/hostile-peer.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Pair = KeyLoggedPair;

function setup(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Pair {
  return keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'], ...c }, s);
}

/** Asserts the sticky error (status and alert) and that exactly that fatal alert was sent. */
function expectFail(conn: TlsConnection, status: TlsStatus, alert: AlertName, cipher?: RawCipher): Uint8Array | null {
  const e = expectError(conn, status, alert);
  expect(e.source).toBe('local');
  expect(conn.phase).toBe('failed');
  const out = conn.takeOutput();
  const sent = alertsIn(out, cipher);
  expect(sent).toEqual([{ level: 2, description: AlertDescription[alert], protected: cipher !== undefined }]);
  return out;
}

/** Asserts that `conn` failed because its peer sent `alert`. */
function expectAlertReceived(conn: TlsConnection, alert: AlertName): void {
  expectError(conn, 'AlertReceived', alert);
}

/** The ClientHello message (raw, header included) from a ClientHello flight. */
function chMessage(flight: Uint8Array): Uint8Array {
  const recs = parseRecords(flight);
  expect(recs.length).toBe(1);
  return recs[0]!.fragment;
}

/** A fresh server fed `msg` in one plaintext handshake record. */
async function serverGets(content: Uint8Array, s: Partial<ServerOptions> = {}, recordType: number = ContentType.handshake): Promise<TlsConnection> {
  const { server } = setup({}, s);
  await deliver(server, encodeRecord(plain(recordType, content, 0x0301)));
  return server;
}

/** Runs ClientHello → server flight; returns the pieces. */
async function toServerFlight(p: Pair): Promise<{ ch: Uint8Array; flight: Uint8Array; sf: ServerFlight }> {
  const ch = await firstFlight(p.client);
  const flight = await respond(p.server, ch);
  return { ch, flight, sf: openServerFlight(flight, p.keys) };
}

const clientHs = (p: Pair): RawCipher => RawCipher.from(p.keys, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
const serverApp = (p: Pair): RawCipher => RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
const clientApp = (p: Pair): RawCipher => RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0');

/** Edits the ServerHello of a flight through the codec. */
function editServerHello(sf: ServerFlight, edit: (sh: ServerHello) => void): void {
  const sh = decodeMsg(sf.serverHello, 'server_hello');
  if (sh.isHrr) throw new Error('editServerHello: a HelloRetryRequest');
  edit(sh);
  sf.serverHello = encodeMsg(sh);
}

/** The extensions of a ServerHello that selects TLS 1.3 (as our server's do). */
function ext13(sh: ServerHello): ServerHelloExtensions {
  if (sh.extensions.rules !== 'tls13') throw new Error('not a TLS 1.3 ServerHello');
  return sh.extensions;
}

/** Decodes a HelloRetryRequest. */
function decodeHrr(raw: Uint8Array): HelloRetryRequest {
  const m = decodeMsg(raw, 'server_hello');
  if (!m.isHrr) throw new Error('decodeHrr: not a HelloRetryRequest');
  return m;
}

/** Edits a ClientHello field through the test hook (the client then really sends it). */
function hook(edit: (ch: ClientHello) => void): (ch: ClientHello) => ClientHello {
  return (ch) => {
    const copy: ClientHello = { ...ch, extensions: { ...ch.extensions, order: [...(ch.extensions.order ?? [])] } };
    edit(copy);
    return copy;
  };
}

function dropExtension(ch: ClientHello, type: number, field: keyof ClientHello['extensions']): void {
  delete ch.extensions[field];
  ch.extensions.order = ch.extensions.order?.filter((t) => t !== type);
}

// ---------------------------------------------------------------------------------

describe('malformed hellos → DecodeError/decode_error (RFC 9846 §6: "cannot be parsed" → decode_error)', () => {
  it('rejects truncated ClientHello bodies → DecodeError/decode_error (§6)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const body = ch.subarray(4);
    // Cut inside: version, random, session id, suites, compression, extension block, last extension.
    for (const k of [0, 1, 2, 20, 34, 35, 50, 80, body.length - 10, body.length - 1]) {
      const server = await serverGets(hsMessage(HandshakeType.client_hello, body.subarray(0, k)));
      expectFail(server, 'DecodeError', 'decode_error');
    }
  });

  it('rejects a ClientHello with data after the extensions → DecodeError/decode_error (§4.2.2, §4.3)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const server = await serverGets(hsMessage(HandshakeType.client_hello, concat(ch.subarray(4), new Uint8Array([0]))));
    expectFail(server, 'DecodeError', 'decode_error');
  });

  it('rejects a ClientHello whose inner vector lengths lie → DecodeError/decode_error (§3, §6)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const body = ch.subarray(4);
    // legacy_session_id<0..32> with length 33.
    const sid = body.slice();
    sid[34] = 33;
    expectFail(await serverGets(hsMessage(HandshakeType.client_hello, sid)), 'DecodeError', 'decode_error');
    // cipher_suites with an odd length.
    const suitesAt = 35 + body[34]!;
    const odd = body.slice();
    odd[suitesAt + 1] = odd[suitesAt + 1]! + 1;
    expectFail(await serverGets(hsMessage(HandshakeType.client_hello, odd)), 'DecodeError', 'decode_error');
    // extensions block length one more than what follows.
    const extAt = suitesAt + 2 + ((body[suitesAt]! << 8) | body[suitesAt + 1]!) + 2;
    const ext = body.slice();
    const extLen = (ext[extAt]! << 8) | ext[extAt + 1]!;
    ext[extAt] = (extLen + 1) >> 8;
    ext[extAt + 1] = (extLen + 1) & 0xff;
    expectFail(await serverGets(hsMessage(HandshakeType.client_hello, ext)), 'DecodeError', 'decode_error');
  });

  it('rejects a handshake header length shorter than the ClientHello → DecodeError/decode_error (§4)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const body = ch.subarray(4);
    const server = await serverGets(hsMessage(HandshakeType.client_hello, body, body.length - 3));
    expectFail(server, 'DecodeError', 'decode_error');
  });

  it('rejects a handshake header length above the message size limit before buffering it → DecodeError/decode_error', async () => {
    // The ClientHello cap (128 KiB, maxClientHelloSize) is policy (DESIGN.md §4); a message that
    // large cannot be decoded, so decode_error (RFC 9846 §6), as rustls does.
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const server = await serverGets(hsMessage(HandshakeType.client_hello, ch.subarray(4), 0x20001)); // maxClientHelloSize defaults to 2^17
    expectFail(server, 'DecodeError', 'decode_error');
  });

  it('rejects a handshake header length longer than the record when another record type follows → UnexpectedMessage/unexpected_message (§5.1)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    const body = ch.subarray(4);
    const { server } = setup();
    const bytes = concat(
      encodeRecord(plain(ContentType.handshake, hsMessage(HandshakeType.client_hello, body, body.length + 10), 0x0301)),
      encodeRecord(plain(ContentType.alert, new Uint8Array([1, 0]))),
    );
    await deliver(server, bytes);
    expectFail(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects truncated ServerHello bodies → DecodeError/decode_error (§6)', async () => {
    // (Cut at 70, right after the compression method, the hello is a TLS 1.2 one without
    // extensions: ProtocolVersion, tested below.)
    for (const k of [0, 1, 33, 34, 40, 69, 71, 72, -1]) {
      const p = setup();
      const { sf } = await toServerFlight(p);
      const body = sf.serverHello.subarray(4);
      sf.serverHello = hsMessage(HandshakeType.server_hello, body.subarray(0, k < 0 ? body.length + k : k));
      await deliver(p.client, encodeRecord(plain(ContentType.handshake, sf.serverHello)));
      expectFail(p.client, 'DecodeError', 'decode_error');
      // The server, waiting for the client's protected flight, takes the plaintext alert
      // (the client could not process the ServerHello, so it has no keys).
      await deliver(p.server, encodeRecords([plain(ContentType.alert, new Uint8Array([2, AlertDescription.decode_error]))]));
      expectAlertReceived(p.server, 'decode_error');
    }
  });

  it('rejects a ServerHello with data after the extensions → DecodeError/decode_error (§6)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.serverHello = hsMessage(HandshakeType.server_hello, concat(sf.serverHello.subarray(4), new Uint8Array([0, 0])));
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, sf.serverHello)));
    expectFail(p.client, 'DecodeError', 'decode_error');
  });
});

describe('version negotiation', () => {
  it('rejects supported_versions with only TLS 1.2 and 1.1 → ProtocolVersion/protocol_version (§4.3.1, §6.2, §E.2)', async () => {
    // A TLS 1.3-only server (minVersion pins it, whatever TLS 1.2 support exists).
    const { client, server } = setup(
      withTestHooks(
        {},
        {
          clientHello: hook((ch) => {
            ch.extensions.supportedVersions = [ProtocolVersion.TLSv1_2, ProtocolVersion.TLSv1_1];
          }),
        },
      ),
      { minVersion: 'TLSv1.3' },
    );
    await deliver(server, await firstFlight(client));
    await deliver(client, expectFail(server, 'ProtocolVersion', 'protocol_version'));
    expectAlertReceived(client, 'protocol_version');
  });

  it('rejects a ClientHello without supported_versions (a TLS 1.2 hello) → ProtocolVersion/protocol_version (§E.2)', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => dropExtension(ch, ExtensionType.supported_versions, 'supportedVersions')) }), { minVersion: 'TLSv1.3' });
    await deliver(server, await firstFlight(client));
    expectFail(server, 'ProtocolVersion', 'protocol_version');
  });

  it('rejects a TLS 1.3 ClientHello whose legacy_version is not 0x0303 → ProtocolVersion/protocol_version (§4.2.2)', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.legacyVersion = ProtocolVersion.TLSv1_3)) }));
    await deliver(server, await firstFlight(client));
    expectFail(server, 'ProtocolVersion', 'protocol_version');
  });

  it('rejects a ServerHello selecting a version the client did not offer → IllegalParameter/illegal_parameter (§4.3.1)', async () => {
    for (const v of [0x0305, ProtocolVersion.TLSv1_2, 0x7f1c]) {
      const p = setup();
      const { sf } = await toServerFlight(p);
      // no longer TLS 1.3: the block follows the TLS 1.2 ServerHello's rules (key_share is allowed there)
      editServerHello(sf, (sh) => void (sh.extensions = { ...ext13(sh), rules: 'tls12', supportedVersions: v }));
      await deliver(p.client, sealServerFlight(sf, p.keys));
      expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
      await deliver(p.server, encodeRecords([plain(ContentType.alert, new Uint8Array([2, AlertDescription.illegal_parameter]))]));
      expectAlertReceived(p.server, 'illegal_parameter');
    }
  });

  it('rejects a ServerHello without supported_versions (TLS 1.2 chosen) → ProtocolVersion/protocol_version (§E.1)', async () => {
    const p = setup({ minVersion: 'TLSv1.3' });
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => {
      const { keyShare, order } = ext13(sh);
      sh.extensions = { rules: 'tls12', keyShare, order: order?.filter((t) => t !== ExtensionType.supported_versions) };
    });
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, sf.serverHello)));
    expectFail(p.client, 'ProtocolVersion', 'protocol_version');
  });

  it('rejects a TLS 1.3 ServerHello whose legacy_version is not 0x0303 → ProtocolVersion/protocol_version (§4.2.3)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => void (sh.legacyVersion = ProtocolVersion.TLSv1_3));
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, sf.serverHello)));
    expectFail(p.client, 'ProtocolVersion', 'protocol_version');
  });
});

describe('no common parameters → HandshakeFailure/handshake_failure (§4.2.1)', () => {
  const cases: [string, ClientOptions, Partial<ServerOptions>][] = [
    ['cipher suite', { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }, { cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] }],
    ['group', { groups: ['secp384r1'] }, { groups: ['x25519', 'secp256r1'] }],
    ['signature scheme', { signatureSchemes: ['ed25519', 'rsa_pss_rsae_sha256'] }, {}],
  ];
  for (const [what, c, s] of cases) {
    it(`rejects a ClientHello with no common ${what} → HandshakeFailure/handshake_failure`, async () => {
      const { client, server } = setup(c, s);
      await deliver(server, await firstFlight(client));
      expectFail(server, 'HandshakeFailure', 'handshake_failure');
      await deliver(client, encodeRecords([plain(ContentType.alert, new Uint8Array([2, AlertDescription.handshake_failure]))]));
      expectAlertReceived(client, 'handshake_failure');
    });
  }

  it('sends the handshake_failure alert the client then reports as AlertReceived', async () => {
    const { client, server } = setup({ groups: ['secp384r1'] }, { groups: ['x25519'] });
    await pump(client, server);
    expect(server.error?.status).toBe('HandshakeFailure');
    expectAlertReceived(client, 'handshake_failure');
  });
});

describe('invalid key shares → IllegalParameter/illegal_parameter (§6: "semantically invalid (e.g., a DHE share of p - 1)")', () => {
  // A classical-only client sending an x25519 share: a client that lists X25519MLKEM768
  // without a share would be asked for one by the default server (HelloRetryRequest, issue 12),
  // and its x25519 share never used. The hybrids' own share checks are in test/pq/.
  const X25519_ONLY: ClientOptions = { groups: ['x25519', 'secp256r1', 'secp384r1'], keyShareGroups: ['x25519'] };
  const setShare = (group: number, bytes: (orig: Uint8Array) => Uint8Array) =>
    hook((ch) => {
      ch.extensions.keyShare = ch.extensions.keyShare!.map((k) => (k.group === group ? { group, keyExchange: bytes(k.keyExchange) } : k));
    });

  it('rejects an X25519 share giving an all-zero shared secret (§7.4.2)', async () => {
    const { client, server } = setup(withTestHooks(X25519_ONLY, { clientHello: setShare(NamedGroup.x25519, () => new Uint8Array(32)) }));
    await deliver(server, await firstFlight(client));
    await deliver(client, expectFail(server, 'IllegalParameter', 'illegal_parameter'));
    expectAlertReceived(client, 'illegal_parameter');
  });

  it('rejects an X25519 share that is not 32 bytes (§4.3.8.2)', async () => {
    const { client, server } = setup(withTestHooks(X25519_ONLY, { clientHello: setShare(NamedGroup.x25519, (k) => k.subarray(0, 31)) }));
    await deliver(server, await firstFlight(client));
    expectFail(server, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects a secp256r1 share that is not on the curve (§4.3.8.2)', async () => {
    const { client, server } = setup(
      withTestHooks({ keyShareGroups: ['secp256r1'] }, { clientHello: setShare(NamedGroup.secp256r1, (k) => flip(k, 40)) }),
      { groups: ['secp256r1'] },
    );
    await deliver(server, await firstFlight(client));
    expectFail(server, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects a compressed or hybrid secp256r1 point (§4.3.8.2: UncompressedPointRepresentation only)', async () => {
    const { client, server } = setup(
      withTestHooks({ keyShareGroups: ['secp256r1'] }, { clientHello: setShare(NamedGroup.secp256r1, (k) => concat(new Uint8Array([2 + (k[64]! & 1)]), k.subarray(1, 33))) }),
      { groups: ['secp256r1'] },
    );
    await deliver(server, await firstFlight(client));
    expectFail(server, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects a ServerHello share giving an all-zero X25519 secret (§7.4.2)', async () => {
    const p = setup(X25519_ONLY);
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => void (ext13(sh).keyShare = { group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }));
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects a ServerHello share for a group the client sent no share for (§4.3.8)', async () => {
    const p = setup(X25519_ONLY);
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => void (ext13(sh).keyShare = { group: NamedGroup.secp256r1, keyExchange: new Uint8Array(65).fill(4, 0, 1) }));
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
  });
});

describe('HelloRetryRequest', () => {
  // Client shares secp256r1 only; the server accepts x25519 only → HRR(x25519, cookie).
  const hrrClient: ClientOptions = { keyShareGroups: ['secp256r1'] };
  const hrrServer: Partial<ServerOptions> = { groups: ['x25519'] };

  async function hrrFlight(p: Pair): Promise<{ hrr: Uint8Array; rest: Uint8Array }> {
    const ch = await firstFlight(p.client);
    const flight = await respond(p.server, ch);
    const recs = parseRecords(flight);
    expect(recs[0]!.type).toBe(ContentType.handshake);
    expect(decodeMsg(recs[0]!.fragment, 'server_hello').isHrr).toBe(true);
    return { hrr: recs[0]!.fragment, rest: encodeRecords(recs.slice(1)) };
  }

  it('completes a handshake through HRR with a cookie the client did not offer (§4.2.4, §4.3.2)', async () => {
    const { client, server } = setup(hrrClient, hrrServer);
    await pump(client, server);
    expect(client.error).toBeNull();
    expect(server.error).toBeNull();
    expect(client.info.helloRetryRequest).toBe(true);
    expect(client.info.group).toBe('x25519');
  });

  it('rejects a second HelloRetryRequest → UnexpectedMessage/unexpected_message (§4.2.4)', async () => {
    const p = setup(hrrClient, hrrServer);
    const { hrr, rest } = await hrrFlight(p);
    await deliver(p.client, concat(encodeRecord(plain(ContentType.handshake, hrr)), rest));
    expect(p.client.error).toBeNull();
    expect(p.client.takeOutput()).not.toBeNull(); // CCS + ClientHello2
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, hrr)));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects an HRR selecting a group that already had a key share → IllegalParameter/illegal_parameter (§4.3.8)', async () => {
    const p = setup(hrrClient, hrrServer);
    const { hrr } = await hrrFlight(p);
    const m = decodeHrr(hrr);
    m.extensions.keyShare = NamedGroup.secp256r1;
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, encodeMsg(m))));
    expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects an HRR selecting a group not in supported_groups → IllegalParameter/illegal_parameter (§4.3.8)', async () => {
    for (const g of [NamedGroup.secp384r1, NamedGroup.x448, 0x1234]) {
      const p = setup({ ...hrrClient, groups: ['x25519', 'secp256r1'] }, hrrServer);
      const { hrr } = await hrrFlight(p);
      const m = decodeHrr(hrr);
      m.extensions.keyShare = g;
      await deliver(p.client, encodeRecord(plain(ContentType.handshake, encodeMsg(m))));
      expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
    }
  });

  it('rejects an HRR that would not change the ClientHello → IllegalParameter/illegal_parameter (§4.2.4)', async () => {
    const p = setup(hrrClient, hrrServer);
    const { hrr } = await hrrFlight(p);
    const m = decodeHrr(hrr);
    delete m.extensions.keyShare;
    delete m.extensions.cookie;
    m.extensions.order = [ExtensionType.supported_versions];
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, encodeMsg(m))));
    expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
  });

  it('rejects an HRR without supported_versions, even from a client that offers TLS 1.2 → IllegalParameter/illegal_parameter (§4.2.4)', async () => {
    // RFC 9846 §4.2.4: "The server's extensions MUST contain "supported_versions"": a
    // HelloRetryRequest exists in TLS 1.3 only, so it never reads as a TLS 1.2 ServerHello.
    const p = setup({ ...hrrClient, cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] }, hrrServer);
    const { hrr } = await hrrFlight(p);
    const m = decodeHrr(hrr);
    delete m.extensions.supportedVersions;
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, encodeMsg(m))));
    expectFail(p.client, 'IllegalParameter', 'illegal_parameter');
    expect(p.client.error!.detail).toMatch(/HelloRetryRequest without supported_versions/);
  });

  it('rejects an HRR carrying an extension the client did not offer → UnsupportedExtension/unsupported_extension (§4.2.4, §4.3)', async () => {
    const p = setup(hrrClient, hrrServer);
    const { hrr } = await hrrFlight(p);
    const m = decodeHrr(hrr);
    m.extensions.unknown!.push({ type: 0xfe00, data: new Uint8Array(0) });
    m.extensions.order!.push(0xfe00);
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, encodeMsg(m))));
    expectFail(p.client, 'UnsupportedExtension', 'unsupported_extension');
  });
});

describe('ChangeCipherSpec in the wrong place → UnexpectedMessage/unexpected_message (§5: before the first ClientHello, after the peer Finished, a value other than 0x01, or protected)', () => {
  const ccs = (v = 1): Uint8Array => encodeRecord(plain(ContentType.change_cipher_spec, new Uint8Array([v])));

  it('rejects a ChangeCipherSpec before the ClientHello', async () => {
    const { server } = setup();
    await deliver(server, ccs());
    expectFail(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects a ChangeCipherSpec from the server after the handshake (after its Finished)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.client, ccs());
    await deliver(p.server, expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientApp(p)));
    expectAlertReceived(p.server, 'unexpected_message');
  });

  it('rejects a ChangeCipherSpec from the client after its Finished', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.server, ccs());
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p));
  });

  it('rejects a ChangeCipherSpec whose value is not 1, or that is longer than one byte', async () => {
    for (const body of [new Uint8Array([0]), new Uint8Array([2]), new Uint8Array([1, 1])]) {
      const p = setup();
      const { sf } = await toServerFlight(p);
      const recs = parseRecords(sealServerFlight({ ...sf, ccs: false }, p.keys));
      const bytes = encodeRecords([recs[0]!, plain(ContentType.change_cipher_spec, body), ...recs.slice(1)]);
      await deliver(p.client, bytes);
      const out = expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p));
      // The server (expecting the client's protected flight) reads the protected alert.
      await deliver(p.server, out);
      expectAlertReceived(p.server, 'unexpected_message');
    }
  });

  // Stricter than RFC 9846 §5, whose "MUST simply drop it" covers every 0x01 CCS in the window:
  // a peer sends at most one (§E.4), so puretls refuses a second one as a bound on useless
  // records (DESIGN.md §4); rustls tolerates two, Go up to 16 useless records.
  it('rejects a second ChangeCipherSpec', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    const recs = parseRecords(sealServerFlight(sf, p.keys));
    expect(recs[1]!.type).toBe(ContentType.change_cipher_spec);
    await deliver(p.client, encodeRecords([recs[0]!, recs[1]!, recs[1]!, ...recs.slice(2)]));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p));
  });

  it('rejects a second ChangeCipherSpec from the client', async () => {
    const p = setup();
    const { flight } = await toServerFlight(p);
    const out = await respond(p.client, flight);
    const recs = parseRecords(out);
    expect(recs[0]!.type).toBe(ContentType.change_cipher_spec);
    await deliver(p.server, encodeRecords([recs[0]!, recs[0]!, ...recs.slice(1)]));
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p));
  });

  it('rejects a protected ChangeCipherSpec', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    await deliver(p.client, sealServerFlight(sf, p.keys, undefined, { before: [{ type: ContentType.change_cipher_spec, content: new Uint8Array([1]) }] }));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p));
  });
});

describe('application data before Finished → UnexpectedMessage/unexpected_message (§2, §5)', () => {
  it('rejects unprotected application data before the ServerHello', async () => {
    const { client } = setup();
    await firstFlight(client);
    await deliver(client, encodeRecord(plain(ContentType.application_data, new Uint8Array([1, 2, 3]))));
    expectFail(client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects application data under the server handshake key, before the server Finished', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    await deliver(p.client, sealServerFlight(sf, p.keys, undefined, { before: [{ type: ContentType.application_data, content: new Uint8Array([1, 2, 3]) }] }));
    await deliver(p.server, expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p)));
    expectAlertReceived(p.server, 'unexpected_message');
  });

  it('rejects application data from the client before its Finished', async () => {
    const p = setup();
    const { flight } = await toServerFlight(p);
    await deliver(p.client, flight);
    expect(p.client.handshakeComplete).toBe(true);
    const early = clientHs(p).seal(ContentType.application_data, new TextEncoder().encode('too early'));
    await deliver(p.server, encodeRecords([plain(ContentType.change_cipher_spec, new Uint8Array([1])), early]));
    await deliver(p.client, expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p)));
    expectAlertReceived(p.client, 'unexpected_message');
  });
});

describe('authentication failures → DecryptError/decrypt_error', () => {
  it('rejects a wrong server Finished → DecryptError/decrypt_error (§4.5.3)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    expect(sf.messages.map((m) => m[0])).toEqual([HandshakeType.encrypted_extensions, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
    sf.messages[3] = flip(sf.messages[3]!, -1);
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'DecryptError', 'decrypt_error', clientHs(p));
  });

  it('the server reports the client alert for a wrong server Finished as AlertReceived(decrypt_error)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.messages[3] = flip(sf.messages[3]!, 10);
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expect(p.client.error?.status).toBe('DecryptError');
    await deliver(p.server, p.client.takeOutput());
    expectAlertReceived(p.server, 'decrypt_error');
  });

  it('rejects a wrong client Finished → DecryptError/decrypt_error (§4.5.3)', async () => {
    const p = setup();
    const { flight } = await toServerFlight(p);
    const recs = parseRecords(await respond(p.client, flight));
    expect(recs.map((r) => r.type)).toEqual([ContentType.change_cipher_spec, ContentType.application_data]);
    const fin = clientHs(p).open(recs[1]!);
    expect(fin.content[0]).toBe(HandshakeType.finished);
    const bad = clientHs(p).seal(ContentType.handshake, flip(fin.content, 4));
    await deliver(p.server, encodeRecords([recs[0]!, bad]));
    expectFail(p.server, 'DecryptError', 'decrypt_error', serverApp(p));
  });

  it('the client reports the server alert for a wrong client Finished as AlertReceived(decrypt_error)', async () => {
    const p = setup();
    const { flight } = await toServerFlight(p);
    const recs = parseRecords(await respond(p.client, flight));
    const fin = clientHs(p).open(recs[1]!);
    await deliver(p.server, encodeRecords([recs[0]!, clientHs(p).seal(ContentType.handshake, flip(fin.content, -1))]));
    await deliver(p.client, p.server.takeOutput());
    expectAlertReceived(p.client, 'decrypt_error');
  });

  it('rejects a bad CertificateVerify signature → DecryptError/decrypt_error (§4.5.2)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.messages[2] = flip(sf.messages[2]!, -1); // last byte of the ECDSA s value
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'DecryptError', 'decrypt_error', clientHs(p));
  });

  it('rejects a CertificateVerify signature made over another transcript → DecryptError/decrypt_error (§4.5.2)', async () => {
    // A valid signature from another connection with the same key.
    const other = setup();
    const { sf: sf2 } = await toServerFlight(other);
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.messages[2] = sf2.messages[2]!;
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'DecryptError', 'decrypt_error', clientHs(p));
  });

  it('rejects a Finished of the wrong length → DecodeError/decode_error (§4.5.3: verify_data[Hash.length])', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.messages[3] = hsMessage(HandshakeType.finished, sf.messages[3]!.subarray(4, 4 + 31));
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'DecodeError', 'decode_error', clientHs(p));
  });
});

describe('unexpected handshake messages in every state → UnexpectedMessage/unexpected_message (§4: "in an unexpected order MUST abort the handshake with an unexpected_message alert")', () => {
  // Client states, fed a server flight whose messages are rearranged.
  const EE = 0;
  const CT = 1;
  const CV = 2;
  const FIN = 3;
  const clientCases: [string, (m: Uint8Array[]) => Uint8Array[]][] = [
    ['ExpectEncryptedExtensions (Certificate first)', (m) => [m[CT]!, m[CV]!, m[FIN]!]],
    ['ExpectEncryptedExtensions (Finished first)', (m) => [m[FIN]!]],
    ['ExpectCertificateOrCertificateRequest (CertificateVerify)', (m) => [m[EE]!, m[CV]!, m[FIN]!]],
    ['ExpectCertificateOrCertificateRequest (EncryptedExtensions again)', (m) => [m[EE]!, m[EE]!]],
    ['ExpectCertificate, after a CertificateRequest (CertificateVerify)', (m) => [m[EE]!, certificateRequest(), m[CV]!, m[FIN]!]],
    ['ExpectCertificate, after a CertificateRequest (a second CertificateRequest)', (m) => [m[EE]!, certificateRequest(), certificateRequest()]],
    ['ExpectCertificateVerify (Finished)', (m) => [m[EE]!, m[CT]!, m[FIN]!]],
    ['ExpectCertificateVerify (Certificate again)', (m) => [m[EE]!, m[CT]!, m[CT]!]],
    ['ExpectFinished (EncryptedExtensions)', (m) => [m[EE]!, m[CT]!, m[CV]!, m[EE]!]],
    ['ExpectFinished (KeyUpdate before Finished, §4.7.3)', (m) => [m[EE]!, m[CT]!, m[CV]!, hsMessage(HandshakeType.key_update, new Uint8Array([0]))]],
    ['ExpectFinished (NewSessionTicket before Finished)', (m) => [m[EE]!, m[CT]!, m[CV]!, newSessionTicket()]],
  ];
  for (const [what, edit] of clientCases) {
    it(`client ${what}`, async () => {
      const p = setup();
      const { sf } = await toServerFlight(p);
      sf.messages = edit(sf.messages);
      await deliver(p.client, sealServerFlight(sf, p.keys, undefined, { perMessage: true }));
      await deliver(p.server, expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p)));
      expectAlertReceived(p.server, 'unexpected_message');
    });
  }

  it('client ExpectServerHello (plaintext EncryptedExtensions, Certificate, ClientHello, Finished, NewSessionTicket, KeyUpdate)', async () => {
    const p0 = setup();
    const { ch, sf } = await toServerFlight(p0);
    for (const msg of [sf.messages[EE]!, sf.messages[CT]!, chMessage(ch), sf.messages[FIN]!, newSessionTicket(), hsMessage(HandshakeType.key_update, new Uint8Array([0]))]) {
      const p = setup();
      await firstFlight(p.client);
      await deliver(p.client, encodeRecord(plain(ContentType.handshake, msg)));
      expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
    }
  });

  it('client ExpectServerHello (unknown and TLS 1.2-only handshake types)', async () => {
    for (const t of [HandshakeType.hello_request, HandshakeType.server_key_exchange, HandshakeType.server_hello_done, HandshakeType.message_hash, 99]) {
      const p = setup();
      await firstFlight(p.client);
      await deliver(p.client, encodeRecord(plain(ContentType.handshake, hsMessage(t, new Uint8Array([0, 0])))));
      expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
    }
  });

  it('client ClientTraffic (EncryptedExtensions, Finished, ServerHello, CertificateRequest §4.7.2, EndOfEarlyData §4.6, after the handshake)', async () => {
    const p0 = setup();
    const { sf } = await toServerFlight(p0);
    const cr = certificateRequest();
    for (const msg of [sf.messages[EE]!, sf.messages[FIN]!, sf.serverHello, cr, hsMessage(HandshakeType.end_of_early_data, new Uint8Array(0))]) {
      const p = setup();
      await pump(p.client, p.server);
      expect(p.client.handshakeComplete).toBe(true);
      await deliver(p.client, encodeRecords([serverApp(p).seal(ContentType.handshake, msg)]));
      await deliver(p.server, expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientApp(p)));
      expectAlertReceived(p.server, 'unexpected_message');
    }
  });

  it('server ExpectClientHello (ServerHello, Finished, KeyUpdate, Certificate)', async () => {
    const p0 = setup();
    const { sf } = await toServerFlight(p0);
    for (const msg of [sf.serverHello, sf.messages[FIN]!, hsMessage(HandshakeType.key_update, new Uint8Array([0])), sf.messages[CT]!]) {
      const server = await serverGets(msg);
      expectFail(server, 'UnexpectedMessage', 'unexpected_message');
    }
  });

  it('server ExpectClientHello2 (after HelloRetryRequest: Finished instead of ClientHello)', async () => {
    const p = setup({ keyShareGroups: ['secp256r1'] }, { groups: ['x25519'] });
    const ch = await firstFlight(p.client);
    await deliver(p.server, ch);
    expect(p.server.info.helloRetryRequest).toBe(true);
    p.server.takeOutput();
    await deliver(p.server, encodeRecords([plain(ContentType.change_cipher_spec, new Uint8Array([1])), plain(ContentType.handshake, hsMessage(HandshakeType.finished, new Uint8Array(32)))]));
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  const serverHsCases: [string, Uint8Array][] = [
    ['KeyUpdate before Finished, §4.7.3', hsMessage(HandshakeType.key_update, new Uint8Array([0]))],
    ['Certificate without CertificateRequest', hsMessage(HandshakeType.certificate, new Uint8Array([0, 0, 0, 0]))],
    ['ClientHello', new Uint8Array(0)],
    ['EndOfEarlyData without early data, §4.6', hsMessage(HandshakeType.end_of_early_data, new Uint8Array(0))],
  ];
  for (const [what, msg] of serverHsCases) {
    it(`server ExpectFinished (${what})`, async () => {
      const p = setup();
      const { ch, flight } = await toServerFlight(p);
      await deliver(p.client, flight); // the client logs the application secrets
      p.client.takeOutput();
      const m = msg.length > 0 ? msg : chMessage(ch); // empty stands for "the client's own ClientHello again"
      await deliver(p.server, encodeRecords([plain(ContentType.change_cipher_spec, new Uint8Array([1])), clientHs(p).seal(ContentType.handshake, m)]));
      expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p));
    });
  }

  it('server ServerTraffic (ClientHello renegotiation §4.2.2, NewSessionTicket, Finished, EncryptedExtensions)', async () => {
    const p0 = setup();
    const { ch, sf } = await toServerFlight(p0);
    for (const msg of [chMessage(ch), newSessionTicket(), sf.messages[FIN]!, sf.messages[EE]!]) {
      const p = setup();
      await pump(p.client, p.server);
      await deliver(p.server, encodeRecords([clientApp(p).seal(ContentType.handshake, msg)]));
      await deliver(p.client, expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p)));
      expectAlertReceived(p.client, 'unexpected_message');
    }
  });
});

function certificateRequest(): Uint8Array {
  // Empty context; extensions: signature_algorithms = [ecdsa_secp256r1_sha256] (RFC 9846 §4.4.2).
  return hsMessage(HandshakeType.certificate_request, new Uint8Array([0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3]));
}

function newSessionTicket(): Uint8Array {
  // lifetime 60, age_add 0, nonce<1>, ticket<4>, no extensions (RFC 9846 §4.7.1).
  return hsMessage(HandshakeType.new_session_ticket, new Uint8Array([0, 0, 0, 60, 0, 0, 0, 0, 1, 0, 0, 4, 1, 2, 3, 4, 0, 0]));
}

describe('mandatory extensions → MissingExtension/missing_extension', () => {
  it('rejects a ClientHello without key_share → MissingExtension/missing_extension (§9.2)', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => dropExtension(ch, ExtensionType.key_share, 'keyShare')) }));
    await deliver(server, await firstFlight(client));
    await deliver(client, expectFail(server, 'MissingExtension', 'missing_extension'));
    expectAlertReceived(client, 'missing_extension');
  });

  it('rejects a ClientHello without signature_algorithms → MissingExtension/missing_extension (§4.3.3, §9.2)', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => dropExtension(ch, ExtensionType.signature_algorithms, 'signatureAlgorithms')) }));
    await deliver(server, await firstFlight(client));
    expectFail(server, 'MissingExtension', 'missing_extension');
  });

  it('rejects a ClientHello without supported_groups but with key_share → MissingExtension/missing_extension (§9.2)', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => dropExtension(ch, ExtensionType.supported_groups, 'supportedGroups')) }));
    await deliver(server, await firstFlight(client));
    expectFail(server, 'MissingExtension', 'missing_extension');
  });

  it('the client reports missing_extension from the server as AlertReceived', async () => {
    const { client, server } = setup(withTestHooks({}, { clientHello: hook((ch) => dropExtension(ch, ExtensionType.key_share, 'keyShare')) }));
    await pump(client, server);
    expect(server.error?.status).toBe('MissingExtension');
    expectAlertReceived(client, 'missing_extension');
  });
});

describe('extensions the client did not offer → UnsupportedExtension/unsupported_extension (§4.3)', () => {
  it('rejects an unknown extension in ServerHello', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => {
      sh.extensions.unknown!.push({ type: 0xfe00, data: new Uint8Array([1, 2]) });
      sh.extensions.order!.push(0xfe00);
    });
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'UnsupportedExtension', 'unsupported_extension');
  });

  it('rejects pre_shared_key in ServerHello when no PSK was offered', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    editServerHello(sf, (sh) => {
      ext13(sh).preSharedKey = 0;
      sh.extensions.order!.push(ExtensionType.pre_shared_key);
    });
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'UnsupportedExtension', 'unsupported_extension');
  });

  it('rejects ALPN in EncryptedExtensions when the client offered none', async () => {
    const p = setup({}, withTestHooks({}, { encryptedExtensions: (e) => ({ ...e, alpn: 'h2' }) }));
    await pump(p.client, p.server);
    expect(p.client.error?.status).toBe('UnsupportedExtension');
    expect(p.client.error?.alert).toBe(AlertDescription.unsupported_extension);
    expectAlertReceived(p.server, 'unsupported_extension');
  });

  it('rejects an unknown extension in EncryptedExtensions', async () => {
    const p = setup({}, withTestHooks({}, { encryptedExtensions: (e) => ({ ...e, unknown: [{ type: 0xfe01, data: new Uint8Array(0) }], order: [...(e.order ?? []), 0xfe01] }) }));
    await pump(p.client, p.server);
    expect(p.client.error?.status).toBe('UnsupportedExtension');
    expectAlertReceived(p.server, 'unsupported_extension');
  });
});

describe('handshake messages spanning a key change → UnexpectedMessage/unexpected_message (§5.1)', () => {
  it('rejects a ServerHello record that also carries the start of the next message', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, concat(sf.serverHello, sf.messages[0]!.subarray(0, 3)))));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects a ServerHello record that also carries a whole EncryptedExtensions in the clear', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    await deliver(p.client, encodeRecord(plain(ContentType.handshake, concat(sf.serverHello, sf.messages[0]!))));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects a ChangeCipherSpec between two fragments of one handshake message', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    const sh = sf.serverHello;
    await deliver(
      p.client,
      encodeRecords([plain(ContentType.handshake, sh.subarray(0, 20)), plain(ContentType.change_cipher_spec, new Uint8Array([1])), plain(ContentType.handshake, sh.subarray(20))]),
    );
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('accepts a ServerHello split over several records (fragmentation is allowed, §5.1)', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    const sh = sf.serverHello;
    const recs = parseRecords(sealServerFlight(sf, p.keys));
    await deliver(p.client, encodeRecords([plain(ContentType.handshake, sh.subarray(0, 1)), plain(ContentType.handshake, sh.subarray(1, 50)), plain(ContentType.handshake, sh.subarray(50)), ...recs.slice(1)]));
    expect(p.client.error).toBeNull();
    expect(p.client.handshakeComplete).toBe(true);
  });

  it('rejects a server Finished followed by part of another message in the same record', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    sf.messages[3] = concat(sf.messages[3]!, newSessionTicket().subarray(0, 6));
    await deliver(p.client, sealServerFlight(sf, p.keys));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientHs(p));
  });

  it('rejects a client Finished followed by part of another message in the same record', async () => {
    const p = setup();
    const { flight } = await toServerFlight(p);
    const recs = parseRecords(await respond(p.client, flight));
    const fin = clientHs(p).open(recs[1]!);
    const bad = clientHs(p).seal(ContentType.handshake, concat(fin.content, new Uint8Array([HandshakeType.key_update, 0, 0])));
    await deliver(p.server, encodeRecords([recs[0]!, bad]));
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p));
  });

  it('rejects a KeyUpdate followed by more handshake data in the same record', async () => {
    const p = setup();
    await pump(p.client, p.server);
    const ku = hsMessage(HandshakeType.key_update, new Uint8Array([0]));
    await deliver(p.server, encodeRecords([clientApp(p).seal(ContentType.handshake, concat(ku, ku.subarray(0, 2)))]));
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message', serverApp(p));
  });
});

describe('oversized records → RecordOverflow/record_overflow', () => {
  it('rejects a record header longer than 2^14 + 256 before reading the body (§5.2)', async () => {
    const { server } = setup();
    await deliver(server, encodeRecord(plain(ContentType.handshake, new Uint8Array(0), 0x0301), 16384 + 257));
    expectFail(server, 'RecordOverflow', 'record_overflow');
  });

  it('rejects a plaintext record longer than 2^14 (§5.1)', async () => {
    const p = setup();
    const ch = chMessage(await firstFlight(p.client));
    // A ClientHello padded out to 2^14 + 1 bytes of record: any plaintext record that long is an overflow.
    const filler = new Uint8Array(16385 - ch.length);
    const { server } = setup();
    await deliver(server, encodeRecord(plain(ContentType.handshake, concat(ch, filler), 0x0301)));
    expectFail(server, 'RecordOverflow', 'record_overflow');
  });

  it('rejects a protected record longer than 2^14 + 256 (§5.2)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    const big = serverApp(p).seal(ContentType.application_data, new Uint8Array(16384 + 256));
    await deliver(p.client, encodeRecord(big));
    await deliver(p.server, expectFail(p.client, 'RecordOverflow', 'record_overflow', clientApp(p)));
    expectAlertReceived(p.server, 'record_overflow');
  });

  it('rejects a protected record whose TLSInnerPlaintext exceeds 2^14 + 1 (§5.2, §5.4)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    const big = serverApp(p).seal(ContentType.application_data, new Uint8Array(16385));
    expect(big.fragment.length).toBeLessThanOrEqual(16384 + 256);
    await deliver(p.client, encodeRecord(big));
    expectFail(p.client, 'RecordOverflow', 'record_overflow', clientApp(p));
  });

  it('rejects a protected record of padding only (no content type) → UnexpectedMessage/unexpected_message (§5.4)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.client, encodeRecord(serverApp(p).sealInner(new Uint8Array(10))));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientApp(p));
  });

  it('rejects a protected zero-length handshake record → UnexpectedMessage/unexpected_message (§5.4)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.client, encodeRecord(serverApp(p).seal(ContentType.handshake, new Uint8Array(0))));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientApp(p));
  });
});

describe('record protection', () => {
  it('rejects a record that fails authentication → BadRecordMac/bad_record_mac (§5.2), and the peer reports it', async () => {
    const p = setup();
    await pump(p.client, p.server);
    p.client.write(new TextEncoder().encode('hello'));
    await p.client.settled(); // the record is sealed (at once unless the AEAD is async)
    const rec = parseRecords(p.client.takeOutput()!)[0]!;
    rec.fragment = flip(rec.fragment, 0);
    await deliver(p.server, encodeRecord(rec));
    const out = p.server.takeOutput();
    expect(alertsIn(out, serverApp(p))).toEqual([{ level: 2, description: AlertDescription.bad_record_mac, protected: true }]);
    expect(p.server.error?.status).toBe('BadRecordMac');
    await deliver(p.client, out);
    expectAlertReceived(p.client, 'bad_record_mac');
  });

  it('rejects an alert record of the wrong length → DecodeError/decode_error (§6)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.client, encodeRecord(serverApp(p).seal(ContentType.alert, new Uint8Array([2, 40, 0]))));
    expectFail(p.client, 'DecodeError', 'decode_error', clientApp(p));
  });

  it('rejects an unknown record content type → UnexpectedMessage/unexpected_message (§5)', async () => {
    const { server } = setup();
    await deliver(server, encodeRecord(plain(24, new Uint8Array([1, 2, 3]))));
    expectFail(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('rejects an unknown inner content type → UnexpectedMessage/unexpected_message (§5)', async () => {
    const p = setup();
    await pump(p.client, p.server);
    await deliver(p.client, encodeRecord(serverApp(p).seal(24, new Uint8Array([1]))));
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message', clientApp(p));
  });
});

// Sanity: the unmodified pipeline through the helpers completes, so failures above come from the edits.
describe('helpers', () => {
  it('re-sealing an unmodified server flight completes the handshake', async () => {
    const p = setup();
    const { sf } = await toServerFlight(p);
    expect(splitHandshake(concat(...sf.messages)).length).toBe(4);
    await deliver(p.client, sealServerFlight(sf, p.keys, undefined, { perMessage: true }));
    expect(p.client.error).toBeNull();
    expect(p.client.handshakeComplete).toBe(true);
    await deliver(p.server, p.client.takeOutput());
    expect(p.server.error).toBeNull();
    expect(p.server.handshakeComplete).toBe(true);
  });
});
