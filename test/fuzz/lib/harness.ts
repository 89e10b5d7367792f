/**
 * Deterministic engines for the fuzz targets: fixed identities (vectors/fuzz/pki, made
 * once with OpenSSL), a fixed clock inside their validity and a fixed random stream, so
 * that the same input always drives an engine the same way.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TlsConnection } from '../../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../../src/config/config.js';
import { parseCertificate } from '../../../src/verify/x509.js';
import { pemDecode } from '../../../src/crypto/pem.js';
import { nobleProvider } from '../../../src/crypto/noble.js';
import type { PrivateKeyInfo } from '../../../src/crypto/provider.js';
import { fixedRandom } from './rng.js';

/** The repository root (where vectors/fuzz lives). */
export function repoRoot(): string {
  const env = process.env['PURETLS_FUZZ_ROOT'];
  if (env) return env;
  let d = process.cwd();
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(d, 'vectors', 'fuzz'))) return d;
    d = path.dirname(d);
  }
  return process.cwd();
}

export function vectorPath(...parts: string[]): string {
  return path.join(repoRoot(), 'vectors', 'fuzz', ...parts);
}

export function readVector(...parts: string[]): Uint8Array {
  return new Uint8Array(fs.readFileSync(vectorPath(...parts)));
}

export function readText(...parts: string[]): string {
  return fs.readFileSync(vectorPath(...parts), 'utf8');
}

/** Every file under vectors/fuzz/<dir> (recursively), sorted, as bytes. */
export function readDir(dir: string, filter: (name: string) => boolean = () => true): { name: string; bytes: Uint8Array }[] {
  const root = vectorPath(dir);
  if (!fs.existsSync(root)) return [];
  const out: { name: string; bytes: Uint8Array }[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (filter(e.name)) {
        const raw = fs.readFileSync(p);
        // .hex files hold hex (whitespace allowed); everything else is taken as is.
        const bytes = e.name.endsWith('.hex') ? fromHex(raw.toString('utf8')) : new Uint8Array(raw);
        out.push({ name: path.relative(root, p), bytes });
      }
    }
  };
  walk(root);
  return out;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** An identity: PEM chain (leaf first) and key. */
export interface Identity {
  readonly name: string;
  readonly chainPem: string;
  readonly keyPem: string;
  readonly key: PrivateKeyInfo;
  readonly leafDer: Uint8Array;
}

let cache: { ids: Identity[]; caPem: string; intPem: string; now: number; ocspGood: Uint8Array } | null = null;

/** Identities by index: 0 server-ec, 1 server-rsa, 2 server-ed25519, 3 client-ec, 4 server-p384. */
export const IDENTITY_NAMES = ['server-ec', 'server-rsa', 'server-ed25519', 'client-ec', 'server-p384'] as const;

export function pki(): { ids: Identity[]; caPem: string; intPem: string; now: number; ocspGood: Uint8Array } {
  if (cache) return cache;
  const intPem = readText('pki', 'int.pem');
  const caPem = readText('pki', 'ca.pem');
  const ids = IDENTITY_NAMES.map((name) => {
    const leafPem = readText('pki', `${name}.pem`);
    const keyPem = readText('pki', `${name}.key`);
    return { name, chainPem: leafPem + intPem, keyPem, key: nobleProvider.parsePrivateKey(keyPem), leafDer: pemDecode(leafPem)[0]!.der };
  });
  // A fixed clock one day after the leaf's notBefore: inside every certificate's validity.
  const leaf = parseCertificate(ids[0]!.leafDer);
  const now = leaf.notBefore.getTime() + 24 * 3600_000;
  cache = { ids, caPem, intPem, now, ocspGood: readVector('ocsp', 'good.der') };
  return cache;
}

