/**
 * Replay protection for 0-RTT data (issue 10 item 3; RFC 9846 §8).
 *
 * Early data is not protected against replay by TLS itself (RFC 9846 §2.3, §8): whoever
 * recorded a ClientHello with early data can send it again. A server that accepts early
 * data therefore combines two defences, as §8 recommends:
 *
 * - a **single-use register** ({@link ReplayRegister}, §8.1/§8.2): the first ClientHello
 *   that presents a given PSK binder claims it; any later ClientHello with the same value
 *   has its early data rejected (the handshake itself goes on, 1-RTT). A register is
 *   bounded: when it is full it refuses to claim (early data rejected) rather than forget
 *   a claim, since forgetting would let a replay through. Entries are kept only as long
 *   as the freshness window could still accept their ClientHello: after that,
 *   {@link isFresh} rejects a replay on its own.
 * - a **freshness window** ({@link isFresh}, §8.3): the client's view of the ticket's age
 *   (the obfuscated age minus `ticket_age_add`) plus the time the ticket was issued is
 *   when the ClientHello should have arrived; if it arrives further than the window from
 *   that, it is old (or the clocks disagree) and its early data is rejected.
 *
 * A register may be shared by every server of a fleet that shares ticket keys (it is an
 * interface with a possibly asynchronous `claim`, so a Redis `SET NX PX` fits). The default
 * {@link MemoryReplayRegister} protects one process.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { toHex } from '../base/bytes.js';
import type { MaybePromise } from '../crypto/provider.js';

/**
 * Where a server records which ClientHellos have presented early data (RFC 9846 §8.2).
 * `claim` answers `true` exactly once per `id` while the entry lives (until `expiresAt`, in
 * milliseconds of the server's clock), and `false` for every later claim of the same `id`,
 * or whenever the register cannot record the claim (full, or its backend failed): a `false`
 * only costs the client a round trip, a wrong `true` lets a replay through.
 */
export interface ReplayRegister {
  /** Records `id` until `expiresAt`; true when it was not recorded before. */
  claim(id: Uint8Array, expiresAt: number): MaybePromise<boolean>;
}

/** Options of {@link MemoryReplayRegister}. */
export interface MemoryReplayRegisterOptions {
  /** Claims kept at once (default 100,000; about 100 bytes each). When full, claims are refused. */
  readonly maxEntries?: number;
  /** Clock (default `Date.now`), milliseconds. */
  readonly now?: () => number;
}

/**
 * The default register: in memory, bounded, each entry dropped once its `expiresAt` has
 * passed. Synchronous. Share one object between server configs to share the protection.
 */
export class MemoryReplayRegister implements ReplayRegister {
  readonly #entries = new Map<string, number>();
  readonly #max: number;
  readonly #now: () => number;
  /** Entries in insertion order are not sorted by expiry; prune scans at most this often. */
  #nextPrune = 0;

  /** @throws TlsError('InvalidConfig') for a `maxEntries` that is not a positive integer */
  constructor(options: MemoryReplayRegisterOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new TlsError('InvalidConfig', { detail: 'maxEntries must be a positive integer' });
    this.#max = max;
    this.#now = options.now ?? Date.now;
  }

  /** Claims currently recorded (expired ones may linger until the next prune). */
  get size(): number {
    return this.#entries.size;
  }

  claim(id: Uint8Array, expiresAt: number): boolean {
    const now = this.#now();
    if (!(expiresAt > now)) return false; // already outside its window: nothing to protect, nothing to accept
    const key = toHex(id);
    const seen = this.#entries.get(key);
    if (seen !== undefined) {
      if (seen > now) return false; // RFC 9846 §8.2: a second ClientHello with this value is a replay
      this.#entries.delete(key); // expired: the freshness window rejects the old hello on its own
    }
    if (this.#entries.size >= this.#max) {
      this.#prune(now);
      // Full of live claims: refuse rather than forget one (forgetting would admit its replay).
      if (this.#entries.size >= this.#max) return false;
    }
    this.#entries.set(key, expiresAt);
    return true;
  }

  /** Drops expired entries; at most one full scan per second of clock time. */
  #prune(now: number): void {
    if (now < this.#nextPrune) return;
    this.#nextPrune = now + 1000;
    for (const [k, exp] of this.#entries) if (exp <= now) this.#entries.delete(k);
  }
}

/**
 * RFC 9846 §8.3: whether a ClientHello presenting a ticket arrived when the client's clock
 * says it should have. `issuedAt` is when the server issued the ticket (from the ticket),
 * `clientAgeMs` the client's ticket age (obfuscated_ticket_age − ticket_age_add, mod 2^32),
 * `now` the server's clock, `windowMs` the tolerance. All in milliseconds.
 */
export function isFresh(issuedAt: number, clientAgeMs: number, now: number, windowMs: number): boolean {
  const expectedArrival = issuedAt + clientAgeMs;
  return Math.abs(now - expectedArrival) <= windowMs;
}

/**
 * Resolves the `replayRegister` server option: a register as given (shared), or a fresh
 * {@link MemoryReplayRegister} for this config.
 * @throws TlsError('InvalidConfig') for something that has no `claim` method
 */
export function resolveReplayRegister(option: ReplayRegister | undefined): ReplayRegister {
  if (option === undefined) return new MemoryReplayRegister();
  if (typeof option !== 'object' || option === null || typeof (option as { claim?: unknown }).claim !== 'function') {
    throw new TlsError('InvalidConfig', { detail: 'replayRegister must have a claim(id, expiresAt) method' });
  }
  return option;
}

/**
 * Asks `register` to claim `id`, treating a throw or a rejection as "not claimed" (early
 * data rejected, the handshake goes on): a failing backend must not admit replays.
 */
export async function claimOnce(register: ReplayRegister, id: Uint8Array, expiresAt: number): Promise<boolean> {
  try {
    return (await register.claim(id, expiresAt)) === true;
  } catch {
    return false;
  }
}
