/**
 * Interop, TLS 1.2 resumption (issue 10 item 2) on loopback, both roles:
 *
 * - puretls client resuming against `openssl s_server -tls1_2` (session IDs with
 *   `-no_ticket`; RFC 5077 tickets by default) and against a Node `tls` server
 *   (maxVersion TLSv1.2; tickets, and session IDs with SSL_OP_NO_TICKET);
 * - puretls server resumed by `openssl s_client -tls1_2 -sess_out/-sess_in` (s_client
 *   prints "Reused, TLSv1.2") and by a Node `tls` client (`session` option,
 *   `isSessionReused()`).
 *
 * The second connection of each case must report resumed on both sides; the first must not.
 * Peers run on OS-chosen ports on 127.0.0.1 and are killed by PID after each test.
 */
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { constants as cryptoConstants } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createServerConfig, type ServerConfig } from '../../src/engine/setup.js';
import type { ServerOptions } from '../../src/config/config.js';
import type { ResumableSession } from '../../src/session/session.js';
import type { SessionStore } from '../../src/session/store.js';
import { opensslVerifyArgs, useInteropSetup } from '../helpers/interop.js';
import { NetTlsDriver } from '../helpers/net-driver.js';
import {
  gnutlsCliAvailable,
  gnutlsServAvailable,
  makeTempDir,
  opensslAvailable,
  skipNote,
  startGnutlsClient,
  startGnutlsServer,
  startOpensslClient,
  startOpensslServer,
  type InteropKeyType,
} from '../helpers/peers.js';
import fs from 'node:fs';
import { connect as nodeConnect } from '../../src/transport/node.js';
import { MemorySessionStore } from '../../src/session/store.js';
import type { ConnectionInfo } from '../../src/engine/info.js';

