/**
 * The client-only entry's pure provider, made of parts (issue 9 item 5): `puretls/client`
 * builds its default provider from a base (X25519, AES-128/256-GCM, SHA-256/384/512 with HMAC
 * and HKDF, ECDSA P-256/P-384 (src/crypto/ecdsa.ts) and RSA signature verification) plus the parts its caller's
 * modules bring (more key-exchange groups, ChaCha20-Poly1305, Ed25519, client-certificate
 * signing), so a bundle carries only the crypto a configuration can use. The full entries use
 * src/crypto/noble.ts, which has everything.
 *
 * What a composed provider lacks it says it lacks: {@link PartsProvider.missing} names the
 * module to add, and the configuration refuses an explicit group, suite or scheme it cannot do
 * (`InvalidConfig`), while the defaults are what it can do.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { AeadAlg, AeadCipher, HashAlg, PrivateKeyInfo, PublicKeyInfo, RandomSource, SignatureOptions, SyncCryptoProvider, SyncKeyShare } from './provider.js';
import { AEAD_KEY_LEN, HASH_LEN } from './provider.js';
import { constantTimeEqual, digest, hashState, hkdfExpand, hkdfExtract, hmac } from './hash.js';
import { GcmAead } from './aead.js';
import { parsePublicKeyWith, type PublicKeyPoints } from './keys.js';
import { ALL_SIGNATURE_SCHEMES, schemeInfo, schemeMatchesKey, schemesForKey, schemesForKeyTls12, type SchemeInfo, type SignatureKind } from './sig.js';
import { pkcs1Verify, pssVerify } from './rsa.js';
import { x25519KeyShare, X25519_GROUP } from './x25519.js';
import { decodeSec1Point, ecdsaVerify } from './ecdsa.js';
import { markTrusted } from './guard.js';

/** A key-exchange group a part brings: its code point and how to make a share. */
export interface KeyExchangeGroup {
  /** The NamedGroup code point (RFC 9846 §4.3.7). */
  readonly group: number;
  /** Bytes of randomness to draw for a private key. */
  readonly privateLength: number;
  /** A key share from `privateKey` bytes ({@link privateLength} of them, or what the group also accepts). */
  keyShare(privateKey: Uint8Array): SyncKeyShare;
}

/** Verifies one signature family: the scheme is known and fits the key when this is called. */
export type SignatureVerifier = (key: PublicKeyInfo, info: SchemeInfo, message: Uint8Array, signature: Uint8Array) => boolean;

/** Private-key parsing and signing (client certificates). */
export interface SigningPart {
  parsePrivateKey(key: Uint8Array | string): PrivateKeyInfo;
  sign(key: PrivateKeyInfo, scheme: number, message: Uint8Array, random: RandomSource, opts?: SignatureOptions): Uint8Array;
}

/** What one module adds to the composed provider. Every field is optional. */
export interface CryptoPart {
  /** Key-exchange groups, in preference order (appended to the base's). */
  readonly groups?: readonly KeyExchangeGroup[];
  /** AEAD constructors by algorithm. */
  readonly aeads?: Readonly<Partial<Record<AeadAlg, (key: Uint8Array) => AeadCipher>>>;
  /** Signature verification by family. */
  readonly verifiers?: Readonly<Partial<Record<SignatureKind, SignatureVerifier>>>;
  /** Ed25519 point validation (for Ed25519 keys in certificates). */
  readonly ed25519Point?: (bits: Uint8Array) => void;
  /** Client-certificate support: private keys and signing. */
  readonly signing?: SigningPart;
}

/** A provider composed from parts, which can say which module supplies what it lacks. */
export interface PartsProvider extends SyncCryptoProvider {
  /** AEAD algorithms this provider can make. */
  readonly aeads: readonly AeadAlg[];
  /**
   * For a group (code point), AEAD (`'aead'` with the suite's algorithm name) or signature
   * scheme this provider cannot do: how to get it (the `puretls/client` module to add);
   * undefined if it can, or if no module has it.
   */
  missing(kind: 'group' | 'aead' | 'scheme', what: number | string): string | undefined;
}

/** Which `puretls/client` module brings what the base lacks. */
const MODULE_OF = {
  group: new Map<number | string, string>([
    [0x0017, 'secp256r1'],
    [0x0018, 'secp384r1'],
    [0x11ec, 'x25519mlkem768'],
    [0x11eb, 'secp256r1mlkem768'],
    [0x11ed, 'secp384r1mlkem1024'],
  ]),
  aead: new Map<number | string, string>([['CHACHA20-POLY1305', 'chacha20']]),
  scheme: new Map<number | string, string>([[0x0807, 'ed25519']]),
} as const;

function moduleHint(name: string): string {
  return `add the ${name} module: modules: [${name}] with ${name} from 'puretls/client'`;
}

/**
 * ECDSA verification (FIPS 186-5 §6.4.2; DER ECDSA-Sig-Value, RFC 3279 §2.2.3) of a digest
 * with a P-256 or P-384 key (src/crypto/ecdsa.ts); high-S values are accepted. False, never a
 * throw, for anything bad.
 */
function ecdsaVerifyDigest(key: PublicKeyInfo, digestBytes: Uint8Array, signature: Uint8Array): boolean {
  if ((key.type !== 'ec-p256' && key.type !== 'ec-p384') || !key.raw) return false;
  return ecdsaVerify(key.type, key.raw, digestBytes, signature);
}

const BASE_POINTS: Pick<PublicKeyPoints, 'ecPoint'> = { ecPoint: decodeSec1Point };

