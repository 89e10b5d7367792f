/**
 * Interop with GnuTLS 3.7: `gnutls-cli` against the puretls server, TLS 1.2 and TLS 1.3.
 *
 * gnutls-cli only connects out, so it runs in the normal namespace against our server on
 * 127.0.0.1 and an OS-chosen port, verifying our chain (`--x509cafile`) and name
 * (`--verify-hostname localhost`, SNI localhost); its informational output goes to a
 * `--logfile`, so its stdout carries only the application data it received.
 *
 * - Matrix (GNUTLS_MATRIX): TLS 1.2 (`NORMAL:-VERS-ALL:+VERS-TLS1.2`) every suite × group ×
 *   certificate that can serve it = 27 cases, and TLS 1.3 (`NORMAL:-VERS-ALL:+VERS-TLS1.3`)
 *   every suite × group × certificate = 27 cases; gnutls-cli limited to the one cipher
 *   and group by its priority string. Each case checks our `info`, gnutls-cli's whole
 *   "- Description:" line, ALPN ("- Application protocol: http/1.1"), EMS and safe
 *   renegotiation for 1.2, and moves 1 MiB to us and MATRIX_DOWN back (sha256).
 * - 1 MiB each way for each version and certificate.
 * - Version negotiation (sentinel set by our 1.2+1.3 server; none from a 1.2-only one),
 *   legacy clients refused (TLS 1.1 → protocol_version; CBC only → insufficient_security),
 *   TLS 1.2 master secret equal to gnutls-cli's SSLKEYLOGFILE line.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerOptions } from '../../src/config/config.js';
import type { TlsError } from '../../src/base/errors.js';
import { errorOf, useInteropSetup } from '../helpers/interop.js';
import type { NetTlsDriver, NetTlsServer } from '../helpers/net-driver.js';
import {
  DOWNGRADE_TLS12,
  GNUTLS_MATRIX,
  INTEROP_KEY_TYPES,
  gnutlsCliAvailable,
  gnutlsDescription,
  gnutlsPriority,
  makeTempDir,
  readKeyLog,
  sha256,
  skipNote,
  startGnutlsClient,
  type InteropKeyType,
  type PeerProcess,
} from '../helpers/peers.js';

const cli = gnutlsCliAvailable();
if (!cli.ok) console.warn(`[interop] gnutls-cli tests skipped: ${cli.detail}`);

const MiB = 1024 * 1024;
/**
 * gnutls-cli 3.7 writes what it receives to stdout one byte per write(2) (unbuffered
 * fputc), so 1 MiB towards it costs about 2 s of system calls: the 54-case matrix moves
 * 1 MiB from gnutls-cli to us and 128 KiB back; the "1 MiB each way" tests do the full
 * 1 MiB back for each version and certificate.
 */
const MATRIX_DOWN = 128 * 1024;

// ==================================================================== gnutls-cli → our server

