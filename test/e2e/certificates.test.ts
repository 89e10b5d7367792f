/**
 * End to end (issue 4, "How it is checked"): certificate errors through whole handshakes,
 * both roles (a client judging the server's chain, a server judging a client
 * certificate), TLS 1.2 and TLS 1.3, over the in-memory relay.
 *
 * For every bad chain: the verifying side fails with the status naming the error and
 * sends the matching alert, and the peer receives that alert; an ignorable error ignored
 * exactly succeeds with `certificateErrors` listing it (severity 'ignorable'); ignoring
 * every *other* ignorable error still fails; a fatal error cannot be configured as
 * ignorable (InvalidConfig) and `rejectUnauthorized: false` does not wave it through.
 * Then combinations, the handshake signature that no verifier setting can skip (a
 * certificate swapped in flight for another valid one with the same name: DecryptError),
 * and stapled OCSP from our own server. Real sockets and `openssl s_server` are in
 * certificates-net.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions, TlsVersionName } from '../../src/config/config.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { AlertDescription, alertName } from '../../src/base/errors.js';
import type { CertificateErrorCode, CertificateVerifier } from '../../src/verify/verifier.js';
import { parseCertificate } from '../../src/verify/x509.js';
import { KeyLog } from '../helpers/mitm.js';
import { expectStatus } from '../helpers/tls-error.js';
import { DAY } from '../verify/builder.js';
import { BAD_CHAINS, EXPECTED, FATAL, HAVE_OPENSSL, IGNORABLE, NOW, good, leafFor, inter, makeOcspSet, root, tempDir, type Identity, type OcspSet, type Role } from './pki.js';
import { relay, swapCertificate12, swapCertificate13, type Tamper } from './relay.js';
import { readAll } from '../../src/testing/index.js';

const VERSIONS: readonly TlsVersionName[] = ['TLSv1.3', 'TLSv1.2'];
const codes = (errors: readonly { code: string }[]): string[] => [...new Set(errors.map((e) => e.code))].sort();

const goodServer = good('server');
const goodClient = good('client');

interface Pair {
  client: TlsConnection;
  server: TlsConnection;
  /** The side judging the certificate under test, and its peer. */
  verifier: TlsConnection;
  peer: TlsConnection;
}

/**
 * A client and a server for `version`, where the certificate of `role` is `id` and the
 * other side judges it with `judge` options added (trusting `root`). The server always
 * requires a client certificate when `role` is 'client'.
 */
function makePair(version: TlsVersionName, role: Role, id: Identity, judge: Partial<ClientOptions & ServerOptions> = {}, extra: { client?: Partial<ClientOptions>; server?: Partial<ServerOptions> } = {}): Pair {
  const common = { minVersion: version, maxVersion: version };
  let client: TlsConnection;
  let server: TlsConnection;
  if (role === 'server') {
    client = TlsConnection.client({ ...common, servername: 'localhost', ca: root.der, ...judge, ...extra.client });
    server = TlsConnection.server({ ...common, cert: id.chain, key: id.keyPem, ...extra.server });
  } else {
    client = TlsConnection.client({ ...common, servername: 'localhost', ca: root.der, cert: id.chain, key: id.keyPem, ...extra.client });
    server = TlsConnection.server({ ...common, cert: goodServer.chain, key: goodServer.keyPem, requireCert: true, ca: root.der, ...judge, ...extra.server });
  }
  return role === 'server' ? { client, server, verifier: client, peer: server } : { client, server, verifier: server, peer: client };
}

async function handshake(version: TlsVersionName, role: Role, id: Identity, judge: Partial<ClientOptions & ServerOptions> = {}, tamper?: Tamper): Promise<Pair> {
  const p = makePair(version, role, id, judge);
  await relay(p.client, p.server, tamper);
  return p;
}

