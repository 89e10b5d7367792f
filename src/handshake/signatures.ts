/**
 * Handshake signatures, both versions and both roles, in one place: which scheme a peer
 * may use (offered by us, fitting its certificate's key), which key type a TLS 1.2 suite
 * authenticates with, and making and checking the signatures themselves —
 * CertificateVerify (RFC 9846 §4.5.2; RFC 5246 §7.4.8) and ServerKeyExchange
 * (RFC 5246 §7.4.3, RFC 8422 §5.4). A peer's signature is checked only under the key of a
 * chain we accepted, and a good one yields a {@link HandshakeSignatureValid}.
 *
 * @module
 */
import type { ResolvedCommon } from '../config/config.js';
import { andThen, isPromiseLike, type MaybePromise, type PrivateKeyInfo, type PublicKeyInfo, type SignatureOptions } from '../crypto/provider.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { TlsError, isTlsError, thrownText } from '../base/errors.js';
import { certificateVerifyInput } from '../wire/certificate.js';
import { nameOf } from '../wire/codes.js';
import type { ServerKeyExchange } from '../wire/messages.js';
import { serverKeyExchangeSignedContent } from '../wire/tls12.js';
import type { CertificateChainAccepted, Peer } from './peer-auth.js';

/** The configuration a signature check reads: the provider and the schemes we offered. */
export type SignatureConfig = Pick<ResolvedCommon, 'crypto' | 'signatureSchemes' | 'random'>;

/** Only the checks below hold this: nothing else can make a {@link HandshakeSignatureValid}. */
const MINT: unique symbol = Symbol('HandshakeSignatureValid');
let mintSignatureValid: <P extends Peer>(chain: CertificateChainAccepted<P>, scheme: number) => HandshakeSignatureValid<P>;

/**
 * Proof that the `P` side signed this handshake with the key of a certificate chain we
 * accepted (rustls' `HandshakeSignatureValid`): its CertificateVerify (RFC 9846 §4.5.2;
 * RFC 5246 §7.4.8) or its ServerKeyExchange (RFC 8422 §5.4) verified under the leaf key of
 * a {@link CertificateChainAccepted}.
 *
 * Only the `verify…` functions of this module can create one: the constructor is private
 * and checks a module-private token at run time too.
 */
export class HandshakeSignatureValid<P extends Peer> {
  readonly #mint: typeof MINT;
  /** Whose signature this is. */
  readonly peer: P;
  /** The scheme it was made with. */
  readonly scheme: number;

  private constructor(mint: typeof MINT, peer: P, scheme: number) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a HandshakeSignatureValid is made by the signature checks only' });
    this.#mint = mint;
    this.peer = peer;
    this.scheme = scheme;
  }

  static {
    mintSignatureValid = <P extends Peer>(chain: CertificateChainAccepted<P>, scheme: number) => new HandshakeSignatureValid(MINT, chain.peer, scheme);
  }
}

/**
 * Key types each TLS 1.2 suite family authenticates with (RFC 5246 §7.4.2; RFC 8422 §5.3
 * allows Ed25519 with ECDHE_ECDSA). Used by the server to pick a certificate and by the
 * client to check the one it got.
 */
export function keyFitsSuite(key: Pick<PublicKeyInfo, 'type'>, suite: Tls12Suite): boolean {
  const t = key.type;
  return suite.auth === 'ecdsa' ? t === 'ec-p256' || t === 'ec-p384' || t === 'ed25519' : t === 'rsa' || t === 'rsa-pss';
}

/**
 * The peer's signature scheme must be one we offered in signature_algorithms and must fit
 * the key of its certificate (RFC 9846 §4.5.2; RFC 5246 §7.4.1.4.1, §7.4.8): else
 * illegal_parameter.
 *
 * @param what - the message, for the error detail
 */
