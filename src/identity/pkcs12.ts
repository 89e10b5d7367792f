/**
 * PKCS#12 (`.p12` / `.pfx`, RFC 7292) in password integrity and privacy modes: what
 * `openssl pkcs12 -export` writes (PBES2 / PBKDF2-HMAC-SHA-256 / AES-256-CBC bags and an
 * HMAC-SHA-256 MAC), its `-legacy` output (pbeWithSHAAnd3-KeyTripleDES-CBC key bag,
 * pbeWithSHAAnd40BitRC2-CBC certificate bags, HMAC-SHA-1 MAC), GnuTLS's `certtool --to-p12`
 * and the same structures from other tools.
 *
 * Order of checks: the whole structure is read first (a malformed file is `IdentityCorrupt`
 * whatever the password), then the MAC (RFC 7292 §5.1: password integrity mode; one that does
 * not verify is `WrongPassphrase`: keyed by the password, it cannot tell a wrong password from
 * an altered file), then the encrypted parts are decrypted. Public-key integrity and privacy
 * modes (signedData, envelopedData) are `IdentityAlgorithmUnavailable`. Sizes and counts are
 * bounded and every key derivation is charged to one {@link KdfBudget} per file.
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { DerTag, berToDer, contextTag, type DerReader } from '../crypto/der.js';
import { concatBytes, copyBytes } from '../base/bytes.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { parseCertificate } from '../verify/x509.js';
import { type Password, identityReader, pbeDecrypt } from './pbe.js';
import { decryptPkcs8 } from './pkcs8.js';
import { type IdentityHash, KdfBudget, bmpPassword, hashFunction, hashLength, hmac, pkcs12Derive, sameBytes, utf8Password } from './primitives.js';

/** One identity found in a PKCS#12 file. */
export interface Pkcs12Identity {
  /** DER certificates: the one matching the key first, then its issuers found in the file, in order. */
  readonly chain: readonly Uint8Array[];
  /** The private key, DER PrivateKeyInfo (RFC 5958). */
  readonly key: Uint8Array;
}

/** What {@link decodePkcs12} found. */
export interface Pkcs12Contents {
  /** Every private key that has its certificate in the file, in file order. */
  readonly identities: readonly Pkcs12Identity[];
  /** Every certificate in the file, DER, in file order. */
  readonly certificates: readonly Uint8Array[];
}

/** Largest PKCS#12 input accepted. */
export const MAX_PKCS12_SIZE = 1 << 20;
/** Most bags of all kinds in one file. */
const MAX_BAGS = 64;
/** Most nesting of safeContentsBag. */
const MAX_NESTING = 4;

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  pbmac1: '1.2.840.113549.1.5.14',
} as const;

/** MAC digest OIDs (RFC 7292 §4 DigestInfo; NIST / OIW hash OIDs). */
const MAC_HASHES: Readonly<Record<string, IdentityHash>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** An encrypted part, read but not yet decrypted. */
interface EncryptedPart {
  readonly alg: Uint8Array;
  readonly data: Uint8Array;
}

/** A bag as read from a SafeContents. */
type Bag =
  | { readonly kind: 'key'; readonly der: Uint8Array; readonly keyId: Uint8Array | null }
  | { readonly kind: 'shrouded'; readonly der: Uint8Array; readonly keyId: Uint8Array | null }
  | { readonly kind: 'cert'; readonly der: Uint8Array; readonly keyId: Uint8Array | null };

/**
 * Decodes a PKCS#12 file: checks its MAC with `passphrase`, decrypts its bags, and pairs each
 * private key with its certificate (by `localKeyId`, else by public key) and that
 * certificate's issuers present in the file.
 *
 * A file written without a password (`-passout pass:`) opens with `passphrase` undefined or
 * `''`: both RFC 7292 readings of "no password" (an empty BMPString with or without its
 * terminating zero) are tried, as OpenSSL does.
 *
 * @param input - the DER file
 * @param passphrase - the password
 * @param crypto - provider used to match keys to certificates, and to choose native ciphers
 * @throws TlsError('IdentityCorrupt') for a malformed or oversized file
 * @throws TlsError('WrongPassphrase') when the MAC does not verify or a part does not decrypt
 * @throws TlsError('IdentityAlgorithmUnavailable') for an algorithm not available here (named)
 * @throws TlsError('IdentityWorkLimit') for key-derivation costs above the limits
 */
