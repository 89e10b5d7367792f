/**
 * verifyOcspResponse (RFC 6960) on responses made by `openssl ocsp` (an index file and a
 * responder certificate), plus hand-made and random bad responses.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyOcspResponse, OcspOid } from '../../src/verify/ocsp.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { DAY, HOUR, YEAR, KeyUsage, Oid, flip, issue, key, type Issued } from './builder.js';
import { OPENSSL_VERSION } from './openssl.js';

const NOW = new Date();
const V = { notBefore: new Date(NOW.getTime() - YEAR), notAfter: new Date(NOW.getTime() + YEAR) };
const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();

const ca = issue({ subject: 'CN=OCSP Test CA', ca: true, ...V });
const otherCa = issue({ subject: 'CN=Other OCSP CA', ca: true, ...V });
const leaf = issue({ subject: 'CN=ocsp.example.test', issuer: ca, san: [{ dns: 'ocsp.example.test' }], ...V });
const revokedLeaf = issue({ subject: 'CN=revoked.example.test', issuer: ca, san: [{ dns: 'revoked.example.test' }], ...V });
const strangerLeaf = issue({ subject: 'CN=stranger.example.test', issuer: ca, san: [{ dns: 'stranger.example.test' }], ...V });
const responderProfile = { eku: [OcspOid.ocspSigning], keyUsage: KeyUsage.digitalSignature, ...V };
const delegated = issue({ subject: 'CN=OCSP Responder', issuer: ca, ...responderProfile });
const noEku = issue({ subject: 'CN=Not A Responder', issuer: ca, ...V, eku: [Oid.serverAuth] });
const foreign = issue({ subject: 'CN=Foreign Responder', issuer: otherCa, ...responderProfile });
const expiredResponder = issue({ subject: 'CN=Expired Responder', issuer: ca, ...responderProfile, notBefore: new Date(NOW.getTime() - YEAR), notAfter: new Date(NOW.getTime() - DAY) });
const rsaCa = issue({ subject: 'CN=RSA OCSP CA', ca: true, key: key('rsa2048', 5), ...V });
const rsaLeaf = issue({ subject: 'CN=rsa.example.test', issuer: rsaCa, ...V });

const dir = mkdtempSync(join(tmpdir(), 'puretls-ocsp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function utc(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

let n = 0;
function write(name: string, content: string): string {
  const f = join(dir, `${n++}-${name}`);
  writeFileSync(f, content);
  return f;
}
const pemKey = (c: Issued) => c.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const serialOf = (c: Issued) => parseCertificate(c.der).serialHex.toUpperCase();

function run(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** `openssl ocsp` as a responder: an answer about `cert` from an index where `leaf` is valid and `revokedLeaf` revoked. */
function respond(opts: { cert?: Issued; issuer?: Issued; signer?: Issued; days?: number; sha256?: boolean; byKey?: boolean; noCerts?: boolean }): Uint8Array {
  const issuer = opts.issuer ?? ca;
  const cert = opts.cert ?? leaf;
  const signer = opts.signer ?? issuer;
  const exp = utc(V.notAfter);
  const index = write(
    'index.txt',
    [
      `V\t${exp}\t\t${serialOf(leaf)}\tunknown\t/CN=ocsp.example.test`,
      `R\t${exp}\t${utc(new Date(NOW.getTime() - DAY))},keyCompromise\t${serialOf(revokedLeaf)}\tunknown\t/CN=revoked.example.test`,
      `V\t${exp}\t\t${serialOf(rsaLeaf)}\tunknown\t/CN=rsa.example.test`,
      '',
    ].join('\n'),
  );
  const issuerPem = write('issuer.pem', issuer.pem);
  const req = join(dir, `${n++}-req.der`);
  run(['ocsp', '-issuer', issuerPem, ...(opts.sha256 ? ['-sha256'] : []), '-cert', write('cert.pem', cert.pem), '-no_nonce', '-reqout', req]);
  const out = join(dir, `${n++}-resp.der`);
  run([
    'ocsp',
    '-index',
    index,
    '-CA',
    issuerPem,
    '-rsigner',
    write('signer.pem', signer.pem),
    '-rkey',
    write('signer.key', pemKey(signer)),
    '-rmd',
    'sha256',
    '-reqin',
    req,
    '-respout',
    out,
    ...(opts.days !== undefined ? ['-ndays', String(opts.days)] : []),
    ...(opts.byKey ? ['-resp_key_id'] : []),
    ...(opts.noCerts ? ['-resp_no_certs'] : []),
  ]);
  return new Uint8Array(readFileSync(out));
}

