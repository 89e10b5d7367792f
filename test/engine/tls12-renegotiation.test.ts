/**
 * Renegotiation is refused in both roles (issue 3, scope 5):
 *
 * - RFC 5246 §7.4.1.1: a client that does not wish to renegotiate may ignore HelloRequest
 *   "or the client may, if it wishes, respond with a no_renegotiation alert"; during a
 *   handshake HelloRequest "will be ignored by the client" and is not hashed.
 * - RFC 5246 §7.2.2: no_renegotiation is "sent by the client in response to a hello
 *   request or by the server in response to a client hello after initial handshaking",
 *   and "is always a warning".
 * - RFC 5746 §4.2 / §4.4: whoever declines may answer no_renegotiation; a peer that insists
 *   is then closed cleanly (close_notify, RFC 5246 §7.2.1) rather than renegotiated with.
 *
 * The requests are injected as protected records after the handshake by a relay
 * (test/helpers/tls12.ts `Relay12`) that derives the record keys from the `CLIENT_RANDOM`
 * key-log line and re-encrypts the rest of the session around the injected records, so
 * the sequence numbers stay right and data keeps flowing afterwards.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions, TraceEvent } from '../../src/config/config.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { KeyLog, concat, deliver, firstFlight, hsMessage, parseRecords } from '../helpers/mitm.js';
import { Relay12, handshakeMessages, handshakeRecords } from '../helpers/tls12.js';
import { FaultPipe, readAll, type Tamper } from '../../src/testing/index.js';
import { payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const HELLO_REQUEST = hsMessage(HandshakeType.hello_request, new Uint8Array(0));
const NO_RENEGOTIATION = { type: ContentType.alert, content: new Uint8Array([1, AlertDescription.no_renegotiation]), protected: true };
const CLOSE_NOTIFY = { type: ContentType.alert, content: new Uint8Array([1, AlertDescription.close_notify]), protected: true };

interface Session {
  client: TlsConnection;
  server: TlsConnection;
  relay: Relay12;
  traces: { client: TraceEvent[]; server: TraceEvent[] };
  /** Runs both sides (through the relay) until quiet. */
  go: () => Promise<void>;
}

async function session(c: ClientOptions = {}, s: Partial<ServerOptions> = {}, wrap?: (relay: Relay12) => Tamper): Promise<Session> {
  const keys = new KeyLog();
  const traces = { client: [] as TraceEvent[], server: [] as TraceEvent[] };
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn, trace: (e) => traces.client.push(e), ...c });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, trace: (e) => traces.server.push(e), ...s });
  const relay = new Relay12(keys);
  const tamper = wrap ? wrap(relay) : relay.tamper;
  // The test reads; each run processes both sides first, as the relay's records arrive.
  const pipe = new FaultPipe(client, server, { tamper, read: 'never' });
  const go = (): Promise<void> => pipe.settle();
  await go();
  return { client, server, relay, traces, go };
}

function expectOpen(...conns: TlsConnection[]): void {
  for (const c of conns) {
    if (c.error) throw new Error(`unexpected ${c.role} error: ${c.error.status} ${c.error.detail ?? ''}`);
    expect(c.phase).toBe('open');
  }
}

/** Data both ways, through the relay; returns when both sides have read it. */
async function exchange(x: Session, seed: number): Promise<void> {
  const a = payload(5000, seed);
  const b = payload(300, seed + 1);
  x.client.write(a);
  x.server.write(b);
  await x.go();
  expect(sameBytes(readAll(x.server), a)).toBe(true);
  expect(sameBytes(readAll(x.client), b)).toBe(true);
}

