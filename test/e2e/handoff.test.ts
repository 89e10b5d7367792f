/**
 * Live hand-off across processes (issue 10 item 6): a parent completes a TLS 1.3 handshake
 * with the sans-I/O core over a raw socket, pauses reading, and sends the socket handle and
 * `exportState()` to a child (`child.send(msg, socket)`); the child imports it and continues
 * the conversation. The peer never notices: 1 MiB each way after the hand-off, a KeyUpdate
 * each way after the hand-off (RFC 9846 §4.7.3), clean close (RFC 9846 §6.1).
 *
 * TLS 1.2 (no KeyUpdate; puretls refuses renegotiation): the same with Node `tls` limited to
 * TLSv1.2, ChaCha20-Poly1305 and AES-128-GCM, 1 MiB each way after the hand-off.
 *
 * Peers: Node `tls` as server (we hand off a client) and as client (we hand off a server).
 * Loopback only; the ports are the OS's choice; the child is ended by its own exit (or by
 * its PID if it hangs).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { killAllPeers, makePkiFiles, opensslAvailable, removeTempDirs, skipNote, startOpensslClient, startOpensslServer } from '../helpers/peers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;
const pattern = (i: number): number => (i * 31 + (i >> 10)) & 0xff;

/** MIB bytes of {@link pattern}. */
function patternMib(): Buffer {
  const big = Buffer.alloc(MIB);
  for (let i = 0; i < MIB; i++) big[i] = pattern(i);
  return big;
}

/** The echoed chunks are exactly MIB bytes of {@link pattern}: nothing lost, reordered or changed. */
function expectPatternEchoed(echoed: readonly Buffer[]): void {
  const all = Buffer.concat(echoed);
  expect(all.length).toBe(MIB);
  let bad = -1;
  for (let i = 0; i < MIB; i++) if (all[i] !== pattern(i)) { bad = i; break; }
  expect(bad).toBe(-1);
}

let pki: TestPki;
let dir: string;
let childScript: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-handoff-'));
  childScript = path.join(dir, 'handoff-child.mjs');
  await build({ entryPoints: [path.join(here, 'handoff-child.ts')], bundle: true, platform: 'node', format: 'esm', outfile: childScript, logLevel: 'silent' });
}, 60_000);

