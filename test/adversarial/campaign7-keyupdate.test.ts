/**
 * Campaign 7 (a hostile peer on a long-lived connection): KeyUpdate (RFC 9846 §4.7.3, §5.5,
 * §7.2), both roles.
 *
 * - Our own requests: "Until receiving a subsequent KeyUpdate from the peer, the sender MUST
 *   NOT send another KeyUpdate with request_update set to update_requested." Before the fix
 *   `keyUpdate(true)` twice sent two requests.
 * - The peer's KeyUpdates: values other than 0/1 (illegal_parameter), wrong lengths
 *   (decode_error), fragmented over records (allowed), interleaved with other records or
 *   followed by more handshake data in its record (unexpected_message), in TLS 1.2 (no such
 *   message), floods of requests interleaved with data (each answered, memory flat), a
 *   request arriving while our writes are pending, with our close_notify, and with tickets.
 * - The AEAD usage limit (RFC 9846 §5.5): a connection continued from a hand-off state whose
 *   write sequence number is just below 2^23 updates its keys by itself and the peer reads
 *   every byte; a TLS 1.2 connection at its seal limit fails with a TlsError.
 * - Exporters do not change with KeyUpdate (RFC 9846 §7.5 uses the exporter secret).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { TraceEvent } from '../../src/config/config.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { pump, readAll } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType, KeyUpdateRequest } from '../../src/wire/codes.js';
import { nextTrafficSecret } from '../../src/keys/tls13-schedule.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { decodeHandoff, encodeHandoff } from '../../src/engine/handoff.js';
import { AES128, RawCipher, alertsIn, deliver, encodeRecords, flushed, hsMessage, parseRecords, type KeyLog, type Rec, type TrafficLabel } from '../helpers/mitm.js';
import { Relay12 } from '../helpers/tls12.js';
import { FaultPipe } from '../../src/testing/index.js';
import { KeyLog as KeyLogClass } from '../helpers/mitm.js';
import { expectFailed, handshaken, keyLoggedPair, type KeyLoggedPair } from '../helpers/hostile-peer.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Role = 'client' | 'server';
const ROLES: readonly Role[] = ['client', 'server'];

type Which = 'pure' | 'webcrypto';
/** A pair on `which` (webcrypto: every seal and open answers through a promise, records are opened ahead). */
async function connected(which: Which = 'pure'): Promise<KeyLoggedPair> {
  const crypto = which === 'pure' ? nobleProvider : webcryptoProvider();
  return handshaken(keyLoggedPair(pki, { cipherSuites: ['TLS_AES_128_GCM_SHA256'], crypto }, { crypto }));
}

/**
 * One direction's chain of application traffic secrets as the test (the peer, or a man in
 * the middle who has them) sees it: seals and opens records, and follows KeyUpdates.
 */
class Chain {
  private secret: Uint8Array;
  cipher: RawCipher;
  generation = 0;
  constructor(keys: KeyLog, label: TrafficLabel) {
    this.secret = keys.get(label);
    this.cipher = new RawCipher(AES128, this.secret);
  }
  update(): void {
    this.secret = nextTrafficSecret(nobleProvider, AES128.hash, this.secret);
    this.cipher = new RawCipher(AES128, this.secret);
    this.generation++;
  }
  seal(type: number, content: Uint8Array): Rec {
    return this.cipher.seal(type, content);
  }
  /** Opens records in order, following the KeyUpdates among them; returns [type, content] per record. */
  openAll(bytes: Uint8Array | null): { type: number; content: Uint8Array }[] {
    const out: { type: number; content: Uint8Array }[] = [];
    for (const r of parseRecords(bytes ?? new Uint8Array(0))) {
      const o = this.cipher.open(r);
      out.push(o);
      if (o.type === ContentType.handshake && o.content[0] === HandshakeType.key_update) this.update();
    }
    return out;
  }
}

