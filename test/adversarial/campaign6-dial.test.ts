/**
 * Sixth adversarial campaign, part 3: dialling and the address policy of `puretls/node`
 * (src/transport/node-dial.ts, netpolicy.ts) under a careless caller and a hostile resolver:
 * ports out of range, IPv6 literals with and without brackets, a `lookup` that throws,
 * answers nothing, answers twice or answers many addresses, names with a trailing dot, and
 * the server name derived from an IP literal (no SNI, RFC 6066 §3). Loopback only: the
 * "public" addresses a hostile lookup returns are only ever handed to a loopback proxy that
 * refuses, never dialled.
 */
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TlsError } from '../../src/base/errors.js';
import { connect, type ConnectOptions, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';
import { failOnUnhandled } from '../helpers/unhandled.js';
import { hostileProxy, type HostileProxy } from './campaign6-hostile-proxy.js';
import { privateAddressClass } from '../../src/transport/netpolicy.js';

failOnUnhandled({ uncaught: true });

type Lookup = NonNullable<ConnectOptions['lookup']>;
type Answer = { address: string; family: number }[];
/** A `lookup` from a plain function of (options, callback). */
const lookupOf = (f: (o: { all?: boolean }, cb: (err: Error | null, a?: unknown, fam?: number) => void) => void): Lookup =>
  ((_h: string, o: { all?: boolean }, cb: (err: Error | null, a?: unknown, fam?: number) => void) => f(o, cb)) as unknown as Lookup;
/** Answers `list` (all: true) or its first address, on the next tick. */
const answering = (list: Answer): Lookup =>
  lookupOf((o, cb) => process.nextTick(() => (o.all ? cb(null, list) : cb(null, list[0]?.address, list[0]?.family))));

let pki: TestPki;
const servers: tls.Server[] = [];
let port4: number;
let port6: number;
/** The SNI each connection to the servers carried (false: none), by the client's port. */
const sni = new Map<number, string | false | null | undefined>();
const sockets: TlsSocket[] = [];
const proxies: HostileProxy[] = [];

async function tlsServer(host: string): Promise<number> {
  const srv = tls.createServer({ cert: pki.chainPem, key: pki.keyPem }, (s) => {
    sni.set(s.remotePort ?? 0, s.servername);
    s.on('error', () => undefined);
    s.end();
  });
  srv.on('tlsClientError', () => undefined);
  servers.push(srv);
  await new Promise<void>((resolve) => srv.listen(0, host, () => resolve()));
  return (srv.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['localhost', '127.0.0.1', '::1'] });
  port4 = await tlsServer('127.0.0.1');
  port6 = await tlsServer('::1');
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const p of proxies.splice(0)) await p.close();
  sni.clear();
});

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
});

function dial(o: ConnectOptions): TlsSocket {
  const s = connect({ ca: pki.caCertPem, ...o });
  sockets.push(s);
  return s;
}

function outcome(s: TlsSocket, ms = 10_000): Promise<TlsError | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no outcome: the connection hangs')), ms);
    s.once('secureConnect', () => {
      clearTimeout(t);
      resolve(null);
    });
    s.once('error', (e: Error) => {
      clearTimeout(t);
      resolve(e as TlsError);
    });
  });
}

function thrown(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError to be thrown');
}

/** The SNI the server saw on the connection of client socket `s` (waits for the server side). */
async function sniOf(s: TlsSocket): Promise<string | false | null | undefined> {
  const port = s.localPort ?? -1;
  for (let i = 0; i < 200 && !sni.has(port); i++) await new Promise((r) => setTimeout(r, 10));
  expect(sni.has(port)).toBe(true);
  return sni.get(port);
}

describe('ports', () => {
  it('out of range, fractional, NaN or not a number → InvalidConfig at the call (Node\'s net threw a RangeError, and dialled port 0)', () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN, '443x', '', '0x1bb', ' 443']) {
      const e = thrown(() => dial({ host: '127.0.0.1', port: port as number, servername: 'localhost' }));
      expect(e.status).toBe('InvalidConfig');
      expect(e.message).toContain('1..65535');
    }
  });

  it('a port given as a decimal string is dialled, as Node\'s tls.connect does', async () => {
    expect(await outcome(dial({ host: '127.0.0.1', port: String(port4) as unknown as number, servername: 'localhost' }))).toBeNull();
  });
});

