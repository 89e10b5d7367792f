/**
 * Adversarial campaign against the Node adapter (src/transport/node.ts `TlsSocket`) and its
 * pump (src/transport/pump.ts) under a careless or hostile caller and a hostile network:
 *
 * - writes and end() made during the handshake, then the transport resets, the application
 *   destroys the socket, or the handshake times out: every write callback and the end()
 *   callback runs (as with node:tls), none is left pending forever;
 * - end() while an async AEAD (webcrypto) is still sealing many records: the peer reads every
 *   byte, then a clean close_notify (no Truncated);
 * - slowloris: a client whose every byte (handshake and data) arrives alone, and a huge
 *   single write: nothing lost, duplicated or reordered, no hang;
 * - no uncaught exception or unhandled rejection in any of it.
 */
import * as net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { connect, createServer, type TlsSocket } from '../../src/transport/node.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { generateTestPki, type TestPki } from '../../src/testing/index.js';
import { payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
const closers: (() => void)[] = [];
failOnUnhandled({ uncaught: true });

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});
afterAll(() => {
  for (const c of closers) c();
});

type Which = 'pure' | 'webcrypto';
const provider = (which: Which): 'pure' | CryptoProvider => (which === 'webcrypto' ? webcryptoProvider() : 'pure');

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as AddressInfo).port;
}

/** A TCP server that reads the ClientHello and then resets the connection, or holds it silently. */
async function badServer(mode: 'reset' | 'silent'): Promise<number> {
  const held: net.Socket[] = [];
  closers.push(() => held.forEach((s) => s.destroy()));
  return listen(
    net.createServer((s) => {
      s.on('error', () => {});
      held.push(s);
      if (mode === 'reset') s.once('data', () => s.resetAndDestroy());
    }),
  );
}

const code = (e: Error | null | undefined): string => (e ? ((e as { status?: string }).status ?? (e as { code?: string }).code ?? 'error') : 'ok');

/** Writes two chunks and ends during the handshake; returns what was called back, once 'close' came (or after 3 s). */
async function writesDuringHandshake(s: net.Socket | TlsSocket, then?: (s: net.Socket | TlsSocket) => void): Promise<string[]> {
  const events: string[] = [];
  s.on('error', (e) => events.push(`error ${code(e)}`));
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  const called = [
    new Promise<void>((r) => s.write('first', (e) => (events.push(`write1 ${code(e)}`), r()))),
    new Promise<void>((r) => s.write('second', (e) => (events.push(`write2 ${code(e)}`), r()))),
    new Promise<void>((r) => s.end(() => (events.push('end'), r()))),
  ];
  then?.(s);
  await closed;
  await Promise.race([Promise.all(called), new Promise((r) => setTimeout(r, 3000))]);
  return events;
}

describe('writes made during the handshake when it can never complete', () => {
  it('control: node:tls calls back every write and end() when the transport resets mid-handshake', async () => {
    const port = await badServer('reset');
    const events = await writesDuringHandshake(tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem }));
    expect(events.filter((e) => /^(write1|write2|end)/.test(e)).length).toBe(3);
  });

  it.each(['pure', 'webcrypto'] as const)('%s: the transport resets mid-handshake: every write and end() is called back, with the error', async (which) => {
    const port = await badServer('reset');
    const events = await writesDuringHandshake(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: provider(which) }));
    expect(events).toContain('error ConnectionReset');
    expect(events).toContain('write1 ConnectionReset');
    expect(events.some((e) => e.startsWith('write2 '))).toBe(true);
    expect(events).toContain('end');
  });

  it.each(['pure', 'webcrypto'] as const)('%s: destroy() during the handshake: every pending write and end() is called back, none reports success', async (which) => {
    const port = await badServer('silent');
    const events = await writesDuringHandshake(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: provider(which) }), (s) =>
      setTimeout(() => s.destroy(), 50),
    );
    expect(events.filter((e) => /^(write1|write2|end)/.test(e)).length).toBe(3);
    expect(events.filter((e) => /^write[12] ok/.test(e))).toEqual([]);
  });

  // The abort's error is made only when something waits for it (issue 9: a destroy() after the
  // handshake makes no Error); one that waits still gets the right status.
  it.each([
    ['destroy()', undefined, 'Closed'],
    ['destroy(ECONNRESET error)', Object.assign(new Error('reset by the application'), { code: 'ECONNRESET' }), 'ConnectionReset'],
  ] as const)('%s during the handshake: a pending write is called back with %s', async (_name, err, status) => {
    const port = await badServer('silent');
    const events = await writesDuringHandshake(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem }), (s) =>
      setTimeout(() => s.destroy(err), 50),
    );
    expect(events).toContain(`write1 ${status}`);
  });

  it('the handshake timeout: pending writes are called back with TimedOut', async () => {
    const port = await badServer('silent');
    const events = await writesDuringHandshake(connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, handshakeTimeout: 100 }));
    expect(events).toContain('error TimedOut');
    expect(events).toContain('write1 TimedOut');
    expect(events.filter((e) => /^(write2|end)/.test(e)).length).toBe(2);
  });
});

