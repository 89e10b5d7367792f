/**
 * Building blocks for TLS 1.2 "malicious peer" engine tests, next to mitm.ts (TLS 1.3):
 *
 * - {@link hellosOf}: the randoms and the suite, read from the ClientHello and ServerHello
 *   flights as they went over the wire;
 * - {@link Keys12}: the record keys of a session, derived the way RFC 5246 §6.3 says from
 *   the master secret the engine wrote to `keyLog` (`CLIENT_RANDOM <cr> <master>`) and the
 *   randoms, handed out as the engine's own {@link RecordProtector} at any sequence number;
 * - {@link openRecords12} / {@link alertsIn12}: a direction's records in the clear
 *   (everything after its ChangeCipherSpec is opened);
 * - {@link Relay12}: a `FaultPipe` tamper hook (puretls/testing) that sits between the two
 *   sides for a whole session, re-encrypting every protected record so that the test can
 *   inject records of its own (an encrypted HelloRequest or ClientHello after the
 *   handshake) without breaking the sequence numbers of the records that follow;
 * - {@link resignServerKeyExchange}: re-signs an edited ServerKeyExchange with any key.
 *
 * Typical use:
 * ```ts
 * const keys = new KeyLog();                          // passed as keyLog to both sides
 * const ch = await firstFlight(client);
 * const flight = await respond(server, ch);           // SH, Certificate, SKE, SHD (plaintext)
 * const msgs = handshakeMessages(flight);
 * const cf = await respond(client, flight);           // CKE, CCS, {Finished}
 * const k = Keys12.from(keys, hellosOf(ch, flight));
 * const [fin] = openRecords12(parseRecords(cf).slice(2), k.protector('client'));
 * ```
 */
import { nobleProvider } from '../../src/crypto/noble.js';
import type { PrivateKeyInfo } from '../../src/crypto/provider.js';
import { tls12Suite, type Tls12Suite } from '../../src/crypto/suites.js';
import { keyBlock } from '../../src/keys/tls12-prf.js';
import { RecordProtector } from '../../src/record/protector.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../src/wire/handshake.js';
import type { HandshakeMessage, ServerKeyExchange } from '../../src/wire/messages.js';
import { serverKeyExchangeSignedContent } from '../../src/wire/tls12.js';
import { KeyLog, concat, encodeRecord, encodeRecords, parseRecords, plain, splitHandshake, type Rec } from './mitm.js';
import { seededRandom, type Direction, type Tamper } from '../../src/testing/index.js';

/** The values of the hellos that the record keys depend on. */
export interface Hellos12 {
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly suite: Tls12Suite;
}

/** Offset of the random in a hello message (type ‖ uint24 length ‖ version). */
const RANDOM_AT = 4 + 2;

function firstMessage(flight: Uint8Array, type: number): Uint8Array {
  const rec = parseRecords(flight)[0];
  if (!rec || rec.type !== ContentType.handshake || rec.fragment[0] !== type) throw new Error(`hellosOf: first record is not a handshake message of type ${type}`);
  return rec.fragment;
}

/** The randoms and the TLS 1.2 suite, from the flight that starts with ClientHello and the one that starts with ServerHello. */
export function hellosOf(chFlight: Uint8Array, shFlight: Uint8Array): Hellos12 {
  const ch = firstMessage(chFlight, HandshakeType.client_hello);
  const sh = firstMessage(shFlight, HandshakeType.server_hello);
  const sidLen = sh[RANDOM_AT + 32]!;
  const at = RANDOM_AT + 33 + sidLen;
  const code = (sh[at]! << 8) | sh[at + 1]!;
  const suite = tls12Suite(code);
  if (!suite) throw new Error(`hellosOf: 0x${code.toString(16)} is not a TLS 1.2 suite`);
  return { clientRandom: ch.slice(RANDOM_AT, RANDOM_AT + 32), serverRandom: sh.slice(RANDOM_AT, RANDOM_AT + 32), suite };
}

/** The record keys of one TLS 1.2 session (RFC 5246 §6.3; RFC 5288 §3; RFC 7905 §2). */
export class Keys12 {
  readonly suite: Tls12Suite;
  readonly master: Uint8Array;
  private readonly kb: ReturnType<typeof keyBlock>;

