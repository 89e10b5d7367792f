/**
 * TLS 1.2 malicious-peer tests: each case manipulates a real TLS 1.2 client↔server
 * handshake in memory (test/helpers/tls12.ts derives the record keys from the
 * `CLIENT_RANDOM` key-log line) and asserts the exact TlsError status, the alert it names,
 * the alert actually put on the wire (fatal; protected when the sender had write keys),
 * and, where the alert can reach the peer, that the peer reports AlertReceived with it.
 *
 * References: RFC 5246 (TLS 1.2), RFC 8422 (ECC suites), RFC 7627 (extended master
 * secret), RFC 5746 (renegotiation_info), RFC 7507 (TLS_FALLBACK_SCSV), RFC 8996 (TLS 1.0
 * and 1.1 deprecated), RFC 9155 (no SHA-1 signatures in TLS 1.2), RFC 9325 (BCP 195), and
 * RFC 9846 as numbered in /work/shared/reference/rfc9846-tls13.md (ServerHello and the
 * downgrade sentinel are §4.2.3 there = RFC 8446 §4.1.3; supported_versions is §4.3.1 =
 * RFC 8446 §4.2.1; backward compatibility is Appendix E).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { pump, readAll, withTestHooks } from '../../src/testing/index.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { AlertDescription, TlsError, type TlsStatus } from '../../src/base/errors.js';
import { loadCertifiedKey } from '../../src/config/identity.js';
import type { RecordProtector } from '../../src/record/protector.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { CipherSuite, ContentType, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf } from '../../src/wire/codes.js';
import { DOWNGRADE_TLS12 } from '../../src/wire/hello.js';
import type { ClientHello, ServerHello, ServerHello12Extensions } from '../../src/wire/messages.js';
import { concat, decodeMsg, deliver, encodeMsg, encodeRecord, encodeRecords, firstFlight, flip, hsMessage, parseRecords, plain, respond } from '../helpers/mitm.js';
import {
  Keys12,
  alertsIn12,
  ccsRecord,
  decode12,
  encode12,
  handshakeMessages,
  handshakeRecords,
  hellosOf,
  openRecords12,
  resignServerKeyExchange,
  type Hellos12,
} from '../helpers/tls12.js';
import { expectError, expectFailed, keyLoggedPair, type AlertName, type KeyLoggedPair } from '../helpers/hostile-peer.js';

let ec: TestPki;
/** A second ECDSA P-256 identity: a key that did not sign the server's certificate request. */
let other: TestPki;
beforeAll(async () => {
  ec = await generateTestPki({ keyType: 'ecdsa-p256' });
  other = await generateTestPki({ keyType: 'ecdsa-p256' });
});

type Pair = KeyLoggedPair;

/** A TLS 1.2 client and server (both capped at TLS 1.2 unless the options say otherwise). */
function setup(c: ClientOptions = {}, s: Partial<ServerOptions> = {}): Pair {
  return keyLoggedPair(ec, { maxVersion: 'TLSv1.2', ...c }, { maxVersion: 'TLSv1.2', ...s });
}

/**
 * Asserts the sticky error (status and alert) and that exactly that fatal alert was sent,
 * protected with `opener`'s keys when given. Returns the output, to hand to the peer.
 */
function expectFail(conn: TlsConnection, status: TlsStatus, alert: AlertName, opener: RecordProtector | null = null): Uint8Array {
  const e = expectError(conn, status, alert);
  expect(e.source).toBe('local');
  expect(conn.phase).toBe('failed');
  const out = conn.takeOutput() ?? new Uint8Array(0);
  expect(alertsIn12(out, opener)).toEqual([{ level: 2, description: AlertDescription[alert], protected: opener !== null }]);
  return out;
}

/** Asserts that `conn` failed because its peer sent `alert`. */
function expectAlertReceived(conn: TlsConnection, alert: AlertName): void {
  expectFailed(conn, 'AlertReceived', alert);
}

/** Status, alert and the alert on the wire; then the peer gets it and reports AlertReceived. */
async function expectFailBoth(failing: TlsConnection, peer: TlsConnection, status: TlsStatus, alert: AlertName, opener: RecordProtector | null = null): Promise<void> {
  await deliver(peer, expectFail(failing, status, alert, opener));
  expectAlertReceived(peer, alert);
}

// ------------------------------------------------------------------ flights

interface ServerFlight {
  ch: Uint8Array;
  flight: Uint8Array;
  /** ServerHello, Certificate, ServerKeyExchange, ServerHelloDone (raw). */
  msgs: Uint8Array[];
  h: Hellos12;
}

const SH = 0;
const SKE = 2;
const SHD = 3;

/** ClientHello → the server's plaintext flight. */
async function toServerFlight(p: Pair): Promise<ServerFlight> {
  const ch = await firstFlight(p.client);
  const flight = await respond(p.server, ch);
  const msgs = handshakeMessages(flight);
  expect(msgs.map((m) => m[0])).toEqual([HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.server_hello_done]);
  return { ch, flight, msgs, h: hellosOf(ch, flight) };
}

interface ClientFlight extends ServerFlight {
  /** ClientKeyExchange, ChangeCipherSpec, {Finished} as records. */
  cf: ReturnType<typeof parseRecords>;
  k: Keys12;
}

