/**
 * Interop: bench/stime.mjs, the side-by-side of `openssl s_time` and the built
 * `puretls bench` against one `openssl s_server` (issue 9 item 7), run for one short round:
 *
 * - full handshakes: it learns what OpenSSL's client negotiates (TLS 1.3, its suite and
 *   group) and puretls bench negotiates exactly that (the script refuses a mismatch); every
 *   client made handshakes, and the table has every row with a ratio to s_time;
 * - resumed handshakes (`--reuse --www /`): s_time's connections are all marked resumed ('r')
 *   and puretls bench's are all resumed (after its full warm-up one).
 *
 * No timing is asserted: one short round on a shared machine means nothing. The command is
 * compiled into tmp/ of the checkout (as test/interop/bench-openssl.test.ts does).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslAvailable, skipNote } from '../helpers/peers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const openssl = opensslAvailable();
if (!openssl.ok) console.warn(`[interop] bench-stime tests skipped: ${openssl.detail}`);

interface Run {
  rate: number | null;
  handshakes: number;
  resumed?: number;
  clientMs: number | null;
  serverMs: number | null;
}
interface Result {
  params: { clients: string[]; reuse: boolean; www: string | null };
  servers: Record<string, { negotiated: { version: string; cipherSuite: string; group: string; signature: string }; rounds: Record<string, Run>[]; summary: Record<string, { rate: number | null; ratioToSTime: number | null }> }>;
}

let buildDir = '';

function stime(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string; json: Result }> {
  const out = join(buildDir, `stime-${Date.now()}.json`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(ROOT, 'bench', 'stime.mjs'), '--cli', join(buildDir, 'cli.js'), '--json', out, ...args], { cwd: ROOT, timeout: 180_000 }, (err, stdout, stderr) => {
      if (err && !existsSync(out)) {
        reject(new Error(`bench/stime.mjs failed: ${err.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ code: err ? 1 : 0, stdout, stderr, json: JSON.parse(readFileSync(out, 'utf8')) as Result });
    });
  });
}

describe.skipIf(!openssl.ok)(`bench/stime.mjs: s_time and puretls bench against one s_server${skipNote(openssl)}`, () => {
  beforeAll(() => {
    mkdirSync(join(ROOT, 'tmp'), { recursive: true });
    buildDir = mkdtempSync(join(ROOT, 'tmp', 'bench-stime-'));
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--outDir', buildDir, '--declaration', 'false', '--sourceMap', 'false'], { cwd: ROOT, stdio: 'inherit' });
  }, 240_000);
  afterAll(() => {
    if (buildDir !== '' && existsSync(buildDir)) rmSync(buildDir, { recursive: true, force: true });
  });

  it('full handshakes: puretls bench negotiates what OpenSSL’s client does, every client is measured, the table has the ratios', async () => {
    const r = await stime(['--rounds', '1', '--time', '1', '--keys', 'ec', '--clients', 'stime,native,node', '--warmup', '5']);
    expect(r.code).toBe(0);
    const ec = r.json.servers.ec!;
    expect(ec.negotiated).toEqual({ version: 'TLSv1.3', cipherSuite: 'TLS_AES_256_GCM_SHA384', group: 'x25519', signature: 'ECDSA' });
    expect(ec.rounds).toHaveLength(1);
    for (const c of ['stime', 'native', 'node']) {
      const run = ec.rounds[0]![c]!;
      expect(run.handshakes).toBeGreaterThan(0);
      expect(run.rate).toBeGreaterThan(0);
      expect(run.clientMs).toBeGreaterThan(0);
      if (process.platform === 'linux') expect(run.serverMs).toBeGreaterThan(0);
      expect(ec.summary[c]!.ratioToSTime).toBeGreaterThan(0);
    }
    expect(ec.summary.stime!.ratioToSTime).toBe(1);
    expect(r.stdout).toMatch(/^\| `openssl s_time -new` \| /m);
    expect(r.stdout).toMatch(/^\| `puretls bench --crypto native` \| /m);
    expect(r.stdout).toMatch(/^\| Node `tls\.connect` loop \| /m);
  });

  it('--reuse --www /: every timed connection of s_time and of puretls bench is a resumed handshake', async () => {
    const r = await stime(['--rounds', '1', '--time', '1', '--keys', 'ec', '--clients', 'stime,native', '--warmup', '2', '--reuse', '--www', '/']);
    expect(r.code).toBe(0);
    const round = r.json.servers.ec!.rounds[0]!;
    expect(round.stime!.handshakes).toBeGreaterThan(0);
    expect(round.stime!.resumed).toBe(round.stime!.handshakes);
    expect(round.native!.handshakes).toBeGreaterThan(0);
    expect(round.native!.resumed).toBe(round.native!.handshakes);
    expect(r.stdout).toMatch(/^\| `openssl s_time -reuse` \| /m);
  });

  it('refuses what it cannot compare: --clients without s_time, the Node client with --reuse', async () => {
    for (const args of [['--clients', 'native'], ['--reuse', '--clients', 'stime,node']]) {
      await expect(stime(args)).rejects.toThrow(/--clients must include stime|the Node client does neither/);
    }
  });
});