export function decodePkcs12(input: Uint8Array, passphrase: string | undefined, crypto: CryptoProvider): Pkcs12Contents {
  if (input.length > MAX_PKCS12_SIZE) throw new TlsError('IdentityCorrupt', { detail: `PKCS#12: larger than ${MAX_PKCS12_SIZE} bytes` });
  const what = 'PKCS#12';
  // Files from NSS, Windows and Java may be BER (indefinite lengths, constructed OCTET
  // STRINGs, RFC 7292 §4 allows it): normalized first; DER comes back unchanged. The MAC is
  // over the authSafe content octets, which normalizing does not change (X.690 §8.7.3).
  const der = berToDer(input, 'IdentityCorrupt');
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  const top = identityReader(der, what);
  const pfx = top.sequence();
  top.end();
  if (pfx.smallInteger() !== 3) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: version must be 3' });
  const authSafe = pfx.sequence();
  const authType = authSafe.oid();
  if (authType === OID.signedData) throw new TlsError('IdentityAlgorithmUnavailable', { detail: 'PKCS#12: public-key integrity mode (signedData) is not supported' });
  if (authType !== OID.data) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: authSafe is not data' });
  const authContent = explicitOctetString(authSafe);
  authSafe.end();
  const macData = pfx.done ? null : pfx.sequence();
  pfx.end();

  // AuthenticatedSafe ::= SEQUENCE OF ContentInfo — read whole before any password is used.
  const plainParts: Uint8Array[] = [];
  const encryptedParts: EncryptedPart[] = [];
  const asr = identityReader(authContent, what);
  const list = asr.sequence();
  asr.end();
  while (!list.done) {
    if (plainParts.length + encryptedParts.length >= MAX_BAGS) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: too many parts' });
    const ci = list.sequence();
    const type = ci.oid();
    if (type === OID.data) {
      plainParts.push(explicitOctetString(ci));
    } else if (type === OID.encryptedData) {
      // EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo } (RFC 5652 §8)
      const wrap = ci.sub(ci.expect(contextTag(0), '[0]').value);
      const ed = wrap.sequence();
      wrap.end();
      ed.smallInteger();
      // EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }
      const eci = ed.sequence();
      if (eci.oid() !== OID.data) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: encrypted content is not data' });
      const alg = eci.expect(DerTag.SEQUENCE, 'AlgorithmIdentifier').value;
      // [0] IMPLICIT OCTET STRING: primitive, or (BER) constructed from OCTET STRING segments.
      let data: Uint8Array;
      const prim = eci.optional(0x80);
      if (prim) data = prim.value;
      else {
        const cons = eci.optional(contextTag(0));
        if (!cons) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: encrypted content absent' });
        const segs = eci.sub(cons.value);
        const parts: Uint8Array[] = [];
        while (!segs.done) parts.push(segs.octetString());
        data = concatBytes(parts);
      }
      eci.end();
      // Unprotected attributes [1] may follow (RFC 5652 §8); ignored.
      ed.optional(contextTag(1));
      ed.end();
      encryptedParts.push({ alg, data });
    } else if (type === OID.envelopedData) {
      throw new TlsError('IdentityAlgorithmUnavailable', { detail: 'PKCS#12: public-key privacy mode (envelopedData) is not supported' });
    } else {
      throw new TlsError('IdentityCorrupt', { detail: `PKCS#12: unexpected content type ${type}` });
    }
    ci.end();
  }

  const budget = new KdfBudget();
  // Which "no password" reading opened the MAC decides the one used for the bags.
  const candidates: (string | undefined)[] = passphrase === undefined || passphrase === '' ? [undefined, ''] : [passphrase];
  let chosen: string | undefined = candidates[0];
  if (macData) chosen = verifyMac(macData, authContent, candidates, budget);
  const password: Password = { utf8: utf8Password(chosen), bmp: bmpPassword(chosen) };
  const cx = { crypto, budget };

  const bags: Bag[] = [];
  for (const p of plainParts) readSafeContents(p, bags, 0);
  for (const e of encryptedParts) {
    const plain = pbeDecrypt(identityReader(e.alg, what), e.data, password, cx, 'PKCS#12 encrypted part');
    try {
      readSafeContents(plain, bags, 0);
    } catch (err) {
      // Without a MAC (or with another password for it) a wrong password shows here.
      if (err instanceof TlsError && err.status === 'IdentityCorrupt' && !macData) {
        throw new TlsError('WrongPassphrase', { detail: 'PKCS#12 encrypted part: decryption failed (wrong passphrase, or the file was altered)' });
      }
      throw err;
    }
  }

  const certificates = bags.filter((b) => b.kind === 'cert').map((b) => copyBytes(b.der));
  const certBags = bags.filter((b) => b.kind === 'cert');
  const identities: Pkcs12Identity[] = [];
  for (const b of bags) {
    if (b.kind === 'cert') continue;
    const key = b.kind === 'key' ? copyBytes(b.der) : decryptPkcs8(b.der, password, cx, 'PKCS#12 shrouded key bag');
    const leaf = findLeaf(key, b.keyId, certBags, crypto);
    if (leaf === null) continue;
    identities.push({ chain: buildChain(leaf, certificates), key });
  }
  return { identities, certificates };
}

