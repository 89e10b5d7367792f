/**
 * The `puretls/testing` entry point: where it is published, and the import boundaries
 * around it (read from the import statements of src/): the runtime-neutral entry reaches
 * neither the testing entry nor the test PKI generator, the testing entry reaches no
 * `node:` module (it runs wherever the engine runs), and only `puretls/testing/arbitraries`
 * imports fast-check (an optional peer dependency).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Module specifiers a source file imports, statically (import/export … from) or dynamically (import('…')). */
function specifiers(source: string): string[] {
  const out: string[] = [];
  const stripped = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of stripped.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g)) {
    if (!/^\s*(?:import|export)\s+type\b/.test(m[0])) out.push(m[1]!);
  }
  for (const m of stripped.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Every file of src/ reached from `entry` (paths relative to the repository), and every bare or `node:` specifier. */
function closure(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    const rel = relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    for (const s of specifiers(readFileSync(file, 'utf8'))) {
      if (s.startsWith('.')) todo.push(join(dirname(file), s.replace(/\.js$/, '.ts')));
      else if (!external.has(s)) external.set(s, rel);
    }
  }
  return { files, external };
}

describe('puretls/testing', () => {
  it('is published in package.json exports, with its types, built from src/testing/index.ts; the arbitraries as a subpath', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string; default: string }>;
      dependencies: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });
    expect(pkg.exports['./testing/arbitraries']).toEqual({ types: './dist/testing/arbitraries.d.ts', default: './dist/testing/arbitraries.js' });
    // fast-check: an optional peer, never a dependency of the package.
    expect(pkg.dependencies['fast-check']).toBeUndefined();
    expect(pkg.peerDependencies?.['fast-check']).toBeDefined();
    expect(pkg.peerDependenciesMeta?.['fast-check']?.optional).toBe(true);
  });

  it('only the arbitraries module imports fast-check; the testing entry does not reach it', () => {
    expect(closure('src/testing/index.ts').external.has('fast-check')).toBe(false);
    expect(closure('src/testing/arbitraries.ts').external.get('fast-check')).toBe('src/testing/arbitraries.ts');
    expect(closure('src/index.ts').external.has('fast-check')).toBe(false);
  });

  it('the runtime-neutral entry reaches neither the testing entry nor the test PKI generator', () => {
    const { files } = closure('src/index.ts');
    expect(files.has('src/engine/connection.ts')).toBe(true); // the walk works
    expect([...files].filter((f) => f.startsWith('src/testing/') || f === 'src/verify/generate.ts')).toEqual([]);
  });

  it('the runtime-neutral entry no longer exports generateTestPki (it moved here)', async () => {
    const neutral = await import('../../src/index.js');
    const testing = await import('../../src/testing/index.js');
    expect('generateTestPki' in neutral).toBe(false);
    expect(typeof testing.generateTestPki).toBe('function');
    expect(typeof testing.withTestHooks).toBe('function');
  });

  it('the testing entry and its arbitraries import no node: module', () => {
    for (const entry of ['src/testing/index.ts', 'src/testing/arbitraries.ts']) {
      const { external } = closure(entry);
      expect([...external].filter(([s]) => s.startsWith('node:'))).toEqual([]);
    }
  });
});
