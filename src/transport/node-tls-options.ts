/**
 * Node `tls` option names for `puretls/node` (issue 11 item 3, "never silent"): every option
 * of `tls.connect`, `tls.createServer` and `tls.createSecureContext` is either translated into
 * puretls options with Node's meaning, or refused with `TlsError('InvalidConfig')` naming
 * what to use instead. Nothing is ignored silently.
 *
 * Translated here (the rest is handled where it acts: dialling options in `connect`,
 * `SNICallback` in the server):
 * - `ciphers`: an OpenSSL cipher string (names such as `ECDHE-RSA-AES128-GCM-SHA256`,
 *   keywords such as `HIGH`, `!aNULL`, `ECDHE+AESGCM`, `@SECLEVEL=2`) or IANA names
 *   (`TLS_AES_128_GCM_SHA256`, `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`), separated by `:`
 *   (also `,` or spaces). As in Node, TLS 1.3 suites are the `TLS_AES_*` / `TLS_CHACHA20_*`
 *   names: a string without one leaves the TLS 1.3 suites at their default, a string with
 *   TLS 1.3 names only makes the endpoint TLS 1.3 only. OpenSSL suite names puretls does not implement (CBC,
 *   DHE, static RSA, ...) are skipped as OpenSSL skips unavailable ones; an unknown word,
 *   or a string that leaves no suite puretls implements, is `InvalidConfig`;
 * - `ecdhCurve`: `'auto'` or a `:`-separated list of OpenSSL / IANA group names
 *   (`X25519`, `prime256v1`, `P-256`, `secp384r1`, ...) → `groups`; groups OpenSSL knows
 *   and puretls does not (P-521, X448, ffdhe*) are skipped, an unknown name or an empty
 *   result is `InvalidConfig`;
 * - `sigalgs`: IANA scheme names (`rsa_pss_rsae_sha256`) or OpenSSL's `ALG+HASH` form
 *   (`ECDSA+SHA256`, `RSA-PSS+SHA256`, `RSA+SHA256`, `ed25519`) → `signatureSchemes`, with
 *   the same rule;
 * - `ALPNProtocols` as strings, Buffers / TypedArrays / DataViews, or one wire-format buffer
 *   (`[len][name]...`) → strings (each name must be UTF-8; RFC 7301 §3.1: 1..255 bytes);
 * - `secureProtocol`: `TLS_method` / `SSLv23_method` (any version; also `_client_` /
 *   `_server_` forms), `TLSv1_2_method` (TLS 1.2 only); older ones are `InvalidConfig`;
 * - `secureOptions`: the OpenSSL flags that describe what puretls does anyway (no SSLv2/3,
 *   TLS 1.0/1.1, compression or renegotiation, server cipher preference) are accepted;
 *   `SSL_OP_NO_TLSv1_2` / `SSL_OP_NO_TLSv1_3` set the versions, `SSL_OP_NO_TICKET` turns
 *   tickets off (server); any other flag is `InvalidConfig`;
 * - `honorCipherOrder: true` (server): puretls servers always choose by their own order;
 *   `false` is `InvalidConfig` on a server (the client's order is never followed); a
 *   client ignores it, as Node's does;
 * - `enableTrace: true`: the decoded handshake is written to stderr (Node prints OpenSSL's
 *   trace there); `trace` takes a function;
 * - `dhparam: 'auto'` and `minDHSize` (puretls has no finite-field DHE suites, so the first
 *   chooses nothing and the second can never be violated); any other `dhparam` is refused.
 *
 * @module
 */
import * as tls from 'node:tls';
import { TlsError } from '../base/errors.js';
import type { TraceEvent } from '../config/config.js';
import { TLS12_SUITES, TLS13_SUITES, type Tls12Suite } from '../crypto/suites.js';
import { CipherSuite, NamedGroup, SignatureScheme } from '../wire/codes.js';

/** Node's ALPN forms: an array of names (strings or bytes), or one wire-format buffer. */
export type NodeAlpnInput = readonly (string | Uint8Array | DataView)[] | Uint8Array | DataView;

/**
 * Node `tls` options puretls takes with Node's meaning on top of its own (both roles). See
 * the module comment for each.
 */
