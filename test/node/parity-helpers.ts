/**
 * Helpers of the Node `tls` parity table (issue 11 item 3): the same options given to
 * `node:tls` and to `puretls/node`, against the same peer, and what each did.
 */
import * as net from 'node:net';
import * as nodeTls from 'node:tls';
import { expect } from 'vitest';
import * as pure from '../../src/transport/node.js';
import { TlsError } from '../../src/base/errors.js';

/** What one connection attempt did. */
export interface Outcome {
  readonly ok: boolean;
  readonly version?: string | null;
  /** OpenSSL name of the suite (Node's `getCipher().name`). */
  readonly cipher?: string;
  readonly alpn?: string | false;
  readonly authorized?: boolean;
  readonly resumed?: boolean;
  /** Node: `err.code`; puretls: `TlsError.status`. */
  readonly error?: string;
  /** The error thrown synchronously by `connect` itself. */
  readonly thrown?: boolean;
  readonly socket?: nodeTls.TLSSocket | pure.TlsSocket;
}

/** Connects with `connect` (Node's or ours), waits for the handshake or the error, returns what happened; the socket is left open (`keep`) or destroyed. */
export async function attempt(
  which: 'node' | 'pure',
  options: Record<string, unknown>,
  keep = false,
): Promise<Outcome> {
  let s: nodeTls.TLSSocket | pure.TlsSocket;
  try {
    s = which === 'node' ? nodeTls.connect(options as nodeTls.ConnectionOptions) : pure.connect(options as pure.ConnectOptions);
  } catch (e) {
    return { ok: false, thrown: true, error: errorCode(e) };
  }
  return new Promise<Outcome>((resolve) => {
    const done = (o: Outcome): void => {
      if (!keep) s.destroy();
      resolve(o);
    };
    s.once('secureConnect', () => {
      const c = s.getCipher();
      done({
        ok: true,
        version: s.getProtocol(),
        cipher: c ? c.name : '',
        alpn: s.alpnProtocol ?? false,
        authorized: s.authorized,
        resumed: s.isSessionReused(),
        socket: s,
      });
    });
    s.once('error', (e) => done({ ok: false, error: errorCode(e), socket: s }));
  });
}

/** A comparable error code: Node's `code`, or our `status`. */
export function errorCode(e: unknown): string {
  if (e instanceof TlsError) return e.status;
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return e instanceof Error ? e.message : String(e);
}

/** Runs both with the same options; returns [node, pure]. */
export async function both(options: Record<string, unknown>): Promise<[Outcome, Outcome]> {
  const n = await attempt('node', options);
  const p = await attempt('pure', options);
  return [n, p];
}

/** Asserts that `f` throws a TlsError('InvalidConfig') whose detail mentions each of `words`. */
export function expectRefused(f: () => unknown, ...words: string[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected InvalidConfig').toBeInstanceOf(TlsError);
  expect((err as TlsError).status).toBe('InvalidConfig');
  for (const w of words) expect((err as TlsError).detail ?? '').toContain(w);
}

/** A Node `tls` server on loopback that echoes, closed by `close()`. */
export async function nodeServer(options: nodeTls.TlsOptions, onSocket?: (s: nodeTls.TLSSocket) => void): Promise<{ port: number; server: nodeTls.Server; close: () => Promise<void> }> {
  const server = nodeTls.createServer(options, (s) => {
    s.on('error', () => {});
    if (onSocket) onSocket(s);
    else s.pipe(s);
  });
  server.on('tlsClientError', () => {});
  track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, server, close: () => closeServer(server) };
}

/** A puretls server on loopback that echoes. */
export async function pureServer(options: pure.TlsServerOptions, onSocket?: (s: pure.TlsSocket) => void): Promise<{ port: number; server: pure.TlsServer; close: () => Promise<void> }> {
  const server = pure.createServer(options, (s) => {
    s.on('error', () => {});
    if (onSocket) onSocket(s);
    else s.pipe(s);
  });
  server.on('tlsClientError', () => {});
  track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return { port, server, close: () => closeServer(server) };
}

const open = new WeakMap<net.Server, Set<net.Socket>>();

function track(server: net.Server): void {
  const set = new Set<net.Socket>();
  open.set(server, set);
  server.on('connection', (c: net.Socket) => {
    set.add(c);
    c.on('close', () => set.delete(c));
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((r) => {
    server.close(() => r());
    for (const c of open.get(server) ?? []) c.destroy();
  });
}
