/**
 * Pieces shared by the TLS 1.3 client and server: the handshake-phase key schedule
 * steps, Finished computation, and CertificateVerify signing and checking.
 *
 * @module
 */
import type { CryptoProvider, PrivateKeyInfo, PublicKeyInfo } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { certificateVerifyInput } from '../wire/certificate.js';
import { KeySchedule, exporter, finishedVerifyData } from '../keys/tls13-schedule.js';
import type { Context, TrafficSecrets } from './state.js';

/** Handshake-phase secrets (RFC 9846 §7.1); `schedule` moves on to the main secret later. */
export interface HandshakeSecrets {
  readonly schedule: KeySchedule<'handshake'>;
  readonly clientHandshake: Uint8Array;
  readonly serverHandshake: Uint8Array;
}

/** Derives both handshake traffic secrets from the (EC)DHE secret; `thHello` is Hash(ClientHello..ServerHello). No PSK yet. */
export function handshakeSecrets(crypto: CryptoProvider, suite: Tls13Suite, shared: Uint8Array, thHello: Uint8Array): HandshakeSecrets {
  const schedule = KeySchedule.start(crypto, suite.hash, null).enterHandshake(shared);
  return {
    schedule,
    clientHandshake: schedule.clientHandshakeTrafficSecret(thHello),
    serverHandshake: schedule.serverHandshakeTrafficSecret(thHello),
  };
}

/** Application secrets (RFC 9846 §7.1). */
export interface ApplicationSecrets {
  readonly schedule: KeySchedule<'main'>;
  readonly clientApplication: Uint8Array;
  readonly serverApplication: Uint8Array;
  readonly exporter: Uint8Array;
}

/** Main secret and application traffic secrets; `thServerFinished` is Hash(ClientHello..server Finished). */
export function applicationSecrets(hs: HandshakeSecrets, thServerFinished: Uint8Array): ApplicationSecrets {
  const schedule = hs.schedule.enterMain();
  return {
    schedule,
    clientApplication: schedule.clientApplicationTrafficSecret(thServerFinished),
    serverApplication: schedule.serverApplicationTrafficSecret(thServerFinished),
    exporter: schedule.exporterSecret(thServerFinished),
  };
}

/** Resumption secret (RFC 9846 §7.1), over Hash(ClientHello..client Finished). */
export function resumptionSecret(app: ApplicationSecrets, thClientFinished: Uint8Array): Uint8Array {
  return app.schedule.resumptionSecret(thClientFinished);
}

/** Finished verify_data for a base key (RFC 9846 §4.5.3). */
export function computeFinished(crypto: CryptoProvider, suite: Tls13Suite, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return finishedVerifyData(crypto, suite.hash, baseKey, transcriptHash);
}

/** Checks a received Finished in constant time; DecryptError on mismatch (RFC 9846 §4.5.3). */
export function checkFinished(
  crypto: CryptoProvider,
  suite: Tls13Suite,
  baseKey: Uint8Array,
  transcriptHash: Uint8Array,
  received: Uint8Array,
): void {
  const expected = computeFinished(crypto, suite, baseKey, transcriptHash);
  if (!crypto.equal(expected, received)) {
    throw new TlsError('DecryptError', { detail: 'Finished verify_data mismatch' });
  }
}

/** Checks a CertificateVerify signature (RFC 9846 §4.5.2): scheme offered, fits the key, signature valid. */
export function checkCertificateVerify(
  cx: Context,
  key: PublicKeyInfo,
  scheme: number,
  signature: Uint8Array,
  transcriptHash: Uint8Array,
  peer: 'server' | 'client',
): void {
  const crypto = cx.cfg.crypto;
  // RFC 9846 §4.5.2: the scheme MUST be one offered in signature_algorithms.
  if (!cx.cfg.signatureSchemes.includes(scheme)) {
    throw new TlsError('IllegalParameter', { detail: `CertificateVerify uses scheme 0x${scheme.toString(16)} that we did not offer` });
  }
  // The scheme must fit the certificate's key (e.g. no ECDSA scheme with an RSA key).
  if (!crypto.schemesForKey(key).includes(scheme)) {
    throw new TlsError('IllegalParameter', { detail: `CertificateVerify scheme 0x${scheme.toString(16)} does not match the certificate key (${key.type})` });
  }
  const content = certificateVerifyInput(peer, transcriptHash);
  if (!crypto.verify(key, scheme, content, signature)) {
    // RFC 9846 §4.5.2: "If the verification fails, the receiver MUST terminate the handshake with a decrypt_error alert."
    throw new TlsError('DecryptError', { detail: 'CertificateVerify signature is invalid' });
  }
}

/** Signs our CertificateVerify content. */
export async function signCertificateVerify(
  cx: Context,
  key: PrivateKeyInfo,
  scheme: number,
  transcriptHash: Uint8Array,
  role: 'server' | 'client',
): Promise<Uint8Array> {
  const content = certificateVerifyInput(role, transcriptHash);
  return await cx.cfg.crypto.sign(key, scheme, content, cx.cfg.random);
}

/** Logs the application secrets and hands them to the connection. */
export function finishHandshake(cx: Context, secrets: TrafficSecrets): void {
  cx.keyLog('CLIENT_TRAFFIC_SECRET_0', secrets.clientApplication);
  cx.keyLog('SERVER_TRAFFIC_SECRET_0', secrets.serverApplication);
  cx.keyLog('EXPORTER_SECRET', secrets.exporter);
  const crypto = cx.cfg.crypto;
  cx.handshakeDone({
    version: 'TLSv1.3',
    exporter: (label, context, length) => exporter(crypto, secrets.suite.hash, secrets.exporter, label, context, length),
    tls13: secrets,
  });
}

