/**
 * Hostile peers and careless callers (issue 7, section 1): each test performs the attack
 * or the misuse that a review found, against the sans-I/O engine, and asserts the exact
 * status and alert, and where it matters that memory stayed bounded.
 *
 * Section numbers are RFC 9846's own (ClientHello §4.2.2, HelloRetryRequest §4.2.4,
 * early_data §4.3.10, closure alerts §6.1).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump, readAll, seededRandom, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import type { ClientHello } from '../../src/wire/messages.js';
import { RawCipher, concat, deliver, encodeRecord, encodeRecords, firstFlight, hsMessage, parseRecords, plain } from '../helpers/mitm.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { parseCertificate } from '../../src/verify/x509.js';
import type { VerifyRequest } from '../../src/verify/verifier.js';
import { payload, sameBytes } from '../helpers/bytes.js';
import { expectFailed, handshaken, keyLoggedPair, type KeyLoggedPair } from '../helpers/hostile-peer.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function setup(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): KeyLoggedPair {
  return keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], ...c }, s);
}

async function connected(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Promise<KeyLoggedPair> {
  return handshaken(setup(c, s));
}

/** Edits only the first ClientHello (the second one carries our cookie). */
function firstHelloOnly(edit: (ch: ClientHello) => ClientHello): (ch: ClientHello) => ClientHello {
  return (ch) => (ch.extensions.cookie === undefined ? edit(ch) : ch);
}

/** Edits only the second ClientHello (after a HelloRetryRequest). */
function secondHelloOnly(edit: (ch: ClientHello) => ClientHello): (ch: ClientHello) => ClientHello {
  return (ch) => (ch.extensions.cookie !== undefined ? edit(ch) : ch);
}

describe('item 3: memory grows with bytes received, not with what a header announces', () => {
  it('11 bytes announcing a 64 KiB ClientHello hold about 1 KiB, not 64 KiB', async () => {
    const { server } = setup();
    expect(server.bufferedBytes).toBe(0); // nothing allocated before the first byte
    // record header (5) + handshake header announcing 65535 bytes (4) + 2 body bytes
    const bytes = encodeRecord(plain(ContentType.handshake, concat(new Uint8Array([HandshakeType.client_hello, 0x00, 0xff, 0xff]), new Uint8Array([3, 3]))));
    expect(bytes.length).toBe(11);
    await deliver(server, bytes);
    expect(server.error).toBeNull();
    expect(server.bufferedBytes).toBeLessThanOrEqual(1024);
  });

  it('a record header announcing 16 KiB followed by 6 bytes holds at most 512 bytes', async () => {
    const { server } = setup();
    const bytes = concat(new Uint8Array([ContentType.handshake, 3, 1, 0x40, 0x00]), new Uint8Array(6));
    expect(server.receive(bytes)).toBe(11);
    await server.process();
    expect(server.error).toBeNull();
    expect(server.bufferedBytes).toBeLessThanOrEqual(512);
  });

  it('a real ClientHello delivered one byte at a time still completes, and buffers shrink back to zero', async () => {
    const p = setup();
    const ch = await firstFlight(p.client);
    for (let i = 0; i < ch.length; i++) {
      expect(p.server.receive(ch.subarray(i, i + 1))).toBe(1);
      await p.server.process();
      expect(p.server.bufferedBytes).toBeLessThanOrEqual(Math.max(1024, 2 * (i + 1)));
    }
    await pump(p.client, p.server);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    expect(p.server.bufferedBytes).toBe(0);
    expect(p.client.bufferedBytes).toBe(0);
  });

  it('5,000 stalled half-ClientHellos cost under 1.2 KiB of buffers each', async () => {
    const half = (await firstFlight(setup().client)).subarray(0, 150);
    let total = 0;
    for (let i = 0; i < 5000; i++) {
      const { server } = setup();
      await deliver(server, half);
      expect(server.error).toBeNull();
      total += server.bufferedBytes;
    }
    expect(total / 5000).toBeLessThanOrEqual(1200);
  });
});

