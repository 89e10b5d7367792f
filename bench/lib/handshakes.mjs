// Full handshakes per second, one process, in memory: puretls per provider, Node `tls`
// (one SecureContext per side, reused), node-forge and subtls where they can take part,
// and the pure provider's primitive floor, interleaved in rounds.
import tls from 'node:tls';
import {
  forgeContext,
  forgeHandshake,
  forgeVersionName,
  nodeClose,
  nodeHandshake,
  pureFactories,
  pureHandshake,
  subtlsClose,
  subtlsHandshake,
} from './inmemory.mjs';
import { makeFloor, probeCrypto, spkiOf, splitCertificate } from './floor.mjs';
import { interleave, opt, reasonOf, summary, timeBatch } from './measure.mjs';

/** The five handshake figures of issue 9. */
export const HANDSHAKE_CONFIGS = [
  { id: 'tls13-ecdsa-p256', title: 'TLS 1.3 full handshake, ECDSA P-256', keyType: 'ecdsa-p256', tls13: true, suite: 'TLS_AES_128_GCM_SHA256', node: { ciphersuites: 'TLS_AES_128_GCM_SHA256' } },
  { id: 'tls13-ed25519', title: 'TLS 1.3 full handshake, Ed25519', keyType: 'ed25519', tls13: true, suite: 'TLS_AES_128_GCM_SHA256', node: { ciphersuites: 'TLS_AES_128_GCM_SHA256' } },
  { id: 'tls13-rsa-2048', title: 'TLS 1.3 full handshake, RSA-2048', keyType: 'rsa-2048', tls13: true, suite: 'TLS_AES_128_GCM_SHA256', node: { ciphersuites: 'TLS_AES_128_GCM_SHA256' } },
  { id: 'tls12-ecdhe-ecdsa', title: 'TLS 1.2 full handshake, ECDHE-ECDSA (P-256)', keyType: 'ecdsa-p256', tls13: false, suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', node: { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } },
  { id: 'tls12-ecdhe-rsa', title: 'TLS 1.2 full handshake, ECDHE-RSA (RSA-2048)', keyType: 'rsa-2048', tls13: false, suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', node: { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' } },
];

/**
 * Groups offered: x25519 first (the only key share sent in TLS 1.3, the one chosen), and
 * P-256, without which OpenSSL refuses a P-256 ECDSA certificate in TLS 1.2.
 */
export const GROUPS = ['x25519', 'secp256r1'];
/** The same for Node `tls`. */
export const NODE_CURVES = 'X25519:P-256';

/** Node's default: a TLS 1.3 server sends two NewSessionTickets; puretls is asked to do the same. */
const NODE_TLS13_TICKETS = 2;

/** puretls options of one configuration and provider (x25519 only, one suite, like the Node contexts; full handshakes only). */
export function pureOptions(cfg, pki, crypto) {
  const version = cfg.tls13 ? 'TLSv1.3' : 'TLSv1.2';
  const common = { crypto, cipherSuites: [cfg.suite], groups: GROUPS, minVersion: version, maxVersion: version };
  return {
    // Full handshakes: no session store, so a client never resumes (the resumed figure is separate).
    client: { ...common, servername: 'localhost', ca: pki.caCertPem, keyShareGroups: ['x25519'], sessionStore: false },
    server: { ...common, cert: pki.chainPem, key: pki.keyPem, ...(cfg.tls13 ? { sessionTickets: NODE_TLS13_TICKETS } : {}) },
  };
}

/** Node `tls` contexts of one configuration, built once. */
export function nodeContexts(cfg, pki) {
  const version = cfg.tls13 ? 'TLSv1.3' : 'TLSv1.2';
  const common = { minVersion: version, maxVersion: version, ecdhCurve: NODE_CURVES, ...cfg.node };
  return {
    server: tls.createSecureContext({ ...common, cert: pki.chainPem, key: pki.keyPem }),
    client: tls.createSecureContext({ ...common, ca: pki.caCertPem }),
  };
}

/**
 * The pure provider's floor for one configuration, from a probe handshake whose crypto is
 * counted per side (bench/lib/floor.mjs `probeCrypto`).
 */