  constructor(master: Uint8Array, h: Hellos12) {
    this.suite = h.suite;
    this.master = master;
    this.kb = keyBlock(nobleProvider, h.suite.hash, master, h.clientRandom, h.serverRandom, h.suite.keyLen, h.suite.fixedIvLen);
  }

  /** From the `CLIENT_RANDOM` line of a key log (both sides log the same line). */
  static from(keys: KeyLog, h: Hellos12): Keys12 {
    return new Keys12(keys.get('CLIENT_RANDOM'), h);
  }

  /** Record protection for what `writer` sends, starting at `sequence` (the records it already sent under these keys). */
  protector(writer: 'client' | 'server', sequence = 0n): RecordProtector {
    const key = writer === 'client' ? this.kb.clientWriteKey : this.kb.serverWriteKey;
    const iv = writer === 'client' ? this.kb.clientWriteIv : this.kb.serverWriteIv;
    return new RecordProtector({ mode: this.suite.mode, aead: nobleProvider.aead(this.suite.aead, key), iv, sequence });
  }
}

/** One record as its receiver sees it. */
export interface Plain12 {
  type: number;
  content: Uint8Array;
  protected: boolean;
}

/**
 * The records of one direction in the clear: plaintext until a ChangeCipherSpec, opened
 * with `opener` after it (or from the start when `afterCcs`). Throws if a protected
 * record does not authenticate.
 */
export function openRecords12(recs: readonly Rec[], opener: RecordProtector | null, afterCcs = false): Plain12[] {
  let keyed = afterCcs;
  const out: Plain12[] = [];
  for (const r of recs) {
    if (keyed) {
      if (!opener) throw new Error('openRecords12: a protected record and no keys');
      const o = opener.open(r);
      out.push({ type: o.type, content: o.content.slice(), protected: true });
    } else {
      out.push({ type: r.type, content: r.fragment, protected: false });
      if (r.type === ContentType.change_cipher_spec) keyed = true;
    }
  }
  return out;
}

/** The alerts in `bytes` (a connection's output), protected ones opened with `opener`. */
export function alertsIn12(bytes: Uint8Array | null, opener: RecordProtector | null = null): { level: number; description: number; protected: boolean }[] {
  const recs = parseRecords(bytes ?? new Uint8Array(0));
  return openRecords12(recs, opener, opener !== null)
    .filter((p) => p.type === ContentType.alert)
    .map((p) => ({ level: p.content[0]!, description: p.content[1]!, protected: p.protected }));
}

/** The handshake messages of the leading plaintext handshake records of a flight (raw, headers included). */
export function handshakeMessages(flight: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const r of parseRecords(flight)) {
    if (r.type !== ContentType.handshake) break;
    parts.push(r.fragment);
  }
  return splitHandshake(concat(...parts));
}

/** Plaintext handshake records: all `messages` in one record, or one record each. */
export function handshakeRecords(messages: readonly Uint8Array[], perMessage = false): Uint8Array {
  if (perMessage) return encodeRecords(messages.map((m) => plain(ContentType.handshake, m)));
  return encodeRecord(plain(ContentType.handshake, concat(...messages)));
}

/** A plaintext ChangeCipherSpec record with the given content (default the single byte 1). */
export function ccsRecord(content: Uint8Array = new Uint8Array([1])): Uint8Array {
  return encodeRecord(plain(ContentType.change_cipher_spec, content));
}

/** Decodes a raw TLS 1.2 handshake message (header included) with the engine's codec. */
export function decode12<T extends HandshakeMessage['type']>(raw: Uint8Array, type: T): Extract<HandshakeMessage, { type: T }> {
  const m = decodeHandshakeBytes(raw, { version: 'tls12' });
  if (m.type !== type) throw new Error(`decode12: expected ${type}, got ${m.type}`);
  delete m.raw;
  return m as Extract<HandshakeMessage, { type: T }>;
}

/** Re-encodes a decoded message. */
export function encode12(m: HandshakeMessage): Uint8Array {
  return encodeHandshake(m);
}

/**
 * Signs `ske` (in place) as a server would (RFC 8422 §5.4: over client_random ‖
 * server_random ‖ ServerECDHParams) with `key` and `scheme` (default: the one it names).
 */
