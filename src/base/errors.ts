/**
 * Errors: one class, {@link TlsError}, with a stable string `status` per failure kind.
 *
 * The status is the contract (callers switch on it, as on Windows' `SocketErrorStatus`);
 * `detail` is for humans and logs and may change between releases.
 * Alert descriptions are from RFC 9846 §6 (TLS 1.3) and RFC 5246 §7.2 (TLS 1.2).
 *
 * @module
 */

/** TLS alert descriptions (RFC 9846 §6). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  no_renegotiation: 100,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
/** An alert description code (a number 0..255; known ones are in {@link AlertDescription}). */
export type AlertDescription = number;

const ALERT_NAMES = new Map<number, string>(Object.entries(AlertDescription).map(([k, v]) => [v, k]));

/** The IANA name of an alert description, or `alert(0x..)` for an unknown one. */
export function alertName(code: number): string {
  return ALERT_NAMES.get(code) ?? `alert(0x${code.toString(16).padStart(2, '0')})`;
}

/**
 * Stable failure codes. Grouped by {@link TlsErrorCategory}:
 * - protocol: detected locally; a fatal alert was sent (see {@link DEFAULT_ALERT}).
 * - certificate: the peer's certificate was refused; the alert names the principal error.
 * - peer-alert: `AlertReceived` (the peer sent a fatal alert; `alert` holds it) and
 *   `Truncated` (the transport ended without close_notify).
 * - caller: API misuse or bad configuration. Identity files (src/identity/) have four of
 *   their own: `WrongPassphrase` (the passphrase does not open the file or key: a PKCS#12
 *   MAC that does not verify, a decryption whose padding or contents are wrong),
 *   `IdentityCorrupt` (the file is malformed before any password is involved),
 *   `IdentityAlgorithmUnavailable` (an encryption or MAC algorithm this build cannot run:
 *   the detail names it) and `IdentityWorkLimit` (a key-derivation cost above the bounds,
 *   which a hostile file could otherwise use to hang the process). None of them ever says
 *   anything about the key or the passphrase. `SessionRejected`: a serialized session
 *   (Node's `session` option) that is altered, foreign (another session key), of another
 *   format version, or not a session; it is never used. `StateRejected`: a live hand-off
 *   state (`TlsConnection.import`) that is malformed, corrupted, of another format version,
 *   or for another role; nothing of it is used.
 * - transport: adapters only: socket errors (`HostNotFound`, `ConnectionRefused`, ...), an HTTP
 *   CONNECT proxy that asks for credentials (`ProxyAuthenticationRequired`, its 407) or refuses
 *   the tunnel (`ProxyRefused`, with its status line), the private-network policy
 *   (`PrivateAddressRefused`), and `Unknown` (an error nothing recognises: fatal, do not retry).
 *
 * The README's "Error statuses" table lists every status with its category and whether a
 * retry can help (test/net/statuses.test.ts keeps the two in step).
 */
export type TlsStatus =
  // protocol
  | 'DecodeError'
  | 'UnexpectedMessage'
  | 'IllegalParameter'
  | 'HandshakeFailure'
  | 'ProtocolVersion'
  | 'BadRecordMac'
  | 'RecordOverflow'
  | 'DecryptError'
  | 'MissingExtension'
  | 'UnsupportedExtension'
  | 'NoApplicationProtocol'
  | 'InsufficientSecurity'
  | 'UnrecognizedName'
  | 'CertificateRequired'
  | 'InappropriateFallback'
  | 'NoRenegotiation'
  | 'InternalError'
  // certificate (one per certificate error code; the status names the principal error)
  | 'CertificateUntrusted'
  | 'CertificateExpired'
  | 'CertificateNotYetValid'
  | 'CertificateInvalidName'
  | 'CertificateIncompleteChain'
  | 'CertificateWrongUsage'
  | 'CertificateRevocationInformationMissing'
  | 'CertificateRevocationFailure'
  | 'CertificateInvalidSignature'
  | 'CertificateRevoked'
  | 'CertificateBasicConstraintsError'
  | 'CertificateUnknownCriticalExtension'
  | 'CertificateInvalidCertificateAuthorityPolicy'
  | 'CertificateOtherErrors'
  | 'CertificateUnsupported'
  // peer
  | 'AlertReceived'
  | 'Truncated'
  // caller
  | 'ApiMisuse'
  | 'InvalidConfig'
  | 'Closed'
  | 'WouldBlock'
  // caller: identities (PKCS#12, encrypted keys)
  | 'WrongPassphrase'
  | 'IdentityCorrupt'
  | 'IdentityAlgorithmUnavailable'
  | 'IdentityWorkLimit'
  // caller: a serialized session (src/session/serialize.ts) that is not ours to read
  | 'SessionRejected'
  // caller: a live hand-off state (src/engine/handoff.ts) that is not ours to continue
  | 'StateRejected'
  // transport
  | 'HostNotFound'
  | 'ConnectionRefused'
  | 'ConnectionReset'
  | 'TimedOut'
  | 'NetworkUnreachable'
  | 'TransportError'
  // transport: an HTTP CONNECT proxy (src/transport/proxy.ts) answered 407, or refused otherwise
  | 'ProxyAuthenticationRequired'
  | 'ProxyRefused'
  // transport: the opt-in private-network policy (src/transport/netpolicy.ts) refused the address dialled
  | 'PrivateAddressRefused'
  | 'Unknown';

