/**
 * Node's client `'OCSPResponse'` event (issue 11 item 3), side by side with `node:tls`
 * against the same Node `tls` server, TLS 1.2 (CertificateStatus, RFC 6066 §8) and TLS 1.3
 * (the leaf's status_request entry, RFC 9846 §4.5.1.1).
 *
 * Node's behaviour, measured here and matched (Node 20 and 26 alike):
 * - the event fires only when the client passed `requestOCSP: true`, once, before
 *   `'secureConnect'`;
 * - with the stapled DER response as a Buffer when the server's `'OCSPRequest'` handler
 *   gave one;
 * - with `null` (not undefined, no Buffer) when the server stapled nothing (no handler, or
 *   the handler answered `null`): the event still fires.
 * Unlike Node, puretls checks the stapled response during the handshake: a revoked,
 * forged or garbage one fails the handshake (Node's client accepts anything); no
 * 'OCSPResponse' is emitted then, and the failure is a TlsError with its status.
 */
import * as nodeTls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pure from '../../src/transport/node.js';
import { TlsError } from '../../src/base/errors.js';
import { HAVE_OPENSSL, makeOcspSet, root, tempDir, type OcspSet } from '../e2e/pki.js';
import { nodeServer } from './parity-helpers.js';

let dir: { dir: string; remove: () => void };
let ocsp: OcspSet;
const closers: (() => Promise<void>)[] = [];

beforeAll(() => {
  if (!HAVE_OPENSSL) return;
  dir = tempDir('puretls-ocsp-event-');
  ocsp = makeOcspSet(dir.dir);
});
afterAll(async () => {
  for (const c of closers) await c();
  dir?.remove();
});

const pem = (der: Uint8Array): string => new X509Certificate(Buffer.from(der)).toString();

/** A Node `tls` server presenting `which` (good leaf or revoked leaf); `staple`: undefined = no 'OCSPRequest' handler. */
async function server(version: 'TLSv1.2' | 'TLSv1.3', staple: Uint8Array | null | undefined, which: 'good' | 'revoked' = 'good'): Promise<number> {
  const id = which === 'good' ? ocsp.identity : ocsp.revoked;
  const s = await nodeServer({ cert: id.chain.map(pem).join(''), key: id.keyPem, minVersion: version, maxVersion: version }, (sock) => sock.end());
  if (staple !== undefined) s.server.on('OCSPRequest', (_cert: Buffer, _issuer: Buffer, cb: (err: Error | null, resp: Buffer | null) => void) => cb(null, staple ? Buffer.from(staple) : null));
  closers.push(s.close);
  return s.port;
}

interface Seen {
  /** Event names in order. */
  readonly order: string[];
  /** What each 'OCSPResponse' carried: 'null', 'undefined' or the bytes. */
  readonly responses: (Uint8Array | null | undefined)[];
  readonly error?: unknown;
}

/** Connects Node's or our client, records 'OCSPResponse' and 'secureConnect' until the socket closes. */
function run(which: 'node' | 'pure', port: number, extra: Record<string, unknown>): Promise<Seen> {
  const options = { host: '127.0.0.1', port, servername: 'localhost', ca: root.pem, ...extra };
  const order: string[] = [];
  const responses: (Uint8Array | null | undefined)[] = [];
  const s = which === 'node' ? nodeTls.connect(options as nodeTls.ConnectionOptions) : pure.connect(options as pure.ConnectOptions);
  return new Promise((resolve) => {
    let error: unknown;
    s.on('OCSPResponse', (r: unknown) => {
      order.push('OCSPResponse');
      responses.push(r === null || r === undefined ? r : new Uint8Array(r as Buffer));
      if (r !== null && r !== undefined) expect(Buffer.isBuffer(r)).toBe(true);
    });
    s.on('secureConnect', () => order.push('secureConnect'));
    s.on('error', (e) => (error = e));
    s.on('close', () => resolve({ order, responses, error }));
    s.resume();
  });
}

