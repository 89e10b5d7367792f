import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  DerReader,
  DerTag,
  bigIntToBytes,
  bytesToBigInt,
  derBitString,
  derOid,
  derSequence,
  derTlv,
  derUnsignedInteger,
} from '../../../src/crypto/der.js';
import { base64Decode, base64Encode, pemDecode, pemEncode } from '../../../src/crypto/pem.js';
import { thrownStatus } from '../../helpers/tls-error.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('DerReader', () => {
  it('reads a SEQUENCE of INTEGER, OID, NULL, BIT STRING, OCTET STRING', () => {
    const enc = derSequence(
      derUnsignedInteger(65537n),
      derOid('1.2.840.113549.1.1.1'),
      Uint8Array.of(DerTag.NULL, 0),
      derBitString(Uint8Array.of(1, 2, 3)),
      derTlv(DerTag.OCTET_STRING, Uint8Array.of(9)),
    );
    const r = new DerReader(enc);
    const s = r.sequence();
    r.end();
    expect(s.unsignedInteger()).toBe(65537n);
    expect(s.oid()).toBe('1.2.840.113549.1.1.1');
    s.null();
    expect([...s.bitString()]).toEqual([1, 2, 3]);
    expect([...s.octetString()]).toEqual([9]);
    s.end();
  });

  it('decodes negative and zero INTEGERs', () => {
    expect(new DerReader(hex('020100')).integer()).toBe(0n);
    expect(new DerReader(hex('0201ff')).integer()).toBe(-1n);
    expect(new DerReader(hex('02020080')).integer()).toBe(128n);
    expect(new DerReader(hex('0202ff7f')).integer()).toBe(-129n);
  });

  it('round-trips unsigned INTEGERs and OIDs against the writer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 4100n) - 1n }), (x) => {
        expect(new DerReader(derUnsignedInteger(x)).unsignedInteger()).toBe(x);
      }),
    );
    for (const oid of ['1.3.101.112', '2.16.840.1.101.3.4.2.3', '1.2.840.10045.3.1.7', '2.999.1', '0.39']) {
      expect(new DerReader(derOid(oid)).oid()).toBe(oid);
    }
  });

  it.each([
    ['empty input', ''],
    ['truncated value', '0203 0102'],
    ['indefinite length', '3080 0000'],
    ['non-minimal short length', '3081 05 0203010001'],
    ['non-minimal long length', '3082 0005 0203010001'],
    ['length too many octets', '3084 00000001 00'],
    ['high tag number', '1f01 00'],
    ['missing length', '30'],
  ])('rejects %s', (_name, h) => {
    expect(thrownStatus(() => new DerReader(hex(h), 'InvalidConfig').read())).toBe('InvalidConfig');
  });

  it.each([
    ['non-minimal positive INTEGER', '0202 0001'],
    ['non-minimal negative INTEGER', '0202 ff80'],
    ['empty INTEGER', '0200'],
  ])('rejects %s', (_name, h) => {
    expect(thrownStatus(() => new DerReader(hex(h)).integer())).toBe('DecodeError');
  });

  it('rejects a negative value where an unsigned one is expected', () => {
    expect(thrownStatus(() => new DerReader(hex('020180')).unsignedInteger())).toBe('DecodeError');
  });

  it('rejects malformed OIDs, BIT STRINGs, NULLs, constructed strings and trailing data', () => {
    expect(thrownStatus(() => new DerReader(hex('0600')).oid())).toBe('DecodeError');
    expect(thrownStatus(() => new DerReader(hex('0602 2a80')).oid())).toBe('DecodeError'); // truncated arc
    expect(thrownStatus(() => new DerReader(hex('0603 2a8001')).oid())).toBe('DecodeError'); // leading 0x80
    expect(thrownStatus(() => new DerReader(hex('0300')).bitString())).toBe('DecodeError');
    expect(thrownStatus(() => new DerReader(hex('0302 0100')).bitString())).toBe('DecodeError');
    expect(thrownStatus(() => new DerReader(hex('0501 00')).null())).toBe('DecodeError');
    expect(thrownStatus(() => new DerReader(hex('2403 040100')).read())).toBe('DecodeError');
    expect(thrownStatus(() => new DerReader(hex('0500 00')).sequence())).toBe('DecodeError');
    const r = new DerReader(hex('0500 00'));
    r.null();
    expect(thrownStatus(() => r.end())).toBe('DecodeError');
  });

  it('never throws anything but TlsError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const walk = (r: DerReader, depth: number): void => {
          while (!r.done) {
            const el = r.read();
            if ((el.tag & 0x20) !== 0 && depth < 8) walk(r.sub(el.value), depth + 1);
            else if (el.tag === DerTag.INTEGER) r.sub(el.raw).integer();
            else if (el.tag === DerTag.OID) r.sub(el.raw).oid();
          }
        };
        const s = thrownStatus(() => walk(new DerReader(bytes), 0));
        expect(s === undefined || s === 'DecodeError').toBe(true);
      }),
    );
  });

  it('I2OSP/OS2IP round-trip and refuse values that do not fit', () => {
    expect(bytesToBigInt(hex('0100'))).toBe(256n);
    expect([...bigIntToBytes(256n, 3)!]).toEqual([0, 1, 0]);
    expect(bigIntToBytes(256n, 1)).toBeNull();
    expect(bigIntToBytes(-1n, 4)).toBeNull();
  });
});

