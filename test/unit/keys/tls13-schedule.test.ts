/**
 * Unit tests for src/keys/tls13-schedule.ts: HKDF-Expand-Label encoding and bounds,
 * the typestate of KeySchedule, KeyUpdate, exporters (cross-checked against Node's TLS),
 * PSK binders and early secrets (RFC 8448 §4 values).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createPrivateKey } from 'node:crypto';
import * as tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { expand } from '@noble/hashes/hkdf.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import {
  KeySchedule,
  MAX_CONTEXT_LENGTH,
  MAX_LABEL_LENGTH,
  deriveSecret,
  emptyHash,
  exporter,
  finishedKey,
  finishedVerifyData,
  hkdfExpandLabel,
  isTls13Hash,
  nextTrafficSecret,
  resumptionPsk,
  trafficKeys,
  type KeyScheduleCrypto,
} from '../../../src/keys/tls13-schedule.js';
import { AlertDescription, type TlsStatus } from '../../../src/base/errors.js';
import type { HashAlg } from '../../../src/crypto/provider.js';
import { concat, fromHex, hashProvider as crypto, toHex } from '../../helpers/hash-provider.js';
import { expectStatus } from '../../helpers/tls-error.js';
import { readFileSync } from 'node:fs';

const EMPTY = new Uint8Array(0);
const ascii = (s: string) => new TextEncoder().encode(s);
const s32 = () => Uint8Array.from({ length: 32 }, (_, i) => i + 1);
const s48 = () => Uint8Array.from({ length: 48 }, (_, i) => 0x80 + i);

/** Asserts `fn` throws a TlsError with `status` (and, for InternalError, the internal_error alert). */
function expectTlsError(fn: () => unknown, status: TlsStatus): void {
  const err = expectStatus(fn, status);
  if (status === 'InternalError') expect(err.alert).toBe(AlertDescription.internal_error);
}

/** A provider that records the `info` passed to HKDF-Expand. */
function spying(): { c: KeyScheduleCrypto; infos: Uint8Array[] } {
  const infos: Uint8Array[] = [];
  return {
    infos,
    c: {
      ...crypto,
      hkdfExpand(alg, prk, info, length) {
        infos.push(info.slice());
        return crypto.hkdfExpand(alg, prk, info, length);
      },
    },
  };
}

describe('hkdfExpandLabel: HkdfLabel encoding (RFC 9846 §7.1)', () => {
  it('encodes uint16 length, "tls13 "-prefixed label<7..255> and context<0..255>', () => {
    const { c, infos } = spying();
    hkdfExpandLabel(c, 'sha256', s32(), 'key', EMPTY, 16);
    hkdfExpandLabel(c, 'sha256', s32(), 'iv', EMPTY, 12);
    hkdfExpandLabel(c, 'sha256', s32(), 'finished', EMPTY, 32);
    // RFC 8448 §3: "key info (13 octets)", "iv info (13 octets)", finished "info (18 octets)".
    expect(toHex(infos[0]!)).toBe('00100974' + '6c73313320' + '6b6579' + '00');
    expect(toHex(infos[1]!)).toBe('000c08746c73313320697600');
    expect(toHex(infos[2]!)).toBe('00200e746c73313320' + toHex(ascii('finished')) + '00');
  });

  it('puts the context (a transcript hash) after its one-byte length', () => {
    const { c, infos } = spying();
    const h = sha256(ascii('transcript'));
    deriveSecret(c, 'sha256', s32(), 'c hs traffic', h);
    expect(toHex(infos[0]!)).toBe('002012' + toHex(ascii('tls13 c hs traffic')) + '20' + toHex(h));
  });

  it('equals HKDF-Expand with a hand-built info', () => {
    const prk = s32();
    const info = concat(fromHex('0030'), Uint8Array.of(6 + 5), ascii('tls13 hello'), Uint8Array.of(3), fromHex('010203'));
    expect(toHex(hkdfExpandLabel(crypto, 'sha256', prk, 'hello', fromHex('010203'), 48))).toBe(toHex(expand(sha256, prk, info, 48)));
  });

  it('accepts labels as bytes, identically to the ASCII string', () => {
    expect(hkdfExpandLabel(crypto, 'sha256', s32(), ascii('derived'), EMPTY, 32)).toEqual(
      hkdfExpandLabel(crypto, 'sha256', s32(), 'derived', EMPTY, 32),
    );
  });

  it('works with SHA-384 and 48-byte secrets', () => {
    const out = hkdfExpandLabel(crypto, 'sha384', s48(), 'key', EMPTY, 32);
    const info = concat(fromHex('0020'), Uint8Array.of(9), ascii('tls13 key'), Uint8Array.of(0));
    expect(toHex(out)).toBe(toHex(expand(sha384, s48(), info, 32)));
  });
});