export async function floorOf(lib, cfg, pki, pure) {
  const P = lib.nobleProvider;
  const o = pureOptions(cfg, pki, pure.option);
  let info = null;
  const tallies = await probeCrypto(P, lib.defaultRandom, (clientExtra, serverExtra) => {
    const f = pureFactories(lib, { ...o.client, ...clientExtra }, { ...o.server, ...serverExtra });
    return async () => {
      const pair = await pureHandshake(f);
      if (pair.client.info.resumed || pair.server.info.resumed) throw new Error('floor: the probe handshake resumed');
      info = pair.client.info;
    };
  });
  const schemeName = info.signatureScheme;
  const scheme = typeof schemeName === 'number' ? schemeName : lib.SignatureScheme[schemeName];
  if (scheme === undefined) throw new Error(`floor: unknown negotiated scheme ${schemeName}`);
  const leaf = splitCertificate(pki.certDer);
  const issuerKey = P.parsePublicKey(spkiOf(pki.caCertPem));
  // Signature checks beyond the handshake signature: the certificate chain's, unless the
  // engine remembers them from an earlier handshake with the same chain.
  const chainChecks = Math.max(0, tallies.client.verify - 1);
  const tickets = tallies.server.seals.filter((x) => x.alg === 'AES-256-GCM').length;
  const floor = await makeFloor(P, {
    tls13: cfg.tls13,
    serverKey: P.parsePrivateKey(pki.keyPem),
    scheme,
    leafSpki: spkiOf(pki.certPem),
    chain: Array.from({ length: chainChecks }, () => ({ issuerKey, scheme: leaf.scheme, tbs: leaf.tbs, signature: leaf.signature })),
    tallies,
    tickets,
    clientKeepsSessions: o.client.sessionStore !== false,
    random: lib.defaultRandom,
  });
  const side = (t) => `${t.random.length} random requests (${t.random.reduce((a, b) => a + b, 0)} B), ${t.hashBytes} B hashed, ${t.seals.length} seals, ${t.opens.length} opens, ${t.aeads.length} keyed AEADs, ${t.parsePublicKey} public keys parsed`;
  const chainNote =
    chainChecks === 0
      ? "no certificate signature check: after the first handshake the engine remembers the chain's verified signatures (per provider), so a repeated chain costs none; Node tls checks it every time"
      : `${chainChecks} certificate signature check(s) per handshake`;
  return {
    floor,
    tallies,
    note: `${chainNote}; ${tickets} session ticket(s) sealed (AES-256-GCM) with their resumption PSKs; client: ${side(tallies.client)}; server: ${side(tallies.server)} (counted in a steady-state probe handshake)`,
  };
}

/** A full handshake figure must not resume: throws (failing the entry) if either end of a puretls pair did. */
function notResumed(pair) {
  if (pair.client.info.resumed || pair.server.info.resumed) throw new Error('puretls resumed in a full-handshake figure');
  return pair;
}

/** The same for a Node `tls` pair (isSessionReused()). */
function notReused(pair) {
  if (pair.client.isSessionReused() || pair.server.isSessionReused()) throw new Error('node:tls resumed in a full-handshake figure');
  return pair;
}

/** A handshake contender: per round, handshakes/s (wall) and CPU ms per handshake (both ends). */
const contender = (name, op, batchMs) => ({
  name,
  batch: async () => {
    const b = await timeBatch(op, batchMs);
    return { rate: (b.ops * 1000) / b.wallMs, cpuMs: b.cpuMs / b.ops, wallMs: b.wallMs / b.ops };
  },
});

/**
 * Runs the handshake figures.
 *
 * @param ctx - `{ lib, pkis, providers, forge, subtls, params, log }`
 */
