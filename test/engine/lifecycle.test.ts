/**
 * Connection lifecycle in memory: closure (RFC 9846 §6.1), truncation, sticky errors,
 * KeyUpdate (RFC 9846 §4.7.3) and a large transfer under back-pressure.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions, TraceEvent } from '../../src/config/config.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType } from '../../src/wire/codes.js';
import type { KeyUpdate } from '../../src/wire/messages.js';
import { KeyLog, RawCipher, alertsIn, concat, deliver, encodeRecord, firstFlight, flushed, parseRecords, plain } from '../helpers/mitm.js';
import { pump, readAll } from '../../src/testing/index.js';
import { sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Pair {
  client: TlsConnection;
  server: TlsConnection;
  keys: KeyLog;
  clientTrace: TraceEvent[];
  serverTrace: TraceEvent[];
}

function makePair(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Pair {
  const keys = new KeyLog();
  const clientTrace: TraceEvent[] = [];
  const serverTrace: TraceEvent[] = [];
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, cipherSuites: ['TLS_AES_128_GCM_SHA256'], keyLog: keys.fn, trace: (e) => clientTrace.push(e), ...c });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, trace: (e) => serverTrace.push(e), sessionTickets: 0, ...s });
  return { client, server, keys, clientTrace, serverTrace };
}

async function connected(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Promise<Pair> {
  const p = makePair(c, s);
  await pump(p.client, p.server);
  expect(p.client.error).toBeNull();
  expect(p.server.error).toBeNull();
  expect(p.client.phase).toBe('open');
  expect(p.server.phase).toBe('open');
  return p;
}

/** KeyUpdate messages seen in a trace, in one direction: their request_update values. */
function keyUpdates(trace: TraceEvent[], direction: 'sent' | 'received'): number[] {
  return trace
    .filter((e) => e.kind === 'handshake' && e.direction === direction && (e.message as { type?: string } | undefined)?.type === 'key_update')
    .map((e) => (e.message as KeyUpdate).requestUpdate);
}

describe('close_notify (RFC 9846 §6.1)', () => {
  for (const closer of ['client', 'server'] as const) {
    it(`${closer} → peer: data before close_notify is delivered, then readEnded; the other direction stays open`, async () => {
      const p = await connected();
      const [a, b] = closer === 'client' ? [p.client, p.server] : [p.server, p.client];
      a.write(enc('last words'));
      a.close();
      expect(() => a.write(enc('more'))).toThrow(TlsError);
      await pump(p.client, p.server);
      expect(b.error).toBeNull();
      expect(b.phase).toBe('peer-closed');
      expect(b.readEnded).toBe(false); // data still unread
      expect(dec(readAll(b))).toBe('last words');
      expect(b.readEnded).toBe(true);
      expect(a.readEnded).toBe(false);
      // Half-close: the side that received close_notify may still send (RFC 9846 §6.1 no longer
      // requires an immediate close_notify in return).
      b.write(enc('reply after close'));
      await pump(p.client, p.server);
      expect(dec(readAll(a))).toBe('reply after close');
      b.close();
      await pump(p.client, p.server);
      expect(a.error).toBeNull();
      expect(b.error).toBeNull();
      expect(a.phase).toBe('closed');
      expect(b.phase).toBe('closed');
      expect(a.readEnded).toBe(true);
      // The transport closing afterwards is a clean end, not a truncation.
      a.end();
      b.end();
      expect(a.error).toBeNull();
      expect(b.error).toBeNull();
    });
  }

  it('close_notify is a warning-level alert, protected under the application key', async () => {
    const p = await connected();
    p.client.close();
    const out = await flushed(p.client);
    expect(alertsIn(out, RawCipher.from(p.keys, 'CLIENT_TRAFFIC_SECRET_0'))).toEqual([{ level: 1, description: AlertDescription.close_notify, protected: true }]);
  });

  it('closes in both directions at once', async () => {
    const p = await connected();
    p.client.close();
    p.server.close();
    await pump(p.client, p.server);
    expect([p.client.phase, p.server.phase]).toEqual(['closed', 'closed']);
    expect([p.client.error, p.server.error]).toEqual([null, null]);
  });

  it('ignores records after close_notify (RFC 9846 §6.1: "MUST be ignored")', async () => {
    const p = await connected();
    p.server.write(enc('before'));
    p.server.close();
    const out = (await flushed(p.server))!;
    // Anything after the close_notify, even garbage, is ignored.
    await deliver(p.client, concat(out, encodeRecord(plain(ContentType.application_data, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17])))));
    expect(p.client.error).toBeNull();
    expect(p.client.phase).toBe('peer-closed');
    expect(dec(readAll(p.client))).toBe('before');
    expect(p.client.readEnded).toBe(true);
  });

  it('close() during the handshake: handshake() rejects with Closed instead of hanging; the peer sees close_notify', async () => {
    const p = makePair();
    await firstFlight(p.client);
    const before = p.client.handshake();
    p.client.close();
    await expect(before).rejects.toMatchObject({ status: 'Closed' });
    await expect(p.client.handshake()).rejects.toMatchObject({ status: 'Closed' });
    await pump(p.client, p.server);
    expect(p.client.phase).toBe('closed');
    expect(p.client.handshakeComplete).toBe(false);
    expect(p.server.error?.status).toBe('AlertReceived');
    expect(p.server.error?.alert).toBe(AlertDescription.close_notify);
  });

  it('readiness after close(): no more writes; input still wanted until the peer closes', async () => {
    const p = await connected();
    expect(p.client.wants).toMatchObject({ write: true, input: true });
    p.client.close();
    await p.client.settled(); // the close_notify is sealed (at once unless the AEAD is async)
    expect(p.client.wants).toEqual({ output: true, input: true, write: false });
    await pump(p.client, p.server);
    expect(p.server.wants).toMatchObject({ input: false, write: true });
    p.server.close();
    await pump(p.client, p.server);
    expect(p.client.wants).toEqual({ output: false, input: false, write: false });
    expect(p.server.wants).toEqual({ output: false, input: false, write: false });
  });

  it('write and keyUpdate after close() → Closed', async () => {
    const p = await connected();
    p.client.close();
    for (const f of [() => p.client.write(enc('x')), () => p.client.keyUpdate()]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TlsError);
      expect((err as TlsError).status).toBe('Closed');
      expect((err as TlsError).category).toBe('caller');
    }
    // close() twice sends one close_notify.
    p.client.close();
    expect(parseRecords((await flushed(p.client))!).length).toBe(1);
    expect(p.client.takeOutput()).toBeNull();
  });
});

