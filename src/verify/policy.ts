/**
 * Certificate policy extensions without policy processing (RFC 5280 §4.2.1.4, §4.2.1.5,
 * §4.2.1.11, §4.2.1.14, §6.1).
 *
 * puretls validates with the RFC 5280 §6.1.1 inputs a TLS client uses: user-initial-policy-set
 * = {anyPolicy}, initial-explicit-policy, initial-policy-mapping-inhibit and
 * initial-any-policy-inhibit all false. With those inputs the policy tree can only make
 * a path invalid when a certificate in it demands an explicit policy (policyConstraints
 * requireExplicitPolicy, §6.1.5 (g)): then explicit_policy reaches 0 and the tree must
 * be non-empty. So the verifier:
 *
 * - checks the syntax of certificatePolicies, policyMappings, policyConstraints and
 *   inhibitAnyPolicy (a malformed one is `OtherErrors`), and counts them as recognised
 *   when critical;
 * - refuses a policyMappings entry that maps to or from anyPolicy (§6.1.4 (a));
 * - tracks explicit_policy exactly as §6.1.3-§6.1.5 do; if it reaches 0, the path
 *   needs the policy tree, which is not built: the path is refused with
 *   `InvalidCertificateAuthorityPolicy` (fail closed; a documented deviation).
 *
 * inhibitPolicyMapping and inhibitAnyPolicy only prune the tree, so without an explicit
 * policy requirement they cannot change the outcome and are accepted.
 *
 * @module
 */
import { DerReader, DerTag } from '../crypto/der.js';

/** anyPolicy (RFC 5280 §4.2.1.4). */
export const ANY_POLICY = '2.5.29.32.0';

/** policyConstraints fields (RFC 5280 §4.2.1.11). */
export interface PolicyConstraints {
  readonly requireExplicitPolicy: number | undefined;
  readonly inhibitPolicyMapping: number | undefined;
}

/**
 * Checks certificatePolicies (RFC 5280 §4.2.1.4): `SEQUENCE SIZE (1..MAX) OF
 * PolicyInformation`, `PolicyInformation ::= SEQUENCE { policyIdentifier OID,
 * policyQualifiers SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }`; "A
 * certificate policy OID MUST NOT appear more than once".
 *
 * @returns the policy OIDs
 * @throws TlsError('CertificateOtherErrors') if malformed
 */
export function parseCertificatePolicies(value: Uint8Array): string[] {
  const r = new DerReader(value, 'CertificateOtherErrors', 'certificatePolicies');
  const s = r.sequence();
  r.end();
  if (s.done) s.fail('empty');
  const oids: string[] = [];
  while (!s.done) {
    const info = s.sequence();
    const oid = info.oid();
    if (!info.done) {
      const quals = info.sequence();
      if (quals.done) quals.fail('empty policyQualifiers');
      while (!quals.done) {
        const q = quals.sequence();
        q.oid();
        q.read(); // qualifier: any type (CPS URI, user notice); not interpreted
        q.end();
      }
    }
    info.end();
    if (oids.includes(oid)) s.fail(`policy ${oid} appears twice`);
    oids.push(oid);
  }
  return oids;
}

/**
 * Checks policyMappings (RFC 5280 §4.2.1.5): `SEQUENCE SIZE (1..MAX) OF SEQUENCE {
 * issuerDomainPolicy OID, subjectDomainPolicy OID }`.
 *
 * @returns the pairs
 * @throws TlsError('CertificateOtherErrors') if malformed
 */
export function parsePolicyMappings(value: Uint8Array): [string, string][] {
  const r = new DerReader(value, 'CertificateOtherErrors', 'policyMappings');
  const s = r.sequence();
  r.end();
  if (s.done) s.fail('empty');
  const out: [string, string][] = [];
  while (!s.done) {
    const m = s.sequence();
    const a = m.oid();
    const b = m.oid();
    m.end();
    out.push([a, b]);
  }
  return out;
}

/**
 * Parses policyConstraints (RFC 5280 §4.2.1.11): `SEQUENCE { requireExplicitPolicy [0]
 * SkipCerts OPTIONAL, inhibitPolicyMapping [1] SkipCerts OPTIONAL }`; "Conforming CAs
 * MUST NOT issue certificates where policy constraints is an empty sequence".
 *
 * @throws TlsError('CertificateOtherErrors') if malformed
 */
export function parsePolicyConstraints(value: Uint8Array): PolicyConstraints {
  const r = new DerReader(value, 'CertificateOtherErrors', 'policyConstraints');
  const s = r.sequence();
  r.end();
  const skip = (tag: number): number | undefined => {
    const el = s.optional(tag);
    if (!el) return undefined;
    // SkipCerts ::= INTEGER (0..MAX), IMPLICIT: re-read the content as an INTEGER.
    if (el.value.length > 4) s.fail('SkipCerts too large');
    const ir = s.sub(Uint8Array.of(DerTag.INTEGER, el.value.length, ...el.value));
    const n = ir.smallInteger();
    ir.end();
    return n;
  };
  const requireExplicitPolicy = skip(0x80);
  const inhibitPolicyMapping = skip(0x81);
  s.end();
  if (requireExplicitPolicy === undefined && inhibitPolicyMapping === undefined) r.fail('empty');
  return { requireExplicitPolicy, inhibitPolicyMapping };
}

/**
 * Parses inhibitAnyPolicy (RFC 5280 §4.2.1.14): `InhibitAnyPolicy ::= SkipCerts`.
 *
 * @throws TlsError('CertificateOtherErrors') if malformed
 */
export function parseInhibitAnyPolicy(value: Uint8Array): number {
  const r = new DerReader(value, 'CertificateOtherErrors', 'inhibitAnyPolicy');
  const n = r.smallInteger();
  r.end();
  return n;
}

/**
 * The explicit_policy state variable after processing a path (RFC 5280 §6.1.2 (d),
 * §6.1.4 (h)(1), (i)(1), §6.1.5 (a)-(b)), with initial-explicit-policy false.
 *
 * @param path - RFC order: `path[0]` is certificate 1 (issued by the trust anchor),
 *   the last entry is certificate n (the leaf)
 * @param constraintsOf - requireExplicitPolicy of a certificate, if any
 * @returns 0 when an explicit policy is required for the path to be valid
 */
export function explicitPolicyAfter<C extends { readonly selfIssued: boolean }>(
  path: readonly C[],
  constraintsOf: (c: C) => number | undefined,
): number {
  const n = path.length;
  let explicit = n + 1;
  for (let i = 0; i < n; i++) {
    const c = path[i]!;
    if (i < n - 1) {
      // §6.1.4 (h)(1): preparation for certificate i+1 (not for the last certificate).
      if (!c.selfIssued && explicit !== 0) explicit--;
      // §6.1.4 (i)(1)
      const req = constraintsOf(c);
      if (req !== undefined && req < explicit) explicit = req;
    } else {
      // §6.1.5 (a)-(b): wrap-up on certificate n.
      if (explicit !== 0) explicit--;
      if (constraintsOf(c) === 0) explicit = 0;
    }
  }
  return explicit;
}