describe('IP literals and names', () => {
  it('::1 and [::1] both dial ::1; the name checked is the IP (certificate iPAddress), and no SNI is sent (RFC 6066 §3)', async () => {
    const plain = dial({ host: '::1', port: port6 });
    expect(await outcome(plain)).toBeNull();
    expect(plain.authorized).toBe(true);
    const bracketed = dial({ host: '[::1]', port: port6 });
    expect(await outcome(bracketed)).toBeNull();
    expect(bracketed.authorized).toBe(true);
    expect(bracketed.remoteAddress).toBe('::1');
    expect(await sniOf(plain)).toBe(false);
    expect(await sniOf(bracketed)).toBe(false);
  });

  it('127.0.0.1 without servername: no SNI, checked against the certificate\'s IP', async () => {
    const s = dial({ host: '127.0.0.1', port: port4 });
    expect(await outcome(s)).toBeNull();
    expect(s.authorized).toBe(true);
    expect(await sniOf(s)).toBe(false);
  });

  it('[::1] under the policy is refused as loopback, and through a proxy is asked for as [::1]:port', async () => {
    expect((await outcome(dial({ host: '[::1]', port: port6, refusePrivateAddresses: true })))?.status).toBe('PrivateAddressRefused');
    const p = await hostileProxy((c) => void c.client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    proxies.push(p);
    expect((await outcome(dial({ host: '[::1]', port: port6, proxy: { url: p.url } })))?.status).toBe('ProxyRefused');
    expect(p.requests[0]).toBe(`CONNECT [::1]:${port6} HTTP/1.1\r\nHost: [::1]:${port6}`);
  });

  // RFC 6066 §3: "The hostname is represented as a byte string using ASCII encoding without a
  // trailing dot." Fixed in src/handshake/client-hello.ts (the SNI drops it); the name check
  // already ignored the dot (hostname.ts).
  it('a servername with a trailing dot is sent in SNI without it (RFC 6066 §3)', async () => {
    const s = dial({ host: '127.0.0.1', port: port4, servername: 'localhost.' });
    expect(await outcome(s)).toBeNull();
    expect(await sniOf(s)).toBe('localhost');
  });
});

describe('a hostile or careless lookup', () => {
  it('throws synchronously → a TransportError event, with and without the policy (net.connect threw it out of connect())', async () => {
    const boom = lookupOf(() => {
      throw new Error('resolver exploded');
    });
    for (const refusePrivateAddresses of [false, true]) {
      const e = await outcome(dial({ host: 'x.test', port: port4, servername: 'localhost', lookup: boom, refusePrivateAddresses }));
      expect(e?.status).toBe('TransportError');
      expect(e?.message).toContain('resolver exploded');
    }
  });

  it('answers no address, at once or later → HostNotFound (Node\'s net threw a TypeError, uncaught when the answer came later)', async () => {
    const sync = lookupOf((o, cb) => cb(null, o.all ? [] : undefined));
    const later = lookupOf((o, cb) => setTimeout(() => cb(null, o.all ? [] : undefined), 5));
    for (const lookup of [sync, later]) {
      for (const refusePrivateAddresses of [false, true]) {
        const e = await outcome(dial({ host: 'x.test', port: port4, servername: 'localhost', lookup, refusePrivateAddresses }));
        expect(e?.status).toBe('HostNotFound');
      }
    }
  });

  it('answers twice → the first answer counts: one CONNECT, no EALREADY', async () => {
    const p = await hostileProxy((c) => void c.client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    proxies.push(p);
    const twice = lookupOf((_o, cb) => {
      cb(null, [{ address: '8.8.8.8', family: 4 }]);
      cb(null, [{ address: '8.8.4.4', family: 4 }]);
    });
    const e = await outcome(dial({ host: 'x.test', port: 443, servername: 'localhost', lookup: twice, refusePrivateAddresses: true, proxy: { url: p.url } }));
    expect(e?.status).toBe('ProxyRefused');
    await new Promise((r) => setTimeout(r, 50));
    expect(p.requests).toEqual(['CONNECT 8.8.8.8:443 HTTP/1.1\r\nHost: 8.8.8.8:443']);
  });

  it('many addresses, the first one dead: Node\'s family selection reaches the live one', async () => {
    // ::1 on port4 is closed (the server listens on 127.0.0.1 only).
    const s = dial({ host: 'x.test', port: port4, servername: 'localhost', lookup: answering([{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) });
    expect(await outcome(s)).toBeNull();
    expect(s.remoteAddress).toBe('127.0.0.1');
  });

  it('under the policy, one inward address among public ones refuses the name; nothing reaches the proxy', async () => {
    const p = await hostileProxy((c) => void c.client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    proxies.push(p);
    for (const inward of ['10.1.2.3', '::ffff:127.0.0.1', '64:ff9b::7f00:1', 'fe80::1', 'not-an-address', '0.0.0.0']) {
      const lookup = answering([{ address: '8.8.8.8', family: 4 }, { address: inward, family: inward.includes(':') ? 6 : 4 }]);
      const e = await outcome(dial({ host: 'rebind.test', port: 443, servername: 'localhost', lookup, refusePrivateAddresses: true, proxy: { url: p.url } }));
      expect(e?.status, inward).toBe('PrivateAddressRefused');
      expect(e?.message).toContain('resolved from rebind.test');
    }
    expect(p.requests).toEqual([]);
  });
});

describe('the policy\'s address blocks: the IANA special-purpose IPv6 blocks that are not globally reachable', () => {
  it('newer documentation and benchmarking prefixes, local-use NAT64, ORCHID and SRv6 SIDs are refused; their neighbours are not', () => {
    const refused: [string, string][] = [
      ['3fff::1', 'documentation'], // RFC 9637
      ['3fff:fff:ffff::1', 'documentation'],
      ['2001:2::1', 'benchmarking'], // RFC 5180
      ['2001:2:0:ffff::1', 'benchmarking'],
      ['64:ff9b:1::a00:1', 'reserved'], // RFC 8215 local-use translation
      ['2001:10::1', 'reserved'], // RFC 4843 ORCHID
      ['2001:1f:ffff::1', 'reserved'],
      ['5f00::1', 'reserved'], // RFC 9602 SRv6 SIDs
    ];
    for (const [ip, cls] of refused) expect(privateAddressClass(ip), ip).toBe(cls);
    // Just outside each block: global unicast.
    for (const ip of ['3fff:1000::1', '2001:2:1::1', '64:ff9b:2::1', '2001:20::1', '5f01::1', '2001:db9::1']) expect(privateAddressClass(ip), ip).toBeNull();
  });

  it('a name resolving to one of them is refused before the proxy is asked', async () => {
    const p = await hostileProxy((c) => void c.client.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    proxies.push(p);
    const lookup = answering([{ address: '3fff::1', family: 6 }]);
    const e = await outcome(dial({ host: 'doc.test', port: 443, servername: 'localhost', lookup, refusePrivateAddresses: true, proxy: { url: p.url } }));
    expect(e?.status).toBe('PrivateAddressRefused');
    expect(p.requests).toEqual([]);
  });
});
