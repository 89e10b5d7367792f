/**
 * Helpers for replaying RFC 8448 traces through the engine (test/vectors/rfc8448-replay.test.ts):
 * a scripted random source, PKCS#1 key construction from the RFC's RSA components,
 * recovery of an RSA-PSS salt from a signature (RFC 8017 §9.1.2), record splitting and
 * opening, and a sans-I/O feeding loop.
 *
 * Everything cryptographic here is written against node:crypto / @noble directly (not
 * src/), so a bug in the engine cannot cancel out against the same bug in the helper.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gcm } from '@noble/ciphers/aes.js';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import type { PublicKeyInfo, RandomSource } from '../../src/crypto/provider.js';
import type { CertificateVerifier, VerifyRequest } from '../../src/verify/verifier.js';

// ------------------------------------------------------------------ bytes

/** Hex (whitespace ignored) to bytes. */
export function fromHex(hex: string): Uint8Array {
  const h = hex.replace(/\s+/g, '');
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new Error(`bad hex: ${hex.slice(0, 40)}`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** Bytes to lower-case hex (comparing hex gives readable vitest diffs). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** Big-endian unsigned integer. */
export function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${toHex(b)}`);
}

/** Big-endian, left-padded to `len` bytes (throws if it does not fit). */
export function fromBigInt(x: bigint, len: number): Uint8Array {
  const h = x.toString(16);
  if (x < 0n || h.length > 2 * len) throw new Error(`${len}-byte integer overflow`);
  return fromHex(h.padStart(2 * len, '0'));
}

// ------------------------------------------------------------------ vectors

/** The fields of vectors/rfc8448/*.json the replay uses. */
export interface RsaComponents {
  modulus: string;
  publicExponent: string;
  privateExponent: string;
  prime1: string;
  prime2: string;
  exponent1: string;
  exponent2: string;
  coefficient: string;
}
export interface ReplayVector {
  source: string;
  serverRsaKey: RsaComponents;
  serverCertificate: string;
  keyShares: Record<string, { group: string; privateKey: string; publicKey: string }>;
  randoms: Record<string, string>;
  messages: Record<string, string>;
  records: Record<string, string>;
  trafficKeys: Record<string, { key: string; iv: string }>;
  applicationData?: string;
  helloRetryRequestCookie?: string;
}

/** Loads vectors/rfc8448/<name>. */
export function loadVector(name: string): ReplayVector {
  return JSON.parse(readFileSync(new URL(`../../vectors/rfc8448/${name}`, import.meta.url), 'utf8')) as ReplayVector;
}

// ------------------------------------------------------------------ random source

/** One expected draw: its purpose (for failure messages), and the bytes to return, or a length for filler. */
export type Draw = { label: string; bytes: Uint8Array } | { label: string; filler: number };

/** A random source that plays a script, then answers anything further with filler. */
export interface ScriptedRandom {
  readonly random: RandomSource;
  /** Every draw made, in order: its length and the label of the script entry it consumed ('filler' past the end). */
  readonly log: { n: number; label: string }[];
  /** Script entries not yet consumed. */
  remaining(): number;
}

/**
 * Plays `script` in order: each call must ask for exactly the scripted length (so the
 * test pins the engine's order of draws), else it throws. After the script, further
 * draws get deterministic filler from SHA-256(`seed` ‖ counter) — used for RSA blinding,
 * session tickets and other values that must not (or cannot) influence what is compared.
 */
export function scriptedRandom(script: readonly Draw[], seed = 'puretls rfc8448 replay'): ScriptedRandom {
  const log: { n: number; label: string }[] = [];
  let i = 0;
  let counter = 0;
  const filler = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
  const random: RandomSource = (n) => {
    const d = script[i];
    if (d === undefined) {
      log.push({ n, label: 'filler' });
      return filler(n);
    }
    const want = 'bytes' in d ? d.bytes.length : d.filler;
    if (n !== want) throw new Error(`random draw #${i} (${d.label}): engine asked for ${n} bytes, script has ${want}`);
    i++;
    log.push({ n, label: d.label });
    return 'bytes' in d ? d.bytes.slice() : filler(n);
  };
  return { random, log, remaining: () => script.length - i };
}

/** P-256 group order n. */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * The 40 bytes to inject for the P-256 private key `d` (hex). src/crypto/kx.ts maps the
 * 40 drawn bytes c to d = (c mod (n − 1)) + 1 (FIPS 186-5 A.2.1), so c = d − 1 (which is
 * below n − 1) gives back exactly d.
 */
export function p256PrivateKeyDraw(dHex: string): Uint8Array {
  const d = toBigInt(fromHex(dHex));
  if (d < 1n || d >= P256_N) throw new Error('P-256 private key out of range');
  return fromBigInt(d - 1n, 40);
}

// ------------------------------------------------------------------ RSA

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let x = n; x > 0; x >>= 8) bytes.unshift(x & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return Uint8Array.from([tag, ...derLength(content.length), ...content]);
}

function derInteger(hex: string): Uint8Array {
  let b = fromHex(hex.replace(/^(00)+(?=..)/, ''));
  if (b[0]! & 0x80) b = Uint8Array.from([0, ...b]);
  return derTlv(0x02, b);
}

/** RSAPrivateKey (RFC 8017 A.1.2, PKCS#1 DER) from the RFC's components. */
export function rsaPrivateKeyDer(k: RsaComponents): Uint8Array {
  const parts = [
    '00',
    k.modulus,
    k.publicExponent,
    k.privateExponent,
    k.prime1,
    k.prime2,
    k.exponent1,
    k.exponent2,
    k.coefficient,
  ].map(derInteger);
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    body.set(p, o);
    o += p.length;
  }
  return derTlv(0x30, body);
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  for (; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
  }
  return r;
}

