/**
 * Issue 11 item 10: what `npm publish` would ship.
 * - a LICENSE that matches package.json's `license`;
 * - no shipped file refers to a document that is not shipped: relative Markdown links and
 *   images, `*.md` names, and paths of this machine's notes (`/work/...`, `notes/`, `shared/`)
 *   are resolved against the file list of `npm pack --dry-run --json`;
 * - the declaration files type-check for a consumer without the DOM lib and with
 *   `skipLibCheck: false`: a runtime-neutral consumer with no ambient types at all, and a
 *   Node consumer with `@types/node` (the `.d.ts` are built into a temporary directory, so the
 *   checkout's own `dist` is not touched);
 * - the README starts with `npm install puretls` and keeps its two set-up commands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  license: string;
  files: string[];
  exports: Record<string, { types: string; default: string }>;
};

/** Paths `npm pack` would ship (from the checkout; `dist/` may be absent before a build). */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const parsed = JSON.parse(out) as { files: { path: string }[] }[];
  return parsed[0]!.files.map((f) => f.path);
}

let files: string[] = [];
let shipped: Set<string>;
let tmp: string;

beforeAll(() => {
  files = packedFiles();
  shipped = new Set(files);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-pack-'));
}, 120_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the package as npm would publish it', () => {
  it('ships a LICENSE matching package.json, the README and the sources', () => {
    expect(pkg.license).toBe('MIT');
    expect(files).toContain('LICENSE');
    const license = fs.readFileSync(path.join(root, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe('MIT License');
    expect(license).toMatch(/^Copyright \(c\) \d{4} /m);
    expect(license).toContain('Permission is hereby granted, free of charge');
    expect(files).toContain('README.md');
    expect(files).toContain('src/index.ts');
    // Only what "files" names (npm adds package.json, README and LICENSE itself).
    const allowed = [...pkg.files, 'package.json', 'README.md', 'LICENSE'];
    expect(files.filter((f) => !allowed.some((a) => f === a || f.startsWith(`${a}/`)))).toEqual([]);
  });

  it('no shipped file refers to a document that is not shipped', () => {
    // A bare `name.md` resolves to a shipped file of that name; a path resolves from the
    // referring file's folder or the package root; dist/ counts as shipped (built on publish).
    const isShipped = (from: string, ref: string): boolean => {
      const clean = ref.replace(/[#?].*$/, '');
      if (clean === '') return true;
      const cands = [path.posix.normalize(path.posix.join(path.posix.dirname(from), clean)), path.posix.normalize(clean.replace(/^\.\//, ''))];
      for (const c of cands) {
        if (shipped.has(c) || shipped.has(c.replace(/\/$/, '')) || files.some((f) => f.startsWith(`${c.replace(/\/$/, '')}/`))) return true;
        if (c.startsWith('dist/')) return true;
      }
      return !clean.includes('/') && files.some((f) => path.posix.basename(f) === clean);
    };
    const problems: string[] = [];
    for (const f of files) {
      if (!/\.(md|ts|js|mjs|cjs|json|txt)$/.test(f) || f.startsWith('dist/')) continue;
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const refs = new Set<string>();
      if (f.endsWith('.md')) {
        // Markdown links and images with a relative target.
        for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = m[1]!;
          if (!/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(target)) refs.add(target);
        }
      }
      for (const m of text.matchAll(/(?<![\w/.-])((?:[\w.-]+\/)*[\w-][\w.-]*\.md)\b/g)) refs.add(m[1]!);
      for (const m of text.matchAll(/(?<![\w])(\/work\/[\w./-]+|(?:notes|shared)\/[\w./-]+)/g)) problems.push(`${f}: refers to ${m[1]} (a path of the development machine)`);
      for (const r of refs) if (!isShipped(f, r)) problems.push(`${f}: refers to ${r}, which is not shipped`);
    }
    expect(problems).toEqual([]);
  });

  it('the README starts with `npm install puretls` and keeps its two set-up commands', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const lines = readme.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toBe('# puretls');
    expect(lines.slice(1, 4)).toEqual(['```sh', 'npm install puretls', '```']);
    expect(readme).toContain('\nnpm ci && npx puretls demo\n');
    expect(readme).toContain('\nnpm ci && npm test\n');
    // What those commands run exists.
    const scripts = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> });
    expect(scripts.scripts.test).toBe('vitest run');
    expect(scripts.bin.puretls).toBe('dist/cli.js');
    expect(fs.readFileSync(path.join(root, 'src/cli.ts'), 'utf8')).toMatch(/['"]demo['"]/);
  });
});

describe('declaration files: no DOM lib, skipLibCheck false', () => {
  let pkgDir: string;

  beforeAll(() => {
    pkgDir = path.join(tmp, 'pkg');
    fs.mkdirSync(pkgDir, { recursive: true });
    // The .d.ts exactly as `npm run build` makes them (same tsconfig), into a temporary dist.
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json'), '--outDir', path.join(pkgDir, 'dist'), '--emitDeclarationOnly', '--declarationMap', 'false', '--sourceMap', 'false'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    fs.copyFileSync(path.join(root, 'package.json'), path.join(pkgDir, 'package.json'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkgDir, 'node_modules'), 'dir');
  }, 240_000);

  /** Type-checks `source` as a consumer of the package; returns tsc's output ('' when clean). */
  function consumer(name: string, source: string, types: string[]): string {
    const dir = path.join(tmp, name);
    fs.mkdirSync(path.join(dir, 'node_modules', '@types'), { recursive: true });
    fs.symlinkSync(pkgDir, path.join(dir, 'node_modules', 'puretls'), 'dir');
    for (const t of types) fs.symlinkSync(path.join(root, 'node_modules', '@types', t), path.join(dir, 'node_modules', '@types', t), 'dir');
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
    fs.writeFileSync(path.join(dir, 'main.ts'), source);
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types, skipLibCheck: false, noEmit: true },
        files: ['main.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
  }

  it('every runtime-neutral entry, with no ambient types at all (lib ES2022 only)', () => {
    // The runtime adapters need their runtime's types (Node's, or Web Streams from @types/node
    // or the DOM); the next case checks them with @types/node.
    const neutral = Object.keys(pkg.exports).filter((e) => !['./node', './native', './deno', './bun', './web'].includes(e));
    expect(neutral).toContain('.');
    const src = neutral.map((e, i) => `import * as m${i} from '${e === '.' ? 'puretls' : `puretls/${e.slice(2)}`}';`).join('\n');
    const use = `\nexport const all: unknown[] = [${neutral.map((_, i) => `m${i}`).join(', ')}];\n`;
    const probe = `import { getErrorStatus, TlsError } from 'puretls';\nexport const s: string = getErrorStatus(new TlsError('Closed'));\n`;
    expect(consumer('neutral', src + use + probe, [])).toBe('');
  });

  it('every entry with @types/node (no DOM lib), including the proxy and policy options', () => {
    const entries = Object.keys(pkg.exports);
    const src = entries.map((e, i) => `import * as m${i} from '${e === '.' ? 'puretls' : `puretls/${e.slice(2)}`}';`).join('\n');
    const use = `\nexport const all: unknown[] = [${entries.map((_, i) => `m${i}`).join(', ')}];\n`;
    const probe = [
      `import { connect, getErrorStatus, ProxyError } from 'puretls/node';`,
      `const s = connect({ host: 'example.com', port: 443, proxy: { url: 'http://127.0.0.1:3128', username: 'u', password: 'p' }, refusePrivateAddresses: true });`,
      `s.on('error', (e: Error) => { if (e instanceof ProxyError) console.log(e.statusLine); console.log(getErrorStatus(e)); });`,
      '',
    ].join('\n');
    expect(consumer('node', src + use + probe, ['node'])).toBe('');
  });

  it('the checks can fail: a DOM-only global in a consumer is an error here', () => {
    expect(consumer('negative', `import 'puretls';\nexport const d = document.title;\n`, [])).toMatch(/Cannot find name 'document'/);
  });
});
