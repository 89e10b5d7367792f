import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { rootCertificates } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import { AlertDescription, TlsError } from '../../../src/base/errors.js';
import { TlsPump } from '../../../src/transport/pump.js';
import { connect, createServer, mapTransportError, nodeClientOptions, nodeServerOptions, upgrade, type IdentityCertificate, type TlsServer, type TlsServerOptions, type TlsSocket } from '../../../src/transport/node.js';
import { toCertificate } from '../../../src/verify/certificate.js';
import { parseCertificate } from '../../../src/verify/x509.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

let pki: TestPki;
/** Another CA with the same name as pki's but another key: pki's chain is Untrusted under it. */
let otherPki: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1', '::1'] });
  otherPki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  cleanup.push(() => server.close());
  const a = server.address();
  if (!a || typeof a !== 'object') throw new TlsError('InternalError', { detail: 'no address' });
  return a.port;
}

/** Server-side errors after the handshake (e.g. the peer was destroyed by cleanup), collected so none is unhandled. */
const serverSocketErrors: TlsError[] = [];

function tlsServer(onConnection: (s: TlsSocket) => void, extra: Omit<TlsServerOptions, 'cert' | 'key'> = {}): TlsServer {
  return createServer({ cert: pki.chainPem, key: pki.keyPem, ...extra }, (s) => {
    s.on('error', (e: Error) => serverSocketErrors.push(e as TlsError));
    onConnection(s);
  });
}

function sha256(chunks: readonly Buffer[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

function nextError(s: TlsSocket): Promise<TlsError> {
  return new Promise((resolve) => s.once('error', (e: Error) => resolve(e as TlsError)));
}

function secure(s: TlsSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('secureConnect', () => resolve());
    s.once('error', reject);
  });
}

/** Writes `data` in 16 KiB pieces, honouring write()'s return value. Counts how often it had to wait. */
async function writeAll(s: TlsSocket, data: Buffer): Promise<number> {
  let waits = 0;
  for (let off = 0; off < data.length; off += 16384) {
    if (!s.write(data.subarray(off, off + 16384))) {
      waits++;
      await new Promise<void>((resolve) => s.once('drain', () => resolve()));
    }
  }
  return waits;
}

/** A reader that stalls first (to build back-pressure), then takes data slowly. Records the largest readable buffer. */
function slowRead(s: TlsSocket, total: number, stallMs: number): Promise<{ data: Buffer[]; maxBuffered: number }> {
  return new Promise((resolve, reject) => {
    const data: Buffer[] = [];
    let got = 0;
    let maxBuffered = 0;
    const sample = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, s.readableLength);
    }, 5);
    s.once('error', (e) => {
      clearInterval(sample);
      reject(e);
    });
    const drain = (): void => {
      maxBuffered = Math.max(maxBuffered, s.readableLength);
      let c: Buffer | null;
      let n = 0;
      // Take at most ~32 KiB per tick: a slow consumer.
      while (n < 32768 && (c = s.read() as Buffer | null) !== null) {
        data.push(c);
        got += c.length;
        n += c.length;
      }
      if (got >= total) {
        clearInterval(sample);
        resolve({ data, maxBuffered });
        return;
      }
      setTimeout(drain, 2);
    };
    setTimeout(drain, stallMs);
  });
}