export async function handshakeFigures(ctx) {
  const { lib, providers, params, log } = ctx;
  const figures = [];
  // `--handshakes id,...` and `--hs-providers name,...` narrow the figures while working on
  // one path (the floor and Node `tls` always run beside what is left).
  const onlyConfigs = opt('handshakes', null)?.split(',');
  const onlyProviders = opt('hs-providers', null)?.split(',');
  for (const cfg of HANDSHAKE_CONFIGS) {
    if (onlyConfigs && !onlyConfigs.includes(cfg.id)) continue;
    log(`handshakes: ${cfg.title}`);
    const pki = await ctx.pki(cfg.keyType);
    const contenders = [];
    const unavailable = [];
    const notes = {};
    for (const p of providers) {
      const name = `puretls (${p.name})`;
      if (onlyProviders && !onlyProviders.includes(p.name)) continue;
      if (!p.available) {
        unavailable.push({ name, kind: 'provider', unavailable: p.reason });
        continue;
      }
      const o = pureOptions(cfg, pki, p.option);
      const f = pureFactories(lib, o.client, o.server);
      notes[name] = f.configBuiltOnce ? 'config built once (createClientConfig/createServerConfig)' : 'options object reused; this build parses it per connection';
      contenders.push(contender(name, async () => notResumed(await pureHandshake(f)), params.batchMs));
    }
    const nctx = nodeContexts(cfg, pki);
    contenders.push(contender('node:tls', async () => nodeClose(notReused(await nodeHandshake(nctx))), params.batchMs));
    notes['node:tls'] = cfg.tls13 ? 'OpenSSL; one SecureContext per side; sends 2 session tickets (puretls is set to send 2 as well)' : 'OpenSSL; one SecureContext per side';

    const pure = providers.find((p) => p.name === 'pure' && p.available);
    if (pure) {
      try {
        const { floor, note } = await floorOf(lib, cfg, pki, pure);
        contenders.push(contender('pure primitive floor', floor, params.batchMs));
        notes['pure primitive floor'] = `the crypto of one handshake through the pure provider, timed alone (bench/lib/floor.mjs): ${note}`;
      } catch (e) {
        unavailable.push({ name: 'pure primitive floor', kind: 'floor', unavailable: reasonOf(e) });
      }
    } else unavailable.push({ name: 'pure primitive floor', kind: 'floor', unavailable: 'the pure provider is unavailable' });

    // subtls: a TLS 1.3 client only (P-256 ECDH, AES-128-GCM, ECDSA P-256 / RSA-PSS CertificateVerify).
    if (!ctx.subtls.module) unavailable.push({ name: 'subtls client + node:tls server', kind: 'peer', unavailable: ctx.subtls.reason });
    else if (!cfg.tls13) unavailable.push({ name: 'subtls client + node:tls server', kind: 'peer', unavailable: 'subtls speaks TLS 1.3 only' });
    else if (cfg.keyType === 'ed25519') unavailable.push({ name: 'subtls client + node:tls server', kind: 'peer', unavailable: "subtls 0.5.0 offers only ECDSA P-256 and RSA-PSS signature schemes; Node's server fails with 'no suitable signature algorithm'" });
    else {
      const roots = await ctx.subtls.module.TrustedCert.databaseFromPEM(pki.caCertPem);
      const sctx = tls.createSecureContext({ cert: pki.chainPem, key: pki.keyPem, minVersion: 'TLSv1.3' });
      contenders.push(contender('subtls client + node:tls server', async () => subtlsClose(await subtlsHandshake(ctx.subtls.module, roots, sctx)), params.batchMs));
      notes['subtls client + node:tls server'] = 'subtls (WebCrypto, P-256 ECDH, AES-128-GCM) against a Node tls server, one SecureContext';
    }

    // node-forge at its best: TLS 1.1, RSA key exchange, AES-128-CBC-SHA, RSA certificate.
    if (cfg.id === 'tls12-ecdhe-rsa') {
      const FORGE = 'node-forge (RSA kx, AES-128-CBC)';
      if (!ctx.forge.module) unavailable.push({ name: FORGE, kind: 'peer', unavailable: ctx.forge.reason });
      else {
        const fc = forgeContext(ctx.forge.module, pki);
        const version = forgeVersionName((await forgeHandshake(fc)).version);
        contenders.push(contender(FORGE, () => forgeHandshake(fc), params.batchMs));
        notes[FORGE] = `its best: RSA key exchange (no ECDHE), AES-128-CBC-SHA, client and server both forge, TLS 1.1 offered; agreed: ${version}${version === 'TLS 1.0' ? " (forge's server skips the first entry of its version list, lib/tls.js: loop from i = 1, so forge with itself never agrees on 1.1)" : ''}`;
      }
    }

    const res = await interleave(contenders, { rounds: params.rounds, warmup: params.warmup, log });
    const entries = [];
    for (const c of contenders) {
      const r = res.get(c.name);
      const kind = c.name.startsWith('puretls') ? 'provider' : c.name === 'node:tls' ? 'baseline' : c.name.includes('floor') ? 'floor' : 'peer';
      if (r.error) entries.push({ name: c.name, kind, unavailable: `failed: ${reasonOf(r.error)}` });
      else
        entries.push({
          name: c.name,
          kind,
          value: summary(r.samples.map((s) => s.rate)),
          cpu: summary(r.samples.map((s) => s.cpuMs)),
          note: notes[c.name],
        });
    }
    entries.push(...unavailable);
    figures.push({
      id: `handshake.${cfg.id}`,
      group: 'handshake',
      title: `${cfg.title}: full handshakes/s (client + server, one process, in memory)`,
      unit: 'handshakes/s',
      cpuUnit: 'CPU ms per handshake (both ends)',
      higherIsBetter: true,
      cpuLowerIsBetter: true,
      baseline: 'node:tls',
      entries,
    });
  }
  return figures;
}
