/**
 * Pieces shared by the TLS 1.2 client and server: master secret (always the extended
 * one unless configured otherwise), key block and record protectors, Finished, and the
 * renegotiation refusal.
 *
 * @module
 */
import type { Tls12Suite } from '../crypto/suites.js';
import { AlertDescription, TlsError } from '../errors.js';
import { extendedMasterSecret, finishedVerifyData, keyBlock, masterSecret, exporter as exporter12 } from '../keys/tls12-prf.js';
import { RecordProtector } from '../record/protector.js';
import type { Context, State, MessageKind } from './state.js';
import { expect } from './state.js';
import type { HandshakeMessage } from '../wire/messages.js';

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

/**
 * Waits for the peer's ChangeCipherSpec (RFC 5246 §7.1, §7.3): any handshake message here is
 * unexpected; the CCS installs the peer's read protection and moves on to its Finished.
 */
export class ExpectChangeCipherSpec implements State {
  readonly name = 'ExpectChangeCipherSpec';
  readonly expects: readonly MessageKind[] = [];
  readonly version = 'TLSv1.2';
  private readonly read: RecordProtector;
  private readonly next: State;
  constructor(read: RecordProtector, next: State) {
    this.read = read;
    this.next = next;
  }

  handle(_cx: Context, msg: HandshakeMessage): State {
    throw new TlsError('UnexpectedMessage', { detail: `${this.name}: got ${msg.type}` });
  }

  handleChangeCipherSpec(cx: Context): State {
    cx.installReadProtector(this.read);
    return this.next;
  }
}

/**
 * After a TLS 1.2 handshake: renegotiation is refused (RFC 5746 §4.2/§4.4, RFC 5246 §7.2.2):
 * a HelloRequest (client) or ClientHello (server) gets a no_renegotiation warning; a peer
 * that insists gets a clean close.
 */
export class RenegotiationRefused implements State {
  readonly name: string;
  readonly version = 'TLSv1.2';
  private readonly role: 'client' | 'server';
  private readonly refusals: number;
  constructor(role: 'client' | 'server', refusals = 0) {
    this.role = role;
    this.refusals = refusals;
    this.name = role === 'client' ? 'Client12Traffic' : 'Server12Traffic';
  }

  get expects(): readonly MessageKind[] {
    return this.role === 'client' ? ['hello_request'] : ['client_hello'];
  }

  handle(cx: Context, msg: HandshakeMessage): State {
    const peer = this.role === 'client' ? 'server' : 'client';
    expect(msg, this.name, this.role === 'client' ? 'hello_request' : 'client_hello');
    cx.trace({ direction: 'received', kind: 'handshake', summary: `${this.role === 'client' ? 'HelloRequest' : 'ClientHello'} (renegotiation refused)`, message: msg });
    if (this.refusals >= 1) {
      cx.closeCleanly(`${peer} insists on renegotiation`);
      return this;
    }
    cx.sendWarningAlert(AlertDescription.no_renegotiation);
    return new RenegotiationRefused(this.role, this.refusals + 1);
  }
}
