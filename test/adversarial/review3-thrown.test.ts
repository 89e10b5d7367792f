/**
 * review3: the adapters' `mapTransportError` (src/transport/node.ts, src/transport/streams.ts)
 * build their detail with `String(e)` for a value that is not an Error. A value String() cannot
 * convert (`Object.create(null)`, an object whose toString throws) makes them throw a TypeError
 * instead of returning a TlsError. One place this reaches: the Node server's accept path, whose
 * rejection handler maps an SNICallback's error (4ae2677 / 06b31b0 route the callback's errors
 * there): `cb(Object.create(null))` left an unhandled rejection (fatal in Node by default) and
 * no 'tlsClientError'. The pump's own conversion (pump.ts asTlsError and its drive loop) had
 * the same `String(e)`: a caller's ByteTransport (puretls/web) whose write throws such a value
 * left two unhandled rejections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as pure from '../../src/transport/node.js';
import { mapTransportError as mapNode } from '../../src/transport/node.js';
import { mapTransportError as mapStreams, TlsStreamConnection, type ByteTransport } from '../../src/transport/streams.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost', 'b.test'] });
});

const servers: net.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

const odd: [string, () => unknown][] = [
  ['an object without a prototype', () => Object.create(null)],
  ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } })],
  ['an object whose message getter throws', () => ({ get message(): string { throw new Error('no'); } })],
];

describe('review3: mapTransportError never throws', () => {
  for (const [name, make] of odd) {
    for (const [which, map] of [['node', mapNode], ['streams', mapStreams]] as const) {
      it(`${which}: ${name} → TlsError('TransportError')`, () => {
        const e = make();
        let got: unknown;
        try {
          got = map(e);
        } catch (x) {
          got = x;
        }
        expect(got).toBeInstanceOf(TlsError);
        expect((got as TlsError).status).toBe('TransportError');
        expect((got as TlsError).cause).toBe(e);
      });
    }
  }

  it('control: an errno error keeps its status and message', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    for (const map of [mapNode, mapStreams]) expect(map(e)).toMatchObject({ status: 'ConnectionRefused', detail: 'connect ECONNREFUSED 127.0.0.1:1' });
  });
});

describe('review3: an SNICallback that calls back with an odd error value', () => {
  it('the connection ends with a tlsClientError, nothing unhandled', async () => {
    const errors: unknown[] = [];
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, SNICallback: (_name, cb) => cb(Object.create(null) as Error) });
    server.on('tlsClientError', (e) => errors.push(e));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const c = pure.connect({ host: '127.0.0.1', port, servername: 'b.test', ca: pki.caCertPem });
    const ended = await new Promise<string>((resolve) => {
      c.on('secureConnect', () => resolve('secureConnect'));
      c.on('error', (e) => resolve(`error ${(e as TlsError).status ?? e.message}`));
      c.on('close', () => resolve('close'));
    });
    await new Promise((r) => setTimeout(r, 100));
    c.destroy();
    expect(ended).not.toBe('secureConnect');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TlsError);
  });
});

describe('review3: a ByteTransport whose write throws an odd value (TlsStreamConnection, puretls/web)', () => {
  for (const [name, make] of odd) {
    it(`${name}: handshake() rejects with a TlsError, nothing unhandled`, async () => {
      const transport: ByteTransport = {
        start: () => undefined,
        pause: () => undefined,
        resume: () => undefined,
        write: () => {
          throw make();
        },
        closeWrite: async () => undefined,
        close: () => undefined,
      };
      const conn = new TlsStreamConnection(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem }), transport, { handshakeTimeout: 2000 });
      const t = Date.now();
      const e = await conn.handshake().then(
        () => 'completed',
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(TlsError);
      // The transport's failure itself, not the handshake timeout.
      expect((e as TlsError).status).toBe('InternalError');
      expect(Date.now() - t).toBeLessThan(1000);
      await conn.close().catch(() => undefined);
    });
  }
});
