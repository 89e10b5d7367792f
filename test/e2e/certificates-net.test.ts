/**
 * End to end over real loopback sockets (issue 4 items 5-8 in the Node adapter):
 * puretls/node in both roles with Node's option semantics (requestCert +
 * rejectUnauthorized, the default root store, checkServerIdentity, authorized /
 * authorizationError, getPeerCertificate), and `openssl s_server` as the server: bad
 * chains refused with the right alert *as OpenSSL reads it*, and stapled OCSP
 * (`-status_file`) in TLS 1.2 and 1.3.
 *
 * Only 127.0.0.1; every openssl process is ended by its PID (test/helpers/peers.ts).
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TlsVersionName } from '../../src/config/config.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { AlertDescription, TlsError } from '../../src/base/errors.js';
import { connect, createServer, type ConnectOptions, type TlsServer, type TlsServerOptions, type TlsSocket } from '../../src/transport/node.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { killAllPeers, startOpensslServer, type PeerProcess } from '../helpers/peers.js';
import { relay } from './relay.js';
import { BAD_CHAINS, HAVE_OPENSSL, good, issueUnder, makeOcspSet, pemKey, root, tempDir, type Identity, type OcspSet } from './pki.js';
import { key } from '../verify/builder.js';

const VERSIONS: readonly TlsVersionName[] = ['TLSv1.3', 'TLSv1.2'];
const goodServer = good('server');
const goodClient = good('client');
const expiredServer = BAD_CHAINS.find((b) => b.code === 'Expired')!.make('server');
const expiredClient = BAD_CHAINS.find((b) => b.code === 'Expired')!.make('client');
const badSigClient = BAD_CHAINS.find((b) => b.code === 'InvalidSignature')!.make('client');
const badSigServer = BAD_CHAINS.find((b) => b.code === 'InvalidSignature')!.make('server');

const servers: TlsServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) s.close();
  await killAllPeers();
});

/** A puretls echo server on 127.0.0.1 and its events. */
async function echoServer(options: Omit<TlsServerOptions, 'cert' | 'key'>, id: Identity = goodServer): Promise<{ port: number; next: () => Promise<{ socket: TlsSocket | null; error: TlsError | null }> }> {
  const server = createServer({ cert: id.chain, key: id.keyPem, ...options });
  servers.push(server);
  const results: { socket: TlsSocket | null; error: TlsError | null }[] = [];
  const waiters: ((r: { socket: TlsSocket | null; error: TlsError | null }) => void)[] = [];
  const push = (r: { socket: TlsSocket | null; error: TlsError | null }): void => {
    const w = waiters.shift();
    if (w) w(r);
    else results.push(r);
  };
  server.on('secureConnection', (s: TlsSocket) => {
    s.on('error', () => {});
    s.pipe(s);
    push({ socket: s, error: null });
  });
  server.on('tlsClientError', (e: TlsError) => push({ socket: null, error: e }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return { port, next: () => new Promise((resolve) => (results.length > 0 ? resolve(results.shift()!) : waiters.push(resolve))) };
}

interface ClientResult {
  socket: TlsSocket;
  secure: boolean;
  echoed: boolean;
  error: TlsError | null;
}

/** Connects, sends 'ping' after the handshake, closes once it is echoed; resolves when the socket closed. */
function client(options: ConnectOptions): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', ...options });
    const r: ClientResult = { socket, secure: false, echoed: false, error: null };
    let got = '';
    socket.on('error', (e: Error) => (r.error ??= e as TlsError));
    socket.once('secureConnect', () => {
      r.secure = true;
      socket.write('ping');
    });
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'ping') {
        r.echoed = true;
        socket.end();
      }
    });
    socket.once('close', () => resolve(r));
  });
}

/** Connects, closes right after the handshake (close_notify); resolves when the socket closed. For peers that echo nothing. */
function handshakeOnly(options: ConnectOptions): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', ...options });
    const r: ClientResult = { socket, secure: false, echoed: false, error: null };
    socket.on('error', (e: Error) => (r.error ??= e as TlsError));
    socket.once('secureConnect', () => {
      r.secure = true;
      socket.end();
    });
    socket.resume();
    socket.once('close', () => resolve(r));
  });
}

