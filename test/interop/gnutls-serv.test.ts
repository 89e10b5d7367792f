/**
 * Interop with GnuTLS 3.7: the puretls client against `gnutls-serv`, TLS 1.2 and TLS 1.3.
 *
 * gnutls-serv has no bind address and listens on every interface, so (DESIGN.md §5) it
 * runs inside `unshare --net --pid --fork --kill-child` with only `lo` up. A small bridge,
 * PID 1 of those namespaces (test/helpers/peers.ts startNamespacedServer), starts it with
 * `-p 0`, finds its port in the namespace's /proc/net/tcp and forwards a Unix socket in the
 * host's filesystem to it; our client connects to that socket (NetTlsDriver.connectPath).
 * When the bridge ends (SIGTERM by PID from killAllPeers, or its stdin closing because
 * this worker died) the kernel ends everything else in the PID namespace.
 *
 * - Matrix (GNUTLS_MATRIX): TLS 1.2 (`NORMAL:-VERS-ALL:+VERS-TLS1.2`) every suite × group ×
 *   certificate that can serve it (ECDSA suites: ECDSA P-256 and Ed25519; RSA suites:
 *   RSA-2048) = 27 cases, and TLS 1.3 (`NORMAL:-VERS-ALL:+VERS-TLS1.3`) every suite ×
 *   group × certificate = 27 cases. gnutls-serv is limited to the one cipher and group
 *   by its priority string; each case checks version, suite, group and signature scheme
 *   in our `info`, the whole "- Description:" line gnutls-serv prints (plus EMS and safe
 *   renegotiation for 1.2), ALPN, and 1 MiB echoed (so 1 MiB each way, sha256).
 * - gnutls-serv's CertificateRequest answered without a certificate (1.2 and 1.3).
 * - Version negotiation: 1.2-only server → 1.2 without sentinel; our 1.2-only client and
 *   a 1.3-capable server → 1.2 with GnuTLS's sentinel ignored; our 1.3-only client refused.
 * - TLS 1.2 master secret equals gnutls-serv's SSLKEYLOGFILE line (PRF SHA-256, SHA-384; EMS).
 *
 * Bulk data through gnutls-serv's echo is base64 text in lines: its echo mode handles
 * C strings (a NUL would cut the echo) and echoes once a newline arrives.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/config/config.js';
import { TlsError } from '../../src/base/errors.js';
import { errorOf, useInteropSetup } from '../helpers/interop.js';
import { NetTlsDriver } from '../helpers/net-driver.js';
import {
  DOWNGRADE_TLS12,
  GNUTLS_MATRIX,
  gnutlsDescription,
  gnutlsPriority,
  gnutlsServAvailable,
  makeTempDir,
  randomTextLines,
  readKeyLog,
  sha256,
  skipNote,
  startGnutlsServer,
  type InteropKeyType,
  type NamespacedServer,
} from '../helpers/peers.js';

const serv = gnutlsServAvailable();
if (!serv.ok) console.warn(`[interop] gnutls-serv tests skipped: ${serv.detail}`);

const MiB = 1024 * 1024;

// ==================================================================== our client → gnutls-serv

describe.skipIf(!serv.ok)(`puretls client → gnutls-serv (private namespace)${skipNote(serv)}`, () => {
  const setup = useInteropSetup();

  function gnutlsServ(kt: InteropKeyType, priority: string, extra: readonly string[] = [], env?: NodeJS.ProcessEnv): Promise<NamespacedServer> {
    const f = setup.pkis[kt];
    return startGnutlsServer(['--echo', '--x509certfile', f.chainFile, '--x509keyfile', f.keyFile, '--priority', priority, ...extra], env);
  }

  async function connect(srv: NamespacedServer, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    return setup.keepDriver(await NetTlsDriver.connectPath(srv.socketPath, { servername: 'localhost', ca: setup.pkis[kt].pki.caCertPem, ...extra }));
  }

  /** 1 MiB of text up through the echo and back down, then our close_notify and gnutls-serv's. */
  async function echoMiB(c: NetTlsDriver, srv: NamespacedServer): Promise<void> {
    const data = randomTextLines(MiB);
    const [, back] = await Promise.all([c.write(data), c.readExactly(MiB, 60_000)]);
    expect(sha256(back), `${c.describe()}\n${srv.process.transcript(3000)}`).toBe(sha256(data));
    await c.close();
    const rest = await c.readToEnd();
    expect(rest.length).toBe(0);
    expect(c.conn.error).toBeNull();
  }

  describe('suite × group × certificate, ALPN, 1 MiB each way', () => {
    for (const k of GNUTLS_MATRIX) {
      it(k.title, async () => {
        const srv = await gnutlsServ(k.kt, k.priority, ['--alpn', 'http/1.1', '--disable-client-cert']);
        const c = await connect(srv, k.kt, { ALPNProtocols: ['h2', 'http/1.1'], keyShareGroups: [k.group] });
        await c.handshake();
        expect(c.conn.info).toMatchObject({
          role: 'client',
          version: k.version,
          cipherSuite: k.suite,
          group: k.group,
          signatureScheme: k.scheme,
          alpn: 'http/1.1',
          helloRetryRequest: false,
          certificateErrorSeverity: 'none',
        });
        await echoMiB(c, srv);
        await srv.process.waitForStdout('- Description:');
        expect(gnutlsDescription(srv.process.stdout), srv.process.transcript(3000)).toMatch(k.description);
        if (k.version === 'TLSv1.2') expect(srv.process.stdout).toMatch(/- Options: .*extended master secret.*safe renegotiation/);
      });
    }
  });

  it.each(['TLSv1.2', 'TLSv1.3'] as const)('answers gnutls-serv CertificateRequest without a certificate (%s)', async (version) => {
    const srv = await gnutlsServ('ecdsa-p256', gnutlsPriority(version === 'TLSv1.2' ? 'TLS1.2' : 'TLS1.3'));
    const c = await connect(srv, 'ecdsa-p256');
    await c.handshake();
    expect(c.conn.info.version).toBe(version);
    expect(c.traceEvents.some((e) => e.direction === 'received' && e.summary === 'CertificateRequest')).toBe(true);
    await c.write('hello\n');
    expect((await c.readExactly(6)).toString()).toBe('hello\n');
    await c.close();
    await c.readToEnd();
    expect(c.conn.error).toBeNull();
  });

  it('our 1.2+1.3 client → gnutls-serv restricted to TLS 1.2: TLSv1.2, no downgrade sentinel', async () => {
    const srv = await gnutlsServ('rsa-2048', gnutlsPriority('TLS1.2'), ['--disable-client-cert']);
    const c = await connect(srv, 'rsa-2048');
    await c.handshake();
    expect(c.conn.info.version).toBe('TLSv1.2');
    const sh = c.traceEvents.find((e) => e.direction === 'received' && e.summary.startsWith('ServerHello'))!.message as { random: Uint8Array };
    expect(Buffer.from(sh.random.subarray(24)).equals(DOWNGRADE_TLS12)).toBe(false);
    await c.write('x\n');
    expect((await c.readExactly(2)).toString()).toBe('x\n');
  });

  it('our client with maxVersion TLSv1.2 → 1.2+1.3 gnutls-serv: TLSv1.2 (GnuTLS sets the sentinel; a 1.2-only client ignores it)', async () => {
    const srv = await gnutlsServ('ed25519', 'NORMAL', ['--disable-client-cert']);
    const c = await connect(srv, 'ed25519', { maxVersion: 'TLSv1.2' });
    await c.handshake();
    expect(c.conn.info.version).toBe('TLSv1.2');
    const sh = c.traceEvents.find((e) => e.direction === 'received' && e.summary.startsWith('ServerHello'))!.message as { random: Uint8Array };
    expect(Buffer.from(sh.random.subarray(24)).equals(DOWNGRADE_TLS12)).toBe(true);
    await c.write('x\n');
    expect((await c.readExactly(2)).toString()).toBe('x\n');
  });

  it('our client with minVersion TLSv1.3 → gnutls-serv restricted to TLS 1.2: GnuTLS answers handshake_failure (OpenSSL: protocol_version)', async () => {
    const srv = await gnutlsServ('ecdsa-p256', gnutlsPriority('TLS1.2'), ['--disable-client-cert']);
    const c = await connect(srv, 'ecdsa-p256', { minVersion: 'TLSv1.3' });
    const err = await errorOf(c.handshake());
    expect(err, srv.process.transcript()).toBeInstanceOf(TlsError);
    expect(err).toMatchObject({ status: 'AlertReceived', alert: 40, source: 'peer' });
    expect((err as TlsError).message).toMatch(/^peer sent fatal alert handshake_failure: no parameters in common/);
    expect(c.conn.info.version).toBeNull();
  });

  it.each([
    ['AES-128-GCM', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
    ['AES-256-GCM', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  ])('TLS 1.2 master secret equals gnutls-serv SSLKEYLOGFILE (%s)', async (cipher, suite) => {
    const logFile = path.join(makeTempDir('puretls-keylog-'), 'server.keys');
    const srv = await gnutlsServ('ecdsa-p256', gnutlsPriority('TLS1.2', { cipher }), ['--disable-client-cert'], { SSLKEYLOGFILE: logFile });
    const ours: string[] = [];
    const c = await connect(srv, 'ecdsa-p256', { keyLog: (l) => ours.push(l) });
    await c.handshake();
    expect(c.conn.info.cipherSuite).toBe(suite);
    await c.write('x\n');
    await c.readExactly(2);
    await c.close();
    await c.readToEnd();
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
    await srv.process.waitFor(() => fs.existsSync(logFile) && readKeyLog(logFile).some((l) => l.startsWith('CLIENT_RANDOM ')), 'the key log');
    const theirs = readKeyLog(logFile).filter((l) => l.startsWith('CLIENT_RANDOM '));
    expect(theirs.map((l) => l.toLowerCase())).toEqual([ours[0]!.toLowerCase()]);
  });
});