describe('hkdfExpandLabel: bounds → TlsError(InternalError)', () => {
  it('accepts labels of 1 and 249 bytes ("tls13 " + label fills label<7..255>)', () => {
    expect(MAX_LABEL_LENGTH).toBe(249);
    expect(hkdfExpandLabel(crypto, 'sha256', s32(), 'x', EMPTY, 32)).toHaveLength(32);
    const { c, infos } = spying();
    hkdfExpandLabel(c, 'sha256', s32(), 'a'.repeat(249), EMPTY, 32);
    expect(infos[0]![2]).toBe(255);
  });

  it('refuses an empty label (it would make label<7..255> too short)', () => {
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s32(), '', EMPTY, 32), 'InternalError');
  });

  it('refuses a 250-byte label, counting UTF-8 bytes rather than characters', () => {
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s32(), 'a'.repeat(250), EMPTY, 32), 'InternalError');
    // 125 two-byte characters = 250 bytes
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s32(), 'é'.repeat(125), EMPTY, 32), 'InternalError');
  });

  it('accepts a 255-byte context and refuses 256', () => {
    expect(MAX_CONTEXT_LENGTH).toBe(255);
    expect(hkdfExpandLabel(crypto, 'sha256', s32(), 'c', new Uint8Array(255), 16)).toHaveLength(16);
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s32(), 'c', new Uint8Array(256), 16), 'InternalError');
  });

  it('accepts lengths 0 and 255·Hash.length, refuses more, negatives and fractions', () => {
    expect(hkdfExpandLabel(crypto, 'sha256', s32(), 'l', EMPTY, 0)).toHaveLength(0);
    expect(hkdfExpandLabel(crypto, 'sha256', s32(), 'l', EMPTY, 255 * 32)).toHaveLength(8160);
    expect(hkdfExpandLabel(crypto, 'sha384', s48(), 'l', EMPTY, 255 * 48)).toHaveLength(12240);
    for (const bad of [255 * 32 + 1, -1, 1.5, Number.NaN, 65536]) {
      expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s32(), 'l', EMPTY, bad), 'InternalError');
    }
  });

  it('refuses a secret that is not Hash.length bytes (mixing SHA-256 and SHA-384 secrets)', () => {
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', s48(), 'key', EMPTY, 16), 'InternalError');
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha384', s32(), 'key', EMPTY, 16), 'InternalError');
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha256', new Uint8Array(0), 'key', EMPTY, 16), 'InternalError');
  });

  it('refuses hashes that no TLS 1.3 suite uses', () => {
    expect(isTls13Hash('sha256')).toBe(true);
    expect(isTls13Hash('sha384')).toBe(true);
    expect(isTls13Hash('sha512')).toBe(false);
    expectTlsError(() => hkdfExpandLabel(crypto, 'sha512', new Uint8Array(64), 'key', EMPTY, 16), 'InternalError');
    expectTlsError(() => KeySchedule.start(crypto, 'sha512' as HashAlg), 'InternalError');
  });

  it('Derive-Secret refuses a transcript hash of the wrong length', () => {
    expectTlsError(() => deriveSecret(crypto, 'sha256', s32(), 'c hs traffic', new Uint8Array(48)), 'InternalError');
    expectTlsError(() => finishedVerifyData(crypto, 'sha256', s32(), new Uint8Array(31)), 'InternalError');
  });
});

describe('trafficKeys (RFC 9846 §7.3)', () => {
  it('derives key and iv with the "key" and "iv" labels; 12-byte IV by default', () => {
    const k = trafficKeys(crypto, 'sha256', s32(), 32);
    expect(k.key).toEqual(hkdfExpandLabel(crypto, 'sha256', s32(), 'key', EMPTY, 32));
    expect(k.iv).toEqual(hkdfExpandLabel(crypto, 'sha256', s32(), 'iv', EMPTY, 12));
    expect(k.iv).toHaveLength(12);
  });
});

