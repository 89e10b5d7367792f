/**
 * What the server's hello exchange and its TLS 1.2 and TLS 1.3 states share: the
 * parameters, certificate selection by SNI and signature schemes, and SNI matching.
 *
 * @module
 */
import { ownSigningSchemes } from './signatures.js';
import type { CertifiedKey, ResolvedCommon } from '../config/config.js';
import { nameOf } from '../wire/codes.js';
import type { Transcript } from './transcript.js';
import type { TicketKeySet } from '../session/ticket-keys.js';
import type { ReplayRegister } from '../session/replay.js';
import type { PeerAuth } from './peer-auth.js';
import type { ClientAuthPolicy } from './proofs.js';
import type { EncryptedExtensionsHook, HelloRetryRequestHook } from './test-hooks.js';
import type { ServerResumption12 } from './server-resume12.js';

/** Server-only settings the handshake needs. */
export interface ServerParams {
  readonly certificates: readonly CertifiedKey[];
  readonly sessionTickets: number;
  /** Keys sealing tickets (`session/ticket-keys.ts`). */
  readonly ticketKeys: TicketKeySet;
  /** Ticket lifetime, seconds (RFC 9846 §4.7.1: ≤ 604800). */
  readonly sessionTimeout: number;
  /** Accept psk_ke (resumption without (EC)DHE) when the client offers it (RFC 9846 §4.3.9). */
  readonly allowPskKe: boolean;
  /** 0-RTT bytes announced in tickets and accepted (0: off; RFC 9846 §4.3.10). */
  readonly maxEarlyData: number;
  /** Tickets already used for 0-RTT (RFC 9846 §8.1, §8.2). */
  readonly replayRegister: ReplayRegister;
  /** Test hook (`puretls/testing`); see `test-hooks.ts`. */
  readonly encryptedExtensionsHook: EncryptedExtensionsHook | undefined;
  /** Test hook (`puretls/testing`; RFC 8448 §5 replay); see `test-hooks.ts`. */
  readonly helloRetryRequestHook?: HelloRetryRequestHook | undefined;
  /** Client certificates: not asked for, asked for, or required. */
  readonly clientAuth: ClientAuthPolicy;
  /** How client certificates are judged. */
  readonly auth: PeerAuth;
  /** TLS 1.2 session IDs and tickets (`server-resume12.ts`); absent: no TLS 1.2 resumption. */
  readonly resumption12?: ServerResumption12 | undefined;
}

/**
 * What every server state of one handshake carries, whatever the version: passed from
 * state to state, never shared with the connection.
 */
export interface ServerHandshake {
  readonly cfg: ResolvedCommon;
  readonly p: ServerParams;
  /** The transcript of this handshake (RFC 9846 §4.1; RFC 5246 §7.4.9). */
  readonly transcript: Transcript;
  /** The client's random (key-log lines, TLS 1.2 key derivation). */
  readonly clientRandom: Uint8Array;
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

/** Certificate selection by SNI and the client's signature schemes for the given version's rules. */
export function selectCertificate(
  cfg: ResolvedCommon,
  p: ServerParams,
  sni: string | undefined,
  schemes: readonly number[],
  version: 'TLSv1.2' | 'TLSv1.3',
  fits: (cert: CertifiedKey) => boolean = () => true,
): { cert: CertifiedKey; scheme: number } | null {
  const usable: { cert: CertifiedKey; scheme: number }[] = [];
  for (const cert of p.certificates) {
    if (!fits(cert)) continue;
    // Our preference order for the key, limited to what the client accepts and what we allow.
    const scheme = ownSigningSchemes(cfg, cert.key, version).find((s) => schemes.includes(s) && cfg.signatureSchemes.includes(s));
    if (scheme !== undefined) usable.push({ cert, scheme });
  }
  if (usable.length === 0) return null;
  if (sni) {
    const byName = usable.find((u) => u.cert.names.some((n) => nameMatches(n, sni)));
    if (byName) return byName;
  }
  return usable[0]!;
}
