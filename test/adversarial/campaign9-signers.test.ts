/**
 * Campaign 9: opaque private keys whose signer misbehaves (issue 9 item 2: a KMS, a
 * hardware token, any `{ sign(scheme, data) }`). Through the engine (in memory), both roles,
 * TLS 1.3 CertificateVerify and TLS 1.2 ServerKeyExchange / CertificateVerify:
 *
 * - a signature that does not verify under the certificate's key (another key, garbage,
 *   another scheme, other data, one byte short or long) is caught before it is sent:
 *   InternalError on our side, internal_error to the peer, the bytes never on the wire;
 * - an RSA-CRT fault in the signer (a faulty PKCS#1 v1.5 ServerKeyExchange signature, whose
 *   content the peer knows) would hand the peer a factor of the modulus: it is not sent;
 * - a signer that scribbles over the array it resolved with: what was checked is what is sent;
 * - a signer that throws values that cannot even be described (null-prototype objects,
 *   throwing getters, revoked proxies): InternalError naming the signing step;
 * - thenables that answer twice or whose `then` vanishes: the first answer wins;
 * - nothing is ever left as an uncaught exception or unhandled rejection.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { nobleProvider, defaultRandom } from '../../src/crypto/noble.js';
import type { PrivateKeyInfo, Signer } from '../../src/crypto/provider.js';
import { TlsError } from '../../src/base/errors.js';
import { SignatureScheme } from '../../src/wire/codes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let ec: TestPki;
let other: TestPki;
let rsa: TestPki;
let clientCa: TestPki;
beforeAll(async () => {
  ec = await generateTestPki({ keyType: 'ecdsa-p256' });
  other = await generateTestPki({ keyType: 'ecdsa-p256', caName: 'Other CA' });
  rsa = await generateTestPki({ keyType: 'rsa-2048' });
  clientCa = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
});

const VERSIONS = ['TLSv1.3', 'TLSv1.2'] as const;
type Version = (typeof VERSIONS)[number];

/** A signer with the key of `keyPem`, whose answer `bend` may change. */
function signerOf(keyPem: string, bend: (sig: Uint8Array, scheme: number, data: Uint8Array, key: PrivateKeyInfo) => Uint8Array = (s) => s): Signer {
  const key = nobleProvider.parsePrivateKey(keyPem);
  return {
    label: 'test-kms',
    sign: (scheme, data) => Promise.resolve(bend(nobleProvider.sign(key, scheme, data, defaultRandom, { tls12: true }) as Uint8Array, scheme, data, key)),
  };
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Pumps `a` and `b` to the end, keeping every byte `a` sent. */
async function pumpTapped(a: TlsConnection, b: TlsConnection): Promise<Uint8Array> {
  const sent: number[] = [];
  const tapped = new Proxy(a, {
    get(t, k) {
      if (k === 'takeOutput') {
        return () => {
          const o = t.takeOutput();
          if (o) sent.push(...o);
          return o;
        };
      }
      const v = Reflect.get(t, k, t) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
    },
  });
  await pump(tapped, b);
  return Uint8Array.from(sent);
}

/** The bent signatures: what each returns, from a good one. */
const BENT: readonly [string, (sig: Uint8Array, scheme: number, data: Uint8Array, key: PrivateKeyInfo) => Uint8Array][] = [
  ['garbage of a plausible length', () => new Uint8Array(71).fill(0x30)],
  ['a signature over other data', (_s, scheme, data, key) => nobleProvider.sign(key, scheme, Uint8Array.of(...data, 0), defaultRandom, { tls12: true }) as Uint8Array],
  ['a signature with another scheme (SHA-384 for SHA-256)', (_s, _scheme, data, key) => nobleProvider.sign(key, SignatureScheme.ecdsa_secp384r1_sha384, data, defaultRandom, { tls12: true }) as Uint8Array],
  ['a good signature one byte short', (s) => s.subarray(0, s.length - 1)],
  ['a good signature with a byte appended', (s) => Uint8Array.of(...s, 0)],
];

describe('campaign9: a signer whose signature does not verify is caught before it is sent', () => {
  for (const version of VERSIONS) {
    it(`(server, ${version}) another key, garbage, other data, another scheme, one byte off: InternalError here, internal_error there, nothing on the wire`, async () => {
      const cases: [string, Signer][] = [['a signer holding another key', signerOf(other.keyPem)], ...BENT.map(([n, f]): [string, Signer] => [n, signerOf(ec.keyPem, f)])];
      for (const [name, signer] of cases) {
        let signature: Uint8Array | undefined;
        const watched: Signer = { sign: async (scheme, data) => (signature = await signer.sign(scheme, data)) };
        const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version });
        const s = TlsConnection.server({ cert: ec.chainPem, key: watched });
        const sent = await pumpTapped(s, c);
        expect({ name, server: s.error?.status, client: c.error?.status, alert: c.error?.alert }).toEqual({ name, server: 'InternalError', client: 'AlertReceived', alert: 80 });
        expect(s.error?.detail).toMatch(/does not verify under the certificate's key/);
        expect(s.handshakeComplete).toBe(false);
        // TLS 1.2's ServerKeyExchange is in the clear: the signature would be visible there.
        if (version === 'TLSv1.2') expect({ name, at: indexOf(sent, signature!) }).toEqual({ name, at: -1 });
      }
    });

    it(`(client, ${version}) the same signers on a client certificate: the server never sees the signature`, async () => {
      const cases: [string, Signer][] = [['a signer holding another key', signerOf(other.keyPem)], ...BENT.map(([n, f]): [string, Signer] => [n, signerOf(clientCa.keyPem, f)])];
      for (const [name, signer] of cases) {
        const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version, cert: clientCa.chainPem, key: signer });
        const s = TlsConnection.server({ cert: ec.chainPem, key: ec.keyPem, requestCert: true, requireCert: true, ca: clientCa.caCertPem });
        await pump(c, s);
        expect({ name, client: c.error?.status, server: s.error?.status, alert: s.error?.alert }).toEqual({ name, client: 'InternalError', server: 'AlertReceived', alert: 80 });
      }
    });
  }

  it('controls: the honest signer completes in both roles and versions', async () => {
    for (const version of VERSIONS) {
      const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version, cert: clientCa.chainPem, key: signerOf(clientCa.keyPem) });
      const s = TlsConnection.server({ cert: ec.chainPem, key: signerOf(ec.keyPem), requestCert: true, requireCert: true, ca: clientCa.caCertPem });
      await pump(c, s);
      expect([c.error, s.error, c.handshakeComplete, s.handshakeComplete]).toEqual([null, null, true, true]);
    }
  });
});