/** `[0] EXPLICIT OCTET STRING` of a ContentInfo whose type is data. */
function explicitOctetString(ci: DerReader): Uint8Array {
  const wrap = ci.sub(ci.expect(contextTag(0), '[0] content').value);
  const v = wrap.octetString();
  wrap.end();
  return v;
}

/**
 * RFC 7292 §5.1: MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 };
 * the key is the Appendix B derivation with ID 3, the MAC an HMAC over the authSafe content.
 * Returns the candidate password that verifies.
 */
function verifyMac(mac: DerReader, content: Uint8Array, candidates: readonly (string | undefined)[], budget: KdfBudget): string | undefined {
  const di = mac.sequence();
  const alg = di.sequence();
  const algOid = alg.oid();
  if (!alg.done) alg.null();
  alg.end();
  const expected = di.octetString();
  di.end();
  const salt = mac.octetString();
  const iterations = mac.done ? 1 : mac.smallInteger();
  mac.end();
  if (algOid === OID.pbmac1) throw new TlsError('IdentityAlgorithmUnavailable', { detail: 'PKCS#12: PBMAC1 (RFC 9579) MAC is not supported' });
  const hash = MAC_HASHES[algOid];
  if (!hash) throw new TlsError('IdentityAlgorithmUnavailable', { detail: `PKCS#12: MAC digest ${algOid} is not supported` });
  if (expected.length !== hashLength(hash)) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: MAC has the wrong length' });
  for (const c of candidates) {
    const key = pkcs12Derive(hash, 3, bmpPassword(c), salt, iterations, hashLength(hash), budget);
    const got = hmac(hashFunction(hash), key, content);
    key.fill(0);
    if (sameBytes(got, expected)) return c;
  }
  throw new TlsError('WrongPassphrase', { detail: 'PKCS#12: MAC verification failed (wrong passphrase, or the file was altered)' });
}

