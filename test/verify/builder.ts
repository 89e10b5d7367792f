/**
 * A certificate builder for verifier tests: every field and extension under the test's
 * control (including the bad ones no library will produce: duplicate or malformed
 * extensions, wrong versions, negative or over-long serials, MD5/SHA-1 signatures, small
 * RSA keys), encoded with our DER writer and signed with node:crypto.
 *
 * Test code only (src/ never imports node: modules).
 */
import { createHash, generateKeyPairSync, sign as nodeSign, constants, type KeyObject } from 'node:crypto';
import { derBitString, derNull, derOctetString, derOid, derSequence, derTlv, derUnsignedInteger, DerTag } from '../../src/crypto/der.js';
import { pemEncode } from '../../src/crypto/pem.js';
import { parseIpAddress } from '../../src/verify/hostname.js';
import { KeyUsage, Oid } from '../../src/verify/x509.js';

export { KeyUsage, Oid };

export const HOUR = 3600_000;
export const DAY = 24 * HOUR;
export const YEAR = 365 * DAY;

// ------------------------------------------------------------------------------ keys

export type KeyKind = 'p256' | 'p384' | 'ed25519' | 'rsa2048' | 'rsa1024';

export interface TestKey {
  readonly kind: KeyKind;
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}

function genKey(kind: KeyKind): TestKey {
  let pair: { privateKey: KeyObject; publicKey: KeyObject };
  switch (kind) {
    case 'p256':
      pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      break;
    case 'p384':
      pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
      break;
    case 'ed25519':
      pair = generateKeyPairSync('ed25519');
      break;
    case 'rsa2048':
      pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      break;
    case 'rsa1024':
      pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
      break;
  }
  return { kind, privateKey: pair.privateKey, spki: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })) };
}

const rsaPool = new Map<string, TestKey>();

/** A fresh key (EC/Ed25519), or a pooled RSA key (RSA generation is slow): `slot` picks one. */
export function key(kind: KeyKind, slot = 0): TestKey {
  if (kind === 'rsa2048' || kind === 'rsa1024') {
    const id = `${kind}/${slot}`;
    let k = rsaPool.get(id);
    if (!k) rsaPool.set(id, (k = genKey(kind)));
    return k;
  }
  return genKey(kind);
}

// ------------------------------------------------------------------------------ signatures

export type SigAlg =
  | 'ecdsa-sha256'
  | 'ecdsa-sha384'
  | 'ecdsa-sha512'
  | 'ecdsa-sha1'
  | 'rsa-sha256'
  | 'rsa-sha384'
  | 'rsa-sha512'
  | 'rsa-sha1'
  | 'rsa-md5'
  | 'pss-sha256'
  | 'pss-sha384'
  | 'pss-sha512'
  | 'ed25519';

const HASH_OID = { sha256: Oid.sha256, sha384: Oid.sha384, sha512: Oid.sha512 } as const;
const HASH_LEN = { sha256: 32, sha384: 48, sha512: 64 } as const;

function algorithmId(alg: SigAlg): Uint8Array {
  switch (alg) {
    case 'ecdsa-sha256':
      return derSequence(derOid(Oid.ecdsaWithSha256));
    case 'ecdsa-sha384':
      return derSequence(derOid(Oid.ecdsaWithSha384));
    case 'ecdsa-sha512':
      return derSequence(derOid(Oid.ecdsaWithSha512));
    case 'ecdsa-sha1':
      return derSequence(derOid(Oid.ecdsaWithSha1));
    case 'rsa-sha256':
      return derSequence(derOid(Oid.sha256WithRSAEncryption), derNull());
    case 'rsa-sha384':
      return derSequence(derOid(Oid.sha384WithRSAEncryption), derNull());
    case 'rsa-sha512':
      return derSequence(derOid(Oid.sha512WithRSAEncryption), derNull());
    case 'rsa-sha1':
      return derSequence(derOid(Oid.sha1WithRSAEncryption), derNull());
    case 'rsa-md5':
      return derSequence(derOid(Oid.md5WithRSAEncryption), derNull());
    case 'ed25519':
      return derSequence(derOid(Oid.ed25519));
    default: {
      // RFC 4055 §3.1 RSASSA-PSS-params: hash, MGF1 with the same hash, salt = hash length.
      const h = alg.slice(4) as 'sha256' | 'sha384' | 'sha512';
      const hashAlg = derSequence(derOid(HASH_OID[h]), derNull());
      return derSequence(
        derOid(Oid.rsassaPss),
        derSequence(
          derTlv(0xa0, hashAlg),
          derTlv(0xa1, derSequence(derOid(Oid.mgf1), hashAlg)),
          derTlv(0xa2, derUnsignedInteger(BigInt(HASH_LEN[h]))),
        ),
      );
    }
  }
}

