/**
 * The record layer, one object per direction (Go's `halfConn`): each holds its epoch
 * (the protector in force and, in TLS 1.3, the traffic secret it came from) and applies
 * the rules of RFC 9846 §5 and RFC 5246 §6.2 for that direction, so the connection only
 * routes what comes out.
 *
 * {@link RecordReader} (bytes in → records → content): deframing with bounded memory,
 * which content types each epoch accepts (plaintext vs protected), the TLS 1.3
 * middlebox-compatibility ChangeCipherSpec, the plaintext alert a TLS 1.3 client may send
 * before it has keys, skipping of rejected 0-RTT data, and — once TLS 1.2 is negotiated —
 * the record version of every record. With an async AEAD (WebCrypto), records are opened
 * ahead of their turn while application data flows and handed out strictly in order (see
 * {@link RecordReader.receive}).
 *
 * {@link RecordWriter} (content in → records → bytes out): handshake messages coalesced and
 * fragmented at the current epoch, application data, alerts, ChangeCipherSpec, the initial
 * ClientHello's record version, and the AEAD usage limit.
 *
 * @module
 */
import { concatBytes } from '../base/bytes.js';
import { TlsError } from '../base/errors.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { ContentType, nameOf } from '../wire/codes.js';
import { MAX_CIPHERTEXT_LEN_TLS12, MAX_PLAINTEXT_LEN, RECORD_HEADER_LEN, RECORD_VERSION_INITIAL, RECORD_VERSION_TLS12, writeRecordHeader } from '../wire/record.js';
import { Deframer } from './deframer.js';
import { fragment as fragmentData, packMessages } from './fragmenter.js';
import { NullProtector, RecordProtector, type OpenAhead, type Protector } from './protector.js';
import { isPoolSized, recycleRecordBuffer } from './pool.js';
import { andThen, isPromiseLike, type MaybePromise } from '../crypto/provider.js';
import type { RecordContent, TlsRecord } from '../wire/record.js';

/** Which record rules apply: before the version is known both hellos are plaintext and decoded alike. */
export type RecordVersionRules = 'undecided' | 'tls13' | 'tls12';

/** A TLS 1.3 epoch's traffic secret (for KeyUpdate, RFC 9846 §7.2). */
export interface TrafficEpoch {
  readonly suite: Tls13Suite;
  readonly secret: Uint8Array;
}

/** What the reader hands the connection: the real content type and the plaintext. */
export interface InboundRecord {
  readonly type: number;
  readonly content: Uint8Array;
}

/** Options for {@link RecordReader}. */
export interface RecordReaderOptions {
  readonly role: 'client' | 'server';
  /** Server: bytes of rejected 0-RTT data skipped before giving up (RFC 9846 §4.3.10). */
  readonly maxSkippedEarlyData: number;
  /** Reports events worth tracing (dropped compatibility CCS, skipped early data). */
  readonly trace?: (summary: string) => void;
}

/** Why the connection may drop a TLS 1.3 compatibility ChangeCipherSpec now. */
export interface CompatCcsWindow {
  /**
   * True between our first ClientHello (client) or the peer's (server) and the end of the
   * handshake, at a handshake-message boundary (RFC 9846 §5, Appendix D.4).
   */
  readonly open: boolean;
}

/**
 * Most records opened ahead of their turn with an async AEAD (see {@link RecordReader.receive}):
 * bounds the memory held beyond the deframer's one record (each at most a maximal record) and
 * the AEAD calls in flight.
 */
export const MAX_RECORDS_AHEAD = 8;

/** A record taken out of the deframer before its turn, with its open started ahead (or not). */
interface AheadRecord {
  readonly rec: TlsRecord;
  /** The open started ahead, or null: open it in order at its turn. */
  open: OpenAhead | null;
}

/** The inbound direction of the record layer. */
export class RecordReader {
  private readonly deframer = new Deframer();
  private readonly role: 'client' | 'server';
  private readonly maxSkipped: number;
  private readonly trace: ((summary: string) => void) | undefined;
  private protector: Protector = new NullProtector();
  private epoch_: TrafficEpoch | null = null;
  private rules: RecordVersionRules = 'undecided';
  /** A protected record from the peer has been opened. */
  private opened = false;
  private compatCcsSeen = false;
  /** The peer's compatibility CCS arrived while our read keys were installed (it has processed our ServerHello). */
  private compatCcsWhileKeyed = false;
  private skipEarly: 'none' | 'undecryptable' | 'app-data' = 'none';
  private skipped = 0;
  /** Drained pooled deframer buffers go back to the pool (see {@link install}). */
  private recycles = false;
  /**
   * Receive-side pipelining (async AEAD only): records taken out of the deframer before their
   * turn, oldest first, at most {@link MAX_RECORDS_AHEAD}. Empty with a sync AEAD.
   */
  private ahead: AheadRecord[] = [];
  /** The record {@link nextAsync} is handing out now (its place in the sequence is taken). */
  private inTurn: AheadRecord | null = null;
  /**
   * Open records ahead of their turn: true only after a record of application data was
   * handed out under the async read protection in force, and until any other result.
   */
  private pipelining = false;
  /** Bytes the records taken ahead may hold, in all (see {@link receive}'s `room`). */
  private aheadRoom = 0;

