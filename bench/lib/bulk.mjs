// Bulk throughput, one process, in memory: 16 KiB writes from client to server over one
// established connection per contender, interleaved in rounds. Contenders per AEAD:
// puretls per provider, Node `tls`, the pure provider's keyed AEAD alone (seal + open of
// each 16 KiB record: the floor for the pure provider), node:crypto's AEAD alone, and for
// AES-128 the peers (subtls client -> Node server; node-forge with AES-128-CBC, TLS 1.1).
import tls from 'node:tls';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import {
  forgeContext,
  forgeHandshake,
  forgeVersionName,
  forgeTransfer,
  nodeHandshake,
  nodeTransfer,
  pureFactories,
  pureHandshake,
  pureTransfer,
  BULK_WINDOW,
  subtlsHandshake,
  subtlsTransfer,
} from './inmemory.mjs';
import { pureOptions } from './handshakes.mjs';
import { interleave, opt, reasonOf, summary } from './measure.mjs';

/** The three AEADs, with the TLS 1.3 suite that carries each. */
export const AEADS = [
  { id: 'aes-128-gcm', alg: 'AES-128-GCM', suite: 'TLS_AES_128_GCM_SHA256', node: 'aes-128-gcm', keyLen: 16 },
  { id: 'aes-256-gcm', alg: 'AES-256-GCM', suite: 'TLS_AES_256_GCM_SHA384', node: 'aes-256-gcm', keyLen: 32 },
  { id: 'chacha20-poly1305', alg: 'CHACHA20-POLY1305', suite: 'TLS_CHACHA20_POLY1305_SHA256', node: 'chacha20-poly1305', keyLen: 32 },
];

/** Size of each application write. */
export const CHUNK = 16 * 1024;

/** A contender measured per round as MB/s (wall) and MB per CPU-second over `bytes`. */
export function throughput(name, kind, run, bytes, note) {
  return {
    name,
    kind,
    note,
    batch: async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const extraCpuMs = (await run(bytes)) ?? 0;
      const wall = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const cpu = (c.user + c.system) / 1e6 + extraCpuMs / 1000;
      return { mbps: bytes / 1e6 / wall, mbPerCpuS: bytes / 1e6 / cpu };
    },
  };
}

/** Entries of a figure from interleaved results. */
export function throughputEntries(contenders, res) {
  return contenders.map((c) => {
    const r = res.get(c.name);
    if (r.error) return { name: c.name, kind: c.kind, unavailable: `failed: ${reasonOf(r.error)}` };
    return { name: c.name, kind: c.kind, value: summary(r.samples.map((s) => s.mbps)), cpu: summary(r.samples.map((s) => s.mbPerCpuS)), note: c.note };
  });
}

/** Seal + open of every record with a keyed AEAD built once (TLS 1.3 record: payload + type byte). */
function aeadFloor(aead, nonce) {
  const aad = new Uint8Array([23, 3, 3, (CHUNK + 17) >> 8, (CHUNK + 17) & 0xff]);
  const record = new Uint8Array(CHUNK + 1).fill(0x61);
  return async (bytes) => {
    for (let n = 0; n < bytes; n += CHUNK) {
      const ct = await aead.seal(nonce, aad, record);
      if (!(await aead.open(nonce, aad, ct))) throw new Error('AEAD open failed');
    }
  };
}

/** node:crypto seal + open per record, a cipher object per record as a TLS stack on it would. */
function nodeAeadFloor(algo, key, nonce) {
  const aad = Buffer.from([23, 3, 3, (CHUNK + 17) >> 8, (CHUNK + 17) & 0xff]);
  const record = Buffer.alloc(CHUNK + 1, 0x61);
  const o = { authTagLength: 16 };
  return async (bytes) => {
    for (let n = 0; n < bytes; n += CHUNK) {
      const c = createCipheriv(algo, key, nonce, o);
      c.setAAD(aad);
      const ct = Buffer.concat([c.update(record), c.final()]);
      const tag = c.getAuthTag();
      const d = createDecipheriv(algo, key, nonce, o);
      d.setAAD(aad);
      d.setAuthTag(tag);
      d.update(ct);
      d.final();
    }
  };
}

