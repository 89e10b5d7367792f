/**
 * The TLS 1.3 key schedule (RFC 9846 §7): HKDF-Expand-Label, Derive-Secret, the
 * Early → Handshake → Main secret chain, traffic keys, Finished, KeyUpdate, exporters
 * and resumption PSKs.
 *
 * Two layers:
 * - free functions ({@link hkdfExpandLabel}, {@link deriveSecret}, {@link trafficKeys},
 *   {@link finishedVerifyData}, {@link nextTrafficSecret}, {@link exporter},
 *   {@link resumptionPsk}) that turn one secret into another;
 * - {@link KeySchedule}, which owns the chain of input secrets and refuses to be used out
 *   of order (RFC 9846 §7.1): each stage's secret is erased when the next stage is entered,
 *   and a call meant for another stage throws `TlsError('InternalError')`.
 *
 * Naming: RFC 9846 calls the third secret the "Main Secret" and its children
 * `exporter_secret` / `resumption_secret` (RFC 8446: master secret, exporter_master_secret,
 * resumption_master_secret). The labels on the wire are unchanged ("exp master",
 * "res master", ...): RFC 9846 §7.1, "The key derivation labels use the string "master"
 * even though the values are referred to as "main" secrets."
 *
 * Transcript hashes are passed in (see `handshake/transcript.ts`); nothing here keeps
 * handshake messages. All functions are synchronous (WebCrypto would cost a promise per step).
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { HASH_LEN } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';

/** The part of the crypto provider the key schedule uses. */
export type KeyScheduleCrypto = Pick<CryptoProvider, 'hash' | 'digest' | 'hmac' | 'hkdfExtract' | 'hkdfExpand' | 'equal'>;

/**
 * Hash functions of the TLS 1.3 cipher suites (RFC 9846 §B.4). Functions here accept any
 * `HashAlg` (suite tables carry that type) and throw `TlsError('InternalError')` at run time
 * for anything else, such as `'sha512'`.
 */
export type Tls13Hash = Extract<HashAlg, 'sha256' | 'sha384'>;