/** SafeContents ::= SEQUENCE OF SafeBag (RFC 7292 §4.2). */
function readSafeContents(der: Uint8Array, out: Bag[], depth: number): void {
  const r = identityReader(der, 'PKCS#12 SafeContents');
  const list = r.sequence();
  r.end();
  while (!list.done) {
    if (out.length >= MAX_BAGS) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: too many bags' });
    // SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OF PKCS12Attribute OPTIONAL }
    const bag = list.sequence();
    const id = bag.oid();
    const value = bag.sub(bag.expect(contextTag(0), '[0] bagValue').value);
    const attrs = bag.optional(DerTag.SET);
    bag.end();
    const keyId = attrs ? localKeyId(bag.sub(attrs.value)) : null;
    switch (id) {
      case OID.keyBag:
      case OID.shroudedKeyBag: {
        const el = value.expect(DerTag.SEQUENCE, 'key');
        value.end();
        out.push({ kind: id === OID.keyBag ? 'key' : 'shrouded', der: el.raw, keyId });
        break;
      }
      case OID.certBag: {
        // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT OCTET STRING }
        const cb = value.sequence();
        value.end();
        const certType = cb.oid();
        const cv = cb.sub(cb.expect(contextTag(0), '[0] certValue').value);
        cb.end();
        const cert = cv.octetString();
        cv.end();
        if (certType === OID.x509Certificate) out.push({ kind: 'cert', der: cert, keyId });
        break;
      }
      case OID.safeContentsBag: {
        if (depth >= MAX_NESTING) throw new TlsError('IdentityCorrupt', { detail: 'PKCS#12: safeContentsBag nested too deep' });
        const el = value.expect(DerTag.SEQUENCE, 'SafeContents');
        value.end();
        readSafeContents(el.raw, out, depth + 1);
        break;
      }
      default:
        // crlBag, secretBag and unknown bags carry nothing an identity needs.
        break;
    }
  }
}

/** The localKeyId attribute (PKCS #9, 1.2.840.113549.1.9.21) from bagAttributes, if any. */
function localKeyId(set: DerReader): Uint8Array | null {
  let found: Uint8Array | null = null;
  while (!set.done) {
    // PKCS12Attribute ::= SEQUENCE { attrId OID, attrValues SET OF ANY }
    const a = set.sequence();
    const oid = a.oid();
    const values = a.sub(a.expect(DerTag.SET, 'SET').value);
    a.end();
    if (oid === OID.localKeyId && !values.done) found = values.octetString();
  }
  return found;
}

/** The certificate of `key`: the one with the same localKeyId if any, else the one whose public key matches. */
function findLeaf(key: Uint8Array, keyId: Uint8Array | null, certs: readonly Bag[], crypto: CryptoProvider): Uint8Array | null {
  if (keyId !== null) {
    const c = certs.find((b) => b.keyId !== null && sameBytes(b.keyId, keyId));
    if (c) return c.der;
  }
  let pub;
  try {
    pub = crypto.parsePrivateKey(key).publicKey;
  } catch (e) {
    throw new TlsError('InvalidConfig', { detail: `PKCS#12: the private key cannot be used: ${e instanceof TlsError ? (e.detail ?? e.status) : 'unreadable'}` });
  }
  for (const c of certs) {
    try {
      const spki = parseCertificate(c.der).spki;
      if (crypto.equal(spki, pub.spki)) return c.der;
    } catch {
      // A certificate that does not parse cannot be this key's; the leaf is checked again when loaded.
    }
  }
  return null;
}

/** `leaf`, then each certificate's issuer among `pool` while one is found (no repeats, bounded by the pool). */
function buildChain(leaf: Uint8Array, pool: readonly Uint8Array[]): Uint8Array[] {
  const chain = [copyBytes(leaf)];
  const used = new Set<number>();
  let current = safeParse(leaf);
  while (current !== null && current.subject !== current.issuer) {
    const issuer = current.issuer;
    const i = pool.findIndex((d, k) => !used.has(k) && !sameBytes(d, chain[chain.length - 1]!) && safeParse(d)?.subject === issuer);
    if (i < 0) break;
    used.add(i);
    chain.push(copyBytes(pool[i]!));
    current = safeParse(pool[i]!);
  }
  return chain;
}

function safeParse(der: Uint8Array): { subject: string; issuer: string } | null {
  try {
    const c = parseCertificate(der);
    return { subject: c.subject, issuer: c.issuer };
  } catch {
    return null;
  }
}
