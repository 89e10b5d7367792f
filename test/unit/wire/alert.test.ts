import { describe, expect, it } from 'vitest';
import { AlertDescription } from '../../../src/base/errors.js';
import { AlertLevel, decodeAlert, encodeAlert, isClosureAlert, isFatalAlert } from '../../../src/wire/alert.js';
import { ProtocolVersion } from '../../../src/wire/codes.js';
import { Reader } from '../../../src/wire/reader.js';
import { encode } from '../../../src/wire/writer.js';
import { expectTlsError } from '../../helpers/tls-error.js';
import { hex, toHex } from './helpers.js';

describe('Alert', () => {
  it('decodes a warning close_notify and a fatal handshake_failure, and re-encodes them', () => {
    expect(decodeAlert(hex('0100'))).toEqual({ level: 1, description: 0 });
    const a = decodeAlert(new Reader(hex('0228')));
    expect(a).toEqual({ level: AlertLevel.fatal, description: AlertDescription.handshake_failure });
    expect(toHex(encode((w) => encodeAlert(w, a)))).toBe('0228');
    expect(toHex(encodeAlert(a))).toBe('0228');
  });

  it('accepts an unknown description (it is an error alert)', () => {
    expect(decodeAlert(hex('02fe')).description).toBe(0xfe);
  });

  it('rejects an alert shorter or longer than two bytes → DecodeError', () => {
    expectTlsError(() => decodeAlert(hex('')), 'DecodeError');
    expectTlsError(() => decodeAlert(hex('02')), 'DecodeError');
    expectTlsError(() => decodeAlert(hex('022800')), 'DecodeError');
    expectTlsError(() => decodeAlert(hex('02280228')), 'DecodeError');
  });

  it('rejects a level other than warning(1) or fatal(2) → IllegalParameter', () => {
    expectTlsError(() => decodeAlert(hex('0028')), 'IllegalParameter');
    expectTlsError(() => decodeAlert(hex('0328')), 'IllegalParameter');
    expectTlsError(() => decodeAlert(hex('ff00')), 'IllegalParameter');
  });

  it('refuses to encode a bad level or description → InternalError', () => {
    expectTlsError(() => encodeAlert({ level: 3, description: 0 }), 'InternalError');
    expectTlsError(() => encodeAlert({ level: 2, description: 256 }), 'InternalError');
  });

  it('treats every alert but close_notify and user_canceled as fatal in TLS 1.3, whatever the level', () => {
    const v13 = ProtocolVersion.TLSv1_3;
    expect(isFatalAlert({ level: 1, description: AlertDescription.handshake_failure }, v13)).toBe(true);
    expect(isFatalAlert({ level: 1, description: 0xfe }, v13)).toBe(true);
    expect(isFatalAlert({ level: 2, description: AlertDescription.close_notify }, v13)).toBe(false);
    expect(isFatalAlert({ level: 1, description: AlertDescription.user_canceled }, v13)).toBe(false);
    expect(isClosureAlert(AlertDescription.close_notify)).toBe(true);
    expect(isClosureAlert(AlertDescription.decode_error)).toBe(false);
  });

  it('follows the level in TLS 1.2', () => {
    const v12 = ProtocolVersion.TLSv1_2;
    expect(isFatalAlert({ level: 1, description: AlertDescription.no_renegotiation }, v12)).toBe(false);
    expect(isFatalAlert({ level: 2, description: AlertDescription.handshake_failure }, v12)).toBe(true);
    expect(isFatalAlert({ level: 2, description: AlertDescription.close_notify }, v12)).toBe(false);
  });
});
