// The pure provider's primitive floor: the cryptography one full handshake does, timed
// alone through the provider's own interface, so that what the protocol code adds on top
// (parsing, state, copies, promises, garbage) shows as a ratio. What one floor operation
// contains, per handshake (client + server), counted from a probe handshake of the same
// configuration (probeCrypto: each side runs on its own counting wrapper of the provider and
// of the random source, and the counts of the second, steady-state handshake are kept):
//   - randomness: every request each side made of its random source, same sizes, same
//     source (the client and server randoms, the legacy session ID, key-share scalars, the
//     ECDSA hedge, RSA-PSS salts, ticket nonces and age_add), each once: the primitives
//     below draw their own (key-share scalars, hedge, salt), the others are replayed;
//   - key exchange: the key shares each side generated (x25519 here) and one agreement per side;
//   - the server's handshake signature (TLS 1.3 CertificateVerify / TLS 1.2
//     ServerKeyExchange); the client verifies it with the leaf key, parsed as many times as
//     the probe parsed keys (none in a steady state: the engine remembers parsed keys per
//     provider and SubjectPublicKeyInfo), plus as many certificate-signature checks as the
//     probe made (none in a steady state: the engine remembers verified chain signatures per
//     provider; issuer keys parsed once, as a config built once holds them);
//   - transcript: each side hashes exactly the bytes its real transcript hashed, with a
//     digest at each point the protocol needs one: TLS 1.3 client 4 (..ServerHello,
//     ..Certificate, ..CertificateVerify, ..server Finished; +1, ..client Finished, when it
//     keeps sessions), server 4 (+1 when it issues tickets); TLS 1.2 2 per side (session
//     hash, which the client Finished shares without client authentication, and the server
//     Finished); in every case as many as the probe's side took;
//   - key schedule, each side: TLS 1.3 (RFC 9846 §7.1) Handshake and Main Secret, both
//     handshake and application traffic secrets, the exporter secret, a key and an IV per
//     traffic secret, both finished keys and their HMACs; the resumption secret and one
//     resumption PSK per ticket on the side that needs them (the server per ticket it
//     issues; the client only if it keeps sessions). The Early Secret without a PSK and its
//     "derived" salt are the same in every handshake and made once, outside the timed
//     operation, as the engine makes them once per provider. TLS 1.2: the PRF for the
//     extended master secret, the key block and both Finished;
//   - record protection: as many keyed AEADs as the probe made, every seal and open of the
//     probe with the same algorithm and plaintext size: the encrypted handshake records,
//     and the session tickets the server seals (AES-256-GCM under its ticket key, keyed
//     once per ticket key as the server's TicketKeySet does, so outside the timed part).
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

/** An empty tally of what one side asked of its provider and random source. */
function newTally() {
  return { random: [], hashBytes: 0, digests: 0, hkdfExpand: 0, hkdfExtract: 0, hmac: 0, aeads: [], seals: [], opens: [], keyShares: [], agrees: 0, sign: 0, verify: 0, parsePublicKey: 0 };
}

/**
 * A counting wrapper of provider `P` and of the random source `random`: every call is
 * passed through and tallied in `tally` (see {@link newTally}) while `tally.on` is true.
 */
export function countingCrypto(P, random) {
  const tally = newTally();
  tally.on = true;
  const count = (f) => (tally.on ? f() : undefined);
  const wrapHash = (h) => ({
    update: (d) => {
      count(() => (tally.hashBytes += d.length));
      h.update(d);
    },
    digest: () => {
      count(() => tally.digests++);
      return h.digest();
    },
    clone: () => wrapHash(h.clone()),
  });
  const wrapShare = (share) => ({
    group: share.group,
    publicKey: share.publicKey,
    agree: (peer) => {
      count(() => tally.agrees++);
      return share.agree(peer);
    },
  });
  const provider = {
    ...P,
    hash: (alg) => wrapHash(P.hash(alg)),
    hkdfExpand: (...a) => (count(() => tally.hkdfExpand++), P.hkdfExpand(...a)),
    hkdfExtract: (...a) => (count(() => tally.hkdfExtract++), P.hkdfExtract(...a)),
    hmac: (...a) => (count(() => tally.hmac++), P.hmac(...a)),
    sign: (...a) => (count(() => tally.sign++), P.sign(...a)),
    verify: (...a) => (count(() => tally.verify++), P.verify(...a)),
    parsePublicKey: (...a) => (count(() => tally.parsePublicKey++), P.parsePublicKey(...a)),
    generateKeyShare: (group, r) => (count(() => tally.keyShares.push(group)), wrapShare(P.generateKeyShare(group, r))),
    keyShare: (group, k) => (count(() => tally.keyShares.push(group)), wrapShare(P.keyShare(group, k))),
    aead: (alg, key) => {
      count(() => tally.aeads.push(alg));
      const c = P.aead(alg, key);
      // Only seal/open: the engine then takes the plain path (no in-place or joined sealing),
      // which does the same AES-GCM work.
      return {
        alg: c.alg,
        seal: (n, aad, pt) => (count(() => tally.seals.push({ alg, length: pt.length })), c.seal(n, aad, pt)),
        open: (n, aad, ct) => (count(() => tally.opens.push({ alg, length: ct.length - 16 })), c.open(n, aad, ct)),
      };
    },
  };
  const countingRandom = (n) => (count(() => tally.random.push(n)), random(n));
  return { provider, random: countingRandom, tally };
}

