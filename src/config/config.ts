/**
 * Configuration of a {@link TlsConnection}: option names follow Node's `tls` where one
 * exists (`servername`, `ca`, `cert`, `key`, `ALPNProtocols`, `minVersion`,
 * `maxVersion`, `rejectUnauthorized`), plus ours (`groups`, `crypto`, ...).
 *
 * `resolveCommon` validates what both roles share; `createClientConfig` /
 * `createServerConfig` (src/engine/setup.ts) build the immutable configs connections share.
 * Any problem is a `TlsError('InvalidConfig')`.
 *
 * @module
 */
import type { CryptoProvider, PrivateKeyInfo, RandomSource } from '../crypto/provider.js';
import type { PrivateKeyInput } from '../crypto/signer.js';
import { resolveCryptoProviderWith } from '../crypto/select.js';
import { checkedRandom } from '../crypto/guard.js';
import type { CertificateErrorCode, CertificateVerifier } from '../verify/verifier.js';
import type { Certificate } from '../verify/certificate.js';
import { ALL_CERTIFICATE_ERRORS, IGNORABLE_CERTIFICATE_ERRORS } from '../verify/verifier.js';
import { TlsError } from '../base/errors.js';
import type { MemorySessionStore, SessionStore } from '../session/store.js';
import type { TicketKeySet } from '../session/ticket-keys.js';
import type { MemoryReplayRegister, ReplayRegister } from '../session/replay.js';
import { CERT_SIGNATURE_SCHEMES, DEFAULT_GROUPS, TLS12_SUITES, TLS13_SUITES, resolveCodes, tls12Suite, tls13Suite } from '../crypto/suites.js';
import { ProtocolVersion, nameOf } from '../wire/codes.js';

/** Protocol version names accepted in configuration. */
export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';

/**
 * Node's form of a private key with its own passphrase (`key: [{ pem, passphrase }]` in
 * `tls.createSecureContext`); puretls also takes it outside an array.
 */
export interface KeyWithPassphrase {
  /** The key: PEM text (encrypted or not) or DER bytes. */
  readonly pem: string | Uint8Array;
  /** Passphrase of this key (default: the `passphrase` option). */
  readonly passphrase?: string;
}

/**
 * A private key as the options take it: a {@link PrivateKeyInput} (PEM, DER or an opaque
 * key), Node's {@link KeyWithPassphrase}, or Node's array form holding exactly one of them
 * (several keys are several identities: use `certificates`, or several `pfx` files).
 */
export type KeyInput = PrivateKeyInput | KeyWithPassphrase | readonly (string | Uint8Array | KeyWithPassphrase)[];

/** Node's form of one PKCS#12 file with its own passphrase (`pfx: [{ buf, passphrase }]`). */
export interface PfxWithPassphrase {
  /** The file: DER bytes, or its base64 text. */
  readonly buf: string | Uint8Array;
  /** Passphrase of this file (default: the `passphrase` option). */
  readonly passphrase?: string;
}

/**
 * PKCS#12 (`.p12` / `.pfx`) input as Node's `pfx` option takes it: one file (DER bytes, or
 * its base64 text), or a list of files, each bytes, base64 or {@link PfxWithPassphrase}.
 */
export type PfxInput = string | Uint8Array | readonly (string | Uint8Array | PfxWithPassphrase)[];

/** A certificate chain (PEM text or DER certificates, leaf first) and its private key. */
export interface CertifiedKeyInput {
  /** PEM text holding the leaf then intermediates, or DER certificates (leaf first). */
  readonly cert: string | Uint8Array | readonly (string | Uint8Array)[];
  /**
   * Private key: PEM (PKCS#8, SEC1, PKCS#1) or DER PKCS#8, or an opaque key whose bytes are
   * never needed: a WebCrypto CryptoKey, a `node:crypto` KeyObject, or any object with
   * `sign(scheme, data)` (a hardware token, a remote KMS; see `Signer`). An encrypted key
   * (PEM `ENCRYPTED PRIVATE KEY`, DER EncryptedPrivateKeyInfo, or PEM with `Proc-Type:
   * 4,ENCRYPTED`) is opened with `passphrase`, or given with its own as
   * {@link KeyWithPassphrase}.
   */
  readonly key: KeyInput;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** Server only: a DER OCSPResponse to staple when the client asks (RFC 6066 §8). */
  readonly ocspResponse?: Uint8Array;
}

/** A trace event: one decoded handshake message or record-level event, for `--trace`. */
export interface TraceEvent {
  readonly direction: 'sent' | 'received';
  readonly kind: 'handshake' | 'alert' | 'change_cipher_spec' | 'key_change' | 'info';
  readonly summary: string;
  readonly message?: unknown;
}

