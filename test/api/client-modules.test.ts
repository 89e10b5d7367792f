/**
 * The crypto modules of `puretls/client` (issue 9 item 5): its default pure provider has
 * X25519, AES-GCM and ECDSA/RSA verification only; secp256r1, secp384r1, ChaCha20-Poly1305,
 * Ed25519 and client certificates come with their modules. Checked on the wire (what the
 * ClientHello offers), against a full-entry server (what completes and what is refused), and
 * for a careless caller (naming what is not included is InvalidConfig naming the module, never
 * a silent downgrade).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { x25519 } from '@noble/curves/ed25519.js';
import * as Full from '../../src/index.js';
import * as Client from '../../src/client.js';
import { generateTestPki, pump, type TestPki } from '../../src/testing/index.js';
import { decodeHandshakeBytes } from '../../src/wire/handshake.js';
import type { ClientHello } from '../../src/wire/messages.js';
import { x25519KeyShare } from '../../src/crypto/x25519.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/wire/codes.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { composeProvider } from '../../src/crypto/lean.js';
import { SECP256R1MLKEM768_PART, SECP256R1_PART, SECP384R1MLKEM1024_PART, X25519MLKEM768_PART } from '../../src/crypto/parts.js';

let ec: TestPki;
let ed: TestPki;
let rsa: TestPki;
beforeAll(async () => {
  ec = await generateTestPki({ keyType: 'ecdsa-p256', names: ['a.example'], caName: 'Modules CA' });
  ed = await generateTestPki({ keyType: 'ed25519', names: ['a.example'], caName: 'Modules Ed CA' });
  rsa = await generateTestPki({ keyType: 'rsa-2048', names: ['a.example'], caName: 'Modules RSA CA' });
});

function thrown(fn: () => unknown): Full.TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Full.TlsError);
    return e as Full.TlsError;
  }
  throw new Error('expected a TlsError, nothing was thrown');
}

/** The ClientHello a connection sends first. */
async function hello(c: Client.TlsConnection): Promise<ClientHello> {
  await c.process();
  const out = c.takeOutput()!;
  // One record: 5-byte header, then the handshake message.
  return decodeHandshakeBytes(out.subarray(5)) as ClientHello;
}

async function connect(client: Client.TlsConnection, server: Full.ServerConfig | Full.ServerOptions): Promise<Full.TlsConnection> {
  const s = Full.TlsConnection.server(server);
  await pump(client, s);
  return s;
}

