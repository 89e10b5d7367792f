/**
 * Building blocks for "malicious peer" engine tests: split a connection's output into
 * records, decrypt and re-encrypt TLS 1.3 records with traffic secrets taken from the
 * `keyLog` option, and rebuild flights with messages removed, reordered, replaced or
 * corrupted. Nothing here goes through the engine's own record layer when sealing, so
 * records the engine would refuse to produce (oversized, wrong type, zero padding only,
 * …) can be built too.
 *
 * Typical use:
 * ```ts
 * const keys = new KeyLog();
 * const client = TlsConnection.client({ ..., keyLog: keys.fn });
 * const server = TlsConnection.server({ ..., keyLog: keys.fn });
 * const ch = await firstFlight(client);
 * const flight = await respond(server, ch);            // SH, CCS, {EE..Finished}
 * const sf = openServerFlight(flight, keys, suite);   // decrypted handshake messages
 * sf.messages[3] = corrupt(sf.messages[3]);           // e.g. a wrong Finished
 * await deliver(client, sealServerFlight(sf, keys, suite));
 * ```
 */
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import type { AeadCipher } from '../../src/crypto/provider.js';
import { tls13Suite, type Tls13Suite } from '../../src/crypto/suites.js';
import { trafficKeys } from '../../src/keys/tls13-schedule.js';
import { ContentType, CipherSuite } from '../../src/wire/codes.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../src/wire/handshake.js';
import type { HandshakeMessage } from '../../src/wire/messages.js';
import { join } from './bytes.js';

/** One TLS record as seen on the wire. */
export interface Rec {
  type: number;
  version: number;
  fragment: Uint8Array;
}

/** TLS_AES_128_GCM_SHA256: the suite the MITM tests pin both sides to. */
export const AES128: Tls13Suite = tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)!;

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  return join(parts);
}

/** Splits bytes into records; throws if the bytes do not end on a record boundary. */
export function parseRecords(bytes: Uint8Array): Rec[] {
  const out: Rec[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 5) throw new Error('parseRecords: partial header');
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (bytes.length - o < 5 + len) throw new Error('parseRecords: partial record');
    out.push({ type: bytes[o]!, version: (bytes[o + 1]! << 8) | bytes[o + 2]!, fragment: bytes.slice(o + 5, o + 5 + len) });
    o += 5 + len;
  }
  return out;
}

/** Record header ‖ fragment. `length` overrides the header's length field (for lying headers). */
export function encodeRecord(r: Rec, length = r.fragment.length): Uint8Array {
  const out = new Uint8Array(5 + r.fragment.length);
  out[0] = r.type;
  out[1] = r.version >> 8;
  out[2] = r.version & 0xff;
  out[3] = (length >> 8) & 0xff;
  out[4] = length & 0xff;
  out.set(r.fragment, 5);
  return out;
}

export function encodeRecords(recs: readonly Rec[]): Uint8Array {
  return concat(...recs.map((r) => encodeRecord(r)));
}

/** A plaintext record. */
export function plain(type: number, fragment: Uint8Array, version = 0x0303): Rec {
  return { type, version, fragment };
}

/** Handshake header (type, uint24 length) ‖ body. `length` overrides the length field. */
export function hsMessage(type: number, body: Uint8Array, length = body.length): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out[0] = type;
  out[1] = (length >> 16) & 0xff;
  out[2] = (length >> 8) & 0xff;
  out[3] = length & 0xff;
  out.set(body, 4);
  return out;
}

/** Splits the concatenated content of handshake records into whole raw messages. */
export function splitHandshake(content: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let o = 0;
  while (o < content.length) {
    const len = (content[o + 1]! << 16) | (content[o + 2]! << 8) | content[o + 3]!;
    if (o + 4 + len > content.length) throw new Error('splitHandshake: partial message');
    out.push(content.slice(o, o + 4 + len));
    o += 4 + len;
  }
  return out;
}

/** Decodes a raw handshake message (header included) with the engine's codec. */
export function decodeMsg<T extends HandshakeMessage['type']>(raw: Uint8Array, type: T): Extract<HandshakeMessage, { type: T }> {
  const m = decodeHandshakeBytes(raw, { finishedLength: 32 });
  if (m.type !== type) throw new Error(`decodeMsg: expected ${type}, got ${m.type}`);
  delete m.raw;
  return m as Extract<HandshakeMessage, { type: T }>;
}

