/**
 * Issue 11 item 8: the private-network policy. The classification of every block (IPv4,
 * IPv6, IPv4 carried in IPv6), then the Node adapter on loopback only: with
 * `refusePrivateAddresses` the literal 127.0.0.1 / ::1, `localhost`, and a name that a custom
 * `lookup` resolves to loopback are refused with `PrivateAddressRefused` and the server never
 * sees a connection; without it the same connections succeed. (Public addresses are judged
 * by classification only: tests never dial outside loopback.)
 */
import * as net from 'node:net';
import type * as dns from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TlsError, getErrorStatus } from '../../src/base/errors.js';
import { checkDialAddress, privateAddressClass } from '../../src/transport/netpolicy.js';
import { connect, createServer, type TlsServer, type TlsSocket } from '../../src/transport/node.js';
import { generateTestPki, type TestPki } from '../../src/verify/generate.js';

describe('address classes (RFC 6890 special-purpose blocks)', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', null],
    ['172.15.0.1', null],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.128.0.1', null],
    ['169.254.169.254', 'link-local'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', null],
    // IPv4 inside IPv6: judged by the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', null],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:192.168.0.1', 'private'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['64:ff9b::8.8.8.8', null],
    ['2002:c0a8:0101::1', 'private'],
    ['2002:0808:0808::1', null],
    // not a literal: never passes
    ['localhost', 'reserved'],
    ['fe80::1%eth0', 'reserved'],
    ['', 'reserved'],
  ];
  it.each(cases)('%s → %s', (ip, cls) => {
    expect(privateAddressClass(ip)).toBe(cls);
  });

  it('checkDialAddress throws PrivateAddressRefused (transport, not retryable by nature) naming the address and the name', () => {
    expect(() => checkDialAddress('8.8.8.8', 'dns.google')).not.toThrow();
    let e: unknown;
    try {
      checkDialAddress('127.0.0.1', 'rebind.example');
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(TlsError);
    expect((e as TlsError).status).toBe('PrivateAddressRefused');
    expect((e as TlsError).category).toBe('transport');
    expect((e as TlsError).message).toContain('127.0.0.1 (resolved from rebind.example) is a loopback address');
  });
});

let pki: TestPki;
let server4: TlsServer;
let server6: TlsServer | null = null;
let port4: number;
let port6 = 0;
let accepted = 0;

beforeAll(async () => {
  pki = await generateTestPki({ keyType: 'ecdsa-p256', names: ['target.example'] });
  const make = (): TlsServer => {
    const s = createServer({ cert: pki.chainPem, key: pki.keyPem }, (t) => {
      t.on('error', () => undefined);
      t.end('hello');
    });
    s.on('connection', () => accepted++);
    s.on('tlsClientError', () => undefined);
    return s;
  };
  server4 = make();
  await new Promise<void>((resolve) => server4.listen(0, '127.0.0.1', () => resolve()));
  port4 = (server4.address() as net.AddressInfo).port;
  const s6 = make();
  const ok = await new Promise<boolean>((resolve) => {
    s6.once('error', () => resolve(false));
    s6.listen(0, '::1', () => resolve(true));
  });
  if (ok) {
    server6 = s6;
    port6 = (s6.address() as net.AddressInfo).port;
  }
});

afterAll(() => {
  server4.close();
  server6?.close();
});

function outcome(s: TlsSocket): Promise<TlsError | null> {
  return new Promise((resolve) => {
    s.once('secureConnect', () => resolve(null));
    s.once('error', (e: Error) => resolve(e as TlsError));
  });
}