describe('truncation: end() without close_notify → Truncated', () => {
  it('after the handshake: Truncated, no alert sent, data received before stays readable', async () => {
    const p = await connected();
    p.client.write(enc('partial'));
    await pump(p.client, p.server);
    p.server.end();
    expect(p.server.error).toBeInstanceOf(TlsError);
    expect(p.server.error!.status).toBe('Truncated');
    expect(p.server.error!.category).toBe('peer-alert');
    expect(p.server.error!.alert).toBeNull();
    expect(p.server.phase).toBe('failed');
    expect(p.server.takeOutput()).toBeNull(); // nothing to send to a closed transport
    expect(dec(readAll(p.server))).toBe('partial');
    expect(p.server.readEnded).toBe(false); // never a clean end
  });

  it('after the handshake with a partial record buffered: Truncated', async () => {
    const p = await connected();
    p.client.write(enc('cut in the middle'));
    const out = (await flushed(p.client))!;
    await deliver(p.server, out.subarray(0, out.length - 3));
    expect(p.server.error).toBeNull();
    p.server.end();
    expect(p.server.error?.status).toBe('Truncated');
    expect(readAll(p.server).length).toBe(0);
  });

  it('during the handshake (client waiting for ServerHello): Truncated and handshake() rejects', async () => {
    const p = makePair();
    await firstFlight(p.client);
    const hs = p.client.handshake();
    p.client.end();
    await expect(hs).rejects.toMatchObject({ status: 'Truncated' });
    expect(p.client.error?.status).toBe('Truncated');
    expect(p.client.takeOutput()).toBeNull();
  });

  it('during the handshake (server holding half a ClientHello): Truncated', async () => {
    const p = makePair();
    const ch = await firstFlight(p.client);
    await deliver(p.server, ch.subarray(0, 50));
    expect(p.server.error).toBeNull();
    p.server.end();
    expect(p.server.error?.status).toBe('Truncated');
    await expect(p.server.handshake()).rejects.toMatchObject({ status: 'Truncated' });
  });

  it('during the handshake (client after the server flight, before its Finished is acknowledged): the client is done, the server is Truncated', async () => {
    const p = makePair();
    const ch = await firstFlight(p.client);
    await deliver(p.server, ch);
    await deliver(p.client, p.server.takeOutput());
    expect(p.client.handshakeComplete).toBe(true);
    // The client's Finished never arrives.
    p.server.end();
    expect(p.server.error?.status).toBe('Truncated');
    expect(p.server.error?.detail).toMatch(/handshake/);
  });

  it('close_notify during the handshake → AlertReceived(close_notify)', async () => {
    const p = makePair();
    await firstFlight(p.client);
    await deliver(p.client, encodeRecord(plain(ContentType.alert, new Uint8Array([1, 0]))));
    expect(p.client.error?.status).toBe('AlertReceived');
    expect(p.client.error?.alert).toBe(AlertDescription.close_notify);
  });
});

