/**
 * What counts as a bug: anything thrown that is not a TlsError; a TlsError that wraps a
 * programming error (InternalError with a foreign cause, a TypeError somewhere in the cause
 * chain, or its text leaked into a detail); a hang; memory growth; a documented contract
 * broken (for example verifyCertificateChain throwing on bad certificate data).
 */
import { TlsError } from '../../../src/base/errors.js';

export type FindingKind =
  | 'foreign-exception'
  | 'internal-error'
  | 'wrapped-foreign'
  | 'leaked-foreign'
  | 'hang'
  | 'slow'
  | 'stall'
  | 'memory'
  | 'contract'
  | 'differential'
  | 'roundtrip';

export class Finding extends Error {
  readonly kind: FindingKind;
  readonly original: unknown;
  constructor(kind: FindingKind, message: string, original?: unknown) {
    super(message);
    this.kind = kind;
    this.original = original;
  }
}

const PROGRAMMING_ERRORS = ['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError'];
const LEAK = /\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|Cannot read propert|is not a function|is not iterable|Maximum call stack|Invalid array length|Invalid typed array length|out of memory/;

function isProgrammingError(e: unknown): boolean {
  return e instanceof Error && !(e instanceof TlsError) && PROGRAMMING_ERRORS.includes(e.name);
}

/** One line naming an error: class, message and the first stack frame in src/. */
export function describe(e: unknown): string {
  if (e instanceof Error) {
    const frame = (e.stack ?? '').split('\n').find((l) => /\/src\//.test(l))?.trim() ?? '';
    return `${e.name}: ${e.message}${frame ? ` (${frame})` : ''}`;
  }
  return `non-Error thrown: ${String(e)}`;
}

/** Checks a TlsError (thrown or stored as a connection's error) for wrapped programming errors. */
export function checkTlsError(err: TlsError | null | undefined, where: string, opts: { internalIsBug?: boolean } = {}): void {
  if (!err) return;
  if (!(err instanceof TlsError)) throw new Finding('foreign-exception', `${where}: error is not a TlsError: ${describe(err)}`, err);
  let c: unknown = err.cause;
  for (let depth = 0; c !== undefined && depth < 8; depth++) {
    if (isProgrammingError(c)) throw new Finding('wrapped-foreign', `${where}: ${err.status} wraps ${describe(c)}`, c);
    c = c instanceof Error ? c.cause : undefined;
  }
  if ((opts.internalIsBug ?? true) && err.status === 'InternalError' && err.cause !== undefined && !(err.cause instanceof TlsError)) {
    throw new Finding('internal-error', `${where}: InternalError wrapping ${describe(err.cause)}`, err.cause);
  }
  if (err.detail && LEAK.test(err.detail)) throw new Finding('leaked-foreign', `${where}: ${err.status} detail shows a programming error: ${err.detail.slice(0, 300)}`, err);
}

/** Classifies something thrown by a target: TlsError is fine (after the checks above), anything else is a finding. */
export function checkThrown(e: unknown, where: string): void {
  if (e instanceof Finding) throw e;
  if (e instanceof TlsError) {
    checkTlsError(e, where);
    return;
  }
  throw new Finding('foreign-exception', `${where}: ${describe(e)}`, e);
}

/** Runs `f`; a TlsError is an accepted rejection, anything else a finding. Returns the value or undefined. */
export function guard<T>(where: string, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    checkThrown(e, where);
    return undefined;
  }
}

export async function guardAsync<T>(where: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    checkThrown(e, where);
    return undefined;
  }
}

/** Checks certificate-error details returned (not thrown) by the verifier and OCSP for leaked programming errors. */
export function checkDetails(errors: readonly { code: string; detail: string }[], where: string): void {
  for (const e of errors) {
    if (LEAK.test(e.detail)) throw new Finding('leaked-foreign', `${where}: ${e.code} detail shows a programming error: ${e.detail.slice(0, 300)}`);
  }
}

/** Awaits `p`, or throws a hang finding after `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Finding('hang', `${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
