/**
 * Adversarial campaign 4, part 2: a hostile client (or someone who recorded a client's first
 * flight) against our TLS 1.3 server's resumption and 0-RTT (src/handshake/server-psk.ts,
 * server-hello.ts, server-tls13.ts, src/session/replay.ts), in memory.
 *
 * The existing tests (test/session/resume13, early13, replay) cover one config; here the
 * attacks go across configs and through crafted ClientHellos: a recorded 0-RTT flight
 * replayed after the Node server's `setSecureContext` (certificate rotation keeps the ticket
 * keys, RFC 9846 §8), PSK offers built by hand (identities, binders, modes, extensions a PSK
 * client may leave out, RFC 9846 §9.2), and EndOfEarlyData at the wrong place (§5.1, §4.6.1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig } from '../../src/engine/setup.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { MemoryReplayRegister } from '../../src/session/replay.js';
import * as pure from '../../src/transport/node.js';
import { pump, readAll } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { withTestHooks } from '../../src/testing/hooks.js';
import { KeyLog, RawCipher, concat, decodeMsg, deliver, encodeMsg, encodeRecord, hsMessage, parseRecords } from '../helpers/mitm.js';
import { sameBytes } from '../helpers/bytes.js';
import fc from 'fast-check';
import { expectFailed } from '../helpers/hostile-peer.js';
import { TlsError } from '../../src/base/errors.js';
import { tls13Suite } from '../../src/crypto/suites.js';
import { CipherSuite, ContentType, HandshakeType } from '../../src/wire/codes.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string => (b ? new TextDecoder().decode(b) : '');

/** A client config with a session store, and a recorded first flight with 0-RTT `early` for a ticket of `server`. */
async function recordedEarlyFlight(server: () => pure.ServerConfig, early: string): Promise<Uint8Array> {
  const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore() });
  const first = TlsConnection.client(cc, { servername: 'localhost' });
  const s0 = TlsConnection.server(server());
  await pump(first, s0);
  expect(first.handshakeComplete).toBe(true);
  const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: enc(early) });
  await client.start();
  return client.takeOutput()!;
}

/** What a fresh connection of `config` does with `flight`: the early data it delivers. */
async function playTo(config: pure.ServerConfig, flight: Uint8Array): Promise<{ early: string; conn: TlsConnection }> {
  const conn = TlsConnection.server(config);
  conn.receive(flight.slice());
  await conn.process().catch(() => undefined);
  return { early: dec(conn.read()), conn };
}

describe('campaign4: a recorded 0-RTT flight replayed across configs (RFC 9846 §8)', () => {
  it('control: replayed to the same config, the early data is refused', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024 });
    const flight = await recordedEarlyFlight(() => sc, 'transfer $100');
    expect((await playTo(sc, flight)).early).toBe('transfer $100');
    const again = await playTo(sc, flight);
    expect(again.early).toBe('');
    expect(again.conn.info.earlyData).toBe('rejected');
  });

  it('Node server: after setSecureContext (certificate rotation, ticket keys kept), the replay is still refused', async () => {
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024 });
    const flight = await recordedEarlyFlight(() => server.secureContext, 'transfer $100');
    expect((await playTo(server.secureContext, flight)).early).toBe('transfer $100');
    // The operator rotates the certificate; clients keep resuming (the ticket keys survive, as in Node).
    server.setSecureContext({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024 });
    const replay = await playTo(server.secureContext, flight);
    expect(replay.conn.info.resumed, 'the ticket still opens').toBe(true);
    expect(replay.early, 'the recorded early data was accepted a second time').toBe('');
  });

  it('two configs sharing ticket keys and a register: the replay to the other one is refused', async () => {
    const register = new MemoryReplayRegister();
    const a = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, replayRegister: register });
    const b = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, replayRegister: register, ticketKeys: pure.createServer({ secureContext: a }).getTicketKeys() });
    const flight = await recordedEarlyFlight(() => a, 'once');
    expect((await playTo(a, flight)).early).toBe('once');
    const replay = await playTo(b, flight);
    expect(replay.conn.info.resumed).toBe(true);
    expect(replay.early).toBe('');
  });
});

