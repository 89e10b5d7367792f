/**
 * Adversarial campaign 5: HOSTILE INPUT FILES against the identity loaders (PKCS#12 with
 * PBES2 / scrypt, encrypted PKCS#8, PEM): files built here byte by byte, each to make the
 * loader spend unbounded time, accept a key that is not the certificate's, or fail with
 * something other than a TlsError with an identity status. (test/identity/decode.test.ts has
 * the files real tools write, iteration counts of 2^31 and mutated files; not repeated here.)
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { scrypt } from '@noble/hashes/scrypt.js';
import { cbc } from '@noble/ciphers/aes.js';
import { createServerConfig } from '../../src/engine/setup.js';
import { TlsError } from '../../src/base/errors.js';
import { decodePkcs12, decryptPrivateKey, MAX_KDF_WORK, SCRYPT_LIMITS } from '../../src/identity/index.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { pemDecode, pemEncode } from '../../src/crypto/pem.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
let other: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  other = await generateTestPki({ keyType: 'ecdsa-p256' });
});

// ------------------------------------------------------------------ a small DER writer

const cat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const lengthOf = (n: number): number[] => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => {
  const c = cat(content);
  return cat([new Uint8Array([tag, ...lengthOf(c.length)]), c]);
};
const seq = (...c: Uint8Array[]): Uint8Array => tlv(0x30, ...c);
const set = (...c: Uint8Array[]): Uint8Array => tlv(0x31, ...c);
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
const explicit0 = (...c: Uint8Array[]): Uint8Array => tlv(0xa0, ...c);
const integer = (n: number): Uint8Array => {
  const bytes: number[] = [];
  let x = n;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
};
const oid = (dotted: string): Uint8Array => {
  const p = dotted.split('.').map(Number);
  const out = [40 * p[0]! + p[1]!];
  for (const v of p.slice(2)) {
    const b = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) b.unshift((x & 0x7f) | 0x80);
    out.push(...b);
  }
  return tlv(0x06, new Uint8Array(out));
};

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  scrypt: '1.3.6.1.4.1.11591.4.11',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
};

/** PBES2 with scrypt (RFC 7914 §7) and AES-256-CBC, as an AlgorithmIdentifier. */
function scryptAlg(salt: Uint8Array, n: number, r: number, p: number, iv: Uint8Array): Uint8Array {
  return seq(oid(OID.pbes2), seq(seq(oid(OID.scrypt), seq(octets(salt), integer(n), integer(r), integer(p))), seq(oid(OID.aes256cbc), octets(iv))));
}

/** An EncryptedPrivateKeyInfo whose scrypt parameters are `n`, `r`, `p` (its ciphertext is junk: the KDF runs first). */
function scryptKeyFile(n: number, r: number, p: number): Uint8Array {
  return seq(scryptAlg(new Uint8Array(8), n, r, p, new Uint8Array(16)), octets(new Uint8Array(32)));
}

/** A data ContentInfo holding `content`. */
const dataInfo = (content: Uint8Array): Uint8Array => seq(oid(OID.data), explicit0(octets(content)));

/** A PFX (RFC 7292 §4) without a MAC around the given AuthenticatedSafe ContentInfos. */
const pfx = (...infos: Uint8Array[]): Uint8Array => seq(integer(3), dataInfo(seq(...infos)));

/** A SafeBag with a localKeyId attribute. */
const bag = (type: string, value: Uint8Array, keyId: Uint8Array): Uint8Array => seq(oid(type), explicit0(value), set(seq(oid(OID.localKeyId), set(octets(keyId)))));

const derOf = (pem: string): Uint8Array => pemDecode(pem)[0]!.der;

function thrown(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TlsError) return e;
    throw new Error(`expected a TlsError, got ${String((e as Error)?.stack ?? e)}`);
  }
  throw new Error('expected a TlsError, nothing was thrown');
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

