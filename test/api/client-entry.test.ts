/**
 * The client-only entry `puretls/client` (issue 9 item 5): the same engine without the
 * server's code, and with TLS 1.2 and OCSP only when their modules are configured. Checked
 * two ways: behaviour on the wire (what the ClientHello offers, what the client refuses),
 * and what esbuild actually puts in a bundle.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { gzipSync } from 'node:zlib';
import * as Full from '../../src/index.js';
import * as Client from '../../src/client.js';
import { generateTestPki, pump, type TestPki } from '../../src/testing/index.js';

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['a.example'], caName: 'Client Entry CA' });
});

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
// supported_versions (0x002b) listing only 0x0304, and listing 0x0304 and 0x0303 (RFC 9846 §4.3.1).
const ONLY_13 = '002b0003020304';
const BOTH = '002b00050403040303';
// status_request (0x0005) asking for OCSP (RFC 6066 §8).
const STATUS_REQUEST = '0005000501' + '00000000';

/** The client's first flight, as hex. */
async function firstFlight(c: Client.TlsConnection): Promise<string> {
  await c.process();
  return hex(c.takeOutput() ?? new Uint8Array());
}

function thrown(fn: () => unknown): Full.TlsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Full.TlsError);
    return e as Full.TlsError;
  }
  throw new Error('expected a TlsError, nothing was thrown');
}

describe('puretls/client on the wire', () => {
  it('completes TLS 1.3 with a full-entry server and exchanges data, plain options and a prebuilt config', async () => {
    const server = Full.createServerConfig({ cert: pki.chainPem, key: pki.keyPem });
    const config = Client.createClientConfig({ ca: pki.caCertPem });
    for (const c of [Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem }), Client.TlsConnection.client(config, { servername: 'a.example' })]) {
      const s = Full.TlsConnection.server(server);
      await pump(c, s);
      expect(c.handshakeComplete).toBe(true);
      expect(c.info.version).toBe('TLSv1.3');
      c.write(new TextEncoder().encode('ping'));
      await pump(c, s);
      expect(new TextDecoder().decode(s.read() ?? new Uint8Array())).toBe('ping');
    }
  });

  it('has no server(): the class of this entry makes clients only', () => {
    // @ts-expect-error the client-only TlsConnection has no server factory
    const f: unknown = Client.TlsConnection.server;
    expect(f).toBeUndefined();
    expect(typeof Full.TlsConnection.server).toBe('function');
  });

  it('without modules offers TLS 1.3 only and no status_request; the full entry offers both', async () => {
    const lean = await firstFlight(Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem }));
    expect(lean).toContain(ONLY_13);
    expect(lean).not.toContain(BOTH);
    expect(lean).not.toContain(STATUS_REQUEST);
    const full = await firstFlight(Full.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem }));
    expect(full).toContain(BOTH);
    expect(full).toContain(STATUS_REQUEST);
  });

  it('with the tls12 and ocsp modules offers what the full entry offers', async () => {
    const c = Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem, modules: [Client.tls12, Client.ocsp] });
    const flight = await firstFlight(c);
    expect(flight).toContain(BOTH);
    expect(flight).toContain(STATUS_REQUEST);
  });

  it('a TLS 1.2-only server: refused (ProtocolVersion) without the tls12 module, completed with it', async () => {
    const server = Full.createServerConfig({ cert: pki.chainPem, key: pki.keyPem, maxVersion: 'TLSv1.2' });
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem });
    const s1 = Full.TlsConnection.server(server);
    await pump(lean, s1);
    expect(lean.handshakeComplete).toBe(false);
    // The server finds no common version (RFC 9846 §4.2.1) and says so with protocol_version.
    expect(s1.error?.status).toBe('ProtocolVersion');
    expect(lean.error?.status).toBe('AlertReceived');

    const config = Client.createClientConfig({ ca: pki.caCertPem, modules: [Client.tls12] });
    const c = Client.TlsConnection.client(config, { servername: 'a.example' });
    const s2 = Full.TlsConnection.server(server);
    await pump(c, s2);
    expect(c.error).toBeNull();
    expect(c.handshakeComplete).toBe(true);
    expect(c.info.version).toBe('TLSv1.2');
  });

  it('a server that would staple a bad OCSP response: the full client asks and refuses it; puretls/client without ocsp never asks, so nothing is stapled', async () => {
    const server = Full.createServerConfig({ certificates: [{ cert: pki.chainPem, key: pki.keyPem, ocspResponse: new Uint8Array([0x30, 0x03, 0x0a, 0x01, 0x00]) }] });
    const full = Full.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem });
    const s1 = Full.TlsConnection.server(server);
    await pump(full, s1);
    expect(full.handshakeComplete).toBe(false);
    expect(full.info.certificateErrors.map((e) => e.code)).toContain('RevocationFailure');

    const traces: string[] = [];
    const lean = Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem, trace: (e) => traces.push(e.summary) });
    const s2 = Full.TlsConnection.server(server);
    await pump(lean, s2);
    expect(lean.error).toBeNull();
    expect(lean.handshakeComplete).toBe(true);
    expect(lean.info.certificateErrors).toEqual([]);
    expect(traces.join('\n')).not.toMatch(/OCSP/i);
  });

  it('asking for what a missing module does is InvalidConfig naming the module', () => {
    const a = thrown(() => Client.createClientConfig({ ca: pki.caCertPem, minVersion: 'TLSv1.2' }));
    expect(a.status).toBe('InvalidConfig');
    expect(a.message).toContain('tls12');
    const b = thrown(() => Client.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem, requireRevocationInformation: true }));
    expect(b.status).toBe('InvalidConfig');
    expect(b.message).toContain('ocsp');
    // With the modules the same options are fine.
    expect(() => Client.createClientConfig({ ca: pki.caCertPem, minVersion: 'TLSv1.2', requireRevocationInformation: true, modules: [Client.tls12, Client.ocsp] })).not.toThrow();
  });

  it('only the exported modules are accepted: a look-alike object or a non-array is InvalidConfig', () => {
    for (const modules of [[{ name: 'tls12' }], [null], 'tls12', [Object.assign({}, Client.ocsp)]]) {
      const e = thrown(() => Client.createClientConfig({ ca: pki.caCertPem, modules: modules as unknown as Client.ClientModule[] }));
      expect(e.status).toBe('InvalidConfig');
    }
    expect(Object.isFrozen(Client.tls12)).toBe(true);
  });
});

