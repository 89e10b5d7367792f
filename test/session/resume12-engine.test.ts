/**
 * TLS 1.2 resumption in memory, both roles (issue 10 item 2): session IDs (RFC 5246 §7.3),
 * tickets (RFC 5077), the extended master secret on resumption (RFC 7627 §5.3), suite and
 * SNI rules (RFC 5246 §7.4.1.2, RFC 6066 §3), the server cache's bound and expiry, and what
 * a hostile peer can try.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump, readAll } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { createServerConfig, type ServerConfig } from '../../src/engine/setup.js';
import type { SessionStore12, Tls12Session } from '../../src/handshake/client-resume12.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** A plain in-memory store that records what goes through it. */
class TestStore implements SessionStore12 {
  readonly byKey = new Map<string, Tls12Session[]>();
  puts = 0;
  get(key: string): Tls12Session | undefined {
    const l = this.byKey.get(key);
    return l?.[l.length - 1];
  }
  put(key: string, s: Tls12Session): void {
    this.puts++;
    const l = this.byKey.get(key) ?? [];
    l.push(s);
    this.byKey.set(key, l);
  }
  delete(key: string, s: Tls12Session): void {
    const l = this.byKey.get(key) ?? [];
    const i = l.indexOf(s);
    if (i >= 0) l.splice(i, 1);
  }
  all(): Tls12Session[] {
    return [...this.byKey.values()].flat();
  }
}

function clientOpts(store: TestStore, extra: ClientOptions = {}): ClientOptions {
  return { servername: 'localhost', ca: pki.caCertPem, maxVersion: 'TLSv1.2', sessionStore: store, ...extra };
}

async function connect(client: TlsConnection, server: TlsConnection): Promise<void> {
  await pump(client, server);
  client.write(new TextEncoder().encode('ping'));
  server.write(new TextEncoder().encode('pong'));
  await pump(client, server);
  expect(client.error).toBeNull();
  expect(server.error).toBeNull();
  expect(new TextDecoder().decode(readAll(server))).toBe('ping');
  expect(new TextDecoder().decode(readAll(client))).toBe('pong');
}

describe('TLS 1.2 resumption with session IDs', () => {
  let config: ServerConfig;
  beforeAll(() => {
    config = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
  });

  it('a full handshake, then an abbreviated one resuming it: both sides report resumed, the original certificate', async () => {
    const store = new TestStore();
    const c1 = TlsConnection.client(clientOpts(store));
    const s1 = TlsConnection.server(config);
    await connect(c1, s1);
    expect(c1.info.resumed).toBe(false);
    expect(store.all()).toHaveLength(1);
    const kept = store.all()[0]!;
    expect(kept.sessionId.length).toBe(32);
    expect(kept.ticket.length).toBe(0);

    const c2 = TlsConnection.client(clientOpts(store));
    const s2 = TlsConnection.server(config);
    await connect(c2, s2);
    expect(c2.info.resumed).toBe(true);
    expect(s2.info.resumed).toBe(true);
    expect(c2.info.version).toBe('TLSv1.2');
    expect(c2.info.cipherSuite).toBe(c1.info.cipherSuite);
    expect(c2.info.peerCertificate).toEqual(c1.info.peerCertificate);
    expect(c2.info.certificateErrors).toEqual([]);
    expect(c2.exportKeyingMaterial('EXPORTER-x', null, 32)).toEqual(s2.exportKeyingMaterial('EXPORTER-x', null, 32));
    expect(c2.exportKeyingMaterial('EXPORTER-x', null, 32)).not.toEqual(c1.exportKeyingMaterial('EXPORTER-x', null, 32));
  });
});
