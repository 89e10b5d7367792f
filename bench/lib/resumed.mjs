// Resumed handshakes per second beside full ones, one process, in memory, interleaved in
// the same rounds: per provider, a puretls client with its session store (one
// MemorySessionStore per client config, single-use sessions refilled by the tickets or
// session each resumed handshake leaves) against one server config, and the same pair
// without a store (full handshakes); Node `tls` with one SecureContext per side, reusing
// one `session` for every resumed connection, and the same contexts without it.
//
// Every measured connection is checked: a resumed entry fails (its figure says why) unless
// both ends report resumption (puretls `info.resumed`, Node `isSessionReused()`), and a full
// entry fails if either end resumed, so a broken resumption can never pass as fast full
// handshakes (nor the reverse).
import crypto from 'node:crypto';
import tls from 'node:tls';
import { duplexPair, nodeClose, pureFactories, pureHandshake } from './inmemory.mjs';
import { HANDSHAKE_CONFIGS, nodeContexts, pureOptions } from './handshakes.mjs';
import { interleave, reasonOf, summary, timeBatch } from './measure.mjs';

const TLS13_ECDSA = HANDSHAKE_CONFIGS.find((c) => c.id === 'tls13-ecdsa-p256');
const TLS12_ECDSA = HANDSHAKE_CONFIGS.find((c) => c.id === 'tls12-ecdhe-ecdsa');

/** The resumed figures: TLS 1.3 PSK + (EC)DHE, TLS 1.2 with an RFC 5077 ticket, TLS 1.2 with a session ID. */
export const RESUMED_CONFIGS = [
  { id: 'tls13-ecdsa-p256', cfg: TLS13_ECDSA, mode: 'ticket', title: 'TLS 1.3 resumed handshake (psk_dhe_ke, x25519), ECDSA P-256' },
  { id: 'tls12-ecdhe-ecdsa-ticket', cfg: TLS12_ECDSA, mode: 'ticket', title: 'TLS 1.2 resumed handshake, RFC 5077 ticket, ECDHE-ECDSA (P-256)' },
  { id: 'tls12-ecdhe-ecdsa-session-id', cfg: TLS12_ECDSA, mode: 'session-id', title: 'TLS 1.2 resumed handshake, session ID, ECDHE-ECDSA (P-256)' },
];

/** Name of the full-handshake entry beside a resumed one. */
export const fullName = (name) => `${name}, full`;

/** puretls server options of a mode: TLS 1.2 session IDs only when no ticket is sent. */
function pureServer(rc, server) {
  if (rc.cfg.tls13) return server; // pureOptions: 2 tickets per handshake, as Node
  return rc.mode === 'ticket' ? { ...server, sessionTickets: 1 } : { ...server, sessionTickets: 0 };
}

/** Throws unless both ends of a puretls pair agree that they resumed (or did not). */
function checkPure(pair, resumed) {
  const c = pair.client.info.resumed;
  const s = pair.server.info.resumed;
  if (c !== resumed || s !== resumed) throw new Error(`puretls: expected ${resumed ? 'a resumed' : 'a full'} handshake, client resumed=${c}, server resumed=${s}`);
}

/** Throws unless a Node pair resumed (or did not). */
function checkNode(pair, resumed) {
  const c = pair.client.isSessionReused();
  const s = pair.server.isSessionReused();
  if (c !== resumed || s !== resumed) throw new Error(`node:tls: expected ${resumed ? 'a resumed' : 'a full'} handshake, client reused=${c}, server reused=${s}`);
}

/**
 * Node `tls` contexts of a mode. Session IDs: tickets off (SSL_OP_NO_TICKET) and Node's
 * documented server session cache (a `tls.Server`'s 'newSession' / 'resumeSession' events,
 * a Map here; the server is never listened on, it only carries the events).
 */
