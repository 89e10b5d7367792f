/**
 * Not a test: the bulk figure of the webcrypto provider against the pure one (issue 9 target
 * "webcrypto bulk AES-128-GCM ≥ 2× the pure provider"). Client and server in one process,
 * TLS 1.3 TLS_AES_128_GCM_SHA256, 16 KiB writes, interleaved rounds; prints MB per CPU-second
 * and per wall-second (payload bytes moved client → server, both sides' crypto counted).
 *
 *   npx vite-node test/async/bulk-figure.ts
 */
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { webcryptoProvider } from '../../src/crypto/webcrypto.js';
import { generateTestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';

const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
const TOTAL = 16 * 1024 * 1024;
const CHUNK = 16 * 1024;

async function once(crypto: CryptoProvider): Promise<{ cpu: number; wall: number }> {
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto, cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto });
  await pump(c, s);
  const chunk = new Uint8Array(CHUNK).fill(1);
  const t0 = performance.now();
  const u0 = process.cpuUsage();
  let got = 0;
  for (let sent = 0; sent < TOTAL; sent += CHUNK * 16) {
    for (let i = 0; i < 16; i++) c.write(chunk);
    await c.settled();
    const out = c.takeOutput()!;
    for (let off = 0; off < out.length; ) {
      off += s.receive(out.subarray(off));
      await s.process();
      got += readAll(s).length;
    }
  }
  const u = process.cpuUsage(u0);
  const wall = performance.now() - t0;
  if (got !== TOTAL) throw new Error(`moved ${got} of ${TOTAL}`);
  return { cpu: (u.user + u.system) / 1000, wall };
}

const providers: [string, CryptoProvider][] = [
  ['pure', nobleProvider],
  ['webcrypto', webcryptoProvider()],
];
const results: Record<string, { cpu: number[]; wall: number[] }> = { pure: { cpu: [], wall: [] }, webcrypto: { cpu: [], wall: [] } };
for (const [, p] of providers) await once(p); // warm-up
for (let round = 0; round < 5; round++) {
  for (const [name, p] of providers) {
    const r = await once(p);
    results[name]!.cpu.push(r.cpu);
    results[name]!.wall.push(r.wall);
  }
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const mb = TOTAL / 1e6;
for (const [name] of providers) {
  const r = results[name]!;
  console.log(`${name.padEnd(10)} MB/CPU-s ${(mb / (median(r.cpu) / 1000)).toFixed(1).padStart(7)} (min..max ${(mb / (Math.max(...r.cpu) / 1000)).toFixed(1)}..${(mb / (Math.min(...r.cpu) / 1000)).toFixed(1)})   MB/wall-s ${(mb / (median(r.wall) / 1000)).toFixed(1).padStart(7)}`);
}

// Full TLS 1.3 handshakes (ECDSA P-256, x25519), client and server in this process: CPU ms per pair.
async function handshakes(crypto: CryptoProvider, n: number): Promise<number> {
  const u0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto });
    await pump(c, s);
    if (!c.handshakeComplete || !s.handshakeComplete) throw new Error('handshake failed');
  }
  const u = process.cpuUsage(u0);
  return (u.user + u.system) / 1000 / n;
}
const hs: Record<string, number[]> = { pure: [], webcrypto: [] };
for (const [, p] of providers) await handshakes(p, 5);
for (let round = 0; round < 5; round++) for (const [name, p] of providers) hs[name]!.push(await handshakes(p, 20));
for (const [name] of providers) console.log(`${name.padEnd(10)} TLS 1.3 ECDSA P-256 handshake, CPU ms per client+server pair: ${median(hs[name]!).toFixed(2)} (min..max ${Math.min(...hs[name]!).toFixed(2)}..${Math.max(...hs[name]!).toFixed(2)})`);
