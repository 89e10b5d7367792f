/**
 * Structure-aware engine fuzzing: a "script" is what one peer sends, as plaintext records
 * (handshake messages, alerts, ChangeCipherSpec, application data) with a flag saying which
 * ones travel encrypted. {@link runScript} plays it against a fresh deterministic engine:
 * plaintext entries go out as TLSPlaintext, encrypted ones are sealed with the keys the
 * engine itself derived (read from its `keyLog`), so a mutated EncryptedExtensions,
 * Certificate, CertificateVerify or Finished, or a mutated TLS 1.2 flight, reaches the
 * engine's handshake code instead of dying at the record MAC. Entries flagged "fixup" get
 * their Finished verify_data, CertificateVerify signature or ServerKeyExchange signature
 * recomputed over the transcript as the engine saw it, so mutations of earlier messages do
 * not end every run at the Finished check.
 *
 * Seeds come from {@link recordScripts}: a real in-memory handshake between a deterministic
 * client and server, each side's records decrypted with the keys from its key log.
 *
 * Script layout (every field optional from the end; a truncated entry takes what is left):
 * ```
 * header: config u8 (low nibble: engine config, high nibble: peer identity for fixups)
 *         flags u8 (bit 0: coalesce consecutive handshake entries into one record)
 *         fragLen u16 (0: 16384)   chunk u16 (bytes per receive(); 0: whole records)
 * entry:  kind u8 (low nibble: what, 0x10 encrypted, 0x20 fixup)  len u24  payload
 * ```
 */
import type { TlsConnection } from '../../../src/engine/tls-connection.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import type { HashAlg } from '../../../src/crypto/provider.js';
import { tls12Suite, tls13Suite, type Tls12Suite, type Tls13Suite } from '../../../src/crypto/suites.js';
import { concatBytes } from '../../../src/base/bytes.js';
import { TlsError } from '../../../src/base/errors.js';
import { finishedVerifyData as finished13, nextTrafficSecret } from '../../../src/keys/tls13-schedule.js';
import { finishedVerifyData as finished12, keyBlock } from '../../../src/keys/tls12-prf.js';
import { RecordProtector, tls13Protector } from '../../../src/record/protector.js';
import { certificateVerifyInput } from '../../../src/wire/certificate.js';
import { codeOf } from '../../../src/wire/codes.js';
import { encodeRecord } from '../../../src/wire/record.js';
import { makeClient, makeServer, pki, fromHex } from './harness.js';
import { checkTlsError, checkThrown, Finding, within } from './invariants.js';
import { fixedRandom } from './rng.js';

export const K_HS = 0;
export const K_ALERT = 1;
export const K_CCS = 2;
export const K_APP = 3;
export const K_RAW = 4;
export const K_EOF = 5;
export const K_WRITE = 6;
export const K_CLOSE = 7;
export const K_KEYUPDATE = 8;
export const F_ENC = 0x10;
export const F_FIX = 0x20;

const CONTENT_TYPE: Record<number, number> = { [K_HS]: 22, [K_ALERT]: 21, [K_CCS]: 20, [K_APP]: 23 };

export interface Entry {
  kind: number;
  flags: number;
  payload: Uint8Array;
}

export interface Script {
  config: number;
  coalesce: boolean;
  fragLen: number;
  chunk: number;
  entries: Entry[];
}

export function parseScript(b: Uint8Array): Script {
  const s: Script = { config: b[0] ?? 0, coalesce: ((b[1] ?? 0) & 1) === 1, fragLen: ((b[2] ?? 0) << 8) | (b[3] ?? 0), chunk: ((b[4] ?? 0) << 8) | (b[5] ?? 0), entries: [] };
  let p = 6;
  while (p < b.length && s.entries.length < 256) {
    const k = b[p]!;
    const len = ((b[p + 1] ?? 0) << 16) | ((b[p + 2] ?? 0) << 8) | (b[p + 3] ?? 0);
    p += 4;
    const payload = b.subarray(Math.min(p, b.length), Math.min(p + len, b.length));
    p += len;
    s.entries.push({ kind: k & 0x0f, flags: k & 0xf0, payload });
  }
  return s;
}

