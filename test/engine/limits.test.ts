/**
 * Every limit the engine enforces (README "Limits"), each driven past by a hostile peer:
 * the test asserts the status, the alert on the wire, and that memory (`bufferedBytes`) and
 * CPU stayed bounded while the peer kept sending. One case per row of the README table; the
 * verifier's limits are in test/verify, the adapter's (handshake timeout, lingering close) in
 * test/unit/transport.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription, type TlsStatus } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { nextTrafficSecret } from '../../src/keys/tls13-schedule.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { DEFAULT_VERIFICATION_WORK } from '../../src/index.js';
import { AES128, RawCipher, alertsIn, concat, deliver, encodeRecord, encodeRecords, firstFlight, hsMessage, plain } from '../helpers/mitm.js';
import { expectError, handshaken, keyLoggedPair, type AlertName, type KeyLoggedPair } from '../helpers/hostile-peer.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function setup(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): KeyLoggedPair {
  return keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], ...c }, s);
}

async function connected(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Promise<KeyLoggedPair> {
  return handshaken(setup(c, s));
}

/**
 * Feeds `next()` to `conn` until it fails (at most `rounds` times), tracking peak buffered
 * bytes and CPU. Returns the number of rounds fed, the output the connection produced, and the peaks.
 */
async function flood(conn: TlsConnection, next: () => Uint8Array, rounds: number): Promise<{ fed: number; out: Uint8Array; peak: number; cpuMs: number }> {
  const t = process.cpuUsage();
  let peak = 0;
  let fed = 0;
  const outs: Uint8Array[] = [];
  while (fed < rounds && !conn.error) {
    await deliver(conn, next());
    fed++;
    peak = Math.max(peak, conn.bufferedBytes);
    const o = conn.takeOutput();
    if (o) outs.push(o);
  }
  const o = conn.takeOutput();
  if (o) outs.push(o);
  const u = process.cpuUsage(t);
  const cpuMs = (u.user + u.system) / 1000;
  // Generous on purpose (a shared CI machine): this catches runaway work, not speed.
  expect(cpuMs).toBeLessThan(5000);
  return { fed, out: concat(...outs), peak, cpuMs };
}

function expectRefused(conn: TlsConnection, status: TlsStatus, alert: AlertName, sent: Uint8Array, cipher?: RawCipher): void {
  expectError(conn, status, alert);
  expect(alertsIn(sent, cipher).at(-1)).toEqual({ level: 2, description: AlertDescription[alert], protected: cipher !== undefined });
}

