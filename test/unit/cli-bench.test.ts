/**
 * `puretls bench` (issue 9 item 7), in process: the argument parser (bench flags split off,
 * the rest parsed as `connect`'s), the latency histogram, the per-connection seeds, the SVG,
 * and whole runs of {@link runBench} against a puretls server on loopback (counts that
 * agree with each other, echo byte counts, --resume refused, failures reported with their
 * status and a bounded run against a server that never answers). Runs against
 * `openssl s_server` through the built command are in test/interop/bench-openssl.test.ts.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeBenchTransport, parseBenchCommand } from '../../src/cli.js';
import { TlsError } from '../../src/base/errors.js';
import { LatencyHistogram, TICKET_WAIT_MS, benchSvg, connectionSeed, reportText, runBench, type BenchIo, type BenchReport, type BenchSettings, type BenchTransport } from '../../src/tools/bench.js';
import { createServer, type ConnectOptions, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import '../../src/crypto/native.js';
import { startFirstFlightTap } from '../helpers/first-flight-tap.js';

const TARGET = ['127.0.0.1:8443'];

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('ApiMisuse');
    return (e as TlsError).detail ?? '';
  }
  throw new Error('expected a usage error');
}

describe('parseBenchCommand', () => {
  it('has the documented defaults', () => {
    const cmd = parseBenchCommand(TARGET);
    expect(cmd.help).toBe(false);
    expect(cmd.settings).toEqual({ durationMs: 10_000, connections: 1, handshakeLimit: null, resume: false, work: { kind: 'handshake' }, seed: null, svg: null, maxErrors: 10, warmup: 3, close: 'notify' });
    expect(cmd.connect.options.host).toBe('127.0.0.1');
    expect(cmd.connect.options.port).toBe(8443);
  });

  it('reads every bench flag, in both --flag value and --flag=value forms', () => {
    const cmd = parseBenchCommand([
      '--duration',
      '1.5',
      '--connections=8',
      '--handshakes',
      '100',
      '--max-errors',
      '0',
      '--warmup=0',
      '--seed',
      '4294967295',
      '--svg',
      'out.svg',
      '--resume',
      ...TARGET,
      '--bulk',
      '64K',
      '--close=reset',
    ]);
    expect(cmd.settings).toEqual({
      durationMs: 1500,
      connections: 8,
      handshakeLimit: 100,
      resume: true,
      work: { kind: 'echo', bytes: 65536 },
      seed: 4294967295,
      svg: 'out.svg',
      maxErrors: 0,
      warmup: 0,
      close: 'reset',
    });
    expect(parseBenchCommand([...TARGET, '--close', 'notify']).settings.close).toBe('notify');
    expect(parseBenchCommand([...TARGET, '--bulk', '2M']).settings.work).toEqual({ kind: 'echo', bytes: 2 * 1024 * 1024 });
    expect(parseBenchCommand([...TARGET, '--bulk', '1000']).settings.work).toEqual({ kind: 'echo', bytes: 1000 });
    expect(parseBenchCommand([...TARGET, '--get', '/index.html?a=1']).settings.work).toEqual({ kind: 'get', path: '/index.html?a=1' });
  });

  it("parses the TLS flags exactly as connect does (trust, versions, suites, groups, policy, --json)", () => {
    const cmd = parseBenchCommand([
      ...TARGET,
      '--ca',
      'ca.pem',
      '--servername',
      'localhost',
      '--min-version',
      '1.2',
      '--max-version',
      'TLSv1.2',
      '--ciphers',
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      '--groups',
      'secp256r1',
      '--ignore',
      'Untrusted,InvalidName',
      '--handshake-timeout',
      '750',
      '--alpn',
      'http/1.1',
      '--json',
      '--quiet',
    ]);
    const o = cmd.connect.options;
    expect(cmd.connect.files.ca).toBe('ca.pem');
    expect(o).toMatchObject({
      servername: 'localhost',
      minVersion: '1.2',
      maxVersion: 'TLSv1.2',
      cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
      groups: ['secp256r1'],
      ignorableCertificateErrors: ['Untrusted', 'InvalidName'],
      handshakeTimeout: 750,
      ALPNProtocols: ['http/1.1'],
    });
    expect(cmd.connect.json).toBe(true);
    expect(cmd.connect.quiet).toBe(true);
  });

  it('takes --crypto as connect does (the client provider), and refuses an unknown one', () => {
    expect(parseBenchCommand([...TARGET, '--crypto', 'pure']).connect.options.crypto).toBe('pure');
    expect(parseBenchCommand([...TARGET, '--crypto=native']).connect.options.crypto).toBe('native');
    expect(parseBenchCommand(TARGET).connect.options.crypto).toBeUndefined();
    expect(usageError(() => parseBenchCommand([...TARGET, '--crypto', 'openssl']))).toMatch(/^--crypto: unknown provider 'openssl'/);
  });

  it('returns help for --help and -h', () => {
    expect(parseBenchCommand(['--help']).help).toBe(true);
    expect(parseBenchCommand(['-h']).help).toBe(true);
  });

  it('refuses bad values with a usage error naming the flag', () => {
    expect(usageError(() => parseBenchCommand([]))).toBe('bench needs exactly one HOST:PORT');
    expect(usageError(() => parseBenchCommand([...TARGET, '--duration', '0']))).toMatch(/^--duration: 0 is out of range/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--duration', '1e3']))).toMatch(/^--duration: expected seconds/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--duration', '86401']))).toMatch(/^--duration: 86401 is out of range/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--connections', '0']))).toMatch(/^--connections: 0 is out of range/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--connections', '4097']))).toMatch(/^--connections: 4097 is out of range/);
    // A steady-state rate needs thousands of warm-up handshakes (V8 tiers code up late); 100,000 at most.
    expect(parseBenchCommand([...TARGET, '--warmup', '100000']).settings.warmup).toBe(100_000);
    expect(usageError(() => parseBenchCommand([...TARGET, '--warmup', '100001']))).toMatch(/^--warmup: 100001 is out of range \(0\.\.100000\)/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--handshakes', 'many']))).toMatch(/^--handshakes: expected a whole number/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--seed', '-1']))).toMatch(/^--seed: expected a whole number/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--seed', '4294967296']))).toMatch(/^--seed: 4294967296 is out of range/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--bulk', '0']))).toMatch(/^--bulk: 0 is out of range/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--bulk', '5X']))).toMatch(/^--bulk: expected a byte count/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--get', 'index.html']))).toMatch(/^--get: expected a path starting with '\/'/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--get', '/a b']))).toMatch(/^--get: expected a path/);
    expect(usageError(() => parseBenchCommand([...TARGET, '--bulk', '1K', '--get', '/']))).toBe('--bulk and --get are exclusive');
    expect(usageError(() => parseBenchCommand([...TARGET, '--close', 'fin']))).toBe("--close: expected notify or reset, got 'fin'");
    expect(usageError(() => parseBenchCommand([...TARGET, '--close']))).toBe("option '--close' needs a value");
    expect(usageError(() => parseBenchCommand([...TARGET, '--duration']))).toBe("option '--duration' needs a value");
    expect(usageError(() => parseBenchCommand([...TARGET, '--duration', '--json']))).toBe("option '--duration' needs a value");
    expect(usageError(() => parseBenchCommand([...TARGET, '--resume=yes']))).toBe("option '--resume' takes no value");
    expect(usageError(() => parseBenchCommand([...TARGET, '--trace']))).toBe("option '--trace' does not apply to bench");
    expect(usageError(() => parseBenchCommand([...TARGET, '--key-update']))).toBe("option '--key-update' does not apply to bench");
    expect(usageError(() => parseBenchCommand([...TARGET, '--frobnicate']))).toBe("unknown option '--frobnicate'");
    expect(usageError(() => parseBenchCommand([...TARGET, '--session-tickets', '1']))).toBe("option '--session-tickets' applies to 'serve' only");
    expect(usageError(() => parseBenchCommand([...TARGET, '--ignore', 'InvalidSignature']))).toMatch(/fatal certificate error/);
  });
});

describe('LatencyHistogram', () => {
  it('keeps exact count, min, max and mean, and percentiles at most 2% above the exact ones', () => {
    const h = new LatencyHistogram();
    let x = 12345;
    const values: number[] = [];
    for (let i = 0; i < 5000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      // 0.05 ms .. ~500 ms, log-uniform
      const v = 0.05 * Math.exp((x / 2 ** 32) * Math.log(10_000));
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    const exact = (q: number): number => values[Math.max(0, Math.ceil(q * values.length) - 1)]!;
    const s = h.summary()!;
    expect(h.count).toBe(5000);
    expect(s.min).toBe(values[0]);
    expect(s.max).toBe(values[values.length - 1]);
    expect(s.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 9);
    for (const [q, got] of [
      [0.5, s.p50],
      [0.9, s.p90],
      [0.99, s.p99],
    ] as const) {
      expect(got).toBeGreaterThanOrEqual(exact(q));
      expect(got).toBeLessThanOrEqual(exact(q) * 1.02 + 1e-12);
    }
    const buckets = h.buckets();
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(5000);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.fromMs).toBeGreaterThanOrEqual(buckets[i - 1]!.toMs - 1e-12);
    for (const b of buckets) expect(b.toMs / Math.max(b.fromMs, 1e-3)).toBeLessThanOrEqual(1.0200001);
  });

  it('takes zero, sub-microsecond and huge latencies in fixed memory', () => {
    const h = new LatencyHistogram();
    h.record(0);
    h.record(0.0004);
    h.record(5e9);
    expect(h.count).toBe(3);
    expect(h.buckets().reduce((a, b) => a + b.count, 0)).toBe(3);
    expect(h.summary()!.max).toBe(5e9);
    expect(h.quantile(1)).toBe(5e9);
    expect(new LatencyHistogram().summary()).toBeNull();
  });
});

describe('connectionSeed', () => {
  it('is a function of (seed, index): equal for equal inputs, different across connections and seeds', () => {
    expect(connectionSeed(7, 3)).toBe(connectionSeed(7, 3));
    const seeds = new Set<number>();
    for (let i = 0; i < 1000; i++) seeds.add(connectionSeed(7, i));
    expect(seeds.size).toBe(1000);
    expect(connectionSeed(7, 0)).not.toBe(connectionSeed(8, 0));
  });
});

// ------------------------------------------------------------------ runs in process

interface Captured {
  io: BenchIo;
  stdout: () => string;
  stderr: () => string;
}

function capture(): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: (s) => void (out += s),
      stderr: (s) => void (err += s),
      describeError: (e) => `${e.status}: ${e.detail ?? e.message}`,
      errorJson: (e) => ({ error: { status: e.status, alert: e.alert, message: e.message }, certificateErrors: e.certificateErrors.map((c) => c.code) }),
    },
    stdout: () => out,
    stderr: () => err,
  };
}

function settings(extra: Partial<BenchSettings> = {}): BenchSettings {
  return { durationMs: 1000, connections: 1, handshakeLimit: null, resume: false, work: { kind: 'handshake' }, seed: null, svg: null, maxErrors: 10, warmup: 1, close: 'notify', ...extra };
}

/** Checks the report's counts against each other. */
function expectConsistent(r: BenchReport): void {
  expect(r.attempts).toBe(r.handshakes + r.failures + r.abandoned);
  expect(r.histogram.buckets.reduce((a, b) => a + b.count, 0)).toBe(r.handshakes);
  expect(r.timeline.handshakes.reduce((a, b) => a + b, 0)).toBe(r.handshakes);
  expect(r.handshakesPerSecond).toBeCloseTo(r.handshakes / r.elapsedSeconds, 6);
  if (r.handshakes > 0) {
    const l = r.latencyMs!;
    expect(l.min).toBeGreaterThan(0);
    expect(l.min).toBeLessThanOrEqual(l.p50);
    expect(l.p50).toBeLessThanOrEqual(l.p90);
    expect(l.p90).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
    expect(l.mean).toBeGreaterThanOrEqual(l.min);
    expect(l.mean).toBeLessThanOrEqual(l.max);
  }
}

