/**
 * RFC 8448 engine replay (STYLE.md §6.7): our TlsConnection, client and server, is fed
 * the RFC's randoms, ephemeral keys and peer records, and must produce the RFC's records
 * byte for byte. Sections: §3 "Simple 1-RTT Handshake" and §5 "HelloRetryRequest"
 * (vectors/rfc8448/simple-1rtt.json, hrr.json; the key schedule itself is checked in
 * rfc8448-keys.test.ts).
 *
 * How determinism is obtained (all through public options, see test/helpers/replay.ts):
 * - `random` is a scripted source: each draw must have the scripted length, in the
 *   engine's order (client: random, legacy_session_id, one private key per key share,
 *   then the HRR group's key; server: [HRR cookie], key share private key, server
 *   random, RSA-PSS salt, then RSA blinding and ticket values as filler).
 * - X25519 private keys are injected as they are (src/crypto/kx.ts uses the 32 bytes as
 *   the scalar). P-256 keys are drawn as 40 bytes c and mapped to d = (c mod (n−1)) + 1,
 *   so the RFC's d is injected as c = d − 1 (helpers/replay.ts `p256PrivateKeyDraw`).
 * - The ClientHello is shaped by a ClientHello hook (`withTestHooks`, puretls/testing)
 *   into the RFC's (NSS's) ClientHello: legacy_session_id empty (no middlebox
 *   compatibility mode, so no CCS records), the RFC's cipher suite list and its extensions in its order (server_name,
 *   renegotiation_info, supported_groups with FFDHE groups, session_ticket,
 *   record_size_limit, padding in §5's second ClientHello, ...) — but `random`, the
 *   key_share entries and the cookie stay those the engine produced. Our random and key
 *   shares equal the RFC's only because the RFC's randomness was injected.
 * - The server's EncryptedExtensions are set by an EncryptedExtensions hook to the RFC's
 *   (supported_groups, record_size_limit, empty server_name), which we do not send ourselves.
 * - The RSA-PSS CertificateVerify is salted: the salt is recovered from the RFC's
 *   signature (RSAVP1 then the EMSA-PSS-VERIFY unmasking, RFC 8017 §9.1.2) and injected;
 *   the blinding randomness drawn after it is arbitrary filler and must not (and is
 *   checked not to) change the signature.
 * - §5 server: the RFC's HelloRetryRequest cookie is NSS's 114-byte opaque state, while
 *   our server draws a 32-byte random cookie; a HelloRetryRequest hook replaces the cookie
 *   value (only that) with the RFC's, and the server then requires that cookie back.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ServerOptions } from '../../src/config/config.js';
import { withTestHooks, type ServerTestHooks } from '../../src/testing/index.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { decodeHandshakeBytes } from '../../src/wire/handshake.js';
import type { ClientHello, EncryptedExtensions, NewSessionTicket } from '../../src/wire/messages.js';
import {
  type Draw,
  type ReplayVector,
  feed,
  fromHex,
  loadVector,
  openRecord,
  p256PrivateKeyDraw,
  pinnedVerifier,
  recoverPssSalt,
  rsaPrivateKeyDer,
  scriptedRandom,
  splitRecords,
  toHex,
} from '../helpers/replay.js';

const s3 = loadVector('simple-1rtt.json');
const s5 = loadVector('hrr.json');
const b = fromHex;
const hexOf = (x: Uint8Array | null | undefined): string => (x ? toHex(x) : '<none>');

const CT_HANDSHAKE = 22;

/** The RFC's signature in a CertificateVerify message (type 4 bytes, scheme 2, length 2, signature). */
function cvSignature(cvMessageHex: string): Uint8Array {
  return b(cvMessageHex).subarray(8);
}

/**
 * ClientHello hook: returns the RFC ClientHello matching the engine's (the one with a
 * cookie for the second ClientHello), keeping the engine's random, key shares and cookie.
 */
