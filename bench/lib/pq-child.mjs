// Run by bench/lib/pq.mjs under Node 26 (OpenSSL 3.5: ML-KEM in node:crypto and in TLS):
// the same in-memory measurement as in the parent (bench/lib/pq-core.mjs), with the native
// provider's node:crypto ML-KEM and Node 26's own `tls` as a reference. Prints one JSON line.
//   node bench/lib/pq-child.mjs '{"dist":DIR,"rounds":N,"warmup":N,"batchMs":N}'
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { measureGroups } from './pq-core.mjs';

const o = JSON.parse(process.argv[2] ?? '{}');
const dist = (rel) => pathToFileURL(resolve(o.dist, rel)).href;
const lib = await import(dist('index.js'));
await import(dist('native.js'));
const testing = await import(dist('testing/index.js'));
const pki = await testing.generateTestPki({ keyType: 'ecdsa-p256' });
const results = await measureGroups({ lib, pki, providers: [{ name: 'pure', option: 'pure' }, { name: 'native', option: 'native' }], rounds: o.rounds, warmup: o.warmup, batchMs: o.batchMs });
process.stdout.write(`${JSON.stringify({ node: process.version, openssl: process.versions.openssl, results })}\n`);