/** An AEAD write key and its static IV (RFC 9846 §7.3). */
export interface TrafficKeys {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** Which kind of PSK a binder key is for (RFC 9846 §7.1: "ext binder" / "res binder"). */
export type BinderKind = 'external' | 'resumption';

/** Longest label accepted by {@link hkdfExpandLabel}: `"tls13 " + Label` must fit `opaque label<7..255>`. */
export const MAX_LABEL_LENGTH = 255 - 6;

/** Longest context accepted by {@link hkdfExpandLabel} (`opaque context<0..255>`). */
export const MAX_CONTEXT_LENGTH = 255;

const LABEL_PREFIX = new Uint8Array([0x74, 0x6c, 0x73, 0x31, 0x33, 0x20]); // "tls13 "
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

/** True if `hash` is a TLS 1.3 cipher suite hash. */
export function isTls13Hash(hash: unknown): hash is Tls13Hash {
  return hash === 'sha256' || hash === 'sha384';
}

/** Output length of `hash`, refusing anything that is not a TLS 1.3 suite hash. */
function hashLength(hash: HashAlg): number {
  if (!isTls13Hash(hash)) throw internal(`TLS 1.3 key schedule: unsupported hash ${String(hash)}`);
  return HASH_LEN[hash];
}

/** The labels of RFC 9846 §7 that the handshake uses, encoded once (TextEncoder costs ~1 µs a call). */
const KNOWN_LABELS: ReadonlyMap<string, Uint8Array> = new Map(
  ['derived', 'ext binder', 'res binder', 'c e traffic', 'e exp master', 'c hs traffic', 's hs traffic', 'c ap traffic', 's ap traffic', 'exp master', 'res master', 'key', 'iv', 'finished', 'traffic upd', 'exporter', 'resumption'].map(
    (l) => [l, encoder.encode(l)] as const,
  ),
);

function labelBytes(label: string | Uint8Array): Uint8Array {
  return typeof label === 'string' ? (KNOWN_LABELS.get(label) ?? encoder.encode(label)) : label;
}

/**
 * Values that depend on nothing but the provider and the hash, computed once per pair:
 * `Hash("")`, and for a handshake without a PSK the Early Secret `HKDF-Extract(0, 0)` and
 * its `Derive-Secret(., "derived", "")` (RFC 9846 §7.1). Handed out as copies (the schedule
 * zeroes the secrets it holds).
 */
interface Constants {
  empty?: Uint8Array;
  early?: Uint8Array;
  earlyDerived?: Uint8Array;
}
const constants = new WeakMap<KeyScheduleCrypto, Partial<Record<Tls13Hash, Constants>>>();

function constantsOf(crypto: KeyScheduleCrypto, hash: Tls13Hash): Constants {
  let byHash = constants.get(crypto);
  if (!byHash) constants.set(crypto, (byHash = {}));
  return (byHash[hash] ??= {});
}

function checkSecret(hash: HashAlg, secret: Uint8Array, what: string): void {
  if (!(secret instanceof Uint8Array) || secret.length !== hashLength(hash)) {
    throw internal(`${what}: secret must be ${hashLength(hash)} bytes for ${hash}`);
  }
}

function checkTranscriptHash(hash: HashAlg, transcriptHash: Uint8Array, what: string): void {
  if (!(transcriptHash instanceof Uint8Array) || transcriptHash.length !== hashLength(hash)) {
    throw internal(`${what}: transcript hash must be ${hashLength(hash)} bytes for ${hash}`);
  }
}

/**
 * HKDF-Expand-Label (RFC 9846 §7.1):
 *
 * ```
 * HKDF-Expand-Label(Secret, Label, Context, Length) = HKDF-Expand(Secret, HkdfLabel, Length)
 * struct { uint16 length = Length; opaque label<7..255> = "tls13 " + Label; opaque context<0..255> = Context; } HkdfLabel;
 * ```
 *
 * @param crypto - hash/HKDF provider.
 * @param hash - the cipher suite hash.
 * @param secret - the PRK; must be `Hash.length` bytes (every TLS 1.3 secret is).
 * @param label - the label without the `"tls13 "` prefix, as a string (UTF-8, no NUL) or bytes; 1..249 bytes.
 * @param context - 0..255 bytes (often empty or a transcript hash).
 * @param length - output length, an integer in 0..255·Hash.length (RFC 5869 §2.3 bound; it also fits the uint16).
 * @returns `length` bytes.
 * @throws `TlsError('InternalError')` if any bound is violated.
 */
export function hkdfExpandLabel(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  secret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const hl = hashLength(hash);
  checkSecret(hash, secret, 'HKDF-Expand-Label');
  const l = labelBytes(label);
  if (l.length < 1 || l.length > MAX_LABEL_LENGTH) {
    throw internal(`HKDF-Expand-Label: label must be 1..${MAX_LABEL_LENGTH} bytes, got ${l.length}`);
  }
  if (!(context instanceof Uint8Array) || context.length > MAX_CONTEXT_LENGTH) {
    throw internal(`HKDF-Expand-Label: context must be 0..${MAX_CONTEXT_LENGTH} bytes`);
  }
  if (!Number.isInteger(length) || length < 0 || length > 255 * hl) {
    throw internal(`HKDF-Expand-Label: length must be an integer in 0..${255 * hl}, got ${length}`);
  }
  const fullLabelLength = LABEL_PREFIX.length + l.length;
  const info = new Uint8Array(2 + 1 + fullLabelLength + 1 + context.length);
  let o = 0;
  info[o++] = length >>> 8;
  info[o++] = length & 0xff;
  info[o++] = fullLabelLength;
  info.set(LABEL_PREFIX, o);
  o += LABEL_PREFIX.length;
  info.set(l, o);
  o += l.length;
  info[o++] = context.length;
  info.set(context, o);
  return crypto.hkdfExpand(hash, secret, info, length);
}

/**
 * Derive-Secret (RFC 9846 §7.1):
 * `HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)`.
 *
 * Takes the transcript hash, not the messages: pass `Transcript.current()` at the right
 * point, or {@link emptyHash} for `""` (Derive-Secret(., "derived", "") and the binder key).
 *
 * @throws `TlsError('InternalError')` if `transcriptHash` is not `Hash.length` bytes or the label is out of bounds.
 */
export function deriveSecret(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  secret: Uint8Array,
  label: string | Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  // The check's name is rendered only when it fails (a string per call otherwise, ~20 per handshake).
  if (!(transcriptHash instanceof Uint8Array) || transcriptHash.length !== hashLength(hash)) {
    checkTranscriptHash(hash, transcriptHash, `Derive-Secret("${typeof label === 'string' ? label : 'bytes'}")`);
  }
  return hkdfExpandLabel(crypto, hash, secret, label, transcriptHash, hashLength(hash));
}

/** `Hash("")`: the transcript hash of no messages (RFC 9846 §7.1, Derive-Secret with `""`). */
export function emptyHash(crypto: KeyScheduleCrypto, hash: HashAlg): Uint8Array {
  hashLength(hash);
  const c = constantsOf(crypto, hash as Tls13Hash);
  return copyBytes((c.empty ??= crypto.digest(hash, EMPTY)));
}

/**
 * Traffic keys for one direction (RFC 9846 §7.3):
 * `key = HKDF-Expand-Label(Secret, "key", "", key_length)`,
 * `iv = HKDF-Expand-Label(Secret, "iv", "", iv_length)`.
 *
 * @param secret - a traffic secret (early, handshake or application).
 * @param keyLength - AEAD key length (16 for AES-128-GCM, 32 for AES-256-GCM / ChaCha20-Poly1305).
 * @param ivLength - nonce length; 12 for every TLS 1.3 AEAD (RFC 9846 §5.3).
 */
export function trafficKeys(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  secret: Uint8Array,
  keyLength: number,
  ivLength = 12,
): TrafficKeys {
  if (!Number.isInteger(keyLength) || keyLength < 1) throw internal(`trafficKeys: bad key length ${keyLength}`);
  if (!Number.isInteger(ivLength) || ivLength < 8) throw internal(`trafficKeys: bad IV length ${ivLength}`);
  return {
    key: hkdfExpandLabel(crypto, hash, secret, 'key', EMPTY, keyLength),
    iv: hkdfExpandLabel(crypto, hash, secret, 'iv', EMPTY, ivLength),
  };
}

/**
 * `finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)` (RFC 9846 §4.5.3).
 *
 * The base key is the sender's handshake traffic secret (or, for post-handshake
 * authentication, its application traffic secret; for a PSK binder, the binder key:
 * RFC 9846 §4.3.11.2).
 */
export function finishedKey(crypto: KeyScheduleCrypto, hash: HashAlg, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(crypto, hash, baseKey, 'finished', EMPTY, hashLength(hash));
}

/**
 * `verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*, CertificateVerify*))`
 * (RFC 9846 §4.5.3). Also the PSK binder value (RFC 9846 §4.3.11.2) when `baseKey` is a binder key
 * and `transcriptHash` covers the truncated ClientHello.
 */
export function finishedVerifyData(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
): Uint8Array {
  checkTranscriptHash(hash, transcriptHash, 'Finished');
  const key = finishedKey(crypto, hash, baseKey);
  try {
    return crypto.hmac(hash, key, transcriptHash);
  } finally {
    key.fill(0);
  }
}

/**
 * Checks a received Finished (or PSK binder) in constant time (RFC 9846 §4.5.3). Returns
 * false on any mismatch, including a wrong length; the caller sends `decrypt_error`.
 */
export function verifyFinished(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
  received: Uint8Array,
): boolean {
  const expected = finishedVerifyData(crypto, hash, baseKey, transcriptHash);
  return crypto.equal(expected, received);
}

/**
 * The next application traffic secret after a KeyUpdate (RFC 9846 §7.2):
 * `application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length)`.
 * The caller should erase secret N and its keys afterwards.
 */
export function nextTrafficSecret(crypto: KeyScheduleCrypto, hash: HashAlg, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(crypto, hash, secret, 'traffic upd', EMPTY, hashLength(hash));
}

/**
 * TLS-Exporter (RFC 9846 §7.5; the RFC 5705 interface):
 *
 * ```
 * TLS-Exporter(label, context_value, key_length) =
 *     HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length)
 * ```
 *
 * No context and an empty context give the same value in TLS 1.3.
 *
 * @param exporterSecret - the `exporter_secret` ({@link KeySchedule.exporterSecret}) or, for
 *   0-RTT, the `early_exporter_secret`; never mix them up (RFC 9846 §7.5).
 * @param label - the exporter label (RFC 5705 §4), 1..249 bytes once UTF-8 encoded.
 * @param context - context value of any length, or null/undefined for none.
 * @param length - bytes wanted, 0..255·Hash.length.
 * @throws `TlsError('ApiMisuse')` for a label or length out of bounds (these come from the application).
 */
export function exporter(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  exporterSecret: Uint8Array,
  label: string | Uint8Array,
  context: Uint8Array | null | undefined,
  length: number,
): Uint8Array {
  const hl = hashLength(hash);
  const l = labelBytes(label);
  if (l.length < 1 || l.length > MAX_LABEL_LENGTH) {
    throw new TlsError('ApiMisuse', { detail: `exporter: label must be 1..${MAX_LABEL_LENGTH} bytes, got ${l.length}` });
  }
  if (!Number.isInteger(length) || length < 0 || length > 255 * hl) {
    throw new TlsError('ApiMisuse', { detail: `exporter: length must be an integer in 0..${255 * hl}, got ${length}` });
  }
  const derived = deriveSecret(crypto, hash, exporterSecret, l, emptyHash(crypto, hash));
  try {
    const contextHash = crypto.digest(hash, context ?? EMPTY);
    return hkdfExpandLabel(crypto, hash, derived, 'exporter', contextHash, length);
  } finally {
    derived.fill(0);
  }
}

/**
 * The PSK of a NewSessionTicket (RFC 9846 §4.7.1):
 * `HKDF-Expand-Label(resumption_secret, "resumption", ticket_nonce, Hash.length)`.
 *
 * @param ticketNonce - the ticket's `ticket_nonce<0..255>`.
 */
export function resumptionPsk(
  crypto: KeyScheduleCrypto,
  hash: HashAlg,
  resumptionSecret: Uint8Array,
  ticketNonce: Uint8Array,
): Uint8Array {
  return hkdfExpandLabel(crypto, hash, resumptionSecret, 'resumption', ticketNonce, hashLength(hash));
}

/**
 * Where a {@link KeySchedule} stands. Each stage holds one input secret of RFC 9846 §7.1:
 * `'early'` the Early Secret, `'handshake'` the Handshake Secret, `'main'` the Main Secret;
 * `'erased'` holds nothing.
 */
export type KeyScheduleStage = 'early' | 'handshake' | 'main' | 'erased';

/**
 * The chain of TLS 1.3 input secrets (RFC 9846 §7.1), as a typestate:
 *
 * ```ts
 * const early = KeySchedule.start(crypto, 'sha256', psk ?? null);  // KeySchedule<'early'>
 * const hs = early.enterHandshake(ecdheSharedSecret);              // KeySchedule<'handshake'>
 * const cHs = hs.clientHandshakeTrafficSecret(transcript.current()); // ClientHello..ServerHello
 * const main = hs.enterMain();                                      // KeySchedule<'main'>
 * const cAp = main.clientApplicationTrafficSecret(hashThroughServerFinished);
 * ```
 *
 * The type parameter tracks the stage of the reference returned by the last transition;
 * the object itself is mutated (the previous stage's secret is zeroed: RFC 9846 §7.1, "that
 * secret SHOULD be erased"), so a stale reference that still compiles is refused at run
 * time with `TlsError('InternalError')`. Transitions happen once each, in order.
 *
 * Derived secrets are returned as fresh arrays owned by the caller.
 */
export class KeySchedule<S extends KeyScheduleStage = KeyScheduleStage> {
  /** The cipher suite hash. */
  readonly hash: Tls13Hash;
  /** `Hash.length` in bytes. */
  readonly hashLength: number;
  readonly #crypto: KeyScheduleCrypto;
  #stage: KeyScheduleStage;
  #secret: Uint8Array;

