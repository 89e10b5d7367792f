/**
 * The clock and the helpers the RFC 5280 strictness tests share (anchor-constraints,
 * encoding-strict, names-strict, rfc5280-paths, san-strict, work-budget).
 */
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { DAY, YEAR, type Issued } from './builder.js';

/** The time every chain is verified at. */
export const T = new Date('2026-06-01T00:00:00Z');

/** A validity period around {@link T}: from a day before to a year after. */
export const V = { notBefore: new Date(T.getTime() - DAY), notAfter: new Date(T.getTime() + YEAR) };

/** The errors of a result as `code@index`, sorted. */
export const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();

/** verifyCertificateChain at {@link T}, with one trust anchor. */
export async function verify(leaf: Issued, intermediates: readonly Issued[], anchor: Issued, serverName = 'www.example.test', maxDepth?: number) {
  return verifyCertificateChain({ leaf: leaf.der, intermediates: intermediates.map((c) => c.der), trustAnchors: [anchor.der], serverName, time: T, ...(maxDepth !== undefined ? { maxDepth } : {}) });
}
