/**
 * Post-quantum hybrid key exchange for TLS 1.3: X25519MLKEM768 (0x11EC), SecP256r1MLKEM768
 * (0x11EB) and SecP384r1MLKEM1024 (0x11ED), as draft-ietf-tls-ecdhe-mlkem ("Post-quantum
 * hybrid ECDHE-MLKEM Key Agreement for TLSv1.3", §3 "Construction") defines them: ML-KEM
 * (FIPS 203) combined with ECDHE (RFC 7748 X25519; secp256r1/secp384r1 as RFC 9846 §4.3.8.2)
 * by concatenation, in the manner of draft-ietf-tls-hybrid-design.
 *
 * | group | client key_exchange | server key_exchange | shared secret |
 * |---|---|---|---|
 * | X25519MLKEM768 | ek (1184) ‖ X25519 (32) = 1216 | ct (1088) ‖ X25519 (32) = 1120 | ML-KEM (32) ‖ X25519 (32) = 64 |
 * | SecP256r1MLKEM768 | P-256 point (65) ‖ ek (1184) = 1249 | P-256 point (65) ‖ ct (1088) = 1153 | ECDH x (32) ‖ ML-KEM (32) = 64 |
 * | SecP384r1MLKEM1024 | P-384 point (97) ‖ ek (1568) = 1665 | P-384 point (97) ‖ ct (1568) = 1665 | ECDH x (48) ‖ ML-KEM (32) = 80 |
 *
 * The ML-KEM part comes first in X25519MLKEM768 and the ECDH part first in the SecP groups,
 * in the shares and in the shared secret alike (the draft's §3: "for historical reasons").
 * This is not X-Wing (noble's `ml_kem768_x25519`), which hashes the parts together.
 *
 * Checks (the draft's §3.2, "Server share"): the server runs the FIPS 203 §7.2 encapsulation
 * key check (the modulus check) on the client's ek and aborts with illegal_parameter if it
 * fails; both sides check the exact share length for the group and role and the ECDH part
 * as RFC 9846 §4.3.8.2 / §7.4.2 say (point on the curve, X25519 not all zero), each failure
 * illegal_parameter. A ciphertext of the right length always decapsulates (FIPS 203's
 * implicit rejection): a wrong one gives a wrong key, so the handshake fails at Finished.
 * Decapsulation failing otherwise is internal_error (the draft's §3.2).
 *
 * The client's private key bytes (what {@link hybridPrivateLength} asks the random source
 * for, or what a test injects through `keyShare`) are the 64-byte ML-KEM seed d ‖ z (FIPS 203
 * Algorithm 19, ML-KEM.KeyGen_internal) followed by the ECDH private key bytes of the
 * classical group in any form src/crypto/kx.ts takes (for a NIST curve also the bare scalar). The server draws its ECDH private key bytes, then the
 * 32-byte ML-KEM encapsulation randomness m (FIPS 203 Algorithm 20): with a fixed random
 * source both sides are reproducible byte for byte with the pure ML-KEM. The native ML-KEM
 * (node:crypto) encapsulates with OpenSSL's own randomness: reproducible on the client side
 * only, like ECDSA signatures with the native provider.
 *
 * Everything here is in this module alone, so a client bundle that does not offer the
 * hybrids can leave it (and ML-KEM, SHA-3) out.
 *
 * @module
 */
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { TlsError } from '../base/errors.js';
import { HYBRID_GROUP_CODES, KX_GROUPS, createKeyShare, keySharePrivateLength } from './kx.js';
import type { KemEncapsulation, RandomSource, SyncKeyShare } from './provider.js';

/** The hybrid named groups (draft-ietf-tls-ecdhe-mlkem §5, IANA TLS Supported Groups). */
export const HYBRID_GROUPS = HYBRID_GROUP_CODES;

/** ML-KEM parameter sets used by the hybrids (FIPS 203 §8, Table 3: sizes in bytes). */
export type MlKemName = 'ML-KEM-768' | 'ML-KEM-1024';

/** FIPS 203 Table 3: encapsulation key and ciphertext sizes; k is the module rank (Table 2). */
const MLKEM_SIZES: Readonly<Record<MlKemName, { readonly k: number; readonly ek: number; readonly ct: number }>> = {
  'ML-KEM-768': { k: 3, ek: 1184, ct: 1088 },
  'ML-KEM-1024': { k: 4, ek: 1568, ct: 1568 },
};

