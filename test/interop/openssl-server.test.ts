/**
 * Interop: `openssl s_client -tls1_3` against a puretls server (test/helpers/net-driver.ts)
 * on loopback.
 *
 * - 27 cases: every TLS 1.3 suite × group × server certificate. s_client is restricted to
 *   one suite (`-ciphersuites`) and one group (`-groups`, so its only key share is for
 *   it); our server runs with defaults. Checked from both ends: our `info`, and
 *   s_client's report (`New, TLSv1.3, Cipher is`, `Protocol  : TLSv1.3`,
 *   `Server Temp Key`, `Peer signature type`, `Verification: OK`,
 *   `Verify return code: 0 (ok)`) with `-verify_return_error -verify_hostname localhost`.
 * - a forced HelloRetryRequest, ALPN (agreement and mismatch), KeyUpdate initiated by
 *   either side (s_client's `k` / `K` stdin commands; our `keyUpdate(true)`), and 1 MiB
 *   each way.
 *
 * s_client processes are killed by PID after each test.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ServerOptions, TraceEvent } from '../../src/config/config.js';
import { KeyUpdateRequest } from '../../src/wire/codes.js';
import { opensslVerifyArgs, useInteropSetup } from '../helpers/interop.js';
import { NetTlsServer, type NetTlsDriver } from '../helpers/net-driver.js';
import { paddedTo, startRecordTap } from '../helpers/record-tap.js';
import {
  EXPECTED_SCHEME,
  INTEROP_KEY_TYPES,
  OPENSSL_GROUP,
  OPENSSL_PEER_SIG_TYPE,
  OPENSSL_TEMP_KEY,
  TLS13_GROUP_NAMES,
  TLS13_SUITE_NAMES,
  makePkiFilesWith,
  opensslAvailable,
  readKeyLog,
  sha256,
  skipNote,
  startOpensslClient,
  type InteropKeyType,
  type PeerProcess,
} from '../helpers/peers.js';

const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] openssl-server tests skipped: ${openssl.detail}`);

const MiB = 1024 * 1024;

describe.skipIf(!openssl.ok)(`openssl s_client → puretls server${skipNote(openssl)}`, () => {
  const setup = useInteropSetup();

  function listen(kt: InteropKeyType, extra: Partial<ServerOptions> = {}): Promise<NetTlsServer> {
    return setup.listen(kt, extra);
  }

  /** s_client verifying our chain and name strictly. */
  function client(server: NetTlsServer, kt: InteropKeyType, extra: readonly string[]): PeerProcess {
    return startOpensslClient(server.port, ['-tls1_3', ...opensslVerifyArgs(setup.pkis[kt].caFile), ...extra]);
  }

  /** ping from s_client, pong + close_notify from us; s_client (-ign_eof) exits on our close_notify. */
  async function pingPong(s: NetTlsDriver, cli: PeerProcess, tag: string): Promise<void> {
    await cli.send('ping\n');
    cli.endInput();
    expect(await s.readUntil('ping\n')).toBe('ping\n');
    await s.write(`pong ${tag}\n`);
    await s.close();
    const { code } = await cli.waitForExit();
    expect(code, cli.transcript()).toBe(0);
    expect(cli.stdout).toContain(`pong ${tag}\n`);
  }

  function expectVerified(cli: PeerProcess): void {
    expect(cli.stdout, cli.transcript()).toContain('Verification: OK');
    expect(cli.stdout).toContain('Verify return code: 0 (ok)');
    expect(cli.stdout).toMatch(/New, TLSv1\.3, Cipher is TLS_/);
  }

  describe('suite × group × server certificate', () => {
    for (const kt of INTEROP_KEY_TYPES) {
      for (const suite of TLS13_SUITE_NAMES) {
        for (const group of TLS13_GROUP_NAMES) {
          it(`${suite} / ${group} / ${kt}`, async () => {
            // One NewSessionTicket: s_client prints the session ("Protocol  : TLSv1.3", "Cipher    : ...")
            // only when a ticket arrives in TLS 1.3.
            const server = await listen(kt, { sessionTickets: 1 });
            const cli = client(server, kt, ['-ciphersuites', suite, '-groups', OPENSSL_GROUP[group]!, '-ign_eof']);
            const s = await server.accept();
            await s.handshake();
            expect(s.conn.info).toMatchObject({
              role: 'server',
              version: 'TLSv1.3',
              cipherSuite: suite,
              group,
              signatureScheme: EXPECTED_SCHEME[kt],
              helloRetryRequest: false,
              serverName: 'localhost',
              alpn: null,
            });
            await pingPong(s, cli, suite);
            const out = cli.stdout;
            expectVerified(cli);
            expect(out).toContain(`New, TLSv1.3, Cipher is ${suite}`);
            expect(out).toContain('Post-Handshake New Session Ticket arrived:');
            expect(out).toMatch(/Protocol *: TLSv1\.3/);
            expect(out).toMatch(new RegExp(`Cipher *: ${suite}`));
            expect(out).toMatch(OPENSSL_TEMP_KEY[group]!);
            expect(out).toContain(`Peer signature type: ${OPENSSL_PEER_SIG_TYPE[kt]}`);
            expect(s.conn.error).toBeNull();
          });
        }
      }
    }
  });

  it('sends a HelloRetryRequest (s_client -groups X25519:P-384 shares x25519 only; our server accepts secp384r1 only)', async () => {
    const server = await listen('ecdsa-p256', { groups: ['secp384r1'] });
    const cli = client(server, 'ecdsa-p256', ['-groups', 'X25519:P-384', '-ign_eof']);
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info).toMatchObject({ version: 'TLSv1.3', group: 'secp384r1', helloRetryRequest: true });
    expect(s.traceEvents.some((e) => e.direction === 'sent' && e.summary === 'HelloRetryRequest')).toBe(true);
    await pingPong(s, cli, 'hrr');
    expectVerified(cli);
    expect(cli.stdout).toMatch(OPENSSL_TEMP_KEY.secp384r1!);
  });

  it('negotiates ALPN (s_client -alpn h2,http/1.1; server http/1.1)', async () => {
    const server = await listen('ed25519', { ALPNProtocols: ['http/1.1'] });
    const cli = client(server, 'ed25519', ['-alpn', 'h2,http/1.1', '-ign_eof']);
    const s = await server.accept();
    await s.handshake();
    expect(s.conn.info.alpn).toBe('http/1.1');
    await pingPong(s, cli, 'alpn');
    expect(cli.stdout, cli.transcript()).toContain('ALPN protocol: http/1.1');
  });

  it('refuses disjoint ALPN with no_application_protocol (s_client -alpn h2; server http/1.1)', async () => {
    const server = await listen('ecdsa-p256', { ALPNProtocols: ['http/1.1'] });
    const cli = client(server, 'ecdsa-p256', ['-alpn', 'h2', '-ign_eof']);
    const s = await server.accept();
    await expect(s.handshake()).rejects.toMatchObject({ status: 'NoApplicationProtocol', alert: 120 });
    const { code } = await cli.waitForExit();
    expect(code, cli.transcript()).not.toBe(0);
    expect(cli.stderr).toMatch(/no application protocol|alert number 120/);
  });

  describe('KeyUpdate', () => {
    const isKu = (e: TraceEvent, dir: 'sent' | 'received'): boolean => e.direction === dir && e.kind === 'handshake' && e.summary === 'KeyUpdate';
    const receivedKu = (s: NetTlsDriver, request: number): number =>
      s.traceEvents.filter((e) => isKu(e, 'received') && (e.message as { requestUpdate?: number } | undefined)?.requestUpdate === request).length;
    const sentKu = (s: NetTlsDriver): number => s.traceEvents.filter((e) => isKu(e, 'sent')).length;
    // s_client -msg logs each handshake message; a KeyUpdate is 'length 0005' with its header.
    const C_GOT_KU = /<<< TLS 1\.3, Handshake \[length 0005\], KeyUpdate/g;
    const C_SENT_KU = />>> TLS 1\.3, Handshake \[length 0005\], KeyUpdate/g;

    /** s_client with its stdin commands enabled (no -ign_eof / -quiet), after a first exchange. */
    async function open(kt: InteropKeyType): Promise<{ s: NetTlsDriver; cli: PeerProcess }> {
      const server = await listen(kt);
      const cli = client(server, kt, ['-msg']);
      const s = await server.accept();
      await s.handshake();
      await cli.send('hello\n');
      expect(await s.readUntil('hello\n')).toBe('hello\n');
      await s.write('welcome\n');
      await cli.waitForStdout('welcome\n');
      return { s, cli };
    }

    /** Ends s_client through stdin EOF (it sends close_notify), so its buffered -msg log is flushed. */
    async function finish(s: NetTlsDriver, cli: PeerProcess): Promise<void> {
      cli.endInput();
      await cli.waitForExit();
      await s.readToEnd();
      expect(s.conn.error).toBeNull();
      expect(s.conn.readEnded).toBe(true);
    }

    it('server keyUpdate(true): s_client updates its keys too and data flows both ways', async () => {
      const { s, cli } = await open('ecdsa-p256');
      await s.keyUpdate(true);
      expect(sentKu(s)).toBe(1);
      await s.write('server-after-update\n');
      await cli.waitForStdout('server-after-update\n');
      // s_client answers our request with its own KeyUpdate before its next record.
      await cli.send('client-after-update\n');
      expect(await s.readUntil('client-after-update\n')).toBe('client-after-update\n');
      expect(receivedKu(s, KeyUpdateRequest.update_not_requested)).toBe(1);
      await s.write('server-again\n');
      await cli.waitForStdout('server-again\n');
      await finish(s, cli);
      expect(cli.stdout.match(C_GOT_KU)?.length, cli.transcript()).toBe(1);
      expect(cli.stdout.match(C_SENT_KU)?.length, cli.transcript()).toBe(1);
    });

    it("s_client 'K' (update_requested): the server answers with its own KeyUpdate and data flows both ways", async () => {
      const { s, cli } = await open('ed25519');
      await cli.send('K\n');
      await cli.waitFor(() => cli.stderr.includes('KEYUPDATE'), 'KEYUPDATE on stderr');
      // s_client sends the KeyUpdate with its next record.
      await cli.send('client-after-K\n');
      expect(await s.readUntil('client-after-K\n')).toBe('client-after-K\n');
      expect(receivedKu(s, KeyUpdateRequest.update_requested)).toBe(1);
      expect(sentKu(s)).toBe(1); // our answer, sent automatically
      await s.write('server-after-K\n');
      await cli.waitForStdout('server-after-K\n');
      await finish(s, cli);
      expect(cli.stdout.match(C_SENT_KU)?.length, cli.transcript()).toBe(1);
      expect(cli.stdout.match(C_GOT_KU)?.length, cli.transcript()).toBe(1);
    });

    it("s_client 'k' (update_not_requested): the server updates its read keys only and data flows both ways", async () => {
      const { s, cli } = await open('rsa-2048');
      await cli.send('k\n');
      await cli.waitFor(() => cli.stderr.includes('KEYUPDATE'), 'KEYUPDATE on stderr');
      await cli.send('client-after-k\n');
      expect(await s.readUntil('client-after-k\n')).toBe('client-after-k\n');
      expect(receivedKu(s, KeyUpdateRequest.update_not_requested)).toBe(1);
      await s.write('server-after-k\n');
      await cli.waitForStdout('server-after-k\n');
      expect(sentKu(s)).toBe(0);
      await finish(s, cli);
      expect(cli.stdout.match(C_SENT_KU)?.length, cli.transcript()).toBe(1);
      expect(cli.stdout.match(C_GOT_KU)).toBeNull();
    });
  });

  describe('secrets, signature schemes and framing', () => {
    it('writes the same NSS key log as s_client -keylogfile', async () => {
      const logFile = path.join(setup.pkis['ecdsa-p256'].dir, `client-${Date.now()}.keylog`);
      const ours: string[] = [];
      const server = await listen('ecdsa-p256', { keyLog: (l) => ours.push(l) });
      const cli = client(server, 'ecdsa-p256', ['-keylogfile', logFile, '-ign_eof']);
      const s = await server.accept();
      await s.handshake();
      await pingPong(s, cli, 'keylog');
      const theirs = readKeyLog(logFile);
      expect(theirs.length, cli.transcript()).toBe(5);
      expect(ours.length).toBe(5);
      expect(new Set(ours.map((l) => l.toUpperCase()))).toEqual(new Set(theirs.map((l) => l.toUpperCase())));
    });

    it('exports the same keying material as s_client -keymatexport (RFC 8446 §7.5)', async () => {
      const server = await listen('rsa-2048');
      const cli = client(server, 'rsa-2048', ['-keymatexport', 'EXPERIMENTAL puretls', '-keymatexportlen', '48', '-ign_eof']);
      const s = await server.accept();
      await s.handshake();
      await pingPong(s, cli, 'exporter');
      const theirs = /Keying material: ([0-9A-F]{96})/.exec(cli.stdout)?.[1];
      expect(theirs, cli.transcript()).toBeDefined();
      const ours = Buffer.from(s.conn.exportKeyingMaterial('EXPERIMENTAL puretls', null, 48)).toString('hex').toUpperCase();
      expect(ours).toBe(theirs);
    });

    for (const [kt, scheme, sigalg, digest] of [
      ['rsa-2048', 'rsa_pss_rsae_sha384', 'rsa_pss_rsae_sha384', 'SHA384'],
      ['rsa-2048', 'rsa_pss_rsae_sha512', 'rsa_pss_rsae_sha512', 'SHA512'],
      ['ecdsa-p256', 'ecdsa_secp256r1_sha256', 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256', 'SHA256'],
    ] as const) {
      it(`signs with ${scheme} when s_client -sigalgs ${sigalg}`, async () => {
        const server = await listen(kt);
        const cli = client(server, kt, ['-sigalgs', sigalg, '-ign_eof']);
        const s = await server.accept();
        await s.handshake();
        expect(s.conn.info.signatureScheme).toBe(scheme);
        await pingPong(s, cli, scheme);
        expectVerified(cli);
        expect(cli.stdout).toContain(`Peer signing digest: ${digest}`);
      });
    }

    it('reads 512-byte records (s_client -max_send_frag 512) and sends 64 KiB back', async () => {
      const server = await listen('ecdsa-p256');
      const cli = client(server, 'ecdsa-p256', ['-max_send_frag', '512', '-quiet']);
      const s = await server.accept();
      await s.handshake();
      const up = randomBytes(64 * 1024);
      await cli.send(up);
      expect(sha256(await s.readExactly(up.length))).toBe(sha256(up));
      const down = randomBytes(64 * 1024);
      await s.write(down);
      await cli.waitForStdoutLength(down.length);
      expect(sha256(cli.stdoutBytes)).toBe(sha256(down));
    });
  });

  describe('record and handshake variations', () => {
    it('strips record padding (s_client -record_padding 1024)', async () => {
      const server = await listen('ecdsa-p256');
      // Through a relay that sees the wire: the test must fail if nothing was padded.
      const tap = await startRecordTap(server.port);
      try {
        const cli = startOpensslClient(tap.port, ['-tls1_3', ...opensslVerifyArgs(setup.pkis['ecdsa-p256'].caFile), '-record_padding', '1024', '-ign_eof']);
        const s = await server.accept();
        await s.handshake();
        await pingPong(s, cli, 'padded');
        // RFC 9846 §5.4: every protected record s_client sent (its Finished, the ping, its
        // close_notify) is padded to a multiple of 1024 bytes of inner plaintext; unpadded,
        // 'ping\n' would be a 22-byte record.
        const { records, unpadded } = paddedTo(tap.toTarget(), 1024);
        expect(records.length).toBeGreaterThanOrEqual(2);
        expect(unpadded, JSON.stringify(records)).toEqual([]);
        expect(records.every((r) => r.length >= 1024 + 16)).toBe(true);
      } finally {
        tap.close();
      }
    });

    it('needs no middlebox ChangeCipherSpec (s_client -no_middlebox)', async () => {
      const server = await listen('ed25519');
      const cli = client(server, 'ed25519', ['-no_middlebox', '-ign_eof']);
      const s = await server.accept();
      await s.handshake();
      expect(s.traceEvents.some((e) => e.direction === 'received' && e.kind === 'change_cipher_spec')).toBe(false);
      await pingPong(s, cli, 'no-ccs');
      expectVerified(cli);
    });

    it('sends a chain with two intermediates that s_client verifies', async () => {
      const f = await makePkiFilesWith({ keyType: 'rsa-2048', intermediates: 2 });
      const server = setup.keepServer(await NetTlsServer.listen({ cert: f.pki.chainPem, key: f.pki.keyPem }));
      const cli = startOpensslClient(server.port, ['-tls1_3', ...opensslVerifyArgs(f.caFile), '-ign_eof']);
      const s = await server.accept();
      await s.handshake();
      await pingPong(s, cli, 'chain');
      expectVerified(cli);
      expect(cli.stdout).toMatch(/ 2 s:CN = puretls Test CA Intermediate 2/);
    });

    it('reports truncation when s_client dies without close_notify', async () => {
      const server = await listen('ecdsa-p256');
      const cli = client(server, 'ecdsa-p256', ['-quiet']);
      const s = await server.accept();
      await s.handshake();
      await cli.send('last words\n');
      await s.readUntil('last words\n');
      await cli.kill();
      await s.waitFor(() => s.conn.error !== null, 'the truncation error');
      expect(s.conn.error).toMatchObject({ status: 'Truncated' });
    });
  });

  it('moves 1 MiB each way intact (s_client -quiet: us → stdout, stdin → us)', async () => {
    const server = await listen('ecdsa-p256');
    const cli = client(server, 'ecdsa-p256', ['-quiet']);
    const s = await server.accept();
    await s.handshake();

    const down = randomBytes(MiB);
    await s.write(down);
    await cli.waitForStdoutLength(MiB);
    expect(cli.stdoutLength).toBe(MiB);
    expect(sha256(cli.stdoutBytes)).toBe(sha256(down));

    const up = randomBytes(MiB);
    await cli.send(up);
    const got = await s.readExactly(MiB);
    expect(sha256(got)).toBe(sha256(up));

    cli.endInput();
    await s.close();
    const { code } = await cli.waitForExit();
    expect(code, cli.transcript()).toBe(0);
    expect(s.conn.error).toBeNull();
  });
});
