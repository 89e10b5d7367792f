import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { AlertDescription } from '../../../src/base/errors.js';
import { AEAD_KEY_LEN, type AeadAlg, type HashAlg } from '../../../src/crypto/provider.js';
import { TLS13_SUITES } from '../../../src/crypto/suites.js';
import { Deframer } from '../../../src/record/deframer.js';
import {
  NullProtector,
  RecordProtector,
  limitsFor,
  tls13Protector,
  type ProtectionMode,
} from '../../../src/record/protector.js';
import { ContentType } from '../../../src/wire/codes.js';
import { MAX_PLAINTEXT_LEN, type TlsRecord } from '../../../src/wire/record.js';
import { AEAD_ALGS, concat, hex, nobleAead, recordingAead, seqBytes, toHex } from '../../helpers/aead.js';
import { expectStatus } from '../../helpers/tls-error.js';

const IV12 = hex('000102030405060708090a0b');

function keyFor(alg: AeadAlg, fill = 0x42): Uint8Array {
  return new Uint8Array(AEAD_KEY_LEN[alg]).fill(fill);
}

function pair(mode: ProtectionMode, alg: AeadAlg, iv = mode === 'tls12-gcm' ? hex('a0a1a2a3') : IV12) {
  const key = keyFor(alg);
  return {
    writer: new RecordProtector({ mode, aead: nobleAead(alg, key), iv }),
    reader: new RecordProtector({ mode, aead: nobleAead(alg, key), iv }),
    key,
    iv,
  };
}

/** Splits a sealed record into what the deframer would return. */
function asRecord(bytes: Uint8Array): TlsRecord {
  const d = new Deframer({ maxFragmentLen: 0xffff });
  expect(d.push(bytes)).toBe(bytes.length);
  const r = d.next()!;
  expect(d.next()).toBeNull();
  return r;
}