/** The label of the traffic secret `role` writes with. */
const WRITES: Record<Role, TrafficLabel> = { client: 'CLIENT_TRAFFIC_SECRET_0', server: 'SERVER_TRAFFIC_SECRET_0' };
const other = (r: Role): Role => (r === 'client' ? 'server' : 'client');

const ku = (request: number): Uint8Array => hsMessage(HandshakeType.key_update, new Uint8Array([request]));
const KU_REQUESTED = ku(KeyUpdateRequest.update_requested);
const KU_NOT_REQUESTED = ku(KeyUpdateRequest.update_not_requested);

/** The KeyUpdate requests in what `role` sent (opened with `chain`). */
function keyUpdatesIn(chain: Chain, bytes: Uint8Array | null): number[] {
  return chain
    .openAll(bytes)
    .filter((o) => o.type === ContentType.handshake && o.content[0] === HandshakeType.key_update)
    .map((o) => o.content[4]!);
}

describe('our own KeyUpdate requests (RFC 9846 §4.7.3)', () => {
  for (const [role, which] of ROLES.flatMap((r) => (['pure', 'webcrypto'] as const).map((w) => [r, w] as const))) {
    it(`${role} (${which}): keyUpdate(true) twice before the peer answers sends one request; the second only updates our keys`, async () => {
      const p = await connected(which);
      const me = p[role];
      const peer = p[other(role)];
      const mine = new Chain(p.keys, WRITES[role]);
      me.keyUpdate(true);
      me.keyUpdate(true);
      me.write(payload(100, 1));
      const wire = await flushed(me);
      expect(keyUpdatesIn(mine, wire)).toEqual([KeyUpdateRequest.update_requested, KeyUpdateRequest.update_not_requested]);
      // The peer updates both generations, answers the one request, and reads the data.
      await deliver(peer, wire);
      expect(peer.error).toBeNull();
      expect(sameBytes(readAll(peer), payload(100, 1))).toBe(true);
      const answer = await flushed(peer);
      const theirs = new Chain(p.keys, WRITES[other(role)]);
      expect(keyUpdatesIn(theirs, answer)).toEqual([KeyUpdateRequest.update_not_requested]);
      await deliver(me, answer);
      // Answered: the next request is a request again.
      me.keyUpdate(true);
      expect(keyUpdatesIn(mine, await flushed(me))).toEqual([KeyUpdateRequest.update_requested]);
      expect(me.error).toBeNull();
    });

    it(`${role} (${which}): any KeyUpdate from the peer (even one it sent on its own) ends the wait for an answer`, async () => {
      const p = await connected(which);
      const me = p[role];
      const peer = p[other(role)];
      const mine = new Chain(p.keys, WRITES[role]);
      me.keyUpdate(true);
      const first = await flushed(me);
      // The peer's own KeyUpdate crosses our request in flight.
      peer.keyUpdate(false);
      await deliver(me, await flushed(peer));
      me.keyUpdate(true);
      expect(keyUpdatesIn(mine, join([first!, (await flushed(me))!]))).toEqual([KeyUpdateRequest.update_requested, KeyUpdateRequest.update_requested]);
    });
  }

  it('crossing requests: each side answers once, data flows, the generations agree (two each)', async () => {
    const p = await connected();
    p.client.keyUpdate(true);
    p.server.keyUpdate(true);
    p.client.write(payload(10, 1));
    p.server.write(payload(10, 2));
    const cw = new Chain(p.keys, WRITES.client);
    const sw = new Chain(p.keys, WRITES.server);
    const c1 = await flushed(p.client);
    const s1 = await flushed(p.server);
    await deliver(p.server, c1);
    await deliver(p.client, s1);
    const c2 = await flushed(p.client);
    const s2 = await flushed(p.server);
    await deliver(p.server, c2);
    await deliver(p.client, s2);
    expect(keyUpdatesIn(cw, join([c1!, c2!]))).toEqual([1, 0]);
    expect(keyUpdatesIn(sw, join([s1!, s2!]))).toEqual([1, 0]);
    expect([cw.generation, sw.generation]).toEqual([2, 2]);
    expect(readAll(p.server)).toEqual(payload(10, 1));
    expect(readAll(p.client)).toEqual(payload(10, 2));
    // Nothing more is owed either way.
    await pump(p.client, p.server);
    expect([p.client.error, p.server.error]).toEqual([null, null]);
  });
});

