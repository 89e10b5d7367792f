/**
 * Server ticket keys (issue 10 items 1, 2, 5): the keys that seal stateless session tickets
 * (RFC 9846 §4.7.1 "opaque ticket", RFC 5077 §4 for TLS 1.2), shared by the TLS 1.3 and
 * TLS 1.2 servers.
 *
 * A {@link TicketKeySet} holds a current key, which seals new tickets, and the previous one,
 * which still opens tickets sealed before the last {@link TicketKeySet.rotateTicketKeys}; a
 * ticket under any other key opens to `null`, which the handshake reads as "no session:
 * full handshake" (RFC 9846 §4.3.11: a server that cannot use a PSK ignores it). Opening never
 * throws on hostile input: a short, truncated, tampered or foreign ticket is `null`.
 *
 * Ticket layout (RFC 5077 §4 recommends the same shape):
 *
 * ```
 * key_name[16] ‖ nonce[12] ‖ AES-256-GCM(key, nonce, aad, state) ‖ tag[16]
 * aad = "puretls ticket v1" ‖ key_name
 * ```
 *
 * Each key is 48 bytes in Node's `ticketKeys` form (`tls.Server#getTicketKeys()`): a 16-byte
 * name carried in the ticket, then 32 secret bytes, used here whole as the AES-256-GCM key
 * (Node splits them into an HMAC and an AES-128 key; tickets are not portable between Node and
 * puretls either way, but the 48 bytes are, so a fleet can hand the same keys to both APIs).
 * Export the keys with {@link TicketKeySet.exportNodeTicketKeys} and give the bytes to every
 * server of a fleet (`ticketKeys` server option) so that any of them opens a ticket any of
 * them issued.
 *
 * Nonces are random (12 bytes): with AES-GCM a key must seal fewer than 2^32 messages under
 * random nonces (NIST SP 800-38D §8.3), so the current key rotates by itself after 2^30 seals.
 * The plaintext is the caller's: it must say what it is (the TLS 1.3 state starts with a
 * version tag) so that a 1.3 ticket can never be read as a 1.2 one.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import { TlsError } from '../base/errors.js';
import { andThen, type AeadCipher, type AsyncAeadCipher, type CryptoProvider, type MaybePromise, type RandomSource } from '../crypto/provider.js';
import { defaultRandom } from '../crypto/noble.js';

/** Bytes of a key's name (the identifier carried at the start of each ticket). */
export const TICKET_KEY_NAME_LEN = 16;
/** Bytes of a key's secret (an AES-256-GCM key). */
export const TICKET_KEY_SECRET_LEN = 32;
/** Bytes of one key in Node's `ticketKeys` form: name ‖ secret. */
export const NODE_TICKET_KEYS_LEN = 48;

const NONCE_LEN = 12;
const TAG_LEN = 16;
/** Overhead of sealing: name, nonce and tag. */
export const TICKET_OVERHEAD = TICKET_KEY_NAME_LEN + NONCE_LEN + TAG_LEN;
/** Seals under one key before it is rotated by itself (NIST SP 800-38D §8.3: < 2^32 with random nonces). */
const MAX_SEALS_PER_KEY = 2 ** 30;
const AAD_LABEL = new TextEncoder().encode('puretls ticket v1');

/** One ticket key (held inside a {@link TicketKeySet}; never handed out: export the bytes with `exportTicketKeys`). */
export interface TicketKey {
  readonly name: Uint8Array;
  readonly secret: Uint8Array;
  seals: number;
  /** Ciphers made from this key, per provider (a set may serve configs with different providers). */
  readonly ciphers: WeakMap<CryptoProvider, AeadCipher | AsyncAeadCipher>;
}

/** What {@link TicketKeySet.open} found. */
export interface OpenedTicket {
  /** The sealed state. */
  readonly plaintext: Uint8Array;
  /** False when the ticket was sealed under the previous key (a server may issue a fresh ticket). */
  readonly current: boolean;
}

/** Options of {@link TicketKeySet}. */
export interface TicketKeySetOptions {
  /**
   * Keys to start from, in Node's form: 48 bytes (the current key) or 96 bytes (current then
   * previous). Absent: a fresh random key.
   */
  readonly keys?: Uint8Array;
  /** Random source for new keys (default: `globalThis.crypto.getRandomValues`). */
  readonly random?: RandomSource;
}

