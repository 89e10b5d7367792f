/**
 * Identity files as the system tools write them (made at test time, test/identity/fixtures.ts):
 * PKCS#12 from `openssl pkcs12 -export` (default and `-legacy`) and GnuTLS `certtool`,
 * encrypted PKCS#8, SEC1 and PKCS#1 PEM with and without the old `Proc-Type` encryption.
 * Each decoded key must be the very key the tools started from, under both providers (with
 * the legacy triple-DES refused by name under the pure one); a wrong passphrase, a truncated
 * or mutated file, and a hostile iteration count each give their own status, and nothing
 * about the key or the passphrase shows in any error.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { nativeProvider } from '../../src/crypto/native.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { decodePkcs12, decryptPrivateKey } from '../../src/identity/index.js';
import '../../src/identity/native.js';
import { rc2CbcDecrypt } from '../../src/identity/rc2.js';
import { MAX_KDF_ITERATIONS, pkcs12Derive, KdfBudget } from '../../src/identity/primitives.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { PASS, UNICODE_PASS, hasTool, makeIdentityFixtures, rewriteIntegers, toIndefiniteBer, type IdentityFixtures } from './fixtures.js';
import { berToDer } from '../../src/crypto/der.js';
import { writeFileSync } from 'node:fs';

const HAVE_OPENSSL = hasTool('openssl', ['version']);
if (!HAVE_OPENSSL) console.warn('openssl not found on PATH: skipping the identity file tests (their fixtures are made by it)');

const IDENTITY_STATUSES = ['WrongPassphrase', 'IdentityCorrupt', 'IdentityAlgorithmUnavailable', 'IdentityWorkLimit', 'InvalidConfig'];

/** The status of the TlsError `fn` throws; any other exception fails the test. */
function statusOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (!(e instanceof TlsError)) throw e;
    return e.status;
  }
}

function caught(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw e;
  }
  throw new Error('expected a TlsError');
}

/** Everything an error exposes, cause chain included, as one string. */
function everything(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message, cur.stack ?? '', JSON.stringify(cur), String(cur));
      if (cur instanceof TlsError) parts.push(cur.detail ?? '');
      cur = cur.cause;
    } else {
      parts.push(String(cur));
      break;
    }
  }
  return parts.join('\n');
}

/** Public key (SPKI) of a decoded key, via the provider's parser. */
function spkiOf(crypto: CryptoProvider, key: string | Uint8Array): string {
  return Buffer.from(crypto.parsePrivateKey(key).publicKey.spki).toString('hex');
}

const PROVIDERS: [string, CryptoProvider][] = [
  ['pure', nobleProvider],
  ['native', nativeProvider],
];

