/**
 * A client and a server made for each other: certificates from a test PKI, seeded
 * randomness, a fixed clock, and a {@link FaultPipe} between them.
 *
 * @module
 */
import { TlsConnection } from '../engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../config/config.js';
import type { TestPki } from '../verify/generate.js';
import { FaultPipe, type FaultPipeOptions } from './pipe.js';
import { fixedClock, seededRandom } from './random.js';

/** Options of {@link createPair}. */
export interface PairOptions {
  /** The certificates: the server presents `chainPem` / `keyPem`, the client trusts `caCertPem`. */
  readonly pki: TestPki;
  /** Client options; they override the defaults (`servername: 'localhost'`, the PKI's CA, `random`, `now`). */
  readonly client?: ClientOptions;
  /** Server options; they override the defaults (the PKI's chain and key, `random`, `now`). */
  readonly server?: ServerOptions;
  /**
   * Seed of both sides' `random` (the client's is `seededRandom(seed)`, the server's
   * `seededRandom(seed ^ 0x5a5a5a5a)`). Default 1: two pairs made alike send the same bytes.
   */
  readonly seed?: number;
  /** The fixed time both sides see (default: the time `createPair` is called). */
  readonly now?: number | Date;
  /** The transport between them: faults, chunking, read policy. */
  readonly pipe?: FaultPipeOptions;
}

/** Two connections and the transport between them. */
export interface Pair {
  readonly client: TlsConnection;
  readonly server: TlsConnection;
  readonly pipe: FaultPipe;
}

/**
 * A client and a server connected in memory. Nothing runs until the pipe does:
 * `await pair.pipe.settle()` completes the handshake (or shows how the faults broke it).
 *
 * @example
 * ```ts
 * const pki = await generateTestPki();
 * const { client, server, pipe } = createPair({ pki, seed: 7, pipe: { chunk: 1 } });
 * await pipe.settle();
 * client.write(new TextEncoder().encode('ping'));
 * await pipe.settle();
 * // pipe.received('server') holds 'ping'
 * ```
 */
export function createPair(options: PairOptions): Pair {
  const seed = options.seed ?? 1;
  const now = fixedClock(options.now ?? Date.now());
  const pki = options.pki;
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, random: seededRandom(seed), now, ...options.client });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, random: seededRandom(seed ^ 0x5a5a5a5a), now, ...options.server });
  return { client, server, pipe: new FaultPipe(client, server, options.pipe) };
}
