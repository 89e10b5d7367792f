/**
 * Campaign 7: a long-lived TLS 1.3 connection as a property. Random plans of what the two
 * applications do — writes of random sizes, KeyUpdates with and without requests (several in
 * a row too), a close by either side at any point followed by the other side's reply (half-
 * close, RFC 9846 §6.1), the transport's end — over a pipe that cuts the bytes at random,
 * with the reader lagging (read: 'when-full'), pure and webcrypto. Every byte written before
 * a side's close arrives exactly once and in order, nothing fails, both sides end closed,
 * and no peer KeyUpdate request is left unanswered.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { TraceEvent } from '../../src/config/config.js';
import { FaultPipe, readAll } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Side = 'client' | 'server';
type Step = { side: Side; op: 'write'; size: number } | { side: Side; op: 'keyUpdate'; request: boolean } | { side: Side; op: 'close' } | { op: 'settle' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ side: fc.constantFrom<Side>('client', 'server'), op: fc.constant('write' as const), size: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 16_000, max: 70_000 })) }) },
  { weight: 3, arbitrary: fc.record({ side: fc.constantFrom<Side>('client', 'server'), op: fc.constant('keyUpdate' as const), request: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ side: fc.constantFrom<Side>('client', 'server'), op: fc.constant('close' as const) }) },
  { weight: 2, arbitrary: fc.constant({ op: 'settle' as const }) },
);

describe('a long-lived TLS 1.3 connection under random application behaviour and random chunking', () => {
  it('every byte written before its side closed arrives once, in order; both sides end closed without error', async () => {
    let seed = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom('pure', 'webcrypto'), async (plan, chunkSeed, which) => {
        const crypto = which === 'pure' ? nobleProvider : webcryptoProvider();
        const traces: Record<Side, TraceEvent[]> = { client: [], server: [] };
        const conns: Record<Side, TlsConnection> = {
          client: TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', crypto, trace: (e) => traces.client.push(e) }),
          server: TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto, trace: (e) => traces.server.push(e) }),
        };
        const pipe = new FaultPipe(conns.client, conns.server, { read: 'when-full', chunk: { seed: chunkSeed } });
        await pipe.settle();
        const written: Record<Side, Uint8Array[]> = { client: [], server: [] };
        const closed: Record<Side, boolean> = { client: false, server: false };
        const own: Record<Side, number> = { client: 0, server: 0 };
        for (const s of plan) {
          if (s.op === 'settle') {
            await pipe.settle();
            continue;
          }
          const c = conns[s.side];
          if (closed[s.side]) continue;
          if (s.op === 'write') {
            const d = payload(s.size, seed++);
            c.write(d);
            written[s.side].push(d);
          } else if (s.op === 'keyUpdate') {
            c.keyUpdate(s.request);
            own[s.side]++;
          } else {
            c.close();
            closed[s.side] = true;
          }
        }
        // Whoever has not closed closes now; then the transport ends.
        for (const side of ['client', 'server'] as const) if (!closed[side]) conns[side].close();
        await pipe.settle();
        await pipe.endTransport();
        await pipe.drain();
        for (const side of ['client', 'server'] as const) {
          const c = conns[side];
          expect(c.error, `${side}: ${c.error?.status} ${c.error?.detail ?? ''}`).toBeNull();
          expect(c.phase).toBe('closed');
        }
        const gotByServer = join([pipe.received('server'), readAll(conns.server)]);
        const gotByClient = join([pipe.received('client'), readAll(conns.client)]);
        expect(sameBytes(gotByServer, join(written.client))).toBe(true);
        expect(sameBytes(gotByClient, join(written.server))).toBe(true);
        // Every request that arrived before the receiver closed was answered, once (RFC 9846 §4.7.3;
        // no coalescing): the KeyUpdates a side sent before its close_notify are its own ones plus
        // one per request it had received by then.
        for (const side of ['client', 'server'] as const) {
          const t = traces[side];
          let closeAt = t.length;
          for (let i = 0; i < t.length; i++) {
            if (t[i]!.direction === 'sent' && t[i]!.kind === 'alert') {
              closeAt = i;
              break;
            }
          }
          const before = t.slice(0, closeAt);
          const requests = before.filter((e) => e.direction === 'received' && e.kind === 'handshake' && (e.message as { type?: string; requestUpdate?: number } | undefined)?.requestUpdate === 1).length;
          const sent = before.filter((e) => e.direction === 'sent' && e.kind === 'handshake' && (e.message as { type?: string } | undefined)?.type === 'key_update').length;
          expect(sent, side).toBe(own[side] + requests);
        }
      }),
      { numRuns: 40 },
    );
  }, 300_000);
});
