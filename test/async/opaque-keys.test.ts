/**
 * Opaque private keys: the handshake signs through a signer and never sees the key's bytes.
 * A fake KMS (a custom async signer with random delays), a non-extractable WebCrypto
 * CryptoKey and a node:crypto KeyObject, each as the server's key and as the client's, in
 * TLS 1.3 and TLS 1.2, for ECDSA, RSA and Ed25519.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestKeyType, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import { nobleProvider, defaultRandom } from '../../src/crypto/noble.js';
import type { PrivateKeyInfo, Signer } from '../../src/crypto/provider.js';
import { SignatureScheme } from '../../src/wire/codes.js';
import { TlsError } from '../../src/base/errors.js';
import { ecdsaDerToRaw, ecdsaRawToDer, type PrivateKeyInput } from '../../src/crypto/signer.js';
import { asyncProvider } from '../helpers/async-provider.js';

const KEY_TYPES = ['ecdsa-p256', 'rsa-2048', 'ed25519'] as const satisfies readonly TestKeyType[];
const pkis = {} as Record<(typeof KEY_TYPES)[number], TestPki>;
let clientCa: Record<(typeof KEY_TYPES)[number], TestPki>;
beforeAll(async () => {
  clientCa = {} as typeof clientCa;
  for (const t of KEY_TYPES) {
    pkis[t] = await generateTestPki({ keyType: t });
    clientCa[t] = await generateTestPki({ keyType: t, names: ['client.example'], caName: `Client CA ${t}` });
  }
});

/** A fake remote KMS: holds the key where the handshake cannot see it and answers after 0-3 ms. */
function fakeKms(keyPem: string): Signer & { signed: number[] } {
  const key: PrivateKeyInfo = nobleProvider.parsePrivateKey(keyPem);
  const signed: number[] = [];
  return {
    signed,
    label: 'fake-kms',
    sign(scheme: number, data: Uint8Array): Promise<Uint8Array> {
      signed.push(scheme);
      return new Promise((resolve, reject) =>
        setTimeout(() => {
          try {
            resolve(nobleProvider.sign(key, scheme, data.slice(), defaultRandom, { tls12: true }) as Uint8Array);
          } catch (e) {
            reject(e);
          }
        }, Math.floor(Math.random() * 4)),
      );
    },
  };
}

const WEBCRYPTO_ALG: Record<(typeof KEY_TYPES)[number], RsaHashedImportParams | EcKeyImportParams | Algorithm> = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-2048': { name: 'RSA-PSS', hash: 'SHA-256' },
  ed25519: { name: 'Ed25519' },
};

async function nonExtractable(keyPem: string, t: (typeof KEY_TYPES)[number]): Promise<CryptoKey> {
  const der = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'der' });
  const k = await crypto.subtle.importKey('pkcs8', der, WEBCRYPTO_ALG[t], false, ['sign']);
  expect(k.extractable).toBe(false);
  return k;
}

type Kind = 'kms' | 'cryptokey' | 'keyobject';
async function opaque(kind: Kind, pem: string, t: (typeof KEY_TYPES)[number]): Promise<PrivateKeyInput> {
  if (kind === 'kms') return fakeKms(pem);
  if (kind === 'cryptokey') return await nonExtractable(pem, t);
  return createPrivateKey(pem) as KeyObject as PrivateKeyInput;
}

for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
  for (const kind of ['kms', 'cryptokey', 'keyobject'] as const) {
    describe(`${kind} key, ${version}`, () => {
      it('as the server key: the handshake completes for ECDSA, RSA and Ed25519 certificates', async () => {
        for (const t of KEY_TYPES) {
          const key = await opaque(kind, pkis[t].keyPem, t);
          const c = TlsConnection.client({ servername: 'localhost', ca: pkis[t].caCertPem, maxVersion: version });
          const s = TlsConnection.server({ cert: pkis[t].chainPem, key });
          await pump(c, s);
          expect({ t, error: c.error?.message ?? null }).toEqual({ t, error: null });
          expect(s.error).toBeNull();
          expect(c.info.version).toBe(version);
          if (kind === 'kms') expect((key as ReturnType<typeof fakeKms>).signed.length).toBe(1);
          s.write(new Uint8Array([9]));
          await pump(c, s);
          expect(Array.from(readAll(c))).toEqual([9]);
        }
      });

      it('as the client key (mutual TLS): the server checks the client CertificateVerify', async () => {
        for (const t of KEY_TYPES) {
          const id = clientCa[t];
          const key = await opaque(kind, id.keyPem, t);
          const c = TlsConnection.client({ servername: 'localhost', ca: pkis['ecdsa-p256'].caCertPem, maxVersion: version, cert: id.chainPem, key });
          const s = TlsConnection.server({ cert: pkis['ecdsa-p256'].chainPem, key: pkis['ecdsa-p256'].keyPem, requireCert: true, ca: id.caCertPem });
          await pump(c, s);
          expect({ t, error: s.error?.message ?? null }).toEqual({ t, error: null });
          expect(c.error).toBeNull();
          expect(s.info.peerCertificate).toEqual(id.certDer);
          expect(s.info.clientSignatureScheme).toBeDefined();
        }
      });
    });
  }
}

