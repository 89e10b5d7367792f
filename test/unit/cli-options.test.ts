/**
 * Issue 7 item 15: every policy of the library is reachable from the command line. The
 * argument parsers of `puretls connect` and `puretls serve` are pure functions exported by
 * src/cli.ts (importing it does not run the command line); each flag is checked to land on
 * the option the library reads, and each bad value to be refused with a message that names
 * the flag (a usage error: exit status 2). test/unit/cli.test.ts runs the built command.
 */
import { describe, expect, it } from 'vitest';
import { parseConnectCommand, parseServeCommand } from '../../src/cli.js';
import { TlsError } from '../../src/base/errors.js';

const CONNECT = ['127.0.0.1:8443'];
const SERVE = ['--port', '0', '--cert', 'chain.pem', '--key', 'key.pem'];

/** Flag, option name, a valid value, and the commands that take it. */
const NUMERIC: readonly [string, string, number, readonly ('connect' | 'serve')[]][] = [
  ['max-handshake-message-size', 'maxHandshakeMessageSize', 70000, ['connect', 'serve']],
  ['max-client-hello-size', 'maxClientHelloSize', 262144, ['serve']],
  ['max-empty-records', 'maxEmptyRecords', 5, ['connect', 'serve']],
  ['max-warning-alerts', 'maxWarningAlerts', 2, ['connect', 'serve']],
  ['max-key-updates', 'maxKeyUpdates', 7, ['connect', 'serve']],
  ['max-post-handshake-messages', 'maxPostHandshakeMessages', 9, ['connect', 'serve']],
  ['max-hello-requests', 'maxHelloRequests', 1, ['connect']],
  ['max-pending-write', 'maxPendingWrite', 4096, ['connect', 'serve']],
  ['max-skipped-early-data', 'maxSkippedEarlyData', 1000, ['serve']],
  ['max-verification-work', 'maxVerificationWork', 5000, ['connect', 'serve']],
  ['max-depth', 'maxDepth', 3, ['connect', 'serve']],
  ['session-tickets', 'sessionTickets', 2, ['serve']],
  ['handshake-timeout', 'handshakeTimeout', 5000, ['connect', 'serve']],
  ['linger-timeout', 'lingerTimeout', 250, ['connect', 'serve']],
];

function parse(command: 'connect' | 'serve', extra: string[]): Record<string, unknown> {
  const cmd = command === 'connect' ? parseConnectCommand([...CONNECT, ...extra]) : parseServeCommand([...SERVE, ...extra]);
  return cmd.options as Record<string, unknown>;
}

function usageError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('ApiMisuse');
    return (e as TlsError).detail ?? '';
  }
  throw new Error('no usage error');
}

describe('puretls CLI: policy flags reach the options (issue 7 item 15)', () => {
  for (const [flag, option, value, commands] of NUMERIC) {
    for (const command of ['connect', 'serve'] as const) {
      if (commands.includes(command)) {
        it(`${command} --${flag} ${value} sets ${option}`, () => {
          expect(parse(command, [`--${flag}`, String(value)])[option]).toBe(value);
          expect(parse(command, [`--${flag}=${value}`])[option]).toBe(value);
          // Absent: the library's default applies (the option is not set).
          expect(parse(command, [])).not.toHaveProperty(option);
        });
      } else {
        it(`${command} refuses --${flag}, naming the command it belongs to`, () => {
          expect(usageError(() => parse(command, [`--${flag}`, String(value)]))).toContain(`applies to '${commands[0]}' only`);
        });
      }
    }
  }

  it('--no-require-ems sets requireExtendedMasterSecret: false, in both commands', () => {
    expect(parse('serve', ['--no-require-ems']).requireExtendedMasterSecret).toBe(false);
    expect(parse('connect', ['--no-require-ems']).requireExtendedMasterSecret).toBe(false);
    expect(parse('serve', [])).not.toHaveProperty('requireExtendedMasterSecret');
  });

  it('connect: --no-ocsp, --require-revocation-info, --cn-fallback, --key-shares; both: --sigalgs', () => {
    const o = parse('connect', ['--no-ocsp', '--require-revocation-info', '--cn-fallback', '--key-shares', 'secp256r1', '--sigalgs', 'ed25519,ecdsa_secp256r1_sha256']);
    expect(o).toMatchObject({
      requestOCSP: false,
      requireRevocationInformation: true,
      commonNameFallback: true,
      keyShareGroups: ['secp256r1'],
      signatureSchemes: ['ed25519', 'ecdsa_secp256r1_sha256'],
    });
    expect(parse('serve', ['--sigalgs', 'rsa_pss_rsae_sha256']).signatureSchemes).toEqual(['rsa_pss_rsae_sha256']);
    expect(usageError(() => parse('serve', ['--no-ocsp']))).toContain("applies to 'connect' only");
  });

  it('the existing flags still land where they did', () => {
    const c = parseConnectCommand(['[::1]:443', '--servername', 'example.com', '--alpn', 'h2,http/1.1', '--max-version', '1.2', '--ignore', 'Expired', '--json', '--key-update']);
    expect(c.options).toMatchObject({ host: '::1', port: 443, servername: 'example.com', ALPNProtocols: ['h2', 'http/1.1'], maxVersion: '1.2', ignorableCertificateErrors: ['Expired'] });
    expect(c.json).toBe(true);
    expect(c.keyUpdate).toBe(true);
    const s = parseServeCommand([...SERVE, '--require-client-cert', '--ca', 'ca.pem', '--www', '--host', '127.0.0.2']);
    expect(s.options).toMatchObject({ requestCert: true, requireCert: true });
    expect(s.files).toMatchObject({ cert: 'chain.pem', key: 'key.pem', ca: 'ca.pem' });
    expect(s.mode).toBe('www');
    expect(s.host).toBe('127.0.0.2');
  });
});

