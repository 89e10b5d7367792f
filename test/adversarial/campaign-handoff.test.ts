/**
 * Adversarial campaign against the live hand-off (src/engine/handoff.ts, `RecordReader.restore`
 * / `copyBuffered` in src/record/layer.ts) while an async AEAD (webcrypto) has records queued
 * ahead of their turn:
 *
 * - exported with a burst queued ahead (TLS 1.3 with a KeyUpdate inside it, TLS 1.2), then
 *   imported on webcrypto or pure: every record exactly once, in order;
 * - exported with data, close_notify and junk after it queued: the data, a clean end, the junk
 *   ignored (RFC 9846 §6.1);
 * - a hostile snapshot (valid checksum) whose unprocessed input breaks the record framing:
 *   the imported connection fails in order, at that record, with the status the peer's bytes
 *   would have given (RecordOverflow / UnexpectedMessage), never InternalError, whatever its
 *   size (before the fix, one larger than a record made import() throw InternalError);
 * - any byte of a snapshot changed, with the checksum recomputed or not: StateRejected or a
 *   connection that fails only with TlsErrors, never another exception.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { countingWebcrypto } from '../helpers/counting-webcrypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nativeProvider } from '../../src/crypto/native.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { decodeHandoff, encodeHandoff } from '../../src/engine/handoff.js';
import { encodeRecords, parseRecords } from '../helpers/mitm.js';
import { trafficKeys } from '../../src/keys/tls13-schedule.js';
import { RecordProtector } from '../../src/record/protector.js';
import { ContentType } from '../../src/wire/codes.js';
import type { AeadCipher } from '../../src/crypto/provider.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Version = 'TLSv1.2' | 'TLSv1.3';
type Which = 'webcrypto' | 'pure' | 'native';
const providerOf = (w: Which): CryptoProvider => (w === 'webcrypto' ? countingWebcrypto().crypto : w === 'native' ? nativeProvider : nobleProvider);

async function connected(which: Which, version: Version): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const common = { crypto: providerOf(which), minVersion: version, maxVersion: version } as const;
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...common });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0, ...common });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

async function output(conn: TlsConnection): Promise<Uint8Array> {
  await conn.settled();
  const parts: Uint8Array[] = [];
  for (let o; (o = conn.takeOutput()) !== null; ) parts.push(o);
  return join(parts);
}

async function feed(conn: TlsConnection, bytes: Uint8Array): Promise<Uint8Array> {
  const read: Uint8Array[] = [];
  let chunk = bytes;
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new Error('feed: no progress');
    const n = conn.receive(new Uint8Array(chunk), true);
    chunk = chunk.subarray(n);
    await conn.process();
    for (let d; (d = conn.read()) !== null; ) read.push(d);
    if (chunk.length === 0) break;
  }
  return join(read);
}

/** Receives as much of `wire` as the client takes without processing (records queued ahead); returns the rest. */
async function receiveAhead(client: TlsConnection, wire: Uint8Array): Promise<Uint8Array> {
  let off = 0;
  for (let n; off < wire.length && (n = client.receive(wire.subarray(off), true)) > 0; ) off += n;
  return wire.subarray(off);
}