describe('base64 and PEM', () => {
  it('base64 matches node for random inputs, both ways', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const ours = base64Encode(bytes);
        expect(ours).toBe(Buffer.from(bytes).toString('base64'));
        expect(Buffer.from(base64Decode(ours)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it.each([['abc'], ['ab=c'], ['a==='], ['ab*d'], ['QR=='], ['QUJ=']])('rejects bad base64 %j', (s) => {
    expect(thrownStatus(() => base64Decode(s))).toBe('DecodeError');
  });

  it('decodes several blocks with explanatory text and CRLF line ends', () => {
    const a = pemEncode('CERTIFICATE', Uint8Array.of(1, 2, 3));
    const b = pemEncode('PRIVATE KEY', new Uint8Array(100).fill(7));
    const text = `Subject: something\r\n${a.replace(/\n/g, '\r\n')}junk between\n${b}`;
    const blocks = pemDecode(text);
    expect(blocks.map((x) => x.label)).toEqual(['CERTIFICATE', 'PRIVATE KEY']);
    expect([...blocks[0]!.der]).toEqual([1, 2, 3]);
    expect(blocks[1]!.der).toEqual(new Uint8Array(100).fill(7));
    expect(pemDecode('no pem here')).toEqual([]);
  });

  it('writes 64-column lines', () => {
    const pem = pemEncode('X', new Uint8Array(100));
    const lines = pem.trim().split('\n');
    expect(lines[0]).toBe('-----BEGIN X-----');
    expect(lines[1]!.length).toBe(64);
    expect(lines.at(-1)).toBe('-----END X-----');
  });

  it('rejects mismatched labels, unterminated blocks, RFC 1421 headers and bad base64', () => {
    expect(thrownStatus(() => pemDecode('-----BEGIN A-----\nAAAA\n-----END B-----\n', 'InvalidConfig'))).toBe('InvalidConfig');
    expect(thrownStatus(() => pemDecode('-----BEGIN A-----\nAAAA\n', 'InvalidConfig'))).toBe('InvalidConfig');
    expect(
      thrownStatus(() => pemDecode('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n')),
    ).toBe('DecodeError');
    expect(thrownStatus(() => pemDecode('-----BEGIN A-----\nA!AA\n-----END A-----\n'))).toBe('DecodeError');
  });

  describe('boundaries are whole lines (RFC 7468 §2-§3)', () => {
    const ok = pemEncode('A', Uint8Array.of(1, 2, 3));
    const decoded = (text: string) => pemDecode(text).map((b) => [b.label, ...b.der]);

    it('accepts trailing whitespace after either boundary and CR, LF or CRLF line ends', () => {
      expect(decoded(ok.replace('-----BEGIN A-----', '-----BEGIN A----- \t').replace('-----END A-----', '-----END A-----  '))).toEqual([['A', 1, 2, 3]]);
      expect(decoded(ok.replace(/\n/g, '\r'))).toEqual([['A', 1, 2, 3]]);
      expect(decoded(`text first\r\n${ok.replace(/\n/g, '\r\n')}text after`)).toEqual([['A', 1, 2, 3]]);
      // Empty labels and labels with single inner spaces or hyphens are labels (RFC 7468 §3).
      expect(decoded(pemEncode('', Uint8Array.of(9)) + pemEncode('X509 CRL', Uint8Array.of(8)) + pemEncode('A-B', Uint8Array.of(7)))).toEqual([['', 9], ['X509 CRL', 8], ['A-B', 7]]);
    });

    it.each([
      ['bytes before -----BEGIN on its line', 'x' + ok],
      ['a space before -----BEGIN', ' ' + ok],
      ['bytes after the BEGIN line\'s -----', ok.replace('-----BEGIN A-----', '-----BEGIN A-----x')],
      ['base64 on the BEGIN line', ok.replace('-----BEGIN A-----\n', '-----BEGIN A-----')],
      ['bytes before -----END on its line', ok.replace('-----END', 'x-----END')],
      ['bytes after -----END A-----', ok.replace('-----END A-----', '-----END A-----x')],
      ['a BEGIN line right after the END line on the same line', ok.replace(/\n$/, '') + ok],
      ['a label with a control character', ok.replace(/A-----/g, 'A\u0001B-----')],
      ['a label with two spaces in a row', ok.replace(/A-----/g, 'A  B-----')],
      ['a label ending with a hyphen', ok.replace(/A-----/g, 'A------')],
      ['"-----BEGIN" in explanatory text', 'see -----BEGIN below\n' + ok],
      ['an END line with another label', ok.replace('-----END A', '-----END B')],
    ])('refuses %s', (_what, text) => {
      expect(thrownStatus(() => pemDecode(text, 'InvalidConfig'))).toBe('InvalidConfig');
    });
  });
});
