/**
 * The client session store (issue 10 item 1): where a client keeps sessions between
 * connections, and the key that decides which sessions a connection may offer.
 *
 * A session is stored under {@link sessionStoreKey}: the server name and a fingerprint of
 * the trust decision that authenticated the first connection ({@link trustFingerprint}:
 * the trust anchors, the ignorable certificate errors, the verifier and the name-check
 * hook, the revocation policy, the client identity). A connection looks up only its own
 * key, so a ticket is never offered to another name, nor after any of those changed: a
 * session is only as good as the check it skipped.
 *
 * Each session is used once: {@link takeSession} gets it and deletes it before the
 * ClientHello goes out (RFC 9846 §4.7.1 and §8.1 advise single-use tickets; a server with a
 * single-use register would refuse a second use anyway). The server's next tickets refill
 * the store.
 *
 * The store is pluggable: anything with async `get` / `put` / `delete` (a Redis or
 * browser-storage cache) works; {@link MemorySessionStore} is the default (bounded in count,
 * entries expire).
 *
 * @module
 */
import type { CryptoProvider, MaybePromise } from '../crypto/provider.js';
import { toHex } from '../base/bytes.js';
import { internCertificate } from '../base/intern.js';
import { isSessionFresh, type ResumableSession } from './session.js';

/**
 * A place to keep sessions, keyed by {@link sessionStoreKey}. Each method may return a
 * promise. A store may hold several sessions per key (a server sends several tickets).
 * Sessions are read-only: their byte arrays (certificates in particular) may be shared with
 * other sessions and connections, so a store must keep or copy them, never write into them.
 */
export interface SessionStore {
  /** A session for `key` (the newest is best), or undefined. */
  get(key: string): MaybePromise<ResumableSession | undefined>;
  /** Adds a session under `key`. */
  put(key: string, session: ResumableSession): MaybePromise<void>;
  /** Removes `session` (compare tickets, not object identity, if sessions are copied) from under `key`. */
  delete(key: string, session: ResumableSession): MaybePromise<void>;
}

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Sessions kept in all (default 256); the oldest go first. */
  readonly maxSessions?: number;
  /** Sessions kept per key (default 4); the oldest go first. */
  readonly maxPerKey?: number;
  /** Clock for expiry (default `Date.now`). */
  readonly now?: () => number;
}

/** Same session: the same ticket bytes (sessions may be copies). */
function sameSession(a: ResumableSession, b: ResumableSession): boolean {
  if (a === b) return true;
  if (a.version !== b.version || !sameBytes(a.ticket, b.ticket)) return false;
  // A TLS 1.2 session may have no ticket, only a session ID.
  return a.version !== 'TLSv1.2' || (b.version === 'TLSv1.2' && sameBytes(a.sessionId, b.sessionId));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The default store: in memory, bounded in count (overall and per key), expired sessions
 * dropped when seen. Synchronous.
 */
export class MemorySessionStore implements SessionStore {
  // Map order is insertion order: the first key holds the oldest entry touched.
  readonly #byKey = new Map<string, ResumableSession[]>();
  #count = 0;
  readonly #max: number;
  readonly #perKey: number;
  readonly #now: () => number;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#max = Math.max(1, Math.floor(options.maxSessions ?? 256));
    this.#perKey = Math.max(1, Math.floor(options.maxPerKey ?? 4));
    this.#now = options.now ?? Date.now;
  }

  /** Sessions held (expired ones included until seen). */
  get size(): number {
    return this.#count;
  }

  get(key: string): ResumableSession | undefined {
    const list = this.#byKey.get(key);
    if (!list) return undefined;
    const now = this.#now();
    const fresh = list.filter((s) => isSessionFresh(s, now));
    this.#count -= list.length - fresh.length;
    if (fresh.length === 0) {
      this.#byKey.delete(key);
      return undefined;
    }
    this.#byKey.set(key, fresh);
    return fresh[fresh.length - 1];
  }

  put(key: string, session: ResumableSession): void {
    let list = this.#byKey.get(key);
    if (!list) {
      list = [];
    } else {
      // Touched: move to the end of the eviction order.
      this.#byKey.delete(key);
    }
    list.push(session);
    this.#count++;
    while (list.length > this.#perKey) {
      list.shift();
      this.#count--;
    }
    this.#byKey.set(key, list);
    while (this.#count > this.#max) {
      const first = this.#byKey.keys().next();
      if (first.done) break;
      const oldest = this.#byKey.get(first.value)!;
      oldest.shift();
      this.#count--;
      if (oldest.length === 0) this.#byKey.delete(first.value);
    }
  }

  delete(key: string, session: ResumableSession): void {
    const list = this.#byKey.get(key);
    if (!list) return;
    const i = list.findIndex((s) => sameSession(s, session));
    if (i < 0) return;
    list.splice(i, 1);
    this.#count--;
    if (list.length === 0) this.#byKey.delete(key);
  }
}

/**
 * Takes a session out of `store` for `key`: gets one, deletes it (single use), and returns
 * it if it is still fresh at `now` and was stored under that key (a store that mixes keys
 * up cannot make a client offer another server's ticket). A store that throws or rejects
 * means no session (a full handshake), never a failed connection. Synchronous when the
 * store is (the default one is).
 */