/** Runs the one-process bulk figures. */
export async function bulkFigures(ctx) {
  const { params, log } = ctx;
  const pki = await ctx.pki('ecdsa-p256');
  const data = new Uint8Array(CHUNK).fill(0x61);
  const figures = [];
  // `--aead id,...` narrows the figure while working on one path (as for bulk2).
  const onlyAeads = opt('aead', null)?.split(',');
  for (const a of AEADS) {
    if (onlyAeads && !onlyAeads.includes(a.id)) continue;
    log(`bulk (one process): ${a.alg}`);
    const cfg = { tls13: true, suite: a.suite };
    const { contenders, entries, pureCrypto } = await providerContenders(ctx, cfg, pki, data, 1, 'client -> server, one established pair, each record written, moved and read before the next');
    const version = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphersuites: a.suite };
    const nctx = {
      server: tls.createSecureContext({ ...version, cert: pki.chainPem, key: pki.keyPem }),
      client: tls.createSecureContext({ ...version, ca: pki.caCertPem }),
    };
    const npair = await nodeHandshake(nctx);
    contenders.push(throughput('node:tls', 'baseline', (bytes) => nodeTransfer(npair, data, bytes), params.bulkBytes, 'client -> server, TLSSocket over in-memory streams'));
    const key = new Uint8Array(a.keyLen).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    if (pureCrypto) {
      contenders.push(throughput('pure AEAD floor (keyed, seal + open)', 'floor', aeadFloor(pureCrypto.aead(a.alg, key), nonce), params.bulkBytes, "the pure provider's AEAD keyed once, seal + open of each 16 KiB record"));
    } else entries.push({ name: 'pure AEAD floor (keyed, seal + open)', kind: 'floor', unavailable: 'the pure provider is unavailable' });
    contenders.push(throughput('node:crypto AEAD (seal + open)', 'reference', nodeAeadFloor(a.node, key, nonce), params.bulkBytes, 'createCipheriv/createDecipheriv per record'));
    if (a.id === 'aes-128-gcm') {
      if (ctx.subtls.module) {
        try {
          const roots = await ctx.subtls.module.TrustedCert.databaseFromPEM(pki.caCertPem);
          const sp = await subtlsHandshake(ctx.subtls.module, roots, nctx.server);
          contenders.push(throughput('subtls client + node:tls server', 'peer', (bytes) => subtlsTransfer(sp, data, bytes), params.bulkBytes, 'subtls (WebCrypto AES-128-GCM, a promise per record) -> Node tls'));
        } catch (e) {
          entries.push({ name: 'subtls client + node:tls server', kind: 'peer', unavailable: `failed: ${reasonOf(e)}` });
        }
      } else entries.push({ name: 'subtls client + node:tls server', kind: 'peer', unavailable: ctx.subtls.reason });
      if (ctx.forge.module) {
        const rsa = await ctx.pki('rsa-2048');
        const fp = await forgeHandshake(forgeContext(ctx.forge.module, rsa));
        const chunkString = String.fromCharCode(...new Uint8Array(1024).fill(0x61)).repeat(CHUNK / 1024);
        contenders.push(throughput('node-forge (AES-128-CBC-SHA)', 'peer', (bytes) => forgeTransfer(fp, chunkString, bytes), Math.min(params.bulkBytes, 2 * 1024 * 1024), `its best: AES-128-CBC + HMAC-SHA1 (forge has no GCM suite), ${forgeVersionName(fp.version)} as forge agrees with itself; data as forge's binary strings`));
      } else entries.push({ name: 'node-forge (AES-128-CBC-SHA)', kind: 'peer', unavailable: ctx.forge.reason });
    }
    const res = await interleave(contenders, { rounds: params.rounds, warmup: params.warmup, log });
    figures.push(oneProcessFigure(`bulk.one-process.${a.id}`, `Bulk ${a.alg}, 16 KiB writes, one process (in-memory pair, ${a.suite})`, [...throughputEntries(contenders, res), ...entries]));
    if (a.id === 'aes-128-gcm') figures.push(await windowFigure(ctx, a, cfg, pki, data, npair));
  }
  return figures;
}

/**
 * One contender per provider (an established pair each, `window` records in flight), and
 * entries for the unavailable ones; the pure provider's crypto for the AEAD floor.
 */
async function providerContenders(ctx, cfg, pki, data, window, note) {
  const { lib, providers, params } = ctx;
  const contenders = [];
  const entries = [];
  let pureCrypto = null;
  for (const p of providers) {
    const name = `puretls (${p.name})`;
    if (!p.available) {
      entries.push({ name, kind: 'provider', unavailable: p.reason });
      continue;
    }
    const o = pureOptions(cfg, pki, p.option);
    const pair = await pureHandshake(pureFactories(lib, o.client, o.server));
    if (p.name === 'pure') pureCrypto = pair.client.crypto;
    contenders.push(throughput(name, 'provider', (bytes) => pureTransfer(pair, data, bytes, window), params.bulkBytes, note));
  }
  return { contenders, entries, pureCrypto };
}

/**
 * The same transfer with {@link BULK_WINDOW} records in flight (a socket's window, as the
 * adapters have it), every provider and Node `tls` (which streams as it always does): what
 * an async AEAD gains from sealing and opening records concurrently (the `webcrypto` target
 * of issue 9), next to what the window costs a synchronous one.
 */
async function windowFigure(ctx, a, cfg, pki, data, npair) {
  const { params, log } = ctx;
  log(`bulk (one process, ${BULK_WINDOW} records in flight): ${a.alg}`);
  const { contenders, entries } = await providerContenders(ctx, cfg, pki, data, BULK_WINDOW, `client -> server, one established pair, ${BULK_WINDOW} records written before they are moved and read`);
  contenders.push(throughput('node:tls', 'baseline', (bytes) => nodeTransfer(npair, data, bytes), params.bulkBytes, 'client -> server, TLSSocket over in-memory streams'));
  const res = await interleave(contenders, { rounds: params.rounds, warmup: params.warmup, log });
  return oneProcessFigure(
    `bulk.one-process-window.${a.id}`,
    `Bulk ${a.alg}, 16 KiB writes, ${BULK_WINDOW} records in flight, one process (in-memory pair, ${(BULK_WINDOW * CHUNK) / 1024} KiB written before it is moved, ${a.suite})`,
    [...throughputEntries(contenders, res), ...entries],
  );
}

/** A one-process bulk figure: MB/s, relative to Node `tls`. */
function oneProcessFigure(id, title, entries) {
  return { id, group: 'bulk', title, unit: 'MB/s', cpuUnit: 'MB per CPU-second (both ends)', higherIsBetter: true, cpuLowerIsBetter: false, baseline: 'node:tls', entries };
}