describe.runIf(HAVE_OPENSSL)('identity files made by openssl and certtool', () => {
  let fx: IdentityFixtures;
  beforeAll(() => {
    fx = makeIdentityFixtures();
  }, 120_000);
  afterAll(() => fx?.remove());

  describe.each(PROVIDERS)('PKCS#12 with the %s provider', (name, crypto) => {
    it.each(['ec', 'rsa'] as const)('%s: openssl pkcs12 -export (PBES2/AES-256-CBC, HMAC-SHA-256) gives the key, the leaf and the intermediate', (kind) => {
      const leaf = fx[kind];
      const r = decodePkcs12(leaf.p12.default!, PASS, crypto);
      expect(r.identities).toHaveLength(1);
      const id = r.identities[0]!;
      expect(Buffer.from(id.chain[0]!).equals(Buffer.from(leaf.certDer))).toBe(true);
      expect(id.chain).toHaveLength(2);
      expect(parseCertificate(id.chain[1]!).subject).toContain('intermediate');
      expect(spkiOf(crypto, id.key)).toBe(spkiOf(crypto, leaf.keyPem));
    });

    it.each(['ec', 'rsa'] as const)('%s: -legacy (3DES key bag, RC2-40 certificate bags, SHA-1 MAC) opens with native, is refused by name without it', (kind) => {
      const leaf = fx[kind];
      if (name === 'native') {
        const r = decodePkcs12(leaf.p12.legacy!, PASS, crypto);
        expect(r.identities).toHaveLength(1);
        expect(spkiOf(crypto, r.identities[0]!.key)).toBe(spkiOf(crypto, leaf.keyPem));
        expect(r.identities[0]!.chain).toHaveLength(2);
      } else {
        const e = caught(() => decodePkcs12(leaf.p12.legacy!, PASS, crypto));
        expect(e.status).toBe('IdentityAlgorithmUnavailable');
        expect(e.detail).toContain('DES-EDE3-CBC');
        expect(e.category).toBe('caller');
      }
    });

    it.each(['ec', 'rsa'] as const)('%s: RC2-40 certificate bags with an AES key bag open with either provider (RC2 is pure code)', (kind) => {
      const r = decodePkcs12(fx[kind].p12.mixed!, PASS, crypto);
      expect(r.identities).toHaveLength(1);
      expect(r.certificates).toHaveLength(2);
    });

    it('a file written with an empty password opens with passphrase undefined or ""', () => {
      for (const p of [undefined, '']) expect(decodePkcs12(fx.ec.p12.nopass!, p, crypto).identities).toHaveLength(1);
    });

    it('a non-ASCII password: BMPString for the MAC, UTF-8 for PBKDF2', () => {
      expect(decodePkcs12(fx.ec.p12.unicode!, UNICODE_PASS, crypto).identities).toHaveLength(1);
      expect(statusOf(() => decodePkcs12(fx.ec.p12.unicode!, 'passwörd-✓', crypto))).toBe('WrongPassphrase');
    });

    it('a wrong, missing or case-changed passphrase is WrongPassphrase', () => {
      for (const f of [fx.ec.p12.default!, fx.rsa.p12.legacy!]) {
        for (const p of ['Zebra-Quartz-92', PASS.toLowerCase(), '', undefined]) expect(statusOf(() => decodePkcs12(f, p, crypto))).toBe('WrongPassphrase');
      }
    });
  });

  it('BER as NSS and Windows write it (indefinite lengths, segmented OCTET STRINGs) opens too; OpenSSL agrees it is the same file', () => {
    for (const f of [fx.ec.p12.default!, fx.rsa.p12.mixed!]) {
      const ber = toIndefiniteBer(f);
      expect(Buffer.from(ber).equals(Buffer.from(f))).toBe(false);
      expect(Buffer.from(berToDer(ber, 'IdentityCorrupt')).equals(Buffer.from(f))).toBe(true);
      const r = decodePkcs12(ber, PASS, nobleProvider);
      expect(r.identities).toHaveLength(1);
      expect(statusOf(() => decodePkcs12(ber, 'wrong', nobleProvider))).toBe('WrongPassphrase');
    }
    // OpenSSL reads the BER form as well (the transform is faithful).
    writeFileSync(`${fx.dir}/ber.p12`, toIndefiniteBer(fx.ec.p12.default!));
    const info = execFileSync('openssl', ['pkcs12', '-in', `${fx.dir}/ber.p12`, '-passin', `pass:${PASS}`, '-nokeys', '-clcerts'], { encoding: 'utf8' });
    expect(info).toContain('BEGIN CERTIFICATE');
    // Truncated or unterminated BER is IdentityCorrupt.
    const ber = toIndefiniteBer(fx.ec.p12.default!);
    for (const n of [2, 10, ber.length - 1, ber.length - 2]) expect(statusOf(() => decodePkcs12(ber.subarray(0, n), PASS, nobleProvider))).toBe('IdentityCorrupt');
    // Nesting is bounded.
    const deep = Uint8Array.from([...Array<number>(100).fill(0).flatMap(() => [0x30, 0x80]), ...Array<number>(200).fill(0)]);
    expect(statusOf(() => decodePkcs12(deep, PASS, nobleProvider))).toBe('IdentityCorrupt');
  });

  it('GnuTLS certtool --to-p12 (PBES2/AES-128-CBC, 600,000 iterations) opens with the native provider', () => {
    if (!fx.gnutls) {
      console.warn('certtool not found: skipping the GnuTLS PKCS#12 check');
      return;
    }
    const r = decodePkcs12(fx.gnutls, PASS, nativeProvider);
    expect(r.identities).toHaveLength(1);
    expect(spkiOf(nativeProvider, r.identities[0]!.key)).toBe(spkiOf(nativeProvider, fx.ec.keyPem));
    expect(r.identities[0]!.chain).toHaveLength(2);
  });

  describe.each(PROVIDERS)('encrypted and legacy keys with the %s provider', (name, crypto) => {
    const cases: [kind: 'ec' | 'rsa', file: string, needsNative: boolean][] = [
      ['ec', 'pbes2-aes256-sha256.pem', false],
      ['rsa', 'pbes2-aes256-sha256.pem', false],
      ['ec', 'pbes2-aes128-sha1.pem', false],
      ['ec', 'pbes2-aes256-sha256.der', false],
      ['ec', 'scrypt.pem', false],
      ['ec', 'pbes2-des3.pem', true],
      ['rsa', 'pkcs12-3des.pem', true],
      ['ec', 'sec1.pem', false],
      ['ec', 'sec1-aes256.pem', false],
      ['ec', 'sec1-des3.pem', true],
      ['rsa', 'pkcs1.pem', false],
      ['rsa', 'pkcs1-aes128.pem', false],
      ['rsa', 'pkcs1-des3.pem', true],
    ];
    it.each(cases)('%s %s opens to the same key (or is refused by name without native DES)', (kind, file, needsNative) => {
      const leaf = fx[kind];
      const input = leaf.keys[file]!;
      if (needsNative && name === 'pure') {
        const e = caught(() => decryptPrivateKey(input, PASS, crypto));
        expect(e.status).toBe('IdentityAlgorithmUnavailable');
        expect(e.detail).toContain('DES-EDE3-CBC');
        return;
      }
      expect(spkiOf(crypto, decryptPrivateKey(input, PASS, crypto))).toBe(spkiOf(crypto, leaf.keyPem));
      if (file.includes('aes') || file.includes('des') || file.includes('scrypt')) {
        expect(statusOf(() => decryptPrivateKey(input, 'Zebra-Quartz-92', crypto))).toBe('WrongPassphrase');
        expect(statusOf(() => decryptPrivateKey(input, undefined, crypto))).toBe('WrongPassphrase');
      }
    });
  });

  it('a key that is not encrypted comes back unchanged, whatever the passphrase', () => {
    expect(decryptPrivateKey(fx.ec.keyPem, PASS, nobleProvider)).toBe(fx.ec.keyPem);
    expect(decryptPrivateKey(fx.rsa.keys['pkcs1.pem']!, undefined, nobleProvider)).toBe(fx.rsa.keys['pkcs1.pem']);
  });

  describe('nothing about the key or the passphrase appears in an error', () => {
    it('wrong passphrases, truncations and algorithm refusals carry neither the passphrases tried nor key material', () => {
      const tried = 'Tried-Secret-Walrus-77';
      const keyDer = Buffer.from(decodePkcs12(fx.ec.p12.default!, PASS, nobleProvider).identities[0]!.key);
      // 12-byte windows of the key in hex and base64 (any slice of it would be a leak).
      const needles = [PASS, tried, UNICODE_PASS];
      for (let i = 0; i + 12 <= keyDer.length; i += 12) {
        needles.push(keyDer.subarray(i, i + 12).toString('hex'), keyDer.subarray(i, i + 12).toString('base64'));
      }
      const errors: TlsError[] = [
        caught(() => decodePkcs12(fx.ec.p12.default!, tried, nobleProvider)),
        caught(() => decodePkcs12(fx.ec.p12.legacy!, PASS, nobleProvider)),
        caught(() => decodePkcs12(fx.ec.p12.default!.subarray(0, 700), PASS, nobleProvider)),
        caught(() => decryptPrivateKey(fx.ec.keys['pbes2-aes256-sha256.pem']!, tried, nobleProvider)),
        caught(() => decryptPrivateKey(fx.ec.keys['sec1-aes256.pem']!, tried, nobleProvider)),
        caught(() => decryptPrivateKey(fx.ec.keys['sec1-des3.pem']!, tried, nativeProvider)),
        caught(() => decryptPrivateKey(fx.ec.keys['scrypt.pem']!, tried, nobleProvider)),
      ];
      for (const e of errors) {
        const text = everything(e);
        for (const n of needles) expect(text.includes(n), `${e.status} shows ${n}`).toBe(false);
      }
    });
  });

  describe('hostile and damaged files', () => {
    it('2^31-1 iterations (MAC, PBKDF2) or a huge scrypt N fail at once with IdentityWorkLimit', () => {
      const big = 2n ** 31n - 1n;
      const t0 = performance.now();
      const hostileP12 = rewriteIntegers(fx.ec.p12.default!, 2048n, big);
      expect(statusOf(() => decodePkcs12(hostileP12, PASS, nobleProvider))).toBe('IdentityWorkLimit');
      const k8 = Buffer.from(fx.ec.keys['pbes2-aes256-sha256.der'] as Uint8Array);
      expect(statusOf(() => decryptPrivateKey(rewriteIntegers(k8, 2048n, big), PASS, nobleProvider))).toBe('IdentityWorkLimit');
      expect(statusOf(() => decryptPrivateKey(rewriteIntegers(k8, 2048n, BigInt(MAX_KDF_ITERATIONS + 1)), PASS, nobleProvider))).toBe('IdentityWorkLimit');
      // scrypt N = 2^14 in openssl's output; 2^30 would need 128 GiB.
      const sc = Buffer.from(execFileSync('openssl', ['pkcs8', '-topk8', '-scrypt', '-in', `${fx.dir}/ec.key`, '-passout', `pass:${PASS}`, '-outform', 'DER']));
      expect(statusOf(() => decryptPrivateKey(rewriteIntegers(sc, 16384n, 2n ** 30n), PASS, nobleProvider))).toBe('IdentityWorkLimit');
      expect(performance.now() - t0).toBeLessThan(5000);
    });

    it('the per-file budget counts every derivation: many at the per-derivation maximum are refused', () => {
      const budget = new KdfBudget();
      expect(() => budget.spend(MAX_KDF_ITERATIONS, 'x')).not.toThrow();
      expect(() => budget.spend(MAX_KDF_ITERATIONS, 'x')).not.toThrow();
      expect(() => budget.spend(MAX_KDF_ITERATIONS, 'x')).not.toThrow();
      expect(caught(() => budget.spend(1, 'x')).status).toBe('IdentityWorkLimit');
      expect(caught(() => pkcs12Derive('sha1', 3, new Uint8Array(2), new Uint8Array(8), 0, 20, new KdfBudget())).status).toBe('IdentityCorrupt');
    });

    it('every truncation of a PKCS#12 file is a TlsError (IdentityCorrupt before any password work)', () => {
      const f = fx.rsa.p12.default!;
      for (let n = 0; n < f.length; n += Math.max(1, Math.floor(f.length / 150))) {
        const s = statusOf(() => decodePkcs12(f.subarray(0, n), PASS, nobleProvider));
        expect(s, `prefix ${n}`).toBe('IdentityCorrupt');
      }
    });

    it('fast-check: mutated PKCS#12 files and encrypted keys give a TlsError with an identity status, never another exception', () => {
      const files: Uint8Array[] = [fx.ec.p12.default!, fx.ec.p12.mixed!, fx.ec.p12.nopass!, Buffer.from(fx.ec.keys['pbes2-aes256-sha256.der'] as Uint8Array)];
      fc.assert(
        fc.property(
          fc.nat(files.length - 1),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'set', 'cut', 'insert')), { minLength: 1, maxLength: 4 }),
          (which, edits) => {
            let b = Uint8Array.from(files[which]!);
            for (const [pos, v, op] of edits) {
              const at = pos % Math.max(1, b.length);
              if (op === 'flip') b[at] = b[at]! ^ (1 << (v % 8));
              else if (op === 'set') b[at] = v;
              else if (op === 'cut') b = b.subarray(0, at);
              else b = Uint8Array.from([...b.subarray(0, at), v, ...b.subarray(at)]);
            }
            const s = which === 3 ? statusOf(() => decryptPrivateKey(b, PASS, nobleProvider)) : statusOf(() => decodePkcs12(b, which === 2 ? undefined : PASS, nobleProvider));
            // A mutation can leave a file that still opens (a byte the MAC does not cover, such as the MAC salt's own tag... rarely): then it must still be a key.
            if (s !== 'ok') expect(IDENTITY_STATUSES).toContain(s);
          },
        ),
        { numRuns: 150, seed: 0x1d3 },
      );
    });

    it('random bytes are IdentityCorrupt', () => {
      for (let i = 0; i < 50; i++) {
        const b = randomBytes(1 + (i * 37) % 900);
        expect(IDENTITY_STATUSES).toContain(statusOf(() => decodePkcs12(b, PASS, nobleProvider)));
      }
    });
  });

  it('RC2-CBC matches OpenSSL (its legacy provider) on random keys for 40, 64 and 128 effective bits', () => {
    let legacy = true;
    try {
      execFileSync('openssl', ['enc', '-rc2-40-cbc', '-provider', 'legacy', '-provider', 'default', '-K', '0011223344', '-iv', '0011223344556677', '-nopad'], { input: Buffer.alloc(8), stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      legacy = false;
    }
    if (!legacy) {
      console.warn("openssl's legacy provider is absent: skipping the RC2 cross-check (the -legacy PKCS#12 files above still exercise RC2-40)");
      return;
    }
    for (const [alg, bytes, bits] of [['rc2-40-cbc', 5, 40], ['rc2-64-cbc', 8, 64], ['rc2-cbc', 16, 128]] as const) {
      for (let i = 0; i < 4; i++) {
        const key = randomBytes(bytes);
        const iv = randomBytes(8);
        const plain = randomBytes(8 * (1 + i));
        const ct = execFileSync('openssl', ['enc', `-${alg}`, '-provider', 'legacy', '-provider', 'default', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-nopad'], { input: plain });
        expect(Buffer.from(rc2CbcDecrypt(key, bits, iv, ct)).equals(plain), `${alg} #${i}`).toBe(true);
      }
    }
  });
});
