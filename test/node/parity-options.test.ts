/**
 * The Node `tls` parity table, options (issue 11 item 3): for each option of `tls.connect` /
 * `tls.createServer` / `tls.createSecureContext`, the same inputs given to `node:tls` and to
 * `puretls/node` against the same peer, and both outcomes asserted side by side; or the
 * `InvalidConfig` refusal asserted for an option puretls does not take.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as nodeTls from 'node:tls';
import { constants as cryptoConstants } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pureTls, * as pure from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { attempt, both, expectRefused, nodeServer, pureServer } from './parity-helpers.js';

let ec: TestPki;
let rsa: TestPki;
let other: TestPki;
let tmp: string;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ec = await generateTestPki({ names: ['localhost', '127.0.0.1'] });
  rsa = await generateTestPki({ keyType: 'rsa-2048', names: ['localhost', '127.0.0.1'], caName: 'Parity RSA CA' });
  other = await generateTestPki({ names: ['b.test'], caName: 'Parity B CA' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'puretls-parity-'));
});

afterAll(async () => {
  for (const c of closers) await c();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A Node tls server with both an ECDSA and an RSA identity, TLS 1.2 and 1.3, echoing. */
async function neutralServer(extra: nodeTls.TlsOptions = {}): Promise<number> {
  const s = await nodeServer({ cert: [ec.chainPem, rsa.chainPem], key: [ec.keyPem, rsa.keyPem], ALPNProtocols: ['h2', 'http/1.1'], ...extra });
  closers.push(s.close);
  return s.port;
}

const CA = (): string[] => [ec.caCertPem, rsa.caCertPem];