function importAs(state: Uint8Array, which: Which): TlsConnection {
  return TlsConnection.import(state, { role: 'client', config: { servername: 'localhost', ca: pki.caCertPem, crypto: providerOf(which) } });
}

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: export while records are queued ahead of their turn', (version) => {
  it.each(['webcrypto', 'pure', 'native'] as const)('imported on %s: every record exactly once, in order (a KeyUpdate inside the burst in TLS 1.3)', async (importer) => {
    const p = await connected('webcrypto', version);
    p.server.write(Uint8Array.of(5));
    expect(await feed(p.client, await output(p.server))).toEqual(Uint8Array.of(5));
    const sent = [16384, 10, 16384, 300, 16384, 16384, 7, 16384, 16384, 16384].map((n, i) => payload(n, 300 + i));
    sent.forEach((w, i) => {
      if (version === 'TLSv1.3' && i === 3) p.server.keyUpdate(false);
      p.server.write(w);
    });
    const wire = await output(p.server);
    const rest = await receiveAhead(p.client, wire);
    expect(rest.length).toBeLessThan(wire.length - 2 * 16384);
    // Handed off twice: the second exporter had not processed anything it was given.
    const next = importAs(importAs(p.client.exportState(), importer).exportState(), importer);
    const got = join([await feed(next, new Uint8Array(0)), await feed(next, rest)]);
    expect(next.error).toBeNull();
    expect(sameBytes(got, join(sent))).toBe(true);
    // Both directions still agree on keys and sequence numbers.
    next.write(Uint8Array.of(1, 2));
    expect(await feed(p.server, await output(next))).toEqual(Uint8Array.of(1, 2));
    expect(p.server.error).toBeNull();
  });

  it('data, close_notify and junk queued ahead: the data, a clean end, the junk ignored', async () => {
    const p = await connected('webcrypto', version);
    p.server.write(Uint8Array.of(5));
    expect(await feed(p.client, await output(p.server))).toEqual(Uint8Array.of(5));
    const sent = [16384, 100, 16384].map((n, i) => payload(n, 400 + i));
    for (const w of sent) p.server.write(w);
    p.server.close();
    const recs = parseRecords(await output(p.server));
    const junk = { type: 23, version: 0x0303, fragment: payload(5000, 9) };
    const wire = encodeRecords([...recs, junk, junk]);
    const rest = await receiveAhead(p.client, wire);
    const next = importAs(p.client.exportState(), 'webcrypto');
    const got = join([await feed(next, new Uint8Array(0)), await feed(next, rest)]);
    expect(next.error).toBeNull();
    expect(next.phase).toBe('peer-closed');
    expect(sameBytes(got, join(sent))).toBe(true);
  });
});

describe('a hostile snapshot: unprocessed input that breaks the record framing', () => {
  it.each([
    ['TLSv1.3', 'an unknown content type, followed by more than a record', 'UnexpectedMessage', Uint8Array.of(99, 3, 3, 0, 1, 0, ...new Uint8Array(20_000))],
    ['TLSv1.3', 'a length over the limit, followed by more than a record', 'RecordOverflow', Uint8Array.of(23, 3, 3, 0x50, 0, ...new Uint8Array(0x5000 + 10))],
    ['TLSv1.3', 'an unknown content type, short', 'UnexpectedMessage', Uint8Array.of(99, 3, 3, 0, 1, 0)],
    ['TLSv1.2', 'a length over the TLS 1.2 limit, followed by more than a record', 'RecordOverflow', Uint8Array.of(23, 3, 3, 0x48, 1, ...new Uint8Array(0x4801 + 10))],
    ['TLSv1.2', 'another record version, followed by more than a record', 'ProtocolVersion', Uint8Array.of(23, 3, 1, 0, 40, ...new Uint8Array(19_000))],
  ] as const)('%s, %s: the records before it are delivered, then %s at its turn (never InternalError)', async (version, _name, status, bad) => {
    for (const importer of ['webcrypto', 'pure'] as const) {
      const p = await connected('pure', version);
      const state = p.client.exportState();
      const s = decodeHandoff(nobleProvider, state, 'client');
      // Two genuine records first, sealed by the server at the sequence numbers the client expects.
      const sent = [payload(3000, 1), payload(16384, 2)];
      for (const w of sent) p.server.write(w);
      const good = await output(p.server);
      const hostile = encodeHandoff(nobleProvider, { ...s, unprocessed: join([good, bad]) });
      const next = importAs(hostile, importer);
      const got = await feed(next, new Uint8Array(0));
      expect(next.error?.status).toBe(status);
      expect(sameBytes(got, join(sent))).toBe(true);
    }
  });
});

