// @ts-nocheck -- run by Deno and Bun directly (they import .ts sources); not part of the Node typecheck.
/**
 * The sixth campaign's agent, run under Deno or Bun (never under vitest): one puretls client
 * (`puretls/deno` or `puretls/bun`) that dials as told, optionally misbehaves as a careless
 * caller (`action`), and reports on stdout one JSON object per line:
 * `{"info":...}` after the handshake, `{"error":{status,name,message,detail,statusLine,statusCode,stack}}`
 * for a failure, `{"step":{...}}` for the outcome of each careless step, and finally
 * `{"end":{unhandled:[...]}}` with every unhandled promise rejection seen (there must be none).
 *
 * Configuration: one JSON argument (see `Campaign6Config` in campaign6-runtimes.test.ts).
 */
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const G = globalThis as Any;
const runtime: 'deno' | 'bun' = G.Deno ? 'deno' : 'bun';
const args: string[] = runtime === 'deno' ? G.Deno.args : G.Bun.argv.slice(2);
const cfg = JSON.parse(args[0]!) as Any;

const unhandled: string[] = [];
if (runtime === 'deno') {
  G.addEventListener('unhandledrejection', (e: Any) => {
    e.preventDefault();
    unhandled.push(String(e.reason?.stack ?? e.reason));
  });
  G.addEventListener('error', (e: Any) => {
    e.preventDefault();
    unhandled.push('uncaught: ' + String(e.error?.stack ?? e.message));
  });
} else {
  G.process.on('unhandledRejection', (r: Any) => unhandled.push(String(r?.stack ?? r)));
  G.process.on('uncaughtException', (r: Any) => unhandled.push('uncaught: ' + String(r?.stack ?? r)));
}

