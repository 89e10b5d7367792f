/**
 * Campaign 8 (hostile certificates), part 6: host names (RFC 9525 §6.3, RFC 6125 §6.4,
 * RFC 5280 §4.2.1.6) on random presented dNSNames — wildcards whole and partial, A-labels,
 * case, hyphens at label edges, underscores, numeric labels, trailing dots — against
 * references derived from them, compared with OpenSSL's X509_check_host (through
 * `openssl verify -verify_hostname`). A match of ours that OpenSSL refuses would be a
 * possible fail-open; each disagreement must be one of the reasoned classes below.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issue } from '../verify/builder.js';
import { OPENSSL_VERSION } from '../verify/openssl.js';
import { LEAF_V, ca, judgeBoth } from './campaign8-pki.js';

const root = ca('CN=Names Root');
const PRESENTED_LABELS = ['*', 'a', 'www', 'xn--bcher-kva', 'EXAMPLE', 'example', 'test', 'a-b', '_x', '1', 'f*', '*o', '-a', 'a-', 'x*y', 'com', 'co', 'uk', '0x7f', '127'];
const OTHER_LABELS = ['a', 'www', 'xn--bcher-kva', 'example', 'Example', 'test', 'a-b', '_x', '1', 'foo', 'xoy', 'com', 'co', 'uk', 'x', '127', '0'];

const LDH = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/** Why we refuse a match OpenSSL makes (we are stricter), or null if there is no reason. */
function whyStricter(presented: string, reference: string): string | null {
  const p = presented.split('.');
  const r = reference.replace(/\.$/, '').split('.');
  if (presented.endsWith('.')) return 'a presented dNSName with a trailing dot is not in the preferred name syntax (RFC 5280 §4.2.1.6), so it never matches';
  if (p.some((l, i) => l.includes('*') && (i > 0 || l !== '*'))) return 'a partial or non-left-most wildcard: RFC 9525 §6.3 allows only a whole left-most label (OpenSSL allows partial ones by default)';
  if (p.some((l) => l !== '*' && !LDH.test(l)) || r.some((l) => !LDH.test(l))) return 'a label with a hyphen at an edge is not a host name label (RFC 952, RFC 1123 §2.1)';
  if (/^[0-9]+$/.test(r[r.length - 1]!)) return 'an all-numeric last label: not a host name (it would be an IP address in disguise, RFC 1123 §2.1)';
  if (p[0] === '*' && p.length < 3) return 'a wildcard needs two labels after it';
  return null;
}

describe.skipIf(OPENSSL_VERSION === null)('random dNSNames vs references under X509_check_host', () => {
  it('we never match what OpenSSL refuses (except a reference’s trailing dot), and every refusal of ours that OpenSSL matches has a reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...PRESENTED_LABELS), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.array(fc.constantFrom(...OTHER_LABELS), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        fc.nat(4),
        fc.boolean(),
        async (pl, pdot, rl, rdot, mode, upper) => {
          const presented = pl.join('.') + (pdot ? '.' : '');
          let reference = rl.join('.');
          if (mode > 0) {
            // Derived from the presented name, each wildcard label replaced.
            reference = pl.map((l, i) => (l.includes('*') ? (mode === 1 ? rl[i % rl.length]! : mode === 2 ? l.replace('*', 'o') : mode === 3 ? l.replace('*', '') : 'xn--x') : l)).join('.');
            if (upper) reference = reference.toUpperCase();
          }
          if (rdot) reference += '.';
          const leaf = issue({ subject: 'CN=Campaign8 Leaf', issuer: root, san: [{ dns: presented }], ...LEAF_V });
          const j = await judgeBoth({ leaf: leaf.der, intermediates: [], anchors: [root.der], serverName: reference, usage: 'serverAuth' });
          expect(j.ours.filter((e) => e.code !== 'InvalidName'), 'only the name may be wrong').toEqual([]);
          const ours = j.ours.length === 0;
          expect(/error (?!62 |64 )\d+ at/.test(j.openssl.output), j.openssl.output).toBe(false);
          const theirs = j.openssl.ok;
          const label = `${JSON.stringify(presented)} vs ${JSON.stringify(reference)}`;
          if (ours && !theirs) expect(reference.endsWith('.'), `we match, OpenSSL does not: ${label}`).toBe(true);
          if (!ours && theirs) expect(whyStricter(presented, reference), `OpenSSL matches, we do not, for no known reason: ${label}`).not.toBeNull();
        },
      ),
      { numRuns: Number(process.env.CAMPAIGN8_RUNS ?? 50) },
    );
  }, 3_600_000);
});