// ------------------------------------------------------------------ RSA-CRT fault

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}
function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a;
}
const toBig = (b: Uint8Array): bigint => BigInt('0x' + (Buffer.from(b).toString('hex') || '0'));
const toBytes = (v: bigint, k: number): Uint8Array => Uint8Array.from(Buffer.from(v.toString(16).padStart(2 * k, '0'), 'hex'));

describe('campaign9: an RSA-CRT fault in a token does not leave', () => {
  it('TLS 1.2, PKCS#1 v1.5 ServerKeyExchange: a signature wrong mod q (it would reveal p) is refused, the flight never sent', async () => {
    const key = nobleProvider.parsePrivateKey(rsa.keyPem);
    const { n, e, p, q, dp, dq, qi } = key.rsa!;
    const k = Math.ceil(n.toString(16).length / 2);
    let faulty: Uint8Array | undefined;
    let em = 0n;
    // A token computing RSASP1 by the CRT whose half mod q is off by one (a glitch).
    const token: Signer = {
      sign(scheme, data) {
        const good = nobleProvider.sign(key, scheme, data, defaultRandom, { tls12: true }) as Uint8Array;
        em = modPow(toBig(good), e, n);
        const m1 = modPow(em, dp, p);
        const m2 = (modPow(em, dq, q) + 1n) % q;
        const h = ((((m1 - m2) * qi) % p) + p) % p;
        faulty = toBytes(m2 + q * h, k);
        return faulty;
      },
    };
    const c = TlsConnection.client({ servername: 'localhost', ca: rsa.caCertPem, maxVersion: 'TLSv1.2', signatureSchemes: ['rsa_pkcs1_sha256'] });
    const s = TlsConnection.server({ cert: rsa.chainPem, key: token });
    const sent = await pumpTapped(s, c);
    // The fault is real: with the signature and the content (both known to the peer), gcd gives p.
    expect(gcd((((modPow(toBig(faulty!), e, n) - em) % n) + n) % n, n)).toBe(p);
    expect(indexOf(sent, faulty!)).toBe(-1);
    expect(s.error?.status).toBe('InternalError');
    expect(c.error?.status).toBe('AlertReceived');
  });
});

// ------------------------------------------------------------------ the array after it is returned

describe('campaign9: a signer that reuses the array it answered with', () => {
  for (const version of VERSIONS) {
    it(`(${version}) it scribbles over it just after resolving: what was checked is what is sent, the handshake completes`, async () => {
      const key = nobleProvider.parsePrivateKey(ec.keyPem);
      const signer: Signer = {
        sign(scheme, data) {
          const sig = nobleProvider.sign(key, scheme, data, defaultRandom, { tls12: true }) as Uint8Array;
          return new Promise((resolve) => {
            resolve(sig);
            // A pooled buffer handed to the next caller: overwritten before our continuation runs.
            queueMicrotask(() => queueMicrotask(() => sig.fill(0x30)));
          });
        },
      };
      const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version });
      const s = TlsConnection.server({ cert: ec.chainPem, key: signer });
      await pump(c, s);
      expect([c.error?.status ?? null, s.error?.status ?? null, c.handshakeComplete]).toEqual([null, null, true]);
    });
  }
});