function out(o: unknown): void {
  console.log(JSON.stringify(o));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describe(e: Any): Any {
  return {
    status: e?.status ?? null,
    name: e?.name ?? null,
    message: String(e?.message ?? e),
    detail: e?.detail ?? null,
    statusLine: e?.statusLine ?? null,
    statusCode: e?.statusCode ?? null,
    alert: e?.alert ?? null,
    stack: String(e?.stack ?? ''),
    cause: e?.cause ? String(e.cause?.message ?? e.cause) : null,
  };
}

/** Settles `p` within `ms`: {ok: value} | {err: describe(e)} | {hang: true}. */
async function settle(p: Promise<unknown>, ms = 10_000): Promise<Any> {
  let t: Any;
  const timeout = new Promise((r) => (t = setTimeout(() => r({ hang: true }), ms)));
  const r = await Promise.race([p.then((v) => ({ ok: v === undefined ? null : typeof v === 'object' ? (v === null ? null : 'object') : v }), (e) => ({ err: describe(e) })), timeout]);
  clearTimeout(t);
  return r;
}

/**
 * Server role: listen on 127.0.0.1, report each handshake failure (`{"hsError":...}`) and
 * answer each good connection's first message with 'echo:' + it, until `cfg.serve` events.
 */
async function serve(m: Any): Promise<void> {
  let events = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const count = () => {
    if (++events >= cfg.serve) done();
  };
  const server = m.listen(
    {
      host: '127.0.0.1',
      port: 0,
      cert: cfg.cert,
      key: cfg.key,
      handshakeTimeout: cfg.handshakeTimeout,
      lingerTimeout: 100,
      onHandshakeError: (e: Any) => {
        out({ hsError: describe(e) });
        count();
      },
    },
    async (conn: Any) => {
      const r = conn.readable.getReader();
      const x = await r.read();
      const w = conn.writable.getWriter();
      await w.write(new TextEncoder().encode('echo:' + new TextDecoder().decode(x.value ?? new Uint8Array(0))));
      await w.close();
      out({ served: true });
      count();
    },
  );
  out({ listening: server.port });
  await finished;
  await server.close();
}

async function main(): Promise<void> {
  const m = runtime === 'deno' ? await import('../../src/transport/deno.ts') : await import('../../src/transport/bun.ts');
  if (cfg.listenBad) {
    // Careless listen() options: each must throw a TlsError with a stable status, or listen.
    for (const o of cfg.listenBad) {
      try {
        const l = m.listen({ ...o, cert: cfg.cert, key: cfg.key }, () => undefined);
        out({ listenResult: { options: o, listening: l.port, host: l.host } });
        await l.close();
      } catch (e) {
        out({ listenResult: { options: o, error: describe(e) } });
      }
    }
    return;
  }
  if (cfg.serve) return serve(m);
  const opts: Any = { host: cfg.host, port: cfg.port, ca: cfg.ca, proxy: cfg.proxy, lingerTimeout: 100 };
  if (cfg.servername !== undefined) opts.servername = cfg.servername;
  if (cfg.refusePrivateAddresses !== undefined) opts.refusePrivateAddresses = cfg.refusePrivateAddresses;
  if (cfg.handshakeTimeout !== undefined) opts.handshakeTimeout = cfg.handshakeTimeout;
  if (cfg.ignore) opts.ignorableCertificateErrors = cfg.ignore;
  const t0 = Date.now();
  let conn: Any;
  try {
    conn = await m.connect(opts);
  } catch (e) {
    out({ error: { ...describe(e), ms: Date.now() - t0, phase: 'connect' } });
    return;
  }
  const action: string = cfg.action ?? 'handshake';
  if (action === 'cancelReadableMidHandshake') {
    out({ step: { cancel: await settle(conn.readable.cancel(new Error('caller cancels'))) } });
  } else if (action === 'abortWritableMidHandshake') {
    out({ step: { abort: await settle(conn.writable.abort(new Error('caller aborts'))) } });
  } else if (action === 'closeMidHandshake') {
    out({ step: { close: await settle(conn.close()) } });
  }
  const hs = await settle(conn.handshake(), cfg.waitMs ?? 10_000);
  if (hs.err) out({ error: { ...hs.err, ms: Date.now() - t0, phase: 'handshake' } });
  else if (hs.hang) out({ error: { status: 'HANG', phase: 'handshake' } });
  else out({ info: { version: conn.info.version, serverName: conn.info.serverName, certificateErrors: conn.info.certificateErrors } });

  if (action === 'echo' && !hs.err && !hs.hang) {
    const w = conn.writable.getWriter();
    await w.write(new TextEncoder().encode(cfg.text ?? 'ping'));
    const r = conn.readable.getReader();
    const got = await settle(r.read().then((x: Any) => (x.done ? '<eof>' : new TextDecoder().decode(x.value))));
    out({ step: { echo: got } });
    out({ step: { close: await settle(w.close()) } });
    r.releaseLock();
  } else if (action === 'closeTwice') {
    out({ step: { close1: await settle(conn.close()), close2: await settle(conn.close()) } });
    out({ step: { writeAfterClose: await settle(conn.writable.getWriter().write(new Uint8Array([1, 2, 3]))) } });
    out({ step: { readAfterClose: await settle(conn.readable.getReader().read().then((x: Any) => (x.done ? 'done' : 'data'))) } });
  } else if (action === 'writeAfterWritableClose') {
    const w = conn.writable.getWriter();
    out({ step: { closeWritable: await settle(w.close()) } });
    out({ step: { writeAfterClose: await settle(w.write(new Uint8Array([1]))) } });
    out({ step: { closeAgain: await settle(w.close()) } });
  } else if (action === 'readAll') {
    // Read until the end: a hostile peer's data after close_notify, a truncation, ...
    const r = conn.readable.getReader();
    let n = 0;
    const res = await settle(
      (async () => {
        for (;;) {
          const x = await r.read();
          if (x.done) return `done after ${n} bytes`;
          n += x.value.length;
        }
      })(),
    );
    out({ step: { readAll: res } });
  } else if (action === 'noRead') {
    // Read nothing while the peer floods; then close() with the flood still coming.
    await sleep(cfg.stallMs ?? 1500);
    out({ step: { stallEnd: true, memory: runtime === 'deno' ? G.Deno.memoryUsage().rss : G.process.memoryUsage().rss } });
    const t1 = Date.now();
    out({ step: { closeWhileFlooded: await settle(conn.close()), closeMs: Date.now() - t1 } });
  }
  if (action.endsWith('MidHandshake')) {
    // The caller is done: close what it still holds (the writable, unless it aborted it).
    out({ step: { closeWritable: await settle(Promise.resolve().then(() => conn.writable.close())) } });
  }
  out({ step: { closed: await settle(conn.closed) } });
  // A final close on whatever state is left must not throw either.
  out({ step: { finalClose: await settle(Promise.resolve().then(() => conn.close())) } });
}

main()
  .catch((e) => out({ error: { ...describe(e), phase: 'main' } }))
  .then(async () => {
    await sleep(cfg.settleMs ?? 200);
    out({ end: { unhandled } });
    // noExit: let the process end by itself (nothing left pending must hold it).
    if (cfg.noExit) return;
    if (runtime === 'deno') G.Deno.exit(0);
    else G.process.exit(0);
  });