function nodeSetup(rc, pki) {
  const nctx = nodeContexts(rc.cfg, pki);
  if (rc.mode !== 'session-id') return nctx;
  const version = 'TLSv1.2';
  const server = tls.createSecureContext({ minVersion: version, maxVersion: version, ecdhCurve: 'X25519:P-256', ...rc.cfg.node, cert: pki.chainPem, key: pki.keyPem, secureOptions: crypto.constants.SSL_OP_NO_TICKET });
  const cache = new Map();
  const holder = tls.createServer({ secureContext: server });
  holder.on('newSession', (id, data, cb) => {
    if (cache.size > 4096) cache.delete(cache.keys().next().value);
    cache.set(id.toString('hex'), data);
    cb();
  });
  holder.on('resumeSession', (id, cb) => cb(null, cache.get(id.toString('hex')) ?? null));
  return { ...nctx, server, holder };
}

/** A Node `tls` handshake over an in-memory pair (inmemory.mjs's, plus the session cache holder). */
function nodeHandshake(ctx, session) {
  return new Promise((resolve, reject) => {
    const [x, y] = duplexPair();
    const server = new tls.TLSSocket(x, { isServer: true, secureContext: ctx.server, ...(ctx.holder ? { server: ctx.holder } : {}) });
    const client = tls.connect({ socket: y, secureContext: ctx.client, servername: 'localhost', session });
    server.on('error', reject);
    client.on('error', reject);
    let left = 2;
    const done = () => {
      if (--left === 0) resolve({ client, server });
    };
    server.on('secure', done);
    client.on('secureConnect', () => {
      if (!client.authorized) reject(new Error(`node:tls client not authorized: ${client.authorizationError}`));
      else done();
    });
  });
}

/** The session of a first full Node handshake (TLS 1.3: after its ticket arrived). */
async function nodeSession(nctx, tls13) {
  const first = await nodeHandshake(nctx, undefined);
  const session = tls13
    ? await new Promise((resolve, reject) => {
        first.client.once('session', resolve);
        setTimeout(() => reject(new Error('node:tls sent no session ticket')), 2000);
      })
    : first.client.getSession();
  nodeClose(first);
  if (!session) throw new Error('node:tls client has no session to resume');
  return session;
}

/** A contender: per round, handshakes/s (wall) and CPU ms per handshake (both ends). */
const contender = (name, op, batchMs) => ({
  name,
  batch: async () => {
    const b = await timeBatch(op, batchMs);
    return { rate: (b.ops * 1000) / b.wallMs, cpuMs: b.cpuMs / b.ops };
  },
});

