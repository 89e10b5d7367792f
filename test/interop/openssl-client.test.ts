/**
 * Interop: the puretls client against `openssl s_server -tls1_3` on loopback.
 *
 * - 27 cases: every TLS 1.3 suite × group (x25519, secp256r1, secp384r1) × server
 *   certificate (ECDSA P-256, Ed25519, RSA-2048). s_server is restricted to one suite
 *   (`-ciphersuites`) and one group (`-groups`); our client offers everything and sends
 *   its key share for that group, so the server has exactly one choice. s_server runs in
 *   `-www` mode: its page repeats the negotiated cipher from OpenSSL's point of view.
 * - a forced HelloRetryRequest, ALPN (agreement and mismatch), KeyUpdate initiated by
 *   either side (s_server's `k` / `K` stdin commands), and 1 MiB each way.
 *
 * Peers are spawned with `-accept 127.0.0.1:0` and killed by PID after each test.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/config/config.js';
import { opensslServerArgs, useInteropSetup } from '../helpers/interop.js';
import { NetTlsDriver } from '../helpers/net-driver.js';
import { paddedTo, startRecordTap } from '../helpers/record-tap.js';
import {
  EXPECTED_SCHEME,
  INTEROP_KEY_TYPES,
  OPENSSL_GROUP,
  TLS13_GROUP_NAMES,
  TLS13_SUITE_NAMES,
  makePkiFilesWith,
  opensslAvailable,
  readKeyLog,
  sha256,
  skipNote,
  startOpensslServer,
  type InteropKeyType,
  type PeerProcess,
} from '../helpers/peers.js';

const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] openssl-client tests skipped: ${openssl.detail}`);

const MiB = 1024 * 1024;

describe.skipIf(!openssl.ok)(`puretls client → openssl s_server${skipNote(openssl)}`, () => {
  const setup = useInteropSetup();

  function serverArgs(kt: InteropKeyType, extra: readonly string[]): string[] {
    return ['-tls1_3', ...opensslServerArgs(setup.pkis[kt]), ...extra];
  }

  function connect(port: number, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    return setup.connect(port, kt, extra);
  }

  /** GET / from s_server -www; returns the page (s_server closes after it). */
  async function getPage(c: NetTlsDriver): Promise<string> {
    await c.write('GET / HTTP/1.0\r\n\r\n');
    return (await c.readToEnd()).toString('latin1');
  }

  describe('suite × group × server certificate', () => {
    for (const kt of INTEROP_KEY_TYPES) {
      for (const suite of TLS13_SUITE_NAMES) {
        for (const group of TLS13_GROUP_NAMES) {
          it(`${suite} / ${group} / ${kt}`, async () => {
            const { process: srv, port } = await startOpensslServer(serverArgs(kt, ['-ciphersuites', suite, '-groups', OPENSSL_GROUP[group]!, '-www']));
            const c = await connect(port, kt, { keyShareGroups: [group] });
            await c.handshake();
            expect(c.conn.info).toMatchObject({
              role: 'client',
              version: 'TLSv1.3',
              cipherSuite: suite,
              group,
              signatureScheme: EXPECTED_SCHEME[kt],
              helloRetryRequest: false,
              alpn: null,
              certificateErrors: [],
              certificateErrorSeverity: 'none',
            });
            const page = await getPage(c);
            expect(page, srv.transcript()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
            expect(page).toContain(`New, TLSv1.3, Cipher is ${suite}`);
            expect(page).toMatch(/Protocol *: TLSv1\.3/);
            expect(c.conn.error).toBeNull();
            expect(c.conn.readEnded).toBe(true);
            // s_server waits for the client to close first; our close_notify lets it exit cleanly.
            await c.close();
            const { code } = await srv.waitForExit();
            expect(code, srv.transcript()).toBe(0);
            expect(srv.stdout).not.toMatch(/ERROR|error:/);
          });
        }
      }
    }
  });

  it('answers a HelloRetryRequest (s_server -groups P-384, client shares x25519 + secp256r1)', async () => {
    const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-groups', 'P-384', '-www']));
    const c = await connect(port, 'ecdsa-p256', { groups: ['x25519', 'secp256r1', 'secp384r1'], keyShareGroups: ['x25519', 'secp256r1'] });
    await c.handshake();
    expect(c.conn.info).toMatchObject({ version: 'TLSv1.3', group: 'secp384r1', helloRetryRequest: true, certificateErrorSeverity: 'none' });
    expect(c.traceEvents.some((e) => e.direction === 'received' && e.summary.startsWith('HelloRetryRequest'))).toBe(true);
    const page = await getPage(c);
    expect(page, srv.transcript()).toContain('New, TLSv1.3, Cipher is TLS_');
    expect(c.conn.error).toBeNull();
  });

  it('negotiates ALPN (server -alpn http/1.1, client h2,http/1.1)', async () => {
    const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-alpn', 'http/1.1', '-www']));
    const c = await connect(port, 'ecdsa-p256', { ALPNProtocols: ['h2', 'http/1.1'] });
    await c.handshake();
    expect(c.conn.info.alpn).toBe('http/1.1');
    const page = await getPage(c);
    expect(page, srv.transcript()).toMatch(/^HTTP\/1\.0 200 ok/);
  });

  it('gets no_application_protocol when ALPN lists do not intersect (server h2, client http/1.1)', async () => {
    const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-alpn', 'h2', '-www']));
    const c = await connect(port, 'ecdsa-p256', { ALPNProtocols: ['http/1.1'] });
    const err = await c.handshake().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, srv.transcript()).toMatchObject({ status: 'AlertReceived', alert: 120 });
    expect(c.conn.info.alpn).toBeNull();
  });

  describe('KeyUpdate', () => {
    const received = (c: NetTlsDriver, summary: string): number =>
      c.traceEvents.filter((e) => e.direction === 'received' && e.kind === 'handshake' && e.summary === summary).length;
    const sent = (c: NetTlsDriver): number => c.traceEvents.filter((e) => e.direction === 'sent' && e.summary === 'KeyUpdate').length;
    // s_server -msg logs each handshake message; a KeyUpdate body is 1 byte (length 0005 with its header).
    const S_GOT_KU = /<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/g;
    const S_SENT_KU = />>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/g;

    /** Ends s_server through stdin EOF, so that its stdio-buffered -msg log is complete. */
    async function stop(srv: PeerProcess): Promise<string> {
      srv.endInput();
      await srv.waitForExit();
      return srv.stdout;
    }

    it('client keyUpdate(true): s_server updates its keys too and data flows both ways', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-msg']));
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      await c.write('before-update\n');
      await srv.waitForStdout('before-update\n');

      await c.keyUpdate(true);
      expect(sent(c)).toBe(1);
      await c.write('client-after-update\n');
      await srv.waitForStdout('client-after-update\n');
      // s_server sends its own KeyUpdate (answering our request) before its next record.
      await srv.send('server-after-update\n');
      expect(await c.readUntil('server-after-update\n')).toBe('server-after-update\n');
      expect(received(c, 'KeyUpdate not requested')).toBe(1);
      await c.write('client-again\n');
      await srv.waitForStdout('client-again\n');
      expect(c.conn.error).toBeNull();
      const log = await stop(srv);
      expect(log.match(S_GOT_KU)?.length, srv.transcript()).toBe(1);
      expect(log.match(S_SENT_KU)?.length, srv.transcript()).toBe(1);
    });

    it("s_server 'K' (update_requested): the client answers with its own KeyUpdate and data flows both ways", async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ed25519', ['-msg']));
      const c = await connect(port, 'ed25519');
      await c.handshake();
      await c.write('hello\n');
      await srv.waitForStdout('hello\n');

      await srv.send('K\n');
      await c.waitForTrace((e) => e.direction === 'received' && e.summary === 'KeyUpdate requested', 'KeyUpdate(requested) from s_server');
      expect(sent(c)).toBe(1); // our answer (update_not_requested), sent automatically
      await c.write('client-after-K\n');
      await srv.waitForStdout('client-after-K\n');
      await srv.send('server-after-K\n');
      expect(await c.readUntil('server-after-K\n')).toBe('server-after-K\n');
      expect(c.conn.error).toBeNull();
      const log = await stop(srv);
      expect(log.match(S_SENT_KU)?.length, srv.transcript()).toBe(1);
      expect(log.match(S_GOT_KU)?.length, srv.transcript()).toBe(1);
    });

    it("s_server 'k' (update_not_requested): the client updates its read keys only and data flows both ways", async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('rsa-2048', ['-msg']));
      const c = await connect(port, 'rsa-2048');
      await c.handshake();
      await c.write('hello\n');
      await srv.waitForStdout('hello\n');

      await srv.send('k\n');
      await c.waitForTrace((e) => e.direction === 'received' && e.summary === 'KeyUpdate not requested', 'KeyUpdate(not requested) from s_server');
      await srv.send('server-after-k\n');
      expect(await c.readUntil('server-after-k\n')).toBe('server-after-k\n');
      await c.write('client-after-k\n');
      await srv.waitForStdout('client-after-k\n');
      expect(sent(c)).toBe(0);
      expect(c.conn.error).toBeNull();
      const log = await stop(srv);
      expect(log.match(S_SENT_KU)?.length, srv.transcript()).toBe(1);
      expect(log.match(S_GOT_KU)).toBeNull();
    });
  });

  describe('secrets and framing', () => {
    it('writes the same NSS key log as s_server -keylogfile', async () => {
      const logFile = path.join(setup.pkis['ecdsa-p256'].dir, `server-${Date.now()}.keylog`);
      const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-keylogfile', logFile, '-www']));
      const ours: string[] = [];
      const c = await connect(port, 'ecdsa-p256', { keyLog: (l) => ours.push(l) });
      await c.handshake();
      await getPage(c);
      // s_server flushes each key-log line as it is written; the page came after all five.
      const theirs = readKeyLog(logFile);
      expect(theirs.length, srv.transcript()).toBe(5);
      expect(new Set(ours.map((l) => l.toUpperCase()))).toEqual(new Set(theirs.map((l) => l.toUpperCase())));
      expect(ours.map((l) => l.split(' ')[0]).sort()).toEqual([
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'EXPORTER_SECRET',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_TRAFFIC_SECRET_0',
      ]);
    });

    it('exports the same keying material as s_server -keymatexport (RFC 8446 §7.5)', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ed25519', ['-keymatexport', 'EXPERIMENTAL puretls', '-keymatexportlen', '32']));
      const c = await connect(port, 'ed25519');
      await c.handshake();
      await c.write('flush\n'); // s_server flushes its buffered report when it writes what it read
      await srv.waitForStdout(/Keying material: ([0-9A-F]{64})/);
      const theirs = /Keying material: ([0-9A-F]{64})/.exec(srv.stdout)![1]!;
      const ours = Buffer.from(c.conn.exportKeyingMaterial('EXPERIMENTAL puretls', null, 32)).toString('hex').toUpperCase();
      expect(ours).toBe(theirs);
    });

    it('joins handshake messages split across 512-byte records (s_server -max_send_frag 512, RSA chain) and reads 64 KiB', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('rsa-2048', ['-max_send_frag', '512', '-quiet']));
      const c = await connect(port, 'rsa-2048');
      await c.handshake();
      expect(c.conn.info.signatureScheme).toBe('rsa_pss_rsae_sha256');
      const down = randomBytes(64 * 1024);
      await srv.send(down);
      expect(sha256(await c.readExactly(down.length))).toBe(sha256(down));
      const up = randomBytes(64 * 1024);
      await c.write(up);
      await srv.waitForStdoutLength(up.length);
      expect(sha256(srv.stdoutBytes)).toBe(sha256(up));
    });
  });

  describe('record and handshake variations', () => {
    it('strips record padding (s_server -record_padding 1024)', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-record_padding', '1024', '-quiet']));
      // Through a relay that sees the wire: the test must fail if nothing was padded.
      const tap = await startRecordTap(port);
      try {
        const c = await connect(tap.port, 'ecdsa-p256');
        await c.handshake();
        await srv.send('padded hello\n');
        expect(await c.readUntil('padded hello\n')).toBe('padded hello\n');
        await c.write('reply\n');
        await srv.waitForStdout('reply\n');
        expect(c.conn.error).toBeNull();
        // RFC 9846 §5.4: every protected record s_server sent (EncryptedExtensions to
        // application data) carries padding up to a multiple of 1024 bytes of inner plaintext;
        // unpadded, the 13-byte line would be a 30-byte record.
        const { records, unpadded } = paddedTo(tap.fromTarget(), 1024);
        expect(records.length).toBeGreaterThanOrEqual(2);
        expect(unpadded, JSON.stringify(records)).toEqual([]);
        expect(records.every((r) => r.length >= 1024 + 16)).toBe(true);
      } finally {
        tap.close();
      }
    });

    it('needs no middlebox ChangeCipherSpec (s_server -no_middlebox)', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ed25519', ['-no_middlebox', '-www']));
      const c = await connect(port, 'ed25519');
      await c.handshake();
      expect(c.traceEvents.some((e) => e.direction === 'received' && e.kind === 'change_cipher_spec')).toBe(false);
      expect(await getPage(c), srv.transcript()).toContain('New, TLSv1.3, Cipher is');
    });

    it('validates a chain with two intermediates sent by s_server -cert_chain', async () => {
      const f = await makePkiFilesWith({ keyType: 'ecdsa-p256', intermediates: 2 });
      const { process: srv, port } = await startOpensslServer(['-tls1_3', '-cert', f.leafFile, '-cert_chain', f.intermediatesFile, '-key', f.keyFile, '-naccept', '1', '-www']);
      const c = setup.keepDriver(await NetTlsDriver.connect(port, { servername: 'localhost', ca: f.pki.caCertPem }));
      await c.handshake();
      expect(c.conn.info.peerIntermediates.length).toBe(2);
      expect(c.conn.info.certificateErrorSeverity).toBe('none');
      expect(await getPage(c), srv.transcript()).toContain('New, TLSv1.3, Cipher is');
    });

    it('reports truncation when s_server dies without close_notify', async () => {
      const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-quiet']));
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      await srv.send('last words\n');
      await c.readUntil('last words\n');
      await srv.kill();
      await c.waitFor(() => c.conn.error !== null, 'the truncation error');
      expect(c.conn.error).toMatchObject({ status: 'Truncated' });
      expect(c.conn.readEnded).toBe(false);
    });
  });

  it('moves 1 MiB each way intact (s_server -quiet: stdin → us, us → stdout)', async () => {
    const { process: srv, port } = await startOpensslServer(serverArgs('ecdsa-p256', ['-quiet']));
    const c = await connect(port, 'ecdsa-p256');
    await c.handshake();

    const up = randomBytes(MiB);
    await c.write(up);
    await srv.waitForStdoutLength(MiB);
    expect(srv.stdoutLength).toBe(MiB);
    expect(sha256(srv.stdoutBytes)).toBe(sha256(up));

    const down = randomBytes(MiB);
    await srv.send(down);
    const got = await c.readExactly(MiB);
    expect(sha256(got)).toBe(sha256(down));

    await c.close();
    const { code } = await srv.waitForExit();
    expect(code, srv.transcript()).toBe(0);
    expect(c.conn.error).toBeNull();
  });
});