/** …→ the client's ClientKeyExchange, ChangeCipherSpec, {Finished}. */
async function toClientFlight(p: Pair): Promise<ClientFlight> {
  const s = await toServerFlight(p);
  const cf = parseRecords(await respond(p.client, s.flight));
  expect(cf.map((r) => r.type)).toEqual([ContentType.handshake, ContentType.change_cipher_spec, ContentType.handshake]);
  return { ...s, cf, k: Keys12.from(p.keys, s.h) };
}

interface LastFlight extends ClientFlight {
  /** The server's ChangeCipherSpec, {Finished} as records. */
  sf: ReturnType<typeof parseRecords>;
}

/** …→ the server's ChangeCipherSpec, {Finished}. */
async function toLastFlight(p: Pair): Promise<LastFlight> {
  const c = await toClientFlight(p);
  const sf = parseRecords(await respond(p.server, encodeRecords(c.cf)));
  expect(p.server.error).toBeNull();
  expect(sf.map((r) => r.type)).toEqual([ContentType.change_cipher_spec, ContentType.handshake]);
  return { ...c, sf };
}

/** A TLS 1.2 ServerHello: its extensions follow the TLS 1.2 rules. */
type ServerHello12 = ServerHello & { extensions: ServerHello12Extensions };

/** Decodes a TLS 1.2 ServerHello. */
function decodeSh12(raw: Uint8Array): ServerHello12 {
  const sh = decode12(raw, 'server_hello');
  if (sh.isHrr || sh.extensions.rules !== 'tls12') throw new Error('not a TLS 1.2 ServerHello');
  return { ...sh, extensions: sh.extensions };
}

/** Edits the ServerHello of the flight through the codec. */
function editServerHello(s: ServerFlight, edit: (sh: ServerHello12) => void): void {
  const sh = decodeSh12(s.msgs[SH]!);
  edit(sh);
  s.msgs[SH] = encode12(sh);
}

/** Edits a ClientHello through the test hook (the client then really sends it). */
function hook(edit: (ch: ClientHello) => void): (ch: ClientHello) => ClientHello {
  return (ch) => {
    const copy: ClientHello = { ...ch, cipherSuites: [...ch.cipherSuites], extensions: { ...ch.extensions, order: [...(ch.extensions.order ?? [])], unknown: [...(ch.extensions.unknown ?? [])] } };
    edit(copy);
    return copy;
  };
}

// ------------------------------------------------------------------ ServerKeyExchange

