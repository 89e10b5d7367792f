/** Assertions on the TlsErrors that synchronous decoders and record layers throw. */
import { expect } from 'vitest';
import { DEFAULT_ALERT, TlsError, type TlsStatus } from '../../src/base/errors.js';

/** Runs `fn`, asserts it throws a TlsError with `status`, and returns the error. */
export function expectStatus(fn: () => unknown, status: TlsStatus): TlsError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected TlsError ${status}`).toBeInstanceOf(TlsError);
  const err = caught as TlsError;
  expect(err.status, err.message).toBe(status);
  return err;
}

/** Runs `fn` and asserts it throws a TlsError with `status` (and the status' default alert). */
export function expectTlsError(fn: () => unknown, status: TlsStatus): TlsError {
  const err = expectStatus(fn, status);
  expect(err.alert).toBe(DEFAULT_ALERT[status] ?? null);
  return err;
}

/** 'ok' when `fn` returns, the TlsError's status when it throws one; anything else is rethrown. */
export function statusOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof TlsError) return e.status;
    throw e;
  }
}

/** undefined when `fn` returns, the TlsError's status when it throws one, `non-TlsError: …` for anything else. */
export function thrownStatus(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof TlsError ? e.status : `non-TlsError: ${String(e)}`;
  }
  return undefined;
}