/** Options shared by clients and servers. */
export interface CommonOptions {
  /**
   * Crypto provider: `'pure'` (@noble/*, everywhere; the default of the runtime-neutral
   * entry), `'native'` (`node:crypto`; the default of `puretls/node`, and available after
   * importing `puretls/native`), `'webcrypto'`, or a {@link CryptoProvider} object.
   * `connection.info.provider` names the one that ran.
   */
  crypto?: 'pure' | 'native' | 'webcrypto' | CryptoProvider;
  /** Random source (default: `crypto.getRandomValues`). Inject a fixed one for deterministic handshakes. */
  random?: RandomSource;
  /** Clock (default: `Date.now`). */
  now?: () => number;
  /** Lowest version accepted (default TLSv1.2). Anything older is always refused. */
  minVersion?: TlsVersionName | '1.2' | '1.3';
  /** Highest version offered (default TLSv1.3). */
  maxVersion?: TlsVersionName | '1.2' | '1.3';
  /** Cipher suites, IANA names or code points, in preference order. */
  cipherSuites?: readonly (string | number)[];
  /** Named groups, IANA names or code points, in preference order. */
  groups?: readonly (string | number)[];
  /** Signature schemes accepted from the peer, names or code points. */
  signatureSchemes?: readonly (string | number)[];
  /** ALPN protocols in preference order. */
  ALPNProtocols?: readonly string[];
  /** Receives NSS key-log lines (`CLIENT_HANDSHAKE_TRAFFIC_SECRET <cr> <secret>`), without newline. */
  keyLog?: (line: string) => void;
  /** Receives decoded handshake messages and events. */
  trace?: (e: TraceEvent) => void;
  /**
   * Largest handshake message body accepted from the peer, other than the ClientHello
   * (default 65536). Exceeding it: `DecodeError` / decode_error.
   */
  maxHandshakeMessageSize?: number;
  /**
   * Empty records accepted in a row, counted since the last non-empty application data
   * (default 32). Exceeding it: `UnexpectedMessage` / unexpected_message.
   */
  maxEmptyRecords?: number;
  /**
   * Warning alerts (TLS 1.2) and user_canceled alerts accepted without application data
   * in between (default 4). Exceeding it: `UnexpectedMessage` / unexpected_message.
   */
  maxWarningAlerts?: number;
  /**
   * TLS 1.3 KeyUpdate messages accepted without application data in between (default 32).
   * Exceeding it: `UnexpectedMessage` / unexpected_message.
   */
  maxKeyUpdates?: number;
  /**
   * Post-handshake handshake messages (NewSessionTicket, KeyUpdate, HelloRequest, ...) and
   * empty records, counted together, accepted without application data in between
   * (default 64). Exceeding it: `UnexpectedMessage` / unexpected_message.
   */
  maxPostHandshakeMessages?: number;
  /**
   * Plaintext bytes `write()` holds before the handshake completes (default 262144), like a
   * stream's high-water mark: while less is held a write is taken whole; once it is reached
   * `wants.write` is false and `write()` throws `TlsError('WouldBlock')` (not fatal).
   */
  maxPendingWrite?: number;
  /**
   * Work budget of one certificate verification of the built-in verifier: signature checks,
   * path edges and name comparisons together (default `DEFAULT_VERIFICATION_WORK`, 100,000
   * units: a signature verification costs 2,000, a path edge 100, a name comparison 1).
   * Exceeding it: the chain is refused (`OtherErrors` at index -1; `CertificateOtherErrors` /
   * bad_certificate unless a more serious error was found first). Not allowed with a custom
   * `verifier`, whose costs are its own.
   */
  maxVerificationWork?: number;
  /**
   * TLS 1.2: require the extended master secret (RFC 7627). Default true; set false only
   * to talk to old peers (the handshake is then open to the triple-handshake attack).
   */
  requireExtendedMasterSecret?: boolean;
  /**
   * What a transport close without the peer's close_notify means once the handshake is
   * complete. Default false: a `Truncated` error (RFC 9846 §6.1: close_notify is how a
   * receiver tells a complete stream from one an attacker cut short by closing TCP). True,
   * for protocols that frame their own messages and so detect truncation themselves (HTTP
   * with Content-Length or chunked bodies, WebSocket, PostgreSQL, Redis, MQTT): the close
   * ends the peer's direction as close_notify would (`'end'` on a Node socket, `read()`
   * returns null) and `info.closeNotifyMissing` is true. Many servers close this way (Node's
   * own TLS 1.3 server when it calls `end()` right after writing). A close during the
   * handshake is an error either way.
   */
  endOnTransportClose?: boolean;
}

