/**
 * Every identity file loaded through the options people pass (`pfx`, `passphrase`, Node's
 * `[{ buf, passphrase }]` and `{ pem, passphrase }` forms) is proved by a real handshake:
 * - our server (puretls/node `createServer({ pfx, passphrase })`) ← Node `tls.connect`
 *   verifying the chain against the CA alone (so the intermediate must come from the file),
 *   and ← `openssl s_client -verify_return_error`;
 * - our client (`connect({ pfx | key + passphrase })`) → a Node `tls` server that requires
 *   and verifies a client certificate, in TLS 1.3 and 1.2;
 * - the sans-I/O engine in memory, server and client both built from `.p12` files.
 * Config errors keep their identity statuses through every entry point, and the client-only
 * entry refuses `pfx` without its identity module.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { createClientConfig as createCoreClientConfig, createServerConfig as createCoreServerConfig } from '../../src/engine/setup.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import * as Client from '../../src/client.js';
import { connect, createServer, createServerConfig, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { PASS, hasTool, makeIdentityFixtures, type IdentityFixtures } from './fixtures.js';
import { killAllPeers, startOpensslServer } from '../helpers/peers.js';

const HAVE_OPENSSL = hasTool('openssl', ['version']);
if (!HAVE_OPENSSL) console.warn('openssl not found on PATH: skipping the identity handshake tests (their fixtures are made by it)');

function caught(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  throw new Error('expected a TlsError');
}

/** SHA-256 fingerprint in Node's `AA:BB:...` form. */
function fingerprint(der: Uint8Array): string {
  return new X509Certificate(Buffer.from(der)).fingerprint256;
}

