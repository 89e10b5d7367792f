// Transcribes the ML-KEM vectors used by test/pq/kat.test.ts from a checkout of C2SP/CCTV
// (https://c2sp.org/CCTV/ML-KEM, CC0 1.0) into vectors/pq/:
//   node vectors/pq/extract-cctv.mjs /path/to/CCTV [commit]
// - ML-KEM/intermediate/ML-KEM-{768,1024}.txt: the first value of d, z, ek, dk, m, K, c
//   (the seed, the keys, one encapsulation) into cctv-mlkem-intermediate.json;
// - ML-KEM/modulus/ML-KEM-{768,1024}.txt.gz: encapsulation keys failing the FIPS 203 §7.2
//   modulus check (every value q..4095 and every position), copied as they are.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [repo, commit = 'HEAD'] = process.argv.slice(2);
if (!repo) throw new Error('usage: extract-cctv.mjs CCTV-CHECKOUT [commit]');
const here = path.dirname(new URL(import.meta.url).pathname);
const show = (p) => execFileSync('git', ['-C', repo, 'show', `${commit}:${p}`], { maxBuffer: 1 << 26 });
const rev = execFileSync('git', ['-C', repo, 'rev-parse', commit], { encoding: 'utf8' }).trim();

const out = {
  source: `C2SP/CCTV commit ${rev}, ML-KEM/intermediate/ML-KEM-768.txt and ML-KEM-1024.txt (https://c2sp.org/CCTV/ML-KEM), CC0 1.0; first occurrence of each name`,
  note: 'd, z: the ML-KEM.KeyGen seed (FIPS 203 Algorithm 19); ek, dk: its keys; m: the ML-KEM.Encaps randomness (Algorithm 20); c, K: the ciphertext and shared key',
  vectors: {},
};
for (const kem of ['ML-KEM-768', 'ML-KEM-1024']) {
  const want = new Set(['d', 'z', 'ek', 'dk', 'm', 'K', 'c']);
  const v = {};
  for (const line of show(`ML-KEM/intermediate/${kem}.txt`).toString('utf8').split('\n')) {
    const i = line.indexOf(' = ');
    if (i < 0) continue;
    const k = line.slice(0, i);
    if (want.has(k) && !(k in v)) v[k] = line.slice(i + 3).trim();
  }
  for (const k of want) if (!(k in v)) throw new Error(`${kem}: ${k} missing`);
  out.vectors[kem] = v;
  fs.writeFileSync(path.join(here, `cctv-mlkem-modulus-${kem}.txt.gz`), show(`ML-KEM/modulus/${kem}.txt.gz`));
}
fs.writeFileSync(path.join(here, 'cctv-mlkem-intermediate.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`wrote vectors/pq from ${rev}`);
