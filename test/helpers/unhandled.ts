/**
 * Fails a test file if a promise rejection went unhandled (and, with `uncaught`, if an
 * exception went uncaught) while its tests ran: hostile-input campaigns check that a failure
 * is always reported through the API, never left floating.
 */
import { afterAll, beforeAll, expect } from 'vitest';

/** Registers the file-level hooks; call once at the top level of a test file. */
export function failOnUnhandled(options: { uncaught?: boolean } = {}): void {
  const seen: unknown[] = [];
  const on = (e: unknown): void => {
    seen.push(e);
  };
  beforeAll(() => {
    process.on('unhandledRejection', on);
    if (options.uncaught) process.on('uncaughtException', on);
  });
  afterAll(() => {
    process.off('unhandledRejection', on);
    if (options.uncaught) process.off('uncaughtException', on);
    expect(seen.map((e) => String(e instanceof Error ? e.stack : e))).toEqual([]);
  });
}
