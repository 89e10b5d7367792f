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

  it('TLS 1.2 with output not yet taken: ApiMisuse, and the connection still works', async () => {
    const { client, server } = await connected({ maxVersion: 'TLSv1.2' });
    expect(client.info.version).toBe('TLSv1.2');
    client.write(enc('still fine'));
    expectStatus(() => client.exportState(), 'ApiMisuse');
    await pump(client, server);
    expect(dec(readAll(server))).toBe('still fine');
    expect(TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() }).info.version).toBe('TLSv1.2');
  });
});

const GCM12 = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256';
const GCM12_384 = 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384';
const CHACHA12 = 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256';

describe('TLS 1.2 exportState / import (RFC 5246 §6.3 key block, RFC 5288 / RFC 7905 nonces)', () => {
  for (const suite of [GCM12, GCM12_384, CHACHA12]) {
    for (const role of ['client', 'server'] as const) {
      it(`${suite}, ${role} handed off mid-stream with unread plaintext and unprocessed ciphertext; exporter equal; old side dead`, async () => {
        const { client, server } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [suite] });
        expect(client.info.version).toBe('TLSv1.2');
        expect(client.info.cipherSuite).toBe(suite);
        const [old, peer] = role === 'client' ? [client, server] : [server, client];
        // Both sequence numbers move away from where a fresh key block would start.
        for (let i = 0; i < 4; i++) {
          old.write(enc(`o${i}`));
          peer.write(enc(`p${i}`));
          await pump(client, server);
        }
        expect(dec(readAll(peer))).toBe('o0o1o2o3');
        expect(dec(readAll(old))).toBe('p0p1p2p3');
        const exporterBefore = old.exportKeyingMaterial('EXPORTER-handoff', enc('ctx'), 48);
        peer.write(enc('first|'));
        const r1 = concat(await ship(peer));
        peer.write(enc('second|'));
        const r2 = concat(await ship(peer));
        peer.write(enc('third|'));
        const r3 = concat(await ship(peer));
        expect(old.receive(r1)).toBe(r1.length);
        await old.process();
        expect(old.receive(r2)).toBe(r2.length); // buffered, not processed
        const state = old.exportState();

        expectStatus(() => old.write(enc('nonce reuse?')), 'Closed');
        expectStatus(() => old.exportState(), 'Closed');
        expectStatus(() => old.exportKeyingMaterial('EXPORTER-handoff', enc('ctx'), 48), 'Closed');
        old.close();
        expect(old.takeOutput()).toBeNull();
        expect(old.read()).toBeNull();

        const config = role === 'client' ? clientOpts() : serverOpts();
        const next = TlsConnection.import(state, { role, config } as Parameters<typeof TlsConnection.import>[1]);
        await next.process();
        await feed(next, r3);
        expect(dec(readAll(next))).toBe('first|second|third|');
        expect(next.info.version).toBe('TLSv1.2');
        expect(next.info.cipherSuite).toBe(suite);
        expect(next.info.alpn).toBe('x-handoff');
        expect(next.exportKeyingMaterial('EXPORTER-handoff', enc('ctx'), 48)).toEqual(exporterBefore);
        expect(next.exportKeyingMaterial('EXPORTER-handoff', enc('ctx'), 48)).toEqual(peer.exportKeyingMaterial('EXPORTER-handoff', enc('ctx'), 48));

        // The peer never notices: a lot of data both ways, then a clean close.
        const big = new Uint8Array(100_000).map((_, i) => i * 13);
        next.write(big);
        peer.write(big);
        const [c, s] = role === 'client' ? [next, peer] : [peer, next];
        await pump(c, s);
        expect(readAll(next)).toEqual(big);
        expect(readAll(peer)).toEqual(big);
        next.close();
        await pump(c, s);
        peer.close();
        await pump(c, s);
        expect(next.error).toBeNull();
        expect(peer.error).toBeNull();
        expect(next.phase).toBe('closed');
        expect(peer.phase).toBe('closed');
      });
    }
  }

  it('a record the exporter already opened, replayed to the importer, fails (the read sequence number moved on)', async () => {
    for (const suite of [GCM12, CHACHA12]) {
      const { client, server } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [suite] });
      server.write(enc('once'));
      const r = concat(await ship(server));
      await feed(client, r);
      expect(dec(readAll(client))).toBe('once');
      const next = TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() });
      await feed(next, r);
      expect(next.error?.status).toBe('BadRecordMac');
      expect(next.read()).toBeNull();
    }
  });

  it('the importer continues the write sequence: its first record is not the one the exporter sent last', async () => {
    const { client, server } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [GCM12] });
    client.write(enc('same'));
    const before = concat(await ship(client));
    await feed(server, before);
    const next = TlsConnection.import(client.exportState(), { role: 'client', config: clientOpts() });
    next.write(enc('same'));
    const after = concat(await ship(next));
    expect(after.length).toBe(before.length);
    // AES-GCM's explicit nonce is the sequence number (RFC 5288 §3 as puretls sends it): one more.
    const seq = (rec: Uint8Array): bigint => new DataView(rec.buffer, rec.byteOffset + 5, 8).getBigUint64(0);
    expect(seq(after)).toBe(seq(before) + 1n);
    expect(after).not.toEqual(before);
    await feed(server, after);
    expect(dec(readAll(server))).toBe('samesame');
  });

  it('a chain of owners, and a peer close_notify received before the hand-off is kept', async () => {
    const { client, server } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [CHACHA12] });
    let c = client;
    for (let i = 0; i < 3; i++) {
      c.write(enc(`hop ${i}`));
      await pump(c, server);
      expect(dec(readAll(server))).toBe(`hop ${i}`);
      c = TlsConnection.import(c.exportState(), { role: 'client', config: clientOpts() });
    }
    server.write(enc('bye'));
    server.close();
    await feed(c, concat(await ship(server)));
    expect(c.phase).toBe('peer-closed');
    const last = TlsConnection.import(c.exportState(), { role: 'client', config: clientOpts() });
    expect(last.phase).toBe('peer-closed');
    expect(dec(readAll(last))).toBe('bye');
    last.close();
    await pump(last, server);
    expect(last.error).toBeNull();
    expect(server.error).toBeNull();
    expect(last.phase).toBe('closed');
  });

  it('without the extended master secret the exporter stays disabled after import (RFC 7627 §5.4)', async () => {
    // Only puretls is in the pair; EMS is always negotiated between two puretls ends, so the
    // flag travelling is checked on the state itself: bit 1 of the flags byte.
    const { client } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [GCM12] });
    const state = client.exportState();
    expect(state[8]).toBe(2); // format 2: TLS 1.2
    expect((state[10]! << 8) | state[11]!).toBe(0x0303);
    expect(state[14]! & 2).toBe(2);
    const t = new Uint8Array(state);
    t[14] = 0;
    const body = t.subarray(0, t.length - 32);
    t.set(createHash('sha256').update(body).digest(), t.length - 32);
    const next = TlsConnection.import(t, { role: 'client', config: clientOpts() });
    expectStatus(() => next.exportKeyingMaterial('EXPORTER-handoff', null, 32), 'ApiMisuse');
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