/** Both sides completed, on `version`, and application data flows both ways. */
async function expectUsable(p: Pair, version: TlsVersionName): Promise<void> {
  expect(p.client.error, p.client.error?.message).toBeNull();
  expect(p.server.error, p.server.error?.message).toBeNull();
  expect(p.client.info.version).toBe(version);
  p.client.write(new TextEncoder().encode('ping'));
  p.server.write(new TextEncoder().encode('pong'));
  await relay(p.client, p.server);
  expect(new TextDecoder().decode(readAll(p.server))).toBe('ping');
  expect(new TextDecoder().decode(readAll(p.client))).toBe('pong');
}

/** The verifying side failed with `status` and sent `alert`; the peer received exactly that alert. */
function expectRefused(p: Pair, status: string, alert: number): void {
  const e = p.verifier.error;
  expect(e, `expected ${status}, the handshake succeeded`).not.toBeNull();
  expect({ status: e!.status, alert: e!.alert, source: e!.source }).toEqual({ status, alert, source: 'local' });
  const pe = p.peer.error;
  expect(pe, 'the peer saw no error').not.toBeNull();
  expect({ status: pe!.status, alert: pe!.alert }).toEqual({ status: 'AlertReceived', alert });
}

function expectInvalidConfig(f: () => unknown): void {
  expectStatus(f, 'InvalidConfig');
}

// ------------------------------------------------------------------ every bad chain, alone

for (const version of VERSIONS) {
  for (const role of ['server', 'client'] as const) {
    describe(`${version}: a ${role} certificate with one error, judged by the ${role === 'server' ? 'client' : 'server'}`, () => {
      for (const bad of BAD_CHAINS.filter((b) => b.roles.includes(role))) {
        const code = bad.code;
        if (code === null) {
          it(`${bad.id}: accepted, no error reported`, async () => {
            const p = await handshake(version, role, bad.make(role));
            await expectUsable(p, version);
            expect(p.verifier.info.certificateErrors).toEqual([]);
            expect(p.verifier.info.certificateErrorSeverity).toBe('none');
          });
          continue;
        }
        const fatal = FATAL.includes(code);
        const { status, alert } = EXPECTED[code];
        it(`${bad.id} → ${status} / ${alertName(alert)}${fatal ? ' (fatal)' : ''}`, async () => {
          const id = bad.make(role);
          // 1. Refused, with every error found on the error and in info.
          const refused = await handshake(version, role, id);
          expectRefused(refused, status, alert);
          expect(codes(refused.verifier.error!.certificateErrors)).toEqual([code]);
          expect(codes(refused.verifier.info.certificateErrors)).toEqual([code]);
          expect(refused.verifier.info.certificateErrorSeverity).toBe(fatal ? 'fatal' : 'ignorable');
          expect(refused.verifier.info.peerCertificate).toEqual(id.chain[0]);

          if (!fatal) {
            // 2. Ignoring exactly this error: accepted, and still reported.
            const accepted = await handshake(version, role, id, { ignorableCertificateErrors: [code] });
            await expectUsable(accepted, version);
            expect(codes(accepted.verifier.info.certificateErrors)).toEqual([code]);
            expect(accepted.verifier.info.certificateErrorSeverity).toBe('ignorable');
            expect(accepted.verifier.info.peerIntermediates).toEqual(id.chain.slice(1));
            // 3. Ignoring every other ignorable error: still refused.
            const others = await handshake(version, role, id, { ignorableCertificateErrors: IGNORABLE.filter((c) => c !== code) });
            expectRefused(others, status, alert);
            // 4. rejectUnauthorized: false ignores every ignorable error.
            const lax = await handshake(version, role, id, { rejectUnauthorized: false });
            await expectUsable(lax, version);
            expect(codes(lax.verifier.info.certificateErrors)).toEqual([code]);
          } else {
            // 2. A fatal code is a configuration error on the judging side.
            expectInvalidConfig(() => makePair(version, role, id, { ignorableCertificateErrors: [code] }));
            expectInvalidConfig(() => makePair(version, role, id, { ignorableCertificateErrors: [...IGNORABLE, code] }));
            // 3. Neither rejectUnauthorized: false nor every ignorable code waves it through.
            expectRefused(await handshake(version, role, id, { rejectUnauthorized: false }), status, alert);
            expectRefused(await handshake(version, role, id, { ignorableCertificateErrors: IGNORABLE }), status, alert);
          }
        });
      }
    });
  }
}