export interface NodeTlsCommonOptions {
  /** OpenSSL cipher string or IANA names, `:`-separated (see the module comment). */
  ciphers?: string;
  /** `'auto'` or `:`-separated group names (OpenSSL or IANA). */
  ecdhCurve?: string;
  /** `:`-separated signature schemes (IANA names or OpenSSL's `ALG+HASH`). */
  sigalgs?: string;
  /** `TLS_method` / `SSLv23_method` (any version) or `TLSv1_2_method`. */
  secureProtocol?: string;
  /** OpenSSL option flags (see the module comment for the ones accepted). */
  secureOptions?: number;
  /** Server: `true` only (puretls servers always choose by their own order). */
  honorCipherOrder?: boolean;
  /** `true`: the decoded handshake is written to stderr. */
  enableTrace?: boolean;
  /** `'auto'` only: puretls has no finite-field DHE suites. */
  dhparam?: 'auto';
  /** Accepted: puretls never negotiates finite-field DHE, so no DH size is ever below it. */
  minDHSize?: number;
  // ---- refused: each is a type error here and InvalidConfig at the call ----
  /** Not supported (external PSKs): use certificates. */
  pskCallback?: never;
  /** Not supported (external PSKs): use certificates. */
  pskIdentityHint?: never;
  /** Not supported: pass `verifier`, or use OCSP (`requireRevocationInformation`). */
  crl?: never;
  /** Not supported (OpenSSL engines): pass an opaque key (`node:crypto` KeyObject, CryptoKey or a signer) as `key`. */
  clientCertEngine?: never;
  /** Not supported (OpenSSL engines): pass an opaque key (`node:crypto` KeyObject, CryptoKey or a signer) as `key`. */
  privateKeyEngine?: never;
  /** Not supported (OpenSSL engines): pass an opaque key (`node:crypto` KeyObject, CryptoKey or a signer) as `key`. */
  privateKeyIdentifier?: never;
  /** Not supported: sessions are already kept per config (build another config to separate them). */
  sessionIdContext?: never;
  /** Not supported: an intermediate cannot be a trust anchor; pass the root as `ca`. */
  allowPartialTrustChain?: never;
  /** Not supported: read from the socket (`'data'` / `read()`). */
  onread?: never;
}

/** Every key of {@link NodeTlsCommonOptions} that puretls translates (the refused ones are in {@link REFUSED}). */
export const NODE_TLS_OPTION_NAMES: readonly string[] = Object.freeze([
  'ciphers', 'ecdhCurve', 'sigalgs', 'secureProtocol', 'secureOptions', 'honorCipherOrder', 'enableTrace', 'dhparam', 'minDHSize',
]);

/** Node options refused by name, with what to use instead. */
const REFUSED: Readonly<Record<string, string>> = {
  pskCallback: 'external pre-shared keys are not supported: use certificates',
  pskIdentityHint: 'external pre-shared keys are not supported: use certificates',
  crl: 'CRLs are not supported: pass a `verifier`, or require OCSP stapling with `requireRevocationInformation`',
  clientCertEngine: 'OpenSSL engines are not supported: pass an opaque key (node:crypto KeyObject, CryptoKey or a signer) as `key`',
  privateKeyEngine: 'OpenSSL engines are not supported: pass an opaque key (node:crypto KeyObject, CryptoKey or a signer) as `key`',
  privateKeyIdentifier: 'OpenSSL engines are not supported: pass an opaque key (node:crypto KeyObject, CryptoKey or a signer) as `key`',
  sessionIdContext: 'not supported: sessions are kept per config; build a separate config (createServerConfig) to keep sessions apart',
  allowPartialTrustChain: 'not supported: an intermediate is never a trust anchor; pass the root certificate as `ca`',
  onread: "not supported: read from the socket ('data' events or read())",
  ALPNCallback: 'not supported: list the protocols in ALPNProtocols (the server picks the first of its list the client offers)',
  pauseOnConnect: 'not supported: the TLS server reads each connection from its first byte',
};

/** Values of refused options that mean "off" in Node (given explicitly, they are accepted). */
function refusedIsOff(key: string, v: unknown): boolean {
  if (key === 'allowPartialTrustChain' || key === 'pauseOnConnect') return v === false;
  return false;
}

