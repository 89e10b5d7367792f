/**
 * One connection's view of the client session store (issue 10 item 5, Node's `session`
 * option and `'session'` event): a session the caller hands to this connection is offered
 * first, and each session the server gives is reported to the caller as well as kept in the
 * config's store.
 *
 * The offered session goes through the same checks as a stored one (`takeSession`: made
 * under this connection's server name and trust decision, still fresh, used once): a
 * session for another server, or from before the trust anchors changed, is simply not
 * offered and the handshake is a full one.
 *
 * @module
 */
import type { MaybePromise } from '../crypto/provider.js';
import type { ResumableSession } from './session.js';
import type { SessionStore } from './store.js';

/**
 * A store over `base` (the config's, or none) for one connection: `offered` first, then
 * `base`; `onSession` sees every session put. (A class, not closures: one small object per
 * connection.)
 */
export class ConnectionSessionStore implements SessionStore {
  #pending: ResumableSession | undefined;
  readonly #base: SessionStore | null;
  readonly #onSession: ((s: ResumableSession) => void) | undefined;

  constructor(base: SessionStore | null, offered: ResumableSession | undefined, onSession: ((s: ResumableSession) => void) | undefined) {
    this.#base = base;
    this.#pending = offered;
    this.#onSession = onSession;
  }

  get(key: string): MaybePromise<ResumableSession | undefined> {
    if (this.#pending !== undefined) return this.#pending;
    return this.#base ? this.#base.get(key) : undefined;
  }

  put(key: string, session: ResumableSession): MaybePromise<void> {
    try {
      this.#onSession?.(session);
    } catch {
      // A listener's failure loses nothing but its own notification.
    }
    return this.#base ? this.#base.put(key, session) : undefined;
  }

  delete(key: string, session: ResumableSession): MaybePromise<void> {
    // Single use: the offered session is dropped once taken.
    if (this.#pending !== undefined && session === this.#pending) {
      this.#pending = undefined;
      return undefined;
    }
    return this.#base ? this.#base.delete(key, session) : undefined;
  }
}
