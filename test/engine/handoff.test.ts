/**
 * Live hand-off in memory (issue 10 item 6): `exportState()` / `TlsConnection.import()`.
 * Nothing received is lost or duplicated, the exporter never seals again, KeyUpdate keeps
 * working after the hand-off (RFC 9846 §4.7.3), and a malformed or altered state is refused
 * with `StateRejected`, never another exception.
 */
import { createHash } from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions, TraceEvent } from '../../src/config/config.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

function clientOpts(extra: ClientOptions = {}): ClientOptions {
  return { servername: 'localhost', ca: pki.caCertPem, ALPNProtocols: ['h2', 'x-handoff'], ...extra };
}
function serverOpts(extra: Partial<ServerOptions> = {}): ServerOptions {
  return { cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: ['x-handoff'], sessionTickets: 0, ...extra };
}

async function connected(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const client = TlsConnection.client(clientOpts(c));
  const server = TlsConnection.server(serverOpts(s));
  await pump(client, server);
  expect(client.error).toBeNull();
  expect(server.error).toBeNull();
  expect(client.phase).toBe('open');
  return { client, server };
}

function expectStatus(f: () => unknown, status: string): void {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsError);
  expect((caught as TlsError).status).toBe(status);
}

/** Takes all of a's output, once sealed (an async AEAD seals later: settled()). */
async function ship(a: TlsConnection): Promise<Uint8Array[]> {
  await a.settled();
  const chunks: Uint8Array[] = [];
  let o: Uint8Array | null;
  while ((o = a.takeOutput())) chunks.push(o);
  return chunks;
}

/** Feeds bytes through receive/process honouring back-pressure. */
async function feed(c: TlsConnection, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) {
    at += c.receive(bytes.subarray(at));
    await c.process();
  }
  await c.process();
}

function concat(parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    r.set(p, at);
    at += p.length;
  }
  return r;
}

