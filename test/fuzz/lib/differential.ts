/**
 * Differential targets: the certificate, key, OCSP and PEM parsers against OpenSSL (through
 * node:crypto's X509Certificate, createPublicKey, createPrivateKey) and Python
 * `cryptography` (a long-running /usr/bin/python3 helper, test/fuzz/diff_helper.py).
 *
 * A finding is an input we accept while every reference that can judge it refuses it, or
 * an extracted field (serial, validity, DNS/IP names, key type, OCSP status and times)
 * where we disagree with references that agree with each other.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { parseCertificate } from '../../../src/verify/x509.js';
import { parsePrivateKey, parsePublicKey } from '../../../src/crypto/keys.js';
import { pemDecode, bytesToText } from '../../../src/crypto/pem.js';
import { verifyOcspResponse } from '../../../src/verify/ocsp.js';
import { ASN1_MUTATORS, DER_DICTIONARY } from './asn1.js';
import { pki, readDir, readVector, repoRoot, toHex } from './harness.js';
import { Finding, checkThrown } from './invariants.js';
import type { Target } from './targets.js';

export const PYTHON = process.env['PURETLS_FUZZ_PYTHON'] ?? '/usr/bin/python3';

interface PyAnswer {
  ok: boolean;
  error?: string;
  fields?: Record<string, unknown>;
}

/** The helper process: one request line, one answer line. */
class PyHelper {
  private proc: ChildProcessWithoutNullStreams | null = null;
  private waiting: ((line: string) => void)[] = [];
  version = '';