/** Client options. */
export interface ClientOptions extends CommonOptions {
  /** Server name for SNI and certificate checks (Node's `servername`). Omitted for IP literals in SNI. */
  servername?: string;
  /** Trust anchors: PEM bundle(s) or DER certificates. */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Replace chain validation (the CertificateVerify check against the leaf key always runs). */
  verifier?: CertificateVerifier;
  /** Node semantics: false ignores every ignorable certificate error (never a fatal one). Default true. */
  rejectUnauthorized?: boolean;
  /** Ignorable certificate errors the caller accepts (Windows `IgnorableServerCertificateErrors`). */
  ignorableCertificateErrors?: readonly CertificateErrorCode[];
  /** Client certificate chain for mutual TLS (PEM or DER, leaf first); with `key`. */
  cert?: CertifiedKeyInput['cert'];
  /** Private key of the client certificate. */
  key?: CertifiedKeyInput['key'];
  /**
   * Client certificate and key from a PKCS#12 file (Node's `pfx`), instead of `cert` +
   * `key`: exactly one identity. Opened with `passphrase` (or the file's own).
   */
  pfx?: PfxInput;
  /**
   * Node's `passphrase`: opens an encrypted `key` and the `pfx` files that have none of their
   * own. A wrong one is `WrongPassphrase`; it never appears in any error.
   */
  passphrase?: string;
  /** Ask the server to staple an OCSP response (status_request, RFC 6066 §8). Default true. */
  requestOCSP?: boolean;
  /** Report `RevocationInformationMissing` when the server staples no OCSP response. Default false. */
  requireRevocationInformation?: boolean;
  /**
   * Node's hook: replaces the built-in host-name check. Return an Error to refuse the
   * certificate (reported as `InvalidName`, which stays ignorable).
   */
  checkServerIdentity?: (hostname: string, cert: Certificate) => Error | undefined;
  /** Longest chain of intermediates accepted (default 8). */
  maxDepth?: number;
  /** Match the subject common name when the certificate has no SAN (default false, RFC 9525 §6.1). */
  commonNameFallback?: boolean;
  /** Groups for which key shares are sent in the first ClientHello (default x25519, secp256r1). */
  keyShareGroups?: readonly (string | number)[];
  /**
   * TLS 1.2: HelloRequest messages ignored while a handshake is in progress (RFC 5246
   * §7.4.1.1) (default 4). Exceeding it: `UnexpectedMessage` / unexpected_message. A
   * client that cannot negotiate TLS 1.2 refuses any HelloRequest.
   */
  maxHelloRequests?: number;
  /**
   * Where sessions for resumption are kept (issue 10; RFC 9846 §2.2): a
   * {@link SessionStore} (async `get`/`put`/`delete`, e.g. a shared cache), or `false` to
   * never resume. Default: a {@link MemorySessionStore} of the config (connections made
   * from one `createClientConfig` share it; plain options build a config, and so a store,
   * per connection: pass a store to resume across them). Sessions are keyed by server name
   * and the trust decision (anchors, ignorable errors, verifier), and each is offered once.
   */
  sessionStore?: SessionStore | false;
  /**
   * TLS 1.3 resumption without a fresh (EC)DHE (psk_ke, RFC 9846 §4.3.9): offered as well as
   * psk_dhe_ke when true. Default false: psk_ke gives up forward secrecy for the resumed
   * connection (RFC 9846 §E.6). Used only when the server enables it too.
   */
  allowPskKe?: boolean;
}

/** Server options. */
export interface ServerOptions extends CommonOptions {
  /** One identity (Node style). */
  cert?: CertifiedKeyInput['cert'];
  key?: CertifiedKeyInput['key'];
  /**
   * Identities from PKCS#12 files (Node's `pfx`): each file gives the identities it holds
   * (each private key with its certificate and the issuers in the file), added to `cert` +
   * `key` and `certificates`. Opened with `passphrase` (or the file's own).
   */
  pfx?: PfxInput;
  /**
   * Node's `passphrase`: opens an encrypted `key` and the `pfx` files that have none of their
   * own. A wrong one is `WrongPassphrase`; it never appears in any error.
   */
  passphrase?: string;
  /** Several identities; chosen by SNI and the client's signature schemes. */
  certificates?: readonly CertifiedKeyInput[];
  /**
   * Largest ClientHello body accepted (default 131072). Post-quantum key shares and many
   * extensions make ClientHellos large; the buffer grows only as bytes arrive. Exceeding
   * it: `DecodeError` / decode_error.
   */
  maxClientHelloSize?: number;
  /**
   * TLS 1.3 server that does not accept early data: bytes of 0-RTT records it skips
   * (RFC 9846 §4.3.10) before giving up, record headers included. Default: 65536, or, when
   * `maxEarlyData` allows more, that much plaintext in full records with their headers and
   * largest expansion (so a client within our tickets' limit is never refused). Exceeding it:
   * `BadRecordMac` / bad_record_mac (or `UnexpectedMessage` after a HelloRetryRequest).
   */
  maxSkippedEarlyData?: number;
  /**
   * TLS 1.3 NewSessionTickets sent after each handshake, 0..16 (default 2, as OpenSSL and
   * Node: a client that opens two connections at once, as browsers do, can resume both, and
   * a single-use ticket leaves one for the next reconnect). 0 disables resumption.
   */
  sessionTickets?: number;
  /**
   * Keys that seal tickets: a {@link TicketKeySet} (shared; rotate it with
   * `rotateTicketKeys()`), or its 48/96 bytes in Node's `ticketKeys` form so a fleet of
   * servers opens each other's tickets. Default: a fresh random set per config.
   */
  ticketKeys?: TicketKeySet | Uint8Array;
  /**
   * Ticket lifetime in seconds, 1..604800 (RFC 9846 §4.7.1; Node's name). Default 7200, as
   * OpenSSL. TLS 1.2 sessions (session-ID cache entries and RFC 5077 tickets) live this long
   * too, but at most 86400 seconds (RFC 5246 §F.1.4 suggests 24 hours).
   */
  sessionTimeout?: number;
  /** TLS 1.2 sessions kept in the server's session-ID cache (default 4096; 0: no session IDs, tickets only). */
  sessionCacheSize?: number;
  /**
   * Accept TLS 1.3 resumption without (EC)DHE (psk_ke, RFC 9846 §4.3.9) when the client
   * offers it. Default false (forward secrecy first); the client must enable it too.
   */
  allowPskKe?: boolean;
  /**
   * 0-RTT (RFC 9846 §2.3, §4.3.10): bytes of early data a client may send with a resumed
   * ClientHello, announced in our tickets. Default 0: off. Early data can be replayed by an
   * attacker (RFC 9846 §8): it is accepted once per ticket (`replayRegister`) and
   * within the ticket-age window, reported in `earlyDataLength`, and should only carry
   * requests that are harmless to repeat.
   */
  maxEarlyData?: number;
  /**
   * Where tickets used for 0-RTT are remembered (RFC 9846 §8.1, §8.2). Default: a
   * {@link MemoryReplayRegister} per config. Servers sharing `ticketKeys` must share one.
   */
  replayRegister?: ReplayRegister;
  /** Ask clients for a certificate (mutual TLS); an absent one is accepted. */
  requestCert?: boolean;
  /** Require a client certificate (implies `requestCert`): without one the handshake fails. */
  requireCert?: boolean;
  /** Trust anchors for client certificates. */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Replace client-certificate chain validation (the CertificateVerify check always runs). */
  verifier?: CertificateVerifier;
  /** false: accept client certificates with ignorable errors (never fatal ones). Default true. */
  rejectUnauthorized?: boolean;
  /** Ignorable errors accepted in client certificates. */
  ignorableCertificateErrors?: readonly CertificateErrorCode[];
  /** Longest chain of intermediates accepted in client certificates (default 8). */
  maxDepth?: number;
}