describe('puretls/node over loopback', () => {
  it('moves 1 MiB each way intact, with back-pressure on a slow reader', async () => {
    const SIZE = 1024 * 1024;
    const toServer = randomBytes(SIZE);
    const toClient = randomBytes(SIZE);
    let serverSide: Promise<{ data: Buffer[]; maxBuffered: number; waits: number }> | undefined;
    const server = tlsServer((s) => {
      serverSide = (async () => {
        const reading = slowRead(s, SIZE, 300);
        const waits = await writeAll(s, toClient);
        const r = await reading;
        return { ...r, waits };
      })();
    });
    const port = await listen(server);
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem });
    cleanup.push(() => client.destroy());
    await secure(client);
    const reading = slowRead(client, SIZE, 300);
    await writeAll(client, toServer);
    const clientGot = await reading;
    expect(serverSide).toBeDefined();
    const serverGot = await serverSide!;

    expect(Buffer.concat(clientGot.data).length).toBe(SIZE);
    expect(sha256(clientGot.data)).toBe(sha256([toClient]));
    expect(Buffer.concat(serverGot.data).length).toBe(SIZE);
    expect(sha256(serverGot.data)).toBe(sha256([toServer]));
    // The stalled readers never buffered the whole stream. (The writers need not wait here:
    // a write the kernel takes at once completes at once, as on a net.Socket, and loopback
    // socket buffers hold 1 MiB; a writer held back by a transport that does not drain is
    // tested in backpressure.test.ts.)
    expect(clientGot.maxBuffered).toBeLessThan(SIZE / 2);
    expect(serverGot.maxBuffered).toBeLessThan(SIZE / 2);
  });

  it('closes cleanly both ways and agrees on ALPN, exporter and KeyUpdate', async () => {
    const server = tlsServer((s) => s.pipe(s), { ALPNProtocols: ['h2', 'http/1.1'] });
    const port = await listen(server);
    let serverExport: Buffer | undefined;
    server.on('secureConnection', (s: TlsSocket) => {
      serverExport = s.exportKeyingMaterial(32, 'EXPORTER-test', new Uint8Array([1, 2, 3]));
    });
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, ALPNProtocols: ['http/1.1'] });
    await secure(client);
    expect(client.info.version).toBe('TLSv1.3');
    expect(client.alpnProtocol).toBe('http/1.1');
    expect(client.authorized).toBe(true);
    expect(client.getPeerCertificate()?.dnsNames).toContain('localhost');
    await client.keyUpdate(true);
    const chunks: Buffer[] = [];
    client.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    let errored: Error | null = null;
    client.on('error', (e: Error) => (errored = e));
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.write('after key update\n');
    client.end('bye\n');
    await ended;
    await closed;
    expect(errored).toBeNull();
    expect(client.connection.phase).toBe('closed');
    expect(Buffer.concat(chunks).toString()).toBe('after key update\nbye\n');
    expect(serverExport).toBeDefined();
    expect(client.exportKeyingMaterial(32, 'EXPORTER-test', new Uint8Array([1, 2, 3])).equals(serverExport!)).toBe(true);
  });

  it('reports EOF without close_notify after the handshake as Truncated, after the data', async () => {
    const server = tlsServer(() => {
      // nothing: the raw socket is ended below
    });
    server.on('secureConnection', (s: TlsSocket) => {
      s.write('partial', () => raw?.end());
    });
    let raw: net.Socket | undefined;
    server.on('connection', (r: net.Socket) => {
      raw = r;
    });
    const port = await listen(server);
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem });
    const got: Buffer[] = [];
    let ended = false;
    client.on('data', (d: Buffer) => got.push(d));
    client.on('end', () => {
      ended = true;
    });
    const err = await nextError(client);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.status).toBe('Truncated');
    expect(Buffer.concat(got).toString()).toBe('partial');
    expect(ended).toBe(false);
  });

  it('delivers everything received before a truncation to a slow reader, then reports Truncated', async () => {
    const SIZE = 300 * 1024;
    const payload = randomBytes(SIZE);
    let raw: net.Socket | undefined;
    const server = tlsServer((s) => {
      s.write(payload, () => raw?.end());
    });
    server.on('connection', (r: net.Socket) => {
      raw = r;
    });
    const port = await listen(server);
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem });
    await secure(client);
    const got: Buffer[] = [];
    const err = await new Promise<TlsError>((resolve) => {
      client.once('error', (e: Error) => resolve(e as TlsError));
      client.on('end', () => resolve(new TlsError('InternalError', { detail: 'clean end instead of Truncated' })));
      // Paused-mode reader that starts late and takes one chunk per tick.
      const pump = (): void => {
        const c = client.read() as Buffer | null;
        if (c) got.push(c);
        setTimeout(pump, 1);
      };
      setTimeout(pump, 200);
    });
    expect(err.status).toBe('Truncated');
    expect(Buffer.concat(got).equals(payload)).toBe(true);
  });

  it('reports EOF during the handshake as Truncated', async () => {
    const plain = net.createServer((s) => s.end());
    const port = await listen(plain);
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem });
    const err = await nextError(client);
    expect(err.status).toBe('Truncated');
  });

  it('maps a refused connection to ConnectionRefused', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem });
    const err = await nextError(client);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.status).toBe('ConnectionRefused');
    expect(err.category).toBe('transport');
    expect((err.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it("surfaces the engine's TlsError on both sides of a failed handshake", async () => {
    // No cipher suite in common: the server refuses the ClientHello.
    const server = tlsServer(() => {
      throw new TlsError('InternalError', { detail: 'the handshake must not succeed' });
    }, { cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
    const serverError = new Promise<TlsError>((resolve) => server.once('tlsClientError', (e: TlsError) => resolve(e)));
    const port = await listen(server);
    const client = connect({ host: '127.0.0.1', port, ca: pki.caCertPem, cipherSuites: ['TLS_AES_256_GCM_SHA384'] });
    const err = await nextError(client);
    const serr = await serverError;
    expect(serr).toBeInstanceOf(TlsError);
    expect(serr.status).toBe('HandshakeFailure');
    expect(serr.source).toBe('local');
    expect(err).toBeInstanceOf(TlsError);
    expect(err.status).toBe('AlertReceived');
    expect(err.alert).toBe(AlertDescription.handshake_failure);
    expect(client.connection.error).toBe(err);
  });

  it('reports an untrusted chain on the client, and the alert it sent on the server', async () => {
    const server = tlsServer(() => {
      throw new TlsError('InternalError', { detail: 'the handshake must not succeed' });
    });
    const serverError = new Promise<TlsError>((resolve) => server.once('tlsClientError', (e: TlsError) => resolve(e)));
    const port = await listen(server);
    // The wrong trust anchor (same name, other key): the client refuses the chain.
    const client = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: otherPki.caCertPem });
    const err = await nextError(client);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.status).toBe('CertificateUntrusted');
    expect(err.alert).toBe(AlertDescription.unknown_ca);
    expect(err.certificateErrors.map((e) => e.code)).toContain('Untrusted');
    expect(client.info.certificateErrorSeverity).not.toBe('none');
    const serr = await serverError;
    expect(serr).toBeInstanceOf(TlsError);
    expect(serr.status).toBe('AlertReceived');
    expect(serr.alert).toBe(AlertDescription.unknown_ca);
  });

  it('reports a name mismatch, and accepts it when InvalidName is ignorable', async () => {
    const server = tlsServer((s) => s.pipe(s));
    server.on('tlsClientError', () => {
      // expected for the first connection
    });
    const port = await listen(server);
    const bad = connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: pki.caCertPem });
    const err = await nextError(bad);
    expect(err.status).toBe('CertificateInvalidName');
    expect(err.alert).toBe(AlertDescription.bad_certificate);
    const ok = connect({ host: '127.0.0.1', port, servername: 'wrong.example', ca: pki.caCertPem, ignorableCertificateErrors: ['InvalidName'] });
    cleanup.push(() => ok.destroy());
    await secure(ok);
    expect(ok.info.certificateErrors.map((e) => e.code)).toEqual(['InvalidName']);
    expect(ok.info.certificateErrorSeverity).toBe('ignorable');
    expect(ok.authorized).toBe(false);
  });

  it('upgrades an open plaintext connection, in both roles', async () => {
    let serverTls: Promise<string> | undefined;
    const plain = net.createServer((raw) => {
      raw.once('data', (d: Buffer) => {
        expect(d.toString()).toBe('STARTTLS\n');
        raw.write('GO\n', () => {
          const s = upgrade(raw, { role: 'server', cert: pki.chainPem, key: pki.keyPem });
          serverTls = new Promise((resolve, reject) => {
            s.once('error', reject);
            s.once('data', (m: Buffer) => {
              s.end(`got ${m.toString()}`);
              resolve(m.toString());
            });
          });
        });
      });
    });
    const port = await listen(plain);
    const raw = net.connect({ host: '127.0.0.1', port });
    cleanup.push(() => raw.destroy());
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));
    raw.write('STARTTLS\n');
    await new Promise<void>((resolve) => raw.once('data', () => resolve()));
    raw.pause();
    const client = upgrade(raw, { servername: 'localhost', ca: pki.caCertPem });
    await secure(client);
    const reply = new Promise<string>((resolve, reject) => {
      let text = '';
      client.on('data', (d: Buffer) => (text += d.toString()));
      client.once('end', () => resolve(text));
      client.once('error', reject);
    });
    client.write('hello');
    expect(await reply).toBe('got hello');
    expect(await serverTls).toBe('hello');
  });

  it('maps socket error codes to transport statuses', () => {
    const code = (c: string): string => mapTransportError(Object.assign(new Error(c), { code: c })).status;
    expect(code('ECONNREFUSED')).toBe('ConnectionRefused');
    expect(code('ENOTFOUND')).toBe('HostNotFound');
    expect(code('EAI_AGAIN')).toBe('HostNotFound');
    expect(code('ECONNRESET')).toBe('ConnectionReset');
    expect(code('EPIPE')).toBe('ConnectionReset');
    expect(code('ETIMEDOUT')).toBe('TimedOut');
    expect(code('ENETUNREACH')).toBe('NetworkUnreachable');
    expect(code('EHOSTUNREACH')).toBe('NetworkUnreachable');
    expect(code('EWHATEVER')).toBe('TransportError');
    const t = new TlsError('Truncated');
    expect(mapTransportError(t)).toBe(t);
  });
});

