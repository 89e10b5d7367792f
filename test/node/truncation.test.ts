/**
 * Truncation policy (issue 11 item 6): a transport close without close_notify is a
 * `Truncated` error by default (RFC 9846 §6.1), and, under `endOnTransportClose`, the end of
 * the stream with `info.closeNotifyMissing` recording it. During the handshake it is an error
 * either way. TLS 1.3 and TLS 1.2, both roles.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
const servers: net.Server[] = [];

beforeAll(async () => {
  pki = await generateTestPki();
});
afterAll(() => {
  for (const s of servers) s.close();
});

/** A puretls server that writes `payload` then closes TCP without close_notify (its raw socket ended). */
async function truncatingServer(payload: Buffer, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<number> {
  const raws = new Map<number, net.Socket>();
  const server: TlsServer = createServer({ cert: pki.chainPem, key: pki.keyPem, maxVersion, sessionTickets: 0 }, (s: TlsSocket) => {
    s.on('error', () => {});
    s.write(payload, () => raws.get(s.remotePort ?? 0)?.end());
  });
  server.on('connection', (r: net.Socket) => raws.set(r.remotePort ?? 0, r));
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/**
 * As {@link truncatingServer}, the write made from `context` (a timer, a promise continuation,
 * setImmediate): its callback ends the raw socket, so any byte not yet handed to the socket
 * when the callback runs is lost.
 */
async function truncatingServerIn(payload: Buffer, maxVersion: 'TLSv1.2' | 'TLSv1.3', context: (f: () => void) => void): Promise<number> {
  const raws = new Map<number, net.Socket>();
  const server: TlsServer = createServer({ cert: pki.chainPem, key: pki.keyPem, maxVersion, sessionTickets: 0 }, (s: TlsSocket) => {
    s.on('error', () => {});
    context(() => s.write(payload, () => raws.get(s.remotePort ?? 0)?.end()));
  });
  server.on('connection', (r: net.Socket) => raws.set(r.remotePort ?? 0, r));
  server.on('tlsClientError', () => {});
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Reads a client to its end or its error. */
function drain(client: TlsSocket): Promise<{ data: Buffer; ended: boolean; error: TlsError | null; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let ended = false;
    let error: TlsError | null = null;
    client.on('data', (d: Buffer) => chunks.push(d));
    client.on('end', () => (ended = true));
    client.on('error', (e: Error) => (error = e as TlsError));
    client.on('close', () => resolve({ data: Buffer.concat(chunks), ended, error, closed: true }));
  });
}

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('%s', (version) => {
  it('default: a close without close_notify is Truncated, after the data, and never a clean end', async () => {
    const payload = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    const port = await truncatingServer(payload, version);
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem });
    const r = await drain(client);
    expect(r.data.equals(payload)).toBe(true);
    expect(r.ended).toBe(false);
    expect(r.error?.status).toBe('Truncated');
    expect(client.info.closeNotifyMissing).toBe(false);
  });

  it.each([
    ['a timer', (f: () => void) => void setTimeout(f, 5)],
    ['a promise continuation', (f: () => void) => void Promise.resolve().then(f)],
    ['setImmediate', (f: () => void) => void setImmediate(f)],
  ])("a write's callback runs only once its bytes reached the socket (write made from %s)", async (_name, context) => {
    // Batched writes (several records in one gathered write) are sent before the callback of
    // the write that queued them: here the callback ends the raw socket at once.
    const payload = Buffer.alloc(40_000, 9);
    const port = await truncatingServerIn(payload, version, context);
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem });
    const r = await drain(client);
    expect(r.data.length).toBe(payload.length);
    expect(r.data.equals(payload)).toBe(true);
    expect(r.error?.status).toBe('Truncated');
  });

  it('endOnTransportClose: the same close is the end of the stream, recorded in info', async () => {
    const payload = Buffer.alloc(200_000, 7);
    const port = await truncatingServer(payload, version);
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, endOnTransportClose: true });
    const r = await drain(client);
    expect(r.error).toBeNull();
    expect(r.ended).toBe(true);
    expect(r.data.equals(payload)).toBe(true);
    expect(client.info.version).toBe(version);
    expect(client.info.closeNotifyMissing).toBe(true);
  });

  it('endOnTransportClose: a close during the handshake is still Truncated', async () => {
    const plain = net.createServer((s) => s.once('data', () => s.end()));
    servers.push(plain);
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const client = connect({ host: '127.0.0.1', port: (plain.address() as net.AddressInfo).port, servername: 'localhost', ca: pki.caCertPem, maxVersion: version, endOnTransportClose: true });
    const r = await drain(client);
    expect(r.error?.status).toBe('Truncated');
    expect(r.ended).toBe(false);
  });

  it('endOnTransportClose: a proper close_notify is reported as such (closeNotifyMissing false), both roles', async () => {
    let serverSide: TlsSocket | undefined;
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, maxVersion: version, endOnTransportClose: true, sessionTickets: 0 }, (s: TlsSocket) => {
      serverSide = s;
      s.on('error', () => {});
      s.end('bye');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, servername: 'localhost', ca: pki.caCertPem, endOnTransportClose: true });
    const r = await drain(client);
    expect(r.error).toBeNull();
    expect(r.data.toString()).toBe('bye');
    expect(client.info.closeNotifyMissing).toBe(false);
    expect(serverSide?.info.closeNotifyMissing).toBe(false);
  });

  it('endOnTransportClose on a server: a client that closes TCP without close_notify ends the server stream', async () => {
    const got = new Promise<{ data: string; missing: boolean; error: unknown }>((resolve) => {
      const server = createServer({ cert: pki.chainPem, key: pki.keyPem, maxVersion: version, endOnTransportClose: true, sessionTickets: 0 }, (s: TlsSocket) => {
        const chunks: Buffer[] = [];
        let error: unknown = null;
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('error', (e) => (error = e));
        s.on('close', () => resolve({ data: Buffer.concat(chunks).toString(), missing: s.info.closeNotifyMissing, error }));
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => {
        const raw = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
        raw.on('error', () => {});
        const client = connect({ socket: raw, servername: 'localhost', ca: pki.caCertPem });
        client.on('error', () => {});
        client.write('request', () => setTimeout(() => raw.end(), 50));
      });
    });
    const r = await got;
    expect(r.error).toBeNull();
    expect(r.data).toBe('request');
    expect(r.missing).toBe(true);
  });
});
