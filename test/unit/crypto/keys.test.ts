import { describe, it, expect } from 'vitest';
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKey, rsaPssKeyParams, ecSpki } from '../../../src/crypto/keys.js';
import { derBitString, derNull, derOid, derSequence, derUnsignedInteger } from '../../../src/crypto/der.js';
import { pemEncode } from '../../../src/crypto/pem.js';
import { thrownStatus } from '../../helpers/tls-error.js';

// @types/node declares RSA-PSS keygen saltLength as a string; node wants a number.
const SALT_32 = 32 as unknown as string;
const u8 = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.length);

interface Pair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

// Generated once per file (RSA keygen is the slow part).
const keys: Record<string, Pair> = {
  p256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ed25519: generateKeyPairSync('ed25519'),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  pss: generateKeyPairSync('rsa-pss', { modulusLength: 2048 }),
  pss256: generateKeyPairSync('rsa-pss', { modulusLength: 2048, hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: SALT_32 }),
};

const spkiOf = (p: Pair) => u8(p.publicKey.export({ type: 'spki', format: 'der' }));

describe('parsePublicKey', () => {
  it.each([
    ['p256', 'ec-p256', 65],
    ['p384', 'ec-p384', 97],
    ['ed25519', 'ed25519', 32],
  ])('decodes a node %s SPKI', (name, type, rawLen) => {
    const pair = keys[name]!;
    const k = parsePublicKey(spkiOf(pair));
    expect(k.type).toBe(type);
    expect(k.raw!.length).toBe(rawLen);
    expect(Buffer.from(k.spki).equals(Buffer.from(spkiOf(pair)))).toBe(true);
    const jwk = pair.publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    if (type === 'ed25519') expect(Buffer.from(k.raw!).equals(x)).toBe(true);
    else expect(Buffer.from(k.raw!.subarray(1, 1 + x.length)).equals(x)).toBe(true);
  });

  it.each([
    ['rsa', 'rsa'],
    ['pss', 'rsa-pss'],
    ['pss256', 'rsa-pss'],
  ])('decodes a node %s SPKI with n, e and bits', (name, type) => {
    const pair = keys[name]!;
    const k = parsePublicKey(spkiOf(pair));
    expect(k.type).toBe(type);
    if (type === 'rsa') {
      const jwk = pair.publicKey.export({ format: 'jwk' });
      expect(k.n).toBe(BigInt('0x' + Buffer.from(jwk.n!, 'base64url').toString('hex')));
    } else {
      // node has no JWK for RSA-PSS keys; n is checked by verifying node's signatures in sig.test.ts.
      expect(k.n).toBe(parsePrivateKey(pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string).rsa!.n);
    }
    expect(k.e).toBe(pair.publicKey.asymmetricKeyDetails!.publicExponent);
    expect(k.bits).toBe(2048);
  });

  it('reads RSASSA-PSS parameter restrictions', () => {
    expect(rsaPssKeyParams(spkiOf(keys.pss!))).toBeNull();
    expect(rsaPssKeyParams(spkiOf(keys.pss256!))).toEqual({ hash: 'sha256', saltLength: 32 });
    expect(rsaPssKeyParams(spkiOf(keys.rsa!))).toBeNull();
  });

  it('accepts a compressed EC point and returns it uncompressed', () => {
    const full = parsePublicKey(spkiOf(keys.p256!));
    const raw = full.raw!;
    const compressed = new Uint8Array(33);
    compressed[0] = 2 + (raw[64]! & 1);
    compressed.set(raw.subarray(1, 33), 1);
    const k = parsePublicKey(ecSpki('ec-p256', compressed));
    expect(Buffer.from(k.raw!).equals(Buffer.from(raw))).toBe(true);
  });

  it('refuses unknown algorithms and curves with CertificateUnsupported', () => {
    const x448 = u8(generateKeyPairSync('x448').publicKey.export({ type: 'spki', format: 'der' }));
    expect(thrownStatus(() => parsePublicKey(x448))).toBe('CertificateUnsupported');
    const p521 = u8(generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey.export({ type: 'spki', format: 'der' }));
    expect(thrownStatus(() => parsePublicKey(p521))).toBe('CertificateUnsupported');
    const k1 = u8(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ type: 'spki', format: 'der' }));
    expect(thrownStatus(() => parsePublicKey(k1))).toBe('CertificateUnsupported');
    const dsaLike = derSequence(derSequence(derOid('1.2.840.10040.4.1')), derBitString(Uint8Array.of(2, 1, 1)));
    expect(thrownStatus(() => parsePublicKey(dsaLike))).toBe('CertificateUnsupported');
  });

  it('refuses RSA moduli below 1024 bits with CertificateUnsupported', () => {
    const n = (1n << 1000n) + 1n; // odd, 1001 bits
    const spki = derSequence(
      derSequence(derOid('1.2.840.113549.1.1.1'), derNull()),
      derBitString(derSequence(derUnsignedInteger(n), derUnsignedInteger(65537n))),
    );
    expect(thrownStatus(() => parsePublicKey(spki))).toBe('CertificateUnsupported');
  });

  it('refuses corrupt SPKIs with CertificateOtherErrors', () => {
    const good = spkiOf(keys.p256!);
    // Point off the curve: flip a bit of y.
    const offCurve = good.slice();
    offCurve[offCurve.length - 1]! ^= 1;
    expect(thrownStatus(() => parsePublicKey(offCurve))).toBe('CertificateOtherErrors');
    // Truncated, trailing data, wrong outer tag.
    expect(thrownStatus(() => parsePublicKey(good.subarray(0, good.length - 1)))).toBe('CertificateOtherErrors');
    expect(thrownStatus(() => parsePublicKey(Uint8Array.from([...good, 0])))).toBe('CertificateOtherErrors');
    expect(thrownStatus(() => parsePublicKey(new Uint8Array(0)))).toBe('CertificateOtherErrors');
    expect(thrownStatus(() => parsePublicKey(Uint8Array.of(0x31, 0)))).toBe('CertificateOtherErrors');
    // Infinity (single 0x00) and a wrong-length Ed25519 key.
    expect(thrownStatus(() => parsePublicKey(ecSpki('ec-p256', Uint8Array.of(0))))).toBe('CertificateOtherErrors');
    const ed = spkiOf(keys.ed25519!);
    const edShort = derSequence(derSequence(derOid('1.3.101.112')), derBitString(ed.subarray(ed.length - 31)));
    expect(thrownStatus(() => parsePublicKey(edShort))).toBe('CertificateOtherErrors');
    // RSA without NULL parameters, even modulus.
    const rsaNoNull = derSequence(
      derSequence(derOid('1.2.840.113549.1.1.1')),
      derBitString(derSequence(derUnsignedInteger((1n << 2047n) + 1n), derUnsignedInteger(65537n))),
    );
    expect(thrownStatus(() => parsePublicKey(rsaNoNull))).toBe('CertificateOtherErrors');
    const rsaEven = derSequence(
      derSequence(derOid('1.2.840.113549.1.1.1'), derNull()),
      derBitString(derSequence(derUnsignedInteger(1n << 2047n), derUnsignedInteger(65537n))),
    );
    expect(thrownStatus(() => parsePublicKey(rsaEven))).toBe('CertificateOtherErrors');
  });

  it('throws only TlsError for every truncation and single-byte mutation of a real SPKI', () => {
    for (const name of ['p256', 'ed25519', 'rsa', 'pss256']) {
      const spki = spkiOf(keys[name]!);
      for (let i = 0; i < spki.length; i++) {
        const s1 = thrownStatus(() => parsePublicKey(spki.subarray(0, i)));
        expect(s1 === 'CertificateOtherErrors' || s1 === 'CertificateUnsupported').toBe(true);
        const m = spki.slice();
        m[i]! ^= 0x41;
        const s2 = thrownStatus(() => parsePublicKey(m));
        expect(s2 === undefined || s2 === 'CertificateOtherErrors' || s2 === 'CertificateUnsupported').toBe(true);
      }
    }
  });
});

