/**
 * Adversarial campaign 5: a careless or hostile CALLER against configuration
 * (createClientConfig / createServerConfig / TlsConnection.client / server options,
 * src/config/*, src/engine/setup.ts).
 *
 * Every refusal must be a TlsError with a stable status (InvalidConfig here) and a detail that
 * names the option, raised when the config is made: never a TypeError or RangeError from deep
 * inside, never an InternalError halfway through a handshake, never a value of the wrong type
 * quietly read the other way (`rejectUnauthorized: 'false'`), and never a fatal certificate
 * error made ignorable by a list that changes while it is read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { createClientConfig, createServerConfig, type ClientConfigOptions, type ServerConfigOptions } from '../../src/engine/setup.js';
import { MAX_ALPN_LIST_BYTES, type ClientOptions, type ServerOptions } from '../../src/config/config.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { pump } from '../../src/testing/index.js';
import { TlsError } from '../../src/base/errors.js';
import { pemDecode, pemEncode } from '../../src/crypto/pem.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled();

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

/** Options of the wrong type, as a careless caller passes them (the type system is bypassed on purpose). */
const loose = <T>(o: Record<string, unknown>): T => o as T;

/** The TlsError `fn` throws; any other exception (or none) fails the test. */
function refusal(fn: () => unknown): TlsError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error('expected a TlsError, nothing was thrown');
  if (!(thrown instanceof TlsError)) throw new Error(`expected a TlsError, got ${String((thrown as Error)?.stack ?? thrown)}`);
  return thrown;
}

function expectInvalidConfig(fn: () => unknown, detail: RegExp): void {
  const e = refusal(fn);
  expect(e.status).toBe('InvalidConfig');
  expect(e.detail ?? '').toMatch(detail);
}

const client = (o: Record<string, unknown>): ClientConfigOptions => loose<ClientConfigOptions>({ ca: pki.caCertPem, ...o });
const server = (o: Record<string, unknown>): ServerConfigOptions => loose<ServerConfigOptions>({ cert: pki.chainPem, key: pki.keyPem, ...o });

