/**
 * Configuration built once (issue 9 item 1): `createClientConfig` / `createServerConfig` parse
 * everything up front, produce immutable configs that any number of in-memory connections
 * share, keep the server name per connection, and report bad input at creation.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection, ClientConfig, ServerConfig, createClientConfig, createServerConfig, isClientConfig, isServerConfig, TlsError } from '../../src/index.js';
import { generateTestPki, pump, withTestHooks, type TestPki } from '../../src/testing/index.js';
import { NamedGroup } from '../../src/wire/codes.js';
import { countingProvider } from '../helpers/counting-provider.js';

let ecA: TestPki;
let edB: TestPki;
beforeAll(async () => {
  ecA = await generateTestPki({ keyType: 'ecdsa-p256', names: ['a.example'], caName: 'Config CA A' });
  edB = await generateTestPki({ keyType: 'ed25519', names: ['b.example'], caName: 'Config CA B' });
});

const te = new TextEncoder();
const td = new TextDecoder();


/** Runs `fn` and returns the TlsError it threw. */
function thrown(fn: () => unknown): TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError, nothing was thrown');
}

describe('immutability', () => {
  it('a client config is frozen: assignments, new properties and list mutations throw', () => {
    const config = createClientConfig({ ca: ecA.caCertPem, ALPNProtocols: ['h2', 'http/1.1'] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.ALPNProtocols)).toBe(true);
    // ES modules run in strict mode: writes to frozen objects throw.
    expect(() => ((config as { minVersion: string }).minVersion = 'TLSv1.3')).toThrow(TypeError);
    expect(() => Object.assign(config, { servername: 'evil.example' })).toThrow(TypeError);
    expect(() => (config.ALPNProtocols as string[]).push('spdy/3')).toThrow(TypeError);
    expect(() => Object.defineProperty(config, 'role', { value: 'server' })).toThrow(TypeError);
    expect(config.minVersion).toBe('TLSv1.2');
    expect(config.ALPNProtocols).toEqual(['h2', 'http/1.1']);
  });

  it('a server config is frozen, its identity names too', () => {
    const config = createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem });
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.identityNames).toEqual([['a.example']]);
    expect(() => (config.identityNames as string[][]).push(['x.example'])).toThrow(TypeError);
    expect(() => (config.identityNames[0] as string[]).push('x.example')).toThrow(TypeError);
  });

  it('changing the options (or the key buffer) after creation changes nothing', async () => {
    const alpn = ['h2'];
    const suites = ['TLS_AES_128_GCM_SHA256'];
    const client = createClientConfig({ ca: ecA.caCertPem, ALPNProtocols: alpn, cipherSuites: suites });
    const keyDer = pemBody(ecA.keyPem);
    const serverOptions = { cert: ecA.chainPem, key: keyDer, ALPNProtocols: ['h2', 'http/1.1'] };
    const server = createServerConfig(serverOptions);
    alpn[0] = 'http/1.1';
    suites[0] = 'TLS_CHACHA20_POLY1305_SHA256';
    keyDer.fill(0);
    serverOptions.ALPNProtocols.reverse();
    const c = TlsConnection.client(client, { servername: 'a.example' });
    const s = TlsConnection.server(server);
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(s.error).toBeNull();
    expect(c.info.alpn).toBe('h2');
    expect(c.info.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
  });

  it('an object that only looks like a config is refused', () => {
    const fake = Object.create(ClientConfig.prototype) as ClientConfig;
    expect(isClientConfig(fake)).toBe(false);
    const e = thrown(() => TlsConnection.client(fake, { servername: 'a.example' }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/createClientConfig/);
    const fakeServer = Object.create(ServerConfig.prototype) as ServerConfig;
    expect(thrown(() => TlsConnection.server(fakeServer)).detail).toMatch(/createServerConfig/);
  });
});

/** The DER bytes of a PEM block (a fresh buffer the test may scribble on). */
function pemBody(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
}

