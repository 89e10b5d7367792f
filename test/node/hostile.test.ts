/**
 * What a hostile peer or a careless caller can make the Node parity code do (issue 11 item
 * 3): the ClientHello peek behind `SNICallback` / `addContext` reads bytes before any TLS
 * exists, and the Node option parsers read caller strings. Neither may throw anything but a
 * `TlsError('InvalidConfig')` (parsers) or anything at all (peek), hang, or take a name
 * from a malformed message; a server with an `SNICallback` facing garbage, a slow client or
 * an oversized hello reports `'tlsClientError'` and stays up.
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import * as pure from '../../src/transport/node.js';
import { clientHelloServerName } from '../../src/transport/node-sni.js';
import { alpnNames, parseCiphers, parseEcdhCurve, parseSigalgs } from '../../src/transport/node-tls-options.js';
import { CERT_SIGNATURE_SCHEMES } from '../../src/crypto/suites.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { attempt, pureServer } from './parity-helpers.js';

let pki: TestPki;
let hello: Buffer;
const closers: (() => Promise<void>)[] = [];

/** The first bytes a puretls client sends for `servername` (its ClientHello record). */
async function captureHello(servername: string): Promise<Buffer> {
  const server = net.createServer();
  const got = new Promise<Buffer>((resolve) => {
    server.on('connection', (c) => {
      let buf = Buffer.alloc(0);
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
          c.destroy();
        }
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const s = pure.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername, ca: pki.caCertPem });
  s.on('error', () => {});
  const bytes = await got;
  s.destroy();
  server.close();
  return bytes;
}

beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost', 'b.test'] });
  hello = await captureHello('b.test');
});
afterAll(async () => {
  for (const c of closers) await c();
});

describe('the ClientHello peek', () => {
  it('finds the name in a real ClientHello, wants more for every strict prefix, and reads it split across records', () => {
    expect(clientHelloServerName(hello, 131072)).toEqual({ done: true, name: 'b.test' });
    for (let n = 0; n < hello.length; n++) expect(clientHelloServerName(hello.subarray(0, n), 131072).done, `prefix ${n}`).toBe(false);
    // The same handshake message in records of 1..7 bytes (RFC 9846 §5.1 allows any fragmentation).
    const body = hello.subarray(5);
    for (const size of [1, 2, 7, 100]) {
      const records: Buffer[] = [];
      for (let i = 0; i < body.length; i += size) {
        const frag = body.subarray(i, i + size);
        records.push(Buffer.concat([Buffer.from([22, 3, 1, frag.length >> 8, frag.length & 0xff]), frag]));
      }
      expect(clientHelloServerName(Buffer.concat(records), 131072)).toEqual({ done: true, name: 'b.test' });
    }
  });

  it('never throws on random bytes, on a real hello with any byte changed, or beyond its size limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        const r = clientHelloServerName(b, 131072);
        if (r.done && r.name !== null) expect(r.name).toMatch(/^[\x21-\x7e]+$/);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(hello.length - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const b = Buffer.from(hello);
        b[at] = v;
        const r = clientHelloServerName(b, 131072);
        if (r.done && r.name !== null) expect(r.name).toMatch(/^[\x21-\x7e]+$/);
      }),
      { numRuns: 3000 },
    );
    // A hello announcing more than the limit: no name, no waiting for it.
    const huge = Buffer.from([22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]);
    expect(clientHelloServerName(huge, 131072)).toEqual({ done: true, name: null });
  });

  it('a server with an SNICallback survives garbage, a silent client, a throwing callback and a hello that never ends', async () => {
    const errors: Error[] = [];
    const srv = await pureServer({
      cert: pki.chainPem,
      key: pki.keyPem,
      handshakeTimeout: 300,
      SNICallback: (name) => {
        if (name === 'boom.test') throw new Error('callback threw');
        return Promise.resolve(null);
      },
    });
    srv.server.on('tlsClientError', (e: Error) => errors.push(e));
    closers.push(srv.close);
    const raw = (write?: Buffer): net.Socket => {
      const c = net.connect(srv.port, '127.0.0.1', () => write && c.write(write));
      c.on('error', () => {});
      return c;
    };
    const wait = (n: number): Promise<void> => vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(n), { timeout: 5000, interval: 20 });
    raw(Buffer.alloc(100, 0x16));
    await wait(1);
    raw();
    await wait(2);
    // A record header promising a long hello, then nothing: the handshake timeout ends it.
    raw(Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0, 0x3f, 0xfc]));
    await wait(3);
    const boom = await attempt('node', { host: '127.0.0.1', port: srv.port, servername: 'boom.test', ca: pki.caCertPem });
    expect(boom.ok).toBe(false);
    await wait(4);
    expect(errors.some((e) => e.message.includes('callback threw'))).toBe(true);
    // Still serving.
    expect(await attempt('node', { host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.caCertPem })).toMatchObject({ ok: true, authorized: true });
  });
});

describe('Node option parsers on hostile strings', () => {
  const onlyInvalidConfig = (f: () => unknown): void => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(TlsError);
      expect((e as TlsError).status).toBe('InvalidConfig');
    }
  };

  it('ciphers, ecdhCurve, sigalgs and ALPN buffers give a result or InvalidConfig, nothing else', () => {
    const words = fc.constantFrom('ECDHE', 'RSA', 'AES128', 'GCM', 'SHA256', 'HIGH', '!aNULL', '+AES', '-RSA', '@SECLEVEL=2', 'TLS_AES_128_GCM_SHA256', 'RC4', 'x', '', '+', '!', ':', 'X25519', 'P-256', 'ed25519', 'RSA-PSS+SHA256');
    const str = fc.oneof(fc.string({ maxLength: 80 }), fc.array(words, { maxLength: 8 }).map((w) => w.join(':')));
    fc.assert(
      fc.property(str, (s) => {
        onlyInvalidConfig(() => parseCiphers(s));
        onlyInvalidConfig(() => parseEcdhCurve(s));
        onlyInvalidConfig(() => parseSigalgs(s, CERT_SIGNATURE_SCHEMES));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        onlyInvalidConfig(() => {
          for (const name of alpnNames(b)) expect(name.length).toBeGreaterThan(0);
        });
      }),
      { numRuns: 2000 },
    );
    // A list that excludes everything it adds selects nothing: refused, not an empty offer.
    onlyInvalidConfig(() => parseCiphers('HIGH:!HIGH'));
    expect(() => parseCiphers('HIGH:!HIGH')).toThrow(TlsError);
  });

  it('a non-string option value is InvalidConfig at the call, never a TypeError', () => {
    for (const o of [{ ciphers: 1 }, { ecdhCurve: [] }, { sigalgs: {} }, { secureOptions: 'x' }, { secureProtocol: 5 }, { ALPNProtocols: 7 }, { enableTrace: 'yes' }, { timeout: -1 }, { SNICallback: 'x' }]) {
      const f = (): unknown => ('SNICallback' in o ? pure.createServer({ cert: pki.chainPem, key: pki.keyPem, ...(o as object) } as never) : pure.connect({ port: 1, servername: 'x', ...(o as object) } as never));
      let err: unknown;
      try {
        const s = f();
        (s as { destroy?: () => void; close?: () => void }).destroy?.();
        (s as { close?: () => void }).close?.();
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(o)).toBeInstanceOf(TlsError);
      expect((err as TlsError).status).toBe('InvalidConfig');
    }
  });
});