describe('ServerKeyExchange (RFC 8422 §5.4, RFC 5246 §7.4.3)', () => {
  it('signed with a key that is not the certificate key → DecryptError/decrypt_error (RFC 5246 §7.2.2, §7.4.3)', async () => {
    // Our server runs with certificate A; the man in the middle re-signs its ServerKeyExchange
    // with key B. (The Finished hashes would differ too, but the client stops at the SKE.)
    const p = setup();
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: other.chainPem, key: other.keyPem }, nobleProvider).key);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'DecryptError', 'decrypt_error');
  });

  it('with the right key but over other randoms (a replayed SKE) → DecryptError/decrypt_error (RFC 8422 §5.4: the signature covers both randoms)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    await resignServerKeyExchange(ske, { clientRandom: new Uint8Array(32).fill(7), serverRandom: s.h.serverRandom }, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'DecryptError', 'decrypt_error');
  });

  it('with a flipped signature byte → DecryptError/decrypt_error', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    s.msgs[SKE] = flip(s.msgs[SKE]!, -1);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'DecryptError', 'decrypt_error');
  });

  it('on a curve the client did not offer (validly signed) → IllegalParameter/illegal_parameter (RFC 8422 §5.4, RFC 5246 §7.2.2)', async () => {
    // With ECDSA suites the client lists P-256 and P-384 whatever `groups` says (RFC 8422
    // §5.1.1), so x25519 is the supported curve it can be made not to offer.
    const p = setup({ groups: ['secp256r1'] });
    const s = await toServerFlight(p);
    const offered = decodeMsg(parseRecords(s.ch)[0]!.fragment, 'client_hello').extensions.supportedGroups;
    expect(offered).not.toContain(NamedGroup.x25519);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    ske.group = NamedGroup.x25519;
    ske.publicKey = nobleProvider.keyShare(NamedGroup.x25519, new Uint8Array(32).fill(3)).publicKey;
    await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('on a curve we do not implement at all (secp521r1) → IllegalParameter/illegal_parameter', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    ske.group = NamedGroup.secp521r1;
    await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('naming a post-quantum hybrid the client listed for TLS 1.3 (validly signed) → IllegalParameter/illegal_parameter (issue 12: TLS 1.3 only)', async () => {
    // A client offering TLS 1.3 and 1.2 lists X25519MLKEM768; a TLS 1.2 server must not use it.
    const p = setup({ maxVersion: 'TLSv1.3' });
    const s = await toServerFlight(p);
    const offered = decodeMsg(parseRecords(s.ch)[0]!.fragment, 'client_hello').extensions.supportedGroups;
    expect(offered).toContain(NamedGroup.X25519MLKEM768);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    ske.group = NamedGroup.X25519MLKEM768;
    ske.publicKey = new Uint8Array(200).fill(5); // an ECPoint is at most 255 bytes in TLS 1.2 (RFC 8422 §5.4)
    await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
    expect(p.client.error!.detail).toMatch(/X25519MLKEM768, a TLS 1\.3-only group/);
  });

  it('with explicit curve parameters (ECCurveType explicit_prime) → HandshakeFailure/handshake_failure (RFC 8422 §5.4)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const body = s.msgs[SKE]!.slice(4);
    expect(body[0]).toBe(3); // named_curve
    body[0] = 1;
    s.msgs[SKE] = hsMessage(HandshakeType.server_key_exchange, body);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'HandshakeFailure', 'handshake_failure');
  });

  describe('with an invalid point (validly signed) → IllegalParameter/illegal_parameter (RFC 8422 §5.11; RFC 7748 §6.1)', () => {
    const cases: [string, string, (pub: Uint8Array) => Uint8Array][] = [
      ['a secp256r1 point off the curve', 'secp256r1', (pub) => flip(pub, -1)],
      ['a secp256r1 point in compressed form', 'secp256r1', (pub) => concat(new Uint8Array([2 | (pub[64]! & 1)]), pub.subarray(1, 33))],
      ['a secp256r1 point of the wrong length', 'secp256r1', (pub) => pub.subarray(0, 64)],
      ['a secp384r1 point off the curve', 'secp384r1', (pub) => flip(pub, 10)],
      ['an X25519 point of order 1 (all-zero shared secret)', 'x25519', () => new Uint8Array(32)],
      ['an X25519 point of small order (all-zero shared secret)', 'x25519', () => { const b = new Uint8Array(32); b[0] = 1; return b; }],
      ['an X25519 point of 31 bytes', 'x25519', (pub) => pub.subarray(0, 31)],
    ];
    for (const [what, group, bad] of cases) {
      it(what, async () => {
        const p = setup({}, { groups: [group] });
        const s = await toServerFlight(p);
        const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
        expect(nameOf('group', ske.group)).toBe(group);
        ske.publicKey = bad(ske.publicKey);
        await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key);
        s.msgs[SKE] = encode12(ske);
        await deliver(p.client, handshakeRecords(s.msgs));
        await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
      });
    }
  });

  it('signed with a scheme the client did not offer (validly signed) → IllegalParameter/illegal_parameter (RFC 5246 §7.4.1.4.1, §7.4.3)', async () => {
    // TLS 1.2 does not tie ECDSA hashes to curves: a P-256 key can sign ecdsa_secp384r1_sha384.
    const p = setup({ signatureSchemes: ['ecdsa_secp256r1_sha256'] });
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    expect(ske.scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    await resignServerKeyExchange(ske, s.h, loadCertifiedKey({ cert: ec.chainPem, key: ec.keyPem }, nobleProvider).key, SignatureScheme.ecdsa_secp384r1_sha384);
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('signed with a SHA-1 scheme → IllegalParameter/illegal_parameter (RFC 9155: never offered, never accepted)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    ske.scheme = SignatureScheme.ecdsa_sha1;
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('with an offered scheme that does not fit the certificate key (ed25519 for a P-256 key) → IllegalParameter/illegal_parameter', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const ske = decode12(s.msgs[SKE]!, 'server_key_exchange');
    ske.scheme = SignatureScheme.ed25519;
    s.msgs[SKE] = encode12(ske);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('an invalid ClientKeyExchange point → IllegalParameter/illegal_parameter on the server (RFC 8422 §5.11)', async () => {
    const p = setup({}, { groups: ['secp256r1'] });
    const c = await toClientFlight(p);
    const cke = hsMessage(HandshakeType.client_key_exchange, concat(new Uint8Array([65, 4]), new Uint8Array(64).fill(1)));
    await deliver(p.server, encodeRecords([plain(ContentType.handshake, cke), ...c.cf.slice(1)]));
    await expectFailBoth(p.server, p.client, 'IllegalParameter', 'illegal_parameter');
  });
});

// ------------------------------------------------------------------ Finished

describe('Finished → DecryptError/decrypt_error (RFC 5246 §7.4.9: "Recipients of Finished messages MUST verify that the contents are correct"; §7.2.2)', () => {
  it('a wrong client Finished: the server refuses it (alert in the clear: it has no write keys yet)', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    expect(fin!.content[0]).toBe(HandshakeType.finished);
    const bad = parseRecords(c.k.protector('client').seal(ContentType.handshake, flip(fin!.content, -1)));
    await deliver(p.server, encodeRecords([c.cf[0]!, c.cf[1]!, ...bad]));
    // The client has not seen the server's ChangeCipherSpec: it reads the plaintext alert.
    await expectFailBoth(p.server, p.client, 'DecryptError', 'decrypt_error');
  });

  it('a wrong server Finished: the client refuses it (protected alert: client write keys, sequence 1)', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    const [fin] = openRecords12([l.sf[1]!], l.k.protector('server'), true);
    const bad = parseRecords(l.k.protector('server').seal(ContentType.handshake, flip(fin!.content, 4)));
    await deliver(p.client, encodeRecords([l.sf[0]!, ...bad]));
    await expectFailBoth(p.client, p.server, 'DecryptError', 'decrypt_error', l.k.protector('client', 1n));
  });

  it('a server Finished of the TLS 1.3 length (32 bytes) → DecodeError/decode_error (RFC 5246 §7.4.9: verify_data[12])', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    const long = hsMessage(HandshakeType.finished, new Uint8Array(32));
    await deliver(p.client, encodeRecords([l.sf[0]!, ...parseRecords(l.k.protector('server').seal(ContentType.handshake, long))]));
    await expectFailBoth(p.client, p.server, 'DecodeError', 'decode_error', l.k.protector('client', 1n));
  });

  it('the client Finished replaced by the server Finished of the same session (wrong label) → DecryptError/decrypt_error', async () => {
    // Reflection: the server's own verify_data uses "server finished" over a longer transcript.
    const p = setup();
    const c = await toClientFlight(p);
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    // A well-formed Finished that authenticates (client keys) but carries other verify_data.
    const reflected = concat(fin!.content.subarray(0, 4), new Uint8Array(12).fill(0xa5));
    await deliver(p.server, encodeRecords([c.cf[0]!, c.cf[1]!, ...parseRecords(c.k.protector('client').seal(ContentType.handshake, reflected))]));
    await expectFailBoth(p.server, p.client, 'DecryptError', 'decrypt_error');
  });
});

