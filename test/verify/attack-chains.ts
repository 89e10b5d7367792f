/**
 * Hostile certificate chains for the verifier's work-budget tests (issue 7 item 2), built
 * with builder.ts. Test code only.
 */
import { derBitString, derOid, derSequence } from '../../src/crypto/der.js';
import { ext, issue, key, type Issued, type TestKey } from './builder.js';

export interface AttackChain {
  readonly anchor: Issued;
  /** The Certificate message as sent: leaf first. */
  readonly certificates: readonly Uint8Array[];
  /** Total DER bytes of `certificates`. */
  readonly size: number;
}

/**
 * The CPU-exhaustion chain of issue 7 item 2: one Certificate message of about 28 KB.
 *
 * - a leaf with an empty subject, issued by "CN=M", with `sans` short dNSNames, none of
 *   them permitted;
 * - `tiny` intermediates that all call themselves "CN=M" (subject and issuer), with an
 *   unusable public key and a one-byte signature, so every one is a candidate issuer of
 *   the leaf and of each other and none costs a signature verification;
 * - a forged CA "CN=M" that claims to be issued by a real trust anchor (its signature is
 *   made with another key) and carries `subtrees` permitted dNSName subtrees.
 *
 * Every path the search finds reaches the anchor through the forged CA. Verifiers that
 * apply name constraints before checking signatures pay sans × subtrees comparisons per
 * path (500,000 here), for as many paths as they judge.
 */
export function nameConstraintBomb(opts: { sans?: number; tiny?: number; subtrees?: number; validity: { notBefore: Date; notAfter: Date } }): AttackChain {
  const V = opts.validity;
  const anchor = issue({ subject: 'CN=Budget Anchor', key: key('p256'), ca: true, ...V });
  // Signed with a key that is not the anchor's: the signature on it does not verify.
  const forgedIssuer: Issued = { ...anchor, key: key('p256') };
  const permitted = Array.from({ length: opts.subtrees ?? 125 }, (_, i) => ({ dns: `p${i}.ok` }));
  const forged = issue({ subject: 'CN=M', issuer: forgedIssuer, ca: true, keyIds: false, extra: [ext.nameConstraints({ permitted })], ...V });
  // An unusable key (an unknown algorithm) and a one-byte signature: tiny, and free to "check".
  // Each has its own key, so that each is a distinct issuer (subject and key) for the search.
  const signer = key('ed25519');
  const mName: Issued = { ...forged, key: signer };
  const tiny = Array.from({ length: opts.tiny ?? 31 }, (_, i) => {
    const tinyKey: TestKey = { kind: 'ed25519', privateKey: signer.privateKey, spki: derSequence(derSequence(derOid('1.2.3')), derBitString(Uint8Array.of(i))) };
    return issue({ subject: 'CN=M', issuer: mName, key: tinyKey, extensions: [], serial: BigInt(i + 1), tamperSignature: () => Uint8Array.of(0), ...V });
  });
  const sans = Array.from({ length: opts.sans ?? 2000 }, (_, i) => ({ dns: `h${i}.a.b` }));
  // An empty subject: the SANs are the only names, 2,000 × 125 = 250,000 comparisons a path.
  const leaf = issue({ subject: '', issuer: forged, san: sans, keyIds: false, ...V });
  // The forged CA first: it is then the first candidate tried at every step of the search.
  const certificates = [leaf.der, forged.der, ...tiny.map((t) => t.der)];
  return { anchor, certificates, size: certificates.reduce((n, c) => n + c.length, 0) };
}
