/**
 * Interop: Node 20's `tls` (OpenSSL 3.0 inside) as the peer, in both roles, on loopback.
 *
 * - our client → `tls.createServer` echoing, for each certificate type (ECDSA P-256,
 *   Ed25519, RSA-2048) with ALPN and 1 MiB each way; each TLS 1.3 suite; a forced
 *   HelloRetryRequest (`ecdhCurve: 'P-384'`).
 * - `tls.connect` → our server (echo mode), the same.
 *
 * KeyUpdate is not covered here: Node's `tls` API exposes no way to send or request a
 * KeyUpdate (the openssl tests cover it in both directions).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { connectNodeClient, readN, startNodeEchoServer, useInteropSetup } from '../helpers/interop.js';
import type { NetTlsDriver, NetTlsServer } from '../helpers/net-driver.js';
import { EXPECTED_SCHEME, INTEROP_KEY_TYPES, TLS13_SUITE_NAMES, sha256, type InteropKeyType } from '../helpers/peers.js';

const MiB = 1024 * 1024;

const setup = useInteropSetup();

describe('puretls client → node tls server (echo)', () => {
  /** A node TLS 1.3 echo server; resolves with its port and the server-side sockets. */
  function nodeEchoServer(kt: InteropKeyType, extra: tls.TlsOptions = {}): Promise<{ port: number; sockets: tls.TLSSocket[] }> {
    return startNodeEchoServer(setup, kt, { minVersion: 'TLSv1.3', ...extra });
  }

  function connect(port: number, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    return setup.connect(port, kt, extra);
  }

  /** 1 MiB through the echo: up to node and back down. */
  async function echoMiB(c: NetTlsDriver): Promise<void> {
    const data = randomBytes(MiB);
    const [, back] = await Promise.all([c.write(data), c.readExactly(MiB)]);
    expect(back.length).toBe(MiB);
    expect(sha256(back)).toBe(sha256(data));
  }

  for (const kt of INTEROP_KEY_TYPES) {
    it(`${kt}: handshake, ALPN, 1 MiB each way, clean close`, async () => {
      const { port, sockets } = await nodeEchoServer(kt, { ALPNProtocols: ['http/1.1'] });
      const c = await connect(port, kt, { ALPNProtocols: ['h2', 'http/1.1'] });
      await c.handshake();
      expect(c.conn.info).toMatchObject({
        version: 'TLSv1.3',
        // Node's server follows its own order (tls.DEFAULT_CIPHERS starts with TLS_AES_256_GCM_SHA384).
        cipherSuite: 'TLS_AES_256_GCM_SHA384',
        group: 'x25519',
        signatureScheme: EXPECTED_SCHEME[kt],
        alpn: 'http/1.1',
        helloRetryRequest: false,
        certificateErrorSeverity: 'none',
      });
      await echoMiB(c);
      const srv = sockets[0]!;
      expect(srv.getProtocol()).toBe('TLSv1.3');
      expect(srv.getCipher().standardName).toBe('TLS_AES_256_GCM_SHA384');
      expect(srv.alpnProtocol).toBe('http/1.1');
      expect((srv as tls.TLSSocket & { servername?: string }).servername).toBe('localhost');
      // close_notify from us; node's echo ends its side with close_notify too.
      await c.close();
      const rest = await c.readToEnd();
      expect(rest.length).toBe(0);
      expect(c.conn.readEnded).toBe(true);
      expect(c.conn.error).toBeNull();
    });
  }

  for (const suite of TLS13_SUITE_NAMES) {
    it(`negotiates ${suite} when node allows only it`, async () => {
      const { port, sockets } = await nodeEchoServer('ecdsa-p256', { ciphers: suite });
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      expect(c.conn.info.cipherSuite).toBe(suite);
      await c.write(`hello ${suite}`);
      expect((await c.readExactly(`hello ${suite}`.length)).toString()).toBe(`hello ${suite}`);
      expect(sockets[0]!.getCipher().standardName).toBe(suite);
    });
  }

  it('answers a HelloRetryRequest (node ecdhCurve P-384; we share x25519 + secp256r1)', async () => {
    const { port } = await nodeEchoServer('ecdsa-p256', { ecdhCurve: 'P-384' });
    const c = await connect(port, 'ecdsa-p256', { keyShareGroups: ['x25519', 'secp256r1'] });
    await c.handshake();
    expect(c.conn.info).toMatchObject({ group: 'secp384r1', helloRetryRequest: true });
    await c.write('after hrr');
    expect((await c.readExactly(9)).toString()).toBe('after hrr');
  });
});

