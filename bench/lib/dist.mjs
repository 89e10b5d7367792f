// Where the built package is: ./dist by default, or the folder named by the environment
// variable PURETLS_BENCH_DIST (test/bench builds a private copy there, so that another test
// rebuilding ./dist at the same time cannot hand the benchmark a half-written file).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Absolute path of the dist folder. */
export const DIST_DIR = process.env.PURETLS_BENCH_DIST ? resolve(process.env.PURETLS_BENCH_DIST) : fileURLToPath(new URL('../../dist', import.meta.url));

/** A file of the dist folder, as an import() specifier. */
export const distUrl = (rel) => pathToFileURL(resolve(DIST_DIR, rel)).href;

/** A file of the dist folder, as a path. */
export const distPath = (rel) => resolve(DIST_DIR, rel);

/**
 * The entry point a provider name needs loaded before it can be named, if the build has one
 * (`puretls/native` is dist/native.js: importing it makes `crypto: 'native'` resolvable in
 * the runtime-neutral entry). Imports it; returns its path relative to dist, or null.
 */
export async function loadProviderEntry(name) {
  const rel = `${name}.js`;
  if (!existsSync(distPath(rel))) return null;
  await import(distUrl(rel));
  return rel;
}