// ------------------------------------------------------------------ ChangeCipherSpec

describe('ChangeCipherSpec (RFC 5246 §7.1, §7.3)', () => {
  it('from the server right after the ServerHello (before the key exchange) → UnexpectedMessage/unexpected_message', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    await deliver(p.client, concat(handshakeRecords([s.msgs[SH]!]), ccsRecord(), handshakeRecords(s.msgs.slice(1))));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('from the server after its ServerKeyExchange, before ServerHelloDone → UnexpectedMessage/unexpected_message', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    await deliver(p.client, concat(handshakeRecords(s.msgs.slice(0, SHD)), ccsRecord(), handshakeRecords([s.msgs[SHD]!])));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('to a TLS 1.2-only client before the ServerHello → UnexpectedMessage/unexpected_message (no TLS 1.3 compatibility CCS is possible)', async () => {
    const p = setup();
    await firstFlight(p.client);
    await deliver(p.client, ccsRecord());
    expectFail(p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('from the client before its ClientKeyExchange → UnexpectedMessage/unexpected_message', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    await deliver(p.server, encodeRecords([c.cf[1]!, c.cf[0]!, c.cf[2]!]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('from the client before its ClientHello → UnexpectedMessage/unexpected_message', async () => {
    const p = setup();
    await deliver(p.server, ccsRecord());
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('missing: the client Finished in the clear right after the ClientKeyExchange → UnexpectedMessage/unexpected_message (RFC 5246 §7.4.9)', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    await deliver(p.server, encodeRecords([c.cf[0]!, plain(ContentType.handshake, fin!.content)]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('a second ChangeCipherSpec (protected, after the first) → UnexpectedMessage/unexpected_message', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    const w = c.k.protector('client');
    const again = parseRecords(w.seal(ContentType.change_cipher_spec, new Uint8Array([1])));
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    await deliver(p.server, encodeRecords([c.cf[0]!, c.cf[1]!, ...again, ...parseRecords(w.seal(ContentType.handshake, fin!.content))]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('from the server after the handshake → UnexpectedMessage/unexpected_message (TLS 1.2 has no renegotiation here)', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    await deliver(p.client, encodeRecords(l.sf));
    expect(p.client.handshakeComplete).toBe(true);
    const ccs = l.k.protector('server', 1n).seal(ContentType.change_cipher_spec, new Uint8Array([1]));
    await deliver(p.client, ccs);
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message', l.k.protector('client', 1n));
  });

  // RFC 5246 §7.1 defines the message as the single byte 1 (enum { change_cipher_spec(1), (255) }).
  // Any other value or length is a message that "could not be decoded because some field was
  // out of the specified range or the length of the message was incorrect" (§7.2.2: decode_error).
  // (TLS 1.3 names unexpected_message for its compatibility CCS instead, RFC 9846 §5.)
  it('with a value other than 1, or longer than one byte, from the client → DecodeError/decode_error (RFC 5246 §7.1, §7.2.2)', async () => {
    for (const body of [[0], [2], [0xff], [1, 1]]) {
      const p = setup();
      const c = await toClientFlight(p);
      await deliver(p.server, encodeRecords([c.cf[0]!, plain(ContentType.change_cipher_spec, new Uint8Array(body)), c.cf[2]!]));
      await expectFailBoth(p.server, p.client, 'DecodeError', 'decode_error');
    }
  });

  it('with a value other than 1 from the server → DecodeError/decode_error', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    await deliver(p.client, encodeRecords([plain(ContentType.change_cipher_spec, new Uint8Array([2])), l.sf[1]!]));
    await expectFailBoth(p.client, p.server, 'DecodeError', 'decode_error', l.k.protector('client', 1n));
  });

  it('empty → UnexpectedMessage/unexpected_message (RFC 5246 §6.2.1: no zero-length fragments of ChangeCipherSpec)', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    await deliver(p.server, encodeRecords([c.cf[0]!, plain(ContentType.change_cipher_spec, new Uint8Array(0)), c.cf[2]!]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('a handshake message spanning the ChangeCipherSpec → UnexpectedMessage/unexpected_message (RFC 5246 §7.1: the CCS switches keys between records; RFC 9846 §5.1: messages MUST NOT span key changes)', () => {
  it('client → server: the first bytes of Finished in the clear before the CCS', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    // ClientKeyExchange is complete, so the server does expect the CCS: only the split message is wrong.
    await deliver(p.server, encodeRecords([plain(ContentType.handshake, concat(c.cf[0]!.fragment, fin!.content.subarray(0, 3))), c.cf[1]!]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('server → client: the first bytes of Finished in the clear before the CCS', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    const [fin] = openRecords12([l.sf[1]!], l.k.protector('server'), true);
    await deliver(p.client, encodeRecords([plain(ContentType.handshake, fin!.content.subarray(0, 6)), l.sf[0]!]));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message', l.k.protector('client', 1n));
  });

  it('server → client: ServerHelloDone cut in two by a CCS', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    const head = concat(...s.msgs.slice(0, SHD), s.msgs[SHD]!.subarray(0, 2));
    await deliver(p.client, concat(handshakeRecords([head]), ccsRecord(), handshakeRecords([s.msgs[SHD]!.subarray(2)])));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message');
  });
});

describe('application data before Finished → UnexpectedMessage/unexpected_message (RFC 5246 §7.3: "Application data MUST NOT be sent prior to the completion of the first handshake")', () => {
  it('protected, from the client between its CCS and its Finished', async () => {
    const p = setup();
    const c = await toClientFlight(p);
    const w = c.k.protector('client');
    const [fin] = openRecords12([c.cf[2]!], c.k.protector('client'), true);
    const data = parseRecords(concat(w.seal(ContentType.application_data, new TextEncoder().encode('too early')), w.seal(ContentType.handshake, fin!.content)));
    await deliver(p.server, encodeRecords([c.cf[0]!, c.cf[1]!, ...data]));
    await expectFailBoth(p.server, p.client, 'UnexpectedMessage', 'unexpected_message');
  });

  it('protected, from the server between its CCS and its Finished', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    const w = l.k.protector('server');
    const [fin] = openRecords12([l.sf[1]!], l.k.protector('server'), true);
    const data = parseRecords(concat(w.seal(ContentType.application_data, new TextEncoder().encode('too early')), w.seal(ContentType.handshake, fin!.content)));
    await deliver(p.client, encodeRecords([l.sf[0]!, ...data]));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message', l.k.protector('client', 1n));
  });

  it('in the clear, from the client before its ClientKeyExchange', async () => {
    const p = setup();
    await toServerFlight(p);
    await deliver(p.server, encodeRecord(plain(ContentType.application_data, new Uint8Array([1, 2, 3]))));
    expectFail(p.server, 'UnexpectedMessage', 'unexpected_message');
  });

  it('in the clear, from the server in place of ServerHelloDone', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    await deliver(p.client, concat(handshakeRecords(s.msgs.slice(0, SHD)), encodeRecord(plain(ContentType.application_data, new Uint8Array([1])))));
    await expectFailBoth(p.client, p.server, 'UnexpectedMessage', 'unexpected_message');
  });
});

// ------------------------------------------------------------------ extended master secret

describe('extended master secret (RFC 7627 §5.2: "abort the handshake" means a fatal handshake_failure alert)', () => {
  const dropEms = hook((ch) => void delete ch.extensions.extendedMasterSecret);

  it('the server requires it and the client does not offer it → HandshakeFailure/handshake_failure', async () => {
    const p = setup(withTestHooks({ requireExtendedMasterSecret: false }, { clientHello: dropEms }));
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'HandshakeFailure', 'handshake_failure');
  });

  it('the client requires it and the ServerHello lacks it → HandshakeFailure/handshake_failure', async () => {
    const p = setup({}, { requireExtendedMasterSecret: false });
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void delete sh.extensions.extendedMasterSecret);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'HandshakeFailure', 'handshake_failure');
  });

  it('is required by default on both sides', async () => {
    const p = setup(withTestHooks({}, { clientHello: dropEms }));
    await pump(p.client, p.server);
    expect(p.server.error?.status).toBe('HandshakeFailure');
    expectAlertReceived(p.client, 'handshake_failure');
  });

  it('with requireExtendedMasterSecret: false on both sides and a client that does not offer it, the handshake completes with the RFC 5246 §8.1 master secret', async () => {
    const p = setup(withTestHooks({ requireExtendedMasterSecret: false }, { clientHello: dropEms }), { requireExtendedMasterSecret: false });
    const s = await toServerFlight(p);
    // RFC 7627 §5.2: "If it chooses to continue the handshake, then it MUST NOT include the extension in the ServerHello."
    expect(decodeSh12(s.msgs[SH]!).extensions.extendedMasterSecret).toBeUndefined();
    await deliver(p.client, s.flight);
    await pump(p.client, p.server);
    expect(p.client.error).toBeNull();
    expect(p.server.error).toBeNull();
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    p.client.write(new TextEncoder().encode('legacy'));
    p.server.write(new TextEncoder().encode('peer'));
    await pump(p.client, p.server);
    expect(new TextDecoder().decode(readAll(p.server))).toBe('legacy');
    expect(new TextDecoder().decode(readAll(p.client))).toBe('peer');
    // RFC 7627 §5.4: without the extended master secret the session "MUST NOT export any key
    // material ... In particular, it MUST disable [RFC5705]".
    for (const c of [p.client, p.server]) {
      let thrown: unknown = null;
      try {
        c.exportKeyingMaterial('EXPORTER-test', null, 32);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(TlsError);
      expect((thrown as TlsError).status).toBe('ApiMisuse');
      // The connection itself is fine.
      expect(c.error).toBeNull();
    }
  });

  it('with requireExtendedMasterSecret: false, a peer that does send it still gets it (exporter available)', async () => {
    const p = setup({ requireExtendedMasterSecret: false }, { requireExtendedMasterSecret: false });
    const s = await toServerFlight(p);
    expect(decodeSh12(s.msgs[SH]!).extensions.extendedMasterSecret).toBe(true);
    await deliver(p.client, s.flight);
    await pump(p.client, p.server);
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    expect(p.client.exportKeyingMaterial('EXPORTER-test', null, 32)).toEqual(p.server.exportKeyingMaterial('EXPORTER-test', null, 32));
  });

  it('a ServerHello that adds it when the client did not offer it → UnsupportedExtension/unsupported_extension (RFC 5246 §7.4.1.4)', async () => {
    const p = setup(withTestHooks({ requireExtendedMasterSecret: false }, { clientHello: dropEms }), { requireExtendedMasterSecret: false });
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.extensions.extendedMasterSecret = true));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'UnsupportedExtension', 'unsupported_extension');
  });
});

// ------------------------------------------------------------------ renegotiation_info

describe('renegotiation_info (RFC 5746)', () => {
  const dropRi = hook((ch) => void delete ch.extensions.renegotiationInfo);

  it('a ServerHello without it → HandshakeFailure/handshake_failure (RFC 5746 §3.4, §4.1: a client may refuse servers without it)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void delete sh.extensions.renegotiationInfo);
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'HandshakeFailure', 'handshake_failure');
  });

  it('a ClientHello with neither the extension nor the SCSV → HandshakeFailure/handshake_failure (RFC 5746 §3.6, §4.3)', async () => {
    const p = setup(withTestHooks({}, { clientHello: dropRi }));
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'HandshakeFailure', 'handshake_failure');
  });

  it('a ClientHello with TLS_EMPTY_RENEGOTIATION_INFO_SCSV instead of the extension is accepted, and answered with the extension (RFC 5746 §3.6)', async () => {
    const p = setup(
      withTestHooks(
        {},
        {
          clientHello: hook((ch) => {
            delete ch.extensions.renegotiationInfo;
            ch.cipherSuites.push(CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
          }),
        },
      ),
    );
    const s = await toServerFlight(p);
    expect(p.server.error).toBeNull();
    expect(decodeSh12(s.msgs[SH]!).extensions.renegotiationInfo).toEqual(new Uint8Array(0));
  });

  it('a non-empty renegotiation_info in the ServerHello of an initial handshake → HandshakeFailure/handshake_failure (RFC 5746 §3.4)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.extensions.renegotiationInfo = new Uint8Array(24).fill(9)));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'HandshakeFailure', 'handshake_failure');
  });

  it('a non-empty renegotiation_info in an initial ClientHello → HandshakeFailure/handshake_failure (RFC 5746 §3.6)', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.extensions.renegotiationInfo = new Uint8Array(12).fill(1))) }));
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'HandshakeFailure', 'handshake_failure');
  });
});

// ------------------------------------------------------------------ hello extensions

describe('ec_point_formats without uncompressed → IllegalParameter/illegal_parameter (RFC 8422 §5.1.2, §5.2)', () => {
  it('in the ClientHello', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.extensions.ecPointFormats = [1, 2])) }));
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'IllegalParameter', 'illegal_parameter');
  });

  it('in the ServerHello', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.extensions.ecPointFormats = [1]));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });
});

