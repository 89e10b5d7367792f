/**
 * Record protection for one direction of a connection (Go's `halfConn`): the AEAD,
 * its key and IV, the 64-bit sequence number, and the per-version nonce and
 * additional-data constructions.
 *
 * - `'tls13'`: RFC 9846 §5.2 (TLSInnerPlaintext, AAD = record header), §5.3 (nonce =
 *   iv XOR padded sequence number), §5.4 (padding), §5.5 (key usage limits).
 * - `'tls12-gcm'`: RFC 5246 §6.2.3.3 + RFC 5288 §3: nonce = 4-byte salt ‖ 8-byte
 *   explicit nonce carried at the start of the fragment (we send the sequence number,
 *   which is distinct for every record as RFC 5288 §3 requires); AAD = seq ‖ type ‖
 *   version ‖ plaintext length.
 * - `'tls12-chacha'`: RFC 7905 §2: nonce = 12-byte iv XOR padded sequence number (as in
 *   TLS 1.3), no explicit nonce; AAD as for TLS 1.2 GCM.
 *
 * The connection holds one {@link Protector} per direction: a {@link NullProtector}
 * for the initial epoch, then a {@link RecordProtector} per key (a key change is a new
 * protector, so the sequence number starts again at 0: RFC 9846 §5.3);
 * {@link tls13Protector} builds one from a TLS 1.3 traffic secret.
 *
 * Copies per record: sealing copies the content once, into the record buffer after the
 * header (where TLS 1.3 appends the type and padding), and an {@link InPlaceAead} (every
 * AEAD of the pure provider) encrypts it there and writes the tag after it. Opening with
 * `consume` (what the record reader does with the deframer's bytes) decrypts the fragment
 * where it lies and returns a view of it: no copy. A provider AEAD without the in-place
 * operations costs one more copy each way (its `seal`/`open` output), except that a
 * {@link JoinedSealAead} (the native provider's) is handed the content where the caller has
 * it, with the record header as prefix and the TLS 1.3 type byte and padding as trailer,
 * and returns the whole record: one copy (its cipher's output into the record), no
 * zero-filled buffer.
 *
 * The record buffer is allocated so that the fragment after the 5-byte header starts at a
 * multiple of 4 in its ArrayBuffer, which lets AES-GCM XOR whole words.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { isInPlaceAead, isJoinedSealAead, type InPlaceAead, type JoinedSealAead } from '../crypto/aead.js';
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { trafficKeys, type KeyScheduleCrypto } from '../keys/tls13-schedule.js';
import { ContentType } from '../wire/codes.js';
import { poolRecordBuffer, usesPool } from './pool.js';
import {
  MAX_CIPHERTEXT_LEN_TLS12,
  MAX_CIPHERTEXT_LEN_TLS13,
  MAX_PLAINTEXT_LEN,
  RECORD_HEADER_LEN,
  RECORD_VERSION_TLS12,
  checkInnerArgs,
  decodeInnerPlaintext,
  writeInnerPlaintext,
  writeRecordHeader,
  type RecordContent,
  type TlsRecord,
} from '../wire/record.js';

/** AEAD tag length of every supported AEAD (RFC 5116 §5.1, RFC 8439 §2.8). */
export const AEAD_TAG_LEN = 16;

/** Per-record nonce length of every supported AEAD (RFC 9846 §5.3: max(8, N_MIN) = 12). */
export const AEAD_NONCE_LEN = 12;

/** Length of the explicit nonce in TLS 1.2 AES-GCM records (RFC 5288 §3). */
export const GCM_EXPLICIT_NONCE_LEN = 8;

/** Which nonce / additional-data construction a {@link RecordProtector} uses. */
export type ProtectionMode = 'tls13' | 'tls12-gcm' | 'tls12-chacha';

/** IV length each mode expects: the TLS 1.3 / RFC 7905 iv, or the RFC 5288 4-byte salt. */
export const IV_LEN: Readonly<Record<ProtectionMode, number>> = {
  tls13: 12,
  'tls12-gcm': 4,
  'tls12-chacha': 12,
};

/**
 * Key usage limits, counted in records under one key (= the sequence number, which
 * starts at 0 for every key: RFC 9846 §5.3). Values are integers or `Infinity`; the
 * 64-bit sequence space is always a limit on top of these.
 */
export interface KeyUsageLimits {
  /** From this many records on, {@link RecordProtector.needsKeyUpdate} is true. */
  readonly keyUpdateAt: number;
  /** Sealing the record with this index (and any later one) throws. */
  readonly sealLimit: number;
  /** Opening the record with this index (and any later one) throws. */
  readonly openLimit: number;
}

/**
 * Key usage limits for an AEAD (RFC 9846 §5.5).
 *
 * - AES-GCM: RFC 9846 §5.5 allows "up to 2^24.5 full-size records"; we stop sealing at
 *   2^24 (a conservative round figure) and ask for a KeyUpdate from 2^23, which leaves
 *   2^23 records of slack for records sealed between the check and the update.
 * - ChaCha20-Poly1305: "the record sequence number would wrap before the safety limit
 *   is reached"; we ask for a KeyUpdate from 2^60 and the sequence space is the hard stop.
 * - Opening is never limited by default: RFC 9846 §5.5, "Receiving implementations
 *   SHOULD NOT enforce these limits". `needsKeyUpdate` still turns true on the read side
 *   at `keyUpdateAt`, so the connection may send KeyUpdate with update_requested
 *   (RFC 9846 §4.7.3); pass a finite `openLimit` to a protector to enforce one anyway.
 */
