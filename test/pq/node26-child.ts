/**
 * Child of test/pq/native-node26.test.ts and bench/lib/pq.mjs: bundled with esbuild and run by
 * Node 26 (OpenSSL 3.5), where node:crypto has ML-KEM, so the native provider's ML-KEM path
 * runs (the test process is Node 20, where it falls back to pure code). Prints one JSON line.
 *
 * Modes (argv[2], options as JSON in argv[3]):
 * - `crosscheck`: for each hybrid, the native and pure providers from the same private key
 *   bytes give the same client share; each side's encapsulation decapsulates to the same secret
 *   on the other; the native server side refuses what the pure one refuses (lengths, the
 *   FIPS 203 §7.2 modulus check, the ECDH point).
 * - `interop`: our engine (puretls/node adapter, native provider) against Node 26's own `tls`
 *   in this process, both roles, for each hybrid pinned on both sides and with both defaults.
 * - `bench`: full handshakes per second in memory (client and server in this process) for
 *   `groups` with `provider`, for `ms` milliseconds.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { nativeProvider } from '../../src/crypto/native.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { TlsError } from '../../src/base/errors.js';
import { connect, createServer, type TlsSocket } from '../../src/transport/node.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump } from '../../src/testing/index.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';

const HYBRIDS = [
  { name: 'X25519MLKEM768', code: 0x11ec },
  { name: 'SecP256r1MLKEM768', code: 0x11eb },
  { name: 'SecP384r1MLKEM1024', code: 0x11ed },
] as const;

const [mode, json] = process.argv.slice(2);
const opts = JSON.parse(json ?? '{}') as Record<string, unknown>;
const print = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v)}\n`);

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function statusOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? `${e.status}` : `thrown ${String(e)}`;
  }
}

/** Deterministic bytes (not random: a cross-check, not a key). */
function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed;
  return (n) => bytes(n, s++);
}

function crosscheck(): void {
  const N = nativeProvider;
  const P = nobleProvider;
  const results: Record<string, unknown>[] = [];
  for (const h of HYBRIDS) {
    for (let round = 0; round < 3; round++) {
      const priv = bytes(N.keySharePrivateLength(h.code), 100 + round);
      const cn = N.keyShare(h.code, priv);
      const cp = P.keyShare(h.code, priv);
      // The native server (node:crypto encapsulation) to the pure client, and the reverse.
      const sn = N.encapsulate!(h.code, cp.publicKey, seeded(7 + round));
      const sp = P.encapsulate!(h.code, cn.publicKey, seeded(9 + round));
      results.push({
        group: h.name,
        round,
        samePublic: hex(cn.publicKey) === hex(cp.publicKey),
        publicLength: cn.publicKey.length,
        pureClientNativeServer: hex(cp.agree(sn.publicKey)) === hex(sn.sharedSecret),
        nativeClientPureServer: hex(cn.agree(sp.publicKey)) === hex(sp.sharedSecret),
        serverLengths: [sn.publicKey.length, sp.publicKey.length],
        secretLengths: [sn.sharedSecret.length, sp.sharedSecret.length],
      });
    }
    // What the native side refuses, as the pure side does.
    const share = P.keyShare(h.code, bytes(P.keySharePrivateLength(h.code), 5)).publicKey;
    const kemFirst = h.name === 'X25519MLKEM768';
    const ek = kemFirst ? 0 : share.length - (h.name === 'SecP384r1MLKEM1024' ? 1568 : 1184);
    const badModulus = share.slice();
    badModulus[ek] = 0xff;
    badModulus[ek + 1]! |= 0x0f; // coefficient 0 = 0xfff ≥ q
    const badPoint = share.slice();
    if (kemFirst) badPoint.fill(0, share.length - 32);
    else badPoint[64]! ^= 1;
    const cases = {
      short: share.subarray(0, share.length - 1),
      long: new Uint8Array([...share, 0]),
      badModulus,
      badPoint,
    };
    const native: Record<string, string> = {};
    const pure: Record<string, string> = {};
    for (const [k, v] of Object.entries(cases)) {
      native[k] = statusOf(() => N.encapsulate!(h.code, v, seeded(1)));
      pure[k] = statusOf(() => P.encapsulate!(h.code, v, seeded(1)));
    }
    const client = N.keyShare(h.code, bytes(N.keySharePrivateLength(h.code), 6));
    const sResp = N.encapsulate!(h.code, client.publicKey, seeded(3)).publicKey;
    native.serverShort = statusOf(() => client.agree(sResp.subarray(1)));
    results.push({ group: h.name, refuses: { native, pure } });
  }
  print({ mode: 'crosscheck', delegated: N.delegated, node: process.version, results });
}