describe('a snapshot changed in transit or by hand', () => {
  it('any byte changed: StateRejected; with the checksum recomputed: StateRejected or a connection that fails only with TlsErrors', async () => {
    const p = await connected('pure', 'TLSv1.3');
    p.server.write(payload(100, 3));
    p.client.receive(await output(p.server));
    const state = p.client.exportState();
    const digest = (b: Uint8Array): Uint8Array => nobleProvider.digest('sha256', b);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, x, resum) => {
        const i = at % (state.length - 32);
        const bad = state.slice();
        bad[i]! ^= x;
        if (resum) bad.set(digest(bad.subarray(0, bad.length - 32)), bad.length - 32);
        let conn: TlsConnection;
        try {
          conn = importAs(bad, 'pure');
        } catch (e) {
          expect(e).toBeInstanceOf(TlsError);
          if (!resum) expect((e as TlsError).status).toBe('StateRejected');
          return;
        }
        expect(resum).toBe(true);
        await conn.process();
        conn.read();
        try {
          conn.write(Uint8Array.of(1));
        } catch (e) {
          expect(e).toBeInstanceOf(TlsError);
        }
        await conn.process();
        if (conn.error) expect(conn.error).toBeInstanceOf(TlsError);
      }),
      { numRuns: 300 },
    );
  });
});

describe('sequence numbers at the edges, records opened ahead (RFC 9846 §5.3)', () => {
  /**
   * A client continued from a hand-off state whose read sequence number starts at `seq`, and
   * the server's sealer at that sequence number (the server's own limits stop AES-GCM at 2^24
   * records, RFC 9846 §5.5; a receiver enforces none, so the records are sealed here).
   */
  async function atSequence(seq: bigint, clientWhich: Which): Promise<{ client: TlsConnection; seal: (data: Uint8Array, type?: number) => Uint8Array; opens: { calls: number; maxInFlight: number } }> {
    const counting = countingWebcrypto();
    const p = await connected('pure', 'TLSv1.3');
    const cs = decodeHandoff(nobleProvider, p.client.exportState(), 'client');
    if (cs.version !== 'TLSv1.3') throw new Error('TLS 1.3 expected');
    const client = TlsConnection.import(encodeHandoff(nobleProvider, { ...cs, readSequence: seq }), {
      role: 'client',
      config: { servername: 'localhost', ca: pki.caCertPem, crypto: clientWhich === 'webcrypto' ? counting.crypto : nobleProvider },
    });
    const { key, iv } = trafficKeys(nobleProvider, cs.suite.hash, cs.readSecret, cs.suite.keyLen, 12);
    const w = new RecordProtector({ mode: 'tls13', aead: nobleProvider.aead(cs.suite.aead, key) as AeadCipher, iv, sequence: seq, limits: { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity } });
    return { client, seal: (data, type = ContentType.application_data) => w.seal(type, data), opens: counting.opens };
  }

  it('a burst across the 2^32 boundary of the sequence number (the guess carries into the high word): every record, webcrypto and pure', async () => {
    for (const which of ['webcrypto', 'pure'] as const) {
      const p = await atSequence((1n << 32n) - 3n, which);
      expect(await feed(p.client, p.seal(Uint8Array.of(1)))).toEqual(Uint8Array.of(1));
      const sent = Array.from({ length: 10 }, (_, i) => payload(i % 2 === 0 ? 16384 : 50, 500 + i));
      const before = p.opens.calls;
      const got = await feed(p.client, join(sent.map((d) => p.seal(d))));
      expect(p.client.error).toBeNull();
      expect(sameBytes(got, join(sent))).toBe(true);
      if (which === 'webcrypto') {
        // Opened ahead, concurrently, and every guess right across the carry: one open per record.
        expect(p.opens.maxInFlight).toBeGreaterThan(1);
        expect(p.opens.calls - before).toBe(sent.length);
      }
    }
  });

  it('the last sequence numbers of the space, then records that would need 2^64 and beyond: delivered up to the end, then the same failure for webcrypto and pure', async () => {
    const outcomes: string[] = [];
    for (const which of ['webcrypto', 'pure'] as const) {
      const p = await atSequence((1n << 64n) - 5n, which);
      expect(await feed(p.client, p.seal(Uint8Array.of(1)))).toEqual(Uint8Array.of(1));
      const sent = [payload(10, 1), payload(16384, 2), payload(10, 3), payload(16384, 4)];
      const wire = join(sent.map((d) => p.seal(d)));
      // The sealer is exhausted now; a man in the middle appends the last record again and an old one.
      const recs = parseRecords(wire);
      const got = await feed(p.client, join([wire, encodeRecords([recs[recs.length - 1]!, recs[0]!, recs[1]!])]));
      expect(sameBytes(got, join(sent))).toBe(true);
      outcomes.push(`${p.client.error?.status}`);
    }
    expect(outcomes[0]).toBe(outcomes[1]);
    expect(outcomes[0]).not.toBe('undefined');
  });
});