/** A TLS 1.3 record with an arbitrary inner plaintext, sealed by hand with noble (RFC 9846 §5.2, §5.3). */
function handSeal13(alg: AeadAlg, key: Uint8Array, iv: Uint8Array, seq: bigint, inner: Uint8Array): TlsRecord {
  const nonce = iv.slice();
  for (let i = 0; i < 8; i++) nonce[11 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  const len = inner.length + 16;
  const aad = Uint8Array.of(23, 3, 3, len >> 8, len & 0xff);
  const ct = alg === 'CHACHA20-POLY1305' ? chacha20poly1305(key, nonce, aad).encrypt(inner) : gcm(key, nonce, aad).encrypt(inner);
  return { type: 23, version: 0x0303, fragment: ct };
}

describe('RecordProtector tls13: RFC 8448 §3 records', () => {
  const clientApp = { key: hex('17422dda596ed5d9acd890e3c63f5051'), iv: hex('5b78923dee08579033e523d9') };
  const serverApp = { key: hex('9f02283b6c9c07efc26bb9f2ac92e356'), iv: hex('cf782b88dd83549aadf1e984') };
  const clientHs = { key: hex('dbfaa693d1762c5b666af5d950258d01'), iv: hex('5bd3c71b836e0b76bb73265f') };
  const serverHs = { key: hex('3fce516009c21727d0f2e4e86ee403bc'), iv: hex('5d313eb2671276ee13000b30') };
  const prot = (k: { key: Uint8Array; iv: Uint8Array }, sequence = 0n) =>
    new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', k.key), iv: k.iv, sequence });

  const clientFinishedRecord =
    '170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1caeacab6867d726c40546';
  const clientFinished = '14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61';
  const clientAppRecord =
    '1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4';
  const serverAppRecord =
    '17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d';

  it('seals the client Finished record byte for byte (handshake keys, seq 0)', () => {
    expect(toHex(prot(clientHs).seal(ContentType.handshake, hex(clientFinished)))).toBe(clientFinishedRecord);
  });

  it('seals the client and server application data records (seq 0 and 1) and their alerts', () => {
    const payload = seqBytes(50);
    const c = prot(clientApp);
    expect(toHex(c.seal(ContentType.application_data, payload))).toBe(clientAppRecord);
    expect(toHex(c.seal(ContentType.alert, hex('0100')))).toBe('1703030013c9872760655666b74d7ff1153efd6db6d0b0e3');
    const s = prot(serverApp, 1n); // NewSessionTicket used seq 0
    expect(toHex(s.seal(ContentType.application_data, payload))).toBe(serverAppRecord);
    expect(toHex(s.seal(ContentType.alert, hex('0100')))).toBe('1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9');
  });

  it('opens them back', () => {
    const got = prot(serverApp, 1n).open(asRecord(hex(serverAppRecord)));
    expect(got.type).toBe(ContentType.application_data);
    expect(got.content).toEqual(seqBytes(50));
    const fin = prot(clientHs).open(asRecord(hex(clientFinishedRecord)));
    expect(fin.type).toBe(ContentType.handshake);
    expect(toHex(fin.content)).toBe(clientFinished);
  });

  it('tls13Protector derives key and iv from the traffic secret (RFC 9846 §7.3)', () => {
    // Just enough of a provider, straight from noble, to keep this test independent of src/crypto.
    const H = { sha256, sha384, sha512 } as const;
    const crypto = {
      hash: () => expect.fail('not used'),
      digest: (alg: HashAlg, data: Uint8Array) => H[alg](data),
      hmac: (alg: HashAlg, key: Uint8Array, data: Uint8Array) => hmac(H[alg], key, data),
      hkdfExtract: (alg: HashAlg, salt: Uint8Array, ikm: Uint8Array) => extract(H[alg], ikm, salt),
      hkdfExpand: (alg: HashAlg, prk: Uint8Array, info: Uint8Array, len: number) => expand(H[alg], prk, info, len),
      equal: (a: Uint8Array, b: Uint8Array) => toHex(a) === toHex(b),
      aead: nobleAead,
    };
    const suite = TLS13_SUITES.find((x) => x.aead === 'AES-128-GCM' && x.hash === 'sha256')!;
    const secret = hex('a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643'); // server_application_traffic_secret_0
    const p = tls13Protector(crypto, suite, secret);
    expect(p.mode).toBe('tls13');
    expect(p.alg).toBe('AES-128-GCM');
    expect(p.sequence).toBe(0n);
    p.seal(ContentType.handshake, seqBytes(10)); // NewSessionTicket's place
    expect(toHex(p.seal(ContentType.application_data, seqBytes(50)))).toBe(serverAppRecord);
  });

  const vectorFile = new URL('../../../vectors/rfc8448/simple-1rtt.json', import.meta.url);
  it('seals and opens the server handshake flight (679 octets)', () => {
    const v = JSON.parse(readFileSync(vectorFile, 'utf8')) as { messages: Record<string, string>; records: Record<string, string> };
    const m = v.messages;
    const flight = hex(m.encryptedExtensions! + m.certificate! + m.certificateVerify! + m.serverFinished!);
    expect(toHex(prot(serverHs).seal(ContentType.handshake, flight))).toBe(v.records.serverHandshakeFlight);
    expect(prot(serverHs).open(asRecord(hex(v.records.serverHandshakeFlight!))).content).toEqual(flight);
  });
});

describe('RecordProtector tls13 (RFC 9846 §5.2-§5.4)', () => {
  for (const alg of AEAD_ALGS) {
    describe(alg, () => {
      it('round-trips every content type, with and without padding', () => {
        const { writer, reader } = pair('tls13', alg);
        const cases: [number, Uint8Array, number][] = [
          [ContentType.handshake, seqBytes(100), 0],
          [ContentType.alert, Uint8Array.of(1, 0), 13],
          [ContentType.application_data, new Uint8Array(0), 0],
          [ContentType.application_data, new Uint8Array(0), 500],
          [ContentType.application_data, seqBytes(MAX_PLAINTEXT_LEN), 0],
          [ContentType.handshake, seqBytes(MAX_PLAINTEXT_LEN - 1000), 1000],
        ];
        for (const [type, content, pad] of cases) {
          const rec = writer.seal(type, content, pad);
          // RFC 9846 §5.2: opaque_type 23, legacy_record_version 0x0303, length = inner + tag.
          expect(Array.from(rec.subarray(0, 3))).toEqual([23, 3, 3]);
          expect((rec[3]! << 8) | rec[4]!).toBe(content.length + 1 + pad + 16);
          expect(rec.length).toBe(5 + content.length + 1 + pad + 16);
          const got = reader.open(asRecord(rec));
          expect(got.type).toBe(type);
          expect(got.content).toEqual(content);
        }
        expect(writer.sequence).toBe(BigInt(cases.length));
        expect(reader.sequence).toBe(BigInt(cases.length));
      });

      it('round-trips arbitrary content and padding (property)', () => {
        const { writer, reader } = pair('tls13', alg);
        fc.assert(
          fc.property(
            fc.constantFrom(ContentType.handshake, ContentType.alert, ContentType.application_data),
            fc.uint8Array({ minLength: 1, maxLength: 400 }),
            fc.nat(400),
            (type, content, pad) => {
              const got = reader.open(asRecord(writer.seal(type, content, pad)));
              expect(got.type).toBe(type);
              expect(got.content).toEqual(content);
            },
          ),
          { numRuns: 60 },
        );
      });

      it('refuses content plus padding over 2^14 → InternalError, without using a sequence number', () => {
        const { writer } = pair('tls13', alg);
        expectStatus(() => writer.seal(ContentType.application_data, seqBytes(MAX_PLAINTEXT_LEN + 1)), 'InternalError');
        expectStatus(() => writer.seal(ContentType.application_data, seqBytes(MAX_PLAINTEXT_LEN), 1), 'InternalError');
        expectStatus(() => writer.seal(ContentType.handshake, new Uint8Array(0), 10), 'InternalError');
        expectStatus(() => writer.seal(ContentType.change_cipher_spec, Uint8Array.of(1)), 'InternalError');
        expect(writer.sequence).toBe(0n);
      });

      it('rejects an all-zero TLSInnerPlaintext → UnexpectedMessage (RFC 9846 §5.4)', () => {
        const { reader, key, iv } = pair('tls13', alg);
        const err = expectStatus(() => reader.open(handSeal13(alg, key, iv, 0n, new Uint8Array(20))), 'UnexpectedMessage');
        expect(err.alert).toBe(AlertDescription.unexpected_message);
      });

      it('rejects a protected change_cipher_spec and empty handshake → UnexpectedMessage', () => {
        const { key, iv } = pair('tls13', alg);
        const r1 = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
        expectStatus(() => r1.open(handSeal13(alg, key, iv, 0n, Uint8Array.of(1, 20))), 'UnexpectedMessage');
        const r2 = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
        expectStatus(() => r2.open(handSeal13(alg, key, iv, 0n, Uint8Array.of(22, 0, 0))), 'UnexpectedMessage');
      });

      it('rejects a TLSInnerPlaintext over 2^14 + 1 → RecordOverflow (RFC 9846 §5.4)', () => {
        const { reader, key, iv } = pair('tls13', alg);
        const inner = concat(seqBytes(MAX_PLAINTEXT_LEN, 1), Uint8Array.of(23, 0));
        const err = expectStatus(() => reader.open(handSeal13(alg, key, iv, 0n, inner)), 'RecordOverflow');
        expect(err.alert).toBe(AlertDescription.record_overflow);
        // Exactly 2^14 + 1 (content + type) is fine.
        const r2 = pair('tls13', alg).reader;
        expect(r2.open(handSeal13(alg, key, iv, 0n, concat(seqBytes(MAX_PLAINTEXT_LEN), Uint8Array.of(23)))).content.length).toBe(MAX_PLAINTEXT_LEN);
      });

      it('rejects a ciphertext over 2^14 + 256 → RecordOverflow before decrypting', () => {
        const { reader } = pair('tls13', alg);
        expectStatus(() => reader.open({ type: 23, version: 0x0303, fragment: new Uint8Array(MAX_PLAINTEXT_LEN + 257) }), 'RecordOverflow');
      });

      it('tampering with any byte → BadRecordMac/bad_record_mac', () => {
        const { writer, key, iv } = pair('tls13', alg);
        const rec = asRecord(writer.seal(ContentType.handshake, seqBytes(24), 3));
        for (let i = 0; i < rec.fragment.length; i++) {
          for (const mask of [0x01, 0x80]) {
            const frag = rec.fragment.slice();
            frag[i]! ^= mask;
            const reader = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
            const err = expectStatus(() => reader.open({ ...rec, fragment: frag }), 'BadRecordMac');
            expect(err.alert).toBe(AlertDescription.bad_record_mac);
          }
        }
        // The header is the additional data (RFC 9846 §5.2).
        for (const version of [0x0301, 0x0302, 0x0304]) {
          const reader = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
          expectStatus(() => reader.open({ ...rec, version }), 'BadRecordMac');
        }
        const reader = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
        expectStatus(() => reader.open({ ...rec, fragment: rec.fragment.subarray(0, rec.fragment.length - 1) }), 'BadRecordMac');
        expectStatus(() => reader.open({ ...rec, fragment: rec.fragment.subarray(0, 16) }), 'BadRecordMac');
        expectStatus(() => reader.open({ ...rec, fragment: new Uint8Array(0) }), 'BadRecordMac');
        // The untouched record still opens: failures did not advance the sequence number.
        expect(reader.open(rec).content).toEqual(seqBytes(24));
      });

      it('a record opened with the wrong key or out of order → BadRecordMac', () => {
        const { writer, key, iv } = pair('tls13', alg);
        const r0 = asRecord(writer.seal(ContentType.application_data, seqBytes(10)));
        const r1 = asRecord(writer.seal(ContentType.application_data, seqBytes(10)));
        expect(r0.fragment).not.toEqual(r1.fragment); // same content, different nonce
        const reader = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv });
        expectStatus(() => reader.open(r1), 'BadRecordMac');
        const other = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, keyFor(alg, 0x43)), iv });
        expectStatus(() => other.open(r0), 'BadRecordMac');
      });

      it('rejects an outer type other than application_data → UnexpectedMessage', () => {
        const { writer, reader } = pair('tls13', alg);
        const rec = asRecord(writer.seal(ContentType.handshake, seqBytes(5)));
        expectStatus(() => reader.open({ ...rec, type: ContentType.handshake }), 'UnexpectedMessage');
        expectStatus(() => reader.open({ ...rec, type: ContentType.change_cipher_spec }), 'UnexpectedMessage');
      });
    });
  }

  it('nonce = iv XOR left-padded sequence number; AAD = the record header (hand computation)', () => {
    const aead = recordingAead(nobleAead('AES-128-GCM', keyFor('AES-128-GCM')));
    const limits = { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity };
    const w = new RecordProtector({ mode: 'tls13', aead, iv: IV12, sequence: 0x0102030405060708n, limits });
    const rec = w.seal(ContentType.handshake, seqBytes(3), 2);
    expect(toHex(aead.calls[0]!.nonce)).toBe('00010203' + '05070503' + '0d0f0d03');
    expect(toHex(aead.calls[0]!.aad)).toBe('1703030016'); // 3 + 1 + 2 + 16 = 22
    expect(toHex(rec.subarray(0, 5))).toBe('1703030016');
    w.seal(ContentType.handshake, seqBytes(3));
    expect(toHex(aead.calls[1]!.nonce)).toBe('00010203' + '05070503' + '0d0f0d02'); // sequence ...09: 0x0b ^ 0x09
  });

  it('the first record under a key uses the iv itself as nonce (sequence 0)', () => {
    const aead = recordingAead(nobleAead('CHACHA20-POLY1305', keyFor('CHACHA20-POLY1305')));
    new RecordProtector({ mode: 'tls13', aead, iv: IV12 }).seal(ContentType.alert, Uint8Array.of(1, 0));
    expect(aead.calls[0]!.nonce).toEqual(IV12);
  });

  it('carries the sequence number into the high half correctly', () => {
    const aead = recordingAead(nobleAead('AES-128-GCM', keyFor('AES-128-GCM')));
    const w = new RecordProtector({ mode: 'tls13', aead, iv: new Uint8Array(12), sequence: 0xffffffffn, limits: { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity } });
    w.seal(ContentType.application_data, Uint8Array.of(1));
    w.seal(ContentType.application_data, Uint8Array.of(1));
    expect(toHex(aead.calls[0]!.nonce)).toBe('00000000' + '00000000' + 'ffffffff');
    expect(toHex(aead.calls[1]!.nonce)).toBe('00000000' + '00000001' + '00000000');
    expect(w.sequence).toBe(0x1_0000_0001n);
  });

  it('rejects an IV of the wrong length → InternalError', () => {
    expectStatus(() => new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', keyFor('AES-128-GCM')), iv: new Uint8Array(8) }), 'InternalError');
    expectStatus(() => new RecordProtector({ mode: 'tls12-gcm', aead: nobleAead('AES-128-GCM', keyFor('AES-128-GCM')), iv: new Uint8Array(12) }), 'InternalError');
    expectStatus(() => new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', keyFor('AES-128-GCM')), iv: IV12, sequence: -1n }), 'InternalError');
    expectStatus(() => new RecordProtector({ mode: 'tls13', aead: nobleAead('AES-128-GCM', keyFor('AES-128-GCM')), iv: IV12, sequence: 1n << 64n }), 'InternalError');
  });
});