export function encodeScript(s: Script): Uint8Array {
  let n = 6;
  for (const e of s.entries) n += 4 + e.payload.length;
  const out = new Uint8Array(n);
  out[0] = s.config;
  out[1] = s.coalesce ? 1 : 0;
  out[2] = s.fragLen >> 8;
  out[3] = s.fragLen & 0xff;
  out[4] = s.chunk >> 8;
  out[5] = s.chunk & 0xff;
  let p = 6;
  for (const e of s.entries) {
    out[p] = e.kind | e.flags;
    out[p + 1] = (e.payload.length >> 16) & 0xff;
    out[p + 2] = (e.payload.length >> 8) & 0xff;
    out[p + 3] = e.payload.length & 0xff;
    out.set(e.payload, p + 4);
    p += 4 + e.payload.length;
  }
  return out;
}

/** Splits handshake content into messages by their headers (a short or lying tail stays one piece). */
export function splitMessages(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < content.length) {
    if (content.length - p < 4) {
      out.push(content.subarray(p));
      break;
    }
    const len = (content[p + 1]! << 16) | (content[p + 2]! << 8) | content[p + 3]!;
    const end = Math.min(content.length, p + 4 + len);
    out.push(content.subarray(p, end));
    p = end;
  }
  return out;
}

function hsHeader(type: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (body.length >> 16) & 0xff;
  out[2] = (body.length >> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, 4);
  return out;
}

const HRR_RANDOM_HEX = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

/** Key log lines of one engine: label → secret (the latest one), plus the client random. */
class KeyLog {
  readonly secrets = new Map<string, Uint8Array>();
  clientRandom: Uint8Array | null = null;
  readonly fn = (line: string): void => {
    const [label, cr, secret] = line.split(' ');
    if (!label || !cr || !secret) return;
    this.clientRandom = fromHex(cr);
    this.secrets.set(label, fromHex(secret));
  };
}

type Version = 'TLSv1.2' | 'TLSv1.3' | null;

function suitesOf(conn: TlsConnection): { s13: Tls13Suite | undefined; s12: Tls12Suite | undefined } {
  const name = conn.info.cipherSuite;
  const code = name ? codeOf('suite', name) : undefined;
  return { s13: code === undefined ? undefined : tls13Suite(code), s12: code === undefined ? undefined : tls12Suite(code) };
}

/**
 * Decrypts the records one side writes, with the secrets from that side's key log, to get
 * its handshake messages in the clear (for seeds, and for the transcript that fixups need).
 */
class SideDecoder {
  private epoch: 'plain' | 'hs' | 'app' | 'enc12' = 'plain';
  private opener: RecordProtector | null = null;
  private secret: Uint8Array | null = null;
  private pendingHs: Uint8Array[] = [];
  private readonly role: 'client' | 'server';
  private readonly conn: TlsConnection;
  private readonly keys: KeyLog;
  private readonly transcript: (() => Uint8Array) | null;
  constructor(role: 'client' | 'server', conn: TlsConnection, keys: KeyLog, transcript: (() => Uint8Array) | null) {
    this.role = role;
    this.conn = conn;
    this.keys = keys;
    this.transcript = transcript;
  }

  private prefix(): string {
    return this.role === 'client' ? 'CLIENT' : 'SERVER';
  }

  /** Records → plaintext pieces {type, content, encrypted}. Throws on anything it cannot open. */
  decode(bytes: Uint8Array): { type: number; content: Uint8Array; encrypted: boolean }[] {
    const out: { type: number; content: Uint8Array; encrypted: boolean }[] = [];
    let p = 0;
    while (p + 5 <= bytes.length) {
      const type = bytes[p]!;
      const len = (bytes[p + 3]! << 8) | bytes[p + 4]!;
      const rec = { type, version: (bytes[p + 1]! << 8) | bytes[p + 2]!, fragment: bytes.subarray(p + 5, p + 5 + len) };
      p += 5 + len;
      const version: Version = this.conn.info.version as Version;
      if (version === 'TLSv1.3' && type === 23) {
        if (this.epoch === 'plain') this.switchTo('hs');
        else if (!this.opener) this.switchTo(this.epoch === 'hs' ? 'hs' : 'app');
        const opened = this.opener!.open(rec);
        out.push({ type: opened.type, content: opened.content, encrypted: true });
        if (opened.type === 22) this.afterHandshake(opened.content);
      } else if (version === 'TLSv1.2' && this.epoch === 'enc12') {
        const opened = this.opener!.open(rec);
        out.push({ type: opened.type, content: opened.content, encrypted: true });
      } else {
        out.push({ type, content: rec.fragment.slice(), encrypted: false });
        if (type === 20 && version === 'TLSv1.2') this.switchTo12();
      }
    }
    return out;
  }