/**
 * 0-RTT accepted, then the client's early epoch bent by hand: the real ClientHello (and its
 * compatibility ChangeCipherSpec), then records sealed by us under the client's early traffic
 * key (RFC 9846 §4.3.10, §7.3), in place of the client's own early records.
 */
describe('campaign4: the early epoch of an accepted 0-RTT (RFC 9846 §4.3.10, §4.6.1, §5.1)', () => {
  const AES128 = 'TLS_AES_128_GCM_SHA256';

  /** A server that accepted 0-RTT from a real ClientHello; `seal` seals records under the client's early key. */
  async function acceptedEarly(): Promise<{ server: TlsConnection; client: TlsConnection; hello: Uint8Array; ccs: Uint8Array | null; seal: (type: number, content: Uint8Array) => Uint8Array; clientOwn: Uint8Array }> {
    const keys = new KeyLog();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore(), cipherSuites: [AES128], keyLog: keys.fn });
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, cipherSuites: [AES128], keyLog: keys.fn });
    const c0 = TlsConnection.client(cc, { servername: 'localhost' });
    const s0 = TlsConnection.server(sc);
    await pump(c0, s0);
    expect(c0.handshakeComplete).toBe(true);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: enc('early') });
    await client.start();
    const flight = client.takeOutput()!;
    const recs = parseRecords(flight);
    const hello = encodeRecord(recs[0]!);
    const ccsRec = recs.find((r) => r.type === ContentType.change_cipher_spec);
    const cipher = new RawCipher(tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)!, keys.get('CLIENT_EARLY_TRAFFIC_SECRET'));
    const seal = (type: number, content: Uint8Array): Uint8Array => encodeRecord(cipher.seal(type, content));
    const server = TlsConnection.server(sc);
    return { server, client, hello, ccs: ccsRec ? encodeRecord(ccsRec) : null, seal, clientOwn: flight };
  }

  const EOED = hsMessage(HandshakeType.end_of_early_data, new Uint8Array(0));

  async function feedServer(server: TlsConnection, ...parts: (Uint8Array | null)[]): Promise<void> {
    await deliver(server, concat(...parts.filter((p): p is Uint8Array => p !== null)));
  }

  it('control: early data then EndOfEarlyData, each in its own record: accepted, the server waits for the Finished', async () => {
    const a = await acceptedEarly();
    await feedServer(a.server, a.hello, a.ccs, a.seal(ContentType.application_data, enc('hi')), a.seal(ContentType.handshake, EOED));
    expect(a.server.error).toBeNull();
    expect(a.server.info.earlyData).toBe('accepted');
    expect(dec(a.server.read())).toBe('hi');
  });

  it('EndOfEarlyData and more handshake bytes in one record (they span the key change) → UnexpectedMessage/unexpected_message', async () => {
    const a = await acceptedEarly();
    await feedServer(a.server, a.hello, a.ccs, a.seal(ContentType.handshake, concat(EOED, hsMessage(HandshakeType.finished, new Uint8Array(32)))));
    expectFailed(a.server, 'UnexpectedMessage', 'unexpected_message');
  });

  for (const [what, msg] of [
    ['a Finished', hsMessage(HandshakeType.finished, new Uint8Array(32))],
    ['a Certificate', hsMessage(HandshakeType.certificate, new Uint8Array([0, 0, 0, 0]))],
    ['a KeyUpdate', hsMessage(HandshakeType.key_update, new Uint8Array([0]))],
    ['a second ClientHello', hsMessage(HandshakeType.client_hello, new Uint8Array(40))],
  ] as const) {
    it(`${what} under the early key instead of EndOfEarlyData → UnexpectedMessage/unexpected_message`, async () => {
      const a = await acceptedEarly();
      await feedServer(a.server, a.hello, a.ccs, a.seal(ContentType.application_data, enc('hi')), a.seal(ContentType.handshake, msg));
      expectFailed(a.server, 'UnexpectedMessage', 'unexpected_message');
    });
  }

  it('early data sealed after EndOfEarlyData (still under the early key) → BadRecordMac/bad_record_mac (the handshake key is in force)', async () => {
    const a = await acceptedEarly();
    await feedServer(a.server, a.hello, a.ccs, a.seal(ContentType.handshake, EOED), a.seal(ContentType.application_data, enc('late')));
    expectFailed(a.server, 'BadRecordMac', 'bad_record_mac');
    expect(dec(a.server.read())).toBe('');
  });

  it('early data exactly at max_early_data_size over many records is taken; one byte more → UnexpectedMessage', async () => {
    const a = await acceptedEarly();
    const recs = Array.from({ length: 8 }, () => a.seal(ContentType.application_data, new Uint8Array(128)));
    await feedServer(a.server, a.hello, a.ccs, ...recs);
    expect(a.server.error).toBeNull();
    expect(a.server.earlyDataLength).toBe(1024);
    await feedServer(a.server, a.seal(ContentType.application_data, new Uint8Array(1)));
    expectFailed(a.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('empty application_data records under the early key are not a way around the empty-record cap', async () => {
    const a = await acceptedEarly();
    const recs = Array.from({ length: 200 }, () => a.seal(ContentType.application_data, new Uint8Array(0)));
    await feedServer(a.server, a.hello, a.ccs, ...recs);
    expectFailed(a.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('an alert under the early key: close_notify ends the connection without an uncaught error; a fatal alert is AlertReceived', async () => {
    const a = await acceptedEarly();
    await feedServer(a.server, a.hello, a.ccs, a.seal(ContentType.application_data, enc('hi')), a.seal(ContentType.alert, new Uint8Array([1, 0])));
    expect(a.server.error === null || a.server.error instanceof TlsError).toBe(true);
    const b = await acceptedEarly();
    await feedServer(b.server, b.hello, b.ccs, b.seal(ContentType.alert, new Uint8Array([2, 40])));
    expect(b.server.error?.status).toBe('AlertReceived');
  });

  it('the compatibility ChangeCipherSpec between early records (RFC 9846 §5: dropped at any time before the Finished): the real handshake completes, early data once', async () => {
    const a = await acceptedEarly();
    const recs = parseRecords(a.clientOwn);
    const ccsAt = recs.findIndex((r) => r.type === ContentType.change_cipher_spec);
    expect(ccsAt).toBe(1);
    const moved = [recs[0]!, recs[2]!, recs[1]!, ...recs.slice(3)];
    await deliver(a.server, concat(...moved.map((r) => encodeRecord(r))));
    await pump(a.client, a.server);
    expect(a.server.error).toBeNull();
    expect(a.client.handshakeComplete && a.server.handshakeComplete).toBe(true);
    expect(dec(readAll(a.server))).toBe('early');
  });
});

describe('campaign4: 0-RTT under a ticket from a more generous config', () => {
  it('a ticket that allowed 64 KiB of early data, presented after maxEarlyData was lowered to 1 KiB: 0-RTT refused (skipped), the handshake completes, the data arrives after it', async () => {
    const register = new MemoryReplayRegister();
    const generous = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 65536, replayRegister: register });
    const keys = pure.createServer({ secureContext: generous }).getTicketKeys();
    const strict = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, replayRegister: register, ticketKeys: keys });
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore() });
    const c0 = TlsConnection.client(cc, { servername: 'localhost' });
    await pump(c0, TlsConnection.server(generous));
    // 30 KB early: what the ticket allows, far more than the strict server takes now.
    const big = new Uint8Array(30_000).fill(0x41);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: big });
    const server = TlsConnection.server(strict);
    await pump(client, server).catch(() => undefined);
    expect(server.error).toBeNull();
    expect(client.error).toBeNull();
    expect(server.info.resumed).toBe(true);
    expect(server.info.earlyData, 'accepted 30 KB of replayable early data over the configured 1 KiB').toBe('rejected');
    expect(readAll(server).length).toBe(30_000);
  });
});

