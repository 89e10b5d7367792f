/**
 * A caller's own {@link CryptoProvider}, checked where its answers would otherwise reach the
 * wire or the key schedule unexamined (issue 9 item 2: providers from callers). The built-in
 * providers are not wrapped; a caller's is, once, by `resolveCryptoProvider` (select.ts).
 *
 * What is checked, each failure a `TlsError('InternalError')` on our side (so the peer gets
 * internal_error, never an alert that blames it, and nothing malformed is sent):
 * - a key share ({@link CryptoProvider.generateKeyShare}) must be for the group asked for and
 *   carry a public value of that group's length (RFC 9846 §4.3.8.2: 32 bytes for X25519, an
 *   uncompressed point for the NIST curves; draft-ietf-tls-ecdhe-mlkem §3 for the hybrids);
 * - an agreement or an encapsulation must give a shared secret of the group's length, and an
 *   encapsulation a server share of the group's length;
 * - the AEAD of a provider that says it is synchronous (`async` false or absent: the record
 *   layer then expects no promise per record) must not answer with a promise or an
 *   asynchronous cipher; `open` answers `null` or plaintext exactly 16 bytes shorter than its
 *   input (RFC 5116 §2.2: the tag is 16 bytes for every supported AEAD), `seal` a Uint8Array.
 *   A promise a lying provider returned anyway is observed, so its rejection is never left
 *   unhandled. What `open` returns is copied (an AEAD answering with a view of a buffer it
 *   reuses would otherwise rewrite plaintext queued for the application), and an async
 *   cipher opens a copy of its input (records opened ahead of a KeyUpdate are opened again
 *   under the new key: an AEAD wiping its input on failure broke that with bad_record_mac).
 * - Errors a provider throws that are not `TlsError`s become InternalError (the handshake
 *   does this too; the record path relies on it here).
 *
 * Everything else is passed through: the provider's members as they are when it is wrapped,
 * methods called on the provider itself (so a class-based provider with private fields keeps
 * working). Key exchange may answer with promises whatever `async` says (the handshake
 * awaits them); only the record layer needs the flag to be true.
 *
 * @module
 */
import { TlsError, isTlsError, thrownText } from '../base/errors.js';
import { NamedGroup } from '../wire/codes.js';
import type { AeadAlg, AeadCipher, AsyncAeadCipher, CryptoProvider, KemEncapsulation, KeyShare, MaybePromise, RandomSource } from './provider.js';
import { isPromiseLike } from './provider.js';

/** Per group: [client key_exchange length, server key_exchange length (KEM), shared secret length]. */
const GROUP_LENGTHS: ReadonlyMap<number, readonly [number, number, number]> = new Map([
  [NamedGroup.x25519, [32, 32, 32]],
  [NamedGroup.secp256r1, [65, 65, 32]],
  [NamedGroup.secp384r1, [97, 97, 48]],
  [NamedGroup.X25519MLKEM768, [1216, 1120, 64]],
  [NamedGroup.SecP256r1MLKEM768, [1249, 1153, 64]],
  [NamedGroup.SecP384r1MLKEM1024, [1665, 1665, 80]],
]);

/** The AEAD tag length of every supported algorithm (RFC 5116 §5.1, §5.2; RFC 8439 §2.8). */
const TAG = 16;

function broken(p: CryptoProvider, detail: string): never {
  throw new TlsError('InternalError', { detail: `crypto provider ${safeName(p)}: ${detail}` });
}

function safeName(p: CryptoProvider): string {
  try {
    return JSON.stringify(String(p.name));
  } catch {
    return '(unnamed)';
  }
}

/** A thrown value as a TlsError: TlsErrors pass, anything else is the provider's InternalError. */
function asTlsError(p: CryptoProvider, what: string, e: unknown): TlsError {
  if (isTlsError(e)) return e;
  return new TlsError('InternalError', { detail: `crypto provider ${safeName(p)}: ${what} failed: ${thrownText(e)}`, cause: e });
}

/**
 * Runs `f` and checks its answer with `check`, at once or when it resolves: what `f` throws or
 * rejects with becomes a TlsError; a promise from a synchronous provider (`sync`) is observed
 * (no unhandled rejection) and refused.
 */
function call<T, R>(p: CryptoProvider, what: string, sync: boolean, f: () => MaybePromise<T>, check: (t: T) => R): MaybePromise<R> {
  let r: MaybePromise<T>;
  try {
    r = f();
  } catch (e) {
    throw asTlsError(p, what, e);
  }
  if (!isPromiseLike(r)) return check(r);
  const later = Promise.resolve(r).then(check, (e: unknown) => {
    throw asTlsError(p, what, e);
  });
  if (!sync) return later;
  later.catch(() => {});
  return broken(p, `${what} returned a promise, but the provider is not async (set async: true)`);
}

/** `v` as a Uint8Array of `length` bytes (any length when undefined), or the provider's InternalError. */
function bytesOf(p: CryptoProvider, what: string, v: unknown, length: number | undefined): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    broken(p, `${what}: ${v instanceof Uint8Array ? `${v.length} bytes, expected ${length}` : 'not a Uint8Array'}`);
  }
  return v;
}

