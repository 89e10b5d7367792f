/**
 * createPair (puretls/testing): a client and a server from a test PKI with seeded random
 * and a fixed clock, connected by a FaultPipe; the defaults complete a handshake, options
 * override them, the same seed sends the same bytes, and the pipe's faults apply.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createPair, generateTestPki, type TestPki } from '../../src/testing/index.js';
import { payload, sameBytes } from '../helpers/bytes.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('createPair', () => {
  it('completes a TLS 1.3 handshake by default and carries data both ways into received()', async () => {
    const { client, server, pipe } = createPair({ pki });
    await pipe.settle();
    expect(client.info.version).toBe('TLSv1.3');
    expect(server.handshakeComplete).toBe(true);
    client.write(payload(5000, 1));
    server.write(payload(70_000, 2));
    await pipe.settle();
    expect(sameBytes(pipe.received('server'), payload(5000, 1))).toBe(true);
    expect(sameBytes(pipe.received('client'), payload(70_000, 2))).toBe(true);
  });

  it('client and server options override the defaults', async () => {
    const { client, server, pipe } = createPair({ pki, client: { maxVersion: 'TLSv1.2', ALPNProtocols: ['h2'] }, server: { ALPNProtocols: ['http/1.1', 'h2'] } });
    await pipe.settle();
    expect(client.info).toMatchObject({ version: 'TLSv1.2', alpn: 'h2' });
    expect(server.info.alpn).toBe('h2');
  });

  it('the same seed sends the same bytes, another seed other bytes, however the pipe cuts them', async () => {
    const now = Date.now();
    const run = async (seed: number, chunk: number | 'whole'): Promise<Uint8Array[]> => {
      const { client, server, pipe } = createPair({ pki, seed, now, pipe: { chunk } });
      await pipe.settle();
      expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
      return [pipe.sent('c2s'), pipe.sent('s2c')];
    };
    const a = await run(3, 'whole');
    const b = await run(3, 7);
    const c = await run(4, 'whole');
    expect(sameBytes(a[0]!, b[0]!) && sameBytes(a[1]!, b[1]!)).toBe(true);
    expect(sameBytes(a[0]!, c[0]!)).toBe(false);
  });

  it('a fixed clock outside the certificate validity: the client refuses the certificate (Expired)', async () => {
    const { client, pipe } = createPair({ pki, now: Date.now() + 400 * 24 * 3600_000 });
    await pipe.settle();
    expect(client.error?.status).toBe('CertificateExpired');
  });

  it("the pipe's faults apply: the server's encrypted flight corrupted → BadRecordMac at the client, AlertReceived at the server", async () => {
    const { client, server, pipe } = createPair({ pki, pipe: { faults: [{ dir: 's2c', kind: 'corrupt', unit: 'record', at: 2 }] } });
    await pipe.settle();
    expect(client.error?.status).toBe('BadRecordMac');
    expect(server.error?.status).toBe('AlertReceived');
    expect(server.error?.alert).toBe(client.error?.alert);
  });
});