/** One resumed figure. */
async function resumedOne(ctx, rc) {
  const { lib, providers, params, log } = ctx;
  log(`resumed handshakes: ${rc.title}`);
  const pki = await ctx.pki(rc.cfg.keyType);
  const contenders = [];
  const unavailable = [];
  const notes = {};
  for (const p of providers) {
    const name = `puretls (${p.name})`;
    if (!p.available) {
      unavailable.push({ name, kind: 'provider', unavailable: p.reason }, { name: fullName(name), kind: 'full', unavailable: p.reason });
      continue;
    }
    const o = pureOptions(rc.cfg, pki, p.option);
    const server = pureServer(rc, o.server);
    // Resumed: the client config's own session store (the default, one MemorySessionStore per config).
    const { sessionStore: _none, ...client } = o.client;
    const fr = pureFactories(lib, client, server);
    const ff = pureFactories(lib, o.client, server);
    if (!fr.configBuiltOnce) {
      unavailable.push({ name, kind: 'provider', unavailable: 'this build has no createClientConfig: a session store per connection cannot resume' });
      continue;
    }
    contenders.push(
      contender(
        name,
        async () => {
          const pair = await pureHandshake(fr);
          // The first handshake of a config (warm-up) is full: it fills the store.
          if (!pair.client.info.resumed && !fr.primed) {
            fr.primed = true;
            checkPure(pair, false);
            return;
          }
          checkPure(pair, true);
        },
        params.batchMs,
      ),
      contender(fullName(name), async () => checkPure(await pureHandshake(ff), false), params.batchMs),
    );
    notes[name] = `client config built once with its default session store (single use, refilled by each resumed handshake${rc.cfg.tls13 ? "'s 2 NewSessionTickets" : rc.mode === 'ticket' ? "'s new ticket" : ''}); client and server both report info.resumed on every measured connection`;
    notes[fullName(name)] = 'the same configs without a session store: full handshakes, checked not resumed';
  }

  try {
    const nctx = nodeSetup(rc, pki);
    const session = await nodeSession(nctx, rc.cfg.tls13);
    contenders.push(
      contender(
        'node:tls',
        async () => {
          const pair = await nodeHandshake(nctx, session);
          checkNode(pair, true);
          nodeClose(pair);
        },
        params.batchMs,
      ),
      contender(
        fullName('node:tls'),
        async () => {
          const pair = await nodeHandshake(nctx, undefined);
          checkNode(pair, false);
          nodeClose(pair);
        },
        params.batchMs,
      ),
    );
    notes['node:tls'] =
      rc.mode === 'session-id'
        ? 'OpenSSL; one SecureContext per side, tickets off (SSL_OP_NO_TICKET), session cache through a tls.Server\'s newSession/resumeSession events; one `session` reused; isSessionReused() on both ends checked'
        : 'OpenSSL; one SecureContext per side; one `session` (from a first handshake) reused for every connection; isSessionReused() on both ends checked';
    notes[fullName('node:tls')] = 'the same contexts without `session`: full handshakes, checked not resumed';
  } catch (e) {
    unavailable.push({ name: 'node:tls', kind: 'baseline', unavailable: `failed: ${reasonOf(e)}` }, { name: fullName('node:tls'), kind: 'full', unavailable: `failed: ${reasonOf(e)}` });
  }

  const res = await interleave(contenders, { rounds: params.rounds, warmup: params.warmup, log });
  const entries = [];
  for (const c of contenders) {
    const r = res.get(c.name);
    const kind = c.name.endsWith(', full') ? 'full' : c.name === 'node:tls' ? 'baseline' : 'provider';
    if (r.error) entries.push({ name: c.name, kind, unavailable: `failed: ${reasonOf(r.error)}` });
    else if (r.samples.length === 0) entries.push({ name: c.name, kind, unavailable: 'failed: no measured round' });
    else entries.push({ name: c.name, kind, value: summary(r.samples.map((s) => s.rate)), cpu: summary(r.samples.map((s) => s.cpuMs)), note: notes[c.name] });
  }
  entries.push(...unavailable);
  // Resumed vs full, same implementation, same run: > 1 means resumption is cheaper (CPU) / faster (wall).
  for (const e of entries) {
    if (e.kind === 'full' || !e.value) continue;
    const full = entries.find((x) => x.name === fullName(e.name) && x.value);
    if (!full) continue;
    e.vsFull = e.value.median / full.value.median;
    e.cpuVsFull = full.cpu.median / e.cpu.median;
  }
  return {
    id: `resumed.${rc.id}`,
    group: 'resumed',
    title: `${rc.title}: resumed handshakes/s beside full (client + server, one process, in memory)`,
    label: rc.title,
    unit: 'handshakes/s',
    cpuUnit: 'CPU ms per handshake (both ends)',
    higherIsBetter: true,
    cpuLowerIsBetter: true,
    baseline: 'node:tls',
    entries,
  };
}

/** Runs the resumed-handshake figures (TLS 1.3; TLS 1.2 ticket; TLS 1.2 session ID). */
export async function resumedFigure(ctx) {
  const figures = [];
  for (const rc of RESUMED_CONFIGS) figures.push(await resumedOne(ctx, rc));
  return figures;
}
