/**
 * The layering of src/ (DESIGN.md §2, issue 8 item 8), checked from the import statements
 * so that it stays true:
 *
 * - the folder graph is acyclic (a cycle between folders is a design bug);
 * - `wire` imports no `record` or `handshake`; `record` imports no `handshake`; `crypto`
 *   and `verify` import neither `handshake` nor `record`;
 * - nothing in the core imports an adapter (`transport`), and nothing imports the entry
 *   points at the root (`index.ts`, `cli.ts`); the CLI's tools (`tools`) may use an adapter
 *   and are imported by the entry points only;
 * - the runtime-neutral entry (`src/index.ts`) reaches no `node:` module and not
 *   `@peculiar/x509` (which only issues test certificates, from `puretls/testing`);
 * - `node:crypto` is imported by the native provider (`crypto/native.ts`) and its part for
 *   identity files (`identity/native.ts`: PBKDF2 and DES-EDE3 for PKCS#12 and encrypted keys)
 *   alone, so it is reached only from entries that load them (`puretls/node`, `puretls/native`).
 *
 * A fixture shows each rule catching a forbidden import.
 */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** One source file and what it imports (resolved paths relative to src/, or bare specifiers). */
export interface SourceFile {
  readonly file: string;
  /** Static imports, `export ... from` and dynamic `import()` with a literal. */
  readonly imports: readonly string[];
}

/** Reads every .ts file under src/ with its imports (type-only imports included: they shape the layering too). */
function readSources(): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.ts')) out.push({ file: path.relative(SRC, full), imports: importsOf(full) });
    }
  };
  walk(SRC);
  return out;
}

function importsOf(full: string): string[] {
  const text = readFileSync(full, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1]!);
  return specs.map((s) => (s.startsWith('.') ? path.normalize(path.join(path.dirname(path.relative(SRC, full)), s)).replace(/\.js$/, '.ts') : s));
}

/** The folder of a src/-relative file: '' for the entry points at the root, '.' for any other root file. */
function folderOf(file: string): string {
  const d = path.dirname(file);
  if (d === '.') return ENTRY_FILES.has(file) ? '' : '.';
  return d.split(path.sep)[0]!;
}

const ENTRY_FILES = new Set(['index.ts', 'client.ts', 'webcrypto.ts', 'cli.ts', 'native.ts']);

/** The one module allowed to import `node:crypto`. */
const NATIVE_PROVIDER = path.join('crypto', 'native.ts');
/** The native provider's part for identity files (src/identity/native.ts), loaded by the same entries. */
const NATIVE_IDENTITY = path.join('identity', 'native.ts');

/** Forbidden folder → folder edges (besides "no cycles"). */
const FORBIDDEN: readonly [string, readonly string[]][] = [
  ['wire', ['record', 'handshake']],
  ['record', ['handshake']],
  ['crypto', ['handshake', 'record']],
  ['verify', ['handshake', 'record']],
];

/** Every rule broken by `sources`, as readable lines (empty: all hold). */
export function layeringViolations(sources: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  const edges = new Map<string, Set<string>>();
  const byFile = new Map(sources.map((s) => [s.file, s]));
  for (const s of sources) {
    const from = folderOf(s.file);
    for (const imp of s.imports) {
      if (!imp.endsWith('.ts')) continue;
      if (ENTRY_FILES.has(imp)) problems.push(`${s.file} imports the entry point ${imp}`);
      const to = folderOf(imp);
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
      for (const [f, bad] of FORBIDDEN) if (from === f && bad.includes(to)) problems.push(`${s.file} (${f}) imports ${imp} (${to})`);
      // src/tools holds the CLI's subcommands (issue 9 item 7): command-line code like cli.ts, so it
      // may drive an adapter, and only the entry points may import it.
      if (to === 'transport' && from !== '' && from !== 'transport' && from !== 'tools') problems.push(`${s.file} (core) imports the adapter ${imp}`);
      if (to === 'tools' && from !== '' && from !== 'tools') problems.push(`${s.file} imports the CLI tool ${imp}`);
    }
    // Issue 9 item 3: one module binds the engine to node:crypto.
    if (s.file !== NATIVE_PROVIDER && s.file !== NATIVE_IDENTITY && s.imports.includes('node:crypto')) problems.push(`${s.file} imports node:crypto (only ${NATIVE_PROVIDER} may)`);
  }
  // Cycles between folders (the entry points excluded: they import everything and nothing imports them).
  const folders = [...edges.keys()].filter((f) => f !== '');
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const dfs = (f: string): void => {
    state.set(f, 'visiting');
    stack.push(f);
    for (const g of edges.get(f) ?? []) {
      if (g === '') continue;
      if (state.get(g) === 'visiting') problems.push(`folder cycle: ${[...stack.slice(stack.indexOf(g)), g].join(' → ')}`);
      else if (!state.has(g)) dfs(g);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of folders.sort()) if (!state.has(f)) dfs(f);
  // The runtime-neutral entries (puretls, puretls/client) reach no node: module.
  for (const entry of ['index.ts', 'client.ts', 'webcrypto.ts']) {
    const seen = new Set<string>();
    const reach = (file: string, via: string[]): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const imp of byFile.get(file)?.imports ?? []) {
        // No node: module, and not the certificate-issuing library (test PKIs only, DESIGN.md §2).
        if (imp.startsWith('node:') || imp === '@peculiar/x509') problems.push(`${entry} reaches ${imp} via ${[...via, file].join(' → ')}`);
        else if (imp.endsWith('.ts')) reach(imp, [...via, file]);
      }
    };
    if (byFile.has(entry)) reach(entry, []);
  }
  return problems;
}