// ------------------------------------------------------------------ combinations

describe('several errors at once', () => {
  const expiredWrongName = (): Identity => {
    const leaf = leafFor('server', { notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY), san: [{ dns: 'wrong.example' }] });
    return { chain: [leaf.der, inter.der], keyPem: leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, leaf };
  };
  const expiredBadSignature = (role: Role): Identity => {
    const leaf = leafFor(role, { notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY), tamperSignature: (s) => s.map((b, i) => (i === 12 ? b ^ 1 : b)) });
    return { chain: [leaf.der, inter.der], keyPem: leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, leaf };
  };
  const expiredWrongEku = (): Identity => {
    const leaf = leafFor('client', { notBefore: new Date(NOW - 30 * DAY), notAfter: new Date(NOW - DAY), eku: ['1.3.6.1.5.5.7.3.4'] });
    return { chain: [leaf.der, inter.der], keyPem: leaf.key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, leaf };
  };

  for (const version of VERSIONS) {
    it(`${version}: expired and for another name: both reported; ignoring one still fails on the other; ignoring both succeeds`, async () => {
      const id = expiredWrongName();
      const none = await handshake(version, 'server', id);
      // The principal error: dates before names (src/handshake/cert-status.ts).
      expectRefused(none, 'CertificateExpired', AlertDescription.certificate_expired);
      expect(codes(none.verifier.error!.certificateErrors)).toEqual(['Expired', 'InvalidName']);
      const onlyExpired = await handshake(version, 'server', id, { ignorableCertificateErrors: ['Expired'] });
      expectRefused(onlyExpired, 'CertificateInvalidName', AlertDescription.bad_certificate);
      expect(codes(onlyExpired.verifier.error!.certificateErrors)).toEqual(['Expired', 'InvalidName']);
      const onlyName = await handshake(version, 'server', id, { ignorableCertificateErrors: ['InvalidName'] });
      expectRefused(onlyName, 'CertificateExpired', AlertDescription.certificate_expired);
      const both = await handshake(version, 'server', id, { ignorableCertificateErrors: ['InvalidName', 'Expired'] });
      await expectUsable(both, version);
      expect(codes(both.client.info.certificateErrors)).toEqual(['Expired', 'InvalidName']);
      expect(both.client.info.certificateErrorSeverity).toBe('ignorable');
    });

    for (const role of ['server', 'client'] as const) {
      it(`${version}: a ${role} certificate expired and badly signed: ignoring Expired (or everything ignorable) still fails on the signature`, async () => {
        const id = expiredBadSignature(role);
        const r = await handshake(version, role, id, { ignorableCertificateErrors: ['Expired'] });
        expectRefused(r, 'CertificateInvalidSignature', AlertDescription.bad_certificate);
        expect(codes(r.verifier.error!.certificateErrors)).toEqual(['Expired', 'InvalidSignature']);
        expect(r.verifier.info.certificateErrorSeverity).toBe('fatal');
        expectRefused(await handshake(version, role, id, { rejectUnauthorized: false }), 'CertificateInvalidSignature', AlertDescription.bad_certificate);
      });
    }

    it(`${version}: a client certificate expired and for the wrong usage: ignoring Expired fails on WrongUsage`, async () => {
      const id = expiredWrongEku();
      const r = await handshake(version, 'client', id, { ignorableCertificateErrors: ['Expired'] });
      expectRefused(r, 'CertificateWrongUsage', AlertDescription.unsupported_certificate);
      expect(codes(r.verifier.error!.certificateErrors)).toEqual(['Expired', 'WrongUsage']);
      await expectUsable(await handshake(version, 'client', id, { ignorableCertificateErrors: ['Expired', 'WrongUsage'] }), version);
    });
  }

  it('a fatal code next to rejectUnauthorized: false is still a configuration error', () => {
    expectInvalidConfig(() => TlsConnection.client({ rejectUnauthorized: false, ignorableCertificateErrors: ['Revoked'] as CertificateErrorCode[] }));
    expectInvalidConfig(() => TlsConnection.server({ cert: goodServer.chain, key: goodServer.keyPem, rejectUnauthorized: false, ignorableCertificateErrors: ['InvalidSignature'] }));
  });
});