/** Which family a {@link TlsStatus} belongs to. */
export type TlsErrorCategory = 'protocol' | 'certificate' | 'peer-alert' | 'caller' | 'transport';

/** The alert we send for each locally detected status (RFC 9846 §6.2). */
export const DEFAULT_ALERT: Readonly<Partial<Record<TlsStatus, number>>> = {
  DecodeError: AlertDescription.decode_error,
  UnexpectedMessage: AlertDescription.unexpected_message,
  IllegalParameter: AlertDescription.illegal_parameter,
  HandshakeFailure: AlertDescription.handshake_failure,
  ProtocolVersion: AlertDescription.protocol_version,
  BadRecordMac: AlertDescription.bad_record_mac,
  RecordOverflow: AlertDescription.record_overflow,
  DecryptError: AlertDescription.decrypt_error,
  MissingExtension: AlertDescription.missing_extension,
  UnsupportedExtension: AlertDescription.unsupported_extension,
  NoApplicationProtocol: AlertDescription.no_application_protocol,
  InsufficientSecurity: AlertDescription.insufficient_security,
  UnrecognizedName: AlertDescription.unrecognized_name,
  CertificateRequired: AlertDescription.certificate_required,
  InappropriateFallback: AlertDescription.inappropriate_fallback,
  NoRenegotiation: AlertDescription.no_renegotiation,
  InternalError: AlertDescription.internal_error,
  CertificateUntrusted: AlertDescription.unknown_ca,
  CertificateIncompleteChain: AlertDescription.unknown_ca,
  CertificateExpired: AlertDescription.certificate_expired,
  CertificateNotYetValid: AlertDescription.certificate_expired,
  CertificateInvalidName: AlertDescription.bad_certificate,
  CertificateWrongUsage: AlertDescription.unsupported_certificate,
  CertificateRevocationInformationMissing: AlertDescription.certificate_unknown,
  CertificateRevocationFailure: AlertDescription.bad_certificate_status_response,
  CertificateInvalidSignature: AlertDescription.bad_certificate,
  CertificateRevoked: AlertDescription.certificate_revoked,
  CertificateBasicConstraintsError: AlertDescription.bad_certificate,
  CertificateUnknownCriticalExtension: AlertDescription.unsupported_certificate,
  CertificateInvalidCertificateAuthorityPolicy: AlertDescription.bad_certificate,
  CertificateOtherErrors: AlertDescription.bad_certificate,
  CertificateUnsupported: AlertDescription.unsupported_certificate,
};

/** The status that a received fatal alert maps to is always `AlertReceived`; this is the reverse map for local errors. */
export function categoryOf(status: TlsStatus): TlsErrorCategory {
  if (status.startsWith('Certificate') && status !== 'CertificateRequired') return 'certificate';
  switch (status) {
    case 'AlertReceived':
    case 'Truncated':
      return 'peer-alert';
    case 'ApiMisuse':
    case 'InvalidConfig':
    case 'Closed':
    case 'WouldBlock':
    case 'WrongPassphrase':
    case 'IdentityCorrupt':
    case 'IdentityAlgorithmUnavailable':
    case 'IdentityWorkLimit':
    case 'SessionRejected':
    case 'StateRejected':
      return 'caller';
    case 'HostNotFound':
    case 'ConnectionRefused':
    case 'ConnectionReset':
    case 'TimedOut':
    case 'NetworkUnreachable':
    case 'TransportError':
    case 'ProxyAuthenticationRequired':
    case 'ProxyRefused':
    case 'PrivateAddressRefused':
    case 'Unknown':
      return 'transport';
    default:
      return 'protocol';
  }
}

