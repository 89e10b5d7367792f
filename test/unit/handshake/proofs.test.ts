/**
 * Proof-carrying handshake states (issue 8 item 1): a state that depends on an earlier
 * check takes a value only that check can make, so skipping the check does not compile.
 *
 * The compile-time half is `skippedChecksDoNotCompile` below: every `@ts-expect-error`
 * line skips one check, and `npm run typecheck` fails if any of them type-checks again
 * ("Unused '@ts-expect-error' directive"). Each group starts with the line that does
 * compile, so the expected errors come from the missing proof and nothing else. The
 * function is never called. The run-time half checks that a cast does not make a proof
 * either.
 */
import { describe, expect, it } from 'vitest';
import type { ResolvedCommon } from '../../../src/config/config.js';
import type { CryptoProvider, PublicKeyInfo } from '../../../src/crypto/provider.js';
import type { Tls13Suite } from '../../../src/crypto/suites.js';
import { TlsError } from '../../../src/base/errors.js';
import type { Certificate, Certificate12, ServerKeyExchange } from '../../../src/wire/messages.js';
import type { RecordProtector } from '../../../src/record/protector.js';
import type { HandshakeOutput, HandshakeResult } from '../../../src/handshake/state.js';
import { CertificateChainAccepted } from '../../../src/handshake/peer-auth.js';
import { HandshakeSignatureValid, verifyCertificateVerify12, verifyCertificateVerify13, verifyServerKeyExchange } from '../../../src/handshake/signatures.js';
import { ClientAuthDecided, ServerAuthenticated, type ClientAuthPolicy } from '../../../src/handshake/proofs.js';
import { FinishedVerified, verifyFinished12, verifyFinished13 } from '../../../src/handshake/finished.js';
import type { Session12 } from '../../../src/handshake/tls12-common.js';
import { ExpectCertificateVerify as ClientCertificateVerify13, ExpectFinished as ClientFinished13, type Client13, type SessionOrigin } from '../../../src/handshake/client-tls13.js';
import { BinderVerified, PskSelected } from '../../../src/handshake/psk.js';
import { ExpectFinished as ClientFinished12, type Client12 } from '../../../src/handshake/client-tls12.js';
import { ExpectClientCertificateVerify as ServerCertificateVerify13, ExpectFinished as ServerFinished13, type ClientChain, type Server13 } from '../../../src/handshake/server-tls13.js';
import { ExpectCertificateVerify as ServerCertificateVerify12, ExpectFinished as ServerFinished12, type Server12 } from '../../../src/handshake/server-tls12.js';

/** Whatever a state or check takes besides its proof, and one of each proof. */
interface Given {
  cfg: ResolvedCommon;
  crypto: CryptoProvider;
  suite: Tls13Suite;
  bytes: Uint8Array;
  key: PublicKeyInfo;
  ske: ServerKeyExchange;
  emptyCertificate: Certificate;
  emptyCertificate12: Certificate12;
  policy: ClientAuthPolicy;
  session: Session12;
  protector: RecordProtector;
  out: HandshakeOutput;
  result: HandshakeResult;
  client13: Client13;
  client12: Client12;
  server13: Server13;
  server12: Server12;
  serverChain: CertificateChainAccepted<'server'>;
  clientChain: CertificateChainAccepted<'client'>;
  serverSignature: HandshakeSignatureValid<'server'>;
  clientSignature: HandshakeSignatureValid<'client'>;
  serverAuthenticated: ServerAuthenticated;
  clientAuthDecided: ClientAuthDecided;
  finished: FinishedVerified;
  origin: SessionOrigin;
  clientChainInfo: ClientChain;
  binder: BinderVerified;
  pskSelected: PskSelected;
}