describe('campaign5: options of the wrong type are InvalidConfig at creation, naming the option', () => {
  it('ca that is not PEM text, DER bytes or a list of them (a number, null, an object, an ArrayBuffer, [42], [null]) — was a TypeError', () => {
    for (const ca of [42, null, {}, new ArrayBuffer(8), [42], [null], [pki.caCertPem, 7]]) {
      expectInvalidConfig(() => createClientConfig(loose({ ca })), /\bca\b|certificate/);
      expectInvalidConfig(() => createServerConfig(server({ ca, requestCert: true })), /\bca\b|certificate/);
    }
  });

  it('cert of the wrong type, for a client and a server (was a TypeError for a client, "TypeError: items is not iterable" for a server)', () => {
    for (const cert of [1, new ArrayBuffer(4), { pem: pki.chainPem }, [null]]) {
      expectInvalidConfig(() => createClientConfig(client({ cert, key: pki.keyPem })), /\bcert\b/);
      expectInvalidConfig(() => createServerConfig(server({ cert })), /\bcert\b/);
    }
  });

  it('certificates that is not an array of { cert, key } (an object, a string, [null], an entry without a key) — was a TypeError', () => {
    const cases: [unknown, RegExp][] = [
      [{ cert: pki.chainPem, key: pki.keyPem }, /certificates must be an array/],
      ['abc', /certificates must be an array/],
      [[null], /certificates\[0\] must be an object/],
      [[{ cert: pki.chainPem }], /certificates\[0\] needs both cert and key/],
      [[{ cert: 42, key: pki.keyPem }], /certificates\[0\]\.cert/],
      [[{ cert: pki.chainPem, key: pki.keyPem, ocspResponse: 'staple' }], /certificates\[0\]\.ocspResponse/],
      [[{ cert: pki.chainPem, key: pki.keyPem, passphrase: 1234 }], /certificates\[0\]\.passphrase/],
    ];
    for (const [certificates, detail] of cases) expectInvalidConfig(() => createServerConfig(loose({ certificates })), detail);
  });

  it('cipherSuites, groups, signatureSchemes and keyShareGroups as a string (Node takes "a:b" strings) or with items that are not names — was a TypeError', () => {
    for (const [name, value] of [
      ['cipherSuites', 'TLS_AES_128_GCM_SHA256'],
      ['groups', 'x25519'],
      ['signatureSchemes', 'ecdsa_secp256r1_sha256'],
      ['keyShareGroups', 'x25519'],
      ['groups', [{}]],
      ['groups', [null]],
      ['cipherSuites', [['TLS_AES_128_GCM_SHA256']]],
    ] as const) {
      expectInvalidConfig(() => createClientConfig(client({ [name]: value })), new RegExp(name));
    }
    // Per connection too.
    const config = createClientConfig({ ca: pki.caCertPem });
    expectInvalidConfig(() => TlsConnection.client(config, loose({ servername: 'localhost', keyShareGroups: 'x25519' })), /keyShareGroups/);
  });

  it('a code point that does not fit the 16-bit field it is sent in is refused, not sent truncated (99999 went out as 0x869f)', () => {
    for (const v of [99999, -1, 0x10000, 1.5, NaN]) {
      expectInvalidConfig(() => createClientConfig(client({ signatureSchemes: [v] })), /signatureSchemes: .* is not a 16-bit code point/);
      expectInvalidConfig(() => createServerConfig(server({ signatureSchemes: [v] })), /signatureSchemes/);
      expectInvalidConfig(() => createClientConfig(client({ keyShareGroups: [v] })), /keyShareGroups/);
    }
  });

  it('a code listed twice is refused: keyShareGroups [x25519, x25519] sent two shares for one group (RFC 9846 §4.3.8 MUST NOT; our server aborted with illegal_parameter), 40,000 copies of a suite were an InternalError encoding the ClientHello', async () => {
    expectInvalidConfig(() => createClientConfig(client({ keyShareGroups: ['x25519', 'x25519'] })), /keyShareGroups: x25519 is listed twice/);
    expectInvalidConfig(() => createClientConfig(client({ groups: ['x25519', 0x001d] })), /groups: x25519 is listed twice/);
    expectInvalidConfig(() => createClientConfig(client({ cipherSuites: Array<string>(40_000).fill('TLS_AES_128_GCM_SHA256') })), /cipherSuites: TLS_AES_128_GCM_SHA256 is listed twice/);
    expectInvalidConfig(() => createServerConfig(server({ signatureSchemes: ['ecdsa_secp256r1_sha256', 'ecdsa_secp256r1_sha256'] })), /signatureSchemes: ecdsa_secp256r1_sha256 is listed twice/);
    const config = createClientConfig({ ca: pki.caCertPem });
    expectInvalidConfig(() => TlsConnection.client(config, { servername: 'localhost', keyShareGroups: ['secp256r1', 'secp256r1'] }), /keyShareGroups: secp256r1 is listed twice/);
    // Distinct groups, shares for each: the handshake completes.
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, keyShareGroups: ['secp256r1', 'x25519'] });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    expect(c.error).toBeNull();
  });

  it('callbacks that are not functions (random, now, keyLog, trace, checkServerIdentity) and a verifier without verify() — were accepted, then an InternalError mid-handshake', async () => {
    for (const name of ['random', 'now', 'keyLog', 'trace']) {
      expectInvalidConfig(() => createClientConfig(client({ [name]: 42 })), new RegExp(`${name} must be a function`));
      expectInvalidConfig(() => createServerConfig(server({ [name]: 'yes' })), new RegExp(`${name} must be a function`));
    }
    expectInvalidConfig(() => createClientConfig(client({ checkServerIdentity: true })), /checkServerIdentity must be a function/);
    for (const verifier of [42, {}, { verify: 'yes' }]) {
      expectInvalidConfig(() => createClientConfig(loose({ verifier })), /verifier must be an object with a verify/);
      expectInvalidConfig(() => createServerConfig(server({ verifier, requestCert: true })), /verifier must be an object with a verify/);
    }
    // Plain options: refused when the connection is made, before a byte is sent (was: InternalError 'cfg.random is not a function').
    expectInvalidConfig(() => TlsConnection.client(loose<ClientOptions>({ servername: 'localhost', ca: pki.caCertPem, random: 42 })), /random must be a function/);
  });

  it("switches that are not booleans are refused rather than read as truthy: rejectUnauthorized: 'false' stayed strict, requestCert: 'no' asked for certificates", () => {
    for (const name of ['rejectUnauthorized', 'requestOCSP', 'requireRevocationInformation', 'commonNameFallback', 'allowPskKe', 'requireExtendedMasterSecret', 'endOnTransportClose']) {
      for (const v of ['false', 0, 1, null]) expectInvalidConfig(() => createClientConfig(client({ [name]: v })), new RegExp(`${name} must be true or false`));
    }
    for (const name of ['rejectUnauthorized', 'requestCert', 'requireCert', 'allowPskKe', 'requireExtendedMasterSecret']) {
      expectInvalidConfig(() => createServerConfig(server({ [name]: 'no', ca: pki.caCertPem })), new RegExp(`${name} must be true or false`));
    }
  });

  it('a passphrase that is not a string (Node: ERR_INVALID_ARG_TYPE) is refused, even where no key needs it (was: a number became its digits, an object nothing)', () => {
    for (const passphrase of [1234, {}, new TextEncoder().encode('secret'), null]) {
      expectInvalidConfig(() => createServerConfig(server({ passphrase })), /passphrase must be a string/);
      expectInvalidConfig(() => createClientConfig(client({ cert: pki.chainPem, key: pki.keyPem, passphrase })), /passphrase must be a string/);
      expectInvalidConfig(() => createServerConfig(server({ key: { pem: pki.keyPem, passphrase } })), /passphrase must be a string/);
      expectInvalidConfig(() => createServerConfig(server({ key: [{ pem: pki.keyPem, passphrase }] })), /passphrase must be a string/);
    }
  });

  it('ignorableCertificateErrors as a string was read letter by letter ("certificate error \'U\' is fatal"); an unknown code is called unknown, not fatal', () => {
    expectInvalidConfig(() => createClientConfig(client({ ignorableCertificateErrors: 'Untrusted' })), /ignorableCertificateErrors must be an array/);
    expectInvalidConfig(() => createClientConfig(client({ ignorableCertificateErrors: ['Bogus'] })), /unknown certificate error code 'Bogus'/);
    expectInvalidConfig(() => createClientConfig(client({ ignorableCertificateErrors: [42] })), /unknown certificate error code '42'/);
    // A fatal code is still called fatal.
    expectInvalidConfig(() => createClientConfig(client({ ignorableCertificateErrors: ['InvalidSignature'] })), /'InvalidSignature' is fatal and cannot be ignored/);
  });

  it('the ALPN list must fit the ClientHello (RFC 7301 §3.1, RFC 9846 §4.1.2): 300 names of 251 bytes were taken, then an InternalError in the ClientHello', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `${'p'.repeat(248)}${String(i).padStart(3, '0')}`);
    expectInvalidConfig(() => createClientConfig(client({ ALPNProtocols: names })), /ALPNProtocols: the list takes 75600 bytes/);
    expectInvalidConfig(() => createServerConfig(server({ ALPNProtocols: names })), /ALPNProtocols/);
    const config = createClientConfig({ ca: pki.caCertPem });
    expectInvalidConfig(() => TlsConnection.client(config, { servername: 'localhost', ALPNProtocols: names }), /ALPNProtocols/);
    // The largest list that fits still works end to end (the server picks the last name).
    // Near the RFC's own bound (2^16-1) the list no longer fits the ClientHello's extension
    // block (also 2^16-1) next to the key shares: refused at creation too.
    const nearRfcBound = Array.from({ length: 255 }, (_, i) => `${'r'.repeat(252)}${String(i).padStart(3, '0')}`);
    expectInvalidConfig(() => createClientConfig(client({ ALPNProtocols: nearRfcBound })), /ALPNProtocols: the list takes 65280 bytes/);
    const fits = Array.from({ length: 128 }, (_, i) => `${'q'.repeat(252)}${String(i).padStart(3, '0')}`);
    expect(fits.reduce((n, p) => n + 1 + p.length, 0)).toBe(MAX_ALPN_LIST_BYTES);
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, ALPNProtocols: fits });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, ALPNProtocols: [fits[127]!] });
    await pump(c, s);
    expect(c.error).toBeNull();
    expect(c.info?.alpn).toBe(fits[127]);
  });
});

