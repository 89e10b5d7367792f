// Where the built package is: ./dist by default, or the folder named by the environment
// variable PURETLS_BENCH_DIST (test/bench builds a private copy there, so that another test
// rebuilding ./dist at the same time cannot hand the benchmark a half-written file).
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Absolute path of the dist folder. */
export const DIST_DIR = process.env.PURETLS_BENCH_DIST ? resolve(process.env.PURETLS_BENCH_DIST) : fileURLToPath(new URL('../../dist', import.meta.url));

/** A file of the dist folder, as an import() specifier. */
export const distUrl = (rel) => pathToFileURL(resolve(DIST_DIR, rel)).href;

/** A file of the dist folder, as a path. */
export const distPath = (rel) => resolve(DIST_DIR, rel);