  private afterHandshake(content: Uint8Array): void {
    this.pendingHs.push(content);
    for (const m of splitMessages(concatBytes(this.pendingHs))) {
      if (m[0] === 20 && this.epoch === 'hs') {
        // The application secret may be logged later (a server logs it with the client's Finished).
        this.epoch = 'app';
        this.opener = null;
      }
      else if (m[0] === 24 && this.epoch === 'app' && this.secret) this.advance();
    }
    this.pendingHs = [];
  }

  private switchTo(epoch: 'hs' | 'app'): void {
    const { s13 } = suitesOf(this.conn);
    const label = epoch === 'hs' ? `${this.prefix()}_HANDSHAKE_TRAFFIC_SECRET` : `${this.prefix()}_TRAFFIC_SECRET_0`;
    const secret = this.keys.secrets.get(label);
    if (!s13 || !secret) throw new Error(`no ${label}`);
    this.epoch = epoch;
    this.secret = secret;
    this.opener = tls13Protector(nobleProvider, s13, secret);
  }

  private advance(): void {
    const { s13 } = suitesOf(this.conn);
    this.secret = nextTrafficSecret(nobleProvider, s13!.hash, this.secret!);
    this.opener = tls13Protector(nobleProvider, s13!, this.secret);
  }

  private switchTo12(): void {
    const k = keys12(this.conn, this.keys, this.transcript?.() ?? null);
    this.epoch = 'enc12';
    this.opener = this.role === 'client' ? k.client : k.server;
  }
}

/** Hellos' randoms from a transcript byte stream. */
function randomsOf(transcript: Uint8Array): { cr: Uint8Array | null; sr: Uint8Array | null } {
  let cr: Uint8Array | null = null;
  let sr: Uint8Array | null = null;
  for (const m of splitMessages(transcript)) {
    if (m.length < 38) continue;
    if (m[0] === 1 && !cr) cr = m.slice(6, 38);
    if (m[0] === 2) sr = m.slice(6, 38); // the last ServerHello (after an HRR)
  }
  return { cr, sr };
}

function keys12(conn: TlsConnection, keys: KeyLog, transcript: Uint8Array | null): { client: RecordProtector; server: RecordProtector; suite: Tls12Suite; master: Uint8Array } {
  const { s12 } = suitesOf(conn);
  const master = keys.secrets.get('CLIENT_RANDOM');
  const { sr } = transcript ? randomsOf(transcript) : { sr: null };
  if (!s12 || !master || !keys.clientRandom || !sr) throw new Error('TLS 1.2 keys not known yet');
  const kb = keyBlock(nobleProvider, s12.hash, master, keys.clientRandom, sr, s12.keyLen, s12.fixedIvLen);
  return {
    client: new RecordProtector({ mode: s12.mode, aead: nobleProvider.aead(s12.aead, kb.clientWriteKey), iv: kb.clientWriteIv }),
    server: new RecordProtector({ mode: s12.mode, aead: nobleProvider.aead(s12.aead, kb.serverWriteKey), iv: kb.serverWriteIv }),
    suite: s12,
    master,
  };
}

function transcriptHash13(hash: HashAlg, transcript: Uint8Array): Uint8Array {
  const msgs = splitMessages(transcript);
  const second = msgs[1];
  if (second && second[0] === 2 && second.length >= 38) {
    let hex = '';
    for (let i = 6; i < 38; i++) hex += second[i]!.toString(16).padStart(2, '0');
    if (hex === HRR_RANDOM_HEX) {
      // RFC 9846 §4.4.1: ClientHello1 is replaced by message_hash.
      msgs[0] = hsHeader(254, nobleProvider.digest(hash, msgs[0]!));
    }
  }
  return nobleProvider.digest(hash, concatBytes(msgs));
}

export interface RunOptions {
  /** Per-step limit for process() (a longer wait is a hang). */
  readonly hangMs?: number;
}

/**
 * Plays `input` (a script) against a fresh engine of `role`. Returns normally unless the
 * engine broke an invariant (a Finding is thrown).
 */