describe("the peer's KeyUpdate messages", () => {
  for (const role of ROLES) {
    const victim = (p: KeyLoggedPair): TlsConnection => p[role];
    const peerChain = (p: KeyLoggedPair): Chain => new Chain(p.keys, WRITES[other(role)]);
    const victimOut = (p: KeyLoggedPair): RawCipher => RawCipher.from(p.keys, WRITES[role]);

    for (const [what, body, status, alert] of [
      ['request_update 2', [2], 'IllegalParameter', 'illegal_parameter'],
      ['request_update 255', [255], 'IllegalParameter', 'illegal_parameter'],
      ['an empty body', [], 'DecodeError', 'decode_error'],
      ['two bytes', [0, 0], 'DecodeError', 'decode_error'],
    ] as const) {
      it(`${role} receives a KeyUpdate with ${what} → ${status}/${alert}, alerted under the old key`, async () => {
        const p = await connected();
        const c = peerChain(p);
        await deliver(victim(p), encodeRecords([c.seal(ContentType.handshake, hsMessage(HandshakeType.key_update, new Uint8Array(body)))]));
        expectFailed(victim(p), status, alert);
        expect(alertsIn(await flushed(victim(p)), victimOut(p))).toEqual([{ level: 2, description: AlertDescription[alert], protected: true }]);
      });
    }

    it(`${role}: a KeyUpdate fragmented over three records is a KeyUpdate (RFC 9846 §5.1 allows it): answered, and the next generation reads (pure, webcrypto)`, async () => {
      for (const which of ['pure', 'webcrypto'] as const) {
        const p = await connected(which);
        const c = peerChain(p);
        await deliver(victim(p), encodeRecords([c.seal(ContentType.handshake, KU_REQUESTED.subarray(0, 1)), c.seal(ContentType.handshake, KU_REQUESTED.subarray(1, 4)), c.seal(ContentType.handshake, KU_REQUESTED.subarray(4))]));
        c.update();
        await deliver(victim(p), encodeRecords([c.seal(ContentType.application_data, payload(20, 3))]));
        expect(victim(p).error).toBeNull();
        expect(readAll(victim(p))).toEqual(payload(20, 3));
        expect(keyUpdatesIn(new Chain(p.keys, WRITES[role]), await flushed(victim(p)))).toEqual([KeyUpdateRequest.update_not_requested]);
      }
    });

    for (const [what, between] of [
      ['an empty application_data record', { type: ContentType.application_data, content: new Uint8Array(0) }],
      ['application data', { type: ContentType.application_data, content: new Uint8Array([1]) }],
      ['a warning alert (user_canceled)', { type: ContentType.alert, content: new Uint8Array([1, AlertDescription.user_canceled]) }],
      ['close_notify', { type: ContentType.alert, content: new Uint8Array([1, AlertDescription.close_notify]) }],
    ] as const) {
      it(`${role}: ${what} between two fragments of a KeyUpdate → UnexpectedMessage/unexpected_message (RFC 9846 §5.1), nothing delivered`, async () => {
        const p = await connected();
        const c = peerChain(p);
        await deliver(victim(p), encodeRecords([c.seal(ContentType.handshake, KU_REQUESTED.subarray(0, 2)), c.seal(between.type, between.content), c.seal(ContentType.handshake, KU_REQUESTED.subarray(2))]));
        expectFailed(victim(p), 'UnexpectedMessage', 'unexpected_message');
        expect(victim(p).read()).toBeNull();
      });
    }

    it(`${role}: two KeyUpdates in one record → UnexpectedMessage (a key change must end its record, RFC 9846 §5.1)`, async () => {
      const p = await connected();
      const c = peerChain(p);
      await deliver(victim(p), encodeRecords([c.seal(ContentType.handshake, join([KU_NOT_REQUESTED, KU_NOT_REQUESTED]))]));
      expectFailed(victim(p), 'UnexpectedMessage', 'unexpected_message');
    });

    it(`${role}: a KeyUpdate header announcing 60 KiB is refused before its body is buffered → DecodeError/decode_error`, async () => {
      const p = await connected();
      const c = peerChain(p);
      const v = victim(p);
      // The header, then the body trickled a record at a time, as a peer wasting our memory would.
      const header = hsMessage(HandshakeType.key_update, new Uint8Array(0), 60 * 1024);
      await deliver(v, encodeRecords([c.seal(ContentType.handshake, header)]));
      let peak = v.bufferedBytes;
      for (let i = 0; i < 30 && !v.error; i++) {
        await deliver(v, encodeRecords([c.seal(ContentType.handshake, new Uint8Array(2048))]));
        peak = Math.max(peak, v.bufferedBytes);
      }
      expectFailed(v, 'DecodeError', 'decode_error');
      expect(peak).toBeLessThan(4096);
    });
  }

  for (const which of ['pure', 'webcrypto'] as const) {
    it(`server (${which}): a flood of update requests, each followed by one byte of data: every one answered, every byte delivered, memory flat`, async () => {
      const p = await connected(which);
      const c = new Chain(p.keys, WRITES.client);
      const answers = new Chain(p.keys, WRITES.server);
      const got: Uint8Array[] = [];
      let peak = 0;
      let answered = 0;
      for (let i = 0; i < 300; i++) {
        const rec = c.seal(ContentType.handshake, KU_REQUESTED);
        c.update();
        await deliver(p.server, encodeRecords([rec, c.seal(ContentType.application_data, new Uint8Array([i & 0xff]))]));
        peak = Math.max(peak, p.server.bufferedBytes);
        const r = p.server.read();
        if (r) got.push(r);
        answered += keyUpdatesIn(answers, await flushed(p.server)).length;
      }
      expect(p.server.error).toBeNull();
      expect(answered).toBe(300);
      expect(join(got)).toEqual(Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
      expect(peak).toBeLessThan(1024);
      // The server's own data still reaches the client (which followed every generation).
      p.server.write(payload(10, 9));
      const out = await flushed(p.server);
      expect(answers.openAll(out).map((o) => o.content)).toEqual([payload(10, 9)]);
    });
  }

  for (const which of ['pure', 'webcrypto'] as const) {
    it(`client (${which}): a request while 200 KB of our writes are not sent yet: the data goes out under the old key, then our answer, then the new key`, async () => {
      const p = await connected(which);
      const data = payload(200_000, 10);
      p.client.write(data);
      const s = new Chain(p.keys, WRITES.server);
      await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, KU_REQUESTED)]));
      p.client.write(payload(1000, 11));
      const wire = await flushed(p.client);
      const opened = new Chain(p.keys, WRITES.client).openAll(wire);
      const types = opened.map((o) => (o.type === ContentType.handshake ? 'KU' : o.type === ContentType.application_data ? 'data' : String(o.type)));
      expect(types.indexOf('KU')).toBe(Math.ceil(200_000 / 16384));
      expect(types.filter((t) => t === 'KU').length).toBe(1);
      await deliver(p.server, wire);
      expect(p.server.error).toBeNull();
      expect(sameBytes(readAll(p.server), join([data, payload(1000, 11)]))).toBe(true);
    });
  }

  it('client: a NewSessionTicket and a KeyUpdate in one record (the KeyUpdate last): the ticket is kept and the keys move on', async () => {
    const p = await connected();
    const s = new Chain(p.keys, WRITES.server);
    const nst = hsMessage(HandshakeType.new_session_ticket, new Uint8Array([0, 0, 0x1c, 0x20, 1, 2, 3, 4, 1, 0, 0, 1, 9, 0, 0]));
    await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, join([nst, KU_NOT_REQUESTED]))]));
    s.update();
    await deliver(p.client, encodeRecords([s.seal(ContentType.handshake, nst), s.seal(ContentType.application_data, new Uint8Array([5]))]));
    expect(p.client.error).toBeNull();
    expect(p.client.tickets.length).toBe(2);
    expect(p.client.read()).toEqual(new Uint8Array([5]));
  });

  it('TLS 1.2: a KeyUpdate (protected, after the handshake) does not exist there → UnexpectedMessage/unexpected_message', async () => {
    for (const dir of ['s2c', 'c2s'] as const) {
      const keys = new KeyLogClass();
      const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', keyLog: keys.fn });
      const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0 });
      const relay = new Relay12(keys);
      await new FaultPipe(client, server, { tamper: relay.tamper, read: 'never' }).settle();
      const victim = dir === 's2c' ? client : server;
      await deliver(victim, relay.inject(dir, ContentType.handshake, KU_REQUESTED));
      expectFailed(victim, 'UnexpectedMessage', 'unexpected_message');
    }
  });
});

