/**
 * Name matching (RFC 9525 / RFC 6125) through verifyCertificateChain, on certificates
 * made for each row, and the same rows under OpenSSL's X509_check_host / X509_check_ip
 * (`openssl x509 -checkhost / -checkip`), disagreements listed with the reason.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { parseIpAddress } from '../../src/verify/hostname.js';
import { DAY, issue, type GeneralName } from './builder.js';
import { T } from './cases.js';
import { OPENSSL_VERSION } from './openssl.js';

interface Row {
  readonly san: readonly GeneralName[];
  readonly cn?: string;
  readonly reference: string;
  readonly expected: boolean;
  /** Expected with the opt-in CN fallback, when different. */
  readonly withFallback?: boolean;
  readonly opensslDiffers?: string;
}

const PARTIAL = 'OpenSSL accepts partial-label wildcards by default (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS unset); RFC 9525 §6.3 allows only a whole left-most label';
const CN_DEFAULT = 'OpenSSL falls back to the subject CN when there is no DNS SAN; RFC 9525 §6.3 forbids it (puretls: opt-in commonNameFallback)';

const rows: Row[] = [
  // exact and case
  { san: [{ dns: 'www.example.test' }], reference: 'www.example.test', expected: true },
  { san: [{ dns: 'www.example.test' }], reference: 'WWW.Example.TEST', expected: true },
  { san: [{ dns: 'WWW.EXAMPLE.TEST' }], reference: 'www.example.test', expected: true },
  { san: [{ dns: 'www.example.test' }], reference: 'example.test', expected: false },
  { san: [{ dns: 'example.test' }], reference: 'www.example.test', expected: false },
  { san: [{ dns: 'a_b.example.test' }], reference: 'a_b.example.test', expected: true },
  // trailing dots
  { san: [{ dns: 'www.example.test' }], reference: 'www.example.test.', expected: true, opensslDiffers: 'X509_check_host does not strip the trailing dot of an absolute reference name; RFC 9525 §6.3 compares the name without it' },
  { san: [{ dns: 'www.example.test.' }], reference: 'www.example.test', expected: false }, // malformed dNSName (RFC 5280 §4.2.1.6)
  { san: [{ dns: 'www.example.test' }], reference: 'www.example.test..', expected: false },
  // wildcards
  { san: [{ dns: '*.example.test' }], reference: 'www.example.test', expected: true },
  { san: [{ dns: '*.example.test' }], reference: 'WWW.EXAMPLE.TEST', expected: true },
  { san: [{ dns: '*.example.test' }], reference: 'example.test', expected: false },
  { san: [{ dns: '*.example.test' }], reference: 'a.b.example.test', expected: false },
  {
    san: [{ dns: '*.example.test' }],
    reference: '.example.test',
    expected: false,
    opensslDiffers: 'X509_check_host reads a reference starting with "." as "any subdomain of" (an OpenSSL API convention); it is not a host name',
  },
  { san: [{ dns: '*.test' }], reference: 'example.test', expected: false },
  { san: [{ dns: '*' }], reference: 'localhost', expected: false },
  { san: [{ dns: 'www.*.example.test' }], reference: 'www.a.example.test', expected: false },
  { san: [{ dns: 'f*.example.test' }], reference: 'foo.example.test', expected: false, opensslDiffers: PARTIAL },
  { san: [{ dns: '*o.example.test' }], reference: 'foo.example.test', expected: false, opensslDiffers: PARTIAL },
  { san: [{ dns: '*.*.example.test' }], reference: 'a.b.example.test', expected: false },
  { san: [{ dns: 'www.example.test' }], reference: '*.example.test', expected: false },
  // IDNA A-labels
  { san: [{ dns: 'xn--bcher-kva.example.test' }], reference: 'XN--BCHER-KVA.example.test', expected: true },
  { san: [{ dns: '*.example.test' }], reference: 'xn--bcher-kva.example.test', expected: true },
  { san: [{ dns: 'xn--*.example.test' }], reference: 'xn--bcher-kva.example.test', expected: false },
  { san: [{ dns: 'xn--bcher-kva.example.test' }], reference: 'bücher.example.test', expected: false },
  // IP literals: iPAddress entries only, canonical comparison
  { san: [{ ip: '192.0.2.1' }], reference: '192.0.2.1', expected: true },
  { san: [{ ip: '192.0.2.1' }], reference: '192.0.2.2', expected: false },
  { san: [{ dns: '192.0.2.1' }], reference: '192.0.2.1', expected: false },
  { san: [{ ip: '192.0.2.1' }], reference: '::ffff:192.0.2.1', expected: false },
  { san: [{ ip: '2001:db8::1' }], reference: '2001:DB8:0:0:0:0:0:1', expected: true },
  { san: [{ ip: '2001:db8::1' }], reference: '2001:db8::0:1', expected: true },
  { san: [{ ip: '2001:db8::1' }], reference: '[2001:db8::1]', expected: true },
  { san: [{ ip: '2001:db8::1' }], reference: '2001:db8::2', expected: false },
  { san: [{ ip: '::1' }], reference: '0:0:0:0:0:0:0:1', expected: true },
  // common names
  { san: [], cn: 'www.example.test', reference: 'www.example.test', expected: false, withFallback: true, opensslDiffers: CN_DEFAULT },
  { san: [], cn: '*.example.test', reference: 'www.example.test', expected: false, withFallback: true, opensslDiffers: CN_DEFAULT },
  { san: [], cn: 'www.example.test', reference: 'other.example.test', expected: false },
  { san: [], cn: '192.0.2.1', reference: '192.0.2.1', expected: false },
  { san: [{ email: 'admin@example.test' }], cn: 'www.example.test', reference: 'www.example.test', expected: false, withFallback: true, opensslDiffers: CN_DEFAULT },
  { san: [{ dns: 'other.example.test' }], cn: 'www.example.test', reference: 'www.example.test', expected: false },
  { san: [{ ip: '192.0.2.1' }], cn: 'www.example.test', reference: 'www.example.test', expected: false, opensslDiffers: 'OpenSSL uses the CN when there is no DNS SAN even if an iPAddress SAN exists; the presence of any SAN identifier rules the CN out here (RFC 6125 §6.4.4)' },
];

