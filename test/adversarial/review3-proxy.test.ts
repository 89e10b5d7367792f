/**
 * review3: 33b0b35 cuts the proxy credentials out of an echoed status line, but compares them
 * with the status line *after* it was made printable (every byte outside 0x20..0x7e becomes
 * `?`). A user name or password with a non-ASCII character, echoed as the UTF-8 bytes the
 * proxy received (RFC 7617 §2.1), no longer matches itself and is reported with only its
 * non-ASCII letters masked: the rest of the secret reaches ProxyError.statusLine, the
 * message and the stack.
 */
import { describe, expect, it } from 'vitest';
import { inspect } from 'node:util';
import { ProxyError, proxyConnect, resolveProxy, type ProxyByteStream } from '../../src/transport/proxy.js';
import { TlsError } from '../../src/base/errors.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function printed(e: unknown): string {
  const parts: string[] = [];
  let x: unknown = e;
  for (let i = 0; i < 5 && x !== undefined && x !== null; i++) {
    const o = x as { message?: string; stack?: string; detail?: string; statusLine?: string; cause?: unknown };
    parts.push(String(o.message), String(o.stack), String(o.detail), String(o.statusLine), JSON.stringify(x), inspect(x, { depth: 6, showHidden: true }));
    x = o.cause;
  }
  return parts.join('\n');
}

/** The error of a CONNECT whose proxy answers `answer(request)` (as raw bytes). */
async function answeredWith(o: { username: string; password: string }, answer: (request: Uint8Array) => Uint8Array): Promise<unknown> {
  const resolved = resolveProxy({ url: 'http://127.0.0.1:1', ...o });
  let request: Uint8Array = new Uint8Array(0);
  let answered = false;
  const stream: ProxyByteStream = {
    write: (b) => void (request = b),
    // The answer, then EOF (a proxy that closes after it).
    read: async () => {
      if (answered) return null;
      answered = true;
      return answer(request);
    },
  };
  return proxyConnect(stream, resolved, { host: 'target.example', port: 443 }).catch((x: unknown) => x);
}

const ASCII_PART = 'Geheimnis-42';

const cases: [string, { username: string; password: string }, string][] = [
  ['a password with non-ASCII letters, echoed as UTF-8 in a 403', { username: 'alice', password: `Passwört-${ASCII_PART}` }, 'HTTP/1.1 403 bad alice:Passwört-Geheimnis-42\r\n\r\n'],
  ['user:password with a non-ASCII user name, echoed in a 407', { username: `José-${ASCII_PART}`, password: 'hunter2hunter2' }, `HTTP/1.1 407 José-${ASCII_PART}:hunter2hunter2\r\n\r\n`],
  ['the password alone, non-ASCII, in a long status line', { username: 'alice', password: `€uro-${ASCII_PART}` }, `HTTP/1.1 403 ${'x'.repeat(200)} €uro-${ASCII_PART}\r\n\r\n`],
  ['the password cut short by the proxy closing in the middle of it', { username: 'alice', password: `€uro-${ASCII_PART}-and-more` }, `HTTP/1.1 403 €uro-${ASCII_PART}`],
];

describe('review3: a proxy echoing non-ASCII credentials (UTF-8) in its status line', () => {
  for (const [name, creds, raw] of cases) {
    it(`${name}: nothing of them is reported`, async () => {
      const e = await answeredWith(creds, () => utf8(raw));
      expect(e).toBeInstanceOf(ProxyError);
      const text = printed(e);
      expect(text).not.toContain(ASCII_PART);
      expect(text).not.toContain(ASCII_PART.slice(0, 6));
    });
  }

  it('control: ASCII credentials echoed the same way are cut out', async () => {
    const e = await answeredWith({ username: 'alice', password: `Passwort-${ASCII_PART}` }, () => utf8(`HTTP/1.1 403 bad alice:Passwort-${ASCII_PART}\r\n\r\n`));
    expect(e).toBeInstanceOf(ProxyError);
    expect((e as TlsError).status).toBe('ProxyRefused');
    expect(printed(e)).not.toContain(ASCII_PART);
    expect((e as ProxyError).statusLine).toContain('[redacted]');
  });

  it('control: a status line without credentials is reported as sent (non-ASCII as ?)', async () => {
    const e = await answeredWith({ username: 'alice', password: 'Passwört-x' }, () => utf8('HTTP/1.1 403 Verboten für dich\r\n\r\n'));
    expect((e as ProxyError).statusLine).toBe('HTTP/1.1 403 Verboten f??r dich');
  });
});