describe('node tls client → puretls server (echo)', () => {
  function ourServer(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    return setup.listen(kt, extra, { echo: true });
  }

  function nodeConnect(port: number, kt: InteropKeyType, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
    return connectNodeClient(setup, port, kt, { minVersion: 'TLSv1.3', ...extra });
  }

  for (const kt of INTEROP_KEY_TYPES) {
    it(`${kt}: handshake, ALPN, session ticket, 1 MiB each way, clean close`, async () => {
      const server = await ourServer(kt, { ALPNProtocols: ['http/1.1'], sessionTickets: 1 });
      const sock = await nodeConnect(server.port, kt, { ALPNProtocols: ['h2', 'http/1.1'] });
      const session = once(sock, 'session');
      const s = await server.accept();
      await s.handshake();
      expect(sock.authorized, String(sock.authorizationError)).toBe(true);
      expect(sock.getProtocol()).toBe('TLSv1.3');
      expect(sock.alpnProtocol).toBe('http/1.1');
      expect(sock.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name: 'X25519' });
      expect(s.conn.info).toMatchObject({
        role: 'server',
        version: 'TLSv1.3',
        cipherSuite: sock.getCipher().standardName,
        group: 'x25519',
        signatureScheme: EXPECTED_SCHEME[kt],
        alpn: 'http/1.1',
        serverName: 'localhost',
        helloRetryRequest: false,
      });
      const [ticket] = (await session) as [Buffer];
      expect(ticket.length).toBeGreaterThan(0);

      const data = randomBytes(MiB);
      sock.write(data);
      const back = await readN(sock, MiB);
      expect(sha256(back)).toBe(sha256(data));
      expect(s.totalReceived).toBe(MiB);

      // node's end() sends close_notify; the echo server answers with its own and node sees 'end'.
      const ended = once(sock, 'end');
      sock.resume();
      sock.end();
      await ended;
      await s.waitFor(() => s.conn.readEnded, 'close_notify from node');
      expect(s.conn.error).toBeNull();
    });
  }

  for (const suite of TLS13_SUITE_NAMES) {
    it(`negotiates ${suite} when node offers only it`, async () => {
      const server = await ourServer('ed25519');
      const sock = await nodeConnect(server.port, 'ed25519', { ciphers: suite });
      const s = await server.accept();
      await s.handshake();
      expect(sock.getCipher().standardName).toBe(suite);
      expect(s.conn.info.cipherSuite).toBe(suite);
      sock.write(`hello ${suite}`);
      expect((await readN(sock, `hello ${suite}`.length)).toString()).toBe(`hello ${suite}`);
    });
  }

  it('sends a HelloRetryRequest (node ecdhCurve X25519:P-384 shares x25519; our server accepts secp384r1 only)', async () => {
    const server = await ourServer('rsa-2048', { groups: ['secp384r1'] });
    const sock = await nodeConnect(server.port, 'rsa-2048', { ecdhCurve: 'X25519:P-384' });
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info).toMatchObject({ group: 'secp384r1', helloRetryRequest: true, signatureScheme: 'rsa_pss_rsae_sha256' });
    expect(sock.getEphemeralKeyInfo()).toMatchObject({ type: 'ECDH', name: 'secp384r1', size: 384 });
    sock.write('after hrr');
    expect((await readN(sock, 9)).toString()).toBe('after hrr');
  });
});
