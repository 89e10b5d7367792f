/**
 * Campaign 9: a careless `random` source (the config's RandomSource, which the handshake and
 * the provider draw from). The engine cannot judge randomness (a fixed source is a feature:
 * replayable handshakes), but it must not be broken by the shape of what it gets:
 *
 * - a source that answers views of one buffer it refills on every call (a common "no
 *   allocation" pattern) broke TLS 1.2 in both roles: the hello random kept by reference was
 *   overwritten by the next draw after it was sent, so the key block (client) or the signed
 *   ServerKeyExchange content (server) used another random than the wire: the peer failed
 *   with bad_record_mac / decrypt_error, blaming us for nothing it could see;
 * - a source that answers too few or too many bytes, something that is not a Uint8Array, or
 *   throws: InternalError on that side naming the random source (the details were "offset is
 *   out of bounds", "privateKey.subarray is not a function", "X25519 private key must be 32
 *   bytes"), nothing malformed sent.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import type { RandomSource } from '../../src/crypto/provider.js';
import { TlsError } from '../../src/base/errors.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const VERSIONS = ['TLSv1.3', 'TLSv1.2'] as const;
const SIDES = ['client', 'server'] as const;

async function run(side: (typeof SIDES)[number], random: RandomSource, version: (typeof VERSIONS)[number]) {
  const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxVersion: version, ...(side === 'client' ? { random } : {}) });
  const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ...(side === 'server' ? { random } : {}) });
  await pump(c, s);
  return side === 'client' ? { ours: c, peer: s } : { ours: s, peer: c };
}

describe('campaign9: a random source that reuses its buffer', () => {
  for (const version of VERSIONS) {
    for (const side of SIDES) {
      it(`(${side}, ${version}) views of one refilled buffer: the handshake completes`, async () => {
        const buf = new Uint8Array(256);
        const reusing: RandomSource = (n) => {
          crypto.getRandomValues(buf);
          return buf.subarray(0, n);
        };
        const { ours, peer } = await run(side, reusing, version);
        expect([ours.error?.detail ?? null, peer.error?.detail ?? null, ours.handshakeComplete]).toEqual([null, null, true]);
      });
    }
  }
});

describe('campaign9: a random source that answers the wrong thing', () => {
  const bad: [string, RandomSource][] = [
    ['one byte short', (n) => crypto.getRandomValues(new Uint8Array(n - 1))],
    ['one byte long', (n) => crypto.getRandomValues(new Uint8Array(n + 1))],
    ['an array of numbers', (n) => Array.from({ length: n }, () => 1) as unknown as Uint8Array],
    ['an ArrayBuffer', (n) => new ArrayBuffer(n) as unknown as Uint8Array],
    ['throws', () => {
      throw new Error('entropy pool closed');
    }],
  ];
  for (const version of VERSIONS) {
    for (const side of SIDES) {
      it(`(${side}, ${version}) ${bad.map((b) => b[0]).join(', ')}: InternalError naming the random source; the peer gets internal_error or nothing`, async () => {
        for (const [name, random] of bad) {
          const { ours, peer } = await run(side, random, version);
          expect(ours.error).toBeInstanceOf(TlsError);
          expect({ name, status: ours.error?.status, detail: ours.error?.detail }).toEqual({ name, status: 'InternalError', detail: expect.stringMatching(/random source/) });
          if (peer.error) expect({ name, peer: peer.error.status, alert: peer.error.alert }).toEqual({ name, peer: 'AlertReceived', alert: 80 });
        }
      });
    }
  }
});
