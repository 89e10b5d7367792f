/**
 * Campaign 8 (hostile certificates), part 3: stapled OCSP responses that lie (RFC 6960,
 * RFC 6066 §8, RFC 9846 §4.4.2.1), through verifyOcspResponse and through whole
 * handshakes. A staple may only ever make things worse for the peer unless it is an
 * authentic, fresh statement by the certificate's verified issuer (or a responder the
 * issuer authorised) about this very certificate.
 */
import { createHash, sign as nodeSign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DerReader, DerTag, derBitString, derNull, derOctetString, derOid, derSequence, derTlv } from '../../src/crypto/der.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { OcspOid, verifyOcspResponse } from '../../src/verify/ocsp.js';
import { Oid, parseCertificate } from '../../src/verify/x509.js';
import { DAY, HOUR, KeyUsage, YEAR, ext, issue, key, type Issued } from '../verify/builder.js';
import { relay } from '../e2e/relay.js';

const NOW = new Date();
const V = { notBefore: new Date(NOW.getTime() - YEAR), notAfter: new Date(NOW.getTime() + YEAR) };
const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();
const sha1 = (b: Uint8Array) => new Uint8Array(createHash('sha1').update(b).digest());
const gt = (d: Date) => {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return derTlv(0x18, new TextEncoder().encode(`${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`));
};
const keyBits = (c: Issued) => {
  const s = new DerReader(parseCertificate(c.der).spki).sequence();
  s.sequence();
  return s.bitString();
};
const serialOf = (c: Issued) => Uint8Array.from(Buffer.from(parseCertificate(c.der).serialHex, 'hex'));

type Status = 'good' | 'revoked' | 'unknown';
interface Single {
  readonly cert: Issued;
  /** The issuer whose name and key the CertID hashes (default: the one given to the response). */
  readonly idIssuer?: Issued;
  readonly status: Status;
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date | null;
  readonly serial?: Uint8Array;
}

/** A BasicOCSPResponse with any number of SingleResponses, signed by `signer` and naming `responder` (by name). */
function response(opts: { issuer: Issued; signer: Issued; responder?: Issued; singles: readonly Single[]; certs?: readonly Issued[] }): Uint8Array {
  const single = (s: Single) => {
    const idIssuer = s.idIssuer ?? opts.issuer;
    const certId = derSequence(derSequence(derOid(OcspOid.sha1), derNull()), derOctetString(sha1(parseCertificate(s.cert.der).issuerDer)), derOctetString(sha1(keyBits(idIssuer))), derTlv(DerTag.INTEGER, s.serial ?? serialOf(s.cert)));
    const status = s.status === 'good' ? Uint8Array.of(0x80, 0) : s.status === 'unknown' ? Uint8Array.of(0x82, 0) : derTlv(0xa1, gt(new Date(NOW.getTime() - DAY)));
    const next = s.nextUpdate === null ? [] : [derTlv(0xa0, gt(s.nextUpdate ?? new Date(NOW.getTime() + DAY)))];
    return derSequence(certId, status, gt(s.thisUpdate ?? new Date(NOW.getTime() - HOUR)), ...next);
  };
  const tbs = derSequence(derTlv(0xa1, (opts.responder ?? opts.signer).subject), gt(new Date(NOW.getTime() - HOUR)), derSequence(...opts.singles.map(single)));
  const sig = new Uint8Array(nodeSign('sha256', tbs, opts.signer.key.privateKey));
  const basic = derSequence(tbs, derSequence(derOid(Oid.ecdsaWithSha256)), derBitString(sig), ...(opts.certs ? [derTlv(0xa0, derSequence(...opts.certs.map((c) => c.der)))] : []));
  return derSequence(derTlv(0x0a, Uint8Array.of(0)), derTlv(0xa0, derSequence(derOid(OcspOid.basic), derOctetString(basic))));
}

