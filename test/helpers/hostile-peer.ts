/**
 * What the engine tests that play a hostile peer share (test/engine/bad-input,
 * tls12-bad-input, hostile, limits): a client and a server whose secrets go to one
 * {@link KeyLog} (so test/helpers/mitm.ts and test/helpers/tls12.ts can open and re-seal
 * their records), and the checks on a connection that failed.
 */
import { expect } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { AlertDescription, TlsError, alertName, type TlsStatus } from '../../src/base/errors.js';
import { pump } from '../../src/testing/index.js';
import type { TestPki } from '../../src/verify/generate.js';
import { KeyLog } from './mitm.js';

export interface KeyLoggedPair {
  client: TlsConnection;
  server: TlsConnection;
  keys: KeyLog;
}

/**
 * A client (for 'localhost', trusting `pki`'s CA) and a server (`pki`'s chain and key), both logging to one KeyLog; `c` and `s` add to or override that.
 * The server sends no NewSessionTicket unless `s.sessionTickets` says so: these tests forge
 * records by sequence number and count what follows the handshake.
 */
export function keyLoggedPair(pki: TestPki, c: ClientOptions = {}, s: Partial<ServerOptions> = {}): KeyLoggedPair {
  const keys = new KeyLog();
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, keyLog: keys.fn, ...c });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, keyLog: keys.fn, sessionTickets: 0, ...s });
  return { client, server, keys };
}

/** Runs the handshake of `p` in memory and asserts that both sides completed it. */
export async function handshaken<P extends KeyLoggedPair>(p: P): Promise<P> {
  await pump(p.client, p.server);
  expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
  return p;
}

export type AlertName = keyof typeof AlertDescription;

/** Asserts that `conn` holds a TlsError with `status` and `alert`, and returns it. */
export function expectError(conn: TlsConnection, status: TlsStatus, alert: AlertName): TlsError {
  const e = conn.error;
  expect(e).toBeInstanceOf(TlsError);
  expect({ status: e!.status, alert: alertName(e!.alert ?? 0) }).toEqual({ status, alert });
  return e!;
}

/** {@link expectError}, and `conn` is in phase 'failed'. */
export function expectFailed(conn: TlsConnection, status: TlsStatus, alert: AlertName): TlsError {
  const e = expectError(conn, status, alert);
  expect(conn.phase).toBe('failed');
  return e;
}
