/**
 * Review of 826e13d / d295105 (pump/node: writes and end() made during a handshake that can
 * no longer complete are called back; TlsPump.handshake()/abort()). The same wait has a public
 * door that the fix did not take: TlsSocket.handshake() ("Resolves when the handshake
 * completed; rejects with its error") awaits the engine's own handshake(), which settles only on
 * a TLS failure or close(): a transport reset, destroy() or the handshake timeout leave it
 * pending for ever.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { connect } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/testing/index.js';

let pki: TestPki;
const closers: (() => void)[] = [];
failOnUnhandled({ uncaught: true });

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});
afterAll(() => {
  for (const c of closers) c();
});

/** A TCP server that reads the ClientHello and then resets the connection, or holds it silently. */
async function badServer(mode: 'reset' | 'silent'): Promise<number> {
  const held: net.Socket[] = [];
  closers.push(() => held.forEach((s) => s.destroy()));
  const server = net.createServer((s) => {
    s.on('error', () => {});
    held.push(s);
    if (mode === 'reset') s.once('data', () => s.resetAndDestroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** How `p` settled within `ms` (a status for a rejection), or 'pending'. */
async function outcome(p: Promise<unknown>, ms: number): Promise<string> {
  return Promise.race([
    p.then(
      () => 'resolved',
      (e: unknown) => `rejected ${(e as { status?: string }).status ?? String(e)}`,
    ),
    new Promise<string>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}

describe('review2: TlsSocket.handshake() when the handshake can never complete', () => {
  // Fixed in src/transport/node.ts: handshake() waits on the pump's handshake(), which the adapter's abort settles.
  it.each([
    ['the transport resets', 'reset', undefined, undefined],
    ['destroy()', 'silent', (s: { destroy(): void }) => setTimeout(() => s.destroy(), 50), undefined],
    ['the handshake timeout', 'silent', undefined, 100],
  ] as const)('%s: handshake() rejects', async (_name, mode, then, handshakeTimeout) => {
    const port = await badServer(mode);
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, ...(handshakeTimeout ? { handshakeTimeout } : {}) });
    s.on('error', () => {});
    const hs = s.handshake();
    then?.(s);
    await new Promise<void>((r) => s.on('close', () => r()));
    expect(await outcome(hs, 1000)).toMatch(/^rejected /);
  });
});

describe('review2: destroy() during the handshake with writes pending and no error listener', () => {
  it.each([
    ['destroy()', undefined],
    ['destroy(error)', Object.assign(new Error('reset by the application'), { code: 'ECONNRESET' })],
  ] as const)('%s: the write callbacks get the error, nothing is thrown or emitted unhandled', async (_name, err) => {
    const port = await badServer('silent');
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem });
    // An error listener only for destroy(error), which emits it (as any Duplex does).
    if (err) s.on('error', () => {});
    const cbs: string[] = [];
    s.write('first', (e) => cbs.push(e ? ((e as { status?: string }).status ?? 'error') : 'ok'));
    s.end(() => cbs.push('end'));
    setTimeout(() => s.destroy(err), 50);
    await new Promise<void>((r) => s.on('close', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    expect(cbs[0]).not.toBe('ok');
    expect(cbs.length).toBeGreaterThan(0);
  });
});
