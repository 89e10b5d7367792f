/**
 * A seam found by the runtime adapters (issue 11): bytes and EOF that arrive while the pump
 * awaits `process()` with no input queued must be fed to the engine before EOF. Before the
 * fix the pump gave EOF to the engine first: a peer's last records and its close_notify were
 * lost and a clean close was reported as `Truncated` (seen with Deno and Node peers).
 */
import { describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsPump } from '../../src/transport/pump.js';
import { generateTestPki } from '../../src/verify/generate.js';
import type { TlsError } from '../../src/base/errors.js';

async function connectedPair(): Promise<{ c: TlsConnection; s: TlsConnection }> {
  const pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
  const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
  await c.process();
  for (let i = 0; i < 10 && !(c.handshakeComplete && s.handshakeComplete); i++) {
    let o;
    while ((o = c.takeOutput())) {
      s.receive(o);
      await s.process();
    }
    while ((o = s.takeOutput())) {
      c.receive(o);
      await c.process();
    }
  }
  return { c, s };
}

describe('TlsPump: EOF after input that arrived during process()', () => {
  it('delivers every byte and the close_notify before EOF, then ends cleanly', async () => {
    const { c, s } = await connectedPair();
    const data = new Uint8Array(200_000).map((_, i) => i & 0xff);
    s.write(data);
    s.close();
    const wire: Uint8Array[] = [];
    let o;
    while ((o = s.takeOutput())) wire.push(o.slice());
    const all = new Uint8Array(wire.reduce((n, w) => n + w.length, 0));
    let off = 0;
    for (const w of wire) {
      all.set(w, off);
      off += w.length;
    }
    const first = all.subarray(0, 40_000);
    const rest = all.subarray(40_000);

    let got = 0;
    let ended = false;
    let error: TlsError | null = null;
    const pump = new TlsPump(c, {
      send: () => undefined,
      deliver: (d) => {
        got += d.length;
      },
      readEnded: () => (ended = true),
      error: (e) => (error = e),
    });
    // The rest and EOF arrive exactly while the engine runs with the pump's queue empty: in
    // its no-input pass, the one that also handles EOF. The drive loop runs the engine there
    // with processNow() (no promise with a synchronous provider) or process(): fire in the
    // first such call, whichever it is.
    // (A run right after receive() is the chunk pass, not that one.)
    const originalProcess = c.process.bind(c);
    const originalNow = c.processNow.bind(c);
    const originalReceive = c.receive.bind(c);
    let afterReceive = false;
    c.receive = (bytes: Uint8Array, transfer?: boolean): number => {
      afterReceive = true;
      return originalReceive(bytes, transfer);
    };
    let armed = false;
    let emptyCalls = 0;
    const fire = (): void => {
      const chunkPass = afterReceive;
      afterReceive = false;
      if (chunkPass) return;
      if (armed && (pump as unknown as { input: Uint8Array[] }).input.length === 0 && ++emptyCalls === 1) {
        armed = false;
        pump.push(rest);
        pump.eof();
      }
    };
    c.process = (): Promise<void> => {
      const p = originalProcess();
      fire();
      return p;
    };
    c.processNow = (): Promise<void> | undefined => {
      const p = originalNow();
      fire();
      return p;
    };
    await pump.start();
    armed = true;
    pump.push(first);
    for (let i = 0; i < 50 && !ended && !error; i++) await pump.whenIdle().then(() => new Promise((r) => setTimeout(r, 1)));
    expect(armed).toBe(false);
    expect(error).toBeNull();
    expect(got).toBe(data.length);
    expect(ended).toBe(true);
  });
});