/** A node:tls server that counts what each connection sends and how it ended. */
async function countingServer(): Promise<{ port: number; next: () => Promise<{ bytes: Buffer; clean: boolean }> }> {
  const results: Promise<{ bytes: Buffer; clean: boolean }>[] = [];
  const port = await listen(
    tls.createServer({ cert: pki.chainPem, key: pki.keyPem, allowHalfOpen: true }, (s) => {
      results.push(
        new Promise((resolve) => {
          const parts: Buffer[] = [];
          let clean = false;
          s.on('data', (d: Buffer) => parts.push(d));
          s.on('end', () => {
            clean = true;
            s.end();
          });
          s.on('error', () => {});
          s.on('close', () => resolve({ bytes: Buffer.concat(parts), clean }));
        }),
      );
    }),
  );
  return {
    port,
    next: async () => {
      for (let i = 0; i < 400 && results.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      return results.shift()!;
    },
  };
}

async function connected(port: number, which: Which, maxVersion: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): Promise<TlsSocket> {
  return new Promise((resolve, reject) => {
    const c = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: provider(which), maxVersion }, () => resolve(c));
    c.once('error', reject);
  });
}

describe('write() then destroy() in the same tick', () => {
  it('control: node:tls sends the bytes (its write reaches the kernel at once)', async () => {
    const srv = await countingServer();
    const s = await new Promise<tls.TLSSocket>((resolve) => {
      const c = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.caCertPem }, () => resolve(c));
    });
    s.write(payload(1000, 1));
    s.destroy();
    expect((await srv.next()).bytes.length).toBe(1000);
  });

  // With a synchronous AEAD the records are sealed at once: the adapter hands them to the
  // socket before destroying it. (webcrypto seals later: destroy() discards what is not
  // sealed yet, which Node's destroy() allows; its write callback has not run either.)
  it.each(['pure', 'native'] as const)('%s: the bytes written just before reach the peer, as with node:tls', async (which) => {
    const srv = await countingServer();
    const s = await new Promise<TlsSocket>((resolve) => {
      const c = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.caCertPem, crypto: which }, () => resolve(c));
    });
    const data = [payload(1000, 1), payload(30_000, 2), payload(5, 3)];
    for (const d of data) s.write(d);
    s.destroy();
    const got = await srv.next();
    expect(sameBytes(new Uint8Array(got.bytes), Buffer.concat(data))).toBe(true);
  });
});

describe('async sealing (webcrypto) under a careless caller', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: end() right after many writes still being sealed: every byte, then a clean close_notify', async (version) => {
    const srv = await countingServer();
    const s = await connected(srv.port, 'webcrypto', version);
    expect(s.info.version).toBe(version);
    const chunks = Array.from({ length: 40 }, (_, i) => payload(1 + ((i * 7919) % 40_000), i));
    for (const c of chunks) s.write(c);
    s.end();
    const got = await srv.next();
    expect(got.clean).toBe(true);
    expect(sameBytes(new Uint8Array(got.bytes), Buffer.concat(chunks))).toBe(true);
  });
});

/** A TCP proxy that forwards every byte alone, each on its own turn of the event loop. */
async function tricklingProxy(target: number): Promise<number> {
  return listen(
    net.createServer((a) => {
      const b = net.connect(target, '127.0.0.1');
      a.setNoDelay(true);
      b.setNoDelay(true);
      const trickle = (from: net.Socket, to: net.Socket): void => {
        let queue: number[] = [];
        let busy = false;
        const step = (): void => {
          const byte = queue.shift();
          if (byte === undefined) {
            busy = false;
            return;
          }
          if (!to.destroyed) to.write(Uint8Array.of(byte));
          setImmediate(step);
        };
        from.on('data', (d: Buffer) => {
          queue = queue.concat([...d]);
          if (!busy) {
            busy = true;
            setImmediate(step);
          }
        });
        from.on('end', () => {
          const wait = (): void => (busy ? void setImmediate(wait) : void to.end());
          wait();
        });
      };
      trickle(a, b);
      trickle(b, a);
      a.on('error', () => b.destroy());
      b.on('error', () => a.destroy());
      a.on('close', () => b.destroy());
    }),
  );
}

describe('a peer that half-closes (RFC 9846 §6.1)', () => {
  // The peer is a puretls server: node:tls ends with a FIN but no close_notify (what puretls
  // rightly reports as Truncated), so it cannot play a peer that half-closes cleanly.
  it.each(['webcrypto', 'pure'] as const)('%s: a large reply written in the end listener (allowHalfOpen false), still being sealed, reaches the peer before our close_notify', async (which) => {
    let resolveGot: (b: { bytes: Buffer; error: string | null }) => void = () => {};
    const got = new Promise<{ bytes: Buffer; error: string | null }>((r) => (resolveGot = r));
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, allowHalfOpen: true, crypto: provider(which) }, (s) => {
      const parts: Buffer[] = [];
      let error: string | null = null;
      s.on('error', (e: Error) => (error = (e as { status?: string }).status ?? e.message));
      s.on('data', (d: Buffer) => parts.push(d));
      s.on('close', () => resolveGot({ bytes: Buffer.concat(parts), error }));
      s.end('request');
    });
    const port = await listen(server as unknown as net.Server);
    const s = await connected(port, which);
    const reply = payload(300_000, 21);
    const events: string[] = [];
    s.on('data', () => {});
    s.on('error', (e) => events.push(`error ${code(e)}`));
    s.on('end', () => {
      s.write(reply.subarray(0, 100_000));
      s.write(reply.subarray(100_000));
    });
    const r = await got;
    expect(events).toEqual([]);
    expect(r.error).toBeNull();
    expect(r.bytes.length).toBe(reply.length);
    expect(sameBytes(new Uint8Array(r.bytes), reply)).toBe(true);
  });
});

