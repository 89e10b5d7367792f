/**
 * puretls/client: the client-only, runtime-neutral entry (issue 9 item 5). The same engine
 * as `puretls`, but its `TlsConnection` has only `client()`, and nothing here reaches the
 * server's handshake, certificate selection or key loading, so a bundler leaves them out.
 * Use `puretls` (or `puretls/node`) when a program also accepts connections.
 *
 * Its default provider is the pure one made of what the configuration's `modules` include
 * (src/crypto/lean.ts): X25519, AES-GCM, ECDSA and RSA verification always; the secp256r1 and
 * secp384r1 groups, the post-quantum hybrids, ChaCha20-Poly1305, Ed25519 and client
 * certificates when their modules are passed. `nobleProvider` (everything) can still be passed as `crypto`.
 *
 * @module
 */
export {
  TlsConnection,
  createClientConfig,
  tls12,
  ocsp,
  identity,
  clientCertificates,
  secp256r1,
  secp384r1,
  chacha20,
  ed25519,
  x25519mlkem768,
  secp256r1mlkem768,
  secp384r1mlkem1024,
  resumption,
} from './engine/client-connection.js';
export { ConnectionCore } from './engine/connection.js';
export type { ClientModule, ClientModuleName, ClientOnlyConfigOptions, ClientOnlyOptions } from './engine/client-connection.js';
export { ClientConfig, isClientConfig } from './engine/setup.js';
export type { ClientConfigOptions, ClientConnectionOptions } from './engine/setup.js';
export type { ConnectionInfo, ConnectionPhase, ConnectionView, SessionTicket } from './engine/info.js';
export { TlsError, AlertDescription, DEFAULT_ALERT, alertName, categoryOf } from './base/errors.js';
export type { TlsStatus, TlsErrorCategory, TlsErrorInit, CertificateErrorLike } from './base/errors.js';
export type { ClientOptions, CommonOptions, CertifiedKeyInput, KeyInput, KeyWithPassphrase, PfxInput, PfxWithPassphrase, TraceEvent, TlsVersionName } from './config/config.js';
export type {
  CryptoProvider,
  AeadAlg,
  AeadCipher,
  HashAlg,
  HashState,
  KeyShare,
  KemEncapsulation,
  KeyType,
  PrivateKeyInfo,
  PublicKeyInfo,
  RandomSource,
  RsaPrivateComponents,
  SignatureOptions,
} from './crypto/provider.js';
export { nobleProvider, defaultRandom } from './crypto/noble.js';
export { CipherSuite, NamedGroup, SignatureScheme, ProtocolVersion, nameOf } from './wire/codes.js';
export type { CodeKind } from './wire/codes.js';
export { IGNORABLE_CERTIFICATE_ERRORS, severityOf } from './verify/verifier.js';
export type {
  CertificateError,
  CertificateErrorCode,
  CertificateErrorSeverity,
  CertificateVerifier,
  VerificationReport,
  VerifyRequest,
} from './verify/verifier.js';
export { createBasicVerifier, DEFAULT_VERIFICATION_WORK } from './verify/basic-verifier.js';
export type { BasicVerifier, BasicVerifierOptions, BasicVerificationReport } from './verify/basic-verifier.js';
export { loadCertificates } from './config/identity.js';
export type { LoadCertificatesOptions, CertSource } from './config/identity.js';
export type { ResumableSession, Tls13Session, SessionCommon } from './session/session.js';
export type { SessionStore } from './session/store.js';