export async function runScript(role: 'client' | 'server', input: Uint8Array, opts: RunOptions = {}): Promise<TlsConnection> {
  const script = parseScript(input);
  const keys = new KeyLog();
  const cfgIndex = script.config & 0x0f;
  const peerId = script.config >> 4;
  let conn: TlsConnection;
  try {
    conn = role === 'client' ? makeClient(cfgIndex, { keyLog: keys.fn }) : makeServer(cfgIndex, { keyLog: keys.fn } as never);
  } catch (e) {
    checkThrown(e, 'constructor');
    throw new Error('unreachable');
  }
  const r = new Runner(role, conn, keys, script, peerId, opts.hangMs ?? 1000);
  await r.run();
  return conn;
}

/**
 * Records a script is cut into at its `fragLen`; after that, full-size records. Every
 * record costs a fixed AEAD setup on both sides (noble expands the AES key and GHASH table
 * per record, crypto/aead.ts), so a 40 KB script in 2-byte records (~20,000 records) took
 * 1.3-2.4 s on a loaded machine and was reported as `slow` although the cost is linear in
 * the records. 2,048 small records keep every boundary case of tiny records and stay well
 * under the 1 s limit.
 */
const SMALL_RECORD_BUDGET = 2048;

class Runner {
  private recordsCut = 0;
  private transcript: Uint8Array[] = [];
  private transcriptOk = true;
  private sealer: RecordProtector | null = null;
  private sealEpoch: 'plain' | 'hs' | 'app' | 'enc12' = 'plain';
  private sealSecret: Uint8Array | null = null;
  private readonly out: SideDecoder;
  private readonly peerPrefix: string;
  private readonly random = fixedRandom(0xf1f);

  private readonly role: 'client' | 'server';
  private readonly conn: TlsConnection;
  private readonly keys: KeyLog;
  private readonly script: Script;
  private readonly peerId: number;
  private readonly hangMs: number;

  constructor(role: 'client' | 'server', conn: TlsConnection, keys: KeyLog, script: Script, peerId: number, hangMs: number) {
    this.role = role;
    this.conn = conn;
    this.keys = keys;
    this.script = script;
    this.peerId = peerId;
    this.hangMs = hangMs;
    this.out = new SideDecoder(role, conn, keys, () => concatBytes(this.transcript));
    this.peerPrefix = role === 'client' ? 'SERVER' : 'CLIENT';
  }

  private dead(): boolean {
    return this.conn.error !== null;
  }

  async run(): Promise<void> {
    await this.step('start', () => this.conn.process());
    const entries = this.script.entries;
    for (let i = 0; i < entries.length && !this.dead(); i++) {
      const e = entries[i]!;
      if (e.kind === K_HS && this.script.coalesce) {
        // Consecutive handshake entries with the same flags share records, as real peers send them.
        const group = [e];
        while (i + 1 < entries.length && entries[i + 1]!.kind === K_HS && (entries[i + 1]!.flags & F_ENC) === (e.flags & F_ENC) && !endsEpoch(group[group.length - 1]!.payload)) group.push(entries[++i]!);
        await this.deliverRecords(K_HS, e.flags, group);
      } else {
        await this.deliver(e);
      }
    }
    checkTlsError(this.conn.error, `${this.role} engine`);
  }

  private async deliver(e: Entry): Promise<void> {
    switch (e.kind) {
      case K_RAW:
        return this.feed(e.payload);
      case K_EOF:
        return this.step('end()', async () => this.conn.end());
      case K_WRITE:
        return this.step('write()', async () => this.conn.write(e.payload));
      case K_CLOSE:
        return this.step('close()', async () => this.conn.close());
      case K_KEYUPDATE:
        return this.step('keyUpdate()', async () => this.conn.keyUpdate(((e.payload[0] ?? 0) & 1) === 1));
      default:
        if (CONTENT_TYPE[e.kind] === undefined) return this.feed(e.payload);
        return this.deliverRecords(e.kind, e.flags, [e]);
    }
  }

  /** Calls an API function; TlsErrors are accepted answers, everything else is checked. */
  private async step(what: string, f: () => Promise<void> | void): Promise<void> {
    try {
      const p = f();
      if (p) await within(Promise.resolve(p), this.hangMs, `${this.role} ${what}`);
    } catch (e) {
      checkThrown(e, `${this.role} ${what}`);
    }
    checkTlsError(this.conn.error, `${this.role} after ${what}`);
    await this.drain();
  }

