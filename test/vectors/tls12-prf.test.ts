/**
 * TLS 1.2 PRF and key derivations (src/keys/tls12-prf.ts) against known answers:
 *
 * 1. vectors/tls12/prf.json: the two PRF vectors from the IETF TLS list (SHA-256,
 *    SHA-384) and OpenSSL TLS1-PRF KDF outputs for block-boundary lengths, the master
 *    secret, the extended master secret (RFC 7627), key blocks, Finished and exporters.
 * 2. Live, when an `openssl` 3.x binary is present: every vector's recorded
 *    `openssl kdf` command reproduces its output, and random PRF inputs agree with it.
 * 3. Live against Node 20's `tls` (OpenSSL inside) negotiating TLS 1.2 on loopback
 *    through a recording proxy: with the master secret from the key log and the randoms
 *    from the captured hellos, our key block decrypts both Finished records, our Finished
 *    verify_data equals the peer's, our exporter equals `exportKeyingMaterial`, and the
 *    ServerKeyExchange signature verifies over `serverKeyExchangeSignedContent`. This is
 *    the independent check of how the seeds are composed (which the KDF vectors, built
 *    from our reading of the RFCs, cannot give). The captured TLS 1.2 messages are also
 *    decoded and re-encoded byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { createDecipheriv, createPublicKey, verify as nodeVerify, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MASTER_SECRET_LENGTH,
  exporter,
  extendedMasterSecret,
  finishedVerifyData,
  isTls12Hash,
  keyBlock,
  masterSecret,
  pHash,
  prf,
  verifyFinished,
  type FinishedLabel,
  type Tls12PrfCrypto,
} from '../../src/keys/tls12-prf.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { generateTestPki } from '../../src/verify/generate.js';
import { HandshakeType } from '../../src/wire/codes.js';
import { decodeHandshakeBytes, encodeHandshake } from '../../src/wire/handshake.js';
import type { HandshakeMessage, ServerHello, ServerKeyExchange } from '../../src/wire/messages.js';
import { serverKeyExchangeSignedContent } from '../../src/wire/tls12.js';
import { concat, fromHex, hashProvider, toHex } from '../helpers/hash-provider.js';
import { statusOf } from '../helpers/tls-error.js';

type Hex = string;
type Hash = 'sha256' | 'sha384';
interface PrfVector {
  name: string;
  source: string;
  hash: Hash;
  secret: Hex;
  label: string;
  seed: Hex;
  length: number;
  output: Hex;
  openssl: string[];
}
interface Vectors {
  source: string;
  provenance: string;
  prf: PrfVector[];
  masterSecret: { name: string; hash: Hash; preMasterSecret: Hex; clientRandom: Hex; serverRandom: Hex; masterSecret: Hex; openssl: string[] }[];
  extendedMasterSecret: { name: string; hash: Hash; preMasterSecret: Hex; sessionHash: Hex; masterSecret: Hex; openssl: string[] }[];
  keyBlock: {
    name: string;
    hash: Hash;
    masterSecret: Hex;
    clientRandom: Hex;
    serverRandom: Hex;
    keyLen: number;
    ivLen: number;
    keyBlock: Hex;
    clientWriteKey: Hex;
    serverWriteKey: Hex;
    clientWriteIv: Hex;
    serverWriteIv: Hex;
    openssl: string[];
  }[];
  finished: { name: string; hash: Hash; masterSecret: Hex; label: FinishedLabel; handshakeHash: Hex; verifyData: Hex; openssl: string[] }[];
  exporter: {
    name: string;
    hash: Hash;
    masterSecret: Hex;
    clientRandom: Hex;
    serverRandom: Hex;
    label: string;
    context: Hex | null;
    length: number;
    output: Hex;
    openssl: string[];
  }[];
}

const V = JSON.parse(readFileSync(new URL('../../vectors/tls12/prf.json', import.meta.url), 'utf8')) as Vectors;

/** Two providers: the test-only hash provider and the default noble provider. */
const PROVIDERS: Array<[string, Tls12PrfCrypto]> = [
  ['hash-provider', hashProvider],
  ['noble', nobleProvider],
];

// ---------------------------------------------------------------------------
// 1. Known answers

