/**
 * Alert codec (RFC 9846 §6; RFC 5246 §7.2).
 *
 * An alert record holds exactly one two-byte alert (RFC 9846 §5.1: alerts are never
 * fragmented nor coalesced). In TLS 1.3 the level field is legacy: every alert except
 * the closure alerts close_notify and user_canceled is an error alert, whatever its
 * level (RFC 9846 §6, §6.1); see {@link isFatalAlert}.
 *
 * @module
 */
import { AlertDescription, TlsError } from '../base/errors.js';
import { ProtocolVersion } from './codes.js';
import { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** AlertLevel (RFC 9846 §6). */
export const AlertLevel = {
  warning: 1,
  fatal: 2,
} as const;

/** An alert message (RFC 9846 §6). */
export interface Alert {
  /** AlertLevel: 1 (warning) or 2 (fatal). */
  readonly level: number;
  /** AlertDescription code (see `AlertDescription` in `errors.ts`); any value 0..255. */
  readonly description: number;
}

/**
 * Decodes an alert: exactly two bytes, level then description.
 *
 * @param input - the alert record's plaintext (or a Reader over exactly it)
 * @throws TlsError `DecodeError` unless exactly 2 bytes; `IllegalParameter` for a level
 *   other than 1 or 2 (RFC 9846 §6: an invalid enum is illegal_parameter)
 */
export function decodeAlert(input: Reader | Uint8Array): Alert {
  const r = input instanceof Reader ? input : new Reader(input, 'alert');
  // RFC 9846 §6: struct { AlertLevel level; AlertDescription description; } Alert;
  const level = r.u8();
  const description = r.u8();
  r.end('alert');
  // RFC 9846 §6: enum { warning(1), fatal(2), (255) } AlertLevel
  if (level !== AlertLevel.warning && level !== AlertLevel.fatal) {
    throw new TlsError('IllegalParameter', { detail: `alert level ${level}` });
  }
  return { level, description };
}

/**
 * Encodes an alert (two bytes): into `w`, or, given only the alert, as fresh bytes.
 *
 * @throws TlsError `InternalError` for a level other than 1/2 or a description outside 0..255
 * @example
 * ```ts
 * const bytes = encodeAlert({ level: AlertLevel.fatal, description: AlertDescription.decode_error }); // 02 32
 * ```
 */
export function encodeAlert(alert: Alert): Uint8Array;
export function encodeAlert(w: Writer, alert: Alert): void;
export function encodeAlert(a: Writer | Alert, b?: Alert): Uint8Array | void {
  const alert = b ?? (a as Alert);
  if (alert.level !== AlertLevel.warning && alert.level !== AlertLevel.fatal) {
    throw new TlsError('InternalError', { detail: `alert level ${alert.level}` });
  }
  if (!Number.isInteger(alert.description) || alert.description < 0 || alert.description > 0xff) {
    throw new TlsError('InternalError', { detail: `alert description ${alert.description}` });
  }
  if (b === undefined) return new Uint8Array([alert.level, alert.description]);
  (a as Writer).u8(alert.level).u8(alert.description);
}

/** True for the closure alerts close_notify and user_canceled (RFC 9846 §6.1). */
export function isClosureAlert(description: number): boolean {
  return description === AlertDescription.close_notify || description === AlertDescription.user_canceled;
}

/**
 * Whether a received alert ends the connection as an error.
 * TLS 1.3 (RFC 9846 §6): every alert but close_notify and user_canceled, "regardless of
 * the AlertLevel"; unknown descriptions too. TLS 1.2 (RFC 5246 §7.2): the level decides,
 * except that the closure alerts are never errors.
 *
 * @param version - the negotiated protocol version (wire value, e.g. 0x0304)
 */
export function isFatalAlert(alert: Alert, version: number): boolean {
  if (isClosureAlert(alert.description)) return false;
  if (version >= ProtocolVersion.TLSv1_3) return true;
  return alert.level === AlertLevel.fatal;
}
