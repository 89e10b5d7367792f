/**
 * Public and private key decoding for the pure provider.
 *
 * - SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): EC P-256 / P-384 (RFC 5480 §2), Ed25519
 *   (RFC 8410 §3-§4), RSA (RFC 3279 §2.3.1, RFC 8017 A.1.1) and RSASSA-PSS (RFC 4055 §3.1,
 *   RFC 5756 §2).
 * - Private keys: PKCS#8 (RFC 5958 §2), SEC1 ECPrivateKey (RFC 5915 §3), PKCS#1
 *   RSAPrivateKey (RFC 8017 A.1.2), as PEM (RFC 7468 §10-§11, §13) or DER.
 *
 * Error statuses:
 * - {@link parsePublicKey}: `CertificateUnsupported` for an algorithm, curve, parameter set
 *   or key size we do not handle; `CertificateOtherErrors` for a corrupt encoding (bad
 *   DER, point not on the curve, impossible RSA numbers).
 * - {@link parsePrivateKey}: `InvalidConfig` for anything wrong.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { TlsError, type TlsStatus } from '../base/errors.js';
import type { HashAlg, KeyType, PrivateKeyInfo, PublicKeyInfo, RsaPrivateComponents } from './provider.js';
import {
  DerReader,
  DerTag,
  bitLength,
  contextTag,
  derBitString,
  derNull,
  derOid,
  derSequence,
  derUnsignedInteger,
} from './der.js';
import { bytesToText, isPem, pemDecode } from './pem.js';

/** Object identifiers used by the key formats. */
export const OID = {
  /** RFC 5480 §2.1.1 */
  ecPublicKey: '1.2.840.10045.2.1',
  /** RFC 5480 §2.1.1.1 (prime256v1) */
  secp256r1: '1.2.840.10045.3.1.7',
  /** RFC 5480 §2.1.1.1 */
  secp384r1: '1.3.132.0.34',
  /** RFC 8410 §3 */
  ed25519: '1.3.101.112',
  /** RFC 8017 A.1 / RFC 3279 §2.3.1 */
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** RFC 4055 §3.1 / RFC 8017 A.2.3 */
  rsassaPss: '1.2.840.113549.1.1.10',
  /** RFC 8017 B.2.1 */
  mgf1: '1.2.840.113549.1.1.8',
  /** RFC 5754 §2 */
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  /** RFC 5754 §2 */
  sha224: '2.16.840.1.101.3.4.2.4',
  /** RFC 8017 Appendix A.2.3 (id-sha512-224, id-sha512-256) */
  sha512_224: '2.16.840.1.101.3.4.2.5',
  sha512_256: '2.16.840.1.101.3.4.2.6',
  /** RFC 3279 §2.2.1 */
  sha1: '1.3.14.3.2.26',
} as const;

/** RSA modulus sizes we accept, in bits. Smaller is broken; larger makes modexp a DoS vector. */
export const RSA_MIN_BITS = 1024;
/** See {@link RSA_MIN_BITS}. */
export const RSA_MAX_BITS = 8192;
/** Largest public exponent accepted (2^24): real keys use 65537 or less, and each exponent bit costs a modular multiplication on untrusted input. */
export const RSA_MAX_E = 0xffffffn;

type EcType = 'ec-p256' | 'ec-p384';
// In a pure-annotated function: a bundle that parses public keys only (the client-only
// entry) drops it, and @noble/curves' P-256/P-384 with it (a property read is not pure for esbuild).
const CURVES = /* @__PURE__ */ (() =>
  ({
    'ec-p256': { curve: p256, oid: OID.secp256r1, size: 32 },
    'ec-p384': { curve: p384, oid: OID.secp384r1, size: 48 },
  }) as const)();

function curveTypeOf(oid: string): EcType | undefined {
  return oid === OID.secp256r1 ? 'ec-p256' : oid === OID.secp384r1 ? 'ec-p384' : undefined;
}

// ------------------------------------------------------------------ SPKI builders

/** DER SubjectPublicKeyInfo for an EC public key (RFC 5480 §2: namedCurve, uncompressed point). */
export function ecSpki(type: EcType, point: Uint8Array): Uint8Array {
  return derSequence(derSequence(derOid(OID.ecPublicKey), derOid(CURVES[type].oid)), derBitString(point));
}

