/**
 * Campaign 9: a caller's own CryptoProvider that is careless or lies (issue 9 item 2:
 * `crypto: CryptoProvider` objects from callers). Each failure must be ours, locally: a
 * TlsError('InternalError') on the side whose provider misbehaved and internal_error to the
 * peer, never a malformed message on the wire that the peer has to refuse (and blame on us
 * with illegal_parameter / decrypt_error), never an alert that blames the peer for our
 * provider's bug, never silently corrupted data, never an unhandled rejection.
 *
 * - an incomplete provider object: InvalidConfig when the connection is made;
 * - key shares of the wrong length or group, shared secrets of the wrong length, a KEM
 *   encapsulation of the wrong length;
 * - an AEAD that answers with a promise although the provider says it is synchronous
 *   (the engine reads `async` once per connection), whose open returns the wrong length,
 *   `undefined` instead of null, or a view of a buffer it reuses;
 * - a strict provider that enforces the contract on the engine: no HashState used after
 *   digest(), AEAD keys of the right length.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { AEAD_KEY_LEN, type AeadCipher, type CryptoProvider, type HashState, type KeyShare } from '../../src/crypto/provider.js';
import { TlsError } from '../../src/base/errors.js';
import { NamedGroup } from '../../src/wire/codes.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const VERSIONS = ['TLSv1.3', 'TLSv1.2'] as const;
const custom = (over: Partial<CryptoProvider> & Record<string, unknown>): CryptoProvider => ({ ...nobleProvider, name: 'custom', ...over }) as CryptoProvider;

/** Runs a handshake with `crypto` on `side`; returns both connections and every byte the bad side sent. */
async function run(side: 'client' | 'server', crypto: CryptoProvider, version: (typeof VERSIONS)[number], extra: { groups?: string[] } = {}) {
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: version, ...(side === 'client' ? { crypto, ...extra } : {}) });
  const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ...(side === 'server' ? { crypto, ...extra } : {}) });
  await pump(c, s);
  const [bad, peer] = side === 'client' ? [c, s] : [s, c];
  return { c, s, bad, peer };
}

function expectOurs(bad: TlsConnection, peer: TlsConnection, what: string): void {
  expect(bad.error).toBeInstanceOf(TlsError);
  expect({ what, status: bad.error?.status }).toEqual({ what, status: 'InternalError' });
  // The peer either got our internal_error or nothing at all (a ClientHello never sent).
  if (peer.error) expect({ what, peer: peer.error.status, alert: peer.error.alert }).toEqual({ what, peer: 'AlertReceived', alert: 80 });
}

describe('campaign9: an incomplete provider object', () => {
  const without = (k: string): CryptoProvider => {
    const o: Record<string, unknown> = { ...nobleProvider, name: 'partial' };
    delete o[k];
    return o as unknown as CryptoProvider;
  };
  it('without signatureSchemes, generateKeyShare, equal, parsePublicKey, hkdfExpand or schemesForKey, or with groups not an array: InvalidConfig naming it, when the connection is made', () => {
    for (const k of ['signatureSchemes', 'generateKeyShare', 'equal', 'parsePublicKey', 'hkdfExpand', 'schemesForKey']) {
      let err: unknown;
      try {
        TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto: without(k) });
      } catch (e) {
        err = e;
      }
      expect({ k, err: err instanceof TlsError ? err.status : String(err) }).toEqual({ k, err: 'InvalidConfig' });
      expect((err as TlsError).detail).toContain(k);
    }
    expect(() => TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: custom({ groups: 'x25519' as unknown as number[] }) })).toThrow(/groups/);
  });
});

