/**
 * Record-layer rules that depend on the negotiated version (src/record/layer.ts): once TLS
 * 1.2 is negotiated every record carries 0x0303 (RFC 5246 Appendix E.1, checked as Go and
 * OpenSSL do); in TLS 1.3 legacy_record_version is ignored (RFC 9846 §5.1); only the initial
 * ClientHello is sent with 0x0301.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions } from '../../src/config/config.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/pipe.js';
import { readAll } from '../../src/testing/endpoint.js';
import { deliver, firstFlight, flushed, parseRecords, encodeRecords } from '../helpers/mitm.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function pair(c: ClientOptions = {}): { client: TlsConnection; server: TlsConnection } {
  return {
    client: TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ...c }),
    server: TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem }),
  };
}

/** Rewrites the record version of every record in `bytes`. */
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
  return encodeRecords(parseRecords(bytes).map((r) => ({ ...r, version })));
}

describe('record versions', () => {
  it('only the initial ClientHello carries 0x0301; every later record 0x0303', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const p = pair({ maxVersion });
      const ch = await firstFlight(p.client);
      expect(parseRecords(ch).map((r) => r.version)).toEqual([0x0301]);
      await deliver(p.server, ch);
      await pump(p.client, p.server);
      p.client.write(new Uint8Array([1, 2, 3]));
      const later = (await flushed(p.client))!;
      expect(parseRecords(later).every((r) => r.version === 0x0303)).toBe(true);
    }
  });

  it('a client alert sent before the version is known carries 0x0303 (RFC 9846 §5.1: only the initial ClientHello may use 0x0301)', async () => {
    const p = pair();
    await firstFlight(p.client);
    await deliver(p.client, new Uint8Array([22, 3, 3, 0, 4, 2, 0, 0, 0])); // an empty ServerHello: decode_error
    const out = p.client.takeOutput()!;
    expect(parseRecords(out).map((r) => [r.type, r.version])).toEqual([[21, 0x0303]]);
  });

  it('TLS 1.2: a protected record with another record version after negotiation → ProtocolVersion/protocol_version', async () => {
    const p = pair({ maxVersion: 'TLSv1.2' });
    await pump(p.client, p.server);
    p.client.write(new Uint8Array([1, 2, 3]));
    await deliver(p.server, withVersion((await flushed(p.client))!, 0x0301));
    expect(p.server.error?.status).toBe('ProtocolVersion');
    expect(p.server.error?.alert).toBe(70);
  });

  it('TLS 1.3: legacy_record_version is ignored — still authenticated as part of the additional data', async () => {
    const p = pair({ maxVersion: 'TLSv1.3' });
    await pump(p.client, p.server);
    p.client.write(new Uint8Array([1, 2, 3]));
    await deliver(p.server, withVersion((await flushed(p.client))!, 0x0301));
    // The header is the AEAD's additional data (RFC 9846 §5.2): a rewritten version fails to authenticate, it is not a version error.
    expect(p.server.error?.status).toBe('BadRecordMac');
    // The initial ClientHello is taken with any 0x03xx.
    const q = pair({ maxVersion: 'TLSv1.3' });
    await deliver(q.server, withVersion(await firstFlight(q.client), 0x0300));
    expect(q.server.error).toBeNull();
    await pump(q.client, q.server);
    q.server.write(new Uint8Array([9]));
    await pump(q.client, q.server);
    expect(readAll(q.client)).toEqual(new Uint8Array([9]));
  });
});
