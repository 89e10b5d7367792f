/**
 * The end-to-end certificate corpus: one good hierarchy and one bad chain per
 * certificate error, for both roles (a server certificate named localhost / 127.0.0.1 /
 * ::1, a client certificate named client.example), built with the verifier tests'
 * builder (test/verify/builder.ts: node:crypto keys, every field under our control).
 *
 * Also OCSP responses made by `openssl ocsp` (good, revoked, signed by a stranger) and
 * the handshake-level expectations (status, alert) for each error code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertDescription, type TlsStatus } from '../../src/base/errors.js';
import type { CertificateErrorCode } from '../../src/verify/verifier.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { DAY, KeyUsage, Oid, YEAR, ext, flip, issue, key, keyId, type CertSpec, type Issued } from '../verify/builder.js';

export const NOW = Date.now();
const V = { notBefore: new Date(NOW - YEAR), notAfter: new Date(NOW + YEAR) };

export type Role = 'server' | 'client';

/** A certificate chain as sent (leaf first) and the leaf's key. */
export interface Identity {
  readonly chain: readonly Uint8Array[];
  readonly keyPem: string;
  readonly leaf: Issued;
}

export const pemKey = (c: Issued): string => c.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

// ------------------------------------------------------------------ hierarchies

export const root = issue({ subject: 'CN=E2E Root', ca: true, ...V });
export const inter = issue({ subject: 'CN=E2E Intermediate', issuer: root, ca: true, ...V });
/** Below `inter`: a leaf under it, sent with `inter` only, lacks its direct issuer (IncompleteChain). */
const inter2 = issue({ subject: 'CN=E2E Intermediate 2', issuer: inter, ca: true, ...V });
/** An impostor hierarchy with the same names and other keys: its chains are Untrusted under `root`. */
const rogueRoot = issue({ subject: 'CN=E2E Root', ca: true, ...V });
const rogueInter = issue({ subject: 'CN=E2E Intermediate', issuer: rogueRoot, ca: true, ...V });
/** An "intermediate" whose basicConstraints says cA=FALSE (it still has keyCertSign). */
const nonCaKey = key('p256');
const nonCa = issue({
  subject: 'CN=E2E Not A CA',
  issuer: root,
  key: nonCaKey,
  ...V,
  extensions: [ext.basicConstraints(false), ext.keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign), ext.ski(keyId(nonCaKey.spki)), ext.aki(root.skid)],
});
/** An intermediate whose nameConstraints permit example.com only. */
const constrained = issue({ subject: 'CN=E2E Constrained', issuer: root, ca: true, ...V, extra: [ext.nameConstraints({ permitted: [{ dns: 'example.com' }] })] });

const NAMES: Record<Role, Pick<CertSpec, 'subject' | 'san'>> = {
  server: { subject: 'CN=localhost', san: [{ dns: 'localhost' }, { ip: '127.0.0.1' }, { ip: '::1' }] },
  client: { subject: 'CN=client.example', san: [{ dns: 'client.example' }] },
};

/** A leaf for `role` issued by `issuer` (default `inter`), with `over` applied. */
export function leafFor(role: Role, over: Partial<CertSpec> = {}, issuer: Issued = inter): Issued {
  return issue({ ...NAMES[role], issuer, ...V, ...over });
}

/** A leaf for `role` under any issuer-like object (its subject name, key and key identifier are all `issue` uses). */
export function issueUnder(issuer: Pick<Issued, 'subject' | 'key' | 'skid'>, role: Role): Issued {
  return leafFor(role, {}, issuer as Issued);
}

function identity(leaf: Issued, ...rest: Issued[]): Identity {
  return { chain: [leaf.der, ...rest.map((c) => c.der)], keyPem: pemKey(leaf), leaf };
}

/** A good identity for `role`: leaf + intermediate, trusted under `root`. */
export function good(role: Role): Identity {
  return identity(leafFor(role), inter);
}

// ------------------------------------------------------------------ bad chains

/** What the verifying side must report for a bad chain. */
export interface BadChain {
  readonly id: string;
  /** The single error code the chain carries (null: the chain is accepted, see `ca-leaf`). */
  readonly code: CertificateErrorCode | null;
  /** Roles whose certificate can carry this error (InvalidName: servers only, client certificates have no name check). */
  readonly roles: readonly Role[];
  readonly make: (role: Role) => Identity;
}

