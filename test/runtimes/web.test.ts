/**
 * `puretls/web` (`fromStreams`) in Node, over a TCP socket seen as a pair of Web Streams
 * (see socketPair): both roles against Node `tls`, the statuses of failures (no root store,
 * untrusted chain, reset, truncation), back-pressure from a reader that stops reading.
 */
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fromStreams, mapTransportError, type ByteStreamPair } from '../../src/transport/web.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { createHash } from 'node:crypto';
import { SEED, agentChunks, mbps, nodeTransfer } from './runtime-agent.js';

let pki: TestPki;
let other: TestPki;
const closers: (() => void | Promise<void>)[] = [];
beforeAll(async () => {
  [pki, other] = await Promise.all([generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] }), generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] })]);
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});
afterAll(() => undefined);

/**
 * A net.Socket as a byte-stream pair. (Not `Duplex.toWeb`: in Node 20 its readable closes only
 * once both directions finished, so a half-open socket never shows the peer's EOF.)
 */
function socketPair(sock: net.Socket): ByteStreamPair {
  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        sock.on('data', (d: Buffer) => {
          c.enqueue(new Uint8Array(d));
          if ((c.desiredSize ?? 0) <= 0) sock.pause();
        });
        sock.on('end', () => c.close());
        sock.on('error', (e) => c.error(e));
      },
      pull() {
        sock.resume();
      },
      cancel() {
        sock.destroy();
      },
    },
    { highWaterMark: 65536, size: (c) => c.byteLength },
  );
  const writable = new WritableStream<Uint8Array>({
    write: (chunk) => new Promise<void>((resolve, reject) => sock.write(chunk, (e) => (e ? reject(e) : resolve()))),
    close: () => new Promise<void>((resolve) => sock.end(resolve)),
    abort: () => void sock.destroy(),
  });
  return { readable, writable };
}

async function tcp(port: number): Promise<{ sock: net.Socket; pair: ByteStreamPair }> {
  const sock = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  await once(sock, 'connect');
  closers.push(() => void sock.destroy());
  return { sock, pair: socketPair(sock) };
}

async function nodeServer(opts: tls.TlsOptions, onSocket: (s: tls.TLSSocket) => void): Promise<number> {
  const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, ...opts }, (s) => {
    s.on('error', () => {});
    onSocket(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of r as unknown as AsyncIterable<Uint8Array>) parts.push(c);
  return Buffer.concat(parts);
}

async function errorOf(p: Promise<unknown>): Promise<TlsError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(TlsError);
  return e as TlsError;
}

