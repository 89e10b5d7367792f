// Bulk throughput, two processes: this process is the client, a child process
// (bench/child.mjs --role bulk-server) the server, over TCP on 127.0.0.1; 16 KiB writes,
// one connection per contender kept for all rounds, interleaved. CPU is both processes'.
import tls from 'node:tls';
import { once } from 'node:events';
import { AEADS, CHUNK, throughput, throughputEntries } from './bulk.mjs';
import { interleave, opt, reasonOf, summary } from './measure.mjs';
import { optionForChild, spawnChild } from './spawn.mjs';
import { distUrl } from './dist.mjs';

/** Name of the Node `tls` reference row whose client has a 64 KiB write high-water mark. */
const NODE_HWM = 'node:tls, 64 KiB highWaterMark';

/** Writes `bytes` in CHUNK-sized writes honouring back-pressure, then waits for the one-byte ack. */
async function send(sock, data, bytes) {
  let onError = null;
  const acked = new Promise((resolve, reject) => {
    onError = reject;
    sock.once('data', resolve);
    sock.once('error', reject);
  });
  try {
    for (let sent = 0; sent < bytes; sent += data.length) {
      if (!sock.write(data)) await once(sock, 'drain');
    }
    await acked;
  } finally {
    sock.off('error', onError);
  }
}

/** Runs the two-process bulk figures. */
export async function bulk2Figures(ctx) {
  const { providers, params, log } = ctx;
  const pki = await ctx.pki('ecdsa-p256');
  const adapter = await import(distUrl('transport/node.js'));
  const data = Buffer.alloc(CHUNK, 0x61);
  const figures = [];
  // `--aead id,...` and `--providers name,...` narrow the figure while working on one path.
  const onlyAeads = opt('aead', null)?.split(',');
  const onlyProviders = opt('providers', null)?.split(',');
  for (const a of AEADS) {
    if (onlyAeads && !onlyAeads.includes(a.id)) continue;
    log(`bulk (two processes): ${a.alg}`);
    const entries = [];
    const servers = [];
    for (const p of providers) {
      if (onlyProviders && !onlyProviders.includes(p.name)) continue;
      const name = `puretls/node (${p.name})`;
      if (p.available) servers.push({ name, kind: 'provider', option: optionForChild(p), suite: a.suite, provider: p });
      else entries.push({ name, kind: 'provider', unavailable: p.reason });
    }
    servers.push({ name: 'node:tls', kind: 'node', suite: a.suite });
    // Node's write callback comes after its socket write completes, so with the default 16 KiB
    // high-water mark every 16 KiB write() returns false and the loop waits for 'drain' once
    // per record (puretls takes a write synchronously and never asks to wait): that costs Node's
    // sender ~5 µs per record. The same Node client with room for four writes shows what it
    // costs when it need not wait (a reference row; the headline ratio stays the default one).
    servers.push({ name: NODE_HWM, kind: 'node', suite: a.suite, highWaterMark: 64 * 1024 });
    const child = spawnChild('bulk-server');
    const contenders = [];
    const sideStats = [];
    try {
      child.send({ type: 'setup', pki: { chainPem: pki.chainPem, keyPem: pki.keyPem }, servers: servers.map(({ provider, ...s }) => s) });
      const { ports } = await child.next('ready');
      for (const s of servers) {
        const port = ports[s.name];
        const sock =
          s.kind === 'node'
            ? tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', ciphersuites: a.suite, ...(s.highWaterMark ? { highWaterMark: s.highWaterMark } : {}) })
            : adapter.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, crypto: s.provider.option, cipherSuites: [a.suite], minVersion: 'TLSv1.3' });
        sock.on('error', () => {});
        await once(sock, 'secureConnect');
        // The server registers the socket on its own 'secureConnection'; give it a moment.
        await new Promise((r) => setTimeout(r, 50));
        // Per side: CPU µs per 16 KiB record of this process (the client) and of the child (the server).
        const sides = { client: [], server: [] };
        const run = async (bytes) => {
          child.send({ type: 'expect', name: s.name, bytes });
          await child.next('armed');
          const done = child.next('done');
          const c0 = process.cpuUsage();
          await send(sock, data, bytes);
          const c = process.cpuUsage(c0);
          const d = await done;
          sides.client.push(((c.user + c.system) * CHUNK) / bytes);
          sides.server.push((d.cpuMs * 1000 * CHUNK) / bytes);
          return d.cpuMs;
        };
        sideStats.push({ name: s.name, sides });
        const kind = s.kind !== 'node' ? 'provider' : s.highWaterMark ? 'reference' : 'baseline';
        const note = s.kind !== 'node' ? 'puretls/node connect -> createServer in a child process' : `tls.connect${s.highWaterMark ? ` (highWaterMark ${s.highWaterMark})` : ''} -> tls.createServer in a child process`;
        contenders.push({ ...throughput(s.name, kind, run, params.bulk2Bytes, note), sock });
      }
      const res = await interleave(contenders, { rounds: params.rounds, warmup: params.warmup, log });
      entries.unshift(...throughputEntries(contenders, res));
      // Where the CPU went, per side (warm-up rounds included): printed, and kept in the JSON.
      for (const { name, sides } of sideStats) {
        const e = entries.find((x) => x.name === name);
        const client = summary(sides.client);
        const server = summary(sides.server);
        if (e) e.sides = { unit: 'CPU µs per 16 KiB record', client, server };
        log(`  ${name}: client ${client.median.toFixed(1)} (${client.min.toFixed(1)}..${client.max.toFixed(1)}), server ${server.median.toFixed(1)} (${server.min.toFixed(1)}..${server.max.toFixed(1)}) CPU µs per record`);
      }
    } catch (e) {
      for (const s of servers) if (!entries.some((x) => x.name === s.name)) entries.push({ name: s.name, kind: s.kind !== 'node' ? 'provider' : s.highWaterMark ? 'reference' : 'baseline', unavailable: `failed: ${reasonOf(e)}` });
    } finally {
      for (const c of contenders) c.sock.destroy();
      await child.stop();
    }
    figures.push({
      id: `bulk.two-process.${a.id}`,
      group: 'bulk2',
      title: `Bulk ${a.alg}, 16 KiB writes, two processes (client here, server in a child, TCP on 127.0.0.1)`,
      unit: 'MB/s',
      cpuUnit: 'MB per CPU-second (both processes)',
      higherIsBetter: true,
      cpuLowerIsBetter: false,
      baseline: 'node:tls',
      entries,
    });
  }
  return figures;
}