/** A `lookup` that answers `addresses` for any name (and records the names asked). */
function fakeLookup(addresses: dns.LookupAddress[], asked: string[] = []): NonNullable<Parameters<typeof connect>[0]['lookup']> {
  return ((hostname: string, options: dns.LookupOptions, cb: (err: Error | null, a: string | dns.LookupAddress[], f?: number) => void) => {
    asked.push(hostname);
    process.nextTick(() => {
      if (options.all) cb(null, addresses);
      else cb(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as NonNullable<Parameters<typeof connect>[0]['lookup']>;
}

const base = (): { servername: string; ca: string } => ({ servername: 'target.example', ca: pki.caCertPem });

describe('Node adapter: refusePrivateAddresses, on the address dialled', () => {
  it('the literal 127.0.0.1 is refused, nothing reaches the server; without the option it connects', async () => {
    const before = accepted;
    const e = await outcome(connect({ ...base(), host: '127.0.0.1', port: port4, refusePrivateAddresses: true }));
    expect(e?.status).toBe('PrivateAddressRefused');
    expect(getErrorStatus(e)).toBe('PrivateAddressRefused');
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBe(before);
    const ok = connect({ ...base(), host: '127.0.0.1', port: port4 });
    expect(await outcome(ok)).toBeNull();
    ok.destroy();
    const off = connect({ ...base(), host: '127.0.0.1', port: port4, refusePrivateAddresses: false });
    expect(await outcome(off)).toBeNull();
    off.destroy();
  });

  it('::1 is refused; without the option it connects', async (ctx) => {
    if (!server6) ctx.skip('no IPv6 loopback (::1) on this machine');
    const e = await outcome(connect({ ...base(), host: '::1', port: port6, refusePrivateAddresses: true }));
    expect(e?.status).toBe('PrivateAddressRefused');
    const ok = connect({ ...base(), host: '::1', port: port6 });
    expect(await outcome(ok)).toBeNull();
    ok.destroy();
  });

  it('"localhost" (resolved by the system to loopback) is refused; without the option it connects', async () => {
    const before = accepted;
    const e = await outcome(connect({ ...base(), host: 'localhost', port: port4, refusePrivateAddresses: true }));
    expect(e?.status).toBe('PrivateAddressRefused');
    expect(e?.message).toMatch(/resolved from localhost\) is a loopback address/);
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBe(before);
    const ok = connect({ ...base(), host: 'localhost', port: port4, family: 4 });
    expect(await outcome(ok)).toBeNull();
    ok.destroy();
  });

  it('a public-looking name that a custom lookup resolves to 127.0.0.1 (DNS rebinding) is refused; without the option it connects', async () => {
    const asked: string[] = [];
    const e = await outcome(connect({ ...base(), host: 'public.example', port: port4, lookup: fakeLookup([{ address: '127.0.0.1', family: 4 }], asked), refusePrivateAddresses: true }));
    expect(e?.status).toBe('PrivateAddressRefused');
    expect(asked).toEqual(['public.example']);
    const ok = connect({ ...base(), host: 'public.example', port: port4, lookup: fakeLookup([{ address: '127.0.0.1', family: 4 }]) });
    expect(await outcome(ok)).toBeNull();
    ok.destroy();
  });

  it('a name with a public and a loopback address is refused as a whole (no address of it is dialled)', async () => {
    const before = accepted;
    const e = await outcome(
      connect({
        ...base(),
        host: 'mixed.example',
        port: port4,
        lookup: fakeLookup([
          { address: '192.0.2.1', family: 4 }, // documentation block: refused too, never dialled
          { address: '::ffff:127.0.0.1', family: 6 },
        ]),
        refusePrivateAddresses: true,
      }),
    );
    expect(e?.status).toBe('PrivateAddressRefused');
    await new Promise((r) => setTimeout(r, 50));
    expect(accepted).toBe(before);
  });

  it('a lookup failure stays a lookup failure (HostNotFound), and a bad option is InvalidConfig at the call', async () => {
    const failing = ((_h: string, _o: dns.LookupOptions, cb: (err: Error | null, a: string, f?: number) => void) => {
      const err: NodeJS.ErrnoException = new Error('getaddrinfo ENOTFOUND nowhere.example');
      err.code = 'ENOTFOUND';
      process.nextTick(() => cb(err, '', 0));
    }) as unknown as NonNullable<Parameters<typeof connect>[0]['lookup']>;
    const e = await outcome(connect({ ...base(), host: 'nowhere.example', port: port4, lookup: failing, refusePrivateAddresses: true }));
    expect(e?.status).toBe('HostNotFound');
    expect(() => connect({ ...base(), host: '127.0.0.1', port: port4, refusePrivateAddresses: 'yes' as unknown as boolean })).toThrow(/refusePrivateAddresses must be a boolean/);
  });
});
