/**
 * Campaign 7 (a hostile peer on a long-lived connection): how a connection ends.
 *
 * - The transport's end (`end()`) arriving while whole records the engine already accepted
 *   are still unprocessed — held back by the read high-water mark because the application
 *   has not read yet. Before the fix the end was taken at once: a clean close_notify that was
 *   sitting in the buffer was reported as `Truncated`, and a data record there was lost
 *   (never delivered) although the engine had accepted its bytes.
 * - Alert levels after the handshake: RFC 5246 §7.2, a fatal alert ends a TLS 1.2 connection
 *   whatever its description (a fatal user_canceled was ignored and data kept flowing);
 *   in TLS 1.3 user_canceled is a closure alert whose level is ignored (RFC 9846 §6, §6.1).
 * - Half-close with data in flight in both directions, close_notify ordering.
 * - Bytes after the peer's close_notify are ignored, whatever they are: before the fix a header
 *   that is not a record (an unknown type, a length over the limit) failed the connection
 *   (unexpected_message), so a man in the middle could cut the reply of a half-closed server.
 * - Nothing after our own close_notify (RFC 9846 §6.1, RFC 5246 §7.2.1): before the fix a
 *   server that closed while its NewSessionTickets were still being sealed (an async AEAD)
 *   sent them after its close_notify, and a TLS 1.2 connection that had closed still
 *   answered a HelloRequest / renegotiation ClientHello with a no_renegotiation warning.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { FaultPipe, pump, readAll } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { KeyLog, RawCipher, deliver, encodeRecords, firstFlight, flushed, hsMessage, parseRecords } from '../helpers/mitm.js';
import { Relay12 } from '../helpers/tls12.js';
import { handshaken, keyLoggedPair } from '../helpers/hostile-peer.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Version = 'TLSv1.2' | 'TLSv1.3';
const VERSIONS: readonly Version[] = ['TLSv1.3', 'TLSv1.2'];
/** The engine's read high-water mark (src/engine/connection.ts READ_HIGH_WATER). */
const HIGH_WATER = 256 * 1024;

async function connected(version: Version, crypto: CryptoProvider = nobleProvider): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const common = { minVersion: version, maxVersion: version, crypto } as const;
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

/**
 * Gives `conn` every byte of `wire` the way a transport that never reads would (receive until
 * it takes everything, process after each), without reading any plaintext. Returns whether
 * all of it was taken.
 */
async function offerAll(conn: TlsConnection, wire: Uint8Array): Promise<boolean> {
  let rest = wire;
  for (let stalls = 0; rest.length > 0 && stalls < 3; ) {
    const n = conn.receive(rest);
    rest = rest.subarray(n);
    await conn.process();
    stalls = n === 0 ? stalls + 1 : 0;
  }
  return rest.length === 0;
}

/** Reads until nothing more comes, processing in between (the application catching up). */
async function readCatchingUp(conn: TlsConnection): Promise<Uint8Array> {
  const got: Uint8Array[] = [];
  for (;;) {
    await conn.process();
    const r = conn.read();
    if (!r) break;
    got.push(r);
  }
  return join(got);
}