/** DER SubjectPublicKeyInfo for an Ed25519 key (RFC 8410 §4: parameters absent). */
export function ed25519Spki(publicKey: Uint8Array): Uint8Array {
  return derSequence(derSequence(derOid(OID.ed25519)), derBitString(publicKey));
}

/**
 * DER SubjectPublicKeyInfo for an RSA key. `algorithm` is the encoded AlgorithmIdentifier;
 * the default is rsaEncryption with NULL parameters (RFC 3279 §2.3.1).
 */
export function rsaSpki(n: bigint, e: bigint, algorithm?: Uint8Array): Uint8Array {
  const alg = algorithm ?? derSequence(derOid(OID.rsaEncryption), derNull());
  return derSequence(alg, derBitString(derSequence(derUnsignedInteger(n), derUnsignedInteger(e))));
}

// ------------------------------------------------------------------ public keys

/**
 * Decodes a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
 *
 * @throws TlsError('CertificateUnsupported') for an unknown algorithm, curve or parameters
 *   (RSASSA-PSS-params naming a hash or mask generation function outside RFC 8017
 *   Appendix A.2.3 included), or an RSA key outside {@link RSA_MIN_BITS}..{@link RSA_MAX_BITS};
 *   TlsError('CertificateOtherErrors') for a malformed encoding or invalid key (an
 *   RSASSA-PSS salt length too long for the modulus, RFC 8017 §9.1.1, included).
 */
export function parsePublicKey(spki: Uint8Array): PublicKeyInfo {
  return parsePublicKeyWith(spki, NOBLE_POINTS);
}

/**
 * Point validation for {@link parsePublicKeyWith}: what a provider brings (the pure
 * provider: @noble/curves; the client-only entry's: the curves its modules include).
 */
export interface PublicKeyPoints {
  /**
   * The uncompressed encoding of a SEC1 point (already checked to be 1 + 2·size bytes with
   * 0x04, or 1 + size bytes with 0x02/0x03) if it is on `type`'s curve; throws otherwise.
   */
  ecPoint(type: 'ec-p256' | 'ec-p384', bytes: Uint8Array): Uint8Array;
  /** Throws if the 32 bytes are not an Ed25519 point (RFC 8032 §5.1.3). */
  ed25519Point?(bits: Uint8Array): void;
  /** Why Ed25519 keys are refused when {@link ed25519Point} is absent. */
  readonly ed25519Missing?: string;
}

const NOBLE_POINTS: PublicKeyPoints = {
  ecPoint(type, bytes) {
    const pt = CURVES[type].curve.Point.fromBytes(bytes);
    pt.assertValidity();
    return pt.toBytes(false);
  },
  ed25519Point(bits) {
    ed25519.Point.fromBytes(bits, false);
  },
};

/**
 * {@link parsePublicKey} with the point checks of `points` (the same checks and errors; an
 * Ed25519 key is `CertificateUnsupported` when `points` cannot check Ed25519 points).
 * @throws as {@link parsePublicKey}
 */
export function parsePublicKeyWith(spki: Uint8Array, points: PublicKeyPoints): PublicKeyInfo {
  const bad = 'CertificateOtherErrors';
  const top = new DerReader(spki, bad, 'SubjectPublicKeyInfo');
  const seq = top.sequence();
  top.end();
  const alg = seq.sequence();
  const oid = alg.oid();
  const bits = seq.bitString();
  seq.end();
  const copy = copyBytes(spki);
  switch (oid) {
    case OID.ecPublicKey: {
      // RFC 5480 §2.1.1: parameters are a namedCurve OID; implicitCurve and
      // specifiedCurve "MUST NOT be used" in PKIX.
      if (alg.peekTag() !== DerTag.OID) unsupported('EC key without a named curve');
      const type = curveTypeOf(alg.oid());
      alg.end();
      if (!type) unsupported('EC curve not supported');
      return { type, spki: copy, raw: decodeEcPoint(type, bits, bad, points) };
    }
    case OID.ed25519: {
      // RFC 8410 §3: "the parameters MUST be absent".
      alg.end();
      if (bits.length !== 32) throw new TlsError(bad, { detail: 'Ed25519 key must be 32 bytes' });
      if (!points.ed25519Point) unsupported(points.ed25519Missing ?? 'Ed25519 keys not supported');
      try {
        points.ed25519Point(bits);
      } catch {
        throw new TlsError(bad, { detail: 'Ed25519 key is not a valid point' });
      }
      return { type: 'ed25519', spki: copy, raw: copyBytes(bits) };
    }
    case OID.rsaEncryption: {
      // RFC 3279 §2.3.1: "the parameters field MUST have ASN.1 type NULL".
      alg.null();
      alg.end();
      const { n, e } = decodeRsaPublic(bits, bad, 'CertificateUnsupported');
      return { type: 'rsa', spki: copy, n, e, bits: bitLength(n) };
    }
    case OID.rsassaPss: {
      // RFC 4055 §3.1: parameters absent (no restriction) or RSASSA-PSS-params.
      const params = alg.done ? null : decodePssParams(alg.sequence(), 'CertificateUnsupported');
      alg.end();
      const { n, e } = decodeRsaPublic(bits, bad, 'CertificateUnsupported');
      if (params) checkPssSaltFits(params, n, bad);
      return { type: 'rsa-pss', spki: copy, n, e, bits: bitLength(n) };
    }
    default:
      return unsupported(`public key algorithm ${oid} not supported`);
  }
}