  constructor(options: RecordReaderOptions) {
    this.role = options.role;
    this.maxSkipped = options.maxSkippedEarlyData;
    this.trace = options.trace;
  }

  /**
   * Buffers ciphertext; returns how many bytes were taken: at most one record beyond what
   * was read, or, while records are opened ahead of their turn (below), that many more.
   * `transfer`: the caller gives `bytes` up (see {@link Deframer.push}).
   *
   * Receive-side pipelining: with an async AEAD (WebCrypto runs every call as a thread-pool
   * job, with a large fixed latency), once application data flows, complete records are
   * taken out of the deframer as they arrive and their opens started at once, each with its
   * own sequence number (at most {@link MAX_RECORDS_AHEAD} ahead); {@link nextAsync} hands
   * the results out strictly in order. A guess is only kept while it holds: any record that
   * is not application data (a KeyUpdate changes the key and resets the sequence number, RFC
   * 9846 §4.6.3, §5.3; an alert ends the connection) or a new read protection drops every
   * later guess, and those records are opened again, in order, under the keys then in force.
   * A failed guess (a bad tag) is reported only at its record's turn, never before, and not
   * at all if the connection ends first.
   *
   * `room`: bytes of plaintext the caller will still take before it stops reading (its read
   * high-water mark less what it holds unread): records are taken ahead only while their
   * ciphertext fits in it, so what is held stays within that mark plus the deframer's one
   * record. 0 (the default): none is taken ahead.
   */
  receive(bytes: Uint8Array, transfer = false, room = 0): number {
    this.aheadRoom = room;
    let n = this.deframer.push(bytes, transfer);
    // Each pass moves complete records into the queue, which makes room for more input.
    while (this.pipelining && n < bytes.length && this.fillAhead()) {
      const m = this.deframer.push(bytes.subarray(n), transfer);
      if (m === 0) break;
      n += m;
    }
    if (this.pipelining) this.fillAhead();
    return n;
  }

  /**
   * Takes a live hand-off's unprocessed input whole (what the exporter's {@link copyBuffered}
   * gave: records it had taken ahead of their turn, then at most one record's worth): the
   * complete records are queued, to be opened in order. Returns how many bytes were taken
   * (fewer only for input that is not of that shape).
   */
  restore(bytes: Uint8Array): number {
    let n = 0;
    for (;;) {
      n += this.deframer.push(n === 0 ? bytes : bytes.subarray(n));
      if (n >= bytes.length) return n;
      let rec: TlsRecord | null;
      try {
        rec = this.deframer.next();
      } catch {
        // A bad header (a hostile or corrupted state, or bytes the peer sent that the exporter
        // had not looked at yet): it stays at the deframer's head and fails the connection at
        // its turn, after the records before it, with the status the peer's bytes give
        // (RFC 9846 §5, §5.1). Nothing after it is ever read, so the rest is taken and dropped.
        return bytes.length;
      }
      if (rec === null) return n;
      // Bounded by the input (the hand-off decoder bounds it); opened in order, at most
      // MAX_RECORDS_AHEAD at once (fillAhead).
      this.ahead.push({ rec, open: null });
    }
  }

  /**
   * True if a whole record received is not handed out yet (taken ahead of its turn, or
   * complete in the deframer): the transport's end comes after it (see the connection's `end()`).
   */
  get holdsRecord(): boolean {
    return this.ahead.length !== 0 || this.deframer.holdsRecord;
  }

  /** Bytes of input buffer allocated (records opened ahead of their turn included). */
  get allocated(): number {
    let n = this.deframer.allocated;
    for (const e of this.ahead) n += e.rec.fragment.length;
    return n;
  }

  /** The TLS 1.3 epoch in force (null before keys, and in TLS 1.2). */
  get epoch(): TrafficEpoch | null {
    return this.epoch_;
  }

  /** Sequence number of the next record to open, or null without AEAD protection (live hand-off). */
  get sequence(): bigint | null {
    return this.protector instanceof RecordProtector ? this.protector.sequence : null;
  }

