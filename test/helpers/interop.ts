/**
 * Set-up shared by the interop tests (test/interop/): one PKI per key type, our client and
 * server wired to it, a Node `tls` peer, and clean-up after every test.
 *
 * {@link useInteropSetup} registers the hooks in the calling scope (a file or a describe):
 * the PKIs are made before its tests; after each test our clients are destroyed, then the
 * clean-ups the test registered run (last first), then every peer process is ended by PID
 * ({@link killAllPeers}) and our servers are closed; the temporary directories go at the end.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { NetTlsDriver, NetTlsServer } from './net-driver.js';
import { killAllPeers, makeAllPkiFiles, removeTempDirs, type InteropKeyType, type PkiFiles } from './peers.js';

export interface InteropSetup {
  /** One PKI per interop key type (set before the first test). */
  readonly pkis: Record<InteropKeyType, PkiFiles>;
  /** Runs `f` after the current test (clean-ups run last registered first). */
  onCleanup(f: () => Promise<void> | void): void;
  /** Destroys `d` after the current test. */
  keepDriver(d: NetTlsDriver): NetTlsDriver;
  /** Closes `s` after the current test. */
  keepServer(s: NetTlsServer): NetTlsServer;
  /** Our client on 127.0.0.1:`port`, trusting `kt`'s CA, server name localhost; destroyed after the test. */
  connect(port: number, kt: InteropKeyType, extra?: ClientOptions): Promise<NetTlsDriver>;
  /** Our server with `kt`'s chain and key on 127.0.0.1 (echoing with `echo`); closed after the test. */
  listen(kt: InteropKeyType, extra?: Partial<ServerOptions>, opts?: { echo?: boolean }): Promise<NetTlsServer>;
}

/** Registers the PKI and clean-up hooks in the calling scope; see the module comment. */
export function useInteropSetup(): InteropSetup {
  let pkis: Record<InteropKeyType, PkiFiles> | undefined;
  const drivers: NetTlsDriver[] = [];
  const servers: NetTlsServer[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    pkis = await makeAllPkiFiles();
  });
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    for (const f of cleanups.splice(0).reverse()) await f();
    await killAllPeers();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(() => removeTempDirs());

  const setup: InteropSetup = {
    get pkis() {
      if (!pkis) throw new Error('interop PKIs are made in beforeAll');
      return pkis;
    },
    onCleanup(f) {
      cleanups.push(f);
    },
    keepDriver(d) {
      drivers.push(d);
      return d;
    },
    keepServer(s) {
      servers.push(s);
      return s;
    },
    async connect(port, kt, extra = {}) {
      return setup.keepDriver(await NetTlsDriver.connect(port, { servername: 'localhost', ca: setup.pkis[kt].pki.caCertPem, ...extra }));
    },
    async listen(kt, extra = {}, opts = {}) {
      const f = setup.pkis[kt];
      return setup.keepServer(await NetTlsServer.listen({ cert: f.pki.chainPem, key: f.pki.keyPem, ...extra }, opts));
    },
  };
  return setup;
}

/** Settles a promise to its error (or null). */
export async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

/** `openssl s_server` options serving `f`'s chain and key for one connection. */
export function opensslServerArgs(f: PkiFiles): string[] {
  return ['-cert', f.chainFile, '-key', f.keyFile, '-naccept', '1'];
}

/** `openssl s_client` options verifying our chain against `caFile` and its name strictly (SNI localhost). */
export function opensslVerifyArgs(caFile: string): string[] {
  return ['-CAfile', caFile, '-servername', 'localhost', '-verify_hostname', 'localhost', '-verify_return_error'];
}

// ------------------------------------------------------------------ Node tls peer

/**
 * A Node `tls` echo server with `kt`'s chain and key on 127.0.0.1 (`options` add the
 * version limits and the rest); resolves with its port and the server-side sockets. It
 * and its sockets are closed after the test.
 */
export async function startNodeEchoServer(setup: InteropSetup, kt: InteropKeyType, options: tls.TlsOptions): Promise<{ port: number; sockets: tls.TLSSocket[] }> {
  const f = setup.pkis[kt];
  const sockets: tls.TLSSocket[] = [];
  const server = tls.createServer({ cert: f.pki.chainPem, key: f.pki.keyPem, ...options }, (s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  setup.onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as AddressInfo).port, sockets };
}

/** `tls.connect` to 127.0.0.1:`port` trusting `kt`'s CA (server name localhost), once connected; destroyed after the test. */
export async function connectNodeClient(setup: InteropSetup, port: number, kt: InteropKeyType, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  const sock = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: setup.pkis[kt].pki.caCertPem, ...options });
  setup.onCleanup(() => {
    sock.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    sock.once('secureConnect', resolve);
    sock.once('error', reject);
  });
  return sock;
}

/** Reads exactly `n` bytes from a Node stream. */
export function readN(sock: tls.TLSSocket, n: number, timeoutMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`node socket: ${got}/${n} bytes after ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (b: Buffer): void => {
      chunks.push(b);
      got += b.length;
      if (got >= n) {
        cleanup();
        const all = Buffer.concat(chunks);
        if (all.length > n) sock.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`node socket ended after ${got}/${n} bytes`));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(e);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('end', onEnd);
      sock.off('error', onError);
      sock.pause();
    };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('error', onError);
    sock.resume();
  });
}