// ------------------------------------------------------------------ what a signer throws

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe('campaign9: a signer that throws what cannot be described', () => {
  const throwingMessage = (): Error => {
    const e = new Error('x');
    Object.defineProperty(e, 'message', {
      get() {
        throw new Error('getter');
      },
    });
    return e;
  };
  const thrown: [string, () => unknown][] = [
    ['a null-prototype object', () => Object.create(null)],
    ['an object whose toString throws', () => ({ toString: () => { throw new Error('no'); } })],
    ['an Error whose message getter throws', throwingMessage],
    ['a revoked proxy', revokedProxy],
    ['undefined', () => undefined],
    ['a symbol', () => Symbol('kms')],
  ];
  for (const version of VERSIONS) {
    it(`(${version}) thrown at once or as a rejection: InternalError whose detail names the signing step; the client gets internal_error`, async () => {
      for (const [name, make] of thrown) {
        for (const how of ['throws', 'rejects'] as const) {
          const signer: Signer = {
            sign: () => {
              if (how === 'throws') throw make();
              return Promise.reject(make());
            },
          };
          const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version });
          const s = TlsConnection.server({ cert: ec.chainPem, key: signer });
          await pump(c, s);
          expect(s.error).toBeInstanceOf(TlsError);
          expect({ name, how, status: s.error?.status, alert: c.error?.alert }).toEqual({ name, how, status: 'InternalError', alert: 80 });
          expect({ name, how, detail: s.error?.detail }).toEqual({ name, how, detail: expect.stringMatching(/^signing with ecdsa_secp256r1_sha256 failed: /) });
        }
      }
    });
  }
});

describe('campaign9: thenables from a signer', () => {
  for (const version of VERSIONS) {
    it(`(${version}) one that fulfils twice (a good signature, then garbage), one whose then throws after fulfilling, one that rejects then fulfils: the first answer wins`, async () => {
      const key = nobleProvider.parsePrivateKey(ec.keyPem);
      const good = (scheme: number, data: Uint8Array) => nobleProvider.sign(key, scheme, data, defaultRandom, { tls12: true }) as Uint8Array;
      const signers: Signer[] = [
        { sign: (sc, d) => ({ then: (ok: (v: Uint8Array) => void) => { ok(good(sc, d)); ok(new Uint8Array(3)); } }) as unknown as Promise<Uint8Array> },
        { sign: (sc, d) => ({ then: (ok: (v: Uint8Array) => void) => { ok(good(sc, d)); throw new Error('late'); } }) as unknown as Promise<Uint8Array> },
        { sign: (sc, d) => ({ then: (ok: (v: Uint8Array) => void, no: (e: unknown) => void) => { no(new Error('first')); ok(good(sc, d)); } }) as unknown as Promise<Uint8Array> },
      ];
      const outcomes: (string | null)[] = [];
      for (const signer of signers) {
        const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version });
        const s = TlsConnection.server({ cert: ec.chainPem, key: signer });
        await pump(c, s);
        outcomes.push(s.error?.status ?? null);
      }
      expect(outcomes).toEqual([null, null, 'InternalError']);
    });
  }
});

describe('campaign9: what a signer says it can sign (schemes)', () => {
  const sign = (scheme: number, data: Uint8Array): Uint8Array => nobleProvider.sign(nobleProvider.parsePrivateKey(ec.keyPem), scheme, data, defaultRandom, { tls12: true }) as Uint8Array;
  const server = (schemes: unknown) => TlsConnection.server({ cert: ec.chainPem, key: { sign, schemes } as unknown as Signer });

  it('not an array of code points (a number, a string, null, 1.5, 70000, an object): InvalidConfig at configuration (a number failed every handshake with InternalError, a string matched by substring)', () => {
    for (const schemes of [5, '1027', null, [1.5], [70000], [-1], { includes: () => true }]) {
      let err: unknown;
      try {
        server(schemes);
      } catch (e) {
        err = e;
      }
      expect({ schemes, status: err instanceof TlsError ? err.status : String(err) }).toEqual({ schemes, status: 'InvalidConfig' });
    }
  });

  it('none fitting the certificate\'s key (empty, Ed25519 only for a P-256 key): InvalidConfig (the identity could never sign; every handshake failed)', () => {
    for (const schemes of [[], [SignatureScheme.ed25519], [SignatureScheme.rsa_pss_rsae_sha256]]) {
      expect(() => server(schemes)).toThrow(/none of the signer's schemes fits/);
    }
  });

  it('the list is taken once: emptying the caller\'s array after configuration changes nothing; a fitting list signs', async () => {
    const schemes = [SignatureScheme.ecdsa_secp256r1_sha256];
    for (const version of VERSIONS) {
      const s = server(schemes);
      const c = TlsConnection.client({ servername: 'localhost', ca: ec.caCertPem, maxVersion: version });
      schemes.length = 0;
      await pump(c, s);
      expect([c.error, s.error, c.handshakeComplete]).toEqual([null, null, true]);
      schemes.push(SignatureScheme.ecdsa_secp256r1_sha256);
    }
  });
});
