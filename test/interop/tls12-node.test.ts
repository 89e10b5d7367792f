/**
 * Interop, TLS 1.2: Node 20's `tls` (OpenSSL 3.0 inside) with `maxVersion: 'TLSv1.2'` as
 * the peer, in both roles, on loopback.
 *
 * - each certificate type (ECDSA P-256, Ed25519, RSA-2048) in each role: handshake,
 *   ALPN, 1 MiB echoed (so 1 MiB each way, sha256), clean close; version, suite, group
 *   checked from both ends (`getProtocol()`, `getCipher().standardName`,
 *   `getEphemeralKeyInfo()`).
 * - every TLS 1.2 suite with each certificate that can serve it, node restricted to the
 *   suite (`ciphers`), each role.
 * - every group, node restricted to it (`ecdhCurve`), each role.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { connectNodeClient, readN, startNodeEchoServer, useInteropSetup } from '../helpers/interop.js';
import type { NetTlsDriver, NetTlsServer } from '../helpers/net-driver.js';
import { TLS12_EXPECTED_SCHEME, TLS12_SUITE_CERTS, TLS13_GROUP_NAMES, sha256, type InteropKeyType } from '../helpers/peers.js';

const MiB = 1024 * 1024;
const KEY_TYPES = ['ecdsa-p256', 'ed25519', 'rsa-2048'] as const satisfies readonly InteropKeyType[];

/** Node's `ecdhCurve` names and what `getEphemeralKeyInfo()` reports. */
const NODE_CURVE: Record<string, { curve: string; name: string; size: number }> = {
  x25519: { curve: 'X25519', name: 'X25519', size: 253 },
  secp256r1: { curve: 'P-256', name: 'prime256v1', size: 256 },
  secp384r1: { curve: 'P-384', name: 'secp384r1', size: 384 },
};

const setup = useInteropSetup();

describe('TLS 1.2: puretls client → node tls server (maxVersion TLSv1.2, echo)', () => {
  function nodeEchoServer(kt: InteropKeyType, extra: tls.TlsOptions = {}): Promise<{ port: number; sockets: tls.TLSSocket[] }> {
    return startNodeEchoServer(setup, kt, { maxVersion: 'TLSv1.2', ...extra });
  }

  function connect(port: number, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    return setup.connect(port, kt, extra);
  }

  for (const kt of KEY_TYPES) {
    it(`${kt}: our 1.2+1.3 client gets TLS 1.2, ALPN, 1 MiB each way, clean close`, async () => {
      const { port, sockets } = await nodeEchoServer(kt, { ALPNProtocols: ['http/1.1'] });
      const c = await connect(port, kt, { ALPNProtocols: ['h2', 'http/1.1'] });
      await c.handshake();
      const srv = sockets[0]!;
      expect(c.conn.info).toMatchObject({
        version: 'TLSv1.2',
        cipherSuite: srv.getCipher().standardName,
        group: 'x25519',
        signatureScheme: TLS12_EXPECTED_SCHEME[kt],
        alpn: 'http/1.1',
        certificateErrorSeverity: 'none',
      });
      expect(c.conn.info.cipherSuite).toMatch(kt === 'rsa-2048' ? /^TLS_ECDHE_RSA_WITH_/ : /^TLS_ECDHE_ECDSA_WITH_/);
      expect(srv.getProtocol()).toBe('TLSv1.2');
      expect(srv.alpnProtocol).toBe('http/1.1');
      const data = randomBytes(MiB);
      const [, back] = await Promise.all([c.write(data), c.readExactly(MiB, 60_000)]);
      expect(sha256(back)).toBe(sha256(data));
      await c.close();
      const rest = await c.readToEnd();
      expect(rest.length).toBe(0);
      expect(c.conn.readEnded).toBe(true);
      expect(c.conn.error).toBeNull();
    });
  }

  for (const { suite, kt } of TLS12_SUITE_CERTS) {
    it(`${suite.name} / ${kt} when node allows only it`, async () => {
      const { port, sockets } = await nodeEchoServer(kt, { ciphers: suite.openssl });
      const c = await connect(port, kt);
      await c.handshake();
      expect(c.conn.info).toMatchObject({ version: 'TLSv1.2', cipherSuite: suite.name, signatureScheme: TLS12_EXPECTED_SCHEME[kt] });
      expect(sockets[0]!.getCipher()).toMatchObject({ standardName: suite.name, version: 'TLSv1.2' });
      const msg = randomBytes(20_000);
      const [, back] = await Promise.all([c.write(msg), c.readExactly(msg.length)]);
      expect(back.equals(msg)).toBe(true);
    });
  }

  for (const group of TLS13_GROUP_NAMES) {
    it(`group ${group} when node's ecdhCurve is ${NODE_CURVE[group]!.curve}`, async () => {
      const { port } = await nodeEchoServer('ecdsa-p256', { ecdhCurve: NODE_CURVE[group]!.curve });
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      expect(c.conn.info).toMatchObject({ version: 'TLSv1.2', group });
      await c.write('ping');
      expect((await c.readExactly(4)).toString()).toBe('ping');
    });
  }
});

