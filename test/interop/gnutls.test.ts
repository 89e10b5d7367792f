/**
 * Interop with GnuTLS 3.7 (`gnutls-serv` / `gnutls-cli`), TLS 1.2 and TLS 1.3, both directions.
 *
 * - puretls client → `gnutls-serv --echo`. gnutls-serv has no bind address and listens on
 *   every interface, so (DESIGN.md §5) it runs inside `unshare --net --pid --fork` with
 *   only `lo` up; a small bridge (PID 1 of those namespaces, see test/helpers/peers.ts
 *   startNamespacedServer) forwards a Unix socket in the host's filesystem to it, and
 *   our client connects to that socket. When the bridge ends, the kernel ends the
 *   namespace and everything in it.
 * - `gnutls-cli` → puretls server: gnutls-cli only connects out, so it runs normally
 *   against our server on 127.0.0.1 and an OS-chosen port, verifying our chain
 *   (`--x509cafile`) and name (`--verify-hostname localhost`).
 *
 * Matrices, each direction: TLS 1.2 (`NORMAL:-VERS-ALL:+VERS-TLS1.2`) every suite × group ×
 * certificate that can serve it (ECDSA suites: ECDSA P-256 and Ed25519; RSA suites:
 * RSA-2048) = 27 cases; TLS 1.3 (`NORMAL:-VERS-ALL:+VERS-TLS1.3`) every suite × group ×
 * certificate = 27 cases. The GnuTLS side is limited to the one suite and group by its
 * priority string; each case checks version, suite, group and signature in our `info`
 * and in GnuTLS's "- Description:" line (plus EMS and safe renegotiation for 1.2),
 * negotiates ALPN, and moves 1 MiB each way through gnutls-serv's echo; towards
 * gnutls-cli see MATRIX_DOWN. Plus: the TLS 1.2 master secret equals GnuTLS's
 * SSLKEYLOGFILE line, version negotiation, legacy clients (TLS 1.1, CBC) refused, and
 * gnutls-serv's CertificateRequest answered without a certificate.
 *
 * Bulk data through gnutls-serv's echo is base64 text in lines: its echo mode handles
 * C strings (a NUL would cut the echo) and echoes once a newline arrives.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClientOptions, ServerOptions } from '../../src/config.js';
import { TlsError } from '../../src/errors.js';
import { NetTlsDriver, NetTlsServer } from '../helpers/net-driver.js';
import {
  DOWNGRADE_TLS12,
  EXPECTED_SCHEME,
  GNUTLS_GROUP_DESC,
  GNUTLS_TLS13_CIPHER,
  INTEROP_KEY_TYPES,
  TLS12_SUITE_CERTS,
  TLS13_GROUP_NAMES,
  TLS13_SUITE_NAMES,
  gnutlsCliAvailable,
  gnutlsPriority,
  gnutlsServAvailable,
  killAllPeers,
  makeAllPkiFiles,
  makeTempDir,
  randomTextLines,
  readKeyLog,
  removeTempDirs,
  sha256,
  skipNote,
  startGnutlsClient,
  startGnutlsServer,
  type InteropKeyType,
  type NamespacedServer,
  type PeerProcess,
  type PkiFiles,
} from '../helpers/peers.js';

const serv = gnutlsServAvailable();
const cli = gnutlsCliAvailable();
if (!serv.ok) console.warn(`[interop] gnutls-serv tests skipped: ${serv.detail}`);
if (!cli.ok) console.warn(`[interop] gnutls-cli tests skipped: ${cli.detail}`);

const MiB = 1024 * 1024;
/**
 * gnutls-cli 3.7 writes what it receives to stdout one byte per write(2) (unbuffered
 * fputc), so 1 MiB towards it costs about 2 s of system calls: the 54-case matrix moves
 * 1 MiB from gnutls-cli to us and 128 KiB back; the "1 MiB each way" tests do the full
 * 1 MiB back for each version and certificate.
 */
const MATRIX_DOWN = 128 * 1024;

/** The scheme GnuTLS 3.7 and puretls settle on in TLS 1.2 for each key type. */
const TLS12_SCHEME: Record<InteropKeyType, string> = {
  'ecdsa-p256': 'ecdsa_secp256r1_sha256',
  ed25519: 'ed25519',
  'rsa-2048': 'rsa_pss_rsae_sha256',
};

/** How GnuTLS names the signature algorithm in "- Description:" for each key type. */
const GNUTLS_SIG_DESC: Record<InteropKeyType, RegExp> = {
  'ecdsa-p256': /ECDSA-(SECP256R1-)?SHA256/,
  ed25519: /EdDSA-Ed25519/,
  'rsa-2048': /RSA-PSS-RSAE?-SHA256/,
};

interface MatrixCase {
  readonly title: string;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  readonly suite: string;
  readonly group: string;
  readonly kt: InteropKeyType;
  readonly priority: string;
  /** The cipher name GnuTLS prints. */
  readonly cipher: string;
  readonly scheme: string;
}

