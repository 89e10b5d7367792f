/**
 * The Node `tls` parity table, socket and server members (issue 11 item 3): the same
 * connection made with `node:tls` and with `puretls/node` against the same peer, and the
 * members compared side by side. Plus `https` through a keep-alive Agent whose server closes
 * after the response: no late error.
 */
import * as https from 'node:https';
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as pure from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { attempt, nodeServer, pureServer } from './parity-helpers.js';

let chained: TestPki;
let expired: TestPki;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  chained = await generateTestPki({ names: ['localhost', '127.0.0.1'], intermediates: 1, caName: 'Socket Parity CA' });
  expired = await generateTestPki({ names: ['localhost'], variant: 'expired', caName: 'Expired Parity CA' });
});
afterAll(async () => {
  for (const c of closers) await c();
});

async function neutral(pki: TestPki, extra: nodeTls.TlsOptions = {}, onSocket?: (s: nodeTls.TLSSocket) => void): Promise<ReturnType<typeof nodeServer> extends Promise<infer T> ? T : never> {
  const s = await nodeServer({ cert: pki.chainPem, key: pki.keyPem, ...extra }, onSocket);
  closers.push(s.close);
  return s;
}

/** Both clients connected to `port` with `options`, kept open. */
async function pair(options: Record<string, unknown>): Promise<[nodeTls.TLSSocket, pure.TlsSocket]> {
  const n = await attempt('node', options, true);
  const p = await attempt('pure', options, true);
  expect(n.ok, n.error).toBe(true);
  expect(p.ok, p.error).toBe(true);
  return [n.socket as nodeTls.TLSSocket, p.socket as pure.TlsSocket];
}

