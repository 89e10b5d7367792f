/**
 * Message hooks (puretls/testing `withTestHooks`): they are not options, they reach the
 * engine through a copy of the options (spread included), later hooks replace earlier ones
 * of the same kind, and each role runs its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, withTestHooks, type ClientHello } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const client = (o: ClientOptions): TlsConnection => TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...o });
const server = (o: ServerOptions = {}): TlsConnection => TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ...o });

describe('withTestHooks', () => {
  it('is not an option: the public option types have no hook fields', () => {
    // @ts-expect-error the hook left ClientOptions for puretls/testing
    const c: ClientOptions = { clientHelloHook: (ch: ClientHello) => ch };
    // @ts-expect-error the hook left ServerOptions for puretls/testing
    const s: ServerOptions = { encryptedExtensionsHook: () => ({ unknown: [], order: [] }) };
    // @ts-expect-error the hook left ServerOptions for puretls/testing
    const h: ServerOptions = { helloRetryRequestHook: () => ({ unknown: [], order: [] }) };
    expect([c, s, h]).toHaveLength(3);
  });

  it('returns a copy with the same visible fields; the original carries no hooks', async () => {
    const base: ClientOptions = { servername: 'localhost', ca: pki.caCertPem, cipherSuites: ['TLS_AES_128_GCM_SHA256'] };
    const seen: number[] = [];
    const hooked = withTestHooks(base, { clientHello: (ch) => (seen.push(ch.cipherSuites.length), ch) });
    expect(hooked).not.toBe(base);
    expect(Object.keys(hooked)).toEqual(Object.keys(base));
    expect(JSON.stringify(hooked)).toBe(JSON.stringify(base));
    await TlsConnection.client(base).process();
    expect(seen).toEqual([]);
    await TlsConnection.client(hooked).process();
    expect(seen).toEqual([1]);
  });

  it('survives object spread (as options pass through setup helpers and adapters)', async () => {
    let calls = 0;
    const hooked = withTestHooks({}, { clientHello: (ch) => (calls++, ch) });
    const c = client({ ...hooked, keyShareGroups: ['x25519'] });
    await c.process();
    expect(calls).toBe(1);
  });

  it('the ClientHello hook rewrites what is sent, for both ClientHellos of a HelloRetryRequest', async () => {
    const seen: boolean[] = [];
    const c = client(
      withTestHooks(
        { keyShareGroups: ['x25519'] },
        {
          clientHello: (ch) => {
            seen.push(ch.extensions.cookie !== undefined);
            // The second ClientHello starts from the first (already rewritten): add the GREASE suite once.
            return ch.cipherSuites.includes(0x0a0a) ? ch : { ...ch, cipherSuites: [...ch.cipherSuites, 0x0a0a] };
          },
        },
      ),
    );
    // The server sees the rewritten ClientHellos (a trace of what it decoded).
    const suitesSeen: boolean[] = [];
    const s = server({
      groups: ['secp256r1'],
      trace: (e) => {
        const m = e.message as { type?: string; cipherSuites?: number[] } | undefined;
        if (e.direction === 'received' && m?.type === 'client_hello') suitesSeen.push(m.cipherSuites?.includes(0x0a0a) === true);
      },
    });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(s.error).toBeNull();
    expect(c.info.helloRetryRequest).toBe(true);
    expect(seen).toEqual([false, true]);
    expect(suitesSeen).toEqual([true, true]);
  });

  it('the EncryptedExtensions hook reaches the client: an ALPN it never offered → UnsupportedExtension', async () => {
    const c = client({});
    const s = server(withTestHooks({}, { encryptedExtensions: (e) => ({ ...e, alpn: 'h2', order: [...(e.order ?? []), 16] }) }));
    await pump(c, s);
    expect(c.error?.status).toBe('UnsupportedExtension');
  });

  it('a later call adds hooks and replaces one of the same kind', async () => {
    const calls: string[] = [];
    const first = withTestHooks({}, { encryptedExtensions: (e) => (calls.push('ee1'), e) });
    const both = withTestHooks(first, { helloRetryRequest: (e) => (calls.push('hrr'), e) });
    const replaced = withTestHooks(both, { encryptedExtensions: (e) => (calls.push('ee2'), e) });
    await pump(client({ keyShareGroups: ['x25519'] }), server({ ...replaced, groups: ['secp256r1'] }));
    expect(calls).toEqual(['hrr', 'ee2']);
  });

  it('a client ignores server hooks and a server ignores client hooks', async () => {
    const calls: string[] = [];
    const c = client(withTestHooks({}, { encryptedExtensions: (e) => (calls.push('ee'), e) }) as ClientOptions);
    const s = server(withTestHooks({}, { clientHello: (ch) => (calls.push('ch'), ch) }) as ServerOptions);
    await pump(c, s);
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
    expect(calls).toEqual([]);
  });
});