describe('nextTrafficSecret (RFC 9846 §7.2, KeyUpdate)', () => {
  it('is HKDF-Expand(secret, 00 20 ‖ 11 ‖ "tls13 traffic upd" ‖ 00, 32) for SHA-256', () => {
    const secret = fromHex('9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5'); // RFC 8448 §3 c ap traffic
    const info = concat(fromHex('0020'), Uint8Array.of(17), ascii('tls13 traffic upd'), Uint8Array.of(0));
    expect(toHex(nextTrafficSecret(crypto, 'sha256', secret))).toBe(toHex(expand(sha256, secret, info, 32)));
  });

  it('is 48 bytes for SHA-384 and matches the hand-built HKDF', () => {
    const info = concat(fromHex('0030'), Uint8Array.of(17), ascii('tls13 traffic upd'), Uint8Array.of(0));
    const next = nextTrafficSecret(crypto, 'sha384', s48());
    expect(next).toHaveLength(48);
    expect(toHex(next)).toBe(toHex(expand(sha384, s48(), info, 48)));
  });

  it('each generation differs from the previous, and the chain is deterministic', () => {
    const g0 = s32();
    const g1 = nextTrafficSecret(crypto, 'sha256', g0);
    const g2 = nextTrafficSecret(crypto, 'sha256', g1);
    expect(toHex(g1)).not.toBe(toHex(g0));
    expect(toHex(g2)).not.toBe(toHex(g1));
    expect(nextTrafficSecret(crypto, 'sha256', nextTrafficSecret(crypto, 'sha256', s32()))).toEqual(g2);
    // new keys follow from the new secret
    expect(trafficKeys(crypto, 'sha256', g1, 16).key).not.toEqual(trafficKeys(crypto, 'sha256', g0, 16).key);
  });
});

describe('exporter (RFC 9846 §7.5)', () => {
  const secret = fromHex('fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50'); // RFC 8448 §3 exp master

  it('is HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context), length)', () => {
    const ctx = ascii('context');
    const inner = deriveSecret(crypto, 'sha256', secret, 'EXPORTER-test', sha256(EMPTY));
    const want = hkdfExpandLabel(crypto, 'sha256', inner, 'exporter', sha256(ctx), 42);
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-test', ctx, 42)).toEqual(want);
  });

  it('treats no context and an empty context alike (a change from TLS 1.2)', () => {
    const a = exporter(crypto, 'sha256', secret, 'EXPORTER-x', null, 32);
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-x', undefined, 32)).toEqual(a);
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-x', EMPTY, 32)).toEqual(a);
  });

  it('changes with the label, the context and the length (the length is in HkdfLabel: no prefix property)', () => {
    const base = exporter(crypto, 'sha256', secret, 'EXPORTER-a', ascii('c'), 32);
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-b', ascii('c'), 32)).not.toEqual(base);
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-a', ascii('d'), 32)).not.toEqual(base);
    const longer = exporter(crypto, 'sha256', secret, 'EXPORTER-a', ascii('c'), 64);
    expect(toHex(longer.subarray(0, 32))).not.toBe(toHex(base));
  });

  it('refuses bad labels and lengths from the application with ApiMisuse', () => {
    expectTlsError(() => exporter(crypto, 'sha256', secret, '', null, 32), 'ApiMisuse');
    expectTlsError(() => exporter(crypto, 'sha256', secret, 'x'.repeat(250), null, 32), 'ApiMisuse');
    expectTlsError(() => exporter(crypto, 'sha256', secret, 'EXPORTER-x', null, 255 * 32 + 1), 'ApiMisuse');
    expectTlsError(() => exporter(crypto, 'sha256', secret, 'EXPORTER-x', null, -1), 'ApiMisuse');
    expect(exporter(crypto, 'sha256', secret, 'EXPORTER-x', new Uint8Array(1000), 16)).toHaveLength(16); // any context length
  });

  // Cross-check against OpenSSL through Node's TLS: the key log gives EXPORTER_SECRET,
  // exportKeyingMaterial gives the exporter output. The server uses RFC 8448's RSA key and
  // certificate (validity is irrelevant: the client does not verify).
  const v = JSON.parse(readFileSync(new URL('../../../vectors/rfc8448/simple-1rtt.json', import.meta.url), 'utf8')) as {
    serverRsaKey: Record<string, string>;
    serverCertificate: string;
  };
  const b64u = (hex: string) => Buffer.from(hex, 'hex').toString('base64url');
  const k = v.serverRsaKey;
  const keyPem = createPrivateKey({
    key: {
      kty: 'RSA',
      n: b64u(k.modulus!),
      e: b64u(k.publicExponent!),
      d: b64u(k.privateExponent!),
      p: b64u(k.prime1!),
      q: b64u(k.prime2!),
      dp: b64u(k.exponent1!),
      dq: b64u(k.exponent2!),
      qi: b64u(k.coefficient!),
    },
    format: 'jwk',
  }).export({ type: 'pkcs8', format: 'pem' });
  const certB64 = Buffer.from(v.serverCertificate, 'hex').toString('base64').match(/.{1,64}/g)!.join('\n');
  const certPem = `-----BEGIN CERTIFICATE-----\n${certB64}\n-----END CERTIFICATE-----\n`;

  async function nodeExporter(suite: string, label: string, context: Buffer | undefined, length: number) {
    const server = tls.createServer({ key: keyPem, cert: certPem, minVersion: 'TLSv1.3', ciphers: `${suite}:DEFAULT@SECLEVEL=0` }, (s) => {
      s.on('error', () => {});
      s.end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ciphers: `${suite}:DEFAULT@SECLEVEL=0` });
      client.on('error', () => {});
      const lines: string[] = [];
      client.on('keylog', (line: Buffer) => lines.push(line.toString('latin1').trim()));
      await once(client, 'secureConnect');
      // @types/node requires a context; Node itself allows omitting it (OpenSSL use_context = 0).
      const out: Buffer =
        context === undefined
          ? (Reflect.apply(client.exportKeyingMaterial, client, [length, label]) as Buffer)
          : client.exportKeyingMaterial(length, label, context);
      const cipher = client.getCipher().standardName;
      client.destroy();
      const line = lines.find((l) => l.startsWith('EXPORTER_SECRET '));
      expect(line).toBeDefined();
      return { exporterSecret: fromHex(line!.split(' ')[2]!), out: new Uint8Array(out), cipher };
    } finally {
      server.close();
    }
  }

  it.each([
    ['TLS_AES_128_GCM_SHA256', 'sha256'],
    ['TLS_AES_256_GCM_SHA384', 'sha384'],
  ] as const)('matches OpenSSL (node:tls exportKeyingMaterial) with %s', async (suite, hash) => {
    const ctx = Buffer.from('some context');
    const r1 = await nodeExporter(suite, 'EXPORTER-puretls-test', ctx, 48);
    expect(r1.cipher).toBe(suite);
    expect(r1.exporterSecret).toHaveLength(hash === 'sha256' ? 32 : 48);
    expect(toHex(exporter(crypto, hash, r1.exporterSecret, 'EXPORTER-puretls-test', new Uint8Array(ctx), 48))).toBe(toHex(r1.out));
    const r2 = await nodeExporter(suite, 'EXPORTER-no-context', undefined, 20);
    expect(toHex(exporter(crypto, hash, r2.exporterSecret, 'EXPORTER-no-context', null, 20))).toBe(toHex(r2.out));
  });
});