describe('item 4: TLS 1.3 half-close (RFC 9846 §6.1)', () => {
  it('after the peer closed (close_notify, then EOF) we still write our reply, then close cleanly', async () => {
    const p = await connected();
    p.client.write(enc('request'));
    p.client.close();
    await pump(p.client, p.server);
    p.server.end(); // the client also closed its TCP write side
    expect(p.server.error).toBeNull();
    expect(p.server.phase).toBe('peer-closed');
    expect(dec(readAll(p.server))).toBe('request');
    expect(p.server.wants.write).toBe(true);
    p.server.write(enc('reply after your close_notify'));
    p.server.close();
    expect(p.server.phase).toBe('closed');
    await pump(p.client, p.server);
    expect(p.client.error).toBeNull();
    expect(dec(readAll(p.client))).toBe('reply after your close_notify');
    expect(p.client.phase).toBe('closed');
    p.client.end();
    expect(p.client.error).toBeNull();
  });

  it('TLS 1.2 keeps RFC 5246 §7.2.1: EOF after the peer’s close_notify closes both directions', async () => {
    const p = await connected({ maxVersion: 'TLSv1.2' });
    p.client.close();
    await pump(p.client, p.server);
    p.server.end();
    expect(p.server.phase).toBe('closed');
    expect(() => p.server.write(enc('x'))).toThrow(expect.objectContaining({ status: 'Closed' }));
  });

  it('EOF without close_notify is still truncation in both versions', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const p = await connected({ maxVersion });
      p.server.end();
      expect(p.server.error?.status).toBe('Truncated');
    }
  });
});