describe.skipIf(OPENSSL_VERSION === null)('verifyOcspResponse on openssl ocsp responses', () => {
  const check = (response: Uint8Array, over: Partial<Parameters<typeof verifyOcspResponse>[0]> = {}) =>
    verifyOcspResponse({ response, certificate: leaf.der, issuer: ca.der, time: NOW, ...over });

  it('good, signed by the issuer, SHA-1 CertID', () => {
    const r = check(respond({ days: 1 }));
    expect(r.status).toBe('good');
    expect(r.errors).toEqual([]);
    expect(r.nextUpdate!.getTime() - r.thisUpdate!.getTime()).toBe(DAY);
  });

  it('good, SHA-256 CertID', () => {
    expect(check(respond({ days: 1, sha256: true })).status).toBe('good');
  });

  it('good, ResponderID by key hash', () => {
    expect(check(respond({ days: 1, byKey: true })).status).toBe('good');
  });

  it('good, RSA issuer', () => {
    const r = verifyOcspResponse({ response: respond({ cert: rsaLeaf, issuer: rsaCa, days: 1 }), certificate: rsaLeaf.der, issuer: rsaCa.der, time: NOW });
    expect(r.status).toBe('good');
  });

  it('good, from a delegated responder (id-kp-OCSPSigning, issued by the issuer), by name and by key', () => {
    expect(check(respond({ days: 1, signer: delegated })).status).toBe('good');
    expect(check(respond({ days: 1, signer: delegated, byKey: true })).status).toBe('good');
  });

  it('revoked → Revoked (fatal), with time and reason', () => {
    const r = verifyOcspResponse({ response: respond({ cert: revokedLeaf, days: 1 }), certificate: revokedLeaf.der, issuer: ca.der, time: NOW, index: 0 });
    expect(r.status).toBe('revoked');
    expect(codes(r.errors)).toEqual(['Revoked@0']);
    expect(r.revocationReason).toBe(1); // keyCompromise
    expect(Math.abs(r.revocationTime!.getTime() - (NOW.getTime() - DAY))).toBeLessThan(2000);
  });

  it('status unknown from the responder → RevocationFailure', () => {
    const r = verifyOcspResponse({ response: respond({ cert: strangerLeaf, days: 1 }), certificate: strangerLeaf.der, issuer: ca.der, time: NOW, index: 2 });
    expect(r.status).toBe('unknown');
    expect(codes(r.errors)).toEqual(['RevocationFailure@2']);
    expect(r.errors[0]!.detail).toMatch(/does not know/);
  });

  const failures: [string, () => ReturnType<typeof verifyOcspResponse>, RegExp][] = [
    ['a responder without id-kp-OCSPSigning', () => check(respond({ days: 1, signer: noEku })), /OCSPSigning/],
    ['a responder issued by another CA', () => check(respond({ days: 1, signer: foreign })), /not issued by/],
    ['an expired delegated responder', () => check(respond({ days: 1, signer: expiredResponder })), /not valid at/],
    ['a delegated responder whose certificate is not included', () => check(respond({ days: 1, signer: delegated, noCerts: true })), /not signed by the issuer or an authorised responder/],
    ['a bad response signature', () => check(flip(respond({ days: 1, noCerts: true }), -1)), /signature/],
    ['a response about another certificate', () => verifyOcspResponse({ response: respond({ days: 1 }), certificate: revokedLeaf.der, issuer: ca.der, time: NOW }), /no response for serial/],
    ['the right serial under another issuer', () => verifyOcspResponse({ response: respond({ days: 1 }), certificate: leaf.der, issuer: otherCa.der, time: NOW }), /not the certificate's issuer/],
    ['a stale response (nextUpdate passed)', () => check(respond({ days: 1 }), { time: new Date(NOW.getTime() + 2 * DAY) }), /nextUpdate .* has passed/],
    ['a response from the future (thisUpdate after the time)', () => check(respond({ days: 1 }), { time: new Date(NOW.getTime() - HOUR) }), /in the future/],
    ['no nextUpdate and older than maxAge', () => check(respond({}), { time: new Date(NOW.getTime() + 8 * DAY) }), /too old/],
  ];
  for (const [label, run_, detail] of failures) {
    it(`${label} → unknown, RevocationFailure`, () => {
      const r = run_();
      expect(r.status).toBe('unknown');
      expect(codes(r.errors)).toEqual(['RevocationFailure@0']);
      expect(r.errors[0]!.detail).toMatch(detail);
    });
  }

  it('no nextUpdate but recent: good', () => {
    expect(check(respond({})).status).toBe('good');
  });

  it('every strict prefix and random corruption of a response: RevocationFailure or a verified answer, never an exception', () => {
    const good = respond({ days: 1 });
    for (let i = 0; i < good.length; i++) {
      const r = check(good.subarray(0, i));
      expect(codes(r.errors)).toEqual(['RevocationFailure@0']);
    }
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (pos, x) => {
        const m = good.slice();
        m[pos % m.length]! ^= x;
        const r = check(m);
        // Flipping a bit outside the signed data (e.g. in the included certificates) may leave it good.
        if (r.status !== 'good') expect(codes(r.errors)).toEqual(['RevocationFailure@0']);
      }),
      { numRuns: 100 },
    );
  });
});

describe('verifyOcspResponse on hand-made bad input', () => {
  it('a non-successful responseStatus → RevocationFailure naming it', () => {
    for (const [status, name] of [
      [1, 'malformedRequest'],
      [2, 'internalError'],
      [3, 'tryLater'],
      [6, 'unauthorized'],
    ] as const) {
      const r = verifyOcspResponse({ response: Uint8Array.of(0x30, 0x03, 0x0a, 0x01, status), certificate: leaf.der, issuer: ca.der });
      expect(r.status).toBe('unknown');
      expect(r.errors[0]!.detail).toMatch(name);
    }
  });

  it('random bytes, and unreadable certificates → RevocationFailure, never an exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const r = verifyOcspResponse({ response: b, certificate: leaf.der, issuer: ca.der });
        expect(codes(r.errors)).toEqual(['RevocationFailure@0']);
      }),
      { numRuns: 200 },
    );
    const r = verifyOcspResponse({ response: Uint8Array.of(0x30, 0x00), certificate: Uint8Array.of(1), issuer: ca.der });
    expect(codes(r.errors)).toEqual(['RevocationFailure@0']);
  });
});
