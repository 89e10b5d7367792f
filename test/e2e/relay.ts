/**
 * Driving two in-memory TlsConnections with a man in the middle: every flight (all the
 * output one side produced at once) passes through a `tamper` function before the other
 * side sees it. Plus the certificate swaps the "wrong key" tests need: replace the
 * Certificate message of a flight by another chain, in TLS 1.2 (plaintext handshake
 * records) and TLS 1.3 (records re-encrypted with the handshake traffic secrets that
 * the `keyLog` option revealed, test/helpers/mitm.ts).
 */
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import { ContentType, HandshakeType } from '../../src/wire/codes.js';
import { AES128, KeyLog, RawCipher, concat, deliver, encodeRecords, hsMessage, parseRecords, plain, splitHandshake, type Rec } from '../helpers/mitm.js';

export type Direction = 'c2s' | 's2c';
/** Rewrites one flight; `n` counts the flights in that direction from 0. */
export type Tamper = (dir: Direction, flight: Uint8Array, n: number) => Uint8Array;

/** Runs both sides until neither has output, passing every flight through `tamper`. */
export async function relay(client: TlsConnection, server: TlsConnection, tamper?: Tamper): Promise<void> {
  await client.process();
  await server.process();
  const count = { c2s: 0, s2c: 0 };
  for (let round = 0; round < 100; round++) {
    let moved = false;
    for (const [from, to, dir] of [
      [client, server, 'c2s'],
      [server, client, 's2c'],
    ] as const) {
      const out = from.takeOutput();
      if (!out) continue;
      moved = true;
      await deliver(to, tamper ? tamper(dir, out, count[dir]++) : out);
    }
    if (!moved) return;
  }
  throw new Error('relay: no quiescence');
}

function u24(n: number): Uint8Array {
  return Uint8Array.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

/** A TLS 1.2 Certificate message (RFC 5246 §7.4.2). */
export function certificateMessage12(chain: readonly Uint8Array[]): Uint8Array {
  const list = concat(...chain.map((c) => concat(u24(c.length), c)));
  return hsMessage(HandshakeType.certificate, concat(u24(list.length), list));
}

/** A TLS 1.3 Certificate message (RFC 9846 §4.5.1) with the given request context and no entry extensions. */
export function certificateMessage13(context: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  const list = concat(...chain.map((c) => concat(u24(c.length), c, Uint8Array.of(0, 0))));
  return hsMessage(HandshakeType.certificate, concat(Uint8Array.of(context.length), context, u24(list.length), list));
}

function handshakeRecords(messages: readonly Uint8Array[]): Rec[] {
  const all = concat(...messages);
  const out: Rec[] = [];
  for (let o = 0; o < all.length; o += 16384) out.push(plain(ContentType.handshake, all.subarray(o, o + 16384)));
  return out;
}

/**
 * TLS 1.2: replaces the Certificate message among the plaintext handshake records at the
 * start of `flight` (before any ChangeCipherSpec) by one carrying `chain`. The records
 * from the ChangeCipherSpec on are kept as they are. Throws if there is no Certificate.
 */
export function swapCertificate12(flight: Uint8Array, chain: readonly Uint8Array[]): Uint8Array {
  const recs = parseRecords(flight);
  let end = recs.findIndex((r) => r.type !== ContentType.handshake);
  if (end < 0) end = recs.length;
  const messages = splitHandshake(concat(...recs.slice(0, end).map((r) => r.fragment)));
  const i = messages.findIndex((m) => m[0] === HandshakeType.certificate);
  if (i < 0) throw new Error('swapCertificate12: no Certificate message in the flight');
  messages[i] = certificateMessage12(chain);
  return encodeRecords([...handshakeRecords(messages), ...recs.slice(end)]);
}

/**
 * TLS 1.3: replaces the Certificate message in a protected flight by one carrying
 * `chain` (same request context). `label` names the traffic secret protecting it
 * (SERVER_ for the server's first flight, CLIENT_ for the client's second); plaintext
 * records before the protected ones (ServerHello, ChangeCipherSpec) are kept. Both sides
 * must use TLS_AES_128_GCM_SHA256 and log their secrets to `keys`.
 */
export function swapCertificate13(flight: Uint8Array, chain: readonly Uint8Array[], keys: KeyLog, label: 'SERVER_HANDSHAKE_TRAFFIC_SECRET' | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'): Uint8Array {
  const recs = parseRecords(flight);
  const first = recs.findIndex((r) => r.type === ContentType.application_data);
  if (first < 0) throw new Error('swapCertificate13: no protected records');
  const opener = RawCipher.from(keys, label, AES128);
  const content: Uint8Array[] = [];
  for (const r of recs.slice(first)) {
    const o = opener.open(r);
    if (o.type !== ContentType.handshake) throw new Error(`swapCertificate13: inner type ${o.type}`);
    content.push(o.content);
  }
  const messages = splitHandshake(concat(...content));
  const i = messages.findIndex((m) => m[0] === HandshakeType.certificate);
  if (i < 0) throw new Error('swapCertificate13: no Certificate message in the flight');
  const old = messages[i]!;
  const context = old.subarray(5, 5 + old[4]!);
  messages[i] = certificateMessage13(context, chain);
  const sealer = RawCipher.from(keys, label, AES128);
  return encodeRecords([...recs.slice(0, first), sealer.seal(ContentType.handshake, concat(...messages))]);
}
