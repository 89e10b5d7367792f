/**
 * The PSK pieces on their own (src/handshake/psk.ts, src/session/ticket13.ts), and a man in
 * the middle editing the offered PSK.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { TlsError } from '../../src/base/errors.js';
import { tls13Suite } from '../../src/crypto/suites.js';
import { CipherSuite, ContentType, PskKeyExchangeMode } from '../../src/wire/codes.js';
import { acceptPskSelection, type PskOffer } from '../../src/handshake/psk.js';
import { decodeTicketState13, encodeTicketState13, type TicketState13 } from '../../src/session/ticket13.js';
import type { Tls13Session } from '../../src/session/session.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig } from '../../src/engine/setup.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { MemorySessionStore } from '../../src/session/store.js';
import type { ResumableSession } from '../../src/session/session.js';

const session: Tls13Session = {
  version: 'TLSv1.3', serverName: 'a', storeKey: 'a|t', cipherSuite: CipherSuite.TLS_AES_128_GCM_SHA256, alpn: null, receivedAt: 0, expiresAt: 1e12,
  peerCertificates: [], certificateErrors: [], certificateErrorSeverity: 'none', signatureScheme: null,
  psk: new Uint8Array(32), ticket: new Uint8Array([1]), lifetime: 100, ageAdd: 0, maxEarlyData: 0,
};
const offer: PskOffer = { session, hash: 'sha256' };
const aes128 = tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)!;
const aes256 = tls13Suite(CipherSuite.TLS_AES_256_GCM_SHA384)!;
const dhe = [PskKeyExchangeMode.psk_dhe_ke];

function statusOf(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof TlsError ? `${e.status}/${e.alert}` : String(e);
  }
}

describe("the client's check of the server's PSK selection (RFC 9846 §4.3.11)", () => {
  it('accepts identity 0 under a suite of the PSK hash with a key share', () => {
    expect(acceptPskSelection(offer, 0, aes128, true, dhe).session).toBe(session);
  });
  it('selected_identity out of range → illegal_parameter', () => {
    expect(statusOf(() => acceptPskSelection(offer, 1, aes128, true, dhe))).toBe('IllegalParameter/47');
    expect(statusOf(() => acceptPskSelection(offer, 65535, aes128, true, dhe))).toBe('IllegalParameter/47');
  });
  it('a suite whose hash is not the PSK hash → illegal_parameter', () => {
    expect(statusOf(() => acceptPskSelection(offer, 0, aes256, true, dhe))).toBe('IllegalParameter/47');
  });
  it('no PSK offered (e.g. dropped after an HRR) → illegal_parameter', () => {
    expect(statusOf(() => acceptPskSelection(null, 0, aes128, true, dhe))).toBe('IllegalParameter/47');
  });
  it('psk_ke (no key share) when we offered psk_dhe_ke only → illegal_parameter', () => {
    expect(statusOf(() => acceptPskSelection(offer, 0, aes128, false, dhe))).toBe('IllegalParameter/47');
    expect(acceptPskSelection(offer, 0, aes128, false, [PskKeyExchangeMode.psk_ke, PskKeyExchangeMode.psk_dhe_ke]).session).toBe(session);
  });
});

describe('ticket state codec', () => {
  const state: TicketState13 = {
    cipherSuite: 0x1301, issuedAt: 1_765_000_000_123, lifetime: 7200, ageAdd: 0xdeadbeef, maxEarlyData: 0, psk: new Uint8Array(32).fill(7),
    serverName: 'localhost', alpn: 'h2', clientAuth: 'certificate', clientChain: [new Uint8Array([1, 2, 3])], clientErrors: ['Untrusted'],
  };
  it('round-trips', () => {
    expect(decodeTicketState13(encodeTicketState13(state)!)).toEqual(state);
  });
  it('every strict prefix, and any trailing byte, reads as no ticket', () => {
    const b = encodeTicketState13(state)!;
    for (let n = 0; n < b.length; n++) expect(decodeTicketState13(b.subarray(0, n))).toBeNull();
    expect(decodeTicketState13(new Uint8Array([...b, 0]))).toBeNull();
  });
  it('a TLS 1.2 state tag, a fatal error code or a chain without certificate auth reads as no ticket', () => {
    const b = encodeTicketState13(state)!;
    expect(decodeTicketState13(new Uint8Array([0x12, ...b.subarray(1)]))).toBeNull();
    expect(decodeTicketState13(encodeTicketState13({ ...state, clientErrors: ['Revoked' as 'Untrusted'] })!)).toBeNull();
    expect(decodeTicketState13(encodeTicketState13({ ...state, clientAuth: 'no-certificate' })!)).toBeNull();
  });
  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      decodeTicketState13(b);
    }));
  });
});

describe('a man in the middle and the offered PSK', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  });

  async function seeded() {
    const store = new MemorySessionStore();
    const cc = createClientConfig({ ca: pki.caCertPem, sessionStore: store });
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const c = TlsConnection.client(cc, { servername: 'localhost' });
    const s = TlsConnection.server(sc);
    await pump(c, s);
    c.write(new Uint8Array([1]));
    await pump(c, s);
    expect(store.size).toBe(2);
    return { cc, sc };
  }

  /** Runs a second handshake with the ClientHello record edited by `edit`. */
  async function withEditedHello(edit: (rec: Uint8Array) => void) {
    const { cc, sc } = await seeded();
    const c = TlsConnection.client(cc, { servername: 'localhost' });
    const s = TlsConnection.server(sc);
    await c.start();
    const hello = c.takeOutput()!;
    expect(hello[0]).toBe(ContentType.handshake);
    edit(hello);
    s.receive(hello);
    await s.process().catch(() => undefined);
    return { c, s };
  }

  it('changing the obfuscated ticket age by 1 ms (inside the window) breaks the binder → decrypt_error', async () => {
    // pre_shared_key is last: ... identity, obfuscated_ticket_age[4], binders<2>{ len[1] binder[32] }.
    const { s } = await withEditedHello((rec) => {
      rec[rec.length - 33 - 2 - 1]! ^= 1;
    });
    expect(s.error?.status).toBe('DecryptError');
    expect(s.error?.alert).toBe(51);
  });

  it('changing any other byte of the ClientHello before the binders breaks the binder → decrypt_error', async () => {
    // The client random (record header 5 + handshake header 4 + legacy_version 2).
    const { s } = await withEditedHello((rec) => {
      rec[5 + 4 + 2 + 7]! ^= 0x80;
    });
    expect(s.error?.status).toBe('DecryptError');
  });

  it('property: a ticket corrupted anywhere means a full handshake, never an error', async () => {
    const { sc } = await seeded();
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (pos, xor) => {
        // A fresh full handshake; the store keeps only the newest ticket, which we corrupt.
        const inner = new MemorySessionStore({ maxPerKey: 1 });
        let last: ResumableSession | undefined;
        const cc = createClientConfig({
          ca: pki.caCertPem,
          sessionStore: { get: (k) => inner.get(k), put: (k, v) => inner.put(k, (last = v)), delete: (k, v) => inner.delete(k, v) },
        });
        const a = TlsConnection.client(cc, { servername: 'localhost' });
        const b = TlsConnection.server(sc);
        await pump(a, b);
        a.write(new Uint8Array([1]));
        await pump(a, b);
        expect(inner.size).toBe(1);
        last!.ticket[pos % last!.ticket.length]! ^= xor;
        const c = TlsConnection.client(cc, { servername: 'localhost' });
        const d = TlsConnection.server(sc);
        await pump(c, d);
        expect(c.error).toBeNull();
        expect(d.error).toBeNull();
        expect(c.info.resumed).toBe(false);
      }),
      { numRuns: 12 },
    );
  });
});
