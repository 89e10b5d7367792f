/**
 * Review of 795b0b9 (client: 0-RTT accepted under another ALPN protocol or cipher suite than the
 * session's is illegal_parameter, RFC 9846 §4.3.10). campaign2-client tests the ALPN half; this
 * is the cipher-suite half: a session made under TLS_CHACHA20_POLY1305_SHA256, resumed by a
 * server that picks TLS_AES_128_GCM_SHA256 (same hash, so the PSK is usable, RFC 9846 §4.3.11)
 * and still says it accepted the early data the client sealed under the session's suite.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ServerConfigOptions } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, withTestHooks } from '../../src/testing/index.js';
import { MemorySessionStore } from '../../src/session/store.js';
import { TicketKeySet } from '../../src/session/ticket-keys.js';
import { alertName } from '../../src/base/errors.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('review2: 0-RTT "accepted" under another cipher suite than the session\'s', () => {
  const setup = () => {
    const ticketKeys = new TicketKeySet();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: new MemorySessionStore() });
    const base = { cert: pki.chainPem, key: pki.keyPem, maxEarlyData: 1024, ticketKeys };
    const chacha = createServerConfig({ ...base, cipherSuites: ['TLS_CHACHA20_POLY1305_SHA256'] });
    const gcm = (lie: boolean) =>
      createServerConfig(
        lie
          ? withTestHooks({ ...base, cipherSuites: ['TLS_AES_128_GCM_SHA256'] } as ServerConfigOptions, { encryptedExtensions: (e) => ({ ...e, earlyData: true }) })
          : { ...base, cipherSuites: ['TLS_AES_128_GCM_SHA256'] },
      );
    return { cc, chacha, gcm };
  };
  const connect = async (cc: ReturnType<typeof createClientConfig>, sc: ReturnType<typeof createServerConfig>, earlyData?: Uint8Array) => {
    const client = TlsConnection.client(cc, { servername: 'localhost', ...(earlyData ? { earlyData } : {}) });
    const server = TlsConnection.server(sc);
    await pump(client, server);
    return { client, server };
  };

  it('control: an honest server resumes under the other suite and rejects the early data; the client completes', async () => {
    const { cc, chacha, gcm } = setup();
    const first = await connect(cc, chacha);
    expect(first.client.info.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
    const { client } = await connect(cc, gcm(false), new TextEncoder().encode('GET /'));
    expect(client.error).toBeNull();
    expect(client.info.resumed).toBe(true);
    expect(client.info.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    expect(client.info.earlyData).toBe('rejected');
  });

  it('a server that says it accepted them → illegal_parameter', async () => {
    const { cc, chacha, gcm } = setup();
    await connect(cc, chacha);
    const { client } = await connect(cc, gcm(true), new TextEncoder().encode('GET /'));
    expect(client.error?.status).toBe('IllegalParameter');
    expect(alertName(client.error?.alert ?? 0)).toBe('illegal_parameter');
    expect(client.error?.detail).toMatch(/TLS_AES_128_GCM_SHA256/);
    expect(client.handshakeComplete).toBe(false);
  });
});