/** The base every composed provider has (see the module notes). */
const BASE: CryptoPart = {
  groups: [{ group: X25519_GROUP, privateLength: 32, keyShare: x25519KeyShare }],
  aeads: {
    'AES-128-GCM': (key) => new GcmAead('AES-128-GCM', key),
    'AES-256-GCM': (key) => new GcmAead('AES-256-GCM', key),
  },
  verifiers: {
    // RFC 9846 §4.3.3: DER ECDSA over the scheme's hash.
    ecdsa: (key, info, message, signature) => ecdsaVerifyDigest(key, digest(info.hash, message), signature),
    // RFC 9846 §4.3.3: MGF1 with the scheme's hash and a salt as long as the hash.
    'rsa-pss': (key, info, message, signature) =>
      key.n !== undefined && key.e !== undefined && pssVerify({ n: key.n, e: key.e }, info.hash, message, signature, HASH_LEN[info.hash as HashAlg]),
    'rsa-pkcs1': (key, info, message, signature) => key.n !== undefined && key.e !== undefined && pkcs1Verify({ n: key.n, e: key.e }, info.hash, message, signature),
  },
};

/**
 * A pure provider with the base and `parts` (later parts win for the same AEAD or family).
 * Groups keep the base's order, then the parts' in order.
 */
export function composeProvider(parts: readonly CryptoPart[]): PartsProvider {
  const all = [BASE, ...parts];
  const groups = new Map<number, KeyExchangeGroup>();
  const aeads: Partial<Record<AeadAlg, (key: Uint8Array) => AeadCipher>> = {};
  const verifiers: Partial<Record<SignatureKind, SignatureVerifier>> = {};
  let ed25519Point: ((bits: Uint8Array) => void) | undefined;
  let signing: SigningPart | undefined;
  for (const p of all) {
    for (const g of p.groups ?? []) if (!groups.has(g.group)) groups.set(g.group, g);
    Object.assign(aeads, p.aeads);
    Object.assign(verifiers, p.verifiers);
    ed25519Point = p.ed25519Point ?? ed25519Point;
    signing = p.signing ?? signing;
  }
  const points: PublicKeyPoints = { ...BASE_POINTS, ed25519Point, ed25519Missing: `Ed25519 keys: ${moduleHint('ed25519')}` };
  const schemes = ALL_SIGNATURE_SCHEMES.filter((s) => verifiers[schemeInfo(s)!.kind] !== undefined);
  const group = (code: number): KeyExchangeGroup => {
    const g = groups.get(code);
    if (!g) throw new TlsError('InternalError', { detail: `unsupported group 0x${code.toString(16)}` });
    return g;
  };
  const noSigning = (): never => {
    throw new TlsError('InvalidConfig', { detail: `client certificates: ${moduleHint('clientCertificates')}` });
  };
  const provider: PartsProvider = {
    name: 'pure',
    hash: hashState,
    digest,
    hmac,
    hkdfExtract,
    hkdfExpand,
    aeads: Object.freeze(Object.keys(aeads) as AeadAlg[]),
    aead(alg, key) {
      const make = aeads[alg];
      if (!make) throw new TlsError('InternalError', { detail: `AEAD ${String(alg)} not included${MODULE_OF.aead.has(alg) ? `: ${moduleHint(MODULE_OF.aead.get(alg)!)}` : ''}` });
      if (key.length !== AEAD_KEY_LEN[alg]) throw new TlsError('InternalError', { detail: `${alg}: key must be ${AEAD_KEY_LEN[alg]} bytes` });
      return make(key);
    },
    groups: Object.freeze([...groups.keys()]),
    generateKeyShare: (code, random) => {
      const g = group(code);
      const priv = random(g.privateLength);
      try {
        return g.keyShare(priv);
      } finally {
        // The share keeps what it needs (copies or derived keys); the drawn bytes are not kept.
        priv.fill(0);
      }
    },
    keySharePrivateLength: (code) => group(code).privateLength,
    keyShare: (code, privateKey) => group(code).keyShare(privateKey),
    signatureSchemes: Object.freeze(schemes),
    parsePublicKey: (spki) => parsePublicKeyWith(spki, points),
    parsePrivateKey: (key) => (signing ? signing.parsePrivateKey(key) : noSigning()),
    schemesForKey: (key, version) => (version === 'TLSv1.2' ? schemesForKeyTls12(key) : schemesForKey(key)),
    sign: (key, scheme, message, random, opts) => (key.signer ? key.signer.sign(scheme, message) : signing ? signing.sign(key, scheme, message, random, opts) : noSigning()),
    verify(key, scheme, message, signature, opts) {
      try {
        const info = schemeInfo(scheme);
        if (!info || !schemeMatchesKey(key, scheme, opts)) return false;
        const v = verifiers[info.kind];
        return v !== undefined && v(key, info, message, signature);
      } catch {
        return false;
      }
    },
    verifyEcdsaDigest: ecdsaVerifyDigest,
    equal: constantTimeEqual,
    missing(kind, what) {
      const have = kind === 'group' ? groups.has(what as number) : kind === 'aead' ? aeads[what as AeadAlg] !== undefined : schemes.includes(what as number);
      const name = have ? undefined : MODULE_OF[kind].get(what);
      return name === undefined ? undefined : moduleHint(name);
    },
  };
  return markTrusted(Object.freeze(provider));
}

/** Is `p` a provider made by {@link composeProvider} (or one that can say what it lacks)? */
export function isPartsProvider(p: unknown): p is PartsProvider {
  return typeof (p as Partial<PartsProvider> | null)?.missing === 'function' && Array.isArray((p as Partial<PartsProvider>).aeads);
}
