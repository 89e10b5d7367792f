/**
 * Adversarial campaign 2: `puretls bench` ({@link runBench}, with the CLI's Node transport)
 * against hostile or broken servers on 127.0.0.1. Whatever the server does, the run must end
 * within its duration plus the grace period (plus slack), report what went wrong (a status
 * for each failure, exit 1 when nothing worked), and never throw.
 *
 * The grace period is the handshake timeout (here 300 ms); the slack covers scheduling on a
 * loaded 2-core machine.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBenchTransport } from '../../src/cli.js';
import { runBench, type BenchIo, type BenchReport, type BenchSettings } from '../../src/tools/bench.js';
import { createServer, type ConnectOptions, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import '../../src/crypto/native.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

const SLACK_MS = 2500;
const HANDSHAKE_TIMEOUT = 300;

interface Captured {
  io: BenchIo;
  stdout: () => string;
}

function capture(): Captured {
  let out = '';
  return {
    io: {
      stdout: (s) => void (out += s),
      stderr: () => {},
      describeError: (e) => `${e.status}: ${e.detail ?? e.message}`,
      errorJson: (e) => ({ error: { status: e.status, alert: e.alert, message: e.message } }),
    },
    stdout: () => out,
  };
}

function settings(extra: Partial<BenchSettings> = {}): BenchSettings {
  return { durationMs: 600, connections: 2, handshakeLimit: null, resume: false, work: { kind: 'handshake' }, seed: null, svg: null, maxErrors: 0, warmup: 0, close: 'notify', ...extra };
}

/** A raw TCP server on loopback running `onSocket` for each connection; everything it accepted is destroyed on close. */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const held = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    held.add(s);
    s.on('error', () => {});
    s.on('close', () => held.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of held) s.destroy();
      srv.close();
    },
  };
}

async function tlsServer(pki: TestPki, onSocket: (s: TlsSocket) => void): Promise<{ port: number; close: () => void }> {
  const held = new Set<TlsSocket>();
  const srv: TlsServer = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s: TlsSocket) => {
    held.add(s);
    s.on('error', () => {});
    s.on('close', () => held.delete(s));
    onSocket(s);
  });
  srv.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => {
      for (const s of held) s.destroy();
      srv.close();
    },
  };
}

interface Ran {
  code: number;
  took: number;
  report: BenchReport & { error?: { status: string } };
}

async function run(pki: TestPki, port: number, s: BenchSettings): Promise<Ran> {
  const c = capture();
  const t0 = Date.now();
  const code = await runBench(s, (): ConnectOptions => ({ host: '127.0.0.1', port, ca: pki.caCertPem, handshakeTimeout: HANDSHAKE_TIMEOUT }), nodeBenchTransport, { json: true, quiet: true }, c.io);
  const took = Date.now() - t0;
  return { code, took, report: JSON.parse(c.stdout().split('\n')[0]!) as Ran['report'] };
}

function expectCounted(r: BenchReport): void {
  expect(r.attempts).toBe(r.handshakes + r.failures + r.abandoned);
}

describe('campaign2: puretls bench against hostile servers', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
  });

  const failing: { name: string; status: readonly string[]; behave: (s: net.Socket) => void }[] = [
    { name: 'answers the ClientHello with garbage', status: ['UnexpectedMessage', 'DecodeError', 'RecordOverflow', 'ProtocolError', 'IllegalParameter'], behave: (s) => s.once('data', () => s.write(Buffer.alloc(64, 0x41))) },
    { name: 'resets the connection on the ClientHello', status: ['ConnectionReset'], behave: (s) => s.once('data', () => s.resetAndDestroy()) },
    { name: 'closes (FIN) on the ClientHello', status: ['Truncated', 'Closed', 'ConnectionReset'], behave: (s) => s.once('data', () => s.end()) },
    {
      name: 'sends half a ServerHello record, then stalls',
      status: ['TimedOut'],
      behave: (s) => s.once('data', () => s.write(Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00))),
    },
    {
      name: 'trickles a valid-looking record header one byte every 100 ms',
      status: ['TimedOut'],
      behave: (s) =>
        s.once('data', () => {
          const bytes = [0x16, 0x03, 0x03, 0x40, 0x00];
          let i = 0;
          const t = setInterval(() => {
            if (s.destroyed || i >= bytes.length) return clearInterval(t);
            s.write(Uint8Array.of(bytes[i++]!));
          }, 100);
          s.on('close', () => clearInterval(t));
        }),
    },
    { name: 'sends a fatal alert', status: ['AlertReceived', 'HandshakeFailure'], behave: (s) => s.once('data', () => s.end(Uint8Array.of(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28))) },
  ];

  for (const f of failing) {
    for (const warmup of [0, 1]) {
      it(`a server that ${f.name} (warm-up ${warmup}): failures reported with a status, exit 1, bounded`, async () => {
        const srv = await rawServer(f.behave);
        try {
          const r = await run(pki, srv.port, settings({ warmup }));
          expect(r.code).toBe(1);
          expect(r.report.handshakes).toBe(0);
          expect(f.status).toContain(r.report.error?.status);
          expectCounted(r.report);
          expect(r.report.failures + r.report.abandoned).toBeGreaterThanOrEqual(1);
          expect(r.took).toBeLessThan((warmup ? HANDSHAKE_TIMEOUT : 0) + 600 + HANDSHAKE_TIMEOUT + SLACK_MS);
        } finally {
          srv.close();
        }
      });
    }
  }

  // The handshake completes; the work after it never does.
  const stalledWork: { name: string; work: BenchSettings['work']; behave: (s: TlsSocket) => void }[] = [
    { name: '--bulk: the server reads and never echoes', work: { kind: 'echo', bytes: 8192 }, behave: (s) => s.resume() },
    { name: '--bulk: the server reads nothing at all (back-pressure)', work: { kind: 'echo', bytes: 4 << 20 }, behave: () => {} },
    { name: '--get: the server answers and never closes', work: { kind: 'get', path: '/' }, behave: (s) => s.once('data', () => s.write('HTTP/1.0 200 OK\r\n\r\nhello')) },
  ];
  for (const w of stalledWork) {
    for (const warmup of [0, 1]) {
      it(`${w.name} (warm-up ${warmup}): the run still ends, the transfers are reported cut`, async () => {
        const srv = await tlsServer(pki, w.behave);
        try {
          // The warm-up's own limit is shortened for the test (60 s by default).
          const r = await run(pki, srv.port, settings({ warmup, work: w.work, warmupLimitMs: 400 }));
          expect(r.report.handshakes).toBeGreaterThanOrEqual(1);
          expect(r.report.bulk!.completed).toBe(0);
          expect(r.report.bulk!.cut).toBeGreaterThanOrEqual(1);
          expectCounted(r.report);
          expect(r.took).toBeLessThan((warmup ? 400 + HANDSHAKE_TIMEOUT : 0) + 600 + HANDSHAKE_TIMEOUT + SLACK_MS);
        } finally {
          srv.close();
        }
      }, 20_000);
    }
  }

});
