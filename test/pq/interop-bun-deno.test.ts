/**
 * Issue 12 interop: the post-quantum hybrids against Bun's `tls` (BoringSSL) and Deno's
 * `Deno.connectTls` / `Deno.listenTls` (rustls), both roles, on loopback, our side in this
 * process on the pure provider. What each peer supports (found by running them):
 * - Bun 1.4.5: X25519MLKEM768 (in its default offer and pinnable with `ecdhCurve`); it
 *   refuses `ecdhCurve: 'SecP256r1MLKEM768'` / `'SecP384r1MLKEM1024'` ("Failed to set ECDH curve").
 * - Deno 2.9.6: X25519MLKEM768 in rustls' defaults; no API to pin a group, so the Deno cases
 *   are its defaults against ours, and ours pinned to X25519MLKEM768. As a server it picks
 *   X25519MLKEM768 from our default offer at once. As a client it lists x25519, secp256r1,
 *   secp384r1, X25519MLKEM768 (the hybrid last) and sends an x25519 share only: a server
 *   preferring the hybrid, ours or Node 26's OpenSSL 3.5 alike (checked below against Node 26
 *   when present), answers with a HelloRetryRequest toward X25519MLKEM768. No server can choose
 *   the hybrid from that offer without one.
 * Every case reads the hellos from the wire: the group chosen, the exact lengths, HRR or not.
 */
import { describe, expect, it } from 'vitest';
import { useInteropSetup } from '../helpers/interop.js';
import { startRecordTap, type RecordTap } from '../helpers/record-tap.js';
import { skipNote } from '../helpers/peers.js';
import { BUN, DENO, DENO_TLS_PEER, NODE26, NODE_TLS_PEER, bunAvailable, denoAvailable, node26Available, readHellos, runPeerClient, startPeerServer, type HelloExchange } from './helpers.js';

const bun = bunAvailable();
const deno = denoAvailable();
if (!bun.ok) console.warn(`[pq] Bun interop skipped: ${bun.detail}`);
if (!deno.ok) console.warn(`[pq] Deno interop skipped: ${deno.detail}`);

const X25519MLKEM768 = 0x11ec;
const X25519 = 0x001d;
/** The ServerHello of an X25519MLKEM768 handshake, without HelloRetryRequest. */
const HYBRID_SH = [{ hrr: false, group: X25519MLKEM768, length: 1120 }];
/** HelloRetryRequest toward X25519MLKEM768, then its ServerHello. */
const HYBRID_AFTER_HRR = [{ hrr: true, group: X25519MLKEM768, length: undefined }, ...HYBRID_SH];
/** Deno's ClientHellos then: an x25519 share (the hybrid listed last), then the hybrid's. */
const DENO_HELLOS = [[{ group: X25519, length: 32 }], [{ group: X25519MLKEM768, length: 1216 }]];

