/**
 * The handshake transcript hash (RFC 9846 §4.1; also TLS 1.2's `handshake_messages`,
 * RFC 5246 §7.4.9, and the extended master secret's `session_hash`, RFC 7627 §3).
 *
 * Messages are added whole, with their 4-byte handshake header and without record
 * headers. Until the cipher suite fixes the hash ({@link Transcript.setHash}) the raw
 * messages are buffered; from then on they are hashed incrementally and nothing is kept.
 *
 * HelloRetryRequest (RFC 9846 §4.1): ClientHello1 is replaced by the synthetic
 * `message_hash` message `fe 00 00 Hash.length ‖ Hash(ClientHello1)` before the HRR is
 * added. Call {@link Transcript.replaceWithMessageHash} when the HRR is sent or received,
 * before adding the HRR itself; a stateless server rebuilding from a cookie uses
 * {@link Transcript.restoreFromMessageHash} instead.
 *
 * Hashes at a point: {@link Transcript.current} at that point (the server's
 * CertificateVerify signs `current()` taken before adding CertificateVerify; its Finished
 * MACs `current()` taken before adding Finished), or {@link Transcript.currentWith} to
 * include bytes that are not (yet) part of the transcript, such as a ClientHello
 * truncated before its PSK binders (RFC 9846 §4.3.11.2).
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { CryptoProvider, HashAlg, HashState } from '../crypto/provider.js';
import { HASH_LEN } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';

/** Handshake type of the synthetic message that stands for ClientHello1 (RFC 9846 §4 `message_hash(254)`). */
export const MESSAGE_HASH_TYPE = 254;

/** The part of the crypto provider the transcript uses. */
export type TranscriptCrypto = Pick<CryptoProvider, 'hash'>;

function internal(detail: string): TlsError {
  return new TlsError('InternalError', { detail });
}

/**
 * Encodes the synthetic `message_hash` handshake message (RFC 9846 §4.1):
 * type 254, a 24-bit length of `Hash.length`, then `Hash(ClientHello1)`.
 *
 * @param clientHello1Hash - `Hash(ClientHello1)` under the negotiated hash.
 * @throws `TlsError('InternalError')` if the hash length does not fit `alg`.
 */
export function encodeMessageHash(alg: HashAlg, clientHello1Hash: Uint8Array): Uint8Array {
  const len = HASH_LEN[alg];
  if (len === undefined || clientHello1Hash.length !== len) {
    throw internal(`message_hash: Hash(ClientHello1) must be ${String(len)} bytes for ${String(alg)}`);
  }
  const out = new Uint8Array(4 + len);
  out[0] = MESSAGE_HASH_TYPE;
  out[1] = 0;
  out[2] = 0;
  out[3] = len;
  out.set(clientHello1Hash, 4);
  return out;
}

/**
 * A running transcript hash: what a TLS 1.3 client needs. {@link Transcript} adds the message
 * log TLS 1.2 signs and the operations only servers and tests use; a TLS 1.2 client continues
 * with one ({@link Transcript.continuing}), so `puretls/client` without its `tls12` module
 * carries neither (issue 9 item 5).
 *
 * Misuse (a second, different hash; `current()` before the hash is known; a second
 * message_hash replacement; replacing when the transcript does not hold exactly
 * ClientHello1) throws `TlsError('InternalError')`: these are bugs in the caller, the
 * protocol checks (e.g. "a second HelloRetryRequest is an unexpected_message") belong to
 * the state machine.
 */
export class TranscriptHash {
  protected readonly crypto: TranscriptCrypto;
  protected alg: HashAlg | null = null;
  protected state: HashState | null = null;
  /** Messages received before the hash was known. */
  protected pending: Uint8Array[] = [];
  protected count = 0;
  protected replaced = false;
  /**
   * `current()` since the last change: several secrets and MACs are taken at the same point
   * (the application traffic secrets, the exporter secret and a Finished over ..server
   * Finished), and each digest costs a copy of the hash state and its finalisation.
   */
  protected cached: Uint8Array | null = null;