describe('campaign9: key shares and secrets of the wrong size from a provider', () => {
  const bentShare = (bend: (s: KeyShare) => KeyShare) =>
    custom({ generateKeyShare: (g: number, r: (n: number) => Uint8Array) => bend(nobleProvider.generateKeyShare(g, r)) });
  const cases: [string, CryptoProvider][] = [
    ['a public value one byte short', bentShare((s) => ({ ...s, publicKey: s.publicKey.subarray(1), agree: s.agree }))],
    ['a public value one byte long', bentShare((s) => ({ ...s, publicKey: Uint8Array.of(...s.publicKey, 0), agree: s.agree }))],
    ['a share for another group than asked', custom({ generateKeyShare: (_g: number, r: (n: number) => Uint8Array) => nobleProvider.generateKeyShare(NamedGroup.secp256r1, r) })],
    ['a public value that is not a Uint8Array', bentShare((s) => ({ ...s, publicKey: Array.from(s.publicKey) as unknown as Uint8Array, agree: s.agree }))],
    ['a shared secret one byte short', bentShare((s) => ({ ...s, agree: (peer: Uint8Array) => (s.agree(peer) as Uint8Array).subarray(1) }))],
  ];
  for (const version of VERSIONS) {
    for (const side of ['client', 'server'] as const) {
      it(`(${side}, ${version}, x25519) ${cases.map((c) => c[0]).join('; ')}: InternalError on our side, nothing malformed sent`, async () => {
        for (const [what, crypto] of cases) {
          const { bad, peer } = await run(side, crypto, version, { groups: ['x25519', 'secp256r1'] });
          expectOurs(bad, peer, what);
        }
      });
    }
  }

  it('(server, TLSv1.3, X25519MLKEM768) an encapsulation whose server share or secret has the wrong length: InternalError, not the client\'s illegal_parameter', async () => {
    const enc = nobleProvider.encapsulate!.bind(nobleProvider);
    const bad: [string, CryptoProvider][] = [
      ['share short', custom({ encapsulate: (g: number, p: Uint8Array, r: (n: number) => Uint8Array) => { const e = enc(g, p, r); return { ...e, publicKey: e.publicKey.subarray(1) }; } })],
      ['secret short', custom({ encapsulate: (g: number, p: Uint8Array, r: (n: number) => Uint8Array) => { const e = enc(g, p, r); return { ...e, sharedSecret: e.sharedSecret.subarray(32) }; } })],
    ];
    for (const [what, crypto] of bad) {
      const { bad: s, peer } = await run('server', crypto, 'TLSv1.3', { groups: ['X25519MLKEM768'] });
      expectOurs(s, peer, what);
    }
  });
});

describe('campaign9: an AEAD that lies about being synchronous, or answers the wrong thing', () => {
  const withAead = (wrap: (a: AeadCipher) => Partial<AeadCipher>) =>
    custom({
      aead: (alg: Parameters<CryptoProvider['aead']>[0], key: Uint8Array) => {
        const a = nobleProvider.aead(alg, key);
        return { alg, seal: a.seal.bind(a), open: a.open.bind(a), ...wrap(a) };
      },
    });
  const cases: [string, CryptoProvider][] = [
    ['open answers a promise (async absent)', withAead((a) => ({ open: (n, ad, c) => Promise.resolve(a.open(n, ad, c)) as unknown as Uint8Array }))],
    ['seal answers a promise that rejects (async absent)', withAead(() => ({ seal: () => Promise.reject(new Error('later')) as unknown as Uint8Array }))],
    ['open answers the ciphertext with its tag', withAead((a) => ({ open: (n, ad, c) => (a.open(n, ad, c) ? c.slice() : null) }))],
    ['open answers undefined (neither plaintext nor null)', withAead(() => ({ open: () => undefined as unknown as null }))],
  ];
  for (const version of VERSIONS) {
    it(`(client, ${version}) ${cases.map((c) => c[0]).join('; ')}: InternalError, never an alert blaming the peer`, async () => {
      for (const [what, crypto] of cases) {
        const { bad, peer } = await run('client', crypto, version);
        expectOurs(bad, peer, what);
      }
    });
  }

  it('a synchronous provider whose AEAD answers with an async cipher: InternalError', async () => {
    const crypto = custom({
      aead: (alg: Parameters<CryptoProvider['aead']>[0], key: Uint8Array) => {
        const a = nobleProvider.aead(alg, key);
        return { alg, async: true, seal: async (n: Uint8Array, ad: Uint8Array, p: Uint8Array) => a.seal(n, ad, p), open: async (n: Uint8Array, ad: Uint8Array, c: Uint8Array) => a.open(n, ad, c) };
      },
    });
    for (const version of VERSIONS) {
      const { bad, peer } = await run('client', crypto, version);
      expectOurs(bad, peer, `async cipher ${version}`);
    }
  });

  for (const version of VERSIONS) {
    it(`(${version}) an AEAD whose open answers a view of one buffer it reuses: every record read is intact (it was queued as a view before)`, async () => {
      const pool = new Uint8Array(1 << 15);
      const crypto = withAead((a) => ({
        open: (n, ad, c) => {
          const r = a.open(n, ad, c);
          if (!r) return null;
          pool.set(r);
          return pool.subarray(0, r.length);
        },
      }));
      const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: version, crypto });
      const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
      await pump(c, s);
      for (const b of [1, 2, 3]) s.write(new Uint8Array(100).fill(b));
      await pump(c, s);
      const got = readAll(c);
      expect([c.error, got.length, got[0], got[150], got[299]]).toEqual([null, 300, 1, 2, 3]);
    });
  }
});

