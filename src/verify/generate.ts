/**
 * A throw-away test PKI: a CA (optionally intermediates) and a leaf certificate for
 * TLS servers and clients, made with Web Crypto (Node 20+, Deno, Bun, browsers) and
 * issued through `x509.ts`. Used by tests and by `puretls demo`.
 *
 * Profile (RFC 5280 §4.2.1): the CA has basicConstraints cA=TRUE (critical), keyUsage
 * keyCertSign|cRLSign (critical) and a subjectKeyIdentifier; the leaf has cA=FALSE
 * (critical), keyUsage digitalSignature (critical), extKeyUsage serverAuth+clientAuth,
 * a subjectAltName with DNS and IP entries, and subject/authority key identifiers.
 * The leaf is never the CA (rustls refuses a CA:TRUE end entity), except
 * in the deliberately bad `ca-leaf` variant.
 *
 * Keys are exported as PKCS#8 PEM ("PRIVATE KEY", RFC 5958 / RFC 7468 §10).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { pemEncode } from '../crypto/pem.js';
import { KeyUsage, Oid } from './x509.js';
import { issueCertificate } from './issue.js';
import { formatIpAddress, parseIpAddress } from './hostname.js';

/** Key types for generated certificates. */
export type TestKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' | 'rsa-2048';

/**
 * Deliberately bad leaves, for tests:
 * - `expired`: validity ended yesterday; `not-yet-valid`: starts tomorrow;
 * - `wrong-name`: SAN is `wrong-name.invalid` only (the subject CN keeps the first requested
 *   name, so a verifier falling back to the CN would wrongly accept it);
 * - `untrusted`: leaf (and intermediates) issued by a different CA with the same name as
 *   the returned `caCertPem` but another key (returned as `untrustedCaCertPem`);
 * - `ca-leaf`: the leaf says cA=TRUE (refused as an end entity by rustls/webpki);
 * - `wrong-eku`: extKeyUsage is emailProtection only (neither serverAuth nor clientAuth).
 */
export type TestPkiVariant = 'good' | 'expired' | 'not-yet-valid' | 'wrong-name' | 'untrusted' | 'ca-leaf' | 'wrong-eku';

/** Options for {@link generateTestPki}. */
export interface TestPkiOptions {
  /** Leaf key type. Default `'ecdsa-p256'`. */
  readonly keyType?: TestKeyType;
  /** CA (and intermediate) key type. Default `'rsa-2048'` when `keyType` is `'rsa-2048'`, else `'ecdsa-p256'`. */
  readonly caKeyType?: TestKeyType;
  /** Hash for the CA's ECDSA/RSA signatures. Default `'SHA-256'` (ignored for Ed25519). */
  readonly signatureHash?: 'SHA-256' | 'SHA-384' | 'SHA-512';
  /** With an RSA CA: sign with RSASSA-PSS (salt length = hash length) instead of PKCS#1 v1.5. */
  readonly rsaPss?: boolean;
  /** DNS names and IP literals for the leaf SAN. Default `['localhost', '127.0.0.1', '::1']`. */
  readonly names?: readonly string[];
  /** Leaf validity start. Default one hour before `now`. */
  readonly notBefore?: Date;
  /** Leaf validity end. Default 90 days after `now`. */
  readonly notAfter?: Date;
  /** CA common name. Default `'puretls Test CA'`. */
  readonly caName?: string;
  /** Number of intermediate CAs between the CA and the leaf (0-4). Default 0. */
  readonly intermediates?: number;
  /** Bad-leaf variant(s); several may be combined. Default `'good'`. */
  readonly variant?: TestPkiVariant | readonly TestPkiVariant[];
  /** Reference time for the defaults. Default the current time. */
  readonly now?: Date;
}

/** A generated PKI. DER and PEM forms of the same certificates. */
export interface TestPki {
  /** The trust anchor to configure on the verifying side. */
  readonly caCertPem: string;
  readonly caCertDer: Uint8Array;
  /** The CA's private key (PKCS#8 PEM). */
  readonly caKeyPem: string;
  /** The leaf certificate alone. */
  readonly certPem: string;
  readonly certDer: Uint8Array;
  /** The leaf's private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** Intermediate CA certificates, nearest the leaf first (`[0]` is "<caName> Intermediate 1"). */
  readonly intermediateCertPems: readonly string[];
  readonly intermediateCertDers: readonly Uint8Array[];
  /** What a peer sends: the leaf followed by the intermediates (never a root). */
  readonly chainPem: string;
  readonly chainDer: readonly Uint8Array[];
  /** `untrusted` variant only: the CA that really issued the chain. */
  readonly untrustedCaCertPem?: string;
  readonly untrustedCaCertDer?: Uint8Array;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new TlsError('InternalError', { detail: 'Web Crypto (globalThis.crypto.subtle) is not available' });
  return c.subtle;
}