describe('campaign5: scrypt work is bounded like PBKDF2 iterations', () => {
  it('one encrypted key at the old memory bound but 2^25 work (N=2^16, r=32, p=16: 15 s of pure JavaScript before) fails at once with IdentityWorkLimit', () => {
    for (const [n, r, p] of [
      [1 << 16, 32, 16],
      [1 << 20, 2, 16],
      [1 << 18, 8, 4],
    ] as const) {
      expect(128 * n * r).toBeLessThanOrEqual(SCRYPT_LIMITS.maxMemory);
      const { value: e, ms } = timed(() => thrown(() => decryptPrivateKey(scryptKeyFile(n, r, p), 'x', nobleProvider)));
      expect(e.status).toBe('IdentityWorkLimit');
      expect(e.detail).toMatch(/scrypt: .* work limit/);
      expect(ms).toBeLessThan(500);
    }
  });

  it('what openssl pkcs8 -scrypt writes (N=2^14, r=8, p=1) still derives (and the junk ciphertext is a wrong passphrase)', () => {
    expect(thrown(() => decryptPrivateKey(scryptKeyFile(1 << 14, 8, 1), 'x', nobleProvider)).status).toBe('WrongPassphrase');
  });

  it(
    'a PKCS#12 of eight scrypt parts, each at the per-derivation maximum and each opening with the empty password: the file budget stops it (before: no budget, all eight derived)',
    () => {
      // A hostile file that really opens: each part is an empty SafeContents under the same key.
      const [n, r, p] = [1 << 15, 8, 16];
      expect(n * r * p).toBe(SCRYPT_LIMITS.maxWork);
      const salt = new Uint8Array(8).fill(7);
      const iv = new Uint8Array(16).fill(9);
      const key = scrypt(new Uint8Array(0), salt, { N: n, r, p, dkLen: 32, maxmem: 2 ** 28 });
      const ciphertext = cbc(key, iv).encrypt(seq());
      const part = seq(oid(OID.encryptedData), explicit0(seq(integer(0), seq(oid(OID.data), scryptAlg(salt, n, r, p, iv), tlv(0x80, ciphertext)))));
      const single = decodePkcs12(pfx(part), '', nobleProvider);
      expect(single.certificates).toEqual([]);
      const { value: e, ms } = timed(() => thrown(() => decodePkcs12(pfx(...Array.from({ length: 8 }, () => part)), '', nobleProvider)));
      expect(e.status).toBe('IdentityWorkLimit');
      expect(e.detail).toMatch(new RegExp(`exceed ${MAX_KDF_WORK} iterations`));
      // Five parts fit the budget (5 · 2^22 / 8 ≤ 3,000,000), the sixth does not.
      expect(ms).toBeLessThan(30_000);
    },
    120_000,
  );
});

describe('campaign5: PKCS#12 files that lie about their contents', () => {
  it('a key bag whose localKeyId names a certificate of another key: InvalidConfig "does not match", never an identity that cannot sign', () => {
    const keyId = new Uint8Array([1, 2, 3, 4]);
    const file = pfx(dataInfo(seq(bag(OID.keyBag, derOf(other.keyPem), keyId), bag(OID.certBag, seq(oid(OID.x509), explicit0(octets(derOf(pki.chainPem)))), keyId))));
    const e = thrown(() => createServerConfig({ pfx: file }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/does not match the leaf certificate/);
    // The same file with the right key is an identity.
    const good = pfx(dataInfo(seq(bag(OID.keyBag, derOf(pki.keyPem), keyId), bag(OID.certBag, seq(oid(OID.x509), explicit0(octets(derOf(pki.chainPem)))), keyId))));
    expect(() => createServerConfig({ pfx: good })).not.toThrow();
  });

  it('a file of 500,000 nested indefinite-length SEQUENCEs (1 MB, BER) is IdentityCorrupt, without recursion running out of stack', () => {
    const depth = 500_000;
    const file = new Uint8Array(depth * 4);
    for (let i = 0; i < depth; i++) file.set([0x30, 0x80], 2 * i);
    const e = thrown(() => decodePkcs12(file, '', nobleProvider));
    expect(e.status).toBe('IdentityCorrupt');
  });

  it('PEM text given as pfx (a .p12 that is really PEM): IdentityCorrupt saying so, not "base64: invalid character at offset 0" or a BER error', () => {
    for (const input of [pki.chainPem + pki.keyPem, new TextEncoder().encode(`Bag Attributes\n${pki.chainPem}`)]) {
      const e = thrown(() => createServerConfig({ pfx: input }));
      expect(e.status).toBe('IdentityCorrupt');
      expect(e.detail).toMatch(/PEM text, not a PKCS#12 file/);
    }
  });

  it('a { buf, passphrase } whose passphrase is not a string is InvalidConfig naming it (was: 1234 tried as "1234")', () => {
    const e = thrown(() => createServerConfig({ pfx: [{ buf: new Uint8Array([0x30, 0]), passphrase: 1234 as unknown as string }] }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/pfx\[0\]: the passphrase must be a string/);
  });
});

describe('campaign5: keys and certificates swapped, doubled or mixed (found clean; kept as regressions)', () => {
  it('cert and key swapped, a key file holding two keys (the wrong one first), a certificate file holding the key too', () => {
    const swapped = thrown(() => createServerConfig({ cert: pki.keyPem, key: pki.chainPem }));
    expect(swapped.status).toBe('InvalidConfig');
    expect(swapped.detail).toMatch(/no certificate found/);
    const twoKeys = thrown(() => createServerConfig({ cert: pki.chainPem, key: other.keyPem + pki.keyPem }));
    expect(twoKeys.detail).toMatch(/does not match the leaf certificate/);
    expect(() => createServerConfig({ cert: pki.chainPem + pki.keyPem, key: pki.chainPem + pki.keyPem })).not.toThrow();
  });

  it('an encrypted PKCS#8 key without a passphrase is WrongPassphrase saying none was given', () => {
    const e = thrown(() => createServerConfig({ cert: pki.chainPem, key: pemEncode('ENCRYPTED PRIVATE KEY', scryptKeyFile(1 << 14, 8, 1)) }));
    expect(e.status).toBe('WrongPassphrase');
    expect(e.detail).toMatch(/no passphrase was given/);
  });
});