function defaultSigAlg(k: TestKey): SigAlg {
  switch (k.kind) {
    case 'p256':
      return 'ecdsa-sha256';
    case 'p384':
      return 'ecdsa-sha384';
    case 'ed25519':
      return 'ed25519';
    default:
      return 'rsa-sha256';
  }
}

function signWith(alg: SigAlg, k: TestKey, data: Uint8Array): Uint8Array {
  if (alg === 'ed25519') return new Uint8Array(nodeSign(null, data, k.privateKey));
  if (alg.startsWith('pss-')) {
    const h = alg.slice(4) as 'sha256' | 'sha384' | 'sha512';
    return new Uint8Array(nodeSign(h, data, { key: k.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_LEN[h] }));
  }
  const hash = alg.split('-')[1]!;
  return new Uint8Array(nodeSign(hash, data, k.privateKey));
}

// ------------------------------------------------------------------------------ names

const ATTR: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', L: '2.5.4.7', emailAddress: '1.2.840.113549.1.9.1', DC: '0.9.2342.19200300.100.1.25' };

/**
 * A Name from `'CN=leaf'` or `'O=Org, CN=leaf'` (RDNs in DER order: most significant
 * first, the reverse of RFC 4514 strings). emailAddress and DC are IA5String, C is
 * PrintableString, the rest UTF8String. `''` is the empty name.
 */
export function name(spec: string): Uint8Array {
  if (spec === '') return derSequence();
  const rdns = spec.split(/\s*,\s*/).map((part) => {
    const eq = part.indexOf('=');
    const type = part.slice(0, eq);
    const value = new TextEncoder().encode(part.slice(eq + 1));
    const oid = ATTR[type];
    if (!oid) throw new Error(`test builder: unknown attribute ${type}`);
    const tag = type === 'emailAddress' || type === 'DC' ? 0x16 : type === 'C' ? 0x13 : DerTag.UTF8_STRING;
    return derTlv(DerTag.SET, derSequence(derOid(oid), derTlv(tag, value)));
  });
  return derSequence(...rdns);
}

function time(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  // RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  if (y >= 1950 && y < 2050) return derTlv(0x17, new TextEncoder().encode(`${p(y % 100)}${rest}`));
  return derTlv(0x18, new TextEncoder().encode(`${p(y, 4)}${rest}`));
}

// ------------------------------------------------------------------------------ extensions