describe.skipIf(!HAVE_OPENSSL)("client 'OCSPResponse', side by side with node:tls (openssl ocsp makes the responses; skipped without openssl)", () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version}: a stapled response → the same DER bytes on both, once, before 'secureConnect'`, async () => {
      const port = await server(version, ocsp.goodResponse);
      const n = await run('node', port, { requestOCSP: true });
      const p = await run('pure', port, { requestOCSP: true });
      expect(n.error).toBeUndefined();
      expect(p.error).toBeUndefined();
      expect(n.order).toEqual(['OCSPResponse', 'secureConnect']);
      expect(p.order).toEqual(n.order);
      expect(Buffer.from(n.responses[0]!).equals(Buffer.from(ocsp.goodResponse))).toBe(true);
      expect(Buffer.from(p.responses[0]!).equals(Buffer.from(ocsp.goodResponse))).toBe(true);
    });

    it(`${version}: no 'OCSPRequest' handler on the server → null on both (the event still fires)`, async () => {
      const port = await server(version, undefined);
      const n = await run('node', port, { requestOCSP: true });
      const p = await run('pure', port, { requestOCSP: true });
      expect(n.order).toEqual(['OCSPResponse', 'secureConnect']);
      expect(n.responses).toEqual([null]);
      expect(p.order).toEqual(n.order);
      expect(p.responses).toEqual([null]);
    });

    it(`${version}: the handler answers null → null on both`, async () => {
      const port = await server(version, null);
      const n = await run('node', port, { requestOCSP: true });
      const p = await run('pure', port, { requestOCSP: true });
      expect(n.responses).toEqual([null]);
      expect(p.responses).toEqual([null]);
      expect(p.order).toEqual(n.order);
    });

    it(`${version}: without requestOCSP: true → no event on either (puretls still asks and checks: its own default)`, async () => {
      const port = await server(version, ocsp.goodResponse);
      const n = await run('node', port, {});
      const p = await run('pure', port, {});
      const p2 = await run('pure', port, { requestOCSP: false });
      expect(n.order).toEqual(['secureConnect']);
      expect(p.order).toEqual(['secureConnect']);
      expect(p2.order).toEqual(['secureConnect']);
    });

    // The attacker's side: a server (or a man in the middle holding a stolen key) staples a
    // response that does not vouch for this certificate. Node's client reports and accepts
    // it; ours refuses the handshake with a status and never reports it as if it were good.
    it(`${version}: a revoked certificate with its true response → Node emits it and connects; puretls refuses (CertificateRevoked), no event`, async () => {
      const port = await server(version, ocsp.revokedResponse, 'revoked');
      const n = await run('node', port, { requestOCSP: true });
      expect(n.order).toEqual(['OCSPResponse', 'secureConnect']);
      const p = await run('pure', port, { requestOCSP: true });
      expect(p.order).toEqual([]);
      expect(p.error).toBeInstanceOf(TlsError);
      expect((p.error as TlsError).status).toBe('CertificateRevoked');
    });

    it(`${version}: a response signed by a stranger, a response about another certificate, garbage → puretls refuses each (CertificateRevocationFailure); Node accepts each`, async () => {
      for (const [name, bytes] of [
        ['stranger', ocsp.strangerResponse],
        ['other certificate', ocsp.revokedResponse],
        ['garbage', new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00])],
      ] as const) {
        const port = await server(version, bytes);
        const p = await run('pure', port, { requestOCSP: true });
        expect(p.order, name).toEqual([]);
        expect(p.error, name).toBeInstanceOf(TlsError);
        expect((p.error as TlsError).status, name).toBe('CertificateRevocationFailure');
        // Node's client reports the same bytes and connects: it checks nothing.
        const n = await run('node', port, { requestOCSP: true });
        expect(n.order, name).toEqual(['OCSPResponse', 'secureConnect']);
        expect(Buffer.from(n.responses[0]!).equals(Buffer.from(bytes)), name).toBe(true);
      }
    });
  }
});