/** One connection of our client (native) to a Node `tls` server in this process. */
async function ourClientToNode(ca: string, cert: string, key: string, serverGroups: string | undefined, ourGroups: string[] | undefined): Promise<Record<string, unknown>> {
  const server = tls.createServer({ cert, key, minVersion: 'TLSv1.3', ...(serverGroups ? { ecdhCurve: serverGroups } : {}) }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const sock: TlsSocket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca, crypto: 'native', ...(ourGroups ? { groups: ourGroups } : {}) });
    await Promise.race([once(sock, 'secureConnect'), once(sock, 'error').then(([e]) => Promise.reject(e))]);
    sock.write('ping');
    const [d] = (await once(sock, 'data')) as [Buffer];
    const info = sock.info;
    sock.end();
    return { ok: d.toString() === 'ping', group: info.group, hrr: info.helloRetryRequest, provider: info.provider, delegated: info.providerDelegated };
  } catch (e) {
    return { ok: false, error: e instanceof TlsError ? `${e.status}: ${e.detail}` : String(e) };
  } finally {
    server.close();
  }
}

/** One connection of a Node `tls` client to our server (native) in this process. */
async function nodeClientToOurs(ca: string, cert: string, key: string, clientGroups: string | undefined, ourGroups: string[] | undefined): Promise<Record<string, unknown>> {
  let serverInfo: Record<string, unknown> = {};
  const server = createServer({ cert, key, crypto: 'native', ...(ourGroups ? { groups: ourGroups } : {}) }, (s) => {
    const i = s.info;
    serverInfo = { group: i.group, hrr: i.helloRetryRequest, provider: i.provider, delegated: i.providerDelegated };
    s.on('data', (d: Buffer) => s.write(d));
    s.on('end', () => s.end());
    s.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const c = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername: 'localhost', ca, minVersion: 'TLSv1.3', ...(clientGroups ? { ecdhCurve: clientGroups } : {}) });
    await Promise.race([once(c, 'secureConnect'), once(c, 'error').then(([e]) => Promise.reject(e))]);
    c.write('ping');
    const [d] = (await once(c, 'data')) as [Buffer];
    const eph = c.getEphemeralKeyInfo() as { name?: string };
    c.end();
    return { ok: d.toString() === 'ping', peerGroup: eph.name, ...serverInfo };
  } catch (e) {
    return { ok: false, error: String(e) };
  } finally {
    server.close();
  }
}

async function interop(): Promise<void> {
  const ca = fs.readFileSync(String(opts.ca), 'utf8');
  const cert = fs.readFileSync(String(opts.cert), 'utf8');
  const key = fs.readFileSync(String(opts.key), 'utf8');
  const cases: Record<string, unknown>[] = [];
  for (const h of HYBRIDS) {
    cases.push({ case: `client ${h.name}`, ...(await ourClientToNode(ca, cert, key, h.name, [h.name])) });
    cases.push({ case: `server ${h.name}`, ...(await nodeClientToOurs(ca, cert, key, h.name, undefined)) });
  }
  cases.push({ case: 'client default', ...(await ourClientToNode(ca, cert, key, undefined, undefined)) });
  cases.push({ case: 'server default', ...(await nodeClientToOurs(ca, cert, key, undefined, undefined)) });
  cases.push({ case: 'server hrr', ...(await nodeClientToOurs(ca, cert, key, 'X25519:X25519MLKEM768', undefined)) });
  print({ mode: 'interop', node: process.version, cases });
}

async function bench(): Promise<void> {
  const cert = fs.readFileSync(String(opts.cert), 'utf8');
  const key = fs.readFileSync(String(opts.key), 'utf8');
  const ca = fs.readFileSync(String(opts.ca), 'utf8');
  const provider: CryptoProvider = opts.provider === 'native' ? nativeProvider : nobleProvider;
  const ms = Number(opts.ms ?? 1000);
  const groupsList = opts.groups as string[];
  const out: Record<string, number> = {};
  // Interleaved rounds, so every group sees the same machine load (the figures are ratios).
  const rounds = Number(opts.rounds ?? 3);
  const counts: Record<string, { n: number; t: number }> = {};
  for (let r = 0; r < rounds; r++) {
    for (const g of groupsList) {
      const end = performance.now() + ms / rounds;
      let n = 0;
      const t0 = performance.now();
      while (performance.now() < end) {
        const c = TlsConnection.client({ servername: 'localhost', ca, crypto: provider, groups: [g], sessionStore: false });
        const s = TlsConnection.server({ cert, key, crypto: provider, groups: [g], sessionTickets: 0 });
        await pump(c, s);
        if (!c.handshakeComplete || c.info.group !== g) throw new Error(`bench: handshake ${g} failed: ${String(c.error ?? s.error)}`);
        n++;
      }
      const e = (counts[g] ??= { n: 0, t: 0 });
      e.n += n;
      e.t += performance.now() - t0;
    }
  }
  for (const [g, { n, t }] of Object.entries(counts)) out[g] = (n * 1000) / t;
  print({ mode: 'bench', provider: provider.name, delegated: provider.delegated ?? [], node: process.version, handshakesPerSecond: out });
}

const run = mode === 'crosscheck' ? async () => crosscheck() : mode === 'interop' ? interop : mode === 'bench' ? bench : null;
if (!run) {
  print({ error: `unknown mode ${mode}` });
  process.exit(2);
}
run().then(
  () => process.exit(0),
  (e: unknown) => {
    print({ error: String(e instanceof Error ? e.stack : e) });
    process.exit(1);
  },
);