describe('puretls/client in a bundle (esbuild, minified)', () => {
  /** Bundles a program and returns the source files it kept and its gzip size. */
  async function bundle(program: string): Promise<{ inputs: string[]; gz: number }> {
    const esbuild = await import('esbuild');
    const r = await esbuild.build({
      stdin: { contents: program, resolveDir: process.cwd(), loader: 'ts' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      write: false,
      metafile: true,
    });
    const out = Object.values(r.metafile.outputs)[0]!;
    const inputs = Object.entries(out.inputs)
      .filter(([, v]) => v.bytesInOutput > 0)
      .map(([k]) => k);
    return { inputs, gz: gzipSync(r.outputFiles[0]!.contents, { level: 9 }).length };
  }
  const program = (entry: string, extra = ''): string =>
    `import { TlsConnection${extra ? ', ' + extra : ''} } from './src/${entry}'; export const c = (ca) => TlsConnection.client({ servername: 'x', ca${extra ? `, modules: [${extra}]` : ''} });`;
  const SERVER = ['src/handshake/server-hello.ts', 'src/handshake/server-tls13.ts', 'src/handshake/server-tls12.ts'];
  const TLS12 = ['src/handshake/client-tls12.ts', 'src/keys/tls12-prf.ts', 'src/wire/tls12.ts'];
  const OCSP = ['src/verify/ocsp.ts'];
  const has = (inputs: string[], f: string): boolean => inputs.some((i) => i.endsWith(f));

  it('a client of puretls/client carries no server code, no TLS 1.2 and no OCSP; its modules bring exactly their code', async () => {
    const lean = await bundle(program('client.ts'));
    for (const f of [...SERVER, ...TLS12, ...OCSP]) expect(has(lean.inputs, f), f).toBe(false);
    expect(has(lean.inputs, 'src/handshake/client-tls13.ts')).toBe(true);
    // The base is puretls's own code: X25519 ladder, ECDSA verification, SHA-2/HMAC/HKDF and the
    // AES key schedule are ours (src/crypto/x25519.ts, ecdsa.ts, sha2.ts, gcm.ts), no @noble module.
    expect(lean.inputs.filter((i) => i.includes('@noble/'))).toEqual([]);

    const with12 = await bundle(program('client.ts', 'tls12'));
    for (const f of TLS12) expect(has(with12.inputs, f), f).toBe(true);
    for (const f of [...SERVER, ...OCSP]) expect(has(with12.inputs, f), f).toBe(false);

    const withOcsp = await bundle(program('client.ts', 'ocsp'));
    for (const f of OCSP) expect(has(withOcsp.inputs, f), f).toBe(true);
    for (const f of [...SERVER, ...TLS12]) expect(has(withOcsp.inputs, f), f).toBe(false);

    // The full entry keeps everything alive (its TlsConnection has server()): the reason for the split.
    const full = await bundle(program('index.ts'));
    for (const f of [...SERVER, ...TLS12, ...OCSP]) expect(has(full.inputs, f), f).toBe(true);
    expect(lean.gz).toBeLessThan(full.gz);
  }, 60_000);
});
