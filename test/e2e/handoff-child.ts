/**
 * Child process of test/e2e/handoff.test.ts (bundled with esbuild, run with
 * `child_process.fork`): receives a socket handle and an exported TLS state from its parent,
 * imports it and continues the conversation with the peer, which must not notice.
 *
 * Modes:
 * - `drive` (the peer echoes): send `total` bytes in a known pattern, check the echo, send a
 *   KeyUpdate asking the peer for one halfway (RFC 9846 §4.7.3), then close cleanly.
 * - `echo` (the peer drives): echo everything; after `keyUpdateAfter` bytes send a KeyUpdate
 *   asking the peer for one; answer the peer's close_notify with ours.
 * With `keyUpdate: false` (TLS 1.2) no KeyUpdate is sent; the drive mode still sends the
 * second half once the first is echoed.
 *
 * The result goes back to the parent with `process.send`.
 */
import type net from 'node:net';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import type { TraceEvent } from '../../src/config/config.js';

interface Start {
  readonly role: 'client' | 'server';
  readonly mode: 'drive' | 'echo';
  readonly state: string;
  readonly leftover: string;
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
  readonly total: number;
  readonly keyUpdateAfter: number;
  /** Send the KeyUpdate at `keyUpdateAfter` (default true; TLS 1.2 has none: only the pacing stays). */
  readonly keyUpdate?: boolean;
  /** Drive mode: what the peer sends back — the bytes themselves, or `s_server -rev` lines (each reversed). */
  readonly transform?: 'echo' | 'rev';
  /** Echo mode: close (close_notify) once this many bytes are echoed, for a peer that never closes first (s_client -quiet). */
  readonly closeAfter?: number;
}

interface Result {
  ok: boolean;
  error?: string;
  received: number;
  mismatch?: number;
  keyUpdatesReceived: number;
  keyUpdatesSent: number;
  peerClosed: boolean;
  /** The transport ended after our close_notify (a peer that closes without answering it). */
  endedAfterOurClose: boolean;
}

const pattern = (i: number): number => (i * 31 + (i >> 10)) & 0xff;
/** `rev` data: lines of 63 lowercase letters and a newline. */
const LINE = 64;
const letter = (line: number, p: number): number => 0x61 + ((line * 7 + p * 13) % 26);
const revSent = (i: number): number => (i % LINE === LINE - 1 ? 0x0a : letter(Math.floor(i / LINE), i % LINE));
const revBack = (i: number): number => (i % LINE === LINE - 1 ? 0x0a : letter(Math.floor(i / LINE), LINE - 2 - (i % LINE)));