/**
 * What one steady-state handshake asks of the crypto, per side: makes a client and a server
 * config each on its own {@link countingCrypto} wrapper, runs `handshake(clientOptions,
 * serverOptions)` twice (the first fills the caches a long-lived config has: remembered
 * chain signatures, the ticket key and its cipher) and returns the tallies of the second.
 *
 * @param handshake - `async (clientExtra, serverExtra) => void`: one full handshake with
 *   `{ crypto, random }` merged into each side's options
 */
export async function probeCrypto(P, random, handshake) {
  const c = countingCrypto(P, random);
  const s = countingCrypto(P, random);
  const run = handshake({ crypto: c.provider, random: c.random }, { crypto: s.provider, random: s.random });
  await run();
  for (const t of [c.tally, s.tally]) Object.assign(t, newTally());
  await run();
  c.tally.on = false;
  s.tally.on = false;
  return { client: c.tally, server: s.tally };
}

/**
 * A provider whose every primitive costs nothing (constant bytes at once; verification always
 * succeeds), for measuring what the protocol code alone costs (bench/floorcheck.mjs
 * `protocol only`). It negotiates and completes handshakes between two puretls ends only,
 * and secures nothing: never use it outside a benchmark.
 */
export function nullCrypto(P) {
  const HL = { sha256: 32, sha384: 48, sha512: 64 };
  const state = (alg) => ({ update() {}, digest: () => new Uint8Array(HL[alg]), clone: () => state(alg) });
  const pub = new Uint8Array(32).fill(9);
  const share = (group) => ({ group, publicKey: pub, agree: () => new Uint8Array(32).fill(1) });
  // Key parsing is crypto too (a point decoded and checked): each distinct SPKI is parsed once
  // by `P`, so that a key the engine parses per handshake does not count as protocol code.
  const keys = new Map();
  const parsePublicKey = (spki) => {
    const id = Buffer.from(spki).toString('hex');
    let k = keys.get(id);
    if (k === undefined) keys.set(id, (k = P.parsePublicKey(spki)));
    return k;
  };
  return {
    ...P,
    parsePublicKey,
    name: 'null (benchmark only)',
    hash: state,
    digest: (alg) => new Uint8Array(HL[alg]),
    hmac: (alg) => new Uint8Array(HL[alg]),
    hkdfExtract: (alg) => new Uint8Array(HL[alg]),
    hkdfExpand: (_alg, _prk, _info, n) => new Uint8Array(n),
    aead: (alg) => ({
      alg,
      seal: (_n, _a, pt) => {
        const out = new Uint8Array(pt.length + 16);
        out.set(pt);
        return out;
      },
      open: (_n, _a, ct) => ct.slice(0, ct.length - 16),
    }),
    generateKeyShare: (group) => share(group),
    keyShare: (group) => share(group),
    sign: () => new Uint8Array(64),
    verify: () => true,
  };
}

// ------------------------------------------------------------------ key schedules

function expandLabel(P, alg, secret, label, context, length) {
  const l = enc(`tls13 ${label}`);
  const info = concat(new Uint8Array([length >> 8, length & 0xff, l.length]), l, new Uint8Array([context.length]), context);
  return P.hkdfExpand(alg, secret, info, length);
}

/** The no-PSK Early Secret's "derived" salt (RFC 9846 §7.1): the same in every handshake. */
function earlyDerived(P) {
  const zeros = new Uint8Array(32);
  const early = P.hkdfExtract('sha256', zeros, zeros);
  return expandLabel(P, 'sha256', early, 'derived', P.digest('sha256', new Uint8Array(0)), 32);
}

/**
 * One side's TLS 1.3 key schedule (RFC 9846 §7.1) given its transcript digests
 * `th` = [..ServerHello, ..CertificateVerify-1, ..server Finished, ..client Finished]
 * and the number of resumption PSKs it derives (0: no resumption secret either).
 */