describe('engine limits, each exceeded by a hostile peer', () => {
  it('maxSkippedEarlyData counts records, not only bytes: 1-byte "early data" records are refused at once', async () => {
    const p = setup(withTestHooks({}, { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, earlyData: true } }) }));
    await deliver(p.server, await firstFlight(p.client));
    p.server.takeOutput();
    const tiny = encodeRecords(Array.from({ length: 60_000 }, () => ({ type: ContentType.application_data, version: 0x0303, fragment: new Uint8Array([7]) })));
    const t = process.cpuUsage();
    await deliver(p.server, tiny);
    const u = process.cpuUsage(t);
    expect(p.server.error?.status).toBe('BadRecordMac');
    expect((u.user + u.system) / 1000).toBeLessThan(2000);
  });

  it('maxHandshakeMessageSize (65536): a server message announcing more → DecodeError/decode_error, nothing buffered for it', async () => {
    const { client } = setup();
    await firstFlight(client);
    const r = await flood(client, () => encodeRecord(plain(ContentType.handshake, new Uint8Array([HandshakeType.server_hello, 0x01, 0x00, 0x01, 3, 3]))), 10);
    expectRefused(client, 'DecodeError', 'decode_error', r.out);
    expect(r.peak).toBeLessThanOrEqual(1024);
  });

  it('maxClientHelloSize (131072): a ClientHello announcing more → DecodeError/decode_error', async () => {
    const { server } = setup();
    const r = await flood(server, () => encodeRecord(plain(ContentType.handshake, new Uint8Array([HandshakeType.client_hello, 0x02, 0x00, 0x01, 3, 3]))), 10);
    expectRefused(server, 'DecodeError', 'decode_error', r.out);
    expect(r.peak).toBeLessThanOrEqual(1024);
  });

  it('a ClientHello just under maxClientHelloSize, sent slowly, holds only what arrived', async () => {
    const { server } = setup({}, { maxClientHelloSize: 100_000 });
    // A header announcing 99,000 bytes, then 10 records of 1,000 zero bytes: the buffer tracks the ~10 KB received.
    const head = encodeRecord(plain(ContentType.handshake, new Uint8Array([HandshakeType.client_hello, 0x01, 0x82, 0xb8])));
    await deliver(server, head);
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await deliver(server, encodeRecord(plain(ContentType.handshake, new Uint8Array(1000))));
      peak = Math.max(peak, server.bufferedBytes);
    }
    expect(server.error).toBeNull();
    expect(peak).toBeLessThanOrEqual(16384 + 1024);
  });

  it('buffered input: receive() takes at most one record beyond what process() consumed', async () => {
    const { server } = setup();
    const megabyte = new Uint8Array(1 << 20).fill(0x16);
    const taken = server.receive(megabyte);
    expect(taken).toBeLessThanOrEqual(5 + 16384 + 256);
    expect(server.bufferedBytes).toBeLessThanOrEqual(5 + 16384 + 256);
  });

  it('maxEmptyRecords (32): the 33rd empty record without data → UnexpectedMessage/unexpected_message', async () => {
    const p = await connected();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const r = await flood(p.client, () => encodeRecords([s.seal(ContentType.application_data, new Uint8Array(0))]), 1000);
    expect(r.fed).toBe(33);
    expectRefused(p.client, 'UnexpectedMessage', 'unexpected_message', r.out, RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0'));
    expect(r.peak).toBeLessThanOrEqual(1024);
  });

  it('maxPostHandshakeMessages (64): NewSessionTickets and empty records together → UnexpectedMessage', async () => {
    const p = await connected();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const nst = hsMessage(HandshakeType.new_session_ticket, new Uint8Array([0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 0, 0, 1, 9, 0, 0]));
    let i = 0;
    const r = await flood(p.client, () => encodeRecords([i++ % 2 === 0 ? s.seal(ContentType.handshake, nst) : s.seal(ContentType.application_data, new Uint8Array(0))]), 1000);
    expect(r.fed).toBe(65);
    expectRefused(p.client, 'UnexpectedMessage', 'unexpected_message', r.out, RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0'));
    expect(p.client.tickets.length).toBeLessThanOrEqual(8); // tickets kept are capped too
  });

  it('maxKeyUpdates (32): the 33rd KeyUpdate without data → UnexpectedMessage', async () => {
    const p = await connected({}, { maxKeyUpdates: 32 });
    // Each KeyUpdate moves the client to the next key: keep our own chain of secrets.
    let secret = p.keys.get('CLIENT_TRAFFIC_SECRET_0');
    const ku = hsMessage(HandshakeType.key_update, new Uint8Array([0]));
    const r = await flood(p.server, () => {
      const rec = new RawCipher(AES128, secret).seal(ContentType.handshake, ku);
      secret = nextTrafficSecret(nobleProvider, AES128.hash, secret);
      return encodeRecords([rec]);
    }, 1000);
    expect(r.fed).toBe(33);
    expect(p.server.error?.status).toBe('UnexpectedMessage');
    expect(p.server.error?.alert).toBe(AlertDescription.unexpected_message);
  });

  it('maxWarningAlerts (4): the 5th user_canceled without data → UnexpectedMessage (TLS 1.2 warnings: tls12-renegotiation.test.ts)', async () => {
    const p = await connected();
    const s = RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0');
    const r = await flood(p.client, () => encodeRecords([s.seal(ContentType.alert, new Uint8Array([1, AlertDescription.user_canceled]))]), 1000);
    expect(r.fed).toBe(5);
    expectRefused(p.client, 'UnexpectedMessage', 'unexpected_message', r.out, RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0'));
  });

  it('maxHelloRequests (4): HelloRequests during a TLS 1.2-capable client handshake → UnexpectedMessage', async () => {
    const { client } = setup();
    await firstFlight(client);
    const r = await flood(client, () => encodeRecord(plain(ContentType.handshake, new Uint8Array([0, 0, 0, 0]))), 1000);
    expect(r.fed).toBe(5);
    expectRefused(client, 'UnexpectedMessage', 'unexpected_message', r.out);
  });

  it('maxVerificationWork: a budget too small for the chain refuses it (CertificateOtherErrors / bad_certificate); with a custom verifier it is a config error', async () => {
    const p = setup({ maxVerificationWork: 1 });
    await pump(p.client, p.server);
    expect(p.client.error?.status).toBe('CertificateOtherErrors');
    expect(p.client.error?.alert).toBe(AlertDescription.bad_certificate);
    expect(p.client.error?.certificateErrors.some((e) => e.code === 'OtherErrors' && e.index === -1)).toBe(true);
    const ok = setup({ maxVerificationWork: DEFAULT_VERIFICATION_WORK });
    await pump(ok.client, ok.server);
    expect(ok.client.handshakeComplete).toBe(true);
    expect(() => TlsConnection.client({ servername: 'localhost', verifier: { verify: () => Promise.reject(new Error('unused')) }, maxVerificationWork: 10 })).toThrow(
      expect.objectContaining({ status: 'InvalidConfig' }),
    );
  });

  it('maxPendingWrite (262144): writes before the handshake beyond it → WouldBlock, the connection lives', () => {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    let written = 0;
    let err: unknown;
    try {
      for (;;) {
        c.write(new Uint8Array(10_000));
        written += 10_000;
      }
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 'WouldBlock' });
    expect(written).toBe(270_000); // the write that crossed 262,144 was taken whole; the next one refused
    expect(c.bufferedBytes).toBeLessThanOrEqual(262144 + 10_000);
    expect(c.wants.write).toBe(false);
    expect(c.error).toBeNull();
  });

  it('maxSkippedEarlyData (65536): undecryptable 0-RTT records beyond it → BadRecordMac', async () => {
    const p = setup(withTestHooks({}, { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, earlyData: true } }) }));
    await deliver(p.server, await firstFlight(p.client));
    p.server.takeOutput();
    const rec = encodeRecords([{ type: ContentType.application_data, version: 0x0303, fragment: new Uint8Array(16000).fill(7) }]);
    const r = await flood(p.server, () => rec, 100);
    expect(r.fed).toBe(5); // 4 × (5 + 16,000) = 64,020 skipped; the 5th passes 65,536
    expect(p.server.error?.status).toBe('BadRecordMac');
    expect(r.peak).toBeLessThanOrEqual(5 + 16384 + 256);
  });
});