  async start(): Promise<void> {
    if (this.proc) return;
    const p = spawn(PYTHON, [path.join(repoRoot(), 'test', 'fuzz', 'diff_helper.py')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = p;
    const rl = readline.createInterface({ input: p.stdout });
    rl.on('line', (line) => this.waiting.shift()?.(line));
    p.on('exit', () => {
      this.proc = null;
      for (const w of this.waiting.splice(0)) w('{"ok":false,"error":"helper exited"}');
    });
    const hello = JSON.parse(await new Promise<string>((resolve) => this.waiting.push(resolve))) as { ready: boolean; version?: string; error?: string };
    if (!hello.ready) throw new Error(hello.error ?? 'python helper not ready');
    this.version = hello.version ?? '';
  }

  async ask(kind: string, data: Uint8Array): Promise<PyAnswer> {
    if (!this.proc) await this.start();
    const line = new Promise<string>((resolve) => this.waiting.push(resolve));
    this.proc!.stdin.write(`${kind} ${toHex(data)}\n`);
    return JSON.parse(await line) as PyAnswer;
  }

  stop(): void {
    this.proc?.stdin.end();
    this.proc?.kill();
    this.proc = null;
  }
}

const py = new PyHelper();

/** Why the differential targets cannot run here, or null. */
export function pythonUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import cryptography; print(cryptography.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} not runnable (${r.error.message}); install the Debian package python3-cryptography`;
  if (r.status !== 0) return `${PYTHON} has no 'cryptography' module; install the Debian package python3-cryptography`;
  return null;
}

/** The lifecycle every differential target shares: skipped without pyca, the helper process started and stopped around the run. */
const WITH_PY_HELPER: Pick<Target, 'unavailable' | 'setup' | 'teardown'> = {
  unavailable: async () => pythonUnavailable(),
  setup: () => py.start(),
  teardown: async () => py.stop(),
};

// ---------------------------------------------------------------- OpenSSL through node:crypto

function nodeKeyType(k: KeyObject): string {
  const t = k.asymmetricKeyType;
  if (t === 'ec') {
    const c = k.asymmetricKeyDetails?.namedCurve;
    return c === 'prime256v1' ? 'ec-p256' : c === 'secp384r1' ? 'ec-p384' : `ec-${c}`;
  }
  return t ?? 'unknown';
}

interface CertView {
  ok: boolean;
  error?: string;
  serial?: bigint;
  notBefore?: number;
  notAfter?: number;
  dns?: string[];
  keyType?: string;
}

function osslCert(der: Uint8Array): CertView {
  try {
    const c = new X509Certificate(der);
    const san = c.subjectAltName;
    const dns: string[] = [];
    for (const part of (san ?? '').split(', ')) if (part.startsWith('DNS:')) dns.push(part.slice(4));
    let keyType = 'unsupported';
    try {
      keyType = nodeKeyType(c.publicKey);
    } catch {
      // key types OpenSSL cannot load are not a certificate error
    }
    void c.subject;
    void c.issuer;
    void c.fingerprint256;
    return { ok: true, serial: BigInt(`0x${c.serialNumber || '0'}`), notBefore: Math.floor(Date.parse(c.validFrom) / 1000), notAfter: Math.floor(Date.parse(c.validTo) / 1000), dns, keyType };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

function signedSerial(hex: string): bigint {
  let v = BigInt(`0x${hex || '0'}`);
  if (hex.length > 0 && parseInt(hex[0]!, 16) >= 8) v -= 1n << BigInt(hex.length * 4);
  return v;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The input as the references are asked about it. PEM whose lines end with a lone CR is
 * PEM (RFC 7468 §3: eol = CRLF / CR / LF, and pemDecode reads it), but OpenSSL's PEM
 * reader splits lines at LF only and pyca loads keys through OpenSSL, so both would refuse
 * it for that alone: we are deliberately laxer there. They are asked about the same text
 * with LF line ends instead, so everything else in it is still compared.
 */
function forReferences(input: Uint8Array, text: boolean): Uint8Array {
  if (!text) return input;
  let lone = false;
  for (let i = 0; i < input.length && !lone; i++) lone = input[i] === 0x0d && input[i + 1] !== 0x0a;
  if (!lone) return input;
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] === 0x0d && input[i + 1] !== 0x0a) out.push(0x0a);
    else out.push(input[i]!);
  }
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------- targets

const diffX509: Target = {
  name: 'diff-x509',
  description: 'parseCertificate vs OpenSSL (X509Certificate) and pyca: accept/reject, serial, validity, DNS SANs, key type',
  async seeds() {
    return readDir('x509', (n) => n.endsWith('.der')).map((f) => f.bytes).concat(readDir('captured-certs', (n) => n.endsWith('.der')).map((f) => f.bytes));
  },
  ...WITH_PY_HELPER,
  mutators: ASN1_MUTATORS,
  structuredShare: 0.85,
  dictionary: DER_DICTIONARY,
  maxLen: 20000,
  async run(input) {
    let ours: ReturnType<typeof parseCertificate> | null = null;
    try {
      ours = parseCertificate(input);
    } catch (e) {
      checkThrown(e, 'parseCertificate');
    }
    const accepted = ours !== null && ours.problems.length === 0;
    if (!accepted) return; // refusing more than the references is not a finding here
    const o = osslCert(input);
    const p = await py.ask('x509', input);
    if (!o.ok && !p.ok) {
      throw new Finding('differential', `certificate accepted by parseCertificate, refused by OpenSSL (${o.error}) and pyca (${p.error})`);
    }
    if (!o.ok || !p.ok || !p.fields) return;
    const f = p.fields as { serial: string; notBefore: number; notAfter: number; dns: string[]; keyType: string };
    const our = ours!;
    const serial = signedSerial(our.serialHex);
    if (BigInt(f.serial) === o.serial && serial !== o.serial) throw new Finding('differential', `serial ${serial} vs ${o.serial} (OpenSSL and pyca)`);
    const nb = Math.floor(our.notBefore.getTime() / 1000);
    const na = Math.floor(our.notAfter.getTime() / 1000);
    if (f.notBefore === o.notBefore && nb !== f.notBefore) throw new Finding('differential', `notBefore ${nb} vs ${f.notBefore} (OpenSSL and pyca)`);
    if (f.notAfter === o.notAfter && na !== f.notAfter) throw new Finding('differential', `notAfter ${na} vs ${f.notAfter} (OpenSSL and pyca)`);
    if (sameList(f.dns, o.dns ?? []) && !sameList(our.dnsNames, f.dns)) throw new Finding('differential', `DNS names ${JSON.stringify(our.dnsNames)} vs ${JSON.stringify(f.dns)} (OpenSSL and pyca)`);
    let ourKey = 'unsupported';
    try {
      ourKey = parsePublicKey(our.spki).type;
    } catch {
      // unsupported key types are refused at use, not here
    }
    if (ourKey !== 'unsupported' && f.keyType === o.keyType && f.keyType !== 'unsupported' && ourKey !== f.keyType && !(ourKey === 'rsa-pss' && f.keyType === 'rsa')) {
      throw new Finding('differential', `key type ${ourKey} vs ${f.keyType} (OpenSSL and pyca)`);
    }
  },
};

function osslKey(input: Uint8Array, kind: 'spki' | 'pkey'): { ok: boolean; type?: string; error?: string } {
  const isPem = input[0] === 0x2d; // '-'
  const attempts: (() => KeyObject)[] =
    kind === 'spki'
      ? [() => createPublicKey(isPem ? { key: Buffer.from(input), format: 'pem' } : { key: Buffer.from(input), format: 'der', type: 'spki' })]
      : isPem
        ? [() => createPrivateKey({ key: Buffer.from(input), format: 'pem' })]
        : (['pkcs8', 'sec1', 'pkcs1'] as const).map((type) => () => createPrivateKey({ key: Buffer.from(input), format: 'der', type }));
  let last = '';
  for (const a of attempts) {
    try {
      return { ok: true, type: nodeKeyType(a()) };
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
  }
  return { ok: false, error: last };
}

const diffKeys: Target = {
  name: 'diff-keys',
  description: 'parsePublicKey / parsePrivateKey vs OpenSSL (createPublicKey / createPrivateKey) and pyca: accept/reject and key type',
  async seeds() {
    return readDir('keys').map((f) => f.bytes);
  },
  ...WITH_PY_HELPER,
  mutators: ASN1_MUTATORS,
  structuredShare: 0.7,
  dictionary: DER_DICTIONARY,
  maxLen: 8000,
  async run(input) {
    for (const kind of ['spki', 'pkey'] as const) {
      let ours: { type: string } | null = null;
      try {
        ours = kind === 'spki' ? parsePublicKey(input) : parsePrivateKey(input[0] === 0x2d ? bytesToText(input) : input);
      } catch (e) {
        checkThrown(e, kind === 'spki' ? 'parsePublicKey' : 'parsePrivateKey');
      }
      if (!ours) continue;
      // Our DER private-key parser reads PKCS#8 only; PEM covers SEC1 and PKCS#1 too.
      const ref = forReferences(input, input[0] === 0x2d); // PEM starts with '-----', DER with 0x30
      const o = osslKey(ref, kind);
      const p = await py.ask(kind, ref);
      if (!o.ok && !p.ok) throw new Finding('differential', `${kind}: we accept a ${ours.type} key that OpenSSL (${o.error}) and pyca (${p.error}) refuse`);
      const pt = p.ok ? String((p.fields as { keyType: string }).keyType) : undefined;
      if (o.ok && p.ok && o.type === pt && ours.type !== pt && !(ours.type === 'rsa-pss' && pt === 'rsa')) {
        throw new Finding('differential', `${kind}: key type ${ours.type} vs ${pt} (OpenSSL and pyca)`);
      }
    }
  },
};

const diffOcsp: Target = {
  name: 'diff-ocsp',
  description: 'verifyOcspResponse vs pyca load_der_ocsp_response: a response we call good/revoked must parse there, with the same status and times',
  async seeds() {
    return readDir('ocsp', (n) => n.endsWith('.der')).map((f) => f.bytes);
  },
  ...WITH_PY_HELPER,
  mutators: ASN1_MUTATORS,
  structuredShare: 0.85,
  dictionary: DER_DICTIONARY,
  maxLen: 20000,
  async run(input) {
    const p0 = pki();
    let r: ReturnType<typeof verifyOcspResponse>;
    try {
      r = verifyOcspResponse({ response: input, certificate: p0.ids[0]!.leafDer, issuer: readVector('x509', 'int.der'), time: new Date(p0.now) });
    } catch (e) {
      checkThrown(e, 'verifyOcspResponse');
      return;
    }
    if (r.status === 'unknown') return;
    const p = await py.ask('ocsp', input);
    // A known, deliberate difference: an extension's `critical` encoded as an explicit FALSE
    // (a DEFAULT value, so not DER, X.690 §11.5) is tolerated by our certificate parser as by
    // OpenSSL (src/verify/x509.ts); pyca refuses it in the responder certificate. The
    // certificate target (diff-x509) compares with both references and sees no difference.
    if (!p.ok && /EncodedDefault/.test(p.error ?? '') && /Extension::critical/.test(p.error ?? '')) return;
    if (!p.ok) throw new Finding('differential', `OCSP response judged ${r.status} by us, refused by pyca (${p.error})`);
    const f = p.fields as { certStatus?: string; thisUpdate?: number; nextUpdate?: number | null };
    if (f.certStatus && f.certStatus.toLowerCase() !== r.status) throw new Finding('differential', `OCSP status ${r.status} vs ${f.certStatus} (pyca)`);
    if (r.thisUpdate && f.thisUpdate !== undefined && Math.floor(r.thisUpdate.getTime() / 1000) !== f.thisUpdate) throw new Finding('differential', `OCSP thisUpdate differs from pyca`);
    if ((r.nextUpdate === undefined) !== (f.nextUpdate === null || f.nextUpdate === undefined)) throw new Finding('differential', `OCSP nextUpdate presence differs from pyca`);
  },
};

const diffPem: Target = {
  name: 'diff-pem',
  description: 'pemDecode vs OpenSSL (X509Certificate on PEM) and pyca load_pem_x509_certificate: same certificate bytes, no PEM only we accept',
  async seeds() {
    return readDir('pki', (n) => n.endsWith('.pem')).map((f) => f.bytes).concat(readDir('keys', (n) => n.includes('bundle')).map((f) => f.bytes));
  },
  ...WITH_PY_HELPER,
  dictionary: ['-----BEGIN CERTIFICATE-----\n', '-----END CERTIFICATE-----\n', 'Proc-Type: 4,ENCRYPTED\n', '=', '\r\n', ' ', '\t', '-----'].map((s) => new TextEncoder().encode(s)),
  maxLen: 20000,
  async run(input) {
    const text = bytesToText(input);
    let blocks: ReturnType<typeof pemDecode> = [];
    try {
      blocks = pemDecode(text);
    } catch (e) {
      checkThrown(e, 'pemDecode');
      return;
    }
    const first = blocks.find((b) => b.label === 'CERTIFICATE');
    if (!first || first !== blocks[0]) return;
    // Accepted means what it means for diff-x509: parsed with no problem listed. A problem
    // (e.g. a Name value that is not valid UTF-8) is reported by the verifier as OtherErrors,
    // so the certificate is refused; only the PEM layer is judged here.
    let oursOk = true;
    try {
      oursOk = parseCertificate(first.der).problems.length === 0;
    } catch {
      oursOk = false;
    }
    if (!oursOk) return;
    let o: Uint8Array | null = null;
    let oErr = '';
    try {
      o = new Uint8Array(new X509Certificate(Buffer.from(forReferences(input, true))).raw);
    } catch (e) {
      oErr = e instanceof Error ? e.message : String(e);
    }
    const p = await py.ask('pem', forReferences(input, true));
    const pDer = p.ok ? String((p.fields as { der: string }).der) : null;
    if (!o && !p.ok) throw new Finding('differential', `PEM certificate decoded by pemDecode, refused by OpenSSL (${oErr}) and pyca (${p.error})`);
    if (o && pDer && toHex(o) === pDer && toHex(first.der) !== pDer) throw new Finding('differential', 'pemDecode returned other certificate bytes than OpenSSL and pyca');
  },
};

export const DIFF_TARGETS: readonly Target[] = [diffX509, diffKeys, diffOcsp, diffPem];