  private async drain(): Promise<void> {
    for (let i = 0; i < 64 && this.conn.read() !== null; i++);
    let out: Uint8Array | null;
    try {
      out = this.conn.takeOutput();
    } catch (e) {
      checkThrown(e, `${this.role} takeOutput()`);
      return;
    }
    if (!out || !this.transcriptOk) return;
    try {
      for (const piece of this.out.decode(out)) if (piece.type === 22) this.transcript.push(piece.content);
    } catch {
      // Output we cannot follow (keys unknown): no more fixups for this run.
      this.transcriptOk = false;
    }
  }

  /** Feeds wire bytes in the script's chunk size, honouring receive()'s back-pressure. */
  private async feed(bytes: Uint8Array): Promise<void> {
    const chunk = this.script.chunk === 0 ? bytes.length : this.script.chunk;
    let off = 0;
    let refused = 0;
    while (off < bytes.length && !this.dead()) {
      let n = 0;
      try {
        n = this.conn.receive(bytes.subarray(off, Math.min(bytes.length, off + Math.max(1, chunk))));
      } catch (e) {
        checkThrown(e, `${this.role} receive()`);
        return;
      }
      off += n;
      await this.step('process()', () => this.conn.process());
      refused = n === 0 ? refused + 1 : 0;
      if (refused > 3 && !this.dead()) {
        if (this.conn.phase === 'closed' || this.conn.phase === 'peer-closed') return;
        throw new Finding('stall', `${this.role}: receive() accepts no input, yet the connection has not failed (phase ${this.conn.phase})`);
      }
    }
  }

  private async deliverRecords(kind: number, flags: number, group: Entry[]): Promise<void> {
    const type = CONTENT_TYPE[kind]!;
    const parts: Uint8Array[] = [];
    for (const e of group) {
      let payload = e.payload;
      if (kind === K_HS && flags & F_FIX && this.transcriptOk) payload = await this.fixup(payload, concatBytes([...this.transcript, ...parts]));
      parts.push(payload);
    }
    const content = concatBytes(parts);
    const encrypted = (flags & F_ENC) !== 0;
    const frag = this.script.fragLen === 0 ? 16384 : Math.min(16384 + 2048, this.script.fragLen);
    const records: Uint8Array[] = [];
    if (encrypted && !this.ensureSealer()) {
      // No keys (the engine never got that far): send it in the clear instead.
    }
    for (let off = 0, size = 0; off < content.length || (off === 0 && content.length === 0); off += size) {
      // Past the budget of small records, the rest goes in full-size ones (see SMALL_RECORD_BUDGET).
      size = this.recordsCut++ < SMALL_RECORD_BUDGET ? frag : Math.max(frag, 16384);
      const piece = content.subarray(off, Math.min(content.length, off + size));
      if (encrypted && this.sealer) {
        try {
          records.push(this.sealer.seal(type, piece));
        } catch (e) {
          if (!(e instanceof TlsError)) throw e;
          records.push(encodeRecord(type, 0x0303, piece));
        }
      } else {
        records.push(encodeRecord(type, 0x0303, piece));
      }
      if (content.length === 0) break;
    }
    if (kind === K_HS) this.transcript.push(content);
    await this.feed(concatBytes(records));
    if (kind === K_CCS && this.conn.info.version === 'TLSv1.2' && this.sealEpoch === 'plain') this.sealEpoch = 'enc12';
    if (kind === K_HS && encrypted) {
      for (const m of splitMessages(content)) {
        if (m[0] === 20 && this.sealEpoch === 'hs') {
          this.sealEpoch = 'app';
          this.sealer = null;
        } else if (m[0] === 24 && this.sealEpoch === 'app' && this.sealSecret) {
          const { s13 } = suitesOf(this.conn);
          if (s13) {
            this.sealSecret = nextTrafficSecret(nobleProvider, s13.hash, this.sealSecret);
            this.sealer = tls13Protector(nobleProvider, s13, this.sealSecret);
          }
        }
      }
    }
  }