describe('runBench against a puretls server on loopback', () => {
  let pki: TestPki;
  let otherCa: string;
  let server: TlsServer;
  let echo: TlsServer;
  let port = 0;
  let echoPort = 0;

  async function listen(s: TlsServer): Promise<number> {
    s.on('tlsClientError', () => {
      // the client side reports it
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
    return (s.address() as net.AddressInfo).port;
  }

  beforeAll(async () => {
    pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1'] });
    otherCa = (await generateTestPki({ keyType: 'ecdsa-p256' })).caCertPem;
    server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s: TlsSocket) => {
      s.on('error', () => {});
      s.resume();
    });
    port = await listen(server);
    echo = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s: TlsSocket) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    echoPort = await listen(echo);
  });
  afterAll(() => {
    server.close();
    echo.close();
  });

  const base = (p: number): ConnectOptions => ({ host: '127.0.0.1', port: p, ca: pki.caCertPem });

  it('counts handshakes that agree with the histogram, the timeline and the rate (JSON on stdout, exit 0)', async () => {
    const c = capture();
    const code = await runBench(settings({ connections: 2 }), () => base(port), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(c.stderr()).toBe('');
    expect(code).toBe(0);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.handshakes).toBeGreaterThan(0);
    expect(r.failures).toBe(0);
    expect(r.stoppedBy).toBe('duration');
    expect(r.elapsedSeconds).toBeGreaterThanOrEqual(1);
    expect(r.warmupHandshakes).toBe(1);
    expect(r.session).toMatchObject({ version: 'TLSv1.3', signatureScheme: 'ecdsa_secp256r1_sha256', resumed: false });
    expect(r.resumedHandshakes).toBe(0);
    expect(r.cpu.userSeconds).toBeGreaterThan(0);
    expectConsistent(r);
    expect(reportText(r)).toMatch(/^session: {5}TLSv1\.3 /);
  });

  it('--handshakes N stops after N attempts', async () => {
    const c = capture();
    const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 5, connections: 3 }), () => base(port), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(0);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.stoppedBy).toBe('handshakes');
    expect(r.handshakes).toBe(5);
    expect(r.elapsedSeconds).toBeLessThan(60);
    expectConsistent(r);
  });

  it('--bulk echoes exactly the bytes sent, a last partial line included', async () => {
    const c = capture();
    const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 3, work: { kind: 'echo', bytes: 40_000 } }), () => base(echoPort), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(0);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.bulk).toMatchObject({ mode: 'echo', bytesPerConnection: 40_000, completed: 3, cut: 0, failures: 0, bytesSent: 120_000, bytesReceived: 120_000 });
    expect(r.bulk!.receivedMBps).toBeGreaterThan(0);
  });

  it('builds the TLS config once for every connection; with --seed each connection has its own random source', async () => {
    const seen: ConnectOptions[] = [];
    let shared = 0;
    const spy: BenchTransport<ConnectOptions> = {
      connect: (o) => {
        seen.push(o);
        return nodeBenchTransport.connect(o);
      },
      shareConfig: (o) => {
        shared++;
        return nodeBenchTransport.shareConfig(o);
      },
      toTlsError: nodeBenchTransport.toTlsError,
    };
    const run = async (seed: number | null): Promise<void> => {
      const c = capture();
      expect(await runBench(settings({ durationMs: 60_000, handshakeLimit: 3, seed, warmup: 0 }), () => base(port), spy, { json: true, quiet: true }, c.io)).toBe(0);
    };
    await run(null);
    expect(shared).toBe(1);
    expect(seen).toHaveLength(3);
    const config = seen[0]!.secureContext;
    expect(config).toBeDefined();
    for (const o of seen) {
      expect(o.secureContext).toBe(config);
      expect(o.ca).toBeUndefined();
      expect(o.random).toBeUndefined();
    }
    seen.length = 0;
    await run(7);
    expect(shared).toBe(1);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((o) => o.random)).size).toBe(3);
  });

  for (const provider of ['pure', 'native'] as const) {
    it(`--seed under the ${provider} provider: two runs send the same first flights, another seed others`, async () => {
      const flightsOf = async (seed: number): Promise<string[]> => {
        const tap = await startFirstFlightTap(port);
        try {
          const c = capture();
          const code = await runBench(
            settings({ durationMs: 60_000, handshakeLimit: 3, seed, warmup: 0 }),
            () => ({ ...base(tap.port), servername: 'localhost', crypto: provider }),
            nodeBenchTransport,
            { json: true, quiet: true },
            c.io,
          );
          expect(code).toBe(0);
          expect((JSON.parse(c.stdout()) as BenchReport).session!.provider).toBe(provider);
          return tap.flights.map((f) => f.toString('hex'));
        } finally {
          tap.close();
        }
      };
      const a = await flightsOf(7);
      const b = await flightsOf(7);
      const c = await flightsOf(8);
      expect(a).toHaveLength(3);
      expect(a.every((f) => f.startsWith('16'))).toBe(true);
      expect(b).toEqual(a);
      expect(new Set(a).size).toBe(3);
      for (let i = 0; i < 3; i++) expect(c[i]).not.toBe(a[i]);
    });
  }

  it('dials each attempt itself: every connect() gets its own TCP socket to the target', async () => {
    const sockets: unknown[] = [];
    const spy: BenchTransport<ConnectOptions> = {
      ...nodeBenchTransport,
      connect: (o) => {
        sockets.push(o.socket);
        expect(o.host).toBe('127.0.0.1');
        return nodeBenchTransport.connect(o);
      },
    };
    const c = capture();
    expect(await runBench(settings({ durationMs: 60_000, handshakeLimit: 3, warmup: 0 }), () => base(port), spy, { json: true, quiet: true }, c.io)).toBe(0);
    expect(sockets).toHaveLength(3);
    expect(new Set(sockets).size).toBe(3);
    for (const s of sockets) {
      expect(s).toBeInstanceOf(net.Socket);
      expect((s as net.Socket).remotePort ?? port).toBe(port);
    }
  });

  /**
   * A TCP relay to `targetPort` that records, for each client connection, the types of the
   * TLS records the client sent and how its TCP connection ended.
   */
  async function closeTap(targetPort: number): Promise<{ port: number; seen: { records: number[]; ended: string | null }[]; close: () => void }> {
    const seen: { records: number[]; ended: string | null }[] = [];
    const sockets: net.Socket[] = [];
    const relay = net.createServer({ allowHalfOpen: true }, (client) => {
      const entry = { records: [] as number[], ended: null as string | null };
      seen.push(entry);
      let buf = Buffer.alloc(0);
      const target = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
      sockets.push(client, target);
      client.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        // RFC 9846 §5.1: type (1), legacy version (2), length (2), fragment.
        while (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
          entry.records.push(buf[0]!);
          buf = buf.subarray(5 + buf.readUInt16BE(3));
        }
        target.write(d);
      });
      target.on('data', (d: Buffer) => client.write(d));
      client.on('end', () => {
        entry.ended ??= 'fin';
        target.end();
      });
      client.on('error', (e: NodeJS.ErrnoException) => {
        entry.ended ??= e.code ?? 'error';
        target.destroy();
      });
      target.on('end', () => client.end());
      target.on('error', () => client.destroy());
      target.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
    return {
      port: (relay.address() as net.AddressInfo).port,
      seen,
      close: () => {
        for (const x of sockets) x.destroy();
        relay.close();
      },
    };
  }

  for (const close of ['notify', 'reset'] as const) {
    it(`--close ${close}: after its Finished the client sends ${close === 'notify' ? 'close_notify, then FIN' : 'nothing, then resets the TCP connection (as s_time)'}`, async () => {
      const tap = await closeTap(port);
      // How the bench ended each TCP socket it dialled.
      const ends: string[] = [];
      const spy: BenchTransport<ConnectOptions> = {
        ...nodeBenchTransport,
        connect: (o) => {
          const tcp = o.socket as net.Socket;
          const reset = tcp.resetAndDestroy.bind(tcp);
          tcp.resetAndDestroy = () => {
            ends.push('reset');
            return reset();
          };
          const end = tcp.end.bind(tcp) as () => net.Socket;
          tcp.end = (() => {
            ends.push('fin');
            return end();
          }) as typeof tcp.end;
          return nodeBenchTransport.connect(o);
        },
      };
      try {
        const c = capture();
        const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 3, warmup: 0, close }), () => ({ ...base(tap.port), servername: 'localhost' }), spy, { json: true, quiet: true }, c.io);
        expect(code).toBe(0);
        const r = JSON.parse(c.stdout()) as BenchReport;
        expect(r.handshakes).toBe(3);
        expect(r.settings.close).toBe(close);
        expect(r.cpu.msPerHandshake).toBeGreaterThan(0);
        expect(r.cpu.msPerHandshake).toBeCloseTo(((r.cpu.userSeconds + r.cpu.systemSeconds) * 1000) / r.handshakes, 6);
        const deadline = Date.now() + 10_000;
        while (tap.seen.filter((e) => e.ended !== null).length < 3 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
        expect(tap.seen).toHaveLength(3);
        for (const e of tap.seen) {
          // ClientHello; ChangeCipherSpec (middlebox compatibility) and the encrypted Finished;
          // with notify, one more encrypted record: the close_notify alert (RFC 9846 §6.1).
          expect(e.records).toEqual(close === 'notify' ? [22, 20, 23, 23] : [22, 20, 23]);
          // With notify the peer reads EOF after the close_notify. A reset that arrives right
          // behind the Finished is read by Linux as data and then EOF too, so the socket
          // spy says which it was.
          if (close === 'notify') expect(e.ended).toBe('fin');
        }
        expect(ends).toEqual(close === 'notify' ? ['fin', 'fin', 'fin'] : ['reset', 'reset', 'reset']);
      } finally {
        tap.close();
      }
    });
  }

  it('without --resume every handshake is full, although the server sends tickets and the client reads them', async () => {
    const c = capture();
    // Echo: the client reads records after each handshake, the NewSessionTickets among them.
    const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 4, work: { kind: 'echo', bytes: 2000 } }), () => base(echoPort), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(0);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.handshakes).toBe(4);
    expect(r.resumedHandshakes).toBe(0);
    expect(r.sessionsReceived).toBe(0);
    expect(r.session!.resumed).toBe(false);
    expect(r.settings.resume).toBe(false);
    expect(reportText(r)).toMatch(/resumed: {5}none: every handshake is full/);
  });

  for (const work of [{ kind: 'handshake' }, { kind: 'echo', bytes: 2000 }] as const) {
    it(`--resume (${work.kind}): after the full warm-up handshake, every handshake resumes the session the one before received`, async () => {
      const c = capture();
      const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 5, resume: true, work }), () => base(work.kind === 'echo' ? echoPort : port), nodeBenchTransport, { json: true, quiet: true }, c.io);
      expect(c.stderr()).toBe('');
      expect(code).toBe(0);
      const r = JSON.parse(c.stdout()) as BenchReport;
      expect(r.warmupHandshakes).toBe(1);
      expect(r.handshakes).toBe(5);
      expect(r.resumedHandshakes).toBe(5);
      // The server sends two tickets per handshake (puretls's default).
      expect(r.sessionsReceived).toBeGreaterThanOrEqual(5);
      expect(r.session).toMatchObject({ version: 'TLSv1.3', resumed: true });
      expect(r.settings.resume).toBe(true);
      expectConsistent(r);
      expect(reportText(r)).toMatch(/resumed: {5}5 of 5 handshakes \(100%\)/);
    });
  }

  it('--resume over TLS 1.2 (session IDs and tickets): every handshake after the first is resumed, none waits for a ticket', async () => {
    const c = capture();
    const t0 = Date.now();
    const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 5, resume: true }), () => ({ ...base(port), maxVersion: 'TLSv1.2' as const }), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(0);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.handshakes).toBe(5);
    expect(r.resumedHandshakes).toBe(5);
    expect(r.session).toMatchObject({ version: 'TLSv1.2', resumed: true });
    // The session is stored by the end of each handshake: no attempt waits TICKET_WAIT_MS for it.
    expect(Date.now() - t0).toBeLessThan(5 * TICKET_WAIT_MS);
  });

  it('--resume over TLS 1.2 with session IDs only (no tickets): handshakes resume, none waits for a ticket', async () => {
    // No tickets: TLS 1.2 session IDs only (test/interop/bench-openssl.test.ts has s_server,
    // whose resumed handshakes bring no new session).
    const ids = createServer({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0 }, (s: TlsSocket) => {
      s.on('error', () => {});
      s.resume();
    });
    const p = await listen(ids);
    try {
      const c = capture();
      const t0 = Date.now();
      const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 6, resume: true }), () => ({ ...base(p), maxVersion: 'TLSv1.2' as const }), nodeBenchTransport, { json: true, quiet: true }, c.io);
      expect(code).toBe(0);
      const r = JSON.parse(c.stdout()) as BenchReport;
      expect(r.handshakes).toBe(6);
      expect(r.resumedHandshakes).toBeGreaterThan(0);
      // A wait for a ticket after a handshake would take TICKET_WAIT_MS.
      expect(Date.now() - t0).toBeLessThan(2 * TICKET_WAIT_MS);
    } finally {
      ids.close();
    }
  });

  it('--resume against a server that sends no ticket: every handshake is full, each waits at most the ticket wait', async () => {
    const noTickets = createServer({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0 }, (s: TlsSocket) => {
      s.on('error', () => {});
      s.resume();
    });
    const p = await listen(noTickets);
    try {
      const c = capture();
      const t0 = Date.now();
      const code = await runBench(settings({ durationMs: 60_000, handshakeLimit: 2, warmup: 0, resume: true }), () => base(p), nodeBenchTransport, { json: true, quiet: true }, c.io);
      expect(code).toBe(0);
      const r = JSON.parse(c.stdout()) as BenchReport;
      expect(r.handshakes).toBe(2);
      expect(r.resumedHandshakes).toBe(0);
      expect(r.sessionsReceived).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2 * TICKET_WAIT_MS + 5000);
    } finally {
      noTickets.close();
    }
  });

  it('an untrusted server: CertificateUntrusted, exit 1, stopped at the first (warm-up) failure', async () => {
    const c = capture();
    const code = await runBench(settings(), () => ({ ...base(port), ca: otherCa }), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(1);
    const r = JSON.parse(c.stdout()) as BenchReport & { error: { status: string } };
    expect(r.error.status).toBe('CertificateUntrusted');
    expect(r.handshakes).toBe(0);
    expect(r.errors).toEqual({ CertificateUntrusted: 1 });
    expect(r.stoppedBy).toBe('errors');
  });

  it('without warm-up, failures are counted until --max-errors in a row', async () => {
    const c = capture();
    const code = await runBench(settings({ warmup: 0, maxErrors: 4, durationMs: 30_000 }), () => ({ ...base(port), ca: otherCa }), nodeBenchTransport, { json: true, quiet: true }, c.io);
    expect(code).toBe(1);
    const r = JSON.parse(c.stdout()) as BenchReport;
    expect(r.failures).toBe(4);
    expect(r.errors).toEqual({ CertificateUntrusted: 4 });
    expect(r.timeline.failures.reduce((a, b) => a + b, 0)).toBe(4);
    expectConsistent(r);
  });

  it('options refused by connect() end the run at once with their status', async () => {
    const c = capture();
    const code = await runBench(settings(), () => ({ ...base(port), groups: ['no-such-group'] }), nodeBenchTransport, { json: false, quiet: true }, c.io);
    expect(code).toBe(1);
    expect(c.stderr()).toMatch(/^puretls: error: InvalidConfig/);
  });

  it('a server that accepts TCP and never answers: TimedOut, and the run ends within duration + grace', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => {
      held.push(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const c = capture();
      const t0 = Date.now();
      const code = await runBench(settings({ warmup: 0, connections: 2, durationMs: 800, maxErrors: 0 }), () => ({ ...base(silentPort), handshakeTimeout: 300 }), nodeBenchTransport, { json: true, quiet: true }, c.io);
      const took = Date.now() - t0;
      expect(code).toBe(1);
      const r = JSON.parse(c.stdout()) as BenchReport & { error: { status: string } };
      expect(r.error.status).toBe('TimedOut');
      expect(r.handshakes).toBe(0);
      expect(r.failures).toBeGreaterThanOrEqual(2);
      expectConsistent(r);
      // 800 ms of attempts, then at most one more 300 ms timeout (the grace), plus scheduling slack.
      expect(took).toBeLessThan(800 + 300 + 1500);
    } finally {
      for (const s of held) s.destroy();
      silent.close();
    }
  });
});