export function limitsFor(alg: AeadAlg): KeyUsageLimits {
  switch (alg) {
    case 'AES-128-GCM':
    case 'AES-256-GCM':
      return GCM_LIMITS;
    case 'CHACHA20-POLY1305':
      return CHACHA_LIMITS;
  }
}

// Shared and frozen (memory, issue 9: not one object per protector per connection).
const GCM_LIMITS: KeyUsageLimits = Object.freeze({ keyUpdateAt: 2 ** 23, sealLimit: 2 ** 24, openLimit: Infinity });
const CHACHA_LIMITS: KeyUsageLimits = Object.freeze({ keyUpdateAt: 2 ** 60, sealLimit: Infinity, openLimit: Infinity });

/** One direction of record protection: what the connection calls for every record. */
export interface Protector {
  /** False for the initial (plaintext) epoch. */
  readonly encrypted: boolean;
  /**
   * Protects one record's worth of content (at most 2^14 bytes including padding) and
   * returns the complete record: header ‖ fragment, in one buffer.
   */
  seal(type: number, content: Uint8Array, padLen?: number): Uint8Array;
  /**
   * Deprotects one record (as returned by the deframer) and returns its real type and
   * content. With `consume`, the caller gives up the fragment's bytes: they may be
   * decrypted in place and the content returned as a view of them (no copy). A record
   * that fails authentication is left as it was either way.
   */
  open(record: TlsRecord, consume?: boolean): RecordContent;
  /**
   * As {@link open}, but a record that fails authentication returns null and leaves the
   * sequence number where it was (for skipping rejected 0-RTT data, RFC 9846 §4.3.10).
   */
  tryOpen(record: TlsRecord, consume?: boolean): RecordContent | null;
}

/** Options for {@link NullProtector}. */
export interface NullProtectorOptions {
  /** legacy_record_version to write; default 0x0303 (0x0301 for an initial ClientHello: RFC 9846 §5.1). */
  version?: number;
}

/**
 * The initial epoch: records are written and read as `TLSPlaintext` (RFC 9846 §5.1).
 *
 * Application data is refused both ways (RFC 9846 §5.1: "Application Data records MUST
 * NOT be written to the wire unprotected"); received, it is `UnexpectedMessage`. A
 * connection that must skip rejected early data (RFC 9846 §4.3.10) or drop the
 * compatibility ChangeCipherSpec does so before calling {@link open}.
 */
export class NullProtector implements Protector {
  readonly encrypted = false;
  /** legacy_record_version written by {@link seal}; the connection sets 0x0303 after the initial ClientHello. */
  version: number;

  constructor(options: NullProtectorOptions = {}) {
    this.version = options.version ?? RECORD_VERSION_TLS12;
  }

  /**
   * Frames `content` as a plaintext record.
   *
   * @throws TlsError `InternalError` for application data, padding, empty non-application
   * content or content over 2^14 bytes (all caller bugs).
   */
  seal(type: number, content: Uint8Array, padLen = 0): Uint8Array {
    if (type === ContentType.application_data) {
      throw new TlsError('InternalError', { detail: 'application data must not be sent unprotected' }); // RFC 9846 §5.1
    }
    if (padLen !== 0) throw new TlsError('InternalError', { detail: 'plaintext records cannot be padded' });
    checkContentLen(type, content.length, MAX_PLAINTEXT_LEN);
    const out = new Uint8Array(RECORD_HEADER_LEN + content.length);
    writeRecordHeader(out, 0, type, this.version, content.length);
    out.set(content, RECORD_HEADER_LEN);
    return out;
  }

  /**
   * Returns a plaintext record's content as-is (a view).
   *
   * @throws TlsError `RecordOverflow` (fragment over 2^14: RFC 9846 §5.1),
   * `UnexpectedMessage` (unprotected application data, or an empty non-application record).
   */
  open(record: TlsRecord): RecordContent {
    const { type, fragment } = record;
    // RFC 9846 §5.1: "The length MUST NOT exceed 2^14 bytes ... record_overflow".
    if (fragment.length > MAX_PLAINTEXT_LEN) {
      throw new TlsError('RecordOverflow', { detail: `plaintext record of ${fragment.length} bytes` });
    }
    // RFC 9846 §5.1: application data is always protected; §5: unexpected record type.
    if (type === ContentType.application_data) {
      throw new TlsError('UnexpectedMessage', { detail: 'unprotected application data record' });
    }
    // RFC 9846 §5.1 / §5.4 (also checked by the deframer).
    if (fragment.length === 0) {
      throw new TlsError('UnexpectedMessage', { detail: `zero-length record of content type ${type}` });
    }
    return { type, content: fragment };
  }

  /** Same as {@link open}: plaintext records do not fail authentication. */
  tryOpen(record: TlsRecord): RecordContent {
    return this.open(record);
  }
}

/** Options for {@link RecordProtector}. */
export interface RecordProtectorInit {
  /** Nonce / AAD construction. */
  mode: ProtectionMode;
  /** The keyed AEAD (write key for a sealing protector, peer's write key for an opening one). */
  aead: AeadCipher | AsyncAeadCipher;
  /** `write_iv` (12 bytes for 'tls13' and 'tls12-chacha') or the RFC 5288 salt (4 bytes for 'tls12-gcm'). */
  iv: Uint8Array;
  /** Key usage limits; default {@link limitsFor}(aead.alg). */
  limits?: KeyUsageLimits;
  /** Sequence number of the next record, for importing a live connection's state; default 0. */
  sequence?: bigint;
  /**
   * Largest content plus padding per record; default 2^14. Lower it for the peer's
   * record_size_limit (RFC 8449 §4: in TLS 1.3 the limit includes the type byte and
   * padding, so pass that limit minus 1).
   */
  maxPlaintextLen?: number;
}