export function takeSession(store: SessionStore, key: string, now: number): MaybePromise<ResumableSession | undefined> {
  const check = (s: ResumableSession | undefined): ResumableSession | undefined =>
    typeof s === 'object' && s !== null && s.storeKey === key && isSessionFresh(s, now) ? s : undefined;
  try {
    const got = store.get(key);
    const afterGet = (s: ResumableSession | undefined): MaybePromise<ResumableSession | undefined> => {
      if (s === undefined) return undefined;
      // Deleted before use: a session whose delete fails is not used (it could be used twice).
      const d = store.delete(key, s);
      return d instanceof Promise ? d.then(() => check(s)) : check(s);
    };
    const r = got instanceof Promise ? got.then(afterGet) : afterGet(got);
    return r instanceof Promise ? r.catch(() => undefined) : r;
  } catch {
    return undefined;
  }
}

/**
 * Removes `session` from under its key (RFC 5246 §7.2.2: a session whose connection ended
 * with a fatal alert is not resumed); a store that throws or rejects is not the connection's
 * failure.
 */
export function forgetSession(store: SessionStore, session: ResumableSession): void {
  try {
    const r = store.delete(session.storeKey, session);
    if (r instanceof Promise) r.catch(() => undefined);
  } catch {
    // As keepSession: the store's problem, not the connection's.
  }
}

/**
 * Stores `session` under its key; a store that throws or rejects loses the session, nothing
 * else. Its certificates are interned first (one copy per distinct certificate across the
 * process: a store and every socket's latest session would otherwise each hold the chain).
 */
export function keepSession(store: SessionStore, session: ResumableSession): MaybePromise<void> {
  try {
    session = withSharedCertificates(session);
    const r = store.put(session.storeKey, session);
    return r instanceof Promise ? r.catch(() => undefined) : r;
  } catch {
    return undefined;
  }
}

/**
 * `session` as {@link keepSession} stores it: its certificates shared with every other session
 * holding the same ones (the same object when they already are).
 */
export function withSharedCertificates<S extends ResumableSession>(session: S): S {
  const certs = session.peerCertificates;
  const shared = certs.map(internCertificate);
  return shared.some((c, i) => c !== certs[i]) ? { ...session, peerCertificates: shared } : session;
}

/** The last key made (most clients dial one server under one config): reused, not rebuilt. */
let lastKey: { readonly serverName: string; readonly trust: string; readonly key: string } | null = null;

/**
 * The store key of a server name under a trust fingerprint. Every connection keeps its key
 * (in its session keeper and in each session): connections to the server dialled last share
 * one string rather than a copy each (memory, issue 9).
 */
export function sessionStoreKey(serverName: string, trust: string): string {
  const last = lastKey;
  if (last !== null && last.serverName === serverName && last.trust === trust) return last.key;
  const key = `${serverName.toLowerCase()}|${trust}`;
  lastKey = { serverName, trust, key };
  return key;
}

/** What decided to trust a server: everything {@link trustFingerprint} hashes. */
export interface TrustDecisionInputs {
  /** Trust anchors as configured (PEM text or DER). */
  readonly anchors: readonly (string | Uint8Array)[];
  /** Certificate error codes the caller accepts. */
  readonly ignorable: readonly string[];
  /** The verifier: `'basic'` plus its options for the built-in one; a custom one by identity. */
  readonly verifier: object | string;
  /** A `checkServerIdentity` hook, by identity. */
  readonly checkServerIdentity?: object;
  /** Other settings that change the verdict (revocation policy, client identity, ...). */
  readonly extra: string;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** A process-local number for an object (a custom verifier or hook): the same object, the same number. */
function identityOf(o: object): number {
  let id = identities.get(o);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(o, id);
  }
  return id;
}

/**
 * A fingerprint (hex SHA-256) of a trust decision: anchors (in order), the ignorable set
 * (sorted), the verifier (a custom verifier and a `checkServerIdentity` hook by object
 * identity, so sessions made under one custom verifier are never offered under another),
 * and `extra`. Computed once per client config.
 */
export function trustFingerprint(crypto: CryptoProvider, t: TrustDecisionInputs): string {
  const enc = new TextEncoder();
  const h = crypto.hash('sha256');
  const field = (tag: string, b: Uint8Array): void => {
    const head = enc.encode(`${tag}:${b.length}:`);
    h.update(head);
    h.update(b);
  };
  for (const a of t.anchors) field(typeof a === 'string' ? 'pem' : 'der', typeof a === 'string' ? enc.encode(a) : a);
  field('ignorable', enc.encode([...t.ignorable].sort().join(',')));
  field('verifier', enc.encode(typeof t.verifier === 'string' ? t.verifier : `custom#${identityOf(t.verifier)}`));
  field('checkServerIdentity', enc.encode(t.checkServerIdentity ? `hook#${identityOf(t.checkServerIdentity)}` : 'none'));
  field('extra', enc.encode(t.extra));
  return toHex(h.digest());
}
