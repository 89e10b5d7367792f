/**
 * Review of c36aa07 / 71fae0c (Web Streams: close() waits for the chunks `writable` still
 * queues, counted by the writable's size function). The size function runs for every
 * `writer.write()`, and the stream errors itself, without calling the sink (neither write nor
 * abort), when the size is not a non-negative number (Streams standard,
 * WritableStreamDefaultControllerGetChunkSize / EnqueueValueWithSize: RangeError): such a chunk
 * is counted, never started, and nothing told the connection, so close() waited for it for ever.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromStreams } from '../../src/transport/web.js';
import { streamWire as wire } from '../helpers/stream-wire.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
});

async function fate<T>(p: Promise<T>, ms = 2000): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('review2 web streams (%s): close() after a chunk the writable refuses before its sink sees it', (version) => {
  for (const [name, chunk] of [
    ['a byteLength that is not a number', { byteLength: '10' }],
    ['a negative byteLength', { byteLength: -1 }],
    ['a NaN byteLength', { byteLength: Number.NaN }],
    ['an infinite byteLength', { byteLength: Number.POSITIVE_INFINITY }],
    ['undefined', undefined],
    ['null', null],
    ['a byteLength getter that throws', { get byteLength(): number { throw new Error('no'); } }],
  ] as const) {
    it(`${name}: the write rejects and close() settles`, async () => {
      const w = wire();
      const v = { minVersion: version, maxVersion: version };
      const s = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem, lingerTimeout: 50, ...v });
      const c = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, lingerTimeout: 50, ...v });
      void s.readable.pipeTo(new WritableStream()).catch(() => undefined);
      await c.handshake();
      const cw = c.writable.getWriter();
      const bad = cw.write(chunk as unknown as Uint8Array);
      expect(await fate(bad)).toBe('rejected');
      expect(await fate(c.close(), 3000)).not.toBe('pending');
    });
  }

  it('control: a good write then close() settles, the peer reads it', async () => {
    const w = wire();
    const v = { minVersion: version, maxVersion: version };
    const s = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem, lingerTimeout: 50, ...v });
    const c = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, lingerTimeout: 50, ...v });
    const got: number[] = [];
    const reading = s.readable.pipeTo(new WritableStream({ write: (b: Uint8Array) => void got.push(b.length) }));
    const cw = c.writable.getWriter();
    void cw.write(new Uint8Array(10));
    expect(await fate(c.close(), 3000)).not.toBe('pending');
    await fate(reading, 3000);
    expect(got.reduce((a, b) => a + b, 0)).toBe(10);
  });
});