const TWO32 = 0x1_0000_0000;

/** An empty trailer (never written). */
const NO_BYTES: Uint8Array = new Uint8Array(0);

/**
 * A TLS 1.3 protector for a traffic secret (Go's `halfConn.setTrafficSecret`): derives
 * `key = HKDF-Expand-Label(secret, "key", "", key_length)` and
 * `iv = HKDF-Expand-Label(secret, "iv", "", 12)` (RFC 9846 §7.3) and starts at
 * sequence number 0 (RFC 9846 §5.3). Call it again for every key change.
 */
export function tls13Protector(
  crypto: KeyScheduleCrypto & Pick<CryptoProvider, 'aead'>,
  suite: Tls13Suite,
  secret: Uint8Array,
  options: Pick<RecordProtectorInit, 'limits' | 'maxPlaintextLen'> = {},
): RecordProtector {
  const { key, iv } = trafficKeys(crypto, suite.hash, secret, suite.keyLen, AEAD_NONCE_LEN);
  return new RecordProtector({ ...options, mode: 'tls13', aead: crypto.aead(suite.aead, key), iv });
}

/**
 * One direction of AEAD record protection. See the module documentation for the
 * constructions; `mode` is the extension point between TLS versions.
 *
 * @example
 * ```ts
 * const w = new RecordProtector({ mode: 'tls13', aead: provider.aead('AES-128-GCM', key), iv });
 * const record = w.seal(ContentType.handshake, finishedMessage);
 * if (w.needsKeyUpdate) scheduleKeyUpdate();
 * ```
 */
export class RecordProtector implements Protector {
  readonly encrypted = true;
  /** The nonce / AAD construction. */
  readonly mode: ProtectionMode;
  /** Limits in force. */
  readonly limits: KeyUsageLimits;
  private readonly aead: AeadCipher | AsyncAeadCipher;
  /** The same AEAD when it works in place (no copy of the payload), else null. */
  private readonly inPlace: InPlaceAead | null;
  /** The same AEAD when it seals a record into a buffer of its own (no record buffer to fill first), else null. */
  private readonly joined: JoinedSealAead | null;
  // The IV as big-endian words (the 4-byte RFC 5288 salt is ivA alone): no buffer kept per direction.
  private readonly ivA: number;
  private readonly ivB: number;
  private readonly ivC: number;
  private readonly maxPlaintext: number;
  private readonly maxCiphertext: number;
  // The 64-bit sequence number as two uint32 halves (exact, and cheap to XOR into the nonce).
  private seqHi: number;
  private seqLo: number;
  /** Set once the sequence number 2^64-1 has been used: the next record would wrap. */
  private exhausted = false;
  /** An {@link openAsync} is in flight. */
  private opening = false;
  private readonly updateAt: readonly [number, number];
  private readonly sealAt: readonly [number, number];
  private readonly openAt: readonly [number, number];

  /** @throws TlsError `InternalError` for a wrong IV length or an out-of-range option. */
  constructor(init: RecordProtectorInit) {
    this.mode = init.mode;
    this.aead = init.aead;
    this.inPlace = init.aead.async !== true && isInPlaceAead(init.aead) ? init.aead : null;
    this.joined = this.inPlace === null && init.aead.async !== true && isJoinedSealAead(init.aead) ? init.aead : null;
    if (init.iv.length !== IV_LEN[init.mode]) {
      throw new TlsError('InternalError', { detail: `${init.mode} needs a ${IV_LEN[init.mode]}-byte IV, got ${init.iv.length}` });
    }
    const iv = init.iv;
    this.ivA = word(iv, 0);
    this.ivB = iv.length > 4 ? word(iv, 4) : 0;
    this.ivC = iv.length > 8 ? word(iv, 8) : 0;
    this.limits = init.limits ?? limitsFor(init.aead.alg);
    this.updateAt = split(this.limits.keyUpdateAt);
    this.sealAt = split(this.limits.sealLimit);
    this.openAt = split(this.limits.openLimit);
    this.maxPlaintext = init.maxPlaintextLen ?? MAX_PLAINTEXT_LEN;
    if (!Number.isInteger(this.maxPlaintext) || this.maxPlaintext < 1 || this.maxPlaintext > MAX_PLAINTEXT_LEN) {
      throw new TlsError('InternalError', { detail: `maxPlaintextLen ${this.maxPlaintext} out of range` });
    }
    this.maxCiphertext = init.mode === 'tls13' ? MAX_CIPHERTEXT_LEN_TLS13 : MAX_CIPHERTEXT_LEN_TLS12;
    const seq = init.sequence ?? 0n;
    if (seq < 0n || seq >= 1n << 64n) {
      throw new TlsError('InternalError', { detail: `sequence number ${seq} out of range` });
    }
    this.seqHi = Number(seq >> 32n);
    this.seqLo = Number(seq & 0xffffffffn);
  }

