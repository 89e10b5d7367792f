#!/usr/bin/env node
// npm run fuzz -- --target NAME --time S   (see test/fuzz/README.md; --list names the targets)
// Compiles src/ and test/fuzz/ (Node 20 cannot run TypeScript), then runs test/fuzz/main.ts.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { build, repoRoot } from './build.mjs';

const out = build({ quiet: process.argv.includes('--json') });
const r = spawnSync(process.execPath, ['--expose-gc', path.join(out, 'test', 'fuzz', 'main.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: repoRoot,
  env: { ...process.env, PURETLS_FUZZ_ROOT: repoRoot },
});
process.exit(r.status ?? 2);