/** A ClientHello as a client would send it to renegotiate (the bytes of a fresh TLS 1.2 ClientHello). */
async function renegotiationClientHello(): Promise<Uint8Array> {
  const fresh = TlsConnection.client({ servername: 'localhost', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
  return parseRecords(await firstFlight(fresh))[0]!.fragment;
}

describe('the server asks to renegotiate (HelloRequest after the handshake)', () => {
  it('our client answers with a warning no_renegotiation alert, and data keeps flowing both ways', async () => {
    const x = await session();
    expectOpen(x.client, x.server);
    await exchange(x, 1);
    const mark = x.relay.log.c2s.length;
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST));
    await x.go();
    // Exactly one record came back: the warning, protected under the client's keys.
    expect(x.relay.since('c2s', mark)).toEqual([NO_RENEGOTIATION]);
    // The server takes the warning in its stride (RFC 5246 §7.2: warnings do not end the connection).
    expectOpen(x.client, x.server);
    await exchange(x, 2);
    expect(x.traces.client.some((e) => e.summary.includes('HelloRequest (renegotiation refused)'))).toBe(true);
  });

  it('a second HelloRequest: our client closes cleanly with close_notify instead of renegotiating', async () => {
    const x = await session();
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST));
    await x.go();
    await exchange(x, 3);
    // Data the server sent before insisting still arrives.
    x.server.write(payload(100, 4));
    await x.go();
    const mark = x.relay.log.c2s.length;
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, HELLO_REQUEST));
    await x.go();
    expect(x.relay.since('c2s', mark)).toEqual([CLOSE_NOTIFY]);
    expect(x.client.error).toBeNull();
    expect(x.client.phase).toBe('closed');
    expect(sameBytes(readAll(x.client), payload(100, 4))).toBe(true);
    expect(() => x.client.write(new Uint8Array([1]))).toThrow(TlsError);
    // The server sees an orderly close, not an error.
    expect(x.server.error).toBeNull();
    expect(x.server.phase).toBe('peer-closed');
    expect(x.server.readEnded).toBe(true);
    await expect(x.client.handshake()).resolves.toBeUndefined();
  });

  it('a HelloRequest with a body after the handshake → DecodeError/decode_error (RFC 5246 §7.4.1.1: struct {} HelloRequest)', async () => {
    const x = await session();
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, hsMessage(HandshakeType.hello_request, new Uint8Array([0]))));
    expect(x.client.error?.status).toBe('DecodeError');
    await x.go();
    expect(x.server.error?.status).toBe('AlertReceived');
    expect(x.server.error?.alert).toBe(AlertDescription.decode_error);
  });
});

describe('the client asks to renegotiate (ClientHello after the handshake)', () => {
  it('our server answers with a warning no_renegotiation alert, and data keeps flowing both ways', async () => {
    const x = await session();
    await exchange(x, 5);
    const mark = x.relay.log.s2c.length;
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, await renegotiationClientHello()));
    await x.go();
    expect(x.relay.since('s2c', mark)).toEqual([NO_RENEGOTIATION]);
    expectOpen(x.client, x.server);
    await exchange(x, 6);
    expect(x.traces.server.some((e) => e.summary.includes('ClientHello (renegotiation refused)'))).toBe(true);
  });

  it('a second ClientHello: our server closes cleanly with close_notify', async () => {
    const x = await session();
    const ch = await renegotiationClientHello();
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, ch));
    await x.go();
    await exchange(x, 7);
    const mark = x.relay.log.s2c.length;
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, ch));
    await x.go();
    expect(x.relay.since('s2c', mark)).toEqual([CLOSE_NOTIFY]);
    expect(x.server.error).toBeNull();
    expect(x.server.phase).toBe('closed');
    expect(x.client.error).toBeNull();
    expect(x.client.phase).toBe('peer-closed');
    expect(x.client.readEnded).toBe(true);
  });

  it('the same from a TLS 1.3-capable server that negotiated TLS 1.2', async () => {
    const x = await session({}, { maxVersion: 'TLSv1.3' });
    expect(x.server.info.version).toBe('TLSv1.2');
    const mark = x.relay.log.s2c.length;
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, await renegotiationClientHello()));
    await x.go();
    expect(x.relay.since('s2c', mark)).toEqual([NO_RENEGOTIATION]);
    await exchange(x, 8);
  });

  it('a ClientHello in the clear after the handshake does not authenticate → BadRecordMac/bad_record_mac', async () => {
    const x = await session();
    await deliver(x.server, handshakeRecords([await renegotiationClientHello()]));
    expect(x.server.error?.status).toBe('BadRecordMac');
    await x.go();
    expect(x.client.error?.status).toBe('AlertReceived');
    expect(x.client.error?.alert).toBe(AlertDescription.bad_record_mac);
  });
});

