/**
 * Issue 9 item 1, the Node adapter: `createServer` builds one server config, so accepting a
 * connection parses no PEM, certificate or key (counted: PEM decoding through a spy on
 * src/crypto/pem.ts, key parsing through a counting provider); `secureContext` takes a puretls
 * config and refuses a node:tls SecureContext; `setSecureContext` rotates identities for new
 * connections only; the client config of Node's root store is built once per process.
 *
 * Node's root store is replaced (vi.mock of `node:tls`) by one holding a test CA, so that
 * `connect()` with no `ca` can reach a local server.
 */
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { connect, createClientConfig, createServer, createServerConfig, upgrade, type TlsServer, type TlsServerOptions, type TlsSocket } from '../../../src/transport/node.js';
import * as setup from '../../../src/engine/setup.js';
import * as pem from '../../../src/crypto/pem.js';
import * as anchors from '../../../src/verify/anchors.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';
import { countingProvider } from '../../helpers/counting-provider.js';

const roots = vi.hoisted(() => ({ list: [] as string[] }));

vi.mock('node:tls', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:tls')>();
  return { ...real, rootCertificates: roots.list };
});
// Spies on the parsers and on config building (the real functions, counted).
vi.mock('../../../src/crypto/pem.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/crypto/pem.js')>();
  return { ...real, pemDecode: vi.fn(real.pemDecode) };
});
vi.mock('../../../src/verify/anchors.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/verify/anchors.js')>();
  return { ...real, parseTrustAnchors: vi.fn(real.parseTrustAnchors) };
});
vi.mock('../../../src/engine/setup.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/engine/setup.js')>();
  return { ...real, createClientConfig: vi.fn(real.createClientConfig), createServerConfig: vi.fn(real.createServerConfig) };
});

let pkiA: TestPki;
let pkiB: TestPki;
/** Another CA of the (mocked) root store, so that a parse of the root store can be told apart from a parse of `ca: pkiA.caCertPem`. */
let pkiC: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pkiA = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'], caName: 'Rotation CA A' });
  pkiB = await generateTestPki({ keyType: 'ed25519', names: ['localhost'], caName: 'Rotation CA B' });
  pkiC = await generateTestPki({ keyType: 'ecdsa-p256', names: ['elsewhere.example'], caName: 'Root Store CA C' });
  roots.list.push(pkiC.caCertPem, pkiA.caCertPem);
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});


/** An echo server on a loopback port. */
async function echoServer(options: TlsServerOptions): Promise<{ server: TlsServer; port: number }> {
  const server = createServer(options, (s) => {
    s.on('error', () => {
      // the client may go away first
    });
    s.on('data', (d: Buffer) => s.write(d));
  });
  server.on('tlsClientError', () => {
    // reported by the client side of each test
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** Connects, waits for the handshake, and returns the socket. */
async function open(options: Parameters<typeof connect>[0]): Promise<TlsSocket> {
  const s = connect(options);
  cleanup.push(() => s.destroy());
  await new Promise<void>((resolve, reject) => {
    s.once('secureConnect', () => resolve());
    s.once('error', reject);
  });
  return s;
}

/** Sends `text` and waits for the echo. */
async function echo(s: TlsSocket, text: string): Promise<string> {
  const got = new Promise<string>((resolve) => s.once('data', (d: Buffer) => resolve(d.toString())));
  s.write(text);
  return got;
}

function invalidConfig(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InvalidConfig');
    return e as TlsError;
  }
  throw new Error('expected TlsError(InvalidConfig), nothing was thrown');
}

describe('createServer builds one config', () => {
  it('accepting 8 connections parses no PEM, no certificate key and no private key', async () => {
    const { provider, calls } = countingProvider();
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem, crypto: provider });
    const client = createClientConfig({ ca: pkiA.caCertPem });
    const keysAtStart = { ...calls };
    expect(keysAtStart).toEqual({ parsePrivateKey: 1, parsePublicKey: 1 });
    const pemCalls = vi.mocked(pem.pemDecode).mock.calls.length;
    const serverConfigs = vi.mocked(setup.createServerConfig).mock.calls.length;
    for (let i = 0; i < 8; i++) {
      const s = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
      expect(await echo(s, `hello ${i}`)).toBe(`hello ${i}`);
      s.destroy();
    }
    expect(calls).toEqual(keysAtStart);
    expect(vi.mocked(pem.pemDecode).mock.calls.length).toBe(pemCalls);
    expect(vi.mocked(setup.createServerConfig).mock.calls.length).toBe(serverConfigs);
  });

  it('a bad key is refused by createServer, before any client connects', () => {
    const e = invalidConfig(() => createServer({ cert: pkiA.chainPem, key: pkiB.keyPem }));
    expect(e.detail).toMatch(/does not match the leaf certificate/);
  });
});