describe('exportState / import in memory', () => {
  it('mid-stream with unread plaintext and unprocessed ciphertext: nothing lost or duplicated; the old client refuses to write', async () => {
    const { client, server } = await connected();
    const exporterBefore = client.exportKeyingMaterial('EXPORTER-handoff', null, 32);
    // Three records from the server: the first is processed and left unread, the second is
    // received but not processed, the third has not reached the client yet.
    server.write(enc('first|'));
    const r1 = concat(await ship(server));
    server.write(enc('second|'));
    const r2 = concat(await ship(server));
    server.write(enc('third|'));
    const r3 = concat(await ship(server));
    expect(client.receive(r1)).toBe(r1.length);
    await client.process();
    expect(client.receive(r2)).toBe(r2.length); // buffered, not processed
    const state = client.exportState();
    expect(state).toBeInstanceOf(Uint8Array);

    // The old connection is dead: no write, no KeyUpdate, no close alert, no second export, no output.
    expectStatus(() => client.write(enc('nonce reuse?')), 'Closed');
    expectStatus(() => client.keyUpdate(), 'Closed');
    expectStatus(() => client.exportState(), 'Closed');
    client.close();
    expect(client.takeOutput()).toBeNull();
    expect(client.read()).toBeNull(); // the unread data went with the state

    const next = TlsConnection.import(state, { role: 'client', config: clientOpts() });
    await next.process();
    await feed(next, r3);
    expect(dec(readAll(next))).toBe('first|second|third|');
    expect(next.info.alpn).toBe('x-handoff');
    expect(next.info.version).toBe('TLSv1.3');
    expect(next.info.peerCertificate).toEqual(client.info.peerCertificate ?? 'old info kept');
    expect(next.exportKeyingMaterial('EXPORTER-handoff', null, 32)).toEqual(exporterBefore);

    // The server never notices: data both ways, then clean close.
    next.write(enc('hello from the new owner'));
    await pump(next, server);
    expect(dec(readAll(server))).toBe('hello from the new owner');
    next.close();
    await pump(next, server);
    server.close();
    await pump(next, server);
    expect(next.error).toBeNull();
    expect(server.error).toBeNull();
    expect(next.phase).toBe('closed');
    expect(server.phase).toBe('closed');
  });

  it('server role, a KeyUpdate each way after the hand-off (RFC 9846 §4.7.3), and again from the imported side', async () => {
    const { client, server } = await connected({ cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
    // Records before the hand-off advance both sequence numbers.
    for (let i = 0; i < 5; i++) {
      client.write(enc(`c${i}`));
      server.write(enc(`s${i}`));
      await pump(client, server);
    }
    readAll(client);
    readAll(server);
    const trace: TraceEvent[] = [];
    const next = TlsConnection.import(server.exportState(), { role: 'server', config: serverOpts({ trace: (e) => trace.push(e) }) });
    expectStatus(() => server.write(enc('x')), 'Closed');
    client.keyUpdate(true);
    await pump(client, next);
    expect(trace.some((e) => e.kind === 'key_change' && e.summary.includes('KeyUpdate'))).toBe(true);
    next.write(enc('after update'));
    client.write(enc('after update too'));
    await pump(client, next);
    expect(dec(readAll(client))).toBe('after update');
    expect(dec(readAll(next))).toBe('after update too');
    next.keyUpdate(true);
    await pump(client, next);
    const big = new Uint8Array(200_000).map((_, i) => i * 7);
    next.write(big);
    client.write(big);
    await pump(client, next);
    expect(readAll(client)).toEqual(big);
    expect(readAll(next)).toEqual(big);
    expect(client.error).toBeNull();
    expect(next.error).toBeNull();
    expect(next.info.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
  });

  it('a record the exporter already opened, replayed to the importer, fails (the read sequence number moved on: RFC 9846 §5.3)', async () => {
    const { client, server } = await connected();
    server.write(enc('once'));
    const r = concat(await ship(server));
    await feed(client, r);
    expect(dec(readAll(client))).toBe('once');
    const next = TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() });
    await feed(next, r);
    expect(next.error?.status).toBe('BadRecordMac');
    expect(next.read()).toBeNull();
  });

  it('a state can be handed off again (chain of owners)', async () => {
    const { client, server } = await connected();
    let c = client;
    for (let i = 0; i < 3; i++) {
      c.write(enc(`hop ${i}`));
      await pump(c, server);
      expect(dec(readAll(server))).toBe(`hop ${i}`);
      c = TlsConnection.import(c.exportState(), { role: 'client', config: clientOpts() });
    }
    server.write(enc('to the last owner'));
    await pump(c, server);
    expect(dec(readAll(c))).toBe('to the last owner');
  });
});

describe('exportState refusals', () => {
  it('during the handshake: ApiMisuse', async () => {
    const client = TlsConnection.client(clientOpts());
    expectStatus(() => client.exportState(), 'ApiMisuse');
    await client.start();
    expectStatus(() => client.exportState(), 'ApiMisuse');
    // The refusal did not hurt the connection.
    const server = TlsConnection.server(serverOpts());
    await pump(client, server);
    expect(client.phase).toBe('open');
  });

  it('with output not yet taken (data, or a KeyUpdate half sent): ApiMisuse, and the connection still works', async () => {
    const { client, server } = await connected();
    client.write(enc('pending'));
    expectStatus(() => client.exportState(), 'ApiMisuse');
    await pump(client, server);
    client.keyUpdate(true);
    expectStatus(() => client.exportState(), 'ApiMisuse');
    await pump(client, server);
    expect(dec(readAll(server))).toBe('pending');
    // Everything is taken now: the export goes through.
    expect(TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() }).phase).toBe('open');
  });

  it('while process() runs: ApiMisuse', async () => {
    const { client, server } = await connected();
    server.write(enc('x'));
    client.receive(concat(await ship(server)));
    const running = client.process();
    // `running` is set until process()'s promise settles, even when a sync provider did the work at once.
    expectStatus(() => client.exportState(), 'ApiMisuse');
    await running;
    expect(dec(readAll(client))).toBe('x');
    // Settled: the export goes through, and the refusal cost nothing.
    expect(TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() }).phase).toBe('open');
  });

  it('after close() → Closed; after a failure → the sticky error', async () => {
    const a = await connected();
    a.client.close();
    expectStatus(() => a.client.exportState(), 'Closed');
    const b = await connected();
    b.client.receive(new Uint8Array([23, 3, 3, 0, 20, ...new Uint8Array(20)]));
    await b.client.process();
    expect(b.client.error?.status).toBe('BadRecordMac');
    expectStatus(() => b.client.exportState(), 'BadRecordMac');
  });

  it('TLS 1.2: ApiMisuse (not supported), the connection keeps working', async () => {
    const { client, server } = await connected({ maxVersion: 'TLSv1.2' });
    expect(client.info.version).toBe('TLSv1.2');
    expectStatus(() => client.exportState(), 'ApiMisuse');
    client.write(enc('still fine'));
    await pump(client, server);
    expect(dec(readAll(server))).toBe('still fine');
  });
});

