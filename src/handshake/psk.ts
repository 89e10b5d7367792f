/**
 * TLS 1.3 resumption PSKs in the handshake (RFC 9846 §2.2, §4.3.9, §4.3.11): the client's
 * offer (identity, obfuscated ticket age, binder over the truncated ClientHello), the
 * server's check of a binder, and the client's check of the server's selection. Each check
 * yields a proof only it can make:
 *
 * ```
 * server: verifyBinder ──► BinderVerified ──► ClientAuthDecided.resumed(...)   (proofs.ts)
 * client: acceptPskSelection ──► PskSelected ──► ServerAuthenticated.byPsk(...) (proofs.ts)
 * ```
 *
 * A PSK authenticates each side to the other only through keys derived from it: the
 * server's Finished (and the client's) is keyed by a handshake secret that depends on the
 * PSK, so a peer without the PSK cannot produce one (RFC 9846 §2.2, §E.1). The proofs say
 * that the PSK in use is the one the check looked at.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import type { CryptoProvider, HashAlg } from '../crypto/provider.js';
import { tls13Suite, type Tls13Suite } from '../crypto/suites.js';
import { KeySchedule, finishedVerifyData } from '../keys/tls13-schedule.js';
import { PskKeyExchangeMode } from '../wire/codes.js';
import { encodeHandshakeWith } from '../wire/handshake.js';
import { encodeClientHello, truncatedClientHello } from '../wire/hello.js';
import type { ClientHello } from '../wire/messages.js';
import type { Tls13Session } from '../session/session.js';
import type { TranscriptHash } from './transcript.js';

/** ticket_age tolerance (ms) before a ticket is declined (RFC 9846 §8.3: a small window). */
export const TICKET_AGE_TOLERANCE_MS = 10_000;

/** The hash of a session's suite (the PSK's hash, RFC 9846 §4.3.11), or undefined for an unknown suite. */
export function sessionHash(s: Tls13Session): HashAlg | undefined {
  return tls13Suite(s.cipherSuite)?.hash;
}

/** The PSK a client offers: the session, and its hash. */
export interface PskOffer {
  readonly session: Tls13Session;
  readonly hash: HashAlg;
}

/**
 * RFC 9846 §4.3.11: `obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32`, the age
 * measured from when the ticket was received.
 */
export function obfuscatedTicketAge(s: Tls13Session, now: number): number {
  const age = Math.max(0, Math.floor(now - s.receivedAt));
  return (age + s.ageAdd) >>> 0;
}

/**
 * Adds the PSK offer to a ClientHello (RFC 9846 §4.3.9, §4.3.11): psk_key_exchange_modes
 * and pre_shared_key (last), with binders computed over the ClientHello truncated before
 * them. `prefix` is the transcript before this ClientHello: null for the first one (binders
 * cover the ClientHello alone), the transcript holding message_hash(ClientHello1) and the
 * HelloRetryRequest for the second (RFC 9846 §4.3.11.2).
 */
export function offerPsk(crypto: CryptoProvider, ch: ClientHello, offer: PskOffer, now: number, allowPskKe: boolean, prefix: TranscriptHash | null): ClientHello {
  const s = offer.session;
  // RFC 9846 §4.3.9: a client offering a PSK MUST send psk_key_exchange_modes; psk_ke only when allowed.
  const modes = allowPskKe ? [PskKeyExchangeMode.psk_dhe_ke, PskKeyExchangeMode.psk_ke] : [PskKeyExchangeMode.psk_dhe_ke];
  const hashLen = crypto.digest(offer.hash, new Uint8Array(0)).length;
  const withPlaceholder: ClientHello = {
    ...ch,
    raw: undefined,
    extensions: {
      ...ch.extensions,
      pskKeyExchangeModes: modes,
      preSharedKey: { identities: [{ identity: s.ticket, obfuscatedTicketAge: obfuscatedTicketAge(s, now) }], binders: [new Uint8Array(hashLen)] },
    },
  };
  // The ClientHello's own encoder (not every message's: the client-only entry's resumption
  // module would carry the server's encoders).
  const truncated = truncatedClientHello(withPlaceholder, encodeHandshakeWith((w) => encodeClientHello(w, withPlaceholder), withPlaceholder));
  const binder = computeBinder(crypto, offer.hash, s.psk, prefix ? prefix.currentWith(truncated) : crypto.digest(offer.hash, truncated));
  return { ...withPlaceholder, extensions: { ...withPlaceholder.extensions, preSharedKey: { identities: withPlaceholder.extensions.preSharedKey!.identities, binders: [binder] } } };
}

