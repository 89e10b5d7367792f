// Loopback handshake latency: real TCP on 127.0.0.1, client and server in this process,
// through the Node adapter (puretls/node `connect` + `createServer`, per provider) and
// through node:tls (`tls.connect` + `tls.createServer`). One handshake of each in turn
// (A, B, A, B ...); the latency is connect() to the client's 'secureConnect'. TLS 1.3,
// ECDSA P-256, x25519, AES-128-GCM.
import tls from 'node:tls';
import { once } from 'node:events';
import { HANDSHAKE_CONFIGS, NODE_CURVES, pureOptions } from './handshakes.mjs';
import { cpuMicros, quantile, reasonOf, summary } from './measure.mjs';
import { distUrl } from './dist.mjs';

/** A listening server that reports each secured connection and can be closed. */
async function listen(server, secureEvent) {
  const accepted = [];
  let waiter = null;
  server.on(secureEvent, (s) => {
    s.on('error', () => {});
    accepted.push(s);
    if (waiter) waiter();
  });
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    /** Resolves with the next secured server-side socket. */
    next: async () => {
      while (accepted.length === 0) await new Promise((r) => (waiter = r));
      waiter = null;
      return accepted.shift();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** One handshake: `{ ms, cpuMs }`, both sockets destroyed afterwards. */
async function oneHandshake(dial, srv) {
  const c0 = cpuMicros();
  const t0 = performance.now();
  const sock = dial();
  const failed = new Promise((_r, reject) => sock.once('error', reject));
  await Promise.race([once(sock, 'secureConnect'), failed]);
  const ms = performance.now() - t0;
  const s = await Promise.race([srv.next(), failed]);
  const cpuMs = (cpuMicros() - c0) / 1000;
  sock.on('error', () => {});
  sock.destroy();
  s.destroy();
  return { ms, cpuMs };
}

/** Runs the latency figure. */
export async function latencyFigure(ctx) {
  const { providers, params, log } = ctx;
  log('loopback handshake latency');
  const cfg = HANDSHAKE_CONFIGS[0];
  const pki = await ctx.pki(cfg.keyType);
  const adapter = await import(distUrl('transport/node.js'));
  const contenders = [];
  const entries = [];
  for (const p of providers) {
    const name = `puretls/node (${p.name})`;
    if (!p.available) {
      entries.push({ name, kind: 'provider', unavailable: p.reason });
      continue;
    }
    const o = pureOptions(cfg, pki, p.option);
    const srv = await listen(adapter.createServer(o.server), 'secureConnection');
    contenders.push({ name, kind: 'provider', srv, dial: () => adapter.connect({ ...o.client, host: '127.0.0.1', port: srv.port }) });
  }
  {
    const version = 'TLSv1.3';
    const common = { minVersion: version, maxVersion: version, ecdhCurve: NODE_CURVES, ...cfg.node };
    const server = tls.createServer({ ...common, cert: pki.chainPem, key: pki.keyPem });
    const srv = await listen(server, 'secureConnection');
    const clientCtx = tls.createSecureContext({ ...common, ca: pki.caCertPem });
    contenders.push({ name: 'node:tls', kind: 'baseline', srv, dial: () => tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', secureContext: clientCtx }) });
  }
  const samples = new Map(contenders.map((c) => [c.name, { ms: [], cpuMs: [], error: null }]));
  const warmup = Math.max(3, Math.round(params.latencySamples / 20));
  for (let i = -warmup; i < params.latencySamples; i++) {
    for (const c of contenders) {
      const s = samples.get(c.name);
      if (s.error) continue;
      try {
        const r = await oneHandshake(c.dial, c.srv);
        if (i >= 0) {
          s.ms.push(r.ms);
          s.cpuMs.push(r.cpuMs);
        }
      } catch (e) {
        s.error = e;
        log(`  ${c.name}: ${reasonOf(e)}`);
      }
    }
  }
  for (const c of contenders) {
    await c.srv.close();
    const s = samples.get(c.name);
    if (s.error) {
      entries.push({ name: c.name, kind: c.kind, unavailable: `failed: ${reasonOf(s.error)}` });
      continue;
    }
    const all = summary(s.ms);
    entries.push({
      name: c.name,
      kind: c.kind,
      value: { median: quantile(s.ms, 0.5), min: all.min, max: all.max, n: all.n },
      p99: quantile(s.ms, 0.99),
      cpu: summary(s.cpuMs),
      note: c.kind === 'provider' ? 'connect()/createServer() of puretls/node' : 'tls.connect()/tls.createServer(), client SecureContext reused',
    });
  }
  // Baseline first among the measured entries keeps the table in the same order as others.
  return {
    id: 'latency.loopback-tls13-ecdsa-p256',
    group: 'latency',
    title: 'Loopback handshake latency, TLS 1.3 ECDSA P-256 over TCP on 127.0.0.1 (client + server in one process)',
    unit: 'ms (p50)',
    cpuUnit: 'CPU ms per handshake (both ends)',
    higherIsBetter: false,
    cpuLowerIsBetter: true,
    baseline: 'node:tls',
    entries,
  };
}