describe('a ServerHello with an extension the client did not send → UnsupportedExtension/unsupported_extension (RFC 5246 §7.4.1.4)', () => {
  const cases: [string, (sh: ServerHello12) => void, ClientOptions?][] = [
    ['ALPN', (sh) => void (sh.extensions.alpn = 'h2')],
    // A client that keeps no sessions does not offer SessionTicket (RFC 5077 §3.2).
    ['session_ticket (from a client without a session store)', (sh) => void (sh.extensions.sessionTicket = true), { sessionStore: false }],
    ['status_request (from a client that asked for no OCSP)', (sh) => void (sh.extensions.statusRequest = true), { requestOCSP: false }],
    ['an unknown type (0x1234)', (sh) => void sh.extensions.unknown!.push({ type: 0x1234, data: new Uint8Array(0) })],
    // A TLS 1.2-only client sent no supported_versions; a ServerHello naming TLS 1.2 there is unsolicited.
    ['supported_versions = TLS 1.2', (sh) => void (sh.extensions.supportedVersions = ProtocolVersion.TLSv1_2)],
  ];
  for (const [what, edit, c] of cases) {
    it(what, async () => {
      const p = setup(c);
      const s = await toServerFlight(p);
      editServerHello(s, edit);
      await deliver(p.client, handshakeRecords(s.msgs));
      await expectFailBoth(p.client, p.server, 'UnsupportedExtension', 'unsupported_extension');
    });
  }

  it('our server answers only what the client sent (RFC 5246 §7.4.1.4)', async () => {
    const bare = setup(
      withTestHooks(
        { requireExtendedMasterSecret: false },
        {
          clientHello: hook((ch) => {
            delete ch.extensions.extendedMasterSecret;
            delete ch.extensions.ecPointFormats;
            delete ch.extensions.serverName;
            delete ch.extensions.alpn;
          }),
        },
      ),
      { requireExtendedMasterSecret: false, ALPNProtocols: ['h2'] },
    );
    const b = await toServerFlight(bare);
    expect(decodeSh12(b.msgs[SH]!).extensions.order).toEqual([ExtensionType.renegotiation_info]);
    const full = setup({ ALPNProtocols: ['h2'] }, { ALPNProtocols: ['h2'] });
    const f = await toServerFlight(full);
    expect(new Set(decodeSh12(f.msgs[SH]!).extensions.order)).toEqual(
      new Set([ExtensionType.renegotiation_info, ExtensionType.extended_master_secret, ExtensionType.ec_point_formats, ExtensionType.application_layer_protocol_negotiation, ExtensionType.server_name]),
    );
  });
});

