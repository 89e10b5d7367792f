import { describe, it, expect } from 'vitest';
import { generateKeyPairSync, createPublicKey, type KeyObject } from 'node:crypto';
import { parsePrivateKey, parsePublicKey, rsaPssKeyParams, ecSpki } from '../../../src/crypto/keys.js';
import { DerReader, contextTag, derBitString, derNull, derOid, derSequence, derTlv, derUnsignedInteger } from '../../../src/crypto/der.js';
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

describe('RSASSA-PSS parameters (RFC 4055 §3.1, RFC 8017 Appendix A.2.3)', () => {
  const SHA256 = '2.16.840.1.101.3.4.2.1';
  const hashAlg = (oid: string) => derSequence(derOid(oid), derNull());
  const mgf1 = (hashOid: string) => derSequence(derOid('1.2.840.113549.1.1.8'), hashAlg(hashOid));
  /** RSASSA-PSS-params from its fields (each omitted when undefined: DEFAULT). */
  const params = (p: { hash?: Uint8Array; mgf?: Uint8Array; salt?: number; trailer?: number }) =>
    derSequence(
      ...(p.hash ? [derTlv(contextTag(0), p.hash)] : []),
      ...(p.mgf ? [derTlv(contextTag(1), p.mgf)] : []),
      ...(p.salt !== undefined ? [derTlv(contextTag(2), derUnsignedInteger(BigInt(p.salt)))] : []),
      ...(p.trailer !== undefined ? [derTlv(contextTag(3), derUnsignedInteger(BigInt(p.trailer)))] : []),
    );
  const algorithm = (pssParams: Uint8Array) => derSequence(derOid('1.2.840.113549.1.1.10'), pssParams);
  const pub = () => parsePublicKey(spkiOf(keys.pss256!));
  const spkiWith = (pssParams: Uint8Array) => {
    const k = pub();
    return derSequence(algorithm(pssParams), derBitString(derSequence(derUnsignedInteger(k.n!), derUnsignedInteger(k.e!))));
  };
  /** The pss256 PKCS#8 key with its AlgorithmIdentifier replaced. */
  const pkcs8With = (pssParams: Uint8Array) => {
    const der = u8(keys.pss256!.privateKey.export({ type: 'pkcs8', format: 'der' }) as Buffer);
    const seq = new DerReader(der).sequence();
    seq.integerBytes();
    seq.sequence();
    const inner = seq.octetString();
    return derSequence(derUnsignedInteger(0n), algorithm(pssParams), derTlv(0x04, inner));
  };
  const X25519 = '1.3.101.110';
  const UNKNOWN_HASH = '2.16.840.1.101.3.4.2.65';

  it('accepts the TLS profile and the other hashes of A.2.3 (the latter usable for no scheme)', () => {
    const tls = params({ hash: hashAlg(SHA256), mgf: mgf1(SHA256), salt: 32 });
    expect(parsePublicKey(spkiWith(tls)).type).toBe('rsa-pss');
    expect(rsaPssKeyParams(spkiWith(tls))).toEqual({ hash: 'sha256', saltLength: 32 });
    expect(parsePrivateKey(pkcs8With(tls)).type).toBe('rsa-pss');
    // All defaults (SHA-1, MGF1-SHA-1, salt 20) and SHA-224: real hashes, not TLS's.
    for (const p of [params({}), params({ hash: hashAlg('2.16.840.1.101.3.4.2.4'), mgf: mgf1('2.16.840.1.101.3.4.2.4'), salt: 28 })]) {
      expect(parsePublicKey(spkiWith(p)).type).toBe('rsa-pss');
      expect(rsaPssKeyParams(spkiWith(p))!.hash).toBeNull();
      expect(parsePrivateKey(pkcs8With(p)).type).toBe('rsa-pss');
    }
  });

  it.each([
    ['X25519 as the hash', params({ hash: hashAlg(X25519), mgf: mgf1(SHA256), salt: 32 })],
    ['an unknown hash OID', params({ hash: hashAlg(UNKNOWN_HASH), mgf: mgf1(UNKNOWN_HASH), salt: 32 })],
    ['X25519 as the MGF1 hash', params({ hash: hashAlg(SHA256), mgf: mgf1(X25519), salt: 32 })],
    ['a mask generation function other than MGF1', params({ hash: hashAlg(SHA256), mgf: derSequence(derOid('1.2.840.113549.1.1.9'), hashAlg(SHA256)), salt: 32 })],
    ['a trailer field of 2', params({ hash: hashAlg(SHA256), mgf: mgf1(SHA256), salt: 32, trailer: 2 })],
  ])('refuses %s: CertificateUnsupported (SPKI), InvalidConfig (PKCS#8)', (_what, p) => {
    expect(thrownStatus(() => parsePublicKey(spkiWith(p)))).toBe('CertificateUnsupported');
    expect(thrownStatus(() => parsePrivateKey(pkcs8With(p)))).toBe('InvalidConfig');
  });

  it.each([
    ['MGF1 without its hash', params({ hash: hashAlg(SHA256), mgf: derSequence(derOid('1.2.840.113549.1.1.8')), salt: 32 })],
    ['a negative salt length', derSequence(derTlv(contextTag(0), hashAlg(SHA256)), derTlv(contextTag(2), Uint8Array.of(0x02, 0x01, 0xe0)))],
  ])('refuses %s as malformed', (_what, p) => {
    expect(thrownStatus(() => parsePublicKey(spkiWith(p)))).toBe('CertificateOtherErrors');
    expect(thrownStatus(() => parsePrivateKey(pkcs8With(p)))).toBe('InvalidConfig');
  });

  it('refuses a salt length the modulus cannot hold (RFC 8017 §9.1.1 step 3: emLen ≥ hLen + sLen + 2)', () => {
    // 2048-bit modulus: emLen = 256, so with SHA-256 the salt is at most 256 - 32 - 2 = 222 octets.
    const fits = params({ hash: hashAlg(SHA256), mgf: mgf1(SHA256), salt: 222 });
    const tooLong = params({ hash: hashAlg(SHA256), mgf: mgf1(SHA256), salt: 223 });
    expect(parsePublicKey(spkiWith(fits)).type).toBe('rsa-pss');
    expect(parsePrivateKey(pkcs8With(fits)).type).toBe('rsa-pss');
    expect(thrownStatus(() => parsePublicKey(spkiWith(tooLong)))).toBe('CertificateOtherErrors');
    expect(thrownStatus(() => parsePrivateKey(pkcs8With(tooLong)))).toBe('InvalidConfig');
  });
});
