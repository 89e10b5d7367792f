/**
 * Client session resumption as one replaceable part (issue 9 item 5): taking a stored session,
 * offering it (TLS 1.3 PSK with binders, RFC 9846 §4.3.11; TLS 1.2 session ID or ticket,
 * RFC 5246 §7.4.1.2, RFC 5077 §3.4) and the session store a configuration keeps. The full
 * entries always have it; `puretls/client` has it with its `resumption` module, and without it
 * behaves as `sessionStore: false` does (no session kept, none offered).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { CertifiedKey, ClientOptions, ResolvedCommon } from '../config/config.js';
import type { CryptoProvider, MaybePromise } from '../crypto/provider.js';
import { toHex } from '../base/bytes.js';
import { tls13Suite } from '../crypto/suites.js';
import { ConnectionSessionStore } from '../session/offer.js';
import type { ResumableSession, Tls12Session } from '../session/session.js';
import { MemorySessionStore, sessionStoreKey, takeSession, trustFingerprint, type SessionStore } from '../session/store.js';
import { offer12, usableSession12 } from './client-resume12.js';
import { acceptPskSelection, offerPsk, sessionHash, type PskOffer } from './psk.js';
import { keepTicketSession, sendEarlyData } from './client-sessions.js';

/** What a client config's trust decision is made of (see `trustFingerprint`, session/store.ts). */
export interface ConfigTrust {
  /** The options that decide trust (`verifier`, `maxDepth`, `commonNameFallback`, `checkServerIdentity`, `requireRevocationInformation`). */
  readonly options: Pick<ClientOptions, 'verifier' | 'maxDepth' | 'commonNameFallback' | 'checkServerIdentity' | 'requireRevocationInformation'>;
  /** Trust anchors as configured (PEM text or DER). */
  readonly anchors: readonly (string | Uint8Array)[];
  /** Certificate error codes the config accepts. */
  readonly ignorable: readonly string[];
  /** The client's own certificate, if any. */
  readonly identity: CertifiedKey | null;
}

/** What a client needs to resume sessions; see the module notes. */
export interface ClientResumption {
  /** A session for `key`, taken out of `store` (single use, RFC 9846 §C.4). */
  take(store: SessionStore, key: string, now: number): MaybePromise<ResumableSession | undefined>;
  /** The TLS 1.3 PSK offer for a stored session: only for a TLS 1.3 session whose suite's hash we offer (RFC 9846 §4.3.11). */
  pskOfferFor(cfg: ResolvedCommon, s: ResumableSession | undefined): PskOffer | null;
  /** A stored TLS 1.2 session we may offer (`client-resume12.ts`). */
  session12For(cfg: ResolvedCommon, s: ResumableSession | undefined): Tls12Session | undefined;
  readonly offer12: typeof offer12;
  readonly offerPsk: typeof offerPsk;
  /** The `sessionStore` option: a store as given, `false` as none, absent as a fresh memory store. */
  resolveStore(o: SessionStore | false | undefined, now: () => number): SessionStore | null;
  /** A connection's store: the config's, with its `session` / `onSession` if given. */
  connectionStore(store: SessionStore | null, session: unknown, onSession: unknown): SessionStore | null;
  /** The key sessions are kept under. */
  readonly storeKey: typeof sessionStoreKey;
  /** The fingerprint of a config's trust decision, which that key includes (here: only sessions need it). */
  configTrust(crypto: CryptoProvider, t: ConfigTrust): string;
  /** The server's pre_shared_key selection, checked against the PSK we offered (`psk.ts`). */
  readonly acceptPskSelection: typeof acceptPskSelection;
  /** 0-RTT data after the first ClientHello (`client-sessions.ts`). */
  readonly sendEarlyData: typeof sendEarlyData;
  /** A NewSessionTicket stored as a session (`client-sessions.ts`). */
  readonly keepTicket: typeof keepTicketSession;
}

/** Client session resumption (what `puretls` and `puretls/node` always have). */
export const CLIENT_RESUMPTION: ClientResumption = {
  take: takeSession,
  pskOfferFor(cfg, s) {
    if (!s || s.version !== 'TLSv1.3') return null;
    const hash = sessionHash(s);
    if (hash === undefined || !cfg.suites.some((c) => tls13Suite(c)?.hash === hash)) return null;
    return { session: s, hash };
  },
  session12For(cfg, s) {
    if (!s || s.version !== 'TLSv1.2') return undefined;
    return usableSession12(s, cfg.suites);
  },
  offer12,
  offerPsk,
  resolveStore(o, now) {
    if (o === false) return null;
    if (o === undefined) return new MemorySessionStore({ now });
    if (typeof o !== 'object' || o === null || typeof o.get !== 'function' || typeof o.put !== 'function' || typeof o.delete !== 'function') {
      throw new TlsError('InvalidConfig', { detail: 'sessionStore must have get, put and delete methods (or be false)' });
    }
    return o;
  },
  connectionStore(store, session, onSession) {
    if (session === undefined && onSession === undefined) return store;
    if (onSession !== undefined && typeof onSession !== 'function') throw new TlsError('InvalidConfig', { detail: 'onSession must be a function' });
    return new ConnectionSessionStore(store, session as ConstructorParameters<typeof ConnectionSessionStore>[1], onSession as ConstructorParameters<typeof ConnectionSessionStore>[2]);
  },
  storeKey: sessionStoreKey,
  configTrust(crypto, t) {
    const o = t.options;
    return trustFingerprint(crypto, {
      anchors: t.anchors,
      ignorable: t.ignorable,
      verifier: o.verifier ?? `basic:${o.maxDepth ?? ''}:${o.commonNameFallback === true}`,
      checkServerIdentity: o.checkServerIdentity,
      extra: `revocation:${o.requireRevocationInformation === true}|identity:${t.identity ? toHex(crypto.digest('sha256', t.identity.chain[0]!)) : '-'}`,
    });
  },
  acceptPskSelection,
  sendEarlyData,
  keepTicket: keepTicketSession,
};