describe('secureContext', () => {
  it('createServer takes a prebuilt puretls server config as secureContext', async () => {
    const config = createServerConfig({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const { server, port } = await echoServer({ secureContext: config, handshakeTimeout: 5000 });
    expect(server.secureContext).toBe(config);
    const s = await open({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiA.caCertPem });
    expect(await echo(s, 'via secureContext')).toBe('via secureContext');
  });

  it('a node:tls SecureContext is refused, naming what to use instead', () => {
    const nodeContext = nodeTls.createSecureContext({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const e = invalidConfig(() => createServer({ secureContext: nodeContext as never }));
    expect(e.detail).toMatch(/node:tls SecureContext/);
    expect(e.detail).toMatch(/createServerConfig/);
    const c = invalidConfig(() => connect({ host: '127.0.0.1', port: 1, secureContext: nodeContext as never }));
    expect(c.detail).toMatch(/createClientConfig/);
  });

  it('a config of the wrong role, or TLS options next to secureContext, are refused by name', () => {
    const server = createServerConfig({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const client = createClientConfig({ ca: pkiA.caCertPem });
    expect(invalidConfig(() => createServer({ secureContext: client as never })).detail).toMatch(/a client config/);
    expect(invalidConfig(() => connect({ host: '127.0.0.1', port: 1, secureContext: server as never })).detail).toMatch(/a server config/);
    expect(invalidConfig(() => createServer({ secureContext: server, cert: pkiB.chainPem, key: pkiB.keyPem })).detail).toMatch(/^cert, key: set when building the config/);
    expect(invalidConfig(() => connect({ host: '127.0.0.1', port: 1, servername: 'localhost', secureContext: client, ca: pkiB.caCertPem })).detail).toMatch(/^ca: /);
  });

  it('keys that are not TLS options (as https agents pass them) are ignored next to secureContext, as in Node', async () => {
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const client = createClientConfig({ ca: pkiA.caCertPem });
    const agentish = { path: null, keepAlive: true, _agentKey: '127.0.0.1:x', timeout: undefined, ciphers: undefined };
    const s = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client, ...agentish } as never);
    expect(s.authorized).toBe(true);
  });

  it('connect() takes a prebuilt client config; the server name stays per connection', async () => {
    const { port } = await echoServer({ cert: pkiB.chainPem, key: pkiB.keyPem });
    const client = createClientConfig({ ca: pkiB.caCertPem });
    const ok = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
    expect(ok.authorized).toBe(true);
    // host is the name when servername is absent (Node's rule), per connection.
    const byHost = connect({ host: '127.0.0.1', port, secureContext: client });
    cleanup.push(() => byHost.destroy());
    const err = await new Promise<TlsError>((resolve) => byHost.once('error', (e: Error) => resolve(e as TlsError)));
    expect(err.certificateErrors?.map((x) => x.code)).toContain('InvalidName');
  });
});

describe('the provider of puretls/node', () => {
  it("is the native one unless `crypto` says otherwise, for connect(), createServer() and their configs", async () => {
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const s = await open({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiA.caCertPem });
    expect(s.connection.info.provider).toBe('native');
    const pure = await open({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiA.caCertPem, crypto: 'pure' });
    expect(pure.connection.info.provider).toBe(nobleProvider.name);
    expect(createClientConfig().provider).toBe('native');
    expect(createServerConfig({ cert: pkiA.chainPem, key: pkiA.keyPem }).provider).toBe('native');
    expect(createServerConfig({ cert: pkiA.chainPem, key: pkiA.keyPem, crypto: 'pure' }).provider).toBe(nobleProvider.name);
    const served: string[] = [];
    const { port: purePort } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem, crypto: 'pure' });
    const { server } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    expect(server.secureContext.provider).toBe('native');
    const viaPure = await open({ host: '127.0.0.1', port: purePort, servername: 'localhost', ca: pkiA.caCertPem });
    served.push(viaPure.connection.info.provider);
    expect(served).toEqual(['native']);
  });
});

describe('upgrade() with prebuilt configs', () => {
  it('both roles take secureContext over an already-open plaintext socket', async () => {
    const serverConfig = createServerConfig({ cert: pkiB.chainPem, key: pkiB.keyPem });
    const clientConfig = createClientConfig({ ca: pkiB.caCertPem });
    const plain = net.createServer((raw) => {
      const tls = upgrade(raw, { role: 'server', secureContext: serverConfig });
      tls.on('error', () => {
        // the client may go away first
      });
      tls.on('data', (d: Buffer) => tls.write(d));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => plain.close());
    const raw = net.connect({ host: '127.0.0.1', port: (plain.address() as net.AddressInfo).port });
    cleanup.push(() => raw.destroy());
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    const s = upgrade(raw, { servername: 'localhost', secureContext: clientConfig });
    cleanup.push(() => s.destroy());
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', () => resolve());
      s.once('error', reject);
    });
    expect(s.authorized).toBe(true);
    expect(await echo(s, 'upgraded')).toBe('upgraded');
  });
});

describe('setSecureContext: certificate rotation', () => {
  it('connections accepted after the swap see the new certificate; one accepted before keeps the old', async () => {
    const { server, port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const client = createClientConfig({ ca: [pkiA.caCertPem, pkiB.caCertPem] });
    const before = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
    expect(before.connection.info.peerCertificate).toEqual(pkiA.certDer);

    server.setSecureContext({ cert: pkiB.chainPem, key: pkiB.keyPem });
    const after = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
    expect(after.connection.info.peerCertificate).toEqual(pkiB.certDer);
    // The old connection is untouched: same certificate, still working.
    expect(before.connection.info.peerCertificate).toEqual(pkiA.certDer);
    expect(await echo(before, 'old still works')).toBe('old still works');
    expect(await echo(after, 'new works')).toBe('new works');

    // A bad rotation fails at once and leaves the current identity in place.
    expect(invalidConfig(() => server.setSecureContext({ cert: pkiA.chainPem, key: pkiB.keyPem })).detail).toMatch(/does not match/);
    expect(invalidConfig(() => server.setSecureContext({ cert: pkiA.chainPem, key: pkiA.keyPem, handshakeTimeout: 1 } as never)).detail).toMatch(/handshakeTimeout/);
    const third = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
    expect(third.connection.info.peerCertificate).toEqual(pkiB.certDer);

    // A prebuilt config (or { secureContext }) rotates too.
    server.setSecureContext({ secureContext: createServerConfig({ cert: pkiA.chainPem, key: pkiA.keyPem }) });
    const fourth = await open({ host: '127.0.0.1', port, servername: 'localhost', secureContext: client });
    expect(fourth.connection.info.peerCertificate).toEqual(pkiA.certDer);
  });
});

describe("Node's root store", () => {
  it('connect() without ca builds the root-store client config once per process, and parses the roots once', async () => {
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem, ALPNProtocols: ['h2', 'http/1.1'] });
    const builds = vi.mocked(setup.createClientConfig);
    const parses = vi.mocked(anchors.parseTrustAnchors);
    const rootParses = (): number => parses.mock.calls.filter(([list]) => list[0] === pkiC.caCertPem && list[1] === pkiA.caCertPem).length;
    const buildsBefore = builds.mock.calls.length;
    const parsesBefore = rootParses();
    for (let i = 0; i < 6; i++) {
      // Per-connection options (name, ALPN), socket options and keys that are not TLS options
      // (as https agents pass them) do not need a config of their own.
      const foreign = i % 2 ? { path: null, keepAlive: true } : {};
      const s = await open({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: i % 2 ? ['http/1.1'] : ['h2'], lingerTimeout: 100, ...foreign } as never);
      expect(s.authorized).toBe(true);
      expect(s.connection.info.alpn).toBe(i % 2 ? 'http/1.1' : 'h2');
      s.destroy();
    }
    expect(builds.mock.calls.length - buildsBefore).toBeLessThanOrEqual(1);
    expect(rootParses() - parsesBefore).toBeLessThanOrEqual(1);
    // Built by now, shared from now on: nothing more is built.
    const shared = createClientConfig();
    expect(createClientConfig()).toBe(shared);
    const total = builds.mock.calls.length;
    const s = await open({ host: '127.0.0.1', port, servername: 'localhost' });
    expect(s.authorized).toBe(true);
    expect(builds.mock.calls.length).toBe(total);
    // Once in this whole file (a module instance is a process here), whichever test came first.
    expect(rootParses()).toBe(1);
  });

  it('a connect() with TLS options of its own builds its config, but never re-parses the root store', async () => {
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    createClientConfig(); // the root store is parsed by now
    const parses = vi.mocked(anchors.parseTrustAnchors);
    const pemCalls = vi.mocked(pem.pemDecode).mock.calls.length;
    const parsesBefore = parses.mock.calls.length;
    for (let i = 0; i < 3; i++) {
      const s = await open({ host: '127.0.0.1', port, servername: 'localhost', minVersion: 'TLSv1.3' });
      expect(s.authorized).toBe(true);
      s.destroy();
    }
    // Equal plain options share one config (built by the first connect: one verifier,
    // parseTrustAnchors called once), and the PEM of the roots is not decoded again.
    expect(parses.mock.calls.length - parsesBefore).toBe(1);
    // Options holding a function are never shared: one config, hence one verifier, each time.
    const checkServerIdentity = (): undefined => undefined;
    for (let i = 0; i < 2; i++) {
      const s = await open({ host: '127.0.0.1', port, servername: 'localhost', minVersion: 'TLSv1.3', checkServerIdentity });
      expect(s.authorized).toBe(true);
      s.destroy();
    }
    expect(parses.mock.calls.length - parsesBefore).toBe(3);
    expect(vi.mocked(pem.pemDecode).mock.calls.length).toBe(pemCalls);
  });
});

