import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { rc2CbcDecrypt, rc2ExpandKey } from '../../src/identity/rc2.js';
import { fixedClock } from '../../src/testing/random.js';
import { splitRecords } from '../../src/testing/pipe.js';

/** Every failure is a TlsError with a stable status, never a bare Error / RangeError. */
function status(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return (e as TlsError).status;
  }
  throw new Error('did not throw');
}

describe('stable statuses for bad input to helpers', () => {
  it('RC2 with an impossible key or a ragged ciphertext is IdentityCorrupt (it only runs on a decoded PKCS#12 bag)', () => {
    expect(status(() => rc2ExpandKey(new Uint8Array(0), 40))).toBe('IdentityCorrupt');
    expect(status(() => rc2ExpandKey(new Uint8Array(5), 0))).toBe('IdentityCorrupt');
    expect(status(() => rc2CbcDecrypt(new Uint8Array(5), 40, new Uint8Array(8), new Uint8Array(7)))).toBe('IdentityCorrupt');
    expect(status(() => rc2CbcDecrypt(new Uint8Array(5), 40, new Uint8Array(4), new Uint8Array(8)))).toBe('IdentityCorrupt');
  });

  it('puretls/testing: fixedClock(NaN) and splitRecords of a partial record are InvalidConfig', () => {
    expect(status(() => fixedClock(Number.NaN))).toBe('InvalidConfig');
    expect(status(() => splitRecords(new Uint8Array([23, 3, 3])))).toBe('InvalidConfig');
    expect(status(() => splitRecords(new Uint8Array([23, 3, 3, 0, 5, 1])))).toBe('InvalidConfig');
  });
});
