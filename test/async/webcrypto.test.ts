/**
 * The `webcrypto` provider (Node 20's globalThis.crypto.subtle) checked against the pure one
 * with fast-check: what one seals the other opens (same bytes), key shares agree across
 * providers both ways, what one signs the other verifies (every scheme of every key type),
 * bad points and signatures are refused; then whole handshakes with it in both roles.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { webcryptoProvider, webcryptoAvailable } from '../../src/crypto/webcrypto.js';
import { nobleProvider as P, defaultRandom } from '../../src/crypto/noble.js';
import type { AeadAlg, AsyncAeadCipher, PrivateKeyInfo } from '../../src/crypto/provider.js';
import { NamedGroup, SignatureScheme as S } from '../../src/wire/codes.js';
import { TlsError } from '../../src/base/errors.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestKeyType, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { resolveCryptoProvider } from '../../src/crypto/select.js';

const W = webcryptoProvider();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (max = 300) => fc.uint8Array({ maxLength: max });
const fixed = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

async function status(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? e.status : `non-TlsError: ${String(e)}`;
  }
}

describe('webcrypto provider: identity', () => {
  it('is available in Node 20, async, registered as crypto: "webcrypto", and says what it delegates', () => {
    expect(webcryptoAvailable()).toBe(true);
    expect(W.async).toBe(true);
    expect(resolveCryptoProvider('webcrypto').name).toBe('webcrypto');
    expect(W.delegated).toContain('aead CHACHA20-POLY1305 → pure');
    expect(W.delegated.some((d) => /HKDF → pure/.test(d))).toBe(true);
  });
});

describe('webcrypto vs pure: AEAD', () => {
  const GCM: readonly { alg: AeadAlg; keyLen: number }[] = [
    { alg: 'AES-128-GCM', keyLen: 16 },
    { alg: 'AES-256-GCM', keyLen: 32 },
  ];
  const arb = fc.constantFrom(...GCM).chain(({ alg, keyLen }) => fc.tuple(fc.constant(alg), fixed(keyLen), fixed(12), bytes(64), bytes(2000)));

  it('AES-GCM: the same ciphertext as pure; each opens what the other sealed; a flipped bit opens to null', async () => {
    await fc.assert(
      fc.asyncProperty(arb, fc.nat(), async ([alg, key, nonce, aad, pt], at) => {
        const w = W.aead(alg, key) as AsyncAeadCipher;
        expect(w.async).toBe(true);
        const p = P.aead(alg, key);
        const ct = await w.seal(nonce, aad, pt);
        expect(hex(ct)).toBe(hex(p.seal(nonce, aad, pt)));
        expect(hex((await w.open(nonce, aad, ct))!)).toBe(hex(pt));
        expect(hex(p.open(nonce, aad, ct)!)).toBe(hex(pt));
        const bad = ct.slice();
        bad[at % bad.length]! ^= 1;
        expect(await w.open(nonce, aad, bad)).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it('inputs changed right after seal()/open() returned do not change the result (they are read at once)', async () => {
    const key = new Uint8Array(16).fill(7);
    const w = W.aead('AES-128-GCM', key) as AsyncAeadCipher;
    const nonce = new Uint8Array(12).fill(1);
    const pt = new Uint8Array(100).fill(2);
    const expected = P.aead('AES-128-GCM', key).seal(nonce, new Uint8Array(0), pt);
    const pending = w.seal(nonce, new Uint8Array(0), pt); // the key may not be imported yet
    pt.fill(9);
    nonce.fill(9);
    expect(hex(await pending)).toBe(hex(expected));
  });

  it('ChaCha20-Poly1305 is the pure one (WebCrypto has none)', () => {
    expect(W.aead('CHACHA20-POLY1305', new Uint8Array(32)).async).not.toBe(true);
  });
});

describe('webcrypto vs pure: key exchange', () => {
  const GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
  it('a WebCrypto share agrees with a pure share both ways, every group', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GROUPS), async (g) => {
        const w = await W.generateKeyShare(g, defaultRandom);
        const p = P.generateKeyShare(g, defaultRandom);
        expect(hex(await w.agree(p.publicKey))).toBe(hex(p.agree(w.publicKey)));
      }),
      { numRuns: 30 },
    );
  });

  it('bad peer points are IllegalParameter, as with pure', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GROUPS), bytes(120), fc.constantFrom(0, 2, 3, 4), async (g, junk, prefix) => {
        const size = g === NamedGroup.secp256r1 ? 65 : g === NamedGroup.secp384r1 ? 97 : 32;
        const pt = g === NamedGroup.x25519 ? junk : Uint8Array.from({ length: junk.length % 3 === 0 ? size : junk.length }, (_, i) => (i === 0 ? prefix : (junk[i] ?? i)));
        const w = await W.generateKeyShare(g, defaultRandom);
        const ws = await status(() => w.agree(pt));
        const ps = await status(() => P.generateKeyShare(g, defaultRandom).agree(pt));
        expect(ws).toBe(ps);
        expect(['ok', 'IllegalParameter']).toContain(ws);
      }),
      { numRuns: 60 },
    );
    // RFC 7748 §6.1: a small-order X25519 point gives all zeros: refused.
    const w = await W.generateKeyShare(NamedGroup.x25519, defaultRandom);
    expect(await status(() => w.agree(new Uint8Array(32)))).toBe('IllegalParameter');
    expect(await status(() => w.agree(Uint8Array.from([1, ...new Uint8Array(31)])))).toBe('IllegalParameter');
  });
});

describe('webcrypto vs pure: signatures', () => {
  const cases: { name: string; key: PrivateKeyInfo; schemes: number[] }[] = [];
  beforeAll(() => {
    const pem = (k: { privateKey: KeyObject }) => k.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const add = (name: string, p: string, schemes: number[]) => cases.push({ name, key: P.parsePrivateKey(p), schemes });
    add('P-256', pem(generateKeyPairSync('ec', { namedCurve: 'P-256' })), [S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384]);
    add('P-384', pem(generateKeyPairSync('ec', { namedCurve: 'P-384' })), [S.ecdsa_secp384r1_sha384, S.ecdsa_secp256r1_sha256]);
    add('Ed25519', pem(generateKeyPairSync('ed25519')), [S.ed25519]);
    add('RSA-2048', pem(generateKeyPairSync('rsa', { modulusLength: 2048 })), [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512, S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha512]);
    add('RSASSA-PSS', pem(generateKeyPairSync('rsa-pss', { modulusLength: 2048 })), [S.rsa_pss_pss_sha256]);
  });

  for (const direction of ['webcrypto signs, pure verifies', 'pure signs, webcrypto verifies'] as const) {
    it(`${direction}: every scheme of every key type; a changed message or signature fails`, async () => {
      for (const c of cases) {
        for (const scheme of c.schemes) {
          const tls12 = (scheme === S.ecdsa_secp384r1_sha384 && c.name === 'P-256') || (scheme === S.ecdsa_secp256r1_sha256 && c.name === 'P-384');
          const opts = { tls12 };
          await fc.assert(
            fc.asyncProperty(bytes(200), fc.nat(), async (msg, at) => {
              const pub = c.key.publicKey;
              const [signer, verifier] = direction.startsWith('webcrypto') ? [W, P] : [P, W];
              const sig = await signer.sign(c.key, scheme, msg, defaultRandom, opts);
              expect(await verifier.verify(pub, scheme, msg, sig, opts), `${c.name} 0x${scheme.toString(16)}`).toBe(true);
              const badSig = sig.slice();
              badSig[at % badSig.length]! ^= 0x40;
              expect(await verifier.verify(pub, scheme, msg, badSig, opts)).toBe(false);
              expect(await verifier.verify(pub, scheme, new Uint8Array([...msg, 1]), sig, opts)).toBe(false);
            }),
            { numRuns: c.name.startsWith('RSA') ? 3 : 8 },
          );
        }
      }
    });
  }

  it('verify never throws: junk signatures, unknown schemes and mismatched keys are false', async () => {
    for (const c of cases) {
      for (const junk of [new Uint8Array(0), new Uint8Array(64), new Uint8Array(300).fill(0x30)]) {
        for (const scheme of [...c.schemes, 0x0201, 0xffff]) expect(await W.verify(c.key.publicKey, scheme, Uint8Array.of(1), junk)).toBe(false);
      }
    }
  });
});

describe('handshakes with the webcrypto provider', () => {
  const pkis = {} as Record<TestKeyType, TestPki>;
  beforeAll(async () => {
    for (const t of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const) pkis[t] = await generateTestPki({ keyType: t });
  });

  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version}: webcrypto on both sides, on one side each way, every key type and suite; data both ways`, async () => {
      const suites = version === 'TLSv1.3' ? ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] : undefined;
      for (const t of Object.keys(pkis) as TestKeyType[]) {
        for (const [cp, sp] of [[W, W], [W, P], [P, W]] as const) {
          for (const suite of suites ?? [undefined]) {
            const c = TlsConnection.client({ servername: 'localhost', ca: pkis[t].caCertPem, maxVersion: version, minVersion: version, crypto: cp, ...(suite ? { cipherSuites: [suite] } : {}) });
            const s = TlsConnection.server({ cert: pkis[t].chainPem, key: pkis[t].keyPem, crypto: sp });
            await pump(c, s);
            expect({ t, suite, e: c.error?.message ?? s.error?.message ?? null }).toEqual({ t, suite, e: null });
            const big = new Uint8Array(40_000).map((_, i) => i * 7);
            c.write(big);
            s.write(Uint8Array.of(1, 2, 3));
            await pump(c, s);
            expect(hex(readAll(s))).toBe(hex(big));
            expect(Array.from(readAll(c))).toEqual([1, 2, 3]);
            c.close();
            await pump(c, s);
            expect(s.phase).toBe('peer-closed');
          }
        }
      }
    });
  }

  it('mutual TLS and HelloRetryRequest with webcrypto on both sides', async () => {
    const id = await generateTestPki({ keyType: 'ecdsa-p384', names: ['client.example'], caName: 'Client CA' });
    const c = TlsConnection.client({ servername: 'localhost', ca: pkis['rsa-2048'].caCertPem, crypto: 'webcrypto', cert: id.chainPem, key: id.keyPem, keyShareGroups: ['secp256r1'] });
    const s = TlsConnection.server({ cert: pkis['rsa-2048'].chainPem, key: pkis['rsa-2048'].keyPem, crypto: 'webcrypto', requireCert: true, ca: id.caCertPem, groups: ['x25519'] });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(s.error).toBeNull();
    expect(c.info.group).toBe('x25519');
    expect(s.info.peerCertificate).toEqual(id.certDer);
  });

  it('a corrupted record fails with BadRecordMac on the webcrypto side, and the peer gets bad_record_mac', async () => {
    const pki = pkis['ecdsa-p256'];
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: W });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: W });
    await pump(c, s);
    c.write(new Uint8Array(100));
    await c.settled();
    const rec = c.takeOutput()!;
    rec[rec.length - 3]! ^= 1;
    s.receive(rec);
    await s.process();
    expect(s.error?.status).toBe('BadRecordMac');
    c.receive(s.takeOutput()!);
    await c.process();
    expect(c.error?.alert).toBe(20);
  });
});

describe('webcrypto provider: key shares made ahead', () => {
  it('hands out every share once (x25519, secp256r1, secp384r1): all distinct, each agrees with a pure peer', async () => {
    const w = webcryptoProvider();
    for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]) {
      // Concurrent and sequential requests alike: a spare is never given to two handshakes.
      const shares = [...(await Promise.all(Array.from({ length: 6 }, () => w.generateKeyShare!(group, defaultRandom))))];
      for (let i = 0; i < 6; i++) shares.push(await w.generateKeyShare!(group, defaultRandom));
      const seen = new Set(shares.map((s) => hex(s.publicKey)));
      expect(seen.size).toBe(shares.length);
      for (const s of shares.slice(0, 3).concat(shares.slice(-2))) {
        const peer = P.keyShare(group, defaultRandom(P.keySharePrivateLength(group)));
        expect(hex(await s.agree(peer.publicKey))).toBe(hex(await peer.agree(s.publicKey)));
      }
    }
  });

  it('a share made ahead that failed is replaced by a fresh one, not handed out as a failure', async () => {
    let fail = 0;
    const subtle = globalThis.crypto.subtle;
    const flaky = new Proxy(subtle, {
      get(target, prop) {
        const v = Reflect.get(target, prop) as unknown;
        if (prop === 'generateKey') return (...args: unknown[]) => (fail-- > 0 ? Promise.reject(new Error('transient')) : (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as SubtleCrypto;
    const w = webcryptoProvider({ subtle: flaky });
    const first = await w.generateKeyShare!(NamedGroup.secp256r1, defaultRandom);
    expect(first.publicKey.length).toBe(65);
    // The spare started by the first call fails; the second call still gets a working share.
    fail = 1;
    await w.generateKeyShare!(NamedGroup.secp256r1, defaultRandom); // takes the good spare, starts a failing one
    const third = await w.generateKeyShare!(NamedGroup.secp256r1, defaultRandom);
    expect(third.publicKey.length).toBe(65);
    const peer = P.keyShare(NamedGroup.secp256r1, defaultRandom(P.keySharePrivateLength(NamedGroup.secp256r1)));
    expect(hex(await third.agree(peer.publicKey))).toBe(hex(await peer.agree(third.publicKey)));
  });
});