export interface Ext {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

const ascii = (s: string) => new TextEncoder().encode(s);

/** A GeneralName (RFC 5280 §4.2.1.6). */
export type GeneralName =
  | { dns: string }
  | { ip: string }
  | { ipRange: string } // "192.0.2.0/24" (constraints only)
  | { email: string }
  | { uri: string }
  | { dir: string }
  | { registeredId: string };

function ipBytes(s: string): Uint8Array {
  const b = parseIpAddress(s);
  if (!b) throw new Error(`test builder: bad IP ${s}`);
  return b;
}

export function generalName(g: GeneralName): Uint8Array {
  if ('dns' in g) return derTlv(0x82, ascii(g.dns));
  if ('ip' in g) return derTlv(0x87, ipBytes(g.ip));
  if ('ipRange' in g) {
    const [addr, bits] = g.ipRange.split('/') as [string, string];
    const a = ipBytes(addr);
    const m = new Uint8Array(a.length);
    for (let i = 0; i < Number(bits); i++) m[i >> 3]! |= 0x80 >> (i & 7);
    const out = new Uint8Array(a.length * 2);
    out.set(a);
    out.set(m, a.length);
    return derTlv(0x87, out);
  }
  if ('email' in g) return derTlv(0x81, ascii(g.email));
  if ('uri' in g) return derTlv(0x86, ascii(g.uri));
  if ('dir' in g) return derTlv(0xa4, name(g.dir));
  return derTlv(0x88, derOid(g.registeredId).subarray(2));
}

/** One RDN with one attribute whose value is given raw (tag and content octets), for names {@link name} cannot write. */
export function rawRdn(oid: string, tag: number, content: Uint8Array | string): Uint8Array {
  return derTlv(DerTag.SET, derSequence(derOid(oid), derTlv(tag, typeof content === 'string' ? ascii(content) : content)));
}

export const ext = {
  basicConstraints(ca: boolean, pathLen?: number, critical = true): Ext {
    const parts: Uint8Array[] = [];
    if (ca) parts.push(derTlv(DerTag.BOOLEAN, Uint8Array.of(0xff)));
    if (pathLen !== undefined) parts.push(derUnsignedInteger(BigInt(pathLen)));
    return { oid: Oid.basicConstraints, critical, value: derSequence(...parts) };
  },
  keyUsage(bits: number, critical = true): Ext {
    // Named bit i is bit (7 - i % 8) of octet i / 8; DER drops trailing zero bits (X.690 §11.2.2).
    let top = 0;
    for (let i = 0; i < 9; i++) if (bits & (1 << i)) top = i;
    const nBytes = (top >> 3) + 1;
    const out = new Uint8Array(nBytes + 1);
    for (let i = 0; i <= top; i++) if (bits & (1 << i)) out[1 + (i >> 3)]! |= 0x80 >> (i & 7);
    out[0] = nBytes * 8 - 1 - top;
    return { oid: Oid.keyUsage, critical, value: derTlv(DerTag.BIT_STRING, out) };
  },
  eku(oids: readonly string[], critical = false): Ext {
    return { oid: Oid.extKeyUsage, critical, value: derSequence(...oids.map(derOid)) };
  },
  san(names: readonly GeneralName[], critical = false): Ext {
    return { oid: Oid.subjectAltName, critical, value: derSequence(...names.map(generalName)) };
  },
  ski(id: Uint8Array): Ext {
    return { oid: Oid.subjectKeyIdentifier, critical: false, value: derOctetString(id) };
  },
  aki(id: Uint8Array): Ext {
    return { oid: Oid.authorityKeyIdentifier, critical: false, value: derSequence(derTlv(0x80, id)) };
  },
  nameConstraints(c: { permitted?: readonly GeneralName[]; excluded?: readonly GeneralName[] }, critical = true): Ext {
    const subtrees = (tag: number, l: readonly GeneralName[] | undefined) => (l && l.length > 0 ? [derTlv(tag, ...l.map((g) => derSequence(generalName(g))))] : []);
    return { oid: Oid.nameConstraints, critical, value: derSequence(...subtrees(0xa0, c.permitted), ...subtrees(0xa1, c.excluded)) };
  },
  certificatePolicies(oids: readonly string[], critical = false): Ext {
    return { oid: Oid.certificatePolicies, critical, value: derSequence(...oids.map((o) => derSequence(derOid(o)))) };
  },
  policyConstraints(c: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number }, critical = true): Ext {
    const parts: Uint8Array[] = [];
    const int = (n: number) => derUnsignedInteger(BigInt(n)).subarray(2);
    if (c.requireExplicitPolicy !== undefined) parts.push(derTlv(0x80, int(c.requireExplicitPolicy)));
    if (c.inhibitPolicyMapping !== undefined) parts.push(derTlv(0x81, int(c.inhibitPolicyMapping)));
    return { oid: Oid.policyConstraints, critical, value: derSequence(...parts) };
  },
  inhibitAnyPolicy(n: number, critical = true): Ext {
    return { oid: Oid.inhibitAnyPolicy, critical, value: derUnsignedInteger(BigInt(n)) };
  },
  policyMappings(pairs: readonly [string, string][], critical = true): Ext {
    return { oid: Oid.policyMappings, critical, value: derSequence(...pairs.map(([a, b]) => derSequence(derOid(a), derOid(b)))) };
  },
  raw(oid: string, value: Uint8Array, critical = false): Ext {
    return { oid, critical, value };
  },
};

function encodeExtension(e: Ext): Uint8Array {
  return derSequence(derOid(e.oid), ...(e.critical ? [derTlv(DerTag.BOOLEAN, Uint8Array.of(0xff))] : []), derOctetString(e.value));
}

// ------------------------------------------------------------------------------ certificates

export interface Issued {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly key: TestKey;
  /** Subject Name DER. */
  readonly subject: Uint8Array;
  readonly subjectText: string;
  readonly skid: Uint8Array;
  readonly sigAlg: SigAlg;
}