describe('TLS 1.2 PRF known answers (vectors/tls12/prf.json)', () => {
  it('names a source for every vector and holds the two IETF TLS list vectors', () => {
    expect(V.source).toMatch(/IETF TLS list/);
    const ietf = V.prf.filter((v) => v.name.startsWith('IETF'));
    expect(ietf.map((v) => v.hash).sort()).toEqual(['sha256', 'sha384']);
    for (const v of ietf) expect(v.source).toMatch(/msg03416/);
    for (const group of [V.prf, V.masterSecret, V.extendedMasterSecret, V.keyBlock, V.finished, V.exporter]) {
      expect(group.length).toBeGreaterThan(0);
      for (const v of group) expect((v as { source?: string }).source ?? '').not.toBe('');
    }
  });

  for (const [pname, crypto] of PROVIDERS) {
    describe(`with the ${pname} provider`, () => {
      for (const v of V.prf) {
        it(`PRF: ${v.name}`, () => {
          expect(toHex(prf(crypto, v.hash, fromHex(v.secret), v.label, fromHex(v.seed), v.length))).toBe(v.output);
          // the label may be given as bytes too; P_hash takes label ‖ seed
          const label = new TextEncoder().encode(v.label);
          expect(toHex(prf(crypto, v.hash, fromHex(v.secret), label, fromHex(v.seed), v.length))).toBe(v.output);
          expect(toHex(pHash(crypto, v.hash, fromHex(v.secret), concat(label, fromHex(v.seed)), v.length))).toBe(v.output);
        });
      }

      for (const v of V.masterSecret) {
        it(`master secret (RFC 5246 §8.1): ${v.name}`, () => {
          const ms = masterSecret(crypto, v.hash, fromHex(v.preMasterSecret), fromHex(v.clientRandom), fromHex(v.serverRandom));
          expect(ms).toHaveLength(MASTER_SECRET_LENGTH);
          expect(toHex(ms)).toBe(v.masterSecret);
        });
      }

      for (const v of V.extendedMasterSecret) {
        it(`extended master secret (RFC 7627 §4): ${v.name}`, () => {
          expect(toHex(extendedMasterSecret(crypto, v.hash, fromHex(v.preMasterSecret), fromHex(v.sessionHash)))).toBe(v.masterSecret);
        });
      }

      for (const v of V.keyBlock) {
        it(`key block (RFC 5246 §6.3): ${v.name}`, () => {
          const kb = keyBlock(crypto, v.hash, fromHex(v.masterSecret), fromHex(v.clientRandom), fromHex(v.serverRandom), v.keyLen, v.ivLen);
          expect(toHex(kb.clientWriteKey)).toBe(v.clientWriteKey);
          expect(toHex(kb.serverWriteKey)).toBe(v.serverWriteKey);
          expect(toHex(kb.clientWriteIv)).toBe(v.clientWriteIv);
          expect(toHex(kb.serverWriteIv)).toBe(v.serverWriteIv);
          expect(toHex(concat(kb.clientWriteKey, kb.serverWriteKey, kb.clientWriteIv, kb.serverWriteIv))).toBe(v.keyBlock);
        });
      }

      for (const v of V.finished) {
        it(`Finished (RFC 5246 §7.4.9): ${v.name}`, () => {
          const vd = finishedVerifyData(crypto, v.hash, fromHex(v.masterSecret), v.label, fromHex(v.handshakeHash));
          expect(toHex(vd)).toBe(v.verifyData);
          expect(verifyFinished(crypto, v.hash, fromHex(v.masterSecret), v.label, fromHex(v.handshakeHash), vd)).toBe(true);
          const bad = vd.slice();
          bad[11]! ^= 1;
          expect(verifyFinished(crypto, v.hash, fromHex(v.masterSecret), v.label, fromHex(v.handshakeHash), bad)).toBe(false);
          expect(verifyFinished(crypto, v.hash, fromHex(v.masterSecret), v.label, fromHex(v.handshakeHash), vd.subarray(0, 11))).toBe(false);
        });
      }

      for (const v of V.exporter) {
        it(`exporter (RFC 5705 §4): ${v.name}`, () => {
          const out = exporter(crypto, v.hash, fromHex(v.masterSecret), fromHex(v.clientRandom), fromHex(v.serverRandom), v.label, v.context === null ? null : fromHex(v.context), v.length);
          expect(toHex(out)).toBe(v.output);
        });
      }
    });
  }

  it('no context and an empty context give different exporter values (RFC 5705 §4)', () => {
    const none = V.exporter.filter((v) => v.context === null);
    const empty = V.exporter.filter((v) => v.context === '');
    expect(none.length).toBe(empty.length);
    none.forEach((v, i) => expect(v.output).not.toBe(empty[i]!.output));
  });
});