function unsupported(detail: string): never {
  throw new TlsError('CertificateUnsupported', { detail });
}

/** Decodes and validates a SEC1 point (RFC 5480 §2.2; SEC 1 §2.3.4), returning it uncompressed. */
function decodeEcPoint(type: EcType, bytes: Uint8Array, status: TlsStatus, points: PublicKeyPoints): Uint8Array {
  const size = type === 'ec-p256' ? 32 : 48;
  // RFC 5480 §2.2: uncompressed (0x04) MUST be supported; compressed (0x02/0x03) MAY be.
  const ok = (bytes.length === 1 + 2 * size && bytes[0] === 4) || (bytes.length === 1 + size && (bytes[0] === 2 || bytes[0] === 3));
  if (!ok) throw new TlsError(status, { detail: 'EC point has a bad encoding' });
  try {
    return points.ecPoint(type, bytes);
  } catch {
    throw new TlsError(status, { detail: 'EC point is not on the curve' });
  }
}

/** RSAPublicKey (RFC 8017 A.1.1) with range checks (RFC 8017 §3.1). */
function decodeRsaPublic(bits: Uint8Array, bad: TlsStatus, policy: TlsStatus): { n: bigint; e: bigint } {
  const r = new DerReader(bits, bad, 'RSAPublicKey');
  const seq = r.sequence();
  r.end();
  const n = seq.unsignedInteger();
  const e = seq.unsignedInteger();
  seq.end();
  checkRsaPublic(n, e, bad, policy);
  return { n, e };
}

function checkRsaPublic(n: bigint, e: bigint, bad: TlsStatus, policy: TlsStatus): void {
  // RFC 8017 §3.1: n is a product of odd primes; 3 ≤ e ≤ n − 1, and e is odd (coprime to λ(n)).
  if ((n & 1n) === 0n || n < 3n) throw new TlsError(bad, { detail: 'RSA modulus is not odd' });
  if (e < 3n || (e & 1n) === 0n || e >= n) throw new TlsError(bad, { detail: 'RSA public exponent is invalid' });
  const nb = bitLength(n);
  if (nb < RSA_MIN_BITS || nb > RSA_MAX_BITS) throw new TlsError(policy, { detail: `RSA modulus of ${nb} bits not supported` });
  if (e > RSA_MAX_E) throw new TlsError(policy, { detail: 'RSA public exponent too large' });
}

/** Restrictions carried by an RSASSA-PSS key's AlgorithmIdentifier (RFC 4055 §3.1, §3.3). */
export interface RsaPssKeyParams {
  /** The one hash the key may be used with (for both the message and MGF1); null if it is not one TLS uses. */
  readonly hash: HashAlg | null;
  /** Minimum salt length. */
  readonly saltLength: number;
}

/** A hash function RSASSA-PSS-params may name, with its output length hLen in octets. */
interface PssDigest {
  readonly name: HashAlg | 'sha1' | 'sha224' | 'sha512-224' | 'sha512-256';
  readonly length: number;
}

/**
 * The hash functions RSASSA-PSS-params may name: OAEP-PSSDigestAlgorithms of RFC 8017
 * Appendix A.2.3 (the hashes of RFC 4055 §2.1, plus SHA-512/224 and SHA-512/256). Only
 * SHA-256/384/512 are used by TLS (RFC 9846 §4.3.3); a key restricted to another listed
 * hash is read but usable for no scheme.
 */
