// Shared by bench/lib/pq.mjs (this process) and bench/lib/pq-child.mjs (under Node 26):
// in-memory TLS 1.3 full handshakes per key-exchange group, for each puretls provider and
// for Node `tls`, interleaved in rounds so that every group sees the same machine load.
import tls from 'node:tls';
import { nodeClose, nodeHandshake, pureFactories, pureHandshake } from './inmemory.mjs';
import { interleave, summary, timeBatch } from './measure.mjs';

/** The groups compared (IANA names) and their OpenSSL `ecdhCurve` names. */
export const PQ_GROUPS = ['x25519', 'X25519MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024'];
const OPENSSL_NAME = { x25519: 'X25519', X25519MLKEM768: 'X25519MLKEM768', SecP256r1MLKEM768: 'SecP256r1MLKEM768', SecP384r1MLKEM1024: 'SecP384r1MLKEM1024' };
const SUITE = 'TLS_AES_128_GCM_SHA256';

/** puretls options: TLS 1.3, one suite, the group alone (its key share in the first ClientHello), no resumption. */
function pureOptions(pki, crypto, group) {
  const common = { crypto, cipherSuites: [SUITE], groups: [group], minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
  return {
    client: { ...common, servername: 'localhost', ca: pki.caCertPem, sessionStore: false },
    server: { ...common, cert: pki.chainPem, key: pki.keyPem, sessionTickets: 2 },
  };
}

/** Node `tls` contexts pinned to `group`, or null when this OpenSSL lacks it. */
function nodeContexts(pki, group) {
  const common = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphersuites: SUITE, ecdhCurve: OPENSSL_NAME[group] };
  try {
    return { server: tls.createSecureContext({ ...common, cert: pki.chainPem, key: pki.keyPem }), client: tls.createSecureContext({ ...common, ca: pki.caCertPem }) };
  } catch {
    return null;
  }
}

/**
 * Measures every (implementation, group) pair in one interleaved run.
 * @param providers - `[{ name, option }]` available puretls providers
 * @returns `[{ impl, group, value?, cpu?, unavailable?, detail? }]`
 */
export async function measureGroups({ lib, pki, providers, rounds, warmup, batchMs, log = () => {} }) {
  const contenders = [];
  const results = [];
  for (const p of providers) {
    for (const group of PQ_GROUPS) {
      const o = pureOptions(pki, p.option, group);
      let f;
      try {
        f = pureFactories(lib, o.client, o.server);
        const probe = await pureHandshake(f);
        if (probe.client.info.group !== group) throw new Error(`negotiated ${probe.client.info.group}`);
        const delegated = probe.client.info.providerDelegated ?? [];
        results.push({ impl: `puretls (${p.name})`, group, detail: delegated.length ? `delegated: ${delegated.join(', ')}` : undefined });
      } catch (e) {
        results.push({ impl: `puretls (${p.name})`, group, unavailable: String(e?.detail ?? e?.message ?? e) });
        continue;
      }
      contenders.push({ key: `puretls (${p.name})|${group}`, name: `puretls (${p.name}) ${group}`, batch: () => batch(async () => pureHandshake(f), batchMs) });
    }
  }
  for (const group of PQ_GROUPS) {
    const ctx = nodeContexts(pki, group);
    if (!ctx) {
      results.push({ impl: 'node:tls', group, unavailable: `OpenSSL ${process.versions.openssl} has no ${group}` });
      continue;
    }
    results.push({ impl: 'node:tls', group });
    contenders.push({ key: `node:tls|${group}`, name: `node:tls ${group}`, batch: () => batch(async () => nodeClose(await nodeHandshake(ctx)), batchMs) });
  }
  const res = await interleave(contenders, { rounds, warmup, log });
  for (const c of contenders) {
    const r = res.get(c.name);
    const [impl, group] = c.key.split('|');
    const slot = results.find((x) => x.impl === impl && x.group === group);
    if (r.error) {
      slot.unavailable = `failed: ${r.error.message}`;
      continue;
    }
    slot.value = summary(r.samples.map((s) => s.rate));
    slot.cpu = summary(r.samples.map((s) => s.cpuMs));
  }
  return results;
}

async function batch(op, batchMs) {
  const b = await timeBatch(op, batchMs);
  return { rate: (b.ops * 1000) / b.wallMs, cpuMs: b.cpuMs / b.ops };
}
