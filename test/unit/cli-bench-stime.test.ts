/**
 * bench/stime.mjs (`puretls bench` next to `openssl s_time -new`, issue 9 item 7), its pure
 * parts: s_time's output (connections timed from the marks it prints, not its whole
 * seconds), `s_client -brief` into puretls's names and the flags that make puretls bench
 * negotiate the same, the signature check, /proc CPU accounting, and the per-round ratios.
 * A whole run against `openssl s_server` is in test/interop/bench-stime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { median, parseBrief, parseSTime, processCpuSeconds, processCpuTimes, puretlsFlags, sameSignature, summarize, table } from '../../bench/stime.mjs';

const HEADER = 'Collecting connection statistics for 3 seconds\n';

describe('parseSTime', () => {
  it('counts one mark per connection and times them from the first to the last', () => {
    const chunks = [
      { t: 0, text: 'No CIPHER specified\n' },
      { t: 5, text: HEADER },
      { t: 10, text: '**' },
      { t: 510, text: '***' },
      { t: 1010, text: '*\n\n6 connections in 0.50s; 12.00 connections/user sec, bytes read 0\n6 connections in 4 real seconds, 0 bytes read per connection\n' },
    ];
    const s = parseSTime(chunks);
    expect(s).toMatchObject({ connections: 6, marks: 6, firstMs: 10, lastMs: 1010, reused: 0, userSeconds: 0.5, realSeconds: 4, perUserSecond: 12 });
    // 6 marks, 5 intervals in 1000 ms; not 6 / 4 "real seconds".
    expect(s.ratePerSecond).toBeCloseTo(5, 10);
  });

  it('takes the header and marks split across chunks, and counts resumed sessions (-reuse)', () => {
    const text = `${HEADER}**\n\n2 connections in 0.01s; 200.00 connections/user sec, bytes read 0\n2 connections in 4 real seconds, 0 bytes read per connection\n\n\nNow timing with session id reuse.\nstarting\nrrr*\n\n4 connections in 0.02s; 200.00 connections/user sec, bytes read 0\n4 connections in 4 real seconds, 0 bytes read per connection\n`;
    const chunks = [...text].map((ch, i) => ({ t: i, text: ch }));
    const s = parseSTime(chunks);
    expect(s.marks).toBe(6);
    expect(s.reused).toBe(3);
    // The last summary is the one reported.
    expect(s.connections).toBe(4);
    expect(s.userSeconds).toBe(0.02);
  });

  it('has no rate with fewer than two marks, and ignores mark-like characters outside the mark lines', () => {
    expect(parseSTime([{ t: 0, text: `${HEADER}*\n\n1 connections in 0.00s; 1000000.00 connections/user sec, bytes read 0\n` }]).ratePerSecond).toBeNull();
    const s = parseSTime([{ t: 0, text: 'ERROR\n*** t3r\n' }]);
    expect(s.marks).toBe(0);
    expect(s.connections).toBe(0);
    expect(s.ratePerSecond).toBeNull();
  });
});

describe('parseBrief and puretlsFlags', () => {
  const brief13 =
    "Can't use SSL_get_servername\ndepth=0 CN = localhost\nverify error:num=18:self-signed certificate\nCONNECTION ESTABLISHED\nProtocol version: TLSv1.3\nCiphersuite: TLS_AES_256_GCM_SHA384\nPeer certificate: CN = localhost\nHash used: SHA256\nSignature type: ECDSA\nVerification error: self-signed certificate\nServer Temp Key: X25519, 253 bits\nDONE\n";

  it('reads what OpenSSL 3.0 prints for TLS 1.3, and gives puretls bench the same version, suite, group and one key share', () => {
    const n = parseBrief(brief13);
    expect(n).toEqual({ version: 'TLSv1.3', cipherSuite: 'TLS_AES_256_GCM_SHA384', group: 'x25519', signature: 'ECDSA' });
    expect(puretlsFlags(n)).toEqual(['--min-version', 'TLSv1.3', '--max-version', 'TLSv1.3', '--ciphers', 'TLS_AES_256_GCM_SHA384', '--groups', 'x25519', '--key-shares', 'x25519']);
  });

  it('maps TLS 1.2 suite names and NIST groups (no --key-shares in TLS 1.2)', () => {
    const n = parseBrief('Protocol version: TLSv1.2\nCiphersuite: ECDHE-RSA-AES256-GCM-SHA384\nSignature type: RSA-PSS\nServer Temp Key: ECDH, prime256v1, 256 bits\n');
    expect(n).toEqual({ version: 'TLSv1.2', cipherSuite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', group: 'secp256r1', signature: 'RSA-PSS' });
    expect(puretlsFlags(n)).not.toContain('--key-shares');
    expect(parseBrief(brief13.replace('X25519, 253 bits', 'ECDH, P-384, 384 bits')).group).toBe('secp384r1');
  });

  it('refuses what it cannot name rather than comparing unlike handshakes', () => {
    expect(() => parseBrief(brief13.replace('TLS_AES_256_GCM_SHA384', 'AES256-SHA'))).toThrow(/no puretls name for the cipher suite 'AES256-SHA'/);
    expect(() => parseBrief(brief13.replace('X25519, 253 bits', 'DH, 2048 bits'))).toThrow(/no puretls name for the key exchange/);
    expect(() => parseBrief(brief13.replace('TLSv1.3', 'TLSv1.1'))).toThrow(/unexpected protocol version/);
    expect(() => parseBrief('CONNECTION ESTABLISHED\n')).toThrow(/no 'Protocol version:' line/);
  });

  it('sameSignature matches OpenSSL signature types to puretls schemes', () => {
    expect(sameSignature('ECDSA', 'ecdsa_secp256r1_sha256')).toBe(true);
    expect(sameSignature('RSA-PSS', 'rsa_pss_rsae_sha256')).toBe(true);
    expect(sameSignature('RSA', 'rsa_pkcs1_sha256')).toBe(true);
    expect(sameSignature('Ed25519', 'ed25519')).toBe(true);
    expect(sameSignature('RSA-PSS', 'ecdsa_secp256r1_sha256')).toBe(false);
    expect(sameSignature('ECDSA', null)).toBe(false);
    expect(sameSignature('DSA', 'dsa_sha256')).toBe(false);
  });
});

describe('processCpuSeconds', () => {
  it.skipIf(process.platform !== 'linux')(`reads this process’s CPU time from /proc (Linux), growing with work${process.platform !== 'linux' ? ' (skipped: peer /proc absent, not Linux)' : ''}`, () => {
    const a = processCpuSeconds(process.pid)!;
    expect(a).toBeGreaterThan(0);
    const end = Date.now() + 60;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid)!).toBeGreaterThanOrEqual(a);
  });

  it('is null for a process that does not exist', () => {
    expect(processCpuSeconds(2 ** 31 - 2)).toBeNull();
    expect(processCpuTimes(2 ** 31 - 2)).toBeNull();
  });

  it.skipIf(process.platform !== 'linux')(`splits it into user and system time that add up to it (Linux)${process.platform !== 'linux' ? ' (skipped: peer /proc absent, not Linux)' : ''}`, () => {
    const t = processCpuTimes(process.pid)!;
    expect(t.user).toBeGreaterThan(0);
    expect(t.system).toBeGreaterThanOrEqual(0);
    // Ticks, so exact sums; the two reads may straddle a tick.
    const total = processCpuSeconds(process.pid)!;
    expect(total).toBeGreaterThanOrEqual(t.user + t.system);
    expect(total - (t.user + t.system)).toBeLessThan(0.5);
  });
});

describe('summarize and table', () => {
  it('takes medians, and ratios to the s_time run of the same round', () => {
    const rounds = [
      { stime: { rate: 400, clientMs: 0.8, clientSysMs: 0.3, serverMs: 0.7 }, native: { rate: 200, clientMs: 2, clientSysMs: 0.4, serverMs: 0.9 } },
      { stime: { rate: 100, clientMs: 1.0, clientSysMs: 0.5, serverMs: 0.8 }, native: { rate: 90, clientMs: 2.2, serverMs: 1.0 } },
      { stime: { rate: 300, clientMs: 0.9, clientSysMs: null, serverMs: null }, native: { rate: 150, clientMs: 2.1, clientSysMs: 0.6, serverMs: 1.1 } },
    ];
    const s = summarize(rounds, ['stime', 'native']);
    expect(s.stime).toMatchObject({ rate: 300, rateMin: 100, rateMax: 400, ratioToSTime: 1, clientMs: 0.9, clientSysMs: 0.4, serverMs: 0.75 });
    // Per-round ratios 0.5, 0.9, 0.5: the median is 0.5, although the median rates give 150 / 300 too.
    expect(s.native).toMatchObject({ rate: 150, ratioToSTime: 0.5, ratioMin: 0.5, ratioMax: 0.9, clientMs: 2.1, clientSysMs: 0.5, serverMs: 1.0 });
    expect(s.native!.otherMs).toBeCloseTo(1000 / 150 - 2.1 - 1.0, 10);
    const md = table('ECDSA P-256 server', s, ['stime', 'native']);
    expect(md.split('\n')).toHaveLength(6);
    expect(md).toContain('| `openssl s_time -new` | 300.0 (100.0..400.0) | 1 | 0.900 | 0.400 | 0.750 |');
    expect(md).toContain('| `puretls bench --crypto native` | 150.0 (90.0..200.0) | 0.50 (0.50..0.90) | 2.100 | 0.500 | 1.000 |');
  });

  it('median skips missing values and is null for none', () => {
    expect(median([3, null, 1, undefined, 2])).toBe(2);
    expect(median([4, 1])).toBe(2.5);
    expect(median([null])).toBeNull();
    expect(median([])).toBeNull();
  });
});