describe('parsePrivateKey', () => {
  const forms: [string, string, KeyObject, 'pkcs8' | 'sec1' | 'pkcs1'][] = [
    ['P-256 PKCS#8', 'ec-p256', keys.p256!.privateKey, 'pkcs8'],
    ['P-256 SEC1', 'ec-p256', keys.p256!.privateKey, 'sec1'],
    ['P-384 PKCS#8', 'ec-p384', keys.p384!.privateKey, 'pkcs8'],
    ['P-384 SEC1', 'ec-p384', keys.p384!.privateKey, 'sec1'],
    ['Ed25519 PKCS#8', 'ed25519', keys.ed25519!.privateKey, 'pkcs8'],
    ['RSA PKCS#8', 'rsa', keys.rsa!.privateKey, 'pkcs8'],
    ['RSA PKCS#1', 'rsa', keys.rsa!.privateKey, 'pkcs1'],
    ['RSA-PSS PKCS#8', 'rsa-pss', keys.pss!.privateKey, 'pkcs8'],
    ['RSA-PSS(sha256) PKCS#8', 'rsa-pss', keys.pss256!.privateKey, 'pkcs8'],
  ];

  it.each(forms)('parses %s as PEM string, PEM bytes and DER with the matching SPKI', (_name, type, key, format) => {
    const pem = key.export({ type: format, format: 'pem' }) as string;
    const der = u8(key.export({ type: format, format: 'der' }) as Buffer);
    const expectedSpki = u8(createPublicKey(key).export({ type: 'spki', format: 'der' }));
    for (const input of [pem, new TextEncoder().encode(pem), der]) {
      const k = parsePrivateKey(input);
      expect(k.type).toBe(type);
      expect(k.publicKey.type).toBe(type);
      expect(Buffer.from(k.publicKey.spki).equals(Buffer.from(expectedSpki))).toBe(true);
      // Our SPKI parses back to the same key.
      expect(parsePublicKey(k.publicKey.spki)).toEqual(k.publicKey);
      if (type.startsWith('rsa')) {
        expect(k.rsa!.n).toBe(k.publicKey.n);
        expect(k.publicKey.bits).toBe(2048);
      } else {
        expect(k.d!.length).toBe(type === 'ec-p384' ? 48 : 32);
      }
    }
  });

  it('reads PEM bytes whose explanatory text starts with "0" (the DER SEQUENCE byte)', () => {
    const pem = keys.ed25519!.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(parsePrivateKey(new TextEncoder().encode('0 comment\n' + pem)).type).toBe('ed25519');
  });

  it('finds the key in a bundle with certificates and EC PARAMETERS', () => {
    const keyPem = keys.p256!.privateKey.export({ type: 'sec1', format: 'pem' }) as string;
    const params = pemEncode('EC PARAMETERS', Uint8Array.from([0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]));
    const cert = pemEncode('CERTIFICATE', Uint8Array.of(0x30, 0));
    expect(parsePrivateKey(cert + params + keyPem).type).toBe('ec-p256');
  });

  it('refuses bad input with InvalidConfig', () => {
    const enc = keys.rsa!.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' }) as string;
    expect(thrownStatus(() => parsePrivateKey(enc))).toBe('InvalidConfig');
    const legacy = keys.rsa!.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'x' }) as string;
    expect(thrownStatus(() => parsePrivateKey(legacy))).toBe('InvalidConfig');
    expect(thrownStatus(() => parsePrivateKey('hello'))).toBe('InvalidConfig');
    expect(thrownStatus(() => parsePrivateKey(''))).toBe('InvalidConfig');
    expect(thrownStatus(() => parsePrivateKey(new Uint8Array(0)))).toBe('InvalidConfig');
    expect(thrownStatus(() => parsePrivateKey(pemEncode('CERTIFICATE', Uint8Array.of(0x30, 0))))).toBe('InvalidConfig');
    expect(thrownStatus(() => parsePrivateKey(pemEncode('PRIVATE KEY', Uint8Array.of(0x30, 0))))).toBe('InvalidConfig');
    // Unsupported algorithms.
    const x25519 = generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(thrownStatus(() => parsePrivateKey(x25519))).toBe('InvalidConfig');
    const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(thrownStatus(() => parsePrivateKey(p521))).toBe('InvalidConfig');
  });

  it('refuses inconsistent RSA components and mismatched embedded EC public keys', () => {
    const der = u8(keys.rsa!.privateKey.export({ type: 'pkcs1', format: 'der' }) as Buffer);
    // Corrupt a byte deep inside (in d/p/q/...); the structure stays valid DER.
    for (const off of [400, 700, 900, 1100]) {
      const bad = der.slice();
      bad[off]! ^= 0x01;
      expect(thrownStatus(() => parsePrivateKey(pemEncode('RSA PRIVATE KEY', bad)))).toBe('InvalidConfig');
    }
    const sec1 = u8(keys.p256!.privateKey.export({ type: 'sec1', format: 'der' }) as Buffer);
    const bad = sec1.slice();
    bad[bad.length - 1]! ^= 0x01; // last byte of the embedded public point
    expect(thrownStatus(() => parsePrivateKey(pemEncode('EC PRIVATE KEY', bad)))).toBe('InvalidConfig');
    // Zero scalar.
    const zero = sec1.slice();
    zero.fill(0, 7, 7 + 32);
    expect(thrownStatus(() => parsePrivateKey(pemEncode('EC PRIVATE KEY', zero)))).toBe('InvalidConfig');
  });

  it('throws only InvalidConfig for every truncation and many mutations of PKCS#8 keys', () => {
    for (const name of ['p256', 'ed25519', 'rsa']) {
      const der = u8(keys[name]!.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer);
      const step = der.length > 200 ? 7 : 1;
      for (let i = 1; i < der.length; i += step) {
        expect(thrownStatus(() => parsePrivateKey(der.subarray(0, i)))).toBe('InvalidConfig');
        const m = der.slice();
        m[i]! ^= 0x24;
        const s = thrownStatus(() => parsePrivateKey(m));
        expect(s === undefined || s === 'InvalidConfig').toBe(true);
      }
    }
  });
});
