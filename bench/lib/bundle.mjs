// Client-only bundle size per provider: esbuild bundles a small client program (make a
// client, pump bytes, read) from the built package, minified, then gzip -9. Peers: subtls
// (its client) and node-forge (its TLS + PKI, which cannot be tree-shaken: CommonJS).
// Node `tls` is built into the runtime: no download.
import { gzipSync } from 'node:zlib';
import { reasonOf } from './measure.mjs';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { distPath } from './dist.mjs';

/**
 * The client program bundled for each provider. `cryptoExpr` null: no `crypto` option (the
 * entry's own default); `modules`: names of puretls/client modules to import and pass.
 */
const clientProgram = (index, cryptoExpr, extraImport = '', modules = []) => `
import { TlsConnection${modules.map((m) => `, ${m}`).join('')} } from ${JSON.stringify(index)};
${extraImport}
export async function run(ca, sendBytes, nextBytes) {
  const c = TlsConnection.client({ servername: 'example.com', ca${cryptoExpr === null ? '' : `, crypto: ${cryptoExpr}`}${modules.length ? `, modules: [${modules.join(', ')}]` : ''} });
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

/**
 * The optional modules of puretls/client whose cost is reported one by one (README figures);
 * names the built entry does not export are skipped (a module another branch adds, such as a
 * post-quantum group, is measured once it exists).
 */
const CLIENT_MODULES = ['resumption', 'tls12', 'ocsp', 'identity', 'clientCertificates', 'secp256r1', 'secp384r1', 'chacha20', 'ed25519', 'x25519mlkem768', 'secp256r1mlkem768', 'secp384r1mlkem1024'];

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
    } else if (clientEntry) {
      // puretls/client's own pure provider: made of the modules passed (none here).
      program = clientProgram(index, null);
      from += ', its default pure provider, no modules';
    } else program = clientProgram(index, 'nobleProvider', `import { nobleProvider } from ${JSON.stringify(index)};`);
    await add(name, 'provider', program, platform, `client program (${from}), platform ${platform}, minified + gzip -9`);
  }
  if (clientEntry && providers.some((p) => p.name === 'pure' && p.available)) {
    // What each module costs on top of the bare client (README figures), and all of them.
    const exported = await import(pathToFileURL(index).href);
    const modules = CLIENT_MODULES.filter((m) => m in exported);
    const base = entries.find((e) => e.name === 'puretls (pure)')?.value?.median;
    for (const m of modules) {
      await add(`puretls (pure) + ${m}`, 'reference', clientProgram(index, null, '', [m]), 'browser', `the pure client program with modules: [${m}]`);
      const e = entries.at(-1);
      if (e.value && base !== undefined) e.note += `; +${(e.value.median - base).toFixed(1)} KB over no modules`;
    }
    if (modules.length > 1) await add('puretls (pure) + every module', 'reference', clientProgram(index, null, '', modules), 'browser', `modules: [${modules.join(', ')}]`);
    await add('puretls (pure) with nobleProvider', 'reference', clientProgram(index, 'nobleProvider', `import { nobleProvider } from ${JSON.stringify(index)};`), 'browser', 'puretls/client passing the full pure provider (every group, AEAD and signature) as crypto');
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