const COMMON_OPTION_NAMES = [
  'crypto', 'random', 'now', 'minVersion', 'maxVersion', 'cipherSuites', 'groups', 'signatureSchemes', 'ALPNProtocols', 'keyLog', 'trace',
  'maxHandshakeMessageSize', 'maxEmptyRecords', 'maxWarningAlerts', 'maxKeyUpdates', 'maxPostHandshakeMessages', 'maxPendingWrite',
  'maxVerificationWork', 'requireExtendedMasterSecret', 'endOnTransportClose',
] as const satisfies readonly (keyof CommonOptions)[];
const CLIENT_ONLY_NAMES = [
  'servername', 'ca', 'verifier', 'rejectUnauthorized', 'ignorableCertificateErrors', 'cert', 'key', 'pfx', 'passphrase', 'requestOCSP',
  'requireRevocationInformation', 'checkServerIdentity', 'maxDepth', 'commonNameFallback', 'keyShareGroups', 'maxHelloRequests',
  'sessionStore', 'allowPskKe',
] as const satisfies readonly (keyof ClientOptions)[];
const SERVER_ONLY_NAMES = [
  'cert', 'key', 'pfx', 'passphrase', 'certificates', 'maxClientHelloSize', 'maxSkippedEarlyData', 'sessionTickets', 'requestCert', 'requireCert', 'ca',
  'verifier', 'rejectUnauthorized', 'ignorableCertificateErrors', 'maxDepth', 'ticketKeys', 'sessionTimeout', 'sessionCacheSize', 'allowPskKe', 'maxEarlyData',
  'replayRegister',
] as const satisfies readonly (keyof ServerOptions)[];

/**
 * Every key of {@link ClientOptions}: adapters use it to tell TLS options from their own and
 * from unrelated keys (Node's `https` passes many). (`concat`, not spreads, under PURE marks: a
 * bundler can then drop both lists from a program that never reads them.)
 */
export const CLIENT_OPTION_NAMES: readonly (keyof ClientOptions)[] = /* @__PURE__ */ Object.freeze<(keyof ClientOptions)[]>(/* @__PURE__ */ (COMMON_OPTION_NAMES as readonly (keyof ClientOptions)[]).concat(CLIENT_ONLY_NAMES));

/** Every key of {@link ServerOptions}; see {@link CLIENT_OPTION_NAMES}. */
export const SERVER_OPTION_NAMES: readonly (keyof ServerOptions)[] = /* @__PURE__ */ Object.freeze<(keyof ServerOptions)[]>(/* @__PURE__ */ (COMMON_OPTION_NAMES as readonly (keyof ServerOptions)[]).concat(SERVER_ONLY_NAMES));

// A new option must be added to the lists above: these lines fail to compile otherwise.
const everyClientOptionListed: [Exclude<keyof ClientOptions, (typeof COMMON_OPTION_NAMES)[number] | (typeof CLIENT_ONLY_NAMES)[number]>] extends [never] ? true : false = true;
const everyServerOptionListed: [Exclude<keyof ServerOptions, (typeof COMMON_OPTION_NAMES)[number] | (typeof SERVER_ONLY_NAMES)[number]>] extends [never] ? true : false = true;
void everyClientOptionListed;
void everyServerOptionListed;

