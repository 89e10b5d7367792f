/**
 * The sixth campaign's hostile HTTP CONNECT proxy, on 127.0.0.1 only: it reads the CONNECT
 * request header, then runs a script on the raw client socket (answer with garbage, a header
 * that never ends, one byte at a time, interim answers, a reset, silence, ...). A script may
 * `tunnel()` to the requested loopback target once it has written its answer. Also: a
 * listening socket whose accept queue is full (connections to it hang in SYN_SENT), made by a
 * Python child that listens with backlog 0 and never accepts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface HostileContext {
  readonly client: net.Socket;
  /** The CONNECT request's header (up to the empty line). */
  readonly request: string;
  /**
   * Connects to the requested target (loopback only), then runs `answer` (which writes the
   * proxy's answer), then pipes both ways, the bytes the client sent meanwhile first.
   */
  tunnel(answer?: () => void | Promise<void>): Promise<void>;
  /**
   * Writes `bytes` one byte per `ms` milliseconds; the last byte's write is synchronous with
   * the end of the answer (nothing the client sends in reaction counts as early).
   */
  trickle(bytes: Uint8Array, ms?: number): Promise<void>;
}

export interface HostileProxy {
  readonly port: number;
  readonly url: string;
  readonly requests: string[];
  /** Bytes the client sent after its request before the script tunnelled (must stay 0). */
  readonly early: number[];
  close(): Promise<void>;
}

/** Starts a proxy running `script` on every connection. */
export async function hostileProxy(script: (c: HostileContext) => void | Promise<void>, host: '127.0.0.1' | '::1' = '127.0.0.1'): Promise<HostileProxy> {
  const requests: string[] = [];
  const early: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.setNoDelay(true);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      client.off('data', onData);
      const request = buf.subarray(0, end).toString('latin1');
      const index = requests.push(request) - 1;
      early[index] = buf.length - end - 4;
      let answered = false;
      const held: Buffer[] = [];
      const countEarly = (c: Buffer): void => {
        held.push(c);
        if (!answered) early[index]! += c.length;
      };
      client.on('data', countEarly);
      const target = /^CONNECT \[?([^\]\s]+?)\]?:(\d+) HTTP\/1\.1/.exec(request);
      const ctx: HostileContext = {
        client,
        request,
        tunnel: (answer) =>
          new Promise<void>((resolve, reject) => {
            if (!target || (target[1] !== '127.0.0.1' && target[1] !== '::1' && target[1] !== 'localhost')) return reject(new Error(`not a loopback target: ${request}`));
            const up = net.connect({ host: target[1], port: Number(target[2]) });
            sockets.add(up);
            up.on('close', () => sockets.delete(up));
            up.on('error', () => client.destroy());
            client.on('close', () => up.destroy());
            up.once('connect', () => {
              void Promise.resolve(answer?.()).then(() => {
                answered = true;
                client.off('data', countEarly);
                for (const c of held) up.write(c);
                client.pipe(up);
                up.pipe(client);
                resolve();
              }, reject);
            });
          }),
        trickle: async (bytes, ms = 2) => {
          for (let i = 0; i < bytes.length; i++) {
            if (client.destroyed) return;
            if (i > 0) await new Promise((r) => setTimeout(r, ms));
            client.write(bytes.subarray(i, i + 1));
          }
        },
      };
      Promise.resolve()
        .then(() => script(ctx))
        .catch(() => client.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: host === '::1' ? `http://[::1]:${port}` : `http://127.0.0.1:${port}`,
    requests,
    early,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that accepts TCP connections and never answers: they hang in SYN_SENT. */
export interface Unanswering {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A listener on 127.0.0.1 with a full accept queue (backlog 0, never accepting, the queue
 * filled by connections made here): a new connection to it gets no SYN-ACK and hangs, as a
 * black-holed address would. Needs `python3`.
 */
export async function unanswering(): Promise<Unanswering> {
  const child: ChildProcess = spawn('/usr/bin/python3', [
    '-c',
    "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(600)",
  ], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', () => reject(new Error('python3 listener exited')));
  });
  const fillers: net.Socket[] = [];
  // Fill the accept queue until a connection no longer completes at once.
  for (let i = 0; i < 8; i++) {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('error', () => undefined);
    fillers.push(s);
    const ok = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 300);
      s.once('connect', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    if (!ok) break;
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 10));
    },
  };
}