  /** @param crypto - anything with `hash(alg)`; a full `CryptoProvider` will do. */
  constructor(crypto: TranscriptCrypto) {
    this.crypto = crypto;
  }

  /** The hash in use, or null before {@link setHash}. */
  get hashAlg(): HashAlg | null {
    return this.alg;
  }

  /** Number of handshake messages in the transcript (the message_hash counts as one). */
  get length(): number {
    return this.count;
  }

  /** True once ClientHello1 has been replaced by message_hash (an HRR happened). */
  get hasMessageHash(): boolean {
    return this.replaced;
  }

  /** The messages added before {@link setHash}, as held (copies; for {@link Transcript.continuing}). */
  get buffered(): readonly Uint8Array[] {
    return this.pending;
  }

  /**
   * Appends one complete handshake message (header included). The bytes are copied
   * (buffered) or hashed at once; the caller may reuse its buffer.
   */
  add(message: Uint8Array): void {
    if (!(message instanceof Uint8Array) || message.length < 4) {
      throw internal('Transcript.add: a handshake message has a 4-byte header at least');
    }
    this.cached = null;
    if (this.state) this.state.update(message);
    else this.pending.push(copyBytes(message));
    this.count++;
  }

  /**
   * Fixes the hash once the cipher suite is chosen (TLS 1.3: ServerHello or
   * HelloRetryRequest; TLS 1.2: the PRF hash) and hashes what was buffered.
   * Calling it again with the same hash does nothing (the client learns the suite from the
   * HRR and again from the ServerHello).
   *
   * @throws `TlsError('InternalError')` if a different hash was already set.
   */
  setHash(alg: HashAlg): void {
    if (this.alg !== null) {
      if (this.alg !== alg) throw internal(`Transcript.setHash: hash already ${this.alg}, cannot switch to ${alg}`);
      return;
    }
    if (HASH_LEN[alg] === undefined) throw internal(`Transcript.setHash: unknown hash ${String(alg)}`);
    const state = this.crypto.hash(alg);
    for (const m of this.pending) state.update(m);
    this.pending = [];
    this.alg = alg;
    this.state = state;
  }

  /**
   * `Hash(M1 ‖ … ‖ Mn)` over everything added so far. Does not disturb the running hash.
   *
   * @throws `TlsError('InternalError')` before {@link setHash}.
   */
  current(): Uint8Array {
    const state = this.requireState('current');
    // A copy each time: callers own what they get (and may wipe it).
    return copyBytes((this.cached ??= state.clone().digest()));
  }

  /**
   * The hash of the transcript followed by `extra` bytes, without adding them
   * (e.g. a ClientHello truncated before its binders, RFC 9846 §4.3.11.2).
   */
  currentWith(...extra: Uint8Array[]): Uint8Array {
    const s = this.requireState('currentWith').clone();
    for (const e of extra) s.update(e);
    return s.digest();
  }

  /**
   * Applies the HelloRetryRequest rule (RFC 9846 §4.1): the transcript, which must hold
   * exactly ClientHello1, becomes `message_hash(Hash(ClientHello1))`. Call it after
   * {@link setHash} (the HRR names the suite) and before adding the HRR.
   *
   * @throws `TlsError('InternalError')` before {@link setHash}, if the transcript does not hold
   *   exactly one message, or if it was already replaced.
   */
  replaceWithMessageHash(): void {
    const state = this.requireState('replaceWithMessageHash');
    if (this.replaced) throw internal('Transcript.replaceWithMessageHash: already applied (one HelloRetryRequest per handshake)');
    if (this.count !== 1) {
      throw internal(`Transcript.replaceWithMessageHash: the transcript must hold exactly ClientHello1, it holds ${this.count} messages`);
    }
    const ch1Hash = state.digest(); // finalises the old state, which is discarded
    this.restart(ch1Hash);
  }