describe('sharing one config across connections', () => {
  it('20 in-memory connections share a client and a server config; the server parses no key or certificate per connection', async () => {
    const { provider, calls } = countingProvider();
    const server = createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem, crypto: provider });
    const atCreation = { ...calls };
    expect(atCreation.parsePrivateKey).toBe(1);
    expect(atCreation.parsePublicKey).toBe(1); // the leaf's key, matched against the private key once
    const client = createClientConfig({ ca: ecA.caCertPem });
    for (let i = 0; i < 20; i++) {
      const c = TlsConnection.client(client, { servername: 'a.example' });
      const s = TlsConnection.server(server);
      await pump(c, s);
      expect(c.error).toBeNull();
      c.write(te.encode(`ping ${i}`));
      await pump(c, s);
      expect(td.decode(s.read() ?? new Uint8Array())).toBe(`ping ${i}`);
    }
    expect(calls).toEqual(atCreation);
  });

  it('both TLS versions from the same pair of configs', async () => {
    const server = createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem });
    const v13 = createClientConfig({ ca: ecA.caCertPem });
    const v12 = createClientConfig({ ca: ecA.caCertPem, maxVersion: 'TLSv1.2' });
    for (const [config, version] of [[v13, 'TLSv1.3'], [v12, 'TLSv1.2'], [v13, 'TLSv1.3']] as const) {
      const c = TlsConnection.client(config, { servername: 'a.example' });
      const s = TlsConnection.server(server);
      await pump(c, s);
      expect(c.error).toBeNull();
      expect(c.info.version).toBe(version);
    }
  });

  it('plain options still work, and build the same connection as a config', async () => {
    const c = TlsConnection.client({ servername: 'a.example', ca: ecA.caCertPem, ALPNProtocols: ['h2'] });
    const s = TlsConnection.server({ cert: ecA.chainPem, key: ecA.keyPem, ALPNProtocols: ['h2'] });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(c.info.alpn).toBe('h2');
  });
});

describe('per-connection client options', () => {
  let multi: ServerConfig;
  let client: ClientConfig;
  beforeAll(() => {
    multi = createServerConfig({
      certificates: [
        { cert: ecA.chainPem, key: ecA.keyPem },
        { cert: edB.chainPem, key: edB.keyPem },
      ],
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    client = createClientConfig({ ca: [ecA.caCertPem, edB.caCertPem], ALPNProtocols: ['h2', 'http/1.1'] });
  });

  it('a server config with several identities still selects by SNI, per connection', async () => {
    expect(multi.identityNames).toEqual([['a.example'], ['b.example']]);
    for (const [name, pki] of [['b.example', edB], ['a.example', ecA], ['b.example', edB]] as const) {
      const c = TlsConnection.client(client, { servername: name });
      const s = TlsConnection.server(multi);
      await pump(c, s);
      expect(c.error).toBeNull();
      expect(c.info.peerCertificate).toEqual(pki.certDer);
      expect(s.info.serverName).toBe(name);
    }
  });

  it('the server name never carries over from one connection to the next', async () => {
    const a = TlsConnection.client(client, { servername: 'a.example' });
    await pump(a, TlsConnection.server(multi));
    expect(a.error).toBeNull();
    // The config is the same object, still without a name: a connection without one is refused.
    const e = thrown(() => TlsConnection.client(client));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/no servername/);
    // And a connection to b.example checks b.example, not a.example.
    const b = TlsConnection.client(client, { servername: 'b.example' });
    await pump(b, TlsConnection.server(multi));
    expect(b.error).toBeNull();
    expect(b.info.peerCertificate).toEqual(edB.certDer);
  });

  it('a config that accepts InvalidName explicitly takes connections without a name', async () => {
    const anon = createClientConfig({ ca: ecA.caCertPem, ignorableCertificateErrors: ['InvalidName'] });
    const c = TlsConnection.client(anon);
    await pump(c, TlsConnection.server(multi));
    expect(c.error).toBeNull();
    expect(c.info.certificateErrors.map((x) => x.code)).toContain('InvalidName');
  });

  it('ALPN: the config gives the default, a connection may offer its own', async () => {
    const dflt = TlsConnection.client(client, { servername: 'a.example' });
    await pump(dflt, TlsConnection.server(multi));
    expect(dflt.info.alpn).toBe('h2');
    const own = TlsConnection.client(client, { servername: 'a.example', ALPNProtocols: ['http/1.1'] });
    await pump(own, TlsConnection.server(multi));
    expect(own.info.alpn).toBe('http/1.1');
    // The override did not touch the config.
    expect(client.ALPNProtocols).toEqual(['h2', 'http/1.1']);
  });

  it('keyShareGroups: a connection may choose the groups of its first key shares', async () => {
    const offered: number[][] = [];
    const hooked = createClientConfig(
      withTestHooks(
        { ca: ecA.caCertPem },
        {
          clientHello: (ch) => {
            offered.push((ch.extensions.keyShare ?? []).map((k) => k.group));
            return ch;
          },
        },
      ),
    );
    const c1 = TlsConnection.client(hooked, { servername: 'a.example', keyShareGroups: ['secp256r1'] });
    await pump(c1, TlsConnection.server(multi));
    const c2 = TlsConnection.client(hooked, { servername: 'a.example' });
    await pump(c2, TlsConnection.server(multi));
    expect(c1.error).toBeNull();
    expect(c2.error).toBeNull();
    expect(offered[0]).toEqual([NamedGroup.secp256r1]);
    // The default server prefers the hybrids (issue 12): c1 listed X25519MLKEM768 without a
    // share, so it was asked for one (HelloRetryRequest) and sent it in its second ClientHello.
    expect(c1.info.helloRetryRequest).toBe(true);
    expect(offered[1]).toEqual([NamedGroup.X25519MLKEM768]);
    // The default first key shares (issue 12): X25519MLKEM768 and x25519.
    expect(offered[2]).toEqual([NamedGroup.X25519MLKEM768, NamedGroup.x25519]);
    expect(offered).toHaveLength(3);
  });

  it('options that belong to the config are refused per connection, by name', () => {
    const e = thrown(() => TlsConnection.client(client, { servername: 'a.example', ca: ecA.caCertPem } as never));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/'ca' is not a per-connection option/);
    const bad = thrown(() => TlsConnection.client(client, { servername: 'a.example', ALPNProtocols: [''] }));
    expect(bad.status).toBe('InvalidConfig');
    expect(bad.detail).toMatch(/ALPN/);
  });
});