function checkedShare(p: CryptoProvider, group: number, share: unknown): KeyShare {
  const lengths = GROUP_LENGTHS.get(group);
  const s = (share ?? {}) as KeyShare;
  if (s.group !== group || typeof s.agree !== 'function') broken(p, `generateKeyShare(0x${group.toString(16)}) returned no key share for that group`);
  return {
    group,
    publicKey: bytesOf(p, 'key share', s.publicKey, lengths?.[0]),
    agree: (peer: Uint8Array) => call(p, 'agree', false, () => s.agree(peer), (secret) => bytesOf(p, 'shared secret', secret, lengths?.[2])),
  };
}

function checkedAead(p: CryptoProvider, sync: boolean, c: AeadCipher | AsyncAeadCipher): AeadCipher | AsyncAeadCipher {
  // A synchronous cipher answers at once, whatever the provider says; an async one only for an async provider.
  const s = sync || c.async !== true;
  return {
    alg: c.alg,
    async: !s,
    seal: (nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array) => call(p, 'seal', s, () => c.seal(nonce, aad, plaintext), (out) => bytesOf(p, 'seal', out, plaintext.length + TAG)),
    // A copy: the record layer queues plaintext until the application reads it, and an AEAD
    // answering with a view of a buffer it reuses would rewrite what is queued.
    // An async cipher opens a copy: the record layer opens records ahead of a key change and
    // opens them again under the new key, so an AEAD that wipes (or decrypts over) its input
    // when authentication fails would leave nothing to open the second time.
    open: (nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array) => call(p, 'open', s, () => c.open(nonce, aad, s ? sealed : sealed.slice()), (out) => (out === null ? null : bytesOf(p, 'open', out, sealed.length - TAG).slice())),
  } as AeadCipher | AsyncAeadCipher;
}

/**
 * `p` with its answers checked (see the module notes). The result is a new object holding
 * `p`'s members as they are when it is made (methods bound to `p`, so a class-based provider
 * with private fields keeps working), with the checked ones in place.
 */
export function guardProvider(p: CryptoProvider): CryptoProvider {
  const sync = p.async !== true;
  const g: Record<string, unknown> = { guarded: p };
  for (let o: object | null = p; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k === 'constructor' || k in g) continue;
      try {
        const v = (p as unknown as Record<string, unknown>)[k];
        g[k] = typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(p) : v;
      } catch {
        // A getter that throws: left out (a required member missing was refused before this).
      }
    }
  }
  // The one reading of `async` both the checks and the engine go by (a getter may change its answer).
  g.async = !sync;
  g.aead = (alg: AeadAlg, key: Uint8Array) =>
    call(p, 'aead', true, () => p.aead(alg, key), (c) => {
      if (typeof c?.seal !== 'function' || typeof c.open !== 'function') broken(p, `aead(${alg}) returned no cipher`);
      if (sync && c.async === true) throw new TlsError('InternalError', { detail: `crypto provider ${safeName(p)} is not async but returned an async ${alg} AEAD (set async: true)` });
      return checkedAead(p, sync, c);
    });
  // The handshake awaits whatever key exchange answers (a promise is fine there); only the record layer must not get one.
  g.generateKeyShare = (group: number, random: RandomSource) => call(p, 'generateKeyShare', false, () => p.generateKeyShare(group, random), (share) => checkedShare(p, group, share));
  if (typeof p.encapsulate === 'function') {
    g.encapsulate = (group: number, peer: Uint8Array, random: RandomSource) =>
      call(p, 'encapsulate', false, () => p.encapsulate!(group, peer, random), (e: KemEncapsulation) => {
        const lengths = GROUP_LENGTHS.get(group);
        return { publicKey: bytesOf(p, 'encapsulation', e?.publicKey, lengths?.[1]), sharedSecret: bytesOf(p, 'shared secret', e?.sharedSecret, lengths?.[2]) };
      });
  }
  return Object.freeze(g) as unknown as CryptoProvider;
}

/** Providers made by this package (pure, native, webcrypto, composed): answered as they are. */
const TRUSTED = new WeakSet<object>();

/** Marks `p` as one of this package's own providers (not wrapped by {@link guardProvider}). Returns `p`. */
export function markTrusted<T extends CryptoProvider>(p: T): T {
  TRUSTED.add(p);
  return p;
}

/** True for a provider of this package's own ({@link markTrusted}) or one already guarded. */
export function isTrusted(p: CryptoProvider): boolean {
  return TRUSTED.has(p) || isGuarded(p);
}

/** True if `p` was made by {@link guardProvider}. */
export function isGuarded(p: CryptoProvider): boolean {
  return (p as { guarded?: unknown }).guarded !== undefined;
}

/**
 * A caller's `random` option, checked: each draw is a fresh copy of exactly `n` bytes (the
 * handshake keeps hello randoms by reference, so a source answering views of a buffer it
 * refills rewrote a TLS 1.2 random after it was sent: the key block or the signed
 * ServerKeyExchange content then differed from the wire). A source that throws or answers
 * another length or type is `TlsError('InternalError')` naming it.
 */
export function checkedRandom(random: RandomSource): RandomSource {
  return (n: number): Uint8Array => {
    let r: unknown;
    try {
      r = random(n);
    } catch (e) {
      throw new TlsError('InternalError', { detail: `the random source failed: ${thrownText(e)}`, cause: e });
    }
    if (!(r instanceof Uint8Array) || r.length !== n) {
      throw new TlsError('InternalError', { detail: `the random source answered ${r instanceof Uint8Array ? `${r.length} bytes` : 'something that is not a Uint8Array'} for ${n}` });
    }
    return r.slice();
  };
}
