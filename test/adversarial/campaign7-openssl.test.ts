/**
 * Campaign 7 (a hostile peer on a long-lived connection) against a real peer: `openssl
 * s_server` / `s_client` 3.0 on loopback, puretls/node on our side, both roles.
 *
 * - TLS 1.3 KeyUpdate under load: OpenSSL's `K` / `k` commands between bulk chunks while
 *   our side also updates (with requests) after each chunk; every byte arrives in order.
 * - The KeyUpdate flood cap (maxKeyUpdates, 32 in a row without data, as BoringSSL) against
 *   a real peer: 32 `K`s in a row are all answered and data flows; the 33rd in a row ends the
 *   connection with unexpected_message (a TlsError on our socket, the alert at OpenSSL).
 * - TLS 1.2 renegotiation (`R`), both roles: we refuse with a warning no_renegotiation
 *   (RFC 5246 §7.4.1.1, RFC 5746 §4.4); OpenSSL takes that as fatal and answers
 *   handshake_failure. Documented interop behaviour: our socket reports AlertReceived
 *   (handshake_failure) as an 'error', data sent before it is delivered, and a server keeps
 *   serving the next client.
 *
 * Peers listen on 127.0.0.1 with an OS-chosen port and are ended by PID.
 */
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { once } from 'node:events';
import type net from 'node:net';
import { connect, createServer, type TlsSocket } from '../../src/transport/node.js';
import { TlsError } from '../../src/base/errors.js';
import type { TraceEvent } from '../../src/config/config.js';
import { killAllPeers, makePkiFiles, opensslAvailable, skipNote, startOpensslClient, startOpensslServer, type PkiFiles } from '../helpers/peers.js';
import { opensslServerArgs, opensslVerifyArgs } from '../helpers/interop.js';

const openssl = opensslAvailable();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let f: PkiFiles;
beforeAll(async () => {
  if (openssl.ok) f = await makePkiFiles('ecdsa-p256');
});
afterEach(killAllPeers);
afterAll(killAllPeers);

/** A puretls/node client to a local s_server, collecting what it reads, its error and its trace. */
async function client(port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<{ s: TlsSocket; text: () => string; error: () => unknown; trace: TraceEvent[] }> {
  const trace: TraceEvent[] = [];
  const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: f.pki.caCertPem, maxVersion, trace: (e) => trace.push(e) });
  const got: Buffer[] = [];
  let error: unknown = null;
  s.on('data', (d: Buffer) => got.push(d));
  s.on('error', (e) => (error = e));
  await once(s, 'secureConnect');
  return { s, text: () => Buffer.concat(got).toString('latin1'), error: () => error, trace };
}

/** Waits until `pred` holds (polling), or fails with `what`. */
async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !pred(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** `n` lines of text, none starting with an s_client/s_server command letter. */
function lines(n: number, tag: string): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `${String(i).padStart(6, '0')} ${tag} ${'x'.repeat(50)}\n`;
  return out;
}