describe('import of a malformed or altered TLS 1.2 state: StateRejected', () => {
  const rechecksum = (b: Uint8Array): Uint8Array => {
    const r = new Uint8Array(b);
    r.set(createHash('sha256').update(b.subarray(0, b.length - 32)).digest(), b.length - 32);
    return r;
  };
  let state: Uint8Array;
  beforeAll(async () => {
    const { server } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [CHACHA12] });
    state = server.exportState();
  });
  const imp = (b: Uint8Array, role: 'client' | 'server' = 'server'): unknown =>
    TlsConnection.import(b, role === 'server' ? { role, config: serverOpts() } : { role, config: clientOpts() });

  it('truncated anywhere, extended, any flipped byte, the other role', () => {
    expect(imp(state)).toBeInstanceOf(TlsConnection);
    for (let n = 0; n < state.length; n += 5) expectStatus(() => imp(state.subarray(0, n)), 'StateRejected');
    expectStatus(() => imp(concat([state, new Uint8Array(1)])), 'StateRejected');
    for (let i = 0; i < state.length; i++) {
      const t = new Uint8Array(state);
      t[i]! ^= 0x80;
      expectStatus(() => imp(t), 'StateRejected');
    }
    expectStatus(() => imp(state, 'client'), 'StateRejected');
  });

  it('fields altered with a valid checksum: format/version mismatch, a TLS 1.3 or unknown suite, unknown flags, early data, wrong secret lengths', () => {
    // format 8, role 9, version 10-11, suite 12-13, flags 14, sequences 15-30, early data 31-34, master length 35.
    const at = (i: number, v: number): Uint8Array => {
      const t = new Uint8Array(state);
      t[i] = v;
      return rechecksum(t);
    };
    expectStatus(() => imp(at(8, 1)), 'StateRejected'); // format 1 is TLS 1.3 only
    expectStatus(() => imp(at(8, 3)), 'StateRejected');
    expectStatus(() => imp(at(11, 4)), 'StateRejected'); // 0x0304 in a format 2 state
    const suiteAt = (code: number): Uint8Array => rechecksum(Object.assign(new Uint8Array(state), { 12: code >> 8, 13: code & 0xff }));
    expectStatus(() => imp(suiteAt(0x1301)), 'StateRejected'); // TLS_AES_128_GCM_SHA256
    expectStatus(() => imp(suiteAt(0xc013)), 'StateRejected'); // a CBC suite
    expectStatus(() => imp(at(14, 4)), 'StateRejected');
    expectStatus(() => imp(at(34, 1)), 'StateRejected');
    expectStatus(() => imp(at(35, 47)), 'StateRejected');
    expectStatus(() => imp(at(35, 49)), 'StateRejected');
    // Every byte of the body set to 0xff in turn, checksum fixed: a TlsError or a connection.
    for (let i = 8; i < state.length - 32; i++) {
      try {
        imp(at(i, 0xff));
      } catch (e) {
        expect(e).toBeInstanceOf(TlsError);
      }
    }
  });

  it('a suite code that disagrees with the negotiated info (same AEAD and PRF): StateRejected', async () => {
    const { client } = await connected({ maxVersion: 'TLSv1.2', cipherSuites: [GCM12] });
    const t = new Uint8Array(client.exportState());
    Object.assign(t, { 12: 0xc0, 13: 0x2f }); // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    expectStatus(() => TlsConnection.import(rechecksum(t), { role: 'client', config: clientOpts() }), 'StateRejected');
  });
});