export function checkPeerScheme(cfg: SignatureConfig, key: PublicKeyInfo, scheme: number, version: 'TLSv1.2' | 'TLSv1.3', what: string): void {
  if (!cfg.signatureSchemes.includes(scheme)) {
    throw new TlsError('IllegalParameter', { detail: `${what} uses ${nameOf('scheme', scheme)}, which we did not offer` });
  }
  if (!cfg.crypto.schemesForKey(key, version).includes(scheme)) {
    throw new TlsError('IllegalParameter', { detail: `${what} scheme ${nameOf('scheme', scheme)} does not fit the certificate key (${key.type})` });
  }
}

/**
 * Checks the peer's TLS 1.3 CertificateVerify (RFC 9846 §4.5.2) under the leaf key of the
 * chain we accepted: scheme offered and fitting the key, signature valid over the peer's
 * context string and `transcriptHash` (Hash(ClientHello … Certificate)).
 */
export function verifyCertificateVerify13<P extends Peer>(
  cfg: SignatureConfig,
  chain: CertificateChainAccepted<P>,
  scheme: number,
  signature: Uint8Array,
  transcriptHash: Uint8Array,
): MaybePromise<HandshakeSignatureValid<P>> {
  const key = chain.leafKey;
  checkPeerScheme(cfg, key, scheme, 'TLSv1.3', 'CertificateVerify');
  return andThen(cfg.crypto.verify(key, scheme, certificateVerifyInput(chain.peer, transcriptHash), signature), (ok) => {
    // RFC 9846 §4.5.2: "If the verification fails, the receiver MUST terminate the handshake with a decrypt_error alert."
    if (ok !== true) throw new TlsError('DecryptError', { detail: 'CertificateVerify signature is invalid' });
    return mintSignatureValid(chain, scheme);
  });
}

/**
 * The schemes our own key can sign with for `version`, in preference order: those the
 * provider allows for the key type, narrowed to what an opaque key's signer can make.
 */
export function ownSigningSchemes(cfg: Pick<SignatureConfig, 'crypto'>, key: PrivateKeyInfo, version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): number[] {
  const all = cfg.crypto.schemesForKey(key, version);
  const only = key.signer?.schemes;
  return only ? all.filter((s) => only.includes(s)) : all;
}

/**
 * Signs `message` with our key: an opaque key through its signer, any other through the
 * provider. A signer that throws, rejects or returns something that is not a signature
 * (empty, or longer than a TLS signature field can hold, RFC 9846 §4.5.2) fails the
 * handshake with InternalError.
 *
 * An opaque key's signature is checked under the certificate's public key before it is
 * sent (when the provider verifies that scheme): a signer holding another key, signing
 * other data or with another scheme, or returning garbage fails here with InternalError
 * instead of going out for the peer to refuse with decrypt_error; and a faulty signature
 * never leaves (an RSA-CRT fault in a token or KMS signing a PKCS#1 v1.5 ServerKeyExchange,
 * whose content the peer knows, reveals a factor of the modulus: Boneh-DeMillo-Lipton,
 * Lenstra; the pure and native RSA signers check their own results already).
 */
function signWith(cfg: SignatureConfig, key: PrivateKeyInfo, scheme: number, message: Uint8Array, opts?: SignatureOptions): MaybePromise<Uint8Array> {
  const failed = (e: unknown): never => {
    if (isTlsError(e)) throw e;
    throw new TlsError('InternalError', { detail: `signing with ${nameOf('scheme', scheme)} failed: ${thrownText(e)}`, cause: e });
  };
  const check = (sig: unknown): MaybePromise<Uint8Array> => {
    if (!(sig instanceof Uint8Array) || sig.length === 0 || sig.length > 0xffff) {
      throw new TlsError('InternalError', { detail: `the signer returned no usable ${nameOf('scheme', scheme)} signature` });
    }
    if (!key.signer || !cfg.crypto.signatureSchemes.includes(scheme)) return sig;
    // A copy: what is checked is what is sent, whatever the signer does with its array later.
    const own = sig.slice();
    const verified = (ok: unknown): Uint8Array => {
      if (ok !== true) {
        const who = key.signer?.label !== undefined ? ` (${thrownText(key.signer.label)})` : '';
        throw new TlsError('InternalError', { detail: `the signer${who} returned a ${nameOf('scheme', scheme)} signature that does not verify under the certificate's key: not sent` });
      }
      return own;
    };
    let ok: MaybePromise<boolean>;
    try {
      ok = cfg.crypto.verify(key.publicKey, scheme, message, own, opts);
    } catch (e) {
      return failed(e);
    }
    return isPromiseLike(ok) ? Promise.resolve(ok).then(verified, failed) : verified(ok);
  };
  let r: MaybePromise<Uint8Array>;
  try {
    r = key.signer ? key.signer.sign(scheme, message) : cfg.crypto.sign(key, scheme, message, cfg.random, opts);
  } catch (e) {
    return failed(e);
  }
  return isPromiseLike(r) ? Promise.resolve(r).then(check, failed) : check(r);
}