/** Lengths of the ML-KEM seed d ‖ z (FIPS 203 Algorithm 19), of m (Algorithm 20) and of the shared key K. */
export const MLKEM_SEED_LEN = 64;
const MLKEM_MSG_LEN = 32;
const MLKEM_SHARED_LEN = 32;

/** How one hybrid group is made (draft-ietf-tls-ecdhe-mlkem §3). */
export interface HybridSpec {
  readonly group: number;
  readonly name: string;
  readonly kem: MlKemName;
  /** The classical group (x25519, secp256r1, secp384r1). */
  readonly ecdh: number;
  /** Length of the ECDH public value: 32 (X25519) or the uncompressed point (65, 97). */
  readonly ecdhLen: number;
  /** Length of the ECDH shared secret (X25519: 32; NIST: the x-coordinate). */
  readonly ecdhSecretLen: number;
  /** True for X25519MLKEM768: the ML-KEM part first in both shares and in the secret. */
  readonly kemFirst: boolean;
  /** Exact key_exchange lengths: ClientHello/HelloRetryRequest's ClientHello2 and ServerHello. */
  readonly clientShareLen: number;
  readonly serverShareLen: number;
  readonly secretLen: number;
}

function spec(group: number, name: string, kem: MlKemName, ecdh: number, ecdhLen: number, ecdhSecretLen: number, kemFirst: boolean): HybridSpec {
  const s = MLKEM_SIZES[kem];
  return Object.freeze({
    group,
    name,
    kem,
    ecdh,
    ecdhLen,
    ecdhSecretLen,
    kemFirst,
    clientShareLen: s.ek + ecdhLen,
    serverShareLen: s.ct + ecdhLen,
    secretLen: MLKEM_SHARED_LEN + ecdhSecretLen,
  });
}

// Pure-annotated (as PURE_MLKEM and PURE_ECDH): a bundle that uses some of this file (the
// client-only entry's hybrid modules) keeps only what it reaches.
/** The three groups, by code point. */
const SPECS: ReadonlyMap<number, HybridSpec> = /* @__PURE__ */ (() =>
  new Map([
    [HYBRID_GROUPS.X25519MLKEM768, spec(HYBRID_GROUPS.X25519MLKEM768, 'X25519MLKEM768', 'ML-KEM-768', KX_GROUPS.x25519, 32, 32, true)],
    [HYBRID_GROUPS.SecP256r1MLKEM768, spec(HYBRID_GROUPS.SecP256r1MLKEM768, 'SecP256r1MLKEM768', 'ML-KEM-768', KX_GROUPS.secp256r1, 65, 32, false)],
    [HYBRID_GROUPS.SecP384r1MLKEM1024, spec(HYBRID_GROUPS.SecP384r1MLKEM1024, 'SecP384r1MLKEM1024', 'ML-KEM-1024', KX_GROUPS.secp384r1, 97, 48, false)],
  ]))();

/** The spec of a hybrid group, or undefined for any other group. */
export function hybridSpec(group: number): HybridSpec | undefined {
  return SPECS.get(group);
}

function specOf(group: number): HybridSpec {
  const s = SPECS.get(group);
  if (!s) throw new TlsError('InternalError', { detail: `0x${group.toString(16)} is not a hybrid group` });
  return s;
}

function illegal(detail: string): never {
  throw new TlsError('IllegalParameter', { detail });
}

/**
 * FIPS 203 §7.2, "Encapsulation key check" (the modulus check): ek[0 : 384k] must equal
 * ByteEncode12(ByteDecode12(ek[0 : 384k])), i.e. every 12-bit coefficient of t̂ is below
 * q = 3329 (§4.2.1). The type check (length 384k + 32) is the caller's. Public data: no
 * constant-time need. True if the key passes.
 */