describe('resumptionPsk (RFC 9846 §4.6.1)', () => {
  it('reproduces RFC 8448 §3: ticket_nonce 00 00 → the §4 PSK', () => {
    const res = fromHex('7df235f2031d2a051287d02b0241b0bfdaf86cc856231f2d5aba46c434ec196c');
    expect(toHex(resumptionPsk(crypto, 'sha256', res, fromHex('0000')))).toBe('4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3');
  });

  it('gives a different PSK per nonce and refuses a nonce over 255 bytes', () => {
    const res = s32();
    expect(resumptionPsk(crypto, 'sha256', res, fromHex('00'))).not.toEqual(resumptionPsk(crypto, 'sha256', res, fromHex('01')));
    expect(resumptionPsk(crypto, 'sha256', res, EMPTY)).toHaveLength(32);
    expectTlsError(() => resumptionPsk(crypto, 'sha256', res, new Uint8Array(256)), 'InternalError');
  });
});

// RFC 8448 §4 "Resumed 0-RTT Handshake": values transcribed from the RFC (via a public test
// suite quoting it), checked here for mutual consistency: the binder computed from the PSK
// must be the one inside the ClientHello bytes.
const R4 = {
  psk: '4ecd0eb6ec3b4d87f5d6028f922ca4c5851a277fd41311c9e62d2c9492e1c4f3',
  early: '9b2188e9b2fc6d64d71dc329900e20bb41915000f678aa839cbb797cb7d8332c',
  binderHash: '63224b2e4573f2d3454ca84b9d009a04f6be9e05711a8396473aefa01e924a14',
  resBinderKey: '69fe131a3bbad5d63c64eebcc30e395b9d8107726a13d074e389dbc8a4e47256',
  binderFinishedKey: '5588673e72cb59c87d220caffe94f2dea9a3b1609f7d50e90a48227db9ed7eaa',
  binder: '3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d',
  clientEarlyTraffic: '3fbbe6a60deb66c30a32795aba0eff7eaa10105586e7be5c09678d63b6caab62',
  earlyExporter: 'b2026866610937d7423e5be90862ccf24c0e6091186d34f812089ff5be2ef7df',
  earlyKey: '920205a5b7bf2115e6fc5c2942834f54',
  earlyIv: '6d475f0993c8e564610db2b9',
  ecdhe: 'f44194756ff9ec9d25180635d66ea6824c6ab3bf179977be37f723570e7ccb2e',
  handshake: '005cb112fd8eb4ccc623bb88a07c64b3ede1605363fc7d0df8c7ce4ff0fb4ae6',
  // ClientHello up to (not including) the binders list, then the binders list.
  chPrefix:
    '010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc419d7876487d95000006130113031302010001cd0000000b0009000006736572766572ff01000100000a00140012001d00170018001901000101010201030104003300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c0002400100150057000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb',
  binders: '0021203add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d',
};

