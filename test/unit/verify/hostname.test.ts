import { describe, expect, it } from 'vitest';
import { formatIpAddress, matchesDnsName, parseIpAddress, verifyServerName } from '../../../src/verify/hostname.js';

const ip = (s: string): Uint8Array => {
  const b = parseIpAddress(s);
  if (!b) throw new Error(`test setup: ${s} is not an IP`);
  return b;
};

describe('matchesDnsName (RFC 9525 §6.3)', () => {
  const table: [presented: string, reference: string, expected: boolean][] = [
    // exact, case-insensitive ASCII
    ['example.com', 'example.com', true],
    ['Example.COM', 'eXample.com', true],
    ['example.com', 'www.example.com', false],
    ['www.example.com', 'example.com', false],
    ['example.com', 'example.org', false],
    ['a-b_c.example.com', 'A-B_C.example.com', true],
    // trailing dot: tolerated on the reference (one), not on the presented name
    ['example.com', 'example.com.', true],
    ['example.com', 'example.com..', false],
    ['example.com.', 'example.com', false],
    ['example.com.', 'example.com.', false],
    // wildcard: whole left-most label, exactly one label
    ['*.example.com', 'www.example.com', true],
    ['*.example.com', 'WWW.Example.Com.', true],
    ['*.example.com', 'example.com', false], // never the bare parent
    ['*.example.com', '.example.com', false],
    ['*.example.com', 'a.b.example.com', false], // exactly one label
    ['*.example.com', 'www.example.org', false],
    ['*.com', 'example.com', false], // needs two labels after the wildcard
    ['*', 'localhost', false],
    ['www.*.example.com', 'www.a.example.com', false], // not left-most
    ['w*.example.com', 'www.example.com', false], // partial label
    ['*w.example.com', 'www.example.com', false],
    ['**.example.com', 'ab.example.com', false],
    ['*.*.example.com', 'a.b.example.com', false],
    // IDN A-labels: exact matches fine, no partial wildcard into an A-label
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', true],
    ['XN--BCHER-KVA.example', 'xn--bcher-kva.example', true],
    ['xn--*.example.com', 'xn--bcher-kva.example.com', false],
    ['xn--bcher*.example.com', 'xn--bcher-kva.example.com', false],
    ['*.example.com', 'xn--bcher-kva.example.com', true], // a whole-label wildcard may cover an A-label
    ['*.xn--bcher-kva.example', 'www.xn--bcher-kva.example', true],
    // U-labels (non-ASCII) never match: callers must convert to A-labels
    ['bücher.example', 'bücher.example', false],
    ['xn--bcher-kva.example', 'bücher.example', false],
    // no case folding outside ASCII
    ['ı.example.com', 'i.example.com', false],
    // malformed names
    ['', '', false],
    ['example..com', 'example..com', false],
    ['-bad.example.com', '-bad.example.com', false],
    ['exa mple.com', 'exa mple.com', false],
    ['example.com', '*.example.com', false], // a wildcard reference is not a host name
    ['*.example.com', '*.example.com', false],
    ['1.2.3.4', '1.2.3.4', false], // all-numeric last label: an IP literal in disguise
  ];
  for (const [presented, reference, expected] of table) {
    it(`${JSON.stringify(presented)} vs ${JSON.stringify(reference)} → ${expected}`, () => {
      expect(matchesDnsName(presented, reference)).toBe(expected);
    });
  }

  it('refuses over-long labels and names', () => {
    const l63 = 'a'.repeat(63);
    expect(matchesDnsName(`${l63}.example`, `${l63}.example`)).toBe(true);
    expect(matchesDnsName(`${l63}a.example`, `${l63}a.example`)).toBe(false);
    const long = Array.from({ length: 64 }, () => 'abc').join('.'); // 255 chars
    expect(matchesDnsName(long, long)).toBe(false);
  });
});