  /**
   * A copy of the ciphertext received but not yet handed out (live hand-off): records taken
   * ahead of their turn, as they arrived, then the deframer's bytes.
   */
  copyBuffered(): Uint8Array {
    const rest = this.deframer.copyBuffered();
    if (this.ahead.length === 0) return rest;
    const parts: Uint8Array[] = [];
    for (const { rec } of this.ahead) {
      const header = new Uint8Array(RECORD_HEADER_LEN);
      writeRecordHeader(header, 0, rec.type, rec.version, rec.fragment.length);
      parts.push(header, rec.fragment);
    }
    parts.push(rest);
    return concatBytes(parts);
  }

  /** True once any protection is installed. */
  get keyed(): boolean {
    return this.protector.encrypted;
  }

  /**
   * The version is settled. TLS 1.2: records may be 2^14 + 2048 long (RFC 5246 §6.2.3) and
   * every record must carry 0x0303 (RFC 5246 Appendix E.1, as Go and OpenSSL check). TLS
   * 1.3 leaves legacy_record_version unchecked (RFC 9846 §5.1: "MUST be ignored").
   */
  setVersion(rules: 'tls12' | 'tls13'): void {
    this.rules = rules;
    if (rules === 'tls12') {
      this.deframer.setMaxFragmentLen(MAX_CIPHERTEXT_LEN_TLS12);
      this.deframer.expectVersion(RECORD_VERSION_TLS12);
    }
  }

  /** Installs the next read protection (RFC 9846 §7.2; RFC 5246 §7.1 on ChangeCipherSpec). */
  install(protector: Protector, epoch: TrafficEpoch | null = null): void {
    this.protector = protector;
    this.epoch_ = epoch;
    // RFC 9846 §5.3: a new key starts at sequence number 0; records opened ahead under the
    // old one are opened again (in order, under this one: see receive()).
    this.rollBack();
    // Records opened into memory of their own leave nothing pointing into the deframer's
    // buffer: a record split across chunks may then be reassembled in a reused buffer.
    this.recycles = protector instanceof RecordProtector && protector.opensApart && !protector.async;
    this.deframer.setPooling(this.recycles);
  }

  /**
   * Consumes complete records without opening them (after the peer's close_notify, RFC 9846
   * §6.1: "Any data received after a closure alert has been received MUST be ignored").
   */
  discard(): void {
    this.dropAhead();
    try {
      while (this.deframer.next()) {
        /* ignored */
      }
    } catch {
      // A header that is not a record (unknown type, over the limit, ...): ignored too, with
      // everything after it (never read). A man in the middle injecting bytes after the
      // peer's close_notify cannot make us fail a connection whose other direction is open.
      this.deframer.dropAll();
    }
  }

  /** Server not accepting 0-RTT (RFC 9846 §4.3.10): what to skip, until 'none'. */
  skipEarlyData(mode: 'none' | 'undecryptable' | 'app-data'): void {
    this.skipEarly = mode;
    this.rollBack();
  }

  /**
   * The next record's real type and content, or null when more bytes are needed.
   * Records that are dropped by rule (a compatibility CCS, skipped early data) are consumed
   * and the next one is returned.
   *
   * @param ccs - whether a TLS 1.3 compatibility ChangeCipherSpec may be dropped now
   * @throws TlsError for a record the current epoch does not accept
   */
  next(ccs: CompatCcsWindow): InboundRecord | null {
    for (;;) {
      const rec = this.deframer.next();
      if (!rec) return null;
      const r = this.accept(rec, ccs);
      // A sync protector never answers later; an async one is read through nextAsync.
      if (isPromiseLike(r)) throw new TlsError('InternalError', { detail: 'async record protection read on the synchronous path' });
      const drained = this.deframer.takeDrained();
      // The record's buffer is reused only if what is returned is not a view of it (a
      // plaintext alert taken before the client encrypts is one).
      if (drained !== null && this.recycles && (r === null || r.content.buffer !== drained.buffer)) recycleRecordBuffer(drained);
      if (r) return r;
    }
  }

  /**
   * True while the read protection in force is async (an async AEAD): read with
   * {@link nextAsync}. A property of the epoch, not of each record: a sync provider's
   * records never cost a promise.
   */
  get async(): boolean {
    // Records taken ahead of their turn are handed out by nextAsync whatever protects the next ones.
    return (this.protector instanceof RecordProtector && this.protector.async) || this.ahead.length !== 0;
  }