// ---------------------------------------------------------------------------
// The runtime-neutral pump that the Node adapter is built on, driven in memory.

interface MemEnd {
  pump: TlsPump;
  got: Buffer[];
  errors: TlsError[];
  ended: number;
  handshakes: number;
  /** Bytes sent by this end, not yet moved to the other. */
  wire: Uint8Array[];
  paused: boolean;
}

function memEnd(conn: TlsConnection, pauseDelivery = false): MemEnd {
  const e: MemEnd = { pump: undefined as unknown as TlsPump, got: [], errors: [], ended: 0, handshakes: 0, wire: [], paused: pauseDelivery };
  e.pump = new TlsPump(conn, {
    send: (b) => {
      e.wire.push(b.slice());
    },
    deliver: (d) => {
      e.got.push(Buffer.from(d));
      return !e.paused;
    },
    handshakeDone: () => e.handshakes++,
    readEnded: () => e.ended++,
    error: (err) => e.errors.push(err),
  });
  return e;
}

/** Moves bytes from `from` to `to` in chunks of `size` until nothing moves any more. */
async function shuttle(a: MemEnd, b: MemEnd, size: number): Promise<void> {
  for (let rounds = 0; rounds < 100000; rounds++) {
    let moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const bytes = Buffer.concat(from.wire.splice(0));
      for (let off = 0; off < bytes.length; off += size) {
        to.pump.push(bytes.subarray(off, off + size));
        moved = true;
      }
    }
    await a.pump.whenIdle();
    await b.pump.whenIdle();
    if (!moved && a.wire.length === 0 && b.wire.length === 0) return;
  }
}