describe('errors are sticky', () => {
  it('every later call reports the same error, and only one alert is sent', async () => {
    const p = await connected();
    const keys = p.keys;
    // Corrupt one record from the client: the server fails with BadRecordMac.
    p.client.write(enc('hello'));
    const rec = parseRecords((await flushed(p.client))!)[0]!;
    rec.fragment[3]! ^= 0x40;
    await deliver(p.server, encodeRecord(rec));
    const err = p.server.error!;
    expect(err).toBeInstanceOf(TlsError);
    expect(err.status).toBe('BadRecordMac');
    expect(p.server.phase).toBe('failed');
    const alertOut = p.server.takeOutput();
    expect(alertsIn(alertOut, RawCipher.from(keys, 'SERVER_TRAFFIC_SECRET_0'))).toEqual([{ level: 2, description: AlertDescription.bad_record_mac, protected: true }]);

    const throwsSame = (f: () => unknown): void => {
      let got: unknown = 'no throw';
      try {
        f();
      } catch (e) {
        got = e;
      }
      expect(got).toBe(err);
    };
    throwsSame(() => p.server.write(enc('x')));
    throwsSame(() => p.server.keyUpdate(true));
    throwsSame(() => p.server.exportKeyingMaterial('EXPORTER-test', null, 32));
    await expect(p.server.handshake()).rejects.toBe(err);
    // More input is swallowed (receive() takes it all) and changes nothing.
    const junk = new Uint8Array(100).fill(0x17);
    expect(p.server.receive(junk)).toBe(junk.length);
    await p.server.process();
    p.client.write(enc('more'));
    await deliver(p.server, await flushed(p.client));
    p.server.close();
    p.server.end();
    expect(p.server.error).toBe(err);
    expect(p.server.phase).toBe('failed');
    expect(await flushed(p.server)).toBeNull(); // no second alert, no close_notify
    expect(p.server.wants).toEqual({ output: false, input: false, write: false });

    // The client saw the alert: its own error is AlertReceived, sticky too.
    await deliver(p.client, alertOut);
    const cerr = p.client.error!;
    expect(cerr.status).toBe('AlertReceived');
    expect(cerr.alert).toBe(AlertDescription.bad_record_mac);
    expect(cerr.source).toBe('peer');
    expect(p.client.takeOutput()).toBeNull(); // no alert in answer to an alert
    expect(() => p.client.write(enc('x'))).toThrow(cerr);
    await expect(p.client.handshake()).rejects.toBe(cerr);
  });

  it('a handshake failure is sticky: handshake() rejects with it before and after, process() never rejects', async () => {
    const p = makePair({ groups: ['secp384r1'] }, { groups: ['x25519'] });
    const early = p.server.handshake();
    await pump(p.client, p.server);
    const err = p.server.error!;
    expect(err.status).toBe('HandshakeFailure');
    await expect(early).rejects.toBe(err);
    await expect(p.server.handshake()).rejects.toBe(err);
    await expect(p.server.process()).resolves.toBeUndefined();
    expect(() => p.server.write(enc('x'))).toThrow(err);
    expect(p.client.error?.status).toBe('AlertReceived');
    await expect(p.client.handshake()).rejects.toBe(p.client.error);
  });
});