  /**
   * {@link next} for an async read protection: records are handed out one at a time, in
   * order (each one's sequence number follows the last one's); while application data flows,
   * the records after it are being opened already (see {@link receive}).
   */
  async nextAsync(ccs: CompatCcsWindow): Promise<InboundRecord | null> {
    for (;;) {
      if (this.pipelining) this.fillAhead();
      let e = this.ahead.shift();
      if (e === undefined) {
        const rec = this.deframer.next();
        if (!rec) return null;
        e = { rec, open: null };
      }
      this.inTurn = e;
      let r: InboundRecord | null;
      try {
        r = await this.turn(e, ccs);
      } catch (err) {
        // Fatal (the connection fails with it): nothing after it is ever handed out.
        this.dropAhead();
        throw err;
      } finally {
        this.inTurn = null;
      }
      // What was handed out now lies in the caller's read buffer: that much less room.
      this.aheadRoom = Math.max(0, this.aheadRoom - e.rec.fragment.length);
      this.handedOut(r);
      if (r) return r;
    }
  }

  /** One record at its turn: the open started ahead if its guess holds, else opened now, in order. */
  private async turn(e: AheadRecord, ccs: CompatCcsWindow): Promise<InboundRecord | null> {
    const a = e.open;
    if (a !== null) {
      await a.done;
      const p = this.protector;
      // Only what the in-order path would do with this record: application_data on the
      // outside, opened with the protection in force (no 0-RTT skipping).
      const c = p instanceof RecordProtector && this.skipEarly === 'none' ? p.finishAhead(a) : null;
      if (c !== null) {
        // Its sequence number is used now: records taken ahead from here on are guessed from
        // the next one (not one further, as while this record still held it).
        this.inTurn = null;
        return this.rules === 'tls12' ? content12(c.type, c.content) : this.opened13(c);
      }
    }
    return this.accept(e.rec, ccs);
  }

  /**
   * After a record was handed out (or dropped, r = null): application data under an async
   * protection keeps (or starts) pipelining; anything else may change what protects the
   * records after it (a KeyUpdate, RFC 9846 §4.6.3; the end of the handshake or of early
   * data), so their guesses are dropped, and after a fatal alert or close_notify (RFC 9846
   * §6.1, §6.2: nothing after it is read) the records themselves.
   */
  private handedOut(r: InboundRecord | null): void {
    const p = this.protector;
    if (r !== null && r.type === ContentType.application_data && p instanceof RecordProtector && p.async && this.skipEarly === 'none') {
      this.pipelining = true;
      return;
    }
    if (r !== null && r.type === ContentType.alert && (r.content[0] === 2 || r.content[1] === 0)) this.dropAhead();
    else this.rollBack();
  }

  /** Stops pipelining and drops every guess; the records stay queued, to be opened in order. */
  private rollBack(): void {
    this.pipelining = false;
    for (const e of this.ahead) e.open = null;
  }

  /** Stops pipelining and forgets the records taken ahead (a guess still in flight settles into nothing). */
  private dropAhead(): void {
    this.pipelining = false;
    if (this.ahead.length !== 0) this.ahead = [];
  }

  /**
   * Starts opens ahead of their turn: again for queued records whose guess was dropped, then
   * for complete records still in the deframer, up to {@link MAX_RECORDS_AHEAD}. A record
   * that cannot be guessed (not application_data on the outside, or at the protector's
   * limits) ends the run: it is opened in order, and nothing after it is taken. Returns true
   * if the deframer was emptied of complete records with room left (more input may follow).
   */
  private fillAhead(): boolean {
    const p = this.protector;
    if (!(p instanceof RecordProtector) || !p.async) return false;
    // The record being handed out holds the next sequence number.
    const base = this.inTurn === null ? 0 : 1;
    const q = this.ahead;
    let held = this.inTurn === null ? 0 : this.inTurn.rec.fragment.length;
    for (let i = 0; i < q.length; i++) {
      const e = q[i]!;
      held += e.rec.fragment.length;
      // More queued than that only after a hand-off (restore): the rest wait for their turn.
      if (i >= MAX_RECORDS_AHEAD) return false;
      if (e.open !== null && e.open.protector === p) continue;
      e.open = e.rec.type === ContentType.application_data ? p.openAhead(e.rec, base + i) : null;
      if (e.open === null) return false;
    }
    // The next record is at most what the deframer holds: taken only if that fits the room.
    while (q.length < MAX_RECORDS_AHEAD && held + this.deframer.buffered <= this.aheadRoom) {
      let rec: TlsRecord | null;
      try {
        rec = this.deframer.next();
      } catch {
        // A bad header: reported in order, when the records before it have been handed out.
        return false;
      }
      if (rec === null) return true;
      const open = rec.type === ContentType.application_data ? p.openAhead(rec, base + q.length) : null;
      q.push({ rec, open });
      held += rec.fragment.length;
      if (open === null) return false;
    }
    return false;
  }

