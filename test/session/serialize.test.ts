/**
 * Serialized sessions (issue 10 item 5): a session sealed into a blob and read back resumes a
 * connection built from another config (no shared store), and everything else a caller or an
 * attacker can hand in is refused with `SessionRejected` and never used: altered bytes,
 * truncations, another session key, another format version, sealed contents that are not a
 * session. A per-connection `session` for another server name or trust decision is simply not
 * offered (a full handshake).
 */
import { gcm } from '@noble/ciphers/aes.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { createClientConfig, createServerConfig, type ClientConfig, type ServerConfig } from '../../src/engine/setup.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { MAX_SESSION_BLOB, SESSION_KEY_LENGTH, deserializeSession, processSessionKey, serializeSession } from '../../src/session/serialize.js';
import type { ResumableSession } from '../../src/session/session.js';
import { pump } from '../../src/testing/index.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

let pki: TestPki;
let other: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
  other = await generateTestPki({ keyType: 'ecdsa-p256' });
});

const KEY = new Uint8Array(SESSION_KEY_LENGTH).fill(7);

function statusOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof TlsError) return e.status;
    throw e;
  }
}

/** One connection: its sessions (from onSession) and whether it resumed. */
async function run(cc: ClientConfig, sc: ServerConfig, per: { session?: ResumableSession; servername?: string } = {}): Promise<{ sessions: ResumableSession[]; resumed: boolean; serverResumed: boolean }> {
  const sessions: ResumableSession[] = [];
  const client = TlsConnection.client(cc, { servername: per.servername ?? 'localhost', session: per.session, onSession: (s) => sessions.push(s) });
  const server = TlsConnection.server(sc);
  await pump(client, server);
  client.write(new TextEncoder().encode('ping'));
  await pump(client, server);
  expect(client.error).toBeNull();
  return { sessions, resumed: client.info.resumed, serverResumed: server.info.resumed };
}