  /** True while the Early Secret is the no-PSK constant (its "derived" salt is then one too). */
  #noPsk: boolean;

  private constructor(crypto: KeyScheduleCrypto, hash: Tls13Hash, earlySecret: Uint8Array, noPsk: boolean) {
    this.#crypto = crypto;
    this.#noPsk = noPsk;
    this.hash = hash;
    this.hashLength = hashLength(hash);
    this.#stage = 'early';
    this.#secret = earlySecret;
  }

  /**
   * Computes the Early Secret, `HKDF-Extract(0, PSK)`, with the zero string of
   * `Hash.length` bytes standing for "no PSK" (RFC 9846 §7.1).
   *
   * @param psk - the PSK (external, or from {@link resumptionPsk}); null when no PSK is in use.
   * @throws `TlsError('InternalError')` for an unsupported hash or an empty PSK (use null).
   */
  static start(crypto: KeyScheduleCrypto, hash: HashAlg, psk: Uint8Array | null = null): KeySchedule<'early'> {
    if (!isTls13Hash(hash)) throw internal(`KeySchedule.start: unsupported hash ${String(hash)}`);
    const hl = hashLength(hash);
    if (psk !== null && (!(psk instanceof Uint8Array) || psk.length === 0)) {
      throw internal('KeySchedule.start: PSK must be a non-empty Uint8Array, or null for none');
    }
    const zeros = new Uint8Array(hl);
    if (psk !== null) return new KeySchedule<'early'>(crypto, hash, crypto.hkdfExtract(hash, zeros, psk), false);
    // No PSK: the same Early Secret in every handshake with this provider and hash.
    const c = constantsOf(crypto, hash);
    return new KeySchedule<'early'>(crypto, hash, copyBytes((c.early ??= crypto.hkdfExtract(hash, zeros, zeros))), true);
  }