const PSS_DIGESTS: Readonly<Record<string, PssDigest>> = {
  [OID.sha1]: { name: 'sha1', length: 20 },
  [OID.sha224]: { name: 'sha224', length: 28 },
  [OID.sha256]: { name: 'sha256', length: 32 },
  [OID.sha384]: { name: 'sha384', length: 48 },
  [OID.sha512]: { name: 'sha512', length: 64 },
  [OID.sha512_224]: { name: 'sha512-224', length: 28 },
  [OID.sha512_256]: { name: 'sha512-256', length: 32 },
};

/**
 * Reads a HashAlgorithm of RSASSA-PSS-params (RFC 4055 §2.1: parameters NULL or absent).
 * An OID outside RFC 8017 Appendix A.2.3's OAEP-PSSDigestAlgorithms (an unknown hash, or
 * no hash at all, such as X25519) is refused with `policy`: the key could never verify.
 */
function readHashAlg(r: DerReader, policy: TlsStatus, what: string): PssDigest {
  const a = r.sequence();
  const oid = a.oid();
  if (!a.done) a.null();
  a.end();
  const d = PSS_DIGESTS[oid];
  if (!d) throw new TlsError(policy, { detail: `RSASSA-PSS: ${what} ${oid} is not a hash function RFC 8017 A.2.3 allows` });
  return d;
}

/** RSASSA-PSS-params as decoded: the exported view plus the hash length for size checks. */
interface PssParams extends RsaPssKeyParams {
  /** hLen of the message hash (RFC 8017 §9.1.1). */
  readonly hashLength: number;
}

/**
 * Decodes RSASSA-PSS-params (RFC 4055 §3.1; RFC 8017 Appendix A.2.3). The hash and the
 * MGF1 hash must be among OAEP-PSSDigestAlgorithms, the mask generation function MGF1
 * (PKCS1MGFAlgorithms has only id-mgf1), saltLength a non-negative INTEGER and
 * trailerField 1; anything else throws with `policy`.
 */
function decodePssParams(r: DerReader, policy: TlsStatus): PssParams {
  // Defaults (RFC 4055 §3.1): sha1, mgf1SHA1, salt 20, trailer 1.
  let hash: PssDigest = PSS_DIGESTS[OID.sha1]!;
  let mgfHash: PssDigest = hash;
  let saltLength = 20;
  const h = r.optional(contextTag(0));
  if (h) {
    const s = r.sub(h.value);
    hash = readHashAlg(s, policy, 'hash algorithm');
    s.end();
  }
  const m = r.optional(contextTag(1));
  if (m) {
    const s = r.sub(m.value);
    const mgf = s.sequence();
    s.end();
    // RFC 8017 A.2.3: PKCS1MGFAlgorithms { id-mgf1 PARAMETERS HashAlgorithm }; the
    // parameters are required (B.2.1: they identify MGF1's hash).
    if (mgf.oid() !== OID.mgf1) throw new TlsError(policy, { detail: 'RSASSA-PSS: mask generation function not supported' });
    mgfHash = readHashAlg(mgf, policy, 'MGF1 hash');
    mgf.end();
  }
  const sl = r.optional(contextTag(2));
  if (sl) {
    const s = r.sub(sl.value);
    // RFC 4055 §3.1: saltLength INTEGER; smallInteger refuses a negative one.
    saltLength = s.smallInteger();
    s.end();
  }
  const tf = r.optional(contextTag(3));
  if (tf) {
    const s = r.sub(tf.value);
    // RFC 4055 §3.1: trailerField "MUST be 1".
    if (s.smallInteger() !== 1) throw new TlsError(policy, { detail: 'RSASSA-PSS: trailer field must be 1' });
    s.end();
  }
  r.end();
  const tlsHash = hash.name === 'sha256' || hash.name === 'sha384' || hash.name === 'sha512' ? hash.name : null;
  const usable = tlsHash !== null && hash.name === mgfHash.name;
  return { hash: usable ? tlsHash : null, saltLength, hashLength: hash.length };
}

/**
 * The hash of RSASSA-PSS signature-algorithm parameters (a certificate's or an OCSP
 * response's `signatureAlgorithm`, RFC 4055 §3.1) when they are the profile TLS verifies
 * (RFC 9846 §4.3.3, the rsa_pss_* schemes): SHA-256/384/512, MGF1 with the same hash, a
 * salt as long as the hash, trailer field 1. Otherwise why not, as text.
 */
