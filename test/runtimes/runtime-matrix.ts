/**
 * The interop matrix one runtime adapter (`puretls/deno` or `puretls/bun`) runs under the real
 * runtime: both roles against Node `tls`, `openssl s_server` / `s_client`, and the runtime's
 * own TLS, with 16 MiB each way, checksummed, while the agent's reader is slow.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { killAllPeers, makePkiFiles, opensslAvailable, removeTempDirs, startOpensslClient, startOpensslServer, type PkiFiles } from '../helpers/peers.js';
import { startTestProxy } from '../helpers/http-proxy.js';
import { Agent, SEED, agentChunks, expectedSha, mbps, nodeTransfer, runtimeAvailable, type AgentDone, type Runtime } from './runtime-agent.js';
import { createHash } from 'node:crypto';
import net from 'node:net';

export const N = 16 * 1024 * 1024;
/** The agent's reader pauses this long every 256 KiB (64 pauses per 16 MiB): the slow reader. */
const SLOW_MS = 8;

/** Throughput lines collected by the matrix, printed after the file. */
export const throughput: string[] = [];

export function runtimeMatrix(rt: Runtime): void {
  const avail = runtimeAvailable(rt);
  const ossl = opensslAvailable();
  let pki: PkiFiles;
  const closers: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    pki = await makePkiFiles('ecdsa-p256');
  });
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await killAllPeers();
  });
  afterAll(() => {
    removeTempDirs();
    // The figures asked for by issue 11: MB/s per adapter, per direction (noisy machine: indicative).
    console.log(`[${rt}] 16 MiB transfers (MB/s, reader slow: ${SLOW_MS} ms per 256 KiB)\n  ${throughput.filter((l) => l.startsWith(`[${rt}]`)).join('\n  ')}`);
  });

  const skip = avail.ok ? '' : ` (skipped: ${avail.detail})`;
  const t = avail.ok ? it : it.skip;
  const tOssl = avail.ok && ossl.ok ? it : it.skip;
  const osslSkip = skip || (ossl.ok ? '' : ` (skipped: ${ossl.detail})`);

  function checkDone(d: AgentDone, peerSent: string, peerRecv: string, label: string, role: 'client' | 'server'): void {
    expect(d.sent).toBe(N);
    expect(d.received).toBe(N);
    expect(d.recvSha).toBe(peerSent);
    expect(peerRecv).toBe(d.sentSha);
    expect(d.sentSha).toBe(expectedSha(N, SEED[role]));
    throughput.push(`[${rt}] ${label}: puretls receives ${mbps(N, d.recvMs)} MB/s (slow reader), sends ${mbps(N, d.sendMs)} MB/s`);
  }

  async function nodeServer(opts: tls.TlsOptions, onSocket: (s: tls.TLSSocket) => void): Promise<number> {
    const server = tls.createServer({ cert: pki.pki.chainPem, key: pki.pki.keyPem, ...opts }, onSocket);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    return (server.address() as AddressInfo).port;
  }

  t(`${rt} client ↔ Node tls server: TLS 1.3, 16 MiB each way, checksums, clean close_notify both ways${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    const port = await nodeServer({}, (s) => {
      peer = nodeTransfer(s, N, SEED.server);
    });
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: N, slowMs: SLOW_MS });
    const info = await a.get<{ version: string; peerCertificate: boolean; certificateErrors: unknown[] }>('info');
    expect(info).toMatchObject({ version: 'TLSv1.3', peerCertificate: true, certificateErrors: [] });
    const d = await a.get<AgentDone>('done', 120_000);
    const p = await peer;
    checkDone(d, p.sentSha, p.recvSha, 'client vs Node tls', 'client');
    expect(await a.get('closed')).toEqual({ readableDone: true, extra: 0 });
    expect((await a.proc.waitForExit()).code).toBe(0);
  });

  t(`${rt} client ↔ Node tls server: TLS 1.2 with ALPN${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    const port = await nodeServer({ maxVersion: 'TLSv1.2', ALPNProtocols: ['x-test'] }, (s) => {
      peer = nodeTransfer(s, 1 << 20, SEED.server);
    });
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: 1 << 20, alpn: ['x-test'] });
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.2', alpn: 'x-test' });
    const d = await a.get<AgentDone>('done');
    const p = await peer;
    expect(d.recvSha).toBe(p.sentSha);
    expect(p.recvSha).toBe(d.sentSha);
    expect(await a.get('closed')).toEqual({ readableDone: true, extra: 0 });
  });

  t(`${rt} server ↔ Node tls client: TLS 1.3, 16 MiB each way, the Node reader slow too${skip}`, async () => {
    const a = new Agent(rt, { impl: 'puretls', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: N, slowMs: SLOW_MS });
    const port = await a.get<number>('listening');
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.pki.caCertPem });
    closers.push(() => void s.destroy());
    await once(s, 'secureConnect');
    expect(s.getProtocol()).toBe('TLSv1.3');
    const p = await nodeTransfer(s, N, SEED.client);
    const d = await a.get<AgentDone>('done', 120_000);
    checkDone(d, p.sentSha, p.recvSha, 'server vs Node tls', 'server');
    expect(await a.get('closed')).toEqual({ readableDone: true, extra: 0 });
  });

  t(`${rt} client ↔ ${rt === 'deno' ? 'Deno.listenTls (rustls)' : 'Bun tls server (BoringSSL)'}: 16 MiB each way${skip}`, async () => {
    const srv = new Agent(rt, { impl: 'native', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: N });
    const port = await srv.get<number>('listening');
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: N, slowMs: SLOW_MS });
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3', certificateErrors: [] });
    const d = await a.get<AgentDone>('done', 120_000);
    const p = await srv.get<AgentDone>('done', 120_000);
    checkDone(d, p.sentSha, p.recvSha, `client vs ${rt} native TLS`, 'client');
    expect(await a.get('closed')).toEqual({ readableDone: true, extra: 0 });
    expect(await srv.get('closed')).toEqual({ readableDone: true, extra: 0 });
  });

  t(`${rt} server ↔ ${rt === 'deno' ? 'Deno.connectTls (rustls)' : 'Bun tls client (BoringSSL)'}: 16 MiB each way${skip}`, async () => {
    const a = new Agent(rt, { impl: 'puretls', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: N, slowMs: SLOW_MS });
    const port = await a.get<number>('listening');
    const c = new Agent(rt, { impl: 'native', role: 'client', port, ca: pki.caFile, n: N });
    const d = await a.get<AgentDone>('done', 120_000);
    const p = await c.get<AgentDone>('done', 120_000);
    checkDone(d, p.sentSha, p.recvSha, `server vs ${rt} native TLS`, 'server');
    expect(await a.get('closed')).toEqual({ readableDone: true, extra: 0 });
    expect(await c.get('closed')).toEqual({ readableDone: true, extra: 0 });
  });

  tOssl(`${rt} client ↔ openssl s_server: 16 MiB each way${osslSkip}`, async () => {
    const o = await startOpensslServer(['-cert', pki.chainFile, '-key', pki.keyFile, '-naccept', '1', '-quiet']);
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port: o.port, ca: pki.caFile, n: N, slowMs: SLOW_MS });
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3' });
    const h = createHash('sha256');
    for (const c of agentChunks(N, SEED.server)) {
      h.update(c);
      await o.process.send(c);
    }
    await o.process.waitForStdoutLength(N, 120_000);
    const d = await a.get<AgentDone>('done', 120_000);
    const got = o.process.stdoutBytes.subarray(0, N);
    checkDone(d, h.digest('hex'), createHash('sha256').update(got).digest('hex'), 'client vs openssl s_server', 'client');
  });

  tOssl(`${rt} server ↔ openssl s_client: 16 MiB each way${osslSkip}`, async () => {
    const a = new Agent(rt, { impl: 'puretls', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: N, slowMs: SLOW_MS });
    const port = await a.get<number>('listening');
    const o = startOpensslClient(port, ['-CAfile', pki.caFile, '-servername', 'localhost', '-verify_return_error', '-quiet', '-nocommands']);
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3', serverName: 'localhost' });
    const h = createHash('sha256');
    for (const c of agentChunks(N, SEED.client)) {
      h.update(c);
      await o.send(c);
    }
    await o.waitForStdoutLength(N, 120_000);
    const d = await a.get<AgentDone>('done', 120_000);
    const got = o.stdoutBytes.subarray(0, N);
    checkDone(d, h.digest('hex'), createHash('sha256').update(got).digest('hex'), 'server vs openssl s_client', 'server');
  });

  t(`${rt} client ↔ Node tls server: 16 MiB each way at full speed (throughput)${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    const port = await nodeServer({}, (s) => {
      peer = nodeTransfer(s, N, SEED.server);
    });
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: N });
    const d = await a.get<AgentDone>('done', 120_000);
    const p = await peer;
    expect(d.recvSha).toBe(p.sentSha);
    expect(p.recvSha).toBe(d.sentSha);
    throughput.push(`[${rt}] full speed vs Node tls (native provider): 2 x 16 MiB in ${Math.round(Math.max(d.recvMs, d.sendMs))} ms = ${mbps(2 * N, Math.max(d.recvMs, d.sendMs))} MB/s both directions together; receive ${mbps(N, d.recvMs)} MB/s`);
  });

  t(`${rt} client with a stalled reader: the Node sender is held back by TCP (back-pressure reaches the socket), then all 16 MiB arrive${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    let stallEnd!: () => void;
    const stalled = new Promise<void>((r) => (stallEnd = r));
    const port = await nodeServer({}, (s) => {
      peer = nodeTransfer(s, N, SEED.server, { onStallEnd: stalled });
    });
    const a = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: N, stallMs: 1500 });
    await a.get('stallEnd', 60_000);
    stallEnd();
    const d = await a.get<AgentDone>('done', 120_000);
    const p = await peer;
    expect(d.recvSha).toBe(p.sentSha);
    // While the agent read nothing for 1.5 s, Node could hand the kernel only what the
    // socket buffers (both ends) and our 64 KiB + 256 KiB + one record hold, not all 16 MiB.
    expect(p.writtenAtStallEnd).toBeDefined();
    expect(p.writtenAtStallEnd!).toBeLessThan(N / 2);
    throughput.push(`[${rt}] stalled reader: Node had sent ${(p.writtenAtStallEnd! / 1048576).toFixed(1)} MiB of 16 when the reader resumed`);
  });

  t(`${rt} upgrade(): STARTTLS on the runtime's plain socket, then TLS as client against Node tls${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    const server = net.createServer((sock) => {
      sock.once('data', (d) => {
        expect(d.toString()).toBe('STARTTLS\n');
        sock.write('OK\n');
        const s = new tls.TLSSocket(sock, { isServer: true, cert: pki.pki.chainPem, key: pki.pki.keyPem });
        s.on('error', () => undefined);
        peer = nodeTransfer(s, 1 << 20, SEED.server);
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const a = new Agent(rt, { impl: 'upgrade', role: 'client', port: (server.address() as AddressInfo).port, ca: pki.caFile, n: 1 << 20 });
    expect(await a.get('plain')).toBe('OK\n');
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3', peerCertificate: true });
    const d = await a.get<AgentDone>('done');
    const p = await peer;
    expect(d.recvSha).toBe(p.sentSha);
    expect(p.recvSha).toBe(d.sentSha);
  });

  t(`${rt} upgrade(): STARTTLS, then TLS as server against Node tls${skip}`, async () => {
    const a = new Agent(rt, { impl: 'upgrade', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: 1 << 20 });
    const port = await a.get<number>('listening');
    const sock = net.connect({ host: '127.0.0.1', port });
    closers.push(() => void sock.destroy());
    await once(sock, 'connect');
    sock.write('STARTTLS\n');
    const [ok] = (await once(sock, 'data')) as [Buffer];
    expect(ok.toString()).toBe('OK\n');
    const s = tls.connect({ socket: sock, servername: 'localhost', ca: pki.pki.caCertPem });
    await once(s, 'secureConnect');
    expect(await a.get('plain')).toBe('STARTTLS\n');
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3', serverName: 'localhost' });
    const p = await nodeTransfer(s, 1 << 20, SEED.client);
    const d = await a.get<AgentDone>('done');
    expect(d.recvSha).toBe(p.sentSha);
    expect(p.recvSha).toBe(d.sentSha);
  });

  t(`${rt} failures are TlsError statuses: refused port, untrusted chain${rt === 'bun' ? ', Bun root store in use without ca' : ', no ca and no --allow-sys'}${skip}`, async () => {
    // A port nobody listens on (bound, then closed: the OS will not hand it out at once).
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const refused = new Agent(rt, { impl: 'puretls', role: 'client', port: deadPort, ca: pki.caFile, n: 1 });
    expect(await refused.error()).toMatchObject({ status: 'ConnectionRefused', name: 'TlsError' });

    const port = await nodeServer({}, (s) => s.on('error', () => undefined));
    const other = await makePkiFiles('ecdsa-p256');
    const untrusted = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: other.caFile, n: 1 });
    expect(await untrusted.error()).toMatchObject({ status: 'CertificateUntrusted', name: 'TlsError' });

    const noCa = new Agent(rt, { impl: 'puretls', role: 'client', port, n: 1 });
    const e = await noCa.error();
    if (rt === 'bun') {
      // Bun's root store (tls.rootCertificates) was used: our test CA is not in it.
      expect(e).toMatchObject({ status: 'CertificateUntrusted' });
    } else {
      expect(e).toMatchObject({ status: 'InvalidConfig' });
      expect(e.message).toMatch(/--allow-sys/);
    }
  });

  if (rt === 'deno') {
    t(`deno with --allow-sys and no ca: Deno's root store is used (our test CA is not in it → CertificateUntrusted)${skip}`, async () => {
      const port = await nodeServer({}, (s) => s.on('error', () => undefined));
      const a = new Agent(rt, { impl: 'puretls', role: 'client', port, n: 1 }, ['--allow-sys']);
      expect(await a.error()).toMatchObject({ status: 'CertificateUntrusted' });
    });
  }

  t(`${rt} connect through an HTTP CONNECT proxy with Basic credentials; 407 → ProxyAuthenticationRequired; other refusals → ProxyRefused${skip}`, async () => {
    let peer!: Promise<Awaited<ReturnType<typeof nodeTransfer>>>;
    const port = await nodeServer({}, (s) => {
      peer = nodeTransfer(s, 1 << 20, SEED.server);
    });
    const proxy = await startTestProxy({ kind: 'tunnel', credentials: { username: 'u', password: 'p w' } });
    closers.push(() => proxy.close());
    const a = new Agent(rt, { impl: 'puretls', role: 'client', host: 'localhost', port, ca: pki.caFile, n: 1 << 20, proxy: { url: proxy.url, username: 'u', password: 'p w' } });
    expect(await a.get('info')).toMatchObject({ version: 'TLSv1.3', certificateErrors: [] });
    const d = await a.get<AgentDone>('done');
    const p = await peer;
    expect(d.recvSha).toBe(p.sentSha);
    expect(p.recvSha).toBe(d.sentSha);
    expect(proxy.requests[0]).toMatch(/^CONNECT localhost:\d+ HTTP\/1\.1\r\n/);
    expect(proxy.requests[0]).toContain(`Proxy-Authorization: Basic ${Buffer.from('u:p w').toString('base64')}`);
    // The client held TLS back until the proxy answered.
    expect(proxy.earlyBytes).toEqual([0]);

    const wrong = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: 1, proxy: { url: proxy.url, username: 'u', password: 'nope' } });
    expect(await wrong.error()).toMatchObject({ status: 'ProxyAuthenticationRequired', name: 'TlsError' });

    const refusing = await startTestProxy({ kind: 'answer', raw: 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n' });
    closers.push(() => refusing.close());
    const refused = new Agent(rt, { impl: 'puretls', role: 'client', port, ca: pki.caFile, n: 1, proxy: { url: refusing.url } });
    const e = await refused.error();
    expect(e).toMatchObject({ status: 'ProxyRefused' });
    expect(e.message).toContain('403 Forbidden');
  });

  t(`${rt} refusePrivateAddresses: a loopback literal and a name resolving to loopback are refused before any connection (PrivateAddressRefused)${skip}`, async () => {
    let connections = 0;
    const port = await nodeServer({}, () => connections++);
    const lit = new Agent(rt, { impl: 'puretls', role: 'client', host: '127.0.0.1', port, ca: pki.caFile, n: 1, refusePrivateAddresses: true });
    expect(await lit.error()).toMatchObject({ status: 'PrivateAddressRefused' });
    const name = new Agent(rt, { impl: 'puretls', role: 'client', host: 'localhost', port, ca: pki.caFile, n: 1, refusePrivateAddresses: true });
    const e = await name.error();
    expect(e).toMatchObject({ status: 'PrivateAddressRefused' });
    expect(e.message).toMatch(/resolved from localhost/);
    // Through a proxy the target is checked too (the proxy is never asked for it).
    const proxy = await startTestProxy({ kind: 'tunnel' });
    closers.push(() => proxy.close());
    const viaProxy = new Agent(rt, { impl: 'puretls', role: 'client', host: 'localhost', port, ca: pki.caFile, n: 1, refusePrivateAddresses: true, proxy: { url: proxy.url } });
    expect(await viaProxy.error()).toMatchObject({ status: 'PrivateAddressRefused' });
    expect(proxy.requests).toEqual([]);
    expect(connections).toBe(0);
  });

  t(`${rt} listen(): a client sending garbage is reported to onHandshakeError with a protocol status and the server goes on serving${skip}`, async () => {
    const a = new Agent(rt, { impl: 'puretls', role: 'server', cert: pki.chainFile, key: pki.keyFile, n: 1 << 20, tolerateErrors: true });
    const port = await a.get<number>('listening');
    const raw = net.connect({ host: '127.0.0.1', port });
    closers.push(() => void raw.destroy());
    raw.on('error', () => undefined);
    await once(raw, 'connect');
    raw.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const e = await a.error();
    expect(e.name).toBe('TlsError');
    expect(['DecodeError', 'ProtocolVersion', 'UnexpectedMessage', 'RecordOverflow', 'IllegalParameter']).toContain(e.status);
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.pki.caCertPem });
    closers.push(() => void s.destroy());
    await once(s, 'secureConnect');
    const p = await nodeTransfer(s, 1 << 20, SEED.client);
    const d = await a.get<AgentDone>('done', 60_000, true);
    expect(d.recvSha).toBe(p.sentSha);
  });
}

