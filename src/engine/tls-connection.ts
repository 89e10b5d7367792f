/**
 * `TlsConnection` of the full entry (`puretls`, `puretls/node`): both roles. The engine is
 * {@link ConnectionCore}; this class only adds the two factories.
 *
 * @module
 */
import { copyBytes } from '../base/bytes.js';
import type { ClientOptions, ServerOptions } from '../config/config.js';
import { ConnectionCore, EXPORTER_AT, MAX_SECRET_LEN, TLS13_RESULT } from './connection.js';
export type { ConnectionInfo, ConnectionView } from './info.js';
import { forgetHandedOffSession, setupClient, setupServer, type ClientConfig, type ClientConnectionOptions, type ServerConfig } from './setup.js';
import { TlsError } from '../base/errors.js';
import { ClientTraffic } from '../handshake/client-tls13.js';
import { ServerTraffic } from '../handshake/server-tls13.js';
import { decodeHandoff, encodeHandoff, handoffProtector, wipeHandoff, type HandoffSnapshot } from './handoff.js';
import { NullProtector, type RecordProtector } from '../record/protector.js';
import type { HandshakeResult, State } from '../handshake/state.js';
import { HASH_LEN } from '../crypto/provider.js';
import { internCertificate } from '../base/intern.js';
import { RenegotiationRefused, handshakeResult12, protectors } from '../handshake/tls12-common.js';

/** Where {@link TlsConnection.import} takes its configuration from: the role and that role's options. */
export type HandoffImportOptions =
  | { readonly role: 'client'; readonly config?: ClientConfig | ClientOptions; readonly perConnection?: ClientConnectionOptions }
  | { readonly role: 'server'; readonly config: ServerConfig | ServerOptions };

/**
 * A TLS connection with no I/O of its own, client or server.
 *
 * @example
 * ```ts
 * const c = TlsConnection.client({ servername: 'example.com', ca });
 * transport.onData = async (b) => { c.receive(b); await c.process(); flush(); };
 * function flush() { let o; while ((o = c.takeOutput())) transport.write(o); }
 * ```
 */
export class TlsConnection extends ConnectionCore {
  /**
   * A client connection; call `process()` (or `start()`) to send the ClientHello.
   *
   * With a {@link ClientConfig} from `createClientConfig` nothing is parsed: the connection
   * uses the config's resolved options, trust anchors and client identity, and takes only
   * `perConnection` (the server name, and optionally ALPN protocols and key-share groups)
   * for itself. Plain {@link ClientOptions} still work: a config is built from them on the
   * fly (parsing everything, for this connection only), `servername` going to this connection.
   *
   * @throws TlsError('InvalidConfig') for invalid options, a per-connection option that
   *   belongs to the config, or no `servername` when the config requires one
   */
  static client(config: ClientConfig | ClientOptions = {}, perConnection?: ClientConnectionOptions): TlsConnection {
    return new TlsConnection(setupClient(config, perConnection));
  }

  /**
   * A server connection; it waits for a ClientHello. With a {@link ServerConfig} from
   * `createServerConfig` nothing is parsed; plain {@link ServerOptions} build a config on the
   * fly (parsing every certificate and key, for this connection only).
   *
   * @throws TlsError('InvalidConfig') for invalid options
   */
  static server(config: ServerConfig | ServerOptions): TlsConnection {
    return new TlsConnection(setupServer(config));
  }

  /**
   * Live hand-off (issue 10 item 6): continues a connection whose state another
   * `TlsConnection` exported with {@link exportState}, possibly in another process, on the
   * same transport (e.g. a socket received through `child.send(msg, socket)`). The options
   * give the provider, tracing and limits (the handshake is over: trust anchors and the
   * server's identity are not used again). Call `process()` next: input the exporter had
   * received but not processed is handled then. Tickets the server sends after the hand-off
   * are reported in `tickets` but not stored as resumable sessions (the resumption secret
   * is not handed over). A TLS 1.2 session the exporting connection kept or resumed is
   * removed from this config's session store or session-ID cache if the connection ends with
   * a fatal alert (RFC 5246 §7.2.2), as it would have been without the hand-off; the state
   * names it, so a custom store must compare sessions by ticket and session ID (as
   * `SessionStore.delete` asks), not by object identity. Plain options have a store of their
   * own, so nothing is removed then.
   *
   * Import a state once: two connections continuing the same state would seal different
   * records with the same keys and nonces (fatal for AES-GCM and ChaCha20-Poly1305); the
   * state carries no way to detect a second use, so the caller must discard it after import.
   *
   * @param state - the bytes {@link exportState} returned (they hold secrets)
   * @throws TlsError('StateRejected') for a state that is malformed, corrupted, of another
   *   format version or of the other role; TlsError('InvalidConfig') for invalid options
   */
  static import(state: Uint8Array, options: HandoffImportOptions): TlsConnection {
    if (typeof options !== 'object' || options === null || (options.role !== 'client' && options.role !== 'server')) {
      throw new TlsError('InvalidConfig', { detail: "TlsConnection.import needs { role: 'client' | 'server', config }" });
    }
    const conn = options.role === 'client' ? TlsConnection.client(options.config, options.perConnection) : TlsConnection.server(options.config);
    const crypto = conn.crypto;
    const s = decodeHandoff(crypto, state, options.role);
    try {
      if (s.version === 'TLSv1.3') {
        const read = handoffProtector(crypto, s.suite, s.readSecret, s.readSequence);
        const write = handoffProtector(crypto, s.suite, s.writeSecret, s.writeSequence);
        conn.restoreHandoff(s, read, write, options.role === 'client' ? new ClientTraffic(null, crypto) : new ServerTraffic(), null, options.config);
      } else {
        // RFC 5246 §6.3: the same key block; each direction continues at its sequence number.
        const client = options.role === 'client';
        const keys = protectors(crypto, s, client ? { client: s.writeSequence, server: s.readSequence } : { client: s.readSequence, server: s.writeSequence });
        conn.restoreHandoff(s, client ? keys.server : keys.client, client ? keys.client : keys.server, new RenegotiationRefused(options.role), handshakeResult12(crypto, s), options.config);
      }
    } finally {
      wipeHandoff(s);
    }
    return conn;
  }