describe('campaign5: a stapled OCSP response that cannot be sent', () => {
  it('an ocspResponse over 65,527 bytes (or empty) is InvalidConfig at creation (was: InternalError "vector of 65536 bytes exceeds 2-byte length" in every TLS 1.3 handshake whose client asked for OCSP, the default)', async () => {
    const identity = (n: number): ServerConfigOptions => ({ certificates: [{ cert: pki.chainPem, key: pki.keyPem, ocspResponse: new Uint8Array(n).fill(0x30) }] });
    for (const n of [0, 65_528, 70_000]) expectInvalidConfig(() => createServerConfig(identity(n)), /ocspResponse of \d+ bytes: a stapled response is 1\.\.65527 bytes/);
    // The largest that fits is taken, and the server sends it: the client judges it (here a bad response, RevocationFailure) rather than the server failing.
    const c = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, maxHandshakeMessageSize: 1 << 17 });
    const s = TlsConnection.server(createServerConfig(identity(65_527)));
    await pump(c, s);
    expect(s.error?.status).not.toBe('InternalError');
    expect(c.error?.status).toBe('CertificateRevocationFailure');
  });
});

describe('campaign5: per-connection options of the wrong type', () => {
  it("a session that is not a session (Node's serialized Buffer, {}, null) is refused, not ignored with a silent full handshake; retryEarlyData: 'no' is refused", () => {
    const config = createClientConfig({ ca: pki.caCertPem });
    expectInvalidConfig(() => TlsConnection.client(config, loose({ servername: 'localhost', session: new Uint8Array(100) })), /session must be a session .*serialized: pass deserializeSession/);
    for (const session of [{}, null, 'abc', { version: 'TLSv1.1' }]) {
      expectInvalidConfig(() => TlsConnection.client(config, loose({ servername: 'localhost', session })), /session must be a session/);
      expectInvalidConfig(() => TlsConnection.client(loose<ClientOptions>({ servername: 'localhost', ca: pki.caCertPem, session })), /session must be a session/);
    }
    expectInvalidConfig(() => TlsConnection.client(config, loose({ servername: 'localhost', retryEarlyData: 'no' })), /retryEarlyData must be true or false/);
  });
});