describe('errors are InvalidConfig, at config creation', () => {
  it('createClientConfig refuses a servername: it belongs to a connection', () => {
    const e = thrown(() => createClientConfig({ ca: ecA.caCertPem, servername: 'a.example' } as never));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/servername belongs to a connection/);
  });

  it('a client config without trust anchors is refused', () => {
    const e = thrown(() => createClientConfig({}));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/no trust anchors/);
  });

  it('an unreadable trust anchor is refused at creation', () => {
    const e = thrown(() => createClientConfig({ ca: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/trust anchor/);
  });

  it('a bad key is reported by createServerConfig, naming the identity', () => {
    const e = thrown(() =>
      createServerConfig({
        certificates: [
          { cert: ecA.chainPem, key: ecA.keyPem },
          { cert: edB.chainPem, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
        ],
      }),
    );
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/^certificates\[1\]: /);
  });

  it('a key that does not match its certificate is reported by createServerConfig', () => {
    const e = thrown(() => createServerConfig({ cert: ecA.chainPem, key: edB.keyPem }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/cert\/key: the private key does not match the leaf certificate/);
  });

  it('a bad certificate is reported by createServerConfig', () => {
    const e = thrown(() => createServerConfig({ cert: new Uint8Array([0x30, 0x00]), key: ecA.keyPem }));
    expect(e.status).toBe('InvalidConfig');
    expect(e.detail).toMatch(/^cert\/key: /);
  });

  it('cert without key (and key without cert) is refused', () => {
    expect(thrown(() => createServerConfig({ cert: ecA.chainPem, certificates: [{ cert: edB.chainPem, key: edB.keyPem }] })).detail).toMatch(/both cert and key/);
    expect(thrown(() => createClientConfig({ ca: ecA.caCertPem, key: ecA.keyPem })).detail).toMatch(/both cert and key/);
  });

  it('a server without identities, and an option out of range, are refused', () => {
    expect(thrown(() => createServerConfig({})).detail).toMatch(/needs cert and key/);
    expect(thrown(() => createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem, maxEmptyRecords: -1 })).detail).toMatch(/maxEmptyRecords/);
    expect(thrown(() => createClientConfig({ ca: ecA.caCertPem, minVersion: 'TLSv1.1' as never })).detail).toMatch(/unsupported version/);
  });

  it('configs of the wrong role, and things that are not options, are refused', () => {
    const server = createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem });
    const client = createClientConfig({ ca: ecA.caCertPem });
    expect(isServerConfig(server) && isClientConfig(client)).toBe(true);
    expect(thrown(() => TlsConnection.client(server as never, { servername: 'a.example' })).detail).toMatch(/server config cannot make a client/);
    expect(thrown(() => TlsConnection.server(client as never)).detail).toMatch(/client config cannot make a server/);
    expect(thrown(() => createServerConfig(null as never)).status).toBe('InvalidConfig');
    expect(thrown(() => TlsConnection.client(client, 'a.example' as never)).status).toBe('InvalidConfig');
  });

  it('with a prebuilt server config, creating a connection never throws for its certificates', () => {
    const server = createServerConfig({ cert: ecA.chainPem, key: ecA.keyPem });
    for (let i = 0; i < 5; i++) expect(TlsConnection.server(server).phase).toBe('handshaking');
  });
});
