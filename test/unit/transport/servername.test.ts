/**
 * Issue 7 item 1: the Node adapter must never accept a server certificate on the strength
 * of its chain alone. The attack: the runtime root store trusts a public CA, the attacker
 * holds any certificate that CA issued (here for `attacker.example`), and the victim runs
 * TLS over a socket it opened itself (`connect({ socket })`, `upgrade(socket, {})`)
 * without `servername`. Before the fix the adapter installed its own root-store verifier,
 * which bypassed the engine's "no servername" guard, so the handshake succeeded with
 * `authorized === true` for whatever name the certificate carried.
 *
 * Node's root store is replaced (vi.mock of `node:tls`) by one holding the test CA, so the
 * attacker's certificate is "publicly trusted" here exactly as a real one would be.
 */
import * as net from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TlsError } from '../../../src/base/errors.js';
import { nodeRootCertificates } from '../../../src/transport/node-roots.js';
import { connect, createServer, nodeClientOptions, upgrade, type TlsServer, type TlsSocket } from '../../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../../src/verify/generate.js';

const roots = vi.hoisted(() => ({ list: [] as string[] }));

vi.mock('node:tls', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:tls')>();
  return { ...real, rootCertificates: roots.list };
});

let attackerPki: TestPki;
const cleanup: (() => void)[] = [];

beforeAll(async () => {
  // A certificate for someone else's name, issued by a CA in the (mocked) root store.
  attackerPki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['attacker.example'], caName: 'Public Root CA' });
  roots.list.push(attackerPki.caCertPem);
});

afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

/** The attacker's server (a puretls server with the attacker's certificate); returns a connected plaintext socket to it. */
async function attackerSocket(): Promise<net.Socket> {
  const server: TlsServer = createServer({ cert: attackerPki.chainPem, key: attackerPki.keyPem }, (s) => {
    s.on('error', () => {
      // the victim may abort
    });
    s.end('attacker data');
  });
  server.on('tlsClientError', () => {
    // expected when the victim refuses the certificate
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanup.push(() => server.close());
  const port = (server.address() as net.AddressInfo).port;
  const raw = net.connect({ host: '127.0.0.1', port });
  cleanup.push(() => raw.destroy());
  await new Promise<void>((resolve, reject) => {
    raw.once('connect', () => resolve());
    raw.once('error', reject);
  });
  return raw;
}

function outcome(s: TlsSocket): Promise<{ secure: boolean; error: TlsError | null }> {
  return new Promise((resolve) => {
    s.once('secureConnect', () => resolve({ secure: true, error: null }));
    s.once('error', (e: Error) => resolve({ secure: false, error: e as TlsError }));
  });
}

function expectInvalidConfig(f: () => unknown): TlsError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsError);
  const err = caught as TlsError;
  expect(err.status).toBe('InvalidConfig');
  expect(err.detail).toContain('servername');
  return err;
}

describe('Node adapter: the server certificate is always checked against a name (issue 7 item 1)', () => {
  it('the mocked root store really trusts the attacker: with the attacker\'s own name the handshake succeeds', async () => {
    const raw = await attackerSocket();
    const s = connect({ socket: raw, servername: 'attacker.example' });
    cleanup.push(() => s.destroy());
    const r = await outcome(s);
    expect(r.error).toBeNull();
    expect(s.authorized).toBe(true);
  });

  it('connect({ socket }) without servername or host is refused (InvalidConfig), before any byte is sent', async () => {
    const raw = await attackerSocket();
    let sent = 0;
    const write = raw.write.bind(raw);
    raw.write = ((...args: Parameters<typeof raw.write>) => {
      sent++;
      return write(...args);
    }) as typeof raw.write;
    expectInvalidConfig(() => connect({ socket: raw }));
    expect(sent).toBe(0);
  });

  it('upgrade(socket, {}) without servername is refused (InvalidConfig)', async () => {
    const raw = await attackerSocket();
    expectInvalidConfig(() => upgrade(raw, {}));
    expectInvalidConfig(() => upgrade(raw, { role: 'client', servername: '' }));
  });

  it('connect({ socket, host }) checks the certificate against host (Node\'s rule): another name fails with InvalidName', async () => {
    const raw = await attackerSocket();
    const s = connect({ socket: raw, host: 'victim.example' });
    const r = await outcome(s);
    expect(r.secure).toBe(false);
    expect(r.error?.status).toBe('CertificateInvalidName');
    expect(r.error?.certificateErrors.map((e) => e.code)).toContain('InvalidName');
  });

  it('servername wins over host, and an empty servername falls back to host', async () => {
    const a = connect({ socket: await attackerSocket(), host: 'attacker.example', servername: 'victim.example' });
    expect((await outcome(a)).error?.status).toBe('CertificateInvalidName');
    const b = connect({ socket: await attackerSocket(), host: 'victim.example', servername: '' });
    expect((await outcome(b)).error?.status).toBe('CertificateInvalidName');
  });

  it('dialling checks host (default localhost) against the certificate', async () => {
    const server = createServer({ cert: attackerPki.chainPem, key: attackerPki.keyPem }, (s) => s.end());
    server.on('tlsClientError', () => {
      // expected
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => server.close());
    const port = (server.address() as net.AddressInfo).port;
    const s = connect({ host: '127.0.0.1', port });
    const r = await outcome(s);
    expect(r.error?.status).toBe('CertificateInvalidName');
  });

  it('with InvalidName explicitly ignorable a nameless connection is allowed, but never authorized', async () => {
    for (const opt of [{ ignorableCertificateErrors: ['InvalidName' as const] }, { rejectUnauthorized: false }]) {
      const s = connect({ socket: await attackerSocket(), ...opt });
      cleanup.push(() => s.destroy());
      const r = await outcome(s);
      expect(r.error).toBeNull();
      expect(s.authorized).toBe(false);
      expect(s.authorizationErrors).toContain('InvalidName');
      expect(s.authorizationError).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    }
  });

  it('ignoring other errors is no opt-out: Untrusted or Expired ignorable still needs a name', async () => {
    const raw = await attackerSocket();
    expectInvalidConfig(() => connect({ socket: raw, ignorableCertificateErrors: ['Untrusted', 'Expired'] }));
  });

  it('nodeClientOptions builds no verifier of its own: the root store goes to the engine as ca, and a name is required', () => {
    expectInvalidConfig(() => nodeClientOptions({}));
    const o = nodeClientOptions({ servername: 'example.com' });
    expect(o.verifier).toBeUndefined();
    expect(o.ca).toBe(nodeRootCertificates());
    expect(o.ca).toEqual(expect.arrayContaining(roots.list));
    // A caller's own verifier decides for itself (it may pin a key, say): no name required.
    const own = { verify: () => Promise.reject(new Error('unused')) };
    expect(nodeClientOptions({ verifier: own }).verifier).toBe(own);
  });
});
