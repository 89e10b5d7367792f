/**
 * The Node adapter's `earlyData` / `retryEarlyData` connect options (added for the CLI's
 * `--early-data`, issue 10 item 7): 0-RTT through `connect()`, with plain options and next to
 * a `secureContext`; data that cannot go early is sent after the handshake unless
 * `retryEarlyData: false`; a careless value is InvalidConfig.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import { connect, createClientConfig, createServer, type ConnectOptions, type TlsSocket } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** An echo server with `maxEarlyData`; resolves with its port and what each connection received in total. */
async function echoServer(maxEarlyData: number): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, maxEarlyData }, (s) => {
    const i = received.push('') - 1;
    s.on('error', () => {});
    s.on('data', (d: Buffer) => (received[i] += d.toString()));
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { port: (server.address() as AddressInfo).port, received };
}

/** Connects, reads until `want` came back (or the socket closed), closes; resolves with info.earlyData and the echo. */
async function exchange(options: ConnectOptions, want: string): Promise<{ early: string; resumed: boolean; echoed: string }> {
  const s: TlsSocket = connect(options);
  let echoed = '';
  s.on('data', (d: Buffer) => (echoed += d.toString()));
  await once(s, 'secureConnect');
  const info = s.info;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 1500);
    const check = (): void => {
      if (echoed.includes(want)) {
        clearTimeout(t);
        resolve();
      }
    };
    s.on('data', check);
    check();
  });
  s.end();
  await once(s, 'close');
  return { early: info.earlyData, resumed: info.resumed, echoed };
}

describe('connect({ earlyData })', () => {
  it('goes as 0-RTT on a resumption with a shared secureContext; none on the full handshake, sent after it', async () => {
    const { port, received } = await echoServer(1024);
    const secureContext = createClientConfig({ ca: pki.caCertPem });
    const base: ConnectOptions = { host: '127.0.0.1', port, servername: 'localhost', secureContext, earlyData: new TextEncoder().encode('zero-rtt\n') };
    const first = await exchange(base, 'zero-rtt');
    expect(first).toMatchObject({ early: 'none', resumed: false, echoed: 'zero-rtt\n' });
    const second = await exchange(base, 'zero-rtt');
    expect(second).toMatchObject({ early: 'accepted', resumed: true, echoed: 'zero-rtt\n' });
    expect(received).toEqual(['zero-rtt\n', 'zero-rtt\n']);
  });

  it('retryEarlyData: false: what cannot go early is not sent', async () => {
    const { port, received } = await echoServer(1024);
    const secureContext = createClientConfig({ ca: pki.caCertPem });
    const r = await exchange({ host: '127.0.0.1', port, servername: 'localhost', secureContext, earlyData: new TextEncoder().encode('x'), retryEarlyData: false }, 'never');
    expect(r).toMatchObject({ early: 'none', echoed: '' });
    expect(received).toEqual(['']);
  });

  it('earlyData that is not bytes is InvalidConfig, thrown by connect', () => {
    let err: unknown;
    try {
      connect({ host: '127.0.0.1', port: 1, servername: 'localhost', ca: pki.caCertPem, earlyData: 'text' as unknown as Uint8Array });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsError);
    expect((err as TlsError).status).toBe('InvalidConfig');
  });
});
