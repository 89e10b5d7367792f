/**
 * The `crypto` option (issue 9 item 3): names and provider objects resolve, 'native' is
 * available only once its module is loaded (the runtime-neutral entry never loads it),
 * 'webcrypto' says it is not available yet, and every mistake is InvalidConfig.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { registerCryptoProvider, resolveCryptoProvider, setDefaultCryptoProvider } from '../../src/crypto/select.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import type { CommonOptions } from '../../src/config/config.js';
import { TlsError } from '../../src/base/errors.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function configError(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InvalidConfig');
    return e as TlsError;
  }
  throw new Error('expected InvalidConfig');
}

const client = (crypto?: CommonOptions['crypto']) => TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...(crypto ? { crypto } : {}) });
const server = (crypto?: CommonOptions['crypto']) => TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ...(crypto ? { crypto } : {}) });

describe('crypto option', () => {
  it('defaults to the pure provider and resolves pure and provider objects', async () => {
    expect(resolveCryptoProvider(undefined)).toBe(nobleProvider);
    expect(resolveCryptoProvider('pure')).toBe(nobleProvider);
    const custom: CryptoProvider = { ...nobleProvider, name: 'custom' };
    expect(resolveCryptoProvider(custom).name).toBe('custom');
    expect(resolveCryptoProvider(custom)).toBe(resolveCryptoProvider(custom));
    const c = client(custom);
    const s = server('pure');
    await pump(c, s);
    expect(c.info.provider).toBe('custom');
    expect(s.info.provider).toBe(nobleProvider.name);
  });

  it("'native' before its module is loaded is InvalidConfig naming puretls/native", () => {
    expect(configError(() => resolveCryptoProvider('native')).detail).toMatch(/puretls\/native/);
    configError(() => client('native'));
    configError(() => server('native'));
  });

  it("'webcrypto' before its module is loaded is InvalidConfig naming puretls/webcrypto; unknown names and non-providers are InvalidConfig", () => {
    expect(configError(() => client('webcrypto')).detail).toMatch(/puretls\/webcrypto/);
    expect(configError(() => client('openssl' as 'pure')).detail).toMatch(/unknown provider 'openssl'/);
    configError(() => server({ name: 'half' } as unknown as CryptoProvider));
    configError(() => registerCryptoProvider('webcrypto', {} as CryptoProvider));
  });

  it("'webcrypto' resolves once puretls/webcrypto is loaded; info names it and what it delegated", async () => {
    await import('../../src/webcrypto.js');
    const p = resolveCryptoProvider('webcrypto');
    expect(p.name).toBe('webcrypto');
    const c = client('webcrypto');
    expect(c.info.provider).toBe('webcrypto');
    // Node 20 has no ChaCha20-Poly1305 in WebCrypto: the provider says it runs it in pure code.
    expect(c.info.providerDelegated.join('\n')).toMatch(/CHACHA20-POLY1305/);
  });

  it("'native' works once puretls/native is loaded, against a pure peer, and info names it", async () => {
    const { nativeProvider } = await import('../../src/native.js');
    expect(resolveCryptoProvider('native')).toBe(nativeProvider);
    const c = client('native');
    const s = server('pure');
    await pump(c, s);
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
    expect(c.info.provider).toBe('native');
    expect(s.info.provider).toBe(nobleProvider.name);
  });

  it('setDefaultCryptoProvider changes the default of connections that name none, and can be undone', async () => {
    await import('../../src/native.js');
    expect(setDefaultCryptoProvider('native')).toBeUndefined();
    try {
      expect(client().info.provider).toBe('native');
      expect(client('pure').info.provider).toBe(nobleProvider.name);
      configError(() => setDefaultCryptoProvider('openssl' as 'pure'));
    } finally {
      expect(setDefaultCryptoProvider(undefined)).toBe('native');
    }
    expect(client().info.provider).toBe(nobleProvider.name);
  });

  it("a registered 'webcrypto' provider is what the name resolves to (the plug-in point)", () => {
    const stand: CryptoProvider = { ...nobleProvider, name: 'stand-in' };
    registerCryptoProvider('webcrypto', stand);
    expect(resolveCryptoProvider('webcrypto')).toBe(stand);
    expect(client('webcrypto').info.provider).toBe('stand-in');
  });
});