  /**
   * True if {@link open} always returns plaintext in memory of its own (a {@link JoinedSealAead},
   * the native provider's: node:crypto allocates its output), never a view of the record.
   */
  get opensApart(): boolean {
    return this.joined !== null;
  }

  /** The AEAD algorithm. */
  get alg(): AeadAlg {
    return this.aead.alg;
  }

  /** Sequence number of the next record (2^64 once the sequence space is used up). */
  get sequence(): bigint {
    return this.exhausted ? 1n << 64n : (BigInt(this.seqHi) << 32n) | BigInt(this.seqLo);
  }

  /**
   * True once this key has protected {@link KeyUsageLimits.keyUpdateAt} records (or the
   * sequence space is used up): the connection should send KeyUpdate (TLS 1.3, RFC
   * 9846 §4.7.3 / §5.5; with update_requested for a read-side protector) or close (TLS 1.2).
   */
  get needsKeyUpdate(): boolean {
    return this.exhausted || reached(this.seqHi, this.seqLo, this.updateAt);
  }

  /**
   * Protects one record and returns header ‖ fragment in one buffer.
   *
   * - 'tls13': fragment = AEAD(TLSInnerPlaintext = content ‖ type ‖ zeros[padLen]) under
   *   AAD = the record header (23, 0x0303, length) (RFC 9846 §5.2, §5.4).
   * - 'tls12-gcm': fragment = explicit nonce ‖ AEAD(content); 'tls12-chacha': AEAD(content);
   *   the header carries the real type (RFC 5246 §6.2.3.3). `padLen` must be 0.
   *
   * @throws TlsError `InternalError` when the key usage limit (not for an alert) or the
   * sequence space is exhausted (RFC 9846 §5.3: never wrap; §5.5), or for content too long, empty
   * handshake/alert content, or padding in TLS 1.2 (caller bugs).
   */
  seal(type: number, content: Uint8Array, padLen = 0): Uint8Array {
    const j = this.joined;
    if (j !== null) {
      // The AEAD writes header ‖ ciphertext ‖ tag into the record buffer (a reused one for a
      // large record, see pool.ts): the content is read where the caller has it, never
      // copied into a record buffer first.
      const f = this.frame(type, content, padLen, true, true);
      const total = f.out.length + f.len + AEAD_TAG_LEN;
      const into = usesPool(total) ? poolRecordBuffer(total) : undefined;
      const record = j.sealJoined(f.nonce, f.aad, f.out, content, f.trailer, into);
      if (record.length !== total || (into !== undefined && record !== into)) {
        throw new TlsError('InternalError', { detail: `AEAD record of ${record.length} bytes, expected ${total}` });
      }
      return record;
    }
    const f = this.frame(type, content, padLen, false, this.inPlace !== null);
    this.sealRegion(f.nonce, f.aad, f.out, f.at, f.len);
    return f.out;
  }

  /**
   * {@link seal} for an async AEAD (works with a sync one too): the sequence number is taken
   * now, so records sealed one after another keep their order whatever order the AEAD
   * finishes in; the record is complete when the promise resolves.
   */
  sealAsync(type: number, content: Uint8Array, padLen = 0): Promise<Uint8Array> {
    // A fresh nonce and AAD: an async AEAD reads them after this returns.
    const f = this.frame(type, content, padLen, false, false);
    const region = f.out.subarray(f.at, f.at + f.len + AEAD_TAG_LEN);
    return Promise.resolve(this.aead.seal(f.nonce, f.aad, region.subarray(0, f.len))).then((ct) => {
      if (ct.length !== region.length) throw new TlsError('InternalError', { detail: `AEAD output of ${ct.length} bytes, expected ${region.length}` });
      region.set(ct);
      return f.out;
    });
  }

  /** True if the AEAD is async: use {@link sealAsync} / {@link openAsync}. */
  get async(): boolean {
    return this.aead.async === true;
  }

