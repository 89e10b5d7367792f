import { expect } from 'vitest';
import { TlsError, type TlsStatus } from '../../../src/errors.js';

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
