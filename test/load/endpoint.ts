/**
 * One end of a checksummed bulk transfer over an open stream (a puretls `TlsSocket` or a
 * Node `tls.TLSSocket`): once started it writes `total` bytes of a shared random pool from
 * its own offset (16 KiB pieces, honouring write()'s back-pressure), hashes everything it
 * sends and receives, and ends its side once it has both sent and received `total` bytes.
 * Used by test/load/load.test.ts (bench/load.mjs has the same logic, for the compiled package).
 */
import { createHash, type Hash } from 'node:crypto';
import type { Duplex } from 'node:stream';

export interface EndpointResult {
  sent: number;
  recv: number;
  sentHash: string;
  recvHash: string;
  error: string | null;
  /** The peer ended its side cleanly ('end'). */
  gotEnd: boolean;
}

export interface Endpoint {
  start(): void;
  readonly closed: Promise<EndpointResult>;
  result(): EndpointResult;
}

export function endpoint(sock: Duplex, pool: Uint8Array, offset: number, total: number, chunk = 16 * 1024): Endpoint {
  let sent = 0;
  let queued = 0;
  let recv = 0;
  let ended = false;
  let started = false;
  let gotEnd = false;
  let error: string | null = null;
  const sentHash: Hash = createHash('sha256');
  const recvHash: Hash = createHash('sha256');
  const maybeEnd = (): void => {
    if (!ended && sent === total && recv >= total) {
      ended = true;
      sock.end();
    }
  };
  const pump = (): void => {
    while (queued < total) {
      const o = (offset + queued) % pool.length;
      const n = Math.min(chunk, total - queued, pool.length - o);
      const piece = pool.subarray(o, o + n);
      queued += n;
      sentHash.update(piece);
      const ok = sock.write(piece, (err) => {
        if (err) return;
        sent += n;
        maybeEnd();
      });
      if (!ok) {
        sock.once('drain', pump);
        return;
      }
    }
  };
  const result = (): EndpointResult => ({ sent, recv, sentHash: sentHash.copy().digest('hex'), recvHash: recvHash.copy().digest('hex'), error, gotEnd });
  sock.on('data', (d: Buffer) => {
    recv += d.length;
    recvHash.update(d);
    maybeEnd();
  });
  sock.on('end', () => {
    gotEnd = true;
  });
  sock.on('error', (e: Error & { status?: string; code?: string }) => {
    error ??= `${e.status ?? e.code ?? e.name}: ${e.message}`;
  });
  const closed = new Promise<EndpointResult>((resolve) => sock.once('close', () => resolve(result())));
  return {
    start() {
      if (started) return;
      started = true;
      pump();
    },
    closed,
    result,
  };
}
