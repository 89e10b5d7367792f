// The pure provider's primitive floor: the cryptography one full handshake needs, timed
// alone through the provider's own interface, so that what the protocol code adds on top
// (parsing, state, copies, promises) shows as a ratio. Per handshake (client + server):
//   - key exchange: both sides make a key share and agree (x25519);
//   - the server signs (TLS 1.3 CertificateVerify / TLS 1.2 ServerKeyExchange), the client
//     parses the leaf key and verifies it, and verifies the certificate signatures of the
//     chain that the engine checks in a steady-state handshake (it remembers verified chain
//     signatures per provider, so with the same chain every time that is none; issuer keys
//     parsed once, as a config built once holds them);
//   - transcript: each side hashes every handshake byte the real handshake sent, with a
//     digest at each point the key schedule needs one;
//   - key schedule, each side: TLS 1.3 HKDF (early, handshake, main secrets, traffic keys
//     and IVs, finished keys and their HMACs, one resumption PSK), or the TLS 1.2 PRF
//     (extended master secret, key block, both Finished);
//   - record protection: every encrypted handshake record the real handshake sent, sealed
//     once and opened once, and as many keyed AEADs made as the real handshake makes.
// Byte counts come from a probe handshake of the same configuration (probeRecords).
import { X509Certificate } from 'node:crypto';

const enc = (s) => new TextEncoder().encode(s);

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// ------------------------------------------------------------------ certificates

/** One DER element at `off`: tag, header start, content start and end. */
function tlv(buf, off) {
  const tag = buf[off];
  let len = buf[off + 1];
  let p = off + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + buf[p + i];
    p += k;
  }
  return { tag, start: off, content: p, end: p + len };
}

const SIG_OIDS = new Map([
  ['2a8648ce3d040302', 0x0403], // ecdsa-with-SHA256
  ['2a8648ce3d040303', 0x0503], // ecdsa-with-SHA384
  ['2a864886f70d01010b', 0x0401], // sha256WithRSAEncryption
  ['2a864886f70d01010c', 0x0501], // sha384WithRSAEncryption
  ['2b6570', 0x0807], // Ed25519
]);

/** A certificate's signed part, its signature and the scheme it was signed with. */
export function splitCertificate(der) {
  const outer = tlv(der, 0);
  const tbs = tlv(der, outer.content);
  const alg = tlv(der, tbs.end);
  const oid = tlv(der, alg.content);
  const hex = Buffer.from(der.subarray(oid.content, oid.end)).toString('hex');
  const scheme = SIG_OIDS.get(hex);
  if (scheme === undefined) throw new Error(`floor: unknown certificate signature algorithm ${hex}`);
  const bits = tlv(der, alg.end);
  return { tbs: der.subarray(tbs.start, tbs.end), signature: der.subarray(bits.content + 1, bits.end), scheme };
}