// ------------------------------------------------------------------ the engine under a strict provider

/** The pure provider, refusing what the contract forbids the engine to do; counts violations. */
function strictProvider(): CryptoProvider & { violations: string[] } {
  const violations: string[] = [];
  const strictHash = (inner: HashState, alg: string): HashState => {
    let done = false;
    const use = (what: string): void => {
      if (done) violations.push(`${alg}: ${what} after digest()`);
    };
    return {
      update(d) {
        use('update');
        inner.update(d);
      },
      digest() {
        use('digest');
        done = true;
        return inner.digest();
      },
      clone() {
        use('clone');
        return strictHash(inner.clone(), alg);
      },
    };
  };
  return {
    ...nobleProvider,
    name: 'strict',
    violations,
    hash: (alg) => strictHash(nobleProvider.hash(alg), alg),
    aead: (alg, key) => {
      if (key.length !== AEAD_KEY_LEN[alg]) violations.push(`aead ${alg} key of ${key.length}`);
      return nobleProvider.aead(alg, key);
    },
  } as CryptoProvider & { violations: string[] };
}

describe('campaign9: the engine keeps the provider contract', () => {
  it('no HashState is used after digest(), every AEAD key has its length: full, HelloRetryRequest, mutual TLS, resumption, both versions and roles', async () => {
    const client = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
    const strict = strictProvider();
    for (const version of VERSIONS) {
      let session: unknown;
      for (const round of ['full', 'resumed', 'hrr'] as const) {
        const c = TlsConnection.client({
          servername: 'localhost',
          ca: pki.caCertPem,
          maxVersion: version,
          crypto: strict,
          cert: client.chainPem,
          key: client.keyPem,
          ...(round === 'hrr' ? { keyShareGroups: ['secp384r1'] } : {}),
          ...(round === 'resumed' && session ? { session } : {}),
          onSession: (x: unknown) => (session = x),
        } as never);
        const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, crypto: strict, requestCert: true, ca: client.caCertPem, groups: ['x25519', 'secp256r1'] } as never);
        await pump(c, s);
        c.write(new Uint8Array(5000).fill(7));
        await pump(c, s);
        expect({ version, round, c: c.error?.message ?? null, s: s.error?.message ?? null, read: readAll(s).length }).toEqual({ version, round, c: null, s: null, read: 5000 });
      }
    }
    expect(strict.violations).toEqual([]);
  });
});