/** An identity ready to use. */
export interface CertifiedKey {
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[];
  readonly key: PrivateKeyInfo;
  /** DNS names and IP literals from the leaf's SAN (lower case), for SNI selection. */
  readonly names: readonly string[];
  /** DER OCSPResponse to staple, if any. */
  readonly ocspResponse?: Uint8Array;
}

/** Resolved common settings. */
export interface ResolvedCommon {
  readonly crypto: CryptoProvider;
  readonly random: RandomSource;
  readonly now: () => number;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly suites: readonly number[];
  readonly groups: readonly number[];
  readonly signatureSchemes: readonly number[];
  readonly alpn: readonly string[];
  readonly keyLog: ((line: string) => void) | undefined;
  readonly trace: ((e: TraceEvent) => void) | undefined;
  readonly maxHandshakeMessageSize: number;
  readonly maxEmptyRecords: number;
  readonly maxWarningAlerts: number;
  readonly maxKeyUpdates: number;
  readonly maxPostHandshakeMessages: number;
  readonly maxPendingWrite: number;
  readonly maxVerificationWork: number | undefined;
  readonly requireExtendedMasterSecret: boolean;
  readonly endOnTransportClose: boolean;
}

/**
 * A non-negative integer option, or its default.
 * @throws TlsError('InvalidConfig') when the value is not an integer in `min..max`
 */
export function limitOption(name: string, v: number | undefined, dflt: number, min = 0, max = 2 ** 31 - 1): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new TlsError('InvalidConfig', { detail: `${name} must be an integer ${min}..${max}` });
  return v;
}

function versionOf(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === 'TLSv1.3' || v === '1.3') return ProtocolVersion.TLSv1_3;
  if (v === 'TLSv1.2' || v === '1.2') return ProtocolVersion.TLSv1_2;
  throw new TlsError('InvalidConfig', { detail: `unsupported version '${v}': puretls speaks TLSv1.2 and TLSv1.3 only` });
}

/**
 * How to get what `crypto` lacks, if it can say (the client-only entry's pure provider names
 * the module to add): appended to the `InvalidConfig` detail.
 */
function missingHint(crypto: CryptoProvider, kind: 'group' | 'aead' | 'scheme', what: number | string): string {
  const m = (crypto as { missing?: (k: typeof kind, w: number | string) => string | undefined }).missing;
  const hint = typeof m === 'function' ? m.call(crypto, kind, what) : undefined;
  return hint === undefined ? '' : `: ${hint}`;
}

/** The AEAD algorithms `crypto` says it has, or undefined (then it has every one). */
function providerAeads(crypto: CryptoProvider): readonly string[] | undefined {
  const a = (crypto as { aeads?: unknown }).aeads;
  return Array.isArray(a) ? (a as string[]) : undefined;
}

/**
 * Validates the options shared by both roles. `deps.crypto` is the entry point's default
 * provider and `deps.pure` what `crypto: 'pure'` means there (default: `deps.crypto`);
 * `deps.defaultGroups` the role's default group list (default: DEFAULT_GROUPS).
 * Default suites, groups and signature schemes are those the provider can do; one named
 * explicitly that it cannot do is `InvalidConfig` (saying which module has it, when the
 * provider knows).
 */