/**
 * RFC 9846 §9.2: "If not containing a "pre_shared_key" extension, it MUST contain both a
 * "signature_algorithms" extension and a "supported_groups" extension. If containing a
 * "supported_groups" extension, it MUST also contain a "key_share" extension, and vice versa."
 * A psk_ke-only client (RFC 9846 §4.3.9) may therefore send none of the three.
 */
describe('campaign4: a PSK ClientHello without signature_algorithms, supported_groups and key_share (RFC 9846 §9.2)', () => {
  const bare = { clientHello: (ch: import('../../src/wire/messages.js').ClientHello) => {
    const { signatureAlgorithms: _s, supportedGroups: _g, keyShare: _k, ...rest } = ch.extensions;
    return { ...ch, extensions: rest };
  } };

  async function resumeBare(serverAllowsPskKe: boolean, withTicket = true): Promise<{ client: TlsConnection; server: TlsConnection }> {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, allowPskKe: serverAllowsPskKe });
    const store = new MemorySessionStore();
    if (withTicket) await pump(TlsConnection.client(createClientConfig({ ca: pki.caCertPem, sessionStore: store, allowPskKe: true }), { servername: 'localhost' }), TlsConnection.server(sc));
    const cc = createClientConfig(withTestHooks({ ca: pki.caCertPem, sessionStore: store, allowPskKe: true }, bare));
    const client = TlsConnection.client(cc, { servername: 'localhost' });
    const server = TlsConnection.server(sc);
    await pump(client, server).catch(() => undefined);
    return { client, server };
  }

  it('a server that allows psk_ke resumes it (no key share, nothing signed)', async () => {
    const { client, server } = await resumeBare(true);
    expect(server.error).toBeNull();
    expect(client.error).toBeNull();
    expect(server.info.resumed).toBe(true);
    expect(server.info.group ?? null).toBeNull();
  });

  it('a server that does not allow psk_ke cannot resume nor do a full handshake → MissingExtension/missing_extension', async () => {
    const { server } = await resumeBare(false);
    expectFailed(server, 'MissingExtension', 'missing_extension');
  });

  it('no ticket at all (nothing to resume): MissingExtension/missing_extension, as before', async () => {
    const { server } = await resumeBare(true, false);
    expectFailed(server, 'MissingExtension', 'missing_extension');
  });
});

