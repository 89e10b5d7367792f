/**
 * A loopback TCP relay that keeps, for each connection in the order they were accepted, the
 * first TLS record the connecting side sent (a client's first flight: its ClientHello).
 * For checking that seeded clients send the same bytes twice (`puretls bench --seed`).
 */
import * as net from 'node:net';

/** A running relay: connect to `port`, bytes go on to the target. */
export interface FirstFlightTap {
  readonly port: number;
  /** One entry per accepted connection: its first record (empty until it arrived whole). */
  readonly flights: Buffer[];
  close(): void;
}

/** Starts a relay on 127.0.0.1 (port chosen by the OS) to `127.0.0.1:targetPort`. */
export async function startFirstFlightTap(targetPort: number): Promise<FirstFlightTap> {
  const flights: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const index = flights.length;
    flights.push(Buffer.alloc(0));
    let head = Buffer.alloc(0);
    let done = false;
    const target = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    sockets.push(client, target);
    client.on('data', (d: Buffer) => {
      if (!done) {
        head = Buffer.concat([head, d]);
        // RFC 9846 §5.1: type (1), legacy version (2), length (2), fragment.
        if (head.length >= 5 && head.length >= 5 + head.readUInt16BE(3)) {
          flights[index] = head.subarray(0, 5 + head.readUInt16BE(3));
          done = true;
        }
      }
      target.write(d);
    });
    target.on('data', (d: Buffer) => client.write(d));
    client.on('end', () => target.end());
    target.on('end', () => client.end());
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
    client.on('close', () => target.destroy());
    target.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    flights,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