describe('TlsPump (in memory)', () => {
  function pair(pauseServer = false): { client: MemEnd; server: MemEnd } {
    const client = memEnd(TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem }));
    const server = memEnd(TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem }), pauseServer);
    return { client, server };
  }

  it('gives the same bytes whatever the chunking', async () => {
    for (const size of [1, 7, 1000, 70000]) {
      const { client, server } = pair();
      await client.pump.start();
      await server.pump.start();
      const n = size === 1 ? 6000 : 40_000; // 1-byte pushes are slow: keep that run short
      const up = randomBytes(n);
      const down = randomBytes(n);
      const writes = Promise.all([client.pump.write(up), server.pump.write(down)]);
      await shuttle(client, server, size);
      await writes;
      await client.pump.close();
      await server.pump.close();
      await shuttle(client, server, size);
      expect(client.handshakes).toBe(1);
      expect(server.handshakes).toBe(1);
      expect(Buffer.concat(server.got).equals(up)).toBe(true);
      expect(Buffer.concat(client.got).equals(down)).toBe(true);
      expect(client.ended).toBe(1);
      expect(server.ended).toBe(1);
      expect(client.errors).toEqual([]);
      expect(server.errors).toEqual([]);
    }
  });

  it('stops taking input while the application is paused, and loses nothing', async () => {
    const { client, server } = pair(true);
    await client.pump.start();
    await server.pump.start();
    await shuttle(client, server, 16384);
    const SIZE = 2 * 1024 * 1024;
    const up = randomBytes(SIZE);
    await client.pump.write(up);
    await client.pump.close();
    // Offer everything to the paused server: push() asks the source to pause.
    const wire = Buffer.concat(client.wire.splice(0));
    let refused = 0;
    for (let off = 0; off < wire.length; off += 65536) if (!server.pump.push(wire.subarray(off, off + 65536))) refused++;
    await server.pump.whenIdle();
    expect(refused).toBeGreaterThan(0);
    const deliveredWhilePaused = server.got.reduce((n, b) => n + b.length, 0);
    expect(deliveredWhilePaused).toBeLessThan(SIZE / 2);
    expect(server.ended).toBe(0);
    server.pump.eof();
    await server.pump.whenIdle();
    expect(server.errors).toEqual([]);
    // Resume until everything arrived; the end comes last.
    for (let i = 0; i < 10000 && server.ended === 0; i++) {
      server.paused = i % 2 === 0; // alternate: back-pressure again and again
      server.pump.resume();
      await server.pump.whenIdle();
    }
    expect(Buffer.concat(server.got).equals(up)).toBe(true);
    expect(server.ended).toBe(1);
    expect(server.errors).toEqual([]);
  });

  it('reports truncation only after delivering the data that preceded it', async () => {
    const { client, server } = pair(true);
    await client.pump.start();
    await server.pump.start();
    await shuttle(client, server, 16384);
    const up = randomBytes(500_000);
    await client.pump.write(up);
    for (const b of client.wire.splice(0)) server.pump.push(b);
    server.pump.eof(); // no close_notify
    await server.pump.whenIdle();
    expect(server.errors).toEqual([]);
    for (let i = 0; i < 10000 && server.errors.length === 0; i++) {
      server.pump.resume();
      await server.pump.whenIdle();
    }
    expect(Buffer.concat(server.got).equals(up)).toBe(true);
    expect(server.errors.map((e) => e.status)).toEqual(['Truncated']);
    expect(server.ended).toBe(0);
  });
});

