/**
 * {@link TlsPump} with `transferInput` (what the Node adapter uses: socket chunks are given
 * up to the engine, whole records are taken without a copy and, with the pure provider,
 * decrypted in the chunk's memory). Whatever the cut points of the transport's chunks — in a
 * header, at a record boundary, across several records — the application gets exactly the
 * bytes written, in order, with the delivery paused and resumed along the way; and plaintext
 * delivered earlier is never changed by later input (it aliases only chunks given up).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import type { TlsError } from '../../../src/base/errors.js';
import '../../../src/crypto/native.js';
import { TlsPump } from '../../../src/transport/pump.js';
import { generateTestPki, type TestPki } from '../../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

interface End {
  pump: TlsPump;
  /** Plaintext as delivered (views kept as they are: later input must not change them). */
  got: Uint8Array[];
  errors: TlsError[];
  wire: Uint8Array[];
  paused: boolean;
}

function end(conn: TlsConnection, transferInput: boolean): End {
  const e: End = { pump: undefined as unknown as TlsPump, got: [], errors: [], wire: [], paused: false };
  e.pump = new TlsPump(
    conn,
    {
      send: (b) => {
        e.wire.push(b);
      },
      deliver: (d) => {
        e.got.push(d);
        return !e.paused;
      },
      error: (err) => e.errors.push(err),
    },
    { transferInput },
  );
  return e;
}

/** Moves what `from` sent to `to`, cut at `cuts` into fresh chunks (each its own memory, as socket reads). */
async function move(from: End, to: End, cuts: number[]): Promise<boolean> {
  if (from.wire.length === 0) return false;
  const bytes = Buffer.concat(from.wire.splice(0));
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    if (p > prev) to.pump.push(new Uint8Array(bytes.subarray(prev, p)));
    prev = p;
  }
  await to.pump.whenIdle();
  return true;
}

async function settle(a: End, b: End, cuts: number[]): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const x = await move(a, b, cuts);
    const y = await move(b, a, cuts);
    if (!x && !y) return;
  }
  expect.fail('the pair does not settle');
}

const bytesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe.each(['pure', 'native'] as const)('TlsPump with transferInput (%s provider)', (crypto) => {
  it('any cut points, with delivery paused and resumed: the data written, in order, intact', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        async (sizes, cuts, pauseOnce) => {
          const client = end(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto }), true);
          const server = end(TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto }), true);
          await server.pump.start();
          await client.pump.start();
          await settle(client, server, cuts);
          expect(client.pump.connection.handshakeComplete && server.pump.connection.handshakeComplete).toBe(true);
          const writes = sizes.map((n, i) => bytesOf(n, i));
          server.paused = pauseOnce;
          for (const w of writes) await client.pump.write(w);
          await settle(client, server, cuts);
          if (pauseOnce) {
            server.paused = false;
            server.pump.resume();
            await server.pump.whenIdle();
            await settle(client, server, cuts);
          }
          expect(client.errors).toEqual([]);
          expect(server.errors).toEqual([]);
          expect(Buffer.concat(server.got).equals(Buffer.concat(writes))).toBe(true);
        },
      ),
      { numRuns: 15 },
    );
  });
});

describe('TlsPump: no lost wake-up', () => {
  it('input pushed in any microtask after a pass over earlier input is processed without another push', async () => {
    // A pass that has just looked at its work for the last time and input pushed before it
    // has marked itself idle: the input must start a new pass, not wait for the next push
    // (a transport whose reads are paused by then never pushes again: seen as a hang of the
    // Deno and Bun adapters under a slow reader).
    for (let ticks = 0; ticks < 12; ticks++) {
      const client = end(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: 'native' }), true);
      const server = end(TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: 'native', sessionTickets: 0 }), true);
      await server.pump.start();
      await client.pump.start();
      await settle(client, server, []);
      const first = bytesOf(3000, 1);
      const second = bytesOf(5000, 2);
      await client.pump.write(first);
      const a = Buffer.concat(client.wire.splice(0));
      await client.pump.write(second);
      const b = Buffer.concat(client.wire.splice(0));
      server.pump.push(new Uint8Array(a));
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      server.pump.push(new Uint8Array(b));
      await new Promise((r) => setTimeout(r, 5));
      expect(Buffer.concat(server.got).equals(Buffer.concat([first, second])), `second chunk pushed ${ticks} microtasks later`).toBe(true);
    }
  });
});
