/**
 * Pieces shared by the TLS 1.2 client and server: master secret (always the extended
 * one unless configured otherwise), key block and record protectors, Finished, and the
 * renegotiation refusal.
 *
 * @module
 */
import type { Tls12Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret, exporter as exporter12 } from '../keys/tls12-prf.js';
import { RecordProtector } from '../record/protector.js';
import type { Context } from './state.js';

/** Secrets of a TLS 1.2 session. */
export interface Session12 {
  readonly suite: Tls12Suite;
  readonly master: Uint8Array;
  readonly clientRandom: Uint8Array;
  readonly serverRandom: Uint8Array;
  readonly extendedMasterSecret: boolean;
}

/**
 * Derives the master secret: RFC 7627 §4 (session hash = transcript through
 * ClientKeyExchange) when EMS was negotiated, else RFC 5246 §8.1.
 */
export function deriveSession(
  cx: Context,
  suite: Tls12Suite,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  ems: boolean,
): Session12 {
  const crypto = cx.cfg.crypto;
  const master = ems
    ? extendedMasterSecret(crypto, suite.hash, preMaster, cx.transcript.current())
    : masterSecret(crypto, suite.hash, preMaster, clientRandom, serverRandom);
  // NSS key log: "CLIENT_RANDOM <client_random> <master_secret>".
  cx.keyLog('CLIENT_RANDOM', master);
  return { suite, master, clientRandom, serverRandom, extendedMasterSecret: ems };
}

/** Record protectors for both directions (RFC 5246 §6.3; RFC 5288 §3; RFC 7905 §2). */
export function protectors(cx: Context, s: Session12): { client: RecordProtector; server: RecordProtector } {
  const crypto = cx.cfg.crypto;
  const kb = keyBlock(crypto, s.suite.hash, s.master, s.clientRandom, s.serverRandom, s.suite.keyLen, s.suite.fixedIvLen);
  return {
    client: new RecordProtector({ mode: s.suite.mode, aead: crypto.aead(s.suite.aead, kb.clientWriteKey), iv: kb.clientWriteIv }),
    server: new RecordProtector({ mode: s.suite.mode, aead: crypto.aead(s.suite.aead, kb.serverWriteKey), iv: kb.serverWriteIv }),
  };
}

/** verify_data for our or the peer's Finished over the transcript so far (RFC 5246 §7.4.9). */
export function finished12(cx: Context, s: Session12, who: 'client' | 'server'): Uint8Array {
  return finishedVerifyData(cx.cfg.crypto, s.suite.hash, s.master, who === 'client' ? 'client finished' : 'server finished', cx.transcript.current());
}

/** Checks the peer's Finished in constant time; DecryptError on mismatch (RFC 5246 §7.4.9). */
export function checkFinished12(cx: Context, s: Session12, who: 'client' | 'server', received: Uint8Array): void {
  const expected = finished12(cx, s, who);
  if (!cx.cfg.crypto.equal(expected, received)) throw new TlsError('DecryptError', { detail: 'Finished verify_data mismatch' });
}

/** Hands the finished session to the connection (RFC 5705 exporter). */
export function finishHandshake12(cx: Context, s: Session12): void {
  const crypto = cx.cfg.crypto;
  cx.handshakeDone({
    version: 'TLSv1.2',
    exporter: (label, context, length) => {
      // RFC 7627 §5.4: a session without the extended master secret "MUST NOT export any key material ... it MUST disable [RFC5705]".
      if (!s.extendedMasterSecret) throw new TlsError('ApiMisuse', { detail: 'exporter disabled: the session has no extended master secret (RFC 7627 §5.4)' });
      return exporter12(crypto, s.suite.hash, s.master, s.clientRandom, s.serverRandom, label, context, length);
    },
  });
}
