/**
 * 0-RTT replay protection (RFC 9846 §8): a register of tickets already used for early data.
 *
 * 0-RTT data is not protected against replay by the protocol: an attacker who captured a
 * ClientHello with early data can send it again. RFC 9846 §8.1 ("single-use tickets") has
 * the server accept early data under a ticket once; §8.3 adds a freshness check (the ticket
 * age the client reports must agree with ours, `TICKET_AGE_TOLERANCE_MS` in
 * `handshake/psk.ts`), so the register only needs to remember a ticket until it expires.
 *
 * A register is bounded: when it is full it refuses (the client falls back to sending its
 * data after the handshake), never forgets early. Servers of one fleet that share ticket
 * keys must share one register too (any async store: `claim` may return a promise), else a
 * ClientHello replayed to another server is accepted there (RFC 9846 §8.2).
 *
 * @module
 */
import type { MaybePromise } from '../crypto/provider.js';

/** Remembers which tickets were used for 0-RTT. */
export interface EarlyDataRegister {
  /**
   * Claims `id` (a ticket's fingerprint) for early data until `expiresAt` (ms): true the
   * first time, false if it was claimed before (a replay) or the register cannot remember
   * it. A rejection or throw counts as false.
   */
  claim(id: string, expiresAt: number, now: number): MaybePromise<boolean>;
}

/** Options of {@link MemoryEarlyDataRegister}. */
export interface MemoryEarlyDataRegisterOptions {
  /** Tickets remembered at most (default 65536); when full, early data is refused. */
  readonly maxEntries?: number;
}

/** The default register: in memory, bounded, entries dropped once their ticket expired. */
export class MemoryEarlyDataRegister implements EarlyDataRegister {
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(options: MemoryEarlyDataRegisterOptions = {}) {
    this.#max = Math.max(1, Math.floor(options.maxEntries ?? 65536));
  }

  /** Tickets remembered now. */
  get size(): number {
    return this.#seen.size;
  }

  claim(id: string, expiresAt: number, now: number): boolean {
    const prior = this.#seen.get(id);
    if (prior !== undefined && prior > now) return false;
    if (prior !== undefined) this.#seen.delete(id);
    if (this.#seen.size >= this.#max) {
      // Drop what expired (insertion order is not expiry order: scan once).
      for (const [k, exp] of this.#seen) if (exp <= now) this.#seen.delete(k);
      if (this.#seen.size >= this.#max) return false;
    }
    this.#seen.set(id, expiresAt);
    return true;
  }
}

/** Claims `id` in `register`; any failure of the register is a refusal. */
export async function claimEarlyData(register: EarlyDataRegister, id: string, expiresAt: number, now: number): Promise<boolean> {
  try {
    return (await register.claim(id, expiresAt, now)) === true;
  } catch {
    return false;
  }
}