const ca = issue({ subject: 'CN=Campaign8 OCSP CA', ca: true, ...V });
const leaf = issue({ subject: 'CN=ocsp8.example.test', issuer: ca, san: [{ dns: 'ocsp8.example.test' }], ...V });
const sibling = issue({ subject: 'CN=sibling.example.test', issuer: ca, san: [{ dns: 'sibling.example.test' }], ...V });
// The attacker's CA: the same name as the real one, its own key.
const fakeCa = issue({ subject: 'CN=Campaign8 OCSP CA', ca: true, ...V });
const responderProfile = { eku: [OcspOid.ocspSigning], keyUsage: KeyUsage.digitalSignature, ...V };

const check = (resp: Uint8Array, issuer: Issued = ca, cert: Issued = leaf) => verifyOcspResponse({ response: resp, certificate: cert.der, issuer: issuer.der, time: NOW });

describe('verifyOcspResponse: lies that must not read as good', () => {
  it('control: an honest good answer is good', () => {
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good' }] })).status).toBe('good');
  });

  it('a responder that contradicts itself (good, then revoked, for the same CertID) → revoked, the worse answer (was: good, the first)', () => {
    const r = check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good' }, { cert: leaf, status: 'revoked' }] }));
    expect(r.status).toBe('revoked');
    expect(codes(r.errors)).toEqual(['Revoked@0']);
    const u = check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good' }, { cert: leaf, status: 'unknown' }] }));
    expect(u.status).toBe('unknown');
  });

  it('good for a sibling, or for the right serial under another issuer key: no answer about this certificate', () => {
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: sibling, status: 'good' }] })).status).toBe('unknown');
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, idIssuer: fakeCa, status: 'good' }] })).status).toBe('unknown');
    // The serial with a leading zero octet added (not DER, and not the same INTEGER encoding).
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good', serial: Uint8Array.of(0, ...serialOf(leaf)) }] })).status).toBe('unknown');
  });

  it('signed by a same-name impostor CA, by a delegated responder of the impostor, or by a responder without OCSPSigning: unknown', () => {
    expect(check(response({ issuer: ca, signer: fakeCa, singles: [{ cert: leaf, status: 'good' }] })).status).toBe('unknown');
    const fakeResponder = issue({ subject: 'CN=Fake Responder', issuer: fakeCa, ...responderProfile });
    expect(check(response({ issuer: ca, signer: fakeResponder, singles: [{ cert: leaf, status: 'good' }], certs: [fakeResponder] })).status).toBe('unknown');
    const noEku = issue({ subject: 'CN=Not A Responder', issuer: ca, ...V, eku: [Oid.serverAuth] });
    expect(check(response({ issuer: ca, signer: noEku, singles: [{ cert: leaf, status: 'good' }], certs: [noEku] })).status).toBe('unknown');
    // The real delegated responder: good.
    const real = issue({ subject: 'CN=Real Responder', issuer: ca, ...responderProfile });
    expect(check(response({ issuer: ca, signer: real, singles: [{ cert: leaf, status: 'good' }], certs: [real] })).status).toBe('good');
  });

  it('a delegated responder certificate that must be rejected (RFC 5280 §4.2: an unknown critical extension; duplicate extensions; a negative serial) → unknown (was: good)', () => {
    for (const [label, extra] of [
      ['an unknown critical extension', { extra: [ext.raw('1.3.6.1.4.1.55555.9', Uint8Array.of(5, 0), true)] }],
      ['a duplicate extension', { extra: [ext.eku([OcspOid.ocspSigning])] }],
      ['a negative serial number', { serial: Uint8Array.of(0x80, 1) }],
    ] as const) {
      const bad = issue({ subject: 'CN=Bad Responder', issuer: ca, ...responderProfile, ...extra });
      const r = check(response({ issuer: ca, signer: bad, singles: [{ cert: leaf, status: 'good' }], certs: [bad] }));
      expect(r.status, label).toBe('unknown');
      expect(codes(r.errors), label).toEqual(['RevocationFailure@0']);
    }
    // id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), even critical, and a non-critical unknown extension: fine.
    for (const critical of [false, true]) {
      const ok = issue({ subject: 'CN=Nocheck Responder', issuer: ca, ...responderProfile, extra: [ext.raw(OcspOid.noCheck, Uint8Array.of(5, 0), critical), ext.raw('1.3.6.1.4.1.55555.9', Uint8Array.of(5, 0), false)] });
      expect(check(response({ issuer: ca, signer: ok, singles: [{ cert: leaf, status: 'good' }], certs: [ok] })).status).toBe('good');
    }
  });

  it('a delegated responder that names the issuer as responder but signs with its own key: unknown', () => {
    const real = issue({ subject: 'CN=Real Responder', issuer: ca, ...responderProfile });
    expect(check(response({ issuer: ca, signer: real, responder: ca, singles: [{ cert: leaf, status: 'good' }], certs: [real] })).status).toBe('unknown');
  });

  it('freshness lies: thisUpdate in the future, nextUpdate past, no nextUpdate and a month old: unknown', () => {
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() + HOUR) }] })).status).toBe('unknown');
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() - 2 * DAY), nextUpdate: new Date(NOW.getTime() - DAY) }] })).status).toBe('unknown');
    expect(check(response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good', thisUpdate: new Date(NOW.getTime() - 30 * DAY), nextUpdate: null }] })).status).toBe('unknown');
  });
});