// ---------------------------------------------------------------------------
// Properties and refusals

describe('TLS 1.2 PRF properties and refusals', () => {
  const crypto = hashProvider;
  const ms = new Uint8Array(48).fill(7);
  const r32 = new Uint8Array(32).fill(1);

  it('a shorter output is a prefix of a longer one', () => {
    fc.assert(
      fc.property(fc.constantFrom<Hash>('sha256', 'sha384'), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 80 }), fc.nat(200), fc.nat(200), (h, secret, seed, a, b) => {
        const [short, long] = a < b ? [a, b] : [b, a];
        const x = prf(crypto, h, secret, 'p', seed, short);
        const y = prf(crypto, h, secret, 'p', seed, long);
        expect(toHex(y.subarray(0, short))).toBe(toHex(x));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a hash other than SHA-256/SHA-384 → InternalError', () => {
    expect(isTls12Hash('sha512')).toBe(false);
    expect(statusOf(() => prf(crypto, 'sha512', ms, 'x', r32, 10))).toBe('InternalError');
    expect(statusOf(() => masterSecret(crypto, 'sha512', ms, r32, r32))).toBe('InternalError');
  });

  it('refuses inputs of the wrong size → InternalError', () => {
    expect(statusOf(() => masterSecret(crypto, 'sha256', ms, r32.subarray(1), r32))).toBe('InternalError');
    expect(statusOf(() => masterSecret(crypto, 'sha256', new Uint8Array(0), r32, r32))).toBe('InternalError');
    // RFC 7627 §3: session_hash has the PRF hash's length
    expect(statusOf(() => extendedMasterSecret(crypto, 'sha384', ms, new Uint8Array(32)))).toBe('InternalError');
    expect(statusOf(() => keyBlock(crypto, 'sha256', ms.subarray(1), r32, r32, 16, 4))).toBe('InternalError');
    expect(statusOf(() => keyBlock(crypto, 'sha256', ms, r32, r32, 0, 4))).toBe('InternalError');
    expect(statusOf(() => finishedVerifyData(crypto, 'sha256', ms, 'client finished', new Uint8Array(48)))).toBe('InternalError');
    expect(statusOf(() => finishedVerifyData(crypto, 'sha256', ms, 'finished' as FinishedLabel, new Uint8Array(32)))).toBe('InternalError');
    expect(statusOf(() => prf(crypto, 'sha256', ms, 'x', r32, -1))).toBe('InternalError');
  });

  it('exporter: refuses reserved and empty labels, long contexts and lengths out of range → ApiMisuse', () => {
    for (const label of ['client finished', 'server finished', 'master secret', 'key expansion', 'extended master secret', '']) {
      expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, label, null, 16)), label).toBe('ApiMisuse');
    }
    expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, new TextEncoder().encode('master secret'), null, 16))).toBe('ApiMisuse');
    expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, 'EXPORTER-x', new Uint8Array(0x10000), 16))).toBe('ApiMisuse');
    expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, 'EXPORTER-x', new Uint8Array(0xffff), 16))).toBe('ok');
    expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, 'EXPORTER-x', null, 255 * 32 + 1))).toBe('ApiMisuse');
    expect(statusOf(() => exporter(crypto, 'sha384', ms, r32, r32, 'EXPORTER-x', null, 255 * 48))).toBe('ok');
    expect(statusOf(() => exporter(crypto, 'sha256', ms, r32, r32, 'EXPORTER-x', null, 1.5))).toBe('ApiMisuse');
    expect(exporter(crypto, 'sha256', ms, r32, r32, 'EXPORTER-x', null, 0)).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------
// 2. Live: OpenSSL's TLS1-PRF KDF

function opensslCheck(): { ok: boolean; detail: string } {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { ok: false, detail: `openssl not runnable (${r.error?.message ?? `exit ${r.status}`})` };
  if (!/^OpenSSL [3-9]\./.test(r.stdout)) return { ok: false, detail: `OpenSSL 3.x needed for 'openssl kdf', found '${r.stdout.trim()}'` };
  return { ok: true, detail: r.stdout.trim() };
}
const OPENSSL = opensslCheck();
const skipNote = OPENSSL.ok ? '' : ` (skipped: ${OPENSSL.detail})`;