describe('Node option semantics (nodeClientOptions / nodeServerOptions)', () => {
  it('client: the root store (as ca) only when neither ca nor verifier is given, never without a name; checkServerIdentity gets Node fields', () => {
    // Issue 7 item 1: this used to build a root-store verifier for options without any name,
    // which bypassed the engine's servername guard. Now a name is required (or an explicit opt-out).
    expect(() => nodeClientOptions({})).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    expect(nodeClientOptions({ servername: 'example.com' }).ca).toBe(rootCertificates);
    expect(nodeClientOptions({ servername: 'example.com' }).verifier).toBeUndefined();
    expect(nodeClientOptions({ ignorableCertificateErrors: ['InvalidName'] }).ca).toBe(rootCertificates);
    expect(nodeClientOptions({ servername: 'localhost', ca: pki.caCertPem }).ca).toBe(pki.caCertPem);
    expect(nodeClientOptions({ servername: 'localhost', ca: pki.caCertPem }).verifier).toBeUndefined();
    const own = { verify: () => Promise.reject(new Error('unused')) };
    expect(nodeClientOptions({ verifier: own }).verifier).toBe(own);
    let seen: IdentityCertificate | undefined;
    const o = nodeClientOptions({ servername: 'localhost', ca: pki.caCertPem, checkServerIdentity: (_h, c) => ((seen = c), undefined) });
    const cert = toCertificate(parseCertificate(pki.certDer));
    expect(o.checkServerIdentity!('localhost', cert)).toBeUndefined();
    expect(seen).toMatchObject({ subject: cert.subject, sha256: cert.sha256, subjectaltname: 'DNS:localhost, IP Address:127.0.0.1, IP Address:::1' });
    expect(seen!.raw.equals(Buffer.from(pki.certDer))).toBe(true);
    expect(seen!.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(seen!.valid_to).toBe(cert.notAfter.toUTCString());
  });

  it('server: requestCert requires unless rejectUnauthorized is false or requireCert says otherwise', () => {
    const base = { cert: pki.chainPem, key: pki.keyPem, ca: pki.caCertPem };
    expect(nodeServerOptions({ ...base }).requireCert).toBe(false);
    expect(nodeServerOptions({ ...base, requestCert: true }).requireCert).toBe(true);
    expect(nodeServerOptions({ ...base, requestCert: true, rejectUnauthorized: false }).requireCert).toBe(false);
    expect(nodeServerOptions({ ...base, requestCert: true, requireCert: false }).requireCert).toBe(false);
    expect(nodeServerOptions({ ...base, requireCert: true, rejectUnauthorized: false }).requireCert).toBe(true);
    // The root store is used for client certificates only when they are asked for and no anchors are given.
    expect(nodeServerOptions({ cert: pki.chainPem, key: pki.keyPem, requestCert: true }).ca).toBe(rootCertificates);
    expect(nodeServerOptions({ cert: pki.chainPem, key: pki.keyPem }).ca).toBeUndefined();
    expect(nodeServerOptions({ ...base, requestCert: true }).ca).toBe(pki.caCertPem);
    expect(nodeServerOptions({ cert: pki.chainPem, key: pki.keyPem, requestCert: true }).verifier).toBeUndefined();
  });

  it('the root store keeps maxDepth checks (InvalidConfig): it goes through the built-in verifier', () => {
    expect(() => connect({ host: '127.0.0.1', port: 1, maxDepth: -1 })).toThrow(TlsError);
  });
});