describe('socket members, side by side with node:tls', () => {
  it("getPeerCertificate(): Node's object (subject/issuer objects, subjectaltname, validity, fingerprints, raw); detailed links the chain", async () => {
    const srv = await neutral(chained);
    const [n, p] = await pair({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: chained.caCertPem });
    const a = n.getPeerCertificate();
    const b = p.getPeerCertificate();
    for (const k of ['subject', 'issuer', 'subjectaltname', 'valid_from', 'valid_to', 'fingerprint', 'fingerprint256', 'fingerprint512', 'serialNumber', 'pubkey', 'asn1Curve', 'nistCurve', 'bits'] as const) {
      expect(b[k], k).toEqual(a[k]);
    }
    expect(b.raw.equals(a.raw)).toBe(true);
    expect('issuerCertificate' in b).toBe(false);
    const ad = n.getPeerCertificate(true);
    const bd = p.getPeerCertificate(true);
    expect(bd.issuerCertificate.subject).toEqual(ad.issuerCertificate.subject);
    expect(bd.issuerCertificate.fingerprint256).toBe(ad.issuerCertificate.fingerprint256);
    // Node appends the trust anchor from its store; puretls ends at the last certificate sent.
    expect(ad.issuerCertificate.issuerCertificate.subject).toEqual({ CN: 'Socket Parity CA' });
    expect(bd.issuerCertificate.issuerCertificate).toBeUndefined();
    // getPeerX509Certificate(): node:crypto's object on both.
    expect(p.getPeerX509Certificate()!.fingerprint256).toBe(n.getPeerX509Certificate()!.fingerprint256);
    expect(p.getPeerX509Certificate()).toBeInstanceOf(X509Certificate);
    n.destroy();
    p.destroy();
  });

  it('getPeerCertificate() is {} when the peer sent none (a server that asked without requiring), on both', async () => {
    const seen: Record<string, unknown>[] = [];
    const n = await nodeServer({ cert: chained.chainPem, key: chained.keyPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      seen.push({ who: 'node', cert: s.getPeerCertificate(), authorized: s.authorized, error: s.authorizationError ?? null });
      s.end();
    });
    const p = await pureServer({ cert: chained.chainPem, key: chained.keyPem, requestCert: true, rejectUnauthorized: false }, (s) => {
      seen.push({ who: 'pure', cert: s.getPeerCertificate(), authorized: s.authorized, error: s.authorizationError ?? null });
      s.end();
    });
    closers.push(n.close, p.close);
    for (const port of [n.port, p.port]) {
      const o = await attempt('node', { host: '127.0.0.1', port, servername: 'localhost', ca: chained.caCertPem }, true);
      await new Promise((r) => o.socket!.once('close', r).resume());
    }
    expect(seen).toHaveLength(2);
    expect(seen[1]).toMatchObject({ cert: seen[0]!.cert, authorized: seen[0]!.authorized, error: seen[0]!.error });
  });

  it("authorizationError: Node's code on both (self-signed leaf, unknown issuer, expired, wrong name); puretls's codes in authorizationErrors", async () => {
    // A self-signed leaf (not a CA: OpenSSL would report the CA used as a leaf, INVALID_PURPOSE, first).
    const dir = mkdtempSync(join(tmpdir(), 'puretls-selfsigned-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=localhost', '-days', '2', '-addext', 'subjectAltName=DNS:localhost', '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const selfSigned = await neutral({ chainPem: readFileSync(join(dir, 'c.pem'), 'utf8'), keyPem: readFileSync(join(dir, 'k.pem'), 'utf8') } as TestPki);
    rmSync(dir, { recursive: true, force: true });
    const lone = await neutral({ ...chained, chainPem: chained.certPem } as TestPki);
    const exp = await neutral(expired);
    const named = await neutral(chained);
    const cases: [number, string, Record<string, unknown>][] = [
      [selfSigned.port, 'DEPTH_ZERO_SELF_SIGNED_CERT', {}],
      [lone.port, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', {}],
      [exp.port, 'CERT_HAS_EXPIRED', { ca: expired.caCertPem }],
      [named.port, 'ERR_TLS_CERT_ALTNAME_INVALID', { servername: 'other.test', ca: chained.caCertPem }],
    ];
    for (const [port, code, extra] of cases) {
      const [n, p] = await pair({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...extra });
      expect(n.authorized).toBe(false);
      expect(p.authorized).toBe(false);
      expect(String(n.authorizationError), code).toBe(code);
      expect(p.authorizationError, code).toBe(code);
      expect(p.authorizationErrors.length).toBeGreaterThan(0);
      n.destroy();
      p.destroy();
    }
  });

  it('bytesRead, bytesWritten, readyState, remoteFamily, remoteAddress/Port, localAddress agree', async () => {
    const srv = await neutral(chained);
    const [n, p] = await pair({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: chained.caCertPem });
    for (const s of [n, p]) {
      expect(s.readyState).toBe('open');
      expect(s.remoteFamily).toBe('IPv4');
      expect(s.remoteAddress).toBe('127.0.0.1');
      expect(s.remotePort).toBe(srv.port);
      expect(s.localAddress).toBe('127.0.0.1');
      const before = { r: s.bytesRead, w: s.bytesWritten };
      expect(typeof before.r).toBe('number');
      expect(typeof before.w).toBe('number');
      s.write(Buffer.alloc(5000, 1));
      await new Promise<void>((resolve) => {
        let got = 0;
        s.on('data', (d: Buffer) => (got += d.length) >= 5000 && resolve());
      });
      if (s === p) {
        // Ours counts the ciphertext through the transport; Node 20's TLSSocket reports 0 for both here.
        expect(before.r).toBeGreaterThan(200);
        expect(s.bytesWritten - before.w).toBeGreaterThan(5000);
        expect(s.bytesRead - before.r).toBeGreaterThan(5000);
      }
    }
    for (const s of [n, p]) {
      s.destroy();
      expect(s.readyState).toBe('closed');
    }
  });

  it('getEphemeralKeyInfo(): {} before the handshake, the group after it (x25519 and P-384 in TLS 1.3, P-256 in TLS 1.2), as node:tls; a hybrid by its IANA name', async () => {
    const srv = await neutral(chained);
    for (const [ecdhCurve, maxVersion] of [['X25519', 'TLSv1.3'], ['P-384', 'TLSv1.3'], ['P-256', 'TLSv1.2']] as const) {
      const options = { host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: chained.caCertPem, ecdhCurve, maxVersion };
      const before = [nodeTls.connect(options), pure.connect(options)];
      for (const s of before) {
        expect(s.getEphemeralKeyInfo()).toEqual({});
        s.on('error', () => {});
        s.destroy();
      }
      const [n, p] = await pair(options);
      expect(p.getEphemeralKeyInfo()).toEqual(n.getEphemeralKeyInfo());
      expect(p.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', size: { 'X25519': 253, 'P-256': 256, 'P-384': 384 }[ecdhCurve] });
      n.destroy();
      p.destroy();
      expect(p.getEphemeralKeyInfo()).toBeNull();
    }
    // A server socket reports {} (ours, whose handshake is complete when the listener runs).
    let seen!: (v: unknown) => void;
    const serverInfo = new Promise<unknown>((resolve) => (seen = resolve));
    const ps = await pureServer({ cert: chained.chainPem, key: chained.keyPem }, (s) => {
      seen(s.getEphemeralKeyInfo());
      s.end();
    });
    closers.push(ps.close);
    const c = await attempt('pure', { host: '127.0.0.1', port: ps.port, servername: 'localhost', ca: chained.caCertPem }, true);
    expect(c.ok, c.error).toBe(true);
    expect(await serverInfo).toEqual({});
    // Our defaults on both ends agree on the hybrid, which Node 20 cannot name: its IANA name.
    expect((c.socket as pure.TlsSocket).getEphemeralKeyInfo()).toEqual({ type: 'hybrid', name: 'X25519MLKEM768' });
    c.socket!.destroy();
  });

  it('renegotiate(): refused through the callback on both (Node: OpenSSL error, ours: NoRenegotiation), returns false, and the connection goes on', async () => {
    const srv = await neutral(chained);
    const [n, p] = await pair({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: chained.caCertPem });
    for (const s of [n, p]) {
      const err = await new Promise<Error | null>((resolve) => {
        expect(s.renegotiate({}, resolve)).toBe(false);
      });
      expect(err).toBeInstanceOf(Error);
      if (s === p) expect(err).toMatchObject({ status: 'NoRenegotiation' });
      expect(s.disableRenegotiation()).toBeUndefined();
      s.write('still here');
      const echoed = await new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
      expect(echoed).toBe('still here');
      s.destroy();
    }
  });

  it("'keylog': NSS lines with a newline, as Buffers, on both clients and both servers", async () => {
    const lines = (arr: Buffer[]): string[] => arr.map((b) => b.toString('latin1'));
    const pattern = /^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$/;
    const srvNode = await neutral(chained);
    const srvPure = await pureServer({ cert: chained.chainPem, key: chained.keyPem });
    closers.push(srvPure.close);
    const serverLines: { node: Buffer[]; pure: Buffer[] } = { node: [], pure: [] };
    srvNode.server.on('keylog', (l: Buffer) => serverLines.node.push(l));
    srvPure.server.on('keylog', (l: Buffer, s: pure.TlsSocket) => {
      expect(s).toBeInstanceOf(pure.TlsSocket);
      serverLines.pure.push(l);
    });
    const labels: Record<string, string[]> = {};
    for (const which of ['node', 'pure'] as const) {
      for (const port of [srvNode.port, srvPure.port]) {
        const got: Buffer[] = [];
        const s = which === 'node' ? nodeTls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: chained.caCertPem }) : pure.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: chained.caCertPem });
        s.on('keylog', (l: Buffer) => got.push(l));
        await new Promise((r) => s.once('secureConnect', r));
        for (const l of lines(got)) expect(l).toMatch(pattern);
        labels[`${which}@${port === srvNode.port ? 'node' : 'pure'}`] = lines(got).map((l) => l.split(' ')[0]!).sort();
        s.destroy();
      }
    }
    expect(labels['pure@node']).toEqual(labels['node@node']);
    expect(labels['pure@pure']).toEqual(labels['node@node']);
    await vi.waitFor(() => {
      expect(lines(serverLines.pure).map((l) => l.split(' ')[0]).sort()).toEqual(expect.arrayContaining(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']));
      expect(serverLines.node.length).toBeGreaterThan(0);
    }, { timeout: 5000, interval: 20 });
  });

  it('destroySoon(): ends (close_notify first) and destroys, on both; the peer sees a clean end', async () => {
    for (const which of ['node', 'pure'] as const) {
      let ended!: () => void;
      const peerEnded = new Promise<void>((r) => (ended = r));
      const srv = await neutral(chained, {}, (s) => {
        s.on('data', () => {});
        s.on('end', () => ended());
      });
      const o = await attempt(which, { host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: chained.caCertPem }, true);
      const s = o.socket!;
      s.write('last words');
      s.destroySoon();
      await new Promise((r) => s.once('close', r));
      await peerEnded;
      expect(s.destroyed).toBe(true);
    }
  });
});

describe('https through a keep-alive Agent', () => {
  it('a server that closes after the response: the response arrives whole and no error follows (destroySoon), as with node:tls', async () => {
    const server = https.createServer({ cert: chained.chainPem, key: chained.keyPem }, (req, res) => {
      res.setHeader('Connection', 'close');
      res.end(`hello ${req.url}`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    for (const which of ['node', 'pure'] as const) {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
      const errors: unknown[] = [];
      (agent as unknown as { createConnection: (o: Record<string, unknown>) => net.Socket }).createConnection = (o) => {
        const s = which === 'pure' ? pure.connect({ ...(o as pure.ConnectOptions), servername: 'localhost', ca: chained.caCertPem }) : nodeTls.connect({ ...(o as nodeTls.ConnectionOptions), servername: 'localhost', ca: chained.caCertPem });
        s.on('error', (e) => errors.push(e));
        return s as unknown as net.Socket;
      };
      for (const path of ['/a', '/b', '/c']) {
        const body = await new Promise<string>((resolve, reject) => {
          const req = https.request({ host: '127.0.0.1', port, path, agent }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => resolve(text));
          });
          req.on('error', (e) => {
            errors.push(e);
            reject(e);
          });
          req.end();
        });
        expect(body).toBe(`hello ${path}`);
      }
      // Late errors would arrive after the server's close: wait for them.
      await new Promise((r) => setTimeout(r, 300));
      expect(errors, which).toEqual([]);
      agent.destroy();
    }
  });
});
