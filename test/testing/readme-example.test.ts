/**
 * The property test of the README's "Testing with puretls/testing" section (the text is in
 * /work/notes/testing-readme.md for the README's owner), run as written except for the
 * import paths (the README imports the package: 'puretls/testing',
 * 'puretls/testing/arbitraries').
 */
import fc from 'fast-check';
import { beforeAll, expect, test } from 'vitest';
import { createPair, generateTestPki, record, replay, type TestPki } from '../../src/testing/index.js';
import { chunkPlanArb, faultArb } from '../../src/testing/arbitraries.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki();
});

test('a damaged record is never read as data', async () => {
  await fc.assert(
    fc.asyncProperty(faultArb({ kinds: ['corrupt', 'duplicate', 'reorder'], records: 6 }), chunkPlanArb(), async (fault, chunk) => {
      const { client, server, pipe } = createPair({ pki, pipe: { faults: [fault], chunk } });
      await pipe.settle();
      if (client.phase === 'open') {
        client.write(new TextEncoder().encode('hello'));
        await pipe.settle();
      }
      await pipe.endTransport(); // a side still waiting for bytes now fails (Truncated)
      const got = new TextDecoder().decode(pipe.received('server'));
      // The message arrives whole, or a side fails with a TlsError: never altered data.
      expect('hello'.startsWith(got)).toBe(true);
      expect(got === 'hello' || client.error !== null || server.error !== null).toBe(true);
    }),
  );
});

test('a recorded handshake replays byte for byte', async () => {
  const now = Date.now();
  const { client, pipe } = createPair({ pki, seed: 42, now });
  const rec = record(client);
  await pipe.settle();
  // Same PKI, seed and clock: the same bytes, or a ReplayMismatch at the first that differs.
  await replay(rec.recording, createPair({ pki, seed: 42, now }).client);
});