function expectTls(e: TlsError | null, status: string, alert: number): void {
  expect(e, `expected ${status}`).toBeInstanceOf(TlsError);
  expect({ status: e!.status, alert: e!.alert }).toEqual({ status, alert });
}

// ------------------------------------------------------------------ puretls ↔ puretls over sockets

describe('puretls/node: the client judges the server', () => {
  for (const version of VERSIONS) {
    it(`${version}: an expired chain is refused (certificate_expired on the wire), accepted when Expired is ignorable, reported by authorized/authorizationError`, async () => {
      const srv = await echoServer({ minVersion: version, maxVersion: version }, expiredServer);
      const refused = await client({ port: srv.port, servername: 'localhost', ca: root.pem });
      expectTls(refused.error, 'CertificateExpired', AlertDescription.certificate_expired);
      expect(refused.socket.authorized).toBe(false);
      // Node's code in authorizationError, puretls's codes in authorizationErrors (issue 11 item 3).
      expect(refused.socket.authorizationError).toBe('CERT_HAS_EXPIRED');
      expect(refused.socket.authorizationErrors).toEqual(['Expired']);
      // The refused certificate is still there to look at.
      expect(refused.socket.getPeerCertificate()?.raw).toEqual(Buffer.from(expiredServer.chain[0]!));
      const seen = await srv.next();
      expectTls(seen.error, 'AlertReceived', AlertDescription.certificate_expired);

      const accepted = await client({ port: srv.port, servername: 'localhost', ca: root.pem, ignorableCertificateErrors: ['Expired'] });
      expect(accepted.error).toBeNull();
      expect(accepted.echoed).toBe(true);
      expect(accepted.socket.authorized).toBe(false);
      expect(accepted.socket.authorizationError).toBe('CERT_HAS_EXPIRED');
      expect(accepted.socket.info.certificateErrors.map((e) => e.code)).toEqual(['Expired']);
      expect(accepted.socket.info.certificateErrorSeverity).toBe('ignorable');
      const pc = accepted.socket.getPeerCertificate()!;
      // Node's shape (issue 11 item 3): subject and issuer objects.
      expect(pc.subject).toMatchObject({ CN: 'localhost' });
      expect(pc.issuer).toMatchObject({ CN: 'E2E Intermediate' });
      expect(pc.subjectaltname).toBe(new X509Certificate(Buffer.from(expiredServer.chain[0]!)).subjectAltName);
      expect(pc.fingerprint256).toBe(new X509Certificate(Buffer.from(expiredServer.chain[0]!)).fingerprint256);
      expect(new Date(pc.valid_to).getTime()).toBeLessThan(Date.now());
      expect((await srv.next()).socket?.authorized).toBe(false); // the server asked for no certificate
    });

    it(`${version}: rejectUnauthorized: false accepts an ignorable error, never a bad signature`, async () => {
      const srv = await echoServer({ minVersion: version, maxVersion: version }, expiredServer);
      const lax = await client({ port: srv.port, servername: 'localhost', ca: root.pem, rejectUnauthorized: false });
      expect(lax.error).toBeNull();
      expect(lax.echoed).toBe(true);
      expect(lax.socket.authorizationError).toBe('CERT_HAS_EXPIRED');
      const srv2 = await echoServer({ minVersion: version, maxVersion: version }, badSigServer);
      const forged = await client({ port: srv2.port, servername: 'localhost', ca: root.pem, rejectUnauthorized: false });
      expectTls(forged.error, 'CertificateInvalidSignature', AlertDescription.bad_certificate);
      expectTls((await srv2.next()).error, 'AlertReceived', AlertDescription.bad_certificate);
    });
  }

  it('a good chain: authorized, authorizationError null', async () => {
    const srv = await echoServer({});
    const r = await client({ port: srv.port, servername: 'localhost', ca: root.pem });
    expect(r.error).toBeNull();
    expect(r.socket.authorized).toBe(true);
    expect(r.socket.authorizationError).toBeNull();
  });

  it("checkServerIdentity receives Node's fields: tls.checkServerIdentity works as the hook, and pinning on fingerprint256", async () => {
    const srv = await echoServer({});
    const nodeCheck: ConnectOptions['checkServerIdentity'] = (host, cert) => tls.checkServerIdentity(host, cert as unknown as tls.PeerCertificate);
    const ok = await client({ port: srv.port, servername: 'localhost', ca: root.pem, checkServerIdentity: nodeCheck });
    expect(ok.error).toBeNull();
    expect(ok.echoed).toBe(true);
    const ip = await client({ port: srv.port, ca: root.pem, checkServerIdentity: nodeCheck }); // servername = host = 127.0.0.1
    expect(ip.error).toBeNull();
    const wrong = await client({ port: srv.port, servername: 'wrong.example', ca: root.pem, checkServerIdentity: nodeCheck });
    expectTls(wrong.error, 'CertificateInvalidName', AlertDescription.bad_certificate);
    expect(wrong.error!.certificateErrors[0]!.detail).toMatch(/Hostname\/IP does not match certificate's altnames/);
    // A pin that does not match: InvalidName with the hook's message, ignorable like any name error.
    const seen: string[] = [];
    const pin: ConnectOptions['checkServerIdentity'] = (_host, cert) => {
      seen.push(cert.fingerprint256, cert.subject, cert.subjectaltname, cert.raw.length > 0 ? 'raw' : '');
      return new Error('pin mismatch');
    };
    const pinned = await client({ port: srv.port, servername: 'localhost', ca: root.pem, checkServerIdentity: pin });
    expectTls(pinned.error, 'CertificateInvalidName', AlertDescription.bad_certificate);
    expect(pinned.error!.certificateErrors).toEqual([{ code: 'InvalidName', index: 0, detail: 'pin mismatch' }]);
    expect(seen).toEqual([new X509Certificate(Buffer.from(goodServer.chain[0]!)).fingerprint256, 'CN=localhost', 'DNS:localhost, IP Address:127.0.0.1, IP Address:::1', 'raw']);
    const pinnedIgnored = await client({ port: srv.port, servername: 'localhost', ca: root.pem, checkServerIdentity: pin, ignorableCertificateErrors: ['InvalidName'] });
    expect(pinnedIgnored.error).toBeNull();
    expect(pinnedIgnored.socket.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(pinnedIgnored.socket.authorizationErrors).toEqual(['InvalidName']);
  });

  it("without ca or verifier the client trusts Node's root store (tls.rootCertificates), not an empty one", async () => {
    // A leaf whose issuer name is exactly a real root's subject, signed by another key: with
    // the root store loaded the verifier knows that name ("is known, but none can be the issuer").
    const realRoot = new X509Certificate(tls.rootCertificates[0]!);
    const fakeIssuer = { subject: parseCertificate(new Uint8Array(realRoot.raw)).subjectDer, key: key('p256'), skid: new Uint8Array(randomBytes(20)) };
    const leaf = issueUnder(fakeIssuer, 'server');
    const srv = await echoServer({}, { chain: [leaf.der], keyPem: pemKey(leaf), leaf });
    const r = await client({ port: srv.port, servername: 'localhost' });
    expectTls(r.error, 'CertificateUntrusted', AlertDescription.unknown_ca);
    expect(r.error!.certificateErrors[0]!.detail).toMatch(/is known, but none can be the issuer/);
    // Our test root is not in the store: a good chain under it is Untrusted by default.
    const srv2 = await echoServer({});
    expectTls((await client({ port: srv2.port, servername: 'localhost' })).error, 'CertificateUntrusted', AlertDescription.unknown_ca);
    // The runtime-neutral core has no root store: without anchors it refuses to start (issue 4 item 7)…
    expect(() => TlsConnection.client({ servername: 'localhost' })).toThrow(/no trust anchors/);
    // …unless the caller accepts Untrusted explicitly, which then reports it.
    const core = TlsConnection.client({ servername: 'localhost', ignorableCertificateErrors: ['Untrusted'] });
    const s = TlsConnection.server({ cert: [leaf.der], key: pemKey(leaf) });
    await relay(core, s);
    expect(core.error).toBeNull();
    expect(core.info.certificateErrors.map((e) => e.code)).toEqual(['Untrusted']);
    expect(core.info.certificateErrors[0]!.detail).not.toMatch(/is known/);
  });
});

describe('puretls/node: the server judges client certificates, with Node semantics', () => {
  for (const version of VERSIONS) {
    const v = { minVersion: version, maxVersion: version };
    const noCertAlert = version === 'TLSv1.3' ? AlertDescription.certificate_required : AlertDescription.handshake_failure;

    it(`${version}: requestCert (rejectUnauthorized default true) requires a valid certificate`, async () => {
      const srv = await echoServer({ ...v, requestCert: true, ca: root.pem });
      const ok = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: goodClient.chain, key: goodClient.keyPem });
      expect(ok.error).toBeNull();
      expect(ok.echoed).toBe(true);
      const s = (await srv.next()).socket!;
      expect(s.authorized).toBe(true);
      expect(s.authorizationError).toBeNull();
      expect(s.getPeerCertificate().subject).toMatchObject({ CN: 'client.example' });
      expect(s.getPeerCertificate()?.subjectaltname).toBe('DNS:client.example');

      const none = await client({ port: srv.port, servername: 'localhost', ca: root.pem });
      expectTls(none.error, 'AlertReceived', noCertAlert);
      expectTls((await srv.next()).error, version === 'TLSv1.3' ? 'CertificateRequired' : 'HandshakeFailure', noCertAlert);

      const expired = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: expiredClient.chain, key: expiredClient.keyPem });
      expectTls(expired.error, 'AlertReceived', AlertDescription.certificate_expired);
      const seen = (await srv.next()).error!;
      expectTls(seen, 'CertificateExpired', AlertDescription.certificate_expired);
      expect(seen.certificateErrors.map((e) => e.code)).toEqual(['Expired']);
    });

    it(`${version}: requestCert + rejectUnauthorized: false asks, accepts none and ignorable errors, never a bad signature`, async () => {
      const srv = await echoServer({ ...v, requestCert: true, rejectUnauthorized: false, ca: root.pem });
      const none = await client({ port: srv.port, servername: 'localhost', ca: root.pem });
      expect(none.error).toBeNull();
      const s1 = (await srv.next()).socket!;
      expect(s1.authorized).toBe(false);
      expect(s1.authorizationError).toBe('UNABLE_TO_GET_ISSUER_CERT');
      expect(s1.authorizationErrors).toEqual(['NoPeerCertificate']);
      expect(s1.getPeerCertificate()).toEqual({}); // Node's empty object when none was sent

      const expired = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: expiredClient.chain, key: expiredClient.keyPem });
      expect(expired.error).toBeNull();
      expect(expired.echoed).toBe(true);
      const s2 = (await srv.next()).socket!;
      expect(s2.authorized).toBe(false);
      expect(s2.authorizationError).toBe('CERT_HAS_EXPIRED');
      expect(s2.authorizationErrors).toEqual(['Expired']);
      expect(s2.info.certificateErrorSeverity).toBe('ignorable');

      const forged = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: badSigClient.chain, key: badSigClient.keyPem });
      expectTls(forged.error, 'AlertReceived', AlertDescription.bad_certificate);
      expectTls((await srv.next()).error, 'CertificateInvalidSignature', AlertDescription.bad_certificate);
    });

    it(`${version}: requestCert + requireCert: false asks without requiring, and still refuses a certificate with errors`, async () => {
      const srv = await echoServer({ ...v, requestCert: true, requireCert: false, ca: root.pem });
      expect((await client({ port: srv.port, servername: 'localhost', ca: root.pem })).error).toBeNull();
      expect((await srv.next()).socket?.authorizationErrors).toEqual(['NoPeerCertificate']);
      const expired = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: expiredClient.chain, key: expiredClient.keyPem });
      expectTls(expired.error, 'AlertReceived', AlertDescription.certificate_expired);
      expectTls((await srv.next()).error, 'CertificateExpired', AlertDescription.certificate_expired);
    });
  }

  it("without ca or verifier a server checks client certificates against Node's root store", async () => {
    const srv = await echoServer({ requestCert: true });
    const r = await client({ port: srv.port, servername: 'localhost', ca: root.pem, cert: goodClient.chain, key: goodClient.keyPem });
    expectTls(r.error, 'AlertReceived', AlertDescription.unknown_ca);
    expectTls((await srv.next()).error, 'CertificateUntrusted', AlertDescription.unknown_ca);
  });
});