/** Client configurations a script can select (its header's config byte, low nibble). */
export const CLIENT_CONFIGS: readonly { name: string; opts: () => ClientOptions }[] = [
  { name: 'default', opts: () => ({}) },
  { name: 'mtls', opts: () => ({ cert: pki().ids[3]!.chainPem, key: pki().ids[3]!.keyPem }) },
  { name: 'tls12', opts: () => ({ maxVersion: 'TLSv1.2' }) },
  { name: 'tls13-p384', opts: () => ({ minVersion: 'TLSv1.3', groups: ['secp384r1', 'x25519'], keyShareGroups: ['x25519'] }) },
  { name: 'alpn-ocsp', opts: () => ({ ALPNProtocols: ['h2', 'http/1.1'], requireRevocationInformation: true }) },
  { name: 'mtls12', opts: () => ({ cert: pki().ids[3]!.chainPem, key: pki().ids[3]!.keyPem, maxVersion: 'TLSv1.2' }) },
  { name: 'tls12-chacha', opts: () => ({ maxVersion: 'TLSv1.2', cipherSuites: ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'] }) },
];

/** Server configurations (same byte, for server scripts). */
export const SERVER_CONFIGS: readonly { name: string; opts: () => ServerOptions }[] = [
  { name: 'default', opts: () => ({ cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem }) },
  { name: 'require-cert', opts: () => ({ cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem, requireCert: true, ca: pki().caPem }) },
  { name: 'tls12', opts: () => ({ cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem, maxVersion: 'TLSv1.2' }) },
  { name: 'hrr-p384', opts: () => ({ cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem, groups: ['secp384r1'] }) },
  {
    name: 'alpn-ocsp-tickets',
    opts: () => ({ certificates: [{ cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem, ocspResponse: pki().ocspGood }], ALPNProtocols: ['http/1.1'], sessionTickets: 2 }),
  },
  { name: 'multi-identity', opts: () => ({ certificates: [{ cert: pki().ids[2]!.chainPem, key: pki().ids[2]!.keyPem }, { cert: pki().ids[0]!.chainPem, key: pki().ids[0]!.keyPem }], requestCert: true, ca: pki().caPem }) },
];

/** The seed of each engine's random stream: fixed, so a script replays the same way. */
export const CLIENT_RANDOM_SEED = 0xc11e47;
export const SERVER_RANDOM_SEED = 0x5e77e7;

export function makeClient(config: number, extra: ClientOptions = {}): TlsConnection {
  const c = CLIENT_CONFIGS[config % CLIENT_CONFIGS.length]!;
  const p = pki();
  return TlsConnection.client({ servername: 'localhost', ca: p.caPem, now: () => p.now, random: fixedRandom(CLIENT_RANDOM_SEED), ...c.opts(), ...extra });
}

export function makeServer(config: number, extra: ServerOptions | Record<string, never> = {}): TlsConnection {
  const s = SERVER_CONFIGS[config % SERVER_CONFIGS.length]!;
  const p = pki();
  return TlsConnection.server({ now: () => p.now, random: fixedRandom(SERVER_RANDOM_SEED), ...s.opts(), ...extra } as ServerOptions);
}

/**
 * Handshake messages of the captured TLS 1.3 sessions (vectors/fuzz/handshakes): the
 * encrypted server flight (EncryptedExtensions, Certificate, CertificateVerify, Finished,
 * NewSessionTicket) opened with the secrets from the client's key log.
 */
export async function capturedEncryptedMessages(): Promise<Uint8Array[]> {
  const { tls13Protector } = await import('../../../src/record/protector.js');
  const { tls13Suite } = await import('../../../src/crypto/suites.js');
  const { nobleProvider: crypto } = await import('../../../src/crypto/noble.js');
  const out: Uint8Array[] = [];
  const dir = vectorPath('handshakes');
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('tls13.keylog')).sort()) {
    const base = f.slice(0, -'.keylog'.length);
    const s2cPath = path.join(dir, `${base}.s2c.bin`);
    if (!fs.existsSync(s2cPath)) continue;
    const secrets = new Map<string, Uint8Array>();
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      const [label, , secret] = line.trim().split(' ');
      if (label && secret) secrets.set(label, fromHex(secret));
    }
    const s2c = new Uint8Array(fs.readFileSync(s2cPath));
    // The suite from the ServerHello (first record).
    const sidLen = s2c[5 + 4 + 2 + 32] ?? 0;
    const at = 5 + 4 + 2 + 32 + 1 + sidLen;
    const suite = tls13Suite(((s2c[at] ?? 0) << 8) | (s2c[at + 1] ?? 0));
    const hs = secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET');
    if (!suite || !hs) continue;
    let opener = tls13Protector(crypto, suite, hs);
    let app = false;
    let content = new Uint8Array(0);
    for (let p = 0; p + 5 <= s2c.length; ) {
      const type = s2c[p]!;
      const len = (s2c[p + 3]! << 8) | s2c[p + 4]!;
      const rec = { type, version: 0x0303, fragment: s2c.subarray(p + 5, p + 5 + len) };
      p += 5 + len;
      if (type !== 23) continue;
      try {
        const r = opener.open(rec);
        if (r.type === 22) content = new Uint8Array([...content, ...r.content]);
      } catch {
        const appSecret = secrets.get('SERVER_TRAFFIC_SECRET_0');
        if (app || !appSecret) break;
        app = true;
        opener = tls13Protector(crypto, suite, appSecret);
        try {
          const r = opener.open(rec);
          if (r.type === 22) content = new Uint8Array([...content, ...r.content]);
        } catch {
          break;
        }
      }
    }
    for (let p = 0; p + 4 <= content.length; ) {
      const len = (content[p + 1]! << 16) | (content[p + 2]! << 8) | content[p + 3]!;
      if (p + 4 + len > content.length) break;
      out.push(content.slice(p, p + 4 + len));
      p += 4 + len;
    }
  }
  return out;
}