/** RFC 9846 §4.3.11.2: a resumption binder = Finished-style HMAC under `binder_key` ("res binder"). */
function computeBinder(crypto: CryptoProvider, hash: HashAlg, psk: Uint8Array, truncatedHash: Uint8Array): Uint8Array {
  const binderKey = KeySchedule.start(crypto, hash, psk).binderKey('resumption');
  try {
    return finishedVerifyData(crypto, hash, binderKey, truncatedHash);
  } finally {
    binderKey.fill(0);
  }
}

/** Only this module holds this: nothing else can make the proofs below. */
const MINT: unique symbol = Symbol('psk');
let mintBinder: (identity: number) => BinderVerified;
let mintSelected: (session: Tls13Session) => PskSelected;

/**
 * Proof, on the server, that the client holds the PSK of the identity we chose: its binder
 * verified in constant time over the ClientHello truncated before the binders (RFC 9846
 * §4.3.11.2), so the ClientHello is bound to the PSK.
 */
export class BinderVerified {
  readonly #mint: typeof MINT;
  /** The index of the identity (selected_identity). */
  readonly identity: number;
  private constructor(mint: typeof MINT, identity: number) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a BinderVerified is made by verifyBinder only' });
    this.#mint = mint;
    this.identity = identity;
  }
  static {
    mintBinder = (i) => new BinderVerified(MINT, i);
  }
}

/**
 * Checks the binder of identity `index` (RFC 9846 §4.3.11.2): "the server MUST validate the
 * corresponding binder value ... If this value is not present or does not validate, the
 * server MUST abort the handshake" (decrypt_error, as for Finished, §4.5.3).
 *
 * @param truncatedHash - Hash(transcript before this ClientHello ‖ this ClientHello truncated before its binders)
 * @throws TlsError('DecryptError') on mismatch
 */
export function verifyBinder(crypto: CryptoProvider, hash: HashAlg, psk: Uint8Array, truncatedHash: Uint8Array, binder: Uint8Array, index: number): BinderVerified {
  const expected = computeBinder(crypto, hash, psk, truncatedHash);
  if (!crypto.equal(expected, binder)) throw new TlsError('DecryptError', { detail: 'PSK binder does not verify' });
  return mintBinder(index);
}

/**
 * Proof, on the client, that the server selected the PSK we offered, under a suite of the
 * PSK's hash (RFC 9846 §4.3.11): its Finished is then keyed by a secret derived from the
 * PSK, which only the server that issued the ticket (and opened it) can know.
 */
export class PskSelected {
  readonly #mint: typeof MINT;
  /** The session resumed (its original certificate chain and errors are what info reports). */
  readonly session: Tls13Session;
  private constructor(mint: typeof MINT, session: Tls13Session) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a PskSelected is made by acceptPskSelection only' });
    this.#mint = mint;
    this.session = session;
  }
  static {
    mintSelected = (s) => new PskSelected(MINT, s);
  }
}

/**
 * Checks the server's pre_shared_key selection against our offer (RFC 9846 §4.3.11:
 * "Clients MUST verify that the server's selected_identity is within the range supplied by
 * the client, that the server selected a cipher suite indicating a Hash associated with the
 * PSK, and that a server "key_share" extension is present if required by the ClientHello
 * "psk_key_exchange_modes" extension. If these values are not consistent, the client MUST
 * abort the handshake with an "illegal_parameter" alert.")
 *
 * @throws TlsError('IllegalParameter') for an out-of-range identity, a suite of another
 *   hash, or a key exchange mode we did not offer
 */
export function acceptPskSelection(offer: PskOffer | null, selected: number, suite: Tls13Suite, hasKeyShare: boolean, offeredModes: readonly number[] | undefined): PskSelected {
  if (!offer || selected !== 0) throw new TlsError('IllegalParameter', { detail: `server selected PSK identity ${selected}, which we did not offer` });
  if (suite.hash !== offer.hash) {
    throw new TlsError('IllegalParameter', { detail: `server selected ${suite.name} with a PSK for ${offer.hash}` });
  }
  const mode = hasKeyShare ? PskKeyExchangeMode.psk_dhe_ke : PskKeyExchangeMode.psk_ke;
  if (!(offeredModes ?? []).includes(mode)) {
    throw new TlsError('IllegalParameter', {
      detail: hasKeyShare ? 'server used psk_dhe_ke, which we did not offer' : 'ServerHello has no key_share and we did not offer psk_ke',
    });
  }
  return mintSelected(offer.session);
}