/** Options for {@link TlsError}. */
export interface TlsErrorInit {
  /** Alert sent (local) or received (peer). Defaults to {@link DEFAULT_ALERT}[status]. */
  alert?: number | null;
  /** Human-readable, unstable detail (for example `'HrrSelectedOfferedGroup'`). */
  detail?: string;
  /** Underlying error. */
  cause?: unknown;
  /** Who detected it. Defaults from the category. */
  source?: 'local' | 'peer' | 'caller' | 'transport';
  /** Certificate errors found (filled by the verifier layer). */
  certificateErrors?: readonly CertificateErrorLike[];
}

/** The shape of a certificate error as carried on a {@link TlsError}. */
export interface CertificateErrorLike {
  readonly code: string;
  readonly index: number;
  readonly detail: string;
}

/**
 * The one error type puretls throws or reports.
 *
 * @example
 * ```ts
 * try { await socket.handshake(); } catch (e) {
 *   if (e instanceof TlsError && e.status === 'CertificateExpired') { ... }
 * }
 * ```
 */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  /** Stable failure code; never renamed. */
  readonly status: TlsStatus;
  /** Family of the status. */
  readonly category: TlsErrorCategory;
  /** Alert description sent (local failures) or received (`AlertReceived`); null if none. */
  readonly alert: number | null;
  /** Who detected the failure. */
  readonly source: 'local' | 'peer' | 'caller' | 'transport';
  /** Unstable human detail. */
  readonly detail: string | undefined;
  /** Certificate errors found while validating the peer (may be empty). */
  readonly certificateErrors: readonly CertificateErrorLike[];

  constructor(status: TlsStatus, init: TlsErrorInit = {}) {
    const category = categoryOf(status);
    const alert = init.alert !== undefined ? init.alert : (DEFAULT_ALERT[status] ?? null);
    const msg =
      status === 'AlertReceived'
        ? `peer sent fatal alert ${alertName(alert ?? 0)}${init.detail ? `: ${init.detail}` : ''}`
        : `${status}${init.detail ? `: ${init.detail}` : ''}`;
    super(msg, init.cause !== undefined ? { cause: init.cause } : undefined);
    this.status = status;
    this.category = category;
    this.alert = alert;
    this.detail = init.detail;
    this.certificateErrors = init.certificateErrors ?? [];
    this.source =
      init.source ??
      (category === 'peer-alert' ? 'peer' : category === 'caller' ? 'caller' : category === 'transport' ? 'transport' : 'local');
  }
}

/** Shorthand used throughout the core: `throw fail('DecodeError', 'ServerHello: trailing data')`. */
export function fail(status: TlsStatus, detail?: string, cause?: unknown): TlsError {
  return new TlsError(status, { detail, cause });
}

/**
 * The text of a thrown value of any kind, for an error's detail: an Error's message, else
 * `String(value)`. Never throws: a value without a string conversion (`Object.create(null)`),
 * or whose toString or message getter throws, gives its type instead.
 */
export function thrownText(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    return `a thrown ${e === null ? 'null' : typeof e} without a string form`;
  }
}

/**
 * A string property of a thrown value (`code`, `name`, `message`), or undefined; never throws
 * (a getter that throws, a revoked proxy).
 */