function schedule13(P, k, shared, th, keyLen, psks) {
  const alg = 'sha256';
  const hl = 32;
  const hs = P.hkdfExtract(alg, k.earlyDerived, shared);
  const chs = expandLabel(P, alg, hs, 'c hs traffic', th[0], hl);
  const shs = expandLabel(P, alg, hs, 's hs traffic', th[0], hl);
  const ms = P.hkdfExtract(alg, expandLabel(P, alg, hs, 'derived', k.empty, hl), k.zeros);
  const cap = expandLabel(P, alg, ms, 'c ap traffic', th[2], hl);
  const sap = expandLabel(P, alg, ms, 's ap traffic', th[2], hl);
  expandLabel(P, alg, ms, 'exp master', th[2], hl);
  if (psks > 0) {
    const res = expandLabel(P, alg, ms, 'res master', th[3], hl);
    for (let i = 0; i < psks; i++) expandLabel(P, alg, res, 'resumption', new Uint8Array([i]), hl);
  }
  const keys = [];
  for (const s of [chs, shs, cap, sap]) keys.push({ key: expandLabel(P, alg, s, 'key', k.none, keyLen), iv: expandLabel(P, alg, s, 'iv', k.none, 12) });
  P.hmac(alg, expandLabel(P, alg, shs, 'finished', k.none, hl), th[1]);
  P.hmac(alg, expandLabel(P, alg, chs, 'finished', k.none, hl), th[2]);
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
function schedule12(P, _k, shared, th, keyLen) {
  const master = prf(P, shared, 'extended master secret', th[0], 48);
  const block = prf(P, master, 'key expansion', new Uint8Array(64), 2 * keyLen + 8);
  prf(P, master, 'client finished', th[1], 12);
  prf(P, master, 'server finished', th[2], 12);
  return [
    { key: block.subarray(0, keyLen), iv: new Uint8Array(12) },
    { key: block.subarray(keyLen, 2 * keyLen), iv: new Uint8Array(12) },
  ];
}

/** One side's transcript: `bytes` hashed in `points` parts, a digest after each (of a copy, but the last). */
function transcript(P, bytes, points) {
  const h = P.hash('sha256');
  const q = Math.floor(bytes.length / points);
  const th = [];
  for (let i = 0; i < points; i++) {
    h.update(bytes.subarray(i * q, i === points - 1 ? bytes.length : (i + 1) * q));
    th.push(i === points - 1 ? h.digest() : h.clone().digest());
  }
  while (th.length < 4) th.push(th[th.length - 1]);
  return th;
}

// ------------------------------------------------------------------ the floor

const CV_CONTEXT = concat(new Uint8Array(64).fill(0x20), enc('TLS 1.3, server CertificateVerify'), new Uint8Array(1));

/**
 * Digest points of one side's transcript: as many as that side of the probe took (see the
 * module comment; TLS 1.2: the engine takes 2 per side, the Finished MACs reusing a digest
 * taken at the same point, so a fixed 3 per side counted 2 digests per handshake too many).
 */
function digestPoints(t) {
  if (t.digests < 1) throw new Error('floor: the probe took no transcript digest');
  return t.digests;
}

/** `all` without one occurrence of each element of `taken` (a multiset difference of sizes). */
function without(all, taken) {
  const left = [...all];
  for (const n of taken) {
    const i = left.indexOf(n);
    if (i >= 0) left.splice(i, 1);
  }
  return left;
}

/**
 * One handshake's worth of crypto (see the module comment), as an async function (made
 * after one untimed run that learns which random requests the primitives make themselves).
 *
 * @param P - the provider (the pure one)
 * @param spec - `{ tls13, serverKey (parsed), scheme, leafSpki, chain: [{ issuerKey (parsed),
 *   scheme, tbs, signature }], tallies: { client, server } (from probeCrypto), tickets: the
 *   number the server issues, clientKeepsSessions, random }`
 */
export async function makeFloor(P, spec) {
  const { tls13, serverKey, scheme, leafSpki, chain, random, tallies } = spec;
  const keyLen = 16;
  const aad = new Uint8Array(5);
  const sigOpts = tls13 ? undefined : { tls12: true };
  const k = { zeros: new Uint8Array(32), none: new Uint8Array(0), empty: P.digest('sha256', new Uint8Array(0)), earlyDerived: tls13 ? earlyDerived(P) : null };
  // Ticket sealing: one key per server config, keyed once (as TicketKeySet keeps its cipher).
  const ticketAead = P.aead('AES-256-GCM', random(32));
  // Records are opened by a cipher keyed in the timed part with this key (the ciphertexts
  // must exist beforehand); the other keyed ciphers take the derived traffic keys.
  const openKey = random(keyLen);
  const opener = P.aead('AES-128-GCM', openKey);
  const nonce0 = new Uint8Array(12);
  const sides = ['client', 'server'].map((name) => {
    const t = tallies[name];
    const psks = tls13 ? (name === 'server' ? spec.tickets : spec.clientKeepsSessions ? spec.tickets : 0) : 0;
    const group = t.keyShares[0];
    if (group === undefined) throw new Error(`floor: the ${name} made no key share`);
    return {
      name,
      t,
      psks,
      group,
      bytes: random(t.hashBytes),
      points: digestPoints(t),
      // Plaintexts of this side's seals; ciphertexts of its opens, sealed beforehand under
      // `openKey` (records) or the ticket key (tickets).
      seals: t.seals.map((x) => ({ alg: x.alg, pt: random(x.length) })),
      opens: t.opens.map((x) => ({ alg: x.alg, ct: (x.alg === 'AES-256-GCM' ? ticketAead : opener).seal(nonce0, aad, random(x.length)) })),
    };
  });
  const aeadCount = tallies.client.aeads.length + tallies.server.aeads.length;
  if (aeadCount < 2) throw new Error('floor: the probe made fewer than two keyed AEADs');
  // Randomness: the key-share scalars and the signature's hedge or salt are drawn by the
  // primitives below, as in the engine; what else the probe's sides drew (randoms, session
  // ID, ticket nonces ...) is replayed. The sizes the primitives draw are learnt in one
  // untimed run (`own`), and replayed requests are the probe's minus those: every request
  // once, not the primitives' twice (the replay of all requests plus the primitives' own
  // drew 3 requests per ECDSA handshake, 6 per RSA one, too many).
  let own = null;
  const draw = (n) => {
    own?.push(n);
    return random(n);
  };
  let replay = [];
  // The leaf key, parsed in the timed part as often as the probe's sides parsed keys.
  const keyParses = tallies.client.parsePublicKey + tallies.server.parsePublicKey;
  const leafKey = P.parsePublicKey(leafSpki);
  // TLS 1.2 ServerKeyExchange params: client and server random (drawn already, replayed) ‖ curve ‖ point.
  const randoms12 = random(64);
  const op = async () => {
    for (const n of replay) random(n);
    const [c, s] = sides;
    const cs = await P.keyShare(c.group, draw(P.keySharePrivateLength(c.group)));
    const ss = await P.keyShare(s.group, draw(P.keySharePrivateLength(s.group)));
    for (let i = 1; i < c.t.keyShares.length; i++) await P.keyShare(c.t.keyShares[i], draw(P.keySharePrivateLength(c.t.keyShares[i])));
    const zs = await ss.agree(cs.publicKey);
    const zc = await cs.agree(ss.publicKey);
    const ths = transcript(P, s.bytes, s.points);
    const thc = transcript(P, c.bytes, c.points);
    const signed = tls13 ? concat(CV_CONTEXT, ths[1]) : concat(randoms12, new Uint8Array([3, 0, 0x1d, 32]), ss.publicKey);
    const sig = await P.sign(serverKey, scheme, signed, draw, sigOpts);
    let leaf = leafKey;
    for (let i = 0; i < keyParses; i++) leaf = P.parsePublicKey(leafSpki);
    if (!(await P.verify(leaf, scheme, signed, sig, sigOpts))) throw new Error('floor: handshake signature did not verify');
    for (const x of chain) if (!(await P.verify(x.issuerKey, x.scheme, x.tbs, x.signature, { tls12: true }))) throw new Error('floor: certificate signature did not verify');
    const schedule = tls13 ? schedule13 : schedule12;
    const kc = schedule(P, k, zc, thc, keyLen, c.psks);
    const ks = schedule(P, k, zs, ths, keyLen, s.psks);
    // Keyed AEADs in pairs per traffic key (one side's sealer, the other's opener), as many
    // as the real handshake made; records go through the first pair, tickets through the
    // ticket key's cipher.
    const aeads = [await P.aead('AES-128-GCM', openKey)];
    for (let i = 1; i < aeadCount; i++) aeads.push(await P.aead('AES-128-GCM', (i & 1 ? kc : ks)[(i >> 1) % ks.length].key));
    for (const side of sides) {
      for (const x of side.seals) await (x.alg === 'AES-256-GCM' ? ticketAead : aeads[1]).seal(kc[0].iv, aad, x.pt);
      for (const x of side.opens) if (!(await (x.alg === 'AES-256-GCM' ? ticketAead : aeads[0]).open(nonce0, aad, x.ct))) throw new Error('floor: AEAD open failed');
    }
  };
  own = [];
  await op();
  replay = without([...tallies.client.random, ...tallies.server.random], own);
  own = null;
  return op;
}
