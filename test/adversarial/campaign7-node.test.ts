/**
 * Campaign 7 (a hostile peer on a long-lived connection), through the Node adapter
 * (puretls/node), over an in-memory duplex pair:
 *
 * - "KeyUpdate reflection": a client that floods update requests (with a byte of data every
 *   few, so the flood cap never trips) and never reads what we send back. Every request makes
 *   the server send a KeyUpdate of its own; if nothing held the server back it would queue
 *   answers without bound (the HTTP/2 "ping flood", CVE-2019-9512). The socket's write
 *   buffer and the pump's input stay bounded; once the client reads, every answer arrives.
 * - The same client then reads: the connection carries on, all data delivered.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { duplexPair, type Duplex } from 'node:stream';
import { upgrade, type TlsSocket } from '../../src/transport/node.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { ContentType, HandshakeType, KeyUpdateRequest } from '../../src/wire/codes.js';
import { nextTrafficSecret } from '../../src/keys/tls13-schedule.js';
import { nobleProvider } from '../../src/crypto/noble.js';
import { AES128, KeyLog, RawCipher, encodeRecord, hsMessage, parseRecords } from '../helpers/mitm.js';
import { failOnUnhandled } from '../helpers/unhandled.js';

failOnUnhandled({ uncaught: true });

let pki: TestPki;
beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost'] });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The attacker's end of an in-memory duplex pair whose other end carries a puretls/node server
 * (`upgrade`, role server): no kernel buffers in between, so what the server cannot send stays
 * in its transport's userland buffer, where the test can see it. The attacker runs a TLS 1.3
 * handshake with a puretls engine (logging its keys), then writes records of its own and
 * reads nothing.
 */
async function attacked(): Promise<{ peer: Duplex; keys: KeyLog; server: TlsSocket; received: () => number; errors: unknown[] }> {
  const [peer, serverEnd] = duplexPair();
  const server = upgrade(serverEnd, { role: 'server', cert: pki.chainPem, key: pki.keyPem, sessionTickets: 0 });
  let received = 0;
  const errors: unknown[] = [];
  server.on('data', (d: Buffer) => (received += d.length));
  server.on('error', (e) => errors.push(e));
  const keys = new KeyLog();
  const engine = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, keyLog: keys.fn, crypto: nobleProvider, minVersion: 'TLSv1.3', cipherSuites: ['TLS_AES_128_GCM_SHA256'] });
  let chain = Promise.resolve();
  const onData = (b: Buffer): void => {
    chain = chain.then(async () => {
      let rest = new Uint8Array(b);
      while (rest.length > 0) {
        const n = engine.receive(rest);
        rest = rest.subarray(n);
        await engine.process();
        const o = engine.takeOutput();
        if (o) peer.write(o);
      }
    });
  };
  peer.on('data', onData);
  await engine.process();
  peer.write(engine.takeOutput()!);
  for (let i = 0; i < 300 && !(engine.handshakeComplete && server.listenerCount('data') > 0 && (server as unknown as { engine: TlsConnection }).engine.handshakeComplete); i++) await sleep(10);
  expect(engine.handshakeComplete).toBe(true);
  await chain;
  // From here on the test writes records itself and reads nothing.
  peer.off('data', onData);
  peer.pause();
  return { peer, keys, server, received: () => received, errors };
}

/** The internals the test watches: the server transport's userland write buffer and the pump's queued input. */
function buffers(s: TlsSocket): { writable: number; input: number } {
  const t = s as unknown as { transport: Duplex; pump: { inputBytes: number } };
  return { writable: t.transport.writableLength, input: t.pump.inputBytes };
}

describe('puretls/node server: a client floods KeyUpdate requests and never reads', () => {
  it('the server stops taking input once its answers back up; buffers stay bounded; reading again, everything completes', async () => {
    const x = await attacked();
    let secret = x.keys.get('CLIENT_TRAFFIC_SECRET_0');
    let cipher = new RawCipher(AES128, secret);
    const request = hsMessage(HandshakeType.key_update, new Uint8Array([KeyUpdateRequest.update_requested]));
    const REQUESTS = 20_000;
    let dataBytes = 0;
    const recs: Uint8Array[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      recs.push(encodeRecord(cipher.seal(ContentType.handshake, request)));
      secret = nextTrafficSecret(nobleProvider, AES128.hash, secret);
      cipher = new RawCipher(AES128, secret);
      // A byte of data every 16 requests: the KeyUpdate cap (32 in a row) never trips.
      if (i % 16 === 15) {
        recs.push(encodeRecord(cipher.seal(ContentType.application_data, new Uint8Array([1]))));
        dataBytes++;
      }
    }
    // All of it at once, as fast as the "network" takes it (in 16 KiB segments, as a socket
    // hands them over): 540 KB asking for 540 KB of answers.
    const all = Buffer.concat(recs);
    for (let at = 0; at < all.length; at += 16384) x.peer.write(all.subarray(at, at + 16384));
    let peakWritable = 0;
    let peakInput = 0;
    let last = -1;
    for (let i = 0; i < 200; i++) {
      await sleep(20);
      const b = buffers(x.server);
      peakWritable = Math.max(peakWritable, b.writable);
      peakInput = Math.max(peakInput, b.input);
      // Quiet: the server has stopped (its answers are not read).
      if (x.received() === last && i > 20) break;
      last = x.received();
    }
    expect(x.errors).toEqual([]);
    // The server was held back: it did not process all the requests while we read nothing …
    expect(x.received()).toBeLessThan(dataBytes);
    // … and what it holds stays bounded: answers waiting to be sent, and input not processed.
    expect(peakWritable).toBeLessThan(128 * 1024);
    expect(peakInput).toBeLessThan(256 * 1024);

    // Now we read: the server catches up, answers every request, and delivers every byte of data.
    const chunks: Buffer[] = [];
    x.peer.on('data', (d: Buffer) => chunks.push(d));
    x.peer.resume();
    for (let i = 0; i < 600 && x.received() < dataBytes; i++) await sleep(20);
    expect(x.received()).toBe(dataBytes);
    expect(x.errors).toEqual([]);
    // One KeyUpdate answer per request (a record of 27 bytes: a 5-byte header, the 5-byte message, its type, the 16-byte tag).
    for (let i = 0; i < 200 && Buffer.concat(chunks).length < REQUESTS * 27; i++) await sleep(20);
    const answers = parseRecords(Buffer.concat(chunks));
    expect(answers.length).toBe(REQUESTS);
    expect(answers.every((r) => r.type === ContentType.application_data && r.fragment.length === 22)).toBe(true);
    x.server.destroy();
    x.peer.destroy();
  }, 120_000);
});

