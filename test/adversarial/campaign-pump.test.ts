/**
 * `TlsPump` (src/transport/pump.ts) driving a webcrypto connection (records sealed and opened
 * asynchronously, opened ahead of their turn) against a hostile schedule: the transport
 * offers the peer's bytes in random chunk sizes (down to one byte) at random moments, the
 * application pauses and resumes at random, the peer interleaves KeyUpdates (RFC 9846
 * §4.6.3) with its writes and then closes. Property: every byte arrives once, in order,
 * the end comes last, no error is reported (in particular not the pump's "engine accepts
 * no input" stall), and nothing hangs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsPump } from '../../src/transport/pump.js';
import type { TlsError } from '../../src/base/errors.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { join, payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

interface End {
  pump: TlsPump;
  wire: Uint8Array[];
  got: Uint8Array[];
  errors: TlsError[];
  ended: number;
  paused: boolean;
}

function end(conn: TlsConnection, pauses: () => boolean): End {
  const e: End = { pump: null as unknown as TlsPump, wire: [], got: [], errors: [], ended: 0, paused: false };
  e.pump = new TlsPump(conn, {
    send: (b) => void e.wire.push(b.slice()),
    deliver: (d) => {
      e.got.push(d.slice());
      return !pauses();
    },
    readEnded: () => void e.ended++,
    error: (err) => void e.errors.push(err),
  });
  return e;
}

/** Moves `from`'s output to `to` in chunks of the sizes given (cycled), with a macrotask between some. */
async function move(from: End, to: End, sizes: readonly number[], step: { i: number }): Promise<boolean> {
  const bytes = join(from.wire.splice(0));
  if (bytes.length === 0) return false;
  for (let off = 0; off < bytes.length; ) {
    const n = Math.max(1, sizes[step.i++ % sizes.length]!);
    to.pump.push(bytes.slice(off, off + n));
    off += n;
    if (step.i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  return true;
}

describe('TlsPump with webcrypto under random chunking, pauses and KeyUpdates', () => {
  it('every byte once and in order, the end last, no error, no hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1000, max: 70_000 })), { minLength: 1, maxLength: 8 }),
        fc.array(fc.oneof(fc.record({ size: fc.integer({ min: 1, max: 40_000 }) }), fc.record({ ku: fc.boolean() })), { minLength: 1, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 9 }),
        fc.constantFrom('webcrypto', 'pure'),
        async (sizes, ops, pausePlan, which) => {
          const crypto = which === 'webcrypto' ? webcryptoProvider() : nobleProvider;
          let k = 0;
          const client = end(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto }), () => pausePlan[k++ % pausePlan.length]!);
          const server = end(TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto }), () => false);
          const step = { i: 0 };
          await client.pump.start();
          await server.pump.start();
          for (let r = 0; r < 20 && !(client.pump.connection.handshakeComplete && server.pump.connection.handshakeComplete); r++) {
            await move(client, server, [16384], step);
            await move(server, client, [16384], step);
            await client.pump.whenIdle();
            await server.pump.whenIdle();
            client.pump.resume();
          }
          const sent: Uint8Array[] = [];
          let seed = 1;
          for (const op of ops) {
            if ('ku' in op) await server.pump.keyUpdate(op.ku);
            else {
              const d = payload(op.size, seed++);
              sent.push(d);
              await server.pump.write(d);
            }
          }
          await server.pump.close();
          // Everything the server sent, then its FIN: the last chunk and EOF arrive together, while
          // the pump is busy with what came before (a webcrypto open in flight).
          const rest = join(server.wire.splice(0));
          const last = Math.max(0, rest.length - 24);
          server.wire.push(rest.subarray(0, last));
          await move(server, client, sizes, step);
          await new Promise((r) => setImmediate(r));
          client.pump.push(rest.slice(last));
          client.pump.eof();
          for (let guard = 0; guard < 20_000 && client.ended === 0 && client.errors.length === 0; guard++) {
            const moved = await move(client, server, sizes, step);
            await client.pump.whenIdle();
            client.pump.resume();
            if (!moved) await new Promise((r) => setImmediate(r));
          }
          expect(client.errors.map((e) => `${e.status} ${e.message}`)).toEqual([]);
          expect(server.errors.map((e) => `${e.status} ${e.message}`)).toEqual([]);
          expect(client.ended).toBe(1);
          expect(sameBytes(join(client.got), join(sent))).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});