/** Signs our TLS 1.3 CertificateVerify (RFC 9846 §4.5.2). */
export function signCertificateVerify13(cfg: SignatureConfig, key: PrivateKeyInfo, scheme: number, transcriptHash: Uint8Array, role: 'server' | 'client'): MaybePromise<Uint8Array> {
  return signWith(cfg, key, scheme, certificateVerifyInput(role, transcriptHash));
}

/**
 * Checks a TLS 1.2 ServerKeyExchange signature (RFC 8422 §5.4: over client_random ‖
 * server_random ‖ ServerECDHParams) under the leaf key of the server chain we accepted:
 * scheme offered and fitting the key, else illegal_parameter; a signature that does not
 * verify → decrypt_error (RFC 5246 §7.2.2).
 */
export function verifyServerKeyExchange(
  cfg: SignatureConfig,
  chain: CertificateChainAccepted<'server'>,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  ske: ServerKeyExchange,
): MaybePromise<HandshakeSignatureValid<'server'>> {
  const key = chain.leafKey;
  checkPeerScheme(cfg, key, ske.scheme, 'TLSv1.2', 'ServerKeyExchange');
  const content = serverKeyExchangeSignedContent(clientRandom, serverRandom, ske);
  return andThen(cfg.crypto.verify(key, ske.scheme, content, ske.signature, { tls12: true }), (ok) => {
    if (ok !== true) throw new TlsError('DecryptError', { detail: 'ServerKeyExchange signature is invalid' });
    return mintSignatureValid(chain, ske.scheme);
  });
}

/** Signs our TLS 1.2 ServerKeyExchange (RFC 8422 §5.4). */
export function signServerKeyExchange(cfg: SignatureConfig, key: PrivateKeyInfo, clientRandom: Uint8Array, serverRandom: Uint8Array, ske: ServerKeyExchange): MaybePromise<Uint8Array> {
  return signWith(cfg, key, ske.scheme, serverKeyExchangeSignedContent(clientRandom, serverRandom, ske), { tls12: true });
}

/**
 * Checks the client's TLS 1.2 CertificateVerify (RFC 5246 §7.4.8) under the leaf key of
 * the client chain we accepted: over every handshake message so far (`messages`); scheme
 * offered and fitting the key, signature valid.
 */
export function verifyCertificateVerify12(
  cfg: SignatureConfig,
  chain: CertificateChainAccepted<'client'>,
  scheme: number,
  signature: Uint8Array,
  messages: Uint8Array,
): MaybePromise<HandshakeSignatureValid<'client'>> {
  const key = chain.leafKey;
  checkPeerScheme(cfg, key, scheme, 'TLSv1.2', 'CertificateVerify');
  return andThen(cfg.crypto.verify(key, scheme, messages, signature, { tls12: true }), (ok) => {
    if (ok !== true) throw new TlsError('DecryptError', { detail: 'client CertificateVerify signature is invalid' });
    return mintSignatureValid(chain, scheme);
  });
}

/** Signs our TLS 1.2 CertificateVerify over every handshake message so far (RFC 5246 §7.4.8). */
export function signCertificateVerify12(cfg: SignatureConfig, key: PrivateKeyInfo, scheme: number, messages: Uint8Array): MaybePromise<Uint8Array> {
  return signWith(cfg, key, scheme, messages, { tls12: true });
}