/** DER SubjectPublicKeyInfo of a PEM or DER certificate. */
export function spkiOf(cert) {
  return new Uint8Array(new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' }));
}

// ------------------------------------------------------------------ probe

/**
 * Records what a real handshake sent, per direction: `[{ type, length }]` from the record
 * headers of everything `takeOutput()` returned until both ends completed.
 */
export function recordsOf(chunks) {
  const out = [];
  const all = concat(...chunks);
  for (let o = 0; o + 5 <= all.length; ) {
    const length = (all[o + 3] << 8) | all[o + 4];
    out.push({ type: all[o], length });
    o += 5 + length;
  }
  return out;
}

/**
 * Byte counts of a handshake, per direction: plaintext handshake bytes (hashed into the
 * transcript) and the payload sizes of encrypted records. TLS 1.3: records of type 23
 * are encrypted (payload = length - 16 tag - 1 inner type); TLS 1.2: records after the
 * sender's ChangeCipherSpec (payload = length - 8 explicit nonce - 16 tag).
 */
export function handshakeBytes(records, tls13) {
  let hashed = 0;
  const encrypted = [];
  let afterCcs = false;
  for (const r of records) {
    if (r.type === 20) {
      afterCcs = true;
      continue;
    }
    const isEncrypted = tls13 ? r.type === 23 : afterCcs;
    const payload = isEncrypted ? r.length - (tls13 ? 17 : 24) : r.length;
    if (isEncrypted) encrypted.push(payload);
    if (r.type === 22 || (tls13 && r.type === 23)) hashed += payload;
  }
  return { hashed, encrypted };
}

// ------------------------------------------------------------------ key schedules

function expandLabel(P, alg, secret, label, context, length) {
  const l = enc(`tls13 ${label}`);
  const info = concat(new Uint8Array([length >> 8, length & 0xff, l.length]), l, new Uint8Array([context.length]), context);
  return P.hkdfExpand(alg, secret, info, length);
}

/** One side's TLS 1.3 key schedule (RFC 9846 §7.1) given its transcript digests. */
function schedule13(P, shared, th, keyLen) {
  const alg = 'sha256';
  const hl = 32;
  const zeros = new Uint8Array(hl);
  const empty = P.digest(alg, new Uint8Array(0));
  const early = P.hkdfExtract(alg, zeros, zeros);
  const hs = P.hkdfExtract(alg, expandLabel(P, alg, early, 'derived', empty, hl), shared);
  const chs = expandLabel(P, alg, hs, 'c hs traffic', th[0], hl);
  const shs = expandLabel(P, alg, hs, 's hs traffic', th[0], hl);
  const ms = P.hkdfExtract(alg, expandLabel(P, alg, hs, 'derived', empty, hl), zeros);
  const cap = expandLabel(P, alg, ms, 'c ap traffic', th[2], hl);
  const sap = expandLabel(P, alg, ms, 's ap traffic', th[2], hl);
  expandLabel(P, alg, ms, 'exp master', th[2], hl);
  const res = expandLabel(P, alg, ms, 'res master', th[3], hl);
  expandLabel(P, alg, res, 'resumption', new Uint8Array(8), hl);
  const keys = [];
  for (const s of [chs, shs, cap, sap]) keys.push({ key: expandLabel(P, alg, s, 'key', new Uint8Array(0), keyLen), iv: expandLabel(P, alg, s, 'iv', new Uint8Array(0), 12) });
  P.hmac(alg, expandLabel(P, alg, shs, 'finished', new Uint8Array(0), hl), th[1]);
  P.hmac(alg, expandLabel(P, alg, chs, 'finished', new Uint8Array(0), hl), th[2]);
  return keys;
}

/** TLS 1.2 PRF with HMAC-SHA256 (RFC 5246 §5). */
function prf(P, secret, label, seed, length) {
  const ls = concat(enc(label), seed);
  const out = new Uint8Array(length);
  let a = ls;
  for (let o = 0; o < length; o += 32) {
    a = P.hmac('sha256', secret, a);
    const block = P.hmac('sha256', secret, concat(a, ls));
    out.set(block.subarray(0, Math.min(32, length - o)), o);
  }
  return out;
}

/** One side's TLS 1.2 key derivation: extended master secret (RFC 7627), key block, both Finished. */
function schedule12(P, shared, th, keyLen) {
  const master = prf(P, shared, 'extended master secret', th[1], 48);
  const block = prf(P, master, 'key expansion', new Uint8Array(64), 2 * keyLen + 8);
  prf(P, master, 'client finished', th[2], 12);
  prf(P, master, 'server finished', th[3], 12);
  return [
    { key: block.subarray(0, keyLen), iv: new Uint8Array(12) },
    { key: block.subarray(keyLen, 2 * keyLen), iv: new Uint8Array(12) },
  ];
}

/** One side's transcript: every handshake byte hashed, four digests on the way (cloned). */
function transcript(P, bytes) {
  const h = P.hash('sha256');
  const q = bytes.length >> 2;
  const th = [];
  for (let i = 0; i < 4; i++) {
    h.update(bytes.subarray(i * q, i === 3 ? bytes.length : (i + 1) * q));
    th.push(h.clone().digest());
  }
  return th;
}

// ------------------------------------------------------------------ the floor

const CV_CONTEXT = concat(new Uint8Array(64).fill(0x20), enc('TLS 1.3, server CertificateVerify'), new Uint8Array(1));

/**
 * One handshake's worth of crypto (see the module comment), as an async function.
 *
 * @param P - the provider (the pure one)
 * @param spec - `{ tls13, group, serverKey (parsed), scheme, leafSpki, chain: [{ issuerKey (parsed), scheme, tbs, signature }], hashed, encrypted, aeadKeys, random }`
 */
export function makeFloor(P, spec) {
  const { tls13, group, serverKey, scheme, leafSpki, chain, random } = spec;
  const transcriptBytes = random(spec.hashed);
  const records = spec.encrypted.map((n) => random(Math.max(0, n)));
  const aad = new Uint8Array(5);
  const keyLen = 16;
  const sigOpts = tls13 ? undefined : { tls12: true };
  const aeadKeys = Math.max(2, spec.aeadKeys ?? (tls13 ? 8 : 4));
  return async () => {
    const cs = await P.keyShare(group, random(P.keySharePrivateLength(group)));
    const ss = await P.keyShare(group, random(P.keySharePrivateLength(group)));
    const zs = await ss.agree(cs.publicKey);
    const zc = await cs.agree(ss.publicKey);
    const ths = transcript(P, transcriptBytes);
    const thc = transcript(P, transcriptBytes);
    const signed = tls13 ? concat(CV_CONTEXT, ths[1]) : concat(random(64), new Uint8Array([3, 0, 0x1d, 32]), ss.publicKey);
    const sig = await P.sign(serverKey, scheme, signed, random, sigOpts);
    const leaf = P.parsePublicKey(leafSpki);
    if (!(await P.verify(leaf, scheme, signed, sig, sigOpts))) throw new Error('floor: handshake signature did not verify');
    for (const c of chain) if (!(await P.verify(c.issuerKey, c.scheme, c.tbs, c.signature, { tls12: true }))) throw new Error('floor: certificate signature did not verify');
    const schedule = tls13 ? schedule13 : schedule12;
    const kc = schedule(P, zc, thc, keyLen);
    const ks = schedule(P, zs, ths, keyLen);
    // Keyed AEADs in pairs per traffic key (one side's sealer, the other's opener), as
    // many as the real handshake makes; the encrypted records go through the first pair.
    const aeads = [];
    for (let i = 0; i < aeadKeys; i++) aeads.push(await P.aead('AES-128-GCM', (i & 1 ? kc : ks)[(i >> 1) % ks.length].key));
    const nonce = kc[0].iv;
    for (const r of records) {
      const ct = await aeads[0].seal(nonce, aad, r);
      if (!(await aeads[1].open(nonce, aad, ct))) throw new Error('floor: AEAD open failed');
    }
  };
}