export async function resignServerKeyExchange(ske: ServerKeyExchange, h: Pick<Hellos12, 'clientRandom' | 'serverRandom'>, key: PrivateKeyInfo, scheme = ske.scheme): Promise<void> {
  ske.scheme = scheme;
  ske.signature = await nobleProvider.sign(key, scheme, serverKeyExchangeSignedContent(h.clientRandom, h.serverRandom, ske), seededRandom(12), { tls12: true });
}

/**
 * A man in the middle for a whole TLS 1.2 session, as a `FaultPipe` tamper hook (the pipe
 * gives it each record once, in order, with its index). It learns the randoms and the
 * suite from the hellos and the master secret from the key log, and from each side's
 * ChangeCipherSpec on it opens every protected record with the sender's keys and
 * sequence number and seals it again for the receiver with the receiver's. Records the
 * test {@link inject}s move the receiver's sequence number ahead of the sender's; the
 * relay keeps both, so the session carries on undisturbed.
 *
 * Every record, as the receiver sees it, is kept in {@link log}.
 */
export class Relay12 {
  /** Every record delivered per direction, in the clear (injected ones included, marked). */
  readonly log: Record<Direction, (Plain12 & { injected?: boolean })[]> = { c2s: [], s2c: [] };
  private readonly keys: KeyLog;
  private clientHelloFlight: Uint8Array | null = null;
  private serverHelloFlight: Uint8Array | null = null;
  private k: Keys12 | null = null;
  /** Opens the sender's records (sender's sequence). */
  private readonly fromSender: Record<Direction, RecordProtector | null> = { c2s: null, s2c: null };
  /** Seals for the receiver (receiver's sequence). */
  private readonly toReceiver: Record<Direction, RecordProtector | null> = { c2s: null, s2c: null };

  constructor(keys: KeyLog) {
    this.keys = keys;
  }

  /** The tamper hook for a `FaultPipe`. */
  readonly tamper: Tamper = (dir, _index, record) => {
    const [r] = parseRecords(record);
    const fromSender = this.fromSender[dir];
    if (fromSender) {
      const o = fromSender.open(r!);
      this.log[dir].push({ type: o.type, content: o.content.slice(), protected: true });
      return this.toReceiver[dir]!.seal(o.type, o.content);
    }
    this.log[dir].push({ type: r!.type, content: r!.fragment, protected: false });
    if (r!.type === ContentType.handshake && r!.fragment[0] === HandshakeType.client_hello && !this.clientHelloFlight) this.clientHelloFlight = record.slice();
    if (r!.type === ContentType.handshake && r!.fragment[0] === HandshakeType.server_hello && !this.serverHelloFlight) this.serverHelloFlight = record.slice();
    if (r!.type === ContentType.change_cipher_spec) {
      const k = this.sessionKeys();
      const writer = dir === 'c2s' ? 'client' : 'server';
      this.fromSender[dir] = k.protector(writer);
      this.toReceiver[dir] = k.protector(writer);
    }
    return record;
  };

  /** The session keys (once both hellos have passed and the master secret is logged). */
  sessionKeys(): Keys12 {
    if (!this.k) {
      if (!this.clientHelloFlight || !this.serverHelloFlight) throw new Error('Relay12: hellos not seen yet');
      this.k = Keys12.from(this.keys, hellosOf(this.clientHelloFlight, this.serverHelloFlight));
    }
    return this.k;
  }

  /** True once `dir` is protected (its sender's ChangeCipherSpec has passed). */
  hasKeys(dir: Direction): boolean {
    return this.toReceiver[dir] !== null;
  }

  /** A protected record of the test's own, sealed for the receiver of `dir` (deliver it yourself, between runs of the pipe). */
  inject(dir: Direction, type: number, content: Uint8Array): Uint8Array {
    const p = this.toReceiver[dir];
    if (!p) throw new Error(`Relay12: no keys yet for ${dir}`);
    this.log[dir].push({ type, content, protected: true, injected: true });
    return p.seal(type, content);
  }

  /** The records of `dir` logged from position `from` on. */
  since(dir: Direction, from: number): Plain12[] {
    return this.log[dir].slice(from);
  }
}
