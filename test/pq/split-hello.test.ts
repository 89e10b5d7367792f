/**
 * Issue 12: a ClientHello carrying a post-quantum share is larger than 1,400 bytes (ours:
 * ~1,500 with X25519MLKEM768 + x25519; ~1,900 with SecP384r1MLKEM1024), so a middlebox may
 * pass it on in two records. Handshake messages may be fragmented across records (RFC 9846
 * §5.1), and it must work both ways without raising any limit: our ClientHello split in two
 * (at 700 bytes and at 1,400) reaches Node 26, Bun and Deno servers; their ClientHellos split
 * in two reach our server; and in memory our server takes ours split in two. The relay in
 * between (test/pq/helpers.ts startSplitRelay) records what the target received, so each
 * case checks on the wire that the ClientHello really arrived in two records.
 */
import { describe, expect, it } from 'vitest';
import { deliver, encodeRecord, firstFlight, parseRecords } from '../helpers/mitm.js';
import { useInteropSetup } from '../helpers/interop.js';
import { skipNote } from '../helpers/peers.js';
import { pump } from '../../src/testing/index.js';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE } from '../../src/record/joiner.js';
import { BUN, DENO, DENO_TLS_PEER, NODE26, NODE_TLS_PEER, bunAvailable, denoAvailable, node26Available, readHellos, runPeerClient, startPeerServer, startSplitRelay, type SplitRelay } from './helpers.js';

const X25519MLKEM768 = 0x11ec;

interface Peer {
  readonly name: string;
  readonly check: ReturnType<typeof node26Available>;
  server(cert: string, key: string): ReturnType<typeof startPeerServer>;
  client(port: number, ca: string): ReturnType<typeof runPeerClient>;
}

const PEERS: readonly Peer[] = [
  {
    name: 'Node 26 (OpenSSL 3.5)',
    check: node26Available(),
    server: (cert, key) => startPeerServer(NODE26, [NODE_TLS_PEER, 'server', JSON.stringify({ cert, key })]),
    client: (port, ca) => runPeerClient(NODE26, [NODE_TLS_PEER, 'client', JSON.stringify({ port, ca })]),
  },
  {
    name: 'Bun (BoringSSL)',
    check: bunAvailable(),
    server: (cert, key) => startPeerServer(BUN, [NODE_TLS_PEER, 'server', JSON.stringify({ cert, key })]),
    client: (port, ca) => runPeerClient(BUN, [NODE_TLS_PEER, 'client', JSON.stringify({ port, ca })]),
  },
  {
    name: 'Deno (rustls)',
    check: denoAvailable(),
    server: (cert, key) => startPeerServer(DENO, ['run', '--allow-net', '--allow-read', DENO_TLS_PEER, 'server', JSON.stringify({ cert, key })]),
    client: (port, ca) => runPeerClient(DENO, ['run', '--allow-net', '--allow-read', DENO_TLS_PEER, 'client', JSON.stringify({ port, ca })]),
  },
];

describe('a post-quantum ClientHello split across two records', () => {
  const setup = useInteropSetup();

  async function relay(port: number, at: number): Promise<SplitRelay> {
    const r = await startSplitRelay(port, at);
    setup.onCleanup(() => r.close());
    return r;
  }

  for (const peer of PEERS) {
    describe.skipIf(!peer.check.ok)(`${peer.name}${skipNote(peer.check)}`, () => {
      for (const at of [700, 1400]) {
        it(`our default ClientHello (X25519MLKEM768 + x25519) split at ${at} bytes → ${peer.name} server`, async () => {
          const f = setup.pkis['ecdsa-p256'];
          const srv = await peer.server(f.chainFile, f.keyFile);
          const r = await relay(srv.port, at);
          const c = await setup.connect(r.port, 'ecdsa-p256');
          await c.handshake();
          await c.write('split');
          expect((await c.readExactly(5)).toString()).toBe('split');
          expect(c.conn.info).toMatchObject({ group: 'X25519MLKEM768', helloRetryRequest: false });
          await c.close();
          const wire = readHellos(r.toTarget(), r.fromTarget());
          expect(wire.clientHelloRecords).toBe(2);
          expect(wire.clientHellos[0]!.size).toBeGreaterThan(1400);
          expect(wire.serverHellos[0]).toMatchObject({ hrr: false, group: X25519MLKEM768 });
        });
      }

      it(`${peer.name}'s default ClientHello split at 700 bytes → our default server`, async () => {
        const s = await setup.listen('ecdsa-p256', {}, { echo: true });
        const r = await relay(s.port, 700);
        const res = await peer.client(r.port, setup.pkis['ecdsa-p256'].caFile);
        expect(res.ok, res.transcript).toBe(true);
        const conn = await s.accept();
        expect(conn.conn.info.group).toBe('X25519MLKEM768');
        const wire = readHellos(r.toTarget(), r.fromTarget());
        expect(wire.clientHelloRecords).toBe(2);
      });
    });
  }
});

describe('in memory: our server takes our ClientHello in two records, for every hybrid, with the default limits', () => {
  const setup = useInteropSetup();
  for (const group of ['X25519MLKEM768', 'SecP256r1MLKEM768', 'SecP384r1MLKEM1024']) {
    it(`${group}: ClientHello in two records, then the handshake completes`, async () => {
      const pki = setup.pkis['ecdsa-p256'].pki;
      const client = TlsConnection.client({ servername: 'localhost', ca: pki.caCertPem, groups: [group] });
      const server = TlsConnection.server({ cert: pki.chainPem, key: pki.keyPem });
      const [rec] = parseRecords(await firstFlight(client));
      expect(rec!.fragment.length).toBeGreaterThan(1400);
      // No limit raised: the default handshake message limit is still 64 KiB.
      expect(DEFAULT_MAX_HANDSHAKE_MESSAGE).toBe(0x10000);
      const cut = 1000;
      await deliver(server, encodeRecord({ ...rec!, fragment: rec!.fragment.subarray(0, cut) }));
      expect(server.error).toBeNull();
      await deliver(server, encodeRecord({ ...rec!, fragment: rec!.fragment.subarray(cut) }));
      await pump(client, server);
      expect(client.error ?? server.error).toBeNull();
      expect([client.info.group, server.info.group]).toEqual([group, group]);
    });
  }
});
