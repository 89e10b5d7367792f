#!/usr/bin/env node
// The pure provider's handshake CPU over its primitive floor (bench/lib/floor.mjs), measured
// in many short interleaved rounds (pure, floor, pure, floor ...) and reported per round as
// a paired ratio, so that the drift of a shared machine cancels: median and min..max of
// the paired ratios, plus the median CPU ms of each. A narrower, steadier view of the
// "× floor" column of `npm run bench -- --only handshake` while working on one path.
// A third contender in the same rounds, "protocol only", is the same handshake on a provider
// whose crypto costs nothing (floor.mjs nullCrypto): pure ≈ floor + protocol only when the
// two simply add up; what is left beyond that is their interaction (caches, GC, contention).
// A fourth, "interleaved", runs the floor's crypto and the protocol-only handshake one after
// the other, one of each per operation: the same work as a real handshake, cut in two
// halves that share nothing. When it costs about what the real handshake does, the gap
// between pure and floor + protocol only is the cost of running the two kinds of code
// together (each evicting the other's code and data from the caches, scavenges finding
// the other's live objects), not work the engine could leave out.
//
// Usage: node bench/floorcheck.mjs [--handshakes tls13-ecdsa-p256,tls13-ed25519,...] [--rounds 30] [--batch-ms 150]
import { distUrl } from './lib/dist.mjs';
import { HANDSHAKE_CONFIGS, floorOf, pureOptions } from './lib/handshakes.mjs';
import { nullCrypto } from './lib/floor.mjs';
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
  const on = pureOptions(cfg, pki, nullCrypto(lib.nobleProvider));
  const fn = pureFactories(lib, on.client, on.server);
  const protocol = () => pureHandshake(fn);
  const interleaved = async () => {
    await floor();
    await protocol();
  };
  const pairs = [];
  const added = [];
  const mixed = [];
  const cpu = { pure: [], floor: [], protocol: [], interleaved: [] };
  for (let r = -3; r < rounds; r++) {
    // Alternate the order, so none always runs right after another's garbage.
    const order = r & 1 ? [['floor', floor], ['interleaved', interleaved], ['protocol', protocol], ['pure', hs]] : [['pure', hs], ['protocol', protocol], ['interleaved', interleaved], ['floor', floor]];
    const got = {};
    for (const [name, op] of order) {
      const b = await timeBatch(op, name === 'protocol' ? batchMs / 3 : batchMs, 3);
      got[name] = b.cpuMs / b.ops;
    }
    if (r < 0) continue;
    for (const k of Object.keys(cpu)) cpu[k].push(got[k]);
    pairs.push(got.pure / got.floor);
    added.push((got.floor + got.protocol) / got.floor);
    mixed.push(got.interleaved / got.floor);
  }
  const s = summary(pairs);
  const a = summary(added);
  const m = summary(mixed);
  const fmt = (v) => v.toFixed(3);
  const ms = (k) => summary(cpu[k]).median.toFixed(2);
  console.log(`${id}: pure/floor CPU ${fmt(s.median)}× (${fmt(s.min)}..${fmt(s.max)}, ${s.n} paired rounds); (floor + protocol only)/floor ${fmt(a.median)}× (${fmt(a.min)}..${fmt(a.max)}); interleaved/floor ${fmt(m.median)}× (${fmt(m.min)}..${fmt(m.max)}); pure ${ms('pure')} ms, floor ${ms('floor')} ms, protocol only ${ms('protocol')} ms, interleaved ${ms('interleaved')} ms per handshake (both ends)`);
  console.log(`  floor: ${note}`);
}