export interface CertSpec {
  /** Subject, see {@link name}. */
  subject: string;
  /** The subject Name as raw DER, instead of `subject` (for names {@link name} cannot write). */
  subjectDer?: Uint8Array;
  /** The issuer; absent: self-signed. */
  issuer?: Issued;
  key?: TestKey | KeyKind;
  notBefore: Date;
  notAfter: Date;
  /** Serial: a positive number, or the raw INTEGER content octets. Default: a counter. */
  serial?: bigint | Uint8Array;
  /** 1, 2 or 3 (default 3); 'explicit-v1' writes version 0 explicitly; a number > 3 writes it as is. */
  version?: 1 | 2 | 3 | 'explicit-v1' | number;
  /** Signature algorithm of the issuer's signature. Default from the issuer key. */
  sigAlg?: SigAlg;
  /** Extensions, in order; the default profile is replaced when given. */
  extensions?: readonly Ext[];
  /** Extensions appended to the profile. */
  extra?: readonly Ext[];
  /** Profile: CA (basicConstraints cA critical, keyUsage keyCertSign|cRLSign) or leaf. Default leaf. */
  ca?: boolean;
  pathLen?: number;
  /** Leaf SAN entries (profile). */
  san?: readonly GeneralName[];
  /** Leaf EKU (profile). Default serverAuth + clientAuth. */
  eku?: readonly string[];
  /** Key usage bits (profile). */
  keyUsage?: number;
  /** Key identifiers (profile). Default true. */
  keyIds?: boolean;
  /** Omit the extensions field entirely (v1-style). */
  noExtensions?: boolean;
  /** Changes the tbsCertificate after signing (to make a bad signature). */
  tamperTbs?: (tbs: Uint8Array) => Uint8Array;
  /** Changes the signature bits after signing. */
  tamperSignature?: (sig: Uint8Array) => Uint8Array;
}

let serialCounter = 0x1000n;

export function keyId(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(spki).digest());
}

/** Issues one certificate per `spec`. */
export function issue(spec: CertSpec): Issued {
  const k = typeof spec.key === 'string' ? key(spec.key) : (spec.key ?? key('p256'));
  const signer = spec.issuer?.key ?? k;
  const sigAlg = spec.sigAlg ?? defaultSigAlg(signer);
  const subject = spec.subjectDer ?? name(spec.subject);
  const issuerName = spec.issuer?.subject ?? subject;
  const skid = keyId(k.spki);
  let exts: Ext[];
  if (spec.extensions) {
    exts = [...spec.extensions];
  } else {
    exts = [];
    if (spec.ca) {
      exts.push(ext.basicConstraints(true, spec.pathLen));
      exts.push(ext.keyUsage(spec.keyUsage ?? KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else {
      exts.push(ext.basicConstraints(false));
      exts.push(ext.keyUsage(spec.keyUsage ?? KeyUsage.digitalSignature));
      exts.push(ext.eku(spec.eku ?? [Oid.serverAuth, Oid.clientAuth]));
      if (spec.san && spec.san.length > 0) exts.push(ext.san(spec.san));
    }
    if (spec.keyIds !== false) {
      exts.push(ext.ski(skid));
      if (spec.issuer) exts.push(ext.aki(spec.issuer.skid));
    }
  }
  exts.push(...(spec.extra ?? []));
  const version = spec.version ?? 3;
  const versionField =
    version === 1 ? [] : version === 'explicit-v1' ? [derTlv(0xa0, derUnsignedInteger(0n))] : [derTlv(0xa0, derUnsignedInteger(BigInt(version - 1)))];
  const serial = spec.serial ?? serialCounter++;
  const serialField = serial instanceof Uint8Array ? derTlv(DerTag.INTEGER, serial) : derUnsignedInteger(serial);
  const alg = algorithmId(sigAlg);
  let tbs = derSequence(
    ...versionField,
    serialField,
    alg,
    issuerName,
    derSequence(time(spec.notBefore), time(spec.notAfter)),
    subject,
    k.spki,
    ...(spec.noExtensions || exts.length === 0 ? [] : [derTlv(0xa3, derSequence(...exts.map(encodeExtension)))]),
  );
  let sig = signWith(sigAlg, signer, tbs);
  if (spec.tamperTbs) tbs = spec.tamperTbs(tbs);
  if (spec.tamperSignature) sig = spec.tamperSignature(sig);
  const der = derSequence(tbs, alg, derBitString(sig));
  return { der, pem: pemEncode('CERTIFICATE', der), key: k, subject, subjectText: spec.subject, skid, sigAlg };
}

/** Flips the lowest bit of the byte at `offset` (negative: from the end) of a copy. */
export function flip(b: Uint8Array, offset = -1): Uint8Array {
  const out = b.slice();
  const i = offset < 0 ? out.length + offset : offset;
  out[i]! ^= 0x01;
  return out;
}

/** Replaces the first occurrence of ASCII `from` by `to` (same length) in a copy. */
export function replaceAscii(b: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('test builder: replaceAscii needs equal lengths');
  const f = ascii(from);
  outer: for (let i = 0; i + f.length <= b.length; i++) {
    for (let j = 0; j < f.length; j++) if (b[i + j] !== f[j]) continue outer;
    const out = b.slice();
    out.set(ascii(to), i);
    return out;
  }
  throw new Error(`test builder: ${from} not found`);
}