describe('sequence numbers and key usage limits (RFC 9846 §5.3, §5.5)', () => {
  const noLimits = { keyUpdateAt: Infinity, sealLimit: Infinity, openLimit: Infinity };

  it('never wraps: after 2^64 - 1 sealing and opening fail → InternalError', () => {
    const alg: AeadAlg = 'CHACHA20-POLY1305';
    const key = keyFor(alg);
    const last = (1n << 64n) - 1n;
    const w = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: last, limits: noLimits });
    const r = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: last, limits: noLimits });
    expect(w.needsKeyUpdate).toBe(false);
    const rec = asRecord(w.seal(ContentType.application_data, seqBytes(4)));
    expect(r.open(rec).content).toEqual(seqBytes(4));
    expect(w.sequence).toBe(1n << 64n);
    expect(w.needsKeyUpdate).toBe(true);
    expectStatus(() => w.seal(ContentType.application_data, seqBytes(4)), 'InternalError');
    expectStatus(() => r.open(rec), 'InternalError');
  });

  it('limitsFor: AES-GCM stops sealing at 2^24 and asks for a KeyUpdate from 2^23; ChaCha20 from 2^60', () => {
    expect(limitsFor('AES-128-GCM')).toEqual({ keyUpdateAt: 2 ** 23, sealLimit: 2 ** 24, openLimit: Infinity });
    expect(limitsFor('AES-256-GCM')).toEqual(limitsFor('AES-128-GCM'));
    expect(limitsFor('CHACHA20-POLY1305')).toEqual({ keyUpdateAt: 2 ** 60, sealLimit: Infinity, openLimit: Infinity });
  });

  it('AES-GCM: needsKeyUpdate at 2^23, hard stop at 2^24 when sealing, none when opening', () => {
    const alg: AeadAlg = 'AES-128-GCM';
    const key = keyFor(alg);
    const w = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: 2n ** 23n - 1n });
    expect(w.needsKeyUpdate).toBe(false);
    w.seal(ContentType.application_data, Uint8Array.of(1));
    expect(w.needsKeyUpdate).toBe(true);
    const w2 = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: 2n ** 24n - 1n });
    const rec = asRecord(w2.seal(ContentType.application_data, Uint8Array.of(1)));
    const err = expectStatus(() => w2.seal(ContentType.application_data, Uint8Array.of(1)), 'InternalError');
    expect(err.detail).toMatch(/key usage limit/);
    // Receivers SHOULD NOT enforce the limits (RFC 9846 §5.5).
    const r = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: 2n ** 24n - 1n });
    r.open(rec);
    expect(r.needsKeyUpdate).toBe(true);
    expect(r.sequence).toBe(2n ** 24n);
  });

  it('custom limits, including an enforced open limit, compare exactly across the 32-bit boundary', () => {
    const alg: AeadAlg = 'AES-256-GCM';
    const key = keyFor(alg);
    const limits = { keyUpdateAt: 2 ** 32 + 1, sealLimit: 2 ** 32 + 2, openLimit: 2 ** 32 + 2 };
    const w = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: 2n ** 32n, limits });
    const r = new RecordProtector({ mode: 'tls13', aead: nobleAead(alg, key), iv: IV12, sequence: 2n ** 32n, limits });
    expect(w.limits).toBe(limits);
    const recs = [0, 1].map(() => asRecord(w.seal(ContentType.application_data, Uint8Array.of(7))));
    expect(w.needsKeyUpdate).toBe(true);
    expectStatus(() => w.seal(ContentType.application_data, Uint8Array.of(7)), 'InternalError');
    r.open(recs[0]!);
    expect(r.needsKeyUpdate).toBe(true);
    r.open(recs[1]!);
    expectStatus(() => r.open(recs[1]!), 'InternalError');
  });
});