describe('HelloRequest during the handshake is ignored and not hashed (RFC 5246 §7.4.1.1)', () => {
  type Where = 'before ServerHello' | 'after ServerHello' | 'after ServerKeyExchange' | 'in its own record after ServerHelloDone' | 'twice, after Certificate' | 'before the server ChangeCipherSpec' | 'protected, between the server ChangeCipherSpec and Finished';
  const WHERE: Where[] = [
    'before ServerHello',
    'after ServerHello',
    'after ServerKeyExchange',
    'in its own record after ServerHelloDone',
    'twice, after Certificate',
    'before the server ChangeCipherSpec',
    'protected, between the server ChangeCipherSpec and Finished',
  ];

  const insertAt = (msgs: Uint8Array[], at: number, n = 1): Uint8Array[] => [...msgs.slice(0, at), ...Array<Uint8Array>(n).fill(HELLO_REQUEST), ...msgs.slice(at)];

  const wrap =
    (where: Where) =>
    (relay: Relay12): Tamper => {
      let injected = false;
      return (dir, index, record) => {
        if (dir !== 's2c') return relay.tamper(dir, index, record);
        if (index === 0) {
          const out = relay.tamper(dir, index, record); // (learns the ServerHello)
          const msgs = handshakeMessages(out);
          switch (where) {
            case 'before ServerHello':
              return concat(handshakeRecords([HELLO_REQUEST]), handshakeRecords(msgs));
            case 'after ServerHello':
              return handshakeRecords(insertAt(msgs, 1));
            case 'after ServerKeyExchange':
              return handshakeRecords(insertAt(msgs, 3));
            case 'in its own record after ServerHelloDone':
              return concat(handshakeRecords(msgs), handshakeRecords([HELLO_REQUEST]));
            case 'twice, after Certificate':
              return handshakeRecords(insertAt(msgs, 2, 2));
            default:
              return out;
          }
        }
        if (where === 'before the server ChangeCipherSpec' && record[0] === ContentType.change_cipher_spec) {
          return concat(handshakeRecords([HELLO_REQUEST]), relay.tamper(dir, index, record));
        }
        if (where === 'protected, between the server ChangeCipherSpec and Finished' && relay.hasKeys('s2c') && !injected) {
          injected = true;
          const hr = relay.inject('s2c', ContentType.handshake, HELLO_REQUEST);
          return concat(hr, relay.tamper(dir, index, record));
        }
        return relay.tamper(dir, index, record);
      };
    };

  for (const where of WHERE) {
    it(`${where}: the handshake completes (the Finished hashes agree) and data flows`, async () => {
      const x = await session({}, {}, wrap(where));
      expectOpen(x.client, x.server);
      expect(x.client.handshakeComplete && x.server.handshakeComplete).toBe(true);
      expect(x.traces.client.filter((e) => e.summary === 'HelloRequest (ignored during the handshake)').length).toBe(where.startsWith('twice') ? 2 : 1);
      // Nothing answered it.
      expect(x.relay.log.c2s.filter((r) => r.type === ContentType.alert)).toEqual([]);
      await exchange(x, 9);
    });
  }

  it('a HelloRequest with a body during the handshake is not a HelloRequest to ignore → DecodeError/decode_error', async () => {
    const bad = hsMessage(HandshakeType.hello_request, new Uint8Array([1, 2]));
    const x = await session({}, {}, (relay) => (dir, index, record) => {
      const out = relay.tamper(dir, index, record);
      if (dir !== 's2c' || index !== 0) return out;
      const msgs = handshakeMessages(out);
      return handshakeRecords([...msgs.slice(0, 2), bad, ...msgs.slice(2)]);
    });
    expect(x.client.error?.status).toBe('DecodeError');
    expect(x.server.error?.status).toBe('AlertReceived');
    expect(x.server.error?.alert).toBe(AlertDescription.decode_error);
  });

  it('our server never takes a HelloRequest (it is a server-to-client message) → UnexpectedMessage/unexpected_message', async () => {
    const x = await session();
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, HELLO_REQUEST));
    expect(x.server.error?.status).toBe('UnexpectedMessage');
    await x.go();
    expect(x.client.error?.status).toBe('AlertReceived');
    expect(x.client.error?.alert).toBe(AlertDescription.unexpected_message);
  });
});

describe('warning alerts after the handshake (RFC 5246 §7.2) are ignored up to a cap', () => {
  it('four no_renegotiation warnings in a row pass, data resets the count, and a fifth in a row ends the connection with UnexpectedMessage/unexpected_message', async () => {
    const x = await session();
    const warning = new Uint8Array([1, AlertDescription.no_renegotiation]);
    for (let i = 0; i < 4; i++) await deliver(x.server, x.relay.inject('c2s', ContentType.alert, warning));
    expectOpen(x.server);
    await exchange(x, 10);
    // Application data reset the count: four more pass again.
    for (let i = 0; i < 4; i++) await deliver(x.server, x.relay.inject('c2s', ContentType.alert, warning));
    expectOpen(x.server);
    await deliver(x.server, x.relay.inject('c2s', ContentType.alert, warning));
    expect(x.server.error?.status).toBe('UnexpectedMessage');
    await x.go();
    expect(x.client.error?.status).toBe('AlertReceived');
  });
});
