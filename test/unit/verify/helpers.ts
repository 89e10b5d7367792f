/**
 * Helpers for verifier tests: hand-built certificates (for shapes the test PKI generator
 * does not make) and a compact view of reports.
 */
import { KeyUsage, Oid, type CertificateExtension } from '../../../src/verify/x509.js';
import { issueCertificate } from '../../../src/verify/issue.js';
import type { CertificateError } from '../../../src/verify/verifier.js';

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** `Code@index` strings, sorted, for exact comparisons. */
export function codes(errors: readonly CertificateError[]): string[] {
  return errors.map((e) => `${e.code}@${e.index}`).sort();
}

let serial = 1;
function nextSerial(): string {
  return (serial++).toString(16).padStart(4, '0');
}

/** A P-256 (by default) key pair from Web Crypto. */
export async function keyPair(alg: EcKeyGenParams | RsaHashedKeyGenParams | Algorithm = { name: 'ECDSA', namedCurve: 'P-256' }): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** A certificate authority (or any issuer) for hand-built chains. */
export interface TestIssuer {
  readonly name: string;
  readonly keys: CryptoKeyPair;
  readonly der: Uint8Array;
  readonly signAlg: Algorithm | EcdsaParams | RsaPssParams;
}

export interface CertSpec {
  name: string;
  issuer?: TestIssuer; // absent: self-signed
  keys?: CryptoKeyPair;
  ca?: boolean | 'absent';
  pathLen?: number;
  keyUsage?: number | 'absent';
  eku?: readonly string[];
  dns?: readonly string[];
  ips?: readonly string[];
  notBefore?: Date;
  notAfter?: Date;
  ski?: boolean;
  aki?: boolean;
  signAlg?: Algorithm | EcdsaParams | RsaPssParams;
  extra?: readonly CertificateExtension[];
}

/** Issues one certificate per `spec` (defaults: valid now ± 1 day, CA profile when `ca`). */
export async function makeCert(spec: CertSpec): Promise<TestIssuer> {
  const keys = spec.keys ?? (await keyPair());
  const signAlg = spec.signAlg ?? spec.issuer?.signAlg ?? { name: 'ECDSA', hash: 'SHA-256' };
  const ca = spec.ca ?? false;
  const der = await issueCertificate({
    subject: spec.name,
    issuer: spec.issuer?.name ?? spec.name,
    serialHex: nextSerial(),
    notBefore: spec.notBefore ?? new Date(Date.now() - DAY),
    notAfter: spec.notAfter ?? new Date(Date.now() + DAY),
    publicKey: keys.publicKey,
    signingKey: spec.issuer?.keys.privateKey ?? keys.privateKey,
    signingAlgorithm: spec.issuer ? spec.issuer.signAlg : signAlg,
    ...(ca === 'absent' ? {} : { basicConstraints: spec.pathLen === undefined ? { ca } : { ca, pathLen: spec.pathLen } }),
    ...(spec.keyUsage === 'absent'
      ? {}
      : { keyUsage: spec.keyUsage ?? (ca === true ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature) }),
    ...(spec.eku ? { extKeyUsage: spec.eku } : ca === true ? {} : { extKeyUsage: [Oid.serverAuth, Oid.clientAuth] }),
    ...(spec.dns ? { dnsNames: spec.dns } : {}),
    ...(spec.ips ? { ipAddresses: spec.ips } : {}),
    subjectKeyId: spec.ski ?? true,
    ...(spec.issuer && spec.aki !== false ? { authorityKey: spec.issuer.keys.publicKey } : {}),
    ...(spec.extra ? { extraExtensions: spec.extra } : {}),
  });
  return { name: spec.name, keys, der, signAlg };
}

/** Flips one bit of a copy of `der` at `offset` (negative: from the end). */
export function flipBit(der: Uint8Array, offset: number): Uint8Array {
  const out = der.slice();
  const i = offset < 0 ? out.length + offset : offset;
  out[i]! ^= 0x01;
  return out;
}

/** Offset of the first occurrence of ASCII `text` in `der`. */
export function indexOfAscii(der: Uint8Array, text: string): number {
  const t = new TextEncoder().encode(text);
  outer: for (let i = 0; i + t.length <= der.length; i++) {
    for (let j = 0; j < t.length; j++) if (der[i + j] !== t[j]) continue outer;
    return i;
  }
  return -1;
}