describe('RecordProtector TLS 1.2 modes', () => {
  for (const alg of ['AES-128-GCM', 'AES-256-GCM'] as const) {
    it(`tls12-gcm ${alg}: explicit nonce = seq, nonce = salt ‖ explicit, AAD = seq ‖ type ‖ version ‖ length (RFC 5288, RFC 5246 §6.2.3.3)`, () => {
      const { writer, reader, key, iv } = pair('tls12-gcm', alg);
      for (let i = 0; i < 3; i++) {
        const content = seqBytes(30 + i, i);
        const rec = writer.seal(ContentType.handshake, content);
        // Real content type and 0x0303 on the outside; length = 8 + n + 16.
        expect(toHex(rec.subarray(0, 5))).toBe(`16030300${(8 + content.length + 16).toString(16)}`);
        const frag = rec.subarray(5);
        expect(toHex(frag.subarray(0, 8))).toBe(`000000000000000${i}`);
        // Hand computation with noble.
        const nonce = concat(iv, frag.subarray(0, 8));
        const aad = concat(hex(`000000000000000${i}`), Uint8Array.of(22, 3, 3, 0, content.length));
        expect(gcm(key, nonce, aad).decrypt(frag.subarray(8))).toEqual(content);
        const got = reader.open(asRecord(rec));
        expect(got).toEqual({ type: ContentType.handshake, content });
      }
    });
  }

  it('tls12-chacha: nonce = iv XOR seq, no explicit nonce, TLS 1.2 AAD (RFC 7905 §2)', () => {
    const alg: AeadAlg = 'CHACHA20-POLY1305';
    const { writer, reader, key } = pair('tls12-chacha', alg);
    writer.seal(ContentType.application_data, seqBytes(5)); // seq 0
    const content = seqBytes(40);
    const rec = writer.seal(ContentType.application_data, content); // seq 1
    expect(toHex(rec.subarray(0, 5))).toBe(`17030300${(40 + 16).toString(16)}`);
    const nonce = IV12.slice();
    nonce[11]! ^= 1;
    const aad = concat(hex('0000000000000001'), Uint8Array.of(23, 3, 3, 0, 40));
    expect(chacha20poly1305(key, nonce, aad).decrypt(rec.subarray(5))).toEqual(content);
    expectStatus(() => reader.open(asRecord(rec)), 'BadRecordMac'); // reader still at seq 0
    const r2 = new RecordProtector({ mode: 'tls12-chacha', aead: nobleAead(alg, key), iv: IV12, sequence: 1n });
    expect(r2.open(asRecord(rec))).toEqual({ type: 23, content });
  });

  for (const mode of ['tls12-gcm', 'tls12-chacha'] as const) {
    const alg: AeadAlg = mode === 'tls12-gcm' ? 'AES-128-GCM' : 'CHACHA20-POLY1305';
    it(`${mode}: tampering with any byte, type or version → BadRecordMac`, () => {
      const { writer, key, iv } = pair(mode, alg);
      const rec = asRecord(writer.seal(ContentType.alert, Uint8Array.of(2, 40)));
      const fresh = () => new RecordProtector({ mode, aead: nobleAead(alg, key), iv });
      for (let i = 0; i < rec.fragment.length; i++) {
        const frag = rec.fragment.slice();
        frag[i]! ^= 0x10;
        expectStatus(() => fresh().open({ ...rec, fragment: frag }), 'BadRecordMac');
      }
      expectStatus(() => fresh().open({ ...rec, type: ContentType.handshake }), 'BadRecordMac');
      expectStatus(() => fresh().open({ ...rec, version: 0x0301 }), 'BadRecordMac');
      expectStatus(() => fresh().open({ ...rec, fragment: rec.fragment.subarray(0, 10) }), 'BadRecordMac');
      expect(fresh().open(rec)).toEqual({ type: ContentType.alert, content: Uint8Array.of(2, 40) });
    });

    it(`${mode}: round-trips 2^14 bytes, refuses more and refuses padding → InternalError`, () => {
      const { writer, reader } = pair(mode, alg);
      const big = seqBytes(MAX_PLAINTEXT_LEN);
      expect(reader.open(asRecord(writer.seal(ContentType.application_data, big))).content).toEqual(big);
      expectStatus(() => writer.seal(ContentType.application_data, seqBytes(MAX_PLAINTEXT_LEN + 1)), 'InternalError');
      expectStatus(() => writer.seal(ContentType.application_data, seqBytes(1), 1), 'InternalError');
      expectStatus(() => reader.open({ type: 23, version: 0x0303, fragment: new Uint8Array(MAX_PLAINTEXT_LEN + 2049) }), 'RecordOverflow');
    });

    it(`${mode}: decrypted content over 2^14 → RecordOverflow; empty handshake → UnexpectedMessage`, () => {
      const key = keyFor(alg);
      const iv = mode === 'tls12-gcm' ? hex('a0a1a2a3') : IV12;
      // A peer with a larger plaintext limit than ours (maxPlaintextLen lowered on our side).
      const w = new RecordProtector({ mode, aead: nobleAead(alg, key), iv });
      const r = new RecordProtector({ mode, aead: nobleAead(alg, key), iv, maxPlaintextLen: 100 });
      expectStatus(() => r.open(asRecord(w.seal(ContentType.application_data, seqBytes(101)))), 'RecordOverflow');
      // Empty handshake content is refused both ways (RFC 5246 §6.2.1).
      expectStatus(() => w.seal(ContentType.handshake, new Uint8Array(0)), 'InternalError');
      const aad = concat(new Uint8Array(8), Uint8Array.of(22, 3, 3, 0, 0));
      const fragment =
        mode === 'tls12-gcm'
          ? concat(new Uint8Array(8), gcm(key, concat(iv, new Uint8Array(8)), aad).encrypt(new Uint8Array(0)))
          : chacha20poly1305(key, iv, aad).encrypt(new Uint8Array(0));
      const r0 = new RecordProtector({ mode, aead: nobleAead(alg, key), iv });
      expectStatus(() => r0.open({ type: 22, version: 0x0303, fragment }), 'UnexpectedMessage');
      expect(new RecordProtector({ mode, aead: nobleAead(alg, key), iv }).open(asRecord(new RecordProtector({ mode, aead: nobleAead(alg, key), iv }).seal(23, new Uint8Array(0)))).content.length).toBe(0);
    });
  }
});

