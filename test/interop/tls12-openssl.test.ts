/**
 * Interop, TLS 1.2: puretls against `openssl s_server -tls1_2` and `openssl s_client -tls1_2`
 * (OpenSSL 3.0) on loopback, both directions.
 *
 * - Matrix, each direction: every TLS 1.2 suite × group (x25519, secp256r1, secp384r1) ×
 *   the certificates that can serve it (ECDSA suites: ECDSA P-256 and Ed25519; RSA
 *   suites: RSA-2048) = 27 cases. The OpenSSL side is restricted to one suite (`-cipher`)
 *   and one group (`-groups`); ours runs with defaults (offering TLS 1.2 and 1.3). Each
 *   case asserts the version, suite, group and signature scheme in our `info` and in
 *   OpenSSL's `-brief` summary, negotiates ALPN, and moves 1 MiB each way (sha256).
 * - Version negotiation both ways (1.2-only peer → 1.2, 1.3 peer → 1.3, the downgrade
 *   sentinel set by our server and tolerated by our 1.2-only client, TLS_FALLBACK_SCSV).
 * - Master secret: our `CLIENT_RANDOM` key-log line equals OpenSSL's `-keylogfile` line
 *   (PRF with SHA-256 and SHA-384 plus the extended master secret, against a real peer).
 * - Legacy refused: CBC-only, TLS 1.1-only and DHE-only peers in both roles, asserting
 *   our status/alert/message and what OpenSSL prints.
 *
 * Peers are spawned with OS-chosen ports on 127.0.0.1 and killed by PID after each test.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientOptions, ServerOptions, TraceEvent } from '../../src/config/config.js';
import { TlsError } from '../../src/base/errors.js';
import { errorOf, opensslServerArgs, opensslVerifyArgs, useInteropSetup } from '../helpers/interop.js';
import { NetTlsServer, type NetTlsDriver } from '../helpers/net-driver.js';
import {
  DOWNGRADE_TLS12,
  OPENSSL_BRIEF_SIG_TYPE,
  OPENSSL_BRIEF_TEMP_KEY,
  OPENSSL_GROUP,
  TLS12_EXPECTED_SCHEME,
  TLS12_SUITE_CERTS,
  TLS13_GROUP_NAMES,
  makeTempDir,
  opensslAvailable,
  readKeyLog,
  sha256,
  skipNote,
  startOpensslClient,
  startOpensslServer,
  type InteropKeyType,
  type PeerProcess,
} from '../helpers/peers.js';

const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] tls12-openssl tests skipped: ${openssl.detail}`);

const MiB = 1024 * 1024;

/** Every suite name our default client may offer, as OpenSSL prints them, plus the renegotiation SCSV. */
const OUR_OFFER = new Set([
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
  ...TLS12_SUITE_CERTS.map((c) => c.suite.openssl),
]);

/** Group names in `s_server -brief`'s "Supported groups:" line. */
const OPENSSL_BRIEF_GROUP: Record<string, string> = { x25519: 'x25519', secp256r1: 'secp256r1', secp384r1: 'secp384r1' };

/** The ServerHello our client received or our server sent, from the trace. */
function serverHello(d: NetTlsDriver, direction: 'sent' | 'received'): { random: Uint8Array; legacyVersion: number } {
  const e = d.traceEvents.find((t: TraceEvent) => t.direction === direction && t.kind === 'handshake' && t.summary.startsWith('ServerHello'));
  expect(e, `no ${direction} ServerHello in the trace`).toBeDefined();
  return e!.message as { random: Uint8Array; legacyVersion: number };
}

function endsWithSentinel(random: Uint8Array): boolean {
  return Buffer.from(random.subarray(24)).equals(DOWNGRADE_TLS12);
}

