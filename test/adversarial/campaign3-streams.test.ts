/**
 * Third adversarial campaign, part 1: the Web Streams adapter (`fromStreams`) under a careless
 * caller, over an in-memory ciphertext pipe (two TransformStreams): abort / cancel mid-handshake
 * and mid-transfer, a reader that never reads, releaseLock and re-acquire, a failing transport.
 * Every write promise must settle (with a TlsError when it fails), nothing hangs, nothing is
 * lost or duplicated, and no promise rejection goes unhandled.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromStreams, type ByteStreamPair } from '../../src/transport/web.js';
import { TlsStreamConnection } from '../../src/transport/streams.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
});

interface Wire {
  client: ByteStreamPair;
  server: ByteStreamPair;
  /** Errors the client's ciphertext input (as a reset socket would). */
  breakClientInput(e: unknown): void;
  /** Ciphertext bytes the server sent that the client's transport has read. */
  readonly s2cRead: () => number;
}

/** Two in-memory byte pipes; s2c counts what the client side pulled. */
function wire(): Wire {
  const c2s = new TransformStream<Uint8Array, Uint8Array>();
  let s2cRead = 0;
  let breakIn: (e: unknown) => void = () => undefined;
  const s2c = new TransformStream<Uint8Array, Uint8Array>(
    {
      start(c) {
        breakIn = (e) => c.error(e);
      },
      transform(chunk, c) {
        s2cRead += chunk.byteLength;
        c.enqueue(chunk);
      },
    },
    { highWaterMark: 1 },
    { highWaterMark: 1 },
  );
  return {
    client: { readable: s2c.readable, writable: c2s.writable },
    server: { readable: c2s.readable, writable: s2c.writable },
    breakClientInput: (e) => breakIn(e),
    s2cRead: () => s2cRead,
  };
}

function pairOf(w: Wire, version?: 'TLSv1.2' | 'TLSv1.3'): { c: TlsStreamConnection; s: TlsStreamConnection } {
  const v = version ? { minVersion: version, maxVersion: version } : {};
  const s = fromStreams(w.server, { role: 'server', cert: pki.chainPem, key: pki.keyPem, lingerTimeout: 50, ...v });
  const c = fromStreams(w.client, { servername: 'localhost', ca: pki.caCertPem, lingerTimeout: 50, ...v });
  return { c, s };
}

/** A promise's fate within ms: 'pending', or its value / rejection. */
async function fate<T>(p: Promise<T>, ms = 2000): Promise<{ ok: true; v: T } | { ok: false; e: unknown } | 'pending'> {
  return Promise.race([
    p.then(
      (v) => ({ ok: true as const, v }),
      (e: unknown) => ({ ok: false as const, e }),
    ),
    new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms)),
  ]);
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = r.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return Buffer.concat(parts);
}

function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

const tlsFailed = (f: Awaited<ReturnType<typeof fate>>): TlsError => {
  expect(f).not.toBe('pending');
  if (f === 'pending' || f.ok) throw new Error(`expected a rejection, got ${JSON.stringify(f)}`);
  expect(f.e).toBeInstanceOf(TlsError);
  return f.e as TlsError;
};

