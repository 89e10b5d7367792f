/**
 * Adversarial campaign 4, part 1: a hostile client against the Node adapter's server
 * (src/transport/node.ts `TlsServer`, src/transport/node-sni.ts) before any TLS exists: the
 * ClientHello peek behind `SNICallback` / `addContext`, and the callback itself.
 *
 * - RFC 9846 §5.1 lets a client cut its ClientHello into records of one byte each. The peek
 *   re-joined every fragment so far on each record and re-read everything on each `data`
 *   event: a 30 KiB hello in one-byte records (180 KB on the wire, under the peek's limit)
 *   blocked the event loop for tens of seconds (F1, fixed: each byte is looked at once).
 * - SNICallbacks that throw, reject, answer garbage, answer twice, or never answer; a client
 *   that goes away while the callback is pending: the server reports `'tlsClientError'`,
 *   stays up, and serves the next client.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { TlsError } from '../../src/base/errors.js';
import * as pure from '../../src/transport/node.js';
import { ClientHelloPeek, clientHelloServerName } from '../../src/transport/node-sni.js';
import { withTestHooks } from '../../src/testing/hooks.js';
import { encodeClientHello } from '../../src/wire/hello.js';
import { encode } from '../../src/wire/writer.js';
import type { ClientHello } from '../../src/wire/messages.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { parseRecords } from '../helpers/mitm.js';
import { join } from '../helpers/bytes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ names: ['localhost', 'b.test'] });
});

const servers: net.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

/** A puretls client for 'b.test' whose ClientHello carries `pad` bytes of an unknown extension (RFC 9846 §4.2: ignored). */
function bigHelloClient(pad: number): TlsConnection {
  return TlsConnection.client(
    withTestHooks(
      { servername: 'b.test', ca: pki.caCertPem },
      { clientHello: (ch) => ({ ...ch, extensions: { ...ch.extensions, unknown: [...(ch.extensions.unknown ?? []), { type: 0x7a7a, data: new Uint8Array(pad).fill(0x61) }] } }) },
    ),
  );
}

/** The handshake bytes of `flight` (its records' fragments, joined) cut into records of `size` bytes. */
function refragment(flight: Uint8Array, size: number): Uint8Array {
  const hs = join(parseRecords(flight).map((r) => r.fragment));
  const out: Uint8Array[] = [];
  for (let i = 0; i < hs.length; i += size) {
    const frag = hs.subarray(i, i + size);
    out.push(new Uint8Array([22, 3, 1, frag.length >> 8, frag.length & 0xff]), frag);
  }
  return join(out);
}

