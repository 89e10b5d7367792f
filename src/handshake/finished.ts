/**
 * Finished, both versions: computing ours and checking the peer's (RFC 9846 §4.5.3;
 * RFC 5246 §7.4.9). A peer's Finished is checked only once its authentication is settled
 * (a {@link PeerAuthenticated} proof), and a good one yields the
 * {@link FinishedVerified} that enabling application data requires.
 *
 * @module
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../base/errors.js';
import { finishedVerifyData as finishedVerifyData12 } from '../keys/tls12-prf.js';
import { finishedVerifyData as finishedVerifyData13 } from '../keys/tls13-schedule.js';
import type { PeerAuthenticated } from './proofs.js';
import type { Session12 } from './tls12-common.js';

/** Only the checks below hold this: nothing else can make a {@link FinishedVerified}. */
const MINT: unique symbol = Symbol('FinishedVerified');
let mintFinishedVerified: (version: 'TLSv1.2' | 'TLSv1.3', peer: PeerAuthenticated) => FinishedVerified;

/**
 * Proof that the peer's Finished verified (rustls' `FinishedMessageVerified`), after its
 * authentication was settled: RFC 9846 §4.5.3, "Once a side has sent its Finished message
 * and has received and validated the Finished message from its peer, it may begin to send
 * and receive Application Data over the connection." `HandshakeOutput.handshakeDone`
 * takes one.
 *
 * Only {@link verifyFinished13} and {@link verifyFinished12} can create one: the
 * constructor is private and checks a module-private token at run time too.
 */
export class FinishedVerified {
  readonly #mint: typeof MINT;
  readonly version: 'TLSv1.2' | 'TLSv1.3';
  /** How the peer was authenticated before its Finished was checked. */
  readonly peer: PeerAuthenticated;

  private constructor(mint: typeof MINT, version: 'TLSv1.2' | 'TLSv1.3', peer: PeerAuthenticated) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a FinishedVerified is made by the Finished checks only' });
    this.#mint = mint;
    this.version = version;
    this.peer = peer;
  }

  static {
    mintFinishedVerified = (version, peer) => new FinishedVerified(MINT, version, peer);
  }
}

/** Our TLS 1.3 Finished verify_data for a base key (RFC 9846 §4.5.3). */
export function computeFinished13(crypto: CryptoProvider, suite: Tls13Suite, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return finishedVerifyData13(crypto, suite.hash, baseKey, transcriptHash);
}

/**
 * Checks the peer's TLS 1.3 Finished in constant time (RFC 9846 §4.5.3: "Recipients of
 * Finished messages MUST verify that the contents are correct and if incorrect MUST
 * terminate the connection with a "decrypt_error" alert").
 *
 * @param peer - proof that the peer's authentication is settled
 */
export function verifyFinished13(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
  received: Uint8Array,
  peer: PeerAuthenticated,
): FinishedVerified {
  if (!crypto.equal(computeFinished13(crypto, suite, baseKey, transcriptHash), received)) {
    throw new TlsError('DecryptError', { detail: 'Finished verify_data mismatch' });
  }
  return mintFinishedVerified('TLSv1.3', peer);
}

/** verify_data for our or the peer's TLS 1.2 Finished over the transcript so far (RFC 5246 §7.4.9). */
export function computeFinished12(crypto: CryptoProvider, s: Session12, who: 'client' | 'server', transcriptHash: Uint8Array): Uint8Array {
  return finishedVerifyData12(crypto, s.suite.hash, s.master, who === 'client' ? 'client finished' : 'server finished', transcriptHash);
}

/**
 * Checks the peer's TLS 1.2 Finished in constant time; DecryptError on mismatch
 * (RFC 5246 §7.4.9).
 *
 * @param who - the peer's role (whose label the verify_data uses)
 * @param peer - proof that the peer's authentication is settled
 */
export function verifyFinished12(
  crypto: CryptoProvider,
  s: Session12,
  who: 'client' | 'server',
  transcriptHash: Uint8Array,
  received: Uint8Array,
  peer: PeerAuthenticated,
): FinishedVerified {
  if (!crypto.equal(computeFinished12(crypto, s, who, transcriptHash), received)) {
    throw new TlsError('DecryptError', { detail: 'Finished verify_data mismatch' });
  }
  return mintFinishedVerified('TLSv1.2', peer);
}