export function thrownField(e: unknown, key: string): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  try {
    const v = (e as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** True if `e` is a {@link TlsError}; false, never a throw, for a value on which even `instanceof` throws (a revoked proxy). */
export function isTlsError(e: unknown): e is TlsError {
  try {
    return e instanceof TlsError;
  } catch {
    return false;
  }
}

/**
 * Transport status of an error code as Node (`err.code`: `ECONNREFUSED`, `ENOTFOUND`, ...),
 * Bun (the same codes) and Deno (`err.code` since Deno 2, else the class name:
 * `ConnectionRefused`, `BrokenPipe`, ...) report it, and of the `DOMException` names
 * `TimeoutError` / `AbortError`.
 */
const TRANSPORT_CODES: Readonly<Record<string, TlsStatus>> = {
  // Node / Bun / libuv codes (also Deno 2's `code`)
  ECONNREFUSED: 'ConnectionRefused',
  ENOTFOUND: 'HostNotFound',
  EAI_AGAIN: 'HostNotFound',
  EAI_NONAME: 'HostNotFound',
  EAI_NODATA: 'HostNotFound',
  EAI_FAIL: 'HostNotFound',
  ECONNRESET: 'ConnectionReset',
  EPIPE: 'ConnectionReset',
  ECONNABORTED: 'ConnectionReset',
  ERR_STREAM_PREMATURE_CLOSE: 'ConnectionReset',
  ETIMEDOUT: 'TimedOut',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'TimedOut',
  ENETUNREACH: 'NetworkUnreachable',
  EHOSTUNREACH: 'NetworkUnreachable',
  ENETDOWN: 'NetworkUnreachable',
  EHOSTDOWN: 'NetworkUnreachable',
  EADDRNOTAVAIL: 'TransportError',
  // listening and resources (a server adapter's 'error')
  EADDRINUSE: 'TransportError',
  EACCES: 'TransportError',
  EPERM: 'TransportError',
  EMFILE: 'TransportError',
  ENFILE: 'TransportError',
  ENOBUFS: 'TransportError',
  // Node's argument checks, thrown synchronously by the runtime's socket calls
  ERR_SOCKET_BAD_PORT: 'InvalidConfig',
  ERR_INVALID_ARG_TYPE: 'InvalidConfig',
  ERR_INVALID_ARG_VALUE: 'InvalidConfig',
  ERR_INVALID_IP_ADDRESS: 'InvalidConfig',
  ERR_OUT_OF_RANGE: 'InvalidConfig',
  ERR_STREAM_DESTROYED: 'Closed',
  ERR_STREAM_WRITE_AFTER_END: 'Closed',
  ERR_SOCKET_CLOSED: 'Closed',
  ABORT_ERR: 'Closed',
  // Deno's error classes (`Deno.errors.*`), by name
  ConnectionRefused: 'ConnectionRefused',
  ConnectionReset: 'ConnectionReset',
  ConnectionAborted: 'ConnectionReset',
  BrokenPipe: 'ConnectionReset',
  UnexpectedEof: 'ConnectionReset',
  TimedOut: 'TimedOut',
  NetworkUnreachable: 'NetworkUnreachable',
  HostUnreachable: 'NetworkUnreachable',
  AddrNotAvailable: 'TransportError',
  NotConnected: 'ConnectionReset',
  BadResource: 'Closed',
  // DOMException names
  TimeoutError: 'TimedOut',
  AbortError: 'Closed',
};

/**
 * The transport status of a runtime's socket error code (see {@link getErrorStatus}), or
 * undefined for a code that names no transport failure.
 */
export function transportStatusOf(code: string): TlsStatus | undefined {
  return Object.prototype.hasOwnProperty.call(TRANSPORT_CODES, code) ? TRANSPORT_CODES[code] : undefined;
}

/** How deep {@link getErrorStatus} follows `cause` and `AggregateError.errors`. */
const MAX_ERROR_DEPTH = 8;

function statusAt(e: unknown, depth: number): TlsStatus | undefined {
  if (e instanceof TlsError) return e.status;
  if (typeof e !== 'object' || e === null || depth > MAX_ERROR_DEPTH) return undefined;
  const o = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  // A wrapper (undici's `TypeError('fetch failed')`, an AggregateError from Happy Eyeballs)
  // says less than what it wraps: a TlsError anywhere below wins over a wrapper's code.
  const inner = statusAt(o.cause, depth + 1);
  if (inner !== undefined && o.cause instanceof TlsError) return inner;
  if (typeof o.code === 'string') {
    const s = transportStatusOf(o.code);
    if (s !== undefined) return s;
  }
  if (typeof o.name === 'string' && o.name !== 'Error') {
    const s = transportStatusOf(o.name);
    if (s !== undefined) return s;
  }
  if (inner !== undefined) return inner;
  // Deno reports a failed name lookup with a generic class and this message.
  if (typeof (o as { message?: unknown }).message === 'string' && /failed to lookup address|Name or service not known|nodename nor servname/i.test((o as { message: string }).message)) return 'HostNotFound';
  if (Array.isArray(o.errors)) {
    for (const x of o.errors as unknown[]) {
      const s = statusAt(x, depth + 1);
      if (s !== undefined) return s;
    }
  }
  return undefined;
}

/**
 * The status of any error a puretls adapter throws or emits, the counterpart of Windows'
 * `SocketError.GetStatus`: a {@link TlsError}'s own `status`; for a plain runtime socket error
 * (Node's `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`, `EPIPE`, `ENOTFOUND`, ..., Deno's
 * `Deno.errors.ConnectionRefused`, ...) the transport status it means; for a wrapper (an
 * error whose `cause` is one, an `AggregateError`) the status of what it wraps. Anything
 * else is `'Unknown'`: treat it as fatal and do not retry.
 *
 * @example
 * ```ts
 * socket.on('error', (e) => {
 *   if (getErrorStatus(e) === 'ConnectionRefused') scheduleRetry();
 * });
 * ```
 */
export function getErrorStatus(err: unknown): TlsStatus {
  return statusAt(err, 0) ?? 'Unknown';
}