function rfcClientHelloHook(first: string, second?: string): (ch: ClientHello) => ClientHello {
  return (ch) => {
    const isSecond = ch.extensions.cookie !== undefined;
    if (isSecond && second === undefined) throw new Error('unexpected second ClientHello');
    const t = decodeHandshakeBytes(b(isSecond ? second! : first)) as ClientHello;
    const extensions = { ...t.extensions, keyShare: ch.extensions.keyShare };
    if (isSecond) extensions.cookie = ch.extensions.cookie;
    return { ...t, raw: undefined, random: ch.random, extensions };
  };
}

/** EncryptedExtensions hook: the RFC's EncryptedExtensions. */
function rfcEncryptedExtensions(v: ReplayVector): () => EncryptedExtensions['extensions'] {
  return () => (decodeHandshakeBytes(b(v.messages.encryptedExtensions!)) as EncryptedExtensions).extensions;
}

function clientConn(v: ReplayVector, script: Draw[], hook: (ch: ClientHello) => ClientHello) {
  const rnd = scriptedRandom(script);
  const verifier = pinnedVerifier(b(v.serverCertificate), (spki) => nobleProvider.parsePublicKey(spki));
  const conn = TlsConnection.client(
    withTestHooks(
      {
        random: rnd.random,
        now: () => Date.UTC(2016, 6, 30), // the RFC traces date from mid-2016 (unused: the verifier is pinned)
        servername: 'server',
        keyShareGroups: ['x25519'],
        verifier,
      },
      { clientHello: hook },
    ),
  );
  return { conn, rnd, verifier };
}

function serverConn(v: ReplayVector, script: Draw[], extra: Partial<ServerOptions> = {}, seed?: string, hooks: ServerTestHooks = {}) {
  const rnd = scriptedRandom(script, seed);
  const conn = TlsConnection.server(
    withTestHooks(
      {
        random: rnd.random,
        now: () => Date.UTC(2016, 6, 30),
        cert: b(v.serverCertificate),
        key: rsaPrivateKeyDer(v.serverRsaKey),
        ...extra,
      },
      { encryptedExtensions: rfcEncryptedExtensions(v), ...hooks },
    ),
  );
  return { conn, rnd };
}

/**
 * Records of one takeOutput(), as hex, once every record `conn` is sealing is sealed: at once
 * for a synchronous AEAD; with an async one, records from write()/close() appear only then.
 */
async function outRecords(conn: TlsConnection): Promise<string[]> {
  await conn.settled();
  return splitRecords(conn.takeOutput()).map((r) => toHex(r.bytes));
}

// ============================================================================ §3 client

