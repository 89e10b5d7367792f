/**
 * Server identity checks: a reference identity (the name the client dialled) against
 * the presented identifiers in a certificate's subjectAltName (RFC 9525, which obsoletes
 * RFC 6125; RFC 5280 §4.2.1.6).
 *
 * Rules:
 * - A reference that parses as an IP literal (IPv4 dotted quad, or IPv6 per RFC 4291
 *   §2.2, optionally in brackets) is compared byte-for-byte with iPAddress entries only,
 *   so every textual form of one address matches (RFC 9525 §6.2). It never matches a
 *   dNSName entry, and a DNS reference never matches an iPAddress entry.
 * - DNS names compare case-insensitively in ASCII only (RFC 9525 §6.3, RFC 4343). One
 *   trailing dot on the reference is ignored (an absolute name); presented names with a
 *   trailing dot are malformed and never match.
 * - A wildcard is accepted only as the complete left-most label (`*.example.com`), matches
 *   exactly one non-empty label, never the parent domain itself, and needs at least two
 *   labels after it (no `*.com`). Partial wildcards (`f*o.example.com`, `xn--*.example`)
 *   never match: RFC 9525 §6.3 allows only the whole label, and RFC 6125 §6.4.3 forbids
 *   matching a wildcard inside an A-label.
 * - No fallback to the subject common name by default (RFC 9525 §6.3: "the client MUST
 *   NOT seek a match for a reference identifier of CN-ID"); a certificate without a SAN
 *   matches nothing. `commonNameFallback` (off by default) restores the RFC 6125 §6.4.4
 *   "last resort" for legacy certificates: only for a DNS reference, only when the
 *   certificate presents no dNSName and no iPAddress SAN entry at all, and only the last
 *   (most specific) CN of the subject, matched with the same rules as a dNSName. The
 *   verifier (engine.ts) does not fall back at all when any CN cannot be decoded or the
 *   subjectAltName is malformed: an earlier CN must not stand in for an unreadable one.
 * - Non-ASCII (U-label) references never match: callers convert them to A-labels first.
 *
 * @module
 */
import { bytesEqual } from '../base/bytes.js';

/** Parses an IPv4 dotted quad (exactly four decimal octets, no leading zeros). */
function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Leading zeros are ambiguous (octal in inet_aton), so they are refused rather than guessed.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

/** Parses an IPv6 address in RFC 4291 §2.2 text form (no zone identifier). */
function parseIpv6(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45) return null;
  let head = s;
  let tail = '';
  const dbl = s.indexOf('::');
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null; // at most one '::'
    head = s.slice(0, dbl);
    tail = s.slice(dbl + 2);
  }
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        // RFC 4291 §2.2 form 3: trailing embedded IPv4 takes two groups.
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return null;
  // An embedded IPv4 may only end the address.
  if (dbl >= 0 && head.includes('.')) return null;
  let all: number[];
  if (dbl >= 0) {
    if (h.length + t.length > 7) return null; // '::' stands for at least one group
    all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  } else {
    if (h.length !== 8) return null;
    all = h;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i]! >> 8;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

/**
 * Parses an IP literal: IPv4 dotted quad (4 bytes) or IPv6 (16 bytes), the latter
 * optionally in brackets as in URLs (`[::1]`). Zone identifiers (`fe80::1%eth0`) are refused.
 *
 * @returns the address bytes, or null if `text` is not an IP literal
 */
export function parseIpAddress(text: string): Uint8Array | null {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  else if (!s.includes(':')) return parseIpv4(s);
  if (!s.includes(':')) return null;
  return parseIpv6(s);
}

/**
 * Formats address bytes canonically: IPv4 dotted quad, IPv6 per RFC 5952 §4 (lower case,
 * leading zeros dropped, the longest run of two or more zero groups as `::`).
 */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) return `<${bytes.length}-byte address>`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g); // RFC 5952 §4.2.2: '::' never stands for a single group
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** ASCII-only lower-casing (RFC 4343 §3: case-insensitivity applies to ASCII letters only). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * Normalises a reference DNS name: ASCII lower case, one trailing dot removed. Returns the
 * labels, or null if it is not a usable host name (empty labels, over-long, non-ASCII,
 * wildcard characters, or an all-numeric last label, which would be an IP literal in disguise).
 */
function referenceLabels(name: string): string[] | null {
  let s = asciiLower(name);
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0 || s.length > 253) return null;
  const labels = s.split('.');
  for (const l of labels) if (!LABEL.test(l)) return null;
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return null;
  return labels;
}