describe('a hostile network', () => {
  it.each(['pure', 'webcrypto'] as const)('%s: every byte of the handshake and data arriving alone (slowloris): an echo round trip intact', async (which) => {
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, crypto: provider(which) }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    const port = await listen(server as unknown as net.Server);
    const proxy = await tricklingProxy(port);
    const s = await connected(proxy, which);
    const data = payload(3000, 7);
    const parts: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        parts.push(d);
        if (Buffer.concat(parts).length >= data.length) resolve();
      });
      s.on('error', reject);
    });
    s.write(data);
    await done;
    expect(sameBytes(new Uint8Array(Buffer.concat(parts)), data)).toBe(true);
    s.destroy();
  });

  it('webcrypto both ends: one 6 MiB write echoed back intact', async () => {
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, crypto: webcryptoProvider() }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    const port = await listen(server as unknown as net.Server);
    const s = await connected(port, 'webcrypto');
    const data = payload(6 * 1024 * 1024 + 3, 9);
    const parts: Buffer[] = [];
    let n = 0;
    const done = new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        parts.push(d);
        n += d.length;
        if (n >= data.length) resolve();
      });
      s.on('error', reject);
    });
    s.write(data);
    await done;
    expect(sameBytes(new Uint8Array(Buffer.concat(parts)), data)).toBe(true);
    s.destroy();
  });

  it('webcrypto client, a peer flooding 8 MiB at an application that stops reading: memory bounded, then every byte in order', async () => {
    const data = payload(8 * 1024 * 1024, 11);
    const port = await listen(
      tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
        s.on('error', () => {});
        s.end(data);
      }),
    );
    const s = await connected(port, 'webcrypto');
    s.pause();
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 10));
      peak = Math.max(peak, s.connection.bufferedBytes + s.readableLength);
    }
    // What the socket holds decrypted plus what the engine holds: far below the 8 MiB sent
    // (the pump stops taking input, and the transport is paused, once the application stops).
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(1024 * 1024);
    const parts: Buffer[] = [];
    const done = new Promise<void>((resolve, reject) => {
      s.on('end', () => resolve());
      s.on('error', reject);
    });
    s.on('data', (d: Buffer) => parts.push(d));
    s.resume();
    await done;
    expect(sameBytes(new Uint8Array(Buffer.concat(parts)), data)).toBe(true);
    s.destroy();
  });
});

describe('a hostile client against a webcrypto server', () => {
  it('reset after the ClientHello, garbage, a record cut short then FIN, a byte a tick then reset: the server stays up, nothing uncaught', async () => {
    const errors: string[] = [];
    const server = createServer({ cert: pki.chainPem, key: pki.keyPem, crypto: webcryptoProvider() }, (s) => {
      s.on('error', () => {});
      s.pipe(s);
    });
    server.on('tlsClientError', (e: Error) => errors.push((e as { status?: string }).status ?? 'other'));
    const port = await listen(server as unknown as net.Server);
    const hello = await new Promise<Buffer>((resolve) => {
      const cap = net.createServer((c) => c.once('data', (d: Buffer) => (resolve(d), c.destroy())));
      cap.listen(0, '127.0.0.1', () => {
        const c = connect({ host: '127.0.0.1', port: (cap.address() as AddressInfo).port, servername: 'localhost', ca: pki.caCertPem, crypto: webcryptoProvider() });
        c.on('error', () => {});
        c.on('close', () => cap.close());
      });
    });
    const raw = async (f: (c: net.Socket) => void | Promise<void>): Promise<void> => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.on('data', () => {});
      await new Promise<void>((r) => c.once('connect', () => r()));
      await f(c);
      await new Promise<void>((r) => (c.destroyed ? r() : c.once('close', () => r())));
    };
    await raw((c) => {
      c.write(hello);
      setTimeout(() => c.resetAndDestroy(), 30);
    });
    await raw((c) => void c.end(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
    await raw((c) => void c.end(hello.subarray(0, hello.length - 7)));
    await raw(async (c) => {
      for (const b of hello.subarray(0, 300)) {
        c.write(Uint8Array.of(b));
        await new Promise((r) => setImmediate(r));
      }
      c.resetAndDestroy();
    });
    // Still serving.
    const s = await connected(port, 'webcrypto');
    const echoed = new Promise<Buffer>((resolve) => s.once('data', (d: Buffer) => resolve(d)));
    s.write('ping');
    expect((await echoed).toString()).toBe('ping');
    s.destroy();
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });
});