// ------------------------------------------------------------------ openssl s_server

describe.skipIf(!HAVE_OPENSSL)('against openssl s_server', () => {
  let dir: { dir: string; remove: () => void };
  let ocsp: OcspSet;
  const files = new Map<string, string>();
  const write = (name: string, content: string | Uint8Array): string => {
    const f = join(dir.dir, name);
    writeFileSync(f, content);
    files.set(name, f);
    return f;
  };
  const pem = (der: Uint8Array): string => new X509Certificate(Buffer.from(der)).toString();

  beforeAll(() => {
    dir = tempDir('puretls-e2e-net-');
    ocsp = makeOcspSet(dir.dir);
  });
  afterAll(() => dir?.remove());

  /** s_server args presenting `id` (leaf, key, the rest as -cert_chain). */
  const present = (name: string, id: Identity): string[] => [
    '-cert',
    write(`${name}-leaf.pem`, pem(id.chain[0]!)),
    '-key',
    write(`${name}-key.pem`, id.keyPem),
    ...(id.chain.length > 1 ? ['-cert_chain', write(`${name}-chain.pem`, id.chain.slice(1).map(pem).join(''))] : []),
  ];
  const versionFlag = (v: TlsVersionName): string => (v === 'TLSv1.3' ? '-tls1_3' : '-tls1_2');
  /** s_server logs each alert it receives on stderr: `... SSL alert number N`. */
  const alertSeen = (p: PeerProcess, n: number): Promise<void> => p.waitFor(() => new RegExp(`SSL alert number ${n}\\b`).test(p.stderr), `alert ${n} in the s_server log`, 5000);

  for (const version of VERSIONS) {
    it(`${version}: a stapled good response (-status_file) → no error, revocation information present`, async () => {
      const s = await startOpensslServer([...present('good', ocsp.identity), '-status_file', write('good.der', ocsp.goodResponse), versionFlag(version), '-www']);
      const r = await handshakeOnly({ port: s.port, servername: 'localhost', ca: root.pem, requireRevocationInformation: true });
      expect(r.secure, r.error?.message).toBe(true);
      expect(r.socket.info.version).toBe(version);
      expect(r.socket.info.certificateErrors).toEqual([]);
      expect(r.socket.authorized).toBe(true);
    });

    it(`${version}: a stapled revoked response → CertificateRevoked, and OpenSSL reads certificate_revoked (44)`, async () => {
      const s = await startOpensslServer([...present('revoked', ocsp.revoked), '-status_file', write('revoked.der', ocsp.revokedResponse), versionFlag(version), '-www']);
      const r = await handshakeOnly({ port: s.port, servername: 'localhost', ca: root.pem, rejectUnauthorized: false });
      expectTls(r.error, 'CertificateRevoked', AlertDescription.certificate_revoked);
      expect(r.error!.certificateErrors.map((e) => e.code)).toEqual(['Revoked']);
      await alertSeen(s.process, 44);
    });

    it(`${version}: no staple but required → RevocationInformationMissing; an expired chain → certificate_expired (45) as OpenSSL reads it`, async () => {
      const s = await startOpensslServer([...present('nostaple', ocsp.identity), versionFlag(version), '-www']);
      const missing = await handshakeOnly({ port: s.port, servername: 'localhost', ca: root.pem, requireRevocationInformation: true });
      expectTls(missing.error, 'CertificateRevocationInformationMissing', AlertDescription.certificate_unknown);
      await alertSeen(s.process, 46);
      const e = await startOpensslServer([...present('expired', expiredServer), versionFlag(version), '-www']);
      const expired = await handshakeOnly({ port: e.port, servername: 'localhost', ca: root.pem });
      expectTls(expired.error, 'CertificateExpired', AlertDescription.certificate_expired);
      await alertSeen(e.process, 45);
    });
  }
});
