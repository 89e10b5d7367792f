/**
 * Issue 11 item 7 against a real proxy: Debian's tinyproxy with `BasicAuth`, started on a
 * free loopback port with its config in a temporary directory (test/helpers/http-proxy.ts),
 * in front of a puretls server and a Node `tls` server. Skipped only when tinyproxy is not
 * installed (.ci/run installs it), and the title says so.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError, getErrorStatus } from '../../src/base/errors.js';
import { ProxyError } from '../../src/transport/proxy.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { startTinyproxy, tinyproxyBinary, type Tinyproxy } from '../helpers/http-proxy.js';

const bin = tinyproxyBinary();
const note = bin.ok ? '' : ` (skipped: ${bin.detail})`;
const USER = 'puretls';
const PASS = 'tiny-s3cret';

let pki: TestPki;
let proxy: Tinyproxy;
let pureServer: TlsServer;
let nodeServer: tls.Server;
let purePort: number;
let nodePort: number;
let closedPort: number;

beforeAll(async () => {
  if (!bin.ok) return;
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['target.example'] });
  pureServer = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('pure:'), d])));
  });
  pureServer.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => pureServer.listen(0, '127.0.0.1', () => resolve()));
  purePort = (pureServer.address() as net.AddressInfo).port;
  nodeServer = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, (s) => {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => s.write(Buffer.concat([Buffer.from('node:'), d])));
  });
  await new Promise<void>((resolve) => nodeServer.listen(0, '127.0.0.1', () => resolve()));
  nodePort = (nodeServer.address() as net.AddressInfo).port;
  const dead = net.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', () => resolve()));
  closedPort = (dead.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  // CONNECT is allowed to the two servers and to a closed port, nowhere else.
  proxy = await startTinyproxy({ username: USER, password: PASS, connectPorts: [purePort, nodePort, closedPort] });
});

afterAll(async () => {
  await proxy?.stop();
  pureServer?.close();
  nodeServer?.close();
});

function dial(port: number, creds: { username?: string; password?: string } = { username: USER, password: PASS }): TlsSocket {
  return connect({ host: '127.0.0.1', port, servername: 'target.example', ca: pki.caCertPem, proxy: { url: proxy.url, ...creds } });
}

function outcome(s: TlsSocket): Promise<TlsError | null> {
  return new Promise((resolve) => {
    s.once('secureConnect', () => resolve(null));
    s.once('error', (e: Error) => resolve(e as TlsError));
  });
}

async function roundTrip(s: TlsSocket, text: string): Promise<string> {
  s.write(text);
  const got = await new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
  s.end();
  return got;
}

describe.skipIf(!bin.ok)(`through tinyproxy with BasicAuth${note}`, () => {
  it('TLS 1.3 to a puretls server and TLS 1.2 to a Node tls server, end to end through the tunnel', async () => {
    const a = dial(purePort);
    expect(await outcome(a)).toBeNull();
    expect(a.info.version).toBe('TLSv1.3');
    expect(a.authorized).toBe(true);
    expect(await roundTrip(a, 'one')).toBe('pure:one');
    const b = dial(nodePort);
    expect(await outcome(b)).toBeNull();
    expect(b.info.version).toBe('TLSv1.2');
    expect(await roundTrip(b, 'two')).toBe('node:two');
    expect(proxy.log()).toMatch(new RegExp(`CONNECT 127\\.0\\.0\\.1:${purePort}`));
  });

  it('no credentials, or a wrong password → ProxyAuthenticationRequired (407), the password in no message', async () => {
    const none = await outcome(dial(purePort, {}));
    expect(none?.status).toBe('ProxyAuthenticationRequired');
    expect((none as ProxyError).statusCode).toBe(407);
    const wrong = await outcome(dial(purePort, { username: USER, password: 'not-the-password' }));
    expect(wrong?.status, wrong?.message).toBe('ProxyAuthenticationRequired');
    expect(getErrorStatus(wrong)).toBe('ProxyAuthenticationRequired');
    // tinyproxy 1.11 answers a wrong password with 401 (not 407): the status line says which.
    expect((wrong as ProxyError).statusLine).toMatch(/^HTTP\/1\.[01] 40[17] /);
    expect(`${wrong?.message}\n${wrong?.stack}\n${JSON.stringify(wrong)}`).not.toContain('not-the-password');
  });

  it('a port tinyproxy does not allow → ProxyRefused with its status line', async () => {
    // Port 9 is not in ConnectPort: tinyproxy refuses by policy, without dialling anything.
    const e = (await outcome(dial(9))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.statusLine).toMatch(/^HTTP\/1\.[01] 403 /);
    expect(e.message).toContain(e.statusLine);
  });

  it('an allowed port with nothing listening → ProxyRefused (tinyproxy cannot reach it)', async () => {
    const e = (await outcome(dial(closedPort))) as ProxyError;
    expect(e.status).toBe('ProxyRefused');
    expect(e.statusCode).toBeGreaterThanOrEqual(400);
  });

  it('with refusePrivateAddresses the loopback target is refused before tinyproxy is asked', async () => {
    const before = proxy.log().split('\n').filter((l) => l.includes('CONNECT')).length;
    const s = connect({ host: '127.0.0.1', port: purePort, servername: 'target.example', ca: pki.caCertPem, proxy: { url: proxy.url, username: USER, password: PASS }, refusePrivateAddresses: true });
    const e = await outcome(s);
    expect(e?.status).toBe('PrivateAddressRefused');
    const n = connect({ host: 'localhost', port: purePort, servername: 'target.example', ca: pki.caCertPem, proxy: { url: proxy.url, username: USER, password: PASS }, refusePrivateAddresses: true });
    expect((await outcome(n))?.status).toBe('PrivateAddressRefused');
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.log().split('\n').filter((l) => l.includes('CONNECT')).length).toBe(before);
  });
});
