/**
 * Campaign 7 (a hostile peer on a long-lived connection): handshake messages after the
 * handshake, both versions, both roles — what bad-input.test.ts and tls12-renegotiation.test.ts
 * do not already cover.
 *
 * - TLS 1.3: the messages a client must never send after its Finished (CertificateRequest,
 *   Certificate, CertificateVerify, EndOfEarlyData, message_hash, an unknown type) →
 *   unexpected_message at our server; a NewSessionTicket fragmented over records (allowed)
 *   and with another record between its fragments (RFC 9846 §5.1: never);
 *   a large ticket trickled a byte per record (memory stays within the message limit).
 * - TLS 1.2: HelloRequest fragmented (still a HelloRequest), interleaved with data or an empty
 *   record (unexpected_message), announcing a body (decode_error at the header, nothing
 *   buffered); a server that goes on renegotiating after our no_renegotiation; a client
 *   that does; empty-record floods.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription } from '../../src/base/errors.js';
import { FaultPipe, readAll } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { KeyLog, RawCipher, deliver, encodeRecords, firstFlight, hsMessage, parseRecords } from '../helpers/mitm.js';
import { Relay12 } from '../helpers/tls12.js';
import { expectFailed, handshaken, keyLoggedPair, type KeyLoggedPair } from '../helpers/hostile-peer.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

async function connected13(): Promise<KeyLoggedPair> {
  return handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
}

/** A NewSessionTicket with a ticket of `ticketLength` bytes (RFC 9846 §4.7.1). */
function nst(ticketLength = 4, nonce = 1): Uint8Array {
  const body = new Uint8Array(4 + 4 + 1 + 1 + 2 + ticketLength + 2);
  body.set([0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, nonce, ticketLength >> 8, ticketLength & 0xff]);
  body.fill(7, 12, 12 + ticketLength);
  return hsMessage(HandshakeType.new_session_ticket, body);
}

describe('TLS 1.3 after the handshake', () => {
  const fromClient: [string, Uint8Array][] = [
    ['CertificateRequest (§4.7.2: only a server sends it)', hsMessage(HandshakeType.certificate_request, new Uint8Array([0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3]))],
    ['Certificate (no post-handshake authentication was asked)', hsMessage(HandshakeType.certificate, new Uint8Array([0, 0, 0, 0]))],
    ['CertificateVerify', hsMessage(HandshakeType.certificate_verify, new Uint8Array([4, 3, 0, 2, 1, 2]))],
    ['EndOfEarlyData (§4.6)', hsMessage(HandshakeType.end_of_early_data, new Uint8Array(0))],
    ['message_hash (254: never sent on the wire)', hsMessage(HandshakeType.message_hash, new Uint8Array(32))],
    ['an unknown type (99)', hsMessage(99, new Uint8Array([1, 2, 3]))],
    ['HelloRequest (TLS 1.2 only)', hsMessage(HandshakeType.hello_request, new Uint8Array(0))],
  ];
  for (const [what, msg] of fromClient) {
    it(`our server gets ${what} → UnexpectedMessage/unexpected_message, alerted under its application key`, async () => {
      const p = await connected13();
      const c = RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0');
      await deliver(p.server, encodeRecords([c.seal(ContentType.handshake, msg)]));
      expectFailed(p.server, 'UnexpectedMessage', 'unexpected_message');
      const out = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0').open(parseRecords(p.server.takeOutput()!).at(-1)!);
      expect(out).toEqual({ type: ContentType.alert, content: new Uint8Array([2, AlertDescription.unexpected_message]) });
    });
  }

  it('client: a NewSessionTicket fragmented over four records is kept, and data after it flows', async () => {
    const p = await connected13();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const m = nst(200);
    await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, m.subarray(0, 1)), s.seal(ContentType.handshake, m.subarray(1, 3)), s.seal(ContentType.handshake, m.subarray(3, 100)), s.seal(ContentType.handshake, m.subarray(100)), s.seal(ContentType.application_data, new Uint8Array([1]))]));
    expect(p.client.error).toBeNull();
    expect(p.client.tickets.length).toBe(1);
    expect(p.client.tickets[0]!.ticket.length).toBe(200);
    expect(p.client.read()).toEqual(new Uint8Array([1]));
  });

  for (const [what, between] of [
    ['an empty application_data record', { type: ContentType.application_data, content: new Uint8Array(0) }],
    ['application data', { type: ContentType.application_data, content: new Uint8Array([1, 2]) }],
    ['user_canceled', { type: ContentType.alert, content: new Uint8Array([1, AlertDescription.user_canceled]) }],
  ] as const) {
    it(`client: ${what} between two fragments of a NewSessionTicket → UnexpectedMessage (RFC 9846 §5.1), no ticket, nothing delivered`, async () => {
      const p = await connected13();
      const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
      const m = nst(50);
      await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, m.subarray(0, 20)), s.seal(between.type, between.content), s.seal(ContentType.handshake, m.subarray(20))]));
      expectFailed(p.client, 'UnexpectedMessage', 'unexpected_message');
      expect(p.client.tickets.length).toBe(0);
      expect(p.client.read()).toBeNull();
    });
  }

  it('client with a session store: 1,000 tickets of 8 KB, each followed by a byte of data (the flood cap never trips): 8 sessions kept, memory flat, data intact', async () => {
    const sessions: unknown[] = [];
    const p = await handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'], onSession: (s: unknown) => sessions.push(s) } as never));
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const got: number[] = [];
    let peak = 0;
    for (let i = 0; i < 1000; i++) {
      await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, nst(8192, i & 0xff)), s.seal(ContentType.application_data, new Uint8Array([i & 0xff]))]));
      peak = Math.max(peak, p.client.bufferedBytes);
      const r = p.client.read();
      if (r) got.push(...r);
    }
    expect(p.client.error).toBeNull();
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    expect(p.client.tickets.length).toBe(8);
    expect(sessions.length).toBe(8);
    expect(peak).toBeLessThan(16 * 1024);
  });

  it('client: tickets with a lifetime of 0 are discarded (RFC 9846 §4.7.1), so eight of them first do not crowd out a usable one', async () => {
    const sessions: unknown[] = [];
    const p = await handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'], onSession: (s: unknown) => sessions.push(s) } as never));
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const dead = (i: number): Uint8Array => {
      const m = nst(10, i);
      m.set([0, 0, 0, 0], 4); // ticket_lifetime 0
      return m;
    };
    for (let i = 0; i < 8; i++) await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, dead(i))]));
    await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, nst(10, 99))]));
    expect(p.client.error).toBeNull();
    expect(p.client.tickets.map((t) => [t.lifetime, t.nonce[0]])).toEqual([[7200, 99]]);
    expect(sessions.length).toBe(1);
  });

  it('client: a 60 KB ticket trickled one byte per record costs at most its own size in buffers, and is kept', async () => {
    const p = await connected13();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const m = nst(60_000);
    let peak = 0;
    // Records of 1 byte, fed 64 at a time (a byte per record, as slow as a peer can go).
    for (let at = 0; at < m.length; at += 64) {
      const recs = [];
      for (let i = at; i < Math.min(at + 64, m.length); i++) recs.push(s.seal(ContentType.handshake, m.subarray(i, i + 1)));
      await deliver(p.client, encodeRecords(recs));
      peak = Math.max(peak, p.client.bufferedBytes);
      if (p.client.error) break;
    }
    expect(p.client.error).toBeNull();
    expect(peak).toBeLessThan(m.length + 2048);
    expect(p.client.tickets.length).toBe(1);
    expect(p.client.bufferedBytes).toBeLessThan(1024);
  }, 120_000);
});