describe('client options, side by side with node:tls', () => {
  it('ciphers: an OpenSSL TLS 1.2 name gives TLS 1.2 with that suite on both', async () => {
    const port = await neutralServer();
    for (const ciphers of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      // As in Node, a string without TLS 1.3 names leaves the TLS 1.3 suites as they are: cap the version to see the choice.
      const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers, maxVersion: 'TLSv1.2' });
      expect(n).toMatchObject({ ok: true, version: 'TLSv1.2', cipher: ciphers });
      expect(p).toMatchObject({ ok: true, version: 'TLSv1.2', cipher: ciphers });
    }
  });

  it('ciphers: TLS 1.3 names only give TLS 1.3 with that suite; keyword lists work; IANA names too (ours)', async () => {
    const port = await neutralServer();
    const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(n).toMatchObject({ ok: true, version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
    expect(p).toMatchObject({ ok: true, version: 'TLSv1.3', cipher: 'TLS_CHACHA20_POLY1305_SHA256' });
    // Node's own default string (with DHE and CBC names puretls skips) works the same.
    const [n2, p2] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: nodeTls.DEFAULT_CIPHERS });
    expect([n2.ok, n2.version]).toEqual([true, 'TLSv1.3']);
    expect([p2.ok, p2.version]).toEqual([true, 'TLSv1.3']);
    const [n3, p3] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: 'ECDHE+AESGCM:!aRSA:!AES128', maxVersion: 'TLSv1.2' });
    expect(n3).toMatchObject({ ok: true, version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    expect(p3).toMatchObject({ ok: true, version: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    // IANA TLS 1.2 names: ours only (Node's OpenSSL would take TLS_ names as TLS 1.3 suites and fail).
    const p4 = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', maxVersion: 'TLSv1.2' });
    // Without TLS 1.3 names the TLS 1.3 suites stay (Node's rule): TLS 1.3 on both.
    const [n5, p5] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    expect([n5.version, p5.version]).toEqual(['TLSv1.3', 'TLSv1.3']);
    expect(p4).toMatchObject({ ok: true, version: 'TLSv1.2', cipher: 'ECDHE-RSA-AES256-GCM-SHA384' });
  });

  it('ciphers: legacy-only or unknown strings are errors at the call on both', async () => {
    const port = await neutralServer();
    for (const ciphers of ['RC4-SHA', 'NOT-A-CIPHER']) {
      const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers });
      expect(n, ciphers).toMatchObject({ ok: false, thrown: true });
      expect(p, ciphers).toMatchObject({ ok: false, thrown: true, error: 'InvalidConfig' });
    }
    // Legacy TLS 1.2 suites OpenSSL still has: Node keeps them (and TLS 1.3); puretls refuses a string that selects none of its suites.
    const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ciphers: 'DES-CBC3-SHA:AES128-SHA' });
    expect(n.ok).toBe(true);
    expect(p).toMatchObject({ ok: false, thrown: true, error: 'InvalidConfig' });
    expectRefused(() => pure.connect({ port, ciphers: 'RC4-SHA' }), 'RC4-SHA');
    expectRefused(() => pure.connect({ port, ciphers: 'ECDHE-RSA-AES128-GMC-SHA256' }), 'GMC');
  });

  it('ecdhCurve: one group is the one used; unknown names are errors on both; groups we lack are refused', async () => {
    const port = await neutralServer();
    for (const [curve, group] of [['P-384', 'secp384r1'], ['prime256v1', 'secp256r1'], ['X25519', 'x25519']] as const) {
      const n = await attempt('node', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ecdhCurve: curve }, true);
      const p = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ecdhCurve: curve }, true);
      expect(n.ok && p.ok).toBe(true);
      const key = (n.socket as nodeTls.TLSSocket).getEphemeralKeyInfo() as { name?: string };
      expect({ 'P-384': 'secp384r1', 'prime256v1': 'prime256v1', X25519: 'X25519' }[curve]).toBe(key.name);
      expect((p.socket as pure.TlsSocket).info.group).toBe(group);
      n.socket!.destroy();
      p.socket!.destroy();
    }
    const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ecdhCurve: 'nonsense' });
    expect(n).toMatchObject({ ok: false, thrown: true });
    expect(p).toMatchObject({ ok: false, thrown: true, error: 'InvalidConfig' });
    // OpenSSL has X448; puretls does not: refused by name rather than ignored.
    expectRefused(() => pure.connect({ port, ecdhCurve: 'X448' }), 'X448');
    // 'auto' is the default on both.
    const [na, pa] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ecdhCurve: 'auto' });
    expect([na.ok, pa.ok]).toEqual([true, true]);
  });

  it('sigalgs: limits the schemes offered; a server that cannot sign with them fails on both', async () => {
    const port = await neutralServer();
    const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), sigalgs: 'rsa_pss_rsae_sha256' });
    expect(n.ok && p.ok).toBe(true);
    const pSock = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), sigalgs: 'ECDSA+SHA256' }, true);
    expect((pSock.socket as pure.TlsSocket).info.signatureScheme).toBe('ecdsa_secp256r1_sha256');
    pSock.socket!.destroy();
    // Only an ECDSA P-256 server, asked for P-384 signatures only.
    const ecOnly = await nodeServer({ cert: ec.chainPem, key: ec.keyPem });
    closers.push(ecOnly.close);
    const [n2, p2] = await both({ host: '127.0.0.1', port: ecOnly.port, servername: 'localhost', ca: CA(), sigalgs: 'ecdsa_secp384r1_sha384' });
    expect(n2.ok).toBe(false);
    expect(p2.ok).toBe(false);
    expectRefused(() => pure.connect({ port, sigalgs: 'bogus_sha1' }), 'bogus_sha1');
  });

  it('ALPNProtocols as strings, Buffers and one wire-format Buffer give the same protocol on both', async () => {
    const port = await neutralServer();
    const forms = [['h2'], Buffer.from('\x02h2\x08http/1.1', 'latin1'), new Uint8Array([8, ...Buffer.from('http/1.1')])];
    const expected = ['h2', 'h2', 'http/1.1'];
    for (const [i, ALPNProtocols] of forms.entries()) {
      const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ALPNProtocols });
      expect(n.alpn).toBe(expected[i]);
      expect(p.alpn).toBe(expected[i]);
    }
    // An array of Buffers: in Node's documentation; Node 20 itself throws ("argument must be a string"), ours takes it.
    const p = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ALPNProtocols: [Buffer.from('h2'), new Uint8Array(Buffer.from('http/1.1'))] });
    expect(p.alpn).toBe('h2');
    expectRefused(() => pure.connect({ port, ALPNProtocols: Buffer.from([5, 0x68]) }), 'wire-format');
  });

  it('secureContext from createSecureContext works on both; a node:tls SecureContext is refused by ours, naming the alternative', async () => {
    const port = await neutralServer();
    const n = await attempt('node', { host: '127.0.0.1', port, servername: 'localhost', secureContext: nodeTls.createSecureContext({ ca: CA() }) });
    const p = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', secureContext: pure.createSecureContext({ ca: CA() }) });
    expect(n).toMatchObject({ ok: true, authorized: true });
    expect(p).toMatchObject({ ok: true, authorized: true });
    expectRefused(() => pure.connect({ port, servername: 'localhost', secureContext: nodeTls.createSecureContext({ ca: CA() }) as never }), 'createClientConfig');
    // As with tls.createSecureContext, a bad option fails when the context is made.
    expectRefused(() => pure.createSecureContext({ ciphers: 'RC4-MD5' }), 'RC4-MD5');
    expect(() => nodeTls.createSecureContext({ ciphers: 'RC4-MD5' })).toThrow();
  });

  it('timeout: both emit timeout on an idle connection and stay open', async () => {
    const port = await neutralServer();
    for (const which of ['node', 'pure'] as const) {
      const o = await attempt(which, { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), timeout: 80 }, true);
      const s = o.socket!;
      const t0 = Date.now();
      await new Promise<void>((r) => s.once('timeout', () => r()));
      expect(Date.now() - t0, which).toBeGreaterThanOrEqual(40);
      expect(s.destroyed, which).toBe(false);
      s.destroy();
    }
  });

  it('path: both dial a Unix domain socket, and check the certificate against host (default localhost)', async () => {
    const sock = path.join(tmp, 'tls.sock');
    const server = nodeTls.createServer({ cert: ec.chainPem, key: ec.keyPem }, (s) => s.end('unix'));
    await new Promise<void>((r) => server.listen(sock, r));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const [n, p] = await both({ path: sock, ca: CA() });
    expect(n).toMatchObject({ ok: true, authorized: true });
    expect(p).toMatchObject({ ok: true, authorized: true });
  });

  it('checkServerIdentity: the default checks host when servername is absent; a hook that refuses fails both', async () => {
    const port = await neutralServer();
    const [n, p] = await both({ host: 'localhost', port, ca: CA() });
    expect(n).toMatchObject({ ok: true, authorized: true });
    expect(p).toMatchObject({ ok: true, authorized: true });
    const [n2, p2] = await both({ host: '127.0.0.1', port, ca: CA() });
    expect(n2).toMatchObject({ ok: true, authorized: true });
    expect(p2).toMatchObject({ ok: true, authorized: true });
    const refuse = (): Error => new Error('pinned elsewhere');
    const [n3, p3] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), checkServerIdentity: refuse });
    expect(n3.ok).toBe(false);
    expect(p3).toMatchObject({ ok: false, error: 'CertificateInvalidName' });
    // Node's own checkServerIdentity works as the hook on ours (the default export carries it).
    const p4 = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), checkServerIdentity: pureTls.checkServerIdentity });
    expect(p4).toMatchObject({ ok: true, authorized: true });
    const [n5, p5] = await both({ host: '127.0.0.1', port, servername: 'wrong.test', ca: CA() });
    expect(n5).toMatchObject({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(p5).toMatchObject({ ok: false, error: 'CertificateInvalidName' });
  });

  it('session: a session from the first connection resumes the second, on both', async () => {
    const port = await neutralServer({ maxVersion: 'TLSv1.2' });
    for (const which of ['node', 'pure'] as const) {
      const base = { host: '127.0.0.1', port, servername: 'localhost', ca: CA() };
      const first = await attempt(which, base, true);
      const s = first.socket!;
      const session = await new Promise<Buffer>((r) => {
        const got = (s as { getSession(): Buffer | undefined }).getSession();
        if (got) r(got);
        else s.once('session', r);
      });
      s.destroy();
      const second = await attempt(which, { ...base, session });
      expect(second, which).toMatchObject({ ok: true, resumed: true });
    }
  });

  it('minVersion / maxVersion / secureProtocol / secureOptions agree on the version', async () => {
    const port = await neutralServer();
    const cases: Record<string, unknown>[] = [
      { maxVersion: 'TLSv1.2' },
      { minVersion: 'TLSv1.3' },
      { secureProtocol: 'TLSv1_2_method' },
      { secureOptions: cryptoConstants.SSL_OP_NO_TLSv1_3 },
      { secureOptions: cryptoConstants.SSL_OP_NO_TLSv1_2 | cryptoConstants.SSL_OP_NO_SSLv3 },
    ];
    for (const c of cases) {
      const [n, p] = await both({ host: '127.0.0.1', port, servername: 'localhost', ca: CA(), ...c });
      expect(p.ok, JSON.stringify(c)).toBe(true);
      expect(p.version, JSON.stringify(c)).toBe(n.version);
    }
    expectRefused(() => pure.connect({ port, secureProtocol: 'TLSv1_method' }), 'minVersion');
    expectRefused(() => pure.connect({ port, secureProtocol: 'TLS_method', minVersion: 'TLSv1.2' }), 'secureProtocol');
    expectRefused(() => pure.connect({ port, secureOptions: cryptoConstants.SSL_OP_NO_TICKET }), 'sessionStore');
  });

  it('highWaterMark, minDHSize and net options (noDelay, keepAlive, localAddress) are taken with Node meaning', async () => {
    const port = await neutralServer();
    const o = { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), highWaterMark: 1234, minDHSize: 2048, noDelay: true, keepAlive: true, localAddress: '127.0.0.1' };
    const n = await attempt('node', o, true);
    const p = await attempt('pure', o, true);
    expect(n.ok && p.ok).toBe(true);
    expect(p.socket!.readableHighWaterMark).toBe(n.socket!.readableHighWaterMark);
    expect(p.socket!.localAddress).toBe('127.0.0.1');
    n.socket!.destroy();
    p.socket!.destroy();
  });

  it('enableTrace: both write a trace to stderr (ours through process.stderr)', async () => {
    const port = await neutralServer();
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const p = await attempt('pure', { host: '127.0.0.1', port, servername: 'localhost', ca: CA(), enableTrace: true });
      expect(p.ok).toBe(true);
      expect(spy.mock.calls.some(([line]) => String(line).includes('ClientHello'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('server options, side by side with node:tls', () => {
  /** Runs a Node tls client against a Node server and a puretls server made from the same options. */
  async function servers(options: Record<string, unknown>, client: Record<string, unknown>): Promise<[Awaited<ReturnType<typeof attempt>>, Awaited<ReturnType<typeof attempt>>]> {
    const n = await nodeServer(options as nodeTls.TlsOptions);
    const p = await pureServer(options as pure.TlsServerOptions);
    closers.push(n.close, p.close);
    const a = await attempt('node', { host: '127.0.0.1', port: n.port, ...client });
    const b = await attempt('node', { host: '127.0.0.1', port: p.port, ...client });
    return [a, b];
  }

  it('ciphers and honorCipherOrder: the server chooses by its own order on both', async () => {
    const [a, b] = await servers(
      { cert: ec.chainPem, key: ec.keyPem, ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256', honorCipherOrder: true },
      { servername: 'localhost', ca: CA(), ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305', maxVersion: 'TLSv1.2' },
    );
    expect(a).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
    expect(b).toMatchObject({ ok: true, cipher: 'ECDHE-ECDSA-CHACHA20-POLY1305' });
    expectRefused(() => pure.createServer({ cert: ec.chainPem, key: ec.keyPem, honorCipherOrder: false }), 'honorCipherOrder');
  });

  it('ecdhCurve on the server decides the group on both', async () => {
    const [a, b] = await servers({ cert: ec.chainPem, key: ec.keyPem, ecdhCurve: 'P-384' }, { servername: 'localhost', ca: CA() });
    expect(a.ok && b.ok).toBe(true);
  });

  it('ALPNProtocols as a wire-format Buffer on the server', async () => {
    const [a, b] = await servers({ cert: ec.chainPem, key: ec.keyPem, ALPNProtocols: Buffer.from('\x08http/1.1', 'latin1') }, { servername: 'localhost', ca: CA(), ALPNProtocols: ['h2', 'http/1.1'] });
    expect(a.alpn).toBe('http/1.1');
    expect(b.alpn).toBe('http/1.1');
  });

  it('SNICallback (callback and promise forms) and addContext choose the certificate by name on both', async () => {
    const client = { servername: 'b.test', ca: [ec.caCertPem, other.caCertPem] };
    const forms = [
      { node: (name: string, cb: (e: Error | null, c?: nodeTls.SecureContext) => void) => cb(null, name === 'b.test' ? nodeTls.createSecureContext({ cert: other.chainPem, key: other.keyPem }) : undefined), pure: (name: string, cb: (e: Error | null, c?: pure.SecureContext) => void) => cb(null, name === 'b.test' ? pure.createSecureContext({ cert: other.chainPem, key: other.keyPem }) : undefined) },
    ];
    for (const f of forms) {
      const n = await nodeServer({ cert: ec.chainPem, key: ec.keyPem, SNICallback: f.node });
      const p = await pureServer({ cert: ec.chainPem, key: ec.keyPem, SNICallback: f.pure });
      closers.push(n.close, p.close);
      expect(await attempt('node', { host: '127.0.0.1', port: n.port, ...client })).toMatchObject({ ok: true, authorized: true });
      expect(await attempt('node', { host: '127.0.0.1', port: p.port, ...client })).toMatchObject({ ok: true, authorized: true });
      // Another name: the server's own certificate.
      expect(await attempt('node', { host: '127.0.0.1', port: p.port, servername: 'localhost', ca: CA() })).toMatchObject({ ok: true, authorized: true });
    }
    // Promise form (ours; Node's takes the callback only) and an error answer.
    const ctx = pure.createSecureContext({ cert: other.chainPem, key: other.keyPem });
    const p2 = await pureServer({ cert: ec.chainPem, key: ec.keyPem, SNICallback: async (name) => (name === 'b.test' ? ctx : null) });
    closers.push(p2.close);
    expect(await attempt('node', { host: '127.0.0.1', port: p2.port, ...client })).toMatchObject({ ok: true, authorized: true });
    const errs: string[] = [];
    const p3 = await pureServer({ cert: ec.chainPem, key: ec.keyPem, SNICallback: (_n, cb) => cb(new Error('no such tenant')) });
    p3.server.on('tlsClientError', (e: Error) => errs.push(e.message));
    closers.push(p3.close);
    expect((await attempt('node', { host: '127.0.0.1', port: p3.port, ...client })).ok).toBe(false);
    expect(errs.join()).toContain('no such tenant');
    // addContext, with a wildcard.
    const n4 = await nodeServer({ cert: ec.chainPem, key: ec.keyPem });
    const p4 = await pureServer({ cert: ec.chainPem, key: ec.keyPem });
    closers.push(n4.close, p4.close);
    n4.server.addContext('*.test', { cert: other.chainPem, key: other.keyPem });
    p4.server.addContext('*.test', { cert: other.chainPem, key: other.keyPem });
    expect(await attempt('node', { host: '127.0.0.1', port: n4.port, ...client })).toMatchObject({ ok: true, authorized: true });
    expect(await attempt('node', { host: '127.0.0.1', port: p4.port, ...client })).toMatchObject({ ok: true, authorized: true });
  });

  it('handshakeTimeout and tlsClientError: a silent client is dropped on both; garbage is a tlsClientError on both', async () => {
    for (const make of [nodeServer, pureServer] as const) {
      const s = await make({ cert: ec.chainPem, key: ec.keyPem, handshakeTimeout: 100 } as never);
      closers.push(s.close);
      const errors: Error[] = [];
      s.server.on('tlsClientError', (e: Error) => errors.push(e));
      // Node leaves the socket to a 'tlsClientError' listener to destroy; puretls destroys it itself.
      const next = (n: number): Promise<void> => vi.waitFor(() => expect(errors.length).toBe(n), { timeout: 5000, interval: 20 });
      const raw = net.connect(s.port, '127.0.0.1');
      raw.on('error', () => {});
      await next(1);
      raw.destroy();
      const raw2 = net.connect(s.port, '127.0.0.1', () => raw2.write(Buffer.alloc(64, 0x41)));
      raw2.on('error', () => {});
      await next(2);
      raw2.destroy();
    }
  });

  it('setSecureContext swaps the certificate on both', async () => {
    const n = await nodeServer({ cert: ec.chainPem, key: ec.keyPem });
    const p = await pureServer({ cert: ec.chainPem, key: ec.keyPem });
    closers.push(n.close, p.close);
    n.server.setSecureContext({ cert: other.chainPem, key: other.keyPem });
    p.server.setSecureContext({ cert: other.chainPem, key: other.keyPem });
    for (const port of [n.port, p.port]) expect(await attempt('node', { host: '127.0.0.1', port, servername: 'b.test', ca: [other.caCertPem] })).toMatchObject({ ok: true, authorized: true });
  });
});

describe('refused: a type error in TypeScript, InvalidConfig at the call in JavaScript', () => {
  it('options puretls does not take are refused by name, each naming what to use instead', () => {
    const refused: [Record<string, unknown>, string][] = [
      [{ pskCallback: () => null }, 'certificates'],
      [{ crl: 'x' }, 'verifier'],
      [{ clientCertEngine: 'x' }, 'KeyObject'],
      [{ privateKeyEngine: 'x' }, 'KeyObject'],
      [{ privateKeyIdentifier: 'x' }, 'KeyObject'],
      [{ sessionIdContext: 'x' }, 'createServerConfig'],
      [{ allowPartialTrustChain: true }, 'ca'],
      [{ onread: {} }, 'read()'],
      [{ dhparam: 'x' }, 'ECDHE'],
      [{ secureOptions: cryptoConstants.SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION }, 'SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION'],
    ];
    for (const [o, hint] of refused) {
      expectRefused(() => pure.connect({ port: 1, servername: 'localhost', ...(o as object) } as pure.ConnectOptions), hint);
      expectRefused(() => pure.createServer({ cert: ec.chainPem, key: ec.keyPem, ...(o as object) } as pure.TlsServerOptions), hint);
    }
    expectRefused(() => pure.createServer({ cert: ec.chainPem, key: ec.keyPem, ALPNCallback: () => 'h2' } as never), 'ALPNProtocols');
    expectRefused(() => pure.createServer({ cert: ec.chainPem, key: ec.keyPem, pauseOnConnect: true } as never), 'first byte');
    expectRefused(() => new pureTls.TLSSocket(new net.Socket(), {} as never, {} as never), 'upgrade');
    expectRefused(() => pure.upgrade(new net.Socket(), { role: 'server', cert: ec.chainPem, key: ec.keyPem, SNICallback: () => undefined }), 'secureContext');
    // Type errors (checked by tsc on this file): options we refuse are `never`.
    // @ts-expect-error pskCallback is not taken
    const t1: pure.ConnectOptions = { pskCallback: () => null };
    // @ts-expect-error crl is not taken
    const t2: pure.TlsServerOptions = { crl: 'x' };
    void t1;
    void t2;
  });
});

describe('the node:tls-shaped default export', () => {
  it("the SSL_OP table secureOptions reads is node:crypto's", async () => {
    const { SSL_OP } = await import('../../src/transport/node-tls-options.js');
    for (const [k, v] of Object.entries(cryptoConstants)) if (k.startsWith('SSL_OP_')) expect(SSL_OP[k], k).toBe((v as number) >>> 0);
  });

  it('has the members a library calling tls.* uses, with Node values where they are Node facts', () => {
    for (const k of ['connect', 'createServer', 'createSecureContext', 'checkServerIdentity', 'getCiphers'] as const) expect(typeof pureTls[k]).toBe('function');
    expect(pureTls.TLSSocket).toBe(pure.TlsSocket);
    expect(pureTls.Server).toBe(pure.TlsServer);
    expect(pureTls.DEFAULT_MIN_VERSION).toBe('TLSv1.2');
    expect(pureTls.DEFAULT_MAX_VERSION).toBe('TLSv1.3');
    expect(nodeTls.DEFAULT_MAX_VERSION).toBe(pureTls.DEFAULT_MAX_VERSION);
    expect(pureTls.rootCertificates).toBe(nodeTls.rootCertificates);
    expect(pureTls.checkServerIdentity).toBe(nodeTls.checkServerIdentity);
    // Every name in our cipher list is one Node's OpenSSL knows.
    for (const c of pureTls.getCiphers()) expect(nodeTls.getCiphers()).toContain(c);
  });
});