describe('campaign9: which providers are checked', () => {
  it('a caller\'s provider is wrapped once (the same wrapper each time); the package\'s own (pure, native, webcrypto, composed) are not, so they pay nothing', async () => {
    const { resolveCryptoProvider } = await import('../../src/crypto/select.js');
    const { nativeProvider } = await import('../../src/crypto/native.js');
    const { webcryptoProvider } = await import('../../src/crypto/webcrypto.js');
    const { composeProvider } = await import('../../src/crypto/lean.js');
    const mine = custom({});
    expect(resolveCryptoProvider(mine)).not.toBe(mine);
    expect(resolveCryptoProvider(mine)).toBe(resolveCryptoProvider(mine));
    expect(resolveCryptoProvider(resolveCryptoProvider(mine))).toBe(resolveCryptoProvider(mine));
    for (const own of [nobleProvider, nativeProvider, webcryptoProvider(), composeProvider([])]) expect(resolveCryptoProvider(own)).toBe(own);
  });
});

describe('campaign9: a provider whose async flag changes its answer', () => {
  for (const first of [false, true]) {
    it(`async reads ${first} first, then alternates; its AEADs alternate sync and async: one reading is kept, the first contradiction is InternalError (both versions), nothing hangs`, async () => {
      for (const version of VERSIONS) {
        let reads = 0;
        let ciphers = 0;
        const crypto = {
          ...nobleProvider,
          name: 'flip',
          get async() {
            reads++;
            return reads % 2 === 1 ? first : !first;
          },
          aead: (alg: Parameters<CryptoProvider['aead']>[0], key: Uint8Array) => {
            ciphers++;
            const a = nobleProvider.aead(alg, key);
            return ciphers % 2 === 0 ? { alg, async: true, seal: async (n: Uint8Array, ad: Uint8Array, p: Uint8Array) => a.seal(n, ad, p), open: async (n: Uint8Array, ad: Uint8Array, c: Uint8Array) => a.open(n, ad, c) } : a;
          },
        } as unknown as CryptoProvider;
        const { bad, peer } = await run('client', crypto, version);
        if (first) {
          // Kept as async: sync and async ciphers are both fine for an async provider.
          expect({ version, c: bad.error?.status ?? null, s: peer.error?.status ?? null, done: bad.handshakeComplete }).toEqual({ version, c: null, s: null, done: true });
        } else {
          expectOurs(bad, peer, `flip ${version}`);
          expect(bad.error?.detail).toMatch(/is not async but returned an async/);
        }
      }
    });
  }
});

describe('campaign9: an async AEAD that wipes its input when authentication fails', () => {
  it('records opened ahead under the old key across a KeyUpdate are opened again under the new one: every byte read, no bad_record_mac', async () => {
    let failures = 0;
    const crypto: CryptoProvider = {
      ...nobleProvider,
      name: 'wiping',
      async: true,
      aead: (alg, key) => {
        const a = nobleProvider.aead(alg, key);
        return {
          alg,
          async: true,
          seal: async (n: Uint8Array, ad: Uint8Array, p: Uint8Array) => a.seal(n, ad, p),
          open: async (n: Uint8Array, ad: Uint8Array, c: Uint8Array) => {
            await new Promise((r) => setTimeout(r, 1));
            const r = a.open(n, ad, c);
            if (!r) {
              failures++;
              c.fill(0); // hygiene: nothing of a forged record is kept
            }
            return r;
          },
        };
      },
    };
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, crypto });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    for (let i = 1; i <= 5; i++) s.write(new Uint8Array(1000).fill(i));
    s.keyUpdate(false);
    for (let i = 6; i <= 10; i++) s.write(new Uint8Array(1000).fill(i));
    await s.settled();
    const chunks: Uint8Array[] = [];
    for (let o = s.takeOutput(); o; o = s.takeOutput()) chunks.push(o);
    const all = Uint8Array.from(chunks.flatMap((x) => [...x]));
    for (let off = 0; off < all.length && !c.error; ) {
      off += c.receive(all.subarray(off));
      await c.process();
    }
    const got = readAll(c);
    expect([c.error?.detail ?? null, got.length, got[0], got[9999]]).toEqual([null, 10000, 1, 10]);
    // The speculation really happened (opens under the old key failed and were retried).
    expect(failures).toBeGreaterThan(0);
  });
});