  /**
   * Everything of sealing but the AEAD: checks, the record buffer with header and plaintext
   * in place, nonce and AAD; takes the sequence number. `joined` ({@link JoinedSealAead}):
   * `out` is only what goes before the ciphertext (header, TLS 1.2 GCM's explicit nonce)
   * and `trailer` what the AEAD encrypts after `content` (TLS 1.3: type and padding).
   * `scratch`: nonce, AAD and (joined) header in the shared scratch buffers (see SCRATCH_NONCE).
   */
  private frame(type: number, content: Uint8Array, padLen: number, joined: boolean, scratch: boolean): { out: Uint8Array; nonce: Uint8Array; aad: Uint8Array; at: number; len: number; trailer: Uint8Array } {
    // An alert may still go out at the usage limit (never past the sequence space): the
    // connection that reached it is ending, and this is how the peer learns why (a TLS 1.2
    // connection, which cannot rekey, would otherwise just stop). The limit is set below
    // the bound it keeps (AES-GCM: 2^24 of RFC 9846 §5.5's 2^24.5), so one more record is harmless.
    this.checkUsable(type === ContentType.alert ? NO_USAGE_LIMIT : this.sealAt, 'seal');
    let out: Uint8Array;
    let sealed: { nonce: Uint8Array; aad: Uint8Array; at: number; len: number; trailer: Uint8Array };
    if (this.mode === 'tls13') {
      checkInnerArgs(type, padLen);
      // RFC 9846 §5: a protected change_cipher_spec is an error; only these three types are ever protected.
      if (type !== ContentType.handshake && type !== ContentType.alert && type !== ContentType.application_data) {
        throw new TlsError('InternalError', { detail: `content type ${type} cannot be sent protected in TLS 1.3` });
      }
      // RFC 9846 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets".
      checkContentLen(type, content.length + padLen, this.maxPlaintext, content.length);
      const innerLen = content.length + 1 + padLen;
      const ctLen = innerLen + AEAD_TAG_LEN;
      let trailer = NO_BYTES;
      if (joined) {
        // Read by the AEAD during the call only (JoinedSealAead): the shared scratch header.
        out = SCRATCH_HEADER;
        // RFC 9846 §5.2, §5.4: TLSInnerPlaintext = content ‖ type ‖ zeros[padLen].
        if (padLen === 0) {
          trailer = innerTypeTrailer(type);
        } else {
          trailer = new Uint8Array(1 + padLen);
          trailer[0] = type;
        }
      } else {
        out = recordBuffer(RECORD_HEADER_LEN + ctLen);
        writeInnerPlaintext(out, RECORD_HEADER_LEN, content, type, padLen);
      }
      // RFC 9846 §5.2: opaque_type = application_data, legacy_record_version = 0x0303;
      // additional_data = the header itself.
      writeRecordHeader(out, 0, ContentType.application_data, RECORD_VERSION_TLS12, ctLen);
      sealed = { nonce: this.xorNonce(scratch), aad: joined ? out : out.subarray(0, RECORD_HEADER_LEN), at: RECORD_HEADER_LEN, len: innerLen, trailer };
    } else {
      if (padLen !== 0) throw new TlsError('InternalError', { detail: 'TLS 1.2 records cannot be padded' });
      checkContentLen(type, content.length, this.maxPlaintext);
      const explicit = this.mode === 'tls12-gcm' ? GCM_EXPLICIT_NONCE_LEN : 0;
      const ctLen = explicit + content.length + AEAD_TAG_LEN;
      out = joined ? new Uint8Array(RECORD_HEADER_LEN + explicit) : recordBuffer(RECORD_HEADER_LEN + ctLen, explicit);
      writeRecordHeader(out, 0, type, RECORD_VERSION_TLS12, ctLen);
      let nonce: Uint8Array;
      if (explicit > 0) {
        // RFC 5288 §3: nonce_explicit is carried in the record; the sequence number is a distinct value per record.
        writeSeq(out, RECORD_HEADER_LEN, this.seqHi, this.seqLo);
        nonce = this.saltNonce(out.subarray(RECORD_HEADER_LEN, RECORD_HEADER_LEN + explicit), scratch);
      } else {
        nonce = this.xorNonce(scratch); // RFC 7905 §2
      }
      const aad = this.tls12Aad(type, RECORD_VERSION_TLS12, content.length, scratch);
      if (!joined) out.set(content, RECORD_HEADER_LEN + explicit);
      sealed = { nonce, aad, at: RECORD_HEADER_LEN + explicit, len: content.length, trailer: NO_BYTES };
    }
    this.advance();
    return { out, ...sealed };
  }

  /**
   * Deprotects one record.
   *
   * @throws TlsError
   * - `UnexpectedMessage`: TLS 1.3 record whose outer type is not application_data
   *   (RFC 9846 §5.2; the compatibility ChangeCipherSpec must be dropped by the caller
   *   first, RFC 9846 §5), or a bad TLSInnerPlaintext (see `decodeInnerPlaintext`), or
   *   empty TLS 1.2 handshake/alert/ChangeCipherSpec content (RFC 5246 §6.2.1).
   * - `RecordOverflow`: fragment over 2^14 + 256 (TLS 1.3, RFC 9846 §5.2) or 2^14 + 2048
   *   (TLS 1.2, RFC 5246 §6.2.3), or deprotected content over the plaintext limit
   *   (RFC 9846 §5.2 / §5.4, RFC 5246 §6.2.3).
   * - `BadRecordMac`: authentication failed or the fragment is too short to hold a tag
   *   (RFC 9846 §5.2: "If the decryption fails, the receiver MUST terminate the
   *   connection with a bad_record_mac alert").
   * - `InternalError`: an enforced open limit or the sequence space is used up (RFC 9846 §5.3).
   */
  open(record: TlsRecord, consume = false): RecordContent {
    const u = this.unframe(record, this.inPlace !== null || this.joined !== null);
    return this.opened(u, this.openWith(u.nonce, u.aad, u.data, consume));
  }

  /**
   * {@link open} for an async AEAD (works with a sync one too). One at a time: the sequence
   * number advances when the record has opened, so the caller awaits each record before
   * opening the next (the record reader does).
   */
  async openAsync(record: TlsRecord): Promise<RecordContent> {
    if (this.opening) throw new TlsError('InternalError', { detail: 'records opened concurrently' });
    this.opening = true;
    try {
      const u = this.unframe(record, false);
      return this.opened(u, await this.aead.open(u.nonce, u.aad, u.data));
    } finally {
      this.opening = false;
    }
  }

  /** {@link tryOpen} for an async AEAD. */
  async tryOpenAsync(record: TlsRecord): Promise<RecordContent | null> {
    try {
      return await this.openAsync(record);
    } catch (e) {
      if (e instanceof TlsError && e.status === 'BadRecordMac') return null;
      throw e;
    }
  }