export function pssSignatureHash(params: Uint8Array | undefined): HashAlg | string {
  // Absent parameters are all defaults (RFC 4055 §3.1): SHA-1, which TLS never verifies.
  if (!params) return 'RSASSA-PSS without parameters (SHA-1)';
  let p: PssParams;
  try {
    const r = new DerReader(params, 'CertificateOtherErrors', 'RSASSA-PSS-params');
    p = decodePssParams(r.sequence(), 'CertificateOtherErrors');
    r.end();
  } catch (e) {
    return `malformed RSASSA-PSS parameters${e instanceof TlsError && e.detail ? ` (${e.detail})` : ''}`;
  }
  if (p.hash === null) return 'RSASSA-PSS with a hash other than SHA-256/384/512, or an MGF1 hash that differs from it';
  if (p.saltLength !== p.hashLength) return `RSASSA-PSS salt length ${p.saltLength} (expected ${p.hashLength})`;
  return p.hash;
}

/**
 * RFC 8017 §9.1.1 step 3 / §9.1.2 step 3: EMSA-PSS needs emLen ≥ hLen + sLen + 2, where
 * emLen = ⌈(modBits − 1) / 8⌉ (§8.1.1). A key whose parameters demand a longer salt than
 * its modulus can hold can neither sign nor verify anything: refused with `status`.
 */
function checkPssSaltFits(params: PssParams, n: bigint, status: TlsStatus): void {
  const emLen = Math.ceil((bitLength(n) - 1) / 8);
  if (params.hashLength + params.saltLength + 2 > emLen) {
    throw new TlsError(status, { detail: `RSASSA-PSS: salt length ${params.saltLength} does not fit a ${bitLength(n)}-bit key` });
  }
}

/**
 * The restrictions of an RSASSA-PSS key (RFC 4055 §3.1), read from its SPKI; null when the
 * key carries no parameters (usable with every PSS hash) or is not an RSASSA-PSS key.
 * Never throws (a key that parsed with {@link parsePublicKey} has valid parameters).
 */
export function rsaPssKeyParams(spki: Uint8Array): RsaPssKeyParams | null {
  try {
    const top = new DerReader(spki);
    const alg = top.sequence().sequence();
    if (alg.oid() !== OID.rsassaPss || alg.done) return null;
    const { hash, saltLength } = decodePssParams(alg.sequence(), 'DecodeError');
    return { hash, saltLength };
  } catch {
    return { hash: null, saltLength: 0 };
  }
}

// ------------------------------------------------------------------ private keys

const KEY_LABELS = ['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY'] as const;

/**
 * Decodes a private key: PEM `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1) or
 * `RSA PRIVATE KEY` (PKCS#1), given as a string or bytes; or DER (PKCS#8, or SEC1 /
 * PKCS#1 told apart by their structure). The first key block in a PEM bundle is used;
 * other blocks (certificates, `EC PARAMETERS`) are skipped.
 *
 * The public key is computed from the private key and, when the encoding also carries
 * one, checked against it. RSA components are checked for consistency (RFC 8017 §3.2).
 *
 * @throws TlsError('InvalidConfig') for anything malformed, encrypted or unsupported.
 */
export function parsePrivateKey(key: Uint8Array | string): PrivateKeyInfo {
  if (typeof key !== 'string' && key.length > 0 && key[0] === DerTag.SEQUENCE) {
    try {
      return parsePrivateKeyDer(key);
    } catch (e) {
      // 0x30 is also ASCII '0': PEM text may start with it. Fall back only if it looks like PEM.
      if (!isPem(bytesToText(key))) throw e;
    }
  }
  const text = typeof key === 'string' ? key : bytesToText(key);
  if (!isPem(text)) throw invalid('not a PEM or DER private key');
  const blocks = pemDecode(text, 'InvalidConfig');
  const block = blocks.find((b) => (KEY_LABELS as readonly string[]).includes(b.label));
  if (!block) {
    if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) throw invalid('encrypted private keys are not supported');
    throw invalid('no private key in PEM input');
  }
  switch (block.label) {
    case 'PRIVATE KEY':
      return parsePkcs8(block.der);
    case 'EC PRIVATE KEY':
      return parseSec1(new DerReader(block.der, 'InvalidConfig', 'ECPrivateKey'), undefined);
    default:
      return parsePkcs1(new DerReader(block.der, 'InvalidConfig', 'RSAPrivateKey'), undefined);
  }
}