/** Re-encodes a (possibly edited) decoded handshake message. */
export function encodeMsg(m: HandshakeMessage): Uint8Array {
  return encodeHandshake(m);
}

/** Returns a copy of `b` with `b[i] ^= x` (i may be negative: from the end). */
export function flip(b: Uint8Array, i: number, x = 0x01): Uint8Array {
  const c = b.slice();
  const at = i < 0 ? c.length + i : i;
  c[at]! ^= x;
  return c;
}

/** Collects NSS key-log lines: label → secret. */
export class KeyLog {
  readonly secrets = new Map<string, Uint8Array>();
  readonly fn = (line: string): void => {
    const [label, , secret] = line.split(' ');
    this.secrets.set(label!, Uint8Array.from(secret!.match(/../g)!, (h) => parseInt(h, 16)));
  };
  get(label: string): Uint8Array {
    const s = this.secrets.get(label);
    if (!s) throw new Error(`KeyLog: no ${label} yet`);
    return s;
  }
}

export type TrafficLabel =
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0';

/**
 * TLS 1.3 record protection for one direction and one key (RFC 9846 §5.2-§5.4), with
 * its own sequence number and no limits: it seals whatever it is given.
 */
export class RawCipher {
  seq = 0n;
  private readonly aead: AeadCipher;
  private readonly iv: Uint8Array;

  constructor(suite: Tls13Suite, secret: Uint8Array) {
    const { key, iv } = trafficKeys(nobleProvider, suite.hash, secret, suite.keyLen, 12);
    this.aead = nobleProvider.aead(suite.aead, key);
    this.iv = iv;
  }

  static from(keys: KeyLog, label: TrafficLabel, suite: Tls13Suite = AES128): RawCipher {
    return new RawCipher(suite, keys.get(label));
  }

  private nonce(): Uint8Array {
    const n = this.iv.slice();
    let s = this.seq;
    for (let i = 11; i >= 4; i--) {
      n[i]! ^= Number(s & 0xffn);
      s >>= 8n;
    }
    this.seq++;
    return n;
  }

  /** Seals TLSInnerPlaintext = content ‖ innerType ‖ zeros(pad) into an application_data record. */
  seal(innerType: number, content: Uint8Array, pad = 0): Rec {
    const inner = new Uint8Array(content.length + 1 + pad);
    inner.set(content);
    inner[content.length] = innerType;
    return this.sealInner(inner);
  }

  /** Seals an arbitrary TLSInnerPlaintext (for malformed inner plaintexts). */
  sealInner(inner: Uint8Array): Rec {
    const len = inner.length + 16;
    const aad = new Uint8Array([ContentType.application_data, 0x03, 0x03, len >> 8, len & 0xff]);
    return { type: ContentType.application_data, version: 0x0303, fragment: this.aead.seal(this.nonce(), aad, inner) };
  }

  /** Opens one record; throws on authentication failure. Returns the inner type and content. */
  open(r: Rec): { type: number; content: Uint8Array } {
    const aad = new Uint8Array([r.type, r.version >> 8, r.version & 0xff, r.fragment.length >> 8, r.fragment.length & 0xff]);
    const pt = this.aead.open(this.nonce(), aad, r.fragment);
    if (!pt) throw new Error('RawCipher.open: authentication failed');
    let i = pt.length - 1;
    while (i >= 0 && pt[i] === 0) i--;
    if (i < 0) throw new Error('RawCipher.open: no content type');
    return { type: pt[i]!, content: pt.slice(0, i) };
  }
}

// ------------------------------------------------------------------ driving

/**
 * Waits until every record `conn` has begun sealing is sealed (`settled()`; at once for a
 * synchronous AEAD), then takes its output. Use it to read the wire after `write()`,
 * `close()`, `keyUpdate()` or `end()`: with an async AEAD those records appear only later.
 */
export async function flushed(conn: TlsConnection): Promise<Uint8Array | null> {
  await conn.settled();
  return conn.takeOutput();
}

/** Runs the client's first `process()` and returns its ClientHello flight. */
export async function firstFlight(client: TlsConnection): Promise<Uint8Array> {
  await client.process();
  const out = client.takeOutput();
  if (!out) throw new Error('firstFlight: no output');
  return out;
}