describe('item 5: floods are counted until application data arrives', () => {
  it('a client that speaks only TLS 1.3 refuses a HelloRequest → UnexpectedMessage', async () => {
    const { client } = setup({ minVersion: 'TLSv1.3' });
    await firstFlight(client);
    await deliver(client, encodeRecord(plain(ContentType.handshake, new Uint8Array([0, 0, 0, 0]))));
    expectFailed(client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a TLS 1.2-capable client ignores at most maxHelloRequests HelloRequests during its handshake', async () => {
    const { client } = setup({ maxHelloRequests: 4 });
    await firstFlight(client);
    const hr = encodeRecord(plain(ContentType.handshake, new Uint8Array([0, 0, 0, 0])));
    for (let i = 0; i < 4; i++) await deliver(client, hr);
    expect(client.error).toBeNull();
    await deliver(client, hr);
    expectFailed(client, 'UnexpectedMessage', 'unexpected_message');
    expect(client.error!.detail).toMatch(/maxHelloRequests/);
  });

  it('400,000 HelloRequests in one go stop at the limit, in bounded time', async () => {
    const { client } = setup();
    await firstFlight(client);
    const many = encodeRecord(plain(ContentType.handshake, new Uint8Array(4 * 4000)));
    const t = process.cpuUsage();
    for (let i = 0; i < 100 && !client.error; i++) await deliver(client, many);
    const us = process.cpuUsage(t);
    expectFailed(client, 'UnexpectedMessage', 'unexpected_message');
    expect((us.user + us.system) / 1000).toBeLessThan(2000);
  });

  it('NewSessionTicket between empty records does not reset the count (maxPostHandshakeMessages)', async () => {
    const p = await connected({}, { sessionTickets: 0 });
    const server = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const nst = hsMessage(HandshakeType.new_session_ticket, new Uint8Array([0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 0, 0, 1, 9, 0, 0]));
    let n = 0;
    while (!p.client.error && n < 200) {
      await deliver(p.client, encodeRecords([server.seal(ContentType.handshake, nst), server.seal(ContentType.application_data, new Uint8Array(0))]));
      n += 2;
    }
    expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
    expect(n).toBeLessThanOrEqual(66);
    expect(p.client.error!.detail).toMatch(/maxPostHandshakeMessages/);
  });

  it('empty records are capped on their own (maxEmptyRecords) and reset only by data', async () => {
    const p = await connected({ maxEmptyRecords: 3 });
    const server = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const empty = (): Uint8Array => encodeRecords([server.seal(ContentType.application_data, new Uint8Array(0))]);
    for (let i = 0; i < 3; i++) await deliver(p.client, empty());
    await deliver(p.client, encodeRecords([server.seal(ContentType.application_data, enc('x'))]));
    for (let i = 0; i < 3; i++) await deliver(p.client, empty());
    expect(p.client.error).toBeNull();
    await deliver(p.client, empty());
    expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('item 6: plaintext alerts only where the peer may have no keys', () => {
  async function serverAfterHello(c: ClientOptions = {}): Promise<{ client: TlsConnection; server: TlsConnection; flight: Uint8Array }> {
    const p = setup({ cipherSuites: ['TLS_AES_128_GCM_SHA256'], ...c });
    const ch = await firstFlight(p.client);
    await deliver(p.server, ch);
    const flight = p.server.takeOutput()!;
    return { client: p.client, server: p.server, flight };
  }
  const fatal = (d: number): Uint8Array => encodeRecord(plain(ContentType.alert, new Uint8Array([2, d])));

  it('a client that failed on our ServerHello alerts in the clear: reported as AlertReceived', async () => {
    const { server } = await serverAfterHello();
    await deliver(server, fatal(AlertDescription.illegal_parameter));
    expect(server.error?.status).toBe('AlertReceived');
    expect(server.error?.alert).toBe(AlertDescription.illegal_parameter);
  });

  it('after the client’s compatibility CCS (it has processed our ServerHello) a plaintext alert is an injection → UnexpectedMessage', async () => {
    const { server } = await serverAfterHello();
    await deliver(server, encodeRecord(plain(ContentType.change_cipher_spec, new Uint8Array([1]))));
    expect(server.error).toBeNull();
    await deliver(server, fatal(AlertDescription.handshake_failure));
    expectFailed(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('after a protected record from the client, a plaintext alert is refused', async () => {
    const p = setup({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    await deliver(p.server, await firstFlight(p.client));
    p.server.takeOutput();
    // A protected user_canceled (not fatal by itself, RFC 9846 §6.1) shows the client has keys.
    const c = RawCipher.from(p.keys, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    await deliver(p.server, encodeRecords([c.seal(ContentType.alert, new Uint8Array([1, AlertDescription.user_canceled]))]));
    expect(p.server.error).toBeNull();
    await deliver(p.server, fatal(AlertDescription.handshake_failure));
    expectFailed(p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a warning-level plaintext alert is never taken once keys are installed', async () => {
    const { server } = await serverAfterHello();
    await deliver(server, encodeRecord(plain(ContentType.alert, new Uint8Array([1, AlertDescription.user_canceled]))));
    expectFailed(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a client refuses a plaintext alert once the server must encrypt', async () => {
    const p = setup({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    await deliver(p.server, await firstFlight(p.client));
    const recs = parseRecords(p.server.takeOutput()!);
    await deliver(p.client, encodeRecords([recs[0]!])); // ServerHello only: the client now has keys
    await deliver(p.client, fatal(AlertDescription.handshake_failure));
    expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('item 7: writes before the handshake are bounded', () => {
  it('wants.write true always means the next write is taken (no WouldBlock livelock)', () => {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxPendingWrite: 1000 });
    let spins = 0;
    for (let i = 0; i < 10 && c.wants.write; i++) {
      try {
        c.write(new Uint8Array(1001));
      } catch {
        spins++;
      }
    }
    expect(spins).toBe(0);
    expect(c.wants.write).toBe(false);
  });

  it('write() holds up to maxPendingWrite, then throws WouldBlock without failing the connection', async () => {
    const p = setup({}, {});
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxPendingWrite: 1000 });
    expect(c.wants.write).toBe(true);
    c.write(new Uint8Array(600));
    c.write(new Uint8Array(400));
    expect(c.wants.write).toBe(false);
    expect(() => c.write(new Uint8Array(1))).toThrow(expect.objectContaining({ status: 'WouldBlock', category: 'caller' }));
    expect(c.error).toBeNull();
    expect(c.bufferedBytes).toBeGreaterThanOrEqual(1000);
    await pump(c, p.server);
    expect(c.handshakeComplete).toBe(true);
    expect(readAll(p.server).length).toBe(1000);
    expect(c.wants.write).toBe(true);
    c.write(new Uint8Array(5000)); // after the handshake writes go straight out
  });

  it('the default cap is 256 KiB', () => {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    c.write(new Uint8Array(262144));
    expect(() => c.write(new Uint8Array(1))).toThrow(expect.objectContaining({ status: 'WouldBlock' }));
  });
});

describe('item 8: 0-RTT from a client we do not accept early data from (RFC 9846 §4.3.10)', () => {
  const withEarlyData = firstHelloOnly((ch) => ({ ...ch, extensions: { ...ch.extensions, earlyData: true } }));
  /** Fake early data: application_data records protected under a key we do not have. */
  const earlyRecords = (n: number, size: number, seed: number): Uint8Array =>
    encodeRecords(Array.from({ length: n }, (_, i) => ({ type: ContentType.application_data, version: 0x0303, fragment: payload(size, seed + i) })));

  it('records that fail to open with the handshake key are skipped, then the handshake completes', async () => {
    const p = setup(withTestHooks({}, { clientHello: withEarlyData }));
    const ch = await firstFlight(p.client);
    await deliver(p.server, concat(ch, earlyRecords(3, 1000, 1)));
    expect(p.server.error).toBeNull();
    await pump(p.client, p.server);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    p.client.write(enc('after 0-RTT'));
    await pump(p.client, p.server);
    expect(dec(readAll(p.server))).toBe('after 0-RTT');
  });

  it('skipping stops at maxSkippedEarlyData → BadRecordMac', async () => {
    const p = setup(withTestHooks({}, { clientHello: withEarlyData }), { maxSkippedEarlyData: 4000 });
    const ch = await firstFlight(p.client);
    await deliver(p.server, concat(ch, earlyRecords(5, 1000, 7)));
    expectFailed(p.server, 'BadRecordMac', 'bad_record_mac');
  });

  it('without early_data in the ClientHello, the first undecryptable record is bad_record_mac', async () => {
    const p = setup();
    const ch = await firstFlight(p.client);
    await deliver(p.server, concat(ch, earlyRecords(1, 100, 3)));
    expectFailed(p.server, 'BadRecordMac', 'bad_record_mac');
  });

  it('after a HelloRetryRequest, application_data records are skipped until the second ClientHello', async () => {
    const p = setup(withTestHooks({ keyShareGroups: ['x25519'] }, { clientHello: withEarlyData }), { groups: ['secp256r1'] });
    const ch = await firstFlight(p.client);
    await deliver(p.server, concat(ch, earlyRecords(2, 500, 11)));
    expect(p.server.error).toBeNull();
    await pump(p.client, p.server);
    expect(p.server.info.helloRetryRequest).toBe(true);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  });

  it('a second ClientHello that still offers early data → IllegalParameter', async () => {
    const both = (ch: ClientHello): ClientHello => ({ ...ch, extensions: { ...ch.extensions, earlyData: true } });
    const p = setup(withTestHooks({ keyShareGroups: ['x25519'] }, { clientHello: both }), { groups: ['secp256r1'] });
    await pump(p.client, p.server);
    expectFailed(p.server, 'IllegalParameter', 'illegal_parameter');
  });
});

describe('item 9: a message not allowed in the state is unexpected_message, whatever its body', () => {
  it('server waiting for ClientHello gets a Certificate with a garbage body → UnexpectedMessage', async () => {
    const { server } = setup();
    await deliver(server, encodeRecord(plain(ContentType.handshake, hsMessage(HandshakeType.certificate, new Uint8Array([0xff, 0xff, 0xff])))));
    expectFailed(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('server waiting for ClientHello gets a header announcing 16 MiB of Certificate → UnexpectedMessage, not decode_error', async () => {
    const { server } = setup();
    await deliver(server, encodeRecord(plain(ContentType.handshake, new Uint8Array([HandshakeType.certificate, 0xff, 0xff, 0xff, 0]))));
    expectFailed(server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('client waiting for ServerHello gets EncryptedExtensions with a malformed body → UnexpectedMessage', async () => {
    const { client } = setup();
    await firstFlight(client);
    await deliver(client, encodeRecord(plain(ContentType.handshake, hsMessage(HandshakeType.encrypted_extensions, new Uint8Array([0x00])))));
    expectFailed(client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('client waiting for EncryptedExtensions gets a malformed (encrypted) Finished → UnexpectedMessage', async () => {
    const p = setup({ cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    await deliver(p.server, await firstFlight(p.client));
    const recs = parseRecords(p.server.takeOutput()!);
    const sh = recs[0]!;
    const s = RawCipher.from(p.keys, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    await deliver(p.client, encodeRecords([sh, s.seal(ContentType.handshake, hsMessage(HandshakeType.finished, new Uint8Array(3)))]));
    expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a type that does not exist in TLS 1.3 after the handshake (ServerKeyExchange) → UnexpectedMessage', async () => {
    const p = await connected();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, hsMessage(HandshakeType.server_key_exchange, new Uint8Array([1])))]));
    expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('item 10: the second ClientHello must repeat the first (RFC 9846 §4.2.2)', () => {
  const hrrPair = (edit: (ch: ClientHello) => ClientHello): ReturnType<typeof setup> =>
    setup(withTestHooks({ keyShareGroups: ['x25519'], ALPNProtocols: ['h2', 'http/1.1'] }, { clientHello: secondHelloOnly(edit) }), { groups: ['secp256r1'] });

  const refused: [string, (ch: ClientHello) => ClientHello][] = [
    ['changed ALPN', (ch) => ({ ...ch, extensions: { ...ch.extensions, alpn: ['http/1.1'] } })],
    ['dropped server_name', (ch) => ({ ...ch, extensions: { ...ch.extensions, serverName: undefined } })],
    ['reordered cipher suites', (ch) => ({ ...ch, cipherSuites: [...ch.cipherSuites].reverse() })],
    ['an added unknown extension', (ch) => ({ ...ch, extensions: { ...ch.extensions, unknown: [...(ch.extensions.unknown ?? []), { type: 0x7a7a, data: new Uint8Array([1]) }] } })],
    ['changed legacy_version', (ch) => ({ ...ch, legacyVersion: 0x0302 })],
    ['changed signature_algorithms', (ch) => ({ ...ch, extensions: { ...ch.extensions, signatureAlgorithms: ch.extensions.signatureAlgorithms!.slice(1) } })],
    ['changed supported_groups order', (ch) => ({ ...ch, extensions: { ...ch.extensions, supportedGroups: [...ch.extensions.supportedGroups!].reverse() } })],
  ];
  for (const [what, edit] of refused) {
    it(`${what} → IllegalParameter`, async () => {
      const p = hrrPair(edit);
      await pump(p.client, p.server);
      expectFailed(p.server, 'IllegalParameter', 'illegal_parameter');
      expect(p.server.info.helloRetryRequest).toBe(true);
    });
  }

  it('the changes RFC 9846 allows (padding added) are accepted', async () => {
    const p = hrrPair((ch) => ({ ...ch, extensions: { ...ch.extensions, padding: 100 } }));
    await pump(p.client, p.server);
    expect(p.server.error).toBeNull();
    expect(p.server.handshakeComplete).toBe(true);
  });
});

describe('item 11: large ClientHellos (post-quantum shares, many extensions)', () => {
  /** Pads the ClientHello past 64 KiB: 20,000 unknown suites and a 30 KB unknown extension. */
  const huge = firstHelloOnly((ch) => ({
    ...ch,
    cipherSuites: [...ch.cipherSuites, ...Array.from({ length: 20000 }, (_, i) => 0x0a0a + ((i * 0x1010) % 0xf000))].slice(0, 0x7fff),
    extensions: { ...ch.extensions, unknown: [...(ch.extensions.unknown ?? []), { type: 0x3a3a, data: new Uint8Array(30000) }] },
  }));

  it('a 70 KB ClientHello over several records is accepted by default', async () => {
    const p = setup(withTestHooks({}, { clientHello: huge }));
    const ch = await firstFlight(p.client);
    expect(ch.length).toBeGreaterThan(65536 + 4);
    expect(parseRecords(ch).length).toBeGreaterThan(4);
    await deliver(p.server, ch);
    await pump(p.client, p.server);
    expect(p.server.error).toBeNull();
    expect(p.client.error).toBeNull();
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  });

  it('maxClientHelloSize lowers the limit → DecodeError', async () => {
    const p = setup(withTestHooks({}, { clientHello: huge }), { maxClientHelloSize: 65536 });
    await pump(p.client, p.server);
    expectFailed(p.server, 'DecodeError', 'decode_error');
  });

  it('other messages keep maxHandshakeMessageSize: a client refuses a 70 KB server message header → DecodeError', async () => {
    const { client } = setup();
    await firstFlight(client);
    await deliver(client, encodeRecord(plain(ContentType.handshake, new Uint8Array([HandshakeType.server_hello, 0x01, 0x10, 0x00, 3]))));
    expectFailed(client, 'DecodeError', 'decode_error');
  });
});

describe('item 13: ticket_age_add from a random source that returns views', () => {
  it('reads the four bytes it was given, not the underlying buffer', async () => {
    const outputs: Uint8Array[] = [];
    const base = seededRandom(42);
    const random = (n: number): Uint8Array => {
      const b = new Uint8Array(n + 4).fill(0xaa);
      b.set(base(n), 4);
      const v = b.subarray(4);
      outputs.push(v);
      return v;
    };
    const p = await connected({}, { random, sessionTickets: 2 });
    p.server.write(enc('x'));
    await pump(p.client, p.server);
    readAll(p.client);
    expect(p.client.tickets.length).toBe(2);
    const candidates = new Set(outputs.filter((o) => o.length === 4).map((o) => ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0));
    for (const t of p.client.tickets) {
      expect(t.ageAdd).not.toBe(0xaaaaaaaa);
      expect(candidates.has(t.ageAdd)).toBe(true);
    }
  });
});

describe('item 1 (engine side): a checkServerIdentity hook never means "no name check"', () => {
  it('with the hook and no servername (InvalidName not ignored) the client refuses to start', () => {
    expect(() => TlsConnection.client({ ca: pki.caCertPem, checkServerIdentity: () => undefined })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
  });

  it('with the hook, no servername and only Untrusted ignored, the missing name is still reported → CertificateInvalidName', async () => {
    const p = setup({ servername: undefined, ignorableCertificateErrors: ['InvalidName'], checkServerIdentity: () => undefined });
    await pump(p.client, p.server);
    expect(p.client.handshakeComplete).toBe(true);
    expect(p.client.info.certificateErrors.map((e) => e.code)).toContain('InvalidName');
    // A custom verifier that finds nothing wrong (it is given no name): the hook path must still report the missing name.
    const verifier = { verify: async (r: VerifyRequest) => ({ errors: [], severity: 'none' as const, leafPublicKey: nobleProvider.parsePublicKey(parseCertificate(r.certificates[0]!).spki) }) };
    const strict = setup({ servername: undefined, ignorableCertificateErrors: ['Untrusted'], checkServerIdentity: () => undefined, verifier });
    await pump(strict.client, strict.server);
    expectFailed(strict.client, 'CertificateInvalidName', 'bad_certificate');
  });
});

describe('hostile input never costs more than its size', () => {
  it('alerts of every kind in plaintext before any keys are reported or refused with a TlsError', async () => {
    for (let d = 0; d < 256; d += 17) {
      const { server } = setup();
      await deliver(server, encodeRecord(plain(ContentType.alert, new Uint8Array([2, d]))));
      expect(server.error).toBeInstanceOf(TlsError);
    }
  });

  it('a peer sending data past our read high-water mark is held back, not buffered without bound', async () => {
    const p = await connected();
    const big = payload(1 << 20, 5);
    p.server.write(big);
    await p.server.settled(); // every record sealed (at once unless the AEAD is async)
    const out = p.server.takeOutput()!;
    let off = 0;
    for (let i = 0; i < 200 && off < out.length; i++) {
      const n = p.client.receive(out.subarray(off));
      off += n;
      await p.client.process();
      expect(p.client.bufferedBytes).toBeLessThanOrEqual(256 * 1024 + 20000);
      if (n === 0) break;
    }
    expect(off).toBeLessThan(out.length); // held back: nobody read
    const got = readAll(p.client);
    expect(got.length).toBeGreaterThan(0);
    expect(sameBytes(got, big.subarray(0, got.length))).toBe(true);
  });
});
