/**
 * A trace callback that throws (found by the fifth campaign, O2): it is called once, the
 * connection fails with InternalError (source caller), and nothing escapes the engine,
 * whichever path traced: a handshake step, the alert that reports a failure, close().
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import type { TraceEvent } from '../../src/config/config.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** A trace sink that throws on the events `when` picks, counting its calls. */
function breaking(when: (e: TraceEvent) => boolean): { trace: (e: TraceEvent) => void; calls: () => number } {
  let n = 0;
  return {
    trace: (e) => {
      n++;
      if (when(e)) throw new Error('trace sink broke');
    },
    calls: () => n,
  };
}

describe('a trace callback that throws', () => {
  it.each([
    ['its first event (the ClientHello sent)', (_e: TraceEvent) => true],
    ['the server certificate received', (e: TraceEvent) => e.direction === 'received' && /Certificate/.test(e.summary)],
    ['the client Finished sent', (e: TraceEvent) => e.direction === 'sent' && /Finished/.test(e.summary)],
  ])('client, on %s: the client fails with InternalError (caller), the callback is not called again, nothing escapes', async (_name, when) => {
    const b = breaking(when);
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, trace: b.trace });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    let escaped: unknown = null;
    try {
      await pump(c, s);
    } catch (e) {
      escaped = e;
    }
    expect(escaped === null || escaped === c.error || escaped === s.error).toBe(true);
    expect(c.error).toBeInstanceOf(TlsError);
    expect(c.error).toMatchObject({ status: 'InternalError', source: 'caller' });
    expect(c.error!.detail).toContain('trace sink broke');
    expect(c.handshakeComplete).toBe(false);
    const calls = b.calls();
    c.close();
    expect(b.calls()).toBe(calls);
  });

  it('server, on the ClientHello received: fails with InternalError (caller), the client does not complete', async () => {
    const b = breaking((e) => e.direction === 'received');
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, trace: b.trace });
    await pump(c, s).catch(() => undefined);
    expect(s.error).toMatchObject({ status: 'InternalError', source: 'caller', alert: 80 });
    expect(c.handshakeComplete).toBe(false);
    // The client is told: internal_error (RFC 9846 §6.2).
    expect(c.error).toMatchObject({ status: 'AlertReceived', alert: 80 });
  });

  it('on the close_notify of close() after the handshake: close() does not throw, the connection fails', async () => {
    const b = breaking((e) => e.kind === 'alert');
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, trace: b.trace });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    expect(c.handshakeComplete).toBe(true);
    expect(() => c.close()).not.toThrow();
    expect(c.error).toMatchObject({ status: 'InternalError', source: 'caller' });
  });
});