/** Presented dNSName labels, or null if malformed. A wildcard appears as a first label of `*`. */
function presentedLabels(name: string): string[] | null {
  const s = asciiLower(name);
  if (s.length === 0 || s.length > 253) return null;
  const labels = s.split('.');
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i === 0 && l === '*') continue;
    if (!LABEL.test(l)) return null; // also refuses '*' anywhere else, partial wildcards and a trailing dot
  }
  if (labels[0] === '*' && labels.length < 3) return null; // no '*.com' and no bare '*'
  return labels;
}

/**
 * True if a presented dNSName (from a certificate) matches a reference DNS name
 * (RFC 9525 §6.3).
 *
 * @param presented - a SAN dNSName, possibly a wildcard (`*.example.com`)
 * @param reference - the name the client wants (`www.example.com`, `example.com.`)
 */
export function matchesDnsName(presented: string, reference: string): boolean {
  const ref = referenceLabels(reference);
  const pres = presentedLabels(presented);
  if (!ref || !pres) return false;
  if (pres.length !== ref.length) return false; // a wildcard stands for exactly one label
  for (let i = 0; i < pres.length; i++) {
    if (i === 0 && pres[0] === '*') continue;
    if (pres[i] !== ref[i]) return false;
  }
  return true;
}

/** The parts of a certificate that name checks use (see `ParsedCertificate`). */
export interface PresentedIdentifiers {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  /** Subject common names, most significant RDN first; read only with `commonNameFallback`. */
  readonly commonNames?: readonly string[];
}

/** Options of {@link verifyServerName}. */
export interface NameCheckOptions {
  /**
   * Match a DNS reference against the subject's last common name when the certificate has
   * no dNSName and no iPAddress SAN entry (RFC 6125 §6.4.4). Default false (RFC 9525 §6.3).
   */
  readonly commonNameFallback?: boolean;
}

/** Result of {@link verifyServerName}. `commonName` is set when the match used the CN fallback. */
export type NameCheck = { readonly ok: true; readonly commonName?: string } | { readonly ok: false; readonly detail: string };


/**
 * Checks a reference identity against a certificate's SAN entries (RFC 9525 §6).
 *
 * @param cert - the certificate's dNSName and iPAddress entries (and common names)
 * @param serverName - a DNS name or IP literal
 * @param options - `commonNameFallback` (default off)
 * @returns `{ ok: true }`, or `{ ok: false, detail }` naming what was presented
 */
export function verifyServerName(cert: PresentedIdentifiers, serverName: string, options: NameCheckOptions = {}): NameCheck {
  const noSan = cert.dnsNames.length === 0 && cert.ipAddresses.length === 0;
  const cn = options.commonNameFallback && noSan ? cert.commonNames?.[cert.commonNames.length - 1] : undefined;
  const presented = (): string => {
    // Peer-controlled text: control characters are escaped and the list is bounded.
    const all = [...cert.dnsNames.map((d) => `DNS:${printable(d)}`), ...cert.ipAddresses.map((ip) => `IP:${formatIpAddress(ip)}`)];
    if (all.length > 16) return `${all.slice(0, 16).join(', ')} and ${all.length - 16} more`;
    if (all.length > 0) return all.join(', ');
    if (cn !== undefined) return `no DNS or IP subjectAltName; common name ${JSON.stringify(cn)}`;
    return options.commonNameFallback ? 'no DNS or IP subjectAltName and no common name' : 'no DNS or IP subjectAltName (the common name is not used)';
  };
  const ip = parseIpAddress(serverName);
  if (ip) {
    // RFC 9525 §6.2 / RFC 5280 §4.2.1.6: IP references match iPAddress entries only, by octets.
    if (cert.ipAddresses.some((a) => bytesEqual(a, ip))) return { ok: true };
    return { ok: false, detail: `IP address ${formatIpAddress(ip)} not in certificate (${presented()})` };
  }
  if (!referenceLabels(serverName)) return { ok: false, detail: `"${serverName}" is not a valid host name or IP address` };
  if (cert.dnsNames.some((d) => matchesDnsName(d, serverName))) return { ok: true };
  // RFC 6125 §6.4.4: the CN-ID as a last resort, only when opted in and no SAN identifier exists.
  if (cn !== undefined && matchesDnsName(cn, serverName)) return { ok: true, commonName: cn };
  return { ok: false, detail: `name "${serverName}" not in certificate (${presented()})` };
}

/** Escapes control and non-ASCII characters (names in error details come from the peer). */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