export function skippedChecksDoNotCompile(g: Given): void {
  const { cfg, crypto, suite, bytes, key, session, protector, out, result } = g;

  // The client's TLS 1.3 ExpectFinished needs the server authenticated (certificate + CertificateVerify).
  new ClientFinished13(g.client13, null, g.serverAuthenticated, g.origin);
  // Resumption: the server selected our PSK consistently (psk.ts acceptPskSelection).
  new ClientFinished13(g.client13, null, ServerAuthenticated.byPsk(g.pskSelected), g.origin);
  // @ts-expect-error: a verified binder is the server's proof about the client, not about the server
  ServerAuthenticated.byPsk(g.binder);
  // @ts-expect-error: no proof at all
  new ClientFinished13(g.client13, null, g.origin);
  // @ts-expect-error: an accepted chain whose CertificateVerify was never checked
  new ClientFinished13(g.client13, null, g.serverChain, g.origin);
  // @ts-expect-error: a verified signature must still become ServerAuthenticated
  new ClientFinished13(g.client13, null, g.serverSignature, g.origin);
  // @ts-expect-error: the client's certificate decision says nothing about the server
  new ClientFinished13(g.client13, null, g.clientAuthDecided, g.origin);
  // @ts-expect-error: something shaped like a proof is not one
  new ClientFinished13(g.client13, null, { via: 'certificate', scheme: 0x0804 }, g.origin);

  // The client's TLS 1.2 ExpectFinished, the same (certificate + ServerKeyExchange signature).
  new ClientFinished12(g.client12, session, g.serverAuthenticated);
  // @ts-expect-error: no proof at all
  new ClientFinished12(g.client12, session);
  // @ts-expect-error: an accepted chain whose ServerKeyExchange signature was never checked
  new ClientFinished12(g.client12, session, g.serverChain);

  // ServerAuthenticated comes from a verified server signature only.
  ServerAuthenticated.byCertificate(g.serverSignature);
  // @ts-expect-error: the constructor is private
  new ServerAuthenticated();
  // @ts-expect-error: a client's signature does not authenticate the server
  ServerAuthenticated.byCertificate(g.clientSignature);
  // @ts-expect-error: nor does a chain without its signature
  ServerAuthenticated.byCertificate(g.serverChain);

  // Handshake signatures are checked under the key of an accepted chain, never a bare key.
  verifyCertificateVerify13(cfg, g.serverChain, 0x0804, bytes, bytes);
  new ClientCertificateVerify13(g.client13, null, g.serverChain, g.origin);
  // @ts-expect-error: a key whose certificate chain was never judged
  verifyCertificateVerify13(cfg, key, 0x0804, bytes, bytes);
  // @ts-expect-error: the client's CertificateVerify state needs the server's accepted chain
  new ClientCertificateVerify13(g.client13, null, key, g.origin);
  verifyServerKeyExchange(cfg, g.serverChain, bytes, bytes, g.ske);
  // @ts-expect-error: a key whose certificate chain was never judged
  verifyServerKeyExchange(cfg, key, bytes, bytes, g.ske);
  // @ts-expect-error: a client's chain cannot vouch for a ServerKeyExchange
  verifyServerKeyExchange(cfg, g.clientChain, bytes, bytes, g.ske);
  verifyCertificateVerify12(cfg, g.clientChain, 0x0804, bytes, bytes);
  // @ts-expect-error: a key whose certificate chain was never judged
  verifyCertificateVerify12(cfg, key, 0x0804, bytes, bytes);
  // @ts-expect-error: the constructor is private
  new CertificateChainAccepted('server', key);
  // @ts-expect-error: the constructor is private
  new HandshakeSignatureValid('server', 0x0804);

  // The server's TLS 1.3 ExpectFinished needs the client-certificate question settled.
  new ServerFinished13(g.server13, g.clientAuthDecided, g.clientChainInfo);
  // Resumption: the client's binder verified, and the original decision.
  new ServerFinished13(g.server13, ClientAuthDecided.resumed(g.binder, 'no-certificate', 'request'), g.clientChainInfo);
  // @ts-expect-error: the server's PSK selection (a client-side proof) says nothing about the client
  ClientAuthDecided.resumed(g.pskSelected, 'no-certificate', 'request');
  new ServerCertificateVerify13(g.server13, g.clientChain, g.clientChainInfo);
  // @ts-expect-error: built before the client's certificate was seen (the old bug)
  new ServerFinished13(g.server13, undefined, g.clientChainInfo);
  // @ts-expect-error: an accepted client chain whose CertificateVerify was never checked
  new ServerFinished13(g.server13, g.clientChain, g.clientChainInfo);
  // @ts-expect-error: the server's own authentication settles nothing about the client
  new ServerFinished13(g.server13, g.serverAuthenticated, g.clientChainInfo);

  // The server's TLS 1.2 ExpectFinished, the same.
  new ServerFinished12(g.server12, session, protector, g.clientAuthDecided);
  new ServerCertificateVerify12(g.server12, g.clientChain, session, { client: protector, server: protector });
  // @ts-expect-error: built before the client's certificate was seen
  new ServerFinished12(g.server12, session, protector);
  // @ts-expect-error: an accepted client chain whose CertificateVerify was never checked
  new ServerFinished12(g.server12, session, protector, g.clientChain);

  // ClientAuthDecided: not requested (policy narrowed to 'none'), none sent when only
  // requested (with the client's empty Certificate), or a verified client signature.
  if (g.policy === 'none') ClientAuthDecided.notRequested(g.policy);
  if (g.policy === 'request') ClientAuthDecided.withoutCertificate(g.policy, g.emptyCertificate);
  ClientAuthDecided.withoutCertificate('request', g.emptyCertificate12);
  ClientAuthDecided.byCertificate(g.clientSignature);
  // @ts-expect-error: a policy that may request certificates
  ClientAuthDecided.notRequested(g.policy);
  // @ts-expect-error: a required certificate cannot be waived
  ClientAuthDecided.withoutCertificate('require', g.emptyCertificate);
  // @ts-expect-error: not before the client's Certificate message arrived
  ClientAuthDecided.withoutCertificate('request');
  // @ts-expect-error: the server's signature does not authenticate the client
  ClientAuthDecided.byCertificate(g.serverSignature);
  // @ts-expect-error: the constructor is private
  new ClientAuthDecided();

  // The peer's Finished is checked only once its authentication is settled.
  verifyFinished13(crypto, suite, bytes, bytes, bytes, g.serverAuthenticated);
  verifyFinished12(crypto, session, 'client', bytes, bytes, g.clientAuthDecided);
  // @ts-expect-error: no proof that the peer is authenticated
  verifyFinished13(crypto, suite, bytes, bytes, bytes);
  // @ts-expect-error: no proof that the peer is authenticated
  verifyFinished12(crypto, session, 'server', bytes, bytes);
  // @ts-expect-error: a signature alone does not settle it
  verifyFinished13(crypto, suite, bytes, bytes, bytes, g.serverSignature);

  // Application data is enabled with a verified Finished only.
  out.handshakeDone(result, g.finished);
  // @ts-expect-error: no verified Finished
  out.handshakeDone(result);
  // @ts-expect-error: authentication without a verified Finished
  out.handshakeDone(result, g.serverAuthenticated);
  // @ts-expect-error: the constructor is private
  new FinishedVerified();
}