const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] resume12 OpenSSL tests skipped: ${openssl.detail}`);

/** A minimal in-memory session store. */
class Store implements SessionStore {
  readonly items: ResumableSession[] = [];
  get(key: string): ResumableSession | undefined {
    return this.items.filter((s) => s.storeKey === key).at(-1);
  }
  put(_key: string, s: ResumableSession): void {
    this.items.push(s);
  }
  delete(_key: string, s: ResumableSession): void {
    const i = this.items.indexOf(s);
    if (i >= 0) this.items.splice(i, 1);
  }
}

const gnutlsCli = gnutlsCliAvailable();
if (!gnutlsCli.ok) console.warn(`[interop] resume12 gnutls-cli tests skipped: ${gnutlsCli.detail}`);
const gnutlsServ = gnutlsServAvailable();
if (!gnutlsServ.ok) console.warn(`[interop] resume12 gnutls-serv tests skipped: ${gnutlsServ.detail}`);

const GNUTLS_TLS12 = 'NORMAL:-VERS-ALL:+VERS-TLS1.2';

const KT: InteropKeyType = 'ecdsa-p256';

describe('TLS 1.2 resumption interop', () => {
  const setup = useInteropSetup();

  /** Our client to `port`, handshake, one line echoed (when `echo`), clean close; returns the driver. */
  async function ourClient(port: number, store: Store, echo = true): Promise<NetTlsDriver> {
    const d = await setup.connect(port, KT, { maxVersion: 'TLSv1.2', sessionStore: store });
    await d.handshake();
    if (echo) {
      await d.write('hello\n');
      await d.readUntil('hello\n');
    }
    await d.close();
    return d;
  }

  /** A server of ours on 127.0.0.1 sharing one config (and so one session cache) across connections. */
  async function ourServer(extra: Partial<ServerOptions> = {}): Promise<{ port: number; accepted: NetTlsDriver[]; next: () => Promise<NetTlsDriver>; config: ServerConfig }> {
    const f = setup.pkis[KT];
    const config = createServerConfig({ cert: f.pki.chainPem, key: f.pki.keyPem, maxVersion: 'TLSv1.2', ...extra });
    const accepted: NetTlsDriver[] = [];
    const waiting: ((d: NetTlsDriver) => void)[] = [];
    const server = net.createServer((socket) => {
      const d = new NetTlsDriver(TlsConnection.server(config), socket);
      void d.echo();
      accepted.push(d);
      waiting.shift()?.(d);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    setup.onCleanup(async () => {
      for (const d of accepted) d.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    });
    let taken = 0;
    const next = (): Promise<NetTlsDriver> =>
      taken < accepted.length ? Promise.resolve(accepted[taken++]!) : new Promise((r) => waiting.push((d) => (taken++, r(d))));
    return { port: (server.address() as net.AddressInfo).port, accepted, next, config };
  }

  /** A Node tls echo server (like startNodeEchoServer) that also hands back the server. */
  async function nodeServer(options: tls.TlsOptions): Promise<{ port: number; sockets: tls.TLSSocket[]; server: tls.Server }> {
    const f = setup.pkis[KT];
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
    return { port: (server.address() as net.AddressInfo).port, sockets, server };
  }

  describe.skipIf(!openssl.ok)(`puretls client → openssl s_server -tls1_2${skipNote(openssl)}`, () => {
    for (const [label, extra] of [
      ['session IDs (-no_ticket)', ['-no_ticket']],
      ['RFC 5077 tickets', []],
    ] as const) {
      it(`${label}: full, then resumed`, async () => {
        const f = setup.pkis[KT];
        const { process: srv, port } = await startOpensslServer(['-cert', f.chainFile, '-key', f.keyFile, '-tls1_2', '-naccept', '2', ...extra]);
        const store = new Store();
        const c1 = await ourClient(port, store, false);
        expect(c1.conn.info).toMatchObject({ version: 'TLSv1.2', resumed: false });
        expect(store.items).toHaveLength(1);
        const s = store.items[0]!;
        if (s.version !== 'TLSv1.2') throw new Error('expected a TLS 1.2 session');
        if (extra.length > 0) expect([s.sessionId.length > 0, s.ticket.length]).toEqual([true, 0]);
        else expect(s.ticket.length).toBeGreaterThan(0);
        const c2 = await ourClient(port, store, false);
        expect(c2.conn.info).toMatchObject({ version: 'TLSv1.2', resumed: true, certificateErrors: [] });
        expect(c2.conn.info.peerCertificate).toEqual(c1.conn.info.peerCertificate);
        expect(c2.conn.error).toBeNull();
        await srv.waitForExit();
        // s_server prints "Reused session-id" for an abbreviated handshake (ticket or ID), once here.
        expect(srv.stdout.match(/Reused session-id/g), srv.transcript()).toHaveLength(1);
      });
    }
  });

  describe.skipIf(!openssl.ok)(`puretls/node connect() with a shared sessionStore → openssl s_server -tls1_2${skipNote(openssl)}`, () => {
    it('the second socket resumes (tickets)', async () => {
      const f = setup.pkis[KT];
      const { process: srv, port } = await startOpensslServer(['-cert', f.chainFile, '-key', f.keyFile, '-tls1_2', '-naccept', '2']);
      const sessionStore = new MemorySessionStore();
      const open = async (): Promise<ConnectionInfo> => {
        const sock = nodeConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: f.pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore });
        setup.onCleanup(() => {
          sock.destroy();
        });
        await once(sock, 'secureConnect');
        const info = sock.info;
        // Consume the readable side so that 'end' and then 'close' can come.
        sock.resume();
        sock.end();
        await once(sock, 'close');
        return info;
      };
      const a = await open();
      const b = await open();
      expect([a.resumed, b.resumed]).toEqual([false, true]);
      expect(b.peerCertificate).toEqual(a.peerCertificate);
      await srv.waitForExit();
      expect(srv.stdout.match(/Reused session-id/g), srv.transcript()).toHaveLength(1);
    });
  });

  describe('puretls client → Node tls server (maxVersion TLSv1.2)', () => {
    for (const [label, options] of [
      ['tickets', {}],
      ['session IDs (SSL_OP_NO_TICKET)', { secureOptions: cryptoConstants.SSL_OP_NO_TICKET, sessionIdContext: 'resume12' }],
    ] as const) {
      it(`${label}: full, then resumed (Node reports isSessionReused)`, async () => {
        const { port, sockets, server } = await nodeServer({ maxVersion: 'TLSv1.2', ...options });
        // Node resumes session IDs only through its external cache events.
        const cache = new Map<string, Buffer>();
        server.on('newSession', (id: Buffer, data: Buffer, cb: () => void) => {
          cache.set(id.toString('hex'), data);
          cb();
        });
        server.on('resumeSession', (id: Buffer, cb: (err: Error | null, data: Buffer | null) => void) => cb(null, cache.get(id.toString('hex')) ?? null));
        const store = new Store();
        const c1 = await ourClient(port, store);
        expect(c1.conn.info.resumed).toBe(false);
        expect(sockets[0]!.isSessionReused()).toBe(false);
        const c2 = await ourClient(port, store);
        expect(c2.conn.info.resumed).toBe(true);
        expect(sockets[1]!.isSessionReused()).toBe(true);
        expect(c2.conn.info.peerCertificate).toEqual(c1.conn.info.peerCertificate);
      });
    }
  });

  describe.skipIf(!openssl.ok)(`openssl s_client -tls1_2 -sess_out/-sess_in → puretls server${skipNote(openssl)}`, () => {
    for (const [label, extra] of [
      ['session IDs (-no_ticket)', ['-no_ticket']],
      ['RFC 5077 tickets', []],
    ] as const) {
      it(`${label}: "New" then "Reused, TLSv1.2"`, async () => {
        const srv = await ourServer();
        const sess = path.join(makeTempDir(), 'sess.pem');
        const ca = setup.pkis[KT].caFile;
        const run = async (io: string[]): Promise<string> => {
          const cli = startOpensslClient(srv.port, [...opensslVerifyArgs(ca), '-tls1_2', ...extra, ...io]);
          const s = await srv.next();
          await s.handshake();
          cli.endInput();
          await cli.waitForExit();
          return cli.stdout;
        };
        const out1 = await run(['-sess_out', sess]);
        expect(out1).toMatch(/New, TLSv1\.2/);
        expect(srv.accepted[0]!.conn.info.resumed).toBe(false);
        const out2 = await run(['-sess_in', sess]);
        expect(out2).toMatch(/Reused, TLSv1\.2/);
        expect(srv.accepted[1]!.conn.info.resumed).toBe(true);
      });
    }
  });

  describe('Node tls client → puretls server', () => {
    for (const [label, extra] of [
      ['session IDs (sessionTickets: 0)', { sessionTickets: 0 }],
      ['RFC 5077 tickets', {}],
    ] as const) {
      it(`${label}: the second connection with the first one's session is reused on both sides`, async () => {
        const srv = await ourServer(extra);
        const ca = setup.pkis[KT].pki.caCertPem;
        const connect = async (session?: Buffer): Promise<{ sock: tls.TLSSocket; session: Buffer | undefined; reused: boolean }> => {
          let got: Buffer | undefined;
          const sock = tls.connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca, maxVersion: 'TLSv1.2', ...(session ? { session } : {}) });
          sock.on('session', (s: Buffer) => {
            got = s;
          });
          setup.onCleanup(() => {
            sock.destroy();
          });
          await once(sock, 'secureConnect');
          const reused = sock.isSessionReused();
          const d = await srv.next();
          await d.handshake();
          sock.write('x');
          await once(sock, 'data');
          sock.end();
          await once(sock, 'close');
          return { sock, session: got, reused };
        };
        const a = await connect();
        expect(a.reused).toBe(false);
        expect(a.session).toBeDefined();
        const b = await connect(a.session);
        expect(b.reused).toBe(true);
        expect(srv.accepted[1]!.conn.info.resumed).toBe(true);
      });
    }
  });

  describe.skipIf(!gnutlsCli.ok)(`gnutls-cli --resume → puretls server${skipNote(gnutlsCli)}`, () => {
    for (const [label, extra] of [
      ['session IDs (--noticket)', ['--noticket']],
      ['RFC 5077 tickets', []],
    ] as const) {
      it(`${label}: the second connection is resumed on both sides`, async () => {
        const srv = await ourServer();
        const logFile = path.join(makeTempDir('puretls-gnutls-cli-'), 'cli.log');
        const cli = startGnutlsClient(srv.port, [
          '--x509cafile', setup.pkis[KT].caFile, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost',
          '--priority', GNUTLS_TLS12, '--logfile', logFile, '--resume', ...extra,
        ]);
        const first = await srv.next();
        await first.handshake();
        const second = await srv.next();
        await second.handshake();
        cli.endInput();
        await cli.waitForExit();
        const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'latin1') : '';
        expect([first.conn.info.resumed, second.conn.info.resumed], log + cli.transcript()).toEqual([false, true]);
        expect(log + cli.stdout + cli.stderr).toContain('This is a resumed session');
      });
    }
  });

  describe.skipIf(!gnutlsServ.ok)(`puretls client → gnutls-serv (in a private network namespace)${skipNote(gnutlsServ)}`, () => {
    for (const [label, extra] of [
      ['session IDs (--noticket)', ['--noticket']],
      ['RFC 5077 tickets', []],
    ] as const) {
      it(`${label}: full, then resumed`, async () => {
        const f = setup.pkis[KT];
        const srv = await startGnutlsServer(['--echo', '--x509certfile', f.chainFile, '--x509keyfile', f.keyFile, '--priority', GNUTLS_TLS12, ...extra]);
        const store = new Store();
        const go = async (): Promise<NetTlsDriver> => {
          const d = setup.keepDriver(await NetTlsDriver.connectPath(srv.socketPath, { servername: 'localhost', ca: f.pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store }));
          await d.handshake();
          await d.write('hello\n');
          await d.readUntil('hello\n');
          await d.close();
          return d;
        };
        const c1 = await go();
        expect(c1.conn.info.resumed).toBe(false);
        const c2 = await go();
        expect(c2.conn.info.resumed).toBe(true);
        expect(c2.conn.info.peerCertificate).toEqual(c1.conn.info.peerCertificate);
      });
    }
  });
});
