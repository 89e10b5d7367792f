/**
 * Issue 12 known answers at the protocol level: whole handshakes against OpenSSL 3.5 (Node 26
 * `tls`), recorded once and replayed offline with our seeded randomness and a fixed clock.
 *
 * - client role (X25519MLKEM768, SecP384r1MLKEM1024): our pure client ↔ Node 26 server. The
 *   replay feeds OpenSSL's recorded bytes to a fresh client made with the same seed: it must
 *   send byte for byte what was recorded (its ML-KEM keys, ClientHello, Finished, data) and
 *   complete the handshake, which it can only do if it decapsulates OpenSSL's ciphertext to
 *   the secret OpenSSL derived.
 * - server role (X25519MLKEM768): Node 26 client ↔ our pure server. The replay feeds the
 *   client's recorded bytes to a fresh server with the same seed: it must answer byte for
 *   byte (its encapsulation with the seeded m, ServerHello, certificate flight, tickets).
 *
 * Recording needs Node 26: `UPDATE_PQ_TRANSCRIPTS=1 npx vitest run test/pq/transcript.test.ts`
 * rewrites vectors/pq/openssl35-transcript-*.json; without it the files are replayed.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TlsConnection } from '../../src/engine/tls-connection.js';
import { fixedClock, readAll, seededRandom } from '../../src/testing/index.js';
import { useInteropSetup } from '../helpers/interop.js';
import { NetTlsServer } from '../helpers/net-driver.js';
import { startRecordTap } from '../helpers/record-tap.js';
import { deliver } from '../helpers/mitm.js';
import { NODE26, NODE_TLS_PEER, node26Available, readHellos, runPeerClient, startPeerServer } from './helpers.js';

const node26 = node26Available();
const RECORD = process.env.UPDATE_PQ_TRANSCRIPTS === '1';
if (RECORD && !node26.ok) throw new Error(`UPDATE_PQ_TRANSCRIPTS=1 needs Node 26: ${node26.detail}`);

interface Transcript {
  source: string;
  role: 'client' | 'server';
  group: string;
  seed: number;
  now: number;
  ca: string;
  cert?: string;
  key?: string;
  /** Bytes our side sent and received, hex. */
  sent: string;
  received: string;
}

const file = (role: string, group: string) => new URL(`../../vectors/pq/openssl35-transcript-${role}-${group}.json`, import.meta.url);

function clientOptions(t: Pick<Transcript, 'seed' | 'now' | 'ca' | 'group'>) {
  return { servername: 'localhost', ca: t.ca, random: seededRandom(t.seed), now: fixedClock(t.now), groups: [t.group], sessionStore: false } as const;
}

function serverOptions(t: Pick<Transcript, 'seed' | 'now' | 'cert' | 'key'>) {
  return { cert: t.cert!, key: t.key!, random: seededRandom(t.seed), now: fixedClock(t.now), sessionTickets: 1 } as const;
}