function randomSerialHex(): string {
  const b = new Uint8Array(16);
  (globalThis as { crypto: Crypto }).crypto.getRandomValues(b);
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; a non-zero first octet below 0x80 keeps it 16 octets.
  b[0] = (b[0]! & 0x7f) | 0x01;
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

interface SigningSetup {
  readonly keyAlg: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
  readonly signAlg: Algorithm | EcdsaParams | RsaPssParams;
}

const HASH_LEN = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 } as const;

function setupFor(type: TestKeyType, hash: 'SHA-256' | 'SHA-384' | 'SHA-512', pss: boolean): SigningSetup {
  switch (type) {
    case 'ecdsa-p256':
      return { keyAlg: { name: 'ECDSA', namedCurve: 'P-256' }, signAlg: { name: 'ECDSA', hash } };
    case 'ecdsa-p384':
      return { keyAlg: { name: 'ECDSA', namedCurve: 'P-384' }, signAlg: { name: 'ECDSA', hash } };
    case 'ed25519':
      return { keyAlg: { name: 'Ed25519' }, signAlg: { name: 'Ed25519' } };
    case 'rsa-2048': {
      const name = pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5';
      const keyAlg: RsaHashedKeyGenParams = { name, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash };
      return { keyAlg, signAlg: pss ? { name, saltLength: HASH_LEN[hash], hash } as RsaPssParams : { name, hash } as Algorithm };
    }
    default:
      throw new TlsError('InvalidConfig', { detail: `unknown key type ${String(type)}` });
  }
}

