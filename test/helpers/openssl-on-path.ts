/** Whether the `openssl` command-line tool is there, for tests that cross-check with it. */
import { execFileSync } from 'node:child_process';

/**
 * Does `openssl version` run? When it does not, warns that `skipped` (what the caller
 * leaves out without it) is skipped.
 */
export function opensslOnPath(skipped: string): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn(`openssl not found on PATH: skipping ${skipped}`);
    return false;
  }
}