const MATRIX: MatrixCase[] = [
  ...TLS12_SUITE_CERTS.flatMap(({ suite, kt }) =>
    TLS13_GROUP_NAMES.map((group) => ({
      title: `TLS 1.2 ${suite.name} / ${group} / ${kt}`,
      version: 'TLSv1.2' as const,
      suite: suite.name,
      group,
      kt,
      priority: gnutlsPriority('TLS1.2', { cipher: suite.gnutlsCipher, group, kx: suite.gnutlsKx }),
      cipher: suite.gnutlsCipher,
      scheme: TLS12_SCHEME[kt],
    })),
  ),
  ...INTEROP_KEY_TYPES.flatMap((kt) =>
    TLS13_SUITE_NAMES.flatMap((suite) =>
      TLS13_GROUP_NAMES.map((group) => ({
        title: `TLS 1.3 ${suite} / ${group} / ${kt}`,
        version: 'TLSv1.3' as const,
        suite,
        group,
        kt,
        priority: gnutlsPriority('TLS1.3', { cipher: GNUTLS_TLS13_CIPHER[suite]!, group }),
        cipher: GNUTLS_TLS13_CIPHER[suite]!,
        scheme: EXPECTED_SCHEME[kt],
      })),
    ),
  ),
];

/** The "- Description:" line GnuTLS prints for a session, e.g. `(TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)`. */
function descriptionOf(text: string): string {
  const m = /- Description: (.*)/.exec(text);
  return m ? m[1]!.trim() : '';
}

function expectDescription(text: string, k: MatrixCase, transcript: string): void {
  const d = descriptionOf(text);
  const v = k.version === 'TLSv1.2' ? 'TLS1.2' : 'TLS1.3';
  expect(d, transcript).toContain(`(${v}-X.509)`);
  expect(d).toContain(`(ECDHE-${GNUTLS_GROUP_DESC[k.group]!})`);
  expect(d).toMatch(GNUTLS_SIG_DESC[k.kt]);
  expect(d).toContain(`(${k.cipher})`);
}

/** Settles a promise to its error (or null). */
async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => null,
    (e: unknown) => e,
  );
}

let pkis: Record<InteropKeyType, PkiFiles>;

beforeAll(async () => {
  pkis = await makeAllPkiFiles();
});
afterAll(() => removeTempDirs());

// ==================================================================== our client → gnutls-serv

describe.skipIf(!serv.ok)(`puretls client → gnutls-serv (private namespace)${skipNote(serv)}`, () => {
  const drivers: NetTlsDriver[] = [];
  afterEach(async () => {
    for (const d of drivers.splice(0)) d.destroy();
    await killAllPeers();
  });

  function gnutlsServ(kt: InteropKeyType, priority: string, extra: readonly string[] = [], env?: NodeJS.ProcessEnv): Promise<NamespacedServer> {
    const f = pkis[kt];
    return startGnutlsServer(['--echo', '--x509certfile', f.chainFile, '--x509keyfile', f.keyFile, '--priority', priority, ...extra], env);
  }

  async function connect(srv: NamespacedServer, kt: InteropKeyType, extra: ClientOptions = {}): Promise<NetTlsDriver> {
    const d = await NetTlsDriver.connectPath(srv.socketPath, { servername: 'localhost', ca: pkis[kt].pki.caCertPem, ...extra });
    drivers.push(d);
    return d;
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
    for (const k of MATRIX) {
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
        expectDescription(srv.process.stdout, k, srv.process.transcript(3000));
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

// ==================================================================== gnutls-cli → our server

describe.skipIf(!cli.ok)(`gnutls-cli → puretls server${skipNote(cli)}`, () => {
  const servers: NetTlsServer[] = [];
  afterEach(async () => {
    await killAllPeers();
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function listen(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    const f = pkis[kt];
    const s = await NetTlsServer.listen({ cert: f.pki.chainPem, key: f.pki.keyPem, ...extra });
    servers.push(s);
    return s;
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
      ['--x509cafile', pkis[kt].caFile, '--verify-hostname', 'localhost', '--sni-hostname', 'localhost', '--priority', priority, '--logfile', logFile, ...extra],
      env,
    );
    return { proc, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'latin1') : '') };
  }

  describe('suite × group × certificate, ALPN, 1 MiB up and 128 KiB down', () => {
    for (const k of MATRIX) {
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
        expectDescription(text, k, `${proc.transcript()}\n${text}`);
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
          expect(descriptionOf(log())).toContain(`(${version}-X.509)`);
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
    expect(descriptionOf(log())).toContain('(TLS1.2-X.509)');
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
    expect(descriptionOf(log())).toContain('(TLS1.2-X.509)');
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
    expect(descriptionOf(log())).toContain('(TLS1.3-X.509)');
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