  /**
   * Everything of opening before the AEAD: checks, nonce, AAD (in the scratch buffers if
   * `scratch`), the ciphertext ‖ tag. `ahead`: the record's sequence number as [hi, lo]
   * when it is opened ahead of its turn (see {@link openAhead}, which checked the usage
   * limits for it); the next sequence number otherwise.
   */
  private unframe(record: TlsRecord, scratch: boolean, ahead?: readonly [number, number]): Unframed {
    const { type, version, fragment } = record;
    const hi = ahead === undefined ? this.seqHi : ahead[0];
    const lo = ahead === undefined ? this.seqLo : ahead[1];
    if (fragment.length > this.maxCiphertext) {
      throw new TlsError('RecordOverflow', { detail: `protected record of ${fragment.length} bytes` });
    }
    if (this.mode === 'tls13') {
      // RFC 9846 §5.2: "The outer opaque_type field of a TLSCiphertext record is always set to the value 23".
      if (type !== ContentType.application_data) {
        throw new TlsError('UnexpectedMessage', { detail: `unprotected record of content type ${type} after keys changed` });
      }
      if (ahead === undefined) this.checkUsable(this.openAt, 'open');
      if (fragment.length < AEAD_TAG_LEN + 1) throw badMac('record too short');
      const aad = scratch ? SCRATCH_AAD13 : new Uint8Array(RECORD_HEADER_LEN);
      writeRecordHeader(aad, 0, type, version, fragment.length);
      return { tls13: true, type, nonce: this.xorNonce(scratch, hi, lo), aad, data: fragment };
    }

    if (ahead === undefined) this.checkUsable(this.openAt, 'open');
    const explicit = this.mode === 'tls12-gcm' ? GCM_EXPLICIT_NONCE_LEN : 0;
    if (fragment.length < explicit + AEAD_TAG_LEN) throw badMac('record too short');
    const nonce = explicit > 0 ? this.saltNonce(fragment.subarray(0, explicit), scratch) : this.xorNonce(scratch, hi, lo);
    const ct = explicit > 0 ? fragment.subarray(explicit) : fragment;
    // RFC 5246 §6.2.3.3: additional_data = seq_num ‖ type ‖ version ‖ length (of the plaintext).
    const aad = this.tls12Aad(type, version, ct.length - AEAD_TAG_LEN, scratch, hi, lo);
    return { tls13: false, type, nonce, aad, data: ct };
  }

  /**
   * Starts opening `record` as the one `ahead` records after the next (ahead = 0: the next
   * record), without waiting for its turn and without changing any state: receive-side
   * pipelining of an async AEAD, whose every call has a large fixed latency (WebCrypto runs
   * each one as a thread-pool job), so several records in flight cost little more than one.
   *
   * The result is only a guess until {@link finishAhead} takes it in order: if the keys
   * change before then (a KeyUpdate, RFC 9846 §4.7.3, resets the sequence number to 0:
   * §5.3) it was opened with the wrong key or nonce and is dropped, and a failure (a bad
   * tag) counts only if the record's turn comes under this protector. Framing errors are
   * kept for that turn too.
   *
   * Returns null when this protector cannot guess: a synchronous AEAD (nothing to gain),
   * or a sequence number at or beyond the open limit or the end of the sequence space (the
   * in-order path reports those, RFC 9846 §5.3, §5.5).
   */
  openAhead(record: TlsRecord, ahead: number): OpenAhead | null {
    if (this.aead.async !== true || this.exhausted || !Number.isInteger(ahead) || ahead < 0 || ahead >= TWO32) return null;
    let lo = this.seqLo + ahead;
    let hi = this.seqHi;
    if (lo >= TWO32) {
      lo -= TWO32;
      // 2^64 or more: the sequence space ends before this record.
      if (hi === 0xffffffff) return null;
      hi++;
    }
    if (reached(hi, lo, this.openAt)) return null;
    const a = new OpenAhead(this, hi, lo);
    let frame: Unframed;
    try {
      frame = this.unframe(record, false, [hi, lo]);
    } catch (e) {
      a.fail(e);
      a.settled = true;
      return a;
    }
    a.frame = frame;
    // Never rejects: a failure is kept for the record's turn, and dropped with it if it never comes.
    let opening: Promise<Uint8Array | null>;
    try {
      opening = Promise.resolve(this.aead.open(frame.nonce, frame.aad, frame.data));
    } catch (e) {
      opening = Promise.reject(e);
    }
    a.done = opening.then(
      (pt) => {
        a.pt = pt;
        a.settled = true;
      },
      (e: unknown) => {
        a.fail(e);
        a.settled = true;
      },
    );
    return a;
  }

  /**
   * Takes a record opened ahead ({@link openAhead}) at its turn, once `a.done` has settled:
   * its content, exactly as {@link openAsync} would give it (same checks, same errors), and
   * the sequence number advances. Returns null, changing nothing, when the guess does not
   * hold: another protector made it, or the next sequence number is not the one it assumed
   * (the caller opens the record again in order).
   *
   * @throws TlsError as {@link open}, for this record, at its turn.
   */
  finishAhead(a: OpenAhead): RecordContent | null {
    if (a.protector !== this || a.seqHi !== this.seqHi || a.seqLo !== this.seqLo || this.exhausted) return null;
    // Still in flight (the caller did not wait): no verdict yet, so not a guess to take.
    if (!a.settled) return null;
    if (a.failed) throw a.failure;
    return this.opened(a.frame!, a.pt);
  }

