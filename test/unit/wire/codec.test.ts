/**
 * The handshake codecs of src/wire/handshake.ts: a client-only entry's client codec
 * (`clientCodec`) decodes and encodes every message a client receives and sends exactly as
 * the full codec does, and refuses (InternalError) what it can never meet: the messages only
 * servers send, and TLS 1.2's without the tls12 module's part.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import * as Full from '../../../src/index.js';
import { generateTestPki, pump, type TestPki } from '../../../src/testing/index.js';
import { ANY_BODY, CLIENT_BODY12, clientCodec, decodeHandshake, decodeHandshakeWith, encodeHandshake, encodeHandshakeWith, handshakeTypeOf } from '../../../src/wire/handshake.js';
import type { HandshakeMessage } from '../../../src/wire/messages.js';
import { TlsError } from '../../../src/base/errors.js';

interface Seen {
  readonly from: 'client' | 'server';
  readonly version: 'tls12' | 'tls13';
  readonly msg: HandshakeMessage;
}

let pki: TestPki;
const seen: Seen[] = [];

/** Every handshake message both sides send in a handshake of `version`, with a client certificate and a ticket. */
async function record(version: 'TLSv1.2' | 'TLSv1.3'): Promise<void> {
  const v = version === 'TLSv1.2' ? 'tls12' : 'tls13';
  const trace = (from: 'client' | 'server') => (e: Full.TraceEvent) => {
    if (e.kind === 'handshake' && e.direction === 'sent' && e.message) seen.push({ from, version: v, msg: e.message as HandshakeMessage });
  };
  const c = Full.TlsConnection.client({ servername: 'a.example', ca: pki.caCertPem, cert: pki.chainPem, key: pki.keyPem, minVersion: version, maxVersion: version, trace: trace('client') });
  const s = Full.TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem, requestCert: true, ca: pki.caCertPem, minVersion: version, maxVersion: version, trace: trace('server') });
  await pump(c, s);
  expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  if (version === 'TLSv1.3') {
    c.keyUpdate(true);
    await pump(c, s);
  }
}

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['a.example'], caName: 'Codec CA' });
  await record('TLSv1.3');
  await record('TLSv1.2');
}, 60_000);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const strip = (m: HandshakeMessage): unknown => ({ ...m, raw: undefined });
function internalError(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('InternalError');
    return;
  }
  throw new Error('expected InternalError');
}

describe('clientCodec against the full codec, on every message of TLS 1.3 and TLS 1.2 handshakes', () => {
  it('the recorded handshakes cover both sides and both versions', () => {
    const kinds = new Set(seen.map((s) => `${s.from}:${s.version}:${s.msg.type}`));
    for (const k of ['client:tls13:client_hello', 'client:tls13:certificate', 'client:tls13:certificate_verify', 'client:tls13:finished', 'client:tls13:key_update', 'server:tls13:server_hello', 'server:tls13:encrypted_extensions', 'server:tls13:certificate_request', 'server:tls13:new_session_ticket', 'client:tls12:certificate12', 'client:tls12:client_key_exchange', 'server:tls12:server_key_exchange', 'server:tls12:server_hello_done', 'server:tls12:certificate_request12']) {
      expect(kinds.has(k), k).toBe(true);
    }
  });

  it('what a client sends: encoded byte for byte as encodeHandshake, with and without the TLS 1.2 part (TLS 1.2 messages only with it)', () => {
    for (const { from, version, msg } of seen.filter((s) => s.from === 'client')) {
      const expected = hex(encodeHandshake(msg));
      expect(hex(encodeHandshakeWith(clientCodec(CLIENT_BODY12).encode, msg)), `${from} ${msg.type}`).toBe(expected);
      if (version === 'tls13' || msg.type === 'client_hello' || msg.type === 'certificate_verify' || msg.type === 'finished') {
        expect(hex(encodeHandshakeWith(clientCodec(null).encode, msg))).toBe(expected);
      } else {
        internalError(() => encodeHandshakeWith(clientCodec(null).encode, msg));
      }
    }
  });

  it('what a server sends: decoded as decodeHandshake does; TLS 1.2 messages only with the TLS 1.2 part', () => {
    for (const { version, msg } of seen.filter((s) => s.from === 'server')) {
      const bytes = encodeHandshake(msg);
      const body = bytes.subarray(4);
      const type = handshakeTypeOf(msg);
      const finishedLength = msg.type === 'finished' ? msg.verifyData.length : undefined;
      const options = { version, finishedLength } as const;
      const expected = strip(decodeHandshake(type, body, bytes, options));
      expect(strip(decodeHandshakeWith(clientCodec(CLIENT_BODY12).decode, type, body, bytes, options)), msg.type).toEqual(expected);
      expect(strip(decodeHandshakeWith(ANY_BODY.decode, type, body, bytes, options))).toEqual(expected);
      if (version === 'tls13') expect(strip(decodeHandshakeWith(clientCodec(null).decode, type, body, bytes, options))).toEqual(expected);
      else internalError(() => decodeHandshakeWith(clientCodec(null).decode, type, body, bytes, options));
    }
  });

  it('refuses to encode what only servers send (InternalError), and decodes no ClientHello or EndOfEarlyData in TLS 1.3 (UnexpectedMessage)', () => {
    const serverOnly = seen.filter((s) => s.from === 'server' && !['certificate', 'certificate_verify', 'finished', 'certificate12', 'key_update'].includes(s.msg.type));
    expect(serverOnly.length).toBeGreaterThan(5);
    for (const { msg } of serverOnly) internalError(() => encodeHandshakeWith(clientCodec(CLIENT_BODY12).encode, msg));
    const ch = seen.find((s) => s.msg.type === 'client_hello')!.msg;
    const bytes = encodeHandshake(ch);
    for (const [type, body] of [[1, bytes.subarray(4)], [5, new Uint8Array(0)]] as const) {
      let status = '';
      try {
        decodeHandshakeWith(clientCodec(null).decode, type, body, undefined, { version: 'tls13' });
      } catch (e) {
        status = (e as TlsError).status;
      }
      expect(status).toBe('UnexpectedMessage');
    }
  });
});
