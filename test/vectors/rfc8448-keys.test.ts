/**
 * RFC 8448 (Example Handshake Traces for TLS 1.3) §3 "Simple 1-RTT Handshake" and
 * §5 "HelloRetryRequest": the key schedule and the transcript reproduce every secret,
 * key, IV and Finished value of the traces (vectors/rfc8448/*.json).
 *
 * The second half checks the vector files themselves (records decrypt under the listed
 * keys, the CertificateVerify signature verifies, the RSA key is consistent), so that a
 * transcription error cannot hide behind a matching bug.
 */
import { readFileSync } from 'node:fs';
import { createPublicKey, verify as nodeVerify, constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  KeySchedule,
  deriveSecret,
  emptyHash,
  finishedKey,
  finishedVerifyData,
  resumptionPsk,
  trafficKeys,
  verifyFinished,
} from '../../src/keys/tls13-schedule.js';
import { Transcript } from '../../src/handshake/transcript.js';
import { TlsError } from '../../src/base/errors.js';
import { concat, fromHex, hashProvider as crypto, toHex } from '../helpers/hash-provider.js';

type Hex = string;
interface KeyIv {
  key: Hex;
  iv: Hex;
}
interface Vector {
  source: string;
  cipherSuite: { name: string; code: number; hash: 'sha256'; keyLength: number; ivLength: number };
  serverRsaKey: Record<'modulus' | 'publicExponent' | 'privateExponent' | 'prime1' | 'prime2' | 'exponent1' | 'exponent2' | 'coefficient', Hex>;
  serverCertificate: Hex;
  keyShares: Record<string, { group: string; privateKey: Hex; publicKey: Hex }>;
  messages: Record<string, Hex>;
  records: Record<string, Hex>;
  transcriptHashes: Record<string, Hex>;
  secrets: Record<
    | 'early'
    | 'derivedForHandshake'
    | 'ecdheShared'
    | 'handshake'
    | 'clientHandshakeTraffic'
    | 'serverHandshakeTraffic'
    | 'derivedForMaster'
    | 'master'
    | 'clientApplicationTraffic0'
    | 'serverApplicationTraffic0'
    | 'exporterMaster'
    | 'resumptionMaster',
    Hex
  >;
  trafficKeys: Record<'serverHandshake' | 'clientHandshake' | 'serverApplication' | 'clientApplication', KeyIv>;
  finished: Record<'serverFinishedKey' | 'serverVerifyData' | 'clientFinishedKey' | 'clientVerifyData', Hex>;
}
interface SimpleVector extends Vector {
  applicationData: Hex;
  resumption: { ticketNonce: Hex; psk: Hex };
  randoms: { client: Hex; server: Hex };
}
interface HrrVector extends Vector {
  randoms: { client: Hex; helloRetryRequest: Hex; server: Hex };
  helloRetryRequestCookie: Hex;
}