describe('every TLS 1.3 suite (SHA-384 secrets are 48 bytes, ChaCha20 has its own nonce and limits)', () => {
  for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const) {
    // WebCrypto has no ChaCha20-Poly1305.
    for (const which of suite === 'TLS_CHACHA20_POLY1305_SHA256' ? (['pure'] as const) : (['pure', 'webcrypto'] as const)) {
      it(`${suite} (${which}): ten rounds of requests both ways, bulk data between, the exporter stays the same`, async () => {
        const crypto = which === 'pure' ? nobleProvider : webcryptoProvider();
        const p = await handshaken(keyLoggedPair(pki, { cipherSuites: [suite], crypto }, { crypto }));
        expect(p.client.info.cipherSuite).toBe(suite);
        const before = p.server.exportKeyingMaterial('EXPORTER-suites', null, 32);
        const up: Uint8Array[] = [];
        const down: Uint8Array[] = [];
        for (let i = 0; i < 10; i++) {
          const a = payload(20_000 + i, 100 + i);
          const b = payload(9_000 + i, 200 + i);
          p.client.write(a);
          p.server.write(b);
          up.push(a);
          down.push(b);
          (i % 2 === 0 ? p.client : p.server).keyUpdate(true);
          await pump(p.client, p.server);
        }
        expect([p.client.error, p.server.error]).toEqual([null, null]);
        expect(sameBytes(readAll(p.server), join(up))).toBe(true);
        expect(sameBytes(readAll(p.client), join(down))).toBe(true);
        expect(p.client.exportKeyingMaterial('EXPORTER-suites', null, 32)).toEqual(before);
      });
    }
  }
});