  /**
   * Live hand-off (issue 10 item 6): the state of this established connection — for TLS 1.3
   * the traffic secrets of both directions (so KeyUpdate keeps working, RFC 9846 §4.7.3) and
   * the exporter secret; for TLS 1.2 the master secret and both randoms (the key block, RFC
   * 5246 §6.3, and the RFC 5705 exporter derive from them) — with the sequence numbers of both
   * directions, what was negotiated (ALPN, peer certificates, …), plaintext received but not
   * read and ciphertext received but not processed, as a versioned byte encoding for
   * {@link TlsConnection.import}.
   *
   * **The result holds the connection's secrets**: whoever has it can read and forge the
   * connection's traffic. Move it only over a channel you trust (e.g. IPC to a child process)
   * and never log or store it.
   *
   * Afterwards this connection is unusable (every call fails with `TlsError('Closed')`): it
   * never seals another record with these keys, which would reuse AEAD nonces. Stop feeding
   * it input first (pause the socket) and hand the transport over with the state.
   *
   * @throws TlsError('ApiMisuse') during the handshake, while `process()` runs, with output
   *   not yet taken or still being sealed (a KeyUpdate just sent included: take it first),
   *   with a post-handshake message partly received, after `end()` while records received
   *   before it are not processed yet;
   *   TlsError('Closed') after `close()`; the connection's error after a failure
   */
  exportState(): Uint8Array {
    const s = this.takeHandoffSnapshot();
    try {
      return encodeHandoff(this.crypto, s);
    } finally {
      wipeHandoff(s);
    }
  }

  // ---------------------------------------------------------------- live hand-off (src/engine/handoff.ts)
  // Here, not in ConnectionCore: a bundler keeps every method of a class it keeps, and
  // puretls/client's TlsConnection (which has no exportState/import) extends ConnectionCore.

