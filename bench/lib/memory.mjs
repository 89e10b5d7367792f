// Retained memory per idle established connection (heap + ArrayBuffers after full GCs),
// each measurement in fresh child processes run with --expose-gc:
//   - in memory: N client+server pairs in one child; puretls per role (servers dropped
//     and collected to separate them), node:tls per pair (its two ends share in-memory
//     streams and cannot be separated) halved;
//   - through the Node adapter: N loopback connections, server in one child and client in
//     another, each reporting its own role.
// RSS per connection is reported beside it: Node tls keeps OpenSSL's state in native
// memory that heap + ArrayBuffers do not see.
import { reasonOf } from './measure.mjs';
import { optionForChild, spawnChild } from './spawn.mjs';

const KiB = 1024;
const one = (v) => ({ median: v, min: v, max: v, n: 1 });
const kib = (m) => m.js / KiB;

async function inMemory(pki, impl, n) {
  const c = spawnChild('memory-inmem', { gc: true });
  try {
    c.send({ type: 'setup', pki: { chainPem: pki.chainPem, keyPem: pki.keyPem, caCertPem: pki.caCertPem }, impl, n });
    return await c.next('result');
  } finally {
    await c.stop();
  }
}

async function loopback(pki, impl, n) {
  const pk = { chainPem: pki.chainPem, keyPem: pki.keyPem, caCertPem: pki.caCertPem };
  const server = spawnChild('memory-server', { gc: true });
  let client = null;
  try {
    server.send({ type: 'setup', pki: pk, impl });
    const { port } = await server.next('ready');
    client = spawnChild('memory-client', { gc: true });
    client.send({ type: 'setup', pki: pk, impl, port, n });
    await client.next('warmed');
    server.send({ type: 'baseline' });
    await server.next('baseline-taken');
    client.send({ type: 'go' });
    const cr = await client.next('result');
    server.send({ type: 'measure', n });
    const sr = await server.next('result');
    return { client: cr.client, server: sr.server };
  } finally {
    await client?.stop();
    await server.stop();
  }
}

/** Runs the memory figures. */
export async function memoryFigures(ctx) {
  const { providers, params, log } = ctx;
  const pki = await ctx.pki('ecdsa-p256');
  const n = params.memConnections;
  const impls = [...providers.map((p) => ({ p, impl: p.available ? optionForChild(p) : null })), { p: null, impl: 'node' }];
  /** Both memory figures' entries for one implementation. */
  const measureOne = async ({ p, impl }) => {
    const inmem = [];
    const adapter = [];
    const label = p ? `puretls (${p.name})` : 'node:tls';
    const kind = p ? 'provider' : 'baseline';
    const alabel = p ? `puretls/node (${p.name})` : 'node:tls';
    if (p && !p.available) {
      for (const role of ['client', 'server']) {
        inmem.push({ name: `${label} ${role}`, kind, unavailable: p.reason });
        adapter.push({ name: `${alabel} ${role}`, kind, unavailable: p.reason });
      }
      return { inmem, adapter };
    }
    log(`memory: ${label}, ${n} connections`);
    try {
      const r = await inMemory(pki, impl, n);
      if (r.client) {
        inmem.push({ name: `${label} client`, kind, value: one(kib(r.client)), rssKiB: r.client.rss / KiB, note: `${n} connections; heap + ArrayBuffers` });
        inmem.push({ name: `${label} server`, kind, value: one(kib(r.server)), rssKiB: Number.isFinite(r.server.rss) ? r.server.rss / KiB : null, note: `${n} connections; heap + ArrayBuffers; RSS of the server role not separable (servers dropped from live pairs)` });
      } else {
        const half = { js: r.pair.js / 2, rss: r.pair.rss / 2 };
        for (const role of ['client', 'server'])
          inmem.push({ name: `${label} ${role}`, kind, value: one(kib(half)), rssKiB: half.rss / KiB, note: `half of a client+server pair (its ends share in-memory streams); ${n} pairs; OpenSSL's native state shows only in RSS` });
      }
    } catch (e) {
      for (const role of ['client', 'server']) inmem.push({ name: `${label} ${role}`, kind, unavailable: `failed: ${reasonOf(e)}` });
    }
    try {
      const r = await loopback(pki, impl, n);
      for (const role of ['client', 'server'])
        adapter.push({ name: `${alabel} ${role}`, kind, value: one(kib(r[role])), rssKiB: r[role].rss / KiB, note: `${n} connections over 127.0.0.1, each role in its own process${p ? '' : "; OpenSSL's native state shows only in RSS"}` });
    } catch (e) {
      for (const role of ['client', 'server']) adapter.push({ name: `${alabel} ${role}`, kind, unavailable: `failed: ${reasonOf(e)}` });
    }
    return { inmem, adapter };
  };
  // One implementation at a time in a full run (clean numbers); all at once in --quick (speed).
  const results = [];
  if (ctx.quick) results.push(...(await Promise.all(impls.map(measureOne))));
  else for (const i of impls) results.push(await measureOne(i));
  const inmem = results.flatMap((x) => x.inmem);
  const adapter = results.flatMap((x) => x.adapter);
  const fig = (id, title, entries) => ({
    id,
    group: 'memory',
    title,
    unit: 'KiB per connection (heap + ArrayBuffers)',
    cpuUnit: null,
    higherIsBetter: false,
    baseline: null,
    entries,
  });
  return [
    fig('memory.idle.in-memory', `Retained memory per idle connection, in memory (${n} connections, --expose-gc)`, inmem),
    fig('memory.idle.node-adapter', `Retained memory per idle connection, through the Node adapter (${n} loopback connections, --expose-gc)`, adapter),
  ];
}
