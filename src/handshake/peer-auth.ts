/**
 * Judging the peer's certificate chain, for both roles and both versions: the
 * verifier's findings, a stapled OCSP response (RFC 6066 §8, RFC 9846 §4.5.1.1), the
 * caller's ignorable errors, and the leaf key that the handshake signature is checked
 * against. The leaf key is always parsed here from the certificate the peer sent, never
 * taken from a (possibly custom) verifier, so no verifier can redirect the
 * CertificateVerify / ServerKeyExchange check. An accepted chain yields a
 * {@link CertificateChainAccepted}, the first proof of `proofs.ts`.
 *
 * @module
 */
import type { ResolvedCommon } from '../config/config.js';
import type { CryptoProvider, PublicKeyInfo } from '../crypto/provider.js';
import { TlsError } from '../base/errors.js';
import { toCertificate, type Certificate } from '../verify/certificate.js';
import type { verifyOcspResponseWith } from '../verify/ocsp.js';
import { parseCertificate, parseRemembered, type ParsedCertificate } from '../verify/x509.js';
import { rememberedPublicKey } from '../verify/engine.js';
import type { CertificateError, CertificateErrorCode, CertificateVerifier } from '../verify/verifier.js';
import { severityOf } from '../verify/verifier.js';
import { principalStatus } from './cert-status.js';
import { StepFailed, type HandshakeOutput, type Learned } from './state.js';

/** How one side judges the other's certificate. */
export interface PeerAuth {
  readonly verifier: CertificateVerifier;
  readonly ignorable: readonly CertificateErrorCode[];
  /** Name to check (client verifying a server); absent for client certificates. */
  readonly serverName: string | undefined;
  readonly usage: 'serverAuth' | 'clientAuth';
  /** Report `RevocationInformationMissing` when no OCSP response was stapled. */
  readonly requireRevocationInfo: boolean;
  /**
   * Node-style identity check replacing the built-in name check: returns an Error to
   * refuse (reported as `InvalidName` with its message).
   */
  readonly checkServerIdentity: ((host: string, cert: Certificate) => Error | undefined) | undefined;
  /**
   * Checks a stapled OCSP response (src/verify/ocsp.ts), or null when this configuration was
   * built without OCSP (the client-only entry without its `ocsp` module): then no
   * status_request is sent, so none can arrive (RFC 6066 §8).
   */
  readonly ocsp: typeof verifyOcspResponseWith | null;
}

/**
 * The leaf's public key, from the DER the peer sent: the same strict certificate parse as
 * the verifier's, and the key parsed once per distinct SubjectPublicKeyInfo and provider
 * (verify/engine.ts, where the path search keeps the keys it parses): the server's key in
 * every handshake with the same server is not decoded again (an Ed25519 point is
 * decompressed, a P-256 one checked on the curve). Never taken from a verifier.
 */
function leafPublicKey(crypto: CryptoProvider, leaf: Uint8Array): PublicKeyInfo {
  let cert: ParsedCertificate;
  try {
    cert = parseRemembered(leaf);
  } catch (e) {
    throw new TlsError('CertificateOtherErrors', { detail: `cannot parse the peer's certificate: ${e instanceof Error ? e.message : String(e)}`, cause: e });
  }
  return rememberedPublicKey(crypto, cert);
}

/** Which side's certificate is judged: the server's (by a client) or the client's (by a server). */
export type Peer = 'server' | 'client';

/** Only {@link authenticatePeer} holds this: nothing else can make a {@link CertificateChainAccepted}. */
const MINT: unique symbol = Symbol('CertificateChainAccepted');
let mintChainAccepted: <P extends Peer>(peer: P, leafKey: PublicKeyInfo) => CertificateChainAccepted<P>;

/**
 * Proof that the `P` side's certificate chain was judged and accepted (rustls'
 * `ServerCertVerified`): the verifier found no error, or only errors the caller made
 * ignorable (RFC 9846 §4.5.1.3; RFC 5246 §7.4.2). It carries the leaf key parsed from the
 * certificate the peer sent, so a handshake signature can only be checked against a key
 * whose chain was judged (`signatures.ts` takes this, never a bare key).
 *
 * Only {@link authenticatePeer} can create one: the constructor is private and checks a
 * module-private token at run time too.
 */