describe('the transport ends while records the engine accepted are held back by the read high-water mark', () => {
  for (const version of VERSIONS) {
    for (const which of ['pure', 'webcrypto'] as const) {
      it(`${version}, ${which}: data exactly to the mark, then close_notify, then EOF before the application reads → a clean close, every byte`, async () => {
        const p = await connected(version, which === 'pure' ? nobleProvider : webcryptoProvider());
        const data = payload(HIGH_WATER, 1);
        p.server.write(data);
        p.server.close();
        // The engine takes every byte: the close_notify is the one record it holds beyond the mark.
        expect(await offerAll(p.client, (await flushed(p.server))!)).toBe(true);
        expect(p.client.bufferedBytes).toBeGreaterThan(0);
        p.client.end();
        await p.client.process();
        // Nothing was decided for the application yet: it has not read what came before the end.
        expect(p.client.error).toBeNull();
        const got = await readCatchingUp(p.client);
        expect(p.client.error).toBeNull();
        expect(sameBytes(got, data)).toBe(true);
        expect(p.client.readEnded).toBe(true);
        // TLS 1.3: only the peer's direction is closed (RFC 9846 §6.1); TLS 1.2: both (RFC 5246 §7.2.1).
        expect(p.client.phase).toBe(version === 'TLSv1.3' ? 'peer-closed' : 'closed');
        if (version === 'TLSv1.3') {
          // Our direction still works, then closes cleanly.
          p.client.write(payload(10, 2));
          p.client.close();
          await deliver(p.server, await flushed(p.client));
          expect(sameBytes(readAll(p.server), payload(10, 2))).toBe(true);
          expect(p.server.phase).toBe('closed');
        }
      });
    }

    it(`${version}: data past the mark then EOF without close_notify → Truncated, but the data the engine took is all delivered first`, async () => {
      const p = await connected(version);
      const data = payload(HIGH_WATER + 100, 3);
      p.server.write(data);
      expect(await offerAll(p.client, (await flushed(p.server))!)).toBe(true);
      p.client.end();
      await p.client.process();
      const got = await readCatchingUp(p.client);
      expect(sameBytes(got, data)).toBe(true);
      expect(p.client.error?.status).toBe('Truncated');
      expect(p.client.phase).toBe('failed');
    });

    it(`${version}: a partial record at EOF is truncation at once (nothing more can complete it)`, async () => {
      const p = await connected(version);
      p.server.write(payload(1000, 4));
      const wire = (await flushed(p.server))!;
      p.client.receive(wire.subarray(0, wire.length - 1));
      p.client.end();
      expect(p.client.error?.status).toBe('Truncated');
      await p.client.process();
      expect(p.client.read()).toBeNull();
    });

    it(`${version}: bytes offered after end() are dropped, the records before it still count`, async () => {
      const p = await connected(version);
      p.server.write(payload(HIGH_WATER, 5));
      p.server.close();
      expect(await offerAll(p.client, (await flushed(p.server))!)).toBe(true);
      p.client.end();
      expect(p.client.wants.input).toBe(false);
      // A confused transport offers more after its end: taken and ignored.
      expect(p.client.receive(new Uint8Array([23, 3, 3, 0, 1, 0]))).toBe(6);
      const got = await readCatchingUp(p.client);
      expect(got.length).toBe(HIGH_WATER);
      expect(p.client.error).toBeNull();
      expect(p.client.readEnded).toBe(true);
    });

    it(`${version}: the fault-injection harness (read: 'never') reports a clean close after drain(), not truncation`, async () => {
      const common = { minVersion: version, maxVersion: version } as const;
      const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common });
      const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common });
      const pipe = new FaultPipe(client, server, { read: 'never' });
      await pipe.settle();
      server.write(payload(HIGH_WATER, 6));
      server.close();
      await pipe.settle();
      await pipe.endTransport('s2c');
      await pipe.drain();
      expect(client.error).toBeNull();
      expect(pipe.received('client').length).toBe(HIGH_WATER);
      expect(client.readEnded).toBe(true);
    });
  }
});

describe('a live hand-off after the transport ended (src/engine/tls-connection.ts)', () => {
  // exportState() did not know that end() was waiting for held records: the state it gave
  // carried those records but not the end, so the importing side was never told of the EOF.
  // It is refused now (ApiMisuse).
  it('exportState() after end() with records still held is refused', async () => {
    const p = await connected('TLSv1.3');
    p.server.write(payload(HIGH_WATER, 30));
    p.server.close();
    expect(await offerAll(p.client, (await flushed(p.server))!)).toBe(true);
    p.client.end();
    expect(() => p.client.exportState()).toThrow(TlsError);
  });
});

