/**
 * review3: d58f2ff promises that a trace callback that throws never makes anything escape the
 * engine. Its catch builds the detail with `String(err)` for a thrown value that is not an
 * Error: a thrown object without a string conversion (`Object.create(null)`, an object whose
 * toString throws) makes `String()` throw a TypeError inside the catch, which then escapes
 * from whatever traced (start(), process(), close()): the connection is left without its
 * error set, and the caller gets a TypeError instead of a TlsError. (src/engine/connection.ts
 * `trace()`, and `fail()` the same way for any non-Error thrown by a step; both now describe
 * the value with thrownText, which never throws.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const unprintable: [string, () => unknown][] = [
  ['an object without a prototype', () => Object.create(null)],
  ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } })],
];

describe('review3: a trace callback that throws a value String() cannot convert', () => {
  for (const [name, make] of unprintable) {
    it(`${name}, on close()'s close_notify: close() throws only TlsErrors, and the connection fails as InternalError (caller)`, async () => {
      const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, trace: (e) => { if (e.kind === 'alert') throw make(); } });
      const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
      await pump(c, s);
      expect(c.handshakeComplete).toBe(true);
      let escaped: unknown = null;
      try {
        c.close();
      } catch (e) {
        escaped = e;
      }
      expect(escaped === null || escaped instanceof TlsError, `close() threw ${escaped instanceof Error ? `${escaped.name}: ${escaped.message}` : typeof escaped}`).toBe(true);
      expect(c.error).toMatchObject({ status: 'InternalError', source: 'caller' });
    });

    it(`${name}, during the handshake: reported as a TlsError (InternalError), nothing escapes`, async () => {
      const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, trace: () => { throw make(); } });
      const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
      let escaped: unknown = null;
      try {
        await pump(c, s);
      } catch (e) {
        escaped = e;
      }
      expect(escaped === null || escaped instanceof TlsError).toBe(true);
      // (Its source is 'local', not 'caller': the TypeError of String() is what fail() reports.)
      expect(c.error).toMatchObject({ status: 'InternalError' });
    });
  }

  it('control: a thrown string on close(): close() does not throw, the connection fails as InternalError (caller)', async () => {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, trace: (e) => { if (e.kind === 'alert') throw 'sink broke'; } });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    expect(() => c.close()).not.toThrow();
    expect(c.error).toMatchObject({ status: 'InternalError', source: 'caller' });
    expect(c.error!.detail).toContain('sink broke');
  });
});