afterAll(async () => {
  await killAllPeers();
  removeTempDirs();
  for (const c of children) {
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) continue;
    try {
      process.kill(c.pid);
    } catch {
      /* it exited meanwhile */
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChildResult {
  ok: boolean;
  error?: string;
  received: number;
  mismatch?: number;
  keyUpdatesReceived: number;
  keyUpdatesSent: number;
  peerClosed: boolean;
  endedAfterOurClose: boolean;
}

/**
 * Runs the handshake and a ping exchange on `socket` with the core, then pauses reading and
 * returns the exported state and any bytes the socket had read but the core had not taken.
 */
async function handshakeThenPause(socket: net.Socket, conn: TlsConnection, role: 'client' | 'server'): Promise<{ state: Uint8Array; leftover: Uint8Array }> {
  let received = '';
  let chain: Promise<void> = Promise.resolve();
  const flush = (): void => {
    let o: Uint8Array | null;
    while ((o = conn.takeOutput())) socket.write(o);
  };
  let wake: () => void = () => {};
  const onData = (c: Buffer): void => {
    chain = chain.then(async () => {
      let at = 0;
      while (at < c.length && !conn.error) {
        at += conn.receive(c.subarray(at));
        await conn.process();
        flush();
      }
      let p: Uint8Array | null;
      while ((p = conn.read())) {
        received += Buffer.from(p).toString();
        // The server side answers the peer's ping (the peer drives in that test).
        if (role === 'server') conn.write(p);
      }
      flush();
      wake();
    });
  };
  socket.on('data', onData);
  await conn.start();
  flush();
  await conn.handshake();
  if (role === 'client') {
    conn.write(Buffer.from('ping'));
    flush();
  }
  while (received.length < 4 && !conn.error) await new Promise<void>((r) => (wake = r));
  expect(conn.error).toBeNull();
  expect(received).toBe('ping');
  // Pause: nothing more reaches this process's connection.
  socket.pause();
  socket.off('data', onData);
  await chain;
  const leftover = (socket.read() as Buffer | null) ?? Buffer.alloc(0);
  return { state: conn.exportState(), leftover };
}

/** Forks the child, sends it the socket and the state; resolves with its result. */
async function handToChild(
  socket: net.Socket,
  msg: Record<string, unknown>,
  onReady: () => void = () => {},
): Promise<ChildResult> {
  const child = fork(childScript, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on('message', (m: ChildResult & { ready?: boolean }) => {
      if (m.ready) onReady();
      else resolve(m);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) without a result`)));
  });
  child.send(msg, socket);
  const timer = setTimeout(() => child.kill(), 90_000);
  try {
    return await result;
  } finally {
    clearTimeout(timer);
  }
}

describe('live hand-off across processes (TLS 1.3)', () => {
  it('client handed off, Node tls server echoing: 1 MiB each way, KeyUpdate both ways, clean close', async () => {
    let serverReceived = 0;
    let connections = 0;
    const serverErrors: Error[] = [];
    let serverEnded = false;
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' }, (s) => {
      connections++;
      s.on('data', (d: Buffer) => {
        serverReceived += d.length;
        s.write(d);
      });
      s.on('end', () => {
        serverEnded = true;
      });
      s.on('error', (e) => serverErrors.push(e));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const conn = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
      const { state, leftover } = await handshakeThenPause(socket, conn, 'client');
      // The exporter is dead: it would reuse nonces.
      expect(() => conn.write(Buffer.from('x'))).toThrow(/exported/);
      const result = await handToChild(socket, {
        role: 'client',
        mode: 'drive',
        state: Buffer.from(state).toString('hex'),
        leftover: Buffer.from(leftover).toString('hex'),
        ca: pki.caCertPem,
        total: MIB,
        keyUpdateAfter: MIB / 2,
      });
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.received).toBe(MIB);
      expect(result.mismatch).toBeUndefined();
      expect(result.keyUpdatesSent).toBe(1);
      // Node's OpenSSL answered our update_requested with its own KeyUpdate.
      expect(result.keyUpdatesReceived).toBeGreaterThanOrEqual(1);
      expect(result.peerClosed).toBe(true);
      expect(connections).toBe(1);
      expect(serverErrors).toEqual([]);
      expect(serverReceived).toBe(4 + MIB);
      expect(serverEnded).toBe(true);
    } finally {
      server.close();
    }
  }, 120_000);

  it('server handed off, Node tls client driving: 1 MiB each way, KeyUpdate both ways, clean close', async () => {
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const port = (listener.address() as net.AddressInfo).port;
      const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
      const client = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3' });
      const clientErrors: Error[] = [];
      client.on('error', (e) => clientErrors.push(e));
      let echoed: Buffer[] = [];
      let echoedLength = 0;
      let clientEnded = false;
      client.on('data', (d: Buffer) => {
        echoed.push(d);
        echoedLength += d.length;
      });
      client.on('end', () => {
        clientEnded = true;
      });
      client.once('secureConnect', () => client.write('ping'));
      const [socket] = await accepted;
      const conn = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0 });
      const { state, leftover } = await handshakeThenPause(socket, conn, 'server');
      for (let i = 0; i < 500 && echoedLength < 4; i++) await new Promise((r) => setTimeout(r, 10));
      expect(Buffer.concat(echoed).toString()).toBe('ping');
      echoed = [];
      echoedLength = 0;
      const closed = once(client, 'close');
      const result = await handToChild(
        socket,
        {
          role: 'server',
          mode: 'echo',
          state: Buffer.from(state).toString('hex'),
          leftover: Buffer.from(leftover).toString('hex'),
          ca: pki.caCertPem,
          cert: pki.chainPem,
          key: pki.keyPem,
          total: MIB,
          keyUpdateAfter: MIB / 2,
        },
        () => {
          // The child owns the connection now: the peer sends 512 KiB, then — once that is
          // echoed, behind the child's KeyUpdate — the rest (OpenSSL answers update_requested
          // before its next write), then closes once everything is echoed.
          const big = patternMib();
          client.write(big.subarray(0, MIB / 2));
          let second = false;
          const check = (): void => {
            if (!second && echoedLength >= MIB / 2) {
              second = true;
              client.write(big.subarray(MIB / 2));
            }
            if (echoedLength >= MIB) {
              client.off('data', check);
              client.end();
            }
          };
          client.on('data', check);
        },
      );
      await closed;
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.received).toBe(MIB);
      expect(result.keyUpdatesSent).toBe(1);
      expect(result.keyUpdatesReceived).toBeGreaterThanOrEqual(1);
      expect(result.peerClosed).toBe(true);
      expect(clientErrors).toEqual([]);
      expect(clientEnded).toBe(true);
      expectPatternEchoed(echoed);
    } finally {
      listener.close();
    }
  }, 120_000);
});

describe('live hand-off across processes (TLS 1.2: no KeyUpdate, renegotiation refused)', () => {
  it('client handed off (ChaCha20-Poly1305), Node tls server (maxVersion TLSv1.2) echoing: 1 MiB each way, clean close', async () => {
    let serverReceived = 0;
    let connections = 0;
    const serverErrors: Error[] = [];
    let serverEnded = false;
    const exporters: Buffer[] = [];
    const server = tls.createServer({ cert: pki.chainPem, key: pki.keyPem, maxVersion: 'TLSv1.2' }, (s) => {
      connections++;
      exporters.push(s.exportKeyingMaterial(32, 'EXPORTER-handoff', Buffer.from('ctx')));
      s.on('data', (d: Buffer) => {
        serverReceived += d.length;
        s.write(d);
      });
      s.on('end', () => {
        serverEnded = true;
      });
      s.on('error', (e) => serverErrors.push(e));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as net.AddressInfo).port;
      const socket = net.connect(port, '127.0.0.1');
      await once(socket, 'connect');
      const conn = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'] });
      const { state, leftover } = await handshakeThenPause(socket, conn, 'client');
      expect(() => conn.write(Buffer.from('x'))).toThrow(/exported/);
      // The state on the wire is a TLS 1.2 one (format 2, version 0x0303).
      expect(state[8]).toBe(2);
      expect(Buffer.from(state.subarray(10, 12)).readUInt16BE(0)).toBe(0x0303);
      // The exporter travels: an import in this process (never given the socket, never writing)
      // derives what Node derives (RFC 5705).
      const probe = TlsConnection.import(new Uint8Array(state), { role: 'client', config: { servername: 'localhost', ca: pki.caCertPem } });
      expect(Buffer.from(probe.exportKeyingMaterial('EXPORTER-handoff', Buffer.from('ctx'), 32))).toEqual(exporters[0]);
      const result = await handToChild(socket, {
        role: 'client',
        mode: 'drive',
        state: Buffer.from(state).toString('hex'),
        leftover: Buffer.from(leftover).toString('hex'),
        ca: pki.caCertPem,
        total: MIB,
        keyUpdateAfter: MIB / 2,
        keyUpdate: false,
      });
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.received).toBe(MIB);
      expect(result.mismatch).toBeUndefined();
      expect(result.keyUpdatesSent).toBe(0);
      expect(result.keyUpdatesReceived).toBe(0);
      expect(result.peerClosed).toBe(true);
      expect(connections).toBe(1);
      expect(serverErrors).toEqual([]);
      expect(serverReceived).toBe(4 + MIB);
      expect(serverEnded).toBe(true);
    } finally {
      server.close();
    }
  }, 120_000);

  it('server handed off (AES-128-GCM), Node tls client (maxVersion TLSv1.2) driving: 1 MiB each way, clean close', async () => {
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const port = (listener.address() as net.AddressInfo).port;
      const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
      const client = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      const clientErrors: Error[] = [];
      client.on('error', (e) => clientErrors.push(e));
      let echoed: Buffer[] = [];
      let echoedLength = 0;
      let clientEnded = false;
      client.on('data', (d: Buffer) => {
        echoed.push(d);
        echoedLength += d.length;
      });
      client.on('end', () => {
        clientEnded = true;
      });
      client.once('secureConnect', () => client.write('ping'));
      const [socket] = await accepted;
      const conn = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0 });
      const { state, leftover } = await handshakeThenPause(socket, conn, 'server');
      for (let i = 0; i < 500 && echoedLength < 4; i++) await new Promise((r) => setTimeout(r, 10));
      expect(Buffer.concat(echoed).toString()).toBe('ping');
      expect(client.getProtocol()).toBe('TLSv1.2');
      expect(client.getCipher().standardName).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      echoed = [];
      echoedLength = 0;
      const closed = once(client, 'close');
      const result = await handToChild(
        socket,
        {
          role: 'server',
          mode: 'echo',
          state: Buffer.from(state).toString('hex'),
          leftover: Buffer.from(leftover).toString('hex'),
          ca: pki.caCertPem,
          cert: pki.chainPem,
          key: pki.keyPem,
          total: MIB,
          keyUpdateAfter: MIB / 2,
          keyUpdate: false,
        },
        () => {
          const big = patternMib();
          client.write(big);
          const check = (): void => {
            if (echoedLength >= MIB) {
              client.off('data', check);
              client.end();
            }
          };
          client.on('data', check);
        },
      );
      await closed;
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.received).toBe(MIB);
      expect(result.keyUpdatesSent).toBe(0);
      expect(result.peerClosed).toBe(true);
      expect(clientErrors).toEqual([]);
      expect(clientEnded).toBe(true);
      expectPatternEchoed(echoed);
    } finally {
      listener.close();
    }
  }, 120_000);
});

const openssl = opensslAvailable();

describe.skipIf(!openssl.ok)(`live hand-off across processes, OpenSSL peer (TLS 1.3)${skipNote(openssl)}`, () => {
  it('client handed off, openssl s_server -rev: 1 MiB each way, KeyUpdate both ways, close', async () => {
    const f = await makePkiFiles('ecdsa-p256');
    const { process: srv, port } = await startOpensslServer(['-tls1_3', '-cert', f.chainFile, '-key', f.keyFile, '-naccept', '1', '-rev']);
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const conn = TlsConnection.client({ servername: 'localhost', ca: fs.readFileSync(f.caFile, 'utf8') });
    // The ping exchange of handshakeThenPause, as an -rev line: "ping\n" comes back "gnip\n".
    const { state, leftover } = await handshakeThenPauseRev(socket, conn);
    const result = await handToChild(socket, {
      role: 'client',
      mode: 'drive',
      transform: 'rev',
      state: Buffer.from(state).toString('hex'),
      leftover: Buffer.from(leftover).toString('hex'),
      ca: fs.readFileSync(f.caFile, 'utf8'),
      total: MIB,
      keyUpdateAfter: MIB / 2,
    });
    expect(result.error).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.received).toBe(MIB);
    expect(result.mismatch).toBeUndefined();
    expect(result.keyUpdatesSent).toBe(1);
    expect(result.keyUpdatesReceived).toBeGreaterThanOrEqual(1);
    // s_server -rev answers our close_notify by closing the socket (no close_notify of its own).
    expect(result.peerClosed || result.endedAfterOurClose).toBe(true);
    await srv.exit;
    // OpenSSL saw no error: no alert, no "bad record mac" in its output.
    expect(srv.transcript()).not.toMatch(/alert|bad record mac|error:/i);
  }, 120_000);
});

describe.skipIf(!openssl.ok)(`live hand-off across processes, OpenSSL client (TLS 1.3)${skipNote(openssl)}`, () => {
  it('server handed off, openssl s_client driving: 1 MiB each way, KeyUpdate both ways, close', async () => {
    const f = await makePkiFiles('ecdsa-p256');
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const port = (listener.address() as net.AddressInfo).port;
      const accepted = once(listener, 'connection') as Promise<[net.Socket]>;
      const cli = startOpensslClient(port, ['-tls1_3', '-CAfile', f.caFile, '-servername', 'localhost', '-verify_return_error', '-quiet']);
      await cli.send('ping');
      const [socket] = await accepted;
      const cert = fs.readFileSync(f.chainFile, 'utf8');
      const key = fs.readFileSync(f.keyFile, 'utf8');
      const conn = TlsConnection.server({ cert, key, sessionTickets: 0 });
      const { state, leftover } = await handshakeThenPause(socket, conn, 'server');
      await cli.waitForStdoutLength(4);
      expect(cli.stdout).toBe('ping');
      // Letters only (s_client's stdout is compared as text).
      const data = Buffer.alloc(MIB);
      for (let i = 0; i < MIB; i++) data[i] = 0x61 + ((i * 7 + (i >> 12)) % 26);
      let driving: Promise<void> = Promise.resolve();
      const result = await handToChild(
        socket,
        { role: 'server', mode: 'echo', state: Buffer.from(state).toString('hex'), leftover: Buffer.from(leftover).toString('hex'), ca: '', cert, key, total: MIB, keyUpdateAfter: MIB / 2, closeAfter: MIB },
        () => {
          // Half, then — once echoed, behind the child's KeyUpdate — the rest (s_client answers
          // update_requested before its next write).
          driving = (async () => {
            await cli.send(data.subarray(0, MIB / 2));
            await cli.waitForStdoutLength(4 + MIB / 2);
            await cli.send(data.subarray(MIB / 2));
          })();
        },
      );
      await driving;
      await cli.waitForExit();
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.received).toBe(MIB);
      expect(result.keyUpdatesSent).toBe(1);
      expect(result.keyUpdatesReceived).toBeGreaterThanOrEqual(1);
      expect(result.peerClosed || result.endedAfterOurClose).toBe(true);
      expect(cli.stdoutLength).toBe(4 + MIB);
      expect(cli.stdoutBytes.subarray(4).equals(data)).toBe(true);
      expect(cli.stderr).not.toMatch(/alert|bad record mac|error:/i);
    } finally {
      listener.close();
    }
  }, 120_000);
});

/** {@link handshakeThenPause} for s_server -rev (the ping is a line, answered reversed). */
async function handshakeThenPauseRev(socket: net.Socket, conn: TlsConnection): Promise<{ state: Uint8Array; leftover: Uint8Array }> {
  let received = '';
  let chain: Promise<void> = Promise.resolve();
  let wake: () => void = () => {};
  const flush = (): void => {
    let o: Uint8Array | null;
    while ((o = conn.takeOutput())) socket.write(o);
  };
  const onData = (c: Buffer): void => {
    chain = chain.then(async () => {
      let at = 0;
      while (at < c.length && !conn.error) {
        at += conn.receive(c.subarray(at));
        await conn.process();
        flush();
      }
      let p: Uint8Array | null;
      while ((p = conn.read())) received += Buffer.from(p).toString();
      wake();
    });
  };
  socket.on('data', onData);
  await conn.start();
  flush();
  await conn.handshake();
  conn.write(Buffer.from('ping\n'));
  flush();
  while (received.length < 5 && !conn.error) await new Promise<void>((r) => (wake = r));
  expect(conn.error).toBeNull();
  expect(received).toBe('gnip\n');
  socket.pause();
  socket.off('data', onData);
  await chain;
  const leftover = (socket.read() as Buffer | null) ?? Buffer.alloc(0);
  return { state: conn.exportState(), leftover };
}