  /** The current stage (see the class notes on stale references). */
  get stage(): S {
    return this.#stage as S;
  }

  /**
   * Narrows a schedule held under a wider type (e.g. `KeySchedule` in connection state) to
   * the stage it must be at.
   *
   * @throws `TlsError('InternalError')` if it is at another stage.
   */
  at<T extends KeyScheduleStage>(stage: T): KeySchedule<T> {
    this.#require([stage], `at('${stage}')`);
    return this as unknown as KeySchedule<T>;
  }

  /**
   * A copy of the current stage's input secret (Early, Handshake or Main Secret).
   * For tests and diagnostics only: these secrets never leave the key schedule on the wire,
   * and NSS key logs use traffic secrets, not these.
   */
  currentSecret(): Uint8Array {
    this.#require(['early', 'handshake', 'main'], 'currentSecret');
    return copyBytes(this.#secret);
  }

  // ---- Early Secret (RFC 9846 §7.1)

  /**
   * `binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "")`: the base key
   * of PSK binders (RFC 9846 §4.3.11.2; verify with {@link finishedVerifyData}).
   */
  binderKey(this: KeySchedule<'early'>, kind: BinderKind): Uint8Array {
    this.#require(['early'], 'binderKey');
    if (kind !== 'external' && kind !== 'resumption') throw internal(`binderKey: unknown kind ${String(kind)}`);
    return this.#derive(kind === 'external' ? 'ext binder' : 'res binder', emptyHash(this.#crypto, this.hash));
  }

  /** `client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello)` (0-RTT). */
  clientEarlyTrafficSecret(this: KeySchedule<'early'>, clientHelloHash: Uint8Array): Uint8Array {
    this.#require(['early'], 'clientEarlyTrafficSecret');
    return this.#derive('c e traffic', clientHelloHash);
  }

  /** `early_exporter_secret = Derive-Secret(Early Secret, "e exp master", ClientHello)`. */
  earlyExporterSecret(this: KeySchedule<'early'>, clientHelloHash: Uint8Array): Uint8Array {
    this.#require(['early'], 'earlyExporterSecret');
    return this.#derive('e exp master', clientHelloHash);
  }

  /**
   * Moves to the Handshake Secret:
   * `HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), shared secret)`.
   * Erases the Early Secret.
   *
   * @param sharedSecret - the (EC)DHE / KEM shared secret (RFC 9846 §7.4), or null in
   *   psk_ke mode (the zero string of `Hash.length` bytes is used).
   */
  enterHandshake(this: KeySchedule<'early'>, sharedSecret: Uint8Array | null): KeySchedule<'handshake'> {
    this.#require(['early'], 'enterHandshake');
    if (sharedSecret !== null && (!(sharedSecret instanceof Uint8Array) || sharedSecret.length === 0)) {
      throw internal('enterHandshake: shared secret must be a non-empty Uint8Array, or null for psk_ke');
    }
    this.#advance('handshake', sharedSecret ?? new Uint8Array(this.hashLength));
    return this as unknown as KeySchedule<'handshake'>;
  }

  // ---- Handshake Secret

  /** `client_handshake_traffic_secret = Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello)`. */
  clientHandshakeTrafficSecret(this: KeySchedule<'handshake'>, helloHash: Uint8Array): Uint8Array {
    this.#require(['handshake'], 'clientHandshakeTrafficSecret');
    return this.#derive('c hs traffic', helloHash);
  }

  /** `server_handshake_traffic_secret = Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello)`. */
  serverHandshakeTrafficSecret(this: KeySchedule<'handshake'>, helloHash: Uint8Array): Uint8Array {
    this.#require(['handshake'], 'serverHandshakeTrafficSecret');
    return this.#derive('s hs traffic', helloHash);
  }

  /**
   * Moves to the Main Secret (RFC 8446: master secret):
   * `HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0)`. Erases the Handshake Secret.
   */
  enterMain(this: KeySchedule<'handshake'>): KeySchedule<'main'> {
    this.#require(['handshake'], 'enterMain');
    this.#advance('main', new Uint8Array(this.hashLength));
    return this as unknown as KeySchedule<'main'>;
  }

  // ---- Main Secret

  /** `client_application_traffic_secret_0 = Derive-Secret(Main Secret, "c ap traffic", ClientHello...server Finished)`. */
  clientApplicationTrafficSecret(this: KeySchedule<'main'>, serverFinishedHash: Uint8Array): Uint8Array {
    this.#require(['main'], 'clientApplicationTrafficSecret');
    return this.#derive('c ap traffic', serverFinishedHash);
  }

  /** `server_application_traffic_secret_0 = Derive-Secret(Main Secret, "s ap traffic", ClientHello...server Finished)`. */
  serverApplicationTrafficSecret(this: KeySchedule<'main'>, serverFinishedHash: Uint8Array): Uint8Array {
    this.#require(['main'], 'serverApplicationTrafficSecret');
    return this.#derive('s ap traffic', serverFinishedHash);
  }

  /**
   * `exporter_secret = Derive-Secret(Main Secret, "exp master", ClientHello...server Finished)`
   * (RFC 8446: exporter_master_secret). Feed it to {@link exporter}.
   */
  exporterSecret(this: KeySchedule<'main'>, serverFinishedHash: Uint8Array): Uint8Array {
    this.#require(['main'], 'exporterSecret');
    return this.#derive('exp master', serverFinishedHash);
  }

  /**
   * `resumption_secret = Derive-Secret(Main Secret, "res master", ClientHello...client Finished)`
   * (RFC 8446: resumption_master_secret). Feed it to {@link resumptionPsk}.
   */
  resumptionSecret(this: KeySchedule<'main'>, clientFinishedHash: Uint8Array): Uint8Array {
    this.#require(['main'], 'resumptionSecret');
    return this.#derive('res master', clientFinishedHash);
  }

  /** Zeroes the current secret; every later call throws `TlsError('InternalError')`. Idempotent. */
  erase(): KeySchedule<'erased'> {
    this.#secret.fill(0);
    this.#secret = EMPTY;
    this.#stage = 'erased';
    return this as unknown as KeySchedule<'erased'>;
  }

  #require(stages: readonly KeyScheduleStage[], what: string): void {
    if (!stages.includes(this.#stage)) {
      throw internal(`KeySchedule.${what} needs stage ${stages.join('|')}, but the schedule is at '${this.#stage}'`);
    }
  }

  #derive(label: string, transcriptHash: Uint8Array): Uint8Array {
    return deriveSecret(this.#crypto, this.hash, this.#secret, label, transcriptHash);
  }

  #advance(next: KeyScheduleStage, ikm: Uint8Array): void {
    let salt: Uint8Array;
    if (this.#stage === 'early' && this.#noPsk) {
      const c = constantsOf(this.#crypto, this.hash);
      salt = copyBytes((c.earlyDerived ??= this.#derive('derived', emptyHash(this.#crypto, this.hash))));
    } else salt = this.#derive('derived', emptyHash(this.#crypto, this.hash));
    this.#noPsk = false;
    const nextSecret = this.#crypto.hkdfExtract(this.hash, salt, ikm);
    salt.fill(0);
    this.#secret.fill(0);
    this.#secret = nextSecret;
    this.#stage = next;
  }
}
