/**
 * Interop of a client on the `webcrypto` provider (Node 20's WebCrypto) through the Node
 * adapter (`connect`), against a Node `tls` server and `openssl s_server` on loopback: TLS 1.3
 * and 1.2, every AES-GCM suite (the AEAD WebCrypto does) and ChaCha20-Poly1305 (pure), each
 * group, data both ways.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type TlsSocket } from '../../src/transport/node.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { killAllPeers, makePkiFiles, opensslAvailable, removeTempDirs, skipNote, startOpensslServer, type PkiFiles } from '../helpers/peers.js';

const W = webcryptoProvider();

function exchange(sock: TlsSocket, send: Buffer, expectLen: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    let n = 0;
    sock.on('data', (d: Buffer) => {
      got.push(d);
      n += d.length;
      if (n >= expectLen) resolve(Buffer.concat(got));
    });
    sock.on('error', reject);
    sock.write(send);
  });
}

function open(port: number, pki: PkiFiles, extra: Record<string, unknown>): Promise<TlsSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.pki.caCertPem, crypto: W, ...extra }, () => resolve(s));
    s.on('error', reject);
  });
}

const CASES = [
  { version: 'TLSv1.3', suite: 'TLS_AES_128_GCM_SHA256', group: 'x25519' },
  { version: 'TLSv1.3', suite: 'TLS_AES_256_GCM_SHA384', group: 'secp384r1' },
  { version: 'TLSv1.3', suite: 'TLS_CHACHA20_POLY1305_SHA256', group: 'secp256r1' },
  { version: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', group: 'x25519' },
  { version: 'TLSv1.2', suite: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', group: 'secp256r1' },
] as const;

let pki: PkiFiles;
beforeAll(async () => {
  pki = await makePkiFiles('ecdsa-p256');
});
afterAll(async () => {
  await killAllPeers();
  removeTempDirs();
});

describe('webcrypto client → Node tls server (echo)', () => {
  let server: tls.Server;
  let port: number;
  beforeAll(async () => {
    server = tls.createServer({ cert: pki.pki.chainPem, key: pki.pki.keyPem, minVersion: 'TLSv1.2' }, (s) => s.pipe(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  for (const c of CASES) {
    it(`${c.version} ${c.suite} ${c.group}: 200 KB echoed`, async () => {
      const sock = await open(port, pki, { minVersion: c.version, maxVersion: c.version, cipherSuites: [c.suite], groups: [c.group], keyShareGroups: [c.group] });
      expect(sock.info.version).toBe(c.version);
      expect(sock.info.cipherSuite).toBe(c.suite);
      expect(sock.info.group).toBe(c.group);
      const data = Buffer.from(Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff));
      const back = await exchange(sock, data, data.length);
      expect(back.equals(data)).toBe(true);
      sock.destroy();
    });
  }
});

const openssl = opensslAvailable();
describe.skipIf(!openssl.ok)(`webcrypto client → openssl s_server${skipNote(openssl)}`, () => {
  for (const c of CASES) {
    it(`${c.version} ${c.suite} ${c.group}: the HTTP page of s_server -www describes our session`, async () => {
      const srv = await startOpensslServer(['-cert', pki.chainFile, '-key', pki.keyFile, '-www']);
      const sock = await open(srv.port, pki, { minVersion: c.version, maxVersion: c.version, cipherSuites: [c.suite], groups: [c.group], keyShareGroups: [c.group] });
      expect(sock.info.cipherSuite).toBe(c.suite);
      const page = await new Promise<string>((resolve, reject) => {
        let text = '';
        sock.on('data', (d: Buffer) => (text += d.toString('latin1')));
        sock.on('end', () => resolve(text));
        sock.on('close', () => resolve(text));
        sock.on('error', reject);
        sock.write('GET / HTTP/1.0\r\n\r\n');
      });
      expect(page).toMatch(/HTTP\/1\.0 200 ok/);
      expect(page).toContain(c.version === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2');
      await srv.process.kill();
    });
  }
});