export function resolveCommon(o: CommonOptions, deps: { crypto: CryptoProvider; random: RandomSource; pure?: CryptoProvider; defaultGroups?: readonly number[] }): ResolvedCommon {
  checkCommonShapes(o);
  const crypto = resolveCryptoProviderWith(o.crypto, deps.crypto, deps.pure ?? deps.crypto);
  const minVersion = versionOf(o.minVersion, ProtocolVersion.TLSv1_2);
  const maxVersion = versionOf(o.maxVersion, ProtocolVersion.TLSv1_3);
  if (minVersion > maxVersion) throw new TlsError('InvalidConfig', { detail: 'minVersion is above maxVersion' });
  const aeads = providerAeads(crypto);
  const aeadOf = (s: number): string | undefined => (tls13Suite(s) ?? tls12Suite(s))?.aead;
  const canSeal = (s: number): boolean => aeads === undefined || aeads.includes(aeadOf(s)!);
  let suites: number[];
  if (o.cipherSuites) {
    suites = resolveCodeList('suite', 'cipherSuites', o.cipherSuites);
    for (const s of suites) {
      if (!tls13Suite(s) && !tls12Suite(s)) {
        throw new TlsError('InvalidConfig', { detail: `cipher suite ${nameOf('suite', s)} is not supported: puretls implements AEAD suites only` });
      }
      if (!canSeal(s)) throw new TlsError('InvalidConfig', { detail: `cipher suite ${nameOf('suite', s)} is not supported by provider ${crypto.name}${missingHint(crypto, 'aead', aeadOf(s)!)}` });
    }
  } else {
    suites = [...TLS13_SUITES, ...TLS12_SUITES].map((s) => s.code).filter(canSeal);
  }
  // Default groups: those of the role's default list the provider implements (a provider without the hybrids offers the classical groups).
  const groups = o.groups ? resolveCodeList('group', 'groups', o.groups) : (deps.defaultGroups ?? DEFAULT_GROUPS).filter((g) => crypto.groups.includes(g));
  for (const g of groups) {
    if (!crypto.groups.includes(g)) throw new TlsError('InvalidConfig', { detail: `group 0x${g.toString(16)} is not supported by provider ${crypto.name}${missingHint(crypto, 'group', g)}` });
  }
  if (groups.length === 0) throw new TlsError('InvalidConfig', { detail: 'no groups configured' });
  let signatureSchemes: number[];
  if (o.signatureSchemes) {
    signatureSchemes = resolveCodeList('scheme', 'signatureSchemes', o.signatureSchemes);
    for (const s of signatureSchemes) {
      const hint = crypto.signatureSchemes.includes(s) ? '' : missingHint(crypto, 'scheme', s);
      if (hint !== '') throw new TlsError('InvalidConfig', { detail: `signature scheme ${nameOf('scheme', s)} is not supported by provider ${crypto.name}${hint}` });
    }
  } else {
    signatureSchemes = CERT_SIGNATURE_SCHEMES.filter((s) => crypto.signatureSchemes.includes(s));
  }
  const alpn = resolveAlpn(o.ALPNProtocols ?? []);
  return {
    crypto,
    random: o.random ? checkedRandom(o.random) : deps.random,
    now: o.now ?? Date.now,
    minVersion,
    maxVersion,
    suites,
    groups,
    signatureSchemes,
    alpn,
    keyLog: o.keyLog,
    trace: o.trace,
    maxHandshakeMessageSize: limitOption('maxHandshakeMessageSize', o.maxHandshakeMessageSize, 65536, 0, 0xffffff),
    maxEmptyRecords: limitOption('maxEmptyRecords', o.maxEmptyRecords, 32),
    maxWarningAlerts: limitOption('maxWarningAlerts', o.maxWarningAlerts, 4),
    maxKeyUpdates: limitOption('maxKeyUpdates', o.maxKeyUpdates, 32),
    maxPostHandshakeMessages: limitOption('maxPostHandshakeMessages', o.maxPostHandshakeMessages, 64),
    maxPendingWrite: limitOption('maxPendingWrite', o.maxPendingWrite, 262144),
    maxVerificationWork: o.maxVerificationWork === undefined ? undefined : limitOption('maxVerificationWork', o.maxVerificationWork, 0, 1),
    requireExtendedMasterSecret: o.requireExtendedMasterSecret ?? true,
    endOnTransportClose: o.endOnTransportClose === true,
  };
}

/**
 * Most bytes of an ALPN `ProtocolNameList` (each name with its length byte). RFC 7301 §3.1
 * allows 2^16-1, but a client's list shares the ClientHello's extension block, itself at most
 * 2^16-1 bytes (RFC 9846 §4.1.2), with its key shares (1.3 KB with X25519MLKEM768), server
 * name, signature schemes and ticket: a list near the RFC's bound cannot be sent at all. Half
 * of it leaves the rest room (real lists take a few dozen bytes).
 */
export const MAX_ALPN_LIST_BYTES = 1 << 15;

/**
 * A copy of an ALPN protocol list, checked (RFC 7301 §3.1: each name 1..255 bytes; the whole
 * list at most {@link MAX_ALPN_LIST_BYTES}).
 * @throws TlsError('InvalidConfig') for a name out of range or not a string, or a list too long to send
 */
export function resolveAlpn(list: readonly string[]): string[] {
  if (!Array.isArray(list)) throw new TlsError('InvalidConfig', { detail: 'ALPNProtocols must be an array of strings' });
  const alpn = [...list];
  let total = 0;
  for (const p of alpn) {
    if (typeof p !== 'string') throw new TlsError('InvalidConfig', { detail: 'ALPNProtocols must be an array of strings' });
    const n = new TextEncoder().encode(p).length;
    if (n < 1 || n > 255) throw new TlsError('InvalidConfig', { detail: `ALPN protocol '${p}' must be 1..255 bytes` });
    total += 1 + n;
  }
  // RFC 7301 §3.1: ProtocolName protocol_name_list<2..2^16-1>, in a ClientHello that must fit too.
  if (total > MAX_ALPN_LIST_BYTES) {
    throw new TlsError('InvalidConfig', { detail: `ALPNProtocols: the list takes ${total} bytes, more than the ${MAX_ALPN_LIST_BYTES} a ClientHello has room for (RFC 7301 §3.1, RFC 9846 §4.1.2)` });
  }
  return alpn;
}

/**
 * Checks `ignorableCertificateErrors` (a fatal code is a configuration error) and returns the
 * codes to ignore: a copy taken before the check, so a list that changes while it is read (a
 * proxy, a custom iterator) cannot slip a fatal code past it.
 * @throws TlsError('InvalidConfig') for a value that is not an array, an unknown code, or a fatal one
 */
