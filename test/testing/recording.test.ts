/**
 * Record and replay (puretls/testing `record`, `replay`): a recorded handshake replays
 * byte for byte against a fresh connection made with the same seed and clock, in either
 * role, however the input was cut, and through a JSON round trip; another seed or a clock
 * outside the certificate's validity is a ReplayMismatch at the first differing byte.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { ClientOptions, ServerOptions } from '../../src/config/config.js';
import {
  FaultPipe,
  ReplayMismatch,
  decodeRecording,
  encodeRecording,
  fixedClock,
  generateTestPki,
  record,
  replay,
  seededRandom,
  type FaultPipeOptions,
  type Recording,
  type TestPki,
} from '../../src/testing/index.js';
import { payload, sameBytes } from '../helpers/bytes.js';
import { TlsError } from '../../src/base/errors.js';

const NOW = Date.now();
let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256' });
});

function clientOptions(seed: number, now = NOW): ClientOptions {
  return { servername: 'localhost', ca: pki.caCertPem, random: seededRandom(seed), now: fixedClock(now) };
}
function serverOptions(seed: number, now = NOW): ServerOptions {
  return { cert: pki.chainPem, key: pki.keyPem, random: seededRandom(seed), now: fixedClock(now), sessionTickets: 1 };
}

/** A handshake, data both ways, a KeyUpdate and a close, both sides recorded. */
async function recordedSession(seed: number, chunk: FaultPipeOptions = {}): Promise<{ client: Recording; server: Recording; bytes: { c2s: Uint8Array; s2c: Uint8Array } }> {
  const client = TlsConnection.client(clientOptions(seed));
  const server = TlsConnection.server(serverOptions(seed + 1));
  const rc = record(client);
  const rs = record(server);
  const pipe = new FaultPipe(client, server, chunk);
  await pipe.settle();
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  client.write(payload(3000, seed));
  server.write(payload(20_000, seed + 1));
  client.keyUpdate(true);
  await pipe.settle();
  client.close();
  await pipe.settle();
  server.close();
  await pipe.settle();
  expect(client.phase).toBe('closed');
  expect(server.phase).toBe('closed');
  expect(sameBytes(pipe.received('server'), payload(3000, seed))).toBe(true);
  rc.stop();
  rs.stop();
  return { client: rc.recording, server: rs.recording, bytes: { c2s: pipe.sent('c2s'), s2c: pipe.sent('s2c') } };
}

describe('record and replay', () => {
  it('a recorded handshake and session replays byte for byte against fresh connections (same seed, same clock)', async () => {
    const r = await recordedSession(5);
    expect(r.client.calls.some((c) => c.op === 'output')).toBe(true);
    expect(r.server.calls.some((c) => c.op === 'read')).toBe(true);
    await replay(r.client, TlsConnection.client(clientOptions(5)));
    await replay(r.server, TlsConnection.server(serverOptions(6)));
  });

  it('the recording holds exactly the bytes that went over the wire', async () => {
    const r = await recordedSession(7);
    const out = (rec: Recording): number[] => rec.calls.flatMap((c) => (c.op === 'output' ? [...c.bytes] : []));
    expect(out(r.client)).toEqual([...r.bytes.c2s]);
    expect(out(r.server)).toEqual([...r.bytes.s2c]);
  });

  it('input cut into 1-byte pieces replays too (the recording keeps each receive() call)', async () => {
    const r = await recordedSession(8, { chunk: 1 });
    expect(r.server.calls.filter((c) => c.op === 'receive').every((c) => c.op === 'receive' && c.bytes.length === 1)).toBe(true);
    await replay(r.client, TlsConnection.client(clientOptions(8)));
    await replay(r.server, TlsConnection.server(serverOptions(9)));
  });

  it('survives a JSON round trip', async () => {
    const r = await recordedSession(9);
    const text = encodeRecording(r.client);
    const back = decodeRecording(text);
    expect(back.calls.length).toBe(r.client.calls.length);
    await replay(back, TlsConnection.client(clientOptions(9)));
    expect(() => decodeRecording('{"role":"client","calls":[{"op":"output","bytes":"zz"}]}')).toThrow(/hex/);
    expect(() => decodeRecording('{"role":"peer","calls":[]}')).toThrow(/not a recording/);
    // Every malformed input is a TlsError with a stable status, JSON syntax errors included.
    for (const bad of ['{"role":"peer","calls":[]}', 'not json', 'null', '{"role":"client","calls":[{"op":"fly"}]}']) {
      const e = (() => {
        try {
          decodeRecording(bad);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e, bad).toBeInstanceOf(TlsError);
      expect((e as TlsError).status, bad).toBe('InvalidConfig');
    }
  });

  it('another seed: a ReplayMismatch at the ClientHello random (byte 11 of the first output)', async () => {
    const r = await recordedSession(10);
    const e = await replay(r.client, TlsConnection.client(clientOptions(11))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReplayMismatch);
    const m = e as ReplayMismatch;
    const first = r.client.calls.findIndex((c) => c.op === 'output');
    expect(m.call).toBe(first);
    // Record header (5) + handshake header (4) + legacy_version (2): the random starts at 11.
    expect(m.offset).toBe(11);
    expect(m.message).toMatch(/differs at byte 11/);
  });

  it('another clock, outside the certificate validity: the replayed client refuses the certificate, a ReplayMismatch', async () => {
    const r = await recordedSession(12);
    const later = NOW + 400 * 24 * 3600_000;
    const e = await replay(r.client, TlsConnection.client(clientOptions(12, later))).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ReplayMismatch);
  });

  it('a connection of the other role is refused', async () => {
    const r = await recordedSession(13);
    await expect(replay(r.client, TlsConnection.server(serverOptions(13)))).rejects.toThrow(/client recording needs a client/);
  });

  it('stop() gives the connection its own methods back', async () => {
    const c = TlsConnection.client(clientOptions(1));
    const rec = record(c);
    await c.process();
    c.takeOutput();
    rec.stop();
    await c.process();
    expect(rec.recording.calls.map((x) => x.op)).toEqual(['process', 'output']);
    expect(Object.keys(c)).not.toContain('process');
    expect(Object.prototype.hasOwnProperty.call(c, 'process')).toBe(false);
  });
});