/** Starts `server` on 127.0.0.1, port 0; returns the port. */
async function listen(server: net.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** The longest gap between ticks of a 10 ms interval while `run` runs (how long the event loop was blocked). */
async function maxLag<T>(run: () => Promise<T>): Promise<{ result: T; lag: number }> {
  let last = performance.now();
  let lag = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - 10);
    last = now;
  }, 10);
  try {
    const result = await run();
    return { result, lag };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `client` over a raw TCP connection to `port`, its first flight replaced by `first`
 * written in pieces of `piece` bytes (each after the previous one drained and a macrotask);
 * resolves when the handshake completes, rejects on its error or after `timeoutMs`.
 */
function relay(client: TlsConnection, first: Uint8Array, port: number, piece: number, timeoutMs = 20_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const raw = net.connect(port, '127.0.0.1');
    raw.setNoDelay(true);
    let chain = Promise.resolve();
    const timer = setTimeout(() => {
      raw.destroy();
      reject(new Error('relay: timed out'));
    }, timeoutMs);
    const end = (e?: unknown): void => {
      clearTimeout(timer);
      raw.destroy();
      if (e === undefined) resolve();
      else reject(e);
    };
    raw.on('error', end);
    raw.on('data', (d: Buffer) => {
      chain = chain
        .then(async () => {
          let rest: Uint8Array = d;
          while (rest.length > 0) {
            const n = client.receive(rest);
            rest = rest.subarray(n);
            await client.process();
            if (client.error) throw client.error;
          }
          const out = client.takeOutput();
          if (out) raw.write(out);
          if (client.handshakeComplete) end();
        })
        .catch(end);
    });
    raw.on('connect', async () => {
      for (let i = 0; i < first.length && !raw.destroyed; i += piece) {
        if (!raw.write(first.subarray(i, i + piece))) await new Promise((r) => raw.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
    });
  });
}

describe('campaign4: the ClientHello peek against a hello of one-byte records (RFC 9846 §5.1)', () => {
  it('a 30 KiB hello in one-byte records (180 KB): the name in one pass, in well under a second', async () => {
    const client = bigHelloClient(30_000);
    await client.process();
    const wire = refragment(client.takeOutput()!, 1);
    expect(wire.length).toBeLessThan(131072 + 64 * 1024);
    const t = performance.now();
    expect(clientHelloServerName(wire, 131072)).toEqual({ done: true, name: 'b.test' });
    // Before the fix: about 10 s (every fragment so far re-joined for each record).
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it('the same fed six bytes (one record) at a time: each byte looked at once; the answer the same as in one piece, for every cut', async () => {
    const client = bigHelloClient(30_000);
    await client.process();
    const wire = refragment(client.takeOutput()!, 1);
    const t = performance.now();
    const peek = new ClientHelloPeek(131072);
    let r = peek.push(new Uint8Array(0));
    let early = 0;
    for (let i = 0; i < wire.length; i += 6) {
      if (r.done) early++;
      r = peek.push(wire.subarray(i, i + 6));
    }
    const took = performance.now() - t;
    expect(early).toBe(0);
    expect(r).toEqual({ done: true, name: 'b.test' });
    expect(took).toBeLessThan(1000);
    // Any cut of a smaller hello (records of 1..3 bytes) into two pushes gives the one-piece answer.
    const small = bigHelloClient(0);
    await small.process();
    const hello = small.takeOutput()!;
    for (const size of [1, 3]) {
      const w = refragment(hello, size);
      for (let cut = 0; cut < w.length; cut++) {
        const p = new ClientHelloPeek(131072);
        expect(p.push(w.subarray(0, cut)).done, `cut ${cut}`).toBe(false);
        expect(p.push(w.subarray(cut))).toEqual({ done: true, name: 'b.test' });
      }
    }
  });

  it('answers are final: once done, later bytes change nothing; a non-handshake record, an empty one, or an announced hello over the limit is "no name" at once', () => {
    const p = new ClientHelloPeek(100);
    expect(p.push(new Uint8Array([22, 3, 1, 0, 4, 1, 0, 0, 101]))).toEqual({ done: true, name: null });
    expect(p.push(new Uint8Array(50).fill(22))).toEqual({ done: true, name: null });
    expect(new ClientHelloPeek(100).push(new Uint8Array([23, 3, 3, 0, 1, 0]))).toEqual({ done: true, name: null });
    expect(new ClientHelloPeek(100).push(new Uint8Array([22, 3, 1, 0, 0]))).toEqual({ done: true, name: null });
    expect(new ClientHelloPeek(100).push(new Uint8Array([22, 3, 1, 0, 1, 2]))).toEqual({ done: false });
    expect(new ClientHelloPeek(100).push(new Uint8Array([22, 3, 1, 0, 4, 2, 0, 0, 0]))).toEqual({ done: true, name: null });
  });
});

describe('campaign4: a Node server with an SNICallback against a hello of one-byte records', () => {
  it('the handshake completes with the name the callback was given, and the event loop is never blocked for long', async () => {
    const names: string[] = [];
    const server = pure.createServer(
      {
        cert: pki.chainPem,
        key: pki.keyPem,
        SNICallback: (name, cb) => {
          names.push(name);
          cb(null, null);
        },
      },
      (s) => s.destroy(),
    );
    const errors: Error[] = [];
    server.on('tlsClientError', (e) => errors.push(e));
    const port = await listen(server);
    const client = bigHelloClient(30_000);
    await client.process();
    const wire = refragment(client.takeOutput()!, 1);
    // 64 KiB writes: a few data events, each of thousands of one-byte records.
    const { lag } = await maxLag(() => relay(client, wire, port, 65536));
    expect(client.handshakeComplete).toBe(true);
    expect(names).toEqual(['b.test']);
    expect(errors).toEqual([]);
    // Before the fix: tens of seconds in one data event.
    expect(lag).toBeLessThan(1500);
  }, 60_000);

  it('a trickle: 3000 writes of ten one-byte records each: the handshake completes, bounded lag', async () => {
    const names: string[] = [];
    const server = pure.createServer(
      {
        cert: pki.chainPem,
        key: pki.keyPem,
        SNICallback: (name, cb) => {
          names.push(name);
          cb(null, null);
        },
      },
      (s) => s.destroy(),
    );
    const port = await listen(server);
    const client = bigHelloClient(30_000);
    await client.process();
    const wire = refragment(client.takeOutput()!, 1);
    const { lag } = await maxLag(() => relay(client, wire, port, 60, 60_000));
    expect(client.handshakeComplete).toBe(true);
    expect(names).toEqual(['b.test']);
    expect(lag).toBeLessThan(1500);
  }, 90_000);
});

/** A raw client that sends a real ClientHello for 'b.test' and reports when the server closes the connection (ms after the hello). */
async function helloThenWaitClose(port: number, opts: { closeAfterMs?: number } = {}): Promise<{ closedAfter: number; bytes: number }> {
  const client = bigHelloClient(0);
  await client.process();
  const hello = client.takeOutput()!;
  return new Promise((resolve) => {
    const raw = net.connect(port, '127.0.0.1');
    let bytes = 0;
    let t = 0;
    raw.on('error', () => {});
    raw.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    raw.on('connect', () => {
      t = performance.now();
      raw.write(hello);
      if (opts.closeAfterMs !== undefined) setTimeout(() => raw.end(), opts.closeAfterMs);
    });
    raw.on('close', () => resolve({ closedAfter: performance.now() - t, bytes }));
  });
}

describe('the seam between the SNI peek and the engine', () => {
  // The peek gives up on a ClientHello over its limit (128 KiB) and the default config is used;
  // a server that allows larger hellos (maxClientHelloSize) has the engine read the same hello
  // with its name. Without the check, the connection reached the application under that name
  // with the default's policy (here: no client certificate where the callback's context
  // requires one).
  it('a hello the peek cannot read but the engine can, naming a host whose context requires a client certificate: refused, never handed to the application', async () => {
    const strict = pure.createSecureContext({ cert: pki.chainPem, key: pki.keyPem, requireCert: true, ca: pki.caCertPem });
    const names: string[] = [];
    const secure: string[] = [];
    const server = pure.createServer(
      {
        cert: pki.chainPem,
        key: pki.keyPem,
        maxClientHelloSize: 262144,
        SNICallback: (name, cb) => {
          names.push(name);
          cb(null, strict);
        },
      },
      (s) => {
        secure.push(String(s.servername));
        s.destroy();
      },
    );
    const errors: TlsError[] = [];
    server.on('tlsClientError', (e) => errors.push(e as TlsError));
    const port = await listen(server);
    // The largest ClientHello the u16 vectors allow: 32,767 cipher suites (unknown ones are
    // ignored, RFC 9846 §4.1.2) and an extension block of 65,535 bytes filled by an unknown
    // extension: a body just over the peek's 131,072-byte limit.
    let bodyLength = 0;
    const c = pure.connect(
      withTestHooks(
        { host: '127.0.0.1', port, servername: 'b.test', ca: pki.caCertPem },
        {
          clientHello: (ch) => {
            const extra: number[] = [];
            for (let v = 0x8000; ch.cipherSuites.length + extra.length < 32_767; v++) if (!ch.cipherSuites.includes(v)) extra.push(v);
            const withPad = (n: number): ClientHello => ({
              ...ch,
              cipherSuites: [...ch.cipherSuites, ...extra],
              extensions: { ...ch.extensions, unknown: [...(ch.extensions.unknown ?? []), { type: 0x7a7a, data: new Uint8Array(n).fill(0x61) }] },
            });
            const body = (m: ClientHello): number => encode((w) => encodeClientHello(w, m)).length;
            const base = 2 + 32 + 1 + ch.legacySessionId.length + 2 + 2 * 32_767 + 1 + ch.legacyCompressionMethods.length + 2;
            const pad = 65_535 - (body(withPad(0)) - base);
            const m = withPad(pad);
            bodyLength = body(m);
            return m;
          },
        },
      ),
    );
    const ended = await new Promise<string>((resolve) => {
      c.on('secureConnect', () => resolve('secureConnect'));
      c.on('error', (e) => resolve(`error ${(e as TlsError).status ?? e.message}`));
      c.on('close', () => resolve('close'));
    });
    await new Promise((r) => setTimeout(r, 100));
    c.destroy();
    expect(bodyLength).toBeGreaterThan(131_072);
    expect(names).toEqual([]);
    expect(secure, 'the application got a connection named b.test under the default policy').toEqual([]);
    expect(errors.map((e) => e.status)).toEqual(['IllegalParameter']);
    expect(ended).not.toBe('');
  }, 60_000);
});

describe('campaign4: hostile SNICallbacks', () => {
  /** A server whose SNICallback is `cb`, handshake timeout 400 ms; its tlsClientErrors and secure connections. */
  async function sniServer(cb: NonNullable<pure.TlsServerOptions['SNICallback']>): Promise<{ port: number; errors: Error[]; secure: number[] }> {
    const errors: Error[] = [];
    const secure: number[] = [];
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, handshakeTimeout: 400, SNICallback: cb }, (s) => {
      secure.push(1);
      s.destroy();
    });
    server.on('tlsClientError', (e) => errors.push(e));
    return { port: await listen(server), errors, secure };
  }

  it('a callback that never answers: the handshake timeout ends the connection (TimedOut), as node:tls does', async () => {
    const s = await sniServer(() => {});
    const r = await Promise.race([helloThenWaitClose(s.port), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
    expect(r, 'the connection is still open 3 s later').not.toBeNull();
    expect(r!.closedAfter).toBeLessThan(2000);
    await new Promise((res) => setTimeout(res, 50));
    expect(s.errors.map((e) => (e as TlsError).status)).toEqual(['TimedOut']);
  });

  it('a callback that never answers, the client closing after 100 ms: the connection is released', async () => {
    const s = await sniServer(() => {});
    const r = await Promise.race([helloThenWaitClose(s.port, { closeAfterMs: 100 }), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
    expect(r, 'the server kept the half-closed connection open').not.toBeNull();
  });

  it('callbacks that throw, reject, answer garbage, answer twice, or answer after the timeout: tlsClientError each time, nothing uncaught, and the server still serves', async () => {
    const behaviours: ((cb: (err: Error | null, ctx?: unknown) => void) => unknown)[] = [
      () => {
        throw new Error('boom');
      },
      () => Promise.reject(new Error('rejected')),
      (cb) => cb(new Error('refused')),
      (cb) => cb(null, 42),
      (cb) => cb(null, 'a string'),
      (cb) => cb(null, { cert: 'not a certificate', key: 'nor a key' }),
      (cb) => cb(null, { context: {} }),
      (cb) => {
        cb(null, null);
        cb(new Error('second answer'));
        cb(null, 42);
      },
      (cb) => setTimeout(() => cb(null, null), 800),
      (cb) => setTimeout(() => cb(new Error('late refusal')), 800),
    ];
    let which = 0;
    const s = await sniServer((_name, cb) => behaviours[which]!(cb as (err: Error | null, ctx?: unknown) => void) as void);
    for (which = 0; which < behaviours.length; which++) {
      const before = s.errors.length + s.secure.length;
      const r = await Promise.race([helloThenWaitClose(s.port), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
      expect(r, `behaviour ${which}: still open`).not.toBeNull();
      await new Promise((res) => setTimeout(res, 20));
      // The double answer takes the first (the fallback config): the raw client never finishes, so the handshake times out.
      expect(s.errors.length + s.secure.length, `behaviour ${which}`).toBe(before + 1);
    }
    // Late answers arrive after their connection is gone: nothing happens.
    await new Promise((res) => setTimeout(res, 900));
    for (const e of s.errors) expect(e, e.message).toBeInstanceOf(Error);
    // A well-behaved client is still served.
    which = 7;
    const ok = await pure.connect({ host: '127.0.0.1', port: s.port, servername: 'b.test', ca: pki.caCertPem });
    await new Promise<void>((res, rej) => {
      ok.once('secureConnect', () => res());
      ok.once('error', rej);
    });
    ok.destroy();
  }, 30_000);

  it('one handshake timeout from accept to the end of the handshake, the SNI peek and callback included (not one for the peek and another after it)', async () => {
    const s = await sniServer((_name, cb) => {
      setTimeout(() => cb(null, null), 250);
    });
    // The hello at once, the callback answers 250 ms later, then the client never sends its second flight.
    const r = await Promise.race([helloThenWaitClose(s.port), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
    expect(r).not.toBeNull();
    // 400 ms handshake timeout: closed about 400 ms after the hello, not 250 + 400.
    expect(r!.closedAfter).toBeLessThan(600);
    expect(r!.closedAfter).toBeGreaterThan(350);
    await new Promise((res) => setTimeout(res, 20));
    expect(s.errors.map((e) => (e as TlsError).status)).toEqual(['TimedOut']);
  });

  // F10: the raw socket had no 'error' listener while the callback was pending: the reset was an uncaught exception (a crashed server).
  it('a client that resets while the callback is pending: reported once (no uncaught ECONNRESET), the late answer does nothing', async () => {
    const errors: Error[] = [];
    const pending: { answer: ((err: Error | null, ctx?: null) => void) | null } = { answer: null };
    const server = pure.createServer({ cert: pki.chainPem, key: pki.keyPem, handshakeTimeout: 1500, SNICallback: (_n, cb) => {
      pending.answer = cb;
    } });
    server.on('tlsClientError', (e) => errors.push(e));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => {
      uncaught.push(e);
    };
    process.on('uncaughtException', onUncaught);
    const port = await listen(server);
    const client = bigHelloClient(0);
    await client.process();
    const raw = net.connect(port, '127.0.0.1');
    raw.on('error', () => {});
    await new Promise<void>((r) => raw.once('connect', () => r()));
    raw.write(client.takeOutput()!);
    while (pending.answer === null) await new Promise((r) => setTimeout(r, 5));
    raw.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 1800));
    process.off('uncaughtException', onUncaught);
    expect(uncaught.map(String)).toEqual([]);
    expect(errors.length).toBe(1);
    expect(errors[0]).toBeInstanceOf(TlsError);
    pending.answer(null, null);
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.length).toBe(1);
  });
});
