/**
 * A loopback TCP relay that records the bytes going each way, from the first byte, and
 * splits them into TLS records (RFC 9846 §5.1: type, legacy version, 16-bit length). For
 * tests that must see the wire itself (record sizes, padding), not what an endpoint
 * decoded from it. One connection per relay; loopback only.
 */
import * as net from 'node:net';

/** One record header seen on the wire. */
export interface WireRecord {
  readonly type: number;
  readonly length: number;
}

/** A running relay: connect to `port`, bytes go on to the target. */
export interface RecordTap {
  readonly port: number;
  /** Bytes the connecting side sent (towards the target). */
  toTarget(): Buffer;
  /** Bytes the target sent back. */
  fromTarget(): Buffer;
  close(): void;
}

/** Starts a relay on 127.0.0.1 (port chosen by the OS) to `127.0.0.1:targetPort`. */
export async function startRecordTap(targetPort: number): Promise<RecordTap> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const target = net.connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    sockets.push(client, target);
    client.on('data', (d: Buffer) => {
      up.push(d);
      target.write(d);
    });
    target.on('data', (d: Buffer) => {
      down.push(d);
      client.write(d);
    });
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
    toTarget: () => Buffer.concat(up),
    fromTarget: () => Buffer.concat(down),
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * Splits a byte stream into TLS record headers. A trailing partial record is ignored.
 * @throws Error if the stream does not start with a record of a known content type
 */
export function wireRecords(bytes: Buffer): WireRecord[] {
  const out: WireRecord[] = [];
  let off = 0;
  while (off + 5 <= bytes.length) {
    const type = bytes[off]!;
    if (type < 20 || type > 24) throw new Error(`not a TLS record stream at offset ${off} (type ${type})`);
    const length = bytes.readUInt16BE(off + 3);
    if (off + 5 + length > bytes.length) break;
    out.push({ type, length });
    off += 5 + length;
  }
  return out;
}

/**
 * The protected TLS 1.3 records of a stream (outer type application_data, RFC 9846 §5.2),
 * and whether each one's inner plaintext (content, type byte and zero padding) is a whole
 * number of `block` bytes, as `-record_padding block` makes OpenSSL pad them. Every TLS 1.3
 * AEAD suite used here has a 16-byte tag.
 */
export function paddedTo(bytes: Buffer, block: number): { records: WireRecord[]; unpadded: WireRecord[] } {
  const records = wireRecords(bytes).filter((r) => r.type === 23);
  return { records, unpadded: records.filter((r) => (r.length - 16) % block !== 0) };
}