describe('X25519 from the Montgomery ladder alone (src/crypto/x25519.ts)', () => {
  it('gives the same public keys and shared secrets as @noble/curves x25519', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (a, b) => {
        const share = x25519KeyShare(a);
        expect(Buffer.from(share.publicKey)).toEqual(Buffer.from(x25519.getPublicKey(a)));
        const peer = x25519.getPublicKey(b);
        expect(Buffer.from(share.agree(peer))).toEqual(Buffer.from(x25519.getSharedSecret(a, peer)));
      }),
      { numRuns: 40 },
    );
  });

  it('RFC 7748 §5.2 test vector', () => {
    const k = Buffer.from('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'hex');
    const u = Buffer.from('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'hex');
    expect(Buffer.from(x25519KeyShare(k).agree(u)).toString('hex')).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('agrees with @noble/curves x25519 for any 32 bytes from the peer (top bit set, u ≥ p: masked and reduced, RFC 7748 §5)', () => {
    const p = 2n ** 255n - 19n;
    const le = (v: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
    const edge = [le(p), le(p + 1n), le(p + 9n), le(2n ** 255n - 1n), le(2n ** 256n - 1n)];
    const peerArb = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(...edge));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), peerArb, (a, peer) => {
        let expected: string;
        try {
          expected = Buffer.from(x25519.getSharedSecret(a, peer)).toString('hex');
        } catch {
          expected = 'refused';
        }
        let got: string;
        try {
          got = Buffer.from(x25519KeyShare(a).agree(peer)).toString('hex');
        } catch (e) {
          expect((e as Full.TlsError).status).toBe('IllegalParameter');
          got = 'refused';
        }
        expect(got).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('RFC 7748 §5.2: the second vector, and the iterated function after 1 and 1,000 iterations', () => {
    const k = Buffer.from('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'hex');
    const u = Buffer.from('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', 'hex');
    expect(Buffer.from(x25519KeyShare(k).agree(u)).toString('hex')).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
    // k = u = 9; then u ← k, k ← X25519(k, u). The public key of k is X25519(k, 9).
    let key: Uint8Array = Uint8Array.of(9, ...new Uint8Array(31));
    let prev: Uint8Array = Uint8Array.of(9, ...new Uint8Array(31));
    for (let i = 1; i <= 1000; i++) {
      const next = x25519KeyShare(key).agree(prev);
      prev = key;
      key = next;
      if (i === 1) expect(Buffer.from(key).toString('hex')).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    }
    expect(Buffer.from(key).toString('hex')).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
  });

  it('a hostile peer: small-order points and wrong lengths are IllegalParameter; a bad private key is InternalError', () => {
    const share = x25519KeyShare(new Uint8Array(32).fill(7));
    const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31)), Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')];
    for (const p of lowOrder) expect(thrown(() => share.agree(p)).status).toBe('IllegalParameter');
    for (const n of [0, 31, 33, 65]) expect(thrown(() => share.agree(new Uint8Array(n).fill(9))).status).toBe('IllegalParameter');
    expect(thrown(() => x25519KeyShare(new Uint8Array(31))).status).toBe('InternalError');
  });
});

describe('puretls/client without modules', () => {
  it('offers X25519, AES-GCM, ECDSA and RSA only: no P-256/P-384 group, no ChaCha20, no Ed25519', async () => {
    const ch = await hello(Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem }));
    expect(ch.extensions.supportedGroups).toEqual([NamedGroup.x25519]);
    expect(ch.extensions.keyShare!.map((k) => k.group)).toEqual([NamedGroup.x25519]);
    expect(ch.cipherSuites).toEqual([CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384]);
    expect(ch.extensions.signatureAlgorithms).not.toContain(SignatureScheme.ed25519);
    expect(ch.extensions.signatureAlgorithms).toContain(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(ch.extensions.signatureAlgorithms).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    // The full entry offers all of it.
    const full = await hello(Full.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem }));
    expect(full.extensions.supportedGroups).toEqual([0x11ec, NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1]);
    expect(full.cipherSuites).toContain(CipherSuite.TLS_CHACHA20_POLY1305_SHA256);
    expect(full.extensions.signatureAlgorithms).toContain(SignatureScheme.ed25519);
  });

  it('completes with ECDSA and RSA servers (x25519, AES-GCM), and reports the pure provider', async () => {
    for (const pki of [ec, rsa]) {
      const c = Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem });
      await connect(c, { cert: pki.chainPem, key: pki.keyPem });
      expect(c.error).toBeNull();
      expect(c.info.group).toBe('x25519');
      expect(c.info.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
      expect(c.info.certificateErrors).toEqual([]);
    }
  });

  it("crypto: 'pure' is the entry's own provider (no more than the modules give)", async () => {
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, crypto: 'pure' });
    const ch = await hello(c);
    expect(ch.extensions.supportedGroups).toEqual([NamedGroup.x25519]);
    expect(thrown(() => Client.createClientConfig({ ca: ec.caCertPem, crypto: 'pure', groups: ['secp256r1'] })).message).toContain('secp256r1 module');
  });

  it('naming what a module brings is InvalidConfig naming the module', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ groups: ['x25519', 'secp256r1'] }, 'secp256r1'],
      [{ groups: ['secp384r1'] }, 'secp384r1'],
      [{ keyShareGroups: ['secp256r1'], groups: ['secp256r1'] }, 'secp256r1'],
      [{ cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] }, 'chacha20'],
      [{ signatureSchemes: ['ed25519'] }, 'ed25519'],
      [{ cert: ec.chainPem, key: ec.keyPem }, 'clientCertificates'],
    ];
    for (const [opts, name] of cases) {
      const e = thrown(() => Client.createClientConfig({ ca: ec.caCertPem, ...opts }));
      expect(e.status).toBe('InvalidConfig');
      expect(e.message).toContain(`${name} module`);
    }
  });

  it('a server with secp256r1 only: the handshake fails (no common group) rather than anything silent; with the module it completes', async () => {
    const server = Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, groups: ['secp256r1'] });
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem });
    const s = await connect(lean, server);
    expect(lean.handshakeComplete).toBe(false);
    expect(s.error?.status).toBe('HandshakeFailure');
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, modules: [Client.secp256r1] });
    await connect(c, server);
    expect(c.error).toBeNull();
    expect(c.info.group).toBe('secp256r1');
    // HelloRetryRequest towards a group the module brings.
    const hrr = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, modules: [Client.secp384r1] });
    await connect(hrr, Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, groups: ['secp384r1'] }));
    expect(hrr.error).toBeNull();
    expect(hrr.info.group).toBe('secp384r1');
  });

  it('chacha20: offered and used only with the module', async () => {
    const server = Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] });
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem });
    await connect(lean, server);
    expect(lean.handshakeComplete).toBe(false);
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, modules: [Client.chacha20] });
    await connect(c, server);
    expect(c.error).toBeNull();
    expect(c.info.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  it('an Ed25519 server: refused without the module (the error names it), completed with it', async () => {
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: ed.caCertPem });
    await connect(lean, { cert: ed.chainPem, key: ed.keyPem });
    expect(lean.handshakeComplete).toBe(false);
    expect(lean.error).not.toBeNull();
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: ed.caCertPem, modules: [Client.ed25519] });
    await connect(c, { cert: ed.chainPem, key: ed.keyPem });
    expect(c.error).toBeNull();
    expect(c.info.signatureScheme).toBe('ed25519');
  });

  it('an ECDSA leaf issued by an Ed25519 CA: refused without the module, with a certificate error naming it; accepted with it', async () => {
    const mixed = await generateTestPki({ keyType: 'ecdsa-p256', caKeyType: 'ed25519', names: ['a.example'], caName: 'Ed CA' });
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: mixed.caCertPem });
    await connect(lean, { cert: mixed.chainPem, key: mixed.keyPem });
    expect(lean.handshakeComplete).toBe(false);
    const errors = lean.error?.certificateErrors ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.code === 'InvalidSignature')).toBe(false);
    expect(JSON.stringify(errors)).toMatch(/ed25519 module/);
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: mixed.caCertPem, modules: [Client.ed25519] });
    await connect(c, { cert: mixed.chainPem, key: mixed.keyPem });
    expect(c.error).toBeNull();
    expect(c.info.certificateErrors).toEqual([]);
  });

  it('client certificates: with the clientCertificates module a server that requires one accepts it', async () => {
    const server = Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, requireCert: true, ca: ec.caCertPem });
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, cert: ec.chainPem, key: ec.keyPem, modules: [Client.clientCertificates] });
    const s = await connect(c, server);
    expect(c.error).toBeNull();
    expect(s.error).toBeNull();
    expect(s.info.peerCertificate).not.toBeNull();
    // Without it, a server that requires one refuses the empty Certificate.
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem });
    const s2 = await connect(lean, server);
    expect(s2.error).not.toBeNull();
  });

  it('post-quantum hybrids: offered (first, with a key share) only with their modules, and completed with them', async () => {
    const ch = await hello(Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, modules: [Client.x25519mlkem768] }));
    expect(ch.extensions.supportedGroups).toEqual([0x11ec, NamedGroup.x25519]);
    expect(ch.extensions.keyShare!.map((k) => k.group)).toEqual([0x11ec, NamedGroup.x25519]);
    const server = Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, groups: ['X25519MLKEM768'] });
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem });
    await connect(lean, server);
    expect(lean.handshakeComplete).toBe(false);
    for (const [mod, name] of [
      [Client.x25519mlkem768, 'X25519MLKEM768'],
      [Client.secp256r1mlkem768, 'SecP256r1MLKEM768'],
      [Client.secp384r1mlkem1024, 'SecP384r1MLKEM1024'],
    ] as const) {
      const e = thrown(() => Client.createClientConfig({ ca: ec.caCertPem, groups: [name] }));
      expect(e.message).toContain(`${mod.name} module`);
      // As in the full entry, the SecP hybrids are not in the default offer: named in groups, they are.
      const c = Client.TlsConnection.client({ servername: 'a.example', ca: ec.caCertPem, modules: [mod], groups: [name, 'x25519'] });
      await connect(c, Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem, groups: [name] }));
      expect(c.error, name).toBeNull();
      expect(c.info.group).toBe(name);
    }
  });

  it('a hybrid module makes the same shares and secrets as the full provider from the same bytes', () => {
    const lean = composeProvider([X25519MLKEM768_PART, SECP256R1MLKEM768_PART, SECP384R1MLKEM1024_PART, SECP256R1_PART]);
    for (const group of [0x11ec, 0x11eb, 0x11ed]) {
      expect(lean.keySharePrivateLength(group)).toBe(nobleProvider.keySharePrivateLength(group));
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 120, maxLength: 120 }), (seed) => {
          const priv = seed.subarray(0, lean.keySharePrivateLength(group));
          const a = lean.keyShare(group, priv);
          const b = nobleProvider.keyShare(group, priv);
          expect(Buffer.from(a.publicKey)).toEqual(Buffer.from(b.publicKey));
          // The server side of the full provider answers; both clients derive its secret.
          const enc = nobleProvider.encapsulate!(group, a.publicKey, (n) => seed.slice(0, n));
          expect(Buffer.from(a.agree(enc.publicKey) as Uint8Array)).toEqual(Buffer.from(enc.sharedSecret));
          expect(Buffer.from(b.agree(enc.publicKey) as Uint8Array)).toEqual(Buffer.from(enc.sharedSecret));
        }),
        { numRuns: 3 },
      );
    }
  });

  it('resumption: without the module every handshake is full and the session options are InvalidConfig; with it the second connection resumes', async () => {
    const server = Full.createServerConfig({ cert: ec.chainPem, key: ec.keyPem });
    const run = async (config: Full.ClientConfig): Promise<boolean> => {
      const c = Client.TlsConnection.client(config, { servername: 'a.example' });
      await connect(c, server);
      expect(c.error).toBeNull();
      // Let the client take the server's tickets.
      await c.process();
      return c.info.resumed;
    };
    const lean = Client.createClientConfig({ ca: ec.caCertPem });
    expect([await run(lean), await run(lean)]).toEqual([false, false]);
    const ch = await hello(Client.TlsConnection.client(lean, { servername: 'a.example' }));
    expect(ch.extensions.preSharedKey).toBeUndefined();
    const e = thrown(() => Client.createClientConfig({ ca: ec.caCertPem, sessionStore: new Full.MemorySessionStore() }));
    expect(e.message).toContain('resumption module');
    expect(thrown(() => Client.TlsConnection.client(lean, { servername: 'a.example', onSession: () => undefined })).message).toContain('resumption module');
    expect(() => Client.createClientConfig({ ca: ec.caCertPem, sessionStore: false })).not.toThrow();
    const withIt = Client.createClientConfig({ ca: ec.caCertPem, modules: [Client.resumption] });
    expect([await run(withIt), await run(withIt)]).toEqual([false, true]);
  });
});
