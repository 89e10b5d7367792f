// Resumed handshakes per second. puretls has no resumption yet (its server sends tickets
// only when asked and accepts none; its client keeps them unused): every provider is
// reported "n/a — not implemented" instead of a number. Node `tls` is measured (TLS 1.3
// PSK with (EC)DHE, ECDSA P-256, in memory) so the figure to reach is on record.
import { nodeClose, nodeHandshake } from './inmemory.mjs';
import { HANDSHAKE_CONFIGS, nodeContexts } from './handshakes.mjs';
import { interleave, reasonOf, summary, timeBatch } from './measure.mjs';

/** Runs the resumed-handshake figure. */
export async function resumedFigure(ctx) {
  const { providers, params, log } = ctx;
  log('resumed handshakes');
  const cfg = HANDSHAKE_CONFIGS[0];
  const pki = await ctx.pki(cfg.keyType);
  const nctx = nodeContexts(cfg, pki);
  // A ticket from a first full handshake, reused for every resumed one.
  const first = await nodeHandshake(nctx);
  const session = await new Promise((resolve, reject) => {
    first.client.once('session', resolve);
    setTimeout(() => {
      const s = first.client.getSession();
      if (s) resolve(s);
      else reject(new Error('node:tls sent no session ticket'));
    }, 200);
  });
  nodeClose(first);
  const rctx = { ...nctx, session };
  const res = await interleave(
    [
      {
        name: 'node:tls',
        batch: async () => {
          const b = await timeBatch(async () => {
            const p = await nodeHandshake(rctx);
            if (!p.client.isSessionReused()) throw new Error('node:tls did not resume');
            nodeClose(p);
          }, params.batchMs);
          return { rate: (b.ops * 1000) / b.wallMs, cpuMs: b.cpuMs / b.ops };
        },
      },
    ],
    { rounds: params.rounds, warmup: params.warmup, log },
  );
  const r = res.get('node:tls');
  const entries = providers.map((p) => ({ name: `puretls (${p.name})`, kind: 'provider', unavailable: 'n/a — not implemented (resumption does not exist yet)' }));
  entries.push(
    r.error
      ? { name: 'node:tls', kind: 'baseline', unavailable: `failed: ${reasonOf(r.error)}` }
      : { name: 'node:tls', kind: 'baseline', value: summary(r.samples.map((s) => s.rate)), cpu: summary(r.samples.map((s) => s.cpuMs)), note: 'TLS 1.3 PSK + x25519, ticket reused, ECDSA P-256' },
  );
  return {
    id: 'handshake.resumed',
    group: 'resumed',
    title: 'TLS 1.3 resumed handshakes/s (client + server, one process, in memory)',
    unit: 'handshakes/s',
    cpuUnit: 'CPU ms per handshake (both ends)',
    higherIsBetter: true,
    cpuLowerIsBetter: true,
    baseline: 'node:tls',
    entries,
  };
}