function invalid(detail: string): TlsError {
  return new TlsError('InvalidConfig', { detail });
}

function parsePrivateKeyDer(der: Uint8Array): PrivateKeyInfo {
  // Tell the three structures apart by their second element:
  // PKCS#8 INTEGER SEQUENCE, SEC1 INTEGER(1) OCTET STRING, PKCS#1 INTEGER(0) INTEGER.
  const probe = new DerReader(der, 'InvalidConfig', 'private key').sequence();
  probe.integerBytes();
  switch (probe.peekTag()) {
    case DerTag.SEQUENCE:
      return parsePkcs8(der);
    case DerTag.OCTET_STRING:
      return parseSec1(new DerReader(der, 'InvalidConfig', 'ECPrivateKey'), undefined);
    case DerTag.INTEGER:
      return parsePkcs1(new DerReader(der, 'InvalidConfig', 'RSAPrivateKey'), undefined);
    default:
      throw invalid('unrecognised private key structure');
  }
}

/** OneAsymmetricKey / PrivateKeyInfo (RFC 5958 §2). */
function parsePkcs8(der: Uint8Array): PrivateKeyInfo {
  const top = new DerReader(der, 'InvalidConfig', 'PKCS#8');
  const seq = top.sequence();
  top.end();
  // RFC 5958 §2: version v1(0), or v2(1) when publicKey is present.
  const version = seq.smallInteger();
  if (version > 1) throw invalid('PKCS#8: unknown version');
  const algEl = seq.expect(DerTag.SEQUENCE, 'AlgorithmIdentifier');
  const alg = seq.sub(algEl.value);
  const oid = alg.oid();
  const inner = seq.octetString();
  seq.optional(contextTag(0)); // attributes [0] IMPLICIT: ignored
  const pubEl = seq.optional(0x81); // publicKey [1] IMPLICIT BIT STRING (v2)
  seq.end();
  if (pubEl && version !== 1) throw invalid('PKCS#8: public key in a v1 structure');
  let pub: Uint8Array | undefined;
  if (pubEl) {
    if (pubEl.value.length === 0 || pubEl.value[0] !== 0) throw invalid('PKCS#8: bad public key BIT STRING');
    pub = pubEl.value.subarray(1);
  }
  switch (oid) {
    case OID.ecPublicKey: {
      if (alg.peekTag() !== DerTag.OID) throw invalid('EC key without a named curve');
      const type = curveTypeOf(alg.oid());
      alg.end();
      if (!type) throw invalid('EC curve not supported');
      const k = parseSec1(seq.sub(inner), type);
      if (pub) checkSamePublic(k, pub);
      return k;
    }
    case OID.ed25519: {
      // RFC 8410 §3: parameters absent; §7: privateKey holds CurvePrivateKey ::= OCTET STRING.
      alg.end();
      const r = seq.sub(inner);
      const seed = r.octetString();
      r.end();
      if (seed.length !== 32) throw invalid('Ed25519 private key must be 32 bytes');
      const raw = ed25519.getPublicKey(seed);
      const k: PrivateKeyInfo = { type: 'ed25519', d: copyBytes(seed), publicKey: { type: 'ed25519', spki: ed25519Spki(raw), raw } };
      if (pub) checkSamePublic(k, pub);
      return k;
    }
    case OID.rsaEncryption: {
      if (!alg.done) alg.null();
      alg.end();
      return parsePkcs1(seq.sub(inner), undefined);
    }
    case OID.rsassaPss: {
      // RFC 4055 §3.1 / RFC 8017 A.2.3, as for the public key (parsePublicKey).
      const params = alg.done ? null : decodePssParams(alg.sequence(), 'InvalidConfig');
      alg.end();
      const k = parsePkcs1(seq.sub(inner), algEl.raw);
      if (params) checkPssSaltFits(params, k.rsa!.n, 'InvalidConfig');
      return k;
    }
    default:
      throw invalid(`private key algorithm ${oid} not supported`);
  }
}