describe('connect() with plain-data TLS options', () => {
  it('builds one client config for equal options (ca text, suites, versions) and another for different ones', async () => {
    const { port } = await echoServer({ cert: pkiA.chainPem, key: pkiA.keyPem });
    const builds = vi.mocked(setup.createClientConfig);
    const before = builds.mock.calls.length;
    for (let i = 0; i < 4; i++) {
      // Key order and per-connection options (servername, ALPN) do not matter.
      const o = i % 2 ? { cipherSuites: ['TLS_AES_128_GCM_SHA256'], ca: pkiA.caCertPem } : { ca: pkiA.caCertPem, cipherSuites: ['TLS_AES_128_GCM_SHA256'], ALPNProtocols: ['h2'] };
      const s = await open({ host: '127.0.0.1', port, servername: 'localhost', ...o });
      expect(s.authorized).toBe(true);
      expect(await echo(s, `hi ${i}`)).toBe(`hi ${i}`);
      s.destroy();
    }
    expect(builds.mock.calls.length - before).toBe(1);
    // A different option value is a different config; a refused one is not remembered.
    const s = await open({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiA.caCertPem, cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] });
    expect(s.connection.info.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
    s.destroy();
    expect(builds.mock.calls.length - before).toBe(2);
    for (let i = 0; i < 2; i++) invalidConfig(() => connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiA.caCertPem, minVersion: 'TLSv0.9' as never }));
    // A trust store that does not hold the server's CA is not confused with one that does.
    const other = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pkiB.caCertPem });
    const err = await new Promise<TlsError>((resolve) => other.once('error', (e: Error) => resolve(e as TlsError)));
    expect(err.status).toBe('CertificateUntrusted');
  });
});
