/**
 * The private-network policy (the seed's `internetClient` vs `privateNetworkClientServer`
 * capabilities): with `refusePrivateAddresses: true`, a client refuses to connect to any
 * address that is not global unicast — loopback, private, link-local, unique-local and
 * the other special-purpose blocks below — with `TlsError('PrivateAddressRefused')`.
 *
 * The check is on the address actually dialled, after name resolution: a name that
 * resolves to 127.0.0.1 is refused like the literal (each adapter resolves the name, checks
 * every address it got, dials only a checked one, and checks the connected peer address
 * again). IPv4 addresses carried inside IPv6 (v4-mapped `::ffff:a.b.c.d`, v4-compatible
 * `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged by the IPv4 address
 * they carry, so `::ffff:127.0.0.1` is loopback.
 *
 * Blocks refused (IANA special-purpose registries, RFC 6890):
 * - IPv4: `0.0.0.0/8` unspecified ("this network": 0.0.0.0 reaches the local host),
 *   `127.0.0.0/8` loopback (RFC 1122), `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`
 *   private (RFC 1918), `100.64.0.0/10` shared address space (RFC 6598), `169.254.0.0/16`
 *   link-local (RFC 3927), `192.0.0.0/24` protocol assignments, `192.0.2.0/24`,
 *   `198.51.100.0/24`, `203.0.113.0/24` documentation (RFC 5737), `198.18.0.0/15`
 *   benchmarking (RFC 2544), `224.0.0.0/4` multicast, `240.0.0.0/4` reserved and broadcast.
 * - IPv6: `::` unspecified, `::1` loopback (RFC 4291), `fe80::/10` link-local, `fec0::/10`
 *   site-local (deprecated, RFC 3879), `fc00::/7` unique-local (RFC 4193), `ff00::/8`
 *   multicast, `2001:db8::/32` and `3fff::/20` documentation (RFC 3849, RFC 9637),
 *   `2001:2::/48` benchmarking (RFC 5180), `100::/64` discard (RFC 6666), and, not globally
 *   reachable per the IANA registry, `64:ff9b:1::/48` local-use IPv4/IPv6 translation
 *   (RFC 8215), `2001:10::/28` ORCHID (deprecated, RFC 4843) and `5f00::/16` SRv6 SIDs (RFC 9602).
 *
 * This file imports no `node:` module (the Deno, Bun and Web adapters use it too).
 *
 * @module
 */
import { TlsError } from '../base/errors.js';
import { parseIpAddress } from '../verify/hostname.js';

/** Why an address is refused by the private-network policy. */
export type PrivateAddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared'
  | 'link-local'
  | 'unique-local'
  | 'site-local'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking';

/** Options of every adapter that dials, for the policy. */
export interface NetworkPolicyOptions {
  /**
   * Refuse to connect to loopback, private, link-local, unique-local and other non-global
   * addresses (see the module notes for the list), checked on the address dialled after
   * name resolution: `TlsError('PrivateAddressRefused')`, nothing sent. Default false.
   * With a `proxy`, the target name is resolved here, every address checked, and the
   * proxy is asked to CONNECT to the checked address (the proxy's own address, chosen by
   * the caller, is not checked).
   */
  refusePrivateAddresses?: boolean;
}

function classOfV4(a: number, b: number, c: number): PrivateAddressClass | null {
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 100 && b >= 64 && b <= 127) return 'shared';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 192 && b === 0 && c === 0) return 'reserved';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'documentation';
  if (a === 198 && (b === 18 || b === 19)) return 'benchmarking';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return null;
}