function mgf1Sha256(seed: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let c = 0, off = 0; off < len; c++, off += 32) {
    const t = createHash('sha256').update(seed).update(Uint8Array.from([c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff])).digest();
    out.set(t.subarray(0, Math.min(32, len - off)), off);
  }
  return out;
}

/**
 * The salt of an RSASSA-PSS signature (MGF1-SHA-256, salt length 32, as in
 * rsa_pss_rsae_sha256): m = s^e mod n (RSAVP1), EM = I2OSP(m, emLen), then the unmasking
 * steps 4-10 of EMSA-PSS-VERIFY (RFC 8017 §9.1.2): DB = maskedDB ⊕ MGF1(H), clear the top
 * 8·emLen − emBits bits, check PS = 0…0 ‖ 0x01, and the salt is the last sLen bytes of DB.
 * Throws if the encoding is not well formed (which would mean a wrong key or signature).
 */
export function recoverPssSalt(key: RsaComponents, signature: Uint8Array, sLen = 32): Uint8Array {
  const n = toBigInt(fromHex(key.modulus));
  const e = toBigInt(fromHex(key.publicExponent));
  const hLen = 32;
  const modBits = n.toString(2).length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const s = toBigInt(signature);
  if (s >= n) throw new Error('PSS: signature representative out of range');
  const em = fromBigInt(modPow(s, e, n), emLen);
  if (em[emLen - 1] !== 0xbc) throw new Error('PSS: EM does not end in 0xbc');
  const dbLen = emLen - hLen - 1;
  const h = em.subarray(dbLen, dbLen + hLen);
  const mask = mgf1Sha256(h, dbLen);
  const db = em.slice(0, dbLen).map((x, i) => x ^ mask[i]!);
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  const psLen = emLen - hLen - sLen - 2;
  if (db.subarray(0, psLen).some((x) => x !== 0) || db[psLen] !== 0x01) throw new Error('PSS: bad padding (PS ‖ 0x01)');
  return db.slice(dbLen - sLen);
}

// ------------------------------------------------------------------ records

/** A TLSPlaintext / TLSCiphertext record as bytes, split into header fields. */
export interface RawRecord {
  type: number;
  version: number;
  bytes: Uint8Array;
}

/** Splits concatenated records (throws on a partial one). */
export function splitRecords(data: Uint8Array | null): RawRecord[] {
  const out: RawRecord[] = [];
  if (!data) return out;
  let off = 0;
  while (off < data.length) {
    if (data.length - off < 5) throw new Error('partial record header');
    const len = (data[off + 3]! << 8) | data[off + 4]!;
    if (data.length - off < 5 + len) throw new Error('partial record');
    out.push({ type: data[off]!, version: (data[off + 1]! << 8) | data[off + 2]!, bytes: data.slice(off, off + 5 + len) });
    off += 5 + len;
  }
  return out;
}

/**
 * Opens a TLS 1.3 AES-128-GCM record (RFC 9846 §5.2, §5.3) with `key`/`iv` at sequence
 * number `seq`; returns the inner content type and content (padding stripped).
 */
export function openRecord(record: Uint8Array, key: Uint8Array, iv: Uint8Array, seq: number): { type: number; content: Uint8Array } {
  const nonce = iv.slice();
  for (let i = 0, s = BigInt(seq); i < 8; i++, s >>= 8n) nonce[11 - i]! ^= Number(s & 0xffn);
  const inner = gcm(key, nonce, record.subarray(0, 5)).decrypt(record.subarray(5));
  let end = inner.length;
  while (end > 0 && inner[end - 1] === 0) end--;
  if (end === 0) throw new Error('record has no content type');
  return { type: inner[end - 1]!, content: inner.slice(0, end - 1) };
}

// ------------------------------------------------------------------ driving

/** Offers `bytes` to `conn` and processes until all are accepted (receive() back-pressure). */
export async function feed(conn: TlsConnection, bytes: Uint8Array): Promise<void> {
  let rest = bytes;
  for (let guard = 0; rest.length > 0; guard++) {
    if (guard > 10_000) throw new Error('feed: no progress');
    const n = conn.receive(rest);
    rest = rest.subarray(n);
    await conn.process();
    if (conn.error) return;
  }
}

/**
 * A verifier that accepts exactly `certificateDer` as the whole chain and reports its
 * key: RFC 8448's certificate is a self-signed RSA certificate with no usable trust
 * path, so chain validation is replaced (the CertificateVerify signature check against
 * the leaf key still runs in the engine).
 */
export function pinnedVerifier(certificateDer: Uint8Array, parsePublicKey: (spki: Uint8Array) => PublicKeyInfo): CertificateVerifier & { requests: VerifyRequest[] } {
  const requests: VerifyRequest[] = [];
  return {
    requests,
    async verify(req: VerifyRequest) {
      requests.push(req);
      if (req.certificates.length !== 1 || toHex(req.certificates[0]!) !== toHex(certificateDer)) {
        throw new Error('pinnedVerifier: unexpected certificate chain');
      }
      const spki = new Uint8Array(new X509Certificate(certificateDer).publicKey.export({ type: 'spki', format: 'der' }));
      return { errors: [], severity: 'none' as const, leafPublicKey: parsePublicKey(spki) };
    },
  };
}
