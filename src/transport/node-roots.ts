/**
 * The root store of `puretls/node` (issue 11 item 5): the trust anchors a client uses when
 * given neither `ca` nor `verifier`, the same ones Node's `tls` uses by default.
 *
 * - On Node versions with `tls.getCACertificates` (22.15 / 23.10 and later): its
 *   `'default'` set, which is Node's own default store: the bundled Mozilla roots, the
 *   system store when Node runs with `--use-system-ca`, and `NODE_EXTRA_CA_CERTS`.
 * - Before that (Node 20): `tls.rootCertificates` (the bundled Mozilla roots) plus the
 *   certificates of the PEM file named by `NODE_EXTRA_CA_CERTS`, as Node adds them to its
 *   own store. As in Node, a file that cannot be read is reported by a process warning and
 *   the bundled roots are used alone.
 *
 * The store is read once per process, on first use (Node reads `NODE_EXTRA_CA_CERTS` once,
 * at start-up); the PEM texts are then parsed once by the verifier layer's cache.
 *
 * {@link systemRootCertificates} reads the operating system's store, for the CLI's
 * `--ca-system`.
 *
 * @module
 */
import * as tls from 'node:tls';
import { readFileSync } from 'node:fs';

/** `tls.getCACertificates`, on Node versions that have it. */
type GetCACertificates = (type?: 'default' | 'system' | 'bundled' | 'extra') => string[];

function getCACertificates(): GetCACertificates | undefined {
  let f: unknown;
  try {
    // A module mock (tests) may throw on a name it does not define.
    f = 'getCACertificates' in tls ? (tls as { getCACertificates?: unknown }).getCACertificates : undefined;
  } catch {
    f = undefined;
  }
  return typeof f === 'function' ? (f as GetCACertificates) : undefined;
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The PEM certificates in a text (anything else in the file is ignored, as OpenSSL does). */
function pemCertificates(text: string): string[] {
  return [...text.matchAll(PEM_CERTIFICATE)].map((m) => `${m[0]}\n`);
}

let defaultStore: readonly string[] | undefined;

/** How the default store was assembled (for tests and diagnostics). */
export interface RootStoreSource {
  /** `'getCACertificates'` (Node's own default set) or `'rootCertificates'` (+ extra file). */
  readonly from: 'getCACertificates' | 'rootCertificates';
  /** Certificates read from `NODE_EXTRA_CA_CERTS` by puretls itself (0 when Node's set was used). */
  readonly extra: number;
  /** Reads of the store so far (1 after the first use: it is loaded once per process). */
  readonly loads: number;
}

let source: { from: RootStoreSource['from']; extra: number } = { from: 'rootCertificates', extra: 0 };
let loads = 0;

/**
 * The trust anchors of a Node client by default (see the module comment), as PEM texts;
 * loaded once per process.
 */
export function nodeRootCertificates(): readonly string[] {
  if (defaultStore) return defaultStore;
  loads++;
  const get = getCACertificates();
  if (get) {
    defaultStore = Object.freeze(get('default'));
    source = { from: 'getCACertificates', extra: 0 };
    return defaultStore;
  }
  const extra: string[] = [];
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (file !== undefined && file !== '') {
    try {
      extra.push(...pemCertificates(readFileSync(file, 'latin1')));
    } catch (e) {
      // Node: "Warning: Ignoring extra certs from `file`, load failed: ..." and carries on.
      process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  defaultStore = Object.freeze([...tls.rootCertificates, ...extra]);
  source = { from: 'rootCertificates', extra: extra.length };
  return defaultStore;
}

/** How {@link nodeRootCertificates} assembled the store, and how many times it was loaded. */
export function rootStoreSource(): RootStoreSource {
  return { ...source, loads };
}

/** Where Linux and BSD distributions keep the system's PEM bundle (the first one present is read). */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/cert.pem', // Alpine, macOS (LibreSSL), FreeBSD
];

let systemStore: readonly string[] | undefined;

/**
 * The operating system's trust store, as PEM texts: `tls.getCACertificates('system')` where
 * Node has it, else the first PEM bundle found at the usual Linux/BSD paths (`SSL_CERT_FILE`
 * first when set). Loaded once per process. Empty when none is found.
 */
export function systemRootCertificates(): readonly string[] {
  if (systemStore) return systemStore;
  const get = getCACertificates();
  if (get) {
    try {
      systemStore = Object.freeze(get('system'));
      if (systemStore.length > 0) return systemStore;
    } catch {
      // fall back to the files
    }
  }
  const env = process.env.SSL_CERT_FILE;
  for (const path of env ? [env, ...SYSTEM_BUNDLES] : SYSTEM_BUNDLES) {
    try {
      const certs = pemCertificates(readFileSync(path, 'latin1'));
      if (certs.length > 0) return (systemStore = Object.freeze(certs));
    } catch {
      // next path
    }
  }
  return (systemStore = Object.freeze([]));
}