describe('RFC 8448 §3 Simple 1-RTT: our client replays the trace', () => {
  const r = {} as {
    client: ReturnType<typeof clientConn>;
    clientHello: string[];
    afterServerHello: string[];
    afterFlight: string[];
    afterTicket: string[];
    received: string;
    appData: string[];
    alert: string[];
    phaseAfterPeerClose: string;
  };
  beforeAll(async () => {
    const client = clientConn(
      s3,
      [
        { label: 'client random', bytes: b(s3.randoms.client!) },
        { label: 'legacy_session_id (dropped by the hook)', filler: 32 },
        { label: 'x25519 private key', bytes: b(s3.keyShares.client!.privateKey) },
      ],
      rfcClientHelloHook(s3.messages.clientHello!),
    );
    r.client = client;
    const c = client.conn;
    await c.process();
    r.clientHello = await outRecords(c);
    await feed(c, b(s3.records.serverHello!));
    r.afterServerHello = await outRecords(c);
    await feed(c, b(s3.records.serverHandshakeFlight!));
    r.afterFlight = await outRecords(c);
    await feed(c, b(s3.records.newSessionTicket!));
    r.afterTicket = await outRecords(c);
    await feed(c, b(s3.records.serverApplicationData!));
    r.received = hexOf(c.read());
    if (!c.error) c.write(b(s3.applicationData!));
    r.appData = await outRecords(c);
    c.close();
    r.alert = await outRecords(c);
    await feed(c, b(s3.records.serverAlert!));
    r.phaseAfterPeerClose = c.phase;
  });

  it('draws client random, session id and the x25519 key, in that order, and nothing else', () => {
    expect(r.client.rnd.log).toEqual([
      { n: 32, label: 'client random' },
      { n: 32, label: 'legacy_session_id (dropped by the hook)' },
      { n: 32, label: 'x25519 private key' },
    ]);
  });

  it('sends the RFC ClientHello record byte for byte (our random and x25519 share, RFC extensions)', () => {
    expect(r.clientHello).toEqual([s3.records.clientHello]);
  });

  it('sends nothing after the ServerHello record alone', () => {
    expect(r.afterServerHello).toEqual([]);
  });

  it('answers the RFC server flight with the RFC client Finished record byte for byte', () => {
    const c = r.client.conn;
    expect(c.error).toBeNull();
    expect(r.afterFlight).toEqual([s3.records.clientFinished]);
    expect(c.handshakeComplete).toBe(true);
    expect(c.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', signatureScheme: 'rsa_pss_rsae_sha256' });
    // The certificate went to the verifier as sent, with the name we asked for.
    expect(r.client.verifier.requests.map((q) => [q.certificates.map(toHex), q.serverName])).toEqual([[[s3.serverCertificate], 'server']]);
  });

  it('accepts the RFC NewSessionTicket without answering, and reads the RFC application data', () => {
    expect(r.afterTicket).toEqual([]);
    const nst = decodeHandshakeBytes(b(s3.messages.newSessionTicket!)) as NewSessionTicket;
    expect(r.client.conn.tickets).toHaveLength(1);
    expect(r.client.conn.tickets[0]).toMatchObject({ lifetime: 30, ageAdd: nst.ageAdd });
    expect(toHex(r.client.conn.tickets[0]!.nonce)).toBe('0000');
    expect(toHex(r.client.conn.tickets[0]!.ticket)).toBe(toHex(nst.ticket));
    expect(r.received).toBe(s3.applicationData);
  });

  it('seals the same 50 bytes into the RFC client application data record byte for byte', () => {
    expect(r.appData).toEqual([s3.records.clientApplicationData]);
  });

  it('sends the RFC close_notify record byte for byte, and is closed after the server close_notify', () => {
    expect(r.alert).toEqual([s3.records.clientAlert]);
    expect(r.phaseAfterPeerClose).toBe('closed');
    expect(r.client.conn.error).toBeNull();
  });
});

// ============================================================================ §3 server

function s3ServerScript(): Draw[] {
  return [
    { label: 'x25519 private key', bytes: b(s3.keyShares.server!.privateKey) },
    { label: 'server random', bytes: b(s3.randoms.server!) },
    { label: 'RSA-PSS salt', bytes: recoverPssSalt(s3.serverRsaKey, cvSignature(s3.messages.certificateVerify!)) },
  ];
}

describe('RFC 8448 §3 Simple 1-RTT: our server replays the trace', () => {
  const r = {} as {
    server: ReturnType<typeof serverConn>;
    flight: string[];
    afterFinished: string[];
    appData: string[];
    received: string;
    alert: string[];
  };
  beforeAll(async () => {
    // One ticket, so that the application data and the alert get the RFC's sequence numbers (1, 2).
    const server = serverConn(s3, s3ServerScript(), { sessionTickets: 1 });
    r.server = server;
    const s = server.conn;
    await feed(s, b(s3.records.clientHello!));
    r.flight = await outRecords(s);
    await feed(s, b(s3.records.clientFinished!));
    r.afterFinished = await outRecords(s);
    if (!s.error) s.write(b(s3.applicationData!));
    r.appData = await outRecords(s);
    await feed(s, b(s3.records.clientApplicationData!));
    r.received = hexOf(s.read());
    await feed(s, b(s3.records.clientAlert!));
    s.close();
    r.alert = await outRecords(s);
  });

  it('recovers a well-formed 32-byte PSS salt from the RFC CertificateVerify signature', () => {
    const salt = recoverPssSalt(s3.serverRsaKey, cvSignature(s3.messages.certificateVerify!));
    expect(salt).toHaveLength(32);
    // The §5 signature has its own salt (both are fresh per signature).
    expect(toHex(recoverPssSalt(s5.serverRsaKey, cvSignature(s5.messages.certificateVerify!)))).not.toBe(toHex(salt));
  });

  it('draws the key share, the server random and the PSS salt in that order, then only blinding and ticket filler', () => {
    const log = r.server.rnd.log;
    expect(log.slice(0, 3).map((d) => d.label)).toEqual(['x25519 private key', 'server random', 'RSA-PSS salt']);
    expect(log.slice(3).every((d) => d.label === 'filler')).toBe(true);
    expect(r.server.rnd.remaining()).toBe(0);
  });

  it('sends the RFC ServerHello record byte for byte', () => {
    expect(r.flight[0]).toBe(s3.records.serverHello);
  });

  it('sends EE, Certificate, CertificateVerify and Finished as the RFC encrypted record, byte for byte', () => {
    expect(r.flight).toHaveLength(2);
    // First the plaintext (a readable diff names the message that differs), then the record.
    const k = s3.trafficKeys.serverHandshake!;
    const inner = openRecord(b(r.flight[1]!), b(k.key), b(k.iv), 0);
    expect(inner.type).toBe(CT_HANDSHAKE);
    const m = s3.messages;
    expect(toHex(inner.content)).toBe(m.encryptedExtensions! + m.certificate! + m.certificateVerify! + m.serverFinished!);
    expect(r.flight[1]).toBe(s3.records.serverHandshakeFlight);
  });

  it('produces the same flight whatever the RSA blinding randomness', async () => {
    const other = serverConn(s3, s3ServerScript(), { sessionTickets: 1 }, 'different blinding seed');
    await feed(other.conn, b(s3.records.clientHello!));
    expect(await outRecords(other.conn)).toEqual([s3.records.serverHello, s3.records.serverHandshakeFlight]);
    // The pure provider blinds with the config's random source (so blinding did draw); the
    // native one blinds inside OpenSSL and draws only the salt (PURETLS_TEST_CRYPTO=native).
    if (other.conn.crypto === nobleProvider) expect(other.rnd.log.slice(3).length).toBeGreaterThan(0);
    else expect(other.rnd.log.slice(3).map((d) => d.label)).not.toContain('RSA-PSS salt');
  });

  it('accepts the RFC client Finished and completes the handshake', () => {
    expect(r.server.conn.error).toBeNull();
    expect(r.server.conn.handshakeComplete).toBe(true);
    expect(r.server.conn.info).toMatchObject({ version: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', signatureScheme: 'rsa_pss_rsae_sha256' });
  });

  it('sends its NewSessionTicket under the RFC server application key at sequence 0 (contents not compared)', () => {
    // Not byte-comparable: the RFC's (NSS) ticket has lifetime 30, a 2-byte nonce, a
    // 178-byte ticket and an early_data extension; ours (resumption is a later issue) has
    // lifetime 7200, a 1-byte nonce, 32 random bytes and no extensions. What is
    // deterministic — the key, IV and sequence number protecting it — is checked by
    // opening it with the RFC's keys.
    expect(r.afterFinished).toHaveLength(1);
    const k = s3.trafficKeys.serverApplication!;
    const inner = openRecord(b(r.afterFinished[0]!), b(k.key), b(k.iv), 0);
    expect(inner.type).toBe(CT_HANDSHAKE);
    const nst = decodeHandshakeBytes(inner.content);
    expect(nst.type).toBe('new_session_ticket');
  });

  it('seals the RFC server application data record (sequence 1) byte for byte', () => {
    expect(r.appData).toEqual([s3.records.serverApplicationData]);
  });

  it('reads the RFC client application data and sends the RFC close_notify record byte for byte', () => {
    expect(r.received).toBe(s3.applicationData);
    expect(r.alert).toEqual([s3.records.serverAlert]);
    expect(r.server.conn.phase).toBe('closed');
    expect(r.server.conn.error).toBeNull();
  });
});

// ============================================================================ §5 client

describe('RFC 8448 §5 HelloRetryRequest: our client replays the trace', () => {
  const r = {} as {
    client: ReturnType<typeof clientConn>;
    clientHello1: string[];
    clientHello2: string[];
    afterServerHello: string[];
    afterFlight: string[];
    alert: string[];
    phaseAfterPeerClose: string;
  };
  beforeAll(async () => {
    const client = clientConn(
      s5,
      [
        { label: 'client random', bytes: b(s5.randoms.client!) },
        { label: 'legacy_session_id (dropped by the hook)', filler: 32 },
        { label: 'x25519 private key', bytes: b(s5.keyShares.clientX25519!.privateKey) },
        { label: 'P-256 private key (after HRR)', bytes: p256PrivateKeyDraw(s5.keyShares.clientP256!.privateKey) },
      ],
      rfcClientHelloHook(s5.messages.clientHello1!, s5.messages.clientHello2!),
    );
    r.client = client;
    const c = client.conn;
    await c.process();
    r.clientHello1 = await outRecords(c);
    await feed(c, b(s5.records.helloRetryRequest!));
    r.clientHello2 = await outRecords(c);
    await feed(c, b(s5.records.serverHello!));
    r.afterServerHello = await outRecords(c);
    await feed(c, b(s5.records.serverHandshakeFlight!));
    r.afterFlight = await outRecords(c);
    c.close();
    r.alert = await outRecords(c);
    await feed(c, b(s5.records.serverAlert!));
    r.phaseAfterPeerClose = c.phase;
  });

  it('injected private keys give the RFC public keys (x25519 bytes as is; P-256 d drawn as d − 1)', () => {
    const ks = s5.keyShares;
    expect(toHex(nobleProvider.keyShare(0x1d, b(ks.clientX25519!.privateKey)).publicKey)).toBe(ks.clientX25519!.publicKey);
    expect(nobleProvider.keySharePrivateLength(0x17)).toBe(40);
    for (const k of [ks.clientP256!, ks.serverP256!]) {
      expect(toHex(nobleProvider.keyShare(0x17, p256PrivateKeyDraw(k.privateKey)).publicKey)).toBe(k.publicKey);
    }
  });

  it('sends the RFC ClientHello1 record (x25519 share, record version 0x0301) byte for byte', () => {
    expect(r.clientHello1).toEqual([s5.records.clientHello1]);
  });

  it('answers the RFC HelloRetryRequest with the RFC ClientHello2 record (P-256 share, cookie, version 0x0303) byte for byte', () => {
    expect(r.client.conn.error).toBeNull();
    expect(r.clientHello2).toEqual([s5.records.clientHello2]);
    expect(r.client.rnd.log.map((d) => d.label)).toEqual([
      'client random',
      'legacy_session_id (dropped by the hook)',
      'x25519 private key',
      'P-256 private key (after HRR)',
    ]);
  });

  it('answers the RFC server flight with the RFC client Finished record byte for byte', () => {
    const c = r.client.conn;
    expect(r.afterServerHello).toEqual([]);
    expect(c.error).toBeNull();
    expect(r.afterFlight).toEqual([s5.records.clientFinished]);
    expect(c.handshakeComplete).toBe(true);
    expect(c.info).toMatchObject({ version: 'TLSv1.3', group: 'secp256r1', helloRetryRequest: true, signatureScheme: 'rsa_pss_rsae_sha256' });
  });

  it('sends the RFC close_notify record byte for byte, and is closed after the server close_notify', () => {
    expect(r.alert).toEqual([s5.records.clientAlert]);
    expect(r.phaseAfterPeerClose).toBe('closed');
    expect(r.client.conn.error).toBeNull();
  });
});

// ============================================================================ §5 server

describe('RFC 8448 §5 HelloRetryRequest: our server (secp256r1 only) replays the trace', () => {
  const r = {} as {
    server: ReturnType<typeof serverConn>;
    hrr: string[];
    flight: string[];
    afterFinished: string[];
    alert: string[];
  };
  beforeAll(async () => {
    const server = serverConn(
      s5,
      [
        { label: 'HRR cookie (replaced by the HelloRetryRequest hook)', filler: 32 },
        { label: 'P-256 private key', bytes: p256PrivateKeyDraw(s5.keyShares.serverP256!.privateKey) },
        { label: 'server random', bytes: b(s5.randoms.server!) },
        { label: 'RSA-PSS salt', bytes: recoverPssSalt(s5.serverRsaKey, cvSignature(s5.messages.certificateVerify!)) },
      ],
      { groups: ['secp256r1'], sessionTickets: 0 }, // the RFC 8448 §5 trace has no NewSessionTicket
      undefined,
      { helloRetryRequest: (ext) => ({ ...ext, cookie: b(s5.helloRetryRequestCookie!) }) },
    );
    r.server = server;
    const s = server.conn;
    await feed(s, b(s5.records.clientHello1!));
    r.hrr = await outRecords(s);
    await feed(s, b(s5.records.clientHello2!));
    r.flight = await outRecords(s);
    await feed(s, b(s5.records.clientFinished!));
    r.afterFinished = await outRecords(s);
    await feed(s, b(s5.records.clientAlert!));
    s.close();
    r.alert = await outRecords(s);
  });

  it('answers ClientHello1 (x25519 share only) with the RFC HelloRetryRequest record byte for byte', () => {
    expect(r.server.conn.error).toBeNull();
    expect(r.hrr).toEqual([s5.records.helloRetryRequest]);
  });

  it('answers ClientHello2 with the RFC ServerHello record byte for byte', () => {
    expect(r.server.conn.error).toBeNull();
    expect(r.flight[0]).toBe(s5.records.serverHello);
  });

  it('sends EE, Certificate, CertificateVerify and Finished as the RFC encrypted record, byte for byte', () => {
    expect(r.flight).toHaveLength(2);
    const k = s5.trafficKeys.serverHandshake!;
    const inner = openRecord(b(r.flight[1]!), b(k.key), b(k.iv), 0);
    expect(inner.type).toBe(CT_HANDSHAKE);
    const m = s5.messages;
    expect(toHex(inner.content)).toBe(m.encryptedExtensions! + m.certificate! + m.certificateVerify! + m.serverFinished!);
    expect(r.flight[1]).toBe(s5.records.serverHandshakeFlight);
  });

  it('draws the cookie, the P-256 key, the server random and the PSS salt in that order', () => {
    expect(r.server.rnd.log.slice(0, 4).map((d) => d.label)).toEqual([
      'HRR cookie (replaced by the HelloRetryRequest hook)',
      'P-256 private key',
      'server random',
      'RSA-PSS salt',
    ]);
    expect(r.server.rnd.log.slice(4).every((d) => d.label === 'filler')).toBe(true);
  });

  it('accepts the RFC client Finished, sends no ticket, and sends the RFC close_notify record byte for byte', () => {
    expect(r.server.conn.error).toBeNull();
    expect(r.server.conn.handshakeComplete).toBe(true);
    expect(r.server.conn.info).toMatchObject({ group: 'secp256r1', helloRetryRequest: true });
    expect(r.afterFinished).toEqual([]);
    expect(r.alert).toEqual([s5.records.serverAlert]);
  });

  it('refuses a ClientHello2 whose cookie is not the one the hook put in the HelloRetryRequest', async () => {
    const { conn } = serverConn(s5, [], { groups: ['secp256r1'] }, undefined, {
      helloRetryRequest: (ext) => ({ ...ext, cookie: new Uint8Array(114).fill(7) }),
    });
    await feed(conn, b(s5.records.clientHello1!));
    conn.takeOutput();
    await feed(conn, b(s5.records.clientHello2!));
    expect(conn.error?.status).toBe('IllegalParameter');
  });
});