describe('parseIpAddress / formatIpAddress', () => {
  const v4: [string, number[] | null][] = [
    ['127.0.0.1', [127, 0, 0, 1]],
    ['0.0.0.0', [0, 0, 0, 0]],
    ['255.255.255.255', [255, 255, 255, 255]],
    ['256.0.0.1', null],
    ['1.2.3', null],
    ['1.2.3.4.5', null],
    ['01.2.3.4', null], // leading zero (octal in inet_aton): refused, not guessed
    ['1.2.3.4 ', null],
    ['[1.2.3.4]', null],
    ['0x7f.0.0.1', null],
  ];
  for (const [s, bytes] of v4) {
    it(`IPv4 ${JSON.stringify(s)} → ${bytes ? bytes.join('.') : 'not an IP'}`, () => {
      const r = parseIpAddress(s);
      expect(r ? Array.from(r) : null).toEqual(bytes);
    });
  }

  const v6Same = ['::1', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', '[::1]', '::0:1', '0::1'];
  it(`IPv6 forms of ::1 are one address: ${v6Same.join(' ')}`, () => {
    for (const s of v6Same) expect(formatIpAddress(ip(s)), s).toBe('::1');
  });

  const v6: [string, string | null][] = [
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: first longest run
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2: no '::' for one group
    ['::', '::'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7', null],
    ['1::2::3', null],
    [':::', null],
    ['1:::2', null],
    [':1::2', null],
    ['12345::1', null],
    ['g::1', null],
    ['fe80::1%eth0', null], // zone identifiers are not certificate identities
    ['1.2.3.4::', null],
    ['::1.2.3', null],
    ['[::1', null],
  ];
  for (const [s, canonical] of v6) {
    it(`IPv6 ${JSON.stringify(s)} → ${canonical ?? 'not an IP'}`, () => {
      const r = parseIpAddress(s);
      expect(r ? formatIpAddress(r) : null).toBe(canonical);
    });
  }
});

describe('verifyServerName (RFC 9525 §6)', () => {
  const cert = {
    dnsNames: ['localhost', '*.example.com', '127.0.0.2'],
    ipAddresses: [ip('127.0.0.1'), ip('::1'), ip('2001:db8::1')],
  };
  const table: [string, boolean][] = [
    ['localhost', true],
    ['LOCALHOST.', true],
    ['www.example.com', true],
    ['example.com', false],
    ['127.0.0.1', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['2001:DB8:0::0:1', true],
    ['::ffff:127.0.0.1', false], // IPv4-mapped is a different (16-byte) identity
    ['127.0.0.2', false], // an IP reference never matches a dNSName, even one spelled as an IP
    ['127.000.000.001', false],
    ['::2', false],
    ['', false],
  ];
  for (const [name, ok] of table) {
    it(`${JSON.stringify(name)} → ${ok ? 'match' : 'InvalidName'}`, () => {
      expect(verifyServerName(cert, name).ok).toBe(ok);
    });
  }

  it('a DNS reference never matches an iPAddress entry', () => {
    expect(verifyServerName({ dnsNames: [], ipAddresses: [ip('127.0.0.1')] }, 'localhost').ok).toBe(false);
  });

  it('has no common-name fallback: no SAN means no match, and the detail says so', () => {
    const r = verifyServerName({ dnsNames: [], ipAddresses: [] }, 'localhost');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toMatch(/common name is not used/);
  });

  it('names what was presented in the detail', () => {
    const r = verifyServerName(cert, 'other.test');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toContain('IP:2001:db8::1');
  });
});

describe('verifyServerName: the opt-in common-name fallback (RFC 6125 §6.4.4)', () => {
  const cnOnly = { dnsNames: [], ipAddresses: [], commonNames: ['Ignored Org Unit CN', 'www.example.com'] };
  it('off by default: a CN-only certificate matches nothing', () => {
    const r = verifyServerName(cnOnly, 'www.example.com');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.detail).toMatch(/common name is not used/);
  });
  it('on: the last (most specific) CN is matched like a dNSName, and reported as used', () => {
    expect(verifyServerName(cnOnly, 'WWW.example.com.', { commonNameFallback: true })).toEqual({ ok: true, commonName: 'www.example.com' });
    expect(verifyServerName(cnOnly, 'ignored org unit cn', { commonNameFallback: true }).ok).toBe(false);
    expect(verifyServerName({ ...cnOnly, commonNames: ['*.example.com'] }, 'a.example.com', { commonNameFallback: true }).ok).toBe(true);
  });
  it('on: never when a dNSName or iPAddress SAN exists, never for IP references', () => {
    expect(verifyServerName({ ...cnOnly, dnsNames: ['other.example.com'] }, 'www.example.com', { commonNameFallback: true }).ok).toBe(false);
    expect(verifyServerName({ ...cnOnly, ipAddresses: [ip('192.0.2.1')] }, 'www.example.com', { commonNameFallback: true }).ok).toBe(false);
    expect(verifyServerName({ dnsNames: [], ipAddresses: [], commonNames: ['192.0.2.1'] }, '192.0.2.1', { commonNameFallback: true }).ok).toBe(false);
  });
});
