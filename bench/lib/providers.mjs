// Which crypto providers the built package offers. Each name of issue 9 is tried with a
// real in-memory handshake (`crypto: name` on both sides); a name the build refuses with
// TlsError('InvalidConfig') is reported "unavailable" with its reason, so figures appear
// for a provider as soon as it lands, without editing the benchmark.
import { pumpPure } from './inmemory.mjs';

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
      await tryOption(name);
      out.push({ name, available: true, option: name });
    } catch (e) {
      if (e?.name === 'TlsError' && e.status === 'InvalidConfig') {
        out.push({ name, available: false, reason: `InvalidConfig: ${e.detail ?? e.message}` });
      } else if (name === 'pure' && lib.nobleProvider) {
        await tryOption(lib.nobleProvider);
        out.push({ name, available: true, option: lib.nobleProvider, note: `this build takes no provider names (crypto: 'pure' -> ${e?.name}); the pure provider was passed as nobleProvider` });
      } else {
        out.push({ name, available: false, reason: `this build does not offer crypto: '${name}' (${e?.name ?? 'Error'}: ${String(e?.detail ?? e?.message ?? e).split('\n')[0]})` });
      }
    }
  }
  return out;
}