describe('TLS 1.2 renegotiation attempts after the handshake', () => {
  interface Session {
    client: TlsConnection;
    server: TlsConnection;
    relay: Relay12;
    go: () => Promise<void>;
  }
  async function session(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Promise<Session> {
    const keys = new KeyLog();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn, ...c });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0, ...s });
    const relay = new Relay12(keys);
    const pipe = new FaultPipe(client, server, { tamper: relay.tamper, read: 'never' });
    await pipe.settle();
    return { client, server, relay, go: () => pipe.settle() };
  }
  const HELLO_REQUEST = hsMessage(HandshakeType.hello_request, new Uint8Array(0));
  const NO_RENEGOTIATION = [1, AlertDescription.no_renegotiation];

  it('client: a HelloRequest fragmented over two records is still a HelloRequest: one no_renegotiation warning, data flows', async () => {
    const x = await session();
    const mark = x.relay.log.c2s.length;
    await deliver(x.client, join([x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST.subarray(0, 2)), x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST.subarray(2))]));
    await x.go();
    expect(x.relay.since('c2s', mark).map((r) => [r.type, ...r.content])).toEqual([[ContentType.alert, ...NO_RENEGOTIATION]]);
    x.server.write(payload(100, 1));
    x.client.write(payload(100, 2));
    await x.go();
    expect([x.client.error, x.server.error]).toEqual([null, null]);
    expect(readAll(x.client)).toEqual(payload(100, 1));
    expect(readAll(x.server)).toEqual(payload(100, 2));
  });

  for (const [what, between] of [
    ['an empty application_data record', new Uint8Array(0)],
    ['application data', new Uint8Array([1])],
  ] as const) {
    it(`client: ${what} between the two halves of a HelloRequest → UnexpectedMessage/unexpected_message`, async () => {
      const x = await session();
      await deliver(x.client, join([x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST.subarray(0, 2)), x.relay.inject('s2c', ContentType.application_data, between), x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST.subarray(2))]));
      expectFailed(x.client, 'UnexpectedMessage', 'unexpected_message');
      expect(x.client.read()).toBeNull();
    });
  }

  it('client: a HelloRequest announcing a 60 KiB body → DecodeError/decode_error at its header, nothing buffered for it', async () => {
    const x = await session();
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, hsMessage(HandshakeType.hello_request, new Uint8Array(0), 60 * 1024)));
    expectFailed(x.client, 'DecodeError', 'decode_error');
    expect(x.client.bufferedBytes).toBeLessThan(1024);
  });

  it('client, during its handshake: a HelloRequest announcing a body → DecodeError at the header (it is not one to ignore)', async () => {
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2' });
    await firstFlight(client);
    await deliver(client, encodeRecords([{ type: ContentType.handshake, version: 0x0303, fragment: hsMessage(HandshakeType.hello_request, new Uint8Array(100), 60 * 1024) }]));
    expectFailed(client, 'DecodeError', 'decode_error');
    expect(client.bufferedBytes).toBeLessThan(1024);
  });

  it('client: the server renegotiates anyway after our no_renegotiation (a ServerHello follows) → UnexpectedMessage', async () => {
    const x = await session();
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST));
    await x.go();
    // A ServerHello's worth of bytes: the state refuses the type before the body.
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, hsMessage(HandshakeType.server_hello, new Uint8Array(70))));
    expectFailed(x.client, 'UnexpectedMessage', 'unexpected_message');
  });

  for (const [what, type] of [
    ['ClientKeyExchange', HandshakeType.client_key_exchange],
    ['Certificate', HandshakeType.certificate],
    ['Finished', HandshakeType.finished],
  ] as const) {
    it(`server: after our no_renegotiation the client goes on with a ${what} → UnexpectedMessage`, async () => {
      const x = await session();
      const fresh = TlsConnection.client({ servername: 'localhost', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
      const ch = parseRecords(await firstFlight(fresh))[0]!.fragment;
      await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, ch));
      await x.go();
      expect(x.server.error).toBeNull();
      await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, hsMessage(type, new Uint8Array(12))));
      expectFailed(x.server, 'UnexpectedMessage', 'unexpected_message');
    });
  }

  it('server: a renegotiation ClientHello with application data between its fragments → UnexpectedMessage', async () => {
    const x = await session();
    const fresh = TlsConnection.client({ servername: 'localhost', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
    const ch = parseRecords(await firstFlight(fresh))[0]!.fragment;
    await deliver(x.server, join([x.relay.inject('c2s', ContentType.handshake, ch.subarray(0, 40)), x.relay.inject('c2s', ContentType.application_data, new Uint8Array([5])), x.relay.inject('c2s', ContentType.handshake, ch.subarray(40))]));
    expectFailed(x.server, 'UnexpectedMessage', 'unexpected_message');
    expect(x.server.read()).toBeNull();
  });

  it('server: a renegotiation ClientHello that cannot be parsed → DecodeError/decode_error', async () => {
    const x = await session();
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, hsMessage(HandshakeType.client_hello, new Uint8Array([3, 3, 1, 2]))));
    expectFailed(x.server, 'DecodeError', 'decode_error');
  });

  it('both roles: empty application_data records are capped (33rd in a row fails) and reset by data', async () => {
    for (const dir of ['s2c', 'c2s'] as const) {
      const x = await session();
      const victim = dir === 's2c' ? x.client : x.server;
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 32; i++) await deliver(victim, x.relay.inject(dir, ContentType.application_data, new Uint8Array(0)));
        await deliver(victim, x.relay.inject(dir, ContentType.application_data, new Uint8Array([round])));
        expect(victim.error).toBeNull();
        expect(victim.read()).toEqual(new Uint8Array([round]));
      }
      for (let i = 0; i < 33 && !victim.error; i++) await deliver(victim, x.relay.inject(dir, ContentType.application_data, new Uint8Array(0)));
      expectFailed(victim, 'UnexpectedMessage', 'unexpected_message');
      expect(victim.bufferedBytes).toBeLessThan(1024);
    }
  });
});

describe('a long-lived TLS 1.2 and TLS 1.3 connection carries on after refused post-handshake traffic', () => {
  it('TLS 1.2: a HelloRequest between bulk transfers both ways: every byte arrives, in order', async () => {
    const keys = new KeyLog();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0 });
    const relay = new Relay12(keys);
    const pipe = new FaultPipe(client, server, { tamper: relay.tamper, read: 'always', chunk: { seed: 7 } });
    await pipe.settle();
    const a = payload(300_000, 3);
    const b = payload(200_000, 4);
    client.write(a.subarray(0, 150_000));
    server.write(b.subarray(0, 100_000));
    await pipe.settle();
    await deliver(client, relay.inject('s2c', ContentType.handshake, hsMessage(HandshakeType.hello_request, new Uint8Array(0))));
    client.write(a.subarray(150_000));
    server.write(b.subarray(100_000));
    await pipe.settle();
    expect([client.error, server.error]).toEqual([null, null]);
    expect(sameBytes(pipe.received('server'), a)).toBe(true);
    expect(sameBytes(pipe.received('client'), b)).toBe(true);
  });
});