const dir = mkdtempSync(join(tmpdir(), 'puretls-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const built = rows.map((row) => {
  const cert = issue({
    subject: row.cn !== undefined ? `CN=${row.cn}` : 'O=No Common Name',
    san: row.san,
    notBefore: new Date(T.getTime() - DAY),
    notAfter: new Date(T.getTime() + DAY),
  });
  return { row, cert };
});

function label(row: Row): string {
  const san = row.san.map((g) => Object.entries(g)[0]!.join(':')).join(',') || '(no SAN)';
  return `${san}${row.cn !== undefined ? ` CN=${row.cn}` : ''} vs ${JSON.stringify(row.reference)}`;
}

async function ourMatch(der: Uint8Array, reference: string, commonNameFallback: boolean): Promise<boolean> {
  const r = await verifyCertificateChain({ leaf: der, trustAnchors: [der], serverName: reference, time: T, commonNameFallback });
  const other = r.errors.filter((e) => e.code !== 'InvalidName');
  expect(other, 'only the name may be wrong').toEqual([]);
  return !r.errors.some((e) => e.code === 'InvalidName');
}

describe('name matching table (RFC 9525 §6, RFC 6125 §6.4)', () => {
  for (const { row, cert } of built) {
    it(`${label(row)} → ${row.expected}${row.withFallback !== undefined ? ` (with CN fallback: ${row.withFallback})` : ''}`, async () => {
      expect(await ourMatch(cert.der, row.reference, false)).toBe(row.expected);
      expect(await ourMatch(cert.der, row.reference, true)).toBe(row.withFallback ?? row.expected);
    });
  }
});

describe.skipIf(OPENSSL_VERSION === null)('the same table under OpenSSL X509_check_host / X509_check_ip', () => {
  built.forEach(({ row, cert }, i) => {
    it(`${label(row)}: ${row.opensslDiffers ? `disagrees (listed): ${row.opensslDiffers}` : 'agrees'}`, () => {
      const file = join(dir, `c${i}.pem`);
      writeFileSync(file, cert.pem);
      const ip = parseIpAddress(row.reference);
      // A reference that OpenSSL cannot take (U-labels) counts as no match.
      const args = ['x509', '-in', file, '-noout', ip ? '-checkip' : '-checkhost', ip ? row.reference.replace(/^\[|\]$/g, '') : row.reference];
      const r = spawnSync('openssl', args, { encoding: 'utf8' });
      const out = `${r.stdout}${r.stderr}`;
      const matched = /does match certificate/.test(out);
      if (row.opensslDiffers) expect(matched, `listed as a disagreement but OpenSSL agrees: ${out}`).not.toBe(row.expected);
      else expect(matched, out).toBe(row.expected);
    });
  });
});