export function resolveIgnorable(o: { rejectUnauthorized?: boolean; ignorableCertificateErrors?: readonly CertificateErrorCode[] }): readonly CertificateErrorCode[] {
  const given: unknown = o.ignorableCertificateErrors ?? [];
  if (!Array.isArray(given)) throw new TlsError('InvalidConfig', { detail: 'ignorableCertificateErrors must be an array of certificate error codes' });
  const list: unknown[] = Array.prototype.slice.call(given);
  for (const c of list) {
    if (typeof c !== 'string' || !(ALL_CERTIFICATE_ERRORS as readonly string[]).includes(c)) {
      throw new TlsError('InvalidConfig', { detail: `ignorableCertificateErrors: unknown certificate error code '${String(c)}' (ignorable codes: ${IGNORABLE_CERTIFICATE_ERRORS.join(', ')})` });
    }
    if (!(IGNORABLE_CERTIFICATE_ERRORS as readonly string[]).includes(c)) {
      throw new TlsError('InvalidConfig', { detail: `certificate error '${c}' is fatal and cannot be ignored` });
    }
  }
  // Checked first: a fatal code next to rejectUnauthorized: false is still a configuration error.
  if (o.rejectUnauthorized === false) return IGNORABLE_CERTIFICATE_ERRORS;
  return Object.freeze(list as CertificateErrorCode[]);
}


/**
 * A list of suites, groups or signature schemes (IANA names or code points) as code points.
 * Each code point is a 16-bit field on the wire (RFC 9846 §4.1.2 CipherSuite, §4.3.7
 * NamedGroup, §4.3.3 SignatureScheme): a number outside 0..65535 would be sent truncated.
 * @throws TlsError('InvalidConfig') for a value that is not an array, an item that is neither a
 *   name nor a 16-bit code point, or an unknown name
 */
export function resolveCodeList(kind: 'suite' | 'group' | 'scheme', option: string, v: unknown): number[] {
  if (!Array.isArray(v)) throw new TlsError('InvalidConfig', { detail: `${option} must be an array of names or code points` });
  const items: unknown[] = Array.prototype.slice.call(v);
  for (const it of items) {
    if (typeof it === 'string') continue;
    if (typeof it === 'number' && Number.isInteger(it) && it >= 0 && it <= 0xffff) continue;
    throw new TlsError('InvalidConfig', { detail: `${option}: ${typeof it === 'number' ? `${it} is not a 16-bit code point` : `expected a name or a code point, got ${describeType(it)}`}` });
  }
  const codes = resolveCodes(kind, items as (string | number)[]);
  // A code listed twice (by two names, or a name and its number): two key shares for one
  // group break RFC 9846 §4.3.8 ("MUST NOT offer multiple KeyShareEntry values for the same
  // group"; servers abort with illegal_parameter), and a list of thousands of copies cannot be
  // encoded. OpenSSL refuses duplicate groups too.
  const seen = new Set<number>();
  for (const c of codes) {
    if (seen.has(c)) throw new TlsError('InvalidConfig', { detail: `${option}: ${nameOf(kind, c)} is listed twice` });
    seen.add(c);
  }
  return codes;
}

/** What a value is, for an error detail (never the value itself: it may be a secret). */
function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function refuseUnlessType(o: object, name: string, ok: (v: unknown) => boolean, expected: string): void {
  const v = (o as Record<string, unknown>)[name];
  if (v !== undefined && !ok(v)) throw new TlsError('InvalidConfig', { detail: `${name} must be ${expected}, not ${describeType(v)}` });
}

const isFunction = (v: unknown): boolean => typeof v === 'function';
const isBoolean = (v: unknown): boolean => typeof v === 'boolean';
const isString = (v: unknown): boolean => typeof v === 'string';
const isBytes = (v: unknown): boolean => v instanceof Uint8Array;
const isCertSource = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array || (Array.isArray(v) && v.every((x) => typeof x === 'string' || x instanceof Uint8Array));

/** The options of both roles whose type a later use would not check: callbacks and switches. */
function checkCommonShapes(o: CommonOptions): void {
  if (typeof o !== 'object' || o === null) throw new TlsError('InvalidConfig', { detail: 'options must be an object' });
  // A callback of the wrong type would fail mid-handshake as an InternalError; refused here.
  for (const name of ['random', 'now', 'keyLog', 'trace'] as const) refuseUnlessType(o, name, isFunction, 'a function');
  // A switch given as 'false' (a string from an environment variable) would read as true.
  for (const name of ['requireExtendedMasterSecret', 'endOnTransportClose'] as const) refuseUnlessType(o, name, isBoolean, 'true or false');
}

/**
 * The client options whose type a later use would not check (callbacks, switches, the
 * passphrase, certificate sources), so that none of them is silently ignored, read the wrong
 * way (`rejectUnauthorized: 'false'`), or turned into an exception other than `TlsError`.
 * @throws TlsError('InvalidConfig') naming the option and the type it needs
 */
