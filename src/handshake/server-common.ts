/**
 * What the TLS 1.2 and TLS 1.3 servers share: parameters, version selection, and
 * certificate selection by SNI and signature schemes.
 *
 * @module
 */
import type { CertifiedKey } from '../config.js';
import { TlsError } from '../errors.js';
import { tls13Suite } from '../crypto/suites.js';
import { CipherSuite, ProtocolVersion, nameOf } from '../wire/codes.js';
import type { ClientHello, EeExtensions, HelloRetryRequestExtensions } from '../wire/messages.js';
import type { Context } from './state.js';
import type { PeerAuth } from './peer-auth.js';

/** Server-only settings the handshake needs. */
export interface ServerParams {
  readonly certificates: readonly CertifiedKey[];
  readonly sessionTickets: number;
  readonly encryptedExtensionsHook: ((ext: EeExtensions) => EeExtensions) | undefined;
  /** Test hook (RFC 8448 §5 replay): rewrites the HelloRetryRequest extensions. */
  readonly helloRetryRequestHook?: ((ext: HelloRetryRequestExtensions) => HelloRetryRequestExtensions) | undefined;
  /** Client certificates: not asked for, asked for, or required. */
  readonly clientAuth: 'none' | 'request' | 'require';
  /** How client certificates are judged. */
  readonly auth: PeerAuth;
}

/**
 * A peer-supplied list for an error message: IANA names (or printable-escaped strings),
 * at most 16 items, so a hostile ClientHello cannot make huge or control-character details.
 */
export function listForDetail(kind: 'suite' | 'group' | 'scheme' | 'version' | null, items: readonly (number | string)[]): string {
  const shown = items.slice(0, 16).map((it) => (typeof it === 'number' && kind !== null ? nameOf(kind, it) : JSON.stringify(String(it))));
  return items.length > 16 ? `${shown.join(', ')} and ${items.length - 16} more` : shown.join(', ');
}

/** True if a certificate name (possibly `*.example.com`) covers the SNI `name` (both lower case). */
export function nameMatches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (pattern.startsWith('*.')) {
    const dot = name.indexOf('.');
    return dot > 0 && name.slice(dot + 1) === pattern.slice(2);
  }
  return false;
}

/**
 * Picks the version (RFC 9846 §4.3.1 with supported_versions, RFC 5246 Appendix E.1
 * without) and enforces TLS_FALLBACK_SCSV (RFC 7507 §3).
 */
export function selectVersion(cx: Context, ch: ClientHello): 'TLSv1.3' | 'TLSv1.2' {
  const { minVersion } = cx.cfg;
  const maxVersion = highestVersion(cx);
  const sv = ch.extensions.supportedVersions;
  const offered = sv ?? [Math.min(ch.legacyVersion, ProtocolVersion.TLSv1_2)];
  const clientMax = Math.max(...offered.filter((v) => v >= ProtocolVersion.SSLv3 && v <= ProtocolVersion.TLSv1_3), 0);
  let chosen: 'TLSv1.3' | 'TLSv1.2' | null = null;
  if (sv !== undefined && sv.includes(ProtocolVersion.TLSv1_3) && maxVersion >= ProtocolVersion.TLSv1_3) chosen = 'TLSv1.3';
  else if (offered.includes(ProtocolVersion.TLSv1_2) && minVersion <= ProtocolVersion.TLSv1_2) chosen = 'TLSv1.2';
  else if (sv === undefined && ch.legacyVersion > ProtocolVersion.TLSv1_2 && minVersion <= ProtocolVersion.TLSv1_2) chosen = 'TLSv1.2';
  if (chosen === null) {
    const names = sv ? listForDetail('version', sv) : `${nameOf('version', ch.legacyVersion)} at most`;
    throw new TlsError('ProtocolVersion', {
      detail: `client offered ${names}; this server accepts ${minVersion === maxVersion ? nameOf('version', maxVersion) : 'TLSv1.2 and TLSv1.3'} only`,
    });
  }
  // RFC 7507 §3: a fallback retry below our highest version means an attacker interfered.
  if (ch.cipherSuites.includes(CipherSuite.TLS_FALLBACK_SCSV) && clientMax < maxVersion) {
    throw new TlsError('InappropriateFallback', { detail: `client signalled a fallback to ${nameOf('version', clientMax)}, below our highest version` });
  }
  return chosen;
}

/** The highest version we can really negotiate: TLS 1.3 needs a TLS 1.3 suite configured. */
export function highestVersion(cx: Context): number {
  const { maxVersion, suites } = cx.cfg;
  if (maxVersion >= ProtocolVersion.TLSv1_3 && !suites.some((s) => tls13Suite(s) !== undefined)) return ProtocolVersion.TLSv1_2;
  return maxVersion;
}

/** Certificate selection by SNI and the client's signature schemes for the given version's rules. */
export function selectCertificate(
  cx: Context,
  p: ServerParams,
  sni: string | undefined,
  schemes: readonly number[],
  version: 'TLSv1.2' | 'TLSv1.3',
  fits: (cert: CertifiedKey) => boolean = () => true,
): { cert: CertifiedKey; scheme: number } | null {
  const crypto = cx.cfg.crypto;
  const usable: { cert: CertifiedKey; scheme: number }[] = [];
  for (const cert of p.certificates) {
    if (!fits(cert)) continue;
    // Our preference order for the key, limited to what the client accepts and what we allow.
    const scheme = crypto.schemesForKey(cert.key, version).find((s) => schemes.includes(s) && cx.cfg.signatureSchemes.includes(s));
    if (scheme !== undefined) usable.push({ cert, scheme });
  }
  if (usable.length === 0) return null;
  if (sni) {
    const byName = usable.find((u) => u.cert.names.some((n) => nameMatches(n, sni)));
    if (byName) return byName;
  }
  return usable[0]!;
}
