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