describe.skipIf(!openssl.ok)(`TLS 1.2 interop with OpenSSL${skipNote(openssl)}`, () => {
  const setup = useInteropSetup();

  // ---------------------------------------------------------------- helpers: our client

  /** s_server with our certificate, one connection, `-brief` (summary on stderr, data on stdout). */
  function sServer(kt: InteropKeyType, extra: readonly string[]): Promise<{ process: PeerProcess; port: number }> {
    return startOpensslServer([...opensslServerArgs(setup.pkis[kt]), ...extra]);
  }

  function connect(port: number, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    return setup.connect(port, kt, extra);
  }

  /** 1 MiB each way between our client and `s_server -brief`, then our close_notify; s_server must exit 0. */
  async function bulkWithServer(c: NetTlsDriver, srv: PeerProcess): Promise<void> {
    const up = randomBytes(MiB);
    const down = randomBytes(MiB);
    const before = srv.stdoutLength;
    const [, , got] = await Promise.all([c.write(up), srv.send(down), c.readExactly(MiB, 60_000)]);
    await srv.waitForStdoutLength(before + MiB, 60_000);
    expect(sha256(got), 'server → client').toBe(sha256(down));
    expect(sha256(srv.stdoutBytes.subarray(before, before + MiB)), 'client → server').toBe(sha256(up));
    await c.close();
    const { code } = await srv.waitForExit();
    expect(code, srv.transcript()).toBe(0);
    expect(c.conn.error).toBeNull();
  }

  // ---------------------------------------------------------------- helpers: our server

  function listen(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    return setup.listen(kt, extra);
  }

  /** s_client verifying our chain and name strictly, `-brief` (summary on stderr, data on stdout). */
  function sClient(server: NetTlsServer, kt: InteropKeyType, extra: readonly string[]): PeerProcess {
    return startOpensslClient(server.port, [...opensslVerifyArgs(setup.pkis[kt].caFile), '-brief', '-ign_eof', ...extra]);
  }

  /** 1 MiB each way between `s_client -brief -ign_eof` and our server, then our close_notify; s_client must exit 0. */
  async function bulkWithClient(s: NetTlsDriver, cli: PeerProcess): Promise<void> {
    const up = randomBytes(MiB);
    const down = randomBytes(MiB);
    const [, got] = await Promise.all([cli.send(up), s.readExactly(MiB, 60_000), s.write(down)]);
    await cli.waitForStdoutLength(MiB, 60_000);
    expect(sha256(got), 'client → server').toBe(sha256(up));
    expect(cli.stdoutLength).toBe(MiB);
    expect(sha256(cli.stdoutBytes), 'server → client').toBe(sha256(down));
    await s.close();
    cli.endInput();
    const { code } = await cli.waitForExit();
    expect(code, cli.transcript()).toBe(0);
    expect(s.conn.error).toBeNull();
  }

  // ---------------------------------------------------------------- matrix

  describe('puretls client → s_server -tls1_2: suite × group × certificate, ALPN, 1 MiB each way', () => {
    for (const { suite, kt } of TLS12_SUITE_CERTS) {
      for (const group of TLS13_GROUP_NAMES) {
        it(`${suite.name} / ${group} / ${kt}`, async () => {
          const { process: srv, port } = await sServer(kt, ['-tls1_2', '-cipher', suite.openssl, '-groups', OPENSSL_GROUP[group]!, '-alpn', 'http/1.1', '-brief']);
          const c = await connect(port, kt, { ALPNProtocols: ['h2', 'http/1.1'] });
          await c.handshake();
          expect(c.conn.info).toMatchObject({
            role: 'client',
            version: 'TLSv1.2',
            cipherSuite: suite.name,
            group,
            signatureScheme: TLS12_EXPECTED_SCHEME[kt],
            alpn: 'http/1.1',
            helloRetryRequest: false,
            certificateErrors: [],
            certificateErrorSeverity: 'none',
          });
          await bulkWithServer(c, srv);
          const summary = srv.stderr;
          expect(summary, srv.transcript()).toContain('Protocol version: TLSv1.2');
          expect(summary).toContain(`Ciphersuite: ${suite.openssl}`);
          // What we offered, as OpenSSL saw it: TLS 1.3 and ECDHE+AEAD TLS 1.2 suites only.
          const offered = /Client cipher list: (.*)/.exec(summary)![1]!.split(':');
          expect(offered.filter((n) => !OUR_OFFER.has(n))).toEqual([]);
          expect(summary).toMatch(new RegExp(`Supported groups: .*\\b${OPENSSL_BRIEF_GROUP[group]!}\\b`));
        });
      }
    }
  });

  describe('s_client -tls1_2 → puretls server: suite × group × certificate, ALPN, 1 MiB each way', () => {
    for (const { suite, kt } of TLS12_SUITE_CERTS) {
      for (const group of TLS13_GROUP_NAMES) {
        it(`${suite.name} / ${group} / ${kt}`, async () => {
          // RFC 8422 §5.3: an ECDSA P-256 certificate needs P-256 in the client's supported_groups
          // (s_client aborts with illegal_parameter otherwise), so that client lists it second and
          // our server is limited to the group under test.
          const server = await listen(kt, { ALPNProtocols: ['http/1.1'], groups: [group] });
          const groups = kt === 'ecdsa-p256' && group !== 'secp256r1' ? `${OPENSSL_GROUP[group]!}:P-256` : OPENSSL_GROUP[group]!;
          const cli = sClient(server, kt, ['-tls1_2', '-cipher', suite.openssl, '-groups', groups, '-alpn', 'h2,http/1.1']);
          const s = await server.accept();
          await s.handshake();
          expect(s.conn.info).toMatchObject({
            role: 'server',
            version: 'TLSv1.2',
            cipherSuite: suite.name,
            group,
            signatureScheme: TLS12_EXPECTED_SCHEME[kt],
            alpn: 'http/1.1',
            serverName: 'localhost',
          });
          await bulkWithClient(s, cli);
          const summary = cli.stderr;
          expect(summary, cli.transcript()).toContain('Protocol version: TLSv1.2');
          expect(summary).toContain(`Ciphersuite: ${suite.openssl}`);
          expect(summary).toContain('Verification: OK');
          expect(summary).toMatch(OPENSSL_BRIEF_TEMP_KEY[group]!);
          expect(summary).toContain(`Signature type: ${OPENSSL_BRIEF_SIG_TYPE[kt]}`);
        });
      }
    }
  });
  // ---------------------------------------------------------------- version negotiation

  describe('version negotiation', () => {
    const offeredVersions = (d: NetTlsDriver): number[] => {
      const ch = d.traceEvents.find((e) => e.direction === 'sent' && e.summary.startsWith('ClientHello'));
      return (ch?.message as { extensions: { supportedVersions?: number[] } }).extensions.supportedVersions ?? [];
    };

    it('our 1.2+1.3 client → 1.2-only s_server (-tls1_2): TLSv1.2, no downgrade sentinel', async () => {
      const { process: srv, port } = await sServer('ecdsa-p256', ['-tls1_2', '-brief']);
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      expect(offeredVersions(c)).toEqual([0x0304, 0x0303]);
      expect(c.conn.info.version).toBe('TLSv1.2');
      expect(endsWithSentinel(serverHello(c, 'received').random)).toBe(false);
      await bulkWithServer(c, srv);
      expect(srv.stderr).toContain('Protocol version: TLSv1.2');
    });

    it('our 1.2+1.3 client → 1.3-capable s_server: TLSv1.3', async () => {
      const { process: srv, port } = await sServer('ecdsa-p256', ['-brief']);
      const c = await connect(port, 'ecdsa-p256');
      await c.handshake();
      expect(c.conn.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: expect.stringMatching(/^TLS_(AES|CHACHA)/) });
      await bulkWithServer(c, srv);
      expect(srv.stderr).toContain('Protocol version: TLSv1.3');
    });

    it('our client with maxVersion TLSv1.2 → 1.3-capable s_server: TLSv1.2; OpenSSL sets the sentinel and a 1.2-only client ignores it', async () => {
      const { process: srv, port } = await sServer('rsa-2048', ['-brief']);
      const c = await connect(port, 'rsa-2048', { maxVersion: 'TLSv1.2' });
      await c.handshake();
      expect(offeredVersions(c)).not.toContain(0x0304);
      expect(c.conn.info.version).toBe('TLSv1.2');
      expect(endsWithSentinel(serverHello(c, 'received').random)).toBe(true);
      await bulkWithServer(c, srv);
      expect(srv.stderr).toContain('Protocol version: TLSv1.2');
    });

    it('our client with minVersion TLSv1.3 → 1.2-only s_server: protocol_version', async () => {
      const { process: srv, port } = await sServer('ecdsa-p256', ['-tls1_2', '-brief']);
      const c = await connect(port, 'ecdsa-p256', { minVersion: 'TLSv1.3' });
      const err = await errorOf(c.handshake());
      expect(err, srv.transcript()).toBeInstanceOf(TlsError);
      expect(err).toMatchObject({ status: 'AlertReceived', alert: 70 });
      expect((err as TlsError).message).toMatch(/protocol_version: the peer refused our versions/);
    });

    it('s_client -tls1_2 → our 1.2+1.3 server: TLSv1.2, our ServerHello.random carries the downgrade sentinel', async () => {
      const server = await listen('ed25519');
      const cli = sClient(server, 'ed25519', ['-tls1_2']);
      const s = await server.accept();
      await s.handshake();
      expect(s.conn.info.version).toBe('TLSv1.2');
      expect(endsWithSentinel(serverHello(s, 'sent').random)).toBe(true);
      await bulkWithClient(s, cli);
      expect(cli.stderr).toContain('Protocol version: TLSv1.2');
    });

    it('s_client -tls1_3 → our server: TLSv1.3', async () => {
      const server = await listen('ed25519');
      const cli = sClient(server, 'ed25519', ['-tls1_3']);
      const s = await server.accept();
      await s.handshake();
      expect(s.conn.info.version).toBe('TLSv1.3');
      await bulkWithClient(s, cli);
      expect(cli.stderr).toContain('Protocol version: TLSv1.3');
    });

    it('1.3-capable s_client → our server with maxVersion TLSv1.2: TLSv1.2 without sentinel (s_client would abort on one)', async () => {
      const server = await listen('rsa-2048', { maxVersion: 'TLSv1.2' });
      const cli = sClient(server, 'rsa-2048', []);
      const s = await server.accept();
      await s.handshake();
      expect(s.conn.info.version).toBe('TLSv1.2');
      expect(endsWithSentinel(serverHello(s, 'sent').random)).toBe(false);
      await bulkWithClient(s, cli);
      expect(cli.stderr).toContain('Protocol version: TLSv1.2');
    });

    it('s_client -tls1_2 -fallback_scsv → our 1.3-capable server: inappropriate_fallback (RFC 7507)', async () => {
      const server = await listen('ecdsa-p256');
      const cli = sClient(server, 'ecdsa-p256', ['-tls1_2', '-fallback_scsv']);
      const s = await server.accept();
      const err = await errorOf(s.handshake());
      expect(err).toMatchObject({ status: 'InappropriateFallback', alert: 86 });
      expect((err as TlsError).message).toContain('client signalled a fallback to TLSv1.2');
      const { code } = await cli.waitForExit();
      expect(code).not.toBe(0);
      expect(cli.stderr, cli.transcript()).toMatch(/alert inappropriate fallback/);
    });

    it('s_client -tls1_2 → our server with minVersion TLSv1.3: protocol_version', async () => {
      const server = await listen('ecdsa-p256', { minVersion: 'TLSv1.3' });
      const cli = sClient(server, 'ecdsa-p256', ['-tls1_2']);
      const s = await server.accept();
      const err = await errorOf(s.handshake());
      expect(err).toMatchObject({ status: 'ProtocolVersion', alert: 70 });
      expect((err as TlsError).message).toContain('client offered TLSv1.2 at most');
      await cli.waitForExit();
      expect(cli.stderr, cli.transcript()).toMatch(/alert protocol version/);
    });
  });

  // ---------------------------------------------------------------- master secret

  describe('master secret (PRF + extended master secret) equals the one OpenSSL logged', () => {
    const cases = [
      { suite: 'ECDHE-ECDSA-AES128-GCM-SHA256', prf: 'SHA-256' },
      { suite: 'ECDHE-ECDSA-AES256-GCM-SHA384', prf: 'SHA-384' },
    ];
    for (const { suite, prf } of cases) {
      it(`our client → s_server -tls1_2 -keylogfile, ${suite} (PRF ${prf})`, async () => {
        const logFile = path.join(makeTempDir('puretls-keylog-'), 'server.keys');
        const { process: srv, port } = await sServer('ecdsa-p256', ['-tls1_2', '-cipher', suite, '-keylogfile', logFile, '-www']);
        const ours: string[] = [];
        const c = await connect(port, 'ecdsa-p256', { keyLog: (l) => ours.push(l) });
        await c.handshake();
        await c.write('GET / HTTP/1.0\r\n\r\n');
        const page = (await c.readToEnd()).toString('latin1');
        await c.close();
        await srv.waitForExit();
        // s_server's page prints the session: EMS was used, so the secret below is the RFC 7627 one.
        expect(page, srv.transcript()).toContain(`New, TLSv1.2, Cipher is ${suite}`);
        expect(page).toMatch(/Extended master secret: yes/);
        const theirs = readKeyLog(logFile).filter((l) => l.startsWith('CLIENT_RANDOM '));
        expect(theirs).toHaveLength(1);
        expect(ours).toHaveLength(1);
        expect(ours[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
        expect(ours[0]!.toLowerCase()).toBe(theirs[0]!.toLowerCase());
      });

      it(`s_client -tls1_2 -keylogfile → our server, ${suite} (PRF ${prf})`, async () => {
        const logFile = path.join(makeTempDir('puretls-keylog-'), 'client.keys');
        const ours: string[] = [];
        const server = await listen('ecdsa-p256', { keyLog: (l) => ours.push(l) });
        const cli = startOpensslClient(server.port, ['-CAfile', setup.pkis['ecdsa-p256'].caFile, '-servername', 'localhost', '-verify_return_error', '-tls1_2', '-cipher', suite, '-keylogfile', logFile, '-ign_eof']);
        const s = await server.accept();
        await s.handshake();
        await s.write('bye\n');
        await s.close();
        cli.endInput();
        await cli.waitForExit();
        expect(cli.stdout, cli.transcript()).toContain(`Cipher is ${suite}`);
        expect(cli.stdout).toMatch(/Extended master secret: yes/);
        const theirs = readKeyLog(logFile).filter((l) => l.startsWith('CLIENT_RANDOM '));
        expect(theirs).toHaveLength(1);
        expect(ours).toHaveLength(1);
        expect(ours[0]!.toLowerCase()).toBe(theirs[0]!.toLowerCase());
      });
    }
  });

  // ---------------------------------------------------------------- legacy refused

  describe('legacy refused: puretls client → legacy-only s_server', () => {
    const cases: { what: string; kt: InteropKeyType; args: string[]; alert: number; alertName: string; hint: RegExp }[] = [
      { what: 'CBC with static RSA only (-cipher AES128-SHA)', kt: 'rsa-2048', args: ['-tls1_2', '-cipher', 'AES128-SHA'], alert: 40, alertName: 'handshake_failure', hint: /CBC/ },
      { what: 'ECDHE with CBC only (-cipher ECDHE-RSA-AES128-SHA)', kt: 'rsa-2048', args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA'], alert: 40, alertName: 'handshake_failure', hint: /CBC/ },
      { what: 'DHE only (-cipher DHE-RSA-AES128-GCM-SHA256)', kt: 'rsa-2048', args: ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'], alert: 40, alertName: 'handshake_failure', hint: /DHE/ },
      { what: 'TLS 1.1 only (-tls1_1 -cipher DEFAULT@SECLEVEL=0)', kt: 'rsa-2048', args: ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'], alert: 70, alertName: 'protocol_version', hint: /TLS 1\.1 or older/ },
    ];
    for (const k of cases) {
      it(`${k.what} → AlertReceived(${k.alertName})`, async () => {
        const { process: srv, port } = await sServer(k.kt, [...k.args, '-brief']);
        const c = await connect(port, k.kt);
        const err = await errorOf(c.handshake());
        expect(err, srv.transcript()).toBeInstanceOf(TlsError);
        const e = err as TlsError;
        expect(e).toMatchObject({ status: 'AlertReceived', alert: k.alert, source: 'peer' });
        expect(e.message).toContain(`peer sent fatal alert ${k.alertName}`);
        expect(e.message).toMatch(k.hint);
        expect(c.conn.info.version).toBeNull();
        await srv.waitForExit();
        expect(srv.stderr).toMatch(k.alert === 70 ? /unsupported protocol/ : /no shared cipher/);
      });
    }
  });

  describe('legacy refused: legacy-only s_client → puretls server', () => {
    const cases: { what: string; args: string[]; status: string; alert: number; cliAlert: RegExp; detail: RegExp }[] = [
      {
        what: 's_client -tls1_1 -cipher DEFAULT@SECLEVEL=0',
        args: ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0'],
        status: 'ProtocolVersion',
        alert: 70,
        cliAlert: /alert protocol version/,
        detail: /client offered TLSv1\.1 at most; this server accepts TLSv1\.2 and TLSv1\.3 only/,
      },
      {
        what: 's_client -tls1_2 -cipher AES128-SHA (CBC only)',
        args: ['-tls1_2', '-cipher', 'AES128-SHA'],
        status: 'InsufficientSecurity',
        alert: 71,
        cliAlert: /alert insufficient security/,
        detail: /client offered only legacy cipher suites \(TLS_RSA_WITH_AES_128_CBC_SHA/,
      },
      {
        what: 's_client -tls1_2 -cipher ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA (ECDHE with CBC only)',
        args: ['-tls1_2', '-cipher', 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA'],
        status: 'InsufficientSecurity',
        alert: 71,
        cliAlert: /alert insufficient security/,
        detail: /client offered only legacy cipher suites \(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA/,
      },
      {
        what: 's_client -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256 (DHE only)',
        args: ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'],
        status: 'InsufficientSecurity',
        alert: 71,
        cliAlert: /alert insufficient security/,
        detail: /client offered only legacy cipher suites \(TLS_DHE_RSA_WITH_AES_128_GCM_SHA256/,
      },
    ];
    for (const k of cases) {
      it(`${k.what} → ${k.status} (alert ${k.alert})`, async () => {
        const server = await listen('rsa-2048');
        const cli = sClient(server, 'rsa-2048', k.args);
        const s = await server.accept();
        const err = await errorOf(s.handshake());
        expect(err).toBeInstanceOf(TlsError);
        const e = err as TlsError;
        expect(e).toMatchObject({ status: k.status, alert: k.alert, source: 'local' });
        expect(e.message).toMatch(k.detail);
        const { code } = await cli.waitForExit();
        expect(code).not.toBe(0);
        expect(cli.stderr, cli.transcript()).toMatch(k.cliAlert);
      });
    }
  });
  // ---------------------------------------------------------------- certificate curve

  describe('ECDSA certificate curve must be in the client supported_groups (RFC 8422 §5.3)', () => {
    it('s_client -groups X25519 → our server with only an ECDSA P-256 certificate: HandshakeFailure naming the groups (not a certificate s_client would reject)', async () => {
      const server = await listen('ecdsa-p256');
      const cli = sClient(server, 'ecdsa-p256', ['-tls1_2', '-groups', 'X25519']);
      const s = await server.accept();
      const err = await errorOf(s.handshake());
      expect(err).toMatchObject({ status: 'HandshakeFailure', alert: 40 });
      expect((err as TlsError).message).toContain('groups x25519;');
      await cli.waitForExit();
      expect(cli.stderr, cli.transcript()).toMatch(/alert handshake failure/);
    });

    it('s_client -groups X25519 → our server with ECDSA P-256 and Ed25519 certificates: picks Ed25519', async () => {
      const f = setup.pkis['ecdsa-p256'];
      const g = setup.pkis.ed25519;
      const server = setup.keepServer(
        await NetTlsServer.listen({
          certificates: [
            { cert: f.pki.chainPem, key: f.pki.keyPem },
            { cert: g.pki.chainPem, key: g.pki.keyPem },
          ],
        }),
      );
      const cli = sClient(server, 'ed25519', ['-tls1_2', '-groups', 'X25519']);
      const s = await server.accept();
      await s.handshake();
      expect(s.conn.info).toMatchObject({ version: 'TLSv1.2', group: 'x25519', signatureScheme: 'ed25519' });
      await bulkWithClient(s, cli);
      expect(cli.stderr).toContain('Signature type: ed25519');
    });
  });
});
