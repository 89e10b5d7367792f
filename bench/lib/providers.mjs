// Which crypto providers the built package offers. Each name of issue 9 is tried with a
// real in-memory handshake (`crypto: name` on both sides); a name the build refuses with
// TlsError('InvalidConfig') is reported "unavailable" with its reason, so figures appear
// for a provider as soon as it lands, without editing the benchmark.
import { pumpPure } from './inmemory.mjs';
import { distUrl, loadProviderEntry } from './dist.mjs';

/**
 * The provider object of `name` in a build that has it but takes no names yet: the pure
 * one is `nobleProvider` of the entry; others `<name>Provider` of dist/crypto/<name>.js.
 * `module` is what a child process imports to get it again.
 */
async function providerObject(lib, name) {
  if (name === 'pure') return lib.nobleProvider ? { provider: lib.nobleProvider, label: 'nobleProvider (dist/index.js)', module: null } : null;
  try {
    const m = await import(distUrl(`crypto/${name}.js`));
    const provider = m[`${name}Provider`];
    return provider ? { provider, label: `${name}Provider (dist/crypto/${name}.js)`, module: `crypto/${name}.js#${name}Provider` } : null;
  } catch {
    return null;
  }
}

/** Provider names of issue 9, in report order. */
export const PROVIDER_NAMES = ['pure', 'native', 'webcrypto'];

/**
 * `[{ name, available, option?, reason?, note? }]`: `option` is what to pass as `crypto`.
 * A build that takes no provider names yet (the option was a provider object) still runs
 * the pure provider, passed as its exported object (`nobleProvider`); that is said in `note`.
 */
export async function detectProviders(lib, pki) {
  const out = [];
  for (const name of PROVIDER_NAMES) {
    const tryOption = async (option) => {
      const client = lib.TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: option });
      const server = lib.TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: option });
      await pumpPure(client, server);
      if (!client.handshakeComplete || !server.handshakeComplete) throw new Error('handshake did not complete');
    };
    try {
      const entry = await loadProviderEntry(name);
      await tryOption(name);
      out.push({ name, available: true, option: name, ...(entry ? { note: `named after importing its entry point (dist/${entry})` } : {}) });
    } catch (e) {
      if (e?.name === 'TlsError' && e.status === 'InvalidConfig') {
        out.push({ name, available: false, reason: `InvalidConfig: ${e.detail ?? e.message}` });
      } else {
        // A build that takes no provider names yet: the provider object, if the build has it.
        const found = await providerObject(lib, name);
        const why = `${e?.name ?? 'Error'}: ${String(e?.detail ?? e?.message ?? e).split('\n')[0]}`;
        if (found) {
          try {
            await tryOption(found.provider);
            out.push({ name, available: true, option: found.provider, module: found.module, note: `this build takes no provider names (crypto: '${name}' -> ${e?.name}); passed as ${found.label}` });
            continue;
          } catch (e2) {
            out.push({ name, available: false, reason: `${found.label} fails a handshake: ${e2?.status ?? e2?.name}: ${e2?.detail ?? e2?.message}` });
            continue;
          }
        }
        out.push({ name, available: false, reason: `this build does not offer crypto: '${name}' (${why})` });
      }
    }
  }
  return out;
}