/** Feeds all of `bytes` to `conn` (honouring back-pressure) and processes it. */
export async function deliver(conn: TlsConnection, bytes: Uint8Array | null): Promise<void> {
  let rest = bytes ?? new Uint8Array(0);
  for (let guard = 0; rest.length > 0; guard++) {
    if (guard > 100000) throw new Error('deliver: no progress');
    const n = conn.receive(rest);
    rest = rest.subarray(n);
    await conn.process();
    if (n === 0 && conn.error) break;
  }
  await conn.process();
}

/** Delivers `bytes` to `conn` and returns what it sends back. */
export async function respond(conn: TlsConnection, bytes: Uint8Array | null): Promise<Uint8Array> {
  await deliver(conn, bytes);
  return conn.takeOutput() ?? new Uint8Array(0);
}

/** The server's first flight, decrypted: ServerHello (or HRR) and the protected handshake messages. */
export interface ServerFlight {
  /** Raw ServerHello message (header included). */
  serverHello: Uint8Array;
  /** Whether a ChangeCipherSpec record followed it. */
  ccs: boolean;
  /** Raw handshake messages protected under the server handshake key (EE, Certificate, CertificateVerify, Finished). */
  messages: Uint8Array[];
}

/** Decrypts a server first flight (SH, [CCS], {EE…Finished}) with the server handshake key from `keys`. */
export function openServerFlight(bytes: Uint8Array, keys: KeyLog, suite: Tls13Suite = AES128): ServerFlight {
  const recs = parseRecords(bytes);
  const sh = recs.shift();
  if (!sh || sh.type !== ContentType.handshake) throw new Error('openServerFlight: no ServerHello record');
  let ccs = false;
  if (recs[0]?.type === ContentType.change_cipher_spec) {
    recs.shift();
    ccs = true;
  }
  const cipher = RawCipher.from(keys, 'SERVER_HANDSHAKE_TRAFFIC_SECRET', suite);
  const content: Uint8Array[] = [];
  for (const r of recs) {
    const o = cipher.open(r);
    if (o.type !== ContentType.handshake) throw new Error(`openServerFlight: inner type ${o.type}`);
    content.push(o.content);
  }
  return { serverHello: sh.fragment, ccs, messages: splitHandshake(concat(...content)) };
}

/** How {@link sealServerFlight} lays the protected messages out in records. */
export interface SealOptions {
  /** One record per message (default: all messages in one record). */
  perMessage?: boolean;
  /** Extra records to seal (with the same key, in order) before the handshake messages. */
  before?: { type: number; content: Uint8Array }[];
  /** Extra records to seal after the handshake messages. */
  after?: { type: number; content: Uint8Array }[];
}

/** Re-encrypts a (possibly edited) server flight under a fresh server handshake key (sequence 0). */
export function sealServerFlight(f: ServerFlight, keys: KeyLog, suite: Tls13Suite = AES128, opts: SealOptions = {}): Uint8Array {
  const cipher = RawCipher.from(keys, 'SERVER_HANDSHAKE_TRAFFIC_SECRET', suite);
  const recs: Rec[] = [plain(ContentType.handshake, f.serverHello)];
  if (f.ccs) recs.push(plain(ContentType.change_cipher_spec, new Uint8Array([1])));
  for (const b of opts.before ?? []) recs.push(cipher.seal(b.type, b.content));
  if (f.messages.length > 0) {
    if (opts.perMessage) for (const m of f.messages) recs.push(cipher.seal(ContentType.handshake, m));
    else recs.push(cipher.seal(ContentType.handshake, concat(...f.messages)));
  }
  for (const a of opts.after ?? []) recs.push(cipher.seal(a.type, a.content));
  return encodeRecords(recs);
}

/** The alerts in `bytes`: plaintext ones directly, protected ones opened with `cipher`. */
export function alertsIn(bytes: Uint8Array | null, cipher?: RawCipher): { description: number; level: number; protected: boolean }[] {
  const out: { description: number; level: number; protected: boolean }[] = [];
  for (const r of parseRecords(bytes ?? new Uint8Array(0))) {
    if (r.type === ContentType.alert) {
      out.push({ level: r.fragment[0]!, description: r.fragment[1]!, protected: false });
    } else if (r.type === ContentType.application_data && cipher) {
      const o = cipher.open(r);
      if (o.type === ContentType.alert) out.push({ level: o.content[0]!, description: o.content[1]!, protected: true });
    }
  }
  return out;
}
