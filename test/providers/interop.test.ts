/**
 * Interop between providers (issue 9 item 3): a client on one provider against a server on
 * another, for every ordered pair of the three providers (pure, native, webcrypto: 9 pairs), with
 * fast-check choosing the version, suite, group, certificate key type and whether the
 * client authenticates too. Each session must complete, agree on what was negotiated and
 * on an exporter, carry data both ways, and report the provider each side ran.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { CRYPTO_PROVIDER_NAMES, resolveCryptoProvider, type CryptoProviderName } from '../../src/crypto/select.js';
import '../../src/crypto/native.js';
import '../../src/crypto/webcrypto.js';
import { generateTestPki, type TestKeyType, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { payload, sameBytes } from '../helpers/bytes.js';

/** The providers this run can resolve (all three in Node: the test below fails if one is missing). */
const PROVIDERS: CryptoProviderName[] = CRYPTO_PROVIDER_NAMES.filter((n) => {
  try {
    resolveCryptoProvider(n);
    return true;
  } catch {
    return false;
  }
});

const KEY_TYPES: readonly TestKeyType[] = ['ecdsa-p256', 'ecdsa-p384', 'ed25519', 'rsa-2048'];
const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const TLS12_AEADS = ['AES_128_GCM_SHA256', 'AES_256_GCM_SHA384', 'CHACHA20_POLY1305_SHA256'];
const GROUPS = ['x25519', 'secp256r1', 'secp384r1'];

const pkis = new Map<TestKeyType, TestPki>();
let clientPki: TestPki;
beforeAll(async () => {
  for (const k of KEY_TYPES) pkis.set(k, await generateTestPki({ keyType: k }));
  clientPki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['client.example'], caName: 'Client CA' });
}, 120_000);

const sessionArb = fc.record({
  client: fc.constantFrom(...PROVIDERS),
  server: fc.constantFrom(...PROVIDERS),
  version: fc.constantFrom('TLSv1.3' as const, 'TLSv1.2' as const),
  suite: fc.nat({ max: 2 }),
  group: fc.constantFrom(...GROUPS),
  keyType: fc.constantFrom(...KEY_TYPES),
  mutual: fc.boolean(),
  size: fc.integer({ min: 0, max: 40_000 }),
});

describe('client on one provider, server on another', () => {
  it('lists pure and native (and any other provider that resolves)', () => {
    expect(PROVIDERS).toEqual(expect.arrayContaining(['pure', 'native', 'webcrypto']));
  });

  it('every pair completes handshakes of any version, suite, group and key type, and moves data both ways', async () => {
    const pairsSeen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(sessionArb, async (t) => {
        pairsSeen.add(`${t.client}→${t.server}`);
        const pki = pkis.get(t.keyType)!;
        const suite = t.version === 'TLSv1.3' ? TLS13[t.suite]! : `TLS_ECDHE_${t.keyType === 'rsa-2048' ? 'RSA' : 'ECDSA'}_WITH_${TLS12_AEADS[t.suite]!}`;
        const client = TlsConnection.client({
          servername: 'localhost',
          ca: pki.caCertPem,
          crypto: t.client,
          minVersion: t.version,
          maxVersion: t.version,
          cipherSuites: [suite],
          groups: [t.group],
          ...(t.mutual ? { cert: clientPki.chainPem, key: clientPki.keyPem } : {}),
        });
        const server = TlsConnection.server({
          cert: pki.chainPem,
          key: pki.keyPem,
          crypto: t.server,
          // Both sides name the group: a TLS 1.2 client also lists P-256/P-384 for ECDSA
          // certificates (RFC 8422 §5.1.1), and the server picks by its own preference.
          groups: [t.group],
          ...(t.mutual ? { requireCert: true, ca: clientPki.caCertPem } : {}),
        });
        const up = payload(t.size, 1);
        const down = payload(Math.floor(t.size / 3), 2);
        client.write(up);
        await pump(client, server);
        server.write(down);
        await pump(client, server);
        expect(client.error).toBeNull();
        expect(server.error).toBeNull();
        expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
        for (const conn of [client, server]) {
          expect(conn.info).toMatchObject({ version: t.version, cipherSuite: suite, group: t.group });
        }
        expect(client.info.provider).toBe(resolveCryptoProvider(t.client).name);
        expect(server.info.provider).toBe(resolveCryptoProvider(t.server).name);
        if (t.mutual) expect(server.info.peerCertificate).not.toBeNull();
        expect(sameBytes(readAll(server), up)).toBe(true);
        expect(sameBytes(readAll(client), down)).toBe(true);
        const ekm = (c: TlsConnection) => c.exportKeyingMaterial('EXPORTER-puretls-interop', null, 32);
        expect(sameBytes(ekm(client), ekm(server))).toBe(true);
      }),
      { numRuns: 60 },
    );
    // With 60 runs over 4 ordered pairs, each pair is (overwhelmingly likely to be) exercised.
    expect(pairsSeen.size).toBe(PROVIDERS.length ** 2);
  });
});
