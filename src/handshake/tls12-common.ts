/**
 * Pieces shared by the TLS 1.2 client and server: master secret (always the extended
 * one unless configured otherwise), key block and record protectors, the end of the
 * handshake, the peer's ChangeCipherSpec and the renegotiation refusal (Finished is in
 * `finished.ts`).
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { Tls12Suite } from '../crypto/suites.js';
import { AlertDescription, TlsError } from '../base/errors.js';
import { extendedMasterSecret, keyBlock, masterSecret, exporter as exporter12 } from '../keys/tls12-prf.js';
import type { FinishedVerified } from './finished.js';
import { RecordProtector } from '../record/protector.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { HandshakeOutput, HandshakeResult, MessageKind, State, Step } from './state.js';
import { expect } from './state.js';
import type { TranscriptHash } from './transcript.js';
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
 * ClientKeyExchange) when EMS was negotiated, else RFC 5246 §8.1. Logs it.
 */
export function deriveSession(
  crypto: CryptoProvider,
  transcript: TranscriptHash,
  out: Pick<HandshakeOutput, 'keyLog'>,
  suite: Tls12Suite,
  preMaster: Uint8Array,
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  ems: boolean,
): Session12 {
  const master = ems ? extendedMasterSecret(crypto, suite.hash, preMaster, transcript.current()) : masterSecret(crypto, suite.hash, preMaster, clientRandom, serverRandom);
  // NSS key log: "CLIENT_RANDOM <client_random> <master_secret>".
  out.keyLog('CLIENT_RANDOM', clientRandom, master);
  return { suite, master, clientRandom, serverRandom, extendedMasterSecret: ems };
}

/** The record protectors of a TLS 1.2 session, one per sender. */
export interface Protectors12 {
  readonly client: RecordProtector;
  readonly server: RecordProtector;
}

/**
 * Record protectors for both directions (RFC 5246 §6.3; RFC 5288 §3; RFC 7905 §2). A live
 * hand-off continues a connection with the same key block and the sequence numbers where
 * the exporting side stopped (`sequences`; 0 for a fresh session).
 */
export function protectors(crypto: CryptoProvider, s: Session12, sequences?: { readonly client: bigint; readonly server: bigint }): Protectors12 {
  const kb = keyBlock(crypto, s.suite.hash, s.master, s.clientRandom, s.serverRandom, s.suite.keyLen, s.suite.fixedIvLen);
  return {
    client: new RecordProtector({ mode: s.suite.mode, aead: crypto.aead(s.suite.aead, kb.clientWriteKey), iv: kb.clientWriteIv, sequence: sequences?.client ?? 0n }),
    server: new RecordProtector({ mode: s.suite.mode, aead: crypto.aead(s.suite.aead, kb.serverWriteKey), iv: kb.serverWriteIv, sequence: sequences?.server ?? 0n }),
  };
}

/**
 * What a TLS 1.2 connection keeps once the handshake is over: the RFC 5705 exporter and, for
 * a live hand-off, the session it derives from. The result holds its own copy of the master
 * secret (a resumed session shares the cache's buffer), so the hand-off can wipe it.
 */
export function handshakeResult12(crypto: CryptoProvider, session: Session12): HandshakeResult {
  const s: Session12 = { ...session, master: copyBytes(session.master) };
  return {
    version: 'TLSv1.2',
    exporter: (label, context, length) => {
      // RFC 7627 §5.4: a session without the extended master secret "MUST NOT export any key material ... it MUST disable [RFC5705]".
      if (!s.extendedMasterSecret) throw new TlsError('ApiMisuse', { detail: 'exporter disabled: the session has no extended master secret (RFC 7627 §5.4)' });
      return exporter12(crypto, s.suite.hash, s.master, s.clientRandom, s.serverRandom, label, context, length);
    },
    tls12: s,
  };
}

/** Hands the finished session to the connection (RFC 5705 exporter): application data may flow. */
export function finishHandshake12(out: HandshakeOutput, crypto: CryptoProvider, s: Session12, finished: FinishedVerified): void {
  out.handshakeDone(handshakeResult12(crypto, s), finished);
}

/**
 * Waits for the peer's ChangeCipherSpec (RFC 5246 §7.1, §7.3): any handshake message here is
 * unexpected; the CCS installs the peer's read protection and moves on to its Finished.
 */
export class ExpectChangeCipherSpec implements State {
  readonly name = 'ExpectChangeCipherSpec';
  readonly expects: readonly MessageKind[] = [];
  private readonly read: RecordProtector;
  private readonly next: State;
  constructor(read: RecordProtector, next: State) {
    this.read = read;
    this.next = next;
  }

  handle(msg: HandshakeMessage): Step {
    throw new TlsError('UnexpectedMessage', { detail: `${this.name}: got ${msg.type}` });
  }

  handleChangeCipherSpec(out: HandshakeOutput): Step {
    out.installKey('read', { version: 'TLSv1.2', protector: this.read });
    return { next: this.next };
  }
}

/**
 * After a TLS 1.2 handshake: renegotiation is refused (RFC 5746 §4.2/§4.4, RFC 5246 §7.2.2):
 * a HelloRequest (client) or ClientHello (server) gets a no_renegotiation warning; a peer
 * that insists gets a clean close.
 */
export class RenegotiationRefused implements State {
  readonly name: string;
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

  handle(msg: HandshakeMessage, out: HandshakeOutput): Step {
    const peer = this.role === 'client' ? 'server' : 'client';
    expect(msg, this.name, this.role === 'client' ? 'hello_request' : 'client_hello');
    if (out.tracing) out.trace({ direction: 'received', kind: 'handshake', summary: `${this.role === 'client' ? 'HelloRequest' : 'ClientHello'} (renegotiation refused)`, message: msg });
    if (this.refusals >= 1) {
      out.closeCleanly(`${peer} insists on renegotiation`);
      return { next: this };
    }
    out.sendWarningAlert(AlertDescription.no_renegotiation);
    return { next: new RenegotiationRefused(this.role, this.refusals + 1) };
  }
}
