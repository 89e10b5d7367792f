/**
 * API edges (issue 8 item 7): one argument order per exporter and both tested, one
 * keyUpdate default, tickets not a mutable array, the Node socket's `connection` a
 * read-only view, and `info.signatureScheme` meaning the same in both roles.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { connect, createServer, type ConnectOptions, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { pump } from '../../src/testing/pipe.js';
import type { AddressInfo } from 'node:net';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

async function pair(mutual: boolean, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<{ client: TlsConnection; server: TlsConnection }> {
  const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion, ...(mutual ? { cert: pki.chainPem, key: pki.keyPem } : {}) });
  const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, sessionTickets: 2, ...(mutual ? { requireCert: true, ca: pki.caCertPem } : {}) });
  await pump(client, server);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  return { client, server };
}

describe('info.signatureScheme is the server’s scheme in both roles; clientSignatureScheme the client’s', () => {
  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(maxVersion, async () => {
      const { client, server } = await pair(true, maxVersion);
      expect(client.info.signatureScheme).toBe(server.info.signatureScheme);
      expect(client.info.signatureScheme).toMatch(/^ecdsa_secp256r1_sha256$/);
      expect(client.info.clientSignatureScheme).toBe(server.info.clientSignatureScheme);
      expect(client.info.clientSignatureScheme).not.toBeNull();
      const plain = await pair(false, maxVersion);
      expect(plain.client.info.clientSignatureScheme).toBeNull();
      expect(plain.server.info.clientSignatureScheme).toBeNull();
    });
  }
});

describe('tickets are a read-only copy', () => {
  it('mutating what `tickets` returns changes nothing', async () => {
    const { client, server } = await pair(false, 'TLSv1.3');
    server.write(new Uint8Array([1]));
    await pump(client, server);
    const t = client.tickets as unknown as unknown[];
    expect(t.length).toBe(2);
    t.length = 0;
    expect(client.tickets.length).toBe(2);
    expect(Object.isFrozen(client.tickets[0])).toBe(true);
  });
});

describe('the Node socket', () => {
  let server: TlsServer;
  let port = 0;
  const accepted: TlsSocket[] = [];
  beforeAll(async () => {
    server = createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
      accepted.push(s);
      s.on('error', () => undefined); // the clients below destroy their sockets: Truncated is expected
      s.pipe(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    return () => new Promise<void>((r) => server.close(() => r()));
  });

  async function client(options: Partial<ConnectOptions> = {}): Promise<TlsSocket> {
    const s = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, ...options });
    s.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      s.once('secureConnect', resolve);
      s.once('error', reject);
    });
    return s;
  }

  it('exposes a read-only view of the engine; the exporter takes Node’s order and both ends agree', async () => {
    const s = await client();
    const view = s.connection as unknown as Record<string, unknown>;
    for (const m of ['receive', 'process', 'write', 'read', 'takeOutput', 'close', 'end', 'keyUpdate', 'exportKeyingMaterial']) expect(view[m]).toBeUndefined();
    expect(s.connection.phase).toBe('open');
    expect(s.connection.info.version).toBe('TLSv1.3');
    expect(() => {
      (view as { phase: string }).phase = 'closed';
    }).toThrow();
    s.write('x');
    await new Promise((r) => s.once('data', r));
    const peer = accepted.at(-1)!;
    const ctx = new Uint8Array([1, 2, 3]);
    const mine = s.exportKeyingMaterial(32, 'EXPORTER-puretls', ctx);
    expect(mine.length).toBe(32);
    expect(peer.exportKeyingMaterial(32, 'EXPORTER-puretls', ctx).equals(mine)).toBe(true);
    expect(peer.exportKeyingMaterial(32, 'EXPORTER-puretls').equals(mine)).toBe(false);
    s.destroy();
  });

  it('keyUpdate() does not ask the peer to update (one default: false); keyUpdate(true) does', async () => {
    const received: string[] = [];
    const s = await client({ trace: (e) => e.direction === 'received' && e.kind === 'handshake' && received.push(e.summary) });
    const roundTrip = async (text: string): Promise<void> => {
      s.write(text);
      let got = '';
      while (got.length < text.length) got += await new Promise<string>((r) => s.once('data', (d: Buffer) => r(d.toString())));
      expect(got).toBe(text);
    };
    await s.keyUpdate();
    await roundTrip('after update');
    expect(received.filter((x) => x.startsWith('KeyUpdate'))).toEqual([]);
    await s.keyUpdate(true);
    await roundTrip('after requested update');
    expect(received.filter((x) => x.startsWith('KeyUpdate'))).toHaveLength(1);
    s.destroy();
  });
});
