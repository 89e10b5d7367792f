/**
 * For the transport-fault tests (test/load/faults, test/load/adapter-faults, test/props/faults):
 * the changes to a TLS byte stream that TLS lets pass without an error (anything else a
 * receiver is given must make it fail), and what a session that ended without an error must
 * have delivered.
 */
import { expect } from 'vitest';
import type { TlsConnection } from '../../src/engine/tls-connection.js';
import type { FaultPipe } from '../../src/testing/index.js';
import { join, sameBytes } from './bytes.js';

type Role = 'client' | 'server';

/** The stream without plaintext ChangeCipherSpec records (type 20, the single byte 1), or null if it is not whole records. */
export function withoutCcs(bytes: Uint8Array): Uint8Array | null {
  const keep: Uint8Array[] = [];
  let o = 0;
  while (o < bytes.length) {
    if (bytes.length - o < 5) return null;
    const len = (bytes[o + 3]! << 8) | bytes[o + 4]!;
    if (bytes.length - o < 5 + len) return null;
    const rec = bytes.subarray(o, o + 5 + len);
    if (!(rec[0] === 20 && len === 1 && rec[5] === 1)) keep.push(rec);
    o += 5 + len;
  }
  return join(keep);
}

/**
 * Why `delivered` may differ from `sent` with no error at the receiver, or null when it may
 * not: bytes after the sender's close_notify (`senderClosed`: the stream sent ends with one),
 * or, in TLS 1.3, a middlebox-compatibility ChangeCipherSpec dropped or moved (RFC 9846 §E.4).
 */
export function allowedChange(tls13: boolean, sent: Uint8Array, delivered: Uint8Array, senderClosed: boolean): string | null {
  if (senderClosed && delivered.length > sent.length && sameBytes(delivered.subarray(0, sent.length), sent)) return 'bytes after close_notify';
  if (tls13) {
    const a = withoutCcs(sent);
    const b = withoutCcs(delivered);
    if (a && b && sameBytes(a, b)) return 'compatibility ChangeCipherSpec dropped or moved';
  }
  return null;
}

/** A session between two engines over a {@link FaultPipe}: what each side's application wrote. */
export interface FaultSession {
  pipe: FaultPipe;
  conns: Record<Role, TlsConnection>;
  written: Record<Role, Uint8Array>;
}

/**
 * Nothing lost silently: each side read exactly what the other wrote (`lengths`: the bytes
 * the session has each side write) and both saw the other's close_notify.
 */
export function expectAllDelivered(o: FaultSession, lengths: Record<Role, number>, what: string): void {
  expect(sameBytes(o.pipe.received('server'), o.written.client), what).toBe(true);
  expect(sameBytes(o.pipe.received('client'), o.written.server), what).toBe(true);
  expect(o.written.client.length, what).toBe(lengths.client);
  expect(o.written.server.length, what).toBe(lengths.server);
  expect(o.conns.client.phase, what).toBe('closed');
  expect(o.conns.server.phase, what).toBe('closed');
}