export class CertificateChainAccepted<P extends Peer> {
  readonly #mint: typeof MINT;
  /** Whose chain this is. */
  readonly peer: P;
  /** The leaf's public key, parsed from the DER the peer sent. */
  readonly leafKey: PublicKeyInfo;

  private constructor(mint: typeof MINT, peer: P, leafKey: PublicKeyInfo) {
    if (mint !== MINT) throw new TlsError('InternalError', { detail: 'a CertificateChainAccepted is made by authenticatePeer only' });
    this.#mint = mint;
    this.peer = peer;
    this.leafKey = leafKey;
  }

  static {
    mintChainAccepted = <P extends Peer>(peer: P, leafKey: PublicKeyInfo) => new CertificateChainAccepted(MINT, peer, leafKey);
  }
}

/** The peer's chain was judged acceptable: the proof, and what `connection.info` reports. */
export interface PeerJudgement<P extends Peer> {
  readonly chain: CertificateChainAccepted<P>;
  /** The certificates as sent, the errors found (all ignorable and ignored) and their severity. */
  readonly learned: Learned;
}

/**
 * Runs the verifier over `certs` (leaf first, as sent), adds OCSP findings, and throws the
 * principal error unless every error found is ignorable and ignored. Returns the proof
 * that the chain was accepted (with the leaf key for the signature check) and what was
 * found; on failure the thrown {@link StepFailed} carries the same findings, so
 * `connection.info` reports them after the handshake failed.
 *
 * @param peer - whose certificates these are (`'server'` when we are the client)
 */
export async function authenticatePeer<P extends Peer>(
  peer: P,
  cfg: Pick<ResolvedCommon, 'crypto' | 'now'>,
  pa: PeerAuth,
  certs: readonly Uint8Array[],
  ocsp: Uint8Array | null,
  out: Pick<HandshakeOutput, 'trace' | 'tracing'>,
): Promise<PeerJudgement<P>> {
  // The stapled response is reported as received (the socket's 'OCSPResponse' event), also when it was refused.
  let learned: Learned = ocsp !== null ? { peerCertificates: certs, ocspResponse: ocsp } : { peerCertificates: certs };
  try {
    const leafKey = leafPublicKey(cfg.crypto, certs[0]!);
    const errors = await judgeChain(cfg, pa, certs, ocsp, out);
    learned = { ...learned, certificateErrors: errors, certificateErrorSeverity: severityOf(errors) };
    const unignored = errors.filter((e) => !pa.ignorable.includes(e.code));
    if (unignored.length > 0) {
      throw new TlsError(principalStatus(unignored), {
        detail: unignored.map((e) => `${e.code}${e.index >= 0 ? `[${e.index}]` : ''}: ${e.detail}`).join('; '),
        certificateErrors: errors,
      });
    }
    return { chain: mintChainAccepted(peer, leafKey), learned };
  } catch (e) {
    throw new StepFailed(e, learned);
  }
}

/** No trace for a chain judged again at resumption (nothing is sent or received). */
const NO_TRACE: Pick<HandshakeOutput, 'trace' | 'tracing'> = { tracing: false, trace: () => undefined };

/**
 * Server resumption (TLS 1.3 PSK, TLS 1.2 session ID or ticket) of a session whose client
 * presented certificates: the chain kept with the session is judged again by today's verifier
 * and policy (trust anchors, ignorable errors, validity now). Resumption cannot ask for the
 * certificate again (RFC 9846 §4.4.2) and the configuration may have changed since the full
 * handshake (a client CA replaced after a compromise, with the ticket keys kept): a chain it
 * would refuse in a full handshake is not resumed either (the caller then does a full one).
 * The built-in verifier remembers a chain it found clean, so a repeated chain costs a
 * comparison, not a path search.
 *
 * @returns null when the chain is refused now; else the errors found now, every one ignorable,
 *   which the resumed connection reports (not those of the full handshake: a chain clean then
 *   may be Untrusted or Expired today, and `authorized` must say so). No errors for a session
 *   without client certificates.
 */
