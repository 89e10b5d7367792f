/**
 * Issuing certificates with @peculiar/x509 over Web Crypto, for the test PKI generator
 * (generate.ts, reached only from `puretls/testing` and the CLI demo). This is the only
 * module in `src/` that imports `@peculiar/x509`: the verifier (x509.ts) parses with our
 * own DER reader, so programs that only verify never load it.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type * as X509 from '@peculiar/x509';
import { TlsError } from '../base/errors.js';
import type { CertificateExtension } from './x509.js';


/** The Web Crypto API in use (Node 20+, Deno, Bun and browsers have `globalThis.crypto`). */
function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new TlsError('InternalError', { detail: 'Web Crypto (globalThis.crypto.subtle) is not available' });
  return c;
}

/**
 * What to put in a certificate issued by {@link issueCertificate}.
 * @internal For the test PKI generator; not part of the public API.
 */
export interface IssueParams {
  /** Subject DN string, e.g. `'CN=puretls Test CA'`. */
  readonly subject: string;
  /** Issuer DN string (the issuer's subject). */
  readonly issuer: string;
  /** Serial number, hex (positive: first octet < 0x80). */
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subject's public key. */
  readonly publicKey: CryptoKey;
  /** The issuer's private key. */
  readonly signingKey: CryptoKey;
  /** Web Crypto signature algorithm, e.g. `{ name: 'ECDSA', hash: 'SHA-256' }`. */
  readonly signingAlgorithm: Algorithm | EcdsaParams | RsaPssParams;
  /** basicConstraints (always marked critical when present: RFC 5280 §4.2.1.9 for CAs). */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLen?: number };
  /** Key usage bits ({@link KeyUsage}), critical (RFC 5280 §4.2.1.3 SHOULD). */
  readonly keyUsage?: number;
  /** Extended key usage OIDs (non-critical). */
  readonly extKeyUsage?: readonly string[];
  /** SAN dNSName entries. */
  readonly dnsNames?: readonly string[];
  /** SAN iPAddress entries (IP literals). */
  readonly ipAddresses?: readonly string[];
  /** Add subjectKeyIdentifier (SHA-1 of the subject public key, RFC 5280 §4.2.1.2 method 1). */
  readonly subjectKeyId?: boolean;
  /** Add authorityKeyIdentifier from this (issuer) public key. */
  readonly authorityKey?: CryptoKey;
  /** Further extensions, as given (tests use this for unknown critical extensions). */
  readonly extraExtensions?: readonly CertificateExtension[];
}

let x509Module: Promise<typeof X509> | undefined;

/**
 * Loads @peculiar/x509 on first use, after the Reflect metadata shim it needs
 * (reflect-shim.ts). Loading lazily keeps the library, its dependencies and the shim's
 * global change out of every program that only verifies certificates, and lets bundlers
 * split it out of client builds.
 */
function loadX509(): Promise<typeof X509> {
  x509Module ??= import('./reflect-shim.js').then(() => import('@peculiar/x509'));
  return x509Module;
}

/**
 * Issues a certificate with @peculiar/x509 over Web Crypto.
 * @internal For the test PKI generator; not part of the public API.
 * @returns the DER certificate
 */
export async function issueCertificate(p: IssueParams): Promise<Uint8Array> {
  const c = webCrypto();
  const x509 = await loadX509();
  const extensions: X509.Extension[] = [];
  if (p.basicConstraints) extensions.push(new x509.BasicConstraintsExtension(p.basicConstraints.ca, p.basicConstraints.pathLen, true));
  if (p.keyUsage !== undefined) extensions.push(new x509.KeyUsagesExtension(p.keyUsage, true));
  if (p.extKeyUsage && p.extKeyUsage.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension([...p.extKeyUsage], false));
  const names: X509.JsonGeneralNames = [
    ...(p.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(p.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  if (p.subjectKeyId) extensions.push(await x509.SubjectKeyIdentifierExtension.create(p.publicKey, false, c));
  if (p.authorityKey) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(p.authorityKey, false, c));
  for (const e of p.extraExtensions ?? []) extensions.push(new x509.Extension(e.oid, e.critical, copyBytes(e.value)));
  try {
    const cert = await x509.X509CertificateGenerator.create(
      {
        serialNumber: p.serialHex,
        subject: p.subject,
        issuer: p.issuer,
        notBefore: p.notBefore,
        notAfter: p.notAfter,
        publicKey: p.publicKey,
        signingKey: p.signingKey,
        signingAlgorithm: p.signingAlgorithm,
        extensions,
      },
      c,
    );
    return new Uint8Array(cert.rawData);
  } catch (e) {
    throw new TlsError('InternalError', { detail: `issuing certificate failed: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
}