export const BAD_CHAINS: readonly BadChain[] = [
  { id: 'expired', code: 'Expired', roles: ['server', 'client'], make: (r) => identity(leafFor(r, { notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY) }), inter) },
  { id: 'not yet valid', code: 'NotYetValid', roles: ['server', 'client'], make: (r) => identity(leafFor(r, { notBefore: new Date(NOW + DAY), notAfter: new Date(NOW + 30 * DAY) }), inter) },
  { id: 'wrong name', code: 'InvalidName', roles: ['server'], make: (r) => identity(leafFor(r, { san: [{ dns: 'wrong.example' }] }), inter) },
  { id: 'untrusted (impostor root, same names)', code: 'Untrusted', roles: ['server', 'client'], make: (r) => identity(leafFor(r, {}, rogueInter), rogueInter) },
  { id: 'incomplete chain (missing intermediate)', code: 'IncompleteChain', roles: ['server', 'client'], make: (r) => identity(leafFor(r, {}, inter2), inter) },
  { id: 'wrong EKU (emailProtection only)', code: 'WrongUsage', roles: ['server', 'client'], make: (r) => identity(leafFor(r, { eku: [Oid.emailProtection] }), inter) },
  { id: 'bad signature', code: 'InvalidSignature', roles: ['server', 'client'], make: (r) => identity(leafFor(r, { tamperSignature: (s) => flip(s, 10) }), inter) },
  { id: 'basicConstraints (issuer is not a CA)', code: 'BasicConstraintsError', roles: ['server', 'client'], make: (r) => identity(leafFor(r, {}, nonCa), nonCa) },
  {
    id: 'unknown critical extension',
    code: 'UnknownCriticalExtension',
    roles: ['server', 'client'],
    make: (r) => identity(leafFor(r, { extra: [ext.raw('1.3.6.1.4.1.55555.7.1', Uint8Array.of(0x05, 0x00), true)] }), inter),
  },
  { id: 'name constraints violated', code: 'InvalidCertificateAuthorityPolicy', roles: ['server', 'client'], make: (r) => identity(leafFor(r, {}, constrained), constrained) },
  {
    // cA=TRUE on an end entity: RFC 5280 does not forbid it and OpenSSL accepts it; rustls/webpki refuse it
    // (CaUsedAsEndEntity). Our verifier does not flag it (DESIGN.md §5 notes the rustls behaviour).
    id: 'CA:TRUE leaf (not flagged)',
    code: null,
    roles: ['server', 'client'],
    make: (r) =>
      identity(
        leafFor(r, {
          extensions: [
            ext.basicConstraints(true),
            ext.keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign),
            ext.eku([Oid.serverAuth, Oid.clientAuth]),
            ext.san(NAMES[r].san!),
          ],
        }),
        inter,
      ),
  },
];

/** The fatal codes (never ignorable). */
export const FATAL: readonly CertificateErrorCode[] = ['InvalidSignature', 'Revoked', 'BasicConstraintsError', 'UnknownCriticalExtension', 'InvalidCertificateAuthorityPolicy', 'OtherErrors'];
export const IGNORABLE: readonly CertificateErrorCode[] = [
  'Untrusted',
  'Expired',
  'NotYetValid',
  'InvalidName',
  'IncompleteChain',
  'WrongUsage',
  'RevocationInformationMissing',
  'RevocationFailure',
];

