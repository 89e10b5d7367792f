/**
 * Issue 12 interop: the post-quantum hybrids against Node 26's `tls` (OpenSSL 3.5), both
 * roles, on loopback. Our side runs in this process (Node 20) on the pure provider; the
 * native ML-KEM path runs under Node 26 itself in test/pq/native-node26.test.ts.
 *
 * Every case reads the hellos from the wire (a relay between the two, test/pq/helpers.ts):
 * the group offered and chosen, the exact key_exchange lengths of the draft
 * (draft-ietf-tls-ecdhe-mlkem §3), and whether a HelloRetryRequest happened.
 *
 * - each hybrid pinned on both sides, both directions;
 * - the default offers on both sides (ours: X25519MLKEM768 + x25519 shares; Node 26's:
 *   X25519MLKEM768 + x25519): X25519MLKEM768 without HelloRetryRequest, both directions;
 * - HelloRetryRequest toward X25519MLKEM768, both directions: a client that lists it but sent
 *   an x25519 share only.
 */
import { describe, expect, it } from 'vitest';
import { useInteropSetup } from '../helpers/interop.js';
import { startRecordTap, type RecordTap } from '../helpers/record-tap.js';
import { skipNote } from '../helpers/peers.js';
import { HYBRIDS, NODE26, NODE_TLS_PEER, node26Available, readHellos, runPeerClient, startPeerServer, type HelloExchange } from './helpers.js';

const node26 = node26Available();
if (!node26.ok) console.warn(`[pq] Node 26 interop skipped: ${node26.detail}`);
const X25519MLKEM768 = 0x11ec;
const X25519 = 0x001d;