function main(msg: Start, socket: net.Socket): void {
  const trace: TraceEvent[] = [];
  const onTrace = (e: TraceEvent): void => {
    if (e.kind === 'key_change') trace.push(e);
  };
  const conn =
    msg.role === 'client'
      ? TlsConnection.import(Buffer.from(msg.state, 'hex'), { role: 'client', config: { servername: 'localhost', ca: msg.ca, trace: onTrace } })
      : TlsConnection.import(Buffer.from(msg.state, 'hex'), { role: 'server', config: { cert: msg.cert!, key: msg.key!, trace: onTrace, sessionTickets: 0 } });
  const result: Result = { ok: false, received: 0, keyUpdatesReceived: 0, keyUpdatesSent: 0, peerClosed: false, endedAfterOurClose: false };
  const sendByte = msg.transform === 'rev' ? revSent : pattern;
  const backByte = msg.transform === 'rev' ? revBack : pattern;
  let sent = 0;
  let updated = false;
  let closing = false;
  let chain: Promise<void> = Promise.resolve();

  let finished = false;
  const finish = (error?: string): void => {
    if (finished) return;
    finished = true;
    result.keyUpdatesReceived = trace.filter((e) => e.direction === 'received' && e.summary.includes('KeyUpdate')).length;
    if (error) result.error = error;
    else if (conn.error) result.error = `${conn.error.status}: ${conn.error.message}`;
    result.ok = !result.error;
    result.peerClosed = conn.readEnded;
    process.send!(result, () => process.exit(0));
  };
  const flush = (): void => {
    let o: Uint8Array | null;
    while ((o = conn.takeOutput())) socket.write(o);
  };
  /** Drive mode: sends the pattern up to byte `limit`, in 64 KiB writes. */
  const sendUpTo = (limit: number): void => {
    while (sent < limit) {
      const n = Math.min(65536, limit - sent);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = sendByte(sent + i);
      conn.write(b);
      sent += n;
      flush();
    }
  };
  const onPlain = (data: Uint8Array): void => {
    // Echo mode: the KeyUpdate goes before the echo of the byte that crosses the threshold, so
    // the peer has processed it before it sees that echo (and writes again).
    if (msg.mode === 'echo' && !updated && result.received + data.length >= msg.keyUpdateAfter) {
      updated = true;
      if (msg.keyUpdate !== false) {
        conn.keyUpdate(true);
        result.keyUpdatesSent++;
      }
    }
    if (msg.mode === 'echo') {
      conn.write(data);
    } else {
      for (let i = 0; i < data.length; i++) {
        if (data[i] !== backByte(result.received + i) && result.mismatch === undefined) result.mismatch = result.received + i;
      }
    }
    result.received += data.length;
    if (msg.mode === 'drive' && !updated && result.received >= msg.keyUpdateAfter) {
      updated = true;
      if (msg.keyUpdate !== false) {
        conn.keyUpdate(true);
        result.keyUpdatesSent++;
      }
      // The first half is echoed; the rest goes under the new keys, and the peer's echo of it
      // under its own new keys (it answers update_requested before writing again).
      sendUpTo(msg.total);
    }
  };
  const step = async (chunk: Uint8Array | null): Promise<void> => {
    let at = 0;
    do {
      if (chunk) at += conn.receive(chunk.subarray(at));
      await conn.process();
      let p: Uint8Array | null;
      while ((p = conn.read())) onPlain(p);
      flush();
    } while (chunk && at < chunk.length && !conn.error);
    if (conn.error) {
      socket.destroy();
      finish();
      return;
    }
    if (msg.mode === 'drive' && result.received >= msg.total && !closing) {
      closing = true;
      conn.close();
      flush();
    }
    if (msg.mode === 'echo' && msg.closeAfter !== undefined && result.received >= msg.closeAfter && !closing) {
      closing = true;
      conn.close();
      flush();
    }
    if (conn.readEnded) {
      if (msg.mode === 'echo' && !closing) {
        closing = true;
        conn.close();
        flush();
      }
      if (!socket.writableEnded) socket.end(() => finish());
    }
  };
  const enqueue = (chunk: Uint8Array | null): void => {
    chain = chain.then(() => step(chunk)).catch((e: unknown) => finish(String(e)));
  };

  process.send!({ ready: true });
  socket.on('data', (c: Buffer) => enqueue(c));
  socket.on('error', (e) => finish(`socket: ${e.message}`));
  socket.on('end', () => {
    chain = chain.then(() => {
      if (conn.readEnded) return;
      // OpenSSL's s_server -rev closes the socket on our close_notify without answering it.
      if (closing && result.received >= msg.total) {
        result.endedAfterOurClose = true;
        socket.end(() => finish());
        return;
      }
      conn.end();
      finish(conn.error ? undefined : 'transport ended early');
    });
  });
  // What the parent had received but not given to its connection comes first.
  enqueue(Buffer.from(msg.leftover, 'hex'));
  socket.resume();
  if (msg.mode === 'drive') chain = chain.then(() => sendUpTo(msg.keyUpdateAfter));
}

process.on('message', (msg: Start, handle?: net.Socket) => {
  if (!handle) {
    process.send!({ ok: false, error: 'no socket handle received' });
    return;
  }
  try {
    main(msg, handle);
  } catch (e) {
    process.send!({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }, () => process.exit(0));
  }
});
