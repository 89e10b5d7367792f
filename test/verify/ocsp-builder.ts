/**
 * A hand-made OCSP response (RFC 6960 §4.2.1) signed by the issuer, with every optional
 * part under the test's control, including malformed ones. Test code only.
 */
import { createHash, sign as nodeSign } from 'node:crypto';
import { DerReader, DerTag, derNull, derOctetString, derOid, derSequence, derTlv, derBitString } from '../../src/crypto/der.js';
import { OcspOid } from '../../src/verify/ocsp.js';
import { Oid, parseCertificate } from '../../src/verify/x509.js';
import type { Issued } from './builder.js';

function generalizedTime(d: Date): Uint8Array {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const s = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return derTlv(0x18, new TextEncoder().encode(s));
}

function sha1(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(b).digest());
}

function hex(h: string): Uint8Array {
  return Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
}

/** An Extension (RFC 5280 §4.1). */
export function extension(oid: string, value: Uint8Array, critical = false): Uint8Array {
  return derSequence(derOid(oid), ...(critical ? [derTlv(DerTag.BOOLEAN, Uint8Array.of(0xff))] : []), derOctetString(value));
}

export interface OcspSpec {
  readonly cert: Issued;
  /** Signs the response and is named as the responder (an EC P-256 key). */
  readonly issuer: Issued;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** The contents of `[1] responseExtensions` (normally a SEQUENCE OF Extension). */
  readonly responseExtensions?: Uint8Array;
  /** The contents of `[1] singleExtensions`. */
  readonly singleExtensions?: Uint8Array;
  /** The certificates of `[0] certs` (any bytes). */
  readonly certs?: readonly Uint8Array[];
}

/** A `good` OCSPResponse about `spec.cert`, signed by the issuer with ECDSA-SHA256. */
export function ocspResponse(spec: OcspSpec): Uint8Array {
  const issuer = parseCertificate(spec.issuer.der);
  const spki = new DerReader(issuer.spki).sequence();
  spki.sequence();
  const keyBits = spki.bitString();
  const certId = derSequence(
    derSequence(derOid(OcspOid.sha1), derNull()),
    derOctetString(sha1(issuer.subjectDer)),
    derOctetString(sha1(keyBits)),
    derTlv(DerTag.INTEGER, hex(parseCertificate(spec.cert.der).serialHex)),
  );
  const single = derSequence(
    certId,
    Uint8Array.of(0x80, 0x00), // good [0] IMPLICIT NULL
    generalizedTime(spec.thisUpdate),
    ...(spec.nextUpdate ? [derTlv(0xa0, generalizedTime(spec.nextUpdate))] : []),
    ...(spec.singleExtensions ? [derTlv(0xa1, spec.singleExtensions)] : []),
  );
  const tbs = derSequence(
    derTlv(0xa1, issuer.subjectDer), // responderID byName
    generalizedTime(spec.thisUpdate),
    derSequence(single),
    ...(spec.responseExtensions ? [derTlv(0xa1, spec.responseExtensions)] : []),
  );
  const sig = new Uint8Array(nodeSign('sha256', tbs, spec.issuer.key.privateKey));
  const basic = derSequence(tbs, derSequence(derOid(Oid.ecdsaWithSha256)), derBitString(sig), ...(spec.certs ? [derTlv(0xa0, derSequence(...spec.certs))] : []));
  return derSequence(derTlv(0x0a, Uint8Array.of(0)), derTlv(0xa0, derSequence(derOid(OcspOid.basic), derOctetString(basic))));
}