describe.each(['TLSv1.2', 'TLSv1.3'] as const)('campaign3 web streams (%s)', (version) => {
  it('writable.abort() mid-handshake: handshake() and pending writes reject with TlsError, closed resolves, the server fails too', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    const writer = c.writable.getWriter();
    const pending = writer.write(pattern(1000));
    const hs = c.handshake();
    await writer.abort(new Error('user gave up'));
    const e = tlsFailed(await fate(hs));
    expect(e.status).toBe('Closed');
    // A write still queued in the stream is rejected by the stream itself, with the abort reason.
    const pf = await fate(pending);
    expect(pf).not.toBe('pending');
    expect(pf).toMatchObject({ ok: false });
    expect(await fate(c.closed)).toMatchObject({ ok: true });
    // The server's handshake cannot complete: it fails (EOF / transport closed), it does not hang.
    const sf = await fate(s.handshake());
    expect(sf).not.toBe('pending');
    if (sf !== 'pending' && !sf.ok) expect(sf.e).toBeInstanceOf(TlsError);
    expect(await fate(s.closed)).not.toBe('pending');
  });

  it('readable.cancel() mid-handshake keeps the connection: writes still arrive whole, once', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    await c.readable.cancel('not interested');
    // The server's data goes into the cancelled readable: discarded, no error, no hang.
    const sw = s.writable.getWriter();
    expect(await fate(sw.write(pattern(100_000)))).toMatchObject({ ok: true });
    const data = pattern(200_000);
    const writer = c.writable.getWriter();
    const got = readAll(s.readable);
    await writer.write(data.subarray(0, 70_000));
    await writer.write(data.subarray(70_000));
    await writer.close();
    const r = await fate(got, 5000);
    expect(r).toMatchObject({ ok: true });
    if (r !== 'pending' && r.ok) expect(Buffer.compare(r.v, data)).toBe(0);
    expect(await fate(c.closed, 3000)).toMatchObject({ ok: true, v: null });
  });

  it('a reader that never reads bounds buffering; reading later gets every byte exactly once', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    await c.handshake();
    const total = 4 * 1024 * 1024;
    const data = pattern(total, 3);
    const sw = s.writable.getWriter();
    const writes: Promise<void>[] = [];
    for (let off = 0; off < total; off += 16_384) writes.push(sw.write(data.subarray(off, off + 16_384)));
    const closeP = sw.close();
    // Nobody reads c.readable: the server's writes must stall well short of the total.
    await new Promise((r) => setTimeout(r, 300));
    const pulled = w.s2cRead();
    expect(pulled).toBeLessThan(1024 * 1024);
    expect(await fate(Promise.all(writes), 50)).toBe('pending');
    const got = await fate(readAll(c.readable), 10_000);
    expect(got).toMatchObject({ ok: true });
    if (got !== 'pending' && got.ok) {
      expect(got.v.length).toBe(total);
      expect(Buffer.compare(got.v, data)).toBe(0);
    }
    expect(await fate(Promise.all(writes))).toMatchObject({ ok: true });
    expect(await fate(closeP)).toMatchObject({ ok: true });
  });

  it('releaseLock and re-acquire the reader (and the writer) mid-transfer: nothing lost or duplicated', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    const data = pattern(300_000, 11);
    const sw = s.writable.getWriter();
    const sending = (async () => {
      for (let off = 0; off < data.length; off += 10_000) {
        await sw.write(data.subarray(off, off + 10_000));
        if (off === 100_000) {
          sw.releaseLock();
          const again = s.writable.getWriter();
          for (let o2 = off + 10_000; o2 < data.length; o2 += 10_000) await again.write(data.subarray(o2, o2 + 10_000));
          await again.close();
          return;
        }
      }
    })();
    const parts: Uint8Array[] = [];
    let n = 0;
    for (;;) {
      const reader = c.readable.getReader();
      const { value, done } = await reader.read();
      reader.releaseLock();
      if (done) break;
      parts.push(value);
      n += value.length;
      if (n > 600_000) break;
    }
    await sending;
    expect(Buffer.compare(Buffer.concat(parts), data)).toBe(0);
  });

  it('a transport error mid-transfer: the readable errors with TlsError after the data before it; pending writes reject; closed resolves', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    await c.handshake();
    const sw = s.writable.getWriter();
    await sw.write(pattern(1000));
    // Let the client pull it, then the socket is reset.
    const reader = c.readable.getReader();
    const first = await reader.read();
    expect(first.value?.length).toBe(1000);
    const cw = c.writable.getWriter();
    // Fill the client's outgoing path: the server does not read, so writes queue up.
    const writes = [cw.write(pattern(100_000)), cw.write(pattern(100_000)), cw.write(pattern(100_000))];
    w.breakClientInput(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    const r = await fate(reader.read());
    const e = tlsFailed(r);
    expect(e.status).toBe('ConnectionReset');
    for (const p of writes) {
      const f = await fate(p);
      expect(f).not.toBe('pending');
      if (f !== 'pending' && !f.ok) expect(f.e).toBeInstanceOf(TlsError);
    }
    // Later writes reject with the same failure, never hang.
    tlsFailed(await fate(cw.write(pattern(10))));
    expect(await fate(c.closed)).toMatchObject({ ok: true });
    const cv = await c.closed;
    expect(cv?.status).toBe('ConnectionReset');
  });

  it('writable.abort() mid-transfer with queued writes: every write settles with TlsError, the peer sees a failure, not a clean end', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    await c.handshake();
    const cw = c.writable.getWriter();
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) writes.push(cw.write(pattern(16_384, i)));
    await new Promise((r) => setTimeout(r, 10));
    const ab = cw.abort(new Error('stop'));
    for (const p of writes) {
      const f = await fate(p);
      expect(f).not.toBe('pending');
      if (f !== 'pending' && !f.ok) expect(f.e instanceof TlsError || f.e instanceof Error).toBe(true);
    }
    expect(await fate(ab)).not.toBe('pending');
    // The server must not see a clean end (no close_notify was sent): its readable errors.
    const got = await fate(readAll(s.readable), 5000);
    expect(got).not.toBe('pending');
    if (got !== 'pending') expect(got.ok).toBe(false);
    expect(await fate(c.closed)).toMatchObject({ ok: true });
  });

  it('a non-bytes write errors writable (ApiMisuse) and drops the chunks queued after it: close() still settles', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    void readAll(s.readable).catch(() => undefined);
    const cw = c.writable.getWriter();
    const bad = cw.write('text' as unknown as Uint8Array);
    const dropped = cw.write(pattern(10));
    const closing = c.close();
    const bf = await fate(bad);
    expect(bf).toMatchObject({ ok: false });
    if (bf !== 'pending' && !bf.ok) expect((bf.e as TlsError).status).toBe('ApiMisuse');
    expect(await fate(dropped)).toMatchObject({ ok: false });
    expect(await fate(closing, 3000)).not.toBe('pending');
  });

  it('the ciphertext writable rejects (a dead socket) mid-handshake: handshake(), queued writes and closed all settle with TlsError', async () => {
    const w = wire();
    let n = 0;
    const dead = new WritableStream<Uint8Array>({
      write: () => {
        n++;
        return Promise.reject(Object.assign(new Error('broken pipe'), { code: 'EPIPE' }));
      },
    });
    const c = fromStreams({ readable: w.client.readable, writable: dead }, { servername: 'localhost', ca: pki.caCertPem, lingerTimeout: 50, minVersion: version, maxVersion: version });
    const cw = c.writable.getWriter();
    const writes = [cw.write(pattern(100)), cw.write(pattern(100)), cw.write(pattern(100))];
    const hs = tlsFailed(await fate(c.handshake()));
    expect(hs.status).toBe('ConnectionReset');
    expect(n).toBeGreaterThan(0);
    for (const p of writes) expect(await fate(p)).toMatchObject({ ok: false });
    const closed = await fate(c.closed);
    expect(closed).toMatchObject({ ok: true });
    if (closed !== 'pending' && closed.ok) expect(closed.v?.status).toBe('ConnectionReset');
    expect(await fate(c.close())).not.toBe('pending');
  });

  it('close() twice, writes after close(), handshake() after close(): all settle', async () => {
    const w = wire();
    const { c, s } = pairOf(w, version);
    const srvRead = readAll(s.readable);
    const cw = c.writable.getWriter();
    const w1 = cw.write(pattern(500));
    const c1 = c.close();
    const c2 = c.close();
    expect(await fate(w1)).toMatchObject({ ok: true });
    const w2 = await fate(cw.write(pattern(10)));
    expect(w2).not.toBe('pending');
    if (w2 !== 'pending' && !w2.ok) expect(w2.e).toBeInstanceOf(Error);
    expect(await fate(c1, 3000)).not.toBe('pending');
    expect(await fate(c2, 3000)).not.toBe('pending');
    expect(await fate(c.handshake())).not.toBe('pending');
    const got = await fate(srvRead, 3000);
    expect(got).toMatchObject({ ok: true });
    if (got !== 'pending' && got.ok) expect(Buffer.compare(got.v, pattern(500))).toBe(0);
  });
});