/**
 * A recorded resumption ClientHello (a real ticket, a correct binder) with its
 * pre_shared_key bent at random: identities duplicated, reordered, replaced by junk or
 * multiplied, binders truncated, swapped or flipped, ages changed, psk_key_exchange_modes
 * changed. Whatever the server decides, it is one of: resumed with the identity whose binder
 * verified, a full handshake, or a TlsError with its alert (decrypt_error for a bad binder on
 * the identity it chose, RFC 9846 §4.3.11.2) — never another exception, never resumed with
 * an identity other than the real ticket.
 */
describe('campaign4: pre_shared_key bent at random', () => {
  it('property: resumed with the real ticket, a full handshake, or a TlsError; nothing else', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, allowPskKe: true });
    const store = new MemorySessionStore({ maxPerKey: 64, maxSessions: 64 });
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: store });
    const flights: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      if (store.size === 0) await pump(TlsConnection.client(cc, { servername: 'localhost' }), TlsConnection.server(sc));
      const c = TlsConnection.client(cc, { servername: 'localhost' });
      await c.start();
      flights.push(c.takeOutput()!);
    }
    const helloOf = (f: Uint8Array) => decodeMsg(parseRecords(f)[0]!.fragment, 'client_hello');
    const realTickets = flights.map((f) => helloOf(f).extensions.preSharedKey?.identities[0]?.identity).filter((t): t is Uint8Array => t !== undefined);
    expect(realTickets.length).toBe(40);
    const op = fc.oneof(
      fc.record({ k: fc.constant('dup' as const), i: fc.nat(7) }),
      fc.record({ k: fc.constant('swap' as const), i: fc.nat(7), j: fc.nat(7) }),
      fc.record({ k: fc.constant('junk' as const), n: fc.integer({ min: 1, max: 40 }), len: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ k: fc.constant('truncBinder' as const), i: fc.nat(7), len: fc.integer({ min: 32, max: 47 }) }),
      fc.record({ k: fc.constant('flipBinder' as const), i: fc.nat(7), at: fc.nat(47) }),
      fc.record({ k: fc.constant('age' as const), i: fc.nat(7), age: fc.nat(0xffffffff) }),
      fc.record({ k: fc.constant('modes' as const), modes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }) }),
      fc.record({ k: fc.constant('other' as const), i: fc.nat(39) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(39), fc.array(op, { minLength: 1, maxLength: 5 }), async (which, ops) => {
        const ch = helloOf(flights[which]!);
        let ids = [...ch.extensions.preSharedKey!.identities];
        let binders = [...ch.extensions.preSharedKey!.binders];
        let modes = ch.extensions.pskKeyExchangeModes;
        for (const o of ops) {
          const n = ids.length;
          if (o.k === 'dup') { ids.push(ids[o.i % n]!); binders.push(binders[o.i % n]!); }
          else if (o.k === 'swap') { const [a, b] = [o.i % n, o.j % n]; [ids[a], ids[b]] = [ids[b]!, ids[a]!]; [binders[a], binders[b]] = [binders[b]!, binders[a]!]; }
          else if (o.k === 'junk') { for (let x = 0; x < o.n; x++) { ids.push({ identity: new Uint8Array(o.len).fill(x), obfuscatedTicketAge: x }); binders.push(new Uint8Array(32).fill(x)); } }
          else if (o.k === 'truncBinder') binders[o.i % n] = binders[o.i % n]!.slice(0, o.len);
          else if (o.k === 'flipBinder') { const b = binders[o.i % n]!.slice(); b[o.at % b.length]! ^= 1; binders[o.i % n] = b; }
          else if (o.k === 'age') ids[o.i % n] = { ...ids[o.i % n]!, obfuscatedTicketAge: o.age };
          else if (o.k === 'modes') modes = o.modes;
          else if (o.k === 'other') { ids.push(helloOf(flights[o.i]!).extensions.preSharedKey!.identities[0]!); binders.push(helloOf(flights[o.i]!).extensions.preSharedKey!.binders[0]!); }
        }
        ids = ids.slice(0, 200);
        binders = binders.slice(0, 200);
        const bent = { ...ch, extensions: { ...ch.extensions, pskKeyExchangeModes: modes, preSharedKey: { identities: ids, binders } } };
        const rest = parseRecords(flights[which]!).slice(1).map((r) => encodeRecord(r));
        let raw: Uint8Array;
        try {
          raw = encodeMsg(bent);
        } catch {
          return; // our encoder refuses to write it (e.g. no modes at all): not a case
        }
        const server = TlsConnection.server(sc);
        let thrown: unknown = null;
        try {
          const records: Uint8Array[] = [];
          for (let at = 0; at < raw.length; at += 16384) records.push(encodeRecord({ type: ContentType.handshake, version: 0x0301, fragment: raw.subarray(at, at + 16384) }));
          await deliver(server, concat(...records, ...rest));
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toBeNull();
        const e = server.error;
        if (e !== null) {
          expect(e).toBeInstanceOf(TlsError);
          expect(['DecryptError', 'IllegalParameter', 'DecodeError', 'MissingExtension']).toContain(e.status);
        } else if (server.info.resumed) {
          // Only the real ticket with its own binder can resume: the first valid identity tried.
          expect(realTickets.some((t) => ids.some((id) => id.identity === t || sameBytes(id.identity, t)))).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