function checkSamePublic(k: PrivateKeyInfo, pub: Uint8Array): void {
  const mine = k.publicKey.raw!;
  let expected = pub;
  if (k.type !== 'ed25519') {
    try {
      expected = decodeEcPoint(k.type as EcType, pub, 'InvalidConfig', NOBLE_POINTS);
    } catch {
      throw invalid('embedded public key is invalid');
    }
  }
  if (expected.length !== mine.length || expected.some((b, i) => b !== mine[i])) {
    throw invalid('embedded public key does not match the private key');
  }
}

/** ECPrivateKey (RFC 5915 §3). `type` comes from the PKCS#8 algorithm, if any. */
function parseSec1(top: DerReader, outerType: EcType | undefined): PrivateKeyInfo {
  const seq = top.sequence();
  top.end();
  // RFC 5915 §3: version ecPrivkeyVer1(1).
  if (seq.smallInteger() !== 1) throw invalid('ECPrivateKey: version must be 1');
  const dBytes = seq.octetString();
  let type = outerType;
  const params = seq.optional(contextTag(0));
  if (params) {
    const r = seq.sub(params.value);
    if (r.peekTag() !== DerTag.OID) throw invalid('EC key without a named curve');
    const t = curveTypeOf(r.oid());
    r.end();
    if (!t) throw invalid('EC curve not supported');
    // RFC 5915 §3: when both are present they must agree.
    if (type && type !== t) throw invalid('ECPrivateKey: curve differs from the PKCS#8 algorithm');
    type = t;
  }
  const pubEl = seq.optional(contextTag(1));
  seq.end();
  if (!type) throw invalid('ECPrivateKey: no curve given');
  const { curve, size } = CURVES[type];
  // RFC 5915 §3: privateKey is ceiling(log2(n)/8) octets; tolerate encoders that drop leading zeros.
  if (dBytes.length > size || dBytes.length === 0) throw invalid('EC private key has the wrong length');
  const d = new Uint8Array(size);
  d.set(dBytes, size - dBytes.length);
  // SEC 1 §3.2.1: 1 ≤ d ≤ n − 1.
  if (!curve.utils.isValidSecretKey(d)) throw invalid('EC private key out of range');
  const raw = curve.getPublicKey(d, false);
  const k: PrivateKeyInfo = { type, d, publicKey: { type, spki: ecSpki(type, raw), raw } };
  if (pubEl) {
    const r = seq.sub(pubEl.value);
    const pub = r.bitString();
    r.end();
    checkSamePublic(k, pub);
  }
  return k;
}

/** RSAPrivateKey (RFC 8017 A.1.2), validated per RFC 8017 §3.2. */
function parsePkcs1(top: DerReader, pssAlgorithm: Uint8Array | undefined): PrivateKeyInfo {
  const seq = top.sequence();
  top.end();
  // RFC 8017 A.1.2: version 0 is two-prime; 1 (multi-prime) is not supported.
  if (seq.smallInteger() !== 0) throw invalid('RSAPrivateKey: multi-prime keys are not supported');
  const n = seq.unsignedInteger();
  const e = seq.unsignedInteger();
  const d = seq.unsignedInteger();
  const p = seq.unsignedInteger();
  const q = seq.unsignedInteger();
  const dp = seq.unsignedInteger();
  const dq = seq.unsignedInteger();
  const qi = seq.unsignedInteger();
  seq.end();
  checkRsaPublic(n, e, 'InvalidConfig', 'InvalidConfig');
  // RFC 8017 §3.2: n = p·q; e·dP ≡ 1 (mod p−1); e·dQ ≡ 1 (mod q−1); q·qInv ≡ 1 (mod p).
  const ok =
    p > 1n &&
    q > 1n &&
    p * q === n &&
    d > 0n &&
    d < n &&
    dp === d % (p - 1n) &&
    dq === d % (q - 1n) &&
    (e * dp) % (p - 1n) === 1n &&
    (e * dq) % (q - 1n) === 1n &&
    qi > 0n &&
    qi < p &&
    (q * qi) % p === 1n;
  if (!ok) throw invalid('RSAPrivateKey: inconsistent components');
  const rsa: RsaPrivateComponents = { n, e, d, p, q, dp, dq, qi };
  const type: KeyType = pssAlgorithm ? 'rsa-pss' : 'rsa';
  return { type, rsa, publicKey: { type, spki: rsaSpki(n, e, copyBytes(pssAlgorithm)), n, e, bits: bitLength(n) } };
}