describe('opaque keys with an async provider too', () => {
  it('a KMS signer on a server whose provider is async, TLS 1.3 with HelloRetryRequest and TLS 1.2', async () => {
    const t = 'ecdsa-p256';
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      const c = TlsConnection.client({ servername: 'localhost', ca: pkis[t].caCertPem, maxVersion: version, crypto: asyncProvider(), keyShareGroups: ['secp256r1'], groups: ['secp256r1', 'x25519'] });
      const s = TlsConnection.server({ cert: pkis[t].chainPem, key: fakeKms(pkis[t].keyPem), crypto: asyncProvider({ seed: 3 }), groups: ['x25519'] });
      await pump(c, s);
      expect(c.error).toBeNull();
      expect(s.error).toBeNull();
    }
  });
});

describe('opaque keys: what a key can sign, and failures', () => {
  it('a CryptoKey imported for RSA-PSS with SHA-384 signs rsa_pss_rsae_sha384 and nothing else', async () => {
    const pki = pkis['rsa-2048'];
    const der = createPrivateKey(pki.keyPem).export({ type: 'pkcs8', format: 'der' });
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'RSA-PSS', hash: 'SHA-384' }, false, ['sign']);
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem });
    const s = TlsConnection.server({ cert: pki.chainPem, key });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(c.info.signatureScheme).toBe('rsa_pss_rsae_sha384');
  });

  it('a CryptoKey that does not fit the certificate is refused at configuration (InvalidConfig)', async () => {
    const der = createPrivateKey(pkis['ecdsa-p256'].keyPem).export({ type: 'pkcs8', format: 'der' });
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    expect(() => TlsConnection.server({ cert: pkis['rsa-2048'].chainPem, key })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
    const spki = createPublicKey(pkis['ecdsa-p256'].keyPem).export({ type: 'spki', format: 'der' });
    const pub = await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    expect(() => TlsConnection.server({ cert: pkis['ecdsa-p256'].chainPem, key: pub })).toThrow(expect.objectContaining({ status: 'InvalidConfig' }));
  });

  it('a KeyObject that is not the leaf key is refused at configuration (InvalidConfig)', () => {
    const other = createPrivateKey(pkis['rsa-2048'].keyPem);
    expect(() => TlsConnection.server({ cert: clientCa['rsa-2048'].chainPem, key: other as PrivateKeyInput })).toThrow(/does not match the leaf/);
  });

  it('a signer that rejects, or returns no signature, fails the handshake with InternalError and an alert; both versions', async () => {
    const t = 'ecdsa-p256';
    const bad: Signer[] = [
      { sign: () => Promise.reject(new Error('KMS: permission denied')) },
      { sign: () => { throw new Error('token removed'); } },
      { sign: () => Promise.resolve(new Uint8Array(0)) },
      { sign: () => 'nope' as unknown as Uint8Array },
    ];
    for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
      for (const signer of bad) {
        const c = TlsConnection.client({ servername: 'localhost', ca: pkis[t].caCertPem, maxVersion: version });
        const s = TlsConnection.server({ cert: pkis[t].chainPem, key: signer });
        await pump(c, s);
        expect(s.error).toBeInstanceOf(TlsError);
        expect(s.error?.status).toBe('InternalError');
        expect(c.error?.status).toBe('AlertReceived');
        expect(c.error?.alert).toBe(80);
      }
    }
  });

  // Changed by adversary9: an opaque key's signature is verified before it is sent (src/handshake/signatures.ts).
  it('a signature from the wrong key is caught before it is sent (InternalError; the peer gets internal_error, not decrypt_error)', async () => {
    const wrong = fakeKms(clientCa['ecdsa-p256'].keyPem);
    const c = TlsConnection.client({ servername: 'localhost', ca: pkis['ecdsa-p256'].caCertPem });
    const s = TlsConnection.server({ cert: pkis['ecdsa-p256'].chainPem, key: wrong });
    await pump(c, s);
    expect(s.error?.status).toBe('InternalError');
    expect(c.error?.status).toBe('AlertReceived');
    expect(c.error?.alert).toBe(80);
  });

  it('ECDSA P1363 ↔ DER conversion round-trips and refuses malformed DER', () => {
    for (let i = 0; i < 50; i++) {
      const raw = crypto.getRandomValues(new Uint8Array(64));
      if (i % 5 === 0) raw.fill(0, 0, 3); // leading zeros
      if (i % 7 === 0) raw[32] = 0x80; // high bit
      expect(Array.from(ecdsaDerToRaw(ecdsaRawToDer(raw), 32)!)).toEqual(Array.from(raw));
    }
    expect(ecdsaDerToRaw(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 32)).toBeNull();
    expect(ecdsaDerToRaw(new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01]), 32)).toBeNull(); // negative
    expect(ecdsaDerToRaw(new Uint8Array([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]), 32)).toBeNull(); // non-minimal
    expect(SignatureScheme.ecdsa_secp256r1_sha256).toBe(0x0403);
  });
});