describe('benchSvg', () => {
  const report: BenchReport = {
    target: '127.0.0.1:1',
    serverName: null,
    settings: { connections: 1, durationSeconds: 1, handshakeLimit: null, warmup: 0, mode: 'handshake', seed: null, maxErrors: 10, close: 'notify', resume: false },
    stoppedBy: 'duration',
    warmupHandshakes: 0,
    elapsedSeconds: 1,
    attempts: 3,
    handshakes: 3,
    failures: 0,
    abandoned: 0,
    handshakesPerSecond: 3,
    resumedHandshakes: 0,
    sessionsReceived: 0,
    latencyMs: { min: 1, mean: 2, p50: 2, p90: 3, p99: 3, max: 3 },
    histogram: {
      growth: 1.02,
      buckets: [
        { fromMs: 0.99, toMs: 1.01, count: 1 },
        { fromMs: 1.99, toMs: 2.03, count: 1 },
        { fromMs: 2.98, toMs: 3.04, count: 1 },
      ],
    },
    timeline: { intervalSeconds: 0.1, handshakes: [1, 0, 2], failures: [0, 1, 0] },
    session: { version: '<TLSv1.3 & "x">', cipherSuite: null, group: null, signatureScheme: null, alpn: null, resumed: false, helloRetryRequest: false, provider: 'noble', certificateErrors: [] },
    bulk: null,
    cpu: { userSeconds: 0.1, systemSeconds: 0, utilisation: 0.1, handshakesPerUserSecond: 30, msPerHandshake: 33.3 },
    errors: {},
  };

  it('is one standalone SVG document with escaped text and no NaN', () => {
    const svg = benchSvg(report);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    expect(svg).toContain('&#60;TLSv1.3 &#38; &#34;x&#34;&#62;');
    expect(svg).not.toContain('<TLSv1.3');
    expect(svg).not.toMatch(/<script|href=/);
    // the histogram and the two rate series are drawn
    expect(svg.match(/fill="#4878a8"/g)!.length).toBeGreaterThanOrEqual(4);
    expect(svg).toMatch(/fill="#c22"/);
  });

  it('draws a run without handshakes', () => {
    const svg = benchSvg({ ...report, handshakes: 0, attempts: 0, handshakesPerSecond: 0, latencyMs: null, histogram: { growth: 1.02, buckets: [] }, timeline: { intervalSeconds: 0.1, handshakes: [], failures: [] }, session: null });
    expect(svg).toContain('no handshake completed');
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });
});