const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../../vectors/rfc8448/${name}`, import.meta.url), 'utf8')) as T;
const s3 = load<SimpleVector>('simple-1rtt.json');
const s5 = load<HrrVector>('hrr.json');
const b = fromHex;

/** The transcript at each point the key schedule needs, built with our Transcript. */
interface Points {
  hello: Uint8Array; // ClientHello..ServerHello
  certificate: Uint8Array; // ..Certificate (server CertificateVerify input)
  certificateVerify: Uint8Array; // ..CertificateVerify (server Finished input)
  serverFinished: Uint8Array; // ..server Finished
  clientFinished: Uint8Array; // ..client Finished
}

function simplePoints(v: SimpleVector): Points {
  const m = v.messages;
  const t = new Transcript(crypto);
  // The hash is unknown until ServerHello: ClientHello is buffered.
  t.add(b(m.clientHello!));
  t.add(b(m.serverHello!));
  t.setHash('sha256');
  const hello = t.current();
  t.add(b(m.encryptedExtensions!));
  t.add(b(m.certificate!));
  const certificate = t.current();
  t.add(b(m.certificateVerify!));
  const certificateVerify = t.current();
  t.add(b(m.serverFinished!));
  const serverFinished = t.current();
  t.add(b(m.clientFinished!));
  return { hello, certificate, certificateVerify, serverFinished, clientFinished: t.current() };
}

function hrrPoints(v: HrrVector): Points {
  const m = v.messages;
  const t = new Transcript(crypto);
  t.add(b(m.clientHello1!));
  // The HRR names the suite; ClientHello1 becomes message_hash (RFC 9846 §4.4.1).
  t.setHash('sha256');
  t.replaceWithMessageHash();
  t.add(b(m.helloRetryRequest!));
  t.add(b(m.clientHello2!));
  t.setHash('sha256'); // again at ServerHello: a no-op
  t.add(b(m.serverHello!));
  const hello = t.current();
  t.add(b(m.encryptedExtensions!));
  t.add(b(m.certificate!));
  const certificate = t.current();
  t.add(b(m.certificateVerify!));
  const certificateVerify = t.current();
  t.add(b(m.serverFinished!));
  const serverFinished = t.current();
  t.add(b(m.clientFinished!));
  return { hello, certificate, certificateVerify, serverFinished, clientFinished: t.current() };
}

const ecdhe = {
  s3: () => x25519.getSharedSecret(b(s3.keyShares.client!.privateKey), b(s3.keyShares.server!.publicKey)),
  s5: () => p256.getSharedSecret(b(s5.keyShares.clientP256!.privateKey), b(s5.keyShares.serverP256!.publicKey)).subarray(1),
};

const cases: ReadonlyArray<{ name: string; v: Vector; points: () => Points; shared: () => Uint8Array }> = [
  { name: 'RFC 8448 §3 Simple 1-RTT', v: s3, points: () => simplePoints(s3), shared: ecdhe.s3 },
  { name: 'RFC 8448 §5 HelloRetryRequest', v: s5, points: () => hrrPoints(s5), shared: ecdhe.s5 },
];

describe.each(cases)('$name: key schedule', ({ v, points, shared }) => {
  const hash = v.cipherSuite.hash;
  const p = points();
  const s = v.secrets;

  it('computes the (EC)DHE shared secret from the listed key shares', () => {
    expect(toHex(shared())).toBe(s.ecdheShared);
  });

  it('reproduces the transcript hashes the RFC lists', () => {
    const th = Object.values(v.transcriptHashes);
    expect(toHex(p.hello)).toBe(th[0]);
    expect(toHex(p.serverFinished)).toBe(th[1]);
    expect(toHex(p.clientFinished)).toBe(th[2]);
  });

  it('derives early, handshake and main secrets and every traffic secret', () => {
    const early = KeySchedule.start(crypto, hash, null);
    expect(early.stage).toBe('early');
    expect(toHex(early.currentSecret())).toBe(s.early);
    expect(toHex(deriveSecret(crypto, hash, early.currentSecret(), 'derived', emptyHash(crypto, hash)))).toBe(s.derivedForHandshake);

    const hs = early.enterHandshake(b(s.ecdheShared));
    expect(toHex(hs.currentSecret())).toBe(s.handshake);
    expect(toHex(hs.clientHandshakeTrafficSecret(p.hello))).toBe(s.clientHandshakeTraffic);
    expect(toHex(hs.serverHandshakeTrafficSecret(p.hello))).toBe(s.serverHandshakeTraffic);
    expect(toHex(deriveSecret(crypto, hash, hs.currentSecret(), 'derived', emptyHash(crypto, hash)))).toBe(s.derivedForMaster);

    const main = hs.enterMain();
    expect(toHex(main.currentSecret())).toBe(s.master);
    expect(toHex(main.clientApplicationTrafficSecret(p.serverFinished))).toBe(s.clientApplicationTraffic0);
    expect(toHex(main.serverApplicationTrafficSecret(p.serverFinished))).toBe(s.serverApplicationTraffic0);
    expect(toHex(main.exporterSecret(p.serverFinished))).toBe(s.exporterMaster);
    expect(toHex(main.resumptionSecret(p.clientFinished))).toBe(s.resumptionMaster);
  });

  it('derives the write keys and IVs of both directions and both phases', () => {
    const kl = v.cipherSuite.keyLength;
    const pairs = [
      [s.serverHandshakeTraffic, v.trafficKeys.serverHandshake],
      [s.clientHandshakeTraffic, v.trafficKeys.clientHandshake],
      [s.serverApplicationTraffic0, v.trafficKeys.serverApplication],
      [s.clientApplicationTraffic0, v.trafficKeys.clientApplication],
    ] as const;
    for (const [secret, want] of pairs) {
      const k = trafficKeys(crypto, hash, b(secret), kl, v.cipherSuite.ivLength);
      expect({ key: toHex(k.key), iv: toHex(k.iv) }).toEqual(want);
    }
  });

  it('computes the server Finished over ClientHello..CertificateVerify', () => {
    const base = b(s.serverHandshakeTraffic);
    expect(toHex(finishedKey(crypto, hash, base))).toBe(v.finished.serverFinishedKey);
    const vd = finishedVerifyData(crypto, hash, base, p.certificateVerify);
    expect(toHex(vd)).toBe(v.finished.serverVerifyData);
    expect(toHex(b(v.messages.serverFinished!).subarray(4))).toBe(v.finished.serverVerifyData);
    expect(verifyFinished(crypto, hash, base, p.certificateVerify, vd)).toBe(true);
  });

  it('computes the client Finished over ClientHello..server Finished', () => {
    const base = b(s.clientHandshakeTraffic);
    expect(toHex(finishedKey(crypto, hash, base))).toBe(v.finished.clientFinishedKey);
    const vd = finishedVerifyData(crypto, hash, base, p.serverFinished);
    expect(toHex(vd)).toBe(v.finished.clientVerifyData);
    expect(toHex(b(v.messages.clientFinished!).subarray(4))).toBe(v.finished.clientVerifyData);
  });

  it('rejects a Finished with one bit flipped, a truncated one, or one over the wrong transcript point', () => {
    const base = b(s.clientHandshakeTraffic);
    const good = b(v.finished.clientVerifyData);
    const flipped = good.slice();
    flipped[7]! ^= 0x01;
    expect(verifyFinished(crypto, hash, base, p.serverFinished, flipped)).toBe(false);
    expect(verifyFinished(crypto, hash, base, p.serverFinished, good.subarray(0, 31))).toBe(false);
    expect(verifyFinished(crypto, hash, base, p.certificateVerify, good)).toBe(false);
    expect(verifyFinished(crypto, hash, b(s.serverHandshakeTraffic), p.serverFinished, good)).toBe(false);
  });
});

describe('RFC 8448 §3: resumption PSK', () => {
  it('derives the PSK of the NewSessionTicket from its ticket_nonce (RFC 9846 §4.6.1)', () => {
    // NewSessionTicket: type(1) len(3) lifetime(4) age_add(4) nonce<0..255>
    const nst = b(s3.messages.newSessionTicket!);
    const nonce = nst.subarray(13, 13 + nst[12]!);
    expect(toHex(nonce)).toBe(s3.resumption.ticketNonce);
    expect(toHex(resumptionPsk(crypto, 'sha256', b(s3.secrets.resumptionMaster), nonce))).toBe(s3.resumption.psk);
  });
});

describe('RFC 8448 §5: the HelloRetryRequest transcript rule (RFC 9846 §4.4.1)', () => {
  const m = s5.messages;

  it('hashes message_hash ‖ HRR ‖ ClientHello2 ‖ ServerHello into the listed hash', () => {
    const synthetic = concat(Uint8Array.of(254, 0, 0, 32), sha256(b(m.clientHello1!)));
    const manual = sha256(concat(synthetic, b(m.helloRetryRequest!), b(m.clientHello2!), b(m.serverHello!)));
    expect(toHex(manual)).toBe(s5.transcriptHashes.clientHello1ToServerHello);
  });

  it('differs from the plain hash of all four messages (the rule matters)', () => {
    const plain = sha256(concat(b(m.clientHello1!), b(m.helloRetryRequest!), b(m.clientHello2!), b(m.serverHello!)));
    expect(toHex(plain)).not.toBe(s5.transcriptHashes.clientHello1ToServerHello);
  });

  it('gives the same hash when a stateless server restores the transcript from Hash(ClientHello1)', () => {
    const t = new Transcript(crypto);
    t.setHash('sha256');
    t.restoreFromMessageHash(sha256(b(m.clientHello1!)));
    t.add(b(m.helloRetryRequest!));
    t.add(b(m.clientHello2!));
    t.add(b(m.serverHello!));
    expect(toHex(t.current())).toBe(s5.transcriptHashes.clientHello1ToServerHello);
  });

  it('refuses a second replacement (one HelloRetryRequest per handshake)', () => {
    const t = new Transcript(crypto);
    t.add(b(m.clientHello1!));
    t.setHash('sha256');
    t.replaceWithMessageHash();
    expect(() => t.replaceWithMessageHash()).toThrow(TlsError);
  });

  it('the HelloRetryRequest carries the special random SHA-256("HelloRetryRequest") and the selected group', () => {
    expect(s5.randoms.helloRetryRequest).toBe(toHex(sha256(new TextEncoder().encode('HelloRetryRequest'))));
    // key_share in an HRR: 00 33 00 02 <selected_group>
    expect(m.helloRetryRequest).toContain('003300020017');
    expect(m.clientHello2).toContain(s5.helloRetryRequestCookie);
  });
});

// ---------------------------------------------------------------- vector file integrity

/** Opens a TLS 1.3 record (RFC 9846 §5.2-5.3) and strips padding and the content type. */
function openRecord(record: Uint8Array, keys: KeyIv, seq: number): { type: number; content: Uint8Array } {
  const nonce = b(keys.iv);
  for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((BigInt(seq) >> BigInt(8 * i)) & 0xffn);
  const header = record.subarray(0, 5);
  expect(((record[3]! << 8) | record[4]!) + 5).toBe(record.length);
  const inner = gcm(b(keys.key), nonce, header).decrypt(record.subarray(5));
  let end = inner.length - 1;
  while (end >= 0 && inner[end] === 0) end--;
  return { type: inner[end]!, content: inner.subarray(0, end) };
}

function checkRsaKey(v: Vector): void {
  const k = v.serverRsaKey;
  const n = BigInt('0x' + k.modulus);
  const e = BigInt('0x' + k.publicExponent);
  const d = BigInt('0x' + k.privateExponent);
  const p = BigInt('0x' + k.prime1);
  const q = BigInt('0x' + k.prime2);
  expect(p * q).toBe(n);
  expect(e).toBe(65537n);
  expect(BigInt('0x' + k.exponent1)).toBe(d % (p - 1n));
  expect(BigInt('0x' + k.exponent2)).toBe(d % (q - 1n));
  expect((BigInt('0x' + k.coefficient) * q) % p).toBe(1n);
  const cert = new X509Certificate(b(v.serverCertificate));
  const jwk = cert.publicKey.export({ format: 'jwk' });
  expect(toHex(new Uint8Array(Buffer.from(jwk.n!, 'base64url')))).toBe(k.modulus);
  expect(v.messages.certificate).toContain(v.serverCertificate);
}

function checkCertificateVerify(v: Vector, certificateHash: Uint8Array): void {
  const cv = b(v.messages.certificateVerify!);
  expect(toHex(cv.subarray(4, 6))).toBe('0804'); // rsa_pss_rsae_sha256
  const content = concat(new Uint8Array(64).fill(0x20), new TextEncoder().encode('TLS 1.3, server CertificateVerify'), Uint8Array.of(0), certificateHash);
  const key = createPublicKey({ key: { kty: 'RSA', n: Buffer.from(v.serverRsaKey.modulus, 'hex').toString('base64url'), e: 'AQAB' }, format: 'jwk' });
  const ok = nodeVerify('sha256', content, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, cv.subarray(8));
  expect(ok).toBe(true);
}

describe('RFC 8448 §3 vector file is self-consistent', () => {
  const v = s3;
  const m = v.messages;
  const tk = v.trafficKeys;

  it('every handshake message length field matches its bytes', () => {
    for (const hex of Object.values(m)) {
      const msg = b(hex);
      expect(((msg[1]! << 16) | (msg[2]! << 8) | msg[3]!) + 4).toBe(msg.length);
    }
  });

  it('the x25519 public keys match the private keys', () => {
    expect(toHex(x25519.getPublicKey(b(v.keyShares.client!.privateKey)))).toBe(v.keyShares.client!.publicKey);
    expect(toHex(x25519.getPublicKey(b(v.keyShares.server!.privateKey)))).toBe(v.keyShares.server!.publicKey);
  });

  it('the randoms are those in the hellos', () => {
    expect(toHex(b(m.clientHello!).subarray(6, 38))).toBe(v.randoms.client);
    expect(toHex(b(m.serverHello!).subarray(6, 38))).toBe(v.randoms.server);
  });

  it('plaintext records are a header plus the hello', () => {
    expect(v.records.clientHello).toBe('16030100c4' + m.clientHello);
    expect(v.records.serverHello).toBe('160303005a' + m.serverHello);
  });

  it('every encrypted record decrypts under the listed keys to the listed messages', () => {
    const flight = openRecord(b(v.records.serverHandshakeFlight!), tk.serverHandshake, 0);
    expect(flight.type).toBe(22);
    expect(toHex(flight.content)).toBe(m.encryptedExtensions! + m.certificate! + m.certificateVerify! + m.serverFinished!);
    expect(toHex(openRecord(b(v.records.clientFinished!), tk.clientHandshake, 0).content)).toBe(m.clientFinished);
    expect(toHex(openRecord(b(v.records.newSessionTicket!), tk.serverApplication, 0).content)).toBe(m.newSessionTicket);
    const cApp = openRecord(b(v.records.clientApplicationData!), tk.clientApplication, 0);
    expect([cApp.type, toHex(cApp.content)]).toEqual([23, v.applicationData]);
    expect(toHex(openRecord(b(v.records.serverApplicationData!), tk.serverApplication, 1).content)).toBe(v.applicationData);
    const cAlert = openRecord(b(v.records.clientAlert!), tk.clientApplication, 1);
    expect([cAlert.type, toHex(cAlert.content)]).toEqual([21, '0100']);
    expect(toHex(openRecord(b(v.records.serverAlert!), tk.serverApplication, 2).content)).toBe('0100');
  });

  it('the RSA key is consistent and matches the certificate', () => checkRsaKey(v));

  it('the CertificateVerify signature verifies with the server key', () => {
    checkCertificateVerify(v, simplePoints(v).certificate);
  });
});

describe('RFC 8448 §5 vector file is self-consistent', () => {
  const v = s5;
  const m = v.messages;
  const tk = v.trafficKeys;

  it('every handshake message length field matches its bytes', () => {
    for (const hex of Object.values(m)) {
      const msg = b(hex);
      expect(((msg[1]! << 16) | (msg[2]! << 8) | msg[3]!) + 4).toBe(msg.length);
    }
  });

  it('the key pairs match (x25519 in ClientHello1, P-256 afterwards)', () => {
    const ks = v.keyShares;
    expect(toHex(x25519.getPublicKey(b(ks.clientX25519!.privateKey)))).toBe(ks.clientX25519!.publicKey);
    expect(toHex(p256.getPublicKey(b(ks.clientP256!.privateKey), false))).toBe(ks.clientP256!.publicKey);
    expect(toHex(p256.getPublicKey(b(ks.serverP256!.privateKey), false))).toBe(ks.serverP256!.publicKey);
    expect(m.clientHello1).toContain(ks.clientX25519!.publicKey);
    expect(m.clientHello2).toContain(ks.clientP256!.publicKey);
    expect(m.serverHello).toContain(ks.serverP256!.publicKey);
  });

  it('plaintext records are a header plus the message', () => {
    expect(v.records.clientHello1).toBe('16030100b4' + m.clientHello1);
    expect(v.records.helloRetryRequest).toBe('16030300b0' + m.helloRetryRequest);
    expect(v.records.clientHello2).toBe('1603030200' + m.clientHello2);
    expect(v.records.serverHello).toBe('160303007b' + m.serverHello);
  });

  it('every encrypted record decrypts under the listed keys to the listed messages', () => {
    const flight = openRecord(b(v.records.serverHandshakeFlight!), tk.serverHandshake, 0);
    expect(flight.type).toBe(22);
    expect(toHex(flight.content)).toBe(m.encryptedExtensions! + m.certificate! + m.certificateVerify! + m.serverFinished!);
    expect(toHex(openRecord(b(v.records.clientFinished!), tk.clientHandshake, 0).content)).toBe(m.clientFinished);
    expect(toHex(openRecord(b(v.records.clientAlert!), tk.clientApplication, 0).content)).toBe('0100');
    expect(toHex(openRecord(b(v.records.serverAlert!), tk.serverApplication, 0).content)).toBe('0100');
  });

  it('uses the same RSA key and certificate as §3', () => {
    checkRsaKey(v);
    expect(v.serverCertificate).toBe(s3.serverCertificate);
  });

  it('the CertificateVerify signature verifies over the message_hash transcript', () => {
    checkCertificateVerify(v, hrrPoints(v).certificate);
  });
});
