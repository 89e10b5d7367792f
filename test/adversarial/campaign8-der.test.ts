/**
 * Campaign 8 (hostile certificates), part 4: DER mutations of real certificates.
 *
 * - Signed BER: a leaf whose tbsCertificate is re-encoded with one BER-only form at a
 *   random place (a non-minimal long-form length, an indefinite length, a constructed
 *   string, a padded INTEGER, a BOOLEAN TRUE that is not 0xFF), then signed properly by
 *   its issuer. The signature verifies over those bytes; X.509 requires DER (RFC 5280
 *   §4.1.1.3 signs the DER encoding), and two parsers that read BER differently see two
 *   certificates. Every such leaf must be refused. OpenSSL verifies the signature over the
 *   bytes as received and accepts many of them (reported, not asserted).
 * - Unsigned damage: random byte edits of a good leaf (outside and inside the TBS) are
 *   never accepted and never throw.
 * - Signature algorithm identifiers: outer ≠ inner in every small way, PSS parameter
 *   oddities, ECDSA signature encodings.
 * - Validity encodings: UTCTime/GeneralizedTime boundaries (1950, 2049/2050), leap
 *   seconds, fractions, offsets, missing seconds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DerReader, DerTag, derBitString, derNull, derOid, derSequence, derTlv, derUnsignedInteger } from '../../src/crypto/der.js';
import { verifyCertificateChain } from '../../src/verify/chain.js';
import { Oid, issue, key } from '../verify/builder.js';
import { OPENSSL_VERSION, opensslVerify } from '../verify/openssl.js';
import { LEAF_V, T, ascii, ca, encodeTlv, nodesOf, parseTlv, signTbs, splitCertificate, tbsElements, type Tlv } from './campaign8-pki.js';

const codes = (e: readonly { code: string; index: number }[]) => e.map((x) => `${x.code}@${x.index}`).sort();
const root = ca('CN=DER Root');
const rsaRoot = ca('CN=DER RSA Root', undefined, { key: key('rsa2048', 1) });
const leaf = issue({
  subject: 'O=Campaign 8, CN=www.example.test',
  issuer: root,
  san: [{ dns: 'www.example.test' }, { ip: '192.0.2.1' }],
  ...LEAF_V,
});

async function ours(der: Uint8Array, anchor = root, serverName: string | undefined = 'www.example.test') {
  return verifyCertificateChain({ leaf: der, trustAnchors: [anchor.der], serverName, time: T });
}

type Ber = 'long' | 'indefinite' | 'constructed' | 'pad' | 'bool01';
/** Applies one BER-only form to node `i` of the TBS tree (false if it does not apply there). */
function berify(tree: Tlv, i: number, kind: Ber): boolean {
  const n = nodesOf(tree)[i]!;
  switch (kind) {
    case 'long':
      n.lengthForm = { kind: 'long', octets: 0 };
      return true;
    case 'indefinite':
      if (!n.children) return false;
      n.lengthForm = { kind: 'indefinite' };
      return true;
    case 'constructed':
      if (n.tag !== DerTag.OCTET_STRING && n.tag !== DerTag.UTF8_STRING && n.tag !== 0x13 && n.tag !== 0x16) return false;
      n.children = [{ tag: n.tag, value: n.encapsulated ? encodeTlv(n.encapsulated) : n.value! }];
      n.tag |= 0x20;
      delete n.encapsulated;
      return true;
    case 'pad':
      if (n.tag !== DerTag.INTEGER || !n.value) return false;
      n.value = Uint8Array.of(n.value[0]! & 0x80 ? 0xff : 0x00, ...n.value);
      return true;
    case 'bool01':
      if (n.tag !== DerTag.BOOLEAN) return false;
      n.value = Uint8Array.of(0x01);
      return true;
  }
}