describe('fatal and closure alerts after the handshake', () => {
  async function session12(): Promise<{ client: TlsConnection; server: TlsConnection; relay: Relay12; go: () => Promise<void> }> {
    const keys = new KeyLog();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0 });
    const relay = new Relay12(keys);
    const pipe = new FaultPipe(client, server, { tamper: relay.tamper, read: 'never' });
    await pipe.settle();
    return { client, server, relay, go: () => pipe.settle() };
  }

  it('TLS 1.2: a fatal user_canceled ends the connection (RFC 5246 §7.2) → AlertReceived(user_canceled); data after it is not delivered', async () => {
    const x = await session12();
    await deliver(x.client, x.relay.inject('s2c', ContentType.alert, new Uint8Array([2, AlertDescription.user_canceled])));
    x.server.write(payload(5, 7));
    await x.go();
    expect(x.client.error).toBeInstanceOf(TlsError);
    expect({ status: x.client.error?.status, alert: x.client.error?.alert }).toEqual({ status: 'AlertReceived', alert: AlertDescription.user_canceled });
    expect(x.client.phase).toBe('failed');
    expect(x.client.read()).toBeNull();
  });

  it('TLS 1.2: a fatal user_canceled from the client ends it on the server too', async () => {
    const x = await session12();
    await deliver(x.server, x.relay.inject('c2s', ContentType.alert, new Uint8Array([2, AlertDescription.user_canceled])));
    expect(x.server.error?.status).toBe('AlertReceived');
    expect(x.server.error?.alert).toBe(AlertDescription.user_canceled);
  });

  it('TLS 1.2: a warning user_canceled (and other warnings) are taken in stride, data keeps flowing', async () => {
    const x = await session12();
    for (const d of [AlertDescription.user_canceled, AlertDescription.bad_record_mac, 255]) {
      await deliver(x.client, x.relay.inject('s2c', ContentType.alert, new Uint8Array([1, d])));
    }
    x.server.write(payload(5, 8));
    await x.go();
    expect(x.client.error).toBeNull();
    expect(sameBytes(readAll(x.client), payload(5, 8))).toBe(true);
  });

  it('TLS 1.3: user_canceled is a closure alert whatever its level (RFC 9846 §6: the level "can safely be ignored"): data keeps flowing', async () => {
    for (const level of [1, 2]) {
      const p = await handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
      const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
      await deliver(p.client, encodeRecords([s.seal(ContentType.alert, new Uint8Array([level, AlertDescription.user_canceled])), s.seal(ContentType.application_data, new Uint8Array([9]))]));
      expect(p.client.error).toBeNull();
      expect(p.client.read()).toEqual(new Uint8Array([9]));
    }
  });

  it('TLS 1.3: a warning-level error alert is an error alert (RFC 9846 §6) → AlertReceived, nothing after it delivered', async () => {
    const p = await handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] }));
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    await deliver(p.client, encodeRecords([s.seal(ContentType.alert, new Uint8Array([1, AlertDescription.bad_certificate])), s.seal(ContentType.application_data, new Uint8Array([9]))]));
    expect(p.client.error?.status).toBe('AlertReceived');
    expect(p.client.error?.alert).toBe(AlertDescription.bad_certificate);
    expect(p.client.read()).toBeNull();
  });
});

describe('half-close with data in flight', () => {
  for (const version of VERSIONS) {
    it(`${version}: both sides write, both close in the same round, each gets every byte and a clean end`, async () => {
      const p = await connected(version);
      const a = payload(100_000, 10);
      const b = payload(70_000, 11);
      p.client.write(a);
      p.server.write(b);
      p.client.close();
      p.server.close();
      const pipe = new FaultPipe(p.client, p.server, { read: 'always', chunk: [1, 7, 333, 5000] });
      await pipe.settle();
      expect(sameBytes(pipe.received('server'), a)).toBe(true);
      expect(sameBytes(pipe.received('client'), b)).toBe(true);
      expect([p.client.error, p.server.error]).toEqual([null, null]);
      expect([p.client.phase, p.server.phase]).toEqual(['closed', 'closed']);
    });
  }

  it('TLS 1.3: after our close_notify the peer keeps sending, updates its keys at our request … and we read all of it', async () => {
    const p = await connected('TLSv1.3');
    p.client.keyUpdate(true);
    p.client.close();
    // The server got our KeyUpdate(update_requested) and our close_notify: it answers the
    // request (its write side is open), sends more, then closes.
    await deliver(p.server, await flushed(p.client));
    expect(p.server.phase).toBe('peer-closed');
    const data = payload(50_000, 12);
    p.server.write(data);
    p.server.keyUpdate(true);
    p.server.write(data);
    p.server.close();
    await deliver(p.client, await flushed(p.server));
    expect(p.client.error).toBeNull();
    expect(sameBytes(readAll(p.client), join([data, data]))).toBe(true);
    expect(p.client.phase).toBe('closed');
    // We closed already: the server's update request is not answered (nothing after close_notify).
    expect(await flushed(p.client)).toBeNull();
  });
});