describe.skipIf(!cli.ok)(`gnutls-cli → puretls server${skipNote(cli)}`, () => {
  const setup = useInteropSetup();

  function listen(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    return setup.listen(kt, extra);
  }

  /**
   * `up` random bytes from gnutls-cli's stdin to us and `down` from us to its stdout, both
   * compared by sha256.
   */
  async function transfer(s: NetTlsDriver, proc: PeerProcess, up: number, down: number): Promise<void> {
    const upData = randomBytes(up);
    const downData = randomBytes(down);
    const [, got] = await Promise.all([proc.send(upData), s.readExactly(up, 60_000), s.write(downData)]);
    await proc.waitForStdoutLength(down, 60_000);
    expect(sha256(got), 'gnutls-cli → us').toBe(sha256(upData));
    expect(proc.stdoutLength).toBe(down);
    expect(sha256(proc.stdoutBytes), 'us → gnutls-cli').toBe(sha256(downData));
  }

  /**
   * After our close_notify, gnutls-cli 3.7 prints "- Peer has closed the GnuTLS connection"
   * and closes TCP without a close_notify of its own, which the engine reports as
   * `Truncated` (its read side ended without close_notify). Everything else must be clean.
   */
  function expectClosedByUs(s: NetTlsDriver): void {
    const tail = s.traceEvents.filter((e) => e.kind === 'alert');
    expect(tail.map((e) => `${e.direction} ${e.summary}`)).toEqual(['sent alert close_notify']);
    if (s.conn.error !== null) expect(s.conn.error).toMatchObject({ status: 'Truncated', alert: null });
  }

  /** gnutls-cli verifying our chain and name; informational output in `logFile`, stdout carries only data. */
  function gnutlsCli(server: NetTlsServer, kt: InteropKeyType, priority: string, extra: readonly string[] = [], env?: NodeJS.ProcessEnv): { proc: PeerProcess; log: () => string } {
    const logFile = path.join(makeTempDir('puretls-gnutls-cli-'), 'cli.log');
    const proc = startGnutlsClient(
      server.port,
      ['--x509cafile', setup.pkis[kt].caFile, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost', '--priority', priority, '--logfile', logFile, ...extra],
      env,
    );
    return { proc, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'latin1') : '') };
  }

  describe('suite × group × certificate, ALPN, 1 MiB up and 128 KiB down', () => {
    for (const k of GNUTLS_MATRIX) {
      it(k.title, async () => {
        // RFC 8422 §5.3: in TLS 1.2 an ECDSA P-256 certificate may only be used if the client lists
        // P-256 in supported_groups, so gnutls-cli adds it after the group under test and our
        // server is limited to that group.
        const needsP256 = k.version === 'TLSv1.2' && k.kt === 'ecdsa-p256' && k.group !== 'secp256r1';
        const server = await listen(k.kt, { ALPNProtocols: ['http/1.1'], groups: [k.group] });
        const { proc, log } = gnutlsCli(server, k.kt, needsP256 ? `${k.priority}:+GROUP-SECP256R1` : k.priority, ['--alpn', 'h2', '--alpn', 'http/1.1']);
        const s = await server.accept();
        const hs = await errorOf(s.handshake());
        expect(hs, `${s.describe()}\n${proc.transcript()}\n${log()}`).toBeNull();
        expect(s.conn.info).toMatchObject({
          role: 'server',
          version: k.version,
          cipherSuite: k.suite,
          group: k.group,
          signatureScheme: k.scheme,
          alpn: 'http/1.1',
          serverName: 'localhost',
          helloRetryRequest: false,
        });
        await transfer(s, proc, MiB, MATRIX_DOWN);
        await s.close();
        const { code } = await proc.waitForExit();
        proc.endInput();
        const text = log();
        expect(code, `${proc.transcript()}\n${text}`).toBe(0);
        expect(gnutlsDescription(text), `${proc.transcript()}\n${text}`).toMatch(k.description);
        expect(text).toMatch(/- Application protocol: http\/1\.1/);
        expect(text).toContain('- Handshake was completed');
        if (k.version === 'TLSv1.2') expect(text).toMatch(/- Options: .*extended master secret.*safe renegotiation/);
        expectClosedByUs(s);
      });
    }
  });

  describe('1 MiB each way', () => {
    for (const version of ['TLS1.2', 'TLS1.3'] as const) {
      for (const kt of INTEROP_KEY_TYPES) {
        it(`${version} / ${kt}`, async () => {
          const server = await listen(kt);
          const { proc, log } = gnutlsCli(server, kt, gnutlsPriority(version));
          const s = await server.accept();
          await s.handshake();
          expect(s.conn.info.version).toBe(version === 'TLS1.2' ? 'TLSv1.2' : 'TLSv1.3');
          await transfer(s, proc, MiB, MiB);
          await s.close();
          const { code } = await proc.waitForExit();
          proc.endInput();
          expect(code, `${proc.transcript()}\n${log()}`).toBe(0);
          expect(gnutlsDescription(log())).toContain(`(${version}-X.509)`);
          expectClosedByUs(s);
        });
      }
    }
  });

  it('gnutls-cli restricted to TLS 1.2 → our 1.2+1.3 server: TLSv1.2 with the downgrade sentinel in our ServerHello', async () => {
    const server = await listen('ecdsa-p256');
    const { proc, log } = gnutlsCli(server, 'ecdsa-p256', gnutlsPriority('TLS1.2'));
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info.version).toBe('TLSv1.2');
    const sh = s.traceEvents.find((e) => e.direction === 'sent' && e.summary.startsWith('ServerHello'))!.message as { random: Uint8Array };
    expect(Buffer.from(sh.random.subarray(24)).equals(DOWNGRADE_TLS12)).toBe(true);
    await s.write('bye\n');
    await s.close();
    const { code } = await proc.waitForExit();
    expect(code, `${proc.transcript()}\n${log()}`).toBe(0);
    expect(proc.stdout).toBe('bye\n');
    expect(gnutlsDescription(log())).toContain('(TLS1.2-X.509)');
  });

  it('1.2+1.3 gnutls-cli (NORMAL) → our server with maxVersion TLSv1.2: TLSv1.2 (no sentinel, which GnuTLS would refuse)', async () => {
    const server = await listen('rsa-2048', { maxVersion: 'TLSv1.2' });
    const { proc, log } = gnutlsCli(server, 'rsa-2048', 'NORMAL');
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info.version).toBe('TLSv1.2');
    await s.write('bye\n');
    await s.close();
    const { code } = await proc.waitForExit();
    expect(code, `${proc.transcript()}\n${log()}`).toBe(0);
    expect(gnutlsDescription(log())).toContain('(TLS1.2-X.509)');
  });

  it('gnutls-cli restricted to TLS 1.3 → our server: TLSv1.3', async () => {
    const server = await listen('ed25519');
    const { proc, log } = gnutlsCli(server, 'ed25519', gnutlsPriority('TLS1.3'));
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info.version).toBe('TLSv1.3');
    await s.write('bye\n');
    await s.close();
    const { code } = await proc.waitForExit();
    expect(code, `${proc.transcript()}\n${log()}`).toBe(0);
    expect(gnutlsDescription(log())).toContain('(TLS1.3-X.509)');
  });

  it('gnutls-cli restricted to TLS 1.1 → our server: ProtocolVersion / protocol_version', async () => {
    const server = await listen('rsa-2048');
    const { proc, log } = gnutlsCli(server, 'rsa-2048', 'NORMAL:-VERS-ALL:+VERS-TLS1.1:+SHA1');
    const s = await server.accept();
    const err = await errorOf(s.handshake());
    expect(err).toMatchObject({ status: 'ProtocolVersion', alert: 70 });
    expect((err as TlsError).message).toContain('client offered TLSv1.1 at most');
    const { code } = await proc.waitForExit();
    expect(code).not.toBe(0);
    expect(log(), proc.transcript()).toContain('*** Received alert [70]: Error in protocol version');
  });

  it('gnutls-cli offering only CBC suites (TLS 1.2) → our server: InsufficientSecurity / insufficient_security naming them', async () => {
    const server = await listen('rsa-2048');
    const { proc, log } = gnutlsCli(server, 'rsa-2048', 'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-CBC:+SHA1:+SHA256');
    const s = await server.accept();
    const err = await errorOf(s.handshake());
    expect(err).toMatchObject({ status: 'InsufficientSecurity', alert: 71 });
    expect((err as TlsError).message).toMatch(/client offered only legacy cipher suites \(.*CBC/);
    const { code } = await proc.waitForExit();
    expect(code).not.toBe(0);
    expect(log(), proc.transcript()).toContain('*** Received alert [71]: Insufficient security');
  });

  it.each([
    ['AES-128-GCM', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
    ['AES-256-GCM', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'],
  ])('TLS 1.2 master secret equals gnutls-cli SSLKEYLOGFILE (%s)', async (cipher, suite) => {
    const logFile = path.join(makeTempDir('puretls-keylog-'), 'client.keys');
    const ours: string[] = [];
    const server = await listen('rsa-2048', { keyLog: (l) => ours.push(l) });
    const { proc, log } = gnutlsCli(server, 'rsa-2048', gnutlsPriority('TLS1.2', { cipher }), [], { SSLKEYLOGFILE: logFile });
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info.cipherSuite).toBe(suite);
    await s.write('bye\n');
    await s.close();
    const { code } = await proc.waitForExit();
    expect(code, `${proc.transcript()}\n${log()}`).toBe(0);
    const theirs = readKeyLog(logFile).filter((l) => l.startsWith('CLIENT_RANDOM '));
    expect(ours).toHaveLength(1);
    expect(theirs.map((l) => l.toLowerCase())).toEqual([ours[0]!.toLowerCase()]);
  });
});