// ------------------------------------------------------------------ the handshake signature is never skipped

describe('a certificate whose key did not sign the handshake', () => {
  // The same names, a valid chain, another key: swapped in flight for the certificate
  // whose key really signs CertificateVerify (1.3) / ServerKeyExchange or CertificateVerify (1.2).
  const impostor: Record<Role, Identity> = {
    server: (() => {
      const leaf = leafFor('server');
      return { chain: [leaf.der, inter.der], keyPem: '', leaf };
    })(),
    client: (() => {
      const leaf = leafFor('client');
      return { chain: [leaf.der, inter.der], keyPem: '', leaf };
    })(),
  };
  /** A verifier that accepts anything and even names the key that really signed. */
  const lyingVerifier = (signer: Identity): CertificateVerifier => ({
    verify: () => Promise.resolve({ errors: [], severity: 'none', leafPublicKey: nobleProvider.parsePublicKey(parseCertificate(signer.chain[0]!).spki) }),
  });

  for (const version of VERSIONS) {
    for (const role of ['server', 'client'] as const) {
      const what = role === 'server' && version === 'TLSv1.2' ? 'ServerKeyExchange' : 'CertificateVerify';
      it(`${version}: the ${role}'s ${what} is checked against the certificate sent → DecryptError, whatever is ignored or whoever verifies`, async () => {
        const keys = new KeyLog();
        const signer = role === 'server' ? goodServer : goodClient;
        const swapped = impostor[role].chain;
        const swap = (flight: Uint8Array): Uint8Array =>
          version === 'TLSv1.2'
            ? swapCertificate12(flight, swapped)
            : swapCertificate13(flight, swapped, keys, role === 'server' ? 'SERVER_HANDSHAKE_TRAFFIC_SECRET' : 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
        for (const judge of [{ rejectUnauthorized: false }, { ignorableCertificateErrors: IGNORABLE }, { verifier: lyingVerifier(signer) }, {}] as Partial<ClientOptions & ServerOptions>[]) {
          const p = makePair(version, role, signer, judge, {
            client: { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], keyLog: keys.fn },
            server: { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'], keyLog: keys.fn },
          });
          let swappedOnce = false;
          await relay(p.client, p.server, (d, flight, n) => {
            // The client's certificate travels in its first flight after the server's (1.2: Certificate, CKE, CV; 1.3: {Certificate, CV, Finished}).
            if (role === 'client' ? d === 'c2s' && n === 1 : d === 's2c' && n === 0) {
              swappedOnce = true;
              return swap(flight);
            }
            return flight;
          });
          expect(swappedOnce).toBe(true);
          expectRefused(p, 'DecryptError', AlertDescription.decrypt_error);
          // The swapped-in chain itself is fine: the failure is the signature alone.
          if (!('verifier' in judge)) expect(p.verifier.info.certificateErrors).toEqual([]);
          expect(p.verifier.info.peerCertificate).toEqual(swapped[0]);
        }
        // Control: the same setup without the swap succeeds.
        const control = makePair(version, role, signer, {}, { client: { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] }, server: { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'] } });
        await relay(control.client, control.server);
        await expectUsable(control, version);
      });
    }
  }
});

// ------------------------------------------------------------------ stapled OCSP from our server

describe.skipIf(!HAVE_OPENSSL)('stapled OCSP (responses made by openssl ocsp), served by puretls', () => {
  let ocsp: OcspSet | undefined;
  const set = (): OcspSet => {
    if (!ocsp) {
      const t = tempDir('puretls-e2e-ocsp-');
      try {
        ocsp = makeOcspSet(t.dir);
      } finally {
        t.remove();
      }
    }
    return ocsp;
  };
  const stapling = async (version: TlsVersionName, id: Identity, response: Uint8Array | undefined, judge: Partial<ClientOptions> = {}): Promise<Pair> => {
    const common = { minVersion: version, maxVersion: version };
    const client = TlsConnection.client({ ...common, servername: 'localhost', ca: root.der, ...judge });
    const server = TlsConnection.server({ ...common, certificates: [{ cert: id.chain, key: id.keyPem, ...(response ? { ocspResponse: response } : {}) }] });
    await relay(client, server);
    return { client, server, verifier: client, peer: server };
  };

  for (const version of VERSIONS) {
    it(`${version}: a good response → no error, also when revocation information is required`, async () => {
      const s = set();
      const p = await stapling(version, s.identity, s.goodResponse, { requireRevocationInformation: true });
      await expectUsable(p, version);
      expect(p.client.info.certificateErrors).toEqual([]);
    });

    it(`${version}: a revoked certificate → CertificateRevoked / certificate_revoked, fatal, not ignorable`, async () => {
      const s = set();
      const p = await stapling(version, s.revoked, s.revokedResponse);
      expectRefused(p, 'CertificateRevoked', AlertDescription.certificate_revoked);
      expect(codes(p.client.error!.certificateErrors)).toEqual(['Revoked']);
      expect(p.client.info.certificateErrorSeverity).toBe('fatal');
      expectRefused(await stapling(version, s.revoked, s.revokedResponse, { rejectUnauthorized: false }), 'CertificateRevoked', AlertDescription.certificate_revoked);
      expectInvalidConfig(() => TlsConnection.client({ ignorableCertificateErrors: ['Revoked'] }));
    });

    it(`${version}: a response signed by a stranger → CertificateRevocationFailure (ignorable)`, async () => {
      const s = set();
      const p = await stapling(version, s.identity, s.strangerResponse);
      expectRefused(p, 'CertificateRevocationFailure', AlertDescription.bad_certificate_status_response);
      expect(codes(p.client.error!.certificateErrors)).toEqual(['RevocationFailure']);
      const ok = await stapling(version, s.identity, s.strangerResponse, { ignorableCertificateErrors: ['RevocationFailure'] });
      await expectUsable(ok, version);
      expect(codes(ok.client.info.certificateErrors)).toEqual(['RevocationFailure']);
      expect(ok.client.info.certificateErrorSeverity).toBe('ignorable');
    });

    it(`${version}: a response about another certificate (the good leaf's, stapled for the revoked one) → RevocationFailure`, async () => {
      const s = set();
      const p = await stapling(version, s.revoked, s.goodResponse);
      expectRefused(p, 'CertificateRevocationFailure', AlertDescription.bad_certificate_status_response);
    });

    it(`${version}: no staple with requireRevocationInformation → CertificateRevocationInformationMissing / certificate_unknown (ignorable)`, async () => {
      const s = set();
      const p = await stapling(version, s.identity, undefined, { requireRevocationInformation: true });
      expectRefused(p, 'CertificateRevocationInformationMissing', AlertDescription.certificate_unknown);
      const ok = await stapling(version, s.identity, undefined, { requireRevocationInformation: true, ignorableCertificateErrors: ['RevocationInformationMissing'] });
      await expectUsable(ok, version);
      expect(codes(ok.client.info.certificateErrors)).toEqual(['RevocationInformationMissing']);
      // Not asking for a staple (requestOCSP: false) means none is sent: missing too.
      const notAsked = await stapling(version, s.identity, s.goodResponse, { requestOCSP: false, requireRevocationInformation: true });
      expectRefused(notAsked, 'CertificateRevocationInformationMissing', AlertDescription.certificate_unknown);
      // Without the requirement, no staple is no error.
      await expectUsable(await stapling(version, s.identity, undefined), version);
    });
  }
});