/** Calls a proof class's constructor the way a cast would let anyone. */
function forge(cls: unknown, ...args: unknown[]): unknown {
  return Reflect.construct(cls as new (...a: unknown[]) => unknown, args);
}

describe('proofs cannot be forged at run time either', () => {
  const classes: [string, unknown][] = [
    ['CertificateChainAccepted', CertificateChainAccepted],
    ['HandshakeSignatureValid', HandshakeSignatureValid],
    ['ServerAuthenticated', ServerAuthenticated],
    ['ClientAuthDecided', ClientAuthDecided],
    ['FinishedVerified', FinishedVerified],
    ['BinderVerified', BinderVerified],
    ['PskSelected', PskSelected],
  ];
  for (const [name, cls] of classes) {
    it(`new ${name}(…) through a cast throws InternalError`, () => {
      for (const args of [[], [Symbol(name), 'server', 0x0804], [undefined, 'client']]) {
        expect(() => forge(cls, ...args)).toThrow(TlsError);
        try {
          forge(cls, ...args);
        } catch (e) {
          expect((e as TlsError).status).toBe('InternalError');
        }
      }
    });
  }

  it('ClientAuthDecided.withoutCertificate refuses a Certificate that carries one', () => {
    const withEntry: Certificate = { type: 'certificate', context: new Uint8Array(0), entries: [{ certData: new Uint8Array([1]), extensions: {} }] };
    expect(() => ClientAuthDecided.withoutCertificate('request', withEntry)).toThrow(/must be judged/);
    const withCert12: Certificate12 = { type: 'certificate12', certificates: [new Uint8Array([1])] };
    expect(() => ClientAuthDecided.withoutCertificate('request', withCert12)).toThrow(/must be judged/);
    const empty: Certificate = { type: 'certificate', context: new Uint8Array(0), entries: [] };
    expect(ClientAuthDecided.withoutCertificate('request', empty).outcome).toBe('no-certificate');
  });

  it('a resumed session cannot waive a certificate the policy now requires', () => {
    const binder = undefined as unknown as BinderVerified;
    expect(() => ClientAuthDecided.resumed(binder, 'no-certificate', 'require')).toThrow(TlsError);
  });

  it('a policy cast past the type check is refused', () => {
    expect(() => ClientAuthDecided.notRequested('request' as 'none')).toThrow(/requested/);
    const empty: Certificate12 = { type: 'certificate12', certificates: [] };
    expect(() => ClientAuthDecided.withoutCertificate('require' as 'request', empty)).toThrow(/required/);
  });
});