describe.runIf(HAVE_OPENSSL)('identities from files, proved by handshakes', () => {
  let fx: IdentityFixtures;
  const servers: (TlsServer | tls.Server)[] = [];
  beforeAll(() => {
    fx = makeIdentityFixtures();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    fx?.remove();
  });

  /** Our echo server from `options`, listening on loopback. */
  async function ourServer(options: Parameters<typeof createServer>[0]): Promise<number> {
    const s = createServer(options, (sock) => {
      sock.on('error', () => {});
      sock.pipe(sock);
    });
    servers.push(s);
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    return (s.address() as AddressInfo).port;
  }

  /** Node's client: verifies against the CA only; returns the leaf it saw and the echo. */
  async function nodeClient(port: number): Promise<{ fingerprint: string; echo: string; protocol: string | null }> {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fx.caPem });
    await once(sock, 'secureConnect');
    const fp = sock.getPeerCertificate().fingerprint256;
    sock.write('ping');
    const [data] = (await once(sock, 'data')) as [Buffer];
    const protocol = sock.getProtocol();
    sock.destroy();
    return { fingerprint: fp, echo: data.toString(), protocol };
  }

  const serverCases: [string, () => Uint8Array | null, 'ec' | 'rsa'][] = [
    ['ec, openssl pkcs12 -export', () => fx.ec.p12.default!, 'ec'],
    ['rsa, openssl pkcs12 -export', () => fx.rsa.p12.default!, 'rsa'],
    ['ec, openssl pkcs12 -export -legacy', () => fx.ec.p12.legacy!, 'ec'],
    ['rsa, openssl pkcs12 -export -legacy', () => fx.rsa.p12.legacy!, 'rsa'],
    ['ec, GnuTLS certtool --to-p12', () => fx.gnutls, 'ec'],
  ];

  it.each(serverCases)('our server with pfx (%s) ← Node tls verifying against the CA alone', async (_name, file, kind) => {
    const pfx = file();
    if (!pfx) {
      console.warn('certtool not found: skipping the GnuTLS PKCS#12 handshake');
      return;
    }
    const port = await ourServer({ pfx, passphrase: PASS });
    const r = await nodeClient(port);
    expect(r.fingerprint).toBe(fingerprint(fx[kind].certDer));
    expect(r.echo).toBe('ping');
    expect(r.protocol).toBe('TLSv1.3');
  });

  it("our server with Node's array form [{ buf, passphrase }] (two files: ECDSA and RSA) serves each to the client that asks for it", async () => {
    const port = await ourServer({ pfx: [{ buf: fx.ec.p12.default!, passphrase: PASS }, { buf: Buffer.from(fx.rsa.p12.legacy!).toString('base64'), passphrase: PASS }], maxVersion: 'TLSv1.2' });
    for (const [sigalgs, kind] of [['ECDSA+SHA256', 'ec'], ['RSA+SHA256:RSA-PSS+SHA256', 'rsa']] as const) {
      const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: fx.caPem, sigalgs });
      await once(sock, 'secureConnect');
      expect(sock.getPeerCertificate().fingerprint256).toBe(fingerprint(fx[kind].certDer));
      expect(sock.getProtocol()).toBe('TLSv1.2');
      sock.destroy();
    }
  });

  it('our server with an encrypted PKCS#8 key and with an old Proc-Type PEM key (cert + key + passphrase)', async () => {
    for (const [key, kind] of [
      [fx.ec.keys['pbes2-aes256-sha256.pem']!, 'ec'],
      [{ pem: fx.rsa.keys['pkcs1-des3.pem']!, passphrase: PASS }, 'rsa'],
    ] as const) {
      const port = await ourServer({ cert: fx[kind].certPem + fx.intermediatePem, key, passphrase: typeof key === 'string' ? PASS : 'not this one' });
      expect((await nodeClient(port)).fingerprint).toBe(fingerprint(fx[kind].certDer));
    }
  });

  it('our server with the -legacy RSA pfx ← openssl s_client -verify_return_error', async () => {
    const port = await ourServer({ pfx: fx.rsa.p12.legacy!, passphrase: PASS });
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-CAfile', `${fx.dir}/ca.pem`, '-verify_return_error', '-brief'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.stdin.write('hello-from-openssl\n');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (out.includes('hello-from-openssl')) resolve();
      };
      child.stdout.on('data', check);
      child.on('exit', () => resolve());
    });
    child.stdin.end();
    if (child.exitCode === null) child.kill();
    clearTimeout(timer);
    expect(out).toContain('Verification: OK');
    expect(out).toContain('Protocol version: TLSv1.3');
    expect(out).toContain('hello-from-openssl');
  });

  describe('client certificates from files → a Node tls server that requires one', () => {
    async function nodeServerRequiringCert(maxVersion: tls.SecureVersion): Promise<{ port: number; seen: Promise<{ authorized: boolean; fingerprint: string }> }> {
      let resolveSeen!: (v: { authorized: boolean; fingerprint: string }) => void;
      const seen = new Promise<{ authorized: boolean; fingerprint: string }>((r) => (resolveSeen = r));
      const s = tls.createServer({ cert: fx.ec.certPem + fx.intermediatePem, key: fx.ec.keyPem, ca: fx.caPem, requestCert: true, rejectUnauthorized: true, maxVersion }, (sock) => {
        resolveSeen({ authorized: sock.authorized, fingerprint: sock.getPeerCertificate().fingerprint256 });
        sock.on('error', () => {});
        sock.end('bye');
      });
      servers.push(s);
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      return { port: (s.address() as AddressInfo).port, seen };
    }

    const cases: [string, 'ec' | 'rsa', tls.SecureVersion, () => Record<string, unknown>][] = [
      ['pfx (-legacy RSA), TLS 1.3', 'rsa', 'TLSv1.3', () => ({ pfx: fx.rsa.p12.legacy!, passphrase: PASS })],
      ['pfx (default EC) as [{ buf, passphrase }], TLS 1.2', 'ec', 'TLSv1.2', () => ({ pfx: [{ buf: fx.ec.p12.default!, passphrase: PASS }] })],
      ['cert + { pem, passphrase } (scrypt PKCS#8), TLS 1.3', 'ec', 'TLSv1.3', () => ({ cert: fx.ec.certPem + fx.intermediatePem, key: { pem: fx.ec.keys['scrypt.pem']!, passphrase: PASS } })],
      ['cert + [key] + passphrase (PKCS#1 AES-128 Proc-Type), TLS 1.2', 'rsa', 'TLSv1.2', () => ({ cert: fx.rsa.certPem + fx.intermediatePem, key: [fx.rsa.keys['pkcs1-aes128.pem']!], passphrase: PASS })],
    ];
    it.each(cases)('%s', async (_name, kind, maxVersion, identity) => {
      const { port, seen } = await nodeServerRequiringCert(maxVersion);
      const sock: TlsSocket = connect({ host: '127.0.0.1', port, ca: fx.caPem, ...identity() });
      sock.on('error', () => {});
      await once(sock, 'secureConnect');
      const s = await seen;
      expect(s.authorized).toBe(true);
      expect(s.fingerprint).toBe(fingerprint(fx[kind].certDer));
      expect(sock.getProtocol()).toBe(maxVersion);
      sock.destroy();
    });

    it.each([
      ['-legacy RSA pfx', 'rsa', () => ({ pfx: fx.rsa.p12.legacy!, passphrase: PASS })],
      ['GnuTLS EC pfx', 'ec', () => (fx.gnutls ? { pfx: fx.gnutls, passphrase: PASS } : null)],
    ] as const)('%s → openssl s_server -Verify 1 -verify_return_error (TLS 1.3 and 1.2)', async (_name, _kind, identity) => {
      const id = identity();
      if (!id) {
        console.warn('certtool not found: skipping the GnuTLS PKCS#12 client certificate');
        return;
      }
      try {
        for (const version of ['-tls1_3', '-tls1_2']) {
          const srv = await startOpensslServer(['-cert', `${fx.dir}/ec.pem`, '-key', `${fx.dir}/ec.key`, '-cert_chain', `${fx.dir}/int.pem`, '-CAfile', `${fx.dir}/ca.pem`, '-Verify', '1', '-verify_return_error', version]);
          const sock: TlsSocket = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: fx.caPem, ...id });
          sock.on('error', () => {});
          await once(sock, 'secureConnect');
          sock.write(`hello-${version}\n`);
          await srv.process.waitForStdout(new RegExp(`hello-${version}`), 10_000);
          expect(srv.process.stdout).toMatch(/Client certificate|subject=.*CN ?= ?localhost/);
          sock.destroy();
          await srv.process.kill();
        }
      } finally {
        await killAllPeers();
      }
    });

    it('a wrong passphrase fails connect() synchronously with WrongPassphrase, before dialling', () => {
      const e = caught(() => connect({ host: '127.0.0.1', port: 9, ca: fx.caPem, pfx: fx.ec.p12.default!, passphrase: 'wrong' }));
      expect(e.status).toBe('WrongPassphrase');
      expect(e.category).toBe('caller');
    });
  });

  it('the sans-I/O engine in memory: server and client both from .p12 files, the client certificate checked', async () => {
    const server = TlsConnection.server(createCoreServerConfig({ pfx: fx.ec.p12.default!, passphrase: PASS, requireCert: true, ca: fx.caPem }));
    const client = TlsConnection.client(createCoreClientConfig({ ca: fx.caPem, pfx: fx.rsa.p12.mixed!, passphrase: PASS }), { servername: 'localhost' });
    for (let i = 0; i < 20 && !(client.handshakeComplete && server.handshakeComplete); i++) {
      await client.process();
      const a = client.takeOutput();
      if (a) server.receive(a);
      await server.process();
      const b = server.takeOutput();
      if (b) client.receive(b);
    }
    expect(client.error).toBeNull();
    expect(server.error).toBeNull();
    expect(Buffer.from(client.info.peerCertificate!).equals(Buffer.from(fx.ec.certDer))).toBe(true);
    expect(Buffer.from(server.info.peerCertificate!).equals(Buffer.from(fx.rsa.certDer))).toBe(true);
    expect(server.info.certificateErrorSeverity).toBe('none');
  });

  describe('configuration errors keep their statuses', () => {
    it('WrongPassphrase, IdentityCorrupt and IdentityAlgorithmUnavailable through every config builder, both roles', () => {
      const builders: [string, (o: Record<string, unknown>) => unknown][] = [
        ['core server', (o) => createCoreServerConfig(o)],
        ['core client', (o) => createCoreClientConfig({ ca: fx.caPem, ...o })],
        ['node server', (o) => createServerConfig(o)],
        ['node createServer', (o) => createServer(o)],
      ];
      for (const [name, build] of builders) {
        expect(caught(() => build({ pfx: fx.ec.p12.default!, passphrase: 'nope' })).status, name).toBe('WrongPassphrase');
        expect(caught(() => build({ pfx: fx.ec.p12.default!.subarray(0, 100), passphrase: PASS })).status, name).toBe('IdentityCorrupt');
        expect(caught(() => build({ pfx: fx.ec.p12.legacy!, passphrase: PASS, crypto: 'pure' })).status, name).toBe('IdentityAlgorithmUnavailable');
        expect(caught(() => build({ cert: fx.ec.certPem, key: fx.ec.keys['sec1-aes256.pem']!, passphrase: 'nope' })).status, name).toBe('WrongPassphrase');
        expect(caught(() => build({ cert: fx.ec.certPem, key: fx.ec.keys['sec1-aes256.pem']! })).status, name).toBe('WrongPassphrase');
      }
    });

    it('shapes Node does not allow, or that hold no identity, are InvalidConfig', () => {
      const e1 = caught(() => createCoreServerConfig({ cert: fx.ec.certPem, key: [fx.ec.keyPem, fx.rsa.keyPem] }));
      expect(e1.status).toBe('InvalidConfig');
      expect(caught(() => createCoreServerConfig({ pfx: [] })).status).toBe('InvalidConfig');
      expect(caught(() => createCoreServerConfig({ pfx: [{ nope: 1 }] as never })).status).toBe('InvalidConfig');
      expect(caught(() => createCoreServerConfig({ pfx: 'not base64 !!' })).status).toBe('IdentityCorrupt');
      // A client takes one identity: two files are a mistake, and so are pfx and cert together.
      const e2 = caught(() => createCoreClientConfig({ ca: fx.caPem, pfx: [fx.ec.p12.nopass!, fx.rsa.p12.nopass!] }));
      expect(e2.status).toBe('InvalidConfig');
      const e3 = caught(() => createCoreClientConfig({ ca: fx.caPem, pfx: fx.ec.p12.nopass!, cert: fx.ec.certPem, key: fx.ec.keyPem }));
      expect(e3.status).toBe('InvalidConfig');
    });

    it('puretls/client: pfx and passphrase need the identity module, which brings them', () => {
      const e = caught(() => Client.createClientConfig({ ca: fx.caPem, pfx: fx.ec.p12.default!, passphrase: PASS }));
      expect(e.status).toBe('InvalidConfig');
      expect(e.message).toContain('identity');
      const e2 = caught(() => Client.createClientConfig({ ca: fx.caPem, cert: fx.ec.certPem, key: fx.ec.keyPem, passphrase: PASS }));
      expect(e2.status).toBe('InvalidConfig');
      expect(() => Client.createClientConfig({ ca: fx.caPem, pfx: fx.ec.p12.default!, passphrase: PASS, modules: [Client.identity] })).not.toThrow();
      expect(caught(() => Client.createClientConfig({ ca: fx.caPem, pfx: fx.ec.p12.default!, passphrase: 'x', modules: [Client.identity] })).status).toBe('WrongPassphrase');
    });
  });
});