describe("bytes injected after the peer's close_notify are ignored (RFC 9846 §6.1: \"MUST be ignored\")", () => {
  const junk: [string, Uint8Array][] = [
    ['an unknown content type', new Uint8Array([99, 3, 3, 0, 2, 1, 2])],
    ['a header announcing 60 KiB', new Uint8Array([23, 3, 3, 0xf0, 0, 1, 2, 3])],
    ['a record that does not authenticate', new Uint8Array([23, 3, 3, 0, 20, ...new Uint8Array(20)])],
    ['an SSLv2-looking byte soup', new Uint8Array([0x80, 0x2e, 1, 3, 1, 0, 0x15])],
  ];
  for (const version of VERSIONS) {
    for (const [what, bytes] of junk) {
      it(`${version}: ${what} after the client's request and close_notify: the server still sends its reply and closes cleanly`, async () => {
        const p = await connected(version);
        p.client.write(payload(500, 20));
        p.client.close();
        await deliver(p.server, join([(await flushed(p.client))!, bytes]));
        expect(p.server.error).toBeNull();
        expect(p.server.phase).toBe('peer-closed');
        expect(sameBytes(readAll(p.server), payload(500, 20))).toBe(true);
        // More of it, in another read of the transport.
        await deliver(p.server, bytes);
        expect(p.server.error).toBeNull();
        p.server.write(payload(70_000, 21));
        p.server.close();
        await deliver(p.client, await flushed(p.server));
        expect(p.client.error).toBeNull();
        expect(sameBytes(readAll(p.client), payload(70_000, 21))).toBe(true);
        expect(p.client.phase).toBe('closed');
        p.server.end();
        expect(p.server.phase).toBe('closed');
      });
    }
  }
});

describe('nothing is sent after our own close_notify', () => {
  it('TLS 1.3 webcrypto server: close() while its NewSessionTickets are being sealed → close_notify is the last record', async () => {
    const keys = new KeyLog();
    const crypto = webcryptoProvider();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, keyLog: keys.fn, cipherSuites: ['TLS_AES_128_GCM_SHA256'], crypto });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 2, crypto });
    await deliver(server, await firstFlight(client));
    await deliver(client, await flushed(server));
    server.receive((await flushed(client))!);
    // The client's Finished is being processed: the handshake completes, then the tickets are sealed (async).
    const run = server.process();
    for (let i = 0; i < 1000 && !server.handshakeComplete; i++) await new Promise((r) => setImmediate(r));
    expect(server.handshakeComplete).toBe(true);
    server.close();
    await run;
    const out = RawCipher.from(keys, 'SERVER_TRAFFIC_SECRET_0');
    const sent = parseRecords((await flushed(server))!).map((r) => out.open(r));
    expect(sent.at(-1)).toEqual({ type: ContentType.alert, content: new Uint8Array([1, AlertDescription.close_notify]) });
    expect(sent.filter((o) => o.type === ContentType.handshake)).toEqual([]);
    expect(server.error).toBeNull();
  });

  async function session12(): Promise<{ client: TlsConnection; server: TlsConnection; relay: Relay12; go: () => Promise<void> }> {
    const keys = new KeyLog();
    const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn });
    const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0 });
    const relay = new Relay12(keys);
    const pipe = new FaultPipe(client, server, { tamper: relay.tamper, read: 'never' });
    await pipe.settle();
    return { client, server, relay, go: () => pipe.settle() };
  }

  it('TLS 1.2 client: close(), then the server asks to renegotiate → no no_renegotiation warning after our close_notify', async () => {
    const x = await session12();
    x.client.close();
    await x.go();
    const mark = x.relay.log.c2s.length;
    await deliver(x.client, x.relay.inject('s2c', ContentType.handshake, hsMessage(HandshakeType.hello_request, new Uint8Array(0))));
    await x.go();
    expect(x.relay.since('c2s', mark)).toEqual([]);
    expect(x.client.error).toBeNull();
  });

  it('TLS 1.2 server: close(), then a renegotiation ClientHello → nothing after our close_notify', async () => {
    const x = await session12();
    x.server.close();
    await x.go();
    const fresh = TlsConnection.client({ servername: 'localhost', maxVersion: 'TLSv1.2', rejectUnauthorized: false });
    const ch = parseRecords(await firstFlight(fresh))[0]!.fragment;
    const mark = x.relay.log.s2c.length;
    await deliver(x.server, x.relay.inject('c2s', ContentType.handshake, ch));
    await x.go();
    expect(x.relay.since('s2c', mark)).toEqual([]);
  });
});
