#!/usr/bin/env node
// The pure provider's handshake CPU over its primitive floor (bench/lib/floor.mjs), measured
// in many short interleaved rounds (pure, floor, pure, floor ...) and reported per round as
// a paired ratio, so that the drift of a shared machine cancels: median and min..max of
// the paired ratios, plus the median CPU ms of each. A narrower, steadier view of the
// "× floor" column of `npm run bench -- --only handshake` while working on one path.
//
// Usage: node bench/floorcheck.mjs [--handshakes tls13-ecdsa-p256,tls13-ed25519,...] [--rounds 30] [--batch-ms 150]
import { distUrl } from './lib/dist.mjs';
import { HANDSHAKE_CONFIGS, floorOf, pureOptions } from './lib/handshakes.mjs';
import { pureFactories, pureHandshake } from './lib/inmemory.mjs';
import { opt, summary, timeBatch } from './lib/measure.mjs';

const lib = await import(distUrl('index.js'));
const testing = await import(distUrl('testing/index.js'));
const ids = opt('handshakes', 'tls13-ecdsa-p256,tls13-ed25519,tls13-rsa-2048').split(',');
const rounds = Number(opt('rounds', 30));
const batchMs = Number(opt('batch-ms', 150));
const pure = { name: 'pure', option: 'pure' };

for (const id of ids) {
  const cfg = HANDSHAKE_CONFIGS.find((c) => c.id === id);
  if (!cfg) throw new Error(`unknown configuration ${id}`);
  const pki = await testing.generateTestPki({ keyType: cfg.keyType });
  const o = pureOptions(cfg, pki, 'pure');
  const f = pureFactories(lib, o.client, o.server);
  const { floor, note } = await floorOf(lib, cfg, pki, pure);
  const hs = async () => {
    const p = await pureHandshake(f);
    if (p.client.info.resumed || p.server.info.resumed) throw new Error('resumed');
  };
  const pairs = [];
  const cpu = { pure: [], floor: [] };
  for (let r = -3; r < rounds; r++) {
    // Alternate which goes first, so neither always runs right after the other's garbage.
    const order = r & 1 ? [['floor', floor], ['pure', hs]] : [['pure', hs], ['floor', floor]];
    const got = {};
    for (const [name, op] of order) {
      const b = await timeBatch(op, batchMs, 3);
      got[name] = b.cpuMs / b.ops;
    }
    if (r < 0) continue;
    cpu.pure.push(got.pure);
    cpu.floor.push(got.floor);
    pairs.push(got.pure / got.floor);
  }
  const s = summary(pairs);
  const fmt = (v) => v.toFixed(3);
  console.log(`${id}: pure/floor CPU ${fmt(s.median)}× (${fmt(s.min)}..${fmt(s.max)}, ${s.n} paired rounds); pure ${summary(cpu.pure).median.toFixed(2)} ms, floor ${summary(cpu.floor).median.toFixed(2)} ms per handshake (both ends)`);
  console.log(`  floor: ${note}`);
}