describe('KeyUpdate (RFC 9846 §4.7.3)', () => {
  for (const side of ['client', 'server'] as const) {
    it(`keyUpdate(true) from the ${side}: the peer answers with update_not_requested and data keeps flowing`, async () => {
      const p = await connected();
      const [a, b, aTrace, bTrace] = side === 'client' ? [p.client, p.server, p.clientTrace, p.serverTrace] : [p.server, p.client, p.serverTrace, p.clientTrace];
      const exporter = p.client.exportKeyingMaterial('EXPORTER-test', null, 32);
      for (let i = 0; i < 3; i++) {
        a.keyUpdate(true);
        a.write(enc(`a${i}`));
        await pump(p.client, p.server);
        expect(dec(readAll(b))).toBe(`a${i}`);
        b.write(enc(`b${i}`));
        await pump(p.client, p.server);
        expect(dec(readAll(a))).toBe(`b${i}`);
      }
      expect(keyUpdates(aTrace, 'sent')).toEqual([1, 1, 1]);
      expect(keyUpdates(bTrace, 'received')).toEqual([1, 1, 1]);
      expect(keyUpdates(bTrace, 'sent')).toEqual([0, 0, 0]);
      expect(keyUpdates(aTrace, 'received')).toEqual([0, 0, 0]);
      expect(p.client.error).toBeNull();
      expect(p.server.error).toBeNull();
      // The exporter does not depend on traffic key updates (RFC 9846 §7.5).
      expect(p.server.exportKeyingMaterial('EXPORTER-test', null, 32)).toEqual(exporter);
    });
  }

  it('keyUpdate(false) is not answered', async () => {
    const p = await connected();
    p.client.keyUpdate(false);
    await pump(p.client, p.server);
    expect(keyUpdates(p.serverTrace, 'received')).toEqual([0]);
    expect(keyUpdates(p.serverTrace, 'sent')).toEqual([]);
    p.server.write(enc('still fine'));
    await pump(p.client, p.server);
    expect(dec(readAll(p.client))).toBe('still fine');
  });

  it('crossing update requests: each side answers, and data flows', async () => {
    const p = await connected();
    p.client.keyUpdate(true);
    p.server.keyUpdate(true);
    p.client.write(enc('c'));
    p.server.write(enc('s'));
    await pump(p.client, p.server);
    expect(dec(readAll(p.client))).toBe('s');
    expect(dec(readAll(p.server))).toBe('c');
    expect(keyUpdates(p.clientTrace, 'sent')).toEqual([1, 0]);
    expect(keyUpdates(p.serverTrace, 'sent')).toEqual([1, 0]);
    expect([p.client.error, p.server.error]).toEqual([null, null]);
  });

  it('keyUpdate before the handshake completes → ApiMisuse', async () => {
    const p = makePair();
    expect(() => p.client.keyUpdate()).toThrow(expect.objectContaining({ status: 'ApiMisuse' }));
  });

  it('32 KeyUpdates without data are accepted; data resets the count', async () => {
    const p = await connected();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 32; i++) p.client.keyUpdate(false);
      p.client.write(enc(`r${round}`));
      await pump(p.client, p.server);
      expect(p.server.error).toBeNull();
      expect(dec(readAll(p.server))).toBe(`r${round}`);
    }
  });

  it('more than 32 KeyUpdates without application data → UnexpectedMessage/unexpected_message (DESIGN.md §4 cap)', async () => {
    const p = await connected();
    for (let i = 0; i < 33; i++) p.client.keyUpdate(false);
    await pump(p.client, p.server);
    expect(p.server.error?.status).toBe('UnexpectedMessage');
    expect(p.server.error?.alert).toBe(AlertDescription.unexpected_message);
    expect(p.client.error?.status).toBe('AlertReceived');
    expect(p.client.error?.alert).toBe(AlertDescription.unexpected_message);
  });

  it('more than 32 KeyUpdate requests without data fail the receiver, whatever it answers', async () => {
    const p = await connected();
    for (let i = 0; i < 33; i++) p.server.keyUpdate(true);
    await pump(p.client, p.server);
    expect(p.client.error?.status).toBe('UnexpectedMessage');
    expect(p.server.error?.status).toBe('AlertReceived');
  });
});

describe('processNow(): process() without a promise when nothing waits', () => {
  // The async project's AEAD answers through promises: its records are opened later.
  const asyncAead = process.env.PURETLS_ASYNC_AEAD === '1';

  it('opens, routes and queues every record in the call (sync AEAD), in order, whatever the chunking', async () => {
    const p = await connected();
    const text = 'abcdefghij'.repeat(5000); // 50,000 bytes: four records
    p.client.write(enc(text));
    const out = (await flushed(p.client))!;
    const got: Uint8Array[] = [];
    // Chunks that split records anywhere (the engine takes at most one record beyond what it processed).
    for (let i = 0, size = 1; i < out.length; size = (size * 7) % 9000 + 1) {
      let rest = out.subarray(i, Math.min(out.length, i + size));
      i += rest.length;
      while (rest.length > 0) {
        const n = p.server.receive(rest);
        rest = rest.subarray(n);
        const r = p.server.processNow();
        if (asyncAead) await r;
        else expect(r).toBeUndefined();
        const d = p.server.read();
        if (d) got.push(d);
      }
    }
    expect(p.server.error).toBeNull();
    expect(dec(concat(...got))).toBe(text);
  });

  it('a record that fails authentication: no throw, the error is sticky and the alert queued, as with process()', async () => {
    const p = await connected();
    p.client.write(enc('hello'));
    const rec = (await flushed(p.client))!.slice();
    rec[rec.length - 1]! ^= 1; // the tag's last byte
    p.server.receive(rec);
    const r = p.server.processNow();
    if (asyncAead) await r;
    else expect(r).toBeUndefined();
    expect(p.server.error?.status).toBe('BadRecordMac');
    expect(alertsIn(await flushed(p.server), RawCipher.from(p.keys, 'SERVER_TRAFFIC_SECRET_0'))).toEqual([{ level: 2, description: AlertDescription.bad_record_mac, protected: true }]);
    expect(p.server.read()).toBeNull();
  });

  it('gives the promise of process() before the start, and while a process() run is in flight', async () => {
    const fresh = makePair();
    const first = fresh.client.processNow();
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(fresh.client.takeOutput()).not.toBeNull(); // the ClientHello
    const p = await connected();
    p.client.write(enc('x'));
    p.server.receive((await flushed(p.client))!);
    const running = p.server.process();
    const now = p.server.processNow();
    expect(now).toBeInstanceOf(Promise);
    await Promise.all([running, now]);
    expect(dec(p.server.read()!)).toBe('x');
  });
});