  /** Makes the protector for the peer's current epoch, from the engine's key log. */
  private ensureSealer(): boolean {
    if (this.sealer) return true;
    const version = this.conn.info.version;
    try {
      if (version === 'TLSv1.3') {
        if (this.sealEpoch === 'plain' || this.sealEpoch === 'enc12') this.sealEpoch = 'hs';
        const { s13 } = suitesOf(this.conn);
        const label = this.sealEpoch === 'hs' ? `${this.peerPrefix}_HANDSHAKE_TRAFFIC_SECRET` : `${this.peerPrefix}_TRAFFIC_SECRET_0`;
        const secret = this.keys.secrets.get(label);
        if (!s13 || !secret) return false;
        this.sealSecret = secret;
        this.sealer = tls13Protector(nobleProvider, s13, secret);
        return true;
      }
      if (version === 'TLSv1.2') {
        const k = keys12(this.conn, this.keys, concatBytes(this.transcript));
        this.sealEpoch = 'enc12';
        this.sealer = this.role === 'client' ? k.server : k.client;
        return true;
      }
    } catch {
      return false;
    }
    return false;
  }

  /** Recomputes a Finished, CertificateVerify or ServerKeyExchange signature over the engine's transcript. */
  private async fixup(msg: Uint8Array, transcript: Uint8Array): Promise<Uint8Array> {
    if (msg.length < 4) return msg;
    const type = msg[0]!;
    const body = msg.subarray(4);
    const version = this.conn.info.version;
    const peerKey = pki().ids[this.role === 'client' ? this.peerId % pki().ids.length : 3]!.key;
    try {
      if (version === 'TLSv1.3') {
        const { s13 } = suitesOf(this.conn);
        if (!s13) return msg;
        if (type === 20) {
          const secret = this.keys.secrets.get(`${this.peerPrefix}_HANDSHAKE_TRAFFIC_SECRET`);
          if (!secret) return msg;
          return hsHeader(20, finished13(nobleProvider, s13.hash, secret, transcriptHash13(s13.hash, transcript)));
        }
        if (type === 15 && body.length >= 2) {
          const scheme = (body[0]! << 8) | body[1]!;
          const data = certificateVerifyInput(this.role === 'client' ? 'server' : 'client', transcriptHash13(s13.hash, transcript));
          const sig = await nobleProvider.sign(peerKey, scheme, data, this.random);
          return hsHeader(15, concatBytes([body.subarray(0, 2), new Uint8Array([sig.length >> 8, sig.length & 0xff]), sig]));
        }
        return msg;
      }
      if (version === 'TLSv1.2') {
        const { s12 } = suitesOf(this.conn);
        if (!s12) return msg;
        if (type === 20) {
          const master = this.keys.secrets.get('CLIENT_RANDOM');
          if (!master) return msg;
          const label = this.role === 'client' ? 'server finished' : 'client finished';
          return hsHeader(20, finished12(nobleProvider, s12.hash, master, label, nobleProvider.digest(s12.hash, transcript)));
        }
        if (type === 12 && body.length >= 4 && body[0] === 3) {
          const paramsEnd = 4 + body[3]!;
          if (body.length < paramsEnd + 2) return msg;
          const scheme = (body[paramsEnd]! << 8) | body[paramsEnd + 1]!;
          const { cr, sr } = randomsOf(transcript);
          if (!cr || !sr) return msg;
          const sig = await nobleProvider.sign(peerKey, scheme, concatBytes([cr, sr, body.subarray(0, paramsEnd)]), this.random, { tls12: true });
          return hsHeader(12, concatBytes([body.subarray(0, paramsEnd + 2), new Uint8Array([sig.length >> 8, sig.length & 0xff]), sig]));
        }
        if (type === 15 && body.length >= 2) {
          const sig = await nobleProvider.sign(peerKey, (body[0]! << 8) | body[1]!, transcript, this.random, { tls12: true });
          return hsHeader(15, concatBytes([body.subarray(0, 2), new Uint8Array([sig.length >> 8, sig.length & 0xff]), sig]));
        }
      }
    } catch (e) {
      if (e instanceof Finding) throw e;
      // A scheme the key cannot sign with, a mutated layout: deliver the message unchanged.
    }
    return msg;
  }
}

function endsEpoch(payload: Uint8Array): boolean {
  return payload[0] === 20 || payload[0] === 24 || payload[0] === 2;
}

// ---------------------------------------------------------------------------- seeds