describe('NullProtector (initial epoch, RFC 9846 §5.1)', () => {
  it('frames plaintext records with the configured legacy_record_version', () => {
    const p = new NullProtector({ version: 0x0301 });
    expect(p.encrypted).toBe(false);
    expect(toHex(p.seal(ContentType.handshake, Uint8Array.of(1, 0, 0, 0)))).toBe('160301000401000000');
    p.version = 0x0303;
    expect(toHex(p.seal(ContentType.alert, Uint8Array.of(2, 40)))).toBe('15030300020228');
    expect(toHex(new NullProtector().seal(ContentType.change_cipher_spec, Uint8Array.of(1)))).toBe('140303000101');
  });

  it('passes plaintext records through as views', () => {
    const frag = Uint8Array.of(2, 0, 0, 0);
    const got = new NullProtector().open({ type: 22, version: 0x0303, fragment: frag });
    expect(got.type).toBe(22);
    expect(got.content).toBe(frag);
  });

  it('refuses unprotected application data both ways', () => {
    expectStatus(() => new NullProtector().seal(ContentType.application_data, Uint8Array.of(1)), 'InternalError');
    expectStatus(() => new NullProtector().open({ type: 23, version: 0x0303, fragment: Uint8Array.of(1) }), 'UnexpectedMessage');
  });

  it('enforces 2^14 and non-empty content', () => {
    expectStatus(() => new NullProtector().open({ type: 22, version: 0x0303, fragment: new Uint8Array(MAX_PLAINTEXT_LEN + 1) }), 'RecordOverflow');
    expectStatus(() => new NullProtector().open({ type: 22, version: 0x0303, fragment: new Uint8Array(0) }), 'UnexpectedMessage');
    expectStatus(() => new NullProtector().seal(22, new Uint8Array(MAX_PLAINTEXT_LEN + 1)), 'InternalError');
    expectStatus(() => new NullProtector().seal(22, new Uint8Array(0)), 'InternalError');
    expectStatus(() => new NullProtector().seal(22, Uint8Array.of(1), 3), 'InternalError');
    expect(new NullProtector().seal(22, new Uint8Array(MAX_PLAINTEXT_LEN)).length).toBe(5 + MAX_PLAINTEXT_LEN);
  });
});