describe('serialized sessions', () => {
  it('a blob read back resumes a connection from a fresh config with no store; the resumed info carries the first certificate', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const first = await run(createClientConfig({ ca: pki.caCertPem, sessionStore: false }), sc);
    expect(first.resumed).toBe(false);
    expect(first.sessions.length).toBe(2);
    const blob = serializeSession(first.sessions[0]!, KEY);
    const back = deserializeSession(blob, KEY);
    expect(back.version).toBe('TLSv1.3');
    expect(back.storeKey).toBe(first.sessions[0]!.storeKey);
    expect(Buffer.from((back as { psk: Uint8Array }).psk).equals(Buffer.from((first.sessions[0] as { psk: Uint8Array }).psk))).toBe(true);
    expect(back.peerCertificates.map((c) => Buffer.from(c).toString('hex'))).toEqual(first.sessions[0]!.peerCertificates.map((c) => Buffer.from(c).toString('hex')));

    const second = await run(createClientConfig({ ca: pki.caCertPem, sessionStore: false }), sc, { session: back });
    expect(second.resumed).toBe(true);
    expect(second.serverResumed).toBe(true);
    // The resumed connection's own tickets are delivered too.
    expect(second.sessions.length).toBeGreaterThan(0);
  });

  it('a session is offered only under its server name and trust decision (another name, other anchors: full handshake), and to a server that cannot open it nothing breaks', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const lax = { ca: pki.caCertPem, ignorableCertificateErrors: ['InvalidName' as const], sessionStore: false as const };
    const first = await run(createClientConfig(lax), sc);
    const s = deserializeSession(serializeSession(first.sessions[0]!, KEY), KEY);
    // Same trust decision, same server, another name: not offered.
    expect((await run(createClientConfig(lax), sc, { session: s, servername: 'other.example' })).resumed).toBe(false);
    // Same name and server, other anchors (the server is still trusted: both CAs): not offered.
    expect((await run(createClientConfig({ ...lax, ca: [pki.caCertPem, other.caCertPem] }), sc, { session: s })).resumed).toBe(false);
    // The control: the same again resumes.
    const s2 = deserializeSession(serializeSession(first.sessions[1]!, KEY), KEY);
    expect((await run(createClientConfig(lax), sc, { session: s2 })).resumed).toBe(true);
    // A server with other ticket keys cannot open it: a full handshake, no failure.
    const sc2 = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    expect((await run(createClientConfig(lax), sc2, { session: s })).resumed).toBe(false);
  });

  it('byte fields that are Buffers (certificates read from Node sockets) round-trip as bytes, not as Buffer JSON', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const { sessions } = await run(createClientConfig({ ca: pki.caCertPem, sessionStore: false }), sc);
    const withBuffers = { ...sessions[0]!, peerCertificates: sessions[0]!.peerCertificates.map((c) => Buffer.from(c)) } as ResumableSession;
    const back = deserializeSession(serializeSession(withBuffers, KEY), KEY);
    expect(back.peerCertificates.every((c) => c instanceof Uint8Array)).toBe(true);
    expect(Buffer.from(back.peerCertificates[0]!).equals(Buffer.from(sessions[0]!.peerCertificates[0]!))).toBe(true);
  });

  it('the default key is this process’s: round trip without a key; any other key refuses the blob', async () => {
    const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const { sessions } = await run(createClientConfig({ ca: pki.caCertPem, sessionStore: false }), sc);
    const blob = serializeSession(sessions[0]!);
    expect(deserializeSession(blob).storeKey).toBe(sessions[0]!.storeKey);
    expect(processSessionKey()).toBe(processSessionKey());
    expect(statusOf(() => deserializeSession(blob, KEY))).toBe('SessionRejected');
    expect(statusOf(() => deserializeSession(serializeSession(sessions[0]!, KEY)))).toBe('SessionRejected');
    expect(statusOf(() => serializeSession(sessions[0]!, new Uint8Array(16)))).toBe('InvalidConfig');
    expect(statusOf(() => deserializeSession(blob, new Uint8Array(31)))).toBe('InvalidConfig');
  });

  describe('hostile blobs are refused with SessionRejected, never used', () => {
    let blob: Uint8Array;
    beforeAll(async () => {
      const sc = createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
      const { sessions } = await run(createClientConfig({ ca: pki.caCertPem, sessionStore: false }), sc);
      blob = serializeSession(sessions[0]!, KEY);
    });

    it('every single-byte change, every truncation, an appended byte', () => {
      for (let i = 0; i < blob.length; i++) {
        const b = blob.slice();
        b[i] = b[i]! ^ 0x01;
        expect(statusOf(() => deserializeSession(b, KEY)), `byte ${i}`).toBe('SessionRejected');
      }
      for (let n = 0; n < blob.length; n += 7) expect(statusOf(() => deserializeSession(blob.subarray(0, n), KEY))).toBe('SessionRejected');
      expect(statusOf(() => deserializeSession(Uint8Array.from([...blob, 0]), KEY))).toBe('SessionRejected');
    });

    it('fast-check: arbitrary bytes, and mutations of a real blob', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
          expect(statusOf(() => deserializeSession(b, KEY))).toBe('SessionRejected');
        }),
        { numRuns: 200 },
      );
      fc.assert(
        fc.property(fc.nat(blob.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
          const b = blob.slice();
          b[i] = b[i]! ^ x;
          expect(statusOf(() => deserializeSession(b, KEY))).toBe('SessionRejected');
        }),
        { numRuns: 200 },
      );
    });

    it('another format version, a too-large blob, and sealed contents that are not a session (forged with the key itself)', () => {
      const v2 = blob.slice();
      v2[3] = 2;
      expect(statusOf(() => deserializeSession(v2, KEY))).toBe('SessionRejected');
      expect(statusOf(() => deserializeSession(new Uint8Array(MAX_SESSION_BLOB + 1), KEY))).toBe('SessionRejected');
      // Whoever holds the key can seal anything: the shape is still checked.
      const seal = (text: string): Uint8Array => {
        const header = Uint8Array.of(0x50, 0x54, 0x53, 1);
        const nonce = new Uint8Array(12).fill(1);
        return Uint8Array.from([...header, ...nonce, ...gcm(KEY, nonce, header).encrypt(new TextEncoder().encode(text))]);
      };
      const real = JSON.parse(new TextDecoder().decode(gcm(KEY, blob.subarray(4, 16), blob.subarray(0, 4)).decrypt(blob.subarray(16)))) as Record<string, unknown>;
      expect(statusOf(() => deserializeSession(seal(JSON.stringify(real)), KEY))).toBe('ok');
      for (const bad of [
        'not json',
        '[]',
        'null',
        JSON.stringify({ ...real, version: 'TLSv1.4' }),
        JSON.stringify({ ...real, psk: { $b: 'AAAA' } }),
        JSON.stringify({ ...real, expiresAt: -1 }),
        JSON.stringify({ ...real, peerCertificates: ['x'] }),
        JSON.stringify({ ...real, certificateErrorSeverity: 'meh' }),
        JSON.stringify({ ...real, ticket: { $b: '!!' } }),
      ]) {
        expect(statusOf(() => deserializeSession(seal(bad), KEY)), bad.slice(0, 40)).toBe('SessionRejected');
      }
    });

    it('the blob holds the PSK sealed: neither it nor the ticket appear in the clear', async () => {
      const s = deserializeSession(blob, KEY) as ResumableSession & { psk: Uint8Array };
      const hay = Buffer.from(blob);
      expect(hay.includes(Buffer.from(s.psk.subarray(0, 12)))).toBe(false);
      expect(hay.toString('latin1').includes(Buffer.from(s.psk.subarray(0, 12)).toString('base64'))).toBe(false);
    });
  });
});
