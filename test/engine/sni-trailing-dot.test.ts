/**
 * RFC 6066 §3: "The hostname is represented as a byte string using ASCII encoding without a
 * trailing dot." A servername given as an absolute name ('localhost.') is sent without it
 * (found by the sixth campaign), and the certificate still matches.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

describe('servername with a trailing dot', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)('%s: the server sees the name without the dot; the handshake verifies', async (v) => {
    const c = TlsConnection.client({ servername: 'localhost.', ca: pki.caCertPem, maxVersion: v });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(s.info.serverName).toBe('localhost');
    expect(c.info.certificateErrors).toEqual([]);
  });
});
