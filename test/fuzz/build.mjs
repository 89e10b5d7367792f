// Compiles src/ and test/fuzz/ with the project's TypeScript into a temporary directory
// (Node 20 cannot run .ts), once per source change (tsc --incremental).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const fuzzDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(fuzzDir, '..', '..');

/** Returns the directory holding the compiled tree (src/ and test/fuzz/ under it). */
export function build({ quiet = false } = {}) {
  const tag = createHash('sha256').update(repoRoot).digest('hex').slice(0, 12);
  const out = process.env.PURETLS_FUZZ_BUILD ?? path.join(os.tmpdir(), `puretls-fuzz-build-${tag}`);
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  // Bare imports (@noble/..., typescript) resolve from the repository's node_modules.
  const link = path.join(out, 'node_modules');
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(repoRoot, 'node_modules'), link, 'dir');
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(fuzzDir, 'tsconfig.json'), '--outDir', out, '--tsBuildInfoFile', path.join(out, 'tsbuildinfo')], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`tsc failed (exit ${r.status})`);
  }
  if (!quiet) process.stderr.write(`fuzz: compiled to ${out} in ${Date.now() - t0} ms\n`);
  return out;
}