// ------------------------------------------------------------------ ServerHello parameters

describe('a ServerHello choosing what the client did not offer → IllegalParameter/illegal_parameter (RFC 5246 §7.4.1.3; RFC 9846 §4.2.3)', () => {
  it('a TLS 1.2 suite the client did not offer', async () => {
    const p = setup({ cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] });
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.cipherSuite = CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('a CBC suite (0xc009) the client never offers', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.cipherSuite = 0xc009));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('a TLS 1.3 suite (offered, but for TLS 1.3) in a TLS 1.2 ServerHello', async () => {
    const p = setup({ maxVersion: 'TLSv1.3' });
    const s = await toServerFlight(p);
    expect(decodeMsg(parseRecords(s.ch)[0]!.fragment, 'client_hello').cipherSuites).toContain(CipherSuite.TLS_AES_128_GCM_SHA256);
    editServerHello(s, (sh) => void (sh.cipherSuite = CipherSuite.TLS_AES_128_GCM_SHA256));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('a compression method other than null', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.legacyCompressionMethod = 1));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });
});

// ------------------------------------------------------------------ versions

describe('version negotiation and downgrade protection', () => {
  it('a MITM strips supported_versions from a 1.3-capable ClientHello; our 1.3-capable server negotiates TLS 1.2 with the sentinel → the client aborts with IllegalParameter/illegal_parameter (RFC 9846 §4.2.3)', async () => {
    const p = setup({ maxVersion: 'TLSv1.3' }, { maxVersion: 'TLSv1.3' });
    const ch = decodeMsg(parseRecords(await firstFlight(p.client))[0]!.fragment, 'client_hello');
    expect(ch.extensions.supportedVersions).toEqual([ProtocolVersion.TLSv1_3, ProtocolVersion.TLSv1_2]);
    delete ch.extensions.supportedVersions;
    const flight = await respond(p.server, encodeRecord(plain(ContentType.handshake, encodeMsg(ch), 0x0301)));
    expect(p.server.error).toBeNull();
    const sh = decode12(handshakeMessages(flight)[SH]!, 'server_hello');
    expect(sh.extensions.supportedVersions).toBeUndefined();
    expect(sh.random.subarray(24)).toEqual(DOWNGRADE_TLS12);
    await deliver(p.client, flight);
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
    expect(p.client.error!.detail).toMatch(/downgrade/);
  });

  it('the same stripping against a 1.2-only server (no sentinel) is caught by the extended master secret: the keys differ → BadRecordMac/bad_record_mac on the server', async () => {
    // RFC 7627 §4: the session hash covers the ClientHello each side saw, so the two sides
    // derive different master secrets and the client's Finished record does not authenticate.
    const p = setup({ maxVersion: 'TLSv1.3' }, { maxVersion: 'TLSv1.2' });
    const ch = decodeMsg(parseRecords(await firstFlight(p.client))[0]!.fragment, 'client_hello');
    delete ch.extensions.supportedVersions;
    const flight = await respond(p.server, encodeRecord(plain(ContentType.handshake, encodeMsg(ch), 0x0301)));
    await deliver(p.client, flight);
    expect(p.client.error).toBeNull();
    await deliver(p.server, p.client.takeOutput());
    await expectFailBoth(p.server, p.client, 'BadRecordMac', 'bad_record_mac');
  });

  it('a forged sentinel in a TLS 1.2 ServerHello to a 1.3-capable client → IllegalParameter/illegal_parameter, checked before anything else', async () => {
    const p = setup({ maxVersion: 'TLSv1.3' });
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => sh.random.set(DOWNGRADE_TLS12, 24));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'IllegalParameter', 'illegal_parameter');
  });

  it('TLS_FALLBACK_SCSV from a TLS 1.2-max client to a TLS 1.3 server → InappropriateFallback/inappropriate_fallback (RFC 7507 §3)', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void ch.cipherSuites.push(CipherSuite.TLS_FALLBACK_SCSV)) }), { maxVersion: 'TLSv1.3' });
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'InappropriateFallback', 'inappropriate_fallback');
  });

  it('TLS_FALLBACK_SCSV to a server whose highest version is TLS 1.2 is no fallback: the handshake completes (RFC 7507 §3)', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void ch.cipherSuites.push(CipherSuite.TLS_FALLBACK_SCSV)) }), { maxVersion: 'TLSv1.2' });
    await pump(p.client, p.server);
    expect(p.client.error).toBeNull();
    expect(p.server.error).toBeNull();
    expect(p.client.info.version).toBe('TLSv1.2');
  });

  for (const [name, v] of [
    ['TLS 1.1', ProtocolVersion.TLSv1_1],
    ['TLS 1.0', ProtocolVersion.TLSv1_0],
    ['SSL 3.0', ProtocolVersion.SSLv3],
  ] as const) {
    for (const serverMax of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`a client offering only ${name} (legacy_version 0x${v.toString(16).padStart(4, '0')}, no supported_versions) to a ${serverMax} server → ProtocolVersion/protocol_version naming it (RFC 8996 §5; RFC 9846 §4.3.1, Appendix E.2)`, async () => {
        const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.legacyVersion = v)) }), { maxVersion: serverMax });
        await deliver(p.server, await firstFlight(p.client));
        expect(p.server.error?.message).toContain(nameOf('version', v));
        await expectFailBoth(p.server, p.client, 'ProtocolVersion', 'protocol_version');
      });
    }
  }

  it('supported_versions listing only TLS 1.1 and 1.0 → ProtocolVersion/protocol_version (RFC 9846 §4.3.1)', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.extensions.supportedVersions = [ProtocolVersion.TLSv1_1, ProtocolVersion.TLSv1_0])) }), { maxVersion: 'TLSv1.3' });
    await deliver(p.server, await firstFlight(p.client));
    await expectFailBoth(p.server, p.client, 'ProtocolVersion', 'protocol_version');
  });

  it('a TLS 1.1 ServerHello to our client → ProtocolVersion/protocol_version (RFC 8996 §5)', async () => {
    const p = setup();
    const s = await toServerFlight(p);
    editServerHello(s, (sh) => void (sh.legacyVersion = ProtocolVersion.TLSv1_1));
    await deliver(p.client, handshakeRecords(s.msgs));
    await expectFailBoth(p.client, p.server, 'ProtocolVersion', 'protocol_version');
  });
});