describe('KeySchedule with a PSK: RFC 8448 §4 (Resumed 0-RTT)', () => {
  const ch = concat(fromHex(R4.chPrefix), fromHex(R4.binders));
  const early = () => KeySchedule.start(crypto, 'sha256', fromHex(R4.psk));

  it('the ClientHello is 512 bytes and its binders list follows the 477-byte prefix', () => {
    expect(ch).toHaveLength(512);
    expect(fromHex(R4.chPrefix)).toHaveLength(477);
    expect(toHex(sha256(fromHex(R4.chPrefix)))).toBe(R4.binderHash);
  });

  it('computes the Early Secret from the resumption PSK', () => {
    expect(toHex(early().currentSecret())).toBe(R4.early);
  });

  it('computes the res binder key, its finished key and the binder in the ClientHello', () => {
    const ks = early();
    const bk = ks.binderKey('resumption');
    expect(toHex(bk)).toBe(R4.resBinderKey);
    expect(toHex(finishedKey(crypto, 'sha256', bk))).toBe(R4.binderFinishedKey);
    expect(toHex(finishedVerifyData(crypto, 'sha256', bk, fromHex(R4.binderHash)))).toBe(R4.binder);
    expect(ks.binderKey('external')).not.toEqual(bk); // "ext binder" ≠ "res binder"
  });

  it('derives client_early_traffic_secret, early_exporter_secret and the 0-RTT keys over the whole ClientHello', () => {
    const ks = early();
    const chHash = sha256(ch);
    const cet = ks.clientEarlyTrafficSecret(chHash);
    expect(toHex(cet)).toBe(R4.clientEarlyTraffic);
    expect(toHex(ks.earlyExporterSecret(chHash))).toBe(R4.earlyExporter);
    const k = trafficKeys(crypto, 'sha256', cet, 16);
    expect([toHex(k.key), toHex(k.iv)]).toEqual([R4.earlyKey, R4.earlyIv]);
  });

  it('continues to the Handshake Secret with the (EC)DHE secret (psk_dhe_ke)', () => {
    expect(toHex(early().enterHandshake(fromHex(R4.ecdhe)).currentSecret())).toBe(R4.handshake);
  });
});