describe('large transfer with back-pressure', () => {
  /** Pseudo-random bytes (xorshift32), so corruption or reordering shows. */
  function pattern(n: number, seed: number): Uint8Array {
    const out = new Uint8Array(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  }

  it('moves 1 MiB each way while receive() accepts less than offered and the reader lags', async () => {
    const p = await connected();
    const N = 1024 * 1024;
    const toServer = pattern(N, 1);
    const toClient = pattern(N, 2);
    for (let o = 0; o < N; o += 100_000) {
      p.client.write(toServer.subarray(o, Math.min(N, o + 100_000)));
      p.server.write(toClient.subarray(o, Math.min(N, o + 100_000)));
    }
    const got = { client: [] as Uint8Array[], server: [] as Uint8Array[] };
    const pending: Record<'client' | 'server', Uint8Array> = { client: new Uint8Array(0), server: new Uint8Array(0) };
    let shortAccepts = 0;
    let fullStops = 0;
    let sawNoInput = false;
    const step = async (from: TlsConnection, to: TlsConnection, name: 'client' | 'server'): Promise<boolean> => {
      const out = await flushed(from);
      if (out) pending[name] = pending[name].length ? concat(pending[name], out) : out;
      let moved = false;
      // Offer everything at once: the engine takes at most about one record beyond what it has processed.
      while (pending[name].length > 0) {
        const offered = pending[name].length;
        const n = to.receive(pending[name]);
        if (n < offered) shortAccepts++;
        pending[name] = pending[name].subarray(n);
        await to.process();
        if (to.error) throw to.error;
        if (!to.wants.input) sawNoInput = true;
        if (n === 0) {
          // Full: the reader must read before more is accepted (a slow reader catches up).
          fullStops++;
          const data = to.read();
          if (!data) break;
          got[name].push(data);
        }
        moved ||= n > 0;
      }
      return moved;
    };
    for (let round = 0; round < 10_000; round++) {
      const a = await step(p.client, p.server, 'server');
      const b = await step(p.server, p.client, 'client');
      if (!a && !b && pending.client.length === 0 && pending.server.length === 0 && !p.client.wants.output && !p.server.wants.output) break;
    }
    got.server.push(readAll(p.server));
    got.client.push(readAll(p.client));
    expect(sameBytes(concat(...got.server), toServer)).toBe(true);
    expect(sameBytes(concat(...got.client), toClient)).toBe(true);
    expect(shortAccepts).toBeGreaterThan(0);
    expect(fullStops).toBeGreaterThan(0);
    expect(sawNoInput).toBe(true); // the read buffer filled up: wants.input went false
    expect([p.client.error, p.server.error]).toEqual([null, null]);
  });

  it('taking one byte at a time, receive() refuses input only when a whole record is waiting to be processed', async () => {
    const p = await connected();
    const data = pattern(64 * 1024, 3);
    p.client.write(data);
    const out = (await flushed(p.client))!;
    let refused = 0;
    for (let i = 0; i < out.length; ) {
      const n = p.server.receive(out.subarray(i, i + 1));
      i += n;
      if (n === 0) {
        refused++;
        await p.server.process();
        expect(p.server.receive(out.subarray(i, i + 1))).toBe(1); // processing made room
        i++;
      }
    }
    await p.server.process();
    expect(refused).toBeGreaterThan(0);
    expect(sameBytes(readAll(p.server), data)).toBe(true);
  });
});