describe.skipIf(!node26.ok)(`post-quantum hybrids ↔ Node 26 tls (${node26.detail})${skipNote(node26)}`, () => {
  const setup = useInteropSetup();

  async function tapTo(port: number): Promise<RecordTap> {
    const tap = await startRecordTap(port);
    setup.onCleanup(() => tap.close());
    return tap;
  }

  async function node26Server(groups?: string) {
    const f = setup.pkis['ecdsa-p256'];
    return startPeerServer(NODE26, [NODE_TLS_PEER, 'server', JSON.stringify({ cert: f.chainFile, key: f.keyFile, ...(groups ? { groups } : {}) })]);
  }

  function node26Client(port: number, groups?: string) {
    return runPeerClient(NODE26, [NODE_TLS_PEER, 'client', JSON.stringify({ port, ca: setup.pkis['ecdsa-p256'].caFile, ...(groups ? { groups } : {}) })]);
  }

  /** Our client through a relay to `port`: handshake, an echo, close; returns what the wire showed. */
  async function ourClient(port: number, options: Record<string, unknown>): Promise<{ wire: HelloExchange; group: string | null; hrr: boolean }> {
    const tap = await tapTo(port);
    const c = await setup.connect(tap.port, 'ecdsa-p256', options);
    await c.handshake();
    await c.write('ping pq');
    expect((await c.readExactly(7)).toString()).toBe('ping pq');
    const info = c.conn.info;
    await c.close();
    return { wire: readHellos(tap.toTarget(), tap.fromTarget()), group: info.group, hrr: info.helloRetryRequest };
  }

  for (const h of HYBRIDS) {
    it(`our client → Node 26 server, both pinned to ${h.name}`, async () => {
      const srv = await node26Server(h.name);
      const r = await ourClient(srv.port, { groups: [h.name] });
      expect(r.group).toBe(h.name);
      expect(r.wire.clientHellos).toHaveLength(1);
      expect(r.wire.clientHellos[0]!.keyShares).toEqual([{ group: h.code, length: h.client }]);
      expect(r.wire.serverHellos).toEqual([{ hrr: false, group: h.code, length: h.server }]);
    });

    it(`Node 26 client pinned to ${h.name} → our default server`, async () => {
      const s = await setup.listen('ecdsa-p256', {}, { echo: true });
      const tap = await tapTo(s.port);
      const r = await node26Client(tap.port, h.name);
      expect(r.ok, r.transcript).toBe(true);
      expect(r.ephemeral?.name).toBe(h.name);
      const conn = await s.accept();
      expect(conn.conn.info.group).toBe(h.name);
      const wire = readHellos(tap.toTarget(), tap.fromTarget());
      expect(wire.clientHellos[0]!.keyShares).toEqual([{ group: h.code, length: h.client }]);
      expect(wire.serverHellos).toEqual([{ hrr: false, group: h.code, length: h.server }]);
    });
  }

  it('default offers: our default client → Node 26 default server: X25519MLKEM768 without HelloRetryRequest', async () => {
    const srv = await node26Server();
    const r = await ourClient(srv.port, {});
    expect(r.group).toBe('X25519MLKEM768');
    expect(r.hrr).toBe(false);
    const ch = r.wire.clientHellos[0]!;
    // Our default offer: shares for X25519MLKEM768 (1216 bytes) and x25519; secp256r1 and secp384r1 listed.
    expect(ch.keyShares).toEqual([
      { group: X25519MLKEM768, length: 1216 },
      { group: X25519, length: 32 },
    ]);
    expect(ch.supportedGroups.slice(0, 4)).toEqual([X25519MLKEM768, X25519, 0x0017, 0x0018]);
    expect(r.wire.serverHellos).toEqual([{ hrr: false, group: X25519MLKEM768, length: 1120 }]);
  });

  it('default offers: Node 26 default client → our default server: X25519MLKEM768 without HelloRetryRequest', async () => {
    const s = await setup.listen('ecdsa-p256', {}, { echo: true });
    const tap = await tapTo(s.port);
    const r = await node26Client(tap.port);
    expect(r.ok, r.transcript).toBe(true);
    expect(r.ephemeral?.name).toBe('X25519MLKEM768');
    const conn = await s.accept();
    expect(conn.conn.info).toMatchObject({ group: 'X25519MLKEM768', helloRetryRequest: false });
    const wire = readHellos(tap.toTarget(), tap.fromTarget());
    expect(wire.clientHellos).toHaveLength(1);
    expect(wire.clientHellos[0]!.keyShares.map((k) => k.group)).toContain(X25519MLKEM768);
    expect(wire.serverHellos).toEqual([{ hrr: false, group: X25519MLKEM768, length: 1120 }]);
  });

  it('HelloRetryRequest toward X25519MLKEM768: Node 26 client (x25519 share, X25519MLKEM768 listed) → our default server', async () => {
    const s = await setup.listen('ecdsa-p256', {}, { echo: true });
    const tap = await tapTo(s.port);
    const r = await node26Client(tap.port, 'X25519:X25519MLKEM768');
    expect(r.ok, r.transcript).toBe(true);
    expect(r.ephemeral?.name).toBe('X25519MLKEM768');
    const conn = await s.accept();
    expect(conn.conn.info).toMatchObject({ group: 'X25519MLKEM768', helloRetryRequest: true });
    const wire = readHellos(tap.toTarget(), tap.fromTarget());
    expect(wire.clientHellos.map((c) => c.keyShares)).toEqual([[{ group: X25519, length: 32 }], [{ group: X25519MLKEM768, length: 1216 }]]);
    expect(wire.serverHellos).toEqual([
      { hrr: true, group: X25519MLKEM768, length: undefined },
      { hrr: false, group: X25519MLKEM768, length: 1120 },
    ]);
  });

  it('HelloRetryRequest toward X25519MLKEM768: our client (x25519 share only) → Node 26 server pinned to X25519MLKEM768', async () => {
    const srv = await node26Server('X25519MLKEM768');
    const r = await ourClient(srv.port, { keyShareGroups: ['x25519'] });
    expect(r.group).toBe('X25519MLKEM768');
    expect(r.hrr).toBe(true);
    expect(r.wire.clientHellos.map((c) => c.keyShares)).toEqual([[{ group: X25519, length: 32 }], [{ group: X25519MLKEM768, length: 1216 }]]);
    expect(r.wire.serverHellos).toEqual([
      { hrr: true, group: X25519MLKEM768, length: undefined },
      { hrr: false, group: X25519MLKEM768, length: 1120 },
    ]);
  });
});
