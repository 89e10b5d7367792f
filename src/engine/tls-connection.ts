/**
 * `TlsConnection` of the full entry (`puretls`, `puretls/node`): both roles. The engine is
 * {@link ConnectionCore}; this class only adds the two factories.
 *
 * @module
 */
import type { ClientOptions, ServerOptions } from '../config/config.js';
import { ConnectionCore } from './connection.js';
export type { ConnectionInfo, ConnectionView } from './info.js';
import { setupClient, setupServer, type ClientConfig, type ClientConnectionOptions, type ServerConfig } from './setup.js';
import { TlsError } from '../base/errors.js';
import { ClientTraffic } from '../handshake/client-tls13.js';
import { ServerTraffic } from '../handshake/server-tls13.js';
import { decodeHandoff, encodeHandoff, handoffProtector, wipeHandoff } from './handoff.js';
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
   * is not handed over).
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
        conn.restoreHandoff(s, read, write, options.role === 'client' ? new ClientTraffic(null, crypto) : new ServerTraffic(), null);
      } else {
        // RFC 5246 §6.3: the same key block; each direction continues at its sequence number.
        const client = options.role === 'client';
        const keys = protectors(crypto, s, client ? { client: s.writeSequence, server: s.readSequence } : { client: s.readSequence, server: s.writeSequence });
        conn.restoreHandoff(s, client ? keys.server : keys.client, client ? keys.client : keys.server, new RenegotiationRefused(options.role), handshakeResult12(crypto, s));
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
   *   with a post-handshake message partly received;
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
}
