/**
 * Pieces shared by the TLS 1.3 client and server: the handshake-phase key schedule
 * steps and Finished computation (CertificateVerify is in `signatures.ts`).
 *
 * @module
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { TlsError } from '../errors.js';
import { KeySchedule, exporter, finishedVerifyData } from '../keys/tls13-schedule.js';
import type { HandshakeOutput, TrafficSecrets } from './state.js';

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

/** Logs the application secrets and hands them to the connection: application data may flow. */
export function finishHandshake(out: HandshakeOutput, crypto: CryptoProvider, clientRandom: Uint8Array, secrets: TrafficSecrets): void {
  out.keyLog('CLIENT_TRAFFIC_SECRET_0', clientRandom, secrets.clientApplication);
  out.keyLog('SERVER_TRAFFIC_SECRET_0', clientRandom, secrets.serverApplication);
  out.keyLog('EXPORTER_SECRET', clientRandom, secrets.exporter);
  out.handshakeDone({
    version: 'TLSv1.3',
    exporter: (label, context, length) => exporter(crypto, secrets.suite.hash, secrets.exporter, label, context, length),
    tls13: secrets,
  });
}