// ------------------------------------------------------------------ legacy suites and signatures

describe('legacy cryptography is refused, and the error says what the peer offered', () => {
  const LEGACY = [
    0xc013, // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
    0xc009, // TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
    0x002f, // TLS_RSA_WITH_AES_128_CBC_SHA (static RSA, CBC)
    0x0033, // TLS_DHE_RSA_WITH_AES_128_CBC_SHA (DHE)
    0x0005, // TLS_RSA_WITH_RC4_128_SHA (RC4)
    0xc011, // TLS_ECDHE_RSA_WITH_RC4_128_SHA (RC4)
    0x0001, // TLS_RSA_WITH_NULL_MD5 (NULL)
    0x009c, // TLS_RSA_WITH_AES_128_GCM_SHA256 (static RSA, AEAD)
  ];

  for (const serverMax of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`a client offering only CBC, RC4, NULL, DHE and static-RSA suites to a ${serverMax} server → InsufficientSecurity/insufficient_security (RFC 5246 §7.2.2; RFC 7465; RFC 9325)`, async () => {
      const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.cipherSuites = [...LEGACY])) }), { maxVersion: serverMax });
      await deliver(p.server, await firstFlight(p.client));
      const msg = p.server.error?.message ?? '';
      for (const s of LEGACY) expect(msg).toContain(nameOf('suite', s));
      await expectFailBoth(p.server, p.client, 'InsufficientSecurity', 'insufficient_security');
    });
  }

  it('a client offering legacy suites and one AEAD suite gets the AEAD suite', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.cipherSuites = [...LEGACY, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384])) }));
    await pump(p.client, p.server);
    expect(p.client.error).toBeNull();
    expect(p.server.info.cipherSuite).toBe('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
  });

  it('a client with no signature_algorithms (so SHA-1 only, RFC 5246 §7.4.1.4.1) → HandshakeFailure/handshake_failure (RFC 9155 §2)', async () => {
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void delete ch.extensions.signatureAlgorithms) }), { maxVersion: 'TLSv1.3' });
    await deliver(p.server, await firstFlight(p.client));
    expect(p.server.error?.message).toMatch(/signature_algorithms/);
    await expectFailBoth(p.server, p.client, 'HandshakeFailure', 'handshake_failure');
  });

  it('a client offering only SHA-1 signature schemes → HandshakeFailure/handshake_failure naming them (RFC 9155 §2)', async () => {
    const sha1 = [SignatureScheme.rsa_pkcs1_sha1, SignatureScheme.ecdsa_sha1];
    const p = setup(withTestHooks({}, { clientHello: hook((ch) => void (ch.extensions.signatureAlgorithms = [...sha1])) }));
    await deliver(p.server, await firstFlight(p.client));
    for (const s of sha1) expect(p.server.error?.message).toContain(nameOf('scheme', s));
    await expectFailBoth(p.server, p.client, 'HandshakeFailure', 'handshake_failure');
  });
});

describe('helpers', () => {
  it('the flights and keys the cases edit complete a handshake when left alone', async () => {
    const p = setup();
    const l = await toLastFlight(p);
    expect(l.k.master).toEqual(p.keys.get('CLIENT_RANDOM'));
    await deliver(p.client, encodeRecords(l.sf));
    expect(p.client.error).toBeNull();
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    // The keys open what each side sends next, at the sequence numbers counted here.
    p.client.write(new Uint8Array([1, 2, 3]));
    await p.client.settled(); // the record is sealed (at once unless the AEAD is async)
    const [rec] = openRecords12(parseRecords(p.client.takeOutput()!), l.k.protector('client', 1n), true);
    expect(rec).toEqual({ type: ContentType.application_data, content: new Uint8Array([1, 2, 3]), protected: true });
  });
});