describe('campaign5: servername is checked when the connection is made', () => {
  it('a name longer than a DNS name can be (70,000 characters was an InternalError "vector of 70000 bytes exceeds 2-byte length"; 300 went out to be refused)', () => {
    const config = createClientConfig({ ca: pki.caCertPem });
    expectInvalidConfig(() => TlsConnection.client(config, { servername: 'a'.repeat(70000) }), /servername is 70000 characters/);
    expectInvalidConfig(() => TlsConnection.client(config, { servername: `${'a'.repeat(60)}.`.repeat(5) }), /servername is 305 characters/);
    expectInvalidConfig(() => TlsConnection.client({ ca: pki.caCertPem, servername: 'a'.repeat(300) }), /servername is 300 characters/);
    // 253 characters (and 254 with the root's dot) are fine.
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(longest.length).toBe(253);
    expect(() => TlsConnection.client(config, { servername: longest })).not.toThrow();
    expect(() => TlsConnection.client(config, { servername: `${longest}.` })).not.toThrow();
  });

  it('a name with a NUL, a space, a control character or a non-ASCII character (sent, then refused by the server with illegal_parameter)', () => {
    const config = createClientConfig({ ca: pki.caCertPem });
    for (const [name, what] of [
      ['local\0host', /character 0x00 at offset 5/],
      ['local host', /character 0x20 at offset 5/],
      ['localhost\n', /character 0x0a at offset 9/],
      ['lócalhost', /character U\+00F3 at offset 1/],
      ['bücher.example', /xn-- A-label/],
    ] as const) {
      expectInvalidConfig(() => TlsConnection.client(config, { servername: name }), what);
    }
    expectInvalidConfig(() => TlsConnection.client(config, loose({ servername: 42 })), /servername must be a string/);
    // IP literals and the A-label of the same name are fine.
    for (const name of ['127.0.0.1', '::1', 'xn--bcher-kva.example', 'under_score.example']) expect(() => TlsConnection.client(config, { servername: name })).not.toThrow();
  });
});

