/**
 * The optional crypto of the client-only entry's pure provider (src/crypto/lean.ts), one part
 * per `puretls/client` module: the secp256r1 and secp384r1 key-exchange groups (FIPS 186-5,
 * SP 800-56A; RFC 9846 §4.3.8.2), ChaCha20-Poly1305 (RFC 8439), Ed25519 signatures (RFC 8032
 * §5.1.7, strict), client-certificate signing (private keys, RFC 9846 §4.5.2), and the
 * post-quantum hybrids X25519MLKEM768, SecP256r1MLKEM768 and SecP384r1MLKEM1024
 * (draft-ietf-tls-ecdhe-mlkem; client side: key share and decapsulation). Each is the full
 * provider's code (src/crypto/kx.ts, aead.ts, sig.ts, keys.ts, hybrid.ts), reached only from here.
 *
 * @module
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519VerifyCofactorless } from './ed25519-verify.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ChaChaAead } from './aead.js';
import { nistShare } from './kx.js';
import { parsePrivateKey } from './keys.js';
import { signMessage } from './sig.js';
import type { CryptoPart, KeyExchangeGroup } from './lean.js';
import { MLKEM_SEED_LEN, PURE_MLKEM, hybridKeyShare, type EcdhParts } from './hybrid.js';
import { x25519KeyShare, X25519_GROUP } from './x25519.js';

/** secp256r1 ECDHE (code 0x0017): 40 random bytes per private key (FIPS 186-5 A.2.1). */
const SECP256R1: KeyExchangeGroup = { group: 0x0017, privateLength: 40, keyShare: (k) => nistShare(0x0017, p256, 32, k) };

/** secp384r1 ECDHE (code 0x0018): 56 random bytes per private key. */
const SECP384R1: KeyExchangeGroup = { group: 0x0018, privateLength: 56, keyShare: (k) => nistShare(0x0018, p384, 48, k) };

/** The secp256r1 group. */
export const SECP256R1_PART: CryptoPart = { groups: [SECP256R1] };

/** The secp384r1 group. */
export const SECP384R1_PART: CryptoPart = { groups: [SECP384R1] };

/** Both NIST groups (the tls12 module: RFC 8422 §5.1 ties TLS 1.2 ECDSA certificates to supported_groups). */
export const NIST_GROUPS_PART: CryptoPart = { groups: [SECP256R1, SECP384R1] };

/** ChaCha20-Poly1305 (TLS_CHACHA20_POLY1305_SHA256 and the TLS 1.2 ECDHE ChaCha suites). */
export const CHACHA20_PART: CryptoPart = {
  aeads: { 'CHACHA20-POLY1305': (key) => new ChaChaAead(key) },
};

/** Ed25519 verification (handshake and certificates) and Ed25519 keys in certificates. */
export const ED25519_PART: CryptoPart = {
  verifiers: {
    // RFC 8032 §5.1.7 (strict, non-ZIP-215) verification of the whole message.
    // The same verdicts as the full pure provider and OpenSSL (ed25519-verify.ts).
    eddsa: (key, _info, message, signature) => key.raw !== undefined && ed25519VerifyCofactorless(key.raw, message, signature),
  },
  ed25519Point: (bits) => {
    ed25519.Point.fromBytes(bits, false);
  },
};

/** Private keys (PEM/DER PKCS#8, SEC1, PKCS#1) and signing: client certificates. */
export const SIGNING_PART: CryptoPart = {
  signing: { parsePrivateKey, sign: signMessage },
};

/** The classical half of a hybrid: one group's key share (each hybrid reaches only its own curve code). */
function ecdhOf(g: KeyExchangeGroup): EcdhParts {
  return { privateLength: () => g.privateLength, keyShare: (_group, k) => g.keyShare(k) };
}

/** X25519 from the ladder alone (src/crypto/x25519.ts). */
const X25519: KeyExchangeGroup = { group: X25519_GROUP, privateLength: 32, keyShare: x25519KeyShare };

/** A hybrid group (client side) with pure ML-KEM (@noble/post-quantum) and the given classical half. */
function hybridGroup(group: number, classical: KeyExchangeGroup): KeyExchangeGroup {
  const ecdh = ecdhOf(classical);
  return { group, privateLength: MLKEM_SEED_LEN + classical.privateLength, keyShare: (k) => hybridKeyShare(group, k, ecdh, PURE_MLKEM) };
}

// Code points as literals: a property read in the arguments would make the pure-annotated call
// impure for esbuild, and keep every hybrid (and its curve) in every bundle.
/** X25519MLKEM768 (code 0x11ec): ML-KEM-768 + X25519. */
export const X25519MLKEM768_PART: CryptoPart = { groups: [/* @__PURE__ */ hybridGroup(0x11ec, X25519)] };

/** SecP256r1MLKEM768 (code 0x11eb): ML-KEM-768 + P-256. */
export const SECP256R1MLKEM768_PART: CryptoPart = { groups: [/* @__PURE__ */ hybridGroup(0x11eb, SECP256R1)] };

/** SecP384r1MLKEM1024 (code 0x11ed): ML-KEM-1024 + P-384. */
export const SECP384R1MLKEM1024_PART: CryptoPart = { groups: [/* @__PURE__ */ hybridGroup(0x11ed, SECP384R1)] };