/** The TLS records of a byte stream (header included), in order. */
function records(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off + 5 <= bytes.length; ) {
    const end = off + 5 + ((bytes[off + 3]! << 8) | bytes[off + 4]!);
    out.push(bytes.subarray(off, end));
    off = end;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
}

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('handshakes recorded against OpenSSL 3.5, replayed with our randomness', () => {
  const setup = useInteropSetup();

  async function recordClient(group: string, seed: number): Promise<Transcript> {
    const f = setup.pkis['ecdsa-p256'];
    const srv = await startPeerServer(NODE26, [NODE_TLS_PEER, 'server', JSON.stringify({ cert: f.chainFile, key: f.keyFile, groups: group })]);
    const tap = await startRecordTap(srv.port);
    setup.onCleanup(() => tap.close());
    const t = { seed, now: Math.floor(Date.now() / 1000) * 1000, ca: f.pki.caCertPem, group };
    const c = await setup.connect(tap.port, 'ecdsa-p256', clientOptions(t));
    await c.handshake();
    await c.write('ping');
    expect((await c.readExactly(4)).toString()).toBe('ping');
    await c.close();
    await new Promise((r) => setTimeout(r, 200));
    return { source: `our pure client (seededRandom(${seed}), fixed clock) ↔ Node ${node26.detail} tls server pinned to ${group}, recorded on loopback`, role: 'client', ...t, sent: toHex(tap.toTarget()), received: toHex(tap.fromTarget()) };
  }

  async function recordServer(group: string, seed: number): Promise<Transcript> {
    const f = setup.pkis['ecdsa-p256'];
    const now = Math.floor(Date.now() / 1000) * 1000;
    const t = { seed, now, cert: f.pki.chainPem, key: f.pki.keyPem };
    const s = setup.keepServer(await NetTlsServer.listen(serverOptions(t), { echo: true }));
    const tap = await startRecordTap(s.port);
    setup.onCleanup(() => tap.close());
    const r = await runPeerClient(NODE26, [NODE_TLS_PEER, 'client', JSON.stringify({ port: tap.port, ca: f.caFile, groups: group })]);
    expect(r.ok, r.transcript).toBe(true);
    await new Promise((res) => setTimeout(res, 300));
    return { source: `Node ${node26.detail} tls client pinned to ${group} ↔ our pure server (seededRandom(${seed}), fixed clock), recorded on loopback`, role: 'server', group, ...t, ca: f.pki.caCertPem, sent: toHex(tap.fromTarget()), received: toHex(tap.toTarget()) };
  }

  for (const [role, group, seed] of [
    ['client', 'X25519MLKEM768', 1201],
    ['client', 'SecP384r1MLKEM1024', 1202],
    ['server', 'X25519MLKEM768', 1203],
  ] as const) {
    it(`${role} ${group}: replays byte for byte${RECORD ? ' (re-recorded against Node 26 first)' : ''}`, async () => {
      if (RECORD) {
        const t = role === 'client' ? await recordClient(group, seed) : await recordServer(group, seed);
        fs.writeFileSync(file(role, group), `${JSON.stringify(t, null, 2)}\n`);
      }
      const t = JSON.parse(fs.readFileSync(file(role, group), 'utf8')) as Transcript;
      const sent = hex(t.sent);
      const received = hex(t.received);
      // What the wire shows: the group, no HelloRetryRequest.
      const wire = role === 'client' ? readHellos(Buffer.from(sent), Buffer.from(received)) : readHellos(Buffer.from(received), Buffer.from(sent));
      expect(wire.serverHellos).toHaveLength(1);
      expect(wire.serverHellos[0]).toMatchObject({ hrr: false, group: { X25519MLKEM768: 0x11ec, SecP384r1MLKEM1024: 0x11ed }[group] });

      const conn = role === 'client' ? TlsConnection.client(clientOptions(t)) : TlsConnection.server(serverOptions(t));
      const out: Uint8Array[] = [];
      const take = () => {
        for (let o = conn.takeOutput(); o; o = conn.takeOutput()) out.push(o);
      };
      await conn.process();
      take();
      let wrote = false;
      for (const rec of records(received)) {
        await deliver(conn, rec);
        take();
        // The client wrote "ping" once the handshake was done, and closed after the echo.
        if (role === 'client' && conn.handshakeComplete && !wrote) {
          conn.write(new TextEncoder().encode('ping'));
          wrote = true;
          await conn.settled();
          take();
        }
        if (role === 'client' && readAll(conn).length > 0) {
          conn.close();
          await conn.settled();
          take();
        }
        // The server echoed what it read, and answered the client's close_notify with its own.
        if (role === 'server') {
          const data = readAll(conn);
          if (data.length > 0) conn.write(data);
          if (conn.readEnded) conn.close();
          await conn.settled();
          take();
        }
        if (conn.error) break;
      }
      expect(conn.error).toBeNull();
      expect(conn.handshakeComplete).toBe(true);
      expect(conn.info.group).toBe(group);
      const got = concat(out);
      if (process.env.PQ_DEBUG) {
        let i = 0;
        while (i < Math.min(got.length, sent.length) && got[i] === sent[i]) i++;
        console.log('lengths', got.length, sent.length, 'first difference at', i, 'records', records(sent).map((r) => `${r[0]}:${r.length}`).join(' '), '| got', records(got).map((r) => `${r[0]}:${r.length}`).join(' '));
      }
      expect(toHex(got)).toBe(toHex(sent));
    });
  }
});