describe('campaign5: hostile option objects', () => {
  it('an ignorableCertificateErrors list that changes between reads cannot make a fatal error ignorable (was read twice: checked once, copied once)', async () => {
    // A Proxy whose element 0 is 'Untrusted' the first time it is read, then 'InvalidSignature'.
    const shifty = (): readonly string[] => {
      let reads = 0;
      return new Proxy(['Untrusted'], {
        get(target, key, receiver) {
          if (key === '0') return reads++ === 0 ? 'Untrusted' : 'InvalidSignature';
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    };
    // The leaf with the last byte of its signature changed: InvalidSignature, fatal (DESIGN.md §3).
    // Its key is unchanged, so the handshake's own CertificateVerify still checks out.
    const leaf = pemDecode(pki.chainPem)[0]!.der.slice();
    leaf[leaf.length - 1] = leaf[leaf.length - 1]! ^ 0x01;
    const forged = pemEncode('CERTIFICATE', leaf);
    for (const ignorableCertificateErrors of [['Untrusted'], shifty()]) {
      const c = TlsConnection.client(loose<ClientOptions>({ servername: 'localhost', ca: pki.caCertPem, ignorableCertificateErrors }));
      const s = TlsConnection.server({ cert: forged, key: pki.keyPem });
      await pump(c, s);
      expect(c.error?.status).toBe('CertificateInvalidSignature');
    }
  });

  it('frozen and proxied option objects work; a getter that throws passes the caller its own exception unchanged (as Node does)', () => {
    expect(() => createServerConfig(Object.freeze(server({})))).not.toThrow();
    expect(() => createClientConfig(new Proxy(Object.freeze({ ca: pki.caCertPem, ALPNProtocols: Object.freeze(['h2']) }), {}))).not.toThrow();
    const boom = new Error('the caller’s own getter');
    let got: unknown;
    try {
      createServerConfig(
        loose<ServerOptions>({
          cert: pki.chainPem,
          key: pki.keyPem,
          get ca(): string {
            throw boom;
          },
        }),
      );
    } catch (e) {
      got = e;
    }
    expect(got).toBe(boom);
  });

  it('a PEM bundle of 130,000 trust anchors given as bytes: no stack overflow from spreading them (RangeError before)', () => {
    const bundle = new TextEncoder().encode(pki.caCertPem.repeat(130_000));
    const config = createClientConfig({ ca: bundle });
    expect(config).toBeDefined();
  }, 120_000);
  // The same as a PEM string (src/verify/anchors.ts): test/verify/anchors-input.test.ts.
});

describe('campaign5: caller callbacks that throw', () => {
  // Fixed in src/engine/connection.ts trace() (more cases in test/engine/trace-callback.test.ts):
  // the callback's second call, for the internal_error alert reporting its first throw, used to
  // escape process() as the caller's raw Error.
  it('a trace callback that throws: the connection fails with a TlsError and nothing else escapes', async () => {
    const c = TlsConnection.client({
      servername: 'localhost',
      ca: pki.caCertPem,
      trace: () => {
        throw new Error('trace sink broke');
      },
    });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    let escaped: unknown = null;
    try {
      await pump(c, s);
    } catch (e) {
      escaped = e;
    }
    expect(escaped).toBeNull();
    expect(c.error).toBeInstanceOf(TlsError);
  });

  it('a keyLog callback that throws fails the handshake with a TlsError, and nothing escapes', async () => {
    const c = TlsConnection.client({
      servername: 'localhost',
      ca: pki.caCertPem,
      keyLog: () => {
        throw new Error('key log sink broke');
      },
    });
    const s = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
    await pump(c, s);
    expect(c.error).toBeInstanceOf(TlsError);
    expect(s.error).toBeInstanceOf(TlsError);
  });
});

describe('campaign5: trust anchors that are not certificates', () => {
  /** `cert` as OpenSSL's TRUSTED CERTIFICATE (openssl x509 -trustout), with trust settings when `aux`. */
  function trusted(certPem: string, aux: boolean): string {
    const der = pemDecode(certPem)[0]!.der;
    // X509_CERT_AUX ::= SEQUENCE { trust SEQUENCE OF OBJECT IDENTIFIER (here serverAuth, 1.3.6.1.5.5.7.3.1), ... }
    const settings = new Uint8Array([0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01]);
    const body = new Uint8Array(der.length + (aux ? settings.length : 0));
    body.set(der);
    if (aux) body.set(settings, der.length);
    return pemEncode('TRUSTED CERTIFICATE', body);
  }

  it('a TRUSTED CERTIFICATE block with trust settings, as bytes or as a certificate chain: InvalidConfig saying so (was: "certificate: trailing data")', () => {
    const bytes = new TextEncoder().encode(trusted(pki.caCertPem, true));
    expectInvalidConfig(() => createClientConfig({ ca: bytes }), /TRUSTED CERTIFICATE block carries OpenSSL trust settings/);
    expectInvalidConfig(() => createServerConfig({ cert: trusted(pki.chainPem, true), key: pki.keyPem }), /TRUSTED CERTIFICATE block carries OpenSSL trust settings/);
  });

  it('a TRUSTED CERTIFICATE block without settings is a certificate (as bytes): the handshake completes', async () => {
    const ca = new TextEncoder().encode(trusted(pki.caCertPem, false));
    const c = TlsConnection.client({ servername: 'localhost', ca });
    const s = TlsConnection.server({ cert: trusted(pki.chainPem, false), key: pki.keyPem });
    await pump(c, s);
    expect(c.error).toBeNull();
  });

  it('PEM bytes (a Buffer from readFileSync) with kilobytes of explanatory text first, as openssl x509 -text writes: read as PEM, not as DER', async () => {
    // RFC 7468 §2: text before the BEGIN line is explanatory. An RSA-4096 certificate's -text dump is ~5 KiB.
    const dump = (pem: string): Uint8Array =>
      new TextEncoder().encode(`Certificate:\n${Array.from({ length: 80 }, (_, i) => `    ${i.toString(16).padStart(2, '0')}:${'ab:'.repeat(20)}\n`).join('')}${pem}`);
    const ca = dump(pki.caCertPem);
    expect(ca.indexOf(0x2d)).toBeGreaterThan(4096);
    const c = TlsConnection.client({ servername: 'localhost', ca });
    const s = TlsConnection.server({ cert: dump(pki.chainPem), key: pki.keyPem });
    await pump(c, s);
    expect(c.error).toBeNull();
  });

  it('PEM text with a byte order mark, read as a string (readFileSync(f, "utf8") keeps it): the chain and key load, the bundle keeps its first certificate', async () => {
    const bom = (pem: string): string => `\uFEFF${pem}`;
    // Before: the chain and key were "line 1 is not a whole BEGIN line", and the CA bundle silently lost its first certificate (Untrusted).
    const c = TlsConnection.client({ servername: 'localhost', ca: bom(pki.caCertPem) });
    const s = TlsConnection.server({ cert: bom(pki.chainPem), key: bom(pki.keyPem) });
    await pump(c, s);
    expect(c.error).toBeNull();
  });

  // Fixed in src/verify/anchors.ts decodeCertificates: a PEM string `ca` with no CERTIFICATE
  // block is refused, as the same text as bytes is (src/config/identity.ts).
  it('a ca string holding no certificate (a private key file given by mistake) is InvalidConfig at creation, as the same bytes are', () => {
    expectInvalidConfig(() => createClientConfig({ ca: pki.keyPem }), /no certificate/);
  });

  it('a ca string of TRUSTED CERTIFICATE blocks is not silently dropped (every server was then Untrusted)', () => {
    expectInvalidConfig(() => createClientConfig({ ca: trusted(pki.caCertPem, true) }), /TRUSTED CERTIFICATE/);
  });
});