  /** Everything of opening after the AEAD: the verdict, length checks, the sequence number, the content. */
  private opened(u: { tls13: boolean; type: number }, pt: Uint8Array | null): RecordContent {
    const type = u.type;
    if (u.tls13) {
      if (pt === null) throw badMac();
      // RFC 9846 §5.4: "the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets" (§5.2: record_overflow).
      if (pt.length > this.maxPlaintext + 1) {
        throw new TlsError('RecordOverflow', { detail: `TLSInnerPlaintext of ${pt.length} bytes` });
      }
      this.advance();
      return decodeInnerPlaintext(pt);
    }
    if (pt === null) throw badMac();
    // RFC 5246 §6.2.3: the plaintext of a record is at most 2^14 bytes; record_overflow otherwise.
    if (pt.length > this.maxPlaintext) {
      throw new TlsError('RecordOverflow', { detail: `decrypted record of ${pt.length} bytes` });
    }
    // RFC 5246 §6.2.1: no zero-length fragments of Handshake, Alert or ChangeCipherSpec.
    if (pt.length === 0 && type !== ContentType.application_data) {
      throw new TlsError('UnexpectedMessage', { detail: `zero-length record of content type ${type}` });
    }
    this.advance();
    return { type, content: pt };
  }

  /**
   * As {@link open}, but authentication failure returns null (the sequence number does not
   * advance); every other failure throws as {@link open} does.
   */
  tryOpen(record: TlsRecord, consume = false): RecordContent | null {
    try {
      return this.open(record, consume);
    } catch (e) {
      if (e instanceof TlsError && e.status === 'BadRecordMac') return null;
      throw e;
    }
  }

  /**
   * RFC 9846 §5.3 / RFC 7905 §2: iv XOR the sequence number (default: the next one),
   * left-padded to 12 bytes.
   */
  private xorNonce(scratch: boolean, hi = this.seqHi, lo = this.seqLo): Uint8Array {
    const n = scratch ? SCRATCH_NONCE : new Uint8Array(AEAD_NONCE_LEN);
    writeSeq(n, 0, this.ivA, this.ivB ^ hi);
    putWord(n, 8, this.ivC ^ lo);
    return n;
  }

  /** RFC 5288 §3: GCMNonce = salt (4 bytes, from the key block) ‖ nonce_explicit (8 bytes). */
  private saltNonce(explicit: Uint8Array, scratch: boolean): Uint8Array {
    const n = scratch ? SCRATCH_NONCE : new Uint8Array(AEAD_NONCE_LEN);
    putWord(n, 0, this.ivA);
    n.set(explicit, 4);
    return n;
  }

  /** RFC 5246 §6.2.3.3: seq_num(8) ‖ type(1) ‖ version(2) ‖ length(2). */
  private tls12Aad(type: number, version: number, length: number, scratch: boolean, hi = this.seqHi, lo = this.seqLo): Uint8Array {
    const aad = scratch ? SCRATCH_AAD12 : new Uint8Array(13);
    writeSeq(aad, 0, hi, lo);
    writeRecordHeader(aad, 8, type, version, length);
    return aad;
  }

  /**
   * Encrypts `out[at, at + len)` and leaves ciphertext ‖ tag at `out[at, at + len + 16)`:
   * in place when the AEAD can, else through its `seal` and one copy back.
   */
  private sealRegion(nonce: Uint8Array, aad: Uint8Array, out: Uint8Array, at: number, len: number): void {
    const region = out.subarray(at, at + len + AEAD_TAG_LEN);
    if (this.inPlace !== null) {
      this.inPlace.sealInPlace(nonce, aad, region);
      return;
    }
    const ct = this.syncAead().seal(nonce, aad, region.subarray(0, len));
    if (ct.length !== region.length) {
      throw new TlsError('InternalError', { detail: `AEAD output of ${ct.length} bytes, expected ${region.length}` });
    }
    region.set(ct);
  }

  /** Opens ciphertext ‖ tag: in place if the caller gave up the bytes and the AEAD can, else into a new buffer. */
  private openWith(nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, consume: boolean): Uint8Array | null {
    return consume && this.inPlace !== null ? this.inPlace.openInPlace(nonce, aad, data) : this.syncAead().open(nonce, aad, data);
  }

  /** The AEAD of the synchronous path (an async one goes through the async path). */
  private syncAead(): AeadCipher {
    if (this.aead.async === true) throw new TlsError('InternalError', { detail: `${this.aead.alg}: async AEAD used on the synchronous record path` });
    return this.aead;
  }

  private checkUsable(limit: readonly [number, number], op: 'seal' | 'open'): void {
    // RFC 9846 §5.3: "If a TLS implementation would need to wrap a sequence number, it
    // MUST either rekey or terminate the connection."
    if (this.exhausted) {
      throw new TlsError('InternalError', { detail: `sequence number exhausted (${op})` });
    }
    // RFC 9846 §5.5: rekey or close "prior to reaching these limits".
    if (reached(this.seqHi, this.seqLo, limit)) {
      throw new TlsError('InternalError', { detail: `key usage limit reached (${op}, ${this.aead.alg})` });
    }
  }

  private advance(): void {
    if (this.seqLo !== 0xffffffff) {
      this.seqLo++;
    } else if (this.seqHi !== 0xffffffff) {
      this.seqLo = 0;
      this.seqHi++;
    } else {
      this.exhausted = true; // 2^64-1 was the last usable sequence number
    }
  }
}

/** What opening needs from a record before the AEAD (see RecordProtector's `unframe`). */
interface Unframed {
  readonly tls13: boolean;
  readonly type: number;
  readonly nonce: Uint8Array;
  readonly aad: Uint8Array;
  readonly data: Uint8Array;
}