async function generateKeyPair(alg: SigningSetup['keyAlg']): Promise<CryptoKeyPair> {
  const k = (await subtle().generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  return k;
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  return pemEncode('PRIVATE KEY', new Uint8Array(await subtle().exportKey('pkcs8', key)));
}

interface Issuer {
  readonly name: string;
  readonly keys: CryptoKeyPair;
  readonly signAlg: SigningSetup['signAlg'];
}

/** A self-signed root and `count` intermediates below it; returns the root and the issuer for the leaf. */
async function buildHierarchy(
  caName: string,
  caSetup: SigningSetup,
  count: number,
  notBefore: Date,
  notAfter: Date,
): Promise<{ rootDer: Uint8Array; rootKeys: CryptoKeyPair; intermediates: Uint8Array[]; leafIssuer: Issuer }> {
  const rootKeys = await generateKeyPair(caSetup.keyAlg);
  const rootName = `CN=${caName}`;
  const caProfile = { basicConstraints: { ca: true }, keyUsage: KeyUsage.keyCertSign | KeyUsage.cRLSign, subjectKeyId: true } as const;
  const rootDer = await issueCertificate({
    subject: rootName,
    issuer: rootName,
    serialHex: randomSerialHex(),
    notBefore,
    notAfter,
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm: caSetup.signAlg,
    ...caProfile,
  });
  let issuer: Issuer = { name: rootName, keys: rootKeys, signAlg: caSetup.signAlg };
  const intermediates: Uint8Array[] = [];
  // Numbered from the leaf: "Intermediate 1" issues the leaf, "Intermediate <count>" is issued by the root.
  for (let i = count; i >= 1; i--) {
    const keys = await generateKeyPair(caSetup.keyAlg);
    const name = `CN=${caName} Intermediate ${i}`;
    const der = await issueCertificate({
      subject: name,
      issuer: issuer.name,
      serialHex: randomSerialHex(),
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: issuer.keys.privateKey,
      signingAlgorithm: issuer.signAlg,
      authorityKey: issuer.keys.publicKey,
      ...caProfile,
    });
    intermediates.unshift(der); // nearest the leaf first
    issuer = { name, keys, signAlg: caSetup.signAlg };
  }
  return { rootDer, rootKeys, intermediates, leafIssuer: issuer };
}

/**
 * Generates a CA and a leaf certificate (and optionally intermediates) for tests and demos.
 *
 * @param opts - key types, names, validity and bad-leaf variants
 * @returns certificates (PEM and DER) and PKCS#8 PEM private keys
 * @throws TlsError('InvalidConfig') for an invalid name or option
 *
 * @example
 * ```ts
 * const pki = await generateTestPki({ keyType: 'ed25519' });
 * // server: cert = pki.chainPem, key = pki.keyPem; client: ca = pki.caCertPem
 * ```
 */
export async function generateTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  const keyType = opts.keyType ?? 'ecdsa-p256';
  const caKeyType = opts.caKeyType ?? (keyType === 'rsa-2048' ? 'rsa-2048' : 'ecdsa-p256');
  const hash = opts.signatureHash ?? 'SHA-256';
  const variants = new Set<TestPkiVariant>(
    opts.variant === undefined ? [] : typeof opts.variant === 'string' ? [opts.variant] : opts.variant,
  );
  const count = opts.intermediates ?? 0;
  if (!Number.isInteger(count) || count < 0 || count > 4) throw new TlsError('InvalidConfig', { detail: 'intermediates must be 0-4' });
  const caName = opts.caName ?? 'puretls Test CA';
  if (/[,=+<>#;\\"]/.test(caName)) throw new TlsError('InvalidConfig', { detail: `caName must be a plain common name: ${caName}` });
  const now = (opts.now ?? new Date()).getTime();

  // Leaf names: IP literals go to iPAddress entries, the rest to dNSName entries.
  const requested = opts.names ?? ['localhost', '127.0.0.1', '::1'];
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const n of requested) {
    const ip = parseIpAddress(n);
    if (ip) ipAddresses.push(formatIpAddress(ip));
    else if (/^[A-Za-z0-9*_.-]+$/.test(n) && n.length > 0) dnsNames.push(n);
    else throw new TlsError('InvalidConfig', { detail: `not a DNS name or IP literal: ${n}` });
  }
  const cn = dnsNames[0] ?? 'puretls test leaf';
  const sanDns = variants.has('wrong-name') ? ['wrong-name.invalid'] : dnsNames;
  const sanIp = variants.has('wrong-name') ? [] : ipAddresses;

  let leafNotBefore = opts.notBefore ?? new Date(now - HOUR);
  let leafNotAfter = opts.notAfter ?? new Date(now + 90 * DAY);
  if (variants.has('expired')) {
    leafNotBefore = new Date(now - 30 * DAY);
    leafNotAfter = new Date(now - DAY);
  }
  if (variants.has('not-yet-valid')) {
    leafNotBefore = new Date(now + DAY);
    leafNotAfter = new Date(now + 30 * DAY);
  }
  const caNotBefore = new Date(Math.min(now - HOUR, leafNotBefore.getTime()));
  const caNotAfter = new Date(Math.max(now + 365 * DAY, leafNotAfter.getTime()));

  const caSetup = setupFor(caKeyType, hash, opts.rsaPss === true);
  const trusted = await buildHierarchy(caName, caSetup, count, caNotBefore, caNotAfter);
  // The untrusted variant: an impostor hierarchy with the same names and other keys.
  const actual = variants.has('untrusted') ? await buildHierarchy(caName, caSetup, count, caNotBefore, caNotAfter) : trusted;

  const leafSetup = setupFor(keyType, 'SHA-256', false);
  const leafKeys = await generateKeyPair(leafSetup.keyAlg);
  const caLeaf = variants.has('ca-leaf');
  const certDer = await issueCertificate({
    subject: `CN=${cn}`,
    issuer: actual.leafIssuer.name,
    serialHex: randomSerialHex(),
    notBefore: leafNotBefore,
    notAfter: leafNotAfter,
    publicKey: leafKeys.publicKey,
    signingKey: actual.leafIssuer.keys.privateKey,
    signingAlgorithm: actual.leafIssuer.signAlg,
    basicConstraints: { ca: caLeaf },
    keyUsage: caLeaf ? KeyUsage.digitalSignature | KeyUsage.keyCertSign : KeyUsage.digitalSignature,
    extKeyUsage: variants.has('wrong-eku') ? [Oid.emailProtection] : [Oid.serverAuth, Oid.clientAuth],
    dnsNames: sanDns,
    ipAddresses: sanIp,
    subjectKeyId: true,
    authorityKey: actual.leafIssuer.keys.publicKey,
  });

  const certPem = pemEncode('CERTIFICATE', certDer);
  const intermediateCertPems = actual.intermediates.map((d) => pemEncode('CERTIFICATE', d));
  const base: TestPki = {
    caCertPem: pemEncode('CERTIFICATE', trusted.rootDer),
    caCertDer: trusted.rootDer,
    caKeyPem: await pkcs8Pem(trusted.rootKeys.privateKey),
    certPem,
    certDer,
    keyPem: await pkcs8Pem(leafKeys.privateKey),
    intermediateCertPems,
    intermediateCertDers: actual.intermediates,
    chainPem: certPem + intermediateCertPems.join(''),
    chainDer: [certDer, ...actual.intermediates],
  };
  if (actual === trusted) return base;
  return { ...base, untrustedCaCertPem: pemEncode('CERTIFICATE', actual.rootDer), untrustedCaCertDer: actual.rootDer };
}