function runOpenssl(args: readonly string[]): string {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().replace(/:/g, '').toLowerCase();
}

describe.skipIf(!OPENSSL.ok)(`live against OpenSSL's TLS1-PRF KDF${skipNote}`, () => {
  it('every recorded `openssl kdf` command still gives the recorded output', () => {
    const all: Array<{ name: string; openssl: string[]; out: string }> = [
      ...V.prf.map((v) => ({ name: v.name, openssl: v.openssl, out: v.output })),
      ...V.masterSecret.map((v) => ({ name: v.name, openssl: v.openssl, out: v.masterSecret })),
      ...V.extendedMasterSecret.map((v) => ({ name: v.name, openssl: v.openssl, out: v.masterSecret })),
      ...V.keyBlock.map((v) => ({ name: v.name, openssl: v.openssl, out: v.keyBlock })),
      ...V.finished.map((v) => ({ name: v.name, openssl: v.openssl, out: v.verifyData })),
      ...V.exporter.map((v) => ({ name: v.name, openssl: v.openssl, out: v.output })),
    ];
    for (const v of all) expect(runOpenssl(v.openssl), v.name).toBe(v.out);
  });

  it('random secrets, labels, seeds and lengths agree with OpenSSL (SHA-256 and SHA-384)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Hash>('sha256', 'sha384'),
        fc.uint8Array({ minLength: 1, maxLength: 80 }),
        fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz '.split('')), minLength: 1, maxLength: 24 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 1, max: 300 }),
        (h, secret, label, seed, length) => {
          const args = [
            'kdf', '-keylen', String(length),
            '-kdfopt', `digest:${h === 'sha256' ? 'SHA256' : 'SHA384'}`,
            '-kdfopt', `hexsecret:${toHex(secret)}`,
            '-kdfopt', `hexseed:${toHex(new TextEncoder().encode(label))}${toHex(seed)}`,
            'TLS1-PRF',
          ];
          expect(toHex(prf(hashProvider, h, secret, label, seed, length))).toBe(runOpenssl(args));
        },
      ),
      { numRuns: 24 },
    );
  });
});

// ---------------------------------------------------------------------------
// 3. Live: Node's tls (OpenSSL) as both peers, TLS 1.2, through a recording proxy

interface Capture {
  /** Bytes client → server and server → client, in order. */
  readonly up: Buffer[];
  readonly down: Buffer[];
}

interface TlsRecord {
  readonly type: number;
  readonly fragment: Buffer;
}

function records(stream: Buffer): TlsRecord[] {
  const out: TlsRecord[] = [];
  let o = 0;
  while (o + 5 <= stream.length) {
    const len = stream.readUInt16BE(o + 3);
    out.push({ type: stream[o]!, fragment: stream.subarray(o + 5, o + 5 + len) });
    o += 5 + len;
  }
  expect(o).toBe(stream.length);
  return out;
}

/** Plaintext handshake messages before the first ChangeCipherSpec, and the first record after it. */
function split(stream: Buffer): { messages: Buffer[]; firstProtected: Buffer } {
  const recs = records(stream);
  const ccs = recs.findIndex((r) => r.type === 20);
  expect(ccs).toBeGreaterThan(0);
  const hs = Buffer.concat(recs.slice(0, ccs).filter((r) => r.type === 22).map((r) => r.fragment));
  const messages: Buffer[] = [];
  for (let o = 0; o < hs.length; ) {
    const len = (hs[o + 1]! << 16) | (hs[o + 2]! << 8) | hs[o + 3]!;
    messages.push(hs.subarray(o, o + 4 + len));
    o += 4 + len;
  }
  const next = recs[ccs + 1]!;
  expect(next.type).toBe(22);
  return { messages, firstProtected: next.fragment };
}