describe('KeySchedule: typestate and erasure', () => {
  const th = sha256(ascii('transcript'));

  it('moves early → handshake → main → erased, one way', () => {
    const e = KeySchedule.start(crypto, 'sha256');
    expect(e.stage).toBe('early');
    expect(e.hash).toBe('sha256');
    expect(e.hashLength).toBe(32);
    const h = e.enterHandshake(s32());
    expect(h.stage).toBe('handshake');
    const m = h.enterMain();
    expect(m.stage).toBe('main');
    const x = m.erase();
    expect(x.stage).toBe('erased');
    expectTlsError(() => x.currentSecret(), 'InternalError');
  });

  it('refuses calls meant for another stage, including through a stale reference', () => {
    const e = KeySchedule.start(crypto, 'sha256');
    const h = e.enterHandshake(s32());
    // `e` still has type KeySchedule<'early'>; the object has moved on.
    expectTlsError(() => e.binderKey('external'), 'InternalError');
    expectTlsError(() => e.clientEarlyTrafficSecret(th), 'InternalError');
    expectTlsError(() => e.enterHandshake(s32()), 'InternalError');
    const m = h.enterMain();
    expectTlsError(() => h.clientHandshakeTrafficSecret(th), 'InternalError');
    expectTlsError(() => h.enterMain(), 'InternalError');
    // and calls that skip ahead (only possible by defeating the types)
    const e2 = KeySchedule.start(crypto, 'sha256') as unknown as KeySchedule<'main'>;
    expectTlsError(() => e2.clientApplicationTrafficSecret(th), 'InternalError');
    expectTlsError(() => (e2 as unknown as KeySchedule<'handshake'>).enterMain(), 'InternalError');
    m.erase();
    expectTlsError(() => m.resumptionSecret(th), 'InternalError');
  });

  it('narrows a widely typed schedule with at(), refusing the wrong stage', () => {
    const wide: KeySchedule = KeySchedule.start(crypto, 'sha384');
    expect(wide.at('early').binderKey('external')).toHaveLength(48);
    expectTlsError(() => wide.at('handshake'), 'InternalError');
  });

  it('zeroes the previous stage secret when advancing (currentSecret returns copies)', () => {
    const e = KeySchedule.start(crypto, 'sha256');
    const copy = e.currentSecret();
    copy.fill(0xaa);
    expect(toHex(e.currentSecret())).toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a'); // RFC 8448 §3 early
    e.enterHandshake(s32());
    expect(toHex(e.currentSecret())).not.toBe('33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a');
  });

  it('remembers the no-PSK Early Secret and its "derived" salt per provider and hash without sharing them', () => {
    // A zero PSK gives the same values through the uncached path (HKDF-Extract(0, 0)).
    for (const [hash, n] of [['sha256', 32], ['sha384', 48]] as const) {
      const shared = Uint8Array.from({ length: n }, (_, i) => i ^ 0x5a);
      const want = KeySchedule.start(crypto, hash, new Uint8Array(n)).enterHandshake(shared).currentSecret();
      for (let i = 0; i < 3; i++) {
        const e = KeySchedule.start(crypto, hash);
        e.enterHandshake(shared);
        expect(e.currentSecret()).toEqual(want);
        e.erase(); // zeroes what it held: the next schedule must not see that
      }
      const empty = emptyHash(crypto, hash);
      empty.fill(0);
      expect(emptyHash(crypto, hash)).toEqual(crypto.digest(hash, EMPTY));
    }
  });

  it('uses zeros for a missing PSK and a missing (EC)DHE secret, and refuses empty ones', () => {
    const z = new Uint8Array(32);
    expect(KeySchedule.start(crypto, 'sha256', null).currentSecret()).toEqual(crypto.hkdfExtract('sha256', z, z));
    expect(KeySchedule.start(crypto, 'sha256', z).currentSecret()).toEqual(KeySchedule.start(crypto, 'sha256').currentSecret());
    expectTlsError(() => KeySchedule.start(crypto, 'sha256', EMPTY), 'InternalError');
    const pskKe = KeySchedule.start(crypto, 'sha256', s32()).enterHandshake(null);
    const withZeros = KeySchedule.start(crypto, 'sha256', s32()).enterHandshake(new Uint8Array(32));
    expect(pskKe.currentSecret()).toEqual(withZeros.currentSecret());
    expectTlsError(() => KeySchedule.start(crypto, 'sha256').enterHandshake(EMPTY), 'InternalError');
  });

  it('derives distinct client/server and handshake/application secrets from the same transcript', () => {
    const h = KeySchedule.start(crypto, 'sha256').enterHandshake(s32());
    const c = toHex(h.clientHandshakeTrafficSecret(th));
    const s = toHex(h.serverHandshakeTrafficSecret(th));
    const m = h.enterMain();
    const all = [c, s, toHex(m.clientApplicationTrafficSecret(th)), toHex(m.serverApplicationTrafficSecret(th)), toHex(m.exporterSecret(th)), toHex(m.resumptionSecret(th))];
    expect(new Set(all).size).toBe(all.length);
  });

  it('SHA-384 schedules produce 48-byte secrets throughout', () => {
    const th384 = sha384(ascii('t'));
    const h = KeySchedule.start(crypto, 'sha384').enterHandshake(s32());
    expect(h.clientHandshakeTrafficSecret(th384)).toHaveLength(48);
    const m = h.enterMain();
    expect(m.currentSecret()).toHaveLength(48);
    expect(m.exporterSecret(th384)).toHaveLength(48);
    expectTlsError(() => m.exporterSecret(th), 'InternalError'); // a SHA-256 transcript hash
    expect(emptyHash(crypto, 'sha384')).toEqual(sha384(EMPTY));
  });
});