  /**
   * Takes this connection's record-layer state for a live hand-off and makes the connection
   * unusable (it must never seal another record with these keys and sequence numbers: the
   * AEAD nonce would repeat). Refused while anything is in flight. The snapshot holds secrets.
   *
   * @internal Use `TlsConnection.exportState()`.
   * @throws TlsError('ApiMisuse') when the state cannot be handed off now; the sticky error
   *   after a failure; TlsError('Closed') after close()
   */
  private takeHandoffSnapshot(): HandoffSnapshot {
    if (this.error_) throw this.error_;
    if (this.closeSent) throw new TlsError('Closed', { detail: 'cannot export a closed connection' });
    if (!this.result) throw new TlsError('ApiMisuse', { detail: 'cannot export during the handshake' });
    if (this.running) throw new TlsError('ApiMisuse', { detail: 'cannot export while process() runs' });
    // Unsent records (a KeyUpdate just queued, data being sealed) belong to the keys in force.
    if (!this.writer.idle) throw new TlsError('ApiMisuse', { detail: 'cannot export with records not yet taken or still being sealed (settle and takeOutput first)' });
    if (!this.joiner.isEmpty()) throw new TlsError('ApiMisuse', { detail: 'cannot export with a post-handshake message partly received' });
    // The state has no place for the transport's end: the importing side would never learn of it.
    if (this.endPending) throw new TlsError('ApiMisuse', { detail: 'cannot export after end() while records received before it are not processed yet (process() first)' });
    const readSeq = this.reader.sequence;
    const writeSeq = this.writer.sequence;
    if (readSeq === null || writeSeq === null) throw new TlsError('InternalError', { detail: 'connection without its traffic keys' });
    if (readSeq >= 1n << 64n || writeSeq >= 1n << 64n) throw new TlsError('ApiMisuse', { detail: 'sequence space used up' });
    let snap: HandoffSnapshot;
    if (this.result === TLS13_RESULT) {
      const readSuite = this.readSuite13;
      const writeSuite = this.writeSuite13;
      if (!readSuite || !writeSuite || readSuite !== writeSuite || this.exporterHash === null) {
        throw new TlsError('InternalError', { detail: 'TLS 1.3 connection without its traffic keys' });
      }
      const len = HASH_LEN[readSuite.hash];
      snap = {
        version: 'TLSv1.3',
        role: this.role,
        suite: readSuite,
        readSecret: this.secrets13!.slice(0, len),
        writeSecret: this.secrets13!.slice(MAX_SECRET_LEN, MAX_SECRET_LEN + len),
        exporterSecret: this.secrets13!.slice(EXPORTER_AT, EXPORTER_AT + len),
        readSequence: readSeq,
        writeSequence: writeSeq,
        peerClosed: this.phase_ === 'peer-closed',
        negotiated: { ...this.negotiated },
        earlyDataLength: this.earlyLength,
        unread: this.read() ?? new Uint8Array(0),
        unprocessed: this.reader.copyBuffered(),
      };
    } else {
      // TLS 1.2: the session the key block and the exporter derive from (RFC 5246 §6.3, RFC 5705).
      const t = this.result.tls12;
      if (!t) throw new TlsError('InternalError', { detail: 'TLS 1.2 connection without its session' });
      snap = {
        version: 'TLSv1.2',
        role: this.role,
        suite: t.suite,
        master: copyBytes(t.master),
        clientRandom: copyBytes(t.clientRandom),
        serverRandom: copyBytes(t.serverRandom),
        extendedMasterSecret: t.extendedMasterSecret,
        session: this.sessionInUse?.held ?? null,
        readSequence: readSeq,
        writeSequence: writeSeq,
        peerClosed: this.phase_ === 'peer-closed',
        negotiated: { ...this.negotiated },
        earlyDataLength: 0,
        unread: this.read() ?? new Uint8Array(0),
        unprocessed: this.reader.copyBuffered(),
      };
    }
    // The old connection is dead from here on: no record, no alert, no KeyUpdate; its secrets are wiped.
    this.setError(new TlsError('Closed', { detail: 'state exported (live hand-off)' }), false);
    if (this.result === TLS13_RESULT) this.secrets13!.fill(0);
    else this.result.tls12!.master.fill(0); // the result's own copy (handshakeResult12)
    this.writer.install(new NullProtector());
    this.reader.install(new NullProtector());
    this.reader.discard();
    return snap;
  }

  /**
   * Makes this fresh connection continue a handed-off one: keys, sequence numbers, what was
   * negotiated, unread plaintext and unprocessed input (call `process()` next).
   *
   * @internal Use `TlsConnection.import()`.
   */
  private restoreHandoff(s: HandoffSnapshot, read: RecordProtector, write: RecordProtector, traffic: State, result12: HandshakeResult | null, config: unknown): void {
    if (s.role !== this.role || this.started) throw new TlsError('InternalError', { detail: 'hand-off restored into the wrong connection' });
    this.started = true;
    this.startFn = null;
    Object.assign(this.negotiated, s.negotiated, { peerCertificates: s.negotiated.peerCertificates.map(internCertificate) });
    this.tls12 = s.version === 'TLSv1.2';
    this.reader.setVersion(this.tls12 ? 'tls12' : 'tls13');
    this.reader.install(read);
    this.writer.install(write);
    if (s.version === 'TLSv1.3') {
      this.setTrafficSecret('read', { suite: s.suite, secret: s.readSecret });
      this.setTrafficSecret('write', { suite: s.suite, secret: s.writeSecret });
      this.setSecret(EXPORTER_AT, s.exporterSecret);
      this.exporterHash = s.suite.hash;
      this.result = TLS13_RESULT;
    } else {
      // Built by the caller (handshakeResult12): this module stays free of TLS 1.2 code for puretls/client.
      if (!result12?.tls12) throw new TlsError('InternalError', { detail: 'TLS 1.2 hand-off restored without its session' });
      this.result = result12;
      // RFC 5246 §7.2.2 after the hand-off too: a fatal alert removes the session from this
      // config's store or cache (when it has the one the exporting side used).
      if (s.session !== null) this.sessionInUse = { forget: forgetHandedOffSession(config, s.session), held: s.session };
    }
    this.earlyLength = s.earlyDataLength;
    this.phase_ = s.peerClosed ? 'peer-closed' : 'open';
    this.state = traffic;
    if (s.unread.length > 0) {
      this.readQueue = [s.unread];
      this.readQueued = s.unread.length;
    }
    if (s.unprocessed.length > 0 && this.reader.restore(s.unprocessed) !== s.unprocessed.length) {
      throw new TlsError('InternalError', { detail: 'unprocessed input of the handed-off connection does not fit' });
    }
  }
}
