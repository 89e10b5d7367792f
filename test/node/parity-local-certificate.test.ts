/**
 * `getCertificate()` and `getX509Certificate()` (issue 11 item 3): the certificate this side
 * presents, side by side with `node:tls`.
 *
 * Node's behaviour, measured here and matched:
 * - a client without a certificate: `getCertificate()` is `{}`, `getX509Certificate()` is
 *   undefined;
 * - a client with one: its certificate, also when the server did not ask for it (Node
 *   reports what is configured, not what was sent);
 * - a server: the certificate of the identity chosen for the connection (SNI: `addContext`);
 * - once the socket is closed: `getCertificate()` is `null` and `getX509Certificate()`
 *   undefined (Node's handle is gone).
 */
import * as nodeTls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as pure from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { attempt, nodeServer, pureServer } from './parity-helpers.js';

let srv: TestPki;
let cli: TestPki;
let other: TestPki;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  srv = await generateTestPki({ names: ['localhost'], caName: 'Local Cert Server CA' });
  cli = await generateTestPki({ names: ['client.test'], keyType: 'ed25519', caName: 'Local Cert Client CA' });
  other = await generateTestPki({ names: ['b.test'], intermediates: 1, caName: 'Local Cert Other CA' });
});
afterAll(async () => {
  for (const c of closers) await c();
});

const KEYS = ['subject', 'issuer', 'subjectaltname', 'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber', 'pubkey', 'asn1Curve', 'nistCurve', 'bits'] as const;
const fp = (pem: string): string => new X509Certificate(pem).fingerprint256;

type Sock = nodeTls.TLSSocket | pure.TlsSocket;

/** getCertificate() / getX509Certificate() once connected, and again once closed. */
async function local(which: 'node' | 'pure', options: Record<string, unknown>): Promise<{ open: unknown; x509: X509Certificate | undefined; closed: unknown; closedX509: unknown }> {
  const o = await attempt(which, options, true);
  expect(o.ok, o.error).toBe(true);
  const s = o.socket as Sock;
  const open = s.getCertificate();
  const x509 = s.getX509Certificate();
  await new Promise<void>((r) => {
    s.once('close', () => r());
    s.destroy();
  });
  return { open, x509, closed: s.getCertificate(), closedX509: s.getX509Certificate() };
}

/** A Node client that stays until the server ends the connection (so the server's handler runs first). */
async function visit(options: Record<string, unknown>): Promise<void> {
  const r = await attempt('node', options, true);
  expect(r.ok, r.error).toBe(true);
  const s = r.socket as nodeTls.TLSSocket;
  await new Promise<void>((done) => {
    s.on('close', () => done());
    s.resume();
  });
}

describe('getCertificate() / getX509Certificate(), side by side with node:tls', () => {
  it('a client without a certificate: {} and undefined on both; null and undefined once closed', async () => {
    const s = await nodeServer({ cert: srv.chainPem, key: srv.keyPem });
    closers.push(s.close);
    const opts = { host: '127.0.0.1', port: s.port, servername: 'localhost', ca: srv.caCertPem };
    const n = await local('node', opts);
    const p = await local('pure', opts);
    expect(n).toEqual({ open: {}, x509: undefined, closed: null, closedX509: undefined });
    expect(p).toEqual(n);
  });

  for (const requestCert of [false, true]) {
    it(`a client with a certificate (server ${requestCert ? 'asks for it' : 'does not ask'}): its certificate on both, same fields`, async () => {
      const s = await nodeServer({ cert: srv.chainPem, key: srv.keyPem, requestCert, rejectUnauthorized: false, ca: cli.caCertPem });
      closers.push(s.close);
      const opts = { host: '127.0.0.1', port: s.port, servername: 'localhost', ca: srv.caCertPem, cert: cli.chainPem, key: cli.keyPem };
      const n = await local('node', opts);
      const p = await local('pure', opts);
      const a = n.open as nodeTls.PeerCertificate;
      const b = p.open as pure.PeerCertificate;
      expect(a.fingerprint256).toBe(fp(cli.certPem));
      for (const k of KEYS) expect(b[k], k).toEqual(a[k]);
      expect(b.raw.equals(a.raw)).toBe(true);
      expect(p.x509).toBeInstanceOf(X509Certificate);
      expect(p.x509!.fingerprint256).toBe(n.x509!.fingerprint256);
      expect([p.closed, p.closedX509]).toEqual([n.closed, n.closedX509]);
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version} server: the identity chosen by SNI (addContext) on both; the default one otherwise`, async () => {
      const seen: Record<string, string[]> = { node: [], pure: [] };
      const record = (who: 'node' | 'pure') => (sock: Sock): void => {
        const c = sock.getCertificate() as { fingerprint256?: string };
        seen[who]!.push(`${c.fingerprint256}|${sock.getX509Certificate()?.fingerprint256}`);
        sock.end();
      };
      const n = await nodeServer({ cert: srv.chainPem, key: srv.keyPem, maxVersion: version }, record('node'));
      const p = await pureServer({ cert: srv.chainPem, key: srv.keyPem, maxVersion: version }, record('pure'));
      closers.push(n.close, p.close);
      n.server.addContext('b.test', { cert: other.chainPem, key: other.keyPem });
      p.server.addContext('b.test', { cert: other.chainPem, key: other.keyPem });
      for (const port of [n.port, p.port]) {
        for (const [servername, ca] of [['localhost', srv.caCertPem], ['b.test', other.caCertPem]]) {
          await visit({ host: '127.0.0.1', port, servername, ca });
        }
      }
      const want = [fp(srv.certPem), fp(other.certPem)].map((f) => `${f}|${f}`);
      expect(seen.node).toEqual(want);
      expect(seen.pure).toEqual(seen.node);
    });
  }

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`${version} server: the identity picked from several by the client's signature schemes, not merely the first configured`, async () => {
      // An ECDSA identity first, an Ed25519 one second; a client that accepts only Ed25519 signatures.
      const ed = await generateTestPki({ names: ['localhost'], keyType: 'ed25519', caName: 'Local Cert Ed CA' });
      const got: string[] = [];
      const p = await pureServer({ certificates: [{ cert: srv.chainPem, key: srv.keyPem }, { cert: ed.chainPem, key: ed.keyPem }] }, (sock) => {
        got.push((sock.getCertificate() as { fingerprint256: string }).fingerprint256);
        sock.end();
      });
      closers.push(p.close);
      await visit({ host: '127.0.0.1', port: p.port, servername: 'localhost', ca: ed.caCertPem, sigalgs: 'ed25519', maxVersion: version });
      expect(got).toEqual([fp(ed.certPem)]);
    });
  }
});
