/**
 * Issue 7 item 19 (PEM): one block with RFC 1421 headers, or with boundary lines that are
 * not whole lines (RFC 7468 §2-§3), in a CA bundle is skipped instead of making the whole
 * bundle fail; certificate chains and keys still refuse such blocks.
 */
import { describe, expect, it } from 'vitest';
import { nobleProvider } from '../../../src/crypto/noble.js';
import { pemDecode, pemEncode } from '../../../src/crypto/pem.js';
import { TlsError } from '../../../src/base/errors.js';
import { loadCertificates } from '../../../src/config/identity.js';
import { createBasicVerifier } from '../../../src/verify/basic-verifier.js';
import { verifyCertificateChain } from '../../../src/verify/chain.js';
import { DAY, YEAR, issue, key } from '../../verify/builder.js';

const T = new Date('2026-06-01T00:00:00Z');
const V = { notBefore: new Date(T.getTime() - DAY), notAfter: new Date(T.getTime() + YEAR) };
const root = issue({ subject: 'CN=Bundle Root', key: key('p256'), ca: true, ...V });

describe('PEM blocks with RFC 1421 headers', () => {
  const a = pemEncode('CERTIFICATE', Uint8Array.of(1, 2, 3));
  const b = pemEncode('CERTIFICATE', Uint8Array.of(4, 5, 6));
  const withHeaders = a.replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\n\n');

  it('are refused by default (keys: they mean a legacy encrypted key)', () => {
    expect(() => pemDecode(withHeaders + b)).toThrow(/headers/);
  });

  it('are skipped on request, the rest of the bundle kept', () => {
    expect(pemDecode(withHeaders + b, 'DecodeError', { headers: 'skip' }).map((x) => Array.from(x.der))).toEqual([[4, 5, 6]]);
    expect(pemDecode(b + withHeaders + a, 'DecodeError', { headers: 'skip' }).map((x) => Array.from(x.der))).toEqual([
      [4, 5, 6],
      [1, 2, 3],
    ]);
  });
});

it('one PEM block with headers in a CA bundle is skipped, not fatal to the whole bundle', async () => {
  const leaf = issue({ subject: 'CN=www.example.test', issuer: root, san: [{ dns: 'www.example.test' }], ...V });
  const other = issue({ subject: 'CN=Other Root', key: key('p256'), ca: true, ...V });
  const withHeaders = pemEncode('CERTIFICATE', other.der).replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\n');
  const bundle = `${withHeaders}${root.pem}`;
  // verifyCertificateChain / createBasicVerifier anchors; before: InvalidConfig for the whole bundle.
  expect((await verifyCertificateChain({ leaf: leaf.der, trustAnchors: [bundle], serverName: 'www.example.test', time: T })).errors).toEqual([]);
  const v = createBasicVerifier({ trustAnchors: [bundle], crypto: nobleProvider });
  expect((await v.verify({ certificates: [leaf.der], serverName: 'www.example.test', usage: 'serverAuth', time: T })).errors).toEqual([]);
  // `ca` given as bytes goes through loadCertificates.
  expect(loadCertificates(new TextEncoder().encode(bundle))).toHaveLength(1);
  // A certificate chain with such a block is still refused (a silently dropped certificate helps nobody).
  expect(() => loadCertificates(bundle, { headers: 'refuse' })).toThrow(TlsError);
  // A bundle with nothing else is still "no certificate".
  expect(() => loadCertificates(withHeaders)).toThrow(/no certificate/);
});

describe('PEM blocks whose boundaries are not whole lines (RFC 7468 §2-§3)', () => {
  const a = pemEncode('CERTIFICATE', Uint8Array.of(1, 2, 3));
  const b = pemEncode('CERTIFICATE', Uint8Array.of(4, 5, 6));
  const c = pemEncode('CERTIFICATE', Uint8Array.of(7, 8, 9));
  const bad: [string, string][] = [
    ['a label with control characters (fuzz finding diff-pem-differential-6b64e4cd83)', a.replace('BEGIN CERTIFICATE', 'BEGIN CE\u0000\u0001IFICATE')],
    ['bytes before -----BEGIN', 'junk' + a],
    ['bytes after -----END CERTIFICATE-----', a.replace('-----END CERTIFICATE-----', '-----END CERTIFICATE-----junk')],
    ['an END line with another label', a.replace('END CERTIFICATE', 'END PRIVATE KEY')],
    ['a BEGIN line with no END before the next block', a.split('\n')[0]! + '\n'],
  ];

  it.each(bad)('refused by default: %s', (_what, block) => {
    expect(() => pemDecode(b + block + c)).toThrow(TlsError);
    expect(() => loadCertificates(b + block + c, { headers: 'refuse' })).toThrow(TlsError);
  });

  it.each(bad)('skipped in a bundle, the blocks around it kept: %s', (_what, block) => {
    const ders = (text: string) => pemDecode(text, 'DecodeError', { headers: 'skip' }).map((x) => Array.from(x.der));
    expect(ders(b + block + c)).toEqual([
      [4, 5, 6],
      [7, 8, 9],
    ]);
    expect(ders(block + c)).toEqual([[7, 8, 9]]);
    expect(loadCertificates(b + block + c).map((x) => Array.from(x))).toEqual([
      [4, 5, 6],
      [7, 8, 9],
    ]);
  });

  it('a well-formed BEGIN line never closed still fails a bundle (a truncated file)', () => {
    expect(() => pemDecode(b + a.split('-----END')[0]!, 'DecodeError', { headers: 'skip' })).toThrow(/no "-----END CERTIFICATE-----" line/);
  });
});