/** Opens the first protected record (sequence number 0) of a direction (RFC 5288 §3 / RFC 7905 §2). */
function openFirstRecord(suite: LiveSuite, key: Uint8Array, fixedIv: Uint8Array, fragment: Buffer): Buffer {
  const seq = Buffer.alloc(8); // sequence number 0
  let nonce: Buffer;
  let body: Buffer;
  if (suite.ivLen === 4) {
    // RFC 5288 §3: nonce = salt (client/server_write_IV, 4 bytes) ‖ explicit nonce (8 bytes, in the record)
    nonce = Buffer.concat([fixedIv, fragment.subarray(0, 8)]);
    body = fragment.subarray(8);
  } else {
    // RFC 7905 §2: nonce = client/server_write_IV (12 bytes) XOR (0^32 ‖ seq_num)
    nonce = Buffer.from(fixedIv);
    for (let i = 0; i < 8; i++) nonce[4 + i]! ^= seq[i]!;
    body = fragment;
  }
  const ct = body.subarray(0, body.length - 16);
  const tag = body.subarray(body.length - 16);
  // RFC 5246 §6.2.3.3: additional_data = seq_num ‖ type ‖ version ‖ length (of the plaintext)
  const aad = Buffer.concat([seq, Buffer.from([22, 3, 3, ct.length >> 8, ct.length & 0xff])]);
  const d = createDecipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ct), d.final()]);
}

interface LiveSuite {
  readonly openssl: string;
  readonly cipher: string;
  readonly hash: Hash;
  readonly keyLen: number;
  readonly ivLen: number;
}
const LIVE_SUITES: LiveSuite[] = [
  { openssl: 'ECDHE-ECDSA-AES128-GCM-SHA256', cipher: 'aes-128-gcm', hash: 'sha256', keyLen: 16, ivLen: 4 },
  { openssl: 'ECDHE-ECDSA-AES256-GCM-SHA384', cipher: 'aes-256-gcm', hash: 'sha384', keyLen: 32, ivLen: 4 },
  { openssl: 'ECDHE-ECDSA-CHACHA20-POLY1305', cipher: 'chacha20-poly1305', hash: 'sha256', keyLen: 32, ivLen: 12 },
];

const SIG_HASH: Record<number, string> = { 0x0403: 'sha256', 0x0503: 'sha384', 0x0603: 'sha512' };