describe('TLS 1.2: node tls client (maxVersion TLSv1.2) → puretls server (echo)', () => {
  function ourServer(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    return setup.listen(kt, extra, { echo: true });
  }

  function nodeConnect(port: number, kt: InteropKeyType, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
    return connectNodeClient(setup, port, kt, { maxVersion: 'TLSv1.2', ...extra });
  }

  for (const kt of KEY_TYPES) {
    it(`${kt}: TLS 1.2 with our 1.2+1.3 server, ALPN, 1 MiB each way, clean close`, async () => {
      const server = await ourServer(kt, { ALPNProtocols: ['http/1.1'] });
      const sock = await nodeConnect(server.port, kt, { ALPNProtocols: ['h2', 'http/1.1'] });
      const s = await server.accept();
      await s.handshake();
      expect(sock.authorized, String(sock.authorizationError)).toBe(true);
      expect(sock.getProtocol()).toBe('TLSv1.2');
      expect(sock.alpnProtocol).toBe('http/1.1');
      expect(sock.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name: 'X25519', size: 253 });
      expect(s.conn.info).toMatchObject({
        role: 'server',
        version: 'TLSv1.2',
        cipherSuite: sock.getCipher().standardName,
        group: 'x25519',
        signatureScheme: TLS12_EXPECTED_SCHEME[kt],
        alpn: 'http/1.1',
        serverName: 'localhost',
      });
      const data = randomBytes(MiB);
      sock.write(data);
      const back = await readN(sock, MiB, 60_000);
      expect(sha256(back)).toBe(sha256(data));
      expect(s.totalReceived).toBe(MiB);
      const ended = once(sock, 'end');
      sock.resume();
      sock.end();
      await ended;
      await s.waitFor(() => s.conn.readEnded, 'close_notify from node');
      expect(s.conn.error).toBeNull();
    });
  }

  for (const { suite, kt } of TLS12_SUITE_CERTS) {
    it(`${suite.name} / ${kt} when node offers only it`, async () => {
      const server = await ourServer(kt);
      const sock = await nodeConnect(server.port, kt, { ciphers: suite.openssl });
      const s = await server.accept();
      await s.handshake();
      expect(sock.getCipher()).toMatchObject({ standardName: suite.name, version: 'TLSv1.2' });
      expect(s.conn.info).toMatchObject({ version: 'TLSv1.2', cipherSuite: suite.name, signatureScheme: TLS12_EXPECTED_SCHEME[kt] });
      const msg = randomBytes(20_000);
      sock.write(msg);
      expect((await readN(sock, msg.length)).equals(msg)).toBe(true);
    });
  }

  for (const group of TLS13_GROUP_NAMES) {
    it(`group ${group} when node's ecdhCurve is ${NODE_CURVE[group]!.curve} (Ed25519 certificate: no curve constraint)`, async () => {
      const server = await ourServer('ed25519');
      const sock = await nodeConnect(server.port, 'ed25519', { ecdhCurve: NODE_CURVE[group]!.curve });
      const s = await server.accept();
      await s.handshake();
      expect(s.conn.info).toMatchObject({ version: 'TLSv1.2', group });
      const { name, size } = NODE_CURVE[group]!;
      expect(sock.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name, size });
      sock.write('ping');
      expect((await readN(sock, 4)).toString()).toBe('ping');
    });
  }
});
