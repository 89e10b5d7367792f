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
}