describe('live against Node tls (OpenSSL) over TLS 1.2, via the key log', () => {
  for (const suite of LIVE_SUITES) {
    it(`${suite.openssl}: key block, Finished, exporter and ServerKeyExchange content match the peer`, async () => {
      const pki = await generateTestPki({ keyType: 'ecdsa-p256' });
      const server = tls.createServer({ key: pki.keyPem, cert: pki.certPem, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: suite.openssl }, (s) => {
        s.on('data', (d) => s.write(d));
        s.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      const cap: Capture = { up: [], down: [] };
      const proxy = net.createServer((c) => {
        const u = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
        c.on('data', (d) => {
          cap.up.push(Buffer.from(d));
          u.write(d);
        });
        u.on('data', (d) => {
          cap.down.push(Buffer.from(d));
          c.write(d);
        });
        c.on('end', () => u.end());
        u.on('end', () => c.end());
        c.on('error', () => u.destroy());
        u.on('error', () => c.destroy());
      });
      proxy.listen(0, '127.0.0.1');
      await new Promise((r) => proxy.once('listening', r));
      try {
        const client = tls.connect({
          port: (proxy.address() as AddressInfo).port,
          host: '127.0.0.1',
          servername: 'localhost',
          ca: pki.caCertPem,
          minVersion: 'TLSv1.2',
          maxVersion: 'TLSv1.2',
          ciphers: suite.openssl,
        });
        const keylog: string[] = [];
        client.on('keylog', (line) => keylog.push(line.toString('latin1')));
        await new Promise<void>((resolve, reject) => {
          client.once('secureConnect', resolve);
          client.once('error', reject);
        });
        expect(client.getProtocol()).toBe('TLSv1.2');
        const ctx = Buffer.from('puretls context');
        // @ts-expect-error Node's types demand a context; omitting it is RFC 5705's no-context case, which Node supports.
        const nodeNoCtx = client.exportKeyingMaterial(40, 'EXPORTER-puretls');
        const nodeCtx = client.exportKeyingMaterial(40, 'EXPORTER-puretls', ctx);
        const nodeEmptyCtx = client.exportKeyingMaterial(40, 'EXPORTER-puretls', Buffer.alloc(0));
        // one echo round trip, so that every handshake byte has passed the proxy
        client.write('ping');
        await new Promise((r) => client.once('data', r));
        client.end();
        await new Promise((r) => client.once('close', r));

        const line = keylog.map((l) => l.trim()).find((l) => l.startsWith('CLIENT_RANDOM '));
        expect(line, keylog.join('\n')).toBeDefined();
        const [, crHex, msHex] = line!.split(' ');
        const master = fromHex(msHex!);

        const up = split(Buffer.concat(cap.up));
        const down = split(Buffer.concat(cap.down));
        // Decode every plaintext TLS 1.2 message with our codecs; each re-encodes byte for byte.
        const decode = (raw: Buffer): HandshakeMessage => {
          const m = decodeHandshakeBytes(new Uint8Array(raw), { version: 'tls12' });
          expect(toHex(encodeHandshake(m)), m.type).toBe(toHex(raw));
          return m;
        };
        const upMsgs = up.messages.map(decode);
        const downMsgs = down.messages.map(decode);
        expect(upMsgs.map((m) => m.type)).toEqual(['client_hello', 'client_key_exchange']);
        expect(downMsgs.slice(0, 4).map((m) => m.type)).toEqual(['server_hello', 'certificate12', 'server_key_exchange', 'server_hello_done']);
        const ch = upMsgs[0]!;
        const sh = downMsgs[0] as ServerHello;
        if (ch.type !== 'client_hello') throw new Error('no ClientHello');
        expect(toHex(ch.random)).toBe(crHex);
        const cr = ch.random;
        const sr = sh.random;

        // RFC 8422 §5.4: the ServerKeyExchange signature covers client_random ‖ server_random ‖ ServerECDHParams
        const ske = downMsgs[2] as ServerKeyExchange;
        const leaf = new X509Certificate(pki.certPem);
        const sigHash = SIG_HASH[ske.scheme];
        expect(sigHash, `scheme 0x${ske.scheme.toString(16)}`).toBeDefined();
        expect(nodeVerify(sigHash!, serverKeyExchangeSignedContent(cr, sr, ske), createPublicKey(leaf.publicKey.export({ type: 'spki', format: 'pem' })), ske.signature)).toBe(true);

        const kb = keyBlock(hashProvider, suite.hash, master, cr, sr, suite.keyLen, suite.ivLen);
        const transcript = (msgs: readonly Uint8Array[]): Uint8Array => {
          const h = hashProvider.hash(suite.hash);
          for (const m of msgs) h.update(m);
          return h.digest();
        };
        // client Finished over CH..CKE (RFC 5246 §7.4.9)
        const toClientFinished = [up.messages[0]!, ...down.messages.slice(0, 4), up.messages[1]!];
        const clientFinished = openFirstRecord(suite, kb.clientWriteKey, kb.clientWriteIv, up.firstProtected);
        expect(toHex(clientFinished.subarray(0, 4))).toBe('1400000c');
        const cvd = finishedVerifyData(hashProvider, suite.hash, master, 'client finished', transcript(toClientFinished));
        expect(toHex(clientFinished.subarray(4))).toBe(toHex(cvd));
        // server Finished also covers the client Finished and a NewSessionTicket, if any (RFC 5077 §3.3)
        const toServerFinished = [...toClientFinished, clientFinished, ...down.messages.slice(4)];
        const serverFinished = openFirstRecord(suite, kb.serverWriteKey, kb.serverWriteIv, down.firstProtected);
        const svd = finishedVerifyData(hashProvider, suite.hash, master, 'server finished', transcript(toServerFinished));
        expect(toHex(serverFinished.subarray(4))).toBe(toHex(svd));
        for (const m of downMsgs.slice(4)) expect(m.type).toBe('new_session_ticket12');

        // RFC 5705 §4: with and without a context (an empty context is not "no context")
        expect(toHex(exporter(hashProvider, suite.hash, master, cr, sr, 'EXPORTER-puretls', null, 40))).toBe(toHex(nodeNoCtx));
        expect(toHex(exporter(hashProvider, suite.hash, master, cr, sr, 'EXPORTER-puretls', ctx, 40))).toBe(toHex(nodeCtx));
        expect(toHex(exporter(hashProvider, suite.hash, master, cr, sr, 'EXPORTER-puretls', new Uint8Array(0), 40))).toBe(toHex(nodeEmptyCtx));
        expect(HandshakeType.finished).toBe(clientFinished[0]);
      } finally {
        proxy.close();
        server.close();
      }
    });
  }
});