  /** Starts again from `message_hash(ch1Hash)` (RFC 9846 §4.1). */
  protected restart(ch1Hash: Uint8Array): void {
    const alg = this.alg!;
    const synthetic = encodeMessageHash(alg, ch1Hash);
    this.cached = null;
    const state = this.crypto.hash(alg);
    state.update(synthetic);
    this.state = state;
    this.count = 1;
    this.replaced = true;
  }

  protected requireState(what: string): HashState {
    if (!this.state) throw internal(`Transcript.${what}: the hash is not chosen yet (call setHash first)`);
    return this.state;
  }
}

/**
 * A {@link TranscriptHash} that also keeps every message until told to forget them (what a
 * TLS 1.2 CertificateVerify signs), and can be cloned or restored from a message_hash. Servers
 * and TLS 1.2 clients use it.
 */
export class Transcript extends TranscriptHash {
  /** Every message as added, kept for TLS 1.2 CertificateVerify (RFC 5246 §7.4.8) until forgotten. */
  private log: Uint8Array[] | null = [];

  /**
   * A transcript that continues `hash`, which holds only messages buffered before its hash was
   * chosen (a TLS 1.2 client's ClientHello, RFC 5246 §7.4.9), with the message log from them on.
   *
   * @throws `TlsError('InternalError')` if `hash` has chosen its hash already.
   */
  static continuing(hash: TranscriptHash, crypto: TranscriptCrypto): Transcript {
    if (hash.hashAlg !== null) throw internal('Transcript.continuing: the hash is chosen already');
    const t = new Transcript(crypto);
    for (const m of hash.buffered) t.add(m);
    return t;
  }

  override add(message: Uint8Array): void {
    super.add(message);
    if (this.log !== null) this.log.push(this.state ? copyBytes(message) : this.pending[this.pending.length - 1]!);
  }

  /**
   * All messages added so far, concatenated: what a TLS 1.2 CertificateVerify signs
   * (RFC 5246 §7.4.8, `handshake_messages`).
   *
   * @throws `TlsError('InternalError')` after {@link forgetMessages}.
   */
  messages(): Uint8Array {
    if (this.log === null) throw internal('Transcript.messages: the message log was dropped');
    let n = 0;
    for (const m of this.log) n += m.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const m of this.log) {
      out.set(m, o);
      o += m.length;
    }
    return out;
  }

  /** Stops keeping the raw messages (TLS 1.3 never needs them; TLS 1.2 once CertificateVerify is done). */
  forgetMessages(): void {
    this.log = null;
  }

  /**
   * An independent copy: adding to one does not affect the other.
   * Before {@link setHash} the copy shares no buffers with this one either.
   */
  clone(): Transcript {
    const t = new Transcript(this.crypto);
    t.alg = this.alg;
    t.state = this.state ? this.state.clone() : null;
    t.pending = this.pending.slice();
    t.count = this.count;
    t.replaced = this.replaced;
    t.log = this.log ? this.log.slice() : null;
    return t;
  }

  /**
   * Starts an empty transcript from `message_hash(clientHello1Hash)`: for a server that
   * keeps Hash(ClientHello1) in an HRR cookie instead of keeping state (RFC 9846 §4.3.2).
   *
   * @throws `TlsError('InternalError')` before {@link setHash}, if messages were already added,
   *   or if the hash has the wrong length.
   */
  restoreFromMessageHash(clientHello1Hash: Uint8Array): void {
    this.requireState('restoreFromMessageHash');
    if (this.count !== 0) throw internal('Transcript.restoreFromMessageHash: the transcript must be empty');
    this.restart(clientHello1Hash);
  }

  protected override restart(ch1Hash: Uint8Array): void {
    super.restart(ch1Hash);
    this.log = null;
  }
}