describe('a leaf whose signed tbsCertificate holds one BER-only encoding', () => {
  const tbs = splitCertificate(leaf.der).tbs;
  const count = nodesOf(parseTlv(tbs)).length;

  it('control: the tree round-trips to the same bytes, and the re-signed leaf is clean', async () => {
    expect(encodeTlv(parseTlv(tbs))).toEqual(tbs);
    expect(codes((await ours(signTbs(tbs, root))).errors)).toEqual([]);
  });

  it(`is refused wherever the form is (every one of ${count} nodes × 5 forms), never thrown; OpenSSL's verdicts are counted`, async () => {
    const accepted: string[] = [];
    let tried = 0;
    let opensslAccepted = 0;
    const sample: string[] = [];
    for (let i = 0; i < count; i++) {
      for (const kind of ['long', 'indefinite', 'constructed', 'pad', 'bool01'] as const) {
        const tree = parseTlv(tbs);
        if (!berify(tree, i, kind)) continue;
        tried++;
        const der = signTbs(encodeTlv(tree), root, { alg: splitCertificate(leaf.der).alg });
        const r = await ours(der);
        if (r.errors.length === 0) accepted.push(`${kind}@node${i}`);
        // OpenSSL on a sample (it is slow to spawn): one node in four.
        if (OPENSSL_VERSION !== null && i % 4 === 0) {
          const o = opensslVerify({ leaf: der, intermediates: [], anchors: [root.der], serverName: 'www.example.test', time: T, usage: 'serverAuth' });
          if (o.ok) {
            opensslAccepted++;
            if (sample.length < 6) sample.push(`${kind}@node${i}`);
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(count);
    expect(accepted, 'signed BER accepted').toEqual([]);
    // Informational: OpenSSL accepts signed BER in many places (status-adversary8.md).
    console.info(`campaign8-der: ${tried} signed BER leaves, all refused by puretls; OpenSSL accepted ${opensslAccepted} of the sampled ones (e.g. ${sample.join(', ')})`);
  });
});

describe('random damage to a good leaf', () => {
  it('byte flips, insertions and deletions anywhere: never accepted, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), op: fc.constantFrom('flip', 'insert', 'delete', 'set'), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
        async (edits) => {
          let b = Array.from(leaf.der);
          for (const e of edits) {
            const at = e.at % b.length;
            if (e.op === 'flip') b[at] = b[at]! ^ (1 << (e.byte & 7));
            else if (e.op === 'insert') b.splice(at, 0, e.byte);
            else if (e.op === 'delete') b.splice(at, 1);
            else b[at] = e.byte;
          }
          const der = Uint8Array.from(b);
          if (der.length === leaf.der.length && der.every((x, i) => x === leaf.der[i])) return;
          const r = await ours(der);
          expect(r.errors.length, `accepted a damaged leaf: ${JSON.stringify(edits)}`).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bytes appended after the certificate, or a second certificate glued on: refused (OpenSSL reads the first and accepts)', async () => {
    for (const tail of [Uint8Array.of(0), Uint8Array.of(0, 0), leaf.der]) {
      const der = Uint8Array.from([...leaf.der, ...tail]);
      expect(codes((await ours(der)).errors)).toEqual(['OtherErrors@0']);
    }
  });
});

describe('signature algorithm identifiers and signature encodings', () => {
  const rsaLeaf = issue({ subject: 'CN=rsa', issuer: rsaRoot, san: [{ dns: 'www.example.test' }], ...LEAF_V });
  const { tbs: rsaTbs } = splitCertificate(rsaLeaf.der);
  /** The RSA leaf with its TBS signature algorithm replaced by `inner`, signed, outer `outer`. */
  const withAlgs = (inner: Uint8Array, outer: Uint8Array, opts: { hash?: string; pssSalt?: number } = {}) => {
    const els = tbsElements(rsaTbs);
    els[2] = inner;
    return signTbs(derSequence(...els), rsaRoot, { alg: outer, ...opts });
  };
  const pkcs1 = (oid: string, params?: Uint8Array) => derSequence(derOid(oid), ...(params ? [params] : []));
  const pss = (hash: string, mgfHash: string, salt: number, extra: Uint8Array[] = []) =>
    derSequence(derOid(Oid.rsassaPss), derSequence(derTlv(0xa0, derSequence(derOid(hash), derNull())), derTlv(0xa1, derSequence(derOid(Oid.mgf1), derSequence(derOid(mgfHash), derNull()))), derTlv(0xa2, derUnsignedInteger(BigInt(salt))), ...extra));

  it('outer and inner identical is fine; any difference (NULL vs absent, another hash, PSS salt) is OtherErrors, also when the outer one is what was signed with', async () => {
    const a = pkcs1(Oid.sha256WithRSAEncryption, derNull());
    expect(codes((await ours(withAlgs(a, a), rsaRoot)).errors)).toEqual([]);
    const absent = pkcs1(Oid.sha256WithRSAEncryption);
    expect(codes((await ours(withAlgs(absent, absent), rsaRoot)).errors)).toEqual([]); // RFC 4055 §5 says NULL; absent tolerated (documented)
    for (const [inner, outer, hash] of [
      [a, absent, 'sha256'],
      [absent, a, 'sha256'],
      [a, pkcs1(Oid.sha384WithRSAEncryption, derNull()), 'sha384'],
      [pkcs1(Oid.sha384WithRSAEncryption, derNull()), a, 'sha256'],
    ] as const) {
      expect(codes((await ours(withAlgs(inner, outer, { hash }), rsaRoot)).errors)).toEqual(['OtherErrors@0']);
    }
    const p32 = pss(Oid.sha256, Oid.sha256, 32);
    expect(codes((await ours(withAlgs(p32, pss(Oid.sha256, Oid.sha256, 20), { pssSalt: 32 }), rsaRoot)).errors)).toEqual(['OtherErrors@0']);
  });

  it('RSASSA-PSS: SHA-256/MGF1-SHA-256/salt 32 is fine; salt 0 or 64, another MGF1 hash, no parameters, trailerField 2 are refused (OtherErrors, not InvalidSignature)', async () => {
    expect(codes((await ours(withAlgs(pss(Oid.sha256, Oid.sha256, 32), pss(Oid.sha256, Oid.sha256, 32), { pssSalt: 32 }), rsaRoot)).errors)).toEqual([]);
    const bad: [string, Uint8Array, number][] = [
      ['salt 0', pss(Oid.sha256, Oid.sha256, 0), 0],
      ['salt 64', pss(Oid.sha256, Oid.sha256, 64), 64],
      ['MGF1 with SHA-384', pss(Oid.sha256, Oid.sha384, 32), 32],
      ['trailerField 2', pss(Oid.sha256, Oid.sha256, 32, [derTlv(0xa3, derUnsignedInteger(2n))]), 32],
      ['no parameters (SHA-1 defaults)', derSequence(derOid(Oid.rsassaPss)), 20],
    ];
    for (const [label, alg, salt] of bad) {
      const r = await ours(withAlgs(alg, alg, { pssSalt: salt, hash: label.startsWith('no parameters') ? 'sha1' : 'sha256' }), rsaRoot);
      expect(codes(r.errors), label).toEqual(['OtherErrors@0']);
    }
  });

  it('ECDSA: a signature re-encoded as BER (padded r, long-form length, trailing octet) → InvalidSignature; high-S is accepted (as OpenSSL does)', async () => {
    const { tbs, alg, sig } = splitCertificate(leaf.der);
    const inner = new DerReader(new DerReader(sig).bitString()).sequence();
    const r = inner.read();
    const s = inner.read();
    const variants = [
      derSequence(derTlv(DerTag.INTEGER, Uint8Array.of(0, ...r.value)), s.raw),
      Uint8Array.of(0x30, 0x81, r.raw.length + s.raw.length, ...r.raw, ...s.raw),
      Uint8Array.of(...derSequence(r.raw, s.raw), 0),
    ];
    for (const v of variants) expect(codes((await ours(derSequence(tbs, alg, derBitString(v)))).errors)).toEqual(['InvalidSignature@0']);
    // P-256 order n: s' = n - s is the other valid signature (ECDSA malleability; RFC 5280 does not forbid it).
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const sv = BigInt(`0x${Buffer.from(s.value).toString('hex')}`);
    const high = derSequence(r.raw, derUnsignedInteger(n - sv));
    expect(codes((await ours(derSequence(tbs, alg, derBitString(high)))).errors)).toEqual([]);
  });
});

describe('validity encodings (RFC 5280 §4.1.2.5)', () => {
  /** The leaf with its Validity replaced by raw Time elements, signed. */
  const withValidity = (notBefore: Uint8Array, notAfter: Uint8Array) => {
    const els = tbsElements(splitCertificate(leaf.der).tbs);
    els[4] = derSequence(notBefore, notAfter);
    return signTbs(derSequence(...els), root);
  };
  const utc = (s: string) => derTlv(0x17, ascii(s));
  const gen = (s: string) => derTlv(0x18, ascii(s));
  const NB = utc('260101000000Z');

  it('UTCTime 49 is 2049 and 50 is 1950; GeneralizedTime 2050 is 2050', async () => {
    expect(codes((await ours(withValidity(NB, utc('491231235959Z')))).errors)).toEqual([]);
    // "500101000000Z" is 1950: a certificate that expired 76 years ago, not one valid until 2050.
    expect(codes((await ours(withValidity(NB, utc('500101000000Z')))).errors)).toEqual(['Expired@0']);
    expect(codes((await ours(withValidity(NB, gen('20500101000000Z')))).errors)).toEqual([]);
  });

  for (const [label, t] of [
    ['a leap second (235960Z)', utc('261231235960Z')],
    ['no seconds', utc('2612312359Z')],
    ['a time-zone offset', utc('261231235959+0000')],
    ['a GeneralizedTime fraction', gen('20261231235959.5Z')],
    ['a GeneralizedTime without Z', gen('20261231235959')],
    ['February 30', utc('260230000000Z')],
    ['hour 24', utc('261231240000Z')],
  ] as const) {
    it(`notAfter with ${label}: the certificate cannot be read (OtherErrors), never valid by accident`, async () => {
      const r = await ours(withValidity(NB, t));
      expect(codes(r.errors)).toEqual(['OtherErrors@0']);
    });
  }

  it('notAfter before notBefore: Expired and NotYetValid at once (never valid)', async () => {
    const r = await ours(withValidity(utc('270101000000Z'), utc('250101000000Z')));
    expect(codes(r.errors)).toEqual(['Expired@0', 'NotYetValid@0']);
  });
});