export function mlKemEncapsulationKeyOk(ek: Uint8Array, k: number): boolean {
  const end = 384 * k;
  if (ek.length !== end + 32) return false;
  let bad = 0;
  for (let i = 0; i < end; i += 3) {
    const b0 = ek[i]!;
    const b1 = ek[i + 1]!;
    const b2 = ek[i + 2]!;
    const c0 = b0 | ((b1 & 0x0f) << 8);
    const c1 = (b1 >> 4) | (b2 << 4);
    if (c0 >= 3329 || c1 >= 3329) bad |= 1;
  }
  return bad === 0;
}

/**
 * An ML-KEM implementation (FIPS 203 §7): the pure one ({@link PURE_MLKEM}) or node:crypto's
 * (src/crypto/native.ts builds it with {@link nodeMlKem}).
 */
export interface MlKem {
  /** Implementation name, for benchmarks and cross-checks (`'pure'`, `'native'`). */
  readonly impl: string;
  /**
   * ML-KEM.KeyGen_internal(d, z) from the 64-byte seed d ‖ z (FIPS 203 Algorithm 16/19): the
   * encapsulation key and a decapsulation function (ML-KEM.Decaps, Algorithm 21). Throws
   * `TlsError('InternalError')` if the implementation fails.
   */
  keygen(kem: MlKemName, seed: Uint8Array): { readonly ek: Uint8Array; decapsulate(ct: Uint8Array): Uint8Array };
  /**
   * ML-KEM.Encaps (FIPS 203 Algorithm 17/20) to an encapsulation key that passed the §7.2
   * checks. `random` gives m (32 bytes) to an implementation that takes it.
   */
  encapsulate(kem: MlKemName, ek: Uint8Array, random: RandomSource): { readonly ct: Uint8Array; readonly ss: Uint8Array };
}

const NOBLE = { 'ML-KEM-768': ml_kem768, 'ML-KEM-1024': ml_kem1024 } as const;

function internal(what: string, e: unknown): never {
  if (e instanceof TlsError) throw e;
  throw new TlsError('InternalError', { detail: `${what}: ${e instanceof Error ? e.message : String(e)}`, cause: e });
}

/** ML-KEM from @noble/post-quantum (`ml_kem768` / `ml_kem1024`, FIPS 203). */
export const PURE_MLKEM: MlKem = /* @__PURE__ */ Object.freeze({
  impl: 'pure',
  keygen(kem: MlKemName, seed: Uint8Array) {
    if (seed.length !== MLKEM_SEED_LEN) throw new TlsError('InternalError', { detail: `${kem} seed must be ${MLKEM_SEED_LEN} bytes` });
    const k = NOBLE[kem];
    let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
    try {
      keys = k.keygen(seed);
    } catch (e) {
      return internal(`${kem} keygen`, e);
    }
    const dk = keys.secretKey;
    return {
      ek: keys.publicKey,
      decapsulate(ct: Uint8Array): Uint8Array {
        try {
          return k.decapsulate(ct, dk);
        } catch (e) {
          // The draft's §3.2: decapsulation failing for a reason other than the length → internal_error.
          return internal(`${kem} decapsulation`, e);
        }
      },
    };
  },
  encapsulate(kem: MlKemName, ek: Uint8Array, random: RandomSource) {
    const m = random(MLKEM_MSG_LEN);
    if (m.length !== MLKEM_MSG_LEN) throw new TlsError('InternalError', { detail: 'random source returned the wrong length' });
    try {
      const { cipherText, sharedSecret } = NOBLE[kem].encapsulate(ek, m);
      return { ct: cipherText, ss: sharedSecret };
    } catch (e) {
      return internal(`${kem} encapsulation`, e);
    } finally {
      m.fill(0);
    }
  },
});

