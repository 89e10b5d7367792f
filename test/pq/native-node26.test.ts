/**
 * Issue 12, providers: the native provider's ML-KEM is node:crypto's where the runtime has it
 * (Node ≥ 24.7 with OpenSSL 3.5) and pure code otherwise; both are checked against each other.
 *
 * Our tests run on Node 20 (no ML-KEM in node:crypto): here the native provider falls back to
 * pure ML-KEM and says so in `delegated`. The native ML-KEM path runs under Node 26 in a child
 * process (test/pq/node26-child.ts, bundled with esbuild): cross-checks against the pure
 * provider (same client share from the same key bytes; each side's encapsulation decapsulates
 * on the other; the same refusals), and our engine on the native provider against Node 26's
 * own `tls` (OpenSSL 3.5) in both roles, each hybrid pinned, the defaults, and an HRR.
 */
import { execFile } from 'node:child_process';
import * as nodeCrypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeProvider } from '../../src/crypto/native.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { makePkiFiles, removeTempDirs, skipNote, type PkiFiles } from '../helpers/peers.js';
import { HYBRIDS, NODE26, node26Available } from './helpers.js';

const run = promisify(execFile);
const node26 = node26Available();
if (!node26.ok) console.warn(`[pq] native ML-KEM under Node 26 skipped: ${node26.detail}`);

describe('native provider on this runtime (Node 20: no ML-KEM in node:crypto)', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  });

  it('lists the hybrids, and says ML-KEM runs in pure code when node:crypto has none', () => {
    expect(nativeProvider.groups.slice(0, 3)).toEqual([0x11ec, 0x11eb, 0x11ed]);
    const hasKem = typeof (nodeCrypto as { encapsulate?: unknown }).encapsulate === 'function';
    expect(nativeProvider.delegated).toEqual(hasKem ? [] : ['kem ML-KEM → pure']);
  });

  for (const h of HYBRIDS) {
    it(`${h.name}: native client ↔ pure server and pure client ↔ native server`, async () => {
      for (const [c, s] of [
        [nativeProvider, nobleProvider],
        [nobleProvider, nativeProvider],
      ] as const) {
        const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: c, groups: [h.name] });
        const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: s });
        await pump(client, server);
        expect(client.error ?? server.error).toBeNull();
        expect([client.info.group, server.info.group]).toEqual([h.name, h.name]);
      }
    });
  }
});

describe.skipIf(!node26.ok)(`native ML-KEM under Node 26 (${node26.detail})${skipNote(node26)}`, () => {
  let dir = '';
  let child = '';
  let files: PkiFiles;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'puretls-pq-'));
    child = path.join(dir, 'node26-child.mjs');
    await build({ entryPoints: [path.join(import.meta.dirname, 'node26-child.ts')], bundle: true, platform: 'node', format: 'esm', outfile: child, logLevel: 'silent' });
    files = await makePkiFiles('ecdsa-p256');
  }, 60_000);
  afterAll(() => {
    removeTempDirs();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function child26(mode: string, opts: object = {}): Promise<Record<string, unknown>> {
    const { stdout } = await run(NODE26, [child, mode, JSON.stringify(opts)], { timeout: 120_000, maxBuffer: 1 << 22 });
    const line = stdout.split('\n').find((l) => l.startsWith('{'));
    return JSON.parse(line!) as Record<string, unknown>;
  }

  it('node:crypto ML-KEM is used (nothing delegated), and agrees with the pure provider both ways for every hybrid', async () => {
    const r = await child26('crosscheck');
    expect(r.node).toMatch(/^v2[4-9]|^v[3-9]\d/);
    expect(r.delegated).toEqual([]);
    const results = r.results as Record<string, unknown>[];
    const rounds = results.filter((x) => 'round' in x);
    expect(rounds).toHaveLength(9);
    for (const x of rounds) {
      const h = HYBRIDS.find((g) => g.name === x.group)!;
      expect(x, JSON.stringify(x)).toMatchObject({
        samePublic: true,
        publicLength: h.client,
        pureClientNativeServer: true,
        nativeClientPureServer: true,
        serverLengths: [h.server, h.server],
      });
    }
    for (const x of results.filter((y) => 'refuses' in y)) {
      const { native, pure } = x.refuses as { native: Record<string, string>; pure: Record<string, string> };
      expect(native, String(x.group)).toEqual({ short: 'IllegalParameter', long: 'IllegalParameter', badModulus: 'IllegalParameter', badPoint: 'IllegalParameter', serverShort: 'IllegalParameter' });
      expect(pure, String(x.group)).toEqual({ short: 'IllegalParameter', long: 'IllegalParameter', badModulus: 'IllegalParameter', badPoint: 'IllegalParameter' });
    }
  });

  it('our engine on the native provider ↔ Node 26 tls: each hybrid pinned both roles, both defaults, an HRR', async () => {
    const r = await child26('interop', { ca: files.caFile, cert: files.chainFile, key: files.keyFile });
    const cases = Object.fromEntries((r.cases as Record<string, unknown>[]).map((c) => [c.case, c]));
    for (const h of HYBRIDS) {
      expect(cases[`client ${h.name}`]).toMatchObject({ ok: true, group: h.name, hrr: false, provider: 'native', delegated: [] });
      expect(cases[`server ${h.name}`]).toMatchObject({ ok: true, peerGroup: h.name, group: h.name, hrr: false, provider: 'native', delegated: [] });
    }
    expect(cases['client default']).toMatchObject({ ok: true, group: 'X25519MLKEM768', hrr: false });
    expect(cases['server default']).toMatchObject({ ok: true, peerGroup: 'X25519MLKEM768', group: 'X25519MLKEM768', hrr: false });
    expect(cases['server hrr']).toMatchObject({ ok: true, peerGroup: 'X25519MLKEM768', group: 'X25519MLKEM768', hrr: true });
  });
});