function keyFrom(bytes: Uint8Array): TicketKey {
  if (bytes.length !== NODE_TICKET_KEYS_LEN) throw new TlsError('InvalidConfig', { detail: `a ticket key is ${NODE_TICKET_KEYS_LEN} bytes (name ‖ secret), got ${bytes.length}` });
  return {
    name: bytes.slice(0, TICKET_KEY_NAME_LEN),
    secret: bytes.slice(TICKET_KEY_NAME_LEN),
    seals: 0,
    ciphers: new WeakMap(),
  };
}

function wipe(k: TicketKey | null): void {
  if (k) k.secret.fill(0);
}

/** Constant-time equality of two key names (they are not secret, but cheap to compare this way). */
function sameName(a: Uint8Array, b: Uint8Array): boolean {
  let d = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * A server's ticket keys: the current key seals, the current and the previous one open.
 * One set may be shared by any number of server configs (and so connections); rotating it
 * affects them all at once.
 *
 * @example
 * ```ts
 * const keys = new TicketKeySet();
 * const a = createServerConfig({ cert, key, ticketKeys: keys });
 * setInterval(() => keys.rotateTicketKeys(), 12 * 3600_000); // tickets live ≤ 2 periods
 * // a fleet: every server gets the same bytes
 * const shared = keys.exportNodeTicketKeys(); // 48 bytes, secret
 * const b = createServerConfig({ cert, key, ticketKeys: shared });
 * ```
 */
export class TicketKeySet {
  /** Null until first needed (a set made without keys draws its key lazily; see the constructor). */
  #current: TicketKey | null = null;
  #previous: TicketKey | null = null;
  readonly #random: RandomSource | undefined;

  /**
   * Without `keys`, the first key is drawn when first needed (the first ticket sealed, an
   * export or a rotation): from `random` if given, else from the random source of the
   * connection that seals the first ticket (so a server with a seeded random source stays
   * reproducible, and making a config draws nothing).
   * @throws TlsError('InvalidConfig') when `keys` is not 48 or 96 bytes
   */
  constructor(options: TicketKeySetOptions = {}) {
    this.#random = options.random;
    const k = options.keys;
    if (k !== undefined) {
      if (!(k instanceof Uint8Array) || (k.length !== NODE_TICKET_KEYS_LEN && k.length !== 2 * NODE_TICKET_KEYS_LEN)) {
        throw new TlsError('InvalidConfig', { detail: `ticketKeys must be ${NODE_TICKET_KEYS_LEN} or ${2 * NODE_TICKET_KEYS_LEN} bytes` });
      }
      this.#current = keyFrom(k.subarray(0, NODE_TICKET_KEYS_LEN));
      if (k.length > NODE_TICKET_KEYS_LEN) this.#previous = keyFrom(k.subarray(NODE_TICKET_KEYS_LEN));
    }
  }

  /** The current key, drawn now if there is none yet. */
  #currentKey(random?: RandomSource): TicketKey {
    return (this.#current ??= keyFrom((this.#random ?? random ?? defaultRandom)(NODE_TICKET_KEYS_LEN)));
  }

  /** The current key's name (not secret: every ticket carries it). */
  get currentKeyName(): Uint8Array {
    return copyBytes(this.#currentKey().name);
  }

  /**
   * Makes a fresh current key; the current one becomes the previous one (its tickets still
   * open) and the previous one is wiped (its tickets now open to `null`: full handshake).
   */
  rotateTicketKeys(): void {
    wipe(this.#previous);
    this.#previous = this.#current;
    this.#current = keyFrom((this.#random ?? defaultRandom)(NODE_TICKET_KEYS_LEN));
  }

  /**
   * Replaces both keys with the given ones (Node's `server.setTicketKeys(keys)`): 48 bytes
   * (current; no previous key) or 96 (current then previous).
   * @throws TlsError('InvalidConfig') for any other length
   */
  setTicketKeys(keys: Uint8Array): void {
    const next = new TicketKeySet({ keys, ...(this.#random ? { random: this.#random } : {}) });
    wipe(this.#previous);
    wipe(this.#current);
    this.#current = next.#current;
    this.#previous = next.#previous;
  }

  /**
   * The current key in Node's 48-byte form (`server.getTicketKeys()`): name ‖ secret. The
   * bytes are secret: whoever has them can open every ticket and so resume every session.
   */
  exportNodeTicketKeys(): Uint8Array {
    const cur = this.#currentKey();
    const out = new Uint8Array(NODE_TICKET_KEYS_LEN);
    out.set(cur.name, 0);
    out.set(cur.secret, TICKET_KEY_NAME_LEN);
    return out;
  }

  /** Both keys (96 bytes: current ‖ previous), or the current one alone (48) when there is no previous key. Secret. */
  exportTicketKeys(): Uint8Array {
    const cur = this.exportNodeTicketKeys();
    if (!this.#previous) return cur;
    const out = new Uint8Array(2 * NODE_TICKET_KEYS_LEN);
    out.set(cur, 0);
    out.set(this.#previous.name, NODE_TICKET_KEYS_LEN);
    out.set(this.#previous.secret, NODE_TICKET_KEYS_LEN + TICKET_KEY_NAME_LEN);
    return out;
  }

  /**
   * Seals `plaintext` into a ticket under the current key.
   * @param crypto - the provider that runs the AEAD (AES-256-GCM)
   * @param random - nonce source (the connection's, so that a seeded handshake is reproducible)
   */
  seal(crypto: CryptoProvider, random: RandomSource, plaintext: Uint8Array): MaybePromise<Uint8Array> {
    if (this.#currentKey(random).seals >= MAX_SEALS_PER_KEY) this.rotateTicketKeys();
    const key = this.#currentKey(random);
    key.seals++;
    const nonce = random(NONCE_LEN);
    const sealed = cipherOf(key, crypto).seal(nonce, aadOf(key.name), plaintext);
    return andThen(sealed, (ct) => {
      const out = new Uint8Array(TICKET_KEY_NAME_LEN + NONCE_LEN + ct.length);
      out.set(key.name, 0);
      out.set(nonce, TICKET_KEY_NAME_LEN);
      out.set(ct, TICKET_KEY_NAME_LEN + NONCE_LEN);
      return out;
    });
  }

  /**
   * Opens a ticket: its plaintext, or `null` for a ticket under an unknown (or rotated-out)
   * key, too short, or failing authentication. Never throws (or rejects) on any input.
   */
  open(crypto: CryptoProvider, ticket: Uint8Array): MaybePromise<OpenedTicket | null> {
    if (!(ticket instanceof Uint8Array) || ticket.length < TICKET_OVERHEAD) return null;
    const name = ticket.subarray(0, TICKET_KEY_NAME_LEN);
    const cur = this.#current;
    const prev = this.#previous;
    // No key yet: nothing was ever sealed here.
    const key = cur && sameName(name, cur.name) ? cur : prev && sameName(name, prev.name) ? prev : null;
    if (!key) return null;
    const nonce = ticket.subarray(TICKET_KEY_NAME_LEN, TICKET_KEY_NAME_LEN + NONCE_LEN);
    const body = ticket.subarray(TICKET_KEY_NAME_LEN + NONCE_LEN);
    let opened: MaybePromise<Uint8Array | null>;
    try {
      opened = cipherOf(key, crypto).open(nonce, aadOf(key.name), body);
    } catch {
      return null;
    }
    const done = andThen(opened, (pt) => (pt ? { plaintext: pt, current: key === cur } : null));
    return done instanceof Promise ? done.catch(() => null) : done;
  }
}

function cipherOf(key: TicketKey, crypto: CryptoProvider): AeadCipher | AsyncAeadCipher {
  let c = key.ciphers.get(crypto);
  if (!c) {
    c = crypto.aead('AES-256-GCM', key.secret);
    key.ciphers.set(crypto, c);
  }
  return c;
}

function aadOf(name: Uint8Array): Uint8Array {
  const aad = new Uint8Array(AAD_LABEL.length + name.length);
  aad.set(AAD_LABEL, 0);
  aad.set(name, AAD_LABEL.length);
  return aad;
}

/**
 * The `ticketKeys` server option as a key set: a {@link TicketKeySet} as given (shared), bytes
 * in Node's form (48 or 96) as a new set, absent as a fresh random set for this config.
 * @throws TlsError('InvalidConfig') for anything else
 */
export function resolveTicketKeys(option: TicketKeySet | Uint8Array | undefined, random: RandomSource): TicketKeySet {
  // Drawn lazily from the sealing connection's random source (see the constructor).
  if (option === undefined) return new TicketKeySet();
  if (option instanceof TicketKeySet) return option;
  if (option instanceof Uint8Array) return new TicketKeySet({ keys: option, random });
  throw new TlsError('InvalidConfig', { detail: 'ticketKeys must be a TicketKeySet or 48/96 bytes' });
}
