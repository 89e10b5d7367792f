/**
 * Pieces shared by the TLS 1.3 client and server: the key schedule steps of the handshake
 * and its end (Finished is in `finished.ts`, CertificateVerify in `signatures.ts`).
 *
 * @module
 */
import type { CryptoProvider } from '../crypto/provider.js';
import type { Tls13Suite } from '../crypto/suites.js';
import { KeySchedule, exporter } from '../keys/tls13-schedule.js';
import type { FinishedVerified } from './finished.js';
import { TlsError } from '../base/errors.js';
import type { HandshakeOutput, TrafficSecrets } from './state.js';

/** Handshake-phase secrets (RFC 9846 §7.1); `schedule` moves on to the main secret later. */
export interface HandshakeSecrets {
  readonly schedule: KeySchedule<'handshake'>;
  readonly clientHandshake: Uint8Array;
  readonly serverHandshake: Uint8Array;
}

/**
 * Derives both handshake traffic secrets (RFC 9846 §7.1) from the (EC)DHE secret and, on
 * resumption, the PSK (`shared` null: psk_ke, no (EC)DHE); `thHello` is
 * Hash(ClientHello..ServerHello).
 */
export function handshakeSecrets(crypto: CryptoProvider, suite: Tls13Suite, shared: Uint8Array | null, thHello: Uint8Array, psk: Uint8Array | null = null): HandshakeSecrets {
  if (shared === null && psk === null) throw new TlsError('InternalError', { detail: 'handshakeSecrets: neither (EC)DHE nor PSK' });
  const schedule = KeySchedule.start(crypto, suite.hash, psk).enterHandshake(shared);
  return {
    schedule,
    clientHandshake: schedule.clientHandshakeTrafficSecret(thHello),
    serverHandshake: schedule.serverHandshakeTrafficSecret(thHello),
  };
}

/** `client_early_traffic_secret` (RFC 9846 §7.1) from the PSK and Hash(ClientHello), for 0-RTT. */
export function earlyTrafficSecret(crypto: CryptoProvider, suite: Tls13Suite, psk: Uint8Array, thClientHello: Uint8Array): Uint8Array {
  return KeySchedule.start(crypto, suite.hash, psk).clientEarlyTrafficSecret(thClientHello);
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

/**
 * The end of the handshake, for client and server alike, once the client's Finished is in
 * the transcript (`thClientFinished` = Hash(ClientHello..client Finished)): derives the
 * resumption secret over it (RFC 9846 §7.1) when the side will use it (`thClientFinished`
 * null: a server that issues no tickets, a client that keeps no sessions), logs the
 * application secrets and hands them to the connection: application data may flow. Returns
 * the secrets (the server seals tickets with the resumption secret).
 */
export function finishHandshake(
  out: HandshakeOutput,
  crypto: CryptoProvider,
  clientRandom: Uint8Array,
  suite: Tls13Suite,
  app: ApplicationSecrets,
  thClientFinished: Uint8Array | null,
  finished: FinishedVerified,
): TrafficSecrets {
  const secrets: TrafficSecrets = {
    suite,
    clientApplication: app.clientApplication,
    serverApplication: app.serverApplication,
    exporter: app.exporter,
    resumption: thClientFinished === null ? null : app.schedule.resumptionSecret(thClientFinished),
  };
  out.keyLog('CLIENT_TRAFFIC_SECRET_0', clientRandom, secrets.clientApplication);
  out.keyLog('SERVER_TRAFFIC_SECRET_0', clientRandom, secrets.serverApplication);
  out.keyLog('EXPORTER_SECRET', clientRandom, secrets.exporter);
  out.handshakeDone({
    version: 'TLSv1.3',
    exporter: (label, context, length) => exporter(crypto, secrets.suite.hash, secrets.exporter, label, context, length),
    tls13: secrets,
  }, finished);
  return secrets;
}
