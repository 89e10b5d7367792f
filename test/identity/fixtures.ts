/**
 * Identity files made at test time by the system tools, in a temporary directory: a CA, an
 * intermediate, an EC P-256 and an RSA-2048 leaf (SAN localhost), and from them PKCS#12 files
 * (`openssl pkcs12 -export` default and `-legacy`, a mixed RC2/AES one, no password,
 * GnuTLS `certtool --to-p12`), encrypted PKCS#8 (PBES2 variants, scrypt, PKCS#12 PBE), SEC1
 * and PKCS#1 PEM, plain and with the old `Proc-Type` encryption.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The passphrase of every encrypted fixture (distinctive, to search errors for it). */
export const PASS = 'Zebra-Quartz-91';
/** A non-ASCII passphrase (BMPString vs UTF-8 encodings differ). */
export const UNICODE_PASS = 'pässwörd-✓';

/** Is the tool there? */
export function hasTool(cmd: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface LeafFiles {
  /** Plain PKCS#8 PEM (as openssl req writes it). */
  readonly keyPem: string;
  readonly certPem: string;
  /** DER of the leaf certificate. */
  readonly certDer: Uint8Array;
  /** PKCS#12 files, by name. */
  readonly p12: Record<string, Uint8Array>;
  /** Key files (PEM text or DER), by name. */
  readonly keys: Record<string, string | Uint8Array>;
}

export interface IdentityFixtures {
  readonly dir: string;
  readonly caPem: string;
  readonly intermediatePem: string;
  readonly ec: LeafFiles;
  readonly rsa: LeafFiles;
  /** The GnuTLS PKCS#12 (EC leaf), or null when certtool is absent. */
  readonly gnutls: Uint8Array | null;
  remove(): void;
}

function run(dir: string, cmd: string, args: string[]): void {
  execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C.UTF-8' } });
}

/** Makes every fixture (a few seconds: two RSA keys and some KDF work). */
export function makeIdentityFixtures(): IdentityFixtures {
  const dir = mkdtempSync(join(tmpdir(), 'puretls-identity-'));
  const o = (...args: string[]): void => run(dir, 'openssl', args);
  const ext = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return name;
  };
  const caExt = ext('ca.ext', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
  const leafExt = ext('leaf.ext', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n');
  o('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=puretls identity test CA', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  o('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'int.key', '-out', 'int.csr', '-subj', '/CN=puretls identity test intermediate');
  o('x509', '-req', '-in', 'int.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '2', '-days', '30', '-extfile', caExt, '-out', 'int.pem');
  const leaf = (kind: 'ec' | 'rsa'): LeafFiles => {
    const key = `${kind}.key`;
    if (kind === 'ec') o('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', `${kind}.csr`, '-subj', '/CN=localhost');
    else o('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', `${kind}.csr`, '-subj', '/CN=localhost');
    o('x509', '-req', '-in', `${kind}.csr`, '-CA', 'int.pem', '-CAkey', 'int.key', '-set_serial', kind === 'ec' ? '10' : '11', '-days', '30', '-extfile', leafExt, '-out', `${kind}.pem`);
    o('x509', '-in', `${kind}.pem`, '-outform', 'DER', '-out', `${kind}.der`);
    const pass = `pass:${PASS}`;
    const p12 = (name: string, ...extra: string[]): void => o('pkcs12', '-export', '-in', `${kind}.pem`, '-inkey', key, '-certfile', 'int.pem', '-out', `${kind}-${name}.p12`, ...extra);
    p12('default', '-passout', pass);
    p12('legacy', '-legacy', '-passout', pass);
    p12('mixed', '-legacy', '-certpbe', 'PBE-SHA1-RC2-40', '-keypbe', 'AES-256-CBC', '-passout', pass);
    p12('nopass', '-passout', 'pass:');
    p12('unicode', '-passout', `pass:${UNICODE_PASS}`);
    const k8 = (name: string, ...extra: string[]): void => o('pkcs8', '-topk8', '-in', key, '-out', `${kind}-${name}`, '-passout', pass, ...extra);
    k8('pbes2-aes256-sha256.pem', '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256');
    k8('pbes2-aes128-sha1.pem', '-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA1');
    k8('pbes2-aes256-sha256.der', '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256', '-outform', 'DER');
    k8('pbes2-des3.pem', '-v2', 'des3');
    k8('scrypt.pem', '-scrypt');
    k8('pkcs12-3des.pem', '-v1', 'PBE-SHA1-3DES');
    if (kind === 'ec') {
      o('ec', '-in', key, '-out', 'ec-sec1.pem');
      o('ec', '-in', key, '-out', 'ec-sec1-aes256.pem', '-aes256', '-passout', pass);
      o('ec', '-in', key, '-out', 'ec-sec1-des3.pem', '-des3', '-passout', pass);
    } else {
      o('rsa', '-in', key, '-out', 'rsa-pkcs1.pem', '-traditional');
      o('rsa', '-in', key, '-out', 'rsa-pkcs1-aes128.pem', '-traditional', '-aes128', '-passout', pass);
      o('rsa', '-in', key, '-out', 'rsa-pkcs1-des3.pem', '-traditional', '-des3', '-passout', pass);
    }
    const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
    const text = (f: string): string => readFileSync(join(dir, f), 'utf8');
    const keys: Record<string, string | Uint8Array> = {
      'pbes2-aes256-sha256.pem': text(`${kind}-pbes2-aes256-sha256.pem`),
      'pbes2-aes128-sha1.pem': text(`${kind}-pbes2-aes128-sha1.pem`),
      'pbes2-aes256-sha256.der': read(`${kind}-pbes2-aes256-sha256.der`),
      'pbes2-des3.pem': text(`${kind}-pbes2-des3.pem`),
      'scrypt.pem': text(`${kind}-scrypt.pem`),
      'pkcs12-3des.pem': text(`${kind}-pkcs12-3des.pem`),
    };
    if (kind === 'ec') {
      keys['sec1.pem'] = text('ec-sec1.pem');
      keys['sec1-aes256.pem'] = text('ec-sec1-aes256.pem');
      keys['sec1-des3.pem'] = text('ec-sec1-des3.pem');
    } else {
      keys['pkcs1.pem'] = text('rsa-pkcs1.pem');
      keys['pkcs1-aes128.pem'] = text('rsa-pkcs1-aes128.pem');
      keys['pkcs1-des3.pem'] = text('rsa-pkcs1-des3.pem');
    }
    return {
      keyPem: text(key),
      certPem: text(`${kind}.pem`),
      certDer: read(`${kind}.der`),
      p12: Object.fromEntries(['default', 'legacy', 'mixed', 'nopass', 'unicode'].map((n) => [n, read(`${kind}-${n}.p12`)])),
      keys,
    };
  };
  const ec = leaf('ec');
  const rsa = leaf('rsa');
  let gnutls: Uint8Array | null = null;
  if (hasTool('certtool')) {
    writeFileSync(join(dir, 'ec-chain.pem'), readFileSync(join(dir, 'ec.pem'), 'utf8') + readFileSync(join(dir, 'int.pem'), 'utf8'));
    run(dir, 'certtool', ['--to-p12', '--load-privkey', 'ec.key', '--load-certificate', 'ec-chain.pem', '--password', PASS, '--p12-name', 'puretls', '--outder', '--outfile', 'ec-gnutls.p12']);
    gnutls = new Uint8Array(readFileSync(join(dir, 'ec-gnutls.p12')));
  }
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    intermediatePem: readFileSync(join(dir, 'int.pem'), 'utf8'),
    ec,
    rsa,
    gnutls,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Re-encodes DER with every INTEGER equal to `from` replaced by `to` (lengths fixed up): a
 * file's iteration counts (2048 in OpenSSL's output) made hostile.
 */
export function rewriteIntegers(der: Uint8Array, from: bigint, to: bigint): Uint8Array {
  const out: number[] = [];
  const encodeLength = (n: number): number[] => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
  const intBytes = (x: bigint): number[] => {
    const b: number[] = [];
    let v = x;
    do {
      b.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (b[0]! & 0x80) b.unshift(0);
    return b;
  };
  const walk = (buf: Uint8Array): number[] => {
    const res: number[] = [];
    let p = 0;
    while (p < buf.length) {
      const tag = buf[p++]!;
      let len = buf[p++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
      }
      const value = buf.subarray(p, p + len);
      p += len;
      let body: number[];
      if (tag & 0x20) body = walk(value);
      else if (tag === 0x02) {
        let x = 0n;
        for (const b of value) x = (x << 8n) | BigInt(b);
        body = x === from ? intBytes(to) : [...value];
      } else body = [...value];
      res.push(tag, ...encodeLength(body.length), ...body);
    }
    return res;
  };
  out.push(...walk(der));
  return Uint8Array.from(out);
}

/**
 * The same PKCS#12 file in BER as NSS and Windows write it: every constructed element of the
 * outer layers with an indefinite length, and OCTET STRINGs longer than 64 bytes as
 * constructed strings of 64-byte segments (X.690 §8.1.3.6, §8.7.3). The contents of
 * primitive strings (the authSafe's DER, which the MAC covers) are left as they are.
 */
export function toIndefiniteBer(der: Uint8Array): Uint8Array {
  const out: number[] = [];
  const walk = (buf: Uint8Array): void => {
    let p = 0;
    while (p < buf.length) {
      const tag = buf[p++]!;
      let len = buf[p++]!;
      if (len & 0x80) {
        const n = len & 0x7f;
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
      }
      const value = buf.subarray(p, p + len);
      p += len;
      if (tag & 0x20) {
        out.push(tag, 0x80);
        walk(value);
        out.push(0, 0);
      } else if (tag === 0x04 && value.length > 64) {
        out.push(0x24, 0x80);
        for (let i = 0; i < value.length; i += 64) {
          const seg = value.subarray(i, i + 64);
          out.push(0x04, ...(seg.length < 0x80 ? [seg.length] : [0x81, seg.length]), ...seg);
        }
        out.push(0, 0);
      } else {
        const l = value.length;
        out.push(tag, ...(l < 0x80 ? [l] : l < 0x100 ? [0x81, l] : l < 0x10000 ? [0x82, l >> 8, l & 0xff] : [0x83, l >> 16, (l >> 8) & 0xff, l & 0xff]), ...value);
      }
    }
  };
  walk(der);
  return Uint8Array.from(out);
}