describe('puretls CLI: bad policy values are usage errors that name the flag and the range', () => {
  it.each([
    ['abc', 'expected a whole number'],
    ['-1', 'expected a whole number'],
    ['1.5', 'expected a whole number'],
    ['0x10', 'expected a whole number'],
    ['1e3', 'expected a whole number'],
    ['', 'expected a whole number'],
    ['2147483648', 'out of range'],
  ])('--max-key-updates %j: %s', (value, message) => {
    for (const command of ['connect', 'serve'] as const) {
      const detail = usageError(() => parse(command, [`--max-key-updates=${value}`]));
      expect(detail).toContain('--max-key-updates');
      expect(detail).toContain(message);
      expect(detail).toContain('0..2147483647');
    }
  });

  it('per-flag ranges: session tickets 0..16, max depth 0..32, handshake message size 0..2^24-1, verification work at least 1', () => {
    expect(usageError(() => parse('serve', ['--session-tickets', '17']))).toBe('--session-tickets: 17 is out of range (0..16)');
    expect(usageError(() => parse('connect', ['--max-depth', '33']))).toContain('(0..32)');
    expect(usageError(() => parse('serve', ['--max-handshake-message-size', '16777216']))).toContain('(0..16777215)');
    expect(usageError(() => parse('connect', ['--max-verification-work', '0']))).toContain('(1..2147483647)');
    expect(parse('serve', ['--session-tickets', '16']).sessionTickets).toBe(16);
    expect(parse('connect', ['--handshake-timeout', '0']).handshakeTimeout).toBe(0);
  });

  it('a missing value, a value on a switch, an empty list', () => {
    expect(usageError(() => parse('serve', ['--linger-timeout']))).toContain("'--linger-timeout' needs a value");
    expect(usageError(() => parse('serve', ['--linger-timeout', '--echo']))).toContain("'--linger-timeout' needs a value");
    expect(usageError(() => parse('serve', ['--no-require-ems=1']))).toContain('takes no value');
    expect(usageError(() => parse('connect', ['--sigalgs', ',']))).toContain('--sigalgs needs at least one name');
  });

  it('importing src/cli.ts ran no command (no usage printed, no exit)', () => {
    expect(process.exitCode ?? 0).toBe(0);
  });
});

describe('puretls CLI: --crypto (issue 9 item 3)', () => {
  it('connect and serve take pure, native and webcrypto (any case) into the crypto option; unset leaves the default', () => {
    for (const command of ['connect', 'serve'] as const) {
      for (const name of ['pure', 'native', 'webcrypto']) expect(parse(command, ['--crypto', name]).crypto).toBe(name);
      expect(parse(command, ['--crypto', 'Native']).crypto).toBe('native');
      expect(parse(command, []).crypto).toBeUndefined();
    }
  });

  it('an unknown provider or a missing value is a usage error naming --crypto', () => {
    expect(usageError(() => parse('connect', ['--crypto', 'openssl']))).toMatch(/--crypto: unknown provider 'openssl' \(expected pure, native, webcrypto\)/);
    expect(usageError(() => parse('serve', ['--crypto', '']))).toMatch(/--crypto/);
    expect(usageError(() => parse('connect', ['--crypto']))).toMatch(/--crypto/);
  });
});
