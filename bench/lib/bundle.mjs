// Client-only bundle size per provider: esbuild bundles a small client program (make a
// client, pump bytes, read) from the built package, minified, then gzip -9. Peers: subtls
// (its client) and node-forge (its TLS + PKI, which cannot be tree-shaken: CommonJS).
// Node `tls` is built into the runtime: no download.
import { gzipSync } from 'node:zlib';
import { reasonOf } from './measure.mjs';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { distPath } from './dist.mjs';

/** The client program bundled for each provider. */
const clientProgram = (index, cryptoExpr, extraImport = '') => `
import { TlsConnection } from ${JSON.stringify(index)};
${extraImport}
export async function run(ca, sendBytes, nextBytes) {
  const c = TlsConnection.client({ servername: 'example.com', ca, crypto: ${cryptoExpr} });
  await c.process();
  for (;;) {
    const out = c.takeOutput();
    if (out) sendBytes(out);
    if (c.handshakeComplete) break;
    const input = await nextBytes();
    if (!input) throw c.error ?? new Error('closed');
    c.receive(input);
    await c.process();
    if (c.error) throw c.error;
  }
  c.write(new TextEncoder().encode('GET / HTTP/1.0\\r\\n\\r\\n'));
  sendBytes(c.takeOutput());
  return c;
}
`;

async function measure(esbuild, contents, resolveDir, platform, external = []) {
  const r = await esbuild.build({
    stdin: { contents, resolveDir, loader: 'js', sourcefile: 'entry.mjs' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform,
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    metafile: false,
    external,
  });
  const code = r.outputFiles[0].contents;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length };
}

/** Runs the bundle-size figure. */
export async function bundleFigure(ctx) {
  const { providers, root, log } = ctx;
  log('bundle sizes');
  const entries = [];
  let esbuild = null;
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    esbuild = { error: e };
  }
  // The client-only entry (puretls/client: no server code, TLS 1.2 and OCSP only when
  // passed in) when the build has it, else the runtime-neutral entry.
  const clientEntry = existsSync(distPath('client.js'));
  const index = distPath(clientEntry ? 'client.js' : 'index.js');
  const add = async (name, kind, contents, platform, note, external) => {
    if (esbuild.error) return entries.push({ name, kind, unavailable: `esbuild cannot be loaded: ${reasonOf(esbuild.error)}` });
    try {
      const s = await measure(esbuild, contents, root, platform, external);
      entries.push({ name, kind, value: { median: s.gzip / 1000, min: s.gzip / 1000, max: s.gzip / 1000, n: 1 }, minifiedKB: s.minified / 1000, note });
    } catch (e) {
      const why = e.errors?.map((x) => `${x.text}${x.location ? ` (${x.location.file}:${x.location.line})` : ''}`).join('; ');
      entries.push({ name, kind, unavailable: `bundling failed: ${why || reasonOf(e)}` });
    }
  };
  for (const p of providers) {
    const name = `puretls (${p.name})`;
    if (!p.available) {
      entries.push({ name, kind: 'provider', unavailable: p.reason });
      continue;
    }
    const platform = p.name === 'native' ? 'node' : 'browser';
    let program;
    let from = clientEntry ? 'dist/client.js' : 'dist/index.js';
    if (typeof p.option === 'string') {
      // A provider with its own entry point (puretls/native) is imported from it and passed
      // as an object, as a bundling user would (a bare side-effect import of an entry marked
      // side-effect free could be dropped by the bundler, and the name would not resolve).
      const entry = distPath(`${p.option}.js`);
      const exp = `${p.option}Provider`;
      const hasExport = existsSync(entry) && exp in (await import(pathToFileURL(entry).href));
      program = hasExport ? clientProgram(index, exp, `import { ${exp} } from ${JSON.stringify(entry)};`) : clientProgram(index, JSON.stringify(p.option));
      if (hasExport) from += ` + ${exp} from dist/${p.option}.js`;
    }
    else if (p.module) {
      const [file, exp] = p.module.split('#');
      program = clientProgram(index, exp, `import { ${exp} } from ${JSON.stringify(distPath(file))};`);
      from += ` + ${exp} from dist/${file}`;
    } else program = clientProgram(index, 'nobleProvider', `import { nobleProvider } from ${JSON.stringify(index)};`);
    await add(name, 'provider', program, platform, `client program (${from}), platform ${platform}, minified + gzip -9`);
  }
  if (clientEntry && providers.some((p) => p.name === 'pure' && p.available)) {
    const full = distPath('index.js');
    await add('puretls (pure) from the full entry', 'reference', clientProgram(full, 'nobleProvider', `import { nobleProvider } from ${JSON.stringify(full)};`), 'browser', 'the same client program importing puretls (dist/index.js, client and server) instead of puretls/client');
  }
  await add('subtls', 'peer', `export { startTls, TrustedCert } from 'subtls';`, 'browser', "startTls + TrustedCert, minified + gzip -9; its Node fallback import('crypto') left external", ['crypto']);
  await add('node-forge', 'peer', `import forge from 'node-forge'; export const connect = (o) => forge.tls.createConnection(o); export const store = (c) => forge.pki.createCaStore(c);`, 'browser', 'CommonJS: the whole library stays; minified + gzip -9');
  entries.push({ name: 'node:tls', kind: 'baseline', unavailable: 'built into the runtime (no download)' });
  return {
    id: 'bundle.client',
    group: 'bundle',
    title: 'Client-only bundle size (esbuild, minified + gzip -9)',
    unit: 'KB (1000 bytes) min+gz',
    cpuUnit: null,
    higherIsBetter: false,
    baseline: null,
    entries,
  };
}
