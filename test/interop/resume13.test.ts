/**
 * Interop: TLS 1.3 resumption (issue 10 item 1) in both roles on loopback.
 *
 * - puretls client resuming against `openssl s_server` (its `-www` page says `Reused, TLSv1.3`)
 *   and a Node `tls` server (`isSessionReused()`);
 * - puretls server resumed by `openssl s_client -sess_out` / `-sess_in` (`Reused, TLSv1.3`) and
 *   by a Node `tls` client (`'session'` event, `session` option);
 * - GnuTLS: `gnutls-cli --resume` against our server.
 *
 * Each checks both ends: our `info.resumed`, and the peer's own report. Peers are killed by PID
 * after each test.
 */
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/config/config.js';
import { opensslServerArgs, opensslVerifyArgs, startNodeEchoServer, useInteropSetup } from '../helpers/interop.js';
import type { NetTlsDriver } from '../helpers/net-driver.js';
import { NetTlsDriver as Driver } from '../helpers/net-driver.js';
import { gnutlsCliAvailable, gnutlsServAvailable, gnutlsPriority, startGnutlsServer, makeTempDir, opensslAvailable, skipNote, startGnutlsClient, startOpensslClient, startOpensslServer } from '../helpers/peers.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import { MemoryReplayRegister } from '../../src/session/replay.js';

/** Plain client options with this connection's 0-RTT data (ClientConnectionOptions). */
type ClientOptionsWithEarly = ClientOptions & { earlyData?: Uint8Array };