export async function clientChainToday(cfg: Pick<ResolvedCommon, 'crypto' | 'now'>, pa: PeerAuth, chain: readonly Uint8Array[]): Promise<readonly CertificateError[] | null> {
  if (chain.length === 0) return [];
  try {
    const errors = await judgeChain(cfg, pa, chain, null, NO_TRACE);
    return errors.every((e) => pa.ignorable.includes(e.code)) ? errors : null;
  } catch {
    // A verifier that fails is no acceptance.
    return null;
  }
}

/** Every error found in the peer's chain: the verifier's, the name check hook's, and the stapled OCSP response's. */
async function judgeChain(
  cfg: Pick<ResolvedCommon, 'crypto' | 'now'>,
  pa: PeerAuth,
  certs: readonly Uint8Array[],
  ocsp: Uint8Array | null,
  out: Pick<HandshakeOutput, 'trace' | 'tracing'>,
): Promise<CertificateError[]> {
  const time = new Date(cfg.now());
  const report = await pa.verifier.verify({
    certificates: certs,
    serverName: pa.checkServerIdentity ? undefined : pa.serverName,
    // The hook checks the name (below); without a name nothing does, and the verifier says so.
    nameCheckedByCaller: pa.checkServerIdentity !== undefined && pa.serverName !== undefined && pa.serverName !== '',
    usage: pa.usage,
    time,
  });
  const errors: CertificateError[] = [...report.errors];
  if (pa.checkServerIdentity) {
    if (pa.serverName === undefined || pa.serverName === '') {
      // The hook replaces how the name is checked, not whether: without a name nothing is (RFC 9525 §6).
      errors.push({ code: 'InvalidName', index: 0, detail: 'no name to check (pass servername)' });
    } else {
      const leaf = report.validatedChain?.[0] ?? toCertificate(parseCertificate(certs[0]!));
      const err = pa.checkServerIdentity(pa.serverName, leaf);
      if (err) errors.push({ code: 'InvalidName', index: 0, detail: err.message });
    }
  }
  if (ocsp !== null) {
    // The validated chain's issuer is known to have signed the leaf; one only sent by the peer
    // (a pinned leaf's chain is the leaf alone; a custom verifier may give no chain) is checked
    // by the OCSP code first (an impostor with the issuer's name and its own key would vouch).
    const verifiedIssuer = report.validatedChain?.[1]?.der;
    const issuer = verifiedIssuer ?? certs[1];
    if (pa.ocsp === null) {
      // Unreachable: without the OCSP module no status_request is sent, and an unsolicited one is refused before this.
      errors.push({ code: 'RevocationFailure', index: 0, detail: 'a stapled OCSP response arrived, but this configuration cannot check OCSP' });
    } else if (issuer === undefined) {
      errors.push({ code: 'RevocationFailure', index: 0, detail: 'a stapled OCSP response cannot be checked without the issuer certificate' });
    } else {
      // The provider may verify the response's signature asynchronously.
      const r = await pa.ocsp({ response: ocsp, certificate: certs[0]!, issuer, issuerVerified: verifiedIssuer !== undefined, time, crypto: cfg.crypto, index: 0 });
      errors.push(...r.errors);
      if (out.tracing) out.trace({ direction: 'received', kind: 'info', summary: `stapled OCSP response: ${r.status}` });
    }
  } else if (pa.requireRevocationInfo) {
    errors.push({ code: 'RevocationInformationMissing', index: 0, detail: 'no OCSP response was stapled' });
  }
  return errors;
}

/** The OCSP response inside a TLS CertificateStatus body (RFC 6066 §8: status_type ocsp(1), opaque<1..2^24-1>). */
export function ocspFromCertificateStatus(body: Uint8Array): Uint8Array {
  if (body.length < 4 || body[0] !== 1) throw new TlsError('DecodeError', { detail: 'CertificateStatus: not an OCSP status' });
  const n = (body[1]! << 16) | (body[2]! << 8) | body[3]!;
  if (n < 1 || n !== body.length - 4) throw new TlsError('DecodeError', { detail: 'CertificateStatus: bad length' });
  return body.subarray(4);
}

/** A CertificateStatusRequest for OCSP with no responder ids and no extensions (RFC 6066 §8). */
export const OCSP_STATUS_REQUEST: Uint8Array = new Uint8Array([1, 0, 0, 0, 0]);