// ------------------------------------------------------------------ through handshakes

async function handshake(opts: { chain: readonly Uint8Array[]; keyOf: Issued; staple?: Uint8Array; ca: Uint8Array; version: 'TLSv1.2' | 'TLSv1.3' }) {
  const common = { minVersion: opts.version, maxVersion: opts.version } as const;
  const client = TlsConnection.client({ ...common, servername: 'ocsp8.example.test', ca: opts.ca, requireRevocationInformation: true });
  const keyPem = opts.keyOf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const server = TlsConnection.server({ ...common, certificates: [{ cert: [...opts.chain], key: keyPem, ...(opts.staple ? { ocspResponse: opts.staple } : {}) }] });
  await relay(client, server);
  return client;
}

describe('a pinned leaf (the leaf itself is the trust anchor) with revocation information required', () => {
  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version} control: no staple → RevocationInformationMissing; the real CA's good staple → clean`, async () => {
      const none = await handshake({ chain: [leaf.der], keyOf: leaf, ca: leaf.der, version });
      expect(none.error?.status).toBe('CertificateRevocationInformationMissing');
      const honest = await handshake({ chain: [leaf.der, ca.der], keyOf: leaf, ca: leaf.der, version, staple: response({ issuer: ca, signer: ca, singles: [{ cert: leaf, status: 'good' }] }) });
      expect(honest.error?.certificateErrors ?? []).toEqual([]);
    });

    // peer-auth.ts takes the OCSP issuer from `validatedChain[1]`, and when the validated chain
    // is the pinned leaf alone, from `certs[1]`: whatever the peer sent second. An impostor CA
    // with the real issuer's name vouched for the leaf: a forged "good" satisfied
    // requireRevocationInformation. Now an issuer the verifier did not validate must have
    // signed the leaf (ocsp.ts, issuerVerified): RevocationFailure.
    it(`${version}: a staple signed by an impostor CA the peer sent along is not accepted as revocation information`, async () => {
      const forged = response({ issuer: fakeCa, signer: fakeCa, singles: [{ cert: leaf, status: 'good' }] });
      const c = await handshake({ chain: [leaf.der, fakeCa.der], keyOf: leaf, ca: leaf.der, version, staple: forged });
      expect(c.error).not.toBeNull();
      expect(codes(c.error!.certificateErrors)).toContain('RevocationFailure@0');
    });
  }

  it('the same impostor staple through a normal chain (leaf under its real CA) is refused: the verified issuer is used', async () => {
    const forged = response({ issuer: fakeCa, signer: fakeCa, singles: [{ cert: leaf, status: 'good' }] });
    const c = await handshake({ chain: [leaf.der, fakeCa.der], keyOf: leaf, ca: ca.der, version: 'TLSv1.3', staple: forged });
    expect(c.error?.status).toBe('CertificateRevocationFailure');
  });
});

void key;
