/**
 * CI: every fuzz target runs for a few seconds with a fixed seed (through `npm run fuzz`,
 * the same path a developer uses: compiled, in a worker with a hang watchdog), and none may
 * report a finding. The differential targets need /usr/bin/python3 with `cryptography`
 * (Debian: python3-cryptography); without it they are skipped, saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TargetResult } from './main.js';

const root = path.resolve(import.meta.dirname, '..', '..');
const SECONDS_PER_TARGET = Number(process.env['PURETLS_FUZZ_CI_SECONDS'] ?? '2');
const SEED = 20260701;

function listTargets(): string[] {
  const r = spawnSync(process.execPath, [path.join(root, 'test', 'fuzz', 'fuzz.mjs'), '--list'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fuzz --list failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!);
}

function pythonMissing(): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  if (r.error) return '/usr/bin/python3 is missing (install python3 and python3-cryptography)';
  if (r.status !== 0) return "/usr/bin/python3 has no 'cryptography' module (install the Debian package python3-cryptography)";
  return null;
}

const targets = listTargets();
/** Why the differential peer (python3 with python3-cryptography) is absent, or null. */
const pythonCryptographyMissing = pythonMissing();
const results = new Map<string, TargetResult>();
let runError = '';

describe('fuzz targets (fixed seed, a few seconds each)', () => {
  beforeAll(async () => {
    const findingsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-fuzz-ci-'));
    const args = [path.join(root, 'test', 'fuzz', 'fuzz.mjs'), '--target', 'all', '--time', String(SECONDS_PER_TARGET), '--seed', String(SEED), '--json', '--findings-dir', findingsDir, '--corpus-dir', 'none'];
    const out = await new Promise<string>((resolve) => {
      const p = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('close', (code) => {
        if (code !== 0 && code !== 1) runError = `fuzz exited ${code}: ${stderr.slice(-2000)}`;
        resolve(stdout);
      });
    });
    for (const line of out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const r = JSON.parse(line) as TargetResult;
      results.set(r.target, r);
    }
  }, 240_000);

  for (const name of targets) {
    const diff = name.startsWith('diff-');
    const title = diff && pythonCryptographyMissing ? `${name} (skipped: peer python3-cryptography absent: ${pythonCryptographyMissing})` : name;
    it.skipIf(diff && pythonCryptographyMissing !== null)(title, () => {
      expect(runError).toBe('');
      const r = results.get(name);
      expect(r, `no result for ${name}`).toBeDefined();
      expect(r!.error ?? '').toBe('');
      expect(r!.skipped ?? '').toBe('');
      expect(r!.execs).toBeGreaterThan(0);
      const found = r!.findings.map((f) => `${f.kind}: ${f.message} (${f.file})`);
      expect(found, `findings of ${name}`).toEqual([]);
    });
  }
});