describe.skipIf(!openssl.ok)(`campaign 7 against openssl 3.0${skipNote(openssl)}`, () => {
  it("TLS 1.3, puretls/node client ↔ s_server: 'K'/'k' between chunks while we update with requests after each: every line arrives both ways", async () => {
    const { process: srv, port } = await startOpensslServer(['-tls1_3', ...opensslServerArgs(f)]);
    const c = await client(port, 'TLSv1.3');
    let expectedAtServer = '';
    let expectedAtClient = '';
    for (let round = 0; round < 12; round++) {
      const up = lines(300, `c${round}`);
      c.s.write(up);
      expectedAtServer += up;
      await c.s.keyUpdate(round % 2 === 0);
      await srv.send(round % 3 === 0 ? 'K\n' : 'k\n');
      await sleep(30);
      const down = lines(40, `s${round}`);
      await srv.send(down);
      expectedAtClient += down;
      await until(() => srv.stdout.replace(/Read BLOCK\n|SSL_do_handshake -> 1\n/g, '').includes(up.slice(-60)), `round ${round} at s_server`);
      await until(() => c.text().endsWith(down), `round ${round} at the client`);
    }
    expect(c.error()).toBeNull();
    expect(c.text()).toBe(expectedAtClient);
    // s_server interleaves its own notes ("Read BLOCK" between reads, "SSL_do_handshake -> 1" after a command) with the data.
    expect(srv.stdout.replace(/Read BLOCK\n|SSL_do_handshake -> 1\n/g, '').includes(expectedAtServer)).toBe(true);
    // Our updates were sent and OpenSSL's were received (each 'K' answered by one of ours).
    const kus = c.trace.filter((e) => e.kind === 'handshake' && e.summary.startsWith('KeyUpdate'));
    expect(kus.filter((e) => e.direction === 'received').length).toBeGreaterThanOrEqual(12);
    c.s.end();
  });

  it("TLS 1.3, s_server sends 32 'K' in a row: each answered, data flows; a 33rd in a row (maxKeyUpdates) → UnexpectedMessage, alerted", async () => {
    const { process: srv, port } = await startOpensslServer(['-tls1_3', '-msg', ...opensslServerArgs(f)]);
    const c = await client(port, 'TLSv1.3');
    const answered = (): number => c.trace.filter((e) => e.direction === 'sent' && e.kind === 'handshake' && e.summary.startsWith('KeyUpdate')).length;
    for (let i = 0; i < 32; i++) {
      await srv.send('K\n');
      await until(() => answered() === i + 1, `answer ${i + 1}`);
    }
    await srv.send('after 32\n');
    await until(() => c.text() === 'after 32\n', 'data after 32 KeyUpdates');
    c.s.write('from the client\n');
    await srv.waitForStdout('from the client\n');
    // The count starts again after data (from OpenSSL): 33 in a row is one too many.
    for (let i = 0; i < 33 && c.error() === null; i++) {
      await srv.send('K\n');
      await sleep(15);
    }
    await until(() => c.error() !== null, 'the flood cap');
    expect(c.error()).toBeInstanceOf(TlsError);
    expect((c.error() as TlsError).status).toBe('UnexpectedMessage');
    await srv.waitForStdout(/Alert \[length 0002\], fatal unexpected_message/);
  });

  it("TLS 1.2, s_server 'R' (HelloRequest): we answer no_renegotiation (warning); OpenSSL ends with handshake_failure → AlertReceived on our socket, earlier data delivered", async () => {
    const { process: srv, port } = await startOpensslServer(['-tls1_2', '-msg', ...opensslServerArgs(f)]);
    const c = await client(port, 'TLSv1.2');
    c.s.write('hello\n');
    await srv.waitForStdout('hello\n');
    await srv.send('before R\n');
    await until(() => c.text() === 'before R\n', 'data before R');
    await srv.send('R\n');
    await until(() => c.error() !== null, 'the end of the connection');
    await srv.waitForStdout(/Alert \[length 0002\], warning no_renegotiation/);
    expect(c.error()).toBeInstanceOf(TlsError);
    expect({ status: (c.error() as TlsError).status, alert: (c.error() as TlsError).alert }).toEqual({ status: 'AlertReceived', alert: 40 });
    expect(c.text()).toBe('before R\n');
  });

  it("TLS 1.2, s_client 'R' (a renegotiation ClientHello) to a puretls/node server: no_renegotiation, OpenSSL's handshake_failure is reported on that socket, the server serves the next client", async () => {
    const sockets: TlsSocket[] = [];
    const errors: unknown[] = [];
    const server = createServer({ cert: f.pki.chainPem, key: f.pki.keyPem }, (sock) => {
      sockets.push(sock);
      sock.on('error', (e) => errors.push(e));
      sock.on('data', (d) => sock.write(d));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    try {
      const cli = startOpensslClient(port, ['-tls1_2', '-msg', ...opensslVerifyArgs(f.caFile)]);
      await cli.waitForStdout(/Verify return code: 0/);
      await cli.send('ping\n');
      await cli.waitForStdout(/\nping\n/);
      await cli.send('R\n');
      await cli.waitForStdout(/Alert \[length 0002\], warning no_renegotiation/);
      await until(() => errors.length > 0, 'the error on the server socket');
      expect(errors[0]).toBeInstanceOf(TlsError);
      expect({ status: (errors[0] as TlsError).status, alert: (errors[0] as TlsError).alert }).toEqual({ status: 'AlertReceived', alert: 40 });
      // The next client is served as usual (TLS 1.3 this time).
      const next = startOpensslClient(port, ['-tls1_3', ...opensslVerifyArgs(f.caFile)]);
      await next.waitForStdout(/Verify return code: 0/);
      await next.send('second\n');
      await next.waitForStdout(/\nsecond\n/);
      expect(errors.length).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});