describe('import of a malformed or altered state: StateRejected, never another exception', () => {
  const rechecksum = (b: Uint8Array): Uint8Array => {
    const body = b.subarray(0, b.length - 32);
    const r = new Uint8Array(b);
    r.set(createHash('sha256').update(body).digest(), b.length - 32);
    return r;
  };
  let state: Uint8Array;
  beforeAll(async () => {
    const { client } = await connected();
    state = client.exportState();
  });

  it('not bytes, empty, random, truncated anywhere, extended', () => {
    for (const bad of [null, undefined, 'state', 42, {}, [], new Uint8Array(0), new Uint8Array(100), enc('PTLSHAND')] as unknown[]) {
      expectStatus(() => TlsConnection.import(bad as Uint8Array, { role: 'client', config: clientOpts() }), 'StateRejected');
    }
    for (let n = 0; n < state.length; n += 7) {
      expectStatus(() => TlsConnection.import(state.subarray(0, n), { role: 'client', config: clientOpts() }), 'StateRejected');
    }
    expectStatus(() => TlsConnection.import(concat([state, new Uint8Array(1)]), { role: 'client', config: clientOpts() }), 'StateRejected');
  });

  it('any flipped byte is caught by the checksum', () => {
    for (let i = 0; i < state.length; i++) {
      const t = new Uint8Array(state);
      t[i]! ^= 0x01;
      expectStatus(() => TlsConnection.import(t, { role: 'client', config: clientOpts() }), 'StateRejected');
    }
  });

  it('fields altered with a valid checksum: every change is refused or imports without a thrown non-TlsError', () => {
    // Byte positions of the fixed header: format 8, role 9, version 10-11, suite 12-13, flags 14.
    const at = (i: number, v: number): Uint8Array => {
      const t = new Uint8Array(state);
      t[i] = v;
      return rechecksum(t);
    };
    expectStatus(() => TlsConnection.import(at(8, 2), { role: 'client', config: clientOpts() }), 'StateRejected');
    expectStatus(() => TlsConnection.import(at(9, 1), { role: 'client', config: clientOpts() }), 'StateRejected');
    expectStatus(() => TlsConnection.import(state, { role: 'server', config: serverOpts() }), 'StateRejected');
    expectStatus(() => TlsConnection.import(at(11, 3), { role: 'client', config: clientOpts() }), 'StateRejected');
    expectStatus(() => TlsConnection.import(at(13, 0x2f), { role: 'client', config: clientOpts() }), 'StateRejected');
    expectStatus(() => TlsConnection.import(at(14, 2), { role: 'client', config: clientOpts() }), 'StateRejected');
    // Every byte of the body set to 0xff in turn, checksum fixed: a TlsError or a connection.
    for (let i = 8; i < state.length - 32; i++) {
      try {
        TlsConnection.import(at(i, 0xff), { role: 'client', config: clientOpts() });
      } catch (e) {
        expect(e).toBeInstanceOf(TlsError);
      }
    }
  });

  it('bad options: InvalidConfig', () => {
    expectStatus(() => TlsConnection.import(state, null as never), 'InvalidConfig');
    expectStatus(() => TlsConnection.import(state, { role: 'peer' } as never), 'InvalidConfig');
  });
});