  private accept(rec: TlsRecord, ccs: CompatCcsWindow): MaybePromise<InboundRecord | null> {
    return this.rules === 'tls12' ? this.accept12(rec.type, rec.version, rec.fragment) : this.accept13(rec.type, rec.version, rec.fragment, ccs);
  }

  /**
   * Opens a protected record with the protection in force: in place with a sync AEAD (the
   * deframer's bytes are ours), later with an async one. `tryOnly`: a record that fails
   * authentication gives null.
   */
  private openRecord(rec: TlsRecord, tryOnly: boolean): MaybePromise<RecordContent | null> {
    const p = this.protector;
    if (p instanceof RecordProtector && p.async) return tryOnly ? p.tryOpenAsync(rec) : p.openAsync(rec);
    return tryOnly ? p.tryOpen(rec, true) : p.open(rec, true);
  }

  /** TLS 1.3 (and the hellos before the version is known). Returns null for a dropped record. */
  private accept13(outerType: number, version: number, fragment: Uint8Array, ccs: CompatCcsWindow): MaybePromise<InboundRecord | null> {
    // RFC 9846 §5 / Appendix D.4: an unprotected CCS of value 0x01 during the handshake is dropped, once.
    if (outerType === ContentType.change_cipher_spec) {
      if (fragment.length === 1 && fragment[0] === 1 && ccs.open && !this.compatCcsSeen) {
        this.compatCcsSeen = true;
        if (this.protector.encrypted) this.compatCcsWhileKeyed = true;
        this.trace?.('ChangeCipherSpec (ignored, middlebox compatibility)');
        return null;
      }
      throw new TlsError('UnexpectedMessage', { detail: 'ChangeCipherSpec not allowed here' });
    }
    if (this.protector.encrypted) {
      if (outerType === ContentType.alert && this.plaintextAlertAllowed(fragment)) {
        this.trace?.('plaintext alert (unauthenticated) before the client encrypted anything');
        return { type: outerType, content: fragment };
      }
      // RFC 9846 §5.2: once keys are in use every record is application_data on the outside.
      if (outerType !== ContentType.application_data) {
        throw new TlsError('UnexpectedMessage', { detail: `unprotected record of type ${nameOf('content', outerType)} where the peer must encrypt` });
      }
      const rec = { type: outerType, version, fragment };
      if (this.skipEarly === 'undecryptable') {
        // RFC 9846 §4.3.10: a server that rejects 0-RTT skips records that fail to open with
        // the handshake key (early data under a key it does not derive), up to a limit. A
        // protected record holds at least a tag and the inner type (RFC 9846 §5.2): anything
        // shorter is not early data, and would make skipping cheap for the peer and dear for us.
        if (fragment.length < 17) throw new TlsError('BadRecordMac', { detail: `protected record of ${fragment.length} bytes` });
        return andThen(this.openRecord(rec, true), (opened) => {
          if (opened === null) return this.skipEarlyRecord(fragment.length, 'BadRecordMac');
          this.skipEarly = 'none';
          return this.opened13(opened);
        });
      }
      return andThen(this.openRecord(rec, false), (opened) => this.opened13(opened!));
    }
    if (outerType === ContentType.application_data) {
      if (this.skipEarly === 'app-data') {
        // RFC 9846 §4.3.10: after a HelloRetryRequest the server skips application_data records.
        return this.skipEarlyRecord(fragment.length, 'UnexpectedMessage');
      }
      throw new TlsError('UnexpectedMessage', { detail: 'application data before the handshake keys' });
    }
    // RFC 9846 §5.1: a TLSPlaintext longer than 2^14 bytes → record_overflow.
    if (fragment.length > MAX_PLAINTEXT_LEN) throw new TlsError('RecordOverflow', { detail: `plaintext record of ${fragment.length} bytes` });
    return nonEmpty(outerType, fragment);
  }

  /** A TLS 1.3 record that opened. */
  private opened13(opened: RecordContent): InboundRecord {
    this.opened = true;
    // RFC 9846 §5: a ChangeCipherSpec inside a protected record → unexpected_message.
    if (opened.type === ContentType.change_cipher_spec) throw new TlsError('UnexpectedMessage', { detail: 'encrypted ChangeCipherSpec' });
    return nonEmpty(opened.type, opened.content);
  }