/** The classical half: the provider's own ECDH key shares (src/crypto/kx.ts or node:crypto). */
export interface EcdhParts {
  /** Bytes of randomness for a private key of `group` (kx.ts `keySharePrivateLength`). */
  privateLength(group: number): number;
  /** A key share of `group` from those bytes; its `agree` checks the peer's value (illegal_parameter). */
  keyShare(group: number, privateKey: Uint8Array): SyncKeyShare;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** `kem` and `ecdh` in the group's order (draft-ietf-tls-ecdhe-mlkem §3). */
function ordered(s: HybridSpec, kem: Uint8Array, ecdh: Uint8Array): Uint8Array {
  return s.kemFirst ? concat(kem, ecdh) : concat(ecdh, kem);
}

/** A share split into its ML-KEM and ECDH parts, in the group's order. */
function split(s: HybridSpec, share: Uint8Array): { kem: Uint8Array; ecdh: Uint8Array } {
  const kemLen = share.length - s.ecdhLen;
  return s.kemFirst
    ? { kem: share.subarray(0, kemLen), ecdh: share.subarray(kemLen) }
    : { ecdh: share.subarray(0, s.ecdhLen), kem: share.subarray(s.ecdhLen) };
}

/**
 * Bytes of randomness for a client private key of hybrid `group`: the 64-byte ML-KEM seed
 * plus the classical group's (X25519MLKEM768: 96, SecP256r1MLKEM768: 104, SecP384r1MLKEM1024: 120).
 * @throws TlsError('InternalError') for another group.
 */
export function hybridPrivateLength(group: number, ecdh: Pick<EcdhParts, 'privateLength'> = PURE_ECDH): number {
  return MLKEM_SEED_LEN + ecdh.privateLength(specOf(group).ecdh);
}

/**
 * The client's hybrid key share (draft-ietf-tls-ecdhe-mlkem §3.1): ML-KEM keys from the first
 * 64 bytes of `privateKey`, the ECDH share from the rest. `agree` takes the server's share
 * (§3.2): exact length, the ECDH checks, then ML-KEM decapsulation; the result is the
 * concatenated secret (§3.3).
 * @throws TlsError('InternalError') for another group or private key bytes of the wrong length
 */
export function hybridKeyShare(group: number, privateKey: Uint8Array, ecdh: EcdhParts, kem: MlKem): SyncKeyShare {
  const s = specOf(group);
  // The ECDH part is checked by the classical key share (kx.ts also takes a NIST scalar of
  // exactly the curve size, as test vectors inject it).
  if (privateKey.length <= MLKEM_SEED_LEN) {
    throw new TlsError('InternalError', { detail: `${s.name} private key must be ${MLKEM_SEED_LEN + ecdh.privateLength(s.ecdh)} bytes` });
  }
  const keys = kem.keygen(s.kem, privateKey.subarray(0, MLKEM_SEED_LEN));
  const classical = ecdh.keyShare(s.ecdh, privateKey.subarray(MLKEM_SEED_LEN));
  if (keys.ek.length !== MLKEM_SIZES[s.kem].ek || classical.publicKey.length !== s.ecdhLen) {
    throw new TlsError('InternalError', { detail: `${s.name}: a component produced a public value of the wrong length` });
  }
  const publicKey = ordered(s, keys.ek, classical.publicKey);
  return {
    group,
    publicKey,
    agree(serverShare: Uint8Array): Uint8Array {
      // draft-ietf-tls-ecdhe-mlkem §3.2: "the client MUST check if the ciphertext length
      // matches the selected group, and abort with an illegal_parameter alert if it fails".
      if (serverShare.length !== s.serverShareLen) illegal(`${s.name} server key share must be ${s.serverShareLen} bytes, got ${serverShare.length}`);
      const parts = split(s, serverShare);
      // §3.2/§3.3: the ECDH part as RFC 9846 §4.3.8.2 and §7.4.2 say (illegal_parameter).
      const ecdhSecret = classical.agree(parts.ecdh);
      const kemSecret = keys.decapsulate(parts.kem);
      if (kemSecret.length !== MLKEM_SHARED_LEN || ecdhSecret.length !== s.ecdhSecretLen) {
        throw new TlsError('InternalError', { detail: `${s.name}: a component produced a secret of the wrong length` });
      }
      return ordered(s, kemSecret, ecdhSecret);
    },
  };
}

/**
 * The server's side (draft-ietf-tls-ecdhe-mlkem §3.2): checks the client's share (exact
 * length, FIPS 203 §7.2 encapsulation key check, the ECDH point), makes an ephemeral ECDH
 * share (drawing its private key bytes from `random`), encapsulates to the client's ek, and
 * returns the server's key_exchange and the concatenated secret (§3.3).
 * @throws TlsError('IllegalParameter') for a client share that fails a check
 */
export function hybridEncapsulate(group: number, clientShare: Uint8Array, random: RandomSource, ecdh: EcdhParts, kem: MlKem): KemEncapsulation {
  const s = specOf(group);
  if (clientShare.length !== s.clientShareLen) illegal(`${s.name} client key share must be ${s.clientShareLen} bytes, got ${clientShare.length}`);
  const parts = split(s, clientShare);
  // §3.2: "the server MUST perform the encapsulation key check described in Section 7.2 of
  // FIPS203 on the client's encapsulation key, and abort with an illegal_parameter alert if it fails."
  if (!mlKemEncapsulationKeyOk(parts.kem, MLKEM_SIZES[s.kem].k)) illegal(`${s.name}: the client's ML-KEM encapsulation key fails the FIPS 203 §7.2 modulus check`);
  const priv = random(ecdh.privateLength(s.ecdh));
  const classical = ecdh.keyShare(s.ecdh, priv);
  priv.fill(0);
  // RFC 9846 §4.3.8.2 / §7.4.2 checks of the client's ECDH value (illegal_parameter).
  const ecdhSecret = classical.agree(parts.ecdh);
  const { ct, ss } = kem.encapsulate(s.kem, parts.kem, random);
  if (ct.length !== MLKEM_SIZES[s.kem].ct || ss.length !== MLKEM_SHARED_LEN || classical.publicKey.length !== s.ecdhLen) {
    throw new TlsError('InternalError', { detail: `${s.name}: a component produced a value of the wrong length` });
  }
  return { publicKey: ordered(s, ct, classical.publicKey), sharedSecret: ordered(s, ss, ecdhSecret) };
}

/** The pure classical half: @noble/curves through src/crypto/kx.ts. */
export const PURE_ECDH: EcdhParts = /* @__PURE__ */ Object.freeze({ privateLength: keySharePrivateLength, keyShare: createKeyShare });

/** The `node:crypto` functions {@link nodeMlKem} uses (passed in: only src/crypto/native.ts imports node:crypto). */
export interface NodeKemFunctions {
  createPrivateKey(o: { key: Uint8Array; format: 'raw-seed'; asymmetricKeyType: string }): unknown;
  createPublicKey(o: unknown): { export(o: { format: 'raw-public' }): Uint8Array };
  encapsulate(key: unknown): { sharedKey: Uint8Array; ciphertext: Uint8Array };
  decapsulate(key: unknown, ct: Uint8Array): Uint8Array;
}

const NODE_NAMES: Readonly<Record<MlKemName, string>> = { 'ML-KEM-768': 'ml-kem-768', 'ML-KEM-1024': 'ml-kem-1024' };

function own(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/**
 * ML-KEM on node:crypto (Node ≥ 24.7 with OpenSSL 3.5: `encapsulate`, `decapsulate`, raw-seed
 * and raw-public key import), or {@link PURE_MLKEM} when the runtime lacks any of it. The
 * choice is made once, on first use: a deterministic keygen from a fixed seed must give the
 * pure implementation's encapsulation key, and an encapsulation to it must decapsulate to the
 * same secret with the pure code, for both parameter sets; otherwise the pure code is used.
 */
export function nodeMlKem(f: Partial<NodeKemFunctions>): MlKem {
  let chosen: MlKem | undefined;
  const pick = (): MlKem => (chosen ??= probeNodeMlKem(f));
  return {
    get impl() {
      return pick().impl;
    },
    keygen: (kem, seed) => pick().keygen(kem, seed),
    encapsulate: (kem, ek, random) => pick().encapsulate(kem, ek, random),
  };
}

function probeNodeMlKem(f: Partial<NodeKemFunctions>): MlKem {
  if (typeof f.encapsulate !== 'function' || typeof f.decapsulate !== 'function' || typeof f.createPrivateKey !== 'function' || typeof f.createPublicKey !== 'function') {
    return PURE_MLKEM;
  }
  const fn = f as NodeKemFunctions;
  const native: MlKem = Object.freeze({
    impl: 'native',
    keygen(kem: MlKemName, seed: Uint8Array) {
      if (seed.length !== MLKEM_SEED_LEN) throw new TlsError('InternalError', { detail: `${kem} seed must be ${MLKEM_SEED_LEN} bytes` });
      let sk: unknown;
      let ek: Uint8Array;
      try {
        sk = fn.createPrivateKey({ key: seed, format: 'raw-seed', asymmetricKeyType: NODE_NAMES[kem] });
        ek = own(fn.createPublicKey(sk).export({ format: 'raw-public' }));
      } catch (e) {
        return internal(`${kem} keygen (node:crypto)`, e);
      }
      return {
        ek,
        decapsulate(ct: Uint8Array): Uint8Array {
          try {
            return own(fn.decapsulate(sk, ct));
          } catch (e) {
            // The draft's §3.2: decapsulation failing for a reason other than the length → internal_error.
            return internal(`${kem} decapsulation (node:crypto)`, e);
          }
        },
      };
    },
    encapsulate(kem: MlKemName, ek: Uint8Array) {
      try {
        // OpenSSL repeats the FIPS 203 §7.2 checks on import; hybridEncapsulate ran them first.
        const pk = fn.createPublicKey({ key: ek, format: 'raw-public', asymmetricKeyType: NODE_NAMES[kem] });
        const r = fn.encapsulate(pk);
        return { ct: own(r.ciphertext), ss: own(r.sharedKey) };
      } catch (e) {
        return internal(`${kem} encapsulation (node:crypto)`, e);
      }
    },
  });
  try {
    for (const kem of ['ML-KEM-768', 'ML-KEM-1024'] as const) {
      const seed = new Uint8Array(MLKEM_SEED_LEN).map((_, i) => i);
      const a = native.keygen(kem, seed);
      const b = PURE_MLKEM.keygen(kem, seed);
      if (!sameBytes(a.ek, b.ek)) return PURE_MLKEM;
      const { ct, ss } = native.encapsulate(kem, a.ek, () => new Uint8Array(MLKEM_MSG_LEN));
      if (!sameBytes(b.decapsulate(ct), ss) || !sameBytes(a.decapsulate(ct), ss)) return PURE_MLKEM;
    }
  } catch {
    return PURE_MLKEM;
  }
  return native;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * The key-exchange operations of a provider with the hybrids added: its classical groups as
 * they are, the three hybrids composed from `ecdh` (the provider's own classical key shares)
 * and `kem`. What src/crypto/noble.ts and src/crypto/native.ts put in their provider objects.
 */
export function withHybridGroups(
  classical: { readonly groups: readonly number[]; generateKeyShare(group: number, random: RandomSource): SyncKeyShare } & EcdhParts,
  kem: MlKem,
): {
  /** The ML-KEM in use (its `impl` says which: `'native'` or `'pure'`). */
  mlKem: MlKem;
  groups: readonly number[];
  generateKeyShare(group: number, random: RandomSource): SyncKeyShare;
  keySharePrivateLength(group: number): number;
  keyShare(group: number, privateKey: Uint8Array): SyncKeyShare;
  encapsulate(group: number, peerPublic: Uint8Array, random: RandomSource): KemEncapsulation;
} {
  const keySharePrivateLength = (group: number): number => (SPECS.has(group) ? hybridPrivateLength(group, classical) : classical.privateLength(group));
  const keyShare = (group: number, privateKey: Uint8Array): SyncKeyShare =>
    SPECS.has(group) ? hybridKeyShare(group, privateKey, classical, kem) : classical.keyShare(group, privateKey);
  return {
    mlKem: kem,
    // Preference order: the hybrids first (X25519MLKEM768 before the SecP ones), then the classical groups.
    groups: Object.freeze([HYBRID_GROUPS.X25519MLKEM768, HYBRID_GROUPS.SecP256r1MLKEM768, HYBRID_GROUPS.SecP384r1MLKEM1024, ...classical.groups]),
    generateKeyShare(group: number, random: RandomSource): SyncKeyShare {
      if (!SPECS.has(group)) return classical.generateKeyShare(group, random);
      const priv = random(keySharePrivateLength(group));
      try {
        return keyShare(group, priv);
      } finally {
        priv.fill(0);
      }
    },
    keySharePrivateLength,
    keyShare,
    encapsulate: (group: number, peerPublic: Uint8Array, random: RandomSource): KemEncapsulation => hybridEncapsulate(group, peerPublic, random, classical, kem),
  };
}
