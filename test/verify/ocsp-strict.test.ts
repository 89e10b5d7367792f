/**
 * Issue 7 item 19 (OCSP side): every part of a response is parsed strictly, so garbage in
 * parts the verifier does not use (responseExtensions, singleExtensions, embedded
 * certificates) no longer yields `good`. Responses are signed by the issuer, so only the
 * garbage stands between them and `good`.
 */
import { describe, expect, it } from 'vitest';
import { DerTag, derNull, derOctetString, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { verifyOcspResponse, OcspOid } from '../../src/verify/ocsp.js';
import { DAY, HOUR, YEAR, issue, key } from './builder.js';
import { extension, ocspResponse } from './ocsp-builder.js';

const NOW = new Date();
const V = { notBefore: new Date(NOW.getTime() - YEAR), notAfter: new Date(NOW.getTime() + YEAR) };
const ca = issue({ subject: 'CN=Strict OCSP CA', key: key('p256'), ca: true, ...V });
const leaf = issue({ subject: 'CN=ocsp.example.test', issuer: ca, san: [{ dns: 'ocsp.example.test' }], ...V });
const base = { cert: leaf, issuer: ca, thisUpdate: new Date(NOW.getTime() - HOUR), nextUpdate: new Date(NOW.getTime() + DAY) };
const check = (response: Uint8Array) => verifyOcspResponse({ response, certificate: leaf.der, issuer: ca.der, time: NOW });

describe('a well-formed response with extensions and certificates is good', () => {
  it('a nonce, an unknown non-critical extension and a valid embedded certificate', () => {
    const r = check(
      ocspResponse({
        ...base,
        responseExtensions: derSequence(extension(OcspOid.nonce, derOctetString(Uint8Array.of(1, 2, 3, 4))), extension('1.3.6.1.4.1.55555.9', derNull())),
        singleExtensions: derSequence(extension('2.5.29.24', derTlv(0x18, new TextEncoder().encode('20260101000000Z')))),
        certs: [leaf.der],
      }),
    );
    expect(r.errors).toEqual([]);
    expect(r.status).toBe('good');
  });
});

describe('garbage where nothing is used no longer yields good (was: good)', () => {
  const GARBAGE: readonly [string, Parameters<typeof ocspResponse>[0]][] = [
    ['responseExtensions holding a NULL instead of Extensions', { ...base, responseExtensions: derNull() }],
    ['responseExtensions holding random bytes', { ...base, responseExtensions: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) }],
    ['an empty responseExtensions list', { ...base, responseExtensions: derSequence() }],
    ['an Extension without extnValue', { ...base, responseExtensions: derSequence(derSequence(derOid('1.2.3'))) }],
    ['a duplicate response extension', { ...base, responseExtensions: derSequence(extension('1.2.3', derNull()), extension('1.2.3', derNull())) }],
    ['an unknown critical response extension', { ...base, responseExtensions: derSequence(extension('1.3.6.1.4.1.55555.1', derNull(), true)) }],
    ['a response extension whose value is not DER', { ...base, responseExtensions: derSequence(extension('1.2.3', Uint8Array.of(0x30, 0x80, 0x00, 0x00))) }],
    ['singleExtensions holding an INTEGER', { ...base, singleExtensions: derTlv(DerTag.INTEGER, Uint8Array.of(1)) }],
    ['singleExtensions with trailing garbage', { ...base, singleExtensions: Uint8Array.of(...derSequence(extension('1.2.3', derNull())), 0x00) }],
    ['a critical singleExtension (certificateIssuer) we do not process', { ...base, singleExtensions: derSequence(extension('2.5.29.29', derSequence(), true)) }],
    ['an embedded "certificate" that is an empty SEQUENCE', { ...base, certs: [derSequence()] }],
    ['an embedded certificate cut short', { ...base, certs: [derSequence(leaf.der.subarray(4, 60))] }],
    ['an embedded certificate with a bad name', { ...base, certs: [derSequence(derSequence(derTlv(0xa0, derNull())), derSequence(derOid('1.2.3')), derTlv(DerTag.BIT_STRING, Uint8Array.of(0)))] }],
  ];
  for (const [label, spec] of GARBAGE) {
    it(`${label} → unknown, RevocationFailure`, () => {
      const r = check(ocspResponse(spec));
      expect(r.status).toBe('unknown');
      expect(r.errors.map((e) => e.code)).toEqual(['RevocationFailure']);
    });
  }
});