/** The class of address bytes (4 or 16), or null for a global unicast address. */
export function privateAddressClassOf(ip: Uint8Array): PrivateAddressClass | null {
  if (ip.length === 4) return classOfV4(ip[0]!, ip[1]!, ip[2]!);
  if (ip.length !== 16) return 'reserved';
  const w = (i: number): number => (ip[2 * i]! << 8) | ip[2 * i + 1]!;
  const zeroUpTo = (n: number): boolean => {
    for (let i = 0; i < n; i++) if (ip[i] !== 0) return false;
    return true;
  };
  if (zeroUpTo(16)) return 'unspecified';
  if (zeroUpTo(15) && ip[15] === 1) return 'loopback';
  // ::ffff:a.b.c.d (v4-mapped), ::a.b.c.d (v4-compatible, deprecated), ::ffff:0:a.b.c.d (v4-translated)
  if (zeroUpTo(10) && w(5) === 0xffff) return classOfV4(ip[12]!, ip[13]!, ip[14]!);
  if (zeroUpTo(12)) return classOfV4(ip[12]!, ip[13]!, ip[14]!) ?? 'reserved';
  if (zeroUpTo(8) && w(4) === 0xffff && w(5) === 0) return classOfV4(ip[12]!, ip[13]!, ip[14]!);
  // 64:ff9b::/96 (NAT64, RFC 6052) and 2002::/16 (6to4, RFC 3056) reach an IPv4 address.
  if (w(0) === 0x64 && w(1) === 0xff9b && w(2) === 0 && w(3) === 0 && w(4) === 0 && w(5) === 0) return classOfV4(ip[12]!, ip[13]!, ip[14]!);
  if (w(0) === 0x2002) return classOfV4(ip[2]!, ip[3]!, ip[4]!);
  const first = w(0);
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  if ((first & 0xffc0) === 0xfec0) return 'site-local';
  if ((first & 0xfe00) === 0xfc00) return 'unique-local';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  if (first === 0x2001 && w(1) === 0x0db8) return 'documentation';
  // RFC 9637: 3fff::/20, the second documentation prefix.
  if (first === 0x3fff && (w(1) & 0xf000) === 0) return 'documentation';
  // RFC 5180 (as corrected by RFC Errata 1752): 2001:2::/48 benchmarking.
  if (first === 0x2001 && w(1) === 0x0002 && w(2) === 0) return 'benchmarking';
  if (first === 0x0100 && w(1) === 0 && w(2) === 0 && w(3) === 0) return 'reserved';
  // RFC 8215: 64:ff9b:1::/48 local-use translation (which IPv4 address it carries depends on a local prefix length).
  if (first === 0x0064 && w(1) === 0xff9b && w(2) === 0x0001) return 'reserved';
  // RFC 4843: 2001:10::/28 ORCHID (deprecated; never routed). RFC 9602: 5f00::/16 SRv6 SIDs.
  if (first === 0x2001 && (w(1) & 0xfff0) === 0x0010) return 'reserved';
  if (first === 0x5f00) return 'reserved';
  return null;
}

/**
 * The class of an IP literal (`'127.0.0.1'`, `'::1'`, `'[::ffff:10.0.0.1]'`), or null when
 * it is a global unicast address. A string that is not an IP literal (a host name, an
 * address with a zone identifier) is `'reserved'`: the policy never passes what it cannot read.
 */
export function privateAddressClass(ip: string): PrivateAddressClass | null {
  const bytes = parseIpAddress(ip);
  return bytes === null ? 'reserved' : privateAddressClassOf(bytes);
}

/** True when `host` is an IP literal (not a name that needs resolving). */
export function isIpLiteral(host: string): boolean {
  return parseIpAddress(host) !== null;
}

/**
 * A bracketed IPv6 literal (`[::1]`, as in a URL) without its brackets, which a dialler would
 * otherwise look up as a name; anything else as is.
 */
export function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') && isIpLiteral(host) ? host.slice(1, -1) : host;
}

/**
 * Checks one address the client is about to dial (or has dialled) under the policy.
 *
 * @param ip - the resolved address (IP literal)
 * @param host - the name it came from, for the message (may equal `ip`)
 * @throws TlsError('PrivateAddressRefused') when the address is not global unicast
 */
export function checkDialAddress(ip: string, host: string): void {
  const cls = privateAddressClass(ip);
  if (cls === null) return;
  const via = host === ip ? '' : ` (resolved from ${host})`;
  throw new TlsError('PrivateAddressRefused', {
    detail: `refusePrivateAddresses: ${ip}${via} is a ${cls} address`,
    source: 'transport',
  });
}