/** A pairing used to record seed scripts: client config, server config, server identity index. */
export const PAIRINGS: readonly [number, number, number][] = [
  [0, 0, 0], // TLS 1.3, ECDSA
  [1, 1, 0], // TLS 1.3, mutual
  [0, 2, 0], // TLS 1.2 server
  [2, 0, 0], // TLS 1.2 client
  [3, 3, 0], // HelloRetryRequest
  [4, 4, 0], // ALPN, OCSP staple, tickets
  [1, 5, 2], // Ed25519 server, client certificate requested
  [5, 1, 0], // TLS 1.2 mutual
  [6, 2, 0], // TLS 1.2 ChaCha20
];

/**
 * Runs each pairing between real engines and returns, per role, the scripts that replay
 * the other side's records (decrypted) against a fresh engine of that role.
 */
export async function recordScripts(): Promise<{ client: Uint8Array[]; server: Uint8Array[]; clientWire: Uint8Array[]; serverWire: Uint8Array[] }> {
  const res = { client: [] as Uint8Array[], server: [] as Uint8Array[], clientWire: [] as Uint8Array[], serverWire: [] as Uint8Array[] };
  for (const [cc, sc, sid] of PAIRINGS) {
    const ck = new KeyLog();
    const sk = new KeyLog();
    const c = makeClient(cc, { keyLog: ck.fn });
    const s = makeServer(sc, { keyLog: sk.fn } as never);
    const transcript: Uint8Array[] = [];
    const tr = (): Uint8Array => concatBytes(transcript);
    const cDec = new SideDecoder('client', c, ck, tr);
    const sDec = new SideDecoder('server', s, sk, tr);
    const fromServer: Entry[] = []; // replayed against a client
    const fromClient: Entry[] = []; // replayed against a server
    const wire = { c: [] as Uint8Array[], s: [] as Uint8Array[] };
    const move = async (from: TlsConnection, to: TlsConnection, dec: SideDecoder, into: Entry[], w: Uint8Array[]): Promise<boolean> => {
      const out = from.takeOutput();
      if (!out) return false;
      w.push(out);
      for (const piece of dec.decode(out)) {
        const kind = piece.type === 22 ? K_HS : piece.type === 21 ? K_ALERT : piece.type === 20 ? K_CCS : K_APP;
        const msgs = kind === K_HS ? splitMessages(piece.content) : [piece.content];
        for (const m of msgs) {
          if (kind === K_HS) transcript.push(m);
          const fix = kind === K_HS && (m[0] === 20 || m[0] === 15 || m[0] === 12) ? F_FIX : 0;
          into.push({ kind, flags: (piece.encrypted ? F_ENC : 0) | fix, payload: m.slice() });
        }
      }
      let off = 0;
      while (off < out.length) {
        off += to.receive(out.subarray(off));
        await to.process();
        while (to.read());
      }
      return true;
    };
    await c.process();
    for (let i = 0; i < 50; i++) {
      const a = await move(c, s, cDec, fromClient, wire.c);
      const b = await move(s, c, sDec, fromServer, wire.s);
      if (!a && !b) break;
    }
    if (c.error || s.error) throw new Error(`seed handshake ${cc}/${sc} failed: ${c.error?.message ?? ''} ${s.error?.message ?? ''}`);
    // After the handshake: data both ways, a KeyUpdate (TLS 1.3), then close_notify.
    s.write(new TextEncoder().encode('hello from the server'));
    c.write(new TextEncoder().encode('hello from the client'));
    if (s.info.version === 'TLSv1.3') s.keyUpdate(true);
    for (let i = 0; i < 5; i++) {
      await move(s, c, sDec, fromServer, wire.s);
      await move(c, s, cDec, fromClient, wire.c);
    }
    s.close();
    c.close();
    await move(s, c, sDec, fromServer, wire.s);
    await move(c, s, cDec, fromClient, wire.c);
    res.client.push(encodeScript({ config: cc | (sid << 4), coalesce: false, fragLen: 0, chunk: 0, entries: fromServer }));
    res.server.push(encodeScript({ config: sc | (3 << 4), coalesce: false, fragLen: 0, chunk: 0, entries: fromClient }));
    res.clientWire.push(concatBytes(wire.s));
    res.serverWire.push(concatBytes(wire.c));
  }
  return res;
}