function interopCases(peer: 'bun' | 'deno') {
  const setup = useInteropSetup();
  const files = () => setup.pkis['ecdsa-p256'];

  async function tapTo(port: number): Promise<RecordTap> {
    const tap = await startRecordTap(port);
    setup.onCleanup(() => tap.close());
    return tap;
  }

  function peerServer(groups?: string) {
    const f = files();
    const cfg = JSON.stringify({ cert: f.chainFile, key: f.keyFile, ...(groups ? { groups } : {}) });
    return peer === 'bun' ? startPeerServer(BUN, [NODE_TLS_PEER, 'server', cfg]) : startPeerServer(DENO, ['run', '--allow-net', '--allow-read', DENO_TLS_PEER, 'server', cfg]);
  }

  function peerClient(port: number, groups?: string) {
    const cfg = JSON.stringify({ port, ca: files().caFile, ...(groups ? { groups } : {}) });
    return peer === 'bun' ? runPeerClient(BUN, [NODE_TLS_PEER, 'client', cfg]) : runPeerClient(DENO, ['run', '--allow-net', '--allow-read', DENO_TLS_PEER, 'client', cfg]);
  }

  async function ourClient(port: number, options: Record<string, unknown>): Promise<{ wire: HelloExchange; group: string | null; hrr: boolean }> {
    const tap = await tapTo(port);
    // Deno's leaf check and ours: the leaf names 127.0.0.1 and localhost.
    const c = await setup.connect(tap.port, 'ecdsa-p256', options);
    await c.handshake();
    await c.write('ping pq');
    expect((await c.readExactly(7)).toString()).toBe('ping pq');
    const info = c.conn.info;
    await c.close();
    return { wire: readHellos(tap.toTarget(), tap.fromTarget()), group: info.group, hrr: info.helloRetryRequest };
  }

  async function peerToOurs(serverOptions: Record<string, unknown>, groups?: string) {
    const s = await setup.listen('ecdsa-p256', serverOptions, { echo: true });
    const tap = await tapTo(s.port);
    const r = await peerClient(tap.port, groups);
    expect(r.ok, r.transcript).toBe(true);
    const conn = await s.accept();
    return { info: conn.conn.info, wire: readHellos(tap.toTarget(), tap.fromTarget()) };
  }

  const pin = peer === 'bun' ? 'X25519MLKEM768' : undefined;
  const pinned = peer === 'bun' ? 'pinned to X25519MLKEM768' : 'default (rustls)';

  it(`our client pinned to X25519MLKEM768 → ${peer} server ${pinned}`, async () => {
    const srv = await peerServer(pin);
    const r = await ourClient(srv.port, { groups: ['X25519MLKEM768'] });
    expect(r.group).toBe('X25519MLKEM768');
    expect(r.wire.clientHellos[0]!.keyShares).toEqual([{ group: X25519MLKEM768, length: 1216 }]);
    expect(r.wire.serverHellos).toEqual(HYBRID_SH);
  });

  /** What the wire must show when `peer`'s client meets a server preferring X25519MLKEM768. */
  function expectHybridFromPeerClient(info: { group: string | null; helloRetryRequest: boolean }, wire: HelloExchange): void {
    expect(info.group).toBe('X25519MLKEM768');
    if (peer === 'deno') {
      expect(info.helloRetryRequest).toBe(true);
      expect(wire.clientHellos.map((c) => c.keyShares)).toEqual(DENO_HELLOS);
      expect(wire.clientHellos[0]!.supportedGroups).toEqual([X25519, 0x0017, 0x0018, X25519MLKEM768]);
      expect(wire.serverHellos).toEqual(HYBRID_AFTER_HRR);
    } else {
      expect(info.helloRetryRequest).toBe(false);
      expect(wire.clientHellos).toHaveLength(1);
      expect(wire.clientHellos[0]!.keyShares).toContainEqual({ group: X25519MLKEM768, length: 1216 });
      expect(wire.serverHellos).toEqual(HYBRID_SH);
    }
  }

  it(`${peer} client ${pinned} → our server pinned to X25519MLKEM768`, async () => {
    const { info, wire } = await peerToOurs({ groups: ['X25519MLKEM768'] }, pin);
    expectHybridFromPeerClient(info, wire);
  });

  it(`default offers: our default client → ${peer} default server: X25519MLKEM768 without HelloRetryRequest`, async () => {
    const srv = await peerServer();
    const r = await ourClient(srv.port, {});
    expect(r).toMatchObject({ group: 'X25519MLKEM768', hrr: false });
    expect(r.wire.clientHellos).toHaveLength(1);
    expect(r.wire.serverHellos).toEqual(HYBRID_SH);
  });

  it(`default offers: ${peer} default client → our default server: X25519MLKEM768${peer === 'deno' ? ' after a HelloRetryRequest (its offer has no hybrid share)' : ' without HelloRetryRequest'}`, async () => {
    const { info, wire } = await peerToOurs({});
    expectHybridFromPeerClient(info, wire);
  });

  if (peer === 'deno') {
    const node26 = node26Available();
    it.skipIf(!node26.ok)(`reference: Node 26's OpenSSL 3.5 server answers Deno's default client with the same HelloRetryRequest${skipNote(node26)}`, async () => {
      const f = files();
      const srv = await startPeerServer(NODE26, [NODE_TLS_PEER, 'server', JSON.stringify({ cert: f.chainFile, key: f.keyFile })]);
      const tap = await tapTo(srv.port);
      const r = await peerClient(tap.port);
      expect(r.ok, r.transcript).toBe(true);
      const wire = readHellos(tap.toTarget(), tap.fromTarget());
      expect(wire.clientHellos.map((c) => c.keyShares)).toEqual(DENO_HELLOS);
      expect(wire.serverHellos).toEqual(HYBRID_AFTER_HRR);
    });
  }
}

describe.skipIf(!bun.ok)(`post-quantum hybrids ↔ Bun tls, BoringSSL (${bun.detail})${skipNote(bun)}`, () => {
  interopCases('bun');
});

describe.skipIf(!deno.ok)(`post-quantum hybrids ↔ Deno.connectTls / Deno.listenTls, rustls (${deno.detail})${skipNote(deno)}`, () => {
  interopCases('deno');
});
