/**
 * review3: the 0-RTT replay register across a Node server's `setSecureContext` (RFC 9846 §8).
 *
 * 32774ed (F3 of the fourth campaign) keeps the register when the ticket keys are kept
 * implicitly. The same hole stays open when the caller passes `ticketKeys` again with the new
 * certificate (the usual `setSecureContext({ ...options, cert, key })` of an application that
 * shares its ticket keys with a fleet): the new config opens the same tickets, with a fresh
 * register, so a recorded 0-RTT flight is accepted a second time.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, type ServerConfig } from '../../src/engine/setup.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { MemoryReplayRegister } from '../../src/session/replay.js';
import * as pure from '../../src/transport/node.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null): string => (b ? new TextDecoder().decode(b) : '');

async function recordedEarlyFlight(server: ServerConfig, early: string): Promise<Uint8Array> {
  const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore() });
  const first = TlsConnection.client(cc, { servername: 'localhost' });
  await pump(first, TlsConnection.server(server));
  expect(first.handshakeComplete).toBe(true);
  const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: enc(early) });
  await client.start();
  return client.takeOutput()!;
}

async function playTo(config: ServerConfig, flight: Uint8Array): Promise<{ early: string; conn: TlsConnection }> {
  const conn = TlsConnection.server(config);
  conn.receive(flight.slice());
  await conn.process().catch(() => undefined);
  return { early: dec(conn.read()), conn };
}

describe('review3: setSecureContext and the 0-RTT replay register (RFC 9846 §8)', () => {
  it('the same ticketKeys given again with the new certificate: the recorded 0-RTT flight is still refused', async () => {
    const ticketKeys = pure.createServer({ cert: pki.chainPem, key: pki.keyPem }).getTicketKeys();
    const options = { cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys };
    const server = pure.createServer(options);
    const flight = await recordedEarlyFlight(server.secureContext, 'transfer $100');
    expect((await playTo(server.secureContext, flight)).early).toBe('transfer $100');
    // Certificate rotation by an application that always passes its (fleet-wide) ticket keys.
    server.setSecureContext({ ...options, cert: pki.chainPem, key: pki.keyPem });
    const replay = await playTo(server.secureContext, flight);
    expect(replay.conn.info.resumed, 'the ticket still opens').toBe(true);
    expect(replay.early, 'the recorded early data was accepted a second time').toBe('');
  });

  it('control: a register given with the new options is the one used', async () => {
    const register = new MemoryReplayRegister();
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024 });
    server.setSecureContext({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, replayRegister: register });
    const flight = await recordedEarlyFlight(server.secureContext, 'once');
    expect((await playTo(server.secureContext, flight)).early).toBe('once');
    expect((await playTo(server.secureContext, flight)).early).toBe('');
  });
});