/** `table[key]` for the table's own keys only (a caller's `'__proto__'` or `'constructor'` is no name). */
function own<V>(table: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function invalid(detail: string): TlsError {
  return new TlsError('InvalidConfig', { detail, source: 'caller' });
}

// ------------------------------------------------------------------ ciphers

/** What an OpenSSL keyword or name can select among the suites puretls implements. */
type SuitePredicate = (s: Tls12Suite) => boolean;

const ALL12: SuitePredicate = () => true;
const NONE: SuitePredicate = () => false;

/** OpenSSL's name of each TLS 1.2 suite puretls implements. */
const OPENSSL_NAME: Readonly<Record<number, string>> = {
  [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]: 'ECDHE-RSA-AES128-GCM-SHA256',
  [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  [CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]: 'ECDHE-RSA-AES256-GCM-SHA384',
  [CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256]: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  [CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256]: 'ECDHE-RSA-CHACHA20-POLY1305',
};

/**
 * OpenSSL's name of a suite puretls implements (`ECDHE-RSA-AES128-GCM-SHA256`), or its IANA
 * name for TLS 1.3 suites (OpenSSL uses those); Node's `getCipher().name`.
 */
export function opensslSuiteName(iana: string): string {
  for (const s of TLS12_SUITES) if (s.name === iana) return OPENSSL_NAME[s.code] ?? iana;
  return iana;
}

/**
 * OpenSSL cipher-string keywords (`man openssl-ciphers`) as predicates over the suites
 * puretls implements (all ECDHE with AEAD, TLS 1.2). A keyword naming only what puretls
 * lacks selects nothing (so `!RC4` is harmless and `RC4` alone leaves nothing).
 */
const KEYWORDS: Readonly<Record<string, SuitePredicate>> = {
  DEFAULT: ALL12, ALL: ALL12, HIGH: ALL12, FIPS: (s) => s.aead !== 'CHACHA20-POLY1305', 'TLSv1.2': ALL12,
  COMPLEMENTOFDEFAULT: NONE, COMPLEMENTOFALL: NONE, MEDIUM: NONE, LOW: NONE, EXPORT: NONE, EXP: NONE,
  ECDHE: ALL12, EECDH: ALL12, kECDHE: ALL12, kEECDH: ALL12, ECDH: ALL12,
  aRSA: (s) => s.auth === 'rsa', RSA: (s) => s.auth === 'rsa', aECDSA: (s) => s.auth === 'ecdsa', ECDSA: (s) => s.auth === 'ecdsa',
  AESGCM: (s) => s.aead !== 'CHACHA20-POLY1305', AES: (s) => s.aead !== 'CHACHA20-POLY1305',
  AES128: (s) => s.aead === 'AES-128-GCM', AES256: (s) => s.aead === 'AES-256-GCM', CHACHA20: (s) => s.aead === 'CHACHA20-POLY1305',
  SHA256: (s) => s.hash === 'sha256', SHA384: (s) => s.hash === 'sha384', AEAD: ALL12,
  SUITEB128: (s) => s.auth === 'ecdsa' && s.aead !== 'CHACHA20-POLY1305', SUITEB128ONLY: (s) => s.auth === 'ecdsa' && s.aead === 'AES-128-GCM',
  SUITEB192: (s) => s.auth === 'ecdsa' && s.aead === 'AES-256-GCM', SUITEB128C2: (s) => s.auth === 'ecdsa' && s.aead === 'AES-256-GCM',
  // Keywords for what puretls does not implement: they select nothing.
  eNULL: NONE, NULL: NONE, aNULL: NONE, kRSA: NONE, kDHE: NONE, kEDH: NONE, DH: NONE, DHE: NONE, EDH: NONE, ADH: NONE, AECDH: NONE,
  aDSS: NONE, DSS: NONE, kDHr: NONE, kDHd: NONE, kDH: NONE, kECDHr: NONE, kECDHe: NONE, kECDH: NONE, aECDH: NONE, aDH: NONE,
  'TLSv1.0': NONE, TLSv1: NONE, SSLv3: NONE, SSLv2: NONE, AESCCM: NONE, AESCCM8: NONE, ARIA: NONE, ARIA128: NONE, ARIA256: NONE, ARIAGCM: NONE,
  CAMELLIA: NONE, CAMELLIA128: NONE, CAMELLIA256: NONE, '3DES': NONE, DES: NONE, RC4: NONE, RC2: NONE, IDEA: NONE, SEED: NONE, MD5: NONE,
  SHA1: NONE, SHA: NONE, GOST: NONE, GOST94: NONE, GOST89MAC: NONE, kGOST: NONE, aGOST: NONE, aGOST01: NONE, kGOST18: NONE,
  PSK: NONE, kPSK: NONE, kECDHEPSK: NONE, kDHEPSK: NONE, kRSAPSK: NONE, aPSK: NONE, SRP: NONE, kSRP: NONE, aSRP: NONE, CBC: NONE,
  CHACHA20POLY1305: (s) => s.aead === 'CHACHA20-POLY1305',
};

/** Words of OpenSSL suite names (`DHE-RSA-AES128-SHA256` ...): a name made only of them is a real suite name. */
const SUITE_WORDS = new Set([
  'ECDHE', 'ECDH', 'DHE', 'EDH', 'DH', 'ADH', 'AECDH', 'RSA', 'ECDSA', 'DSS', 'PSK', 'SRP', 'AES128', 'AES256', 'AES', 'GCM', 'CCM', 'CCM8',
  'CBC', 'CBC3', 'DES', 'RC4', 'RC2', 'MD5', 'SHA', 'SHA256', 'SHA384', 'CHACHA20', 'POLY1305', 'CAMELLIA128', 'CAMELLIA256', 'SEED', 'IDEA',
  'ARIA128', 'ARIA256', 'NULL', 'EXP', 'EXP1024', '3DES', 'GOST2001', 'GOST2012', 'GOST89', 'GOST94', 'IMIT', 'KUZNYECHIK', 'MAGMA', 'CTR', 'OMAC',
  'ANON', 'DSS', 'KRB5', 'ECCPWD', 'SM4', 'SM3',
]);

/**
 * OpenSSL-era TLS 1.3 suite names Node puts in `ciphers`: these go to TLS 1.3 (as Node's
 * `processCiphers` splits them), everything else is a TLS 1.2 cipher string.
 */
function tls13SuiteCode(name: string): number | 'legacy' | undefined {
  const s = TLS13_SUITES.find((x) => x.name === name);
  if (s) return s.code;
  if (name === 'TLS_AES_128_CCM_SHA256' || name === 'TLS_AES_128_CCM_8_SHA256') return 'legacy';
  return undefined;
}

/** The suites of a Node `ciphers` string and what it says about versions (see the module comment). */
export interface ParsedCiphers {
  /** TLS 1.3 then TLS 1.2 code points, each in the string's order. */
  readonly cipherSuites: readonly number[];
  /** True when the string names TLS 1.3 suites puretls lacks only (the CCM ones): TLS 1.2 only then. */
  readonly tls12Only: boolean;
  /** True when the string names TLS 1.3 suites only: Node then makes the endpoint TLS 1.3 only. */
  readonly tls13Only: boolean;
}

/**
 * Parses a Node `ciphers` option.
 * @throws TlsError('InvalidConfig') for an unknown word, or no suite puretls implements
 */
export function parseCiphers(ciphers: string): ParsedCiphers {
  if (typeof ciphers !== 'string') throw invalid('ciphers must be a string (an OpenSSL cipher string or IANA suite names)');
  const tokens = ciphers.split(/[:,\s]+/).filter((t) => t !== '');
  const tls13: number[] = [];
  let any13Named = false;
  const legacy: string[] = [];
  // OpenSSL's cipher-list algorithm, over our six suites: add, remove (-), kill (!), move to end (+).
  let active: Tls12Suite[] = [];
  const killed = new Set<number>();
  for (const raw of tokens) {
    if (raw.startsWith('@')) {
      // @STRENGTH sorts by key length, @SECLEVEL=n restricts weak keys: every suite we have is 128-bit or stronger.
      if (/^@STRENGTH$|^@SECLEVEL=[0-5]$/.test(raw)) continue;
      throw invalid(`ciphers: unknown directive '${raw}'`);
    }
    const op = raw[0] === '!' || raw[0] === '-' || raw[0] === '+' ? raw[0] : '';
    const word = op ? raw.slice(1) : raw;
    const t13 = tls13SuiteCode(word);
    if (t13 !== undefined) {
      any13Named = true;
      if (op !== '') throw invalid(`ciphers: '${raw}': TLS 1.3 suites are listed, not excluded (leave it out)`);
      if (t13 === 'legacy') legacy.push(word);
      else if (!tls13.includes(t13)) tls13.push(t13);
      continue;
    }
    const pred = suitePredicate(word, legacy);
    if (!pred) throw invalid(`ciphers: unknown cipher or keyword '${word}' (puretls takes OpenSSL names such as ECDHE-RSA-AES128-GCM-SHA256, keywords such as HIGH or !aNULL, or IANA names)`);
    const matches = TLS12_SUITES.filter(pred);
    if (op === '!') {
      for (const s of matches) killed.add(s.code);
      active = active.filter((s) => !pred(s));
    } else if (op === '-') {
      active = active.filter((s) => !pred(s));
    } else if (op === '+') {
      const moved = active.filter(pred);
      active = [...active.filter((s) => !pred(s)), ...moved];
    } else {
      for (const s of matches) if (!killed.has(s.code) && !active.includes(s)) active.push(s);
    }
  }
  const tls12 = active.map((s) => s.code);
  // A TLS 1.2 part that selects nothing is refused unless TLS 1.3 suites were named (Node's
  // OpenSSL would keep its TLS 1.3 defaults and the legacy suites: never silently here).
  if (tls12.length === 0 && tls13.length === 0) {
    const why = legacy.length > 0 ? `only suites puretls does not implement (${legacy.join(', ')}; puretls has ECDHE with AES-GCM or ChaCha20-Poly1305 only)` : 'no suite puretls implements';
    throw invalid(`ciphers '${ciphers}' selects ${why}`);
  }
  if (tls12.length === 0 && !any13Named) throw invalid(`ciphers '${ciphers}' selects no suite puretls implements`);
  // As Node's processCiphers: without TLS 1.3 names the TLS 1.3 suites stay the default ones.
  const suites13 = any13Named ? tls13 : TLS13_SUITES.map((s) => s.code);
  return { cipherSuites: [...suites13, ...tls12], tls12Only: any13Named && tls13.length === 0, tls13Only: tls12.length === 0 };
}

/** The predicate of one word (keyword, `A+B` combination, OpenSSL or IANA name), or undefined if unknown. */
function suitePredicate(word: string, legacy: string[]): SuitePredicate | undefined {
  if (word.includes('+')) {
    const parts = word.split('+').map((w) => (w === '' ? undefined : suitePredicate(w, [])));
    if (parts.some((p) => p === undefined)) return undefined;
    return (s) => parts.every((p) => p!(s));
  }
  const kw = own(KEYWORDS, word);
  if (kw) return kw;
  for (const s of TLS12_SUITES) {
    if (OPENSSL_NAME[s.code] === word || s.name === word) return (x) => x.code === s.code;
  }
  // A real suite name puretls does not implement (from Node's list, or made of OpenSSL's words, or a registered IANA name).
  const known = tls.getCiphers().includes(word.toLowerCase()) || word.split('-').every((w) => SUITE_WORDS.has(w)) || knownIanaSuite(word);
  if (known) {
    legacy.push(word);
    return NONE;
  }
  return undefined;
}

function knownIanaSuite(name: string): boolean {
  return own(CipherSuite as Record<string, number>, name) !== undefined;
}

// ------------------------------------------------------------------ groups and sigalgs

/** OpenSSL / IANA group names puretls implements. */
const GROUP_NAMES: Readonly<Record<string, number>> = {
  X25519: NamedGroup.x25519, x25519: NamedGroup.x25519,
  prime256v1: NamedGroup.secp256r1, 'P-256': NamedGroup.secp256r1, secp256r1: NamedGroup.secp256r1,
  secp384r1: NamedGroup.secp384r1, 'P-384': NamedGroup.secp384r1,
};

/** Group names OpenSSL knows that puretls does not implement. */
const LEGACY_GROUPS = new Set(['X448', 'x448', 'secp521r1', 'P-521', 'ffdhe2048', 'ffdhe3072', 'ffdhe4096', 'ffdhe6144', 'ffdhe8192', 'brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'secp224r1', 'P-224', 'secp256k1', 'prime192v1', 'P-192', 'brainpoolP256r1tls13', 'brainpoolP384r1tls13', 'brainpoolP512r1tls13']);

/**
 * Parses a Node `ecdhCurve` option: undefined for `'auto'` (puretls's defaults), else the
 * groups in order.
 * @throws TlsError('InvalidConfig') for an unknown name or no group puretls implements
 */
export function parseEcdhCurve(v: string): (string | number)[] | undefined {
  if (typeof v !== 'string') throw invalid("ecdhCurve must be a string ('auto' or ':'-separated group names)");
  if (v === 'auto') return undefined;
  const out: (string | number)[] = [];
  const skipped: string[] = [];
  for (const name of v.split(':')) {
    const code = own(GROUP_NAMES, name);
    if (code !== undefined) {
      if (!out.includes(code)) out.push(code);
      continue;
    }
    // Names added to the registry later (post-quantum hybrids) resolve by their IANA name.
    if (/^[A-Za-z0-9]+$/.test(name) && !LEGACY_GROUPS.has(name) && isRegisteredGroup(name)) {
      out.push(name);
      continue;
    }
    if (LEGACY_GROUPS.has(name)) {
      skipped.push(name);
      continue;
    }
    throw invalid(`ecdhCurve: unknown group '${name}' (puretls has X25519, P-256 and P-384)`);
  }
  if (out.length === 0) throw invalid(`ecdhCurve '${v}' names no group puretls implements (skipped: ${skipped.join(', ')}; puretls has X25519, P-256 and P-384)`);
  return out;
}

function isRegisteredGroup(name: string): boolean {
  return own(NamedGroup as Record<string, number>, name) !== undefined;
}

/** OpenSSL `ALG+HASH` forms → IANA scheme. */
const SIGALG_PAIRS: Readonly<Record<string, number>> = {
  'ECDSA+SHA256': SignatureScheme.ecdsa_secp256r1_sha256,
  'ECDSA+SHA384': SignatureScheme.ecdsa_secp384r1_sha384,
  'RSA+SHA256': SignatureScheme.rsa_pkcs1_sha256,
  'RSA+SHA384': SignatureScheme.rsa_pkcs1_sha384,
  'RSA+SHA512': SignatureScheme.rsa_pkcs1_sha512,
  'RSA-PSS+SHA256': SignatureScheme.rsa_pss_rsae_sha256,
  'RSA-PSS+SHA384': SignatureScheme.rsa_pss_rsae_sha384,
  'RSA-PSS+SHA512': SignatureScheme.rsa_pss_rsae_sha512,
  'PSS+SHA256': SignatureScheme.rsa_pss_rsae_sha256,
  'PSS+SHA384': SignatureScheme.rsa_pss_rsae_sha384,
  'PSS+SHA512': SignatureScheme.rsa_pss_rsae_sha512,
  ed25519: SignatureScheme.ed25519,
  ED25519: SignatureScheme.ed25519,
};

/** Scheme names OpenSSL knows that puretls does not implement (SHA-1, SHA-224, P-521, Ed448, ...). */
function legacySigalg(name: string): boolean {
  return /^(?:ECDSA|RSA|DSA|RSA-PSS|PSS)\+(?:SHA1|SHA224|SHA512)$/.test(name) || /^(?:ed448|ED448|ecdsa_secp521r1_sha512|ecdsa_sha1|rsa_pkcs1_sha1|dsa_\w+|ecdsa_brainpool\w+|ecdsa_sha224|rsa_pkcs1_sha224)$/.test(name);
}

/**
 * Parses a Node `sigalgs` option into signature-scheme code points.
 * @throws TlsError('InvalidConfig') for an unknown name or no scheme puretls implements
 */
export function parseSigalgs(v: string, implemented: readonly number[]): number[] {
  if (typeof v !== 'string') throw invalid("sigalgs must be a string (':'-separated signature schemes)");
  const out: number[] = [];
  const skipped: string[] = [];
  for (const name of v.split(':')) {
    const pair = own(SIGALG_PAIRS, name);
    const iana = own(SignatureScheme as Record<string, number>, name);
    const code = pair ?? iana;
    if (code !== undefined && implemented.includes(code)) {
      if (!out.includes(code)) out.push(code);
    } else if (code !== undefined || legacySigalg(name)) {
      skipped.push(name);
    } else {
      throw invalid(`sigalgs: unknown signature scheme '${name}' (IANA names such as rsa_pss_rsae_sha256, or OpenSSL's ECDSA+SHA256 form)`);
    }
  }
  if (out.length === 0) throw invalid(`sigalgs '${v}' names no signature scheme puretls implements (skipped: ${skipped.join(', ')})`);
  return out;
}

// ------------------------------------------------------------------ ALPN

/**
 * Node's `ALPNProtocols` forms as a list of names.
 * @throws TlsError('InvalidConfig') for a malformed wire-format buffer or a name that is not UTF-8
 */
export function alpnNames(v: NodeAlpnInput): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const bytesOf = (b: Uint8Array | DataView): Uint8Array => (b instanceof Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  const name = (b: Uint8Array): string => {
    try {
      return decoder.decode(b);
    } catch {
      throw invalid('ALPNProtocols: a protocol name is not UTF-8 (puretls keeps ALPN names as strings)');
    }
  };
  if (Array.isArray(v)) return (v as readonly (string | Uint8Array | DataView)[]).map((p) => (typeof p === 'string' ? p : p instanceof Uint8Array || p instanceof DataView ? name(bytesOf(p)) : (p as string)));
  if (v instanceof Uint8Array || v instanceof DataView) {
    // RFC 7301 §3.1 ProtocolNameList without its outer length: [len][name]...
    const b = bytesOf(v);
    const out: string[] = [];
    for (let i = 0; i < b.length; ) {
      const n = b[i]!;
      if (n === 0 || i + 1 + n > b.length) throw invalid('ALPNProtocols: malformed wire-format buffer (each name is a length byte 1..255 then that many bytes)');
      out.push(name(b.subarray(i + 1, i + 1 + n)));
      i += 1 + n;
    }
    return out;
  }
  throw invalid('ALPNProtocols must be an array of strings or buffers, or one wire-format buffer');
}

// ------------------------------------------------------------------ versions and flags

/**
 * OpenSSL 3's `SSL_OP_*` values, as `require('node:crypto').constants` gives them (public
 * ABI of OpenSSL 3; a test checks this table against `node:crypto`). Written out here
 * because only the native provider may import `node:crypto` (test/api/layering.test.ts).
 */
export const SSL_OP: Readonly<Record<string, number>> = Object.freeze({
  SSL_OP_ALL: 0x80000850,
  SSL_OP_ALLOW_NO_DHE_KEX: 0x400,
  SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION: 0x40000,
  SSL_OP_CIPHER_SERVER_PREFERENCE: 0x400000,
  SSL_OP_CISCO_ANYCONNECT: 0x8000,
  SSL_OP_COOKIE_EXCHANGE: 0x2000,
  SSL_OP_CRYPTOPRO_TLSEXT_BUG: 0x80000000,
  SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS: 0x800,
  SSL_OP_LEGACY_SERVER_CONNECT: 0x4,
  SSL_OP_NO_COMPRESSION: 0x20000,
  SSL_OP_NO_ENCRYPT_THEN_MAC: 0x80000,
  SSL_OP_NO_QUERY_MTU: 0x1000,
  SSL_OP_NO_RENEGOTIATION: 0x40000000,
  SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION: 0x10000,
  SSL_OP_NO_SSLv2: 0x0,
  SSL_OP_NO_SSLv3: 0x2000000,
  SSL_OP_NO_TICKET: 0x4000,
  SSL_OP_NO_TLSv1: 0x4000000,
  SSL_OP_NO_TLSv1_1: 0x10000000,
  SSL_OP_NO_TLSv1_2: 0x8000000,
  SSL_OP_NO_TLSv1_3: 0x20000000,
  SSL_OP_PRIORITIZE_CHACHA: 0x200000,
  SSL_OP_TLS_ROLLBACK_BUG: 0x800000,
});

function opConstants(): Record<string, number | undefined> {
  return SSL_OP;
}

/** The OpenSSL option flags accepted in `secureOptions` because puretls behaves that way already. */
function harmlessSecureOptions(): number {
  const c = opConstants();
  let mask = 0;
  for (const k of [
    'SSL_OP_NO_SSLv2', 'SSL_OP_NO_SSLv3', 'SSL_OP_NO_TLSv1', 'SSL_OP_NO_TLSv1_1', 'SSL_OP_NO_COMPRESSION', 'SSL_OP_NO_RENEGOTIATION',
    'SSL_OP_NO_SESSION_RESUMPTION_ON_RENEGOTIATION', 'SSL_OP_CIPHER_SERVER_PREFERENCE', 'SSL_OP_SINGLE_ECDH_USE', 'SSL_OP_SINGLE_DH_USE',
    'SSL_OP_NO_QUERY_MTU', 'SSL_OP_ALL', 'SSL_OP_NO_ENCRYPT_THEN_MAC', 'SSL_OP_PRIORITIZE_CHACHA', 'SSL_OP_NO_ANTI_REPLAY',
    'SSL_OP_CRYPTOPRO_TLSEXT_BUG', 'SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS', 'SSL_OP_LEGACY_SERVER_CONNECT', 'SSL_OP_TLSEXT_PADDING',
    'SSL_OP_NO_EXTENDED_MASTER_SECRET',
  ]) {
    // SSL_OP_ALL is a set of bug workarounds for peers OpenSSL talks to; none changes what puretls sends.
    if (k === 'SSL_OP_NO_EXTENDED_MASTER_SECRET') continue;
    mask |= c[k] ?? 0;
  }
  return mask >>> 0;
}

/** What `secureProtocol` / `secureOptions` say about versions and tickets. */
interface ProtocolFacts {
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  noTickets?: boolean;
}

function secureProtocolFacts(v: string): ProtocolFacts {
  if (typeof v !== 'string') throw invalid('secureProtocol must be a string');
  if (/^(?:TLS|SSLv23)(?:_client|_server)?_method$/.test(v)) return {};
  if (/^TLSv1_2(?:_client|_server)?_method$/.test(v)) return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
  if (/^(?:TLSv1|TLSv1_1|SSLv3|SSLv2)(?:_client|_server)?_method$/.test(v)) {
    throw invalid(`secureProtocol '${v}' selects a version puretls refuses (TLS 1.2 and 1.3 only): use minVersion / maxVersion`);
  }
  throw invalid(`secureProtocol: unknown method '${v}' (use minVersion / maxVersion)`);
}

function secureOptionsFacts(v: number, role: 'client' | 'server'): ProtocolFacts {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw invalid('secureOptions must be an unsigned 32-bit integer of OpenSSL SSL_OP_* flags');
  const c = opConstants();
  let rest = v >>> 0;
  const facts: ProtocolFacts = {};
  const take = (name: string): boolean => {
    const bit = c[name];
    if (bit === undefined || (rest & bit) !== bit || bit === 0) return false;
    rest = (rest & ~bit) >>> 0;
    return true;
  };
  const no12 = take('SSL_OP_NO_TLSv1_2');
  const no13 = take('SSL_OP_NO_TLSv1_3');
  if (no12 && no13) throw invalid('secureOptions turns off both TLS 1.2 and TLS 1.3: nothing left');
  if (no12) facts.minVersion = 'TLSv1.3';
  if (no13) facts.maxVersion = 'TLSv1.2';
  if (take('SSL_OP_NO_TICKET')) {
    if (role === 'client') throw invalid('secureOptions SSL_OP_NO_TICKET on a client: pass sessionStore: false to never resume');
    facts.noTickets = true;
  }
  rest = (rest & ~harmlessSecureOptions()) >>> 0;
  if (rest !== 0) {
    const names = Object.entries(c)
      .filter(([k, bit]) => k.startsWith('SSL_OP_') && bit !== undefined && bit !== 0 && (rest & bit) === bit)
      .map(([k]) => k);
    throw invalid(`secureOptions: flag(s) ${names.length > 0 ? names.join(', ') : `0x${rest.toString(16)}`} not supported by puretls (use minVersion / maxVersion, cipherSuites, sessionTickets)`);
  }
  return facts;
}

// ------------------------------------------------------------------ the translation

/** A trace printer for `enableTrace: true`. */
function stderrTrace(e: TraceEvent): void {
  process.stderr.write(`puretls ${e.direction === 'sent' ? '>>>' : '<<<'} ${e.kind}: ${e.summary}\n`);
}

/**
 * Translates the Node `tls` options of `o` into puretls options and refuses the ones
 * puretls does not take (see the module comment); returns a new object without the Node
 * names (other keys are kept as they are). Idempotent.
 *
 * @param implementedSchemes - the signature schemes `sigalgs` may name
 * @throws TlsError('InvalidConfig') for a refused option, an invalid value, or a Node option
 *   next to the puretls option it translates to (`ciphers` and `cipherSuites`, ...)
 */
export function fromNodeTlsOptions<T extends object>(o: T, role: 'client' | 'server', implementedSchemes: readonly number[]): T {
  if (typeof o !== 'object' || o === null) return o;
  const src = o as Record<string, unknown>;
  let touched = false;
  for (const k of Object.keys(REFUSED)) {
    const v = src[k];
    if (v !== undefined && !refusedIsOff(k, v)) throw invalid(`${k}: ${REFUSED[k]}`);
    if (v !== undefined) touched = true;
  }
  for (const k of NODE_TLS_OPTION_NAMES) if (src[k] !== undefined) touched = true;
  const alpn = src.ALPNProtocols;
  const alpnNeedsWork = alpn !== undefined && !(Array.isArray(alpn) && alpn.every((p) => typeof p === 'string'));
  if (!touched && !alpnNeedsWork) return o;

  const out: Record<string, unknown> = { ...src };
  for (const k of [...NODE_TLS_OPTION_NAMES, ...Object.keys(REFUSED)]) delete out[k];
  const both = (node: string, ours: string): void => {
    if (src[node] !== undefined && src[ours] !== undefined) throw invalid(`${node} and ${ours} both given: pass one (${node} is Node's form of ${ours})`);
  };
  if (alpnNeedsWork) out.ALPNProtocols = alpnNames(alpn as NodeAlpnInput);

  // Versions: secureProtocol (exclusive with minVersion / maxVersion, as in Node), secureOptions, then ciphers.
  let facts: ProtocolFacts = {};
  if (src.secureProtocol !== undefined) {
    if (src.minVersion !== undefined || src.maxVersion !== undefined) throw invalid('secureProtocol cannot be combined with minVersion / maxVersion (as in Node): use minVersion / maxVersion');
    facts = secureProtocolFacts(src.secureProtocol as string);
  }
  if (src.secureOptions !== undefined) {
    const f = secureOptionsFacts(src.secureOptions as number, role);
    facts = { ...facts, ...(f.minVersion ? { minVersion: f.minVersion } : {}), ...(f.maxVersion ? { maxVersion: f.maxVersion } : {}), ...(f.noTickets ? { noTickets: true } : {}) };
  }
  if (facts.minVersion && out.minVersion === undefined) out.minVersion = facts.minVersion;
  if (facts.maxVersion && out.maxVersion === undefined) out.maxVersion = facts.maxVersion;
  if (facts.noTickets) {
    if (src.sessionTickets !== undefined && src.sessionTickets !== 0) throw invalid('secureOptions SSL_OP_NO_TICKET next to sessionTickets: pass one');
    out.sessionTickets = 0;
  }

  if (src.ciphers !== undefined) {
    both('ciphers', 'cipherSuites');
    const p = parseCiphers(src.ciphers as string);
    out.cipherSuites = p.cipherSuites;
    const min = out.minVersion === '1.3' ? 'TLSv1.3' : out.minVersion;
    const max = out.maxVersion === '1.2' ? 'TLSv1.2' : out.maxVersion;
    // As Node's createSecureContext: no TLS 1.3 suite named → TLS 1.2 only; TLS 1.3 names only → TLS 1.3 only.
    if (p.tls12Only) {
      if (min === 'TLSv1.3') throw invalid(`ciphers '${src.ciphers as string}' names no TLS 1.3 suite but minVersion is TLSv1.3 (TLS 1.3 suites are TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256)`);
      out.maxVersion = 'TLSv1.2';
    }
    if (p.tls13Only) {
      if (max === 'TLSv1.2') throw invalid(`ciphers '${src.ciphers as string}' names TLS 1.3 suites only but maxVersion is TLSv1.2`);
      out.minVersion = 'TLSv1.3';
    }
  }
  if (src.ecdhCurve !== undefined) {
    both('ecdhCurve', 'groups');
    const g = parseEcdhCurve(src.ecdhCurve as string);
    if (g !== undefined) out.groups = g;
  }
  if (src.sigalgs !== undefined) {
    both('sigalgs', 'signatureSchemes');
    out.signatureSchemes = parseSigalgs(src.sigalgs as string, implementedSchemes);
  }
  if (src.honorCipherOrder !== undefined) {
    // On a client (a context shared by both roles) it means nothing, as in Node.
    if (role === 'server' && src.honorCipherOrder !== true) throw invalid('honorCipherOrder: false is not supported: a puretls server always chooses by its own order (cipherSuites / ciphers)');
  }
  if (src.enableTrace !== undefined) {
    if (typeof src.enableTrace !== 'boolean') throw invalid('enableTrace must be a boolean');
    if (src.enableTrace) {
      if (src.trace !== undefined) throw invalid('enableTrace and trace both given: pass one (trace takes a function)');
      out.trace = stderrTrace;
    }
  }
  if (src.dhparam !== undefined && src.dhparam !== 'auto') throw invalid("dhparam: puretls has no finite-field DHE suites (ECDHE only); leave dhparam out (or 'auto')");
  if (src.minDHSize !== undefined && (typeof src.minDHSize !== 'number' || !(src.minDHSize > 0))) throw invalid('minDHSize must be a positive number');
  return out as T;
}
