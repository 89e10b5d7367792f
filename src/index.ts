/**
 * puretls: the runtime-neutral entry (no `node:` imports). The engine, errors,
 * configuration types, the crypto provider and the verifier interfaces. Test PKI
 * generation, message hooks and the fault-injection harness are in `puretls/testing`.
 *
 * @module
 */
export { TlsConnection } from './engine/tls-connection.js';
export type { HandoffImportOptions } from './engine/tls-connection.js';
export { ConnectionCore } from './engine/connection.js';
export { createClientConfig, createServerConfig, ClientConfig, ServerConfig, isClientConfig, isServerConfig } from './engine/setup.js';
export type { ClientConfigOptions, ServerConfigOptions, ClientConnectionOptions } from './engine/setup.js';
export type { ConnectionInfo, ConnectionPhase, ConnectionView, SessionTicket } from './engine/connection.js';
export { TlsError, AlertDescription, DEFAULT_ALERT, alertName, categoryOf, getErrorStatus, transportStatusOf } from './base/errors.js';
export type { TlsStatus, TlsErrorCategory, TlsErrorInit, CertificateErrorLike } from './base/errors.js';
export type { ClientOptions, ServerOptions, CommonOptions, CertifiedKeyInput, KeyInput, KeyWithPassphrase, PfxInput, PfxWithPassphrase, TraceEvent, TlsVersionName } from './config/config.js';
export type {
  CryptoProvider,
  AeadAlg,
  AeadCipher,
  AsyncAeadCipher,
  HashAlg,
  HashState,
  KeyShare,
  KemEncapsulation,
  KeyType,
  MaybePromise,
  PrivateKeyInfo,
  PublicKeyInfo,
  RandomSource,
  RsaPrivateComponents,
  SignatureOptions,
  Signer,
  SyncCryptoProvider,
  SyncKeyShare,
} from './crypto/provider.js';
export type { PrivateKeyInput, KeyObjectLike } from './crypto/signer.js';
export { nobleProvider, defaultRandom } from './crypto/noble.js';
export { CipherSuite, NamedGroup, SignatureScheme, ProtocolVersion, nameOf } from './wire/codes.js';
export type { CodeKind } from './wire/codes.js';
export type { ParsedCertificate, CertificateExtension } from './verify/x509.js';
export type { GeneralName, GeneralNameForm, GeneralNameContext } from './verify/names.js';
export type { SearchLimits } from './verify/engine.js';
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
export { verifyCertificateChain } from './verify/chain.js';
export type { Certificate, CertificateInput, VerifyCertificateChainOptions, VerifyCertificateChainResult } from './verify/chain.js';
export { verifyOcspResponse, verifyOcspResponseAsync } from './verify/ocsp.js';
export type { OcspCheckInput, OcspResult, CrlReason } from './verify/ocsp.js';
export { loadCertificates } from './config/identity.js';
export { TicketKeySet, NODE_TICKET_KEYS_LEN, TICKET_KEY_NAME_LEN, TICKET_KEY_SECRET_LEN, TICKET_OVERHEAD } from './session/ticket-keys.js';
export type { TicketKeySetOptions, OpenedTicket, TicketKey } from './session/ticket-keys.js';
export { MemorySessionStore, sessionStoreKey } from './session/store.js';
export type { SessionStore, MemorySessionStoreOptions, TrustDecisionInputs } from './session/store.js';
export { MAX_TICKET_LIFETIME_SECONDS, isSessionFresh } from './session/session.js';
export { MemoryReplayRegister } from './session/replay.js';
export type { ReplayRegister, MemoryReplayRegisterOptions } from './session/replay.js';
export type { ResumableSession, Tls13Session, Tls12Session, SessionCommon } from './session/session.js';
export type { LoadCertificatesOptions, CertSource } from './config/identity.js';
export { decodePkcs12, decryptPrivateKey, MAX_KDF_ITERATIONS, MAX_KDF_WORK, MAX_PKCS12_SIZE, SCRYPT_LIMITS } from './identity/index.js';
export type { Pkcs12Contents, Pkcs12Identity } from './identity/index.js';
export { serializeSession, deserializeSession, SESSION_BLOB_VERSION, SESSION_KEY_LENGTH, MAX_SESSION_BLOB } from './session/serialize.js';