export function checkClientShapes(o: ClientOptions): void {
  checkCommonShapes(o);
  refuseUnlessType(o, 'checkServerIdentity', isFunction, 'a function');
  refuseUnlessType(o, 'verifier', isVerifier, 'an object with a verify(request) method');
  for (const name of ['rejectUnauthorized', 'requestOCSP', 'requireRevocationInformation', 'commonNameFallback', 'allowPskKe'] as const) refuseUnlessType(o, name, isBoolean, 'true or false');
  refuseUnlessType(o, 'passphrase', isString, 'a string');
  refuseUnlessType(o, 'ca', isCertSource, 'PEM text, DER bytes, or an array of them');
  refuseUnlessType(o, 'cert', isCertSource, 'PEM text, DER bytes, or an array of them');
  if (o.keyShareGroups !== undefined) resolveCodeList('group', 'keyShareGroups', o.keyShareGroups);
}

/**
 * The server options whose type a later use would not check; see {@link checkClientShapes}.
 * @throws TlsError('InvalidConfig') naming the option and the type it needs
 */
export function checkServerShapes(o: ServerOptions): void {
  checkCommonShapes(o);
  refuseUnlessType(o, 'verifier', isVerifier, 'an object with a verify(request) method');
  for (const name of ['rejectUnauthorized', 'requestCert', 'requireCert', 'allowPskKe'] as const) refuseUnlessType(o, name, isBoolean, 'true or false');
  refuseUnlessType(o, 'passphrase', isString, 'a string');
  refuseUnlessType(o, 'ca', isCertSource, 'PEM text, DER bytes, or an array of them');
  refuseUnlessType(o, 'cert', isCertSource, 'PEM text, DER bytes, or an array of them');
  const list: unknown = o.certificates;
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new TlsError('InvalidConfig', { detail: `certificates must be an array of { cert, key }, not ${describeType(list)}` });
  list.forEach((c: unknown, i) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new TlsError('InvalidConfig', { detail: `certificates[${i}] must be an object { cert, key }, not ${describeType(c)}` });
    const where = (what: string): string => `certificates[${i}].${what}`;
    const e = c as Record<string, unknown>;
    if (e.cert === undefined || e.key === undefined) throw new TlsError('InvalidConfig', { detail: `certificates[${i}] needs both cert and key` });
    if (!isCertSource(e.cert)) throw new TlsError('InvalidConfig', { detail: `${where('cert')} must be PEM text, DER bytes, or an array of them, not ${describeType(e.cert)}` });
    if (e.passphrase !== undefined && !isString(e.passphrase)) throw new TlsError('InvalidConfig', { detail: `${where('passphrase')} must be a string, not ${describeType(e.passphrase)}` });
    if (e.ocspResponse !== undefined && !isBytes(e.ocspResponse)) throw new TlsError('InvalidConfig', { detail: `${where('ocspResponse')} must be DER bytes, not ${describeType(e.ocspResponse)}` });
  });
}

/**
 * Checks a client's `servername` before it is sent as SNI and matched against the
 * certificate: RFC 6066 §3 has HostName hold "the fully qualified DNS hostname ... as a byte
 * string using ASCII encoding" (an internationalized name goes as its A-label, `xn--...`,
 * RFC 5890 §2.3.2.1), and a DNS name is at most 253 characters (RFC 1035 §2.3.4: 255 octets
 * in wire form; 254 with a trailing dot). IP literals pass (they are not sent as SNI). A name
 * with a control character, a space or a non-ASCII character, or a longer one, would be sent
 * only for the server to refuse it (or, past 2^16-1 bytes, not encode at all).
 * @throws TlsError('InvalidConfig') for a value that is not a string or not a possible host name
 */
export function checkServername(name: unknown): void {
  if (typeof name !== 'string') throw new TlsError('InvalidConfig', { detail: `servername must be a string, not ${describeType(name)}` });
  if (name.length > 254 || (name.length === 254 && !name.endsWith('.'))) {
    throw new TlsError('InvalidConfig', { detail: `servername is ${name.length} characters: a DNS name has at most 253 (RFC 1035 §2.3.4)` });
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      throw new TlsError('InvalidConfig', {
        detail: `servername: character ${c <= 0x20 || c === 0x7f ? `0x${c.toString(16).padStart(2, '0')}` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`} at offset ${i}: a host name is ASCII without spaces or control characters (RFC 6066 §3; an internationalized name goes as its xn-- A-label)`,
      });
    }
  }
}

/**
 * The per-connection client options whose type a later use would not check: a `session` that
 * is not a session (Node's `session` is the serialized Buffer; here it is what
 * `deserializeSession` returns) was ignored, and the connection made a full handshake without
 * a word; `retryEarlyData: 'no'` read as true.
 * @throws TlsError('InvalidConfig') naming the option
 */
export function checkConnectionShapes(per: { readonly session?: unknown; readonly retryEarlyData?: unknown }): void {
  refuseUnlessType(per, 'retryEarlyData', isBoolean, 'true or false');
  const s = per.session;
  if (s === undefined) return;
  const version = typeof s === 'object' && s !== null ? (s as { version?: unknown }).version : undefined;
  if (version === 'TLSv1.3' || version === 'TLSv1.2') return;
  throw new TlsError('InvalidConfig', {
    detail: `session must be a session from onSession or deserializeSession(bytes, key), not ${describeType(s)}${s instanceof Uint8Array ? ' (serialized: pass deserializeSession(bytes, key))' : ''}`,
  });
}

function isVerifier(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { verify?: unknown }).verify === 'function';
}