describe('genuine records after close_notify or a fatal alert, opened ahead (RFC 9846 §6.1, §6.2)', () => {
  async function afterAlert(which: Which, alert: [number, number]): Promise<{ read: Uint8Array; status: string | null; phase: string; sent: Uint8Array[] }> {
    // Reuses the sealer at a chosen sequence number: every record below is genuine (it opens).
    const p = await (async () => {
      const q = await connected('pure', 'TLSv1.3');
      const cs = decodeHandoff(nobleProvider, q.client.exportState(), 'client');
      if (cs.version !== 'TLSv1.3') throw new Error('TLS 1.3 expected');
      const counting = countingWebcrypto();
      const client = TlsConnection.import(encodeHandoff(nobleProvider, { ...cs, readSequence: 7n }), {
        role: 'client',
        config: { servername: 'localhost', ca: pki.caCertPem, crypto: which === 'webcrypto' ? counting.crypto : nobleProvider },
      });
      const { key, iv } = trafficKeys(nobleProvider, cs.suite.hash, cs.readSecret, cs.suite.keyLen, 12);
      const w = new RecordProtector({ mode: 'tls13', aead: nobleProvider.aead(cs.suite.aead, key) as AeadCipher, iv, sequence: 7n });
      return { client, w, opens: counting.opens };
    })();
    expect(await feed(p.client, p.w.seal(ContentType.application_data, Uint8Array.of(1)))).toEqual(Uint8Array.of(1));
    const sent = [payload(16384, 1), payload(50, 2)];
    const wire = join([
      ...sent.map((d) => p.w.seal(ContentType.application_data, d)),
      p.w.seal(ContentType.alert, Uint8Array.of(...alert)),
      ...[payload(16384, 3), payload(16384, 4), payload(7, 5), Uint8Array.of(24, 0, 0, 1, 1)].map((d, i) => p.w.seal(i === 3 ? ContentType.handshake : ContentType.application_data, d)),
    ]);
    const read = await feed(p.client, wire);
    if (which === 'webcrypto') expect(p.opens.maxInFlight).toBeGreaterThan(1);
    return { read, status: p.client.error?.status ?? null, phase: p.client.phase, sent };
  }

  it.each([
    ['close_notify', [1, 0], null, 'peer-closed'],
    ['a fatal alert', [2, 40], 'AlertReceived', 'failed'],
  ] as const)('%s then genuine records (data, a KeyUpdate): none delivered, webcrypto as pure', async (_name, alert, status, phase) => {
    for (const which of ['webcrypto', 'pure'] as const) {
      const o = await afterAlert(which, [alert[0], alert[1]]);
      expect(o.status).toBe(status);
      expect(o.phase).toBe(phase);
      expect(sameBytes(o.read, join(o.sent))).toBe(true);
    }
  });
});