/** The status and alert a verifying side must fail with for each code alone (src/base/errors.ts DEFAULT_ALERT). */
export const EXPECTED: Readonly<Record<CertificateErrorCode, { status: TlsStatus; alert: number }>> = {
  Untrusted: { status: 'CertificateUntrusted', alert: AlertDescription.unknown_ca },
  IncompleteChain: { status: 'CertificateIncompleteChain', alert: AlertDescription.unknown_ca },
  Expired: { status: 'CertificateExpired', alert: AlertDescription.certificate_expired },
  NotYetValid: { status: 'CertificateNotYetValid', alert: AlertDescription.certificate_expired },
  InvalidName: { status: 'CertificateInvalidName', alert: AlertDescription.bad_certificate },
  WrongUsage: { status: 'CertificateWrongUsage', alert: AlertDescription.unsupported_certificate },
  RevocationInformationMissing: { status: 'CertificateRevocationInformationMissing', alert: AlertDescription.certificate_unknown },
  RevocationFailure: { status: 'CertificateRevocationFailure', alert: AlertDescription.bad_certificate_status_response },
  InvalidSignature: { status: 'CertificateInvalidSignature', alert: AlertDescription.bad_certificate },
  Revoked: { status: 'CertificateRevoked', alert: AlertDescription.certificate_revoked },
  BasicConstraintsError: { status: 'CertificateBasicConstraintsError', alert: AlertDescription.bad_certificate },
  UnknownCriticalExtension: { status: 'CertificateUnknownCriticalExtension', alert: AlertDescription.unsupported_certificate },
  InvalidCertificateAuthorityPolicy: { status: 'CertificateInvalidCertificateAuthorityPolicy', alert: AlertDescription.bad_certificate },
  OtherErrors: { status: 'CertificateOtherErrors', alert: AlertDescription.bad_certificate },
};

// ------------------------------------------------------------------ OCSP (openssl ocsp as the responder)

/** A server identity whose leaf has OCSP responses made for it. */
export interface OcspSet {
  readonly identity: Identity;
  /** A revoked leaf (same issuer), with its identity. */
  readonly revoked: Identity;
  /** DER OCSPResponses. */
  readonly goodResponse: Uint8Array;
  readonly revokedResponse: Uint8Array;
  /** About the good leaf, signed by a key that is neither the issuer's nor an authorised responder's. */
  readonly strangerResponse: Uint8Array;
}

function utc(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stdout}${r.stderr}`);
}

/** True if `openssl` runs (the OCSP responses and the s_server peer need it). */
export const HAVE_OPENSSL = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

/**
 * Builds the OCSP corpus with `openssl ocsp` (an index where the good leaf is valid and
 * the other revoked since yesterday), responses valid for one day. `dir` receives the files.
 */
export function makeOcspSet(dir: string): OcspSet {
  const leaf = leafFor('server');
  const revokedLeaf = leafFor('server');
  const stranger = issue({ subject: 'CN=E2E Stranger Responder', ...V });
  const serial = (c: Issued): string => parseCertificate(c.der).serialHex.toUpperCase();
  const file = (name: string, content: string): string => {
    const f = join(dir, name);
    writeFileSync(f, content);
    return f;
  };
  const exp = utc(V.notAfter);
  const index = file(
    'index.txt',
    [
      `V\t${exp}\t\t${serial(leaf)}\tunknown\t/CN=localhost`,
      `R\t${exp}\t${utc(new Date(NOW - DAY))},keyCompromise\t${serial(revokedLeaf)}\tunknown\t/CN=localhost`,
      '',
    ].join('\n'),
  );
  const issuerPem = file('issuer.pem', inter.pem);
  const respond = (cert: Issued, signer: Issued, name: string): Uint8Array => {
    const req = join(dir, `${name}-req.der`);
    const out = join(dir, `${name}-resp.der`);
    openssl(['ocsp', '-issuer', issuerPem, '-cert', file(`${name}-cert.pem`, cert.pem), '-no_nonce', '-reqout', req]);
    openssl([
      'ocsp',
      '-index',
      index,
      '-CA',
      issuerPem,
      '-rsigner',
      file(`${name}-signer.pem`, signer.pem),
      '-rkey',
      file(`${name}-signer.key`, pemKey(signer)),
      '-rmd',
      'sha256',
      '-ndays',
      '1',
      '-reqin',
      req,
      '-respout',
      out,
    ]);
    return new Uint8Array(readFileSync(out));
  };
  return {
    identity: identity(leaf, inter),
    revoked: identity(revokedLeaf, inter),
    goodResponse: respond(leaf, inter, 'good'),
    revokedResponse: respond(revokedLeaf, inter, 'revoked'),
    strangerResponse: respond(leaf, stranger, 'stranger'),
  };
}

/** A temporary directory and its removal. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