describe('puretls/web fromStreams', () => {
  it('client ↔ Node tls echo server: handshake info, data both ways, close_notify both ways', async () => {
    const port = await nodeServer({ ALPNProtocols: ['x-echo'] }, (s) => s.pipe(s));
    const { pair } = await tcp(port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem, ALPNProtocols: ['x-echo'] });
    const info = await c.handshake();
    expect(info).toMatchObject({ version: 'TLSv1.3', alpn: 'x-echo', certificateErrors: [], certificateErrorSeverity: 'none' });
    expect(info.peerCertificate).toEqual(pki.certDer);
    const w = c.writable.getWriter();
    const msg = new TextEncoder().encode('hello over web streams');
    await w.write(msg);
    await w.close(); // our close_notify; Node's echo ends with its own
    expect(new TextDecoder().decode(await readAll(c.readable))).toBe('hello over web streams');
    expect(await c.closed).toBeNull();
  });

  it('server ↔ Node tls client: TLS 1.2 and 1.3, echo, the client sees a clean end', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
        closers.push(() => void sock.destroy());
        const s = fromStreams(socketPair(sock), { role: 'server', cert: pki.chainPem, key: pki.keyPem });
        void s.readable.pipeTo(s.writable).catch(() => undefined);
      });
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      closers.push(() => new Promise<void>((r) => srv.close(() => r())));
      const client = tls.connect({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port, servername: 'localhost', ca: pki.caCertPem, maxVersion });
      closers.push(() => void client.destroy());
      await once(client, 'secureConnect');
      expect(client.getProtocol()).toBe(maxVersion);
      const chunks: Buffer[] = [];
      client.on('data', (d: Buffer) => chunks.push(d));
      const ended = once(client, 'end');
      client.end('ping ' + maxVersion);
      await ended;
      expect(Buffer.concat(chunks).toString()).toBe('ping ' + maxVersion);
    }
  });

  it('a client without ca is InvalidConfig naming the missing root store, before any byte is sent', () => {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    let e: unknown;
    try {
      fromStreams({ readable, writable }, { servername: 'localhost' });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InvalidConfig');
    expect((e as TlsError).message).toMatch(/no root store: pass `ca`/);
    expect(() => fromStreams({ readable, writable } as ByteStreamPair, { servername: 'localhost', ca: pki.caCertPem, role: 'nope' as 'client' })).toThrow(TlsError);
    expect(() => fromStreams({} as ByteStreamPair, { servername: 'localhost', ca: pki.caCertPem })).toThrow(/ReadableStream/);
  });

  it('an untrusted chain fails handshake(), readable and writes with CertificateUntrusted (bad_certificate family alert sent)', async () => {
    const port = await nodeServer({}, (s) => s.pipe(s));
    const { pair } = await tcp(port);
    const c = fromStreams(pair, { servername: 'localhost', ca: other.caCertPem });
    const w = c.writable.getWriter();
    const wrote = w.write(new Uint8Array([1, 2, 3]));
    const e = await errorOf(c.handshake());
    expect(e.status).toBe('CertificateUntrusted');
    expect((await errorOf(wrote)).status).toBe('CertificateUntrusted');
    expect((await errorOf(readAll(c.readable))).status).toBe('CertificateUntrusted');
    expect((await c.closed)?.status).toBe('CertificateUntrusted');
  });

  it('a peer that resets during the handshake is a transport status, not a hang', async () => {
    const srv = net.createServer((sock) => sock.once('data', () => sock.resetAndDestroy()));
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    const { pair } = await tcp((srv.address() as AddressInfo).port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem });
    const e = await errorOf(c.handshake());
    expect(['ConnectionReset', 'Truncated']).toContain(e.status);
    expect(await c.closed).toBe(e);
  });

  it('EOF without close_notify after data: the data is read first, then Truncated', async () => {
    const port = await nodeServer({}, (s) => {
      // destroy() sends no close_notify (end() would).
      s.write('partial answer', () => setTimeout(() => s.destroy(), 50));
    });
    const { pair } = await tcp(port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem });
    await c.handshake();
    const r = c.readable.getReader();
    const first = await r.read();
    expect(new TextDecoder().decode(first.value)).toBe('partial answer');
    const e = await errorOf(r.read());
    expect(e.status).toBe('Truncated');
    expect((await c.closed)?.status).toBe('Truncated');
  });

  it('a reader that stops reading stops socket reads: the sender stalls, then 8 MiB arrive intact', async () => {
    const total = 8 * 1024 * 1024;
    let sentAtPause = -1;
    const peerDone = { sock: null as tls.TLSSocket | null };
    const port = await nodeServer({}, (s) => {
      peerDone.sock = s;
      const chunk = Buffer.alloc(65536);
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32BE((sent + i) >>> 0, i);
          sent += chunk.length;
          if (!s.write(Buffer.from(chunk))) {
            s.once('drain', pump);
            return;
          }
        }
        s.end();
      };
      pump();
    });
    const { sock, pair } = await tcp(port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem });
    await c.handshake();
    // Read nothing for a while: the 64 KiB readable queue fills, then the engine, then the socket.
    await new Promise((r) => setTimeout(r, 800));
    sentAtPause = sock.bytesRead;
    await new Promise((r) => setTimeout(r, 400));
    // No more socket reads while the reader is stalled (TCP back-pressure reaches the sender).
    expect(sock.bytesRead).toBe(sentAtPause);
    expect(sentAtPause).toBeLessThan(total / 2);
    const got = await readAll(c.readable);
    expect(got.length).toBe(total);
    const v = new DataView(got.buffer, got.byteOffset, got.byteLength);
    for (let off = 0; off < total; off += 65536) for (let i = 0; i < 65536; i += 4096) expect(v.getUint32(off + i)).toBe((off + i) >>> 0);
  });

  it('hostile peer: bytes that are not TLS fail the handshake with a protocol status, nothing hangs', async () => {
    const srv = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => sock.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    const { pair } = await tcp((srv.address() as AddressInfo).port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem, lingerTimeout: 100 });
    const e = await errorOf(c.handshake());
    expect(['DecodeError', 'ProtocolVersion', 'UnexpectedMessage', 'RecordOverflow']).toContain(e.status);
    expect(await c.closed).toBe(e);
  });

  it('hostile client against a fromStreams server: a silent peer hits handshakeTimeout (TimedOut), garbage a protocol status', async () => {
    const results: Promise<TlsError | null>[] = [];
    const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
      closers.push(() => void sock.destroy());
      const s = fromStreams(socketPair(sock), { role: 'server', cert: pki.chainPem, key: pki.keyPem, handshakeTimeout: 300, lingerTimeout: 50 });
      results.push(s.handshake().then(() => null, (x: TlsError) => x));
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    const port = (srv.address() as AddressInfo).port;
    const silent = await tcp(port);
    await new Promise((r) => setTimeout(r, 50));
    const noisy = await tcp(port);
    noisy.sock.write(Buffer.alloc(300, 0x16));
    await new Promise((r) => setTimeout(r, 50));
    const [a, b] = await Promise.all(results);
    expect(a?.status).toBe('TimedOut');
    expect(['DecodeError', 'IllegalParameter', 'RecordOverflow', 'ProtocolVersion', 'UnexpectedMessage']).toContain(b?.status);
    void silent;
  });

  it('careless caller: non-bytes writes are ApiMisuse, writes after close are Closed, a cancelled reader does not stop the writer', async () => {
    const port = await nodeServer({}, (s) => {
      s.on('data', () => undefined);
      s.write('x'.repeat(100_000));
      s.on('end', () => s.end());
    });
    const { pair } = await tcp(port);
    const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem });
    await c.handshake();
    await c.readable.cancel(); // we do not want the server's data
    const w = c.writable.getWriter();
    await w.write(new Uint8Array([1, 2, 3])); // still works after cancel
    const bad = await w.write('a string' as unknown as Uint8Array).then(
      () => null,
      (x: unknown) => x,
    );
    expect(bad).toBeInstanceOf(TlsError);
    expect((bad as TlsError).status).toBe('ApiMisuse');
    // The peer's close_notify is answered by ours (allowHalfOpen false): a later write is Closed.
    // (Node's TLS 1.3 server drops close_notify when it end()s at once after the handshake: wait a little.)
    const port2 = await nodeServer({}, (s) => void setTimeout(() => s.end('bye'), 100));
    const c2 = fromStreams((await tcp(port2)).pair, { servername: 'localhost', ca: pki.caCertPem });
    expect(new TextDecoder().decode(await readAll(c2.readable))).toBe('bye');
    expect(await c2.closed).toBeNull();
    const after = await errorOf(c2.writable.getWriter().write(new Uint8Array(1)));
    expect(after.status).toBe('Closed');
    await c.close();
    await c2.close();
  });

  it('16 MiB each way with checksums, our reader slow (8 ms per 256 KiB): fromStreams client ↔ Node tls, both providers', async () => {
    const N = 16 * 1024 * 1024;
    const lines: string[] = [];
    for (const provider of ['native', 'pure'] as const) {
      let peer!: ReturnType<typeof nodeTransfer>;
      const port = await nodeServer({}, (s) => {
        peer = nodeTransfer(s, N, SEED.server);
      });
      const { pair } = await tcp(port);
      const crypto = provider === 'native' ? (await import('../../src/crypto/native.js')).nativeProvider : undefined;
      const c = fromStreams(pair, { servername: 'localhost', ca: pki.caCertPem, ...(crypto ? { crypto } : {}) });
      await c.handshake();
      const t0 = performance.now();
      const send = (async () => {
        const w = c.writable.getWriter();
        const h = createHash('sha256');
        for (const chunk of agentChunks(N, SEED.client)) {
          h.update(chunk);
          await w.write(chunk);
        }
        return { w, sha: h.digest('hex'), ms: performance.now() - t0 };
      })();
      const recv = (async () => {
        const r = c.readable.getReader();
        const h = createHash('sha256');
        let got = 0;
        let mark = 0;
        while (got < N) {
          const { value, done } = await r.read();
          if (done) break;
          h.update(value);
          got += value.length;
          if (got - mark >= 262144) {
            mark = got;
            await new Promise((res) => setTimeout(res, 8));
          }
        }
        return { r, got, sha: h.digest('hex'), ms: performance.now() - t0 };
      })();
      const [sd, rd] = await Promise.all([send, recv]);
      await sd.w.close();
      const p = await peer;
      expect(rd.got).toBe(N);
      expect(rd.sha).toBe(p.sentSha);
      expect(p.recvSha).toBe(sd.sha);
      expect((await rd.r.read()).done).toBe(true);
      expect(await c.closed).toBeNull();
      lines.push(`[web/Node] ${provider}: receives ${mbps(N, rd.ms)} MB/s (slow reader), sends ${mbps(N, sd.ms)} MB/s`);
    }
    console.log(`puretls/web fromStreams, 16 MiB each way vs Node tls (noisy machine: indicative)\n  ${lines.join('\n  ')}`);
  }, 180_000);

  it('mapTransportError: Deno error names and Node/Bun codes become stable transport statuses, the original kept as cause', () => {
    const denoErr = (name: string, message = name): Error => Object.assign(new Error(message), { name });
    const cases: [unknown, string][] = [
      [denoErr('ConnectionRefused'), 'ConnectionRefused'],
      [denoErr('ConnectionReset'), 'ConnectionReset'],
      [denoErr('BrokenPipe'), 'ConnectionReset'],
      [denoErr('TimedOut'), 'TimedOut'],
      [denoErr('NotFound', 'failed to lookup address information: Name or service not known'), 'HostNotFound'],
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'ConnectionRefused'],
      [Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }), 'HostNotFound'],
      [Object.assign(new Error('x'), { code: 'ENETUNREACH' }), 'NetworkUnreachable'],
      [new Error('something else'), 'TransportError'],
      ['a string', 'TransportError'],
    ];
    for (const [e, status] of cases) {
      const m = mapTransportError(e);
      expect(m).toBeInstanceOf(TlsError);
      expect(m.status).toBe(status);
      expect(m.cause).toBe(e);
    }
    const already = new TlsError('Truncated');
    expect(mapTransportError(already)).toBe(already);
  });
});