describe('exporters and KeyUpdate (RFC 9846 §7.5)', () => {
  it('the exporter does not change with KeyUpdates either way, both sides agree; it still works after close, not after a failure, whose secrets are wiped (RFC 9846 §6)', async () => {
    const p = await connected();
    const ctx = new Uint8Array([1, 2, 3]);
    const before = p.client.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48);
    for (let i = 0; i < 5; i++) {
      p.client.keyUpdate(i % 2 === 0);
      p.server.keyUpdate(i % 2 === 1);
      await pump(p.client, p.server);
    }
    expect(p.client.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48)).toEqual(before);
    expect(p.server.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48)).toEqual(before);
    p.client.close();
    await pump(p.client, p.server);
    expect(p.client.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48)).toEqual(before);
    expect(p.server.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48)).toEqual(before);
    // A failure forgets the secrets (RFC 9846 §6): the exporter reports the error.
    await deliver(p.client, new Uint8Array([99, 3, 3, 0, 1, 0]));
    expect(p.client.error?.status).toBe('UnexpectedMessage');
    expect(() => p.client.exportKeyingMaterial('EXPORTER-campaign7', ctx, 48)).toThrow(TlsError);
    // … and not only refused: the traffic and exporter secrets the connection kept are gone.
    expect((p.client as unknown as { secrets13: Uint8Array }).secrets13.every((b) => b === 0)).toBe(true);
    const q = await connected();
    const kept = (q.server as unknown as { secrets13: Uint8Array }).secrets13;
    expect(kept.some((b) => b !== 0)).toBe(true);
    await deliver(q.server, new Uint8Array([99, 3, 3, 0, 1, 0]));
    expect(q.server.error?.status).toBe('UnexpectedMessage');
    expect(kept.every((b) => b === 0)).toBe(true);
  });
});

