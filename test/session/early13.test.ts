/**
 * 0-RTT in memory (issue 10 item 3; RFC 9846 §2.3, §4.3.10, §8): what goes early, what is
 * re-sent, what a replayed first flight gets.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ClientConfigOptions, type ServerConfigOptions } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { MemoryReplayRegister, type ReplayRegister } from '../../src/session/replay.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function configs(c: ClientConfigOptions = {}, s: Partial<ServerConfigOptions> = {}) {
  const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore(), ...c });
  const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ...s });
  return { cc, sc };
}

async function run(cc: ReturnType<typeof configs>['cc'], sc: ReturnType<typeof configs>['sc'], per: { earlyData?: Uint8Array; retryEarlyData?: boolean } = {}) {
  const client = TlsConnection.client(cc, { servername: 'localhost', ...per });
  const server = TlsConnection.server(sc);
  await pump(client, server);
  client.write(enc('|after'));
  await pump(client, server);
  return { client, server, received: dec(readAll(server)) };
}

describe('0-RTT', () => {
  it('early data goes with the first flight and is delivered once; both sides report it', async () => {
    const { cc, sc } = configs();
    await run(cc, sc);
    const r = await run(cc, sc, { earlyData: enc('GET /') });
    expect(r.client.error).toBeNull();
    expect(r.client.info.resumed).toBe(true);
    expect(r.client.info.earlyData).toBe('accepted');
    expect(r.server.info.earlyData).toBe('accepted');
    expect(r.client.earlyDataLength).toBe(5);
    expect(r.server.earlyDataLength).toBe(5);
    expect(r.received).toBe('GET /|after');
  });

  it('the server may read early data before the handshake completes', async () => {
    const { cc, sc } = configs();
    await run(cc, sc);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: enc('early!') });
    const server = TlsConnection.server(sc);
    await client.start();
    server.receive(client.takeOutput()!);
    await server.process();
    expect(server.handshakeComplete).toBe(false);
    expect(dec(server.read()!)).toBe('early!');
  });

  it('no session, or a ticket without early data (maxEarlyData 0): the data goes after the handshake, info none', async () => {
    const { cc, sc } = configs({}, { maxEarlyData: 0 });
    const first = await run(cc, sc, { earlyData: enc('GET /') });
    expect(first.client.info.earlyData).toBe('none');
    expect(first.received).toBe('GET /|after');
    const second = await run(cc, sc, { earlyData: enc('GET /') });
    expect(second.client.info.resumed).toBe(true);
    expect(second.client.info.earlyData).toBe('none');
    expect(second.server.earlyDataLength).toBe(0);
    expect(second.received).toBe('GET /|after');
  });

  it('more early data than the ticket allows goes after the handshake', async () => {
    const { cc, sc } = configs({}, { maxEarlyData: 4 });
    await run(cc, sc);
    const r = await run(cc, sc, { earlyData: enc('GET /') });
    expect(r.client.info.earlyData).toBe('none');
    expect(r.received).toBe('GET /|after');
  });

  it('rejected by the server (its register refuses): re-sent after the handshake, delivered once', async () => {
    const refuse: ReplayRegister = { claim: () => false };
    const { cc, sc } = configs({}, { replayRegister: refuse });
    await run(cc, sc);
    const r = await run(cc, sc, { earlyData: enc('GET /') });
    expect(r.client.error).toBeNull();
    expect(r.client.info.resumed).toBe(true);
    expect(r.client.info.earlyData).toBe('rejected');
    expect(r.server.info.earlyData).toBe('rejected');
    expect(r.server.earlyDataLength).toBe(0);
    expect(r.received).toBe('GET /|after');
  });

  it('rejected, with retryEarlyData false: not sent at all', async () => {
    const { cc, sc } = configs({}, { replayRegister: { claim: async () => false } });
    await run(cc, sc);
    const r = await run(cc, sc, { earlyData: enc('GET /'), retryEarlyData: false });
    expect(r.client.info.earlyData).toBe('rejected');
    expect(r.received).toBe('|after');
  });

  it('a HelloRetryRequest rejects early data; it is re-sent after the handshake', async () => {
    const { cc } = configs({ keyShareGroups: ['x25519'] });
    // Same ticket keys for both servers; the second wants another group.
    const set = new TicketKeySet();
    const a = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys: set });
    const b = createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys: set, groups: ['secp256r1'] });
    await run(cc, a);
    const r = await run(cc, b, { earlyData: enc('GET /') });
    expect(r.client.error).toBeNull();
    expect(r.client.info.helloRetryRequest).toBe(true);
    expect(r.client.info.resumed).toBe(true);
    expect(r.client.info.earlyData).toBe('rejected');
    expect(r.received).toBe('GET /|after');
  });

  it('a replayed first flight (ClientHello + early data) is refused by the register: nothing delivered', async () => {
    const register = new MemoryReplayRegister();
    const { cc, sc } = configs({}, { replayRegister: register });
    await run(cc, sc);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: enc('transfer $100') });
    await client.start();
    const flight = client.takeOutput()!;
    const s1 = TlsConnection.server(sc);
    s1.receive(flight.slice());
    await s1.process();
    expect(dec(s1.read()!)).toBe('transfer $100');
    // The attacker sends the same bytes to the server again (another connection).
    const s2 = TlsConnection.server(sc);
    s2.receive(flight.slice());
    await s2.process().catch(() => undefined);
    expect(s2.read()).toBeNull();
    expect(s2.earlyDataLength).toBe(0);
    expect(s2.info.earlyData).toBe('rejected');
    expect(register.size).toBe(1);
  });

  it('early data over max_early_data_size → unexpected_message', async () => {
    // The client believes the ticket allows 2000 bytes; the server's ticket said 1024.
    const store = new MemorySessionStore();
    const { sc } = configs();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: {
      get: (k) => { const s = store.get(k); return s ? { ...s, maxEarlyData: 4096 } : undefined; },
      put: (k, v) => store.put(k, v),
      delete: (k, v) => store.delete(k, v),
    } });
    await run(cc, sc);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: new Uint8Array(2000) });
    const server = TlsConnection.server(sc);
    await pump(client, server).catch(() => undefined);
    expect(server.error?.status).toBe('UnexpectedMessage');
  });

  it('property: whatever the server decides, every early byte arrives exactly once, in order, before later writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('accept', 'register-refuses', 'off', 'too-big', 'hrr'),
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        async (decision, data) => {
          const set = new TicketKeySet();
          const base = { cert: pki.chainPem, key: pki.keyPem, ticketKeys: set };
          const first = createServerConfig({ ...base, maxEarlyData: 1024 });
          const second = createServerConfig({
            ...base,
            maxEarlyData: decision === 'off' ? 0 : decision === 'too-big' ? 1 : 1024,
            ...(decision === 'register-refuses' ? { replayRegister: { claim: () => false } } : {}),
            ...(decision === 'hrr' ? { groups: ['secp256r1'] } : {}),
          });
          const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore(), keyShareGroups: ['x25519'] });
          // The first server's tickets allow 1024 bytes ('too-big' and 'off' tickets come from `second` itself).
          await run(cc, decision === 'too-big' || decision === 'off' ? second : first);
          const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: data });
          const server = TlsConnection.server(second);
          await pump(client, server);
          client.write(enc('TAIL'));
          await pump(client, server);
          expect(client.error).toBeNull();
          const got = readAll(server);
          expect([...got]).toEqual([...data, ...enc('TAIL')]);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('0-RTT rejected: the bytes skipped (RFC 9846 §4.3.10, "up to the configured max_early_data_size")', () => {
  const payload = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff;
    return b;
  };
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

  // A server whose tickets allow 128 KiB of early data but that refuses this 0-RTT attempt
  // (its replay register says no): it skips what the client sent early, and the client sends
  // it again after the handshake.
  it.each([60_000, 70_000, 1 << 17])('%i bytes of early data, within the 128 KiB the tickets allow: skipped, then delivered once', async (n) => {
    const { cc, sc } = configs({}, { maxEarlyData: 1 << 17, replayRegister: { claim: () => false } });
    await run(cc, sc);
    const data = payload(n);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: data });
    const server = TlsConnection.server(sc);
    await pump(client, server);
    expect(server.error).toBeNull();
    expect(client.error).toBeNull();
    expect(client.info.earlyData).toBe('rejected');
    expect(same(readAll(server), data)).toBe(true);
  });

  it('an explicit maxSkippedEarlyData still bounds it: more is refused (BadRecordMac)', async () => {
    const { cc, sc } = configs({}, { maxEarlyData: 1 << 17, maxSkippedEarlyData: 65536, replayRegister: { claim: () => false } });
    await run(cc, sc);
    const client = TlsConnection.client(cc, { servername: 'localhost', earlyData: payload(70_000) });
    const server = TlsConnection.server(sc);
    await pump(client, server).catch(() => undefined);
    expect(server.error?.status).toBe('BadRecordMac');
  });

});