  /**
   * TLS 1.2 (RFC 5246 §6.2): real outer types, everything protected once the peer's
   * ChangeCipherSpec installed keys. ChangeCipherSpec itself is returned: only the
   * handshake state that expects it may accept it (RFC 5246 §7.1).
   */
  private accept12(outerType: number, version: number, fragment: Uint8Array): MaybePromise<InboundRecord> {
    if (this.protector.encrypted) {
      return andThen(this.openRecord({ type: outerType, version, fragment }, false), (opened) => content12(opened!.type, opened!.content));
    }
    if (fragment.length > MAX_PLAINTEXT_LEN) {
      // RFC 5246 §6.2.1: TLSPlaintext.length MUST NOT exceed 2^14.
      throw new TlsError('RecordOverflow', { detail: `plaintext record of ${fragment.length} bytes` });
    }
    return content12(outerType, fragment);
  }

  /**
   * May a plaintext alert be taken while read keys are installed? Only on a TLS 1.3 server,
   * only as a client's answer to our ServerHello: a client that cannot process it has no
   * handshake keys and must alert in the clear (RFC 9846 §6), as OpenSSL and rustls accept.
   * Once the client has shown it has the keys — any protected record opened, or its
   * middlebox-compatibility ChangeCipherSpec, which it sends only after processing our
   * ServerHello (RFC 9846 Appendix D.4) — it must encrypt, and a plaintext alert is an
   * injection (unexpected_message). A well-formed alert is exactly two bytes, level fatal.
   */
  private plaintextAlertAllowed(fragment: Uint8Array): boolean {
    return this.role === 'server' && !this.opened && !this.compatCcsWhileKeyed && fragment.length === 2 && fragment[0] === 2;
  }

  /** Skips one record of rejected 0-RTT data, failing once the budget is exceeded. */
  private skipEarlyRecord(length: number, status: 'BadRecordMac' | 'UnexpectedMessage'): null {
    // Counted with the record header, so many small records cost the peer as much as one large one.
    this.skipped += 5 + length;
    if (this.skipped > this.maxSkipped) {
      throw new TlsError(status, { detail: `more than ${this.maxSkipped} bytes of early data skipped (maxSkippedEarlyData)` });
    }
    this.trace?.(`early data record skipped (${length} bytes)`);
    return null;
  }
}

/** A TLS 1.2 record's content, opened or plaintext (RFC 5246 §6.2.1, §7.1). */
function content12(type: number, content: Uint8Array): InboundRecord {
  if (type === ContentType.change_cipher_spec) {
    // RFC 5246 §7.1: a single byte of value 1.
    if (content.length !== 1 || content[0] !== 1) throw new TlsError('DecodeError', { detail: 'ChangeCipherSpec must be the single byte 1' });
    return { type, content };
  }
  return nonEmpty(type, content);
}

/** RFC 9846 §5.1 / RFC 5246 §6.2.1: zero-length handshake and alert fragments are not allowed. */
function nonEmpty(type: number, content: Uint8Array): InboundRecord {
  if (content.length === 0 && type !== ContentType.application_data) {
    throw new TlsError('UnexpectedMessage', { detail: 'zero-length handshake or alert record' });
  }
  return { type, content };
}

/** Options for {@link RecordWriter}. */
export interface RecordWriterOptions {
  readonly role: 'client' | 'server';
  /** An async seal failed (the connection fails with it). */
  readonly onSealError?: (e: unknown) => void;
}

/** A record an async AEAD is still sealing: its place in the output is kept. */
interface SealingRecord {
  bytes: Uint8Array | null;
}

/** The outbound direction of the record layer. */
export class RecordWriter {
  private protector: Protector;
  private epoch_: TrafficEpoch | null = null;
  /** Sealed records in order; with an async AEAD, slots of records still being sealed. */
  private out: (Uint8Array | SealingRecord)[] = [];
  private pending: Uint8Array[] = [];
  private compatCcsSent = false;
  private inFlight = 0;
  /** Slots (async records) in `out`: 0 for a sync provider, whose take() stays as cheap as ever. */
  private slots = 0;
  private settledWaiters: (() => void)[] = [];
  private readonly onSealError: ((e: unknown) => void) | undefined;
  /**
   * An async seal failed: the record it was for and everything queued after it were dropped,
   * and nothing is sealed any more (see {@link sealRecord}).
   */
  private broken: { readonly cause: unknown } | null = null;
  /**
   * The records the latest {@link take} / {@link takeAll} handed out whose buffers can be
   * reused, until the next take (the pump takes until null after every flush, so nothing is
   * kept while idle).
   */
  private lent: Uint8Array[] | null = null;

