/**
 * The optional crypto of the client-only entry's pure provider (src/crypto/lean.ts), one part
 * per `puretls/client` module: the secp256r1 and secp384r1 key-exchange groups (FIPS 186-5,
 * SP 800-56A; RFC 9846 §4.3.8.2), ChaCha20-Poly1305 (RFC 8439), Ed25519 signatures (RFC 8032
 * §5.1.7, strict) and client-certificate signing (private keys, RFC 9846 §4.5.2). Each is the
 * full provider's code (src/crypto/kx.ts, aead.ts, sig.ts, keys.ts), reached only from here.
 *
 * @module
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ChaChaAead } from './aead.js';
import { nistShare } from './kx.js';
import { parsePrivateKey } from './keys.js';
import { signMessage } from './sig.js';
import type { CryptoPart, KeyExchangeGroup } from './lean.js';

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
    eddsa: (key, _info, message, signature) => key.raw !== undefined && signature.length === 64 && ed25519.verify(signature, message, key.raw, { zip215: false }),
  },
  ed25519Point: (bits) => {
    ed25519.Point.fromBytes(bits, false);
  },
};

/** Private keys (PEM/DER PKCS#8, SEC1, PKCS#1) and signing: client certificates. */
export const SIGNING_PART: CryptoPart = {
  signing: { parsePrivateKey, sign: signMessage },
};