describe('key usage limits (RFC 9846 §5.5), reached through a hand-off state', () => {
  /**
   * A connection pair continued from hand-off states, the `role` side's write sequence number
   * (and its peer's read sequence number) moved to `seq`; the peer traces key changes.
   */
  async function atWriteSequence(version: 'TLSv1.2' | 'TLSv1.3', role: Role, seq: bigint): Promise<{ me: TlsConnection; peer: TlsConnection; peerTrace: TraceEvent[] }> {
    const common = { crypto: nobleProvider, minVersion: version, maxVersion: version } as const;
    const c0 = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common });
    const s0 = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common });
    await pump(c0, s0);
    const states = { client: decodeHandoff(nobleProvider, c0.exportState(), 'client'), server: decodeHandoff(nobleProvider, s0.exportState(), 'server') };
    const peerTrace: TraceEvent[] = [];
    const config = (r: Role, trace: boolean): Record<string, unknown> => ({
      ...(r === 'client' ? { servername: 'localhost', ca: pki.caCertPem } : { cert: pki.chainPem, key: pki.keyPem }),
      crypto: nobleProvider,
      ...(trace ? { trace: (e: TraceEvent) => peerTrace.push(e) } : {}),
    });
    const me = TlsConnection.import(encodeHandoff(nobleProvider, { ...states[role], writeSequence: seq }), { role, config: config(role, false) } as never);
    const peer = TlsConnection.import(encodeHandoff(nobleProvider, { ...states[other(role)], readSequence: seq }), { role: other(role), config: config(other(role), true) } as never);
    return { me, peer, peerTrace };
  }

  for (const role of ROLES) {
    it(`TLS 1.3 ${role}: one write crossing record 2^23 under one key updates the key by itself; the peer reads every byte`, async () => {
      const x = await atWriteSequence('TLSv1.3', role, 2n ** 23n - 3n);
      const data = payload(6 * 16384, 12);
      x.me.write(data);
      x.me.write(payload(10, 13));
      const wire = await flushed(x.me);
      // Six records of data, the KeyUpdate after the third (the one at 2^23 - 1), then the rest.
      expect(parseRecords(wire!).length).toBe(8);
      await deliver(x.peer, wire);
      expect(x.peer.error).toBeNull();
      expect(sameBytes(readAll(x.peer), join([data, payload(10, 13)]))).toBe(true);
      expect(x.peerTrace.filter((e) => e.kind === 'key_change' && e.summary.includes('KeyUpdate')).length).toBe(1);
      // Not asked to answer (update_not_requested): the peer owes nothing.
      expect(await flushed(x.peer)).toBeNull();
    });
  }

  it('TLS 1.2 (no KeyUpdate): the write that would pass the AES-GCM seal limit fails with a TlsError; what was sealed before it is intact, and the peer is told (internal_error)', async () => {
    const x = await atWriteSequence('TLSv1.2', 'client', 2n ** 24n - 2n);
    x.me.write(payload(10, 14));
    x.me.write(payload(10, 15));
    let thrown: unknown;
    try {
      x.me.write(payload(10, 16));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TlsError);
    expect(x.me.error).toBe(thrown);
    expect(x.me.phase).toBe('failed');
    await deliver(x.peer, await flushed(x.me));
    expect(readAll(x.peer)).toEqual(join([payload(10, 14), payload(10, 15)]));
    // Before the fix the alert could not be sealed either: the peer saw the connection stop, no reason given.
    expect({ status: x.peer.error?.status, alert: x.peer.error?.alert }).toEqual({ status: 'AlertReceived', alert: AlertDescription.internal_error });
  });
});