  constructor(options: RecordWriterOptions) {
    this.onSealError = options.onSealError;
    // RFC 9846 §5.1: the first ClientHello may use 0x0301 as legacy_record_version ("for
    // compatibility"); everything after uses 0x0303.
    this.protector = new NullProtector({ version: options.role === 'client' ? RECORD_VERSION_INITIAL : RECORD_VERSION_TLS12 });
  }

  /** The TLS 1.3 epoch in force (null before keys, and in TLS 1.2). */
  get epoch(): TrafficEpoch | null {
    return this.epoch_;
  }

  /** True if records are waiting to be taken (sealed: a record still being sealed is not output yet). */
  get hasOutput(): boolean {
    const first = this.out[0];
    return first !== undefined && (first instanceof Uint8Array || first.bytes !== null);
  }

  /** Sequence number of the next record to seal, or null without AEAD protection (live hand-off). */
  get sequence(): bigint | null {
    return this.protector instanceof RecordProtector ? this.protector.sequence : null;
  }

  /** True when nothing is queued, being sealed or waiting to be taken (live hand-off). */
  get idle(): boolean {
    return this.out.length === 0 && this.pending.length === 0 && this.inFlight === 0;
  }

  /** True while an async AEAD is sealing records (see {@link settled}). */
  get sealing(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves once every record queued so far is sealed (at once when none is being sealed). */
  settled(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  /**
   * Seals one record at the current epoch and queues it: at once with a sync AEAD; with an
   * async one its slot is queued now (the sequence number is taken now) and filled later,
   * so records leave in the order they were sealed.
   */
  private sealRecord(type: number, content: Uint8Array): void {
    // After a failed seal the peer could open nothing more (RFC 9846 §5.3: its sequence number
    // is missing): nothing is sealed, not even our alert (the connection has failed).
    if (this.broken) throw new TlsError('InternalError', { detail: 'an earlier record failed to seal', cause: this.broken.cause });
    const p = this.protector;
    if (!(p instanceof RecordProtector && p.async)) {
      this.out.push(p.seal(type, content));
      return;
    }
    const promise = p.sealAsync(type, content);
    const slot: SealingRecord = { bytes: null };
    this.out.push(slot);
    this.slots++;
    this.inFlight++;
    promise
      .then(
        (bytes) => {
          slot.bytes = bytes;
        },
        (e: unknown) => {
          // Nothing after it can be sent in order (RFC 9846 §5.3, RFC 5246 §6.1: the peer
          // expects this record's sequence number next, and would fail every later record
          // as bad_record_mac): it and every record queued after it are dropped, the records
          // before it still go out, and the connection fails (its alert is lost too).
          slot.bytes = new Uint8Array(0);
          this.broken = { cause: e };
          const i = this.out.indexOf(slot);
          if (i >= 0) for (const r of this.out.splice(i)) if (!(r instanceof Uint8Array)) this.slots--;
          this.onSealError?.(e);
        },
      )
      .finally(() => {
        if (--this.inFlight === 0) for (const w of this.settledWaiters.splice(0)) w();
      });
  }

  /** True once the TLS 1.3 compatibility ChangeCipherSpec has been sent. */
  get sentCompatCcs(): boolean {
    return this.compatCcsSent;
  }

  /** Plaintext records carry 0x0303 from now on (only the initial ClientHello may use 0x0301). */
  private settleRecordVersion(): void {
    if (this.protector instanceof NullProtector) this.protector.version = RECORD_VERSION_TLS12;
  }

  /** Queues an encoded handshake message; it is sealed at the epoch in force when flushed. */
  queueHandshake(message: Uint8Array): void {
    this.pending.push(message);
  }

  /**
   * Seals queued handshake messages at the current epoch, coalesced into as few records
   * as fit (RFC 9846 §5.1), ending on a record boundary (required before a key change).
   */
  flushHandshake(): void {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    for (const frag of packMessages(messages)) this.sealRecord(ContentType.handshake, frag);
    // RFC 9846 §5.1: 0x0303 "for all records generated by a TLS 1.3 implementation other than
    // an initial ClientHello": the first flight was that ClientHello.
    this.settleRecordVersion();
  }

  /** Installs the next write protection; queued handshake messages go out under the old one first. */
  install(protector: Protector, epoch: TrafficEpoch | null = null): void {
    this.flushHandshake();
    this.protector = protector;
    this.epoch_ = epoch;
  }

  /**
   * Seals application data in records of at most 2^14 bytes. `beforeEach` runs before each
   * record (the connection sends a KeyUpdate there when the AEAD's usage limit nears).
   */
  appData(data: Uint8Array, afterEach?: () => void): void {
    if (data.length <= MAX_PLAINTEXT_LEN) {
      // One record (every bulk write of 16 KiB or less): no fragment list, no view.
      this.sealRecord(ContentType.application_data, data);
      afterEach?.();
      return;
    }
    for (const frag of fragmentData(data)) {
      this.sealRecord(ContentType.application_data, frag);
      afterEach?.();
    }
  }

  /** True when the TLS 1.3 write key should be updated before its usage limit (RFC 9846 §5.5). */
  get needsKeyUpdate(): boolean {
    return this.protector instanceof RecordProtector && this.protector.needsKeyUpdate;
  }

  /** Seals an alert at the current epoch; false if nothing more can be sent (sequence exhausted, or an async seal failed). Never throws. */
  alert(level: 1 | 2, description: number): boolean {
    try {
      // Handshake messages queued before it go first; they cannot either when nothing more can
      // be sealed (an async seal failed: this runs in the connection's failure path, called
      // from the writer's own rejection handler, which must not throw).
      this.flushHandshake();
      this.sealRecord(ContentType.alert, new Uint8Array([level, description]));
      return true;
    } catch {
      return false;
    }
  }

  /** The TLS 1.3 middlebox-compatibility ChangeCipherSpec (RFC 9846 Appendix D.4), sent once, in the clear. */
  compatChangeCipherSpec(): boolean {
    if (this.compatCcsSent) return false;
    this.flushHandshake();
    this.compatCcsSent = true;
    this.out.push(new NullProtector().seal(ContentType.change_cipher_spec, new Uint8Array([1])));
    return true;
  }

  /** The TLS 1.2 ChangeCipherSpec (RFC 5246 §7.1), at the current (still old) epoch. */
  changeCipherSpec12(): void {
    this.flushHandshake();
    this.sealRecord(ContentType.change_cipher_spec, new Uint8Array([1]));
  }

  /**
   * Takes every record sealed so far, concatenated, or null; records behind one an async
   * AEAD is still sealing wait for it. The bytes are the caller's; see {@link release}.
   */
  take(): Uint8Array | null {
    this.lent = null;
    if (this.slots === 0) {
      if (this.out.length === 0) return null;
      const parts = this.out as Uint8Array[];
      this.out = [];
      return this.lend(parts);
    }
    let n = 0;
    for (const r of this.out) {
      if (!(r instanceof Uint8Array) && r.bytes === null) break;
      n++;
    }
    if (n === 0) return null;
    const taken = n === this.out.length ? this.out : this.out.slice(0, n);
    const parts = taken.map((r) => {
      if (r instanceof Uint8Array) return r;
      this.slots--;
      return r.bytes!;
    });
    this.out = n === this.out.length ? [] : this.out.slice(n);
    return this.lend(parts);
  }

  /**
   * The bytes handed out for `parts`: the one record itself (lent, if it lies in a pooled
   * buffer: see {@link release}), or all of them joined, after which the pooled buffers of
   * the parts are free again (nobody else has seen them).
   */
  private lend(parts: Uint8Array[]): Uint8Array {
    if (parts.length === 1) {
      const only = parts[0]!;
      if (isPoolSized(only)) this.lent = [only];
      return only;
    }
    const joined = concatBytes(parts);
    for (const p of parts) recycleRecordBuffer(p);
    return joined;
  }

  /**
   * The caller is done with `bytes`, exactly what the latest {@link take} returned (the
   * transport took them whole, e.g. a `net.Socket` write the kernel accepted synchronously),
   * released before the next take: their buffer may be reused for a later record. The caller
   * must neither read nor change them afterwards. Anything else (other bytes, part of them, a
   * second release, bytes of an earlier take) is ignored. Returns true if the buffer will be reused.
   */
  release(bytes: Uint8Array): boolean {
    const lent = this.lent;
    const i = lent === null ? -1 : lent.indexOf(bytes);
    if (i < 0) return false;
    lent!.splice(i, 1);
    recycleRecordBuffer(bytes);
    return true;
  }

  /**
   * Takes every record sealed so far as a list, one buffer per record (nothing joined), or
   * null; with an async AEAD only {@link take} is used (records being sealed keep their
   * place). Each record may be given back with {@link release} before the next take.
   */
  takeAll(): Uint8Array[] | null {
    if (this.slots !== 0) {
      const one = this.take();
      return one === null ? null : [one];
    }
    this.lent = null;
    if (this.out.length === 0) return null;
    const parts = this.out as Uint8Array[];
    this.out = [];
    for (const p of parts) if (isPoolSized(p)) (this.lent ??= []).push(p);
    return parts;
  }
}