/**
 * A record whose AEAD open was started ahead of its turn by {@link RecordProtector.openAhead}:
 * which protector and sequence number it assumed, and, once {@link done} has settled, the
 * AEAD's verdict (plaintext, null for a bad tag) or the failure to report at its turn.
 */
export class OpenAhead {
  /** Settles (never rejects) once the AEAD has answered, or at once after a framing error. */
  done: Promise<void> = Promise.resolve();
  /** @internal */
  frame: Unframed | null = null;
  /** @internal */
  pt: Uint8Array | null = null;
  /** @internal */
  settled = false;
  /** @internal */
  failed = false;
  /** @internal */
  failure: unknown = undefined;

  /** The protector whose key and IV were used. */
  readonly protector: RecordProtector;
  /** The sequence number assumed, high and low 32 bits. */
  readonly seqHi: number;
  readonly seqLo: number;

  /** @internal */
  constructor(protector: RecordProtector, seqHi: number, seqLo: number) {
    this.protector = protector;
    this.seqHi = seqHi;
    this.seqLo = seqLo;
  }

  /** @internal */
  fail(e: unknown): void {
    this.failed = true;
    this.failure = e;
  }
}

/**
 * A record buffer of `len` bytes whose byte `RECORD_HEADER_LEN + skip` (the start of what the
 * AEAD encrypts) lies at a multiple of 4 in its ArrayBuffer.
 */
function recordBuffer(len: number, skip = 0): Uint8Array {
  const lead = (4 - ((RECORD_HEADER_LEN + skip) & 3)) & 3;
  // A large record goes into a reusable buffer (pool.ts); every byte of it is written before it is handed out.
  return usesPool(len) ? poolRecordBuffer(len, lead) : new Uint8Array(new ArrayBuffer(lead + len), lead, len);
}

/*
 * Scratch nonce, additional data and record header for the synchronous AEADs of this
 * package's providers ({@link InPlaceAead}, {@link JoinedSealAead}), which read them only
 * during the call: one set for the whole process instead of up to three small buffers per
 * record. A record is sealed or opened in one synchronous call that never re-enters the
 * record layer, so no two uses overlap. Never used with an async AEAD (it reads them
 * later) nor with another AEAD's plain `seal`/`open` (nothing says when it reads them).
 */
const SCRATCH_NONCE = new Uint8Array(AEAD_NONCE_LEN);
const SCRATCH_AAD13 = new Uint8Array(RECORD_HEADER_LEN);
const SCRATCH_AAD12 = new Uint8Array(13);
const SCRATCH_HEADER = new Uint8Array(RECORD_HEADER_LEN);

/** The TLS 1.3 trailer without padding (the inner content type), one per type, shared; only ever read. */
const INNER_TRAILERS = new Map<number, Uint8Array>();

function innerTypeTrailer(type: number): Uint8Array {
  let t = INNER_TRAILERS.get(type);
  if (t === undefined) {
    t = Uint8Array.of(type);
    INNER_TRAILERS.set(type, t);
  }
  return t;
}

function badMac(detail = 'record authentication failed'): TlsError {
  return new TlsError('BadRecordMac', { detail });
}

/** Sender-side length checks shared by both protectors. */
function checkContentLen(type: number, len: number, max: number, contentLen = len): void {
  if (len > max) {
    throw new TlsError('InternalError', { detail: `record content of ${len} bytes exceeds ${max}` });
  }
  // RFC 9846 §5.1 / §5.4, RFC 5246 §6.2.1: only application data may be empty.
  if (contentLen === 0 && type !== ContentType.application_data) {
    throw new TlsError('InternalError', { detail: `zero-length record of content type ${type}` });
  }
}

/** Big-endian 32-bit word at `at`. */
function word(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function putWord(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** Writes hi and lo as 8 big-endian bytes (the sequence number, or any two words). */
function writeSeq(out: Uint8Array, at: number, hi: number, lo: number): void {
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
}

/** A limit as [hi, lo] uint32 halves; anything at or beyond 2^64 never triggers. */
/** {@link split} results of the default limits, shared (memory: three pairs per protector otherwise). */
const SPLIT_SHARED = new Map<number, readonly [number, number]>();

function split(limit: number): readonly [number, number] {
  const shared = SPLIT_SHARED.get(limit);
  if (shared !== undefined) return shared;
  const r = splitLimit(limit);
  // Only the default limits' values are remembered: the map stays this small.
  if (limit === 2 ** 23 || limit === 2 ** 24 || limit === 2 ** 60 || limit === Infinity) SPLIT_SHARED.set(limit, Object.freeze(r));
  return r;
}

function splitLimit(limit: number): readonly [number, number] {
  if (Number.isNaN(limit) || limit < 0) {
    throw new TlsError('InternalError', { detail: `key usage limit ${limit} is invalid` });
  }
  if (limit >= 2 ** 64) return [Infinity, 0];
  const n = Math.floor(limit);
  const hi = Math.floor(n / TWO32);
  return [hi, n - hi * TWO32];
}

/** No usage limit, only the sequence space (see `frame`: alerts). */
const NO_USAGE_LIMIT: readonly [number, number] = Object.freeze([Infinity, 0] as const);

function reached(hi: number, lo: number, limit: readonly [number, number]): boolean {
  return hi > limit[0] || (hi === limit[0] && lo >= limit[1]);
}