const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] resume13 openssl tests skipped: ${openssl.detail}`);
const gnutlsServ = gnutlsServAvailable();
if (!gnutlsServ.ok) console.warn(`[interop] resume13 gnutls-serv test skipped: ${gnutlsServ.detail}`);
const gnutls = gnutlsCliAvailable();
if (!gnutls.ok) console.warn(`[interop] resume13 gnutls-cli test skipped: ${gnutls.detail}`);

describe('TLS 1.3 resumption interop', () => {
  const setup = useInteropSetup();

  /** GET / from s_server -www; returns the page (s_server closes after it). */
  async function getPage(c: NetTlsDriver): Promise<string> {
    await c.write('GET / HTTP/1.0\r\n\r\n');
    return (await c.readToEnd()).toString('latin1');
  }

  describe.skipIf(!openssl.ok)(`puretls client → openssl s_server${skipNote(openssl)}`, () => {
    for (const kt of ['ecdsa-p256', 'rsa-2048'] as const) {
      it(`resumes with a ticket from s_server (${kt}); s_server reports Reused`, async () => {
        const f = setup.pkis[kt];
        const args = ['-tls1_3', ...opensslServerArgs(f).filter((a, i, all) => a !== '-naccept' && all[i - 1] !== '-naccept'), '-naccept', '3', '-www'];
        const { process: srv, port } = await startOpensslServer(args);
        const store = new MemorySessionStore();
        const pages: string[] = [];
        const infos = [];
        for (let i = 0; i < 3; i++) {
          const c = await setup.connect(port, kt, { sessionStore: store });
          await c.handshake();
          pages.push(await getPage(c));
          infos.push(c.conn.info);
          expect(c.conn.error).toBeNull();
          await c.close();
        }
        expect(pages[0], srv.transcript()).toContain('New, TLSv1.3');
        expect(infos[0]!.resumed).toBe(false);
        for (const i of [1, 2]) {
          expect(pages[i], srv.transcript()).toContain('Reused, TLSv1.3');
          expect(infos[i]!.resumed).toBe(true);
          expect(infos[i]!.peerCertificate).toEqual(infos[0]!.peerCertificate);
          expect(infos[i]!.certificateErrorSeverity).toBe('none');
        }
      });
    }

    it('falls back to a full handshake when s_server has forgotten the ticket (a new s_server process)', async () => {
      const f = setup.pkis['ecdsa-p256'];
      const store = new MemorySessionStore();
      for (const expected of ['New', 'New'] as const) {
        const { port } = await startOpensslServer(['-tls1_3', ...opensslServerArgs(f), '-www']);
        const c = await setup.connect(port, 'ecdsa-p256', { sessionStore: store });
        await c.handshake();
        expect(await getPage(c)).toContain(`${expected}, TLSv1.3`);
        expect(c.conn.info.resumed).toBe(false);
        await c.close();
      }
    });
  });

  describe.skipIf(!openssl.ok)(`0-RTT: puretls client → openssl s_server -early_data${skipNote(openssl)}`, () => {
    it('early data accepted by s_server (printed as early data), rejected by a new s_server and re-sent', async () => {
      const f = setup.pkis['ecdsa-p256'];
      const store = new MemorySessionStore();
      const { process: srv, port } = await startOpensslServer(['-tls1_3', '-cert', f.chainFile, '-key', f.keyFile, '-naccept', '2', '-early_data']);
      const first = await setup.connect(port, 'ecdsa-p256', { sessionStore: store });
      await first.handshake();
      await first.write('first\n');
      await srv.waitForStdout('first\n');
      await first.close();
      const second = await setup.connect(port, 'ecdsa-p256', { sessionStore: store, earlyData: new TextEncoder().encode('early-hello\n') } as ClientOptionsWithEarly);
      await second.handshake();
      await second.write('after\n');
      await srv.waitForStdout('after\n');
      // s_server writes the header through a buffered BIO and the data raw: their order varies.
      await srv.waitForStdout('Early data received:');
      expect(second.conn.info.resumed).toBe(true);
      expect(second.conn.info.earlyData, srv.transcript()).toBe('accepted');
      expect(second.conn.earlyDataLength).toBe(12);
      expect(srv.stdout.match(/No early data received/g)?.length, srv.transcript()).toBe(1); // the first connection only
      expect(srv.stdout.indexOf('early-hello')).toBe(srv.stdout.lastIndexOf('early-hello'));
      await second.close();
      await srv.waitForExit();

      // A new s_server has other ticket keys: the PSK is declined, so is the early data; it is re-sent after the handshake.
      const { process: srv2, port: port2 } = await startOpensslServer(['-tls1_3', '-cert', f.chainFile, '-key', f.keyFile, '-naccept', '1', '-early_data']);
      const c = await setup.connect(port2, 'ecdsa-p256', { sessionStore: store, earlyData: new TextEncoder().encode('early-again\n') } as ClientOptionsWithEarly);
      await c.handshake();
      await srv2.waitForStdout('early-again\n');
      expect(c.conn.info.resumed).toBe(false);
      expect(c.conn.info.earlyData).toBe('rejected');
      expect(srv2.stdout).not.toMatch(/Early data received/);
      await c.close();
    });
  });

  describe('puretls client → Node tls server', () => {
    it('resumes; the Node server reports isSessionReused()', async () => {
      const { port, sockets } = await startNodeEchoServer(setup, 'ecdsa-p256', { minVersion: 'TLSv1.3' });
      const store = new MemorySessionStore();
      const resumed: boolean[] = [];
      const nodeReused: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await setup.connect(port, 'ecdsa-p256', { sessionStore: store });
        await c.handshake();
        await c.write('hello');
        expect((await c.readExactly(5)).toString()).toBe('hello');
        resumed.push(c.conn.info.resumed);
        nodeReused.push(sockets[i]!.isSessionReused());
        await c.close();
      }
      expect(resumed).toEqual([false, true, true]);
      expect(nodeReused).toEqual([false, true, true]);
    });
  });

  describe.skipIf(!openssl.ok)(`openssl s_client → puretls server${skipNote(openssl)}`, () => {
    for (const kt of ['ecdsa-p256', 'ed25519'] as const) {
      it(`s_client -sess_out then -sess_in: "Reused, TLSv1.3" (${kt})`, async () => {
        const dir = makeTempDir('puretls-sess-');
        const sess = path.join(dir, 'sess.pem');
        const server = await setup.listen(kt, { ticketKeys: new TicketKeySet() });
        const runs: { out: string; resumed: boolean }[] = [];
        for (const io of [['-sess_out', sess], ['-sess_in', sess]]) {
          const cli = startOpensslClient(server.port, ['-tls1_3', ...opensslVerifyArgs(setup.pkis[kt].caFile), '-ign_eof', ...io]);
          const s = await server.accept();
          await cli.send('ping\n');
          cli.endInput();
          expect(await s.readUntil('ping\n')).toBe('ping\n');
          await s.write('pong\n');
          await s.close();
          const { code } = await cli.waitForExit();
          expect(code, cli.transcript()).toBe(0);
          runs.push({ out: cli.stdout, resumed: s.conn.info.resumed });
        }
        expect(fs.existsSync(sess)).toBe(true);
        expect(runs[0]!.out).toMatch(/New, TLSv1\.3/);
        expect(runs[0]!.resumed).toBe(false);
        expect(runs[1]!.out).toMatch(/Reused, TLSv1\.3/);
        expect(runs[1]!.resumed).toBe(true);
      });
    }

    it('a rotated-out ticket key means a full handshake for s_client -sess_in', async () => {
      const dir = makeTempDir('puretls-sess-');
      const sess = path.join(dir, 'sess.pem');
      const keys = new TicketKeySet();
      const server = await setup.listen('ecdsa-p256', { ticketKeys: keys });
      const outs: string[] = [];
      for (const io of [['-sess_out', sess], ['-sess_in', sess]]) {
        const cli = startOpensslClient(server.port, ['-tls1_3', ...opensslVerifyArgs(setup.pkis['ecdsa-p256'].caFile), '-ign_eof', ...io]);
        const s = await server.accept();
        await cli.send('ping\n');
        cli.endInput();
        await s.readUntil('ping\n');
        await s.close();
        await cli.waitForExit();
        outs.push(cli.stdout);
        keys.rotateTicketKeys();
        keys.rotateTicketKeys();
      }
      expect(outs[1]).toMatch(/New, TLSv1\.3/);
    });
  });

  describe.skipIf(!openssl.ok)(`0-RTT: openssl s_client -early_data → puretls server${skipNote(openssl)}`, () => {
    async function run(maxEarlyData: number, register?: MemoryReplayRegister, replays = 1) {
      const dir = makeTempDir('puretls-early-');
      const sess = path.join(dir, 'sess.pem');
      const early = path.join(dir, 'early.txt');
      fs.writeFileSync(early, 'GET /early HTTP/1.0\r\n\r\n');
      const keys = new TicketKeySet();
      const server = await setup.listen('ecdsa-p256', { ticketKeys: keys, maxEarlyData, ...(register ? { replayRegister: register } : {}) });
      const results: { out: string; early: string; resumed: boolean; earlyLength: number; earlyInfo: string }[] = [];
      const ios = [['-sess_out', sess], ...Array.from({ length: replays }, () => ['-sess_in', sess, '-early_data', early])];
      for (const io of ios) {
        const cli = startOpensslClient(server.port, ['-tls1_3', ...opensslVerifyArgs(setup.pkis['ecdsa-p256'].caFile), '-ign_eof', ...io]);
        const s = await server.accept();
        if (io[0] === '-sess_out') {
          await cli.send('ping\n');
          cli.endInput();
          await s.readUntil('ping\n');
        } else {
          await s.handshake();
          // Accepted early data is read as it came; rejected early data is skipped, and s_client does not send it again.
          if (s.conn.info.earlyData === 'accepted') await s.readUntil('\r\n\r\n');
          cli.endInput();
        }
        await s.write('pong\n');
        await s.close();
        await cli.waitForExit();
        results.push({ out: cli.stdout + cli.stderr, early: '', resumed: s.conn.info.resumed, earlyLength: s.conn.earlyDataLength, earlyInfo: s.conn.info.earlyData });
      }
      return results;
    }

    it('accepts early data once per ticket: delivered, counted as replayable, info.earlyData accepted', async () => {
      const [, second] = await run(16384);
      expect(second!.out).toMatch(/Early data was accepted/);
      expect(second!.out).toMatch(/Reused, TLSv1\.3/);
      expect(second!.resumed).toBe(true);
      expect(second!.earlyInfo).toBe('accepted');
      expect(second!.earlyLength).toBe('GET /early HTTP/1.0\r\n\r\n'.length);
    });

    it('maxEarlyData 0 (the default): the ticket does not allow 0-RTT, so s_client sends none', async () => {
      const [, second] = await run(0);
      expect(second!.out).not.toMatch(/Early data was accepted/);
      expect(second!.resumed).toBe(true);
      expect(second!.earlyLength).toBe(0);
    });

    it('the same session replayed: the second 0-RTT attempt under that ticket is rejected by the register (its records skipped, the handshake completes)', async () => {
      const register = new MemoryReplayRegister();
      const [, a, b] = await run(16384, register, 2);
      expect(a!.out).toMatch(/Early data was accepted/);
      expect(b!.out).toMatch(/Early data was rejected/);
      expect(b!.earlyInfo).toBe('rejected');
      expect(b!.earlyLength).toBe(0);
    });
  });

  describe('Node tls client → puretls server', () => {
    it("resumes with the 'session' event's session; isSessionReused() on both ends", async () => {
      const server = await setup.listen('ecdsa-p256', { ticketKeys: new TicketKeySet() }, { echo: true });
      let session: Buffer | undefined;
      const reused: boolean[] = [];
      for (let i = 0; i < 2; i++) {
        const sock = tls.connect({ port: server.port, host: '127.0.0.1', servername: 'localhost', ca: setup.pkis['ecdsa-p256'].pki.caCertPem, minVersion: 'TLSv1.3', session });
        setup.onCleanup(() => {
          sock.destroy();
        });
        sock.on('session', (s: Buffer) => (session ??= s));
        await new Promise<void>((resolve, reject) => {
          sock.once('secureConnect', resolve);
          sock.once('error', reject);
        });
        sock.write('hi');
        await new Promise<void>((resolve) => sock.once('data', () => resolve()));
        // The tickets came with or before the echo; give the 'session' event its turn.
        await new Promise((r) => setTimeout(r, 20));
        reused.push(sock.isSessionReused());
        const s = await server.accept();
        expect(s.conn.info.resumed).toBe(i === 1);
        sock.end();
        expect(session, 'no session event').toBeDefined();
      }
      expect(reused).toEqual([false, true]);
    });
  });

  describe.skipIf(!gnutlsServ.ok)(`puretls client → gnutls-serv (private namespace)${skipNote(gnutlsServ)}`, () => {
    it('resumes with a ticket from gnutls-serv', async () => {
      const f = setup.pkis['ecdsa-p256'];
      const srv = await startGnutlsServer(['--echo', '--x509certfile', f.chainFile, '--x509keyfile', f.keyFile, '--priority', gnutlsPriority('TLS1.3')]);
      const store = new MemorySessionStore();
      const resumed: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const c = setup.keepDriver(await Driver.connectPath(srv.socketPath, { servername: 'localhost', ca: f.pki.caCertPem, sessionStore: store }));
        await c.handshake();
        await c.write('hello\n');
        expect((await c.readExactly(6)).toString(), srv.process.transcript()).toBe('hello\n');
        resumed.push(c.conn.info.resumed);
        expect(c.conn.error).toBeNull();
        await c.close();
      }
      expect(resumed, srv.process.transcript()).toEqual([false, true, true]);
    });
  });

  describe.skipIf(!gnutls.ok)(`gnutls-cli --resume → puretls server${skipNote(gnutls)}`, () => {
    it('resumes: "This is a resumed session"', async () => {
      const server = await setup.listen('ecdsa-p256', { ticketKeys: new TicketKeySet() }, { echo: true });
      const cli = startGnutlsClient(server.port, ['--resume', '--x509cafile', setup.pkis['ecdsa-p256'].caFile, '--sni-hostname', 'localhost', '--verify-hostname', 'localhost', '--priority', 'NORMAL:-VERS-ALL:+VERS-TLS1.3']);
      await cli.waitForStdout(/This is a resumed session|This is NOT a resumed session/, 20_000).catch(() => undefined);
      cli.endInput();
      await cli.waitForExit().catch(() => undefined);
      expect(cli.stdout + cli.stderr, cli.transcript()).toMatch(/This is a resumed session/);
      const first = await server.accept();
      const second = await server.accept();
      expect(first.conn.info.resumed).toBe(false);
      expect(second.conn.info.resumed).toBe(true);
    });
  });
});