describe('layering of src/', () => {
  it('holds for the source tree', () => {
    expect(layeringViolations(readSources())).toEqual([]);
  });

  it('catches each kind of forbidden import (fixture)', () => {
    const ok: SourceFile[] = [
      { file: 'index.ts', imports: ['engine/connection.ts'] },
      { file: 'engine/connection.ts', imports: ['handshake/state.ts', 'record/layer.ts'] },
      { file: 'handshake/state.ts', imports: ['record/layer.ts', 'wire/codes.ts'] },
      { file: 'record/layer.ts', imports: ['wire/codes.ts'] },
      { file: 'wire/codes.ts', imports: [] },
      { file: 'transport/node.ts', imports: ['engine/connection.ts', 'node:net'] },
    ];
    expect(layeringViolations(ok)).toEqual([]);
    const add = (file: string, imp: string): SourceFile[] => ok.map((s) => (s.file === file ? { ...s, imports: [...s.imports, imp] } : s));
    expect(layeringViolations(add('wire/codes.ts', 'record/layer.ts')).join('\n')).toMatch(/wire\/codes.ts \(wire\) imports record\/layer.ts/);
    expect(layeringViolations(add('record/layer.ts', 'handshake/state.ts')).join('\n')).toMatch(/\(record\) imports handshake/);
    expect(layeringViolations(add('handshake/state.ts', 'transport/node.ts')).join('\n')).toMatch(/core\) imports the adapter/);
    const withTool: SourceFile[] = [...ok, { file: 'tools/bench.ts', imports: ['transport/node.ts'] }];
    expect(layeringViolations(withTool)).toEqual([]);
    expect(layeringViolations(withTool.map((s) => (s.file === 'engine/connection.ts' ? { ...s, imports: [...s.imports, 'tools/bench.ts'] } : s))).join('\n')).toMatch(
      /engine\/connection.ts imports the CLI tool tools\/bench.ts/,
    );
    expect(layeringViolations(add('handshake/state.ts', 'engine/connection.ts')).join('\n')).toMatch(/folder cycle: engine → handshake → engine|folder cycle: handshake → engine → handshake/);
    expect(layeringViolations(add('engine/connection.ts', 'node:crypto')).join('\n')).toMatch(/index.ts reaches node:crypto via index.ts → engine\/connection.ts/);
    expect(layeringViolations(add('wire/codes.ts', 'index.ts')).join('\n')).toMatch(/imports the entry point index.ts/);
    expect(layeringViolations(add('record/layer.ts', '@peculiar/x509')).join('\n')).toMatch(/index.ts reaches @peculiar\/x509/);
    // node:crypto: allowed in the native provider (reached from an adapter), refused elsewhere, and never reached from index.ts.
    const withNative: SourceFile[] = [
      ...ok.map((s) => (s.file === 'transport/node.ts' ? { ...s, imports: [...s.imports, 'crypto/native.ts'] } : s)),
      { file: 'crypto/native.ts', imports: ['node:crypto'] },
    ];
    expect(layeringViolations(withNative)).toEqual([]);
    expect(layeringViolations(withNative.map((s) => (s.file === 'transport/node.ts' ? { ...s, imports: [...s.imports, 'node:crypto'] } : s))).join('\n')).toMatch(
      /transport\/node.ts imports node:crypto \(only crypto\/native.ts may\)/,
    );
    expect(layeringViolations(withNative.map((s) => (s.file === 'engine/connection.ts' ? { ...s, imports: [...s.imports, 'crypto/native.ts'] } : s))).join('\n')).toMatch(
      /index.ts reaches node:crypto via index.ts → engine\/connection.ts → crypto\/native.ts/,
    );
  });
});
